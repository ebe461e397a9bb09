//! URLs of the service itself, built from `server.public_url` so they work
//! behind a reverse proxy under a path prefix. Templates never build URLs.

pub mod igv_web;

use url::Url;

use crate::domain::genome::Genome;
use crate::domain::igv::IgvPort;
use crate::domain::loci::Loci;
use crate::domain::view::{BasePosition, ViewCommand};

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

    /// The relay link of `loci`, as the start page, `/embed` and the API
    /// give it: through the landing page, like the rows of link pages, so a
    /// click shows what is sent and, when IGV is not listening, the help.
    pub fn goto_loci(&self, loci: &Loci, genome: Option<&Genome>) -> String {
        let mut url = self.goto(&loci.to_string(), genome.map(|g| g.id().as_str()));
        url.query_pairs_mut().append_pair("landing", "1");
        url.to_string()
    }

    /// The connection check (`/igv/check`), on `port` when given (else the
    /// user's cookie or the configured port).
    pub fn check(&self, port: Option<IgvPort>) -> Url {
        match port {
            Some(port) => self.url("igv/check", &[("port", &port.to_string())]),
            None => self.url("igv/check", &[]),
        }
    }

    /// The relay link of a view command (`/igv/view?command=…`), through the
    /// landing page.
    pub fn view(&self, command: &ViewCommand, genome: Option<&str>) -> Url {
        let query = command.relay_query();
        let mut pairs: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
        if let Some(g) = genome {
            pairs.push(("genome", g));
        }
        pairs.push(("landing", "1"));
        self.url("igv/view", &pairs)
    }

    /// "reads sorted here": load the reads (`reads.file`, with its index)
    /// once, go to `at` and sort the alignments by base there, in one IGV
    /// request: `/igv/load?file=…&index=…&locus=chr:pos&sort=base&landing=1`.
    /// IGV skips files it has loaded already, so a second row only jumps and
    /// sorts. For BAM/CRAM pages and VCF rows paired with a BAM; `reads.locus`
    /// is replaced by `at`.
    pub fn reads_sorted_here(&self, reads: &LoadLink<'_>, at: &BasePosition) -> Url {
        let at = at.to_string();
        let spec = LoadLink {
            locus: Some(&at),
            ..*reads
        };
        let mut url = self.load(&spec);
        url.query_pairs_mut()
            .append_pair("sort", "base")
            .append_pair("landing", "1");
        url
    }

    /// The relay link of each row of a page, an export or a rendered file
    /// (see [`RowLink`]).
    pub fn row_link(&self, genome: Option<&str>) -> RowLink {
        let mut rest = url::form_urlencoded::Serializer::new(String::new());
        if let Some(g) = genome {
            rest.append_pair("genome", g);
        }
        // Rows link to the landing page, which keeps saying what was sent
        // (links open in the named tab "igv-relay", and IGV's 204 would
        // leave it blank).
        rest.append_pair("landing", "1");
        RowLink {
            prefix: format!("{}?locus=", self.url("igv/goto", &[])),
            suffix: format!("&{}", rest.finish()),
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

#[derive(Clone, Copy, Default)]
pub struct LoadLink<'a> {
    pub file: &'a str,
    pub index: Option<&'a str>,
    pub genome: Option<&'a str>,
    pub locus: Option<&'a str>,
    pub name: Option<&'a str>,
    pub format: Option<&'a str>,
}

/// The relay link of result rows, `…/igv/goto?locus=L[&genome=G]&landing=1`:
/// made once per page, export or rendered file, so a row only adds its loci.
/// Rows are many, and building and parsing a URL per row was a seventh of an
/// export's time.
#[derive(Clone, Debug)]
pub struct RowLink {
    prefix: String,
    suffix: String,
}

impl RowLink {
    /// Appends the link for `locus` (the canonical text of validated loci).
    pub fn push_to(&self, out: &mut String, locus: &str) {
        self.push_encoded(out, url::form_urlencoded::byte_serialize(locus.as_bytes()));
    }

    /// Appends the link for loci the caller has already percent-encoded in a
    /// way that is safe in a query value, such as `domain::igv::encode_value`
    /// (exports have that encoding at hand for the IGV link, and a second
    /// encoding pass per row cost a tenth of their time).
    pub fn push_encoded<'a>(&self, out: &mut String, encoded: impl IntoIterator<Item = &'a str>) {
        out.push_str(&self.prefix);
        out.extend(encoded);
        out.push_str(&self.suffix);
    }

    /// The link for `locus`.
    pub fn to(&self, locus: &str) -> String {
        let mut link = String::with_capacity(self.prefix.len() + locus.len() + 32);
        self.push_to(&mut link, locus);
        link
    }
}

#[cfg(test)]
mod row_link_tests {
    use super::*;

    #[test]
    fn row_links_carry_the_same_loci_whichever_encoding_built_them() {
        let urls = ServiceUrls::new(Url::parse("https://lab.example/igv/").unwrap());
        let link = urls.row_link(Some("hg38"));
        let locus = "chr1:1-2 HLA-A*01:01";
        let plain = link.to(locus);
        let mut pre_encoded = String::new();
        link.push_encoded(&mut pre_encoded, crate::domain::igv::encode_value(locus));
        for text in [&plain, &pre_encoded] {
            assert!(
                text.starts_with("https://lab.example/igv/igv/goto?locus="),
                "{text}"
            );
            let url = Url::parse(text).unwrap();
            let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
            let expected = [("locus", locus), ("genome", "hg38"), ("landing", "1")];
            assert_eq!(
                pairs,
                expected.map(|(k, v)| (k.to_owned(), v.to_owned())),
                "{text}"
            );
        }
    }
}
