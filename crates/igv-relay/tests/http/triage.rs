//! Triage pages on real annotated VCFs (issue 15): VEP `CSQ` and snpEff
//! `ANN`/`EFF` files and a 189-sample cohort from the test data of Debian's
//! python3-cyvcf2 (fetched with the real-file corpus, `tests/support/corpus.rs`).
//! Every expectation is computed here from the file's own lines, not from
//! igv-relay's parsers.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::support::app::{TestApp, spawn_app_with};
use igv_relay::configuration::DataRootSettings;

const CYVCF2: &str = "python3-cyvcf2/usr/lib/python3/dist-packages/cyvcf2/tests";
/// PyVCF's 1000 Genomes example: 629 samples, the cohort of these tests.
const COHORT: &str = "python-pyvcf-examples/usr/share/doc/python3-vcf/test/1kg.vcf.gz";

/// VEP's HIGH-impact consequence terms (Ensembl's table).
const HIGH: [&str; 10] = [
    "transcript_ablation",
    "splice_acceptor_variant",
    "splice_donor_variant",
    "stop_gained",
    "frameshift_variant",
    "stop_lost",
    "start_lost",
    "transcript_amplification",
    "feature_elongation",
    "feature_truncation",
];

fn text_of(path: &Path) -> String {
    let bytes = std::fs::read(path).expect("corpus file");
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut text = Vec::new();
        flate2::read::MultiGzDecoder::new(&bytes[..])
            .read_to_end(&mut text)
            .expect("gzip");
        return String::from_utf8_lossy(&text).into_owned();
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// `(line number, columns)` of every data line.
fn records(path: &Path) -> Vec<(u64, Vec<String>)> {
    text_of(path)
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.starts_with('#') && !l.trim().is_empty())
        .map(|(i, l)| (i as u64 + 1, l.split('\t').map(str::to_owned).collect()))
        .collect()
}

fn info<'a>(columns: &'a [String], key: &str) -> Option<&'a str> {
    columns[7].split(';').find_map(|f| match f.split_once('=') {
        Some((k, v)) if k == key => Some(v),
        _ => None,
    })
}

/// A service over a copy of the cyvcf2 test files, or `None` (skipped) when
/// the corpus cannot be had outside CI.
async fn app() -> Option<(TestApp, PathBuf, tempfile::TempDir)> {
    let corpus = crate::support::corpus::corpus()?;
    let source = corpus.join(CYVCF2);
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "test-haploidX.vcf",
        "test_gt_alt_freqs.vcf",
        "test.snpeff.vcf",
        "test.vcf.gz",
    ] {
        std::fs::copy(source.join(name), dir.path().join(name)).expect(name);
    }
    std::fs::copy(corpus.join(COHORT), dir.path().join("1kg.vcf.gz")).expect("the cohort");
    let path = dir.path().to_path_buf();
    let app = spawn_app_with(move |s| {
        s.data.roots = vec![DataRootSettings {
            name: "cy".into(),
            path,
            genome: None,
        }]
    })
    .await;
    Some((app, source, dir))
}

async fn html(app: &TestApp, path: &str) -> String {
    let r = app.get(path).await;
    let status = r.status().as_u16();
    let body = r.text().await.unwrap();
    assert_eq!(status, 200, "{path}: {body}");
    body
}

/// The line numbers of the page's rows.
fn lines(body: &str) -> Vec<u64> {
    let table = &body[body.find("<tbody>").unwrap_or(0)..];
    table
        .split("<td class=\"num\">")
        .skip(1)
        .filter_map(|rest| rest.split('<').next()?.parse().ok())
        .collect()
}

fn header(body: &str) -> Vec<String> {
    let head = &body[body.find("<thead>").map_or(0, |i| i + 7)..];
    let head = &head[..head.find("</thead>").unwrap_or(head.len())];
    head.split("<th")
        .skip(1)
        .map(|cell| {
            // The cell's text, without a sort link's tags or its arrow.
            let text = &cell[cell.find('>').map_or(0, |i| i + 1)..];
            let text = &text[..text.find("</th>").unwrap_or(text.len())];
            let mut out = String::new();
            let mut in_tag = false;
            for c in text.chars() {
                match c {
                    '<' => in_tag = true,
                    '>' => in_tag = false,
                    c if !in_tag => out.push(c),
                    _ => {}
                }
            }
            out.trim_end_matches(['▲', '▼']).trim().to_owned()
        })
        // The link-outs column (issue 24) is not one of the record's.
        .filter(|head| head != "Links")
        .collect()
}

fn total(body: &str) -> u64 {
    let at = body.find("<strong>").expect("a total") + "<strong>".len();
    body[at..body[at..].find('<').unwrap() + at]
        .replace(',', "")
        .parse()
        .unwrap()
}

#[actix_web::test]
async fn vep_annotations_are_columns_and_filter_by_impact_exactly() {
    let Some((app, source, _dir)) = app().await else {
        return;
    };
    let file = source.join("test-haploidX.vcf");
    // (`blank=1`: HGVS columns stay even when no record of the page has one.)
    let body = html(&app, "/files/cy/test-haploidX.vcf?per_page=1000&blank=1").await;
    let head = header(&body);
    assert_eq!(
        head[10..15],
        ["Gene", "Consequence", "Impact", "HGVSc", "HGVSp"],
        "annotation columns come right after FILTER: {head:?}"
    );
    // Column titles are the header's descriptions.
    let text = text_of(&file);
    let dp = text
        .lines()
        .find(|l| l.starts_with("##INFO=<ID=DP,"))
        .and_then(|l| l.split("Description=\"").nth(1))
        .and_then(|d| d.split('"').next())
        .expect("DP's description");
    let shown: String = dp.chars().take(12).collect();
    assert!(
        body.contains(&format!(" title=\"{shown}")),
        "DP's description {dp:?} as its column's title"
    );

    // Impact=HIGH: any CSQ entry with a HIGH consequence term (this file's CSQ
    // has no IMPACT field, so the term decides).
    let expected: Vec<u64> = records(&file)
        .into_iter()
        .filter(|(_, c)| {
            info(c, "CSQ").is_some_and(|csq| {
                csq.split(',').any(|entry| {
                    entry
                        .split('|')
                        .next()
                        .unwrap_or("")
                        .split('&')
                        .any(|term| HIGH.contains(&term))
                })
            })
        })
        .map(|(line, _)| line)
        .collect();
    assert!(expected.len() > 3, "the file has HIGH-impact variants");
    let high = html(
        &app,
        "/files/cy/test-haploidX.vcf?per_page=1000&where=Impact%3DHIGH",
    )
    .await;
    assert_eq!(lines(&high), expected);
    assert_eq!(total(&high), expected.len() as u64);

    // Numbers compare as numbers, conditions combine.
    let expected: Vec<u64> = records(&file)
        .into_iter()
        .filter(|(_, c)| {
            c[5].parse::<f64>().is_ok_and(|q| q > 1000.0)
                && info(c, "DP")
                    .and_then(|d| d.parse::<f64>().ok())
                    .is_some_and(|d| d >= 500.0)
        })
        .map(|(line, _)| line)
        .collect();
    let both = html(
        &app,
        "/files/cy/test-haploidX.vcf?per_page=1000&where=QUAL%3E1000%3B%20DP%3E%3D500",
    )
    .await;
    assert_eq!(lines(&both), expected);

    // A gene name is found inside the annotations.
    let gene = "MAGEB16";
    let expected: Vec<u64> = records(&file)
        .into_iter()
        .filter(|(_, c)| info(c, "CSQ").is_some_and(|csq| csq.contains(gene)))
        .map(|(line, _)| line)
        .collect();
    assert!(!expected.is_empty());
    let found = html(&app, &format!("/files/cy/test-haploidX.vcf?q={gene}")).await;
    assert_eq!(lines(&found), expected);
}

#[actix_web::test]
async fn sorting_orders_every_page_and_the_export() {
    let Some((app, source, _dir)) = app().await else {
        return;
    };
    let mut expected: Vec<(f64, u64)> = records(&source.join("test-haploidX.vcf"))
        .into_iter()
        .map(|(line, c)| (c[5].parse::<f64>().unwrap_or(f64::MIN), line))
        .collect();
    // Largest first, file order among equals.
    expected.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let expected: Vec<u64> = expected.into_iter().map(|(_, line)| line).collect();
    let page1 = html(&app, "/files/cy/test-haploidX.vcf?sort=-QUAL&per_page=50").await;
    let page3 = html(
        &app,
        "/files/cy/test-haploidX.vcf?sort=-QUAL&per_page=50&page=3",
    )
    .await;
    assert_eq!(lines(&page1), expected[..50]);
    assert_eq!(lines(&page3), expected[100..150]);
    assert!(page3.contains("rel=\"last\""), "a link to the last page");
    let tsv = app
        .get("/files/cy/test-haploidX.vcf?sort=-QUAL&format=tsv")
        .await
        .text()
        .await
        .unwrap();
    let exported: Vec<u64> = tsv
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("line\t"))
        .map(|l| l.split('\t').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(exported, expected);
}

#[actix_web::test]
async fn snpeff_ann_and_eff_give_genes_and_impacts() {
    let Some((app, source, _dir)) = app().await else {
        return;
    };
    for (name, key) in [("test_gt_alt_freqs.vcf", "ANN"), ("test.snpeff.vcf", "EFF")] {
        let file = source.join(name);
        // (`blank=1`: the column is there even where no record has an impact.)
        let body = html(&app, &format!("/files/cy/{name}?per_page=1000&blank=1")).await;
        assert!(header(&body).contains(&"Impact".to_owned()), "{name}");
        // MODERATE: any entry whose impact field says so.
        let expected: Vec<u64> = records(&file)
            .into_iter()
            .filter(|(_, c)| info(c, key).is_some_and(|v| v.contains("MODERATE")))
            .map(|(line, _)| line)
            .collect();
        let moderate = html(
            &app,
            &format!("/files/cy/{name}?per_page=1000&where=Impact%3DMODERATE"),
        )
        .await;
        assert_eq!(lines(&moderate), expected, "{name}");
    }
}

#[actix_web::test]
async fn a_cohort_shows_chosen_samples_and_format_keys_compactly() {
    let Some((app, _source, dir)) = app().await else {
        return;
    };
    let file = dir.path().join("1kg.vcf.gz");
    let text = text_of(&file);
    let samples: Vec<&str> = text
        .lines()
        .find(|l| l.starts_with("#CHROM"))
        .unwrap()
        .split('\t')
        .skip(9)
        .collect();
    assert!(
        samples.len() > 600,
        "a cohort of hundreds: {}",
        samples.len()
    );
    let body = html(&app, "/files/cy/1kg.vcf.gz").await;
    let head = header(&body);
    assert_eq!(
        head[head.len() - 10..],
        samples[..10],
        "the first ten samples"
    );
    assert!(
        body.contains(&format!("{} more columns (or samples)", samples.len() - 10)),
        "the page says how many samples are not shown"
    );
    // The first record where a sample far down the header and one of the
    // first ten were both called (the file's first records are all `./.`).
    let all = records(&file);
    let (number, chosen) = all
        .iter()
        .enumerate()
        .take(20)
        .find_map(|(number, (_, columns))| {
            let called = |i: usize| !columns[9 + i].starts_with("./.");
            let far = (500..samples.len()).find(|&i| called(i))?;
            let near = (0..10).find(|&i| called(i))?;
            Some((number, (far, near)))
        })
        .expect("a record with calls");
    let (a, b) = (samples[chosen.0], samples[chosen.1]);
    let body = html(
        &app,
        &format!(
            "/files/cy/1kg.vcf.gz?samples={a},{b}&fmt=GT,DP&per_page={}",
            number + 1
        ),
    )
    .await;
    let head = header(&body);
    assert_eq!(head[head.len() - 2..], [a, b]);
    // That record's cells for them, as written (GT:DP).
    let record = &all[number].1;
    let keys: Vec<&str> = record[8].split(':').collect();
    let cell = |name: &str| {
        let column = &record[9 + samples.iter().position(|s| *s == name).unwrap()];
        let values: Vec<&str> = column.split(':').collect();
        ["GT", "DP"]
            .iter()
            .map(|k| {
                keys.iter()
                    .position(|x| x == k)
                    .and_then(|i| values.get(i).copied())
                    .unwrap_or(".")
            })
            .collect::<Vec<_>>()
            .join(":")
    };
    let rows = &body[body.find("<tbody>").unwrap()..];
    let row = rows.split("</tr>").nth(number).expect("the record's row");
    assert!(!cell(a).starts_with("./."), "{}", cell(a));
    assert!(row.contains(&format!("<td>{}</td>", cell(a))), "{row}");
    assert!(row.contains(&format!("<td>{}</td>", cell(b))), "{row}");
    // The picker: only the ticked INFO field.
    let picked = html(&app, "/files/cy/1kg.vcf.gz?cols_form=1&c.DP=1").await;
    let head = header(&picked);
    assert_eq!(
        head[3..11],
        ["CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "DP"]
    );
}

#[actix_web::test]
async fn names_a_file_lacks_are_refused_naming_what_it_has() {
    let Some((app, _source, _dir)) = app().await else {
        return;
    };
    for (query, parameter, says) in [
        ("where=AFF%3C0.01", "where", "no field \"AFF\""),
        ("where=DP%3Ehigh", "where", "compares numbers"),
        ("samples=nobody", "samples", "not a sample"),
        ("fmt=XX", "fmt", "FORMAT field"),
        ("cols=NOPE", "cols", "INFO field"),
        ("sort=NOPE", "sort", "no field"),
    ] {
        let r = app
            .get_json(&format!("/files/cy/test.vcf.gz?{query}"))
            .await;
        assert_eq!(r.status().as_u16(), 400, "{query}");
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["parameter"], parameter, "{query}: {body}");
        assert!(
            body["message"].as_str().unwrap().contains(says),
            "{query}: {body}"
        );
    }
}

#[actix_web::test]
async fn totals_count_the_view_and_the_overview_bars_relay_their_region() {
    let Some((app, source, _dir)) = app().await else {
        return;
    };
    let all = records(&source.join("test-haploidX.vcf"));
    let body = html(&app, "/files/cy/test-haploidX.vcf?per_page=100&page=2").await;
    assert!(
        body.contains(&format!(
            "records 101–200 of <strong>{}</strong>",
            all.len()
        )),
        "totals"
    );
    assert!(body.contains(&format!("page 2 of {}", all.len().div_ceil(100))));
    // Every record is in some bar of the overview, and a bar's link relays
    // its stretch to IGV.
    let svg = &body[body.find("<svg").expect("an overview")..body.find("</svg>").unwrap()];
    let bars: Vec<&str> = svg.split("<a class=\"bar\" href=\"").skip(1).collect();
    assert!(!bars.is_empty());
    let href = bars[0].split('"').next().unwrap().replace("&#38;", "&");
    let locus = url::Url::parse(&href)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "locus")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    assert!(locus.starts_with("chrX:"), "{locus}");
    let r = app
        .get(&href.replace(&app.address, "").replace("&landing=1", ""))
        .await;
    assert_eq!(r.status().as_u16(), 303);
    assert!(
        r.headers()["location"].to_str().unwrap().contains(&locus),
        "{:?}",
        r.headers()["location"]
    );
    // The bars' record counts add up to the file's records.
    let counted: u64 = svg
        .split("<title>")
        .skip(1)
        .filter_map(|t| {
            let (_, rest) = t.split_once(": ")?;
            rest.split(' ').next()?.parse::<u64>().ok()
        })
        .sum();
    assert_eq!(counted, all.len() as u64);
    // The strip under a bar filters the table to it.
    let strip = svg
        .split("<a class=\"strip\" href=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .replace("&#38;", "&");
    assert!(strip.contains("region=chrX"), "{strip}");
    let filtered = html(&app, &strip.replace(&app.address, "")).await;
    assert!(!lines(&filtered).is_empty());
}

#[actix_web::test]
async fn an_empty_filtered_page_names_its_filters() {
    let Some((app, _source, _dir)) = app().await else {
        return;
    };
    let body = html(
        &app,
        "/files/cy/test-haploidX.vcf?where=QUAL%3E1000000&chrom=chrX",
    )
    .await;
    assert!(
        body.contains("No record matches chromosome chrX and conditions"),
        "{body}"
    );
}

#[test]
fn the_vep_file_is_what_the_tests_think_it_is() {
    // Guards the expectations above against a silently different corpus file.
    if let Some(corpus) = crate::support::corpus::corpus() {
        let text = text_of(&corpus.join(CYVCF2).join("test-haploidX.vcf"));
        assert!(text.contains("##INFO=<ID=CSQ"));
        assert!(records(&corpus.join(CYVCF2).join("test-haploidX.vcf")).len() > 500);
    }
}

#[actix_web::test]
async fn index_files_are_listed_beside_their_data_and_open_as_bytes() {
    let app = crate::support::app::spawn_app().await;
    let listing = html(&app, "/files/demo/").await;
    assert!(listing.contains("braf-reads.bam</a>"), "{listing}");
    assert!(
        listing.contains(&format!(
            "index <a href=\"{}/raw/demo/braf-reads.bam.bai\">braf-reads.bam.bai</a>",
            app.address
        )),
        "{listing}"
    );
    assert!(
        !listing.contains("/files/demo/braf-reads.bam.bai\""),
        "the index has no row (no page link) of its own: {listing}"
    );
    let r = app.get("/files/demo/braf-reads.bam.bai").await;
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(
        r.headers()["location"],
        format!("{}/raw/demo/braf-reads.bam.bai", app.address).as_str()
    );
}

#[actix_web::test]
async fn reads_sorted_here_loads_the_paired_bam_at_each_rows_first_base() {
    let app = crate::support::app::spawn_app().await;
    let body = html(&app, "/files/demo/variants.vcf?reads=braf-reads.bam").await;
    let link = body
        .split("<a class=\"igv-reads\" href=\"")
        .nth(1)
        .expect("a reads sorted here link")
        .split('"')
        .next()
        .unwrap()
        .replace("&#38;", "&");
    let r = app
        .get(&link.replace(&app.address, "").replace("&landing=1", ""))
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let location = url::Url::parse(r.headers()["location"].to_str().unwrap()).unwrap();
    assert_eq!(location.path(), "/load");
    let pairs: std::collections::HashMap<String, String> =
        location.query_pairs().into_owned().collect();
    assert_eq!(
        pairs["file"],
        format!("{}/raw/demo/braf-reads.bam", app.address)
    );
    assert_eq!(
        pairs["index"],
        format!("{}/raw/demo/braf-reads.bam.bai", app.address)
    );
    assert_eq!(pairs["sort"], "base");
    assert!(
        !pairs["locus"].contains('-'),
        "one base: {}",
        pairs["locus"]
    );
    // Paging keeps the pairing.
    assert!(body.contains("reads=braf-reads.bam"));
    // The "View here" panel and the sessions show the reads under the file.
    assert!(
        body.contains(&format!(
            "class=\"viewer-reads\" hidden data-url=\"{}/raw/demo/braf-reads.bam\"",
            app.address
        )),
        "{body}"
    );
    let session: serde_json::Value = app
        .get("/files/demo/variants.vcf?reads=braf-reads.bam&format=igvjs-session")
        .await
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = session["tracks"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    // The reads are named by their read groups' sample.
    assert_eq!(names, ["variants.vcf", "tumour"], "{session}");
    let xml = app
        .get("/files/demo/variants.vcf?reads=braf-reads.bam&format=igv-session")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(xml.matches("<Resource ").count(), 2, "{xml}");
    assert!(xml.contains("braf-reads.bam.bai"), "{xml}");
    // Not reads, or outside the root: 400 naming the parameter.
    for bad in ["peaks.bed", "../etc/passwd", "missing.bam"] {
        let r = app
            .get_json(&format!("/files/demo/variants.vcf?reads={bad}"))
            .await;
        assert_eq!(r.status().as_u16(), 400, "{bad}");
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["parameter"], "reads", "{bad}: {body}");
    }
}
