//! A gene annotation's names, indexed: gene names and ids, transcript names
//! and ids, GFF3 `Alias`es, each to its features' loci (see `genes` for why
//! names are resolved on the server at all).
//!
//! Why: IGV resolves a word it does not know as a feature name, and when it
//! cannot find one it opens a modal dialog that blocks its port for every
//! client (shared/reference/igv-port.md §3). So the relay never forwards a
//! name: a genome may name a gene annotation (GTF or GFF3), which is indexed
//! once (gene names and ids, transcript names and ids, GFF3 `Alias`es;
//! case-insensitive) and looked up here; a name that is unknown or names
//! several genes is refused with the closest matches.
//!
//! The index is built by streaming the annotation (gzip or plain) and kept in
//! a small text file in a cache directory, named after the source's path, size
//! and modification time, so a restart reads the index instead of the
//! annotation. Memory is bounded by `max_names`: an annotation with more
//! distinct (name, feature) pairs is refused at start-up, naming the limit.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::hash::{Hash, Hasher};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::sync::Arc;

use super::locus::ChromName;

/// Bump when the index file's layout changes: old files are then rebuilt.
const INDEX_VERSION: &str = "igv-relay gene index 1";

/// Names longer than this are not names anyone types.
pub(super) const MAX_NAME_LEN: usize = 100;

/// Closest matches offered for an unknown name.
const MAX_SUGGESTIONS: usize = 8;

/// GFF3 feature types that are parts of a transcript: their ids (`exon:…`,
/// `CDS:…`) are not names anyone looks up, and there are millions of them.
const PART_TYPES: &[&str] = &[
    "exon",
    "cds",
    "five_prime_utr",
    "three_prime_utr",
    "utr",
    "5utr",
    "3utr",
    "start_codon",
    "stop_codon",
    "intron",
    "selenocysteine",
    "stop_codon_redefined_as_selenocysteine",
    "polypeptide",
    "protein",
    "region",
    "chromosome",
    "match",
    "match_part",
    "cdna_match",
    "biological_region",
    "supercontig",
];

/// GTF and GFF3 attributes that carry a name or id, and whether the name
/// belongs to the transcript (grouped by `transcript_id`) or the gene.
const GTF_GENE_KEYS: &[&str] = &["gene_id", "gene_name", "gene", "gene_symbol", "locus_tag"];
const GTF_TRANSCRIPT_KEYS: &[&str] = &["transcript_id", "transcript_name"];
const GFF3_KEYS: &[&str] = &[
    "ID",
    "Name",
    "Alias",
    "gene_id",
    "gene_name",
    "gene",
    "locus_tag",
    "transcript_id",
    "transcript_name",
];
/// GFF3 attributes that name the gene a line belongs to (GENCODE and NCBI
/// write them on transcripts too): grouped by `gene_id` when there is one.
const GFF3_GENE_KEYS: &[&str] = &["gene_id", "gene_name", "gene"];

/// One named feature: where it lies and what it is called.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GeneTarget {
    /// The name as written in the annotation (case kept).
    pub name: String,
    /// The feature it belongs to: the gene id (or transcript id), which tells
    /// a name found twice from one feature found on several lines.
    pub feature: String,
    pub chrom: ChromName,
    /// 1-based inclusive.
    pub start: u64,
    pub end: u64,
}

impl GeneTarget {
    /// "slp1 (FBgn0003430)" or just "KRAS" when the name is the id.
    pub fn label(&self) -> String {
        if self.name.eq_ignore_ascii_case(&self.feature) {
            self.name.clone()
        } else {
            format!("{} ({})", self.name, self.feature)
        }
    }
}

/// Names → features, case-insensitive.
#[derive(Debug, Default)]
pub struct GeneIndex {
    /// Lower-cased name → its features (several: a name found twice).
    names: BTreeMap<Box<str>, Vec<GeneTarget>>,
    /// What it was built from, for messages.
    source: String,
}

/// How [`GeneIndex::open`] got the index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Read the annotation (and wrote the index file, when there is a cache).
    Built,
    /// Read the index file a previous start wrote.
    Cached,
}

impl GeneIndex {
    pub fn source(&self) -> &str {
        &self.source
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The features a name (any case) stands for.
    pub fn get(&self, name: &str) -> &[GeneTarget] {
        self.names
            .get(name.to_ascii_lowercase().as_str())
            .map_or(&[], Vec::as_slice)
    }

    /// Names close to `name`: those it starts (`KRA` → `KRAS`), then those
    /// within two edits (`KRSA` → `KRAS`), shortest first.
    pub fn closest(&self, name: &str) -> Vec<&GeneTarget> {
        let lower = name.to_ascii_lowercase();
        let mut found: Vec<(usize, &str)> = self
            .names
            .range::<str, _>((
                std::ops::Bound::Included(lower.as_str()),
                std::ops::Bound::Unbounded,
            ))
            .take_while(|(k, _)| k.starts_with(lower.as_str()))
            .take(MAX_SUGGESTIONS)
            .map(|(k, _)| (0, &**k))
            .collect();
        if found.len() < MAX_SUGGESTIONS {
            let mut near: Vec<(usize, &str)> = self
                .names
                .keys()
                .filter(|k| k.len().abs_diff(lower.len()) <= 2 && !k.starts_with(lower.as_str()))
                .filter_map(|k| {
                    let d = edit_distance(&lower, k, 2)?;
                    Some((d, &**k))
                })
                .collect();
            near.sort();
            found.extend(near);
        }
        found.sort_by_key(|(d, k)| (*d, k.len()));
        let mut out: Vec<&GeneTarget> = Vec::new();
        for (_, key) in found {
            for target in self.names.get(key).into_iter().flatten() {
                if !out.iter().any(|t| same_place(t, target)) {
                    out.push(target);
                }
            }
            if out.len() >= MAX_SUGGESTIONS {
                break;
            }
        }
        out.truncate(MAX_SUGGESTIONS);
        out
    }

    /// Opens the index of `source` (a GTF/GFF3 file, optionally gzipped): from
    /// the index file in `cache_dir` when one matches the source's path, size
    /// and modification time, else by reading the source (and writing that
    /// file). `cache_dir` `None`: built every time.
    pub fn open(
        source: &Path,
        cache_dir: Option<&Path>,
        max_names: usize,
    ) -> Result<(Self, Origin), GeneIndexError> {
        let io = |e: std::io::Error| GeneIndexError::Read {
            file: source.display().to_string(),
            error: e.to_string(),
        };
        let meta = std::fs::metadata(source).map_err(io)?;
        let cached = cache_dir.map(|dir| dir.join(index_file_name(source, &meta)));
        if let Some(path) = &cached
            && let Ok(index) = Self::read_index(path, source)
        {
            return Ok((index, Origin::Cached));
        }
        let file = File::open(source).map_err(io)?;
        let index = Self::build(file, &source.display().to_string(), max_names)?;
        if let Some(path) = cached {
            // A cache that cannot be written costs only time at the next start.
            if let Err(e) = index.write_index(&path) {
                tracing::warn!(file = %path.display(), error = %e, "cannot write the gene index");
            }
        }
        Ok((index, Origin::Built))
    }

    /// Reads a GTF or GFF3 (plain or gzip/BGZF) from `input`.
    pub fn build(input: impl Read, source: &str, max_names: usize) -> Result<Self, GeneIndexError> {
        let mut reader = BufReader::new(input);
        let gzipped = reader
            .fill_buf()
            .map(|b| b.starts_with(&[0x1f, 0x8b]))
            .unwrap_or(false);
        let lines: Box<dyn BufRead> = if gzipped {
            Box::new(BufReader::new(flate2::read::MultiGzDecoder::new(reader)))
        } else {
            Box::new(reader)
        };
        let mut builder = Builder::new(source, max_names);
        for (n, line) in lines.lines().enumerate() {
            let line = line.map_err(|e| GeneIndexError::Line {
                file: source.to_owned(),
                line: n + 1,
                problem: e.to_string(),
            })?;
            if line.starts_with("##FASTA") {
                break;
            }
            builder
                .line(&line)
                .map_err(|problem| GeneIndexError::Line {
                    file: source.to_owned(),
                    line: n + 1,
                    problem,
                })?;
        }
        builder.finish()
    }

    fn write_index(&self, path: &Path) -> std::io::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        let mut out = std::io::BufWriter::new(File::create(&tmp)?);
        writeln!(out, "# {INDEX_VERSION}\t{}", self.source)?;
        for (key, targets) in &self.names {
            for t in targets {
                writeln!(
                    out,
                    "{key}\t{}\t{}\t{}\t{}\t{}",
                    t.name, t.feature, t.chrom, t.start, t.end
                )?;
            }
        }
        out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        std::fs::rename(&tmp, path)
    }

    fn read_index(path: &Path, source: &Path) -> Result<Self, String> {
        let file = File::open(path).map_err(|e| e.to_string())?;
        let mut lines = BufReader::new(file).lines();
        let first = lines
            .next()
            .ok_or("empty index")?
            .map_err(|e| e.to_string())?;
        if !first.starts_with(&format!("# {INDEX_VERSION}\t")) {
            return Err("another index version".into());
        }
        let mut names: BTreeMap<Box<str>, Vec<GeneTarget>> = BTreeMap::new();
        let mut chroms: HashMap<String, ChromName> = HashMap::new();
        for line in lines {
            let line = line.map_err(|e| e.to_string())?;
            let f: Vec<&str> = line.split('\t').collect();
            let [key, name, feature, chrom, start, end] = f[..] else {
                return Err(format!("bad index line {line:?}"));
            };
            let chrom = match chroms.get(chrom) {
                Some(c) => c.clone(),
                None => {
                    let c = ChromName::parse(chrom).map_err(|e| e.to_string())?;
                    chroms.insert(chrom.to_owned(), c.clone());
                    c
                }
            };
            names.entry(key.into()).or_default().push(GeneTarget {
                name: name.to_owned(),
                feature: feature.to_owned(),
                chrom,
                start: start.parse().map_err(|_| "bad start")?,
                end: end.parse().map_err(|_| "bad end")?,
            });
        }
        Ok(Self {
            names,
            source: source.display().to_string(),
        })
    }
}

/// `<file stem>-<hash of path, size, mtime, version>.tsv`.
fn index_file_name(source: &Path, meta: &std::fs::Metadata) -> String {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    let canonical = source
        .canonicalize()
        .unwrap_or_else(|_| source.to_path_buf());
    canonical.hash(&mut hasher);
    meta.len().hash(&mut hasher);
    if let Ok(modified) = meta.modified()
        && let Ok(since) = modified.duration_since(std::time::UNIX_EPOCH)
    {
        since.as_nanos().hash(&mut hasher);
    }
    INDEX_VERSION.hash(&mut hasher);
    let stem: String = source
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        .take(60)
        .collect();
    format!("{stem}-{:016x}.genes.tsv", hasher.finish())
}

/// Collects names while the annotation streams by: one entry per (name,
/// feature, chromosome), widened to cover every line of the feature (a GTF's
/// gene is the union of its lines when it has no `gene` line).
/// (lower-cased name, feature, chromosome) → (name as written, start, end).
type Spans = HashMap<(Box<str>, Box<str>, ChromName), (Box<str>, u64, u64)>;

struct Builder {
    source: String,
    max_names: usize,
    spans: Spans,
    chroms: HashMap<String, ChromName>,
}

impl Builder {
    fn new(source: &str, max_names: usize) -> Self {
        Self {
            source: source.to_owned(),
            max_names,
            spans: HashMap::new(),
            chroms: HashMap::new(),
        }
    }

    fn line(&mut self, line: &str) -> Result<(), String> {
        if line.is_empty() || line.starts_with('#') || line.trim().is_empty() {
            return Ok(());
        }
        let fields: Vec<&str> = line.split('\t').collect();
        if fields.len() != 9 {
            return Err(format!(
                "expected 9 tab-separated columns (GTF/GFF3), found {}",
                fields.len()
            ));
        }
        let number = |i: usize, what: &str| -> Result<u64, String> {
            fields[i]
                .parse::<u64>()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| format!("the {what} {:?} is not a position (1 or more)", fields[i]))
        };
        let start = number(3, "start")?;
        let end = number(4, "end")?;
        if start > end {
            return Err(format!("the start {start} is after the end {end}"));
        }
        let chrom = match self.chroms.get(fields[0]) {
            Some(c) => c.clone(),
            None => {
                let c = ChromName::parse(fields[0])
                    .map_err(|e| format!("sequence name {:?}: {e}", fields[0]))?;
                self.chroms.insert(fields[0].to_owned(), c.clone());
                c
            }
        };
        let kind = fields[2].to_ascii_lowercase();
        let attributes = fields[8];
        let mut names: Vec<(String, String)> = Vec::new();
        if is_gff3(attributes) {
            let pairs = gff3_attributes(attributes);
            let get = |k: &str| {
                pairs
                    .iter()
                    .find(|(key, _)| key == k)
                    .map(|(_, v)| v.as_str())
            };
            if !PART_TYPES.contains(&kind.as_str()) {
                let own = get("ID")
                    .or_else(|| get("gene_id"))
                    .or_else(|| get("Name"))
                    .unwrap_or("");
                let gene = get("gene_id").unwrap_or(own);
                for (key, value) in &pairs {
                    if GFF3_KEYS.contains(&key.as_str()) {
                        let feature = if GFF3_GENE_KEYS.contains(&key.as_str()) {
                            gene
                        } else {
                            own
                        };
                        for v in value.split(',') {
                            names.push((v.to_owned(), feature.to_owned()));
                        }
                    }
                }
            } else if let Some(gene) = get("gene_id") {
                // GENCODE's GFF3 puts gene_id/gene_name on every line.
                for key in ["gene_id", "gene_name"] {
                    if let Some(v) = get(key) {
                        names.push((v.to_owned(), gene.to_owned()));
                    }
                }
            }
        } else {
            let pairs = gtf_attributes(attributes);
            let get = |k: &str| {
                pairs
                    .iter()
                    .find(|(key, _)| key == k)
                    .map(|(_, v)| v.as_str())
            };
            let gene = get("gene_id").unwrap_or("").to_owned();
            for key in GTF_GENE_KEYS {
                if let Some(v) = get(key) {
                    names.push((v.to_owned(), gene.clone()));
                }
            }
            if let Some(transcript) = get("transcript_id") {
                for key in GTF_TRANSCRIPT_KEYS {
                    if let Some(v) = get(key) {
                        names.push((v.to_owned(), transcript.to_owned()));
                    }
                }
            }
        }
        for (name, feature) in names {
            for variant in lookup_forms(&name) {
                self.add(variant, &name, &feature, &chrom, start, end)?;
            }
        }
        Ok(())
    }

    fn add(
        &mut self,
        key: String,
        name: &str,
        feature: &str,
        chrom: &ChromName,
        start: u64,
        end: u64,
    ) -> Result<(), String> {
        if key.is_empty() || key.len() > MAX_NAME_LEN || key.contains(['\t', '\n']) {
            return Ok(());
        }
        let feature = if feature.is_empty() { name } else { feature };
        let entry_key = (Box::from(key.as_str()), Box::from(feature), chrom.clone());
        if let Some(span) = self.spans.get_mut(&entry_key) {
            span.1 = span.1.min(start);
            span.2 = span.2.max(end);
            return Ok(());
        }
        if self.spans.len() >= self.max_names {
            return Err(format!(
                "more than {} names; raise genes.max_names or use a smaller annotation",
                self.max_names
            ));
        }
        self.spans.insert(entry_key, (Box::from(name), start, end));
        Ok(())
    }

    fn finish(self) -> Result<GeneIndex, GeneIndexError> {
        let mut names: BTreeMap<Box<str>, Vec<GeneTarget>> = BTreeMap::new();
        for ((key, feature, chrom), (name, start, end)) in self.spans {
            names.entry(key).or_default().push(GeneTarget {
                name: name.into(),
                feature: feature.into(),
                chrom,
                start,
                end,
            });
        }
        for targets in names.values_mut() {
            // A stable order, whatever the hash map's: by place.
            targets.sort_by(|a, b| {
                (&a.chrom, a.start, a.end, &a.feature).cmp(&(&b.chrom, b.start, b.end, &b.feature))
            });
            targets.dedup_by(|a, b| same_place(a, b) && a.feature == b.feature);
        }
        if names.is_empty() {
            return Err(GeneIndexError::Empty(self.source));
        }
        Ok(GeneIndex {
            names,
            source: self.source,
        })
    }
}

fn same_place(a: &GeneTarget, b: &GeneTarget) -> bool {
    a.chrom == b.chrom && a.start == b.start && a.end == b.end
}

/// The lower-cased forms a name is found under: as written, and for Ensembl
/// ids also without the `gene:`/`transcript:` prefix of Ensembl's GFF3 and
/// without the `.5` version (people paste `ENSG00000133703`).
fn lookup_forms(name: &str) -> Vec<String> {
    let lower = name.trim().to_ascii_lowercase();
    let mut forms = vec![lower.clone()];
    let bare = lower
        .strip_prefix("gene:")
        .or_else(|| lower.strip_prefix("transcript:"))
        .unwrap_or(&lower)
        .to_owned();
    if bare != lower {
        forms.push(bare.clone());
    }
    if bare.starts_with("ens")
        && let Some((base, version)) = bare.rsplit_once('.')
        && !version.is_empty()
        && version.bytes().all(|b| b.is_ascii_digit())
    {
        forms.push(base.to_owned());
    }
    forms
}

/// GFF3 attributes are `key=value;…`; GTF's are `key "value"; …`.
fn is_gff3(attributes: &str) -> bool {
    let first = attributes.split(';').next().unwrap_or("").trim();
    match (first.find('='), first.find([' ', '"'])) {
        (Some(eq), Some(sp)) => eq < sp,
        (Some(_), None) => true,
        _ => false,
    }
}

fn gff3_attributes(text: &str) -> Vec<(String, String)> {
    text.split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .map(|(k, v)| (percent_decode(k.trim()), percent_decode(v.trim())))
        .collect()
}

fn gtf_attributes(text: &str) -> Vec<(String, String)> {
    text.split(';')
        .filter_map(|pair| {
            let pair = pair.trim();
            let (key, value) = pair.split_once([' ', '\t'])?;
            Some((
                key.trim().to_owned(),
                value.trim().trim_matches('"').to_owned(),
            ))
        })
        .collect()
}

/// GFF3 escapes `;`, `=`, `,`, `%`, tabs and control characters as `%XX`.
fn percent_decode(text: &str) -> String {
    if !text.contains('%') {
        return text.to_owned();
    }
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

/// Levenshtein distance, `None` beyond `max` (the row minimum exceeds it).
fn edit_distance(a: &str, b: &str, max: usize) -> Option<usize> {
    let a = a.as_bytes();
    let b = b.as_bytes();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        current[0] = i + 1;
        let mut row_min = current[0];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            current[j + 1] = (previous[j] + cost)
                .min(previous[j + 1] + 1)
                .min(current[j] + 1);
            row_min = row_min.min(current[j + 1]);
        }
        if row_min > max {
            return None;
        }
        std::mem::swap(&mut previous, &mut current);
    }
    Some(previous[b.len()]).filter(|d| *d <= max)
}

#[derive(Debug, thiserror::Error)]
pub enum GeneIndexError {
    #[error("gene annotation {file}: {error}")]
    Read { file: String, error: String },
    #[error("gene annotation {file}, line {line}: {problem}")]
    Line {
        file: String,
        line: usize,
        problem: String,
    },
    #[error("gene annotation {0}: no gene, transcript or feature names found")]
    Empty(String),
}

/// Shared by every genome that names the same annotation.
pub type SharedIndex = Arc<GeneIndex>;

#[cfg(test)]
mod tests {
    use super::*;

    const GTF: &str = "chr1\tHAVANA\tgene\t11869\t14409\t.\t+\t.\tgene_id \"ENSG00000223972.5\"; gene_name \"DDX11L1\";\n\
chr1\tHAVANA\ttranscript\t11869\t14409\t.\t+\t.\tgene_id \"ENSG00000223972.5\"; transcript_id \"ENST00000456328.2\"; gene_name \"DDX11L1\"; transcript_name \"DDX11L1-202\";\n\
chr1\tHAVANA\texon\t11869\t12227\t.\t+\t.\tgene_id \"ENSG00000223972.5\"; transcript_id \"ENST00000456328.2\"; gene_name \"DDX11L1\";\n";

    #[test]
    fn gtf_names_ids_and_versionless_ids_are_found_in_any_case() {
        let index = GeneIndex::build(GTF.as_bytes(), "test", 100).unwrap();
        for name in [
            "DDX11L1",
            "ddx11l1",
            "ENSG00000223972",
            "ENSG00000223972.5",
            "ENST00000456328",
        ] {
            let found = index.get(name);
            assert_eq!(found.len(), 1, "{name}");
        }
        assert_eq!(index.get("DDX11L1")[0].start, 11869);
        assert_eq!(index.get("DDX11L1")[0].end, 14409);
        assert!(index.get("KRAS").is_empty());
    }

    #[test]
    fn a_bad_line_is_named() {
        let err = GeneIndex::build("chr1\tx\tgene\t10\n".as_bytes(), "a.gtf", 100).unwrap_err();
        assert_eq!(
            err.to_string(),
            "gene annotation a.gtf, line 1: expected 9 tab-separated columns (GTF/GFF3), found 4"
        );
    }

    #[test]
    fn the_name_limit_is_an_error_not_a_silent_cut() {
        let err = GeneIndex::build(GTF.as_bytes(), "a.gtf", 3).unwrap_err();
        assert!(err.to_string().contains("more than 3 names"), "{err}");
    }

    #[test]
    fn closest_names_include_prefixes_and_typos() {
        let index = GeneIndex::build(GTF.as_bytes(), "test", 100).unwrap();
        let names: Vec<&str> = index
            .closest("DDX11")
            .iter()
            .map(|t| t.name.as_str())
            .collect();
        assert!(names.contains(&"DDX11L1"), "{names:?}");
        let names: Vec<&str> = index
            .closest("DDX1L1")
            .iter()
            .map(|t| t.name.as_str())
            .collect();
        assert!(names.contains(&"DDX11L1"), "{names:?}");
    }

    #[test]
    fn edit_distance_stops_early() {
        assert_eq!(edit_distance("kras", "krsa", 2), Some(2));
        assert_eq!(edit_distance("kras", "braf", 2), Some(2));
        assert_eq!(edit_distance("kras", "tp53", 2), None);
    }
}
