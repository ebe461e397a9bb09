//! Galaxy datatypes (a dataset's `extension`) → igv-relay formats.
//!
//! Coordinates follow Galaxy's datatypes (shared/reference/galaxy.md §3): the
//! BED family and `interval` are 0-based half-open, GFF/GTF and VCF 1-based;
//! the parsers in `formats` convert, so this table only picks the parser and,
//! for `interval`/`tabular`, passes the column metadata on.
//!
//! Galaxy has no datatype for most result tables: DESeq2/edgeR/limma results,
//! a mutation MAF, GWAS summary statistics and SEG files arrive as `tabular`
//! (or `tsv`, `csv`, `txt`). Those datatypes declare only "a table", so the
//! dataset's first bytes decide ([`GalaxyFormat::with_head`]), as a `.tsv`
//! in a data root is read.

use igv_relay_core::formats::{self, CoordBase, FormatKind, FormatOptions};

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
    /// The datatype declares only a table (`tabular`, `tsv`, `csv`, `txt`
    /// without Galaxy's column metadata): [`Self::with_head`] tells which.
    pub table_by_header: bool,
}

impl GalaxyFormat {
    /// The format once the dataset's first bytes are known: a declared table
    /// is the format its header names (a gene table, MAF, SEG, GWAS, ANNOVAR,
    /// interval list), else a table of locus columns; any other datatype
    /// stays what Galaxy says it is.
    pub fn with_head(self, head: &[u8]) -> GalaxyFormat {
        if !self.table_by_header {
            return self;
        }
        GalaxyFormat {
            kind: formats::detect_declared(self.kind, head),
            ..self
        }
    }
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
        "tabular, tsv, csv, txt",
        "a gene table, MAF, SEG, GWAS or ANNOVAR table by its header; else interval \
         metadata when set, else chrom/start/end column names",
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
        table_by_header: false,
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
        table_by_header: false,
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
        // Column metadata set in Galaxy says where the loci are.
        "tabular" if columns.complete() => with_columns(columns),
        // Galaxy's `maf` is multiple alignments, not mutations: a mutation MAF
        // comes as `tabular`, told by its header (`Start_Position`, 1-based).
        "tabular" | "tsv" | "csv" | "txt" => GalaxyFormat {
            table_by_header: true,
            ..with_columns(&ColumnMetadata::default())
        },
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
    fn the_table_datatypes_are_told_by_their_header() {
        let deseq2 =
            b"\"\",\"baseMean\",\"log2FoldChange\",\"lfcSE\",\"stat\",\"pvalue\",\"padj\"\n";
        let loci = b"chrom\tstart\tend\tname\nchr1\t1\t2\tx\n";
        for ext in ["tabular", "tsv", "csv", "txt", "Tabular"] {
            let f = for_extension(ext, &ColumnMetadata::default()).unwrap();
            assert!(f.table_by_header, "{ext}");
            assert_eq!(f.clone().with_head(deseq2).kind, FormatKind::GeneTable);
            assert_eq!(f.with_head(loci).kind, FormatKind::Tabular);
        }
        // Galaxy's interval metadata, or another datatype, is kept.
        let columns = ColumnMetadata {
            chrom: Some(1),
            start: Some(2),
            end: Some(3),
        };
        let f = for_extension("tabular", &columns).unwrap();
        assert_eq!(f.with_head(deseq2).kind, FormatKind::Tabular);
        let f = for_extension("bed", &ColumnMetadata::default()).unwrap();
        assert_eq!(f.with_head(deseq2).kind, FormatKind::Bed);
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
