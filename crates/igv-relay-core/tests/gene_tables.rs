//! Gene-level tables (issue 25 item 6): DESeq2, edgeR, limma and
//! featureCounts results detected from their headers, each row's gene
//! resolved by the row reader through the genome's gene annotation, and
//! unknown or ambiguous genes refused per row with the reason.

use std::io::Cursor;
use std::sync::Arc;

use igv_relay_core::domain::gene_index::GeneIndex;
use igv_relay_core::domain::loci::LociRules;
use igv_relay_core::formats::{self, FormatKind, FormatOptions, Item, RecordStream};
use igv_relay_core::genomes::GenomeRegistry;
use igv_relay_core::rows::{Filters, ReadRules, Refusal, Row, RowReader};

/// Three genes of a GENCODE-style GTF on chr12 and chr7, one symbol (DUP)
/// given to two genes.
const GTF: &str = "\
chr12\tHAVANA\tgene\t25205246\t25250929\t.\t-\t.\tgene_id \"ENSG00000133703.14\"; gene_name \"KRAS\";\n\
chr7\tHAVANA\tgene\t140719327\t140924929\t.\t-\t.\tgene_id \"ENSG00000157764.14\"; gene_name \"BRAF\";\n\
chr7\tHAVANA\tgene\t55019017\t55211628\t.\t+\t.\tgene_id \"ENSG00000146648.18\"; gene_name \"EGFR\";\n\
chr1\tHAVANA\tgene\t1000\t2000\t.\t+\t.\tgene_id \"ENSG00000000001.1\"; gene_name \"DUP\";\n\
chr2\tHAVANA\tgene\t5000\t6000\t.\t+\t.\tgene_id \"ENSG00000000002.1\"; gene_name \"DUP\";\n";

/// `write.csv(as.data.frame(results(dds)))`: quoted, the row names' column unnamed.
const DESEQ2_CSV: &str = "\"\",\"baseMean\",\"log2FoldChange\",\"lfcSE\",\"stat\",\"pvalue\",\"padj\"\n\
\"ENSG00000133703.14\",1200.5,2.31,0.2,11.5,1e-30,2e-27\n\
\"ENSG00000157764\",80.1,-0.4,0.3,-1.3,0.19,0.45\n\
\"ENSG00000999999\",5,0.1,1.2,0.08,0.93,NA\n\
\"DUP\",10,1,1,1,0.5,0.9\n";

/// `write.table(topTags(et), sep="\t", quote=FALSE)`: a header one name
/// short (row names unnamed).
const EDGER_TSV: &str = "logFC\tlogCPM\tPValue\tFDR\n\
EGFR\t3.2\t7.1\t1e-12\t3e-9\n\
KRAS\t-1.1\t5.0\t0.001\t0.02\n";

/// featureCounts: a comment line, then Geneid with exon lists.
const FEATURE_COUNTS: &str = "# Program:featureCounts v2.0.1; Command:\"featureCounts\" \"-a\" \"genes.gtf\"\n\
Geneid\tChr\tStart\tEnd\tStrand\tLength\tsample1.bam\n\
ENSG00000146648.18\tchr7;chr7\t55019017;55210000\t55019365;55211628\t+;+\t1971\t512\n";

/// limma's `topTable` with an `ID` column.
const LIMMA: &str = "ID\tlogFC\tAveExpr\tt\tP.Value\tadj.P.Val\tB\n\
BRAF\t1.5\t8.2\t6.1\t1e-6\t1e-4\t5.2\n";

fn genome_with_genes() -> igv_relay_core::domain::genome::Genome {
    let registry = GenomeRegistry::builtin().expect("built-in genomes");
    let index = GeneIndex::build(GTF.as_bytes(), "gencode.test.gtf", 100).expect("index");
    registry
        .get("hg38")
        .expect("hg38")
        .clone()
        .with_genes(Arc::new(index), 0)
}

fn stream(text: &str) -> Box<dyn RecordStream + Send> {
    formats::open(
        FormatKind::GeneTable,
        Box::new(Cursor::new(text.as_bytes().to_vec())),
        &FormatOptions::default(),
    )
    .expect("opens")
}

fn rows(text: &str, genome: Option<&igv_relay_core::domain::genome::Genome>) -> Vec<Row> {
    let mut reader = RowReader::new(
        stream(text),
        ReadRules {
            filters: Filters::default(),
            predicate: None,
            genome,
            flank: 0,
            loci: LociRules::default(),
            values: None,
        },
    );
    let mut out = Vec::new();
    reader
        .read_all(None, &mut |row: Row| {
            out.push(row);
            Ok(())
        })
        .expect("reads");
    out
}

#[test]
fn each_tool_is_detected_from_its_header_whatever_the_file_is_called() {
    for (name, text) in [
        ("results.csv", DESEQ2_CSV),
        ("toptags.txt", EDGER_TSV),
        ("counts.txt", FEATURE_COUNTS),
        ("toptable.tsv", LIMMA),
        ("no_extension", DESEQ2_CSV),
    ] {
        assert_eq!(
            formats::detect(name, text.as_bytes()),
            Some(FormatKind::GeneTable),
            "{name}"
        );
    }
    // A table of loci with a FDR column keeps its locus columns.
    let loci = "chrom\tstart\tend\tname\n chr1\t1\t2\tx\n";
    assert_ne!(
        formats::detect("peaks.tsv", loci.as_bytes()),
        Some(FormatKind::GeneTable)
    );
}

#[test]
fn row_names_become_the_gene_column_and_every_cell_is_kept() {
    let s = stream(EDGER_TSV);
    assert_eq!(s.columns(), ["gene", "logFC", "logCPM", "PValue", "FDR"]);
    let s = stream(DESEQ2_CSV);
    assert_eq!(
        s.columns(),
        [
            "gene",
            "baseMean",
            "log2FoldChange",
            "lfcSE",
            "stat",
            "pvalue",
            "padj"
        ]
    );
    let mut s = stream(FEATURE_COUNTS);
    assert_eq!(s.columns()[0], "Geneid");
    let Some(Item::Record(r)) = s.next_item().unwrap() else {
        panic!("a record")
    };
    assert_eq!((r.line, r.label.as_str()), (3, "ENSG00000146648.18"));
    assert!(r.intervals.is_empty());
    assert_eq!(r.cells[6], "512");
}

#[test]
fn genes_resolve_through_the_annotation_and_unknown_or_ambiguous_ones_are_refused() {
    let genome = genome_with_genes();
    let rows = rows(DESEQ2_CSV, Some(&genome));
    let loci: Vec<Result<String, String>> = rows
        .iter()
        .map(|r| {
            r.loci
                .as_ref()
                .map(|l| l.to_string())
                .map_err(|e| e.to_string())
        })
        .collect();
    // A versioned id and an id without its version.
    assert_eq!(loci[0].as_deref(), Ok("chr12:25205246-25250929"));
    assert_eq!(loci[1].as_deref(), Ok("chr7:140719327-140924929"));
    assert!(
        loci[2]
            .as_ref()
            .is_err_and(|e| e.contains("no gene, transcript or id \"ENSG00000999999\"")),
        "{:?}",
        loci[2]
    );
    assert!(
        loci[3]
            .as_ref()
            .is_err_and(|e| e.contains("\"DUP\" names 2 features")),
        "{:?}",
        loci[3]
    );
    assert!(matches!(rows[3].loci, Err(Refusal::Gene(_))));
    // Counts and the overview see the gene's own interval.
    assert_eq!(rows[0].interval.as_ref().unwrap().chrom, "chr12");
    assert_eq!(rows[0].cells[2], "2.31");

    let edger = self::rows(EDGER_TSV, Some(&genome));
    assert_eq!(
        edger[0].loci.as_ref().unwrap().to_string(),
        "chr7:55019017-55211628"
    );
    let limma = self::rows(LIMMA, Some(&genome));
    assert_eq!(
        limma[0].loci.as_ref().unwrap().to_string(),
        "chr7:140719327-140924929"
    );
}

#[test]
fn without_a_genome_every_row_says_an_annotation_is_needed() {
    let rows = rows(LIMMA, None);
    let error = rows[0].loci.as_ref().unwrap_err().to_string();
    assert!(error.contains("no genome was chosen"), "{error}");
}

#[test]
fn a_table_without_a_gene_column_is_refused_naming_its_header() {
    let text = "a,logFC,FDR\n1,2,3\n";
    let error = formats::open(
        FormatKind::GeneTable,
        Box::new(Cursor::new(text.as_bytes().to_vec())),
        &FormatOptions::default(),
    )
    .err()
    .expect("refused")
    .to_string();
    assert!(
        error.contains("line 1") && error.contains("no column of gene ids"),
        "{error}"
    );
}

#[test]
fn a_declared_table_is_what_its_header_names_and_other_declared_kinds_are_kept() {
    // Galaxy's `tabular`, `tsv`, `csv` and `txt` datatypes declare a table:
    // its header decides, plain or gzipped.
    for text in [DESEQ2_CSV, EDGER_TSV, FEATURE_COUNTS, LIMMA] {
        assert_eq!(
            formats::detect_declared(FormatKind::Tabular, text.as_bytes()),
            FormatKind::GeneTable,
            "{text}"
        );
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, DESEQ2_CSV.as_bytes()).unwrap();
    assert_eq!(
        formats::detect_declared(FormatKind::Tabular, &gz.finish().unwrap()),
        FormatKind::GeneTable
    );
    for (text, kind) in [
        (
            "CHR\tBP\tSNP\tP\n7\t140753336\trs1\t1e-9\n",
            FormatKind::Gwas,
        ),
        (
            "ID\tchrom\tloc.start\tloc.end\tnum.mark\tseg.mean\ns1\t1\t100\t200\t5\t-0.4\n",
            FormatKind::Seg,
        ),
        (
            "#version 2.4\nHugo_Symbol\tChromosome\tStart_Position\tEnd_Position\nBRAF\tchr7\t1\t1\n",
            FormatKind::Maf,
        ),
        // Locus columns, with or without an FDR column: the tabular reader.
        (
            "chrom\tstart\tend\tFDR\nchr1\t1\t2\t0.01\n",
            FormatKind::Tabular,
        ),
        ("gene\tscore\nTP53\t3\n", FormatKind::Tabular),
        ("", FormatKind::Tabular),
    ] {
        assert_eq!(
            formats::detect_declared(FormatKind::Tabular, text.as_bytes()),
            kind,
            "{text}"
        );
    }
    // A declared VCF or BED is what it was declared, whatever its header.
    assert_eq!(
        formats::detect_declared(FormatKind::Bed, DESEQ2_CSV.as_bytes()),
        FormatKind::Bed
    );
    assert_eq!(
        formats::detect_declared(FormatKind::Vcf, DESEQ2_CSV.as_bytes()),
        FormatKind::Vcf
    );
}
