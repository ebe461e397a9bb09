//! Link-outs (issue 24): per-row links to other sites, from URL templates a
//! lab configures (`links: {gnomAD: "https://…/variant/{CHR}-{POS}-{REF}-{ALT}"}`)
//! or, without any, a few defaults for human genomes whose public URL scheme
//! is stable (README, "Link-outs", says where each comes from).
//!
//! A template is parsed once, at start-up: only `http` and `https` (a
//! `javascript:` or `file:` template in a page is an attack, not a link),
//! every `{FIELD}` closed. A row's link exists only when the row has a value
//! for every field of the template, and each value is percent-encoded as a
//! URL component, so a `&`, `#`, space or quote in a cell can never change
//! which page, query or fragment the link names.

use std::fmt;

/// What a row offers a template: a field's value, or `None`.
pub trait RowFields {
    fn field(&self, name: &str) -> Option<&str>;
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Part {
    Text(String),
    Field(String),
}

/// One named link-out template, checked (see the module comment).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkTemplate {
    name: String,
    parts: Vec<Part>,
}

/// Why a template was refused, naming it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkTemplateError {
    pub name: String,
    pub reason: String,
}

impl fmt::Display for LinkTemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "links.{}: {}", self.name, self.reason)
    }
}

impl std::error::Error for LinkTemplateError {}

/// One row's link to another site.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkOut {
    pub name: String,
    pub url: String,
}

impl LinkTemplate {
    pub fn parse(name: &str, template: &str) -> Result<Self, LinkTemplateError> {
        let refuse = |reason: String| LinkTemplateError {
            name: name.to_owned(),
            reason,
        };
        if name.trim().is_empty() || name.len() > 40 {
            return Err(refuse("a link needs a name of 1 to 40 characters".into()));
        }
        let lower = template.trim_start().to_ascii_lowercase();
        if !(lower.starts_with("https://") || lower.starts_with("http://")) {
            return Err(refuse(format!(
                "{template:?} is not an http(s) URL template; only http:// and https:// links are allowed"
            )));
        }
        let mut parts = Vec::new();
        let mut rest = template.trim();
        while let Some(open) = rest.find('{') {
            if open > 0 {
                parts.push(Part::Text(rest[..open].to_owned()));
            }
            let after = &rest[open + 1..];
            let close = after
                .find('}')
                .ok_or_else(|| refuse(format!("{template:?} opens a {{ that it never closes")))?;
            let field = &after[..close];
            if field.is_empty()
                || !field
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-')
            {
                return Err(refuse(format!(
                    "{{{field}}} in {template:?} is not a field name (letters, digits, _ . -)"
                )));
            }
            parts.push(Part::Field(field.to_owned()));
            rest = &after[close + 1..];
        }
        if rest.contains('}') {
            return Err(refuse(format!("{template:?} closes a }} it never opened")));
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_owned()));
        }
        // The host must come from the template, never from a row.
        let host_part = match parts.first() {
            Some(Part::Text(text)) => text.split_once("://").map(|(_, h)| h).unwrap_or(""),
            _ => "",
        };
        if host_part.is_empty() || !host_part.contains('/') && parts.len() > 1 {
            return Err(refuse(format!(
                "{template:?} must name its host before any {{FIELD}} (https://host/...)"
            )));
        }
        Ok(Self {
            name: name.to_owned(),
            parts,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The fields the template names.
    pub fn fields(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Field(f) => Some(f.as_str()),
            Part::Text(_) => None,
        })
    }

    /// The row's link, when it has a value for every field.
    pub fn fill(&self, row: &dyn RowFields) -> Option<LinkOut> {
        let mut url = String::new();
        for part in &self.parts {
            match part {
                Part::Text(text) => url.push_str(text),
                Part::Field(field) => {
                    let value = row.field(field).map(str::trim).filter(|v| !is_missing(v))?;
                    percent_encode_into(value, &mut url);
                }
            }
        }
        Some(LinkOut {
            name: self.name.clone(),
            url,
        })
    }
}

/// Empty, or VCF's `.` for a missing value.
fn is_missing(value: &str) -> bool {
    value.is_empty() || value == "."
}

/// `value` as one URL component: everything but RFC 3986's unreserved
/// characters (`A-Z a-z 0-9 - . _ ~`) percent-encoded, byte by byte.
fn percent_encode_into(value: &str, out: &mut String) {
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
}

/// The link-outs of a service: the configured ones, or the defaults for
/// the page's genome.
#[derive(Clone, Debug, Default)]
pub struct LinkOuts {
    /// `None`: nothing configured, the defaults apply.
    configured: Option<Vec<LinkTemplate>>,
}

/// gnomAD's dataset per genome: v4 is GRCh38, v2.1 GRCh37.
const GNOMAD_DATASETS: [(&str, &str); 3] = [
    ("hg38", "gnomad_r4"),
    ("hg19", "gnomad_r2_1"),
    ("b37", "gnomad_r2_1"),
];

/// Human genomes, where dbSNP and ClinVar ids mean something.
const HUMAN: [&str; 4] = ["hg38", "hg19", "b37", "hs1"];

impl LinkOuts {
    /// The configured templates, checked; `None` keeps the defaults.
    pub fn new(configured: Option<&[(String, String)]>) -> Result<Self, LinkTemplateError> {
        let configured = configured
            .map(|list| {
                list.iter()
                    .map(|(name, template)| LinkTemplate::parse(name, template))
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?;
        Ok(Self { configured })
    }

    /// The templates for a page over `genome` (an id; empty: none).
    pub fn templates(&self, genome: &str) -> Vec<LinkTemplate> {
        if let Some(configured) = &self.configured {
            return configured.clone();
        }
        let mut out = Vec::new();
        if HUMAN.contains(&genome) {
            out.extend([
                LinkTemplate::parse("dbSNP", "https://www.ncbi.nlm.nih.gov/snp/{RSID}"),
                LinkTemplate::parse(
                    "ClinVar",
                    "https://www.ncbi.nlm.nih.gov/clinvar/?term={RSID}",
                ),
            ]);
        }
        if let Some((_, dataset)) = GNOMAD_DATASETS.iter().find(|(g, _)| *g == genome) {
            out.push(LinkTemplate::parse(
                "gnomAD",
                &format!(
                    "https://gnomad.broadinstitute.org/variant/{{CHR}}-{{POS}}-{{REF}}-{{SIMPLE_ALT}}?dataset={dataset}"
                ),
            ));
        }
        out.into_iter().filter_map(Result::ok).collect()
    }
}

/// The fields a page row offers templates: its columns by name, and a few
/// derived ones: `CHR` (the chromosome without `chr`), `RSID` (the first
/// dbSNP id among the row's IDs), `SIMPLE_ALT` (ALT when it is one allele of
/// plain bases, as gnomAD's variant ids need).
pub struct PageRowFields<'a> {
    pub columns: &'a [String],
    pub cells: &'a [String],
}

impl RowFields for PageRowFields<'_> {
    fn field(&self, name: &str) -> Option<&str> {
        let column = |wanted: &str| {
            self.columns
                .iter()
                .position(|c| c == wanted)
                .and_then(|i| self.cells.get(i))
                .map(String::as_str)
        };
        match name {
            "CHR" => {
                let chrom = column("CHROM")?;
                Some(chrom.strip_prefix("chr").unwrap_or(chrom))
            }
            "RSID" => column("ID")?.split([';', ',']).find(|id| {
                id.strip_prefix("rs")
                    .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            }),
            "SIMPLE_ALT" => column("ALT").filter(|alt| {
                !alt.is_empty()
                    && alt
                        .bytes()
                        .all(|b| matches!(b, b'A' | b'C' | b'G' | b'T' | b'N'))
            }),
            other => column(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Map(Vec<(&'static str, &'static str)>);

    impl RowFields for Map {
        fn field(&self, name: &str) -> Option<&str> {
            self.0.iter().find(|(k, _)| *k == name).map(|(_, v)| *v)
        }
    }

    #[test]
    fn only_http_and_https_templates_are_taken() {
        for bad in [
            "javascript:alert({ID})",
            "file:///etc/{ID}",
            "//evil.example/{ID}",
            "ftp://x/{ID}",
        ] {
            let e = LinkTemplate::parse("x", bad).unwrap_err();
            assert!(e.to_string().contains("links.x"), "{e}");
        }
        assert!(LinkTemplate::parse("x", "https://{HOST}/a").is_err());
        assert!(LinkTemplate::parse("x", "https://h/{ID").is_err());
        assert!(LinkTemplate::parse("x", "HTTPS://h/v/{ID}").is_ok());
    }

    #[test]
    fn every_value_is_percent_encoded_and_a_missing_one_drops_the_link() {
        let t = LinkTemplate::parse("lab", "https://lims.example/v?id={ID}&g={Gene}").unwrap();
        let row = Map(vec![("ID", "a&b#c d\"e'f/é"), ("Gene", "BRAF")]);
        assert_eq!(
            t.fill(&row).unwrap().url,
            "https://lims.example/v?id=a%26b%23c%20d%22e%27f%2F%C3%A9&g=BRAF"
        );
        assert!(t.fill(&Map(vec![("ID", "x"), ("Gene", ".")])).is_none());
        assert!(t.fill(&Map(vec![("ID", "x")])).is_none());
    }
}
