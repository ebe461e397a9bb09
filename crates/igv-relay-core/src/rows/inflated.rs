//! A bgzipped file's text cut into stretches of whole lines, each held in
//! memory, for a read in stretches on several threads (issue 28): BGZF
//! blocks inflate independently, so they are inflated on several threads
//! (noodles' multithreaded reader, [`crate::formats::inflate_bgzf`]), and one
//! sequential pass over the text cuts it after line breaks and counts the
//! lines, as [`super::stretches::Cutter`] does over a plain file. Lines that
//! cross a block's end need nothing special: the cut is made in the text,
//! not at the blocks.
//!
//! A stretch is held in memory, so a line longer than a row may be is not:
//! its bytes past what the line reader keeps of it are left out and read
//! back as spaces, which gives the same row (the reader keeps only the
//! start of such a line, and its length) without holding a gigabyte-long
//! line.

use std::io::{self, BufRead, Cursor, Read};

use crate::formats::StreamPosition;

/// Whole lines of a file's inflated text, and where they stand in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inflated {
    /// The lines, the last one without the bytes left out of it.
    bytes: Vec<u8>,
    /// Bytes left out of the last line (0 for most stretches).
    left_out: u64,
    /// Whether a line break follows the bytes left out (a long line that
    /// is not the file's last); other line breaks are in `bytes`.
    line_break: bool,
    /// Lines before the stretch, and the byte it starts at.
    line: u64,
    offset: u64,
}

impl Inflated {
    /// The stretch's bytes as the file has them (left-out bytes counted).
    pub fn text_len(&self) -> u64 {
        self.bytes.len() as u64 + self.left_out + u64::from(self.line_break)
    }

    /// Where a stream resumed at this stretch stands.
    pub fn position(&self) -> StreamPosition {
        StreamPosition {
            line: self.line,
            offset: self.offset,
        }
    }

    /// The stretch's text, for [`crate::formats::RecordStream::resume`]: the
    /// lines are read straight out of the buffer.
    pub fn into_input(self) -> Box<dyn BufRead + Send> {
        if self.left_out == 0 {
            return Box::new(Cursor::new(self.bytes));
        }
        let spaces = io::BufReader::new(io::repeat(b' ').take(self.left_out));
        let end: &'static [u8] = if self.line_break { b"\n" } else { b"" };
        Box::new(Cursor::new(self.bytes).chain(spaces).chain(end))
    }
}

/// The bytes read at once while cutting: a BGZF block's text at most, so
/// that a stretch ends soon after it reaches its size (a stretch and its
/// rows are held by several threads at once; with reads of 256 KiB they were
/// twice as large, and the service's peak RSS over ten exports 60 MB
/// rather than 47).
const READ_BYTES: usize = 64 * 1024;

/// Cuts inflated text into [`Inflated`] stretches of at least `size` bytes
/// that end just after a line break (the last may be shorter); of a line
/// longer than `keep` bytes only the first `keep` are held.
pub struct InflatedCutter<R> {
    input: R,
    size: usize,
    keep: usize,
    /// The stretch being cut: whole lines up to `line_start`, then the start
    /// of an unfinished line.
    buf: Vec<u8>,
    line_start: usize,
    /// Line breaks in `buf[..line_start]`.
    breaks: u64,
    /// Bytes of the unfinished line left out.
    left_out: u64,
    /// Lines before `buf`, and the byte it starts at.
    line: u64,
    offset: u64,
    /// `buf` holds bytes not looked at yet (after a long line's end).
    unscanned: bool,
    done: bool,
}

impl<R: Read> InflatedCutter<R> {
    /// `input`: the text from `from` on; `keep`: the most bytes of one line
    /// the line reader keeps (more are held when a line ends within a read).
    pub fn new(input: R, from: StreamPosition, size: u64, keep: usize) -> Self {
        Self {
            input,
            size: usize::try_from(size).unwrap_or(usize::MAX).max(1),
            keep: keep.max(1),
            buf: Vec::new(),
            line_start: 0,
            breaks: 0,
            left_out: 0,
            line: from.line,
            offset: from.offset,
            unscanned: false,
            done: false,
        }
    }

    /// Looks at `buf[from..]`, just read; a stretch if one is cut.
    fn scan(&mut self, from: usize) -> Option<Inflated> {
        let new = &self.buf[from..];
        if self.left_out > 0 {
            // Inside a line too long to hold: drop what is read up to its end.
            let Some(end) = memchr::memchr(b'\n', new) else {
                self.left_out += new.len() as u64;
                self.buf.truncate(from);
                return None;
            };
            self.left_out += end as u64;
            let rest = self.next_buf(from + end + 1);
            self.buf.truncate(from);
            self.unscanned = !rest.is_empty();
            return Some(self.cut_all(rest, true));
        }
        let Some(last) = memchr::memrchr(b'\n', new) else {
            let unfinished = self.buf.len() - self.line_start;
            if unfinished > self.keep {
                self.left_out = (unfinished - self.keep) as u64;
                self.buf.truncate(self.line_start + self.keep);
            }
            return None;
        };
        self.breaks += memchr::memchr_iter(b'\n', new).count() as u64;
        self.line_start = from + last + 1;
        if self.line_start < self.size {
            return None;
        }
        let tail = self.next_buf(self.line_start);
        self.buf.truncate(self.line_start);
        Some(self.cut_all(tail, false))
    }

    /// The stretch of all of `buf` (and the bytes left out of its last line,
    /// with the line break that ended it when `long_line_ended`); `next`
    /// starts the next stretch.
    fn cut_all(&mut self, next: Vec<u8>, long_line_ended: bool) -> Inflated {
        let breaks = self.breaks + u64::from(long_line_ended);
        let stretch = Inflated {
            bytes: std::mem::replace(&mut self.buf, next),
            left_out: std::mem::take(&mut self.left_out),
            line_break: long_line_ended,
            line: self.line,
            offset: self.offset,
        };
        self.line += breaks;
        self.offset += stretch.text_len();
        self.breaks = 0;
        self.line_start = 0;
        stretch
    }

    /// A buffer for the next stretch, starting with `buf[from..]`: room for
    /// a stretch up front, so that it is not copied as it grows.
    fn next_buf(&self, from: usize) -> Vec<u8> {
        let mut next = Vec::with_capacity(self.size.min(16 << 20) + 2 * READ_BYTES);
        next.extend_from_slice(&self.buf[from..]);
        next
    }

    /// Reads up to [`READ_BYTES`] more onto `buf`; how many (0 at the end).
    fn read_more(&mut self) -> io::Result<usize> {
        (&mut self.input)
            .take(READ_BYTES as u64)
            .read_to_end(&mut self.buf)
    }
}

impl<R: Read> Iterator for InflatedCutter<R> {
    type Item = io::Result<Inflated>;

    fn next(&mut self) -> Option<Self::Item> {
        if std::mem::take(&mut self.unscanned)
            && let Some(stretch) = self.scan(0)
        {
            return Some(Ok(stretch));
        }
        while !self.done {
            let old = self.buf.len();
            match self.read_more() {
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
                Ok(0) => {
                    self.done = true;
                    let empty = self.buf.is_empty() && self.left_out == 0;
                    return (!empty).then(|| Ok(self.cut_all(Vec::new(), false)));
                }
                Ok(_) => {
                    if let Some(stretch) = self.scan(old) {
                        return Some(Ok(stretch));
                    }
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Gives at most `step` bytes per read, as the inflater gives a block at a time.
    struct Trickle<'a> {
        data: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.data.len().min(self.step).min(buf.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    fn cut(
        text: &[u8],
        from: StreamPosition,
        size: u64,
        keep: usize,
        step: usize,
    ) -> Vec<Inflated> {
        let input = Trickle {
            data: &text[from.offset as usize..],
            step,
        };
        InflatedCutter::new(input, from, size, keep)
            .collect::<io::Result<Vec<_>>>()
            .unwrap()
    }

    fn read_all(stretch: Inflated) -> Vec<u8> {
        let mut out = Vec::new();
        stretch.into_input().read_to_end(&mut out).unwrap();
        out
    }

    #[test]
    fn stretches_are_whole_lines_numbered_from_the_start_with_long_lines_cut_short() {
        let mut text = b"#h1\n#h2\n".to_vec();
        for i in 0..20_000 {
            text.extend(format!("{i}\t{}\n", "x".repeat(i % 300)).bytes());
            if i % 5_000 == 7 {
                // Longer than `keep`, and than a read.
                text.extend(vec![b'y'; 3 * READ_BYTES + i]);
                text.push(b'\n');
            }
        }
        text.extend(b"last");
        let keep = 1_000;
        let from = StreamPosition { line: 2, offset: 8 };
        for step in [7, 4096, READ_BYTES] {
            let all = cut(&text, from, 20_000, keep, step);
            assert!(all.len() > 10, "{}", all.len());
            let mut offset = from.offset;
            let mut expected = Vec::new();
            for s in all {
                assert_eq!(s.offset, offset, "read {step} at a time");
                let lines = text[..offset as usize]
                    .iter()
                    .filter(|b| **b == b'\n')
                    .count();
                assert_eq!(s.line, lines as u64);
                offset += s.text_len();
                assert!(s.bytes.len() <= 20_000 + keep + 2 * READ_BYTES);
                expected.extend(read_all(s));
            }
            assert_eq!(offset, text.len() as u64, "every byte in one stretch");
            // What was read back is the text, but for the long lines' bytes
            // past `keep`, which are spaces.
            let mut want = Vec::new();
            for line in text[from.offset as usize..].split_inclusive(|b| *b == b'\n') {
                let (body, end) = match line.split_last() {
                    Some((b'\n', body)) => (body, &b"\n"[..]),
                    _ => (line, &b""[..]),
                };
                want.extend(&body[..body.len().min(keep)]);
                want.extend(std::iter::repeat_n(b' ', body.len().saturating_sub(keep)));
                want.extend(end);
            }
            assert!(expected == want, "read {step} at a time");
        }
    }

    #[test]
    fn a_file_ending_in_a_long_line_without_a_break_keeps_its_length() {
        let mut text = b"a\n".to_vec();
        text.extend(vec![b'z'; 5_000]);
        let all = cut(&text, StreamPosition { line: 0, offset: 0 }, 1, 100, 64);
        let lens: Vec<(u64, u64, u64)> = all
            .iter()
            .map(|s| (s.offset, s.text_len(), s.line))
            .collect();
        assert_eq!(lens, [(0, 2, 0), (2, 5_000, 1)]);
        assert_eq!(read_all(all[1].clone()).len(), 5_000);
    }
}
