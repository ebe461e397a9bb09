//! Reads beside a Galaxy VCF (issue 26 item 3): against a real Galaxy 26.1,
//! one history holds the pairing fixtures' two-sample VCF, its three BAMs
//! (`tests/fixtures/pairing`: real reads with read groups) and a fourth BAM
//! its owner made private. The relay reads with another user's key (the
//! history is published): the VCF dataset's page pairs exactly the two BAMs
//! whose read groups' SM name its samples, offers the third, says one was
//! refused without naming it, and each row's "reads sorted here" loads
//! both BAMs and their indexes at the URLs Galaxy serves them to IGV.
//!
//! Galaxy comes as for tests/http/galaxy.rs (skips without one, fails with
//! CI=true); the relay listens on a port of its own.

use std::path::Path;

use crate::galaxy::{Api, assert_galaxy_serves_range, base64, galaxy_or_skip};
use crate::galaxy_collections::reader;
use crate::support::app::{TestApp, spawn_app_with};
use crate::support::html::{items, links};
use reqwest::Method;
use serde_json::{Value, json};
use url::Url;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/pairing")
            .join(name),
    )
    .unwrap()
}

/// Where the relay sends a link: IGV's `/load` query.
async fn igv_query(app: &TestApp, relay: &str) -> Vec<(String, String)> {
    let response = app.client.get(relay).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 303, "{relay}");
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let url = Url::parse(&location).unwrap();
    assert_eq!(url.path(), "/load");
    url.query_pairs().into_owned().collect()
}

fn param<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// The data URL Galaxy gives IGV for a dataset through igv-relay's display
/// app, asked as the user whose `key` the relay has (the URL's token is
/// per user).
async fn data_url(api: &Api<'_>, key: &str, dataset: &Value) -> String {
    let feedback: Value = api
        .http
        .post(
            api.galaxy
                .url
                .join("api/display_applications/create_link")
                .unwrap(),
        )
        .header("x-api-key", key)
        .json(&json!({"app_name": "igv_relay_bam", "link_name": "view",
                      "dataset_id": dataset["id"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let resource = Url::parse(feedback["resource"].as_str().expect("a resource")).unwrap();
    resource
        .query_pairs()
        .find(|(k, _)| k == "dataset_url")
        .map(|(_, v)| v.into_owned())
        .expect("a dataset_url")
}

#[actix_web::test]
async fn a_galaxy_vcf_pairs_the_bams_of_its_history_by_read_group() {
    let Some(galaxy) = galaxy_or_skip().await else {
        return;
    };
    let api = Api {
        galaxy: &galaxy,
        http: reqwest::Client::new(),
    };
    let vcf_text = String::from_utf8(fixture("calls.vcf")).unwrap();
    let bam = |name: &str, file: &str| {
        json!({"src": "url", "url": format!("base64://{}", base64(&fixture(file))),
               "ext": "bam", "dbkey": "?", "name": name})
    };
    let ids = api
        .upload_elements(vec![
            json!({"src": "pasted", "paste_content": vcf_text, "ext": "vcf", "dbkey": "?",
                   "name": "calls.vcf"}),
            bam("tumour.bam", "tumour.bam"),
            bam("normal.bam", "normal.bam"),
            bam("other-patient.bam", "other-patient.bam"),
            bam("hidden-tumour.bam", "tumour.bam"),
        ])
        .await;
    let mut datasets = std::collections::HashMap::new();
    for (name, id) in &ids {
        datasets.insert(name.clone(), api.wait_ok(id).await);
    }
    let history = datasets["calls.vcf"]["history_id"].as_str().unwrap();
    let vcf = &ids["calls.vcf"];
    let hidden = &ids["hidden-tumour.bam"];
    api.send(
        Method::PUT,
        &format!("api/histories/{history}"),
        json!({"published": true, "importable": true}),
    )
    .await;
    api.send(
        Method::PUT,
        &format!("api/datasets/{hidden}/permissions"),
        json!({"action": "make_private"}),
    )
    .await;
    let key = reader(&api).await;
    let galaxy_url = galaxy.url.to_string();
    let relay_key = key.clone();
    let app = spawn_app_with(move |s| {
        s.galaxy.url = galaxy_url;
        s.galaxy.api_key = igv_relay::configuration::ApiKey::new(&relay_key);
    })
    .await;

    let url = format!("/galaxy/datasets/{vcf}");
    let response = app.get(&url).await;
    assert_eq!(response.status().as_u16(), 200, "{url}");
    let html = response.text().await.unwrap();
    assert!(
        html.contains("Galaxy history"),
        "the box says where it looked"
    );
    let loaded = items(&html, "reads-loaded");
    assert_eq!(loaded.len(), 2, "{loaded:?}\n{html}");
    assert!(
        loaded
            .iter()
            .any(|l| l.contains("tumour.bam") && l.contains("SM is tumour"))
    );
    assert!(
        loaded
            .iter()
            .any(|l| l.contains("normal.bam") && l.contains("SM is normal"))
    );
    let offered = items(&html, "reads-offered");
    assert_eq!(offered.len(), 1, "{offered:?}");
    assert!(offered[0].contains("other-patient.bam") && offered[0].contains("SM other-patient"));
    // The private one is not offered nor named, but its refusal is said.
    assert!(!html.contains("hidden-tumour") && !html.contains(hidden.as_str()));
    assert!(
        html.contains("1 alignment dataset of those looked at cannot be read"),
        "{html}"
    );

    // Every row loads both BAMs with their indexes, as Galaxy serves them to IGV.
    let tumour = data_url(&api, &key, &datasets["tumour.bam"]).await;
    let normal = data_url(&api, &key, &datasets["normal.bam"]).await;
    let rows = links(&html, "igv-reads");
    assert_eq!(rows.len(), 3, "{html}");
    for (row, base) in rows.iter().zip(["chr1:288", "chr1:548", "chr1:1294"]) {
        let igv = igv_query(&app, row).await;
        let files: Vec<&str> = param(&igv, "file").unwrap().split(',').collect();
        let indexes: Vec<&str> = param(&igv, "index").unwrap().split(',').collect();
        assert_eq!(files.len(), 2, "{igv:?}");
        let mut pairs: Vec<(&str, &str)> = files.into_iter().zip(indexes).collect();
        pairs.sort();
        let mut expected = [
            (tumour.clone(), format!("{tumour}.bai")),
            (normal.clone(), format!("{normal}.bai")),
        ];
        expected.sort();
        let expected: Vec<(&str, &str)> = expected
            .iter()
            .map(|(f, i)| (f.as_str(), i.as_str()))
            .collect();
        assert_eq!(pairs, expected);
        assert_eq!(param(&igv, "locus"), Some(base));
        assert_eq!(param(&igv, "sort"), Some("base"));
    }
    // IGV can fetch both: the BAM (BGZF) and its index (BAI) by range.
    assert_galaxy_serves_range(&tumour, b"\x1f\x8b").await;
    assert_galaxy_serves_range(&format!("{tumour}.bai"), b"BAI\x01").await;

    // ?reads= chooses among the history's datasets by id; another id is refused.
    let other = &ids["other-patient.bam"];
    let chosen = app.get(&format!("{url}?reads={other}")).await;
    assert_eq!(chosen.status().as_u16(), 200);
    let chosen = chosen.text().await.unwrap();
    let loaded = items(&chosen, "reads-loaded");
    assert_eq!(loaded.len(), 1, "{loaded:?}");
    assert!(loaded[0].contains("other-patient.bam"));
    let r = app.get(&format!("{url}?reads={hidden}")).await;
    assert_eq!(
        r.status().as_u16(),
        400,
        "a refused dataset cannot be chosen"
    );

    // Collections of the history (issue 27 item 2): a VCF element pairs
    // with the collection's BAM elements, not the whole history's.
    let hda = |name: &str, id: &str| json!({"name": name, "src": "hda", "id": id});
    let list = api
        .send(
            Method::POST,
            "api/dataset_collections",
            json!({"history_id": history, "type": "dataset_collection", "collection_type": "list",
                   "name": "tumour only",
                   "element_identifiers": [hda("calls", vcf), hda("tumour", &ids["tumour.bam"]),
                                           hda("other", other)]}),
        )
        .await;
    let paired = api
        .send(
            Method::POST,
            "api/dataset_collections",
            json!({"history_id": history, "type": "dataset_collection",
                   "collection_type": "list:paired", "name": "normal only",
                   "element_identifiers": [
                     {"name": "s1", "src": "new_collection", "collection_type": "paired",
                      "element_identifiers": [hda("forward", vcf), hda("reverse", &ids["normal.bam"])]},
                     {"name": "s2", "src": "new_collection", "collection_type": "paired",
                      "element_identifiers": [hda("forward", other), hda("reverse", hidden)]}]}),
        )
        .await;
    for (collection, expected, url_of_pair, refused) in [
        (&list, "tumour.bam", &tumour, false),
        (&paired, "normal.bam", &normal, true),
    ] {
        let cid = collection["id"].as_str().unwrap();
        let v: Value = app
            .get_json(&format!("/galaxy/collections/{cid}"))
            .await
            .json()
            .await
            .unwrap();
        let members: Vec<&Value> = v["sections"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|s| s["members"].as_array().unwrap())
            .collect();
        let calls = members
            .iter()
            .find(|m| m["id"] == vcf.as_str())
            .expect("the VCF element");
        assert_eq!(calls["reads"], json!([expected]), "{v}");
        let page_url = calls["page_url"].as_str().unwrap();
        assert!(
            page_url.ends_with(&format!("collection={cid}")),
            "{page_url}"
        );
        let html = app
            .client
            .get(page_url)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(html.contains("Galaxy collection"), "{html}");
        let loaded = items(&html, "reads-loaded");
        assert_eq!(loaded.len(), 1, "{loaded:?}");
        assert!(loaded[0].contains(expected), "{loaded:?}");
        assert_eq!(
            html.contains("1 alignment dataset of those looked at cannot be read"),
            refused
        );
        assert!(!html.contains("hidden-tumour"));
        let igv = igv_query(&app, &links(&html, "igv-reads")[0]).await;
        assert_eq!(param(&igv, "file"), Some(url_of_pair.as_str()));
        assert_eq!(
            param(&igv, "index"),
            Some(format!("{url_of_pair}.bai").as_str())
        );
        // The view's links keep the collection.
        let drop = links(&html, "reads-drop");
        assert!(drop[0].contains(&format!("collection={cid}")), "{drop:?}");
    }
}

/// A CRAM dataset (issue 27: the plugin is offered for cram) gets the load
/// page a BAM dataset gets, with the index Galaxy keeps as its `cram_index`
/// metadata, served by igv-relay's cram display application; and a VCF
/// pairs with a CRAM of its history as with a BAM.
#[actix_web::test]
async fn a_galaxy_cram_dataset_loads_with_its_index_and_pairs_with_a_vcf() {
    let Some(galaxy) = galaxy_or_skip().await else {
        return;
    };
    let api = Api {
        galaxy: &galaxy,
        http: reqwest::Client::new(),
    };
    let cram = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pairing-cram/tumour.cram"),
    )
    .unwrap();
    let vcf_text = String::from_utf8(fixture("calls.vcf")).unwrap();
    let ids = api
        .upload_elements(vec![
            json!({"src": "pasted", "paste_content": vcf_text, "ext": "vcf", "dbkey": "?",
                   "name": "calls.vcf"}),
            json!({"src": "url", "url": format!("base64://{}", base64(&cram)), "ext": "cram",
                   "dbkey": "?", "name": "tumour.cram"}),
        ])
        .await;
    for id in ids.values() {
        api.wait_ok(id).await;
    }
    let key = galaxy.api_key.clone();
    let galaxy_url = galaxy.url.to_string();
    let app = spawn_app_with(move |s| {
        s.galaxy.url = galaxy_url;
        s.galaxy.api_key = igv_relay::configuration::ApiKey::new(&key);
    })
    .await;

    let cram_id = &ids["tumour.cram"];
    let response = app.get(&format!("/galaxy/datasets/{cram_id}")).await;
    assert_eq!(response.status().as_u16(), 200);
    let html = response.text().await.unwrap();
    let (file, index) = crate::galaxy::igv_load(&app, &html).await;
    assert!(file.ends_with(".cram"), "{file}");
    assert_eq!(index, Some(format!("{file}.crai")));
    // What IGV fetches: the CRAM (its magic) and its index (gzip text).
    assert_galaxy_serves_range(&file, b"CRAM").await;
    assert_galaxy_serves_range(&format!("{file}.crai"), b"\x1f\x8b").await;

    // The VCF's page pairs the CRAM by its read group, loaded as CRAM.
    let html = app
        .get(&format!("/galaxy/datasets/{}", ids["calls.vcf"]))
        .await
        .text()
        .await
        .unwrap();
    let loaded = items(&html, "reads-loaded");
    assert_eq!(loaded.len(), 1, "{loaded:?}");
    assert!(loaded[0].contains("tumour.cram") && loaded[0].contains("SM is tumour"));
    let igv = igv_query(&app, &links(&html, "igv-reads")[0]).await;
    assert_eq!(param(&igv, "file"), Some(file.as_str()));
    assert_eq!(param(&igv, "index"), Some(format!("{file}.crai").as_str()));
}
