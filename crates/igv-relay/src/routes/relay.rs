//! `/igv/goto`, `/igv/load`, `/igv/view` and `/igv/check`: validate, then
//! answer 303 See Other to the user's own IGV. 303 because the browser then always follows with a GET and
//! no body: IGV runs the body of any non-GET request as batch commands
//! (igv-port.md §4.3), so 307/308 are never used.

use std::borrow::Cow;
use std::net::SocketAddr;
use std::time::Duration;

use actix_extensible_rate_limit::backend::memory::InMemoryBackend;
use actix_extensible_rate_limit::backend::{Backend, SimpleInput};
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::rt::time::Instant;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use crate::configuration::{LimitSettings, RateLimitKey};
use crate::error::{AppError, Rejection};
use crate::state::AppState;
use crate::web::{PORT_COOKIE, QueryParams};
use igv_relay_core::domain::genes;
use igv_relay_core::domain::igv::{CHECK_ANSWER, IgvCommand, IgvPort, IgvTarget};
use igv_relay_core::domain::request::{self, Query, RelayRules, RequestError};
use igv_relay_core::links::LANDING;

pub async fn goto(req: HttpRequest) -> Result<HttpResponse, Rejection> {
    relay(&req, request::parse_goto)
}

pub async fn load(req: HttpRequest) -> Result<HttpResponse, Rejection> {
    relay(&req, request::parse_load)
}

/// One of the safe view commands (`domain::view`).
pub async fn view(req: HttpRequest) -> Result<HttpResponse, Rejection> {
    relay(&req, request::parse_view)
}

/// The connection check: 303 to one fixed request whose answer IGV shows in
/// the tab ([`igv_relay_core::domain::igv::CHECK_ANSWER`]), on the user's port.
pub async fn check(req: HttpRequest) -> Result<HttpResponse, Rejection> {
    relay(&req, request::parse_check)
}

/// The relay routes of this module that `startup::configure_routes` does not
/// list itself: `/igv/view` and `/igv/check` ([`resource`]s, as the others).
pub fn configure(cfg: &mut web::ServiceConfig, limited: bool) {
    resource(cfg, "/igv/view", view, limited);
    resource(cfg, "/igv/check", check, limited);
}

/// A relay route: GET/HEAD only, with the per-client rate limit when
/// `limited` (`limits.relay_requests_per_minute`).
///
/// The method is checked by a plain guard: actix's `guard::Get()` records
/// every method it checks in the request's extensions (for its own 405
/// answers; ours say `Allow: GET, HEAD` themselves), an allocation and 400
/// instructions per request. Without a limit there is no rate-limit layer at
/// all rather than one that looks for its settings per request (1k
/// instructions). Issue 28.
pub fn resource<F>(cfg: &mut web::ServiceConfig, path: &str, handler: F, limited: bool)
where
    F: actix_web::Handler<(HttpRequest,)>,
    F::Output: actix_web::Responder + 'static,
{
    let resource = web::resource(path)
        .route(
            web::route()
                .guard(actix_web::guard::fn_guard(|ctx| {
                    matches!(ctx.head().method, Method::GET | Method::HEAD)
                }))
                .to(handler),
        )
        .default_service(web::to(method_not_allowed));
    if limited {
        cfg.service(resource.wrap(actix_web::middleware::from_fn(rate_limit)));
    } else {
        cfg.service(resource);
    }
}

/// Anything but GET/HEAD on a relay route.
pub async fn method_not_allowed(req: HttpRequest) -> Result<HttpResponse, Rejection> {
    Err(AppError::MethodNotAllowed(req.method().to_string()).for_request(&req))
}

type CommandParser = fn(&Query, &RelayRules<'_>) -> Result<IgvCommand, RequestError>;

fn relay(req: &HttpRequest, parse: CommandParser) -> Result<HttpResponse, Rejection> {
    // By reference: extracting `web::Data` clones its `Arc`, an atomic
    // write to a count all workers share, per request.
    let Some(state) = req.app_data::<web::Data<AppState>>() else {
        return Err(AppError::Internal("the relay has no state".into()).for_request(req));
    };
    relay_command(req, state, parse).map_err(|e| e.for_request(req))
}

fn relay_command(
    req: &HttpRequest,
    state: &AppState,
    parse: CommandParser,
) -> Result<HttpResponse, AppError> {
    let params = QueryParams::parse(req.query_string())?;
    let rules = RelayRules {
        loci: state.loci_rules,
        allowed_hosts: &state.allowed_hosts,
        genomes: &state.genomes,
    };
    let command = match parse(params.query(), &rules)
        .map_err(AppError::from)
        .inspect_err(|e| state.metrics.validation_failed(e))
    {
        Ok(command) => command,
        Err(e) => return gene_choices(req, state, &params).ok_or(e),
    };
    let target = user_target(req, &params, state)?;
    let igv_url = command.to_url(&target);
    // The access line already records the request; this one is for debugging.
    tracing::debug!(command = command.kind(), "relayed to IGV");
    state.metrics.relayed(command.kind());
    if params.flag(LANDING)?.unwrap_or(false) {
        return landing_page(req, state, &command, &target, &igv_url, &params);
    }
    // `Referrer-Policy: no-referrer` comes with every response
    // (`middleware::RequestContext`).
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, igv_url))
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .finish())
}

/// The IGV address for this user: the configured loopback host, with the
/// port from `?port=`, else the `igv_port` cookie, else the configured one.
/// Nothing in the request can change the host.
/// The configured target itself, not a copy, when nothing changes the port.
fn user_target<'a>(
    req: &HttpRequest,
    params: &QueryParams,
    state: &'a AppState,
) -> Result<Cow<'a, IgvTarget>, AppError> {
    if let Some(port) = request::port(params.query())? {
        return Ok(Cow::Owned(state.igv.with_port(port)));
    }
    // Only when there are cookies: `cookie()` stores the parsed jar in the
    // request's extensions, an allocation per request otherwise.
    if req.headers().contains_key(header::COOKIE)
        && let Some(cookie) = req.cookie(PORT_COOKIE)
    {
        let port = IgvPort::parse(cookie.value())
            .map_err(|e| AppError::invalid("igv_port cookie", cookie.value(), e))?;
        return Ok(Cow::Owned(state.igv.with_port(port)));
    }
    Ok(Cow::Borrowed(&state.igv))
}

/// The same relay request without `landing`: it answers the 303 to IGV.
///
/// The landing page links there, never straight to IGV. Chromium
/// preconnects to link origins, and an idle preconnected socket occupies
/// IGV's single-threaded listener until Chromium drops it, so every other
/// request to IGV hangs meanwhile (found by the end-to-end tests; igv-port.md
/// §8 had left it open); a preconnect to the relay is harmless.
fn direct_relay_url(req: &HttpRequest, state: &AppState) -> String {
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(req.query_string().as_bytes())
        .filter(|(k, _)| k != LANDING)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let mut url = state.urls.url(req.path(), &[]);
    url.query_pairs_mut().extend_pairs(pairs);
    url.to_string()
}

#[derive(Template)]
#[template(path = "gene_choices.html")]
struct GeneChoicesPage<'a> {
    base: &'a str,
    message: String,
    name: String,
    /// (label, locus for people, relay link).
    choices: Vec<(String, String, String)>,
}

/// For a browser, a refused name the genome's gene annotation does not know,
/// or knows several times: a 400 page whose closest matches are links (each
/// a checked locus). `None` when the refusal is about something else.
fn gene_choices(req: &HttpRequest, state: &AppState, params: &QueryParams) -> Option<HttpResponse> {
    if crate::error::wants_json(req) {
        return None;
    }
    let genome = state.genomes.get(params.non_empty("genome")?).ok()?;
    genome.genes()?;
    let problem = params
        .get("locus")?
        .split(' ')
        .filter(|t| !t.is_empty())
        .find_map(|token| {
            genes::find(genome, token)
                .err()
                .filter(|p| !p.choices().is_empty())
        })?;
    let choices = problem
        .choices()
        .iter()
        .map(|c| {
            let mut query = vec![
                ("locus", c.locus.to_string()),
                ("genome", genome.id().to_string()),
            ];
            if params.get(LANDING).is_some() {
                query.push((LANDING, "1".to_owned()));
            }
            let query: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
            (
                c.label.clone(),
                c.locus.to_display_string(),
                state.urls.url("igv/goto", &query).to_string(),
            )
        })
        .collect();
    let page = GeneChoicesPage {
        base: state.urls.base().as_str(),
        message: problem.to_string(),
        name: problem.name().to_owned(),
        choices,
    };
    let html = page.render().ok()?;
    Some(
        HttpResponse::BadRequest()
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
            .body(html),
    )
}

/// The landing page (`landing=1`): for a relay link people pass on (an
/// e-mail, a wiki; `/api/links`' `share_url`), where the user first sees
/// what the link does and the help, and sends it with one click. It never
/// sends by itself: links the service puts on its own pages go to the relay
/// directly (issue 22), and a page that sent after a wait did so again
/// whenever it came back from history.
#[derive(Template)]
#[template(path = "landing.html")]
struct LandingPage<'a> {
    base: &'a str,
    description: String,
    igv_url: &'a str,
    relay_url: String,
    port: IgvPort,
    settings_url: String,
    check_url: String,
    check_answer: &'static str,
}

fn landing_page(
    req: &HttpRequest,
    state: &AppState,
    command: &IgvCommand,
    target: &IgvTarget,
    igv_url: &str,
    params: &QueryParams,
) -> Result<HttpResponse, AppError> {
    // The check keeps the port the link named.
    let port = request::port(params.query())?;
    let page = LandingPage {
        base: state.urls.base().as_str(),
        description: command.describe(),
        igv_url,
        relay_url: direct_relay_url(req, state),
        port: target.port(),
        settings_url: state.urls.settings().to_string(),
        check_url: state.urls.check(port).to_string(),
        check_answer: CHECK_ANSWER,
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

/// The optional per-client limit on relay requests
/// (`limits.relay_requests_per_minute`), shared by all workers. IGV handles
/// one request at a time and raises its window on each, so a page that fires
/// links in a loop can make the user's desktop unusable.
#[derive(Clone)]
pub struct RelayRateLimit {
    backend: InMemoryBackend,
    per_minute: u64,
    key: RateLimitKey,
}

impl RelayRateLimit {
    /// `None` when the limit is off. Must run inside the actix runtime: the
    /// backend spawns its clean-up task there.
    pub fn from_settings(limits: &LimitSettings) -> Option<Self> {
        (limits.relay_requests_per_minute > 0).then(|| Self {
            backend: InMemoryBackend::builder().build(),
            per_minute: limits.relay_requests_per_minute,
            key: limits.rate_limit_key,
        })
    }

    fn client(&self, req: &ServiceRequest) -> String {
        let text = match self.key {
            RateLimitKey::Peer => req.peer_addr().map(|a| a.ip().to_string()),
            RateLimitKey::Forwarded => req
                .connection_info()
                .realip_remote_addr()
                .map(str::to_owned),
        };
        // `realip_remote_addr` may carry a port; one client is one address.
        let text = text.unwrap_or_default();
        text.parse::<SocketAddr>()
            .map(|a| a.ip().to_string())
            .unwrap_or(text)
    }
}

/// Middleware on the relay routes: 429 with `Retry-After` once a client has
/// used up its requests for the minute; nothing else changes.
pub async fn rate_limit(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody + 'static>>, actix_web::Error> {
    let Some(limit) = req.app_data::<web::Data<RelayRateLimit>>().cloned() else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let input = SimpleInput {
        interval: Duration::from_secs(60),
        max_requests: limit.per_minute,
        key: limit.client(&req),
    };
    let (decision, output, _) = match limit.backend.request(input).await {
        Ok(answer) => answer,
        Err(never) => match never {},
    };
    if decision.is_allowed() {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let wait = output
        .reset
        .saturating_duration_since(Instant::now())
        .as_secs()
        .max(1);
    tracing::warn!(client = %limit.client(&req), "relay rate limit reached");
    let message = format!(
        "too many IGV links from your address: at most {} a minute; try again in {wait} s",
        limit.per_minute
    );
    let response = actix_web::ResponseError::error_response(
        &AppError::TooManyRequests {
            message,
            retry_after_secs: wait,
        }
        .for_request(req.request()),
    );
    Ok(req.into_response(response).map_into_right_body())
}
