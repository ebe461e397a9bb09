//! Session files of a view: IGV desktop session XML (`?format=igv-session`)
//! and the igv.js JSON session (`?format=igvjs-session`, for IGV-Web): the
//! genome, the file (and its index) as absolute URLs, a locus, and the view's
//! (filtered) records as regions of interest with their labels.
//!
//! Both are written by the export thread (`page::export`): the head once the
//! first record's locus is known, a region per record, then the tail.

use std::fmt::Write;

use serde_json::{Value, json};

use crate::domain::igvjs::ResolvedIgvJsGenome;
use crate::page::viewer::{WebTrack, ascii_json, igvjs_session, xml_attr};

/// What a session says besides its regions.
#[derive(Clone, Debug, Default)]
pub struct SessionSpec {
    /// IGV desktop's genome (an IGV genome id or a FASTA path/URL).
    pub igv_genome: Option<String>,
    /// igv.js's genome, for the JSON session.
    pub igvjs_genome: Option<ResolvedIgvJsGenome>,
    /// The file, and the reads paired with it (`?reads=`), when IGV can load them.
    pub tracks: Vec<WebTrack>,
    /// The name of the regions set (the file's name).
    pub name: String,
}

/// A region: 1-based inclusive bounds, as the page shows them.
pub struct Region<'a> {
    pub chrom: &'a str,
    pub start: u64,
    pub end: u64,
    pub label: &'a str,
}

impl SessionSpec {
    pub fn xml_head(&self, locus: Option<&str>) -> String {
        let mut out =
            String::from("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n<Session");
        if let Some(g) = &self.igv_genome {
            let _ = write!(out, " genome=\"{}\"", xml_attr(g));
        }
        if let Some(l) = locus {
            let _ = write!(out, " locus=\"{}\"", xml_attr(l));
        }
        out.push_str(" version=\"8\">\n    <Resources>\n");
        for t in &self.tracks {
            let _ = write!(
                out,
                "        <Resource name=\"{}\" path=\"{}\"",
                xml_attr(&t.name),
                xml_attr(&t.url)
            );
            if let Some(i) = &t.index {
                let _ = write!(out, " index=\"{}\"", xml_attr(i));
            }
            // IGV desktop reads `type` as the format, igv.js reads `format`.
            if let Some(f) = &t.format {
                let f = xml_attr(f);
                let _ = write!(out, " type=\"{f}\" format=\"{f}\"");
            }
            out.push_str("/>\n");
        }
        out.push_str("    </Resources>\n    <Regions>\n");
        out
    }

    /// A `<Region>`: IGV reads `start` 0-based, `end` as the last base.
    pub fn xml_region(out: &mut Vec<u8>, region: &Region<'_>) {
        let mut line = String::new();
        let _ = writeln!(
            line,
            "        <Region chromosome=\"{}\" start=\"{}\" end=\"{}\" description=\"{}\"/>",
            xml_attr(region.chrom),
            region.start.saturating_sub(1),
            region.end,
            xml_attr(region.label)
        );
        out.extend_from_slice(line.as_bytes());
    }

    pub fn xml_tail() -> &'static str {
        "    </Regions>\n</Session>\n"
    }

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

    fn spec() -> SessionSpec {
        SessionSpec {
            igv_genome: Some("hg38".into()),
            igvjs_genome: Some(ResolvedIgvJsGenome::Hosted("hg38".into())),
            tracks: vec![WebTrack {
                url: "https://r.org/raw/a<&\"b\".vcf?x=1&y=2".into(),
                index: Some("https://r.org/raw/a.vcf.tbi".into()),
                name: "<calls & 'more'>".into(),
                format: Some("vcf".into()),
            }],
            name: "calls".into(),
        }
    }

    #[test]
    fn the_xml_session_escapes_every_name_and_url() {
        let mut out = spec().xml_head(Some("chr1:10-20")).into_bytes();
        SessionSpec::xml_region(
            &mut out,
            &Region {
                chrom: "chr1",
                start: 10,
                end: 20,
                label: "a<b> & \"c\"",
            },
        );
        out.extend_from_slice(SessionSpec::xml_tail().as_bytes());
        let xml = String::from_utf8(out).unwrap();
        assert!(xml.contains(
            r#"<Resource name="&lt;calls &amp; &apos;more&apos;&gt;" path="https://r.org/raw/a&lt;&amp;&quot;b&quot;.vcf?x=1&amp;y=2" index="https://r.org/raw/a.vcf.tbi" type="vcf" format="vcf"/>"#
        ), "{xml}");
        assert!(xml.contains(
            r#"<Region chromosome="chr1" start="9" end="20" description="a&lt;b&gt; &amp; &quot;c&quot;"/>"#
        ));
        assert!(xml.contains(r#"<Session genome="hg38" locus="chr1:10-20" version="8">"#));
    }

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
