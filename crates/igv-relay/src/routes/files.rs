//! Result files: directory listings, link pages, exports, and raw bytes for
//! IGV (with Range support, which IGV needs for indexed files).

use std::fs::File;
use std::io::{BufRead, BufReader};

use actix_files::NamedFile;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use url::Url;

use igv_relay_core::error::CoreError;
use igv_relay_core::formats::FormatKind;
use igv_relay_core::view::Source;

mod reads;

use crate::error::{AppError, Rejection};
use crate::sources::local::{self, LocalPath, PathError};
use crate::state::AppState;
use crate::web::link_page::{self, FileRequest};
use crate::web::{Outcome, QueryParams, html, render, respond};

/// The URL of a file or directory in a data root under `route` (`files/` or
/// `raw/`), one percent-encoded segment per path component: result file names
/// may hold `#`, `?` or spaces, which a plain join would read as a fragment, a
/// query or the end of the URL.
fn root_url(state: &AppState, route: &str, root: &str, relative: &str, dir: bool) -> Url {
    let mut url = state.urls.url(route, &[]);
    if let Ok(mut segments) = url.path_segments_mut() {
        segments.pop_if_empty().push(root);
        segments.extend(relative.split('/').filter(|s| !s.is_empty()));
        if dir {
            segments.push("");
        }
    }
    url
}

fn local_url(state: &AppState, route: &str, local: &LocalPath<'_>) -> Url {
    root_url(
        state,
        route,
        &local.root.name,
        &local.relative,
        local.is_dir(),
    )
}

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
    /// `(name, raw URL)` of the index files next to it.
    indexes: Vec<(String, String)>,
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
            url: root_url(&state, "files/", &r.name, "", true).to_string(),
            kind: "data root".to_owned(),
            size: r
                .genome
                .clone()
                .map(|g| format!("genome {g}"))
                .unwrap_or_default(),
            indexes: Vec::new(),
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
    let outcome = web::block(move || file_outcome(&state, &tail, &query)).await;
    match outcome {
        Ok(Ok(outcome)) => Ok(respond(outcome)),
        Ok(Err(e)) => Err(e.for_request(&req)),
        Err(e) => Err(AppError::Internal(e.to_string()).for_request(&req)),
    }
}

fn file_outcome(
    state: &std::sync::Arc<AppState>,
    tail: &str,
    query: &str,
) -> Result<Outcome, AppError> {
    let local = state
        .roots
        .resolve(tail.trim_end_matches('/'))
        .map_err(path_error)?;
    if local.is_dir() {
        return listing(state, &local).map(Outcome::Html);
    }
    // An index has no rows: its page is its bytes (the listing shows it beside
    // its data file).
    if INDEX_SUFFIXES
        .iter()
        .any(|s| local.file_name().ends_with(s))
    {
        return Ok(Outcome::Redirect(
            local_url(state, "raw/", &local).to_string(),
        ));
    }
    let params = QueryParams::parse(query)?;
    let kind = sniff(&local)?;
    let file = file_request(state, &local, kind, &params)?;
    link_page::answer(
        state,
        &state.caches,
        state.settings.data.flanks(),
        file,
        &params,
        Box::new(|| open_local(&local.absolute)),
    )
}

/// Index files are listed beside their data file (`x.bam` and `x.bam.bai`,
/// `x.vcf.gz` and `x.vcf.gz.tbi`), not as files of their own.
const INDEX_SUFFIXES: [&str; 4] = [".bai", ".tbi", ".csi", ".crai"];

fn listing(state: &AppState, local: &LocalPath<'_>) -> Result<String, AppError> {
    let all = state
        .roots
        .list(local)
        .map_err(|e| AppError::NotFound(e.to_string()))?;
    let url = |relative: &str, dir: bool| {
        root_url(state, "files/", &local.root.name, relative, dir).to_string()
    };
    let raw =
        |relative: &str| root_url(state, "raw/", &local.root.name, relative, false).to_string();
    // An index whose data file is listed too.
    let data_of = |name: &str| {
        INDEX_SUFFIXES.iter().find_map(|suffix| {
            let data = name.strip_suffix(suffix)?;
            all.iter()
                .any(|e| !e.is_dir && e.name == data)
                .then(|| data.to_owned())
        })
    };
    let entries = all
        .iter()
        .filter(|entry| entry.is_dir || data_of(&entry.name).is_none())
        .map(|entry| ListingEntry {
            url: url(&entry.relative, entry.is_dir),
            kind: match entry.kind {
                None => "directory".into(),
                Some(Some(kind)) => kind.name().to_owned(),
                Some(None) => "file".into(),
            },
            size: if entry.is_dir {
                String::new()
            } else {
                human_size(entry.size)
            },
            name: if entry.is_dir {
                format!("{}/", entry.name)
            } else {
                entry.name.clone()
            },
            indexes: all
                .iter()
                .filter(|other| data_of(&other.name).as_deref() == Some(entry.name.as_str()))
                .map(|index| (index.name.clone(), raw(&index.relative)))
                .collect(),
        })
        .collect();
    let parent = match local.relative.rsplit_once('/') {
        Some((parent, _)) => root_url(state, "files/", &local.root.name, parent, true),
        None if local.relative.is_empty() => state.urls.url("files/", &[]),
        None => root_url(state, "files/", &local.root.name, "", true),
    };
    let page = ListingPage {
        base: state.urls.base().as_str(),
        title: local.url_path(),
        parent_url: Some(parent.to_string()),
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
    if !local.absolute.is_file() {
        return Err(AppError::NotFound(format!(
            "{}: not a file",
            local.url_path()
        )));
    }
    local::sniff(&local.absolute, local.file_name(), local::PAGE_SNIFF_BYTES)
        .ok_or_else(|| unsupported(local.file_name()))
}

fn unsupported(name: &str) -> AppError {
    AppError::unsupported_format(format!("{name}: this file's format is not recognised"))
}

/// A data-root file's page: its URLs under `files/` and `raw/`, an index
/// found next to it, and the root's genome unless `?genome=` says otherwise.
/// The raw URL of a data-root file and of its index, when one lies next to it.
fn raw_and_index(
    state: &AppState,
    local: &LocalPath<'_>,
    kind: FormatKind,
) -> (String, Option<String>) {
    let raw_url = local_url(state, "raw/", local).to_string();
    let index_url = kind
        .index_suffixes()
        .iter()
        .find(|suffix| {
            let mut p = local.absolute.clone().into_os_string();
            p.push(suffix);
            std::path::Path::new(&p).is_file()
        })
        .map(|suffix| format!("{raw_url}{suffix}"));
    (raw_url, index_url)
}

/// A data-root file as a link page's file: its URLs under `files/` and
/// `raw/`, an index found next to it, its reads (`super::reads`), and the root's genome
/// unless `?genome=` says otherwise.
fn file_request<'l>(
    state: &'l AppState,
    local: &'l LocalPath<'_>,
    kind: FormatKind,
    params: &QueryParams,
) -> Result<FileRequest<'l>, AppError> {
    let (raw_url, index_url) = raw_and_index(state, local, kind);
    let raw_in_root = |path: &str| root_url(state, "raw/", &local.root.name, path, false);
    let (reads, reads_choice) = reads::reads_for(state, local, kind, params, &raw_in_root)?;
    let source = Source {
        name: local.file_name().to_owned(),
        export_name: local
            .absolute
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        download_url: Some(raw_url.clone()),
        load_file_url: Some(raw_url),
        rows_load_file: state.settings.data.first_click().loads(
            index_url.is_some(),
            std::fs::metadata(&local.absolute).ok().map(|m| m.len()),
        ),
        index_url,
        igv_format: kind.igv_format(),
        local_path: Some(local.absolute.clone()),
        reads,
        ..Source::default()
    };
    Ok(FileRequest {
        kind,
        source,
        page_url: local_url(state, "files/", local),
        fixed: Vec::new(),
        default_genome: local.root.genome.as_deref(),
        default_is_dbkey: false,
        reads: reads_choice,
        presets: state.presets.for_file(kind, Some(&local.root.name)),
    })
}

fn open_local(path: &std::path::Path) -> Result<Box<dyn BufRead + Send>, CoreError> {
    let file = File::open(path).map_err(|e| CoreError::NotFound(e.to_string()))?;
    Ok(Box::new(BufReader::with_capacity(64 * 1024, file)))
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
