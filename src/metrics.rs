//! Prometheus metrics at `/metrics`: requests and latency by route and status
//! (actix-web-prom), relay commands by kind and validation failures by reason.
//!
//! Each `Metrics` owns its own registry rather than a process-global recorder,
//! so every application built in one process (as the tests do) counts alone.

use actix_web_prom::{
    ActixMetricsConfiguration, LabelsConfiguration, PrometheusMetrics, PrometheusMetricsBuilder,
};
use prometheus::{IntCounterVec, Opts, Registry};

use crate::error::AppError;

/// Metric name prefix: `igv_relay_http_requests_total` and so on.
pub const NAMESPACE: &str = "igv_relay";

/// Where the metrics are served (relative to the service root).
pub const ENDPOINT: &str = "/metrics";

/// Latency buckets in seconds: the relay answers in well under a millisecond,
/// file pages may take a second or more.
const BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Clone)]
pub struct Metrics {
    http: PrometheusMetrics,
    relayed: IntCounterVec,
    validation_failures: IntCounterVec,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    pub fn new() -> Result<Self, MetricsError> {
        let registry = Registry::new();
        let http = PrometheusMetricsBuilder::new(NAMESPACE)
            .endpoint(ENDPOINT)
            .registry(registry.clone())
            .buckets(BUCKETS)
            // A route pattern (`/files/{tail}`), never the raw path: scanners
            // probing random URLs must not create one time series each.
            .mask_unmatched_patterns("UNMATCHED")
            .metrics_configuration(
                ActixMetricsConfiguration::default()
                    .labels(LabelsConfiguration::default().endpoint("route")),
            )
            .build()
            .map_err(|e| MetricsError(e.to_string()))?;
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
        registry.register(Box::new(relayed.clone()))?;
        registry.register(Box::new(validation_failures.clone()))?;
        Ok(Self {
            http,
            relayed,
            validation_failures,
        })
    }

    /// The middleware that counts requests and serves [`ENDPOINT`].
    pub fn middleware(&self) -> PrometheusMetrics {
        self.http.clone()
    }

    /// A command was sent on to IGV (`goto`, `load`).
    pub fn relayed(&self, command: &str) {
        self.relayed.with_label_values(&[command]).inc();
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
