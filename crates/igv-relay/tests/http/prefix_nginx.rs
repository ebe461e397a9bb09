//! The service behind a real nginx that forwards `/igv/*` to it, with
//! `server.public_url = http://127.0.0.1:<nginx>/igv/`: every link, asset, form
//! action and redirect on the start page, a result page, an error page, the
//! landing page and the embed page must work through the proxy (no 404, nothing
//! outside `/igv/`, never the service's own address).
//!
//! Needs Debian's `nginx` (started here on a loopback port with its own
//! configuration and temp directories). Without it the test says
//! "skipping: ..." and passes, unless `CI=true`.

use std::collections::{BTreeSet, VecDeque};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::app::spawn_app_with;
use crate::support::html::unescape;
use crate::support::in_ci;
use url::Url;

const PREFIX: &str = "/igv/";

fn find_nginx() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin")])
        .map(|dir| dir.join("nginx"))
        .find(|p| p.is_file())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

/// An nginx in the foreground (`master_process off`), stopped on drop.
struct Nginx {
    child: Child,
    dir: tempfile::TempDir,
}

impl Nginx {
    fn start(binary: &Path, port: u16, upstream_port: u16) -> Nginx {
        let dir = tempfile::tempdir().expect("a temp dir for nginx");
        let d = dir.path().display();
        let conf = format!(
            r#"daemon off;
master_process off;
error_log {d}/error.log warn;
pid {d}/nginx.pid;
events {{ worker_connections 64; }}
http {{
    access_log {d}/access.log;
    client_body_temp_path {d}/client_body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location = /igv {{ return 301 /igv/; }}
        location /igv/ {{
            proxy_pass http://127.0.0.1:{upstream_port}/;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Prefix /igv;
            proxy_redirect off;
        }}
        location / {{ return 404 "outside /igv/ (not the relay)\n"; }}
    }}
}}
"#
        );
        let conf_path = dir.path().join("nginx.conf");
        std::fs::write(&conf_path, conf).expect("write nginx.conf");
        let child = Command::new(binary)
            .arg("-p")
            .arg(dir.path())
            .arg("-e")
            .arg(dir.path().join("error.log"))
            .arg("-c")
            .arg(&conf_path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start nginx");
        let mut nginx = Nginx { child, dir };
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = nginx.child.try_wait() {
                panic!("nginx exited with {status}:\n{}", nginx.error_log());
            }
            assert!(
                Instant::now() < deadline,
                "nginx did not listen on {port} within 10 s:\n{}",
                nginx.error_log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        nginx
    }

    fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default()
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What a page points at: `(kind, url)` for every `href`, `src`, form
/// `action` (with its method) and meta-refresh target.
fn references(html: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for attr in ["href", "src", "action"] {
        let needle = format!(" {attr}=\"");
        for (i, _) in html.match_indices(&needle) {
            let start = i + needle.len();
            let Some(len) = html[start..].find('"') else {
                continue;
            };
            let kind = if attr == "action" {
                let tag_start = html[..i].rfind('<').unwrap_or(0);
                let tag_end = start + html[start..].find('>').unwrap_or(0);
                let tag = html[tag_start..tag_end].to_ascii_lowercase();
                if tag.contains("method=\"post\"") {
                    "post"
                } else {
                    "get-form"
                }
            } else {
                attr
            };
            out.push((kind.to_owned(), unescape(&html[start..start + len])));
        }
    }
    for (i, _) in html.match_indices("http-equiv=\"refresh\"") {
        let tag_end = i + html[i..].find('>').unwrap_or(0);
        if let Some(u) = html[i..tag_end].find("url=") {
            let start = i + u + 4;
            let len = html[start..].find('"').unwrap_or(0);
            out.push(("refresh".to_owned(), unescape(&html[start..start + len])));
        }
    }
    out
}

struct Crawl {
    client: reqwest::Client,
    origin: Url,
    backend_port: u16,
    seen: BTreeSet<String>,
    checked: usize,
}

impl Crawl {
    /// Asserts that `url` (found on `page`) stays under the prefix, then
    /// requests it through nginx and returns the response if it is HTML.
    async fn check(&mut self, page: &str, kind: &str, url: &Url) -> Option<String> {
        assert_ne!(
            url.port_or_known_default(),
            Some(self.backend_port),
            "{page} leaks the service's own address in {kind} {url}"
        );
        if url.host_str() == Some("127.0.0.1") && url.port() == Some(60151) {
            return None; // A direct IGV link (landing page): not ours to follow.
        }
        if [
            "https://www.ncbi.nlm.nih.gov/",
            "https://gnomad.broadinstitute.org/",
        ]
        .iter()
        .any(|p| url.as_str().starts_with(p))
        {
            return None; // The default link-outs (dbSNP, ClinVar, gnomAD): not ours to follow.
        }
        if url.as_str().starts_with("https://igv.org/app/?") {
            // "Open in IGV-Web": the IGV-Web app's, not ours to follow, but
            // the files it is given must be the proxy's URLs.
            for (key, value) in url.query_pairs() {
                for part in value.split(',') {
                    if part.starts_with("http") {
                        assert!(
                            part.starts_with(&format!(
                                "{}{}",
                                self.origin.origin().ascii_serialization(),
                                PREFIX
                            )),
                            "{page}: IGV-Web {key}={part} is not under the proxy"
                        );
                    }
                }
            }
            return None;
        }
        assert_eq!(
            url.origin(),
            self.origin.origin(),
            "{page}: {kind} {url} leaves the proxy"
        );
        assert!(
            url.path().starts_with(PREFIX),
            "{page}: {kind} {url} is outside {PREFIX}"
        );
        if !self.seen.insert(format!("{kind} {url}")) {
            return None;
        }
        self.checked += 1;
        let response = match kind {
            "post" => {
                self.client
                    .post(url.clone())
                    .form(&[("port", "60152")])
                    .send()
                    .await
            }
            _ => self.client.get(url.clone()).send().await,
        }
        .unwrap_or_else(|e| panic!("{page}: {kind} {url}: {e}"));
        let status = response.status().as_u16();
        assert_ne!(
            status, 404,
            "{page}: {kind} {url} is a 404 behind the proxy"
        );
        assert!(status < 500, "{page}: {kind} {url} answered {status}");
        if response.status().is_redirection() {
            let location = response
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_else(|| panic!("{page}: {url}: redirect without Location"));
            let target = url.join(location).expect("a valid Location");
            if let Some(cookie) = response.headers().get("set-cookie") {
                let cookie = cookie.to_str().unwrap();
                assert!(cookie.contains("Path=/igv/"), "{url}: cookie {cookie}");
            }
            return Box::pin(self.check(url.as_str(), "redirect", &target)).await;
        }
        let is_html = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("text/html"));
        let body = response.text().await.unwrap();
        is_html.then_some(body)
    }

    /// Fetches `page` through the proxy and checks everything it refers to;
    /// returns the page's references for the caller to pick the next page.
    async fn page(&mut self, path_and_query: &str) -> Vec<Url> {
        let page = self.origin.join(path_and_query).unwrap();
        let html = Box::pin(self.check("(start)", "page", &page))
            .await
            .unwrap_or_else(|| panic!("{page} is not an HTML page"));
        let refs = references(&html);
        assert!(!refs.is_empty(), "{page} refers to nothing");
        let mut urls = Vec::new();
        for (kind, reference) in refs {
            let url = page
                .join(&reference)
                .unwrap_or_else(|e| panic!("{page}: {kind} {reference:?}: {e}"));
            let mut target = url.clone();
            if kind == "get-form" {
                // Submitting a GET form adds its fields to the action's query.
                target.query_pairs_mut().append_pair("genome", "hg38");
            }
            Box::pin(self.check(page.as_str(), &kind, &target)).await;
            urls.push(url);
        }
        urls
    }
}

#[actix_web::test]
async fn every_link_works_behind_nginx_under_a_path_prefix() {
    let Some(nginx_binary) = find_nginx() else {
        if in_ci() {
            panic!("nginx is required when CI=true; install the Debian package nginx");
        }
        eprintln!("skipping: nginx is not installed (Debian package nginx)");
        return;
    };
    let proxy_port = free_port();
    let public = format!("http://127.0.0.1:{proxy_port}{PREFIX}");
    let public_for_app = public.clone();
    let app = spawn_app_with(move |s| s.server.public_url = public_for_app).await;
    let _nginx = Nginx::start(&nginx_binary, proxy_port, app.port);

    let mut crawl = Crawl {
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        origin: Url::parse(&format!("http://127.0.0.1:{proxy_port}/")).unwrap(),
        backend_port: app.port,
        seen: BTreeSet::new(),
        checked: 0,
    };

    // The start page, with links made from pasted loci.
    let start = crawl
        .page("/igv/?loci=chr7%3A140%2C753%2C336-140%2C753%2C436%0Achr17%3A7668402&genome=hg38")
        .await;
    assert!(
        start.iter().any(|u| u.path() == "/igv/igv/goto"),
        "the start page made relay links"
    );
    // A result page: every file of the demo root.
    let listing = crawl.page("/igv/files/demo/").await;
    let files: Vec<Url> = listing
        .iter()
        .filter(|u| u.path().starts_with("/igv/files/demo/") && u.path() != "/igv/files/demo/")
        .cloned()
        .collect();
    assert!(!files.is_empty(), "the demo root lists files");
    let mut queue: VecDeque<Url> = files.into();
    let mut result_pages = 0;
    let mut pages_with_relay_links = 0;
    while let Some(file) = queue.pop_front() {
        let refs = crawl
            .page(&format!("{}?{}", file.path(), file.query().unwrap_or("")))
            .await;
        result_pages += 1;
        if refs.iter().any(|u| u.path() == "/igv/igv/goto") {
            pages_with_relay_links += 1;
        }
    }
    assert!(
        pages_with_relay_links > 0,
        "no result page has View in IGV links"
    );
    // An error page, the landing page, the settings page and the embed page.
    crawl.page("/igv/igv/goto?locus=chr1%3A500-100").await;
    crawl
        .page("/igv/igv/goto?locus=chr1%3A100-200&landing=1")
        .await;
    crawl.page("/igv/settings").await;
    crawl
        .page("/igv/embed?loci=chr1%3A100-200&genome=hg38")
        .await;

    // The API describes itself under the prefix, too.
    let doc: serde_json::Value = crawl
        .client
        .get(format!("{public}api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["servers"][0]["url"], public.trim_end_matches('/'));
    let links: serde_json::Value = crawl
        .client
        .post(format!("{public}api/links"))
        .json(&serde_json::json!({"loci": ["chr1:100-200"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let relay_url = Url::parse(links["results"][0]["relay_url"].as_str().unwrap()).unwrap();
    crawl.check("/api/links", "relay_url", &relay_url).await;

    eprintln!(
        "checked {} URLs through nginx ({} result pages)",
        crawl.checked, result_pages
    );
    assert!(crawl.checked > 20, "only {} URLs checked", crawl.checked);
}
