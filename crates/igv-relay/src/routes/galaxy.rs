//! Galaxy datasets as link pages.
//!
//! * `GET /galaxy/display?dataset_url=…&dbkey=…&ext=…&name=…` is where igv-relay's
//!   display applications (deploy/galaxy) send the browser. `dataset_url` is
//!   Galaxy's session-less data URL; it is fetched only if it is under `galaxy.url`.
//! * `GET /galaxy/datasets/{id}` reads metadata and contents through the API
//!   with `galaxy.api_key`.
//! * `GET /galaxy/collections/{id}`: a collection's datasets ([`collections`]).
//!
//! Either way the bytes stream from Galaxy into the format parsers and the page
//! is the one local files get (`records`). "Load in IGV" links give IGV Galaxy's
//! data URL, so IGV fetches the data from Galaxy itself.

mod collections;
mod reads;

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Serialize;
use url::Url;

use igv_relay_core::formats::FormatKind;
use igv_relay_core::view::Source;

use crate::error::{AppError, Rejection, wants_json};
use crate::sources::galaxy::{
    ColumnMetadata, Dataset, DatasetBody, DatasetId, GalaxyClient, GalaxyError, GalaxyFormat,
    Readiness, SUPPORTED_DATATYPES, for_extension,
};
use crate::state::AppState;
use crate::web::link_page::{self, FileRequest};
use crate::web::reads::ReadsChoice;
use crate::web::view::export_format;
use crate::web::{Outcome, QueryParams, render, respond};

pub use self::collections::collection;

/// Seconds between reloads of the page for a dataset Galaxy is still making.
const REFRESH_SECS: u32 = 5;

/// How a Galaxy failure reaches the user.
pub fn upstream(e: GalaxyError) -> AppError {
    match e {
        GalaxyError::Timeout { .. } => AppError::GatewayTimeout(e.to_string()),
        GalaxyError::NoSuchDataset(_) | GalaxyError::NoSuchCollection(_) => {
            AppError::NotFound(e.to_string())
        }
        GalaxyError::TooLarge { .. } => AppError::UnprocessableFile {
            message: e.to_string(),
        },
        _ => AppError::BadGateway(e.to_string()),
    }
}

fn client(state: &AppState) -> Result<&GalaxyClient, AppError> {
    state.galaxy.as_ref().ok_or_else(|| {
        AppError::NotFound(
            "this relay is not connected to a Galaxy server (galaxy.url is not set)".to_owned(),
        )
    })
}

fn unsupported(ext: &str) -> AppError {
    AppError::UnsupportedFormat {
        message: format!("igv-relay cannot show Galaxy datasets of type {ext:?}"),
        supported: SUPPORTED_DATATYPES
            .iter()
            .map(|(n, e)| ((*n).to_owned(), (*e).to_owned()))
            .collect(),
    }
}

/// The genome for a Galaxy dbkey, and what the page should say about it.
fn dbkey_genome(state: &AppState, dbkey: &str) -> (Option<String>, Option<String>) {
    match dbkey.trim() {
        "" | "?" => (
            None,
            Some(
                "The dataset has no database/build in Galaxy (dbkey \"?\"), so no genome is sent \
                 to IGV: IGV keeps the genome it shows."
                    .to_owned(),
            ),
        ),
        dbkey => match state.genomes.for_dbkey(dbkey) {
            Some(genome) => (Some(genome.id().to_string()), None),
            None => (
                None,
                Some(format!(
                    "Galaxy's database/build for this dataset is \"{dbkey}\", which this relay \
                     does not know, so no genome is sent to IGV. Choose the matching genome \
                     below, or ask the relay's administrator to map it (galaxy.dbkeys)."
                )),
            ),
        },
    }
}

/// Everything the blocking part needs, owned.
struct Plan {
    format: GalaxyFormat,
    default_genome: Option<String>,
    source: Source,
    page_url: Url,
    /// The query pairs that name the dataset, on every link of its page.
    fixed: Vec<(&'static str, String)>,
    /// The page's "Reads" box (a VCF dataset paired with its history's alignments).
    reads: Option<ReadsChoice>,
}

/// Renders the page (or streams an export) off the async workers, and
/// reports a Galaxy failure rather than the parser's view of it.
async fn finish(
    req: &HttpRequest,
    state: Arc<AppState>,
    plan: Plan,
    mut body: Option<DatasetBody>,
) -> Result<HttpResponse, AppError> {
    let failure = body.as_ref().map(DatasetBody::failure);
    // Runs while the page is made; nothing is sent before it answered.
    let check = body.as_mut().and_then(DatasetBody::take_check);
    let query = req.query_string().to_owned();
    let outcome = web::block(move || -> Result<Outcome, AppError> {
        let params = QueryParams::parse(&query)?;
        let Plan {
            format,
            default_genome,
            source,
            page_url,
            fixed,
            reads,
        } = plan;
        let file = FileRequest {
            kind: format.kind,
            source: Source {
                options: format.options,
                ..source
            },
            page_url,
            fixed,
            default_genome: default_genome.as_deref(),
            default_is_dbkey: true,
            reads,
            presets: state.presets.for_file(format.kind, None),
        };
        let input = move || {
            body.map(DatasetBody::into_reader).ok_or_else(|| {
                igv_relay_core::error::CoreError::NotFound("no dataset contents were opened".into())
            })
        };
        link_page::answer(
            &state,
            &state.caches,
            state.settings.data.flanks(),
            file,
            &params,
            Box::new(input),
        )
    })
    .await;
    if let Some(check) = check {
        match check.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(upstream(e)),
            Err(e) => return Err(AppError::Internal(e.to_string())),
        }
    }
    match outcome {
        Ok(Ok(outcome)) => Ok(respond(outcome)),
        Ok(Err(e)) => Err(failure.and_then(|f| f.get()).map(upstream).unwrap_or(e)),
        Err(e) => Err(AppError::Internal(e.to_string())),
    }
}

/// `GET /galaxy/display`: the target of igv-relay's Galaxy display applications.
pub async fn display(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Rejection> {
    display_page(&req, state.into_inner())
        .await
        .map_err(|e| e.for_request(&req))
}

async fn display_page(req: &HttpRequest, state: Arc<AppState>) -> Result<HttpResponse, AppError> {
    let galaxy = client(&state)?;
    let params = QueryParams::parse(req.query_string())?;
    let url_text = params.required("dataset_url")?;
    let data_url = galaxy
        .data_url(url_text)
        .map_err(|e| AppError::invalid("dataset_url", url_text, e))?;
    let ext = params
        .non_empty("ext")
        .ok_or(AppError::MissingParameter("ext"))?
        .trim();
    let format = for_extension(ext, &ColumnMetadata::default()).ok_or_else(|| unsupported(ext))?;
    let export = export_format(params.query())?;
    let dbkey = params.non_empty("dbkey").unwrap_or("?").trim();
    let name = params
        .non_empty("name")
        .map(str::to_owned)
        .unwrap_or_else(|| last_segment(&data_url));
    let (default_genome, genome_note) = dbkey_genome(&state, dbkey);

    let mut fixed_query = vec![
        ("dataset_url", url_text.to_owned()),
        ("dbkey", dbkey.to_owned()),
        ("ext", ext.to_owned()),
        ("name", name.clone()),
    ];
    // The interval columns travel with the dataset, not with the filters.
    for key in ["chromCol", "startCol", "endCol"] {
        if let Some(v) = params.non_empty(key) {
            fixed_query.push((key, v.to_owned()));
        }
    }
    let mut notices = vec![format!(
        "Galaxy dataset \"{name}\" ({ext}, database/build {dbkey}), read from {}.",
        galaxy.base()
    )];
    notices.extend(genome_note);
    notices.extend(no_track_note(&format, ext));
    let source = Source {
        export_name: name.clone(),
        name,
        download_url: Some(data_url.to_string()),
        load_file_url: format.igv_format.map(|_| data_url.to_string()),
        index_url: format
            .index_suffix
            .map(|suffix| format!("{data_url}{suffix}")),
        igv_format: format.igv_format,
        notices,
        ..Source::default()
    };
    if export.is_some() && !format.kind.has_rows() {
        return Err(no_rows(format.kind));
    }
    let body = if format.kind.has_rows() {
        Some(galaxy.open_data_url(&data_url).await.map_err(upstream)?)
    } else {
        None
    };
    let format = told_by_head(format, body.as_ref());
    let remote = body.as_ref().and_then(DatasetBody::remote);
    let size = remote.as_ref().map(|r| r.len);
    let source = Source {
        rows_load_file: first_click_loads(&state, &source, size),
        remote,
        ..source
    };
    let plan = Plan {
        format,
        default_genome,
        source,
        page_url: state.urls.url("galaxy/display", &[]),
        fixed: fixed_query,
        reads: None,
    };
    finish(req, state.clone(), plan, body).await
}

/// A `tabular` (`tsv`, `csv`, `txt`) dataset is the table its first bytes
/// name (a DESeq2 result is a gene table); other datatypes are kept.
fn told_by_head(format: GalaxyFormat, body: Option<&DatasetBody>) -> GalaxyFormat {
    match body {
        Some(body) => format.with_head(body.head()),
        None => format,
    }
}

fn no_rows(kind: FormatKind) -> AppError {
    AppError::UnprocessableFile {
        message: format!(
            "{} datasets have no rows to export; load the dataset in IGV instead",
            kind.name()
        ),
    }
}

fn no_track_note(format: &GalaxyFormat, ext: &str) -> Option<String> {
    format.igv_format.is_none().then(|| {
        format!(
            "IGV cannot load a Galaxy \"{ext}\" dataset as a track, so there is no \"Load\" link; \
             each record's link shows its locus in IGV."
        )
    })
}

fn last_segment(url: &Url) -> String {
    url.path_segments()
        .and_then(|mut s| s.next_back().map(str::to_owned))
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "dataset".to_owned())
}

/// `GET /galaxy/datasets/{id}`: a dataset read through the Galaxy API.
pub async fn dataset(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, Rejection> {
    dataset_page(&req, state.into_inner(), &id)
        .await
        .map_err(|e| e.for_request(&req))
}

async fn dataset_page(
    req: &HttpRequest,
    state: Arc<AppState>,
    id_text: &str,
) -> Result<HttpResponse, AppError> {
    let galaxy = client(&state)?;
    if !galaxy.has_api_key() {
        return Err(AppError::NotFound(
            "reading Galaxy datasets by id needs an API key (galaxy.api_key); \
             use the dataset's \"view in igv-relay\" link in Galaxy instead"
                .to_owned(),
        ));
    }
    let id = DatasetId::parse(id_text).map_err(|e| AppError::invalid("id", id_text, e))?;
    let params = QueryParams::parse(req.query_string())?;
    let export = export_format(params.query())?;
    let meta = galaxy.dataset(&id).await.map_err(upstream)?;
    let page_url = state.urls.url(&format!("galaxy/datasets/{id}"), &[]);
    match meta.readiness() {
        Readiness::Ready => {}
        readiness => return wait_page(req, &state, galaxy, &meta, readiness, &page_url),
    }
    let ext = meta.extension().to_owned();
    let format = for_extension(&ext, &meta.columns()).ok_or_else(|| unsupported(&ext))?;
    if export.is_some() && !format.kind.has_rows() {
        return Err(no_rows(format.kind));
    }
    let dbkey = meta.dbkey().to_owned();
    let (default_genome, genome_note) = dbkey_genome(&state, &dbkey);
    let name = meta.name().to_owned();
    let mut notices = vec![format!(
        "Galaxy dataset \"{name}\" ({ext}, database/build {dbkey}{}), read from {}.",
        meta.misc_blurb
            .as_deref()
            .map(|b| format!(", {b}"))
            .unwrap_or_default(),
        galaxy.base()
    )];
    notices.extend(genome_note);
    if let Some(samples) = meta.sample_names.as_ref().filter(|s| !s.is_empty()) {
        notices.push(format!("Samples: {}.", samples.join(", ")));
    }
    notices.extend(no_track_note(&format, &ext));

    // IGV needs a URL it can fetch without a Galaxy login: the data URL of
    // igv-relay's display application, as Galaxy's web page would get it.
    let data_url = match format.igv_format {
        None => None,
        Some(_) => match meta.relay_display_link(galaxy.display_app_prefix()) {
            None => {
                notices.push(format!(
                    "No \"Load in IGV\" link: Galaxy lists no igv-relay display application \
                     (ids starting with {:?}) for this dataset; see the Galaxy section of the \
                     relay's README.",
                    galaxy.display_app_prefix()
                ));
                None
            }
            Some((app, link)) => match galaxy.display_data_url(&id, &app, &link).await {
                Ok(Some(url)) => Some(url),
                Ok(None) => {
                    notices.push(
                        "No \"Load in IGV\" link yet: Galaxy is still preparing the display; \
                         reload this page in a moment."
                            .to_owned(),
                    );
                    None
                }
                Err(e) => {
                    tracing::warn!(error = %e, "no Galaxy display link");
                    notices.push(format!("No \"Load in IGV\" link: {e}."));
                    None
                }
            },
        },
    };
    let mut download = galaxy
        .base()
        .join(&format!("api/datasets/{id}/display"))
        .map_err(|e| AppError::Internal(e.to_string()))?;
    download.query_pairs_mut().append_pair("to_ext", &ext);
    let source = Source {
        export_name: name.clone(),
        name,
        download_url: Some(
            data_url
                .as_ref()
                .map(Url::to_string)
                .unwrap_or_else(|| download.to_string()),
        ),
        load_file_url: data_url.as_ref().map(Url::to_string),
        index_url: data_url
            .as_ref()
            .zip(format.index_suffix)
            .map(|(url, suffix)| format!("{url}{suffix}")),
        igv_format: format.igv_format,
        notices,
        ..Source::default()
    };
    let body = if format.kind.has_rows() {
        Some(
            galaxy
                .dataset_contents(&id, meta.update_time.as_deref())
                .await
                .map_err(upstream)?,
        )
    } else {
        None
    };
    let format = told_by_head(format, body.as_ref());
    let remote = body.as_ref().and_then(DatasetBody::remote);
    // Galaxy's own size, else the one its Range answer gave.
    let size = meta.file_size.or(remote.as_ref().map(|r| r.len));
    let among = match params.non_empty("collection") {
        Some(text) => reads::Among::Collection(
            DatasetId::parse(text).map_err(|e| AppError::invalid("collection", text, e))?,
        ),
        None => reads::Among::History,
    };
    let fixed = match &among {
        reads::Among::Collection(id) => vec![("collection", id.to_string())],
        reads::Among::History => Vec::new(),
    };
    let (reads, reads_choice) = if format.kind == FormatKind::Vcf {
        reads::dataset_reads(galaxy, &meta, &among, &params).await?
    } else {
        (Vec::new(), None)
    };
    let source = Source {
        rows_load_file: first_click_loads(&state, &source, size),
        remote,
        reads,
        ..source
    };
    let plan = Plan {
        format,
        default_genome,
        source,
        page_url,
        fixed,
        reads: reads_choice,
    };
    finish(req, state.clone(), plan, body).await
}

/// Whether the rows of a dataset's page load it with the jump (`links::FirstClick`).
fn first_click_loads(state: &AppState, source: &Source, size: Option<u64>) -> bool {
    source.load_file_url.is_some()
        && state
            .settings
            .data
            .first_click()
            .loads(source.index_url.is_some(), size)
}

#[derive(Template)]
#[template(path = "galaxy_wait.html")]
struct WaitPage<'a> {
    base: &'a str,
    name: &'a str,
    state: &'a str,
    blurb: Option<&'a str>,
    refresh_secs: Option<u32>,
    galaxy_url: &'a str,
    page_url: &'a str,
}

#[derive(Serialize)]
struct WaitBody<'a> {
    error: &'static str,
    message: String,
    state: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    retry_after: Option<u32>,
}

/// A dataset Galaxy has not finished (the page reloads itself) or that
/// failed (it says so and stops).
fn wait_page(
    req: &HttpRequest,
    state: &AppState,
    galaxy: &GalaxyClient,
    meta: &Dataset,
    readiness: Readiness,
    page_url: &Url,
) -> Result<HttpResponse, AppError> {
    let waiting = readiness == Readiness::Waiting;
    let shown_state = if meta.deleted == Some(true) || meta.purged == Some(true) {
        "deleted"
    } else {
        meta.state()
    };
    let (status, refresh) = if waiting {
        (StatusCode::OK, Some(REFRESH_SECS))
    } else {
        (StatusCode::CONFLICT, None)
    };
    let mut response = HttpResponse::build(status);
    response.insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")));
    if let Some(secs) = refresh {
        response.insert_header((header::RETRY_AFTER, secs.to_string()));
    }
    if wants_json(req) {
        return Ok(response.json(WaitBody {
            error: if waiting {
                "dataset_not_ready"
            } else {
                "dataset_failed"
            },
            message: format!("the Galaxy dataset is {shown_state}"),
            state: shown_state,
            retry_after: refresh,
        }));
    }
    let page = WaitPage {
        base: state.urls.base().as_str(),
        name: meta.name(),
        state: shown_state,
        blurb: meta
            .misc_blurb
            .as_deref()
            .or(meta.misc_info.as_deref())
            .filter(|b| !b.trim().is_empty()),
        refresh_secs: refresh,
        galaxy_url: galaxy.base().as_str(),
        page_url: page_url.as_str(),
    };
    let html = render(page)?;
    Ok(response.content_type("text/html; charset=utf-8").body(html))
}
