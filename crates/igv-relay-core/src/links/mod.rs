//! URLs of the service itself, built from `server.public_url` so they work
//! behind a reverse proxy under a path prefix. Templates never build URLs.

pub mod igv_web;
pub mod outs;

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
    /// give it: the instant one, the relay's 303 straight to IGV (issue 22).
    /// IGV answers 204, which keeps the page the user clicked on; no landing
    /// page waits in between.
    pub fn goto_loci(&self, loci: &Loci, genome: Option<&Genome>) -> String {
        self.goto(&loci.to_string(), genome.map(|g| g.id().as_str()))
            .to_string()
    }

    /// The same link to give people elsewhere (an e-mail, a wiki): through
    /// the landing page, which says what the link does and shows the help
    /// before anything reaches IGV (`/api/links`' `share_url`).
    pub fn share_loci(&self, loci: &Loci, genome: Option<&Genome>) -> String {
        Self::shareable(self.goto(&loci.to_string(), genome.map(|g| g.id().as_str()))).to_string()
    }

    /// `relay` (one of this service's relay links) through the landing page.
    pub fn shareable(mut relay: Url) -> Url {
        relay.query_pairs_mut().append_pair(LANDING, "1");
        relay
    }

    /// The connection check (`/igv/check`), on `port` when given (else the
    /// user's cookie or the configured port).
    pub fn check(&self, port: Option<IgvPort>) -> Url {
        match port {
            Some(port) => self.url("igv/check", &[("port", &port.to_string())]),
            None => self.url("igv/check", &[]),
        }
    }

    /// The relay link of a view command (`/igv/view?command=…`).
    pub fn view(&self, command: &ViewCommand, genome: Option<&str>) -> Url {
        let query = command.relay_query();
        let mut pairs: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
        if let Some(g) = genome {
            pairs.push(("genome", g));
        }
        self.url("igv/view", &pairs)
    }

    /// "reads sorted here": load the reads (`reads.file`, with its index)
    /// once, go to `at` and sort the alignments by base there, in one IGV
    /// request: `/igv/load?file=…&index=…&locus=chr:pos&sort=base`.
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
        url.query_pairs_mut().append_pair("sort", "base");
        url
    }

    /// The relay link of each row of a page, an export or a rendered file
    /// (see [`RowLink`]): `/igv/goto?locus=L[&genome=G]`, the instant link,
    /// opened in the page's own tab (IGV's 204 keeps the page).
    pub fn row_link(&self, genome: Option<&str>) -> RowLink {
        let mut rest = url::form_urlencoded::Serializer::new(String::new());
        if let Some(g) = genome {
            rest.append_pair("genome", g);
        }
        let rest = rest.finish();
        RowLink {
            prefix: format!("{}?locus=", self.url("igv/goto", &[])),
            suffix: if rest.is_empty() {
                rest
            } else {
                format!("&{rest}")
            },
        }
    }

    /// The relay link of rows whose click loads the page's file too
    /// ([`FirstClick`]): `/igv/load?file=F[&index=I][&genome=G]&locus=L[&name=N][&format=X]`,
    /// the same query [`Self::load`] writes. IGV skips a file it has loaded
    /// already and a genome it shows already (igv-port-2.md §1.4), so the
    /// first click of a page shows the record in its track and later clicks
    /// only move.
    pub fn row_load_link(&self, file: &LoadLink<'_>) -> RowLink {
        let mut before = url::form_urlencoded::Serializer::new(String::new());
        before.append_pair("file", file.file);
        for (key, value) in [("index", file.index), ("genome", file.genome)] {
            if let Some(v) = value {
                before.append_pair(key, v);
            }
        }
        let mut after = url::form_urlencoded::Serializer::new(String::new());
        for (key, value) in [("name", file.name), ("format", file.format)] {
            if let Some(v) = value {
                after.append_pair(key, v);
            }
        }
        let after = after.finish();
        RowLink {
            prefix: format!("{}?{}&locus=", self.url("igv/load", &[]), before.finish()),
            suffix: if after.is_empty() {
                after
            } else {
                format!("&{after}")
            },
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
        if let Some(merge) = spec.merge {
            query.push(("merge", if merge { "true" } else { "false" }));
        }
        self.url("igv/load", &query)
    }

    pub fn settings(&self) -> Url {
        self.url("settings", &[])
    }
}

/// The query parameter that turns a relay link into its landing page.
pub const LANDING: &str = "landing";

/// Whether a page's row links load the page's file with the jump (issue 22,
/// "the first click shows the data"), from `data.load_on_click` and
/// `data.load_on_click_max_bytes`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FirstClick {
    pub enabled: bool,
    /// Files without an index IGV reads whole; above this size their rows
    /// only jump (a click must not start a long download).
    pub max_unindexed_bytes: u64,
}

impl FirstClick {
    /// Whether a click may load a file that has an index (`indexed`), or
    /// else whose size is `size` (`None`: unknown, so not loaded).
    pub fn loads(&self, indexed: bool, size: Option<u64>) -> bool {
        self.enabled && (indexed || size.is_some_and(|s| s <= self.max_unindexed_bytes))
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
    /// `merge=`: `Some(true)` adds to the user's IGV session, `Some(false)`
    /// replaces it; `None` leaves IGV's default (which, for a session file,
    /// replaces).
    pub merge: Option<bool>,
}

/// The relay link of result rows, `…/igv/goto?locus=L[&genome=G]` (or its
/// loading form, [`ServiceUrls::row_load_link`]):
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
            let expected = [("locus", locus), ("genome", "hg38")];
            assert_eq!(
                pairs,
                expected.map(|(k, v)| (k.to_owned(), v.to_owned())),
                "{text}"
            );
        }
    }

    #[test]
    fn row_links_without_a_genome_end_with_the_locus() {
        let urls = ServiceUrls::new(Url::parse("https://lab.example/igv/").unwrap());
        assert_eq!(
            urls.row_link(None).to("chr1:1-2"),
            "https://lab.example/igv/igv/goto?locus=chr1%3A1-2"
        );
    }

    #[test]
    fn loading_row_links_are_the_load_query_with_the_rows_locus() {
        let urls = ServiceUrls::new(Url::parse("https://lab.example/igv/").unwrap());
        let file = LoadLink {
            file: "https://lab.example/igv/raw/run/a b.vcf.gz",
            index: Some("https://lab.example/igv/raw/run/a b.vcf.gz.tbi"),
            genome: Some("hg38"),
            locus: None,
            name: Some("a b.vcf.gz"),
            format: Some("vcf"),
            merge: None,
        };
        let row = urls.row_load_link(&file).to("chr7:140753336");
        let whole = urls.load(&LoadLink {
            locus: Some("chr7:140753336"),
            ..file
        });
        assert_eq!(row, whole.to_string());
        let bare = LoadLink {
            file: "https://lab.example/igv/raw/run/a.bed",
            ..LoadLink::default()
        };
        assert_eq!(
            urls.row_load_link(&bare).to("chr1:5-6"),
            urls.load(&LoadLink {
                locus: Some("chr1:5-6"),
                ..bare
            })
            .to_string()
        );
    }

    #[test]
    fn a_click_loads_indexed_files_and_small_ones_only_when_enabled() {
        let on = FirstClick {
            enabled: true,
            max_unindexed_bytes: 100,
        };
        assert!(on.loads(true, None));
        assert!(on.loads(false, Some(100)));
        assert!(!on.loads(false, Some(101)));
        assert!(!on.loads(false, None), "an unknown size is not small");
        let off = FirstClick {
            enabled: false,
            ..on
        };
        assert!(!off.loads(true, Some(1)));
    }
}
