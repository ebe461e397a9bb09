//! BED3..BED12, bedGraph, narrowPeak, broadPeak and BEDPE, hand-written.
//!
//! noodles-bed rejects the `track`/`browser` lines that UCSC and Galaxy BED files often
//! start with, and fixes the column count at compile time, so these few rules are ours:
//! <https://genome.ucsc.edu/FAQ/FAQformat.html#format1>, ENCODE narrowPeak/broadPeak,
//! and bedtools BEDPE (<https://bedtools.readthedocs.io/en/latest/content/general-usage.html#bedpe-format>).

use std::io::{self, BufRead};

use super::lines::Line;
use super::sv::SvEvent;
use super::{FormatError, FormatKind, Input, Interval, Item, Record, RecordStream, StreamPosition};

pub(crate) const BED12_COLUMNS: [&str; 12] = [
    "chrom",
    "start",
    "end",
    "name",
    "score",
    "strand",
    "thickStart",
    "thickEnd",
    "itemRgb",
    "blockCount",
    "blockSizes",
    "blockStarts",
];
pub(crate) const BEDGRAPH_COLUMNS: [&str; 4] = ["chrom", "start", "end", "value"];
pub(crate) const NARROWPEAK_COLUMNS: [&str; 10] = [
    "chrom",
    "start",
    "end",
    "name",
    "score",
    "strand",
    "signalValue",
    "pValue",
    "qValue",
    "peak",
];
pub(crate) const BEDPE_COLUMNS: [&str; 10] = [
    "chrom1", "start1", "end1", "chrom2", "start2", "end2", "name", "score", "strand1", "strand2",
];

/// Where the name column is, per kind.
fn name_index(kind: FormatKind) -> Option<usize> {
    match kind {
        FormatKind::Bedpe => Some(6),
        FormatKind::BedGraph => None,
        _ => Some(3),
    }
}

/// The one place BED coordinates become 1-based inclusive: 0-based half-open
/// `[start, end)` is `start + 1 ..= end`.
///
/// A zero-length feature (`start == end`) is an insertion point: UCSC uses it for
/// insertions (dbSNP's BEDs have them) and bedtools accepts it. It lies between the
/// 1-based bases `start` and `start + 1`, so it is shown as exactly those two bases,
/// `start ..= start + 1`: the smallest locus IGV can show that contains the point
/// (IGV has no zero-width locus). At the very start of a sequence (`0 0`) only base 1
/// borders it.
fn to_one_based(chrom: &str, start: u64, end: u64) -> Interval {
    if start == end {
        return Interval::new(chrom, start.max(1), start.saturating_add(1));
    }
    Interval::new(chrom, start.saturating_add(1), end)
}

/// Splits on tabs, or on runs of spaces when the line has no tab (UCSC accepts
/// whitespace-separated BED and hand-made files often use it).
fn split_fields(line: &str) -> Vec<&str> {
    if line.contains('\t') {
        line.split('\t').collect()
    } else {
        line.split_ascii_whitespace().collect()
    }
}

/// Lines that carry no feature: blank, comments, UCSC `track` and `browser` lines.
fn is_skipped(line: &str) -> bool {
    let trimmed = line.trim_start();
    trimmed.is_empty()
        || trimmed.starts_with('#')
        || is_keyword_line(trimmed, "track")
        || is_keyword_line(trimmed, "browser")
}

fn is_keyword_line(line: &str, keyword: &str) -> bool {
    line.strip_prefix(keyword)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t']))
}

fn parse_coordinate(value: &str, what: &str) -> Result<u64, String> {
    value.parse::<u64>().map_err(|_| {
        if value.starts_with('-') && value[1..].bytes().all(|b| b.is_ascii_digit()) {
            format!("{what} is negative ({value}); BED coordinates count from 0")
        } else if value.is_empty() {
            format!("{what} is empty")
        } else {
            format!("{what} is not a whole number: {value:?}")
        }
    })
}

/// One feature from its chrom/start/end fields, checked and converted.
fn feature(fields: &[&str], at: usize, suffix: &str) -> Result<Interval, String> {
    let chrom = fields[at];
    if chrom.is_empty() {
        return Err(format!("chrom{suffix} is empty"));
    }
    let start = parse_coordinate(fields[at + 1], &format!("start{suffix}"))?;
    let end = parse_coordinate(fields[at + 2], &format!("end{suffix}"))?;
    if end < start {
        return Err(format!(
            "end{suffix} ({end}) is before start{suffix} ({start})"
        ));
    }
    Ok(to_one_based(chrom, start, end))
}

/// BEDPE marks an unknown mate with chrom `.` and start/end `-1`.
fn is_unknown_mate(fields: &[&str], at: usize) -> bool {
    fields[at] == "." && fields[at + 1] == "-1" && fields[at + 2] == "-1"
}

/// Parses one data line (not a skipped line) into intervals and a label.
fn parse_fields(kind: FormatKind, fields: &[&str]) -> Result<(Vec<Interval>, String), String> {
    let required = if kind == FormatKind::Bedpe { 6 } else { 3 };
    if fields.len() < required {
        return Err(format!(
            "expected at least {required} columns ({}), found {}",
            columns_for(kind, required).join(", "),
            fields.len()
        ));
    }
    let mut intervals = Vec::with_capacity(2);
    if kind == FormatKind::Bedpe {
        for (at, suffix) in [(0, "1"), (3, "2")] {
            if !is_unknown_mate(fields, at) {
                intervals.push(feature(fields, at, suffix)?);
            }
        }
        if intervals.is_empty() {
            return Err("both ends of the pair are unknown (. -1 -1)".to_string());
        }
    } else {
        intervals.push(feature(fields, 0, "")?);
    }
    let label = name_index(kind)
        .and_then(|i| fields.get(i))
        .filter(|name| !name.is_empty() && **name != ".")
        .map(|name| name.to_string())
        .unwrap_or_default();
    Ok((intervals, label))
}

fn columns_for(kind: FormatKind, width: usize) -> Vec<String> {
    let named: &[&str] = match kind {
        FormatKind::BedGraph => &BEDGRAPH_COLUMNS,
        FormatKind::NarrowPeak => &NARROWPEAK_COLUMNS,
        FormatKind::BroadPeak => &NARROWPEAK_COLUMNS[..9],
        FormatKind::Bedpe => &BEDPE_COLUMNS,
        _ => &BED12_COLUMNS[..width.clamp(3, 12)],
    };
    named.iter().map(|s| s.to_string()).collect()
}

/// Streams BED-family records.
pub(crate) struct BedStream {
    kind: FormatKind,
    lines: Input,
    columns: Vec<String>,
    /// The first data line, read by `open` to learn how many columns a BED file has.
    pending: Option<Item>,
}

impl BedStream {
    pub(crate) fn open(kind: FormatKind, lines: Input) -> Result<Self, FormatError> {
        let mut stream = BedStream {
            kind,
            lines,
            columns: Vec::new(),
            pending: None,
        };
        let mut width = 3;
        if let Some((item, first_width)) = stream.read_item()? {
            width = first_width.unwrap_or(width);
            stream.pending = Some(item);
        }
        stream.columns = columns_for(kind, width);
        Ok(stream)
    }

    /// The next item and, for a text line, how many fields it had.
    fn read_item(&mut self) -> io::Result<Option<(Item, Option<usize>)>> {
        let kind = self.kind;
        loop {
            let (number, bytes) = match super::next_line(&mut self.lines)? {
                None => return Ok(None),
                Some(Err(too_long)) => return Ok(Some((too_long, None))),
                Some(Ok(line)) => line,
            };
            let Ok(text) = std::str::from_utf8(bytes) else {
                let item = super::invalid(number, "line is not valid UTF-8 text", bytes);
                return Ok(Some((item, None)));
            };
            if is_skipped(text) {
                continue;
            }
            let fields = split_fields(text);
            let width = fields.len();
            let item = match parse_fields(kind, &fields) {
                Ok((intervals, label)) => Item::Record(Record {
                    line: number,
                    sv: (kind == FormatKind::Bedpe)
                        .then(|| SvEvent::of_bedpe(&fields, &intervals))
                        .flatten()
                        .map(Box::new),
                    intervals,
                    label,
                    cells: fields.iter().map(|s| s.to_string()).collect(),
                    filter_pass: None,
                }),
                Err(message) => super::invalid(number, message, bytes),
            };
            return Ok(Some((item, Some(width))));
        }
    }
}

impl RecordStream for BedStream {
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
                // As in `read_item`: text that is not a skipped line is one item, and
                // so is a line that is too long or not UTF-8.
                Some(Line::Text { bytes, .. }) => {
                    if std::str::from_utf8(bytes).map_or(true, |text| !is_skipped(text)) {
                        skipped += 1;
                    }
                }
                Some(Line::TooLong { .. }) => skipped += 1,
            }
        }
        Ok(skipped)
    }

    fn next_item(&mut self) -> io::Result<Option<Item>> {
        let item = match self.pending.take() {
            Some(item) => Some(item),
            None => self.read_item()?.map(|(item, _)| item),
        };
        Ok(item.map(|item| match item {
            Item::Record(mut record) => {
                record.cells.resize(self.columns.len(), String::new());
                Item::Record(record)
            }
            invalid => invalid,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bed_start_is_converted_to_one_based() {
        let (intervals, _) =
            parse_fields(FormatKind::Bed, &["chr7", "55019016", "55211628"]).expect("valid");
        assert_eq!(intervals, vec![Interval::new("chr7", 55019017, 55211628)]);
    }

    #[test]
    fn a_zero_length_feature_is_the_two_bases_around_the_insertion_point() {
        let (intervals, _) =
            parse_fields(FormatKind::Bed, &["chr1", "1000", "1000", "ins"]).expect("valid");
        assert_eq!(intervals, vec![Interval::new("chr1", 1000, 1001)]);
        let (intervals, _) = parse_fields(FormatKind::Bed, &["chr1", "0", "0"]).expect("valid");
        assert_eq!(intervals, vec![Interval::new("chr1", 1, 1)]);
    }

    #[test]
    fn track_and_browser_lines_are_skipped_but_trackfoo_is_not() {
        assert!(is_skipped("track name=x"));
        assert!(is_skipped("browser position chr1:1-100"));
        assert!(is_skipped("track"));
        assert!(!is_skipped("trackfoo\t1\t2"));
    }

    #[test]
    fn negative_start_says_so() {
        let err = parse_fields(FormatKind::Bed, &["chr1", "-5", "10"]).expect_err("negative");
        assert!(err.contains("negative"), "{err}");
    }

    #[test]
    fn bedpe_unknown_mate_gives_one_interval() {
        let fields = ["chr1", "99", "200", ".", "-1", "-1", "pair"];
        let (intervals, label) = parse_fields(FormatKind::Bedpe, &fields).expect("valid");
        assert_eq!(intervals, vec![Interval::new("chr1", 100, 200)]);
        assert_eq!(label, "pair");
    }
}
