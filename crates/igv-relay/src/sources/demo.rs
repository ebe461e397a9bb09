//! The demo result files, built into the binary: `cargo install`, the
//! container and a service started from any working directory all show the
//! same demo. They are written once to a directory of their own (named after
//! their content, so a new version never reads an old copy) and served from
//! there like any data root: Range requests, the page index and listings work
//! on them as on a lab's files.

use std::path::{Path, PathBuf};

/// The name of the demo's data root (`/files/demo/`).
pub const ROOT_NAME: &str = "demo";
/// The genome the demo files were made for.
pub const GENOME: &str = "hg38";

/// `(file name, contents)` of every demo file.
const FILES: &[(&str, &[u8])] = &[
    (
        "braf-reads.bam",
        include_bytes!("../../../../demo/braf-reads.bam"),
    ),
    (
        "braf-reads.bam.bai",
        include_bytes!("../../../../demo/braf-reads.bam.bai"),
    ),
    (
        "chip.narrowPeak",
        include_bytes!("../../../../demo/chip.narrowPeak"),
    ),
    ("genes.gff3", include_bytes!("../../../../demo/genes.gff3")),
    ("hits.tsv", include_bytes!("../../../../demo/hits.tsv")),
    ("peaks.bed", include_bytes!("../../../../demo/peaks.bed")),
    (
        "variants.vcf",
        include_bytes!("../../../../demo/variants.vcf"),
    ),
];

/// A name for this set of files: changes whenever a byte of them does.
fn content_tag() -> String {
    // FNV-1a: stable across builds and platforms (std's hashers are not).
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for (name, bytes) in FILES {
        for &b in name.as_bytes().iter().chain(bytes.iter()) {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

/// Where the demo goes: the user's cache directory, else the system's
/// temporary directory (a container with a read-only root mounts one).
fn candidates() -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        out.push(PathBuf::from(dir).join("igv-relay"));
    }
    if let Some(home) = std::env::var_os("HOME").filter(|d| !d.is_empty()) {
        out.push(PathBuf::from(home).join(".cache").join("igv-relay"));
    }
    out.push(std::env::temp_dir().join("igv-relay"));
    out
}

/// The directory holding the demo files, written there first if needed.
pub fn materialize() -> std::io::Result<PathBuf> {
    let tag = format!("demo-{}-{}", env!("CARGO_PKG_VERSION"), content_tag());
    let mut last_error = None;
    for parent in candidates() {
        let dir = parent.join(&tag);
        match write_into(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) => last_error = Some(e),
        }
    }
    Err(last_error.unwrap_or_else(|| std::io::Error::other("no directory to write the demo to")))
}

/// Writes every file that is missing or differs, each through a temporary
/// name so a concurrent start (several replicas, parallel tests) never
/// reads half a file.
fn write_into(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for (name, bytes) in FILES {
        let path = dir.join(name);
        if std::fs::read(&path).is_ok_and(|on_disk| on_disk == *bytes) {
            continue;
        }
        let temporary = dir.join(format!(".{name}.{}", std::process::id()));
        std::fs::write(&temporary, bytes)?;
        std::fs::rename(&temporary, &path)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_is_written_whole_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("demo");
        write_into(&target).unwrap();
        write_into(&target).unwrap();
        for (name, bytes) in FILES {
            assert_eq!(std::fs::read(target.join(name)).unwrap(), *bytes, "{name}");
        }
        let names: Vec<_> = std::fs::read_dir(&target).unwrap().collect();
        assert_eq!(names.len(), FILES.len(), "no temporary file is left behind");
    }

    #[test]
    fn the_demo_directory_is_named_after_the_content() {
        assert_eq!(content_tag(), content_tag());
        assert_eq!(content_tag().len(), 16);
    }
}
