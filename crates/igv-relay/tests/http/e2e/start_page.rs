//! The start page's results in a real headless Chromium (issue 24): long
//! refusals (a 300-character sequence name, an error of many words, a long
//! pasted line) wrap inside the table, so the page is never wider than the
//! window, at 1,400 and at 400 px. Screenshots go to the e2e artifacts
//! directory (`start-page-errors-*.png`).
//!
//! Without chromium/chromedriver this test prints "skipping: ..." and
//! passes, unless `CI=true`.

use serde_json::Value;

use crate::support::app::spawn_app;
use crate::support::browser::Browser;
use crate::support::procs;

#[actix_web::test]
async fn long_start_page_errors_wrap_inside_the_window() {
    let Some(browser) = Browser::start(&["--window-size=1400,1000"]).await else {
        return;
    };
    let app = spawn_app().await;
    let long_name = format!("chrUn_{}", "JTFH01000001v1decoy".repeat(16));
    let paste = format!(
        "{long_name}:100-200\n\
         chr1:100-200 a label of quite a few words that goes on and on and on and on and on and on and on\n\
         chr1:999999999-1000000000\n\
         {}\n",
        "x".repeat(400)
    );
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("genome", "hg38")
        .append_pair("loci", &paste)
        .finish();
    let page = app.url(&format!("/?{query}"));
    let client = browser.client().clone();
    for width in [1400u32, 400] {
        client.set_window_size(width, 1000).await.expect("resize");
        browser.goto(&page).await.expect("open the start page");
        let seen = client
            .execute(
                "var d = document.documentElement;\
                 var errors = document.querySelectorAll('table.paste .row-error').length;\
                 var t = document.querySelector('table.paste').getBoundingClientRect();\
                 return [d.scrollWidth, window.innerWidth, errors, t.width];",
                vec![],
            )
            .await
            .expect("measure the page");
        let png = client.screenshot().await.expect("a screenshot");
        std::fs::write(
            procs::artifacts_dir().join(format!("start-page-errors-{width}.png")),
            png,
        )
        .expect("save the screenshot");
        assert!(
            seen[2].as_u64().unwrap_or(0) >= 2,
            "{width} px: the long lines are refused: {seen}"
        );
        let (scroll, inner) = (
            seen[0].as_f64().unwrap_or(f64::MAX),
            seen[1].as_f64().unwrap_or(0.0),
        );
        assert!(
            scroll <= inner,
            "{width} px: the page is {scroll} px wide in a {inner} px window (table {})",
            seen[3]
        );
        assert_ne!(seen[1], Value::Null);
    }
    browser.close().await;
}
