//! Tab- or comma-separated tables whose header names the locus columns.
//!
//! The locus comes from, in order of precedence: Galaxy interval metadata
//! (`chrom_col`/`start_col`/`end_col`, 1-based column numbers, 0-based starts like BED
//! per Galaxy's `interval` datatype), a sniffed header (`chrom`, `start`, `end`, ...), or
//! a single `locus` column holding `chr:start-end`.

use std::io::{self, BufRead};

use super::lines::Line;
use super::{
    CoordBase, FormatError, FormatOptions, Input, Interval, Item, Record, RecordStream,
    StreamPosition,
};

/// The "delimiter" of tables aligned with runs of spaces.
pub(super) const WHITESPACE: u8 = b' ';

pub(super) const CHROM_NAMES: &[&str] =
    &["chrom", "chr", "chromosome", "seqname", "contig", "seqid"];
/// `start_position`/`end_position` are MAF's and `bp`/`base_pair_location` GWAS
/// tables', all 1-based: a MAF or GWAS table that reaches us as plain tabular
/// (Galaxy's `tabular` datatype, `?format=tabular`) still links its loci.
const START_NAMES: &[&str] = &[
    "start",
    "pos",
    "position",
    "begin",
    "chromstart",
    "start_position",
    "bp",
    "base_pair_location",
];
const END_NAMES: &[&str] = &["end", "stop", "chromend", "end_position"];
pub(super) const LOCUS_NAMES: &[&str] = &["locus", "position", "region"];
const LABEL_NAMES: &[&str] = &[
    "name",
    "label",
    "id",
    "gene",
    "gene_name",
    "gene_id",
    "symbol",
];
/// UCSC's names for 0-based starts and half-open ends.
const ZERO_BASED_NAMES: &[&str] = &["chromstart", "chromend"];

/// How many comment lines `open` looks through for a header before giving up.
const MAX_LEADING_COMMENT_LINES: usize = 10_000;

#[derive(Debug, Clone, Copy)]
enum Locus {
    Columns {
        chrom: usize,
        start: usize,
        end: Option<usize>,
    },
    Single(usize),
}

/// Everything needed to turn one line into an item; fixed by `open` (or by a
/// format whose specification names its columns, `dialects`).
pub(super) struct RowParser {
    delimiter: u8,
    locus: Locus,
    base: CoordBase,
    label: Option<usize>,
    width: usize,
    record: csv::ByteRecord,
}

pub(crate) struct TabularStream {
    lines: Input,
    columns: Vec<String>,
    parser: RowParser,
    pending: Option<Item>,
}

fn normalized(name: &str) -> String {
    name.trim()
        .trim_start_matches('#')
        .trim()
        .to_ascii_lowercase()
}

fn find(names: &[String], wanted: &[&str], except: &[usize]) -> Option<usize> {
    names
        .iter()
        .enumerate()
        .find(|(i, name)| !except.contains(i) && wanted.contains(&name.as_str()))
        .map(|(i, _)| i)
}

/// Tab if the line has one, else comma if it has one, else tab.
pub(super) fn sniff_delimiter(line: &[u8]) -> u8 {
    if line.contains(&b'\t') {
        b'\t'
    } else if line.contains(&b',') {
        b','
    } else {
        b'\t'
    }
}

/// Splits one line with the `csv` crate: flexible widths; quotes only mean something in
/// CSV (a TSV cell may legitimately start with `"`). [`WHITESPACE`] splits on runs of
/// spaces and tabs (PLINK's aligned `.assoc` columns).
pub(super) fn split(
    delimiter: u8,
    line: &[u8],
    record: &mut csv::ByteRecord,
) -> Result<Vec<String>, String> {
    if delimiter == WHITESPACE {
        let text = std::str::from_utf8(line).map_err(|_| "line is not valid UTF-8 text")?;
        return Ok(text.split_ascii_whitespace().map(str::to_string).collect());
    }
    // Without quoting (every delimiter but ',') and without a CR or LF, which the
    // csv reader takes for the end of the record, csv splits on the delimiter and
    // nothing else: do that directly. A csv reader per line cost 15x the parse.
    if delimiter != b',' && memchr::memchr2(b'\r', b'\n', line).is_none() {
        let text = std::str::from_utf8(line).map_err(|_| "line is not valid UTF-8 text")?;
        return Ok(text.split(delimiter as char).map(str::to_string).collect());
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .quoting(delimiter == b',')
        .from_reader(line);
    match reader.read_byte_record(record) {
        Ok(true) => {}
        Ok(false) => return Ok(Vec::new()),
        Err(e) => return Err(format!("the row cannot be split into columns: {e}")),
    }
    record
        .iter()
        .map(|field| {
            std::str::from_utf8(field)
                .map(str::to_string)
                .map_err(|_| "line is not valid UTF-8 text".to_string())
        })
        .collect()
}

fn parse_number(value: &str, what: &str) -> Result<u64, String> {
    let cleaned: String = value.trim().chars().filter(|c| *c != ',').collect();
    cleaned.parse::<u64>().map_err(|_| {
        if cleaned.is_empty() {
            format!("{what} is empty")
        } else {
            format!("{what} is not a whole number: {value:?}")
        }
    })
}

/// The one place tabular coordinates become 1-based inclusive. Without an end the
/// record is the single base at `start`.
fn to_one_based(base: CoordBase, chrom: &str, start: u64, end: Option<u64>) -> Interval {
    let start = match base {
        CoordBase::Zero => start.saturating_add(1),
        CoordBase::One => start,
    };
    Interval::new(chrom, start, end.unwrap_or(start))
}

/// `chr:start-end` or `chr:pos` (commas allowed in numbers). The chromosome is
/// everything before the last `:`, since some contig names contain `:` (HLA alleles).
fn parse_locus(value: &str) -> Result<(&str, u64, Option<u64>), String> {
    let value = value.trim();
    let Some((chrom, range)) = value.rsplit_once(':') else {
        return Err(format!("locus {value:?} is not chr:start-end or chr:pos"));
    };
    if chrom.is_empty() {
        return Err(format!("locus {value:?} has no chromosome"));
    }
    let (start, end) = match range.split_once('-') {
        Some((start, end)) => (start, Some(end)),
        None => (range, None),
    };
    let start = parse_number(start, "the locus start")?;
    let end = end.map(|e| parse_number(e, "the locus end")).transpose()?;
    Ok((chrom, start, end))
}

impl RowParser {
    /// A parser for rows whose columns a format's specification fixes.
    pub(super) fn for_columns(
        delimiter: u8,
        (chrom, start, end): (usize, usize, Option<usize>),
        base: CoordBase,
        label: Option<usize>,
        width: usize,
    ) -> Self {
        RowParser {
            delimiter,
            locus: Locus::Columns { chrom, start, end },
            base,
            label,
            width,
            record: csv::ByteRecord::new(),
        }
    }

    pub(super) fn parse(&mut self, number: u64, bytes: &[u8]) -> Item {
        match self.try_parse(number, bytes) {
            Ok(record) => Item::Record(record),
            Err(message) => super::invalid(number, message, bytes),
        }
    }

    pub(super) fn try_parse(&mut self, number: u64, bytes: &[u8]) -> Result<Record, String> {
        let mut cells = split(self.delimiter, bytes, &mut self.record)?;
        let cell = |i: usize, what: &str| -> Result<&str, String> {
            cells.get(i).map(|s| s.trim()).ok_or_else(|| {
                format!(
                    "the {what} is in column {}, but this row has {} columns",
                    i + 1,
                    cells.len()
                )
            })
        };
        let (chrom, start, end) = match self.locus {
            Locus::Columns { chrom, start, end } => {
                let chrom = cell(chrom, "chromosome")?;
                let start = parse_number(cell(start, "start")?, "start")?;
                let end = match end {
                    Some(i) => Some(parse_number(cell(i, "end")?, "end")?),
                    None => None,
                };
                (chrom, start, end)
            }
            Locus::Single(i) => parse_locus(cell(i, "locus")?)?,
        };
        if chrom.is_empty() {
            return Err("the chromosome is empty".to_string());
        }
        if let Some(end) = end
            && end < start
        {
            return Err(format!("end ({end}) is before start ({start})"));
        }
        let interval = to_one_based(self.base, chrom, start, end);
        let label = self
            .label
            .and_then(|i| cells.get(i))
            .map(|s| s.trim().to_string())
            .unwrap_or_default();
        cells.resize(self.width, String::new());
        Ok(Record {
            line: number,
            intervals: vec![interval],
            label,
            cells,
            sv: None,
            filter_pass: None,
        })
    }
}

fn no_locus_columns(found: &[String]) -> FormatError {
    let found = if found.is_empty() {
        "the file has no lines".to_string()
    } else {
        found.join(", ")
    };
    FormatError::NoLocusColumns {
        found,
        accepted: format!(
            "chromosome: {}; start: {}; end: {}",
            CHROM_NAMES.join("/"),
            START_NAMES.join("/"),
            END_NAMES.join("/")
        ),
        locus: LOCUS_NAMES.join("/"),
    }
}

impl TabularStream {
    pub(crate) fn open(mut lines: Input, options: &FormatOptions) -> Result<Self, FormatError> {
        let max = lines.max();
        let mut record = csv::ByteRecord::new();

        // A header is the last single-`#` line before the data (`#chrom start end`), or
        // the first data line itself when it holds a recognised name.
        let mut hash_header: Option<Vec<u8>> = None;
        let mut first: Option<(u64, Vec<u8>)> = None;
        let mut pending: Option<Item> = None;
        let mut comments = 0;
        while comments < MAX_LEADING_COMMENT_LINES {
            match lines.next_line()? {
                None => break,
                Some(Line::TooLong {
                    number,
                    len,
                    prefix,
                }) => {
                    pending = Some(super::too_long(number, len, max, prefix));
                    break;
                }
                Some(Line::Text { number, bytes }) => {
                    if bytes.iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    if bytes.starts_with(b"##") {
                        comments += 1;
                    } else if let Some(rest) = bytes.strip_prefix(b"#") {
                        comments += 1;
                        hash_header = Some(rest.to_vec());
                    } else {
                        first = Some((number, bytes.to_vec()));
                        break;
                    }
                }
            }
        }

        // Each candidate header is split with its own sniffed delimiter. A recognised
        // `#` line wins, then a recognised first line (`chrom,start,end` without `#`);
        // otherwise the `#` line only names the columns and the data decides the
        // delimiter.
        let split_line = |bytes: &[u8], record: &mut csv::ByteRecord| {
            let delimiter = sniff_delimiter(bytes);
            (
                delimiter,
                split(delimiter, bytes, record).unwrap_or_default(),
            )
        };
        let recognised = |fields: &[String]| {
            fields.iter().map(|f| normalized(f)).any(|name| {
                CHROM_NAMES.contains(&name.as_str()) || LOCUS_NAMES.contains(&name.as_str())
            })
        };
        let hash = hash_header.as_deref().map(|b| split_line(b, &mut record));
        let data = first.as_ref().map(|(_, b)| split_line(b, &mut record));
        let (delimiter, header) = match (hash, data) {
            (Some(hash), _) if recognised(&hash.1) => hash,
            (_, Some(data)) if recognised(&data.1) => {
                first = None;
                data
            }
            (Some((_, names)), Some((delimiter, _))) => (delimiter, names),
            (Some(hash), None) => hash,
            (None, Some((delimiter, _))) => (delimiter, Vec::new()),
            (None, None) => (b'\t', Vec::new()),
        };
        let first_fields = match &first {
            Some((_, bytes)) => split(delimiter, bytes, &mut record).unwrap_or_default(),
            None => Vec::new(),
        };
        let data_width = first_fields.len();
        let names: Vec<String> = header.iter().map(|h| normalized(h)).collect();
        // What to quote back when nothing fits: the header, or else the first line.
        let seen = if header.is_empty() {
            &first_fields
        } else {
            &header
        };

        let galaxy =
            options.chrom_col.is_some() || options.start_col.is_some() || options.end_col.is_some();
        let sniffed_chrom = find(&names, CHROM_NAMES, &[]);
        let sniffed_start = sniffed_chrom.and_then(|c| find(&names, START_NAMES, &[c]));
        let sniffed_end = match (sniffed_chrom, sniffed_start) {
            (Some(c), Some(s)) => find(&names, END_NAMES, &[c, s]),
            _ => None,
        };
        let from_galaxy = |col: Option<usize>| col.and_then(|c| c.checked_sub(1));
        let (locus, base) = if galaxy {
            let chrom = from_galaxy(options.chrom_col).or(sniffed_chrom);
            let start = from_galaxy(options.start_col).or(sniffed_start);
            let end = from_galaxy(options.end_col).or(sniffed_end);
            match (chrom, start) {
                (Some(chrom), Some(start)) => (
                    Locus::Columns { chrom, start, end },
                    options.coords.unwrap_or(CoordBase::Zero),
                ),
                _ => return Err(no_locus_columns(seen)),
            }
        } else if let (Some(chrom), Some(start)) = (sniffed_chrom, sniffed_start) {
            let zero_based = [Some(start), sniffed_end]
                .into_iter()
                .flatten()
                .any(|i| ZERO_BASED_NAMES.contains(&names[i].as_str()));
            let default = if zero_based {
                CoordBase::Zero
            } else {
                CoordBase::One
            };
            (
                Locus::Columns {
                    chrom,
                    start,
                    end: sniffed_end,
                },
                options.coords.unwrap_or(default),
            )
        } else if let Some(i) = find(&names, LOCUS_NAMES, &[]) {
            (Locus::Single(i), options.coords.unwrap_or(CoordBase::One))
        } else {
            return Err(no_locus_columns(seen));
        };

        let used: Vec<usize> = match locus {
            Locus::Columns { chrom, start, end } => [Some(chrom), Some(start), end]
                .into_iter()
                .flatten()
                .collect(),
            Locus::Single(i) => vec![i],
        };
        let label = find(&names, LABEL_NAMES, &used);
        let needed = used.iter().max().map_or(0, |m| m + 1);
        let width = header.len().max(data_width).max(needed);
        let columns = (0..width)
            .map(|i| match header.get(i) {
                Some(name) if !name.trim().is_empty() => name.trim().to_string(),
                _ => format!("column {}", i + 1),
            })
            .collect();

        let mut parser = RowParser {
            delimiter,
            locus,
            base,
            label,
            width,
            record,
        };
        if let Some((number, bytes)) = first {
            pending = Some(parser.parse(number, &bytes));
        }
        Ok(TabularStream {
            lines,
            columns,
            parser,
            pending,
        })
    }
}

impl RecordStream for TabularStream {
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

    fn skip_items(&mut self, n: u64) -> io::Result<u64> {
        let mut skipped = 0;
        if n > 0 && self.pending.take().is_some() {
            skipped += 1;
        }
        while skipped < n {
            match self.lines.next_line()? {
                None => break,
                // As in `next_item`: blank and `#` lines are no item, every other line is.
                Some(Line::Text { bytes, .. })
                    if bytes.iter().all(u8::is_ascii_whitespace) || bytes.starts_with(b"#") => {}
                Some(_) => skipped += 1,
            }
        }
        Ok(skipped)
    }

    fn next_item(&mut self) -> io::Result<Option<Item>> {
        if let Some(item) = self.pending.take() {
            return Ok(Some(item));
        }
        let max = self.lines.max();
        loop {
            let Some(line) = self.lines.next_line()? else {
                return Ok(None);
            };
            return Ok(Some(match line {
                Line::TooLong {
                    number,
                    len,
                    prefix,
                } => super::too_long(number, len, max, prefix),
                Line::Text { number, bytes } => {
                    if bytes.iter().all(u8::is_ascii_whitespace) || bytes.starts_with(b"#") {
                        continue;
                    }
                    self.parser.parse(number, bytes)
                }
            }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locus_with_commas_and_colons_in_the_contig_name() {
        assert_eq!(
            parse_locus("HLA-A*01:01:1,000-2,000"),
            Ok(("HLA-A*01:01", 1000, Some(2000)))
        );
        assert_eq!(parse_locus("chr2:500"), Ok(("chr2", 500, None)));
        assert!(parse_locus("chr2").is_err());
    }

    #[test]
    fn zero_based_start_without_end_is_one_base() {
        assert_eq!(
            to_one_based(CoordBase::Zero, "chr1", 99, None),
            Interval::new("chr1", 100, 100)
        );
    }
}
