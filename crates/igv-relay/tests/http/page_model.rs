//! One page model, two writers: the same file served as a link page and
//! written by `igv-relay render` shows the same rows, loci, links and columns.

use std::path::Path;
use std::process::Command;

use crate::support::app::spawn_app_with;
use crate::support::html::between;
use igv_relay::configuration::DataRootSettings;

/// What a link page's record table says: its header, and per row the line
/// number, the locus shown, the locus IGV is sent, the relay link, any error,
/// and the cells.
#[derive(Debug, PartialEq, Eq)]
struct Table {
    header: Vec<String>,
    rows: Vec<TableRow>,
}

#[derive(Debug, PartialEq, Eq)]
struct TableRow {
    cells: Vec<String>,
    data_locus: Option<String>,
    relay_url: Option<String>,
}

/// Text of an HTML fragment with tags dropped.
fn text_of(html: &str) -> String {
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
    out.trim().to_owned()
}

fn attribute(html: &str, name: &str) -> Option<String> {
    between(html, &format!("{name}=\""), "\"").map(|v| v.replace("&#38;", "&"))
}

fn table(html: &str) -> Table {
    let table = between(html, "<table class=\"records\">", "</table>").expect("a record table");
    let header = between(table, "<thead>", "</thead>")
        .expect("a header")
        .split("<th")
        .skip(1)
        .map(|cell| {
            let cell = &cell[cell.find('>').map_or(0, |i| i + 1)..];
            // Without a sortable head's arrow.
            let text = text_of(cell.split("</th>").next().unwrap_or(""));
            text.trim_end_matches(['▲', '▼']).trim().to_owned()
        })
        // The served page's link-outs column.
        .filter(|head: &String| head != "Links")
        .collect();
    let body = between(table, "<tbody>", "</tbody>").expect("a body");
    let rows = body
        .split("<tr")
        .skip(1)
        .map(|row| {
            let cells: Vec<&str> = row.split("<td").skip(1).collect();
            // Link-outs (`td class="outs"`) are the served page's only.
            let cells: Vec<&str> = cells
                .into_iter()
                .filter(|c| !c.starts_with(" class=\"outs\""))
                .collect();
            let igv_cell = cells.get(1).copied().unwrap_or("");
            // The served page adds "load + go" beside "View in IGV"; the static
            // page cannot (it has no file URL). The relay link is the same.
            let view_link = igv_cell.split(" · ").next().unwrap_or("");
            TableRow {
                cells: cells
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| *i != 1)
                    .map(|(_, cell)| text_of(&format!("<td{cell}")))
                    .collect(),
                data_locus: attribute(view_link, "data-locus"),
                relay_url: attribute(view_link, "href"),
            }
        })
        .collect();
    Table { header, rows }
}

fn render(file: &Path, relay_url: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_igv-relay"))
        .args(["render", file.to_str().unwrap(), "--genome", "hg38"])
        .args(["--relay-url", relay_url])
        .env("XDG_CACHE_HOME", file.parent().unwrap().join("cache"))
        .output()
        .expect("igv-relay render runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

#[actix_web::test]
async fn served_and_static_pages_show_the_same_rows_loci_and_columns() {
    let fixtures =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../igv-relay-core/tests/fixtures/formats");
    let dir = tempfile::tempdir().unwrap();
    let files = [
        "variants.vcf",
        "variants.bgzf.vcf.gz",
        "malformed.vcf",
        "features_bed12.bed",
        "pairs.bedpe",
        "genes.gff3",
        "genes.gtf",
        "peaks.narrowPeak",
        "hits_locus.tsv",
        "signal.bedgraph",
    ];
    for name in files {
        std::fs::copy(fixtures.join(name), dir.path().join(name)).unwrap();
    }
    let root = dir.path().to_path_buf();
    let app = spawn_app_with(|s| {
        // A static page has no file URL, so its rows only jump; served rows
        // would load their file too by default (issue 22).
        s.data.load_on_click = false;
        s.data.roots = vec![DataRootSettings {
            name: "same".into(),
            path: root,
            genome: Some("hg38".into()),
        }]
    })
    .await;
    let relay_url = format!("{}/", app.address);
    for name in files {
        let served = app
            // `blank=1`: the served page keeps the columns no row has a
            // value in, as the static page does.
            .get(&format!("/files/same/{name}?per_page=1000&blank=1"))
            .await
            .text()
            .await
            .unwrap();
        let rendered = render(&dir.path().join(name), &relay_url);
        let (served, rendered) = (table(&served), table(&rendered));
        assert!(!served.rows.is_empty(), "{name}: no rows served");
        assert!(
            served.rows.iter().any(|r| r.data_locus.is_some()),
            "{name}: no row has a link"
        );
        assert_eq!(served, rendered, "{name}: the two views differ");
    }
}
