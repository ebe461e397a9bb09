//! Telling formats apart by name and by the first bytes of the file.

use std::io::Read;

use flate2::read::MultiGzDecoder;

use super::FormatKind;

const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];
const BAM_MAGIC: &[u8] = b"BAM\x01";
const CRAM_MAGIC: &[u8] = b"CRAM";
/// bigWig magic 0x888FFC26, in either byte order (the file says which).
const BIGWIG_MAGIC_LE: &[u8] = &[0x26, 0xfc, 0x8f, 0x88];
const BIGWIG_MAGIC_BE: &[u8] = &[0x88, 0x8f, 0xfc, 0x26];
/// How much of a compressed head is inflated for sniffing.
const MAX_INFLATED_HEAD: usize = 64 << 10;

/// Extensions per kind, lower case, without the compression suffix (`.gz`/`.bgz`,
/// which any text format may carry).
const EXTENSIONS: &[(FormatKind, &[&str])] = &[
    (FormatKind::Vcf, &["vcf"]),
    (FormatKind::Bed, &["bed"]),
    (FormatKind::BedGraph, &["bedgraph", "bdg"]),
    (FormatKind::NarrowPeak, &["narrowpeak"]),
    (FormatKind::BroadPeak, &["broadpeak"]),
    (FormatKind::Bedpe, &["bedpe"]),
    (FormatKind::Gff3, &["gff3", "gff"]),
    (FormatKind::Gtf, &["gtf"]),
    (
        FormatKind::Tabular,
        &["tsv", "tabular", "csv", "txt", "interval"],
    ),
    (FormatKind::Bam, &["bam"]),
    (FormatKind::Cram, &["cram"]),
    (FormatKind::BigWig, &["bw", "bigwig"]),
];

/// `(name, extensions)` for a page that lists what igv-relay understands.
pub fn supported_formats() -> &'static [(&'static str, &'static str)] {
    &[
        ("VCF", ".vcf, .vcf.gz, .vcf.bgz"),
        ("BED (BED3 to BED12)", ".bed, .bed.gz"),
        ("bedGraph", ".bedgraph, .bdg"),
        ("narrowPeak", ".narrowPeak"),
        ("broadPeak", ".broadPeak"),
        ("BEDPE", ".bedpe"),
        ("GFF3", ".gff3, .gff"),
        ("GTF", ".gtf"),
        (
            "tabular with locus columns",
            ".tsv, .tabular, .csv, .txt, .interval",
        ),
        ("BAM", ".bam (with .bai or .csi index)"),
        ("CRAM", ".cram (with .crai index)"),
        ("bigWig", ".bw, .bigwig"),
    ]
}

/// Which format a file is, from its name and its first bytes (`head`, as stored: it may
/// be gzip or BGZF compressed; a few KiB are plenty).
///
/// Content wins where it is unambiguous (a VCF or GFF3 header line, BAM, CRAM or bigWig
/// magic), so `calls.txt` holding a VCF is a VCF. Otherwise the extension decides; a
/// name without a known extension falls back to the shape of the first data line.
pub fn detect(file_name: &str, head: &[u8]) -> Option<FormatKind> {
    let text = if head.starts_with(GZIP_MAGIC) {
        inflate_head(head)
    } else {
        head.to_vec()
    };
    by_magic(head, &text)
        .or_else(|| by_extension(file_name))
        .or_else(|| by_shape(&text))
}

/// Inflates as much of a (possibly truncated) gzip/BGZF head as it can.
fn inflate_head(head: &[u8]) -> Vec<u8> {
    let mut decoder = MultiGzDecoder::new(head);
    let mut out = Vec::new();
    let mut chunk = [0u8; 8192];
    while out.len() < MAX_INFLATED_HEAD {
        match decoder.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => out.extend_from_slice(&chunk[..n]),
        }
    }
    out
}

fn by_magic(raw: &[u8], text: &[u8]) -> Option<FormatKind> {
    if raw.starts_with(CRAM_MAGIC) {
        return Some(FormatKind::Cram);
    }
    if raw.starts_with(BIGWIG_MAGIC_LE) || raw.starts_with(BIGWIG_MAGIC_BE) {
        return Some(FormatKind::BigWig);
    }
    if raw.starts_with(GZIP_MAGIC) && text.starts_with(BAM_MAGIC) {
        return Some(FormatKind::Bam);
    }
    if text.starts_with(b"##fileformat=VCF") {
        return Some(FormatKind::Vcf);
    }
    let first_line = text.split(|b| *b == b'\n').next().unwrap_or_default();
    let first_line = first_line.strip_suffix(b"\r").unwrap_or(first_line);
    let mut words = first_line
        .split(|b| b.is_ascii_whitespace())
        .filter(|w| !w.is_empty());
    if words.next() == Some(b"##gff-version") && words.next().is_some_and(|v| v.starts_with(b"3")) {
        return Some(FormatKind::Gff3);
    }
    None
}

fn by_extension(file_name: &str) -> Option<FormatKind> {
    let lower = file_name.to_ascii_lowercase();
    let stem = lower
        .strip_suffix(".gz")
        .or_else(|| lower.strip_suffix(".bgz"))
        .unwrap_or(&lower);
    let (_, extension) = stem.rsplit_once('.')?;
    EXTENSIONS
        .iter()
        .find(|(_, extensions)| extensions.contains(&extension))
        .map(|(kind, _)| *kind)
}

/// A last resort for names without a known extension (Galaxy's `dataset_42.dat`):
/// nine columns with numeric 4th/5th are GFF or GTF, three or more with numeric 2nd/3rd
/// are BED.
fn by_shape(text: &[u8]) -> Option<FormatKind> {
    let text = std::str::from_utf8(text).unwrap_or_else(|e| {
        // A truncated head may cut a character; judge the part that is valid.
        std::str::from_utf8(&text[..e.valid_up_to()]).unwrap_or_default()
    });
    let line = text.lines().find(|line| {
        let line = line.trim_start();
        !(line.is_empty()
            || line.starts_with('#')
            || line.starts_with("track")
            || line.starts_with("browser"))
    })?;
    let fields: Vec<&str> = line.split('\t').collect();
    let is_number = |i: usize| fields.get(i).is_some_and(|f| f.parse::<u64>().is_ok());
    if fields.len() == 9 && is_number(3) && is_number(4) {
        let attributes = fields[8];
        return Some(if attributes.contains(" \"") {
            FormatKind::Gtf
        } else {
            FormatKind::Gff3
        });
    }
    if fields.len() >= 3 && is_number(1) && is_number(2) {
        return Some(FormatKind::Bed);
    }
    None
}
