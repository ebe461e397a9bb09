//! Session files of a view: IGV desktop session XML (`?format=igv-session`,
//! here) and the igv.js JSON session (`?format=igvjs-session`, for IGV-Web,
//! [`super::igvjs_session`]): the genome, the file (and its index) as
//! absolute URLs, a locus, and the view's (filtered) records as regions of
//! interest with their labels.
//!
//! Both are written as the rows come ([`SessionSink`]): the head once the
//! first linked row's locus is known, a region per locus, then the tail.

use std::fmt::Write as _;
use std::io;
use std::marker::PhantomData;

use super::{EXPORT_CHUNK_BYTES, ExportOut};
use crate::domain::igv::IgvCommand;
use crate::domain::igvjs::ResolvedIgvJsGenome;
use crate::links::igv_web::{WebTrack, xml_attr};
use crate::rows::{Row, RowSink};
use crate::view::FileView;

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
    /// What `view`'s sessions say besides their regions.
    pub fn of(view: &FileView<'_>) -> Self {
        Self {
            igv_genome: view.genome().map(|g| IgvCommand::load_genome(g).igv),
            igvjs_genome: view.igvjs_genome(),
            tracks: view.web_tracks(),
            name: view.source.name.clone(),
        }
    }
}

/// How a session file writes its head, its regions and its tail.
pub trait SessionFormat {
    /// The head, up to the open list of regions, opening at `locus`.
    fn head(spec: &SessionSpec, locus: Option<&str>) -> String;
    /// A region; `first`: no region was written before it.
    fn region(out: &mut Vec<u8>, region: &Region<'_>, first: bool);
    fn tail() -> &'static str;
}

/// IGV desktop's session XML.
pub struct Xml;

impl SessionFormat for Xml {
    fn head(spec: &SessionSpec, locus: Option<&str>) -> String {
        spec.xml_head(locus)
    }

    fn region(out: &mut Vec<u8>, region: &Region<'_>, _first: bool) {
        SessionSpec::xml_region(out, region);
    }

    fn tail() -> &'static str {
        SessionSpec::xml_tail()
    }
}

/// A view's linked rows as a session's regions, into `out`.
pub struct SessionSink<W: ExportOut, F: SessionFormat> {
    spec: SessionSpec,
    out: W,
    buf: Vec<u8>,
    /// Whether the head is written (with the first linked row's locus).
    open: bool,
    regions: usize,
    format: PhantomData<F>,
}

impl<W: ExportOut, F: SessionFormat> SessionSink<W, F> {
    pub fn new(spec: SessionSpec, out: W) -> Self {
        Self {
            spec,
            out,
            buf: Vec::new(),
            open: false,
            regions: 0,
            format: PhantomData,
        }
    }

    /// Writes the head (when no row had a locus) and the tail.
    pub fn finish(mut self) -> io::Result<W> {
        if !self.open {
            self.out.write_all(F::head(&self.spec, None).as_bytes())?;
        }
        self.buf.extend_from_slice(F::tail().as_bytes());
        self.out.write_chunk(std::mem::take(&mut self.buf))?;
        Ok(self.out)
    }
}

impl<W: ExportOut, F: SessionFormat> RowSink for SessionSink<W, F> {
    fn row(&mut self, row: Row) -> io::Result<()> {
        let Ok(loci) = &row.loci else { return Ok(()) };
        if !self.open {
            let mut locus = String::new();
            let _ = loci.write_canonical(&mut locus);
            self.out
                .write_all(F::head(&self.spec, Some(&locus)).as_bytes())?;
            self.open = true;
        }
        for one in loci.as_slice() {
            let Some((start, end)) = one.bounds() else {
                continue;
            };
            let region = Region {
                chrom: one.chrom().as_str(),
                start,
                end,
                label: &row.label,
            };
            F::region(&mut self.buf, &region, self.regions == 0);
            self.regions += 1;
        }
        if self.buf.len() >= EXPORT_CHUNK_BYTES {
            self.out.write_chunk(std::mem::take(&mut self.buf))?;
        }
        Ok(())
    }
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
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn spec() -> SessionSpec {
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
}
