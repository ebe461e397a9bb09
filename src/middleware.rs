//! Response headers every route gets: the request id, and the security
//! headers of HTML pages; CORS for `/api/*`; one access-log line per request.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpResponse, web};
use tracing::Span;
use tracing_actix_web::{DefaultRootSpanBuilder, RequestId, RootSpanBuilder};

use crate::configuration::{Settings, normalize_origin};
use crate::startup::AppState;

/// The response header carrying the id that every log line of the request has.
pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The policy of every HTML page: scripts and styles only from the service
/// itself (no inline script), forms only to the service, never framed.
/// Links to IGV (`http://127.0.0.1:60151`) are navigations, which CSP does not
/// restrict.
macro_rules! page_policy {
    () => {
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; form-action 'self'; base-uri 'none'"
    };
}

/// The CSP of every HTML page but `/embed`.
pub const PAGE_CSP: &str = concat!(page_policy!(), "; frame-ancestors 'none'");

/// Headers decided once from configuration.
#[derive(Clone, Debug)]
pub struct WebPolicy {
    /// `Content-Security-Policy` of `/embed` (frame-ancestors from `embed.allowed_origins`).
    embed_csp: HeaderValue,
    cors: CorsOrigins,
}

#[derive(Clone, Debug)]
enum CorsOrigins {
    Any,
    List(Vec<String>),
}

impl WebPolicy {
    /// `Settings::load` has already checked every origin.
    pub fn from_settings(settings: &Settings) -> Result<Self, String> {
        let ancestors = settings
            .embed
            .allowed_origins
            .iter()
            .map(|o| normalize_origin(o).map_err(|e| e.to_string()))
            .collect::<Result<Vec<_>, _>>()?;
        let frame_ancestors = if ancestors.is_empty() {
            "'none'".to_owned()
        } else {
            ancestors.join(" ")
        };
        let embed_csp = HeaderValue::from_str(&format!(
            "{}; frame-ancestors {frame_ancestors}",
            page_policy!()
        ))
        .map_err(|e| e.to_string())?;
        let cors = if settings.api.cors_origins.iter().any(|o| o == "*") {
            CorsOrigins::Any
        } else {
            CorsOrigins::List(
                settings
                    .api
                    .cors_origins
                    .iter()
                    .map(|o| normalize_origin(o).map_err(|e| e.to_string()))
                    .collect::<Result<_, _>>()?,
            )
        };
        Ok(Self { embed_csp, cors })
    }

    /// The CSP for `/embed`: the page policy, framable by the configured origins.
    pub fn embed_csp(&self) -> HeaderValue {
        self.embed_csp.clone()
    }

    fn cors_allows(&self, origin: &str) -> bool {
        match &self.cors {
            CorsOrigins::Any => true,
            CorsOrigins::List(list) => list.iter().any(|o| o == origin),
        }
    }
}

/// Sets `x-request-id` (the id tracing-actix-web gave the request's root
/// span), `X-Content-Type-Options` and `Referrer-Policy` on every response, and
/// a CSP on HTML responses that did not set their own (`/embed` does).
pub async fn response_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let request_id = req.extensions().get::<RequestId>().copied();
    let mut res = next.call(req).await?;
    let headers = res.headers_mut();
    if let Some(id) = request_id
        && let Ok(value) = HeaderValue::from_str(&id.to_string())
    {
        headers.insert(REQUEST_ID_HEADER, value);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if !headers.contains_key(header::REFERRER_POLICY) {
        // Loci and file names in URLs are nobody else's business.
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
    }
    if is_html(headers) && !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(PAGE_CSP),
        );
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    Ok(res)
}

fn is_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/html"))
}

/// CORS for the `/api` scope: only the origins in `api.cors_origins` get
/// `Access-Control-Allow-Origin`; a preflight from any other origin is refused.
/// Requests without `Origin` (curl, servers) and same-origin pages need none.
pub async fn api_cors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let allowed = match (&origin, req.app_data::<web::Data<AppState>>()) {
        (Some(o), Some(state)) => state.web_policy.cors_allows(o),
        _ => false,
    };
    let preflight = req.method() == Method::OPTIONS
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    if preflight {
        let response = preflight_response(origin.as_deref(), allowed);
        return Ok(req.into_response(response).map_into_right_body());
    }
    let mut res = next.call(req).await?;
    let headers = res.headers_mut();
    headers.append(header::VARY, HeaderValue::from_static("Origin"));
    if allowed
        && let Some(origin) = origin
        && let Ok(value) = HeaderValue::from_str(&origin)
    {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
    }
    Ok(res.map_into_left_body())
}

fn preflight_response(origin: Option<&str>, allowed: bool) -> HttpResponse {
    let origin_value = origin.and_then(|o| HeaderValue::from_str(o).ok());
    match origin_value {
        Some(value) if allowed => HttpResponse::NoContent()
            .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, value))
            .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, "GET, POST"))
            .insert_header((header::ACCESS_CONTROL_ALLOW_HEADERS, "content-type"))
            .insert_header((header::ACCESS_CONTROL_MAX_AGE, "600"))
            .insert_header((header::VARY, "Origin"))
            .finish(),
        _ => HttpResponse::build(StatusCode::FORBIDDEN)
            .insert_header((header::VARY, "Origin"))
            .json(serde_json::json!({
                "error": "origin_not_allowed",
                "message": format!(
                    "the origin {} may not call this API; add it to api.cors_origins",
                    origin.unwrap_or("(none)")
                ),
            })),
    }
}

/// tracing-actix-web's root span (method, route, status, `request_id`), plus
/// one `request finished` event per request, so that even a successful
/// request leaves a log line carrying its id.
pub struct AccessLog;

impl RootSpanBuilder for AccessLog {
    fn on_request_start(request: &ServiceRequest) -> Span {
        DefaultRootSpanBuilder::on_request_start(request)
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        let status = match outcome {
            Ok(response) => response.status().as_u16(),
            Err(error) => error.as_response_error().status_code().as_u16(),
        };
        span.in_scope(|| tracing::info!(status, "request finished"));
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}
