//! Which records a view keeps: the built-in filters (chromosome, region,
//! text, FILTER=PASS) as plain data, and the conditions a view adds through
//! a narrow trait ([`RowPredicate`]), so rows know nothing of triage.

use std::fmt;
use std::sync::Arc;

use crate::formats::{Interval, Item, LineHint, Record, VcfValues};

/// The built-in filters of a view, as plain data (`?chrom=`, `?q=`,
/// `?pass=`, `?region=`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Filters {
    pub chrom: Option<String>,
    /// Case-insensitive substring of the record's label (ID, name), or of
    /// what the predicate searches (annotations).
    pub query: Option<String>,
    /// VCF: only FILTER=PASS.
    pub pass_only: bool,
    /// Only records overlapping this stretch (1-based, inclusive).
    pub region: Option<Interval>,
}

impl Filters {
    pub fn is_active(&self) -> bool {
        self.chrom.is_some() || self.query.is_some() || self.pass_only || self.region.is_some()
    }
}

/// Which records a read keeps: the built-in filters and the view's
/// conditions. Set up by the reader alone ([`super::RowReader::new`]).
#[derive(Clone, Debug, Default)]
pub(super) struct RowFilter {
    pub filters: Filters,
    /// Conditions on a record's fields (the view's `?where=`).
    pub predicate: Option<Arc<dyn RowPredicate>>,
}

/// Conditions a record must meet beyond the built-in filters (implemented
/// by the view's triage conditions).
pub trait RowPredicate: Send + Sync + fmt::Debug {
    /// Header indices of the VCF samples whose columns it reads.
    fn samples(&self) -> &[usize];
    /// Whether it reads the record's VCF values at all.
    fn wants_values(&self) -> bool;
    fn keeps(&self, record: &Record, values: Option<&VcfValues>) -> bool;
    /// Whether the lower-case `query` is found beyond the label.
    fn matches_query(&self, query: &str, record: &Record, values: Option<&VcfValues>) -> bool;
    /// Text every line it keeps contains, for the stream to pass over the
    /// rest unparsed ([`crate::formats::RecordStream::set_line_hint`]).
    fn line_hint(&self) -> Option<LineHint> {
        None
    }
}

impl RowFilter {
    pub fn is_active(&self) -> bool {
        self.filters.is_active() || self.predicate.is_some()
    }

    pub fn keeps(&self, item: &Item, values: Option<&VcfValues>) -> bool {
        let Item::Record(record) = item else {
            // Malformed lines are shown in the unfiltered view, where they are.
            return !self.is_active();
        };
        let filters = &self.filters;
        if filters.pass_only && record.filter_pass != Some(true) {
            return false;
        }
        if let Some(chrom) = &filters.chrom
            && !record
                .intervals
                .iter()
                .any(|i| same_sequence(&i.chrom, chrom))
        {
            return false;
        }
        if let Some(region) = &filters.region
            && !record.intervals.iter().any(|i| {
                same_sequence(&i.chrom, &region.chrom)
                    && i.start <= region.end
                    && i.end.max(i.start) >= region.start
            })
        {
            return false;
        }
        if let Some(q) = &filters.query {
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
pub(super) fn same_sequence(a: &str, b: &str) -> bool {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
