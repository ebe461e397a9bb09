//! Bounds on what one item may keep in memory, whatever the file says.
//!
//! A line may be 1 MiB and a page 1000 rows, so without these a page of a
//! wide table or a cohort VCF (one GT column per sample) held gigabytes: a
//! 100 000-sample VCF made one page request peak at 2 GB (SECURITY.md). Every
//! stream [`super::open`] returns is wrapped in [`Bounded`]; the caps apply to
//! what is shown and exported, never to which lines are read or how loci are
//! found.

use std::io::{self, BufRead};

use super::{Item, RecordStream, StreamPosition, VcfHeaderFields, VcfValues};

/// Most display columns a stream reports; the others are counted in
/// [`RecordStream::hidden_columns`].
pub const MAX_COLUMNS: usize = 256;

/// Most VCF samples shown as GT columns (the first ones in the header).
pub const MAX_SAMPLE_COLUMNS: usize = 100;

/// Most bytes of cell text one row keeps; a cell past the budget is cut.
pub const MAX_ROW_TEXT_BYTES: usize = 16 << 10;

/// Most bytes kept of a label, a chromosome name, a malformed line or a message.
pub const MAX_FIELD_BYTES: usize = 1 << 10;

/// What marks text that was cut.
const CUT: char = '…';

pub(crate) struct Bounded {
    inner: Box<dyn RecordStream + Send>,
    columns: Vec<String>,
    /// Columns of `inner` that are not shown.
    cut_columns: usize,
}

impl Bounded {
    pub(crate) fn new(inner: Box<dyn RecordStream + Send>) -> Self {
        let all = inner.columns();
        let columns: Vec<String> = all
            .iter()
            .take(MAX_COLUMNS)
            .map(|c| cut(c, MAX_FIELD_BYTES))
            .collect();
        let cut_columns = all.len() - columns.len();
        Self {
            inner,
            columns,
            cut_columns,
        }
    }

    fn bound(&self, item: Item) -> Item {
        match item {
            Item::Record(mut record) => {
                record.cells.truncate(self.columns.len());
                let mut budget = MAX_ROW_TEXT_BYTES;
                for cell in &mut record.cells {
                    let keep = cell.len().min(budget);
                    if keep < cell.len() {
                        *cell = cut(cell, keep);
                    }
                    budget -= keep.min(budget);
                }
                if record.label.len() > MAX_FIELD_BYTES {
                    record.label = cut(&record.label, MAX_FIELD_BYTES);
                }
                for interval in &mut record.intervals {
                    if interval.chrom.len() > MAX_FIELD_BYTES {
                        interval.chrom = cut(&interval.chrom, MAX_FIELD_BYTES);
                    }
                }
                Item::Record(record)
            }
            Item::Invalid { line, message, raw } => Item::Invalid {
                line,
                message: cut(&message, MAX_FIELD_BYTES),
                raw: cut(&raw, MAX_FIELD_BYTES),
            },
        }
    }
}

/// `text` cut to at most `max` bytes on a character boundary, marked when cut.
fn cut(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let mut out = text[..end].to_owned();
    out.push(CUT);
    out
}

impl RecordStream for Bounded {
    fn columns(&self) -> &[String] {
        &self.columns
    }

    fn contigs(&self) -> Option<&[(String, Option<u64>)]> {
        self.inner.contigs()
    }

    fn names_genes(&self) -> bool {
        self.inner.names_genes()
    }

    /// The samples whose GT columns are shown (they come last).
    fn samples(&self) -> &[String] {
        let samples = self.inner.samples();
        &samples[..samples.len().saturating_sub(self.cut_columns)]
    }

    fn hidden_columns(&self) -> usize {
        self.inner.hidden_columns() + self.cut_columns
    }

    fn vcf_header(&self) -> Option<&VcfHeaderFields> {
        self.inner.vcf_header()
    }

    fn current_values(&self, samples: &[usize]) -> Option<VcfValues> {
        self.inner.current_values(samples)
    }

    fn next_item(&mut self) -> io::Result<Option<Item>> {
        Ok(self.inner.next_item()?.map(|item| self.bound(item)))
    }

    fn position(&self) -> Option<StreamPosition> {
        self.inner.position()
    }

    fn resume(&mut self, input: Box<dyn BufRead + Send>, at: StreamPosition) -> io::Result<()> {
        self.inner.resume(input, at)
    }

    fn skip_items(&mut self, n: u64) -> io::Result<u64> {
        self.inner.skip_items(n)
    }

    fn set_line_hint(&mut self, hint: &super::LineHint) {
        self.inner.set_line_hint(hint)
    }

    fn set_values_wanted(&mut self, wanted: bool) {
        self.inner.set_values_wanted(wanted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_keeps_whole_characters_and_marks_the_cut() {
        assert_eq!(cut("abc", 3), "abc");
        assert_eq!(cut("abcd", 3), "abc…");
        assert_eq!(cut("ééé", 3), "é…");
    }
}
