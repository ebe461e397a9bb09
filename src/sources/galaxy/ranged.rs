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
//! Windows start small (the page's first rows and a VCF header are near the
//! start) and double up to [`MAX_WINDOW`], so reading a whole dataset costs a
//! few dozen requests, and a page that needs 30 KB fetches at most a window
//! more. Offsets are those of the dataset's bytes, which are the offsets the
//! parsers count only when the dataset is not compressed: a gzip or BGZF
//! dataset is read without remembered offsets.

use std::io::{self, BufRead, Read};
use std::sync::Arc;

use reqwest::StatusCode;
use reqwest::header::{CONTENT_RANGE, RANGE};
use url::Url;

use super::body::{BodyReader, Failure};
use super::{GalaxyClient, GalaxyError};
use crate::formats::{DecompressionLimits, RemoteFile, Reopen};

/// The first window: a VCF header and the first page fit in it.
const FIRST_WINDOW: u64 = 64 * 1024;
/// Windows double up to this size.
const MAX_WINDOW: u64 = 4 * 1024 * 1024;

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
    failure: Failure,
    remote: Option<RemoteFile>,
}

impl DatasetBody {
    pub fn failure(&self) -> Failure {
        self.failure.clone()
    }

    /// Set when Galaxy honours Range and the dataset is not compressed: later
    /// pages may then start at a remembered offset (`linkpage::PageIndex`).
    pub fn remote(&self) -> Option<RemoteFile> {
        self.remote.clone()
    }

    pub fn into_reader(self) -> Box<dyn BufRead + Send> {
        self.reader
    }
}

/// Opens `source` from its first byte: with a Range request for the first
/// window, falling back to the plain streamed body when Galaxy ignores Range.
pub(super) async fn open(
    client: &GalaxyClient,
    source: Source,
) -> Result<DatasetBody, GalaxyError> {
    let failure = Failure::default();
    let window = fetch(client, &source, 0, FIRST_WINDOW, &failure).await?;
    let (body, total) = match window {
        Window::Whole(body) => {
            tracing::warn!(
                dataset = %source.identity,
                "Galaxy did not honour a Range request for this dataset; every page reads it \
                 from its first byte"
            );
            return Ok(DatasetBody {
                reader: Box::new(body),
                failure,
                remote: None,
            });
        }
        Window::Partial { body, total } => (body, total),
    };
    let gzip = body.is_gzip();
    let dataset = Arc::new(RangedDataset {
        client: client.clone(),
        handle: tokio::runtime::Handle::current(),
        version: source
            .version
            .clone()
            .unwrap_or_else(|| format!("{total} bytes")),
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
    Ok(DatasetBody {
        reader: Box::new(Windows::new(dataset, body, 0, FIRST_WINDOW)),
        failure,
        remote,
    })
}

enum Window {
    /// 206: the bytes asked for, of a dataset of `total` bytes.
    Partial { body: BodyReader, total: u64 },
    /// 200: Galaxy ignored the Range header and sends everything.
    Whole(BodyReader),
}

/// `GET` with `Range: bytes=start-(start+len-1)`.
async fn fetch(
    client: &GalaxyClient,
    source: &Source,
    start: u64,
    len: u64,
    failure: &Failure,
) -> Result<Window, GalaxyError> {
    let mut request = client
        .http
        .get(source.url.clone())
        .header(RANGE, format!("bytes={start}-{}", start + len - 1));
    if source.with_key {
        request = client.with_key(request);
    }
    let response = match client.send(request, &source.what).await {
        // An empty dataset has no byte 0 to send (416): read it plainly.
        Err(GalaxyError::Status { status, .. }) if status.starts_with("416") && start == 0 => {
            let mut request = client.http.get(source.url.clone());
            if source.with_key {
                request = client.with_key(request);
            }
            let response = client.send(request, &source.what).await?;
            let limit = client.max_dataset_bytes;
            return Ok(Window::Whole(
                client
                    .stream(response, source.what.clone(), failure.clone(), limit)
                    .await?,
            ));
        }
        other => other?,
    };
    if response.status() != StatusCode::PARTIAL_CONTENT {
        let limit = client.max_dataset_bytes;
        return Ok(Window::Whole(
            client
                .stream(response, source.what.clone(), failure.clone(), limit)
                .await?,
        ));
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
    // A window is at most `len` bytes; the dataset limit is checked across windows.
    let body = client
        .stream(response, source.what.clone(), failure.clone(), len)
        .await?;
    Ok(Window::Partial { body, total })
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
            Window::Partial { body, .. } => {
                Ok(Box::new(Windows::new(dataset, body, offset, FIRST_WINDOW)))
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

/// The dataset's bytes from some offset on, one window after the other.
struct Windows {
    dataset: Arc<RangedDataset>,
    current: BodyReader,
    /// The first byte no window has asked for yet.
    next: u64,
    /// The size of the next window.
    window: u64,
    /// Where this reader started, for `galaxy.max_dataset_bytes`.
    start: u64,
}

impl Windows {
    fn new(dataset: Arc<RangedDataset>, current: BodyReader, start: u64, first: u64) -> Self {
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
            Window::Partial { body, .. } => {
                self.current = body;
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
        crate::formats::read_from_buffer(self, buf)
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
