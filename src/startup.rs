//! Builds the application: state from settings, routes, the bound server.

use std::net::TcpListener;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::http::KeepAlive;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, guard, web};
use url::Url;

use crate::configuration::{ConfigError, Settings};
use crate::domain::igv::{AllowedHosts, IgvPort, IgvTarget};
use crate::domain::loci::LociRules;
use crate::genomes::{GenomeRegistry, RegistryError};
use crate::links::ServiceUrls;
use crate::metrics::{self, Metrics};
use crate::middleware::{WebPolicy, request_context};
use crate::routes::{api, assets, embed, files, galaxy, health, pages, relay};
use crate::sources::galaxy::GalaxyClient;
use crate::sources::local::DataRoots;

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
    /// `/api/openapi.json`, generated once from the API's handlers.
    pub openapi: String,
}

impl AppState {
    pub fn new(settings: Settings, public_url: Url) -> Result<Self, StartupError> {
        let genomes = GenomeRegistry::from_settings(&settings)?;
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
        let roots = DataRoots::new(&settings.data.roots);
        let metrics = Metrics::new()
            .map_err(|e| StartupError::Config(ConfigError::Invalid(e.to_string())))?;
        let web_policy = WebPolicy::from_settings(&settings)
            .map_err(|e| StartupError::Config(ConfigError::Invalid(e)))?;
        let openapi = api::openapi_document(&public_url)
            .map_err(|e| StartupError::Config(ConfigError::Invalid(e.to_string())))?;
        Ok(Self {
            metrics,
            web_policy,
            openapi,
            genomes,
            igv,
            urls: ServiceUrls::new(public_url.clone()),
            public_url,
            allowed_hosts,
            loci_rules,
            roots,
            galaxy,
            settings,
        })
    }
}

/// Registers every route; shared by the server and in-process tests.
pub fn configure_routes(cfg: &mut web::ServiceConfig) {
    let get_or_head = || guard::Any(guard::Get()).or(guard::Head());
    // The relay first: it is the hot path, and actix tries services in order.
    cfg.service(
        web::resource("/igv/goto")
            .wrap(from_fn(relay::rate_limit))
            .route(web::route().guard(get_or_head()).to(relay::goto))
            .default_service(web::to(relay::method_not_allowed)),
    )
    .service(
        web::resource("/igv/load")
            .wrap(from_fn(relay::rate_limit))
            .route(web::route().guard(get_or_head()).to(relay::load))
            .default_service(web::to(relay::method_not_allowed)),
    )
    .route("/", web::route().guard(get_or_head()).to(pages::start))
    .route("/healthz", web::get().to(health::healthz))
    .route("/readyz", web::get().to(health::readyz))
    .route(metrics::ENDPOINT, web::get().to(health::metrics))
    .route("/static/{name}", web::get().to(assets::asset))
    .route("/embed", web::route().guard(get_or_head()).to(embed::embed))
    .service(api::scope())
    .route(
        "/galaxy/display",
        web::route().guard(get_or_head()).to(galaxy::display),
    )
    .route(
        "/galaxy/datasets/{id}",
        web::route().guard(get_or_head()).to(galaxy::dataset),
    )
    .route("/files/", web::get().to(files::roots))
    .route("/files", web::get().to(files::roots))
    .route("/files/{tail:.+}", web::get().to(files::file_or_dir))
    .route(
        "/raw/{tail:.+}",
        web::route().guard(get_or_head()).to(files::raw),
    )
    .service(
        web::resource("/settings")
            .route(web::get().to(pages::settings))
            .route(web::post().to(pages::save_settings)),
    );
}

pub struct Application {
    port: u16,
    server: Server,
    public_url: Url,
}

impl Application {
    /// Binds `settings.server.bind` (port 0 picks a free port, as tests do).
    pub fn build(settings: Settings) -> Result<Self, StartupError> {
        let listener = TcpListener::bind(&settings.server.bind)
            .map_err(|e| StartupError::Bind(settings.server.bind.clone(), e))?;
        let address = listener
            .local_addr()
            .map_err(|e| StartupError::Bind(settings.server.bind.clone(), e))?;
        let public_url = settings.public_url(address)?;
        let state = web::Data::new(AppState::new(settings, public_url.clone())?);
        // Limits (SECURITY.md): slow or idle clients are cut off, and at most
        // `max_connections` are served at once (actix counts per worker).
        let limits = state.settings.limits.clone();
        let workers = limits.worker_count();
        let relay_limit = relay::RelayRateLimit::from_settings(&limits).map(web::Data::new);
        let server = HttpServer::new(move || {
            // Every response, /metrics included, gets the request id and the
            // security headers, and is logged and counted.
            let mut app = App::new()
                .wrap(from_fn(request_context))
                .app_data(state.clone());
            if let Some(limit) = &relay_limit {
                app = app.app_data(limit.clone());
            }
            app.configure(configure_routes)
        })
        .workers(workers)
        .max_connections(limits.max_connections.div_ceil(workers))
        .client_request_timeout(Duration::from_millis(limits.client_request_timeout_ms))
        .client_disconnect_timeout(Duration::from_millis(limits.client_disconnect_timeout_ms))
        .keep_alive(match limits.keep_alive_secs {
            0 => KeepAlive::Disabled,
            secs => KeepAlive::Timeout(Duration::from_secs(secs)),
        })
        .listen(listener)
        .map_err(|e| StartupError::Bind(address.to_string(), e))?
        .run();
        Ok(Self {
            port: address.port(),
            server,
            public_url,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn public_url(&self) -> &Url {
        &self.public_url
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("cannot load genomes: {0}")]
    Genomes(#[from] RegistryError),
    #[error("cannot listen on {0}: {1}")]
    Bind(String, std::io::Error),
}
