//! `/api/openapi.json` documents every route the service registers: the
//! paths of `startup::configure_routes` (read from its source, the one file
//! that knows every route) are compared with the document's, both ways, so a
//! route added without documentation, or documentation of a route that is
//! gone, fails here.

use std::collections::BTreeSet;

use serde_json::Value;

const STARTUP: &str = include_str!("../../src/startup.rs");

/// The paths registered in `configure_routes`, as OpenAPI writes them
/// (`{tail:.+}` → `{tail}`), without the `/api` scope (utoipa documents it
/// from its handlers).
fn registered_paths() -> BTreeSet<String> {
    let start = STARTUP
        .find("pub fn configure_routes")
        .expect("startup.rs has configure_routes");
    let body = &STARTUP[start..];
    let body = &body[..body.find("\n}\n").expect("the function ends")];
    let mut paths: BTreeSet<String> = body
        .split('"')
        .skip(1)
        .step_by(2)
        .filter(|literal| literal.starts_with('/'))
        .map(|literal| match literal.split_once(":") {
            Some((before, _)) if before.contains('{') => format!("{before}}}"),
            _ => literal.to_owned(),
        })
        .collect();
    // `/metrics` is registered by `configure_metrics`, on the port
    // `metrics.bind`/`metrics.token` choose (issue 17).
    if STARTUP.contains("cfg.route(metrics::ENDPOINT") {
        paths.insert(igv_relay::metrics::ENDPOINT.to_owned());
    }
    assert!(
        body.contains("api::scope()"),
        "the /api scope is registered"
    );
    paths
}

#[actix_web::test]
async fn the_openapi_document_has_every_registered_route_and_no_other() {
    // With a token, `/metrics` is on the public port (401 without it).
    let app = crate::support::app::spawn_app_with(|s| {
        s.metrics.token = igv_relay::configuration::ApiKey::new("openapi-test-token");
    })
    .await;
    let doc: Value = app.get("/api/openapi.json").await.json().await.unwrap();
    let documented: BTreeSet<String> = doc["paths"]
        .as_object()
        .expect("paths")
        .keys()
        .cloned()
        .collect();
    let registered = registered_paths();
    assert!(registered.len() >= 15, "{registered:?}");
    let missing: Vec<&String> = registered.difference(&documented).collect();
    assert!(
        missing.is_empty(),
        "routes without documentation: {missing:?}"
    );
    let extra: Vec<&String> = documented
        .iter()
        .filter(|p| !p.starts_with("/api/") && !registered.contains(*p))
        .collect();
    assert!(
        extra.is_empty(),
        "documented routes that are not registered: {extra:?}"
    );
    for api in ["/api/links", "/api/genomes", "/api/openapi.json"] {
        assert!(documented.contains(api), "{api}");
    }
    // Each documented path answers on the running service (not 404), with
    // the documented method; path parameters get harmless values.
    for (path, item) in doc["paths"].as_object().unwrap() {
        let tail = if path.starts_with("/raw/") {
            "demo/peaks.bed"
        } else {
            "demo/"
        };
        let concrete = path
            .replace("{tail}", tail)
            .replace("{name}", "igv-relay.css")
            .replace("{id}", "0123456789abcdef");
        for method in item.as_object().unwrap().keys() {
            let request = match method.as_str() {
                "get" => app.client.get(app.url(&concrete)),
                "post" => app.client.post(app.url(&concrete)).body(""),
                other => panic!("{path}: unexpected method {other}"),
            };
            let status = request.send().await.unwrap().status().as_u16();
            let galaxy = path.starts_with("/galaxy/");
            // Galaxy routes answer 404 when no Galaxy is configured, which
            // says so in the body; every other route must be there.
            assert!(status != 404 || galaxy, "{method} {concrete}: 404");
            assert_ne!(status, 405, "{method} {concrete}");
        }
    }
}

#[actix_web::test]
async fn the_relay_and_paste_parameters_are_described() {
    let app = crate::support::app::spawn_app().await;
    let doc: Value = app.get("/api/openapi.json").await.json().await.unwrap();
    let goto = &doc["paths"]["/igv/goto"]["get"];
    let names: Vec<&str> = goto["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(names, ["locus", "genome", "port", "landing"]);
    assert!(goto["responses"]["303"].is_object());
    let links = &doc["components"]["schemas"]["LinksRequest"]["properties"];
    for field in ["loci", "text", "coords", "genome", "flank"] {
        assert!(links[field].is_object(), "{field}: {links}");
    }
}
