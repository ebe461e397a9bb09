//! Result files: directory listings, link pages, exports, and raw bytes for
//! IGV (with Range support, which IGV needs for indexed files).

use std::fs::File;
use std::io::{BufReader, Read, Write};

use actix_files::NamedFile;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Serialize;

use crate::domain::genome::Genome;
use crate::domain::igv::{IgvCommand, TRACK_FORMATS};
use crate::error::{AppError, Rejection};
use crate::formats::{self, CoordBase, FormatError, FormatKind, FormatOptions};
use crate::linkpage::{DEFAULT_PER_PAGE, LocusResolver, MAX_PER_PAGE, Row, RowFilter, Rows};
use crate::links::LoadLink;
use crate::routes::pages::html;
use crate::routes::query::QueryParams;
use crate::sources::local::{LocalPath, PathError};
use crate::startup::AppState;

/// Bytes read from the start of a file to recognise its format.
const SNIFF_BYTES: u64 = 64 * 1024;
/// Export chunks handed to the response stream.
const EXPORT_CHUNK_BYTES: usize = 64 * 1024;

fn path_error(e: PathError) -> AppError {
    match e {
        PathError::Refused(path, why) => AppError::invalid("path", &path, why),
        PathError::UnknownRoot(_) | PathError::NotFound(_) => AppError::NotFound(e.to_string()),
    }
}

#[derive(Template)]
#[template(path = "listing.html")]
struct ListingPage<'a> {
    base: &'a str,
    title: String,
    parent_url: Option<String>,
    entries: Vec<ListingEntry>,
}

struct ListingEntry {
    name: String,
    url: String,
    kind: String,
    size: String,
}

pub async fn roots(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Rejection> {
    let entries = state
        .roots
        .all()
        .iter()
        .map(|r| ListingEntry {
            name: r.name.clone(),
            url: state
                .urls
                .url(&format!("files/{}/", r.name), &[])
                .to_string(),
            kind: "data root".to_owned(),
            size: r
                .genome
                .clone()
                .map(|g| format!("genome {g}"))
                .unwrap_or_default(),
        })
        .collect();
    let page = ListingPage {
        base: state.urls.base().as_str(),
        title: "Result files".into(),
        parent_url: None,
        entries,
    };
    html(page).map_err(|e| e.for_request(&req))
}

pub async fn file_or_dir(
    req: HttpRequest,
    state: web::Data<AppState>,
    tail: web::Path<String>,
) -> Result<HttpResponse, Rejection> {
    let state = state.into_inner();
    let tail = tail.into_inner();
    let query = req.query_string().to_owned();
    // File reading is blocking work; keep it off the async workers.
    let outcome = web::block(move || respond(&state, &tail, &query)).await;
    match outcome {
        Ok(Ok(Outcome::Html(body))) => Ok(HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(body)),
        Ok(Ok(Outcome::Export { rx, content_type })) => {
            let body = futures_util::stream::unfold(rx, |mut rx| async move {
                rx.recv().await.map(|chunk| (chunk, rx))
            });
            Ok(HttpResponse::Ok()
                .content_type(content_type)
                .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
                .streaming(body))
        }
        Ok(Err(e)) => Err(e.for_request(&req)),
        Err(e) => Err(AppError::Internal(e.to_string()).for_request(&req)),
    }
}

type ExportChunks = tokio::sync::mpsc::Receiver<Result<web::Bytes, std::io::Error>>;

/// What the blocking part hands back (responses themselves are not `Send`).
enum Outcome {
    Html(String),
    Export {
        rx: ExportChunks,
        content_type: &'static str,
    },
}

fn render<T: Template>(page: T) -> Result<String, AppError> {
    page.render().map_err(|e| AppError::Internal(e.to_string()))
}

fn respond(state: &std::sync::Arc<AppState>, tail: &str, query: &str) -> Result<Outcome, AppError> {
    let local = state
        .roots
        .resolve(tail.trim_end_matches('/'))
        .map_err(path_error)?;
    if local.is_dir() {
        return listing(state, &local).map(Outcome::Html);
    }
    let params = QueryParams::parse(query)?;
    let kind = sniff(&local)?;
    let export = params.non_empty("format").map(str::to_owned);
    let view = FileView::new(state, &local, kind, &params)?;
    match export.as_deref() {
        None | Some("html") => view.page(state, &local, &params).map(Outcome::Html),
        Some(f @ ("tsv" | "json" | "igv-batch")) => {
            view.export(state.clone(), local.absolute.clone(), f)
        }
        Some(other) => Err(AppError::invalid(
            "format",
            other,
            "expected html, tsv, json or igv-batch",
        )),
    }
}

fn listing(state: &AppState, local: &LocalPath<'_>) -> Result<String, AppError> {
    let read = std::fs::read_dir(&local.absolute).map_err(|e| AppError::NotFound(e.to_string()))?;
    let mut entries: Vec<ListingEntry> = read
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().to_str()?.to_owned();
            if name.starts_with('.') {
                return None;
            }
            let meta = entry.metadata().ok()?;
            let path = format!("{}{}{}", local.url_path().trim_end_matches('/'), "/", name);
            Some(if meta.is_dir() {
                ListingEntry {
                    url: state.urls.url(&format!("files/{path}/"), &[]).to_string(),
                    name: format!("{name}/"),
                    kind: "directory".into(),
                    size: String::new(),
                }
            } else {
                ListingEntry {
                    url: state.urls.url(&format!("files/{path}"), &[]).to_string(),
                    kind: formats::detect(&name, &[])
                        .map(|k| k.name().to_owned())
                        .unwrap_or_else(|| "file".into()),
                    size: human_size(meta.len()),
                    name,
                }
            })
        })
        .collect();
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    let parent = match local.relative.rsplit_once('/') {
        Some((parent, _)) => format!("files/{}/{parent}/", local.root.name),
        None if local.relative.is_empty() => "files/".to_owned(),
        None => format!("files/{}/", local.root.name),
    };
    let page = ListingPage {
        base: state.urls.base().as_str(),
        title: local.url_path(),
        parent_url: Some(state.urls.url(&parent, &[]).to_string()),
        entries,
    };
    render(page)
}

fn human_size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 => format!("{:.1} GiB", b as f64 / (1u64 << 30) as f64),
        b if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / (1u64 << 20) as f64),
        b if b >= 1 << 10 => format!("{:.1} KiB", b as f64 / 1024.0),
        b => format!("{b} B"),
    }
}

fn sniff(local: &LocalPath<'_>) -> Result<FormatKind, AppError> {
    let mut head = Vec::new();
    File::open(&local.absolute)
        .and_then(|f| f.take(SNIFF_BYTES).read_to_end(&mut head))
        .map_err(|e| AppError::NotFound(format!("{}: {e}", local.url_path())))?;
    formats::detect(local.file_name(), &head).ok_or_else(|| unsupported(local.file_name()))
}

fn unsupported(name: &str) -> AppError {
    AppError::UnsupportedFormat {
        message: format!("{name}: this file's format is not recognised"),
        supported: formats::supported_formats()
            .iter()
            .map(|(n, e)| ((*n).to_owned(), (*e).to_owned()))
            .collect(),
    }
}

/// What a request asks to see of one file.
struct FileView<'a> {
    kind: FormatKind,
    genome: Option<&'a Genome>,
    flank: u64,
    filter: RowFilter,
    options: FormatOptions,
    raw_url: String,
    index_url: Option<String>,
}

impl<'a> FileView<'a> {
    fn new(
        state: &'a AppState,
        local: &LocalPath<'_>,
        kind: FormatKind,
        params: &QueryParams,
    ) -> Result<Self, AppError> {
        let genome = match params.non_empty("genome").or(local.root.genome.as_deref()) {
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
            None => None,
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
            chrom_col: column("chromCol")?,
            start_col: column("startCol")?,
            end_col: column("endCol")?,
            ..FormatOptions::default()
        };
        let filter = RowFilter {
            chrom: params.non_empty("chrom").map(str::to_owned),
            query: params.non_empty("q").map(str::to_owned),
            pass_only: params.flag("pass")?.unwrap_or(false),
        };
        let raw_url = state
            .urls
            .url(&format!("raw/{}", local.url_path()), &[])
            .to_string();
        let index_url = kind
            .index_suffixes()
            .iter()
            .find(|suffix| {
                let mut p = local.absolute.clone().into_os_string();
                p.push(suffix);
                std::path::Path::new(&p).is_file()
            })
            .map(|suffix| format!("{raw_url}{suffix}"));
        Ok(Self {
            kind,
            genome,
            flank,
            filter,
            options,
            raw_url,
            index_url,
        })
    }

    fn open(
        &self,
        local: &std::path::Path,
    ) -> Result<Box<dyn formats::RecordStream + Send>, AppError> {
        let file = File::open(local).map_err(|e| AppError::NotFound(e.to_string()))?;
        formats::open(
            self.kind,
            Box::new(BufReader::with_capacity(64 * 1024, file)),
            &self.options,
        )
        .map_err(|e| match e {
            FormatError::Unsupported(m) => AppError::UnsupportedFormat {
                message: m,
                supported: formats::supported_formats()
                    .iter()
                    .map(|(n, e)| ((*n).to_owned(), (*e).to_owned()))
                    .collect(),
            },
            other => AppError::UnprocessableFile {
                message: other.to_string(),
            },
        })
    }

    fn load_link(&self, state: &AppState, name: &str, locus: Option<&str>) -> Option<String> {
        let format = self
            .kind
            .igv_format()
            .filter(|f| TRACK_FORMATS.contains(f))?;
        Some(
            state
                .urls
                .load(&LoadLink {
                    file: &self.raw_url,
                    index: self.index_url.as_deref(),
                    genome: self.genome.map(|g| g.id().as_str()),
                    locus,
                    name: Some(name),
                    format: Some(format),
                })
                .to_string(),
        )
    }

    fn goto_link(&self, state: &AppState, locus: &str) -> String {
        let mut url = state.urls.goto(locus, self.genome.map(|g| g.id().as_str()));
        // Links open in the named tab "igv-relay": the landing page keeps
        // saying what was sent there, where IGV's 204 would leave it blank.
        url.query_pairs_mut().append_pair("landing", "1");
        url.to_string()
    }

    fn page(
        &self,
        state: &AppState,
        local: &LocalPath<'_>,
        params: &QueryParams,
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
        let name = local.file_name().to_owned();
        let mut rows_view = Vec::new();
        let mut columns = Vec::new();
        let mut has_next = false;
        let mut note = None;
        if self.kind.has_rows() {
            let mut stream = self.open(&local.absolute)?;
            let resolver =
                LocusResolver::new(self.genome, stream.as_ref(), self.flank, state.loci_rules);
            let page = Rows::new(stream.as_mut(), resolver, self.filter.clone())
                .page(page_no, per_page)
                .map_err(|e| AppError::UnprocessableFile {
                    message: format!("reading {name}: {e}"),
                })?;
            columns = page.columns;
            has_next = page.has_next;
            rows_view = page
                .rows
                .into_iter()
                .map(|row| self.row_view(state, &name, row))
                .collect();
        } else {
            note = Some(format!(
                "{} files have no rows to list here. Load the file in IGV{}.",
                self.kind.name(),
                if self.index_url.is_some() {
                    " (its index was found next to it)"
                } else {
                    ""
                }
            ));
        }
        let sticky = self.sticky_params(params, per_page);
        let page_url = |n: u64| {
            let mut q: Vec<(&str, String)> = sticky.clone();
            q.push(("page", n.to_string()));
            let pairs: Vec<(&str, &str)> = q.iter().map(|(k, v)| (*k, v.as_str())).collect();
            state
                .urls
                .url(&format!("files/{}", local.url_path()), &pairs)
                .to_string()
        };
        let export_url = |f: &str| {
            let mut q: Vec<(&str, String)> = sticky.clone();
            q.retain(|(k, _)| *k != "per_page");
            q.push(("format", f.to_owned()));
            let pairs: Vec<(&str, &str)> = q.iter().map(|(k, v)| (*k, v.as_str())).collect();
            state
                .urls
                .url(&format!("files/{}", local.url_path()), &pairs)
                .to_string()
        };
        let page = FilePage {
            base: state.urls.base().as_str(),
            file_name: name.clone(),
            form_action: state
                .urls
                .url(&format!("files/{}", local.url_path()), &[])
                .to_string(),
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
            raw_url: self.raw_url.clone(),
            index_url: self.index_url.clone(),
            tsv_url: export_url("tsv"),
            json_url: export_url("json"),
            batch_url: export_url("igv-batch"),
            has_rows: self.kind.has_rows(),
            note,
        };
        render(page)
    }

    /// Parameters that carry over to other pages of the same view.
    fn sticky_params(&self, params: &QueryParams, per_page: usize) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        for key in [
            "genome", "flank", "chrom", "q", "pass", "coords", "chromCol", "startCol", "endCol",
        ] {
            if let Some(v) = params.non_empty(key) {
                out.push((key, v.to_owned()));
            }
        }
        if per_page != DEFAULT_PER_PAGE {
            out.push(("per_page", per_page.to_string()));
        }
        out
    }

    fn row_view(&self, state: &AppState, name: &str, row: Row) -> RowView {
        match &row.loci {
            Ok(loci) => {
                let locus = loci.to_string();
                RowView {
                    line: row.line,
                    label: row.label,
                    cells: row.cells,
                    locus_display: loci.to_display_string(),
                    relay_url: Some(self.goto_link(state, &locus)),
                    load_go_url: self.load_link(state, name, Some(&locus)),
                    data_locus: locus,
                    error: None,
                }
            }
            Err(e) => RowView {
                line: row.line,
                label: row.label,
                cells: row.cells,
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
    fn export(
        &self,
        state: std::sync::Arc<AppState>,
        path: std::path::PathBuf,
        format: &str,
    ) -> Result<Outcome, AppError> {
        let stream = self.open(&path)?;
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<web::Bytes, std::io::Error>>(8);
        let view = ExportView {
            genome: self.genome.map(|g| g.id().to_string()),
            flank: self.flank,
            filter: self.filter.clone(),
            format: format.to_owned(),
            name: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        };
        std::thread::spawn(move || view.write_all(&state, stream, tx));
        let content_type = match format {
            "json" => "application/json",
            "tsv" => "text/tab-separated-values; charset=utf-8",
            _ => "text/plain; charset=utf-8",
        };
        Ok(Outcome::Export { rx, content_type })
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

impl Write for ChunkWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= EXPORT_CHUNK_BYTES {
            self.flush()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = web::Bytes::from(std::mem::take(&mut self.buf));
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
                writeln!(
                    out,
                    "# IGV batch script from igv-relay for {}: one snapshot per record",
                    self.name
                )?;
                writeln!(out, "snapshotDirectory snapshots")?;
            }
        }
        let mut first = true;
        while let Some(row) = rows.next_row()? {
            let (locus, relay, igv) = match &row.loci {
                Ok(loci) => {
                    let locus = loci.to_string();
                    let mut relay = state.urls.goto(&locus, self.genome.as_deref());
                    relay.query_pairs_mut().append_pair("landing", "1");
                    let igv = IgvCommand::Goto { loci: loci.clone() }
                        .to_url(&state.igv)
                        .to_string();
                    (Some(locus), Some(relay.to_string()), Some(igv))
                }
                Err(_) => (None, None, None),
            };
            let error = row.loci.as_ref().err().map(String::as_str);
            match self.format.as_str() {
                "tsv" => writeln!(
                    out,
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    row.line,
                    locus.as_deref().unwrap_or(""),
                    tsv_field(&row.label),
                    relay.as_deref().unwrap_or(""),
                    igv.as_deref().unwrap_or(""),
                    tsv_field(error.unwrap_or("")),
                )?,
                "json" => {
                    if !first {
                        out.write_all(b",")?;
                    }
                    let record = ExportRow {
                        line: row.line,
                        label: &row.label,
                        locus,
                        relay_url: relay,
                        igv_url: igv,
                        error,
                    };
                    serde_json::to_writer(&mut *out, &record).map_err(std::io::Error::other)?;
                }
                _ => {
                    if let Some(locus) = locus {
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

/// Tabs and line breaks inside a field would break the TSV's shape.
fn tsv_field(value: &str) -> String {
    value.replace(['\t', '\n', '\r'], " ")
}

struct RowView {
    line: u64,
    label: String,
    cells: Vec<String>,
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
    note: Option<String>,
}

/// Serves a result file or its index as bytes, with Range and HEAD support.
pub async fn raw(
    req: HttpRequest,
    state: web::Data<AppState>,
    tail: web::Path<String>,
) -> Result<HttpResponse, Rejection> {
    let local = state
        .roots
        .resolve(&tail)
        .map_err(|e| path_error(e).for_request(&req))?;
    if local.is_dir() {
        return Err(
            AppError::NotFound(format!("{} is a directory", local.url_path())).for_request(&req),
        );
    }
    let file = NamedFile::open(&local.absolute)
        .map_err(|e| AppError::NotFound(e.to_string()).for_request(&req))?
        .use_etag(true)
        .use_last_modified(true)
        .set_content_disposition(header::ContentDisposition {
            disposition: header::DispositionType::Inline,
            parameters: vec![],
        })
        .set_content_type(mime_for(local.file_name()));
    Ok(file.into_response(&req))
}

fn mime_for(_name: &str) -> mime::Mime {
    // Result files are data, never pages: a file named x.html must not render
    // in the browser under this origin.
    mime::APPLICATION_OCTET_STREAM
}
