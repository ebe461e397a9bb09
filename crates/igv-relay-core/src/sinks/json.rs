//! The JSON export: which genome and why, then every row (its locus and
//! links, or its error, and the record's columns by name), then the counts,
//! known only at the end: `{"genome":…,"rows":[…],"records":…,"refused":…}`.

use std::io;

use serde::Serialize;

use super::{EXPORT_CHUNK_BYTES, ExportOut, RowLinks};
use crate::rows::{RefusalCounts, Row, RowSink};
use crate::view::{FileView, Triage};

/// The head: which genome, why.
#[derive(Serialize)]
struct JsonHead<'a> {
    genome: Option<&'a str>,
    genome_source: Option<&'a str>,
    genome_reason: Option<&'a str>,
    notices: &'a [String],
}

#[derive(Serialize)]
struct JsonRow<'a> {
    line: u64,
    label: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    locus: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    relay_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    igv_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    /// The record's columns by name.
    #[serde(skip_serializing_if = "Option::is_none")]
    cells: Option<serde_json::Map<String, serde_json::Value>>,
}

pub struct JsonSink<'v, W: ExportOut> {
    out: W,
    buf: Vec<u8>,
    triage: &'v Triage,
    /// The view's columns (`None`: links only).
    columns: Option<Vec<String>>,
    links: RowLinks<'v>,
    records: u64,
    refused: RefusalCounts,
}

impl<'v, W: ExportOut> JsonSink<'v, W> {
    /// Writes the head, up to the open list of rows.
    pub fn new(
        view: &'v FileView<'_>,
        triage: &'v Triage,
        columns: Option<Vec<String>>,
        mut out: W,
    ) -> io::Result<Self> {
        let choice = view.genome_choice();
        let reason = choice.map(|c| c.source.to_string());
        let head = JsonHead {
            genome: view.genome_id(),
            genome_source: choice.map(|c| c.source.code()),
            genome_reason: reason.as_deref(),
            notices: choice.map_or(&[], |c| &c.notices),
        };
        let head = serde_json::to_string(&head).map_err(io::Error::other)?;
        // `{"genome":...,"notices":[...]` and then the rows.
        out.write_all(&head.as_bytes()[..head.len() - 1])?;
        out.write_all(b",\"rows\":[")?;
        Ok(Self {
            out,
            buf: Vec::with_capacity(EXPORT_CHUNK_BYTES * 2),
            triage,
            columns,
            links: RowLinks::new(view),
            records: 0,
            refused: RefusalCounts::default(),
        })
    }

    /// Writes the counts after the rows they count, and hands on the rest.
    pub fn finish(mut self) -> io::Result<W> {
        let tail = serde_json::json!({
            "records": self.records,
            "linked": self.records - self.refused.total(),
            "refused": self.refused,
        })
        .to_string();
        // `],"records":...}`
        self.buf.extend_from_slice(b"],");
        self.buf.extend_from_slice(&tail.as_bytes()[1..]);
        self.buf.push(b'\n');
        self.out.write_chunk(std::mem::take(&mut self.buf))?;
        Ok(self.out)
    }
}

impl<W: ExportOut> RowSink for JsonSink<'_, W> {
    fn row(&mut self, mut row: Row) -> io::Result<()> {
        if self.records > 0 {
            self.buf.push(b',');
        }
        self.records += 1;
        if let Err(refusal) = &row.loci {
            self.refused.add(refusal);
        }
        let cells = match &self.columns {
            Some(columns) if row.raw.is_none() => {
                let cells = self
                    .triage
                    .cells(std::mem::take(&mut row.cells), row.values.as_deref());
                Some(
                    columns
                        .iter()
                        .zip(cells)
                        .map(|(c, v)| (c.clone(), serde_json::Value::String(v)))
                        .collect(),
                )
            }
            _ => None,
        };
        let linked = self.links.set(&row.loci);
        let links = &self.links;
        let record = JsonRow {
            line: row.line,
            label: &row.label,
            locus: linked.then(|| links.locus.clone()),
            relay_url: linked.then(|| links.relay.clone()),
            igv_url: linked.then(|| format!("{}{}", links.igv_prefix, links.encoded)),
            error: row.loci.as_ref().err().map(ToString::to_string),
            cells,
        };
        serde_json::to_writer(&mut self.buf, &record).map_err(io::Error::other)?;
        if self.buf.len() >= EXPORT_CHUNK_BYTES {
            let next = Vec::with_capacity(EXPORT_CHUNK_BYTES * 2);
            self.out
                .write_chunk(std::mem::replace(&mut self.buf, next))?;
        }
        Ok(())
    }
}
