//! "Paste anything" on the start page, `POST /api/links` and `/embed`: each
//! shape people paste, checked against the locus IGV should show (1-based,
//! inclusive, as IGV's locus box writes it).

use crate::support::app::{TestApp, assert_redirects_to, spawn_app, spawn_app_with};
use crate::support::html::{loci, unescape};
use serde_json::{Value, json};

async fn start_page(app: &TestApp, paste: &str, extra: &[(&str, &str)]) -> String {
    let mut url = url::Url::parse(&app.url("/")).unwrap();
    url.query_pairs_mut()
        .append_pair("loci", paste)
        .extend_pairs(extra);
    let r = app.client.get(url).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    r.text().await.unwrap()
}

/// A LibreOffice Calc selection copied to the clipboard: a header row,
/// tab-separated cells, CRLF line ends, and quotes around the cells that hold
/// a tab, a quote or a line break.
const LIBREOFFICE: &str = "Chromosome\tStart\tEnd\tGene\r\n\
chr7\t140753335\t140753336\t\"BRAF\tV600E\"\r\n\
chr12\t25245273\t25245274\t\"KRAS \"\"G12C\"\"\"\r\n\
chr17\t7674219\t7674221\tTP53\r\n";

#[actix_web::test]
async fn a_libreoffice_selection_is_read_under_its_header() {
    let app = spawn_app().await;
    let html = start_page(&app, LIBREOFFICE, &[("genome", "hg38")]).await;
    assert_eq!(
        loci(&html),
        [
            "chr7:140,753,336",
            "chr12:25,245,274",
            "chr17:7,674,220-7,674,221"
        ]
    );
    // Quoted cells keep their tab and doubled quotes, as labels.
    assert!(html.contains("BRAF\tV600E"), "{html}");
    assert!(html.contains("KRAS &#34;G12C&#34;"), "{html}");
    assert!(
        html.contains(
            "table row (Chromosome, Start, End), 0-based: shown as chr17:7,674,220-7,674,221"
        ),
        "{html}"
    );
    // The header decided nothing about the convention: one click reads the
    // same paste as 1-based.
    let other = html
        .split("class=\"other-convention\" href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .map(unescape)
        .expect("a link to the other convention");
    let r = app.client.get(&other).send().await.unwrap();
    let html = r.text().await.unwrap();
    assert_eq!(
        loci(&html),
        [
            "chr7:140,753,335-140,753,336",
            "chr12:25,245,273-25,245,274",
            "chr17:7,674,219-7,674,221"
        ]
    );
    assert!(html.contains("Read them as 0-based instead"), "{html}");
}

#[actix_web::test]
async fn each_paste_shape_shows_the_locus_igv_should_show() {
    let app = spawn_app().await;
    let cases = [
        // A spreadsheet row without a header: BED-like, 0-based start.
        (
            "chr7\t140753336\t140753436\tBRAF",
            "chr7:140,753,337-140,753,436",
        ),
        // The same with spaces.
        ("chr7 140753336 140753436", "chr7:140,753,337-140,753,436"),
        // BED6: certainly BED.
        ("chr1\t100\t200\tfeat1\t0\t+", "chr1:101-200"),
        // A VCF data line: POS, and REF's length.
        (
            "chr7\t55174772\tegfr\tGGAATTAAGAGAAGCA\tG\t1450\tPASS\tDP=210",
            "chr7:55,174,772-55,174,787",
        ),
        // A locus followed by a label.
        (
            "chr7:140,753,336-140,753,436 BRAF V600E",
            "chr7:140,753,336-140,753,436",
        ),
        // chr and a position.
        ("chr17 7674220", "chr17:7,674,220"),
        // CSV without a header, thousands commas in quoted cells.
        ("chr1,\"1,000\",\"2,000\",x", "chr1:1,001-2,000"),
        // Several loci side by side.
        ("chr1:100-200 chr2:300-400", "chr1:100-200 chr2:300-400"),
    ];
    for (line, expected) in cases {
        let html = start_page(&app, line, &[("genome", "hg38")]).await;
        assert_eq!(loci(&html), [expected], "{line:?}");
    }
    let html = start_page(&app, "chr1\t100\t200\tfeat1\t0\t+", &[]).await;
    assert!(
        html.contains("BED, 0-based: shown as chr1:101-200"),
        "{html}"
    );
    assert!(!html.contains("other-convention"), "BED6 is not ambiguous");
}

#[actix_web::test]
async fn a_paste_over_the_limit_reads_the_first_lines_and_says_how_many_were_left_out() {
    let app = spawn_app_with(|s| s.paste.max_lines = 3).await;
    let paste: String = (1..=10).map(|i| format!("chr1:{i}00-{i}50\n")).collect();
    let html = start_page(&app, &paste, &[]).await;
    assert_eq!(loci(&html).len(), 3);
    assert!(
        html.contains("Only the first 3 lines were read; 7 more were left out."),
        "{html}"
    );
    let r = app
        .client
        .post(app.url("/api/links"))
        .json(&json!({"text": paste}))
        .send()
        .await
        .unwrap();
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["results"].as_array().unwrap().len(), 3);
    assert_eq!(body["left_out"], 7);
}

#[actix_web::test]
async fn the_api_reads_text_line_by_line_and_says_how() {
    let app = spawn_app().await;
    let r = app
        .client
        .post(app.url("/api/links"))
        .json(&json!({
            "genome": "hg38",
            "text": "#chrom\tchromStart\tchromEnd\tname\r\nchr7\t140753335\t140753336\tBRAF\r\n\r\nchrZZ\t1\t2\tx\r\n",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let body: Value = r.json().await.unwrap();
    let results = body["results"].as_array().unwrap();
    assert_eq!(results.len(), 3, "{body:#}");
    assert_eq!(results[0]["line"], 1);
    assert!(
        results[0]["read_as"]
            .as_str()
            .unwrap()
            .starts_with("header")
    );
    assert!(results[0].get("relay_url").is_none());
    assert_eq!(results[1]["line"], 2);
    assert_eq!(results[1]["locus"], "chr7:140753336");
    assert_eq!(results[1]["label"], "BRAF");
    // chromStart is UCSC's 0-based start: not ambiguous.
    assert!(results[1].get("ambiguous").is_none(), "{body:#}");
    assert_eq!(results[2]["line"], 4);
    assert!(results[2]["error"].as_str().unwrap().contains("chrZZ"));
    // The relay link is the 303 itself (issue 22: no landing page in between).
    let relay_url = results[1]["relay_url"].as_str().unwrap();
    assert!(!relay_url.contains("landing"), "{relay_url}");
    let followed = app.client.get(relay_url).send().await.unwrap();
    assert_redirects_to(&followed, results[1]["igv_url"].as_str().unwrap());

    // Entries of `loci` are single lines; `coords` picks the convention.
    let r = app
        .client
        .post(app.url("/api/links"))
        .json(&json!({"loci": ["chr1 100 200"], "coords": "1"}))
        .send()
        .await
        .unwrap();
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["results"][0]["locus"], "chr1:100-200");
    assert_eq!(body["results"][0]["ambiguous"], true);
    assert_eq!(body["coords"], "1-based");
    let r = app
        .client
        .post(app.url("/api/links"))
        .json(&json!({"loci": ["chr1 100 200"], "coords": "2"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
}

#[actix_web::test]
async fn embed_reads_pasted_lines_and_says_what_was_left_out() {
    let app = spawn_app().await;
    let mut url = url::Url::parse(&app.url("/embed")).unwrap();
    let paste: String = std::iter::once("chr7\t140753336\t140753436\tBRAF\r\n".to_owned())
        .chain((1..=120).map(|i| format!("chr1:{i}000\n")))
        .collect();
    url.query_pairs_mut()
        .append_pair("loci", &paste)
        .append_pair("genome", "hg38");
    let html = app
        .client
        .get(url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("chr7:140,753,337-140,753,436 · BRAF"),
        "{html}"
    );
    assert!(html.contains("21 more lines were left out."), "{html}");
}

#[actix_web::test]
async fn thousands_of_spreadsheet_rows_post_from_the_start_page_form() {
    // 2,000 rows is far past a link's 16 KiB: the form posts them.
    let app = spawn_app_with(|s| s.paste.max_lines = 5000).await;
    let paste: String = (0..2000u64)
        .map(|i| format!("chr1\t{}\t{}\tfeature{i}\r\n", 1000 + i * 10, 1005 + i * 10))
        .collect();
    assert!(paste.len() > 16 * 1024);
    let r = app
        .client
        .post(app.url("/"))
        .form(&[
            ("loci", paste.as_str()),
            ("genome", "hg38"),
            ("coords", "0"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let html = r.text().await.unwrap();
    let shown = loci(&html);
    assert_eq!(shown.len(), 2000);
    // 0-based columns: the first row is chr1:1,001-1,005.
    assert_eq!(shown[0], "chr1:1,001-1,005");
    assert_eq!(shown[1999], "chr1:20,991-20,995");
    // The form itself posts, and the page shows no link too long to follow.
    assert!(html.contains("<form method=\"post\""), "{html}");
    // Over the form's limit: a clear 400.
    let huge = "chr1:1-2\n".repeat(40_000);
    let r = app
        .client
        .post(app.url("/"))
        .form(&[("loci", huge.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
}

/// BRAF V600E as a GDC MAF writes it (GRCh38): `Start_Position` and
/// `End_Position` are 1-based and equal for an SNV, after `#version`.
const MAF_ROWS: &str = "#version 2.4\n\
Hugo_Symbol\tEntrez_Gene_Id\tCenter\tNCBI_Build\tChromosome\tStart_Position\tEnd_Position\tStrand\tVariant_Classification\tHGVSp_Short\n\
BRAF\t673\tBI\tGRCh38\tchr7\t140753336\t140753336\t+\tMissense_Mutation\tp.V600E\n\
EGFR\t1956\tBI\tGRCh38\tchr7\t55174772\t55174786\t+\tIn_Frame_Del\tp.E746_A750del\n";

/// The same two calls as ANNOVAR's `table_annovar.pl` writes them
/// (`*_multianno.txt`), 1-based inclusive.
const ANNOVAR_ROWS: &str = "Chr\tStart\tEnd\tRef\tAlt\tFunc.refGene\tGene.refGene\tExonicFunc.refGene\n\
chr7\t140753336\t140753336\tA\tT\texonic\tBRAF\tnonsynonymous SNV\n\
chr7\t55174772\t55174786\tGGAATTAAGAGAAGC\t-\texonic\tEGFR\tnonframeshift deletion\n";

#[actix_web::test]
async fn pasted_maf_and_annovar_rows_are_one_based_on_the_start_page_and_the_api() {
    let app = spawn_app().await;
    for (name, paste) in [("MAF", MAF_ROWS), ("ANNOVAR", ANNOVAR_ROWS)] {
        let html = start_page(&app, paste, &[("genome", "hg38")]).await;
        assert_eq!(
            loci(&html),
            ["chr7:140,753,336", "chr7:55,174,772-55,174,786"],
            "{name}"
        );
        assert!(!html.contains("other-convention"), "{name}: not ambiguous");
        assert!(
            html.contains(&format!("table row ({name}: ")),
            "{name}: {html}"
        );

        let r = app
            .client
            .post(app.url("/api/links"))
            .json(&json!({"genome": "hg38", "text": paste}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        let body: Value = r.json().await.unwrap();
        let located: Vec<&Value> = body["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r.get("locus").is_some())
            .collect();
        assert_eq!(located.len(), 2, "{name}: {body:#}");
        assert_eq!(located[0]["locus"], "chr7:140753336", "{name}");
        assert_eq!(located[1]["locus"], "chr7:55174772-55174786", "{name}");
        assert!(
            located.iter().all(|r| r.get("ambiguous").is_none()),
            "{body:#}"
        );
        let relay_url = located[0]["relay_url"].as_str().unwrap();
        let followed = app.client.get(relay_url).send().await.unwrap();
        assert_redirects_to(&followed, located[0]["igv_url"].as_str().unwrap());
        assert!(
            located[0]["igv_url"]
                .as_str()
                .unwrap()
                .contains("chr7:140753336"),
            "{body:#}"
        );
    }
    // One line of `loci` whose start is its end is one base, whatever `coords`.
    let r = app
        .client
        .post(app.url("/api/links"))
        .json(&json!({"loci": ["chr7\t140753336\t140753336"], "coords": "0"}))
        .send()
        .await
        .unwrap();
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["results"][0]["locus"], "chr7:140753336", "{body:#}");
}
