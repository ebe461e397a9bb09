//! Black-box tests of the link pages (the link-page issue's acceptance list): the
//! real service on a random port, real files under `tests/fixtures/pages` or in a
//! temporary directory, and every link followed through the relay.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::support::app::{TestApp, assert_redirects_to, spawn_app_with};
use crate::support::html::{tags, unescape};
use igv_relay::configuration::DataRootSettings;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use url::Url;

/// Where the relay sends browsers (the configured IGV port on loopback).
const IGV: &str = "http://127.0.0.1:60151";

/// How the relay percent-encodes a value for IGV (`domain::igv::IGV_VALUE`): IGV
/// decodes its query itself and chokes on `+`, so only unreserved characters and
/// `:` stay as they are.
const IGV_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b':');

fn igv_goto(locus: &str) -> String {
    format!("{IGV}/goto?locus={}", utf8_percent_encode(locus, IGV_VALUE))
}

/// The genome-safe jump: IGV loads `genome` if it shows another, then goes
/// to `locus` (the built-in genomes' `igv_genome` is their own id).
fn igv_goto_on(genome: &str, locus: &str) -> String {
    format!(
        "{IGV}/load?genome={}&file=&locus={}",
        utf8_percent_encode(genome, IGV_VALUE),
        utf8_percent_encode(locus, IGV_VALUE)
    )
}

// ---------------------------------------------------------------------------
// Setting up the service and its data roots
// ---------------------------------------------------------------------------

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pages")
}

fn data_root(name: &str, path: &Path, genome: Option<&str>) -> DataRootSettings {
    DataRootSettings {
        name: name.to_owned(),
        path: path.to_path_buf(),
        genome: genome.map(str::to_owned),
    }
}

/// The fixtures twice: as `pages` without a genome (a VCF's `##contig` lines are
/// the only check) and as `pages38` under hg38. Row links only jump here
/// (`data.load_on_click: false`), so each checks its locus through IGV's
/// `/goto`; the default, rows that load their file too, is tested in
/// `row_links_load_their_file_with_the_jump_unless_turned_off`.
async fn fixtures_app() -> TestApp {
    let dir = fixtures();
    spawn_app_with(|s| {
        s.data.load_on_click = false;
        s.data.roots = vec![
            data_root("pages", &dir, None),
            data_root("pages38", &dir, Some("hg38")),
        ]
    })
    .await
}

/// One data root `t` at `dir` (row links only jump, as in [`fixtures_app`]).
async fn dir_app(dir: &Path, genome: Option<&str>) -> TestApp {
    let root = data_root("t", dir, genome);
    spawn_app_with(|s| {
        s.data.load_on_click = false;
        s.data.roots = vec![root]
    })
    .await
}

async fn status_and_text(app: &TestApp, path: &str) -> (u16, String) {
    let r = app.get(path).await;
    let status = r.status().as_u16();
    (status, r.text().await.expect("a text body"))
}

/// A page that must render: 200, HTML, and no markup from file content.
async fn page(app: &TestApp, path: &str) -> String {
    let r = app.get(path).await;
    let status = r.status().as_u16();
    let content_type = r.headers()["content-type"].to_str().unwrap().to_owned();
    let body = r.text().await.unwrap();
    assert_eq!(status, 200, "GET {path}: {body}");
    assert!(content_type.starts_with("text/html"), "{content_type}");
    assert_no_markup_from_files(&body);
    body
}

// ---------------------------------------------------------------------------
// Reading the HTML: a small tag scanner, strict enough to notice an attribute
// that broke out of its quotes
// ---------------------------------------------------------------------------

/// The text of every element that opens with exactly `open` (up to the next tag).
/// The column headers of a page's record table, whatever their attributes.
fn header_cells(html: &str) -> Vec<String> {
    let head = &html[html.find("<thead>").map_or(0, |i| i + "<thead>".len())..];
    let head = &head[..head.find("</thead>").unwrap_or(head.len())];
    head.split("<th")
        .skip(1)
        .map(|cell| {
            // The cell's text, without a sort link's tags or its arrow.
            let text = &cell[cell.find('>').map_or(0, |i| i + 1)..];
            let text = &text[..text.find("</th>").unwrap_or(text.len())];
            let text = without_tags(text);
            unescape(text.trim_end_matches(['▲', '▼']).trim())
        })
        .collect()
}

/// `html` with its tags left out.
fn without_tags(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

fn texts_after(html: &str, open: &str) -> Vec<String> {
    html.match_indices(open)
        .map(|(at, _)| {
            let rest = &html[at + open.len()..];
            unescape(&rest[..rest.find('<').unwrap_or(rest.len())])
        })
        .collect()
}

/// A "View in IGV" link.
#[derive(Debug, Clone)]
struct IgvLink {
    locus: String,
    href: String,
}

/// The "View in IGV" links of a page, each checked to be exactly
/// `<a class="igv-link" data-locus="LOCUS" href="RELAY_URL" target="_top"`: a
/// top-level link in the page's own tab (or out of its frame), issue 22.
fn igv_links(html: &str) -> Vec<IgvLink> {
    tags(html)
        .into_iter()
        .filter(|t| t.name == "a" && t.has_class("igv-link"))
        .map(|t| {
            let names: Vec<&str> = t.attrs.iter().map(|(n, _)| n.as_str()).collect();
            assert_eq!(
                names[..4],
                ["class", "data-locus", "href", "target"],
                "{t:?}"
            );
            assert_eq!(t.attr("class"), Some("igv-link"));
            assert_eq!(t.attr("target"), Some("_top"));
            assert_eq!(t.attr("rel"), None);
            IgvLink {
                locus: t.attr("data-locus").unwrap().to_owned(),
                href: t.attr("href").unwrap().to_owned(),
            }
        })
        .collect()
}

fn loci(html: &str) -> Vec<String> {
    igv_links(html).into_iter().map(|l| l.locus).collect()
}

fn row_errors(html: &str) -> Vec<String> {
    texts_after(html, r#"<span class="row-error">"#)
}

/// One row of the records table.
#[derive(Debug, Clone)]
struct PageRow {
    line: u64,
    locus: Option<String>,
    error: Option<String>,
    html: String,
}

fn rows(html: &str) -> Vec<PageRow> {
    let Some(body) = html
        .split_once("<tbody>")
        .and_then(|(_, b)| b.split_once("</tbody>"))
        .map(|(b, _)| b)
    else {
        return Vec::new();
    };
    body.split("<tr")
        .skip(1)
        .map(|row| {
            let line = texts_after(row, r#"<td class="num">"#)[0]
                .trim()
                .parse()
                .expect("a line number in the first cell");
            PageRow {
                line,
                locus: igv_links(row).first().map(|l| l.locus.clone()),
                error: row_errors(row).into_iter().next(),
                html: row.to_owned(),
            }
        })
        .collect()
}

fn row_with<'a>(rows: &'a [PageRow], text: &str) -> &'a PageRow {
    rows.iter()
        .find(|r| r.html.contains(text))
        .unwrap_or_else(|| panic!("no row shows {text:?}: {rows:#?}"))
}

/// The `href` of the first `<a>` with `class`.
fn link_with_class(html: &str, class: &str) -> Option<String> {
    tags(html)
        .into_iter()
        .find(|t| t.name == "a" && t.has_class(class))
        .and_then(|t| t.attr("href").map(str::to_owned))
}

fn link_with_rel(html: &str, rel: &str) -> Option<String> {
    tags(html)
        .into_iter()
        .find(|t| t.name == "a" && t.attr("rel") == Some(rel))
        .and_then(|t| t.attr("href").map(str::to_owned))
}

fn query_pairs(url: &str) -> Vec<(String, String)> {
    Url::parse(url)
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn query_value(url: &str, key: &str) -> Option<String> {
    query_pairs(url)
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

/// `url` without its `landing=1`: the relay then answers with the bare 303.
fn without_landing(url: &str) -> String {
    let mut url = Url::parse(url).unwrap();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != "landing")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    url.query_pairs_mut().clear().extend_pairs(pairs);
    url.to_string()
}

async fn get_url(app: &TestApp, url: &str) -> reqwest::Response {
    app.client.get(url).send().await.expect("a response")
}

/// A link's href is this service's relay with the row's locus and no
/// `landing`, and answers 303 to IGV's `/goto` with that locus.
async fn assert_link_reaches_igv(app: &TestApp, link: &IgvLink) {
    let relay = app.url("/igv/goto?");
    assert!(
        link.href.starts_with(&relay),
        "{} is not under {relay}",
        link.href
    );
    assert_eq!(
        query_value(&link.href, "locus").as_deref(),
        Some(&*link.locus)
    );
    assert_eq!(query_value(&link.href, "landing"), None);
    let r = get_url(app, &link.href).await;
    let expected = match query_value(&link.href, "genome") {
        Some(genome) => igv_goto_on(&genome, &link.locus),
        None => igv_goto(&link.locus),
    };
    assert_redirects_to(&r, &expected);
}

/// The injection check for any page: the only scripts are the service's own
/// files, no tag carries an event-handler attribute, and no file text became
/// markup.
fn assert_no_markup_from_files(html: &str) {
    for tag in tags(html) {
        match tag.name.as_str() {
            // The scanner sees every `<script`, whatever its case.
            "script" => assert!(
                tag.attr("src")
                    .is_some_and(|s| s.contains("/static/") && s.ends_with(".js")),
                "a script that is not one of the service's own files: {tag:?}"
            ),
            // The overview picture is the one SVG a page has.
            "svg"
                if tag.attr("aria-label")
                    == Some("Where the records lie, chromosome by chromosome") => {}
            "img" | "svg" | "iframe" | "object" | "embed" => {
                panic!("markup from file content: {tag:?}")
            }
            _ => {}
        }
        for (name, _) in &tag.attrs {
            assert!(
                !name.starts_with("on") && !name.contains('"') && !name.contains('\''),
                "an attribute broke out of its quotes: {tag:?}"
            );
        }
    }
    assert!(!html.contains(r#"" onmouseover"#), "{html}");
}

// ---------------------------------------------------------------------------
// Files made in tests
// ---------------------------------------------------------------------------

fn write(dir: &Path, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path
}

/// `data` as BGZF (what `bgzip` writes), ending with the EOF block.
fn bgzip(data: &[u8]) -> Vec<u8> {
    let mut writer = noodles::bgzf::io::Writer::new(Vec::new());
    writer.write_all(data).unwrap();
    writer.finish().unwrap()
}

/// Deterministic noise (a linear congruential generator), without tabs or line
/// breaks so it cannot be mistaken for a table.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed;
    (0..len)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            match (state >> 33) as u8 {
                b'\t' | b'\n' | b'\r' => b'#',
                b => b,
            }
        })
        .collect()
}

// ===========================================================================
// 1. Exact loci for every format, and every link relayed to IGV
// ===========================================================================

/// Each fixture and the `data-locus` of its links, in file order.
const EXPECTED_LOCI: &[(&str, &[&str])] = &[
    (
        "features.bed",
        &["chr7:55019017-55211628", "chr1:1000-2000", "chrX:1"],
    ),
    (
        "variants.vcf",
        &[
            "chr1:12345",
            "chr1:100-103",
            "chr1:1000-5000",
            "chr2:500",
            "chr1:248956400-248956422",
            "chr2:1",
        ],
    ),
    (
        "genes.gff3",
        &["chr1:1000-2000", "chr1:1500", "chr2:300-400"],
    ),
    ("genes.gtf", &["chr1:11869-14409", "chr1:12010-12057"]),
    ("ucsc.tsv", &["chr1:100-200", "chr2:1-10"]),
    ("hits.tsv", &["chr17:7668402-7687550", "chr2:500"]),
    (
        "peaks.narrowPeak",
        &["chr1:10000-10500", "chr2:20000-20100"],
    ),
    ("peaks.broadPeak", &["chr1:5000-9000"]),
    ("signal.bedgraph", &["chr1:1-100", "chr1:101-250"]),
    (
        "pairs.bedpe",
        &["chr1:100-200 chr5:3000-3100", "chr1:500-600"],
    ),
];

async fn assert_loci(app: &TestApp, file: &str, expected: &[&str]) -> String {
    let body = page(app, &format!("/files/pages/{file}")).await;
    assert_eq!(loci(&body), expected, "{file}");
    body
}

#[actix_web::test]
async fn bed_start_is_converted_to_one_based_and_one_base_is_chr_pos() {
    let app = fixtures_app().await;
    let body = assert_loci(
        &app,
        "features.bed",
        &["chr7:55019017-55211628", "chr1:1000-2000", "chrX:1"],
    )
    .await;
    let rows = rows(&body);
    assert!(
        row_with(&rows, ">chr7:55,019,017-55,211,628<")
            .locus
            .is_some()
    );
    assert!(row_with(&rows, ">chrX:1<").locus.is_some());
}

#[actix_web::test]
async fn vcf_loci_cover_ref_symbolic_end_and_single_bases() {
    let app = fixtures_app().await;
    let body = page(&app, "/files/pages/variants.vcf").await;
    let rows = rows(&body);
    for (id, locus) in [
        ("rs_snv", "chr1:12345"),
        ("del_acgt", "chr1:100-103"),
        ("sv_del", "chr1:1000-5000"),
        ("ins_lowqual", "chr2:500"),
        // END past the contig's length is clamped to it.
        ("near_end", "chr1:248956400-248956422"),
        ("First_Base", "chr2:1"),
    ] {
        let row = row_with(&rows, &format!(">{id}<"));
        assert_eq!(row.locus.as_deref(), Some(locus), "{id}");
    }
    // A single base is shown the way IGV's locus box shows it.
    assert!(row_with(&rows, ">rs_snv<").html.contains(">chr1:12,345<"));
}

#[actix_web::test]
async fn gff3_and_gtf_loci_are_as_written() {
    let app = fixtures_app().await;
    assert_loci(
        &app,
        "genes.gff3",
        &["chr1:1000-2000", "chr1:1500", "chr2:300-400"],
    )
    .await;
    assert_loci(&app, "genes.gtf", &["chr1:11869-14409", "chr1:12010-12057"]).await;
}

#[actix_web::test]
async fn tsv_with_chrom_start_and_chrom_end_adds_one_to_the_start() {
    let app = fixtures_app().await;
    assert_loci(&app, "ucsc.tsv", &["chr1:100-200", "chr2:1-10"]).await;
}

#[actix_web::test]
async fn tsv_with_a_locus_column_links_that_locus() {
    let app = fixtures_app().await;
    assert_loci(&app, "hits.tsv", &["chr17:7668402-7687550", "chr2:500"]).await;
}

#[actix_web::test]
async fn narrowpeak_broadpeak_and_bedgraph_are_bed_coordinates() {
    let app = fixtures_app().await;
    assert_loci(
        &app,
        "peaks.narrowPeak",
        &["chr1:10000-10500", "chr2:20000-20100"],
    )
    .await;
    assert_loci(&app, "peaks.broadPeak", &["chr1:5000-9000"]).await;
    assert_loci(&app, "signal.bedgraph", &["chr1:1-100", "chr1:101-250"]).await;
}

#[actix_web::test]
async fn bedpe_pair_is_one_split_screen_link_with_both_loci() {
    let app = fixtures_app().await;
    let body = assert_loci(
        &app,
        "pairs.bedpe",
        &["chr1:100-200 chr5:3000-3100", "chr1:500-600"],
    )
    .await;
    let pair = &igv_links(&body)[0];
    assert_link_reaches_igv(&app, pair).await;
    let r = get_url(&app, &without_landing(&pair.href)).await;
    assert_redirects_to(
        &r,
        &format!("{IGV}/goto?locus=chr1:100-200%20chr5:3000-3100"),
    );
}

#[actix_web::test]
async fn bgzipped_vcf_page_has_the_same_loci_as_the_plain_vcf() {
    let dir = tempfile::tempdir().unwrap();
    let plain = std::fs::read(fixtures().join("variants.vcf")).unwrap();
    write(dir.path(), "variants.vcf", &plain);
    write(dir.path(), "variants.vcf.gz", bgzip(&plain));
    let app = dir_app(dir.path(), None).await;
    let plain_page = page(&app, "/files/t/variants.vcf").await;
    let gz_page = page(&app, "/files/t/variants.vcf.gz").await;
    assert_eq!(loci(&plain_page).len(), 6);
    assert_eq!(loci(&gz_page), loci(&plain_page));
    assert_eq!(row_errors(&gz_page), row_errors(&plain_page));
    assert!(gz_page.contains("VCF"));
}

/// Exports read ahead on a second thread, and inflate there for .gz: the
/// rows must be the same, in order, over many read-ahead chunks.
#[actix_web::test]
async fn bgzipped_vcf_exports_the_same_rows_as_the_plain_vcf() {
    let dir = tempfile::tempdir().unwrap();
    let mut plain = b"##fileformat=VCFv4.2\n##contig=<ID=chr1,length=248956422>\n\
        #CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
        .to_vec();
    for i in 1..=40_000u64 {
        let id = if i % 3 == 0 {
            format!("rs{i}")
        } else {
            ".".into()
        };
        plain.extend(format!("chr1\t{}\t{id}\tA\tG\t50\tPASS\tDP={i}\n", i * 10).bytes());
    }
    plain.extend(b"chr1\tnot-a-number\t.\tA\tG\t.\t.\t.\n");
    write(dir.path(), "many.vcf", &plain);
    write(dir.path(), "many.vcf.gz", bgzip(&plain));
    let app = dir_app(dir.path(), None).await;
    let (status, plain_tsv) = status_and_text(&app, "/files/t/many.vcf?format=tsv").await;
    assert_eq!(status, 200);
    let (status, gz_tsv) = status_and_text(&app, "/files/t/many.vcf.gz?format=tsv").await;
    assert_eq!(status, 200);
    // The genome line, the header, the rows.
    assert_eq!(plain_tsv.lines().count(), 2 + 40_001);
    assert_eq!(gz_tsv, plain_tsv);
    let last: Vec<&str> = plain_tsv.lines().last().unwrap().split('\t').collect();
    assert!(last[1].is_empty() && !last[5].is_empty(), "{last:?}");
    let row: Vec<&str> = plain_tsv.lines().nth(4).unwrap().split('\t').collect();
    assert_eq!(row[1], "chr1:30");
    assert_eq!(row[2], "rs3");
    assert_eq!(row[4], igv_goto("chr1:30"));
}

#[actix_web::test]
async fn every_link_on_every_fixture_page_relays_to_igv_goto() {
    let app = fixtures_app().await;
    for (file, expected) in EXPECTED_LOCI {
        let body = assert_loci(&app, file, expected).await;
        for link in igv_links(&body) {
            assert_link_reaches_igv(&app, &link).await;
        }
    }
}

/// Follows a relay link with `landing=1` (a link passed on): a 200 landing
/// page that never sends by itself (no refresh) and whose "Send to IGV" goes
/// back to the relay without `landing` (never straight to IGV, see
/// `relay::direct_relay_url`), which answers the 303 to `igv_url`. Returns the
/// landing page.
async fn assert_landing_sends_to(app: &TestApp, href: &str, igv_url: &str) -> String {
    let r = get_url(app, href).await;
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.headers().get("location").is_none());
    let landing = r.text().await.unwrap();
    assert!(
        !tags(&landing)
            .iter()
            .any(|t| t.name == "meta" && t.attr("http-equiv").is_some()),
        "the landing page must not send by itself: {landing}"
    );
    assert!(!landing.contains("Sending"), "{landing}");
    let target = link_with_class(&landing, "igv-send-main").expect("a Send to IGV link");
    let expected = Url::parse(&without_landing(href)).unwrap();
    let target_url = Url::parse(&target).unwrap();
    assert_eq!(target_url.path(), expected.path());
    assert_eq!(query_pairs(&target), query_pairs(expected.as_str()));
    assert_redirects_to(&get_url(app, &target).await, igv_url);
    // The page says what is sent.
    assert!(unescape(&landing).contains(igv_url), "{landing}");
    landing
}

#[actix_web::test]
async fn page_links_go_to_the_relay_and_their_landing_form_sends_on_a_click() {
    let app = fixtures_app().await;
    let body = page(&app, "/files/pages/variants.vcf").await;
    let link = &igv_links(&body)[0];
    assert_eq!(link.locus, "chr1:12345");
    assert_redirects_to(&get_url(&app, &link.href).await, &igv_goto("chr1:12345"));
    let shared = format!("{}&landing=1", link.href);
    let landing = assert_landing_sends_to(&app, &shared, &igv_goto("chr1:12345")).await;
    assert!(landing.contains("Go to chr1:12,345 in IGV"), "{landing}");
}

#[actix_web::test]
async fn links_are_built_under_the_public_url_and_its_path_prefix() {
    let dir = fixtures();
    let app = spawn_app_with(|s| {
        s.server.public_url = "https://lab.example/tools/igv/".into();
        s.data.load_on_click = false;
        s.data.roots = vec![data_root("pages", &dir, Some("hg38"))];
    })
    .await;
    // The service is reached directly; its links name the proxy's address.
    let direct = |path: &str| format!("http://127.0.0.1:{}{path}", app.port);
    let body = get_url(&app, &direct("/files/pages/variants.vcf"))
        .await
        .text()
        .await
        .unwrap();
    let links = igv_links(&body);
    // The file's ##contig lengths overrule the root's hg38 (its chr2 is 1,000,000 bp
    // long): chrUn, which they do not list, and chr2:2000000 have no link.
    assert_eq!(links.len(), 6);
    for link in &links {
        assert!(
            link.href
                .starts_with("https://lab.example/tools/igv/igv/goto?locus="),
            "{}",
            link.href
        );
    }
    let load = link_with_class(&body, "igv-load").unwrap();
    assert_eq!(
        query_value(&load, "file").as_deref(),
        Some("https://lab.example/tools/igv/raw/pages/variants.vcf")
    );
    let listing = get_url(&app, &direct("/files/pages/"))
        .await
        .text()
        .await
        .unwrap();
    assert!(listing.contains(r#"href="https://lab.example/tools/igv/files/pages/variants.vcf""#));
}

// ===========================================================================
// 2. Invalid loci and malformed lines
// ===========================================================================

#[actix_web::test]
async fn a_locus_that_fails_validation_shows_why_and_has_no_link() {
    let app = fixtures_app().await;
    // Without a genome the VCF's ##contig lines are the check.
    let rows_ = rows(&page(&app, "/files/pages/variants.vcf").await);
    let unknown = row_with(&rows_, ">unknown_contig<");
    assert_eq!(unknown.locus, None);
    assert!(!unknown.html.contains("igv/goto"));
    let why = unknown.error.as_deref().unwrap();
    assert!(why.contains("chrUn") && why.contains("##contig"), "{why}");
    let past = row_with(&rows_, ">past_end<");
    assert_eq!(past.locus, None);
    let why = past.error.as_deref().unwrap();
    assert!(
        why.contains("2000000") && why.contains("1000000 bp"),
        "{why}"
    );

    // Under hg38: an unknown chromosome and a start past chrM's end.
    let body = page(&app, "/files/pages38/chrom_ends.bed").await;
    assert_eq!(loci(&body), ["chrM:16501-16569", "chr1:1-10"]);
    let rows_ = rows(&body);
    let zz = row_with(&rows_, ">no_such_chrom<");
    assert_eq!(zz.locus, None);
    let why = zz.error.as_deref().unwrap();
    assert!(why.contains("chrZZ") && why.contains("hg38"), "{why}");
    let past = row_with(&rows_, ">past_chrM<");
    assert_eq!(past.locus, None);
    let why = past.error.as_deref().unwrap();
    assert!(why.contains("16569"), "{why}");
}

#[actix_web::test]
async fn a_malformed_line_shows_its_number_and_reason_between_good_rows() {
    let app = fixtures_app().await;
    let body = page(&app, "/files/pages/features.bed").await;
    let rows_ = rows(&body);
    assert_eq!(
        rows_.iter().map(|r| r.line).collect::<Vec<_>>(),
        [2, 3, 4, 5]
    );
    let bad = &rows_[2];
    assert_eq!(bad.locus, None);
    let why = bad.error.as_deref().unwrap();
    assert!(why.contains("line 4") && why.contains("abc"), "{why}");
    // The raw line is shown, so the reader sees what is wrong with it.
    assert!(bad.html.contains("badstart"), "{}", bad.html);
    assert_eq!(loci(&body).len(), 3);

    let rows_ = rows(&page(&app, "/files/pages/variants.vcf").await);
    let broken = rows_.iter().find(|r| r.line == 17).unwrap();
    let why = broken.error.as_deref().unwrap();
    assert!(why.contains("line 17") && why.contains("POS"), "{why}");
    assert!(rows_.iter().filter(|r| r.locus.is_some()).count() == 6);
}

#[actix_web::test]
async fn the_igv_link_comes_first_and_undeclared_info_keys_get_no_column() {
    let app = fixtures_app().await;
    let body = page(&app, "/files/pages/variants.vcf").await;
    // The link stays in reach however many samples a VCF has; SVLEN and AF
    // are not declared in this header, so they would be empty on every row.
    assert_eq!(
        header_cells(&body),
        [
            "Line", "IGV", "Locus", "CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "END",
            "SVTYPE", "DP", "GENE", "tumour"
        ]
    );
    let rows_ = rows(&body);
    let snv = row_with(&rows_, ">rs_snv<");
    let cells = texts_after(&snv.html, "<td>");
    assert_eq!(cells[..4], ["chr1", "12345", "rs_snv", "A"]);
    assert_eq!(cells[cells.len() - 3..], ["20", "BRAF", "0/1"]);
}

#[actix_web::test]
async fn a_malformed_line_is_shown_as_written_across_the_data_columns() {
    let app = fixtures_app().await;
    let body = page(&app, "/files/pages/features.bed").await;
    let bad = rows(&body).into_iter().find(|r| r.line == 4).unwrap();
    assert!(
        bad.html.contains(
            r#"<td class="raw" colspan="3"><code>chr1	abc	2000	badstart	0	+</code></td>"#
        ),
        "{}",
        bad.html
    );
}

#[actix_web::test]
async fn a_page_says_when_nothing_checks_the_chromosome_names() {
    let app = fixtures_app().await;
    let note = "chromosome names and lengths are not checked";
    assert!(page(&app, "/files/pages/features.bed").await.contains(note));
    assert!(
        !page(&app, "/files/pages38/features.bed")
            .await
            .contains(note)
    );
    assert!(
        !page(&app, "/files/pages/features.bed?genome=hg19")
            .await
            .contains(note)
    );
    // A VCF's ##contig lines are a check of their own.
    assert!(!page(&app, "/files/pages/variants.vcf").await.contains(note));
}

// ===========================================================================
// 3. Hostile text from files is escaped
// ===========================================================================

const SCRIPT: &str = "<script>alert(1)</script>";
const BREAKOUT: &str = r#"" onmouseover="x"#;

/// The check above would notice an injection (it is what the tests below trust).
#[test]
fn the_markup_check_catches_unescaped_file_text() {
    let page = |cell: &str| {
        format!(
            r#"<html><body><table><tr><td title="{cell}">{cell}</td></tr></table>
<script src="http://x/static/pages.js" defer></script></body></html>"#
        )
    };
    assert_no_markup_from_files(&page("&#60;script&#62;alert(1)&#60;/script&#62;"));
    assert_no_markup_from_files(&page("&#34; onmouseover=&#34;x"));
    for injected in [
        SCRIPT,
        BREAKOUT,
        "<img src=x onerror=alert(1)>",
        "<SCRIPT>x</SCRIPT>",
    ] {
        let html = page(injected);
        assert!(
            std::panic::catch_unwind(|| assert_no_markup_from_files(&html)).is_err(),
            "{injected} went unnoticed"
        );
    }
}

#[actix_web::test]
async fn hostile_names_in_every_format_are_escaped_on_file_pages() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "xss.bed",
        format!("chr1\t10\t20\t{SCRIPT}\nchr1\t30\t40\t{BREAKOUT}\n"),
    );
    write(
        d,
        "xss.vcf",
        format!(
            "##fileformat=VCFv4.3\n##contig=<ID=chr1,length=1000>\n\
             ##INFO=<ID=GENE,Number=1,Type=String,Description=\"Gene\">\n\
             ##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n\
             #CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t{SCRIPT}\t{BREAKOUT}\n\
             chr1\t10\t{SCRIPT}\tA\tG\t50\tPASS\tGENE={SCRIPT}\tGT\t0/1\t0/1\n\
             chr1\t20\t{BREAKOUT}\tA\tG\t50\tPASS\tGENE={BREAKOUT}\tGT\t0/1\t0/1\n"
        ),
    );
    write(
        d,
        "xss.gff3",
        format!(
            "##gff-version 3\nchr1\t.\tgene\t10\t20\t.\t+\t.\tID=g1;Name={SCRIPT}\n\
             chr1\t.\tgene\t30\t40\t.\t+\t.\tID=g2;Name={BREAKOUT}\n"
        ),
    );
    write(
        d,
        "xss.tsv",
        format!("chrom\tstart\tend\tnote\nchr1\t10\t20\t{SCRIPT}\nchr1\t30\t40\t{BREAKOUT}\n"),
    );
    let app = dir_app(d, None).await;
    for file in ["xss.bed", "xss.vcf", "xss.gff3", "xss.tsv"] {
        let body = page(&app, &format!("/files/t/{file}")).await;
        assert_no_markup_from_files(&body);
        let text = unescape(&body);
        assert!(text.contains(SCRIPT), "{file} does not show the name");
        assert!(text.contains(BREAKOUT), "{file} does not show the name");
        for export in ["tsv", "json", "igv-batch"] {
            let (status, _) =
                status_and_text(&app, &format!("/files/t/{file}?format={export}")).await;
            assert_eq!(status, 200, "{file} {export}");
        }
    }
    // The VCF shows both sample names and both INFO values.
    let vcf = unescape(&page(&app, "/files/t/xss.vcf").await);
    assert!(vcf.matches(SCRIPT).count() >= 3, "ID, INFO and sample name");
    assert!(
        vcf.matches(BREAKOUT).count() >= 3,
        "ID, INFO and sample name"
    );

    // An error page echoing a hostile path escapes it too.
    let (status, body) =
        status_and_text(&app, "/files/t/%3Cscript%3Ealert(1)%3C%2Fscript%3E.bed").await;
    assert!(status == 400 || status == 404, "{status}");
    assert_no_markup_from_files(&body);
}

#[actix_web::test]
async fn hostile_file_names_are_escaped_in_listings_and_their_links_work() {
    let dir = tempfile::tempdir().unwrap();
    let names = [
        "<script>alert(1)<.bed",
        "<img src=x onerror=alert(1)>.bed",
        "\" onmouseover=\"x.bed",
        "a#1.bed",
        "what?.bed",
        "with space.bed",
        "naïve.bed",
    ];
    for name in names {
        write(dir.path(), name, "chr1\t10\t20\tfeature\n");
    }
    std::fs::create_dir(dir.path().join("<sub dir>")).unwrap();
    write(&dir.path().join("<sub dir>"), "inner.bed", "chr2\t0\t5\n");
    let app = dir_app(dir.path(), None).await;
    let listing = page(&app, "/files/t/").await;
    assert_no_markup_from_files(&listing);
    let text = unescape(&listing);
    for name in names {
        assert!(text.contains(name), "{name} is not listed");
    }
    let links: Vec<String> = tags(&listing)
        .into_iter()
        .filter(|t| t.name == "a")
        .filter_map(|t| t.attr("href").map(str::to_owned))
        .filter(|href| href.starts_with(&app.url("/files/t/")) && href != &app.url("/files/t/"))
        .collect();
    assert_eq!(links.len(), names.len() + 1, "{links:?}");
    for href in links {
        let body = page(&app, &href[app.address.len()..]).await;
        assert_no_markup_from_files(&body);
        if href.ends_with('/') {
            assert!(unescape(&body).contains("inner.bed"));
        } else {
            assert_eq!(loci(&body), ["chr1:11-20"], "{href}");
            // The raw link IGV would load must reach the same file.
            let raw = link_with_class(&body, "igv-load").map(|l| query_value(&l, "file").unwrap());
            let raw = raw.expect("a load link");
            let r = get_url(&app, &raw).await;
            assert_eq!(r.status().as_u16(), 200, "{raw}");
            assert_eq!(r.text().await.unwrap(), "chr1\t10\t20\tfeature\n");
        }
    }
}

// ===========================================================================
// 4. Traversal
// ===========================================================================

const SECRET: &str = "SECRET-MARKER-c0ffee-outside-the-root";

/// Sends `target` byte for byte (reqwest and the `url` crate would normalise
/// `..` and `%2e%2e` away before the service saw them).
async fn raw_request(app: &TestApp, method: &str, target: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", app.port))
        .await
        .unwrap();
    let request = format!(
        "{method} {target} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n",
        app.port
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut response))
        .await
        .expect("the service answers")
        .unwrap();
    let response = String::from_utf8_lossy(&response).into_owned();
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {response:?}"));
    (status, response)
}

#[actix_web::test]
async fn traversal_and_symlinks_out_of_a_root_never_serve_the_outside_file() {
    let base = tempfile::tempdir().unwrap();
    let secret = write(base.path(), "secret.bed", format!("chr1\t1\t2\t{SECRET}\n"));
    let root = base.path().join("root");
    std::fs::create_dir(&root).unwrap();
    write(&root, "ok.bed", "chr1\t1\t2\tinside\n");
    std::os::unix::fs::symlink(&secret, root.join("link.bed")).unwrap();
    std::os::unix::fs::symlink(base.path(), root.join("linkdir")).unwrap();
    std::os::unix::fs::symlink(root.join("ok.bed"), root.join("alias.bed")).unwrap();
    let app = dir_app(&root, None).await;

    // The listing shows what can be opened: a symlink inside the root, not
    // those leading out of it.
    let listing = page(&app, "/files/t/").await;
    assert!(listing.contains("alias.bed") && listing.contains("ok.bed"));
    assert!(!listing.contains("link.bed") && !listing.contains("linkdir"));
    assert_eq!(loci(&page(&app, "/files/t/alias.bed").await), ["chr1:2"]);

    // The raw request helper reaches real files.
    let (status, body) = raw_request(&app, "GET", "/raw/t/ok.bed").await;
    assert_eq!(status, 200);
    assert!(body.contains("inside"));

    let absolute = secret.to_str().unwrap();
    let encoded_absolute: String = absolute.replace('/', "%2F");
    let tails = [
        "t/../secret.bed".to_owned(),
        "t/%2e%2e/secret.bed".to_owned(),
        "t/%2E%2E/secret.bed".to_owned(),
        "t/.%2e/secret.bed".to_owned(),
        "t/%252e%252e/secret.bed".to_owned(),
        "t/..%2fsecret.bed".to_owned(),
        "t/..%2Fsecret.bed".to_owned(),
        "t/..%5csecret.bed".to_owned(),
        "t/..%5Csecret.bed".to_owned(),
        r"t/..\secret.bed".to_owned(),
        "t/%00/../secret.bed".to_owned(),
        encoded_absolute.clone(),
        format!("t/{encoded_absolute}"),
        format!("/{}", absolute.trim_start_matches('/')),
        "t/link.bed".to_owned(),
        "t/linkdir/secret.bed".to_owned(),
        "t/linkdir/".to_owned(),
        "t/linkdir/root/../secret.bed".to_owned(),
        "%2Fetc%2Fpasswd".to_owned(),
        "t/%2Fetc%2Fpasswd".to_owned(),
    ];
    for prefix in ["/files/", "/raw/"] {
        for tail in &tails {
            let target = format!("{prefix}{tail}");
            for method in ["GET", "HEAD"] {
                let (status, response) = raw_request(&app, method, &target).await;
                assert!(
                    status == 400 || status == 404,
                    "{method} {target} answered {status}"
                );
                assert!(
                    !response.contains(SECRET) && !response.contains("root:x:0:0"),
                    "{method} {target} leaked"
                );
            }
            let (_, response) = raw_request(&app, "GET", &format!("{target}?format=tsv")).await;
            assert!(!response.contains(SECRET), "{target}?format=tsv leaked");
        }
    }
}

// ===========================================================================
// 5. Raw bytes: Range, HEAD, and never rendered
// ===========================================================================

#[actix_web::test]
async fn raw_answers_a_range_with_206_and_exactly_those_bytes() {
    let app = fixtures_app().await;
    let file = std::fs::read(fixtures().join("variants.vcf")).unwrap();
    let r = app
        .client
        .get(app.url("/raw/pages/variants.vcf"))
        .header("Range", "bytes=0-99")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 206);
    assert_eq!(
        r.headers()["content-range"],
        format!("bytes 0-99/{}", file.len()).as_str()
    );
    assert_eq!(r.bytes().await.unwrap(), file[..100]);

    let r = app
        .client
        .get(app.url("/raw/pages/variants.vcf"))
        .header("Range", "bytes=200-")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 206);
    assert_eq!(r.bytes().await.unwrap(), file[200..]);
}

#[actix_web::test]
async fn raw_head_gives_the_length_and_no_body() {
    let app = fixtures_app().await;
    let len = std::fs::metadata(fixtures().join("variants.vcf"))
        .unwrap()
        .len();
    let r = app
        .client
        .head(app.url("/raw/pages/variants.vcf"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["content-length"], len.to_string().as_str());
    assert_eq!(r.headers()["accept-ranges"], "bytes");
    assert!(r.bytes().await.unwrap().is_empty());
}

#[actix_web::test]
async fn a_result_file_named_html_is_served_as_bytes_not_rendered() {
    let dir = tempfile::tempdir().unwrap();
    let html = format!("<html><body>{SCRIPT}</body></html>");
    write(dir.path(), "x.html", &html);
    let app = dir_app(dir.path(), None).await;
    let r = app.get("/raw/t/x.html").await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["content-type"], "application/octet-stream");
    // Without nosniff an old browser could still decide it looks like HTML.
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert_eq!(r.text().await.unwrap(), html);
}

// ===========================================================================
// 6. A big file is read only as far as the page needs
// ===========================================================================

/// Records in the valid part of the big file.
const BIG_RECORDS: u64 = 5_000;

/// A BGZF VCF whose first blocks hold a header and 5,000 valid records, followed
/// by 20 MB that are not gzip at all. Decompression fails loudly the moment
/// anything reads past the valid blocks (the page then answers 422), so a page
/// that renders proves the server read only a bounded prefix of the file.
/// Plain-text junk would not prove that: a reader going through it would merely
/// be slow, or turn it into rows no page shows.
fn big_vcf(dir: &Path) {
    let mut text = String::from(
        "##fileformat=VCFv4.3\n##contig=<ID=chr1,length=248956422>\n\
         #CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n",
    );
    for i in 0..BIG_RECORDS {
        text.push_str(&format!(
            "chr1\t{}\tv{i}\tA\tG\t50\tPASS\t.\n",
            1_000 + i * 10
        ));
    }
    let mut bytes = bgzip(text.as_bytes());
    bytes.extend_from_slice(b"NOT GZIP: ");
    bytes.extend(noise(20 << 20, 7));
    write(dir, "big.vcf.gz", bytes);
}

fn big_locus(record: u64) -> String {
    format!("chr1:{}", 1_000 + record * 10)
}

#[actix_web::test]
async fn big_file_pages_render_from_a_bounded_prefix() {
    let dir = tempfile::tempdir().unwrap();
    big_vcf(dir.path());
    let app = dir_app(dir.path(), None).await;

    let first = page(&app, "/files/t/big.vcf.gz").await;
    let expected: Vec<String> = (0..100).map(big_locus).collect();
    assert_eq!(loci(&first), expected);
    assert!(link_with_rel(&first, "next").is_some());

    let second = page(&app, "/files/t/big.vcf.gz?page=2&per_page=100").await;
    let expected: Vec<String> = (100..200).map(big_locus).collect();
    assert_eq!(loci(&second), expected);

    // Reading past the valid blocks does fail, and says so.
    let (status, body) = status_and_text(&app, "/files/t/big.vcf.gz?page=60&per_page=100").await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("big.vcf.gz"), "{body}");
}

#[actix_web::test]
async fn more_than_1000_rows_per_page_is_refused() {
    let app = fixtures_app().await;
    let r = app
        .get_json("/files/pages/variants.vcf?per_page=1001")
        .await;
    assert_eq!(r.status().as_u16(), 400);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["parameter"], "per_page");
    let (status, _) = status_and_text(&app, "/files/pages/variants.vcf?per_page=1000").await;
    assert_eq!(status, 200);
    let (status, _) = status_and_text(&app, "/files/pages/variants.vcf?per_page=0").await;
    assert_eq!(status, 400);
}

// ===========================================================================
// 7. Exports
// ===========================================================================

#[actix_web::test]
async fn tsv_export_has_the_page_rows_in_order_with_invalid_rows() {
    let app = fixtures_app().await;
    let page_rows = rows(&page(&app, "/files/pages/variants.vcf?blank=1").await);
    let r = app.get("/files/pages/variants.vcf?format=tsv").await;
    assert_eq!(r.status().as_u16(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/tab-separated-values")
    );
    let tsv = r.text().await.unwrap();
    let mut lines = tsv.lines();
    // First, which genome the loci were checked against, and why.
    assert_eq!(
        lines.next(),
        Some("# igv-relay: no genome: the file's own ##contig lines; no known genome fits")
    );
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    // The links, then the record's columns as the page shows them.
    assert_eq!(
        header[..6],
        ["line", "locus", "label", "relay_url", "igv_url", "error"]
    );
    // (`blank=1`: the page keeps the columns no row has a value in, as the
    // export does.)
    let page_columns = header_cells(&page(&app, "/files/pages/variants.vcf?blank=1").await);
    assert_eq!(header[6..], page_columns[3..]);
    let exported: Vec<Vec<&str>> = lines.map(|l| l.split('\t').collect()).collect();
    assert!(exported.iter().all(|f| f.len() == header.len()), "{tsv}");
    assert_eq!(exported.len(), page_rows.len());
    for (fields, row) in exported.iter().zip(&page_rows) {
        assert_eq!(fields[0], row.line.to_string());
        assert_eq!(fields[1], row.locus.as_deref().unwrap_or(""));
        assert_eq!(fields[5].is_empty(), row.error.is_none(), "{fields:?}");
        if let Some(locus) = &row.locus {
            assert_eq!(fields[4], igv_goto(locus));
            let relay = fields[3];
            assert!(relay.starts_with(&app.url("/igv/goto?")), "{relay}");
            assert_eq!(query_value(relay, "locus").as_deref(), Some(locus.as_str()));
        }
    }
    assert_eq!(page_rows.iter().filter(|r| r.error.is_some()).count(), 3);
}

#[actix_web::test]
async fn exports_download_under_a_name_that_says_what_they_are() {
    let app = fixtures_app().await;
    for (format, name) in [
        ("tsv", "variants.vcf.igv-links.tsv"),
        ("json", "variants.vcf.igv-links.json"),
        ("igv-batch", "variants.vcf.igv-batch.txt"),
    ] {
        let r = app
            .get(&format!("/files/pages/variants.vcf?format={format}"))
            .await;
        assert_eq!(
            r.headers()["content-disposition"],
            format!("attachment; filename=\"{name}\"").as_str()
        );
    }
    // A hostile file name cannot break the header.
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a\"b;c\u{e9}.bed", "chr1\t10\t20\n");
    let app = dir_app(dir.path(), None).await;
    let r = app.get("/files/t/a%22b%3Bc%C3%A9.bed?format=tsv").await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(
        r.headers()["content-disposition"],
        "attachment; filename=\"a_b_c_.bed.igv-links.tsv\""
    );
}

#[actix_web::test]
async fn json_export_parses_and_has_the_page_loci() {
    let app = fixtures_app().await;
    let page_rows = rows(&page(&app, "/files/pages/variants.vcf?blank=1").await);
    let r = app.get("/files/pages/variants.vcf?format=json").await;
    assert_eq!(r.headers()["content-type"], "application/json");
    let json: serde_json::Value = r.json().await.unwrap();
    let records = json["rows"].as_array().unwrap();
    assert_eq!(records.len(), page_rows.len());
    for (record, row) in records.iter().zip(&page_rows) {
        assert_eq!(record["line"], row.line);
        assert_eq!(record["locus"].as_str(), row.locus.as_deref());
        assert_eq!(record["error"].is_string(), row.error.is_some());
    }
    // Which genome, why, and the refusals by reason.
    assert_eq!(json["genome"], serde_json::Value::Null);
    assert_eq!(json["genome_source"], "file_sequences");
    assert_eq!(json["records"], page_rows.len());
    let refused = page_rows.iter().filter(|r| r.error.is_some()).count();
    assert_eq!(json["linked"], page_rows.len() - refused);
    assert_eq!(json["refused"]["beyond_end"], 1, "{json}");
    assert_eq!(json["refused"]["unknown_sequence"], 1, "{json}");
    assert_eq!(json["refused"]["malformed"], 1, "{json}");
}

#[actix_web::test]
async fn igv_batch_export_opens_the_file_then_has_a_goto_and_snapshot_per_valid_record() {
    let app = fixtures_app().await;
    // The file's own ##contig lengths fit no genome, so hg38 is asked for.
    let valid: Vec<String> = rows(&page(&app, "/files/pages38/variants.vcf?genome=hg38").await)
        .into_iter()
        .filter_map(|r| r.locus)
        .collect();
    let script = app
        .get("/files/pages38/variants.vcf?genome=hg38&format=igv-batch")
        .await
        .text()
        .await
        .unwrap();
    // The script opens what it shows: the genome, then the file from /raw.
    let head: Vec<&str> = script
        .lines()
        .filter(|l| !l.starts_with('#'))
        .take(3)
        .collect();
    assert_eq!(
        head,
        [
            "genome hg38".to_owned(),
            format!("load {}", app.url("/raw/pages38/variants.vcf")),
            "snapshotDirectory snapshots".to_owned(),
        ],
        "{script}"
    );
    let commands: Vec<&str> = script
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .skip(3)
        .collect();
    let expected: Vec<String> = valid
        .iter()
        .flat_map(|l| [format!("goto {l}"), "snapshot".to_owned()])
        .collect();
    assert_eq!(commands, expected);

    // BEDPE pairs go to both loci at once, as IGV's batch `goto` allows.
    let script = app
        .get("/files/pages/pairs.bedpe?format=igv-batch")
        .await
        .text()
        .await
        .unwrap();
    assert!(script.contains("\ngoto chr1:100-200 chr5:3000-3100\nsnapshot\n"));
}

#[actix_web::test]
async fn igv_batch_export_cannot_be_given_commands_by_a_file_name() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a\nexit\n.bed", "chr1\t10\t20\n");
    let app = dir_app(dir.path(), None).await;
    let script = app
        .get("/files/t/a%0Aexit%0A.bed?format=igv-batch")
        .await
        .text()
        .await
        .unwrap();
    assert!(!script.lines().any(|l| l.trim() == "exit"), "{script:?}");
    assert!(script.contains("goto chr1:11-20\nsnapshot"), "{script:?}");
    // The load line is one line: its URL cannot hold a line break.
    let loads: Vec<&str> = script.lines().filter(|l| l.starts_with("load ")).collect();
    assert_eq!(loads.len(), 1, "{script:?}");
    assert!(loads[0].starts_with(&format!("load {}", app.url("/raw/t/"))));
}

// ===========================================================================
// 8. Flank
// ===========================================================================

#[actix_web::test]
async fn flank_widens_every_locus_clamped_at_1_and_at_the_contig_length() {
    let app = fixtures_app().await;
    let body = page(&app, "/files/pages/variants.vcf?flank=50").await;
    assert_eq!(
        loci(&body),
        [
            "chr1:12295-12395",
            "chr1:50-153",
            "chr1:950-5050",
            "chr2:450-550",
            "chr1:248956350-248956422",
            "chr2:1-51",
        ]
    );
    assert!(body.contains("±50 bp"));
    for link in igv_links(&body) {
        assert_link_reaches_igv(&app, &link).await;
    }
}

#[actix_web::test]
async fn flank_is_clamped_at_the_chromosome_length_under_a_genome() {
    let app = fixtures_app().await;
    let body = page(&app, "/files/pages38/chrom_ends.bed?flank=50").await;
    assert_eq!(loci(&body), ["chrM:16451-16569", "chr1:1-60"]);
    assert!(body.contains("±50 bp"));
    // The flank sticks to the export links.
    let tsv = link_with_class(&body, "export-tsv").expect("an export link");
    assert_eq!(query_value(&tsv, "flank").as_deref(), Some("50"));
}

// ===========================================================================
// 9. Filters and paging
// ===========================================================================

#[actix_web::test]
async fn chrom_q_and_pass_filters_select_rows() {
    let app = fixtures_app().await;
    let body = page(&app, "/files/pages/variants.vcf?chrom=chr2").await;
    assert_eq!(loci(&body), ["chr2:500", "chr2:1"]);
    // The record on chr2 whose locus is invalid is still shown, with its reason.
    assert_eq!(row_errors(&body).len(), 1);
    // Either naming convention selects the same rows.
    let ensembl = page(&app, "/files/pages/variants.vcf?chrom=2").await;
    assert_eq!(loci(&ensembl), ["chr2:500", "chr2:1"]);

    let body = page(&app, "/files/pages/variants.vcf?q=DEL").await;
    assert_eq!(loci(&body), ["chr1:100-103", "chr1:1000-5000"]);
    let body = page(&app, "/files/pages/variants.vcf?q=first_base").await;
    assert_eq!(loci(&body), ["chr2:1"]);

    let body = page(&app, "/files/pages/variants.vcf?pass=1").await;
    assert_eq!(
        loci(&body),
        [
            "chr1:12345",
            "chr1:100-103",
            "chr1:1000-5000",
            "chr1:248956400-248956422",
            "chr2:1",
        ]
    );
    assert!(!body.contains("ins_lowqual"));
    // The form shows the filters in force.
    assert!(body.contains(r#"name="pass" value="1" checked"#), "{body}");
}

#[actix_web::test]
async fn paging_links_keep_the_filters() {
    let app = fixtures_app().await;
    let first = page(
        &app,
        "/files/pages/variants.vcf?chrom=chr1&q=_&pass=1&flank=5&per_page=1",
    )
    .await;
    assert_eq!(loci(&first), ["chr1:12340-12350"]);
    assert!(link_with_rel(&first, "prev").is_none());
    let mut seen = loci(&first);
    let mut next = link_with_rel(&first, "next");
    let mut page_no = 1;
    while let Some(url) = next {
        page_no += 1;
        for (key, value) in [
            ("chrom", "chr1"),
            ("q", "_"),
            ("pass", "1"),
            ("flank", "5"),
            ("per_page", "1"),
        ] {
            assert_eq!(query_value(&url, key).as_deref(), Some(value), "{url}");
        }
        assert_eq!(
            query_value(&url, "page").as_deref(),
            Some(page_no.to_string().as_str())
        );
        let body = page(&app, &url[app.address.len()..]).await;
        let prev = link_with_rel(&body, "prev").expect("a previous link");
        assert_eq!(query_value(&prev, "chrom").as_deref(), Some("chr1"));
        assert_eq!(query_value(&prev, "q").as_deref(), Some("_"));
        assert_eq!(
            query_value(&prev, "page").as_deref(),
            Some((page_no - 1).to_string().as_str())
        );
        seen.extend(loci(&body));
        next = link_with_rel(&body, "next");
    }
    assert_eq!(
        seen,
        [
            "chr1:12340-12350",
            "chr1:95-108",
            "chr1:995-5005",
            "chr1:248956395-248956422",
        ]
    );
}

// ===========================================================================
// 10. Genomes
// ===========================================================================

#[actix_web::test]
async fn galaxy_dbkey_hg_g1k_v37_checks_loci_against_b37() {
    let app = fixtures_app().await;
    let body = page(&app, "/files/pages/b37.bed?genome=hg_g1k_v37").await;
    assert!(body.contains("b37"));
    // 1:249,000,000 exists in b37 (chr1 is 249,250,621 bp there) but not in hg38.
    // `chr1` is accepted as IGV itself accepts it (its automatic chr1 <-> 1 alias)
    // and sent under b37's own name.
    assert_eq!(loci(&body), ["1:249000000", "1:1000"]);
    let errors = row_errors(&body);
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].contains("chr1_KI270706v1_random") && errors[0].contains("b37"),
        "{errors:?}"
    );
    let links = igv_links(&body);
    assert_eq!(
        query_value(&links[0].href, "genome").as_deref(),
        Some("b37")
    );
    assert_link_reaches_igv(&app, &links[0]).await;

    // The same file under hg38: the position past hg38's chr1 is refused; hg38's
    // unlocalized scaffold is one of its sequences (genomes/hg38.tsv has them all).
    let body = page(&app, "/files/pages38/b37.bed").await;
    assert_eq!(loci(&body), ["chr1:1000", "chr1_KI270706v1_random:1-10"]);
    let errors = row_errors(&body);
    assert!(
        errors[0].contains("249000000") && errors[0].contains("248956422"),
        "{errors:?}"
    );
}

#[actix_web::test]
async fn without_a_genome_the_vcf_contig_lines_check_chromosomes() {
    let app = fixtures_app().await;
    let own = page(&app, "/files/pages/variants.vcf").await;
    let errors = row_errors(&own);
    assert!(errors.iter().any(|e| e.contains("##contig")), "{errors:?}");
    // A root's hg38 is a default the file overrules: its chr2 is 1,000,000 bp long,
    // so the page says so and keeps checking against the ##contig lines.
    let root = page(&app, "/files/pages38/variants.vcf").await;
    assert!(
        root.contains("genome hg38 does not fit this file (1 of its ##contig lengths differ)"),
        "{root}"
    );
    assert!(row_errors(&root).iter().any(|e| e.contains("##contig")));
    // Asked for, hg38 decides instead: chr2 is long enough there, chrUn unknown.
    let hg38 = page(&app, "/files/pages38/variants.vcf?genome=hg38").await;
    assert!(loci(&hg38).contains(&"chr2:2000000".to_owned()));
    let errors = row_errors(&hg38);
    assert!(
        errors
            .iter()
            .any(|e| e.contains("chrUn") && e.contains("hg38")),
        "{errors:?}"
    );
    assert!(!errors.iter().any(|e| e.contains("##contig")));
}

#[actix_web::test]
async fn an_unknown_genome_is_refused_with_400() {
    let app = fixtures_app().await;
    for genome in ["nope", "..%2Fetc", "%3Cscript%3E"] {
        let (status, body) =
            status_and_text(&app, &format!("/files/pages/variants.vcf?genome={genome}")).await;
        assert_eq!(status, 400, "{genome}");
        assert!(body.contains("genome"));
        assert_no_markup_from_files(&body);
    }
    let r = app.get_json("/files/pages/features.bed?genome=nope").await;
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["parameter"], "genome");
}

// ===========================================================================
// 11. Unsupported and binary files
// ===========================================================================

#[actix_web::test]
async fn an_unsupported_file_gets_415_listing_the_supported_formats() {
    let dir = tempfile::tempdir().unwrap();
    let mut docx = b"PK\x03\x04".to_vec();
    docx.extend(noise(4096, 3));
    write(dir.path(), "notes.docx", docx);
    let app = dir_app(dir.path(), None).await;
    let (status, body) = status_and_text(&app, "/files/t/notes.docx").await;
    assert_eq!(status, 415);
    for format in [
        "VCF",
        "BED",
        "GFF3",
        "GTF",
        "BEDPE",
        "narrowPeak",
        "BAM",
        "bigWig",
    ] {
        assert!(body.contains(format), "{format} is not listed");
    }
    assert!(igv_links(&body).is_empty());
}

/// A file that starts like a BAM: BGZF whose first bytes are the BAM magic.
fn bam_like() -> Vec<u8> {
    let mut bam = b"BAM\x01".to_vec();
    bam.extend_from_slice(&0u32.to_le_bytes());
    bam.extend_from_slice(&0u32.to_le_bytes());
    bgzip(&bam)
}

#[actix_web::test]
async fn bam_page_has_no_rows_and_its_load_link_names_the_index() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "reads.bam", bam_like());
    write(dir.path(), "reads.bam.bai", b"BAI\x01");
    // Content decides: a BAM under a misleading name is still a BAM.
    write(dir.path(), "lonely.dat", bam_like());
    let app = dir_app(dir.path(), Some("hg38")).await;

    let body = page(&app, "/files/t/reads.bam").await;
    assert!(body.contains("BAM"));
    assert!(rows(&body).is_empty() && igv_links(&body).is_empty());
    assert!(!body.contains("<table"));
    let load = link_with_class(&body, "igv-load").expect("a load link");
    assert!(load.starts_with(&app.url("/igv/load?")), "{load}");
    let raw = app.url("/raw/t/reads.bam");
    assert_eq!(query_value(&load, "file"), Some(raw.clone()));
    assert_eq!(query_value(&load, "index"), Some(format!("{raw}.bai")));
    assert_eq!(query_value(&load, "format").as_deref(), Some("bam"));
    assert_eq!(query_value(&load, "genome").as_deref(), Some("hg38"));
    let r = get_url(&app, &without_landing(&load)).await;
    let for_igv = |u: &str| u.replace('/', "%2F");
    assert_redirects_to(
        &r,
        &format!(
            "{IGV}/load?file={}&index={}&genome=hg38&name=reads.bam&format=bam",
            for_igv(&raw),
            for_igv(&format!("{raw}.bai"))
        ),
    );
    // The index is served too, for IGV to fetch.
    assert_eq!(
        get_url(&app, &format!("{raw}.bai")).await.status().as_u16(),
        200
    );

    let body = page(&app, "/files/t/lonely.dat").await;
    let load = link_with_class(&body, "igv-load").expect("a load link");
    assert_eq!(query_value(&load, "index"), None);
    assert_eq!(query_value(&load, "format").as_deref(), Some("bam"));
}

#[actix_web::test]
async fn bigwig_page_has_no_rows_and_a_load_link() {
    let dir = tempfile::tempdir().unwrap();
    let mut bw = vec![0x26, 0xfc, 0x8f, 0x88];
    bw.extend(vec![0u8; 60]);
    write(dir.path(), "signal.bw", bw);
    let app = dir_app(dir.path(), None).await;
    let body = page(&app, "/files/t/signal.bw").await;
    assert!(body.contains("bigWig"));
    assert!(igv_links(&body).is_empty());
    let load = link_with_class(&body, "igv-load").expect("a load link");
    assert_eq!(query_value(&load, "format").as_deref(), Some("bigwig"));
    assert_eq!(query_value(&load, "index"), None);
    let r = get_url(&app, &without_landing(&load)).await;
    assert_eq!(r.status().as_u16(), 303);
}

// ===========================================================================
// 12. Load links
// ===========================================================================

#[actix_web::test]
async fn load_link_relays_to_igv_load_with_the_raw_url() {
    let app = fixtures_app().await;
    // Explicit: the file's own ##contig lengths would overrule the root's hg38.
    let body = page(&app, "/files/pages38/variants.vcf?genome=hg38").await;
    let load = link_with_class(&body, "igv-load").expect("a load link");
    assert!(load.starts_with(&app.url("/igv/load?")), "{load}");
    let raw = app.url("/raw/pages38/variants.vcf");
    let keys: Vec<String> = query_pairs(&load).into_iter().map(|(k, _)| k).collect();
    assert_eq!(keys, ["file", "genome", "name", "format"]);
    assert_eq!(query_value(&load, "file"), Some(raw.clone()));
    assert_eq!(query_value(&load, "genome").as_deref(), Some("hg38"));
    assert_eq!(query_value(&load, "name").as_deref(), Some("variants.vcf"));
    assert_eq!(query_value(&load, "format").as_deref(), Some("vcf"));
    let expected = format!(
        "{IGV}/load?file={}&genome=hg38&name=variants.vcf&format=vcf",
        raw.replace('/', "%2F")
    );
    let r = get_url(&app, &without_landing(&load)).await;
    assert_redirects_to(&r, &expected);

    // With landing=1 (passed on), the page says what is sent and sends on a click.
    assert_landing_sends_to(&app, &format!("{load}&landing=1"), &expected).await;

    // The raw URL IGV is told to load serves the file.
    let r = get_url(&app, &raw).await;
    assert_eq!(r.status().as_u16(), 200);
}

#[actix_web::test]
async fn load_and_go_links_carry_each_rows_locus() {
    let app = fixtures_app().await;
    // Explicit: the file's own ##contig lengths would overrule the root's hg38.
    let body = page(&app, "/files/pages38/variants.vcf?genome=hg38").await;
    let load_go: Vec<String> = tags(&body)
        .into_iter()
        .filter(|t| t.name == "a" && t.has_class("igv-load-go"))
        .map(|t| t.attr("href").unwrap().to_owned())
        .collect();
    let links = igv_links(&body);
    assert_eq!(load_go.len(), links.len());
    let raw = app.url("/raw/pages38/variants.vcf");
    for (url, link) in load_go.iter().zip(&links) {
        assert_eq!(query_value(url, "locus").as_ref(), Some(&link.locus));
        assert_eq!(query_value(url, "file"), Some(raw.clone()));
    }
    let r = get_url(&app, &without_landing(&load_go[0])).await;
    assert_redirects_to(
        &r,
        &format!(
            "{IGV}/load?file={}&genome=hg38&locus=chr1:12345&name=variants.vcf&format=vcf",
            raw.replace('/', "%2F")
        ),
    );
    // Tabular files have no IGV track format: no load link, the loci still work.
    let body = page(&app, "/files/pages38/hits.tsv").await;
    assert!(link_with_class(&body, "igv-load").is_none());
    assert_eq!(loci(&body).len(), 2);
}

/// Issue 22, "the first click shows the data": by default a row link of a
/// file IGV can load is IGV's idempotent `/load` of the file with the row's
/// locus (IGV skips a file it has), and so is an overview bar; the "load + go"
/// link would say the same and is left out. Files without an index load only
/// up to `data.load_on_click_max_bytes`; `data.load_on_click: false` turns it off.
#[actix_web::test]
async fn row_links_load_their_file_with_the_jump_unless_turned_off() {
    let dir = tempfile::tempdir().unwrap();
    let bed = "chr1\t999\t2000\tfirst\nchr2\t4999\t6000\tsecond\n";
    write(dir.path(), "small.bed", bed);
    write(dir.path(), "large.bed", bed.repeat(8));
    let vcf = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n\
               chr1\t12345\trs1\tA\tG\t50\tPASS\t.\n";
    let calls = bgzip(vcf.as_bytes());
    write(dir.path(), "calls.vcf.gz", &calls);
    write(dir.path(), "calls.vcf.gz.tbi", b"TBI\x01");
    // small.bed is under it, large.bed and calls.vcf.gz over it.
    let limit = (bed.len() * 2) as u64;
    assert!(calls.len() as u64 > limit);
    let root = data_root("t", dir.path(), Some("hg38"));
    let app = spawn_app_with(move |s| {
        s.data.roots = vec![root];
        s.data.load_on_click_max_bytes = limit;
    })
    .await;
    let enc = |u: &str| utf8_percent_encode(u, IGV_VALUE).to_string();

    let body = page(&app, "/files/t/small.bed").await;
    let links = igv_links(&body);
    assert_eq!(links.len(), 2);
    let raw = app.url("/raw/t/small.bed");
    for link in &links {
        assert!(
            link.href.starts_with(&app.url("/igv/load?")),
            "{}",
            link.href
        );
        let keys: Vec<String> = query_pairs(&link.href)
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(keys, ["file", "genome", "locus", "name", "format"]);
        assert_eq!(query_value(&link.href, "file"), Some(raw.clone()));
        assert_eq!(query_value(&link.href, "locus"), Some(link.locus.clone()));
    }
    assert_redirects_to(
        &get_url(&app, &links[1].href).await,
        &format!(
            "{IGV}/load?file={}&genome=hg38&locus=chr2:5000-6000&name=small.bed&format=bed",
            enc(&raw)
        ),
    );
    assert!(link_with_class(&body, "igv-load-go").is_none(), "{body}");
    // An overview bar loads the file too.
    let svg = &body[body.find("<svg").expect("an overview")..body.find("</svg>").unwrap()];
    let bar = svg
        .split("<a class=\"bar\" href=\"")
        .nth(1)
        .and_then(|b| b.split('"').next())
        .map(unescape)
        .expect("a bar");
    assert!(bar.starts_with(&app.url("/igv/load?")), "{bar}");
    assert_eq!(query_value(&bar, "file"), Some(raw.clone()));

    // Over the limit without an index: rows jump, "load + go" loads.
    let body = page(&app, "/files/t/large.bed").await;
    for link in igv_links(&body) {
        assert!(
            link.href.starts_with(&app.url("/igv/goto?")),
            "{}",
            link.href
        );
    }
    assert!(link_with_class(&body, "igv-load-go").is_some());

    // With an index, whatever the size: the index goes along.
    let body = page(&app, "/files/t/calls.vcf.gz?genome=hg38").await;
    let link = &igv_links(&body)[0];
    let raw = app.url("/raw/t/calls.vcf.gz");
    assert_eq!(query_value(&link.href, "file"), Some(raw.clone()));
    assert_eq!(query_value(&link.href, "index"), Some(format!("{raw}.tbi")));
    assert_redirects_to(
        &get_url(&app, &link.href).await,
        &format!(
            "{IGV}/load?file={}&index={}&genome=hg38&locus=chr1:12345&name=calls.vcf.gz&format=vcf",
            enc(&raw),
            enc(&format!("{raw}.tbi"))
        ),
    );

    // Turned off: rows jump.
    let off = dir_app(dir.path(), Some("hg38")).await;
    let body = page(&off, "/files/t/small.bed").await;
    for link in igv_links(&body) {
        assert!(
            link.href.starts_with(&off.url("/igv/goto?")),
            "{}",
            link.href
        );
    }
    assert!(link_with_class(&body, "igv-load-go").is_some());
}

// ===========================================================================
// 13. The page knows its genome (issue 13): which genome, why, and the fix
// ===========================================================================

/// A VCF written against `genome`: its `##contig` lines are the genome's first
/// 25 sequences (names and lengths from the built-in table), then `records`.
fn vcf_against(genome: &str, records: &str) -> String {
    let registry = igv_relay_core::genomes::GenomeRegistry::builtin().unwrap();
    let mut text = String::from("##fileformat=VCFv4.2\n");
    for c in registry.get(genome).unwrap().chromosomes().iter().take(25) {
        text.push_str(&format!("##contig=<ID={},length={}>\n", c.name, c.length));
    }
    text.push_str("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n");
    text.push_str(records);
    text
}

#[actix_web::test]
async fn the_file_overrules_a_root_genome_it_does_not_fit_and_the_page_says_why() {
    let dir = tempfile::tempdir().unwrap();
    // 1:249,000,000 exists in b37 (chr1 is 249,250,621 bp) but not in hg38.
    write(
        dir.path(),
        "b37.vcf",
        vcf_against(
            "b37",
            "1\t249000000\tfar\tA\tG\t.\tPASS\t.\n1\t1000\tnear\tA\tG\t.\tPASS\t.\n",
        ),
    );
    let app = dir_app(dir.path(), Some("hg38")).await;
    let body = page(&app, "/files/t/b37.vcf").await;
    assert!(
        body.contains(r#"<span class="genome">b37</span> <span class="genome-source">(from the ##contig lengths)</span>"#),
        "{body}"
    );
    assert!(
        body.contains(
            "The data root&#39;s genome hg38 does not fit this file: the ##contig lengths say \
             b37, which is used."
        ),
        "{body}"
    );
    assert_eq!(loci(&body), ["1:249000000", "1:1000"]);
    let links = igv_links(&body);
    assert_eq!(
        query_value(&links[0].href, "genome").as_deref(),
        Some("b37")
    );
    assert_link_reaches_igv(&app, &links[0]).await;

    // Every export says the same.
    let tsv = app
        .get("/files/t/b37.vcf?format=tsv")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        tsv.lines().next(),
        Some("# igv-relay: genome b37, from the ##contig lengths")
    );
    let batch = app
        .get("/files/t/b37.vcf?format=igv-batch")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        batch
            .lines()
            .any(|l| l == "# genome b37, from the ##contig lengths"),
        "{batch}"
    );
    let json: serde_json::Value = app
        .get("/files/t/b37.vcf?format=json")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(json["genome"], "b37");
    assert_eq!(json["genome_source"], "sequence_lengths");
    assert_eq!(json["genome_reason"], "from the ##contig lengths");
    assert_eq!(json["linked"], 2);
    assert!(
        json["notices"][0].as_str().unwrap().contains("hg38"),
        "{json}"
    );
}

#[actix_web::test]
async fn an_explicit_genome_wins_and_the_refusals_offer_the_genome_that_fits() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "hg19.vcf",
        vcf_against(
            "hg19",
            "chr1\t249000000\tfar1\tA\tG\t.\tPASS\t.\n\
             chr1\t249100000\tfar2\tA\tG\t.\tPASS\t.\n\
             chr1\t1000\tnear\tA\tG\t.\tPASS\t.\n",
        ),
    );
    let app = dir_app(dir.path(), None).await;
    let body = page(&app, "/files/t/hg19.vcf?genome=hg38").await;
    assert!(body.contains("(as requested)"), "{body}");
    assert_eq!(loci(&body), ["chr1:1000"]);
    assert!(
        body.contains(
            "2 records lie beyond hg38&#39;s chromosome ends in the file; the file&#39;s \
             sequence lengths match hg19:"
        ),
        "{body}"
    );
    // The count is the whole file's, whichever page is shown.
    let last = page(&app, "/files/t/hg19.vcf?genome=hg38&per_page=1&page=3").await;
    assert_eq!(loci(&last), ["chr1:1000"]);
    assert!(
        last.contains("2 records lie beyond hg38&#39;s chromosome ends in the file"),
        "{last}"
    );
    let fix = link_with_class(&body, "genome-fix").expect("the one-click fix");
    assert_eq!(query_value(&fix, "genome").as_deref(), Some("hg19"));
    let fixed = page(&app, &fix[app.address.len()..]).await;
    assert_eq!(
        loci(&fixed),
        ["chr1:249000000", "chr1:249100000", "chr1:1000"]
    );
    assert!(link_with_class(&fixed, "genome-fix").is_none());
    // A page without refusals still offers the genome the file fits.
    let page2 = page(&app, "/files/t/hg19.vcf?genome=hg38&chrom=chr1&q=near").await;
    assert_eq!(loci(&page2), ["chr1:1000"]);
    assert!(
        page2.contains("The file&#39;s sequence lengths match hg19, not hg38:"),
        "{page2}"
    );
    let fix2 = link_with_class(&page2, "genome-fix").expect("the fix");
    assert_eq!(query_value(&fix2, "genome").as_deref(), Some("hg19"));
    // The view's filters stay.
    assert_eq!(query_value(&fix2, "q").as_deref(), Some("near"));

    let json: serde_json::Value = app
        .get("/files/t/hg19.vcf?genome=hg38&format=json")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(json["genome"], "hg38");
    assert_eq!(json["genome_source"], "requested");
    assert_eq!(json["records"], 3);
    assert_eq!(json["linked"], 1);
    assert_eq!(json["refused"]["beyond_end"], 2);
    assert!(
        json["notices"][0]
            .as_str()
            .unwrap()
            .contains("they match hg19"),
        "{json}"
    );
}

#[actix_web::test]
async fn a_fly_bed_is_never_linked_as_human() {
    let dir = tempfile::tempdir().unwrap();
    // FlyBase names without `chr`: 2L and 3R are a fly's, whatever else matches.
    write(
        dir.path(),
        "fly.bed",
        "2L\t7528\t9484\tCG11023\n3R\t100\t200\tx\nX\t5000\t6000\ty\n4\t10\t20\tz\n",
    );
    let app = dir_app(dir.path(), Some("hg38")).await;
    let body = page(&app, "/files/t/fly.bed").await;
    assert!(
        body.contains(r#"<span class="genome">dm6</span> <span class="genome-source">(from the sequence names of its records)</span>"#),
        "{body}"
    );
    // Sent under dm6's own names.
    assert_eq!(
        loci(&body),
        [
            "chr2L:7529-9484",
            "chr3R:101-200",
            "chrX:5001-6000",
            "chr4:11-20"
        ]
    );
}

#[actix_web::test]
async fn a_bam_says_its_genome_in_its_reference_list() {
    // The demo BAM, which samtools wrote: one @SQ, chr7 at hg38's length.
    let dir = tempfile::tempdir().unwrap();
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../demo");
    for name in ["braf-reads.bam", "braf-reads.bam.bai"] {
        std::fs::copy(demo.join(name), dir.path().join(name)).unwrap();
    }
    let app = dir_app(dir.path(), None).await;
    let body = page(&app, "/files/t/braf-reads.bam").await;
    assert!(
        body.contains(r#"<span class="genome">hg38</span> <span class="genome-source">(from the @SQ lengths)</span>"#),
        "{body}"
    );
    let load = link_with_class(&body, "igv-load").expect("a load link");
    assert_eq!(query_value(&load, "genome").as_deref(), Some("hg38"));
}

#[actix_web::test]
async fn sequences_no_package_lists_come_from_the_files_own_contig_lines() {
    // hg38's sequences plus a GATK analysis-set decoy, which no table has.
    let text = vcf_against(
        "hg38",
        "chr1\t1000\tnear\tA\tG\t.\tPASS\t.\n\
         chrUn_JTFH01000001v1_decoy\t500\tdecoy\tA\tG\t.\tPASS\t.\n\
         chrUn_JTFH01000001v1_decoy\t900\tpast\tA\tG\t.\tPASS\t.\n",
    )
    .replace(
        "#CHROM",
        "##contig=<ID=chrUn_JTFH01000001v1_decoy,length=800>\n#CHROM",
    );
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "gatk.vcf", text);
    let app = dir_app(dir.path(), Some("hg38")).await;
    let body = page(&app, "/files/t/gatk.vcf").await;
    assert!(
        body.contains(r#"<span class="genome">hg38</span>"#),
        "{body}"
    );
    assert!(
        body.contains(
            "1 ##contig sequence that hg38 does not list (chrUn_JTFH01000001v1_decoy) is \
             checked against the file&#39;s own length."
        ),
        "{body}"
    );
    assert_eq!(loci(&body), ["chr1:1000", "chrUn_JTFH01000001v1_decoy:500"]);
    let errors = row_errors(&body);
    assert!(errors[0].contains("800 bp"), "{errors:?}");
    // The relay's hg38 lacks the decoy: that row's link carries no genome, and
    // both links reach IGV.
    let links = igv_links(&body);
    assert_eq!(
        query_value(&links[0].href, "genome").as_deref(),
        Some("hg38")
    );
    assert_eq!(query_value(&links[1].href, "genome"), None);
    for link in &links {
        assert_link_reaches_igv(&app, link).await;
    }
    // The export checks the same way.
    let json: serde_json::Value = app
        .get("/files/t/gatk.vcf?format=json")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(json["linked"], 2, "{json}");
    assert_eq!(json["refused"]["beyond_end"], 1, "{json}");
    let decoy = json["rows"][1]["relay_url"].as_str().unwrap();
    assert!(!decoy.contains("genome="), "{decoy}");
    let r = get_url(&app, decoy.replace("&landing=1", "").as_str()).await;
    assert_eq!(r.status().as_u16(), 303);
}
