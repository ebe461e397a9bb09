//! What every request handler shares, built once from the settings. Imports
//! no route and nothing of start-up: routes, middleware and error pages all
//! read it, so it sits below them.

use igv_relay_core::links::outs::LinkOuts;
use igv_relay_core::view::presets::Presets;
use url::Url;

use crate::configuration::{ConfigError, Settings};
use crate::metrics::Metrics;
use crate::sources::download;
use crate::sources::galaxy::GalaxyClient;
use crate::sources::local::{DataRoots, RootsError};
use crate::web::policy::WebPolicy;
use igv_relay_core::caches::ViewCaches;
use igv_relay_core::domain::igv::{AllowedHosts, IgvPort, IgvTarget};
use igv_relay_core::domain::loci::LociRules;
use igv_relay_core::genomes::{GenomeRegistry, RegistryError};
use igv_relay_core::links::ServiceUrls;
use igv_relay_core::view::{ContextOwner, ViewContext};

/// Everything a request handler may read; built once at start-up.
#[derive(Debug)]
pub struct AppState {
    pub settings: Settings,
    pub genomes: GenomeRegistry,
    pub igv: IgvTarget,
    pub public_url: Url,
    pub urls: ServiceUrls,
    pub allowed_hosts: AllowedHosts,
    pub loci_rules: LociRules,
    pub roots: DataRoots,
    /// The configured Galaxy server (`galaxy.url`), if any.
    pub galaxy: Option<GalaxyClient>,
    pub metrics: Metrics,
    pub web_policy: WebPolicy,
    /// Where "Open in IGV-Web" links go (`viewer.igv_web_url`).
    pub igv_web: Url,
    /// What the service remembers of the views it showed (page index,
    /// tallies, sort orders).
    pub caches: ViewCaches,
    /// Per-row links to other sites (`links:`), checked at start-up.
    pub link_outs: LinkOuts,
    /// Lab presets (`views:`), offered on the pages they apply to.
    pub presets: Presets,
}

impl AppState {
    pub fn new(settings: Settings, public_url: Url) -> Result<Self, StartupError> {
        let genomes = genome_registry(&settings)?;
        let port = IgvPort::new(u32::from(settings.igv.port)).ok_or_else(|| {
            StartupError::Config(ConfigError::Invalid(format!(
                "igv.port {} is outside 1024-65535",
                settings.igv.port
            )))
        })?;
        let igv = IgvTarget::new(&settings.igv.host, port)
            .map_err(|e| StartupError::Config(ConfigError::Invalid(e.to_string())))?;
        for root in &settings.data.roots {
            if let Some(genome) = &root.genome {
                genomes.get(genome).map_err(|e| {
                    StartupError::Config(ConfigError::Invalid(format!(
                        "data root {}: {e}",
                        root.name
                    )))
                })?;
            }
        }
        let galaxy = GalaxyClient::new(&settings.galaxy, settings.galaxy_url()?)?;
        let mut allowed_hosts =
            AllowedHosts::new(settings.relay.allowed_file_hosts.iter().cloned())
                .with_url(&public_url);
        // IGV loads Galaxy datasets from Galaxy's own data URLs.
        if let Some(galaxy) = &galaxy {
            allowed_hosts = allowed_hosts.with_url(galaxy.base());
        }
        let loci_rules = LociRules {
            max_loci: settings.relay.max_loci,
            allow_feature_names: settings.relay.allow_feature_names,
        };
        let roots = DataRoots::from_settings(&settings.data)?;
        let metrics = Metrics::new(galaxy.as_ref().map(GalaxyClient::fetched_counter))
            .map_err(|e| StartupError::Config(ConfigError::Invalid(e.to_string())))?;
        let web_policy = WebPolicy::from_settings(&settings, &public_url, &genomes)
            .map_err(|e| StartupError::Config(ConfigError::Invalid(e)))?;
        let igv_web = settings.viewer.igv_web_url()?;
        let configured_links: Option<Vec<(String, String)>> = settings
            .links
            .as_ref()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect());
        let link_outs = LinkOuts::new(configured_links.as_deref())
            .map_err(|e| StartupError::Config(ConfigError::Invalid(e.to_string())))?;
        let root_names: Vec<&str> = roots.all().iter().map(|r| r.name.as_str()).collect();
        let definitions: Vec<_> = settings
            .views
            .iter()
            .map(|(name, view)| (name.clone(), view.definition()))
            .collect();
        let presets = Presets::new(&definitions, &root_names)
            .map_err(|e| StartupError::Config(ConfigError::Invalid(e.to_string())))?;
        Ok(Self {
            presets,
            metrics,
            web_policy,
            igv_web,
            genomes,
            igv,
            urls: ServiceUrls::new(public_url.clone()),
            public_url,
            allowed_hosts,
            loci_rules,
            roots,
            galaxy,
            settings,
            caches: ViewCaches::default(),
            link_outs,
        })
    }
}

impl ContextOwner for AppState {
    /// What the core's views need of the service.
    fn view_context(&self) -> ViewContext<'_> {
        ViewContext {
            genomes: &self.genomes,
            urls: &self.urls,
            igv: &self.igv,
            loci_rules: self.loci_rules,
            decompression: self.settings.limits.decompression(),
            igv_web: &self.igv_web,
            link_outs: &self.link_outs,
        }
    }
}

/// The built-in genomes with those `settings` define; gene annotations given
/// by URL are downloaded here, at start-up.
pub fn genome_registry(settings: &Settings) -> Result<GenomeRegistry, RegistryError> {
    GenomeRegistry::new(settings.genome_definitions(), &|url, cache| {
        download::fetch_to_cache(url, cache).map_err(|e| e.error)
    })
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("cannot load genomes: {0}")]
    Genomes(#[from] RegistryError),
    #[error(transparent)]
    DataRoots(#[from] RootsError),
    #[error("cannot listen on {0}: {1}")]
    Bind(String, std::io::Error),
}
