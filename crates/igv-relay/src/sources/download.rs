//! Files the configuration names by URL (a genome's gene annotation),
//! downloaded once into a cache directory and read from there afterwards.
//!
//! Only URLs an administrator wrote into the configuration are fetched, at
//! start-up; nothing a request says is.

use std::fs::File;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
#[error("gene annotation {url}: cannot download it: {error}")]
pub struct DownloadError {
    pub url: String,
    pub error: String,
}

/// A gene annotation given as a URL is downloaded once into `cache_dir` (by
/// URL) and indexed like a file; without a cache directory it is refused.
pub fn fetch_to_cache(url: &str, cache_dir: Option<&Path>) -> Result<PathBuf, DownloadError> {
    let fail = |error: String| DownloadError {
        url: url.to_owned(),
        error,
    };
    let dir = cache_dir
        .ok_or_else(|| fail("no cache directory (genes.cache_dir) to keep it in".into()))?;
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    url.hash(&mut hasher);
    let name = url.rsplit('/').next().unwrap_or("annotation");
    let safe: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        .take(60)
        .collect();
    let path = dir.join(format!("download-{:016x}-{safe}", hasher.finish()));
    if path.is_file() {
        return Ok(path);
    }
    std::fs::create_dir_all(dir).map_err(|e| fail(e.to_string()))?;
    let url_owned = url.to_owned();
    let tmp = path.with_extension("part");
    let tmp_thread = tmp.clone();
    // reqwest's blocking client must not run on an async runtime's thread.
    let result = std::thread::spawn(move || -> Result<(), String> {
        let mut response = reqwest::blocking::Client::builder()
            .timeout(std::time::Duration::from_secs(600))
            .build()
            .map_err(|e| e.to_string())?
            .get(&url_owned)
            .send()
            .map_err(|e| e.to_string())?;
        if !response.status().is_success() {
            return Err(format!("HTTP {}", response.status()));
        }
        let mut file = File::create(&tmp_thread).map_err(|e| e.to_string())?;
        response.copy_to(&mut file).map_err(|e| e.to_string())?;
        Ok(())
    })
    .join()
    .map_err(|_| fail("the download thread failed".into()))?;
    result.map_err(fail)?;
    std::fs::rename(&tmp, &path).map_err(|e| fail(e.to_string()))?;
    Ok(path)
}
