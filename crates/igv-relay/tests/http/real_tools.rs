//! Result tables written by the real tools, run in the test (issue 25 item 8):
//! GWAS summary statistics from Debian's PLINK 1.07 (`p-link --assoc`), ten
//! SNPs on six chromosomes, each linked at the `CHR`/`BP` PLINK wrote
//! (1-based), smallest P first; and a Picard interval list from Debian's
//! picard-tools (`BedToIntervalList`), each interval linked at its 1-based
//! columns, on the genome its `@SQ` lengths say. Expected loci are read here,
//! independently of the service's readers. Without the tools (not installed:
//! scripts/install-test-deps.sh) the tests print `skipping: …` and pass,
//! except with `CI=true`.

use std::process::Command;

use serde_json::Value;

use crate::support::app::spawn_app_with;
use crate::support::run_tool;
use igv_relay::configuration::DataRootSettings;

/// `.map` and `.ped` of 40 people (20 cases) at ten SNPs, from a fixed
/// recipe: the genotypes differ between cases and controls at rs1005.
fn plink_input(dir: &std::path::Path) {
    let chroms = [1u64, 1, 2, 2, 3, 7, 7, 12, 22, 22];
    let map: String = chroms
        .iter()
        .enumerate()
        .map(|(i, c)| {
            format!(
                "{c}\trs{}\t0\t{}\n",
                1000 + i,
                c * 1_000_000 + 12_345 * i as u64
            )
        })
        .collect();
    std::fs::write(dir.join("g.map"), map).unwrap();
    let mut ped = String::new();
    for person in 0..40u64 {
        let affected = if person < 20 { 2 } else { 1 };
        ped.push_str(&format!(
            "F{person} I{person} 0 0 {} {affected}",
            1 + person % 2
        ));
        for snp in 0..chroms.len() as u64 {
            // A deterministic mix: allele A where (person * 7 + snp * 3 + k) % 5 < 2,
            // more often in cases at rs1005.
            for k in 0..2u64 {
                let a = (person * 7 + snp * 3 + k) % 5 < 2 || (snp == 5 && affected == 2 && k == 0);
                ped.push_str(if a { " A" } else { " G" });
            }
        }
        ped.push('\n');
    }
    std::fs::write(dir.join("g.ped"), ped).unwrap();
}

#[actix_web::test]
async fn a_plink_assoc_file_links_every_snp_at_its_one_based_position_smallest_p_first() {
    let dir = tempfile::tempdir().unwrap();
    plink_input(dir.path());
    let mut plink = Command::new("p-link");
    plink
        .current_dir(dir.path())
        .args(["--file", "g", "--assoc", "--noweb", "--out", "g"]);
    let assoc_file = dir.path().join("g.assoc");
    if !run_tool("PLINK (Debian plink)", &mut plink, Some(&assoc_file)) {
        return;
    }
    let assoc = std::fs::read_to_string(dir.path().join("g.assoc")).unwrap();
    // Independently: PLINK's columns are CHR SNP BP A1 F_A F_U A2 CHISQ P OR,
    // aligned with spaces; (line, CHR, SNP, BP, P).
    let mut expected: Vec<(u64, String, String, u64, f64)> = assoc
        .lines()
        .enumerate()
        .skip(1)
        .map(|(i, l)| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (
                i as u64 + 1,
                f[0].to_owned(),
                f[1].to_owned(),
                f[2].parse().unwrap(),
                f[8].parse().unwrap(),
            )
        })
        .collect();
    assert_eq!(expected.len(), 10);
    expected.sort_by(|a, b| a.4.partial_cmp(&b.4).unwrap().then(a.0.cmp(&b.0)));

    let data = dir.path().to_path_buf();
    let app = spawn_app_with(move |s| {
        s.data.roots = vec![DataRootSettings {
            name: "t".into(),
            path: data,
            genome: None,
        }]
    })
    .await;
    let r = app.get("/files/t/g.assoc?format=json&flank=0").await;
    assert_eq!(r.status().as_u16(), 200);
    let body: Value = r.json().await.unwrap();
    let rows = body["rows"].as_array().unwrap();
    assert_eq!(rows.len(), expected.len(), "{body:#}");
    for (row, (line, chrom, snp, bp, _)) in rows.iter().zip(&expected) {
        assert_eq!(row["line"].as_u64(), Some(*line), "{body:#}");
        assert_eq!(row["label"].as_str(), Some(snp.as_str()));
        let locus = row["locus"].as_str().unwrap_or("-");
        let (name, position) = locus.rsplit_once(':').unwrap_or(("", ""));
        assert_eq!(position, bp.to_string(), "{locus}");
        assert!(
            name == chrom || name == format!("chr{chrom}"),
            "{locus} for CHR {chrom}"
        );
    }
}

#[actix_web::test]
async fn a_picard_interval_list_links_every_interval_at_its_one_based_columns_on_the_sq_genome() {
    let dir = tempfile::tempdir().unwrap();
    // hg38's lengths for the three sequences, as a SAM header for Picard's SD=.
    std::fs::write(
        dir.path().join("dict.sam"),
        "@HD\tVN:1.6\n@SQ\tSN:chr1\tLN:248956422\n@SQ\tSN:chr2\tLN:242193529\n\
         @SQ\tSN:chr7\tLN:159345973\n",
    )
    .unwrap();
    let bed = "chr1\t999\t2000\texon1\t0\t+\nchr7\t140753335\t140753336\tbraf\t0\t-\n\
               chr2\t0\t100\tfirst\t0\t+\n";
    std::fs::write(dir.path().join("t.bed"), bed).unwrap();
    let mut picard = Command::new("picard-tools");
    picard.current_dir(dir.path()).args([
        "BedToIntervalList",
        "I=t.bed",
        "O=targets.interval_list",
        "SD=dict.sam",
    ]);
    let list = dir.path().join("targets.interval_list");
    if !run_tool("picard-tools", &mut picard, Some(&list)) {
        return;
    }
    std::fs::remove_file(dir.path().join("t.bed")).unwrap();
    let text = std::fs::read_to_string(&list).unwrap();
    // Independently: after the `@` lines, contig start end strand name, 1-based inclusive.
    let expected: Vec<(u64, String, String)> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.starts_with('@'))
        .map(|(i, l)| {
            let f: Vec<&str> = l.split('\t').collect();
            let locus = if f[1] == f[2] {
                format!("{}:{}", f[0], f[1])
            } else {
                format!("{}:{}-{}", f[0], f[1], f[2])
            };
            (i as u64 + 1, locus, f[4].to_owned())
        })
        .collect();
    assert_eq!(expected.len(), 3, "{text}");
    let data = dir.path().to_path_buf();
    let app = spawn_app_with(move |s| {
        s.data.roots = vec![DataRootSettings {
            name: "t".into(),
            path: data,
            genome: None,
        }]
    })
    .await;
    let r = app.get("/files/t/targets.interval_list?format=json").await;
    assert_eq!(r.status().as_u16(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["genome"], "hg38", "{body:#}");
    let got: Vec<(u64, String, String)> = body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["line"].as_u64().unwrap(),
                r["locus"].as_str().unwrap_or("-").to_owned(),
                r["label"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert_eq!(got, expected, "{body:#}");
}
