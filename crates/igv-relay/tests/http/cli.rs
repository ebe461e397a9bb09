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

/// A free loopback port (the kernel's choice, released for the child to take).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The service started in `cwd` with `args` after `serve --bind`.
fn serve_in(cwd: &std::path::Path, args: &[&str]) -> (Running, String) {
    let port = free_port();
    let bind = format!("127.0.0.1:{port}");
    let child = Command::new(BIN)
        .current_dir(cwd)
        .args(["serve", "--bind", &bind])
        .args(args)
        .env("XDG_CACHE_HOME", cwd.join("cache"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let running = Running(child);
    let base = format!("http://{bind}");
    wait_for(&format!("{base}/healthz"));
    (running, base)
}

#[test]
fn the_built_in_demo_is_served_from_any_working_directory() {
    let elsewhere = tempfile::tempdir().unwrap();
    let (_running, base) = serve_in(elsewhere.path(), &[]);
    let listing = wait_for(&format!("{base}/files/demo/")).text().unwrap();
    assert!(listing.contains("variants.vcf"), "{listing}");
    let page = wait_for(&format!("{base}/files/demo/variants.vcf"));
    assert_eq!(page.status().as_u16(), 200);
    assert!(page.text().unwrap().contains("data-locus=\"chr7:"));
    let bam = reqwest::blocking::Client::new()
        .get(format!("{base}/raw/demo/braf-reads.bam.bai"))
        .header("Range", "bytes=0-3")
        .send()
        .unwrap();
    assert_eq!(bam.status().as_u16(), 206);
    assert_eq!(bam.bytes().unwrap().as_ref(), b"BAI\x01");
    let ready: serde_json::Value = wait_for(&format!("{base}/readyz")).json().unwrap();
    assert_eq!(ready["status"], "ready", "{ready}");
}

#[test]
fn named_data_hides_the_demo_unless_it_is_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results");
    std::fs::create_dir(&results).unwrap();
    std::fs::write(results.join("hits.bed"), "chr1\t10\t20\thit\n").unwrap();
    let data_dir = results.to_str().unwrap();

    let (running, base) = serve_in(dir.path(), &["--data-dir", data_dir]);
    let roots = wait_for(&format!("{base}/files/")).text().unwrap();
    assert!(roots.contains("results"), "{roots}");
    assert!(!roots.contains("demo"), "{roots}");
    assert_eq!(
        wait_for(&format!("{base}/files/demo/")).status().as_u16(),
        404
    );
    drop(running);

    let (_running, base) = serve_in(dir.path(), &["--data-dir", data_dir, "--demo"]);
    let roots = wait_for(&format!("{base}/files/")).text().unwrap();
    assert!(
        roots.contains("results") && roots.contains("demo"),
        "{roots}"
    );
    assert_eq!(
        wait_for(&format!("{base}/files/demo/peaks.bed"))
            .status()
            .as_u16(),
        200
    );
}

#[test]
fn a_data_root_that_does_not_exist_is_a_start_up_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("roots.yaml");
    std::fs::write(
        &config,
        "data:\n  roots:\n    - { name: results, path: /nonexistent/igv-relay-results }\n",
    )
    .unwrap();
    let out = Command::new(BIN)
        .args([
            "--config",
            config.to_str().unwrap(),
            "serve",
            "--bind",
            "127.0.0.1:0",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("results") && err.contains("/nonexistent/igv-relay-results"),
        "{err}"
    );
    let out = Command::new(BIN)
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--data-dir",
            "/nonexistent/elsewhere",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/elsewhere"));
}

#[test]
fn a_link_out_template_that_is_not_http_is_a_start_up_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("links.yaml");
    std::fs::write(
        &config,
        "links:\n  gnomAD: \"https://gnomad.broadinstitute.org/variant/{CHR}-{POS}-{REF}-{ALT}\"\n  \
         lims: \"javascript:alert({ID})\"\n",
    )
    .unwrap();
    let out = Command::new(BIN)
        .args([
            "--config",
            config.to_str().unwrap(),
            "serve",
            "--bind",
            "127.0.0.1:0",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success(), "the service started");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("links.lims") && err.contains("only http:// and https://"),
        "{err}"
    );
}

#[test]
fn a_lab_view_with_an_unknown_operator_or_root_is_a_start_up_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let refusal = |views: &str| {
        let config = dir.path().join("views.yaml");
        std::fs::write(&config, format!("views:\n{views}")).unwrap();
        let out = Command::new(BIN)
            .args([
                "--config",
                config.to_str().unwrap(),
                "serve",
                "--bind",
                "127.0.0.1:0",
            ])
            .output()
            .unwrap();
        assert!(!out.status.success(), "the service started with {views}");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let err = refusal("  rare-high:\n    where: \"AF=<0.01; Impact=HIGH\"\n");
    assert!(
        err.contains("views.rare-high.where") && err.contains("unknown operator \"=<\""),
        "{err}"
    );
    let err = refusal("  strong:\n    formats: [bed]\n    sort: \"-AF\"\n");
    assert!(
        err.contains("views.strong.sort") && err.contains("no column \"AF\""),
        "{err}"
    );
    let err = refusal("  mine:\n    roots: [runs]\n    sort: QUAL\n");
    assert!(
        err.contains("views.mine.roots") && err.contains("unknown data root \"runs\""),
        "{err}"
    );
    let err = refusal("  typo:\n    formats: [vfc]\n");
    assert!(
        err.contains("views.typo.formats") && err.contains("unknown format \"vfc\""),
        "{err}"
    );
}
