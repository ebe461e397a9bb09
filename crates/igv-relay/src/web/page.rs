//! The served link page: the page model inside the service's layout, with
//! filters, exports and pager links (`templates/file.html`; the record
//! table and pager are shared with the static page, `templates/records.html`).

use askama::Template;
use igv_relay_core::sinks::page::PageModel;
// The viewer partial (templates/viewer.html) matches on it.
use igv_relay_core::links::igv_web::Viewer;

use super::reads::ReadsPanel;

#[derive(Template)]
#[template(path = "file.html")]
pub struct ServedPage<'a> {
    /// The service's base URL (the layout's links).
    pub base: &'a str,
    pub model: &'a PageModel,
    /// The "Reads" box (templates/reads.html), on a VCF's page.
    pub reads: Option<&'a ReadsPanel>,
}
