//! Totals and the overview picture of a view: how many records it has (PASS
//! and filtered apart for VCF), and where they lie, binned along each
//! chromosome. One pass over the file computes both ([`TallySink`]), the
//! same pass that fills the page index ([`crate::rows::Checkpoints`]); for a
//! large local file it runs in the background, once per file and view
//! ([`Tallies`], owned by the service), and the page says "at least …" until
//! it is done. Memory is bounded: a few thousand bins per chromosome (their
//! width doubles when a chromosome needs more) and a few hundred chromosomes.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::domain::genome::GenomeId;
use crate::formats::Interval;
use crate::recent::Recent;
use crate::rows::{CheckpointKey, RefusalCounts, Row, RowSink};

/// Bins one chromosome may have before their width doubles.
const MAX_BINS_PER_CHROM: usize = 2048;
/// Chromosomes binned; records on others are counted, not placed.
const MAX_CHROMS: usize = 500;
/// The narrowest bin.
const FIRST_BIN_BP: u64 = 1_000;
/// Views whose tallies are remembered; the oldest is forgotten first.
const MAX_TALLIES: usize = 64;
/// Background tallies running at once; more requests wait for a later visit.
const MAX_RUNNING: usize = 2;

/// Records of one chromosome, per bin: `(PASS or unfiltered, failed FILTER)`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChromBins {
    pub name: String,
    /// The furthest end of a record seen on it.
    pub max_end: u64,
    pub bins: Vec<(u32, u32)>,
    /// GWAS: the highest score (−log10 P) of each bin's records, for the
    /// Manhattan plot, as [`Peak`]s; empty when the view scores nothing.
    pub peaks: Vec<Peak>,
}

/// A bin's highest score in hundredths, plus one: 0 is no scored record,
/// `u16::MAX` an infinite score (P = 0). Whole numbers keep the tally
/// comparable (a merged tally equals one counted in one pass) and small.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Peak(u16);

impl Peak {
    fn of(score: f32) -> Self {
        if score.is_infinite() && score > 0.0 {
            return Peak(u16::MAX);
        }
        let hundredths = (score.max(0.0) * 100.0).round();
        Peak((hundredths.min(f32::from(u16::MAX - 2)) as u16) + 1)
    }

    /// `None`: no scored record; `Some(f32::INFINITY)` for P = 0.
    pub fn score(self) -> Option<f32> {
        match self.0 {
            0 => None,
            u16::MAX => Some(f32::INFINITY),
            n => Some(f32::from(n - 1) / 100.0),
        }
    }
}

/// Counts of a whole view, and where its records lie.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tally {
    pub records: u64,
    /// VCF: records whose FILTER is not PASS (nor `.`).
    pub failed: u64,
    pub bin_bp: u64,
    /// In order of first appearance in the file.
    pub chroms: Vec<ChromBins>,
    /// Records on chromosomes past [`MAX_CHROMS`], counted but not placed.
    pub unplaced: u64,
    /// Records without a link, by why (the page's refusal summary).
    pub refused: RefusalCounts,
    /// SEG: the first [`super::segments::MAX_SEGMENTS`] segments, for the
    /// per-sample picture of segment means.
    pub segments: super::segments::Segments,
}

impl Default for Tally {
    fn default() -> Self {
        Self {
            records: 0,
            failed: 0,
            bin_bp: FIRST_BIN_BP,
            chroms: Vec::new(),
            unplaced: 0,
            refused: RefusalCounts::default(),
            segments: super::segments::Segments::default(),
        }
    }
}

impl Tally {
    /// Counts one record: its first interval (as the file gives it) and
    /// whether it failed its VCF FILTER.
    pub fn add(&mut self, interval: Option<&Interval>, failed: bool) {
        self.records += 1;
        if failed {
            self.failed += 1;
        }
        let Some(interval) = interval else {
            self.unplaced += 1;
            return;
        };
        let Some(index) = self.chrom_slot(&interval.chrom) else {
            self.unplaced += 1;
            return;
        };
        // Bin `b` holds 1-based positions `b * bin_bp + 1 ..= (b + 1) * bin_bp`.
        let position = interval.start.max(1);
        while ((position - 1) / self.bin_bp) as usize >= MAX_BINS_PER_CHROM {
            self.widen();
        }
        let chrom = &mut self.chroms[index];
        chrom.max_end = chrom.max_end.max(interval.end.max(position));
        let bin = ((position - 1) / self.bin_bp) as usize;
        if chrom.bins.len() <= bin {
            chrom.bins.resize(bin + 1, (0, 0));
        }
        let counts = &mut chrom.bins[bin];
        if failed {
            counts.1 = counts.1.saturating_add(1);
        } else {
            counts.0 = counts.0.saturating_add(1);
        }
    }

    /// Raises the peak of the bin holding `interval` to `score` (a record
    /// already counted with [`Self::add`]).
    pub fn peak(&mut self, interval: &Interval, score: f32) {
        let Some(index) = self.chroms.iter().position(|c| c.name == interval.chrom) else {
            return;
        };
        let bin = ((interval.start.max(1) - 1) / self.bin_bp) as usize;
        let peaks = &mut self.chroms[index].peaks;
        if peaks.len() <= bin {
            peaks.resize(bin + 1, Peak::default());
        }
        peaks[bin] = peaks[bin].max(Peak::of(score));
    }

    /// Adds the tally of the records that follow this one's in the file (a
    /// later stretch, counted apart): the same as if one pass had counted
    /// both.
    pub fn merge(&mut self, mut later: Tally) {
        while self.bin_bp < later.bin_bp {
            self.widen();
        }
        while later.bin_bp < self.bin_bp {
            later.widen();
        }
        self.records += later.records;
        self.failed += later.failed;
        self.unplaced += later.unplaced;
        self.refused.merge(&later.refused);
        self.segments.merge(std::mem::take(&mut later.segments));
        for chrom in later.chroms {
            let Some(index) = self.chrom_slot(&chrom.name) else {
                self.unplaced += chrom
                    .bins
                    .iter()
                    .map(|(a, b)| u64::from(*a) + u64::from(*b))
                    .sum::<u64>();
                continue;
            };
            let mine = &mut self.chroms[index];
            mine.max_end = mine.max_end.max(chrom.max_end);
            if mine.bins.len() < chrom.bins.len() {
                mine.bins.resize(chrom.bins.len(), (0, 0));
            }
            for (to, from) in mine.bins.iter_mut().zip(chrom.bins) {
                to.0 = to.0.saturating_add(from.0);
                to.1 = to.1.saturating_add(from.1);
            }
            if mine.peaks.len() < chrom.peaks.len() {
                mine.peaks.resize(chrom.peaks.len(), Peak::default());
            }
            for (to, from) in mine.peaks.iter_mut().zip(chrom.peaks) {
                *to = (*to).max(from);
            }
        }
    }

    /// The index of chromosome `name`'s bins, added if new; `None` once
    /// [`MAX_CHROMS`] chromosomes have bins.
    fn chrom_slot(&mut self, name: &str) -> Option<usize> {
        if let Some(i) = self.chroms.iter().position(|c| c.name == name) {
            return Some(i);
        }
        if self.chroms.len() >= MAX_CHROMS {
            return None;
        }
        self.chroms.push(ChromBins {
            name: name.to_owned(),
            ..ChromBins::default()
        });
        Some(self.chroms.len() - 1)
    }

    /// Doubles the bin width, merging neighbours.
    fn widen(&mut self) {
        self.bin_bp *= 2;
        for chrom in &mut self.chroms {
            chrom.bins = chrom
                .bins
                .chunks(2)
                .map(|pair| {
                    pair.iter().fold((0u32, 0u32), |(a, b), (c, d)| {
                        (a.saturating_add(*c), b.saturating_add(*d))
                    })
                })
                .collect();
            chrom.peaks = chrom
                .peaks
                .chunks(2)
                .map(|pair| pair.iter().copied().max().unwrap_or_default())
                .collect();
        }
    }
}

/// Counts rows into a [`Tally`]: a whole view's, or one stretch's.
#[derive(Default)]
pub struct TallySink {
    pub tally: Tally,
    /// The column whose number is each bin's peak (a GWAS's `mlog10p`).
    pub score_column: Option<usize>,
    /// SEG: the columns of the sample and the segment mean.
    pub segment_columns: Option<(usize, usize)>,
}

impl TallySink {
    pub fn scoring(score_column: Option<usize>) -> Self {
        Self {
            score_column,
            ..Self::default()
        }
    }
}

impl RowSink for TallySink {
    fn row(&mut self, row: Row) -> std::io::Result<()> {
        self.tally.add(row.interval.as_ref(), row.filter_failed);
        if let (Some((sample, mean)), Some(interval)) = (self.segment_columns, &row.interval)
            && let (Some(sample), Some(mean)) = (
                row.cells.get(sample),
                row.cells
                    .get(mean)
                    .and_then(|m| m.trim().parse::<f32>().ok()),
            )
        {
            self.tally.segments.add(sample, interval, mean);
        }
        if let (Some(column), Some(interval)) = (self.score_column, &row.interval)
            && let Some(score) = row.cells.get(column).and_then(|c| c.parse::<f32>().ok())
        {
            self.tally.peak(interval, score);
        }
        if let Err(refusal) = &row.loci {
            self.tally.refused.add(refusal);
        }
        Ok(())
    }
}

/// Which tally: the rows of a view of a file version, with the genome and
/// flank their loci were checked with (refusals depend on both).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TallyKey {
    pub rows: CheckpointKey,
    pub genome: Option<GenomeId>,
    pub flank: u64,
}

/// A view's tally, as far as it is known.
#[derive(Clone, Debug)]
pub enum Known {
    Done(Arc<Tally>),
    /// Being counted in the background.
    Running,
    /// Counting failed (the file could not be read to its end).
    Failed,
    Unknown,
}

/// A view's entry: being counted, counted, or not countable (a file that
/// fails to read is not read again for every visit).
#[derive(Clone)]
enum Entry {
    Running,
    Done(Arc<Tally>),
    Failed,
}

/// The tallies of the views recently shown (see the module comment).
pub struct Tallies {
    entries: Mutex<Recent<TallyKey, Entry>>,
    running: AtomicUsize,
}

impl Default for Tallies {
    fn default() -> Self {
        Self {
            entries: Mutex::new(Recent::new(MAX_TALLIES)),
            running: AtomicUsize::new(0),
        }
    }
}

impl Tallies {
    fn lock(&self) -> MutexGuard<'_, Recent<TallyKey, Entry>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// What is known of the view `key`.
    pub fn known(&self, key: &TallyKey) -> Known {
        match self.lock().get(key) {
            Some(Entry::Done(tally)) => Known::Done(tally.clone()),
            Some(Entry::Running) => Known::Running,
            Some(Entry::Failed) => Known::Failed,
            None => Known::Unknown,
        }
    }

    /// Remembers a count's outcome.
    pub fn remember(&self, key: TallyKey, counted: std::io::Result<Tally>) -> Known {
        let (entry, known) = match counted {
            Ok(tally) => {
                let tally = Arc::new(tally);
                (Entry::Done(tally.clone()), Known::Done(tally))
            }
            Err(e) => {
                tracing::warn!(error = %e, "counting a file's records failed");
                (Entry::Failed, Known::Unknown)
            }
        };
        self.lock()
            .insert(key, entry, |e| !matches!(e, Entry::Running));
        known
    }

    /// Starts `count` on a thread of its own unless the view is being counted
    /// already or too many counts run; its outcome is remembered under `key`.
    pub fn start(
        self: &Arc<Self>,
        key: TallyKey,
        count: impl FnOnce() -> std::io::Result<Tally> + Send + 'static,
    ) {
        {
            let mut entries = self.lock();
            if entries.contains(&key) {
                return;
            }
            if self.running.fetch_add(1, Ordering::SeqCst) >= MAX_RUNNING {
                self.running.fetch_sub(1, Ordering::SeqCst);
                return;
            }
            entries.insert(key.clone(), Entry::Running, |e| {
                !matches!(e, Entry::Running)
            });
        }
        let tallies = self.clone();
        std::thread::spawn(move || {
            // The count is for later pages; the page that started it, and
            // every other request, comes first. Its stretch workers inherit
            // the priority (issue 28: page 1 of a 10^6-record file timed
            // beside its own count took 2.6x page 1 of a small file).
            yield_to_requests();
            let counted = count();
            tallies.remember(key, counted);
            tallies.running.fetch_sub(1, Ordering::SeqCst);
        });
    }
}

/// Lowers the calling thread's scheduling priority (to nice 10), so that
/// request threads run first when the cores are busy; threads it spawns
/// inherit it. Linux keeps a nice value per thread; elsewhere this does
/// nothing. Never raises the priority of a service that was started niced.
pub fn yield_to_requests() {
    #[cfg(target_os = "linux")]
    if own_nice() < BACKGROUND_NICE {
        // SAFETY: sets the calling thread's own scheduling priority;
        // raising one's nice value needs no privilege, and a failure
        // leaves the priority as it was.
        unsafe {
            let _ = libc::setpriority(libc::PRIO_PROCESS, own_tid(), BACKGROUND_NICE);
        }
    }
}

/// The calling thread's id, which Linux's priority calls take for a thread.
#[cfg(target_os = "linux")]
fn own_tid() -> libc::id_t {
    // SAFETY: gettid has no arguments and cannot fail.
    unsafe { libc::syscall(libc::SYS_gettid) as libc::id_t }
}

/// The calling thread's nice value.
#[cfg(target_os = "linux")]
fn own_nice() -> libc::c_int {
    // SAFETY: reads the calling thread's own scheduling priority.
    unsafe { libc::getpriority(libc::PRIO_PROCESS, own_tid()) }
}

/// The nice value of background counts: below every request thread (0).
const BACKGROUND_NICE: libc::c_int = 10;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rows::Refusal;

    /// A background count runs below the request threads, and so do the
    /// stretch workers it starts; the thread that started it does not.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_background_count_and_its_workers_yield_to_requests() {
        use crate::formats::{FormatKind, FormatOptions};
        use crate::rows::{FileIdentity, Filters, RowsKey};
        let file = tempfile::NamedTempFile::new().unwrap();
        let key = TallyKey {
            rows: CheckpointKey {
                file: FileIdentity::of_path(file.path()).unwrap(),
                rows: RowsKey::new(
                    FormatKind::Bed,
                    &FormatOptions::default(),
                    &Filters::default(),
                    None,
                ),
            },
            genome: None,
            flank: 0,
        };
        let before = own_nice();
        let (tx, rx) = std::sync::mpsc::channel();
        Arc::new(Tallies::default()).start(key, move || {
            let worker = std::thread::spawn(own_nice).join().unwrap();
            tx.send((own_nice(), worker)).unwrap();
            Ok(Tally::default())
        });
        let (count, worker) = rx.recv_timeout(std::time::Duration::from_secs(10)).unwrap();
        let expected = before.max(BACKGROUND_NICE);
        assert_eq!((count, worker), (expected, expected));
        assert_eq!(own_nice(), before, "the starting thread keeps its priority");
    }

    #[test]
    fn a_bin_holds_the_positions_its_link_names() {
        let mut tally = Tally::default();
        tally.add(Some(&Interval::new("chr1", 3000, 3000)), false);
        tally.add(Some(&Interval::new("chr1", 3001, 3001)), false);
        // 1,000 bp bins: 2001-3000 and 3001-4000.
        assert_eq!(tally.chroms[0].bins[2], (1, 0));
        assert_eq!(tally.chroms[0].bins[3], (1, 0));
    }

    #[test]
    fn bins_widen_and_keep_every_count() {
        let mut tally = Tally::default();
        for i in 0..10_000u64 {
            tally.add(
                Some(&Interval::new("chr1", i * 25_000 + 1, i * 25_000 + 1)),
                i % 3 == 0,
            );
        }
        tally.add(None, false);
        let chrom = &tally.chroms[0];
        assert!(chrom.bins.len() <= MAX_BINS_PER_CHROM);
        let (pass, failed) = chrom.bins.iter().fold((0u64, 0u64), |(a, b), (c, d)| {
            (a + u64::from(*c), b + u64::from(*d))
        });
        assert_eq!(pass + failed, 10_000);
        assert_eq!(failed, tally.failed);
        assert_eq!(tally.records, 10_001);
        assert_eq!(tally.unplaced, 1);
        assert!(tally.bin_bp >= 250_000_000 / MAX_BINS_PER_CHROM as u64);
    }

    #[test]
    fn tallies_of_consecutive_stretches_merge_into_the_tally_of_the_whole() {
        // Chromosomes appearing late, positions that widen the bins in one
        // stretch only, records without an interval, refusals.
        let records: Vec<(Option<Interval>, bool, Option<Refusal>)> = (0..5_000u64)
            .map(|i| {
                let chrom = ["chr1", "chr2", "chrX", "chrM"][(i * i % 7 % 4) as usize];
                let pos = if i > 4_000 { i * 90_000 } else { i * 37 + 1 };
                let interval = (i % 101 != 0).then(|| Interval::new(chrom, pos, pos + 10));
                let refused = (i % 13 == 0).then(|| Refusal::BeyondContig {
                    chrom: "chrM".into(),
                    position: 5,
                    length: 4,
                });
                (interval, i % 3 == 0, refused)
            })
            .collect();
        let count = |part: &[(Option<Interval>, bool, Option<Refusal>)]| {
            let mut tally = Tally::default();
            for (interval, failed, refused) in part {
                tally.add(interval.as_ref(), *failed);
                if let Some(why) = refused {
                    tally.refused.add(why);
                }
            }
            tally
        };
        let whole = count(&records);
        for cuts in [
            vec![2_500],
            vec![1, 4_001, 4_999],
            vec![700, 1_400, 3_000, 4_500],
        ] {
            let mut merged = Tally::default();
            let mut start = 0;
            for end in cuts.into_iter().chain([records.len()]) {
                merged.merge(count(&records[start..end]));
                start = end;
            }
            assert_eq!(merged, whole);
        }
    }
}
