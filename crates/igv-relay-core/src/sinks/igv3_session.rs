//! IGV 3's JSON session of a view (`?format=igv3-session`): the same
//! content as the session XML IGV 2.x reads ([`super::igv_session`]), in the
//! JSON IGV desktop 3.0 writes and reads. IGV 3 only saves sessions as JSON.
//!
//! The shape follows IGV's own reader, `org.igv.session.JSONSessionReader`
//! (igvteam/igv, `src/main/java/org/igv/session/JSONSessionReader.java`,
//! tags v3.0.0-beta.1 to beta.4 and the August 2026 main):
//! - `genome` (an id, or a path or URL `GenomeManager.loadGenomeById` opens)
//!   or `reference` is required: without either the reader throws ("Session
//!   file is missing required 'genome' or 'reference' property"), so a view
//!   without a genome has no IGV 3 session ([`SessionSpec::igv3_ready`]);
//! - `locus`, a string;
//! - `tracks`: objects with `url` (or `path`), `format` and `name` (the
//!   reader matches the loaded track by `name`); `indexURL` is the key
//!   IGV's writer uses (`AbstractTrack.marshalJSON`) — the reader loads the
//!   file from `url` and IGV finds the index beside it (`.tbi`, `.bai`), where
//!   the relay serves it;
//! - `roi`: a list of sets whose `features` are `chr`, `start` (0-based),
//!   `end` and `description`, as `RegionOfInterest` takes them (the XML's
//!   `<Region start end description>`).
//!
//! IGV picks its JSON reader for a session path that ends in `.json`
//! (`IGV.loadSessionFromStream`), hence the format's name.

use serde_json::{Map, Value, json};

use super::igv_session::{Region, SessionFormat, SessionSpec};
use crate::links::igv_web::ascii_json;

/// IGV desktop 3's session JSON.
pub struct Igv3Json;

impl SessionFormat for Igv3Json {
    fn head(spec: &SessionSpec, locus: Option<&str>) -> String {
        spec.igv3_head(locus)
    }

    fn region(out: &mut Vec<u8>, region: &Region<'_>, first: bool) {
        SessionSpec::igv3_region(out, region, first);
    }

    fn tail() -> &'static str {
        "]}]}\n"
    }
}

impl SessionSpec {
    /// Whether IGV 3 can read this view's session: only with a genome.
    pub fn igv3_ready(&self) -> bool {
        self.igv_genome.is_some()
    }

    /// The session up to the open list of region features.
    pub fn igv3_head(&self, locus: Option<&str>) -> String {
        let mut session = Map::new();
        if let Some(genome) = &self.igv_genome {
            session.insert("genome".into(), json!(genome));
        }
        if let Some(locus) = locus {
            session.insert("locus".into(), json!(locus));
        }
        let tracks: Vec<Value> = self
            .tracks
            .iter()
            .map(|t| {
                let mut track = Map::new();
                track.insert("name".into(), json!(t.name));
                track.insert("url".into(), json!(t.url));
                if let Some(index) = &t.index {
                    track.insert("indexURL".into(), json!(index));
                }
                if let Some(format) = &t.format {
                    track.insert("format".into(), json!(format));
                }
                Value::Object(track)
            })
            .collect();
        session.insert("tracks".into(), Value::Array(tracks));
        let text = Value::Object(session).to_string();
        let open = text.strip_suffix('}').unwrap_or(&text);
        let name = serde_json::to_string(&self.name).unwrap_or_else(|_| "\"\"".into());
        ascii_json(&format!("{open},\"roi\":[{{\"name\":{name},\"features\":["))
    }

    /// A region: `RegionOfInterest` takes `start` 0-based and `end` as the
    /// last base, as the XML's `<Region>`.
    pub fn igv3_region(out: &mut Vec<u8>, region: &Region<'_>, first: bool) {
        let feature = json!({
            "chr": region.chrom,
            "start": region.start.saturating_sub(1),
            "end": region.end,
            "description": region.label,
        });
        if !first {
            out.push(b',');
        }
        out.extend_from_slice(ascii_json(&feature.to_string()).as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::links::igv_web::WebTrack;

    fn session(spec: &SessionSpec, labels: &[&str]) -> String {
        let mut out = spec.igv3_head(Some("chr1:10-20")).into_bytes();
        for (i, label) in labels.iter().enumerate() {
            Igv3Json::region(
                &mut out,
                &Region {
                    chrom: "chr1",
                    start: 10,
                    end: 20,
                    label,
                },
                i == 0,
            );
        }
        out.extend_from_slice(Igv3Json::tail().as_bytes());
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn the_igv3_session_has_igv3s_keys_and_escapes_names_and_urls() {
        let spec = SessionSpec {
            igv_genome: Some("hg38".into()),
            igvjs_genome: None,
            tracks: vec![WebTrack {
                url: "https://r.org/raw/a \"b\"\\c&d=é.vcf.gz?x=1&y=2".into(),
                index: Some("https://r.org/raw/a.vcf.gz.tbi".into()),
                name: "calls \"x\" \\ & ü 🧬".into(),
                format: Some("vcf".into()),
            }],
            name: "set \"1\" & é".into(),
        };
        let labels = ["rs1 \"q\" \\ & ß", "plain"];
        let text = session(&spec, &labels);
        // Non-ASCII goes as \u escapes: the file is read as UTF-8 by IGV
        // (`IOUtils.toString(.., UTF_8)`) but any reader gets the same text.
        assert!(text.is_ascii(), "{text}");
        assert!(text.contains(r#"\"b\"\\c&d=\u00e9"#), "{text}");
        assert!(text.contains(r#"\ud83e\uddec"#), "{text}");
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["genome"], "hg38");
        assert_eq!(v["locus"], "chr1:10-20");
        assert!(v.get("reference").is_none());
        let track = &v["tracks"][0];
        assert_eq!(
            track["url"],
            "https://r.org/raw/a \"b\"\\c&d=é.vcf.gz?x=1&y=2"
        );
        assert_eq!(track["indexURL"], "https://r.org/raw/a.vcf.gz.tbi");
        assert_eq!(track["name"], "calls \"x\" \\ & ü 🧬");
        assert_eq!(track["format"], "vcf");
        assert_eq!(v["roi"][0]["name"], "set \"1\" & é");
        let features = v["roi"][0]["features"].as_array().unwrap();
        assert_eq!(features.len(), 2);
        assert_eq!(features[0]["chr"], "chr1");
        assert_eq!(features[0]["start"], 9);
        assert_eq!(features[0]["end"], 20);
        assert_eq!(features[0]["description"], "rs1 \"q\" \\ & ß");
        assert_eq!(features[1]["description"], "plain");
    }

    #[test]
    fn without_regions_or_index_the_session_is_still_one_json_object() {
        let spec = SessionSpec {
            igv_genome: Some("/data/ref/genome.fa".into()),
            igvjs_genome: None,
            tracks: vec![WebTrack {
                url: "https://r.org/raw/a.bed".into(),
                index: None,
                name: "a.bed".into(),
                format: None,
            }],
            name: "a.bed".into(),
        };
        let v: Value = serde_json::from_str(&session(&spec, &[])).unwrap();
        assert_eq!(v["genome"], "/data/ref/genome.fa");
        assert!(v["tracks"][0].get("indexURL").is_none());
        assert!(v["tracks"][0].get("format").is_none());
        assert_eq!(v["roi"][0]["features"].as_array().unwrap().len(), 0);
        assert!(spec.igv3_ready());
        assert!(
            !SessionSpec {
                igv_genome: None,
                ..spec
            }
            .igv3_ready()
        );
    }
}
