//! "View here" in a real headless Chromium: the igv.js panel of a link page,
//! over a tiny genome whose FASTA the service itself serves (a data root), and
//! igv.js on another origin reading our files through CORS. Everything is read
//! back through igv.js's own API (`currentLoci`, `getFeatures`), by polling a
//! condition, never by sleeping. Screenshots go to the e2e artifacts directory
//! (`$CARGO_TARGET_TMPDIR/e2e-artifacts/viewer-*.png`).
//!
//! Without chromium/chromedriver this test prints "skipping: ..." and passes,
//! unless `CI=true`.

use crate::support::procs;

use std::net::TcpListener;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::support::app::spawn_app_with;
use crate::support::browser::Browser;
use fantoccini::{Client, Locator};
use igv_relay::configuration::{DataRootSettings, GenomeSettings, IgvJsGenomeSettings, Settings};
use serde_json::Value;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const BED: &str = "chr1\t999\t2000\tfirst\t0\t+\n\
chr2\t4999\t6000\tmiddle\t0\t-\n\
chr3\t7999\t9500\tlast\t0\t+\n";

/// A tiny genome (chr1 50 kb, chr2 20 kb, chr3 10 kb of pseudo-random ACGT)
/// and its `.fai`, written under `dir/genomes/`.
pub(super) fn write_tiny_genome(dir: &Path) {
    let (fasta, fai) = crate::support::igv::pseudo_random_genome(
        &[("chr1", 50_000), ("chr2", 20_000), ("chr3", 10_000)],
        0x2545_F491_4F6C_DD1D,
    );
    std::fs::create_dir_all(dir.join("genomes")).unwrap();
    std::fs::write(dir.join("genomes/tiny.fa"), fasta).unwrap();
    std::fs::write(dir.join("genomes/tiny.fa.fai"), fai).unwrap();
}

/// Data root `v` with the BED file and the genome; genome `tiny`, whose
/// igv.js data is that FASTA, served by the service itself.
pub(super) fn configure(s: &mut Settings, data: &Path) {
    s.genomes.insert(
        "tiny".into(),
        GenomeSettings {
            fai: Some(data.join("genomes/tiny.fa.fai")),
            igvjs: Some(IgvJsGenomeSettings {
                fasta: Some("raw/v/genomes/tiny.fa".into()),
                index: Some("raw/v/genomes/tiny.fa.fai".into()),
                ..IgvJsGenomeSettings::default()
            }),
            ..GenomeSettings::default()
        },
    );
    s.data.roots = vec![DataRootSettings {
        name: "v".into(),
        path: data.to_path_buf(),
        genome: Some("tiny".into()),
    }];
}

fn data_dir() -> tempfile::TempDir {
    let data = tempfile::tempdir().expect("a data directory");
    write_tiny_genome(data.path());
    std::fs::write(data.path().join("regions.bed"), BED).unwrap();
    data
}

/// Runs `script` (a function body returning a value) until it returns
/// something other than `null`/`false`, or panics after 30 s with `what`.
async fn wait_for(client: &Client, what: &str, script: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut last = Value::Null;
    while Instant::now() < deadline {
        last = client
            .execute(script, vec![])
            .await
            .unwrap_or_else(|e| panic!("{what}: script failed: {e}"));
        if !last.is_null() && last != Value::Bool(false) {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let status: Value = client
        .execute(
            "var s = document.querySelector('.viewer-status'); return s ? s.textContent : null;",
            vec![],
        )
        .await
        .unwrap_or(Value::Null);
    panic!("{what}: not within 30 s (last {last}, panel status {status})");
}

/// igv.js's features of the file's track on `chr`, as `[name, start, end]`.
async fn track_features(client: &Client, chr: &str) -> Value {
    client
        .execute_async(
            r#"
var chr = arguments[0], done = arguments[arguments.length - 1];
var b = window.igvRelayViewer;
var track = b.tracks.find(function (t) { return t.name === "regions.bed"; });
if (!track) { done(null); return; }
track.getFeatures(chr, 0, 100000).then(function (fs) {
  done(fs.map(function (f) { return [f.name, f.start, f.end]; }));
}, function (e) { done("error: " + e); });
"#,
            vec![Value::from(chr)],
        )
        .await
        .expect("read the track's features")
}

/// igv.js's current loci as one string (`currentLoci()` gives a string for
/// one locus, an array for several).
const CURRENT_LOCI: &str = "var b = window.igvRelayViewer; if (!b) { return null; } \
     var l = b.currentLoci(); return Array.isArray(l) ? l.join(' ') : l;";

/// A script returning the current loci once they are `expected`, else null.
fn loci_become(expected: &str) -> String {
    format!(
        "var b = window.igvRelayViewer; var l = b.currentLoci(); \
         l = Array.isArray(l) ? l.join(' ') : l; return l === {expected:?} ? l : null;"
    )
}

async fn screenshot(client: &Client, name: &str) {
    let png = client.screenshot().await.expect("a screenshot");
    let path = procs::artifacts_dir().join(name);
    std::fs::write(&path, png).expect("save the screenshot");
    eprintln!("screenshot: {}", path.display());
}

#[actix_web::test]
async fn the_panel_shows_the_file_and_follows_row_clicks_and_keys() {
    let Some(browser) = Browser::start(&["--window-size=1400,900"]).await else {
        eprintln!("skipping: no headless browser (chromium, chromedriver)");
        return;
    };
    let data = data_dir();
    let path = data.path().to_path_buf();
    let app = spawn_app_with(move |s| configure(s, &path)).await;
    let client = browser.client().clone();
    let page = app.url("/files/v/regions.bed");
    browser.goto(&page).await.expect("open the link page");

    let open: Value = client
        .execute("return document.getElementById('igv-viewer').open;", vec![])
        .await
        .unwrap();
    assert_eq!(open, Value::Bool(false), "the panel starts collapsed");
    client
        .find(Locator::Css("#igv-viewer > summary"))
        .await
        .expect("the panel's summary")
        .click()
        .await
        .expect("open the panel");
    let loci = wait_for(&client, "igv.js starts at the first row", CURRENT_LOCI).await;
    assert_eq!(loci, "chr1:1000-2000");
    // The file's own records, read by igv.js through /raw (0-based starts).
    assert_eq!(
        track_features(&client, "chr2").await,
        serde_json::json!([["middle", 4999, 6000]])
    );
    assert_eq!(
        track_features(&client, "chr1").await,
        serde_json::json!([["first", 999, 2000]])
    );
    screenshot(&client, "viewer-panel-1400.png").await;

    // A click on a row (not on its links) moves the panel there.
    let rows = client
        .find_all(Locator::Css("table.records tbody tr td.locus"))
        .await
        .expect("the rows");
    assert_eq!(rows.len(), 3);
    rows[1].click().await.expect("click the second row");
    wait_for(
        &client,
        "igv.js follows the row click",
        &loci_become("chr2:5000-6000"),
    )
    .await;
    // The keyboard too: j selects the next row.
    client
        .find(Locator::Css("body"))
        .await
        .unwrap()
        .send_keys("j")
        .await
        .expect("press j");
    wait_for(
        &client,
        "igv.js follows the j key",
        &loci_become("chr3:8000-9500"),
    )
    .await;
    let igv_link: Value = client
        .execute(
            "return document.querySelector('tr.current a.igv-link').getAttribute('href');",
            vec![],
        )
        .await
        .unwrap();
    // (Its first click loads the file too: README, "The first click shows the data".)
    let igv_link = igv_link.as_str().unwrap();
    assert!(
        igv_link.contains("/igv/load?") && igv_link.contains("&locus=chr3%3A8000-9500&"),
        "\"View in IGV\" still goes to IGV desktop through the relay: {igv_link}"
    );

    // Remembered: the next page load opens the panel by itself.
    browser.goto(&page).await.expect("reload");
    let open: Value = client
        .execute("return document.getElementById('igv-viewer').open;", vec![])
        .await
        .unwrap();
    assert_eq!(open, Value::Bool(true), "the panel's state is remembered");
    wait_for(&client, "igv.js starts again", CURRENT_LOCI).await;

    client
        .set_window_size(400, 900)
        .await
        .expect("narrow window");
    // Let igv.js lay out at the new width (it redraws on resize).
    wait_for(
        &client,
        "igv.js resized",
        "return document.querySelector('.viewer-igv').getBoundingClientRect().width < 400;",
    )
    .await;
    screenshot(&client, "viewer-panel-400.png").await;
    browser.close().await;
}

/// Data root `v` with the demo BAM (reads around hg38 chr7:140,753,336) and a
/// genome `chr7only` whose FASTA is hg38's chr7 by length: a sparse file,
/// real bases only around the reads (igv.js reads a FASTA by its index, with
/// Range requests, so the rest is never read).
fn bam_data() -> tempfile::TempDir {
    use std::io::{Seek, SeekFrom, Write};
    const CHR7: u64 = 159_345_973;
    let data = tempfile::tempdir().expect("a data directory");
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../demo");
    for name in ["braf-reads.bam", "braf-reads.bam.bai"] {
        std::fs::copy(demo.join(name), data.path().join(name)).expect("copy the demo BAM");
    }
    let header = b">chr7\n";
    let mut fasta = std::fs::File::create(data.path().join("chr7.fa")).unwrap();
    fasta.set_len(header.len() as u64 + CHR7 + 1).unwrap();
    fasta.write_all(header).unwrap();
    let from = 140_752_000u64;
    fasta
        .seek(SeekFrom::Start(header.len() as u64 + from - 1))
        .unwrap();
    let bases: Vec<u8> = (0..4000u64)
        .map(|i| b"ACGT"[(i * 7 % 4) as usize])
        .collect();
    fasta.write_all(&bases).unwrap();
    // One line of CHR7 bases: the index says so.
    std::fs::write(
        data.path().join("chr7.fa.fai"),
        format!("chr7\t{CHR7}\t{}\t{CHR7}\t{}\n", header.len(), CHR7 + 1),
    )
    .unwrap();
    data
}

#[actix_web::test]
async fn a_bam_page_shows_its_reads() {
    let Some(browser) = Browser::start(&["--window-size=1400,900"]).await else {
        eprintln!("skipping: no headless browser (chromium, chromedriver)");
        return;
    };
    let data = bam_data();
    let path = data.path().to_path_buf();
    let app = spawn_app_with(move |s| {
        s.genomes.insert(
            "chr7only".into(),
            GenomeSettings {
                fai: Some(path.join("chr7.fa.fai")),
                igvjs: Some(IgvJsGenomeSettings {
                    fasta: Some("raw/v/chr7.fa".into()),
                    index: Some("raw/v/chr7.fa.fai".into()),
                    ..IgvJsGenomeSettings::default()
                }),
                ..GenomeSettings::default()
            },
        );
        s.data.roots = vec![DataRootSettings {
            name: "v".into(),
            path,
            genome: Some("chr7only".into()),
        }];
    })
    .await;
    let client = browser.client().clone();
    browser
        .goto(&app.url("/files/v/braf-reads.bam"))
        .await
        .expect("open the BAM page");
    client
        .find(Locator::Css("#igv-viewer > summary"))
        .await
        .expect("the BAM page has the panel")
        .click()
        .await
        .expect("open the panel");
    wait_for(&client, "igv.js starts", CURRENT_LOCI).await;
    let reads = client
        .execute_async(
            r#"
var done = arguments[arguments.length - 1];
var b = window.igvRelayViewer;
b.search("chr7:140753236-140753436").then(function () {
  var track = b.tracks.find(function (t) { return t.type === "alignment"; });
  if (!track) { done("no alignment track: " + b.tracks.map(function (t) { return t.type; })); return; }
  return track.getFeatures("chr7", 140753235, 140753436, 1).then(function (c) {
    var names = {};
    var rows = [];
    var groups = (c && c.packedGroups) || new Map();
    (groups instanceof Map ? Array.from(groups.values()) : Object.values(groups))
      .forEach(function (g) { (g.rows || []).forEach(function (r) { rows.push(r); }); });
    rows.forEach(function (row) {
      row.alignments.forEach(function (a) {
        var reads = a.firstAlignment ? [a.firstAlignment, a.secondAlignment] : [a];
        reads.forEach(function (r) { if (r) { names[r.readName] = true; } });
      });
    });
    done(rows.length ? Object.keys(names).length : "no rows: " + JSON.stringify(Array.from(groups.values ? groups.values() : [])).slice(0, 300));
  });
}).catch(function (e) { done("error: " + e); });
"#,
            vec![],
        )
        .await
        .expect("read the alignments");
    let count = reads.as_u64().unwrap_or_else(|| panic!("{reads}"));
    // The demo's 60 pairs start within 400 bp of chr7:140,753,086.
    assert!(count >= 20, "igv.js shows {count} reads");
    screenshot(&client, "viewer-bam-1400.png").await;
    browser.close().await;
}

/// A page of another origin running igv.js (from our /static) over our files:
/// it reports igv.js's loci and features, and what a plain `fetch` of a file
/// of a service that does not allow this origin gives.
fn foreign_page(allowed: &str, strict: &str) -> String {
    format!(
        r#"<!doctype html>
<html><head><meta charset="utf-8"><title>Elsewhere</title>
<script src="{allowed}/static/vendor/igv/igv.min.js"></script>
</head><body><div id="igv"></div>
<script>
window.result = null;
igv.createBrowser(document.getElementById("igv"), {{
  reference: {{ id: "tiny", fastaURL: "{allowed}/raw/v/genomes/tiny.fa", indexURL: "{allowed}/raw/v/genomes/tiny.fa.fai" }},
  locus: "chr3:8000-9500",
  tracks: [{{ name: "regions.bed", url: "{allowed}/raw/v/regions.bed", format: "bed", indexed: false }}]
}}).then(function (b) {{
  var track = b.tracks.find(function (t) {{ return t.name === "regions.bed"; }});
  return track.getFeatures("chr3", 0, 10000).then(function (fs) {{
    window.result = {{ loci: String(b.currentLoci()), features: fs.map(function (f) {{ return f.name; }}) }};
  }});
}}).catch(function (e) {{ window.result = {{ error: String(e) }}; }});
window.strict = null;
fetch("{strict}/raw/v/regions.bed", {{ headers: {{ Range: "bytes=0-9" }} }})
  .then(function (r) {{ window.strict = "status " + r.status; }},
        function (e) {{ window.strict = "refused: " + e.name; }});
</script></body></html>"#
    )
}

#[actix_web::test]
async fn igv_js_on_another_origin_reads_our_files_through_cors() {
    let Some(browser) = Browser::start(&[]).await else {
        eprintln!("skipping: no headless browser (chromium, chromedriver)");
        return;
    };
    let listener = TcpListener::bind("127.0.0.2:0").expect("bind 127.0.0.2");
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let data = data_dir();
    let path = data.path().to_path_buf();
    let allowed_origin = origin.clone();
    let allowed = spawn_app_with(move |s| {
        configure(s, &path);
        s.viewer.cors_origins = vec![allowed_origin];
    })
    .await;
    // The same files, from a service that allows only the IGV-Web origin.
    let path = data.path().to_path_buf();
    let strict = spawn_app_with(move |s| configure(s, &path)).await;
    crate::support::app::serve_html_page(
        listener,
        "/elsewhere.html",
        foreign_page(&allowed.address, &strict.address),
    );

    browser
        .goto(&format!("{origin}/elsewhere.html"))
        .await
        .expect("open the foreign page");
    let client = browser.client().clone();
    let result = wait_for(
        &client,
        "igv.js on the foreign page",
        "return window.result;",
    )
    .await;
    assert_eq!(
        result,
        serde_json::json!({ "loci": "chr3:8000-9500", "features": ["last"] }),
        "igv.js elsewhere read the FASTA and the BED through CORS"
    );
    let refused = wait_for(&client, "the unconfigured service", "return window.strict;").await;
    assert_eq!(
        refused, "refused: TypeError",
        "a service that does not list the origin sends no CORS headers"
    );
    browser.close().await;
}

#[actix_web::test]
async fn the_panel_works_in_galaxys_centre_frame() {
    let Some(browser) = Browser::start(&["--window-size=1400,900"]).await else {
        eprintln!("skipping: no headless browser (chromium, chromedriver)");
        return;
    };
    // A fake Galaxy: a dataset (answering CORS, as igv.js in the frame reads
    // it from the browser) and a page that frames our display page.
    let galaxy = MockServer::start().await;
    let data_path = "/display_application/abc/igv_relay_interval/view/u1/data/galaxy_abc.bed";
    Mock::given(method("GET"))
        .and(path(data_path))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "text/plain")
                .insert_header("access-control-allow-origin", "*")
                .set_body_string(BED),
        )
        .mount(&galaxy)
        .await;
    Mock::given(method("OPTIONS"))
        .and(path(data_path))
        .respond_with(
            ResponseTemplate::new(204)
                .insert_header("access-control-allow-origin", "*")
                .insert_header("access-control-allow-headers", "range"),
        )
        .mount(&galaxy)
        .await;
    let data = data_dir();
    let path_buf = data.path().to_path_buf();
    let galaxy_url = galaxy.uri();
    let app = spawn_app_with(move |s| {
        configure(s, &path_buf);
        s.galaxy.url = galaxy_url;
    })
    .await;
    let mut display = url::Url::parse(&app.url("/galaxy/display")).unwrap();
    display
        .query_pairs_mut()
        .append_pair("dataset_url", &format!("{}{data_path}", galaxy.uri()))
        .append_pair("dbkey", "tiny")
        .append_pair("ext", "bed")
        .append_pair("name", "regions.bed");
    Mock::given(method("GET"))
        .and(path("/center.html"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            format!(
                "<!doctype html><title>Galaxy</title>\
                     <iframe id=\"center\" src=\"{}\" width=\"1300\" height=\"800\"></iframe>",
                display.as_str().replace('&', "&amp;")
            ),
            "text/html; charset=utf-8",
        ))
        .mount(&galaxy)
        .await;

    browser
        .goto(&format!("{}/center.html", galaxy.uri()))
        .await
        .expect("open Galaxy's page");
    let client = browser.client().clone();
    client.enter_frame(0).await.expect("enter the centre frame");
    wait_for(
        &client,
        "the display page in the frame",
        "return document.querySelector('#igv-viewer > summary') !== null;",
    )
    .await;
    client
        .find(Locator::Css("#igv-viewer > summary"))
        .await
        .unwrap()
        .click()
        .await
        .expect("open the panel in the frame");
    let loci = wait_for(&client, "igv.js starts in the frame", CURRENT_LOCI).await;
    assert_eq!(loci, "chr1:1000-2000");
    assert_eq!(
        track_features(&client, "chr3").await,
        serde_json::json!([["last", 7999, 9500]]),
        "igv.js in the frame reads the Galaxy dataset"
    );
    let rows = client
        .find_all(Locator::Css("table.records tbody tr td.locus"))
        .await
        .expect("the rows");
    rows[2].click().await.expect("click the third row");
    wait_for(
        &client,
        "igv.js in the frame follows the row click",
        &loci_become("chr3:8000-9500"),
    )
    .await;
    client.enter_parent_frame().await.unwrap();
    screenshot(&client, "viewer-galaxy-frame-1400.png").await;
    browser.close().await;
}
