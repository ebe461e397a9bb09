//! Liveness and readiness for container orchestration, metrics for Prometheus.

use actix_web::http::header;
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

/// Every metric in Prometheus' text format. Registered only where
/// `metrics.bind`/`metrics.token` put it (startup.rs); with a token, only
/// for `Authorization: Bearer TOKEN`.
pub async fn metrics(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Rejection> {
    if let Some(token) = state.settings.metrics.token.expose() {
        let sent = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        match sent {
            None => {
                return Err(AppError::Unauthorized(
                    "/metrics needs the header Authorization: Bearer <metrics.token>".into(),
                )
                .for_request(&req));
            }
            Some(sent) if !same_secret(sent.trim().as_bytes(), token.as_bytes()) => {
                return Err(AppError::Unauthorized(
                    "the bearer token is not the configured metrics.token".into(),
                )
                .for_request(&req));
            }
            Some(_) => {}
        }
    }
    let text = state
        .metrics
        .render()
        .map_err(|e| AppError::Internal(e.to_string()).for_request(&req))?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(text))
}

/// Compares in time that depends only on the lengths, so a client cannot
/// find the token byte by byte from response times.
fn same_secret(sent: &[u8], expected: &[u8]) -> bool {
    if sent.len() != expected.len() {
        return false;
    }
    sent.iter()
        .zip(expected)
        .fold(0u8, |diff, (a, b)| diff | (a ^ b))
        == 0
}

#[cfg(test)]
mod tests {
    use super::same_secret;

    #[test]
    fn secrets_match_only_when_equal() {
        assert!(same_secret(b"abc", b"abc"));
        assert!(!same_secret(b"abd", b"abc"));
        assert!(!same_secret(b"ab", b"abc"));
        assert!(!same_secret(b"", b"abc"));
    }
}
