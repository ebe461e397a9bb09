//! `/igv/goto` and `/igv/load`: validate, then answer 303 See Other to the
//! user's own IGV. 303 because the browser then always follows with a GET and
//! no body: IGV runs the body of any non-GET request as batch commands
//! (igv-port.md §4.3), so 307/308 are never used.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use crate::domain::genome::Genome;
use crate::domain::igv::{
    FileUrl, IgvCommand, IgvPort, IgvTarget, LoadCommand, TrackFile, TrackFormat, TrackName,
};
use crate::domain::loci::Loci;
use crate::error::{AppError, Rejection};
use crate::routes::query::QueryParams;
use crate::startup::AppState;

/// The cookie a user's settings page stores their IGV port in.
pub const PORT_COOKIE: &str = "igv_port";

/// Most files one `/load` may name.
const MAX_FILES: usize = 10;

pub async fn goto(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, Rejection> {
    relay(&req, &state, parse_goto).map_err(|e| e.for_request(&req))
}

pub async fn load(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, Rejection> {
    relay(&req, &state, parse_load).map_err(|e| e.for_request(&req))
}

/// Anything but GET/HEAD on a relay route.
pub async fn method_not_allowed(req: HttpRequest) -> Result<HttpResponse, Rejection> {
    Err(AppError::MethodNotAllowed(req.method().to_string()).for_request(&req))
}

type CommandParser = fn(&QueryParams, &AppState) -> Result<IgvCommand, AppError>;

fn relay(
    req: &HttpRequest,
    state: &AppState,
    parse: CommandParser,
) -> Result<HttpResponse, AppError> {
    let params = QueryParams::parse(req.query_string())?;
    let command = parse(&params, state)?;
    let target = user_target(req, &params, state)?;
    let igv_url = command.to_url(&target);
    tracing::info!(command = command.kind(), "relayed to IGV");
    if params.flag("landing")?.unwrap_or(false) {
        return landing_page(req, state, &command, &target, igv_url.as_str());
    }
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, igv_url.as_str()))
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .insert_header(("Referrer-Policy", HeaderValue::from_static("no-referrer")))
        .finish())
}

/// The IGV address for this user: the configured loopback host, with the
/// port from `?port=`, else the `igv_port` cookie, else the configured one.
/// Nothing in the request can change the host.
fn user_target(
    req: &HttpRequest,
    params: &QueryParams,
    state: &AppState,
) -> Result<IgvTarget, AppError> {
    if let Some(port) = params.get("port") {
        let port = IgvPort::parse(port).map_err(|e| AppError::invalid("port", port, e))?;
        return Ok(state.igv.with_port(port));
    }
    if let Some(cookie) = req.cookie(PORT_COOKIE) {
        let port = IgvPort::parse(cookie.value())
            .map_err(|e| AppError::invalid("igv_port cookie", cookie.value(), e))?;
        return Ok(state.igv.with_port(port));
    }
    Ok(state.igv.clone())
}

fn genome_param<'a>(
    params: &QueryParams,
    state: &'a AppState,
) -> Result<Option<&'a Genome>, AppError> {
    match params.non_empty("genome") {
        None => Ok(None),
        Some(id) => state
            .genomes
            .get(id)
            .map(Some)
            .map_err(|e| AppError::invalid("genome", id, e)),
    }
}

fn loci_param(
    params: &QueryParams,
    state: &AppState,
    genome: Option<&Genome>,
) -> Result<Option<Loci>, AppError> {
    let Some(text) = params.get("locus") else {
        return Ok(None);
    };
    Loci::parse(text, state.loci_rules, genome)
        .map(Some)
        .map_err(|e| AppError::invalid("locus", text, e))
}

fn parse_goto(params: &QueryParams, state: &AppState) -> Result<IgvCommand, AppError> {
    let genome = genome_param(params, state)?;
    let loci = loci_param(params, state, genome)?.ok_or(AppError::MissingParameter("locus"))?;
    Ok(IgvCommand::Goto { loci })
}

fn parse_load(params: &QueryParams, state: &AppState) -> Result<IgvCommand, AppError> {
    let genome = genome_param(params, state)?;
    let files_text = params.required("file")?;
    let urls = split_list(files_text);
    if urls.is_empty() {
        return Err(AppError::invalid("file", files_text, "no file URL given"));
    }
    if urls.len() > MAX_FILES {
        return Err(AppError::invalid(
            "file",
            files_text,
            format!("at most {MAX_FILES} files at once"),
        ));
    }
    let indexes = match params.non_empty("index") {
        None => vec![None; urls.len()],
        Some(text) => {
            let list = split_list(text);
            if list.len() != urls.len() {
                return Err(AppError::invalid(
                    "index",
                    text,
                    format!(
                        "{} index URLs for {} files; give one per file",
                        list.len(),
                        urls.len()
                    ),
                ));
            }
            list.into_iter().map(Some).collect()
        }
    };
    let mut files = Vec::with_capacity(urls.len());
    for (file, index) in urls.into_iter().zip(indexes) {
        let file = FileUrl::parse(file, &state.allowed_hosts)
            .map_err(|e| AppError::invalid("file", file, e))?;
        let index = index
            .map(|i| {
                FileUrl::parse(i, &state.allowed_hosts)
                    .map_err(|e| AppError::invalid("index", i, e))
            })
            .transpose()?;
        files.push(TrackFile { file, index });
    }
    let name = params
        .non_empty("name")
        .map(|n| TrackName::parse(n).map_err(|e| AppError::invalid("name", n, e)))
        .transpose()?;
    let format = params
        .non_empty("format")
        .map(|f| TrackFormat::parse(f).map_err(|e| AppError::invalid("format", f, e)))
        .transpose()?;
    let merge = params.flag("merge")?;
    let locus = loci_param(params, state, genome)?;
    Ok(IgvCommand::Load(LoadCommand {
        files,
        genome: genome.map(IgvCommand::load_genome),
        locus,
        name,
        format,
        merge,
    }))
}

/// Several URLs are separated by spaces or newlines in the relay's own
/// parameter (commas are legal inside URLs, so they do not separate here).
fn split_list(text: &str) -> Vec<&str> {
    text.split_whitespace().collect()
}

/// The same relay request without `landing`: it answers the 303 to IGV.
///
/// The landing page navigates there, never straight to IGV. Chromium
/// preconnects to the target of a meta refresh (and to link origins), and an
/// idle preconnected socket occupies IGV's single-threaded listener until
/// Chromium drops it, so every other request to IGV hangs meanwhile. Found by
/// the end-to-end tests (igv-port.md §8 had left it open); a preconnect to
/// the relay is harmless.
fn direct_relay_url(req: &HttpRequest, state: &AppState) -> String {
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(req.query_string().as_bytes())
        .filter(|(k, _)| k != "landing")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let mut url = state.urls.url(req.path(), &[]);
    url.query_pairs_mut().extend_pairs(pairs);
    url.to_string()
}

#[derive(Template)]
#[template(path = "landing.html")]
struct LandingPage<'a> {
    base: &'a str,
    description: String,
    igv_url: &'a str,
    relay_url: String,
    port: IgvPort,
    settings_url: String,
}

fn landing_page(
    req: &HttpRequest,
    state: &AppState,
    command: &IgvCommand,
    target: &IgvTarget,
    igv_url: &str,
) -> Result<HttpResponse, AppError> {
    let page = LandingPage {
        base: state.urls.base().as_str(),
        description: command.describe(),
        igv_url,
        relay_url: direct_relay_url(req, state),
        port: target.port(),
        settings_url: state.urls.settings().to_string(),
    };
    let html = page
        .render()
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .insert_header(("Referrer-Policy", HeaderValue::from_static("no-referrer")))
        .body(html))
}
