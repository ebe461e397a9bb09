//! The reads of a Galaxy VCF dataset's page: the BAM/CRAM datasets of its
//! history whose read groups' `SM` name a sample of the VCF
//! (`sources::galaxy::history`), or those `?reads=` names (dataset ids of
//! the history, space-separated; `none` for no reads). Builds the page's
//! "Reads" box as a data-root VCF's page has it (`web::reads`).

use igv_relay_core::domain::request::MAX_FILES;
use igv_relay_core::view::ReadsSource;

use crate::error::AppError;
use crate::sources::galaxy::{
    Dataset, DatasetId, GalaxyClient, HistoryAlignment, HistoryAlignments, MAX_HISTORY_ALIGNMENTS,
};
use crate::web::QueryParams;
use crate::web::reads::{NO_READS, ReadsChoice, ReadsEntry, ReadsQuery};

/// Where a VCF dataset's alignments are looked for.
pub enum Among {
    /// The dataset's own history.
    History,
    /// A collection's datasets (`?collection=` on a page linked from the
    /// collection's page).
    Collection(DatasetId),
}

/// The reads of the page of `meta` (a VCF dataset), and its "Reads" box.
pub async fn dataset_reads(
    galaxy: &GalaxyClient,
    meta: &Dataset,
    among: &Among,
    params: &QueryParams,
) -> Result<(Vec<ReadsSource>, Option<ReadsChoice>), AppError> {
    let (scan, scope) = match among {
        Among::History => {
            let Some(history) = meta
                .history_id
                .as_deref()
                .and_then(|h| DatasetId::parse(h).ok())
            else {
                return Ok((Vec::new(), None));
            };
            (
                galaxy.history_alignments(&history).await,
                HISTORY_SCOPE.to_owned(),
            )
        }
        Among::Collection(id) => {
            let scan = match galaxy.collection(id).await {
                Ok(collection) => {
                    let datasets = collection.datasets();
                    let ids: Vec<&str> = datasets.iter().map(|(_, id)| id.as_str()).collect();
                    Ok(galaxy.collection_alignments(id, &ids).await)
                }
                Err(e) => Err(e),
            };
            (
                scan,
                "the BAM/CRAM datasets of the Galaxy collection this page was opened from"
                    .to_owned(),
            )
        }
    };
    let scan = match scan {
        Ok(scan) => scan,
        Err(e) => {
            tracing::warn!(error = %e, "no alignments to pair with");
            let choice = ReadsChoice {
                notes: vec![format!(
                    "The alignments to pair with could not be listed: {e}."
                )],
                scope: Some(scope),
                ..ReadsChoice::default()
            };
            return Ok((Vec::new(), Some(choice)));
        }
    };
    let samples = meta.sample_names.clone().unwrap_or_default();
    pair(&scan, &samples, params.non_empty("reads"), scope)
}

/// The paired datasets' names among `scan`'s for `samples`, for a
/// collection's page (no `?reads=`).
pub fn paired_names(scan: &HistoryAlignments, samples: &[String]) -> Vec<String> {
    scan.datasets
        .iter()
        .filter(|d| d.data_url.is_ok())
        .filter(|d| {
            d.samples
                .as_ref()
                .is_ok_and(|all| all.iter().any(|s| samples.contains(s)))
        })
        .map(|d| d.name.clone())
        .collect()
}

const HISTORY_SCOPE: &str = "the BAM/CRAM datasets of this dataset's Galaxy history";

/// A usable dataset paired with samples of the VCF (none: not paired).
struct Candidate<'a> {
    dataset: &'a HistoryAlignment,
    url: String,
    paired: Vec<String>,
    all: Vec<String>,
}

impl Candidate<'_> {
    fn label(&self) -> String {
        label(self.dataset)
    }

    fn source(&self, name: String) -> ReadsSource {
        ReadsSource {
            file_url: self.url.clone(),
            index_url: self.dataset.index_url(),
            name,
            format: self.dataset.kind.igv_format(),
        }
    }
}

fn label(dataset: &HistoryAlignment) -> String {
    format!("{} (dataset {})", dataset.name, dataset.id)
}

/// Pairs the scan's datasets with `samples`; `chosen` is `?reads=`.
fn pair(
    scan: &HistoryAlignments,
    samples: &[String],
    chosen: Option<&str>,
    scope: String,
) -> Result<(Vec<ReadsSource>, Option<ReadsChoice>), AppError> {
    let mut usable: Vec<Candidate<'_>> = Vec::new();
    let mut choice = ReadsChoice {
        scope: Some(scope),
        ..ReadsChoice::default()
    };
    for dataset in &scan.datasets {
        let why = match (&dataset.samples, &dataset.data_url) {
            (Err(why), _) => format!("its header cannot be read: {why}"),
            (_, Err(why)) => why.clone(),
            (Ok(all), Ok(url)) => {
                usable.push(Candidate {
                    dataset,
                    url: url.to_string(),
                    paired: all
                        .iter()
                        .filter(|s| samples.contains(s))
                        .cloned()
                        .collect(),
                    all: all.clone(),
                });
                continue;
            }
        };
        choice.unusable.push(ReadsEntry {
            path: label(dataset),
            samples: String::new(),
            why,
            action: None,
        });
    }
    let loaded: Vec<(&Candidate<'_>, String)> = match chosen.map(str::trim) {
        Some(NO_READS) => Vec::new(),
        Some(ids) => chosen_ones(&usable, ids)?,
        None => usable
            .iter()
            .filter(|c| !c.paired.is_empty())
            .take(MAX_FILES)
            .map(|c| (c, c.paired.join("+")))
            .collect(),
    };
    choice.explicit = chosen.is_some();
    let loaded_ids: Vec<String> = loaded.iter().map(|(c, _)| c.dataset.id.clone()).collect();
    let why = |c: &Candidate<'_>| {
        if c.paired.is_empty() {
            "no read group names a sample of this file".to_owned()
        } else {
            format!("its read groups' SM is {}", c.paired.join(", "))
        }
    };
    for (c, name) in &loaded {
        let why = if choice.explicit {
            format!("chosen on this page; {}", why(c))
        } else {
            why(c)
        };
        let rest = loaded_ids.iter().filter(|id| **id != c.dataset.id);
        choice.loaded.push(ReadsEntry {
            path: c.label(),
            samples: name.clone(),
            why,
            action: Some(ReadsQuery::Only(rest.cloned().collect())),
        });
    }
    for c in usable
        .iter()
        .filter(|c| !loaded_ids.contains(&c.dataset.id))
    {
        let mut with = loaded_ids.clone();
        with.push(c.dataset.id.clone());
        choice.offered.push(ReadsEntry {
            path: c.label(),
            samples: match c.all.is_empty() {
                true => "no read group names a sample".to_owned(),
                false => format!("SM {}", c.all.join(", ")),
            },
            why: why(c),
            action: (loaded_ids.len() < MAX_FILES).then_some(ReadsQuery::Only(with)),
        });
    }
    choice.unpaired_samples = samples
        .iter()
        .filter(|s| !usable.iter().any(|c| c.paired.contains(s)))
        .cloned()
        .collect();
    notes(&mut choice, scan, &usable);
    let reads = loaded
        .iter()
        .map(|(c, name)| c.source(name.clone()))
        .collect();
    let nothing_to_say = choice.loaded.is_empty()
        && choice.offered.is_empty()
        && choice.unusable.is_empty()
        && choice.notes.is_empty()
        && !choice.explicit;
    Ok((reads, (!nothing_to_say).then_some(choice)))
}

/// `?reads=`: ids of usable datasets of the history.
fn chosen_ones<'c, 'a>(
    usable: &'c [Candidate<'a>],
    ids: &str,
) -> Result<Vec<(&'c Candidate<'a>, String)>, AppError> {
    let ids: Vec<&str> = ids.split_whitespace().collect();
    if ids.len() > MAX_FILES {
        return Err(AppError::invalid(
            "reads",
            &ids.join(" "),
            format!("at most {MAX_FILES} files load together"),
        ));
    }
    ids.into_iter()
        .map(|id| {
            let c = usable.iter().find(|c| c.dataset.id == id).ok_or_else(|| {
                AppError::invalid(
                    "reads",
                    id,
                    "expected the id of a readable, indexed BAM or CRAM dataset among those \
                     this page pairs with (its history, or its collection)",
                )
            })?;
            let name = match c.all.is_empty() {
                true => c.dataset.name.clone(),
                false => c.all.join("+"),
            };
            Ok((c, name))
        })
        .collect()
}

fn notes(choice: &mut ReadsChoice, scan: &HistoryAlignments, usable: &[Candidate<'_>]) {
    if scan.refused > 0 {
        choice.notes.push(format!(
            "{} alignment dataset{} of those looked at cannot be read with the relay's Galaxy \
             API key, so {} not offered.",
            scan.refused,
            if scan.refused == 1 { "" } else { "s" },
            if scan.refused == 1 {
                "it is"
            } else {
                "they are"
            },
        ));
    }
    if scan.truncated {
        choice.notes.push(format!(
            "The history holds more than {MAX_HISTORY_ALIGNMENTS} BAM/CRAM datasets; only \
             the first {MAX_HISTORY_ALIGNMENTS} were looked at."
        ));
    }
    let paired = usable.iter().filter(|c| !c.paired.is_empty()).count();
    if !choice.explicit && paired > MAX_FILES {
        choice.notes.push(format!(
            "{paired} datasets pair with this file's samples; one IGV request loads at most \
             {MAX_FILES}, so the first {MAX_FILES} are loaded and the others offered."
        ));
    }
}
