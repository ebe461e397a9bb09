//! The binary as an operator runs it.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_igv-relay");

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_for(url: &str) -> reqwest::blocking::Response {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match reqwest::blocking::get(url) {
            Ok(r) => return r,
            Err(e) if Instant::now() > deadline => panic!("{url} never answered: {e}"),
            Err(_) => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}

#[test]
fn with_no_arguments_it_serves_on_127_0_0_1_8080_without_a_config_file() {
    let empty = tempfile::tempdir().unwrap();
    let child = Command::new(BIN)
        .current_dir(empty.path())
        .env_remove("IGV_RELAY__SERVER__BIND")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _running = Running(child);
    assert_eq!(
        wait_for("http://127.0.0.1:8080/healthz").status().as_u16(),
        200
    );
    let start = wait_for("http://127.0.0.1:8080/");
    assert_eq!(start.status().as_u16(), 200);
    assert!(start.text().unwrap().contains("View loci in IGV"));
}

#[test]
fn check_config_prints_the_effective_configuration() {
    let out = Command::new(BIN)
        .arg("check-config")
        .env("IGV_RELAY__IGV__PORT", "60155")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(printed["igv"]["port"], 60155);
    assert_eq!(printed["server"]["bind"], "127.0.0.1:8080");
}

#[test]
fn check_config_explains_a_bad_file_and_exits_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.yaml");
    std::fs::write(&file, "igv:\n  host: evil.example\n").unwrap();
    let out = Command::new(BIN)
        .args(["--config", file.to_str().unwrap(), "check-config"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("loopback"), "{err}");

    let out = Command::new(BIN)
        .args(["--config", "/nonexistent.yaml", "check-config"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist"));
}

#[test]
fn a_toml_file_overrides_the_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("relay.toml");
    std::fs::write(&file, "[relay]\nmax_loci = 3\n").unwrap();
    let out = Command::new(BIN)
        .args(["--config", file.to_str().unwrap(), "check-config"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(printed["relay"]["max_loci"], 3);
}
