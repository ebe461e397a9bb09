//! Galaxy: a typed client for the few calls igv-relay makes, and how Galaxy
//! datatypes map to igv-relay's formats.
//!
//! One `reqwest::Client` is built at start-up: connect and read timeouts, no
//! redirects (a redirect from Galaxy is usually its login page, and following
//! one could leave the configured origin). The API key goes in the `x-api-key`
//! header, never in a URL, and only to `galaxy.url`. Dataset bodies are
//! streamed (see [`body`]); metadata is read up to a size limit.

mod body;
mod collections;
mod datatypes;
mod history;
mod ranged;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, HeaderValue, LOCATION};
use reqwest::{RequestBuilder, Response, StatusCode};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::configuration::{ApiKey, ConfigError, GalaxySettings};

pub use self::body::{BodyReader, Failure};
pub use self::collections::{Collection, MAX_COLLECTION_DATASETS};
pub use self::datatypes::{ColumnMetadata, GalaxyFormat, SUPPORTED_DATATYPES, for_extension};
pub use self::history::{HistoryAlignment, HistoryAlignments, MAX_HISTORY_ALIGNMENTS, refused};
pub use self::ranged::{DatasetBody, HEAD_WINDOW, RangedDataset};

/// Most bytes of an HTML page read to say what it is about.
const HTML_EXCERPT_BYTES: usize = 64 * 1024;

/// A dataset's encoded id, as in `/api/datasets/{id}` (`02d2d859f4bdc686`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DatasetId(String);

impl DatasetId {
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.is_empty() || text.len() > 64 || !text.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(
                "a Galaxy dataset id is the encoded id Galaxy shows in the dataset's URLs, \
                 letters and digits such as 02d2d859f4bdc686"
                    .to_owned(),
            );
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for DatasetId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What went wrong talking to Galaxy, in words for the person who clicked.
#[derive(Clone, Debug, thiserror::Error)]
pub enum GalaxyError {
    #[error("Galaxy at {origin} cannot be reached ({detail}) while {what}")]
    Unreachable {
        origin: String,
        what: String,
        detail: String,
    },
    #[error("Galaxy did not answer within {secs} s while {what}")]
    Timeout { what: String, secs: u64 },
    #[error("Galaxy answered {status} while {what}{hint}")]
    Status {
        what: String,
        status: String,
        hint: &'static str,
    },
    #[error("Galaxy has no dataset {0} that the relay's API key can see")]
    NoSuchDataset(String),
    #[error("Galaxy has no collection {0} that the relay's API key can see")]
    NoSuchCollection(String),
    #[error(
        "Galaxy redirected to {location} while {what} (a login page?), so there is no data to show"
    )]
    Redirected { what: String, location: String },
    #[error(
        "Galaxy sent an HTML page instead of the dataset's contents while {what}. Galaxy does this \
         when the dataset is private or was deleted, or the link lost its user part; open the \
         dataset from your Galaxy history again (or make it accessible). Galaxy's page says: {excerpt}"
    )]
    HtmlPage { what: String, excerpt: String },
    #[error("the connection to Galaxy broke while {what}, before all the data arrived ({detail})")]
    Broken { what: String, detail: String },
    #[error("Galaxy's answer while {what} is not what the relay expects: {detail}")]
    Unexpected { what: String, detail: String },
    #[error(
        "the dataset is larger than the {limit} bytes this relay reads from Galaxy for one page \
         (galaxy.max_dataset_bytes); filter by chromosome, or open it in IGV"
    )]
    TooLarge { limit: u64 },
}

/// Dataset metadata, as `GET /api/datasets/{id}` returns it (detailed view).
/// Only the fields the relay uses; all optional so other Galaxy versions parse.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct Dataset {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub extension: Option<String>,
    #[serde(default)]
    pub file_ext: Option<String>,
    #[serde(default)]
    pub genome_build: Option<String>,
    /// The history the dataset is in (its alignments pair with a VCF).
    #[serde(default)]
    pub history_id: Option<String>,
    #[serde(default)]
    pub file_size: Option<u64>,
    /// When Galaxy last changed the dataset (`2026-12-06T06:10:04.272936`):
    /// remembered row offsets are kept per update time.
    #[serde(default)]
    pub update_time: Option<String>,
    #[serde(default)]
    pub deleted: Option<bool>,
    #[serde(default)]
    pub purged: Option<bool>,
    #[serde(default)]
    pub misc_blurb: Option<String>,
    #[serde(default)]
    pub misc_info: Option<String>,
    #[serde(default, rename = "metadata_chromCol")]
    pub chrom_col: Option<serde_json::Value>,
    #[serde(default, rename = "metadata_startCol")]
    pub start_col: Option<serde_json::Value>,
    #[serde(default, rename = "metadata_endCol")]
    pub end_col: Option<serde_json::Value>,
    #[serde(default, rename = "metadata_strandCol")]
    pub strand_col: Option<serde_json::Value>,
    #[serde(default, rename = "metadata_sample_names")]
    pub sample_names: Option<Vec<String>>,
    #[serde(default)]
    pub display_apps: Option<Vec<DisplayApp>>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct DisplayApp {
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub links: Vec<DisplayLink>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct DisplayLink {
    #[serde(default)]
    pub href: Option<String>,
    #[serde(default)]
    pub app_name: Option<String>,
    #[serde(default)]
    pub link_name: Option<String>,
}

/// Where a dataset is in Galaxy's life cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Readiness {
    Ready,
    /// Queued, running, setting metadata...: worth waiting for.
    Waiting,
    /// Error, failed metadata, discarded, deleted: waiting will not help.
    Failed,
}

impl Dataset {
    pub fn extension(&self) -> &str {
        self.extension
            .as_deref()
            .or(self.file_ext.as_deref())
            .unwrap_or("")
    }

    pub fn state(&self) -> &str {
        self.state.as_deref().unwrap_or("unknown")
    }

    pub fn dbkey(&self) -> &str {
        self.genome_build.as_deref().unwrap_or("?")
    }

    pub fn name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.id)
    }

    pub fn readiness(&self) -> Readiness {
        if self.deleted == Some(true) || self.purged == Some(true) {
            return Readiness::Failed;
        }
        match self.state() {
            "ok" => Readiness::Ready,
            "new" | "upload" | "queued" | "running" | "setting_metadata" | "deferred"
            | "paused" | "requested" => Readiness::Waiting,
            _ => Readiness::Failed,
        }
    }

    /// The interval column metadata (1-based column numbers).
    pub fn columns(&self) -> ColumnMetadata {
        ColumnMetadata {
            chrom: column_number(self.chrom_col.as_ref()),
            start: column_number(self.start_col.as_ref()),
            end: column_number(self.end_col.as_ref()),
        }
    }

    /// igv-relay's own display-application link for this dataset, if Galaxy
    /// lists one: `(app_name, link_name)`.
    pub fn relay_display_link(&self, prefix: &str) -> Option<(String, String)> {
        self.display_apps
            .iter()
            .flatten()
            .flat_map(|app| &app.links)
            .find_map(|link| match (&link.app_name, &link.link_name) {
                (Some(app), Some(name)) if app.starts_with(prefix) => {
                    Some((app.clone(), name.clone()))
                }
                _ => None,
            })
    }
}

/// A metadata column number: Galaxy sends an integer, `null`, or (old
/// versions) a string; `0` means "none".
fn column_number(value: Option<&serde_json::Value>) -> Option<usize> {
    let n = match value? {
        serde_json::Value::Number(n) => n.as_u64()?,
        serde_json::Value::String(s) => s.trim().parse().ok()?,
        _ => return None,
    };
    usize::try_from(n).ok().filter(|n| *n > 0)
}

#[derive(Deserialize)]
struct CreateLinkFeedback {
    #[serde(default)]
    resource: Option<String>,
    #[serde(default)]
    refresh: Option<bool>,
}

/// The Galaxy API and data URLs, for one configured Galaxy.
#[derive(Clone, Debug)]
pub struct GalaxyClient {
    http: reqwest::Client,
    base: Url,
    api_key: ApiKey,
    timeout: Duration,
    max_dataset_bytes: u64,
    max_metadata_bytes: usize,
    display_app_prefix: String,
    /// Bytes of dataset contents received from Galaxy since start-up.
    fetched: Arc<AtomicU64>,
    /// Datasets' first windows, kept between pages (`ranged`).
    first_windows: Arc<ranged::FirstWindows>,
    /// Histories' alignment datasets, kept per history version (`history`).
    history_scans: Arc<history::HistoryScans>,
}

impl GalaxyClient {
    /// `None` when `galaxy.url` is empty. `base` is `Settings::galaxy_url`.
    pub fn new(settings: &GalaxySettings, base: Option<Url>) -> Result<Option<Self>, ConfigError> {
        let Some(base) = base else {
            return Ok(None);
        };
        let timeout = Duration::from_secs(settings.timeout_secs.max(1));
        // Only Galaxy's own host and port are ever connected to, checked again
        // after DNS resolution (src/sources/remote.rs); Galaxy's redirects are
        // not followed at all.
        let policy = crate::sources::remote::RemotePolicy::for_base_url(&base)
            .map_err(|e| ConfigError::Invalid(format!("galaxy.url: {e}")))?;
        let http = policy
            .client_builder(
                Duration::from_secs(settings.connect_timeout_secs.max(1)),
                timeout,
            )
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("igv-relay/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ConfigError::Invalid(format!("cannot set up the Galaxy client: {e}")))?;
        Ok(Some(Self {
            http,
            base,
            api_key: settings.api_key.clone(),
            timeout,
            max_dataset_bytes: settings.max_dataset_bytes,
            max_metadata_bytes: settings.max_metadata_bytes,
            display_app_prefix: settings.display_app_prefix.clone(),
            fetched: Arc::default(),
            first_windows: Arc::default(),
            history_scans: Arc::default(),
        }))
    }

    /// The datasets' first windows this client keeps between pages.
    fn first_windows(&self) -> &ranged::FirstWindows {
        &self.first_windows
    }

    /// Bytes of dataset contents received from Galaxy since start-up, shared
    /// with `/metrics` (`igv_relay_galaxy_fetched_bytes_total`).
    pub fn fetched_counter(&self) -> Arc<AtomicU64> {
        self.fetched.clone()
    }

    pub fn bytes_fetched(&self) -> u64 {
        self.fetched.load(Ordering::Relaxed)
    }

    pub fn base(&self) -> &Url {
        &self.base
    }

    pub fn has_api_key(&self) -> bool {
        self.api_key.is_set()
    }

    pub fn display_app_prefix(&self) -> &str {
        &self.display_app_prefix
    }

    /// Accepts a URL only if it is under `galaxy.url`: same scheme, host and
    /// port, and below its path. Nothing else is ever fetched.
    pub fn data_url(&self, text: &str) -> Result<Url, String> {
        // What Galaxy 26 writes for a data param's `.url` when a display link is
        // made through its API (its URL builder needs the legacy WSGI routes).
        if text.contains("URL not filled in by server") {
            return Err(
                "Galaxy did not fill in the dataset's URL: the display application \
                 takes `.url` of a data param, which Galaxy 26 leaves empty for links made \
                 through its API; install the display applications of this relay's \
                 deploy/galaxy, which build the URL themselves"
                    .to_owned(),
            );
        }
        let url = Url::parse(text.trim()).map_err(|e| format!("not an absolute URL ({e})"))?;
        if url.origin() != self.base.origin() || !url.path().starts_with(self.base.path()) {
            return Err(format!(
                "only datasets from the Galaxy server this relay is set up for ({}) can be shown",
                self.base
            ));
        }
        if !url.username().is_empty() || url.password().is_some() || url.fragment().is_some() {
            return Err("a dataset URL has no user name, password or #fragment".to_owned());
        }
        Ok(url)
    }

    fn api_url(&self, path: &str) -> Result<Url, GalaxyError> {
        self.base.join(path).map_err(|e| GalaxyError::Unexpected {
            what: format!("building the URL {path}"),
            detail: e.to_string(),
        })
    }

    fn with_key(&self, request: RequestBuilder) -> RequestBuilder {
        match self.api_key.expose() {
            Some(key) => match HeaderValue::from_str(key) {
                Ok(mut value) => {
                    value.set_sensitive(true);
                    request.header("x-api-key", value)
                }
                Err(_) => request,
            },
            None => request,
        }
    }

    /// Sends and waits for the status line and headers, at most `timeout`.
    async fn send(&self, request: RequestBuilder, what: &str) -> Result<Response, GalaxyError> {
        let response = tokio::time::timeout(self.timeout, request.send())
            .await
            .map_err(|_| self.timed_out(what))?
            .map_err(|e| self.request_error(&e, what))?;
        let status = response.status();
        if status.is_redirection() {
            let location = response
                .headers()
                .get(LOCATION)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("(nowhere)")
                .to_owned();
            return Err(GalaxyError::Redirected {
                what: what.to_owned(),
                location,
            });
        }
        if !status.is_success() {
            let hint = match status {
                StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN if self.has_api_key() => {
                    "; Galaxy refused access with the relay's API key (galaxy.api_key)"
                }
                StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                    "; the dataset is not public, and the relay has no access to it"
                }
                s if s.is_server_error() => "; Galaxy itself failed, try again in a moment",
                _ => "",
            };
            return Err(GalaxyError::Status {
                what: what.to_owned(),
                status: status.to_string(),
                hint,
            });
        }
        Ok(response)
    }

    fn timed_out(&self, what: &str) -> GalaxyError {
        GalaxyError::Timeout {
            what: what.to_owned(),
            secs: self.timeout.as_secs(),
        }
    }

    fn request_error(&self, e: &reqwest::Error, what: &str) -> GalaxyError {
        if e.is_timeout() {
            self.timed_out(what)
        } else if e.is_connect() {
            GalaxyError::Unreachable {
                origin: self.base.origin().ascii_serialization(),
                what: what.to_owned(),
                detail: describe_reqwest_error(e),
            }
        } else {
            GalaxyError::Broken {
                what: what.to_owned(),
                detail: describe_reqwest_error(e),
            }
        }
    }

    /// Reads a whole (small) body, at most `limit` bytes.
    async fn read_limited(
        &self,
        mut response: Response,
        limit: usize,
        what: &str,
    ) -> Result<Vec<u8>, GalaxyError> {
        let mut out = Vec::new();
        loop {
            let chunk = tokio::time::timeout(self.timeout, response.chunk())
                .await
                .map_err(|_| self.timed_out(what))?
                .map_err(|e| self.request_error(&e, what))?;
            let Some(chunk) = chunk else {
                return Ok(out);
            };
            if out.len() + chunk.len() > limit {
                return Err(GalaxyError::Unexpected {
                    what: what.to_owned(),
                    detail: format!(
                        "more than {limit} bytes (galaxy.max_metadata_bytes) where a short \
                         answer was expected"
                    ),
                });
            }
            out.extend_from_slice(&chunk);
        }
    }

    async fn read_json<T: serde::de::DeserializeOwned>(
        &self,
        response: Response,
        what: &str,
    ) -> Result<T, GalaxyError> {
        if is_html(&response) {
            return Err(self.html_page(response, what).await);
        }
        let body = self
            .read_limited(response, self.max_metadata_bytes, what)
            .await?;
        serde_json::from_slice(&body).map_err(|e| GalaxyError::Unexpected {
            what: what.to_owned(),
            detail: format!("not the JSON Galaxy's API sends ({e})"),
        })
    }

    /// `GET /api/datasets/{id}` with the API key.
    #[tracing::instrument(skip(self), fields(galaxy = %self.base))]
    pub async fn dataset(&self, id: &DatasetId) -> Result<Dataset, GalaxyError> {
        let what = format!("reading the metadata of dataset {id}");
        let url = self.api_url(&format!("api/datasets/{id}"))?;
        let response = self
            .send(self.with_key(self.http.get(url)), &what)
            .await
            .map_err(|e| not_found_as_missing(e, id))?;
        self.read_json(response, &what).await
    }

    /// The session-less data URL Galaxy gives IGV for this dataset, through
    /// igv-relay's display application (`POST /api/display_applications/create_link`,
    /// what Galaxy's own web page does). `Ok(None)` while Galaxy prepares it.
    #[tracing::instrument(skip(self), fields(galaxy = %self.base))]
    pub async fn display_data_url(
        &self,
        id: &DatasetId,
        app_name: &str,
        link_name: &str,
    ) -> Result<Option<Url>, GalaxyError> {
        let what = format!("asking for the display link of dataset {id}");
        let url = self.api_url("api/display_applications/create_link")?;
        let body = serde_json::json!({
            "app_name": app_name,
            "link_name": link_name,
            "dataset_id": id.as_str(),
        });
        let response = self
            .send(self.with_key(self.http.post(url).json(&body)), &what)
            .await?;
        let feedback: CreateLinkFeedback = self.read_json(response, &what).await?;
        let Some(resource) = feedback.resource.filter(|_| feedback.refresh != Some(true)) else {
            return Ok(None);
        };
        let unexpected = |detail: String| GalaxyError::Unexpected {
            what: what.clone(),
            detail,
        };
        let resource = Url::parse(&resource)
            .map_err(|e| unexpected(format!("the link {resource:?} is not a URL ({e})")))?;
        let data = resource
            .query_pairs()
            .find(|(k, _)| k == "dataset_url")
            .map(|(_, v)| v.into_owned())
            .ok_or_else(|| unexpected(format!("the link {resource} has no dataset_url")))?;
        self.data_url(&data).map(Some).map_err(unexpected)
    }

    /// The dataset's contents through the API (`/api/datasets/{id}/display`),
    /// with the key; read with Range requests where Galaxy honours them
    /// (`ranged`). `update_time` versions the remembered row offsets.
    #[tracing::instrument(skip(self, update_time), fields(galaxy = %self.base))]
    pub async fn dataset_contents(
        &self,
        id: &DatasetId,
        update_time: Option<&str>,
    ) -> Result<DatasetBody, GalaxyError> {
        let what = format!("reading dataset {id}");
        let mut url = self.api_url(&format!("api/datasets/{id}/display"))?;
        url.query_pairs_mut().append_pair("preview", "false");
        let source = ranged::Source {
            url,
            with_key: true,
            what,
            identity: format!("galaxy {} dataset {id}", self.base),
            version: update_time.map(|t| format!("updated {t}")),
        };
        ranged::open(self, source)
            .await
            .map_err(|e| not_found_as_missing(e, id))
    }

    /// A display application's data URL (checked with [`Self::data_url`]). The
    /// URL itself is the credential, so no API key is sent. Galaxy's contents
    /// do not change under one data URL, so its size versions the offsets.
    #[tracing::instrument(skip(self, url), fields(galaxy = %self.base))]
    pub async fn open_data_url(&self, url: &Url) -> Result<DatasetBody, GalaxyError> {
        let mut identity = url.clone();
        identity.set_query(None);
        let source = ranged::Source {
            url: url.clone(),
            with_key: false,
            what: "reading the dataset through its display link".to_owned(),
            identity: format!("galaxy data URL {identity}"),
            version: None,
        };
        ranged::open(self, source).await
    }

    /// Checks the start of a body for an HTML page, then hands it to a pump
    /// that reports failures to `failure` and reads at most `limit` bytes.
    async fn stream(
        &self,
        mut response: Response,
        what: String,
        failure: Failure,
        limit: u64,
    ) -> Result<BodyReader, GalaxyError> {
        if is_html(&response) {
            return Err(self.html_page(response, &what).await);
        }
        let first = tokio::time::timeout(self.timeout, response.chunk())
            .await
            .map_err(|_| self.timed_out(&what))?
            .map_err(|e| self.request_error(&e, &what))?
            .unwrap_or_default();
        if looks_like_html(&first) {
            return Err(GalaxyError::HtmlPage {
                excerpt: html_excerpt(&first),
                what,
            });
        }
        Ok(body::spawn(
            response,
            first,
            body::Pump {
                read_timeout: self.timeout,
                limit,
                what,
                failure,
                fetched: self.fetched.clone(),
            },
        ))
    }

    async fn html_page(&self, mut response: Response, what: &str) -> GalaxyError {
        let mut head: Vec<u8> = Vec::new();
        while head.len() < HTML_EXCERPT_BYTES {
            match tokio::time::timeout(self.timeout, response.chunk()).await {
                Ok(Ok(Some(chunk))) => head.extend_from_slice(&chunk),
                _ => break,
            }
        }
        GalaxyError::HtmlPage {
            what: what.to_owned(),
            excerpt: html_excerpt(&head),
        }
    }
}

fn not_found_as_missing(e: GalaxyError, id: &DatasetId) -> GalaxyError {
    match &e {
        // Galaxy answers 400 "Invalid id" for ids its secret did not make.
        GalaxyError::Status { status, .. }
            if status.starts_with("404") || status.starts_with("400") =>
        {
            GalaxyError::NoSuchDataset(id.to_string())
        }
        _ => e,
    }
}

fn is_html(response: &Response) -> bool {
    response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            let ct = ct.trim_start().to_ascii_lowercase();
            ct.starts_with("text/html") || ct.starts_with("application/xhtml")
        })
}

/// Whether bytes start like an HTML document (after whitespace or a BOM).
pub fn looks_like_html(head: &[u8]) -> bool {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let start = head
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(head.len());
    let head = &head[start..head.len().min(start + 64)];
    let lower: Vec<u8> = head.iter().map(u8::to_ascii_lowercase).collect();
    [b"<!doctype html".as_slice(), b"<html", b"<head", b"<body"]
        .iter()
        .any(|tag| lower.starts_with(tag))
}

/// The readable text of an HTML page, shortened: what Galaxy's error page says.
fn html_excerpt(html: &[u8]) -> String {
    let text = String::from_utf8_lossy(html);
    // ASCII lower-casing keeps every byte offset, so offsets found in `lower`
    // are char boundaries in `text` (the needles are ASCII).
    let lower = text.to_ascii_lowercase();
    let mut out = String::new();
    let mut pos = 0;
    while let Some(open) = lower[pos..].find('<').map(|i| pos + i) {
        out.push_str(&text[pos..open]);
        out.push(' ');
        // Skip the tag, and the insides of <script> and <style> elements.
        let close = if lower[open..].starts_with("<script") {
            "</script>"
        } else if lower[open..].starts_with("<style") {
            "</style>"
        } else {
            ">"
        };
        match lower[open..].find(close) {
            Some(end) => pos = open + end + close.len(),
            None => {
                pos = text.len();
                break;
            }
        }
    }
    out.push_str(&text[pos..]);
    let mut excerpt = String::new();
    for word in out.split_whitespace() {
        if excerpt.chars().count() > 300 {
            excerpt.push('…');
            break;
        }
        if !excerpt.is_empty() {
            excerpt.push(' ');
        }
        excerpt.push_str(word);
    }
    if excerpt.is_empty() {
        "(nothing readable)".to_owned()
    } else {
        excerpt
    }
}

/// The innermost cause of a reqwest error ("Connection refused (os error 111)"),
/// without the URL, which may carry a capability token.
pub(crate) fn describe_reqwest_error(e: &reqwest::Error) -> String {
    let mut innermost: Option<&dyn std::error::Error> = None;
    let mut next = std::error::Error::source(e);
    while let Some(inner) = next {
        innermost = Some(inner);
        next = inner.source();
    }
    match innermost.map(|c| c.to_string()).filter(|t| !t.is_empty()) {
        Some(text) => text,
        None => e
            .to_string()
            .split(" for url")
            .next()
            .unwrap_or("the request failed")
            .to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dataset_ids_are_letters_and_digits() {
        assert!(DatasetId::parse("02d2d859f4bdc686").is_ok());
        for bad in ["", "../etc", "a b", "x?y", &"a".repeat(65)] {
            assert!(DatasetId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn html_is_recognised_after_whitespace_and_bom() {
        assert!(looks_like_html(b"\n  <!DOCTYPE html><html>"));
        assert!(looks_like_html(b"\xEF\xBB\xBF<HTML>"));
        assert!(!looks_like_html(b"chr1\t100\t200\n"));
        assert!(!looks_like_html(b"##fileformat=VCFv4.2\n"));
    }

    #[test]
    fn html_excerpt_keeps_the_words_and_drops_scripts() {
        let page = b"<html><head><script>var x = '<b>';</script><style>p{}</style></head>\
            <body><div class=\"errormessage\">You do not have permission to view this dataset.</div></body></html>";
        assert_eq!(
            html_excerpt(page),
            "You do not have permission to view this dataset."
        );
    }

    #[test]
    fn column_metadata_accepts_numbers_and_strings() {
        assert_eq!(column_number(Some(&serde_json::json!(3))), Some(3));
        assert_eq!(column_number(Some(&serde_json::json!("2"))), Some(2));
        assert_eq!(column_number(Some(&serde_json::json!(0))), None);
        assert_eq!(column_number(Some(&serde_json::Value::Null)), None);
        assert_eq!(column_number(None), None);
    }

    #[test]
    fn the_relay_display_link_is_found_among_the_display_apps() {
        let dataset: Dataset = serde_json::from_value(serde_json::json!({
            "id": "02d2d859f4bdc686",
            "display_apps": [
                {"label": "display in IGB", "links": [{"href": "/x", "app_name": "igb_bed", "link_name": "View"}]},
                {"label": "view in igv-relay", "links": [{"href": "/y", "app_name": "igv_relay_interval", "link_name": "view"}]}
            ]
        }))
        .unwrap();
        assert_eq!(
            dataset.relay_display_link("igv_relay"),
            Some(("igv_relay_interval".to_owned(), "view".to_owned()))
        );
    }
}
