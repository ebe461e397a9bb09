//! `GET /galaxy/collections/{id}` against a real Galaxy 26.1: a `list` and a
//! `list:paired` collection made through Galaxy's API by one user (the admin)
//! in a published history, read by the relay with another user's API key. The
//! page has a section per element, links every dataset to its page (whose
//! loci are the dataset's), and refuses the dataset its owner made private,
//! showing nothing of it.
//!
//! Galaxy comes as for tests/http/galaxy.rs (skips without one, fails with
//! CI=true); the relay listens on a port of its own.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use crate::galaxy::{Api, BED, BED_LOCI, VCF, VCF_LOCI, galaxy_or_skip};
use crate::support::app::spawn_app_with;
use crate::support::html::{loci, tags};
use reqwest::Method;
use serde_json::{Value, json};

const SECRET_BED: &str = "chr5\t500\t600\tsecret_feature\t0\t+\n";

/// A new user and its API key, made by the admin.
pub(super) async fn reader(api: &Api<'_>) -> String {
    let n = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let user = api
        .send(
            Method::POST,
            "api/users",
            json!({"username": format!("reader{n}"), "email": format!("reader{n}@example.org"),
                   "password": "reader-password"}),
        )
        .await;
    let id = user["id"].as_str().expect("a user id");
    let key = api
        .send(Method::POST, &format!("api/users/{id}/api_key"), json!({}))
        .await;
    key.as_str().expect("an API key").to_owned()
}

fn hda(name: &str, id: &str) -> Value {
    json!({"name": name, "src": "hda", "id": id})
}

#[actix_web::test]
async fn a_collection_page_links_every_element_and_refuses_a_private_one() {
    let Some(galaxy) = galaxy_or_skip().await else {
        return;
    };
    let started = Instant::now();
    let api = Api {
        galaxy: &galaxy,
        http: reqwest::Client::new(),
    };
    let ids = api
        .upload(&[
            ("coll.bed", "bed", "hg38", BED),
            ("coll.vcf", "vcf", "hg_g1k_v37", VCF),
            ("secret.bed", "bed", "hg38", SECRET_BED),
        ])
        .await;
    let mut history = String::new();
    for id in ids.values() {
        history = api.wait_ok(id).await["history_id"]
            .as_str()
            .unwrap()
            .to_owned();
    }
    eprintln!(
        "galaxy_collections: uploads ok after {:?}",
        started.elapsed()
    );
    let (bed, vcf, secret) = (&ids["coll.bed"], &ids["coll.vcf"], &ids["secret.bed"]);
    // The history is published (another user may see its collections); one
    // dataset in it is private to its owner.
    api.send(
        Method::PUT,
        &format!("api/histories/{history}"),
        json!({"published": true, "importable": true}),
    )
    .await;
    api.send(
        Method::PUT,
        &format!("api/datasets/{secret}/permissions"),
        json!({"action": "make_private"}),
    )
    .await;
    let list = api
        .send(
            Method::POST,
            "api/dataset_collections",
            json!({"history_id": history, "type": "dataset_collection", "collection_type": "list",
                   "name": "calls & regions",
                   "element_identifiers": [hda("regions", bed), hda("calls", vcf), hda("hidden", secret)]}),
        )
        .await;
    let paired = api
        .send(
            Method::POST,
            "api/dataset_collections",
            json!({"history_id": history, "type": "dataset_collection",
                   "collection_type": "list:paired", "name": "pairs",
                   "element_identifiers": [
                     {"name": "sample1", "src": "new_collection", "collection_type": "paired",
                      "element_identifiers": [hda("forward", bed), hda("reverse", vcf)]},
                     {"name": "sample2", "src": "new_collection", "collection_type": "paired",
                      "element_identifiers": [hda("forward", secret), hda("reverse", bed)]}]}),
        )
        .await;

    let key = reader(&api).await;
    let galaxy_url = galaxy.url.to_string();
    let app = spawn_app_with(move |s| {
        s.galaxy.url = galaxy_url;
        s.galaxy.api_key = igv_relay::configuration::ApiKey::new(&key);
    })
    .await;

    // The list: three sections, two linked, the private one refused.
    let url = format!("/galaxy/collections/{}", list["id"].as_str().unwrap());
    let response = app.get(&url).await;
    assert_eq!(response.status().as_u16(), 200, "{url}");
    let html = response.text().await.unwrap();
    assert!(html.contains("calls &#38; regions") || html.contains("calls &amp; regions"));
    let headings: Vec<String> = html
        .split("<h2>")
        .skip(1)
        .filter_map(|s| s.split("</h2>").next())
        .map(str::to_owned)
        .collect();
    assert_eq!(headings, ["regions", "calls", "hidden"], "{html}");
    let pages: Vec<(String, String)> = tags(&html)
        .into_iter()
        .filter(|t| t.has_class("collection-dataset-page"))
        .map(|t| (t.attr("href").unwrap_or("").to_owned(), String::new()))
        .collect();
    assert_eq!(
        pages.iter().map(|(h, _)| h.clone()).collect::<Vec<_>>(),
        [
            format!("{}/galaxy/datasets/{bed}", app.address),
            format!("{}/galaxy/datasets/{vcf}", app.address)
        ]
    );
    assert!(html.contains("access-refused"), "{html}");
    assert!(!html.contains("secret.bed") && !html.contains("secret_feature"));
    assert!(!html.contains(&format!("galaxy/datasets/{secret}")));
    // Each linked page lists its dataset's loci.
    for ((page, _), expected) in pages.iter().zip([BED_LOCI, VCF_LOCI]) {
        let body = app
            .client
            .get(page)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(loci(&body), expected, "{page}");
    }
    // The private dataset's own page is refused too.
    let r = app.get(&format!("/galaxy/datasets/{secret}")).await;
    assert_eq!(r.status().as_u16(), 502, "Galaxy's 403 to the relay");

    // The same as JSON.
    let v: Value = app.get_json(&url).await.json().await.unwrap();
    assert_eq!(v["collection_type"], "list");
    let access: Vec<&str> = v["sections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["members"][0]["access"].as_str().unwrap())
        .collect();
    assert_eq!(access, ["ok", "ok", "refused"]);

    // The list of pairs: a section per pair, forward and reverse in it.
    let url = format!("/galaxy/collections/{}", paired["id"].as_str().unwrap());
    let v: Value = app.get_json(&url).await.json().await.unwrap();
    assert_eq!(v["collection_type"], "list:paired", "{v}");
    let sections = v["sections"].as_array().unwrap();
    assert_eq!(sections.len(), 2, "{v}");
    assert_eq!(sections[0]["identifier"], "sample1");
    let s1 = sections[0]["members"].as_array().unwrap();
    assert_eq!(s1[0]["path"], "forward");
    assert_eq!(s1[0]["extension"], "bed");
    assert_eq!(s1[1]["path"], "reverse");
    assert_eq!(s1[1]["extension"], "vcf");
    let s2 = sections[1]["members"].as_array().unwrap();
    assert_eq!(s2[0]["access"], "refused");
    assert_eq!(s2[0]["name"], "");
    assert_eq!(s2[1]["access"], "ok");
    let html = app.get(&url).await.text().await.unwrap();
    assert_eq!(
        html.matches("class=\"collection-dataset-page\"").count(),
        3,
        "{html}"
    );

    // A collection id Galaxy does not know: 404.
    let r = app.get("/galaxy/collections/0123456789abcdef").await;
    assert_eq!(r.status().as_u16(), 404);
}
