//! The TSV export: a `#` line naming the genome, a header, then per row its
//! line, locus, label, relay link, IGV link, error and (unless
//! `?links_only=1`) the record's columns. Rows are appended piece by piece
//! into a buffer handed on in chunks; a large plain file is written in
//! stretches on several threads, each stretch's rows one chunk.

use std::io;

use super::{EXPORT_CHUNK_BYTES, ExportOut, RowLinks, genome_line};
use crate::rows::stretches::Stretch;
use crate::rows::{Row, RowSink};
use crate::view::{FileView, Triage};

/// The TSV rows of a view, into `out`.
pub struct TsvSink<'v, W: ExportOut> {
    out: W,
    rows: TsvRows<'v>,
}

impl<'v, W: ExportOut> TsvSink<'v, W> {
    /// Writes the head: the genome line and the column names (`columns`:
    /// the view's, `None` for links only).
    pub fn new(
        view: &'v FileView<'_>,
        triage: &'v Triage,
        columns: Option<&[String]>,
        mut out: W,
    ) -> io::Result<Self> {
        writeln!(out, "# igv-relay: {}", genome_line(view))?;
        let mut head = b"line\tlocus\tlabel\trelay_url\tigv_url\terror".to_vec();
        for column in columns.unwrap_or_default() {
            head.push(b'\t');
            push_field(&mut head, column);
        }
        head.push(b'\n');
        out.write_all(&head)?;
        Ok(Self {
            out,
            rows: TsvRows::new(
                view,
                triage,
                columns.map(<[_]>::len),
                EXPORT_CHUNK_BYTES * 2,
            ),
        })
    }

    /// Where a read in stretches writes each stretch's rows, and where the
    /// parts go, in file order, each as one chunk (not copied again).
    pub fn split(
        &mut self,
    ) -> (
        impl Fn(&Stretch) -> TsvRows<'v> + Sync + '_,
        impl FnMut(TsvRows<'v>) -> io::Result<()> + '_,
    ) {
        let Self { out, rows } = self;
        let rows = &*rows;
        let part = move |stretch: &Stretch| {
            // Links-only rows are 2-2.5 times the bytes of the records they
            // link (a VCF of short lines); room for that up front saves
            // copying the whole buffer when it grows.
            let capacity = 5 * (stretch.end - stretch.start) as usize / 2;
            TsvRows::new(rows.view, rows.triage, rows.columns, capacity)
        };
        let join = move |part: TsvRows<'v>| out.write_chunk(part.buf);
        (part, join)
    }

    /// Hands on the rows still buffered.
    pub fn finish(mut self) -> io::Result<W> {
        let rows = std::mem::take(&mut self.rows.buf);
        if !rows.is_empty() {
            self.out.write_chunk(rows)?;
        }
        Ok(self.out)
    }
}

impl<W: ExportOut> RowSink for TsvSink<'_, W> {
    fn row(&mut self, row: Row) -> io::Result<()> {
        self.rows.row(row)?;
        if self.rows.buf.len() >= EXPORT_CHUNK_BYTES {
            let next = Vec::with_capacity(EXPORT_CHUNK_BYTES * 2);
            self.out
                .write_chunk(std::mem::replace(&mut self.rows.buf, next))?;
        }
        Ok(())
    }
}

/// TSV rows written into a buffer: the whole export's, or one stretch's.
pub struct TsvRows<'v> {
    view: &'v FileView<'v>,
    triage: &'v Triage,
    /// How many of the record's columns each row has (`None`: links only).
    columns: Option<usize>,
    links: RowLinks<'v>,
    buf: Vec<u8>,
}

impl<'v> TsvRows<'v> {
    fn new(
        view: &'v FileView<'_>,
        triage: &'v Triage,
        columns: Option<usize>,
        capacity: usize,
    ) -> Self {
        Self {
            view,
            triage,
            columns,
            links: RowLinks::new(view),
            buf: Vec::with_capacity(capacity),
        }
    }
}

impl RowSink for TsvRows<'_> {
    fn row(&mut self, mut row: Row) -> io::Result<()> {
        if self.columns.is_some() && row.raw.is_none() {
            row.cells = self
                .triage
                .cells(std::mem::take(&mut row.cells), row.values.as_deref());
        }
        let linked = self.links.set(&row.loci);
        let buf = &mut self.buf;
        buf.extend_from_slice(itoa::Buffer::new().format(row.line).as_bytes());
        buf.push(b'\t');
        buf.extend_from_slice(self.links.locus.as_bytes());
        buf.push(b'\t');
        push_field(buf, &row.label);
        buf.push(b'\t');
        buf.extend_from_slice(self.links.relay.as_bytes());
        buf.push(b'\t');
        if linked {
            buf.extend_from_slice(self.links.igv_prefix.as_bytes());
            buf.extend_from_slice(self.links.encoded.as_bytes());
        }
        buf.push(b'\t');
        if let Err(refusal) = &row.loci {
            push_field(buf, &refusal.to_string());
        }
        for i in 0..self.columns.unwrap_or(0) {
            buf.push(b'\t');
            push_field(buf, row.cells.get(i).map_or("", String::as_str));
        }
        buf.push(b'\n');
        Ok(())
    }
}

/// Appends `value` with its tabs and line breaks as spaces: they would break
/// the TSV's shape.
fn push_field(buf: &mut Vec<u8>, value: &str) {
    buf.extend(value.bytes().map(|b| match b {
        b'\t' | b'\n' | b'\r' => b' ',
        other => other,
    }));
}
