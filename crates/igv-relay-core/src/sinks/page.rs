//! The page model: one page of a view, described for any HTML writer (the
//! served link page, `templates/file.html`; the static page of `igv-relay
//! render`, [`super::static_page`]) as rows, columns, notices and links, and
//! the sink that makes a view's rows into page rows ([`PageSink`]). The
//! service adds what only a served page has (pager, filter form, export
//! links); `crate::served` puts a served page together.

use std::io;

use super::columns::{SortLink, is_blank, keep_only};
use super::overview::Overview;
use super::tally::Tally;
use crate::formats::{FormatKind, SvEvent};
use crate::links::RowLink;
use crate::links::igv_web::Viewer;
use crate::links::outs::{LinkOut, LinkTemplate, PageRowFields};
use crate::rows::{RefusalCounts, Row, RowReader, RowSink};
use crate::view::FileView;
use crate::view::annotations::ANNOTATION_COLUMNS;
use crate::view::triage::{PICKER_PREFIX, Triage};
use crate::words::{group, sentence};

/// One row as every view shows it: the record's cells, and its links or why
/// it has none.
#[derive(Clone, Debug)]
pub struct PageRow {
    pub line: u64,
    pub label: String,
    /// Hover text of the link: the record's name and locus.
    pub title: String,
    pub cells: Vec<String>,
    /// A malformed line as written, shown across the data columns.
    pub raw: Option<String>,
    /// `chr7:140,453,136-140,453,137`, for people.
    pub locus_display: String,
    /// Exactly what IGV receives (`data-locus`).
    pub data_locus: String,
    pub relay_url: Option<String>,
    pub load_go_url: Option<String>,
    /// "reads sorted here": load the paired reads, go to the row's first
    /// base and sort the alignments there (when the view has reads).
    pub reads_url: Option<String>,
    /// The reads link shows both ends of a split-screen row (a breakend,
    /// a BEDPE pair) side by side, unsorted; else it sorts at the first base.
    pub reads_both_ends: bool,
    /// "mate": the mate locus as its own link (a breakend whose ALT or
    /// `CHR2` names its mate, a BEDPE pair's second end; the row's own link
    /// shows both).
    pub mate_url: Option<String>,
    /// A structural variant's type and size ("DEL 12.3 kb").
    pub sv: Option<SvEvent>,
    /// "IGV-Web": the file at this row in the IGV-Web app.
    pub igv_web_url: Option<String>,
    pub error: Option<String>,
    /// Links to other sites (`links:`), served pages only.
    pub link_outs: Vec<LinkOut>,
}

/// The file-level links of a page.
#[derive(Clone, Debug, Default)]
pub struct FileLinks {
    pub load: Option<String>,
    pub download: Option<String>,
    pub index: Option<String>,
    /// Exports of the same view, when the page is served (`None` on static pages).
    pub tsv: Option<String>,
    pub json: Option<String>,
    pub batch: Option<String>,
    /// IGV desktop session XML of the view (the URL ends in `.xml`).
    pub igv_session: Option<String>,
    /// IGV 3's session JSON of the view (the URL ends in `.json`); only
    /// with a genome, which IGV 3 requires.
    pub igv3_session: Option<String>,
    /// "Open all in IGV": the relay loading `igv_session` into IGV.
    pub open_all: Option<String>,
    /// The same in a new IGV session (the user's tracks closed first).
    pub open_all_new: Option<String>,
    /// Whether [`Self::open_all`] adds to the user's IGV session (it loads
    /// the file); otherwise it loads the session, which replaces it.
    pub open_all_adds: bool,
    /// The igv.js JSON session of the view, for IGV-Web.
    pub igvjs_session: Option<String>,
    /// "Open in IGV-Web".
    pub igv_web: Option<String>,
}

/// The choices of the filter form, as the page shows them.
#[derive(Clone, Debug, Default)]
pub struct FilterForm {
    pub action: String,
    /// Fields a GET form must repeat, since it drops the action's query.
    pub hidden: Vec<(String, String)>,
    pub chrom: String,
    pub q: String,
    pub pass: bool,
    pub genome_ids: Vec<String>,
    pub per_page: usize,
    pub where_text: String,
    pub sort_text: String,
    pub region: String,
    /// The genome asked for in the URL (empty: the file's or the root's
    /// own), so submitting the form does not turn a genome the file chose
    /// into one "as requested".
    pub genome_choice: String,
    /// The same page without filters, conditions or sort (`None` when the
    /// view has none).
    pub clear_url: Option<String>,
    /// How many filters, conditions and sorts the view has.
    pub active: usize,
    /// The column picker (VCF), `None` for other formats.
    pub picker: Option<Picker>,
    /// The lab presets offered for the file (`views:`), with "none" first
    /// when one is chosen; empty when none is configured for it.
    pub presets: Vec<PresetLink>,
}

/// One entry of the preset chooser.
#[derive(Clone, Debug, Default)]
pub struct PresetLink {
    pub name: String,
    /// This page under the preset (page 1, its own filters only).
    pub url: String,
    pub chosen: bool,
    /// What the preset does, for the hover text.
    pub title: String,
}

/// The column picker: checkboxes that work without JavaScript.
#[derive(Clone, Debug, Default)]
pub struct Picker {
    pub fields: Vec<PickItem>,
    pub fmt: String,
    pub samples: String,
    /// All sample names when few, for the hint.
    pub sample_count: usize,
    pub sample_hint: String,
}

#[derive(Clone, Debug)]
pub struct PickItem {
    /// The checkbox name (`c.DP`).
    pub input: String,
    pub name: String,
    pub title: String,
    pub checked: bool,
}

/// "3 records on this page lie beyond hg38's chromosome ends; the ##contig
/// lengths match hg19": and the link that views the file as hg19.
#[derive(Clone, Debug, Default)]
pub struct GenomeFix {
    pub text: String,
    pub genome: String,
    /// The same view under `genome` (`None` on static pages).
    pub url: Option<String>,
}

/// One page of a file, described for any writer.
#[derive(Clone, Debug, Default)]
pub struct PageModel {
    pub title: String,
    pub kind: &'static str,
    pub is_vcf: bool,
    /// Placeholders of the conditions and sort boxes, in the format's own
    /// column names ([`FormatKind::filter_examples`]).
    pub where_example: &'static str,
    pub sort_example: &'static str,
    /// The genome the loci were checked against (empty: none).
    pub genome: String,
    /// Why that genome ("from the ##contig lengths"), or what the loci were
    /// checked against without one; empty when nothing was decided.
    pub genome_source: String,
    /// [`GenomeSource::code`]: `requested`, `sequence_lengths`, ...
    pub genome_source_code: &'static str,
    /// Refused rows of this page and the genome that would take them, when the
    /// file says which: the one-click fix.
    pub genome_fix: Option<GenomeFix>,
    pub flank: u64,
    pub has_rows: bool,
    pub columns: Vec<String>,
    /// Hover text of each column (the VCF header's Description).
    pub column_titles: Vec<String>,
    pub rows: Vec<PageRow>,
    /// Sentences above the table: where the data comes from, what was cut,
    /// what was not checked.
    pub notices: Vec<String>,
    /// Neither a genome nor the file's header says which chromosomes exist.
    pub unchecked: bool,
    pub page: u64,
    pub prev_url: Option<String>,
    pub next_url: Option<String>,
    pub links: FileLinks,
    /// `None` on static pages.
    pub form: Option<FilterForm>,
    /// "records 201–300 of 812,118", when the page has rows.
    pub totals: Option<TotalsLine>,
    pub overview: Option<Overview>,
    /// GWAS summary statistics: −log10 P along the genome.
    pub manhattan: Option<super::manhattan::Manhattan>,
    /// SEG: each sample's segments, coloured by their mean.
    pub segments: Option<super::segments::SegmentPicture>,
    /// What the filters are, in words (for "no record matches …").
    pub active_filters: Vec<String>,
    /// The "View here" panel, or why there is none (served pages only).
    pub viewer: Option<Viewer>,
    /// The field each column sorts by (`?sort=`), when it has one.
    pub sort_fields: Vec<Option<String>>,
    /// Each column's sort link (served pages; empty on static ones).
    pub sort_links: Vec<Option<SortLink>>,
    /// Columns left out because no row of the page has a value in them.
    pub hidden_columns: Vec<String>,
    /// The same page with those columns shown.
    pub show_hidden_url: Option<String>,
    /// Some row has link-outs: the table has a "Links" column.
    pub has_link_outs: bool,
}

impl PageModel {
    /// Each column's name and hover text.
    pub fn heads(&self) -> Vec<(&str, &str)> {
        self.columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                (
                    c.as_str(),
                    self.column_titles.get(i).map_or("", String::as_str),
                )
            })
            .collect()
    }
}

/// Where the page stands among the view's records.
#[derive(Clone, Debug, Default)]
pub struct TotalsLine {
    /// 1-based numbers of the first and last record shown (0, 0 when none).
    pub first: u64,
    pub last: u64,
    /// The view's records: exact, or at least this many while counting.
    pub total: u64,
    pub exact: bool,
    /// VCF: of `total`, how many failed their FILTER (when exact).
    pub failed: Option<u64>,
    pub pages: u64,
    pub first_url: Option<String>,
    pub last_url: Option<String>,
    /// Counting runs in the background: a reload will know.
    pub counting: bool,
}

impl TotalsLine {
    /// `812,118`
    pub fn total_text(&self) -> String {
        group(self.total)
    }

    pub fn range_text(&self) -> String {
        format!("{}–{}", group(self.first), group(self.last))
    }

    pub fn pages_text(&self) -> String {
        group(self.pages)
    }
}

impl PageModel {
    /// The model every page of `view` shares: everything but the rows.
    pub fn of(view: &FileView<'_>) -> Self {
        let mut notices = view.source.notices.clone();
        if !view.kind.has_rows() {
            notices.push(format!(
                "{} files have no rows to list here. Load the file in IGV{}.",
                view.kind.name(),
                if view.source.index_url.is_some() {
                    " (its index was found next to it)"
                } else {
                    ""
                }
            ));
        }
        let (genome_source, genome_source_code) = match view.genome_choice() {
            Some(choice) => {
                notices.extend(choice.notices.iter().map(|n| sentence(n)));
                (choice.source.to_string(), choice.source.code())
            }
            None => (String::new(), ""),
        };
        PageModel {
            title: view.source.name.clone(),
            kind: view.kind.name(),
            is_vcf: view.kind == FormatKind::Vcf,
            where_example: view.kind.filter_examples().0,
            sort_example: view.kind.filter_examples().1,
            genome: view.genome_id().unwrap_or_default().to_owned(),
            genome_source,
            genome_source_code,
            flank: view.spec.flank,
            has_rows: view.kind.has_rows(),
            notices,
            page: 1,
            links: FileLinks {
                load: view.load_link(None),
                download: view.source.download_url.clone(),
                index: view.source.index_url.clone(),
                ..FileLinks::default()
            },
            ..PageModel::default()
        }
    }

    /// Adds what an open reader says about the view's file: its columns, and
    /// notices for what is not checked or not shown.
    pub fn describe(&mut self, reader: &RowReader<'_>, triage: &Triage) {
        let stream = reader.stream();
        self.columns = triage.columns(stream.columns());
        self.column_titles = self
            .columns
            .iter()
            .map(|c| triage.column_title(c))
            .collect();
        self.sort_fields = self
            .columns
            .iter()
            .map(|c| super::columns::sort_field(triage, c))
            .collect();
        self.unchecked = !reader.checks_chromosomes();
        if stream.hidden_columns() > 0 {
            // Wide files are cut to bound memory (formats::bounds); say so.
            self.notices.push(format!(
                "{} more columns (or samples) are not shown here; download the file to see them{}.",
                stream.hidden_columns(),
                if triage.header.is_some() {
                    ", or choose samples with the column picker"
                } else {
                    ""
                }
            ));
        }
    }
}

/// Makes a view's rows into page rows: cells as the view shows them, and
/// the row's links, or its error.
pub struct PageRows<'v> {
    view: &'v FileView<'v>,
    triage: &'v Triage,
    relay: RowLink,
    /// Rows on a sequence only the file lists: no `genome` on their links.
    plain_relay: RowLink,
}

impl<'v> PageRows<'v> {
    pub fn new(view: &'v FileView<'_>, triage: &'v Triage) -> Self {
        let (relay, plain_relay) = view.row_links();
        Self {
            view,
            triage,
            relay,
            plain_relay,
        }
    }

    pub fn page_row(&self, mut row: Row) -> PageRow {
        if row.raw.is_none() {
            row.cells = self.triage.cells(row.cells, row.values.as_deref());
        }
        let loci = match row.loci {
            Ok(loci) => loci,
            Err(refusal) => {
                return PageRow {
                    line: row.line,
                    label: row.label,
                    title: String::new(),
                    cells: row.cells,
                    raw: row.raw,
                    locus_display: String::new(),
                    data_locus: String::new(),
                    relay_url: None,
                    load_go_url: None,
                    reads_url: None,
                    reads_both_ends: false,
                    mate_url: None,
                    sv: row.sv.map(|sv| *sv),
                    igv_web_url: None,
                    error: Some(refusal.to_string()),
                    link_outs: Vec::new(),
                };
            }
        };
        let view = self.view;
        let own = view.on_file_sequence(&loci);
        let relay = if own { &self.plain_relay } else { &self.relay };
        let locus = loci.to_string();
        let locus_display = loci.to_display_string();
        PageRow {
            line: row.line,
            title: if row.label.is_empty() {
                locus_display.clone()
            } else {
                format!("{} {locus_display}", row.label)
            },
            label: row.label,
            cells: row.cells,
            raw: row.raw,
            locus_display,
            relay_url: Some(relay.to(&locus)),
            // A row link that loads the file already is "load + go".
            load_go_url: if view.rows_load() {
                None
            } else if own {
                view.load_link_with(Some(&locus), None)
            } else {
                view.load_link(Some(&locus))
            },
            reads_url: view.reads_link(&loci),
            reads_both_ends: loci.as_slice().len() > 1,
            mate_url: match (view.kind, loci.as_slice()) {
                (FormatKind::Vcf | FormatKind::Bedpe, [_, mate]) => {
                    Some(relay.to(&mate.to_string()))
                }
                _ => None,
            },
            sv: row.sv.map(|sv| *sv),
            igv_web_url: None,
            data_locus: locus,
            error: None,
            link_outs: Vec::new(),
        }
    }
}

/// Collects a page's rows, and counts its refusals by kind.
pub struct PageSink<'v> {
    rows: PageRows<'v>,
    pub page_rows: Vec<PageRow>,
    pub refused: RefusalCounts,
}

impl<'v> PageSink<'v> {
    pub fn new(view: &'v FileView<'_>, triage: &'v Triage) -> Self {
        Self {
            rows: PageRows::new(view, triage),
            page_rows: Vec::new(),
            refused: RefusalCounts::default(),
        }
    }
}

impl RowSink for PageSink<'_> {
    fn row(&mut self, row: Row) -> io::Result<()> {
        if let Err(refusal) = &row.loci {
            self.refused.add(refusal);
        }
        self.page_rows.push(self.rows.page_row(row));
        Ok(())
    }
}

/// When the file's header fits another genome than the one used: that
/// genome, with how many rows lie beyond the genome's sequences or on
/// sequences it lacks. The counts are the whole file's once its tally is
/// known (`tally`), else the page's (`page`).
pub fn genome_fix(
    view: &FileView<'_>,
    page: &RefusalCounts,
    tally: Option<&Tally>,
) -> Option<GenomeFix> {
    let genome = view.genome()?;
    let fits = view.genome_choice().and_then(|c| c.file_fits)?;
    let (counts, where_) = match tally {
        Some(tally) => (tally.refused, "in the file"),
        None => (*page, "on this page"),
    };
    let what = match (counts.beyond_end, counts.unknown_sequence) {
        // Nothing refused, but the file still says it is not `genome`: the
        // links would land on the wrong bases.
        (0, 0) => {
            return Some(GenomeFix {
                text: format!(
                    "The file's sequence lengths match {}, not {}:",
                    fits.id(),
                    genome.id()
                ),
                genome: fits.id().to_string(),
                url: None,
            });
        }
        (0, n) => format!("{} on sequences {} does not have", records(n), genome.id()),
        (n, 0) => format!("{} beyond {}'s chromosome ends", records(n), genome.id()),
        (a, b) => format!(
            "{} beyond {}'s chromosome ends and {} on sequences it does not have",
            records(a),
            genome.id(),
            records(b)
        ),
    };
    Some(GenomeFix {
        text: format!(
            "{what} {where_}; the file's sequence lengths match {}:",
            fits.id()
        ),
        genome: fits.id().to_string(),
        url: None,
    })
}

fn records(n: u64) -> String {
    if n == 1 {
        "1 record lies".to_owned()
    } else {
        format!("{n} records lie")
    }
}

/// The column picker of a VCF page: every INFO field and annotation
/// column, ticked when shown; FORMAT keys and samples as text.
pub fn picker(triage: &Triage, shown: &[String]) -> Option<Picker> {
    let header = triage.header.as_ref()?;
    let item = |name: &str, title: String| PickItem {
        input: format!("{PICKER_PREFIX}{name}"),
        name: name.to_owned(),
        checked: shown.iter().any(|c| c == name),
        title,
    };
    let mut fields: Vec<PickItem> = Vec::new();
    if let Some(schema) = &triage.annotations {
        for column in ANNOTATION_COLUMNS {
            fields.push(item(column, format!("From the {} annotations", schema.key)));
        }
    }
    for info in &header.infos {
        fields.push(item(&info.id, info.description.clone()));
    }
    Some(Picker {
        fields,
        fmt: triage.choices.fmt.join(","),
        samples: triage.choices.samples.join(","),
        sample_count: header.samples.len(),
        sample_hint: format!(
            "FORMAT keys: {}. Samples ({}): {}{}",
            if header.formats.is_empty() {
                "none".to_owned()
            } else {
                header.format_ids()
            },
            header.samples.len(),
            header
                .samples
                .iter()
                .take(12)
                .cloned()
                .collect::<Vec<_>>()
                .join(", "),
            if header.samples.len() > 12 {
                ", …"
            } else {
                ""
            }
        ),
    })
}

#[cfg(test)]
mod tests {
    use url::Url;

    use super::*;
    use crate::domain::genome::GenomeId;
    use crate::testing::TestContext;
    use crate::view::{GenomeWish, Purpose, ReadsSource, Source, ViewSpec};

    #[test]
    fn each_row_of_a_view_with_reads_links_to_reads_sorted_at_its_first_base() {
        let test = TestContext::new();
        let spec = ViewSpec {
            genome: GenomeWish {
                explicit: Some(GenomeId::parse("hg38").unwrap()),
                default: None,
            },
            ..ViewSpec::default()
        };
        let source = Source {
            reads: vec![ReadsSource {
                file_url: "https://lab.example/igv/raw/run/tumour.bam".into(),
                index_url: Some("https://lab.example/igv/raw/run/tumour.bam.bai".into()),
                name: "tumour.bam".into(),
                format: "bam",
            }],
            ..Source::default()
        };
        let mut view = FileView::new(test.ctx(), FormatKind::Vcf, spec, source).unwrap();
        let vcf = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n\
                   chr7\t140753336\tsnv\tA\tT\t.\tPASS\t.\n\
                   chr7\t140753400\tdel\tACGT\tA\t.\tPASS\t.\n";
        let input = view
            .decide(Box::new(std::io::Cursor::new(vcf.as_bytes().to_vec())))
            .unwrap();
        let mut open = view.open(Purpose::Page, false, input).unwrap();
        let mut sink = PageSink::new(&view, &open.triage);
        open.reader.read_page(1, 10, None, &mut sink).unwrap();
        let links: Vec<Vec<(String, String)>> = sink
            .page_rows
            .iter()
            .map(|r| {
                Url::parse(r.reads_url.as_deref().expect("a reads link"))
                    .unwrap()
                    .query_pairs()
                    .into_owned()
                    .collect()
            })
            .collect();
        let pairs = |locus: &str| -> Vec<(String, String)> {
            [
                ("file", "https://lab.example/igv/raw/run/tumour.bam"),
                ("index", "https://lab.example/igv/raw/run/tumour.bam.bai"),
                ("genome", "hg38"),
                ("locus", locus),
                ("name", "tumour.bam"),
                ("sort", "base"),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .to_vec()
        };
        assert_eq!(links[0], pairs("chr7:140753336"));
        // A deletion sorts at its first base, where IGV shows the variant.
        assert_eq!(links[1], pairs("chr7:140753400"));
        assert!(
            sink.page_rows[0]
                .reads_url
                .as_deref()
                .unwrap()
                .starts_with("https://lab.example/igv/igv/load?")
        );
    }

    #[test]
    fn paired_samples_load_together_in_one_link_sorted_at_the_base() {
        let test = TestContext::new();
        let reads = |sample: &str| ReadsSource {
            file_url: format!("https://lab.example/igv/raw/run/{sample}.bam"),
            index_url: Some(format!("https://lab.example/igv/raw/run/{sample}.bam.bai")),
            name: sample.to_owned(),
            format: "bam",
        };
        let source = Source {
            reads: vec![reads("tumour"), reads("normal")],
            ..Source::default()
        };
        let mut view =
            FileView::new(test.ctx(), FormatKind::Vcf, ViewSpec::default(), source).unwrap();
        let vcf = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n\
                   chr7\t140753336\tsnv\tA\tT\t.\tPASS\t.\n";
        let input = view
            .decide(Box::new(std::io::Cursor::new(vcf.as_bytes().to_vec())))
            .unwrap();
        let mut open = view.open(Purpose::Page, false, input).unwrap();
        let mut sink = PageSink::new(&view, &open.triage);
        open.reader.read_page(1, 10, None, &mut sink).unwrap();
        let link = Url::parse(sink.page_rows[0].reads_url.as_deref().unwrap()).unwrap();
        let pairs: Vec<(String, String)> = link.query_pairs().into_owned().collect();
        let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(
            get("file"),
            Some(
                "https://lab.example/igv/raw/run/tumour.bam https://lab.example/igv/raw/run/normal.bam"
            )
        );
        assert_eq!(
            get("index"),
            Some(
                "https://lab.example/igv/raw/run/tumour.bam.bai https://lab.example/igv/raw/run/normal.bam.bai"
            )
        );
        assert_eq!(get("locus"), Some("chr7:140753336"));
        assert_eq!(get("sort"), Some("base"));
        // One name cannot name two tracks (IGV wants one per file).
        assert_eq!(get("name"), None);
        // The panel stacks both, named by sample.
        let tracks: Vec<String> = view.web_tracks().into_iter().map(|t| t.name).collect();
        assert!(
            tracks.ends_with(&["tumour".to_owned(), "normal".to_owned()]),
            "{tracks:?}"
        );
    }

    #[test]
    fn a_breakend_row_links_its_mate_on_its_own() {
        let test = TestContext::new();
        let mut view = FileView::new(
            test.ctx(),
            FormatKind::Vcf,
            ViewSpec::default(),
            Source::default(),
        )
        .unwrap();
        let vcf = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n\
                   chr1\t1000\tbnd1\tN\tN[chr2:3000[\t.\tPASS\tSVTYPE=BND\n\
                   chr1\t2000\tsnv\tA\tT\t.\tPASS\t.\n";
        let input = view
            .decide(Box::new(std::io::Cursor::new(vcf.as_bytes().to_vec())))
            .unwrap();
        let mut open = view.open(Purpose::Page, false, input).unwrap();
        let mut sink = PageSink::new(&view, &open.triage);
        open.reader.read_page(1, 10, None, &mut sink).unwrap();
        let bnd = &sink.page_rows[0];
        let mate = Url::parse(bnd.mate_url.as_deref().expect("a mate link")).unwrap();
        let locus: String = mate
            .query_pairs()
            .find(|(k, _)| k == "locus")
            .map(|(_, v)| v.into_owned())
            .unwrap();
        // The row's own link shows both ends side by side; the mate's
        // link, its own end.
        let ends: Vec<&str> = bnd.data_locus.split(' ').collect();
        assert_eq!(ends.len(), 2, "{}", bnd.data_locus);
        assert_eq!(locus, ends[1]);
        assert!(locus.starts_with("chr2:"), "{locus}");
        assert!(sink.page_rows[1].mate_url.is_none());
    }
}

/// One column head as a writer shows it.
pub struct HeadCell<'m> {
    pub name: &'m str,
    pub title: &'m str,
    pub sort: Option<&'m SortLink>,
}

impl PageModel {
    /// Each column's name, hover text and sort link.
    pub fn head_cells(&self) -> Vec<HeadCell<'_>> {
        self.columns
            .iter()
            .enumerate()
            .map(|(i, name)| HeadCell {
                name,
                title: self.column_titles.get(i).map_or("", String::as_str),
                sort: self.sort_links.get(i).and_then(Option::as_ref),
            })
            .collect()
    }

    /// Each row's links to other sites, from `templates` (before blank
    /// columns are left out: a link may use a column the page hides).
    pub fn add_link_outs(&mut self, templates: &[LinkTemplate]) {
        let columns = &self.columns;
        for row in self.rows.iter_mut().filter(|r| r.raw.is_none()) {
            let fields = PageRowFields {
                columns,
                cells: &row.cells,
            };
            row.link_outs = templates.iter().filter_map(|t| t.fill(&fields)).collect();
        }
        self.has_link_outs = self.rows.iter().any(|r| !r.link_outs.is_empty());
    }

    /// Drops the columns in which no row of the page has a value, and names
    /// them in [`PageModel::hidden_columns`]. A page without rows keeps its
    /// columns: there is nothing to judge them by.
    pub fn hide_blank_columns(&mut self) {
        let rows: Vec<&Vec<String>> = self
            .rows
            .iter()
            .filter(|r| r.raw.is_none())
            .map(|r| &r.cells)
            .collect();
        if rows.is_empty() {
            return;
        }
        let keep: Vec<bool> = (0..self.columns.len())
            .map(|i| {
                rows.iter()
                    .any(|cells| cells.get(i).is_some_and(|c| !is_blank(c)))
            })
            .collect();
        if keep.iter().all(|k| *k) {
            return;
        }
        let kept = |i: &usize| keep.get(*i).copied().unwrap_or(true);
        self.hidden_columns = self
            .columns
            .iter()
            .enumerate()
            .filter(|(i, _)| !kept(i))
            .map(|(_, c)| c.clone())
            .collect();
        keep_only(&mut self.columns, &kept);
        keep_only(&mut self.column_titles, &kept);
        keep_only(&mut self.sort_fields, &kept);
        for row in self.rows.iter_mut().filter(|r| r.raw.is_none()) {
            keep_only(&mut row.cells, &kept);
        }
    }
}

#[cfg(test)]
mod blank_column_tests {
    use super::*;

    fn row(cells: &[&str]) -> PageRow {
        PageRow {
            line: 1,
            label: String::new(),
            title: String::new(),
            cells: cells.iter().map(|c| (*c).to_owned()).collect(),
            raw: None,
            locus_display: String::new(),
            data_locus: String::new(),
            relay_url: None,
            load_go_url: None,
            reads_url: None,
            reads_both_ends: false,
            mate_url: None,
            sv: None,
            igv_web_url: None,
            error: None,
            link_outs: Vec::new(),
        }
    }

    #[test]
    fn a_column_blank_on_every_row_of_the_page_is_hidden_and_named() {
        let mut model = PageModel {
            columns: vec!["POS".into(), "HGVSc".into(), "END".into()],
            column_titles: vec![String::new(), "hgvs".into(), "end".into()],
            rows: vec![row(&["10", "", "."]), row(&["20", "", "30"])],
            ..PageModel::default()
        };
        model.hide_blank_columns();
        assert_eq!(model.columns, ["POS", "END"]);
        assert_eq!(model.column_titles, ["", "end"]);
        assert_eq!(model.hidden_columns, ["HGVSc"]);
        assert_eq!(model.rows[0].cells, ["10", "."]);
    }
}
