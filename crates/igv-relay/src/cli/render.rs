//! Static link pages (`igv-relay render`): one result file becomes a
//! self-contained HTML page (or several) whose "View in IGV" links point at a
//! relay's public URL. Plain `<a>` links with an explicit target, CSS inlined,
//! no script: the page works as a Galaxy HTML output or a file on a share.

use std::fs::File;
use std::io::{self, BufRead, BufReader, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use askama::Template;
use url::Url;

use crate::domain::genome::Genome;
use crate::domain::igv::{IgvPort, IgvTarget};
use crate::domain::loci::LociRules;
use crate::formats::{self, FormatKind, FormatOptions};
use crate::genomes::GenomeRegistry;
use crate::linkpage::RowFilter;
use crate::links::ServiceUrls;
use crate::page::html::StaticPage;
use crate::page::{FileView, PageContext, PageModel, PageRow, Source};
use crate::sources::galaxy::{ColumnMetadata, for_extension};

const CSS: &str = include_str!("../../../static/igv-relay.css");
/// Files larger than this get a progress bar (when stderr is a terminal).
const PROGRESS_FROM_BYTES: u64 = 16 << 20;

/// What to render, from the command line.
#[derive(Debug, Clone)]
pub struct RenderOptions {
    pub input: PathBuf,
    /// `-o`; `None` writes one page to stdout.
    pub output: Option<PathBuf>,
    /// The relay's public URL, ending in `/`.
    pub relay_url: Url,
    /// A genome id (or a Galaxy dbkey that maps to one).
    pub genome: Option<String>,
    /// A Galaxy dbkey; `?` or an unknown one gives no genome, with a note.
    pub dbkey: Option<String>,
    /// A format name (`vcf`, `bed`, ...) or a Galaxy datatype; else detected.
    pub format: Option<String>,
    /// The title (Galaxy passes the dataset's name; files in Galaxy end in `.dat`).
    pub name: Option<String>,
    pub columns: ColumnMetadata,
    pub flank: u64,
    /// Most records on the page(s) in all; the rest are counted and a note says so.
    pub max_rows: Option<u64>,
    /// Records per file: `page.html`, `page-2.html`, ... with prev/next links.
    pub per_file: Option<usize>,
    pub quiet: bool,
}

/// What was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderSummary {
    pub records: u64,
    pub shown: u64,
    pub files: Vec<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("{0}")]
    Input(String),
    #[error("{path}: {error}")]
    Io { path: String, error: io::Error },
    #[error("cannot write the page: {0}")]
    Template(#[from] askama::Error),
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> RenderError + '_ {
    move |error| RenderError::Io {
        path: path.display().to_string(),
        error,
    }
}

/// Resolves the format: `--format` (ours or a Galaxy datatype), else detection.
fn kind_and_options(
    options: &RenderOptions,
    head: &[u8],
) -> Result<(FormatKind, FormatOptions), RenderError> {
    let name = options
        .name
        .clone()
        .unwrap_or_else(|| options.input.display().to_string());
    let mut format_options = FormatOptions::default();
    let kind = match options.format.as_deref().map(str::trim) {
        Some(f) if !f.is_empty() => {
            if let Some(galaxy) = for_extension(f, &options.columns) {
                format_options = galaxy.options;
                galaxy.kind
            } else if let Some(kind) = formats::detect(&format!("x.{f}"), head) {
                kind
            } else {
                return Err(RenderError::Input(format!(
                    "--format {f:?} is not a format igv-relay reads"
                )));
            }
        }
        _ => formats::detect(&name, head)
            .or_else(|| formats::detect(&options.input.display().to_string(), head))
            .ok_or_else(|| {
                RenderError::Input(format!(
                    "{name}: the format is not recognised; give --format"
                ))
            })?,
    };
    if options.columns.chrom.is_some() {
        format_options.chrom_col = options.columns.chrom;
        format_options.start_col = options.columns.start;
        format_options.end_col = options.columns.end;
    }
    if !kind.has_rows() {
        return Err(RenderError::Input(format!(
            "{} files have no rows to list; load them in IGV instead",
            kind.name()
        )));
    }
    Ok((kind, format_options))
}

/// The genome for the page and the notes that explain the choice.
fn genome<'g>(
    registry: &'g GenomeRegistry,
    options: &RenderOptions,
) -> Result<(Option<&'g Genome>, Vec<String>), RenderError> {
    if let Some(id) = options.genome.as_deref().filter(|g| !g.trim().is_empty()) {
        let genome = registry
            .get(id)
            .ok()
            .or_else(|| registry.for_dbkey(id))
            .ok_or_else(|| {
                RenderError::Input(format!(
                    "--genome {id:?} is not a known genome ({})",
                    registry.ids().join(", ")
                ))
            })?;
        return Ok((Some(genome), Vec::new()));
    }
    match options.dbkey.as_deref().map(str::trim) {
        None => Ok((None, Vec::new())),
        Some("" | "?") => Ok((
            None,
            vec![
                "The dataset has no database/build (dbkey \"?\"), so the links do not switch \
                 IGV's genome."
                    .to_owned(),
            ],
        )),
        Some(dbkey) => match registry.for_dbkey(dbkey) {
            Some(genome) => Ok((Some(genome), Vec::new())),
            None => Ok((
                None,
                vec![format!(
                    "The database/build \"{dbkey}\" is not one igv-relay knows, so the links do \
                     not switch IGV's genome: make sure IGV shows the right one."
                )],
            )),
        },
    }
}

/// Counts bytes read, and draws a progress bar on stderr now and then.
struct Progress<R> {
    inner: R,
    read: u64,
    total: u64,
    last: Instant,
    show: bool,
}

impl<R: Read> Read for Progress<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if self.show && self.last.elapsed() > Duration::from_millis(200) {
            self.last = Instant::now();
            self.draw();
        }
        Ok(n)
    }
}

impl<R> Progress<R> {
    fn draw(&self) {
        const WIDTH: u64 = 30;
        let total = self.total.max(1);
        let done = (self.read.min(total) * WIDTH / total) as usize;
        eprint!(
            "\r[{}{}] {:>3}% {} / {}",
            "#".repeat(done),
            ".".repeat(WIDTH as usize - done),
            self.read.min(total) * 100 / total,
            mib(self.read),
            mib(self.total)
        );
        let _ = io::stderr().flush();
    }
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / f64::from(1u32 << 20))
}

/// Where page `n` (1-based) goes: `page.html`, `page-2.html`, ...
fn page_path(output: &Path, n: usize) -> PathBuf {
    if n == 1 {
        return output.to_path_buf();
    }
    let stem = output
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "page".to_owned());
    let name = match output.extension() {
        Some(ext) => format!("{stem}-{n}.{}", ext.to_string_lossy()),
        None => format!("{stem}-{n}"),
    };
    output.with_file_name(name)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Writes the page(s): the page model's rows, a file of them at a time.
pub fn render(
    options: &RenderOptions,
    registry: &GenomeRegistry,
    rules: LociRules,
) -> Result<RenderSummary, RenderError> {
    let path = &options.input;
    let file = File::open(path).map_err(io_error(path))?;
    let total = file.metadata().map(|m| m.len()).unwrap_or(0);
    let show = !options.quiet && total >= PROGRESS_FROM_BYTES && io::stderr().is_terminal();
    let mut reader = BufReader::with_capacity(
        64 * 1024,
        Progress {
            inner: file,
            read: 0,
            total,
            last: Instant::now(),
            show,
        },
    );
    let head = reader.fill_buf().map_err(io_error(path))?.to_vec();
    let (kind, format_options) = kind_and_options(options, &head)?;
    let (genome, notes) = genome(registry, options)?;
    let urls = ServiceUrls::new(options.relay_url.clone());
    // Static pages never link to IGV directly; the target only completes the context.
    let igv = IgvTarget::new("127.0.0.1", IgvPort::DEFAULT)
        .map_err(|e| RenderError::Input(e.to_string()))?;
    // Static pages have no IGV-Web links; the default only completes the context.
    let igv_web = crate::configuration::ViewerSettings::default()
        .igv_web_url()
        .map_err(|e| RenderError::Input(e.to_string()))?;
    let ctx = PageContext {
        genomes: registry,
        urls: &urls,
        igv: &igv,
        loci_rules: rules,
        default_flank: options.flank,
        decompression: FormatOptions::default().decompression,
        igv_web: &igv_web,
    };
    let source = Source {
        name: options.name.clone().unwrap_or_else(|| file_name(path)),
        notices: notes,
        ..Source::default()
    };
    let view = FileView::new(
        ctx,
        kind,
        genome,
        options.flank,
        RowFilter::default(),
        format_options,
        source,
    );
    let mut stream = view
        .open(Box::new(reader))
        .map_err(|e| RenderError::Input(format!("{}: {e}", path.display())))?;
    let triage = view
        .triage(stream.as_ref())
        .map_err(|e| RenderError::Input(format!("{}: {e}", path.display())))?;
    let mut rows = view.rows(stream.as_mut(), &triage);
    let mut model = view.model();
    rows.describe(&mut model);

    let per_file = options.per_file.filter(|n| *n > 0);
    let cap = options.max_rows.unwrap_or(u64::MAX);
    let mut summary = RenderSummary {
        records: 0,
        shown: 0,
        files: Vec::new(),
    };
    let mut page_rows: Vec<PageRow> = Vec::new();
    let mut page_no = 1;
    let relay = options.relay_url.to_string();
    let write_page = |model: &mut PageModel,
                      rows: Vec<PageRow>,
                      page: usize,
                      has_next: bool|
     -> Result<PathBuf, RenderError> {
        let link = |n: usize| {
            options
                .output
                .as_deref()
                .map(|o| file_name(&page_path(o, n)))
                .unwrap_or_default()
        };
        model.rows = rows;
        model.page = page as u64;
        model.prev_url = (per_file.is_some() && page > 1).then(|| link(page - 1));
        model.next_url = (per_file.is_some() && has_next).then(|| link(page + 1));
        let html = StaticPage {
            css: CSS,
            relay: &relay,
            version: env!("CARGO_PKG_VERSION"),
            model,
        }
        .render()?;
        let (target, mut out): (PathBuf, Box<dyn Write>) = match &options.output {
            Some(output) => {
                let target = page_path(output, page);
                let file = File::create(&target).map_err(io_error(&target))?;
                (target, Box::new(io::BufWriter::new(file)))
            }
            None => (PathBuf::from("-"), Box::new(io::stdout().lock())),
        };
        out.write_all(html.as_bytes())
            .and_then(|()| out.flush())
            .map_err(io_error(&target))?;
        Ok(target)
    };
    while let Some(row) = rows.next_row().map_err(io_error(path))? {
        summary.records += 1;
        if summary.shown >= cap {
            continue; // counted for the note, not shown
        }
        if let Some(n) = per_file
            && page_rows.len() == n
        {
            let target = write_page(&mut model, std::mem::take(&mut page_rows), page_no, true)?;
            summary.files.push(target);
            page_no += 1;
        }
        summary.shown += 1;
        page_rows.push(row);
    }
    if show {
        eprintln!();
    }
    if summary.records > summary.shown {
        model.notices.insert(
            0,
            format!(
                "This page lists the first {} of the file's {} records (--max-rows); open the \
                 file in igv-relay or IGV to see the rest.",
                summary.shown, summary.records
            ),
        );
    }
    let target = write_page(&mut model, page_rows, page_no, false)?;
    summary.files.push(target);
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_pages_are_numbered_next_to_the_first() {
        let out = Path::new("/tmp/x/links.html");
        assert_eq!(page_path(out, 1), PathBuf::from("/tmp/x/links.html"));
        assert_eq!(page_path(out, 3), PathBuf::from("/tmp/x/links-3.html"));
        assert_eq!(page_path(Path::new("out"), 2), PathBuf::from("out-2"));
    }
}
