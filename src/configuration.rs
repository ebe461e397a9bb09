//! Settings: embedded defaults < a file given with `--config` (YAML or TOML)
//! < environment variables `IGV_RELAY__SECTION__KEY`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use config::{Config, Environment, File, FileFormat};
use serde::{Deserialize, Serialize};
use url::Url;

/// The built-in defaults: the binary runs with no configuration file.
pub const DEFAULTS_YAML: &str = include_str!("../config/default.yaml");

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

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct GenomeSettings {
    /// A `.fai` index whose first two columns are name and length.
    #[serde(default)]
    pub fai: Option<PathBuf>,
    /// A UCSC `chrom.sizes` file.
    #[serde(default)]
    pub chrom_sizes: Option<PathBuf>,
    /// Inline name → length.
    #[serde(default)]
    pub chromosomes: BTreeMap<String, u64>,
    /// Extra name → chromosome name.
    #[serde(default)]
    pub aliases: BTreeMap<String, String>,
    /// What IGV's `genome=` gets (an IGV genome id or a path); defaults to the id.
    #[serde(default)]
    pub igv_genome: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct GalaxySettings {
    /// Galaxy dbkey → genome id, added to the shipped table.
    #[serde(default)]
    pub dbkeys: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct DataSettings {
    #[serde(default)]
    pub roots: Vec<DataRootSettings>,
    /// Bases added on each side of every record's locus unless `?flank=` says otherwise.
    pub default_flank: u64,
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
}

impl Settings {
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
            .with_list_parse_key("relay.allowed_file_hosts");
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
        Ok(())
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
    fn a_bad_value_is_a_clear_error() {
        let env = BTreeMap::from([("IGV_RELAY__IGV__PORT".to_owned(), "notaport".to_owned())]);
        let err = Settings::load_with_env(None, Some(env))
            .unwrap_err()
            .to_string();
        assert!(err.contains("port"), "{err}");
    }
}
