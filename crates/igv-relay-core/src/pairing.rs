//! Reads beside a variant file: the indexed BAM/CRAM files in a VCF's
//! directory and below whose read groups name the VCF's samples (`@RG SM:`),
//! found without being told. A directory is scanned once per version (its
//! and its subdirectories' modification times): [`ReadsDirectories`] keeps
//! the scans, bounded, so later pages of a view pair for nothing.
//!
//! Matching: a file pairs with the samples its read groups' `SM` name. A
//! sample no file's `SM` names pairs with a file whose name contains the
//! sample's name, when that file's read groups name no sample of the VCF;
//! such a pair says it is a file-name match. A file without an index, or
//! whose header cannot be read, pairs with nothing and says why.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use crate::formats::{DecompressionLimits, decompress_with_limits};
use crate::recent::Recent;

/// How deep below the VCF's directory alignments are looked for.
pub const MAX_DEPTH: usize = 3;
/// Most alignment files looked at in one directory tree.
pub const MAX_ALIGNMENT_FILES: usize = 2_000;
/// Most directory entries looked at in one directory tree (the walk's bound,
/// whatever the entries are).
pub const MAX_ENTRIES: usize = 20_000;
/// Most bytes of a header read for its read groups.
const MAX_HEADER_BYTES: u64 = 4 << 20;
/// Directories whose scans are remembered.
const MAX_DIRECTORIES: usize = 256;
/// Most bytes of a VCF header read for its samples.
const MAX_VCF_HEADER_BYTES: u64 = 16 << 20;

/// An alignment file's format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlignmentKind {
    Bam,
    Cram,
}

impl AlignmentKind {
    fn of(name: &str) -> Option<Self> {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".bam") {
            Some(Self::Bam)
        } else if lower.ends_with(".cram") {
            Some(Self::Cram)
        } else {
            None
        }
    }

    /// IGV's and igv.js's `format`.
    pub fn igv_format(self) -> &'static str {
        match self {
            Self::Bam => "bam",
            Self::Cram => "cram",
        }
    }

    /// Index files IGV finds next to the file (its name plus the suffix).
    pub fn index_suffixes(self) -> &'static [&'static str] {
        match self {
            Self::Bam => &[".bai", ".csi"],
            Self::Cram => &[".crai"],
        }
    }
}

/// One BAM or CRAM of a directory tree, as its header and neighbours describe it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlignmentFile {
    /// The path below the scanned directory, `/`-separated.
    pub relative: String,
    pub kind: AlignmentKind,
    /// The index suffix found next to it (`.bai`), `None`: no index.
    pub index_suffix: Option<&'static str>,
    /// The read groups' `SM` values (distinct, in header order), or why the
    /// header could not be read.
    pub samples: Result<Vec<String>, String>,
    /// A symbolic link: it may lead out of the data root, which the
    /// service checks before it serves the file.
    pub link: bool,
}

impl AlignmentFile {
    /// The file's name without its directories.
    pub fn file_name(&self) -> &str {
        self.relative.rsplit('/').next().unwrap_or(&self.relative)
    }

    /// Why IGV cannot show this file's reads at a locus, if it cannot.
    pub fn unusable(&self) -> Option<String> {
        if let Err(why) = &self.samples {
            return Some(format!("its header cannot be read: {why}"));
        }
        if self.index_suffix.is_none() {
            return Some(format!(
                "it has no index next to it ({}), which IGV needs to show a locus",
                self.kind.index_suffixes().join(" or ")
            ));
        }
        None
    }
}

/// The alignment files of a directory tree.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DirectoryScan {
    pub files: Vec<AlignmentFile>,
    /// The walk stopped at one of its bounds: more files may exist.
    pub truncated: bool,
    /// The directories walked, each with its time before it was listed:
    /// the scan's version.
    pub dirs: TreeVersion,
}

/// The BAM/CRAM files of `dir` and its subdirectories down to [`MAX_DEPTH`]
/// levels, sorted by path, each with its samples and index. Unreadable
/// directories are skipped.
pub fn scan_directory(dir: &Path) -> DirectoryScan {
    let mut scan = DirectoryScan::default();
    let mut entries = 0usize;
    let mut pending = vec![(dir.to_path_buf(), String::new(), 0usize)];
    while let Some((path, prefix, depth)) = pending.pop() {
        scan.dirs.push((path.clone(), modified(&path)));
        let Ok(listing) = std::fs::read_dir(&path) else {
            continue;
        };
        let mut names: Vec<(String, bool, bool)> = Vec::new();
        for entry in listing.flatten() {
            entries += 1;
            if entries > MAX_ENTRIES {
                scan.truncated = true;
                break;
            }
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            // Hidden files and directories are not results.
            if name.starts_with('.') {
                continue;
            }
            // Not followed: a link to a directory is not walked.
            let file_type = entry.file_type().ok();
            let is_dir = file_type.is_some_and(|t| t.is_dir());
            let is_link = file_type.is_some_and(|t| t.is_symlink());
            names.push((name, is_dir, is_link));
        }
        names.sort();
        let present: std::collections::HashSet<&str> =
            names.iter().map(|(n, _, _)| n.as_str()).collect();
        for (name, is_dir, is_link) in &names {
            if *is_dir {
                if depth < MAX_DEPTH {
                    pending.push((path.join(name), format!("{prefix}{name}/"), depth + 1));
                }
                continue;
            }
            let Some(kind) = AlignmentKind::of(name) else {
                continue;
            };
            if scan.files.len() >= MAX_ALIGNMENT_FILES {
                scan.truncated = true;
                break;
            }
            let index_suffix = kind
                .index_suffixes()
                .iter()
                .copied()
                .find(|suffix| present.contains(format!("{name}{suffix}").as_str()));
            scan.files.push(AlignmentFile {
                relative: format!("{prefix}{name}"),
                kind,
                index_suffix,
                samples: read_samples(&path.join(name), kind),
                link: *is_link,
            });
        }
        if scan.truncated {
            break;
        }
    }
    scan.files.sort_by(|a, b| a.relative.cmp(&b.relative));
    scan
}

/// The distinct `SM` values of an alignment file's read groups.
pub fn read_samples(path: &Path, kind: AlignmentKind) -> Result<Vec<String>, String> {
    let file = File::open(path).map_err(|e| format!("it cannot be opened ({e})"))?;
    header_samples(file, kind)
}

/// The distinct `SM` values of the read groups of an alignment file's
/// header, read from its first bytes (a file, or the start of a remote one).
pub fn header_samples(input: impl Read, kind: AlignmentKind) -> Result<Vec<String>, String> {
    let text = match kind {
        AlignmentKind::Bam => bam_header_text(input),
        AlignmentKind::Cram => cram_header_text(input),
    }
    .map_err(|e| e.to_string())?;
    Ok(read_group_samples(&text))
}

fn invalid(what: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.into())
}

/// The SAM header text of a BAM (SAM spec §4.2: BGZF, `BAM\1`, `l_text`,
/// the text), read with noodles' BGZF reader.
fn bam_header_text(file: impl Read) -> io::Result<Vec<u8>> {
    let mut reader = noodles::bgzf::io::Reader::new(BufReader::new(file));
    let mut magic = [0u8; 4];
    reader
        .read_exact(&mut magic)
        .map_err(|e| invalid(format!("not a BGZF-compressed BAM ({e})")))?;
    if &magic != b"BAM\x01" {
        return Err(invalid("not a BAM file (no BAM\\1 magic)"));
    }
    let mut length = [0u8; 4];
    reader
        .read_exact(&mut length)
        .map_err(|e| invalid(format!("the header ends early ({e})")))?;
    let length = u64::from(u32::from_le_bytes(length)).min(MAX_HEADER_BYTES);
    let mut text = Vec::new();
    reader
        .take(length)
        .read_to_end(&mut text)
        .map_err(|e| invalid(format!("the header text cannot be read ({e})")))?;
    if (text.len() as u64) < length {
        return Err(invalid("the header text ends early (a truncated file)"));
    }
    Ok(text)
}

/// A CRAM's SAM header text: samtools and htsjdk store it uncompressed in
/// the first container (CRAM 3.1 §7.1), so its lines are found as they are
/// among the first bytes.
fn cram_header_text(file: impl Read) -> io::Result<Vec<u8>> {
    let mut head = Vec::new();
    file.take(MAX_HEADER_BYTES).read_to_end(&mut head)?;
    if !head.starts_with(b"CRAM") {
        return Err(invalid("not a CRAM file (no CRAM magic)"));
    }
    Ok(head)
}

/// The distinct `SM` values of the `@RG` lines in `text`.
pub fn read_group_samples(text: &[u8]) -> Vec<String> {
    let mut samples: Vec<String> = Vec::new();
    for line in text.split(|b| *b == b'\n' || *b == 0) {
        let Some(rest) = line.strip_prefix(b"@RG\t") else {
            continue;
        };
        let line = String::from_utf8_lossy(rest);
        let sample = line
            .trim_end_matches('\r')
            .split('\t')
            .find_map(|field| field.strip_prefix("SM:"));
        if let Some(sample) = sample.map(str::trim).filter(|s| !s.is_empty())
            && !samples.iter().any(|s| s == sample)
        {
            samples.push(sample.to_owned());
        }
    }
    samples
}

/// The sample names on a VCF's `#CHROM` line (plain, gzip or BGZF).
pub fn vcf_samples(path: &Path, limits: DecompressionLimits) -> io::Result<Vec<String>> {
    let file = File::open(path)?;
    let input = decompress_with_limits(Box::new(BufReader::new(file)), limits)?;
    let mut input = input.take(MAX_VCF_HEADER_BYTES);
    let mut line = Vec::new();
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line)? == 0 {
            return Ok(Vec::new());
        }
        if line.starts_with(b"#CHROM") {
            let text = String::from_utf8_lossy(&line);
            return Ok(text
                .trim_end_matches(['\n', '\r'])
                .split('\t')
                .skip(9)
                .map(str::to_owned)
                .collect());
        }
        if !line.starts_with(b"#") {
            return Ok(Vec::new());
        }
    }
}

/// Why a file pairs with a sample.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PairedBy {
    /// A read group's `SM` names the sample.
    ReadGroup,
    /// The file's name contains the sample's name (no read group named it).
    FileName,
}

/// A file paired with samples of the VCF.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pair {
    pub file: AlignmentFile,
    pub samples: Vec<String>,
    pub by: PairedBy,
}

impl Pair {
    /// What the page says of the pair.
    pub fn why(&self) -> String {
        let samples = self.samples.join(", ");
        match self.by {
            PairedBy::ReadGroup => format!("its read groups' SM is {samples}"),
            PairedBy::FileName => format!(
                "its file name contains {samples} (a file-name match only: no read group \
                 names a sample of this file)"
            ),
        }
    }

    /// The track name: the samples, as the reads are named in IGV and the panel.
    pub fn track_name(&self) -> String {
        self.samples.join("+")
    }
}

/// What pairing found for a VCF's samples in a directory tree.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pairing {
    pub pairs: Vec<Pair>,
    /// Usable files that pair with no sample (offered, not loaded).
    pub others: Vec<AlignmentFile>,
    /// Files that cannot be used, and why.
    pub unusable: Vec<(AlignmentFile, String)>,
    /// Samples no file pairs with.
    pub unpaired_samples: Vec<String>,
    pub truncated: bool,
}

/// Pairs `samples` (a VCF's) with the files of `scan`.
pub fn pair(samples: &[String], scan: &DirectoryScan) -> Pairing {
    let mut pairing = Pairing {
        truncated: scan.truncated,
        ..Pairing::default()
    };
    let mut unnamed: Vec<&AlignmentFile> = Vec::new();
    for file in &scan.files {
        if let Some(why) = file.unusable() {
            pairing.unusable.push((file.clone(), why));
            continue;
        }
        let named: Vec<String> = file
            .samples
            .as_ref()
            .map(|found| {
                found
                    .iter()
                    .filter(|s| samples.contains(s))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        if named.is_empty() {
            unnamed.push(file);
        } else {
            pairing.pairs.push(Pair {
                file: file.clone(),
                samples: named,
                by: PairedBy::ReadGroup,
            });
        }
    }
    let paired = |pairing: &Pairing, sample: &String| {
        pairing.pairs.iter().any(|p| p.samples.contains(sample))
    };
    for sample in samples {
        if paired(&pairing, sample) {
            continue;
        }
        let by_name = unnamed.iter().position(|f| {
            let name = f.file_name();
            !sample.is_empty() && name_contains_word(name, sample)
        });
        match by_name {
            Some(i) => {
                let file = unnamed.remove(i);
                pairing.pairs.push(Pair {
                    file: file.clone(),
                    samples: vec![sample.clone()],
                    by: PairedBy::FileName,
                });
            }
            None => pairing.unpaired_samples.push(sample.clone()),
        }
    }
    pairing.others = unnamed.into_iter().cloned().collect();
    pairing
        .pairs
        .sort_by(|a, b| a.file.relative.cmp(&b.file.relative));
    pairing
}

/// Whether `name` contains `word` between non-alphanumeric characters (or
/// its ends): `NA12878.bam` names `NA12878`, `NA128789.bam` does not.
fn name_contains_word(name: &str, word: &str) -> bool {
    name.match_indices(word).any(|(at, _)| {
        let before = name[..at].chars().next_back();
        let after = name[at + word.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

/// Each directory of a tree with its modification time: the tree's version.
/// Adding, removing or renaming a file or a subdirectory changes its
/// directory's time. A BAM rewritten in place under the same name keeps its
/// directory's time: its old read groups are used until the directory
/// changes or the scan is forgotten.
pub type TreeVersion = Vec<(PathBuf, Option<SystemTime>)>;

fn modified(dir: &Path) -> Option<SystemTime> {
    std::fs::metadata(dir).and_then(|m| m.modified()).ok()
}

/// The version of the directories a scan walked, as they are now: one
/// `stat` each, no listing.
fn version_now(dirs: &[PathBuf]) -> TreeVersion {
    dirs.iter().map(|d| (d.clone(), modified(d))).collect()
}

/// The directory trees a service has scanned for reads, each with the
/// version it was scanned at: a bounded cache, owned by the service's state
/// ([`crate::caches::ViewCaches`]).
pub struct ReadsDirectories {
    scans: Mutex<Recent<PathBuf, (TreeVersion, Arc<DirectoryScan>)>>,
}

impl Default for ReadsDirectories {
    fn default() -> Self {
        Self {
            scans: Mutex::new(Recent::new(MAX_DIRECTORIES)),
        }
    }
}

impl ReadsDirectories {
    /// The scan of `dir`: the remembered one while the tree's version is
    /// the same, else a new one.
    pub fn scan(&self, dir: &Path) -> Arc<DirectoryScan> {
        let lock = || self.scans.lock().unwrap_or_else(|e| e.into_inner());
        let remembered = lock().get(&dir.to_path_buf()).cloned();
        if let Some((seen, scan)) = remembered {
            let dirs: Vec<PathBuf> = seen.iter().map(|(d, _)| d.clone()).collect();
            if version_now(&dirs) == seen {
                return scan;
            }
        }
        // The times were taken before each listing: a change during the
        // walk makes the next page walk again.
        let mut scan = scan_directory(dir);
        let version = std::mem::take(&mut scan.dirs);
        let scan = Arc::new(scan);
        lock().insert(dir.to_path_buf(), (version, scan.clone()), |_| true);
        scan
    }

    /// How many directory trees are remembered.
    pub fn remembered(&self) -> usize {
        self.scans.lock().unwrap_or_else(|e| e.into_inner()).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// A BAM with `header` as its SAM text, written with noodles' BGZF writer.
    fn bam(header: &str) -> Vec<u8> {
        let mut raw = b"BAM\x01".to_vec();
        raw.extend((header.len() as u32).to_le_bytes());
        raw.extend(header.as_bytes());
        raw.extend(0u32.to_le_bytes());
        let mut writer = noodles::bgzf::io::Writer::new(Vec::new());
        writer.write_all(&raw).unwrap();
        writer.finish().unwrap()
    }

    fn put(dir: &Path, name: &str, bytes: &[u8]) {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }

    fn rg(samples: &[&str]) -> String {
        let mut text = "@HD\tVN:1.6\n@SQ\tSN:chr1\tLN:1000\n".to_owned();
        for (i, s) in samples.iter().enumerate() {
            text.push_str(&format!("@RG\tID:rg{i}\tSM:{s}\tLB:lib\n"));
        }
        text
    }

    fn names(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn read_groups_give_their_samples_once_each_in_order() {
        let text = "@HD\tVN:1.6\n@RG\tID:a\tSM:child\n@RG\tID:b\tLB:x\tSM:mother\r\n@RG\tID:c\tSM:child\n@CO\tSM:nobody\n";
        assert_eq!(
            read_group_samples(text.as_bytes()),
            names(&["child", "mother"])
        );
    }

    #[test]
    fn files_pair_by_read_group_and_others_are_offered_not_paired() {
        let dir = tempfile::tempdir().unwrap();
        put(dir.path(), "a.bam", &bam(&rg(&["tumour"])));
        put(dir.path(), "a.bam.bai", b"index");
        put(dir.path(), "sub/b.bam", &bam(&rg(&["normal"])));
        put(dir.path(), "sub/b.bam.bai", b"index");
        put(dir.path(), "c.bam", &bam(&rg(&["someone-else"])));
        put(dir.path(), "c.bam.bai", b"index");
        let scan = scan_directory(dir.path());
        assert_eq!(scan.files.len(), 3);
        let pairing = pair(&names(&["normal", "tumour"]), &scan);
        let paired: Vec<(&str, &[String], PairedBy)> = pairing
            .pairs
            .iter()
            .map(|p| (p.file.relative.as_str(), &p.samples[..], p.by))
            .collect();
        assert_eq!(
            paired,
            vec![
                ("a.bam", &names(&["tumour"])[..], PairedBy::ReadGroup),
                ("sub/b.bam", &names(&["normal"])[..], PairedBy::ReadGroup),
            ]
        );
        assert_eq!(pairing.others.len(), 1);
        assert_eq!(pairing.others[0].relative, "c.bam");
        assert!(pairing.unpaired_samples.is_empty());
    }

    #[test]
    fn a_file_name_pairs_only_when_no_read_group_names_the_sample_and_says_so() {
        let dir = tempfile::tempdir().unwrap();
        put(dir.path(), "NA12878.sorted.bam", &bam("@HD\tVN:1.6\n"));
        put(dir.path(), "NA12878.sorted.bam.bai", b"i");
        put(dir.path(), "NA128789.bam", &bam("@HD\tVN:1.6\n"));
        put(dir.path(), "NA128789.bam.bai", b"i");
        let pairing = pair(&names(&["NA12878"]), &scan_directory(dir.path()));
        assert_eq!(pairing.pairs.len(), 1);
        assert_eq!(pairing.pairs[0].file.relative, "NA12878.sorted.bam");
        assert_eq!(pairing.pairs[0].by, PairedBy::FileName);
        assert!(pairing.pairs[0].why().contains("file-name match only"));
        assert_eq!(pairing.others[0].relative, "NA128789.bam");
    }

    #[test]
    fn unreadable_and_unindexed_files_say_why_and_the_rest_still_pairs() {
        let dir = tempfile::tempdir().unwrap();
        put(dir.path(), "good.bam", &bam(&rg(&["s1"])));
        put(dir.path(), "good.bam.bai", b"i");
        put(dir.path(), "broken.bam", b"this is no BAM at all");
        put(dir.path(), "broken.bam.bai", b"i");
        put(dir.path(), "noindex.bam", &bam(&rg(&["s2"])));
        let truncated = bam(&rg(&["s2"]));
        put(dir.path(), "cut.bam", &truncated[..truncated.len() / 2]);
        put(dir.path(), "cut.bam.bai", b"i");
        let pairing = pair(&names(&["s1", "s2"]), &scan_directory(dir.path()));
        assert_eq!(pairing.pairs.len(), 1);
        assert_eq!(pairing.pairs[0].file.relative, "good.bam");
        let why: Vec<(&str, &str)> = pairing
            .unusable
            .iter()
            .map(|(f, why)| (f.relative.as_str(), why.as_str()))
            .collect();
        assert_eq!(why.len(), 3, "{why:?}");
        assert!(why[0].0 == "broken.bam" && why[0].1.contains("header cannot be read"));
        assert!(why[1].0 == "cut.bam" && why[1].1.contains("header cannot be read"));
        assert!(why[2].0 == "noindex.bam" && why[2].1.contains("no index"));
        assert_eq!(pairing.unpaired_samples, names(&["s2"]));
    }

    #[test]
    fn the_walk_stops_at_its_depth() {
        let dir = tempfile::tempdir().unwrap();
        put(dir.path(), "1/2/3/in.bam", &bam(&rg(&["s"])));
        put(dir.path(), "1/2/3/4/out.bam", &bam(&rg(&["s"])));
        let scan = scan_directory(dir.path());
        let found: Vec<&str> = scan.files.iter().map(|f| f.relative.as_str()).collect();
        assert_eq!(found, vec!["1/2/3/in.bam"]);
    }

    #[test]
    fn a_scan_is_kept_until_its_directory_changes() {
        let dir = tempfile::tempdir().unwrap();
        put(dir.path(), "a.bam", &bam(&rg(&["s"])));
        let cache = ReadsDirectories::default();
        let first = cache.scan(dir.path());
        assert!(Arc::ptr_eq(&first, &cache.scan(dir.path())));
        // A new file in a subdirectory changes that directory's time.
        std::thread::sleep(std::time::Duration::from_millis(20));
        put(dir.path(), "sub/b.bam", &bam(&rg(&["t"])));
        let second = cache.scan(dir.path());
        assert!(!Arc::ptr_eq(&first, &second));
        assert_eq!(second.files.len(), 2);
        assert_eq!(cache.remembered(), 1);
    }

    #[test]
    fn vcf_samples_come_from_the_chrom_line() {
        let dir = tempfile::tempdir().unwrap();
        put(
            dir.path(),
            "x.vcf",
            b"##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tmum\tdad\n1\t1\t.\tA\tC\t.\t.\t.\tGT\t0/1\t0/0\n",
        );
        assert_eq!(
            vcf_samples(
                &dir.path().join("x.vcf"),
                crate::formats::DEFAULT_DECOMPRESSION_LIMITS
            )
            .unwrap(),
            names(&["mum", "dad"])
        );
    }
}
