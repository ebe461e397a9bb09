//! The page model: one result file, seen through the request's choices
//! (genome, flank, filters, columns, paging), described as rows, columns,
//! notices and links. Every view of a file is a writer of this one model:
//! the served link page and the static pages of `igv-relay render`
//! ([`html`]), and the TSV, JSON and IGV batch exports ([`export`]).
//!
//! Below HTTP: nothing here knows requests or responses. A route parses the
//! request into a [`Query`], says where the file's bytes and URLs come from
//! ([`Source`]), and hands the [`Outcome`] to `web::respond`.

pub mod annotations;
pub mod conditions;
pub mod export;
pub mod html;
pub mod overview;
pub mod session;
pub mod stretches;
pub mod totals;
pub mod triage;
pub mod viewer;

use std::cell::OnceCell;
use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};

use url::Url;

use crate::domain::assembly::{self, DefaultKind, GenomeChoice, GenomeRequest};
use crate::domain::genome::Genome;
use crate::domain::igv::{IgvTarget, TRACK_FORMATS};
use crate::domain::igvjs::ResolvedIgvJsGenome;
use crate::domain::loci::{Loci, LociRules};
use crate::domain::locus::Locus;
use crate::domain::request::Query;
use crate::domain::view::BasePosition;
use crate::error::AppError;
use crate::formats::{
    self, CoordBase, DecompressionLimits, FormatError, FormatKind, FormatOptions, Interval,
    RecordStream, RemoteFile, StreamPosition,
};
use crate::genomes::GenomeRegistry;
use crate::linkpage::{
    DEFAULT_PER_PAGE, IndexWriter, LocusResolver, MAX_PER_PAGE, Row, RowFilter, Rows, SeekableFile,
};
use crate::links::{LoadLink, RowLink, ServiceUrls};

pub use export::{ExportChunks, ExportFormat};
use overview::{Overview, OverviewLinks};
use stretches::{Cutter, MIN_STRETCHED_BYTES, STRETCH_BYTES, Stretch};
use totals::{Known, Tally};
use triage::{Triage, TriageChoices};
use viewer::{Viewer, ViewerPanel, WebTrack};

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
    /// Where "Open in IGV-Web" links go (`viewer.igv_web_url`).
    pub igv_web: &'a Url,
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
    /// Whether row links load the file with the jump, so the first click
    /// shows the record in its track (`links::FirstClick`, decided by the
    /// route, which knows the file's size).
    pub rows_load_file: bool,
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
    /// Or a file elsewhere that can be read from an offset (a Galaxy dataset
    /// whose server honours Range requests), for the same purpose.
    pub remote: Option<RemoteFile>,
}

/// Opens the file's bytes when (and only if) the page needs rows.
pub type OpenInput<'o> = Box<dyn FnOnce() -> Result<Box<dyn BufRead + Send>, AppError> + 'o>;

/// What a view of a file produced: a page, or an export streaming from a
/// writer thread (chunks arrive as the file is read).
pub enum Outcome {
    Html(String),
    /// Somewhere else answers this (303 See Other).
    Redirect(String),
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
    /// "reads sorted here": load the paired reads, go to the row's first
    /// base and sort the alignments there (when the view has reads).
    pub reads_url: Option<String>,
    /// "IGV-Web": the file at this row in the IGV-Web app.
    pub igv_web_url: Option<String>,
    pub error: Option<String>,
}

/// Reads shown with a page's rows (a BAM/CRAM paired with a VCF): what IGV
/// loads for each row's "reads sorted here".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadsSource {
    pub file_url: String,
    pub index_url: Option<String>,
    /// The track name IGV shows.
    pub name: String,
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
    /// "Open all in IGV": the relay loading `igv_session` into IGV.
    pub open_all: Option<String>,
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
    /// The column picker (VCF), `None` for other formats.
    pub picker: Option<Picker>,
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
    /// What the filters are, in words (for "no record matches …").
    pub active_filters: Vec<String>,
    /// The "View here" panel, or why there is none (served pages only).
    pub viewer: Option<Viewer>,
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

/// `1234567` as `1,234,567`.
pub fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub fn supported_formats_list() -> Vec<(String, String)> {
    formats::supported_formats()
        .iter()
        .map(|(n, e)| ((*n).to_owned(), (*e).to_owned()))
        .collect()
}

/// The query keys that carry a view from one page (or export) to the next.
const STICKY_KEYS: [&str; 11] = [
    "genome", "flank", "chrom", "q", "pass", "coords", "chromCol", "startCol", "endCol", "region",
    "reads",
];

/// Files up to this size are counted (totals, overview) while the page is
/// made; larger local files in the background.
const COUNT_INLINE_BYTES: u64 = 8 << 20;

/// Most records a sort orders (two numbers each: 32 MB at most).
pub const MAX_SORT_ROWS: usize = 1_000_000;

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
    /// Columns, conditions and sort order asked for.
    choices: TriageChoices,
    /// Exports without the records' columns (`?links_only=1`).
    links_only: bool,
    /// The view's own query pairs, carried to other pages and exports.
    sticky: Vec<(&'static str, String)>,
    /// Reads paired with this file (`?reads=`, or a configured pairing).
    reads: Option<ReadsSource>,
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
        let region = match query.non_empty("region") {
            None => None,
            Some(text) => Some(parse_region(text)?),
        };
        let filter = RowFilter {
            chrom: query.non_empty("chrom").map(str::to_owned),
            query: query.non_empty("q").map(str::to_owned),
            pass_only: query.flag("pass")?.unwrap_or(false),
            region,
            predicate: None,
        };
        let choices = TriageChoices::from_query(query)?;
        let options = choices.format_options(options);
        let mut view = Self::new(ctx, kind, explicit, flank, filter, options, source);
        view.request.default = default;
        view.sticky.extend(choices.sticky());
        view.choices = choices;
        view.links_only = query.flag("links_only")?.unwrap_or(false);
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
            choices: TriageChoices::default(),
            links_only: false,
            sticky: Vec::new(),
            reads: None,
        }
    }

    /// Gives every row a "reads sorted here" link to `reads`.
    pub fn with_reads(mut self, reads: Option<ReadsSource>) -> Self {
        self.reads = reads;
        self
    }

    /// The relay link that loads the paired reads, goes to the first base of
    /// `loci` and sorts the alignments by base there.
    fn reads_link(&self, loci: &crate::domain::loci::Loci) -> Option<String> {
        let reads = self.reads.as_ref()?;
        let first = loci.as_slice().first()?;
        let (start, _) = first.bounds()?;
        let base = Locus::from_interval(first.chrom().clone(), start, start).ok()?;
        let at = BasePosition::from_locus(&base).ok()?;
        let link = LoadLink {
            file: &reads.file_url,
            index: reads.index_url.as_deref(),
            genome: self.genome_id(),
            name: Some(&reads.name),
            ..LoadLink::default()
        };
        Some(self.ctx.urls.reads_sorted_here(&link, &at).to_string())
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

    /// The choices of this view checked against an open stream.
    pub fn triage(&self, stream: &dyn RecordStream) -> Result<Triage, AppError> {
        Triage::resolve(&self.choices, stream)
    }

    /// The rows of an open stream, as every view shows them.
    pub fn rows<'s>(
        &'s self,
        stream: &'s mut (dyn RecordStream + Send),
        triage: &'s Triage,
    ) -> PageRows<'s, 'a> {
        let resolver = LocusResolver::new(self.genome(), stream, self.flank, self.ctx.loci_rules);
        let checks = resolver.checks_chromosomes();
        let hidden_columns = stream.hidden_columns();
        let columns = triage.columns(stream.columns());
        let contigs = stream.contigs().map(<[_]>::to_vec).unwrap_or_default();
        let mut rows = Rows::new(stream, resolver, self.filter_with(triage));
        if triage.wants_values() {
            rows = rows.with_values(triage.value_samples());
        }
        PageRows {
            view: self,
            triage,
            relay: self.row_relay(self.genome_id()),
            plain_relay: self.row_relay(None),
            checks_chromosomes: checks,
            hidden_columns,
            columns,
            contigs,
            rows,
        }
    }

    /// The view's filter with the triage conditions.
    fn filter_with(&self, triage: &Triage) -> RowFilter {
        triage.row_filter(&self.filter)
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
        let track = self.track(genome)?;
        Some(self.ctx.urls.load(&LoadLink { locus, ..track }).to_string())
    }

    /// The file as IGV loads it, under `genome`, when IGV can show it as a track.
    fn track<'s>(&'s self, genome: Option<&'s str>) -> Option<LoadLink<'s>> {
        let file = self.source.load_file_url.as_deref()?;
        let format = self
            .source
            .igv_format
            .filter(|f| TRACK_FORMATS.contains(f))?;
        Some(LoadLink {
            file,
            index: self.source.index_url.as_deref(),
            genome,
            locus: None,
            name: Some(&self.source.name),
            format: Some(format),
        })
    }

    /// Whether row links load the file with the jump ([`Source::rows_load_file`]).
    fn rows_load(&self) -> bool {
        self.source.rows_load_file && self.track(None).is_some()
    }

    /// The relay link of rows (and overview bars) under `genome`: the jump,
    /// or the idempotent load and jump when [`Self::rows_load`].
    fn row_relay(&self, genome: Option<&str>) -> RowLink {
        match self.track(genome).filter(|_| self.rows_load()) {
            Some(track) => self.ctx.urls.row_load_link(&track),
            None => self.ctx.urls.row_link(genome),
        }
    }

    /// How igv.js loads the view's genome, with absolute URLs (`None`: no
    /// genome, or one igv.js has no data for).
    pub fn igvjs_genome(&self) -> Option<ResolvedIgvJsGenome> {
        let id = self.genome_id()?;
        let genome = self.ctx.genomes.igvjs(id)?;
        Some(genome.resolve(self.ctx.urls.base()))
    }

    /// The file as an igv.js / IGV-Web track, when IGV can load it.
    pub fn web_track(&self) -> Option<WebTrack> {
        let url = self.source.load_file_url.clone()?;
        let format = self
            .source
            .igv_format
            .filter(|f| TRACK_FORMATS.contains(f))?;
        Some(WebTrack {
            url,
            index: self.source.index_url.clone(),
            name: self.source.name.clone(),
            format: Some(format.to_owned()),
        })
    }

    /// The paired reads (`?reads=`) as an igv.js / IGV-Web track.
    fn reads_track(&self) -> Option<WebTrack> {
        let reads = self.reads.as_ref()?;
        Some(WebTrack {
            url: reads.file_url.clone(),
            index: reads.index_url.clone(),
            name: reads.name.clone(),
            format: Some(
                if reads.name.ends_with(".cram") {
                    "cram"
                } else {
                    "bam"
                }
                .to_owned(),
            ),
        })
    }

    /// The file's track and the paired reads', for sessions and IGV-Web.
    fn web_tracks(&self) -> Vec<WebTrack> {
        self.web_track()
            .into_iter()
            .chain(self.reads_track())
            .collect()
    }

    /// The "View here" panel over the view's genome, or why there is none.
    fn viewer(&self, locus: Option<String>) -> Viewer {
        match self.igvjs_genome() {
            Some(genome) => Viewer::Ready(Box::new(ViewerPanel::new(
                self.ctx.urls.base(),
                &genome,
                self.web_track(),
                self.reads_track(),
                locus,
            ))),
            None => Viewer::Unavailable(viewer::unavailable_reason(self.genome_id())),
        }
    }

    /// "Open in IGV-Web" for the file (at `locus`, if given).
    fn igv_web_link(&self, genome: &ResolvedIgvJsGenome, locus: Option<&str>) -> String {
        let tracks = self.web_tracks();
        viewer::igv_web_url(self.ctx.igv_web, genome, &tracks, locus)
    }

    /// What the session exports say besides their regions.
    fn session_spec(&self) -> session::SessionSpec {
        session::SessionSpec {
            igv_genome: self
                .genome()
                .map(|g| crate::domain::igv::IgvCommand::load_genome(g).igv),
            igvjs_genome: self.igvjs_genome(),
            tracks: self.web_tracks(),
            name: self.source.name.clone(),
        }
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

    /// One page of the served view: rows, totals, overview, pager and export
    /// links, filter form.
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
        let mut triage = None;
        if let Some(mut stream) = stream {
            let checked = self.triage(stream.as_ref())?;
            let key = self.view_key(&checked);
            let rows = self.rows(stream.as_mut(), &checked);
            rows.describe(&mut model);
            let contigs = rows.contigs.clone();
            let (page_rows, next, exact_total) = match &checked.sort {
                Some(_) => {
                    let (rows, next, total) = self.sorted_page(&checked, paging)?;
                    (rows, next, Some(total))
                }
                None => {
                    let seekable = match (&self.source.local_path, &self.source.remote) {
                        (Some(path), _) => SeekableFile::new(path, self.kind, &self.options),
                        (None, Some(remote)) => {
                            Some(SeekableFile::remote(remote, self.kind, &self.options))
                        }
                        (None, None) => None,
                    };
                    let (rows, next) = rows
                        .page(paging, seekable)
                        .map_err(|e| self.read_error(e))?;
                    (rows, next, None)
                }
            };
            let skipped = paging
                .page
                .saturating_sub(1)
                .saturating_mul(paging.per_page as u64);
            let seen = skipped
                .saturating_add(page_rows.len() as u64)
                .saturating_add(u64::from(next));
            model.rows = page_rows;
            has_next = next;
            let known = self.tally(&checked, key.as_deref(), !next && exact_total.is_none());
            model.totals =
                Some(self.totals_line(paging, seen, exact_total, &known, model.rows.len()));
            let tally = match &known {
                Known::Done(tally) => Some(tally.clone()),
                _ => None,
            };
            if let Some(tally) = &tally {
                model.overview = self.overview(tally, &contigs);
            }
            model.genome_fix = self.genome_fix(&model.rows, tally.as_deref());
            triage = Some(checked.clone());
        }
        model.active_filters = self.active_filters();
        model.page = paging.page;
        let first_locus = model
            .rows
            .iter()
            .find(|r| r.error.is_none() && !r.data_locus.is_empty())
            .map(|r| r.data_locus.clone());
        let igvjs_genome = self.igvjs_genome();
        model.links.igv_web = igvjs_genome
            .as_ref()
            .map(|g| self.igv_web_link(g, first_locus.as_deref()));
        if let Some(genome) = &igvjs_genome {
            let tracks = self.web_tracks();
            let links = viewer::IgvWebLinks::new(self.ctx.igv_web, genome, &tracks);
            for row in &mut model.rows {
                if row.error.is_none() && !row.data_locus.is_empty() {
                    row.igv_web_url = Some(links.at(Some(&row.data_locus)));
                }
            }
        }
        model.viewer = Some(self.viewer(first_locus));
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
            if let Some(totals) = &mut model.totals {
                totals.first_url = (paging.page > 1).then(|| page_link(1));
                totals.last_url =
                    (totals.exact && totals.pages > paging.page).then(|| page_link(totals.pages));
            }
            if self.kind.has_rows() {
                let export_link = |format: ExportFormat| {
                    let mut q = sticky.clone();
                    q.push(("format", format.as_str().to_owned()));
                    Some(with_query(page_url.clone(), &q))
                };
                model.links.tsv = export_link(ExportFormat::Tsv);
                model.links.json = export_link(ExportFormat::Json);
                model.links.batch = export_link(ExportFormat::IgvBatch);
                // The `format` pair comes last, so the URL ends in `.xml`:
                // IGV (and IGV-Web) take a file ending so for a session.
                model.links.igv_session = export_link(ExportFormat::IgvSession);
                model.links.igvjs_session = export_link(ExportFormat::IgvJsSession);
                model.links.open_all = model.links.igv_session.as_deref().map(|session| {
                    self.ctx
                        .urls
                        .load(&LoadLink {
                            file: session,
                            ..LoadLink::default()
                        })
                        .to_string()
                });
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
                where_text: self.choices.where_text.clone().unwrap_or_default(),
                sort_text: self.choices.sort_text.clone().unwrap_or_default(),
                region: self
                    .filter
                    .region
                    .as_ref()
                    .map(|r| format!("{}:{}-{}", r.chrom, r.start, r.end))
                    .unwrap_or_default(),
                picker: triage.as_ref().and_then(|t| t.picker(&model.columns)),
            });
        }
        Ok(model)
    }

    /// The filters in words, for an empty page ("no record matches …").
    fn active_filters(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(chrom) = &self.filter.chrom {
            out.push(format!("chromosome {chrom}"));
        }
        if let Some(region) = &self.filter.region {
            out.push(format!(
                "region {}:{}-{}",
                region.chrom,
                group(region.start),
                group(region.end)
            ));
        }
        if let Some(q) = &self.filter.query {
            out.push(format!("name or annotation containing \"{q}\""));
        }
        if self.filter.pass_only {
            out.push("FILTER = PASS".to_owned());
        }
        if let Some(text) = &self.choices.where_text {
            out.push(format!("conditions \"{text}\""));
        }
        out
    }

    /// What identifies this view's records for the page index and the
    /// tallies: the file's version and every choice that selects rows.
    fn view_key(&self, triage: &Triage) -> Option<String> {
        let path = self.source.local_path.as_deref()?;
        let meta = std::fs::metadata(path).ok()?;
        Some(format!(
            "{} {} {:?} {:?} {:?} {:?} {:?} {}",
            path.display(),
            meta.len(),
            meta.modified().ok(),
            self.kind,
            self.options,
            self.filter_with(triage),
            self.genome_id(),
            self.flank,
        ))
    }

    /// The view's tally: remembered, counted now (small files, or a page that
    /// read to the end anyway), or started in the background.
    fn tally(&self, triage: &Triage, key: Option<&str>, read_all: bool) -> Known {
        let Some(key) = key else {
            return Known::Unknown;
        };
        if let known @ (Known::Done(_) | Known::Running | Known::Failed) = totals::known(key) {
            return known;
        }
        let Some(path) = self.source.local_path.clone() else {
            return Known::Unknown;
        };
        // Compressed files are never counted inline: a small one may expand
        // to a gigabyte (the decompression limits still bound the count).
        let small = std::fs::metadata(&path).is_ok_and(|m| m.len() <= COUNT_INLINE_BYTES)
            && !formats::is_compressed_file(&path);
        let job = TallyJob {
            path,
            kind: self.kind,
            options: self.options.clone(),
            filter: self.filter_with(triage),
            genome: self.genome().cloned(),
            flank: self.flank,
            loci_rules: self.ctx.loci_rules,
            threads: stretches::threads(),
        };
        if small || read_all {
            return match job.count() {
                Ok(tally) => Known::Done(totals::remember(key, tally)),
                Err(e) => {
                    tracing::warn!(error = %e, "counting a file's records failed");
                    totals::failed(key);
                    Known::Unknown
                }
            };
        }
        totals::start(key.to_owned(), move || job.count());
        Known::Running
    }

    fn totals_line(
        &self,
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
        let first = paging
            .page
            .saturating_sub(1)
            .saturating_mul(paging.per_page as u64)
            .saturating_add(1);
        TotalsLine {
            first: if shown == 0 { 0 } else { first },
            last: if shown == 0 {
                0
            } else {
                first.saturating_add(shown as u64 - 1)
            },
            total,
            exact,
            failed: failed.filter(|_| self.kind == FormatKind::Vcf),
            pages: total.div_ceil(paging.per_page as u64).max(1),
            first_url: None,
            last_url: None,
            counting: matches!(known, Known::Running),
        }
    }

    fn overview(&self, tally: &Tally, contigs: &[(String, Option<u64>)]) -> Option<Overview> {
        let length = |name: &str| {
            self.genome()
                .and_then(|g| g.chromosome(name).map(|c| c.length))
                .or_else(|| {
                    contigs
                        .iter()
                        .find(|(c, _)| c == name)
                        .and_then(|(_, len)| *len)
                })
        };
        overview::draw(tally, self.kind == FormatKind::Vcf, length, self)
    }

    /// Page `paging` of the view in `triage.sort`'s order: a first pass keeps
    /// each record's key and number (bounded: [`MAX_SORT_ROWS`]), a second
    /// collects the page's records. Needs a file that can be read twice.
    fn sorted_page(
        &self,
        triage: &Triage,
        paging: Paging,
    ) -> Result<(Vec<PageRow>, bool, u64), AppError> {
        let order = self.sorted_order(triage)?;
        let total = order.len() as u64;
        let start = paging
            .page
            .saturating_sub(1)
            .saturating_mul(paging.per_page as u64)
            .min(total) as usize;
        let end = (start + paging.per_page).min(order.len());
        let wanted: std::collections::HashMap<u64, usize> = order[start..end]
            .iter()
            .enumerate()
            .map(|(slot, &seq)| (seq, slot))
            .collect();
        let mut slots: Vec<Option<PageRow>> = vec![None; end - start];
        if !wanted.is_empty() {
            let last = wanted.keys().copied().max().unwrap_or(0);
            let mut stream = self.open(self.reread()?)?;
            let mut rows = self.rows(stream.as_mut(), triage);
            let mut seq = 0u64;
            while let Some(row) = rows.next_row().map_err(|e| self.read_error(e))? {
                if let Some(&slot) = wanted.get(&seq) {
                    slots[slot] = Some(row);
                }
                if seq >= last {
                    break;
                }
                seq += 1;
            }
        }
        Ok((
            slots.into_iter().flatten().collect(),
            end < order.len(),
            total,
        ))
    }

    /// The record numbers (0-based, among the filtered records) in sort order.
    /// The file again from its first byte, for a second pass (sorting): a
    /// file in a data root, or a Galaxy dataset (read with Range requests,
    /// or streamed again when Galaxy ignores them).
    fn reread(&self) -> Result<Box<dyn BufRead + Send>, AppError> {
        match (&self.source.local_path, &self.source.remote) {
            (Some(path), _) => open_path(path),
            (None, Some(remote)) => remote
                .reopen
                .reopen_at(0, self.options.decompression)
                .map_err(|e| self.read_error(e)),
            (None, None) => Err(AppError::invalid(
                "sort",
                self.choices.sort_text.as_deref().unwrap_or(""),
                "sorting reads the file twice, which files in a data root and Galaxy \
                 datasets read with HTTP Range requests allow; this source can only be \
                 streamed once (a server that ignores Range, a compressed dataset, or \
                 a remote URL)",
            )),
        }
    }

    pub(crate) fn sorted_order(&self, triage: &Triage) -> Result<Vec<u64>, AppError> {
        let Some(spec) = &triage.sort else {
            return Ok(Vec::new());
        };
        let options = FormatOptions {
            // VCF keys come from the record's values; other formats' from cells.
            cells: self.kind != FormatKind::Vcf,
            ..self.options.clone()
        };
        let mut stream = open_stream(self.kind, self.reread()?, &options)?;
        let resolver = LocusResolver::new(None, stream.as_ref(), 0, self.ctx.loci_rules);
        let mut rows = Rows::new(stream.as_mut(), resolver, self.filter_with(triage));
        if triage.header.is_some() {
            rows = rows.with_values(triage.value_samples());
        }
        let mut keys: Vec<(conditions::SortKey, u64)> = Vec::new();
        let mut seq = 0u64;
        while let Some(row) = rows.next_row().map_err(|e| self.read_error(e))? {
            if keys.len() >= MAX_SORT_ROWS {
                return Err(AppError::UnprocessableFile {
                    message: format!(
                        "sorting is limited to {} records and this view has more; \
                         narrow it with a filter first",
                        group(MAX_SORT_ROWS as u64)
                    ),
                });
            }
            let annotations = triage.annotations_of(row.values.as_ref());
            let fields = conditions::RecordFields {
                chrom: row.interval.as_ref().map_or("", |i| i.chrom.as_str()),
                pos: row.interval.as_ref().map_or(0, |i| i.start),
                values: row.values.as_ref(),
                annotations: &annotations,
                cells: &row.cells,
            };
            keys.push((conditions::SortKey::of(spec, &fields), seq));
            seq += 1;
        }
        keys.sort_by(|a, b| a.0.compare(&b.0, spec.descending).then(a.1.cmp(&b.1)));
        Ok(keys.into_iter().map(|(_, seq)| seq).collect())
    }

    /// When the file's header fits another genome than the one asked for: that
    /// genome, with how many of the page's rows lie beyond the genome's
    /// sequences or on sequences it lacks (the refusal summary).
    /// The counts are the whole file's once its tally is known, else the
    /// page's.
    fn genome_fix(&self, rows: &[PageRow], tally: Option<&Tally>) -> Option<GenomeFix> {
        let genome = self.genome()?;
        let fits = self.choice.get().and_then(|c| c.file_fits)?;
        let (counts, where_) = match tally {
            Some(tally) => (tally.refused, "in the file"),
            None => (
                RefusalCounts::of(rows.iter().filter_map(|r| r.error.as_deref())),
                "on this page",
            ),
        };
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
                "{what} {where_}; the file's sequence lengths match {}:",
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
        // The sort order needs the checked choices before the writer starts;
        // the writer checks them again on its own stream.
        let triage = match &self.choices.sort_text {
            None => Triage::none(),
            Some(_) => self.triage(self.open(self.reread()?)?.as_ref())?,
        };
        let job = export::ExportJob {
            kind: self.kind,
            genome: self.genome_id().map(str::to_owned),
            extended_genome: self.extended.get().cloned(),
            genome_source: choice.map(|c| (c.source.code(), c.source.to_string())),
            genome_notices: choice.map(|c| c.notices.clone()).unwrap_or_default(),
            flank: self.flank,
            filter: self.filter.clone(),
            options: self.options.clone(),
            choices: self.choices.clone(),
            columns: !self.links_only,
            plain_file: self
                .source
                .local_path
                .clone()
                .filter(|path| !formats::is_compressed_file(path)),
            threads: stretches::threads(),
            order: match &triage.sort {
                None => None,
                Some(_) => Some(self.sorted_order(&triage)?),
            },
            format,
            name: self.source.export_name.clone(),
            session: self.session_spec(),
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
    triage: &'s Triage,
    relay: RowLink,
    /// Rows on a sequence only the file lists: no `genome` on their links.
    plain_relay: RowLink,
    checks_chromosomes: bool,
    hidden_columns: usize,
    columns: Vec<String>,
    contigs: Vec<(String, Option<u64>)>,
    rows: Rows<'s, 's>,
}

impl PageRows<'_, '_> {
    /// Adds what the stream says about itself to the page: its columns, and
    /// notices for what was not checked or not shown.
    pub fn describe(&self, model: &mut PageModel) {
        model.columns = self.columns.clone();
        model.column_titles = self
            .columns
            .iter()
            .map(|c| self.triage.column_title(c))
            .collect();
        model.unchecked = !self.checks_chromosomes;
        if self.hidden_columns > 0 {
            // Wide files are cut to bound memory (formats::bounds); say so.
            model.notices.push(format!(
                "{} more columns (or samples) are not shown here; download the file to see them{}.",
                self.hidden_columns,
                if self.triage.header.is_some() {
                    ", or choose samples with the column picker"
                } else {
                    ""
                }
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
            triage,
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
            .map(|row| to_page_row(view, triage, &relay, &plain_relay, row))
            .collect();
        Ok((rows, page.has_next))
    }

    fn page_row(&self, row: Row) -> PageRow {
        to_page_row(self.view, self.triage, &self.relay, &self.plain_relay, row)
    }
}

fn to_page_row(
    view: &FileView<'_>,
    triage: &Triage,
    relay: &RowLink,
    plain: &RowLink,
    mut row: Row,
) -> PageRow {
    if row.raw.is_none() {
        row.cells = triage.cells(row.cells, row.values.as_ref());
    }
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
                // A row link that loads the file already is "load + go".
                load_go_url: if view.rows_load() {
                    None
                } else if own {
                    view.load_link_with(Some(&locus), None)
                } else {
                    view.load_link(Some(&locus))
                },
                reads_url: view.reads_link(&loci),
                igv_web_url: None,
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
            reads_url: None,
            igv_web_url: None,
            error: Some(e),
        },
    }
}

/// What a background tally needs, owned.
struct TallyJob {
    path: PathBuf,
    kind: FormatKind,
    options: FormatOptions,
    filter: RowFilter,
    /// What loci are checked against, for the refusal counts.
    genome: Option<Genome>,
    flank: u64,
    loci_rules: LociRules,
    /// Threads a large plain file is counted on ([`stretches::threads`]).
    threads: usize,
}

impl TallyJob {
    /// One pass over the view: counts and bins every record, and fills the
    /// page index on the way. A large plain file is read in stretches on
    /// every core ([`stretches`]), with the same counts and positions.
    fn count(self) -> std::io::Result<Tally> {
        let stretched = self.threads > 1
            && !formats::is_compressed_file(&self.path)
            && std::fs::metadata(&self.path).is_ok_and(|m| m.len() >= MIN_STRETCHED_BYTES);
        // As an export: no cells, and (on one thread) the file read on a
        // second thread.
        let options = FormatOptions {
            cells: false,
            read_ahead: !stretched,
            ..self.options.clone()
        };
        let mut stream = formats::open(
            self.kind,
            open_path(&self.path).map_err(std::io::Error::other)?,
            &options,
        )
        .map_err(std::io::Error::other)?;
        let seekable = SeekableFile::new(&self.path, self.kind, &self.options);
        if stretched && let (Some(from), Some(file)) = (stream.position(), seekable.clone()) {
            drop(stream);
            return self.count_in_stretches(from, file, &options);
        }
        let resolver = LocusResolver::new(
            self.genome.as_ref(),
            stream.as_ref(),
            self.flank,
            self.loci_rules,
        );
        let mut rows = Rows::new(stream.as_mut(), resolver, self.filter).with_index(seekable);
        let mut tally = Tally::default();
        while let Some(row) = rows.next_row()? {
            tally.add(row.interval.as_ref(), row.filter_failed);
            if let Err(why) = &row.loci {
                tally.refused.add(why);
            }
        }
        Ok(tally)
    }

    /// [`TallyJob::count`] of a plain file from `from` (where its records
    /// start) in stretches: each stretch is counted apart, with where the
    /// stream stood after each of its rows, and the parts are merged in file
    /// order, the positions handed to the page index as one pass would have.
    fn count_in_stretches(
        &self,
        from: StreamPosition,
        file: SeekableFile,
        options: &FormatOptions,
    ) -> std::io::Result<Tally> {
        let mut index = IndexWriter::new(file, &self.filter);
        let mut tally = Tally::default();
        let mut rows_before = 0u64;
        stretches::in_order(
            self.threads,
            Cutter::new(&self.path, from, STRETCH_BYTES)?,
            || stretches::header_stream(self.kind, &self.path, options),
            |stream, stretch: Stretch| {
                stream.resume(stretch.open(&self.path)?, stretch.position())?;
                let resolver = LocusResolver::new(
                    self.genome.as_ref(),
                    stream.as_ref(),
                    self.flank,
                    self.loci_rules,
                );
                let mut rows = Rows::new(stream.as_mut(), resolver, self.filter.clone());
                let mut part = Tally::default();
                let mut after = Vec::new();
                while let Some(row) = rows.next_row()? {
                    part.add(row.interval.as_ref(), row.filter_failed);
                    if let Err(why) = &row.loci {
                        part.refused.add(why);
                    }
                    if let Some(at) = rows.position() {
                        after.push((part.records, at));
                    }
                }
                Ok((part, after))
            },
            |(part, after)| {
                for (rows, at) in after {
                    index.after(rows_before + rows, at);
                }
                rows_before += part.records;
                tally.merge(part);
                Ok(())
            },
        )?;
        Ok(tally)
    }
}

fn open_path(path: &Path) -> Result<Box<dyn BufRead + Send>, AppError> {
    let file = std::fs::File::open(path).map_err(|e| AppError::NotFound(e.to_string()))?;
    Ok(Box::new(std::io::BufReader::with_capacity(64 * 1024, file)))
}

/// `?region=chr7:140000000-141000000`: the records overlapping it.
fn parse_region(text: &str) -> Result<Interval, AppError> {
    let locus = Locus::parse(text).map_err(|e| AppError::invalid("region", text, e))?;
    let (start, end) = locus
        .bounds()
        .ok_or_else(|| AppError::invalid("region", text, "expected chr:start-end"))?;
    Ok(Interval::new(locus.chrom().as_str(), start, end))
}

impl OverviewLinks for FileView<'_> {
    fn relay(&self, chrom: &str, start: u64, end: u64) -> String {
        self.row_relay(self.genome_id())
            .to(&format!("{chrom}:{start}-{end}"))
    }

    fn filter_region(&self, chrom: &str, start: u64, end: u64) -> String {
        self.filtered_link(
            &[("region", format!("{chrom}:{start}-{end}"))],
            &["region", "chrom"],
        )
    }

    fn filter_chrom(&self, chrom: &str) -> String {
        self.filtered_link(&[("chrom", chrom.to_owned())], &["region", "chrom"])
    }
}

impl FileView<'_> {
    /// This view's page 1 with `set` replacing the keys in `drop`.
    fn filtered_link(&self, set: &[(&'static str, String)], drop: &[&str]) -> String {
        let Some(page_url) = &self.source.page_url else {
            return String::new();
        };
        let mut q = self.source.fixed_query.clone();
        q.extend(
            self.sticky
                .iter()
                .filter(|(k, _)| !drop.contains(k))
                .cloned(),
        );
        q.extend(set.iter().cloned());
        with_query(page_url.clone(), &q)
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

    /// Adds another part of the same view's counts.
    pub fn merge(&mut self, other: &RefusalCounts) {
        self.beyond_end += other.beyond_end;
        self.unknown_sequence += other.unknown_sequence;
        self.malformed += other.malformed;
        self.other += other.other;
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

/// What unit tests of pages and exports build a [`PageContext`] from: the
/// built-in defaults, served at `https://lab.example/igv/`.
#[cfg(test)]
pub(crate) struct TestContext {
    genomes: GenomeRegistry,
    urls: ServiceUrls,
    igv: IgvTarget,
    igv_web: Url,
}

#[cfg(test)]
impl TestContext {
    pub(crate) fn new() -> Self {
        let settings = crate::configuration::Settings::load_with_env(
            None,
            Some(std::collections::BTreeMap::new()),
        )
        .unwrap();
        Self {
            genomes: GenomeRegistry::from_settings(&settings).unwrap(),
            urls: ServiceUrls::new(Url::parse("https://lab.example/igv/").unwrap()),
            igv: IgvTarget::new("127.0.0.1", crate::domain::igv::IgvPort::DEFAULT).unwrap(),
            igv_web: Url::parse("https://igv.org/app/").unwrap(),
        }
    }

    pub(crate) fn ctx(&self) -> PageContext<'_> {
        PageContext {
            genomes: &self.genomes,
            urls: &self.urls,
            igv: &self.igv,
            igv_web: &self.igv_web,
            loci_rules: LociRules::default(),
            default_flank: 0,
            decompression: crate::formats::DEFAULT_DECOMPRESSION_LIMITS,
        }
    }
}

/// A VCF of about 10 MB (more than [`MIN_STRETCHED_BYTES`]) with what a
/// pass in stretches could get wrong: malformed lines, a line over the
/// length limit, rows the genome refuses, blank and stray header lines,
/// annotations to filter on, no final newline. Returns the file and how many
/// records, malformed lines and long lines it has.
#[cfg(test)]
pub(crate) fn large_test_vcf() -> (tempfile::NamedTempFile, [usize; 3]) {
    use std::io::Write as _;
    let mut f = tempfile::NamedTempFile::new().unwrap();
    let mut text = String::from(
        "##fileformat=VCFv4.2\n\
         ##INFO=<ID=DP,Number=1,Type=Integer,Description=\"Depth\">\n\
         ##INFO=<ID=CSQ,Number=.,Type=String,Description=\"VEP. Format: Allele|Consequence|IMPACT|SYMBOL\">\n\
         #CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n",
    );
    let (mut malformed, mut long) = (0, 0);
    for i in 0..100_000u64 {
        let chrom = ["chr1", "chr2", "chrUn_x", "chr7"][(i % 4) as usize];
        let impact = if i % 50 == 0 {
            "stop_gained|HIGH"
        } else {
            "intron_variant|MODIFIER"
        };
        let filter = if i % 3 == 0 { "PASS" } else { "q10" };
        match i % 997 {
            5 => {
                text.push_str("chr1\tnot-a-position\t.\tA\tT\t.\tPASS\t.\n");
                malformed += 1;
            }
            6 => text.push('\n'),
            7 => text.push_str("##stray header line\n"),
            8 if i < 2_000 => {
                text.push_str("chr1\t5\tlong\tA\t");
                text.push_str(&"T".repeat(1_100_000));
                text.push_str("\t.\tPASS\t.\n");
                long += 1;
            }
            _ => {}
        }
        text.push_str(&format!(
            "{chrom}\t{}\tid{i}\tA\tT\t{}\t{filter}\tDP={};CSQ=T|{impact}|GENE{}\n",
            1000 + i * 7,
            i % 90,
            i % 40,
            i % 13
        ));
    }
    text.push_str("chr2\t77\tlast\tA\tG\t.\tPASS\t.");
    f.write_all(text.as_bytes()).unwrap();
    assert!(text.len() as u64 > MIN_STRETCHED_BYTES);
    (f, [100_001, malformed, long])
}

#[cfg(test)]
mod tally_tests {
    use super::*;
    use crate::domain::request::Query;

    #[test]
    fn a_count_in_stretches_gives_the_tally_and_page_index_of_one_pass() {
        let (file, _) = large_test_vcf();
        let test = TestContext::new();
        let ctx = test.ctx();
        let genome = ctx.genomes.get("hg38").ok().cloned();
        let stream = formats::open(
            FormatKind::Vcf,
            open_path(file.path()).unwrap(),
            &FormatOptions::default(),
        )
        .unwrap();
        let query = Query::parse("where=Impact%3DHIGH").unwrap();
        let triage =
            Triage::resolve(&TriageChoices::from_query(&query).unwrap(), stream.as_ref()).unwrap();
        let filters = [
            RowFilter::default(),
            RowFilter {
                predicate: triage.predicate(false),
                ..RowFilter::default()
            },
        ];
        for filter in filters {
            let job = |threads: usize| TallyJob {
                path: file.path().to_path_buf(),
                kind: FormatKind::Vcf,
                options: FormatOptions::default(),
                filter: filter.clone(),
                genome: genome.clone(),
                flank: 0,
                loci_rules: LociRules::default(),
                threads,
            };
            let remembered = crate::linkpage::PageIndex::remembered();
            let stretched = job(3).count().unwrap();
            assert!(
                crate::linkpage::PageIndex::remembered() > remembered,
                "the stretched count filled the page index"
            );
            let one = job(1).count().unwrap();
            assert_eq!(stretched, one, "{filter:?}");
            assert!(one.records > 1_000 && one.refused.unknown_sequence > 0);

            // A deep page read from the positions the stretched count left
            // is the page a read from the file's start gives.
            let page = |indexed: bool| {
                let mut stream = formats::open(
                    FormatKind::Vcf,
                    open_path(file.path()).unwrap(),
                    &FormatOptions::default(),
                )
                .unwrap();
                let resolver =
                    LocusResolver::new(genome.as_ref(), stream.as_ref(), 0, LociRules::default());
                let seekable = indexed
                    .then(|| {
                        SeekableFile::new(file.path(), FormatKind::Vcf, &FormatOptions::default())
                    })
                    .flatten();
                let rows =
                    Rows::new(stream.as_mut(), resolver, filter.clone()).with_index(seekable);
                let last = one.records.div_ceil(100);
                rows.page(last - 1, 100)
                    .unwrap()
                    .rows
                    .iter()
                    .map(|r| (r.line, r.label.clone()))
                    .collect::<Vec<_>>()
            };
            let deep = page(true);
            assert_eq!(deep.len(), 100);
            assert_eq!(deep, page(false));
        }
    }
}

#[cfg(test)]
mod reads_tests {
    use super::*;

    #[test]
    fn each_row_of_a_view_with_reads_links_to_reads_sorted_at_its_first_base() {
        let test = TestContext::new();
        let ctx = test.ctx();
        let genomes = ctx.genomes;
        let view = FileView::new(
            ctx,
            FormatKind::Vcf,
            genomes.get("hg38").ok(),
            0,
            RowFilter::default(),
            FormatOptions::default(),
            Source::default(),
        )
        .with_reads(Some(ReadsSource {
            file_url: "https://lab.example/igv/raw/run/tumour.bam".into(),
            index_url: Some("https://lab.example/igv/raw/run/tumour.bam.bai".into()),
            name: "tumour.bam".into(),
        }));
        let vcf = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n\
                   chr7\t140753336\tsnv\tA\tT\t.\tPASS\t.\n\
                   chr7\t140753400\tdel\tACGT\tA\t.\tPASS\t.\n";
        let mut stream = view
            .open(Box::new(std::io::Cursor::new(vcf.as_bytes().to_vec())))
            .unwrap();
        let triage = view.triage(stream.as_ref()).unwrap();
        let (rows, _) = view
            .rows(stream.as_mut(), &triage)
            .page(
                Paging {
                    page: 1,
                    per_page: 10,
                },
                None,
            )
            .unwrap();
        let links: Vec<Vec<(String, String)>> = rows
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
            rows[0]
                .reads_url
                .as_deref()
                .unwrap()
                .starts_with("https://lab.example/igv/igv/load?")
        );
    }
}
