#![allow(dead_code)]
//! The real-file corpus (`tests/http/real_files/corpus.tsv`): fetched and cached by
//! `scripts/fetch-real-files.sh`, skipped with a message locally when it cannot be,
//! a failure under `CI=true`.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::in_ci;

/// `None` after saying why on stderr, or a panic under CI.
fn skip(reason: &str) -> Option<PathBuf> {
    assert!(
        !in_ci(),
        "the real-file corpus is required when CI=true, but {reason}"
    );
    eprintln!("skipping: the real-file corpus test, because {reason}");
    None
}

/// Runs `scripts/fetch-real-files.sh` (cached after the first run); its last line is
/// the corpus directory.
pub fn corpus() -> Option<PathBuf> {
    if Command::new("bcftools").arg("--version").output().is_err() {
        return skip("bcftools is not installed (scripts/install-test-deps.sh installs it)");
    }
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    let out = match Command::new("bash")
        .arg(root.join("scripts/fetch-real-files.sh"))
        .output()
    {
        Ok(out) => out,
        Err(e) => return skip(&format!("scripts/fetch-real-files.sh could not run: {e}")),
    };
    if !out.status.success() {
        return skip(&format!(
            "scripts/fetch-real-files.sh failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    stdout.lines().last().map(PathBuf::from)
}
