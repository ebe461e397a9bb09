//! SV rows (issue 26, item 4): every structural variant's type and size
//! beside its locus, and the mate's locus as its own link, on real SV calls
//! from the real-file corpus: the 1000 Genomes pilot SVs (VariantAnnotation's
//! `structural.vcf`: DEL, INS, DUP with SVLEN and END), Complete Genomics'
//! breakend pair on chr7 (`chr7-sub.vcf.gz`) and GRIDSS breakends, one to
//! another chromosome (`buffer_realloc.vcf`). The expected sizes are computed
//! here from each record's own text.

use std::io::Read;
use std::path::Path;

use crate::support::app::{TestApp, assert_redirects_to, spawn_app_with};
use crate::support::html::{tags, unescape};
use igv_relay::configuration::DataRootSettings;

const VA: &str = "r-bioc-variantannotation/usr/lib/R/site-library/VariantAnnotation";
const IGV: &str = "http://127.0.0.1:60151";

async fn app(dir: &Path) -> TestApp {
    let path = dir.to_path_buf();
    spawn_app_with(move |s| {
        s.data.load_on_click = false;
        s.data.roots = vec![DataRootSettings {
            name: "sv".into(),
            path,
            genome: None,
        }]
    })
    .await
}

async fn html(app: &TestApp, path: &str) -> String {
    let r = app.get(path).await;
    let status = r.status().as_u16();
    let body = r.text().await.unwrap();
    assert_eq!(status, 200, "{path}: {body}");
    body
}

/// Follows a link of a page (its `href` as written, HTML-escaped) once.
async fn follow(app: &TestApp, href: &str) -> reqwest::Response {
    app.client
        .get(unescape(href))
        .send()
        .await
        .expect("a response")
}

/// One table row: its line number, SV badge (text, hover text) and links.
#[derive(Debug)]
struct Row {
    line: u64,
    badge: Option<(String, String)>,
    mate: Option<String>,
    igv: Option<String>,
}

fn rows(body: &str) -> Vec<Row> {
    let table = &body[body.find("<tbody>").expect("a table")..];
    let table = &table[..table.find("</tbody>").unwrap()];
    table
        .split("<tr")
        .skip(1)
        .map(|row| {
            let line = row
                .split("<td class=\"num\">")
                .nth(1)
                .and_then(|r| r.split('<').next())
                .and_then(|n| n.trim().parse().ok())
                .expect("a line number");
            let badge = row.split("<span class=\"sv-badge\"").nth(1).map(|rest| {
                let title = tags(&format!("<span{rest}"))[0]
                    .attr("title")
                    .unwrap_or_default()
                    .to_owned();
                let text = rest.split_once('>').unwrap().1.split('<').next().unwrap();
                (unescape(text), title)
            });
            let href = |class: &str| {
                tags(row)
                    .into_iter()
                    .find(|t| t.name == "a" && t.has_class(class))
                    .and_then(|t| t.attr("href").map(str::to_owned))
            };
            Row {
                line,
                badge,
                mate: href("igv-mate"),
                igv: href("igv-link"),
            }
        })
        .collect()
}

/// (line number, columns) of each record of a VCF's text.
fn records(text: &str) -> Vec<(u64, Vec<String>)> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.starts_with('#') && !l.is_empty())
        .map(|(i, l)| (i as u64 + 1, l.split('\t').map(str::to_owned).collect()))
        .collect()
}

fn info<'a>(columns: &'a [String], key: &str) -> Option<&'a str> {
    columns[7].split(';').find_map(|f| match f.split_once('=') {
        Some((k, v)) if k == key => Some(v),
        _ => None,
    })
}

fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn copy(corpus: &Path, from: &str, dir: &Path, name: &str) -> String {
    let source = corpus.join(from);
    std::fs::copy(&source, dir.join(name)).expect(from);
    let mut text = String::new();
    let bytes = std::fs::read(&source).unwrap();
    if from.ends_with(".gz") {
        flate2::read::MultiGzDecoder::new(&bytes[..])
            .read_to_string(&mut text)
            .unwrap();
    } else {
        text = String::from_utf8(bytes).unwrap();
    }
    text
}

#[actix_web::test]
async fn real_sv_calls_show_their_type_and_size_from_svlen_end_or_the_mate() {
    let Some(corpus) = crate::support::corpus::corpus() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let pilot = copy(
        &corpus,
        &format!("{VA}/extdata/structural.vcf"),
        dir.path(),
        "structural.vcf",
    );
    let app = app(dir.path()).await;

    // The 1000 Genomes pilot SVs: every record has SVTYPE and SVLEN, so
    // each badge is SVTYPE and |SVLEN|, exactly, in its hover text.
    let body = html(&app, "/files/sv/structural.vcf?per_page=1000").await;
    let shown = rows(&body);
    let expected = records(&pilot);
    assert_eq!(shown.len(), expected.len());
    for (line, columns) in &expected {
        let row = shown.iter().find(|r| r.line == *line).unwrap();
        let (badge, title) = row.badge.as_ref().unwrap_or_else(|| panic!("{row:?}"));
        let svtype = info(columns, "SVTYPE").unwrap();
        let svlen: i64 = info(columns, "SVLEN").unwrap().parse().unwrap();
        assert!(
            badge.starts_with(&format!("{svtype} ")),
            "{badge} {columns:?}"
        );
        assert!(
            title.contains(&format!(
                "{} bp (from SVLEN)",
                grouped(svlen.unsigned_abs())
            )),
            "{title} for SVLEN {svlen}"
        );
    }
    // The badge's words for a few sizes of the file.
    let badges: Vec<&str> = shown
        .iter()
        .filter_map(|r| r.badge.as_ref().map(|b| b.0.as_str()))
        .collect();
    for want in [
        "DEL 105 bp",
        "DEL 66 bp",
        "INS 6.0 kb",
        "DUP 21.1 kb",
        "DUP 76 bp",
    ] {
        assert!(badges.contains(&want), "{want} in {badges:?}");
    }

    // Without SVLEN the size is END − POS: the same file with SVLEN taken
    // out of every record.
    let no_svlen: String = pilot
        .lines()
        .map(|l| {
            if l.starts_with('#') {
                return format!("{l}\n");
            }
            let mut cols: Vec<String> = l.split('\t').map(str::to_owned).collect();
            cols[7] = cols[7]
                .split(';')
                .filter(|f| !f.starts_with("SVLEN="))
                .collect::<Vec<_>>()
                .join(";");
            format!("{}\n", cols.join("\t"))
        })
        .collect();
    std::fs::write(dir.path().join("no_svlen.vcf"), &no_svlen).unwrap();
    let body = html(&app, "/files/sv/no_svlen.vcf?per_page=1000").await;
    let shown = rows(&body);
    for (line, columns) in records(&no_svlen) {
        let row = shown.iter().find(|r| r.line == line).unwrap();
        let pos: u64 = columns[1].parse().unwrap();
        let end: u64 = info(&columns, "END").unwrap().parse().unwrap();
        let (badge, title) = row.badge.as_ref().unwrap();
        if end > pos {
            assert!(
                title.contains(&format!("{} bp (from END − POS)", grouped(end - pos))),
                "{title}"
            );
        } else {
            // An insertion's END is its POS (and Pindel's deletion here ends
            // before it): no size to give.
            assert_eq!(badge, info(&columns, "SVTYPE").unwrap(), "{columns:?}");
        }
    }
}

#[actix_web::test]
async fn real_breakends_are_sized_by_their_mate_and_link_it_or_say_inter_chromosomal() {
    let Some(corpus) = crate::support::corpus::corpus() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let cg = copy(
        &corpus,
        &format!("{VA}/extdata/chr7-sub.vcf.gz"),
        dir.path(),
        "chr7-sub.vcf.gz",
    );
    let gridss = copy(
        &corpus,
        &format!("{VA}/unitTests/cases/buffer_realloc.vcf"),
        dir.path(),
        "buffer_realloc.vcf",
    );
    let app = app(dir.path()).await;

    // Complete Genomics' breakend pair on chr7: each is the other's mate.
    let bnds: Vec<(u64, Vec<String>)> = records(&cg)
        .into_iter()
        .filter(|(_, c)| c[4].contains(['[', ']']))
        .collect();
    assert_eq!(bnds.len(), 2, "the file's breakend pair");
    for (line, columns) in &bnds {
        let pos: u64 = columns[1].parse().unwrap();
        let mate = columns[4]
            .split(['[', ']'])
            .find(|p| p.contains(':'))
            .unwrap();
        let (mate_chrom, mate_pos) = mate.rsplit_once(':').unwrap();
        let mate_pos: u64 = mate_pos.parse().unwrap();
        assert_eq!(mate_chrom, columns[0]);
        // The record's page: the records before it at 100 a page.
        let page = (line - 1) / 1000 + 1;
        let body = html(
            &app,
            &format!("/files/sv/chr7-sub.vcf.gz?per_page=1000&page={page}"),
        )
        .await;
        let shown = rows(&body);
        let row = shown
            .iter()
            .find(|r| r.line == *line)
            .unwrap_or_else(|| panic!("line {line} on page {page}"));
        let (badge, title) = row.badge.as_ref().unwrap();
        assert_eq!(badge, "BND 2.3 kb");
        assert!(
            title.contains(&format!(
                "{} bp (the distance between the two ends)",
                grouped(mate_pos.abs_diff(pos))
            )),
            "{title}"
        );
        // The mate as its own link, through the relay to IGV's jump there.
        let href = row.mate.as_ref().expect("a mate link");
        let r = follow(&app, href).await;
        let location = r.headers()["location"].to_str().unwrap().to_owned();
        assert!(
            location.contains(&format!("locus={mate_chrom}:{mate_pos}")),
            "{location}"
        );
    }

    // GRIDSS: a breakend to another chromosome, and a single breakend.
    let body = html(&app, "/files/sv/buffer_realloc.vcf?per_page=1000").await;
    let shown = rows(&body);
    for (line, columns) in records(&gridss) {
        let row = shown.iter().find(|r| r.line == line).unwrap();
        let alt = &columns[4];
        if let Some(mate) = alt.split(['[', ']']).find(|p| p.contains(':')) {
            let (mate_chrom, mate_pos) = mate.rsplit_once(':').unwrap();
            assert_ne!(mate_chrom, columns[0]);
            assert_eq!(
                row.badge.as_ref().map(|b| b.0.as_str()),
                Some("BND inter-chromosomal"),
                "{row:?}"
            );
            let r = follow(&app, row.mate.as_ref().expect("a mate link")).await;
            assert_redirects_to(
                &r,
                &format!("{IGV}/load?genome=b37&file=&locus={mate_chrom}:{mate_pos}"),
            );
            // The row's own link shows both ends side by side.
            let own = row.igv.as_ref().unwrap();
            let r = follow(&app, own).await;
            let location = r.headers()["location"].to_str().unwrap().to_owned();
            assert!(
                location.contains(&format!("%20{mate_chrom}:{mate_pos}")),
                "{location}"
            );
        } else {
            // A single breakend (`.GGG`) names no mate: a BND of no size.
            assert_eq!(row.mate, None, "{row:?}");
            if let Some((badge, _)) = &row.badge {
                assert_eq!(badge, info(&columns, "SVTYPE").unwrap_or("BND"));
            }
        }
    }
}

/// BEDPE pairs and VCF rows with CHR2 on another chromosome link their
/// mate too (Delly's translocation records: `<TRA>` with CHR2 and END).
#[actix_web::test]
async fn bedpe_pairs_and_chr2_rows_link_their_mate_and_show_their_size() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("pairs.bedpe"),
        "chr1\t1000\t1010\tchr1\t5000\t5010\tdel1\t60\t+\t-\tDEL\n\
         chr1\t100\t200\tchr5\t3000\t3100\tpair2\t5\t+\t-\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("delly.vcf"),
        "##fileformat=VCFv4.2\n\
         ##contig=<ID=chr1,length=248956422>\n##contig=<ID=chr5,length=181538259>\n\
         ##INFO=<ID=SVTYPE,Number=1,Type=String,Description=\"SV type\">\n\
         ##INFO=<ID=CHR2,Number=1,Type=String,Description=\"Chromosome for END\">\n\
         ##INFO=<ID=END,Number=1,Type=Integer,Description=\"End position\">\n\
         #CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n\
         chr1\t1000\ttra1\tN\t<TRA>\t50\tPASS\tSVTYPE=TRA;CHR2=chr5;END=3000\n\
         chr1\t2000\tdel1\tN\t<DEL>\t50\tPASS\tSVTYPE=DEL;CHR2=chr1;END=14300\n",
    )
    .unwrap();
    let app = app(dir.path()).await;

    let shown = rows(&html(&app, "/files/sv/pairs.bedpe?genome=hg38").await);
    assert_eq!(shown[0].badge.as_ref().unwrap().0, "DEL 4.0 kb");
    assert_eq!(shown[1].badge.as_ref().unwrap().0, "pair inter-chromosomal");
    let r = follow(&app, shown[1].mate.as_ref().expect("a mate link")).await;
    assert_redirects_to(
        &r,
        &format!("{IGV}/load?genome=hg38&file=&locus=chr5:3001-3100"),
    );

    let shown = rows(&html(&app, "/files/sv/delly.vcf?genome=hg38").await);
    assert_eq!(shown[0].badge.as_ref().unwrap().0, "TRA inter-chromosomal");
    let r = follow(&app, shown[0].mate.as_ref().expect("a mate link")).await;
    assert_redirects_to(&r, &format!("{IGV}/load?genome=hg38&file=&locus=chr5:3000"));
    // The row's own locus is its base on chr1, not 1000-3000.
    let r = follow(&app, shown[0].igv.as_ref().unwrap()).await;
    assert_redirects_to(
        &r,
        &format!("{IGV}/load?genome=hg38&file=&locus=chr1:1000%20chr5:3000"),
    );
    assert_eq!(shown[1].badge.as_ref().unwrap().0, "DEL 12.3 kb");
    assert_eq!(shown[1].mate, None);
}

/// `SVSIZE` is a field for `?where=` and `?sort=`: the size the badge shows,
/// in bases (none for an inter-chromosomal event).
#[actix_web::test]
async fn svsize_filters_and_sorts_real_sv_calls() {
    let Some(corpus) = crate::support::corpus::corpus() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let pilot = copy(
        &corpus,
        &format!("{VA}/extdata/structural.vcf"),
        dir.path(),
        "structural.vcf",
    );
    let gridss = copy(
        &corpus,
        &format!("{VA}/unitTests/cases/buffer_realloc.vcf"),
        dir.path(),
        "buffer_realloc.vcf",
    );
    let app = app(dir.path()).await;
    let size = |columns: &[String]| -> u64 {
        info(columns, "SVLEN")
            .unwrap()
            .parse::<i64>()
            .unwrap()
            .unsigned_abs()
    };
    let all = records(&pilot);
    let big: Vec<u64> = all
        .iter()
        .filter(|(_, c)| size(c) > 100)
        .map(|(l, _)| *l)
        .collect();
    assert!(!big.is_empty() && big.len() < all.len());
    let body = html(&app, "/files/sv/structural.vcf?where=SVSIZE%3E100").await;
    let shown: Vec<u64> = rows(&body).iter().map(|r| r.line).collect();
    assert_eq!(shown, big);

    let mut by_size: Vec<(u64, u64)> = all.iter().map(|(l, c)| (size(c), *l)).collect();
    by_size.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let body = html(&app, "/files/sv/structural.vcf?sort=-SVSIZE").await;
    let shown: Vec<u64> = rows(&body).iter().map(|r| r.line).collect();
    assert_eq!(
        shown,
        by_size.iter().map(|(_, l)| *l).collect::<Vec<_>>(),
        "largest first"
    );

    // An inter-chromosomal breakend has no size: no condition on it holds.
    let body = html(&app, "/files/sv/buffer_realloc.vcf?where=SVSIZE%3E%3D0").await;
    assert!(
        rows(&body).iter().all(|r| r.mate.is_none()),
        "the breakend to chromosome 3 has no size to compare"
    );
    assert!(
        records(&gridss)
            .iter()
            .any(|(_, c)| c[4].contains('[') || c[4].contains(']'))
    );
}
