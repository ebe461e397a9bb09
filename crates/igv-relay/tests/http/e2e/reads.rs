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

/// `chr1:528-567` → ("chr1", 528, 567).
fn frame(text: &str) -> Option<(String, u64, u64)> {
    let (chrom, range) = text.trim().rsplit_once(':')?;
    let (start, end) = range.split_once('-')?;
    Some((
        chrom.to_owned(),
        start.replace(',', "").parse().ok()?,
        end.replace(',', "").parse().ok()?,
    ))
}

/// A breakend row's split screen with the reads (issue 26, item 4): one
/// `/load` of the paired BAMs with both ends as IGV's multi-locus string.
/// IGV shows the two ends side by side, each frame holding its breakend,
/// with exactly the two paired BAMs loaded (not the third), and its port
/// still answers.
#[actix_web::test]
async fn a_breakend_rows_split_screen_loads_the_paired_reads_at_both_ends() {
    let Some(rig) = Rig::start(|_, _| {}).await else {
        return;
    };
    copy_pairing(&rig);
    // A breakend pair between two places of chr1 the pairing reads cover,
    // genotyped in the fixtures' two samples.
    let vcf = "##fileformat=VCFv4.2\n\
               ##contig=<ID=chr1,length=50000>\n\
               ##INFO=<ID=SVTYPE,Number=1,Type=String,Description=\"SV type\">\n\
               ##INFO=<ID=MATEID,Number=1,Type=String,Description=\"Mate\">\n\
               ##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n\
               #CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\ttumour\tnormal\n\
               chr1\t548\tbnd_a\tC\tC[chr1:1294[\t50\tPASS\tSVTYPE=BND;MATEID=bnd_b\tGT\t0/1\t0/0\n\
               chr1\t1294\tbnd_b\tA\t]chr1:548]A\t50\tPASS\tSVTYPE=BND;MATEID=bnd_a\tGT\t0/1\t0/0\n";
    std::fs::write(rig._data.path().join("breakend-pair.vcf"), vcf).expect("write the VCF");
    rig.browser
        .goto(&rig.page("breakend-pair.vcf"))
        .await
        .expect("open the VCF's page");
    let html = rig.browser.page_source().await.expect("the page");
    assert!(html.contains(">BND 746 bp</span>"), "the size to the mate");
    let client = rig.browser.client();
    let links = client
        .find_all(Locator::Css("a.igv-reads-both"))
        .await
        .expect("find links");
    assert_eq!(
        links.len(),
        2,
        "each breakend row has its split screen with reads"
    );
    links[0].click().await.expect("click the first row's link");
    let deadline = Instant::now() + Duration::from_secs(20);
    let shown = loop {
        let shown = rig.igv.current_locus().await;
        if shown.contains(" | ") {
            break shown;
        }
        assert!(
            Instant::now() < deadline,
            "IGV shows {shown}, not both ends"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let frames: Vec<(String, u64, u64)> = shown.split('|').filter_map(frame).collect();
    assert_eq!(frames.len(), 2, "two frames: {shown}");
    for (frame, at) in frames.iter().zip([548, 1294]) {
        assert!(
            frame.0 == "chr1" && frame.1 <= at && at <= frame.2,
            "{shown}: no frame holds chr1:{at}"
        );
    }
    let tracks = rig.igv.loaded_tracks().await;
    let raw = |name: &str| rig.app.url(&format!("/raw/e2e/{name}"));
    for paired in ["tumour.bam", "normal.bam"] {
        assert!(tracks.contains(&raw(paired)), "{paired} not in {tracks:?}");
    }
    assert!(
        !tracks.contains(&raw("other-patient.bam")),
        "the unpaired BAM was loaded: {tracks:?}"
    );
    // The port still answers and moves (no dialog, no dead listener).
    rig.igv.goto("chr1:100-200").await;
    assert_eq!(rig.igv.wait_for_locus("chr1:100-200").await, "chr1:100-200");
    rig.finish().await;
}
