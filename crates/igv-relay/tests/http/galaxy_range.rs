//! Galaxy datasets at depth: a deep page of a Galaxy dataset is read with HTTP
//! Range requests from a remembered offset (the page index, keyed by dataset
//! and Galaxy's update time), so a second visit fetches a few windows instead
//! of the whole prefix; a Galaxy that ignores Range is streamed from the start.
//!
//! Against the real Galaxy (scripts/galaxy.sh; skipped outside CI when none is
//! running, like tests/galaxy.rs) and against wiremock fakes that do and do not
//! honour Range. Bytes are counted by the relay's own
//! `igv_relay_galaxy_fetched_bytes_total` on its metrics port.

use std::collections::HashMap;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::app::{TestApp, spawn_app_with};
use crate::support::html::loci;
use crate::support::in_ci;
use serde_json::{Value, json};
use url::Url;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const API_KEY: &str = "test-key-0123456789abcdef";
const HEADER: &str = "##fileformat=VCFv4.2\n##contig=<ID=1,length=249250621>\n\
    #CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n";

/// A VCF of `n` records `v1` ... `vn` at 1:1001, 1:1002, ...
fn vcf(n: u64) -> String {
    let mut text = String::from(HEADER);
    for i in 1..=n {
        text.push_str(&format!(
            "1\t{}\tv{i}\tA\tG\t50\tPASS\tDP={}\n",
            1000 + i,
            i % 97
        ));
    }
    text
}

/// The loci page `page` (100 rows) of `vcf(n)` shows.
fn expected_loci(page: u64) -> Vec<String> {
    let first = (page - 1) * 100 + 1;
    (first..first + 100)
        .map(|i| format!("1:{}", 1000 + i))
        .collect()
}

async fn fetched(app: &TestApp) -> u64 {
    let address = app.metrics_address.as_deref().expect("metrics.bind is set");
    let text = app
        .client
        .get(format!("{address}/metrics"))
        .send()
        .await
        .expect("a scrape")
        .text()
        .await
        .expect("metrics text");
    text.lines()
        .find_map(|l| l.strip_prefix("igv_relay_galaxy_fetched_bytes_total "))
        .and_then(|v| v.trim().parse().ok())
        .expect("the Galaxy byte counter")
}

/// Fetches `url` and returns its loci and the bytes the relay read from Galaxy for it.
async fn visit(app: &TestApp, url: &str) -> (Vec<String>, u64) {
    let before = fetched(app).await;
    let response = app.get(url).await;
    let status = response.status().as_u16();
    let body = response.text().await.expect("a page");
    assert_eq!(status, 200, "{url}: {body}");
    // The pump may still be counting the last chunk it passed on.
    actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    (loci(&body), fetched(app).await - before)
}

async fn relay_for(galaxy: &str, api_key: &str) -> TestApp {
    let (galaxy, api_key) = (galaxy.to_owned(), api_key.to_owned());
    spawn_app_with(move |s| {
        s.galaxy.url = galaxy;
        s.galaxy.api_key = igv_relay::configuration::ApiKey::new(&api_key);
        s.metrics.bind = "127.0.0.1:0".into();
    })
    .await
}

/// A data URL as a display application gives it, for a fake Galaxy.
fn display_url(galaxy: &str, data_path: &str) -> String {
    let mut url = Url::parse("http://x/galaxy/display").unwrap();
    url.query_pairs_mut()
        .append_pair("dataset_url", &format!("{galaxy}{data_path}"))
        .append_pair("dbkey", "?")
        .append_pair("ext", "vcf")
        .append_pair("name", "deep.vcf");
    format!("/galaxy/display?{}", url.query().unwrap())
}

/// Serves `body`, honouring `Range: bytes=a-b` as Galaxy does (206 +
/// Content-Range), or ignoring it (200, everything) when `ranges` is false.
struct Dataset {
    body: Vec<u8>,
    ranges: bool,
}

impl Respond for Dataset {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let range = request
            .headers
            .get("range")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("bytes="))
            .and_then(|v| v.split_once('-'))
            .and_then(|(a, b)| Some((a.parse::<usize>().ok()?, b.parse::<usize>().ok()?)));
        match range {
            Some((first, last)) if self.ranges => {
                let total = self.body.len();
                if first >= total {
                    return ResponseTemplate::new(416)
                        .insert_header("content-range", format!("bytes */{total}"));
                }
                let last = last.min(total - 1);
                ResponseTemplate::new(206)
                    .insert_header("content-range", format!("bytes {first}-{last}/{total}"))
                    .insert_header("content-type", "text/plain")
                    .set_body_bytes(self.body[first..=last].to_vec())
            }
            _ => ResponseTemplate::new(200)
                .insert_header("content-type", "text/plain")
                .set_body_bytes(self.body.clone()),
        }
    }
}

/// A display application's data URL path for dataset `id`. Each test has a
/// dataset of its own: wiremock hands out pooled servers, so two tests may
/// see the same address, and the relay keeps a dataset's first window by URL.
fn data_path(id: &str) -> String {
    format!("/display_application/{id}/igv_relay_vcf/view/t1/data/galaxy_{id}.vcf")
}

/// A fake Galaxy serving `body` at `data_path` (honouring Range or not).
async fn galaxy_serving(data_path: &str, body: Vec<u8>, ranges: bool) -> MockServer {
    let galaxy = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(data_path))
        .respond_with(Dataset { body, ranges })
        .mount(&galaxy)
        .await;
    galaxy
}

#[actix_web::test]
async fn a_second_visit_to_a_deep_page_reads_only_windows_near_it() {
    let data = data_path("d1");
    let body = vcf(40_000).into_bytes();
    let size = body.len() as u64;
    let galaxy = galaxy_serving(&data, body, true).await;
    let app = relay_for(&galaxy.uri(), API_KEY).await;
    let url = format!("{}&page=350", display_url(&galaxy.uri(), &data));

    let (first, first_bytes) = visit(&app, &url).await;
    assert_eq!(first, expected_loci(350));
    assert!(
        first_bytes >= size * 34 / 40,
        "the first visit reads the prefix: {first_bytes} of {size}"
    );
    let (second, second_bytes) = visit(&app, &url).await;
    assert_eq!(second, first);
    // One window from the remembered offset: the first window (the header) is
    // kept from the first visit.
    assert!(
        second_bytes <= 64 * 1024,
        "the second visit fetched {second_bytes} bytes of {size}"
    );
    // A page the first visit did not reach starts from the last offset it kept.
    let (later, later_bytes) = visit(
        &app,
        &format!("{}&page=390", display_url(&galaxy.uri(), &data)),
    )
    .await;
    assert_eq!(later, expected_loci(390));
    assert!(later_bytes < size / 4, "{later_bytes} of {size}");
    let requests = galaxy.received_requests().await.unwrap_or_default();
    assert!(
        requests.iter().all(|r| r.headers.contains_key("range")),
        "every read of the dataset is a Range request"
    );
}

#[actix_web::test]
async fn a_galaxy_that_ignores_range_is_streamed_from_the_start() {
    let data = data_path("d3");
    let body = vcf(20_000).into_bytes();
    let size = body.len() as u64;
    let galaxy = galaxy_serving(&data, body, false).await;
    let app = relay_for(&galaxy.uri(), API_KEY).await;
    let url = format!("{}&page=150", display_url(&galaxy.uri(), &data));
    for visit_number in 1..=2 {
        let (loci, bytes) = visit(&app, &url).await;
        assert_eq!(loci, expected_loci(150), "visit {visit_number}");
        // Without Range every visit reads at least the prefix before the page.
        assert!(
            bytes >= size * 149 / 200,
            "visit {visit_number}: {bytes} of {size}"
        );
    }
}

/// Sorting reads a dataset twice (keys, then the page), from its first byte
/// each time, with Range requests; a Galaxy that ignores Range is streamed
/// once per page, and sorting it is a 400 that says why.
#[actix_web::test]
async fn a_galaxy_dataset_can_be_sorted_and_exported_sorted() {
    let n = 5_000u64;
    let body = vcf(n).replacen(
        "#CHROM",
        "##INFO=<ID=DP,Number=1,Type=Integer,Description=\"Depth\">\n#CHROM",
        1,
    );
    // Record i has DP = i % 97; largest first, ties in file order.
    let mut expected: Vec<u64> = (1..=n).collect();
    expected.sort_by_key(|i| std::cmp::Reverse(i % 97));
    for ranges in [true, false] {
        let data = data_path(if ranges { "d5" } else { "d6" });
        let galaxy = galaxy_serving(&data, body.clone().into_bytes(), ranges).await;
        let app = relay_for(&galaxy.uri(), API_KEY).await;
        let url = format!("{}&sort=-DP&page=3", display_url(&galaxy.uri(), &data));
        if !ranges {
            let response = app.get(&url).await;
            assert_eq!(response.status().as_u16(), 400);
            let text = response.text().await.unwrap();
            assert!(text.contains("Range"), "{text}");
            continue;
        }
        let (loci, _) = visit(&app, &url).await;
        let want: Vec<String> = expected[200..300]
            .iter()
            .map(|i| format!("1:{}", 1000 + i))
            .collect();
        assert_eq!(loci, want, "page 3 sorted by -DP");
        let tsv = app
            .get(&format!(
                "{}&sort=-DP&format=tsv&links_only=1",
                display_url(&galaxy.uri(), &data)
            ))
            .await;
        assert_eq!(tsv.status().as_u16(), 200);
        let tsv = tsv.text().await.unwrap();
        let lines: Vec<u64> = tsv
            .lines()
            .filter(|l| !l.starts_with('#'))
            .skip(1)
            .map(|l| l.split('\t').next().unwrap().parse().unwrap())
            .collect();
        // Line numbers: 4 header lines, so record i is on line i + 4.
        let want: Vec<u64> = expected.iter().map(|i| i + 4).collect();
        assert_eq!(lines, want, "sorted export");
    }
}

/// The first window is kept between visits; a dataset that then changes size
/// (Galaxy does not do this to a finished dataset, but a proxy or a re-used
/// URL might) is an error the first time, never a page made of two versions.
#[actix_web::test]
async fn a_kept_first_window_is_dropped_when_the_dataset_changes_size() {
    let data = data_path("d4");
    // Larger than the kept first window, so later pages need more windows.
    let body = vcf(100_000).into_bytes();
    assert!(body.len() as u64 > igv_relay::sources::galaxy::HEAD_WINDOW);
    let galaxy = galaxy_serving(&data, body, true).await;
    let app = relay_for(&galaxy.uri(), API_KEY).await;
    let page = |n: u64| format!("{}&page={n}", display_url(&galaxy.uri(), &data));
    let (loci, _) = visit(&app, &page(1)).await;
    assert_eq!(loci, expected_loci(1));

    galaxy.reset().await;
    Mock::given(method("GET"))
        .and(path(data.as_str()))
        .respond_with(Dataset {
            body: vcf(120_000).into_bytes(),
            ranges: true,
        })
        .mount(&galaxy)
        .await;
    let response = app.get(&page(900)).await;
    let status = response.status().as_u16();
    let body = response.text().await.unwrap();
    assert_eq!(status, 502, "{body}");
    assert!(body.contains("reload the page"), "{body}");
    let (loci, _) = visit(&app, &page(1000)).await;
    assert_eq!(loci, expected_loci(1000), "read afresh after the change");
}

/// A page reads the file's start to decide the genome; the kept first window
/// must hold all of it, or every visit would ask Galaxy for it again.
#[test]
fn the_kept_first_window_covers_the_genome_evidence_prefix() {
    const {
        assert!(
            igv_relay::sources::galaxy::HEAD_WINDOW >= igv_relay_core::view::EVIDENCE_PREFIX_BYTES
        )
    };
}

#[actix_web::test]
async fn a_gzipped_dataset_is_paged_without_offsets_into_its_compressed_bytes() {
    use std::io::Write;
    let text = vcf(20_000);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(text.as_bytes()).unwrap();
    let body = gz.finish().unwrap();
    let gz_path = "/display_application/d2/igv_relay_vcf_bgzip/view/t1/data/galaxy_d2.vcf.gz";
    let galaxy = galaxy_serving(gz_path, body, true).await;
    let app = relay_for(&galaxy.uri(), API_KEY).await;
    let url = display_url(&galaxy.uri(), gz_path).replace("ext=vcf", "ext=vcf_bgzip") + "&page=150";
    for _ in 0..2 {
        let (loci, _) = visit(&app, &url).await;
        assert_eq!(loci, expected_loci(150));
    }
}

// The real Galaxy.

struct Galaxy {
    url: Url,
    api_key: String,
}

/// The Galaxy named by GALAXY_URL and GALAXY_API_KEY, else the one
/// scripts/galaxy.sh starts (outside CI it never installs or launches one), or
/// why there is none.
fn galaxy() -> Result<Galaxy, String> {
    if let (Ok(url), Ok(api_key)) = (std::env::var("GALAXY_URL"), std::env::var("GALAXY_API_KEY"))
        && !url.is_empty()
        && !api_key.is_empty()
    {
        let url = Url::parse(&url).map_err(|e| format!("GALAXY_URL={url}: {e}"))?;
        return Ok(Galaxy { url, api_key });
    }
    let mut command = Command::new("bash");
    command
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../scripts/galaxy.sh"
        ))
        .arg("start");
    if !in_ci() {
        command
            .env("GALAXY_NO_INSTALL", "1")
            .env("GALAXY_NO_LAUNCH", "1");
    }
    let output = command
        .output()
        .map_err(|e| format!("cannot run scripts/galaxy.sh: {e}"))?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).trim().to_owned());
    }
    let values: HashMap<String, String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|l| l.trim().trim_start_matches("export ").split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    Ok(Galaxy {
        url: Url::parse(values.get("GALAXY_URL").ok_or("no GALAXY_URL")?)
            .map_err(|e| e.to_string())?,
        api_key: values
            .get("GALAXY_API_KEY")
            .ok_or("no GALAXY_API_KEY")?
            .clone(),
    })
}

impl Galaxy {
    async fn api(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = reqwest::Client::new()
            .request(method.clone(), self.url.join(path).unwrap())
            .header("x-api-key", &self.api_key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("Galaxy answers");
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        assert!(status.is_success(), "{method} {path}: {status}: {text}");
        serde_json::from_str(&text).expect("JSON from Galaxy")
    }

    /// Uploads `content` as a VCF into a new history and waits until it is ok.
    async fn upload_vcf(&self, name: &str, content: &str) -> Value {
        let history = self
            .api(
                reqwest::Method::POST,
                "api/histories",
                Some(json!({"name": "igv-relay range tests"})),
            )
            .await;
        let answer = self
            .api(
                reqwest::Method::POST,
                "api/tools/fetch",
                Some(json!({"history_id": history["id"], "targets": [{
                    "destination": {"type": "hdas"},
                    "elements": [{"src": "pasted", "paste_content": content, "ext": "vcf",
                                  "dbkey": "?", "name": name}]}]})),
            )
            .await;
        let id = answer["outputs"][0]["id"]
            .as_str()
            .expect("an id")
            .to_owned();
        let deadline = Instant::now() + Duration::from_secs(300);
        loop {
            let dataset = self
                .api(reqwest::Method::GET, &format!("api/datasets/{id}"), None)
                .await;
            match dataset["state"].as_str() {
                Some("ok") => return dataset,
                Some(state @ ("error" | "failed_metadata" | "discarded")) => {
                    panic!("dataset {id} ended in state {state}")
                }
                _ => assert!(Instant::now() < deadline, "dataset {id} not ok after 300 s"),
            }
            actix_web::rt::time::sleep(Duration::from_millis(500)).await;
        }
    }
}

/// What a Range request to `url` gets: status and Content-Range.
async fn range_answer(url: &Url, key: Option<&str>) -> (u16, Option<String>, Vec<u8>) {
    let mut request = reqwest::Client::new()
        .get(url.clone())
        .header("range", "bytes=100-199");
    if let Some(key) = key {
        request = request.header("x-api-key", key);
    }
    let response = request.send().await.expect("Galaxy answers");
    let status = response.status().as_u16();
    let range = response
        .headers()
        .get("content-range")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (status, range, response.bytes().await.unwrap().to_vec())
}

#[actix_web::test]
async fn real_galaxy_honours_range_and_deep_pages_use_it() {
    let galaxy = match galaxy() {
        Ok(galaxy) => galaxy,
        Err(why) if !in_ci() => {
            eprintln!("skipped: no Galaxy running ({why})");
            return;
        }
        Err(why) => panic!("CI needs the real Galaxy: {why}"),
    };
    let content = vcf(30_000);
    let size = content.len() as u64;
    let dataset = galaxy.upload_vcf("deep.vcf", &content).await;
    let id = dataset["id"].as_str().unwrap().to_owned();
    assert!(
        dataset["update_time"].is_string(),
        "Galaxy sends update_time"
    );

    // Which endpoints honour Range (BENCHMARKS.md records the answers).
    let api_display = galaxy
        .url
        .join(&format!("api/datasets/{id}/display?preview=false"))
        .unwrap();
    let (status, range, bytes) = range_answer(&api_display, Some(&galaxy.api_key)).await;
    assert_eq!(status, 206);
    assert_eq!(
        range.as_deref(),
        Some(format!("bytes 100-199/{size}").as_str())
    );
    assert_eq!(bytes, content.as_bytes()[100..200]);
    let as_text = galaxy
        .url
        .join(&format!("api/datasets/{id}/get_content_as_text"))
        .unwrap();
    let (status, range, _) = range_answer(&as_text, Some(&galaxy.api_key)).await;
    assert_eq!(
        (status, range),
        (200, None),
        "get_content_as_text ignores Range"
    );

    let app = relay_for(galaxy.url.as_str(), &galaxy.api_key).await;
    let page = format!("/galaxy/datasets/{id}?page=250");
    let (first, first_bytes) = visit(&app, &page).await;
    assert_eq!(first, expected_loci(250));
    assert!(first_bytes >= size * 249 / 300, "{first_bytes} of {size}");
    let (second, second_bytes) = visit(&app, &page).await;
    assert_eq!(second, first);
    assert!(
        second_bytes <= 64 * 1024,
        "the second visit fetched {second_bytes} of {size} bytes"
    );

    // The display application's data URL honours Range too.
    let link = dataset["display_apps"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|a| a["links"].as_array().into_iter().flatten())
        .find(|l| {
            l["app_name"]
                .as_str()
                .is_some_and(|a| a.starts_with("igv_relay"))
        })
        .cloned()
        .expect("Galaxy lists igv-relay's display application (scripts/galaxy.sh sets it up)");
    {
        let feedback = galaxy
            .api(
                reqwest::Method::POST,
                "api/display_applications/create_link",
                Some(
                    json!({"app_name": link["app_name"], "link_name": link["link_name"],
                            "dataset_id": id}),
                ),
            )
            .await;
        let resource = Url::parse(feedback["resource"].as_str().expect("a resource")).unwrap();
        let data_url = resource
            .query_pairs()
            .find(|(k, _)| k == "dataset_url")
            .map(|(_, v)| Url::parse(&v).unwrap())
            .expect("a dataset_url");
        let (status, range, _) = range_answer(&data_url, None).await;
        assert_eq!(status, 206, "{data_url}");
        assert_eq!(
            range.as_deref(),
            Some(format!("bytes 100-199/{size}").as_str())
        );
        let mut display = Url::parse("http://x/galaxy/display").unwrap();
        display
            .query_pairs_mut()
            .append_pair("dataset_url", data_url.as_str())
            .append_pair("dbkey", "?")
            .append_pair("ext", "vcf")
            .append_pair("page", "250");
        let url = format!("/galaxy/display?{}", display.query().unwrap());
        let (first, _) = visit(&app, &url).await;
        let (second, second_bytes) = visit(&app, &url).await;
        assert_eq!(first, expected_loci(250));
        assert_eq!(second, first);
        assert!(second_bytes <= 64 * 1024, "{second_bytes}");
    }
}
