//! A view of a result file: what was asked to be seen of it, as plain data
//! ([`ViewSpec`]: genome, flank, filters, columns, conditions, sort,
//! paging; the web layer builds it from a query string, the CLI from its
//! arguments), where the file comes from ([`Source`]), and the file seen
//! through both ([`FileView`]): its genome decided from its header, its
//! choices checked, its rows read for a purpose.

pub mod annotations;
pub mod conditions;
mod file_view;
pub mod presets;
mod sort;
pub mod triage;

use std::path::PathBuf;

use url::Url;

use crate::domain::assembly::DefaultKind;
use crate::domain::genome::GenomeId;
use crate::domain::igv::IgvTarget;
use crate::domain::loci::LociRules;
use crate::formats::{CoordBase, DecompressionLimits, FormatOptions, RemoteFile};
use crate::genomes::GenomeRegistry;
use crate::links::ServiceUrls;
use crate::rows::Filters;

pub use file_view::{EVIDENCE_PREFIX_BYTES, FileView, OpenInput, OpenRows, Purpose};
pub use sort::{MAX_SORT_ROWS, SortOrders};
pub use triage::{Triage, TriageChoices};

/// Records per page unless asked otherwise, and the most a page may hold.
pub const DEFAULT_PER_PAGE: usize = 100;
pub const MAX_PER_PAGE: usize = 1000;

/// What a view of a file is (see the module comment).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ViewSpec {
    pub genome: GenomeWish,
    /// Bases added on each side of every locus.
    pub flank: u64,
    pub filters: Filters,
    /// Columns, conditions and sort order.
    pub choices: TriageChoices,
    /// Tabular files: how to read coordinates, over the source's own.
    pub layout: Layout,
    /// Exports without the records' columns (`?links_only=1`).
    pub links_only: bool,
    pub paging: Paging,
}

/// The genome asked for, before the file's header is read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GenomeWish {
    /// `?genome=`: always wins.
    pub explicit: Option<GenomeId>,
    /// A data root's genome or a Galaxy dbkey's: a default the file may
    /// overrule (`domain::assembly`).
    pub default: Option<(GenomeId, DefaultKind)>,
}

/// Tabular coordinates and columns (`?coords=`, `?chromCol=`, ...); unset
/// ones keep what the source says (Galaxy's column metadata).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Layout {
    pub coords: Option<CoordBase>,
    pub chrom_col: Option<usize>,
    pub start_col: Option<usize>,
    pub end_col: Option<usize>,
}

impl Layout {
    /// The source's options with this layout over them.
    pub fn over(&self, options: FormatOptions) -> FormatOptions {
        FormatOptions {
            coords: self.coords.or(options.coords),
            chrom_col: self.chrom_col.or(options.chrom_col),
            start_col: self.start_col.or(options.start_col),
            end_col: self.end_col.or(options.end_col),
            ..options
        }
    }
}

/// Which page of rows, and how many on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Paging {
    /// From 1.
    pub page: u64,
    /// 1 to [`MAX_PER_PAGE`].
    pub per_page: usize,
}

impl Default for Paging {
    fn default() -> Self {
        Self {
            page: 1,
            per_page: DEFAULT_PER_PAGE,
        }
    }
}

impl Paging {
    /// Rows before this page.
    pub fn skipped(&self) -> u64 {
        self.page
            .saturating_sub(1)
            .saturating_mul(self.per_page as u64)
    }
}

/// Where a view's file lives, as far as its links are concerned, and how
/// it can be read again.
#[derive(Clone, Debug, Default)]
pub struct Source {
    /// The file name shown as the page title.
    pub name: String,
    /// The name exports mention (IGV batch script header).
    pub export_name: String,
    /// Where "Download" points.
    pub download_url: Option<String>,
    /// What IGV is told to load (`None`: no "Load in IGV" links).
    pub load_file_url: Option<String>,
    pub index_url: Option<String>,
    /// Whether row links load the file with the jump, so the first click
    /// shows the record in its track (`links::FirstClick`, decided by the
    /// route, which knows the file's size).
    pub rows_load_file: bool,
    /// IGV's `format=` for the load links.
    pub igv_format: Option<&'static str>,
    /// Lines shown above the table (where the data comes from, genome notes).
    pub notices: Vec<String>,
    /// How the source reads the file (Galaxy column metadata).
    pub options: FormatOptions,
    /// The file on disk, when there is one: later pages then start from a
    /// remembered offset instead of reading every earlier row, and a sort
    /// can read it twice.
    pub local_path: Option<PathBuf>,
    /// Or a file elsewhere that can be read from an offset (a Galaxy dataset
    /// whose server honours Range requests), for the same purposes.
    pub remote: Option<RemoteFile>,
    /// Reads shown with the rows (`?reads=`, or the BAM/CRAM files paired
    /// with a VCF's samples, `crate::pairing`): loaded together.
    pub reads: Vec<ReadsSource>,
}

/// Reads shown with a page's rows (a BAM/CRAM paired with a VCF): what IGV
/// loads for each row's "reads sorted here".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadsSource {
    pub file_url: String,
    pub index_url: Option<String>,
    /// The track name IGV shows (the samples, for a paired file).
    pub name: String,
    /// IGV's format (`bam`, `cram`).
    pub format: &'static str,
}

/// What a view needs of the service: genomes to check loci against, the
/// service's own URLs for links, and the limits in force.
#[derive(Clone, Copy)]
pub struct ViewContext<'a> {
    pub genomes: &'a GenomeRegistry,
    pub urls: &'a ServiceUrls,
    pub igv: &'a IgvTarget,
    pub loci_rules: LociRules,
    pub decompression: DecompressionLimits,
    /// Where "Open in IGV-Web" links go.
    pub igv_web: &'a Url,
    /// Per-row links to other sites (`links:`).
    pub link_outs: &'a crate::links::outs::LinkOuts,
}

/// Something that can lend a [`ViewContext`] to a writer thread (the
/// service's state does).
pub trait ContextOwner: Send + Sync + 'static {
    fn view_context(&self) -> ViewContext<'_>;
}
