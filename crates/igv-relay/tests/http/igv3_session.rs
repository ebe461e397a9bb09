//! IGV 3's JSON session export (`?format=igv3-session`) against the real
//! service: offered beside the XML session when the view has a genome, the
//! same content (genome, files and indexes as absolute URLs, locus, regions
//! with labels) in the keys IGV 3's `JSONSessionReader` reads, escaping of
//! names and URLs, and a 400 that says why for a view without a genome
//! (IGV 3 refuses a session without one). The writer's unit tests are in
//! crates/igv-relay-core/src/sinks/igv3_session.rs.

use std::path::Path;
use std::process::Command;

use crate::support::app::{TestApp, spawn_app_with};
use crate::support::html::unescape;
use igv_relay::configuration::DataRootSettings;
use serde_json::Value;

/// A name with quotes, `&`, spaces and a non-ASCII letter (paths with a
/// backslash are refused; the records' labels carry one).
const ODD: &str = "odd \"q\" & é.vcf";

const VCF: &str = "##fileformat=VCFv4.2\n\
##contig=<ID=chr1,length=248956422>\n\
##contig=<ID=chr7,length=159345973>\n\
#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n\
chr1\t1000\trs\"1\"\\x&y\tA\tG\t50\tPASS\t.\n\
chr7\t140753336\tBRAF_ü\tA\tT\t60\tPASS\t.\n";

async fn app(dir: &Path, genome: Option<&str>) -> TestApp {
    std::fs::write(dir.join(ODD), VCF).unwrap();
    let root = dir.to_path_buf();
    let genome = genome.map(str::to_owned);
    spawn_app_with(move |s| {
        s.data.demo = Some(true);
        s.data.roots.push(DataRootSettings {
            name: "s".to_owned(),
            path: root,
            genome,
        });
    })
    .await
}

fn href(body: &str, class: &str) -> Option<String> {
    let start = body.find(&format!("class=\"{class}\""))?;
    let value = body[start..].split_once("href=\"")?.1;
    Some(unescape(&value[..value.find('"')?]))
}

async fn session(app: &TestApp, url: &str) -> Value {
    let r = app.client.get(url).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200, "{url}");
    assert_eq!(r.headers()["content-type"], "application/json");
    let text = r.text().await.unwrap();
    assert!(text.is_ascii(), "non-ASCII as \\u escapes: {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

#[actix_web::test]
async fn the_igv3_session_is_offered_beside_the_xml_one_and_says_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path(), Some("hg38")).await;
    let page = "/files/s/odd%20%22q%22%20%26%20%C3%A9.vcf";
    let body = app.get(page).await.text().await.unwrap();
    let xml = href(&body, "export-igv-session").unwrap_or_else(|| panic!("{body}"));
    let json = href(&body, "export-igv3-session").expect("the IGV 3 session link");
    // IGV 3 picks its JSON reader for a path ending in `.json`.
    assert!(json.ends_with(".json"), "{json}");
    assert_eq!(json.replace("igv3-session.json", "igv-session.xml"), xml);

    let v = session(&app, &json).await;
    assert_eq!(v["genome"], "hg38");
    assert_eq!(v["locus"], "chr1:1000");
    let track = &v["tracks"][0];
    assert_eq!(track["name"], ODD);
    assert_eq!(track["format"], "vcf");
    let url = track["url"].as_str().unwrap();
    assert!(url.starts_with(&format!("{}/raw/s/", app.address)), "{url}");
    // The URL IGV fetches serves the file.
    let r = app.client.get(url).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200, "{url}");
    assert_eq!(r.text().await.unwrap(), VCF);
    let features = v["roi"][0]["features"].as_array().unwrap();
    assert_eq!(features.len(), 2);
    assert_eq!(features[0]["chr"], "chr1");
    assert_eq!(features[0]["start"], 999);
    assert_eq!(features[0]["end"], 1000);
    assert_eq!(features[0]["description"], "rs\"1\"\\x&y");
    assert_eq!(features[1]["chr"], "chr7");
    assert_eq!(features[1]["start"], 140753335);
    assert_eq!(features[1]["description"], "BRAF_ü");

    // The XML session has the same genome, locus, file and regions.
    let r = app.client.get(&xml).send().await.unwrap();
    let xml = r.text().await.unwrap();
    assert!(
        xml.contains("<Session genome=\"hg38\" locus=\"chr1:1000\""),
        "{xml}"
    );
    assert!(
        xml.contains(
            "<Region chromosome=\"chr7\" start=\"140753335\" end=\"140753336\" description=\"BRAF_ü\"/>"
        ),
        "{xml}"
    );
}

#[actix_web::test]
async fn the_igv3_session_gives_indexes_as_absolute_urls() {
    let dir = tempfile::tempdir().unwrap();
    // A bgzipped, tabix-indexed VCF (bgzip and tabix: the tabix package).
    let vcf = dir.path().join("calls.vcf");
    std::fs::write(&vcf, VCF).unwrap();
    let ok = Command::new("bgzip").arg("-f").arg(&vcf).status();
    assert!(
        ok.is_ok_and(|s| s.success()),
        "bgzip (apt-get install tabix)"
    );
    let ok = Command::new("tabix")
        .args(["-p", "vcf"])
        .arg(dir.path().join("calls.vcf.gz"))
        .status();
    assert!(ok.is_ok_and(|s| s.success()), "tabix");
    let app = app(dir.path(), Some("hg38")).await;
    let body = app.get("/files/s/calls.vcf.gz").await.text().await.unwrap();
    let json = href(&body, "export-igv3-session").expect("the IGV 3 session link");
    let v = session(&app, &json).await;
    let track = &v["tracks"][0];
    let url = format!("{}/raw/s/calls.vcf.gz", app.address);
    assert_eq!(track["url"], url.as_str());
    let index = track["indexURL"].as_str().expect("the index");
    assert_eq!(index, format!("{url}.tbi"));
    let r = app.client.get(index).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);

    // The demo's VCF with its paired reads: both files, the BAM with its
    // index.
    let v = session(
        &app,
        &app.url("/files/demo/variants.vcf?reads=braf-reads.bam&format=igv3-session"),
    )
    .await;
    let tracks = v["tracks"].as_array().unwrap();
    assert_eq!(tracks.len(), 2, "{v}");
    let bam = &tracks[1];
    assert_eq!(bam["format"], "bam");
    let bai = bam["indexURL"].as_str().expect("the BAM's index");
    assert!(bai.starts_with("http://127.0.0.1:"), "{bai}");
    assert_eq!(
        app.client.get(bai).send().await.unwrap().status().as_u16(),
        200
    );
}

#[actix_web::test]
async fn a_view_without_a_genome_has_no_igv3_session_and_is_told_why() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path(), None).await;
    std::fs::write(dir.path().join("plain.bed"), "chr1\t10\t20\tx\n").unwrap();
    let body = app.get("/files/s/plain.bed").await.text().await.unwrap();
    assert!(href(&body, "export-igv-session").is_some(), "the XML stays");
    assert!(href(&body, "export-igv3-session").is_none(), "{body}");
    let r = app.get_json("/files/s/plain.bed?format=igv3-session").await;
    assert_eq!(r.status().as_u16(), 400);
    let v: Value = r.json().await.unwrap();
    let text = v.to_string();
    assert!(text.contains("genome"), "{text}");
    assert!(text.contains("IGV 3"), "{text}");
    // With ?genome= it is there.
    let v = session(
        &app,
        &app.url("/files/s/plain.bed?genome=hg38&format=igv3-session"),
    )
    .await;
    assert_eq!(v["genome"], "hg38");
    assert_eq!(v["roi"][0]["features"][0]["start"], 10);
    assert_eq!(v["roi"][0]["features"][0]["end"], 20);
}
