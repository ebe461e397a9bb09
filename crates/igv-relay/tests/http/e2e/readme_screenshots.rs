//! Writes the README's triage screenshots (`docs/triage-vep-{1400,400}.png`):
//! cyvcf2's VEP-annotated test VCF (real-file corpus) filtered, sorted by QUAL,
//! the table scrolled sideways, a row picked, the viewer open. Not a check
//! (`triage_layout` is): run it by name when the page changes,
//! `cargo test --test http -- --ignored e2e::readme_screenshots`, then look at the
//! two files before committing them.

use std::path::Path;
use std::time::{Duration, Instant};

use fantoccini::{Client, Locator};
use serde_json::Value;

use crate::support::app::spawn_app_with;
use crate::support::browser::Browser;
use igv_relay::configuration::{DataRootSettings, GenomeSettings, IgvJsGenomeSettings};

const CYVCF2: &str = "python3-cyvcf2/usr/lib/python3/dist-packages/cyvcf2/tests";
const PAGE: &str = "/files/v/vep.vcf.gz?where=Impact%3DMODIFIER%3B+QUAL%3E100&sort=-QUAL";

async fn js(client: &Client, script: &str) -> Value {
    client
        .execute(script, vec![])
        .await
        .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
}

/// Waits until igv.js shows the picked row's locus (30 s).
async fn viewer_drawn(client: &Client) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let shown = js(
            client,
            "var b = window.igvRelayViewer; if (!b) { return null; }\
             var l = b.currentLoci(); l = Array.isArray(l) ? l[0] : l;\
             return typeof l === 'string' && l.indexOf('1:') === 0;",
        )
        .await;
        if shown == Value::Bool(true) {
            // igv.js draws its tracks after the locus box changes.
            tokio::time::sleep(Duration::from_secs(2)).await;
            return;
        }
        if Instant::now() > deadline {
            save(client.screenshot().await.unwrap(), "triage-vep-failed.png");
            panic!("the viewer did not draw (docs/triage-vep-failed.png)");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn pick_row(client: &Client, row: usize) {
    let cells = client
        .find_all(Locator::Css("table.records tbody tr td.num"))
        .await
        .expect("the rows");
    cells[row].click().await.expect("pick a row");
    viewer_drawn(client).await;
}

fn save(png: Vec<u8>, name: &str) {
    let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs")).join(name);
    std::fs::write(&path, png).expect("write the screenshot");
    eprintln!("wrote {}", path.display());
}

#[actix_web::test]
#[ignore = "writes docs/triage-vep-*.png; run by name when the triage page changes"]
async fn write_the_readme_triage_screenshots() {
    let corpus = crate::support::corpus::corpus().expect("the real-file corpus");
    let browser = Browser::start(&["--window-size=1400,1000"])
        .await
        .expect("chromium and chromedriver");
    let data = tempfile::tempdir().unwrap();
    let source = corpus.join(CYVCF2);
    std::fs::copy(source.join("test.vcf.gz"), data.path().join("vep.vcf.gz")).unwrap();
    std::fs::copy(
        source.join("test.vcf.gz.tbi"),
        data.path().join("vep.vcf.gz.tbi"),
    )
    .unwrap();
    // igv.js needs b37's sequence to draw; a placeholder for the first 20 kb
    // of chromosome 1, where the records are, keeps the screenshots offline.
    let (fasta, fai) = crate::support::igv::pseudo_random_genome(&[("1", 20_000)], 0x5EED);
    std::fs::create_dir_all(data.path().join("genomes")).unwrap();
    std::fs::write(data.path().join("genomes/b37-1.fa"), fasta).unwrap();
    std::fs::write(data.path().join("genomes/b37-1.fa.fai"), fai).unwrap();
    let root = data.path().to_path_buf();
    let app = spawn_app_with(move |s| {
        s.genomes.insert(
            "b37".into(),
            GenomeSettings {
                igvjs: Some(IgvJsGenomeSettings {
                    fasta: Some("raw/v/genomes/b37-1.fa".into()),
                    index: Some("raw/v/genomes/b37-1.fa.fai".into()),
                    ..IgvJsGenomeSettings::default()
                }),
                ..GenomeSettings::default()
            },
        );
        s.data.roots = vec![DataRootSettings {
            name: "v".into(),
            path: root,
            genome: None,
        }];
    })
    .await;
    let client = browser.client().clone();

    client.set_window_size(1400, 900).await.unwrap();
    browser.goto(&app.url(PAGE)).await.unwrap();
    pick_row(&client, 2).await;
    // Sideways to the annotations: the IGV column stays.
    js(
        &client,
        "document.querySelector('.table-box').scrollLeft = 520; return true;",
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    save(client.screenshot().await.unwrap(), "triage-vep-1400.png");

    client.set_window_size(400, 900).await.unwrap();
    browser.goto(&app.url(PAGE)).await.unwrap();
    pick_row(&client, 1).await;
    js(&client, "window.scrollTo(0, 0); return true;").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    save(client.screenshot().await.unwrap(), "triage-vep-400.png");
}
