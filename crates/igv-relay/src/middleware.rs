//! Response headers every route gets: the request id, and the security
//! headers of HTML pages; CORS for `/api/*`; one access-log line per request
//! carrying the request's id.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse, web};
use tracing::Instrument;

use crate::state::AppState;
use crate::web::policy::{PAGE_CSP, WebPolicy};

/// The response header carrying the id that every log line of the request has.
pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// A request's id: sent back in `x-request-id` and carried by every log line
/// logged while the request is handled (the `request_id` of its span).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestId(String);

impl RequestId {
    /// The proxy's `x-request-id` when it sent a sane one (so one id follows a
    /// request through nginx, Galaxy's logs and ours), else a fresh one.
    fn for_request(req: &ServiceRequest) -> Self {
        req.headers()
            .get(&REQUEST_ID_HEADER)
            .and_then(|v| v.to_str().ok())
            .filter(|id| Self::is_acceptable(id))
            .map_or_else(Self::fresh, |id| Self(id.to_owned()))
    }

    /// Short and plain enough to log and echo without escaping.
    fn is_acceptable(id: &str) -> bool {
        (1..=128).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
    }

    /// A UUID-shaped id: 64 random bits drawn once per process, then a
    /// counter. Unique within a process and across restarts, without a
    /// `getrandom(2)` per request (which tracing-actix-web's UUIDv4 costs;
    /// it showed in the relay's profile, BENCHMARKS.md).
    fn fresh() -> Self {
        use std::hash::{BuildHasher, RandomState};
        use std::sync::LazyLock;
        use std::sync::atomic::{AtomicU64, Ordering};
        static PROCESS: LazyLock<u64> =
            LazyLock::new(|| RandomState::new().hash_one(std::process::id()));
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let low = COUNTER.fetch_add(1, Ordering::Relaxed);
        let bits = (u128::from(*PROCESS) << 64) | u128::from(low);
        // 8-4-4-4-12 hex digits; `format!` was a tenth of the relay's time.
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut text = [b'-'; 36];
        let mut bit = 128;
        for (i, byte) in text.iter_mut().enumerate() {
            if !matches!(i, 8 | 13 | 18 | 23) {
                bit -= 4;
                *byte = HEX[((bits >> bit) & 0xf) as usize];
            }
        }
        let text = String::from_utf8_lossy(&text).into_owned();
        Self(text)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The outermost middleware: gives the request its id and a span holding it,
/// writes one access line and counts the request in `/metrics` when the
/// response head is ready, and sets
/// `x-request-id`, `X-Content-Type-Options` and `Referrer-Policy` on every
/// response, and a CSP on HTML responses that did not set their own
/// (`/embed` does).
///
/// One middleware and one log line per request on purpose: the relay answers
/// in microseconds, and tracing-actix-web's root span (a dozen fields, two
/// lines a request, a UUIDv4 each) and actix-web-prom's layer cost the relay
/// more than half its throughput (BENCHMARKS.md).
pub async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = std::time::Instant::now();
    let id = RequestId::for_request(&req);
    let span = tracing::info_span!("request", request_id = %id.as_str());
    let method = req.method().clone();
    let path = req.path().to_owned();
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let outcome = next.call(req).instrument(span.clone()).await;
    let elapsed = started.elapsed();
    let (status, route) = match &outcome {
        Ok(res) => (res.status(), res.request().match_pattern()),
        Err(e) => (e.as_response_error().status_code(), None),
    };
    if let Some(state) = &state {
        state
            .metrics
            .answered(&method, route.as_deref(), status, elapsed);
    }
    tracing::info!(
        parent: &span,
        method = %method,
        path = %path,
        status = status.as_u16(),
        micros = elapsed.as_micros() as u64,
        "request finished"
    );
    let mut res = outcome?;
    let headers = res.headers_mut();
    if let Ok(value) = HeaderValue::from_str(id.as_str()) {
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
        match &state {
            Some(state) => {
                let policy = &state.web_policy;
                headers.insert(header::CONTENT_SECURITY_POLICY, policy.page_csp(&path));
                if !policy.framable(&path) {
                    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
                }
            }
            None => {
                headers.insert(
                    header::CONTENT_SECURITY_POLICY,
                    HeaderValue::from_static(PAGE_CSP),
                );
                headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
            }
        }
    }
    Ok(res)
}

fn is_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/html"))
}

/// The request's `Origin`, and whether `allows` (a rule of the web policy)
/// lets it read the response.
fn request_origin(
    req: &ServiceRequest,
    allows: fn(&WebPolicy, &str) -> bool,
) -> (Option<String>, bool) {
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let allowed = match (&origin, req.app_data::<web::Data<AppState>>()) {
        (Some(o), Some(state)) => allows(&state.web_policy, o),
        _ => false,
    };
    (origin, allowed)
}

/// CORS for the `/api` scope: only the origins in `api.cors_origins` get
/// `Access-Control-Allow-Origin`; a preflight from any other origin is refused.
/// Requests without `Origin` (curl, servers) and same-origin pages need none.
pub async fn api_cors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let (origin, allowed) = request_origin(&req, WebPolicy::cors_allows);
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

/// CORS for `/raw/*` and `/files/*`: scripts of the origins in
/// `viewer.cors_origins` and of the IGV-Web app may read result files (igv.js
/// reads them with `Range` requests, which need a preflight) and the session
/// exports of link pages. Other origins get no CORS headers, and
/// their preflights are refused; the files stay readable by IGV desktop and
/// same-origin pages as before.
pub async fn raw_cors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let (origin, allowed) = request_origin(&req, WebPolicy::raw_cors_allows);
    let origin_value = origin
        .as_deref()
        .filter(|_| allowed)
        .and_then(|o| HeaderValue::from_str(o).ok());
    if req.method() == Method::OPTIONS {
        let response = match origin_value {
            Some(value) => HttpResponse::NoContent()
                .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, value))
                .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, "GET, HEAD"))
                .insert_header((
                    header::ACCESS_CONTROL_ALLOW_HEADERS,
                    "range, if-none-match, if-modified-since, if-range",
                ))
                .insert_header((header::ACCESS_CONTROL_MAX_AGE, "600"))
                .insert_header((header::VARY, "Origin"))
                .finish(),
            None => HttpResponse::build(StatusCode::FORBIDDEN)
                .insert_header((header::VARY, "Origin"))
                .content_type("text/plain; charset=utf-8")
                .body(format!(
                    "the origin {} may not read files here; add it to viewer.cors_origins\n",
                    origin.as_deref().unwrap_or("(none)")
                )),
        };
        return Ok(req.into_response(response).map_into_right_body());
    }
    let mut res = next.call(req).await?;
    let headers = res.headers_mut();
    headers.append(header::VARY, HeaderValue::from_static("Origin"));
    if let Some(value) = origin_value {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("content-range, content-length, accept-ranges, etag"),
        );
    }
    Ok(res.map_into_left_body())
}
