//! The Galaxy visualization end to end: real Galaxy 26.1 (scripts/galaxy.sh,
//! which installs deploy/galaxy/visualizations/igv_relay), real headless
//! Chromium logged into Galaxy, real IGV. Galaxy's own client opens
//! `/visualizations/display?visualization=igv_relay&dataset_id=…`, runs the
//! plugin's script in its frame, the frame shows the relay's page of the
//! dataset; a click on a row moves IGV, and Galaxy's page stays where it was.
//! Galaxy and the relay count as public web sites for Local Network Access
//! (`--ip-address-space-overrides`), so a navigation to IGV from inside the
//! frame would be blocked: the click lands only because it leaves the frame
//! (`target="_top"`).
//!
//! Skips without Galaxy, IGV or Chromium, except with CI=true.

use std::time::{Duration, Instant};

use fantoccini::Locator;
use serde_json::json;

use crate::galaxy::{Api, RELAY_PORT, answering, galaxy, wait_for_free_port};
use crate::support::app::spawn_app_with;
use crate::support::browser::Browser;
use crate::support::igv::TestIgv;
use crate::support::in_ci;

/// A BED on the test IGV's tiny genome; dbkey `?`, so no genome is sent.
const BED: &str = "chr1\t100\t200\tfeat1\t0\t+\nchr2\t1000\t1500\tfeat2\t0\t-\n";

/// Logs the admin into Galaxy's web UI: its `galaxysession` cookie.
async fn login(base: &url::Url) -> String {
    let http = reqwest::Client::new();
    let cookie_of = |r: &reqwest::Response| {
        r.headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.strip_prefix("galaxysession="))
            .map(|v| v.split(';').next().unwrap_or("").to_owned())
            .next_back()
    };
    let home = http.get(base.clone()).send().await.expect("Galaxy's home");
    let session = cookie_of(&home).expect("a galaxysession cookie");
    let html = home.text().await.unwrap();
    let token = html
        .split("csrf_token = \"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("the page's session_csrf_token")
        .to_owned();
    let login = http
        .post(base.join("user/login").unwrap())
        .header("cookie", format!("galaxysession={session}"))
        .json(
            &json!({"login": "admin@example.org", "password": "admin-password",
                      "session_csrf_token": token}),
        )
        .send()
        .await
        .expect("Galaxy's login");
    assert!(login.status().is_success(), "login: {}", login.status());
    let session = cookie_of(&login).unwrap_or(session);
    let me = http
        .get(base.join("api/users/current").unwrap())
        .header("cookie", format!("galaxysession={session}"))
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    assert_eq!(me["email"], "admin@example.org", "logged in: {me}");
    session
}

#[actix_web::test]
async fn a_click_in_galaxys_igv_relay_visualization_moves_igv_and_galaxy_stays() {
    let _relay_port = RELAY_PORT.lock().await;
    let galaxy = match galaxy() {
        Ok(galaxy) => answering(galaxy).await,
        Err(reason) => Err(reason),
    }
    .and_then(|galaxy| {
        let port = galaxy.relay_url.port_or_known_default().unwrap_or(80);
        wait_for_free_port(port).map(|()| galaxy)
    });
    let galaxy = match galaxy {
        Ok(g) => g,
        Err(reason) if in_ci() => panic!("Galaxy is required with CI=true: {reason}"),
        Err(reason) => {
            eprintln!("skipping: {reason}");
            return;
        }
    };
    let Some(igv) = TestIgv::shared() else { return };
    let relay_port = galaxy.relay_url.port_or_known_default().unwrap_or(80);
    let galaxy_port = galaxy.url.port_or_known_default().unwrap_or(80);
    let (galaxy_url, api_key, igv_port) =
        (galaxy.url.to_string(), galaxy.api_key.clone(), igv.port());
    // The relay listens where the plugin points (GALAXY_RELAY_URL).
    let _app = spawn_app_with(move |s| {
        s.server.bind = format!("127.0.0.1:{relay_port}");
        s.galaxy.url = galaxy_url;
        s.galaxy.api_key = igv_relay::configuration::ApiKey::new(&api_key);
        s.igv.port = igv_port;
    })
    .await;
    let api = Api {
        galaxy: &galaxy,
        http: reqwest::Client::new(),
    };
    let ids = api.upload(&[("tiny.bed", "bed", "?", BED)]).await;
    let id = ids["tiny.bed"].clone();
    api.wait_ok(&id).await;
    let session = login(&galaxy.url).await;

    let public = format!(
        "--ip-address-space-overrides=127.0.0.1:{galaxy_port}=public,127.0.0.1:{relay_port}=public"
    );
    let Some(browser) = Browser::start(&[&public, "--window-size=1400,1000"]).await else {
        eprintln!("skipping: no headless browser (chromium, chromedriver)");
        return;
    };
    browser
        .goto(galaxy.url.join("api/version").unwrap().as_str())
        .await
        .expect("Galaxy's origin");
    // Domain and SameSite given: chromedriver refuses a null domain, and
    // fantoccini sends SameSite=None otherwise, refused without Secure.
    let host = galaxy.url.host_str().unwrap_or("127.0.0.1");
    let cookie = fantoccini::cookies::Cookie::parse(format!(
        "galaxysession={session}; Path=/; Domain={host}; SameSite=Lax"
    ))
    .expect("a cookie");
    browser
        .client()
        .add_cookie(cookie)
        .await
        .expect("the session cookie");
    let page = galaxy
        .url
        .join(&format!(
            "visualizations/display?visualization=igv_relay&dataset_id={id}"
        ))
        .unwrap()
        .to_string();
    browser
        .goto(&page)
        .await
        .expect("Galaxy's visualization page");
    let client = browser.client().clone();
    let started = Instant::now();
    let frame = client
        .wait()
        .at_most(Duration::from_secs(90))
        .for_element(Locator::Css("iframe#galaxy_visualization"))
        .await
        .expect("Galaxy's visualization frame");
    frame.enter_frame().await.expect("enter Galaxy's frame");
    let link = client
        .wait()
        .at_most(Duration::from_secs(60))
        .for_element(Locator::Css("a[data-locus=\"chr1:101-200\"]"))
        .await
        .expect("the relay's page of the dataset in Galaxy's frame");
    let frame_url = client
        .execute("return location.href;", vec![])
        .await
        .expect("the frame's URL");
    let frame_url = frame_url.as_str().unwrap_or_default().to_owned();
    assert!(
        frame_url.starts_with(&format!("{}galaxy/datasets/{id}", galaxy.relay_url)),
        "{frame_url}"
    );
    eprintln!(
        "e2e galaxy_plugin: the relay's page in Galaxy's frame after {:?}",
        started.elapsed()
    );
    link.click().await.expect("click View in IGV in the frame");
    assert_eq!(igv.wait_for_locus("chr1:101-200").await, "chr1:101-200");
    // The control: a navigation of the frame itself to a loopback port (a
    // listener of this test, not IGV, which serves one connection at a
    // time) is blocked here (LNA), so only the top-level hop above could
    // have moved IGV.
    let canary = std::net::TcpListener::bind("127.0.0.1:0").expect("a canary port");
    canary.set_nonblocking(true).expect("nonblocking");
    let canary_url = format!(
        "http://127.0.0.1:{}/from-galaxys-frame",
        canary.local_addr().unwrap().port()
    );
    client
        .execute("location.href = arguments[0];", vec![json!(canary_url)])
        .await
        .expect("navigate the frame to a loopback port");
    actix_web::rt::time::sleep(Duration::from_secs(3)).await;
    // Chromium may connect before its LNA check refuses: no request may come.
    let mut requests = Vec::new();
    while let Ok((mut socket, _)) = canary.accept() {
        use std::io::Read;
        socket.set_nonblocking(false).unwrap();
        socket
            .set_read_timeout(Some(Duration::from_millis(500)))
            .unwrap();
        let mut head = [0u8; 256];
        if let Ok(n) = socket.read(&mut head) {
            requests.push(String::from_utf8_lossy(&head[..n]).into_owned());
        }
    }
    assert!(
        requests.iter().all(|r| r.is_empty()),
        "LNA is off in Galaxy's frame: its navigation reached a loopback port: {requests:?}"
    );
    client
        .enter_parent_frame()
        .await
        .expect("back to Galaxy's page");
    assert_eq!(
        browser.current_url().await.expect("Galaxy's URL"),
        page,
        "Galaxy's page stays"
    );
    igv.assert_no_dialogs();
    browser.close().await;
}
