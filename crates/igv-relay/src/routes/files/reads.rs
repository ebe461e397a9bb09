//! The reads a data-root file's page shows with its rows: `?reads=` (paths
//! in the same data root, space-separated; `none` for no reads), or, for a
//! VCF without it, the BAM/CRAM files beside it that its samples pair with
//! (`igv_relay_core::pairing`, scanned once per directory version). Builds
//! the page's "Reads" box ([`ReadsChoice`]).

use std::path::Path;

use igv_relay_core::formats::FormatKind;
use igv_relay_core::pairing::{self, AlignmentFile, AlignmentKind, Pairing};
use igv_relay_core::view::ReadsSource;
use url::Url;

use crate::error::AppError;
use crate::sources::local::{self, LocalPath};
use crate::state::AppState;
use crate::web::QueryParams;
use crate::web::reads::{NO_READS, ReadsChoice, ReadsEntry, ReadsQuery};

/// Files offered beside the loaded ones, listed on the page at most.
const MAX_OFFERED_SHOWN: usize = 50;

/// Most files `?reads=` may name (the relay's limit of one `/load`).
const MAX_CHOSEN: usize = igv_relay_core::domain::request::MAX_FILES;

/// The reads of `local`'s page and, for a VCF, the box that explains them.
/// `raw_url` is the raw URL of a path in `local`'s data root.
pub fn reads_for(
    state: &AppState,
    local: &LocalPath<'_>,
    kind: FormatKind,
    params: &QueryParams,
    raw_url: &dyn Fn(&str) -> Url,
) -> Result<(Vec<ReadsSource>, Option<ReadsChoice>), AppError> {
    let chosen = chosen(state, local, params, raw_url)?;
    if kind != FormatKind::Vcf {
        let reads = chosen.unwrap_or_default().into_iter().map(|(_, r)| r);
        return Ok((reads.collect(), None));
    }
    let dir = local.absolute.parent().unwrap_or(Path::new("/"));
    let samples = pairing::vcf_samples(&local.absolute, state.settings.limits.decompression())
        .unwrap_or_default();
    let scan = state.caches.reads.scan(dir);
    let prefix = match local.relative.rsplit_once('/') {
        Some((parent, _)) => format!("{parent}/"),
        None => String::new(),
    };
    let in_root = |file: &AlignmentFile| format!("{prefix}{}", file.relative);
    let mut pairing = pairing::pair(&samples, &scan);
    keep_inside_root(state, local, &mut pairing, &in_root);
    let explicit = chosen.is_some();
    let reads = match chosen {
        Some(reads) => reads,
        // One `/load` names at most MAX_CHOSEN files: the rest are offered.
        None => pairing
            .pairs
            .iter()
            .take(MAX_CHOSEN)
            .map(|p| {
                let path = in_root(&p.file);
                let source = source(raw_url, &path, &p.file, p.track_name());
                (path, source)
            })
            .collect(),
    };
    let choice = choice(&pairing, &reads, explicit, &in_root);
    let reads = reads.into_iter().map(|(_, r)| r).collect();
    let nothing_to_say = choice.loaded.is_empty()
        && choice.offered.is_empty()
        && choice.unusable.is_empty()
        && !explicit;
    Ok((reads, (!nothing_to_say).then_some(choice)))
}

/// A file reached through a link that leaves the data root is never
/// served: it is listed as unusable, with why.
fn keep_inside_root(
    state: &AppState,
    local: &LocalPath<'_>,
    pairing: &mut Pairing,
    in_root: &dyn Fn(&AlignmentFile) -> String,
) {
    // The walk follows no directory link and starts in the canonical
    // directory of the VCF: only a file that is itself a link can lead out.
    let inside = |file: &AlignmentFile| {
        !file.link
            || state
                .roots
                .resolve(&format!("{}/{}", local.root.name, in_root(file)))
                .is_ok()
    };
    const OUTSIDE: &str = "it lies outside the data root (a link), so it is not served";
    let (pairs, outside): (Vec<_>, Vec<_>) = std::mem::take(&mut pairing.pairs)
        .into_iter()
        .partition(|p| inside(&p.file));
    pairing.pairs = pairs;
    let (others, outside_others): (Vec<_>, Vec<_>) = std::mem::take(&mut pairing.others)
        .into_iter()
        .partition(|f| inside(f));
    pairing.others = others;
    pairing.unusable.extend(
        outside
            .into_iter()
            .map(|p| p.file)
            .chain(outside_others)
            .map(|f| (f, OUTSIDE.to_owned())),
    );
}

fn source(
    raw_url: &dyn Fn(&str) -> Url,
    path: &str,
    file: &AlignmentFile,
    name: String,
) -> ReadsSource {
    let file_url = raw_url(path).to_string();
    ReadsSource {
        index_url: file.index_suffix.map(|s| format!("{file_url}{s}")),
        file_url,
        name,
        format: file.kind.igv_format(),
    }
}

/// The box: loaded files with a "drop" link, usable others with "add",
/// unusable ones with why.
fn choice(
    pairing: &Pairing,
    reads: &[(String, ReadsSource)],
    explicit: bool,
    in_root: &dyn Fn(&AlignmentFile) -> String,
) -> ReadsChoice {
    let loaded_paths: Vec<String> = reads.iter().map(|(p, _)| p.clone()).collect();
    let without = |path: &str| {
        ReadsQuery::Only(
            loaded_paths
                .iter()
                .filter(|p| *p != path)
                .cloned()
                .collect(),
        )
    };
    let with = |path: &str| {
        let mut paths = loaded_paths.clone();
        paths.push(path.to_owned());
        ReadsQuery::Only(paths)
    };
    let samples_of = |file: &AlignmentFile| match &file.samples {
        Ok(s) if s.is_empty() => "no read group names a sample".to_owned(),
        Ok(s) => format!("SM {}", s.join(", ")),
        Err(_) => String::new(),
    };
    let mut choice = ReadsChoice {
        explicit,
        unpaired_samples: pairing.unpaired_samples.clone(),
        ..ReadsChoice::default()
    };
    for path in &loaded_paths {
        let pair = pairing.pairs.iter().find(|p| in_root(&p.file) == *path);
        let why = match (explicit, pair) {
            (false, Some(pair)) => pair.why(),
            (true, Some(pair)) => format!("chosen on this page; {}", pair.why()),
            (true, None) => "chosen on this page (?reads=)".to_owned(),
            (false, None) => String::new(),
        };
        let samples = reads
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, r)| r.name.clone())
            .unwrap_or_default();
        choice.loaded.push(ReadsEntry {
            path: path.clone(),
            samples,
            why,
            action: Some(without(path)),
        });
    }
    let candidates =
        pairing
            .pairs
            .iter()
            .map(|p| (&p.file, p.why()))
            .chain(pairing.others.iter().map(|f| {
                (
                    f,
                    "no read group names a sample of this file, nor does its name".to_owned(),
                )
            }));
    let mut not_shown = 0usize;
    for (file, why) in candidates {
        let path = in_root(file);
        if loaded_paths.contains(&path) {
            continue;
        }
        if choice.offered.len() >= MAX_OFFERED_SHOWN {
            not_shown += 1;
            continue;
        }
        choice.offered.push(ReadsEntry {
            samples: samples_of(file),
            path: path.clone(),
            why,
            // A full `/load` takes no more: drop one first.
            action: (loaded_paths.len() < MAX_CHOSEN).then(|| with(&path)),
        });
    }
    for (file, why) in &pairing.unusable {
        choice.unusable.push(ReadsEntry {
            path: in_root(file),
            samples: samples_of(file),
            why: why.clone(),
            action: None,
        });
    }
    if not_shown > 0 {
        choice.notes.push(format!(
            "{not_shown} more alignment files lie here (the list shows the first \
             {MAX_OFFERED_SHOWN}); name one in ?reads= to load it."
        ));
    }
    if !explicit && pairing.pairs.len() > MAX_CHOSEN {
        choice.notes.push(format!(
            "{} files pair with this file's samples; one IGV request loads at most \
             {MAX_CHOSEN}, so the first {MAX_CHOSEN} are loaded and the others offered.",
            pairing.pairs.len()
        ));
    }
    if pairing.truncated {
        choice.notes.push(format!(
            "The search for alignments stopped at its bound ({} files, {} directory \
             entries, {} levels down): some files may not be listed.",
            pairing::MAX_ALIGNMENT_FILES,
            pairing::MAX_ENTRIES,
            pairing::MAX_DEPTH
        ));
    }
    choice
}

/// `?reads=`: BAM or CRAM files of the same data root (paths relative to
/// it, space-separated), each with an index; `none`: no reads. `None`
/// without the parameter.
fn chosen(
    state: &AppState,
    local: &LocalPath<'_>,
    params: &QueryParams,
    raw_url: &dyn Fn(&str) -> Url,
) -> Result<Option<Vec<(String, ReadsSource)>>, AppError> {
    let Some(value) = params.non_empty("reads") else {
        return Ok(None);
    };
    if value.trim() == NO_READS {
        return Ok(Some(Vec::new()));
    }
    let paths: Vec<&str> = value.split_whitespace().collect();
    if paths.len() > MAX_CHOSEN {
        return Err(AppError::invalid(
            "reads",
            value,
            format!("at most {MAX_CHOSEN} files load together"),
        ));
    }
    let mut reads = Vec::with_capacity(paths.len());
    for reads_path in paths {
        let found = state
            .roots
            .resolve(&format!(
                "{}/{}",
                local.root.name,
                reads_path.trim_start_matches('/')
            ))
            .map_err(|e| AppError::invalid("reads", reads_path, e))?;
        let kind = local::sniff(&found.absolute, found.file_name(), local::PAGE_SNIFF_BYTES);
        let kind = match kind {
            Some(FormatKind::Bam) => AlignmentKind::Bam,
            Some(FormatKind::Cram) => AlignmentKind::Cram,
            _ => {
                return Err(AppError::invalid(
                    "reads",
                    reads_path,
                    "expected a BAM or CRAM file of the same data root (a path relative to it)",
                ));
            }
        };
        let index_suffix = kind.index_suffixes().iter().copied().find(|suffix| {
            let mut p = found.absolute.clone().into_os_string();
            p.push(suffix);
            Path::new(&p).is_file()
        });
        if index_suffix.is_none() {
            return Err(AppError::invalid(
                "reads",
                reads_path,
                "IGV needs an index next to the reads (.bai, .csi or .crai) to show a locus",
            ));
        }
        let samples = pairing::read_samples(&found.absolute, kind);
        let name = match &samples {
            Ok(s) if !s.is_empty() => s.join("+"),
            _ => found.file_name().to_owned(),
        };
        let file = AlignmentFile {
            relative: found.relative.clone(),
            kind,
            index_suffix,
            samples,
            link: false,
        };
        reads.push((
            found.relative.clone(),
            source(raw_url, &found.relative, &file, name),
        ));
    }
    Ok(Some(reads))
}
