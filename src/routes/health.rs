//! Liveness and readiness for container orchestration, metrics for Prometheus.

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use crate::error::{AppError, Rejection};
use crate::state::AppState;

/// The process is alive and serving.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// Configuration and genomes are loaded (they are, once the state exists:
/// start-up fails rather than serving with a broken configuration), and every
/// data root is readable.
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let missing: Vec<&str> = state.roots.unreadable().collect();
    let body = json!({
        "status": if missing.is_empty() { "ready" } else { "degraded" },
        "genomes": state.genomes.ids(),
        "data_roots": state.roots.names().collect::<Vec<_>>(),
        "unreadable_data_roots": missing,
    });
    if missing.is_empty() {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

/// Every metric in Prometheus' text format.
pub async fn metrics(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Rejection> {
    let text = state
        .metrics
        .render()
        .map_err(|e| AppError::Internal(e.to_string()).for_request(&req))?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(text))
}
