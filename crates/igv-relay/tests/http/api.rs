//! Black-box tests of `/api/*` (links, genomes, OpenAPI, CORS), `/embed`
//! (frame-ancestors) and the headers every page gets.

use crate::support::app::{TestApp, assert_redirects_to, spawn_app, spawn_app_with};
use serde_json::{Value, json};

const INTRANET: &str = "http://intranet.example:8080";

async fn post_links(app: &TestApp, body: Value) -> reqwest::Response {
    app.client
        .post(app.url("/api/links"))
        .json(&body)
        .send()
        .await
        .expect("POST /api/links")
}

fn header<'a>(r: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    r.headers().get(name).and_then(|v| v.to_str().ok())
}

#[actix_web::test]
async fn links_gives_one_result_per_input_with_errors_for_the_invalid_ones() {
    let app = spawn_app().await;
    let r = post_links(
        &app,
        json!({
            "genome": "hg38",
            "loci": [
                "chr7:140,753,336-140,753,436",
                "chrZZ:1-100",
                "KRAS",
                "chr1:500-100",
                "7:55019017",
                "chr1:100-200 chr2:300-400"
            ]
        }),
    )
    .await;
    assert_eq!(r.status().as_u16(), 200);
    let body: Value = r.json().await.unwrap();
    let results = body["results"].as_array().unwrap();
    assert_eq!(results.len(), 6, "{body:#}");

    let first = &results[0];
    assert_eq!(first["input"], "chr7:140,753,336-140,753,436");
    assert_eq!(first["locus"], "chr7:140753336-140753436");
    assert_eq!(
        first["igv_url"],
        "http://127.0.0.1:60151/load?genome=hg38&file=&locus=chr7:140753336-140753436"
    );
    assert!(first.get("error").is_none());

    for (i, needle) in [
        (1, "chrZZ"),
        (2, "gene or feature name"),
        (3, "is after the end"),
    ] {
        let r = &results[i];
        assert!(r.get("relay_url").is_none(), "{r}");
        let error = r["error"].as_str().unwrap();
        assert!(error.contains(needle), "result {i}: {error}");
    }
    // Ensembl names are resolved to the genome's own names.
    assert_eq!(results[4]["locus"], "chr7:55019017");
    // Several loci in one input open side by side.
    assert_eq!(results[5]["locus"], "chr1:100-200 chr2:300-400");

    // The relay link a client gets leads to exactly the IGV URL it was shown.
    let relay_url = first["relay_url"].as_str().unwrap();
    assert!(relay_url.starts_with(&app.address), "{relay_url}");
    assert!(relay_url.contains("genome=hg38"), "{relay_url}");
    // The instant link (issue 22): straight to the relay's 303, like the
    // links of link pages; `share_url` is the same through the landing page,
    // for links passed on.
    assert!(!relay_url.contains("landing"), "{relay_url}");
    let followed = app.client.get(relay_url).send().await.unwrap();
    assert_redirects_to(&followed, first["igv_url"].as_str().unwrap());
    assert_eq!(
        first["share_url"].as_str(),
        Some(format!("{relay_url}&landing=1").as_str())
    );
}

#[actix_web::test]
async fn links_adds_the_flank_and_clamps_it_to_the_chromosome() {
    let app = spawn_app().await;
    let r = post_links(
        &app,
        json!({"genome": "hg38", "loci": ["chr1:1000-2000", "chrM:16000-16500", "chr2:50"], "flank": 100}),
    )
    .await;
    let body: Value = r.json().await.unwrap();
    let loci: Vec<&str> = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["locus"].as_str().unwrap())
        .collect();
    // chrM is 16569 bp in hg38.
    assert_eq!(loci, ["chr1:900-2100", "chrM:15900-16569", "chr2:1-150"]);
}

#[actix_web::test]
async fn links_refuses_a_malformed_request_as_a_whole_with_json() {
    let app = spawn_app().await;
    let unknown_genome = post_links(&app, json!({"genome": "hg99", "loci": ["chr1:1-2"]})).await;
    assert_eq!(unknown_genome.status().as_u16(), 400);
    let body: Value = unknown_genome.json().await.unwrap();
    assert_eq!(body["error"], "invalid_parameter");
    assert!(body["message"].as_str().unwrap().contains("hg99"));

    let not_json = app
        .client
        .post(app.url("/api/links"))
        .header("content-type", "application/json")
        .body("{loci: nope")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status().as_u16(), 400);
    assert_eq!(
        header(&not_json, "content-type"),
        Some("application/json"),
        "API errors are JSON even without Accept"
    );

    let too_many: Vec<String> = (1..=1001).map(|i| format!("chr1:{i}")).collect();
    let r = post_links(&app, json!({ "loci": too_many })).await;
    assert_eq!(r.status().as_u16(), 400);

    let unknown_path = app.get("/api/nothing-here").await;
    assert_eq!(unknown_path.status().as_u16(), 404);
    let body: Value = unknown_path.json().await.unwrap();
    assert_eq!(body["error"], "not_found");
}

#[actix_web::test]
async fn genomes_lists_the_built_in_genomes() {
    let app = spawn_app().await;
    let body: Value = app.get("/api/genomes").await.json().await.unwrap();
    let ids: Vec<&str> = body["genomes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["id"].as_str().unwrap())
        .collect();
    for id in ["hg38", "hg19", "b37", "mm10", "mm39"] {
        assert!(ids.contains(&id), "{ids:?}");
    }
    let hg38 = body["genomes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["id"] == "hg38")
        .unwrap();
    assert!(hg38["chromosome_count"].as_u64().unwrap() >= 25);
}

#[actix_web::test]
async fn openapi_document_describes_the_api_under_the_public_url() {
    let app = spawn_app_with(|s| s.server.public_url = "https://galaxy.example/igv/".into()).await;
    // The public URL is elsewhere; talk to the bound port directly.
    let r = app
        .client
        .get(format!("http://127.0.0.1:{}/api/openapi.json", app.port))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let doc: Value = r.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert_eq!(doc["servers"][0]["url"], "https://galaxy.example/igv");
    assert!(doc["paths"]["/api/links"]["post"].is_object(), "{doc:#}");
    assert!(doc["paths"]["/api/genomes"]["get"].is_object());
    let schemas = &doc["components"]["schemas"];
    for name in ["LinksRequest", "LinksResponse", "LinkResult", "ErrorBody"] {
        assert!(schemas[name].is_object(), "schema {name} missing");
    }
    let request = &schemas["LinksRequest"]["properties"];
    for field in ["genome", "loci", "flank"] {
        assert!(request[field].is_object(), "LinksRequest.{field}");
    }
}

#[actix_web::test]
async fn cors_allows_only_the_configured_origins() {
    let app = spawn_app_with(|s| s.api.cors_origins = vec![INTRANET.into()]).await;

    let allowed = app
        .client
        .get(app.url("/api/genomes"))
        .header("Origin", INTRANET)
        .send()
        .await
        .unwrap();
    assert_eq!(allowed.status().as_u16(), 200);
    assert_eq!(
        header(&allowed, "access-control-allow-origin"),
        Some(INTRANET)
    );
    assert!(header(&allowed, "vary").unwrap().contains("Origin"));

    let preflight = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/api/links"))
        .header("Origin", INTRANET)
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "content-type")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status().as_u16(), 204);
    assert_eq!(
        header(&preflight, "access-control-allow-origin"),
        Some(INTRANET)
    );
    assert!(
        header(&preflight, "access-control-allow-methods")
            .unwrap()
            .contains("POST")
    );
    assert!(
        header(&preflight, "access-control-allow-headers")
            .unwrap()
            .contains("content-type")
    );

    let stranger = "https://evil.example";
    let denied = app
        .client
        .get(app.url("/api/genomes"))
        .header("Origin", stranger)
        .send()
        .await
        .unwrap();
    assert!(header(&denied, "access-control-allow-origin").is_none());
    let denied_preflight = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/api/links"))
        .header("Origin", stranger)
        .header("Access-Control-Request-Method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(denied_preflight.status().as_u16(), 403);
    assert!(header(&denied_preflight, "access-control-allow-origin").is_none());

    // CORS is for /api only: pages and the relay never get it.
    let page = app
        .client
        .get(app.url("/"))
        .header("Origin", INTRANET)
        .send()
        .await
        .unwrap();
    assert!(header(&page, "access-control-allow-origin").is_none());
}

#[actix_web::test]
async fn cors_is_closed_by_default() {
    let app = spawn_app().await;
    let r = app
        .client
        .get(app.url("/api/genomes"))
        .header("Origin", INTRANET)
        .send()
        .await
        .unwrap();
    assert!(header(&r, "access-control-allow-origin").is_none());
}

fn assert_page_security_headers(r: &reqwest::Response, what: &str) {
    let csp = header(r, "content-security-policy").unwrap_or_else(|| panic!("{what}: no CSP"));
    assert!(csp.contains("script-src 'self'"), "{what}: {csp}");
    assert!(!csp.contains("unsafe-inline"), "{what}: {csp}");
    assert!(csp.contains("default-src 'none'"), "{what}: {csp}");
    assert_eq!(
        header(r, "x-content-type-options"),
        Some("nosniff"),
        "{what}"
    );
    assert!(header(r, "referrer-policy").is_some(), "{what}");
}

/// Every `<script>` has a `src`, and no element has an inline event handler.
fn assert_no_inline_script(html: &str, what: &str) {
    for (i, _) in html.match_indices("<script") {
        let tag_end = html[i..].find('>').map(|e| i + e).unwrap_or(html.len());
        assert!(
            html[i..tag_end].contains(" src="),
            "{what}: inline script at {i}"
        );
    }
    let lower = html.to_ascii_lowercase();
    for handler in [
        " onclick=",
        " onload=",
        " onerror=",
        " onsubmit=",
        "javascript:",
    ] {
        assert!(!lower.contains(handler), "{what}: {handler}");
    }
}

#[actix_web::test]
async fn every_html_page_has_the_security_headers_and_no_inline_script() {
    let app = spawn_app().await;
    for path in [
        "/",
        "/?loci=chr1:100-200%0Anot%20a%20locus&genome=hg38",
        "/settings",
        "/files/",
        "/files/demo/",
        "/igv/goto?locus=chr1:1-100&landing=1",
        "/igv/goto?locus=chr1:200-100",
        "/files/no-such-root/",
    ] {
        let r = app.get(path).await;
        assert!(
            header(&r, "content-type")
                .unwrap_or("")
                .starts_with("text/html"),
            "{path}: {:?}",
            header(&r, "content-type")
        );
        assert_page_security_headers(&r, path);
        let csp = header(&r, "content-security-policy").unwrap().to_owned();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        let html = r.text().await.unwrap();
        assert_no_inline_script(&html, path);
    }
}

#[actix_web::test]
async fn responses_carry_a_fresh_request_id_and_the_relay_stays_uncached() {
    let app = spawn_app().await;
    let a = app.get("/igv/goto?locus=chr1:1-100").await;
    let b = app.get("/igv/goto?locus=chr1:1-100").await;
    assert_redirects_to(&a, "http://127.0.0.1:60151/goto?locus=chr1:1-100");
    let id_a = header(&a, "x-request-id").expect("x-request-id").to_owned();
    let id_b = header(&b, "x-request-id").expect("x-request-id").to_owned();
    assert_eq!(id_a.len(), 36, "a UUID: {id_a}");
    assert_ne!(id_a, id_b);
    assert_eq!(header(&a, "x-content-type-options"), Some("nosniff"));
    let json = app.get("/api/genomes").await;
    assert!(header(&json, "x-request-id").is_some());
    assert!(header(&json, "content-security-policy").is_none());
}

#[actix_web::test]
async fn a_request_id_from_the_proxy_is_kept_and_a_bad_one_replaced() {
    let app = spawn_app().await;
    let client = &app.client;
    let sent = "nginx-7f3a9c.42";
    let r = client
        .get(app.url("/igv/goto?locus=chr1:1-100"))
        .header("x-request-id", sent)
        .send()
        .await
        .unwrap();
    assert_eq!(header(&r, "x-request-id"), Some(sent));
    // Spaces, quotes or a very long id would be logged as given: not taken.
    for bad in ["two words", "a\"b", &"x".repeat(129), ""] {
        let r = client
            .get(app.url("/igv/goto?locus=chr1:1-100"))
            .header("x-request-id", bad)
            .send()
            .await
            .unwrap();
        let id = header(&r, "x-request-id").expect("x-request-id").to_owned();
        assert_ne!(id, bad);
        assert_eq!(id.len(), 36, "a fresh UUID-shaped id: {id}");
    }
}

#[actix_web::test]
async fn embed_cannot_be_framed_by_default() {
    let app = spawn_app().await;
    let r = app.get("/embed?loci=chr1:100-200").await;
    assert_eq!(r.status().as_u16(), 200);
    assert_page_security_headers(&r, "/embed");
    let csp = header(&r, "content-security-policy").unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
}

#[actix_web::test]
async fn embed_frame_ancestors_come_from_configuration() {
    let app = spawn_app_with(|s| {
        s.embed.allowed_origins = vec![INTRANET.into(), "https://galaxy.example".into()];
    })
    .await;
    let r = app
        .get("/embed?loci=chr7:140,753,336-140,753,436%0Anonsense:x%0Achr1:5&genome=hg38")
        .await;
    assert_eq!(r.status().as_u16(), 200);
    assert_page_security_headers(&r, "/embed");
    let csp = header(&r, "content-security-policy").unwrap().to_owned();
    assert!(
        csp.ends_with(&format!(
            "frame-ancestors {INTRANET} https://galaxy.example"
        )),
        "{csp}"
    );
    assert!(header(&r, "x-frame-options").is_none());
    let html = r.text().await.unwrap();
    assert_no_inline_script(&html, "/embed");
    assert!(html.contains("chr7:140,753,336-140,753,436"), "{html}");
    assert!(
        html.contains("igv/goto?locus=chr7%3A140753336-140753436&#38;genome=hg38"),
        "{html}"
    );
    assert!(html.contains("chr1:5"));
    assert!(
        html.contains("class=\"row-error\""),
        "the invalid line is explained"
    );

    // Only /embed may be framed; the other pages stay 'none'.
    let start = app.get("/").await;
    let csp = header(&start, "content-security-policy").unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");

    // A bad request is explained inside the frame, with the frame policy.
    let bad = app.get("/embed?loci=chr1:1-2&genome=hg99").await;
    assert_eq!(bad.status().as_u16(), 400);
    assert!(
        header(&bad, "content-security-policy")
            .unwrap()
            .contains(INTRANET)
    );
}

#[actix_web::test]
async fn the_embed_kit_is_served_at_its_stable_url() {
    let app = spawn_app().await;
    let r = app.get("/static/igv-relay.js").await;
    assert_eq!(r.status().as_u16(), 200);
    assert!(
        header(&r, "content-type")
            .unwrap()
            .starts_with("text/javascript")
    );
    let body = r.text().await.unwrap();
    assert!(body.contains("data-igv-autolink"));
}

/// The configuration files under deploy/ load (and keep loading as keys change).
#[test]
fn deployment_configurations_load() {
    use igv_relay::configuration::Settings;
    use std::collections::BTreeMap;
    let root = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    let compose = Settings::load_with_env(
        Some(&root.join("deploy/compose/igv-relay.yaml")),
        Some(BTreeMap::new()),
    )
    .expect("deploy/compose/igv-relay.yaml loads");
    assert_eq!(compose.embed.allowed_origins, ["http://localhost:8080"]);

    let manifest = std::fs::read_to_string(root.join("deploy/kubernetes/configmap.yaml")).unwrap();
    let payload: String = manifest
        .lines()
        .skip_while(|l| l.trim() != "config.yaml: |")
        .skip(1)
        .take_while(|l| l.starts_with("    ") || l.trim().is_empty())
        .map(|l| format!("{}\n", l.get(4..).unwrap_or("")))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("config.yaml");
    std::fs::write(&file, payload).unwrap();
    let k8s = Settings::load_with_env(Some(&file), Some(BTreeMap::new()))
        .expect("the ConfigMap's config.yaml loads");
    assert_eq!(k8s.server.public_url, "https://galaxy.lab.example/igv/");
    assert_eq!(k8s.log.format, "json");
    assert_eq!(
        k8s.data.roots[0].path,
        std::path::Path::new("/data/results")
    );
}
