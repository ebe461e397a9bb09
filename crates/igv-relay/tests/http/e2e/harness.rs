//! Self-test of the end-to-end harness (tests/http/support): real IGV under Xvfb, real headless
//! Chromium and Firefox ESR, a tiny redirect server inside the test. Run serially:
//! `cargo test --test http -- e2e::harness --test-threads=1` (the IGV tests serialise themselves on
//! the shared IGV anyway).
//!
//! Without IGV/Chromium installed the tests print "skipping: ..." and pass, except with
//! `CI=true`, where they fail.

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::browser::Browser;
use crate::support::igv::{self, TestIgv};
use crate::support::procs;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[test]
fn snapshot_names_read_back_as_loci() {
    for (name, locus) in [
        ("chr1_1,001_2,000.png", "chr1:1001-2000"),
        ("chr1_1_100.png", "chr1:1-100"),
        ("chr2.png", "chr2"),
        ("All.png", "All"),
        (
            "chr1_100_200 | chr2_300_400.png",
            "chr1:100-200 | chr2:300-400",
        ),
        ("chrUn_gl000220_1,001_2,000.png", "chrUn_gl000220:1001-2000"),
        ("chrUn_gl000220.png", "chrUn_gl000220"),
    ] {
        assert_eq!(igv::locus_from_snapshot_name(name), locus, "{name}");
    }
}

#[test]
fn session_resources_are_listed_by_path() {
    let xml = r#"<Session genome="/g/tiny.fa" locus="chr1:0-100">
        <Resources>
            <Resource name="a.bed" path="/data/a.bed" type="bed"/>
            <Resource path="http://h/x.bed?a=1&amp;b=2"/>
        </Resources><ResourcesNot path="/no"/></Session>"#;
    assert_eq!(
        igv::resource_paths(xml),
        ["/data/a.bed", "http://h/x.bed?a=1&b=2"]
    );
}

#[test]
fn tiny_genome_fai_points_at_each_sequence() {
    let (fasta, fai) = igv::tiny_genome();
    let lines: Vec<&str> = fai.lines().collect();
    assert_eq!(lines.len(), igv::TINY_GENOME.len());
    for (line, &(name, len)) in lines.iter().zip(igv::TINY_GENOME) {
        let fields: Vec<&str> = line.split('\t').collect();
        assert_eq!(fields[0], name);
        assert_eq!(fields[1].parse::<u64>().unwrap(), len);
        assert_eq!(&fields[3..], ["60", "61"]);
        let offset: usize = fields[2].parse().unwrap();
        assert!(
            fasta[..offset].ends_with(&format!(">{name}\n")),
            "{name} offset"
        );
        let bases: String = fasta[offset..]
            .lines()
            .take_while(|l| !l.starts_with('>'))
            .collect();
        assert_eq!(bases.len() as u64, len, "{name} length");
        assert!(bases.bytes().all(|b| b"ACGT".contains(&b)));
    }
    assert_eq!(igv::tiny_genome(), (fasta, fai), "deterministic");
}

/// The whole chain the relay relies on: a link on a page, a 303 to IGV's `/goto`, IGV moves,
/// the browser stays on the page (the 204 aborts the navigation).
#[tokio::test]
async fn link_through_303_moves_igv_and_browser_stays_on_page() {
    let Some(igv) = TestIgv::shared() else { return };
    let site = LinkSite::serve(Ipv4Addr::LOCALHOST.into(), igv.base_url()).await;
    let Some(browser) = Browser::start(&[]).await else {
        return;
    };
    let started = Instant::now();
    let round_trips_before = igv.round_trips();

    browser
        .goto(&site.url("/"))
        .await
        .expect("load the link page");
    let cases = [
        ("#c1", "chr1:1001-2000"),
        ("#c3", "chr3:101-200"),
        ("#l", "chr2:500-900"),
    ];
    for (link, locus) in cases {
        browser.click(link).await.expect("click the link");
        assert_eq!(
            igv.wait_for_locus(locus).await,
            locus,
            "after clicking {link}"
        );
        assert_eq!(
            browser.current_url().await.unwrap(),
            site.url("/"),
            "page left after {link}"
        );
    }
    assert!(browser.page_source().await.unwrap().contains("id=\"l\""));
    // Each click reached the redirect exactly once (no retries, no prefetch).
    assert_eq!(
        site.requests(),
        ["/", "/go/chr1:1001-2000", "/go/chr3:101-200", "/go"]
    );
    igv.assert_no_dialogs();
    assert!(igv.http_alive().await);
    println!(
        "{} browser -> 303 -> IGV round trips checked in {:.2} s ({} harness exchanges with IGV's port)",
        cases.len(),
        started.elapsed().as_secs_f64(),
        igv.round_trips() - round_trips_before
    );
    browser.close().await;
}

/// A page the browser counts as public (Local Network Access) may not fetch loopback, but a
/// top-level 303 to IGV still works (e2e §4). Also proves that extra Chromium flags arrive.
#[tokio::test]
async fn redirect_from_a_public_page_still_reaches_igv() {
    let Some(igv) = TestIgv::shared() else { return };
    let site = LinkSite::serve(Ipv4Addr::new(127, 0, 0, 2).into(), igv.base_url()).await;
    let public = format!("--ip-address-space-overrides={}=public", site.addr);
    let Some(browser) = Browser::start(&[&public]).await else {
        return;
    };
    // chromedriver's process group holds Chromium and its zygote children (which lose the
    // environment marker, see procs::stop_instance).
    let driver_group = browser.driver_pid() as i32;
    let chromium_processes: Vec<i32> = procs::marked_pids(procs::ID_ENV, browser.instance_id())
        .into_iter()
        .chain(procs::group_members(driver_group))
        .collect();
    assert!(chromium_processes.len() > 3, "{chromium_processes:?}");

    browser
        .goto(&site.url("/"))
        .await
        .expect("load the link page");
    browser.click("#l").await.expect("click the link");
    assert_eq!(igv.wait_for_locus("chr2:500-900").await, "chr2:500-900");
    igv.assert_no_dialogs();

    // Dropping without `close` must still stop chromedriver and every Chromium process.
    let id = browser.instance_id().to_owned();
    drop(browser);
    assert_eq!(procs::marked_pids(procs::ID_ENV, &id), Vec::<i32>::new());
    for pid in chromium_processes {
        assert!(!procs::alive(pid), "browser process {pid} survived Drop");
    }
}

/// The dialog detector can fail a test: an unknown locus over HTTP opens IGV's modal
/// "Cannot find feature or locus" dialog, which blocks the port until it is clicked away
/// (e2e §3, "Modal-dialog trap").
#[tokio::test]
async fn bad_http_goto_is_recorded_as_a_dialog_and_igv_recovers() {
    let Some(igv) = TestIgv::shared() else { return };
    let before = igv.current_locus().await;
    assert!(igv.dialogs().is_empty());

    let started = Instant::now();
    // Straight to IGV over a raw socket (reqwest rejects IGV's unterminated 204). The reply
    // only comes once the watchdog has clicked the dialog away.
    let response = igv
        .http_get("/goto?locus=chrZZ:1-100")
        .await
        .expect("IGV answers once the dialog is gone");
    let blocked_for = started.elapsed();
    assert!(response.starts_with("HTTP/1.1 204"), "{response:?}");

    let dialogs = igv.dialogs();
    assert_eq!(dialogs.len(), 1, "{dialogs:#?}");
    println!(
        "blocked {:.2} s by: {}",
        blocked_for.as_secs_f64(),
        dialogs[0]
    );
    // What `assert_no_dialogs` panics with: this test would fail.
    let report = igv.check_no_dialogs().expect_err("a dialog was recorded");
    assert!(
        report.contains("Message") && report.contains(".png"),
        "{report}"
    );

    assert!(igv.http_alive().await, "IGV answers again");
    assert_eq!(
        igv.current_locus().await,
        before,
        "a bad locus leaves the view"
    );
}

/// The read-back understands every form IGV's locus box takes (port §3, §6.4), and
/// `loaded_tracks` sees a `load`.
#[tokio::test]
async fn batch_gotos_read_back_in_every_form_and_loaded_tracks_are_listed() {
    let Some(igv) = TestIgv::shared() else { return };
    assert_eq!(
        igv.current_locus().await,
        igv::HOME_LOCUS,
        "a lease starts at home"
    );
    for (goto, shown) in [
        ("chr1:1,001-2,000", "chr1:1001-2000"),
        ("chr3:2000-3999", "chr3:2000-3999"),
        ("chr2", "chr2"),
        ("all", "All"),
        ("chr1:100-200 chr2:300-400", "chr1:100-200 | chr2:300-400"),
        ("chr1:1500", "chr1:1480-1519"),
    ] {
        igv.goto(goto).await;
        assert_eq!(igv.current_locus().await, shown, "goto {goto}");
    }

    let data = tempfile::tempdir().unwrap();
    let bed = data.path().join("features.bed");
    std::fs::write(&bed, "chr1\t100\t200\tfeatA\nchr2\t300\t400\tfeatB\n").unwrap();
    let bed = bed.display().to_string();
    assert_eq!(igv.batch(&format!("load {bed}")).await.unwrap(), "OK");
    let tracks = igv.loaded_tracks().await;
    assert!(tracks.contains(&bed), "{bed} not in {tracks:?}");
    // Leave the shared session as it was for the next test.
    assert_eq!(igv.batch("new").await.unwrap(), "OK");
    assert!(!igv.loaded_tracks().await.contains(&bed));

    assert!(
        igv.batch("echo\ngoto chr2").await.is_err(),
        "one command per call"
    );
    igv.assert_no_dialogs();
}

/// Firefox ESR through geckodriver follows the same 303 to IGV and stays on the page; when
/// the session ends, geckodriver and every Firefox process it started are gone.
#[tokio::test]
async fn firefox_follows_a_303_to_igv_and_its_processes_are_stopped() {
    let Some(igv) = TestIgv::shared() else { return };
    let site = LinkSite::serve(Ipv4Addr::LOCALHOST.into(), igv.base_url()).await;
    let Some(browser) = Browser::start_firefox(serde_json::json!({}), &[]).await else {
        return;
    };
    let id = browser.instance_id().to_owned();
    let marked = procs::marked_pids(procs::ID_ENV, &id);
    assert!(
        marked.len() >= 2,
        "geckodriver and Firefox carry the marker: {marked:?}"
    );
    browser
        .goto(&site.url("/"))
        .await
        .expect("load the link page");
    browser.click("#c3").await.expect("click the link");
    assert_eq!(igv.wait_for_locus("chr3:101-200").await, "chr3:101-200");
    assert_eq!(browser.current_url().await.unwrap(), site.url("/"));
    igv.assert_no_dialogs();
    browser.close().await;
    let gone = procs::poll(Duration::from_secs(10), Duration::from_millis(100), || {
        marked.iter().all(|&pid| !procs::alive(pid)).then_some(())
    });
    assert!(gone.is_some(), "{marked:?} survived the end of the session");
}

/// Dropping a private `TestIgv` stops its Xvfb and java.
#[test]
fn dropping_a_test_igv_stops_its_processes() {
    let Some(igv) = TestIgv::start() else { return };
    let pids = igv.pids();
    let id = igv.instance_id().to_owned();
    let dir = igv.dir().to_owned();
    assert_ne!(igv.port(), procs::IGV_DEFAULT_PORT);
    assert!(pids.iter().all(|&pid| procs::alive(pid as i32)));
    println!(
        "private IGV started in {:.1} s",
        igv.started_in().as_secs_f64()
    );
    drop(igv);
    assert!(
        pids.iter().all(|&pid| !procs::alive(pid as i32)),
        "{pids:?} survived Drop"
    );
    assert!(procs::marked_pids(procs::ID_ENV, &id).is_empty());
    assert!(!dir.exists(), "work directory removed");
}

/// The shared IGV lives in a `static` and is never dropped. When the test binary exits
/// normally, the atexit handler must stop it before the process is gone; when the binary is
/// killed, the reaper must. Runs this binary again with only the helper test below, once
/// each way.
#[test]
fn shared_igv_is_stopped_when_the_test_binary_exits() {
    let missing = procs::missing_tools(&["igv", "java", "Xvfb", "xdotool"]);
    if !missing.is_empty() {
        let _: Option<()> = procs::skip("exit clean-up test", &format!("{missing} not found"));
        return;
    }
    let (owner, pids) = run_helper("normal");
    let left: Vec<i32> = pids.iter().copied().filter(|&p| procs::alive(p)).collect();
    assert!(
        left.is_empty(),
        "after a normal exit, IGV processes {left:?} still run"
    );
    assert_run_root_removed(&owner);

    let (owner, pids) = run_helper("sigkill");
    let started = Instant::now();
    let stopped = procs::poll(Duration::from_secs(15), Duration::from_millis(50), || {
        let left = procs::marked_pids(procs::OWNER_ENV, &owner);
        (left.is_empty() && pids.iter().all(|&p| !procs::alive(p))).then_some(())
    });
    assert!(
        stopped.is_some(),
        "after SIGKILL, IGV processes {pids:?} still run"
    );
    println!(
        "reaper stopped a killed binary's IGV in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert_run_root_removed(&owner);
}

/// Runs `helper_holds_the_shared_igv` in a new process of this binary; returns that
/// process's pid and the pids of the IGV processes it started.
fn run_helper(exit: &str) -> (String, Vec<i32>) {
    let child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "e2e::harness::helper_holds_the_shared_igv",
            "--ignored",
            "--nocapture",
        ])
        .env("E2E_HELPER_EXIT", exit)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("rerun this test binary");
    let owner = child.id().to_string();
    let output = child.wait_with_output().unwrap();
    match exit {
        "sigkill" => assert_eq!(
            output.status.signal(),
            Some(libc::SIGKILL),
            "helper was not killed"
        ),
        _ => assert!(output.status.success(), "helper failed: {}", output.status),
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let pids: Vec<i32> = stdout
        .lines()
        .find_map(|l| l.strip_prefix("SHARED_IGV_PIDS="))
        .unwrap_or_else(|| {
            panic!(
                "helper ({exit}, {}) printed no pids:\n{stdout}",
                output.status
            )
        })
        .split(',')
        .map(|p| p.parse().unwrap())
        .collect();
    (owner, pids)
}

fn assert_run_root_removed(owner: &str) {
    let run_root = std::env::temp_dir().join(format!("igv-relay-e2e-{owner}"));
    let removed = procs::poll(Duration::from_secs(10), Duration::from_millis(50), || {
        (!run_root.exists()).then_some(())
    });
    assert!(removed.is_some(), "{} not removed", run_root.display());
}

#[test]
#[ignore = "helper: run by shared_igv_is_stopped_when_the_test_binary_exits"]
fn helper_holds_the_shared_igv() {
    let igv = TestIgv::shared().expect("IGV is installed");
    let pids: Vec<String> = igv.pids().iter().map(u32::to_string).collect();
    println!("SHARED_IGV_PIDS={}", pids.join(","));
    std::io::stdout().flush().unwrap();
    if std::env::var("E2E_HELPER_EXIT").as_deref() == Ok("sigkill") {
        // SAFETY: kill(2) on our own pid; nothing after it runs.
        unsafe {
            libc::kill(libc::getpid(), libc::SIGKILL);
        }
    }
}

/// A page with links whose targets answer `303 See Other` to IGV's `/goto`, like the relay.
struct LinkSite {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<String>>>,
}

impl LinkSite {
    async fn serve(ip: IpAddr, igv_base: String) -> LinkSite {
        let listener = TcpListener::bind((ip, 0))
            .await
            .expect("bind the link site");
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&requests);
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(answer(socket, igv_base.clone(), Arc::clone(&log)));
            }
        });
        LinkSite { addr, requests }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Request paths in arrival order, without the browser's favicon request.
    fn requests(&self) -> Vec<String> {
        let requests = self.requests.lock().unwrap();
        requests
            .iter()
            .filter(|p| *p != "/favicon.ico")
            .cloned()
            .collect()
    }
}

async fn answer(mut socket: TcpStream, igv_base: String, log: Arc<Mutex<Vec<String>>>) {
    let mut request = Vec::new();
    let mut buf = [0u8; 2048];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") && request.len() < 16 * 1024 {
        match socket.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => request.extend_from_slice(&buf[..n]),
        }
    }
    let head = String::from_utf8_lossy(&request);
    let path = head.split(' ').nth(1).unwrap_or("").to_owned();
    log.lock().unwrap().push(path.clone());
    let response = match path.as_str() {
        "/" => {
            let body = r#"<!doctype html><title>links</title>
<a id="l" href="/go">go</a>
<a id="c1" href="/go/chr1:1001-2000">chr1</a>
<a id="c3" href="/go/chr3:101-200">chr3</a>"#;
            format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )
        }
        "/go" => see_other(&format!("{igv_base}/goto?locus=chr2:500-900")),
        p if p.starts_with("/go/") => see_other(&format!("{igv_base}/goto?locus={}", &p[4..])),
        _ => "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_owned(),
    };
    let _ = socket.write_all(response.as_bytes()).await;
    let _ = socket.shutdown().await;
}

fn see_other(location: &str) -> String {
    format!(
        "HTTP/1.1 303 See Other\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
}
