//! Builds the application: state from settings, routes, the bound server.

use std::net::TcpListener;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::http::KeepAlive;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, guard, web};
use url::Url;

use crate::configuration::{ConfigError, MetricsExposure, Settings};
use crate::metrics;
use crate::middleware::{RequestContext, raw_cors};
use crate::routes::{api, assets, embed, files, galaxy, health, pages, relay};
pub use crate::state::{AppState, StartupError};

/// Registers every route; shared by the server and in-process tests.
/// `relay_limited`: whether `limits.relay_requests_per_minute` is on (the
/// relay routes only get the rate-limit middleware then).
pub fn configure_routes(cfg: &mut web::ServiceConfig, relay_limited: bool) {
    let get_or_head = || guard::Any(guard::Get()).or(guard::Head());
    // The relay first: it is the hot path, and actix tries services in order.
    relay::resource(cfg, "/igv/goto", relay::goto, relay_limited);
    relay::resource(cfg, "/igv/load", relay::load, relay_limited);
    // Issue 14: `/igv/view` and `/igv/check` (registered in relay.rs).
    relay::configure(cfg, relay_limited);
    cfg.service(
        web::resource("/")
            // Bodies a little over the paste limit reach the page, which says
            // what the limit is (actix would answer a bare 413).
            .app_data(web::PayloadConfig::new(4 * pages::MAX_PASTE_BYTES))
            .route(web::route().guard(get_or_head()).to(pages::start))
            .route(web::post().to(pages::start_post)),
    )
    .route("/healthz", web::get().to(health::healthz))
    .route("/readyz", web::get().to(health::readyz))
    .route("/static/{name:.+}", web::get().to(assets::asset))
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
    .route(
        "/galaxy/collections/{id}",
        web::route().guard(get_or_head()).to(galaxy::collection),
    )
    .route("/files/", web::get().to(files::roots))
    .route("/files", web::get().to(files::roots))
    .service(
        // CORS as for /raw: IGV-Web reads the session exports from here.
        web::resource("/files/{tail:.+}")
            .wrap(from_fn(raw_cors))
            .route(web::route().guard(get_or_head()).to(files::file_or_dir)),
    )
    .service(
        // CORS (and its preflights) for igv.js on other sites and IGV-Web.
        web::resource("/raw/{tail:.+}")
            .wrap(from_fn(raw_cors))
            .route(web::route().guard(get_or_head()).to(files::raw)),
    )
    .service(
        web::resource("/settings")
            .route(web::get().to(pages::settings))
            .route(web::post().to(pages::save_settings)),
    );
}

/// `/metrics`, registered only where `metrics.bind`/`metrics.token` put it
/// (`MetricsExposure`): by default it is on no port at all.
pub fn configure_metrics(cfg: &mut web::ServiceConfig) {
    cfg.route(metrics::ENDPOINT, web::get().to(health::metrics));
}

pub struct Application {
    port: u16,
    server: Server,
    /// The separate `/metrics` listener (`metrics.bind`) and its port.
    metrics: Option<(u16, Server)>,
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
        let urls = web::Data::new(state.urls.clone());
        let openapi = web::Data::new(
            api::OpenApiDocument::generate(&public_url)
                .map_err(|e| StartupError::Config(ConfigError::Invalid(e.to_string())))?,
        );
        // Limits (SECURITY.md): slow or idle clients are cut off, and at most
        // `max_connections` are served at once (actix counts per worker).
        let limits = state.settings.limits.clone();
        let workers = limits.worker_count();
        let relay_limit = relay::RelayRateLimit::from_settings(&limits).map(web::Data::new);
        let exposure = state.settings.metrics.exposure();
        let metrics = match &exposure {
            MetricsExposure::Separate(bind) => Some(Self::metrics_server(bind, &state, &urls)?),
            MetricsExposure::Off | MetricsExposure::PublicWithToken => None,
        };
        let public_metrics = exposure == MetricsExposure::PublicWithToken;
        let server = HttpServer::new(move || {
            // Every response, /metrics included, gets the request id and the
            // security headers, and is logged and counted.
            let mut app = App::new()
                .wrap(RequestContext::new(state.clone()))
                .app_data(state.clone())
                .app_data(openapi.clone())
                // Error pages link to the service's own pages (crate::error).
                .app_data(urls.clone());
            if let Some(limit) = &relay_limit {
                app = app.app_data(limit.clone());
            }
            let app = app.configure(|cfg| configure_routes(cfg, relay_limit.is_some()));
            if public_metrics {
                app.configure(configure_metrics)
            } else {
                app
            }
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
            metrics,
            public_url,
        })
    }

    /// The `metrics.bind` listener: `/metrics` and `/healthz` only, one
    /// worker, the same state (so the same counters) and the same middleware.
    fn metrics_server(
        bind: &str,
        state: &web::Data<AppState>,
        urls: &web::Data<igv_relay_core::links::ServiceUrls>,
    ) -> Result<(u16, Server), StartupError> {
        let listener = TcpListener::bind(bind)
            .map_err(|e| StartupError::Bind(format!("metrics.bind {bind}"), e))?;
        let port = listener
            .local_addr()
            .map_err(|e| StartupError::Bind(format!("metrics.bind {bind}"), e))?
            .port();
        let (state, urls) = (state.clone(), urls.clone());
        let server = HttpServer::new(move || {
            App::new()
                .wrap(RequestContext::new(state.clone()))
                .app_data(state.clone())
                .app_data(urls.clone())
                .route("/healthz", web::get().to(health::healthz))
                .configure(configure_metrics)
        })
        .workers(1)
        .listen(listener)
        .map_err(|e| StartupError::Bind(format!("metrics.bind {bind}"), e))?
        .run();
        tracing::info!(address = %bind, port, "metrics listening");
        Ok((port, server))
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port of the separate `/metrics` listener, when `metrics.bind` is set.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(port, _)| *port)
    }

    pub fn public_url(&self) -> &Url {
        &self.public_url
    }

    /// Serves until stopped (SIGINT/SIGTERM reach both listeners).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        match self.metrics {
            Some((_, metrics)) => futures_util::future::try_join(self.server, metrics)
                .await
                .map(|_| ()),
            None => self.server.await,
        }
    }
}
