//! The one row reader: a record stream's records as rows, each with its
//! loci or the refusal, kept or dropped by the view's filters, handed to a
//! [`RowSink`]. It reads from the start, from a remembered checkpoint (a
//! later page), a chosen set of records in a given order (sorting), or, over
//! a plain file, in stretches on several threads ([`read_in_stretches`]).
//! It is the only place where a row filter and a locus resolver are set up.

use std::io;
use std::path::Path;
use std::sync::Arc;

use super::checkpoints::{Checkpoints, Recorder, RowsKey, SeekableFile};
use super::filter::{Filters, RowFilter, RowPredicate};
use super::refusal::Refusal;
use super::resolver::LocusResolver;
use super::stretches::{self, Piece, STRETCH_BYTES, StretchedFile};
use super::{Row, RowSink};
use crate::domain::genome::Genome;
use crate::domain::loci::LociRules;
use crate::formats::{Item, RecordStream, StreamPosition};

/// What rows a reader makes of a stream's records, and how their loci are
/// checked.
#[derive(Clone)]
pub struct ReadRules<'g> {
    pub filters: Filters,
    /// The view's conditions, if it has any.
    pub predicate: Option<Arc<dyn RowPredicate>>,
    /// What loci are checked against (`None`: the file's `##contig` lines,
    /// or nothing).
    pub genome: Option<&'g Genome>,
    /// Bases added on each side of every locus.
    pub flank: u64,
    pub loci: LociRules,
    /// VCF: the samples whose columns rows carry in [`Row::values`]
    /// (annotations and sorting read them); `None`: rows carry no values.
    pub values: Option<Vec<usize>>,
}

/// Reads rows from one stream (see the module comment).
pub struct RowReader<'g> {
    stream: Box<dyn RecordStream + Send>,
    resolver: LocusResolver<'g>,
    filter: RowFilter,
    /// Whether rows carry their values, and the samples read for the
    /// values and the predicate together.
    carry_values: bool,
    read_values: Option<Vec<usize>>,
    /// Rows read (or skipped) so far.
    row: u64,
}

impl<'g> RowReader<'g> {
    pub fn new(mut stream: Box<dyn RecordStream + Send>, rules: ReadRules<'g>) -> Self {
        let resolver = LocusResolver::new(rules.genome, stream.as_ref(), rules.flank, rules.loci);
        let predicate = rules.predicate;
        // A row predicate drops malformed lines with the records it does not
        // keep, so the stream may pass over lines it cannot keep unread.
        if let Some(hint) = predicate.as_ref().and_then(|p| p.line_hint()) {
            stream.set_line_hint(&hint);
        }
        let predicate_samples = predicate
            .as_ref()
            .filter(|p| p.wants_values())
            .map(|p| p.samples().to_vec());
        let read_values = match (&rules.values, predicate_samples) {
            (Some(samples), Some(more)) => {
                let mut all = samples.clone();
                all.extend(more.iter().filter(|s| !samples.contains(s)));
                Some(all)
            }
            (Some(samples), None) => Some(samples.clone()),
            (None, more) => more,
        };
        stream.set_values_wanted(read_values.is_some());
        Self {
            stream,
            resolver,
            filter: RowFilter {
                filters: rules.filters,
                predicate,
            },
            carry_values: rules.values.is_some(),
            read_values,
            row: 0,
        }
    }

    /// The stream, for what it says about itself (columns, samples, header).
    pub fn stream(&self) -> &dyn RecordStream {
        self.stream.as_ref()
    }

    /// Whether chromosome names (and lengths, where known) are checked at all:
    /// without a genome or `##contig` lines IGV is the first to see them.
    pub fn checks_chromosomes(&self) -> bool {
        self.resolver.checks_chromosomes()
    }

    /// Where the stream stands after the row returned last (`None` while it
    /// holds items it read ahead).
    pub fn position(&self) -> Option<StreamPosition> {
        self.stream.position()
    }

    /// The next row the filters keep, or `None` at the end of the file.
    #[inline]
    pub fn next_row(&mut self) -> io::Result<Option<Row>> {
        while let Some(item) = self.stream.next_item()? {
            // Values are read only for records, and only when something wants them.
            let values = match (&item, &self.read_values) {
                (Item::Record(_), Some(samples)) => self.stream.current_values(samples),
                _ => None,
            };
            if !self.filter.keeps(&item, values.as_ref()) {
                continue;
            }
            self.row += 1;
            let values = if self.carry_values {
                values.map(Box::new)
            } else {
                None
            };
            return Ok(Some(self.row_of(item, values)));
        }
        Ok(None)
    }

    #[inline]
    fn row_of(&self, item: Item, values: Option<Box<crate::formats::VcfValues>>) -> Row {
        match item {
            Item::Record(record) if self.resolver.names_genes() => {
                let (loci, interval) = self.resolver.resolve_gene(&record.label);
                Row {
                    line: record.line,
                    loci,
                    interval,
                    label: record.label,
                    cells: record.cells,
                    raw: None,
                    values,
                    filter_failed: false,
                    sv: None,
                }
            }
            Item::Record(record) => Row {
                line: record.line,
                loci: self.resolver.resolve(&record.intervals),
                interval: record.intervals.into_iter().next(),
                label: record.label,
                cells: record.cells,
                raw: None,
                values,
                filter_failed: record.filter_pass == Some(false),
                sv: record.sv,
            },
            Item::Invalid { line, message, raw } => Row {
                line,
                label: String::new(),
                cells: Vec::new(),
                raw: Some(raw),
                loci: Err(Refusal::Malformed { line, message }),
                interval: None,
                values: None,
                filter_failed: false,
                sv: None,
            },
        }
    }

    /// Every row from here to the end into `sink`; returns how many. With
    /// an [`IndexedFile`] (a read from the file's start), the positions it
    /// passes are remembered for later pages.
    pub fn read_all<S: RowSink + ?Sized>(
        &mut self,
        index: Option<IndexedFile<'_>>,
        sink: &mut S,
    ) -> io::Result<u64> {
        let mut recorder = index.map(|i| Recorder::new(i.checkpoints, i.file, i.rows));
        let before = self.row;
        // The row goes straight from the reader to the sink: moving it through
        // one more function was a few percent of an export's time.
        while let Some(row) = self.next_row()? {
            if let Some(recorder) = recorder.as_mut() {
                self.note_position(recorder);
            }
            sink.row(row)?;
        }
        Ok(self.row - before)
    }

    /// Page `page` (1-based, `per_page` rows) into `sink`, and whether
    /// another page follows. With an [`IndexedFile`], a later page starts
    /// from the nearest remembered position, and the positions this read
    /// passes are remembered for the next.
    pub fn read_page<S: RowSink + ?Sized>(
        &mut self,
        page: u64,
        per_page: usize,
        index: Option<IndexedFile<'_>>,
        sink: &mut S,
    ) -> io::Result<bool> {
        let mut recorder = index.map(|i| Recorder::new(i.checkpoints, i.file, i.rows));
        let skip = page.saturating_sub(1).saturating_mul(per_page as u64);
        if !self.skip_rows(skip, recorder.as_mut())? {
            return Ok(false);
        }
        for _ in 0..per_page {
            match self.next_noted(recorder.as_mut())? {
                Some(row) => sink.row(row)?,
                None => return Ok(false),
            }
        }
        Ok(self.next_noted(recorder.as_mut())?.is_some())
    }

    /// [`Self::next_row`], noting the position after it for the page index.
    #[inline]
    fn next_noted(&mut self, recorder: Option<&mut Recorder<'_>>) -> io::Result<Option<Row>> {
        let row = self.next_row()?;
        if let (Some(_), Some(recorder)) = (&row, recorder) {
            self.note_position(recorder);
        }
        Ok(row)
    }

    /// After row `self.row`: note the stream's position if it starts a stretch.
    fn note_position(&self, recorder: &mut Recorder<'_>) {
        if self.row.is_multiple_of(recorder.every)
            && let Some(at) = self.stream.position()
        {
            recorder.after(self.row, at);
        }
    }

    /// Moves past the first `skip` rows: from the nearest remembered position when
    /// there is one, then row by row, or line by line without parsing when no filter
    /// is active. Returns `false` if the file ends first.
    fn skip_rows(
        &mut self,
        skip: u64,
        mut recorder: Option<&mut Recorder<'_>>,
    ) -> io::Result<bool> {
        if let Some(recorder) = recorder.as_deref()
            && let Some((row, at)) = recorder.nearest(skip)
            && row > self.row
        {
            self.stream.resume(recorder.file.reopen_at(at)?, at)?;
            self.row = row;
        }
        if self.filter.is_active() {
            while self.row < skip {
                if self.next_noted(recorder.as_deref_mut())?.is_none() {
                    return Ok(false);
                }
            }
            return Ok(true);
        }
        // Unfiltered, every item is a row: skip items a stretch at a time.
        while self.row < skip {
            let stretch = recorder.as_deref().map_or(u64::MAX, |r| r.every);
            let next_stop = (self.row / stretch + 1).saturating_mul(stretch).min(skip);
            let want = next_stop - self.row;
            let skipped = self.stream.skip_items(want)?;
            self.row += skipped;
            if skipped < want {
                return Ok(false);
            }
            if let Some(recorder) = recorder.as_deref_mut() {
                self.note_position(recorder);
            }
        }
        Ok(true)
    }

    /// The rows numbered `wanted` (0-based among the rows the filters keep)
    /// into `sink`, in the order of `wanted`: a page, or a whole export, in
    /// sort order. The rows are visited in file order; rows after the last
    /// wanted one are not read. With an [`IndexedFile`] (a reader at the
    /// file's start) each wanted row is reached from the nearest remembered
    /// position before it, so a page of a sorted view reads at most the
    /// index's stride of rows per row it shows (a sort order keeps its own
    /// positions, `view::sort`) instead of the file up to its last row
    /// (issue 24: 4.3 s for every later page of a 300,000-record sort).
    pub fn read_selected<S: RowSink + ?Sized>(
        &mut self,
        wanted: &[u64],
        index: Option<IndexedFile<'_>>,
        sink: &mut S,
    ) -> io::Result<()> {
        let mut recorder = index.map(|i| Recorder::new(i.checkpoints, i.file, i.rows));
        let mut in_file_order: Vec<(u64, usize)> = wanted
            .iter()
            .enumerate()
            .map(|(slot, &seq)| (seq, slot))
            .collect();
        in_file_order.sort_unstable();
        let mut slots: Vec<Option<Row>> = vec![None; wanted.len()];
        for (seq, slot) in in_file_order {
            // A number given twice is shown once.
            if seq < self.row {
                continue;
            }
            if !self.skip_rows(seq, recorder.as_mut())? {
                break;
            }
            match self.next_noted(recorder.as_mut())? {
                Some(row) => slots[slot] = Some(row),
                None => break,
            }
        }
        for row in slots.into_iter().flatten() {
            sink.row(row)?;
        }
        Ok(())
    }

    /// Goes on from `piece` of the file at `path`, as if every row before
    /// it had been read.
    fn resume_at(&mut self, path: &Path, piece: Piece) -> io::Result<()> {
        let at = piece.position();
        self.stream.resume(piece.into_input(path)?, at)?;
        self.row = 0;
        Ok(())
    }
}

/// A file whose page index a read uses and fills: the index, the file, and
/// which of its rows the read's view keeps.
pub struct IndexedFile<'c> {
    pub checkpoints: &'c Checkpoints,
    pub file: SeekableFile,
    pub rows: RowsKey,
}

/// Reads `file` from where its records start in stretches on `threads`
/// threads: each worker opens a reader over the file's header once (`open`)
/// and resumes it at every stretch it is given, writing the stretch's rows
/// into a part of its own (`part`, given the stretch's size); the parts are
/// handed to `join` in file order, so they are exactly what one pass would
/// give. With `index`, the positions after the rows are remembered as one
/// pass would have remembered them.
pub fn read_in_stretches<'g, P: RowSink + Send>(
    threads: usize,
    file: &StretchedFile<'_>,
    open: impl Fn() -> io::Result<RowReader<'g>> + Sync,
    part: impl Fn(u64) -> P + Sync,
    mut join: impl FnMut(P) -> io::Result<()>,
    index: Option<IndexedFile<'_>>,
) -> io::Result<()> {
    let mut recorder = index.map(|i| Recorder::new(i.checkpoints, i.file, i.rows));
    let every = recorder.as_ref().map(|r| r.every);
    let mut rows_before = 0u64;
    stretches::in_order(
        threads,
        file.stretches(STRETCH_BYTES, threads)?,
        open,
        |reader, piece: Piece| {
            let mut sink = part(piece.text_len());
            reader.resume_at(file.path, piece)?;
            let mut positions = Vec::new();
            while let Some(row) = reader.next_row()? {
                sink.row(row)?;
                if every.is_some()
                    && let Some(at) = reader.position()
                {
                    positions.push((reader.row, at));
                }
            }
            Ok((sink, reader.row, positions))
        },
        |(sink, rows, positions)| {
            if let Some(recorder) = recorder.as_mut() {
                for (row, at) in positions {
                    recorder.after(rows_before + row, at);
                }
            }
            rows_before += rows;
            join(sink)
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::{self, FormatKind, FormatOptions};

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
        checkpoints: &Checkpoints,
        path: &Path,
        filters: &Filters,
        page: u64,
        per_page: usize,
        index: bool,
    ) -> (Vec<(u64, String)>, bool) {
        let options = FormatOptions::default();
        let file = std::fs::File::open(path).expect("open");
        let stream = formats::open(
            FormatKind::Vcf,
            Box::new(std::io::BufReader::new(file)),
            &options,
        )
        .expect("vcf");
        let mut reader = RowReader::new(
            stream,
            ReadRules {
                filters: filters.clone(),
                predicate: None,
                genome: None,
                flank: 0,
                loci: LociRules::default(),
                values: None,
            },
        );
        let index = index
            .then(|| SeekableFile::local(path, options.decompression))
            .flatten()
            .map(|file| IndexedFile {
                checkpoints,
                file,
                rows: RowsKey::new(FormatKind::Vcf, &options, filters, None),
            });
        let mut rows = Vec::new();
        let has_next = reader
            .read_page(page, per_page, index, &mut |row: Row| {
                rows.push((row.line, row.label));
                Ok(())
            })
            .expect("page");
        (rows, has_next)
    }

    fn check_pages_match(name: &str, bytes: &[u8]) {
        let checkpoints = Checkpoints::default();
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).expect("write");
        let filters = [
            Filters::default(),
            Filters {
                pass_only: true,
                ..Filters::default()
            },
        ];
        for filter in &filters {
            // First visits fill the index; later ones start from it.
            for round in 0..2 {
                for (page, per_page) in [(1, 100), (12, 100), (40, 100), (3, 1000), (49, 100)] {
                    let plain = page_of(&checkpoints, &path, filter, page, per_page, false);
                    let indexed = page_of(&checkpoints, &path, filter, page, per_page, true);
                    assert_eq!(
                        plain, indexed,
                        "{name} {filter:?} page {page} x {per_page} (round {round})"
                    );
                }
            }
        }
        // Past the end: empty either way.
        let (rows, has_next) = page_of(&checkpoints, &path, &Filters::default(), 60, 100, true);
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
        let checkpoints = Checkpoints::default();
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("changing.vcf");
        std::fs::write(&path, vcf_text()).expect("write");
        page_of(&checkpoints, &path, &Filters::default(), 45, 100, true);
        // Same rows, but every data line one byte longer: old offsets would land
        // mid-line.
        let longer = String::from_utf8(vcf_text())
            .expect("utf8")
            .replace("\trs", "\trsx");
        std::fs::write(&path, longer.as_bytes()).expect("rewrite");
        let plain = page_of(&checkpoints, &path, &Filters::default(), 45, 100, false);
        let indexed = page_of(&checkpoints, &path, &Filters::default(), 45, 100, true);
        assert_eq!(plain, indexed);
        assert!(plain.0[0].1.starts_with("rsx"));
    }
}
