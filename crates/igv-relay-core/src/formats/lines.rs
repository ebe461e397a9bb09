//! Decompression and a line reader that never holds more than `max` bytes of a line.

use std::io::{self, BufRead, BufReader, Cursor, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use flate2::read::MultiGzDecoder;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Decompressed bytes before the ratio check of [`DecompressionLimits`] starts:
/// small files may legitimately expand a lot (a header of repeated lines).
pub const RATIO_CHECK_AFTER_BYTES: u64 = 64 << 20;

/// How much one gzip/BGZF input may expand before reading stops with an error:
/// a few kilobytes of gzip can hold gigabytes of zeros (a "gzip bomb"), and
/// every page, filter and export that reads such a file would spin on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DecompressionLimits {
    /// Most decompressed bytes (0: no limit).
    pub max_bytes: u64,
    /// Most decompressed bytes per compressed byte, once
    /// [`RATIO_CHECK_AFTER_BYTES`] have been decompressed (0: no limit).
    /// Deflate tops out near 1032:1; most genomics text stays below 100:1.
    pub max_ratio: u64,
}

impl DecompressionLimits {
    pub const NONE: Self = Self {
        max_bytes: 0,
        max_ratio: 0,
    };
}

/// Wraps `input` in a gzip decoder when it starts with the gzip magic `1f 8b`,
/// without a limit on how much it may expand (see [`decompress_with_limits`]).
pub fn decompress(input: Box<dyn BufRead + Send>) -> io::Result<Box<dyn BufRead + Send>> {
    decompress_with_limits(input, DecompressionLimits::NONE)
}

/// Wraps `input` in a gzip decoder when it starts with the gzip magic `1f 8b`.
///
/// `MultiGzDecoder` reads plain gzip and BGZF alike (BGZF is a series of gzip members);
/// noodles-bgzf would reject plain gzip. Peeked bytes are put back, so nothing is lost
/// even if the first `fill_buf` returns a single byte. Decompressed output beyond
/// `limits` is an `InvalidData` error that says which limit was hit.
pub fn decompress_with_limits(
    mut input: Box<dyn BufRead + Send>,
    limits: DecompressionLimits,
) -> io::Result<Box<dyn BufRead + Send>> {
    let mut head = Vec::with_capacity(GZIP_MAGIC.len());
    while head.len() < GZIP_MAGIC.len() {
        let available = match input.fill_buf() {
            Ok(buf) => buf,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            break;
        }
        let n = available.len().min(GZIP_MAGIC.len() - head.len());
        head.extend_from_slice(&available[..n]);
        input.consume(n);
    }
    let is_gzip = head == GZIP_MAGIC;
    let rejoined = Cursor::new(head).chain(input);
    if !is_gzip {
        return Ok(Box::new(rejoined));
    }
    let compressed = Arc::new(AtomicU64::new(0));
    let counted = Counted {
        inner: rejoined,
        count: compressed.clone(),
    };
    Ok(Box::new(BufReader::new(Limited {
        inner: MultiGzDecoder::new(counted),
        produced: 0,
        compressed,
        limits,
    })))
}

/// Inflates on a thread of its own, a few chunks ahead of the reader, so that
/// an export of a gzip/BGZF file parses on one core while the next blocks are
/// inflated on another. Memory stays bounded (`AHEAD_CHUNKS` chunks of
/// `AHEAD_CHUNK_BYTES`); the thread ends at the end of the input, on an error
/// (handed to the reader in order), or once the reader is dropped.
pub fn read_ahead(mut inner: Box<dyn BufRead + Send>) -> io::Result<Box<dyn BufRead + Send>> {
    const AHEAD_CHUNKS: usize = 4;
    const AHEAD_CHUNK_BYTES: usize = 256 * 1024;
    let (tx, rx) = std::sync::mpsc::sync_channel::<io::Result<Vec<u8>>>(AHEAD_CHUNKS);
    let spawned = std::thread::Builder::new()
        .name("igv-relay-inflate".into())
        .spawn(move || {
            loop {
                let mut chunk = vec![0; AHEAD_CHUNK_BYTES];
                let mut filled = 0;
                let result = loop {
                    match inner.read(&mut chunk[filled..]) {
                        Ok(0) => break Ok(()),
                        Ok(n) => {
                            filled += n;
                            if filled == chunk.len() {
                                break Ok(());
                            }
                        }
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => break Err(e),
                    }
                };
                chunk.truncate(filled);
                let done = filled < AHEAD_CHUNK_BYTES || result.is_err();
                if filled > 0 && tx.send(Ok(chunk)).is_err() {
                    return;
                }
                if let Err(e) = result {
                    let _ = tx.send(Err(e));
                }
                if done {
                    return;
                }
            }
        });
    spawned?;
    Ok(Box::new(Ahead {
        rx,
        chunk: Vec::new(),
        at: 0,
    }))
}

/// The reading end of [`read_ahead`]: lines are read straight out of the
/// chunks (no second buffer to copy them through).
struct Ahead {
    rx: std::sync::mpsc::Receiver<io::Result<Vec<u8>>>,
    chunk: Vec<u8>,
    /// Bytes of `chunk` already consumed.
    at: usize,
}

impl BufRead for Ahead {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.at == self.chunk.len() {
            match self.rx.recv() {
                Ok(Ok(chunk)) => {
                    self.chunk = chunk;
                    self.at = 0;
                }
                Ok(Err(e)) => return Err(e),
                // The thread is done: the end of the input.
                Err(_) => return Ok(&[]),
            }
        }
        Ok(&self.chunk[self.at..])
    }

    fn consume(&mut self, amount: usize) {
        self.at = (self.at + amount).min(self.chunk.len());
    }
}

impl Read for Ahead {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        read_from_buffer(self, buf)
    }
}

/// `Read::read` for a reader whose data lives in its `BufRead` buffer (chunks
/// handed over by another thread): copies what is buffered, fetching the next
/// chunk first when none is.
pub fn read_from_buffer<R: BufRead + ?Sized>(reader: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let available = reader.fill_buf()?;
    let n = available.len().min(buf.len());
    buf[..n].copy_from_slice(&available[..n]);
    reader.consume(n);
    Ok(n)
}

/// Counts the compressed bytes the decoder has taken.
struct Counted<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Decompressed output that stops at [`DecompressionLimits`].
struct Limited<R> {
    inner: R,
    produced: u64,
    compressed: Arc<AtomicU64>,
    limits: DecompressionLimits,
}

impl<R: Read> Read for Limited<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.produced += n as u64;
        let DecompressionLimits {
            max_bytes,
            max_ratio,
        } = self.limits;
        if max_bytes > 0 && self.produced > max_bytes {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "the file decompresses to more than {max_bytes} bytes, the most read for one request"
                ),
            ));
        }
        let compressed = self.compressed.load(Ordering::Relaxed).max(1);
        if max_ratio > 0
            && self.produced > RATIO_CHECK_AFTER_BYTES
            && self.produced / compressed > max_ratio
        {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "the file expands more than {max_ratio} times when decompressed \
                     ({} bytes from {compressed}); this looks like a decompression bomb, not genomics data",
                    self.produced
                ),
            ));
        }
        Ok(n)
    }
}

/// One line, without its line ending.
pub(crate) enum Line<'a> {
    Text {
        number: u64,
        bytes: &'a [u8],
    },
    /// Longer than the limit: only the first `max` bytes were kept, the rest skipped.
    TooLong {
        number: u64,
        len: u64,
        prefix: &'a [u8],
    },
}

/// Reads lines with 1-based numbers, keeping at most `max` bytes of any line in memory.
pub(crate) struct Lines<R> {
    inner: R,
    buf: Vec<u8>,
    /// Bytes of `inner`'s buffer that the line last returned still borrows;
    /// consumed at the next call.
    pending: usize,
    number: u64,
    /// Bytes consumed from `inner` (the decompressed stream): where the next line starts.
    offset: u64,
    max: usize,
}

impl<R: BufRead> Lines<R> {
    pub(crate) fn new(inner: R, max: usize) -> Self {
        Lines {
            inner,
            buf: Vec::new(),
            pending: 0,
            number: 0,
            offset: 0,
            max,
        }
    }

    /// Lines read so far, and where the next one starts in the decompressed stream.
    pub(crate) fn position(&self) -> (u64, u64) {
        (self.number, self.offset)
    }

    /// Goes on from `inner`, which the caller has positioned at byte `offset` of the
    /// same decompressed stream, just after line `number`.
    pub(crate) fn restart(&mut self, inner: R, number: u64, offset: u64) {
        self.inner = inner;
        self.buf.clear();
        self.pending = 0;
        self.number = number;
        self.offset = offset;
    }

    pub(crate) fn max(&self) -> usize {
        self.max
    }

    /// The next line with the reader's own limit.
    pub(crate) fn next_line(&mut self) -> io::Result<Option<Line<'_>>> {
        self.next_line_within(self.max)
    }

    /// The next line, allowing up to `max` bytes (a header may need more than data rows).
    pub(crate) fn next_line_within(&mut self, max: usize) -> io::Result<Option<Line<'_>>> {
        self.buf.clear();
        self.inner.consume(std::mem::take(&mut self.pending));
        // The usual case: the whole line is in the reader's buffer, and is
        // returned from there without a copy (a tenth of an export's time).
        let whole = loop {
            match self.inner.fill_buf() {
                Ok(available) => {
                    break memchr::memchr(b'\n', available).filter(|&i| i <= max + 1);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        };
        if let Some(i) = whole {
            self.number += 1;
            self.offset += i as u64 + 1;
            self.pending = i + 1;
            let available = self.inner.fill_buf()?;
            let mut bytes = &available[..i];
            if let [rest @ .., b'\r'] = bytes {
                bytes = rest;
            }
            if bytes.len() <= max {
                return Ok(Some(Line::Text {
                    number: self.number,
                    bytes,
                }));
            }
            return Ok(Some(Line::TooLong {
                number: self.number,
                len: bytes.len() as u64,
                prefix: &bytes[..max],
            }));
        }
        let mut len: u64 = 0;
        let mut seen_any = false;
        loop {
            let available = match self.inner.fill_buf() {
                Ok(buf) => buf,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if available.is_empty() {
                break;
            }
            seen_any = true;
            let (content, used, done) = match memchr::memchr(b'\n', available) {
                Some(i) => (&available[..i], i + 1, true),
                None => (available, available.len(), false),
            };
            // Keep one byte over the limit so a trailing '\r' can still be told apart
            // from a genuinely overlong line.
            let room = (max + 1).saturating_sub(self.buf.len());
            let keep = content.len().min(room);
            self.buf.extend_from_slice(&content[..keep]);
            len += content.len() as u64;
            self.inner.consume(used);
            self.offset += used as u64;
            if done {
                break;
            }
        }
        if !seen_any {
            return Ok(None);
        }
        self.number += 1;
        if len <= max as u64 + 1 && self.buf.last() == Some(&b'\r') {
            self.buf.pop();
            len -= 1;
        }
        if len > max as u64 {
            let keep = self.buf.len().min(max);
            return Ok(Some(Line::TooLong {
                number: self.number,
                len,
                prefix: &self.buf[..keep],
            }));
        }
        Ok(Some(Line::Text {
            number: self.number,
            bytes: &self.buf,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(data: &[u8], max: usize) -> Vec<(u64, Result<String, u64>)> {
        let mut lines = Lines::new(data, max);
        let mut out = Vec::new();
        while let Some(line) = lines.next_line().expect("in-memory read") {
            out.push(match line {
                Line::Text { number, bytes } => {
                    (number, Ok(String::from_utf8_lossy(bytes).into_owned()))
                }
                Line::TooLong { number, len, .. } => (number, Err(len)),
            });
        }
        out
    }

    /// Fails after giving `good` bytes, as a truncated gzip member does.
    struct FailsAfter {
        good: Cursor<Vec<u8>>,
    }

    impl Read for FailsAfter {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            match self.good.read(buf)? {
                0 => Err(io::Error::new(io::ErrorKind::UnexpectedEof, "cut short")),
                n => Ok(n),
            }
        }
    }

    #[test]
    fn reading_ahead_gives_the_same_bytes_then_the_inner_error() {
        // Several chunks and a partial one.
        let data: Vec<u8> = (0..(600 * 1024 + 7)).map(|i| (i % 251) as u8).collect();
        let mut ahead = read_ahead(Box::new(Cursor::new(data.clone()))).unwrap();
        let mut got = Vec::new();
        ahead.read_to_end(&mut got).unwrap();
        assert_eq!(got, data);

        let failing = BufReader::new(FailsAfter {
            good: Cursor::new(data.clone()),
        });
        let mut ahead = read_ahead(Box::new(failing)).unwrap();
        let mut got = Vec::new();
        let err = ahead.read_to_end(&mut got).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        assert_eq!(got, data, "every byte before the error arrives first");
    }

    /// Lines wholly inside the reader's buffer are borrowed from it, the others
    /// copied piece by piece: both must give the same lines and positions.
    #[test]
    fn lines_read_the_same_whatever_the_buffer_size() {
        let data = b"a\r\nbb\n\nccc\r\n12345\n123456\n1234567\r\nlast\r";
        let read = |capacity: usize| {
            let mut lines = Lines::new(BufReader::with_capacity(capacity, &data[..]), 5);
            let mut out = Vec::new();
            while let Some(line) = lines.next_line().unwrap() {
                let line = match line {
                    Line::Text { number, bytes } => (number, Ok(bytes.to_vec())),
                    Line::TooLong {
                        number,
                        len,
                        prefix,
                    } => (number, Err((len, prefix.to_vec()))),
                };
                out.push((line, lines.position()));
            }
            out
        };
        let whole = read(1024);
        assert_eq!(whole.len(), 8);
        assert_eq!(whole[5].0, (6, Err((6, b"12345".to_vec()))));
        assert_eq!(whole[7].1, (8, data.len() as u64));
        for capacity in 1..9 {
            assert_eq!(read(capacity), whole, "buffer of {capacity} bytes");
        }
    }

    #[test]
    fn lines_are_numbered_and_stripped_of_line_endings() {
        let got = collect(b"a\r\nbb\n\nccc", 10);
        assert_eq!(
            got,
            vec![
                (1, Ok("a".into())),
                (2, Ok("bb".into())),
                (3, Ok(String::new())),
                (4, Ok("ccc".into()))
            ]
        );
    }

    #[test]
    fn lines_over_the_limit_are_reported_with_their_length() {
        let got = collect(b"12345\n123456\n1234\r\n", 5);
        assert_eq!(
            got,
            vec![(1, Ok("12345".into())), (2, Err(6)), (3, Ok("1234".into()))]
        );
    }

    #[test]
    fn line_of_exactly_the_limit_with_crlf_is_not_too_long() {
        let got = collect(b"12345\r\n", 5);
        assert_eq!(got, vec![(1, Ok("12345".into()))]);
    }

    #[test]
    fn decompress_passes_plain_text_through_untouched() {
        let input: Box<dyn BufRead + Send> = Box::new(&b"chr1\t1\t2\n"[..]);
        let mut out = String::new();
        decompress(input)
            .and_then(|mut r| r.read_to_string(&mut out))
            .expect("plain text");
        assert_eq!(out, "chr1\t1\t2\n");
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(data).expect("write");
        gz.finish().expect("finish")
    }

    fn read_all(bytes: Vec<u8>, limits: DecompressionLimits) -> io::Result<u64> {
        let input: Box<dyn BufRead + Send> = Box::new(Cursor::new(bytes));
        let mut reader = decompress_with_limits(input, limits)?;
        io::copy(&mut reader, &mut io::sink())
    }

    #[test]
    fn decompressed_bytes_beyond_the_limit_are_an_error_that_says_so() {
        let member = gzip(&vec![b'A'; 1 << 20]);
        let bomb = member.repeat(8);
        let limits = DecompressionLimits {
            max_bytes: 3 << 20,
            max_ratio: 0,
        };
        let err = read_all(bomb.clone(), limits).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(err.to_string().contains("more than 3145728 bytes"), "{err}");
        // Exactly at the limit is fine, and so is no limit.
        let limits = DecompressionLimits {
            max_bytes: 8 << 20,
            max_ratio: 0,
        };
        assert_eq!(read_all(bomb.clone(), limits).unwrap(), 8 << 20);
        assert_eq!(read_all(bomb, DecompressionLimits::NONE).unwrap(), 8 << 20);
    }

    #[test]
    fn a_gzip_bomb_is_stopped_by_its_ratio_soon_after_the_threshold() {
        // 16 MiB of zeros compress about 1000:1; 8 members make 128 MiB.
        let bomb = gzip(&vec![0; 16 << 20]).repeat(8);
        let limits = DecompressionLimits {
            max_bytes: 0,
            max_ratio: 500,
        };
        let err = read_all(bomb, limits).unwrap_err();
        assert!(err.to_string().contains("decompression bomb"), "{err}");
    }

    #[test]
    fn ordinary_compressed_text_is_far_below_the_ratio_limit() {
        let mut text = Vec::new();
        for i in 0..2_000_000u64 {
            let line = format!(
                "chr1\t{}\t{}\tpeak_{i}\t{}\t+\n",
                i * 50,
                i * 50 + 20,
                i % 1000
            );
            text.extend_from_slice(line.as_bytes());
        }
        assert!(text.len() as u64 > RATIO_CHECK_AFTER_BYTES);
        let limits = DecompressionLimits {
            max_bytes: 0,
            max_ratio: 100,
        };
        assert_eq!(read_all(gzip(&text), limits).unwrap(), text.len() as u64);
    }

    #[test]
    fn decompress_sees_the_magic_across_one_byte_reads() {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(b"hello\n").expect("write");
        let bytes = gz.finish().expect("finish");
        let input: Box<dyn BufRead + Send> =
            Box::new(BufReader::with_capacity(1, Cursor::new(bytes)));
        let mut out = String::new();
        decompress(input)
            .and_then(|mut r| r.read_to_string(&mut out))
            .expect("gzip");
        assert_eq!(out, "hello\n");
    }
}
