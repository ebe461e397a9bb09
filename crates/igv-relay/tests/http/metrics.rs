//! Observability: `/metrics` counters move with relay traffic, and every log
//! line of a request carries the id sent back in `x-request-id`.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::support::app::{TestApp, spawn_app, spawn_app_with};

/// One sample of the Prometheus text format: name, labels, value.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

fn parse_metrics(text: &str) -> Vec<Sample> {
    let mut out = Vec::new();
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').expect("`series value`");
        let (name, labels) = match series.split_once('{') {
            None => (series.to_owned(), BTreeMap::new()),
            Some((name, rest)) => {
                let body = rest.trim_end_matches('}');
                let labels = body
                    .split("\",")
                    .filter(|kv| !kv.is_empty())
                    .map(|kv| {
                        let (k, v) = kv.split_once("=\"").expect("label=\"value\"");
                        (k.to_owned(), v.trim_end_matches('"').to_owned())
                    })
                    .collect();
                (name.to_owned(), labels)
            }
        };
        out.push(Sample {
            name,
            labels,
            value: value.parse().expect("a number"),
        });
    }
    out
}

/// The service with its separate metrics listener on a free port.
async fn spawn_with_metrics() -> TestApp {
    spawn_app_with(|s| s.metrics.bind = "127.0.0.1:0".into()).await
}

async fn scrape(app: &TestApp) -> Vec<Sample> {
    let address = app.metrics_address.as_deref().expect("metrics.bind is set");
    let r = app
        .client
        .get(format!("{address}/metrics"))
        .send()
        .await
        .expect("a scrape");
    assert_eq!(r.status().as_u16(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    parse_metrics(&r.text().await.unwrap())
}

/// The value of the series `name` whose labels include `labels` (0 if absent).
fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> f64 {
    samples
        .iter()
        .filter(|s| s.name == name)
        .filter(|s| {
            labels
                .iter()
                .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|s| s.value)
        .sum()
}

/// Request metrics are recorded when the response body is finished, which may
/// be a moment after the client has it; poll until `done` holds.
async fn scrape_until(app: &TestApp, done: impl Fn(&[Sample]) -> bool) -> Vec<Sample> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let samples = scrape(app).await;
        if done(&samples) || Instant::now() > deadline {
            return samples;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}

const RELAYED: &str = "igv_relay_relay_commands_total";
const FAILED: &str = "igv_relay_validation_failures_total";
const REQUESTS: &str = "igv_relay_http_requests_total";
const LATENCY: &str = "igv_relay_http_requests_duration_seconds";

#[actix_web::test]
async fn relay_requests_move_the_counters() {
    let app = spawn_with_metrics().await;
    let before = scrape(&app).await;
    let goto_before = value(&before, RELAYED, &[("command", "goto")]);
    let bad_locus_before = value(
        &before,
        FAILED,
        &[("reason", "invalid_parameter"), ("parameter", "locus")],
    );

    for _ in 0..2 {
        let r = app.get("/igv/goto?locus=chr1:100-200").await;
        assert_eq!(r.status().as_u16(), 303);
    }
    let r = app.get("/igv/load?file=http://files.example/x.bam").await;
    assert_eq!(r.status().as_u16(), 400, "host not allowed");
    let r = app.get("/igv/goto?locus=chr1:500-100").await;
    assert_eq!(r.status().as_u16(), 400);
    let r = app.get("/igv/goto").await;
    assert_eq!(r.status().as_u16(), 400);

    let after = scrape_until(&app, |s| {
        value(s, REQUESTS, &[("route", "/igv/goto"), ("status", "400")]) >= 2.0
    })
    .await;
    assert_eq!(
        value(&after, RELAYED, &[("command", "goto")]) - goto_before,
        2.0
    );
    assert_eq!(
        value(
            &after,
            FAILED,
            &[("reason", "invalid_parameter"), ("parameter", "locus")]
        ) - bad_locus_before,
        1.0
    );
    assert_eq!(
        value(
            &after,
            FAILED,
            &[("reason", "missing_parameter"), ("parameter", "locus")]
        ),
        1.0
    );
    assert_eq!(
        value(
            &after,
            FAILED,
            &[("reason", "invalid_parameter"), ("parameter", "file")]
        ),
        1.0
    );

    // Requests by route and status, with method, and a latency histogram.
    assert_eq!(
        value(
            &after,
            REQUESTS,
            &[("route", "/igv/goto"), ("status", "303"), ("method", "GET")]
        ),
        2.0
    );
    assert_eq!(
        value(
            &after,
            REQUESTS,
            &[("route", "/igv/goto"), ("status", "400")]
        ),
        2.0
    );
    let bucket = format!("{LATENCY}_bucket");
    assert_eq!(
        value(
            &after,
            &bucket,
            &[("route", "/igv/goto"), ("status", "303"), ("le", "+Inf")]
        ),
        2.0
    );
    assert_eq!(
        value(
            &after,
            &format!("{LATENCY}_count"),
            &[("route", "/igv/goto"), ("status", "303")]
        ),
        2.0
    );
}

/// The middleware keeps the series of a worker's last request: repeats,
/// and a change of status, method or route in between, each land in their
/// own series.
#[actix_web::test]
async fn repeated_and_alternating_requests_are_counted_in_their_own_series() {
    let app = spawn_app_with(|s| {
        s.metrics.bind = "127.0.0.1:0".into();
        s.limits.workers = 1;
    })
    .await;
    let sequence = [
        ("GET", "/igv/goto?locus=chr1:1-2", 303),
        ("GET", "/igv/goto?locus=chr1:1-2", 303),
        ("GET", "/igv/goto?locus=chr1:2-1", 400),
        ("GET", "/igv/goto?locus=chr1:1-2", 303),
        ("HEAD", "/igv/goto?locus=chr1:1-2", 303),
        ("GET", "/igv/load?locus=chr1:1-2", 400),
        ("GET", "/igv/goto?locus=chr1:1-2", 303),
        ("GET", "/no/such/page", 404),
        ("GET", "/no/such/page", 404),
    ];
    for (method, path, status) in sequence {
        let request = match method {
            "GET" => app.client.get(app.url(path)),
            _ => app.client.head(app.url(path)),
        };
        let r = request.send().await.unwrap();
        assert_eq!(r.status().as_u16(), status, "{method} {path}");
    }
    let samples = scrape_until(&app, |s| {
        value(s, REQUESTS, &[("route", "UNMATCHED")]) >= 2.0
    })
    .await;
    let count = |method: &str, route: &str, status: &str| {
        value(
            &samples,
            REQUESTS,
            &[("method", method), ("route", route), ("status", status)],
        )
    };
    assert_eq!(count("GET", "/igv/goto", "303"), 4.0);
    assert_eq!(count("GET", "/igv/goto", "400"), 1.0);
    assert_eq!(count("HEAD", "/igv/goto", "303"), 1.0);
    assert_eq!(count("GET", "/igv/load", "400"), 1.0);
    assert_eq!(count("GET", "UNMATCHED", "404"), 2.0);
    let latency = format!("{LATENCY}_count");
    assert_eq!(
        value(
            &samples,
            &latency,
            &[("method", "GET"), ("route", "/igv/goto"), ("status", "303")]
        ),
        4.0
    );
    assert_eq!(value(&samples, RELAYED, &[("command", "goto")]), 5.0);
}

#[actix_web::test]
async fn unknown_paths_share_one_series() {
    let app = spawn_with_metrics().await;
    for path in ["/wp-login.php", "/a/b/c", "/.env"] {
        app.get(path).await;
    }
    let samples = scrape_until(&app, |s| {
        value(s, REQUESTS, &[("route", "UNMATCHED")]) >= 3.0
    })
    .await;
    assert_eq!(value(&samples, REQUESTS, &[("route", "UNMATCHED")]), 3.0);
    assert!(
        samples
            .iter()
            .all(|s| s.labels.get("route").map(String::as_str) != Some("/wp-login.php"))
    );
}

/// A `MakeWriter` that keeps everything in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn json_logs() -> &'static Captured {
    static LOGS: OnceLock<Captured> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Captured::default();
        let writer = logs.clone();
        let subscriber =
            igv_relay::telemetry::subscriber("json", "info,igv_relay=debug", false, move || {
                writer.clone()
            });
        tracing::subscriber::set_global_default(subscriber).expect("the only global subscriber");
        logs
    })
}

#[actix_web::test]
async fn every_log_line_of_a_request_carries_its_request_id() {
    let logs = json_logs();
    let app = spawn_app().await;
    let r = app.get("/igv/goto?locus=chr1:100-200").await;
    let id = r.headers()["x-request-id"].to_str().unwrap().to_owned();

    let deadline = Instant::now() + Duration::from_secs(5);
    let lines: Vec<serde_json::Value> = loop {
        let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("every line is JSON"))
            .filter(|l: &serde_json::Value| l.to_string().contains(&id))
            .collect();
        let finished = lines
            .iter()
            .any(|l| l["fields"]["message"] == "request finished");
        if finished || Instant::now() > deadline {
            break lines;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    };
    let messages: Vec<&str> = lines
        .iter()
        .filter_map(|l| l["fields"]["message"].as_str())
        .collect();
    assert!(messages.contains(&"relayed to IGV"), "{messages:?}");
    assert!(messages.contains(&"request finished"), "{messages:?}");
    for line in &lines {
        assert_eq!(line["span"]["request_id"], id.as_str(), "{line}");
    }
    // And the handler's event is not logged without the id anywhere.
    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    for line in text.lines().filter(|l| l.contains("relayed to IGV")) {
        assert!(line.contains("request_id"), "{line}");
    }
}

/// `/metrics` tells anyone who reads it which routes are used and how often,
/// so by default it is on no port (SECURITY.md, "Metrics").
#[actix_web::test]
async fn metrics_are_not_on_the_public_port_by_default() {
    let app = spawn_app().await;
    assert_eq!(app.metrics_address, None);
    let r = app.get("/metrics").await;
    assert_eq!(r.status().as_u16(), 404);
    let body = r.text().await.unwrap();
    assert!(!body.contains("igv_relay_http_requests_total"), "{body}");
}

#[actix_web::test]
async fn metrics_bind_serves_metrics_on_its_own_port_only() {
    let app = spawn_with_metrics().await;
    let metrics = app.metrics_address.clone().expect("a metrics port");
    assert_ne!(metrics, app.address);
    assert_eq!(app.get("/metrics").await.status().as_u16(), 404);
    let samples = scrape(&app).await;
    assert!(
        samples.iter().any(|s| s.name == REQUESTS),
        "counters served"
    );
    // Nothing of the service itself is on the metrics port: no relay, no files.
    for (path, status) in [
        ("/healthz", 200),
        ("/igv/goto?locus=chr1:100-200", 404),
        ("/files/", 404),
        ("/", 404),
    ] {
        let r = app
            .client
            .get(format!("{metrics}{path}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), status, "{path} on the metrics port");
    }
}

#[actix_web::test]
async fn metrics_token_guards_metrics_on_the_public_port() {
    let token = "s3cret-scrape-token";
    let app = spawn_app_with(|s| {
        s.metrics.token = igv_relay::configuration::ApiKey::new(token);
    })
    .await;
    let scrape_with = |auth: Option<String>| {
        let mut request = app.client.get(app.url("/metrics"));
        if let Some(auth) = auth {
            request = request.header("Authorization", auth);
        }
        request.header("Accept", "application/json").send()
    };

    let r = scrape_with(None).await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
    assert_eq!(
        r.headers()["www-authenticate"].to_str().unwrap(),
        "Bearer realm=\"igv-relay metrics\""
    );
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"], "unauthorized");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("Authorization: Bearer"),
        "{body}"
    );

    for wrong in [
        "Bearer s3cret-scrape-tokeN".to_owned(),
        "Bearer s3cret-scrape-token-and-more".to_owned(),
        format!("Basic {token}"),
        token.to_owned(),
    ] {
        let r = scrape_with(Some(wrong.clone())).await.unwrap();
        assert_eq!(r.status().as_u16(), 401, "{wrong}");
        let body = r.text().await.unwrap();
        assert!(!body.contains(token), "the token is never echoed: {body}");
    }

    let r = scrape_with(Some(format!("Bearer {token}"))).await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let text = r.text().await.unwrap();
    assert!(
        parse_metrics(&text).iter().any(|s| s.name == REQUESTS),
        "{text}"
    );
}

#[actix_web::test]
async fn metrics_token_also_guards_the_separate_port() {
    let app = spawn_app_with(|s| {
        s.metrics.bind = "127.0.0.1:0".into();
        s.metrics.token = igv_relay::configuration::ApiKey::new("tok-2");
    })
    .await;
    let metrics = app.metrics_address.clone().expect("a metrics port");
    assert_eq!(app.get("/metrics").await.status().as_u16(), 404);
    let url = format!("{metrics}/metrics");
    let r = app.client.get(&url).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let r = app
        .client
        .get(&url)
        .header("Authorization", "Bearer tok-2")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
}
