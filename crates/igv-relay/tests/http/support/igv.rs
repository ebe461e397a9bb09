//! A real IGV desktop (Debian's `igv` 2.16) under Xvfb, for end-to-end tests.
//!
//! Everything here follows `/work/shared/reference/igv-e2e.md` ("e2e") and `igv-port.md`
//! ("port"); the section cited next to a quirk is where it was observed.
//!
//! Use [`TestIgv::shared`] in tests: one IGV per test binary (start-up costs 3-5 s), handed
//! out to one test at a time, because IGV's command port is single-threaded (port §1) and a
//! test that moves the view must not race another. [`TestIgv::start`] gives a private
//! instance that is stopped when dropped.
//!
//! The IGV methods that talk to the port are `async`: they run the blocking socket exchange
//! on tokio's blocking pool, so a test's own servers (which IGV may have to fetch from, e.g.
//! for `load http://...`) keep running on the test's runtime meanwhile.

use std::collections::HashSet;
use std::fs;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Once, PoisonError, TryLockError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::procs;

/// The generated genome: name and length of each chromosome. The last one is named
/// like an hg38 alt contig (hg38's is 4,795,265 bp), so a page checked against
/// igv-relay's hg38 table can send it to this IGV (tests/http/e2e/).
pub const TINY_GENOME: &[(&str, u64)] = &[
    ("chr1", 50_000),
    ("chr2", 20_000),
    ("chr3", 10_000),
    ("chr6_GL000251v2_alt", 8_000),
];

/// The locus passed with `-l`. IGV's start-up thread applies it last, after the genome load
/// that resets the view to "All" (e2e §2, "Start-up race"), so seeing it means start-up is over.
pub const HOME_LOCUS: &str = "chr1:1-100";

const IGV_JAR: &str = "/usr/share/java/igv.jar";

/// Titles of the modal JOptionPanes IGV can raise (e2e §3, "Modal-dialog trap").
const DIALOG_TITLES: &str = "^(Message|Error|Warning|Information|Confirm|Select an Option|Input)$";

const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);
/// A batch command that throws never gets a reply line (e2e §3, "Batch"), so every read has a
/// timeout; 30 s is the reference's workable default.
const BATCH_TIMEOUT: Duration = Duration::from_secs(30);
/// For probes that only check whether IGV answers at all.
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);
const WATCHDOG_PERIOD: Duration = Duration::from_millis(300);

/// A running IGV desktop with its own Xvfb, home directory, prefs, genome and command port.
pub struct TestIgv {
    id: String,
    tmp: tempfile::TempDir,
    port: PortClient,
    display: String,
    started_in: Duration,
    xvfb: Child,
    java: Option<Child>,
    watchdog: Option<Watchdog>,
    dialogs: Arc<Mutex<Vec<String>>>,
}

impl TestIgv {
    /// Starts a private IGV, or returns `None` (after saying why on stderr) when IGV, Java,
    /// Xvfb or xdotool is not installed. With `CI=true` a missing tool panics instead.
    /// Panics, with a screenshot and the log tail, if IGV does not become ready in 60 s.
    pub fn start() -> Option<TestIgv> {
        let missing = procs::missing_tools(&["igv", "java", "Xvfb", "xdotool"]);
        if !missing.is_empty() {
            return procs::skip(
                "IGV end-to-end test",
                &format!("{missing} not found on PATH"),
            );
        }
        if !Path::new(IGV_JAR).is_file() {
            return procs::skip("IGV end-to-end test", &format!("{IGV_JAR} is missing"));
        }
        let screenshot_tools = procs::missing_tools(&["xwd", "xwdtopnm", "pnmtopng"]);
        if !screenshot_tools.is_empty() {
            eprintln!("e2e harness: {screenshot_tools} not found; IGV screenshots are disabled");
        }
        Some(Self::launch(procs::free_port()))
    }

    /// Like [`Self::start`], on a given port: for a test that first sees the browser fail
    /// with nothing listening there, then starts IGV where the user's links point.
    pub fn start_on(port: u16) -> Option<TestIgv> {
        let missing = procs::missing_tools(&["igv", "java", "Xvfb", "xdotool"]);
        if !missing.is_empty() {
            return procs::skip(
                "IGV end-to-end test",
                &format!("{missing} not found on PATH"),
            );
        }
        Some(Self::launch(port))
    }

    /// Hands out the IGV shared by all tests of this test binary, starting it on first use
    /// (and again if it stopped answering). Blocks while another test holds it: tests that
    /// use IGV run one at a time whatever `--test-threads` says.
    ///
    /// Each lease starts at [`HOME_LOCUS`], and its [`IgvLease::dialogs`] lists only the
    /// dialogs raised during the lease.
    ///
    /// The shared IGV lives in a `static`, which Rust never drops. It is stopped by an
    /// `atexit` handler when the test binary exits normally (libtest exits through `exit(3)`,
    /// also when tests failed), and by the reaper in [`procs`] when it does not (a signal,
    /// `_exit`, an abort).
    pub fn shared() -> Option<IgvLease> {
        let turn = Turn::take();
        let mut slot = lock(&SHARED);
        if let Some(igv) = slot.as_ref()
            && !igv.port.http_alive()
        {
            eprintln!("e2e harness: the shared IGV stopped answering; starting a new one");
            *slot = None; // Drop stops it.
        }
        if slot.is_none() {
            // One failed start fails every later test at once, instead of each of them
            // waiting out its own start-up timeout.
            if let Some(failure) = lock(&SHARED_START_FAILED).as_ref() {
                panic!("the shared IGV failed to start earlier in this test binary:\n{failure}");
            }
            let started = std::panic::catch_unwind(TestIgv::start).unwrap_or_else(|panic| {
                let message = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                *lock(&SHARED_START_FAILED) = Some(message);
                std::panic::resume_unwind(panic)
            });
            *slot = Some(Arc::new(started?));
            stop_shared_at_exit();
        }
        let igv = Arc::clone(slot.as_ref()?);
        drop(slot);
        igv.port
            .goto(HOME_LOCUS)
            .unwrap_or_else(|e| panic!("shared IGV: goto home: {e}"));
        let dialogs_before = lock(&igv.dialogs).len();
        Some(IgvLease {
            dialogs_before,
            igv,
            _turn: turn,
        })
    }

    /// The command port (never 60151).
    pub fn port(&self) -> u16 {
        self.port.port
    }

    /// `http://127.0.0.1:<port>`, the base a relay under test should redirect to.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port.port)
    }

    /// The chromosomes of the generated genome.
    pub fn chromosomes(&self) -> &[(&str, u64)] {
        TINY_GENOME
    }

    pub fn fasta_path(&self) -> PathBuf {
        self.tmp.path().join("genome/tiny.fa")
    }

    pub fn fai_path(&self) -> PathBuf {
        self.tmp.path().join("genome/tiny.fa.fai")
    }

    /// IGV's work directory (home, prefs, genome, logs). Removed when this IGV is stopped.
    pub fn dir(&self) -> &Path {
        self.tmp.path()
    }

    /// The marker its processes carry in [`procs::ID_ENV`].
    pub fn instance_id(&self) -> &str {
        &self.id
    }

    /// The X display IGV runs on, e.g. `:3`.
    pub fn display(&self) -> &str {
        &self.display
    }

    /// The pids of the processes this instance started (Xvfb, java).
    pub fn pids(&self) -> Vec<u32> {
        std::iter::once(self.xvfb.id())
            .chain(self.java.as_ref().map(Child::id))
            .collect()
    }

    /// How long start-up took, until the verified goto.
    pub fn started_in(&self) -> Duration {
        self.started_in
    }

    /// How many exchanges with IGV's port (batch connections and HTTP requests) the harness
    /// has made; the browser's own requests are not counted.
    pub fn round_trips(&self) -> usize {
        self.port.exchanges.load(Ordering::Relaxed)
    }

    /// Sends one batch command over a fresh connection and returns IGV's reply line. Fails
    /// after 30 s without a reply: a command that throws gets none (e2e §3).
    pub async fn batch(&self, command: &str) -> io::Result<String> {
        if command.contains(['\n', '\r']) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "one batch command per call: IGV runs every line as its own command",
            ));
        }
        let command = command.to_owned();
        self.blocking(move |port| {
            port.exchange(&[command], BATCH_TIMEOUT)
                .map(|mut replies| replies.remove(0))
        })
        .await
    }

    /// Moves IGV with a batch `goto` and panics unless IGV answers `OK`. Batch mode never
    /// shows the "Cannot find feature or locus" dialog and answers `OK` even for a bad locus
    /// (e2e §7, items 1 and 10), so check the result with [`Self::current_locus`].
    pub async fn goto(&self, locus: &str) {
        let locus = locus.to_owned();
        self.blocking(move |port| port.goto(&locus))
            .await
            .unwrap_or_else(|e| panic!("IGV batch goto: {e}"));
    }

    /// The locus IGV shows, as `chr1:1001-2000` (1-based, no commas), `chr2` (a whole
    /// chromosome), `All`, or `chr1:100-200 | chr2:300-400` (split screen). Read from the file
    /// name of a batch `snapshot` (e2e §3, "Reading back the current locus").
    pub async fn current_locus(&self) -> String {
        self.blocking(|port| port.read_locus(BATCH_TIMEOUT))
            .await
            .unwrap_or_else(|e| panic!("reading IGV's locus back failed: {e}"))
    }

    /// Polls [`Self::current_locus`] for up to 15 s until it equals `expected`, and returns the
    /// last locus seen. IGV moves before it answers `/goto` (e2e §4), but the browser side of a
    /// WebDriver click may return before its navigation has reached IGV, and an IGV started a
    /// moment ago, beside a dozen other end-to-end tests on two cores, took over 5 s for its
    /// first command once in CI. Only the time to wait grows: the locus must still be the one.
    pub async fn wait_for_locus(&self, expected: &str) -> String {
        let expected = expected.to_owned();
        self.blocking(move |port| {
            let mut last = String::new();
            procs::poll(Duration::from_secs(15), Duration::from_millis(100), || {
                last = port
                    .read_locus(BATCH_TIMEOUT)
                    .unwrap_or_else(|e| panic!("reading IGV's locus back failed: {e}"));
                (last == expected).then_some(())
            });
            last
        })
        .await
    }

    /// The `path` of every `<Resource>` in a `saveSession` of the current session: the tracks
    /// loaded, e.g. by `/load` (e2e §3, "Reading back the current locus", item 2). Local
    /// paths come back absolute (IGV saves them relative to the session file); URLs as saved.
    pub async fn loaded_tracks(&self) -> Vec<String> {
        self.blocking(|port| port.loaded_tracks())
            .await
            .unwrap_or_else(|e| panic!("saveSession failed: {e}"))
    }

    /// The XML of a `saveSession` of the current session: the genome, the locus, and each
    /// The XML of a `saveSession` of the current session, as IGV writes it.
    pub async fn saved_session(&self) -> String {
        self.session_xml().await
    }

    /// track's display mode and alignment render options (port §6.4).
    pub async fn session_xml(&self) -> String {
        self.blocking(|port| port.session_xml())
            .await
            .unwrap_or_else(|e| panic!("saveSession failed: {e}"))
    }

    /// The genome IGV shows: the `genome` attribute of a `saveSession`, made absolute (IGV
    /// writes a local genome path relative to the session file).
    pub async fn current_genome(&self) -> String {
        let xml = self.session_xml().await;
        let genome = xml
            .split_once("<Session genome=\"")
            .and_then(|(_, rest)| rest.split_once('"'))
            .map(|(g, _)| unescape_xml(g))
            .unwrap_or_else(|| panic!("no genome in the session: {xml}"));
        let dir = self.port.session_file.parent().unwrap_or(Path::new("/"));
        if genome.contains("://") || Path::new(&genome).is_absolute() || !genome.contains('/') {
            genome
        } else {
            normalise(&dir.join(&genome)).display().to_string()
        }
    }

    /// A PNG of IGV's main panel as it is now (batch `snapshot <file>`): to compare two views
    /// where IGV records nothing in a session, such as the order of sorted alignments.
    pub async fn snapshot_png(&self) -> Vec<u8> {
        self.blocking(|port| port.snapshot_png())
            .await
            .unwrap_or_else(|e| panic!("snapshot failed: {e}"))
    }

    /// Whether IGV's listener still answers HTTP (`/execute?command=echo`, 3 s timeout). A
    /// modal dialog blocks it; some bad requests kill it for good (port §5).
    pub async fn http_alive(&self) -> bool {
        self.blocking(|port| port.http_alive()).await
    }

    /// Sends `GET <target> HTTP/1.1` over a raw socket and returns the raw response. Raw,
    /// because IGV 2.16's 204 lacks the blank line that ends the headers and hyper/reqwest
    /// reject it with `IncompleteMessage` (e2e §3, "HTTP — exact answers").
    pub async fn http_get(&self, target: &str) -> io::Result<String> {
        let target = target.to_owned();
        self.blocking(move |port| port.http_get(&target, BATCH_TIMEOUT))
            .await
    }

    /// Every modal dialog the watchdog has clicked away since start: title, geometry, time
    /// and screenshot. Tests assert it is empty: a dialog means IGV was sent something it
    /// could not show.
    pub fn dialogs(&self) -> Vec<String> {
        lock(&self.dialogs).clone()
    }

    /// Panics, listing the dialogs and their screenshots, if [`Self::dialogs`] is not empty.
    pub fn assert_no_dialogs(&self) {
        if let Err(report) = check_no_dialogs(&self.dialogs()) {
            panic!("{report}");
        }
    }

    /// Like [`Self::assert_no_dialogs`], but returns the report instead of panicking.
    pub fn check_no_dialogs(&self) -> Result<(), String> {
        check_no_dialogs(&self.dialogs())
    }

    /// Saves a screenshot of the whole X display under `target/tmp/e2e-artifacts`.
    pub fn screenshot(&self, label: &str) -> Option<PathBuf> {
        screenshot(&self.display, &format!("{}-{label}", self.id))
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(PortClient) -> T + Send + 'static,
    ) -> T {
        let port = self.port.clone();
        match tokio::task::spawn_blocking(move || f(port)).await {
            Ok(value) => value,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => panic!("IGV call cancelled: {e}"),
        }
    }

    fn launch(port: u16) -> TestIgv {
        let started = Instant::now();
        let tmp = tempfile::Builder::new()
            .prefix("igv-")
            .tempdir_in(procs::run_root())
            .expect("create IGV's work directory");
        let dir = tmp.path().to_path_buf();
        // Batch commands are split on whitespace, so `snapshotDirectory <dir>` needs a
        // path without any.
        assert!(
            !dir.to_string_lossy().contains(char::is_whitespace),
            "the temporary directory {} contains whitespace; set TMPDIR to a path without",
            dir.display()
        );
        write_work_dir(&dir, port).expect("write IGV's work directory");
        let id = procs::new_instance_id("igv");
        let (xvfb, display) = start_xvfb(&id, &dir);

        let dialogs = Arc::new(Mutex::new(Vec::new()));
        let mut igv = TestIgv {
            port: PortClient {
                port,
                snap_dir: dir.join("run/snap"),
                session_file: dir.join("run/session.xml"),
                exchanges: Arc::new(AtomicUsize::new(0)),
                readback: Arc::new(Mutex::new(())),
            },
            display: display.clone(),
            started_in: Duration::ZERO,
            xvfb,
            java: None,
            // Before java: the low-memory warning is a dialog shown before the port opens
            // (e2e §2).
            watchdog: Some(Watchdog::start(
                display,
                id.clone(),
                Arc::clone(&dialogs),
                dir.join("dialogs.log"),
            )),
            dialogs,
            id,
            tmp,
        };
        igv.java = Some(igv.spawn_java());
        igv.wait_ready(started);
        igv.started_in = started.elapsed();
        eprintln!(
            "e2e harness: IGV ready in {:.1} s (port {}, DISPLAY {}, dir {})",
            igv.started_in.as_secs_f64(),
            igv.port.port,
            igv.display,
            igv.dir().display()
        );
        igv
    }

    fn spawn_java(&self) -> Child {
        let dir = self.dir();
        let log = fs::File::create(dir.join("logs/igv.log")).expect("create logs/igv.log");
        let mut cmd = Command::new("java");
        // The exact command line of e2e §2, plus -p (a free port, never 60151) and an en_US
        // locale: the snapshot name carries US thousands separators (port §6.4), which a
        // developer's de_DE locale would change.
        cmd.arg("-Xmx1g") // below ~512m the low-memory dialog blocks start-up (e2e §2)
            .arg(format!("-Dtest_igv.dir={}", dir.display()))
            .arg(format!("-Duser.home={}", dir.join("home").display()))
            .arg(format!(
                "-Djava.util.prefs.userRoot={}",
                dir.join("home/.java").display()
            ))
            .arg("-Duser.language=en")
            .arg("-Duser.country=US")
            .args(["-cp", IGV_JAR, "org.broad.igv.ui.Main"])
            .arg("--igvDirectory")
            .arg(dir.join("igv"))
            .arg("-g")
            .arg(self.fasta_path())
            .args(["-p", &self.port.port.to_string(), "-l", HOME_LOCUS])
            .env("DISPLAY", &self.display)
            .env("HOME", dir.join("home"))
            // A `snapshot` without a snapshotDirectory goes to the working directory
            // (port §6.4); keep it inside the work directory.
            .current_dir(dir.join("home"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("clone log handle"))
            .stderr(log);
        procs::mark(&mut cmd, &self.id);
        cmd.spawn()
            .unwrap_or_else(|e| self.fail(&format!("cannot run java: {e}")))
    }

    fn wait_ready(&mut self, started: Instant) {
        let deadline = started + STARTUP_TIMEOUT;
        // 1. The port answers. It opens before the genome is loaded (e2e §2).
        loop {
            self.check_java_running();
            if let Ok(replies) = self.port.exchange(&["echo"], PROBE_TIMEOUT)
                && replies[0] == "echo"
            {
                break;
            }
            if Instant::now() > deadline {
                self.fail("the command port never answered `echo`");
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        // 2. The -l locus shows: the start-up genome load, which resets the view to "All",
        //    is over (e2e §2, "Start-up race").
        loop {
            self.check_java_running();
            let last = match self.port.read_locus(PROBE_TIMEOUT) {
                Ok(locus) if locus == HOME_LOCUS => break,
                other => other,
            };
            if Instant::now() > deadline {
                self.fail(&format!(
                    "IGV never showed the -l locus {HOME_LOCUS}; last read-back: {last:?}"
                ));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        // 3. The genome by path (by id it throws and never answers, e2e §2) is a no-op when
        //    already loaded; then one verified goto and back home.
        let genome = format!("genome {}", self.fasta_path().display());
        match self.port.exchange(&[genome], BATCH_TIMEOUT) {
            Ok(replies) if replies[0] == "OK" => {}
            other => self.fail(&format!("batch `genome` answered {other:?}")),
        }
        for locus in ["chr2:1001-2000", HOME_LOCUS] {
            let shown = self
                .port
                .goto(locus)
                .and_then(|()| self.port.read_locus(BATCH_TIMEOUT));
            if !matches!(&shown, Ok(l) if l == locus) {
                self.fail(&format!("batch goto {locus} read back as {shown:?}"));
            }
        }
    }

    fn check_java_running(&mut self) {
        if let Some(java) = self.java.as_mut()
            && let Ok(Some(status)) = java.try_wait()
        {
            self.fail(&format!("java exited during start-up ({status})"));
        }
    }

    /// Start-up failed: keep a screenshot and the logs (the work directory is removed when
    /// the unwinding drops `self`) and panic with them.
    fn fail(&self, what: &str) -> ! {
        let shot = self.screenshot("start-failure");
        let log = self.dir().join("logs/igv.log");
        let kept = procs::artifacts_dir().join(format!("{}-igv.log", self.id));
        let _ = fs::copy(&log, &kept);
        panic!(
            "IGV did not start: {what}\nscreenshot: {}\ndialogs: {:?}\nfull log: {}\n{}\n{}",
            shot.map_or("(none)".into(), |p| p.display().to_string()),
            self.dialogs(),
            kept.display(),
            // Without the harness's own polling, which would fill the tail.
            procs::tail_without(
                &log,
                40,
                &["[CommandListener] snapshot", "[CommandListener] echo"]
            ),
            procs::tail(&self.dir().join("logs/xvfb.log"), 10),
        );
    }
}

impl Drop for TestIgv {
    fn drop(&mut self) {
        // The watchdog first, so that it does not run xdotool against a dying X server.
        if let Some(watchdog) = self.watchdog.as_mut() {
            watchdog.stop();
        }
        let mut children: Vec<&mut Child> = self.java.iter_mut().collect();
        children.push(&mut self.xvfb);
        procs::stop_instance(&self.id, &mut children);
    }
}

static SHARED: Mutex<Option<Arc<TestIgv>>> = Mutex::new(None);
static SHARED_START_FAILED: Mutex<Option<String>> = Mutex::new(None);

fn stop_shared_at_exit() {
    static REGISTER: Once = Once::new();
    extern "C" fn stop_shared() {
        // Never unwind into libc, and never block the exit on a lock some stuck thread holds.
        let _ = std::panic::catch_unwind(|| {
            let igv = match SHARED.try_lock() {
                Ok(mut slot) => slot.take(),
                Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner().take(),
                Err(TryLockError::WouldBlock) => None,
            };
            // The last reference unless a lease is still out; then the reaper stops it.
            drop(igv);
        });
    }
    REGISTER.call_once(|| {
        // SAFETY: atexit only stores the function pointer; the handler cannot unwind.
        unsafe {
            libc::atexit(stop_shared);
        }
    });
}

/// One test's turn with the shared IGV (see [`TestIgv::shared`]). Derefs to [`TestIgv`].
pub struct IgvLease {
    igv: Arc<TestIgv>,
    dialogs_before: usize,
    _turn: Turn,
}

impl IgvLease {
    /// The dialogs clicked away during this lease (not those of earlier tests).
    pub fn dialogs(&self) -> Vec<String> {
        lock(&self.igv.dialogs)[self.dialogs_before..].to_vec()
    }

    /// Panics, listing the dialogs and their screenshots, if [`Self::dialogs`] is not empty.
    pub fn assert_no_dialogs(&self) {
        if let Err(report) = self.check_no_dialogs() {
            panic!("{report}");
        }
    }

    /// Like [`Self::assert_no_dialogs`], but returns the report instead of panicking.
    pub fn check_no_dialogs(&self) -> Result<(), String> {
        check_no_dialogs(&self.dialogs())
    }
}

impl Deref for IgvLease {
    type Target = TestIgv;

    fn deref(&self) -> &TestIgv {
        &self.igv
    }
}

/// The right to use the shared IGV. A flag and a condvar rather than a held `MutexGuard`:
/// the lease lives across `.await`s, and a panicking test must release it without
/// poisoning anything for the next test.
struct Turn;

static TURN_TAKEN: Mutex<bool> = Mutex::new(false);
static TURN_FREED: Condvar = Condvar::new();

impl Turn {
    fn take() -> Turn {
        let mut taken = lock(&TURN_TAKEN);
        while *taken {
            taken = TURN_FREED
                .wait(taken)
                .unwrap_or_else(PoisonError::into_inner);
        }
        *taken = true;
        Turn
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        *lock(&TURN_TAKEN) = false;
        TURN_FREED.notify_one();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn check_no_dialogs(dialogs: &[String]) -> Result<(), String> {
    if dialogs.is_empty() {
        return Ok(());
    }
    Err(format!(
        "IGV showed {} modal dialog(s), so it was sent something it could not show:\n{}",
        dialogs.len(),
        dialogs.join("\n")
    ))
}

/// The blocking client for IGV's port. Cheap to clone into `spawn_blocking`.
#[derive(Clone)]
struct PortClient {
    port: u16,
    snap_dir: PathBuf,
    session_file: PathBuf,
    exchanges: Arc<AtomicUsize>,
    /// Read-backs share `snap_dir`, so two at once (e.g. from `join!`) would mix up files.
    readback: Arc<Mutex<()>>,
}

impl PortClient {
    /// One batch connection: send `commands`, read one reply line each, close. A fresh
    /// connection per exchange, because an open batch connection blocks every HTTP request,
    /// the browser's redirect included (e2e §3, "Batch").
    fn exchange(&self, commands: &[impl AsRef<str>], timeout: Duration) -> io::Result<Vec<String>> {
        self.exchanges.fetch_add(1, Ordering::Relaxed);
        let stream = self.connect(timeout)?;
        let mut request = String::new();
        for command in commands {
            request.push_str(command.as_ref());
            request.push('\n');
        }
        (&stream).write_all(request.as_bytes())?;
        let mut reader = BufReader::new(&stream);
        let mut replies = Vec::with_capacity(commands.len());
        for command in commands {
            let mut line = String::new();
            if reader.read_line(&mut line)? == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!(
                        "IGV closed the connection without answering `{}`",
                        command.as_ref()
                    ),
                ));
            }
            replies.push(line.trim_end_matches(['\r', '\n']).to_owned());
        }
        // IGV never closes a batch connection itself (e2e §3); we must.
        let _ = stream.shutdown(std::net::Shutdown::Both);
        Ok(replies)
    }

    fn goto(&self, locus: &str) -> io::Result<()> {
        let reply = self
            .exchange(&[format!("goto {locus}")], BATCH_TIMEOUT)?
            .remove(0);
        if reply == "OK" {
            Ok(())
        } else {
            Err(io::Error::other(format!(
                "`goto {locus}` answered {reply:?}"
            )))
        }
    }

    fn http_get(&self, target: &str, timeout: Duration) -> io::Result<String> {
        self.exchanges.fetch_add(1, Ordering::Relaxed);
        let mut stream = self.connect(timeout)?;
        // A complete request with its blank line: a header followed by EOF kills the
        // listener (port §5).
        write!(
            stream,
            "GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n",
            self.port
        )?;
        let mut response = Vec::new();
        // IGV closes after one response; that close, not a Content-Length or blank line, ends
        // a 204 from 2.16.
        stream.read_to_end(&mut response)?;
        Ok(String::from_utf8_lossy(&response).into_owned())
    }

    fn http_alive(&self) -> bool {
        self.http_get("/execute?command=echo", PROBE_TIMEOUT)
            .is_ok_and(|r| r.starts_with("HTTP/1.1 200") && r.trim_end().ends_with("echo"))
    }

    fn read_locus(&self, timeout: Duration) -> io::Result<String> {
        let _one_at_a_time = lock(&self.readback);
        clear_dir(&self.snap_dir)?;
        let dir = self.snap_dir.display();
        let replies = self.exchange(
            &[format!("snapshotDirectory {dir}"), "snapshot".into()],
            timeout,
        )?;
        if replies[1] != "OK" {
            return Err(io::Error::other(format!(
                "`snapshot` answered {:?}",
                replies[1]
            )));
        }
        let png = procs::poll(Duration::from_secs(2), Duration::from_millis(20), || {
            fs::read_dir(&self.snap_dir)
                .ok()?
                .flatten()
                .map(|e| e.path())
                .find(|p| p.extension().is_some_and(|x| x == "png"))
        })
        .ok_or_else(|| io::Error::other(format!("`snapshot` wrote no PNG into {dir}")))?;
        let _ = fs::remove_file(&png);
        let name = png.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        Ok(locus_from_snapshot_name(name))
    }

    fn snapshot_png(&self) -> io::Result<Vec<u8>> {
        let _one_at_a_time = lock(&self.readback);
        clear_dir(&self.snap_dir)?;
        let file = self.snap_dir.join("view.png");
        // A file name is taken relative to the snapshotDirectory, which persists across
        // connections (port §6.4); an absolute one would be appended to it.
        let dir = self.snap_dir.display();
        let replies = self.exchange(
            &[
                format!("snapshotDirectory {dir}"),
                "snapshot view.png".into(),
            ],
            BATCH_TIMEOUT,
        )?;
        let reply = &replies[1];
        if reply != "OK" {
            return Err(io::Error::other(format!("`snapshot` answered {reply:?}")));
        }
        let bytes = procs::poll(Duration::from_secs(2), Duration::from_millis(20), || {
            fs::read(&file).ok().filter(|b| !b.is_empty())
        })
        .ok_or_else(|| io::Error::other(format!("`snapshot` wrote no {}", file.display())))?;
        let _ = fs::remove_file(&file);
        Ok(bytes)
    }

    fn session_xml(&self) -> io::Result<String> {
        let _ = fs::remove_file(&self.session_file);
        let command = format!("saveSession {}", self.session_file.display());
        let reply = self.exchange(&[command], BATCH_TIMEOUT)?.remove(0);
        if reply != "OK" {
            return Err(io::Error::other(format!(
                "`saveSession` answered {reply:?}"
            )));
        }
        let xml = fs::read_to_string(&self.session_file)?;
        let _ = fs::remove_file(&self.session_file);
        Ok(xml)
    }

    fn loaded_tracks(&self) -> io::Result<Vec<String>> {
        let _ = fs::remove_file(&self.session_file);
        let command = format!("saveSession {}", self.session_file.display());
        let reply = self.exchange(&[command], BATCH_TIMEOUT)?.remove(0);
        if reply != "OK" {
            return Err(io::Error::other(format!(
                "`saveSession` answered {reply:?}"
            )));
        }
        let xml = fs::read_to_string(&self.session_file)?;
        let _ = fs::remove_file(&self.session_file);
        // IGV writes local paths relative to the session file; hand them back absolute.
        let session_dir = self.session_file.parent().unwrap_or(Path::new("/"));
        Ok(resource_paths(&xml)
            .into_iter()
            .map(|path| {
                if path.contains("://") || Path::new(&path).is_absolute() {
                    path
                } else {
                    normalise(&session_dir.join(&path)).display().to_string()
                }
            })
            .collect())
    }

    fn connect(&self, timeout: Duration) -> io::Result<TcpStream> {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        let stream = TcpStream::connect_timeout(&addr, timeout)?;
        stream.set_read_timeout(Some(timeout))?;
        stream.set_write_timeout(Some(timeout))?;
        Ok(stream)
    }
}

/// Turns the name IGV gives a `snapshot` without a file name back into a locus. IGV writes
/// its locus box with `:` and `-` replaced by `_`, with US thousands separators, and split
/// screens joined by " | " (port §6.4): `chr1_1,001_2,000.png` -> `chr1:1001-2000`,
/// `chr2.png` -> `chr2`, `All.png` -> `All`.
pub fn locus_from_snapshot_name(file_name: &str) -> String {
    fn is_number(s: &str) -> bool {
        s.starts_with(|c: char| c.is_ascii_digit())
            && s.chars().all(|c| c.is_ascii_digit() || c == ',')
    }
    let stem = file_name.strip_suffix(".png").unwrap_or(file_name);
    stem.split(" | ")
        .map(|part| {
            // From the right: a chromosome name may itself contain `_`.
            let mut fields = part.rsplitn(3, '_');
            match (fields.next(), fields.next(), fields.next()) {
                (Some(end), Some(start), Some(chr)) if is_number(start) && is_number(end) => {
                    format!("{chr}:{}-{}", start.replace(',', ""), end.replace(',', ""))
                }
                _ => part.to_owned(),
            }
        })
        .collect::<Vec<_>>()
        .join(" | ")
}

/// The `path` attribute of every `<Resource>` element of a saved IGV session.
pub fn resource_paths(session_xml: &str) -> Vec<String> {
    session_xml
        .split("<Resource")
        .skip(1)
        .filter(|rest| rest.starts_with(char::is_whitespace))
        .filter_map(|rest| {
            let tag = &rest[..rest.find('>')?];
            let value = tag.split_once(" path=\"")?.1;
            Some(unescape_xml(&value[..value.find('"')?]))
        })
        .collect()
}

/// Resolves `.` and `..` without touching the file system.
fn normalise(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

fn unescape_xml(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

fn clear_dir(dir: &Path) -> io::Result<()> {
    fs::create_dir_all(dir)?;
    for entry in fs::read_dir(dir)? {
        fs::remove_file(entry?.path())?;
    }
    Ok(())
}

/// Writes the work directory of e2e §6: `genome/` (tiny.fa, .fai, genomes.tsv, an empty
/// data registry), `igv/` (prefs.properties, oauth-config.json), `home/`, `logs/`, `run/`.
fn write_work_dir(dir: &Path, port: u16) -> io::Result<()> {
    for sub in ["genome", "igv", "home/.java", "logs", "run/snap"] {
        fs::create_dir_all(dir.join(sub))?;
    }
    let genome = dir.join("genome");
    let fasta = genome.join("tiny.fa");
    let (fa, fai) = tiny_genome();
    fs::write(&fasta, fa)?;
    fs::write(genome.join("tiny.fa.fai"), fai)?;
    // The "genome server" list and the data registry, local so that IGV looks nothing up.
    fs::write(
        genome.join("genomes.tsv"),
        format!("tiny\t{}\ttiny\n", fasta.display()),
    )?;
    fs::write(genome.join("empty-registry.txt"), "")?;
    // IGV rewrites this file on exit (port §6.2); it is only ever written before start.
    let prefs = [
        "PORT_ENABLED=true".to_owned(),
        format!("PORT_NUMBER={port}"),
        // The default genome would be hg19, a download.
        format!("DEFAULT_GENOME_KEY={}", fasta.display()),
        format!(
            "IGV.genome.sequence.dir={}",
            genome.join("genomes.tsv").display()
        ),
        format!(
            "MASTER_RESOURCE_FILE_KEY={}",
            genome.join("empty-registry.txt").display()
        ),
        // Otherwise the first `genome` command blocks on a "could not connect" dialog.
        "SHOW_GENOME_SERVER_WARNING=false".to_owned(),
        "AUTO_UPDATE_GENOMES=false".to_owned(),
        "PROXY.DISABLE_CHECK=true".to_owned(),
    ];
    fs::write(dir.join("igv/prefs.properties"), prefs.join("\n") + "\n")?;
    // Without it IGV fetches its OAuth config from s3.amazonaws.com while building the menu
    // bar (e2e §2); a dummy Google provider keeps start-up off the network.
    let oauth = serde_json::json!({
        "installed": {
            "client_id": "igv-relay-e2e.apps.googleusercontent.com",
            "client_secret": "not-a-secret",
            "project_id": "igv-relay-e2e",
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": "https://oauth2.googleapis.com/token",
        }
    });
    fs::write(dir.join("igv/oauth-config.json"), oauth.to_string())
}

/// The tiny genome: deterministic pseudo-random ACGT, 60 bases a line, and its `.fai`
/// (`name length offset 60 61`, as `samtools faidx` writes it).
pub fn tiny_genome() -> (String, String) {
    pseudo_random_genome(TINY_GENOME, 0x9E37_79B9_7F4A_7C15)
}

/// A FASTA of `sequences` (name, length) in pseudo-random ACGT from `seed`, 60
/// bases a line, and its `.fai`. Tests that need a second genome pass another
/// seed and other names.
pub fn pseudo_random_genome(sequences: &[(&str, u64)], seed: u64) -> (String, String) {
    let mut fasta = String::new();
    let mut fai = String::new();
    let mut state = seed;
    for &(name, len) in sequences {
        fasta.push_str(&format!(">{name}\n"));
        fai.push_str(&format!("{name}\t{len}\t{}\t60\t61\n", fasta.len()));
        for i in 1..=len {
            // xorshift64: no dependency, same sequence on every machine.
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            fasta.push(['A', 'C', 'G', 'T'][(state >> 62) as usize]);
            if i % 60 == 0 || i == len {
                fasta.push('\n');
            }
        }
    }
    (fasta, fai)
}

/// Starts `Xvfb -displayfd`, which picks a free display itself, so it never collides with
/// another Xvfb (e2e §6). The display number arrives on stdout (fd 1).
fn start_xvfb(id: &str, dir: &Path) -> (Child, String) {
    let log_path = dir.join("logs/xvfb.log");
    let log = fs::File::create(&log_path).expect("create logs/xvfb.log");
    let mut cmd = Command::new("Xvfb");
    cmd.args([
        "-displayfd",
        "1",
        "-screen",
        "0",
        "1280x1024x24",
        "-nolisten",
        "tcp",
        "-noreset",
    ])
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(log);
    procs::mark(&mut cmd, id);
    let mut xvfb = cmd.spawn().expect("run Xvfb");
    let stdout = xvfb.stdout.take().expect("Xvfb stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        let _ = reader.read_line(&mut line);
        let _ = tx.send(line);
        // Keep draining, so that Xvfb never writes into a closed pipe.
        let _ = io::copy(&mut reader, &mut io::sink());
    });
    match rx.recv_timeout(Duration::from_secs(20)) {
        Ok(line) if line.trim().parse::<u32>().is_ok() => (xvfb, format!(":{}", line.trim())),
        other => {
            procs::stop_instance(id, &mut [&mut xvfb]);
            panic!(
                "Xvfb did not report a display ({other:?})\n{}",
                procs::tail(&log_path, 20)
            );
        }
    }
}

/// Runs an X client against `display` and returns its stdout if it succeeded.
fn x_tool(display: &str, program: &str, args: &[&str]) -> Option<String> {
    let output = Command::new(program)
        .args(args)
        .env("DISPLAY", display)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Saves a PNG of the whole display as `target/tmp/e2e-artifacts/<name>.png`.
fn screenshot(display: &str, name: &str) -> Option<PathBuf> {
    let path = procs::artifacts_dir().join(format!("{name}.png"));
    let script = r#"xwd -root -silent -display "$1" | xwdtopnm 2>/dev/null | pnmtopng > "$2""#;
    let path_arg = path.to_str()?;
    x_tool(
        display,
        "sh",
        &["-c", script, "screenshot", display, path_arg],
    )?;
    fs::metadata(&path)
        .is_ok_and(|m| m.len() > 0)
        .then_some(path)
}

/// Clicks IGV's modal dialogs away and records them (e2e §3, "Modal-dialog trap"). Keys do
/// not reach the dialog and `windowactivate` fails without a window manager; an XTEST click
/// on OK, bottom-centre 26 px above the lower edge, closes it, and the blocked port resumes.
struct Watchdog {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Watchdog {
    fn start(
        display: String,
        id: String,
        dialogs: Arc<Mutex<Vec<String>>>,
        log: PathBuf,
    ) -> Watchdog {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name(format!("{id}-dialog-watchdog"))
            .spawn(move || {
                let started = Instant::now();
                let mut seen = HashSet::new();
                while !stopped.load(Ordering::Relaxed) {
                    for window in find_dialogs(&display) {
                        let Some(ok_button) = ok_button(&display, &window) else {
                            continue;
                        };
                        if seen.insert(window.clone()) {
                            // Recorded before the click: the click releases the blocked
                            // request, and its sender may look at the record at once.
                            let entry = describe(&display, &id, &window, started);
                            eprintln!("WARNING: {entry}");
                            if let Ok(mut f) =
                                fs::OpenOptions::new().create(true).append(true).open(&log)
                            {
                                let _ = writeln!(f, "{entry}");
                            }
                            lock(&dialogs).push(entry);
                        }
                        let (x, y) = (ok_button.0.to_string(), ok_button.1.to_string());
                        x_tool(&display, "xdotool", &["mousemove", &x, &y, "click", "1"]);
                    }
                    std::thread::sleep(WATCHDOG_PERIOD);
                }
            })
            .expect("start the dialog watchdog thread");
        Watchdog {
            stop,
            thread: Some(thread),
        }
    }

    fn stop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn find_dialogs(display: &str) -> Vec<String> {
    x_tool(
        display,
        "xdotool",
        &["search", "--onlyvisible", "--name", DIALOG_TITLES],
    )
    .map(|out| out.lines().map(str::to_owned).collect())
    .unwrap_or_default()
}

/// Where the OK button of dialog `window` is: bottom-centre, 26 px above the lower edge.
fn ok_button(display: &str, window: &str) -> Option<(i64, i64)> {
    let (x, y, w, h) = geometry(display, window)?;
    Some((x + w / 2, y + h - 26))
}

fn geometry(display: &str, window: &str) -> Option<(i64, i64, i64, i64)> {
    let shell = x_tool(
        display,
        "xdotool",
        &["getwindowgeometry", "--shell", window],
    )?;
    let field = |key: &str| -> Option<i64> {
        shell
            .lines()
            .find_map(|l| l.strip_prefix(key)?.strip_prefix('=')?.trim().parse().ok())
    };
    Some((field("X")?, field("Y")?, field("WIDTH")?, field("HEIGHT")?))
}

/// What the dialog record says: title, geometry, when, and a screenshot of the display.
fn describe(display: &str, id: &str, window: &str, started: Instant) -> String {
    let title = x_tool(display, "xdotool", &["getwindowname", window]).unwrap_or_default();
    let place =
        geometry(display, window).map_or("?".into(), |(x, y, w, h)| format!("{w}x{h} at {x},{y}"));
    let shot = screenshot(display, &format!("{id}-dialog-{window}"));
    format!(
        "IGV dialog {:?} ({place}) clicked away {:.1} s after start; screenshot: {}",
        title.trim(),
        started.elapsed().as_secs_f64(),
        shot.map_or("(none)".into(), |p| p.display().to_string()),
    )
}
