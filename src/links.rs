//! URLs of the service itself, built from `server.public_url` so they work
//! behind a reverse proxy under a path prefix. Templates never build URLs.

use url::Url;

use crate::domain::igv::{IgvTarget, encode_value};
use crate::domain::loci::Loci;

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

    /// What every exported row's two links start with (see [`GotoLinks`]).
    pub fn goto_links(&self, igv: &IgvTarget, genome: Option<&str>) -> GotoLinks {
        let mut relay = self.url("igv/goto", &[]);
        {
            let mut query = relay.query_pairs_mut();
            if let Some(g) = genome {
                query.append_pair("genome", g);
            }
            // Opens the landing page, which says what was sent (IGV's 204
            // would leave the tab blank).
            query.append_pair("landing", "1");
        }
        GotoLinks {
            relay: format!("{relay}&locus="),
            igv: igv.goto_prefix(),
        }
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

/// The relay link and the direct IGV link of a row, as a prefix each that the
/// row's loci, printed and [`encode_value`]d, complete. Exports write a row
/// per record, and building and parsing two URLs per row was a seventh of
/// their time.
#[derive(Clone, Debug)]
pub struct GotoLinks {
    relay: String,
    igv: String,
}

impl GotoLinks {
    /// `…/igv/goto?[genome=G&]landing=1&locus=`
    pub fn relay_prefix(&self) -> &str {
        &self.relay
    }

    /// `http://127.0.0.1:60151/goto?locus=`
    pub fn igv_prefix(&self) -> &str {
        &self.igv
    }

    /// Both links of `loci` as strings.
    pub fn for_loci(&self, loci: &Loci) -> (String, String) {
        let encoded: String = encode_value(&loci.to_string()).collect();
        (
            format!("{}{encoded}", self.relay),
            format!("{}{encoded}", self.igv),
        )
    }
}
