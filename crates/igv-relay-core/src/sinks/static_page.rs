//! Static link pages (`igv-relay render`): a view's rows as self-contained
//! HTML pages whose "View in IGV" links point at a relay's public URL. Plain
//! `<a>` links with an explicit target, CSS inlined, no script: the page
//! works as a Galaxy HTML output or a file on a share. Several pages (a
//! given number of rows each) link to each other.

use std::io::{self, Write};

use askama::Template;

use super::page::{PageModel, PageRow, PageRows};
use crate::rows::{Row, RowSink};

const CSS: &str = include_str!("../../../../static/igv-relay.css");

/// A static link page: a Galaxy HTML output, a file on a share.
#[derive(Template)]
#[template(path = "static_page.html")]
struct StaticPage<'a> {
    css: &'a str,
    /// The relay's public URL the links point at.
    relay: &'a str,
    version: &'static str,
    model: &'a PageModel,
}

/// Where the pages go (the CLI's files, or standard output).
pub trait PageFiles {
    /// How the page beside page `n` (1-based) links to it.
    fn link(&self, n: usize) -> String;
    /// Where page `n` is written.
    fn create(&mut self, n: usize) -> io::Result<Box<dyn Write + '_>>;
}

/// Writes a view's rows as pages of `per_file` rows (one page without),
/// at most `max_rows` rows in all; the rest are counted.
pub struct StaticPages<'v, F: PageFiles> {
    model: PageModel,
    rows: PageRows<'v>,
    relay: String,
    per_file: Option<usize>,
    max_rows: u64,
    files: F,
    page_rows: Vec<PageRow>,
    page: usize,
    /// Rows read, and shown.
    pub records: u64,
    pub shown: u64,
}

impl<'v, F: PageFiles> StaticPages<'v, F> {
    /// `model`: the view's model with its columns ([`PageModel::describe`]).
    pub fn new(
        model: PageModel,
        rows: PageRows<'v>,
        relay: String,
        per_file: Option<usize>,
        max_rows: Option<u64>,
        files: F,
    ) -> Self {
        Self {
            model,
            rows,
            relay,
            per_file: per_file.filter(|n| *n > 0),
            max_rows: max_rows.unwrap_or(u64::MAX),
            files,
            page_rows: Vec::new(),
            page: 1,
            records: 0,
            shown: 0,
        }
    }

    /// Writes the last page, saying what was left out, and gives the page
    /// files back.
    pub fn finish(mut self) -> io::Result<F> {
        if self.records > self.shown {
            self.model.notices.insert(
                0,
                format!(
                    "This page lists the first {} of the file's {} records (--max-rows); open the \
                     file in igv-relay or IGV to see the rest.",
                    self.shown, self.records
                ),
            );
        }
        self.write_page(false)?;
        Ok(self.files)
    }

    fn write_page(&mut self, has_next: bool) -> io::Result<()> {
        let page = self.page;
        let paged = self.per_file.is_some();
        self.model.rows = std::mem::take(&mut self.page_rows);
        self.model.page = page as u64;
        self.model.prev_url = (paged && page > 1).then(|| self.files.link(page - 1));
        self.model.next_url = (paged && has_next).then(|| self.files.link(page + 1));
        let html = StaticPage {
            css: CSS,
            relay: &self.relay,
            version: env!("CARGO_PKG_VERSION"),
            model: &self.model,
        }
        .render()
        .map_err(io::Error::other)?;
        let mut out = self.files.create(page)?;
        out.write_all(html.as_bytes())?;
        out.flush()
    }
}

impl<F: PageFiles> RowSink for StaticPages<'_, F> {
    fn row(&mut self, row: Row) -> io::Result<()> {
        self.records += 1;
        if self.shown >= self.max_rows {
            return Ok(()); // counted for the note, not shown
        }
        if let Some(n) = self.per_file
            && self.page_rows.len() == n
        {
            self.write_page(true)?;
            self.page += 1;
        }
        self.shown += 1;
        self.page_rows.push(self.rows.page_row(row));
        Ok(())
    }
}
