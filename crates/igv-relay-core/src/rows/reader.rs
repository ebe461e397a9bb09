//! From a record stream to rows with validated loci: the part of a link page
//! that knows genomes and IGV, but not HTTP.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::sync::{Arc, LazyLock, Mutex, MutexGuard};

use crate::domain::genome::Genome;
use crate::domain::loci::{Loci, LociRules, LocusList};
use crate::domain::locus::{ChromName, Locus};
use crate::formats::{
    FormatKind, FormatOptions, Interval, Item, LineHint, LocalFile, Record, RecordStream,
    RemoteFile, Reopen, StreamPosition, VcfValues,
};

/// Records per page unless asked otherwise, and the most a page may hold.
pub const DEFAULT_PER_PAGE: usize = 100;
pub const MAX_PER_PAGE: usize = 1000;

/// Which records a page shows.
#[derive(Clone, Debug, Default)]
pub struct RowFilter {
    pub chrom: Option<String>,
    /// Case-insensitive substring of the record's label (ID, name), or of
    /// what the predicate searches (annotations).
    pub query: Option<String>,
    /// VCF: only FILTER=PASS.
    pub pass_only: bool,
    /// Only records overlapping this stretch (1-based, inclusive).
    pub region: Option<Interval>,
    /// Conditions on a record's fields (the page model's `?where=`).
    pub predicate: Option<Arc<dyn RowPredicate>>,
}

/// Conditions a record must meet beyond the built-in filters; its `Debug`
/// text must tell two predicates apart (it keys the page index).
pub trait RowPredicate: Send + Sync + fmt::Debug {
    /// Header indices of the VCF samples whose columns it reads.
    fn samples(&self) -> &[usize];
    /// Whether it reads the record's VCF values at all.
    fn wants_values(&self) -> bool;
    fn keeps(&self, record: &Record, values: Option<&VcfValues>) -> bool;
    /// Whether the lower-case `query` is found beyond the label.
    fn matches_query(&self, query: &str, record: &Record, values: Option<&VcfValues>) -> bool;
    /// Text every line it keeps contains, for the stream to pass over the
    /// rest unparsed ([`RecordStream::set_line_hint`]).
    fn line_hint(&self) -> Option<LineHint> {
        None
    }
}

impl RowFilter {
    pub fn is_active(&self) -> bool {
        self.chrom.is_some()
            || self.query.is_some()
            || self.pass_only
            || self.region.is_some()
            || self.predicate.is_some()
    }

    fn keeps(&self, item: &Item, values: Option<&VcfValues>) -> bool {
        let Item::Record(record) = item else {
            // Malformed lines are shown in the unfiltered view, where they are.
            return !self.is_active();
        };
        if self.pass_only && record.filter_pass != Some(true) {
            return false;
        }
        if let Some(chrom) = &self.chrom
            && !record
                .intervals
                .iter()
                .any(|i| same_sequence(&i.chrom, chrom))
        {
            return false;
        }
        if let Some(region) = &self.region
            && !record.intervals.iter().any(|i| {
                same_sequence(&i.chrom, &region.chrom)
                    && i.start <= region.end
                    && i.end.max(i.start) >= region.start
            })
        {
            return false;
        }
        if let Some(q) = &self.query {
            let q = q.to_lowercase();
            if !record.label.to_lowercase().contains(&q)
                && !self
                    .predicate
                    .as_ref()
                    .is_some_and(|p| p.matches_query(&q, record, values))
            {
                return false;
            }
        }
        if let Some(predicate) = &self.predicate
            && !predicate.keeps(record, values)
        {
            return false;
        }
        true
    }
}

/// Whether two names mean the same sequence for a filter: `7`, `chr7` and
/// `Chr7` do, and so do `M`, `MT` and `chrM` (people type either convention).
fn same_sequence(a: &str, b: &str) -> bool {
    fn bare(name: &str) -> &str {
        // `get` keeps a name whose third byte splits a character from panicking.
        let stripped = match (name.get(..3), name.get(3..)) {
            (Some(prefix), Some(rest))
                if !rest.is_empty() && prefix.eq_ignore_ascii_case("chr") =>
            {
                rest
            }
            _ => name,
        };
        if stripped == "M" { "MT" } else { stripped }
    }
    a == b || bare(a) == bare(b)
}

/// One row of a link page.
#[derive(Clone, Debug)]
pub struct Row {
    pub line: u64,
    pub label: String,
    /// One per column; empty for a malformed line.
    pub cells: Vec<String>,
    /// A malformed line as written (at most its first few hundred bytes).
    pub raw: Option<String>,
    /// The loci IGV would be sent, or why the record has no link.
    pub loci: Result<Loci, String>,
    /// The record's first interval as the file gives it (1-based), before
    /// any genome check: what totals and the overview count.
    pub interval: Option<Interval>,
    /// VCF: the record's columns as written, when [`Rows::with_values`] asked.
    pub values: Option<VcfValues>,
    /// VCF: FILTER is neither PASS nor `.`.
    pub filter_failed: bool,
}

/// Turns a record's intervals into loci IGV can show, or says why not.
pub struct LocusResolver<'a> {
    genome: Option<&'a Genome>,
    /// From the file's own header (VCF `##contig`) when no genome is given.
    contigs: Option<HashMap<String, Option<u64>>>,
    flank: u64,
    rules: LociRules,
    /// The last chromosome seen: sorted files repeat it row after row, and
    /// parsing and looking it up again was a twentieth of an export's time.
    last: RefCell<Option<SeenChromosome>>,
}

/// A chromosome as written in the file, its parsed name, and its `##contig`
/// entry (`None`: not among them, or the file has none).
struct SeenChromosome {
    written: String,
    name: ChromName,
    contig: Option<Option<u64>>,
}

impl<'a> LocusResolver<'a> {
    pub fn new(
        genome: Option<&'a Genome>,
        stream: &dyn RecordStream,
        flank: u64,
        rules: LociRules,
    ) -> Self {
        let contigs = match genome {
            Some(_) => None,
            None => stream
                .contigs()
                .filter(|c| !c.is_empty())
                .map(|c| c.iter().cloned().collect()),
        };
        // Split-screen rows (BEDPE, breakends) need room for two loci.
        let rules = LociRules {
            max_loci: rules.max_loci.max(2),
            ..rules
        };
        Self {
            genome,
            contigs,
            flank,
            rules,
            last: RefCell::new(None),
        }
    }

    /// Whether chromosome names (and lengths, where known) are checked at all:
    /// without a genome or `##contig` lines IGV is the first to see them.
    pub fn checks_chromosomes(&self) -> bool {
        self.genome.is_some() || self.contigs.is_some()
    }

    pub fn resolve(&self, intervals: &[Interval]) -> Result<Loci, String> {
        let mut loci = LocusList::with_capacity(intervals.len());
        for interval in intervals {
            loci.push(self.resolve_one(interval)?);
        }
        // Not `Loci::parse` of the printed loci: the same checks, without printing
        // and re-reading every locus of every row (a fifth of an export's time).
        Loci::from_parsed(loci, self.rules, self.genome).map_err(|e| e.to_string())
    }

    /// The chromosome `written` parsed, and its `##contig` entry (`None`: not
    /// among them; only looked up when the file has `##contig` lines).
    fn chromosome(&self, written: &str) -> Result<(ChromName, Option<Option<u64>>), String> {
        let mut last = self.last.borrow_mut();
        if let Some(seen) = last.as_ref()
            && seen.written == written
        {
            return Ok((seen.name.clone(), seen.contig));
        }
        let name = ChromName::parse(written).map_err(|e| e.to_string())?;
        let contig = self
            .contigs
            .as_ref()
            .and_then(|contigs| contigs.get(written).copied());
        *last = Some(SeenChromosome {
            written: written.to_owned(),
            name: name.clone(),
            contig,
        });
        Ok((name, contig))
    }

    fn resolve_one(&self, interval: &Interval) -> Result<Locus, String> {
        let (chrom, contig) = self.chromosome(&interval.chrom)?;
        if interval.start > interval.end {
            return Err(format!(
                "the start ({}) is after the end ({}) after converting to 1-based coordinates",
                interval.start, interval.end
            ));
        }
        let (start, end) = (interval.start.max(1), interval.end.max(1));
        let locus = Locus::from_interval(chrom, start, end).map_err(|e| e.to_string())?;
        let length = match (self.genome, &self.contigs) {
            (Some(genome), _) => {
                let resolved = genome.resolve(&locus).map_err(|e| e.to_string())?;
                genome
                    .chromosome(resolved.chrom().as_str())
                    .map(|c| c.length)
            }
            (None, Some(_)) => match contig {
                None => {
                    return Err(format!(
                        "chromosome {:?} is not among the file's ##contig lines",
                        interval.chrom
                    ));
                }
                Some(Some(length)) if interval.start > length => {
                    return Err(format!(
                        "position {} is beyond the end of {}, which is {length} bp long",
                        interval.start, interval.chrom
                    ));
                }
                Some(length) => length,
            },
            (None, None) => None,
        };
        let locus = match length {
            Some(len) if locus.bounds().is_some_and(|(_, end)| end > len) => {
                let (start, _) = locus.bounds().unwrap_or((1, len));
                Locus::from_interval(locus.chrom().clone(), start, len)
                    .map_err(|e| e.to_string())?
            }
            _ => locus,
        };
        Ok(locus.with_flank(self.flank, length))
    }
}

/// A page of rows, read lazily: only as much of the file as the page needs.
pub struct Page {
    pub columns: Vec<String>,
    pub samples: Vec<String>,
    pub rows: Vec<Row>,
    pub has_next: bool,
}

/// Iterates the rows a filter keeps, in file order.
pub struct Rows<'s, 'g> {
    stream: &'s mut (dyn RecordStream + Send),
    resolver: LocusResolver<'g>,
    filter: RowFilter,
    /// Rows read (or skipped) so far.
    row: u64,
    /// Set by [`Rows::with_index`]: where the file's remembered row positions live.
    index: Option<IndexedFile>,
    /// Set by [`Rows::with_values`]: the samples whose columns rows carry.
    values_for: Option<Vec<usize>>,
}

impl<'s, 'g> Rows<'s, 'g> {
    pub fn new(
        stream: &'s mut (dyn RecordStream + Send),
        resolver: LocusResolver<'g>,
        filter: RowFilter,
    ) -> Self {
        // A row predicate drops malformed lines with the records it does not
        // keep, so the stream may pass over lines it cannot keep unread.
        if let Some(hint) = filter.predicate.as_ref().and_then(|p| p.line_hint()) {
            stream.set_line_hint(&hint);
        }
        Self {
            stream,
            resolver,
            filter,
            row: 0,
            index: None,
            values_for: None,
        }
    }

    /// Rows carry their VCF values ([`Row::values`]) with these samples'
    /// columns (annotations and sorting read them).
    pub fn with_values(mut self, samples: Vec<usize>) -> Self {
        self.values_for = Some(samples);
        self
    }

    /// Remembers where rows start in `file` (the file `stream` reads, opened from its
    /// start) while reading, and uses what earlier requests remembered to start a later
    /// page part-way through the file. See [`PageIndex`].
    pub fn with_index(mut self, file: Option<SeekableFile>) -> Self {
        self.index = file.map(|file| {
            let key = file.key(&self.filter);
            let every = PageIndex::global().every(&key);
            IndexedFile {
                key,
                every,
                file,
                found: Vec::new(),
            }
        });
        self
    }

    /// The next row, or `None` at the end of the file.
    pub fn next_row(&mut self) -> std::io::Result<Option<Row>> {
        let predicate_values = self
            .filter
            .predicate
            .as_ref()
            .filter(|p| p.wants_values())
            .map(|p| p.samples().to_vec());
        while let Some(item) = self.stream.next_item()? {
            let is_record = matches!(item, Item::Record(_));
            // Values are read only for records, and only when something wants them.
            let values = match (&self.values_for, &predicate_values) {
                _ if !is_record => None,
                (Some(samples), Some(more)) => {
                    let mut all = samples.clone();
                    all.extend(more.iter().filter(|s| !samples.contains(s)));
                    self.stream.current_values(&all)
                }
                (Some(samples), None) | (None, Some(samples)) => {
                    self.stream.current_values(samples)
                }
                (None, None) => None,
            };
            if !self.filter.keeps(&item, values.as_ref()) {
                continue;
            }
            self.row += 1;
            self.remember_position();
            let values = self.values_for.as_ref().and(values);
            return Ok(Some(match item {
                Item::Record(record) => Row {
                    line: record.line,
                    loci: self.resolver.resolve(&record.intervals),
                    interval: record.intervals.into_iter().next(),
                    label: record.label,
                    cells: record.cells,
                    raw: None,
                    values,
                    filter_failed: record.filter_pass == Some(false),
                },
                Item::Invalid { line, message, raw } => Row {
                    line,
                    label: String::new(),
                    cells: Vec::new(),
                    raw: Some(raw),
                    loci: Err(format!("line {line} is malformed: {message}")),
                    interval: None,
                    values: None,
                    filter_failed: false,
                },
            }));
        }
        Ok(None)
    }

    /// Where the stream stands after the row returned last (`None` while it
    /// holds items it read ahead).
    pub fn position(&self) -> Option<StreamPosition> {
        self.stream.position()
    }

    /// After row `self.row`: note the stream's position if it starts a stretch.
    fn remember_position(&mut self) {
        let Some(index) = &mut self.index else {
            return;
        };
        if self.row.is_multiple_of(index.every)
            && let Some(at) = self.stream.position()
        {
            index.found.push((self.row, at));
            if index.found.len() >= FLUSH_EVERY {
                index.flush();
            }
        }
    }

    /// Moves past the first `skip` rows: from the nearest remembered position when
    /// there is one, then row by row, or line by line without parsing when no filter
    /// is active. Returns `false` if the file ends first.
    fn skip_rows(&mut self, skip: u64) -> std::io::Result<bool> {
        if let Some(index) = &mut self.index {
            let nearest = PageIndex::global().nearest(&index.key, skip);
            if let Some((row, at)) = nearest
                && row > self.row
            {
                let input = index
                    .file
                    .reopen
                    .reopen_at(at.offset, index.file.options.decompression)?;
                self.stream.resume(input, at)?;
                self.row = row;
            }
        }
        if self.filter.is_active() {
            while self.row < skip {
                if self.next_row()?.is_none() {
                    return Ok(false);
                }
            }
            return Ok(true);
        }
        // Unfiltered, every item is a row: skip items a stretch at a time.
        while self.row < skip {
            let stretch = self.index.as_ref().map_or(u64::MAX, |i| i.every);
            let next_stop = (self.row / stretch + 1).saturating_mul(stretch).min(skip);
            let want = next_stop - self.row;
            let skipped = self.stream.skip_items(want)?;
            self.row += skipped;
            if skipped < want {
                return Ok(false);
            }
            self.remember_position();
        }
        Ok(true)
    }

    /// Skips to page `page` (1-based) and collects it.
    pub fn page(mut self, page: u64, per_page: usize) -> std::io::Result<Page> {
        let columns = self.stream.columns().to_vec();
        let samples = self.stream.samples().to_vec();
        let skip = page.saturating_sub(1).saturating_mul(per_page as u64);
        if !self.skip_rows(skip)? {
            return Ok(Page {
                columns,
                samples,
                rows: Vec::new(),
                has_next: false,
            });
        }
        let mut rows = Vec::with_capacity(per_page);
        while rows.len() < per_page {
            match self.next_row()? {
                Some(row) => rows.push(row),
                None => {
                    return Ok(Page {
                        columns,
                        samples,
                        rows,
                        has_next: false,
                    });
                }
            }
        }
        let has_next = self.next_row()?.is_some();
        Ok(Page {
            columns,
            samples,
            rows,
            has_next,
        })
    }
}

impl Drop for Rows<'_, '_> {
    fn drop(&mut self) {
        if let Some(index) = &mut self.index {
            index.flush();
        }
    }
}

/// Rows between two remembered positions: a later page reads at most this many
/// rows (parsing them only when a filter is active) before its own.
pub const CHECKPOINT_EVERY: u64 = 1024;
/// Most positions remembered over all files: 32 bytes each, so 8 MiB at most.
pub const MAX_CHECKPOINTS: usize = 256 * 1024;
/// Most positions remembered for one file; past it every other one is dropped and
/// the stretch between them doubles (a billion-row file still fits).
const MAX_CHECKPOINTS_PER_FILE: usize = 64 * 1024;
/// Positions found are handed to the shared index in batches (one lock each).
const FLUSH_EVERY: usize = 256;

/// A file whose row positions can be remembered between requests: what it is
/// (a path, or a Galaxy dataset), what tells one version of it from the next
/// (size and modification time, or Galaxy's update time), and how to read it
/// again from an offset.
#[derive(Clone, Debug)]
pub struct SeekableFile {
    identity: String,
    len: u64,
    version: String,
    kind: FormatKind,
    options: FormatOptions,
    reopen: Arc<dyn Reopen>,
}

impl SeekableFile {
    /// A local file; `None` when it cannot be looked at (it is then read without an index).
    pub fn new(path: &Path, kind: FormatKind, options: &FormatOptions) -> Option<Self> {
        let meta = std::fs::metadata(path).ok()?;
        meta.is_file().then(|| SeekableFile {
            identity: format!("file {}", path.display()),
            len: meta.len(),
            version: format!("{:?}", meta.modified().ok()),
            kind,
            options: options.clone(),
            reopen: Arc::new(LocalFile(path.to_path_buf())),
        })
    }

    /// A file elsewhere, e.g. a Galaxy dataset read with Range requests.
    pub fn remote(file: &RemoteFile, kind: FormatKind, options: &FormatOptions) -> Self {
        SeekableFile {
            identity: file.identity.clone(),
            len: file.len,
            version: file.version.clone(),
            kind,
            options: options.clone(),
            reopen: file.reopen.clone(),
        }
    }

    /// Rows differ with the filter and with the options a stream was opened with.
    fn key(&self, filter: &RowFilter) -> IndexKey {
        IndexKey {
            file: self.identity.clone(),
            len: self.len,
            version: self.version.clone(),
            view: format!("{:?} {:?} {:?}", self.kind, self.options, filter),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct IndexKey {
    file: String,
    len: u64,
    version: String,
    view: String,
}

/// What a [`Rows`] with an index carries.
struct IndexedFile {
    file: SeekableFile,
    key: IndexKey,
    /// The file's stretch between positions when the read started.
    every: u64,
    /// Positions found and not yet handed to the shared index.
    found: Vec<(u64, StreamPosition)>,
}

impl IndexedFile {
    fn flush(&mut self) {
        if !self.found.is_empty() {
            PageIndex::global().record(&self.key, self.every, &self.found);
            self.found.clear();
        }
    }
}

/// The page index filled by a pass that reads a file in stretches rather
/// than through one [`Rows`] (`page::stretches`): it is told, in file order,
/// where the stream stood after each row, and keeps what [`Rows::with_index`]
/// would have kept.
pub struct IndexWriter {
    indexed: IndexedFile,
}

impl IndexWriter {
    /// For the rows `filter` keeps of `file`, as the view's pages look them up.
    pub fn new(file: SeekableFile, filter: &RowFilter) -> Self {
        let key = file.key(filter);
        let every = PageIndex::global().every(&key);
        Self {
            indexed: IndexedFile {
                key,
                every,
                file,
                found: Vec::new(),
            },
        }
    }

    /// After `rows` rows of the view (counted from the file's start), the
    /// stream stood at `at`.
    pub fn after(&mut self, rows: u64, at: StreamPosition) {
        let indexed = &mut self.indexed;
        if rows.is_multiple_of(indexed.every) {
            indexed.found.push((rows, at));
            if indexed.found.len() >= FLUSH_EVERY {
                indexed.flush();
            }
        }
    }
}

impl Drop for IndexWriter {
    fn drop(&mut self) {
        self.indexed.flush();
    }
}

/// Where rows start in the files recently paged through: for each file (path, size,
/// modification time, format options and filter), the stream position before every
/// `CHECKPOINT_EVERY`-th row. A later visit to page 5,000 of a million-row file
/// then resumes at most `CHECKPOINT_EVERY` rows before it instead of reading half
/// the file. Bounded: [`MAX_CHECKPOINTS`] positions in all, the least recently used
/// files forgotten first. A changed file has a new size or time, so a new entry;
/// the old one ages out.
pub struct PageIndex {
    files: HashMap<IndexKey, FilePositions>,
    total: usize,
    clock: u64,
}

struct FilePositions {
    every: u64,
    /// `points[i]` is the position before row `(i + 1) * every` (0-based rows).
    points: Vec<StreamPosition>,
    used: u64,
}

static PAGE_INDEX: LazyLock<Mutex<PageIndex>> = LazyLock::new(|| {
    Mutex::new(PageIndex {
        files: HashMap::new(),
        total: 0,
        clock: 0,
    })
});

impl PageIndex {
    /// The process-wide index (it only ever holds positions, never rows).
    fn global() -> MutexGuard<'static, PageIndex> {
        // A panic elsewhere while holding the lock leaves consistent data.
        PAGE_INDEX.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Positions remembered over all files (for tests and the benchmarks).
    pub fn remembered() -> usize {
        Self::global().total
    }

    /// The last remembered position at or before row `row`: `(row, position)`.
    fn nearest(&mut self, key: &IndexKey, row: u64) -> Option<(u64, StreamPosition)> {
        self.clock += 1;
        let clock = self.clock;
        let file = self.files.get_mut(key)?;
        file.used = clock;
        let n = usize::try_from(row / file.every)
            .unwrap_or(usize::MAX)
            .min(file.points.len());
        let at = *file.points.get(n.checked_sub(1)?)?;
        Some((n as u64 * file.every, at))
    }

    fn every(&self, key: &IndexKey) -> u64 {
        self.files.get(key).map_or(CHECKPOINT_EVERY, |f| f.every)
    }

    /// Adds positions found by a read that used a stretch of `every` rows; only
    /// those that extend what is known, in order, are kept.
    fn record(&mut self, key: &IndexKey, every: u64, found: &[(u64, StreamPosition)]) {
        self.clock += 1;
        let clock = self.clock;
        let file = self.files.entry(key.clone()).or_insert(FilePositions {
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
        self.total = self.total + file.points.len() - before;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats;

    /// The resolver remembers the last chromosome; switching back and forth,
    /// to unknown and invalid names, must give what a fresh resolver gives.
    #[test]
    fn resolving_is_the_same_with_or_without_the_remembered_chromosome() {
        let text = "##fileformat=VCFv4.2\n##contig=<ID=chr1,length=1000>\n\
                    ##contig=<ID=chr2,length=500>\n\
                    #CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n";
        let input: Box<dyn std::io::BufRead + Send> = Box::new(std::io::Cursor::new(text));
        let stream = formats::open(FormatKind::Vcf, input, &FormatOptions::default()).unwrap();
        let rules = LociRules::default();
        let remembering = LocusResolver::new(None, stream.as_ref(), 0, rules);
        let intervals = [
            Interval::new("chr1", 10, 20),
            Interval::new("chr1", 990, 1200),
            Interval::new("chr9", 1, 2),
            Interval::new("chr1", 2000, 2001),
            Interval::new("bad name", 1, 2),
            Interval::new("chr2", 400, 600),
            Interval::new("chr2", 5, 5),
            Interval::new("chr1", 7, 7),
        ];
        for interval in &intervals {
            let fresh = LocusResolver::new(None, stream.as_ref(), 0, rules);
            let one = std::slice::from_ref(interval);
            assert_eq!(remembering.resolve(one), fresh.resolve(one), "{interval:?}");
        }
        assert_eq!(
            remembering.resolve(&intervals[1..2]).map(|l| l.to_string()),
            Ok("chr1:990-1000".to_owned())
        );
        assert!(remembering.resolve(&intervals[2..3]).is_err());
    }

    #[test]
    fn the_chromosome_filter_accepts_either_naming_convention() {
        assert!(same_sequence("chr7", "7"));
        assert!(same_sequence("7", "chr7"));
        assert!(same_sequence("chrM", "MT"));
        assert!(same_sequence("chrX", "chrX"));
        assert!(!same_sequence("chr7", "17"));
        assert!(!same_sequence("chr", "7"));
        assert!(!same_sequence("cé7", "7"));
    }
    use std::io::Write;

    const ROWS: u64 = 5_000;

    fn vcf_text() -> Vec<u8> {
        let mut out = String::from(
            "##fileformat=VCFv4.2\n##contig=<ID=chr1,length=100000000>\n\
             #CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n",
        );
        for i in 0..ROWS {
            // Every 7th record fails FILTER, every 500th line is blank or a comment,
            // and one line is malformed: rows are not lines.
            if i % 500 == 250 {
                out.push_str(if i % 1000 == 250 { "\n" } else { "# note\n" });
            }
            let filter = if i % 7 == 0 { "LowQual" } else { "PASS" };
            if i == 3333 {
                out.push_str("chr1\tnot-a-number\t.\tA\tG\t.\tPASS\t.\n");
            } else {
                out.push_str(&format!("chr1\t{}\trs{i}\tA\tG\t50\t{filter}\t.\n", i + 1));
            }
        }
        out.into_bytes()
    }

    fn bgzf(data: &[u8]) -> Vec<u8> {
        let mut writer = noodles::bgzf::io::Writer::new(Vec::new());
        writer.write_all(data).expect("bgzf");
        writer.finish().expect("bgzf")
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(data).expect("gzip");
        gz.finish().expect("gzip")
    }

    /// `(line, label)` of a page, read with or without the index.
    fn page_of(
        path: &Path,
        filter: &RowFilter,
        page: u64,
        per_page: usize,
        index: bool,
    ) -> (Vec<(u64, String)>, bool) {
        let options = FormatOptions::default();
        let file = std::fs::File::open(path).expect("open");
        let mut stream = formats::open(
            FormatKind::Vcf,
            Box::new(std::io::BufReader::new(file)),
            &options,
        )
        .expect("vcf");
        let resolver = LocusResolver::new(None, stream.as_ref(), 0, LociRules::default());
        let seekable = index
            .then(|| SeekableFile::new(path, FormatKind::Vcf, &options))
            .flatten();
        let page = Rows::new(stream.as_mut(), resolver, filter.clone())
            .with_index(seekable)
            .page(page, per_page)
            .expect("page");
        let rows = page.rows.into_iter().map(|r| (r.line, r.label)).collect();
        (rows, page.has_next)
    }

    fn check_pages_match(name: &str, bytes: &[u8]) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).expect("write");
        let filters = [
            RowFilter::default(),
            RowFilter {
                pass_only: true,
                ..RowFilter::default()
            },
        ];
        for filter in &filters {
            // First visits fill the index; later ones start from it.
            for round in 0..2 {
                for (page, per_page) in [(1, 100), (12, 100), (40, 100), (3, 1000), (49, 100)] {
                    let plain = page_of(&path, filter, page, per_page, false);
                    let indexed = page_of(&path, filter, page, per_page, true);
                    assert_eq!(
                        plain, indexed,
                        "{name} {filter:?} page {page} x {per_page} (round {round})"
                    );
                }
            }
        }
        // Past the end: empty either way.
        let (rows, has_next) = page_of(&path, &RowFilter::default(), 60, 100, true);
        assert!(rows.is_empty() && !has_next);
    }

    #[test]
    fn indexed_pages_of_a_plain_vcf_are_the_pages_read_from_the_start() {
        check_pages_match("calls.vcf", &vcf_text());
    }

    #[test]
    fn indexed_pages_of_a_bgzipped_vcf_are_the_pages_read_from_the_start() {
        check_pages_match("calls.vcf.gz", &bgzf(&vcf_text()));
    }

    #[test]
    fn indexed_pages_of_a_gzipped_vcf_are_the_pages_read_from_the_start() {
        check_pages_match("calls.gz.vcf.gz", &gzip(&vcf_text()));
    }

    #[test]
    fn a_changed_file_is_not_read_with_the_old_positions() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("changing.vcf");
        std::fs::write(&path, vcf_text()).expect("write");
        page_of(&path, &RowFilter::default(), 45, 100, true);
        // Same rows, but every data line one byte longer: old offsets would land
        // mid-line.
        let longer = String::from_utf8(vcf_text())
            .expect("utf8")
            .replace("\trs", "\trsx");
        std::fs::write(&path, longer.as_bytes()).expect("rewrite");
        let plain = page_of(&path, &RowFilter::default(), 45, 100, false);
        let indexed = page_of(&path, &RowFilter::default(), 45, 100, true);
        assert_eq!(plain, indexed);
        assert!(plain.0[0].1.starts_with("rsx"));
    }

    #[test]
    fn positions_per_file_are_thinned_past_the_cap() {
        let key = IndexKey {
            file: "file /nonexistent/thin-test".to_owned(),
            len: 1,
            version: String::new(),
            view: String::new(),
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
        let mut index = PageIndex::global();
        index.record(&key, every, &found);
        let file = index.files.get(&key).expect("recorded");
        assert!(file.points.len() < MAX_CHECKPOINTS_PER_FILE);
        assert!(file.every >= 2 * every);
        // Every kept position is still the one before its row.
        for (i, at) in file.points.iter().enumerate() {
            assert_eq!(at.line, (i as u64 + 1) * file.every);
        }
        assert!(index.total <= MAX_CHECKPOINTS);
        index.files.remove(&key);
        index.total = index.files.values().map(|f| f.points.len()).sum();
    }
}
