//! "View here", IGV-Web links and session files over HTTP, against the real
//! service: the panel's markup and CSP, the reason a genome without igv.js
//! data gives, CORS on `/raw`, the IGV and igv.js sessions (escaping, the
//! `.xml` ending IGV needs), and "Open all in IGV" relaying the session.
//! The browser side is tests/http/e2e/viewer.rs; real IGV is tests/http/e2e/.

use std::path::Path;

use crate::support::app::{TestApp, spawn_app_with};
use igv_relay::configuration::{DataRootSettings, GenomeSettings, IgvJsGenomeSettings, Settings};
use serde_json::Value;

const BED: &str = "chr1\t999\t2000\tfirst\t0\t+\n\
chr2\t4999\t6000\tmid <&> \"q\" 'a'\t0\t-\n\
chr3\t7999\t9500\tlast\t0\t+\n";

/// A data root `v` (genome `tiny`, whose igv.js FASTA is given by
/// `fasta`/`index`) holding `regions.bed`, `odd <&'">.bed` and the `.fai`.
fn configure(s: &mut Settings, dir: &Path, fasta: &str, index: &str) {
    std::fs::write(
        dir.join("tiny.fa.fai"),
        "chr1\t50000\t6\t60\t61\nchr2\t20000\t50853\t60\t61\nchr3\t10000\t71194\t60\t61\n",
    )
    .unwrap();
    std::fs::write(dir.join("regions.bed"), BED).unwrap();
    std::fs::write(dir.join("odd <&'\">.bed"), BED).unwrap();
    s.genomes.insert(
        "tiny".into(),
        GenomeSettings {
            fai: Some(dir.join("tiny.fa.fai")),
            igvjs: Some(IgvJsGenomeSettings {
                fasta: Some(fasta.into()),
                index: Some(index.into()),
                ..IgvJsGenomeSettings::default()
            }),
            ..GenomeSettings::default()
        },
    );
    s.data.roots = vec![DataRootSettings {
        name: "v".into(),
        path: dir.to_path_buf(),
        genome: Some("tiny".into()),
    }];
}

async fn app(dir: &Path) -> TestApp {
    let dir = dir.to_path_buf();
    spawn_app_with(move |s| configure(s, &dir, "raw/v/tiny.fa", "raw/v/tiny.fa.fai")).await
}

async fn text(app: &TestApp, path: &str) -> String {
    let r = app.get(path).await;
    assert_eq!(r.status().as_u16(), 200, "{path}");
    r.text().await.unwrap()
}

/// The `href` of the first `<a class="{class}"`, HTML entities undone.
fn href(body: &str, class: &str) -> Option<String> {
    let start = body.find(&format!("class=\"{class}\""))?;
    let rest = &body[start..];
    let value = rest.split_once("href=\"")?.1;
    let value = &value[..value.find('"')?];
    Some(
        value
            .replace("&#39;", "'")
            .replace("&#34;", "\"")
            .replace("&quot;", "\"")
            .replace("&#38;", "&")
            .replace("&amp;", "&"),
    )
}

fn query_value(url: &str, key: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    parsed
        .query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

#[actix_web::test]
async fn the_panel_is_described_by_data_attributes_under_a_strict_csp() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path()).await;
    let r = app.get("/files/v/regions.bed").await;
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    let body = r.text().await.unwrap();
    assert!(csp.contains("script-src 'self';"), "{csp}");
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
        "{csp}"
    );
    assert!(
        csp.contains(&format!("connect-src 'self' {}", app.address)),
        "{csp}"
    );
    // Every script is a file of the service's; the panel's data are attributes.
    for tag in body.split("<script").skip(1) {
        let tag = &tag[..tag.find('>').unwrap()];
        assert!(
            tag.contains(&format!("src=\"{}/static/", app.address)),
            "<script{tag}>"
        );
    }
    let panel = &body[body.find("<details class=\"viewer\"").expect("the panel")..];
    let panel = &panel[..panel.find('>').unwrap()];
    for attribute in [
        format!(
            "data-script=\"{}/static/vendor/igv/igv.min.js\"",
            app.address
        ),
        format!("data-fasta=\"{}/raw/v/tiny.fa\"", app.address),
        format!("data-fasta-index=\"{}/raw/v/tiny.fa.fai\"", app.address),
        format!("data-track-url=\"{}/raw/v/regions.bed\"", app.address),
        "data-track-format=\"bed\"".to_owned(),
        "data-view-locus=\"chr1:1000-2000\"".to_owned(),
    ] {
        assert!(panel.contains(&attribute), "{attribute} in {panel}");
    }
    assert!(!panel.contains(" open"), "collapsed by default: {panel}");
    // The vendored igv.js and its licence are served, from the binary.
    let js = app.get("/static/vendor/igv/igv.min.js").await;
    assert_eq!(js.status().as_u16(), 200);
    assert!(js.text().await.unwrap().len() > 1_000_000);
    assert!(
        text(&app, "/static/vendor/igv/LICENSE")
            .await
            .contains("MIT")
    );
    assert!(
        text(&app, "/static/vendor/igv/VERSION")
            .await
            .contains("version: ")
    );
}

#[actix_web::test]
async fn remote_genome_urls_are_allowed_by_the_csp_and_nothing_else_is() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    let app = spawn_app_with(move |s| {
        configure(
            s,
            &path,
            "https://ref.lab.org/g/tiny.fa",
            "https://ref.lab.org/g/tiny.fa.fai",
        );
        s.viewer.connect_origins = vec![];
    })
    .await;
    let r = app.get("/files/v/regions.bed").await;
    let csp = r.headers()["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains(&format!(
            "connect-src 'self' {} https://ref.lab.org;",
            app.address
        )),
        "{csp}"
    );
}

#[actix_web::test]
async fn a_genome_without_igvjs_data_gets_no_panel_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path()).await;
    // b37 is built in without igv.js data.
    let body = text(&app, "/files/v/regions.bed?genome=b37").await;
    assert!(!body.contains("id=\"igv-viewer\""));
    assert!(
        body.contains("panel is off for genome b37")
            && body.contains("`igvjs` entry to genome b37"),
        "{body}"
    );
    assert!(
        href(&body, "igv-web").is_none(),
        "no IGV-Web link without an igv.js genome"
    );
    // The IGV desktop links and the session are still there.
    assert!(href(&body, "igv-open-all").is_some());
}

#[actix_web::test]
async fn igv_web_links_carry_the_genome_locus_and_track() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path()).await;
    let body = text(&app, "/files/v/regions.bed").await;
    let page_link = href(&body, "igv-web").expect("Open in IGV-Web");
    assert!(
        page_link.starts_with("https://igv.org/app/?"),
        "{page_link}"
    );
    assert_eq!(
        query_value(&page_link, "genome").as_deref(),
        Some(format!("{}/raw/v/tiny.fa", app.address).as_str())
    );
    assert_eq!(
        query_value(&page_link, "file").as_deref(),
        Some(format!("{}/raw/v/regions.bed", app.address).as_str())
    );
    assert_eq!(
        query_value(&page_link, "locus").as_deref(),
        Some("chr1:1000-2000")
    );
    let rows: Vec<&str> = body.split("class=\"igv-web-row\"").skip(1).collect();
    assert_eq!(rows.len(), 3);
    let second = href(&format!("class=\"igv-web-row\"{}", rows[1]), "igv-web-row").unwrap();
    assert_eq!(
        query_value(&second, "locus").as_deref(),
        Some("chr2:5000-6000")
    );

    // A lab's own IGV-Web.
    let path = dir.path().to_path_buf();
    let own = spawn_app_with(move |s| {
        configure(s, &path, "raw/v/tiny.fa", "raw/v/tiny.fa.fai");
        s.viewer.igv_web_url = "https://igv.lab.org/web/".into();
    })
    .await;
    let body = text(&own, "/files/v/regions.bed").await;
    assert!(
        href(&body, "igv-web")
            .unwrap()
            .starts_with("https://igv.lab.org/web/?")
    );
}

#[actix_web::test]
async fn raw_answers_cors_and_preflights_for_configured_origins_only() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    let app = spawn_app_with(move |s| {
        configure(s, &path, "raw/v/tiny.fa", "raw/v/tiny.fa.fai");
        s.viewer.cors_origins = vec!["https://intranet.lab.org".into()];
    })
    .await;
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url("/raw/v/regions.bed"))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "GET")
            .header("Access-Control-Request-Headers", "range")
            .send()
    };
    // The IGV-Web origin (from viewer.igv_web_url) and the configured one.
    for origin in ["https://igv.org", "https://intranet.lab.org"] {
        let r = preflight(origin).await.unwrap();
        assert_eq!(r.status().as_u16(), 204, "{origin}");
        assert_eq!(r.headers()["access-control-allow-origin"], origin);
        assert!(
            r.headers()["access-control-allow-headers"]
                .to_str()
                .unwrap()
                .contains("range")
        );
    }
    let r = preflight("https://evil.example").await.unwrap();
    assert_eq!(r.status().as_u16(), 403);
    assert!(r.headers().get("access-control-allow-origin").is_none());
    assert!(r.text().await.unwrap().contains("viewer.cors_origins"));

    let ranged = |origin: &'static str, path: &'static str| {
        app.client
            .get(app.url(path))
            .header("Origin", origin)
            .header("Range", "bytes=0-9")
            .send()
    };
    let r = ranged("https://intranet.lab.org", "/raw/v/regions.bed")
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 206);
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "https://intranet.lab.org"
    );
    assert!(
        r.headers()["access-control-expose-headers"]
            .to_str()
            .unwrap()
            .contains("content-range")
    );
    assert_eq!(r.text().await.unwrap(), &BED[..10]);
    let r = ranged("https://evil.example", "/raw/v/regions.bed")
        .await
        .unwrap();
    assert!(r.headers().get("access-control-allow-origin").is_none());
    // Outside the roots: 404 as ever, CORS or not.
    let r = ranged("https://igv.org", "/raw/v/../../etc/passwd")
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    let r = ranged("https://igv.org", "/raw/nowhere/x.bed")
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
}

#[actix_web::test]
async fn the_igv_session_escapes_every_name_and_url_and_holds_the_filtered_records() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path()).await;
    let page = "/files/v/odd%20%3C%26'%22%3E.bed";
    let body = text(&app, &format!("{page}?q=i")).await;
    let session = href(&body, "export-igv-session").expect("the session link");
    assert!(
        session.ends_with(".xml"),
        "IGV takes a session by its ending: {session}"
    );
    let r = app.client.get(&session).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/xml")
    );
    let xml = r.text().await.unwrap();
    let raw = format!("{}/raw/v/odd%20%3C&amp;&apos;%22%3E.bed", app.address);
    assert!(
        xml.contains(&format!(
            "<Resource name=\"odd &lt;&amp;&apos;&quot;&gt;.bed\" path=\"{raw}\" type=\"bed\" format=\"bed\"/>"
        )),
        "{xml}"
    );
    assert!(
        xml.contains("<Session genome=\"tiny\" locus=\"chr1:1000-2000\" version=\"8\">"),
        "{xml}"
    );
    // "i" keeps "first" and "mid ..." (0-based starts, as IGV reads them).
    assert!(xml.contains(
        "<Region chromosome=\"chr1\" start=\"999\" end=\"2000\" description=\"first\"/>"
    ));
    assert!(xml.contains(
        "<Region chromosome=\"chr2\" start=\"4999\" end=\"6000\" description=\"mid &lt;&amp;&gt; &quot;q&quot; &apos;a&apos;\"/>"
    ), "{xml}");
    assert!(!xml.contains("last"), "filtered out: {xml}");
    // Every `<` and `&` outside markup is escaped: the only tags are ours.
    for piece in xml.split('<').skip(1) {
        assert!(
            [
                "?xml",
                "Session",
                "/Session",
                "Resources",
                "/Resources",
                "Resource ",
                "Regions",
                "/Regions",
                "Region "
            ]
            .iter()
            .any(|tag| piece.starts_with(tag)),
            "stray markup <{piece}"
        );
    }

    // The igv.js session of the same view.
    let json = href(&body, "export-igvjs-session").expect("the igv.js session link");
    let v: Value = app
        .client
        .get(&json)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        v["reference"]["fastaURL"],
        format!("{}/raw/v/tiny.fa", app.address)
    );
    assert_eq!(v["locus"], "chr1:1000-2000");
    assert_eq!(v["tracks"][0]["name"], "odd <&'\">.bed");
    let names: Vec<&str> = v["roi"][0]["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["first", "mid <&> \"q\" 'a'"]);
    // IGV-Web (another origin) may read the sessions: CORS as for /raw.
    let r = app
        .client
        .get(&json)
        .header("Origin", "https://igv.org")
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "https://igv.org"
    );
    let r = app
        .client
        .get(&session)
        .header("Origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert!(r.headers().get("access-control-allow-origin").is_none());
}

#[actix_web::test]
async fn open_all_adds_the_file_and_a_new_session_relays_a_load_of_the_session_url() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path()).await;
    let body = text(&app, "/files/v/regions.bed").await;
    let session = href(&body, "export-igv-session").unwrap();
    // "Open all" adds the file at the first record (merge=true); "in a
    // new session" loads the session, replacing IGV's (merge=false).
    let added = href(&body, "igv-open-all").unwrap();
    assert_eq!(
        query_value(&added, "file").as_deref(),
        Some(format!("{}/raw/v/regions.bed", app.address).as_str())
    );
    assert_eq!(query_value(&added, "merge").as_deref(), Some("true"));
    assert_eq!(
        query_value(&added, "locus").as_deref(),
        Some("chr1:1000-2000")
    );
    let open_all = href(&body, "igv-open-all-new").unwrap();
    assert_eq!(query_value(&open_all, "merge").as_deref(), Some("false"));
    assert_eq!(
        query_value(&open_all, "file").as_deref(),
        Some(session.as_str())
    );
    // Without the landing page: the relay's 303 to IGV's /load of the session.
    let direct = open_all.replace("&landing=1", "");
    let r = app.client.get(&direct).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 303, "{direct}");
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with("http://127.0.0.1:60151/load?"),
        "{location}"
    );
    assert_eq!(
        query_value(&location, "file").as_deref(),
        Some(session.as_str())
    );

    // A session on a host IGV may not load from is refused like any file.
    let foreign = format!(
        "{}/igv/load?file={}",
        app.address,
        url::form_urlencoded::byte_serialize(b"https://elsewhere.example/s.xml")
            .collect::<String>()
    );
    let r = app.client.get(&foreign).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 400);
}

#[actix_web::test]
async fn galaxy_pages_may_be_framed_by_galaxy_and_other_pages_by_nobody() {
    let app = spawn_app_with(|s| s.galaxy.url = "https://galaxy.lab.org/".into()).await;
    let r = app
        .client
        .get(app.url("/galaxy/display"))
        .header("Accept", "text/html")
        .send()
        .await
        .unwrap();
    let csp = r.headers()["content-security-policy"].to_str().unwrap();
    assert!(
        csp.ends_with("frame-ancestors https://galaxy.lab.org"),
        "{csp}"
    );
    assert!(r.headers().get("x-frame-options").is_none());
    let r = app.get("/files/").await;
    let csp = r.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.ends_with("frame-ancestors 'none'"), "{csp}");
    assert_eq!(r.headers()["x-frame-options"], "DENY");
}

#[actix_web::test]
async fn a_bam_panel_opens_on_its_first_reference_sequence_not_all() {
    // A BAM samtools wrote, over the tiny genome's chr1-chr3.
    let dir = tempfile::tempdir().unwrap();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/e2e");
    for name in ["reads.bam", "reads.bam.bai"] {
        std::fs::copy(fixtures.join(name), dir.path().join(name)).unwrap();
    }
    // What samtools says the first @SQ is.
    let header = std::process::Command::new("samtools")
        .args(["view", "-H"])
        .arg(dir.path().join("reads.bam"))
        .output()
        .expect("samtools runs");
    let header = String::from_utf8(header.stdout).unwrap();
    let sq = header
        .lines()
        .find(|l| l.starts_with("@SQ"))
        .expect("an @SQ line");
    let field = |tag: &str| {
        sq.split('\t')
            .find_map(|f| f.strip_prefix(tag))
            .unwrap()
            .to_owned()
    };
    let length: u64 = field("LN:").parse().unwrap();
    let expected = format!("{}:1-{}", field("SN:"), length.min(10_000));

    let app = app(dir.path()).await;
    let body = text(&app, "/files/v/reads.bam").await;
    let panel = &body[body.find("<details class=\"viewer\"").expect("the panel")..];
    let panel = &panel[..panel.find('>').unwrap()];
    assert!(
        panel.contains(&format!("data-view-locus=\"{expected}\"")),
        "{expected} in {panel}"
    );
    assert!(!panel.contains("data-view-locus=\"all\""), "{panel}");
    // "Open in IGV-Web" opens there too.
    let web = href(&body, "igv-web").expect("an IGV-Web link");
    assert!(
        web.contains(&expected.replace(':', "%3A")) || web.contains(&expected),
        "{web}"
    );
}
