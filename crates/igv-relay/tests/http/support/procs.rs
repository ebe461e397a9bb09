//! Process bookkeeping shared by [`super::igv`] and [`super::browser`]: finding tools, the
//! skip-or-fail rule, free ports, and, above all, making sure every process a test starts is
//! stopped again, even when the test panics or the test binary is killed.
//!
//! How processes are found again: every process the harness starts (Xvfb, java, chromedriver)
//! gets two environment variables, [`OWNER_ENV`] (the test binary's pid) and [`ID_ENV`] (one
//! harness instance), and is made a process-group leader. Children inherit both, except that
//! Chromium's zygote children overwrite their environment with their process title; they
//! stay in chromedriver's group. Stopping means: the marked processes plus their groups,
//! TERM, wait up to 5 s, KILL what is left. Nothing else is ever signalled, so a developer's
//! own IGV on 60151, or another test binary's IGV, is never touched. (java also carries
//! `-Dtest_igv.dir=<its dir>` on its command line, as in e2e §6, for people reading `ps`.)
//!
//! Four layers use this:
//! 1. `Drop` of `TestIgv`/`Browser` stops that instance's processes (Drop also runs on
//!    unwind, so a failing test cleans up too).
//! 2. The shared IGV lives in a `static` and is never dropped: an `atexit` handler
//!    (registered by `TestIgv::shared`) stops it when the test binary exits normally, which
//!    libtest does through `exit(3)` also when tests fail.
//! 3. A reaper for everything else: a small `sh` process per test binary whose stdin is a
//!    pipe from the test binary. The kernel closes that pipe however the binary ends (also
//!    SIGKILL, an abort, `_exit`); the reaper then stops whatever is still marked with this
//!    owner and removes the run's temporary directory.
//! 4. A sweep when the first harness instance of a binary starts: marked processes and
//!    temporary directories whose owner pid is dead are removed (leftovers of a reaper that
//!    was itself killed).

use std::collections::HashSet;
use std::fs;
use std::io::{self, BufRead, BufReader};
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Environment variable naming the test binary (its pid) that started a process.
pub const OWNER_ENV: &str = "IGV_RELAY_E2E_OWNER";
/// Environment variable naming the harness instance that started a process.
pub const ID_ENV: &str = "IGV_RELAY_E2E_ID";
/// IGV's default command port. The harness never uses it: a developer's own IGV may be there.
pub const IGV_DEFAULT_PORT: u16 = 60151;

const RUN_ROOT_PREFIX: &str = "igv-relay-e2e-";

/// How long stopped processes get between TERM and KILL. IGV rewrites its prefs on TERM
/// (igv-port.md §6.2), which takes well under a second.
const TERM_GRACE: Duration = Duration::from_secs(5);

/// `CI=true` (or `1`) turns every "skipping" into a failure: in CI a missing IGV or browser
/// must fail the build, not pass it silently.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| matches!(v.trim(), "true" | "1"))
}

/// Returns `None` after explaining on stderr why `what` is skipped, or panics in CI.
pub fn skip<T>(what: &str, reason: &str) -> Option<T> {
    if in_ci() {
        panic!(
            "{what} is required when CI=true, but {reason}. Install the test dependencies with \
             scripts/install-test-deps.sh"
        );
    }
    eprintln!(
        "skipping: {what}: {reason} (run scripts/install-test-deps.sh to enable these tests)"
    );
    None
}

/// Runs a real tool a test reads the output of (`what` names its Debian
/// package): `false` after saying why when it does not run or does not write
/// `makes`, through [`skip`] (a panic in CI).
pub fn run_tool(what: &str, command: &mut Command, makes: Option<&Path>) -> bool {
    match command.output() {
        Ok(out) if out.status.success() && makes.is_none_or(Path::exists) => true,
        other => skip::<()>(what, &format!("it did not run: {other:?}")).is_some(),
    }
}

/// The full path of `tool` if it is an executable file on `PATH`.
pub fn which(tool: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(tool))
        .find(|candidate| {
            use std::os::unix::fs::PermissionsExt;
            fs::metadata(candidate)
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

/// The tools in `tools` that are not on `PATH`, joined for a message ("" if none is missing).
pub fn missing_tools(tools: &[&str]) -> String {
    tools
        .iter()
        .filter(|tool| which(tool).is_none())
        .copied()
        .collect::<Vec<_>>()
        .join(", ")
}

/// A TCP port nobody listens on right now and nobody will be given by the kernel: below
/// Linux's ephemeral range (`ip_local_port_range`, 32768-60999 by default, which also holds
/// IGV's default 60151).
///
/// Tests hand these to an IGV that starts later, or to no IGV at all to see a refused
/// connection. A port from the ephemeral range could be given meanwhile to any other
/// test's `bind(0)`: a test once saw another test's server answer 404 on "IGV's" port.
/// Within one test binary a counter hands out every port at most once; its start differs
/// per process so that two binaries running side by side rarely probe the same ports.
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU32, Ordering};
    const FIRST: u32 = 20_000;
    let below = ephemeral_range_start().clamp(FIRST + 1_000, 32_768);
    let span = below - FIRST;
    static NEXT: AtomicU32 = AtomicU32::new(u32::MAX);
    let seed = std::process::id().wrapping_mul(2_654_435_761) % span;
    let _ = NEXT.compare_exchange(u32::MAX, seed, Ordering::Relaxed, Ordering::Relaxed);
    for _ in 0..span {
        let port = (FIRST + NEXT.fetch_add(1, Ordering::Relaxed) % span) as u16;
        // Bind all interfaces: IGV's ServerSocket does too (igv-port.md §1), so a port that
        // is free only on loopback would not do.
        if TcpListener::bind(("0.0.0.0", port)).is_ok() {
            return port;
        }
    }
    panic!("no free TCP port between {FIRST} and {below}");
}

/// The first port the kernel may hand to `bind(0)` or an outgoing connection.
fn ephemeral_range_start() -> u32 {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|range| range.split_whitespace().next()?.parse().ok())
        .unwrap_or(32_768)
}

/// The per-binary temporary directory (`$TMPDIR/igv-relay-e2e-<pid>`). The first call also
/// sweeps leftovers of dead test binaries and starts the reaper (see the module docs).
pub fn run_root() -> &'static Path {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    static REAPER: OnceLock<Child> = OnceLock::new();
    ROOT.get_or_init(|| {
        sweep_leftovers();
        let root = std::env::temp_dir().join(format!("{RUN_ROOT_PREFIX}{}", std::process::id()));
        fs::create_dir_all(&root).expect("create the e2e run directory");
        let reaper = spawn_reaper(&root).expect("start the e2e reaper (sh)");
        let _ = REAPER.set(reaper);
        root
    })
}

/// Where screenshots and logs that must outlive the temporary directories go
/// (`target/tmp/e2e-artifacts`). Files older than a week are removed on first use.
pub fn artifacts_dir() -> PathBuf {
    static PRUNED: OnceLock<()> = OnceLock::new();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("e2e-artifacts");
    let _ = fs::create_dir_all(&dir);
    PRUNED.get_or_init(|| {
        let week = Duration::from_secs(7 * 24 * 3600);
        for entry in fs::read_dir(&dir).into_iter().flatten().flatten() {
            let old = entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| t.elapsed().is_ok_and(|age| age > week));
            if old {
                let _ = fs::remove_file(entry.path());
            }
        }
    });
    dir
}

/// A fresh instance id such as `12345-igv-1`.
pub fn new_instance_id(kind: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(1);
    format!(
        "{}-{kind}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Marks `cmd` as belonging to instance `id` of this test binary, and puts it in its own
/// process group so that a Ctrl-C on `cargo test` does not kill it before the reaper can
/// stop it in order.
pub fn mark(cmd: &mut Command, id: &str) {
    run_root();
    cmd.env(OWNER_ENV, std::process::id().to_string())
        .env(ID_ENV, id)
        .process_group(0);
}

/// Stops every process of instance `id`: TERM, up to [`TERM_GRACE`], then KILL.
/// `children` are the harness's own direct children; they are waited for so that no zombie
/// is left behind.
pub fn stop_instance(id: &str, children: &mut [&mut Child]) {
    let own_groups: Vec<i32> = children.iter().map(|c| c.id() as i32).collect();
    terminate(&with_their_groups(marked_pids(ID_ENV, id), &own_groups));
    for child in children {
        if matches!(child.try_wait(), Ok(None)) {
            // Our own child, so killing it is safe.
            let _ = child.kill();
        }
        let _ = child.wait();
    }
}

/// `marked` plus every process in the same process group as one of them or in one of
/// `groups`. The groups are needed for Chromium: its zygote and everything forked from it
/// overwrite their environment with the process title (setproctitle), so they lose the
/// marker, but they stay in the group of chromedriver, which [`mark`] made a group leader.
/// Every marked process's group is one the harness created that way (or, for Chromium's
/// crash handler, a session of its own), and a group id is not reused while the group has
/// members, so this never reaches a stranger.
fn with_their_groups(marked: Vec<i32>, groups: &[i32]) -> Vec<i32> {
    let groups: HashSet<i32> = marked
        .iter()
        .filter_map(|&pid| process_group(pid))
        .chain(groups.iter().copied())
        .collect();
    let mut targets: HashSet<i32> = marked.into_iter().collect();
    targets.extend(
        all_pids()
            .into_iter()
            .filter(|&pid| process_group(pid).is_some_and(|g| groups.contains(&g))),
    );
    targets.into_iter().collect()
}

/// The pids of live processes whose environment holds `key=value`.
pub fn marked_pids(key: &str, value: &str) -> Vec<i32> {
    let wanted = format!("{key}={value}");
    all_pids()
        .into_iter()
        .filter(|&pid| environ_has(pid, |var| var == wanted.as_bytes()))
        .collect()
}

/// Whether `pid` names a live (not zombie) process.
pub fn alive(pid: i32) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state is the first field after the parenthesised command name.
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| !rest.starts_with('Z') && !rest.starts_with('X')),
        Err(_) => false,
    }
}

/// The last `lines` lines of a text file, for failure messages.
pub fn tail(path: &Path, lines: usize) -> String {
    tail_without(path, lines, &[])
}

/// The last `lines` lines of a text file that contain none of `noise`.
pub fn tail_without(path: &Path, lines: usize, noise: &[&str]) -> String {
    let Ok(file) = fs::File::open(path) else {
        return format!("({} does not exist)", path.display());
    };
    let all: Vec<String> = BufReader::new(file)
        .lines()
        .map_while(Result::ok)
        .filter(|line| !noise.iter().any(|n| line.contains(n)))
        .collect();
    let start = all.len().saturating_sub(lines);
    format!(
        "--- last {} lines of {} ---\n{}",
        all.len() - start,
        path.display(),
        all[start..].join("\n")
    )
}

/// Polls `check` every `every` until it returns `Some` or `timeout` passes.
pub fn poll<T>(
    timeout: Duration,
    every: Duration,
    mut check: impl FnMut() -> Option<T>,
) -> Option<T> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check() {
            return Some(value);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(every);
    }
}

/// TERM, wait up to [`TERM_GRACE`] for all of `pids` to end, KILL the rest.
fn terminate(pids: &[i32]) {
    if pids.is_empty() {
        return;
    }
    signal(pids, libc::SIGTERM);
    let left = || {
        pids.iter()
            .copied()
            .filter(|&p| alive(p))
            .collect::<Vec<_>>()
    };
    let gone = poll(TERM_GRACE, Duration::from_millis(50), || {
        left().is_empty().then_some(())
    });
    if gone.is_none() {
        let left = left();
        eprintln!("e2e harness: {left:?} ignored SIGTERM for {TERM_GRACE:?}; sending SIGKILL");
        signal(&left, libc::SIGKILL);
    }
}

/// The live processes in process group `group`.
pub fn group_members(group: i32) -> Vec<i32> {
    all_pids()
        .into_iter()
        .filter(|&pid| process_group(pid) == Some(group) && alive(pid))
        .collect()
}

/// The process group of `pid` (the field after state and ppid in `/proc/PID/stat`).
fn process_group(pid: i32) -> Option<i32> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(") ")?.1.split(' ').nth(2)?.parse().ok()
}

fn signal(pids: &[i32], sig: i32) {
    for &pid in pids {
        // SAFETY: kill(2) has no memory-safety preconditions; the pid was just found carrying
        // our marker, so it is one of ours.
        unsafe {
            libc::kill(pid, sig);
        }
    }
}

fn all_pids() -> Vec<i32> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect()
}

fn environ_has(pid: i32, mut pred: impl FnMut(&[u8]) -> bool) -> bool {
    fs::read(format!("/proc/{pid}/environ")).is_ok_and(|env| env.split(|&b| b == 0).any(&mut pred))
}

/// Removes what dead test binaries left behind: marked processes and run directories whose
/// owner pid no longer runs.
fn sweep_leftovers() {
    let me = std::process::id() as i32;
    let owner_prefix = format!("{OWNER_ENV}=");
    let mut dead_owners = HashSet::new();
    for pid in all_pids() {
        let mut owner = None;
        environ_has(pid, |var| {
            owner = var
                .strip_prefix(owner_prefix.as_bytes())
                .and_then(|o| std::str::from_utf8(o).ok()?.parse::<i32>().ok());
            owner.is_some()
        });
        if let Some(owner) = owner
            && owner != me
            && !alive(owner)
        {
            dead_owners.insert(owner);
        }
    }
    for owner in &dead_owners {
        eprintln!("e2e harness: stopping processes left over by dead test binary {owner}");
        terminate(&with_their_groups(
            marked_pids(OWNER_ENV, &owner.to_string()),
            &[],
        ));
    }
    if let Ok(entries) = fs::read_dir(std::env::temp_dir()) {
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(owner) = name
                .to_str()
                .and_then(|n| n.strip_prefix(RUN_ROOT_PREFIX))
                .and_then(|o| o.parse::<i32>().ok())
            else {
                continue;
            };
            if owner != me && !alive(owner) {
                let _ = fs::remove_dir_all(entry.path());
            }
        }
    }
}

/// The reaper waits for EOF on stdin, which comes when the test binary has exited whatever
/// way, then stops this owner's marked processes and removes the run directory. It ignores
/// SIGINT/SIGHUP so that a Ctrl-C on `cargo test` does not stop it before it has cleaned up.
/// Our end of the pipe is close-on-exec (std creates pipes with O_CLOEXEC), so IGV or Chromium
/// never hold it open.
const REAPER_SCRIPT: &str = r#"
trap '' INT HUP
owner="$1"; root="$2"
cat >/dev/null
marked() { grep -lszx "IGV_RELAY_E2E_OWNER=$owner" /proc/[0-9]*/environ | cut -d/ -f3; }
# The process groups of the marked processes: Chromium's zygote children lose the marker but
# stay in chromedriver's group (see with_their_groups).
groups() { for p in $(marked); do sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | cut -d' ' -f3; done | sort -u; }
signal() {
  for p in $(marked); do kill -"$1" "$p" 2>/dev/null; done
  for g in $pgs; do kill -"$1" "-$g" 2>/dev/null; done
}
left() {
  [ -n "$(marked)" ] && return 0
  for g in $pgs; do kill -0 "-$g" 2>/dev/null && return 0; done
  return 1
}
pgs=$(groups)
if left; then
  signal TERM
  i=0
  while left && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
  if left; then signal KILL; fi
fi
rm -rf -- "$root"
"#;

fn spawn_reaper(root: &Path) -> io::Result<Child> {
    Command::new("sh")
        .arg("-c")
        .arg(REAPER_SCRIPT)
        .arg("igv-relay-e2e-reaper")
        .arg(std::process::id().to_string())
        .arg(root)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
}
