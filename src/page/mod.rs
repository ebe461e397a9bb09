//! The page model: one result file, seen through the request's choices
//! (genome, flank, filters, columns, paging), described as rows, columns,
//! notices and links. Every view of a file is a writer of this one model:
//! the served link page and the static pages of `igv-relay render`
//! ([`html`]), and the TSV, JSON and IGV batch exports ([`export`]).
//!
//! Below HTTP: nothing here knows requests or responses. A route parses the
//! request into a [`Query`], says where the file's bytes and URLs come from
//! ([`Source`]), and hands the [`Outcome`] to `web::respond`.

pub mod export;
pub mod html;

use std::cell::OnceCell;
use std::io::{BufRead, Read};
use std::path::PathBuf;

use url::Url;

use crate::domain::assembly::{self, DefaultKind, GenomeChoice, GenomeRequest};
use crate::domain::genome::Genome;
use crate::domain::igv::{IgvTarget, TRACK_FORMATS};
use crate::domain::loci::{Loci, LociRules};
use crate::domain::request::Query;
use crate::error::AppError;
use crate::formats::{
    self, CoordBase, DecompressionLimits, FormatError, FormatKind, FormatOptions, RecordStream,
};
use crate::genomes::GenomeRegistry;
use crate::linkpage::{
    DEFAULT_PER_PAGE, LocusResolver, MAX_PER_PAGE, Row, RowFilter, Rows, SeekableFile,
};
use crate::links::{LoadLink, RowLink, ServiceUrls};

pub use export::{ExportChunks, ExportFormat};

/// What the page model needs of the service: genomes to check loci against,
/// the service's own URLs for links, and the limits in force.
#[derive(Clone, Copy)]
pub struct PageContext<'a> {
    pub genomes: &'a GenomeRegistry,
    pub urls: &'a ServiceUrls,
    pub igv: &'a IgvTarget,
    pub loci_rules: LociRules,
    pub default_flank: u64,
    pub decompression: DecompressionLimits,
}

/// Something that can lend a [`PageContext`] to an export's writer thread
/// (the application state does).
pub trait ContextOwner: Send + Sync + 'static {
    fn page_context(&self) -> PageContext<'_>;
}

/// Where a page's file lives, as far as its links are concerned.
#[derive(Clone, Debug, Default)]
pub struct Source {
    /// The file name shown as the page title.
    pub name: String,
    /// The name exports mention (IGV batch script header).
    pub export_name: String,
    /// This page's URL, without a query (`.../files/demo/calls.vcf`); `None`
    /// for static pages, which have no filter form or exports.
    pub page_url: Option<Url>,
    /// Query parameters that identify the file on `page_url` (a Galaxy
    /// dataset URL); kept on every page, filter and export link.
    pub fixed_query: Vec<(&'static str, String)>,
    /// Where "Download" points.
    pub download_url: Option<String>,
    /// What IGV is told to load (`None`: no "Load in IGV" links).
    pub load_file_url: Option<String>,
    pub index_url: Option<String>,
    /// IGV's `format=` for the load links.
    pub igv_format: Option<&'static str>,
    /// Lines shown above the table (where the data comes from, genome notes).
    pub notices: Vec<String>,
    /// The file on disk, when there is one: later pages then start from a
    /// remembered offset instead of reading every earlier row (`PageIndex`).
    pub local_path: Option<PathBuf>,
    /// Whether the default genome [`FileView::from_query`] is given is the
    /// dataset's Galaxy dbkey rather than a data root's genome (what the page
    /// says when the file overrules it).
    pub default_is_dbkey: bool,
}

/// Opens the file's bytes when (and only if) the page needs rows.
pub type OpenInput<'o> = Box<dyn FnOnce() -> Result<Box<dyn BufRead + Send>, AppError> + 'o>;

/// What a view of a file produced: a page, or an export streaming from a
/// writer thread (chunks arrive as the file is read).
pub enum Outcome {
    Html(String),
    Export {
        chunks: ExportChunks,
        content_type: &'static str,
        /// What the browser saves it as.
        file_name: String,
    },
}

/// Which page of rows, and how many on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Paging {
    pub page: u64,
    pub per_page: usize,
}

impl Paging {
    /// `?page=` (from 1) and `?per_page=` (1 to [`MAX_PER_PAGE`]).
    pub fn from_query(query: &Query) -> Result<Self, AppError> {
        let page = query.number("page")?.unwrap_or(1).max(1);
        let per_page = match query.number("per_page")? {
            None => DEFAULT_PER_PAGE,
            Some(n) if (1..=MAX_PER_PAGE as u64).contains(&n) => n as usize,
            Some(n) => {
                return Err(AppError::invalid(
                    "per_page",
                    &n.to_string(),
                    format!("expected 1 to {MAX_PER_PAGE}"),
                ));
            }
        };
        Ok(Self { page, per_page })
    }
}

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
    pub error: Option<String>,
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
}

pub fn supported_formats_list() -> Vec<(String, String)> {
    formats::supported_formats()
        .iter()
        .map(|(n, e)| ((*n).to_owned(), (*e).to_owned()))
        .collect()
}

/// The query keys that carry a view from one page (or export) to the next.
const STICKY_KEYS: [&str; 9] = [
    "genome", "flank", "chrom", "q", "pass", "coords", "chromCol", "startCol", "endCol",
];

/// One file seen through one request's choices.
pub struct FileView<'a> {
    ctx: PageContext<'a>,
    pub kind: FormatKind,
    /// What was asked for: `?genome=` (always wins) and a default the file may
    /// overrule. The genome used is decided when the file is opened
    /// ([`FileView::detect`]): see `domain::assembly`.
    request: GenomeRequest<'a>,
    choice: OnceCell<GenomeChoice<'a>>,
    /// The chosen genome with the file's own sequences it lacks
    /// ([`GenomeChoice::extra`]), when there are any.
    extended: OnceCell<Genome>,
    flank: u64,
    filter: RowFilter,
    options: FormatOptions,
    pub source: Source,
    /// The view's own query pairs, carried to other pages and exports.
    sticky: Vec<(&'static str, String)>,
}

impl<'a> FileView<'a> {
    /// The view a request asks for. `default_genome` applies without
    /// `?genome=` (a data root's genome, a Galaxy dbkey's genome); `options`
    /// are the source's own (Galaxy column metadata), which the request's
    /// `coords`/`chromCol`/... override.
    pub fn from_query(
        ctx: PageContext<'a>,
        kind: FormatKind,
        query: &Query,
        default_genome: Option<&str>,
        options: FormatOptions,
        source: Source,
    ) -> Result<Self, AppError> {
        let lookup = |id: &str| {
            ctx.genomes
                .get(id)
                .or_else(|e| ctx.genomes.for_dbkey(id).ok_or(e))
                .map_err(|e| AppError::invalid("genome", id, e))
        };
        let explicit = query.non_empty("genome").map(lookup).transpose()?;
        let default_kind = if source.default_is_dbkey {
            DefaultKind::GalaxyDbkey
        } else {
            DefaultKind::Root
        };
        let default = match default_genome {
            Some(id) if explicit.is_none() => Some((lookup(id)?, default_kind)),
            _ => None,
        };
        let flank = query.number("flank")?.unwrap_or(ctx.default_flank);
        let coords = match query.non_empty("coords") {
            None => options.coords,
            Some("0") => Some(CoordBase::Zero),
            Some("1") => Some(CoordBase::One),
            Some(other) => {
                return Err(AppError::invalid(
                    "coords",
                    other,
                    "expected 0 (BED-like) or 1",
                ));
            }
        };
        let column = |key: &'static str| -> Result<Option<usize>, AppError> {
            match query.number(key)? {
                Some(0) => Err(AppError::invalid(key, "0", "column numbers start at 1")),
                Some(n) => Ok(Some(n as usize)),
                None => Ok(None),
            }
        };
        let options = FormatOptions {
            coords,
            chrom_col: column("chromCol")?.or(options.chrom_col),
            start_col: column("startCol")?.or(options.start_col),
            end_col: column("endCol")?.or(options.end_col),
            ..options
        };
        let filter = RowFilter {
            chrom: query.non_empty("chrom").map(str::to_owned),
            query: query.non_empty("q").map(str::to_owned),
            pass_only: query.flag("pass")?.unwrap_or(false),
        };
        let mut view = Self::new(ctx, kind, explicit, flank, filter, options, source);
        view.request.default = default;
        for key in STICKY_KEYS {
            if view.source.fixed_query.iter().any(|(k, _)| *k == key) {
                continue;
            }
            if let Some(v) = query.non_empty(key) {
                view.sticky.push((key, v.to_owned()));
            }
        }
        Ok(view)
    }

    /// A view with its choices made already (`igv-relay render`): a `genome`
    /// given is used whatever the file says; without one the file's header
    /// decides (see [`FileView::detect`]).
    pub fn new(
        ctx: PageContext<'a>,
        kind: FormatKind,
        genome: Option<&'a Genome>,
        flank: u64,
        filter: RowFilter,
        options: FormatOptions,
        source: Source,
    ) -> Self {
        let options = FormatOptions {
            // The operator's limit, whatever the source suggested.
            decompression: ctx.decompression,
            ..options
        };
        Self {
            ctx,
            kind,
            request: GenomeRequest {
                explicit: genome,
                default: None,
            },
            choice: OnceCell::new(),
            extended: OnceCell::new(),
            flank,
            filter,
            options,
            source,
            sticky: Vec::new(),
        }
    }

    /// The genome loci are checked against: the one [`FileView::detect`]
    /// decided, or before that the one asked for (explicit, else the default).
    pub fn genome(&self) -> Option<&Genome> {
        if let Some(extended) = self.extended.get() {
            return Some(extended);
        }
        match self.choice.get() {
            Some(choice) => choice.genome,
            None => self
                .request
                .explicit
                .or(self.request.default.map(|(g, _)| g)),
        }
    }

    fn genome_id(&self) -> Option<&str> {
        self.genome().map(|g| g.id().as_str())
    }

    /// What was decided about the genome, once the file was opened.
    pub fn genome_choice(&self) -> Option<&GenomeChoice<'a>> {
        self.choice.get()
    }

    /// Decides the genome from what was asked and what the file's header says
    /// (`domain::assembly::choose`), reading the first bytes of `input`, and
    /// gives the whole input back. Only the first call decides.
    pub fn detect(
        &self,
        input: Box<dyn BufRead + Send>,
    ) -> Result<Box<dyn BufRead + Send>, AppError> {
        if self.choice.get().is_some() {
            return Ok(input);
        }
        let mut input = input;
        let mut prefix = Vec::new();
        (&mut input)
            .take(EVIDENCE_PREFIX_BYTES)
            .read_to_end(&mut prefix)
            .map_err(|e| self.read_error(e))?;
        let evidence =
            formats::evidence_from_prefix(self.kind, &prefix, self.options.decompression);
        let known: Vec<&Genome> = self.ctx.genomes.all().collect();
        let choice = assembly::choose(self.request, &evidence, &known);
        if let Some(genome) = choice.genome
            && !choice.extra.is_empty()
        {
            let _ = self
                .extended
                .set(genome.with_sequences(choice.extra.iter().cloned()));
        }
        let _ = self.choice.set(choice);
        Ok(Box::new(std::io::Cursor::new(prefix).chain(input)))
    }

    /// The file's records as a stream, or why the file cannot be read; the
    /// genome is decided first ([`FileView::detect`]).
    pub fn open(
        &self,
        input: Box<dyn BufRead + Send>,
    ) -> Result<Box<dyn RecordStream + Send>, AppError> {
        let input = self.detect(input)?;
        open_stream(self.kind, input, &self.options)
    }

    /// The rows of an open stream, as every view shows them.
    pub fn rows<'s>(&'s self, stream: &'s mut (dyn RecordStream + Send)) -> PageRows<'s, 'a> {
        let resolver = LocusResolver::new(self.genome(), stream, self.flank, self.ctx.loci_rules);
        let checks = resolver.checks_chromosomes();
        let hidden_columns = stream.hidden_columns();
        PageRows {
            view: self,
            relay: self.ctx.urls.row_link(self.genome_id()),
            plain_relay: self.ctx.urls.row_link(None),
            checks_chromosomes: checks,
            hidden_columns,
            columns: stream.columns().to_vec(),
            rows: Rows::new(stream, resolver, self.filter.clone()),
        }
    }

    /// Whether `loci` name a sequence only the file lists ([`GenomeChoice::extra`]):
    /// the relay checks against its own table, which lacks it, so such a row's
    /// links carry no `genome` (the page has checked the locus already).
    fn on_file_sequence(&self, loci: &Loci) -> bool {
        let (Some(_), Some(base)) = (
            self.extended.get(),
            self.choice.get().and_then(|c| c.genome),
        ) else {
            return false;
        };
        loci.as_slice()
            .iter()
            .any(|l| base.chromosome(l.chrom().as_str()).is_none())
    }

    /// The relay link that loads the file in IGV (at `locus`, if given).
    fn load_link(&self, locus: Option<&str>) -> Option<String> {
        self.load_link_with(locus, self.genome_id())
    }

    fn load_link_with(&self, locus: Option<&str>, genome: Option<&str>) -> Option<String> {
        let file = self.source.load_file_url.as_deref()?;
        let format = self
            .source
            .igv_format
            .filter(|f| TRACK_FORMATS.contains(f))?;
        let mut url = self.ctx.urls.load(&LoadLink {
            file,
            index: self.source.index_url.as_deref(),
            genome,
            locus,
            name: Some(&self.source.name),
            format: Some(format),
        });
        // Like the goto links: IGV answers 204, which would leave the
        // "igv-relay" tab blank or still showing the previous command.
        url.query_pairs_mut().append_pair("landing", "1");
        Some(url.to_string())
    }

    /// The model shared by every page of this view: everything but the rows.
    pub fn model(&self) -> PageModel {
        let mut notices = self.source.notices.clone();
        if !self.kind.has_rows() {
            notices.push(format!(
                "{} files have no rows to list here. Load the file in IGV{}.",
                self.kind.name(),
                if self.source.index_url.is_some() {
                    " (its index was found next to it)"
                } else {
                    ""
                }
            ));
        }
        let (genome_source, genome_source_code) = match self.choice.get() {
            Some(choice) => {
                notices.extend(choice.notices.iter().map(|n| capitalise(n)));
                (choice.source.to_string(), choice.source.code())
            }
            None => (String::new(), ""),
        };
        PageModel {
            title: self.source.name.clone(),
            kind: self.kind.name(),
            is_vcf: self.kind == FormatKind::Vcf,
            genome: self.genome_id().unwrap_or_default().to_owned(),
            genome_source,
            genome_source_code,
            flank: self.flank,
            has_rows: self.kind.has_rows(),
            notices,
            page: 1,
            links: FileLinks {
                load: self.load_link(None),
                download: self.source.download_url.clone(),
                index: self.source.index_url.clone(),
                ..FileLinks::default()
            },
            ..PageModel::default()
        }
    }

    /// One page of the served view: rows, pager and export links, filter form.
    pub fn page(&self, paging: Paging, input: OpenInput<'_>) -> Result<PageModel, AppError> {
        let mut stream = None;
        if self.kind.has_rows() {
            stream = Some(self.open(input()?)?);
        } else if let Ok(input) = input() {
            // BAM/CRAM: the @SQ lines say the genome the "Load" link sends. A
            // file that cannot be read here is still offered to IGV.
            let _ = self.detect(input);
        }
        let mut model = self.model();
        let mut has_next = false;
        if let Some(mut stream) = stream {
            let seekable = self
                .source
                .local_path
                .as_deref()
                .and_then(|path| SeekableFile::new(path, self.kind, &self.options));
            let rows = self.rows(stream.as_mut());
            rows.describe(&mut model);
            let page = rows
                .page(paging, seekable)
                .map_err(|e| self.read_error(e))?;
            model.rows = page.0;
            has_next = page.1;
            model.genome_fix = self.genome_fix(&model.rows);
        }
        model.page = paging.page;
        if let Some(page_url) = &self.source.page_url {
            let mut sticky = self.source.fixed_query.clone();
            sticky.extend(self.sticky.iter().cloned());
            let mut paged = sticky.clone();
            if paging.per_page != DEFAULT_PER_PAGE {
                paged.push(("per_page", paging.per_page.to_string()));
            }
            let page_link = |n: u64| {
                let mut q = paged.clone();
                q.push(("page", n.to_string()));
                with_query(page_url.clone(), &q)
            };
            if let Some(fix) = &mut model.genome_fix {
                let mut q: Vec<(&str, String)> = sticky
                    .iter()
                    .filter(|(k, _)| *k != "genome")
                    .cloned()
                    .collect();
                q.push(("genome", fix.genome.clone()));
                fix.url = Some(with_query(page_url.clone(), &q));
            }
            model.prev_url = (paging.page > 1).then(|| page_link(paging.page - 1));
            model.next_url = has_next.then(|| page_link(paging.page + 1));
            if self.kind.has_rows() {
                let export_link = |format: ExportFormat| {
                    let mut q = sticky.clone();
                    q.push(("format", format.as_str().to_owned()));
                    Some(with_query(page_url.clone(), &q))
                };
                model.links.tsv = export_link(ExportFormat::Tsv);
                model.links.json = export_link(ExportFormat::Json);
                model.links.batch = export_link(ExportFormat::IgvBatch);
            }
            model.form = Some(FilterForm {
                action: page_url.to_string(),
                hidden: self
                    .source
                    .fixed_query
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), v.clone()))
                    .collect(),
                chrom: self.filter.chrom.clone().unwrap_or_default(),
                q: self.filter.query.clone().unwrap_or_default(),
                pass: self.filter.pass_only,
                genome_ids: self
                    .ctx
                    .genomes
                    .ids()
                    .into_iter()
                    .map(str::to_owned)
                    .collect(),
                per_page: paging.per_page,
            });
        }
        Ok(model)
    }

    /// When the file's header fits another genome than the one asked for: that
    /// genome, with how many of the page's rows lie beyond the genome's
    /// sequences or on sequences it lacks (the refusal summary).
    fn genome_fix(&self, rows: &[PageRow]) -> Option<GenomeFix> {
        let genome = self.genome()?;
        let fits = self.choice.get().and_then(|c| c.file_fits)?;
        let counts = RefusalCounts::of(rows.iter().filter_map(|r| r.error.as_deref()));
        let what = match (counts.beyond_end, counts.unknown_sequence) {
            // Nothing refused on this page, but the file still says it is not
            // `genome`: the links would land on the wrong bases.
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
                "{what} on this page; the file's sequence lengths match {}:",
                fits.id()
            ),
            genome: fits.id().to_string(),
            url: None,
        })
    }

    fn read_error(&self, e: std::io::Error) -> AppError {
        AppError::UnprocessableFile {
            message: format!("reading {}: {e}", self.source.name),
        }
    }

    /// Streams every row of the view in `format` from a writer thread
    /// (see [`export`]).
    pub fn export<C: ContextOwner>(
        &self,
        owner: std::sync::Arc<C>,
        input: Box<dyn BufRead + Send>,
        format: ExportFormat,
    ) -> Result<Outcome, AppError> {
        let input = self.detect(input)?;
        let choice = self.choice.get();
        let job = export::ExportJob {
            kind: self.kind,
            genome: self.genome_id().map(str::to_owned),
            extended_genome: self.extended.get().cloned(),
            genome_source: choice.map(|c| (c.source.code(), c.source.to_string())),
            genome_notices: choice.map(|c| c.notices.clone()).unwrap_or_default(),
            flank: self.flank,
            filter: self.filter.clone(),
            options: self.options.clone(),
            format,
            name: self.source.export_name.clone(),
        };
        job.start(owner, input)
    }
}

/// Opens a record stream, with the errors a page shows for a file it cannot read.
pub fn open_stream(
    kind: FormatKind,
    input: Box<dyn BufRead + Send>,
    options: &FormatOptions,
) -> Result<Box<dyn RecordStream + Send>, AppError> {
    formats::open(kind, input, options).map_err(|e| match e {
        FormatError::Unsupported(m) => AppError::UnsupportedFormat {
            message: m,
            supported: supported_formats_list(),
        },
        other => AppError::UnprocessableFile {
            message: other.to_string(),
        },
    })
}

/// The rows of one view's stream, each with its links.
pub struct PageRows<'s, 'a> {
    view: &'s FileView<'a>,
    relay: RowLink,
    /// Rows on a sequence only the file lists: no `genome` on their links.
    plain_relay: RowLink,
    checks_chromosomes: bool,
    hidden_columns: usize,
    columns: Vec<String>,
    rows: Rows<'s, 's>,
}

impl PageRows<'_, '_> {
    /// Adds what the stream says about itself to the page: its columns, and
    /// notices for what was not checked or not shown.
    pub fn describe(&self, model: &mut PageModel) {
        model.columns = self.columns.clone();
        model.unchecked = !self.checks_chromosomes;
        if self.hidden_columns > 0 {
            // Wide files are cut to bound memory (formats::bounds); say so.
            model.notices.push(format!(
                "{} more columns (or samples) are not shown here; download the file to see them.",
                self.hidden_columns
            ));
        }
    }

    /// The next row, or `None` at the end of the file.
    pub fn next_row(&mut self) -> std::io::Result<Option<PageRow>> {
        Ok(self.rows.next_row()?.map(|row| self.page_row(row)))
    }

    /// Page `paging.page`, and whether another follows; `seekable` lets later
    /// pages of a local file start from remembered offsets.
    pub fn page(
        self,
        paging: Paging,
        seekable: Option<SeekableFile>,
    ) -> std::io::Result<(Vec<PageRow>, bool)> {
        let Self {
            view,
            relay,
            plain_relay,
            rows,
            ..
        } = self;
        let page = rows
            .with_index(seekable)
            .page(paging.page, paging.per_page)?;
        let rows = page
            .rows
            .into_iter()
            .map(|row| to_page_row(view, &relay, &plain_relay, row))
            .collect();
        Ok((rows, page.has_next))
    }

    fn page_row(&self, row: Row) -> PageRow {
        to_page_row(self.view, &self.relay, &self.plain_relay, row)
    }
}

fn to_page_row(view: &FileView<'_>, relay: &RowLink, plain: &RowLink, row: Row) -> PageRow {
    match row.loci {
        Ok(loci) => {
            let own = view.on_file_sequence(&loci);
            let relay = if own { plain } else { relay };
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
                load_go_url: if own {
                    view.load_link_with(Some(&locus), None)
                } else {
                    view.load_link(Some(&locus))
                },
                data_locus: locus,
                error: None,
            }
        }
        Err(e) => PageRow {
            line: row.line,
            label: row.label,
            title: String::new(),
            cells: row.cells,
            raw: row.raw,
            locus_display: String::new(),
            data_locus: String::new(),
            relay_url: None,
            load_go_url: None,
            error: Some(e),
        },
    }
}

/// How much of a file's start a view reads to decide its genome: the whole
/// header of all but the largest files (a GATK hg38 VCF header is 250 KiB of text,
/// a few dozen KiB compressed).
pub const EVIDENCE_PREFIX_BYTES: u64 = 2 << 20;

/// Rows without a link, by why: the `refused` of a JSON export and the page's
/// refusal summary.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct RefusalCounts {
    /// A position past the end of its sequence.
    pub beyond_end: u64,
    /// A sequence the genome (or the file's own header) does not have.
    pub unknown_sequence: u64,
    /// A line that is not a record of its format.
    pub malformed: u64,
    /// Anything else (a name IGV cannot take, start after end, ...).
    pub other: u64,
}

impl RefusalCounts {
    pub fn of<'e>(errors: impl IntoIterator<Item = &'e str>) -> Self {
        let mut counts = Self::default();
        for error in errors {
            counts.add(error);
        }
        counts
    }

    /// Sorts one row's error (the wording of `GenomeError` and the resolver).
    pub fn add(&mut self, error: &str) {
        if error.contains("is malformed") {
            self.malformed += 1;
        } else if error.contains("beyond the end of") {
            self.beyond_end += 1;
        } else if error.contains("is not in genome") || error.contains("is not among the file's") {
            self.unknown_sequence += 1;
        } else {
            self.other += 1;
        }
    }

    pub fn total(&self) -> u64 {
        self.beyond_end + self.unknown_sequence + self.malformed + self.other
    }
}

fn records(n: u64) -> String {
    if n == 1 {
        "1 record lies".to_owned()
    } else {
        format!("{n} records lie")
    }
}

/// A notice as a sentence.
fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
        None => String::new(),
    }
}

fn with_query(mut url: Url, pairs: &[(&str, String)]) -> String {
    if !pairs.is_empty() {
        url.query_pairs_mut()
            .extend_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str())));
    }
    url.to_string()
}
