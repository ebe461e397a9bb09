//! Static link pages (`igv-relay render`): one result file becomes a
//! self-contained HTML page (or several) whose "View in IGV" links point at a
//! relay's public URL. Plain `<a>` links with an explicit target, CSS inlined,
//! no script: the page works as a Galaxy HTML output or a file on a share.

use std::fs::File;
use std::io::{self, BufRead, BufReader, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use igv_relay_core::domain::genome::Genome;
use igv_relay_core::domain::igv::{IgvPort, IgvTarget};
use igv_relay_core::domain::loci::LociRules;
use igv_relay_core::formats::{self, FormatKind, FormatOptions};
use igv_relay_core::genomes::GenomeRegistry;
use igv_relay_core::links::ServiceUrls;
use igv_relay_core::sinks::page::{PageModel, PageRows};
use igv_relay_core::sinks::static_page::{PageFiles, StaticPages};
use igv_relay_core::view::{FileView, GenomeWish, Purpose, Source, ViewContext, ViewSpec};
use url::Url;

use crate::sources::galaxy::{ColumnMetadata, for_extension};

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
    /// `None`: the service's defaults ([`igv_relay_core::formats::Flanks`]).
    pub flank: Option<u64>,
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
            // A Galaxy table datatype (`tabular`, `csv`...) is told by its header.
            if let Some(galaxy) = for_extension(f, &options.columns).map(|g| g.with_head(head)) {
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

/// Where the pages go: `-o` and the files beside it, or standard output.
struct Outputs {
    output: Option<PathBuf>,
    written: Vec<PathBuf>,
}

impl PageFiles for Outputs {
    fn link(&self, n: usize) -> String {
        self.output
            .as_deref()
            .map(|o| file_name(&page_path(o, n)))
            .unwrap_or_default()
    }

    fn create(&mut self, n: usize) -> io::Result<Box<dyn Write + '_>> {
        let Some(output) = &self.output else {
            self.written.push(PathBuf::from("-"));
            return Ok(Box::new(io::stdout().lock()));
        };
        let target = page_path(output, n);
        let file = File::create(&target)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", target.display())))?;
        self.written.push(target);
        Ok(Box::new(io::BufWriter::new(file)))
    }
}

/// Writes the page(s): the view's rows, a file of them at a time.
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
    // Static pages have no link-outs; the default only completes the context.
    let link_outs = igv_relay_core::links::outs::LinkOuts::default();
    let ctx = ViewContext {
        link_outs: &link_outs,
        genomes: registry,
        urls: &urls,
        igv: &igv,
        loci_rules: rules,
        decompression: FormatOptions::default().decompression,
        igv_web: &igv_web,
    };
    let spec = ViewSpec {
        genome: GenomeWish {
            explicit: genome.map(|g| g.id().clone()),
            default: None,
        },
        flank: options
            .flank
            .unwrap_or_else(|| igv_relay_core::formats::Flanks::default().for_kind(kind)),
        ..ViewSpec::default()
    };
    let source = Source {
        name: options.name.clone().unwrap_or_else(|| file_name(path)),
        notices: notes,
        options: format_options,
        ..Source::default()
    };
    let input_error = |e: igv_relay_core::error::CoreError| {
        RenderError::Input(format!("{}: {e}", path.display()))
    };
    let mut view = FileView::new(ctx, kind, spec, source).map_err(input_error)?;
    let input = view.decide(Box::new(reader)).map_err(input_error)?;
    let open = view
        .open(Purpose::Page, false, input)
        .map_err(input_error)?;
    let (mut rows, triage) = (open.reader, open.triage);
    let mut model = PageModel::of(&view);
    model.describe(&rows, &triage);
    let outputs = Outputs {
        output: options.output.clone(),
        written: Vec::new(),
    };
    let mut pages = StaticPages::new(
        model,
        PageRows::new(&view, &triage),
        options.relay_url.to_string(),
        options.per_file,
        options.max_rows,
        outputs,
    );
    rows.read_all(None, &mut pages).map_err(io_error(path))?;
    if show {
        eprintln!();
    }
    let (records, shown) = (pages.records, pages.shown);
    let outputs = pages.finish().map_err(|error| RenderError::Io {
        path: options
            .output
            .as_deref()
            .map_or_else(|| "-".to_owned(), |o| o.display().to_string()),
        error,
    })?;
    Ok(RenderSummary {
        records,
        shown,
        files: outputs.written,
    })
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
