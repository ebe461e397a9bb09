//! From a record stream to rows with validated loci: the part of a link page
//! that knows genomes and IGV, but not HTTP.

use std::collections::HashMap;
use std::io::BufRead;

use crate::domain::genome::Genome;
use crate::domain::loci::{Loci, LociRules};
use crate::domain::locus::{ChromName, Locus};
use crate::formats::{self, FormatError, FormatKind, FormatOptions, Interval, Item, RecordStream};

/// Records per page unless asked otherwise, and the most a page may hold.
pub const DEFAULT_PER_PAGE: usize = 100;
pub const MAX_PER_PAGE: usize = 1000;

/// Which records a page shows.
#[derive(Clone, Debug, Default)]
pub struct RowFilter {
    pub chrom: Option<String>,
    /// Case-insensitive substring of the record's label (ID, name).
    pub query: Option<String>,
    /// VCF: only FILTER=PASS.
    pub pass_only: bool,
}

impl RowFilter {
    pub fn is_active(&self) -> bool {
        self.chrom.is_some() || self.query.is_some() || self.pass_only
    }

    fn keeps(&self, item: &Item) -> bool {
        let Item::Record(record) = item else {
            // Malformed lines are shown in the unfiltered view, where they are.
            return !self.is_active();
        };
        if self.pass_only && record.filter_pass != Some(true) {
            return false;
        }
        if let Some(chrom) = &self.chrom
            && !record.intervals.iter().any(|i| &i.chrom == chrom)
        {
            return false;
        }
        if let Some(q) = &self.query {
            let q = q.to_lowercase();
            if !record.label.to_lowercase().contains(&q) {
                return false;
            }
        }
        true
    }
}

/// One row of a link page.
#[derive(Clone, Debug)]
pub struct Row {
    pub line: u64,
    pub label: String,
    pub cells: Vec<String>,
    /// The loci IGV would be sent, or why the record has no link.
    pub loci: Result<Loci, String>,
}

/// Turns a record's intervals into loci IGV can show, or says why not.
pub struct LocusResolver<'a> {
    genome: Option<&'a Genome>,
    /// From the file's own header (VCF `##contig`) when no genome is given.
    contigs: Option<HashMap<String, Option<u64>>>,
    flank: u64,
    rules: LociRules,
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
        }
    }

    pub fn resolve(&self, intervals: &[Interval]) -> Result<Loci, String> {
        let mut parts = Vec::with_capacity(intervals.len());
        for interval in intervals {
            parts.push(self.resolve_one(interval)?.to_string());
        }
        Loci::parse(&parts.join(" "), self.rules, self.genome).map_err(|e| e.to_string())
    }

    fn resolve_one(&self, interval: &Interval) -> Result<Locus, String> {
        let chrom = ChromName::parse(&interval.chrom).map_err(|e| e.to_string())?;
        if interval.start > interval.end {
            return Err(format!(
                "the start ({}) is after the end ({}) after converting to 1-based coordinates",
                interval.start, interval.end
            ));
        }
        let locus = Locus::from_interval(chrom, interval.start.max(1), interval.end.max(1))
            .map_err(|e| e.to_string())?;
        let length = match (self.genome, &self.contigs) {
            (Some(genome), _) => {
                let resolved = genome.resolve(&locus).map_err(|e| e.to_string())?;
                genome
                    .chromosome(resolved.chrom().as_str())
                    .map(|c| c.length)
            }
            (None, Some(contigs)) => match contigs.get(&interval.chrom) {
                None => {
                    return Err(format!(
                        "chromosome {:?} is not among the file's ##contig lines",
                        interval.chrom
                    ));
                }
                Some(Some(length)) if interval.start > *length => {
                    return Err(format!(
                        "position {} is beyond the end of {}, which is {length} bp long",
                        interval.start, interval.chrom
                    ));
                }
                Some(length) => *length,
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

/// Opens a file's record stream.
pub fn open_stream(
    kind: FormatKind,
    input: Box<dyn BufRead + Send>,
    options: &FormatOptions,
) -> Result<Box<dyn RecordStream + Send>, FormatError> {
    formats::open(kind, input, options)
}

/// Iterates the rows a filter keeps, in file order.
pub struct Rows<'s, 'g> {
    stream: &'s mut (dyn RecordStream + Send),
    resolver: LocusResolver<'g>,
    filter: RowFilter,
}

impl<'s, 'g> Rows<'s, 'g> {
    pub fn new(
        stream: &'s mut (dyn RecordStream + Send),
        resolver: LocusResolver<'g>,
        filter: RowFilter,
    ) -> Self {
        Self {
            stream,
            resolver,
            filter,
        }
    }

    /// The next row, or `None` at the end of the file.
    pub fn next_row(&mut self) -> std::io::Result<Option<Row>> {
        while let Some(item) = self.stream.next_item()? {
            if !self.filter.keeps(&item) {
                continue;
            }
            return Ok(Some(match item {
                Item::Record(record) => Row {
                    line: record.line,
                    loci: self.resolver.resolve(&record.intervals),
                    label: record.label,
                    cells: record.cells,
                },
                Item::Invalid { line, message, raw } => Row {
                    line,
                    label: String::new(),
                    cells: vec![raw],
                    loci: Err(format!("line {line} is malformed: {message}")),
                },
            }));
        }
        Ok(None)
    }

    /// Skips to page `page` (1-based) and collects it.
    pub fn page(mut self, page: u64, per_page: usize) -> std::io::Result<Page> {
        let columns = self.stream.columns().to_vec();
        let samples = self.stream.samples().to_vec();
        let skip = page.saturating_sub(1).saturating_mul(per_page as u64);
        for _ in 0..skip {
            if self.next_row()?.is_none() {
                return Ok(Page {
                    columns,
                    samples,
                    rows: Vec::new(),
                    has_next: false,
                });
            }
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
