//! `Locus` parsing and the IGV URL the relay redirects to: the per-request work
//! of `/igv/goto` that is ours (the rest is actix-web).
//!
//! `cargo bench --bench locus`

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use igv_relay_core::domain::igv::{IgvCommand, IgvPort, IgvTarget};
use igv_relay_core::domain::loci::{Loci, LociRules};
use igv_relay_core::domain::locus::Locus;

const LOCI: [&str; 4] = [
    "chr7:140753336-140753436",
    "chr7:140,753,336-140,753,436",
    "NC_000001.11:1000",
    "chrX",
];

fn locus(c: &mut Criterion) {
    let mut group = c.benchmark_group("locus");
    group.throughput(Throughput::Elements(LOCI.len() as u64));
    group.bench_function("Locus::parse x4", |b| {
        b.iter(|| {
            for text in LOCI {
                black_box(Locus::parse(black_box(text)).expect("valid"));
            }
        })
    });
    group.bench_function("Loci::parse x4", |b| {
        b.iter(|| {
            for text in LOCI {
                black_box(Loci::parse(black_box(text), LociRules::default(), None).expect("valid"));
            }
        })
    });
    let target = IgvTarget::new("127.0.0.1", IgvPort::DEFAULT).expect("loopback");
    let commands: Vec<IgvCommand> = LOCI
        .iter()
        .map(|text| IgvCommand::Goto {
            loci: Loci::parse(text, LociRules::default(), None).expect("valid"),
        })
        .collect();
    group.bench_function("IgvCommand::to_url x4", |b| {
        b.iter(|| {
            for command in &commands {
                black_box(command.to_url(black_box(&target)));
            }
        })
    });
    group.bench_function("parse + to_url x4", |b| {
        b.iter(|| {
            for text in LOCI {
                let loci = Loci::parse(black_box(text), LociRules::default(), None).expect("valid");
                black_box(IgvCommand::Goto { loci }.to_url(&target));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, locus);
criterion_main!(benches);
