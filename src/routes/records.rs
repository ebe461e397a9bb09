//! A link page for one result file, whatever it comes from (a data root, a
//! Galaxy dataset): rows with "View in IGV" links, paging and filters, and the
//! TSV/JSON/IGV-batch exports. The caller says where the bytes come from and
//! which URLs identify the file; everything else is shared.

use std::io::{BufRead, Write};
use std::sync::Arc;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Serialize;
use url::Url;

use crate::domain::genome::Genome;
use crate::domain::igv::{TRACK_FORMATS, encode_value};
use crate::error::AppError;
use crate::formats::{self, CoordBase, FormatError, FormatKind, FormatOptions};
use crate::linkpage::{
    DEFAULT_PER_PAGE, LocusResolver, MAX_PER_PAGE, Row, RowFilter, Rows, SeekableFile,
};
use crate::links::{LoadLink, RowLink};
use crate::routes::query::QueryParams;
use crate::startup::AppState;

/// Export chunks handed to the response stream.
const EXPORT_CHUNK_BYTES: usize = 256 * 1024;

fn with_query(mut url: Url, pairs: &[(&str, String)]) -> String {
    if !pairs.is_empty() {
        url.query_pairs_mut()
            .extend_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str())));
    }
    url.to_string()
}

/// Opens the file's bytes when (and only if) the page needs rows.
pub type OpenInput<'o> = Box<dyn FnOnce() -> Result<Box<dyn BufRead + Send>, AppError> + 'o>;

/// Where a page's file lives, as far as its links are concerned.
pub struct Source {
    /// The file name shown as the page title.
    pub name: String,
    /// The name exports mention (IGV batch script header).
    pub export_name: String,
    /// This page's URL, without a query (`.../files/demo/calls.vcf`).
    pub page_url: Url,
    /// Query parameters that identify the file on `page_path` (a Galaxy
    /// dataset URL); kept on every page, filter and export link.
    pub fixed_query: Vec<(&'static str, String)>,
    /// Where "Download" points.
    pub download_url: String,
    /// What IGV is told to load (`None`: no "Load in IGV" links).
    pub load_file_url: Option<String>,
    pub index_url: Option<String>,
    /// IGV's `format=` for the load links.
    pub igv_format: Option<&'static str>,
    /// Lines shown above the table (where the data comes from, genome notes).
    pub notices: Vec<String>,
    /// The file on disk, when there is one: later pages then start from a
    /// remembered offset instead of reading every earlier row (`PageIndex`).
    pub local_path: Option<std::path::PathBuf>,
}

impl Source {
    fn hidden_inputs(&self) -> Vec<(String, String)> {
        self.fixed_query
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect()
    }
}

/// What the blocking part hands back (responses themselves are not `Send`).
pub enum Outcome {
    Html(String),
    Export {
        rx: ExportChunks,
        content_type: &'static str,
        /// What the browser saves it as.
        file_name: String,
    },
}

impl Outcome {
    pub fn into_response(self) -> HttpResponse {
        match self {
            Outcome::Html(body) => HttpResponse::Ok()
                .content_type("text/html; charset=utf-8")
                .body(body),
            Outcome::Export {
                rx,
                content_type,
                file_name,
            } => {
                let body = futures_util::stream::unfold(rx, |mut rx| async move {
                    rx.recv().await.map(|chunk| (chunk, rx))
                });
                HttpResponse::Ok()
                    .content_type(content_type)
                    .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
                    .insert_header(header::ContentDisposition {
                        disposition: header::DispositionType::Attachment,
                        parameters: vec![header::DispositionParam::Filename(file_name)],
                    })
                    .streaming(body)
            }
        }
    }
}

pub type ExportChunks = tokio::sync::mpsc::Receiver<Result<web::Bytes, std::io::Error>>;

pub fn render<T: Template>(page: T) -> Result<String, AppError> {
    page.render().map_err(|e| AppError::Internal(e.to_string()))
}

pub fn supported_formats_list() -> Vec<(String, String)> {
    formats::supported_formats()
        .iter()
        .map(|(n, e)| ((*n).to_owned(), (*e).to_owned()))
        .collect()
}

/// The `?format=` a request asks for: `None` for the HTML page.
pub fn export_format(params: &QueryParams) -> Result<Option<&'static str>, AppError> {
    match params.non_empty("format") {
        None | Some("html") => Ok(None),
        Some("tsv") => Ok(Some("tsv")),
        Some("json") => Ok(Some("json")),
        Some("igv-batch") => Ok(Some("igv-batch")),
        Some(other) => Err(AppError::invalid(
            "format",
            other,
            "expected html, tsv, json or igv-batch",
        )),
    }
}

/// What a request asks to see of one file.
pub struct RecordView<'a> {
    pub kind: FormatKind,
    pub genome: Option<&'a Genome>,
    flank: u64,
    filter: RowFilter,
    options: FormatOptions,
    pub source: Source,
}

impl<'a> RecordView<'a> {
    /// `default_genome` applies without `?genome=` (a data root's genome, a
    /// Galaxy dbkey's genome); `options` are the source's own (Galaxy column
    /// metadata), which the request's `coords`/`chromCol`/... override.
    pub fn new(
        state: &'a AppState,
        kind: FormatKind,
        params: &QueryParams,
        default_genome: Option<&str>,
        options: FormatOptions,
        source: Source,
    ) -> Result<Self, AppError> {
        let genome = match params.non_empty("genome").or(default_genome) {
            None => None,
            Some(id) => Some(
                state
                    .genomes
                    .get(id)
                    .or_else(|e| state.genomes.for_dbkey(id).ok_or(e))
                    .map_err(|e| AppError::invalid("genome", id, e))?,
            ),
        };
        let flank = params
            .number("flank")?
            .unwrap_or(state.settings.data.default_flank);
        let coords = match params.non_empty("coords") {
            None => options.coords,
            Some("0") => Some(CoordBase::Zero),
            Some("1") => Some(CoordBase::One),
            Some(other) => {
                return Err(AppError::invalid(
                    "coords",
                    other,
                    "expected 0 (BED-like) or 1",
                ));
            }
        };
        let column = |key: &'static str| -> Result<Option<usize>, AppError> {
            match params.number(key)? {
                Some(0) => Err(AppError::invalid(key, "0", "column numbers start at 1")),
                Some(n) => Ok(Some(n as usize)),
                None => Ok(None),
            }
        };
        let options = FormatOptions {
            coords,
            chrom_col: column("chromCol")?.or(options.chrom_col),
            start_col: column("startCol")?.or(options.start_col),
            end_col: column("endCol")?.or(options.end_col),
            // The operator's limit, whatever the source suggested.
            decompression: state.settings.limits.decompression(),
            ..options
        };
        let filter = RowFilter {
            chrom: params.non_empty("chrom").map(str::to_owned),
            query: params.non_empty("q").map(str::to_owned),
            pass_only: params.flag("pass")?.unwrap_or(false),
        };
        Ok(Self {
            kind,
            genome,
            flank,
            filter,
            options,
            source,
        })
    }

    fn seekable_file(&self) -> Option<SeekableFile> {
        let path = self.source.local_path.as_deref()?;
        SeekableFile::new(path, self.kind, &self.options)
    }

    pub fn open(
        &self,
        input: Box<dyn BufRead + Send>,
    ) -> Result<Box<dyn formats::RecordStream + Send>, AppError> {
        self.open_with(input, &self.options)
    }

    fn open_with(
        &self,
        input: Box<dyn BufRead + Send>,
        options: &FormatOptions,
    ) -> Result<Box<dyn formats::RecordStream + Send>, AppError> {
        formats::open(self.kind, input, options).map_err(|e| match e {
            FormatError::Unsupported(m) => AppError::UnsupportedFormat {
                message: m,
                supported: supported_formats_list(),
            },
            other => AppError::UnprocessableFile {
                message: other.to_string(),
            },
        })
    }

    fn load_link(&self, state: &AppState, name: &str, locus: Option<&str>) -> Option<String> {
        let file = self.source.load_file_url.as_deref()?;
        let format = self
            .source
            .igv_format
            .filter(|f| TRACK_FORMATS.contains(f))?;
        let mut url = state.urls.load(&LoadLink {
            file,
            index: self.source.index_url.as_deref(),
            genome: self.genome.map(|g| g.id().as_str()),
            locus,
            name: Some(name),
            format: Some(format),
        });
        // Like the goto links (below): IGV answers 204, which would leave the
        // "igv-relay" tab blank or still showing the previous command.
        url.query_pairs_mut().append_pair("landing", "1");
        Some(url.to_string())
    }

    pub fn page(
        &self,
        state: &AppState,
        params: &QueryParams,
        input: OpenInput<'_>,
    ) -> Result<String, AppError> {
        let page_no = params.number("page")?.unwrap_or(1).max(1);
        let per_page = match params.number("per_page")? {
            None => DEFAULT_PER_PAGE,
            Some(n) if (1..=MAX_PER_PAGE as u64).contains(&n) => n as usize,
            Some(n) => {
                return Err(AppError::invalid(
                    "per_page",
                    &n.to_string(),
                    format!("expected 1 to {MAX_PER_PAGE}"),
                ));
            }
        };
        let name = self.source.name.clone();
        let mut rows_view = Vec::new();
        let mut columns = Vec::new();
        let mut has_next = false;
        let mut note = None;
        let mut unchecked = false;
        if self.kind.has_rows() {
            let mut stream = self.open(input()?)?;
            let resolver =
                LocusResolver::new(self.genome, stream.as_ref(), self.flank, state.loci_rules);
            unchecked = !resolver.checks_chromosomes();
            let hidden = stream.hidden_columns();
            if hidden > 0 {
                // Wide files are cut to bound memory (formats::bounds); say so.
                note = Some(format!(
                    "{hidden} more columns (or samples) are not shown here; download the file to see them."
                ));
            }
            let seekable = self.seekable_file();
            let page = Rows::new(stream.as_mut(), resolver, self.filter.clone())
                .with_index(seekable)
                .page(page_no, per_page)
                .map_err(|e| AppError::UnprocessableFile {
                    message: format!("reading {name}: {e}"),
                })?;
            columns = page.columns;
            has_next = page.has_next;
            let link = state.urls.row_link(self.genome.map(|g| g.id().as_str()));
            rows_view = page
                .rows
                .into_iter()
                .map(|row| self.row_view(state, &link, &name, row))
                .collect();
        } else {
            note = Some(format!(
                "{} files have no rows to list here. Load the file in IGV{}.",
                self.kind.name(),
                if self.source.index_url.is_some() {
                    " (its index was found next to it)"
                } else {
                    ""
                }
            ));
        }
        let sticky = self.sticky_params(params, per_page);
        let file_url = &self.source.page_url;
        let page_url = |n: u64| {
            let mut q: Vec<(&str, String)> = sticky.clone();
            q.push(("page", n.to_string()));
            with_query(file_url.clone(), &q)
        };
        let export_url = |f: &str| {
            let mut q: Vec<(&str, String)> = sticky.clone();
            q.retain(|(k, _)| *k != "per_page");
            q.push(("format", f.to_owned()));
            with_query(file_url.clone(), &q)
        };
        let page = FilePage {
            base: state.urls.base().as_str(),
            file_name: name.clone(),
            form_action: file_url.to_string(),
            hidden: self.source.hidden_inputs(),
            notices: self.source.notices.clone(),
            kind: self.kind.name(),
            is_vcf: self.kind == FormatKind::Vcf,
            genome: self.genome.map(|g| g.id().to_string()).unwrap_or_default(),
            genome_ids: state.genomes.ids().into_iter().map(str::to_owned).collect(),
            flank: self.flank,
            chrom: self.filter.chrom.clone().unwrap_or_default(),
            q: self.filter.query.clone().unwrap_or_default(),
            pass: self.filter.pass_only,
            per_page,
            page: page_no,
            columns,
            rows: rows_view,
            prev_url: (page_no > 1).then(|| page_url(page_no - 1)),
            next_url: has_next.then(|| page_url(page_no + 1)),
            load_url: self.load_link(state, &name, None),
            raw_url: self.source.download_url.clone(),
            index_url: self.source.index_url.clone(),
            tsv_url: export_url("tsv"),
            json_url: export_url("json"),
            batch_url: export_url("igv-batch"),
            has_rows: self.kind.has_rows(),
            unchecked,
            note,
        };
        render(page)
    }

    /// Parameters that carry over to other pages of the same view.
    fn sticky_params(&self, params: &QueryParams, per_page: usize) -> Vec<(&'static str, String)> {
        let mut out = self.source.fixed_query.clone();
        for key in [
            "genome", "flank", "chrom", "q", "pass", "coords", "chromCol", "startCol", "endCol",
        ] {
            if self.source.fixed_query.iter().any(|(k, _)| *k == key) {
                continue;
            }
            if let Some(v) = params.non_empty(key) {
                out.push((key, v.to_owned()));
            }
        }
        if per_page != DEFAULT_PER_PAGE {
            out.push(("per_page", per_page.to_string()));
        }
        out
    }

    fn row_view(&self, state: &AppState, link: &RowLink, name: &str, row: Row) -> RowView {
        match &row.loci {
            Ok(loci) => {
                let locus = loci.to_string();
                let locus_display = loci.to_display_string();
                RowView {
                    line: row.line,
                    title: if row.label.is_empty() {
                        locus_display.clone()
                    } else {
                        format!("{} {locus_display}", row.label)
                    },
                    cells: row.cells,
                    raw: row.raw,
                    locus_display,
                    relay_url: Some(link.to(&locus)),
                    load_go_url: self.load_link(state, name, Some(&locus)),
                    data_locus: locus,
                    error: None,
                }
            }
            Err(e) => RowView {
                line: row.line,
                title: String::new(),
                cells: row.cells,
                raw: row.raw,
                locus_display: String::new(),
                data_locus: String::new(),
                relay_url: None,
                load_go_url: None,
                error: Some(e.clone()),
            },
        }
    }

    /// Streams every row as TSV, JSON or an IGV batch script, from a blocking
    /// reader thread through a bounded channel: memory stays flat whatever
    /// the file size, and a client that goes away stops the reader.
    pub fn export(
        &self,
        state: Arc<AppState>,
        input: Box<dyn BufRead + Send>,
        format: &str,
    ) -> Result<Outcome, AppError> {
        // Exports show no cells, and read the whole file: records without
        // cells are much cheaper, and inflating ahead on a second thread
        // keeps the parsing thread busy.
        let options = FormatOptions {
            cells: false,
            read_ahead: true,
            ..self.options.clone()
        };
        let stream = self.open_with(input, &options)?;
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<web::Bytes, std::io::Error>>(8);
        let view = ExportView {
            genome: self.genome.map(|g| g.id().to_string()),
            flank: self.flank,
            filter: self.filter.clone(),
            format: format.to_owned(),
            name: self.source.export_name.clone(),
        };
        let file_name = export_file_name(&view.name, format);
        std::thread::spawn(move || view.write_all(&state, stream, tx));
        let content_type = match format {
            "json" => "application/json",
            "tsv" => "text/tab-separated-values; charset=utf-8",
            _ => "text/plain; charset=utf-8",
        };
        Ok(Outcome::Export {
            rx,
            content_type,
            file_name,
        })
    }
}

struct ExportView {
    genome: Option<String>,
    flank: u64,
    filter: RowFilter,
    format: String,
    name: String,
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
}

/// Writes into chunks and hands each full chunk to the channel.
struct ChunkWriter {
    buf: Vec<u8>,
    tx: tokio::sync::mpsc::Sender<Result<web::Bytes, std::io::Error>>,
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
        let chunk = web::Bytes::from(std::mem::replace(&mut self.buf, next));
        self.tx.blocking_send(Ok(chunk)).map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the client went away")
        })
    }
}

impl ExportView {
    fn write_all(
        self,
        state: &AppState,
        mut stream: Box<dyn formats::RecordStream + Send>,
        tx: tokio::sync::mpsc::Sender<Result<web::Bytes, std::io::Error>>,
    ) {
        let mut out = ChunkWriter {
            buf: Vec::with_capacity(EXPORT_CHUNK_BYTES * 2),
            tx: tx.clone(),
        };
        let result = self
            .write_rows(state, stream.as_mut(), &mut out)
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
        state: &AppState,
        stream: &mut (dyn formats::RecordStream + Send),
        out: &mut ChunkWriter,
    ) -> std::io::Result<()> {
        let genome = match &self.genome {
            Some(id) => state.genomes.get(id).ok(),
            None => None,
        };
        let resolver = LocusResolver::new(genome, stream, self.flank, state.loci_rules);
        let mut rows = Rows::new(stream, resolver, self.filter.clone());
        match self.format.as_str() {
            "tsv" => writeln!(out, "line\tlocus\tlabel\trelay_url\tigv_url\terror")?,
            "json" => out.write_all(b"[")?,
            _ => {
                writeln!(out, "snapshotDirectory snapshots")?;
                // A file name may hold a line break; unescaped, the rest of the
                // name would be run by IGV as a batch command.
                writeln!(
                    out,
                    "# IGV batch script from igv-relay for {}: one snapshot per record",
                    self.name.replace(char::is_control, "?")
                )?;
            }
        }
        // Each row's two links: these prefixes and the row's loci.
        let row_link = state.urls.row_link(self.genome.as_deref());
        let igv_prefix = state.igv.goto_prefix();
        // Reused for every row: the printed loci, their IGV encoding, the relay link.
        let mut locus = String::new();
        let mut encoded = String::new();
        let mut relay = String::new();
        let mut first = true;
        while let Some(row) = rows.next_row()? {
            let error = row.loci.as_ref().err().map(String::as_str);
            locus.clear();
            encoded.clear();
            if let Ok(loci) = &row.loci {
                let _ = loci.write_canonical(&mut locus);
                encoded.extend(encode_value(&locus));
            }
            let linked = row.loci.is_ok();
            match self.format.as_str() {
                "tsv" => {
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
                    buf.push(b'\n');
                    out.flush_when_full()?;
                }
                "json" => {
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
                    };
                    serde_json::to_writer(&mut *out, &record).map_err(std::io::Error::other)?;
                }
                _ => {
                    if linked {
                        writeln!(out, "goto {locus}\nsnapshot")?;
                    }
                }
            }
            first = false;
        }
        if self.format == "json" {
            out.write_all(b"]\n")?;
        }
        Ok(())
    }
}

/// The name an export is saved under. Without one the browser names the
/// download after the URL, so "Export TSV" on calls.vcf saved a TSV called
/// calls.vcf. Only plain ASCII survives: the name goes into a header.
fn export_file_name(name: &str, format: &str) -> String {
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
    let suffix = match format {
        "tsv" => "igv-links.tsv",
        "json" => "igv-links.json",
        _ => "igv-batch.txt",
    };
    format!("{safe}.{suffix}")
}

/// Appends `value` with its tabs and line breaks as spaces: they would break
/// the TSV's shape.
fn push_tsv_field(buf: &mut Vec<u8>, value: &str) {
    buf.extend(value.bytes().map(|b| match b {
        b'\t' | b'\n' | b'\r' => b' ',
        other => other,
    }));
}

struct RowView {
    line: u64,
    /// Hover text of the link: the record's name and locus.
    title: String,
    cells: Vec<String>,
    /// A malformed line as written, shown across the data columns.
    raw: Option<String>,
    locus_display: String,
    data_locus: String,
    relay_url: Option<String>,
    load_go_url: Option<String>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "file.html")]
struct FilePage<'a> {
    base: &'a str,
    file_name: String,
    form_action: String,
    /// Fields a GET form must repeat, since it drops the action's query.
    hidden: Vec<(String, String)>,
    notices: Vec<String>,
    kind: &'static str,
    is_vcf: bool,
    genome: String,
    genome_ids: Vec<String>,
    flank: u64,
    chrom: String,
    q: String,
    pass: bool,
    per_page: usize,
    page: u64,
    columns: Vec<String>,
    rows: Vec<RowView>,
    prev_url: Option<String>,
    next_url: Option<String>,
    load_url: Option<String>,
    raw_url: String,
    index_url: Option<String>,
    tsv_url: String,
    json_url: String,
    batch_url: String,
    has_rows: bool,
    /// Neither a genome nor the file's header says which chromosomes exist.
    unchecked: bool,
    note: Option<String>,
}
