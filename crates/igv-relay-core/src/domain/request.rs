//! A relay request as a pure function of its query string: parameters parsed
//! the strict way, then the one IGV command they ask for.
//!
//! Kept free of HTTP so it can be fuzzed (fuzz/fuzz_targets/relay_query.rs)
//! together with the URL it renders: whatever the query, the command either
//! fails with a [`RequestError`] or renders to a URL IGV parses back to it.

use std::collections::HashSet;

use smallvec::SmallVec;

use super::genome::{Genome, GenomeError};
use super::igv::{
    AllowedHosts, FileUrl, IgvCommand, IgvPort, LoadCommand, TrackFile, TrackFormat, TrackName,
};
use super::loci::{Loci, LociRules};
use super::view::{BasePosition, ColorBy, DisplayMode, GroupBy, SortBy, ViewCommand, ViewError};

/// Longest query string accepted; anything longer is not a real IGV link.
pub const MAX_QUERY_BYTES: usize = 16 * 1024;

/// Most files one `/load` may name.
pub const MAX_FILES: usize = 10;

/// Longest echo of a refused query in an error; the rest is not worth showing.
const QUERY_ECHO_BYTES: usize = 64;

/// Why a request was refused, naming the parameter.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    #[error("{param}: {reason}")]
    Invalid {
        param: &'static str,
        value: String,
        reason: String,
    },
    #[error("the parameter {0} is required")]
    Missing(&'static str),
    #[error("the parameter {0} was given more than once")]
    Duplicate(String),
}

impl RequestError {
    pub fn invalid(param: &'static str, value: &str, reason: impl ToString) -> Self {
        Self::Invalid {
            param,
            value: value.to_owned(),
            reason: reason.to_string(),
        }
    }
}

/// Query parameters, each at most once: IGV would silently take the last of
/// two while a reader of the link might trust the first.
#[derive(Debug, Default, Clone)]
pub struct Query {
    /// Every name and value, decoded, one after the other: one allocation
    /// for the whole query, not two per parameter (issue 28: 1.7k of the
    /// relay's instructions per request went to parsing its query).
    text: String,
    /// Each parameter's name (`start..middle` of `text`) and value
    /// (`middle..end`), in the order given. A list, not a map: real links
    /// have a handful of parameters, and hashing them cost more than the
    /// relay's own checks.
    pairs: SmallVec<[(usize, usize, usize); 4]>,
}

impl Query {
    pub fn parse(query: &str) -> Result<Self, RequestError> {
        Self::parse_limited(query, MAX_QUERY_BYTES)
    }

    /// A form body (`application/x-www-form-urlencoded`), which may be longer
    /// than a query string: at most `limit` bytes.
    pub fn parse_form(body: &str, limit: usize) -> Result<Self, RequestError> {
        Self::parse_limited(body, limit)
    }

    fn parse_limited(query: &str, limit: usize) -> Result<Self, RequestError> {
        if query.len() > limit {
            let mut cut = QUERY_ECHO_BYTES.min(query.len());
            while !query.is_char_boundary(cut) {
                cut -= 1;
            }
            return Err(RequestError::invalid(
                "query",
                &query[..cut],
                format!("the query string is longer than {limit} bytes"),
            ));
        }
        // Decoded as `application/x-www-form-urlencoded` (what
        // `url::form_urlencoded::parse` does, checked against it in the
        // tests): split on `&`, skip empty parts, name and value split at the
        // first `=`, `+` is a space, `%XX` a byte, then UTF-8 (lossy).
        // Malformed escapes such as `%zz` stay literal text; the domain
        // parsers then refuse the `%`, so IGV never sees one.
        let mut parsed = Self {
            text: String::with_capacity(query.len()),
            pairs: SmallVec::new(),
        };
        let mut scratch = Vec::new();
        // One pass over the bytes finds each part's end, its first `=` and
        // whether anything in it is escaped.
        let bytes = query.as_bytes();
        let mut part = 0;
        while part < bytes.len() {
            let (mut end, mut equals, mut escaped) = (part, None, false);
            while end < bytes.len() && bytes[end] != b'&' {
                match bytes[end] {
                    b'=' if equals.is_none() => equals = Some(end),
                    b'%' | b'+' => escaped = true,
                    _ => {}
                }
                end += 1;
            }
            if end > part {
                // Split at ASCII bytes, so at character boundaries.
                let (name, value) = match equals {
                    Some(equals) => (&query[part..equals], &query[equals + 1..end]),
                    None => (&query[part..end], ""),
                };
                let start = parsed.text.len();
                let middle = start + name.len();
                if escaped {
                    decode_form_value(name, &mut parsed.text, &mut scratch);
                    let middle = parsed.text.len();
                    decode_form_value(value, &mut parsed.text, &mut scratch);
                    parsed.pairs.push((start, middle, parsed.text.len()));
                } else {
                    parsed.text.push_str(name);
                    parsed.text.push_str(value);
                    parsed.pairs.push((start, middle, parsed.text.len()));
                }
            }
            part = end + 1;
        }
        // Pairwise for the usual few; a set for long (hostile) queries.
        let duplicate = if parsed.pairs.len() <= 16 {
            parsed
                .names()
                .enumerate()
                .find(|(i, name)| parsed.names().take(*i).any(|seen| seen == *name))
                .map(|(_, name)| name)
        } else {
            let mut seen = HashSet::with_capacity(parsed.pairs.len());
            parsed.names().find(|name| !seen.insert(*name))
        };
        if let Some(name) = duplicate {
            return Err(RequestError::Duplicate(name.to_owned()));
        }
        Ok(parsed)
    }

    fn names(&self) -> impl Iterator<Item = &str> {
        self.pairs().map(|(name, _)| name)
    }

    /// Every parameter, in the order given.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs
            .iter()
            .map(|&(start, middle, end)| (&self.text[start..middle], &self.text[middle..end]))
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs()
            .find(|(name, _)| *name == key)
            .map(|(_, value)| value)
    }

    /// A parameter that is present and not blank.
    pub fn non_empty(&self, key: &str) -> Option<&str> {
        self.get(key).filter(|v| !v.trim().is_empty())
    }

    pub fn required(&self, key: &'static str) -> Result<&str, RequestError> {
        self.get(key).ok_or(RequestError::Missing(key))
    }

    /// `1`, `true`, `yes`, `on` → true; `0`, `false`, `no`, `off`, empty → false.
    pub fn flag(&self, key: &'static str) -> Result<Option<bool>, RequestError> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        match v.trim().to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => Ok(Some(true)),
            "" | "0" | "false" | "no" | "off" => Ok(Some(false)),
            _ => Err(RequestError::invalid(key, v, "expected true or false")),
        }
    }

    pub fn number(&self, key: &'static str) -> Result<Option<u64>, RequestError> {
        match self.non_empty(key) {
            None => Ok(None),
            Some(v) => v
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| RequestError::invalid(key, v, "expected a whole number")),
        }
    }
}

/// Appends the form-decoded `raw` to `out`; `scratch` holds the bytes of an
/// escaped value until they are known to be UTF-8.
fn decode_form_value(raw: &str, out: &mut String, scratch: &mut Vec<u8>) {
    if !raw.bytes().any(|b| b == b'%' || b == b'+') {
        out.push_str(raw);
        return;
    }
    scratch.clear();
    let bytes = raw.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let byte = match bytes[i] {
            b'+' => b' ',
            b'%' => match (
                bytes.get(i + 1).and_then(|&h| char::from(h).to_digit(16)),
                bytes.get(i + 2).and_then(|&l| char::from(l).to_digit(16)),
            ) {
                (Some(high), Some(low)) => {
                    i += 2;
                    (high * 16 + low) as u8
                }
                _ => b'%',
            },
            other => other,
        };
        scratch.push(byte);
        i += 1;
    }
    out.push_str(&String::from_utf8_lossy(scratch));
}

/// Where genome ids in requests are looked up (the service's registry, or a
/// fixed set in tests and fuzz targets).
pub trait Genomes {
    fn genome(&self, id: &str) -> Result<&Genome, GenomeError>;
}

/// What a relay request is checked against; all of it comes from configuration.
pub struct RelayRules<'a> {
    pub loci: LociRules,
    pub allowed_hosts: &'a AllowedHosts,
    pub genomes: &'a dyn Genomes,
}

/// The `port` parameter: the user's IGV port, if the link names one.
pub fn port(query: &Query) -> Result<Option<IgvPort>, RequestError> {
    query
        .get("port")
        .map(|p| IgvPort::parse(p).map_err(|e| RequestError::invalid("port", p, e)))
        .transpose()
}

fn genome<'a>(query: &Query, rules: &RelayRules<'a>) -> Result<Option<&'a Genome>, RequestError> {
    match query.non_empty("genome") {
        None => Ok(None),
        Some(id) => rules
            .genomes
            .genome(id)
            .map(Some)
            .map_err(|e| RequestError::invalid("genome", id, e)),
    }
}

fn loci(
    query: &Query,
    rules: &RelayRules<'_>,
    genome: Option<&Genome>,
) -> Result<Option<Loci>, RequestError> {
    let Some(text) = query.get("locus") else {
        return Ok(None);
    };
    Loci::parse(text, rules.loci, genome)
        .map(Some)
        .map_err(|e| RequestError::invalid("locus", text, e))
}

/// `/igv/goto?locus=…[&genome=…]`. With a genome the jump carries it, so
/// IGV cannot show these coordinates on another assembly.
pub fn parse_goto(query: &Query, rules: &RelayRules<'_>) -> Result<IgvCommand, RequestError> {
    let genome = genome(query, rules)?;
    let loci = loci(query, rules, genome)?.ok_or(RequestError::Missing("locus"))?;
    Ok(IgvCommand::jump(loci, genome))
}

/// `/igv/check`: takes nothing but the port, and always sends the same.
pub fn parse_check(_query: &Query, _rules: &RelayRules<'_>) -> Result<IgvCommand, RequestError> {
    Ok(IgvCommand::Check)
}

/// `/igv/view?command=…[&by=…][&tag=…][&locus=chr:pos][&on=…][&genome=…]`:
/// one of the safe view commands ([`ViewCommand`]), or an error naming the
/// allowed values.
pub fn parse_view(query: &Query, rules: &RelayRules<'_>) -> Result<IgvCommand, RequestError> {
    let command = query.required("command")?;
    let by = || query.required("by");
    let tag = query.get("tag");
    // A tag belongs to `by=tag` only: anything else would be silently ignored.
    let no_tag_unless = |by: &str| match tag {
        Some(t) if by != "tag" => Err(RequestError::invalid(
            "tag",
            t,
            "a tag is only used with by=tag",
        )),
        _ => Ok(()),
    };
    let view = match command {
        "sort" => {
            let by = by()?;
            no_tag_unless(by)?;
            let by = SortBy::parse(by, tag).map_err(RequestError::from)?;
            let genome = genome(query, rules)?;
            let loci = loci(query, rules, genome)?.ok_or(RequestError::Missing("locus"))?;
            let text = query.get("locus").unwrap_or_default();
            let [locus] = loci.as_slice() else {
                return Err(RequestError::invalid(
                    "locus",
                    text,
                    "sort takes one position (chr:pos)",
                ));
            };
            let at = BasePosition::from_locus(locus)
                .map_err(|reason| RequestError::invalid("locus", text, reason))?;
            ViewCommand::Sort { by, at }
        }
        "group" => {
            let by = by()?;
            no_tag_unless(by)?;
            ViewCommand::Group(GroupBy::parse(by, tag).map_err(RequestError::from)?)
        }
        "color" => {
            let by = by()?;
            no_tag_unless(by)?;
            ViewCommand::Color(ColorBy::parse(by, tag).map_err(RequestError::from)?)
        }
        "collapse" => ViewCommand::Display(DisplayMode::Collapsed),
        "expand" => ViewCommand::Display(DisplayMode::Expanded),
        "squish" => ViewCommand::Display(DisplayMode::Squished),
        "pairs" => ViewCommand::ViewAsPairs(query.flag("on")?.ok_or(RequestError::Missing("on"))?),
        other => {
            return Err(ViewError::unknown("command", other, ViewCommand::NAMES).into());
        }
    };
    Ok(IgvCommand::View(view))
}

fn not_allowed(value: &str, allowed: &[&str]) -> String {
    format!(
        "{value:?} is not allowed; allowed values: {}",
        allowed.join(", ")
    )
}

impl From<ViewError> for RequestError {
    fn from(e: ViewError) -> Self {
        match e {
            ViewError::Unknown {
                param,
                value,
                allowed,
            } => RequestError::Invalid {
                param,
                reason: not_allowed(&value, allowed),
                value,
            },
            ViewError::Invalid {
                param,
                value,
                reason,
            } => RequestError::Invalid {
                param,
                value,
                reason,
            },
            ViewError::Missing(param) => RequestError::Missing(param),
        }
    }
}

/// `/igv/load?file=…[&index=…][&genome=…][&locus=…][&name=…][&format=…][&merge=…]`.
pub fn parse_load(query: &Query, rules: &RelayRules<'_>) -> Result<IgvCommand, RequestError> {
    let genome = genome(query, rules)?;
    let files_text = query.required("file")?;
    let urls = split_list(files_text);
    if urls.is_empty() {
        return Err(RequestError::invalid(
            "file",
            files_text,
            "no file URL given",
        ));
    }
    if urls.len() > MAX_FILES {
        return Err(RequestError::invalid(
            "file",
            files_text,
            format!("at most {MAX_FILES} files at once"),
        ));
    }
    let indexes = match query.non_empty("index") {
        None => vec![None; urls.len()],
        Some(text) => {
            let list = split_list(text);
            if list.len() != urls.len() {
                return Err(RequestError::invalid(
                    "index",
                    text,
                    format!(
                        "{} index URLs for {} files; give one per file",
                        list.len(),
                        urls.len()
                    ),
                ));
            }
            list.into_iter().map(Some).collect()
        }
    };
    let mut files = Vec::with_capacity(urls.len());
    for (file, index) in urls.into_iter().zip(indexes) {
        let file = FileUrl::parse(file, rules.allowed_hosts)
            .map_err(|e| RequestError::invalid("file", file, e))?;
        let index = index
            .map(|i| {
                FileUrl::parse(i, rules.allowed_hosts)
                    .map_err(|e| RequestError::invalid("index", i, e))
            })
            .transpose()?;
        files.push(TrackFile { file, index });
    }
    let name = query
        .non_empty("name")
        .map(|n| TrackName::parse(n).map_err(|e| RequestError::invalid("name", n, e)))
        .transpose()?;
    let format = query
        .non_empty("format")
        .map(|f| TrackFormat::parse(f).map_err(|e| RequestError::invalid("format", f, e)))
        .transpose()?;
    let merge = query.flag("merge")?;
    let locus = loci(query, rules, genome)?;
    let sort = match query.non_empty("sort") {
        None => None,
        Some(by) => {
            if locus.is_none() {
                return Err(RequestError::invalid(
                    "sort",
                    by,
                    "sorting needs a locus to sort at (locus=chr:pos)",
                ));
            }
            Some(
                SortBy::parse(by, query.get("sortTag")).map_err(|e| match e {
                    ViewError::Missing(_) => RequestError::Missing("sortTag"),
                    ViewError::Invalid { value, reason, .. } => RequestError::Invalid {
                        param: "sortTag",
                        value,
                        reason,
                    },
                    ViewError::Unknown { value, allowed, .. } => RequestError::Invalid {
                        param: "sort",
                        reason: not_allowed(&value, allowed),
                        value,
                    },
                })?,
            )
        }
    };
    Ok(IgvCommand::Load(LoadCommand {
        files,
        genome: genome.map(IgvCommand::load_genome),
        locus,
        name,
        format,
        merge,
        sort,
    }))
}

/// Several URLs are separated by spaces or newlines in the relay's own
/// parameter (commas are legal inside URLs, so they do not separate here).
fn split_list(text: &str) -> Vec<&str> {
    text.split_whitespace().collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::domain::genome::GenomeId;

    struct One(Genome);

    impl Genomes for One {
        fn genome(&self, id: &str) -> Result<&Genome, GenomeError> {
            if id == self.0.id().as_str() {
                Ok(&self.0)
            } else {
                Err(GenomeError::Unknown {
                    id: id.to_owned(),
                    known: "tiny".into(),
                })
            }
        }
    }

    fn tiny() -> One {
        let sizes = Genome::parse_sizes("chr1\t5000\n").unwrap();
        One(Genome::new(
            GenomeId::parse("tiny").unwrap(),
            "tiny".into(),
            sizes,
            &BTreeMap::new(),
        )
        .unwrap())
    }

    proptest::proptest! {
        /// The same parameters, or the same duplicate, as the form decoder
        /// this parser replaced (issue 28).
        #[test]
        fn queries_decode_as_url_form_urlencoded_decodes_them(
            query in "([a-c=&+%0-9A-Fzé ]|%[0-9a-fA-F]{2}|%C3%A9|%FF){0,24}"
        ) {
            let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            let duplicate = pairs
                .iter()
                .enumerate()
                .find(|(i, (k, _))| pairs[..*i].iter().any(|(seen, _)| seen == k))
                .map(|(_, (k, _))| k.clone());
            match (Query::parse(&query), duplicate) {
                (Err(RequestError::Duplicate(name)), Some(expected)) => {
                    proptest::prop_assert_eq!(name, expected)
                }
                (Ok(parsed), None) => {
                    let got: Vec<(String, String)> = parsed
                        .pairs()
                        .map(|(k, v)| (k.to_owned(), v.to_owned()))
                        .collect();
                    proptest::prop_assert_eq!(got, pairs);
                }
                (other, expected) => {
                    proptest::prop_assert!(false, "{other:?} for {query:?}, expected {expected:?}")
                }
            }
        }
    }

    #[test]
    fn many_parameters_are_checked_for_duplicates_with_a_set() {
        let query: Vec<String> = (0..40).map(|i| format!("p{i}=v")).collect();
        let mut query = query.join("&");
        assert_eq!(Query::parse(&query).unwrap().pairs().count(), 40);
        query.push_str("&p7=again");
        assert_eq!(
            Query::parse(&query).unwrap_err(),
            RequestError::Duplicate("p7".into())
        );
    }

    #[test]
    fn a_long_query_is_refused_without_splitting_a_character() {
        let query = format!("locus={}", "é".repeat(MAX_QUERY_BYTES));
        let err = Query::parse(&query).unwrap_err();
        assert!(matches!(err, RequestError::Invalid { param: "query", .. }));
    }

    #[test]
    fn goto_resolves_against_the_named_genome() {
        let genomes = tiny();
        let hosts = AllowedHosts::default();
        let rules = RelayRules {
            loci: LociRules::default(),
            allowed_hosts: &hosts,
            genomes: &genomes,
        };
        let q = Query::parse("locus=1:10-99999&genome=tiny").unwrap();
        let IgvCommand::GotoOnGenome { loci, genome } = parse_goto(&q, &rules).unwrap() else {
            panic!("a goto on the genome")
        };
        assert_eq!(genome.igv, "tiny");
        assert_eq!(loci.to_string(), "chr1:10-5000");
        let q = Query::parse("locus=chr1&genome=nope").unwrap();
        assert!(matches!(
            parse_goto(&q, &rules),
            Err(RequestError::Invalid {
                param: "genome",
                ..
            })
        ));
    }
}
