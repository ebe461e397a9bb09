//! Adversarial suites (SECURITY.md): hostile input in every place it can reach
//! the service, sent to the real service on a random port. Each table says
//! what an attacker controls; each assertion says what must never happen:
//!
//! 1. XSS: no echoed parameter or file field becomes markup, an event
//!    handler, a script URL or a foreign meta refresh.
//! 2. Open redirect: a `Location` only ever points at loopback IGV, on a user
//!    port, with the strict IGV percent-encoding.
//! 3. Traversal: nothing outside a data root, and no hidden file, is served.
//! 4. Header injection: CR/LF in any parameter never adds a response header.
//! 5. Oversized input and gzip bombs: a clear 4xx, bounded memory, and the
//!    service keeps serving.
//! 6. Slow and greedy clients: request timeouts, a connection cap, and the
//!    optional relay rate limit.
//!
//! Complements tests/relay.rs (relay 400 cases) and tests/pages.rs (file page
//! escaping and traversal), which are not repeated here.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::support::app::{TestApp, spawn_app, spawn_app_with};
use crate::support::html::{Tag, tags};
use igv_relay::configuration::{DataRootSettings, RateLimitKey};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use url::Url;

// ===========================================================================
// Helpers: a byte-exact HTTP client, and a markup checker
// ===========================================================================

fn enc(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

#[derive(Debug)]
struct RawResponse {
    /// 0 when the service closed the connection without answering.
    status: u16,
    head: String,
    body: Vec<u8>,
}

impl RawResponse {
    fn headers(&self, name: &str) -> Vec<String> {
        let prefix = format!("{}:", name.to_ascii_lowercase());
        self.head
            .split("\r\n")
            .skip(1)
            .filter(|line| line.to_ascii_lowercase().starts_with(&prefix))
            .map(|line| line[prefix.len()..].trim().to_owned())
            .collect()
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

fn parse_response(bytes: &[u8]) -> RawResponse {
    let split = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(bytes.len());
    let head = String::from_utf8_lossy(&bytes[..split]).into_owned();
    let body = bytes.get(split + 4..).unwrap_or_default().to_vec();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    RawResponse { status, head, body }
}

/// Sends `request` byte for byte (reqwest and the `url` crate would normalise
/// or refuse much of what is sent here) and reads until the service closes.
async fn send_raw(port: u16, request: &[u8]) -> RawResponse {
    let mut stream = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connects");
    // The service may answer and close before it has read everything.
    let _ = stream.write_all(request).await;
    let mut response = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(20), async {
        let mut chunk = vec![0u8; 64 * 1024];
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => response.extend_from_slice(&chunk[..n]),
            }
        }
    })
    .await;
    assert!(read.is_ok(), "the service neither answered nor closed");
    parse_response(&response)
}

async fn raw_get(app: &TestApp, target: &str) -> RawResponse {
    raw_get_with(app, target, "").await
}

async fn raw_get_with(app: &TestApp, target: &str, extra_headers: &str) -> RawResponse {
    let request = format!(
        "GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n{extra_headers}Connection: close\r\n\r\n",
        app.port
    );
    send_raw(app.port, request.as_bytes()).await
}

async fn assert_still_serving(app: &TestApp, after: &str) {
    let r = app.get("/healthz").await;
    assert_eq!(r.status().as_u16(), 200, "not serving after {after}");
}

/// Tag names the service's own templates use: anything else is injected.
fn template_tags() -> BTreeSet<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../templates");
    let mut names = BTreeSet::new();
    for entry in std::fs::read_dir(dir).expect("templates") {
        let text = std::fs::read_to_string(entry.expect("entry").path()).expect("a template");
        names.extend(tags(&text).into_iter().map(|t| t.name));
    }
    names
}

const URL_ATTRIBUTES: &[&str] = &["href", "src", "action", "formaction", "poster", "data"];

/// Everything wrong with `html` as a page of this service whose base URL is
/// `base`: foreign tags, event handlers, scripts that are not the service's
/// own, links or refreshes leaving the service.
/// Where the default link-outs go (`links::outs`): dbSNP and ClinVar by rs id, gnomAD.
const LINK_OUT_PREFIXES: [&str; 3] = [
    "https://www.ncbi.nlm.nih.gov/snp/",
    "https://www.ncbi.nlm.nih.gov/clinvar/?term=",
    "https://gnomad.broadinstitute.org/variant/",
];

fn markup_problems(html: &str, base: &str, allowed: &BTreeSet<String>) -> Vec<String> {
    let mut problems = Vec::new();
    for tag in tags(html) {
        if !allowed.contains(&tag.name) {
            problems.push(format!("a tag no template has: {tag:?}"));
        }
        if tag.name == "script"
            && !tag
                .attr("src")
                .is_some_and(|s| s.starts_with(&format!("{base}static/")))
        {
            problems.push(format!("a script that is not the service's own: {tag:?}"));
        }
        for (name, value) in &tag.attrs {
            let value = value.as_deref().unwrap_or("");
            if name.starts_with("on") || name.contains(['"', '\'', '<']) {
                problems.push(format!("an attribute broke out of its quotes: {tag:?}"));
            }
            // "Open in IGV-Web" links go to the IGV-Web app (the default
            // `viewer.igv_web_url`), with every value percent-encoded.
            let igv_web = tag.attr("class").is_some_and(|c| c.starts_with("igv-web"))
                && value.starts_with("https://igv.org/app/?")
                && !value.contains(['<', '>', '"', '\'', ' ']);
            // Link-outs (the default dbSNP, ClinVar and gnomAD templates) leave
            // the service on purpose; a file's fields in them are percent-encoded.
            let link_out = tag.attr("class") == Some("link-out")
                && LINK_OUT_PREFIXES.iter().any(|p| value.starts_with(p))
                && !value.contains(['<', '>', '"', '\'', ' ']);
            if URL_ATTRIBUTES.contains(&name.as_str())
                && !(value.starts_with(base) || value.starts_with('#') || igv_web || link_out)
            {
                problems.push(format!("{name} leaves the service: {tag:?}"));
            }
        }
        if tag.name == "meta"
            && tag
                .attr("http-equiv")
                .is_some_and(|h| h.eq_ignore_ascii_case("refresh"))
        {
            let content = tag.attr("content").unwrap_or_default();
            let ok = content.split_once("; url=").is_some_and(|(delay, url)| {
                !delay.is_empty()
                    && delay.bytes().all(|b| b.is_ascii_digit())
                    && url.starts_with(&format!("{base}igv/"))
                    && !url.contains(['\'', '"', ';', ' '])
            });
            if !ok {
                problems.push(format!("a refresh that leaves the relay: {tag:?}"));
            }
        }
    }
    problems
}

/// A payload with markup characters must never come back verbatim.
fn echoed_verbatim(body: &str, payload: &str) -> bool {
    payload.contains(['<', '>', '"', '\'']) && body.contains(payload)
}

const XSS: &[&str] = &[
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(1)>",
    "'><svg/onload=alert(1)>",
    "</textarea><script>alert(1)</script>",
    "\" onmouseover=\"alert(1)\" x=\"",
    "' autofocus onfocus='alert(1)",
    "javascript:alert(1)",
    "0;url=javascript:alert(1)",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "<!--<script>-->",
    "{{7*7}}{% if true %}x{% endif %}",
    "\u{2028}<b>bold</b>\u{feff}",
];

/// Where a value from the request reaches a page: `{}` is the payload
/// (already URL-encoded when it is put in).
const ECHO_SURFACES: &[&str] = &[
    "/igv/goto?locus={}",
    "/igv/goto?locus=chr1:1-100&genome={}",
    "/igv/goto?locus=chr1:1-100&port={}",
    "/igv/goto?locus=chr1:1-100&landing={}",
    "/igv/goto?locus=chr1:1-100&landing=1&extra={}",
    "/igv/goto?locus=chr1:1-100&landing=1&{}=1",
    "/igv/goto?{}=chr1",
    "/igv/load?file={}",
    "/igv/load?file=FILE&index={}",
    "/igv/load?file=FILE&name={}",
    "/igv/load?file=FILE&name={}&landing=1",
    "/igv/load?file=FILE&format={}",
    "/igv/load?file=FILE&merge={}",
    "/igv/load?file=FILE&locus={}&landing=1",
    "/igv/load?file=FILE&genome={}",
    "/?loci={}",
    "/?loci=chr1:1-2&genome={}",
    "/?{}=1",
    "/settings?saved={}",
    "/embed?loci={}",
    "/embed?loci=chr1:1-2&genome={}",
    "/embed?loci=chr1:1-2&flank={}",
    "/files/demo/variants.vcf?chrom={}",
    "/files/demo/variants.vcf?q={}",
    "/files/demo/variants.vcf?genome={}",
    "/files/demo/variants.vcf?flank={}",
    "/files/demo/variants.vcf?page={}",
    "/files/demo/variants.vcf?per_page={}",
    "/files/demo/variants.vcf?pass={}",
    "/files/demo/variants.vcf?format={}",
    "/files/demo/hits.tsv?coords={}",
    "/files/demo/hits.tsv?chromCol={}",
    "/files/demo/{}",
    "/files/{}/x.bed",
    "/raw/demo/{}",
    "/galaxy/display?dataset_url={}",
    "/galaxy/datasets/{}",
];

fn surface(template: &str, app: &TestApp, encoded: &str) -> String {
    let file = enc(&app.url("/raw/demo/variants.vcf"));
    template.replace("FILE", &file).replace("{}", encoded)
}

// ===========================================================================
// 1. XSS
// ===========================================================================

#[actix_web::test]
async fn the_markup_checker_catches_what_it_is_meant_to_catch() {
    let allowed = template_tags();
    let base = "http://127.0.0.1:1/";
    let page = |inner: &str| {
        format!(
            r#"<html><head><meta http-equiv="refresh" content="0; url={base}igv/goto?locus=chr1"></head><body><p title="{inner}">{inner}</p><script src="{base}static/pages.js" defer></script></body></html>"#
        )
    };
    assert!(markup_problems(&page("&#60;script&#62;"), base, &allowed).is_empty());
    assert!(markup_problems(&page("&#34; onmouseover=&#34;x"), base, &allowed).is_empty());
    for injected in [
        "<script>alert(1)</script>",
        "\"><img src=x onerror=alert(1)>",
        "\" onmouseover=\"x",
        "<a href=\"javascript:alert(1)\">x</a>",
        "<meta http-equiv=\"refresh\" content=\"0; url=http://evil.example/\">",
    ] {
        assert!(
            !markup_problems(&page(injected), base, &allowed).is_empty(),
            "{injected} went unnoticed"
        );
    }
}

#[actix_web::test]
async fn no_echoed_parameter_becomes_markup_in_any_page() {
    let app = spawn_app().await;
    let base = format!("{}/", app.address);
    let allowed = template_tags();
    let mut checked = 0;
    for template in ECHO_SURFACES {
        for payload in XSS {
            let target = surface(template, &app, &enc(payload));
            let r = app.get(&target).await;
            let status = r.status().as_u16();
            assert!(status < 500, "{target}: {status}");
            assert!(
                r.headers().get("location").is_none_or(|l| {
                    let l = l.to_str().unwrap_or_default();
                    l.starts_with("http://127.0.0.1:") || l.starts_with(&base)
                }),
                "{target}: {:?}",
                r.headers().get("location")
            );
            let html = r
                .headers()
                .get("content-type")
                .is_some_and(|c| c.to_str().unwrap_or_default().starts_with("text/html"));
            let body = r.text().await.unwrap();
            if html {
                let problems = markup_problems(&body, &base, &allowed);
                assert!(problems.is_empty(), "{target}: {problems:#?}");
            }
            assert!(
                !echoed_verbatim(&body, payload),
                "{target} echoed {payload}"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, ECHO_SURFACES.len() * XSS.len());
}

#[actix_web::test]
async fn json_errors_are_json_with_nosniff_whatever_the_value() {
    let app = spawn_app().await;
    for template in ECHO_SURFACES.iter().filter(|t| t.starts_with("/igv/")) {
        let target = surface(template, &app, &enc(XSS[0]));
        let r = app.get_json(&target).await;
        if r.status().as_u16() == 400 {
            let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
            assert!(ct.starts_with("application/json"), "{target}: {ct}");
            assert_eq!(r.headers()["x-content-type-options"], "nosniff");
            let body: serde_json::Value = r.json().await.unwrap();
            assert!(body["error"].is_string(), "{target}: {body}");
        }
    }
}

#[actix_web::test]
async fn the_landing_page_sends_only_to_the_relay_whatever_the_link_carries() {
    let app = spawn_app().await;
    let base = format!("{}/", app.address);
    let allowed = template_tags();
    let file = enc(&app.url("/raw/demo/variants.vcf"));
    let hostile = [
        format!(
            "/igv/goto?locus=chr1:1-100&landing=1&x={}",
            enc("\";url=javascript:alert(1)")
        ),
        format!(
            "/igv/goto?locus=chr1:1-100&landing=1&x={}",
            enc("0; url=http://evil.example/")
        ),
        format!(
            "/igv/goto?locus=chr1:1-100&landing=1&{}=1",
            enc("' http-equiv=")
        ),
        format!(
            "/igv/goto?landing=1&locus=chr1:1-100&x={}",
            enc(" url=//evil.example")
        ),
        format!(
            "/igv/load?file={file}&name={}&landing=1",
            enc("x\" http-equiv=\"refresh\" content=\"0;url=//evil.example")
        ),
        format!(
            "/igv/load?file={file}&name={}&landing=true",
            enc("</title><script>alert(1)</script>")
        ),
    ];
    for target in &hostile {
        let r = app.get(target).await;
        assert_eq!(r.status().as_u16(), 200, "{target}");
        let body = r.text().await.unwrap();
        let problems = markup_problems(&body, &base, &allowed);
        assert!(problems.is_empty(), "{target}: {problems:#?}");
        // It never sends by itself (issue 22): no refresh; its send links
        // go to this relay, without `landing`, and nowhere else.
        let all = tags(&body);
        assert!(
            !all.iter()
                .any(|t| t.name == "meta" && t.attr("http-equiv").is_some()),
            "{target}"
        );
        let sends: Vec<&Tag> = all
            .iter()
            .filter(|t| t.name == "a" && t.attr("class").is_some_and(|c| c.contains("igv-send")))
            .collect();
        assert_eq!(sends.len(), 2, "{target}");
        for send in sends {
            let url = Url::parse(send.attr("href").unwrap()).unwrap();
            assert_eq!(url.host_str(), Some("127.0.0.1"), "{target}");
            assert_eq!(url.port(), Some(app.port), "{target}");
            assert!(url.path() == "/igv/goto" || url.path() == "/igv/load");
            assert!(!url.query_pairs().any(|(k, _)| k == "landing"), "{target}");
        }
    }
}

/// One payload per field, in every column of every text format: each line of
/// a file carries the payload in a different field.
fn hostile_files(dir: &Path, p: &str) {
    let write = |name: &str, text: String| std::fs::write(dir.join(name), text).unwrap();
    let mut vcf = format!(
        "##fileformat=VCFv4.3\n##contig=<ID=chr1,length=100000>\n\
         ##INFO=<ID=GENE,Number=1,Type=String,Description=\"{p}\">\n\
         ##INFO=<ID=DP,Number=1,Type=Integer,Description=\"{p}\">\n\
         ##FILTER=<ID=q10,Description=\"{p}\">\n\
         ##FORMAT=<ID=GT,Number=1,Type=String,Description=\"{p}\">\n\
         ##source={p}\n\
         #CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t{p}\n"
    );
    let row = [
        "chr1",
        "100",
        "rs1",
        "A",
        "G",
        "50",
        "PASS",
        "GENE=x;DP=3",
        "GT",
        "0/1",
    ];
    for column in 0..row.len() {
        let mut fields = row.map(str::to_owned);
        fields[column] = p.to_owned();
        if column == 7 {
            fields[7] = format!("GENE={p};DP={p}");
        }
        vcf.push_str(&fields.join("\t"));
        vcf.push('\n');
    }
    // A file name cannot hold '/'.
    write(&format!("{}.vcf", p.replace('/', "_")), vcf);
    let bed_row = ["chr1", "10", "20", "name", "0", "+", "10", "20", "255,0,0"];
    let mut bed = String::new();
    for column in 0..bed_row.len() {
        let mut fields = bed_row.map(str::to_owned);
        fields[column] = p.to_owned();
        bed.push_str(&fields.join("\t"));
        bed.push('\n');
    }
    write("hostile.bed", bed);
    let gff_row = [
        "chr1",
        "src",
        "gene",
        "10",
        "20",
        ".",
        "+",
        ".",
        "ID=g1;Name=n",
    ];
    let mut gff = format!("##gff-version 3\n##{p}\n");
    for column in 0..gff_row.len() {
        let mut fields = gff_row.map(str::to_owned);
        fields[column] = p.to_owned();
        if column == 8 {
            fields[8] = format!("ID={p};Name={p};Note={p}");
        }
        gff.push_str(&fields.join("\t"));
        gff.push('\n');
    }
    write("hostile.gff3", gff);
    let gtf_row = [
        "chr1",
        "src",
        "exon",
        "10",
        "20",
        ".",
        "+",
        ".",
        "gene_id \"g\"; transcript_id \"t\";",
    ];
    let mut gtf = String::new();
    for column in 0..gtf_row.len() {
        let mut fields = gtf_row.map(str::to_owned);
        fields[column] = p.to_owned();
        if column == 8 {
            fields[8] = format!("gene_id \"{p}\"; transcript_id \"{p}\"; gene_name \"{p}\";");
        }
        gtf.push_str(&fields.join("\t"));
        gtf.push('\n');
    }
    write("hostile.gtf", gtf);
    write(
        "hostile.tsv",
        format!("chrom\tstart\tend\t{p}\nchr1\t10\t20\t{p}\n{p}\t10\t20\tx\nchr1\t{p}\t20\tx\n"),
    );
    write(
        "hostile.bedpe",
        format!("chr1\t10\t20\tchr1\t30\t40\t{p}\t0\t+\t-\n"),
    );
}

#[actix_web::test]
async fn no_file_field_becomes_markup_on_pages_listings_or_exports() {
    let allowed = template_tags();
    for payload in [
        "<script>alert(1)</script>",
        "\"><img src=x onerror=alert(1)>",
        "' onmouseover='alert(1)",
    ] {
        let dir = tempfile::tempdir().unwrap();
        hostile_files(dir.path(), payload);
        let root = dir.path().to_path_buf();
        let app = spawn_app_with(|s| {
            s.data.roots = vec![DataRootSettings {
                name: "h".into(),
                path: root,
                genome: None,
            }]
        })
        .await;
        let base = format!("{}/", app.address);
        let listing = app.get("/files/h/").await.text().await.unwrap();
        assert!(
            markup_problems(&listing, &base, &allowed).is_empty(),
            "{listing}"
        );
        let vcf_name = format!("{}.vcf", payload.replace('/', "_"));
        for file in [
            vcf_name.as_str(),
            "hostile.bed",
            "hostile.gff3",
            "hostile.gtf",
            "hostile.tsv",
            "hostile.bedpe",
        ] {
            let path = format!("/files/h/{}", enc(file).replace('+', "%20"));
            for query in ["", "?genome=hg38", "?flank=10", "?q=a"] {
                let r = app.get(&format!("{path}{query}")).await;
                assert_eq!(r.status().as_u16(), 200, "{file}{query}");
                let body = r.text().await.unwrap();
                let problems = markup_problems(&body, &base, &allowed);
                assert!(problems.is_empty(), "{file}{query}: {problems:#?}");
                assert!(!echoed_verbatim(&body, payload), "{file}{query}");
            }
            for export in ["tsv", "json", "igv-batch", "igv-session", "igvjs-session"] {
                let r = raw_get(&app, &format!("{path}?format={export}")).await;
                assert_eq!(r.status, 200, "{file} {export}");
                let ct = r.headers("content-type").join(",");
                assert!(
                    !ct.contains("html") && !ct.is_empty(),
                    "{file} {export}: {ct}"
                );
                assert_eq!(r.headers("x-content-type-options"), ["nosniff"]);
                for disposition in r.headers("content-disposition") {
                    assert!(
                        disposition
                            .bytes()
                            .all(|b| b.is_ascii_graphic() || b == b' '),
                        "{disposition}"
                    );
                }
            }
            // IGV 3's JSON session (it needs a genome): still one JSON document.
            let r = app
                .get(&format!("{path}?genome=hg38&format=igv3-session"))
                .await;
            assert_eq!(r.status().as_u16(), 200, "{file} igv3-session");
            let text = r.text().await.unwrap();
            assert!(
                serde_json::from_str::<serde_json::Value>(&text).is_ok(),
                "{file} igv3-session: {text}"
            );
            let raw = raw_get(&app, &format!("/raw/h/{}", enc(file).replace('+', "%20"))).await;
            assert_eq!(raw.status, 200, "{file}");
            assert_eq!(raw.headers("content-type"), ["application/octet-stream"]);
        }
    }
}

#[actix_web::test]
async fn a_hostile_port_cookie_is_escaped_on_the_settings_page() {
    let app = spawn_app().await;
    let base = format!("{}/", app.address);
    let allowed = template_tags();
    for cookie in [
        "\"><script>alert(1)</script>",
        "60151\" autofocus onfocus=\"alert(1)",
        "<b>",
    ] {
        let r = raw_get_with(&app, "/settings", &format!("Cookie: igv_port={cookie}\r\n")).await;
        assert_eq!(r.status, 200, "{cookie}");
        let body = r.text();
        assert!(
            markup_problems(&body, &base, &allowed).is_empty(),
            "{cookie}: {body}"
        );
        assert!(!body.contains(cookie), "{cookie}");
        let relay = raw_get_with(
            &app,
            "/igv/goto?locus=chr1:1-100",
            &format!("Cookie: igv_port={cookie}\r\n"),
        )
        .await;
        assert_eq!(relay.status, 400, "{cookie}");
        assert!(relay.headers("location").is_empty());
        assert!(markup_problems(&relay.text(), &base, &allowed).is_empty());
    }
}

// ===========================================================================
// 2. Open redirect
// ===========================================================================

/// Every byte of a value in the IGV query is RFC 3986 unreserved, `:`, or a
/// well-formed `%XX` (a malformed `%` kills IGV's listener).
fn assert_strict_igv_query(query: &str, context: &str) {
    assert!(!query.contains("&amp;"), "{context}: {query}");
    for pair in query.split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        assert!(
            [
                "locus", "file", "index", "genome", "name", "format", "merge"
            ]
            .contains(&key),
            "{context}: unexpected key {key:?}"
        );
        let b = value.as_bytes();
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'%' => {
                    assert!(
                        b.len() > i + 2
                            && b[i + 1].is_ascii_hexdigit()
                            && b[i + 2].is_ascii_hexdigit(),
                        "{context}: malformed % in {value:?}"
                    );
                    i += 3;
                }
                c if c.is_ascii_alphanumeric() || b"-._~:".contains(&c) => i += 1,
                c => panic!("{context}: {:?} in {value:?}", c as char),
            }
        }
    }
}

/// A `Location` that is loopback IGV and nothing else.
fn assert_loopback_igv(location: &str, context: &str) {
    let url = Url::parse(location).unwrap_or_else(|e| panic!("{context}: {location}: {e}"));
    assert_eq!(url.scheme(), "http", "{context}");
    assert_eq!(url.host_str(), Some("127.0.0.1"), "{context}: {location}");
    let port = url.port().unwrap_or(80);
    assert!((1024..=65535).contains(&port), "{context}: {location}");
    assert!(
        url.username().is_empty() && url.password().is_none(),
        "{context}"
    );
    assert!(url.fragment().is_none(), "{context}: {location}");
    assert!(
        url.path() == "/goto" || url.path() == "/load",
        "{context}: {location}"
    );
    // Exactly as serialized: no normalisation trick hides another authority.
    let prefix = format!("http://127.0.0.1:{port}{}?", url.path());
    assert!(location.starts_with(&prefix), "{context}: {location}");
    assert_strict_igv_query(url.query().unwrap_or_default(), context);
}

#[actix_web::test]
async fn no_request_moves_the_location_off_loopback_igv() {
    let app = spawn_app_with(|s| s.relay.allowed_file_hosts = vec!["data.example".into()]).await;
    let ports = [
        "60151@evil.example",
        "60151/..",
        "60151#@evil.example",
        "60151?x=@evil",
        " 60151",
        "+60151",
        "060151",
        "6e4",
        "0x1f90",
        "60151.0",
        "-1",
        "0",
        "80",
        "443",
        "1023",
        "65536",
        "4294967297",
        "99999999999999999999",
        "\u{0666}\u{0660}\u{0661}\u{0665}\u{0661}",
        "60151\r\nLocation: http://evil",
        "",
        "%",
        "60151%00",
    ];
    let loci = [
        "chr1:1-2@evil.example",
        "chr1:1-2#@evil.example",
        "chr1:1-2?x",
        "chr1:1-2/../x",
        "//evil.example",
        "\\\\evil.example",
        "http://evil.example/",
        "chr1:1-2 http://evil.example",
        "chr1:1-2\u{3000}evil",
        "chr1:1-2%0d%0aLocation:%20http://evil",
        "chr1:1-2&file=http://evil/x.bam",
        "chr1:1-2%26file%3Dhttp://evil",
        "chr1:1,000-2,000",
        "chr1:1-2 chr2:3-4",
    ];
    let files = [
        "http://data.example@evil.example/x.bam",
        "http://evil.example\\@data.example/x.bam",
        "http://data.example.evil.example/x.bam",
        "http://evil.example/x.bam#@data.example",
        "http://data.example/x.bam,http://evil.example/y.bam",
        "http://DATA.example/x,y.bam",
        "http://data.example/x.bam?u=http://evil.example",
        "//evil.example/x.bam",
        "file:///etc/passwd",
        "javascript:alert(1)//data.example",
        "http://data.example/%zz.bam",
        "http://data.example/x.bam'\"",
        "http://[::1]/x.bam",
        "http://2130706433/x.bam",
        "http://data.example:8080/x.bam",
    ];
    let mut queries = Vec::new();
    for port in ports {
        queries.push(format!("/igv/goto?locus=chr1:1-2&port={}", enc(port)));
    }
    for locus in loci {
        queries.push(format!("/igv/goto?locus={}", enc(locus)));
        queries.push(format!("/igv/goto?locus={locus}"));
    }
    for file in files {
        queries.push(format!("/igv/load?file={}", enc(file)));
        queries.push(format!(
            "/igv/load?file=http://data.example/a.bam&index={}",
            enc(file)
        ));
    }
    for extra in [
        "host=evil.example",
        "url=http://evil.example",
        "next=//evil.example",
        "redirect=http://evil",
        "igv=http://evil.example",
        "Port=80",
        "PORT=80",
        "locus%00=x",
    ] {
        queries.push(format!("/igv/goto?locus=chr1:1-2&{extra}"));
    }
    let hostile_headers = "Host: evil.example\r\nX-Forwarded-Host: evil.example\r\nX-Forwarded-Proto: https\r\n\
                           Forwarded: host=evil.example;proto=https\r\nReferer: http://evil.example/\r\nOrigin: http://evil.example\r\n\
                           X-Original-URL: //evil.example\r\nX-Rewrite-URL: //evil.example\r\n";
    let mut redirects = 0;
    for query in &queries {
        for headers in ["", hostile_headers] {
            // Raw: some queries are not valid URLs for a client library.
            let request = format!(
                "GET {} HTTP/1.1\r\n{}Connection: close\r\n\r\n",
                query.replace(' ', "%20"),
                if headers.is_empty() {
                    format!("Host: 127.0.0.1:{}\r\n", app.port)
                } else {
                    headers.to_owned()
                }
            );
            let r = send_raw(app.port, request.as_bytes()).await;
            let locations = r.headers("location");
            match r.status {
                303 => {
                    assert_eq!(locations.len(), 1, "{query}");
                    assert_loopback_igv(&locations[0], query);
                    redirects += 1;
                }
                400 => assert!(locations.is_empty(), "{query}: {locations:?}"),
                other => panic!("{query}: {other}\n{}", r.head),
            }
        }
    }
    assert!(
        redirects >= 10,
        "only {redirects} requests were relayed at all"
    );
    // The settings page's own redirect comes from the public URL, never from Host.
    let r = send_raw(
        app.port,
        format!("POST /settings HTTP/1.1\r\n{hostile_headers}Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 10\r\nConnection: close\r\n\r\nport=60200").as_bytes(),
    )
    .await;
    assert_eq!(r.status, 303);
    assert_eq!(r.headers("location"), [app.url("/settings?saved=1")]);
}

// ===========================================================================
// 3. Traversal and hidden files
// ===========================================================================

const SECRET: &str = "SECRET-e5c4-outside";

#[actix_web::test]
async fn no_path_form_reaches_outside_the_root_or_a_hidden_file() {
    let base = tempfile::tempdir().unwrap();
    std::fs::write(
        base.path().join("secret.bed"),
        format!("chr1\t1\t2\t{SECRET}\n"),
    )
    .unwrap();
    let root = base.path().join("root");
    std::fs::create_dir_all(root.join("sub")).unwrap();
    std::fs::write(root.join("ok.bed"), "chr1\t1\t2\tinside\n").unwrap();
    std::fs::write(root.join(".htpasswd"), format!("admin:{SECRET}\n")).unwrap();
    std::fs::create_dir(root.join(".git")).unwrap();
    std::fs::write(root.join(".git/config"), format!("[remote] {SECRET}\n")).unwrap();
    std::fs::write(root.join("sub/.env"), format!("TOKEN={SECRET}\n")).unwrap();
    std::os::unix::fs::symlink(base.path().join("secret.bed"), root.join("sub/out.bed")).unwrap();
    std::os::unix::fs::symlink("/", root.join("rootfs")).unwrap();
    let path = root.clone();
    let app = spawn_app_with(|s| {
        s.data.roots = vec![DataRootSettings {
            name: "t".into(),
            path,
            genome: None,
        }]
    })
    .await;
    assert_eq!(raw_get(&app, "/raw/t/ok.bed").await.status, 200);
    let tails = [
        ".htpasswd",
        ".git/config",
        ".git/",
        "sub/.env",
        "sub/%2eenv",
        "%2ehtpasswd",
        "%2Egit/config",
        "sub/out.bed",
        "rootfs/etc/passwd",
        "sub/..%2f..%2fsecret.bed",
        "..%252f..%252fsecret.bed",
        "%c0%ae%c0%ae/secret.bed",
        "%e0%80%ae%e0%80%ae/secret.bed",
        "..%c0%afsecret.bed",
        "..;/secret.bed",
        "sub/..;/..;/secret.bed",
        "%uff0e%uff0e/secret.bed",
        "\u{ff0e}\u{ff0e}/secret.bed",
        "..\u{2215}secret.bed",
        "ok.bed%00.html",
        "ok.bed%2500",
        "sub//../../secret.bed",
        "sub/./../../secret.bed",
        "~/secret.bed",
        "%7e/secret.bed",
        "C:%5cwindows%5cwin.ini",
        "file:%2f%2f%2fetc%2fpasswd",
        "%2e%2e%2f%2e%2e%2fsecret.bed",
    ];
    for route in ["/files/t/", "/raw/t/"] {
        for tail in tails {
            let target = format!("{route}{}", tail.replace(' ', "%20"));
            let target: String = target
                .chars()
                .map(|c| {
                    if c.is_ascii() {
                        c.to_string()
                    } else {
                        enc(&c.to_string())
                    }
                })
                .collect();
            for query in ["", "?format=tsv", "?format=json"] {
                let r = raw_get(&app, &format!("{target}{query}")).await;
                assert!(
                    matches!(r.status, 400 | 404),
                    "{target}{query} answered {}",
                    r.status
                );
                assert!(!r.text().contains(SECRET), "{target}{query} leaked");
                assert!(!r.text().contains("root:x:0:0"), "{target}{query} leaked");
            }
        }
    }
    let listing = app.get("/files/t/").await.text().await.unwrap();
    assert!(!listing.contains(".htpasswd") && !listing.contains(".git"));
}

// ===========================================================================
// 4. Header injection
// ===========================================================================

const CRLF: &[&str] = &[
    "%0D%0ASet-Cookie:%20injected=1",
    "%0ASet-Cookie:%20injected=1",
    "%0DSet-Cookie:%20injected=1",
    "%0D%0A%0D%0A%3Chtml%3Einjected",
    "%E5%98%8A%E5%98%8DSet-Cookie:%20injected=1",
    "%C4%8D%C4%8ASet-Cookie:%20injected=1",
    "%250D%250ASet-Cookie:%20injected=1",
    "%u000d%u000aSet-Cookie:%20injected=1",
    "%00Set-Cookie:%20injected=1",
];

fn assert_no_injected_header(r: &RawResponse, context: &str) {
    assert!(r.status > 0 && r.status < 500, "{context}: {}", r.status);
    for line in r.head.split("\r\n").skip(1) {
        let lower = line.to_ascii_lowercase();
        assert!(
            !lower.starts_with("set-cookie: injected") && !lower.starts_with("injected"),
            "{context}: {line}"
        );
        assert!(!line.contains(['\r', '\n', '\0']), "{context}: {line:?}");
    }
    assert!(!r.text().starts_with("<html>injected"), "{context}");
}

#[actix_web::test]
async fn crlf_in_any_parameter_never_adds_a_response_header() {
    let app = spawn_app().await;
    for template in ECHO_SURFACES {
        for payload in CRLF {
            let target = surface(template, &app, payload);
            let r = raw_get(&app, &target).await;
            assert_no_injected_header(&r, &target);
        }
    }
    // The same in a Location the relay would otherwise build, and in the one
    // header the relay copies from a request (the port cookie).
    for payload in CRLF {
        let target = format!("/igv/goto?locus=chr1:1-2&port=60151{payload}");
        assert_no_injected_header(&raw_get(&app, &target).await, &target);
    }
    // Raw line breaks in the request line or in a header value are refused by
    // the HTTP parser itself.
    for request in [
        "GET /igv/goto?locus=chr1\r\nSet-Cookie: injected=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        "GET /igv/goto?locus=chr1\nSet-Cookie:%20injected=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        "GET /igv/goto?locus=chr1\r HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        "GET /igv/goto?locus=chr1:1-2 HTTP/1.1\r\nHost: x\r\nCookie: igv_port=60151\rSet-Cookie: injected=1\r\nConnection: close\r\n\r\n",
    ] {
        let r = send_raw(app.port, request.as_bytes()).await;
        assert!(
            r.headers("set-cookie").is_empty(),
            "{request:?}: {}",
            r.head
        );
        assert!(r.status == 0 || r.status == 400, "{request:?}: {}", r.head);
    }
    assert_still_serving(&app, "raw line breaks").await;
}

#[actix_web::test]
async fn a_file_name_with_line_breaks_cannot_inject_headers_into_exports() {
    let dir = tempfile::tempdir().unwrap();
    let name = "x\r\nSet-Cookie: injected=1\r\n.bed";
    std::fs::write(dir.path().join(name), "chr1\t1\t2\tn\n").unwrap();
    let path = dir.path().to_path_buf();
    let app = spawn_app_with(|s| {
        s.data.roots = vec![DataRootSettings {
            name: "t".into(),
            path,
            genome: None,
        }]
    })
    .await;
    let encoded = "x%0D%0ASet-Cookie:%20injected=1%0D%0A.bed";
    for query in [
        "",
        "?format=tsv",
        "?format=json",
        "?format=igv-batch",
        "?format=igv-session.xml",
    ] {
        let target = format!("/files/t/{encoded}{query}");
        let r = raw_get(&app, &target).await;
        assert_no_injected_header(&r, &target);
    }
    let r = raw_get(&app, &format!("/raw/t/{encoded}")).await;
    assert_no_injected_header(&r, "raw");
}

// ===========================================================================
// 5. Oversized input and gzip bombs
// ===========================================================================

/// The resident memory of this test process (the service runs in it).
fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

#[actix_web::test]
async fn oversized_requests_get_a_clear_4xx_and_the_service_keeps_serving() {
    let app = spawn_app_with(|s| s.relay.allowed_file_hosts = vec!["data.example".into()]).await;
    let loci_2000 = ["chr1"; 2000].join("+");
    let many_files = ["http://data.example/x.bam"; 11].join("+");
    let long_url = format!("http://data.example/{}.bam", "a".repeat(3000));
    let cases: Vec<(String, String, &[u16])> = vec![
        (
            "query of 17 KiB".into(),
            format!("/igv/goto?locus=chr1&pad={}", "a".repeat(17 * 1024)),
            &[400],
        ),
        (
            "query of 40 KiB".into(),
            format!("/igv/goto?locus=chr1&pad={}", "a".repeat(40 * 1024)),
            &[400],
        ),
        (
            "query of 1 MiB".into(),
            format!("/igv/goto?locus=chr1&pad={}", "a".repeat(1 << 20)),
            &[400, 414, 431],
        ),
        (
            "path of 100 KiB".into(),
            format!("/files/demo/{}", "a".repeat(100 * 1024)),
            &[400, 404, 414, 431],
        ),
        (
            "2000 loci".into(),
            format!("/igv/goto?locus={loci_2000}"),
            &[400],
        ),
        (
            "a 15 KiB chromosome name".into(),
            format!("/igv/goto?locus={}:1-2", "c".repeat(15 * 1024)),
            &[400],
        ),
        (
            "a 15 KiB position".into(),
            format!("/igv/goto?locus=chr1:{}", "9".repeat(15 * 1024)),
            &[400],
        ),
        (
            "thousands commas forever".into(),
            format!("/igv/goto?locus=chr1:1{}", ",000".repeat(3000)),
            &[400],
        ),
        (
            "11 files".into(),
            format!("/igv/load?file={many_files}"),
            &[400],
        ),
        (
            "a 3000-byte file URL".into(),
            format!("/igv/load?file={}", enc(&long_url)),
            &[400],
        ),
        (
            "a 10 000-character track name".into(),
            format!(
                "/igv/load?file=http://data.example/x.bam&name={}",
                "n".repeat(10_000)
            ),
            &[400],
        ),
        (
            "5000 parameters".into(),
            format!(
                "/igv/goto?locus=chr1{}",
                (0..1500).map(|i| format!("&p{i}=1")).collect::<String>()
            ),
            &[303],
        ),
        (
            "a page number past u64".into(),
            "/files/demo/variants.vcf?page=99999999999999999999999".into(),
            &[400],
        ),
        (
            "a flank past u64".into(),
            "/files/demo/variants.vcf?flank=18446744073709551615".into(),
            &[200],
        ),
        (
            "a huge page".into(),
            "/files/demo/variants.vcf?page=18446744073709551615&per_page=1000".into(),
            &[200],
        ),
        (
            "per_page past the cap".into(),
            "/files/demo/variants.vcf?per_page=100000000".into(),
            &[400],
        ),
        (
            "a column past usize".into(),
            "/files/demo/hits.tsv?chromCol=18446744073709551615".into(),
            &[200, 400, 422],
        ),
    ];
    for (what, target, expected) in &cases {
        let r = raw_get(&app, target).await;
        assert!(
            expected.contains(&r.status),
            "{what}: {} (expected {expected:?})\n{}",
            r.status,
            r.head
        );
        assert!(
            r.headers("location")
                .iter()
                .all(|l| l.starts_with("http://127.0.0.1:60151/"))
        );
        assert_still_serving(&app, what).await;
    }
    // Headers: one huge, or very many (actix-http reads at most 128 KiB of
    // request head and 96 headers).
    let huge_header = format!("X-Big: {}\r\n", "b".repeat(200 * 1024));
    let r = raw_get_with(&app, "/healthz", &huge_header).await;
    assert!(
        matches!(r.status, 0 | 400 | 431),
        "huge header: {}",
        r.status
    );
    let many: String = (0..200).map(|i| format!("X-H{i}: v\r\n")).collect();
    let r = raw_get_with(&app, "/healthz", &many).await;
    assert!(
        matches!(r.status, 0 | 400 | 431),
        "200 headers: {}",
        r.status
    );
    assert_still_serving(&app, "huge headers").await;
    // Bodies: the settings form and the API's JSON are small and capped.
    for (path, content_type) in [
        ("/settings", "application/x-www-form-urlencoded"),
        ("/api/links", "application/json"),
    ] {
        let body = vec![b'a'; 8 << 20];
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        let mut request = head.into_bytes();
        request.extend_from_slice(&body);
        let r = send_raw(app.port, &request).await;
        assert!(matches!(r.status, 400 | 413), "{path}: {}", r.status);
        assert_still_serving(&app, path).await;
    }
    // Raw UTF-8 in the request target: refused by the HTTP parser itself
    // (the relay's own cut of a long query is unit-tested in domain::request).
    let target = format!("/igv/goto?locus=x{}", "é".repeat(9000));
    let request = format!("GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    let r = send_raw(app.port, request.as_bytes()).await;
    assert!(matches!(r.status, 0 | 400), "raw UTF-8: {}", r.status);
    assert_still_serving(&app, "raw UTF-8 in the query").await;
}

/// Found by this suite: a page of a 100 000-sample VCF held one GT cell per
/// sample and row (2 GB for `per_page=1000`), and long cells were kept whole.
#[actix_web::test]
async fn wide_and_long_rows_keep_pages_small() {
    let dir = tempfile::tempdir().unwrap();
    let samples = 100_000;
    let mut vcf =
        String::from("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT");
    for i in 0..samples {
        vcf.push_str(&format!("\ts{i}"));
    }
    vcf.push('\n');
    let genotypes = "\t0/1".repeat(samples);
    for pos in 1..=120 {
        vcf.push_str(&format!("chr1\t{pos}\t.\tA\tG\t.\t.\t.\tGT{genotypes}\n"));
    }
    std::fs::write(dir.path().join("cohort.vcf"), vcf).unwrap();
    let mut tsv = (0..50_000).map(|i| format!("c{i}")).collect::<Vec<_>>();
    tsv[..3].clone_from_slice(&["chrom".into(), "start".into(), "end".into()]);
    let mut wide = tsv.join("\t");
    wide.push('\n');
    for i in 1..=120 {
        wide.push_str(&format!("chr1\t{i}\t{}", i + 1));
        wide.push_str(&"\tx".repeat(50_000 - 3));
        wide.push('\n');
    }
    std::fs::write(dir.path().join("wide.tsv"), wide).unwrap();
    let long_name = "n".repeat(900_000);
    let bed: String = (1..=60)
        .map(|i| format!("chr1\t{i}\t{}\t{long_name}\n", i + 1))
        .collect();
    std::fs::write(dir.path().join("long.bed"), bed).unwrap();
    let path = dir.path().to_path_buf();
    let app = spawn_app_with(|s| {
        s.data.roots = vec![DataRootSettings {
            name: "w".into(),
            path,
            genome: None,
        }]
    })
    .await;
    let before = rss_bytes();
    for target in [
        "/files/w/cohort.vcf?per_page=1000",
        "/files/w/wide.tsv?per_page=1000",
        "/files/w/long.bed?per_page=1000",
    ] {
        let r = app.get(target).await;
        assert_eq!(r.status().as_u16(), 200, "{target}");
        let body = r.text().await.unwrap();
        assert!(
            body.len() < 4 << 20,
            "{target}: a page of {} bytes",
            body.len()
        );
        assert!(body.contains("View in IGV"), "{target}");
        if !target.contains("long.bed") {
            assert!(
                body.contains("are not shown here"),
                "{target}: the cut is explained"
            );
        }
    }
    let grown = rss_bytes().saturating_sub(before);
    eprintln!("wide rows: resident memory grew by {} MiB", grown >> 20);
    assert!(grown < 512 << 20, "memory grew by {} MiB", grown >> 20);
}

#[actix_web::test]
async fn the_start_and_embed_pages_cap_how_many_lines_they_turn_into_links() {
    let app = spawn_app().await;
    let loci = "chr1:1-2\n".repeat(1000);
    let r = app.get(&format!("/?loci={}", enc(&loci))).await;
    assert_eq!(r.status().as_u16(), 200);
    let body = r.text().await.unwrap();
    assert!(body.matches("class=\"igv-link\"").count() <= 500);
    assert!(body.contains("500 more were left out"), "the cut is said");
    let r = app.get(&format!("/embed?loci={}", enc(&loci))).await;
    assert!(r.status().as_u16() < 500);
    let body = r.text().await.unwrap();
    assert!(body.matches("class=\"igv-link\"").count() <= 100);
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(data).unwrap();
    gz.finish().unwrap()
}

#[actix_web::test]
async fn gzip_bombs_are_cut_off_with_422_in_bounded_time_and_memory() {
    let dir = tempfile::tempdir().unwrap();
    // 1.25 GiB of zeros in about 1.3 MiB (80 gzip members of 16 MiB each),
    // past the default limit of 1 GiB decompressed per request.
    let zeros = gzip(&vec![0u8; 16 << 20]);
    let mut vcf = gzip(b"##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n");
    for _ in 0..80 {
        vcf.extend_from_slice(&zeros);
    }
    std::fs::write(dir.path().join("bomb.vcf.gz"), &vcf).unwrap();
    // Endless valid, identical BED lines: a page is cheap.
    let lines = gzip(&b"chr1\t10\t20\n".repeat((16 << 20) / 11));
    std::fs::write(dir.path().join("lines.bed.gz"), lines.repeat(80)).unwrap();
    let path = dir.path().to_path_buf();
    let app = spawn_app_with(|s| {
        s.data.roots = vec![DataRootSettings {
            name: "b".into(),
            path,
            genome: None,
        }]
    })
    .await;
    let before = rss_bytes();
    for target in ["/files/b/bomb.vcf.gz", "/files/b/bomb.vcf.gz?format=json"] {
        let started = Instant::now();
        let r = app.get_json(target).await;
        let status = r.status().as_u16();
        let body = r.text().await.unwrap_or_default();
        if target.contains("format=") {
            // An export has sent its 200 before the bomb shows; it must end.
            assert!(status == 200 || status == 422, "{target}: {status}");
        } else {
            assert_eq!(status, 422, "{target}: {body}");
            assert!(
                body.contains("decompresses to more than"),
                "{target}: {body}"
            );
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{target} took {:?}",
            started.elapsed()
        );
    }
    // Other tests share this process, so the bound is loose; holding the
    // decompressed bomb would take more than a gigabyte.
    let grown = rss_bytes().saturating_sub(before);
    eprintln!("gzip bomb: resident memory grew by {} MiB", grown >> 20);
    assert!(grown < 512 << 20, "memory grew by {} MiB", grown >> 20);
    // The first page of the endless BED needs only a few lines: still served.
    let started = Instant::now();
    assert_eq!(
        app.get("/files/b/lines.bed.gz").await.status().as_u16(),
        200
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_still_serving(&app, "gzip bombs").await;
}

// ===========================================================================
// 6. Slow and greedy clients
// ===========================================================================

#[actix_web::test]
async fn a_client_that_never_finishes_its_headers_is_cut_off() {
    let app = spawn_app_with(|s| s.limits.client_request_timeout_ms = 500).await;
    // Stops halfway through the headers.
    let started = Instant::now();
    let mut stream = TcpStream::connect(("127.0.0.1", app.port)).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let mut response = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut response))
        .await
        .expect("the service closes a stalled request")
        .ok();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    let r = parse_response(&response);
    assert!(matches!(r.status, 0 | 408), "{}", r.head);

    // Trickles one header byte every 100 ms, forever (slowloris).
    let started = Instant::now();
    let stream = TcpStream::connect(("127.0.0.1", app.port)).await.unwrap();
    let (mut read, mut write) = stream.into_split();
    let writer = actix_web::rt::spawn(async move {
        let _ = write
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            .await;
        for _ in 0..200 {
            if write.write_all(b"a").await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    let mut response = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), read.read_to_end(&mut response))
        .await
        .expect("the service closes a trickling request")
        .ok();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    writer.abort();
    assert_still_serving(&app, "slow clients").await;
}

#[actix_web::test]
async fn idle_keep_alive_connections_are_closed() {
    let app = spawn_app_with(|s| s.limits.keep_alive_secs = 1).await;
    let mut stream = TcpStream::connect(("127.0.0.1", app.port)).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    let mut response = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut response))
        .await
        .expect("the idle connection is closed")
        .ok();
    assert_eq!(parse_response(&response).status, 200);
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
}

/// Sends one keep-alive request and reads exactly its response.
async fn request_on(stream: &mut TcpStream, path: &str) -> Option<u16> {
    let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n");
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        let r = parse_response(&buf);
        let length: usize = r
            .headers("content-length")
            .first()
            .and_then(|l| l.parse().ok())
            .unwrap_or(0);
        if buf.windows(4).any(|w| w == b"\r\n\r\n") && r.body.len() >= length {
            return Some(r.status);
        }
    }
}

#[actix_web::test]
async fn connections_beyond_the_cap_wait_until_one_closes() {
    let app = spawn_app_with(|s| {
        s.limits.workers = 1;
        s.limits.max_connections = 2;
        s.limits.keep_alive_secs = 30;
    })
    .await;
    let mut first = TcpStream::connect(("127.0.0.1", app.port)).await.unwrap();
    let mut second = TcpStream::connect(("127.0.0.1", app.port)).await.unwrap();
    assert_eq!(request_on(&mut first, "/healthz").await, Some(200));
    assert_eq!(request_on(&mut second, "/healthz").await, Some(200));
    let mut third = TcpStream::connect(("127.0.0.1", app.port)).await.unwrap();
    let waiting =
        tokio::time::timeout(Duration::from_secs(1), request_on(&mut third, "/healthz")).await;
    assert!(
        waiting.is_err(),
        "a third connection was served: {waiting:?}"
    );
    drop(first);
    let served = tokio::time::timeout(Duration::from_secs(5), async {
        let mut buf = vec![0u8; 4096];
        let n = third.read(&mut buf).await.unwrap_or(0);
        parse_response(&buf[..n]).status
    })
    .await;
    assert_eq!(
        served.ok(),
        Some(200),
        "the waiting connection was not served"
    );
    assert_eq!(request_on(&mut second, "/healthz").await, Some(200));
}

#[actix_web::test]
async fn the_relay_rate_limit_answers_429_per_client_and_spares_other_pages() {
    let app = spawn_app_with(|s| s.limits.relay_requests_per_minute = 3).await;
    for _ in 0..2 {
        assert_eq!(
            app.get("/igv/goto?locus=chr1:1-2").await.status().as_u16(),
            303
        );
    }
    assert_eq!(app.get("/igv/goto?locus=chr1").await.status().as_u16(), 303);
    let r = app.get("/igv/goto?locus=chr1:1-2").await;
    assert_eq!(r.status().as_u16(), 429);
    assert!(r.headers().get("location").is_none());
    let wait: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"),
        "browsers get the HTML error page"
    );
    assert!(r.text().await.unwrap().contains("at most 3 a minute"));
    let r = app.get_json("/igv/load?file=x").await;
    assert_eq!(r.status().as_u16(), 429);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"], "rate_limited");
    // Pages, files and health are not counted.
    for path in ["/", "/healthz", "/files/demo/variants.vcf", "/settings"] {
        assert_eq!(app.get(path).await.status().as_u16(), 200, "{path}");
    }
}

#[actix_web::test]
async fn behind_a_proxy_the_rate_limit_can_key_on_the_forwarded_client() {
    let app = spawn_app_with(|s| {
        s.limits.relay_requests_per_minute = 2;
        s.limits.rate_limit_key = RateLimitKey::Forwarded;
    })
    .await;
    let from = |ip: &'static str| {
        app.client
            .get(app.url("/igv/goto?locus=chr1:1-2"))
            .header("X-Forwarded-For", ip)
            .send()
    };
    assert_eq!(from("10.0.0.1").await.unwrap().status().as_u16(), 303);
    assert_eq!(from("10.0.0.1").await.unwrap().status().as_u16(), 303);
    assert_eq!(from("10.0.0.1").await.unwrap().status().as_u16(), 429);
    assert_eq!(from("10.0.0.2").await.unwrap().status().as_u16(), 303);
}

#[actix_web::test]
async fn without_a_configured_limit_the_relay_is_not_rate_limited() {
    let app = spawn_app().await;
    for _ in 0..200 {
        assert_eq!(
            app.get("/igv/goto?locus=chr1:1-2").await.status().as_u16(),
            303
        );
    }
}

#[actix_web::test]
async fn the_configured_decompression_limit_applies_to_pages() {
    let dir = tempfile::tempdir().unwrap();
    // 2 MiB of zeros after a valid header: over a 1 MiB limit, far under the default.
    let mut vcf = gzip(b"##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n");
    vcf.extend_from_slice(&gzip(&vec![0u8; 2 << 20]));
    std::fs::write(dir.path().join("small-bomb.vcf.gz"), &vcf).unwrap();
    let path = dir.path().to_path_buf();
    let limited = spawn_app_with(|s| {
        s.limits.max_decompressed_bytes = 1 << 20;
        s.data.roots = vec![DataRootSettings {
            name: "b".into(),
            path: path.clone(),
            genome: None,
        }];
    })
    .await;
    let r = limited.get_json("/files/b/small-bomb.vcf.gz").await;
    assert_eq!(r.status().as_u16(), 422);
    let default = spawn_app_with(|s| {
        s.data.roots = vec![DataRootSettings {
            name: "b".into(),
            path,
            genome: None,
        }];
    })
    .await;
    let r = default.get_json("/files/b/small-bomb.vcf.gz").await;
    assert_ne!(r.status().as_u16(), 422, "the default limit is 1 GiB");
}
