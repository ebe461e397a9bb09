//! Why a row has no link: the record's loci are not ones IGV can be sent
//! (IGV blocks on a dialog for an unknown sequence, and shows garbage past a
//! chromosome's end). A refusal keeps its detail for the row's error text,
//! and its [`RefusalKind`] for the counts of a page's summary and of the JSON
//! export's `refused`.

use serde::Serialize;

use crate::domain::genes::GeneProblem;
use crate::domain::genome::GenomeError;
use crate::domain::loci::{LociError, LocusProblem};
use crate::domain::locus::LocusError;

/// Why one row has no link. Each variant's text is the row's error as the
/// page and the exports show it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// A line that is not a record of its format.
    #[error("line {line} is malformed: {message}")]
    Malformed { line: u64, message: String },
    /// No genome was chosen, and the file's own `##contig` lines lack the
    /// record's sequence.
    #[error("chromosome {chrom:?} is not among the file's ##contig lines")]
    NotAmongContigs { chrom: String },
    /// No genome was chosen, and the record starts past its `##contig` length.
    #[error("position {position} is beyond the end of {chrom}, which is {length} bp long")]
    BeyondContig {
        chrom: String,
        position: u64,
        length: u64,
    },
    #[error("the start ({start}) is after the end ({end}) after converting to 1-based coordinates")]
    StartAfterEnd { start: u64, end: u64 },
    /// The sequence name or a position cannot be written as a locus.
    #[error(transparent)]
    Locus(#[from] LocusError),
    /// The genome refuses it: an unknown sequence, a position past an end.
    #[error(transparent)]
    Genome(#[from] GenomeError),
    /// The loci as a whole: too many of them, a name the genome cannot take.
    #[error(transparent)]
    Loci(#[from] LociError),
    /// A gene table's row names a gene the genome's annotation does not
    /// know, or knows as several genes.
    #[error(transparent)]
    Gene(#[from] GeneProblem),
}

/// What a summary counts a refusal as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefusalKind {
    /// A position past the end of its sequence.
    BeyondEnd,
    /// A sequence the genome (or the file's own header) does not have.
    UnknownSequence,
    /// A line that is not a record of its format.
    Malformed,
    /// Anything else (a name IGV cannot take, start after end, ...).
    Other,
}

impl Refusal {
    pub fn kind(&self) -> RefusalKind {
        match self {
            Self::Malformed { .. } => RefusalKind::Malformed,
            Self::NotAmongContigs { .. } => RefusalKind::UnknownSequence,
            Self::BeyondContig { .. } => RefusalKind::BeyondEnd,
            Self::StartAfterEnd { .. } | Self::Locus(_) | Self::Gene(_) => RefusalKind::Other,
            Self::Genome(e) => genome_kind(e),
            Self::Loci(LociError::Item {
                problem: LocusProblem::Genome(e),
                ..
            }) => genome_kind(e),
            Self::Loci(_) => RefusalKind::Other,
        }
    }
}

fn genome_kind(error: &GenomeError) -> RefusalKind {
    match error {
        GenomeError::PastEnd { .. } => RefusalKind::BeyondEnd,
        GenomeError::UnknownChromosome { .. } => RefusalKind::UnknownSequence,
        _ => RefusalKind::Other,
    }
}

/// Rows without a link, by kind: the `refused` of a JSON export and the
/// page's refusal summary.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RefusalCounts {
    /// A position past the end of its sequence.
    pub beyond_end: u64,
    /// A sequence the genome (or the file's own header) does not have.
    pub unknown_sequence: u64,
    /// A line that is not a record of its format.
    pub malformed: u64,
    /// Anything else (a name IGV cannot take, start after end, ...).
    pub other: u64,
}

impl RefusalCounts {
    pub fn add(&mut self, refusal: &Refusal) {
        let count = match refusal.kind() {
            RefusalKind::BeyondEnd => &mut self.beyond_end,
            RefusalKind::UnknownSequence => &mut self.unknown_sequence,
            RefusalKind::Malformed => &mut self.malformed,
            RefusalKind::Other => &mut self.other,
        };
        *count += 1;
    }

    /// Adds another part of the same view's counts.
    pub fn merge(&mut self, other: &RefusalCounts) {
        self.beyond_end += other.beyond_end;
        self.unknown_sequence += other.unknown_sequence;
        self.malformed += other.malformed;
        self.other += other.other;
    }

    pub fn total(&self) -> u64 {
        self.beyond_end + self.unknown_sequence + self.malformed + self.other
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::genome::GenomeError;

    /// Each kind is decided by the variant, whatever words its detail has:
    /// a row label that says "is malformed" counts for nothing.
    #[test]
    fn refusals_are_counted_by_their_variant() {
        let refusals = [
            Refusal::Malformed {
                line: 3,
                message: "beyond the end of chr1".into(),
            },
            Refusal::NotAmongContigs {
                chrom: "is malformed".into(),
            },
            Refusal::BeyondContig {
                chrom: "chr1".into(),
                position: 20,
                length: 10,
            },
            Refusal::Genome(GenomeError::PastEnd {
                chrom: "chr1".into(),
                position: 20,
                length: 10,
                genome: "hg38".into(),
            }),
            Refusal::Genome(GenomeError::UnknownChromosome {
                chrom: "chrUn".into(),
                genome: "hg38".into(),
                examples: "chr1".into(),
            }),
            Refusal::StartAfterEnd { start: 5, end: 4 },
        ];
        let mut counts = RefusalCounts::default();
        for refusal in &refusals {
            counts.add(refusal);
        }
        assert_eq!(
            counts,
            RefusalCounts {
                beyond_end: 2,
                unknown_sequence: 2,
                malformed: 1,
                other: 1,
            }
        );
        assert_eq!(counts.total(), refusals.len() as u64);
    }

    #[test]
    fn a_refusal_reads_as_the_rows_error_always_did() {
        assert_eq!(
            Refusal::BeyondContig {
                chrom: "chr2".into(),
                position: 2000000,
                length: 1000000
            }
            .to_string(),
            "position 2000000 is beyond the end of chr2, which is 1000000 bp long"
        );
        assert_eq!(
            Refusal::Malformed {
                line: 17,
                message: "POS is not a number".into()
            }
            .to_string(),
            "line 17 is malformed: POS is not a number"
        );
    }
}
