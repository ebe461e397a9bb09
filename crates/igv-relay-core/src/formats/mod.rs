//! Result files as one lazy stream of records.
//!
//! Every text format igv-relay can show as a table (VCF, the BED family, GFF3, GTF and
//! tabular files with locus columns) is read line by line into [`Item`]s behind the
//! [`RecordStream`] trait. Parsers are pure over `BufRead`, know nothing about HTTP, and
//! convert coordinates to 1-based inclusive in exactly one place per format:
//!
//! | format | in the file | converted in |
//! |---|---|---|
//! | VCF | 1-based `POS`, span from `REF`/`END`/`SVLEN` | `vcf::variant_span` |
//! | BED family, BEDPE | 0-based half-open | `bed::to_one_based` |
//! | GFF3, GTF | 1-based inclusive | `gff::to_interval` (as written) |
//! | tabular | sniffed or given ([`CoordBase`]) | `tabular::to_one_based` |
//! | MAF, ANNOVAR, GWAS, interval list | 1-based, named by the format | `tabular::to_one_based` (`dialects`) |
//! | SEG | 0-based start, as IGV reads it | `tabular::to_one_based` (`dialects`) |
//! | gene table (DESeq2, edgeR, limma, featureCounts) | none: a gene id or name | resolved by the row reader through the gene annotation (`gene_table`) |
//!
//! noodles types never leave this module.

mod bed;
mod bounds;
mod detect;
mod dialects;
mod evidence;
mod flank;
mod gene_table;
mod gff;
mod gtf;
mod hint;
mod index_evidence;
mod lines;
mod seek;
mod sv;
mod tabular;
mod vcf;
mod vcf_fields;

use std::io::{self, BufRead};

use serde::Serialize;

pub use self::bounds::{MAX_COLUMNS, MAX_FIELD_BYTES, MAX_ROW_TEXT_BYTES, MAX_SAMPLE_COLUMNS};
pub use self::detect::{detect, detect_declared, supported_formats};
pub use self::dialects::{GWAS_DEFAULT_SORT, MLOG10P_COLUMN, TUMOR_VAF_COLUMN};
pub use self::evidence::{MAX_EVIDENCE_BYTES, evidence_from_prefix, read_evidence, text_header};
pub use self::flank::{Flanks, GWAS_FLANK, MAX_GWAS_FLANK};
pub use self::gene_table::ROW_NAMES_COLUMN;
pub use self::hint::{LineHint, LineMatcher, NumberOp};
pub use self::index_evidence::{IndexedSequence, indexed_sequences};
pub use self::lines::{
    DecompressionLimits, RATIO_CHECK_AFTER_BYTES, decompress, decompress_with_limits,
    read_from_buffer,
};
pub use self::seek::{LocalFile, RemoteFile, Reopen, bgzf_inflated_len, inflate_bgzf, reopen_at};
pub use self::sv::{SizeSource, SvEvent, SvSize};
pub use self::vcf_fields::{FieldDef, VcfHeaderFields, VcfValues};

/// VCF samples shown when [`FormatOptions::samples`] names none: a cohort's
/// page shows the first few, and a picker offers the rest.
pub const DEFAULT_SAMPLE_COLUMNS: usize = 10;

/// Default for [`FormatOptions::max_line_bytes`]: 1 MiB.
pub const DEFAULT_MAX_LINE_BYTES: usize = 1 << 20;

/// INFO keys shown, if the header declares them, when [`FormatOptions::info_fields`] is
/// empty.
pub const DEFAULT_INFO_FIELDS: &[&str] = &["END", "SVTYPE", "SVLEN", "DP", "AF", "GENE"];

/// Default for [`FormatOptions::decompression`]: at most 1 GiB decompressed
/// per request, no ratio check (`limits.max_decompressed_bytes` and
/// `limits.max_compression_ratio` in the configuration). The ratio check is
/// off by default because GT-only cohort VCFs of thousands of mostly hom-ref
/// samples can legitimately compress several hundred times.
pub const DEFAULT_DECOMPRESSION_LIMITS: DecompressionLimits = DecompressionLimits {
    max_bytes: 1 << 30,
    max_ratio: 0,
};

/// The kinds of file igv-relay recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum FormatKind {
    Vcf,
    Bed,
    BedGraph,
    NarrowPeak,
    BroadPeak,
    Bedpe,
    Gff3,
    Gtf,
    Tabular,
    /// Mutation Annotation Format (GDC, vcf2maf): somatic calls, not alignments.
    Maf,
    /// ANNOVAR's `table_annovar.pl` output (`*_multianno.txt`).
    Annovar,
    /// Copy-number segments (`ID chrom loc.start loc.end num.mark seg.mean`).
    Seg,
    /// GWAS summary statistics (PLINK `CHR BP SNP P`, GWAS-SSF).
    Gwas,
    /// Picard/GATK interval list (`@HD`/`@SQ` header, then 1-based intervals).
    IntervalList,
    /// Gene-level results (DESeq2, edgeR, limma, featureCounts): a gene id
    /// or name per row, no coordinates.
    GeneTable,
    Bam,
    Cram,
    BigWig,
}

impl FormatKind {
    /// Every kind, in the order the "supported formats" page lists them.
    pub const ALL: [FormatKind; 18] = [
        FormatKind::Vcf,
        FormatKind::Bed,
        FormatKind::BedGraph,
        FormatKind::NarrowPeak,
        FormatKind::BroadPeak,
        FormatKind::Bedpe,
        FormatKind::Gff3,
        FormatKind::Gtf,
        FormatKind::Tabular,
        FormatKind::Maf,
        FormatKind::Annovar,
        FormatKind::Seg,
        FormatKind::Gwas,
        FormatKind::IntervalList,
        FormatKind::GeneTable,
        FormatKind::Bam,
        FormatKind::Cram,
        FormatKind::BigWig,
    ];

    /// The short name configuration uses for the kind (`views:` `formats:`).
    pub fn key(&self) -> &'static str {
        match self {
            FormatKind::Vcf => "vcf",
            FormatKind::Bed => "bed",
            FormatKind::BedGraph => "bedgraph",
            FormatKind::NarrowPeak => "narrowpeak",
            FormatKind::BroadPeak => "broadpeak",
            FormatKind::Bedpe => "bedpe",
            FormatKind::Gff3 => "gff3",
            FormatKind::Gtf => "gtf",
            FormatKind::Tabular => "tabular",
            FormatKind::Maf => "maf",
            FormatKind::Annovar => "annovar",
            FormatKind::Seg => "seg",
            FormatKind::Gwas => "gwas",
            FormatKind::IntervalList => "interval_list",
            FormatKind::GeneTable => "gene_table",
            FormatKind::Bam => "bam",
            FormatKind::Cram => "cram",
            FormatKind::BigWig => "bigwig",
        }
    }

    /// The kind [`Self::key`] names (any case).
    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.key().eq_ignore_ascii_case(key.trim()))
    }

    /// The columns every file of the kind has, whatever the file: what a
    /// configured view can be checked against before any file is read.
    /// `None` when the columns come from each file (VCF INFO keys, tabular
    /// headers) or the kind has no rows.
    pub fn fixed_columns(&self) -> Option<&'static [&'static str]> {
        match self {
            FormatKind::Bed => Some(&bed::BED12_COLUMNS),
            FormatKind::BedGraph => Some(&bed::BEDGRAPH_COLUMNS),
            FormatKind::NarrowPeak | FormatKind::BroadPeak => Some(&bed::NARROWPEAK_COLUMNS),
            FormatKind::Bedpe => Some(&bed::BEDPE_COLUMNS),
            FormatKind::Gff3 => Some(&gff::COLUMNS),
            FormatKind::Gtf => Some(&gtf::COLUMNS),
            _ => None,
        }
    }

    /// Examples for a page's conditions and sort boxes, in the kind's own
    /// column names (placeholders, never applied).
    pub fn filter_examples(&self) -> (&'static str, &'static str) {
        match self {
            FormatKind::Vcf => ("AF<0.01; DP>=20; Impact=HIGH", "-QUAL"),
            FormatKind::Bed | FormatKind::Bedpe => ("score>=500; strand=+", "-score"),
            FormatKind::BedGraph => ("value>=1", "-value"),
            FormatKind::NarrowPeak | FormatKind::BroadPeak => {
                ("signalValue>=10; qValue>=2", "-signalValue")
            }
            FormatKind::Gff3 => ("type=gene; Name~BRCA", "start"),
            FormatKind::Gtf => ("type=exon; gene_name=TP53", "start"),
            FormatKind::Maf => (
                "tumor_vaf>=0.1; Variant_Classification=Missense_Mutation",
                "-tumor_vaf",
            ),
            FormatKind::Annovar => (
                "Func.refGene=exonic; ExonicFunc.refGene~nonsynonymous",
                "Gene.refGene",
            ),
            FormatKind::Seg => ("seg.mean<=-0.3", "seg.mean"),
            FormatKind::Gwas => ("P<5e-8", "P"),
            FormatKind::IntervalList => ("strand=+; name~exon", "start"),
            FormatKind::GeneTable => ("padj<0.05; log2FoldChange>=1", "padj"),
            FormatKind::Tabular | FormatKind::Bam | FormatKind::Cram | FormatKind::BigWig => {
                ("COLUMN>=VALUE; COLUMN~text", "-COLUMN")
            }
        }
    }

    /// The name a biologist knows the format by.
    pub fn name(&self) -> &'static str {
        match self {
            FormatKind::Vcf => "VCF",
            FormatKind::Bed => "BED",
            FormatKind::BedGraph => "bedGraph",
            FormatKind::NarrowPeak => "narrowPeak",
            FormatKind::BroadPeak => "broadPeak",
            FormatKind::Bedpe => "BEDPE",
            FormatKind::Gff3 => "GFF3",
            FormatKind::Gtf => "GTF",
            FormatKind::Tabular => "tabular",
            FormatKind::Maf => "MAF",
            FormatKind::Annovar => "ANNOVAR",
            FormatKind::Seg => "SEG",
            FormatKind::Gwas => "GWAS summary statistics",
            FormatKind::IntervalList => "interval list",
            FormatKind::GeneTable => "gene table",
            FormatKind::Bam => "BAM",
            FormatKind::Cram => "CRAM",
            FormatKind::BigWig => "bigWig",
        }
    }

    /// Whether the file is text with one record per line that [`open`] can show.
    /// `false` for the binary formats, which are only loaded into IGV.
    pub fn has_rows(&self) -> bool {
        !matches!(
            self,
            FormatKind::Bam | FormatKind::Cram | FormatKind::BigWig
        )
    }

    /// Suffixes of the index files IGV looks for next to a file of this kind
    /// (`sample.bam` + `.bai` -> `sample.bam.bai`). For the text formats they apply
    /// only to a bgzipped file (`calls.vcf.gz.tbi`); bigWig carries its own index.
    pub fn index_suffixes(&self) -> &'static [&'static str] {
        match self {
            FormatKind::Bam => &[".bai", ".csi"],
            FormatKind::Cram => &[".crai"],
            FormatKind::Vcf
            | FormatKind::Bed
            | FormatKind::BedGraph
            | FormatKind::NarrowPeak
            | FormatKind::BroadPeak
            | FormatKind::Gff3
            | FormatKind::Gtf => &[".tbi", ".csi"],
            FormatKind::Bedpe
            | FormatKind::Tabular
            | FormatKind::Maf
            | FormatKind::Annovar
            | FormatKind::Seg
            | FormatKind::Gwas
            | FormatKind::IntervalList
            | FormatKind::GeneTable
            | FormatKind::BigWig => &[],
        }
    }

    /// The `format` IGV expects when told to load such a file, if IGV can load it.
    /// Tabular files have no IGV track format (IGV only navigates to their loci);
    /// IGV takes `.maf` for multiple alignments as well as mutations, and reads
    /// neither ANNOVAR tables nor interval lists, so those are only navigated to.
    pub fn igv_format(&self) -> Option<&'static str> {
        match self {
            FormatKind::Vcf => Some("vcf"),
            FormatKind::Bed => Some("bed"),
            FormatKind::BedGraph => Some("bedgraph"),
            FormatKind::NarrowPeak => Some("narrowpeak"),
            FormatKind::BroadPeak => Some("broadpeak"),
            FormatKind::Bedpe => Some("bedpe"),
            FormatKind::Gff3 => Some("gff3"),
            FormatKind::Gtf => Some("gtf"),
            FormatKind::Tabular
            | FormatKind::Maf
            | FormatKind::Annovar
            | FormatKind::IntervalList
            | FormatKind::GeneTable => None,
            FormatKind::Seg => Some("seg"),
            FormatKind::Gwas => Some("gwas"),
            FormatKind::Bam => Some("bam"),
            FormatKind::Cram => Some("cram"),
            FormatKind::BigWig => Some("bigwig"),
        }
    }
}

impl std::fmt::Display for FormatKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// How the numbers in a file's start column are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum CoordBase {
    /// 0-based half-open, as in BED (`start + 1 ..= end` in 1-based terms).
    Zero,
    /// 1-based inclusive, as in VCF and GFF.
    One,
}

/// Knobs for [`open`]. `FormatOptions::default()` is right for most files.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FormatOptions {
    /// Tabular files only: override the sniffed coordinate base. BED and GFF are fixed by
    /// their specifications and ignore this.
    pub coords: Option<CoordBase>,
    /// Tabular files only: Galaxy interval metadata (`metadata_chromCol`, ...), 1-based
    /// column numbers. When given they win over header sniffing, and starts are read as
    /// 0-based like Galaxy's interval datatype unless `coords` says otherwise.
    pub chrom_col: Option<usize>,
    pub start_col: Option<usize>,
    pub end_col: Option<usize>,
    /// VCF INFO keys shown as columns; empty means those of [`DEFAULT_INFO_FIELDS`] the
    /// header declares (all of them when it declares no INFO at all).
    pub info_fields: Vec<String>,
    /// VCF FORMAT keys shown for each sample, `:`-joined in the sample's cell;
    /// empty means GT alone.
    pub format_fields: Vec<String>,
    /// VCF samples shown as columns, by name; empty means the first
    /// [`DEFAULT_SAMPLE_COLUMNS`]. Names the header lacks are left out (the
    /// caller checks them against [`RecordStream::vcf_header`]).
    pub samples: Vec<String>,
    /// Lines longer than this become [`Item::Invalid`] and are skipped without being held
    /// in memory beyond this many bytes.
    pub max_line_bytes: usize,
    /// How far a gzip/BGZF input may expand; beyond it reading fails with an
    /// `InvalidData` I/O error.
    pub decompression: DecompressionLimits,
    /// Whether records carry [`Record::cells`]. Exports show none, and for a VCF
    /// building them (a string per column) was a third of an export's time, so
    /// they turn this off; a format may fill cells anyway.
    pub cells: bool,
    /// Read and inflate on a thread of its own ([`lines::read_ahead`]): for
    /// exports, which read the whole file; a page reads a few blocks and would
    /// inflate more than it shows.
    pub read_ahead: bool,
}

impl Default for FormatOptions {
    fn default() -> Self {
        FormatOptions {
            coords: None,
            chrom_col: None,
            start_col: None,
            end_col: None,
            info_fields: Vec::new(),
            format_fields: Vec::new(),
            samples: Vec::new(),
            max_line_bytes: DEFAULT_MAX_LINE_BYTES,
            decompression: DEFAULT_DECOMPRESSION_LIMITS,
            cells: true,
            read_ahead: false,
        }
    }
}

/// A stretch of one chromosome, 1-based and inclusive.
///
/// The numbers are what the file says after conversion; `start <= end` is not guaranteed
/// (an empty BED feature `100 100` becomes `101..=100`), the caller validates.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Interval {
    pub chrom: String,
    pub start: u64,
    pub end: u64,
}

impl Interval {
    pub fn new(chrom: impl Into<String>, start: u64, end: u64) -> Self {
        Interval {
            chrom: chrom.into(),
            start,
            end,
        }
    }
}

/// One row of a result file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Record {
    /// 1-based line number in the (decompressed) file.
    pub line: u64,
    /// One interval normally; two for BEDPE and VCF breakends with a mate (split screen).
    pub intervals: Vec<Interval>,
    /// What a human calls this record (VCF ID, BED name, GFF Name/ID, ...); may be empty
    /// when the file names nothing.
    pub label: String,
    /// Values for [`RecordStream::columns`], same length, as written in the file;
    /// may be empty when [`FormatOptions::cells`] is off.
    pub cells: Vec<String>,
    /// A structural variant's type and size (VCF SV records, BEDPE pairs).
    /// Boxed: most records are none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sv: Option<Box<SvEvent>>,
    /// VCF only: `Some(true)` for `PASS`, `Some(false)` for any other filter, `None` when
    /// FILTER is `.` (filters not applied) and for every other format.
    pub filter_pass: Option<bool>,
}

/// What a stream yields: a record, or a line that could not be read as one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Item {
    Record(Record),
    /// A malformed line; the stream goes on with the next line. `raw` is the line (at most
    /// the first few hundred bytes of a line that was too long).
    Invalid {
        line: u64,
        message: String,
        raw: String,
    },
}

/// A lazily read result file.
pub trait RecordStream {
    /// Display column names; every [`Record::cells`] has this length.
    fn columns(&self) -> &[String];
    /// VCF `##contig` lines (name, length) when the header has any.
    fn contigs(&self) -> Option<&[(String, Option<u64>)]> {
        None
    }
    /// Whether records name a gene ([`Record::label`]) instead of giving
    /// intervals: the row reader resolves the name through the genome's
    /// gene annotation (gene-level tables).
    fn names_genes(&self) -> bool {
        false
    }
    /// VCF sample names; one GT column per sample is part of [`Self::columns`].
    fn samples(&self) -> &[String] {
        &[]
    }
    /// VCF only: the header's INFO/FORMAT definitions and all sample names.
    fn vcf_header(&self) -> Option<&VcfHeaderFields> {
        None
    }
    /// VCF only: the columns of the record [`Self::next_item`] returned last,
    /// with the sample columns of the header indices in `samples`. Built only
    /// when asked (filters, sorting, annotations), so plain pages pay nothing.
    fn current_values(&self, samples: &[usize]) -> Option<VcfValues> {
        let _ = samples;
        None
    }
    /// The next item; `Ok(None)` at the end of the file. `Err` only for I/O and
    /// decompression errors, never for a malformed line.
    fn next_item(&mut self) -> io::Result<Option<Item>>;

    /// Text a line must contain for the caller to keep its record
    /// ([`LineHint`]): a stream that can test its raw lines passes over the
    /// others unparsed, as if they were not in the file. Only for callers
    /// that drop what their filter does not keep, malformed lines included.
    /// Streams that cannot test lines ignore it (it is only a shortcut).
    fn set_line_hint(&mut self, hint: &LineHint) {
        let _ = hint;
    }

    /// Whether [`Self::current_values`] will be asked for (`true` until
    /// said otherwise): a VCF stream that builds no cells and no values
    /// reads a record's fixed columns straight from its line, without
    /// noodles' whole record (issue 28).
    fn set_values_wanted(&mut self, wanted: bool) {
        let _ = wanted;
    }

    /// Columns of the file that [`Self::columns`] leaves out to bound memory
    /// ([`MAX_COLUMNS`], [`MAX_SAMPLE_COLUMNS`]); a page can say so.
    fn hidden_columns(&self) -> usize {
        0
    }

    /// Where the stream stands between two items, if it can be resumed from exactly
    /// here with [`Self::resume`] (`None` while it still holds items it read ahead).
    fn position(&self) -> Option<StreamPosition> {
        None
    }

    /// Goes on from `at`, a [`Self::position`] an earlier stream over the same file
    /// reported, as if every item before it had been read. `input` is the file's
    /// decompressed bytes from `at.offset` on ([`reopen_at`]); the header has already
    /// been read by [`open`]. See [`open_at`].
    fn resume(&mut self, input: Box<dyn BufRead + Send>, at: StreamPosition) -> io::Result<()> {
        let _ = (input, at);
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "this stream cannot be resumed part-way",
        ))
    }

    /// Skips up to `n` items without building them (no parsing beyond telling data
    /// lines from comments); returns how many it skipped, fewer only at the end.
    /// Exactly the items [`Self::next_item`] would have returned are skipped.
    fn skip_items(&mut self, n: u64) -> io::Result<u64> {
        let mut skipped = 0;
        while skipped < n && self.next_item()?.is_some() {
            skipped += 1;
        }
        Ok(skipped)
    }
}

/// A place between two items of a stream: the number of lines read so far and the
/// byte (in the decompressed file) where the next line starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct StreamPosition {
    pub line: u64,
    pub offset: u64,
}

impl StreamPosition {
    fn of(lines: &Input) -> Self {
        let (line, offset) = lines.position();
        StreamPosition { line, offset }
    }
}

/// Why a file cannot be shown as rows.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    #[error(
        "{0} files are binary and have no rows to list here; open the file in IGV to look at it"
    )]
    NoRows(FormatKind),
    #[error("this file's format is not supported: {0}")]
    Unsupported(String),
    /// `line` is `None` when the problem is the end of the file (no `#CHROM` line).
    #[error("{}", header_message(*.kind, *.line, .message))]
    Header {
        kind: FormatKind,
        line: Option<u64>,
        message: String,
    },
    #[error(
        "no chromosome and position columns found in the header ({found}); name them one of \
         {accepted}, or give a single locus column ({locus}) holding chr:start-end"
    )]
    NoLocusColumns {
        found: String,
        accepted: String,
        locus: String,
    },
    #[error("could not read the file: {0}")]
    Io(#[from] io::Error),
}

fn header_message(kind: FormatKind, line: Option<u64>, message: &str) -> String {
    match line {
        Some(line) => format!("the {kind} header is not valid (line {line}): {message}"),
        None => format!("the {kind} header is not valid: {message}"),
    }
}

/// Opens `input` (plain, gzip or BGZF; compression is sniffed) as a stream of `kind`.
///
/// Reads only the header (VCF) or up to the first data line (everything else), so opening
/// a huge file is cheap.
pub fn open(
    kind: FormatKind,
    input: Box<dyn BufRead + Send>,
    options: &FormatOptions,
) -> Result<Box<dyn RecordStream + Send>, FormatError> {
    if !kind.has_rows() {
        return Err(FormatError::NoRows(kind));
    }
    let mut input = decompress_with_limits(input, options.decompression)?;
    if options.read_ahead {
        input = lines::read_ahead(input)?;
    }
    let lines = lines::Lines::new(input, options.max_line_bytes);
    let stream: Box<dyn RecordStream + Send> = match kind {
        FormatKind::Vcf => Box::new(vcf::VcfStream::open(lines, options)?),
        FormatKind::Bed
        | FormatKind::BedGraph
        | FormatKind::NarrowPeak
        | FormatKind::BroadPeak
        | FormatKind::Bedpe => Box::new(bed::BedStream::open(kind, lines)?),
        FormatKind::Gff3 => Box::new(gff::GffStream::open(lines)),
        FormatKind::Gtf => Box::new(gtf::GtfStream::open(lines)),
        FormatKind::Tabular => Box::new(tabular::TabularStream::open(lines, options)?),
        FormatKind::Maf
        | FormatKind::Annovar
        | FormatKind::Seg
        | FormatKind::Gwas
        | FormatKind::IntervalList => Box::new(dialects::DialectStream::open(kind, lines)?),
        FormatKind::GeneTable => Box::new(gene_table::GeneTableStream::open(lines)?),
        FormatKind::Bam | FormatKind::Cram | FormatKind::BigWig => {
            return Err(FormatError::NoRows(kind));
        }
    };
    Ok(Box::new(bounds::Bounded::new(stream)))
}

/// Whether the file at `path` starts like gzip (or BGZF): its size on disk
/// then says little about how much there is to read.
pub fn is_compressed_file(path: &std::path::Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 2];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok_and(|()| head == [0x1f, 0x8b])
}

/// Opens the file at `path` as [`open`] does, then goes on from `at` (a position an
/// earlier stream over the same bytes reported): the header is read from the start,
/// the rows from `at` on. Plain files seek, BGZF seeks to the block, plain gzip is
/// inflated and skipped (see [`reopen_at`]).
pub fn open_at(
    kind: FormatKind,
    path: &std::path::Path,
    options: &FormatOptions,
    at: StreamPosition,
) -> Result<Box<dyn RecordStream + Send>, FormatError> {
    let file = std::fs::File::open(path)?;
    let mut stream = open(
        kind,
        Box::new(io::BufReader::with_capacity(64 * 1024, file)),
        options,
    )?;
    stream.resume(reopen_at(path, at.offset, options.decompression)?, at)?;
    Ok(stream)
}

/// The input type every stream reads from.
type Input = lines::Lines<Box<dyn BufRead + Send>>;

/// Longest `raw` kept in an [`Item::Invalid`] for a line that was too long.
const RAW_PREVIEW_BYTES: usize = 200;

fn invalid(line: u64, message: impl Into<String>, raw: &[u8]) -> Item {
    Item::Invalid {
        line,
        message: message.into(),
        raw: String::from_utf8_lossy(raw).into_owned(),
    }
}

/// A line's number and its bytes, without the line ending.
type NumberedLine<'a> = (u64, &'a [u8]);

/// The next line of `lines` as its number and bytes (`None` at the end), or,
/// for a line longer than the limit, the item that reports it.
fn next_line(lines: &mut Input) -> io::Result<Option<Result<NumberedLine<'_>, Item>>> {
    let max = lines.max();
    Ok(lines.next_line()?.map(|line| match line {
        lines::Line::TooLong {
            number,
            len,
            prefix,
        } => Err(too_long(number, len, max, prefix)),
        lines::Line::Text { number, bytes } => Ok((number, bytes)),
    }))
}

/// The item for a line longer than `max_line_bytes`.
fn too_long(line: u64, len: u64, max: usize, prefix: &[u8]) -> Item {
    let cut = floor_char_boundary(prefix, RAW_PREVIEW_BYTES);
    let mut raw = String::from_utf8_lossy(&prefix[..cut]).into_owned();
    raw.push('…');
    Item::Invalid {
        line,
        message: format!("line is {len} bytes long, more than the limit of {max} bytes"),
        raw,
    }
}

/// The largest index `<= max` that does not split a UTF-8 sequence (for valid UTF-8).
fn floor_char_boundary(bytes: &[u8], max: usize) -> usize {
    if bytes.len() <= max {
        return bytes.len();
    }
    let mut i = max;
    while i > 0 && (bytes[i] & 0b1100_0000) == 0b1000_0000 {
        i -= 1;
    }
    i
}
