//! An export as a streamed response: the core's writer runs on a thread of
//! its own and hands its bytes to the response through a bounded channel of
//! chunks. Memory stays flat whatever the file's size, and a client that
//! goes away stops the writer (the channel closes).

use std::io::{self, Write};
use std::sync::Arc;

use bytes::Bytes;
use igv_relay_core::export::ExportPlan;
use igv_relay_core::sinks::{EXPORT_CHUNK_BYTES, ExportOut};
use igv_relay_core::view::ContextOwner;

use super::Outcome;

/// The chunks of an export, in order; an error ends the body early.
pub type ExportChunks = tokio::sync::mpsc::Receiver<Result<Bytes, io::Error>>;
type ChunkSender = tokio::sync::mpsc::Sender<Result<Bytes, io::Error>>;

/// Starts writing `plan` on a thread of its own; its chunks are the response.
pub fn start<C: ContextOwner>(owner: Arc<C>, plan: ExportPlan) -> Outcome {
    let (tx, chunks) = tokio::sync::mpsc::channel(8);
    let content_type = plan.format.content_type();
    let file_name = plan.file_name();
    std::thread::spawn(move || write(owner.as_ref(), plan, tx));
    Outcome::Export {
        chunks,
        content_type,
        file_name,
    }
}

fn write<C: ContextOwner>(owner: &C, plan: ExportPlan, tx: ChunkSender) {
    let out = ChunkWriter {
        buf: Vec::with_capacity(EXPORT_CHUNK_BYTES * 2),
        tx: tx.clone(),
    };
    let result = plan
        .write(owner.view_context(), out)
        .and_then(|mut out| out.flush());
    if let Err(e) = result
        && e.kind() != io::ErrorKind::BrokenPipe
    {
        // The status line is gone already; end the body with the error so
        // the client sees a truncated transfer rather than a clean end.
        let _ = tx.blocking_send(Err(e));
    }
}

/// Writes into chunks and hands each full one to the channel; a whole
/// buffer the writer hands over goes on as it is, not copied.
struct ChunkWriter {
    buf: Vec<u8>,
    tx: ChunkSender,
}

impl ChunkWriter {
    fn send(&self, chunk: Vec<u8>) -> io::Result<()> {
        self.tx
            .blocking_send(Ok(Bytes::from(chunk)))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the client went away"))
    }
}

impl Write for ChunkWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= EXPORT_CHUNK_BYTES {
            self.flush()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let next = Vec::with_capacity(EXPORT_CHUNK_BYTES * 2);
        let chunk = std::mem::replace(&mut self.buf, next);
        self.send(chunk)
    }
}

impl ExportOut for ChunkWriter {
    fn write_chunk(&mut self, chunk: Vec<u8>) -> io::Result<()> {
        self.flush()?;
        if chunk.is_empty() {
            return Ok(());
        }
        self.send(chunk)
    }
}
