//! Exports: every row of a view as TSV, JSON or an IGV batch script,
//! written on a thread of their own into a bounded channel of chunks. Memory
//! stays flat whatever the file size, and a client that goes away stops the
//! writer (the channel closes).

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use serde::Serialize;

use crate::domain::genome::Genome;
use crate::domain::igv::encode_value;
use crate::domain::loci::Loci;
use crate::domain::request::Query;
use crate::error::AppError;
use crate::formats::{FormatKind, FormatOptions, RecordStream, StreamPosition};
use crate::linkpage::{LocusResolver, Row, RowFilter, Rows};
use crate::links::RowLink;
use crate::page::session::{Region, SessionSpec};
use crate::page::stretches::{self, Cutter, MIN_STRETCHED_BYTES, STRETCH_BYTES, Stretch};
use crate::page::triage::{Triage, TriageChoices};
use crate::page::{ContextOwner, Outcome, PageContext, RefusalCounts, open_stream};

/// Most records a sorted export holds to write them in order.
pub const MAX_SORTED_EXPORT_ROWS: usize = 100_000;

/// Export chunks handed to the response stream.
const EXPORT_CHUNK_BYTES: usize = 256 * 1024;

/// The chunks of an export, in order; an error ends the body early.
pub type ExportChunks = tokio::sync::mpsc::Receiver<Result<Bytes, std::io::Error>>;
type ChunkSender = tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>;

/// The writers a view can be exported with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    Tsv,
    Json,
    IgvBatch,
    /// IGV desktop session XML (`page::session`).
    IgvSession,
    /// The igv.js JSON session, for IGV-Web.
    IgvJsSession,
}

impl ExportFormat {
    /// `?format=`: `None` (or `html`) is the page itself.
    pub fn from_query(query: &Query) -> Result<Option<Self>, AppError> {
        match query.non_empty("format") {
            None | Some("html") => Ok(None),
            Some("tsv") => Ok(Some(Self::Tsv)),
            Some("json") => Ok(Some(Self::Json)),
            Some("igv-batch") => Ok(Some(Self::IgvBatch)),
            // The links say `igv-session.xml`, so that the URL ends in `.xml`.
            Some("igv-session" | "igv-session.xml") => Ok(Some(Self::IgvSession)),
            Some("igvjs-session" | "igvjs-session.json") => Ok(Some(Self::IgvJsSession)),
            Some(other) => Err(AppError::invalid(
                "format",
                other,
                "expected html, tsv, json, igv-batch, igv-session or igvjs-session",
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tsv => "tsv",
            Self::Json => "json",
            Self::IgvBatch => "igv-batch",
            Self::IgvSession => "igv-session.xml",
            Self::IgvJsSession => "igvjs-session.json",
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Self::Json => "application/json",
            Self::Tsv => "text/tab-separated-values; charset=utf-8",
            Self::IgvBatch => "text/plain; charset=utf-8",
            Self::IgvSession => "application/xml; charset=utf-8",
            Self::IgvJsSession => "application/json",
        }
    }

    /// The name an export is saved under. Without one the browser names the
    /// download after the URL, so "Export TSV" on calls.vcf saved a TSV called
    /// calls.vcf. Only plain ASCII survives: the name goes into a header.
    fn file_name(self, name: &str) -> String {
        let safe: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "._-".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let suffix = match self {
            Self::Tsv => "igv-links.tsv",
            Self::Json => "igv-links.json",
            Self::IgvBatch => "igv-batch.txt",
            Self::IgvSession => "igv-session.xml",
            Self::IgvJsSession => "igvjs-session.json",
        };
        format!("{safe}.{suffix}")
    }
}

/// Everything an export's writer thread needs, owned.
pub(crate) struct ExportJob {
    pub kind: FormatKind,
    pub genome: Option<String>,
    /// The genome with the file's own extra sequences, when it has any
    /// (otherwise `genome` is looked up in the registry).
    pub extended_genome: Option<Genome>,
    pub flank: u64,
    pub filter: RowFilter,
    pub options: FormatOptions,
    pub choices: TriageChoices,
    /// Whether each record's columns follow its links (`?links_only=1`: no).
    pub columns: bool,
    /// The local file, when it is stored uncompressed: a large one's TSV
    /// export is written in stretches on several threads.
    pub plain_file: Option<PathBuf>,
    /// Threads a stretched export may use ([`stretches::threads`]); 1 writes every
    /// export on one.
    pub threads: usize,
    /// The record numbers in sort order, for a sorted export.
    pub order: Option<Vec<u64>>,
    pub format: ExportFormat,
    pub name: String,
    /// Genome and track of the batch script and the sessions.
    pub session: SessionSpec,
    /// `(code, why)` of the genome used (`GenomeSource`), when it was decided.
    pub genome_source: Option<(&'static str, String)>,
    /// What the page would say about the genome (a default overruled ...).
    pub genome_notices: Vec<String>,
}

/// The JSON export's head: which genome, why. The rows follow, then the
/// counts (known only at the end, so last).
#[derive(Serialize)]
struct JsonHead<'a> {
    genome: Option<&'a str>,
    genome_source: Option<&'a str>,
    genome_reason: Option<&'a str>,
    notices: &'a [String],
}

#[derive(Serialize)]
struct ExportRow<'a> {
    line: u64,
    label: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    locus: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    relay_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    igv_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
    /// The record's columns by name.
    #[serde(skip_serializing_if = "Option::is_none")]
    cells: Option<serde_json::Map<String, serde_json::Value>>,
}

/// Writes into chunks and hands each full chunk to the channel.
struct ChunkWriter {
    buf: Vec<u8>,
    tx: ChunkSender,
}

impl ChunkWriter {
    /// Hands the chunk on once it is full, after rows were appended to `buf`.
    fn flush_when_full(&mut self) -> std::io::Result<()> {
        if self.buf.len() >= EXPORT_CHUNK_BYTES {
            self.flush()?;
        }
        Ok(())
    }
}

impl ChunkWriter {
    /// Hands on what was written so far, then `rows` as a chunk of its own.
    fn send(&mut self, rows: Vec<u8>) -> std::io::Result<()> {
        self.flush()?;
        if rows.is_empty() {
            return Ok(());
        }
        self.tx.blocking_send(Ok(Bytes::from(rows))).map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the client went away")
        })
    }
}

impl Write for ChunkWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        self.flush_when_full()?;
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let next = Vec::with_capacity(EXPORT_CHUNK_BYTES * 2);
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, next));
        self.tx.blocking_send(Ok(chunk)).map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the client went away")
        })
    }
}

impl ExportJob {
    /// Opens the stream (so a file that cannot be read is still an error
    /// response) and starts the writer thread.
    pub(crate) fn start<C: ContextOwner>(
        self,
        owner: Arc<C>,
        input: Box<dyn BufRead + Send>,
    ) -> Result<Outcome, AppError> {
        // Exports show no cells, and read the whole file: records without
        // cells are much cheaper, and inflating ahead on a second thread
        // keeps the parsing thread busy.
        let options = FormatOptions {
            cells: self.columns,
            read_ahead: true,
            ..self.options.clone()
        };
        let stream = open_stream(self.kind, input, &options)?;
        let triage = Triage::resolve(&self.choices, stream.as_ref())?;
        if let Some(order) = &self.order
            && order.len() > MAX_SORTED_EXPORT_ROWS
        {
            return Err(AppError::UnprocessableFile {
                message: format!(
                    "a sorted export holds its records in memory and is limited to {} of them; \
                     this view has {}: narrow it with a filter, or export it unsorted",
                    crate::page::group(MAX_SORTED_EXPORT_ROWS as u64),
                    crate::page::group(order.len() as u64)
                ),
            });
        }
        let (tx, chunks) = tokio::sync::mpsc::channel(8);
        let content_type = self.format.content_type();
        let file_name = self.format.file_name(&self.name);
        std::thread::spawn(move || self.write_all(owner.page_context(), &triage, stream, tx));
        Ok(Outcome::Export {
            chunks,
            content_type,
            file_name,
        })
    }

    fn write_all(
        self,
        ctx: PageContext<'_>,
        triage: &Triage,
        mut stream: Box<dyn RecordStream + Send>,
        tx: ChunkSender,
    ) {
        let mut out = ChunkWriter {
            buf: Vec::with_capacity(EXPORT_CHUNK_BYTES * 2),
            tx: tx.clone(),
        };
        let result = self
            .write_rows(ctx, triage, stream.as_mut(), &mut out)
            .and_then(|()| out.flush());
        if let Err(e) = result
            && e.kind() != std::io::ErrorKind::BrokenPipe
        {
            // The status line is gone already; end the body with the error so
            // the client sees a truncated transfer rather than a clean end.
            let _ = tx.blocking_send(Err(e));
        }
    }

    fn write_rows(
        &self,
        ctx: PageContext<'_>,
        triage: &Triage,
        stream: &mut (dyn RecordStream + Send),
        out: &mut ChunkWriter,
    ) -> std::io::Result<()> {
        let genome = match (&self.extended_genome, &self.genome) {
            (Some(extended), _) => Some(extended),
            (None, Some(id)) => ctx.genomes.get(id).ok(),
            (None, None) => None,
        };
        let columns = if self.columns {
            triage.columns(stream.columns())
        } else {
            Vec::new()
        };
        // Where the records start, for an export in stretches.
        let stretched = match (self.format, &self.order) {
            (ExportFormat::Tsv, None) => self.stretched_file(stream.position()),
            _ => None,
        };
        let resolver = LocusResolver::new(genome, stream, self.flank, ctx.loci_rules);
        let filter = triage.row_filter(&self.filter);
        let mut rows = Rows::new(stream, resolver, filter);
        if self.columns && triage.wants_values() {
            rows = rows.with_values(triage.value_samples());
        }
        // A sorted export collects its rows first (bounded, see `start`).
        let mut sorted: Option<std::vec::IntoIter<Row>> = match &self.order {
            None => None,
            Some(order) => {
                let mut rank = vec![u32::MAX; order.len()];
                for (r, &seq) in order.iter().enumerate() {
                    if let Some(slot) = rank.get_mut(seq as usize) {
                        *slot = r as u32;
                    }
                }
                let mut slots: Vec<Option<Row>> = vec![None; order.len()];
                let mut seq = 0usize;
                while let Some(row) = rows.next_row()? {
                    if let Some(&r) = rank.get(seq)
                        && let Some(slot) = slots.get_mut(r as usize)
                    {
                        *slot = Some(row);
                    }
                    seq += 1;
                }
                Some(slots.into_iter().flatten().collect::<Vec<_>>().into_iter())
            }
        };
        let mut next_row = move || -> std::io::Result<Option<Row>> {
            match &mut sorted {
                Some(sorted) => Ok(sorted.next()),
                None => rows.next_row(),
            }
        };
        // Which genome the loci were checked against, and why, in every export.
        let genome_line = match (&self.genome, &self.genome_source) {
            (Some(id), Some((_, why))) => format!("genome {id}, {why}"),
            (Some(id), None) => format!("genome {id}"),
            (None, Some((_, why))) => format!("no genome: {why}"),
            (None, None) => "no genome: sequence names are not checked".to_owned(),
        }
        .replace(char::is_control, "?");
        match self.format {
            ExportFormat::Tsv => {
                writeln!(out, "# igv-relay: {genome_line}")?;
                out.write_all(b"line\tlocus\tlabel\trelay_url\tigv_url\terror")?;
                for column in &columns {
                    out.buf.push(b'\t');
                    push_tsv_field(&mut out.buf, column);
                }
                out.write_all(b"\n")?;
            }
            ExportFormat::Json => {
                let head = JsonHead {
                    genome: self.genome.as_deref(),
                    genome_source: self.genome_source.as_ref().map(|(code, _)| *code),
                    genome_reason: self.genome_source.as_ref().map(|(_, why)| why.as_str()),
                    notices: &self.genome_notices,
                };
                let head = serde_json::to_string(&head).map_err(std::io::Error::other)?;
                // `{"genome":...,"notices":[...]` and then the rows.
                out.write_all(&head.as_bytes()[..head.len() - 1])?;
                out.write_all(b",\"rows\":[")?;
            }
            ExportFormat::IgvBatch => {
                writeln!(out, "# {genome_line}")?;
                // A file name may hold a line break; unescaped, the rest of the
                // name would be run by IGV as a batch command.
                writeln!(
                    out,
                    "# IGV batch script from igv-relay for {}: one snapshot per record",
                    self.name.replace(char::is_control, "?")
                )?;
                // The script opens the file itself: genome, then the track.
                let word = |s: &str| {
                    !s.is_empty() && !s.contains(|c: char| c.is_whitespace() || c.is_control())
                };
                if let Some(genome) = self.session.igv_genome.as_deref().filter(|g| word(g)) {
                    writeln!(out, "genome {genome}")?;
                }
                for track in self.session.tracks.iter().filter(|t| word(&t.url)) {
                    match track.index.as_deref().filter(|i| word(i)) {
                        Some(index) => writeln!(out, "load {} index={index}", track.url)?,
                        None => writeln!(out, "load {}", track.url)?,
                    }
                }
                writeln!(out, "snapshotDirectory snapshots")?;
            }
            // Written with the first record's locus (below).
            ExportFormat::IgvSession | ExportFormat::IgvJsSession => {}
        }
        let mut session_open = false;
        if let Some((path, from)) = stretched {
            drop(next_row);
            return self.write_tsv_in_stretches(
                &ctx,
                triage,
                genome,
                columns.len(),
                &path,
                from,
                out,
            );
        }
        let mut links = RowLinks::new(&ctx, self.genome.as_deref(), self.extended_genome.is_some());
        let mut first = true;
        let mut refused = RefusalCounts::default();
        let mut records = 0u64;
        while let Some(mut row) = next_row()? {
            if self.columns && row.raw.is_none() {
                row.cells = triage.cells(std::mem::take(&mut row.cells), row.values.as_ref());
            }
            let error = row.loci.as_ref().err().map(String::as_str);
            records += 1;
            if let Some(error) = error {
                refused.add(error);
            }
            let linked = links.set(&row.loci);
            match self.format {
                ExportFormat::Tsv => {
                    push_tsv_row(
                        &mut out.buf,
                        &row,
                        &links,
                        self.columns.then_some(columns.len()),
                    );
                    out.flush_when_full()?;
                }
                ExportFormat::Json => {
                    if !first {
                        out.write_all(b",")?;
                    }
                    let record = ExportRow {
                        line: row.line,
                        label: &row.label,
                        locus: linked.then(|| links.locus.clone()),
                        relay_url: linked.then(|| links.relay.clone()),
                        igv_url: linked.then(|| format!("{}{}", links.igv_prefix, links.encoded)),
                        error,
                        cells: (self.columns && row.raw.is_none()).then(|| {
                            columns
                                .iter()
                                .zip(&row.cells)
                                .map(|(c, v)| (c.clone(), serde_json::Value::String(v.clone())))
                                .collect()
                        }),
                    };
                    serde_json::to_writer(&mut *out, &record).map_err(std::io::Error::other)?;
                }
                ExportFormat::IgvBatch => {
                    if linked {
                        writeln!(out, "goto {}\nsnapshot", links.locus)?;
                    }
                }
                ExportFormat::IgvSession | ExportFormat::IgvJsSession => {
                    let Ok(loci) = &row.loci else { continue };
                    if !session_open {
                        self.session_head(out, Some(&links.locus))?;
                        session_open = true;
                    }
                    for one in loci.as_slice() {
                        let Some((start, end)) = one.bounds() else {
                            continue;
                        };
                        let region = Region {
                            chrom: one.chrom().as_str(),
                            start,
                            end,
                            label: &row.label,
                        };
                        if self.format == ExportFormat::IgvSession {
                            SessionSpec::xml_region(&mut out.buf, &region);
                        } else {
                            SessionSpec::json_region(&mut out.buf, &region, first);
                            first = false;
                        }
                    }
                    out.flush_when_full()?;
                    continue;
                }
            }
            first = false;
        }
        match self.format {
            ExportFormat::Json => {
                let tail = serde_json::json!({
                    "records": records,
                    "linked": records - refused.total(),
                    "refused": refused,
                });
                let tail = tail.to_string();
                // `],"records":...}`: the counts after the rows they count.
                out.write_all(b"],")?;
                out.write_all(&tail.as_bytes()[1..])?;
                out.write_all(b"\n")?;
            }
            ExportFormat::IgvSession | ExportFormat::IgvJsSession => {
                if !session_open {
                    self.session_head(out, None)?;
                }
                let tail = if self.format == ExportFormat::IgvSession {
                    SessionSpec::xml_tail()
                } else {
                    SessionSpec::json_tail()
                };
                out.write_all(tail.as_bytes())?;
            }
            _ => {}
        }
        Ok(())
    }
}

impl ExportJob {
    /// The file and where its records start, when this export is written in
    /// stretches on several threads: a plain (uncompressed) local file large
    /// enough to be worth it, a stream that can resume part-way, and more
    /// than one core.
    fn stretched_file(&self, from: Option<StreamPosition>) -> Option<(PathBuf, StreamPosition)> {
        let path = self.plain_file.as_ref()?;
        let from = from?;
        let len = std::fs::metadata(path).ok()?.len();
        (self.threads > 1 && len.saturating_sub(from.offset) >= MIN_STRETCHED_BYTES)
            .then(|| (path.clone(), from))
    }

    /// The TSV rows of a plain file, its stretches read, parsed and written
    /// on [`ExportJob::threads`] threads, and handed on in the file's order. Each
    /// thread reads the header once and resumes its stream at every stretch
    /// it is given, so its rows are exactly those of one pass over the file.
    #[allow(clippy::too_many_arguments)]
    fn write_tsv_in_stretches(
        &self,
        ctx: &PageContext<'_>,
        triage: &Triage,
        genome: Option<&Genome>,
        columns: usize,
        path: &Path,
        from: StreamPosition,
        out: &mut ChunkWriter,
    ) -> std::io::Result<()> {
        let options = FormatOptions {
            cells: self.columns,
            read_ahead: false,
            ..self.options.clone()
        };
        let filter = triage.row_filter(&self.filter);
        let values = (self.columns && triage.wants_values()).then(|| triage.value_samples());
        let columns = self.columns.then_some(columns);
        let cutter = Cutter::new(path, from, STRETCH_BYTES)?;
        stretches::in_order(
            self.threads,
            cutter,
            || {
                let stream = stretches::header_stream(self.kind, path, &options)?;
                let links =
                    RowLinks::new(ctx, self.genome.as_deref(), self.extended_genome.is_some());
                Ok((stream, links))
            },
            |(stream, links), stretch: Stretch| {
                stream.resume(stretch.open(path)?, stretch.position())?;
                let resolver =
                    LocusResolver::new(genome, stream.as_ref(), self.flank, ctx.loci_rules);
                let mut rows = Rows::new(stream.as_mut(), resolver, filter.clone());
                if let Some(samples) = &values {
                    rows = rows.with_values(samples.clone());
                }
                // Links-only rows are 2-2.5 times the bytes of the records
                // they link (a VCF of short lines); room for that up front
                // saves copying the whole buffer when it grows.
                let mut buf = Vec::with_capacity(5 * (stretch.end - stretch.start) as usize / 2);
                while let Some(mut row) = rows.next_row()? {
                    if columns.is_some() && row.raw.is_none() {
                        row.cells =
                            triage.cells(std::mem::take(&mut row.cells), row.values.as_ref());
                    }
                    links.set(&row.loci);
                    push_tsv_row(&mut buf, &row, links, columns);
                }
                Ok(buf)
            },
            // Each stretch's rows go out as one chunk, not copied again.
            |rows| out.send(rows),
        )
    }

    fn session_head(&self, out: &mut ChunkWriter, locus: Option<&str>) -> std::io::Result<()> {
        let head = if self.format == ExportFormat::IgvSession {
            self.session.xml_head(locus)
        } else {
            self.session.json_head(locus)
        };
        out.write_all(head.as_bytes())
    }
}

/// A row's locus and its two links (relay, IGV), in buffers reused for
/// every row: no string per row, no `fmt`.
struct RowLinks<'c> {
    /// The relay link with the genome, and without it for rows on a sequence
    /// only the file lists (the relay's own table lacks it, so its links
    /// carry no genome; the locus was checked here).
    with_genome: RowLink,
    without_genome: RowLink,
    /// The genome without the file's own sequences, when it has any.
    base: Option<&'c Genome>,
    igv_prefix: String,
    locus: String,
    encoded: String,
    relay: String,
}

impl<'c> RowLinks<'c> {
    fn new(ctx: &PageContext<'c>, genome: Option<&str>, extended: bool) -> Self {
        Self {
            with_genome: ctx.urls.row_link(genome),
            without_genome: ctx.urls.row_link(None),
            base: match (extended, genome) {
                (true, Some(id)) => ctx.genomes.get(id).ok(),
                _ => None,
            },
            igv_prefix: ctx.igv.goto_prefix(),
            locus: String::new(),
            encoded: String::new(),
            relay: String::new(),
        }
    }

    /// Makes the links of a row with these loci; `false` (and empty links)
    /// for a row that has none.
    fn set(&mut self, loci: &Result<Loci, String>) -> bool {
        self.locus.clear();
        self.encoded.clear();
        self.relay.clear();
        let Ok(loci) = loci else {
            return false;
        };
        let _ = loci.write_canonical(&mut self.locus);
        self.encoded.extend(encode_value(&self.locus));
        let on_file_sequence = self.base.is_some_and(|base| {
            loci.as_slice()
                .iter()
                .any(|l| base.chromosome(l.chrom().as_str()).is_none())
        });
        let link = if on_file_sequence {
            &self.without_genome
        } else {
            &self.with_genome
        };
        link.push_encoded(&mut self.relay, [self.encoded.as_str()]);
        true
    }
}

/// One TSV row: line, locus, label, relay link, IGV link, error, and the
/// record's `columns` cells when asked. Appended piece by piece.
fn push_tsv_row(buf: &mut Vec<u8>, row: &Row, links: &RowLinks<'_>, columns: Option<usize>) {
    buf.extend_from_slice(itoa::Buffer::new().format(row.line).as_bytes());
    buf.push(b'\t');
    buf.extend_from_slice(links.locus.as_bytes());
    buf.push(b'\t');
    push_tsv_field(buf, &row.label);
    buf.push(b'\t');
    buf.extend_from_slice(links.relay.as_bytes());
    buf.push(b'\t');
    if row.loci.is_ok() {
        buf.extend_from_slice(links.igv_prefix.as_bytes());
        buf.extend_from_slice(links.encoded.as_bytes());
    }
    buf.push(b'\t');
    push_tsv_field(buf, row.loci.as_ref().err().map_or("", String::as_str));
    for i in 0..columns.unwrap_or(0) {
        buf.push(b'\t');
        push_tsv_field(buf, row.cells.get(i).map_or("", String::as_str));
    }
    buf.push(b'\n');
}

/// Appends `value` with its tabs and line breaks as spaces: they would break
/// the TSV's shape.
fn push_tsv_field(buf: &mut Vec<u8>, value: &str) {
    buf.extend(value.bytes().map(|b| match b {
        b'\t' | b'\n' | b'\r' => b' ',
        other => other,
    }));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::request::Query;

    fn export(path: &Path, query: &str, threads: usize) -> Vec<u8> {
        with_export(path, query, threads, |mut rx| {
            let mut body = Vec::new();
            while let Some(chunk) = rx.blocking_recv() {
                body.extend_from_slice(&chunk.expect("no error"));
            }
            body
        })
    }

    /// Runs the export's writer while `consume` reads its chunks.
    fn with_export<R>(
        path: &Path,
        query: &str,
        threads: usize,
        consume: impl FnOnce(ExportChunks) -> R,
    ) -> R {
        let test = crate::page::TestContext::new();
        let ctx = test.ctx();
        let query = Query::parse(query).unwrap();
        let choices = TriageChoices::from_query(&query).unwrap();
        let links_only = query.flag("links_only").unwrap().unwrap_or(false);
        let job = ExportJob {
            kind: FormatKind::Vcf,
            genome: Some("hg38".into()),
            extended_genome: None,
            flank: 0,
            filter: RowFilter {
                pass_only: query.flag("pass").unwrap().unwrap_or(false),
                ..RowFilter::default()
            },
            options: choices.format_options(FormatOptions::default()),
            choices,
            columns: !links_only,
            plain_file: Some(path.to_path_buf()),
            threads,
            order: None,
            format: ExportFormat::Tsv,
            name: "large.vcf".into(),
            session: SessionSpec::default(),
            genome_source: None,
            genome_notices: Vec::new(),
        };
        let options = FormatOptions {
            cells: job.columns,
            read_ahead: true,
            ..job.options.clone()
        };
        let input = Box::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
        let stream = open_stream(job.kind, input, &options).unwrap();
        let triage = Triage::resolve(&job.choices, stream.as_ref()).unwrap();
        let (tx, rx) = tokio::sync::mpsc::channel(8);
        std::thread::scope(|scope| {
            scope.spawn(|| job.write_all(ctx, &triage, stream, tx));
            consume(rx)
        })
    }

    #[test]
    fn a_client_that_goes_away_stops_the_threads_of_a_stretched_export() {
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let (file, _) = crate::page::large_test_vcf();
            with_export(file.path(), "format=tsv", 2, |mut rx| {
                assert!(rx.blocking_recv().expect("a first chunk").is_ok());
                // The client goes away after the first chunk.
                drop(rx);
            });
            // `with_export` returns once the writer thread, and the scoped
            // workers under it, have ended.
            let _ = done_tx.send(());
        });
        assert!(
            done_rx
                .recv_timeout(std::time::Duration::from_secs(60))
                .is_ok(),
            "the export's threads still run a minute after the client went away"
        );
    }

    #[test]
    fn an_export_in_stretches_is_byte_for_byte_the_export_on_one_thread() {
        let (file, [records, malformed, long]) = crate::page::large_test_vcf();
        for query in [
            "format=tsv",
            "format=tsv&links_only=1",
            "format=tsv&where=Impact%3DHIGH%3B%20DP%3E%3D20",
            "format=tsv&pass=1&cols=DP",
        ] {
            let one = export(file.path(), query, 1);
            let lines = one.iter().filter(|b| **b == b'\n').count();
            assert!(lines > 1_000, "{query}: {lines} lines");
            for threads in [2, 3] {
                let stretched = export(file.path(), query, threads);
                assert!(
                    one == stretched,
                    "{query} on {threads} threads: {} vs {} bytes",
                    stretched.len(),
                    one.len()
                );
            }
        }
        // What one thread wrote is right to begin with: every record has its
        // row, the long line and the malformed ones included.
        let all = String::from_utf8(export(file.path(), "format=tsv&links_only=1", 1)).unwrap();
        let rows: Vec<&str> = all
            .lines()
            .filter(|l| !l.starts_with('#'))
            .skip(1)
            .collect();
        assert_eq!(
            rows.len(),
            records + malformed + long,
            "records, malformed, long"
        );
        assert!(rows.iter().any(|r| r.contains("more than the limit")));
        assert!(
            rows.last().unwrap().contains("chr2:77"),
            "{}",
            rows.last().unwrap()
        );
    }
}
