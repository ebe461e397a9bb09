//! The commands the relay sends to IGV, and the URL each becomes: a jump
//! (`/goto`, or `/load` with the genome when the link names one), a file
//! load, the connection check, and the closed set of view commands
//! ([`super::view`]).
//!
//! IGV's HTTP parser (CommandListener.parseParameters, igv-port.md §2.1) is
//! unforgiving: keys are case-sensitive, a malformed `%` escape kills the
//! listener, `+` decodes to a space, and `/load` splits `file`, `index` and
//! `name` on commas. So every value is strictly percent-encoded here (only
//! RFC 3986 unreserved characters plus `:` stay literal) and commas never
//! reach IGV unencoded inside one value.

use std::fmt;
use std::net::IpAddr;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use url::Url;

use super::genome::Genome;
use super::loci::Loci;
use super::view::{SortBy, ViewCommand};

/// Everything but unreserved characters and `:` is escaped.
const IGV_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b':');

/// IGV's goto command up to its one parameter's value.
const GOTO_QUERY: &str = "/goto?locus=";

/// The connection check: one fixed, harmless request whose answer IGV shows
/// as a page (`/execute` answers `echo X` with `X`, 200 text/html). Not
/// `version`: Debian's IGV 2.16 answers it with `user`, and 2.17+'s
/// `/version` always says `3.0`; `/ping` is 2.17+ and answers 204, which
/// shows nothing.
pub const CHECK_ANSWER: &str = "IGV-is-listening";

pub const MAX_FILE_URL_BYTES: usize = 2048;
const MAX_TRACK_NAME_CHARS: usize = 200;

/// Where the user's IGV listens. The host comes only from configuration and
/// must be loopback: the relay never points a browser anywhere else.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IgvTarget {
    port: IgvPort,
    /// `http://host:port`, checked once: an export builds a URL per row and
    /// the relay one per request, so URLs are built by appending to it.
    base: String,
}

impl IgvTarget {
    pub fn new(host: &str, port: IgvPort) -> Result<Self, IgvError> {
        let loopback = host == "localhost"
            || host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        if !loopback {
            return Err(IgvError::HostNotLoopback(host.to_owned()));
        }
        // `::1` is accepted as written; a URL needs it in brackets.
        let url_host = if host.contains(':') && !host.starts_with('[') {
            format!("[{host}]")
        } else {
            host.to_owned()
        };
        let base = format!("http://{url_host}:{port}");
        Url::parse(&base).map_err(|_| IgvError::HostNotLoopback(host.to_owned()))?;
        Ok(Self { port, base })
    }

    pub fn with_port(&self, port: IgvPort) -> Self {
        // Only the port changes, and a port is digits: still a valid URL.
        let host_end = self.base.rfind(':').unwrap_or(self.base.len());
        let base = format!("{}:{port}", &self.base[..host_end]);
        Self { port, base }
    }

    pub fn port(&self) -> IgvPort {
        self.port
    }

    /// `http://host:port/goto?locus=`: a goto URL is this followed by the
    /// loci, printed and then [`encode_value`]d (as [`IgvCommand::to_url`]
    /// does). Exports build one per row from it.
    pub fn goto_prefix(&self) -> String {
        format!("{}{GOTO_QUERY}", self.base)
    }
}

/// A parameter value percent-encoded the way IGV must receive it: everything
/// but letters, digits and `-._~:` escaped, so no `+`, `%`, `&`, `,` or `;`
/// ever reaches IGV's own decoding.
pub fn encode_value(value: &str) -> impl std::fmt::Display + Iterator<Item = &str> + '_ {
    utf8_percent_encode(value, IGV_VALUE)
}

/// A `fmt::Write` that appends what is written to a `String`, encoded by
/// [`encode_value`].
struct PercentEncoded<'a>(&'a mut String);

impl fmt::Write for PercentEncoded<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        // A locus is printed in pieces (name, `:`, digits, `-`, digits), and
        // most pieces have nothing to escape: copied without the encoder's
        // iterator (a third of `to_url`'s 750 instructions).
        let unreserved =
            |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b':');
        if s.bytes().all(unreserved) {
            self.0.push_str(s);
        } else {
            self.0.extend(encode_value(s));
        }
        Ok(())
    }
}

/// A TCP port for IGV: unprivileged ports only, so a link can never aim the
/// browser at a system service (80, 22, …) on the user's machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IgvPort(u16);

impl IgvPort {
    pub const DEFAULT: IgvPort = IgvPort(60151);

    pub fn parse(text: &str) -> Result<Self, IgvError> {
        let value: u32 = text
            .trim()
            .parse()
            .map_err(|_| IgvError::Port(text.to_owned()))?;
        Self::new(value).ok_or_else(|| IgvError::Port(text.to_owned()))
    }

    pub fn new(value: u32) -> Option<Self> {
        (1024..=65535)
            .contains(&value)
            .then_some(Self(value as u16))
    }

    pub fn get(self) -> u16 {
        self.0
    }
}

impl fmt::Display for IgvPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Hosts IGV may be told to fetch files from.
#[derive(Clone, Debug, Default)]
pub struct AllowedHosts {
    /// `host` or `host:port`, lower-case.
    entries: Vec<String>,
}

impl AllowedHosts {
    pub fn new<I: IntoIterator<Item = String>>(entries: I) -> Self {
        Self {
            entries: entries
                .into_iter()
                .map(|e| e.to_ascii_lowercase())
                .collect(),
        }
    }

    /// Adds the host of a base URL (the service's own public URL).
    pub fn with_url(mut self, url: &Url) -> Self {
        if let Some(host) = url.host_str() {
            let port = url.port_or_known_default().unwrap_or(80);
            self.entries
                .push(format!("{}:{}", host.to_ascii_lowercase(), port));
        }
        self
    }

    fn allows(&self, url: &Url) -> bool {
        let Some(host) = url.host_str() else {
            return false;
        };
        let host = host.to_ascii_lowercase();
        let with_port = format!("{host}:{}", url.port_or_known_default().unwrap_or(0));
        self.entries.iter().any(|e| *e == host || *e == with_port)
    }

    pub fn describe(&self) -> String {
        if self.entries.is_empty() {
            "none".to_owned()
        } else {
            self.entries.join(", ")
        }
    }
}

/// A data file URL IGV may load: http(s), no credentials, an allowed host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileUrl(Url);

impl FileUrl {
    pub fn parse(text: &str, allowed: &AllowedHosts) -> Result<Self, IgvError> {
        if text.len() > MAX_FILE_URL_BYTES {
            return Err(IgvError::FileUrlTooLong(MAX_FILE_URL_BYTES));
        }
        if text.chars().any(char::is_control) {
            return Err(IgvError::FileUrl("it contains control characters".into()));
        }
        let url = Url::parse(text).map_err(|e| IgvError::FileUrl(format!("not a URL ({e})")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(IgvError::FileUrl(format!(
                "the scheme {:?} is not allowed; only http and https URLs can be loaded",
                url.scheme()
            )));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(IgvError::FileUrl(
                "URLs with a user name or password are not allowed".into(),
            ));
        }
        if url.fragment().is_some() {
            return Err(IgvError::FileUrl(
                "URLs with a #fragment are not allowed".into(),
            ));
        }
        if !allowed.allows(&url) {
            return Err(IgvError::HostNotAllowed {
                host: url.host_str().unwrap_or("").to_owned(),
                allowed: allowed.describe(),
            });
        }
        Ok(Self(url))
    }

    pub fn as_url(&self) -> &Url {
        &self.0
    }

    /// The URL as IGV must see it inside one list item: IGV splits `file` and
    /// `index` on commas (and treats quotes as grouping), so those are escaped
    /// at the URL level, where they mean the same to the file server.
    fn for_igv_list(&self) -> String {
        self.0
            .as_str()
            .replace(',', "%2C")
            .replace('\'', "%27")
            .replace('"', "%22")
    }
}

/// A track name: IGV splits names on commas, so commas become `;` as Galaxy does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrackName(String);

impl TrackName {
    pub fn parse(text: &str) -> Result<Self, IgvError> {
        if text.chars().any(char::is_control) {
            return Err(IgvError::TrackName("it contains control characters".into()));
        }
        // Invisible and direction-changing characters would make the landing
        // page's "Load … in IGV" say something else than what IGV shows.
        if text.chars().any(is_invisible) {
            return Err(IgvError::TrackName(
                "it contains invisible or text-direction characters".into(),
            ));
        }
        let name = text.trim();
        if name.is_empty() {
            return Err(IgvError::TrackName("it is empty".into()));
        }
        if name.chars().count() > MAX_TRACK_NAME_CHARS {
            return Err(IgvError::TrackName(format!(
                "it is longer than {MAX_TRACK_NAME_CHARS} characters"
            )));
        }
        Ok(Self(name.replace(',', ";")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Zero-width, bidirectional and other format characters (Unicode Cf and
/// the line/paragraph separators).
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}')
}

/// IGV's `format=` values the relay forwards.
pub const TRACK_FORMATS: &[&str] = &[
    "bam",
    "cram",
    "vcf",
    "bed",
    "bedgraph",
    "bigwig",
    "bw",
    "gff",
    "gff3",
    "gtf",
    "narrowpeak",
    "broadpeak",
    "bedpe",
    "seg",
    "wig",
    "tdf",
    "interval",
];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrackFormat(&'static str);

impl TrackFormat {
    pub fn parse(text: &str) -> Result<Self, IgvError> {
        let lower = text.trim().trim_start_matches('.').to_ascii_lowercase();
        TRACK_FORMATS
            .iter()
            .find(|f| **f == lower)
            .map(|f| Self(f))
            .ok_or_else(|| IgvError::Format(text.to_owned()))
    }

    pub fn as_str(&self) -> &'static str {
        self.0
    }
}

/// A file to load, with its index when it has one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrackFile {
    pub file: FileUrl,
    pub index: Option<FileUrl>,
}

/// A genome from the genome table: the relay's id (for people) and what
/// IGV's `genome=` gets (`igv_genome`). Only configured genomes exist, so an
/// id IGV cannot resolve (which opens a blocking dialog) is never sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GenomeRef {
    pub id: String,
    pub igv: String,
}

impl GenomeRef {
    pub fn of(genome: &Genome) -> Self {
        Self {
            id: genome.id().as_str().to_owned(),
            igv: genome.igv_genome().to_owned(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadCommand {
    pub files: Vec<TrackFile>,
    /// What IGV's `genome=` gets (checked against configured genomes).
    pub genome: Option<GenomeRef>,
    pub locus: Option<Loci>,
    pub name: Option<TrackName>,
    pub format: Option<TrackFormat>,
    /// `merge=ask` opens a dialog in IGV, so only true/false exist here.
    pub merge: Option<bool>,
    /// How IGV sorts alignments at the locus once loaded (`sort=`, with
    /// `sortTag=` for a tag): "reads sorted here".
    pub sort: Option<SortBy>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IgvCommand {
    Goto {
        loci: Loci,
    },
    /// A jump that first makes IGV show the link's genome:
    /// `/load?genome=G&file=&locus=L`. IGV loads the genome when it is not
    /// the current one (a switch resets IGV's session, as any genome change
    /// does), then goes to the locus; with the genome already loaded it only
    /// goes there. The empty `file` is what makes IGV apply `locus`: without
    /// a file parameter `/load` ignores it, and an empty list loads nothing
    /// (`StringUtils.breakQuotedString("")` is empty, 2.16 to 3.0). Verified
    /// with IGV 2.16 (tests/http/e2e/).
    GotoOnGenome {
        genome: GenomeRef,
        loci: Loci,
    },
    Load(LoadCommand),
    /// The connection check ([`CHECK_ANSWER`]).
    Check,
    /// One of the safe view commands, as `/execute?command=…`.
    View(ViewCommand),
}

impl IgvCommand {
    pub fn load_genome(genome: &Genome) -> GenomeRef {
        GenomeRef::of(genome)
    }

    /// A jump to `loci`, on `genome` when the link names one.
    pub fn jump(loci: Loci, genome: Option<&Genome>) -> Self {
        match genome {
            Some(genome) => Self::GotoOnGenome {
                genome: GenomeRef::of(genome),
                loci,
            },
            None => Self::Goto { loci },
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Self::Goto { .. } => "goto",
            Self::GotoOnGenome { .. } => "goto_genome",
            Self::Load(_) => "load",
            Self::Check => "check",
            Self::View(_) => "view",
        }
    }

    /// The URL the user's browser is redirected to. Built as text on the
    /// checked base: `Url::set_path`/`set_query` re-parsed it on every call,
    /// a third of the relay's own time per request.
    pub fn to_url(&self, target: &IgvTarget) -> String {
        let mut url = String::with_capacity(target.base.len() + 96);
        url.push_str(&target.base);
        if let Self::Goto { loci } = self {
            // The relay's hot path: no list of pairs to build, and the loci
            // are encoded as they are printed (a string less per request).
            url.push_str(GOTO_QUERY);
            let _ = loci.write_canonical(&mut PercentEncoded(&mut url));
            return url;
        }
        let (path, pairs) = self.query_pairs();
        url.push_str(path);
        for (i, (k, v)) in pairs.iter().enumerate() {
            url.push(if i == 0 { '?' } else { '&' });
            url.push_str(k);
            url.push('=');
            url.extend(encode_value(v));
        }
        url
    }

    /// IGV's path and parameters before percent-encoding: what IGV must see
    /// after decoding [`Self::to_url`]'s query (the fuzz targets check it).
    /// Lower-case parameter names, in a fixed order.
    pub fn query_pairs(&self) -> (&'static str, Vec<(&'static str, String)>) {
        match self {
            Self::Goto { loci } => ("/goto", vec![("locus", loci.to_string())]),
            Self::GotoOnGenome { genome, loci } => (
                "/load",
                vec![
                    ("genome", genome.igv.clone()),
                    ("file", String::new()),
                    ("locus", loci.to_string()),
                ],
            ),
            Self::Check => (
                "/execute",
                vec![("command", format!("echo {CHECK_ANSWER}"))],
            ),
            Self::View(view) => ("/execute", vec![("command", view.command_line())]),
            Self::Load(load) => {
                let mut pairs = Vec::new();
                let files: Vec<String> = load.files.iter().map(|f| f.file.for_igv_list()).collect();
                pairs.push(("file", files.join(",")));
                if load.files.iter().any(|f| f.index.is_some()) {
                    let indexes: Vec<String> = load
                        .files
                        .iter()
                        .map(|f| {
                            f.index
                                .as_ref()
                                .map(FileUrl::for_igv_list)
                                .unwrap_or_default()
                        })
                        .collect();
                    pairs.push(("index", indexes.join(",")));
                }
                if let Some(genome) = &load.genome {
                    pairs.push(("genome", genome.igv.clone()));
                }
                if let Some(locus) = &load.locus {
                    pairs.push(("locus", locus.to_string()));
                }
                if let Some(name) = &load.name {
                    pairs.push(("name", name.as_str().to_owned()));
                }
                if let Some(format) = &load.format {
                    pairs.push(("format", format.as_str().to_owned()));
                }
                if let Some(merge) = load.merge {
                    pairs.push(("merge", merge.to_string()));
                }
                if let Some(sort) = &load.sort {
                    pairs.push(("sort", sort.igv_name().to_owned()));
                    if let SortBy::Tag(tag) = sort {
                        pairs.push(("sortTag", tag.as_str().to_owned()));
                    }
                }
                ("/load", pairs)
            }
        }
    }

    /// A sentence saying what IGV is asked to do, for landing pages.
    pub fn describe(&self) -> String {
        match self {
            Self::Goto { loci } => format!("Go to {} in IGV", loci.to_display_string()),
            Self::GotoOnGenome { genome, loci } => {
                format!("Go to {} on {} in IGV", loci.to_display_string(), genome.id)
            }
            Self::Check => "Test the connection to IGV".into(),
            Self::View(view) => format!("{} in IGV", view.describe()),
            Self::Load(load) => {
                let what = load
                    .name
                    .as_ref()
                    .map(|n| n.as_str().to_owned())
                    .unwrap_or_else(|| {
                        load.files
                            .iter()
                            .map(|f| file_label(&f.file))
                            .collect::<Vec<_>>()
                            .join(", ")
                    });
                let on = load
                    .genome
                    .as_ref()
                    .map(|g| format!(" on {}", g.id))
                    .unwrap_or_default();
                let sorted = match &load.sort {
                    Some(SortBy::Tag(tag)) => format!(", reads sorted by tag {}", tag.as_str()),
                    Some(sort) => format!(", reads sorted by {}", sort.igv_name()),
                    None => String::new(),
                };
                match &load.locus {
                    Some(l) => format!(
                        "Load {what} in IGV and go to {}{on}{sorted}",
                        l.to_display_string()
                    ),
                    None => format!("Load {what} in IGV{on}"),
                }
            }
        }
    }
}

fn file_label(file: &FileUrl) -> String {
    file.as_url()
        .path_segments()
        .and_then(|mut s| s.next_back().map(str::to_owned))
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| file.as_url().to_string())
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IgvError {
    #[error("IGV's host must be a loopback address (127.0.0.1, ::1 or localhost), not {0:?}")]
    HostNotLoopback(String),
    #[error("{0:?} is not a usable IGV port: it must be a number from 1024 to 65535")]
    Port(String),
    #[error("the file URL is longer than {0} bytes")]
    FileUrlTooLong(usize),
    #[error("the file URL is not usable: {0}")]
    FileUrl(String),
    #[error("IGV may only load files from allowed hosts ({allowed}); {host:?} is not one of them")]
    HostNotAllowed { host: String, allowed: String },
    #[error("the track name is not usable: {0}")]
    TrackName(String),
    #[error("{0:?} is not a track format IGV is sent by this relay")]
    Format(String),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::loci::LociRules;

    fn target() -> IgvTarget {
        IgvTarget::new("127.0.0.1", IgvPort::DEFAULT).unwrap()
    }

    #[test]
    fn goto_joins_loci_with_percent_20() {
        let loci = Loci::parse("chr1:1-2 chr2:3-4", LociRules::default(), None).unwrap();
        let url = IgvCommand::Goto { loci }.to_url(&target());
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:60151/goto?locus=chr1:1-2%20chr2:3-4"
        );
    }

    proptest::proptest! {
        /// The goto URL is the encoder's output for the printed loci, also
        /// where the encoder is skipped for pieces with nothing to escape.
        #[test]
        fn goto_urls_encode_the_printed_loci(
            names in proptest::collection::vec("[a-zA-Z0-9_][a-zA-Z0-9_.|*+-]{0,8}", 1..4),
            start in 1..1_000_000u64,
        ) {
            let text: Vec<String> = names.iter().enumerate().map(|(i, name)| match i % 3 {
                0 => format!("{name}:{start}-{}", start + 7),
                1 => format!("{name}:{start}"),
                _ => name.clone(),
            }).collect();
            let rules = LociRules { allow_feature_names: true, ..LociRules::default() };
            let loci = Loci::parse(&text.join(" "), rules, None).unwrap();
            let expected = format!(
                "http://127.0.0.1:60151/goto?locus={}",
                encode_value(&loci.to_string())
            );
            proptest::prop_assert_eq!(IgvCommand::Goto { loci }.to_url(&target()), expected);
        }
    }

    #[test]
    fn only_loopback_igv_hosts_are_accepted() {
        assert!(IgvTarget::new("evil.example", IgvPort::DEFAULT).is_err());
        assert!(IgvTarget::new("10.0.0.1", IgvPort::DEFAULT).is_err());
        assert!(IgvTarget::new("::1", IgvPort::DEFAULT).is_ok());
        assert!(IgvTarget::new("localhost", IgvPort::DEFAULT).is_ok());
    }

    #[test]
    fn track_names_cannot_hide_or_reverse_text() {
        for bad in [
            "calls\u{202E}lmth.exe",
            "a\u{200B}b",
            "x\u{2028}y",
            "\u{FEFF}name",
        ] {
            assert!(TrackName::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            TrackName::parse("Bob's calls (hg38)").unwrap().as_str(),
            "Bob's calls (hg38)"
        );
        assert_eq!(
            TrackName::parse("Échantillon 1").unwrap().as_str(),
            "Échantillon 1"
        );
    }

    #[test]
    fn commas_in_file_urls_never_reach_igv_as_separators() {
        let allowed = AllowedHosts::new(["data.example".to_owned()]);
        let file = FileUrl::parse("http://data.example/a,b.bed", &allowed).unwrap();
        let cmd = IgvCommand::Load(LoadCommand {
            files: vec![TrackFile { file, index: None }],
            genome: None,
            locus: None,
            name: Some(TrackName::parse("a,b").unwrap()),
            format: None,
            merge: None,
            sort: None,
        });
        assert_eq!(
            cmd.to_url(&target()).as_str(),
            "http://127.0.0.1:60151/load?file=http:%2F%2Fdata.example%2Fa%252Cb.bed&name=a%3Bb"
        );
    }
}
