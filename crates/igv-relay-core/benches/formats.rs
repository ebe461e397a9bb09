//! Each format's record stream over generated in-memory files: records/s (group
//! `records`) and MB/s of (decompressed) input (group `bytes`), for VCF plain,
//! gzip and BGZF, BED, narrowPeak, BEDPE, GFF3, GTF and tabular; plus the fast
//! row skip a later page uses (`skip`).
//!
//! `cargo bench --bench formats`

use std::hint::black_box;
use std::io::{BufRead, Write};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use igv_relay_core::formats::{self, FormatKind, FormatOptions};

const RECORDS: u64 = 20_000;

fn vcf() -> Vec<u8> {
    let mut out = String::from(
        "##fileformat=VCFv4.2\n##contig=<ID=chr1,length=248956422>\n\
         ##INFO=<ID=DP,Number=1,Type=Integer,Description=\"Depth\">\n\
         ##INFO=<ID=AF,Number=A,Type=Float,Description=\"AF\">\n\
         ##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n\
         ##FORMAT=<ID=DP,Number=1,Type=Integer,Description=\"Depth\">\n\
         #CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\tS2\n",
    );
    for i in 0..RECORDS {
        let id = if i % 2 == 0 {
            format!("rs{i}")
        } else {
            ".".into()
        };
        out.push_str(&format!(
            "chr1\t{}\t{id}\tA\tG\t{}\tPASS\tDP={};AF=0.{:02}\tGT:DP\t0/1:{}\t1/1:{}\n",
            1000 + i * 97,
            20 + i % 900,
            10 + i % 90,
            i % 100,
            i % 50,
            i % 40
        ));
    }
    out.into_bytes()
}

fn bed(columns: usize) -> Vec<u8> {
    let mut out = String::from("track name=bench\n");
    for i in 0..RECORDS {
        let fields = [
            "chr2".to_string(),
            (i * 300).to_string(),
            (i * 300 + 150).to_string(),
            format!("peak_{i}"),
            (i % 1000).to_string(),
            "+".into(),
            "5.5".into(),
            "12.1".into(),
            "9.3".into(),
            "75".into(),
        ];
        out.push_str(&fields[..columns].join("\t"));
        out.push('\n');
    }
    out.into_bytes()
}

fn bedpe() -> Vec<u8> {
    let mut out = String::new();
    for i in 0..RECORDS {
        out.push_str(&format!(
            "chr1\t{}\t{}\tchr5\t{}\t{}\tpair_{i}\t60\t+\t-\n",
            i * 500,
            i * 500 + 100,
            i * 700,
            i * 700 + 100
        ));
    }
    out.into_bytes()
}

fn gff3() -> Vec<u8> {
    let mut out = String::from("##gff-version 3\n");
    for i in 0..RECORDS {
        out.push_str(&format!(
            "chr3\tbench\tgene\t{}\t{}\t.\t+\t.\tID=gene{i};Name=GENE{i}\n",
            i * 1000 + 1,
            i * 1000 + 800
        ));
    }
    out.into_bytes()
}

fn gtf() -> Vec<u8> {
    let mut out = String::new();
    for i in 0..RECORDS {
        out.push_str(&format!(
            "chr4\tbench\texon\t{}\t{}\t.\t-\t.\tgene_id \"G{i}\"; transcript_id \"T{i}\"; gene_name \"GENE{i}\";\n",
            i * 1000 + 1,
            i * 1000 + 300
        ));
    }
    out.into_bytes()
}

fn tabular() -> Vec<u8> {
    let mut out = String::from("chrom\tstart\tend\tgene\tscore\n");
    for i in 0..RECORDS {
        out.push_str(&format!(
            "chr6\t{}\t{}\tG{i}\t{}\n",
            i * 200,
            i * 200 + 50,
            i % 7
        ));
    }
    out.into_bytes()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(data).expect("gzip");
    gz.finish().expect("gzip")
}

fn bgzf(data: &[u8]) -> Vec<u8> {
    let mut writer = noodles::bgzf::io::Writer::new(Vec::new());
    writer.write_all(data).expect("bgzf");
    writer.finish().expect("bgzf")
}

struct Case {
    name: &'static str,
    kind: FormatKind,
    /// As stored (maybe compressed).
    bytes: Vec<u8>,
    /// Decompressed size, for MB/s.
    text_len: u64,
}

fn cases() -> Vec<Case> {
    let vcf_text = vcf();
    let mut cases = vec![
        Case {
            name: "vcf.gz (gzip)",
            kind: FormatKind::Vcf,
            bytes: gzip(&vcf_text),
            text_len: vcf_text.len() as u64,
        },
        Case {
            name: "vcf.gz (bgzf)",
            kind: FormatKind::Vcf,
            bytes: bgzf(&vcf_text),
            text_len: vcf_text.len() as u64,
        },
    ];
    for (name, kind, text) in [
        ("vcf", FormatKind::Vcf, vcf_text),
        ("bed6", FormatKind::Bed, bed(6)),
        ("narrowPeak", FormatKind::NarrowPeak, bed(10)),
        ("bedpe", FormatKind::Bedpe, bedpe()),
        ("gff3", FormatKind::Gff3, gff3()),
        ("gtf", FormatKind::Gtf, gtf()),
        ("tabular", FormatKind::Tabular, tabular()),
    ] {
        cases.push(Case {
            name,
            kind,
            text_len: text.len() as u64,
            bytes: text,
        });
    }
    cases.rotate_left(2);
    cases
}

fn open(case: &Case) -> Box<dyn formats::RecordStream + Send> {
    let input: Box<dyn BufRead + Send> = Box::new(std::io::Cursor::new(case.bytes.clone()));
    formats::open(case.kind, input, &FormatOptions::default()).expect("opens")
}

fn read_all(case: &Case) -> u64 {
    let mut stream = open(case);
    let mut n = 0;
    while let Some(item) = stream.next_item().expect("reads") {
        black_box(&item);
        n += 1;
    }
    assert_eq!(n, RECORDS, "{}", case.name);
    n
}

fn streams(c: &mut Criterion) {
    let cases = cases();
    let mut group = c.benchmark_group("records");
    group.sample_size(10);
    group.throughput(Throughput::Elements(RECORDS));
    for case in &cases {
        group.bench_function(case.name, |b| b.iter(|| read_all(case)));
    }
    group.finish();

    let mut group = c.benchmark_group("bytes");
    group.sample_size(10);
    for case in &cases {
        group.throughput(Throughput::Bytes(case.text_len));
        group.bench_function(case.name, |b| b.iter(|| read_all(case)));
    }
    group.finish();

    let mut group = c.benchmark_group("skip");
    group.sample_size(10);
    group.throughput(Throughput::Elements(RECORDS));
    for case in cases
        .iter()
        .filter(|c| c.name.starts_with("vcf") || c.name == "bed6")
    {
        group.bench_function(case.name, |b| {
            b.iter(|| {
                let mut stream = open(case);
                assert_eq!(stream.skip_items(u64::MAX).expect("skips"), RECORDS);
            })
        });
    }
    group.finish();
}

criterion_group!(benches, streams);
criterion_main!(benches);
