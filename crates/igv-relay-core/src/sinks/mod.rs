//! Writers of a view's rows, one per output, each a [`crate::rows::RowSink`]:
//! the page model ([`page`]), the tally behind totals and the overview
//! ([`tally`], drawn by [`overview`]), the exports (TSV, JSON, IGV batch,
//! IGV session XML, IGV 3 session JSON, igv.js session) and the static page of `igv-relay render`.
//! A writer knows its output's shape and nothing of where the rows come
//! from; exports write to any [`ExportOut`].

pub mod batch;
pub mod columns;
pub mod igv3_session;
pub mod igv_session;
pub mod igvjs_session;
pub mod json;
mod karyotype;
pub mod manhattan;
pub mod overview;
pub mod page;
mod row_links;
pub mod segments;
pub mod static_page;
pub mod tally;
pub mod tsv;

use std::io::{self, Write};

pub use row_links::RowLinks;

/// An export's rows are handed on in chunks of about this size: small
/// enough that what waits for a slow client stays flat (a few MB).
pub const EXPORT_CHUNK_BYTES: usize = 256 * 1024;

/// Where an export's bytes go: any writer; one that can keep a whole
/// buffer as it is (the service's response chunks) saves copying it.
pub trait ExportOut: Write {
    /// Writes `chunk`, after everything written before it.
    fn write_chunk(&mut self, chunk: Vec<u8>) -> io::Result<()> {
        self.write_all(&chunk)
    }
}

impl ExportOut for Vec<u8> {}

/// The exports a view can be written as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    Tsv,
    Json,
    IgvBatch,
    /// IGV desktop session XML (IGV 2.x and 3).
    IgvSession,
    /// IGV desktop 3's session JSON.
    Igv3Session,
    /// The igv.js JSON session, for IGV-Web.
    IgvJsSession,
}

impl ExportFormat {
    pub const ALL: [ExportFormat; 6] = [
        Self::Tsv,
        Self::Json,
        Self::IgvBatch,
        Self::IgvSession,
        Self::Igv3Session,
        Self::IgvJsSession,
    ];

    /// The name links give it (`?format=`). The session names end in
    /// `.xml`/`.json`, so that a URL ending with them is taken for a
    /// session by IGV (and IGV-Web).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tsv => "tsv",
            Self::Json => "json",
            Self::IgvBatch => "igv-batch",
            Self::IgvSession => "igv-session.xml",
            Self::Igv3Session => "igv3-session.json",
            Self::IgvJsSession => "igvjs-session.json",
        }
    }

    /// The export `name` (`?format=`) asks for; the sessions also without
    /// their suffix.
    pub fn named(name: &str) -> Option<Self> {
        match name {
            "tsv" => Some(Self::Tsv),
            "json" => Some(Self::Json),
            "igv-batch" => Some(Self::IgvBatch),
            "igv-session" | "igv-session.xml" => Some(Self::IgvSession),
            "igv3-session" | "igv3-session.json" => Some(Self::Igv3Session),
            "igvjs-session" | "igvjs-session.json" => Some(Self::IgvJsSession),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Json => "application/json",
            Self::Tsv => "text/tab-separated-values; charset=utf-8",
            Self::IgvBatch => "text/plain; charset=utf-8",
            Self::IgvSession => "application/xml; charset=utf-8",
            Self::Igv3Session => "application/json",
            Self::IgvJsSession => "application/json",
        }
    }

    /// The name an export is saved under. Without one the browser names the
    /// download after the URL, so "Export TSV" on calls.vcf saved a TSV called
    /// calls.vcf. Only plain ASCII survives: the name goes into a header.
    pub fn file_name(self, name: &str) -> String {
        let safe: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "._-".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let suffix = match self {
            Self::Tsv => "igv-links.tsv",
            Self::Json => "igv-links.json",
            Self::IgvBatch => "igv-batch.txt",
            Self::IgvSession => "igv-session.xml",
            Self::Igv3Session => "igv3-session.json",
            Self::IgvJsSession => "igvjs-session.json",
        };
        format!("{safe}.{suffix}")
    }
}

/// Which genome an export's loci were checked against, and why: the first
/// line of the TSV and of the batch script.
pub fn genome_line(view: &crate::view::FileView<'_>) -> String {
    let why = view.genome_choice().map(|c| c.source.to_string());
    match (view.genome_id(), why) {
        (Some(id), Some(why)) => format!("genome {id}, {why}"),
        (Some(id), None) => format!("genome {id}"),
        (None, Some(why)) => format!("no genome: {why}"),
        (None, None) => "no genome: sequence names are not checked".to_owned(),
    }
    .replace(char::is_control, "?")
}
