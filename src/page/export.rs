//! Exports: every row of a view as TSV, JSON or an IGV batch script,
//! written on a thread of their own into a bounded channel of chunks. Memory
//! stays flat whatever the file size, and a client that goes away stops the
//! writer (the channel closes).

use std::io::{BufRead, Write};
use std::sync::Arc;

use bytes::Bytes;
use serde::Serialize;

use crate::domain::genome::Genome;
use crate::domain::igv::encode_value;
use crate::domain::request::Query;
use crate::error::AppError;
use crate::formats::{FormatKind, FormatOptions, RecordStream};
use crate::linkpage::{LocusResolver, Row, RowFilter, Rows};
use crate::page::session::{Region, SessionSpec};
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
        let resolver = LocusResolver::new(genome, stream, self.flank, ctx.loci_rules);
        let filter = RowFilter {
            predicate: triage.predicate(self.filter.query.is_some()),
            ..self.filter.clone()
        };
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
        // Each row's two links: these prefixes and the row's loci.
        let row_link = ctx.urls.row_link(self.genome.as_deref());
        // Rows on a sequence only the file lists: the relay's own table lacks it,
        // so their links carry no genome (the locus was checked here).
        let plain_link = ctx.urls.row_link(None);
        let base = match (&self.extended_genome, &self.genome) {
            (Some(_), Some(id)) => ctx.genomes.get(id).ok(),
            _ => None,
        };
        let igv_prefix = ctx.igv.goto_prefix();
        // Reused for every row: the printed loci, their IGV encoding, the relay link.
        let mut locus = String::new();
        let mut encoded = String::new();
        let mut relay = String::new();
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
            locus.clear();
            encoded.clear();
            if let Ok(loci) = &row.loci {
                let _ = loci.write_canonical(&mut locus);
                encoded.extend(encode_value(&locus));
            }
            let linked = row.loci.is_ok();
            let row_link = match (&row.loci, base) {
                (Ok(loci), Some(base))
                    if loci
                        .as_slice()
                        .iter()
                        .any(|l| base.chromosome(l.chrom().as_str()).is_none()) =>
                {
                    &plain_link
                }
                _ => &row_link,
            };
            match self.format {
                ExportFormat::Tsv => {
                    // Appended piece by piece: no string per field, no `fmt`.
                    let buf = &mut out.buf;
                    buf.extend_from_slice(itoa::Buffer::new().format(row.line).as_bytes());
                    buf.push(b'\t');
                    buf.extend_from_slice(locus.as_bytes());
                    buf.push(b'\t');
                    push_tsv_field(buf, &row.label);
                    buf.push(b'\t');
                    if linked {
                        relay.clear();
                        row_link.push_encoded(&mut relay, [encoded.as_str()]);
                        buf.extend_from_slice(relay.as_bytes());
                    }
                    buf.push(b'\t');
                    if linked {
                        buf.extend_from_slice(igv_prefix.as_bytes());
                        buf.extend_from_slice(encoded.as_bytes());
                    }
                    buf.push(b'\t');
                    push_tsv_field(buf, error.unwrap_or(""));
                    if self.columns {
                        for i in 0..columns.len() {
                            buf.push(b'\t');
                            push_tsv_field(buf, row.cells.get(i).map_or("", String::as_str));
                        }
                    }
                    buf.push(b'\n');
                    out.flush_when_full()?;
                }
                ExportFormat::Json => {
                    if !first {
                        out.write_all(b",")?;
                    }
                    let record = ExportRow {
                        line: row.line,
                        label: &row.label,
                        locus: linked.then(|| locus.clone()),
                        relay_url: linked.then(|| {
                            let mut relay = String::new();
                            row_link.push_encoded(&mut relay, [encoded.as_str()]);
                            relay
                        }),
                        igv_url: linked.then(|| format!("{igv_prefix}{encoded}")),
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
                        writeln!(out, "goto {locus}\nsnapshot")?;
                    }
                }
                ExportFormat::IgvSession | ExportFormat::IgvJsSession => {
                    let Ok(loci) = &row.loci else { continue };
                    if !session_open {
                        self.session_head(out, Some(&locus))?;
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
    fn session_head(&self, out: &mut ChunkWriter, locus: Option<&str>) -> std::io::Result<()> {
        let head = if self.format == ExportFormat::IgvSession {
            self.session.xml_head(locus)
        } else {
            self.session.json_head(locus)
        };
        out.write_all(head.as_bytes())
    }
}

/// Appends `value` with its tabs and line breaks as spaces: they would break
/// the TSV's shape.
fn push_tsv_field(buf: &mut Vec<u8>, value: &str) {
    buf.extend(value.bytes().map(|b| match b {
        b'\t' | b'\n' | b'\r' => b' ',
        other => other,
    }));
}
