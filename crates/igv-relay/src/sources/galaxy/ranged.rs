//! A Galaxy dataset read in windows of HTTP Range requests, so that a deep page
//! costs the bytes near its rows instead of the whole prefix of the dataset.
//!
//! Checked against Galaxy 26.1.2 (BENCHMARKS.md, "Galaxy datasets at depth"):
//! `GET /api/datasets/{id}/display`, `GET /datasets/{id}/display` and a display
//! application's data URL (`/display_application/{id}/{app}/{link}/{token}/data/…`)
//! all answer `Range: bytes=a-b` with `206 Partial Content`, `Content-Range:
//! bytes a-b/total` and `Accept-Ranges: bytes` (the API endpoint also sends
//! `ETag` and `Last-Modified`); `/api/datasets/{id}/get_content_as_text` ignores
//! Range (200, JSON). A server that answers 200 to a Range request is read the
//! old way, from its first byte, and the log says so.
//!
//! The first window (2 MiB: what a page reads to decide the genome, a VCF
//! header and page 1) is kept in memory per dataset, so a later visit to a
//! deep page asks Galaxy for one window only: the one at the remembered
//! offset. Kept per dataset and `update_time` (API) or per data URL (Galaxy
//! never changes a finished dataset's bytes), checked against the size every
//! later window reports; [`MAX_HEADS`] datasets and [`MAX_HEAD_BYTES`] at most,
//! kept by the Galaxy client ([`FirstWindows`]) in the service's state.
//!
//! Windows start small (the page's first rows and a VCF header are near the
//! start) and double up to [`MAX_WINDOW`], so reading a whole dataset costs a
//! few dozen requests, and a page that needs 30 KB fetches at most a window
//! more. Offsets are those of the dataset's bytes, which are the offsets the
//! parsers count only when the dataset is not compressed: a gzip or BGZF
//! dataset is read without remembered offsets.

use std::collections::HashMap;
use std::io::{self, BufRead, Read};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;

use reqwest::StatusCode;
use reqwest::header::{CONTENT_RANGE, RANGE};
use url::Url;

use super::body::{BodyReader, Failure};
use super::{GalaxyClient, GalaxyError};
use igv_relay_core::formats::{DecompressionLimits, RemoteFile, Reopen};

/// The first window: a VCF header and the first page fit in it.
const FIRST_WINDOW: u64 = 64 * 1024;
/// Windows double up to this size.
const MAX_WINDOW: u64 = 4 * 1024 * 1024;
/// The first window: as much as a page reads before its rows to decide the
/// genome (`igv_relay_core::view::EVIDENCE_PREFIX_BYTES`, checked by tests/galaxy_range.rs),
/// so that a page's genome detection costs no second request.
pub const HEAD_WINDOW: u64 = 2 << 20;
/// First windows kept in memory, for as many datasets...
const MAX_HEADS: usize = 64;
/// ...and at most this many bytes of them (8 large datasets).
const MAX_HEAD_BYTES: usize = 16 << 20;

/// A dataset's first window, as Galaxy sent it.
#[derive(Clone)]
struct Head {
    /// The version the page index uses (`updated …` or `N bytes`).
    version: String,
    total: u64,
    bytes: Bytes,
    used: u64,
}

/// First windows by dataset identity (see the module comment).
#[derive(Debug, Default)]
pub struct FirstWindows {
    heads: Mutex<(HashMap<String, Head>, u64)>,
}

impl std::fmt::Debug for Head {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Head")
            .field("version", &self.version)
            .field("total", &self.total)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

impl FirstWindows {
    fn lock(&self) -> std::sync::MutexGuard<'_, (HashMap<String, Head>, u64)> {
        self.heads.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The kept first window of `source`, if it is still the same version.
    fn kept(&self, source: &Source) -> Option<Head> {
        let mut heads = self.lock();
        heads.1 += 1;
        let clock = heads.1;
        let head = heads.0.get_mut(&source.identity)?;
        if source.version.as_ref().is_some_and(|v| *v != head.version) {
            return None;
        }
        head.used = clock;
        Some(head.clone())
    }

    fn keep(&self, identity: &str, mut head: Head) {
        let mut heads = self.lock();
        heads.1 += 1;
        head.used = heads.1;
        heads.0.remove(identity);
        while !heads.0.is_empty()
            && (heads.0.len() >= MAX_HEADS
                || heads.0.values().map(|h| h.bytes.len()).sum::<usize>() + head.bytes.len()
                    > MAX_HEAD_BYTES)
        {
            let oldest = heads
                .0
                .iter()
                .min_by_key(|(_, h)| h.used)
                .map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                heads.0.remove(&oldest);
            }
        }
        heads.0.insert(identity.to_owned(), head);
    }

    fn forget(&self, identity: &str) {
        self.lock().0.remove(identity);
    }
}

/// Which dataset to read, and how to tell its versions apart.
#[derive(Clone)]
pub(super) struct Source {
    pub url: Url,
    /// Send `galaxy.api_key` (API URLs; display data URLs carry their own token).
    pub with_key: bool,
    pub what: String,
    /// Names the dataset in the page index.
    pub identity: String,
    /// Galaxy's update time when known; else the size is the version.
    pub version: Option<String>,
}

/// A dataset's bytes as the parsers read them, and where a Galaxy failure
/// during the read is kept (see [`Failure`]).
pub struct DatasetBody {
    reader: Box<dyn BufRead + Send>,
    /// The dataset's first bytes: the first window, or the first chunk of a
    /// body Galaxy sent whole.
    head: Bytes,
    failure: Failure,
    remote: Option<RemoteFile>,
    check: Option<tokio::task::JoinHandle<Result<(), GalaxyError>>>,
}

impl DatasetBody {
    /// When the first window came from memory: Galaxy's answer to a 1-byte
    /// Range request made meanwhile, which says whether this visit may still
    /// read the dataset (a dataset made private answers with an HTML page)
    /// and whether it is still the same size. The page must not be sent
    /// before it is `Ok`.
    pub fn take_check(&mut self) -> Option<tokio::task::JoinHandle<Result<(), GalaxyError>>> {
        self.check.take()
    }

    pub fn failure(&self) -> Failure {
        self.failure.clone()
    }

    /// Set when Galaxy honours Range and the dataset is not compressed: later
    /// pages may then start at a remembered offset (`linkpage::PageIndex`).
    pub fn remote(&self) -> Option<RemoteFile> {
        self.remote.clone()
    }

    /// The dataset's first bytes, as stored (the first window, or at least
    /// the first chunk Galaxy sent): enough to tell a table by its header.
    pub fn head(&self) -> &[u8] {
        &self.head
    }

    pub fn into_reader(self) -> Box<dyn BufRead + Send> {
        self.reader
    }
}

/// Opens `source` from its first byte: the kept first window, or a Range
/// request for it, falling back to the plain streamed body when Galaxy
/// ignores Range.
pub(super) async fn open(
    client: &GalaxyClient,
    source: Source,
) -> Result<DatasetBody, GalaxyError> {
    let failure = Failure::default();
    let mut check = None;
    let head = match client.first_windows().kept(&source) {
        Some(head) => {
            check = Some(tokio::spawn(still_readable(
                client.clone(),
                source.clone(),
                head.total,
            )));
            head
        }
        None => match fetch_head(client, &source, &failure).await? {
            Ok(head) => {
                client.first_windows().keep(&source.identity, head.clone());
                head
            }
            Err(body) => {
                tracing::warn!(
                    dataset = %source.identity,
                    "Galaxy did not honour a Range request for this dataset; every page reads \
                     it from its first byte"
                );
                return Ok(DatasetBody {
                    head: body.first_chunk(),
                    reader: Box::new(body),
                    failure,
                    remote: None,
                    check: None,
                });
            }
        },
    };
    let gzip = head.bytes.starts_with(&[0x1f, 0x8b]);
    let total = head.total;
    let dataset = Arc::new(RangedDataset {
        client: client.clone(),
        handle: tokio::runtime::Handle::current(),
        version: head.version.clone(),
        source,
        total,
        failure: failure.clone(),
    });
    let remote = if gzip {
        tracing::debug!(
            dataset = %dataset.source.identity,
            "compressed dataset: deep pages are read from the first byte"
        );
        None
    } else {
        Some(RemoteFile {
            identity: dataset.source.identity.clone(),
            len: total,
            version: dataset.version.clone(),
            reopen: dataset.clone(),
        })
    };
    let first = head.bytes.len() as u64;
    Ok(DatasetBody {
        head: head.bytes.clone(),
        reader: Box::new(Windows::new(
            dataset,
            Current::Memory(head.bytes, 0),
            0,
            first,
        )),
        failure,
        remote,
        check,
    })
}

/// Asks Galaxy for byte 0 of the dataset: the access check a kept first
/// window would otherwise skip, and the size it must still have.
async fn still_readable(
    client: GalaxyClient,
    source: Source,
    total: u64,
) -> Result<(), GalaxyError> {
    let result = async {
        let response = match request(&client, &source, 0, 1).await? {
            Answer::Partial(response, now) if now != total => {
                drop(response);
                return Err(GalaxyError::Unexpected {
                    what: source.what.clone(),
                    detail: format!(
                        "the dataset was {total} bytes and is now {now}; reload the page"
                    ),
                });
            }
            Answer::Partial(response, _) | Answer::Whole(response) => response,
        };
        if super::is_html(&response) {
            return Err(client.html_page(response, &source.what).await);
        }
        Ok(())
    }
    .await;
    if result.is_err() {
        client.first_windows().forget(&source.identity);
    }
    result
}

/// The first window, read whole (it is small): `Err` with the streaming body
/// when Galaxy answered 200 to the Range request.
async fn fetch_head(
    client: &GalaxyClient,
    source: &Source,
    failure: &Failure,
) -> Result<Result<Head, BodyReader>, GalaxyError> {
    let (response, total) = match request(client, source, 0, HEAD_WINDOW).await? {
        Answer::Partial(response, total) => (response, total),
        Answer::Whole(response) => {
            let limit = client.max_dataset_bytes;
            return Ok(Err(client
                .stream(response, source.what.clone(), failure.clone(), limit)
                .await?));
        }
    };
    if super::is_html(&response) {
        return Err(client.html_page(response, &source.what).await);
    }
    let bytes = client
        .read_limited(response, HEAD_WINDOW as usize, &source.what)
        .await?;
    client
        .fetched
        .fetch_add(bytes.len() as u64, Ordering::Relaxed);
    if super::looks_like_html(&bytes) {
        return Err(GalaxyError::HtmlPage {
            excerpt: super::html_excerpt(&bytes),
            what: source.what.clone(),
        });
    }
    Ok(Ok(Head {
        version: source
            .version
            .clone()
            .unwrap_or_else(|| format!("{total} bytes")),
        total,
        bytes: Bytes::from(bytes),
        used: 0,
    }))
}

enum Window {
    /// 206: the bytes asked for, of a dataset of `total` bytes.
    Partial { body: BodyReader, total: u64 },
    /// 200: Galaxy ignored the Range header and sends everything.
    Whole(BodyReader),
}

/// What Galaxy answered to a Range request, before the body is read.
enum Answer {
    /// 206, for a dataset of this many bytes.
    Partial(reqwest::Response, u64),
    /// 200 (or the plain GET after a 416 for an empty dataset).
    Whole(reqwest::Response),
}

/// `GET` with `Range: bytes=start-(start+len-1)`.
async fn request(
    client: &GalaxyClient,
    source: &Source,
    start: u64,
    len: u64,
) -> Result<Answer, GalaxyError> {
    let get = || {
        let request = client.http.get(source.url.clone());
        if source.with_key {
            client.with_key(request)
        } else {
            request
        }
    };
    let ranged = get().header(RANGE, format!("bytes={start}-{}", start + len - 1));
    let response = match client.send(ranged, &source.what).await {
        // An empty dataset has no byte 0 to send (416): read it plainly.
        Err(GalaxyError::Status { status, .. }) if status.starts_with("416") && start == 0 => {
            return Ok(Answer::Whole(client.send(get(), &source.what).await?));
        }
        other => other?,
    };
    if response.status() != StatusCode::PARTIAL_CONTENT {
        return Ok(Answer::Whole(response));
    }
    let range = response
        .headers()
        .get(CONTENT_RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(content_range);
    let Some((first, _, total)) = range.filter(|(first, _, _)| *first == start) else {
        return Err(GalaxyError::Unexpected {
            what: source.what.clone(),
            detail: format!(
                "a 206 answer to bytes {start}- without a Content-Range starting there ({:?})",
                response.headers().get(CONTENT_RANGE)
            ),
        });
    };
    tracing::debug!(dataset = %source.identity, first, len, total, "Galaxy range");
    Ok(Answer::Partial(response, total))
}

/// A window's body, streamed.
async fn fetch(
    client: &GalaxyClient,
    source: &Source,
    start: u64,
    len: u64,
    failure: &Failure,
) -> Result<Window, GalaxyError> {
    match request(client, source, start, len).await? {
        Answer::Whole(response) => {
            let limit = client.max_dataset_bytes;
            Ok(Window::Whole(
                client
                    .stream(response, source.what.clone(), failure.clone(), limit)
                    .await?,
            ))
        }
        // A window is at most `len` bytes; the dataset limit is checked across windows.
        Answer::Partial(response, total) => Ok(Window::Partial {
            body: client
                .stream(response, source.what.clone(), failure.clone(), len)
                .await?,
            total,
        }),
    }
}

/// `bytes FIRST-LAST/TOTAL` (RFC 9110 §14.4); `None` for anything else,
/// including an unknown total (`/*`), which gives nothing to page by.
fn content_range(text: &str) -> Option<(u64, u64, u64)> {
    let rest = text.trim().strip_prefix("bytes ")?;
    let (span, total) = rest.split_once('/')?;
    let (first, last) = span.split_once('-')?;
    let (first, last, total) = (
        first.trim().parse().ok()?,
        last.trim().parse().ok()?,
        total.trim().parse().ok()?,
    );
    (first <= last && last < total).then_some((first, last, total))
}

/// A dataset Galaxy serves in ranges: reopened at any offset by later pages.
pub struct RangedDataset {
    client: GalaxyClient,
    /// The runtime the Galaxy client runs on: readers are on blocking
    /// threads, which wait on it for each window's headers.
    handle: tokio::runtime::Handle,
    source: Source,
    version: String,
    total: u64,
    failure: Failure,
}

impl std::fmt::Debug for RangedDataset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RangedDataset")
            .field("dataset", &self.source.identity)
            .field("total", &self.total)
            .finish_non_exhaustive()
    }
}

impl RangedDataset {
    /// Every window must come from the same version of the dataset as the
    /// first (which may have been kept from an earlier visit).
    fn check_total(&self, total: u64) -> io::Result<()> {
        if total == self.total {
            return Ok(());
        }
        self.client.first_windows().forget(&self.source.identity);
        let error = GalaxyError::Unexpected {
            what: self.source.what.clone(),
            detail: format!(
                "the dataset was {} bytes and is now {total}; reload the page",
                self.total
            ),
        };
        let io = io::Error::other(error.to_string());
        self.failure.set(error);
        Err(io)
    }

    /// Blocks (off the async workers) until Galaxy answered for the window.
    fn window(&self, start: u64, len: u64) -> io::Result<Window> {
        let failure = self.failure.clone();
        self.handle
            .block_on(fetch(&self.client, &self.source, start, len, &failure))
            .map_err(|e| {
                let io = io::Error::other(e.to_string());
                self.failure.set(e);
                io
            })
    }
}

impl Reopen for RangedDataset {
    fn reopen_at(
        &self,
        offset: u64,
        _limits: DecompressionLimits,
    ) -> io::Result<Box<dyn BufRead + Send>> {
        let dataset = Arc::new(RangedDataset {
            client: self.client.clone(),
            handle: self.handle.clone(),
            source: self.source.clone(),
            version: self.version.clone(),
            total: self.total,
            // The page's reader reports to the failure of the page's own read.
            failure: self.failure.clone(),
        });
        if offset >= self.total {
            return Ok(Box::new(io::empty()));
        }
        match dataset.window(offset, FIRST_WINDOW)? {
            Window::Partial { body, total } => {
                dataset.check_total(total)?;
                Ok(Box::new(Windows::new(
                    dataset,
                    Current::Body(body),
                    offset,
                    FIRST_WINDOW,
                )))
            }
            Window::Whole(mut body) => {
                tracing::warn!(
                    dataset = %self.source.identity,
                    offset,
                    "Galaxy stopped honouring Range requests; reading from the first byte"
                );
                io::copy(&mut (&mut body).take(offset), &mut io::sink())?;
                Ok(Box::new(body))
            }
        }
    }
}

/// The window being read: the kept first window, or a streamed one.
enum Current {
    Memory(Bytes, usize),
    Body(BodyReader),
}

impl Current {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        match self {
            Current::Memory(bytes, pos) => Ok(&bytes[(*pos).min(bytes.len())..]),
            Current::Body(body) => body.fill_buf(),
        }
    }

    fn consume(&mut self, amount: usize) {
        match self {
            Current::Memory(bytes, pos) => *pos = (*pos + amount).min(bytes.len()),
            Current::Body(body) => body.consume(amount),
        }
    }
}

/// The dataset's bytes from some offset on, one window after the other.
struct Windows {
    dataset: Arc<RangedDataset>,
    current: Current,
    /// The first byte no window has asked for yet.
    next: u64,
    /// The size of the next window.
    window: u64,
    /// Where this reader started, for `galaxy.max_dataset_bytes`.
    start: u64,
}

impl Windows {
    fn new(dataset: Arc<RangedDataset>, current: Current, start: u64, first: u64) -> Self {
        Windows {
            next: (start + first).min(dataset.total),
            window: (first * 2).min(MAX_WINDOW),
            dataset,
            current,
            start,
        }
    }

    /// Moves on to the next window; `false` at the end of the dataset.
    fn advance(&mut self) -> io::Result<bool> {
        if self.next >= self.dataset.total {
            return Ok(false);
        }
        let limit = self.dataset.client.max_dataset_bytes;
        if limit > 0 && self.next - self.start >= limit {
            let error = GalaxyError::TooLarge { limit };
            let io = io::Error::other(error.to_string());
            self.dataset.failure.set(error);
            return Err(io);
        }
        let len = self.window.min(self.dataset.total - self.next);
        match self.dataset.window(self.next, len)? {
            Window::Partial { body, total } => {
                self.dataset.check_total(total)?;
                self.current = Current::Body(body);
                self.next += len;
                self.window = (self.window * 2).min(MAX_WINDOW);
                Ok(true)
            }
            Window::Whole(_) => {
                let error = GalaxyError::Unexpected {
                    what: self.dataset.source.what.clone(),
                    detail: "Galaxy stopped honouring Range requests part-way through".into(),
                };
                let io = io::Error::other(error.to_string());
                self.dataset.failure.set(error);
                Err(io)
            }
        }
    }
}

impl BufRead for Windows {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.current.fill_buf()?.is_empty() {
            if !self.advance()? {
                break;
            }
        }
        self.current.fill_buf()
    }

    fn consume(&mut self, amount: usize) {
        self.current.consume(amount);
    }
}

impl Read for Windows {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        igv_relay_core::formats::read_from_buffer(self, buf)
    }
}

#[cfg(test)]
mod tests {
    use super::content_range;

    #[test]
    fn content_range_is_read_strictly() {
        assert_eq!(
            content_range("bytes 1000-1099/63873"),
            Some((1000, 1099, 63873))
        );
        for bad in [
            "bytes 1000-1099/*",
            "bytes */63873",
            "bytes 1100-1000/63873",
            "bytes 0-10/10",
            "items 0-1/2",
            "",
        ] {
            assert_eq!(content_range(bad), None, "{bad}");
        }
    }
}
