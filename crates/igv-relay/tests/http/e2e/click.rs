//! Issue 22, the instant click, in real Chromium and real Firefox ESR against
//! the real IGV, with Local Network Access on as for a public server
//! ([`Engine::public`]): every relay link is one top-level navigation to the
//! relay and its 303; IGV answers 204, so the list stays where it was; the
//! page shows what was sent; and when IGV does not answer, Back brings the
//! list with an explanation, never a second send by itself.

use std::time::{Duration, Instant};

use fantoccini::Locator;
use serde_json::Value;

use super::*;

/// Rows of the long list: `chr1 START END rN`, 0-based starts like BED.
const ROWS: usize = 60;

fn row_start(i: usize) -> u64 {
    1_000 + 400 * i as u64
}

/// The locus IGV shows for row `i` (1-based, no commas).
fn row_locus(i: usize) -> String {
    let start = row_start(i);
    format!("chr1:{}-{}", start + 1, start + 100)
}

/// Row `i`'s locus as IGV's locus box, and the page's sign, write it
/// (`chr1:10,601-10,700`).
fn row_locus_for_people(i: usize) -> String {
    igv_relay_core::domain::locus::Locus::parse(&row_locus(i))
        .expect("a locus")
        .to_display_string()
}

/// Writes the long list into the rig's data root and returns its page URL.
fn write_long_list(rig: &Rig) -> String {
    let bed: String = (0..ROWS)
        .map(|i| format!("chr1\t{}\t{}\tr{i}\n", row_start(i), row_start(i) + 100))
        .collect();
    std::fs::write(rig._data.path().join("many.bed"), bed).expect("write many.bed");
    rig.page("many.bed?per_page=100")
}

/// Where the list is: its URL, the length of the tab's history, the window's
/// and the record table's scroll positions.
const VIEW_STATE: &str = r#"
var box = document.querySelector(".table-box");
return { url: location.href, history: history.length, y: Math.round(window.scrollY),
         box: box ? Math.round(box.scrollTop) : -1 };
"#;

/// The sign after a click: the line at the foot of the window (if shown) and
/// the locus of the row marked as sent.
const SIGN: &str = r#"
var sign = document.querySelector(".igv-relay-sign");
var row = document.querySelector(".igv-sent");
var link = row && (row.querySelector("a.igv-link") || row);
return { text: sign && !sign.hidden ? sign.textContent : null,
         row: link ? link.getAttribute("data-locus") : null };
"#;

/// Scrolls the window to the record table and the table to row `arguments[0]`,
/// so the next rows are on screen where a person would click them.
const SCROLL_TO_ROW: &str = r#"
var box = document.querySelector(".table-box");
var row = document.querySelectorAll("table.records tbody tr")[arguments[0]];
window.scrollTo(0, box.getBoundingClientRect().top + window.scrollY - 10);
box.scrollTop = row.offsetTop - 40;
return [window.scrollY, box.scrollTop];
"#;

/// A page script's `fetch` (no-cors, as a page would ping IGV): `ok <type>`,
/// `refused <error>`, `csp <directive> <url>` when the page's own
/// Content-Security-Policy refused it (which says nothing about LNA), or
/// `timeout` after 5 s (then aborted, which closes the socket: IGV's listener
/// serves one connection at a time).
const FETCH: &str = r#"
var url = arguments[0], done = arguments[arguments.length - 1];
var stop = new AbortController();
var timer = setTimeout(function () { stop.abort(); done("timeout"); }, 5000);
var csp = null;
document.addEventListener("securitypolicyviolation", function (e) {
  csp = e.effectiveDirective + " " + e.blockedURI;
});
fetch(url, { mode: "no-cors", signal: stop.signal }).then(
  function (r) { clearTimeout(timer); done("ok " + r.type); },
  function (e) {
    clearTimeout(timer);
    setTimeout(function () { done(csp ? "csp " + csp : "refused " + e); }, 200);
  });
"#;

/// The text of the notice the list shows after Back, waiting up to 10 s.
async fn notice_text(browser: &Browser) -> Option<String> {
    notice_text_within(browser, Duration::from_secs(10)).await
}

async fn notice_text_within(browser: &Browser, limit: Duration) -> Option<String> {
    procs_poll_async(limit, || async {
        let found = browser
            .client()
            .find(Locator::Css("aside.igv-notice"))
            .await
            .ok()?;
        found.text().await.ok()
    })
    .await
}

impl Rig {
    /// The "View in IGV" links of the list's rows.
    async fn row_links(&self) -> Vec<fantoccini::elements::Element> {
        self.browser
            .client()
            .find_all(Locator::Css("table.records tbody tr a.igv-link"))
            .await
            .expect("the rows' links")
    }

    async fn view_state(&self) -> Value {
        self.browser
            .client()
            .execute(VIEW_STATE, vec![])
            .await
            .expect("read where the list is")
    }

    async fn window_count(&self) -> usize {
        self.browser
            .client()
            .windows()
            .await
            .expect("window handles")
            .len()
    }

    /// Clicks row `i`'s "View in IGV" on the long list and waits until IGV
    /// shows its locus; returns the time from the click to the locus read
    /// back (which includes one read-back).
    async fn click_row(&self, i: usize) -> Duration {
        let links = self.row_links().await;
        let expected = row_locus(i);
        // IGV is read back while the click is on its way: a WebDriver click
        // may return only after the browser is done with the navigation.
        let started = Instant::now();
        let (clicked, seen) =
            tokio::join!(links[i].click(), wait_for_locus_now(&self.igv, &expected));
        clicked.expect("click View in IGV");
        CHECKED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.igv.assert_no_dialogs();
        let seen = seen.unwrap_or_else(|| {
            panic!(
                "{:?}: IGV did not show {expected} within 10 s of the click; it shows {}",
                self.browser.kind(),
                "(see the read-back above)"
            )
        });
        seen - started
    }

    /// Local Network Access is on for the service: a script's `fetch` from
    /// its page to a loopback port is refused and never reaches it, while the
    /// same fetch from a loopback page (another port of 127.0.0.1, which the
    /// override leaves loopback) does reach it: the control that shows the
    /// refusal is LNA's, not a dead port. The port is the rig's [`Canary`],
    /// not IGV's (see there), and the page's CSP allows the fetch
    /// ([`Rig::start_lna_with`]): a refusal by the CSP fails the check.
    async fn assert_lna_is_on(&self) {
        let client = self.browser.client();
        let kind = self.browser.kind();
        let canary = self.canary.as_ref().expect("a rig started with LNA on");
        let control = serve_once_html("<p>a loopback page</p>").await;
        self.browser
            .goto(&control)
            .await
            .expect("open the loopback page");
        let allowed = client
            .execute_async(FETCH, vec![canary.url("from-a-loopback-page").into()])
            .await
            .expect("fetch from the loopback page");
        assert!(
            allowed.as_str().is_some_and(|r| r.starts_with("ok")),
            "{kind:?}: a loopback page's fetch should reach a loopback port: {allowed}"
        );
        assert_eq!(canary.requests(), ["GET /from-a-loopback-page"], "{kind:?}");

        self.browser
            .goto(&self.app.url("/settings"))
            .await
            .expect("open a page of the service");
        let refused = client
            .execute_async(FETCH, vec![canary.url("from-the-service").into()])
            .await
            .expect("fetch from the service's page");
        assert!(
            refused.as_str().is_some_and(|r| r.starts_with("refused")),
            "{kind:?}: Local Network Access must refuse the public page's fetch: {refused}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(
            canary.requests(),
            ["GET /from-a-loopback-page"],
            "{kind:?}: the refused fetch reached the loopback port"
        );
        eprintln!("e2e: {kind:?}: LNA on: the service's fetch to a loopback port was {refused}");
    }
}

/// Reads IGV's locus back to back (no pause between read-backs, each ~10-40
/// ms) until it is `expected`, and returns when it was first seen, or `None`
/// after 10 s. IGV moves before it answers the browser (igv-e2e.md §4).
async fn wait_for_locus_now(igv: &IgvLease, expected: &str) -> Option<Instant> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if igv.current_locus().await == expected {
            return Some(Instant::now());
        }
        if Instant::now() > deadline {
            return None;
        }
    }
}

/// Five clicks in a row on a long list, scrolled to its middle, as a
/// reviewer goes through variants: each lands in IGV (its locus read back),
/// no tab or window opens, the list keeps its URL, history and scroll
/// positions (the window's and the record table's), and the clicked row says
/// what was sent.
async fn five_clicks_land_in_place(engine: Engine) {
    let Some(rig) = Rig::start_lna(engine, |_, _| {}).await else {
        return;
    };
    rig.assert_lna_is_on().await;
    let list = write_long_list(&rig);
    rig.browser.goto(&list).await.expect("open the list");
    let first = 20;
    rig.browser
        .client()
        .execute(SCROLL_TO_ROW, vec![first.into()])
        .await
        .expect("scroll to the middle of the list");
    let before = rig.view_state().await;
    assert_eq!(before["url"], list.as_str());
    assert!(
        before["y"].as_i64() > Some(0) && before["box"].as_i64() > Some(0),
        "{engine:?}: the list should be scrolled: {before}"
    );
    assert_eq!(rig.window_count().await, 1);
    for i in first..first + 5 {
        let took = rig.click_row(i).await;
        // Read back by polling IGV, which competes with the click for IGV's
        // single listener: an upper bound (benches/click.sh times the click).
        eprintln!(
            "e2e: {engine:?}: row {i} read back in IGV {} ms after the click",
            took.as_millis()
        );
        assert_eq!(
            rig.view_state().await,
            before,
            "{engine:?}: the click on row {i} moved the list"
        );
        assert_eq!(
            rig.window_count().await,
            1,
            "{engine:?}: the click on row {i} opened a tab or window"
        );
        let sign = rig
            .browser
            .client()
            .execute(SIGN, vec![])
            .await
            .expect("read the sign");
        assert_eq!(
            sign["text"],
            format!("sent to IGV · {}", row_locus_for_people(i)).as_str(),
            "{engine:?}: {sign}"
        );
        assert_eq!(sign["row"], row_locus(i).as_str(), "{engine:?}: {sign}");
    }
    // README, "When IGV is not running": the sign after a click.
    screenshot(&rig.browser, &format!("click-sign-{engine:?}-1400.png")).await;
    rig.finish().await;
}

/// Saves what the browser shows as `target/tmp/e2e-artifacts/<name>`.
async fn screenshot(browser: &Browser, name: &str) {
    let png = browser.client().screenshot().await.expect("a screenshot");
    let path = procs::artifacts_dir().join(name.to_lowercase());
    std::fs::write(&path, png).expect("save the screenshot");
    eprintln!("screenshot: {}", path.display());
}

#[actix_web::test]
async fn five_clicks_in_chromium_with_lna_land_in_place_without_a_new_tab() {
    five_clicks_land_in_place(Engine::Chromium).await;
}

#[actix_web::test]
async fn five_clicks_in_firefox_with_lna_land_in_place_without_a_new_tab() {
    five_clicks_land_in_place(Engine::Firefox).await;
}

/// `/embed` framed by a page on another host name (`localhost`, as Galaxy or
/// a portal on its own host; both count as public web sites): a click leaves
/// the frame (`target="_top"`), so the hop stays top-level; IGV moves, the
/// framing page stays with its state, and no tab opens. Two clicks in a row,
/// in the frame as the user left it. LNA is checked for the service's pages
/// ([`Rig::assert_lna_is_on`]) and in the frame itself: the frame navigating
/// itself to IGV (what a link without `_top` would do) never reaches IGV.
async fn a_click_in_framed_embed_moves_igv_and_the_framing_page_stays(engine: Engine) {
    let framer = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the framing page's server");
    let framer_port = framer.local_addr().expect("address").port();
    let framer_origin = format!("http://localhost:{framer_port}");
    let allowed = framer_origin.clone();
    let Some(rig) = Rig::start_lna_with(engine, &[framer_port], move |s, _| {
        s.embed.allowed_origins = vec![allowed];
    })
    .await
    else {
        return;
    };
    rig.assert_lna_is_on().await;
    let embed = rig
        .app
        .url("/embed?loci=chr2%3A1001-2000%0Achr3%3A2001-3000&genome=tiny");
    serve_html(
        framer,
        &format!(
            r#"<h1>Lab portal</h1><iframe id="relay" src="{embed}" width="700" height="300"></iframe>"#
        ),
    );
    // The LNA check leaves the frame on an error page; the clicks get a
    // fresh portal, at another URL so that `goto` waits for it.
    let portal = format!("{framer_origin}/");
    rig.browser
        .goto(&format!("{portal}?lna"))
        .await
        .expect("open the portal");
    let client = rig.browser.client();

    // LNA in the frame: its own navigation to a loopback port (the rig's
    // canary, as IGV's) never reaches it.
    client.enter_frame(0).await.expect("enter /embed");
    let canary = rig.canary.as_ref().expect("a rig started with LNA on");
    let seen = canary.requests();
    client
        .execute(
            "location.href = arguments[0]; return 1;",
            vec![canary.url("from-the-frame").into()],
        )
        .await
        .expect("navigate the frame to a loopback port");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        canary.requests(),
        seen,
        "{engine:?}: the frame's own navigation reached a loopback port: LNA is off in the frame"
    );
    eprintln!(
        "e2e: {engine:?}: LNA on in the frame: its navigation to a loopback port did not reach it"
    );
    client
        .enter_parent_frame()
        .await
        .expect("back to the portal");

    rig.browser
        .goto(&portal)
        .await
        .expect("open the portal again");
    client
        .execute("window.portalState = 'kept'; return 1;", vec![])
        .await
        .expect("mark the portal's state");
    for (index, expected, shown) in [
        (1, "chr3:2001-3000", "chr3:2,001-3,000"),
        (0, "chr2:1001-2000", "chr2:1,001-2,000"),
    ] {
        client.enter_frame(0).await.expect("enter /embed");
        let loaded = procs_poll_async(Duration::from_secs(10), || async {
            let state = client
                .execute("return [location.href, document.readyState];", vec![])
                .await
                .ok()?;
            (state[0] == embed.as_str() && state[1] == "complete").then_some(())
        })
        .await;
        assert!(
            loaded.is_some(),
            "{engine:?}: the frame does not show /embed"
        );
        let links = client
            .find_all(Locator::Css("a.igv-link"))
            .await
            .expect("the embed page's links");
        assert_eq!(links.len(), 2, "{engine:?}: the frame shows /embed");
        assert_eq!(
            links[index]
                .attr("target")
                .await
                .expect("target")
                .as_deref(),
            Some("_top")
        );
        links[index].click().await.expect("click in the frame");
        rig.expect_locus(expected).await;
        let sign = client.execute(SIGN, vec![]).await.expect("read the sign");
        assert_eq!(
            sign["text"],
            format!("sent to IGV · {shown}").as_str(),
            "{engine:?}: {sign}"
        );
        client
            .enter_parent_frame()
            .await
            .expect("back to the portal");
        // A 204 leaves nothing to wait for: give a replacement of the
        // framing page, were there one, time to show.
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(
            rig.browser.current_url().await.expect("url"),
            portal,
            "{engine:?}"
        );
        assert_eq!(
            client
                .execute("return window.portalState;", vec![])
                .await
                .expect("the portal's state"),
            "kept",
            "{engine:?}: the framing page was replaced"
        );
        assert_eq!(
            rig.window_count().await,
            1,
            "{engine:?}: a click opened a tab"
        );
    }
    // The clicks worked: once the framing page has outlived them by the 8 s
    // static/click.js allows a failed hop, leaving it (the portal's own
    // navigation) and coming Back shows no notice in the frame.
    tokio::time::sleep(Duration::from_millis(8_500)).await;
    // On the portal's host (another site than the frame's, as Galaxy's next
    // page would be): the frame's process may go with it, which is when
    // Firefox loses the frame's last sessionStorage writes.
    let elsewhere = serve_once_html("<p>another page of the portal</p>")
        .await
        .replace("http://127.0.0.1:", "http://localhost:");
    rig.browser
        .goto(&elsewhere)
        .await
        .expect("leave the portal");
    client.back().await.expect("Back");
    wait_for_url(&rig.browser, "the portal", |u| u == portal).await;
    client.enter_frame(0).await.expect("enter /embed again");
    let notice = notice_text_within(&rig.browser, Duration::from_secs(2)).await;
    assert_eq!(
        notice, None,
        "{engine:?}: a click that worked was reported as failed"
    );
    rig.finish().await;
}

#[actix_web::test]
async fn a_click_in_embed_framed_by_another_site_in_chromium_moves_igv_and_the_framing_page_stays()
{
    a_click_in_framed_embed_moves_igv_and_the_framing_page_stays(Engine::Chromium).await;
}

#[actix_web::test]
async fn a_click_in_embed_framed_by_another_site_in_firefox_moves_igv_and_the_framing_page_stays() {
    a_click_in_framed_embed_moves_igv_and_the_framing_page_stays(Engine::Firefox).await;
}

/// IGV not running: the click shows the browser's own error page; Back
/// brings the list, which says IGV did not answer that link and what to
/// check, and sends nothing by itself; once IGV runs, "Send it again" lands
/// and the list stays.
async fn with_igv_stopped_back_explains_and_send_again_lands(engine: Engine) {
    let port = procs::free_port();
    let data = tempfile::tempdir().expect("a data directory");
    std::fs::write(data.path().join("regions.bed"), BED).expect("write regions.bed");
    let root = data.path().to_path_buf();
    let app = spawn_app_with(move |s| {
        s.igv.port = port;
        s.data.roots = vec![DataRootSettings {
            name: "e2e".into(),
            path: root,
            genome: None,
        }];
    })
    .await;
    let Some(browser) = engine.public(&[app.port]).start().await else {
        return;
    };
    let list = app.url("/files/e2e/regions.bed");
    browser.goto(&list).await.expect("open the list");
    let client = browser.client();
    let links = client
        .find_all(Locator::Css("a.igv-link"))
        .await
        .expect("the rows' links");
    let _ = links[1].click().await;
    let igv_origin = format!("http://127.0.0.1:{port}/");
    wait_for_url(&browser, "the browser's error page", |u| {
        u.starts_with(&igv_origin)
    })
    .await;
    let error = procs_poll_async(Duration::from_secs(5), || async {
        let text = body_text(&browser).await;
        (!text.is_empty()).then_some(text)
    })
    .await
    .unwrap_or_default();
    assert!(
        error.contains("refused to connect") || error.contains("Unable to connect"),
        "{engine:?}: {error}"
    );
    client.back().await.expect("Back");
    wait_for_url(&browser, "the list", |u| u == list).await;
    let Some(notice) = notice_text(&browser).await else {
        panic!(
            "{engine:?}: no notice after Back: {}",
            body_text(&browser).await
        );
    };
    for expected in [
        "IGV did not answer the last link (chr2:5,000-6,000)",
        "IGV desktop is running",
        "View › Preferences › Advanced › Enable port",
        "your IGV port settings",
        "no dialog is open in IGV",
        "Test the connection",
        "Send it again",
    ] {
        assert!(
            notice.contains(expected),
            "{engine:?}: {expected:?} not in the notice: {notice}"
        );
    }
    let failed: Value = client
        .execute(
            "var r = document.querySelector('tr.igv-failed a.igv-link'); \
             return r && r.getAttribute('data-locus');",
            vec![],
        )
        .await
        .expect("read the failed row");
    assert_eq!(failed, "chr2:5000-6000", "{engine:?}");
    // README, "When IGV is not running": the list after Back.
    screenshot(&browser, &format!("click-igv-stopped-{engine:?}-1400.png")).await;
    // Back never sends again by itself.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(browser.current_url().await.expect("url"), list);

    // IGV starts on that port; nothing has reached it; "Send it again" lands.
    let Some(igv) = igv::TestIgv::start_on(port) else {
        return;
    };
    assert_eq!(igv.current_locus().await, igv::HOME_LOCUS, "{engine:?}");
    browser
        .click("aside.igv-notice a.igv-send")
        .await
        .expect("click Send it again");
    let shown = igv.wait_for_locus("chr2:5000-6000").await;
    assert_eq!(shown, "chr2:5000-6000", "{engine:?}");
    CHECKED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    assert_eq!(
        browser.current_url().await.expect("url"),
        list,
        "{engine:?}: IGV's 204 keeps the list"
    );
    let sign = client.execute(SIGN, vec![]).await.expect("read the sign");
    assert_eq!(sign["text"], "sent to IGV · chr2:5,000-6,000", "{engine:?}");
    assert!(
        client.find(Locator::Css("aside.igv-notice")).await.is_err(),
        "{engine:?}: the notice is gone once the link is sent again"
    );
    assert_eq!(client.windows().await.expect("windows").len(), 1);
    igv.assert_no_dialogs();
    assert!(igv.http_alive().await);
    record_round_trips(CHECKED.load(std::sync::atomic::Ordering::Relaxed));
    browser.close().await;
}

#[actix_web::test]
async fn with_igv_stopped_in_chromium_back_explains_and_send_again_lands() {
    with_igv_stopped_back_explains_and_send_again_lands(Engine::Chromium).await;
}

#[actix_web::test]
async fn with_igv_stopped_in_firefox_back_explains_and_send_again_lands() {
    with_igv_stopped_back_explains_and_send_again_lands(Engine::Firefox).await;
}

/// IGV not running, `/embed` framed by another site: the click leaves the
/// frame, so the browser's error page replaces the framing page; Back brings
/// the framing page back, and the frame says the link did not reach IGV, with
/// what to check; once IGV runs, "Send it again" in the frame lands and the
/// framing page stays. Firefox loses what the frame writes to its
/// sessionStorage in pagehide here (static/click.js, at the top, says how it
/// copes); and as storage is partitioned, the frame cannot tell this from
/// the relay refusing the link
/// ([`back_to_a_framed_embed_after_the_relays_refusal_claims_neither`]).
async fn with_igv_stopped_back_to_a_framed_embed_explains_and_send_again_lands(engine: Engine) {
    let port = procs::free_port();
    let framer = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the framing page's server");
    let framer_port = framer.local_addr().expect("address").port();
    let framer_origin = format!("http://localhost:{framer_port}");
    let allowed = framer_origin.clone();
    let app = spawn_app_with(move |s| {
        s.igv.port = port;
        s.embed.allowed_origins = vec![allowed];
    })
    .await;
    let Some(browser) = engine.public(&[app.port, framer_port]).start().await else {
        return;
    };
    let embed = app.url("/embed?loci=chr2%3A1001-2000%0Achr3%3A2001-3000");
    serve_html(
        framer,
        &format!(
            r#"<h1>Lab portal</h1><iframe id="relay" src="{embed}" width="700" height="300"></iframe>"#
        ),
    );
    let portal = format!("{framer_origin}/");
    browser.goto(&portal).await.expect("open the portal");
    let client = browser.client();
    client.enter_frame(0).await.expect("enter /embed");
    let links = client
        .find_all(Locator::Css("a.igv-link"))
        .await
        .expect("the embed page's links");
    let _ = links[1].click().await;
    let igv_origin = format!("http://127.0.0.1:{port}/");
    wait_for_url(&browser, "the browser's error page", |u| {
        u.starts_with(&igv_origin)
    })
    .await;
    client.back().await.expect("Back");
    wait_for_url(&browser, "the portal", |u| u == portal).await;
    client.enter_frame(0).await.expect("enter /embed again");
    let Some(notice) = notice_text(&browser).await else {
        panic!(
            "{engine:?}: no notice in the frame after Back: {}",
            body_text(&browser).await
        );
    };
    for expected in [
        "The last link did not reach IGV (chr3:2,001-3,000)",
        "IGV desktop is running",
        "View › Preferences › Advanced › Enable port",
        "Test the connection",
        "Send it again",
    ] {
        assert!(
            notice.contains(expected),
            "{engine:?}: {expected:?} not in the notice: {notice}"
        );
    }
    // Back never sends again by itself.
    tokio::time::sleep(Duration::from_secs(2)).await;
    client
        .enter_parent_frame()
        .await
        .expect("back to the portal");
    assert_eq!(browser.current_url().await.expect("url"), portal);

    let Some(igv) = igv::TestIgv::start_on(port) else {
        return;
    };
    assert_eq!(igv.current_locus().await, igv::HOME_LOCUS, "{engine:?}");
    client.enter_frame(0).await.expect("enter /embed again");
    let send = client
        .find(Locator::Css("aside.igv-notice a.igv-send"))
        .await
        .expect("Send it again");
    assert_eq!(
        send.attr("target").await.expect("target").as_deref(),
        Some("_top"),
        "{engine:?}: Send it again leaves the frame like the link it repeats"
    );
    let _ = send.click().await;
    let shown = igv.wait_for_locus("chr3:2001-3000").await;
    assert_eq!(shown, "chr3:2001-3000", "{engine:?}");
    CHECKED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    tokio::time::sleep(Duration::from_millis(300)).await;
    client
        .enter_parent_frame()
        .await
        .expect("back to the portal");
    assert_eq!(
        browser.current_url().await.expect("url"),
        portal,
        "{engine:?}: IGV's 204 keeps the framing page"
    );
    assert_eq!(client.windows().await.expect("windows").len(), 1);
    igv.assert_no_dialogs();
    assert!(igv.http_alive().await);
    record_round_trips(CHECKED.load(std::sync::atomic::Ordering::Relaxed));
    browser.close().await;
}

#[actix_web::test]
async fn with_igv_stopped_in_chromium_back_to_a_framed_embed_explains_and_send_again_lands() {
    with_igv_stopped_back_to_a_framed_embed_explains_and_send_again_lands(Engine::Chromium).await;
}

#[actix_web::test]
async fn with_igv_stopped_in_firefox_back_to_a_framed_embed_explains_and_send_again_lands() {
    with_igv_stopped_back_to_a_framed_embed_explains_and_send_again_lands(Engine::Firefox).await;
}

/// The relay refuses a link clicked in `/embed` framed by another site (here
/// its rate limit: one relay request a minute). Its error page is a
/// top-level page, whose sessionStorage the frame cannot read (storage is
/// partitioned by the top site, in Chromium and Firefox), so after Back the
/// frame cannot know why the link failed: it says the link did not reach
/// IGV, names both causes, and does not claim that IGV did not answer.
async fn back_to_a_framed_embed_after_the_relays_refusal_claims_neither(engine: Engine) {
    let framer = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the framing page's server");
    let framer_port = framer.local_addr().expect("address").port();
    let framer_origin = format!("http://localhost:{framer_port}");
    let allowed = framer_origin.clone();
    let Some(rig) = Rig::start_lna_with(engine, &[framer_port], move |s, _| {
        s.embed.allowed_origins = vec![allowed];
        s.limits.relay_requests_per_minute = 1;
    })
    .await
    else {
        return;
    };
    let embed = rig
        .app
        .url("/embed?loci=chr2%3A1001-2000%0Achr3%3A2001-3000&genome=tiny");
    serve_html(
        framer,
        &format!(r#"<iframe id="relay" src="{embed}" width="700" height="300"></iframe>"#),
    );
    let portal = format!("{framer_origin}/");
    rig.browser.goto(&portal).await.expect("open the portal");
    let client = rig.browser.client();
    client.enter_frame(0).await.expect("enter /embed");
    let links = client
        .find_all(Locator::Css("a.igv-link"))
        .await
        .expect("the embed page's links");
    let _ = links[0].click().await;
    rig.expect_locus("chr2:1001-2000").await;
    let _ = links[1].click().await;
    let relay = rig.app.url("/igv/");
    wait_for_url(&rig.browser, "the relay's error page", |u| {
        u.starts_with(&relay)
    })
    .await;
    // WebDriver's context is still the frame, gone with its page.
    let tab = client.window().await.expect("the tab");
    client.switch_to_window(tab).await.expect("the top page");
    let page = body_text(&rig.browser).await;
    assert!(page.contains("too many IGV links"), "{engine:?}: {page}");
    client.back().await.expect("Back");
    wait_for_url(&rig.browser, "the portal", |u| u == portal).await;
    client.enter_frame(0).await.expect("enter /embed again");
    let notice = notice_text(&rig.browser)
        .await
        .unwrap_or_else(|| panic!("{engine:?}: no notice in the frame after Back"));
    assert!(
        notice.contains("The last link did not reach IGV (chr3:2,001-3,000)")
            && notice.contains("or the relay refused the link"),
        "{engine:?}: {notice}"
    );
    assert!(
        !notice.contains("IGV did not answer"),
        "{engine:?}: {notice}"
    );
    assert_eq!(rig.igv.current_locus().await, "chr2:1001-2000");
    rig.finish().await;
}

#[actix_web::test]
async fn back_to_a_framed_embed_in_chromium_after_the_relays_refusal_claims_neither() {
    back_to_a_framed_embed_after_the_relays_refusal_claims_neither(Engine::Chromium).await;
}

#[actix_web::test]
async fn back_to_a_framed_embed_in_firefox_after_the_relays_refusal_claims_neither() {
    back_to_a_framed_embed_after_the_relays_refusal_claims_neither(Engine::Firefox).await;
}

/// The notice never claims a failure after a click that worked: another
/// navigation started from the page right after it (the header's "Files")
/// and Back leave the list without a notice.
#[actix_web::test]
async fn a_click_that_worked_is_not_reported_after_another_navigation_and_back() {
    let Some(rig) = Rig::start_lna(Engine::Chromium, |_, _| {}).await else {
        return;
    };
    let list = write_long_list(&rig);
    rig.browser.goto(&list).await.expect("open the list");
    rig.click_row(3).await;
    let files = rig.app.url("/files/");
    rig.browser
        .click("header nav a[href$='/files/']")
        .await
        .expect("click Files");
    wait_for_url(&rig.browser, "the file list", |u| u == files).await;
    rig.browser.client().back().await.expect("Back");
    wait_for_url(&rig.browser, "the list", |u| u == list).await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(
        rig.browser
            .client()
            .find(Locator::Css("aside.igv-notice"))
            .await
            .is_err(),
        "a click that worked was reported as failed"
    );
    rig.finish().await;
}

/// When the relay itself refuses a link (here its rate limit: one relay
/// request a minute), its own error page shows why; Back brings the list,
/// which says the relay refused it, not that IGV did not answer.
#[actix_web::test]
async fn back_from_the_relays_refusal_says_the_relay_refused_it() {
    let Some(rig) = Rig::start_lna(Engine::Chromium, |s, _| {
        s.limits.relay_requests_per_minute = 1;
    })
    .await
    else {
        return;
    };
    let list = write_long_list(&rig);
    rig.browser.goto(&list).await.expect("open the list");
    rig.click_row(1).await;
    rig.row_links().await[2]
        .click()
        .await
        .expect("click a second row");
    let relay = rig.app.url("/igv/");
    wait_for_url(&rig.browser, "the relay's error page", |u| {
        u.starts_with(&relay)
    })
    .await;
    let page = body_text(&rig.browser).await;
    assert!(page.contains("too many IGV links"), "{page}");
    rig.browser.client().back().await.expect("Back");
    wait_for_url(&rig.browser, "the list", |u| u == list).await;
    let notice = notice_text(&rig.browser)
        .await
        .expect("a notice after Back");
    assert!(
        notice.contains(&format!(
            "The relay refused the last link ({}): too many IGV links",
            row_locus_for_people(2)
        )),
        "{notice}"
    );
    assert!(!notice.contains("IGV did not answer"), "{notice}");
    assert_eq!(rig.igv.current_locus().await, row_locus(1));
    rig.finish().await;
}

/// Issue 22, point 5, on real IGV: a row link loads the page's file with the
/// jump. After the first click the file's track is there once; after ten
/// more clicks still once; a track the user had loaded before stays and the
/// genome is the same (a genome load would reset IGV's session and drop it).
#[actix_web::test]
async fn the_first_click_shows_the_track_and_ten_more_only_move() {
    let Some(rig) = Rig::start_lna(Engine::Chromium, |_, _| {}).await else {
        return;
    };
    assert_eq!(rig.igv.batch("new").await.expect("new session"), "OK");
    let own = rig._data.path().join("own-track.bed");
    std::fs::write(&own, "chr2\t100\t200\tmine\n").expect("write the user's track");
    let own = own.display().to_string();
    assert_eq!(
        rig.igv.batch(&format!("load {own}")).await.expect("load"),
        "OK"
    );
    let genome = rig.igv.current_genome().await;
    let list = write_long_list(&rig);
    let raw = rig.app.url("/raw/e2e/many.bed");
    // Tracks as IGV's session lists them (local paths made absolute).
    let count = |tracks: &[String], path: &str| tracks.iter().filter(|p| *p == path).count();
    rig.browser.goto(&list).await.expect("open the list");
    assert_eq!(count(&rig.igv.loaded_tracks().await, &raw), 0);

    let first = rig.click_row(0).await;
    let tracks = rig.igv.loaded_tracks().await;
    assert_eq!(count(&tracks, &raw), 1, "after the first click: {tracks:?}");
    assert_eq!(count(&tracks, &own), 1, "{tracks:?}");
    let mut later = Vec::new();
    for i in 1..=10 {
        later.push(rig.click_row(i).await);
    }
    let tracks = rig.igv.loaded_tracks().await;
    assert_eq!(count(&tracks, &raw), 1, "after ten more clicks: {tracks:?}");
    assert_eq!(
        count(&tracks, &own),
        1,
        "the user's track must stay: {tracks:?}"
    );
    assert_eq!(rig.igv.current_genome().await, genome);
    later.sort();
    eprintln!(
        "e2e: read back after the first click (loads the track) {} ms; ten more clicks \
         median {} ms, {}-{} ms (polling; benches/click.sh times clicks)",
        first.as_millis(),
        later[5].as_millis(),
        later[0].as_millis(),
        later[9].as_millis()
    );
    assert_eq!(rig.igv.batch("new").await.expect("new session"), "OK");
    rig.finish().await;
}

// ---------------------------------------------------------------------------
// Benchmark (benches/click.sh): click -> IGV shows the locus
// ---------------------------------------------------------------------------

/// A byte-for-byte TCP relay in front of IGV's port that notes when IGV
/// starts answering each connection. IGV moves to the locus before it answers
/// (igv-e2e.md §4), so that moment is when IGV shows it, without polling IGV
/// (each read-back takes IGV's single listener for 10-40 ms). Plain threads,
/// so the times do not wait for the test's runtime.
struct Stopwatch {
    port: u16,
    answers: std::sync::Arc<std::sync::Mutex<Vec<Answer>>>,
}

/// When IGV started answering: for the test's clock and, as milliseconds
/// since the epoch, for the page's (`performance.timeOrigin + now()`).
#[derive(Clone, Copy)]
struct Answer {
    at: Instant,
    epoch_ms: f64,
}

impl Stopwatch {
    fn start(igv_port: u16) -> Stopwatch {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind the stopwatch");
        let port = listener.local_addr().expect("address").port();
        let answers = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let noted = answers.clone();
        std::thread::spawn(move || {
            for browser in listener.incoming().flatten() {
                let noted = noted.clone();
                std::thread::spawn(move || pump(browser, igv_port, &noted));
            }
        });
        Stopwatch { port, answers }
    }

    fn count(&self) -> usize {
        self.answers.lock().expect("lock").len()
    }

    /// When IGV answered the connection after the first `after`, waiting up to 10 s.
    async fn answer_after(&self, after: usize) -> Option<Answer> {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Some(t) = self.answers.lock().expect("lock").get(after) {
                return Some(*t);
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        None
    }
}

/// One browser connection through the [`Stopwatch`]. IGV is connected only
/// once the browser has sent something: Chromium opens idle sockets ahead of
/// navigations it expects (it did so here after a navigation straight to
/// IGV), and an idle socket accepted by IGV holds its single listener until
/// the browser drops it, which no real request would wait out.
fn pump(mut browser: std::net::TcpStream, igv_port: u16, answers: &std::sync::Mutex<Vec<Answer>>) {
    use std::io::{Read, Write};
    let mut buf = [0u8; 8192];
    let n = match browser.read(&mut buf) {
        Ok(n) if n > 0 => n,
        _ => return,
    };
    let Ok(mut igv) = std::net::TcpStream::connect(("127.0.0.1", igv_port)) else {
        return;
    };
    if igv.write_all(&buf[..n]).is_err() {
        return;
    }
    let (Ok(mut from_browser), Ok(mut to_igv)) = (browser.try_clone(), igv.try_clone()) else {
        return;
    };
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut from_browser, &mut to_igv);
        let _ = to_igv.shutdown(std::net::Shutdown::Write);
    });
    let mut first = true;
    while let Ok(n) = igv.read(&mut buf) {
        if n == 0 {
            break;
        }
        if first {
            let epoch = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default();
            answers.lock().expect("lock").push(Answer {
                at: Instant::now(),
                epoch_ms: epoch.as_secs_f64() * 1000.0,
            });
            first = false;
        }
        if browser.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = browser.shutdown(std::net::Shutdown::Both);
}

/// Notes, in the page, when each click happens (milliseconds since the
/// epoch): the moment a person's click reaches the page, without the
/// WebDriver round trips before it.
const NOTE_CLICKS: &str = r#"
window.clickTimes = [];
document.addEventListener("click", function () {
  window.clickTimes.push(performance.timeOrigin + performance.now());
}, true);
return 1;
"#;

async fn note_clicks(browser: &Browser) {
    browser
        .client()
        .execute(NOTE_CLICKS, vec![])
        .await
        .expect("note clicks");
}

/// Clicks each of `links` (the one for row `first_row`, the next row's, ...),
/// a person's pace apart, and returns the times of [`timed_click`].
async fn time_clicks(
    rig: &Rig,
    watch: &Stopwatch,
    links: &[fantoccini::elements::Element],
    first_row: usize,
) -> (Vec<Duration>, Vec<Duration>) {
    let (mut from_call, mut from_event) = (Vec::new(), Vec::new());
    for (k, link) in links.iter().enumerate() {
        let (call, event) = timed_click(rig, watch, link, &row_locus(first_row + k)).await;
        from_call.push(call);
        from_event.push(event);
        // A person's clicks are seconds apart; IGV repaints in between.
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    (from_call, from_event)
}

/// Clicks `link` and returns the time until IGV answered it, from the
/// WebDriver click and from the click event in the page; then checks with a
/// read-back that IGV shows `expected`.
async fn timed_click(
    rig: &Rig,
    watch: &Stopwatch,
    link: &fantoccini::elements::Element,
    expected: &str,
) -> (Duration, Duration) {
    let before = watch.count();
    let started = Instant::now();
    let (clicked, answered) = tokio::join!(link.click(), watch.answer_after(before));
    clicked.expect("click");
    let answered =
        answered.unwrap_or_else(|| panic!("IGV never answered the click for {expected}"));
    let clicked_at: Value = rig
        .browser
        .client()
        .execute(
            "return window.clickTimes[window.clickTimes.length - 1];",
            vec![],
        )
        .await
        .expect("when the page saw the click");
    let from_event = answered.epoch_ms - clicked_at.as_f64().expect("a click time");
    rig.expect_locus(expected).await;
    (
        answered.at - started,
        Duration::from_secs_f64(from_event.max(0.0) / 1000.0),
    )
}

fn summary(times: &[Duration]) -> Value {
    let mut ms: Vec<f64> = times.iter().map(|t| t.as_secs_f64() * 1000.0).collect();
    ms.sort_by(f64::total_cmp);
    let median = if ms.len() % 2 == 1 {
        ms[ms.len() / 2]
    } else {
        (ms[ms.len() / 2 - 1] + ms[ms.len() / 2]) / 2.0
    };
    serde_json::json!({
        "n": ms.len(), "median_ms": median, "min_ms": ms[0], "max_ms": ms[ms.len() - 1], "all_ms": ms,
    })
}

/// 20 clicks on a list's "View in IGV" (after a first click that loads the
/// file), against 20 navigations of the same browser straight to the very
/// IGV URLs the relay redirects to (the floor: one hop, no relay). Writes
/// `target/tmp/click-bench-<browser>.json`.
async fn bench_click(engine: Engine) {
    let watch_slot = std::sync::Arc::new(std::sync::OnceLock::new());
    let slot = watch_slot.clone();
    let Some(rig) = Rig::start_lna(engine, move |s, igv_port| {
        let watch = Stopwatch::start(igv_port);
        s.igv.port = watch.port;
        let _ = slot.set(watch);
    })
    .await
    else {
        return;
    };
    let watch = watch_slot.get().expect("the stopwatch");
    assert_eq!(rig.igv.batch("new").await.expect("new session"), "OK");
    let list = write_long_list(&rig);
    rig.browser.goto(&list).await.expect("open the list");
    let links = rig.row_links().await;
    note_clicks(&rig.browser).await;
    let (first, _) = timed_click(&rig, watch, &links[0], &row_locus(0)).await;
    let (relay, relay_event) = time_clicks(&rig, watch, &links[1..=20], 1).await;

    // The floor: links straight to the very IGV URLs the relay redirects to
    // (one hop, no relay), on a loopback page, clicked the same way. (The
    // stopwatch connects to IGV lazily: Chromium preconnects to the origin of
    // such links, and without it the idle socket held IGV for 30 s here. The
    // relay's links never showed that: the browser learns IGV's address only
    // from the redirect.)
    let mut direct_links = String::new();
    for (i, link) in links.iter().enumerate().take(21).skip(1) {
        let href = link.attr("href").await.expect("href").expect("a link");
        let r = rig.app.client.get(&href).send().await.expect("the relay");
        let igv_url = r.headers()["location"]
            .to_str()
            .expect("a Location")
            .to_owned();
        direct_links.push_str(&format!(
            "<p><a class=\"direct\" href=\"{igv_url}\">row {i}</a></p>\n"
        ));
    }
    let page = serve_once_html(&direct_links).await;
    rig.browser
        .goto(&page)
        .await
        .expect("open the direct links");
    note_clicks(&rig.browser).await;
    let direct_links = rig
        .browser
        .client()
        .find_all(Locator::Css("a.direct"))
        .await
        .expect("the direct links");
    rig.igv.goto(igv::HOME_LOCUS).await;
    let (direct, direct_event) = time_clicks(&rig, watch, &direct_links, 1).await;
    let mut readback = Vec::new();
    for _ in 0..20 {
        let started = Instant::now();
        rig.igv.current_locus().await;
        readback.push(started.elapsed());
    }
    let ratio = |a: &Value, b: &Value| {
        a["median_ms"].as_f64().unwrap_or(0.0) / b["median_ms"].as_f64().unwrap_or(1.0)
    };
    let (relay, direct) = (summary(&relay), summary(&direct));
    let (relay_event, direct_event) = (summary(&relay_event), summary(&direct_event));
    let report = serde_json::json!({
        "browser": format!("{engine:?}"),
        "first_click_ms": first.as_secs_f64() * 1000.0,
        "relay": relay,
        "direct": direct,
        "relay_over_direct": ratio(&relay, &direct),
        "relay_from_event": relay_event,
        "direct_from_event": direct_event,
        "relay_over_direct_from_event": ratio(&relay_event, &direct_event),
        "readback": summary(&readback),
    });
    eprintln!("click-bench: {report}");
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("click-bench-{engine:?}.json").to_lowercase());
    std::fs::write(&path, report.to_string()).expect("write the report");
    assert_eq!(rig.igv.batch("new").await.expect("new session"), "OK");
    rig.finish().await;
}

#[actix_web::test]
#[ignore = "a benchmark: benches/click.sh runs it"]
async fn bench_click_to_locus_in_chromium() {
    bench_click(Engine::Chromium).await;
}

#[actix_web::test]
#[ignore = "a benchmark: benches/click.sh runs it"]
async fn bench_click_to_locus_in_firefox() {
    bench_click(Engine::Firefox).await;
}
