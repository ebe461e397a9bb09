//! Users see no change: every export (TSV, JSON, IGV batch, IGV session,
//! igv.js session), the served link page and the static page of
//! `igv-relay render` of every fixture file, compared byte for byte with
//! what the code wrote before the issue-23 restructuring
//! (`tests/fixtures/golden/`, one file per case; `index.tsv` lists each
//! case's request, status and content type).
//!
//! `GOLDEN_UPDATE=1 cargo test --test http golden` writes the files anew; do that
//! only for a change users are meant to see, and say so in the commit.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::app::{TestApp, spawn_app_with};
use igv_relay::configuration::{ApiKey, DataRootSettings};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Every link the service writes starts here, whatever port a test binds.
const PUBLIC_URL: &str = "https://lab.example/igv/";

/// The server crate, whose tests hold the golden files and the page fixtures.
fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The workspace: the demo files, and the core's format fixtures.
fn workspace() -> PathBuf {
    repo().join("../..").canonicalize().unwrap()
}

/// A command line or message as the index and the golden files keep it:
/// fixture paths as `./tests/fixtures/...`, whichever crate and machine
/// they are on.
fn relative_paths(text: &str) -> String {
    let workspace = workspace().display().to_string();
    text.replace(&format!("{workspace}/crates/igv-relay-core/"), "./")
        .replace(&format!("{workspace}/crates/igv-relay/"), "./")
}

fn golden_dir() -> PathBuf {
    repo().join("tests/fixtures/golden")
}

fn updating() -> bool {
    std::env::var("GOLDEN_UPDATE").is_ok_and(|v| v == "1")
}

/// What one case produced.
struct Output {
    status: u16,
    content_type: String,
    body: Vec<u8>,
}

/// The cases' outputs, compared with (or written as) the golden files.
#[derive(Default)]
struct Golden {
    /// case name → (request, status, content type, file)
    index: BTreeMap<String, (String, u16, String, String)>,
    outputs: BTreeMap<String, Vec<u8>>,
}

impl Golden {
    fn add(&mut self, name: &str, request: &str, extension: &str, output: Output) {
        let file = format!("{name}.{extension}");
        self.index.insert(
            name.to_owned(),
            (
                request.to_owned(),
                output.status,
                output.content_type,
                file.clone(),
            ),
        );
        assert!(
            self.outputs.insert(file, output.body).is_none(),
            "case {name} twice"
        );
    }

    fn index_text(&self) -> String {
        let mut text = String::from("# case\trequest\tstatus\tcontent type\tfile\n");
        for (name, (request, status, content_type, file)) in &self.index {
            text.push_str(&format!(
                "{name}\t{request}\t{status}\t{content_type}\t{file}\n"
            ));
        }
        text
    }

    /// Writes every file (`GOLDEN_UPDATE=1`), or checks each against its
    /// golden twin and lists all that differ.
    fn finish(self, index_name: &str) {
        let dir = golden_dir();
        let index = self.index_text();
        if updating() {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join(index_name), &index).unwrap();
            for (file, body) in &self.outputs {
                std::fs::write(dir.join(file), body).unwrap();
            }
            return;
        }
        let mut differ = Vec::new();
        let expected_index = std::fs::read_to_string(dir.join(index_name)).unwrap_or_default();
        if expected_index != index {
            differ.push(format!(
                "{index_name}:\n--- expected\n{expected_index}\n--- got\n{index}"
            ));
        }
        for (file, body) in &self.outputs {
            match std::fs::read(dir.join(file)) {
                Ok(expected) if expected == *body => {}
                Ok(expected) => differ.push(format!(
                    "{file}: {} bytes, expected {}; first difference at byte {}",
                    body.len(),
                    expected.len(),
                    expected
                        .iter()
                        .zip(body)
                        .position(|(a, b)| a != b)
                        .unwrap_or(expected.len().min(body.len()))
                )),
                Err(e) => differ.push(format!("{file}: no golden file ({e})")),
            }
        }
        assert!(
            differ.is_empty(),
            "{} outputs differ from the golden files (GOLDEN_UPDATE=1 rewrites them):\n{}",
            differ.len(),
            differ.join("\n")
        );
    }
}

/// A large output is kept as its length and a 64-bit FNV-1a digest.
fn digest(body: &[u8]) -> Vec<u8> {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in body {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{} bytes, fnv1a64 {hash:016x}\n", body.len()).into_bytes()
}

async fn fetch(app: &TestApp, path_and_query: &str) -> Output {
    let response = app
        .client
        .get(format!("http://127.0.0.1:{}{path_and_query}", app.port))
        .send()
        .await
        .expect("a response");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let body = response.bytes().await.expect("a body").to_vec();
    Output {
        status,
        content_type,
        body,
    }
}

/// The views every file is seen through, with the extension of their output.
const EXPORTS: [(&str, &str, &str); 6] = [
    ("page", "", "html"),
    ("tsv", "format=tsv", "tsv"),
    ("json", "format=json", "json"),
    ("batch", "format=igv-batch", "txt"),
    ("session", "format=igv-session", "xml"),
    ("igvjs", "format=igvjs-session", "json"),
];

/// More views of some files: genomes, filters, conditions, sorting, paging,
/// columns, flank, paired reads.
const VIEWS: [(&str, &str, &str); 22] = [
    ("pages/variants.vcf", "hg38", "genome=hg38"),
    ("pages/variants.vcf", "hg19", "genome=hg19"),
    ("pages/variants.vcf", "pass-dp", "pass=1&cols=DP"),
    ("pages/variants.vcf", "chrom", "chrom=1"),
    ("pages/variants.vcf", "q", "q=del"),
    ("pages/variants.vcf", "region", "region=chr1:1-20000"),
    ("pages/variants.vcf", "flank", "flank=100&genome=hg38"),
    ("pages/variants.vcf", "sort", "sort=-QUAL"),
    ("pages/variants.vcf", "where", "where=QUAL%3E30"),
    ("pages/variants.vcf", "paged", "page=2&per_page=3"),
    ("pages/variants.vcf", "links-only", "links_only=1"),
    (
        "golden/annotated.vcf",
        "impact",
        "where=Impact%3DHIGH&genome=hg38",
    ),
    (
        "golden/annotated.vcf",
        "sort-gene",
        "sort=Gene&cols=DP,Gene",
    ),
    (
        "golden/annotated.vcf",
        "samples",
        "samples=normal&fmt=GT,DP&cols=AF,Impact",
    ),
    ("golden/annotated.vcf", "search", "q=tp53"),
    ("demo/variants.vcf", "reads", "reads=braf-reads.bam"),
    ("pages/hits.tsv", "coords", "coords=0&chromCol=1&startCol=2"),
    ("pages/b37.bed", "hg38", "genome=hg38"),
    ("pages/chrom_ends.bed", "hg38", "genome=hg38&flank=1000"),
    ("formats/pairs.bedpe", "hg38", "genome=hg38"),
    ("formats/genes.gtf", "sort", "sort=-start&genome=hg38"),
    ("pages/ucsc.tsv", "where", "where=score%3E5"),
];

fn files_of(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn roots() -> Vec<(&'static str, PathBuf)> {
    vec![
        (
            "formats",
            workspace().join("crates/igv-relay-core/tests/fixtures/formats"),
        ),
        ("pages", repo().join("tests/fixtures/pages")),
        ("golden", golden_dir().join("inputs")),
    ]
}

/// The exports and the served page of every fixture file and of the demo,
/// and the views above.
#[actix_web::test]
async fn every_export_and_page_of_every_fixture_is_what_it_was() {
    let app = spawn_app_with(|s| {
        s.server.public_url = PUBLIC_URL.to_owned();
        s.data.demo = Some(true);
        for (name, path) in roots() {
            s.data.roots.push(DataRootSettings {
                name: name.to_owned(),
                path,
                genome: None,
            });
        }
    })
    .await;
    let mut golden = Golden::default();
    let mut files: Vec<String> = Vec::new();
    for (root, dir) in roots() {
        files.extend(files_of(&dir).into_iter().map(|f| format!("{root}/{f}")));
    }
    files.extend(
        files_of(&workspace().join("demo"))
            .into_iter()
            .filter(|f| !f.ends_with(".bai"))
            .map(|f| format!("demo/{f}")),
    );
    for file in &files {
        for (export, query, extension) in EXPORTS {
            let request = match query {
                "" => format!("/files/{file}"),
                q => format!("/files/{file}?{q}"),
            };
            let name = format!("{}-{export}", file.replace('/', "-"));
            let output = fetch(&app, &request).await;
            golden.add(&name, &request, extension, output);
        }
    }
    for (file, view, query) in VIEWS {
        for (export, format, extension) in EXPORTS {
            let request = match format {
                "" => format!("/files/{file}?{query}"),
                f => format!("/files/{file}?{query}&{f}"),
            };
            let name = format!("{}-{view}-{export}", file.replace('/', "-"));
            let output = fetch(&app, &request).await;
            golden.add(&name, &request, extension, output);
        }
    }
    golden.finish("index-files.tsv");
}

/// A VCF of about 10 MB, more than a file that is read in stretches on
/// several threads needs, with malformed and overlong lines and rows the
/// genome refuses: its exports are kept as digests.
fn large_vcf(dir: &Path) -> PathBuf {
    let mut text = String::from(
        "##fileformat=VCFv4.2\n\
         ##INFO=<ID=DP,Number=1,Type=Integer,Description=\"Depth\">\n\
         ##INFO=<ID=CSQ,Number=.,Type=String,Description=\"VEP. Format: Allele|Consequence|IMPACT|SYMBOL\">\n\
         #CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n",
    );
    for i in 0..100_000u64 {
        let chrom = ["chr1", "chr2", "chrUn_x", "chr7"][(i % 4) as usize];
        let impact = if i % 50 == 0 {
            "stop_gained|HIGH"
        } else {
            "intron_variant|MODIFIER"
        };
        let filter = if i % 3 == 0 { "PASS" } else { "q10" };
        match i % 997 {
            5 => text.push_str("chr1\tnot-a-position\t.\tA\tT\t.\tPASS\t.\n"),
            6 => text.push('\n'),
            7 => text.push_str("##stray header line\n"),
            8 if i < 2_000 => {
                text.push_str("chr1\t5\tlong\tA\t");
                text.push_str(&"T".repeat(1_100_000));
                text.push_str("\t.\tPASS\t.\n");
            }
            _ => {}
        }
        text.push_str(&format!(
            "{chrom}\t{}\tid{i}\tA\tT\t{}\t{filter}\tDP={};CSQ=T|{impact}|GENE{}\n",
            1000 + i * 7,
            i % 90,
            i % 40,
            i % 13
        ));
    }
    text.push_str("chr2\t77\tlast\tA\tG\t.\tPASS\t.");
    let path = dir.join("large.vcf");
    std::fs::File::create(&path)
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    path
}

/// Exports of a file large enough to be read in stretches (and its count):
/// kept as digests.
#[actix_web::test]
async fn the_exports_of_a_large_file_are_what_they_were() {
    let dir = tempfile::tempdir().unwrap();
    large_vcf(dir.path());
    let root = dir.path().to_path_buf();
    let app = spawn_app_with(move |s| {
        s.server.public_url = PUBLIC_URL.to_owned();
        s.data.roots.push(DataRootSettings {
            name: "large".to_owned(),
            path: root,
            genome: Some("hg38".to_owned()),
        });
    })
    .await;
    let mut golden = Golden::default();
    for (view, query) in [
        ("tsv", "format=tsv"),
        ("tsv-links-only", "format=tsv&links_only=1"),
        (
            "tsv-where",
            "format=tsv&where=Impact%3DHIGH%3B%20DP%3E%3D20",
        ),
        ("tsv-pass", "format=tsv&pass=1&cols=DP"),
        ("json", "format=json"),
        ("batch", "format=igv-batch&chrom=chr7"),
        ("session", "format=igv-session&where=Impact%3DHIGH"),
        ("igvjs", "format=igvjs-session&where=Impact%3DHIGH"),
        ("igv3", "format=igv3-session&where=Impact%3DHIGH"),
        ("sorted", "format=tsv&sort=-QUAL"),
        ("sorted-where", "format=tsv&sort=-QUAL&where=Impact%3DHIGH"),
        ("page-deep", "page=700&per_page=100&where=DP%3E10"),
    ] {
        let request = format!("/files/large/large.vcf?{query}");
        let mut output = fetch(&app, &request).await;
        if view == "page-deep" {
            // The totals line depends on whether the background count is
            // done: compare the rows only.
            output.body = between(&output.body, "<tbody>", "</tbody>");
        }
        output.body = digest(&output.body);
        golden.add(&format!("large-{view}"), &request, "digest", output);
    }
    golden.finish("index-large.tsv");
}

fn between(body: &[u8], start: &str, end: &str) -> Vec<u8> {
    let text = String::from_utf8_lossy(body);
    let from = text.find(start).map_or(0, |i| i + start.len());
    let to = text[from..].find(end).map_or(text.len(), |i| i + from);
    text[from..to].as_bytes().to_vec()
}

/// A Galaxy dataset seen through `/galaxy/display`: the same views, with
/// the dataset's query on every link.
#[actix_web::test]
async fn the_pages_and_exports_of_a_galaxy_dataset_are_what_they_were() {
    let galaxy = MockServer::start().await;
    let data = "/display_application/abc/igv_relay_vcf/view/u1/data/galaxy_abc.vcf";
    let body = std::fs::read(repo().join("tests/fixtures/pages/variants.vcf")).unwrap();
    Mock::given(method("GET"))
        .and(path(data))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "text/plain")
                .set_body_bytes(body),
        )
        .mount(&galaxy)
        .await;
    let uri = galaxy.uri();
    let galaxy_url = uri.clone();
    let app = spawn_app_with(move |s| {
        s.server.public_url = PUBLIC_URL.to_owned();
        s.galaxy.url = galaxy_url;
        s.galaxy.api_key = ApiKey::new("test-key-0123456789abcdef");
    })
    .await;
    let address = uri.trim_start_matches("http://");
    // The dataset URL is encoded once in a query, twice in a link to a link.
    let encoded = address.replace(':', "%3A");
    let twice = address.replace(':', "%253A");
    let mut golden = Golden::default();
    for (view, extra) in [("plain", ""), ("where", "&where=QUAL%3E30&genome=hg38")] {
        for (export, format, extension) in EXPORTS {
            let mut query = url::form_urlencoded::Serializer::new(String::new());
            query
                .append_pair("dataset_url", &format!("{uri}{data}"))
                .append_pair("dbkey", "hg38")
                .append_pair("ext", "vcf")
                .append_pair("name", "calls from Galaxy.vcf");
            let mut request = format!("/galaxy/display?{}{extra}", query.finish());
            if !format.is_empty() {
                request = format!("{request}&{format}");
            }
            let mut output = fetch(&app, &request).await;
            let text = String::from_utf8(output.body).unwrap();
            output.body = text
                .replace(address, "galaxy.test")
                .replace(&encoded, "galaxy.test")
                .replace(&twice, "galaxy.test")
                .into_bytes();
            let request = request.replace(&encoded, "galaxy.test");
            golden.add(
                &format!("galaxy-{view}-{export}"),
                &request,
                extension,
                output,
            );
        }
    }
    golden.finish("index-galaxy.tsv");
}

/// `igv-relay render`: the static page of every fixture file, and of some
/// with the command's options.
#[test]
fn the_static_page_of_every_fixture_is_what_it_was() {
    let mut golden = Golden::default();
    let mut cases: Vec<(String, Vec<String>)> = Vec::new();
    for (root, dir) in roots() {
        for file in files_of(&dir) {
            cases.push((
                format!("{root}-{file}"),
                vec![dir.join(&file).display().to_string()],
            ));
        }
    }
    let pages = repo().join("tests/fixtures/pages");
    let arg = |p: &str| pages.join(p).display().to_string();
    for (name, args) in [
        (
            "variants.vcf-hg38",
            vec![arg("variants.vcf"), "--genome".into(), "hg38".into()],
        ),
        (
            "variants.vcf-dbkey",
            vec![arg("variants.vcf"), "--dbkey".into(), "hg19".into()],
        ),
        (
            "variants.vcf-no-dbkey",
            vec![arg("variants.vcf"), "--dbkey".into(), "?".into()],
        ),
        (
            "variants.vcf-max-rows",
            vec![arg("variants.vcf"), "--max-rows".into(), "3".into()],
        ),
        (
            "features.bed-flank",
            vec![
                arg("features.bed"),
                "--flank".into(),
                "50".into(),
                "--genome".into(),
                "hg38".into(),
            ],
        ),
        (
            "hits.tsv-interval",
            vec![
                arg("hits.tsv"),
                "--format".into(),
                "interval".into(),
                "--chrom-col".into(),
                "1".into(),
                "--start-col".into(),
                "2".into(),
                "--end-col".into(),
                "3".into(),
            ],
        ),
        (
            "genes.gff3-named",
            vec![arg("genes.gff3"), "--name".into(), "Genes <of> note".into()],
        ),
    ] {
        cases.push((format!("render-{name}"), args));
    }
    let bin = env!("CARGO_BIN_EXE_igv-relay");
    for (name, args) in cases {
        let output = Command::new(bin)
            .arg("render")
            .args(&args)
            .args(["--relay-url", PUBLIC_URL, "--quiet"])
            .env_remove("IGV_RELAY__SERVER__PUBLIC_URL")
            .output()
            .expect("igv-relay runs");
        let mut body = output.stdout;
        if !output.status.success() {
            let message = String::from_utf8_lossy(&output.stderr);
            body.extend_from_slice(relative_paths(&message).as_bytes());
        }
        let request = relative_paths(&format!("render {}", args.join(" ")));
        golden.add(
            &format!("static-{name}"),
            &request,
            "html",
            Output {
                status: output.status.code().map_or(0, |c| c as u16),
                content_type: "text/html".to_owned(),
                body,
            },
        );
    }
    // Several pages linked to each other (`--per-file`).
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("links.html");
    let status = Command::new(bin)
        .args(["render", &arg("variants.vcf"), "--per-file", "4", "-o"])
        .arg(&out)
        .args(["--relay-url", PUBLIC_URL, "--quiet", "--genome", "hg38"])
        .status()
        .expect("igv-relay runs");
    assert!(status.success());
    for page in files_of(dir.path()) {
        golden.add(
            &format!("static-per-file-{page}"),
            "render pages/variants.vcf --per-file 4 -o links.html --genome hg38",
            "html",
            Output {
                status: 0,
                content_type: "text/html".to_owned(),
                body: std::fs::read(dir.path().join(&page)).unwrap(),
            },
        );
    }
    golden.finish("index-static.tsv");
}
