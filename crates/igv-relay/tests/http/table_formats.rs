//! Link pages for MAF, ANNOVAR, SEG, GWAS summary statistics and interval
//! lists (issue 25), through the real service: each file's records linked
//! at the locus its specification gives, the MAF's triage columns usable in
//! conditions and sort, bad headers refused with the file, the line and
//! the column, and GWAS hits linked with the configured `data.gwas_flank`.

use serde_json::Value;

use crate::support::app::{TestApp, spawn_app_with};
use igv_relay::configuration::DataRootSettings;

const GDC_MAF: &str = "#version gdc-1.0.0\n\
Hugo_Symbol\tEntrez_Gene_Id\tNCBI_Build\tChromosome\tStart_Position\tEnd_Position\tStrand\tVariant_Classification\tReference_Allele\tTumor_Seq_Allele2\tTumor_Sample_Barcode\tHGVSp_Short\tt_depth\tt_alt_count\n\
BRAF\t673\tGRCh38\tchr7\t140753336\t140753336\t+\tMissense_Mutation\tA\tT\tTCGA-EE-A3J5-06A\tp.V600E\t120\t40\n\
KRAS\t3845\tGRCh38\tchr12\t25245350\t25245350\t+\tMissense_Mutation\tC\tA\tTCGA-AA-3555-01A\tp.G12V\t100\t70\n\
EGFR\t1956\tGRCh38\tchr7\t55174772\t55174786\t+\tIn_Frame_Del\tGGAATTAAGAGAAGC\t-\tTCGA-05-4396-01A\tp.E746_A750del\t50\t5\n";

/// A service over a data root holding `files`.
async fn app_with(files: &[(&str, &[u8])]) -> (TestApp, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in files {
        std::fs::write(dir.path().join(name), bytes).unwrap();
    }
    let path = dir.path().to_path_buf();
    let app = spawn_app_with(move |s| {
        s.data.roots = vec![DataRootSettings {
            name: "t".into(),
            path,
            genome: None,
        }]
    })
    .await;
    (app, dir)
}

async fn json(app: &TestApp, path: &str) -> Value {
    let r = app.get(path).await;
    assert_eq!(r.status().as_u16(), 200, "{path}");
    r.json().await.unwrap()
}

fn loci(json: &Value) -> Vec<String> {
    json["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["locus"].as_str().unwrap_or("-").to_owned())
        .collect()
}

#[actix_web::test]
async fn a_maf_named_maf_or_tsv_links_each_mutation_at_its_one_based_locus() {
    let (app, _dir) = app_with(&[
        ("tumour.maf", GDC_MAF.as_bytes()),
        ("tumour.tsv", GDC_MAF.as_bytes()),
    ])
    .await;
    for name in ["tumour.maf", "tumour.tsv"] {
        let body = json(&app, &format!("/files/t/{name}?format=json")).await;
        assert_eq!(
            loci(&body),
            ["chr7:140753336", "chr12:25245350", "chr7:55174772-55174786"],
            "{name}: {body:#}"
        );
        // NCBI_Build GRCh38 and chr-named sequences: hg38.
        assert_eq!(body["genome"], "hg38", "{name}: {body:#}");
        assert_eq!(
            body["genome_reason"], "from the MAF's NCBI_Build column \"GRCh38\"",
            "{name}"
        );
        let r = app.get(&format!("/files/t/{name}")).await;
        let html = r.text().await.unwrap();
        assert!(html.contains("MAF"), "{name}");
    }
}

#[actix_web::test]
async fn a_maf_sorts_and_filters_by_tumour_vaf_sample_and_classification() {
    let (app, _dir) = app_with(&[("tumour.maf", GDC_MAF.as_bytes())]).await;
    // t_alt_count / t_depth: BRAF 40/120, KRAS 70/100, EGFR 5/50.
    let body = json(&app, "/files/t/tumour.maf?format=json&sort=-tumor_vaf").await;
    assert_eq!(
        loci(&body),
        ["chr12:25245350", "chr7:140753336", "chr7:55174772-55174786"],
        "{body:#}"
    );
    let body = json(
        &app,
        "/files/t/tumour.maf?format=json&where=Variant_Classification%3DMissense_Mutation%3B%20tumor_vaf%3C0.5",
    )
    .await;
    assert_eq!(loci(&body), ["chr7:140753336"], "{body:#}");
    let body = json(
        &app,
        "/files/t/tumour.maf?format=json&where=Tumor_Sample_Barcode~TCGA-05&sort=HGVSp_Short",
    )
    .await;
    assert_eq!(loci(&body), ["chr7:55174772-55174786"], "{body:#}");
}

#[actix_web::test]
async fn a_maf_without_start_position_is_refused_naming_the_file_line_and_column() {
    let broken = GDC_MAF.replace("Start_Position", "Start");
    let (app, _dir) = app_with(&[("broken.maf", broken.as_bytes())]).await;
    let r = app
        .client
        .get(app.url("/files/t/broken.maf"))
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    let body: Value = r.json().await.unwrap();
    let message = body["message"].as_str().unwrap_or_default().to_owned() + &body.to_string();
    assert!(message.contains("broken.maf"), "{body:#}");
    assert!(message.contains("line 2"), "{body:#}");
    assert!(message.contains("no Start_Position column"), "{body:#}");
}

#[actix_web::test]
async fn seg_gwas_annovar_and_interval_list_files_link_each_record_by_their_rules() {
    let seg = "ID\tchrom\tloc.start\tloc.end\tnum.mark\tseg.mean\n\
               S1\t7\t140000000\t141000000\t120\t0.85\n\
               S2\t12\t25000000\t25500000\t40\t-1.2\n";
    let gwas =
        "CHR\tBP\tSNP\tP\n7\t140753336\trs113488022\t3e-12\n12\t25245350\trs121913529\t0.04\n";
    let annovar = "Chr\tStart\tEnd\tRef\tAlt\tFunc.refGene\tGene.refGene\n\
                   chr7\t140753336\t140753336\tA\tT\texonic\tBRAF\n";
    let intervals = "@HD\tVN:1.6\n@SQ\tSN:chr7\tLN:159345973\n@SQ\tSN:chr12\tLN:133275309\n\
                     chr7\t140753300\t140753400\t+\tBRAF_ex15\n";
    let (app, _dir) = app_with(&[
        ("cn.seg", seg.as_bytes()),
        ("trait.tsv", gwas.as_bytes()),
        ("sample.hg38_multianno.txt", annovar.as_bytes()),
        ("targets.interval_list", intervals.as_bytes()),
    ])
    .await;
    let body = json(&app, "/files/t/cn.seg?format=json&genome=b37&flank=0").await;
    assert_eq!(
        loci(&body),
        ["7:140000001-141000000", "12:25000001-25500000"]
    );
    let body = json(&app, "/files/t/trait.tsv?format=json&genome=b37&flank=0").await;
    assert_eq!(loci(&body), ["7:140753336", "12:25245350"], "{body:#}");
    let body = json(
        &app,
        "/files/t/sample.hg38_multianno.txt?format=json&flank=0",
    )
    .await;
    assert_eq!(loci(&body), ["chr7:140753336"], "{body:#}");
    let body = json(&app, "/files/t/targets.interval_list?format=json&flank=0").await;
    assert_eq!(loci(&body), ["chr7:140753300-140753400"], "{body:#}");
}

#[actix_web::test]
async fn gwas_rows_come_smallest_p_first_with_a_200_kb_flank_unless_asked_otherwise() {
    let gwas = "chromosome\tbase_pair_location\tp_value\tvariant_id\n\
                1\t752566\t0.84\trs3094315\n\
                7\t140753336\t3e-12\trs113488022\n\
                12\t25245350\t0.0004\trs121913529\n\
                2\t100000\t0\trs_underflow\n";
    let (app, _dir) = app_with(&[("trait.tsv", gwas.as_bytes())]).await;
    let body = json(&app, "/files/t/trait.tsv?format=json&genome=b37").await;
    assert_eq!(
        loci(&body),
        [
            "2:1-300000",
            "7:140553336-140953336",
            "12:25045350-25445350",
            "1:552566-952566"
        ],
        "{body:#}"
    );
    // `?sort=` and `?flank=` win.
    let body = json(
        &app,
        "/files/t/trait.tsv?format=json&genome=b37&flank=0&sort=base_pair_location",
    )
    .await;
    assert_eq!(
        loci(&body),
        ["2:100000", "1:752566", "12:25245350", "7:140753336"],
        "{body:#}"
    );
    // A P value outside [0, 1] is refused on its row, with the line and column.
    let (app, _dir) = app_with(&[(
        "bad.tsv",
        b"CHR\tBP\tSNP\tP\n1\t100\trs1\t0.5\n1\t200\trs2\t1.7\n".as_slice(),
    )])
    .await;
    let r = app.get("/files/t/bad.tsv?format=tsv&flank=0").await;
    let tsv = r.text().await.unwrap();
    let refused = tsv
        .lines()
        .find(|l| l.starts_with("3\t"))
        .unwrap_or_else(|| panic!("{tsv}"));
    assert!(
        refused.contains("column 4 (P) is 1.7, outside [0, 1]"),
        "{tsv}"
    );
}

/// `variant ± flank` as the relay links it: 1-based, the start clamped at 1.
fn around(chrom: &str, position: u64, flank: u64) -> String {
    format!(
        "{chrom}:{}-{}",
        position.saturating_sub(flank).max(1),
        position + flank
    )
}

#[actix_web::test]
async fn a_configured_gwas_flank_links_each_hit_at_that_flank_and_flank_in_the_url_still_wins() {
    let gwas = "CHR\tBP\tSNP\tP\n7\t140753336\trs113488022\t3e-12\n\
                12\t25245350\trs121913529\t0.0004\n\
                2\t30000\trs_near_start\t0.2\n";
    let bed = "7\t140753335\t140753336\tbraf_v600\n";
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("trait.gwas"), gwas).unwrap();
    std::fs::write(dir.path().join("hits.bed"), bed).unwrap();
    let path = dir.path().to_path_buf();
    let app = spawn_app_with(move |s| {
        s.data.gwas_flank = 50_000;
        s.data.default_flank = 7;
        s.data.roots = vec![DataRootSettings {
            name: "t".into(),
            path,
            genome: None,
        }]
    })
    .await;
    // Smallest P first, each variant with data.gwas_flank on each side.
    let body = json(&app, "/files/t/trait.gwas?format=json&genome=b37").await;
    assert_eq!(
        loci(&body),
        [
            around("7", 140753336, 50_000),
            around("12", 25245350, 50_000),
            around("2", 30000, 50_000),
        ],
        "{body:#}"
    );
    // The page's row links send IGV the same locus.
    let html = app
        .get("/files/t/trait.gwas?genome=b37")
        .await
        .text()
        .await
        .unwrap();
    let shown = format!("data-locus=\"{}\"", around("7", 140753336, 50_000));
    assert!(html.contains(&shown), "{shown}: {html}");
    // Other formats keep data.default_flank.
    let body = json(&app, "/files/t/hits.bed?format=json&genome=b37").await;
    assert_eq!(loci(&body), [around("7", 140753336, 7)], "{body:#}");
    // `?flank=` wins over both.
    for flank in [0, 1_000] {
        let body = json(
            &app,
            &format!("/files/t/trait.gwas?format=json&genome=b37&flank={flank}"),
        )
        .await;
        let want = if flank == 0 {
            "7:140753336".to_owned()
        } else {
            around("7", 140753336, flank)
        };
        assert_eq!(loci(&body)[0], want, "{body:#}");
    }
}

/// A data.gwas_flank over 10 Mb stops the service at start-up, naming the
/// key; 10 Mb itself is taken.
#[test]
fn a_gwas_flank_over_10_mb_is_a_start_up_error_naming_the_key() {
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};
    const BIN: &str = env!("CARGO_BIN_EXE_igv-relay");
    let out = Command::new(BIN)
        .arg("check-config")
        .env("IGV_RELAY__DATA__GWAS_FLANK", "10000000")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(printed["data"]["gwas_flank"], 10_000_000);
    let out = Command::new(BIN).arg("check-config").output().unwrap();
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(printed["data"]["gwas_flank"], 200_000, "the default");

    // `serve` exits at once, saying which key and why.
    let mut child = Command::new(BIN)
        .arg("serve")
        .env("IGV_RELAY__DATA__GWAS_FLANK", "10000001")
        .env("IGV_RELAY__SERVER__BIND", "127.0.0.1:0")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("igv-relay serve kept running with data.gwas_flank = 10000001");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert!(!status.success());
    assert!(err.contains("data.gwas_flank is 10000001 bases"), "{err}");
    assert!(err.contains("at most 10000000"), "{err}");
}

#[actix_web::test]
async fn a_gwas_page_draws_a_manhattan_plot_whose_points_relay_their_stretch() {
    let gwas = "CHR\tBP\tSNP\tP\n7\t140753336\trs113488022\t3e-12\n\
                12\t25245350\trs121913529\t0.0004\n1\t752566\trs3094315\t0.84\n2\t100000\trs0\t0\n";
    let (app, _dir) = app_with(&[("trait.gwas", gwas.as_bytes())]).await;
    let r = app.get("/files/t/trait.gwas?genome=b37").await;
    assert_eq!(r.status().as_u16(), 200);
    let html = r.text().await.unwrap();
    let figure = html
        .split("<figure class=\"manhattan\">")
        .nth(1)
        .and_then(|rest| rest.split("</figure>").next())
        .unwrap_or_else(|| panic!("no Manhattan plot: {html}"));
    let points: Vec<&str> = figure.split("<a class=\"point").skip(1).collect();
    assert_eq!(points.len(), 4, "{figure}");
    // Chromosomes in karyotype order, to scale: 1, 2, 7, 12.
    let labels: Vec<&str> = figure
        .split("class=\"chrom-label\"")
        .skip(1)
        .filter_map(|t| t.split('>').nth(1)?.split('<').next())
        .collect();
    assert_eq!(labels, ["1", "2", "7", "12"]);
    // The strongest finite association (chr7, P 3e-12) is its stretch's point,
    // drawn higher (smaller y) than chr12's P 4e-4.
    let cy = |chrom: &str| -> f64 {
        let point = points
            .iter()
            .find(|p| p.contains(&format!("locus={chrom}%3A")))
            .unwrap_or_else(|| panic!("no point on {chrom}"));
        point
            .split("cy=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    assert!(cy("7") < cy("12"), "{figure}");
    let title = points
        .iter()
        .find(|p| p.contains("locus=7%3A"))
        .and_then(|p| p.split("<title>").nth(1))
        .and_then(|t| t.split("</title>").next())
        .unwrap();
    assert!(title.contains("strongest −log10 P 11.52"), "{title}");
    // Following a point's link is the relay's 303 to IGV with that stretch.
    let href = points
        .iter()
        .find(|p| p.contains("locus=7%3A"))
        .and_then(|p| p.split("href=\"").nth(1))
        .and_then(|h| h.split('"').next())
        .map(crate::support::html::unescape)
        .unwrap();
    let locus = url::Url::parse(&href)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "locus")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    let (start, end) = locus["7:".len()..]
        .split_once('-')
        .map(|(s, e)| (s.parse::<u64>().unwrap(), e.parse::<u64>().unwrap()))
        .unwrap();
    assert!(start <= 140753336 && 140753336 <= end, "{locus}");
    let followed = app.client.get(&href).send().await.unwrap();
    assert_eq!(followed.status().as_u16(), 303);
    let location = followed.headers()["location"].to_str().unwrap();
    assert!(
        location.starts_with("http://127.0.0.1:60151/"),
        "{href} → {location}"
    );
    assert!(
        location.ends_with(&format!("locus={locus}")),
        "{href} → {location}"
    );
}

#[actix_web::test]
async fn a_seg_page_draws_each_samples_segment_means_and_each_segment_relays_it() {
    let seg = "ID\tchrom\tloc.start\tloc.end\tnum.mark\tseg.mean\n\
               tumour\t7\t140000000\t141000000\t120\t0.85\n\
               tumour\t12\t25000000\t25500000\t40\t-1.2\n\
               normal\t7\t1\t159000000\t900\t0.01\n";
    let (app, _dir) = app_with(&[("cn.seg", seg.as_bytes())]).await;
    let r = app.get("/files/t/cn.seg?genome=b37").await;
    assert_eq!(r.status().as_u16(), 200);
    let html = r.text().await.unwrap();
    let figure = html
        .split("<figure class=\"segments\">")
        .nth(1)
        .and_then(|rest| rest.split("</figure>").next())
        .unwrap_or_else(|| panic!("no segment picture: {html}"));
    let samples: Vec<&str> = figure
        .split("class=\"sample\"")
        .skip(1)
        .filter_map(|t| t.split('>').nth(1)?.split('<').next())
        .collect();
    assert_eq!(samples, ["tumour", "normal"]);
    let segments: Vec<&str> = figure.split("<a class=\"segment\"").skip(1).collect();
    assert_eq!(segments.len(), 3, "{figure}");
    let segment = |locus: &str| {
        *segments
            .iter()
            .find(|s| s.contains(&format!("locus={}", locus.replace(':', "%3A"))))
            .unwrap_or_else(|| panic!("no segment at {locus}: {figure}"))
    };
    // The loci are IGV's reading of the SEG (loc.start + 1), the colours the sign.
    let fill = |s: &str| s.split("fill=\"#").nth(1).unwrap()[..6].to_owned();
    let (gain, loss, flat) = (
        fill(segment("7:140000001-141000000")),
        fill(segment("12:25000001-25500000")),
        fill(segment("7:2-159000000")),
    );
    let rgb = |hex: &str| {
        (0..3)
            .map(|i| u8::from_str_radix(&hex[i * 2..i * 2 + 2], 16).unwrap())
            .collect::<Vec<u8>>()
    };
    assert!(rgb(&gain)[0] > rgb(&gain)[2], "a gain is red: {gain}");
    assert!(rgb(&loss)[2] > rgb(&loss)[0], "a loss is blue: {loss}");
    assert!(
        rgb(&flat).iter().all(|c| *c > 240),
        "no change is white: {flat}"
    );
    assert!(
        segment("12:25000001-25500000")
            .contains("<title>tumour 12:25000001-25500000: mean -1.200</title>")
    );
}
