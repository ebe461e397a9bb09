//! A real headless Chromium (Debian's `chromium`), driven over WebDriver by Debian's
//! `chromedriver` through the `fantoccini` crate, or a real headless Firefox ESR (Debian's
//! `firefox-esr`) driven by `geckodriver` (crates.io, built by
//! `scripts/install-test-deps.sh`). Nothing is downloaded at test time.
//!
//! The point of the browser in these tests is what it does with a redirect to IGV: it
//! follows a 303 to `http://127.0.0.1:<igv port>/goto?...`, IGV answers 204, and the
//! navigation is aborted (`net::ERR_ABORTED`), leaving the page the user came from on screen
//! (e2e §4, port §2.5).

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

/// The first Firefox with Local Network Access (its prompt for pages that reach
/// loopback or local addresses): browsers-lna.md.
pub const FIREFOX_LNA_MAJOR: u32 = 144;

/// Which browser a [`Browser`] drives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Chromium,
    Firefox,
}

/// A headless browser session with its own WebDriver server and profile directory.
pub struct Browser {
    id: String,
    kind: Kind,
    client: Option<Client>,
    driver: Child,
    tmp: tempfile::TempDir,
}

/// Where `scripts/install-test-deps.sh` puts geckodriver when it builds it
/// (`cargo install --root`), used when none is on `PATH`.
fn geckodriver() -> Option<std::path::PathBuf> {
    if let Some(path) = std::env::var_os("GECKODRIVER") {
        return Some(path.into());
    }
    procs::which("geckodriver").or_else(|| {
        let cache = std::env::var_os("IGV_RELAY_CACHE")
            .map(std::path::PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME")
                    .map(|h| std::path::PathBuf::from(h).join(".cache/igv-relay"))
            })?;
        let path = cache.join("tools/bin/geckodriver");
        path.is_file().then_some(path)
    })
}

/// A browser instance's work directory (in the run directory, removed with
/// it), its marker id and a free port for its WebDriver server.
fn instance(kind: &str) -> (tempfile::TempDir, String, u16) {
    let tmp = tempfile::Builder::new()
        .prefix(&format!("{kind}-"))
        .tempdir_in(procs::run_root())
        .expect("create the browser's work directory");
    (tmp, procs::new_instance_id(kind), procs::free_port())
}

/// The major version `firefox-esr --version` reports ("Mozilla Firefox 153.8.0esr").
fn firefox_major(binary: &Path) -> Option<u32> {
    let out = Command::new(binary)
        .arg("--version")
        .env("HOME", std::env::temp_dir())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.split_whitespace()
        .find_map(|word| word.split('.').next()?.parse().ok())
}

impl Browser {
    /// Starts geckodriver and a headless Firefox ESR session with a fresh profile, the
    /// Firefox preferences `prefs` (a JSON object) and `extra_args`. Returns `None` (after
    /// saying why) when Firefox ESR, a Firefox with Local Network Access
    /// ([`FIREFOX_LNA_MAJOR`]) or geckodriver is missing; with `CI=true` panics instead.
    pub async fn start_firefox(prefs: serde_json::Value, extra_args: &[&str]) -> Option<Browser> {
        let what = "Firefox end-to-end test";
        let Some(firefox) = procs::which("firefox-esr") else {
            return procs::skip(what, "firefox-esr not found on PATH");
        };
        match firefox_major(&firefox) {
            Some(major) if major >= FIREFOX_LNA_MAJOR => {}
            other => {
                return procs::skip(
                    what,
                    &format!(
                        "firefox-esr is version {other:?}, older than {FIREFOX_LNA_MAJOR} (no Local \
                         Network Access)"
                    ),
                );
            }
        }
        let Some(geckodriver) = geckodriver() else {
            return procs::skip(
                what,
                "geckodriver not found on PATH nor in ~/.cache/igv-relay/tools/bin",
            );
        };
        let (tmp, id, port) = instance("firefox");
        let log = tmp.path().join("geckodriver.log");
        let log_file = fs::File::create(&log).expect("create geckodriver.log");
        let mut cmd = Command::new(geckodriver);
        cmd.arg(format!("--port={port}"))
            // Its profiles go to $TMPDIR: keep them in the run directory, removed with it.
            .env("TMPDIR", tmp.path())
            .env("HOME", tmp.path())
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().expect("log file"))
            .stderr(log_file);
        // geckodriver starts Firefox with its own environment, so the marker reaches
        // Firefox's processes too.
        procs::mark(&mut cmd, &id);
        let driver = cmd.spawn().expect("run geckodriver");
        let mut browser = Browser {
            id,
            kind: Kind::Firefox,
            client: None,
            driver,
            tmp,
        };
        browser.wait_for_driver(port, &log);
        let mut args = vec!["-headless".to_owned()];
        args.extend(extra_args.iter().map(|a| a.to_string()));
        let capabilities = serde_json::json!({
            "browserName": "firefox",
            "moz:firefoxOptions": { "binary": firefox, "args": args, "prefs": prefs },
            // After a click that starts a navigation, Marionette waits for the next page
            // to load, up to 5 s; IGV's 204 never brings one, so every click on a relay
            // link would take 5 s to return. With "none" a click returns at once, and
            // `goto` waits for the page itself (see `Self::goto`).
            "pageLoadStrategy": "none",
            "timeouts": { "pageLoad": 30_000, "script": 30_000 },
        });
        browser.connect(port, capabilities, &log).await;
        Some(browser)
    }

    /// Which browser this is.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    fn wait_for_driver(&self, port: u16, log: &Path) {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let listening = procs::poll(Duration::from_secs(20), Duration::from_millis(50), || {
            TcpStream::connect_timeout(&addr, Duration::from_secs(1)).ok()
        });
        if listening.is_none() {
            self.fail("the WebDriver server did not listen within 20 s", log);
        }
    }

    async fn connect(&mut self, port: u16, capabilities: serde_json::Value, log: &Path) {
        let serde_json::Value::Object(capabilities) = capabilities else {
            unreachable!("a JSON object literal")
        };
        let connected = ClientBuilder::rustls()
            .expect("rustls connector (needs ca-certificates)")
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await;
        match connected {
            Ok(client) => self.client = Some(client),
            Err(e) => self.fail(&format!("no WebDriver session: {e}"), log),
        }
    }

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
        let (tmp, id, port) = instance("browser");
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
            kind: Kind::Chromium,
            client: None,
            driver,
            tmp,
        };
        browser.wait_for_driver(port, &log);

        let profile = browser.tmp.path().join("profile");
        let mut args: Vec<String> = CHROMIUM_ARGS.iter().map(|a| a.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        args.extend(extra_args.iter().map(|a| a.to_string()));
        let capabilities = serde_json::json!({
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": chromium, "args": args },
            "timeouts": { "pageLoad": 30_000, "script": 30_000 },
        });
        browser.connect(port, capabilities, &log).await;
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
        tolerate_abort(self.client().goto(url).await)?;
        if self.kind == Kind::Firefox {
            // pageLoadStrategy "none": wait for the page here, as WebDriver would.
            let deadline = std::time::Instant::now() + Duration::from_secs(30);
            while std::time::Instant::now() < deadline {
                let state = self
                    .client()
                    .execute("return [location.href, document.readyState];", vec![])
                    .await?;
                if state[0] == url && state[1] == "complete" {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        Ok(())
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

    /// The pid of the WebDriver server (the browser's processes are its children).
    pub fn driver_pid(&self) -> u32 {
        self.driver.id()
    }

    fn fail(&self, what: &str, log: &Path) -> ! {
        let kept = procs::artifacts_dir().join(format!("{}-driver.log", self.id));
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
