//! GTF (GFF2 with `key "value";` attributes) with noodles' lazy line reader
//! (<https://mblab.wustl.edu/GTF22.html>). Coordinates are 1-based inclusive, as in GFF3.

use std::io::{self, BufRead};

use noodles::gtf;

use super::gff::{columns, first_label, is_blank, strand_text, to_interval};
use super::{Input, Item, Record, RecordStream, StreamPosition};

pub(crate) const COLUMNS: [&str; 9] = [
    "seqid",
    "source",
    "type",
    "start",
    "end",
    "strand",
    "gene_id",
    "gene_name",
    "transcript_id",
];

pub(crate) struct GtfStream {
    lines: Input,
    line: gtf::Line,
    columns: Vec<String>,
}

impl GtfStream {
    pub(crate) fn open(lines: Input) -> Self {
        GtfStream {
            lines,
            line: gtf::Line::default(),
            columns: columns(&COLUMNS),
        }
    }
}

impl RecordStream for GtfStream {
    fn columns(&self) -> &[String] {
        &self.columns
    }

    fn position(&self) -> Option<StreamPosition> {
        Some(StreamPosition::of(&self.lines))
    }

    fn resume(&mut self, input: Box<dyn BufRead + Send>, at: StreamPosition) -> io::Result<()> {
        self.lines.restart(input, at.line, at.offset);
        Ok(())
    }

    fn next_item(&mut self) -> io::Result<Option<Item>> {
        loop {
            let (number, bytes) = match super::next_line(&mut self.lines)? {
                None => return Ok(None),
                Some(Err(too_long)) => return Ok(Some(too_long)),
                Some(Ok(line)) => line,
            };
            if is_blank(bytes) {
                continue;
            }
            // GFF1 lets the 9th column (its "group") out; noodles wants nine.
            let padded;
            let line = if memchr::memchr_iter(b'\t', bytes).count() == 7 {
                padded = [bytes, b"\t.".as_slice()].concat();
                &padded[..]
            } else {
                bytes
            };
            if let Err(e) = gtf::io::Reader::new(line).read_line(&mut self.line) {
                return Ok(Some(super::invalid(
                    number,
                    format!("not a GTF line: {e}"),
                    bytes,
                )));
            }
            let item = match self.line.as_record() {
                None => continue,
                Some(Ok(record)) => match to_record(number, &record) {
                    Ok(record) => Item::Record(record),
                    Err(message) => super::invalid(number, message, bytes),
                },
                Some(Err(e)) => super::invalid(
                    number,
                    format!("expected 9 tab-separated GTF columns: {e}"),
                    bytes,
                ),
            };
            return Ok(Some(item));
        }
    }
}

/// One attribute as text; values given more than once are joined with commas.
fn attribute(attributes: Option<&gtf::record::Attributes<'_>>, key: &str) -> Option<String> {
    match attributes?.get(key.as_bytes())? {
        Ok(value) => Some(
            value
                .iter()
                .map(|v| v.to_string())
                .collect::<Vec<_>>()
                .join(","),
        ),
        Err(_) => None,
    }
}

fn to_record(line: u64, record: &gtf::Record<'_>) -> Result<Record, String> {
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
    // A malformed attributes column only loses the label: the position is still good.
    let attributes = record.attributes().ok();
    let attributes = attributes.as_ref();
    let name = attribute(attributes, "Name");
    let id = attribute(attributes, "ID");
    let gene_id = attribute(attributes, "gene_id");
    let gene_name = attribute(attributes, "gene_name");
    let transcript_id = attribute(attributes, "transcript_id");
    let label = first_label(&[&name, &id, &gene_name, &gene_id, &transcript_id]);
    let cells = vec![
        seqid.clone(),
        record.source().to_string(),
        record.ty().to_string(),
        start.get().to_string(),
        end.get().to_string(),
        strand_text(strand).to_string(),
        gene_id.unwrap_or_default(),
        gene_name.unwrap_or_default(),
        transcript_id.unwrap_or_default(),
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
