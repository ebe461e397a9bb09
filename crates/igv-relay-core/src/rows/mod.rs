//! From a record stream to rows: each record with the loci IGV would be
//! sent, or why it has none ([`Refusal`]). One reader ([`RowReader`]) reads
//! them, from the start, from a remembered checkpoint, in a given order, or
//! in stretches on several threads ([`read_in_stretches`]), and hands them
//! to a [`RowSink`]: one sink per output (`crate::sinks`). Rows know genomes
//! and IGV's rules, but nothing of pages, exports or HTTP.

mod checkpoints;
mod filter;
mod inflated;
mod reader;
mod refusal;
mod resolver;
pub mod stretches;

use std::io;

pub use checkpoints::{
    CHECKPOINT_EVERY, CheckpointKey, Checkpoints, FileIdentity, FilePlace, FileVersion,
    MAX_CHECKPOINTS, RowsKey, SeekableFile,
};
pub use filter::{Filters, RowPredicate};
pub use reader::{IndexedFile, ReadRules, RowReader, read_in_stretches};
pub use refusal::{Refusal, RefusalCounts, RefusalKind};

use crate::domain::loci::Loci;
use crate::formats::{Interval, SvEvent, VcfValues};

/// One record (or malformed line) of a view.
#[derive(Clone, Debug)]
pub struct Row {
    /// 1-based line number in the (decompressed) file.
    pub line: u64,
    pub label: String,
    /// One per column of the stream; empty for a malformed line, or when
    /// the read asked for no cells.
    pub cells: Vec<String>,
    /// A malformed line as written (at most its first few hundred bytes).
    pub raw: Option<String>,
    /// The loci IGV would be sent, or why the record has no link.
    pub loci: Result<Loci, Refusal>,
    /// The record's first interval as the file gives it (1-based), before
    /// any genome check: what totals and the overview count.
    pub interval: Option<Interval>,
    /// VCF: the record's columns as written, when the read asked for them
    /// ([`ReadRules::values`]). Boxed: rows are moved from the reader to a
    /// sink one by one, and most reads carry no values.
    pub values: Option<Box<VcfValues>>,
    /// VCF: FILTER is neither PASS nor `.`.
    pub filter_failed: bool,
    /// A structural variant's type and size (VCF SV records, BEDPE pairs).
    pub sv: Option<Box<SvEvent>>,
}

/// Where a reader's rows go: one implementation per output (page model,
/// tally, TSV, JSON, IGV batch, sessions, static page).
pub trait RowSink {
    fn row(&mut self, row: Row) -> io::Result<()>;
}

/// A closure is a sink (tests, and passes that only collect).
impl<F: FnMut(Row) -> io::Result<()>> RowSink for F {
    fn row(&mut self, row: Row) -> io::Result<()> {
        self(row)
    }
}
