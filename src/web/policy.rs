//! Security headers decided once from configuration: the pages' CSP, the
//! embed page's `frame-ancestors`, and which origins may call the API.

use actix_web::http::header::HeaderValue;

use crate::configuration::{Settings, normalize_origin};

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

    pub fn cors_allows(&self, origin: &str) -> bool {
        match &self.cors {
            CorsOrigins::Any => true,
            CorsOrigins::List(list) => list.iter().any(|o| o == origin),
        }
    }
}
