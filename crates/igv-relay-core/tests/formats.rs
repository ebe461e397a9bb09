//! Black-box tests of `igv_relay_core::formats` over real files in `tests/fixtures/formats/`.

use std::fs;
use std::io::{self, BufRead, BufReader, Cursor, Read, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use igv_relay_core::formats::{
    self, CoordBase, FormatError, FormatKind, FormatOptions, Interval, Item, Record, RecordStream,
};
use proptest::prelude::*;

// ---------------------------------------------------------------------------------------
// helpers

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/formats")
        .join(name)
}

fn open_bytes(
    kind: FormatKind,
    bytes: Vec<u8>,
    options: &FormatOptions,
) -> Result<Box<dyn RecordStream + Send>, FormatError> {
    formats::open(kind, Box::new(Cursor::new(bytes)), options)
}

fn open_fixture_with(
    kind: FormatKind,
    name: &str,
    options: &FormatOptions,
) -> Box<dyn RecordStream + Send> {
    let bytes = fs::read(fixture(name)).expect("fixture exists");
    open_bytes(kind, bytes, options).expect("fixture opens")
}

fn open_fixture(kind: FormatKind, name: &str) -> Box<dyn RecordStream + Send> {
    open_fixture_with(kind, name, &FormatOptions::default())
}

fn drain(stream: &mut dyn RecordStream) -> Vec<Item> {
    let mut items = Vec::new();
    while let Some(item) = stream.next_item().expect("no I/O error") {
        items.push(item);
    }
    items
}

fn records(items: &[Item]) -> Vec<&Record> {
    items
        .iter()
        .filter_map(|item| match item {
            Item::Record(record) => Some(record),
            Item::Invalid { .. } => None,
        })
        .collect()
}

fn invalids(items: &[Item]) -> Vec<(u64, &str)> {
    items
        .iter()
        .filter_map(|item| match item {
            Item::Invalid { line, message, .. } => Some((*line, message.as_str())),
            Item::Record(_) => None,
        })
        .collect()
}

fn iv(chrom: &str, start: u64, end: u64) -> Interval {
    Interval::new(chrom, start, end)
}

/// (line, intervals) of every record, for exact whole-file expectations.
fn lines_and_intervals(items: &[Item]) -> Vec<(u64, Vec<Interval>)> {
    records(items)
        .into_iter()
        .map(|r| (r.line, r.intervals.clone()))
        .collect()
}

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|s| s.to_string()).collect()
}

fn assert_cells_match_columns(stream: &dyn RecordStream, items: &[Item]) {
    for record in records(items) {
        assert_eq!(
            record.cells.len(),
            stream.columns().len(),
            "line {} has {:?} for columns {:?}",
            record.line,
            record.cells,
            stream.columns()
        );
    }
}

/// Counts the bytes pulled from the underlying reader.
struct CountingReader<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::SeqCst);
        Ok(n)
    }
}

fn counted(bytes: Vec<u8>) -> (Box<dyn BufRead + Send>, Arc<AtomicU64>) {
    let count = Arc::new(AtomicU64::new(0));
    let reader = CountingReader {
        inner: Cursor::new(bytes),
        count: Arc::clone(&count),
    };
    (Box::new(BufReader::new(reader)), count)
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).expect("in-memory gzip");
    encoder.finish().expect("in-memory gzip")
}

fn bgzip(bytes: &[u8]) -> Vec<u8> {
    let mut writer = noodles::bgzf::io::Writer::new(Vec::new());
    writer.write_all(bytes).expect("in-memory bgzf");
    writer.finish().expect("in-memory bgzf")
}

// ---------------------------------------------------------------------------------------
// VCF

#[test]
fn vcf_every_record_has_its_exact_intervals() {
    let mut stream = open_fixture(FormatKind::Vcf, "variants.vcf");
    let items = drain(stream.as_mut());
    assert_eq!(invalids(&items), vec![]);
    assert_eq!(
        lines_and_intervals(&items),
        vec![
            (16, vec![iv("chr1", 10, 10)]),
            (17, vec![iv("chr1", 100, 103)]),
            (18, vec![iv("chr1", 1000, 5000)]),
            (19, vec![iv("chr2", 300, 302)]),
            (20, vec![iv("chr2", 500, 799)]),
            (21, vec![iv("chr3", 500, 500), iv("chr5", 3000, 3000)]),
            (22, vec![iv("chr3", 9000, 9999)]),
        ]
    );
    assert_cells_match_columns(stream.as_ref(), &items);
}

#[test]
fn vcf_deletion_spans_the_reference_bases() {
    let items = drain(open_fixture(FormatKind::Vcf, "variants.vcf").as_mut());
    let deletion = records(&items)[1];
    assert_eq!(deletion.label, "del1");
    assert_eq!(deletion.intervals, vec![iv("chr1", 100, 103)]);
}

#[test]
fn vcf_symbolic_deletion_spans_pos_to_info_end() {
    let items = drain(open_fixture(FormatKind::Vcf, "variants.vcf").as_mut());
    assert_eq!(records(&items)[2].intervals, vec![iv("chr1", 1000, 5000)]);
}

#[test]
fn vcf_symbolic_allele_without_end_uses_svlen() {
    let items = drain(open_fixture(FormatKind::Vcf, "variants.vcf").as_mut());
    // <INV> SVLEN=1000 at 9000 -> 9000..=9999
    assert_eq!(records(&items)[6].intervals, vec![iv("chr3", 9000, 9999)]);
}

#[test]
fn vcf_multi_allelic_site_is_one_record_spanning_the_longest_allele() {
    let items = drain(open_fixture(FormatKind::Vcf, "variants.vcf").as_mut());
    let recs = records(&items);
    let site = recs[3];
    assert_eq!(site.label, "multi1");
    assert_eq!(site.cells[4], "A,ACGTT");
    assert_eq!(site.intervals, vec![iv("chr2", 300, 302)]);
    // G and <DEL> with per-allele SVLEN=.,-300: the deletion reaches 500+300-1.
    let mixed = recs[4];
    assert_eq!(mixed.cells[4], "G,<DEL>");
    assert_eq!(mixed.intervals, vec![iv("chr2", 500, 799)]);
}

#[test]
fn vcf_breakend_yields_the_mate_as_a_second_interval() {
    let items = drain(open_fixture(FormatKind::Vcf, "variants.vcf").as_mut());
    let bnd = records(&items)[5];
    assert_eq!(bnd.label, "bnd1");
    assert_eq!(
        bnd.intervals,
        vec![iv("chr3", 500, 500), iv("chr5", 3000, 3000)]
    );
}

#[test]
fn vcf_breakend_in_every_bracket_form_points_at_its_mate() {
    let header = "##fileformat=VCFv4.3\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n";
    for alt in [
        "N[chr2:3000[",
        "N]chr2:3000]",
        "]chr2:3000]N",
        "[chr2:3000[N",
    ] {
        let text = format!("{header}chr1\t42\tb\tN\t{alt}\t.\tPASS\tSVTYPE=BND\n");
        let items = drain(
            open_bytes(
                FormatKind::Vcf,
                text.into_bytes(),
                &FormatOptions::default(),
            )
            .expect("opens")
            .as_mut(),
        );
        assert_eq!(
            lines_and_intervals(&items),
            vec![(3, vec![iv("chr1", 42, 42), iv("chr2", 3000, 3000)])],
            "{alt}"
        );
    }
}

#[test]
fn vcf_header_contigs_and_samples_are_exposed() {
    let stream = open_fixture(FormatKind::Vcf, "variants.vcf");
    assert_eq!(
        stream.contigs().expect("header has contigs"),
        &[
            ("chr1".to_string(), Some(248_956_422)),
            ("chr2".to_string(), Some(242_193_529)),
            ("chr3".to_string(), None),
        ]
    );
    assert_eq!(stream.samples(), &strings(&["NA12878", "NA12891"]));
}

#[test]
fn vcf_columns_are_fixed_then_default_info_then_one_gt_per_sample() {
    let stream = open_fixture(FormatKind::Vcf, "variants.vcf");
    assert_eq!(
        stream.columns(),
        &strings(&[
            "CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "END", "SVTYPE", "SVLEN", "DP",
            "AF", "GENE", "NA12878", "NA12891"
        ])
    );
}

#[test]
fn vcf_cells_show_the_chosen_info_fields_and_genotypes() {
    let options = FormatOptions {
        info_fields: strings(&["DP", "IMPRECISE", "AF"]),
        ..FormatOptions::default()
    };
    let mut stream = open_fixture_with(FormatKind::Vcf, "variants.vcf", &options);
    assert_eq!(
        stream.columns(),
        &strings(&[
            "CHROM",
            "POS",
            "ID",
            "REF",
            "ALT",
            "QUAL",
            "FILTER",
            "DP",
            "IMPRECISE",
            "AF",
            "NA12878",
            "NA12891"
        ])
    );
    let items = drain(stream.as_mut());
    let recs = records(&items);
    assert_eq!(
        recs[0].cells,
        strings(&[
            "chr1", "10", "rs123", "A", "G", "50", "PASS", "10", "", "0.5", "0/1", "1/1"
        ])
    );
    assert_eq!(
        recs[2].cells,
        strings(&[
            "chr1", "1000", "sv1", "N", "<DEL>", ".", "PASS", "", "yes", "", "0/1", "./."
        ])
    );
    assert_eq!(recs[3].cells[5], "45.5");
    // FORMAT without GT: the genotype cells are empty, not invented.
    assert_eq!(&recs[6].cells[10..], &strings(&["", ""]));
}

#[test]
fn vcf_labels_use_the_id_or_else_locus_and_alleles() {
    let items = drain(open_fixture(FormatKind::Vcf, "variants.vcf").as_mut());
    let labels: Vec<&str> = records(&items).iter().map(|r| r.label.as_str()).collect();
    assert_eq!(
        labels,
        vec![
            "rs123",
            "del1",
            "sv1",
            "multi1",
            "chr2:500 A>G,<DEL>",
            "bnd1",
            "sv2"
        ]
    );
}

#[test]
fn vcf_filter_pass_is_true_for_pass_false_for_others_none_for_dot() {
    let items = drain(open_fixture(FormatKind::Vcf, "variants.vcf").as_mut());
    let flags: Vec<Option<bool>> = records(&items).iter().map(|r| r.filter_pass).collect();
    assert_eq!(
        flags,
        vec![
            Some(true),
            Some(true),
            Some(true),
            Some(false),
            Some(true),
            Some(true),
            None
        ]
    );
}

#[test]
fn vcf_malformed_lines_become_invalid_with_line_numbers_and_the_stream_continues() {
    let items = drain(open_fixture(FormatKind::Vcf, "malformed.vcf").as_mut());
    assert_eq!(
        lines_and_intervals(&items),
        vec![
            (4, vec![iv("chr1", 10, 10)]),
            (8, vec![iv("chr1", 30, 30)]),
            (10, vec![iv("chr1", 50, 50)]),
        ]
    );
    let bad = invalids(&items);
    assert_eq!(
        bad.iter().map(|(line, _)| *line).collect::<Vec<_>>(),
        vec![5, 6, 9]
    );
    assert!(bad[0].1.contains("POS"), "{}", bad[0].1);
    assert!(bad[1].1.contains("at least 8"), "{}", bad[1].1);
    assert!(bad[2].1.contains("breakend"), "{}", bad[2].1);
    // Items come in file order.
    let order: Vec<u64> = items
        .iter()
        .map(|item| match item {
            Item::Record(r) => r.line,
            Item::Invalid { line, .. } => *line,
        })
        .collect();
    assert_eq!(order, vec![4, 5, 6, 8, 9, 10]);
    match &items[1] {
        Item::Invalid { raw, .. } => assert_eq!(raw, "chr1\tabc\tbadpos\tA\tG\t50\tPASS\tDP=10"),
        other => panic!("expected invalid, got {other:?}"),
    }
}

#[test]
fn vcf_bgzf_file_matches_the_plain_file_record_for_record() {
    let plain = drain(open_fixture(FormatKind::Vcf, "variants.vcf").as_mut());
    let bgzf = drain(open_fixture(FormatKind::Vcf, "variants.bgzf.vcf.gz").as_mut());
    assert_eq!(plain.len(), 7);
    assert_eq!(bgzf, plain);
}

#[test]
fn vcf_plain_gzip_file_matches_the_plain_file_record_for_record() {
    let plain = drain(open_fixture(FormatKind::Vcf, "variants.vcf").as_mut());
    let gz = drain(open_fixture(FormatKind::Vcf, "variants.gzip.vcf.gz").as_mut());
    assert_eq!(gz, plain);
}

#[test]
fn committed_compressed_fixtures_are_what_their_names_say() {
    let plain = fs::read(fixture("variants.vcf")).expect("fixture");
    let bgzf = fs::read(fixture("variants.bgzf.vcf.gz")).expect("fixture");
    // BGZF: gzip with FEXTRA and the "BC" subfield (SAM spec §4.1).
    assert_eq!(&bgzf[..4], &[0x1f, 0x8b, 0x08, 0x04]);
    assert_eq!(&bgzf[12..14], b"BC");
    let mut decoded = Vec::new();
    noodles::bgzf::io::Reader::new(&bgzf[..])
        .read_to_end(&mut decoded)
        .expect("noodles-bgzf accepts it");
    assert_eq!(decoded, plain);

    let gz = fs::read(fixture("variants.gzip.vcf.gz")).expect("fixture");
    assert_eq!(&gz[..2], &[0x1f, 0x8b]);
    assert_eq!(
        gz[3] & 0x04,
        0,
        "plain gzip has no FEXTRA, so it is not BGZF"
    );
}

/// Rewrites the compressed fixtures from `variants.vcf`:
/// `cargo test --test formats -- --ignored regenerate`.
#[test]
#[ignore]
fn regenerate_compressed_vcf_fixtures() {
    let plain = fs::read(fixture("variants.vcf")).expect("fixture");
    fs::write(fixture("variants.bgzf.vcf.gz"), bgzip(&plain)).expect("write");
    // Fixed mtime (0) and no name so the bytes are reproducible.
    fs::write(fixture("variants.gzip.vcf.gz"), gzip(&plain)).expect("write");
}

#[test]
fn vcf_without_fileformat_line_is_a_header_error() {
    let text = "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\nchr1\t1\t.\tA\tG\t.\t.\t.\n";
    let err = open_bytes(FormatKind::Vcf, text.into(), &FormatOptions::default())
        .err()
        .expect("header error");
    assert!(
        matches!(err, FormatError::Header { line: Some(1), .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("##fileformat"), "{err}");
}

#[test]
fn vcf_without_chrom_header_line_is_a_header_error() {
    let text = "##fileformat=VCFv4.3\nchr1\t1\t.\tA\tG\t.\t.\t.\n";
    let err = open_bytes(FormatKind::Vcf, text.into(), &FormatOptions::default())
        .err()
        .expect("header error");
    assert!(
        matches!(err, FormatError::Header { line: Some(2), .. }),
        "{err:?}"
    );
}

#[test]
fn vcf_empty_file_is_a_header_error() {
    let err = open_bytes(FormatKind::Vcf, Vec::new(), &FormatOptions::default())
        .err()
        .expect("header error");
    assert!(err.to_string().contains("empty"), "{err}");
}

#[test]
fn vcf_broken_meta_line_is_reported_first_and_variants_still_come() {
    let text = "##fileformat=VCFv4.3\n\
                ##INFO=<ID=DP,Number=1,Type=Integer,Description=\"d\">\n\
                ##INFO=<ID=DP,Number=1,Type=Integer,Description=\"duplicate\">\n\
                #CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n\
                chr1\t7\t.\tA\tG\t.\t.\tDP=1\n";
    let items = drain(
        open_bytes(FormatKind::Vcf, text.into(), &FormatOptions::default())
            .expect("opens")
            .as_mut(),
    );
    assert_eq!(invalids(&items).len(), 1);
    assert_eq!(invalids(&items)[0].0, 3);
    assert_eq!(
        lines_and_intervals(&items),
        vec![(5, vec![iv("chr1", 7, 7)])]
    );
}

// ---------------------------------------------------------------------------------------
// BED family

#[test]
fn bed_start_is_converted_to_one_based() {
    let items = drain(open_fixture(FormatKind::Bed, "features.bed").as_mut());
    assert_eq!(
        records(&items)[0].intervals,
        vec![iv("chr7", 55_019_017, 55_211_628)]
    );
}

#[test]
fn bed_track_browser_comment_and_blank_lines_are_skipped_and_lines_keep_their_numbers() {
    let mut stream = open_fixture(FormatKind::Bed, "features.bed");
    let items = drain(stream.as_mut());
    assert_eq!(
        lines_and_intervals(&items),
        vec![
            (5, vec![iv("chr7", 55_019_017, 55_211_628)]),
            (6, vec![iv("chr1", 1000, 2000)]),
            (10, vec![iv("chrX", 1, 1)]),
        ]
    );
    let labels: Vec<&str> = records(&items).iter().map(|r| r.label.as_str()).collect();
    assert_eq!(labels, vec!["", "geneA", "first_base"]);
    assert_cells_match_columns(stream.as_ref(), &items);
}

#[test]
fn bed_malformed_lines_are_invalid_with_a_reason_and_the_stream_continues() {
    let items = drain(open_fixture(FormatKind::Bed, "features.bed").as_mut());
    let bad = invalids(&items);
    assert_eq!(
        bad.iter().map(|(line, _)| *line).collect::<Vec<_>>(),
        vec![7, 8, 9]
    );
    assert!(
        bad[0].1.contains("start is not a whole number"),
        "{}",
        bad[0].1
    );
    assert!(bad[1].1.contains("before start"), "{}", bad[1].1);
    assert!(bad[2].1.contains("at least 3 columns"), "{}", bad[2].1);
}

#[test]
fn bed_columns_follow_the_width_of_the_first_data_line() {
    let stream = open_fixture(FormatKind::Bed, "features.bed");
    assert_eq!(stream.columns(), &strings(&["chrom", "start", "end"]));
    let mut stream = open_fixture(FormatKind::Bed, "features_bed12.bed");
    assert_eq!(stream.columns().len(), 12);
    assert_eq!(stream.columns()[11], "blockStarts");
    let items = drain(stream.as_mut());
    assert_eq!(
        lines_and_intervals(&items),
        vec![(2, vec![iv("chr1", 11874, 14409)])]
    );
    assert_eq!(records(&items)[0].label, "uc001aaa.3");
    assert_eq!(records(&items)[0].cells[10], "354,109,1189,");
}

#[test]
fn bed_cells_show_the_file_values_not_the_converted_ones() {
    let items = drain(open_fixture(FormatKind::Bed, "features.bed").as_mut());
    assert_eq!(
        records(&items)[0].cells,
        strings(&["chr7", "55019016", "55211628"])
    );
}

#[test]
fn bed_space_separated_line_is_accepted() {
    let items = drain(open_fixture(FormatKind::Bed, "spaces.bed").as_mut());
    assert_eq!(
        lines_and_intervals(&items),
        vec![(1, vec![iv("chr7", 55_019_017, 55_211_628)])]
    );
    assert_eq!(records(&items)[0].label, "EGFR");
}

#[test]
fn bedgraph_has_a_value_column_and_converted_intervals() {
    let mut stream = open_fixture(FormatKind::BedGraph, "signal.bedgraph");
    assert_eq!(
        stream.columns(),
        &strings(&["chrom", "start", "end", "value"])
    );
    let items = drain(stream.as_mut());
    assert_eq!(
        lines_and_intervals(&items),
        vec![
            (2, vec![iv("chr1", 1, 100)]),
            (3, vec![iv("chr1", 101, 250)])
        ]
    );
    assert_eq!(records(&items)[1].cells[3], "-0.25");
    assert_eq!(records(&items)[1].label, "");
}

#[test]
fn narrowpeak_has_signal_p_q_and_peak_columns() {
    let mut stream = open_fixture(FormatKind::NarrowPeak, "peaks.narrowPeak");
    assert_eq!(
        stream.columns(),
        &strings(&[
            "chrom",
            "start",
            "end",
            "name",
            "score",
            "strand",
            "signalValue",
            "pValue",
            "qValue",
            "peak"
        ])
    );
    let items = drain(stream.as_mut());
    assert_eq!(
        lines_and_intervals(&items),
        vec![
            (1, vec![iv("chr1", 10_000, 10_500)]),
            (2, vec![iv("chr2", 20_000, 20_100)]),
        ]
    );
    let labels: Vec<&str> = records(&items).iter().map(|r| r.label.as_str()).collect();
    assert_eq!(labels, vec!["peak1", ""]);
    assert_eq!(records(&items)[0].cells[9], "250");
}

#[test]
fn broadpeak_has_nine_columns() {
    let mut stream = open_fixture(FormatKind::BroadPeak, "peaks.broadPeak");
    assert_eq!(stream.columns().len(), 9);
    assert_eq!(stream.columns()[8], "qValue");
    let items = drain(stream.as_mut());
    assert_eq!(
        lines_and_intervals(&items),
        vec![(1, vec![iv("chr1", 5000, 9000)])]
    );
    assert_eq!(records(&items)[0].label, "broad1");
}

#[test]
fn bedpe_yields_two_intervals_each_converted_to_one_based() {
    let mut stream = open_fixture(FormatKind::Bedpe, "pairs.bedpe");
    assert_eq!(
        stream.columns()[..6],
        strings(&["chrom1", "start1", "end1", "chrom2", "start2", "end2"])[..]
    );
    let items = drain(stream.as_mut());
    assert_eq!(
        lines_and_intervals(&items),
        vec![
            (2, vec![iv("chr1", 100, 200), iv("chr5", 3000, 3100)]),
            // An unknown mate (". -1 -1") leaves one interval.
            (3, vec![iv("chr1", 500, 600)]),
        ]
    );
    assert_eq!(records(&items)[0].label, "pair1");
    assert_eq!(invalids(&items).len(), 1);
    assert_eq!(invalids(&items)[0].0, 4);
    assert!(invalids(&items)[0].1.contains("at least 6"));
}

// ---------------------------------------------------------------------------------------
// GFF3 and GTF

#[test]
fn gff3_every_record_keeps_its_one_based_coordinates() {
    let mut stream = open_fixture(FormatKind::Gff3, "genes.gff3");
    let items = drain(stream.as_mut());
    assert_eq!(
        lines_and_intervals(&items),
        vec![
            (4, vec![iv("chr1", 1000, 2000)]),
            (5, vec![iv("chr1", 1000, 2000)]),
            (6, vec![iv("chr1", 1000, 1200)]),
            (8, vec![iv("chr2", 300, 400)]),
        ]
    );
    assert_cells_match_columns(stream.as_ref(), &items);
}

#[test]
fn gff3_reading_stops_at_the_fasta_directive() {
    let items = drain(open_fixture(FormatKind::Gff3, "genes.gff3").as_mut());
    // Neither the sequence nor the feature after ##FASTA are read.
    assert!(
        items.iter().all(|item| match item {
            Item::Record(r) => r.line < 10,
            Item::Invalid { line, .. } => *line < 10,
        }),
        "{items:?}"
    );
}

#[test]
fn gff3_labels_prefer_name_then_id_then_gene_name() {
    let items = drain(open_fixture(FormatKind::Gff3, "genes.gff3").as_mut());
    let labels: Vec<&str> = records(&items).iter().map(|r| r.label.as_str()).collect();
    assert_eq!(labels, vec!["ABC1", "tx1", "ABC1", "DEF;2"]);
}

#[test]
fn gff3_columns_and_cells() {
    let mut stream = open_fixture(FormatKind::Gff3, "genes.gff3");
    assert_eq!(
        stream.columns(),
        &strings(&[
            "seqid", "source", "type", "start", "end", "strand", "ID", "Name"
        ])
    );
    let items = drain(stream.as_mut());
    assert_eq!(
        records(&items)[0].cells,
        strings(&["chr1", ".", "gene", "1000", "2000", "+", "gene1", "ABC1"])
    );
    assert_eq!(records(&items)[3].cells[5], "-");
}

#[test]
fn gff3_malformed_start_is_invalid_with_its_line_number() {
    let items = drain(open_fixture(FormatKind::Gff3, "genes.gff3").as_mut());
    let bad = invalids(&items);
    assert_eq!(bad.len(), 1);
    assert_eq!(bad[0].0, 7);
    assert!(bad[0].1.contains("start"), "{}", bad[0].1);
}

#[test]
fn gff3_bare_sequence_line_also_stops_reading() {
    let text = "##gff-version 3\nchr1\t.\tgene\t5\t9\t.\t+\t.\tID=a\n>chr1\nACGT\n";
    let items = drain(
        open_bytes(FormatKind::Gff3, text.into(), &FormatOptions::default())
            .expect("opens")
            .as_mut(),
    );
    assert_eq!(items.len(), 1);
    assert_eq!(
        lines_and_intervals(&items),
        vec![(2, vec![iv("chr1", 5, 9)])]
    );
}

#[test]
fn gtf_records_intervals_labels_and_cells() {
    let mut stream = open_fixture(FormatKind::Gtf, "genes.gtf");
    assert_eq!(
        stream.columns(),
        &strings(&[
            "seqid",
            "source",
            "type",
            "start",
            "end",
            "strand",
            "gene_id",
            "gene_name",
            "transcript_id"
        ])
    );
    let items = drain(stream.as_mut());
    assert_eq!(
        lines_and_intervals(&items),
        vec![
            (2, vec![iv("chr1", 11869, 14409)]),
            (3, vec![iv("chr1", 11869, 14409)]),
            (4, vec![iv("chr1", 12010, 12057)]),
            (6, vec![iv("chr2", 500, 800)]),
        ]
    );
    let labels: Vec<&str> = records(&items).iter().map(|r| r.label.as_str()).collect();
    assert_eq!(labels, vec!["DDX11L1", "DDX11L1", "ENSG00000223972", "T2"]);
    assert_eq!(
        records(&items)[1].cells,
        strings(&[
            "chr1",
            "HAVANA",
            "transcript",
            "11869",
            "14409",
            "+",
            "ENSG00000223972",
            "DDX11L1",
            "ENST00000456328"
        ])
    );
    assert_eq!(invalids(&items).len(), 1);
    assert_eq!(invalids(&items)[0].0, 5);
}

// ---------------------------------------------------------------------------------------
// tabular

#[test]
fn tsv_with_chromstart_and_chromend_headers_is_zero_based() {
    let mut stream = open_fixture(FormatKind::Tabular, "peaks_ucsc.tsv");
    assert_eq!(
        stream.columns(),
        &strings(&["chrom", "chromStart", "chromEnd", "name", "score"])
    );
    let items = drain(stream.as_mut());
    assert_eq!(
        lines_and_intervals(&items),
        vec![
            (2, vec![iv("chr1", 100, 200)]),
            (3, vec![iv("chr2", 1, 10)])
        ]
    );
    assert_eq!(records(&items)[0].label, "peakA");
    assert_eq!(invalids(&items).len(), 1);
    assert_eq!(invalids(&items)[0].0, 4);
}

#[test]
fn tsv_with_a_locus_column_reads_chr_start_end_with_commas() {
    let mut stream = open_fixture(FormatKind::Tabular, "hits_locus.tsv");
    assert_eq!(stream.columns(), &strings(&["gene", "locus", "score"]));
    let items = drain(stream.as_mut());
    assert_eq!(
        lines_and_intervals(&items),
        vec![
            (2, vec![iv("chr17", 7_668_402, 7_687_550)]),
            (3, vec![iv("chr2", 500, 500)]),
        ]
    );
    let labels: Vec<&str> = records(&items).iter().map(|r| r.label.as_str()).collect();
    assert_eq!(labels, vec!["TP53", "SNP1"]);
    assert_eq!(invalids(&items).len(), 1);
    assert_eq!(invalids(&items)[0].0, 4);
}

#[test]
fn csv_is_sniffed_one_based_and_keeps_quoted_commas_in_one_cell() {
    let mut stream = open_fixture(FormatKind::Tabular, "calls.csv");
    assert_eq!(
        stream.columns(),
        &strings(&["Chromosome", "Start", "End", "Gene", "Note"])
    );
    let items = drain(stream.as_mut());
    assert_eq!(
        lines_and_intervals(&items),
        vec![
            (2, vec![iv("chr1", 1000, 2000)]),
            (3, vec![iv("chrX", 5, 5)])
        ]
    );
    assert_eq!(records(&items)[0].cells[4], "a note, with a comma");
    assert_eq!(records(&items)[0].label, "ABC1");
}

#[test]
fn tabular_position_without_end_is_a_single_base() {
    let items = drain(open_fixture(FormatKind::Tabular, "positions.tsv").as_mut());
    assert_eq!(
        lines_and_intervals(&items),
        vec![(2, vec![iv("chr1", 12345, 12345)])]
    );
}

#[test]
fn galaxy_interval_columns_override_sniffing_and_are_zero_based() {
    let options = FormatOptions {
        chrom_col: Some(2),
        start_col: Some(3),
        end_col: Some(4),
        ..FormatOptions::default()
    };
    let mut stream = open_fixture_with(FormatKind::Tabular, "regions.interval", &options);
    assert_eq!(stream.columns(), &strings(&["name", "seq", "from", "to"]));
    let items = drain(stream.as_mut());
    assert_eq!(
        lines_and_intervals(&items),
        vec![
            (2, vec![iv("chr4", 1000, 2000)]),
            (3, vec![iv("chr4", 1, 5)])
        ]
    );
    assert_eq!(records(&items)[0].label, "geneA");
}

#[test]
fn galaxy_columns_win_over_a_sniffed_header() {
    // The header says chrom/start/end are columns 1-3, Galaxy says 1, 3, 2.
    let text = "#chrom\tstart\tend\nchr1\t50\t10\n";
    let options = FormatOptions {
        chrom_col: Some(1),
        start_col: Some(3),
        end_col: Some(2),
        ..FormatOptions::default()
    };
    let items = drain(
        open_bytes(FormatKind::Tabular, text.into(), &options)
            .expect("opens")
            .as_mut(),
    );
    assert_eq!(
        lines_and_intervals(&items),
        vec![(2, vec![iv("chr1", 11, 50)])]
    );
}

#[test]
fn galaxy_columns_work_without_any_header() {
    let text = "chr2\t99\t200\tx\n";
    let options = FormatOptions {
        chrom_col: Some(1),
        start_col: Some(2),
        end_col: Some(3),
        ..FormatOptions::default()
    };
    let mut stream = open_bytes(FormatKind::Tabular, text.into(), &options).expect("opens");
    assert_eq!(
        stream.columns(),
        &strings(&["column 1", "column 2", "column 3", "column 4"])
    );
    let items = drain(stream.as_mut());
    assert_eq!(
        lines_and_intervals(&items),
        vec![(1, vec![iv("chr2", 100, 200)])]
    );
}

#[test]
fn tabular_comment_line_before_a_plain_header_does_not_hide_it() {
    let text = "# exported by some tool, v2\nchrom,start,end\nchr1,5,10\n";
    let mut stream =
        open_bytes(FormatKind::Tabular, text.into(), &FormatOptions::default()).expect("opens");
    assert_eq!(stream.columns(), &strings(&["chrom", "start", "end"]));
    let items = drain(stream.as_mut());
    assert_eq!(
        lines_and_intervals(&items),
        vec![(3, vec![iv("chr1", 5, 10)])]
    );
}

#[test]
fn tabular_single_locus_column_in_a_one_column_file_keeps_its_commas() {
    let text = "locus\nchr1:1,000-2,000\n";
    let items = drain(
        open_bytes(FormatKind::Tabular, text.into(), &FormatOptions::default())
            .expect("opens")
            .as_mut(),
    );
    assert_eq!(
        lines_and_intervals(&items),
        vec![(2, vec![iv("chr1", 1000, 2000)])]
    );
}

#[test]
fn tabular_coords_option_overrides_the_sniffed_base() {
    let options = FormatOptions {
        coords: Some(CoordBase::One),
        ..FormatOptions::default()
    };
    let items = drain(open_fixture_with(FormatKind::Tabular, "peaks_ucsc.tsv", &options).as_mut());
    assert_eq!(records(&items)[0].intervals, vec![iv("chr1", 99, 200)]);

    let options = FormatOptions {
        coords: Some(CoordBase::Zero),
        ..FormatOptions::default()
    };
    let items = drain(open_fixture_with(FormatKind::Tabular, "calls.csv", &options).as_mut());
    assert_eq!(records(&items)[0].intervals, vec![iv("chr1", 1001, 2000)]);
}

#[test]
fn tabular_without_locus_columns_names_the_accepted_headers() {
    let bytes = fs::read(fixture("no_locus.tsv")).expect("fixture");
    let err = open_bytes(FormatKind::Tabular, bytes, &FormatOptions::default())
        .err()
        .expect("no locus columns");
    let message = err.to_string();
    assert!(matches!(err, FormatError::NoLocusColumns { .. }), "{err:?}");
    for name in [
        "sample, value",
        "chrom",
        "chromStart".to_lowercase().as_str(),
        "locus",
    ] {
        assert!(message.contains(name), "{name} missing from: {message}");
    }
}

// ---------------------------------------------------------------------------------------
// binary formats and FormatKind

#[test]
fn bam_cram_and_bigwig_have_no_rows() {
    for kind in [FormatKind::Bam, FormatKind::Cram, FormatKind::BigWig] {
        assert!(!kind.has_rows());
        let err = open_bytes(kind, vec![1, 2, 3], &FormatOptions::default())
            .err()
            .expect("no rows");
        assert!(
            matches!(err, FormatError::NoRows(k) if k == kind),
            "{err:?}"
        );
        assert!(err.to_string().contains("IGV"), "{err}");
    }
}

#[test]
fn text_formats_have_rows() {
    for kind in FormatKind::ALL {
        let binary = matches!(
            kind,
            FormatKind::Bam | FormatKind::Cram | FormatKind::BigWig
        );
        assert_eq!(kind.has_rows(), !binary, "{kind:?}");
    }
}

#[test]
fn index_suffixes_match_what_igv_looks_for() {
    assert_eq!(FormatKind::Bam.index_suffixes(), &[".bai", ".csi"]);
    assert_eq!(FormatKind::Cram.index_suffixes(), &[".crai"]);
    assert_eq!(FormatKind::Vcf.index_suffixes(), &[".tbi", ".csi"]);
    assert!(FormatKind::BigWig.index_suffixes().is_empty());
    assert!(FormatKind::Tabular.index_suffixes().is_empty());
}

#[test]
fn every_kind_has_a_name_and_is_on_the_supported_list() {
    let listed: Vec<&str> = formats::supported_formats()
        .iter()
        .map(|(name, _)| *name)
        .collect();
    for kind in FormatKind::ALL {
        assert!(!kind.name().is_empty());
        assert!(
            listed.iter().any(|name| name.starts_with(kind.name())),
            "{} not in {listed:?}",
            kind.name()
        );
    }
}

// ---------------------------------------------------------------------------------------
// detect

#[test]
fn detect_by_extension() {
    let cases = [
        ("calls.vcf", FormatKind::Vcf),
        ("calls.vcf.gz", FormatKind::Vcf),
        ("calls.vcf.bgz", FormatKind::Vcf),
        ("CALLS.VCF", FormatKind::Vcf),
        ("peaks.bed", FormatKind::Bed),
        ("peaks.bed.gz", FormatKind::Bed),
        ("signal.bedgraph", FormatKind::BedGraph),
        ("signal.bedGraph", FormatKind::BedGraph),
        ("signal.bdg", FormatKind::BedGraph),
        ("x.narrowPeak", FormatKind::NarrowPeak),
        ("x.narrowPeak.gz", FormatKind::NarrowPeak),
        ("x.broadPeak", FormatKind::BroadPeak),
        ("x.bedpe", FormatKind::Bedpe),
        ("genes.gff", FormatKind::Gff3),
        ("genes.gff3", FormatKind::Gff3),
        ("genes.gff3.gz", FormatKind::Gff3),
        ("genes.gtf", FormatKind::Gtf),
        ("genes.gtf.gz", FormatKind::Gtf),
        ("table.tsv", FormatKind::Tabular),
        ("table.tabular", FormatKind::Tabular),
        ("table.csv", FormatKind::Tabular),
        ("table.txt", FormatKind::Tabular),
        ("regions.interval", FormatKind::Tabular),
        ("reads.bam", FormatKind::Bam),
        ("reads.cram", FormatKind::Cram),
        ("coverage.bw", FormatKind::BigWig),
        ("coverage.bigwig", FormatKind::BigWig),
        ("coverage.bigWig", FormatKind::BigWig),
    ];
    for (name, kind) in cases {
        assert_eq!(formats::detect(name, b""), Some(kind), "{name}");
    }
}

#[test]
fn detect_unknown_name_and_content_is_none() {
    assert_eq!(formats::detect("notes.docx", b"PK\x03\x04"), None);
    assert_eq!(formats::detect("", b""), None);
    assert_eq!(formats::detect("README", b"hello world\n"), None);
}

#[test]
fn detect_content_wins_over_a_misleading_extension() {
    let vcf = fs::read(fixture("variants.vcf")).expect("fixture");
    assert_eq!(formats::detect("calls.bed", &vcf), Some(FormatKind::Vcf));
    assert_eq!(formats::detect("calls.txt", &vcf), Some(FormatKind::Vcf));

    let bgzf = fs::read(fixture("variants.bgzf.vcf.gz")).expect("fixture");
    assert_eq!(
        formats::detect("calls.tsv.gz", &bgzf),
        Some(FormatKind::Vcf)
    );
    let gz = fs::read(fixture("variants.gzip.vcf.gz")).expect("fixture");
    assert_eq!(formats::detect("dataset_1.dat", &gz), Some(FormatKind::Vcf));
    // The first couple of hundred bytes of a compressed file are enough.
    assert_eq!(
        formats::detect("x.dat", &bgzf[..200]),
        Some(FormatKind::Vcf)
    );

    let gff = fs::read(fixture("genes.gff3")).expect("fixture");
    assert_eq!(formats::detect("genes.gtf", &gff), Some(FormatKind::Gff3));

    let bam = bgzip(b"BAM\x01\x00\x00\x00\x00");
    assert_eq!(formats::detect("reads.bed", &bam), Some(FormatKind::Bam));
    assert_eq!(formats::detect("display", &bam), Some(FormatKind::Bam));

    assert_eq!(
        formats::detect("a.bed", b"CRAM\x03\x00rest"),
        Some(FormatKind::Cram)
    );
    assert_eq!(
        formats::detect("a.bed", &[0x26, 0xfc, 0x8f, 0x88, 4, 0]),
        Some(FormatKind::BigWig)
    );
    assert_eq!(
        formats::detect("a.bed", &[0x88, 0x8f, 0xfc, 0x26, 0, 4]),
        Some(FormatKind::BigWig)
    );
}

#[test]
fn detect_without_an_extension_falls_back_to_the_line_shape() {
    let bed = fs::read(fixture("features.bed")).expect("fixture");
    assert_eq!(
        formats::detect("dataset_7.dat", &bed),
        Some(FormatKind::Bed)
    );
    let gtf = fs::read(fixture("genes.gtf")).expect("fixture");
    assert_eq!(
        formats::detect("dataset_8.dat", &gtf),
        Some(FormatKind::Gtf)
    );
    // GFF without a version line.
    let gff = b"chr1\t.\tgene\t1\t9\t.\t+\t.\tID=g\n";
    assert_eq!(
        formats::detect("dataset_9.dat", gff),
        Some(FormatKind::Gff3)
    );
}

#[test]
fn ambiguous_content_leaves_the_extension_in_charge() {
    // A BED-shaped .txt stays tabular: only unambiguous content overrides a name.
    let bed = fs::read(fixture("features.bed")).expect("fixture");
    assert_eq!(
        formats::detect("features.txt", &bed),
        Some(FormatKind::Tabular)
    );
}

// ---------------------------------------------------------------------------------------
// laziness and limits

fn vcf_with_garbage_tail(valid: usize, garbage_bytes: usize) -> Vec<u8> {
    let mut text =
        String::from("##fileformat=VCFv4.3\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n");
    for i in 0..valid {
        text.push_str(&format!("chr1\t{}\tv{i}\tA\tG\t.\tPASS\t.\n", i + 1));
    }
    let mut bytes = text.into_bytes();
    let garbage: Vec<u8> = (0..garbage_bytes)
        .map(|i| if i % 97 == 96 { b'\n' } else { (i % 251) as u8 })
        .collect();
    bytes.extend(garbage);
    bytes
}

const FIRST_PAGE: usize = 100;
/// Generous: a page of 100 short records plus the 8 KiB BufReader and the decoder's
/// read-ahead; megabytes would mean the file is being slurped.
const BOUNDED_PREFIX: u64 = 64 << 10;

fn first_page(stream: &mut dyn RecordStream) -> Vec<Item> {
    (0..FIRST_PAGE)
        .map(|_| {
            stream
                .next_item()
                .expect("no I/O error")
                .expect("enough rows")
        })
        .collect()
}

#[test]
fn first_page_of_a_huge_vcf_reads_only_a_bounded_prefix() {
    let bytes = vcf_with_garbage_tail(200, 8 << 20);
    let total = bytes.len() as u64;
    let (input, count) = counted(bytes);
    let mut stream =
        formats::open(FormatKind::Vcf, input, &FormatOptions::default()).expect("opens");
    let items = first_page(stream.as_mut());
    assert_eq!(records(&items).len(), FIRST_PAGE);
    assert_eq!(records(&items)[99].intervals, vec![iv("chr1", 100, 100)]);
    let read = count.load(Ordering::SeqCst);
    assert!(read < BOUNDED_PREFIX, "read {read} of {total} bytes");
}

#[test]
fn first_page_of_a_huge_bgzipped_vcf_reads_only_a_bounded_prefix() {
    let bytes = bgzip(&vcf_with_garbage_tail(200, 8 << 20));
    let total = bytes.len() as u64;
    let (input, count) = counted(bytes);
    let mut stream =
        formats::open(FormatKind::Vcf, input, &FormatOptions::default()).expect("opens");
    let items = first_page(stream.as_mut());
    assert_eq!(records(&items).len(), FIRST_PAGE);
    let read = count.load(Ordering::SeqCst);
    assert!(read < BOUNDED_PREFIX, "read {read} of {total} bytes");
}

#[test]
fn first_page_of_every_text_format_reads_only_a_bounded_prefix() {
    let row = |kind: FormatKind, i: usize| -> String {
        match kind {
            FormatKind::Vcf => format!("chr1\t{}\t.\tA\tG\t.\tPASS\t.\n", i + 1),
            FormatKind::Bedpe => {
                format!("chr1\t{i}\t{}\tchr2\t{i}\t{}\tp\t0\t+\t-\n", i + 5, i + 5)
            }
            FormatKind::Gff3 => {
                format!("chr1\t.\tgene\t{}\t{}\t.\t+\t.\tID=g{i}\n", i + 1, i + 9)
            }
            FormatKind::Gtf => {
                format!(
                    "chr1\t.\tgene\t{}\t{}\t.\t+\t.\tgene_id \"g{i}\";\n",
                    i + 1,
                    i + 9
                )
            }
            FormatKind::Tabular => format!("chr1\t{}\t{}\n", i + 1, i + 9),
            FormatKind::Maf | FormatKind::Annovar | FormatKind::Seg => {
                format!("g{i}\tchr1\t{}\t{}\t7\t0.5\n", i + 1, i + 9)
            }
            FormatKind::Gwas => format!("chr1\t{}\trs{i}\t0.5\n", i + 1),
            FormatKind::IntervalList => format!("chr1\t{}\t{}\t+\tt{i}\n", i + 1, i + 9),
            FormatKind::GeneTable => format!("ENSG{i:011}\t0.5\t0.01\n"),
            _ => format!("chr1\t{i}\t{}\tname{i}\t0\t+\t1\t2\t3\t4\n", i + 9),
        }
    };
    for kind in FormatKind::ALL.into_iter().filter(FormatKind::has_rows) {
        let mut text = match kind {
            FormatKind::Vcf => {
                "##fileformat=VCFv4.3\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n".to_string()
            }
            FormatKind::Tabular => "chrom\tstart\tend\n".to_string(),
            FormatKind::Maf => {
                "#version 2.4\nHugo_Symbol\tChromosome\tStart_Position\tEnd_Position\tt_alt_count\tt_depth\n"
                    .to_string()
            }
            FormatKind::Annovar => "Gene.refGene\tChr\tStart\tEnd\tRef\tFunc.refGene\n".to_string(),
            FormatKind::Seg => "ID\tchrom\tloc.start\tloc.end\tnum.mark\tseg.mean\n".to_string(),
            FormatKind::Gwas => "CHR\tBP\tSNP\tP\n".to_string(),
            FormatKind::IntervalList => "@HD\tVN:1.6\n@SQ\tSN:chr1\tLN:248956422\n".to_string(),
            FormatKind::GeneTable => "gene_id\tlog2FoldChange\tpadj\n".to_string(),
            _ => String::new(),
        };
        for i in 0..100_000 {
            text.push_str(&row(kind, i));
        }
        let total = text.len();
        let (input, count) = counted(text.into_bytes());
        let mut stream = formats::open(kind, input, &FormatOptions::default()).expect("opens");
        let items = first_page(stream.as_mut());
        assert_eq!(
            records(&items).len(),
            FIRST_PAGE,
            "{kind:?}: {:?}",
            invalids(&items)
        );
        let read = count.load(Ordering::SeqCst);
        assert!(
            read < BOUNDED_PREFIX,
            "{kind:?} read {read} of {total} bytes"
        );
    }
}

#[test]
fn overlong_line_becomes_invalid_without_ending_the_stream() {
    let mut text = b"chr1\t0\t10\tshort\n".to_vec();
    text.extend(b"chr1\t0\t10\t");
    text.extend(std::iter::repeat_n(b'x', 3 << 20));
    text.extend(b"\nchr2\t5\t6\tafter\n");
    let mut stream = open_bytes(FormatKind::Bed, text, &FormatOptions::default()).expect("opens");
    let items = drain(stream.as_mut());
    assert_eq!(
        lines_and_intervals(&items),
        vec![(1, vec![iv("chr1", 1, 10)]), (3, vec![iv("chr2", 6, 6)])]
    );
    match &items[1] {
        Item::Invalid { line, message, raw } => {
            assert_eq!(*line, 2);
            assert!(message.contains("limit"), "{message}");
            assert!(raw.len() < 1024, "raw preview is {} bytes", raw.len());
            assert!(raw.starts_with("chr1\t0\t10\txxx"));
        }
        other => panic!("expected invalid, got {other:?}"),
    }
}

#[test]
fn max_line_bytes_applies_to_every_text_format() {
    let options = FormatOptions {
        max_line_bytes: 64,
        ..FormatOptions::default()
    };
    let long_name = "n".repeat(100);
    let cases = [
        (
            FormatKind::Vcf,
            format!(
                "##fileformat=VCFv4.3\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n\
                 chr1\t1\t{long_name}\tA\tG\t.\t.\t.\nchr1\t2\t.\tA\tG\t.\t.\t.\n"
            ),
        ),
        (
            FormatKind::Gff3,
            format!(
                "chr1\t.\tgene\t1\t2\t.\t+\t.\tID={long_name}\nchr1\t.\tgene\t1\t2\t.\t+\t.\tID=a\n"
            ),
        ),
        (
            FormatKind::Gtf,
            format!(
                "chr1\t.\tgene\t1\t2\t.\t+\t.\tgene_id \"{long_name}\";\nchr1\t.\tgene\t1\t2\t.\t+\t.\tgene_id \"a\";\n"
            ),
        ),
        (
            FormatKind::Tabular,
            format!("chrom\tstart\tname\nchr1\t1\t{long_name}\nchr1\t2\tb\n"),
        ),
    ];
    for (kind, text) in cases {
        let items = drain(
            open_bytes(kind, text.into_bytes(), &options)
                .expect("opens")
                .as_mut(),
        );
        assert_eq!(invalids(&items).len(), 1, "{kind:?}: {items:?}");
        assert!(invalids(&items)[0].1.contains("limit"), "{kind:?}");
        assert_eq!(records(&items).len(), 1, "{kind:?}");
    }
}

#[test]
fn windows_line_endings_are_accepted() {
    let text = "track name=x\r\nchr1\t0\t10\tcr\r\n";
    let items = drain(
        open_bytes(FormatKind::Bed, text.into(), &FormatOptions::default())
            .expect("opens")
            .as_mut(),
    );
    assert_eq!(
        lines_and_intervals(&items),
        vec![(2, vec![iv("chr1", 1, 10)])]
    );
    assert_eq!(records(&items)[0].label, "cr");
}

// ---------------------------------------------------------------------------------------
// properties

const BED_KINDS: [FormatKind; 5] = [
    FormatKind::Bed,
    FormatKind::BedGraph,
    FormatKind::NarrowPeak,
    FormatKind::BroadPeak,
    FormatKind::Bedpe,
];

fn drain_any(kind: FormatKind, bytes: Vec<u8>, options: &FormatOptions) {
    if let Ok(mut stream) = open_bytes(kind, bytes, options) {
        let width = stream.columns().len();
        while let Some(item) = stream
            .next_item()
            .expect("in-memory input has no I/O errors")
        {
            if let Item::Record(record) = item {
                assert_eq!(record.cells.len(), width);
                assert!(!record.intervals.is_empty());
            }
        }
    }
}

proptest! {
    #[test]
    fn bed_parsers_never_panic_on_arbitrary_bytes(
        bytes in proptest::collection::vec(any::<u8>(), 0..2048),
        max_line in 1usize..200,
    ) {
        let options = FormatOptions { max_line_bytes: max_line, ..FormatOptions::default() };
        for kind in BED_KINDS {
            drain_any(kind, bytes.clone(), &options);
        }
    }

    #[test]
    fn bed_parsers_never_panic_on_tab_separated_junk(
        lines in proptest::collection::vec(
            proptest::collection::vec("[-0-9a-z.#]{0,6}", 0..13), 0..20),
    ) {
        let text: String = lines.iter().map(|fields| fields.join("\t") + "\n").collect();
        for kind in BED_KINDS {
            drain_any(kind, text.clone().into_bytes(), &FormatOptions::default());
        }
    }

    #[test]
    fn other_parsers_never_panic_on_arbitrary_lines(
        lines in proptest::collection::vec("[ -~\t]{0,80}", 0..20),
    ) {
        let body: String = lines.iter().map(|line| format!("{line}\n")).collect();
        let vcf = format!("##fileformat=VCFv4.3\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n{body}");
        drain_any(FormatKind::Vcf, vcf.into_bytes(), &FormatOptions::default());
        drain_any(FormatKind::Gff3, body.clone().into_bytes(), &FormatOptions::default());
        drain_any(FormatKind::Gtf, body.clone().into_bytes(), &FormatOptions::default());
        drain_any(FormatKind::Tabular, format!("chrom\tstart\tend\n{body}").into_bytes(), &FormatOptions::default());
        drain_any(FormatKind::Tabular, format!("locus\n{body}").into_bytes(), &FormatOptions::default());
    }

    #[test]
    fn valid_bed_line_converts_start_and_keeps_the_length_exact(
        chrom in "[A-Za-z0-9_]{1,12}",
        start in 0u64..(u64::MAX / 2),
        len in 0u64..1_000_000_000,
        name in "[A-Za-z0-9_.-]{1,12}",
    ) {
        let end = start + len;
        let text = format!("{chrom}\t{start}\t{end}\t{name}\n");
        let items = drain(open_bytes(FormatKind::Bed, text.into_bytes(), &FormatOptions::default())
            .expect("opens")
            .as_mut());
        prop_assert_eq!(items.len(), 1);
        let Item::Record(record) = &items[0] else {
            return Err(TestCaseError::fail(format!("not a record: {:?}", items[0])));
        };
        let interval = &record.intervals[0];
        prop_assert_eq!(&interval.chrom, &chrom);
        if len == 0 {
            // An insertion point: the two bases around it (one at a sequence's start).
            prop_assert_eq!((interval.start, interval.end), (start.max(1), start + 1));
        } else {
            prop_assert_eq!(interval.start, start + 1);
            prop_assert_eq!(interval.end, end);
            // 1-based inclusive length equals the BED half-open length.
            prop_assert_eq!(interval.end + 1 - interval.start, len);
        }
    }

    #[test]
    fn valid_bedpe_line_converts_both_ends(
        s1 in 0u64..1_000_000_000, l1 in 0u64..100_000,
        s2 in 0u64..1_000_000_000, l2 in 0u64..100_000,
    ) {
        let text = format!("chr1\t{s1}\t{}\tchr2\t{s2}\t{}\n", s1 + l1, s2 + l2);
        let items = drain(open_bytes(FormatKind::Bedpe, text.into_bytes(), &FormatOptions::default())
            .expect("opens")
            .as_mut());
        // A zero-length end is an insertion point: the two bases around it.
        let one_based = |chrom, s: u64, l: u64| if l == 0 {
            iv(chrom, s.max(1), s + 1)
        } else {
            iv(chrom, s + 1, s + l)
        };
        prop_assert_eq!(
            lines_and_intervals(&items),
            vec![(1, vec![one_based("chr1", s1, l1), one_based("chr2", s2, l2)])]
        );
    }
}

// ---------------------------------------------------------------------------------------
// Every valid record links (issue 13): the misses found on real files, one test each,
// on small files shaped like the real ones (the real ones are in tests/real_files.rs).

fn items_of(kind: FormatKind, text: &str) -> Vec<Item> {
    drain(
        open_bytes(kind, text.as_bytes().to_vec(), &FormatOptions::default())
            .expect("opens")
            .as_mut(),
    )
}

#[test]
fn bed_zero_length_features_are_the_two_bases_around_the_insertion_point() {
    // dbSNP's BEDs mark insertions with chromStart == chromEnd.
    let items = items_of(
        FormatKind::Bed,
        "chr21\t9411326\t9411327\trs75025155\t0\t+\n\
         chr21\t9986066\t9986066\trs71206350\t0\t+\n\
         chr21\t0\t0\tat_the_start\t0\t+\n",
    );
    assert!(invalids(&items).is_empty(), "{items:?}");
    assert_eq!(
        lines_and_intervals(&items),
        vec![
            (1, vec![iv("chr21", 9411327, 9411327)]),
            (2, vec![iv("chr21", 9986066, 9986067)]),
            (3, vec![iv("chr21", 1, 1)]),
        ]
    );
}

#[test]
fn vcf_records_with_an_empty_info_or_sample_column_are_read() {
    let text = "##fileformat=VCFv4.2\n\
        #CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\ts1\ts2\n\
        chr1\t10\t.\tA\tG\t.\tPASS\t\tGT\t0/1\t1/1\n\
        chr1\t20\t.\tC\tT\t.\tPASS\tDP=3\tGT\t\t0/1\n\
        chr1\t30\t.\tG\tA\t.\tPASS\t.\tGT:DP\t0/1:3\t\n";
    let items = items_of(FormatKind::Vcf, text);
    assert!(invalids(&items).is_empty(), "{items:?}");
    assert_eq!(
        lines_and_intervals(&items),
        vec![
            (3, vec![iv("chr1", 10, 10)]),
            (4, vec![iv("chr1", 20, 20)]),
            (5, vec![iv("chr1", 30, 30)]),
        ]
    );
}

#[test]
fn vcf_line_with_latin1_bytes_is_read_as_htslib_reads_it() {
    let mut text = b"##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n\
        chr1\t235755570\trs61738992\tT\tG\t1942.3\tPASS\tNOTE=Gr"
        .to_vec();
    text.push(0xfc); // ü in Latin-1
    text.extend_from_slice(b"n\n");
    let items = drain(
        open_bytes(FormatKind::Vcf, text, &FormatOptions::default())
            .expect("opens")
            .as_mut(),
    );
    assert_eq!(
        lines_and_intervals(&items),
        vec![(3, vec![iv("chr1", 235755570, 235755570)])]
    );
}

#[test]
fn vcf_label_for_a_record_without_alt_has_no_arrow() {
    let items = items_of(
        FormatKind::Vcf,
        "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n\
         chr1\t5\t.\tT\t.\t.\t.\t.\nchr1\t6\t.\tT\tC\t.\t.\t.\n",
    );
    let labels: Vec<&str> = records(&items).iter().map(|r| r.label.as_str()).collect();
    assert_eq!(labels, ["chr1:5 T", "chr1:6 T>C"]);
}

#[test]
fn gff3_with_gtf_attributes_still_links_and_loses_only_the_label() {
    let items = items_of(
        FormatKind::Gff3,
        "##gff-version 3\nchr1\tHAVANA\tgene\t11869\t14409\t.\t+\t.\tgene_id \"ENSG1\"; gene_name \"DDX11L1\";\n",
    );
    assert_eq!(
        lines_and_intervals(&items),
        vec![(2, vec![iv("chr1", 11869, 14409)])]
    );
}

#[test]
fn detect_tells_the_gff_family_apart_by_content() {
    let gtf =
        b"chr1\tHAVANA\tgene\t11869\t14409\t.\t+\t.\tgene_id \"ENSG1\"; gene_name \"DDX11L1\";\n";
    let gff2 = b"I\tCoding_transcript\tTranscript\t12759582\t12764949\t.\t-\t.\tTranscript \"B0019.1\" ; Note \"amx-2\"\n";
    let gff1 = b"chr1\tsrc\texon\t100\t200\t.\t+\t.\tGene1\n";
    let gff3 = b"chr1\t.\tgene\t14362\t29370\t.\t-\t.\tID=NR_024540;\n";
    assert_eq!(formats::detect("genes.gff", gtf), Some(FormatKind::Gtf));
    assert_eq!(formats::detect("genes.gff", gff2), Some(FormatKind::Gtf));
    assert_eq!(formats::detect("genes.gff", gff1), Some(FormatKind::Gtf));
    assert_eq!(formats::detect("genes.gtf", gff3), Some(FormatKind::Gff3));
    assert_eq!(formats::detect("genes.gff", gff3), Some(FormatKind::Gff3));
    // The version line decides before any data line.
    assert_eq!(
        formats::detect(
            "genes.gff",
            b"##gff-version 2\nchr1\t.\tgene\t1\t9\t.\t+\t.\tg\n"
        ),
        Some(FormatKind::Gtf)
    );
    assert_eq!(
        formats::detect("x.dat", b"##gff-version 3.1.26\n"),
        Some(FormatKind::Gff3)
    );
    // GFF content named .txt (gffutils, WormBase): every line has GFF's columns.
    assert_eq!(
        formats::detect("wormbase_gff2.txt", gff2),
        Some(FormatKind::Gtf)
    );
    assert_eq!(
        formats::detect("ncbi_gff3.txt", gff3),
        Some(FormatKind::Gff3)
    );
}

#[test]
fn detect_bedpe_content_named_bed_and_bed_with_its_width_in_the_name() {
    let bedpe = b"chr1\t100\t200\tchr5\t5000\t5100\tbedpe_example1\t30\t+\t-\n\
                  chr9\t1000\t5000\t.\t-1\t-1\tunknown_mate\t100\t-\t-\n";
    assert_eq!(formats::detect("pairs.bed", bedpe), Some(FormatKind::Bedpe));
    assert_eq!(
        formats::detect("dataset_3.dat", bedpe),
        Some(FormatKind::Bedpe)
    );
    // BED6 has a name, a score and a strand where BEDPE has its second triple.
    let bed6 = b"chr1\t100\t200\tname\t0\t+\n";
    assert_eq!(formats::detect("peaks.bed", bed6), Some(FormatKind::Bed));
    let bed12 = b"chr1\t4797973\t4836816\tLypla1\t1\t+\t4797973\t4836816\t.\t2\t90,32,\t0,562,\n";
    assert_eq!(formats::detect("mm9.bed12", bed12), Some(FormatKind::Bed));
    assert_eq!(formats::detect("x.bed15", b""), Some(FormatKind::Bed));
    assert_eq!(formats::detect("x.bed3", b""), Some(FormatKind::Bed));
    assert_eq!(formats::detect("x.bed16", b""), None);
}

#[test]
fn gff1_and_gff2_lines_link_through_the_gtf_reader() {
    // GFF1: eight columns, or a lone group name; GFF2: `key value` pairs.
    let items = items_of(
        FormatKind::Gtf,
        "##gff-version 1\nchr1\tsrc\texon\t100\t200\t.\t+\t.\n\
         chr1\tsrc\texon\t300\t400\t.\t+\t.\tGene1\n\
         I\tCoding_transcript\tTranscript\t12759582\t12764949\t.\t-\t.\tTranscript \"B0019.1\" ; Note \"amx-2\"\n",
    );
    assert_eq!(
        lines_and_intervals(&items),
        vec![
            (2, vec![iv("chr1", 100, 200)]),
            (3, vec![iv("chr1", 300, 400)]),
            (4, vec![iv("I", 12759582, 12764949)]),
        ]
    );
}
