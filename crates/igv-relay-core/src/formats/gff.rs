//! GFF3 with noodles' lazy line reader (<https://github.com/The-Sequence-Ontology/Specifications/blob/master/gff3.md>).
//!
//! GFF coordinates are 1-based inclusive already, so `to_interval` copies them.
//! Reading stops at `##FASTA` (or at a bare `>` line, which some tools write without the
//! directive): what follows is sequence, not features.

use std::io::{self, BufRead};

use noodles::core::Position;
use noodles::gff;
use noodles::gff::feature::record::Strand;
use noodles::gff::record::attributes::field::Value;

use super::{Input, Interval, Item, Record, RecordStream, StreamPosition};

pub(crate) const COLUMNS: [&str; 8] = [
    "seqid", "source", "type", "start", "end", "strand", "ID", "Name",
];

/// The one place GFF/GTF positions become an interval: both are 1-based inclusive.
pub(crate) fn to_interval(seqid: String, start: Position, end: Position) -> Interval {
    Interval {
        chrom: seqid,
        start: start.get() as u64,
        end: end.get() as u64,
    }
}

pub(crate) fn strand_text(strand: Strand) -> &'static str {
    match strand {
        Strand::None => ".",
        Strand::Forward => "+",
        Strand::Reverse => "-",
        Strand::Unknown => "?",
    }
}

/// The first non-empty value among `candidates`, in order.
pub(crate) fn first_label(candidates: &[&Option<String>]) -> String {
    candidates
        .iter()
        .find_map(|c| c.as_ref().filter(|s| !s.is_empty()))
        .cloned()
        .unwrap_or_default()
}

pub(crate) fn columns(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

/// A blank line, including one of only spaces and tabs.
pub(crate) fn is_blank(bytes: &[u8]) -> bool {
    bytes.iter().all(|b| b.is_ascii_whitespace())
}

pub(crate) struct GffStream {
    lines: Input,
    line: gff::Line,
    columns: Vec<String>,
    done: bool,
}

impl GffStream {
    pub(crate) fn open(lines: Input) -> Self {
        GffStream {
            lines,
            line: gff::Line::default(),
            columns: columns(&COLUMNS),
            done: false,
        }
    }
}

impl RecordStream for GffStream {
    fn columns(&self) -> &[String] {
        &self.columns
    }

    fn position(&self) -> Option<StreamPosition> {
        Some(StreamPosition::of(&self.lines))
    }

    fn resume(&mut self, input: Box<dyn BufRead + Send>, at: StreamPosition) -> io::Result<()> {
        self.done = false;
        self.lines.restart(input, at.line, at.offset);
        Ok(())
    }

    fn next_item(&mut self) -> io::Result<Option<Item>> {
        while !self.done {
            let (number, bytes) = match super::next_line(&mut self.lines)? {
                None => break,
                Some(Err(too_long)) => return Ok(Some(too_long)),
                Some(Ok(line)) => line,
            };
            if is_blank(bytes) {
                continue;
            }
            if bytes.starts_with(b">") {
                self.done = true;
                break;
            }
            if let Err(e) = gff::io::Reader::new(bytes).read_line(&mut self.line) {
                return Ok(Some(super::invalid(
                    number,
                    format!("not a GFF line: {e}"),
                    bytes,
                )));
            }
            match self.line.kind() {
                gff::line::Kind::Comment => continue,
                gff::line::Kind::Directive => {
                    let is_fasta = self
                        .line
                        .as_directive()
                        .is_some_and(|directive| directive.key() == "FASTA");
                    if is_fasta {
                        self.done = true;
                    }
                    continue;
                }
                gff::line::Kind::Record => {}
            }
            let item = match self.line.as_record() {
                None => continue,
                Some(Ok(record)) => match to_record(number, &record) {
                    Ok(record) => Item::Record(record),
                    Err(message) => super::invalid(number, message, bytes),
                },
                Some(Err(e)) => super::invalid(
                    number,
                    format!("expected 9 tab-separated GFF columns: {e}"),
                    bytes,
                ),
            };
            return Ok(Some(item));
        }
        Ok(None)
    }
}

fn attribute(
    attributes: &gff::record::Attributes<'_>,
    tag: &str,
) -> Result<Option<String>, String> {
    match attributes.get(tag.as_bytes()) {
        None => Ok(None),
        Some(Ok(Value::String(value))) => Ok(Some(value.to_string())),
        Some(Ok(Value::Array(values))) => Ok(Some(
            values
                .iter()
                .map(|value| value.to_string())
                .collect::<Vec<_>>()
                .join(","),
        )),
        Some(Err(e)) => Err(format!("the attributes column is malformed: {e}")),
    }
}

fn to_record(line: u64, record: &gff::Record<'_>) -> Result<Record, String> {
    let seqid = record.reference_sequence_name().to_string();
    let start = record
        .start()
        .map_err(|e| format!("start is not a position counted from 1: {e}"))?;
    let end = record
        .end()
        .map_err(|e| format!("end is not a position counted from 1: {e}"))?;
    let strand = record
        .strand()
        .map_err(|e| format!("strand is not +, -, . or ?: {e}"))?;
    // A malformed attributes column (GTF's `key "value"` in a `.gff3`, a stray `=`)
    // only loses the label: the position is still good, and htslib/bedtools read it.
    let attributes = record.attributes();
    let attribute = |tag| attribute(&attributes, tag).ok().flatten();
    let id = attribute("ID");
    let name = attribute("Name");
    let gene_name = attribute("gene_name");
    let gene_id = attribute("gene_id");
    let label = first_label(&[&name, &id, &gene_name, &gene_id]);
    let cells = vec![
        seqid.clone(),
        record.source().to_string(),
        record.ty().to_string(),
        start.get().to_string(),
        end.get().to_string(),
        strand_text(strand).to_string(),
        id.unwrap_or_default(),
        name.unwrap_or_default(),
    ];
    Ok(Record {
        line,
        intervals: vec![to_interval(seqid, start, end)],
        label,
        cells,
        sv: None,
        filter_pass: None,
    })
}
