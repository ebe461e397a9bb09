//! The embed kit in a real headless Chromium: an "intranet" page served by
//! this test from another loopback origin (127.0.0.2) includes the relay's
//! `static/igv-relay.js` with one `<script>` tag; the test reads back which
//! links the script made, and checks that each one is a relay link that
//! redirects to exactly the expected IGV command. The same page frames the
//! relay's `/embed` page, which only the configured origin may do.
//!
//! Without chromium/chromedriver this test prints "skipping: ..." and passes,
//! unless `CI=true`.

use std::net::TcpListener;

use crate::support::app::{TestApp, spawn_app_with};
use crate::support::browser::Browser;
use serde_json::Value;

/// The intranet page: plain HTML the relay knows nothing about.
fn intranet_page(relay: &str, strict_relay: &str) -> String {
    format!(
        r#"<!doctype html>
<html><head><meta charset="utf-8"><title>Lab results</title>
<script src="{relay}/static/igv-relay.js" data-igv-genome="hg38" defer></script>
</head><body>
<h1>Run 42</h1>
<p>Driver: <span id="braf" data-igv-locus="chr7:140,753,336-140,753,436">BRAF V600E</span></p>
<p>Old assembly: <a id="tp53" href="" data-igv-locus="chr17:7577120" data-igv-genome="hg19">TP53</a></p>
<p>Two at once: <span id="pair" data-igv-locus="chr1:100-200 chr2:300-400"></span></p>
<p>Not a locus: <span id="bad" data-igv-locus="KRAS G12D">KRAS G12D</span></p>
<p>Pasted: <span id="row" data-igv-locus="chr7&#9;140753336&#9;140753436&#9;BRAF">row</span>
  <span id="row1" data-igv-coords="1" data-igv-locus="chr7 140753336 140753436">row1</span>
  <span id="labelled" data-igv-locus="chr7:140,753,336-140,753,436 BRAF V600E">labelled</span>
  <span id="gene" data-igv-locus="KRAS">KRAS</span></p>
<p><span id="check" data-igv-check>Is IGV there?</span></p>
<div id="notes" data-igv-autolink>
  Peaks at chr1:1,000-2,000 and chrX:5000; an Ensembl one at 7:55019017.
  Meeting at 10:30, see http://host.example:8080/x or mail a@b.c:123.
  Reversed chr2:100-50 stays text. <a href="https://example.org/">chr3:1-2 is already a link</a>
  <code>chr4:10-20</code> <textarea>chr5:1-2</textarea>
</div>
<p id="outside">chr6:100-200 is outside any autolink area.</p>
<iframe id="allowed" src="{relay}/embed?loci=chr7:140753336-140753436&amp;genome=hg38"></iframe>
<iframe id="refused" src="{strict_relay}/embed?loci=chr7:140753336-140753436&amp;genome=hg38"></iframe>
</body></html>"#
    )
}

/// `[{owner, text, href}]` of every link the script made, `owner` being the id
/// of the nearest element with one.
const READ_LINKS: &str = r#"
return Array.from(document.querySelectorAll("a.igv-relay-link")).map(function (a) {
  var owner = a.closest("[id]");
  return { owner: owner ? owner.id : "", text: a.textContent, href: a.href, target: a.target, rel: a.rel };
});
"#;

/// Where a link of the kit leads: straight to the relay (issue 22: no
/// landing page in between), whose 303 goes to IGV.
async fn igv_location(app: &TestApp, relay_url: &str) -> String {
    let url = url::Url::parse(relay_url).unwrap();
    assert!(
        !url.query_pairs().any(|(k, _)| k == "landing"),
        "{relay_url} goes through the landing page"
    );
    let r = app.client.get(relay_url).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 303, "{relay_url}");
    r.headers()["location"].to_str().unwrap().to_owned()
}

#[actix_web::test]
async fn the_embed_kit_links_loci_on_a_foreign_page() {
    let Some(browser) = Browser::start(&[]).await else {
        eprintln!("skipping: no headless browser (chromium, chromedriver)");
        return;
    };
    // The intranet's address comes first: the relay is told to let it frame /embed.
    let listener = TcpListener::bind("127.0.0.2:0").expect("bind 127.0.0.2");
    let page_origin = format!("http://{}", listener.local_addr().unwrap());
    let allowed = page_origin.clone();
    let app = spawn_app_with(move |s| s.embed.allowed_origins = vec![allowed]).await;
    // A relay with the default configuration, which no page may frame.
    let strict = spawn_app_with(|_| {}).await;
    crate::support::app::serve_html_page(
        listener,
        "/results.html",
        intranet_page(&app.address, &strict.address),
    );

    browser
        .goto(&format!("{page_origin}/results.html"))
        .await
        .expect("open the intranet page");
    let links: Value = browser
        .client()
        .execute(READ_LINKS, vec![])
        .await
        .expect("read the links");
    let links = links.as_array().expect("an array").clone();
    // `data-igv-check` becomes the relay's connection check, a top-level link.
    let check: Value = browser
        .client()
        .execute(
            r##"var a = document.querySelector("#check a");
               return a ? { href: a.href, target: a.target, text: a.textContent } : null;"##,
            vec![],
        )
        .await
        .expect("read the check link");
    assert_eq!(
        check["href"],
        format!("{}/igv/check", app.address),
        "{check}"
    );
    assert_eq!(check["target"], "_top");
    assert_eq!(check["text"], "Is IGV there?");
    let find = |owner: &str, text: &str| -> Value {
        links
            .iter()
            .find(|l| l["owner"] == owner && l["text"] == text)
            .cloned()
            .unwrap_or_else(|| panic!("no link {text:?} in #{owner}: {links:#?}"))
    };

    // Explicit elements: the content becomes the link text.
    let braf = find("braf", "BRAF V600E");
    // Top-level, out of any frame the page is in, with no named tab.
    assert_eq!(braf["target"], "_top");
    assert!(
        links
            .iter()
            .all(|l| l["target"] == "_top" && l["rel"] == ""),
        "{links:#?}"
    );
    let href = braf["href"].as_str().unwrap();
    assert!(
        href.starts_with(&format!("{}/igv/goto?", app.address)),
        "{href}"
    );
    assert_eq!(
        igv_location(&app, href).await,
        "http://127.0.0.1:60151/load?genome=hg38&file=&locus=chr7:140753336-140753436"
    );
    assert!(href.contains("genome=hg38"), "page default genome: {href}");
    let tp53 = find("tp53", "TP53");
    assert!(
        tp53["href"].as_str().unwrap().contains("genome=hg19"),
        "the element's own genome wins"
    );
    let pair = find("pair", "chr1:100-200 chr2:300-400");
    assert_eq!(
        igv_location(&app, pair["href"].as_str().unwrap()).await,
        "http://127.0.0.1:60151/load?genome=hg38&file=&locus=chr1:100-200%20chr2:300-400"
    );

    // Pasted shapes (issue 18): columns are 0-based unless the page says 1,
    // a label after a locus is dropped, and a gene name goes to the relay,
    // which resolves it or refuses it (this relay has no gene annotation).
    for (owner, expected) in [
        ("row", "chr7:140753337-140753436"),
        ("row1", "chr7:140753336-140753436"),
        ("labelled", "chr7:140753336-140753436"),
    ] {
        let link = find(owner, owner);
        assert_eq!(
            igv_location(&app, link["href"].as_str().unwrap()).await,
            // The page's genome travels with the jump (genome-safe /load).
            format!("http://127.0.0.1:60151/load?genome=hg38&file=&locus={expected}"),
            "{owner}"
        );
    }
    let gene = find("gene", "KRAS");
    let r = app
        .client
        .get(gene["href"].as_str().unwrap())
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400, "a name never reaches IGV");
    let body: Value = r.json().await.unwrap();
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("gene annotation"),
        "{body}"
    );

    // Autolinked text: exactly the loci, with their original text.
    let mut autolinked: Vec<&str> = links
        .iter()
        .filter(|l| l["owner"] == "notes")
        .map(|l| l["text"].as_str().unwrap())
        .collect();
    autolinked.sort();
    assert_eq!(
        autolinked,
        ["7:55019017", "chr1:1,000-2,000", "chr4:10-20", "chrX:5000"],
        "{links:#?}"
    );
    let peaks = find("notes", "chr1:1,000-2,000");
    assert_eq!(
        igv_location(&app, peaks["href"].as_str().unwrap()).await,
        "http://127.0.0.1:60151/load?genome=hg38&file=&locus=chr1:1000-2000"
    );
    let ensembl = find("notes", "7:55019017");
    assert_eq!(
        igv_location(&app, ensembl["href"].as_str().unwrap()).await,
        "http://127.0.0.1:60151/load?genome=hg38&file=&locus=chr7:55019017",
        "the relay resolves Ensembl names against hg38"
    );
    assert!(
        links
            .iter()
            .all(|l| l["owner"] != "outside" && l["owner"] != "bad")
    );

    let bad_class: Value = browser
        .client()
        .execute("return document.getElementById('bad').className", vec![])
        .await
        .unwrap();
    assert_eq!(bad_class, "igv-relay-invalid");

    // /embed in an iframe: shown for the allowed origin, blocked (frame-ancestors 'none') otherwise.
    let frame_links = |index: u16| {
        let client = browser.client().clone();
        async move {
            client.enter_frame(index).await.expect("enter the frame");
            let found: Value = client
                .execute(
                    "return Array.from(document.querySelectorAll('a.igv-link')).map(a => a.href)",
                    vec![],
                )
                .await
                .unwrap_or(Value::Null);
            client.enter_parent_frame().await.expect("back to the page");
            found
        }
    };
    let allowed_links = frame_links(0).await;
    let allowed_links = allowed_links
        .as_array()
        .expect("the allowed frame shows the embed page");
    assert_eq!(allowed_links.len(), 1, "{allowed_links:?}");
    assert!(
        allowed_links[0]
            .as_str()
            .unwrap()
            .starts_with(&format!("{}/igv/goto?", app.address))
    );
    let refused = frame_links(1).await;
    assert!(
        refused.as_array().is_none_or(|a| a.is_empty()),
        "the default configuration lets no page frame /embed: {refused}"
    );

    browser.close().await;
}
