//! Writes a deterministic synthetic VCF (and, on request, the matching FASTA and
//! `.fai`) for the benchmarks in `benches/`.
//!
//! ```text
//! cargo run --release --example gen_vcf -- --records 1000000 --out big.vcf
//! rustc -O examples/gen_vcf.rs -o target/gen_vcf   # what the scripts do: no deps
//! target/gen_vcf --records 10000 --out calls.vcf --fasta ref.fa
//! ```
//!
//! Only `std`, so the bench scripts compile it with `rustc` in a few seconds
//! instead of building every dev-dependency. The same seed gives the same bytes.
//!
//! The records look like a small germline call set: SNVs, short indels and a few
//! symbolic deletions with END/SVLEN, rsIDs on half of them, PASS or LowQual,
//! `DP`/`AF` INFO, and `GT:DP` for two samples. REF is the reference base(s) at
//! POS, so tools that check REF against the FASTA (igv-reports) agree.

use std::env;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

const BASES: [u8; 4] = *b"ACGT";
const FASTA_LINE: u64 = 60;

struct Args {
    records: u64,
    contigs: u64,
    out: String,
    fasta: Option<String>,
    seed: u64,
}

fn usage() -> ExitCode {
    eprintln!(
        "usage: gen_vcf --records N --out FILE.vcf [--contigs K] [--fasta FILE.fa] [--seed S]"
    );
    ExitCode::from(2)
}

fn parse_args() -> Option<Args> {
    let mut args = Args {
        records: 0,
        contigs: 5,
        out: String::new(),
        fasta: None,
        seed: 42,
    };
    let mut it = env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next()?;
        match flag.as_str() {
            "--records" => args.records = value.parse().ok()?,
            "--contigs" => args.contigs = value.parse().ok().filter(|&k| k > 0)?,
            "--out" => args.out = value,
            "--fasta" => args.fasta = Some(value),
            "--seed" => args.seed = value.parse().ok()?,
            _ => return None,
        }
    }
    (!args.out.is_empty()).then_some(args)
}

/// splitmix64: small, fast, and good enough for test data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// The reference base at a 1-based position: a pure function, so the VCF and
/// the FASTA never disagree and neither has to be held in memory.
fn base(seed: u64, contig: u64, pos: u64) -> u8 {
    let mut r = Rng(seed ^ contig.wrapping_mul(0xD6E8_FEB8_6659_FD93) ^ pos);
    BASES[(r.next() & 3) as usize]
}

fn contig_len(args: &Args) -> u64 {
    // Mean step between variants is ~100 bp; leave room for the last SV.
    let per_contig = args.records.div_ceil(args.contigs);
    per_contig * 200 + 10_000
}

fn write_vcf(args: &Args) -> io::Result<()> {
    let mut out = BufWriter::with_capacity(1 << 20, File::create(&args.out)?);
    let len = contig_len(args);
    writeln!(out, "##fileformat=VCFv4.2")?;
    writeln!(out, "##source=igv-relay-gen_vcf seed={}", args.seed)?;
    for c in 1..=args.contigs {
        writeln!(out, "##contig=<ID=chr{c},length={len}>")?;
    }
    for line in [
        "##INFO=<ID=DP,Number=1,Type=Integer,Description=\"Total depth\">",
        "##INFO=<ID=AF,Number=A,Type=Float,Description=\"Allele frequency\">",
        "##INFO=<ID=SVTYPE,Number=1,Type=String,Description=\"Type of structural variant\">",
        "##INFO=<ID=END,Number=1,Type=Integer,Description=\"End position of the variant\">",
        "##INFO=<ID=SVLEN,Number=A,Type=Integer,Description=\"Length of the variant\">",
        "##FILTER=<ID=LowQual,Description=\"Low quality\">",
        "##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">",
        "##FORMAT=<ID=DP,Number=1,Type=Integer,Description=\"Read depth\">",
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tSAMPLE1\tSAMPLE2",
    ] {
        writeln!(out, "{line}")?;
    }
    let mut rng = Rng(args.seed);
    let per_contig = args.records.div_ceil(args.contigs);
    let mut written = 0;
    for c in 1..=args.contigs {
        let mut pos = 0;
        for _ in 0..per_contig {
            if written == args.records {
                break;
            }
            written += 1;
            pos += 1 + rng.below(199);
            let kind = rng.below(100);
            let dp = 10 + rng.below(90);
            let af = rng.below(100);
            let id_roll = rng.below(2);
            let mut reference = vec![base(args.seed, c, pos)];
            let mut alt = String::new();
            let mut info = format!("DP={dp};AF=0.{af:02}");
            if kind < 90 {
                let mut b = BASES[rng.below(4) as usize];
                if b == reference[0] {
                    b = BASES[(BASES.iter().position(|&x| x == b).unwrap_or(0) + 1) % 4];
                }
                alt.push(b as char);
            } else if kind < 97 {
                let extra = 1 + rng.below(4);
                if rng.below(2) == 0 {
                    for i in 1..=extra {
                        reference.push(base(args.seed, c, pos + i));
                    }
                    alt.push(reference[0] as char);
                } else {
                    alt.push(reference[0] as char);
                    for _ in 0..extra {
                        alt.push(BASES[rng.below(4) as usize] as char);
                    }
                }
            } else {
                let svlen = 50 + rng.below(950);
                alt.push_str("<DEL>");
                info.push_str(&format!(";SVTYPE=DEL;END={};SVLEN=-{svlen}", pos + svlen));
            }
            let id = if id_roll == 0 {
                format!("rs{}", 1_000_000 + written)
            } else {
                ".".to_owned()
            };
            let qual = 20 + rng.below(980);
            let filter = if rng.below(5) == 0 { "LowQual" } else { "PASS" };
            let gt = |r: u64| ["0/1", "1/1", "0/0", "./."][r as usize];
            let (g1, g2) = (gt(rng.below(4)), gt(rng.below(4)));
            let (d1, d2) = (rng.below(dp + 1), rng.below(dp + 1));
            writeln!(
                out,
                "chr{c}\t{pos}\t{id}\t{}\t{alt}\t{qual}\t{filter}\t{info}\tGT:DP\t{g1}:{d1}\t{g2}:{d2}",
                String::from_utf8_lossy(&reference)
            )?;
        }
    }
    out.flush()
}

/// The FASTA every `base()` comes from, and its samtools-style `.fai`.
fn write_fasta(args: &Args, path: &str) -> io::Result<()> {
    let len = contig_len(args);
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path)?);
    let mut fai = BufWriter::new(File::create(format!("{path}.fai"))?);
    let mut offset: u64 = 0;
    let mut line = Vec::with_capacity(FASTA_LINE as usize + 1);
    for c in 1..=args.contigs {
        let header = format!(">chr{c}\n");
        out.write_all(header.as_bytes())?;
        offset += header.len() as u64;
        writeln!(
            fai,
            "chr{c}\t{len}\t{offset}\t{FASTA_LINE}\t{}",
            FASTA_LINE + 1
        )?;
        let mut pos = 1;
        while pos <= len {
            line.clear();
            let end = (pos + FASTA_LINE - 1).min(len);
            line.extend((pos..=end).map(|p| base(args.seed, c, p)));
            line.push(b'\n');
            out.write_all(&line)?;
            offset += line.len() as u64;
            pos = end + 1;
        }
    }
    out.flush()?;
    fai.flush()
}

fn main() -> ExitCode {
    let Some(args) = parse_args() else {
        return usage();
    };
    let result = write_vcf(&args).and_then(|()| match &args.fasta {
        Some(path) => write_fasta(&args, path),
        None => Ok(()),
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gen_vcf: {e}");
            ExitCode::FAILURE
        }
    }
}
