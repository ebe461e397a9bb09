//! Where rows start in the files recently paged through (the page index):
//! for each file version and view, the stream position before every
//! [`CHECKPOINT_EVERY`]-th row. A later visit to page 5,000 of a
//! million-row file then resumes at most that many rows before it instead
//! of reading half the file.
//!
//! Owned by whoever serves pages (the service's state), never a `static`:
//! two services in one process (the tests) keep their own. Bounded:
//! [`MAX_CHECKPOINTS`] positions in all, the least recently used files
//! forgotten first. A changed file has a new size or version, so a new
//! entry; the old one ages out.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

use super::filter::Filters;
use crate::formats::{
    DecompressionLimits, FormatKind, FormatOptions, LocalFile, RemoteFile, Reopen, StreamPosition,
};

/// Rows between two remembered positions: a later page reads at most this many
/// rows (parsing them only when a filter is active) before its own.
pub const CHECKPOINT_EVERY: u64 = 1024;
/// Most positions remembered over all files: 32 bytes each, so 8 MiB at most.
pub const MAX_CHECKPOINTS: usize = 256 * 1024;
/// Most positions remembered for one file; past it every other one is dropped and
/// the stretch between them doubles (a billion-row file still fits).
const MAX_CHECKPOINTS_PER_FILE: usize = 64 * 1024;
/// Positions found are handed to the shared index in batches (one lock each).
pub(super) const FLUSH_EVERY: usize = 256;

/// Where a file is.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum FilePlace {
    Path(PathBuf),
    /// A file elsewhere, by what names it there (a Galaxy dataset).
    Remote(String),
}

/// What tells one version of a file from the next.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum FileVersion {
    /// A local file's modification time (when the file system has one).
    Modified(Option<SystemTime>),
    /// What the file's server says (Galaxy's update time).
    Upstream(String),
}

/// One version of one file.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FileIdentity {
    pub place: FilePlace,
    pub len: u64,
    pub version: FileVersion,
}

impl FileIdentity {
    /// A local file as it is now; `None` when it cannot be looked at.
    pub fn of_path(path: &Path) -> Option<Self> {
        let meta = std::fs::metadata(path).ok()?;
        meta.is_file().then(|| Self {
            place: FilePlace::Path(path.to_path_buf()),
            len: meta.len(),
            version: FileVersion::Modified(meta.modified().ok()),
        })
    }

    pub fn of_remote(file: &RemoteFile) -> Self {
        Self {
            place: FilePlace::Remote(file.identity.clone()),
            len: file.len,
            version: FileVersion::Upstream(file.version.clone()),
        }
    }
}

/// Which rows of a file a view reads: the format and how it is read, the
/// built-in filters, and the conditions as written (the same text selects
/// the same rows of the same file).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RowsKey {
    pub kind: FormatKind,
    pub options: FormatOptions,
    pub filters: Filters,
    pub conditions: Option<String>,
}

impl RowsKey {
    pub fn new(
        kind: FormatKind,
        options: &FormatOptions,
        filters: &Filters,
        conditions: Option<&str>,
    ) -> Self {
        Self {
            kind,
            // What a read leaves out or reads ahead does not change which
            // rows there are.
            options: FormatOptions {
                cells: true,
                read_ahead: false,
                ..options.clone()
            },
            filters: filters.clone(),
            conditions: conditions.map(str::to_owned),
        }
    }
}

/// A file whose row positions can be remembered between requests, and how
/// to read it again from an offset.
#[derive(Clone, Debug)]
pub struct SeekableFile {
    pub identity: FileIdentity,
    reopen: Arc<dyn Reopen>,
    decompression: DecompressionLimits,
}

impl SeekableFile {
    /// A local file; `None` when it cannot be looked at (it is then read without an index).
    pub fn local(path: &Path, decompression: DecompressionLimits) -> Option<Self> {
        Some(Self {
            identity: FileIdentity::of_path(path)?,
            reopen: Arc::new(LocalFile(path.to_path_buf())),
            decompression,
        })
    }

    /// A file elsewhere, e.g. a Galaxy dataset read with Range requests.
    pub fn remote(file: &RemoteFile, decompression: DecompressionLimits) -> Self {
        Self {
            identity: FileIdentity::of_remote(file),
            reopen: file.reopen.clone(),
            decompression,
        }
    }

    /// The file's decompressed bytes from `at` on.
    pub fn reopen_at(
        &self,
        at: StreamPosition,
    ) -> std::io::Result<Box<dyn std::io::BufRead + Send>> {
        self.reopen.reopen_at(at.offset, self.decompression)
    }
}

/// The rows of one view of one file version.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CheckpointKey {
    pub file: FileIdentity,
    pub rows: RowsKey,
}

/// The page index (see the module comment).
pub struct Checkpoints {
    inner: Mutex<Index>,
    /// Rows between positions for a file not seen before.
    stride: u64,
}

impl Default for Checkpoints {
    fn default() -> Self {
        Self::with_stride(CHECKPOINT_EVERY)
    }
}

#[derive(Default)]
struct Index {
    files: HashMap<CheckpointKey, FilePositions>,
    total: usize,
    clock: u64,
}

struct FilePositions {
    every: u64,
    /// `points[i]` is the position before row `(i + 1) * every` (0-based rows).
    points: Vec<StreamPosition>,
    used: u64,
}

impl Checkpoints {
    /// An index that keeps a position every `stride` rows (at least 1): a
    /// sort order keeps its own, denser one (`view::sort`), since each row
    /// of a sorted page is reached on its own.
    pub fn with_stride(stride: u64) -> Self {
        Self {
            inner: Mutex::default(),
            stride: stride.max(1),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Index> {
        // A panic elsewhere while holding the lock leaves consistent data.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Positions remembered over all files (for tests and the benchmarks).
    pub fn remembered(&self) -> usize {
        self.lock().total
    }

    /// The last remembered position at or before row `row`: `(row, position)`.
    pub fn nearest(&self, key: &CheckpointKey, row: u64) -> Option<(u64, StreamPosition)> {
        let mut index = self.lock();
        index.clock += 1;
        let clock = index.clock;
        let file = index.files.get_mut(key)?;
        file.used = clock;
        let n = usize::try_from(row / file.every)
            .unwrap_or(usize::MAX)
            .min(file.points.len());
        let at = *file.points.get(n.checked_sub(1)?)?;
        Some((n as u64 * file.every, at))
    }

    /// Rows between the positions kept for `key` (they widen for long files).
    pub fn every(&self, key: &CheckpointKey) -> u64 {
        self.lock().files.get(key).map_or(self.stride, |f| f.every)
    }

    /// Adds positions found by a read that used a stretch of `every` rows; only
    /// those that extend what is known, in order, are kept.
    pub fn record(&self, key: &CheckpointKey, every: u64, found: &[(u64, StreamPosition)]) {
        let mut index = self.lock();
        index.clock += 1;
        let clock = index.clock;
        let file = index.files.entry(key.clone()).or_insert(FilePositions {
            every,
            points: Vec::new(),
            used: clock,
        });
        file.used = clock;
        let before = file.points.len();
        for &(row, at) in found {
            if row == (file.points.len() as u64 + 1) * file.every {
                file.points.push(at);
            }
            if file.points.len() >= MAX_CHECKPOINTS_PER_FILE {
                // Keep the positions before rows 2k, 4k, ...: points[1], points[3], ...
                file.points = file.points.iter().skip(1).step_by(2).copied().collect();
                file.every *= 2;
            }
        }
        let after = file.points.len();
        index.total = index.total + after - before;
        index.forget_oldest();
    }
}

impl Index {
    fn forget_oldest(&mut self) {
        while self.total > MAX_CHECKPOINTS {
            let Some(oldest) = self
                .files
                .iter()
                .min_by_key(|(_, f)| f.used)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            if let Some(gone) = self.files.remove(&oldest) {
                self.total -= gone.points.len();
            }
        }
    }
}

/// Where a read notes row positions for the page index, handing them over
/// in batches (and the rest when it ends).
pub(super) struct Recorder<'c> {
    checkpoints: &'c Checkpoints,
    pub(super) key: CheckpointKey,
    pub(super) file: SeekableFile,
    /// The file's stretch between positions when the read started.
    pub(super) every: u64,
    /// Positions found and not yet handed to the shared index.
    found: Vec<(u64, StreamPosition)>,
}

impl<'c> Recorder<'c> {
    pub(super) fn new(checkpoints: &'c Checkpoints, file: SeekableFile, rows: RowsKey) -> Self {
        let key = CheckpointKey {
            file: file.identity.clone(),
            rows,
        };
        let every = checkpoints.every(&key);
        Self {
            checkpoints,
            key,
            file,
            every,
            found: Vec::new(),
        }
    }

    pub(super) fn nearest(&self, row: u64) -> Option<(u64, StreamPosition)> {
        self.checkpoints.nearest(&self.key, row)
    }

    /// After `rows` rows of the view (counted from the file's start), the
    /// stream stood at `at`.
    pub(super) fn after(&mut self, rows: u64, at: StreamPosition) {
        if rows.is_multiple_of(self.every) {
            self.found.push((rows, at));
            if self.found.len() >= FLUSH_EVERY {
                self.flush();
            }
        }
    }

    fn flush(&mut self) {
        if !self.found.is_empty() {
            self.checkpoints.record(&self.key, self.every, &self.found);
            self.found.clear();
        }
    }
}

impl Drop for Recorder<'_> {
    fn drop(&mut self) {
        self.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_per_file_are_thinned_past_the_cap() {
        let checkpoints = Checkpoints::default();
        let key = CheckpointKey {
            file: FileIdentity {
                place: FilePlace::Path("/nonexistent/thin-test".into()),
                len: 1,
                version: FileVersion::Modified(None),
            },
            rows: RowsKey::new(
                FormatKind::Vcf,
                &FormatOptions::default(),
                &Filters::default(),
                None,
            ),
        };
        let every = 2;
        let found: Vec<(u64, StreamPosition)> = (1..=MAX_CHECKPOINTS_PER_FILE as u64 + 10)
            .map(|i| {
                (
                    i * every,
                    StreamPosition {
                        line: i * every,
                        offset: i * every * 10,
                    },
                )
            })
            .collect();
        checkpoints.record(&key, every, &found);
        let index = checkpoints.lock();
        let file = index.files.get(&key).expect("recorded");
        assert!(file.points.len() < MAX_CHECKPOINTS_PER_FILE);
        assert!(file.every >= 2 * every);
        // Every kept position is still the one before its row.
        for (i, at) in file.points.iter().enumerate() {
            assert_eq!(at.line, (i as u64 + 1) * file.every);
        }
        assert!(index.total <= MAX_CHECKPOINTS);
    }

    #[test]
    fn what_a_read_leaves_out_does_not_change_the_key() {
        let plain = RowsKey::new(
            FormatKind::Vcf,
            &FormatOptions::default(),
            &Filters::default(),
            None,
        );
        let export = RowsKey::new(
            FormatKind::Vcf,
            &FormatOptions {
                cells: false,
                read_ahead: true,
                ..FormatOptions::default()
            },
            &Filters::default(),
            None,
        );
        assert_eq!(plain, export);
        let filtered = RowsKey::new(
            FormatKind::Vcf,
            &FormatOptions::default(),
            &Filters::default(),
            Some("DP>10"),
        );
        assert_ne!(plain, filtered);
    }
}
