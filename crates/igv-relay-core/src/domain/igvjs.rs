//! A genome as igv.js loads it (the "View here" panel, IGV-Web links): a
//! hosted genome id, or a lab's own FASTA with its index. Checked when the
//! configuration is read, so a page never hands igv.js a URL it cannot use.

use url::Url;

/// Where a genome's igv.js data comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IgvJsGenome {
    /// An id of igv.js's hosted genome list (`hg38`, `mm10`).
    Hosted(String),
    /// FASTA, `.fai` and optional cytoband, each an absolute URL or a path
    /// relative to the service's public URL (resolved by [`IgvJsGenome::resolve`]).
    Fasta {
        fasta: String,
        index: String,
        cytoband: Option<String>,
    },
}

/// The same genome with every URL absolute (boxed: a `Url` is large, and
/// most genomes are hosted ids).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResolvedIgvJsGenome {
    Hosted(String),
    Fasta {
        fasta: Box<Url>,
        index: Box<Url>,
        cytoband: Option<Box<Url>>,
    },
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum IgvJsGenomeError {
    #[error("give either `id` (a hosted igv.js genome) or `fasta` and `index`, not both")]
    Both,
    #[error("give `id` (a hosted igv.js genome) or `fasta` and `index` URLs")]
    Neither,
    #[error("`fasta` needs its `index` (.fai) URL")]
    NoIndex,
    #[error("{0:?} is not a hosted genome id (letters, digits, `_`, `.`, `-`)")]
    BadId(String),
    #[error("{0:?}: {1}")]
    BadUrl(String, String),
}

impl IgvJsGenome {
    pub fn parse(
        id: Option<&str>,
        fasta: Option<&str>,
        index: Option<&str>,
        cytoband: Option<&str>,
    ) -> Result<Self, IgvJsGenomeError> {
        fn blank(v: Option<&str>) -> Option<&str> {
            v.map(str::trim).filter(|v| !v.is_empty())
        }
        match (blank(id), blank(fasta)) {
            (Some(_), Some(_)) => Err(IgvJsGenomeError::Both),
            (None, None) => Err(IgvJsGenomeError::Neither),
            (Some(id), None) => {
                let ok = id.len() <= 64
                    && id
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
                if ok {
                    Ok(Self::Hosted(id.to_owned()))
                } else {
                    Err(IgvJsGenomeError::BadId(id.to_owned()))
                }
            }
            (None, Some(fasta)) => {
                let index = blank(index).ok_or(IgvJsGenomeError::NoIndex)?;
                let cytoband = blank(cytoband);
                for url in [Some(fasta), Some(index), cytoband].into_iter().flatten() {
                    check_url(url)?;
                }
                Ok(Self::Fasta {
                    fasta: fasta.to_owned(),
                    index: index.to_owned(),
                    cytoband: cytoband.map(str::to_owned),
                })
            }
        }
    }

    /// Every URL made absolute against the service's public URL.
    pub fn resolve(&self, base: &Url) -> ResolvedIgvJsGenome {
        match self {
            Self::Hosted(id) => ResolvedIgvJsGenome::Hosted(id.clone()),
            Self::Fasta {
                fasta,
                index,
                cytoband,
            } => ResolvedIgvJsGenome::Fasta {
                fasta: Box::new(join(base, fasta)),
                index: Box::new(join(base, index)),
                cytoband: cytoband.as_deref().map(|c| Box::new(join(base, c))),
            },
        }
    }

    /// The origins of the absolute URLs (relative ones are the service's own).
    pub fn origins(&self) -> Vec<String> {
        match self {
            Self::Hosted(_) => Vec::new(),
            Self::Fasta {
                fasta,
                index,
                cytoband,
            } => [Some(fasta), Some(index), cytoband.as_ref()]
                .into_iter()
                .flatten()
                .filter_map(|u| Url::parse(u).ok())
                .map(|u| u.origin().ascii_serialization())
                .collect(),
        }
    }
}

/// An absolute http(s) URL, or a relative path (no scheme, not `//host`).
fn check_url(text: &str) -> Result<(), IgvJsGenomeError> {
    let bad = |why: &str| IgvJsGenomeError::BadUrl(text.to_owned(), why.to_owned());
    match Url::parse(text) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host_str().is_some() => Ok(()),
        Ok(_) => Err(bad(
            "expected an http(s) URL or a path relative to the service",
        )),
        Err(url::ParseError::RelativeUrlWithoutBase) => {
            if text.starts_with("//") || text.contains(char::is_whitespace) {
                Err(bad("a relative URL is a path, without `//` or spaces"))
            } else {
                Ok(())
            }
        }
        Err(e) => Err(bad(&e.to_string())),
    }
}

fn join(base: &Url, text: &str) -> Url {
    // Checked by `check_url`: absolute, or a path that joins.
    Url::parse(text)
        .or_else(|_| base.join(text.trim_start_matches('/')))
        .unwrap_or_else(|_| base.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosted_ids_and_fasta_urls_parse_and_resolve() {
        assert_eq!(
            IgvJsGenome::parse(Some("hg38"), None, None, None),
            Ok(IgvJsGenome::Hosted("hg38".into()))
        );
        let g = IgvJsGenome::parse(
            None,
            Some("raw/g/tiny.fa"),
            Some("/raw/g/tiny.fa.fai"),
            None,
        )
        .unwrap();
        let base = Url::parse("https://lab.org/igv/").unwrap();
        assert_eq!(
            g.resolve(&base),
            ResolvedIgvJsGenome::Fasta {
                fasta: Box::new(Url::parse("https://lab.org/igv/raw/g/tiny.fa").unwrap()),
                index: Box::new(Url::parse("https://lab.org/igv/raw/g/tiny.fa.fai").unwrap()),
                cytoband: None,
            }
        );
        assert!(g.origins().is_empty());
        let remote = IgvJsGenome::parse(
            None,
            Some("https://ref.lab.org/a.fa"),
            Some("https://ref.lab.org/a.fa.fai"),
            Some("https://bands.lab.org/c.txt"),
        )
        .unwrap();
        assert_eq!(
            remote.origins(),
            [
                "https://ref.lab.org",
                "https://ref.lab.org",
                "https://bands.lab.org"
            ]
        );
    }

    #[test]
    fn incomplete_or_odd_definitions_are_refused() {
        assert_eq!(
            IgvJsGenome::parse(Some("hg38"), Some("a.fa"), Some("a.fa.fai"), None),
            Err(IgvJsGenomeError::Both)
        );
        assert_eq!(
            IgvJsGenome::parse(None, None, None, None),
            Err(IgvJsGenomeError::Neither)
        );
        assert_eq!(
            IgvJsGenome::parse(None, Some("a.fa"), None, None),
            Err(IgvJsGenomeError::NoIndex)
        );
        assert!(IgvJsGenome::parse(Some("hg38\"><script>"), None, None, None).is_err());
        assert!(IgvJsGenome::parse(None, Some("ftp://x/a.fa"), Some("a.fai"), None).is_err());
        assert!(IgvJsGenome::parse(None, Some("//evil.org/a.fa"), Some("a.fai"), None).is_err());
    }
}
