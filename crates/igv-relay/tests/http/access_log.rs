//! The binary's access log: one line per request with the request's id,
//! held in a per-thread buffer of at most 64 KiB and written out within the
//! flush interval (`log.flush_ms`), when full, and when the server is stopped
//! (SIGTERM: graceful, SIGINT: forced), with none lost.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::procs;

const BIN: &str = env!("CARGO_BIN_EXE_igv-relay");

/// The service with its standard error collected line by line.
struct Server {
    child: Child,
    base: String,
    stderr: Arc<Mutex<Vec<String>>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The service logging in `format`, flushing every `flush_ms`.
fn serve(format: &str, flush_ms: u64) -> Server {
    let bind = format!("127.0.0.1:{}", procs::free_port());
    let mut child = Command::new(BIN)
        .args(["serve", "--bind", &bind])
        .env("IGV_RELAY__LOG__FORMAT", format)
        .env("IGV_RELAY__LOG__LEVEL", "info")
        .env("IGV_RELAY__LOG__FLUSH_MS", flush_ms.to_string())
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = Arc::new(Mutex::new(Vec::new()));
    let lines = stderr.clone();
    let pipe = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            lines.lock().unwrap().push(line);
        }
    });
    let base = format!("http://{bind}");
    let deadline = Instant::now() + Duration::from_secs(20);
    while reqwest::blocking::get(format!("{base}/healthz")).is_err() {
        assert!(Instant::now() < deadline, "{base} never answered");
        std::thread::sleep(Duration::from_millis(50));
    }
    Server {
        child,
        base,
        stderr,
    }
}

impl Server {
    /// `count` relay requests on one connection, each with its own id
    /// (`{tag}-0`, `{tag}-1`, …), in that order.
    fn relay_requests(&self, tag: &str, count: usize) -> Vec<String> {
        let client = reqwest::blocking::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        (0..count)
            .map(|i| {
                let id = format!("{tag}-{i}");
                let r = client
                    .get(format!(
                        "{}/igv/goto?locus=chr1:{}-100000",
                        self.base,
                        i + 1
                    ))
                    .header("x-request-id", &id)
                    .send()
                    .unwrap();
                assert_eq!(r.status().as_u16(), 303);
                assert_eq!(r.headers()["x-request-id"], id.as_str());
                id
            })
            .collect()
    }

    /// The ids of the access lines logged so far, in the order written.
    fn logged_ids(&self, format: &str) -> Vec<String> {
        let lines = self.stderr.lock().unwrap().clone();
        lines
            .iter()
            .filter(|l| l.contains("request finished") && l.contains("/igv/goto"))
            .map(|line| request_id_of(format, line))
            .collect()
    }

    fn signal(&mut self, signal: libc::c_int) {
        let pid = libc::pid_t::try_from(self.child.id()).unwrap();
        // SAFETY: kill(2) on the pid of the child this test started.
        assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.child.try_wait().unwrap().is_none() {
            assert!(Instant::now() < deadline, "the server did not stop");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn request_id_of(format: &str, line: &str) -> String {
    if format == "json" {
        let value: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        assert_eq!(value["fields"]["message"], "request finished", "{line}");
        assert_eq!(value["fields"]["status"], 303, "{line}");
        assert_eq!(value["spans"][0]["request_id"], value["span"]["request_id"]);
        value["span"]["request_id"].as_str().unwrap().to_owned()
    } else {
        let (_, rest) = line.split_once("request{request_id=").expect(line);
        let (id, rest) = rest.split_once("}: ").unwrap();
        assert!(
            rest.starts_with("igv_relay::middleware: request finished method=GET path=/igv/goto status=303 micros="),
            "{line}"
        );
        id.to_owned()
    }
}

/// Waits until `done` holds for the server's access lines, up to `limit`.
fn wait_for_ids(server: &Server, format: &str, limit: Duration, done: impl Fn(&[String]) -> bool) {
    let deadline = Instant::now() + limit;
    while !done(&server.logged_ids(format)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Long enough that only a full buffer or a stop writes lines out.
const NEVER_MS: u64 = 600_000;

#[test]
fn access_lines_come_out_within_the_flush_interval_in_order() {
    let server = serve("text", 100);
    for round in 0..2 {
        let sent = server.relay_requests(&format!("round{round}"), 200);
        // Written by the timer while the server keeps running; nothing else
        // is logged meanwhile. Generous for a loaded machine.
        wait_for_ids(&server, "text", Duration::from_secs(5), |ids| {
            ids.len() >= 200 * (round + 1)
        });
        let logged = server.logged_ids("text");
        assert_eq!(
            logged[200 * round..],
            sent,
            "one line per request, in order"
        );
    }
}

#[test]
fn a_full_buffer_is_written_out_and_the_rest_on_a_graceful_stop() {
    let mut server = serve("text", NEVER_MS);
    let sent = server.relay_requests("t", 1000);
    std::thread::sleep(Duration::from_millis(300));
    let before_stop = server.logged_ids("text");
    assert_eq!(
        before_stop,
        sent[..before_stop.len()],
        "whole batches, in order"
    );
    // About 170 bytes a line: at least two full 64 KiB batches are out, and
    // at most 64 KiB (under 400 lines) is still held.
    assert!(
        before_stop.len() >= 700,
        "{} lines written",
        before_stop.len()
    );
    assert!(before_stop.len() < 1000, "the rest is held until the stop");
    server.signal(libc::SIGTERM);
    wait_for_ids(&server, "text", Duration::from_secs(2), |ids| {
        ids.len() >= 1000
    });
    assert_eq!(server.logged_ids("text"), sent);
}

#[test]
fn json_lines_held_back_are_written_on_a_forced_stop() {
    let mut server = serve("json", NEVER_MS);
    let sent = server.relay_requests("j", 50);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(server.logged_ids("json"), Vec::<String>::new(), "held back");
    server.signal(libc::SIGINT);
    wait_for_ids(&server, "json", Duration::from_secs(2), |ids| {
        ids.len() >= 50
    });
    assert_eq!(server.logged_ids("json"), sent);
}
