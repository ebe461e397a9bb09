//! Prometheus metrics at `/metrics`: requests and latency by route, method
//! and status, relay commands by kind and validation failures by reason.
//!
//! Each `Metrics` owns its own registry rather than a process-global recorder,
//! so every application built in one process (as the tests do) counts alone.
//! Requests are counted by `middleware::RequestContext`, in the same pass
//! that writes the access line (actix-web-prom's own middleware layer cost the
//! relay a seventh of its throughput, BENCHMARKS.md).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use actix_web::http::{Method, StatusCode};
use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, Opts, Registry,
    TextEncoder,
};

use crate::error::AppError;

/// Metric name prefix: `igv_relay_http_requests_total` and so on.
pub const NAMESPACE: &str = "igv_relay";

/// Where the metrics are served (relative to the service root).
pub const ENDPOINT: &str = "/metrics";

/// The `route` of requests no route matched: scanners probing random URLs
/// must not create one time series each.
pub const UNMATCHED: &str = "UNMATCHED";

/// Latency buckets in seconds: the relay answers in well under a millisecond,
/// file pages may take a second or more.
const BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

const REQUEST_LABELS: &[&str] = &["method", "route", "status"];

/// The relayed commands whose counters [`Metrics::relayed`] keeps.
const RELAYED_KINDS: [&str; 5] = ["goto", "goto_genome", "load", "check", "view"];

/// The two series an answered request moves (see [`Metrics::request_series`]).
#[derive(Clone)]
pub struct RequestSeries {
    requests: IntCounter,
    latency: Histogram,
}

impl RequestSeries {
    pub fn observe(&self, elapsed: Duration) {
        self.requests.inc();
        self.latency.observe(elapsed.as_secs_f64());
    }
}

#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    relayed: IntCounterVec,
    /// `relayed`'s series for [`RELAYED_KINDS`], created on first use (a
    /// series appears in `/metrics` once it has counted something).
    relayed_known: Arc<[OnceLock<IntCounter>; RELAYED_KINDS.len()]>,
    validation_failures: IntCounterVec,
    /// Bytes of dataset contents received from Galaxy (kept by the Galaxy client).
    galaxy_fetched: Option<Arc<AtomicU64>>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    /// `galaxy_fetched`: the Galaxy client's byte counter, when Galaxy is configured.
    pub fn new(galaxy_fetched: Option<Arc<AtomicU64>>) -> Result<Self, MetricsError> {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new("http_requests_total", "Total number of HTTP requests").namespace(NAMESPACE),
            REQUEST_LABELS,
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "http_requests_duration_seconds",
                "HTTP request duration in seconds until the response head, for all requests",
            )
            .namespace(NAMESPACE)
            .buckets(BUCKETS.to_vec()),
            REQUEST_LABELS,
        )?;
        let relayed = IntCounterVec::new(
            Opts::new(
                "relay_commands_total",
                "IGV commands relayed (303 to the user's IGV), by command",
            )
            .namespace(NAMESPACE),
            &["command"],
        )?;
        let validation_failures = IntCounterVec::new(
            Opts::new(
                "validation_failures_total",
                "Relay requests refused before reaching IGV, by reason and parameter",
            )
            .namespace(NAMESPACE),
            &["reason", "parameter"],
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        registry.register(Box::new(relayed.clone()))?;
        registry.register(Box::new(validation_failures.clone()))?;
        Ok(Self {
            registry,
            requests,
            latency,
            relayed,
            relayed_known: Arc::default(),
            validation_failures,
            galaxy_fetched,
        })
    }

    /// One request was answered. `route` is the pattern that matched
    /// (`/files/{tail:.+}`), never the raw path; methods outside the standard
    /// ones are counted as `OTHER`, for the same reason.
    pub fn answered(
        &self,
        method: &Method,
        route: Option<&str>,
        status: StatusCode,
        elapsed: Duration,
    ) {
        self.request_series(method, route, status).observe(elapsed);
    }

    /// The series [`Metrics::answered`] moves for these labels, to keep: each
    /// look-up hashes the labels and takes a lock (the middleware keeps the
    /// last one per worker; 500 instructions a relay request with finding
    /// the route's pattern).
    pub fn request_series(
        &self,
        method: &Method,
        route: Option<&str>,
        status: StatusCode,
    ) -> RequestSeries {
        let method = match *method {
            Method::GET
            | Method::HEAD
            | Method::POST
            | Method::PUT
            | Method::DELETE
            | Method::OPTIONS
            | Method::PATCH => method.as_str(),
            _ => "OTHER",
        };
        let labels = [method, route.unwrap_or(UNMATCHED), status.as_str()];
        RequestSeries {
            requests: self.requests.with_label_values(&labels),
            latency: self.latency.with_label_values(&labels),
        }
    }

    /// Every series in Prometheus' text format.
    pub fn render(&self) -> Result<String, MetricsError> {
        let mut text = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut text)?;
        if let Some(fetched) = &self.galaxy_fetched {
            // A counter the Galaxy client keeps itself (sources sit below metrics).
            let name = format!("{NAMESPACE}_galaxy_fetched_bytes_total");
            text.extend_from_slice(
                format!(
                    "# HELP {name} Bytes of dataset contents received from Galaxy\n\
                     # TYPE {name} counter\n{name} {}\n",
                    fetched.load(Ordering::Relaxed)
                )
                .as_bytes(),
            );
        }
        String::from_utf8(text).map_err(|e| MetricsError(e.to_string()))
    }

    /// A command was sent on to IGV (`goto`, `load`, … as
    /// `IgvCommand::kind` names them). The series of the usual kinds are
    /// looked up once, on first use, not per request.
    pub fn relayed(&self, command: &str) {
        let known = RELAYED_KINDS.iter().position(|kind| *kind == command);
        match known.and_then(|i| self.relayed_known.get(i)) {
            Some(series) => series
                .get_or_init(|| self.relayed.with_label_values(&[command]))
                .inc(),
            None => self.relayed.with_label_values(&[command]).inc(),
        }
    }

    /// A relay request was refused. Server errors are not validation failures
    /// and are left to the per-status request counter.
    pub fn validation_failed(&self, error: &AppError) {
        if error.status().is_server_error() {
            return;
        }
        let parameter = match error {
            AppError::InvalidParameter { param, .. } => param,
            AppError::MissingParameter(param) => param,
            _ => "",
        };
        self.validation_failures
            .with_label_values(&[error.code(), parameter])
            .inc();
    }
}

#[derive(Debug, thiserror::Error)]
#[error("cannot set up metrics: {0}")]
pub struct MetricsError(String);

impl From<prometheus::Error> for MetricsError {
    fn from(e: prometheus::Error) -> Self {
        Self(e.to_string())
    }
}
