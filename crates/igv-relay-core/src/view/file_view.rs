//! One result file seen through one view: the genome decided from what was
//! asked and what the file's header says, the reading options, the links
//! every output of the view shares, and the view's rows opened for a
//! purpose (a page, an export, a count, sort keys).

use std::io::{BufRead, Read};
use std::path::Path;

use super::triage::Triage;
use super::{ReadsSource, Source, ViewContext, ViewSpec};
use crate::domain::assembly::{self, GenomeChoice, GenomeEvidence, GenomeRequest};
use crate::domain::genome::{Genome, GenomeId};
use crate::domain::igv::TRACK_FORMATS;
use crate::domain::igvjs::ResolvedIgvJsGenome;
use crate::domain::loci::Loci;
use crate::domain::locus::Locus;
use crate::domain::view::BasePosition;
use crate::error::CoreError;
use crate::formats::{self, FormatKind, FormatOptions};
use crate::links::igv_web::{self, Viewer, ViewerPanel, WebTrack};
use crate::links::{LoadLink, RowLink};
use crate::rows::stretches::{self, StretchedFile, Text};
use crate::rows::{ReadRules, RowReader, RowsKey, SeekableFile};

/// How much of a file's start a view reads to decide its genome: the whole
/// header of all but the largest files (a GATK hg38 VCF header is 250 KiB of text,
/// a few dozen KiB compressed).
pub const EVIDENCE_PREFIX_BYTES: u64 = 2 << 20;

/// Opens the file's bytes when (and only if) the view needs them.
pub type OpenInput<'o> = Box<dyn FnOnce() -> Result<Box<dyn BufRead + Send>, CoreError> + 'o>;

/// What a view's rows are read for: it decides what records carry (cells,
/// VCF values) and how the file is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// Rows as a page shows them: cells, and the values annotations need.
    Page,
    /// Every row of an export: cells only when its columns are written, and
    /// the file inflated ahead on a second thread (exports read it all).
    Export { columns: bool },
    /// Counts and the overview: no cells, no values.
    Count,
    /// Sort keys: the stream's own cells (VCF: its values), loci not
    /// checked against a genome.
    SortKeys,
}

/// A view's rows opened from its file: the reader, and the view's choices
/// as checked against the file's header.
pub struct OpenRows<'v> {
    pub reader: RowReader<'v>,
    pub triage: Triage,
}

/// The genome a view uses, once the file's header decided it.
struct Decided<'a> {
    evidence: GenomeEvidence,
    choice: GenomeChoice<'a>,
    /// The chosen genome with the file's own sequences it lacks
    /// ([`GenomeChoice::extra`]), when there are any.
    extended: Option<Genome>,
}

/// One file seen through one view (see the module comment).
pub struct FileView<'a> {
    pub ctx: ViewContext<'a>,
    pub kind: FormatKind,
    pub spec: ViewSpec,
    pub source: Source,
    /// How the file is read: the source's options, the view's layout and
    /// columns, the operator's decompression limits.
    options: FormatOptions,
    request: GenomeRequest<'a>,
    decided: Option<Decided<'a>>,
}

impl<'a> FileView<'a> {
    /// The view `spec` of the file `source` names. The genome ids of the
    /// spec must be known (the web layer checks them, naming the parameter).
    pub fn new(
        ctx: ViewContext<'a>,
        kind: FormatKind,
        mut spec: ViewSpec,
        source: Source,
    ) -> Result<Self, CoreError> {
        // GWAS summary statistics are read for their strongest associations.
        if kind == FormatKind::Gwas && spec.choices.sort_text.is_none() {
            spec.choices.sort_text = Some(formats::GWAS_DEFAULT_SORT.to_owned());
        }
        let lookup = |id: &GenomeId| {
            ctx.genomes
                .get(id.as_str())
                .map_err(|e| CoreError::choice("genome", id.as_str(), e))
        };
        let request = GenomeRequest {
            explicit: spec.genome.explicit.as_ref().map(lookup).transpose()?,
            default: match &spec.genome.default {
                Some((id, kind)) => Some((lookup(id)?, *kind)),
                None => None,
            },
        };
        let options = FormatOptions {
            // The operator's limit, whatever the source suggested.
            decompression: ctx.decompression,
            ..spec
                .choices
                .format_options(spec.layout.over(source.options.clone()))
        };
        Ok(Self {
            ctx,
            kind,
            spec,
            source,
            options,
            request,
            decided: None,
        })
    }

    /// How the file is read for pages (exports and counts change what
    /// records carry, see [`Purpose`]).
    pub fn options(&self) -> &FormatOptions {
        &self.options
    }

    /// The genome loci are checked against: the one the file's header
    /// decided ([`FileView::decide`]), or before that the one asked for.
    pub fn genome(&self) -> Option<&Genome> {
        match &self.decided {
            Some(Decided {
                extended: Some(extended),
                ..
            }) => Some(extended),
            Some(decided) => decided.choice.genome,
            None => self
                .request
                .explicit
                .or(self.request.default.map(|(g, _)| g)),
        }
    }

    pub fn genome_id(&self) -> Option<&str> {
        self.genome().map(|g| g.id().as_str())
    }

    /// What was decided about the genome, once the header was read.
    pub fn genome_choice(&self) -> Option<&GenomeChoice<'a>> {
        self.decided.as_ref().map(|d| &d.choice)
    }

    /// What the header said about the genome, once it was read.
    pub fn evidence(&self) -> Option<&GenomeEvidence> {
        self.decided.as_ref().map(|d| &d.evidence)
    }

    /// Decides the genome from what was asked and what the file's header
    /// says (`domain::assembly::choose`), reading the first bytes of
    /// `input`, and gives the whole input back. Only the first call decides.
    pub fn decide(
        &mut self,
        input: Box<dyn BufRead + Send>,
    ) -> Result<Box<dyn BufRead + Send>, CoreError> {
        if self.decided.is_some() {
            return Ok(input);
        }
        let mut input = input;
        let mut prefix = Vec::new();
        (&mut input)
            .take(EVIDENCE_PREFIX_BYTES)
            .read_to_end(&mut prefix)
            .map_err(|e| self.read_error(e))?;
        let mut evidence =
            formats::evidence_from_prefix(self.kind, &prefix, self.options.decompression);
        if let Some(path) = self.source.local_path.as_deref()
            && evidence.from_records_only()
            && let Some(indexed) = formats::indexed_sequences(path, self.kind)
        {
            evidence.add_indexed(indexed.into_iter().map(|s| (s.name, s.reaches)));
        }
        self.decide_from(evidence);
        Ok(Box::new(std::io::Cursor::new(prefix).chain(input)))
    }

    /// Decides the genome from a header's evidence read before (an export's
    /// writer thread decides again what the request decided).
    pub fn decide_from(&mut self, evidence: GenomeEvidence) {
        let known: Vec<&'a Genome> = self.ctx.genomes.all().collect();
        let mut choice = assembly::choose(self.request, &evidence, &known);
        if let Some(note) = gene_table_note(self.kind, choice.genome) {
            choice.notices.push(note);
        }
        let extended = match choice.genome {
            Some(genome) if !choice.extra.is_empty() => {
                Some(genome.with_sequences(choice.extra.iter().cloned()))
            }
            _ => None,
        };
        self.decided = Some(Decided {
            evidence,
            choice,
            extended,
        });
    }

    /// The reading options for `purpose`; `read_ahead` inflates on a second
    /// thread.
    pub fn read_options(&self, purpose: Purpose, read_ahead: bool) -> FormatOptions {
        let cells = match purpose {
            Purpose::Page => self.options.cells,
            Purpose::Export { columns } => columns,
            Purpose::Count => false,
            // VCF keys come from the record's values; other formats' from cells.
            Purpose::SortKeys => self.kind != FormatKind::Vcf,
        };
        FormatOptions {
            cells,
            read_ahead,
            ..self.options.clone()
        }
    }

    /// The rules rows are read by for `purpose`, with `triage`'s conditions.
    pub fn rules(&self, purpose: Purpose, triage: &Triage) -> ReadRules<'_> {
        let sorting = purpose == Purpose::SortKeys;
        let values = match purpose {
            Purpose::Page => triage.wants_values(),
            Purpose::Export { columns } => columns && triage.wants_values(),
            Purpose::Count => false,
            Purpose::SortKeys => triage.header.is_some(),
        };
        ReadRules {
            filters: self.spec.filters.clone(),
            predicate: triage.predicate(self.spec.filters.query.is_some()),
            genome: if sorting { None } else { self.genome() },
            flank: if sorting { 0 } else { self.spec.flank },
            loci: self.ctx.loci_rules,
            values: values.then(|| triage.value_samples()),
        }
    }

    /// The view's rows from `input`, for `purpose`; `read_ahead` inflates
    /// on a second thread. Decide the genome first ([`FileView::decide`]):
    /// until then loci are checked against the genome asked for.
    pub fn open(
        &self,
        purpose: Purpose,
        read_ahead: bool,
        input: Box<dyn BufRead + Send>,
    ) -> Result<OpenRows<'_>, CoreError> {
        self.check_gene_annotation(purpose)?;
        let stream = formats::open(self.kind, input, &self.read_options(purpose, read_ahead))
            .map_err(|e| self.header_error(e))?;
        let triage = Triage::resolve(&self.spec.choices, stream.as_ref())?;
        let reader = RowReader::new(stream, self.rules(purpose, &triage));
        Ok(OpenRows { reader, triage })
    }

    /// A reader of the plain file at `path` with only its header read, for
    /// a worker of a read in stretches ([`crate::rows::read_in_stretches`]).
    pub fn open_header(
        &self,
        purpose: Purpose,
        path: &Path,
        triage: &Triage,
    ) -> std::io::Result<RowReader<'_>> {
        let stream = stretches::header_stream(self.kind, path, &self.read_options(purpose, false))?;
        Ok(RowReader::new(stream, self.rules(purpose, triage)))
    }

    /// The local file, where its records start and how its text is read,
    /// when a read of the whole view is worth doing in stretches on several
    /// threads: a plain or BGZF file with text enough, a stream that can
    /// resume part-way, and more than one core. A plain gzip file has no
    /// places to start inflating at but its start, and is read on one.
    pub fn stretched_file(
        &self,
        reader: &RowReader<'_>,
        threads: usize,
    ) -> Option<StretchedFile<'_>> {
        let path = self.source.local_path.as_deref()?;
        let from = reader.position()?;
        if threads < 2 {
            return None;
        }
        let (len, text) = if formats::is_compressed_file(path) {
            let len = formats::bgzf_inflated_len(path).ok()??;
            let text = Text::Bgzf {
                limits: self.options.decompression,
                keep: self.options.max_line_bytes + 1,
            };
            (len, text)
        } else {
            (std::fs::metadata(path).ok()?.len(), Text::Plain)
        };
        (len.saturating_sub(from.offset) >= stretches::MIN_STRETCHED_BYTES)
            .then_some(StretchedFile { path, from, text })
    }

    /// Which rows of the file the view keeps, for the page index and the
    /// caches.
    pub fn rows_key(&self) -> RowsKey {
        RowsKey::new(
            self.kind,
            &self.options,
            &self.spec.filters,
            self.spec.choices.where_text.as_deref(),
        )
    }

    /// The file, when later reads can start part-way through it.
    pub fn seekable(&self) -> Option<SeekableFile> {
        match (&self.source.local_path, &self.source.remote) {
            (Some(path), _) => SeekableFile::local(path, self.options.decompression),
            (None, Some(remote)) => Some(SeekableFile::remote(remote, self.options.decompression)),
            (None, None) => None,
        }
    }

    /// The file again from its first byte, for a second pass (sorting): a
    /// file in a data root, or a Galaxy dataset (read with Range requests,
    /// or streamed again when Galaxy ignores them).
    pub fn reread(&self) -> Result<Box<dyn BufRead + Send>, CoreError> {
        match (&self.source.local_path, &self.source.remote) {
            (Some(path), _) => {
                let file =
                    std::fs::File::open(path).map_err(|e| CoreError::NotFound(e.to_string()))?;
                Ok(Box::new(std::io::BufReader::with_capacity(64 * 1024, file)))
            }
            (None, Some(remote)) => remote
                .reopen
                .reopen_at(0, self.options.decompression)
                .map_err(|e| self.read_error(e)),
            (None, None) => Err(CoreError::choice(
                "sort",
                self.spec.choices.sort_text.as_deref().unwrap_or(""),
                "sorting reads the file twice, which files in a data root and Galaxy \
                 datasets read with HTTP Range requests allow; this source can only be \
                 streamed once (a server that ignores Range, a compressed dataset, or \
                 a remote URL)",
            )),
        }
    }

    /// A header the format cannot read, with the file's name: the line and
    /// column are the format's to say, which file it is only the view knows.
    fn header_error(&self, e: formats::FormatError) -> CoreError {
        match e {
            formats::FormatError::Header { .. } | formats::FormatError::NoLocusColumns { .. } => {
                CoreError::Unreadable(format!("{}: {e}", self.source.name))
            }
            other => other.into(),
        }
    }

    /// A gene table's rows are linked through the genome's gene annotation:
    /// without one (or without a genome) there is nothing to link, which is
    /// said once for the file instead of on every row. Sort keys need none.
    fn check_gene_annotation(&self, purpose: Purpose) -> Result<(), CoreError> {
        if self.kind != FormatKind::GeneTable || purpose == Purpose::SortKeys {
            return Ok(());
        }
        match self.genome() {
            Some(genome) if genome.genes().is_some() => Ok(()),
            Some(genome) => Err(CoreError::Unreadable(format!(
                "{}: a gene table names genes, not loci, and genome {} has no gene annotation \
                 to look them up in: an administrator can name a GTF/GFF3 in \
                 genomes.{}.genes, or choose a genome that has one",
                self.source.name,
                genome.id(),
                genome.id()
            ))),
            None => Err(CoreError::Unreadable(format!(
                "{}: a gene table names genes, not loci, and no genome was chosen: choose a \
                 genome with a gene annotation (?genome=) to look the genes up in",
                self.source.name
            ))),
        }
    }

    /// The gene annotation a gene table's rows are resolved through.
    pub fn gene_annotation(&self) -> Option<&str> {
        (self.kind == FormatKind::GeneTable)
            .then(|| self.genome()?.genes().map(|g| g.source()))
            .flatten()
    }

    pub fn read_error(&self, e: std::io::Error) -> CoreError {
        CoreError::Unreadable(format!("reading {}: {e}", self.source.name))
    }
}

/// What a gene table's page says of how its genes were looked up: which
/// annotation (its file name, not the server's path), of which genome.
fn gene_table_note(kind: FormatKind, genome: Option<&Genome>) -> Option<String> {
    if kind != FormatKind::GeneTable {
        return None;
    }
    let genome = genome?;
    let index = genome.genes()?;
    let source = index.source();
    let name = source
        .rsplit(['/', '\\'])
        .next()
        .filter(|n| !n.is_empty())
        .unwrap_or(source);
    Some(format!(
        "Genes looked up by id or name in the gene annotation of {}: {name} ({} names); \
         rows whose gene it does not know, or knows as several genes, have no link",
        genome.id(),
        index.len()
    ))
}

/// The links every output of a view shares.
impl FileView<'_> {
    /// The relay link of each row of a page (and of each overview bar):
    /// with the view's genome, and without one for rows on a sequence only
    /// the file lists; the jump, or the idempotent load and jump when
    /// [`Self::rows_load`].
    pub fn row_links(&self) -> (RowLink, RowLink) {
        (self.row_relay(self.genome_id()), self.row_relay(None))
    }

    /// The relay link of each row of an export: the jump alone, with the
    /// view's genome, and without one for rows on a sequence only the file
    /// lists.
    pub fn export_row_links(&self) -> (RowLink, RowLink) {
        (
            self.ctx.urls.row_link(self.genome_id()),
            self.ctx.urls.row_link(None),
        )
    }

    /// The relay link of rows under `genome`.
    fn row_relay(&self, genome: Option<&str>) -> RowLink {
        match self.track(genome).filter(|_| self.rows_load()) {
            Some(track) => self.ctx.urls.row_load_link(&track),
            None => self.ctx.urls.row_link(genome),
        }
    }

    /// Whether row links load the file with the jump ([`Source::rows_load_file`]).
    pub fn rows_load(&self) -> bool {
        self.source.rows_load_file && self.track(None).is_some()
    }

    /// The genome without the file's own sequences, when the view added
    /// some: the relay checks against its own table, which lacks them.
    pub fn base_genome(&self) -> Option<&Genome> {
        let decided = self.decided.as_ref()?;
        decided.extended.as_ref()?;
        decided.choice.genome
    }

    /// Whether `loci` name a sequence only the file lists
    /// ([`GenomeChoice::extra`]): such a row's links carry no `genome` (the
    /// view has checked the locus already).
    pub fn on_file_sequence(&self, loci: &Loci) -> bool {
        self.base_genome().is_some_and(|base| {
            loci.as_slice()
                .iter()
                .any(|l| base.chromosome(l.chrom().as_str()).is_none())
        })
    }

    /// The relay link that loads the file in IGV (at `locus`, if given).
    pub fn load_link(&self, locus: Option<&str>) -> Option<String> {
        self.load_link_with(locus, self.genome_id())
    }

    pub fn load_link_with(&self, locus: Option<&str>, genome: Option<&str>) -> Option<String> {
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
            merge: None,
        })
    }

    /// The relay link that loads the paired reads, goes to the first base of
    /// `loci` and sorts the alignments by base there; for a split-screen row
    /// (a breakend and its mate, a BEDPE pair), the same load shows both
    /// loci side by side instead (IGV's `/load` takes the multi-locus string
    /// `/goto` takes; it sorts only at a single base, so none is asked).
    /// With several paired files, one `/load` names them all (the relay's
    /// `file` and `index` lists, space-separated); IGV then names each track
    /// after its file, since one `name` cannot name several.
    pub fn reads_link(&self, loci: &Loci) -> Option<String> {
        let reads = &self.source.reads;
        let first_reads = reads.first()?;
        let first = loci.as_slice().first()?;
        let files: Vec<&str> = reads.iter().map(|r| r.file_url.as_str()).collect();
        let files = files.join(" ");
        let indexes: Option<Vec<&str>> = reads.iter().map(|r| r.index_url.as_deref()).collect();
        let indexes = indexes.map(|i| i.join(" "));
        let link = LoadLink {
            file: &files,
            index: indexes.as_deref(),
            genome: self.genome_id(),
            name: (reads.len() == 1).then_some(first_reads.name.as_str()),
            ..LoadLink::default()
        };
        if loci.as_slice().len() > 1 {
            let both = loci.to_string();
            let link = LoadLink {
                locus: Some(&both),
                ..link
            };
            return Some(self.ctx.urls.load(&link).to_string());
        }
        let (start, _) = first.bounds()?;
        let base = Locus::from_interval(first.chrom().clone(), start, start).ok()?;
        let at = BasePosition::from_locus(&base).ok()?;
        Some(self.ctx.urls.reads_sorted_here(&link, &at).to_string())
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

    /// The paired reads as igv.js / IGV-Web tracks, named by sample.
    fn reads_tracks(&self) -> Vec<WebTrack> {
        self.source
            .reads
            .iter()
            .map(
                |ReadsSource {
                     file_url,
                     index_url,
                     name,
                     format,
                 }| WebTrack {
                    url: file_url.clone(),
                    index: index_url.clone(),
                    name: name.clone(),
                    format: Some((*format).to_owned()),
                },
            )
            .collect()
    }

    /// The file's track and the paired reads', for sessions and IGV-Web.
    pub fn web_tracks(&self) -> Vec<WebTrack> {
        self.web_track()
            .into_iter()
            .chain(self.reads_tracks())
            .collect()
    }

    /// The "View here" panel over the view's genome, or why there is none.
    pub fn viewer(&self, locus: Option<String>) -> Viewer {
        match self.igvjs_genome() {
            Some(genome) => Viewer::Ready(Box::new(ViewerPanel::new(
                self.ctx.urls.base(),
                &genome,
                self.web_track(),
                self.reads_tracks(),
                locus,
            ))),
            None => Viewer::Unavailable(igv_web::unavailable_reason(self.genome_id())),
        }
    }

    /// "Open in IGV-Web" for the file (at `locus`, if given).
    pub fn igv_web_link(&self, genome: &ResolvedIgvJsGenome, locus: Option<&str>) -> String {
        igv_web::igv_web_url(self.ctx.igv_web, genome, &self.web_tracks(), locus)
    }
}
