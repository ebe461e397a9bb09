//! "View here": the igv.js panel of a link page, and "Open in IGV-Web" links.
//!
//! The panel is described by data attributes (no inline script: the pages'
//! CSP allows scripts from the service only); `static/viewer.js` reads them
//! and loads the vendored igv.js when the user opens the panel. IGV-Web links
//! carry genome, locus and tracks as query parameters where IGV-Web can read
//! them back unchanged, and as a self-contained `sessionURL=blob:` where it
//! cannot (names or URLs with commas, genomes that need more than one URL).

use std::io::Write;

use serde_json::{Value, json};
use url::Url;

use crate::domain::igvjs::ResolvedIgvJsGenome;

/// The vendored igv.js bundle, under the service's base URL.
pub const IGVJS_SCRIPT: &str = "static/vendor/igv/igv.min.js";

/// The panel of one link page: ready, or why there is none.
#[derive(Clone, Debug)]
pub enum Viewer {
    /// Boxed: the panel is many URLs, the other variant one sentence.
    Ready(Box<ViewerPanel>),
    /// A sentence for the page: why there is no panel, and how to get one.
    Unavailable(String),
}

/// What `static/viewer.js` needs, shown as `data-` attributes.
#[derive(Clone, Debug, Default)]
pub struct ViewerPanel {
    pub script: String,
    /// A hosted genome id, or the FASTA, index and cytoband URLs.
    pub genome_id: Option<String>,
    pub fasta: Option<String>,
    pub fasta_index: Option<String>,
    pub cytoband: Option<String>,
    /// The file as a track (`None`: a format igv.js is not given, e.g. a
    /// tabular file; the panel then shows the genome at the rows' loci).
    pub track: Option<WebTrack>,
    /// Reads paired with the file (`?reads=`, or paired by sample), shown
    /// under it, stacked, named by sample.
    pub reads: Vec<WebTrack>,
    /// Where the panel opens (`data-view-locus`; rows' `data-locus` is what
    /// IGV receives): the page's first linked row.
    pub locus: Option<String>,
}

/// A track for igv.js or IGV-Web.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebTrack {
    pub url: String,
    pub index: Option<String>,
    pub name: String,
    /// IGV's format name (`vcf`, `bed`, `bam`, ...).
    pub format: Option<String>,
}

impl ViewerPanel {
    pub fn new(
        base: &Url,
        genome: &ResolvedIgvJsGenome,
        track: Option<WebTrack>,
        reads: Vec<WebTrack>,
        locus: Option<String>,
    ) -> Self {
        let mut panel = Self {
            script: base
                .join(IGVJS_SCRIPT)
                .map(String::from)
                .unwrap_or_default(),
            track,
            reads,
            locus,
            ..Self::default()
        };
        match genome {
            ResolvedIgvJsGenome::Hosted(id) => panel.genome_id = Some(id.clone()),
            ResolvedIgvJsGenome::Fasta {
                fasta,
                index,
                cytoband,
            } => {
                panel.fasta = Some(fasta.to_string());
                panel.fasta_index = Some(index.to_string());
                panel.cytoband = cytoband.as_ref().map(|c| c.to_string());
            }
        }
        panel
    }
}

/// The reason shown instead of a panel for a genome igv.js cannot load.
pub fn unavailable_reason(genome: Option<&str>) -> String {
    match genome {
        None => "The \"View here\" panel needs a genome: choose one above. (IGV desktop \
                 links work without one.)"
            .to_owned(),
        Some(id) => format!(
            "The \"View here\" panel is off for genome {id}: igv.js has no data for it. \
             An administrator can add an `igvjs` entry to genome {id} in the configuration \
             (a hosted igv.js genome id, or FASTA + index URLs; see the README, \"View here\")."
        ),
    }
}

/// The igv.js view of a genome, tracks and locus, as igv.js sessions write
/// it (`Browser.toJSON`): `genome` for a hosted id, `reference` otherwise.
pub fn igvjs_session(
    genome: &ResolvedIgvJsGenome,
    tracks: &[WebTrack],
    locus: Option<&str>,
) -> serde_json::Map<String, Value> {
    let mut session = serde_json::Map::new();
    match genome {
        ResolvedIgvJsGenome::Hosted(id) => {
            session.insert("genome".into(), json!(id));
        }
        ResolvedIgvJsGenome::Fasta {
            fasta,
            index,
            cytoband,
        } => {
            let mut reference = json!({
                "id": fasta.path_segments().and_then(|mut s| s.next_back()).unwrap_or("genome"),
                "fastaURL": fasta.as_str(),
                "indexURL": index.as_str(),
            });
            if let Some(c) = cytoband {
                reference["cytobandURL"] = json!(c.as_str());
            }
            session.insert("reference".into(), reference);
        }
    }
    if let Some(locus) = locus {
        session.insert("locus".into(), json!(locus));
    }
    let tracks: Vec<Value> = tracks
        .iter()
        .map(|t| {
            let mut track = json!({ "name": t.name, "url": t.url });
            if let Some(i) = &t.index {
                track["indexURL"] = json!(i);
            }
            if let Some(f) = &t.format {
                track["format"] = json!(f);
            }
            track
        })
        .collect();
    session.insert("tracks".into(), Value::Array(tracks));
    session
}

/// Characters a query value keeps as they are; everything else is
/// percent-encoded (`,` and `=` above all: IGV-Web splits on both).
const VALUE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b':')
    .remove(b'/');

fn encode(value: &str) -> String {
    percent_encoding::utf8_percent_encode(value, VALUE).to_string()
}

/// An "Open in IGV-Web" link: `base?genome=…&file=…&index=…&name=…&locus=…`,
/// or `base?sessionURL=blob:…` when parameters cannot say it exactly.
pub fn igv_web_url(
    base: &Url,
    genome: &ResolvedIgvJsGenome,
    tracks: &[WebTrack],
    locus: Option<&str>,
) -> String {
    IgvWebLinks::new(base, genome, tracks).at(locus)
}

/// "Open in IGV-Web" links of one page: the same genome and tracks, a
/// locus per row. With plain parameters the part before the locus is
/// built once (rows are many).
pub struct IgvWebLinks<'a> {
    base: String,
    genome: &'a ResolvedIgvJsGenome,
    tracks: &'a [WebTrack],
    /// `base?genome=…&file=…` when parameters can say it; else `None` (blob).
    plain: Option<String>,
}

impl<'a> IgvWebLinks<'a> {
    pub fn new(base: &Url, genome: &'a ResolvedIgvJsGenome, tracks: &'a [WebTrack]) -> Self {
        let mut url = base.clone();
        url.set_query(None);
        url.set_fragment(None);
        let base = url.to_string();
        let plain = plain_parameters(genome, tracks).map(|pairs| {
            let query = pairs
                .iter()
                .map(|(k, v)| format!("{k}={}", encode(v)))
                .collect::<Vec<_>>()
                .join("&");
            format!("{base}?{query}")
        });
        Self {
            base,
            genome,
            tracks,
            plain,
        }
    }

    /// The link at `locus` (`None`: wherever IGV-Web opens).
    pub fn at(&self, locus: Option<&str>) -> String {
        match (&self.plain, locus) {
            (Some(prefix), Some(locus)) => format!("{prefix}&locus={}", encode(locus)),
            (Some(prefix), None) => prefix.clone(),
            (None, _) => {
                let session = Value::Object(igvjs_session(self.genome, self.tracks, locus));
                format!(
                    "{}?sessionURL={}",
                    self.base,
                    encode(&blob(&session.to_string()))
                )
            }
        }
    }
}

/// The query parameters, when IGV-Web reads them back exactly; else `None`.
fn plain_parameters(
    genome: &ResolvedIgvJsGenome,
    tracks: &[WebTrack],
) -> Option<Vec<(&'static str, String)>> {
    let mut pairs = Vec::new();
    match genome {
        ResolvedIgvJsGenome::Hosted(id) => pairs.push(("genome", id.clone())),
        // IGV-Web takes a FASTA URL for `genome=` and its index as URL + ".fai".
        ResolvedIgvJsGenome::Fasta {
            fasta,
            index,
            cytoband: None,
        } if index.as_str() == format!("{fasta}.fai")
            && !fasta.as_str().contains(',')
            && !fasta.path().ends_with(".json") =>
        {
            pairs.push(("genome", fasta.to_string()));
        }
        ResolvedIgvJsGenome::Fasta { .. } => return None,
    }
    if tracks.is_empty() {
        return Some(pairs);
    }
    let all_indexed = tracks.iter().all(|t| t.index.is_some());
    let none_indexed = tracks.iter().all(|t| t.index.is_none());
    for t in tracks {
        let texts = [Some(&t.url), t.index.as_ref(), Some(&t.name)];
        // `file`, `index` and `name` are comma lists, split after decoding.
        if texts.iter().flatten().any(|s| s.contains(',')) {
            return None;
        }
        // IGV-Web takes a file ending .xml or .json for a session.
        let path = Url::parse(&t.url).ok()?.path().to_ascii_lowercase();
        if path.ends_with(".xml") || path.ends_with(".json") {
            return None;
        }
        // No `format=` parameter: IGV-Web must see the format in the name.
        if let Some(format) = &t.format {
            let bare = path.strip_suffix(".gz").unwrap_or(&path);
            if !bare.ends_with(&format!(".{format}")) && !extension_means(bare, format) {
                return None;
            }
        }
    }
    if !all_indexed && !none_indexed {
        return None;
    }
    let list = |f: &dyn Fn(&WebTrack) -> String| tracks.iter().map(f).collect::<Vec<_>>().join(",");
    pairs.push(("file", list(&|t| t.url.clone())));
    if all_indexed {
        pairs.push(("index", list(&|t| t.index.clone().unwrap_or_default())));
    }
    pairs.push(("name", list(&|t| t.name.clone())));
    Some(pairs)
}

/// File extensions igv.js reads as `format` although they differ from it.
fn extension_means(path: &str, format: &str) -> bool {
    let aliases: &[&str] = match format {
        "gff3" => &[".gff"],
        "bigwig" => &[".bw"],
        "bedgraph" => &[".bg"],
        _ => &[],
    };
    aliases.iter().any(|a| path.ends_with(a))
}

/// `blob:` + URL-safe base64 of the raw DEFLATE of `json` (igv.js
/// `Browser.compressedSession`). igv.js turns the inflated bytes back into a
/// string one byte per character, so everything beyond ASCII is escaped
/// (`\uXXXX`) first.
pub fn blob(json: &str) -> String {
    let ascii = ascii_json(json);
    let mut encoder =
        flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(ascii.as_bytes());
    let compressed = encoder.finish().unwrap_or_default();
    let b64: String = base64(&compressed)
        .chars()
        .map(|c| match c {
            '+' => '.',
            '/' => '_',
            '=' => '-',
            other => other,
        })
        .collect();
    format!("blob:{b64}")
}

/// JSON text with every non-ASCII character as a `\uXXXX` escape (outside
/// strings JSON has none, so this keeps the value).
pub fn ascii_json(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Text for an XML attribute value: `&`, `<`, `>`, both quotes, and control
/// characters (which XML 1.0 cannot carry) escaped or replaced.
pub fn xml_attr(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c if c.is_control() => out.push('?'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    /// IGV-Web's reading of a link (igv.js `extractQuery`): pairs split on
    /// `&` before the last `#`, each on `=` keeping two pieces only (JS
    /// `split("=", 2)`), values `decodeURIComponent`-ed; `file`, `index` and
    /// `name` split on commas after decoding.
    fn igv_web_reads(link: &str) -> Vec<(String, String)> {
        let query = link.split_once('?').map(|(_, q)| q).unwrap_or("");
        let query = match query.rfind('#') {
            Some(i) => &query[..i],
            None => query,
        };
        query
            .split('&')
            .map(|pair| {
                let mut pieces = pair.split('=');
                let key = pieces.next().unwrap_or("").to_owned();
                let value = pieces.next().unwrap_or("");
                let decoded = percent_encoding::percent_decode_str(value)
                    .decode_utf8()
                    .expect("UTF-8")
                    .into_owned();
                (key, decoded)
            })
            .collect()
    }

    fn param(pairs: &[(String, String)], key: &str) -> Option<String> {
        pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
    }

    fn unblob(blob: &str) -> Value {
        let data: String = blob
            .strip_prefix("blob:")
            .expect("blob:")
            .chars()
            .map(|c| match c {
                '.' => '+',
                '_' => '/',
                '-' => '=',
                c => c,
            })
            .collect();
        let bytes = unbase64(&data);
        let mut text = String::new();
        flate2::read::DeflateDecoder::new(&bytes[..])
            .read_to_string(&mut text)
            .expect("raw deflate");
        assert!(text.is_ascii(), "igv.js reads the session byte by byte");
        serde_json::from_str(&text).expect("JSON")
    }

    fn unbase64(text: &str) -> Vec<u8> {
        let value = |c: u8| -> u32 {
            match c {
                b'A'..=b'Z' => u32::from(c - b'A'),
                b'a'..=b'z' => u32::from(c - b'a') + 26,
                b'0'..=b'9' => u32::from(c - b'0') + 52,
                b'+' => 62,
                b'/' => 63,
                _ => panic!("not base64: {c}"),
            }
        };
        let mut out = Vec::new();
        for chunk in text.as_bytes().chunks(4) {
            let pad = chunk.iter().filter(|&&c| c == b'=').count();
            let n = chunk
                .iter()
                .map(|&c| if c == b'=' { 0 } else { value(c) })
                .fold(0u32, |n, v| (n << 6) | v);
            let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
            out.extend_from_slice(&bytes[..3 - pad]);
        }
        out
    }

    fn track(url: &str, index: Option<&str>, name: &str, format: &str) -> WebTrack {
        WebTrack {
            url: url.into(),
            index: index.map(str::to_owned),
            name: name.into(),
            format: Some(format.into()),
        }
    }

    fn base() -> Url {
        Url::parse("https://igv.org/app/").unwrap()
    }

    #[test]
    fn plain_links_decode_to_the_genome_locus_and_tracks() {
        let tracks = [
            track(
                "https://relay.lab.org/raw/r/calls.vcf.gz",
                Some("https://relay.lab.org/raw/r/calls.vcf.gz.tbi"),
                "calls = tumour+normal",
                "vcf",
            ),
            track(
                "https://relay.lab.org/raw/r/peaks.bed",
                Some("https://relay.lab.org/raw/r/peaks.bed.idx"),
                "Peaks & more",
                "bed",
            ),
        ];
        let link = igv_web_url(
            &base(),
            &ResolvedIgvJsGenome::Hosted("hg38".into()),
            &tracks,
            Some("chr7:140753236-140753436"),
        );
        assert!(link.starts_with("https://igv.org/app/?"), "{link}");
        let read = igv_web_reads(&link);
        assert_eq!(param(&read, "genome").as_deref(), Some("hg38"));
        assert_eq!(
            param(&read, "locus").as_deref(),
            Some("chr7:140753236-140753436")
        );
        let split = |k: &str| -> Vec<String> {
            param(&read, k)
                .unwrap()
                .split(',')
                .map(str::to_owned)
                .collect()
        };
        assert_eq!(
            split("file"),
            [
                "https://relay.lab.org/raw/r/calls.vcf.gz",
                "https://relay.lab.org/raw/r/peaks.bed"
            ]
        );
        assert_eq!(
            split("index"),
            [
                "https://relay.lab.org/raw/r/calls.vcf.gz.tbi",
                "https://relay.lab.org/raw/r/peaks.bed.idx"
            ]
        );
        // `=` and `+` survive: `=` is sent as %3D, `+` as %2B.
        assert_eq!(split("name"), ["calls = tumour+normal", "Peaks & more"]);
        assert!(param(&read, "sessionURL").is_none());
    }

    #[test]
    fn commas_in_names_or_urls_go_into_a_blob_session() {
        let tracks = [track(
            "https://relay.lab.org/raw/r/a,b=c.bed",
            None,
            "tumour, normal = pair é",
            "bed",
        )];
        let link = igv_web_url(
            &base(),
            &ResolvedIgvJsGenome::Hosted("hg19".into()),
            &tracks,
            Some("chr1:100-200"),
        );
        let read = igv_web_reads(&link);
        assert_eq!(read.len(), 1, "only sessionURL: {link}");
        let session = unblob(&param(&read, "sessionURL").unwrap());
        assert_eq!(session["genome"], "hg19");
        assert_eq!(session["locus"], "chr1:100-200");
        assert_eq!(
            session["tracks"][0]["url"],
            "https://relay.lab.org/raw/r/a,b=c.bed"
        );
        assert_eq!(session["tracks"][0]["name"], "tumour, normal = pair é");
        assert_eq!(session["tracks"][0]["format"], "bed");
    }

    #[test]
    fn a_lab_fasta_is_a_genome_parameter_or_a_reference_in_a_blob() {
        let fasta = Box::new(Url::parse("https://ref.lab.org/g/tiny.fa").unwrap());
        let plain = ResolvedIgvJsGenome::Fasta {
            fasta: fasta.clone(),
            index: Box::new(Url::parse("https://ref.lab.org/g/tiny.fa.fai").unwrap()),
            cytoband: None,
        };
        let read = igv_web_reads(&igv_web_url(&base(), &plain, &[], Some("chr1:1-50")));
        assert_eq!(
            param(&read, "genome").as_deref(),
            Some("https://ref.lab.org/g/tiny.fa")
        );
        let with_bands = ResolvedIgvJsGenome::Fasta {
            fasta,
            index: Box::new(Url::parse("https://ref.lab.org/g/tiny.fai").unwrap()),
            cytoband: Some(Box::new(
                Url::parse("https://ref.lab.org/g/bands.txt").unwrap(),
            )),
        };
        let read = igv_web_reads(&igv_web_url(&base(), &with_bands, &[], None));
        let session = unblob(&param(&read, "sessionURL").unwrap());
        assert_eq!(
            session["reference"]["fastaURL"],
            "https://ref.lab.org/g/tiny.fa"
        );
        assert_eq!(
            session["reference"]["indexURL"],
            "https://ref.lab.org/g/tiny.fai"
        );
        assert_eq!(
            session["reference"]["cytobandURL"],
            "https://ref.lab.org/g/bands.txt"
        );
        assert!(session.get("locus").is_none());
    }

    #[test]
    fn a_url_that_does_not_name_its_format_goes_into_a_blob() {
        let tracks = [track(
            "https://galaxy.lab.org/api/datasets/f2db/display",
            None,
            "calls",
            "vcf",
        )];
        let link = igv_web_url(
            &base(),
            &ResolvedIgvJsGenome::Hosted("hg38".into()),
            &tracks,
            None,
        );
        let session = unblob(&param(&igv_web_reads(&link), "sessionURL").unwrap());
        assert_eq!(session["tracks"][0]["format"], "vcf");
    }

    #[test]
    fn base64_matches_the_standard_alphabet_and_padding() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"\xfb\xff"), "+/8=");
        assert_eq!(
            unbase64(&base64(b"any bytes \x00\xff")),
            b"any bytes \x00\xff"
        );
    }

    #[test]
    fn xml_attributes_escape_markup_and_quotes() {
        assert_eq!(
            xml_attr("a<b>&\"c'\nd\u{1}"),
            "a&lt;b&gt;&amp;&quot;c&apos;&#10;d?"
        );
        assert_eq!(ascii_json("\"é😀\""), "\"\\u00e9\\ud83d\\ude00\"");
    }
}
