//! Security headers decided once from configuration: the pages' CSP, the
//! embed page's `frame-ancestors`, and which origins may call the API.

use actix_web::http::header::HeaderValue;

use url::Url;

use crate::configuration::{Settings, normalize_origin};
use igv_relay_core::genomes::GenomeRegistry;

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

/// The policy of link pages with the igv.js panel: as [`page_policy`], with
/// `connect-src` widened to where igv.js reads genomes and files from.
macro_rules! viewer_policy {
    () => {
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         form-action 'self'; base-uri 'none'"
    };
}

/// The CSP of every HTML page but `/embed`, when no configuration is at hand.
pub const PAGE_CSP: &str = concat!(page_policy!(), "; frame-ancestors 'none'");

/// Headers decided once from configuration.
#[derive(Clone, Debug)]
pub struct WebPolicy {
    /// `Content-Security-Policy` of `/embed` (frame-ancestors from `embed.allowed_origins`).
    embed_csp: HeaderValue,
    cors: CorsOrigins,
    /// The CSP of every other page: igv.js on link pages reads genome data
    /// from the service, its public origin, `viewer.connect_origins`, the
    /// origins of the genomes' `igvjs` URLs, and Galaxy's datasets.
    page_csp: HeaderValue,
    /// The same for pages under `/galaxy/`, which Galaxy may frame.
    galaxy_csp: Option<HeaderValue>,
    /// Who may read `/raw` from a script (igv.js elsewhere, IGV-Web).
    raw_cors: CorsOrigins,
}

#[derive(Clone, Debug)]
enum CorsOrigins {
    Any,
    List(Vec<String>),
}

impl WebPolicy {
    /// `Settings::load` has already checked every origin.
    pub fn from_settings(
        settings: &Settings,
        public_url: &Url,
        genomes: &GenomeRegistry,
    ) -> Result<Self, String> {
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
        let mut connect = vec![
            "'self'".to_owned(),
            public_url.origin().ascii_serialization(),
        ];
        for origin in &settings.viewer.connect_origins {
            connect.push(normalize_origin(origin).map_err(|e| e.to_string())?);
        }
        connect.extend(genomes.all_igvjs().flat_map(|g| g.origins()));
        // Galaxy link pages show Galaxy's dataset URLs in the panel.
        if let Some(galaxy) = settings.galaxy_url().map_err(|e| e.to_string())? {
            connect.push(galaxy.origin().ascii_serialization());
        }
        let mut seen = std::collections::HashSet::new();
        connect.retain(|o| seen.insert(o.clone()));
        let connect = connect.join(" ");
        let csp = |ancestors: &str| {
            HeaderValue::from_str(&format!(
                "{}; connect-src {connect}; frame-ancestors {ancestors}",
                viewer_policy!()
            ))
            .map_err(|e| e.to_string())
        };
        let page_csp = csp("'none'")?;
        let galaxy_csp = settings
            .galaxy_url()
            .map_err(|e| e.to_string())?
            .map(|g| csp(&g.origin().ascii_serialization()))
            .transpose()?;
        let mut raw = Vec::new();
        let mut raw_any = false;
        for origin in &settings.viewer.cors_origins {
            if origin == "*" {
                raw_any = true;
            } else {
                raw.push(normalize_origin(origin).map_err(|e| e.to_string())?);
            }
        }
        raw.push(
            settings
                .viewer
                .igv_web_url()
                .map_err(|e| e.to_string())?
                .origin()
                .ascii_serialization(),
        );
        let raw_cors = if raw_any {
            CorsOrigins::Any
        } else {
            CorsOrigins::List(raw)
        };
        Ok(Self {
            embed_csp,
            cors,
            page_csp,
            galaxy_csp,
            raw_cors,
        })
    }

    /// The CSP of an HTML page at `path` (not `/embed`, which sets its own).
    pub fn page_csp(&self, path: &str) -> HeaderValue {
        match &self.galaxy_csp {
            Some(csp) if path.starts_with("/galaxy/") => csp.clone(),
            _ => self.page_csp.clone(),
        }
    }

    /// Whether a page at `path` may be framed (by the Galaxy server).
    pub fn framable(&self, path: &str) -> bool {
        self.galaxy_csp.is_some() && path.starts_with("/galaxy/")
    }

    /// Whether scripts of `origin` may read `/raw`.
    pub fn raw_cors_allows(&self, origin: &str) -> bool {
        match &self.raw_cors {
            CorsOrigins::Any => true,
            CorsOrigins::List(list) => list.iter().any(|o| o == origin),
        }
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
