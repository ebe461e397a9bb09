//! What IGV 2.16 does with the relay's URL (shared/reference/igv-port.md
//! §2.1, §2.3), and the checks every rendered URL must pass.

use std::collections::BTreeMap;

use url::Url;

use crate::domain::genome::{Genome, GenomeError, GenomeId};
use crate::domain::igv::{AllowedHosts, IgvCommand, IgvPort, IgvTarget};
use crate::domain::loci::{Loci, LociRules};
use crate::domain::request::Genomes;

/// `java.net.URLDecoder.decode(v, "UTF-8")`: `+` is a space, `%XX` a byte, and
/// a malformed escape throws, which kills IGV's listener (§5).
pub fn java_url_decode(value: &str) -> Result<String, String> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| format!("malformed escape at byte {i} of {value:?}"))?;
                out.push(hex);
                i += 3;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|e| format!("not UTF-8 after decoding {value:?}: {e}"))
}

/// Every byte of the query is one IGV reads literally: RFC 3986 unreserved,
/// `:`, or a well-formed `%XX`; `&` and `=` only as separators.
pub fn assert_strict_query(query: &str) {
    assert!(!query.contains("&amp;"), "IGV rewrites &amp; to &: {query}");
    for pair in query.split('&') {
        let (key, value) = pair
            .split_once('=')
            .unwrap_or_else(|| panic!("a parameter without '=': {pair:?}"));
        assert!(
            [
                "locus", "file", "index", "genome", "name", "format", "merge"
            ]
            .contains(&key),
            "unexpected parameter {key:?} in {query}"
        );
        let b = value.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'%' {
                assert!(
                    b.len() > i + 2 && b[i + 1].is_ascii_hexdigit() && b[i + 2].is_ascii_hexdigit(),
                    "malformed % in {value:?}"
                );
                i += 3;
            } else {
                assert!(
                    b[i].is_ascii_alphanumeric() || b"-._~:".contains(&b[i]),
                    "{:?} is not safe for IGV in {value:?}",
                    b[i] as char
                );
                i += 1;
            }
        }
    }
}

/// IGV's parameters for `url`, decoded as IGV does: split on `&` and the
/// first `=`; `file` and `index` kept raw, split on `,` (or `%2C` when there
/// is no literal comma), each piece decoded; everything else decoded whole.
pub fn igv_parameters(url: &Url) -> Vec<(String, String)> {
    let query = url.query().unwrap_or_default();
    assert_strict_query(query);
    let mut out = Vec::new();
    for pair in query.split('&') {
        let (key, raw) = pair.split_once('=').unwrap_or((pair, ""));
        let value = if key == "file" || key == "index" {
            let pieces: Vec<&str> = if raw.contains(',') {
                raw.split(',').collect()
            } else {
                raw.split("%2C").collect()
            };
            let decoded: Result<Vec<String>, String> =
                pieces.into_iter().map(java_url_decode).collect();
            decoded
                .unwrap_or_else(|e| panic!("IGV would die on {key}: {e}"))
                .join(",")
        } else {
            java_url_decode(raw).unwrap_or_else(|e| panic!("IGV would die on {key}: {e}"))
        };
        out.push((key.to_owned(), value));
    }
    out
}

/// The rendered URL goes to loopback IGV and decodes to exactly the command's
/// parameters; a locus re-parses to the same loci.
pub fn check_rendered(
    command: &IgvCommand,
    target: &IgvTarget,
    rules: LociRules,
    genome: Option<&Genome>,
) {
    let text = command.to_url(target);
    let url = Url::parse(&text).unwrap_or_else(|e| panic!("not a URL: {text}: {e}"));
    // Built as text: a parser must not find anything to normalise in it.
    assert_eq!(url.as_str(), text);
    assert_eq!(url.scheme(), "http");
    assert!(url.host_str() == Some("127.0.0.1"), "not loopback: {url}");
    assert_eq!(url.port(), Some(target.port().get()));
    assert!(url.fragment().is_none() && url.username().is_empty());
    let (path, expected) = command.query_pairs();
    assert_eq!(url.path(), path);
    let got = igv_parameters(&url);
    let expected: Vec<(String, String)> = expected
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    assert_eq!(got, expected, "{url}");
    if let IgvCommand::Load(load) = command {
        let files = got
            .iter()
            .find(|(k, _)| k == "file")
            .map(|(_, v)| v.as_str());
        let count = files.map_or(0, |f| f.split(',').count());
        assert_eq!(
            count,
            load.files.len(),
            "IGV would see another number of files: {url}"
        );
    }
    let loci = match command {
        IgvCommand::Goto { loci } => Some(loci),
        IgvCommand::Load(load) => load.locus.as_ref(),
    };
    if let Some(loci) = loci {
        let sent = got
            .iter()
            .find(|(k, _)| k == "locus")
            .map(|(_, v)| v.as_str());
        let sent = sent.unwrap_or_else(|| panic!("no locus in {url}"));
        let again = Loci::parse(sent, rules, genome)
            .unwrap_or_else(|e| panic!("{sent:?} does not parse back: {e}"));
        assert_eq!(&again, loci, "{url}");
    }
}

/// A small genome with aliases, as configuration would give.
pub fn tiny_genome() -> Genome {
    let sizes =
        Genome::parse_sizes("chr1\t50000\nchr2\t20000\nchrX\t3000\nchrM\t16569\n").expect("sizes");
    let aliases = BTreeMap::from([("one".to_owned(), "chr1".to_owned())]);
    Genome::new(
        GenomeId::parse("tiny").expect("id"),
        "tiny".into(),
        sizes,
        &aliases,
    )
    .expect("genome")
}

pub struct OneGenome(pub Genome);

impl Genomes for OneGenome {
    fn genome(&self, id: &str) -> Result<&Genome, GenomeError> {
        GenomeId::parse(id)?;
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

pub fn allowed_hosts() -> AllowedHosts {
    AllowedHosts::new(["data.example".to_owned(), "files.example:8080".to_owned()])
        .with_url(&Url::parse("http://127.0.0.1:8080/").expect("url"))
}

pub fn target(port: Option<IgvPort>) -> IgvTarget {
    IgvTarget::new("127.0.0.1", port.unwrap_or(IgvPort::DEFAULT)).expect("loopback")
}
