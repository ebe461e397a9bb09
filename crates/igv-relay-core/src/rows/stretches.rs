//! A plain text file cut into stretches of whole lines, and work on them
//! spread over threads with the results kept in file order: how a full export
//! of a large uncompressed file uses more than one core.
//!
//! Cutting needs no parsing: one sequential read finds line ends and counts
//! lines, so each stretch knows the number of its first line, which is all a
//! record stream needs to go on from there ([`crate::formats::RecordStream::resume`]).
//! The row reader reads a file this way ([`super::read_in_stretches`]).

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use crate::formats::{FormatKind, FormatOptions, RecordStream, StreamPosition};

/// A plain file is cut into stretches of about this size, each parsed on one
/// thread; an export sends each stretch's rows as one chunk of about twice
/// its size: small enough that the chunks queued for the client and the
/// threads keep memory flat (a few MB).
pub const STRETCH_BYTES: u64 = 256 << 10;

/// Smaller files are read on one thread: a few stretches would not pay for a
/// second header read and the threads.
pub const MIN_STRETCHED_BYTES: u64 = 8 << 20;

/// Threads a pass in stretches uses: the cores there are, at most 4 (an
/// export's response is written by one thread, which more parsers would
/// outrun).
pub fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(4))
}

/// A stream over the file at `path` with its header read: what a worker
/// resumes at each of its stretches ([`Stretch::open`]).
pub fn header_stream(
    kind: FormatKind,
    path: &Path,
    options: &FormatOptions,
) -> io::Result<Box<dyn RecordStream + Send>> {
    let input = Box::new(io::BufReader::with_capacity(64 * 1024, File::open(path)?));
    crate::formats::open(kind, input, options).map_err(io::Error::other)
}

/// Whole lines `start..end` of a file; `line` lines come before `start`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stretch {
    pub start: u64,
    pub end: u64,
    pub line: u64,
}

impl Stretch {
    /// The stretch's bytes of the file at `path`, for [`crate::formats::RecordStream::resume`].
    pub fn open(&self, path: &Path) -> io::Result<Box<dyn io::BufRead + Send>> {
        let mut file = File::open(path)?;
        file.seek(SeekFrom::Start(self.start))?;
        Ok(Box::new(
            io::BufReader::with_capacity(64 * 1024, file).take(self.end - self.start),
        ))
    }

    /// Where a stream resumed at this stretch stands.
    pub fn position(&self) -> StreamPosition {
        StreamPosition {
            line: self.line,
            offset: self.start,
        }
    }
}

/// The bytes read at once while cutting.
const READ_BYTES: usize = 256 * 1024;

/// Cuts the file from `from` to its end into stretches of at least `size`
/// bytes (the last may be shorter) that end just after a line break. A line
/// longer than `size` makes its stretch longer; the cutter holds only its
/// read buffer whatever the lines.
pub struct Cutter {
    file: File,
    buf: Vec<u8>,
    size: u64,
    /// Where the next read starts, and the lines before it.
    pos: u64,
    lines: u64,
    /// The stretch being cut.
    start: u64,
    start_line: u64,
    done: bool,
}

impl Cutter {
    pub fn new(path: &Path, from: StreamPosition, size: u64) -> io::Result<Self> {
        let mut file = File::open(path)?;
        file.seek(SeekFrom::Start(from.offset))?;
        Ok(Self {
            file,
            buf: vec![0; READ_BYTES],
            size: size.max(1),
            pos: from.offset,
            lines: from.line,
            start: from.offset,
            start_line: from.line,
            done: false,
        })
    }
}

impl Iterator for Cutter {
    type Item = io::Result<Stretch>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            let n = match self.file.read(&mut self.buf) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            };
            if n == 0 {
                self.done = true;
                return (self.pos > self.start).then_some(Ok(Stretch {
                    start: self.start,
                    end: self.pos,
                    line: self.start_line,
                }));
            }
            let block = &self.buf[..n];
            let block_start = self.pos;
            self.pos += n as u64;
            let cut = if self.pos - self.start >= self.size {
                memchr::memrchr(b'\n', block)
            } else {
                None
            };
            match cut {
                None => self.lines += memchr::memchr_iter(b'\n', block).count() as u64,
                Some(last) => {
                    let before = memchr::memchr_iter(b'\n', &block[..=last]).count() as u64;
                    let after = memchr::memchr_iter(b'\n', &block[last + 1..]).count() as u64;
                    let stretch = Stretch {
                        start: self.start,
                        end: block_start + last as u64 + 1,
                        line: self.start_line,
                    };
                    self.start = stretch.end;
                    self.start_line = self.lines + before;
                    self.lines += before + after;
                    return Some(Ok(stretch));
                }
            }
        }
        None
    }
}

/// Runs `work` on every item on `workers` threads, each with state of its
/// own from `init`, and hands the results to `sink` in the items' order.
/// Item `i` goes to worker `i % workers`, so results come back in order from
/// the workers in turn; channels of one item each bound what is held to a
/// few items and results per worker. The first error (from the items,
/// `init`, `work` or `sink`) stops everything and is returned; `sink`
/// failing (a client gone) stops the workers at their next send.
pub fn in_order<I, T, S, R>(
    workers: usize,
    items: I,
    init: impl Fn() -> io::Result<S> + Sync,
    work: impl Fn(&mut S, T) -> io::Result<R> + Sync,
    mut sink: impl FnMut(R) -> io::Result<()>,
) -> io::Result<()>
where
    I: Iterator<Item = io::Result<T>> + Send,
    T: Send,
    R: Send,
{
    let workers = workers.max(1);
    std::thread::scope(|scope| {
        let mut to_workers: Vec<SyncSender<T>> = Vec::with_capacity(workers);
        let mut from_workers: Vec<Receiver<io::Result<R>>> = Vec::with_capacity(workers);
        for _ in 0..workers {
            let (item_tx, item_rx) = sync_channel::<T>(1);
            let (result_tx, result_rx) = sync_channel::<io::Result<R>>(1);
            to_workers.push(item_tx);
            from_workers.push(result_rx);
            let (init, work) = (&init, &work);
            scope.spawn(move || {
                let mut state = match init() {
                    Ok(state) => state,
                    Err(e) => {
                        let _ = result_tx.send(Err(e));
                        return;
                    }
                };
                for item in item_rx {
                    let result = work(&mut state, item);
                    let failed = result.is_err();
                    if result_tx.send(result).is_err() || failed {
                        return;
                    }
                }
            });
        }
        // The items are dealt out on a thread of their own, so that reading
        // them never waits for the sink.
        let (error_tx, error_rx) = sync_channel::<io::Error>(1);
        scope.spawn(move || {
            for (i, item) in items.enumerate() {
                match item {
                    Ok(item) => {
                        if to_workers[i % workers].send(item).is_err() {
                            return;
                        }
                    }
                    Err(e) => {
                        let _ = error_tx.send(e);
                        return;
                    }
                }
            }
        });
        let mut i = 0usize;
        loop {
            match from_workers[i % workers].recv() {
                Ok(Ok(result)) => sink(result)?,
                Ok(Err(e)) => return Err(e),
                // That worker has no item `i`: the items ended, or failed.
                Err(_) => break,
            }
            i += 1;
        }
        // Dropping the receivers (on return) stops workers still sending.
        match error_rx.try_recv() {
            Ok(e) => Err(e),
            Err(_) => Ok(()),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file(text: &[u8]) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(text).unwrap();
        f
    }

    fn stretches(text: &[u8], from: StreamPosition, size: u64) -> Vec<Stretch> {
        let f = file(text);
        Cutter::new(f.path(), from, size)
            .unwrap()
            .collect::<io::Result<Vec<_>>>()
            .unwrap()
    }

    #[test]
    fn stretches_are_whole_lines_numbered_from_the_start() {
        // 30,000 lines of varied length after a 2-line header, last without a break.
        let mut text = b"#h1\n#h2\n".to_vec();
        for i in 0..30_000 {
            text.extend(format!("{i}\t{}\n", "x".repeat(i % 300)).bytes());
        }
        text.extend(b"last");
        let header = 8;
        let all = stretches(
            &text,
            StreamPosition {
                line: 2,
                offset: header,
            },
            20_000,
        );
        assert!(all.len() > 10, "{}", all.len());
        let mut expected_start = header;
        for s in &all {
            assert_eq!(s.start, expected_start);
            expected_start = s.end;
            // Lines before it, counted independently.
            let lines = text[..s.start as usize]
                .iter()
                .filter(|b| **b == b'\n')
                .count() as u64;
            assert_eq!(s.line, lines, "{s:?}");
            assert!(s.start == header || text[s.start as usize - 1] == b'\n');
        }
        assert_eq!(
            expected_start,
            text.len() as u64,
            "every byte in one stretch"
        );
    }

    #[test]
    fn a_line_longer_than_a_stretch_stays_whole() {
        let mut text = b"a\n".to_vec();
        text.extend(vec![b'y'; 3 * READ_BYTES]);
        text.extend(b"\nb\n");
        let all = stretches(&text, StreamPosition { line: 0, offset: 0 }, 10);
        // The first read ends inside the long line: the cut is after `a`; the
        // next break is the long line's own, and the file's end follows.
        let cuts: Vec<(u64, u64, u64)> = all.iter().map(|s| (s.start, s.end, s.line)).collect();
        assert_eq!(cuts, [(0, 2, 0), (2, text.len() as u64, 1)]);
    }

    #[test]
    fn results_come_in_order_and_errors_stop_the_run() {
        for workers in 1..4 {
            let items = (0..100u64).map(Ok);
            let mut seen = Vec::new();
            in_order(
                workers,
                items,
                || Ok(0u64),
                |count, i| {
                    *count += 1;
                    // Later items are quicker: order must not come from timing.
                    std::thread::sleep(std::time::Duration::from_micros(100 - i));
                    Ok(i * 2)
                },
                |r| {
                    seen.push(r);
                    Ok(())
                },
            )
            .unwrap();
            assert_eq!(seen, (0..100).map(|i| i * 2).collect::<Vec<_>>());
        }
        let failed = in_order(
            2,
            (0..100u64).map(Ok),
            || Ok(()),
            |_, i| {
                if i == 40 {
                    Err(io::Error::other("item 40"))
                } else {
                    Ok(i)
                }
            },
            |_| Ok(()),
        );
        assert_eq!(failed.unwrap_err().to_string(), "item 40");
        let sink_failed = in_order(
            2,
            (0..u64::MAX).map(Ok),
            || Ok(()),
            |_, i| Ok(i),
            |i| {
                if i == 10 {
                    Err(io::Error::new(io::ErrorKind::BrokenPipe, "gone"))
                } else {
                    Ok(())
                }
            },
        );
        assert_eq!(sink_failed.unwrap_err().kind(), io::ErrorKind::BrokenPipe);
        let items_failed = in_order(
            2,
            (0..10u64).map(|i| {
                if i < 5 {
                    Ok(i)
                } else {
                    Err(io::Error::other("read"))
                }
            }),
            || Ok(()),
            |_, i| Ok(i),
            |_| Ok(()),
        );
        assert_eq!(items_failed.unwrap_err().to_string(), "read");
    }
}
