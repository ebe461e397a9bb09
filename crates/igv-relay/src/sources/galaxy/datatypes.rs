//! Galaxy datatypes (a dataset's `extension`) → igv-relay formats.
//!
//! Coordinates follow Galaxy's datatypes (shared/reference/galaxy.md §3): the
//! BED family and `interval` are 0-based half-open, GFF/GTF and VCF 1-based;
//! the parsers in `formats` convert, so this table only picks the parser and,
//! for `interval`/`tabular`, passes the column metadata on.

use igv_relay_core::formats::{CoordBase, FormatKind, FormatOptions};

/// 1-based column numbers from `metadata_chromCol`, `metadata_startCol`, `metadata_endCol`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ColumnMetadata {
    pub chrom: Option<usize>,
    pub start: Option<usize>,
    pub end: Option<usize>,
}

impl ColumnMetadata {
    fn complete(&self) -> bool {
        self.chrom.is_some() && self.start.is_some() && self.end.is_some()
    }
}

/// How to read one Galaxy dataset, and what to tell IGV about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GalaxyFormat {
    pub kind: FormatKind,
    pub options: FormatOptions,
    /// IGV's `format=` for "Load in IGV", or `None` when IGV cannot load the
    /// dataset as a track (interval and tabular files: only their loci are used).
    pub igv_format: Option<&'static str>,
    /// Where Galaxy serves the index, relative to the data URL (`.tbi`, `.bai`),
    /// for datatypes whose display application publishes one.
    pub index_suffix: Option<&'static str>,
}

/// Galaxy datatypes igv-relay shows, with what each becomes (for error pages).
pub const SUPPORTED_DATATYPES: &[(&str, &str)] = &[
    ("vcf, vcf_bgzip", "VCF"),
    ("bed, bed6, bed12, bedstrict", "BED"),
    ("bedgraph", "bedGraph"),
    ("encodepeak", "narrowPeak"),
    (
        "interval",
        "columns from the dataset's chromCol/startCol/endCol metadata",
    ),
    ("gff, gff3", "GFF3 (gff: columns as in GFF3)"),
    ("gtf", "GTF"),
    (
        "tabular",
        "interval metadata when set, else chrom/start/end column names",
    ),
    ("picard_interval_list", "interval list (1-based)"),
    ("bam, cram", "loaded into IGV (no rows listed)"),
];

/// The format for a Galaxy extension, or `None` when igv-relay cannot show it.
pub fn for_extension(ext: &str, columns: &ColumnMetadata) -> Option<GalaxyFormat> {
    let plain = |kind: FormatKind, igv: &'static str| GalaxyFormat {
        kind,
        options: FormatOptions::default(),
        igv_format: Some(igv),
        index_suffix: None,
    };
    let with_columns = |columns: &ColumnMetadata| GalaxyFormat {
        kind: FormatKind::Tabular,
        options: FormatOptions {
            chrom_col: columns.chrom,
            start_col: columns.start,
            end_col: columns.end,
            // Galaxy's interval datatype is 0-based like BED.
            coords: columns.complete().then_some(CoordBase::Zero),
            ..FormatOptions::default()
        },
        igv_format: None,
        index_suffix: None,
    };
    Some(match ext.trim().to_ascii_lowercase().as_str() {
        "vcf" => plain(FormatKind::Vcf, "vcf"),
        "vcf_bgzip" => GalaxyFormat {
            index_suffix: Some(".tbi"),
            ..plain(FormatKind::Vcf, "vcf")
        },
        "bed" | "bed6" | "bed12" | "bedstrict" => plain(FormatKind::Bed, "bed"),
        "bedgraph" => plain(FormatKind::BedGraph, "bedgraph"),
        "encodepeak" => plain(FormatKind::NarrowPeak, "narrowpeak"),
        "gff" => plain(FormatKind::Gff3, "gff"),
        "gff3" => plain(FormatKind::Gff3, "gff3"),
        "gtf" => plain(FormatKind::Gtf, "gtf"),
        "interval" => with_columns(&ColumnMetadata {
            chrom: columns.chrom.or(Some(1)),
            start: columns.start.or(Some(2)),
            end: columns.end.or(Some(3)),
        }),
        "tabular" if columns.complete() => with_columns(columns),
        "tabular" => with_columns(&ColumnMetadata::default()),
        // Galaxy's `maf` is multiple alignments, not mutations: a mutation MAF
        // comes as `tabular`, read by its `Start_Position` column (1-based).
        "picard_interval_list" => GalaxyFormat {
            igv_format: None,
            ..plain(FormatKind::IntervalList, "")
        },
        "bam" => GalaxyFormat {
            index_suffix: Some(".bai"),
            ..plain(FormatKind::Bam, "bam")
        },
        // Galaxy keeps a CRAM's index as its `cram_index` metadata, which
        // igv-relay's display application serves at the data URL + ".crai".
        "cram" => GalaxyFormat {
            index_suffix: Some(".crai"),
            ..plain(FormatKind::Cram, "cram")
        },
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bed_family_datatypes_read_as_bed() {
        for ext in ["bed", "bed6", "bed12", "bedstrict", "BED"] {
            let f = for_extension(ext, &ColumnMetadata::default()).unwrap();
            assert_eq!(f.kind, FormatKind::Bed, "{ext}");
            assert_eq!(f.igv_format, Some("bed"));
        }
    }

    #[test]
    fn interval_uses_the_column_metadata_as_zero_based() {
        let columns = ColumnMetadata {
            chrom: Some(3),
            start: Some(4),
            end: Some(5),
        };
        let f = for_extension("interval", &columns).unwrap();
        assert_eq!(f.kind, FormatKind::Tabular);
        assert_eq!(f.options.chrom_col, Some(3));
        assert_eq!(f.options.start_col, Some(4));
        assert_eq!(f.options.end_col, Some(5));
        assert_eq!(f.options.coords, Some(CoordBase::Zero));
        assert_eq!(f.igv_format, None);
    }

    #[test]
    fn picard_interval_lists_are_interval_lists() {
        let f = for_extension("picard_interval_list", &ColumnMetadata::default()).unwrap();
        assert_eq!(f.kind, FormatKind::IntervalList);
        assert_eq!(f.igv_format, None);
    }

    #[test]
    fn tabular_without_metadata_sniffs_its_header() {
        let f = for_extension("tabular", &ColumnMetadata::default()).unwrap();
        assert_eq!(f.options.chrom_col, None);
        assert_eq!(f.options.coords, None);
    }

    #[test]
    fn indexed_datatypes_name_their_index_suffix() {
        let none = ColumnMetadata::default();
        assert_eq!(
            for_extension("vcf_bgzip", &none).unwrap().index_suffix,
            Some(".tbi")
        );
        assert_eq!(
            for_extension("bam", &none).unwrap().index_suffix,
            Some(".bai")
        );
        assert_eq!(
            for_extension("cram", &none).unwrap().index_suffix,
            Some(".crai")
        );
        assert_eq!(for_extension("vcf", &none).unwrap().index_suffix, None);
    }

    #[test]
    fn unknown_datatypes_are_not_guessed() {
        assert!(for_extension("fasta", &ColumnMetadata::default()).is_none());
        assert!(for_extension("html", &ColumnMetadata::default()).is_none());
    }
}
