//! A triage page in a real headless Chromium (issue 15): at 1,400 and 400 px a
//! row holding a 200-base REF stays one line high and its "View in IGV" link
//! never wraps (read from the element boxes); the column picker, the filters
//! and the pager work as plain HTML forms and links. Screenshots go to the
//! e2e artifacts directory (`triage-*.png`).
//!
//! Without chromium/chromedriver this test prints "skipping: ..." and passes,
//! unless `CI=true`.

use crate::support::procs;

use crate::support::app::spawn_app_with;
use crate::support::browser::Browser;
use fantoccini::{Client, Locator};
use igv_relay::configuration::DataRootSettings;
use serde_json::Value;

/// A VCF with a 200-base REF, a `<DEL>`, an SNV, and 120 more SNVs to page.
fn vcf() -> String {
    let reference = "ACGT".repeat(50);
    let mut out = String::from(
        "##fileformat=VCFv4.2\n##contig=<ID=chr7,length=159345973>\n\
         ##INFO=<ID=DP,Number=1,Type=Integer,Description=\"Total read depth\">\n\
         ##INFO=<ID=SVTYPE,Number=1,Type=String,Description=\"Type of structural variant\">\n\
         ##INFO=<ID=END,Number=1,Type=Integer,Description=\"End of the variant\">\n\
         ##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n\
         ##FORMAT=<ID=DP,Number=1,Type=Integer,Description=\"Read depth\">\n\
         #CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\ttumour\tnormal\n",
    );
    out.push_str(&format!(
        "chr7\t140753336\tbig_ref\t{reference}\tA\t50\tPASS\tDP=30\tGT:DP\t0/1:30\t0/0:20\n"
    ));
    out.push_str(
        "chr7\t140800000\tsv1\tN\t<DEL>\t60\tLowQual\tSVTYPE=DEL;END=140900000;DP=12\tGT:DP\t0/1:12\t0/0:9\n",
    );
    for i in 0..120u64 {
        out.push_str(&format!(
            "chr7\t{}\tsnv{i}\tA\tT\t{}\tPASS\tDP={}\tGT:DP\t0/1:{}\t0/0:9\n",
            141_000_000 + i * 1000,
            20 + i,
            10 + i,
            10 + i
        ));
    }
    out
}

/// Waits (up to 10 s) for the browser to be on a URL containing `part`: a form
/// submit or a link click navigates asynchronously.
async fn wait_for_url(browser: &Browser, part: &str) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let url = browser.current_url().await.expect("current url");
        let ready: Value = browser
            .client()
            .execute("return document.readyState;", vec![])
            .await
            .unwrap_or(Value::Null);
        if url.contains(part) && ready == "complete" {
            return url;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never reached a URL with {part:?}: {url}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

async fn screenshot(client: &Client, name: &str) {
    let png = client.screenshot().await.expect("a screenshot");
    let path = procs::artifacts_dir().join(name);
    std::fs::write(&path, png).expect("save the screenshot");
    eprintln!("screenshot: {}", path.display());
}

/// `[row height, number of line boxes of the row's "View in IGV" link,
/// link cell height]` for the first row, and the page's horizontal overflow.
const BOXES: &str = "var row = document.querySelector('table.records tbody tr');\
    var link = row.querySelector('a.igv-link');\
    var cell = row.querySelector('td.igv');\
    return [row.getBoundingClientRect().height, link.getClientRects().length,\
            cell.getBoundingClientRect().height,\
            document.documentElement.scrollWidth - document.documentElement.clientWidth];";

async fn measure(client: &Client) -> Vec<f64> {
    let value: Value = client.execute(BOXES, vec![]).await.expect("measure");
    value
        .as_array()
        .expect("numbers")
        .iter()
        .map(|v| v.as_f64().unwrap_or(-1.0))
        .collect()
}

#[actix_web::test]
async fn a_long_ref_keeps_its_row_one_line_and_the_forms_work_without_script() {
    let Some(browser) = Browser::start(&["--window-size=1400,1000"]).await else {
        eprintln!("skipping: no headless browser (chromium, chromedriver)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("calls.vcf"), vcf()).unwrap();
    let root = dir.path().to_path_buf();
    let app = spawn_app_with(move |s| {
        s.data.roots = vec![DataRootSettings {
            name: "t".into(),
            path: root,
            genome: Some("hg38".into()),
        }]
    })
    .await;
    let client = browser.client().clone();
    browser
        .goto(&app.url("/files/t/calls.vcf"))
        .await
        .expect("open the page");
    for (width, name) in [(1400u32, "triage-1400.png"), (400, "triage-400.png")] {
        client
            .set_window_size(width, 1000)
            .await
            .expect("resize the window");
        let [row, link_lines, cell, overflow] = measure(&client).await[..] else {
            panic!("four numbers")
        };
        assert!(row < 40.0, "{width} px: the 200-base row is {row} px high");
        assert_eq!(link_lines, 1.0, "{width} px: the link wraps");
        assert!(cell < 40.0, "{width} px: the link cell is {cell} px high");
        assert!(
            overflow <= 1.0,
            "{width} px: the page scrolls sideways by {overflow} px (the table must scroll in its box)"
        );
        screenshot(&client, name).await;
    }
    client.set_window_size(1400, 1000).await.expect("resize");

    // The pager: top and bottom, "page 1 of 2", next goes to records 101-122.
    let source = browser.page_source().await.unwrap();
    assert!(
        source.contains("records 1–100 of <strong>122</strong>"),
        "totals"
    );
    assert_eq!(
        source.matches("page 1 of 2").count(),
        2,
        "a pager above and below"
    );
    client
        .find(Locator::Css(".pager-bottom a[rel=next]"))
        .await
        .expect("next")
        .click()
        .await
        .expect("click next");
    wait_for_url(&browser, "page=2").await;
    let source = browser.page_source().await.unwrap();
    assert!(source.contains("records 101–122 of"), "page 2");

    // The filter form: type a condition and submit (a plain GET form).
    browser.goto(&app.url("/files/t/calls.vcf")).await.unwrap();
    let conditions = client
        .find(Locator::Css("input[name=where]"))
        .await
        .expect("the conditions field");
    conditions.send_keys("DP>=125; FILTER=PASS").await.unwrap();
    client
        .find(Locator::Css("form.filters button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_url(&browser, "where=DP%3E%3D125").await;
    let source = browser.page_source().await.unwrap();
    // DP 125..=129 (snv115..snv119): five records.
    assert!(source.contains("of <strong>5</strong>"), "{source}");

    // The column picker: open it, untick DP (shown by default), submit.
    browser.goto(&app.url("/files/t/calls.vcf")).await.unwrap();
    client
        .find(Locator::Css("details.picker > summary"))
        .await
        .expect("the picker")
        .click()
        .await
        .unwrap();
    for name in ["c.DP"] {
        client
            .find(Locator::Css(&format!("input[name='{name}']")))
            .await
            .expect(name)
            .click()
            .await
            .unwrap();
    }
    client
        .find(Locator::Css("form.filters button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_url(&browser, "cols_form=1").await;
    let heads: Value = client
        .execute(
            "return Array.from(document.querySelectorAll('table.records thead th')).map(function (th) { return th.textContent; });",
            vec![],
        )
        .await
        .unwrap();
    let heads: Vec<&str> = heads
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        heads.contains(&"END") && heads.contains(&"SVTYPE") && !heads.contains(&"DP"),
        "{heads:?}"
    );
    // Paging keeps the picked columns.
    let next = client
        .find(Locator::Css(".pager-top a[rel=next]"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    assert!(next.contains("cols="), "{next}");
    browser.close().await;
}
