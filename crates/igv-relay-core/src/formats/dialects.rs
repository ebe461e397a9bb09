//! Tables whose format's specification names the locus columns and how they
//! count, so nothing is sniffed (issue 25):
//!
//! | format | locus columns | convention | source |
//! |---|---|---|---|
//! | MAF (GDC, vcf2maf) | `Chromosome`, `Start_Position`, `End_Position` | 1-based inclusive | GDC MAF format v1.0.0 ("1-based") |
//! | ANNOVAR `*_multianno.txt` | `Chr`, `Start`, `End` | 1-based inclusive | ANNOVAR's input format (avinput) |
//! | SEG | columns 2, 3, 4 (`chrom loc.start loc.end`) | 0-based start, as IGV reads it | IGV's `SegmentFileParser` |
//! | GWAS summary statistics | `CHR`/`chromosome`, `BP`/`base_pair_location` | 1-based position | PLINK, GWAS-SSF v1.0 |
//! | Picard/GATK interval list | columns 1 to 3 after the `@` header | 1-based inclusive | Picard `IntervalList` |
//!
//! SEG: IGV (igvteam/igv, `src/main/java/org/broad/igv/seg/SegmentFileParser.java`)
//! takes the sample, chromosome, start and end from columns 1 to 4 whatever
//! the header calls them, the value from the last column, and passes
//! `loc.start` unchanged into its 0-based coordinates: a segment `1 100 200`
//! covers bases 101-200 in IGV, so that is the locus linked here.
//!
//! Rows become [`Record`]s through the tabular reader's row parser; what a
//! format adds is computed here: a MAF's tumour VAF (`t_alt_count / t_depth`,
//! as a column conditions and sorting can use) and a GWAS row's P value,
//! checked to lie in [0, 1].

use std::io::{self, BufRead};

use super::lines::Line;
use super::tabular::{RowParser, WHITESPACE, sniff_delimiter, split};
use super::{
    CoordBase, FormatError, FormatKind, Input, Item, Record, RecordStream, StreamPosition,
};
use crate::domain::assembly::{Declared, GenomeEvidence};

/// The column a MAF's tumour variant allele fraction is shown in.
pub const TUMOR_VAF_COLUMN: &str = "tumor_vaf";

/// The column a GWAS row's −log10 P is shown in (computed from its P value,
/// as GWAS tools call it `MLOG10P`): what the Manhattan plot draws and the
/// page sorts by.
pub const MLOG10P_COLUMN: &str = "mlog10p";

/// How a GWAS page is sorted unless `?sort=` says otherwise: smallest P
/// (largest −log10 P) first.
pub const GWAS_DEFAULT_SORT: &str = "-mlog10p";

/// How many comment lines may come before a header.
const MAX_LEADING_COMMENT_LINES: usize = 10_000;
/// Records whose chromosome names are the genome evidence.
const NAMED_RECORDS: usize = 1000;

/// Where one of a format's columns is.
#[derive(Clone, Copy)]
enum Column {
    /// By its header name (lower case, any of these); the name the
    /// specification gives it, and what it holds, for an error.
    Named(&'static [&'static str], &'static str, &'static str),
    /// By position (0-based), whatever the header calls it (SEG, as IGV).
    At(usize, &'static str),
}

/// What a format adds to its rows.
#[derive(Clone, Copy)]
enum Derived {
    Nothing,
    /// MAF: `t_alt_count / t_depth`, when both columns are there.
    TumorVaf,
    /// GWAS: the P value column, checked.
    PValue(Column),
}

/// One format of the table family.
struct Dialect {
    kind: FormatKind,
    /// `None`: a header line names the columns. `Some`: no header line (an
    /// interval list's `@` lines say nothing of columns); these names.
    fixed_columns: Option<&'static [&'static str]>,
    /// Lines starting with one of these are comments.
    comments: &'static [u8],
    chrom: Column,
    start: Column,
    end: Option<Column>,
    base: CoordBase,
    label: Option<Column>,
    derived: Derived,
}

const P_VALUE: Column = Column::Named(
    &["p", "pval", "p_value", "p-value", "p.value", "pvalue"],
    "P",
    "each variant's P value",
);

const DIALECTS: &[Dialect] = &[
    Dialect {
        kind: FormatKind::Maf,
        fixed_columns: None,
        comments: b"#",
        chrom: Column::Named(&["chromosome"], "Chromosome", "each mutation's chromosome"),
        start: Column::Named(
            &["start_position"],
            "Start_Position",
            "each mutation's 1-based start",
        ),
        end: Some(Column::Named(
            &["end_position"],
            "End_Position",
            "each mutation's 1-based end",
        )),
        base: CoordBase::One,
        label: Some(Column::Named(&["hugo_symbol"], "Hugo_Symbol", "")),
        derived: Derived::TumorVaf,
    },
    Dialect {
        kind: FormatKind::Annovar,
        fixed_columns: None,
        comments: b"#",
        chrom: Column::Named(&["chr"], "Chr", "each variant's chromosome"),
        start: Column::Named(&["start"], "Start", "each variant's 1-based start"),
        end: Some(Column::Named(&["end"], "End", "each variant's 1-based end")),
        base: CoordBase::One,
        label: Some(Column::Named(
            &[
                "gene.refgene",
                "gene.refgenewithver",
                "gene.ensgene",
                "gene.knowngene",
            ],
            "Gene.refGene",
            "",
        )),
        derived: Derived::Nothing,
    },
    Dialect {
        kind: FormatKind::Seg,
        fixed_columns: None,
        comments: b"#",
        chrom: Column::At(1, "chrom"),
        start: Column::At(2, "loc.start"),
        end: Some(Column::At(3, "loc.end")),
        base: CoordBase::Zero,
        label: Some(Column::At(0, "ID")),
        derived: Derived::Nothing,
    },
    Dialect {
        kind: FormatKind::Gwas,
        fixed_columns: None,
        comments: b"#",
        chrom: Column::Named(
            &["chr", "chrom", "chromosome", "#chrom", "hg19chrc"],
            "CHR",
            "each variant's chromosome",
        ),
        start: Column::Named(
            &["bp", "base_pair_location", "pos", "position"],
            "BP",
            "each variant's 1-based position",
        ),
        end: None,
        base: CoordBase::One,
        label: Some(Column::Named(
            &["snp", "rsid", "variant_id", "markername", "snpid", "id"],
            "SNP",
            "",
        )),
        derived: Derived::PValue(P_VALUE),
    },
    Dialect {
        kind: FormatKind::IntervalList,
        fixed_columns: Some(&["contig", "start", "end", "strand", "name"]),
        comments: b"@#",
        chrom: Column::At(0, "contig"),
        start: Column::At(1, "start"),
        end: Some(Column::At(2, "end")),
        base: CoordBase::One,
        label: Some(Column::At(4, "name")),
        derived: Derived::Nothing,
    },
];

fn dialect(kind: FormatKind) -> Option<&'static Dialect> {
    DIALECTS.iter().find(|d| d.kind == kind)
}

/// Whether `kind` is read by this module.
pub(crate) fn reads(kind: FormatKind) -> bool {
    dialect(kind).is_some()
}

fn normalized(name: &str) -> String {
    name.trim()
        .trim_start_matches('#')
        .trim()
        .to_ascii_lowercase()
}

fn is_comment(dialect: &Dialect, bytes: &[u8]) -> bool {
    bytes.first().is_some_and(|b| dialect.comments.contains(b))
}

fn is_blank(bytes: &[u8]) -> bool {
    bytes.iter().all(u8::is_ascii_whitespace)
}

/// Tab, else comma, else runs of spaces (PLINK aligns its columns).
fn header_delimiter(line: &[u8]) -> u8 {
    if line.contains(&b'\t') || line.contains(&b',') {
        sniff_delimiter(line)
    } else {
        WHITESPACE
    }
}

/// The header's names, as written and normalised.
struct HeaderNames {
    line: u64,
    written: Vec<String>,
    names: Vec<String>,
}

impl HeaderNames {
    fn find(&self, column: Column, kind: FormatKind) -> Result<usize, FormatError> {
        match column {
            Column::Named(names, _, _) => self
                .names
                .iter()
                .position(|n| names.contains(&n.as_str()))
                .ok_or_else(|| self.missing(column, kind)),
            Column::At(i, _) if i < self.written.len() || self.written.is_empty() => Ok(i),
            Column::At(..) => Err(self.missing(column, kind)),
        }
    }

    fn missing(&self, column: Column, kind: FormatKind) -> FormatError {
        let message = match column {
            Column::Named(_, name, what) => format!(
                "no {name} column ({what}); the header names {}",
                self.written.join(", ")
            ),
            Column::At(i, name) => format!(
                "column {} ({name}) is missing: the header has {} columns ({})",
                i + 1,
                self.written.len(),
                self.written.join(", ")
            ),
        };
        FormatError::Header {
            kind,
            line: Some(self.line),
            message,
        }
    }
}

pub(crate) struct DialectStream {
    lines: Input,
    dialect: &'static Dialect,
    columns: Vec<String>,
    parser: RowParser,
    /// MAF: `t_alt_count`, `t_depth`.
    vaf: Option<(usize, usize)>,
    /// GWAS: the P column and its name as written.
    p_value: Option<(usize, String)>,
    pending: Option<Item>,
}

impl DialectStream {
    pub(crate) fn open(kind: FormatKind, mut lines: Input) -> Result<Self, FormatError> {
        let dialect = dialect(kind).ok_or_else(|| FormatError::Unsupported(kind.to_string()))?;
        let mut first: Option<(u64, Vec<u8>)> = None;
        let mut comments = 0;
        while comments < MAX_LEADING_COMMENT_LINES {
            match lines.next_line()? {
                None => break,
                Some(Line::TooLong { number, len, .. }) => {
                    return Err(FormatError::Header {
                        kind,
                        line: Some(number),
                        message: format!("the line is {len} bytes long, more than the limit"),
                    });
                }
                Some(Line::Text { number, bytes }) => {
                    // UCSC's multiple-alignment format shares the name and the
                    // `.maf` extension, and Galaxy's `maf` datatype is it.
                    if kind == FormatKind::Maf && bytes.starts_with(b"##maf") {
                        return Err(FormatError::Header {
                            kind,
                            line: Some(number),
                            message: "this is a multiple-alignment MAF (##maf), not a \
                                      mutation MAF: it has no mutations to link"
                                .to_string(),
                        });
                    }
                    if is_blank(bytes) || is_comment(dialect, bytes) {
                        comments += 1;
                        continue;
                    }
                    first = Some((number, bytes.to_vec()));
                    break;
                }
            }
        }
        let mut record = csv::ByteRecord::new();
        let (header, delimiter, data) = match (dialect.fixed_columns, first) {
            (Some(names), first) => {
                let delimiter = b'\t';
                let header = HeaderNames {
                    line: 0,
                    written: names.iter().map(|n| n.to_string()).collect(),
                    names: names.iter().map(|n| n.to_string()).collect(),
                };
                (header, delimiter, first)
            }
            (None, Some((number, bytes))) => {
                let delimiter = header_delimiter(&bytes);
                let written: Vec<String> = split(delimiter, &bytes, &mut record)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|n| n.trim().to_string())
                    .collect();
                let names = written.iter().map(|n| normalized(n)).collect();
                let header = HeaderNames {
                    line: number,
                    written,
                    names,
                };
                (header, delimiter, None)
            }
            (None, None) => {
                return Err(FormatError::Header {
                    kind,
                    line: None,
                    message: "the file has no header line".to_string(),
                });
            }
        };
        let chrom = header.find(dialect.chrom, kind)?;
        let start = header.find(dialect.start, kind)?;
        let end = dialect.end.map(|c| header.find(c, kind)).transpose()?;
        let label = dialect.label.and_then(|c| header.find(c, kind).ok());
        let p_value = match dialect.derived {
            Derived::PValue(column) => {
                let i = header.find(column, kind)?;
                Some((i, header.written[i].clone()))
            }
            _ => None,
        };
        let vaf = match dialect.derived {
            Derived::TumorVaf => {
                let at = |name: &str| header.names.iter().position(|n| n == name);
                at("t_alt_count").zip(at("t_depth"))
            }
            _ => None,
        };
        let width = header.written.len();
        let mut columns = header.written;
        if vaf.is_some() {
            columns.push(TUMOR_VAF_COLUMN.to_string());
        }
        if p_value.is_some() {
            columns.push(MLOG10P_COLUMN.to_string());
        }
        let parser =
            RowParser::for_columns(delimiter, (chrom, start, end), dialect.base, label, width);
        let mut stream = DialectStream {
            lines,
            dialect,
            columns,
            parser,
            vaf,
            p_value,
            pending: None,
        };
        if let Some((number, bytes)) = data {
            stream.pending = Some(stream.parse(number, &bytes));
        }
        Ok(stream)
    }

    fn parse(&mut self, number: u64, bytes: &[u8]) -> Item {
        match self
            .parser
            .try_parse(number, bytes)
            .and_then(|record| self.derive(record))
        {
            Ok(record) => Item::Record(record),
            Err(message) => super::invalid(number, message, bytes),
        }
    }

    /// What the format adds to a parsed row.
    fn derive(&self, mut record: Record) -> Result<Record, String> {
        if let Some((column, name)) = &self.p_value {
            let written = record.cells.get(*column).map_or("", |c| c.trim());
            let p = check_p_value(written, *column, name)?;
            // P = 0 (an underflow in the tool that wrote it) is infinitely significant.
            record.cells.push(format!("{:.3}", -p.log10()));
        }
        if let Some((alt, depth)) = self.vaf {
            let count = |i: usize| {
                record
                    .cells
                    .get(i)
                    .and_then(|c| c.trim().parse::<u64>().ok())
            };
            let vaf = match (count(alt), count(depth)) {
                (Some(alt), Some(depth)) if depth > 0 => {
                    format!("{:.3}", alt as f64 / depth as f64)
                }
                _ => String::new(),
            };
            record.cells.push(vaf);
        }
        Ok(record)
    }
}

/// A P value as GWAS tools write it (`5e-8`, `0.03`), in [0, 1].
fn check_p_value(written: &str, column: usize, name: &str) -> Result<f64, String> {
    let value: f64 = written.parse().map_err(|_| {
        format!(
            "column {} ({name}) is {written:?}, not a number: a P value is a number between 0 and 1",
            column + 1
        )
    })?;
    if !(0.0..=1.0).contains(&value) {
        return Err(format!(
            "column {} ({name}) is {written}, outside [0, 1]: a P value is a probability",
            column + 1
        ));
    }
    Ok(value)
}

impl RecordStream for DialectStream {
    fn columns(&self) -> &[String] {
        &self.columns
    }

    fn position(&self) -> Option<StreamPosition> {
        self.pending
            .is_none()
            .then(|| StreamPosition::of(&self.lines))
    }

    fn resume(&mut self, input: Box<dyn BufRead + Send>, at: StreamPosition) -> io::Result<()> {
        self.pending = None;
        self.lines.restart(input, at.line, at.offset);
        Ok(())
    }

    fn next_item(&mut self) -> io::Result<Option<Item>> {
        if let Some(item) = self.pending.take() {
            return Ok(Some(item));
        }
        loop {
            let (number, bytes) = match super::next_line(&mut self.lines)? {
                None => return Ok(None),
                Some(Err(too_long)) => return Ok(Some(too_long)),
                Some(Ok(line)) => line,
            };
            if is_blank(bytes) || is_comment(self.dialect, bytes) {
                continue;
            }
            let bytes = bytes.to_vec();
            return Ok(Some(self.parse(number, &bytes)));
        }
    }
}

/// The genome evidence of a table of this family (`input` already bounded by
/// the caller): a MAF's `NCBI_Build` (GRCh37 or GRCh38; which GRCh37 the
/// chromosome names say) and the chromosome names of the first records. An
/// interval list's `@SQ` lines are `evidence::text_header`'s.
pub(crate) fn evidence(kind: FormatKind, input: impl BufRead) -> GenomeEvidence {
    let Some(dialect) = dialect(kind) else {
        return GenomeEvidence::default();
    };
    let mut lines = input.lines();
    let mut header: Option<(u8, Vec<String>)> = None;
    let mut chrom = None;
    let mut build = None;
    let mut names: Vec<String> = Vec::new();
    let mut declared: Option<String> = None;
    let mut records = 0;
    while let Some(Ok(line)) = lines.next() {
        let line = line.trim_end_matches('\r');
        if is_blank(line.as_bytes()) || is_comment(dialect, line.as_bytes()) {
            continue;
        }
        let Some((delimiter, _)) = &header else {
            let delimiter = header_delimiter(line.as_bytes());
            let fields = cells(delimiter, line);
            let normalized: Vec<String> = fields.iter().map(|f| normalized(f)).collect();
            chrom = match dialect.chrom {
                Column::Named(wanted, ..) => {
                    normalized.iter().position(|n| wanted.contains(&n.as_str()))
                }
                Column::At(i, _) => Some(i),
            };
            build = normalized.iter().position(|n| n == "ncbi_build");
            header = Some((delimiter, normalized));
            continue;
        };
        let fields = cells(*delimiter, line);
        if let Some(name) = chrom.and_then(|i| fields.get(i)).filter(|n| !n.is_empty())
            && !names.contains(name)
        {
            names.push(name.clone());
        }
        if declared.is_none() {
            declared = build
                .and_then(|i| fields.get(i))
                .filter(|b| !b.is_empty())
                .cloned();
        }
        records += 1;
        if records >= NAMED_RECORDS {
            break;
        }
    }
    let mut evidence =
        crate::domain::assembly::evidence_from_names(names.iter().map(String::as_str));
    if names.is_empty() {
        evidence.sequences_from = None;
    }
    if let Some(text) = declared {
        evidence.declared.push(Declared {
            text,
            source: "NCBI_Build",
        });
    }
    evidence
}

fn cells(delimiter: u8, line: &str) -> Vec<String> {
    match delimiter {
        WHITESPACE => line.split_ascii_whitespace().map(str::to_string).collect(),
        d => line
            .split(d as char)
            .map(|c| c.trim().to_string())
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p_values_outside_zero_to_one_say_the_column() {
        assert_eq!(check_p_value("5e-8", 8, "P"), Ok(5e-8));
        assert!(
            check_p_value("1.5", 8, "P")
                .unwrap_err()
                .contains("column 9 (P) is 1.5, outside [0, 1]")
        );
        assert!(
            check_p_value("NA", 8, "P")
                .unwrap_err()
                .contains("not a number")
        );
        assert!(check_p_value("-0.1", 8, "P").is_err());
    }
}
