//! What a tabix or CSI index next to a bgzipped file says about the genome:
//! every sequence the records name and how far each reaches, without reading
//! the records.
//!
//! A header without `##contig` lines leaves the genome to the records' names
//! and positions, and the first records of a sorted file are all on its first
//! sequences, short of their ends (issue 24: 1000 Genomes' chr22 VCF reaches
//! 50,999,964, past hg38's chr22 end at 50,818,468, only in its last records).
//! The index has both: its header lists the names, and each sequence's bins
//! bound where its records start.
//!
//! A record lies in the smallest bin that holds all of it, so a bin with
//! chunks holds a record starting at or after the bin's own start: the
//! largest start of the used bins is a lower bound of the sequence's largest
//! record start, never past it. It can rule a genome out, never in wrongly.

use std::path::Path;

use noodles::csi::{self, BinningIndex};

use super::FormatKind;

/// Indexes larger than this are not read for a page (a tabix index of a
/// whole-genome VCF with millions of records is a few MiB).
const MAX_INDEX_BYTES: u64 = 64 << 20;

/// One sequence an index lists, in the index's order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexedSequence {
    pub name: String,
    /// A lower bound of the largest 1-based position where one of its records
    /// starts; `None` when the index holds no records for it.
    pub reaches: Option<u64>,
}

/// The sequences the index next to `data` (`data` + `.tbi`, else `.csi`)
/// lists, for the text formats a tabix-style index applies to. `None` when
/// there is no such index, it is too large, or it cannot be read (a page then
/// goes on with the records' own evidence).
pub fn indexed_sequences(data: &Path, kind: FormatKind) -> Option<Vec<IndexedSequence>> {
    if !kind.index_suffixes().contains(&".tbi") {
        return None;
    }
    let beside = |suffix: &str| {
        let mut path = data.as_os_str().to_owned();
        path.push(suffix);
        let path = std::path::PathBuf::from(path);
        let size = std::fs::metadata(&path).ok()?.len();
        (size <= MAX_INDEX_BYTES).then_some(path)
    };
    if let Some(tbi) = beside(".tbi") {
        let index = noodles::tabix::fs::read(tbi).ok()?;
        return sequences(&index);
    }
    let index = noodles::csi::fs::read(beside(".csi")?).ok()?;
    sequences(&index)
}

fn sequences<I>(index: &csi::binning_index::Index<I>) -> Option<Vec<IndexedSequence>>
where
    I: csi::binning_index::index::reference_sequence::Index,
{
    // A CSI index without a tabix-style header (a BAM's) names no sequences.
    let names = index.header()?.reference_sequence_names();
    let (min_shift, depth) = (index.min_shift(), index.depth());
    let listed = names.iter().enumerate().map(|(i, name)| {
        let reaches = csi::binning_index::Index::reference_sequences(index)
            .get(i)
            .and_then(|sequence| {
                sequence
                    .bins()
                    .iter()
                    .filter(|(_, bin)| !bin.chunks().is_empty())
                    .filter_map(|(&id, _)| bin_start(id, min_shift, depth))
                    .max()
                    .map(|start| start + 1)
            });
        IndexedSequence {
            name: String::from_utf8_lossy(name).into_owned(),
            reaches,
        }
    });
    Some(listed.collect())
}

/// The 0-based first position of bin `id` in a binning scheme of `depth`
/// levels whose smallest bins span `2^min_shift` bases (tabix: 14 and 5);
/// `None` for ids past the last level (the metadata pseudo-bin).
fn bin_start(id: usize, min_shift: u8, depth: u8) -> Option<u64> {
    let mut first_of_level = 0usize;
    for level in 0..=u32::from(depth) {
        let bins_in_level = 1usize.checked_shl(3 * level)?;
        if id < first_of_level + bins_in_level {
            let width_shift = u32::from(min_shift) + 3 * (u32::from(depth) - level);
            return ((id - first_of_level) as u64).checked_shl(width_shift);
        }
        first_of_level += bins_in_level;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_start_where_the_sam_specification_puts_them() {
        // SAMv1 §5.3: reg2bin(beg, end) for a 1-base record in tabix's scheme
        // is 4681 + (beg >> 14); level 0 (bin 0) starts at 0.
        assert_eq!(bin_start(0, 14, 5), Some(0));
        assert_eq!(bin_start(4681, 14, 5), Some(0));
        assert_eq!(bin_start(4681 + 3112, 14, 5), Some(3112 << 14));
        // Level 1 bins span 2^26 bases (64 Mb), level 4 bins 2^17 (128 kb).
        assert_eq!(bin_start(2, 14, 5), Some(1 << 26));
        assert_eq!(bin_start(585 + 7, 14, 5), Some(7 << 17));
        // 37449 is one past the last bin (37448); 37450 is the metadata bin.
        assert_eq!(bin_start(37448, 14, 5), Some(32767 << 14));
        assert_eq!(bin_start(37449, 14, 5), None);
        assert_eq!(bin_start(37450, 14, 5), None);
    }

    #[test]
    fn a_missing_or_unreadable_index_says_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let vcf = dir.path().join("calls.vcf.gz");
        std::fs::write(&vcf, b"").unwrap();
        assert_eq!(indexed_sequences(&vcf, FormatKind::Vcf), None);
        std::fs::write(dir.path().join("calls.vcf.gz.tbi"), b"not an index").unwrap();
        assert_eq!(indexed_sequences(&vcf, FormatKind::Vcf), None);
        // BAM indexes are not this module's.
        assert_eq!(indexed_sequences(&vcf, FormatKind::Bam), None);
    }
}
