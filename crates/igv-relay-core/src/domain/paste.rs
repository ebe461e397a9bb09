//! "Paste anything": what people have on their clipboard, read line by line
//! into loci, each line saying how it was read so an off-by-one can be seen.
//!
//! Shapes (issue 18): IGV loci (`chr:start-end`, `chr:pos`, several on one
//! line), a locus followed by a label, `chr start end [label…]` separated by
//! tabs or spaces, BED lines, VCF data lines, CSV/TSV rows under a header that
//! names the locus columns (LibreOffice copies cells as tab-separated lines
//! with CRLF and quotes cells that hold tabs, quotes or line breaks), and
//! names (genes, gene or transcript ids, rsIDs) that a genome's gene
//! annotation may resolve.
//!
//! Pure: no genome, no HTTP. Coordinates become 1-based here and nowhere else
//! in the paste path; checking against a genome and resolving names is the
//! caller's (`Loci::from_parsed`, `genes::find`).
//!
//! Which convention `chr 100 200` is in cannot be known from the line: BED and
//! UCSC tables are 0-based half-open (`chr 100 200` is bases 101-200), while
//! spreadsheets of variants or primers are usually 1-based inclusive. Such a
//! line is read with [`Convention`] (0-based by default, as BED), marked
//! `ambiguous`, and the pages offer the other reading with one click.

use std::fmt;

use super::genes::{self, GeneProblem};
use super::genome::Genome;
use super::loci::{Loci, LociRules, LocusList};
use super::locus::{ChromName, Locus, LocusError, MAX_POSITION};

/// Most lines read from one paste unless configured otherwise.
pub const DEFAULT_MAX_LINES: usize = 500;

/// Longest label kept from a line; the rest of a long line is not a label.
const MAX_LABEL_CHARS: usize = 80;

/// How `chr start end` columns are read when nothing on the line says.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Convention {
    /// BED/UCSC: the start is 0-based, the end 1-based inclusive (`chr 100 200`
    /// is `chr:101-200`).
    #[default]
    ZeroBased,
    /// Both numbers 1-based inclusive (`chr 100 200` is `chr:100-200`).
    OneBased,
}

impl Convention {
    /// `0`/`bed` or `1`, as the pages' `coords` parameter writes it.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim() {
            "0" | "bed" | "0-based" => Some(Self::ZeroBased),
            "1" | "1-based" => Some(Self::OneBased),
            _ => None,
        }
    }

    pub fn other(self) -> Self {
        match self {
            Self::ZeroBased => Self::OneBased,
            Self::OneBased => Self::ZeroBased,
        }
    }

    /// The `coords` parameter value.
    pub fn param(self) -> &'static str {
        match self {
            Self::ZeroBased => "0",
            Self::OneBased => "1",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::ZeroBased => "0-based",
            Self::OneBased => "1-based",
        }
    }

    /// 1-based inclusive bounds of `start`..`end` written in this convention.
    fn to_one_based(self, start: u64, end: u64) -> (u64, u64) {
        match self {
            // A zero-length BED feature (start == end) is the insertion point
            // between two bases; show the base after it.
            Self::ZeroBased => (start + 1, end.max(start + 1)),
            Self::OneBased => (start, end),
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub struct PasteOptions {
    /// Lines read; the rest are counted and left out.
    pub max_lines: usize,
    /// How ambiguous `chr start end` lines are read.
    pub convention: Convention,
}

impl Default for PasteOptions {
    fn default() -> Self {
        Self {
            max_lines: DEFAULT_MAX_LINES,
            convention: Convention::default(),
        }
    }
}

/// Which columns of a table hold the locus, from its header row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    pub delimiter: Delimiter,
    pub chrom: usize,
    /// The start (or the only position) column.
    pub start: usize,
    pub end: Option<usize>,
    /// A VCF `REF` column: its length gives the end.
    pub reference: Option<usize>,
    pub label: Option<usize>,
    /// What the header says about the coordinates: `Some` when its names do
    /// (`chromStart` is UCSC's 0-based start; `POS` is VCF's 1-based
    /// position), `None` for plain `start`/`end`.
    pub convention: Option<Convention>,
    /// The header's names of the locus columns, for the line's description.
    pub names: String,
    pub vcf: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delimiter {
    Tab,
    Comma,
    Whitespace,
}

/// How a line with coordinates in columns was recognised.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Shape {
    /// Six or more tab-separated columns with a strand: certainly BED.
    Bed,
    /// `chr start end` without anything saying which convention.
    Columns,
    /// A row under a header.
    Table { names: String },
}

/// What one line was read as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reading {
    /// Loci as IGV writes them (`chr:start-end`, 1-based), one or several.
    Loci {
        loci: LocusList,
        label: Option<String>,
    },
    /// Coordinates in columns, converted with `convention`.
    Interval {
        locus: Locus,
        shape: Shape,
        convention: Convention,
        /// Nothing on the line or in a header said which convention it is in.
        ambiguous: bool,
        label: Option<String>,
    },
    /// `chr pos`: one base, 1-based.
    Position { locus: Locus, label: Option<String> },
    /// A VCF data line (or a row under a VCF-like header): `POS` is 1-based
    /// and `REF` covers `POS..POS+len(REF)-1`.
    Vcf { locus: Locus, id: Option<String> },
    /// A name for the genome's gene annotation to resolve.
    Name { name: String, label: Option<String> },
    /// A header, comment, `track` or `browser` line.
    Skipped { why: &'static str },
    /// Nothing readable; says why.
    Invalid { problem: String },
}

impl Reading {
    /// How the line was read, in words, ending where the shown locus follows
    /// ("BED, 0-based start").
    pub fn how(&self) -> String {
        match self {
            Self::Loci { loci, .. } if loci.len() > 1 => {
                "loci as IGV writes them (1-based), side by side".to_owned()
            }
            Self::Loci { .. } => "locus as IGV writes it (1-based)".to_owned(),
            Self::Interval {
                shape: Shape::Bed,
                convention,
                ..
            } => format!("BED, {}", convention.label()),
            Self::Interval {
                shape: Shape::Columns,
                convention,
                ambiguous,
                ..
            } => {
                if *ambiguous {
                    format!(
                        "chromosome, start, end read as {} ({})",
                        convention.label(),
                        match convention {
                            Convention::ZeroBased => "as in BED",
                            Convention::OneBased => "both ends included",
                        }
                    )
                } else {
                    format!("chromosome, start, end, {}", convention.label())
                }
            }
            Self::Interval {
                shape: Shape::Table { names },
                convention,
                ..
            } => format!("table row ({names}), {}", convention.label()),
            Self::Position { .. } => "chromosome and position, 1-based".to_owned(),
            Self::Vcf { .. } => "VCF, 1-based POS, REF's length".to_owned(),
            Self::Name { .. } => "name".to_owned(),
            Self::Skipped { why } => (*why).to_owned(),
            Self::Invalid { problem } => problem.clone(),
        }
    }

    /// Whether the other [`Convention`] would read this line differently.
    pub fn is_ambiguous(&self) -> bool {
        matches!(
            self,
            Self::Interval {
                ambiguous: true,
                ..
            }
        )
    }

    pub fn label(&self) -> Option<&str> {
        match self {
            Self::Loci { label, .. }
            | Self::Interval { label, .. }
            | Self::Position { label, .. }
            | Self::Name { label, .. } => label.as_deref(),
            Self::Vcf { id, .. } => id.as_deref(),
            Self::Skipped { .. } | Self::Invalid { .. } => None,
        }
    }

    /// The loci the line gives, before any genome check; `None` for names,
    /// skipped and invalid lines.
    pub fn loci(&self) -> Option<LocusList> {
        match self {
            Self::Loci { loci, .. } => Some(loci.clone()),
            Self::Interval { locus, .. }
            | Self::Position { locus, .. }
            | Self::Vcf { locus, .. } => Some(smallvec::smallvec![locus.clone()]),
            _ => None,
        }
    }
}

/// One line of a paste and how it was read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PastedLine {
    /// 1-based line number in the paste.
    pub number: usize,
    pub text: String,
    pub reading: Reading,
}

/// A paste, read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Paste {
    /// The non-blank lines read, in order (headers and comments included, as
    /// [`Reading::Skipped`]).
    pub lines: Vec<PastedLine>,
    /// Non-blank lines after the first `max_lines`, not read.
    pub left_out: usize,
    pub header: Option<Header>,
    /// Some line was read with the default convention for lack of evidence.
    pub ambiguous: bool,
}

/// Reads a paste line by line: blank lines are dropped; a header row (first
/// before any data) sets the columns of the rows after it.
pub fn read(text: &str, options: PasteOptions) -> Paste {
    let mut paste = Paste::default();
    // `\r\n` (Windows, LibreOffice) and `\n`; a text with only `\r` (old Mac
    // copies) is split on that.
    let separator = if text.contains('\n') { '\n' } else { '\r' };
    let mut lines = text.split(separator).enumerate();
    for (index, raw) in lines.by_ref() {
        let line = raw.trim_start_matches('\u{feff}').trim();
        if line.is_empty() {
            continue;
        }
        if paste.lines.len() >= options.max_lines {
            paste.left_out += 1;
            break;
        }
        let reading = if paste.header.is_none()
            && !paste.lines.iter().any(|l| is_data(&l.reading))
            && let Some(header) = parse_header(line)
        {
            paste.header = Some(header);
            Reading::Skipped {
                why: "header: names the locus columns",
            }
        } else {
            match &paste.header {
                Some(header) => read_row(line, header, options.convention),
                None => read_line(line, options.convention),
            }
        };
        paste.ambiguous |= reading.is_ambiguous();
        paste.lines.push(PastedLine {
            number: index + 1,
            text: line.to_owned(),
            reading,
        });
    }
    // Only counted: a paste of a million lines costs a scan, not a parse.
    paste.left_out += lines
        .filter(|(_, l)| !l.trim_start_matches('\u{feff}').trim().is_empty())
        .count();
    paste
}

fn is_data(reading: &Reading) -> bool {
    !matches!(reading, Reading::Skipped { .. })
}

/// Reads one line on its own (no header): an entry of `POST /api/links`, an
/// `/embed` line.
pub fn read_line(line: &str, convention: Convention) -> Reading {
    let line = line.trim();
    if line.is_empty() {
        return Reading::Invalid {
            problem: "the line is empty".to_owned(),
        };
    }
    let lower = line.to_ascii_lowercase();
    if line.starts_with('#') {
        return Reading::Skipped { why: "comment" };
    }
    if lower.starts_with("track ") || lower.starts_with("browser ") || lower == "track" {
        return Reading::Skipped {
            why: "track or browser line (UCSC)",
        };
    }
    let (cells, delimiter) = split_cells(line);
    if cells.len() >= 2 && delimiter != Delimiter::Whitespace {
        return read_cells(&cells, convention);
    }
    read_words(line, &cells, convention)
}

/// Tab-separated when there is a tab; CSV when commas separate `chr,start,end`
/// (a locus's own thousands commas are not separators); else words.
fn split_cells(line: &str) -> (Vec<String>, Delimiter) {
    if line.contains('\t') {
        return (split_quoted(line, '\t'), Delimiter::Tab);
    }
    if line.contains(',') && !line.contains(':') {
        let cells = split_quoted(line, ',');
        if cells.len() >= 2 && cells.get(1).is_some_and(|c| parse_number(c).is_some()) {
            return (cells, Delimiter::Comma);
        }
    }
    (
        line.split_whitespace().map(str::to_owned).collect(),
        Delimiter::Whitespace,
    )
}

/// Splits on `sep`, honouring double-quoted cells (`"a,b"`, `"say ""hi"""`)
/// as spreadsheets write them. Cells are trimmed.
pub fn split_quoted(line: &str, sep: char) -> Vec<String> {
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cell.push('"');
                chars.next();
            }
            '"' if quoted => quoted = false,
            '"' if cell.trim().is_empty() => {
                cell.clear();
                quoted = true;
            }
            c if c == sep && !quoted => cells.push(std::mem::take(&mut cell).trim().to_owned()),
            c => cell.push(c),
        }
    }
    cells.push(cell.trim().to_owned());
    cells
}

/// Cells of a tab- or comma-separated line without a header.
fn read_cells(cells: &[String], convention: Convention) -> Reading {
    let first = cells[0].as_str();
    if first.contains(':') {
        return read_locus_with_label(first, &cells[1..].join(" "));
    }
    if let Some(reading) = read_vcf(cells) {
        return reading;
    }
    let start = cells.get(1).and_then(|c| parse_number(c));
    let end = cells.get(2).and_then(|c| parse_number(c));
    match (start, end) {
        (Some(start), Some(end)) => {
            // Six or more columns with a strand in the sixth: BED, whatever
            // else could be said about the numbers.
            let bed = cells.len() >= 6 && matches!(cells[5].as_str(), "+" | "-" | ".");
            let label = label_of(cells.get(3).map(String::as_str).unwrap_or(""));
            let (convention, ambiguous) = if bed {
                (Convention::ZeroBased, false)
            } else {
                unless_single_base(start, end, convention)
            };
            interval(
                first,
                start,
                end,
                if bed { Shape::Bed } else { Shape::Columns },
                convention,
                ambiguous,
                label,
            )
        }
        (Some(pos), None) => position(first, pos, &cells[2..].join(" ")),
        _ => name_with_label(first, &cells[1..].join(" ")),
    }
}

/// A line of words (spaces): loci, `chr start end`, `chr pos`, or a name, each
/// optionally followed by a label.
fn read_words(line: &str, words: &[String], convention: Convention) -> Reading {
    let Some(first) = words.first() else {
        return Reading::Invalid {
            problem: "the line is empty".to_owned(),
        };
    };
    if first.contains(':') {
        // Several loci side by side, as IGV takes them, when every word is one.
        let all: Option<LocusList> = words
            .iter()
            .map(|w| w.contains(':').then(|| Locus::parse(w).ok()).flatten())
            .collect();
        if let Some(loci) = all.filter(|l| l.len() > 1) {
            return Reading::Loci { loci, label: None };
        }
        // The label as written (its own spacing kept) when the locus is a
        // piece of the line; a quoted cell is not, and its words are joined.
        let rest = match line.find(first.as_str()) {
            Some(at) => line[at + first.len()..].trim().to_owned(),
            None => words[1..].join(" "),
        };
        return read_locus_with_label(first, &rest);
    }
    let start = words.get(1).and_then(|w| parse_number(w));
    let end = words.get(2).and_then(|w| parse_number(w));
    match (start, end) {
        (Some(start), Some(end)) => {
            let (convention, ambiguous) = unless_single_base(start, end, convention);
            interval(
                first,
                start,
                end,
                Shape::Columns,
                convention,
                ambiguous,
                label_of(&words[3..].join(" ")),
            )
        }
        (Some(pos), None) => position(first, pos, &words[2..].join(" ")),
        _ => name_with_label(first, &words[1..].join(" ")),
    }
}

fn read_locus_with_label(text: &str, rest: &str) -> Reading {
    match Locus::parse(text) {
        Ok(locus) => Reading::Loci {
            loci: smallvec::smallvec![locus],
            label: label_of(rest),
        },
        Err(e) => Reading::Invalid {
            problem: format!("{text:?} is not a locus: {e}"),
        },
    }
}

/// A single word: a sequence name (`chr2`, `MT`) shows the whole chromosome;
/// any other word is a name for the gene annotation.
fn name_with_label(word: &str, rest: &str) -> Reading {
    let label = label_of(rest);
    match Locus::parse(word) {
        Ok(locus) if locus.chrom().looks_like_sequence_name() => Reading::Loci {
            loci: smallvec::smallvec![locus],
            label,
        },
        _ => Reading::Name {
            name: word.to_owned(),
            label,
        },
    }
}

/// A VCF data line: 8+ tab-separated columns, POS a number, REF bases.
fn read_vcf(cells: &[String]) -> Option<Reading> {
    if cells.len() < 8 {
        return None;
    }
    let pos = parse_number(&cells[1])?;
    let reference = cells[3].as_str();
    if reference.is_empty()
        || !reference.bytes().all(|b| {
            matches!(
                b.to_ascii_uppercase(),
                b'A' | b'C' | b'G' | b'T' | b'N' | b'*'
            )
        })
        || cells[4].is_empty()
    {
        return None;
    }
    let id = Some(cells[2].clone()).filter(|id| id != ".");
    Some(match vcf_locus(&cells[0], pos, reference.len() as u64) {
        Ok(locus) => Reading::Vcf { locus, id },
        Err(problem) => Reading::Invalid { problem },
    })
}

fn vcf_locus(chrom: &str, pos: u64, ref_len: u64) -> Result<Locus, String> {
    let chrom = chrom_name(chrom)?;
    let end = pos.saturating_add(ref_len.max(1) - 1).min(MAX_POSITION);
    Locus::from_interval(chrom, pos, end).map_err(|e| e.to_string())
}

/// The convention for `start end` that nothing on the line names, and whether
/// it is ambiguous. `start == end` can only be 1-based (one base, as MAF and
/// ANNOVAR write SNVs): read 0-based it would be an empty interval, which
/// is what BED writes only for insertion points, never for a base (issue 25).
fn unless_single_base(start: u64, end: u64, convention: Convention) -> (Convention, bool) {
    if start == end {
        (Convention::OneBased, false)
    } else {
        (convention, true)
    }
}

fn interval(
    chrom: &str,
    start: u64,
    end: u64,
    shape: Shape,
    convention: Convention,
    ambiguous: bool,
    label: Option<String>,
) -> Reading {
    let chrom = match chrom_name(chrom) {
        Ok(c) => c,
        Err(problem) => return Reading::Invalid { problem },
    };
    if start > end {
        return Reading::Invalid {
            problem: LocusError::StartAfterEnd { start, end }.to_string(),
        };
    }
    let (first, last) = convention.to_one_based(start, end);
    match Locus::from_interval(chrom, first, last) {
        Ok(locus) => Reading::Interval {
            locus,
            shape,
            convention,
            ambiguous,
            label,
        },
        Err(e) => Reading::Invalid {
            problem: format!("{start}-{end} read as {}: {e}", convention.label()),
        },
    }
}

fn position(chrom: &str, pos: u64, rest: &str) -> Reading {
    let result = chrom_name(chrom)
        .and_then(|c| Locus::from_interval(c, pos, pos).map_err(|e| e.to_string()));
    match result {
        Ok(locus) => Reading::Position {
            locus,
            label: label_of(rest),
        },
        Err(problem) => Reading::Invalid { problem },
    }
}

fn chrom_name(text: &str) -> Result<ChromName, String> {
    ChromName::parse(text).map_err(|e| format!("{text:?} is not a chromosome name: {e}"))
}

fn label_of(rest: &str) -> Option<String> {
    let rest = rest.trim();
    if rest.is_empty() {
        return None;
    }
    let mut label: String = rest
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_LABEL_CHARS)
        .collect();
    if rest.chars().count() > MAX_LABEL_CHARS {
        label.push('…');
    }
    Some(label)
}

/// A whole number as people write it in tables: digits, optionally grouped
/// by thousands commas (`140,753,336`, as a spreadsheet cell may show it).
pub fn parse_number(text: &str) -> Option<u64> {
    let text = text.trim();
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit() || b == b',') {
        return None;
    }
    let digits: String = if text.contains(',') {
        let mut groups = text.split(',');
        let first = groups.next()?;
        if first.is_empty() || first.len() > 3 {
            return None;
        }
        let mut digits = first.to_owned();
        for group in groups {
            if group.len() != 3 {
                return None;
            }
            digits.push_str(group);
        }
        digits
    } else {
        text.to_owned()
    };
    // Past IGV's limit anyway; also keeps u64 parsing from overflowing.
    if digits.len() > 12 {
        return None;
    }
    digits.parse().ok()
}

const CHROM_NAMES: &[&str] = &[
    "chrom",
    "chr",
    "chromosome",
    "seqname",
    "seqnames",
    "seqid",
    "contig",
    "sequence",
    "chrom_name",
    "chromosome_name",
    "chromosome name",
];
const ZERO_BASED_STARTS: &[&str] = &["chromstart", "txstart", "thickstart"];
const STARTS: &[&str] = &[
    "start",
    "begin",
    "from",
    "start_position",
    "start position",
    "startpos",
];
const POSITIONS: &[&str] = &["pos", "position", "bp", "coordinate"];
const ENDS: &[&str] = &[
    "end",
    "chromend",
    "txend",
    "stop",
    "to",
    "end_position",
    "end position",
    "endpos",
];
const LABELS: &[&str] = &[
    "name",
    "label",
    "gene",
    "symbol",
    "gene_name",
    "id",
    "feature",
    "description",
];

/// The 1-based format a header's names belong to, if they name one: a MAF
/// (`Start_Position`, GDC MAF specification: "1-based") or an ANNOVAR table
/// (`Chr Start End Ref Alt`, or its `Func.*`/`Gene.*` annotation columns:
/// ANNOVAR's input and output are 1-based inclusive). Such rows are never
/// ambiguous (issue 25).
fn one_based_format(names: &[String]) -> Option<&'static str> {
    let has = |name: &str| names.iter().any(|n| n == name);
    if has("start_position") || has("hugo_symbol") || has("tumor_sample_barcode") {
        return Some("MAF");
    }
    let annovar_columns = names
        .iter()
        .any(|n| n.starts_with("func.") || n.starts_with("exonicfunc.") || n.starts_with("gene."));
    let annovar_input = names.len() >= 5 && names[..5] == ["chr", "start", "end", "ref", "alt"];
    (annovar_columns || annovar_input).then_some("ANNOVAR")
}

/// A header row: a cell naming the chromosome and one naming the start or
/// position, none of them numbers. `#CHROM POS ID REF ALT` is VCF's.
pub fn parse_header(line: &str) -> Option<Header> {
    let (cells, delimiter) = if line.contains('\t') {
        (split_quoted(line, '\t'), Delimiter::Tab)
    } else if line.contains(',') {
        (split_quoted(line, ','), Delimiter::Comma)
    } else {
        (
            line.split_whitespace().map(str::to_owned).collect(),
            Delimiter::Whitespace,
        )
    };
    if cells.len() < 2 || cells.iter().any(|c| parse_number(c).is_some()) {
        return None;
    }
    let names: Vec<String> = cells
        .iter()
        .map(|c| c.trim_start_matches('#').trim().to_ascii_lowercase())
        .collect();
    let find = |set: &[&str]| names.iter().position(|n| set.contains(&n.as_str()));
    let chrom = find(CHROM_NAMES)?;
    let zero_start = find(ZERO_BASED_STARTS);
    let start = find(STARTS);
    let pos = find(POSITIONS);
    let one_based_format = one_based_format(&names);
    let (start, convention) = match (zero_start, start, pos) {
        (Some(s), _, _) => (s, Some(Convention::ZeroBased)),
        (None, Some(s), _) => (s, one_based_format.map(|_| Convention::OneBased)),
        (None, None, Some(p)) => (p, Some(Convention::OneBased)),
        _ => return None,
    };
    let end = find(ENDS);
    let reference = names.iter().position(|n| n == "ref");
    let vcf = pos == Some(start) && reference.is_some();
    let label = find(LABELS).filter(|l| *l != chrom && *l != start);
    let mut shown = vec![cells[chrom].as_str(), cells[start].as_str()];
    if let Some(e) = end {
        shown.push(cells[e].as_str());
    }
    let names = match one_based_format {
        Some(format) => format!("{format}: {}", shown.join(", ")),
        None => shown.join(", "),
    };
    Some(Header {
        delimiter,
        chrom,
        start,
        end,
        reference,
        label,
        convention,
        names,
        vcf,
    })
}

/// A row under a header.
fn read_row(line: &str, header: &Header, convention: Convention) -> Reading {
    if line.starts_with('#') {
        return Reading::Skipped { why: "comment" };
    }
    let cells = match header.delimiter {
        // A header copied with tabs may be followed by rows with tabs only.
        Delimiter::Tab => split_quoted(line, '\t'),
        Delimiter::Comma if line.contains('\t') => split_quoted(line, '\t'),
        Delimiter::Comma => split_quoted(line, ','),
        Delimiter::Whitespace => line.split_whitespace().map(str::to_owned).collect(),
    };
    let cell = |i: usize| cells.get(i).map(String::as_str).unwrap_or("");
    let chrom = cell(header.chrom);
    let Some(start) = parse_number(cell(header.start)) else {
        return Reading::Invalid {
            problem: format!(
                "column {} ({:?}) is not a whole number",
                header.start + 1,
                cell(header.start)
            ),
        };
    };
    let label = header.label.and_then(|l| label_of(cell(l)));
    if header.vcf {
        let ref_len = header.reference.map(|r| cell(r).len() as u64).unwrap_or(1);
        return match vcf_locus(chrom, start, ref_len) {
            Ok(locus) => Reading::Vcf { locus, id: label },
            Err(problem) => Reading::Invalid { problem },
        };
    }
    let Some(end_column) = header.end else {
        return position(chrom, start, label.as_deref().unwrap_or(""));
    };
    let Some(end) = parse_number(cell(end_column)) else {
        return Reading::Invalid {
            problem: format!(
                "column {} ({:?}) is not a whole number",
                end_column + 1,
                cell(end_column)
            ),
        };
    };
    let (convention, ambiguous) = match header.convention {
        Some(c) => (c, false),
        None => unless_single_base(start, end, convention),
    };
    interval(
        chrom,
        start,
        end,
        Shape::Table {
            names: header.names.clone(),
        },
        convention,
        ambiguous,
        label,
    )
}

/// A line read and checked: the loci IGV will get, or why there are none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checked {
    pub loci: Loci,
    /// How the line was read and what it shows, for people:
    /// "BED, 0-based: shown as chr7:140,753,337-140,753,436".
    pub how: String,
}

impl Reading {
    /// Checks the loci of a line against `genome` (names through its gene
    /// annotation), widened by `flank` bases on each side.
    pub fn check(
        &self,
        rules: LociRules,
        genome: Option<&Genome>,
        flank: u64,
    ) -> Result<Checked, String> {
        let (loci, how) = match self {
            Self::Skipped { why } => return Err((*why).to_owned()),
            Self::Invalid { problem } => return Err(problem.clone()),
            Self::Name { name, .. } => self.check_name(name, rules, genome)?,
            // A word that reads as a sequence name (`ENSG00000133703.14`)
            // but is not one of the genome's: a name for its annotation.
            Self::Loci { loci, .. }
                if loci.len() == 1
                    && loci[0].span() == super::locus::Span::Whole
                    && genome.is_some_and(|g| {
                        g.genes().is_some() && g.chromosome(loci[0].chrom().as_str()).is_none()
                    }) =>
            {
                self.check_name(loci[0].chrom().as_str(), rules, genome)?
            }
            other => {
                let list = other.loci().unwrap_or_default();
                let loci = Loci::from_parsed(list, rules, genome).map_err(|e| e.to_string())?;
                (loci, other.how())
            }
        };
        let loci = widen(loci, flank, rules, genome)?;
        let how = format!("{how}: shown as {}", loci.to_display_string());
        Ok(Checked { loci, how })
    }

    fn check_name(
        &self,
        name: &str,
        rules: LociRules,
        genome: Option<&Genome>,
    ) -> Result<(Loci, String), String> {
        let Some(genome) = genome else {
            return Err(GeneProblem::NoAnnotation {
                name: name.to_owned(),
                genome: None,
            }
            .to_string());
        };
        // A sequence of the genome written without `chr` (`2L`, `Pt`).
        if genome.chromosome(name).is_some()
            && let Ok(loci) = Loci::parse(name, rules, Some(genome))
        {
            return Ok((loci, "chromosome".to_owned()));
        }
        let hit = genes::find(genome, name).map_err(|e| e.to_string())?;
        let flank = match genome.gene_flank() {
            0 => String::new(),
            n => format!(", ±{n} bp"),
        };
        let how = format!(
            "gene annotation of {}: {}{flank}",
            genome.id(),
            hit.target.label()
        );
        Ok((Loci::from_locus(hit.locus), how))
    }
}

impl Reading {
    /// For a name the genome's gene annotation does not know, or knows as
    /// several genes: the loci to offer instead (closest names, or each gene).
    pub fn gene_choices(&self, genome: Option<&Genome>) -> Vec<genes::GeneChoice> {
        let name = match self {
            Self::Name { name, .. } => name.as_str(),
            Self::Loci { loci, .. }
                if loci.len() == 1 && loci[0].span() == super::locus::Span::Whole =>
            {
                loci[0].chrom().as_str()
            }
            _ => return Vec::new(),
        };
        match genome.filter(|g| g.genes().is_some() && g.chromosome(name).is_none()) {
            Some(g) => genes::find(g, name)
                .err()
                .map(|problem| problem.choices().to_vec())
                .unwrap_or_default(),
            None => Vec::new(),
        }
    }
}

/// Each locus widened by `flank` and checked again exactly as the relay will
/// check it.
pub fn widen(
    loci: Loci,
    flank: u64,
    rules: LociRules,
    genome: Option<&Genome>,
) -> Result<Loci, String> {
    if flank == 0 {
        return Ok(loci);
    }
    let widened: LocusList = loci
        .as_slice()
        .iter()
        .map(|locus| {
            let length = genome
                .and_then(|g| g.chromosome(locus.chrom().as_str()))
                .map(|c| c.length);
            locus.with_flank(flank, length)
        })
        .collect();
    Loci::from_parsed(widened, rules, genome).map_err(|e| e.to_string())
}

impl fmt::Display for Convention {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(line: &str) -> Reading {
        read_line(line, Convention::ZeroBased)
    }

    fn shown(reading: &Reading) -> String {
        reading
            .loci()
            .map(|l| l.iter().map(Locus::to_string).collect::<Vec<_>>().join(" "))
            .unwrap_or_default()
    }

    #[test]
    fn a_spreadsheet_row_is_bed_like_columns_with_a_label() {
        let r = one("chr7\t140753336\t140753436\tBRAF");
        assert_eq!(shown(&r), "chr7:140753337-140753436");
        assert!(r.is_ambiguous());
        assert_eq!(r.label(), Some("BRAF"));
        let r = read_line("chr7\t140753336\t140753436\tBRAF", Convention::OneBased);
        assert_eq!(shown(&r), "chr7:140753336-140753436");
    }

    #[test]
    fn words_with_numbers_are_columns_not_chromosomes() {
        assert_eq!(
            shown(&one("chr7 140753336 140753436")),
            "chr7:140753337-140753436"
        );
        assert_eq!(shown(&one("chr7 140753336")), "chr7:140753336");
    }

    #[test]
    fn a_bed6_line_is_bed_and_not_ambiguous() {
        let r = one("chr1\t100\t200\tfeat1\t0\t+");
        assert_eq!(shown(&r), "chr1:101-200");
        assert!(!r.is_ambiguous());
        assert_eq!(r.how(), "BED, 0-based");
    }

    #[test]
    fn a_vcf_line_covers_ref() {
        let r = one("2\t5000\tdel1\tACGT\tA\t40\tPASS\tDP=7");
        assert_eq!(shown(&r), "2:5000-5003");
        assert_eq!(r.label(), Some("del1"));
    }

    #[test]
    fn loci_with_labels_and_side_by_side() {
        let r = one("chr7:140,753,336-140,753,436 BRAF V600E");
        assert_eq!(shown(&r), "chr7:140753336-140753436");
        assert_eq!(r.label(), Some("BRAF V600E"));
        assert_eq!(shown(&one("chr1:1-2  chr2:3-4")), "chr1:1-2 chr2:3-4");
    }

    #[test]
    fn names_are_left_for_the_gene_annotation() {
        assert!(matches!(one("KRAS"), Reading::Name { ref name, .. } if name == "KRAS"));
        assert!(matches!(one("l(2)gl"), Reading::Name { .. }));
        assert!(matches!(one("rs113488022"), Reading::Name { .. }));
        assert_eq!(shown(&one("chr2")), "chr2");
    }

    #[test]
    fn libreoffice_csv_with_crlf_quotes_and_a_header() {
        let text = "Chromosome,Start,End,Gene\r\n\"chr7\",\"140,753,336\",\"140,753,436\",\"BRAF, V600E\"\r\nchr12,25245274,25245384,KRAS\r\n";
        let paste = read(text, PasteOptions::default());
        assert!(paste.header.is_some());
        let data: Vec<_> = paste.lines.iter().skip(1).collect();
        assert_eq!(shown(&data[0].reading), "chr7:140753337-140753436");
        assert_eq!(data[0].reading.label(), Some("BRAF, V600E"));
        assert_eq!(shown(&data[1].reading), "chr12:25245275-25245384");
        assert!(paste.ambiguous);
    }

    #[test]
    fn ucsc_and_vcf_headers_say_the_convention() {
        let paste = read(
            "#chrom\tchromStart\tchromEnd\tname\nchr1\t100\t200\tx\n",
            PasteOptions::default(),
        );
        assert_eq!(shown(&paste.lines[1].reading), "chr1:101-200");
        assert!(!paste.ambiguous);
        let paste = read(
            "#CHROM\tPOS\tID\tREF\tALT\nchr1\t100\trs1\tAC\tA\n",
            PasteOptions {
                convention: Convention::OneBased,
                ..PasteOptions::default()
            },
        );
        assert_eq!(shown(&paste.lines[1].reading), "chr1:100-101");
    }

    #[test]
    fn the_line_limit_counts_what_is_left_out() {
        let text = "chr1:1-2\n\nchr1:3-4\nchr1:5-6\r\nchr1:7-8\n";
        let paste = read(
            text,
            PasteOptions {
                max_lines: 2,
                ..PasteOptions::default()
            },
        );
        assert_eq!(paste.lines.len(), 2);
        assert_eq!(paste.left_out, 2);
        assert_eq!(paste.lines[1].number, 3);
    }

    #[test]
    fn crlf_and_lone_cr_count_lines_as_people_see_them() {
        let paste = read(
            "chr1:1-2\r\nchr1:3-4\r\n\r\nchr1:5-6",
            PasteOptions::default(),
        );
        let numbers: Vec<usize> = paste.lines.iter().map(|l| l.number).collect();
        assert_eq!(numbers, [1, 2, 4]);
        let paste = read("chr1:1-2\rchr1:3-4\r", PasteOptions::default());
        assert_eq!(paste.lines.len(), 2);
    }

    #[test]
    fn a_quoted_locus_cell_with_a_tab_inside_does_not_panic() {
        // Found by tests/paste_properties.rs: the cell is not a piece of the
        // line once its quotes are gone.
        let r = one("\"!\t\":®!\t");
        assert!(matches!(r, Reading::Invalid { .. }), "{r:?}");
    }

    #[test]
    fn quoted_cells_keep_separators_and_doubled_quotes() {
        assert_eq!(
            split_quoted("a\t\"b\tc\"\t\"say \"\"hi\"\"\"", '\t'),
            ["a", "b\tc", "say \"hi\""]
        );
    }

    #[test]
    fn a_pasted_maf_row_is_one_based_by_its_header() {
        let text = "Hugo_Symbol\tEntrez_Gene_Id\tCenter\tNCBI_Build\tChromosome\tStart_Position\tEnd_Position\tStrand\n\
                    BRAF\t673\tBI\tGRCh38\tchr7\t140753336\t140753336\t+\n\
                    EGFR\t1956\tBI\tGRCh38\tchr7\t55174772\t55174786\t+\n";
        let paste = read(text, PasteOptions::default());
        assert_eq!(shown(&paste.lines[1].reading), "chr7:140753336");
        assert_eq!(shown(&paste.lines[2].reading), "chr7:55174772-55174786");
        assert!(!paste.ambiguous);
        assert!(paste.lines[2].reading.how().starts_with("table row (MAF: "));
    }

    #[test]
    fn a_pasted_annovar_row_is_one_based_by_its_header() {
        let text = "Chr\tStart\tEnd\tRef\tAlt\tFunc.refGene\tGene.refGene\n\
                    chr7\t140753336\t140753336\tA\tT\texonic\tBRAF\n\
                    chr1\t100\t102\tACG\t-\tintergenic\tNONE\n";
        let paste = read(text, PasteOptions::default());
        assert_eq!(shown(&paste.lines[1].reading), "chr7:140753336");
        assert_eq!(shown(&paste.lines[2].reading), "chr1:100-102");
        assert!(!paste.ambiguous);
    }

    #[test]
    fn a_row_whose_start_is_its_end_is_never_read_zero_based() {
        for line in ["chr7\t140753336\t140753336", "chr7 140753336 140753336"] {
            let r = one(line);
            assert_eq!(shown(&r), "chr7:140753336", "{line}");
            assert!(!r.is_ambiguous(), "{line}");
        }
        let paste = read(
            "chrom,start,end\nchr7,140753336,140753336\n",
            PasteOptions::default(),
        );
        assert_eq!(shown(&paste.lines[1].reading), "chr7:140753336");
        // A BED6 line says 0-based itself: a zero-length feature stays the
        // base after its insertion point.
        assert_eq!(shown(&one("chr1\t100\t100\tins\t0\t+")), "chr1:101");
    }

    #[test]
    fn bad_lines_say_why() {
        assert!(matches!(one("chr1 500 100"), Reading::Invalid { .. }));
        assert!(matches!(one("KRAS:G12C"), Reading::Invalid { .. }));
        assert!(matches!(one("track name=x"), Reading::Skipped { .. }));
    }
}
