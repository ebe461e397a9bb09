//! End to end: a real headless Chromium clicks the links of our pages, our
//! relay answers 303, the browser follows it to a real IGV desktop, and IGV
//! shows exactly the expected locus, without opening a dialog.
//!
//! IGV's port is single-threaded, so every test holds the shared IGV's lease
//! (`TestIgv::shared`) for its whole duration. Without IGV or a browser these
//! tests skip with a printed reason, except under `CI=true`, where they fail.

#[path = "support/app.rs"]
mod app;
#[path = "support/browser.rs"]
mod browser;
#[path = "support/igv.rs"]
mod igv;
#[path = "support/procs.rs"]
mod procs;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use app::{TestApp, spawn_app_with};
use browser::Browser;
use fantoccini::Locator;
use igv::IgvLease;
use igv_relay::configuration::{DataRootSettings, GenomeSettings, Settings};

/// IGV round trips whose resulting locus this binary compared with an expectation.
static CHECKED: AtomicUsize = AtomicUsize::new(0);

const BED: &str = "track name=\"e2e regions\"\n\
chr1\t999\t2000\tfirst\t0\t+\n\
chr2\t4999\t6000\tmiddle\t0\t-\n\
chr3\t7999\t9500\tlast\t0\t+\n";

const VCF: &str = "##fileformat=VCFv4.2\n\
##contig=<ID=chr1,length=50000>\n\
##contig=<ID=chr2,length=20000>\n\
##contig=<ID=chr3,length=10000>\n\
##INFO=<ID=END,Number=1,Type=Integer,Description=\"End\">\n\
##INFO=<ID=SVTYPE,Number=1,Type=String,Description=\"SV type\">\n\
#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n\
chr1\t3000\tsnv1\tA\tG\t50\tPASS\t.\n\
chr1\t4000\tdel1\tACGTACGTACGT\tA\t50\tPASS\t.\n\
chr2\t10000\tsv1\tN\t<DEL>\t50\tPASS\tSVTYPE=DEL;END=12000\n\
chr2\t15000\tsnv2\tC\tT\t50\tPASS\t.\n\
chr3\t2000\tsnv3\tT\tC\t50\tPASS\t.\n";

const GFF: &str = "##gff-version 3\n\
chr1\te2e\tgene\t20001\t25000\t.\t+\t.\tID=g1;Name=GeneOne\n\
chr2\te2e\tgene\t101\t900\t.\t-\t.\tID=g2;Name=GeneTwo\n\
chr3\te2e\tgene\t3001\t3500\t.\t+\t.\tID=g3;Name=GeneThree\n";

const BEDPE: &str = "chr1\t999\t2000\tchr2\t2999\t4000\tpair1\t0\t+\t-\n";

/// A record on an hg38 alt contig (the MHC's COX haplotype), which the tiny
/// genome also carries.
const ALT_BED: &str = "chr6_GL000251v2_alt\t999\t2000\tmhc_cox\n";

/// What a test needs: IGV (held), the service configured for it, and a browser.
struct Rig {
    igv: IgvLease,
    app: TestApp,
    browser: Browser,
    _data: tempfile::TempDir,
}

impl Rig {
    /// `None` when IGV or the browser is missing outside CI (the harness said why).
    async fn start(configure: impl FnOnce(&mut Settings, u16)) -> Option<Rig> {
        Self::start_with_browser_args(configure, |_| Vec::new()).await
    }

    async fn start_with_browser_args(
        configure: impl FnOnce(&mut Settings, u16),
        browser_args: impl FnOnce(&TestApp) -> Vec<String>,
    ) -> Option<Rig> {
        let igv = igv::TestIgv::shared()?;
        let data = tempfile::tempdir().expect("a data directory");
        for (name, content) in [
            ("regions.bed", BED),
            ("calls.vcf", VCF),
            ("genes.gff3", GFF),
            ("pairs.bedpe", BEDPE),
            ("alt.bed", ALT_BED),
        ] {
            std::fs::write(data.path().join(name), content).expect("write a fixture");
        }
        let fai = igv.fai_path();
        let fasta = igv.fasta_path();
        let igv_port = igv.port();
        let data_path = data.path().to_path_buf();
        let app = spawn_app_with(move |s| {
            s.igv.port = igv_port;
            s.genomes.insert(
                "tiny".into(),
                GenomeSettings {
                    fai: Some(fai),
                    igv_genome: Some(fasta.display().to_string()),
                    ..GenomeSettings::default()
                },
            );
            s.data.roots = vec![DataRootSettings {
                name: "e2e".into(),
                path: data_path,
                genome: Some("tiny".into()),
            }];
            configure(s, igv_port);
        })
        .await;
        let args = browser_args(&app);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let browser = Browser::start(&args).await?;
        Some(Rig {
            igv,
            app,
            browser,
            _data: data,
        })
    }

    fn page(&self, file: &str) -> String {
        self.app.url(&format!("/files/e2e/{file}"))
    }

    /// Clicks the `index`-th element matching `css` on the current page and
    /// checks that IGV then shows `expected`.
    async fn click_and_expect(&self, css: &str, index: usize, expected: &str) {
        let links = self
            .browser
            .client()
            .find_all(Locator::Css(css))
            .await
            .expect("find links");
        assert!(
            index < links.len(),
            "only {} links match {css}",
            links.len()
        );
        let before = self.browser.current_url().await.expect("current url");
        links[index].click().await.expect("click a link");
        self.expect_locus(expected).await;
        assert_eq!(
            self.browser.current_url().await.expect("current url"),
            before,
            "the results page must stay on screen"
        );
    }

    async fn expect_locus(&self, expected: &str) {
        let shown = self.igv.wait_for_locus(expected).await;
        assert_eq!(shown, expected, "IGV shows {shown}, expected {expected}");
        CHECKED.fetch_add(1, Ordering::Relaxed);
        self.igv.assert_no_dialogs();
    }

    async fn finish(self) {
        self.igv.assert_no_dialogs();
        assert!(self.igv.http_alive().await, "IGV's port must still answer");
        let checked = CHECKED.load(Ordering::Relaxed);
        eprintln!("e2e: {checked} IGV round trips checked so far");
        record_round_trips(checked);
        self.browser.close().await;
    }
}

/// libtest hides a passing test's output, so the count also goes to a file
/// that `scripts/test.sh` prints: CI's log shows how many clicks were checked.
fn record_round_trips(checked: usize) {
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("e2e-round-trips");
    let _ = std::fs::write(path, checked.to_string());
}

/// Where IGV shows a single base `chr:pos`: a 40 bp window (igv-port.md §3.4).
fn window(chrom: &str, pos: u64) -> String {
    format!("{chrom}:{}-{}", pos - 20, pos + 19)
}

#[actix_web::test]
async fn bed_links_move_igv_to_the_one_based_region() {
    let Some(rig) = Rig::start(|_, _| {}).await else {
        return;
    };
    rig.browser
        .goto(&rig.page("regions.bed"))
        .await
        .expect("open the BED page");
    rig.click_and_expect("a.igv-link", 0, "chr1:1000-2000")
        .await;
    rig.click_and_expect("a.igv-link", 1, "chr2:5000-6000")
        .await;
    rig.click_and_expect("a.igv-link", 2, "chr3:8000-9500")
        .await;
    rig.finish().await;
}

#[actix_web::test]
async fn vcf_links_show_snvs_indels_and_the_whole_sv_span() {
    let Some(rig) = Rig::start(|_, _| {}).await else {
        return;
    };
    rig.browser
        .goto(&rig.page("calls.vcf"))
        .await
        .expect("open the VCF page");
    rig.click_and_expect("a.igv-link", 0, &window("chr1", 3000))
        .await;
    rig.click_and_expect("a.igv-link", 1, "chr1:4000-4011")
        .await;
    rig.click_and_expect("a.igv-link", 2, "chr2:10000-12000")
        .await;
    rig.click_and_expect("a.igv-link", 4, &window("chr3", 2000))
        .await;
    rig.finish().await;
}

#[actix_web::test]
async fn gff_links_use_the_coordinates_as_written() {
    let Some(rig) = Rig::start(|_, _| {}).await else {
        return;
    };
    rig.browser
        .goto(&rig.page("genes.gff3"))
        .await
        .expect("open the GFF page");
    rig.click_and_expect("a.igv-link", 0, "chr1:20001-25000")
        .await;
    rig.click_and_expect("a.igv-link", 1, "chr2:101-900").await;
    rig.click_and_expect("a.igv-link", 2, "chr3:3001-3500")
        .await;
    rig.finish().await;
}

/// hg38's alt contigs, unlocalized and unplaced scaffolds are in its table
/// (genomes/hg38.tsv): a record on one links under hg38, and IGV shows it.
#[actix_web::test]
async fn a_record_on_an_hg38_alt_contig_links_under_hg38_and_igv_shows_it() {
    let Some(rig) = Rig::start(|_, _| {}).await else {
        return;
    };
    rig.browser
        .goto(&rig.page("alt.bed?genome=hg38"))
        .await
        .expect("open the BED page under hg38");
    rig.click_and_expect("a.igv-link", 0, "chr6_GL000251v2_alt:1000-2000")
        .await;
    rig.finish().await;
}

#[actix_web::test]
async fn the_landing_tab_says_what_was_sent_and_stays() {
    let Some(rig) = Rig::start(|_, _| {}).await else {
        return;
    };
    rig.browser
        .goto(&rig.page("regions.bed"))
        .await
        .expect("open the BED page");
    let results = rig.browser.client().window().await.expect("window handle");
    rig.click_and_expect("a.igv-link", 1, "chr2:5000-6000")
        .await;
    let windows = rig
        .browser
        .client()
        .windows()
        .await
        .expect("window handles");
    let landing = windows
        .into_iter()
        .find(|w| *w != results)
        .expect("the named igv-relay tab");
    rig.browser
        .client()
        .switch_to_window(landing)
        .await
        .expect("switch to the landing tab");
    // IGV answered 204, so the tab still shows our landing page.
    let source = rig
        .browser
        .page_source()
        .await
        .expect("landing page source");
    assert!(source.contains("Go to chr2:5,000-6,000 in IGV"), "{source}");
    rig.browser
        .client()
        .switch_to_window(results)
        .await
        .expect("back to the results");
    rig.finish().await;
}

#[actix_web::test]
async fn a_plain_relay_redirect_leaves_the_page_where_it_was() {
    let Some(rig) = Rig::start(|_, _| {}).await else {
        return;
    };
    rig.browser
        .goto(&rig.app.url("/"))
        .await
        .expect("open the start page");
    let before = rig.browser.current_url().await.expect("url");
    rig.browser
        .goto(&rig.app.url("/igv/goto?locus=chr3:1001-2000&genome=tiny"))
        .await
        .expect("follow the relay");
    rig.expect_locus("chr3:1001-2000").await;
    assert_eq!(rig.browser.current_url().await.expect("url"), before);
    rig.finish().await;
}

#[actix_web::test]
async fn load_and_go_loads_our_raw_file_and_shows_the_locus() {
    let Some(rig) = Rig::start(|_, _| {}).await else {
        return;
    };
    rig.browser
        .goto(&rig.page("regions.bed"))
        .await
        .expect("open the BED page");
    rig.click_and_expect("a.igv-load-go", 2, "chr3:8000-9500")
        .await;
    let raw = rig.app.url("/raw/e2e/regions.bed");
    let tracks = rig.igv.loaded_tracks().await;
    assert!(
        tracks.contains(&raw),
        "{raw} not among the loaded tracks {tracks:?}"
    );
    rig.finish().await;
}

#[actix_web::test]
async fn a_bedpe_row_opens_both_loci_side_by_side() {
    let Some(rig) = Rig::start(|_, _| {}).await else {
        return;
    };
    rig.browser
        .goto(&rig.page("pairs.bedpe"))
        .await
        .expect("open the BEDPE page");
    rig.click_and_expect("a.igv-link", 0, "chr1:1000-2000 | chr2:3000-4000")
        .await;
    rig.finish().await;
}

#[actix_web::test]
async fn an_invalid_locus_link_shows_our_400_page_and_never_reaches_igv() {
    let Some(rig) = Rig::start(|_, _| {}).await else {
        return;
    };
    rig.igv.goto("chr1:5001-6000").await;
    let bad = rig.app.url("/igv/goto?locus=chrZZ:1-100&genome=tiny");
    let page = serve_once_html(&format!(r#"<a id="bad" href="{bad}">View in IGV</a>"#)).await;
    rig.browser
        .goto(&page)
        .await
        .expect("open the intranet page");
    rig.browser.click("#bad").await.expect("click the bad link");
    let source = rig.browser.page_source().await.expect("page source");
    assert!(source.contains("chrZZ"), "{source}");
    assert!(source.contains("400"), "{source}");
    assert!(
        rig.browser
            .current_url()
            .await
            .expect("url")
            .starts_with(&rig.app.address)
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    rig.expect_locus("chr1:5001-6000").await;
    rig.finish().await;
}

#[actix_web::test]
async fn a_click_from_a_public_origin_still_reaches_igv() {
    // 127.0.0.2 is loopback too; the override makes Chromium treat the page as
    // a public web site, where Local Network Access blocks fetch() and <img>
    // to localhost but not top-level navigations (igv-e2e.md §4).
    let rig = Rig::start_with_browser_args(
        |s, _| s.server.bind = "127.0.0.2:0".into(),
        |app| {
            let host_port = app.address.trim_start_matches("http://");
            vec![format!("--ip-address-space-overrides={host_port}=public")]
        },
    )
    .await;
    let Some(rig) = rig else { return };
    assert!(rig.app.address.starts_with("http://127.0.0.2:"));
    rig.browser
        .goto(&rig.page("genes.gff3"))
        .await
        .expect("open the GFF page");
    rig.click_and_expect("a.igv-link", 1, "chr2:101-900").await;
    rig.finish().await;
}

#[actix_web::test]
async fn the_port_chosen_on_the_settings_page_is_used() {
    // The service's default port is wrong for this IGV; the user fixes it.
    let Some(rig) = Rig::start(|s, _| s.igv.port = 1999).await else {
        return;
    };
    rig.browser
        .goto(&rig.app.url("/settings"))
        .await
        .expect("open settings");
    let field = rig
        .browser
        .client()
        .find(Locator::Id("port"))
        .await
        .expect("port field");
    field.clear().await.expect("clear the field");
    field
        .send_keys(&rig.igv.port().to_string())
        .await
        .expect("type the port");
    rig.browser
        .click("form button[type=submit]")
        .await
        .expect("save");
    // The click returns once the form is submitted, not once the page it
    // leads to (303 back to /settings?saved=1) has loaded.
    let saved = rig
        .browser
        .client()
        .wait()
        .at_most(std::time::Duration::from_secs(10))
        .for_element(Locator::Css("p.ok[role=status]"))
        .await
        .expect("the settings page says the port was saved");
    assert!(saved.text().await.expect("text").contains("Saved"));
    rig.browser
        .goto(&rig.page("regions.bed"))
        .await
        .expect("open the BED page");
    rig.click_and_expect("a.igv-link", 0, "chr1:1000-2000")
        .await;
    rig.finish().await;
}

/// Serves one static HTML page on another loopback origin (an "intranet" page)
/// and returns its URL. The server lives until the test's runtime ends.
async fn serve_once_html(body: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    let page = format!("<!doctype html><html><body>{body}</body></html>");
    actix_web::rt::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buf = [0u8; 4096];
            let _ = socket.read(&mut buf).await;
            let response = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
                page.len()
            );
            let _ = socket.write_all(response.as_bytes()).await;
        }
    });
    format!("http://{address}/")
}
