//! Reads beside every variant (issue 26): a VCF in a data root pairs with
//! the indexed BAMs beside it whose read groups name its samples; the page
//! says which and why, offers the others, names the files it cannot use;
//! each row's "reads sorted here" loads the paired files together, sorted at
//! the variant's base. The real service on a random port, the BAMs of
//! `tests/fixtures/pairing` and `pairing-trio` (real reads, samtools'
//! example alignments of NA18507, cut by scripts/make-pairing-bams.sh).

use std::path::{Path, PathBuf};

use crate::support::app::{TestApp, spawn_app_with};
use crate::support::html::{items, links, tags, unescape};
use igv_relay::configuration::{DataRootSettings, GenomeSettings, IgvJsGenomeSettings};
use url::Url;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pairing")
}

/// The pairing fixtures copied into a fresh data root `r` (tests add files).
fn pairing_root() -> tempfile::TempDir {
    copied(&fixtures())
}

fn copied(from: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
    }
    dir
}

/// The service with data root `r` at `dir` on genome `tiny` (chr1 of
/// 50,000 bases, as the VCF's `##contig` says), whose FASTA igv.js reads.
async fn app_on(dir: &Path) -> TestApp {
    let bases: String = (0..50_000)
        .map(|i| ['A', 'C', 'G', 'T'][i * 7 % 4])
        .collect();
    std::fs::write(dir.join("tiny.fa"), format!(">chr1\n{bases}\n")).unwrap();
    std::fs::write(dir.join("tiny.fa.fai"), "chr1\t50000\t6\t50000\t50001\n").unwrap();
    let path = dir.to_path_buf();
    spawn_app_with(move |s| {
        s.genomes.insert(
            "tiny".into(),
            GenomeSettings {
                fai: Some(path.join("tiny.fa.fai")),
                igvjs: Some(IgvJsGenomeSettings {
                    fasta: Some("raw/r/tiny.fa".into()),
                    index: Some("raw/r/tiny.fa.fai".into()),
                    ..IgvJsGenomeSettings::default()
                }),
                ..GenomeSettings::default()
            },
        );
        s.data.roots = vec![DataRootSettings {
            name: "r".into(),
            path,
            genome: Some("tiny".into()),
        }];
    })
    .await
}

async fn page(app: &TestApp, path: &str) -> String {
    let response = app.get(path).await;
    assert_eq!(response.status().as_u16(), 200, "{path}");
    response.text().await.unwrap()
}

/// The `href` of the first `<a>` of class `class`.
fn link(html: &str, class: &str) -> Option<String> {
    tags(html)
        .into_iter()
        .find(|t| t.name == "a" && t.has_class(class))
        .and_then(|t| t.attr("href").map(unescape))
}

/// Where the relay sends a row's "reads sorted here": IGV's `/load` query.
async fn igv_query(app: &TestApp, relay: &str) -> Vec<(String, String)> {
    let response = app.client.get(relay).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 303, "{relay}");
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let url = Url::parse(&location).unwrap();
    assert_eq!(url.path(), "/load");
    url.query_pairs().into_owned().collect()
}

fn param<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

#[actix_web::test]
async fn a_vcf_pairs_exactly_the_bams_whose_read_groups_name_its_samples() {
    let dir = pairing_root();
    let app = app_on(dir.path()).await;
    let html = page(&app, "/files/r/calls.vcf").await;
    let loaded = items(&html, "reads-loaded");
    assert_eq!(loaded.len(), 2, "{loaded:?}");
    assert!(loaded[0].contains("normal.bam") && loaded[0].contains("SM is normal"));
    assert!(loaded[1].contains("tumour.bam") && loaded[1].contains("SM is tumour"));
    let offered = items(&html, "reads-offered");
    assert_eq!(offered.len(), 1, "{offered:?}");
    assert!(offered[0].contains("other-patient.bam") && offered[0].contains("SM other-patient"));

    // Every row loads both, with their indexes, sorted at its base.
    let rows = links(&html, "igv-reads");
    assert_eq!(rows.len(), 3);
    let bases = ["chr1:288", "chr1:548", "chr1:1294"];
    for (row, base) in rows.iter().zip(bases) {
        let igv = igv_query(&app, row).await;
        let raw = |name: &str| app.url(&format!("/raw/r/{name}"));
        assert_eq!(
            param(&igv, "file"),
            Some(format!("{},{}", raw("normal.bam"), raw("tumour.bam")).as_str())
        );
        assert_eq!(
            param(&igv, "index"),
            Some(format!("{},{}", raw("normal.bam.bai"), raw("tumour.bam.bai")).as_str())
        );
        assert_eq!(param(&igv, "locus"), Some(base));
        assert_eq!(param(&igv, "genome"), Some("tiny"));
        assert_eq!(param(&igv, "sort"), Some("base"));
    }

    // The panel stacks both, named by sample.
    let reads: Vec<(String, String)> = tags(&html)
        .into_iter()
        .filter(|t| t.has_class("viewer-reads"))
        .map(|t| {
            (
                t.attr("data-name").unwrap_or_default().to_owned(),
                unescape(t.attr("data-url").unwrap_or_default()),
            )
        })
        .collect();
    assert_eq!(
        reads,
        vec![
            ("normal".to_owned(), app.url("/raw/r/normal.bam")),
            ("tumour".to_owned(), app.url("/raw/r/tumour.bam")),
        ]
    );
}

#[actix_web::test]
async fn the_reads_control_adds_drops_and_turns_off_files() {
    let dir = pairing_root();
    let app = app_on(dir.path()).await;
    let html = page(&app, "/files/r/calls.vcf?flank=5").await;
    let add = link(&html, "reads-add").expect("an add link");
    let added = page(&app, add.trim_start_matches(&app.url(""))).await;
    assert_eq!(items(&added, "reads-loaded").len(), 3);
    assert!(added.contains("pair by sample again"));
    // The view's other choices stay.
    assert!(add.contains("flank=5"), "{add}");
    let igv = igv_query(&app, &links(&added, "igv-reads")[0]).await;
    assert_eq!(param(&igv, "file").unwrap().split(',').count(), 3);

    let drop = link(&html, "reads-drop").expect("a drop link");
    let dropped = page(&app, drop.trim_start_matches(&app.url(""))).await;
    let loaded = items(&dropped, "reads-loaded");
    assert_eq!(loaded.len(), 1, "{loaded:?}");
    assert!(loaded[0].contains("tumour.bam") && loaded[0].contains("chosen on this page"));
    let igv = igv_query(&app, &links(&dropped, "igv-reads")[0]).await;
    assert_eq!(
        param(&igv, "file"),
        Some(app.url("/raw/r/tumour.bam").as_str())
    );
    // One file keeps its name: the sample.
    assert_eq!(param(&igv, "name"), Some("tumour"));

    let off = link(&html, "reads-off").expect("a no-reads link");
    let none = page(&app, off.trim_start_matches(&app.url(""))).await;
    assert!(links(&none, "igv-reads").is_empty());
    assert!(none.contains("No reads are loaded with the rows."));
    let again = link(&none, "reads-automatic").expect("pair by sample again");
    let again = page(&app, again.trim_start_matches(&app.url(""))).await;
    assert_eq!(items(&again, "reads-loaded").len(), 2);
}

#[actix_web::test]
async fn unreadable_or_unindexed_bams_are_named_with_why_and_the_rest_still_pairs() {
    let dir = pairing_root();
    std::fs::write(
        dir.path().join("broken.bam"),
        b"not a BAM, whatever its name",
    )
    .unwrap();
    std::fs::write(dir.path().join("broken.bam.bai"), b"").unwrap();
    let tumour = std::fs::read(dir.path().join("tumour.bam")).unwrap();
    std::fs::write(dir.path().join("unindexed.bam"), &tumour).unwrap();
    let app = app_on(dir.path()).await;
    let html = page(&app, "/files/r/calls.vcf").await;
    let unusable = items(&html, "reads-unusable");
    assert_eq!(unusable.len(), 2, "{unusable:?}");
    assert!(
        unusable[0].starts_with("broken.bam cannot be paired: its header cannot be read"),
        "{}",
        unusable[0]
    );
    assert!(
        unusable[1].starts_with("unindexed.bam cannot be paired: it has no index next to it"),
        "{}",
        unusable[1]
    );
    let loaded = items(&html, "reads-loaded");
    assert_eq!(loaded.len(), 2, "{loaded:?}");
    let igv = igv_query(&app, &links(&html, "igv-reads")[0]).await;
    assert!(!param(&igv, "file").unwrap().contains("broken"));
    assert!(!param(&igv, "file").unwrap().contains("unindexed"));
}

#[actix_web::test]
async fn reads_in_the_query_keeps_working_and_refuses_what_igv_cannot_show() {
    let dir = pairing_root();
    std::fs::copy(
        dir.path().join("tumour.bam"),
        dir.path().join("unindexed.bam"),
    )
    .unwrap();
    let app = app_on(dir.path()).await;
    let html = page(&app, "/files/r/calls.vcf?reads=other-patient.bam").await;
    let igv = igv_query(&app, &links(&html, "igv-reads")[0]).await;
    assert_eq!(
        param(&igv, "file"),
        Some(app.url("/raw/r/other-patient.bam").as_str())
    );
    for (reads, why) in [
        ("calls.vcf", "expected a BAM or CRAM file"),
        ("unindexed.bam", "IGV needs an index"),
        ("../etc/passwd", ""),
        ("missing.bam", ""),
    ] {
        let response = app.get(&format!("/files/r/calls.vcf?reads={reads}")).await;
        assert_eq!(response.status().as_u16(), 400, "{reads}");
        let body = response.text().await.unwrap();
        assert!(
            body.contains("reads") && body.contains(why),
            "{reads}: {body}"
        );
    }
}

#[actix_web::test]
async fn a_trio_pairs_its_three_and_each_row_loads_all_three() {
    let dir = copied(&fixtures().with_file_name("pairing-trio"));
    let app = app_on(dir.path()).await;
    let html = page(&app, "/files/r/trio.vcf").await;
    let loaded = items(&html, "reads-loaded");
    assert_eq!(loaded.len(), 3, "{loaded:?}");
    for (item, sample) in loaded.iter().zip(["child", "father", "mother"]) {
        assert!(item.contains(&format!("{sample}.bam")), "{item}");
        assert!(item.contains(&format!("SM is {sample}")), "{item}");
    }
    assert!(items(&html, "reads-offered").is_empty());
    let igv = igv_query(&app, &links(&html, "igv-reads")[1]).await;
    let files: Vec<&str> = param(&igv, "file").unwrap().split(',').collect();
    assert_eq!(files.len(), 3);
    assert_eq!(param(&igv, "locus"), Some("chr1:548"));
}

#[actix_web::test]
async fn more_paired_files_than_one_load_takes_are_offered_beyond_the_limit() {
    let dir = pairing_root();
    for i in 0..11 {
        for ext in ["bam", "bam.bai"] {
            std::fs::copy(
                dir.path().join(format!("tumour.{ext}")),
                dir.path().join(format!("tumour-lane{i:02}.{ext}")),
            )
            .unwrap();
        }
    }
    let app = app_on(dir.path()).await;
    let html = page(&app, "/files/r/calls.vcf").await;
    // 13 files pair (12 tumour, 1 normal); one IGV request loads ten.
    assert_eq!(items(&html, "reads-loaded").len(), 10);
    let offered = items(&html, "reads-offered");
    assert_eq!(offered.len(), 4, "{offered:?}");
    assert!(
        links(&html, "reads-add").is_empty(),
        "a full load takes no more"
    );
    assert!(
        html.contains("13 files pair with this file&#39;s samples"),
        "{html}"
    );
    let igv = igv_query(&app, &links(&html, "igv-reads")[0]).await;
    assert_eq!(param(&igv, "file").unwrap().split(',').count(), 10);
}

#[actix_web::test]
async fn a_linked_bam_that_leads_out_of_the_data_root_is_named_and_never_served() {
    let outside = pairing_root();
    let dir = pairing_root();
    std::fs::remove_file(dir.path().join("normal.bam")).unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("normal.bam"),
        dir.path().join("normal.bam"),
    )
    .unwrap();
    let app = app_on(dir.path()).await;
    let html = page(&app, "/files/r/calls.vcf").await;
    let loaded = items(&html, "reads-loaded");
    assert_eq!(loaded.len(), 1, "{loaded:?}");
    assert!(loaded[0].contains("tumour.bam"));
    let unusable = items(&html, "reads-unusable");
    assert_eq!(unusable.len(), 1, "{unusable:?}");
    assert!(
        unusable[0].starts_with("normal.bam cannot be paired: it lies outside the data root"),
        "{}",
        unusable[0]
    );
}
