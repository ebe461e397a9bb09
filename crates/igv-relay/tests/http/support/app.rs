#![allow(dead_code)]
//! `spawn_app`: the real service on a random loopback port, for black-box tests.

use std::collections::BTreeMap;

use igv_relay::configuration::Settings;
use igv_relay::startup::Application;

pub struct TestApp {
    pub address: String,
    pub port: u16,
    /// `http://127.0.0.1:PORT` of the separate `/metrics` listener, when the
    /// test set `metrics.bind`.
    pub metrics_address: Option<String>,
    /// A client that does not follow redirects, so tests see the relay's 303.
    pub client: reqwest::Client,
}

impl TestApp {
    pub fn url(&self, path_and_query: &str) -> String {
        format!("{}{}", self.address, path_and_query)
    }

    pub async fn get(&self, path_and_query: &str) -> reqwest::Response {
        self.client
            .get(self.url(path_and_query))
            .send()
            .await
            .expect("request to the test app")
    }

    pub async fn get_json(&self, path_and_query: &str) -> reqwest::Response {
        self.client
            .get(self.url(path_and_query))
            .header("Accept", "application/json")
            .send()
            .await
            .expect("request to the test app")
    }
}

/// Settings as a test starts from: built-in defaults, no environment, a free
/// port, and the demo data root only if the test adds one.
pub fn test_settings() -> Settings {
    let mut settings =
        Settings::load_with_env(None, Some(BTreeMap::new())).expect("built-in defaults load");
    settings.server.bind = "127.0.0.1:0".to_owned();
    settings
}

/// Starts the service with settings adjusted by `configure`.
pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    let mut settings = test_settings();
    configure(&mut settings);
    let app = Application::build(settings).expect("the application builds");
    let port = app.port();
    let metrics_address = app
        .metrics_port()
        .map(|port| format!("http://127.0.0.1:{port}"));
    let address = app.public_url().as_str().trim_end_matches('/').to_owned();
    actix_web::rt::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        // The service closes idle connections after `limits.keep_alive_secs`
        // (5 s): a connection idle longer is not reused, or a test that
        // waits between requests (all areas share the cores) would send on
        // a connection the server is closing.
        .pool_idle_timeout(std::time::Duration::from_secs(2))
        .build()
        .expect("a reqwest client");
    TestApp {
        address,
        port,
        metrics_address,
        client,
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Asserts a 303 to exactly `location`, with the headers the relay promises.
pub fn assert_redirects_to(response: &reqwest::Response, location: &str) {
    assert_eq!(
        response.status().as_u16(),
        303,
        "expected 303 See Other for {location}"
    );
    assert_eq!(
        response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok()),
        Some(location)
    );
    assert_eq!(
        response
            .headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
}

/// Serves `html` at `path` on `listener`, as another site's page would be
/// (an intranet page embedding ours, a page on a foreign origin).
pub fn serve_html_page(listener: std::net::TcpListener, path: &'static str, html: String) {
    use actix_web::{App, HttpResponse, HttpServer, web};
    let html = web::Data::new(html);
    let server = HttpServer::new(move || {
        App::new().app_data(html.clone()).route(
            path,
            web::get().to(|html: web::Data<String>| async move {
                HttpResponse::Ok()
                    .content_type("text/html; charset=utf-8")
                    .body(html.get_ref().clone())
            }),
        )
    })
    .workers(1)
    .listen(listener)
    .expect("listen")
    .run();
    actix_web::rt::spawn(server);
}
