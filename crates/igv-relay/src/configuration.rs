//! Settings: embedded defaults < a file given with `--config` (YAML or TOML)
//! < environment variables `IGV_RELAY__SECTION__KEY`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use config::{Config, Environment, File, FileFormat};
use igv_relay_core::formats;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use url::Url;

pub use igv_relay_core::genomes::{GeneSettings, GenomeSettings, IgvJsGenomeSettings};

/// The built-in defaults: the binary runs with no configuration file.
pub const DEFAULTS_YAML: &str = include_str!("../../../config/default.yaml");

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Settings {
    pub server: ServerSettings,
    pub igv: IgvSettings,
    pub relay: RelaySettings,
    /// Genome id → definition; added to (or replacing) the built-in genomes.
    #[serde(default)]
    pub genomes: BTreeMap<String, GenomeSettings>,
    #[serde(default)]
    pub galaxy: GalaxySettings,
    pub data: DataSettings,
    pub log: LogSettings,
    #[serde(default)]
    pub embed: EmbedSettings,
    #[serde(default)]
    pub api: ApiSettings,
    #[serde(default)]
    pub limits: LimitSettings,
    #[serde(default)]
    pub genes: GeneSettings,
    #[serde(default)]
    pub paste: PasteSettings,
    #[serde(default)]
    pub viewer: ViewerSettings,
    #[serde(default)]
    pub metrics: MetricsSettings,
    /// Link-outs: name → http(s) URL template with `{FIELD}`s (README,
    /// "Link-outs"); unset: the defaults for the page's genome, `{}`: none.
    #[serde(default)]
    pub links: Option<BTreeMap<String, String>>,
    /// Lab presets: name → a named view (README, "Lab presets"), checked
    /// at start-up.
    #[serde(default)]
    pub views: BTreeMap<String, ViewPresetSettings>,
}

/// One lab preset as configuration writes it.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ViewPresetSettings {
    /// `?where=` conditions, `;`-separated.
    #[serde(rename = "where")]
    pub where_text: Option<String>,
    /// `?cols=` (VCF).
    pub columns: Option<Vec<String>>,
    /// `?samples=` (VCF).
    pub samples: Vec<String>,
    /// `?sort=`.
    pub sort: Option<String>,
    /// Formats the view is for (`vcf`, `maf`, `gwas`...); empty: any.
    pub formats: Vec<String>,
    /// Data roots the view is for; empty: any source.
    pub roots: Vec<String>,
}

impl ViewPresetSettings {
    pub fn definition(&self) -> igv_relay_core::view::presets::PresetDefinition {
        igv_relay_core::view::presets::PresetDefinition {
            where_text: self.where_text.clone().filter(|w| !w.trim().is_empty()),
            columns: self.columns.clone(),
            samples: self.samples.clone(),
            sort: self.sort.clone().filter(|s| !s.trim().is_empty()),
            formats: self.formats.clone(),
            roots: self.roots.clone(),
        }
    }
}

/// Pasted lines (start page, `/embed`, `POST /api/links` with `text`).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default)]
pub struct PasteSettings {
    /// Lines read from one paste; the page says how many more were left out.
    pub max_lines: usize,
}

impl Default for PasteSettings {
    fn default() -> Self {
        Self {
            max_lines: igv_relay_core::domain::paste::DEFAULT_MAX_LINES,
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct ServerSettings {
    pub bind: String,
    /// Absolute base URL under which users reach the service, possibly with a
    /// path prefix (`https://galaxy.lab.org/igv/`). Every emitted link uses it.
    /// Empty: derived from the bound address.
    #[serde(default)]
    pub public_url: String,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct IgvSettings {
    /// Always loopback: the user's own machine.
    pub host: String,
    pub port: u16,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct RelaySettings {
    pub max_loci: usize,
    pub allow_feature_names: bool,
    /// Hosts (`host` or `host:port`) IGV may be told to load files from; the
    /// service's own public URL is always allowed.
    #[serde(default)]
    pub allowed_file_hosts: Vec<String>,
}

/// The igv.js viewer of link pages, IGV-Web links, and who may read `/raw`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default)]
pub struct ViewerSettings {
    /// The IGV-Web app "Open in IGV-Web" links go to (a lab may host its own).
    pub igv_web_url: String,
    /// Origins whose scripts may read `/raw` (CORS), besides the IGV-Web
    /// app's origin; `*` allows any.
    pub cors_origins: Vec<String>,
    /// Origins igv.js on link pages may fetch genome data from (CSP
    /// `connect-src`), besides this service and the origins of configured
    /// `igvjs` URLs. Hosted genome ids (`hg38`) load from these.
    pub connect_origins: Vec<String>,
}

impl Default for ViewerSettings {
    fn default() -> Self {
        Self {
            igv_web_url: "https://igv.org/app/".to_owned(),
            cors_origins: Vec::new(),
            connect_origins: [
                "https://igv.org",
                "https://s3.amazonaws.com",
                "https://igv.genepattern.org",
                "https://igv-genepattern-org.s3.amazonaws.com",
                "https://hgdownload.soe.ucsc.edu",
                "https://raw.githubusercontent.com",
            ]
            .map(str::to_owned)
            .to_vec(),
        }
    }
}

impl ViewerSettings {
    /// `igv_web_url` checked: an absolute http(s) URL.
    pub fn igv_web_url(&self) -> Result<Url, ConfigError> {
        let text = self.igv_web_url.trim();
        let bad = |why: &str| ConfigError::Invalid(format!("viewer.igv_web_url {text:?}: {why}"));
        let url = Url::parse(text).map_err(|e| bad(&e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(bad("expected an http(s) URL with a host"));
        }
        Ok(url)
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default)]
pub struct GalaxySettings {
    /// The Galaxy server datasets come from (`https://usegalaxy.example.org/`),
    /// as users' browsers reach it. Empty: the `/galaxy/...` routes are off.
    /// Only URLs under it are ever fetched.
    pub url: String,
    /// A Galaxy API key, for `/galaxy/datasets/{id}`. Never logged or shown.
    pub api_key: ApiKey,
    /// Seconds to wait for a TCP connection to Galaxy.
    pub connect_timeout_secs: u64,
    /// Seconds to wait for Galaxy's answer, and then for each piece of a dataset.
    pub timeout_secs: u64,
    /// Most bytes read from one dataset for one page or export (0: no limit).
    pub max_dataset_bytes: u64,
    /// Most bytes of dataset metadata (JSON) accepted from Galaxy.
    pub max_metadata_bytes: usize,
    /// Display applications whose id starts with this are igv-relay's own
    /// (deploy/galaxy/display_applications); their links give IGV its data URL.
    pub display_app_prefix: String,
    /// Galaxy dbkey → genome id, added to the shipped table.
    pub dbkeys: BTreeMap<String, String>,
}

impl Default for GalaxySettings {
    fn default() -> Self {
        Self {
            url: String::new(),
            api_key: ApiKey::default(),
            connect_timeout_secs: 5,
            timeout_secs: 30,
            max_dataset_bytes: 16 << 30,
            max_metadata_bytes: 4 << 20,
            display_app_prefix: "igv_relay".to_owned(),
            dbkeys: BTreeMap::new(),
        }
    }
}

/// A secret: `Debug` and `Serialize` (`check-config`) show `[redacted]`, and the
/// value is wiped from memory when dropped.
#[derive(Clone, Default)]
pub struct ApiKey(Option<SecretString>);

impl ApiKey {
    pub fn new(key: &str) -> Self {
        let key = key.trim();
        Self((!key.is_empty()).then(|| SecretString::from(key)))
    }

    pub fn expose(&self) -> Option<&str> {
        self.0.as_ref().map(ExposeSecret::expose_secret)
    }

    pub fn is_set(&self) -> bool {
        self.0.is_some()
    }

    fn shown(&self) -> &'static str {
        if self.is_set() { "[redacted]" } else { "" }
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ApiKey({:?})", self.shown())
    }
}

impl Serialize for ApiKey {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.shown())
    }
}

impl<'de> Deserialize<'de> for ApiKey {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Ok(Self::new(&text))
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct DataSettings {
    #[serde(default)]
    pub roots: Vec<DataRootSettings>,
    /// The built-in demo files as the root `demo`: `true` shows them, `false`
    /// never; unset shows them only when no root is configured.
    #[serde(default)]
    pub demo: Option<bool>,
    /// Bases added on each side of every record's locus unless `?flank=` says otherwise.
    pub default_flank: u64,
    /// ... and of a GWAS summary statistics row's variant instead (a hit is
    /// one variant of an LD block); at most [`formats::MAX_GWAS_FLANK`].
    pub gwas_flank: u64,
    /// Row links of a file IGV can load also load it (IGV skips a file it
    /// has), so the first click shows the record in its track (issue 22).
    #[serde(default = "default_true")]
    pub load_on_click: bool,
    /// ... but a file without an index only up to this size, since IGV
    /// reads it whole.
    #[serde(default = "default_load_on_click_max_bytes")]
    pub load_on_click_max_bytes: u64,
}

fn default_true() -> bool {
    true
}

fn default_load_on_click_max_bytes() -> u64 {
    16 << 20
}

impl DataSettings {
    /// The flanks links get without `?flank=`, per kind of file.
    pub fn flanks(&self) -> formats::Flanks {
        formats::Flanks {
            default: self.default_flank,
            gwas: self.gwas_flank,
        }
    }

    /// What [`Self::load_on_click`] and its size limit mean for links.
    pub fn first_click(&self) -> igv_relay_core::links::FirstClick {
        igv_relay_core::links::FirstClick {
            enabled: self.load_on_click,
            max_unindexed_bytes: self.load_on_click_max_bytes,
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct DataRootSettings {
    pub name: String,
    pub path: PathBuf,
    #[serde(default)]
    pub genome: Option<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct LogSettings {
    /// `text` or `json`.
    pub format: String,
    /// A tracing filter such as `info` or `igv_relay=debug`.
    pub level: String,
    /// The longest a log line is held in memory before it is written
    /// (nginx's `access_log … flush=`), in milliseconds.
    #[serde(default = "default_log_flush_ms")]
    pub flush_ms: u64,
}

fn default_log_flush_ms() -> u64 {
    100
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct EmbedSettings {
    /// Origins (`https://intranet.lab.org`) whose pages may show `/embed` in
    /// an iframe (CSP `frame-ancestors`). Empty: no page may frame it.
    #[serde(default)]
    pub allowed_origins: Vec<String>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct ApiSettings {
    /// Origins whose scripts may call `/api/*` (CORS). `*` allows any origin.
    /// Empty: only same-origin pages and non-browser clients.
    #[serde(default)]
    pub cors_origins: Vec<String>,
}

/// Who may read `/metrics` (SECURITY.md): the counters tell anyone who reads
/// them which routes and files are used and how often, so they are not on
/// the public port unless a token guards them.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct MetricsSettings {
    /// A separate listen address that serves only `/metrics` (and `/healthz`),
    /// e.g. `127.0.0.1:9464`, or `0.0.0.0:9464` in a pod. Set: `/metrics` is
    /// answered there and nowhere else. Empty: no separate listener.
    pub bind: String,
    /// A bearer token `/metrics` requires (`Authorization: Bearer TOKEN`),
    /// wherever it is served. With `bind` empty, setting it puts `/metrics` on
    /// the public port. Secret: `check-config` shows it redacted.
    pub token: ApiKey,
}

/// Where `/metrics` is answered, from `metrics.bind` and `metrics.token`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MetricsExposure {
    /// Neither is set: `/metrics` is not served at all.
    Off,
    /// Only on this separate address.
    Separate(String),
    /// On the public port, behind the token.
    PublicWithToken,
}

impl MetricsSettings {
    pub fn exposure(&self) -> MetricsExposure {
        let bind = self.bind.trim();
        if !bind.is_empty() {
            MetricsExposure::Separate(bind.to_owned())
        } else if self.token.is_set() {
            MetricsExposure::PublicWithToken
        } else {
            MetricsExposure::Off
        }
    }
}

/// Limits that keep one client, one file or one slow connection from taking
/// the service down (SECURITY.md).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default)]
pub struct LimitSettings {
    /// Milliseconds a client has to send its request line and headers; then
    /// 408 and the connection is closed (slowloris).
    pub client_request_timeout_ms: u64,
    /// Milliseconds a client has to close its side after the response.
    pub client_disconnect_timeout_ms: u64,
    /// Seconds an idle keep-alive connection stays open (0: no keep-alive).
    pub keep_alive_secs: u64,
    /// Open connections for the whole server; more wait in the listen backlog.
    pub max_connections: usize,
    /// Worker threads (0: one per CPU).
    pub workers: usize,
    /// Most bytes decompressed from one gzip/BGZF file for one request
    /// (0: no limit). Reading stops with 422 beyond it; it also bounds the
    /// time one page, filter or export can spend on one file.
    pub max_decompressed_bytes: u64,
    /// Decompressed bytes per compressed byte beyond which a gzip/BGZF file is
    /// refused as a decompression bomb, checked once 64 MiB have been
    /// decompressed (0: off). Fails fast on bombs; most genomics text stays
    /// below 100, but GT-only cohort VCFs of thousands of samples can reach
    /// several hundred.
    pub max_compression_ratio: u64,
    /// `/igv/goto` and `/igv/load` requests per client per minute (0: no limit).
    pub relay_requests_per_minute: u64,
    /// How clients are told apart for `relay_requests_per_minute`: `peer` (the
    /// TCP peer) or `forwarded` (`Forwarded`/`X-Forwarded-For`, which clients
    /// can forge: only behind a reverse proxy you control that sets it).
    pub rate_limit_key: RateLimitKey,
}

impl Default for LimitSettings {
    fn default() -> Self {
        Self {
            client_request_timeout_ms: 5_000,
            client_disconnect_timeout_ms: 1_000,
            keep_alive_secs: 5,
            max_connections: 4_096,
            workers: 0,
            max_decompressed_bytes: 1 << 30,
            max_compression_ratio: 0,
            relay_requests_per_minute: 0,
            rate_limit_key: RateLimitKey::Peer,
        }
    }
}

impl LimitSettings {
    /// What [`igv_relay_core::formats::FormatOptions::decompression`] should be.
    pub fn decompression(&self) -> igv_relay_core::formats::DecompressionLimits {
        igv_relay_core::formats::DecompressionLimits {
            max_bytes: self.max_decompressed_bytes,
            max_ratio: self.max_compression_ratio,
        }
    }

    /// Worker threads the server runs: `workers`, or one per CPU.
    pub fn worker_count(&self) -> usize {
        if self.workers > 0 {
            return self.workers;
        }
        std::thread::available_parallelism().map_or(1, usize::from)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RateLimitKey {
    Peer,
    Forwarded,
}

/// Checks a configured web origin and returns it as browsers send it in
/// `Origin` (`https://lab.org`, default port dropped, no path).
pub fn normalize_origin(text: &str) -> Result<String, ConfigError> {
    let bad = |why: &str| ConfigError::Invalid(format!("{text:?} is not a web origin: {why}"));
    let url = Url::parse(text.trim()).map_err(|e| bad(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(bad("expected http(s)://host[:port]"));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(bad("an origin has no path, query or fragment"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("an origin has no user name"));
    }
    Ok(url.origin().ascii_serialization())
}

impl Settings {
    /// The genomes this configuration defines, for the core's registry.
    pub fn genome_definitions(&self) -> igv_relay_core::genomes::GenomeDefinitions<'_> {
        igv_relay_core::genomes::GenomeDefinitions {
            genomes: &self.genomes,
            genes: &self.genes,
            dbkeys: &self.galaxy.dbkeys,
        }
    }

    /// Loads the layers. `file` is optional; its format follows its extension.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        Self::load_with_env(file, None)
    }

    /// Like [`Settings::load`], with an explicit environment for tests.
    pub fn load_with_env(
        file: Option<&Path>,
        env: Option<BTreeMap<String, String>>,
    ) -> Result<Self, ConfigError> {
        let mut builder =
            Config::builder().add_source(File::from_str(DEFAULTS_YAML, FileFormat::Yaml));
        if let Some(path) = file {
            if !path.is_file() {
                return Err(ConfigError::MissingFile(path.to_path_buf()));
            }
            builder = builder.add_source(File::from(path));
        }
        let mut environment = Environment::with_prefix("IGV_RELAY")
            .prefix_separator("__")
            .separator("__")
            .try_parsing(true)
            .list_separator(",")
            .with_list_parse_key("relay.allowed_file_hosts")
            .with_list_parse_key("embed.allowed_origins")
            .with_list_parse_key("api.cors_origins")
            .with_list_parse_key("viewer.cors_origins")
            .with_list_parse_key("viewer.connect_origins");
        if let Some(map) = env {
            environment = environment.source(Some(map.into_iter().collect()));
        }
        builder = builder.add_source(environment);
        let settings: Settings = builder.build()?.try_deserialize()?;
        settings.check()?;
        Ok(settings)
    }

    fn check(&self) -> Result<(), ConfigError> {
        if self.relay.max_loci == 0 {
            return Err(ConfigError::Invalid(
                "relay.max_loci must be at least 1".into(),
            ));
        }
        if !self.server.public_url.is_empty() {
            self.parsed_public_url()?;
        }
        for origin in &self.embed.allowed_origins {
            normalize_origin(origin)
                .map_err(|e| ConfigError::Invalid(format!("embed.allowed_origins: {e}")))?;
        }
        for origin in self.api.cors_origins.iter().filter(|o| o.as_str() != "*") {
            normalize_origin(origin)
                .map_err(|e| ConfigError::Invalid(format!("api.cors_origins: {e}")))?;
        }
        for origin in self
            .viewer
            .cors_origins
            .iter()
            .filter(|o| o.as_str() != "*")
        {
            normalize_origin(origin)
                .map_err(|e| ConfigError::Invalid(format!("viewer.cors_origins: {e}")))?;
        }
        for origin in &self.viewer.connect_origins {
            normalize_origin(origin)
                .map_err(|e| ConfigError::Invalid(format!("viewer.connect_origins: {e}")))?;
        }
        self.viewer.igv_web_url()?;
        self.galaxy_url()?;
        if self.limits.client_request_timeout_ms < 100 || self.limits.max_connections == 0 {
            return Err(ConfigError::Invalid(
                "limits.client_request_timeout_ms must be at least 100 and limits.max_connections at least 1".into(),
            ));
        }
        if self.paste.max_lines == 0 || self.genes.max_names == 0 {
            return Err(ConfigError::Invalid(
                "paste.max_lines and genes.max_names must be at least 1".into(),
            ));
        }
        if self.data.gwas_flank > formats::MAX_GWAS_FLANK {
            return Err(ConfigError::Invalid(format!(
                "data.gwas_flank is {} bases; at most {} (10 Mb) on each side of a GWAS hit: \
                 wider than any LD block, IGV would show a stretch where the association is lost",
                self.data.gwas_flank,
                formats::MAX_GWAS_FLANK
            )));
        }
        if self.galaxy.timeout_secs == 0 || self.galaxy.connect_timeout_secs == 0 {
            return Err(ConfigError::Invalid(
                "galaxy.timeout_secs and galaxy.connect_timeout_secs must be at least 1".into(),
            ));
        }
        Ok(())
    }

    /// `galaxy.url` as a base URL ending in `/`, or `None` when Galaxy is not configured.
    pub fn galaxy_url(&self) -> Result<Option<Url>, ConfigError> {
        let text = self.galaxy.url.trim();
        if text.is_empty() {
            return Ok(None);
        }
        let bad = |why: String| ConfigError::Invalid(format!("galaxy.url {text:?}: {why}"));
        let mut url = Url::parse(text).map_err(|e| bad(format!("not an absolute URL ({e})")))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(bad("expected an http(s) URL with a host".into()));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad(
                "no user name or password in the URL; use galaxy.api_key".into(),
            ));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(bad("no query or fragment".into()));
        }
        if !url.path().ends_with('/') {
            let path = format!("{}/", url.path());
            url.set_path(&path);
        }
        Ok(Some(url))
    }

    fn parsed_public_url(&self) -> Result<Url, ConfigError> {
        let url = Url::parse(&self.server.public_url).map_err(|e| {
            ConfigError::Invalid(format!(
                "server.public_url {:?} is not an absolute URL: {e}",
                self.server.public_url
            ))
        })?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(ConfigError::Invalid(
                "server.public_url must be an http(s) URL with a host".into(),
            ));
        }
        Ok(url)
    }

    /// The public base URL, always ending in `/` so relative joins keep the prefix.
    pub fn public_url(&self, bound: std::net::SocketAddr) -> Result<Url, ConfigError> {
        let mut url = if self.server.public_url.is_empty() {
            let host = if bound.ip().is_unspecified() {
                "127.0.0.1".to_owned()
            } else {
                bound.ip().to_string()
            };
            let host = if host.contains(':') {
                format!("[{host}]")
            } else {
                host
            };
            Url::parse(&format!("http://{host}:{}/", bound.port()))
                .map_err(|e| ConfigError::Invalid(e.to_string()))?
        } else {
            self.parsed_public_url()?
        };
        if !url.path().ends_with('/') {
            let path = format!("{}/", url.path());
            url.set_path(&path);
        }
        url.set_query(None);
        url.set_fragment(None);
        Ok(url)
    }

    /// Adds `--data-dir` directories as roots named after their last component.
    pub fn add_data_dirs(&mut self, dirs: &[PathBuf]) {
        for dir in dirs {
            let base = dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "data".to_owned());
            let mut name = base.clone();
            let mut n = 2;
            while self.data.roots.iter().any(|r| r.name == name) {
                name = format!("{base}-{n}");
                n += 1;
            }
            self.data.roots.push(DataRootSettings {
                name,
                path: dir.clone(),
                genome: None,
            });
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration file {0} does not exist")]
    MissingFile(PathBuf),
    #[error("configuration error: {0}")]
    Load(#[from] config::ConfigError),
    #[error("configuration error: {0}")]
    Invalid(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_load_with_no_file() {
        let s = Settings::load_with_env(None, Some(BTreeMap::new())).unwrap();
        assert_eq!(s.server.bind, "127.0.0.1:8080");
        assert_eq!(s.igv.port, 60151);
    }

    #[test]
    fn environment_overrides_defaults() {
        let env = BTreeMap::from([
            ("IGV_RELAY__IGV__PORT".to_owned(), "60999".to_owned()),
            (
                "IGV_RELAY__RELAY__ALLOWED_FILE_HOSTS".to_owned(),
                "a.example,b.example".to_owned(),
            ),
        ]);
        let s = Settings::load_with_env(None, Some(env)).unwrap();
        assert_eq!(s.igv.port, 60999);
        assert_eq!(s.relay.allowed_file_hosts, vec!["a.example", "b.example"]);
    }

    #[test]
    fn origin_lists_come_from_the_environment_and_are_checked() {
        let env = BTreeMap::from([
            (
                "IGV_RELAY__EMBED__ALLOWED_ORIGINS".to_owned(),
                "https://intranet.lab.org,http://127.0.0.2:8080".to_owned(),
            ),
            ("IGV_RELAY__API__CORS_ORIGINS".to_owned(), "*".to_owned()),
        ]);
        let s = Settings::load_with_env(None, Some(env)).unwrap();
        assert_eq!(
            s.embed.allowed_origins,
            vec!["https://intranet.lab.org", "http://127.0.0.2:8080"]
        );
        assert_eq!(s.api.cors_origins, vec!["*"]);
        let env = BTreeMap::from([(
            "IGV_RELAY__EMBED__ALLOWED_ORIGINS".to_owned(),
            "https://lab.org/some/page".to_owned(),
        )]);
        let err = Settings::load_with_env(None, Some(env))
            .unwrap_err()
            .to_string();
        assert!(err.contains("embed.allowed_origins"), "{err}");
    }

    #[test]
    fn origins_are_normalized_as_browsers_send_them() {
        assert_eq!(
            normalize_origin("https://Lab.ORG:443/").unwrap(),
            "https://lab.org"
        );
        assert_eq!(
            normalize_origin("http://127.0.0.1:8080").unwrap(),
            "http://127.0.0.1:8080"
        );
        assert!(normalize_origin("lab.org").is_err());
        assert!(normalize_origin("ftp://lab.org").is_err());
    }

    #[test]
    fn the_galaxy_api_key_is_redacted_in_debug_and_json() {
        let env = BTreeMap::from([
            (
                "IGV_RELAY__GALAXY__URL".to_owned(),
                "http://galaxy.example:8089/prefix".to_owned(),
            ),
            (
                "IGV_RELAY__GALAXY__API_KEY".to_owned(),
                "0123456789abcdef-secret".to_owned(),
            ),
        ]);
        let s = Settings::load_with_env(None, Some(env)).unwrap();
        assert_eq!(s.galaxy.api_key.expose(), Some("0123456789abcdef-secret"));
        let json = serde_json::to_string(&s).unwrap();
        let debug = format!("{s:?}");
        for shown in [&json, &debug] {
            assert!(!shown.contains("secret"), "{shown}");
            assert!(shown.contains("[redacted]"), "{shown}");
        }
        assert_eq!(
            s.galaxy_url().unwrap().unwrap().as_str(),
            "http://galaxy.example:8089/prefix/"
        );
    }

    #[test]
    fn metrics_are_off_the_public_port_unless_a_token_or_an_address_is_set() {
        let load = |pairs: &[(&str, &str)]| {
            let env = pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect();
            Settings::load_with_env(None, Some(env)).unwrap()
        };
        assert_eq!(load(&[]).metrics.exposure(), MetricsExposure::Off);
        let s = load(&[("IGV_RELAY__METRICS__TOKEN", "scrape-secret-1")]);
        assert_eq!(s.metrics.exposure(), MetricsExposure::PublicWithToken);
        assert_eq!(s.metrics.token.expose(), Some("scrape-secret-1"));
        let shown = format!("{} {s:?}", serde_json::to_string(&s).unwrap());
        assert!(!shown.contains("scrape-secret-1"), "{shown}");
        let s = load(&[
            ("IGV_RELAY__METRICS__BIND", "127.0.0.1:9464"),
            ("IGV_RELAY__METRICS__TOKEN", "scrape-secret-1"),
        ]);
        assert_eq!(
            s.metrics.exposure(),
            MetricsExposure::Separate("127.0.0.1:9464".into())
        );
    }

    #[test]
    fn a_galaxy_url_with_credentials_is_refused() {
        let env = BTreeMap::from([(
            "IGV_RELAY__GALAXY__URL".to_owned(),
            "https://user:pw@galaxy.example/".to_owned(),
        )]);
        let err = Settings::load_with_env(None, Some(env))
            .unwrap_err()
            .to_string();
        assert!(err.contains("galaxy.url"), "{err}");
    }

    #[test]
    fn limits_have_safe_defaults_and_come_from_the_environment() {
        let s = Settings::load_with_env(None, Some(BTreeMap::new())).unwrap();
        assert_eq!(s.limits.client_request_timeout_ms, 5_000);
        assert_eq!(s.limits.max_decompressed_bytes, 1 << 30);
        assert_eq!(s.limits.relay_requests_per_minute, 0);
        assert_eq!(
            s.limits.decompression(),
            igv_relay_core::formats::FormatOptions::default().decompression,
            "config/default.yaml and FormatOptions::default() agree"
        );
        let env = BTreeMap::from([
            (
                "IGV_RELAY__LIMITS__RELAY_REQUESTS_PER_MINUTE".to_owned(),
                "30".to_owned(),
            ),
            (
                "IGV_RELAY__LIMITS__RATE_LIMIT_KEY".to_owned(),
                "forwarded".to_owned(),
            ),
        ]);
        let s = Settings::load_with_env(None, Some(env)).unwrap();
        assert_eq!(s.limits.relay_requests_per_minute, 30);
        assert_eq!(s.limits.rate_limit_key, RateLimitKey::Forwarded);
        for (key, value) in [
            ("IGV_RELAY__LIMITS__CLIENT_REQUEST_TIMEOUT_MS", "0"),
            ("IGV_RELAY__LIMITS__MAX_CONNECTIONS", "0"),
            ("IGV_RELAY__LIMITS__RATE_LIMIT_KEY", "header"),
        ] {
            let env = BTreeMap::from([(key.to_owned(), value.to_owned())]);
            let err = Settings::load_with_env(None, Some(env))
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("limits") || err.contains("rate_limit_key") || err.contains("variant"),
                "{key}: {err}"
            );
        }
    }

    #[test]
    fn a_bad_value_is_a_clear_error() {
        let env = BTreeMap::from([("IGV_RELAY__IGV__PORT".to_owned(), "notaport".to_owned())]);
        let err = Settings::load_with_env(None, Some(env))
            .unwrap_err()
            .to_string();
        assert!(err.contains("port"), "{err}");
    }
}
