//! What a file's header says about its genome: the sequences it lists and the
//! assembly it names, read without reading the records.
//!
//! | format | sequences | assembly |
//! |---|---|---|
//! | VCF | `##contig=<ID=…,length=…>` | `##reference=…`, `##contig=<…,assembly=…>` |
//! | BAM | the binary reference list (and `@SQ` in its text) | `@SQ AS:` |
//! | CRAM, SAM text | `@SQ SN: LN:` | `@SQ AS:` |
//! | GFF3, GTF | `##sequence-region seqid start end` (an end, not always a length) | `#!genome-build`, `##genome-build` |
//! | BED family | | `track … db=…` |
//! | MAF, SEG, GWAS, ANNOVAR | the chromosome column of the first records | MAF `NCBI_Build` |
//! | interval list | `@SQ SN: LN:` | `@SQ AS:` |
//!
//! The matching against genomes is `domain::assembly`; this module only reads.

use std::io::{self, BufRead, Read};

use super::{DecompressionLimits, FormatKind, decompress_with_limits};
use crate::domain::assembly::{Declared, GenomeEvidence, SequenceFact};

/// Most header bytes read for evidence: a GATK hg38 VCF header with its 3,366
/// `##contig` lines is about 250 KiB; the VCF reader's own header limit is 16 MiB.
pub const MAX_EVIDENCE_BYTES: u64 = 16 << 20;
/// Most sequences taken from a BAM's binary reference list.
const MAX_BAM_REFERENCES: usize = 1 << 20;
/// A CRAM's SAM header is searched for in its first bytes.
const CRAM_HEAD_BYTES: u64 = 4 << 20;

/// Records whose sequence names are collected when the header lists no sequences
/// (a BED, a GFF without `##sequence-region`): enough to tell a fly from a human.
const NAMED_RECORDS: usize = 1000;

/// Reads the header of `input` (plain, gzip or BGZF) for genome evidence. Reading
/// stops at the first record (or, when the header lists no sequences, after the
/// first [`NAMED_RECORDS`] records, whose sequence names are the evidence), so a
/// huge file costs no more than its header. A read error (a truncated input) ends
/// the reading with what was found so far.
pub fn read_evidence(
    kind: FormatKind,
    input: Box<dyn BufRead + Send>,
    limits: DecompressionLimits,
) -> io::Result<GenomeEvidence> {
    match kind {
        // A gene table's first column holds gene ids, not sequence names.
        FormatKind::BigWig | FormatKind::GeneTable => Ok(GenomeEvidence::default()),
        FormatKind::Cram => {
            let mut head = Vec::new();
            // A short read still holds the header's first @SQ lines.
            let _ = input.take(CRAM_HEAD_BYTES).read_to_end(&mut head);
            Ok(sam_header_lines(&head))
        }
        FormatKind::Bam => {
            let mut input = decompress_with_limits(input, limits)?;
            bam_header(&mut input)
        }
        FormatKind::Tabular => {
            let input = decompress_with_limits(input, limits)?;
            Ok(text_header(input.take(MAX_EVIDENCE_BYTES), false))
        }
        // An interval list's `@SQ` lines are read as SAM's, below.
        kind if super::dialects::reads(kind) && kind != FormatKind::IntervalList => {
            let input = decompress_with_limits(input, limits)?;
            Ok(super::dialects::evidence(
                kind,
                input.take(MAX_EVIDENCE_BYTES),
            ))
        }
        kind => {
            let input = decompress_with_limits(input, limits)?;
            Ok(text_header_with_ends(
                input.take(MAX_EVIDENCE_BYTES),
                true,
                end_column(kind),
            ))
        }
    }
}

/// The genome evidence in the first bytes of a file, as stored (compressed or
/// not); `prefix` may end anywhere. For a page, which reads these bytes once and
/// then hands them on with the rest of the file.
pub fn evidence_from_prefix(
    kind: FormatKind,
    prefix: &[u8],
    limits: DecompressionLimits,
) -> GenomeEvidence {
    read_evidence(kind, Box::new(io::Cursor::new(prefix.to_vec())), limits).unwrap_or_default()
}

/// Evidence from the header lines of a text format: every line before the first
/// record (lines starting `#`, `@`, `track` or `browser`, and blank lines); then,
/// with `record_names` and no sequences in the header, the first column of the
/// first [`NAMED_RECORDS`] records.
pub fn text_header(input: impl BufRead, record_names: bool) -> GenomeEvidence {
    text_header_with_ends(input, record_names, None)
}

/// [`text_header`], and with `end_column` the largest end each sequence's
/// first records reach ([`GenomeEvidence::record_ends`]).
fn text_header_with_ends(
    mut input: impl BufRead,
    record_names: bool,
    end_column: Option<usize>,
) -> GenomeEvidence {
    let mut evidence = GenomeEvidence::default();
    let mut ends: Vec<(String, u64)> = Vec::new();
    let mut line = Vec::new();
    let mut in_header = true;
    let mut names: Vec<String> = Vec::new();
    let mut records = 0;
    loop {
        line.clear();
        match input.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\n', '\r']);
        if in_header && header_line(text, &mut evidence) {
            continue;
        }
        in_header = false;
        if !record_names || !evidence.sequences.is_empty() || records >= NAMED_RECORDS {
            break;
        }
        if text.trim().is_empty() || text.starts_with('#') {
            continue;
        }
        if text.starts_with('>') || text.starts_with("##FASTA") {
            break;
        }
        records += 1;
        let name = text.split(['\t', ' ']).next().unwrap_or_default();
        if !name.is_empty() && !names.iter().any(|n| n == name) {
            names.push(name.to_owned());
        }
        if let Some(end) = end_column
            .and_then(|c| text.split('\t').nth(c))
            .and_then(|v| v.trim().parse::<u64>().ok())
            .filter(|_| !name.is_empty())
        {
            crate::domain::assembly::raise_end(&mut ends, name, end);
        }
    }
    if evidence.sequences.is_empty() && !names.is_empty() {
        let declared = std::mem::take(&mut evidence.declared);
        evidence = crate::domain::assembly::evidence_from_names(names.iter().map(String::as_str));
        evidence.declared = declared;
        evidence.record_ends = ends;
    }
    evidence
}

/// The column (0-based) whose number is where a record ends, in formats
/// whose records say so plainly: VCF's POS, BED's end, GFF's end.
fn end_column(kind: FormatKind) -> Option<usize> {
    match kind {
        FormatKind::Vcf => Some(1),
        FormatKind::Bed
        | FormatKind::BedGraph
        | FormatKind::NarrowPeak
        | FormatKind::BroadPeak
        | FormatKind::Bedpe => Some(2),
        FormatKind::Gff3 | FormatKind::Gtf => Some(4),
        _ => None,
    }
}

/// Adds what one line says; `false` when it is a record (the header has ended).
fn header_line(line: &str, evidence: &mut GenomeEvidence) -> bool {
    if line.trim().is_empty() {
        return true;
    }
    if let Some(rest) = line.strip_prefix("##contig=<") {
        let fields = structured_fields(rest.trim_end_matches('>'));
        if let Some(id) = field(&fields, "ID") {
            evidence.sequences.push(SequenceFact {
                name: id.to_owned(),
                length: field(&fields, "length").and_then(|l| l.parse().ok()),
                exact: true,
            });
            evidence.sequences_from = Some("##contig");
        }
        if let Some(assembly) = field(&fields, "assembly") {
            declare(evidence, assembly, "##contig assembly");
        }
    } else if let Some(reference) = line.strip_prefix("##reference=") {
        declare(evidence, reference, "##reference");
    } else if let Some(rest) = line.strip_prefix("##sequence-region") {
        let words: Vec<&str> = rest.split_whitespace().collect();
        if let [name, _start, end, ..] = words[..] {
            evidence.sequences.push(SequenceFact {
                name: name.to_owned(),
                length: end.parse().ok(),
                exact: false,
            });
            evidence.sequences_from = Some("##sequence-region");
        }
    } else if let Some(build) = line
        .strip_prefix("#!genome-build")
        .or_else(|| line.strip_prefix("##genome-build"))
    {
        declare(evidence, build.trim(), "#!genome-build");
    } else if line.starts_with("@SQ\t") {
        sq_line(line, evidence);
    } else if is_keyword(line, "track") {
        if let Some(db) = line.split_whitespace().find_map(|w| w.strip_prefix("db=")) {
            declare(evidence, db.trim_matches('"'), "track db");
        }
    } else if !(line.starts_with('#') || line.starts_with('@') || is_keyword(line, "browser")) {
        return false;
    }
    true
}

fn is_keyword(line: &str, keyword: &str) -> bool {
    line.strip_prefix(keyword)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t']))
}

fn declare(evidence: &mut GenomeEvidence, text: &str, source: &'static str) {
    let text = text.trim();
    if !text.is_empty() && !evidence.declared.iter().any(|d| d.text == text) {
        evidence.declared.push(Declared {
            text: text.to_owned(),
            source,
        });
    }
}

fn sq_line(line: &str, evidence: &mut GenomeEvidence) {
    let tag = |name: &str| {
        line.split('\t')
            .find_map(|f| f.strip_prefix(name).and_then(|v| v.strip_prefix(':')))
    };
    if let Some(name) = tag("SN") {
        evidence.sequences.push(SequenceFact {
            name: name.to_owned(),
            length: tag("LN").and_then(|l| l.parse().ok()),
            exact: true,
        });
        evidence.sequences_from = Some("@SQ");
    }
    if let Some(assembly) = tag("AS") {
        declare(evidence, assembly, "@SQ AS");
    }
}

/// `@SQ` lines anywhere in `bytes` (a CRAM stores its SAM header as text in its
/// first container, uncompressed as samtools writes it).
fn sam_header_lines(bytes: &[u8]) -> GenomeEvidence {
    let mut evidence = GenomeEvidence::default();
    for start in memchr::memmem::find_iter(bytes, b"@SQ\t") {
        let rest = &bytes[start..];
        let end = memchr::memchr2(b'\n', 0, rest).unwrap_or(rest.len());
        if let Ok(line) = std::str::from_utf8(&rest[..end]) {
            sq_line(line, &mut evidence);
        }
    }
    evidence
}

/// The BAM header (SAM spec §4.2): magic, the SAM text (its `@SQ AS:` tags), then
/// the reference list, which is what the records' reference ids index.
fn bam_header(input: &mut impl Read) -> io::Result<GenomeEvidence> {
    let invalid = |what: &str| io::Error::new(io::ErrorKind::InvalidData, what.to_owned());
    let mut magic = [0u8; 4];
    input.read_exact(&mut magic)?;
    if &magic != b"BAM\x01" {
        return Err(invalid("not a BAM file (no BAM\\1 magic)"));
    }
    let l_text = read_u32(input)? as u64;
    if l_text > MAX_EVIDENCE_BYTES {
        return Err(invalid("the BAM header text is larger than 16 MiB"));
    }
    let mut text = Vec::new();
    input.take(l_text).read_to_end(&mut text)?;
    let mut evidence = sam_header_lines(&text);
    // The binary list is the authority for names and lengths; the text gave the
    // AS tags.
    evidence.sequences.clear();
    let n_ref = read_u32(input)? as usize;
    if n_ref > MAX_BAM_REFERENCES {
        return Err(invalid(
            "the BAM header lists more than a million references",
        ));
    }
    for _ in 0..n_ref {
        // A prefix may end inside the list: what was read is still evidence.
        let Ok(l_name) = read_u32(input).map(u64::from) else {
            break;
        };
        if l_name > 1024 {
            return Err(invalid("a BAM reference name is longer than 1,024 bytes"));
        }
        let mut name = Vec::new();
        input.take(l_name).read_to_end(&mut name)?;
        if name.last() == Some(&0) {
            name.pop();
        }
        let Ok(length) = read_u32(input) else {
            break;
        };
        evidence.sequences.push(SequenceFact {
            name: String::from_utf8_lossy(&name).into_owned(),
            length: Some(u64::from(length)),
            exact: true,
        });
    }
    if !evidence.sequences.is_empty() {
        evidence.sequences_from = Some("@SQ");
    }
    Ok(evidence)
}

fn read_u32(input: &mut impl Read) -> io::Result<u32> {
    let mut bytes = [0u8; 4];
    input.read_exact(&mut bytes)?;
    Ok(u32::from_le_bytes(bytes))
}

/// `ID=1,length=249250621,assembly=b37,species="Homo sapiens"` as key/value pairs;
/// commas inside double quotes belong to the value.
fn structured_fields(text: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut quoted = false;
    let bytes = text.as_bytes();
    for i in 0..=bytes.len() {
        let at_end = i == bytes.len();
        if !at_end && bytes[i] == b'"' {
            quoted = !quoted;
        }
        if at_end || (bytes[i] == b',' && !quoted) {
            if let Some((key, value)) = text[start..i].split_once('=') {
                out.push((key.trim(), value.trim().trim_matches('"')));
            }
            start = i + 1;
        }
    }
    out
}

fn field<'a>(fields: &[(&str, &'a str)], key: &str) -> Option<&'a str> {
    fields.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn evidence(text: &str) -> GenomeEvidence {
        text_header(text.as_bytes(), true)
    }

    #[test]
    fn vcf_contigs_reference_and_assembly() {
        let e = evidence(
            "##fileformat=VCFv4.1\n\
             ##reference=file:///ref/human_g1k_v37_decoy.fasta\n\
             ##contig=<ID=1,length=249250621,assembly=b37,species=\"Homo sapiens, x\">\n\
             ##contig=<ID=hs37d5,length=35477943>\n\
             ##contig=<ID=GL000191.1>\n\
             #CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n\
             1\t5\t.\tA\tG\t.\t.\t.\n\
             ##contig=<ID=late,length=5>\n",
        );
        let names: Vec<(&str, Option<u64>)> = e
            .sequences
            .iter()
            .map(|s| (s.name.as_str(), s.length))
            .collect();
        assert_eq!(
            names,
            [
                ("1", Some(249250621)),
                ("hs37d5", Some(35477943)),
                ("GL000191.1", None)
            ]
        );
        assert_eq!(e.sequences_from, Some("##contig"));
        let declared: Vec<(&str, &str)> = e
            .declared
            .iter()
            .map(|d| (d.text.as_str(), d.source))
            .collect();
        assert_eq!(
            declared,
            [
                ("file:///ref/human_g1k_v37_decoy.fasta", "##reference"),
                ("b37", "##contig assembly")
            ]
        );
    }

    #[test]
    fn gff_sequence_regions_are_ends_not_lengths_and_genome_build_is_declared() {
        let e = evidence(
            "##gff-version 3\n##sequence-region 2L 1 23011544\n#!genome-build FlyBase r5.49\n\
             2L\tFlyBase\tgene\t7529\t9484\t.\t+\t.\tID=FBgn0031208\n",
        );
        assert_eq!(
            e.sequences,
            [SequenceFact {
                name: "2L".into(),
                length: Some(23011544),
                exact: false
            }]
        );
        assert_eq!(e.declared[0].text, "FlyBase r5.49");
    }

    #[test]
    fn bed_track_db_is_declared_and_records_name_the_sequences() {
        let e = evidence(
            "browser position chr7:1-100\ntrack name=peaks db=hg19 description=\"x y\"\n\
             chr7\t0\t100\nchr7\t5\t100\n# a comment\nchr2L\t0\t5\n",
        );
        assert_eq!(e.declared[0].text, "hg19");
        assert_eq!(e.declared[0].source, "track db");
        let names: Vec<&str> = e.sequences.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["chr7", "chr2L"]);
        assert_eq!(e.sequences_from, Some("record"));
        // Listed in the header, the records' names are not needed.
        let e = evidence("##contig=<ID=chr1,length=5>\n#CHROM\nchr9\t1\n");
        assert_eq!(e.sequences.len(), 1);
    }

    #[test]
    fn bam_reference_list_is_read_from_the_binary_header() {
        let text = b"@HD\tVN:1.6\n@SQ\tSN:chr1\tLN:248956422\tAS:GRCh38\n";
        let mut bam = b"BAM\x01".to_vec();
        bam.extend((text.len() as u32).to_le_bytes());
        bam.extend(text);
        bam.extend(2u32.to_le_bytes());
        for (name, length) in [("chr1", 248956422u32), ("chrEBV", 171823)] {
            bam.extend((name.len() as u32 + 1).to_le_bytes());
            bam.extend(name.as_bytes());
            bam.push(0);
            bam.extend(length.to_le_bytes());
        }
        let e = bam_header(&mut &bam[..]).expect("reads");
        assert_eq!(e.sequences.len(), 2);
        assert_eq!(e.sequences[1].name, "chrEBV");
        assert_eq!(e.sequences[1].length, Some(171823));
        assert_eq!(e.declared[0].text, "GRCh38");
        assert!(bam_header(&mut &b"BAM\x02rest"[..]).is_err());
    }
}
