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
                "locus", "file", "index", "genome", "name", "format", "merge", "sort", "sortTag",
                "command"
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
        IgvCommand::Goto { loci } | IgvCommand::GotoOnGenome { loci, .. } => Some(loci),
        IgvCommand::Load(load) => load.locus.as_ref(),
        IgvCommand::Check | IgvCommand::View(_) => None,
    };
    if let IgvCommand::View(_) | IgvCommand::Check = command {
        assert_view_shape(&url, target);
    }
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

/// The sort options, group and colour names IGV 2.16 to 3.0 accept without
/// throwing, written out here independently of `domain::view`
/// (igv-port-2.md §1.5; CommandExecutor `getAlignmentSortOption`,
/// `AlignmentTrack.GroupOption`, `AlignmentTrack.ColorOption`).
const SORT: &[&str] = &[
    "base",
    "strand",
    "quality",
    "sample",
    "readGroup",
    "insertSize",
];
const GROUP: &[&str] = &[
    "STRAND",
    "SAMPLE",
    "LIBRARY",
    "READ_GROUP",
    "FIRST_OF_PAIR_STRAND",
    "PAIR_ORIENTATION",
    "MATE_CHROMOSOME",
    "SUPPLEMENTARY",
    "MAPPING_QUALITY",
    "NONE",
];
const COLOR: &[&str] = &[
    "NONE",
    "READ_STRAND",
    "FIRST_OF_PAIR_STRAND",
    "PAIR_ORIENTATION",
    "INSERT_SIZE",
    "UNEXPECTED_PAIR",
    "SAMPLE",
    "READ_GROUP",
    "LIBRARY",
];

fn is_tag(t: &str) -> bool {
    let b = t.as_bytes();
    b.len() == 2 && b[0].is_ascii_alphabetic() && b[1].is_ascii_alphanumeric()
}

/// `CHR:POS`: a chromosome of `[A-Za-z0-9_.-]` not starting with `.` or
/// `-`, and a position 1..=2^31-1 without leading zeros or commas.
fn is_position(t: &str) -> bool {
    let Some((chr, pos)) = t.rsplit_once(':') else {
        return false;
    };
    let chr_ok = !chr.is_empty()
        && chr
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
        && (chr.as_bytes()[0].is_ascii_alphanumeric() || chr.as_bytes()[0] == b'_');
    let pos_ok = !pos.is_empty()
        && !pos.starts_with('0')
        && pos.bytes().all(|b| b.is_ascii_digit())
        && pos
            .parse::<u64>()
            .is_ok_and(|p| (1..=2_147_483_647).contains(&p));
    chr_ok && pos_ok
}

/// Whether `words` (the command split on `%20`) is one of the allowed shapes.
fn allowed_shape(words: &[&str]) -> bool {
    match words {
        ["echo", "IGV-is-listening"] => true,
        ["sort", "tag", tag, at] => is_tag(tag) && is_position(at),
        ["sort", option, at] => SORT.contains(option) && is_position(at),
        ["group", "TAG", tag] | ["colorBy", "TAG", tag] => is_tag(tag),
        ["group", option] => GROUP.contains(option),
        ["colorBy", option] => COLOR.contains(option),
        ["collapse"] | ["expand"] | ["squish"] => true,
        ["viewaspairs", "true" | "false"] => true,
        _ => false,
    }
}

/// An `/execute` URL is exactly `http://127.0.0.1:<port>/execute?command=`
/// followed by one allowed command shape, its words joined by `%20`, byte
/// for byte: no other parameter, no other escape, and IGV's two decodings
/// give the same words joined by single spaces.
pub fn assert_view_shape(url: &Url, target: &IgvTarget) {
    let prefix = format!("http://127.0.0.1:{}/execute?command=", target.port().get());
    let text = url.as_str();
    let value = text
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("not a lone /execute command: {text}"));
    let words: Vec<&str> = value.split("%20").collect();
    assert!(
        words.iter().all(|w| !w.is_empty()
            && w.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_.:-".contains(&b))),
        "a word with other bytes than [A-Za-z0-9_.:-]: {text}"
    );
    assert!(
        allowed_shape(&words),
        "not an allowed command shape: {text}"
    );
    let once = java_url_decode(value).unwrap_or_else(|e| panic!("{e}"));
    let twice = java_url_decode(&once).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        twice,
        words.join(" "),
        "IGV would run something else: {text}"
    );
}
