//! Liveness and readiness for container orchestration.

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::startup::AppState;

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
