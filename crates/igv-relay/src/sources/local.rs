//! Data roots: named directories of result files. A path from a request never
//! leaves its root: `..`, encoded dots, backslashes, NUL, absolute paths and
//! symlinks that point outside are all refused, and so are hidden (dot) files,
//! which listings do not show either.

use std::io::Read;
use std::path::{Component, Path, PathBuf};

use crate::configuration::{DataRootSettings, DataSettings};
use crate::sources::demo;
use igv_relay_core::formats::{self, FormatKind};

#[derive(Debug, Clone)]
pub struct DataRoot {
    pub name: String,
    pub path: PathBuf,
    pub genome: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct DataRoots {
    roots: Vec<DataRoot>,
}

/// A request path resolved inside a root.
#[derive(Debug, Clone)]
pub struct LocalPath<'a> {
    pub root: &'a DataRoot,
    /// Relative to the root, `/`-separated, as it appears in URLs.
    pub relative: String,
    /// Canonical absolute path on disk.
    pub absolute: PathBuf,
}

impl LocalPath<'_> {
    pub fn is_dir(&self) -> bool {
        self.absolute.is_dir()
    }

    pub fn file_name(&self) -> &str {
        self.relative.rsplit('/').next().unwrap_or(&self.relative)
    }

    /// `root/relative`, the path used in URLs.
    pub fn url_path(&self) -> String {
        if self.relative.is_empty() {
            format!("{}/", self.root.name)
        } else {
            format!("{}/{}", self.root.name, self.relative)
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PathError {
    #[error("the path {0:?} is not allowed: {1}")]
    Refused(String, &'static str),
    #[error("no data root is named {0:?}")]
    UnknownRoot(String),
    #[error("{0} does not exist")]
    NotFound(String),
}

/// Why the configured data roots cannot be served.
#[derive(Debug, thiserror::Error)]
pub enum RootsError {
    #[error("data root {name:?}: the directory {path} does not exist or cannot be read: {error}")]
    Missing {
        name: String,
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("data root {name:?}: {path} is not a directory")]
    NotADirectory { name: String, path: PathBuf },
    #[error("two data roots are named {0:?}")]
    Duplicate(String),
    #[error("cannot write the built-in demo files: {0}")]
    Demo(std::io::Error),
}

impl DataRoots {
    /// The configured roots, each checked to exist (a typo in a path is a
    /// start-up error naming it, not a listing that answers 404), and the
    /// built-in demo: shown when asked for (`data.demo: true`, `--demo`), or
    /// when no root is configured and it was not turned off.
    pub fn from_settings(data: &DataSettings) -> Result<Self, RootsError> {
        let mut roots = Vec::new();
        for root in &data.roots {
            let meta = std::fs::metadata(&root.path).map_err(|error| RootsError::Missing {
                name: root.name.clone(),
                path: root.path.clone(),
                error,
            })?;
            if !meta.is_dir() {
                return Err(RootsError::NotADirectory {
                    name: root.name.clone(),
                    path: root.path.clone(),
                });
            }
            if data.roots.iter().filter(|r| r.name == root.name).count() > 1 {
                return Err(RootsError::Duplicate(root.name.clone()));
            }
            roots.push(root.clone());
        }
        let show_demo = data.demo.unwrap_or(data.roots.is_empty());
        if show_demo && !roots.iter().any(|r| r.name == demo::ROOT_NAME) {
            roots.push(DataRootSettings {
                name: demo::ROOT_NAME.to_owned(),
                path: demo::materialize().map_err(RootsError::Demo)?,
                genome: Some(demo::GENOME.to_owned()),
            });
        }
        Ok(Self::new(&roots))
    }

    pub fn new(settings: &[DataRootSettings]) -> Self {
        let roots = settings
            .iter()
            .map(|r| DataRoot {
                name: r.name.clone(),
                path: r.path.clone(),
                genome: r.genome.clone(),
            })
            .collect();
        Self { roots }
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.roots.iter().map(|r| r.name.as_str())
    }

    pub fn all(&self) -> &[DataRoot] {
        &self.roots
    }

    pub fn unreadable(&self) -> impl Iterator<Item = &str> {
        self.roots
            .iter()
            .filter(|r| std::fs::read_dir(&r.path).is_err())
            .map(|r| r.name.as_str())
    }

    /// Resolves `root/sub/dir/file` (as decoded from a URL) to a file or
    /// directory inside that root.
    pub fn resolve(&self, request_path: &str) -> Result<LocalPath<'_>, PathError> {
        let refused = |why| PathError::Refused(request_path.to_owned(), why);
        if request_path.contains('\0') {
            return Err(refused("it contains a NUL byte"));
        }
        if request_path.contains('\\') {
            return Err(refused("it contains a backslash"));
        }
        if request_path.starts_with('/') {
            return Err(refused("it is absolute"));
        }
        let mut segments = request_path.split('/');
        let root_name = segments.next().unwrap_or("");
        let root = self
            .roots
            .iter()
            .find(|r| r.name == root_name)
            .ok_or_else(|| PathError::UnknownRoot(root_name.to_owned()))?;
        let mut relative = Vec::new();
        for segment in segments {
            match segment {
                "" => continue,
                "." | ".." => return Err(refused("it contains '..' or '.'")),
                // Listings hide dot files (`.git/`, `.env`, `.htpasswd`): a
                // typed URL must not reach what a listing never shows.
                s if s.starts_with('.') => return Err(refused("it names a hidden file")),
                s if s.contains('%') => return Err(refused("it contains an encoded character")),
                s => relative.push(s),
            }
        }
        let relative = relative.join("/");
        let joined = root.path.join(&relative);
        // Belt and braces: the lexical form must stay below the root too.
        if Path::new(&relative)
            .components()
            .any(|c| !matches!(c, Component::Normal(_)))
        {
            return Err(refused("it leaves its data root"));
        }
        let canonical_root = root
            .path
            .canonicalize()
            .map_err(|_| PathError::NotFound(root.name.clone()))?;
        let absolute = joined
            .canonicalize()
            .map_err(|_| PathError::NotFound(request_path.to_owned()))?;
        // Symlinks are followed by canonicalize; where they lead must still be inside.
        if !absolute.starts_with(&canonical_root) {
            return Err(refused("it leads outside its data root"));
        }
        Ok(LocalPath {
            root,
            relative,
            absolute,
        })
    }

    /// What a listing of directory `dir` shows: its entries that can be
    /// opened, sorted by name, without hidden (dot) files. A symlink out of the
    /// root is left out (opening it would answer 400, and its size would be
    /// the outside file's).
    pub fn list(&self, dir: &LocalPath<'_>) -> std::io::Result<Vec<DirEntry>> {
        let mut entries: Vec<DirEntry> = std::fs::read_dir(&dir.absolute)?
            .filter_map(Result::ok)
            .filter_map(|entry| {
                let name = entry.file_name().to_str()?.to_owned();
                if name.starts_with('.') {
                    return None;
                }
                let relative = if dir.relative.is_empty() {
                    name.clone()
                } else {
                    format!("{}/{name}", dir.relative)
                };
                let target = self
                    .resolve(&format!("{}/{relative}", dir.root.name))
                    .ok()?;
                let meta = std::fs::metadata(&target.absolute).ok()?;
                Some(DirEntry {
                    kind: if meta.is_dir() {
                        None
                    } else {
                        Some(sniff(&target.absolute, &name, LISTING_SNIFF_BYTES))
                    },
                    name,
                    relative,
                    is_dir: meta.is_dir(),
                    size: meta.len(),
                })
            })
            .collect();
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(entries)
    }
}

/// One entry of a directory listing.
#[derive(Debug, Clone)]
pub struct DirEntry {
    pub name: String,
    /// Relative to the root, `/`-separated.
    pub relative: String,
    pub is_dir: bool,
    pub size: u64,
    /// A file's format, from its name and first bytes (`None` for a directory,
    /// `Some(None)` for a file igv-relay does not read).
    pub kind: Option<Option<FormatKind>>,
}

/// Bytes read from the start of a file to recognise its format when a page
/// opens it, and when a listing names it (a listing reads every file's head,
/// so less).
pub const PAGE_SNIFF_BYTES: u64 = 64 * 1024;
const LISTING_SNIFF_BYTES: u64 = 8 * 1024;

/// The format of the file at `path`, from its name and its first `bytes`:
/// the same detector whether a page opens the file or a listing names it.
pub fn sniff(path: &Path, name: &str, bytes: u64) -> Option<FormatKind> {
    let mut head = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(bytes).read_to_end(&mut head))
        .ok()?;
    formats::detect(name, &head)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roots(dir: &Path) -> DataRoots {
        DataRoots::new(&[DataRootSettings {
            name: "r".into(),
            path: dir.to_path_buf(),
            genome: None,
        }])
    }

    #[test]
    fn traversal_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.bed"), "chr1\t1\t2\n").unwrap();
        let r = roots(dir.path());
        assert!(r.resolve("r/a.bed").is_ok());
        for bad in [
            "r/../etc/passwd",
            "r/..",
            "/etc/passwd",
            "r/..\\x",
            "r/%2e%2e/x",
            "r/a\0",
        ] {
            assert!(
                matches!(r.resolve(bad), Err(PathError::Refused(..))),
                "{bad}"
            );
        }
        assert!(matches!(
            r.resolve("nope/a.bed"),
            Err(PathError::UnknownRoot(_))
        ));
    }

    #[test]
    fn hidden_files_and_directories_are_refused_like_listings_hide_them() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".htpasswd"), "admin:x").unwrap();
        std::fs::create_dir(dir.path().join(".git")).unwrap();
        std::fs::write(dir.path().join(".git").join("config"), "[remote]").unwrap();
        std::fs::write(dir.path().join("a.bed.bai"), "x").unwrap();
        let r = roots(dir.path());
        for bad in ["r/.htpasswd", "r/.git/config", "r/.git", "r/sub/.x"] {
            assert!(
                matches!(r.resolve(bad), Err(PathError::Refused(..))),
                "{bad}"
            );
        }
        assert!(r.resolve("r/a.bed.bai").is_ok());
    }

    #[test]
    fn symlinks_out_of_the_root_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret.txt"), "x").unwrap();
        std::os::unix::fs::symlink(
            outside.path().join("secret.txt"),
            dir.path().join("link.bed"),
        )
        .unwrap();
        let r = roots(dir.path());
        assert!(matches!(
            r.resolve("r/link.bed"),
            Err(PathError::Refused(..))
        ));
    }
}
