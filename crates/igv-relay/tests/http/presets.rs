//! Lab presets (`views:`, issue 24) over HTTP: `?view=NAME` applies a
//! preset's conditions, columns and sort; keys the URL gives win over the
//! preset's; the filter bar offers the presets that apply to the file's
//! format. Expectations come from the records written here.

use std::collections::BTreeMap;

use crate::support::app::{TestApp, spawn_app_with};
use crate::support::html::between;
use igv_relay::configuration::{DataRootSettings, ViewPresetSettings};

const HEADER: &str = "##fileformat=VCFv4.2\n\
##contig=<ID=chr1,length=248956422>\n\
##INFO=<ID=DP,Number=1,Type=Integer,Description=\"Total read depth\">\n\
##INFO=<ID=AC,Number=A,Type=Integer,Description=\"Allele count\">\n\
#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n";

/// `(id, QUAL, DP)` in file order.
const RECORDS: [(&str, u32, u32); 6] = [
    ("ID-a", 50, 12),
    ("ID-b", 7, 30),
    ("ID-c", 99, 25),
    ("ID-d", 23, 41),
    ("ID-e", 61, 8),
    ("ID-f", 15, 20),
];

fn vcf() -> String {
    let mut out = HEADER.to_owned();
    for (i, (id, qual, dp)) in RECORDS.iter().enumerate() {
        out.push_str(&format!(
            "chr1\t{}\t{id}\tA\tG\t{qual}\tPASS\tDP={dp};AC={}\n",
            1000 + i * 100,
            i + 1
        ));
    }
    out
}

fn preset(
    where_text: &str,
    sort: &str,
    columns: Option<&[&str]>,
    formats: &[&str],
) -> ViewPresetSettings {
    ViewPresetSettings {
        where_text: Some(where_text.to_owned()),
        sort: Some(sort.to_owned()),
        columns: columns.map(|c| c.iter().map(|s| s.to_string()).collect()),
        formats: formats.iter().map(|s| s.to_string()).collect(),
        ..ViewPresetSettings::default()
    }
}

async fn app() -> (TestApp, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("calls.vcf"), vcf()).unwrap();
    std::fs::write(
        dir.path().join("peaks.bed"),
        "chr1\t100\t200\tp1\t700\t+\nchr1\t300\t400\tp2\t200\t-\nchr1\t500\t600\tp3\t900\t+\n",
    )
    .unwrap();
    let root = dir.path().to_path_buf();
    let app = spawn_app_with(move |s| {
        s.data.roots = vec![DataRootSettings {
            name: "t".into(),
            path: root,
            genome: None,
        }];
        let mut views = BTreeMap::new();
        views.insert(
            "deep".to_owned(),
            preset("DP>=20", "-DP", Some(&["AC"]), &["vcf"]),
        );
        views.insert(
            "strong-peaks".to_owned(),
            preset("score>=500", "-score", None, &["bed"]),
        );
        views.insert(
            "in-t".to_owned(),
            ViewPresetSettings {
                sort: Some("POS".to_owned()),
                roots: vec!["t".to_owned()],
                formats: vec!["vcf".to_owned()],
                ..ViewPresetSettings::default()
            },
        );
        s.views = views;
    })
    .await;
    (app, dir)
}

async fn html(app: &TestApp, path: &str) -> String {
    let r = app.get(path).await;
    assert_eq!(r.status().as_u16(), 200, "{path}");
    r.text().await.unwrap()
}

/// The `ID-x` ids of the page's rows, in order.
fn ids(body: &str) -> Vec<String> {
    let tbody = between(body, "<tbody>", "</tbody>").expect("a table body");
    tbody
        .split("<tr")
        .skip(1)
        .filter_map(|row| Some(format!("ID-{}", between(row, ">ID-", "<")?)))
        .collect()
}

/// The column heads' texts.
fn heads(body: &str) -> Vec<String> {
    let thead = between(body, "<thead>", "</thead>").expect("a table head");
    thead
        .split("<th")
        .skip(1)
        .map(|th| {
            // The text of the head: what follows the last `>` before `</`.
            let inner = th.split("</").next().unwrap_or("");
            inner.rsplit('>').next().unwrap_or("").trim().to_owned()
        })
        .collect()
}

/// The chooser's entries: `(name, chosen)`.
fn chooser(body: &str) -> Vec<(String, bool)> {
    let Some(nav) = between(body, "<nav class=\"presets\"", "</nav>") else {
        return Vec::new();
    };
    nav.split("<a class=\"preset")
        .skip(1)
        .map(|a| {
            let name = between(a, ">", "<").unwrap().to_owned();
            (name, a.starts_with(" chosen"))
        })
        .collect()
}

/// The records' ids with `keep`, ordered by `key` largest first.
fn expected(keep: impl Fn(u32, u32) -> bool, key: impl Fn(u32, u32) -> u32) -> Vec<String> {
    let mut rows: Vec<_> = RECORDS.iter().filter(|(_, q, d)| keep(*q, *d)).collect();
    rows.sort_by_key(|(_, q, d)| std::cmp::Reverse(key(*q, *d)));
    rows.iter().map(|(id, _, _)| id.to_string()).collect()
}

#[actix_web::test]
async fn a_view_applies_its_conditions_columns_and_sort() {
    let (app, _dir) = app().await;
    let plain = html(&app, "/files/t/calls.vcf").await;
    assert_eq!(ids(&plain).len(), RECORDS.len());
    // By default DP shows and AC does not; the view shows AC instead.
    let plain_heads = heads(&plain);
    assert!(plain_heads.iter().any(|h| h == "DP"), "{plain_heads:?}");
    assert!(!plain_heads.iter().any(|h| h == "AC"), "{plain_heads:?}");

    let body = html(&app, "/files/t/calls.vcf?view=deep").await;
    assert_eq!(ids(&body), expected(|_, dp| dp >= 20, |_, dp| dp));
    let heads = heads(&body);
    assert!(heads.iter().any(|h| h == "AC"), "{heads:?}");
    assert!(!heads.iter().any(|h| h == "DP"), "{heads:?}");
    // The form shows the preset's conditions, and keeps the view.
    assert!(
        body.contains("name=\"view\" value=\"deep\""),
        "the form keeps the view"
    );
    assert!(
        body.contains("value=\"DP&#62;=20\""),
        "the form shows the conditions"
    );
    // The next page, the exports and the sort heads carry it too.
    let tsv = app.get("/files/t/calls.vcf?view=deep&format=tsv").await;
    let tsv = tsv.text().await.unwrap();
    let exported: Vec<&str> = tsv
        .lines()
        .filter_map(|l| l.split('\t').find(|c| c.starts_with("ID-")))
        .collect();
    assert_eq!(exported, expected(|_, dp| dp >= 20, |_, dp| dp));
}

#[actix_web::test]
async fn keys_in_the_url_win_over_the_views() {
    let (app, _dir) = app().await;
    // Another sort: the view's conditions stay.
    let body = html(&app, "/files/t/calls.vcf?view=deep&sort=-QUAL").await;
    assert_eq!(ids(&body), expected(|_, dp| dp >= 20, |q, _| q));
    // Conditions cleared in the form: every record, still by DP.
    let body = html(&app, "/files/t/calls.vcf?view=deep&where=").await;
    assert_eq!(ids(&body), expected(|_, _| true, |_, dp| dp));
    // ... and the next pages keep them cleared.
    let body = html(&app, "/files/t/calls.vcf?view=deep&where=&per_page=2").await;
    let next = between(&body, "rel=\"next\" href=\"", "\"")
        .expect("a next page")
        .replace("&#38;", "&");
    let at = next.find("/files/").unwrap();
    let next_page = html(&app, &next[at..]).await;
    assert_eq!(
        ids(&next_page),
        expected(|_, _| true, |_, dp| dp)[2..4].to_vec(),
        "{next}"
    );
}

#[actix_web::test]
async fn the_chooser_offers_the_views_of_the_files_format() {
    let (app, _dir) = app().await;
    let body = html(&app, "/files/t/calls.vcf").await;
    assert_eq!(
        chooser(&body),
        vec![("deep".to_owned(), false), ("in-t".to_owned(), false)]
    );
    let body = html(&app, "/files/t/calls.vcf?view=deep").await;
    assert_eq!(
        chooser(&body),
        vec![
            ("none".to_owned(), false),
            ("deep".to_owned(), true),
            ("in-t".to_owned(), false)
        ]
    );
    let body = html(&app, "/files/t/peaks.bed").await;
    assert_eq!(chooser(&body), vec![("strong-peaks".to_owned(), false)]);
    let body = html(&app, "/files/t/peaks.bed?view=strong-peaks").await;
    let names: Vec<&str> = ["p3", "p1"].to_vec();
    let tbody = between(&body, "<tbody>", "</tbody>").unwrap();
    let order: Vec<usize> = names
        .iter()
        .map(|n| tbody.find(&format!(">{n}<")).unwrap())
        .collect();
    assert!(order[0] < order[1], "largest score first");
    assert!(!tbody.contains(">p2<"), "p2's score is under 500");
}

#[actix_web::test]
async fn a_view_not_offered_for_the_file_is_a_400_naming_the_views() {
    let (app, _dir) = app().await;
    let r = app.get("/files/t/peaks.bed?view=deep").await;
    assert_eq!(r.status().as_u16(), 400);
    let text = r.text().await.unwrap();
    assert!(
        text.contains("view") && text.contains("strong-peaks"),
        "{text}"
    );
}

/// The `placeholder` of the filter form's input `name`, unescaped.
fn placeholder(body: &str, name: &str) -> String {
    let input = between(body, &format!("<input name=\"{name}\""), ">").expect(name);
    between(input, "placeholder=\"", "\"")
        .expect("a placeholder")
        .replace("&#60;", "<")
        .replace("&#62;", ">")
        .replace("&#38;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
}

#[actix_web::test]
async fn the_filter_placeholders_are_conditions_each_format_accepts() {
    let maf = "Hugo_Symbol\tChromosome\tStart_Position\tEnd_Position\tVariant_Classification\t\
               Reference_Allele\tTumor_Seq_Allele2\tt_depth\tt_alt_count\n\
               BRAF\tchr7\t140753336\t140753336\tMissense_Mutation\tA\tT\t120\t40\n\
               KRAS\tchr12\t25245350\t25245350\tMissense_Mutation\tC\tA\t100\t70\n\
               TP53\tchr17\t7675088\t7675088\tMissense_Mutation\tC\tT\t100\t5\n\
               EGFR\tchr7\t55174772\t55174786\tIn_Frame_Del\tGGAATTAAGAGAAGC\t-\t50\t45\n";
    let gwas =
        "CHR\tBP\tSNP\tP\n7\t140753336\trs113488022\t3e-12\n12\t25245350\trs121913529\t0.04\n";
    let seg = "ID\tchrom\tloc.start\tloc.end\tnum.mark\tseg.mean\n\
               S1\t7\t140000000\t141000000\t120\t0.85\n\
               S2\t12\t25000000\t25500000\t40\t-1.2\n";
    let annovar = "Chr\tStart\tEnd\tRef\tAlt\tFunc.refGene\tGene.refGene\tExonicFunc.refGene\n\
                   chr7\t140753336\t140753336\tA\tT\texonic\tBRAF\tnonsynonymous SNV\n\
                   chr7\t140753400\t140753400\tA\tT\tintronic\tBRAF\t.\n";
    let bed = "chr1\t100\t200\tp1\t700\t+\nchr1\t300\t400\tp2\t200\t-\n";
    let dir = tempfile::tempdir().unwrap();
    let files = [
        ("tumour.maf", maf, "Hugo_Symbol", vec!["KRAS", "BRAF"]),
        ("trait.tsv", gwas, "SNP", vec!["rs113488022"]),
        ("cn.seg", seg, "ID", vec!["S2"]),
        (
            "s.hg38_multianno.txt",
            annovar,
            "Func.refGene",
            vec!["exonic"],
        ),
        ("peaks.bed", bed, "name", vec!["p1"]),
    ];
    for (name, text, _, _) in &files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let root = dir.path().to_path_buf();
    let app = spawn_app_with(move |s| {
        s.data.roots = vec![DataRootSettings {
            name: "t".into(),
            path: root,
            genome: Some("hg38".into()),
        }]
    })
    .await;
    for (name, _, label, expected) in files {
        let body = html(&app, &format!("/files/t/{name}")).await;
        let conditions = placeholder(&body, "where");
        let sort = placeholder(&body, "sort");
        assert!(
            !conditions.contains("score") || name.ends_with(".bed"),
            "{name}: {conditions}"
        );
        // The examples name the file's own columns: the service takes them.
        let query: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("where", &conditions)
            .append_pair("sort", &sort)
            .append_pair("format", "json")
            .finish();
        let r = app.get(&format!("/files/t/{name}?{query}")).await;
        let status = r.status().as_u16();
        let json: serde_json::Value = r.json().await.unwrap();
        assert_eq!(status, 200, "{name}: {conditions} / {sort}: {json}");
        let labels: Vec<String> = json["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| row["cells"][label].as_str().unwrap_or("-").to_owned())
            .collect();
        assert_eq!(labels, expected, "{name}: {conditions} / {sort}: {json:#}");
    }
}
