//! The HTML writers of the page model: the served link page (inside the
//! service's layout, with filters, exports and pager links) and the static
//! page of `igv-relay render` (CSS inlined, no script, no form). Both share
//! the record table and pager (`templates/records.html`).

use askama::Template;

use crate::page::PageModel;
// The viewer partial (templates/viewer.html) matches on it.
use crate::page::viewer::Viewer;

/// The served link page.
#[derive(Template)]
#[template(path = "file.html")]
pub struct ServedPage<'a> {
    /// The service's base URL (the layout's links).
    pub base: &'a str,
    pub model: &'a PageModel,
}

/// A static link page: a Galaxy HTML output, a file on a share.
#[derive(Template)]
#[template(path = "static_page.html")]
pub struct StaticPage<'a> {
    pub css: &'a str,
    /// The relay's public URL the links point at.
    pub relay: &'a str,
    pub version: &'static str,
    pub model: &'a PageModel,
}
