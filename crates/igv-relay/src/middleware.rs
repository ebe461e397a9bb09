//! Response headers every route gets: the request id, and the security
//! headers of HTML pages; CORS for `/api/*`; one access-log line per request
//! carrying the request's id.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode, Uri};
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse, web};

use crate::metrics::RequestSeries;
use crate::state::AppState;
use crate::telemetry::{self, RequestId};
use crate::web::policy::WebPolicy;

/// The response header carrying the id that every log line of the request has.
pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The proxy's `x-request-id` when it sent a sane one (so one id follows a
/// request through nginx, Galaxy's logs and ours), else a fresh one.
fn request_id(req: &ServiceRequest) -> RequestId {
    req.headers()
        .get(&REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(RequestId::parse)
        .unwrap_or_else(RequestId::fresh)
}

/// The outermost middleware: gives the request its id (the request context of
/// its log lines, [`telemetry::in_request`]), writes one access line and
/// counts the request in `/metrics` when the response head is ready, and sets
/// `x-request-id`, `X-Content-Type-Options` and `Referrer-Policy` on every
/// response, and a CSP on HTML responses that did not set their own
/// (`/embed` does).
///
/// One middleware and one log line per request on purpose: the relay answers
/// in microseconds, and tracing-actix-web's root span (a dozen fields, two
/// lines a request, a UUIDv4 each) and actix-web-prom's layer cost the relay
/// more than half its throughput (BENCHMARKS.md); a plain `tracing` span and
/// an access event another 6.6k instructions a request (issue 28).
///
/// A `Transform` of its own rather than `middleware::from_fn`, which boxes
/// the already boxed future of the routes once more, and each worker's copy
/// holds the state itself (`Rc`), rather than looking it up and cloning its
/// `Arc` per request (issue 28: 900 instructions a request together).
pub struct RequestContext(web::Data<AppState>);

impl RequestContext {
    pub fn new(state: web::Data<AppState>) -> Self {
        Self(state)
    }
}

/// What one worker's middleware keeps: the state, and the metrics series of
/// the last request it counted.
struct Worker {
    state: web::Data<AppState>,
    last: RefCell<Option<LastRequest>>,
}

/// A request's method, path and status, and the series it was counted in.
/// The same again (a relay link clicked, a page reloaded) is counted in the
/// same series without finding the route's pattern (a new `String`) and
/// looking the series up by their labels (hashing, a lock): 500 instructions
/// of a relay request (issue 28). A path always matches the same route of
/// one app, and each app has its own middleware.
struct LastRequest {
    method: Method,
    status: StatusCode,
    path: Box<str>,
    series: RequestSeries,
}

impl Worker {
    fn count<B>(&self, method: &Method, path: &str, res: &ServiceResponse<B>, elapsed: Duration) {
        let status = res.status();
        let mut last = self.last.borrow_mut();
        if let Some(last) = last.as_ref()
            && last.status == status
            && last.method == method
            && *last.path == *path
        {
            last.series.observe(elapsed);
            return;
        }
        let route = res.request().match_pattern();
        let series = self
            .state
            .metrics
            .request_series(method, route.as_deref(), status);
        series.observe(elapsed);
        *last = Some(LastRequest {
            method: method.clone(),
            status,
            path: path.into(),
            series,
        });
    }
}

impl<S, B> Transform<S, ServiceRequest> for RequestContext
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
    S::Future: Unpin,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Transform = RequestContextService<S>;
    type InitError = ();
    type Future = std::future::Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        std::future::ready(Ok(RequestContextService {
            service,
            worker: Rc::new(Worker {
                state: self.0.clone(),
                last: RefCell::new(None),
            }),
        }))
    }
}

pub struct RequestContextService<S> {
    service: S,
    worker: Rc<Worker>,
}

impl<S, B> Service<ServiceRequest> for RequestContextService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
    S::Future: Unpin,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Future = RequestContextFuture<S::Future>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let started = Instant::now();
        let id = request_id(&req);
        let method = req.method().clone();
        // For the access line: a reference-counted copy, not a new string.
        let uri = req.uri().clone();
        RequestContextFuture {
            inner: telemetry::in_request(id, self.service.call(req)),
            started,
            method,
            uri,
            worker: self.worker.clone(),
        }
    }
}

/// The routes' future, then the access line, the count and the headers.
pub struct RequestContextFuture<F> {
    inner: telemetry::InRequest<F>,
    started: Instant,
    method: Method,
    uri: Uri,
    worker: Rc<Worker>,
}

impl<F, B> Future for RequestContextFuture<F>
where
    F: Future<Output = Result<ServiceResponse<B>, Error>> + Unpin,
{
    type Output = Result<ServiceResponse<B>, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let outcome = ready!(Pin::new(&mut this.inner).poll(cx));
        Poll::Ready(this.finish(outcome))
    }
}

impl<F> RequestContextFuture<F> {
    fn finish<B>(
        &self,
        outcome: Result<ServiceResponse<B>, Error>,
    ) -> Result<ServiceResponse<B>, Error> {
        let elapsed = self.started.elapsed();
        let state = &self.worker.state;
        let path = self.uri.path();
        let status = match &outcome {
            Ok(res) => {
                self.worker.count(&self.method, path, res, elapsed);
                res.status()
            }
            Err(e) => {
                let status = e.as_response_error().status_code();
                state.metrics.answered(&self.method, None, status, elapsed);
                status
            }
        };
        let id = self.inner.id();
        telemetry::access(&telemetry::Access {
            id,
            method: self.method.as_str(),
            path,
            status: status.as_u16(),
            micros: elapsed.as_micros() as u64,
        });
        let mut res = outcome?;
        let headers = res.headers_mut();
        if let Ok(value) = HeaderValue::from_bytes(id.as_bytes()) {
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
            let policy = &state.web_policy;
            headers.insert(header::CONTENT_SECURITY_POLICY, policy.page_csp(path));
            if !policy.framable(path) {
                headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
            }
        }
        Ok(res)
    }
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
