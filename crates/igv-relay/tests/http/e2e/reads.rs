//! Reads beside every variant (issue 26) on the real IGV and in real
//! Chromium: a tumour/normal VCF with three BAMs beside it (two whose read
//! groups name its samples, one another patient's). A row's "reads sorted
//! here" loads exactly the two into IGV, at the variant's base, sorted
//! there; the third is offered on the page, never loaded. The "View here"
//! panel stacks the two as igv.js tracks named by sample.

use std::path::Path;
use std::time::{Duration, Instant};

use fantoccini::Locator;
use igv_relay::configuration::IgvJsGenomeSettings;

use super::{Rig, window};

/// The pairing fixtures (scripts/make-pairing-bams.sh: real reads of
/// NA18507 on the tiny genome's chr1) in the rig's data root.
fn copy_pairing(rig: &Rig) {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pairing");
    for entry in std::fs::read_dir(fixtures).expect("the pairing fixtures") {
        let entry = entry.expect("an entry");
        let name = entry.file_name().to_string_lossy().into_owned();
        // The rig has a calls.vcf of its own.
        let name = name.replace("calls.vcf", "tumour-normal.vcf");
        std::fs::copy(entry.path(), rig._data.path().join(name)).expect("copy a fixture");
    }
}

#[actix_web::test]
async fn a_rows_reads_link_loads_both_paired_bams_sorted_at_its_base_and_not_the_third() {
    let Some(rig) = Rig::start(|_, _| {}).await else {
        return;
    };
    copy_pairing(&rig);
    rig.browser
        .goto(&rig.page("tumour-normal.vcf"))
        .await
        .expect("open the VCF's page");
    let html = rig.browser.page_source().await.expect("the page");
    assert!(
        html.contains("class=\"reads-offered\""),
        "the third is offered"
    );
    assert!(html.contains("other-patient.bam"));
    // The second row: the SNV at chr1:548.
    rig.click_and_expect("a.igv-reads", 1, &window("chr1", 548))
        .await;
    let tracks = rig.igv.loaded_tracks().await;
    let raw = |name: &str| rig.app.url(&format!("/raw/e2e/{name}"));
    for paired in ["tumour.bam", "normal.bam"] {
        assert!(tracks.contains(&raw(paired)), "{paired} not in {tracks:?}");
    }
    assert!(
        !tracks.contains(&raw("other-patient.bam")),
        "the unpaired BAM was loaded: {tracks:?}"
    );
    // IGV keeps no record of a sort in its session: a snapshot does. Once
    // the view has settled (two snapshots alike), sorting by base at the
    // same base again changes nothing: the link had sorted there (IGV's
    // sort is stable, so a sorted view stays as it is).
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut after_link = rig.igv.snapshot_png().await;
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let next = rig.igv.snapshot_png().await;
        if next == after_link {
            break;
        }
        after_link = next;
        assert!(Instant::now() < deadline, "IGV's view never settled");
    }
    rig.igv
        .batch("sort base chr1:548")
        .await
        .expect("sort by base");
    // Compared as a boolean: a failed assert must not print PNGs.
    let same = rig.igv.snapshot_png().await == after_link;
    assert!(same, "the link's view was not sorted by base at chr1:548");
    // A second row only moves and sorts: IGV skips files it has.
    rig.click_and_expect("a.igv-reads", 2, &window("chr1", 1294))
        .await;
    let again = rig.igv.loaded_tracks().await;
    let count = |name: &str| again.iter().filter(|t| **t == raw(name)).count();
    assert_eq!((count("tumour.bam"), count("normal.bam")), (1, 1));
    rig.finish().await;
}

#[actix_web::test]
async fn the_panel_stacks_the_paired_reads_named_by_sample() {
    let Some(rig) = Rig::start(|s, _| {
        if let Some(tiny) = s.genomes.get_mut("tiny") {
            tiny.igvjs = Some(IgvJsGenomeSettings {
                fasta: Some("raw/e2e/tiny.fa".into()),
                index: Some("raw/e2e/tiny.fa.fai".into()),
                ..IgvJsGenomeSettings::default()
            });
        }
    })
    .await
    else {
        return;
    };
    copy_pairing(&rig);
    std::fs::copy(rig.igv.fasta_path(), rig._data.path().join("tiny.fa")).expect("the FASTA");
    std::fs::copy(rig.igv.fai_path(), rig._data.path().join("tiny.fa.fai")).expect("its index");
    rig.browser
        .goto(&rig.page("tumour-normal.vcf"))
        .await
        .expect("open the VCF's page");
    let client = rig.browser.client();
    client
        .find(Locator::Css("#igv-viewer > summary"))
        .await
        .expect("the page has the panel")
        .click()
        .await
        .expect("open the panel");
    let script = "var b = window.igvRelayViewer; if (!b) { return null; } \
                  return b.tracks.filter(function (t) { return t.type === 'alignment'; }) \
                  .map(function (t) { return t.name; });";
    let deadline = Instant::now() + Duration::from_secs(60);
    let names = loop {
        let value = client.execute(script, vec![]).await.expect("run a script");
        if let Some(names) = value.as_array().filter(|n| n.len() >= 2) {
            break names
                .iter()
                .filter_map(|n| n.as_str().map(str::to_owned))
                .collect::<Vec<_>>();
        }
        assert!(
            Instant::now() < deadline,
            "igv.js showed no two alignment tracks: {value}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(names, ["normal", "tumour"]);
    rig.finish().await;
}

#[actix_web::test]
async fn a_breakend_rows_mate_link_shows_the_mate_in_igv() {
    let Some(rig) = Rig::start(|_, _| {}).await else {
        return;
    };
    let vcf = "##fileformat=VCFv4.2\n\
               ##contig=<ID=chr1,length=50000>\n\
               ##contig=<ID=chr2,length=20000>\n\
               ##INFO=<ID=SVTYPE,Number=1,Type=String,Description=\"SV type\">\n\
               #CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n\
               chr1\t5000\tbnd_a\tN\tN[chr2:3000[\t50\tPASS\tSVTYPE=BND\n";
    std::fs::write(rig._data.path().join("breakends.vcf"), vcf).expect("write the VCF");
    rig.browser
        .goto(&rig.page("breakends.vcf"))
        .await
        .expect("open the VCF's page");
    rig.click_and_expect("a.igv-mate", 0, &window("chr2", 3000))
        .await;
    rig.finish().await;
}
