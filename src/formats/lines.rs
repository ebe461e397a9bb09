//! Decompression and a line reader that never holds more than `max` bytes of a line.

use std::io::{self, BufRead, BufReader, Cursor, Read};

use flate2::read::MultiGzDecoder;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Wraps `input` in a gzip decoder when it starts with the gzip magic `1f 8b`.
///
/// `MultiGzDecoder` reads plain gzip and BGZF alike (BGZF is a series of gzip members);
/// noodles-bgzf would reject plain gzip. Peeked bytes are put back, so nothing is lost
/// even if the first `fill_buf` returns a single byte.
pub fn decompress(mut input: Box<dyn BufRead + Send>) -> io::Result<Box<dyn BufRead + Send>> {
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
    if is_gzip {
        Ok(Box::new(BufReader::new(MultiGzDecoder::new(rejoined))))
    } else {
        Ok(Box::new(rejoined))
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
    number: u64,
    max: usize,
}

impl<R: BufRead> Lines<R> {
    pub(crate) fn new(inner: R, max: usize) -> Self {
        Lines {
            inner,
            buf: Vec::new(),
            number: 0,
            max,
        }
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
