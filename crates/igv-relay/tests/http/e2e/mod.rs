//! End to end: a real headless Chromium clicks the links of our pages, our
//! relay answers 303, the browser follows it to a real IGV desktop, and IGV
//! shows exactly the expected locus, without opening a dialog.
//!
//! IGV's port is single-threaded, so every test holds the shared IGV's lease
//! (`TestIgv::shared`) for its whole duration. Without IGV or a browser these
//! tests skip with a printed reason, except under `CI=true`, where they fail.

mod click;
mod embed;
mod galaxy_plugin;
mod harness;
mod manhattan;
mod readme_screenshots;
mod reads;
mod start_page;
mod triage;
mod triage_layout;
mod viewer;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::support::app::{TestApp, spawn_app_with};
use crate::support::browser::Browser;
use crate::support::{igv, procs};
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

/// GWAS summary statistics on the tiny genome: the Manhattan plot's points.
const GWAS: &str = "CHR\tBP\tSNP\tP\n\
chr1\t3000\trs1\t2e-9\n\
chr2\t15000\trs2\t0.001\n\
chr3\t2000\trs3\t0.5\n";

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
    /// The loopback port of the LNA checks, in a rig started with LNA on.
    canary: Option<Canary>,
}

/// A loopback server standing in for IGV in the checks that Local Network
/// Access is on: it notes the request line (method and path) of every request
/// that reaches it and answers 204. Not IGV's port, because Chromium connects
/// before it refuses a public page's request to loopback and leaves the idle
/// socket open: aimed at IGV, that socket held IGV's single listener for half
/// a minute. A connection that sends nothing is not a request.
struct Canary {
    port: u16,
    requests: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Canary {
    fn start() -> Canary {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind the canary");
        let port = listener.local_addr().expect("address").port();
        let requests = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let noted = requests.clone();
        std::thread::spawn(move || {
            for mut socket in listener.incoming().flatten() {
                let noted = noted.clone();
                std::thread::spawn(move || {
                    use std::io::{Read, Write};
                    let _ = socket.set_read_timeout(Some(Duration::from_secs(60)));
                    let mut buf = [0u8; 4096];
                    let n = socket.read(&mut buf).unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    let head = String::from_utf8_lossy(&buf[..n]);
                    let line = head.lines().next().unwrap_or_default();
                    let line = line.rsplit_once(' ').map_or(line, |(l, _)| l);
                    noted.lock().expect("lock").push(line.to_owned());
                    let _ = socket.write_all(
                        b"HTTP/1.1 204 No Content\r\nAccess-Control-Allow-Origin: *\r\n\
                          Connection: close\r\n\r\n",
                    );
                });
            }
        });
        Canary { port, requests }
    }

    fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.origin())
    }

    /// The requests that reached it so far (`GET /path`).
    fn requests(&self) -> Vec<String> {
        self.requests.lock().expect("lock").clone()
    }
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
        Self::start_in(configure, |app| Launch::Chromium(browser_args(app))).await
    }

    /// Like [`Self::start`], in `engine` with Local Network Access on as for a
    /// public server (see [`Engine::public`]).
    async fn start_lna(engine: Engine, configure: impl FnOnce(&mut Settings, u16)) -> Option<Rig> {
        Self::start_lna_with(engine, &[], configure).await
    }

    /// Like [`Self::start_lna`], with `also_public`, ports of other servers on
    /// 127.0.0.1 (a framing page's), counted as public web sites too. The rig
    /// has a [`Canary`] for the LNA checks, and the pages'
    /// Content-Security-Policy lets their scripts connect to it
    /// (`viewer.connect_origins`), so that only Local Network Access can
    /// refuse the fetch of the check: with the policy as shipped,
    /// `connect-src` alone refuses it, LNA on or off.
    async fn start_lna_with(
        engine: Engine,
        also_public: &[u16],
        configure: impl FnOnce(&mut Settings, u16),
    ) -> Option<Rig> {
        let also_public = also_public.to_vec();
        let canary = Canary::start();
        let canary_origin = canary.origin();
        let mut rig = Self::start_in(
            |s, igv_port| {
                s.viewer.connect_origins.push(canary_origin);
                configure(s, igv_port);
            },
            move |app| {
                let mut ports = vec![app.port];
                ports.extend(also_public);
                engine.public(&ports)
            },
        )
        .await?;
        rig.canary = Some(canary);
        Some(rig)
    }

    async fn start_in(
        configure: impl FnOnce(&mut Settings, u16),
        browser: impl FnOnce(&TestApp) -> Launch,
    ) -> Option<Rig> {
        let igv = igv::TestIgv::shared()?;
        let data = tempfile::tempdir().expect("a data directory");
        for (name, content) in [
            ("regions.bed", BED),
            ("calls.vcf", VCF),
            ("genes.gff3", GFF),
            ("pairs.bedpe", BEDPE),
            ("alt.bed", ALT_BED),
            ("assoc.gwas", GWAS),
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
        let browser = browser(&app).start().await?;
        Some(Rig {
            igv,
            app,
            browser,
            _data: data,
            canary: None,
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

/// How to start a browser for a test.
enum Launch {
    /// Chromium with these extra arguments.
    Chromium(Vec<String>),
    /// Firefox ESR with these preferences and arguments.
    Firefox(serde_json::Value, Vec<String>),
}

impl Launch {
    async fn start(self) -> Option<Browser> {
        match self {
            Launch::Chromium(args) => {
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                Browser::start(&args).await
            }
            Launch::Firefox(prefs, args) => {
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                Browser::start_firefox(prefs, &args).await
            }
        }
    }
}

/// The browsers the click is tested in (issue 22).
#[derive(Clone, Copy, Debug)]
enum Engine {
    Chromium,
    Firefox,
}

impl Engine {
    /// The browser with Local Network Access on as for a public server: the
    /// servers on 127.0.0.1:`ports` (the service's, and a framing page's)
    /// count as public web sites, while IGV stays loopback (browsers-lna.md, "Testing it here"). Chromium:
    /// `--ip-address-space-overrides`. Firefox: its override preference, and
    /// the permission prompt answered "Block" beforehand
    /// (`permissions.default.loopback-network` = 2), as a headless browser
    /// cannot answer it: a fetch held at an unanswered prompt keeps a socket
    /// to IGV open, and IGV's single-threaded listener would wait on it.
    fn public(self, ports: &[u16]) -> Launch {
        let list = |suffix: &str| {
            ports
                .iter()
                .map(|p| format!("127.0.0.1:{p}{suffix}"))
                .collect::<Vec<_>>()
                .join(",")
        };
        match self {
            Engine::Chromium => Launch::Chromium(vec![
                format!("--ip-address-space-overrides={}", list("=public")),
                "--window-size=1400,900".into(),
            ]),
            Engine::Firefox => Launch::Firefox(
                serde_json::json!({
                    "network.lna.address_space.public.override": list(""),
                    "permissions.default.loopback-network": 2,
                    "permissions.default.local-network": 2,
                }),
                vec!["--width=1400".into(), "--height=900".into()],
            ),
        }
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
    // Links under a genome send it to IGV (genome-safe jumps); the offline IGV
    // here has hg38 as the tiny FASTA, which carries the alt contig's name.
    let fasta = igv::TestIgv::shared().map(|igv| igv.fasta_path());
    let Some(rig) = Rig::start(move |s, _| {
        if let Some(fasta) = fasta {
            s.genomes.insert(
                "hg38".into(),
                GenomeSettings {
                    igv_genome: Some(fasta.display().to_string()),
                    ..GenomeSettings::default()
                },
            );
        }
    })
    .await
    else {
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
async fn an_overview_bar_moves_igv_to_its_stretch() {
    let Some(rig) = Rig::start(|_, _| {}).await else {
        return;
    };
    rig.browser
        .goto(&rig.page("calls.vcf"))
        .await
        .expect("open the VCF page");
    // The first bar's stretch, as its link names it: the stretch holding
    // chr1:3000 (the first record).
    let href = rig
        .browser
        .client()
        .find(Locator::Css("svg a.bar"))
        .await
        .expect("an overview bar")
        .attr("href")
        .await
        .expect("its href")
        .expect("a link");
    let locus = url::Url::parse(&href)
        .expect("an absolute link")
        .query_pairs()
        .find(|(k, _)| k == "locus")
        .map(|(_, v)| v.into_owned())
        .expect("a locus");
    assert!(locus.starts_with("chr1:"), "{locus}");
    rig.click_and_expect("svg a.bar", 0, &locus).await;
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
    // With rows that only jump, "load + go" is the row's loading link.
    let Some(rig) = Rig::start(|s, _| s.data.load_on_click = false).await else {
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

/// `(chromosome, start, end, description)` of every `<Region>` of a saved
/// IGV session, attribute values unescaped.
fn session_regions(xml: &str) -> Vec<(String, u64, u64, String)> {
    let attr = |tag: &str, name: &str| -> String {
        let value = tag
            .split_once(&format!(" {name}=\""))
            .map(|(_, rest)| &rest[..rest.find('"').unwrap_or(0)])
            .unwrap_or("");
        value
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&")
    };
    xml.split("<Region")
        .skip(1)
        .filter(|rest| rest.starts_with(char::is_whitespace))
        .map(|rest| {
            let tag = &rest[..rest.find('>').unwrap_or(rest.len())];
            (
                attr(tag, "chromosome"),
                attr(tag, "start").parse().unwrap_or(0),
                attr(tag, "end").parse().unwrap_or(0),
                attr(tag, "description"),
            )
        })
        .collect()
}

#[actix_web::test]
async fn open_all_loads_the_session_with_its_locus_track_and_regions() {
    let Some(rig) = Rig::start(|_, _| {}).await else {
        return;
    };
    std::fs::write(
        rig._data.path().join("sites.bed"),
        "chr1\t999\t2000\tfirst\t0\t+\n\
         chr2\t4999\t6000\tsecond <&> \"x\"\t0\t-\n\
         chr3\t7999\t9500\tthird\t0\t+\n",
    )
    .expect("write sites.bed");
    // Filtered ("d": the second and third records): the session holds the
    // page's records, as regions, and opens at the first of them.
    rig.browser
        .goto(&rig.app.url("/files/e2e/sites.bed?q=d"))
        .await
        .expect("open the filtered page");
    let session_url = rig
        .browser
        .client()
        .find(Locator::Css("a.export-igv-session"))
        .await
        .expect("the IGV session link")
        .attr("href")
        .await
        .expect("href")
        .expect("a URL");
    assert!(
        session_url.ends_with(".xml"),
        "IGV needs .xml: {session_url}"
    );
    rig.click_and_expect("a.igv-open-all-new", 0, "chr2:5000-6000")
        .await;
    let xml = rig.igv.saved_session().await;
    let raw = rig.app.url("/raw/e2e/sites.bed");
    assert!(
        igv::resource_paths(&xml).contains(&raw),
        "{raw} not among the session's tracks: {xml}"
    );
    assert_eq!(
        session_regions(&xml),
        [
            ("chr2".to_owned(), 4999, 6000, "second <&> \"x\"".to_owned()),
            ("chr3".to_owned(), 7999, 9500, "third".to_owned()),
        ],
        "{xml}"
    );
    rig.finish().await;
}

/// Issue 24: "Open all in IGV" adds the page's session to what the user
/// has in IGV (a track loaded before stays, read back from IGV's saved
/// session); "in a new session" replaces it.
#[actix_web::test]
async fn open_all_adds_to_the_igv_session_and_in_a_new_session_replaces_it() {
    let Some(rig) = Rig::start(|_, _| {}).await else {
        return;
    };
    let data = rig._data.path();
    std::fs::write(data.join("sites.bed"), "chr1\t999\t2000\tfirst\t0\t+\n")
        .expect("write sites.bed");
    std::fs::write(data.join("mine.bed"), "chr2\t99\t500\tmine\t0\t+\n").expect("write mine.bed");
    let mine = rig.app.url("/raw/e2e/mine.bed");
    let sites = rig.app.url("/raw/e2e/sites.bed");
    // The user's own track, loaded before.
    let reply = rig
        .igv
        .batch(&format!("load {mine} format=bed"))
        .await
        .expect("IGV loads mine.bed");
    assert_eq!(reply.trim(), "OK", "{reply}");
    assert!(rig.igv.loaded_tracks().await.contains(&mine));
    rig.igv.goto("chr3:100-200").await;

    rig.browser
        .goto(&rig.app.url("/files/e2e/sites.bed"))
        .await
        .expect("open the page");
    rig.click_and_expect("a.igv-open-all", 0, "chr1:1000-2000")
        .await;
    let tracks = rig.igv.loaded_tracks().await;
    assert!(tracks.contains(&sites), "the page's file: {tracks:?}");
    assert!(tracks.contains(&mine), "the user's track stays: {tracks:?}");

    rig.igv.goto("chr3:100-200").await;
    rig.click_and_expect("a.igv-open-all-new", 0, "chr1:1000-2000")
        .await;
    let tracks = rig.igv.loaded_tracks().await;
    assert!(tracks.contains(&sites), "the page's file: {tracks:?}");
    assert!(
        !tracks.contains(&mine),
        "a new session closes the user's track: {tracks:?}"
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

/// Issue 18: a BED line and a gene name pasted on the start page, the form
/// submitted, and each link clicked: IGV shows the BED line's 1-based region
/// and the gene the tiny genome's annotation (this file's GFF3) names; the
/// name itself never reaches IGV.
#[actix_web::test]
async fn a_pasted_bed_line_and_gene_name_on_the_start_page_open_in_igv() {
    let Some(rig) = Rig::start(|s, _| {
        let gff = s.data.roots[0].path.join("genes.gff3");
        s.genes.cache_dir = "none".into();
        if let Some(tiny) = s.genomes.get_mut("tiny") {
            tiny.genes = Some(gff.display().to_string());
        }
    })
    .await
    else {
        return;
    };
    rig.browser
        .goto(&rig.app.url("/"))
        .await
        .expect("open the start page");
    let client = rig.browser.client();
    // What a paste leaves in the textarea: a tab-separated BED line and a
    // gene name, with a Windows line end between them.
    client
        .execute(
            "document.getElementById('loci').value = arguments[0]; \
             document.getElementById('genome').value = 'tiny';",
            vec![serde_json::json!(
                "chr2\t4999\t6000\tmiddle\t0\t-\r\ngenethree"
            )],
        )
        .await
        .expect("paste into the form");
    rig.browser
        .click("form.loci-form button[type=submit]")
        .await
        .expect("submit the form");
    // A find that races the form's navigation is answered "aborted by
    // navigation" by chromedriver (once in CI): that is no answer, look again.
    let mut races = 0;
    while let Err(e) = client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("table.paste"))
        .await
    {
        races += 1;
        assert!(
            races < 3 && format!("{e:?}").contains("aborted by navigation"),
            "the page of links: {e:?}"
        );
    }
    let source = rig.browser.page_source().await.expect("page source");
    assert!(
        source.contains("BED, 0-based: shown as chr2:5,000-6,000"),
        "{source}"
    );
    assert!(
        source.contains("gene annotation of tiny: GeneThree (g3)"),
        "{source}"
    );
    rig.click_and_expect("a.igv-link", 0, "chr2:5000-6000")
        .await;
    rig.click_and_expect("a.igv-link", 1, "chr3:3001-3500")
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
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    serve_html(listener, body);
    format!("http://{address}/")
}

/// Answers every request on `listener` with a page whose body is `body`.
fn serve_html(listener: tokio::net::TcpListener, body: &str) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
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
}

// ===========================================================================
// Issue 14: the connection check, help when IGV is not listening, genome-safe
// jumps, and the safe view commands.
// ===========================================================================

/// View commands this binary sent through the relay to the real IGV and
/// checked (no dialog, listener alive, effect read back).
static VIEW_CHECKED: AtomicUsize = AtomicUsize::new(0);

/// Like [`record_round_trips`], for `scripts/test.sh`'s view-command line.
fn record_view_commands(checked: usize) {
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("e2e-view-commands");
    let _ = std::fs::write(path, checked.to_string());
}

/// Polls `f` every 100 ms for up to `limit`.
async fn procs_poll_async<T, F, Fut>(limit: Duration, mut f: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = std::time::Instant::now() + limit;
    loop {
        if let Some(v) = f().await {
            return Some(v);
        }
        if std::time::Instant::now() > deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The text the browser shows in the current window (what a user reads).
async fn body_text(browser: &Browser) -> String {
    match browser.client().find(Locator::Css("body")).await {
        Ok(body) => body.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// Waits until the current window's URL satisfies `ok`, and returns it.
async fn wait_for_url(browser: &Browser, what: &str, ok: impl Fn(&str) -> bool) -> String {
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let url = browser.current_url().await.unwrap_or_default();
        if ok(&url) {
            return url;
        }
        if std::time::Instant::now() > deadline {
            panic!("the tab never showed {what}; last URL {url}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The header's "Test connection to IGV" is a top-level link in the same tab
/// (issue 22): the tab shows IGV's answer, and Back returns to the page.
#[actix_web::test]
async fn the_check_link_shows_igvs_answer_in_the_same_tab_and_back_returns() {
    let Some(rig) = Rig::start(|_, _| {}).await else {
        return;
    };
    let settings = rig.app.url("/settings");
    rig.browser
        .goto(&settings)
        .await
        .expect("open the settings page");
    rig.browser
        .click("header a.igv-check")
        .await
        .expect("click Test connection to IGV");
    let answer = procs_poll_async(Duration::from_secs(10), || async {
        let text = body_text(&rig.browser).await;
        text.contains("IGV-is-listening").then_some(text)
    })
    .await;
    let url = rig.browser.current_url().await.unwrap_or_default();
    assert!(
        answer.is_some(),
        "the tab should show IGV's answer; it shows {url}: {:?}",
        body_text(&rig.browser).await
    );
    assert!(
        url.starts_with(&format!("{}/execute?command=echo", rig.igv.base_url())),
        "{url}"
    );
    let windows = rig.browser.client().windows().await.expect("windows");
    assert_eq!(windows.len(), 1, "no other tab");
    rig.browser.client().back().await.expect("Back");
    wait_for_url(&rig.browser, "the settings page", |u| u == settings).await;
    rig.finish().await;
}

/// A second tiny genome, with other chromosome names than the harness's.
const GENOME_B: &[(&str, u64)] = &[("chrB1", 30_000), ("chrB2", 15_000)];

fn write_genome_b(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let (fasta, fai) = igv::pseudo_random_genome(GENOME_B, 0x2545_F491_4F6C_DD1D);
    let fa = dir.join("genome-b.fa");
    std::fs::write(&fa, fasta).expect("write genome B");
    std::fs::write(dir.join("genome-b.fa.fai"), fai).expect("write genome B's index");
    (fa.clone(), dir.join("genome-b.fa.fai"))
}

#[actix_web::test]
async fn a_link_for_genome_b_moves_igv_from_genome_a_to_b_and_the_locus() {
    let genome_dir = tempfile::tempdir().expect("a genome directory");
    let (fasta_b, fai_b) = write_genome_b(genome_dir.path());
    let igv_genome_b = fasta_b.display().to_string();
    let Some(rig) = Rig::start(move |s, _| {
        s.genomes.insert(
            "tinyb".into(),
            GenomeSettings {
                fai: Some(fai_b),
                igv_genome: Some(igv_genome_b),
                ..GenomeSettings::default()
            },
        );
    })
    .await
    else {
        return;
    };
    let genome_a = rig.igv.fasta_path().display().to_string();
    assert_eq!(rig.igv.current_genome().await, genome_a);
    // A track the user loaded: a switch of genome resets IGV's session, a
    // jump on the genome IGV already shows must not.
    let bed = rig.app.url("/raw/e2e/regions.bed");
    rig.browser
        .goto(&rig.app.url(&format!(
            "/igv/load?file={}&genome=tiny",
            url::form_urlencoded::byte_serialize(bed.as_bytes()).collect::<String>()
        )))
        .await
        .expect("load a track");
    assert!(rig.igv.loaded_tracks().await.contains(&bed));

    rig.browser
        .goto(
            &rig.app
                .url("/?loci=chrB2%3A1001-2000%0AchrB1%3A5001-6000&genome=tinyb"),
        )
        .await
        .expect("open the start page for genome B");
    let started = std::time::Instant::now();
    rig.click_and_expect("a.igv-link", 0, "chrB2:1001-2000")
        .await;
    eprintln!(
        "e2e: genome A -> B switch and jump seen after {} ms (click to locus read-back)",
        started.elapsed().as_millis()
    );
    assert_eq!(
        rig.igv.current_genome().await,
        fasta_b.display().to_string()
    );
    // Genome B is loaded now: the next jump only moves.
    rig.click_and_expect("a.igv-link", 1, "chrB1:5001-6000")
        .await;
    assert_eq!(
        rig.igv.current_genome().await,
        fasta_b.display().to_string()
    );
    // And back to genome A, whose track the switch to B had dropped.
    rig.browser
        .goto(&rig.app.url("/igv/goto?locus=chr2:3001-4000&genome=tiny"))
        .await
        .expect("jump on genome A");
    rig.expect_locus("chr2:3001-4000").await;
    assert_eq!(rig.igv.current_genome().await, genome_a);
    assert!(!rig.igv.loaded_tracks().await.contains(&bed));
    rig.finish().await;
}

/// The alignment track's `<Track …>` and `<RenderOptions …/>` tags in a saved
/// session (IGV records display mode, grouping, colouring and pairs there).
fn alignment_track_tags(xml: &str) -> (String, String) {
    let start = xml
        .find("clazz=\"org.broad.igv.sam.AlignmentTrack\"")
        .unwrap_or_else(|| panic!("no alignment track in the session: {xml}"));
    let track_start = xml[..start].rfind("<Track").expect("<Track");
    let track_end = start + xml[start..].find('>').expect(">");
    let track = xml[track_start..=track_end].to_owned();
    let rest = &xml[track_end..];
    let render = rest
        .find("<RenderOptions")
        .filter(|i| rest[..*i].find("</Track>").is_none())
        .map(|i| {
            let end = i + rest[i..].find('>').expect(">");
            rest[i..=end].to_owned()
        })
        .unwrap_or_default();
    (track, render)
}

#[actix_web::test]
async fn every_view_command_keeps_igv_listening_and_has_its_effect() {
    use igv_relay_core::domain::locus::Locus;
    use igv_relay_core::domain::view::{BasePosition, DisplayMode, SamTag, SortBy, ViewCommand};

    let Some(rig) = Rig::start(|_, _| {}).await else {
        return;
    };
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/e2e");
    for name in ["reads.bam", "reads.bam.bai"] {
        std::fs::copy(fixtures.join(name), rig._data.path().join(name)).expect("copy the BAM");
    }
    // "reads sorted here": one request loads the reads, goes to the base and
    // sorts there.
    let bam = rig.app.url("/raw/e2e/reads.bam");
    let bai = rig.app.url("/raw/e2e/reads.bam.bai");
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    rig.browser
        .goto(&rig.app.url(&format!(
            "/igv/load?file={}&index={}&locus=chr1%3A3000&sort=base&genome=tiny",
            enc(&bam),
            enc(&bai)
        )))
        .await
        .expect("reads sorted here");
    let shown = rig.igv.wait_for_locus(&window("chr1", 3000)).await;
    assert_eq!(shown, window("chr1", 3000));
    if let Err(report) = rig.igv.check_no_dialogs() {
        panic!(
            "loading the reads: {report}\nIGV's log:\n{}",
            procs::tail(&rig.igv.dir().join("logs/igv.log"), 40)
        );
    }
    assert!(rig.igv.loaded_tracks().await.contains(&bam));
    let sorted_by_base = rig.igv.snapshot_png().await;
    assert!(
        rig.igv.snapshot_png().await == sorted_by_base,
        "a snapshot of an unchanged view is the same"
    );

    let at = BasePosition::from_locus(&Locus::parse("chr1:3000").unwrap()).unwrap();
    let tag = SamTag::parse("HP").unwrap();
    let commands = ViewCommand::all(tag, &at);
    assert_eq!(commands.len(), 33, "{commands:#?}");
    for command in &commands {
        let query: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(command.relay_query())
            .append_pair("genome", "tiny")
            .finish();
        let relay = rig.app.url(&format!("/igv/view?{query}"));
        let direct = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .get(&relay)
            .send()
            .await
            .expect("the relay answers");
        let location = direct.headers()["location"].to_str().unwrap().to_owned();
        assert_eq!(
            location,
            format!(
                "{}/execute?command={}",
                rig.igv.base_url(),
                command.command_line().replace(' ', "%20")
            )
        );
        rig.browser
            .goto(&relay)
            .await
            .expect("send the view command");
        // Every HTTP request makes IGV toggle its window's always-on-top flag
        // (CommandListener.processGet), which recreates the window's buffer
        // strategy; a repaint running at that moment throws an NPE in AWT
        // that IGV reports in a "Message" dialog (seen under Xvfb with
        // requests milliseconds apart). A person clicks links seconds apart;
        // the test leaves IGV a moment to repaint before the next request.
        tokio::time::sleep(Duration::from_millis(300)).await;
        // IGV answers /execute only after running the command; a read-back is
        // queued behind it on IGV's single listener.
        let xml = rig.igv.session_xml().await;
        let (track, render) = alignment_track_tags(&xml);
        let effect = match command {
            ViewCommand::Group(by) => {
                render.contains(&format!("groupByOption=\"{}\"", by.igv_name()))
            }
            ViewCommand::Color(by) => {
                render.contains(&format!("colorOption=\"{}\"", by.igv_name()))
            }
            // IGV leaves the default mode, COLLAPSED, out of the session.
            ViewCommand::Display(DisplayMode::Collapsed) => !track.contains("displayMode="),
            ViewCommand::Display(mode) => {
                track.contains(&format!("displayMode=\"{}\"", mode.igv_name()))
            }
            ViewCommand::ViewAsPairs(on) => render.contains("viewPairs=\"true\"") == *on,
            // IGV 2.16 keeps no record of a sort; the snapshots below show it.
            ViewCommand::Sort { .. } => true,
        };
        assert!(
            effect,
            "{}: no effect in the session: {track} {render}",
            command.command_line()
        );
        if let ViewCommand::Sort { by, .. } = command {
            // Compared as booleans: a failed assert must not print two PNGs.
            let same = rig.igv.snapshot_png().await == sorted_by_base;
            match by {
                SortBy::Base => assert!(same, "sort base again changed the view"),
                // The reads over chr1:3000 have three mapping qualities.
                SortBy::Quality => assert!(!same, "sort quality did not reorder the reads"),
                _ => {}
            }
        }
        if let Err(report) = rig.igv.check_no_dialogs() {
            panic!(
                "after {}: {report}\nIGV's log:\n{}",
                command.command_line(),
                procs::tail(&rig.igv.dir().join("logs/igv.log"), 40)
            );
        }
        assert!(
            rig.igv.http_alive().await,
            "{}: IGV's listener stopped answering",
            command.command_line()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
        VIEW_CHECKED.fetch_add(1, Ordering::Relaxed);
    }
    let checked = VIEW_CHECKED.load(Ordering::Relaxed);
    eprintln!("e2e: {checked} view commands checked against real IGV");
    record_view_commands(checked);
    // Leave the shared IGV as other tests expect it: no alignment track.
    assert_eq!(rig.igv.batch("new").await.expect("new session"), "OK");
    rig.finish().await;
}
