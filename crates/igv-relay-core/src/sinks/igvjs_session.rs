//! The igv.js JSON session of a view (`?format=igvjs-session`, for
//! IGV-Web): as the IGV desktop session ([`super::igv_session`]), in the
//! JSON igv.js reads, with 0-based regions of interest.

use serde_json::{Value, json};

use super::igv_session::{Region, SessionFormat, SessionSpec};
use crate::domain::igvjs::ResolvedIgvJsGenome;
use crate::links::igv_web::{WebTrack, ascii_json, igvjs_session};

/// igv.js's session JSON.
pub struct Json;

impl SessionFormat for Json {
    fn head(spec: &SessionSpec, locus: Option<&str>) -> String {
        spec.json_head(locus)
    }

    fn region(out: &mut Vec<u8>, region: &Region<'_>, first: bool) {
        SessionSpec::json_region(out, region, first);
    }

    fn tail() -> &'static str {
        SessionSpec::json_tail()
    }
}

impl SessionSpec {
    /// The JSON session up to the open list of region features.
    pub fn json_head(&self, locus: Option<&str>) -> String {
        let tracks: Vec<WebTrack> = self.tracks.clone();
        let mut session = match &self.igvjs_genome {
            Some(genome) => igvjs_session(genome, &tracks, locus),
            None => {
                // No igv.js genome: the tracks and locus, over whatever
                // genome IGV-Web shows.
                let mut m = serde_json::Map::new();
                if let Some(l) = locus {
                    m.insert("locus".into(), json!(l));
                }
                m.insert(
                    "tracks".into(),
                    igvjs_session(&ResolvedIgvJsGenome::Hosted(String::new()), &tracks, None)
                        .remove("tracks")
                        .unwrap_or(Value::Null),
                );
                m
            }
        };
        session.insert("version".into(), json!("3"));
        let text = Value::Object(session).to_string();
        let open = text.strip_suffix('}').unwrap_or(&text);
        let name = serde_json::to_string(&self.name).unwrap_or_else(|_| "\"\"".into());
        ascii_json(&format!("{open},\"roi\":[{{\"name\":{name},\"features\":["))
    }

    /// A region feature: igv.js ROI features are 0-based, end exclusive.
    pub fn json_region(out: &mut Vec<u8>, region: &Region<'_>, first: bool) {
        let feature = json!({
            "chr": region.chrom,
            "start": region.start.saturating_sub(1),
            "end": region.end,
            "name": region.label,
        });
        if !first {
            out.push(b',');
        }
        out.extend_from_slice(ascii_json(&feature.to_string()).as_bytes());
    }

    pub fn json_tail() -> &'static str {
        "]}]}\n"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sinks::igv_session::tests::spec;

    #[test]
    fn the_json_session_is_valid_json_with_zero_based_regions() {
        let mut out = spec().json_head(Some("chr1:10-20")).into_bytes();
        for (i, label) in ["x", "é"].iter().enumerate() {
            SessionSpec::json_region(
                &mut out,
                &Region {
                    chrom: "chr2",
                    start: 5,
                    end: 6,
                    label,
                },
                i == 0,
            );
        }
        out.extend_from_slice(SessionSpec::json_tail().as_bytes());
        let text = String::from_utf8(out).unwrap();
        assert!(text.is_ascii());
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["genome"], "hg38");
        assert_eq!(v["locus"], "chr1:10-20");
        assert_eq!(v["tracks"][0]["name"], "<calls & 'more'>");
        assert_eq!(v["roi"][0]["name"], "calls");
        assert_eq!(v["roi"][0]["features"][1]["start"], 4);
        assert_eq!(v["roi"][0]["features"][1]["end"], 6);
        assert_eq!(v["roi"][0]["features"][1]["name"], "é");
    }
}
