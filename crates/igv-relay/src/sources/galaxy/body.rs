//! A Galaxy response body as a blocking `BufRead`, for the format parsers.
//!
//! A task on the async runtime pulls chunks from the response and hands them to
//! the reader through a bounded channel: at most [`CHANNEL_CHUNKS`] chunks wait in
//! memory, whatever the dataset's size. When the reader is dropped (a page has
//! all its rows), the task's next send fails, the response is dropped and the
//! connection to Galaxy closes, so page 1 reads only the start of a dataset.

use std::io::{self, BufRead, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::mpsc;

use super::{GalaxyError, describe_reqwest_error};

/// Chunks (typically 8-16 KiB each) buffered between Galaxy and the parser.
const CHANNEL_CHUNKS: usize = 16;

/// Why the body ended early, kept apart from the `io::Error` the parser sees:
/// parsers may wrap or reword I/O errors, and the route must still tell a
/// Galaxy timeout (504) from a broken connection (502) from a bad file (422).
#[derive(Clone, Debug, Default)]
pub struct Failure(Arc<Mutex<Option<GalaxyError>>>);

impl Failure {
    pub(super) fn set(&self, error: GalaxyError) {
        let mut slot = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        slot.get_or_insert(error);
    }

    /// The upstream failure, if the body ended because of one.
    pub fn get(&self) -> Option<GalaxyError> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// The blocking end. Use it only off the async workers (`web::block`, a thread).
pub struct BodyReader {
    rx: mpsc::Receiver<io::Result<Bytes>>,
    chunk: Bytes,
    pos: usize,
    done: bool,
    failure: Failure,
    gzip: bool,
    /// The first chunk Galaxy sent, kept for [`Self::first_chunk`].
    first: Bytes,
}

impl BodyReader {
    pub fn failure(&self) -> Failure {
        self.failure.clone()
    }

    /// Whether the body starts with the gzip magic bytes (BGZF included): its
    /// byte offsets are then not the offsets of the text the parsers see.
    pub fn is_gzip(&self) -> bool {
        self.gzip
    }

    /// The first chunk of the body (a few KiB): what a dataset's format is
    /// told from when its datatype only says "a table".
    pub fn first_chunk(&self) -> Bytes {
        self.first.clone()
    }
}

impl BufRead for BodyReader {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.pos >= self.chunk.len() && !self.done {
            match self.rx.blocking_recv() {
                Some(Ok(chunk)) => {
                    self.chunk = chunk;
                    self.pos = 0;
                }
                Some(Err(e)) => {
                    self.done = true;
                    return Err(e);
                }
                None => self.done = true,
            }
        }
        Ok(&self.chunk[self.pos.min(self.chunk.len())..])
    }

    fn consume(&mut self, amount: usize) {
        self.pos = (self.pos + amount).min(self.chunk.len());
    }
}

impl Read for BodyReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        igv_relay_core::formats::read_from_buffer(self, buf)
    }
}

/// What the pump needs to know besides the response.
pub(super) struct Pump {
    /// Longest wait for the next chunk.
    pub read_timeout: Duration,
    /// Most bytes passed on (0: no limit).
    pub limit: u64,
    /// For messages: "reading dataset 02d2...".
    pub what: String,
    /// Where a failure is reported (shared by the windows of one read).
    pub failure: Failure,
    /// Counts every byte received from Galaxy (`/metrics`).
    pub fetched: Arc<AtomicU64>,
}

/// Starts pumping `response` (after `first`, a chunk already read from it).
/// Must be called on the async runtime.
pub(super) fn spawn(response: reqwest::Response, first: Bytes, pump: Pump) -> BodyReader {
    let (tx, rx) = mpsc::channel(CHANNEL_CHUNKS);
    let failure = pump.failure.clone();
    let gzip = first.starts_with(&[0x1f, 0x8b]);
    tokio::spawn(run(response, first.clone(), pump, tx, failure.clone()));
    BodyReader {
        rx,
        chunk: Bytes::new(),
        pos: 0,
        done: false,
        failure,
        gzip,
        first,
    }
}

async fn run(
    mut response: reqwest::Response,
    first: Bytes,
    pump: Pump,
    tx: mpsc::Sender<io::Result<Bytes>>,
    failure: Failure,
) {
    let fail = |error: GalaxyError| {
        let kind = match error {
            GalaxyError::Timeout { .. } => io::ErrorKind::TimedOut,
            _ => io::ErrorKind::UnexpectedEof,
        };
        let io_error = io::Error::new(kind, error.to_string());
        failure.set(error);
        io_error
    };
    let mut total = first.len() as u64;
    pump.fetched.fetch_add(total, Ordering::Relaxed);
    if !first.is_empty() && tx.send(Ok(first)).await.is_err() {
        return;
    }
    loop {
        let next = tokio::time::timeout(pump.read_timeout, response.chunk()).await;
        let chunk = match next {
            Ok(Ok(Some(chunk))) => chunk,
            // The end of the body, as long as Galaxy said it would be.
            Ok(Ok(None)) => return,
            // reqwest's own read timeout (the same length) may fire first.
            Ok(Err(e)) if !e.is_timeout() => {
                let error = GalaxyError::Broken {
                    what: pump.what.clone(),
                    detail: describe_reqwest_error(&e),
                };
                let _ = tx.send(Err(fail(error))).await;
                return;
            }
            Ok(Err(_)) | Err(_) => {
                let error = GalaxyError::Timeout {
                    what: pump.what.clone(),
                    secs: pump.read_timeout.as_secs(),
                };
                let _ = tx.send(Err(fail(error))).await;
                return;
            }
        };
        total += chunk.len() as u64;
        pump.fetched
            .fetch_add(chunk.len() as u64, Ordering::Relaxed);
        if pump.limit > 0 && total > pump.limit {
            let error = GalaxyError::TooLarge { limit: pump.limit };
            let _ = tx.send(Err(fail(error))).await;
            return;
        }
        if tx.send(Ok(chunk)).await.is_err() {
            // The reader has what it needs; dropping the response closes the connection.
            return;
        }
    }
}
