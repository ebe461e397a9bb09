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
    (FormatKind::Maf, &["maf"]),
    (FormatKind::Seg, &["seg", "cbs"]),
    (FormatKind::Gwas, &["gwas", "assoc", "logistic", "linear"]),
    (FormatKind::IntervalList, &["interval_list", "intervals"]),
    (FormatKind::Bam, &["bam"]),
    (FormatKind::Cram, &["cram"]),
    (FormatKind::BigWig, &["bw", "bigwig"]),
];

/// `(name, extensions)` for a page that lists what igv-relay understands.
pub fn supported_formats() -> &'static [(&'static str, &'static str)] {
    &[
        ("VCF", ".vcf, .vcf.gz, .vcf.bgz"),
        ("BED (BED3 to BED12)", ".bed, .bed.gz, .bed3 to .bed15"),
        ("bedGraph", ".bedgraph, .bdg"),
        ("narrowPeak", ".narrowPeak"),
        ("broadPeak", ".broadPeak"),
        ("BEDPE", ".bedpe"),
        ("GFF3", ".gff3, .gff"),
        ("GTF, GFF2, GFF1", ".gtf, .gff (told apart by content)"),
        (
            "tabular with locus columns",
            ".tsv, .tabular, .csv, .txt, .interval",
        ),
        (
            "MAF (mutations)",
            ".maf, .maf.gz, or a .tsv/.txt with MAF columns",
        ),
        ("ANNOVAR", "*_multianno.txt (told by its Func.* columns)"),
        ("SEG", ".seg, or a table with loc.start/seg.mean columns"),
        (
            "GWAS summary statistics",
            ".gwas, .assoc, or a table with CHR/BP/P or GWAS-SSF columns",
        ),
        (
            "interval list",
            ".interval_list, or @HD/@SQ lines then intervals",
        ),
        (
            "gene table (DESeq2, edgeR, limma, featureCounts)",
            ".tsv, .csv, .txt with log2FoldChange/padj, logFC/FDR, adj.P.Val or Geneid/Length columns",
        ),
        ("BAM", ".bam (with .bai or .csi index)"),
        ("CRAM", ".cram (with .crai index)"),
        ("bigWig", ".bw, .bigwig"),
    ]
}

/// Which format a file is, from its name and its first bytes (`head`, as stored: it may
/// be gzip or BGZF compressed; a few KiB are plenty).
///
/// Content wins where it is unambiguous (a VCF or GFF header line, BAM, CRAM or bigWig
/// magic), so `calls.txt` holding a VCF is a VCF. Otherwise the extension decides, and
/// within a family the data lines do: a `.gff` or `.gtf` whose attributes are written
/// `key "value";` is GTF/GFF2 and one with `key=value` is GFF3; a `.bed` whose lines are
/// two chrom/start/end triples is BEDPE. A name without a known extension falls back
/// to the shape of the first data lines.
pub fn detect(file_name: &str, head: &[u8]) -> Option<FormatKind> {
    let text = if head.starts_with(GZIP_MAGIC) {
        inflate_head(head)
    } else {
        head.to_vec()
    };
    let extension = by_extension(file_name);
    // A table's header names its format (MAF, SEG, GWAS, ANNOVAR) whatever the
    // file is called, as long as the name does not say another format.
    let by_header = || match extension {
        None | Some(FormatKind::Tabular) => by_table_header(&text),
        Some(_) => None,
    };
    by_magic(head, &text)
        .or_else(by_header)
        .or_else(|| extension.map(|kind| refine(kind, &text)))
        .or_else(|| by_shape(&text))
}

/// The format of a file whose type was declared rather than named: a Galaxy
/// datatype (`tabular`, `tsv`, `csv`, `txt`) or `igv-relay render --format`.
/// A declared table is whatever its header names (MAF, SEG, GWAS summary
/// statistics, ANNOVAR, an interval list, a gene table), as a `.tsv` in a
/// data root is ([`detect`]): Galaxy has no datatype for most of them, so
/// DESeq2 results or a mutation MAF arrive as `tabular`. A table whose header
/// names none of them is read by its locus columns. Every other declared kind
/// is kept: a `vcf` or `bed` dataset is what Galaxy says it is. `head` is the
/// file's first bytes as stored (gzip is inflated here).
pub fn detect_declared(declared: FormatKind, head: &[u8]) -> FormatKind {
    if declared != FormatKind::Tabular {
        return declared;
    }
    let text = if head.starts_with(GZIP_MAGIC) {
        inflate_head(head)
    } else {
        head.to_vec()
    };
    by_table_header(&text).unwrap_or(FormatKind::Tabular)
}

/// MAF, SEG, GWAS summary statistics, ANNOVAR and interval lists, by their
/// header: an interval list's `@HD`/`@SQ` lines followed by five-column
/// intervals; otherwise the first line that is not a `#` comment names the
/// columns (a MAF's `#version 2.4` comes before it).
fn by_table_header(text: &[u8]) -> Option<FormatKind> {
    let text = std::str::from_utf8(text)
        .unwrap_or_else(|e| std::str::from_utf8(&text[..e.valid_up_to()]).unwrap_or_default());
    if text.starts_with("@HD\t") || text.starts_with("@SQ\t") {
        let first = text.lines().find(|l| !l.starts_with('@'))?;
        let fields: Vec<&str> = first.split('\t').collect();
        let number = |i: usize| fields.get(i).is_some_and(|f| f.parse::<u64>().is_ok());
        return (fields.len() == 5 && number(1) && number(2) && matches!(fields[3], "+" | "-"))
            .then_some(FormatKind::IntervalList);
    }
    let header = text
        .lines()
        .map(|l| l.trim_end_matches('\r'))
        .find(|l| !l.trim().is_empty() && !l.starts_with('#'))?;
    let names: Vec<String> = if header.contains('\t') || header.contains(',') {
        let delimiter = if header.contains('\t') { '\t' } else { ',' };
        header
            .split(delimiter)
            .map(|n| n.trim().trim_matches('"').to_ascii_lowercase())
            .collect()
    } else {
        header
            .split_whitespace()
            .map(str::to_ascii_lowercase)
            .collect()
    };
    let has = |name: &str| names.iter().any(|n| n == name);
    let any = |set: &[&str]| set.iter().any(|name| has(name));
    if has("start_position") && (has("hugo_symbol") || has("chromosome")) {
        return Some(FormatKind::Maf);
    }
    if names.len() >= 5 && (names[2] == "loc.start" || has("seg.mean")) {
        return Some(FormatKind::Seg);
    }
    if names.len() >= 5
        && names[..3] == ["chr", "start", "end"]
        && names.iter().any(|n| n.starts_with("func."))
    {
        return Some(FormatKind::Annovar);
    }
    let p_value = any(&["p", "pval", "p_value", "p-value", "p.value", "pvalue"]);
    let chromosome = any(&["chr", "chrom", "chromosome"]);
    if p_value && chromosome && any(&["bp", "base_pair_location"]) {
        return Some(FormatKind::Gwas);
    }
    if super::gene_table::is_gene_table_header(&names) {
        return Some(FormatKind::GeneTable);
    }
    None
}

/// Within a family the extension does not say which member a file is: GFF files are
/// named `.gff` whatever their version, and BEDPE is often saved as `.bed`.
fn refine(kind: FormatKind, text: &[u8]) -> FormatKind {
    let lines = data_lines(text);
    match kind {
        FormatKind::Gff3 | FormatKind::Gtf => gff_flavour(&lines).unwrap_or(kind),
        FormatKind::Bed if !lines.is_empty() && lines.iter().all(|l| looks_like_bedpe(l)) => {
            FormatKind::Bedpe
        }
        // A `.txt` or `.tsv` whose every line has GFF's nine columns, with a strand
        // and a phase where GFF has them, is GFF (gffutils' and WormBase's `.txt`);
        // a BED-shaped one stays tabular, since BED's three columns are ambiguous.
        FormatKind::Tabular if !lines.is_empty() && lines.iter().all(|l| looks_like_gff(l)) => {
            gff_flavour(&lines).unwrap_or(FormatKind::Gff3)
        }
        _ => kind,
    }
}

/// The first few data lines of `text` (no headers, comments, `track`/`browser` lines),
/// split on tabs; a line cut off by the end of the head is left out.
fn data_lines(text: &[u8]) -> Vec<Vec<&str>> {
    let text = std::str::from_utf8(text).unwrap_or_else(|e| {
        // A truncated head may cut a character; judge the part that is valid.
        std::str::from_utf8(&text[..e.valid_up_to()]).unwrap_or_default()
    });
    let complete = match text.rfind('\n') {
        Some(end) => &text[..end],
        None => text,
    };
    complete
        .lines()
        .map(|line| line.strip_suffix('\r').unwrap_or(line))
        .filter(|line| {
            let line = line.trim_start();
            !(line.is_empty()
                || line.starts_with('#')
                || line.starts_with("track")
                || line.starts_with("browser"))
        })
        .take(20)
        .map(|line| line.split('\t').collect())
        .collect()
}

/// GTF/GFF2 (`gene_id "x"; transcript_id "y";`, or GFF1's lone group name) or GFF3
/// (`ID=x;Name=y`), judged by the 9th column of the data lines, where one says.
fn gff_flavour(lines: &[Vec<&str>]) -> Option<FormatKind> {
    for fields in lines {
        if fields.len() < 8 {
            continue;
        }
        let attributes = fields.get(8).map_or("", |a| a.trim());
        if attributes.is_empty() || attributes == "." {
            continue;
        }
        let first = attributes.split(';').next().unwrap_or_default().trim();
        // `Name=a b` (a GFF3 value with a space) is still GFF3; GTF's `key "value"`
        // and GFF2's `Sequence "B0019.1"` or GFF1's lone `Gene1` have no `=`.
        return Some(if first.contains('=') && !first.contains('"') {
            FormatKind::Gff3
        } else {
            FormatKind::Gtf
        });
    }
    None
}

/// GFF's columns: seqid, source, type, start, end, score, strand, phase[, attributes].
fn looks_like_gff(fields: &[&str]) -> bool {
    let number = |i: usize| fields.get(i).is_some_and(|f| f.parse::<u64>().is_ok());
    (fields.len() == 8 || fields.len() == 9)
        && number(3)
        && number(4)
        && matches!(fields[6], "+" | "-" | "." | "?")
        && matches!(fields[7], "0" | "1" | "2" | ".")
}

/// BEDPE: `chrom1 start1 end1 chrom2 start2 end2 ...`, where BED6+ has a name, a score
/// and a strand in columns 4 to 6. An unknown mate is `. -1 -1`.
fn looks_like_bedpe(fields: &[&str]) -> bool {
    let coordinate = |i: usize| {
        fields
            .get(i)
            .is_some_and(|f| *f == "-1" || f.parse::<u64>().is_ok())
    };
    fields.len() >= 6
        && coordinate(1)
        && coordinate(2)
        && fields[3].parse::<f64>().is_err()
        && coordinate(4)
        && coordinate(5)
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
    if words.next() == Some(b"##gff-version") {
        // `##gff-version 3` (or 3.1.26) is GFF3; 2 and 1 are the GTF family, which
        // the GTF reader takes (`key "value"` attributes, or none).
        return match words.next() {
            Some(version) if version.starts_with(b"3") => Some(FormatKind::Gff3),
            Some(version) if version.starts_with(b"2") || version.starts_with(b"1") => {
                Some(FormatKind::Gtf)
            }
            _ => None,
        };
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
    // `.bed3` to `.bed15`: BED with its column count in the name (Galaxy, UCSC's
    // bedToBigBed `-type=bed12+3` outputs).
    if let Some(width) = extension.strip_prefix("bed")
        && width.parse::<u8>().is_ok_and(|w| (3..=15).contains(&w))
    {
        return Some(FormatKind::Bed);
    }
    EXTENSIONS
        .iter()
        .find(|(_, extensions)| extensions.contains(&extension))
        .map(|(kind, _)| *kind)
}

/// A last resort for names without a known extension (Galaxy's `dataset_42.dat`):
/// eight or nine columns with numeric 4th/5th are GFF or GTF, two chrom/start/end
/// triples are BEDPE, three or more columns with numeric 2nd/3rd are BED.
fn by_shape(text: &[u8]) -> Option<FormatKind> {
    let lines = data_lines(text);
    let fields = lines.first()?;
    let is_number = |i: usize| fields.get(i).is_some_and(|f| f.parse::<u64>().is_ok());
    if (fields.len() == 8 || fields.len() == 9) && is_number(3) && is_number(4) {
        return Some(gff_flavour(&lines).unwrap_or(FormatKind::Gff3));
    }
    if lines.iter().all(|l| looks_like_bedpe(l)) {
        return Some(FormatKind::Bedpe);
    }
    if fields.len() >= 3 && is_number(1) && is_number(2) {
        return Some(FormatKind::Bed);
    }
    None
}
