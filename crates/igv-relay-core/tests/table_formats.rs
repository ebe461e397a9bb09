//! MAF, ANNOVAR, SEG, GWAS summary statistics and interval lists (issue 25):
//! each detected from its content, each record's locus as its specification
//! gives it (1-based inclusive), what each adds (a MAF's tumour VAF, a GWAS
//! P value checked), and bad headers refused with the line and the column.

use std::io::{Cursor, Write};

use igv_relay_core::formats::{
    self, FormatError, FormatKind, FormatOptions, Interval, Item, RecordStream,
};

fn open(kind: FormatKind, text: &str) -> Result<Box<dyn RecordStream + Send>, FormatError> {
    formats::open(
        kind,
        Box::new(Cursor::new(text.as_bytes().to_vec())),
        &FormatOptions::default(),
    )
}

fn read_all(kind: FormatKind, text: &str) -> (Vec<String>, Vec<Item>) {
    let mut stream = open(kind, text).expect("opens");
    let mut items = Vec::new();
    while let Some(item) = stream.next_item().expect("reads") {
        items.push(item);
    }
    (stream.columns().to_vec(), items)
}

fn loci(items: &[Item]) -> Vec<(u64, Interval)> {
    items
        .iter()
        .filter_map(|i| match i {
            Item::Record(r) => Some((r.line, r.intervals[0].clone())),
            Item::Invalid { .. } => None,
        })
        .collect()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// A GDC MAF (two of its 140 columns left out): `#version` first, then the
/// header, then BRAF V600E and an EGFR exon 19 deletion on GRCh38.
const GDC_MAF: &str = "#version gdc-1.0.0\n\
#filedate 20240101\n\
Hugo_Symbol\tEntrez_Gene_Id\tCenter\tNCBI_Build\tChromosome\tStart_Position\tEnd_Position\tStrand\tVariant_Classification\tVariant_Type\tReference_Allele\tTumor_Seq_Allele1\tTumor_Seq_Allele2\tTumor_Sample_Barcode\tHGVSp_Short\tt_depth\tt_ref_count\tt_alt_count\n\
BRAF\t673\tBI\tGRCh38\tchr7\t140753336\t140753336\t+\tMissense_Mutation\tSNP\tA\tA\tT\tTCGA-EE-A3J5-06A\tp.V600E\t120\t80\t40\n\
EGFR\t1956\tBI\tGRCh38\tchr7\t55174772\t55174786\t+\tIn_Frame_Del\tDEL\tGGAATTAAGAGAAGC\tGGAATTAAGAGAAGC\t-\tTCGA-05-4396-01A\tp.E746_A750del\t0\t0\t0\n";

#[test]
fn a_gdc_maf_gives_one_based_loci_and_the_tumour_vaf() {
    let (columns, items) = read_all(FormatKind::Maf, GDC_MAF);
    assert_eq!(
        loci(&items),
        [
            (4, Interval::new("chr7", 140753336, 140753336)),
            (5, Interval::new("chr7", 55174772, 55174786)),
        ]
    );
    assert_eq!(
        columns.last().map(String::as_str),
        Some(formats::TUMOR_VAF_COLUMN)
    );
    let Item::Record(braf) = &items[0] else {
        panic!("{items:?}")
    };
    assert_eq!(braf.label, "BRAF");
    assert_eq!(braf.cells.len(), columns.len());
    assert_eq!(braf.cells.last().map(String::as_str), Some("0.333"));
    // No depth: no fraction, rather than a division by zero.
    let Item::Record(egfr) = &items[1] else {
        panic!("{items:?}")
    };
    assert_eq!(egfr.cells.last().map(String::as_str), Some(""));
}

#[test]
fn a_maf_without_start_position_names_the_line_and_the_column() {
    let text = GDC_MAF.replace("Start_Position", "Begin");
    let Err(error) = open(FormatKind::Maf, &text) else {
        panic!("opened")
    };
    let message = error.to_string();
    assert!(message.contains("line 3"), "{message}");
    assert!(message.contains("no Start_Position column"), "{message}");
    assert!(message.contains("MAF"), "{message}");
}

#[test]
fn a_maf_is_told_by_its_content_whatever_it_is_called() {
    for name in ["calls.maf", "calls.tsv", "calls.txt", "dataset_42.dat"] {
        assert_eq!(
            formats::detect(name, GDC_MAF.as_bytes()),
            Some(FormatKind::Maf),
            "{name}"
        );
    }
    assert_eq!(
        formats::detect("TCGA.BRCA.maf.gz", &gzip(GDC_MAF.as_bytes())),
        Some(FormatKind::Maf)
    );
    // A multiple-alignment MAF is not read as mutations: it has no header
    // naming MAF's columns, and says so when opened.
    let alignment = "##maf version=1 scoring=tba.v8\n\na score=23262.0\ns hg16.chr7 27578828 38 + 158545518 AAA-GGGAATGTTAACCAAATGA---ATTGTCTCTTACGGTG\n";
    let Err(error) = open(FormatKind::Maf, alignment) else {
        panic!("a multiple alignment opened as mutations")
    };
    assert!(
        error.to_string().contains("multiple-alignment MAF"),
        "{error}"
    );
}

#[test]
fn a_maf_says_its_build_and_its_chromosome_names() {
    let evidence = formats::evidence_from_prefix(
        FormatKind::Maf,
        GDC_MAF.as_bytes(),
        formats::DecompressionLimits {
            max_bytes: 1 << 20,
            max_ratio: 0,
        },
    );
    assert_eq!(evidence.declared[0].text, "GRCh38");
    let names: Vec<&str> = evidence.sequences.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["chr7"]);
}

/// `table_annovar.pl -buildver hg19 -out sample -remove -protocol refGene
/// -operation g -nastring .` on two calls: 1-based inclusive, a deletion's
/// `Ref` spanning `Start..End`.
const MULTIANNO: &str = "Chr\tStart\tEnd\tRef\tAlt\tFunc.refGene\tGene.refGene\tGeneDetail.refGene\tExonicFunc.refGene\tAAChange.refGene\n\
chr7\t140453136\t140453136\tA\tT\texonic\tBRAF\t.\tnonsynonymous SNV\tBRAF:NM_004333:exon15:c.T1799A:p.V600E\n\
chr7\t55242465\t55242479\tGGAATTAAGAGAAGC\t-\texonic\tEGFR\t.\tnonframeshift deletion\tEGFR:NM_005228:exon19:c.2235_2249del:p.745_750del\n";

#[test]
fn an_annovar_multianno_table_is_one_based_and_told_by_its_func_columns() {
    assert_eq!(
        formats::detect("sample.hg19_multianno.txt", MULTIANNO.as_bytes()),
        Some(FormatKind::Annovar)
    );
    let (_, items) = read_all(FormatKind::Annovar, MULTIANNO);
    assert_eq!(
        loci(&items),
        [
            (2, Interval::new("chr7", 140453136, 140453136)),
            (3, Interval::new("chr7", 55242465, 55242479)),
        ]
    );
    let Item::Record(braf) = &items[0] else {
        panic!()
    };
    assert_eq!(braf.label, "BRAF");
}

/// DNAcopy's `segments.p` written for IGV, as in IGV's own example.
const SEG: &str = "#track graphType=points\n\
ID\tchrom\tloc.start\tloc.end\tnum.mark\tseg.mean\n\
A2780_OVARY\t1\t51598\t88465\t17\t1.0491\n\
A2780_OVARY\t1\t218569\t55606710\t30512\t0.0248\n";

#[test]
fn a_seg_start_is_read_as_igv_reads_it_zero_based() {
    assert_eq!(
        formats::detect("cn.txt", SEG.as_bytes()),
        Some(FormatKind::Seg)
    );
    assert_eq!(
        formats::detect("cn.seg", SEG.as_bytes()),
        Some(FormatKind::Seg)
    );
    let (_, items) = read_all(FormatKind::Seg, SEG);
    assert_eq!(
        loci(&items),
        [
            (3, Interval::new("1", 51599, 88465)),
            (4, Interval::new("1", 218570, 55606710)),
        ]
    );
    let Item::Record(first) = &items[0] else {
        panic!()
    };
    assert_eq!(first.label, "A2780_OVARY");
}

#[test]
fn gwas_summary_statistics_plain_and_gwas_ssf_give_the_variant_base() {
    // PLINK `--assoc` output: columns aligned with runs of spaces.
    let plink = " CHR         SNP         BP   A1      F_A      F_U   A2        CHISQ            P           OR\n   \
                   1   rs3094315     752566    G   0.1639   0.1556    A      0.04035       0.8408        1.064\n   \
                   7   rs1234567  140753336    T   0.2000   0.1000    A       20.000    7.75e-06        2.250\n";
    assert_eq!(
        formats::detect("run.assoc", plink.as_bytes()),
        Some(FormatKind::Gwas)
    );
    assert_eq!(
        formats::detect("run.txt", plink.as_bytes()),
        Some(FormatKind::Gwas)
    );
    let (_, items) = read_all(FormatKind::Gwas, plink);
    assert_eq!(
        loci(&items),
        [
            (2, Interval::new("1", 752566, 752566)),
            (3, Interval::new("7", 140753336, 140753336)),
        ]
    );
    let ssf = "chromosome\tbase_pair_location\teffect_allele\tother_allele\tbeta\tstandard_error\teffect_allele_frequency\tp_value\tvariant_id\n\
               7\t140753336\tT\tA\t0.81\t0.18\t0.2\t7.75e-06\trs1234567\n";
    assert_eq!(
        formats::detect("GCST90000001.tsv", ssf.as_bytes()),
        Some(FormatKind::Gwas)
    );
    let (_, items) = read_all(FormatKind::Gwas, ssf);
    assert_eq!(
        loci(&items),
        [(2, Interval::new("7", 140753336, 140753336))]
    );
    let Item::Record(r) = &items[0] else { panic!() };
    assert_eq!(r.label, "rs1234567");
}

#[test]
fn a_p_value_outside_zero_to_one_is_refused_with_its_line_and_column() {
    let text = "CHR\tBP\tSNP\tP\n1\t100\trs1\t0.5\n1\t200\trs2\t1.7\n1\t300\trs3\tNA\n";
    let (_, items) = read_all(FormatKind::Gwas, text);
    assert_eq!(loci(&items).len(), 1);
    let refused: Vec<(u64, String)> = items
        .iter()
        .filter_map(|i| match i {
            Item::Invalid { line, message, .. } => Some((*line, message.clone())),
            Item::Record(_) => None,
        })
        .collect();
    assert_eq!(refused[0].0, 3);
    assert!(
        refused[0].1.contains("column 4 (P) is 1.7, outside [0, 1]"),
        "{refused:?}"
    );
    assert_eq!(refused[1].0, 4);
    assert!(refused[1].1.contains("not a number"), "{refused:?}");
    let Err(error) = open(FormatKind::Gwas, "CHR\tBP\tSNP\tBETA\n1\t100\trs1\t0.5\n") else {
        panic!("opened without a P column")
    };
    assert!(error.to_string().contains("no P column"), "{error}");
}

/// Picard `BedToIntervalList` output: SAM header, then 1-based intervals.
const INTERVAL_LIST: &str = "@HD\tVN:1.6\tSO:coordinate\n\
@SQ\tSN:chr1\tLN:248956422\tAS:GRCh38\n\
@SQ\tSN:chr7\tLN:159345973\tAS:GRCh38\n\
chr1\t69091\t70008\t+\tOR4F5_exon1\n\
chr7\t140753336\t140753336\t-\tBRAF_V600\n";

#[test]
fn an_interval_list_is_one_based_and_gives_its_sequences() {
    assert_eq!(
        formats::detect("targets.interval_list", INTERVAL_LIST.as_bytes()),
        Some(FormatKind::IntervalList)
    );
    assert_eq!(
        formats::detect("targets.txt", INTERVAL_LIST.as_bytes()),
        Some(FormatKind::IntervalList)
    );
    let (columns, items) = read_all(FormatKind::IntervalList, INTERVAL_LIST);
    assert_eq!(columns, ["contig", "start", "end", "strand", "name"]);
    assert_eq!(
        loci(&items),
        [
            (4, Interval::new("chr1", 69091, 70008)),
            (5, Interval::new("chr7", 140753336, 140753336)),
        ]
    );
    let evidence = formats::evidence_from_prefix(
        FormatKind::IntervalList,
        INTERVAL_LIST.as_bytes(),
        formats::DecompressionLimits {
            max_bytes: 1 << 20,
            max_ratio: 0,
        },
    );
    assert_eq!(evidence.sequences.len(), 2);
    assert_eq!(evidence.sequences[1].length, Some(159345973));
}

#[test]
fn a_maf_or_gwas_table_read_as_plain_tabular_still_gets_one_based_loci() {
    // What Galaxy's `tabular` datatype gives: no MAF or GWAS reader, the
    // header names alone.
    let (_, items) = read_all(FormatKind::Tabular, GDC_MAF);
    assert_eq!(
        loci(&items),
        [
            (4, Interval::new("chr7", 140753336, 140753336)),
            (5, Interval::new("chr7", 55174772, 55174786)),
        ]
    );
    let (_, items) = read_all(
        FormatKind::Tabular,
        "CHR\tBP\tSNP\tP\n7\t140753336\trs1\t1e-9\n",
    );
    assert_eq!(
        loci(&items),
        [(2, Interval::new("7", 140753336, 140753336))]
    );
}
