//! One page of 100 rows: the rows themselves (`RowReader::read_page`: parse,
//! resolve loci)
//! and the whole HTML page through the service's routes in process (query
//! parsing, links, template), for page 1 and for page 500 of a 100,000-row VCF
//! before and after the page index knows the file.
//!
//! `cargo bench --bench page`

use std::collections::BTreeMap;
use std::hint::black_box;
use std::io::Write;

use actix_web::{App, test, web};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use igv_relay::configuration::{DataRootSettings, Settings};
use igv_relay::startup::{AppState, configure_routes};
use igv_relay_core::domain::loci::LociRules;
use igv_relay_core::formats::{self, FormatKind, FormatOptions};
use igv_relay_core::rows::{
    Checkpoints, Filters, IndexedFile, ReadRules, Row, RowReader, RowsKey, SeekableFile,
};

const RECORDS: u64 = 100_000;

fn write_vcf(path: &std::path::Path) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).expect("create"));
    write!(
        out,
        "##fileformat=VCFv4.2\n##contig=<ID=chr1,length=248956422>\n\
         ##INFO=<ID=DP,Number=1,Type=Integer,Description=\"Depth\">\n\
         ##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n\
         #CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n"
    )
    .expect("write");
    for i in 0..RECORDS {
        writeln!(
            out,
            "chr1\t{}\trs{i}\tA\tG\t{}\tPASS\tDP={}\tGT\t0/1",
            1000 + i * 97,
            20 + i % 900,
            10 + i % 90
        )
        .expect("write");
    }
    out.flush().expect("flush");
}

fn rows_page(checkpoints: &Checkpoints, path: &std::path::Path, page: u64, index: bool) -> usize {
    let file = std::fs::File::open(path).expect("open");
    let options = FormatOptions::default();
    let stream = formats::open(
        FormatKind::Vcf,
        Box::new(std::io::BufReader::new(file)),
        &options,
    )
    .expect("vcf");
    let mut reader = RowReader::new(
        stream,
        ReadRules {
            filters: Filters::default(),
            predicate: None,
            genome: None,
            flank: 0,
            loci: LociRules::default(),
            values: None,
        },
    );
    let index = index
        .then(|| SeekableFile::local(path, options.decompression))
        .flatten()
        .map(|file| IndexedFile {
            checkpoints,
            file,
            rows: RowsKey::new(FormatKind::Vcf, &options, &Filters::default(), None),
        });
    let mut rows = Vec::with_capacity(100);
    reader
        .read_page(page, 100, index, &mut |row: Row| {
            rows.push(row);
            Ok(())
        })
        .expect("page");
    assert_eq!(rows.len(), 100);
    rows.len()
}

fn pages(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("calls.vcf");
    write_vcf(&path);

    let mut group = c.benchmark_group("rows");
    group.sample_size(20);
    group.throughput(Throughput::Elements(100));
    let checkpoints = Checkpoints::default();
    group.bench_function("page 1 of 100", |b| {
        b.iter(|| rows_page(&checkpoints, &path, 1, false))
    });
    group.bench_function("page 500 of 100, no index", |b| {
        b.iter(|| rows_page(&checkpoints, &path, 500, false))
    });
    rows_page(&checkpoints, &path, 500, true);
    group.bench_function("page 500 of 100, indexed", |b| {
        b.iter(|| rows_page(&checkpoints, &path, 500, true))
    });
    group.finish();

    let mut settings =
        Settings::load_with_env(None, Some(BTreeMap::new())).expect("built-in defaults");
    settings.server.bind = "127.0.0.1:0".to_owned();
    settings.data.roots = vec![DataRootSettings {
        name: "bench".into(),
        path: dir.path().to_path_buf(),
        genome: None,
    }];
    let public_url = url::Url::parse("http://127.0.0.1:8080/").expect("url");
    let state = web::Data::new(AppState::new(settings, public_url).expect("state"));
    let system = actix_web::rt::System::new();
    let app = system.block_on(test::init_service(
        App::new()
            .app_data(state.clone())
            .configure(|cfg| configure_routes(cfg, false)),
    ));
    let get = |uri: &'static str| {
        let body = system.block_on(async {
            let req = test::TestRequest::get().uri(uri).to_request();
            let res = test::call_service(&app, req).await;
            assert!(res.status().is_success(), "{uri}: {}", res.status());
            test::read_body(res).await
        });
        black_box(body.len())
    };
    let mut group = c.benchmark_group("html");
    group.sample_size(20);
    group.throughput(Throughput::Elements(100));
    group.bench_function("page 1 (100 rows)", |b| {
        b.iter(|| get("/files/bench/calls.vcf"))
    });
    get("/files/bench/calls.vcf?page=500");
    group.bench_function("page 500 (100 rows), second visit", |b| {
        b.iter(|| get("/files/bench/calls.vcf?page=500"))
    });
    group.finish();
}

criterion_group!(benches, pages);
criterion_main!(benches);
