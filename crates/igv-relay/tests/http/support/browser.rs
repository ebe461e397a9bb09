//! A real headless Chromium (Debian's `chromium`), driven over WebDriver by Debian's
//! `chromedriver` through the `fantoccini` crate. Nothing is downloaded.
//!
//! The point of the browser in these tests is what it does with a redirect to IGV: it
//! follows a 303 to `http://127.0.0.1:<igv port>/goto?...`, IGV answers 204, and the
//! navigation is aborted (`net::ERR_ABORTED`), leaving the page the user came from on screen
//! (e2e §4, port §2.5).
// Test binaries include this file in different ways (`mod support;` or `#[path]`) and use
// different parts of it.
#![allow(dead_code)]

use std::fs;
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::cookies::Cookie;
use fantoccini::error::CmdError;
use fantoccini::{Client, ClientBuilder, Locator};

use super::procs;

/// Chromium flags of e2e §4: headless, no network of its own (updates, sync, QUIC), no GPU,
/// and /dev/shm (mounted twice on the build machines) left alone.
const CHROMIUM_ARGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
];

/// A headless Chromium session with its own chromedriver and profile directory.
pub struct Browser {
    id: String,
    client: Option<Client>,
    driver: Child,
    tmp: tempfile::TempDir,
}

impl Browser {
    /// Starts chromedriver and a Chromium session with [`CHROMIUM_ARGS`], a fresh
    /// `--user-data-dir`, and `extra_args` (e.g.
    /// `--ip-address-space-overrides=127.0.0.2:8080=public` to make a loopback page count as
    /// a public web site for Local Network Access). Returns `None` (after saying why) when
    /// chromium or chromedriver is not installed; with `CI=true` panics instead.
    pub async fn start(extra_args: &[&str]) -> Option<Browser> {
        let missing = procs::missing_tools(&["chromium", "chromedriver"]);
        if !missing.is_empty() {
            return procs::skip(
                "browser end-to-end test",
                &format!("{missing} not found on PATH"),
            );
        }
        let chromium = procs::which("chromium")?;
        let tmp = tempfile::Builder::new()
            .prefix("browser-")
            .tempdir_in(procs::run_root())
            .expect("create the browser's work directory");
        let id = procs::new_instance_id("browser");
        let port = procs::free_port();
        let log = tmp.path().join("chromedriver.log");
        let mut cmd = Command::new("chromedriver");
        cmd.arg(format!("--port={port}"))
            .arg(format!("--log-path={}", log.display()))
            // Chromium's crash handler keeps its database under $HOME/.config/chromium.
            .env("HOME", tmp.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // chromedriver passes its environment on to Chromium, so the marker reaches every
        // Chromium process too and they are all stopped with it.
        procs::mark(&mut cmd, &id);
        let driver = cmd.spawn().expect("run chromedriver");
        let mut browser = Browser {
            id,
            client: None,
            driver,
            tmp,
        };

        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let listening = procs::poll(Duration::from_secs(20), Duration::from_millis(50), || {
            TcpStream::connect_timeout(&addr, Duration::from_secs(1)).ok()
        });
        if listening.is_none() {
            browser.fail("chromedriver did not listen within 20 s", &log);
        }

        let profile = browser.tmp.path().join("profile");
        let mut args: Vec<String> = CHROMIUM_ARGS.iter().map(|a| a.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        args.extend(extra_args.iter().map(|a| a.to_string()));
        let capabilities = serde_json::json!({
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": chromium, "args": args },
            "timeouts": { "pageLoad": 30_000, "script": 30_000 },
        });
        let serde_json::Value::Object(capabilities) = capabilities else {
            unreachable!("a JSON object literal")
        };
        let connected = ClientBuilder::rustls()
            .expect("rustls connector (needs ca-certificates)")
            .capabilities(capabilities)
            .connect(&format!("http://{addr}"))
            .await;
        match connected {
            Ok(client) => browser.client = Some(client),
            Err(e) => browser.fail(&format!("no WebDriver session: {e}"), &log),
        }
        Some(browser)
    }

    /// The fantoccini client, for anything the helpers do not cover.
    pub fn client(&self) -> &Client {
        self.client.as_ref().expect("browser already closed")
    }

    /// Navigates to `url`. A navigation that ends in IGV's 204 is aborted
    /// (`net::ERR_ABORTED`) and the previous page stays; chromedriver may or may not
    /// report that as an error, and both count as success here.
    pub async fn goto(&self, url: &str) -> Result<(), CmdError> {
        tolerate_abort(self.client().goto(url).await)
    }

    /// Clicks the first element matching the CSS selector `css`. A click whose navigation
    /// ends in a 204 is tolerated like in [`Self::goto`].
    pub async fn click(&self, css: &str) -> Result<(), CmdError> {
        let element = self.client().find(Locator::Css(css)).await?;
        tolerate_abort(element.click().await)
    }

    pub async fn current_url(&self) -> Result<String, CmdError> {
        Ok(self.client().current_url().await?.to_string())
    }

    /// The current DOM, serialised.
    pub async fn page_source(&self) -> Result<String, CmdError> {
        self.client().source().await
    }

    /// Sets a cookie for the current page's origin (WebDriver requires a page of that
    /// origin to be open).
    pub async fn set_cookie(&self, name: &str, value: &str) -> Result<(), CmdError> {
        self.client()
            .add_cookie(Cookie::new(name.to_owned(), value.to_owned()))
            .await
    }

    /// Ends the WebDriver session (chromedriver then quits Chromium) and stops chromedriver.
    /// Dropping a `Browser` without `close` also stops everything, only less politely.
    pub async fn close(mut self) {
        if let Some(client) = self.client.take() {
            let _ = client.close().await;
        }
    }

    /// The marker its processes carry in [`procs::ID_ENV`].
    pub fn instance_id(&self) -> &str {
        &self.id
    }

    /// The pid of chromedriver (Chromium's processes are its children).
    pub fn driver_pid(&self) -> u32 {
        self.driver.id()
    }

    fn fail(&self, what: &str, log: &Path) -> ! {
        let kept = procs::artifacts_dir().join(format!("{}-chromedriver.log", self.id));
        let _ = fs::copy(log, &kept);
        panic!(
            "the browser did not start: {what}\nfull log: {}\n{}",
            kept.display(),
            procs::tail(log, 30)
        );
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        procs::stop_instance(&self.id, &mut [&mut self.driver]);
    }
}

fn tolerate_abort(result: Result<(), CmdError>) -> Result<(), CmdError> {
    match result {
        Err(e) if e.to_string().contains("ERR_ABORTED") => Ok(()),
        other => other,
    }
}
