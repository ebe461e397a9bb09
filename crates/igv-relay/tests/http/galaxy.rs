//! Against a real Galaxy (26.1.2 from PyPI, set up by scripts/galaxy.sh exactly as
//! README.md, "Galaxy", tells a Galaxy admin): upload a BED, a VCF and an
//! interval file through the API, wait for `ok`, follow igv-relay's display
//! application link the way Galaxy's web page does, and check the relay's pages
//! list the records at the exact expected loci; then a BAM with its index, a
//! bgzipped VCF and a GFF3 (every display application in deploy/galaxy is
//! followed, and IGV's data URLs are fetched with Range as IGV does); then the
//! API route with a key, the "Load in IGV" link, and a private dataset.
//!
//! Galaxy comes from `GALAXY_URL`, `GALAXY_API_KEY` and `GALAXY_RELAY_URL` when
//! they are set (`eval "$(scripts/galaxy.sh env)"`), else from
//! `scripts/galaxy.sh start`: with `CI=true` that installs and launches Galaxy
//! as needed (and the test stops a Galaxy it launched); otherwise it only finds
//! one already running. Without Galaxy the test prints "skipping: ..." and
//! passes, except with `CI=true`, where it fails.

use std::collections::{BTreeSet, HashMap};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::app::{TestApp, spawn_app_with};
use crate::support::html::{loci, unescape};
use crate::support::in_ci;
use serde_json::{Value, json};
use url::Url;

pub(super) const BED: &str =
    "chr1\t100\t200\tfeat1\t0\t+\nchr2\t1000\t1500\tfeat2\t0\t-\nchrX\t0\t1\tfirst_base\t0\t+\n";
pub(super) const BED_LOCI: &[&str] = &["chr1:101-200", "chr2:1001-1500", "chrX:1"];
pub(super) const VCF: &str = "##fileformat=VCFv4.2\n##contig=<ID=1,length=249250621>\n##contig=<ID=2,length=243199373>\n\
#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\tS2\n\
1\t12345\trs1\tA\tG\t50\tPASS\tDP=10\tGT\t0/1\t1/1\n\
2\t5000\tdel1\tACGT\tA\t40\tPASS\tDP=7\tGT\t0/0\t0/1\n";
pub(super) const VCF_LOCI: &[&str] = &["1:12345", "2:5000-5003"];
/// Galaxy sniffs chromCol=3, startCol=4, endCol=5 from the header; 0-based starts.
const INTERVAL: &str =
    "#name\tscore\tchrom\tstart\tend\ng1\t5\tchr3\t10\t20\ng2\t7\tchr4\t99\t100\n";
const INTERVAL_LOCI: &[&str] = &["chr3:11-20", "chr4:100"];

pub(super) struct Galaxy {
    pub(super) url: Url,
    pub(super) api_key: String,
    pub(super) relay_url: Url,
    /// Launched by this test (not merely found running): stop it at the end.
    started_here: bool,
}

impl Drop for Galaxy {
    fn drop(&mut self) {
        if self.started_here && std::env::var("GALAXY_KEEP_RUNNING").is_err() {
            let _ = script().arg("stop").status();
        }
    }
}

fn script() -> Command {
    let mut command = Command::new("bash");
    command.arg(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../scripts/galaxy.sh"
    ));
    command
}

fn parse_env(text: &str) -> HashMap<String, String> {
    text.lines()
        .filter_map(|l| l.trim().trim_start_matches("export ").split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// The Galaxy to test against, or why there is none.
pub(super) fn galaxy() -> Result<Galaxy, String> {
    let from_env: HashMap<String, String> = ["GALAXY_URL", "GALAXY_API_KEY", "GALAXY_RELAY_URL"]
        .iter()
        .filter_map(|k| std::env::var(k).ok().map(|v| ((*k).to_owned(), v)))
        .filter(|(_, v)| !v.is_empty())
        .collect();
    let (values, started_here) = if from_env.len() == 3 {
        (from_env, false)
    } else {
        let mut command = script();
        command.arg("start");
        if !in_ci() {
            // A plain `cargo test` uses a running Galaxy, or skips: it never
            // installs or launches one (1.2 GB of RAM, 30 s of CPU).
            command
                .env("GALAXY_NO_INSTALL", "1")
                .env("GALAXY_NO_LAUNCH", "1");
        }
        let output = command
            .output()
            .map_err(|e| format!("cannot run scripts/galaxy.sh: {e}"))?;
        if !output.status.success() {
            return Err(format!(
                "scripts/galaxy.sh start failed: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        let values = parse_env(&String::from_utf8_lossy(&output.stdout));
        let launched = values.get("GALAXY_STARTED").is_some_and(|v| v == "1");
        (values, launched)
    };
    let get = |key: &str| {
        values
            .get(key)
            .cloned()
            .ok_or_else(|| format!("{key} was not given"))
    };
    let parse = |key: &str| -> Result<Url, String> {
        let text = get(key)?;
        Url::parse(&text).map_err(|e| format!("{key}={text}: {e}"))
    };
    Ok(Galaxy {
        url: parse("GALAXY_URL")?,
        api_key: get("GALAXY_API_KEY")?,
        relay_url: parse("GALAXY_RELAY_URL")?,
        started_here,
    })
}

/// A client for Galaxy's API, as the admin user.
pub(super) struct Api<'g> {
    pub(super) galaxy: &'g Galaxy,
    pub(super) http: reqwest::Client,
}

impl Api<'_> {
    fn url(&self, path: &str) -> Url {
        self.galaxy.url.join(path).expect("a Galaxy URL")
    }

    pub(super) async fn get(&self, path: &str) -> Value {
        let response = self
            .http
            .get(self.url(path))
            .header("x-api-key", &self.galaxy.api_key)
            .send()
            .await
            .expect("Galaxy answers");
        assert!(
            response.status().is_success(),
            "GET {path}: {}",
            response.status()
        );
        response.json().await.expect("JSON from Galaxy")
    }

    pub(super) async fn send(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let response = self
            .http
            .request(method.clone(), self.url(path))
            .header("x-api-key", &self.galaxy.api_key)
            .json(&body)
            .send()
            .await
            .expect("Galaxy answers");
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        assert!(status.is_success(), "{method} {path}: {status}: {text}");
        serde_json::from_str(&text).expect("JSON from Galaxy")
    }

    /// Uploads pasted files into a new history; returns dataset ids by name.
    pub(super) async fn upload(
        &self,
        files: &[(&str, &str, &str, &str)],
    ) -> HashMap<String, String> {
        let elements: Vec<Value> = files
            .iter()
            .map(|(name, ext, dbkey, content)| {
                json!({"src": "pasted", "paste_content": content, "ext": ext,
                       "dbkey": dbkey, "name": name})
            })
            .collect();
        self.upload_elements(elements).await
    }

    /// Uploads binary files (BAM, BGZF) as `base64://` URLs, which Galaxy's
    /// fetch API reads without any network.
    async fn upload_binary(&self, files: &[(&str, &str, &str, &[u8])]) -> HashMap<String, String> {
        let elements: Vec<Value> = files
            .iter()
            .map(|(name, ext, dbkey, bytes)| {
                json!({"src": "url", "url": format!("base64://{}", base64(bytes)), "ext": ext,
                       "dbkey": dbkey, "name": name})
            })
            .collect();
        self.upload_elements(elements).await
    }

    pub(super) async fn upload_elements(&self, elements: Vec<Value>) -> HashMap<String, String> {
        let history = self
            .send(
                reqwest::Method::POST,
                "api/histories",
                json!({"name": "igv-relay tests"}),
            )
            .await;
        let answer = self
            .send(
                reqwest::Method::POST,
                "api/tools/fetch",
                json!({"history_id": history["id"],
                       "targets": [{"destination": {"type": "hdas"}, "elements": elements}]}),
            )
            .await;
        answer["outputs"]
            .as_array()
            .expect("fetch outputs")
            .iter()
            .map(|o| {
                (
                    o["name"].as_str().unwrap_or_default().to_owned(),
                    o["id"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    }

    pub(super) async fn wait_ok(&self, id: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(180);
        loop {
            let dataset = self.get(&format!("api/datasets/{id}")).await;
            match dataset["state"].as_str() {
                Some("ok") => return dataset,
                Some(state @ ("error" | "failed_metadata" | "discarded")) => {
                    panic!("dataset {id} ended in state {state}: {dataset}")
                }
                state => assert!(
                    Instant::now() < deadline,
                    "dataset {id} still {state:?} after 180 s"
                ),
            }
            actix_web::rt::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// The relay's display link for a dataset, as Galaxy's web page gets it:
    /// `POST /api/display_applications/create_link`, then open `resource`.
    async fn relay_link(&self, dataset: &Value) -> (String, String, Url) {
        let (app, link, href) = dataset["display_apps"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|a| a["links"].as_array().into_iter().flatten())
            .find_map(|l| {
                let app = l["app_name"].as_str()?;
                app.starts_with("igv_relay").then(|| {
                    (
                        app.to_owned(),
                        l["link_name"].as_str().unwrap_or("view").to_owned(),
                        l["href"].as_str().unwrap_or("").to_owned(),
                    )
                })
            })
            .unwrap_or_else(|| panic!("no igv_relay display app listed: {dataset}"));
        let feedback = self
            .send(
                reqwest::Method::POST,
                "api/display_applications/create_link",
                json!({"app_name": app, "link_name": link, "dataset_id": dataset["id"]}),
            )
            .await;
        let resource = feedback["resource"]
            .as_str()
            .unwrap_or_else(|| panic!("create_link gave no resource: {feedback}"));
        (app, href, Url::parse(resource).expect("resource is a URL"))
    }
}

/// The tests of this binary that listen at GALAXY_RELAY_URL (this file's and
/// e2e/galaxy_plugin.rs) hold this while they do, one at a time: the port
/// being free a moment before is no promise that the other test will not
/// bind it first.
pub(super) static RELAY_PORT: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Galaxy's display applications point at one fixed relay URL, so only one
/// test process at a time can be that relay: wait for another to finish.
pub(super) fn wait_for_free_port(port: u16) -> Result<(), String> {
    let wait = Duration::from_secs(if in_ci() { 180 } else { 30 });
    let deadline = Instant::now() + wait;
    while std::net::TcpListener::bind(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            return Err(format!(
                "port {port} of GALAXY_RELAY_URL stayed busy for {} s (another relay listens \
                 there; scripts/galaxy.sh takes GALAXY_RELAY_URL=http://127.0.0.1:<port>/)",
                wait.as_secs()
            ));
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    Ok(())
}

fn link_with_class(html: &str, class: &str) -> Option<String> {
    let start = html.find(&format!("class=\"{class}\" href=\""))?;
    let rest = &html[start..];
    let href = rest.split("href=\"").nth(1)?.split('"').next()?;
    Some(unescape(href))
}

async fn page(app: &TestApp, url: &Url) -> String {
    let response = app
        .client
        .get(url.clone())
        .send()
        .await
        .expect("the relay answers");
    let status = response.status();
    let body = response.text().await.expect("a page");
    assert_eq!(status.as_u16(), 200, "{url}: {body}");
    body
}

/// Follows the page's "Load this file in IGV" link to the relay's 303 and
/// fetches the file IGV would be sent to, without any Galaxy session.
async fn assert_igv_loads_from_galaxy(app: &TestApp, html: &str, galaxy: &Galaxy, content: &str) {
    let load = link_with_class(html, "igv-load").expect("a Load in IGV link");
    let mut load = Url::parse(&load).expect("an absolute load link");
    let kept: Vec<(String, String)> = load
        .query_pairs()
        .filter(|(k, _)| k != "landing")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    load.query_pairs_mut().clear().extend_pairs(kept);
    let response = app.client.get(load.clone()).send().await.expect("relay");
    assert_eq!(response.status().as_u16(), 303, "{load}");
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let igv = Url::parse(&location).expect("an IGV URL");
    assert_eq!(igv.host_str(), Some("127.0.0.1"));
    assert_eq!(igv.port(), Some(60151));
    assert_eq!(igv.path(), "/load");
    let file = igv
        .query_pairs()
        .find(|(k, _)| k == "file")
        .map(|(_, v)| v.into_owned())
        .expect("a file= for IGV");
    assert!(
        file.starts_with(&format!("{}display_application/", galaxy.url)),
        "IGV loads Galaxy's session-less data URL: {file}"
    );
    // What IGV does next: a plain GET, no cookie, no key.
    let bytes = reqwest::get(&file)
        .await
        .expect("Galaxy serves the data URL")
        .text()
        .await
        .expect("the dataset");
    assert_eq!(bytes, content, "{file}");
}

/// Whether Galaxy's API answers (GALAXY_URL may name a server that is down).
/// The Galaxy to test against, answering; or `None` after saying why it is
/// missing (a failure under `CI=true`).
pub(super) async fn galaxy_or_skip() -> Option<Galaxy> {
    let galaxy = match galaxy() {
        Ok(galaxy) => answering(galaxy).await,
        Err(reason) => Err(reason),
    };
    match galaxy {
        Ok(galaxy) => Some(galaxy),
        Err(reason) if in_ci() => panic!("Galaxy is required with CI=true: {reason}"),
        Err(reason) => {
            eprintln!("skipping: {reason}");
            None
        }
    }
}

pub(super) async fn answering(galaxy: Galaxy) -> Result<Galaxy, String> {
    let url = galaxy.url.join("api/version").map_err(|e| e.to_string())?;
    match reqwest::get(url.clone()).await {
        Ok(r) if r.status().is_success() => Ok(galaxy),
        Ok(r) => Err(format!("{url} answered {}", r.status())),
        Err(e) => Err(format!("{url}: {e}")),
    }
}

#[actix_web::test]
async fn galaxy_display_links_and_api_route_list_exact_loci() {
    let _relay_port = RELAY_PORT.lock().await;
    let galaxy = match galaxy() {
        Ok(galaxy) => answering(galaxy).await,
        Err(reason) => Err(reason),
    }
    .and_then(|galaxy| {
        let port = galaxy.relay_url.port_or_known_default().unwrap_or(80);
        wait_for_free_port(port).map(|()| galaxy)
    });
    let galaxy = match galaxy {
        Ok(g) => g,
        Err(reason) if in_ci() => panic!("Galaxy is required with CI=true: {reason}"),
        Err(reason) => {
            eprintln!("skipping: {reason}");
            return;
        }
    };
    let started = Instant::now();
    let relay_port = galaxy.relay_url.port_or_known_default().unwrap_or(80);
    let (galaxy_url, api_key) = (galaxy.url.to_string(), galaxy.api_key.clone());
    // The relay listens where Galaxy's display applications point.
    let app = spawn_app_with(move |s| {
        s.server.bind = format!("127.0.0.1:{relay_port}");
        s.galaxy.url = galaxy_url;
        s.galaxy.api_key = igv_relay::configuration::ApiKey::new(&api_key);
    })
    .await;
    let api = Api {
        galaxy: &galaxy,
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a client"),
    };

    let ids = api
        .upload(&[
            ("small, test.bed", "bed", "hg38", BED),
            ("calls.vcf", "vcf", "hg_g1k_v37", VCF),
            ("genes.interval", "interval", "?", INTERVAL),
        ])
        .await;
    let mut datasets = HashMap::new();
    for (name, id) in &ids {
        datasets.insert(name.clone(), api.wait_ok(id).await);
    }
    eprintln!("galaxy: uploads ok after {:?}", started.elapsed());
    let bed = &datasets["small, test.bed"];
    let vcf = &datasets["calls.vcf"];
    let interval = &datasets["genes.interval"];
    assert_eq!(interval["metadata_chromCol"], 3, "{interval}");

    // 1. The display application link, followed as Galaxy's web page does.
    let mut followed = BTreeSet::new();
    let mut public_links = HashMap::new();
    for (dataset, expected, content, genome) in [
        (bed, BED_LOCI, Some(BED), "hg38"),
        (vcf, VCF_LOCI, Some(VCF), "b37"),
        (interval, INTERVAL_LOCI, None, ""),
    ] {
        let (app_name, href, link) = api.relay_link(dataset).await;
        followed.insert(app_name);
        assert_eq!(
            link.as_str()
                .strip_prefix(galaxy.relay_url.as_str())
                .and_then(|rest| rest.split('?').next()),
            Some("galaxy/display"),
            "Galaxy links to the relay's public URL: {link}"
        );
        let html = page(&app, &link).await;
        assert_eq!(loci(&html), expected, "{link}");
        if genome.is_empty() {
            assert!(!html.contains("genome="), "no genome for dbkey ?: {html}");
            assert!(link_with_class(&html, "igv-load").is_none());
        } else {
            assert!(
                html.contains(&format!("&#38;genome={genome}")),
                "{genome}: {html}"
            );
        }
        if let Some(content) = content {
            assert_igv_loads_from_galaxy(&app, &html, &galaxy, content).await;
        }

        // The legacy href in the history (no session): 302 to the same page.
        let response = api
            .http
            .get(galaxy.url.join(&href).expect("href"))
            .send()
            .await
            .expect("Galaxy answers");
        assert_eq!(response.status().as_u16(), 302, "{href}");
        let location = Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
        assert_eq!(location.path(), "/galaxy/display");
        assert_eq!(loci(&page(&app, &location).await), expected, "{location}");
        public_links.insert(dataset["id"].as_str().unwrap_or("").to_owned(), location);
    }

    // 1b. The other display applications: a BAM with its index, a bgzipped
    // VCF (Galaxy makes the .bai and .tbi itself) and a GFF3.
    follow_binary_and_gff_displays(&api, &app, &galaxy, &mut followed).await;
    eprintln!("galaxy: followed the display applications {followed:?}");
    assert_eq!(
        followed,
        [
            "igv_relay_bam",
            "igv_relay_gff",
            "igv_relay_interval",
            "igv_relay_vcf",
            "igv_relay_vcf_bgzip"
        ]
        .map(String::from)
        .into(),
        "every display application of deploy/galaxy was followed"
    );

    // 2. The API route, with the relay's key.
    for (dataset, expected) in [(bed, BED_LOCI), (vcf, VCF_LOCI), (interval, INTERVAL_LOCI)] {
        let id = dataset["id"].as_str().unwrap();
        let url = galaxy
            .relay_url
            .join(&format!("galaxy/datasets/{id}"))
            .unwrap();
        let html = page(&app, &url).await;
        assert_eq!(loci(&html), expected, "{url}");
        assert!(!html.contains(&galaxy.api_key), "the key is never shown");
    }
    let vcf_page = page(
        &app,
        &galaxy
            .relay_url
            .join(&format!("galaxy/datasets/{}", vcf["id"].as_str().unwrap()))
            .unwrap(),
    )
    .await;
    assert!(vcf_page.contains("Samples: S1, S2."), "{vcf_page}");
    assert_igv_loads_from_galaxy(&app, &vcf_page, &galaxy, VCF).await;

    // 3. A dataset made private after its session-less link was handed out:
    // Galaxy now answers that link with an HTML error page and status 200,
    // which the relay reports instead of parsing.
    let id = interval["id"].as_str().unwrap();
    api.send(
        reqwest::Method::PUT,
        &format!("api/datasets/{id}/permissions"),
        json!({"action": "make_private"}),
    )
    .await;
    let location = public_links[id].clone();
    assert!(
        location.as_str().contains("%2FNone%2Fdata%2F"),
        "{location}"
    );
    let response = app.client.get(location).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 502);
    let body = unescape(&response.text().await.unwrap());
    assert!(body.contains("HTML page instead of"), "{body}");
    assert!(body.contains("You do not have permission"), "{body}");

    // 4. The "View in IGV page" tool as a workflow step: an HTML output that
    // Galaxy shows as HTML (the tool is allow-listed) with links to the relay.
    let run = api
        .send(
            reqwest::Method::POST,
            "api/tools",
            json!({"tool_id": "igv_relay_render", "history_id": bed["history_id"],
                   "inputs": {"input": {"src": "hda", "id": bed["id"]}, "max_rows": 5000}}),
        )
        .await;
    let output = run["outputs"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("the tool made no output: {run}"))
        .to_owned();
    let job = api.wait_ok(&output).await;
    assert_eq!(job["extension"], "html");
    let response = api
        .http
        .get(
            galaxy
                .url
                .join(&format!("datasets/{output}/display?preview=True"))
                .unwrap(),
        )
        .header("x-api-key", &galaxy.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()["content-type"],
        "text/html",
        "not sanitized"
    );
    assert!(!response.headers().contains_key("x-sanitized-tool-id"));
    let html = response.text().await.unwrap();
    assert_eq!(loci(&html), BED_LOCI);
    assert!(!html.contains("<script"));
    let goto = html
        .split("href=\"")
        .filter_map(|rest| rest.split('"').next())
        .map(unescape)
        .find(|href| href.contains("/igv/goto?"))
        .expect("a View in IGV link");
    assert!(
        goto.starts_with(&format!(
            "{}igv/goto?locus=chr1%3A101-200&genome=hg38",
            galaxy.relay_url
        )),
        "{goto}"
    );
    let response = app
        .client
        .get(goto.replace("&landing=1", ""))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(
        response.headers()["location"],
        // The dataset's genome travels with the jump (genome-safe /load).
        "http://127.0.0.1:60151/load?genome=hg38&file=&locus=chr1:101-200"
    );
    eprintln!("galaxy: all checks passed after {:?}", started.elapsed());
}

const GFF3: &str = include_str!("../../../../demo/genes.gff3");
const BAM: &[u8] = include_bytes!("../../../../demo/braf-reads.bam");

/// `chr:start-end` of each GFF3 feature line, as written (1-based).
fn gff3_loci(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            format!("{}:{}-{}", f[0], f[3], f[4])
        })
        .collect()
}

pub(super) fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Follows the page's "Load this file in IGV" link to the relay's 303 and
/// returns the IGV `/load` URL's `file` and `index`.
pub(super) async fn igv_load(app: &TestApp, html: &str) -> (String, Option<String>) {
    let load = link_with_class(html, "igv-load").expect("a Load in IGV link");
    let mut load = Url::parse(&load).expect("an absolute load link");
    let kept: Vec<(String, String)> = load
        .query_pairs()
        .filter(|(k, _)| k != "landing")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    load.query_pairs_mut().clear().extend_pairs(kept);
    let response = app.client.get(load.clone()).send().await.expect("relay");
    assert_eq!(response.status().as_u16(), 303, "{load}");
    let igv = Url::parse(response.headers()["location"].to_str().unwrap()).expect("an IGV URL");
    assert_eq!(igv.host_str(), Some("127.0.0.1"));
    assert_eq!(igv.path(), "/load");
    let get = |key: &str| {
        igv.query_pairs()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.into_owned())
    };
    (get("file").expect("a file= for IGV"), get("index"))
}

/// What IGV does with a BAM or bgzipped VCF: ranged GETs without a session.
pub(super) async fn assert_galaxy_serves_range(url: &str, expected_start: &[u8]) {
    let response = reqwest::Client::new()
        .get(url)
        .header("Range", format!("bytes=0-{}", expected_start.len() - 1))
        .send()
        .await
        .expect("Galaxy serves the data URL");
    assert_eq!(response.status().as_u16(), 206, "{url}: Range is honoured");
    let bytes = response.bytes().await.expect("the range");
    assert_eq!(&bytes[..], expected_start, "{url}");
}

async fn follow_binary_and_gff_displays(
    api: &Api<'_>,
    app: &TestApp,
    galaxy: &Galaxy,
    followed: &mut BTreeSet<String>,
) {
    let vcf_gz = {
        use std::io::Write;
        let mut writer = noodles::bgzf::io::Writer::new(Vec::new());
        writer.write_all(VCF.as_bytes()).unwrap();
        writer.finish().unwrap()
    };
    let mut ids = api
        .upload_binary(&[
            ("reads.bam", "bam", "hg38", BAM),
            ("calls.vcf.gz", "vcf_bgzip", "hg_g1k_v37", &vcf_gz),
        ])
        .await;
    ids.extend(api.upload(&[("genes.gff3", "gff3", "hg38", GFF3)]).await);
    let mut datasets = HashMap::new();
    for (name, id) in &ids {
        datasets.insert(name.clone(), api.wait_ok(id).await);
    }
    let data_url = format!("{}display_application/", galaxy.url);

    // GFF3: every feature at the locus its line gives.
    let gff = &datasets["genes.gff3"];
    let (name, _, link) = api.relay_link(gff).await;
    followed.insert(name);
    let html = page(app, &link).await;
    assert_eq!(loci(&html), gff3_loci(GFF3), "{link}");
    assert!(html.contains("&#38;genome=hg38"), "{html}");
    let (file, _) = igv_load(app, &html).await;
    assert!(file.starts_with(&data_url), "{file}");
    let bytes = reqwest::get(&file).await.unwrap().text().await.unwrap();
    assert_eq!(bytes, GFF3, "{file}");

    // Bgzipped VCF: the records, and IGV gets the data and the .tbi Galaxy
    // made, both served with Range.
    let vcf = &datasets["calls.vcf.gz"];
    let (name, _, link) = api.relay_link(vcf).await;
    followed.insert(name);
    let html = page(app, &link).await;
    assert_eq!(loci(&html), VCF_LOCI, "{link}");
    let (file, index) = igv_load(app, &html).await;
    assert!(
        file.starts_with(&data_url) && file.ends_with(".vcf.gz"),
        "{file}"
    );
    assert_eq!(index.as_deref(), Some(format!("{file}.tbi").as_str()));
    assert_galaxy_serves_range(&file, &vcf_gz[..64]).await;
    assert_galaxy_serves_range(&format!("{file}.tbi"), &[0x1f, 0x8b]).await;

    // BAM: no rows; "Load in IGV" points IGV at Galaxy's data URL, which
    // Galaxy serves with Range, and at the index Galaxy made.
    let bam = &datasets["reads.bam"];
    let (name, _, link) = api.relay_link(bam).await;
    followed.insert(name);
    let html = page(app, &link).await;
    assert!(
        loci(&html).is_empty(),
        "a BAM page lists no records: {html}"
    );
    let (file, index) = igv_load(app, &html).await;
    assert!(
        file.starts_with(&data_url) && file.ends_with(".bam"),
        "{file}"
    );
    assert_eq!(index.as_deref(), Some(format!("{file}.bai").as_str()));
    assert_galaxy_serves_range(&file, &BAM[..64]).await;
    let bai = reqwest::get(format!("{file}.bai")).await.unwrap();
    assert_eq!(bai.status().as_u16(), 200);
    assert_eq!(&bai.bytes().await.unwrap()[..4], b"BAI\x01", "a BAM index");
}
