//! Real files that real tools wrote, from public Debian packages
//! (`tests/real_files/corpus.tsv`, fetched and cached by `scripts/fetch-real-files.sh`):
//! for every file, the service detects the format the manifest names, links exactly the
//! records an independent reader reads as valid, and every link is the locus that reader
//! computes.
//!
//! The independent readers: for VCF, bcftools (htslib) `query`, with `END` as htslib
//! computes it (`POS + rlen - 1`, `rlen` from `REF` or `INFO/END`), plus `SVLEN` for a
//! symbolic allele without `END` and a breakend's mate, computed here from `ALT` as VCF
//! §5.4 writes them; for BED and GFF a few lines in this file that follow the UCSC and
//! GFF specifications (0-based half-open `start + 1 ..= end`, a zero-length BED feature
//! shown as the two bases around it; GFF 1-based inclusive as written); for MAF the
//! GDC MAF specification (columns found by their header names `Chromosome`,
//! `Start_Position`, `End_Position`, 1-based inclusive, `#` lines before the header);
//! for SEG what IGV's `SegmentFileParser` does (columns 2 to 4 by position, the start
//! 0-based: `loc.start + 1 ..= loc.end`). A gene table names genes, not loci: here
//! (no annotation) it must be detected and refused as a whole; tests/http/gene_tables.rs
//! reads it with an annotation.
//!
//! The files are read through the real service (`?format=tsv` export of a data root
//! without a genome), so this checks what a user gets, not an internal function.
//! Without the corpus or bcftools the test prints `skipping: …` and passes; with
//! `CI=true` it fails.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::process::Command;

use crate::support::app::spawn_app_with;
use crate::support::corpus::corpus;
use igv_relay::configuration::DataRootSettings;
use igv_relay::sources::local;
use igv_relay_core::domain::genome::Genome;
use igv_relay_core::genomes::GenomeRegistry;

struct Entry {
    package: String,
    path: String,
    kind: String,
}

fn manifest() -> Vec<Entry> {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/http/real_files/corpus.tsv"),
    )
    .expect("the corpus manifest");
    text.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            assert!(fields.len() >= 3, "corpus.tsv: {line:?}");
            Entry {
                package: fields[0].to_owned(),
                path: fields[1].to_owned(),
                kind: fields[2].to_owned(),
            }
        })
        .collect()
}

/// The file's text, decompressed when it is gzip/BGZF.
fn text_of(path: &Path) -> String {
    let mut bytes = std::fs::read(path).expect("corpus file");
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut text = Vec::new();
        flate2::read::MultiGzDecoder::new(&bytes[..])
            .read_to_end(&mut text)
            .expect("gzip");
        bytes = text;
    }
    // Latin-1 in a comment or an INFO value does not change where lines are.
    String::from_utf8_lossy(&bytes).into_owned()
}

/// A locus as IGV receives it: `chr:pos` for one base, `chr:start-end` otherwise.
fn locus(chrom: &str, start: u64, end: u64) -> String {
    if start == end {
        format!("{chrom}:{start}")
    } else {
        format!("{chrom}:{start}-{end}")
    }
}

/// line number → the loci (space-separated) an independent reader computes.
type Expected = BTreeMap<u64, String>;

/// bcftools reads the VCF; line numbers are found by counting the header lines.
/// bcftools stops at the first record it cannot read: that record must not be
/// linked either, and it must be the file's last (or the file is unfit for the
/// corpus). A file whose header htslib refuses has no records to link.
fn vcf_expected(path: &Path) -> Result<Expected, String> {
    let out = Command::new("bcftools")
        .args(["query", "-f", "%CHROM\t%POS\t%END\t%REF\t%ALT\t%INFO\n"])
        .arg(path)
        .output()
        .expect("bcftools runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() && stderr.contains("could not parse header") {
        return Ok(Expected::new());
    }
    let text = text_of(path);
    let data_lines: Vec<u64> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
        .map(|(i, _)| i as u64 + 1)
        .collect();
    let rows: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    let complete = if out.status.success() {
        rows.len() == data_lines.len()
    } else {
        // The record it failed on is the one after those it printed, and the last.
        rows.len() + 1 == data_lines.len()
    };
    if !complete {
        return Err(format!(
            "bcftools read {} records of {} data lines: {}",
            rows.len(),
            data_lines.len(),
            stderr
                .lines()
                .filter(|l| !l.starts_with("[W::"))
                .collect::<Vec<_>>()
                .join("; ")
        ));
    }
    let mut expected = Expected::new();
    for (line, row) in data_lines.into_iter().zip(rows) {
        let f: Vec<&str> = row.split('\t').collect();
        let (chrom, pos, htslib_end, alt) = (f[0], f[1], f[2], f[4]);
        let pos: u64 = pos.parse().expect("POS");
        let mut end: u64 = htslib_end.parse().expect("END");
        // htslib 1.16 ignores SVLEN; VCF 4.x §3 gives a symbolic allele's span by it
        // when END is absent.
        let info = |key: &str| {
            f[5].split(';')
                .find_map(|kv| kv.strip_prefix(key).and_then(|v| v.strip_prefix('=')))
        };
        if info("END").is_none() && alt.split(',').any(|a| a.starts_with('<')) {
            for len in info("SVLEN")
                .unwrap_or("")
                .split(',')
                .filter_map(|v| v.parse::<i64>().ok())
            {
                end = end.max(pos + len.unsigned_abs() - 1);
            }
        }
        let mut loci = vec![locus(chrom, pos.max(1), end.max(1))];
        for allele in alt.split(',') {
            if let Some(mate) = breakend_mate(allele)
                && !loci.contains(&mate)
            {
                loci.push(mate);
            }
        }
        expected.insert(line, loci.join(" "));
    }
    Ok(expected)
}

/// `N[chr2:3000[`, `]chr2:3000]N`, ...: the mate as a one-base locus.
fn breakend_mate(allele: &str) -> Option<String> {
    let open = allele.find(['[', ']'])?;
    let bracket = &allele[open..open + 1];
    let inner = &allele[open + 1..];
    let inner = &inner[..inner.find(bracket)?];
    let (chrom, pos) = inner.rsplit_once(':')?;
    let chrom = chrom.trim_start_matches('<').trim_end_matches('>');
    Some(locus(chrom, pos.parse().ok()?, pos.parse().ok()?))
}

/// UCSC BED: tab-separated (whitespace without tabs), `track`/`browser`/`#` lines
/// skipped; valid when start and end are whole numbers with start <= end.
fn bed_expected(path: &Path, pairs: bool) -> Expected {
    let mut expected = Expected::new();
    for (i, line) in text_of(path).lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.is_empty()
            || trimmed.starts_with('#')
            || trimmed.starts_with("track")
            || trimmed.starts_with("browser")
        {
            continue;
        }
        let fields: Vec<&str> = if line.contains('\t') {
            line.split('\t').collect()
        } else {
            line.split_whitespace().collect()
        };
        let one = |at: usize| -> Option<Option<String>> {
            let (chrom, start, end) = (fields.get(at)?, fields.get(at + 1)?, fields.get(at + 2)?);
            if *chrom == "." && *start == "-1" && *end == "-1" {
                return Some(None);
            }
            let (start, end): (u64, u64) = (start.parse().ok()?, end.parse().ok()?);
            if chrom.is_empty() || start > end {
                return None;
            }
            // A zero-length feature is an insertion point: the two bases around it.
            Some(Some(if start == end {
                locus(chrom, start.max(1), start + 1)
            } else {
                locus(chrom, start + 1, end)
            }))
        };
        let loci: Option<Vec<Option<String>>> = if pairs {
            one(0).zip(one(3)).map(|(a, b)| vec![a, b])
        } else {
            one(0).map(|a| vec![a])
        };
        if let Some(loci) = loci {
            let loci: Vec<String> = loci.into_iter().flatten().collect();
            if !loci.is_empty() {
                expected.insert(i as u64 + 1, loci.join(" "));
            }
        }
    }
    expected
}

/// GFF/GTF: nine (GFF1: eight) tab-separated columns, start and end 1-based
/// inclusive as written, whole numbers from 1 with start <= end; `##FASTA` or a `>`
/// line ends the features.
fn gff_expected(path: &Path) -> Expected {
    let mut expected = Expected::new();
    for (i, line) in text_of(path).lines().enumerate() {
        if line.starts_with("##FASTA") || line.starts_with('>') {
            break;
        }
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        if fields.len() < 8 {
            continue;
        }
        let (Ok(start), Ok(end)) = (fields[3].parse::<u64>(), fields[4].parse::<u64>()) else {
            continue;
        };
        if start >= 1 && start <= end && !fields[0].is_empty() {
            expected.insert(i as u64 + 1, locus(fields[0], start, end));
        }
    }
    expected
}

/// The data lines of a table under its header (the first line that is not a
/// `#` comment): `(line number, header names, cells)`, split on tabs.
fn table_rows(path: &Path) -> Vec<(u64, Vec<String>, Vec<String>)> {
    let text = text_of(path);
    let mut header: Option<Vec<String>> = None;
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let cells: Vec<String> = line.split('\t').map(|c| c.trim().to_owned()).collect();
        match &header {
            None => header = Some(cells),
            Some(names) => rows.push((i as u64 + 1, names.clone(), cells)),
        }
    }
    rows
}

/// GDC MAF: `Chromosome`, `Start_Position`, `End_Position` by name, 1-based
/// inclusive; valid when both are whole numbers from 1 with start <= end.
fn maf_expected(path: &Path) -> Expected {
    let mut expected = Expected::new();
    for (line, names, cells) in table_rows(path) {
        let at = |name: &str| {
            let i = names.iter().position(|n| n == name)?;
            cells.get(i).map(String::as_str)
        };
        let (Some(chrom), Some(start), Some(end)) =
            (at("Chromosome"), at("Start_Position"), at("End_Position"))
        else {
            continue;
        };
        let (Ok(start), Ok(end)) = (start.parse::<u64>(), end.parse::<u64>()) else {
            continue;
        };
        if !chrom.is_empty() && start >= 1 && start <= end {
            expected.insert(line, locus(chrom, start, end));
        }
    }
    expected
}

/// SEG as IGV reads it: sample, chromosome, start, end in columns 1 to 4 whatever
/// the header says, the start 0-based (`loc.start + 1 ..= loc.end`).
fn seg_expected(path: &Path) -> Expected {
    let mut expected = Expected::new();
    for (line, _, cells) in table_rows(path) {
        let (Some(chrom), Some(start), Some(end)) = (cells.get(1), cells.get(2), cells.get(3))
        else {
            continue;
        };
        let (Ok(start), Ok(end)) = (start.parse::<u64>(), end.parse::<u64>()) else {
            continue;
        };
        if !chrom.is_empty() && start < end {
            expected.insert(line, locus(chrom, start + 1, end));
        }
    }
    expected
}

/// The genome the export says its loci were checked against (its first line,
/// `# igv-relay: genome b37, from the ##contig lengths`).
fn export_genome(tsv: &str) -> Option<String> {
    let line = tsv.lines().next()?.strip_prefix("# igv-relay: genome ")?;
    Some(line.split([',', ' ']).next()?.to_owned())
}

/// `expected` with each locus's sequence under the name `genome` gives it (a
/// page detected hg38 sends `NC_000013.11` as IGV's `chr13`). Only names: the
/// coordinates stay the independent reader's.
fn renamed(expected: Expected, genome: Option<&Genome>) -> Expected {
    let Some(genome) = genome else {
        return expected;
    };
    expected
        .into_iter()
        .map(|(line, loci)| {
            let loci: Vec<String> = loci
                .split(' ')
                .map(|locus| match locus.rsplit_once(':') {
                    Some((chrom, span)) => match genome.chromosome(chrom) {
                        Some(c) => format!("{}:{span}", c.name),
                        None => locus.to_owned(),
                    },
                    None => locus.to_owned(),
                })
                .collect();
            (line, loci.join(" "))
        })
        .collect()
}

/// line number → locus, for the rows the service linked, from its TSV export.
fn linked(tsv: &str) -> Expected {
    // `# igv-relay: genome b37, from the ##contig lengths`, then the header.
    let mut rows = tsv.lines().filter(|l| !l.starts_with('#'));
    assert_eq!(
        rows.next(),
        Some("line\tlocus\tlabel\trelay_url\tigv_url\terror"),
        "the TSV export's header"
    );
    rows.filter_map(|row| {
        let f: Vec<&str> = row.split('\t').collect();
        (!f[1].is_empty()).then(|| (f[0].parse().expect("line number"), f[1].to_owned()))
    })
    .collect()
}

#[actix_web::test]
async fn every_valid_record_of_real_files_gets_the_independently_computed_link() {
    let Some(corpus) = corpus() else { return };
    let entries = manifest();
    let app = spawn_app_with(|s| {
        s.data.roots = vec![DataRootSettings {
            name: "real".into(),
            path: corpus.clone(),
            genome: None,
        }]
    })
    .await;

    let registry = GenomeRegistry::builtin().expect("built-in genomes");
    let mut failures = Vec::new();
    let mut total_records = 0;
    for entry in &entries {
        let file = corpus.join(&entry.package).join(&entry.path);
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        // What the page and the directory listing call the file.
        let detected =
            local::sniff(&file, &name, local::PAGE_SNIFF_BYTES).map(|k| k.name().to_owned());
        if detected.as_deref() != Some(entry.kind.as_str()) {
            failures.push(format!(
                "{name}: detected as {detected:?}, but it is {}",
                entry.kind
            ));
            continue;
        }
        let expected = match entry.kind.as_str() {
            "VCF" => match vcf_expected(&file) {
                Ok(expected) => expected,
                Err(e) => {
                    failures.push(format!("{name}: {e}"));
                    continue;
                }
            },
            "BED" => bed_expected(&file, false),
            "BEDPE" => bed_expected(&file, true),
            "GFF3" | "GTF" => gff_expected(&file),
            "MAF" => maf_expected(&file),
            "SEG" => seg_expected(&file),
            // A gene table names genes, not loci: without a genome with a gene
            // annotation (this service has none) it is a 422 naming the file,
            // and nothing is linked. tests/http/gene_tables.rs reads it with one.
            "gene table" => Expected::new(),
            other => panic!("corpus.tsv: no independent reader for {other}"),
        };
        let response = app
            .get(&format!(
                "/files/real/{}/{}?format=tsv&links_only=1",
                entry.package, entry.path
            ))
            .await;
        let status = response.status().as_u16();
        let body = response.text().await.expect("export body");
        if status != 200 && expected.is_empty() {
            // Refused as a whole, as htslib refuses it (a VCF without a #CHROM line).
            continue;
        }
        if status != 200 {
            failures.push(format!("{name}: the export answered {status}: {body}"));
            continue;
        }
        let got = linked(&body);
        let genome = export_genome(&body).map(|id| registry.get(&id).expect("a known genome"));
        let expected = renamed(expected, genome);
        total_records += expected.len();
        if got != expected {
            let missing: Vec<_> = expected
                .iter()
                .filter(|(line, l)| got.get(line) != Some(l))
                .take(3)
                .collect();
            let extra: Vec<_> = got
                .iter()
                .filter(|(line, l)| expected.get(line) != Some(l))
                .take(3)
                .collect();
            let refused: Vec<&str> = body
                .lines()
                .filter(|row| row.split('\t').nth(1) == Some(""))
                .take(3)
                .collect();
            failures.push(format!(
                "{name} ({}): {} linked, {} expected; expected but not linked as such: \
                 {missing:?}; linked otherwise: {extra:?}; refused rows: {refused:?}",
                entry.package,
                got.len(),
                expected.len()
            ));
        }
    }
    eprintln!(
        "real files: {} files, {total_records} records checked against independent readers",
        entries.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
