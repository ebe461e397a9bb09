//! igv-relay's Galaxy visualization plugin (deploy/galaxy/visualizations/igv_relay)
//! against a real Galaxy 26.1, installed by scripts/galaxy.sh as README.md
//! ("Galaxy", "The igv-relay visualization") tells an admin: Galaxy's API lists
//! the plugin for a VCF and a BED dataset (and not for a plain text one), serves
//! its script where Galaxy's client loads it from, carries the relay's address
//! from the plugin's XML, is VCF's default view (`visualization_mappings`), and the page the script opens lists each dataset's
//! records at their exact loci, with links that leave Galaxy's frame.
//!
//! Galaxy comes as for tests/http/galaxy.rs (skips without one, fails with
//! CI=true). The relay listens on a port of its own: the page's path and query
//! are asked of it, so this test never waits for GALAXY_RELAY_URL's port.

use std::time::Instant;

use crate::galaxy::{Api, BED, BED_LOCI, VCF, VCF_LOCI, galaxy_or_skip};
use crate::support::app::spawn_app_with;
use crate::support::html::{loci, tags};

/// The names of the plugins Galaxy offers for a dataset.
pub(super) async fn plugins_for(api: &Api<'_>, dataset: &str) -> Vec<String> {
    let list = api.get(&format!("api/plugins?dataset_id={dataset}")).await;
    list.as_array()
        .expect("a list of plugins")
        .iter()
        .filter_map(|p| p["name"].as_str().map(str::to_owned))
        .collect()
}

#[actix_web::test]
async fn galaxy_offers_the_plugin_for_vcf_and_bed_and_its_page_lists_their_loci() {
    let Some(galaxy) = galaxy_or_skip().await else {
        return;
    };
    let started = Instant::now();
    let (galaxy_url, api_key) = (galaxy.url.to_string(), galaxy.api_key.clone());
    let app = spawn_app_with(move |s| {
        s.galaxy.url = galaxy_url;
        s.galaxy.api_key = igv_relay::configuration::ApiKey::new(&api_key);
    })
    .await;
    let api = Api {
        galaxy: &galaxy,
        http: reqwest::Client::new(),
    };

    // The plugin as Galaxy loaded it: its script, and the relay's address.
    let plugin = api.get("api/plugins/igv_relay").await;
    assert_eq!(plugin["name"], "igv_relay", "{plugin}");
    assert_eq!(plugin["html"], "IGV (igv-relay)");
    assert_eq!(
        plugin["specs"]["relay_url"],
        galaxy.relay_url.as_str(),
        "scripts/galaxy.sh writes GALAXY_RELAY_URL into the plugin: {plugin}"
    );
    let src = plugin["entry_point"]["attr"]["src"]
        .as_str()
        .expect("an entry point");
    let href = plugin["href"].as_str().expect("the plugin's static URL");
    // Galaxy's client loads `${href}/${src}` into the dataset's frame.
    let script_url = galaxy.url.join(&format!("{href}/{src}")).unwrap();
    let script = reqwest::get(script_url.clone()).await.unwrap();
    assert_eq!(script.status().as_u16(), 200, "{script_url}");
    let script = script.text().await.unwrap();
    assert!(
        script.contains("galaxy/datasets/"),
        "{script_url}: {script}"
    );

    // scripts/galaxy.sh makes it VCF's default view (visualization_mappings).
    let mapping = api.get("api/datatypes/vcf/visualizations").await;
    assert_eq!(
        mapping,
        serde_json::json!([{"datatype": "vcf", "visualization": "igv_relay"}])
    );

    let ids = api
        .upload(&[
            ("plugin.bed", "bed", "hg38", BED),
            ("plugin.vcf", "vcf", "hg_g1k_v37", VCF),
            ("notes.txt", "txt", "?", "not a genomic file\n"),
        ])
        .await;
    for id in ids.values() {
        api.wait_ok(id).await;
    }
    eprintln!("galaxy_plugin: uploads ok after {:?}", started.elapsed());
    assert!(
        !plugins_for(&api, &ids["notes.txt"])
            .await
            .contains(&"igv_relay".to_owned()),
        "not offered for a plain text dataset"
    );
    for (name, expected) in [("plugin.bed", BED_LOCI), ("plugin.vcf", VCF_LOCI)] {
        let id = &ids[name];
        let offered = plugins_for(&api, id).await;
        assert!(
            offered.contains(&"igv_relay".to_owned()),
            "{name}: {offered:?}"
        );
        // The page the script opens: the relay's URL + galaxy/datasets/ID.
        let page = galaxy
            .relay_url
            .join(&format!("galaxy/datasets/{id}"))
            .unwrap();
        assert!(page.as_str().starts_with(galaxy.relay_url.as_str()));
        let here = app.url(page.path());
        let response = app.client.get(&here).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 200, "{here}");
        let html = response.text().await.unwrap();
        assert_eq!(loci(&html), expected, "{name}");
        // Every link to IGV leaves Galaxy's frame (browsers block a frame's
        // navigation to 127.0.0.1; a top-level one goes through).
        let to_igv: Vec<_> = tags(&html)
            .into_iter()
            .filter(|t| t.name == "a")
            .filter(|t| t.attr("href").is_some_and(|h| h.contains("/igv/")))
            .collect();
        assert!(!to_igv.is_empty(), "{name}: {html}");
        for a in &to_igv {
            assert_eq!(
                a.attr("target"),
                Some("_top"),
                "{name}: {:?}",
                a.attr("href")
            );
        }
        // The relay lets Galaxy's origin frame the page.
        let csp = reqwest::get(&here)
            .await
            .unwrap()
            .headers()
            .get("content-security-policy")
            .map(|v| v.to_str().unwrap_or("").to_owned())
            .unwrap_or_default();
        let origin = galaxy.url.origin().ascii_serialization();
        assert!(csp.contains(&origin), "frame-ancestors {origin}: {csp}");
    }
}
