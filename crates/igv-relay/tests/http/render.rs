//! `igv-relay render`: static link pages for one result file, as a Galaxy
//! workflow step writes them (tests/galaxy.rs runs the Galaxy tool for real).

use crate::support::html::{hrefs, loci};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BED: &str = "chr1\t100\t200\tfeat1\t0\t+\nchr2\t1000\t1500\tfeat2\t0\t-\nchrX\t0\t1\tfirst_base\t0\t+\n\
chr3\t5\t10\tf4\t0\t+\nchr4\t50\t60\tf5\t0\t+\n";

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_igv-relay"))
        .args(args)
        .env_remove("IGV_RELAY__SERVER__PUBLIC_URL")
        .output()
        .expect("igv-relay runs")
}

fn write(dir: &Path, name: &str, content: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, content).expect("write a test file");
    path
}

fn render_to_string(args: &[&str]) -> String {
    let output = run(args);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8 page")
}

#[test]
fn a_bed_page_links_every_record_to_the_relay_without_script() {
    let dir = tempfile::tempdir().unwrap();
    let bed = write(dir.path(), "peaks.bed", BED);
    let html = render_to_string(&[
        "render",
        bed.to_str().unwrap(),
        "--genome",
        "hg38",
        "--relay-url",
        "https://galaxy.lab.org/igv-relay",
    ]);
    assert_eq!(
        loci(&html),
        [
            "chr1:101-200",
            "chr2:1001-1500",
            "chrX:1",
            "chr3:6-10",
            "chr4:51-60"
        ]
    );
    assert!(
        html.contains(
            "href=\"https://galaxy.lab.org/igv-relay/igv/goto?locus=chr1%3A101-200&#38;genome=hg38\" target=\"_top\" title="
        ),
        "{html}"
    );
    assert!(!html.contains("<script"), "no script needed");
    // Links are top-level, out of Galaxy's frame (issue 22); so is the
    // connection check.
    assert!(
        html.contains(
            "<a class=\"igv-check\" href=\"https://galaxy.lab.org/igv-relay/igv/check\" target=\"_top\""
        ),
        "{html}"
    );
    assert!(html.contains("<style>"), "CSS is inlined");
    assert!(!html.contains("<link rel=\"stylesheet\""));
    for href in hrefs(&html) {
        assert!(
            href.starts_with("https://galaxy.lab.org/igv-relay/"),
            "every link goes to the relay: {href}"
        );
    }
}

#[test]
fn a_huge_file_is_capped_with_a_note_that_counts_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let bed = write(dir.path(), "peaks.bed", BED);
    let html = render_to_string(&[
        "render",
        bed.to_str().unwrap(),
        "--max-rows",
        "2",
        "--relay-url",
        "http://relay.example/",
    ]);
    assert_eq!(loci(&html), ["chr1:101-200", "chr2:1001-1500"]);
    assert!(
        html.contains("This page lists the first 2 of the file&#39;s 5 records"),
        "{html}"
    );
}

#[test]
fn per_file_pages_link_to_each_other() {
    let dir = tempfile::tempdir().unwrap();
    let bed = write(dir.path(), "peaks.bed", BED);
    let out = dir.path().join("links.html");
    let output = run(&[
        "render",
        bed.to_str().unwrap(),
        "--per-file",
        "2",
        "--relay-url",
        "http://relay.example/",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(output.status.success());
    let page = |name: &str| std::fs::read_to_string(dir.path().join(name)).unwrap();
    assert_eq!(
        loci(&page("links.html")),
        ["chr1:101-200", "chr2:1001-1500"]
    );
    assert_eq!(loci(&page("links-2.html")), ["chrX:1", "chr3:6-10"]);
    assert_eq!(loci(&page("links-3.html")), ["chr4:51-60"]);
    assert!(page("links.html").contains("rel=\"next\" href=\"links-2.html\""));
    assert!(page("links-2.html").contains("rel=\"prev\" href=\"links.html\""));
    assert!(page("links-2.html").contains("rel=\"next\" href=\"links-3.html\""));
    assert!(!page("links-3.html").contains("rel=\"next\""));
    assert!(!dir.path().join("links-4.html").exists());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("5 of 5 records"), "{stderr}");
}

#[test]
fn a_galaxy_interval_dataset_uses_its_column_metadata_and_dbkey() {
    // What the Galaxy tool passes: a .dat file, the datatype, the metadata.
    let dir = tempfile::tempdir().unwrap();
    let dat = write(
        dir.path(),
        "dataset_1.dat",
        "#name\tscore\tchrom\tstart\tend\ng1\t5\tchr3\t10\t20\n",
    );
    let html = render_to_string(&[
        "render",
        dat.to_str().unwrap(),
        "--format",
        "interval",
        "--chrom-col",
        "3",
        "--start-col",
        "4",
        "--end-col",
        "5",
        "--dbkey",
        "hg_g1k_v37",
        "--name",
        "genes <b>.interval",
        "--relay-url",
        "http://relay.example/",
    ]);
    // hg_g1k_v37 is b37, whose chromosome 3 is called "3".
    assert_eq!(loci(&html), ["3:11-20"]);
    assert!(html.contains("genome=b37"), "{html}");
    assert!(
        html.contains("genes &#60;b&#62;.interval"),
        "names are escaped"
    );
    assert!(!html.contains("genes <b>"));
}

#[test]
fn an_unknown_dbkey_is_said_and_no_genome_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let bed = write(dir.path(), "peaks.bed", BED);
    let html = render_to_string(&[
        "render",
        bed.to_str().unwrap(),
        "--dbkey",
        "grch38_hs38d1_noalt",
        "--relay-url",
        "http://relay.example/",
    ]);
    assert!(html.contains("&#34;grch38_hs38d1_noalt&#34; is not one igv-relay knows"));
    assert!(!html.contains("genome="), "{html}");
    assert_eq!(loci(&html).len(), 5);
}

#[test]
fn bad_arguments_are_refused_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let bed = write(dir.path(), "peaks.bed", BED);
    for (args, expected) in [
        (
            vec!["render", bed.to_str().unwrap(), "--relay-url", "ftp://x/"],
            "expected an http(s) URL",
        ),
        (
            vec!["render", bed.to_str().unwrap(), "--genome", "hg99"],
            "is not a known genome",
        ),
        (
            vec!["render", bed.to_str().unwrap(), "--per-file", "2"],
            "give -o FILE",
        ),
        (vec!["render", "/no/such/file.bed"], "/no/such/file.bed"),
    ] {
        let output = run(&args);
        assert!(!output.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
}

/// The Galaxy tool passes the dataset's datatype: a SEG file that Galaxy
/// holds as `tabular` is told by its header and read as IGV reads SEG
/// (0-based `loc.start`), not refused for lacking `start` columns.
#[test]
fn a_seg_table_given_as_galaxy_tabular_is_read_as_seg() {
    let dir = tempfile::tempdir().unwrap();
    let seg = write(
        dir.path(),
        "dataset_7.dat",
        "ID\tchrom\tloc.start\tloc.end\tnum.mark\tseg.mean\n\
         s1\t1\t100\t200\t5\t-0.4\n\
         s1\t7\t140000000\t141000000\t80\t0.9\n",
    );
    let html = render_to_string(&[
        "render",
        seg.to_str().unwrap(),
        "--format",
        "tabular",
        "--genome",
        "b37",
        "--relay-url",
        "https://galaxy.lab.org/igv-relay",
    ]);
    assert_eq!(
        loci(&html),
        ["1:101-200", "7:140000001-141000000"],
        "{html}"
    );
}

/// A GWAS table rendered as the service would page it: each hit at ±200 kb
/// (the default `data.gwas_flank`), unless `--flank` says otherwise.
#[test]
fn gwas_hits_get_the_services_200_kb_flank_unless_flank_is_given() {
    let dir = tempfile::tempdir().unwrap();
    let gwas = write(
        dir.path(),
        "dataset_8.dat",
        "CHR\tBP\tSNP\tP\n7\t140753336\trs113488022\t3e-12\n",
    );
    let args = |flank: Option<&'static str>| {
        let mut args = vec![
            "render".to_owned(),
            gwas.to_str().unwrap().to_owned(),
            "--format".into(),
            "tabular".into(),
            "--genome".into(),
            "b37".into(),
            "--relay-url".into(),
            "https://galaxy.lab.org/igv-relay".into(),
        ];
        if let Some(flank) = flank {
            args.extend(["--flank".to_owned(), flank.to_owned()]);
        }
        args
    };
    let page = |flank| {
        let args = args(flank);
        render_to_string(&args.iter().map(String::as_str).collect::<Vec<_>>())
    };
    assert_eq!(loci(&page(None)), ["7:140553336-140953336"]);
    assert_eq!(loci(&page(Some("0"))), ["7:140753336"]);
    assert_eq!(loci(&page(Some("10"))), ["7:140753326-140753346"]);
}
