//! The BAM/CRAM datasets of a Galaxy history, each with the samples its read
//! groups name (`@RG SM:`), for pairing with a VCF dataset of the same
//! history (`routes::galaxy::reads`).
//!
//! The history's contents are listed once per history version (Galaxy's
//! `update_time` of the history, which changes when a dataset is added,
//! removed or changed): [`HistoryScans`] keeps the scans, bounded, in the
//! Galaxy client. Every dataset is asked for by itself
//! ([`GalaxyClient::dataset`]) with the relay's key, so one Galaxy refuses
//! is counted as refused and nothing else of it is kept; a readable one's
//! header is read from its first bytes with one Range request, and the URL
//! IGV loads it from is the one its igv-relay display application gives.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};

use futures_util::future::join_all;
use reqwest::header::RANGE;
use serde::Deserialize;
use url::Url;

use igv_relay_core::pairing::{self, AlignmentKind};

use super::{Dataset, DatasetId, GalaxyClient, GalaxyError, Readiness};

/// Most alignment datasets of one history looked at (each costs Galaxy a
/// few requests, once per history version).
pub const MAX_HISTORY_ALIGNMENTS: usize = 50;
/// Bytes of a dataset's start read for its header (a BAM's read groups
/// come first; a longer header pairs with nothing, said so).
const HEADER_BYTES: usize = 1 << 20;
/// Histories whose scans are kept.
const MAX_HISTORIES: usize = 64;

/// One readable BAM/CRAM dataset of a history.
#[derive(Clone, Debug)]
pub struct HistoryAlignment {
    pub id: String,
    pub name: String,
    pub kind: AlignmentKind,
    /// The read groups' `SM` values, or why the header could not be read.
    pub samples: Result<Vec<String>, String>,
    /// The URL IGV loads it from (an igv-relay display application's data
    /// URL; the index is the same URL plus its suffix), or why there is none.
    pub data_url: Result<Url, String>,
}

impl HistoryAlignment {
    /// The index URL IGV finds next to the data URL.
    pub fn index_url(&self) -> Option<String> {
        let url = self.data_url.as_ref().ok()?;
        let suffix = match self.kind {
            AlignmentKind::Bam => ".bai",
            AlignmentKind::Cram => ".crai",
        };
        Some(format!("{url}{suffix}"))
    }
}

/// A history's alignment datasets.
#[derive(Clone, Debug, Default)]
pub struct HistoryAlignments {
    pub datasets: Vec<HistoryAlignment>,
    /// Datasets Galaxy refused the relay's key (not named anywhere).
    pub refused: usize,
    /// The history holds more than [`MAX_HISTORY_ALIGNMENTS`].
    pub truncated: bool,
}

/// A scan with the history version it was made at.
type KeptScan = (String, Arc<HistoryAlignments>);

/// Scans by history id, each with the history version it was made at;
/// at most [`MAX_HISTORIES`], the oldest forgotten first.
#[derive(Default)]
pub struct HistoryScans {
    inner: Mutex<(HashMap<String, KeptScan>, VecDeque<String>)>,
}

impl std::fmt::Debug for HistoryScans {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HistoryScans")
    }
}

impl HistoryScans {
    fn kept(&self, history: &str, version: &str) -> Option<Arc<HistoryAlignments>> {
        let inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner
            .0
            .get(history)
            .filter(|(v, _)| v == version)
            .map(|(_, scan)| scan.clone())
    }

    fn keep(&self, history: &str, version: String, scan: Arc<HistoryAlignments>) {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let (map, order) = &mut *inner;
        if map.insert(history.to_owned(), (version, scan)).is_none() {
            order.push_back(history.to_owned());
        }
        while map.len() > MAX_HISTORIES {
            match order.pop_front() {
                Some(oldest) => {
                    map.remove(&oldest);
                }
                None => break,
            }
        }
    }
}

#[derive(Deserialize)]
struct HistoryVersion {
    #[serde(default)]
    update_time: Option<String>,
}

#[derive(Deserialize)]
struct ContentItem {
    #[serde(default)]
    id: String,
    #[serde(default)]
    history_content_type: Option<String>,
}

impl GalaxyClient {
    /// The BAM/CRAM datasets of `history` (at most
    /// [`MAX_HISTORY_ALIGNMENTS`]), scanned once per history version.
    #[tracing::instrument(skip(self), fields(galaxy = %self.base))]
    pub async fn history_alignments(
        &self,
        history: &DatasetId,
    ) -> Result<Arc<HistoryAlignments>, GalaxyError> {
        let what = format!("reading the history {history}");
        let url = self.api_url(&format!("api/histories/{history}?keys=update_time"))?;
        let response = self.send(self.with_key(self.http.get(url)), &what).await?;
        let version: HistoryVersion = self.read_json(response, &what).await?;
        let version = version.update_time.unwrap_or_default();
        if let Some(scan) = self.history_scans.kept(history.as_str(), &version) {
            return Ok(scan);
        }
        let what = format!("listing the alignments of history {history}");
        let url = self.api_url(&format!(
            "api/histories/{history}/contents?v=dev&keys=id,history_content_type\
             &q=extension-in&qv=bam,cram&q=deleted&qv=false&q=purged&qv=false\
             &order=hid-asc&limit={}",
            MAX_HISTORY_ALIGNMENTS + 1
        ))?;
        let response = self.send(self.with_key(self.http.get(url)), &what).await?;
        let items: Vec<ContentItem> = self.read_json(response, &what).await?;
        let ids: Vec<&str> = items
            .iter()
            .filter(|i| i.history_content_type.as_deref().unwrap_or("dataset") == "dataset")
            .map(|i| i.id.as_str())
            .collect();
        let scan = Arc::new(self.alignments_among(&ids).await);
        self.history_scans
            .keep(history.as_str(), version, scan.clone());
        Ok(scan)
    }

    /// The BAM/CRAM datasets among a collection's datasets (`ids`, the
    /// collection's, which Galaxy never changes once it is populated), kept
    /// as a history's are.
    #[tracing::instrument(skip(self, ids), fields(galaxy = %self.base))]
    pub async fn collection_alignments(
        &self,
        collection: &DatasetId,
        ids: &[&str],
    ) -> Arc<HistoryAlignments> {
        let key = format!("collection {collection}");
        let version = ids.join(",");
        if let Some(scan) = self.history_scans.kept(&key, &version) {
            return scan;
        }
        let scan = Arc::new(self.alignments_among(ids).await);
        self.history_scans.keep(&key, version, scan.clone());
        scan
    }

    /// The alignments among `ids`, at most [`MAX_HISTORY_ALIGNMENTS`] looked at.
    async fn alignments_among(&self, ids: &[&str]) -> HistoryAlignments {
        let truncated = ids.len() > MAX_HISTORY_ALIGNMENTS;
        let looked = join_all(
            ids.iter()
                .take(MAX_HISTORY_ALIGNMENTS)
                .map(|id| self.history_alignment(id)),
        )
        .await;
        let mut scan = HistoryAlignments {
            truncated,
            ..HistoryAlignments::default()
        };
        for found in looked {
            match found {
                Looked::Refused => scan.refused += 1,
                Looked::Skipped => {}
                Looked::Alignment(a) => scan.datasets.push(a),
            }
        }
        scan
    }

    /// One dataset of the listing, asked for by itself.
    async fn history_alignment(&self, id: &str) -> Looked {
        let Ok(dataset) = DatasetId::parse(id) else {
            return Looked::Skipped;
        };
        let meta = match self.dataset(&dataset).await {
            Ok(meta) => meta,
            Err(e) if refused(&e) => return Looked::Refused,
            Err(e) => {
                return Looked::Alignment(HistoryAlignment {
                    id: id.to_owned(),
                    name: format!("dataset {id}"),
                    kind: AlignmentKind::Bam,
                    samples: Err(e.to_string()),
                    data_url: Err(e.to_string()),
                });
            }
        };
        let kind = match meta.extension() {
            "cram" => AlignmentKind::Cram,
            "bam" => AlignmentKind::Bam,
            _ => return Looked::Skipped,
        };
        if meta.readiness() != Readiness::Ready {
            return Looked::Skipped;
        }
        let samples = match self.dataset_start(&dataset).await {
            Ok(head) => pairing::header_samples(head.as_slice(), kind),
            Err(e) if refused(&e) => return Looked::Refused,
            Err(e) => Err(e.to_string()),
        };
        Looked::Alignment(HistoryAlignment {
            id: id.to_owned(),
            name: meta.name().to_owned(),
            kind,
            samples,
            data_url: self.igv_data_url(&dataset, &meta).await,
        })
    }

    /// The URL IGV loads the dataset from: its igv-relay display
    /// application's data URL.
    pub async fn igv_data_url(&self, id: &DatasetId, meta: &Dataset) -> Result<Url, String> {
        let Some((app, link)) = meta.relay_display_link(&self.display_app_prefix) else {
            return Err(format!(
                "Galaxy lists no igv-relay display application (ids starting with {:?}) for \
                 it, so IGV has no URL to load it from",
                self.display_app_prefix
            ));
        };
        match self.display_data_url(id, &app, &link).await {
            Ok(Some(url)) => Ok(url),
            Ok(None) => {
                Err("Galaxy is still preparing its display link; reload in a moment".into())
            }
            Err(e) => Err(e.to_string()),
        }
    }

    /// The first [`HEADER_BYTES`] of a dataset (fewer when it is shorter),
    /// with one Range request through the API.
    async fn dataset_start(&self, id: &DatasetId) -> Result<Vec<u8>, GalaxyError> {
        let what = format!("reading the header of dataset {id}");
        let mut url = self.api_url(&format!("api/datasets/{id}/display"))?;
        url.query_pairs_mut().append_pair("preview", "false");
        let request = self
            .with_key(self.http.get(url))
            .header(RANGE, format!("bytes=0-{}", HEADER_BYTES - 1));
        let mut response = self.send(request, &what).await?;
        if super::is_html(&response) {
            return Err(self.html_page(response, &what).await);
        }
        // A server that ignores Range sends everything: stop at the bound.
        let mut out = Vec::new();
        while out.len() < HEADER_BYTES {
            let chunk = tokio::time::timeout(self.timeout, response.chunk())
                .await
                .map_err(|_| self.timed_out(&what))?
                .map_err(|e| self.request_error(&e, &what))?;
            let Some(chunk) = chunk else { break };
            out.extend_from_slice(&chunk);
        }
        out.truncate(HEADER_BYTES);
        self.fetched
            .fetch_add(out.len() as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(out)
    }
}

enum Looked {
    Refused,
    Skipped,
    Alignment(HistoryAlignment),
}

/// Galaxy's answer for a dataset the key may not read: 403 (401 without a
/// user).
pub fn refused(e: &GalaxyError) -> bool {
    matches!(e, GalaxyError::Status { status, .. }
        if status.starts_with("403") || status.starts_with("401"))
}
