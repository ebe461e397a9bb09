//! One page of a view as the service serves it: its rows read from a
//! remembered checkpoint (or, sorted, picked in sort order), the view's
//! totals and overview from its tally (remembered, counted now, or counted
//! in the background), the genome fix, the IGV-Web links and the "View here"
//! panel. The web layer adds the links that need the page's own URL.

use std::path::PathBuf;
use std::sync::Arc;

use crate::caches::ViewCaches;
use crate::domain::genome::Genome;
use crate::error::CoreError;
use crate::formats::{self, FormatKind, FormatOptions};
use crate::links::igv_web::IgvWebLinks;
use crate::rows::stretches::{self, StretchedFile, Text};
use crate::rows::{
    Checkpoints, IndexedFile, ReadRules, RowReader, RowsKey, SeekableFile, read_in_stretches,
};
use crate::sinks::overview::{self, OverviewLinks};
use crate::sinks::page::{PageModel, PageSink, Picker, TotalsLine, genome_fix, picker};
use crate::sinks::tally::{Known, Tally, TallyKey, TallySink};
use crate::sinks::{manhattan, segments};
use crate::view::{FileView, OpenInput, OpenRows, Paging, Purpose, Triage};
use crate::words::group;

/// Files up to this size are counted (totals, overview) while the page is
/// made; larger local files in the background.
const COUNT_INLINE_BYTES: u64 = 8 << 20;

/// A served page's model, and what the web layer needs to add its links.
pub struct ServedPage {
    pub model: PageModel,
    /// Another page follows.
    pub has_next: bool,
    /// The column picker of the filter form (VCF).
    pub picker: Option<Picker>,
}

/// Page `view.spec.paging` of `view` (see the module comment). `links`
/// gives the overview's bars and strips their URLs.
pub fn served_page(
    view: &mut FileView<'_>,
    input: OpenInput<'_>,
    caches: &ViewCaches,
    links: &dyn OverviewLinks,
) -> Result<ServedPage, CoreError> {
    let mut opened = None;
    if view.kind.has_rows() {
        opened = Some(view.decide(input()?)?);
    } else if let Ok(input) = input() {
        // BAM/CRAM: the @SQ lines say the genome the "Load" link sends. A
        // file that cannot be read here is still offered to IGV.
        let _ = view.decide(input);
    }
    let view = &*view;
    let mut model = PageModel::of(view);
    let mut page = ServedPage {
        model: PageModel::default(),
        has_next: false,
        picker: None,
    };
    if let Some(input) = opened {
        let open = view.open(Purpose::Page, false, input)?;
        let triage = open.triage.clone();
        page.has_next = page_rows(view, open, caches, links, &mut model)?;
        page.picker = picker(&triage, &model.columns);
    }
    model.active_filters = active_filters(view);
    model.page = view.spec.paging.page;
    igv_web_links(view, &mut model);
    page.model = model;
    Ok(page)
}

/// The page's rows, totals, overview and genome fix; whether another page
/// follows.
fn page_rows(
    view: &FileView<'_>,
    open: OpenRows<'_>,
    caches: &ViewCaches,
    links: &dyn OverviewLinks,
    model: &mut PageModel,
) -> Result<bool, CoreError> {
    let OpenRows { mut reader, triage } = open;
    let paging = view.spec.paging;
    model.describe(&reader, &triage);
    let contigs = reader
        .stream()
        .contigs()
        .map(<[_]>::to_vec)
        .unwrap_or_default();
    let mut sink = PageSink::new(view, &triage);
    let (has_next, exact_total) = match &triage.sort {
        Some(_) => {
            drop(reader);
            let (has_next, total) = sorted_page(view, &triage, caches, &mut sink)?;
            (has_next, Some(total))
        }
        None => {
            let index = view.seekable().map(|file| IndexedFile {
                checkpoints: &caches.checkpoints,
                file,
                rows: view.rows_key(),
            });
            let has_next = reader
                .read_page(paging.page, paging.per_page, index, &mut sink)
                .map_err(|e| view.read_error(e))?;
            (has_next, None)
        }
    };
    let shown = sink.page_rows.len();
    let seen = paging
        .skipped()
        .saturating_add(shown as u64)
        .saturating_add(u64::from(has_next));
    let known = tally(view, &triage, caches, !has_next && exact_total.is_none());
    model.totals = Some(totals_line(view, paging, seen, exact_total, &known, shown));
    let tally = match &known {
        Known::Done(tally) => Some(tally.clone()),
        _ => None,
    };
    if let Some(tally) = &tally {
        model.overview = draw_overview(view, tally, &contigs, links);
        if view.kind == FormatKind::Gwas {
            model.manhattan = draw_manhattan(view, tally, &contigs);
        }
        if view.kind == FormatKind::Seg {
            let (relay, _) = view.row_links();
            let length = |name: &str| {
                view.genome()
                    .and_then(|g| g.chromosome(name).map(|c| c.length))
            };
            model.segments = segments::draw(&tally.segments, length, &relay);
        }
    }
    model.genome_fix = genome_fix(view, &sink.refused, tally.as_deref());
    model.rows = sink.page_rows;
    Ok(has_next)
}

/// The page's rows in `triage.sort`'s order: the view's order (read, or
/// remembered), then a second pass that collects the page's rows. Returns
/// whether another page follows, and how many rows the view has.
fn sorted_page(
    view: &FileView<'_>,
    triage: &Triage,
    caches: &ViewCaches,
    sink: &mut PageSink<'_>,
) -> Result<(bool, u64), CoreError> {
    let sorted = view.sort_order(triage, Some(&caches.sort_orders))?;
    let order = &sorted.order;
    let paging = view.spec.paging;
    let total = order.len() as u64;
    let start = paging.skipped().min(total) as usize;
    let end = (start + paging.per_page).min(order.len());
    if start < end {
        let OpenRows { mut reader, .. } = view.open(Purpose::Page, false, view.reread()?)?;
        let index = view.seekable().map(|file| IndexedFile {
            checkpoints: &sorted.positions,
            file,
            rows: view.rows_key(),
        });
        reader
            .read_selected(&order[start..end], index, sink)
            .map_err(|e| view.read_error(e))?;
    }
    Ok((end < order.len(), total))
}

/// The view's tally: remembered, counted now (small files, or a page that
/// read to the end anyway), or started in the background. Only files in a
/// data root are counted.
fn tally(view: &FileView<'_>, triage: &Triage, caches: &ViewCaches, read_all: bool) -> Known {
    let Some(path) = view.source.local_path.clone() else {
        return Known::Unknown;
    };
    let Some(file) = SeekableFile::local(&path, view.options().decompression) else {
        return Known::Unknown;
    };
    let key = TallyKey {
        rows: crate::rows::CheckpointKey {
            file: file.identity.clone(),
            rows: view.rows_key(),
        },
        genome: view.genome().map(|g| g.id().clone()),
        flank: view.spec.flank,
    };
    if let known @ (Known::Done(_) | Known::Running | Known::Failed) = caches.tallies.known(&key) {
        return known;
    }
    // Compressed files are never counted inline: a small one may expand
    // to a gigabyte (the decompression limits still bound the count).
    let small = file.identity.len <= COUNT_INLINE_BYTES && !formats::is_compressed_file(&path);
    let job = CountJob::new(
        view,
        triage,
        path,
        caches.checkpoints.clone(),
        stretches::threads(),
    );
    if small || read_all {
        return caches.tallies.remember(key, job.count());
    }
    caches.tallies.start(key, move || job.count());
    Known::Running
}

/// What a count needs, owned: it may run on a thread of its own after the
/// page was answered.
struct CountJob {
    path: PathBuf,
    kind: FormatKind,
    options: FormatOptions,
    rows: RowsKey,
    /// The view's rules, without their genome (`genome`, owned).
    rules: ReadRules<'static>,
    genome: Option<Genome>,
    checkpoints: Arc<Checkpoints>,
    /// Threads a large plain file is counted on ([`stretches::threads`]).
    threads: usize,
}

impl CountJob {
    fn new(
        view: &FileView<'_>,
        triage: &Triage,
        path: PathBuf,
        checkpoints: Arc<Checkpoints>,
        threads: usize,
    ) -> Self {
        let rules = view.rules(Purpose::Count, triage);
        Self {
            path,
            kind: view.kind,
            options: view.options().clone(),
            rows: view.rows_key(),
            rules: ReadRules {
                genome: None,
                filters: rules.filters,
                predicate: rules.predicate,
                flank: rules.flank,
                loci: rules.loci,
                values: rules.values,
            },
            genome: view.genome().cloned(),
            checkpoints,
            threads,
        }
    }

    /// One pass over the view: counts and bins every row, and fills the
    /// page index on the way. A large plain file is read in stretches on
    /// every core, with the same counts and positions.
    fn count(self) -> std::io::Result<Tally> {
        let stretched = self.threads > 1
            && !formats::is_compressed_file(&self.path)
            && std::fs::metadata(&self.path)
                .is_ok_and(|m| m.len() >= stretches::MIN_STRETCHED_BYTES);
        // As an export: no cells, and (on one thread) the file read on a
        // second thread.
        let options = FormatOptions {
            cells: false,
            read_ahead: !stretched,
            ..self.options.clone()
        };
        let file = std::fs::File::open(&self.path)?;
        let input = Box::new(std::io::BufReader::with_capacity(64 * 1024, file));
        let stream = formats::open(self.kind, input, &options).map_err(std::io::Error::other)?;
        let rules = ReadRules {
            genome: self.genome.as_ref(),
            ..self.rules.clone()
        };
        let index = || {
            SeekableFile::local(&self.path, options.decompression).map(|file| IndexedFile {
                checkpoints: &self.checkpoints,
                file,
                rows: self.rows.clone(),
            })
        };
        // A GWAS's bins keep their strongest association, for the Manhattan plot.
        let score_column = (self.kind == FormatKind::Gwas)
            .then(|| {
                stream
                    .columns()
                    .iter()
                    .position(|c| c == formats::MLOG10P_COLUMN)
            })
            .flatten();
        // A SEG's segments, for the per-sample picture: the sample is the
        // first column and the mean the last, as IGV reads them.
        let segment_columns = (self.kind == FormatKind::Seg)
            .then(|| stream.columns().len().checked_sub(1).map(|last| (0, last)))
            .flatten();
        let sinks = || TallySink {
            segment_columns,
            ..TallySink::scoring(score_column)
        };
        let mut sink = sinks();
        if stretched && let Some(from) = stream.position() {
            drop(stream);
            let options = FormatOptions {
                read_ahead: false,
                ..options.clone()
            };
            let file = StretchedFile {
                path: &self.path,
                from,
                text: Text::Plain,
            };
            read_in_stretches(
                self.threads,
                &file,
                || {
                    let stream = stretches::header_stream(self.kind, &self.path, &options)?;
                    Ok(RowReader::new(stream, rules.clone()))
                },
                |_| sinks(),
                |part| {
                    sink.tally.merge(part.tally);
                    Ok(())
                },
                index(),
            )?;
            return Ok(sink.tally);
        }
        RowReader::new(stream, rules.clone()).read_all(index(), &mut sink)?;
        Ok(sink.tally)
    }
}

fn totals_line(
    view: &FileView<'_>,
    paging: Paging,
    seen: u64,
    exact_total: Option<u64>,
    known: &Known,
    shown: usize,
) -> TotalsLine {
    let (total, exact, failed) = match (exact_total, known) {
        (_, Known::Done(tally)) => (tally.records, true, Some(tally.failed)),
        (Some(total), _) => (total, true, None),
        _ => (seen, false, None),
    };
    let first = paging.skipped().saturating_add(1);
    TotalsLine {
        first: if shown == 0 { 0 } else { first },
        last: if shown == 0 {
            0
        } else {
            first.saturating_add(shown as u64 - 1)
        },
        total,
        exact,
        failed: failed.filter(|_| view.kind == FormatKind::Vcf),
        pages: total.div_ceil(paging.per_page as u64).max(1),
        first_url: None,
        last_url: None,
        // A total the page already knows (its last page) needs no reload.
        counting: matches!(known, Known::Running) && !exact,
    }
}

fn draw_manhattan(
    view: &FileView<'_>,
    tally: &Tally,
    contigs: &[(String, Option<u64>)],
) -> Option<manhattan::Manhattan> {
    let length = |name: &str| {
        view.genome()
            .and_then(|g| g.chromosome(name).map(|c| c.length))
            .or_else(|| {
                contigs
                    .iter()
                    .find(|(c, _)| c == name)
                    .and_then(|(_, len)| *len)
            })
    };
    let (relay, _) = view.row_links();
    manhattan::draw(tally, length, &relay)
}

fn draw_overview(
    view: &FileView<'_>,
    tally: &Tally,
    contigs: &[(String, Option<u64>)],
    links: &dyn OverviewLinks,
) -> Option<overview::Overview> {
    let length = |name: &str| {
        view.genome()
            .and_then(|g| g.chromosome(name).map(|c| c.length))
            .or_else(|| {
                contigs
                    .iter()
                    .find(|(c, _)| c == name)
                    .and_then(|(_, len)| *len)
            })
    };
    let (relay, _) = view.row_links();
    overview::draw(tally, view.kind == FormatKind::Vcf, length, &relay, links)
}

/// The filters in words, for an empty page ("no record matches …").
fn active_filters(view: &FileView<'_>) -> Vec<String> {
    let filters = &view.spec.filters;
    let mut out = Vec::new();
    if let Some(chrom) = &filters.chrom {
        out.push(format!("chromosome {chrom}"));
    }
    if let Some(region) = &filters.region {
        out.push(format!(
            "region {}:{}-{}",
            region.chrom,
            group(region.start),
            group(region.end)
        ));
    }
    if let Some(q) = &filters.query {
        out.push(format!("name or annotation containing \"{q}\""));
    }
    if filters.pass_only {
        out.push("FILTER = PASS".to_owned());
    }
    if let Some(text) = &view.spec.choices.where_text {
        out.push(format!("conditions \"{text}\""));
    }
    out
}

/// Bases a file without rows (BAM, CRAM, bigWig) opens on: enough to see
/// reads, little enough that igv.js loads them at once.
const OPENING_SPAN: u64 = 10_000;

/// Where the panel opens on a file without rows: the first
/// [`OPENING_SPAN`] bases of the first sequence its header lists (`@SQ`),
/// else of the genome's first chromosome; never "all", where igv.js shows
/// no reads.
fn opening_locus(view: &FileView<'_>) -> Option<String> {
    if view.kind.has_rows() {
        return None;
    }
    let listed = view
        .evidence()
        .and_then(|e| e.sequences.first())
        .map(|s| (s.name.clone(), s.length));
    let (name, length) = listed.or_else(|| {
        view.genome()
            .and_then(|g| g.chromosomes().first())
            .map(|c| (c.name.to_string(), Some(c.length)))
    })?;
    let end = length.map_or(OPENING_SPAN, |l| l.clamp(1, OPENING_SPAN));
    Some(format!("{name}:1-{end}"))
}

/// "Open in IGV-Web" for the page and each linked row, and the "View here"
/// panel at the first linked row.
fn igv_web_links(view: &FileView<'_>, model: &mut PageModel) {
    let first_locus = model
        .rows
        .iter()
        .find(|r| r.error.is_none() && !r.data_locus.is_empty())
        .map(|r| r.data_locus.clone())
        .or_else(|| opening_locus(view));
    let igvjs_genome = view.igvjs_genome();
    model.links.igv_web = igvjs_genome
        .as_ref()
        .map(|g| view.igv_web_link(g, first_locus.as_deref()));
    if let Some(genome) = &igvjs_genome {
        let tracks = view.web_tracks();
        let links = IgvWebLinks::new(view.ctx.igv_web, genome, &tracks);
        for row in &mut model.rows {
            if row.error.is_none() && !row.data_locus.is_empty() {
                row.igv_web_url = Some(links.at(Some(&row.data_locus)));
            }
        }
    }
    model.viewer = Some(view.viewer(first_locus));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::genome::GenomeId;
    use crate::rows::{Row, SeekableFile};
    use crate::testing::{TestContext, large_test_vcf};
    use crate::view::{GenomeWish, Source, TriageChoices, ViewSpec};

    #[test]
    fn a_page_that_reached_the_end_knows_its_total_while_the_count_runs() {
        let test = TestContext::new();
        let view = FileView::new(
            test.ctx(),
            FormatKind::Vcf,
            ViewSpec::default(),
            Source::default(),
        )
        .unwrap();
        let paging = Paging::default();
        // The last page: the page's own reading knows the total.
        let last = totals_line(&view, paging, 40, Some(40), &Known::Running, 40);
        assert!(last.exact && !last.counting, "{last:?}");
        assert_eq!((last.first, last.last, last.total), (1, 40, 40));
        // A page before the end: at least what it saw, and a reload will know.
        let early = totals_line(&view, paging, 100, None, &Known::Running, 100);
        assert!(!early.exact && early.counting, "{early:?}");
    }

    #[test]
    fn a_count_in_stretches_gives_the_tally_and_page_index_of_one_pass() {
        let (file, _) = large_test_vcf();
        let test = TestContext::new();
        for where_text in [None, Some("Impact=HIGH")] {
            let spec = ViewSpec {
                genome: GenomeWish {
                    explicit: Some(GenomeId::parse("hg38").unwrap()),
                    default: None,
                },
                choices: TriageChoices {
                    where_text: where_text.map(str::to_owned),
                    ..TriageChoices::default()
                },
                ..ViewSpec::default()
            };
            let source = Source {
                local_path: Some(file.path().to_path_buf()),
                ..Source::default()
            };
            let view = FileView::new(test.ctx(), FormatKind::Vcf, spec, source).unwrap();
            let open = view
                .open(Purpose::Page, false, view.reread().unwrap())
                .unwrap();
            let count = |checkpoints: &Arc<Checkpoints>, threads: usize| {
                let path = file.path().to_path_buf();
                CountJob::new(&view, &open.triage, path, checkpoints.clone(), threads)
                    .count()
                    .unwrap()
            };
            let checkpoints = Arc::new(Checkpoints::default());
            let stretched = count(&checkpoints, 3);
            assert!(
                checkpoints.remembered() > 0,
                "the stretched count filled the page index"
            );
            let one = count(&Arc::new(Checkpoints::default()), 1);
            assert_eq!(stretched, one, "{where_text:?}");
            assert!(one.records > 1_000 && one.refused.unknown_sequence > 0);

            // A deep page read from the positions the stretched count left
            // is the page a read from the file's start gives.
            let page = |indexed: bool| {
                let OpenRows { mut reader, .. } = view
                    .open(Purpose::Page, false, view.reread().unwrap())
                    .unwrap();
                let index = indexed.then(|| IndexedFile {
                    checkpoints: &checkpoints,
                    file: SeekableFile::local(file.path(), view.options().decompression).unwrap(),
                    rows: view.rows_key(),
                });
                let mut rows = Vec::new();
                let last = one.records.div_ceil(100);
                reader
                    .read_page(last - 1, 100, index, &mut |row: Row| {
                        rows.push((row.line, row.label));
                        Ok(())
                    })
                    .unwrap();
                rows
            };
            let deep = page(true);
            assert_eq!(deep.len(), 100);
            assert_eq!(deep, page(false));
        }
    }
}
