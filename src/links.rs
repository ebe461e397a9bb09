//! URLs of the service itself, built from `server.public_url` so they work
//! behind a reverse proxy under a path prefix. Templates never build URLs.

use url::Url;

#[derive(Clone, Debug)]
pub struct ServiceUrls {
    base: Url,
}

impl ServiceUrls {
    /// `base` must end in `/` (see `Settings::public_url`).
    pub fn new(base: Url) -> Self {
        Self { base }
    }

    pub fn base(&self) -> &Url {
        &self.base
    }

    /// A path under the base, with query pairs.
    pub fn url(&self, path: &str, query: &[(&str, &str)]) -> Url {
        let mut url = self
            .base
            .join(path.trim_start_matches('/'))
            .unwrap_or_else(|_| self.base.clone());
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        url
    }

    /// The relay link that makes the user's IGV go to `locus`.
    pub fn goto(&self, locus: &str, genome: Option<&str>) -> Url {
        let mut query = vec![("locus", locus)];
        if let Some(g) = genome {
            query.push(("genome", g));
        }
        self.url("igv/goto", &query)
    }

    /// The relay link that makes the user's IGV load a file.
    pub fn load(&self, spec: &LoadLink<'_>) -> Url {
        let mut query = vec![("file", spec.file)];
        for (key, value) in [
            ("index", spec.index),
            ("genome", spec.genome),
            ("locus", spec.locus),
            ("name", spec.name),
            ("format", spec.format),
        ] {
            if let Some(v) = value {
                query.push((key, v));
            }
        }
        self.url("igv/load", &query)
    }

    pub fn settings(&self) -> Url {
        self.url("settings", &[])
    }
}

#[derive(Default)]
pub struct LoadLink<'a> {
    pub file: &'a str,
    pub index: Option<&'a str>,
    pub genome: Option<&'a str>,
    pub locus: Option<&'a str>,
    pub name: Option<&'a str>,
    pub format: Option<&'a str>,
}
