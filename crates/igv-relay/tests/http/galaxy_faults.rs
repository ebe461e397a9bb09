//! The Galaxy source against fake Galaxies: wiremock for answers Galaxy could
//! give (500, a hang, HTML with status 200, API metadata), and a raw TCP fake
//! for what wiremock cannot do (a body cut short, a body that stalls, a huge
//! body whose reading is measured). Each failure must be a clear 502/504 page.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::support::app::{TestApp, spawn_app_with};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const BED: &str = "chr1\t100\t200\tfeat1\t0\t+\nchr2\t1000\t1500\tfeat2\t0\t-\n";
const API_KEY: &str = "test-key-0123456789abcdef";

/// The data URL a display application would send for dataset `abc`.
fn data_path() -> &'static str {
    "/display_application/abc/igv_relay_interval/view/u1/data/galaxy_abc.bed"
}

fn display_query(galaxy: &str, dbkey: &str) -> String {
    let data_url = format!("{galaxy}{}", data_path());
    let mut url = url::Url::parse("http://x/galaxy/display").unwrap();
    url.query_pairs_mut()
        .append_pair("dataset_url", &data_url)
        .append_pair("dbkey", dbkey)
        .append_pair("ext", "bed")
        .append_pair("name", "small.bed");
    format!("/galaxy/display?{}", url.query().unwrap())
}

async fn relay_for(galaxy: &str, timeout_secs: u64) -> TestApp {
    let galaxy = galaxy.to_owned();
    spawn_app_with(move |s| {
        s.galaxy.url = galaxy;
        s.galaxy.api_key = igv_relay::configuration::ApiKey::new(API_KEY);
        s.galaxy.timeout_secs = timeout_secs;
        s.galaxy.connect_timeout_secs = 1;
    })
    .await
}

async fn status_and_body(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    (status, response.text().await.expect("a body"))
}

fn error_message(html: &str) -> String {
    html.split("<p class=\"message\">")
        .nth(1)
        .and_then(|rest| rest.split("</p>").next())
        .unwrap_or("")
        .replace("&#39;", "'")
        .replace("&#34;", "\"")
}

#[actix_web::test]
async fn a_galaxy_500_on_the_data_url_is_a_502_page() {
    let galaxy = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(data_path()))
        .respond_with(ResponseTemplate::new(500).set_body_string("Traceback..."))
        .expect(1)
        .mount(&galaxy)
        .await;
    let app = relay_for(&galaxy.uri(), 5).await;
    let (status, body) =
        status_and_body(app.get(&display_query(&galaxy.uri(), "hg38")).await).await;
    assert_eq!(status, 502, "{body}");
    let message = error_message(&body);
    assert!(
        message.contains("Galaxy answered 500 Internal Server Error"),
        "{message}"
    );
    assert!(message.contains("Galaxy itself failed"), "{message}");
    assert!(
        body.contains("could not get the data from Galaxy"),
        "{body}"
    );
    assert!(!body.contains("Traceback"), "Galaxy's body is not echoed");
}

#[actix_web::test]
async fn a_galaxy_that_hangs_past_the_timeout_is_a_504_page() {
    let galaxy = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(data_path()))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string(BED)
                .set_delay(Duration::from_secs(4)),
        )
        .mount(&galaxy)
        .await;
    let app = relay_for(&galaxy.uri(), 1).await;
    let started = Instant::now();
    let (status, body) =
        status_and_body(app.get(&display_query(&galaxy.uri(), "hg38")).await).await;
    assert_eq!(status, 504, "{body}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "gave up at the timeout"
    );
    assert!(
        error_message(&body).contains("Galaxy did not answer within 1 s"),
        "{body}"
    );
}

#[actix_web::test]
async fn timeouts_and_failures_have_stable_json_codes() {
    let galaxy = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(data_path()))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(4)))
        .mount(&galaxy)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/datasets/abc"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&galaxy)
        .await;
    let app = relay_for(&galaxy.uri(), 1).await;
    let response = app.get_json(&display_query(&galaxy.uri(), "hg38")).await;
    assert_eq!(response.status().as_u16(), 504);
    let json: serde_json::Value = response.json().await.unwrap();
    assert_eq!(json["error"], "gateway_timeout");
    let response = app.get_json("/galaxy/datasets/abc").await;
    assert_eq!(response.status().as_u16(), 502);
    let json: serde_json::Value = response.json().await.unwrap();
    assert_eq!(json["error"], "bad_gateway");
    assert!(
        json["message"]
            .as_str()
            .unwrap()
            .contains("503 Service Unavailable"),
        "{json}"
    );
}

#[actix_web::test]
async fn a_refused_connection_is_a_502_page() {
    // A port that was free a moment ago: nothing listens there.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let galaxy = format!("http://127.0.0.1:{port}");
    let app = relay_for(&galaxy, 2).await;
    let (status, body) = status_and_body(app.get(&display_query(&galaxy, "hg38")).await).await;
    assert_eq!(status, 502, "{body}");
    let message = error_message(&body);
    assert!(
        message.contains(&format!(
            "Galaxy at http://127.0.0.1:{port} cannot be reached"
        )),
        "{message}"
    );
    assert!(message.to_lowercase().contains("refused"), "{message}");
}

#[actix_web::test]
async fn an_html_error_page_with_status_200_is_reported_not_parsed() {
    let galaxy = MockServer::start().await;
    let page = "<!DOCTYPE HTML>\n<html><head><link href=\"/static/dist/base.css\"></head><body>\
        <div class=\"message alert alert-danger\">You do not have permission to view this dataset \
        at an external display application.</div></body></html>";
    Mock::given(method("GET"))
        .and(path(data_path()))
        .respond_with(ResponseTemplate::new(200).set_body_raw(page, "text/html; charset=UTF-8"))
        .mount(&galaxy)
        .await;
    // The same page served as text/plain: the bytes give it away.
    Mock::given(method("GET"))
        .and(path(
            "/display_application/abc/igv_relay_interval/view/u1/data/plain.bed",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_raw(page, "text/plain"))
        .mount(&galaxy)
        .await;
    let app = relay_for(&galaxy.uri(), 5).await;
    let (status, body) =
        status_and_body(app.get(&display_query(&galaxy.uri(), "hg38")).await).await;
    assert_eq!(status, 502, "{body}");
    let message = error_message(&body);
    assert!(message.contains("HTML page instead of"), "{message}");
    assert!(
        message.contains("You do not have permission to view this dataset"),
        "{message}"
    );
    assert!(!body.contains("View in IGV"), "no rows from an HTML page");

    let query = display_query(&galaxy.uri(), "hg38").replace("galaxy_abc.bed", "plain.bed");
    let (status, body) = status_and_body(app.get(&query).await).await;
    assert_eq!(status, 502, "{body}");
    assert!(
        error_message(&body).contains("HTML page instead of"),
        "{body}"
    );
}

#[actix_web::test]
async fn dataset_urls_off_the_configured_galaxy_are_refused_without_a_request() {
    let galaxy = MockServer::start().await;
    let other = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string(BED))
        .expect(0)
        .mount(&other)
        .await;
    let app = relay_for(&format!("{}/galaxy/", galaxy.uri()), 5).await;
    for bad in [
        format!("{}{}", other.uri(), data_path()),
        // Right host, outside galaxy.url's path.
        format!("{}/elsewhere/x.bed", galaxy.uri()),
        format!("{}/galaxy/x.bed#frag", galaxy.uri()),
        "file:///etc/passwd".to_owned(),
    ] {
        let mut url = url::Url::parse("http://x/galaxy/display").unwrap();
        url.query_pairs_mut()
            .append_pair("dataset_url", &bad)
            .append_pair("ext", "bed");
        let response = app
            .get_json(&format!("/galaxy/display?{}", url.query().unwrap()))
            .await;
        assert_eq!(response.status().as_u16(), 400, "{bad}");
        let json: serde_json::Value = response.json().await.unwrap();
        assert_eq!(json["parameter"], "dataset_url", "{bad}");
    }
    assert!(
        galaxy
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty()
    );
}

#[actix_web::test]
async fn a_display_link_lists_records_and_loads_the_galaxy_url_into_igv() {
    let galaxy = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(data_path()))
        .respond_with(ResponseTemplate::new(200).set_body_raw(BED, "text/plain"))
        .expect(1)
        .mount(&galaxy)
        .await;
    let app = relay_for(&galaxy.uri(), 5).await;
    let (status, body) =
        status_and_body(app.get(&display_query(&galaxy.uri(), "hg38")).await).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("data-locus=\"chr1:101-200\""), "{body}");
    assert!(body.contains("data-locus=\"chr2:1001-1500\""), "{body}");
    let data_url = format!("{}{}", galaxy.uri(), data_path());
    let encoded: String = url::form_urlencoded::byte_serialize(data_url.as_bytes()).collect();
    assert!(
        body.contains(&format!("/igv/load?file={encoded}&#38;genome=hg38")),
        "the Load link gives IGV Galaxy's own data URL: {body}"
    );
    // Galaxy's host is allowed for /igv/load without any allowed_file_hosts.
    let load = format!("/igv/load?file={encoded}&format=bed");
    let response = app.get(&load).await;
    assert_eq!(response.status().as_u16(), 303);
    // The API key never reaches a page or a data URL request.
    assert!(!body.contains(API_KEY));
    let requests = galaxy.received_requests().await.unwrap_or_default();
    assert!(
        requests
            .iter()
            .all(|r| !r.headers.contains_key("x-api-key"))
    );
}

#[actix_web::test]
async fn an_unknown_dbkey_is_shown_and_not_sent_to_igv() {
    let galaxy = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(data_path()))
        .respond_with(ResponseTemplate::new(200).set_body_raw(BED, "text/plain"))
        .mount(&galaxy)
        .await;
    let app = relay_for(&galaxy.uri(), 5).await;
    let (status, body) = status_and_body(
        app.get(&display_query(&galaxy.uri(), "grch38_hs38d1_noalt"))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("&#34;grch38_hs38d1_noalt&#34;, which this relay does not know"),
        "{body}"
    );
    assert!(body.contains("data-locus=\"chr1:101-200\""), "{body}");
    assert!(!body.contains("genome=grch38"), "{body}");
    assert!(!body.contains("genome=hg38"), "{body}");

    // hg_g1k_v37 is Galaxy's name for IGV's b37.
    let (_, body) =
        status_and_body(app.get(&display_query(&galaxy.uri(), "hg_g1k_v37")).await).await;
    assert!(body.contains("genome=b37"), "{body}");
}

fn dataset_json(state: &str) -> serde_json::Value {
    serde_json::json!({
        "id": "abc", "name": "small.bed", "state": state, "extension": "bed", "file_ext": "bed",
        "genome_build": "hg38", "file_size": BED.len(), "deleted": false, "purged": false,
        "misc_blurb": "2 regions", "metadata_chromCol": 1, "metadata_startCol": 2,
        "metadata_endCol": 3, "metadata_strandCol": 6,
        "display_apps": [{"label": "view in igv-relay", "links": [{
            "href": "/display_application/abc/igv_relay_interval/view",
            "app_name": "igv_relay_interval", "link_name": "view", "text": "View in IGV"}]}]
    })
}

#[actix_web::test]
async fn the_api_route_reads_metadata_and_contents_with_the_key_in_a_header() {
    let galaxy = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/datasets/abc"))
        .and(header("x-api-key", API_KEY))
        .respond_with(ResponseTemplate::new(200).set_body_json(dataset_json("ok")))
        .expect(1)
        .mount(&galaxy)
        .await;
    let data_url = format!("{}{}", galaxy.uri(), data_path());
    let resource = format!(
        "http://relay.example/galaxy/display?dataset_url={}&dbkey=hg38&ext=bed",
        url::form_urlencoded::byte_serialize(data_url.as_bytes()).collect::<String>()
    );
    Mock::given(method("POST"))
        .and(path("/api/display_applications/create_link"))
        .and(header("x-api-key", API_KEY))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "messages": null, "refresh": false, "resource": resource, "preparable_steps": null
        })))
        .expect(1)
        .mount(&galaxy)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/datasets/abc/display"))
        .and(header("x-api-key", API_KEY))
        .respond_with(ResponseTemplate::new(200).set_body_raw(BED, "application/octet-stream"))
        .expect(1)
        .mount(&galaxy)
        .await;
    let app = relay_for(&galaxy.uri(), 5).await;
    let (status, body) = status_and_body(app.get("/galaxy/datasets/abc").await).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("data-locus=\"chr1:101-200\""), "{body}");
    assert!(body.contains("data-locus=\"chr2:1001-1500\""), "{body}");
    let encoded: String = url::form_urlencoded::byte_serialize(data_url.as_bytes()).collect();
    assert!(body.contains(&format!("igv/load?file={encoded}")), "{body}");
    assert!(!body.contains(API_KEY));
}

#[actix_web::test]
async fn a_queued_dataset_gets_a_page_that_refreshes_and_nothing_is_read() {
    let galaxy = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/datasets/abc"))
        .respond_with(ResponseTemplate::new(200).set_body_json(dataset_json("queued")))
        .mount(&galaxy)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/datasets/abc/display"))
        .respond_with(ResponseTemplate::new(200).set_body_string(BED))
        .expect(0)
        .mount(&galaxy)
        .await;
    let app = relay_for(&galaxy.uri(), 5).await;
    let response = app.get("/galaxy/datasets/abc").await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("5")
    );
    let body = response.text().await.unwrap();
    assert!(
        body.contains("<meta http-equiv=\"refresh\" content=\"5\">"),
        "{body}"
    );
    assert!(
        body.contains("<strong class=\"galaxy-state\">queued</strong>"),
        "{body}"
    );
}

#[actix_web::test]
async fn an_errored_dataset_says_so_and_does_not_refresh() {
    let galaxy = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/datasets/abc"))
        .respond_with(ResponseTemplate::new(200).set_body_json(dataset_json("error")))
        .mount(&galaxy)
        .await;
    let app = relay_for(&galaxy.uri(), 5).await;
    let (status, body) = status_and_body(app.get("/galaxy/datasets/abc").await).await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body.contains("<strong class=\"galaxy-state\">error</strong>"),
        "{body}"
    );
    assert!(!body.contains("http-equiv=\"refresh\""), "{body}");
}

#[actix_web::test]
async fn a_missing_dataset_is_404_and_a_bad_id_is_400() {
    let galaxy = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/datasets/abc"))
        .respond_with(ResponseTemplate::new(404).set_body_string("{}"))
        .mount(&galaxy)
        .await;
    let app = relay_for(&galaxy.uri(), 5).await;
    assert_eq!(app.get("/galaxy/datasets/abc").await.status().as_u16(), 404);
    assert_eq!(app.get("/galaxy/datasets/a.b").await.status().as_u16(), 400);
}

#[actix_web::test]
async fn without_galaxy_configured_the_routes_say_so() {
    let app = spawn_app_with(|_| {}).await;
    let (status, body) = status_and_body(
        app.get("/galaxy/display?dataset_url=http%3A%2F%2Fg%2Fx.bed&ext=bed")
            .await,
    )
    .await;
    assert_eq!(status, 404);
    assert!(body.contains("galaxy.url is not set"), "{body}");
}

/// A fake Galaxy on a raw socket: answers every request with `head` and then
/// calls `body` with the stream; counts the body bytes it got out.
fn raw_galaxy(
    head: &'static str,
    body: impl Fn(&mut TcpStream, &AtomicU64) + Send + Sync + 'static,
) -> (String, Arc<AtomicU64>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let sent = Arc::new(AtomicU64::new(0));
    let counter = sent.clone();
    let body = Arc::new(body);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let counter = counter.clone();
            let body = body.clone();
            std::thread::spawn(move || {
                let mut request = Vec::new();
                let mut byte = [0u8; 1];
                while !request.ends_with(b"\r\n\r\n") {
                    match stream.read(&mut byte) {
                        Ok(1) => request.push(byte[0]),
                        _ => return,
                    }
                }
                if stream.write_all(head.as_bytes()).is_ok() {
                    body(&mut stream, &counter);
                }
            });
        }
    });
    (address, sent)
}

#[actix_web::test]
async fn a_body_cut_short_is_a_502_not_a_partial_page() {
    let (galaxy, _) = raw_galaxy(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n\r\n",
        |stream, _| {
            let _ = stream.write_all(BED.as_bytes());
            // Then the connection closes, 99 kB early.
        },
    );
    let app = relay_for(&galaxy, 5).await;
    let (status, body) = status_and_body(app.get(&display_query(&galaxy, "hg38")).await).await;
    assert_eq!(status, 502, "{body}");
    let message = error_message(&body);
    assert!(
        message.contains("the connection to Galaxy broke while reading the dataset"),
        "{message}"
    );
    assert!(!body.contains("View in IGV"), "no partial page");
}

#[actix_web::test]
async fn a_body_that_stalls_midway_is_a_504() {
    let (galaxy, _) = raw_galaxy(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n\r\n",
        |stream, _| {
            let _ = stream.write_all(BED.as_bytes());
            let _ = stream.flush();
            std::thread::sleep(Duration::from_secs(5));
        },
    );
    let app = relay_for(&galaxy, 1).await;
    let started = Instant::now();
    let (status, body) = status_and_body(app.get(&display_query(&galaxy, "hg38")).await).await;
    assert_eq!(status, 504, "{body}");
    assert!(started.elapsed() < Duration::from_secs(4));
    assert!(
        error_message(&body).contains("Galaxy did not answer within 1 s while reading the dataset"),
        "{body}"
    );
}

#[actix_web::test]
async fn page_one_of_a_huge_dataset_reads_only_its_start() {
    const TOTAL: u64 = 1 << 30;
    let (galaxy, sent) = raw_galaxy(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1073741824\r\n\r\n",
        |stream, sent| {
            let line = b"chr1\t100\t200\tfeat\t0\t+\n";
            let chunk: Vec<u8> = line
                .iter()
                .copied()
                .cycle()
                .take(line.len() * 2048)
                .collect();
            while sent.load(Ordering::SeqCst) < TOTAL {
                if stream.write_all(&chunk).is_err() {
                    return;
                }
                sent.fetch_add(chunk.len() as u64, Ordering::SeqCst);
            }
        },
    );
    let app = relay_for(&galaxy, 5).await;
    let (status, body) = status_and_body(app.get(&display_query(&galaxy, "hg38")).await).await;
    assert_eq!(status, 200);
    assert_eq!(body.matches("data-locus=\"chr1:101-200\"").count(), 100);
    // Give the fake a moment to notice the closed connection.
    actix_web::rt::time::sleep(Duration::from_millis(500)).await;
    let read = sent.load(Ordering::SeqCst);
    assert!(
        read < 32 << 20,
        "page 1 of a 1 GiB dataset made Galaxy send {read} bytes"
    );
}

#[actix_web::test]
async fn a_dataset_over_the_size_limit_stops_with_a_clear_message() {
    let (galaxy, _) = raw_galaxy(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 10000000\r\n\r\n",
        |stream, _| {
            // Every record is on chr1; the page asks for chr2, so it reads on.
            let line = b"chr1\t100\t200\tfeat\t0\t+\n";
            let chunk: Vec<u8> = line
                .iter()
                .copied()
                .cycle()
                .take(line.len() * 1024)
                .collect();
            for _ in 0..400 {
                if stream.write_all(&chunk).is_err() {
                    return;
                }
            }
        },
    );
    let galaxy_url = galaxy.clone();
    let app = spawn_app_with(move |s| {
        s.galaxy.url = galaxy_url;
        s.galaxy.max_dataset_bytes = 1 << 20;
    })
    .await;
    let query = format!("{}&chrom=chr2", display_query(&galaxy, "hg38"));
    let (status, body) = status_and_body(app.get(&query).await).await;
    assert_eq!(status, 422, "{body}");
    assert!(
        error_message(&body).contains("galaxy.max_dataset_bytes"),
        "{body}"
    );
}

#[actix_web::test]
async fn a_display_link_galaxy_left_without_its_url_is_400_naming_the_fix() {
    // Galaxy 26 writes this for a data param's `.url` when the link is made
    // through api/display_applications/create_link (display applications that
    // use `${dataset_file.qp}`, as Galaxy's own IGV ones do). Nothing is fetched.
    let galaxy = MockServer::start().await;
    let app = relay_for(&galaxy.uri(), 5).await;
    let url = format!(
        "{}/*deprecated attribute, URL not filled in by server*",
        galaxy.uri()
    );
    let query = format!(
        "/galaxy/display?dataset_url={}&ext=vcf_bgzip",
        utf8_percent_encode(&url, NON_ALPHANUMERIC)
    );
    let (status, body) = status_and_body(app.get(&query).await).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body.contains("Galaxy did not fill in the dataset") && body.contains("deploy/galaxy"),
        "{body}"
    );
    assert!(
        galaxy
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty(),
        "nothing was asked of Galaxy"
    );
}
