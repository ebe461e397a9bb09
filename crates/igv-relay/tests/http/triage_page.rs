//! The triage page's controls over HTTP (issue 24): column heads that sort
//! (both ways, marked), columns with no value on the page left out unless
//! asked for, "clear filters", and a genome label that a filter does not
//! change. Expectations come from the file written here, not from the
//! service's parsers.

use crate::support::app::{TestApp, spawn_app_with};
use crate::support::html::between;
use igv_relay::configuration::DataRootSettings;

/// hg38's chr1 and chr2 lengths: the `##contig` lines pick hg38.
const HEADER: &str = "##fileformat=VCFv4.2\n\
##contig=<ID=chr1,length=248956422>\n##contig=<ID=chr2,length=242193529>\n\
##INFO=<ID=DP,Number=1,Type=Integer,Description=\"Total read depth\">\n\
##INFO=<ID=END,Number=1,Type=Integer,Description=\"End of the variant\">\n\
##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n\
#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\ttumour\n";

/// `(id, QUAL, DP)` of the records, in file order; no record has END.
const RECORDS: [(&str, u32, u32); 6] = [
    ("v1", 50, 12),
    ("v2", 7, 30),
    ("v3", 99, 5),
    ("v4", 23, 41),
    ("v5", 61, 8),
    ("v6", 15, 19),
];

fn vcf() -> String {
    let mut out = HEADER.to_owned();
    for (i, (id, qual, dp)) in RECORDS.iter().enumerate() {
        out.push_str(&format!(
            "chr1\t{}\t{id}\tA\tG\t{qual}\tPASS\tDP={dp}\tGT\t0/1\n",
            1000 + i * 100
        ));
    }
    out
}

async fn app() -> (TestApp, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("calls.vcf"), vcf()).unwrap();
    let root = dir.path().to_path_buf();
    let app = spawn_app_with(move |s| {
        s.data.roots = vec![DataRootSettings {
            name: "t".into(),
            path: root,
            genome: None,
        }]
    })
    .await;
    (app, dir)
}

async fn html(app: &TestApp, path: &str) -> String {
    let r = app.get(path).await;
    assert_eq!(r.status().as_u16(), 200, "{path}");
    r.text().await.unwrap()
}

/// The `<th ...>...</th>` of the column whose text starts with `name`.
fn head<'a>(body: &'a str, name: &str) -> Option<&'a str> {
    let thead = between(body, "<thead>", "</thead>")?;
    thead
        .split("<th")
        .skip(1)
        .find(|cell| cell.contains(&format!(">{name}<")))
}

/// A link's target inside `html`, as a path and query the test app takes.
fn href(html: &str, class: &str) -> Option<String> {
    let url = between(html, &format!("class=\"{class}\" href=\""), "\"")?.replace("&#38;", "&");
    let at = url.find("/files/")?;
    Some(url[at..].to_owned())
}

/// The record ids of a page, in order.
fn ids(body: &str) -> Vec<String> {
    let tbody = between(body, "<tbody>", "</tbody>").expect("a table body");
    tbody
        .split("<tr")
        .skip(1)
        .filter_map(|row| {
            let cells: Vec<&str> = row
                .split("<td")
                .skip(1)
                .filter(|c| !c.starts_with(" class=\"outs\""))
                .collect();
            // Line, IGV, Locus, CHROM, POS, ID (link-outs left out)
            let cell = cells.get(5)?;
            Some(between(cell, ">", "<")?.to_owned())
        })
        .collect()
}

#[actix_web::test]
async fn a_column_head_sorts_smallest_first_then_largest_first_and_says_which() {
    let (app, _dir) = app().await;
    let body = html(&app, "/files/t/calls.vcf?where=DP%3E6").await;
    let qual = head(&body, "QUAL").expect("a QUAL head");
    assert!(qual.contains("aria-sort=\"none\""), "{qual}");
    let ascending = href(qual, "sort").expect("QUAL's head is a sort link");
    assert!(ascending.contains("sort=QUAL"), "{ascending}");
    assert!(
        ascending.contains("where=DP%3E6"),
        "sorting keeps the view's conditions: {ascending}"
    );
    // A sample's column shows several FORMAT keys: no single field to sort by.
    let sample = head(&body, "tumour").expect("the sample's head");
    assert!(!sample.contains("class=\"sort\""), "{sample}");

    let mut kept: Vec<_> = RECORDS.iter().filter(|r| r.2 > 6).collect();
    kept.sort_by_key(|r| r.1);
    let expected: Vec<&str> = kept.iter().map(|r| r.0).collect();
    let body = html(&app, &ascending).await;
    assert_eq!(ids(&body), expected, "QUAL smallest first");
    let qual = head(&body, "QUAL").unwrap();
    assert!(
        qual.contains("aria-sort=\"ascending\"") && qual.contains('▲'),
        "{qual}"
    );
    let descending = href(qual, "sort").unwrap();
    assert!(descending.contains("sort=-QUAL"), "{descending}");

    let body = html(&app, &descending).await;
    let mut reversed = expected.clone();
    reversed.reverse();
    assert_eq!(ids(&body), reversed, "QUAL largest first");
    let qual = head(&body, "QUAL").unwrap();
    assert!(
        qual.contains("aria-sort=\"descending\"") && qual.contains('▼'),
        "{qual}"
    );
    // Another column's head starts its own sort, smallest first.
    let dp = href(head(&body, "DP").unwrap(), "sort").unwrap();
    assert!(dp.contains("sort=DP") && !dp.contains("QUAL"), "{dp}");
}

#[actix_web::test]
async fn a_column_no_row_of_the_page_fills_is_left_out_until_asked_for() {
    let (app, _dir) = app().await;
    let body = html(&app, "/files/t/calls.vcf").await;
    assert!(head(&body, "DP").is_some());
    assert!(head(&body, "END").is_none(), "END has no value on the page");
    let note = between(&body, "<p class=\"hint hidden-columns\">", "</p>").expect("the note");
    assert!(note.contains("END"), "{note}");
    let show = href(note, "show-hidden").expect("a link that shows them");
    assert!(show.contains("blank=1"), "{show}");
    let body = html(&app, &show).await;
    assert!(head(&body, "END").is_some(), "blank=1 shows END");
    assert!(!body.contains("hidden-columns"));
    // Paging and sorting keep the choice.
    let sort = href(head(&body, "QUAL").unwrap(), "sort").unwrap();
    assert!(sort.contains("blank=1"), "{sort}");
    // Columns picked by hand are shown as picked, blank or not.
    let body = html(&app, "/files/t/calls.vcf?cols=END,DP").await;
    assert!(head(&body, "END").is_some());
}

#[actix_web::test]
async fn clear_filters_drops_the_filters_and_keeps_genome_and_columns() {
    let (app, _dir) = app().await;
    let body = html(
        &app,
        "/files/t/calls.vcf?genome=hg38&cols=DP&chrom=chr1&q=v&where=DP%3E6&sort=-QUAL&pass=1",
    )
    .await;
    assert!(body.contains("· 5 active"), "the sheet counts the filters");
    let clear = href(&body, "clear-filters").expect("a clear filters link");
    assert_eq!(clear, "/files/t/calls.vcf?cols=DP&genome=hg38");
    let body = html(&app, &clear).await;
    assert_eq!(ids(&body).len(), RECORDS.len(), "every record again");
    assert!(!body.contains("clear-filters"), "nothing left to clear");
}

#[actix_web::test]
async fn a_filter_keeps_the_genome_label_the_file_chose() {
    let (app, _dir) = app().await;
    let body = html(&app, "/files/t/calls.vcf").await;
    let label = between(&body, "<span class=\"genome-source\">", "</span>").unwrap();
    assert_eq!(label, "(from the ##contig lengths)");
    // The form sends the genome the user picked: none, so "(file's own)".
    let select = between(&body, "<select name=\"genome\">", "</select>").unwrap();
    assert!(
        select.starts_with("<option value=\"\" selected>"),
        "{select}"
    );
    assert!(!select.contains("value=\"hg38\" selected"), "{select}");
    // What submitting the form with a condition asks for.
    let body = html(
        &app,
        "/files/t/calls.vcf?chrom=&region=&q=&where=DP%3E6&sort=&flank=0&genome=&per_page=100",
    )
    .await;
    let label = between(&body, "<span class=\"genome-source\">", "</span>").unwrap();
    assert_eq!(label, "(from the ##contig lengths)");
    // Asked for, it says so, and the form keeps it.
    let body = html(&app, "/files/t/calls.vcf?genome=hg38").await;
    let label = between(&body, "<span class=\"genome-source\">", "</span>").unwrap();
    assert_eq!(label, "(as requested)");
    assert!(body.contains("<option value=\"hg38\" selected>"));
}

/// `(id, QUAL, DP)` of `n` records with QUALs in a scrambled order.
fn many(n: u64) -> Vec<(String, u64, u64)> {
    (0..n)
        .map(|i| (format!("r{i}"), (i * 7919) % 10_007, i % 50))
        .collect()
}

#[actix_web::test]
async fn every_page_of_a_sorted_view_of_thousands_of_records_is_in_order() {
    // Thousands of rows: later pages read their rows from the page index
    // the sort pass filled (a position every 1,024 rows), not sequentially.
    let records = many(5_000);
    let mut text = HEADER.to_owned();
    for (i, (id, qual, dp)) in records.iter().enumerate() {
        text.push_str(&format!(
            "chr1\t{}\t{id}\tA\tG\t{qual}\tPASS\tDP={dp}\tGT\t0/1\n",
            1000 + i * 10
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("many.vcf"), text).unwrap();
    let root = dir.path().to_path_buf();
    let app = spawn_app_with(move |s| {
        s.data.roots = vec![DataRootSettings {
            name: "t".into(),
            path: root,
            genome: None,
        }]
    })
    .await;
    for (query, keep) in [
        ("sort=-QUAL", None),
        ("where=DP%3E%3D10&sort=-QUAL", Some(10u64)),
    ] {
        let mut expected: Vec<&(String, u64, u64)> = records
            .iter()
            .filter(|r| keep.is_none_or(|min| r.2 >= min))
            .collect();
        // Largest first; equal keys keep file order.
        expected.sort_by_key(|r| std::cmp::Reverse(r.1));
        let expected: Vec<&str> = expected.iter().map(|r| r.0.as_str()).collect();
        // Page 1 first (the sort pass), then pages out of order.
        for page in [1usize, 5, 2, 40, 17] {
            let body = html(
                &app,
                &format!("/files/t/many.vcf?{query}&page={page}&per_page=100"),
            )
            .await;
            let from = (page - 1) * 100;
            let want = &expected[from.min(expected.len())..(from + 100).min(expected.len())];
            assert_eq!(ids(&body), want, "{query}, page {page}");
        }
    }
}

/// A service with `links` configured (or not), over `calls.vcf`.
async fn app_with_links(
    text: String,
    links: Option<Vec<(&'static str, &'static str)>>,
) -> (TestApp, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("calls.vcf"), text).unwrap();
    let root = dir.path().to_path_buf();
    let app = spawn_app_with(move |s| {
        s.data.roots = vec![DataRootSettings {
            name: "t".into(),
            path: root,
            genome: None,
        }];
        s.links = links.map(|l| {
            l.into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect()
        });
    })
    .await;
    (app, dir)
}

/// A service whose data root `kg` holds copies of `files` from `from`.
async fn app_with_copies(from: &std::path::Path, files: &[&str]) -> (TestApp, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    for name in files {
        std::fs::copy(from.join(name), dir.path().join(name)).unwrap();
    }
    let root = dir.path().to_path_buf();
    let app = spawn_app_with(move |s| {
        s.data.roots = vec![DataRootSettings {
            name: "kg".into(),
            path: root,
            genome: None,
        }];
    })
    .await;
    (app, dir)
}

/// The link-outs of each row: `(name, href)` with `&#38;` read back as `&`.
fn link_outs(body: &str) -> Vec<Vec<(String, String)>> {
    let tbody = between(body, "<tbody>", "</tbody>").expect("a table body");
    tbody
        .split("<tr")
        .skip(1)
        .map(|row| {
            let cell = between(row, "<td class=\"outs\">", "</td>").unwrap_or("");
            cell.split("<a class=\"link-out\" href=\"")
                .skip(1)
                .map(|a| {
                    let href = a.split('"').next().unwrap().replace("&#38;", "&");
                    let name = between(a, ">", "<").unwrap().to_owned();
                    (name, href)
                })
                .collect()
        })
        .collect()
}

#[actix_web::test]
async fn link_outs_percent_encode_every_field_and_need_all_of_them() {
    let mut text = HEADER.replace(
        "##FORMAT",
        "##INFO=<ID=NOTE,Number=1,Type=String,Description=\"A note\">\n##FORMAT",
    );
    // A value with &, #, a space and quotes (VCF INFO cannot hold a space
    // or `;`, the ID column can hold the rest); a record without NOTE.
    text.push_str("chr1\t1000\tA&B#C\"D'E\tA\tG\t50\tPASS\tDP=12;NOTE=x%y\tGT\t0/1\n");
    text.push_str("chr1\t2000\trs42\tA\tG\t50\tPASS\tDP=12\tGT\t0/1\n");
    let (app, _dir) = app_with_links(
        text,
        Some(vec![(
            "LIMS",
            "https://lims.example/variant?id={ID}&note={NOTE}&at={CHROM}:{POS}#top",
        )]),
    )
    .await;
    let body = html(&app, "/files/t/calls.vcf?cols=DP,NOTE").await;
    let outs = link_outs(&body);
    assert_eq!(
        outs[0],
        [(
            "LIMS".to_owned(),
            "https://lims.example/variant?id=A%26B%23C%22D%27E&note=x%25y&at=chr1:1000#top"
                .to_owned()
        )]
    );
    assert!(outs[1].is_empty(), "no NOTE, no link: {:?}", outs[1]);
    // A space reaches a template through the ID column of a tabular file
    // only; the encoder is the same (core `links::outs` tests spaces).
    assert!(body.contains("target=\"_blank\" rel=\"noopener noreferrer\""));
}

#[actix_web::test]
async fn without_configured_links_a_human_genome_gets_dbsnp_clinvar_and_gnomad() {
    let mut text = HEADER.to_owned();
    text.push_str("chr1\t1000\trs42;COSV1\tA\tG\t50\tPASS\tDP=12\tGT\t0/1\n");
    text.push_str("chr1\t2000\t.\tA\tG,T\t50\tPASS\tDP=12\tGT\t0/1\n");
    let (app, _dir) = app_with_links(text, None).await;
    let body = html(&app, "/files/t/calls.vcf").await;
    let outs = link_outs(&body);
    assert_eq!(
        outs[0],
        [
            (
                "dbSNP".to_owned(),
                "https://www.ncbi.nlm.nih.gov/snp/rs42".to_owned()
            ),
            (
                "ClinVar".to_owned(),
                "https://www.ncbi.nlm.nih.gov/clinvar/?term=rs42".to_owned()
            ),
            (
                "gnomAD".to_owned(),
                "https://gnomad.broadinstitute.org/variant/1-1000-A-G?dataset=gnomad_r4".to_owned()
            ),
        ]
    );
    // No rs id, two ALT alleles: nothing gnomAD or dbSNP could name.
    assert!(outs[1].is_empty(), "{:?}", outs[1]);
    // `links: {}` turns the defaults off.
    let (app, _dir) = app_with_links(
        HEADER.to_owned() + "chr1\t1000\trs42\tA\tG\t50\tPASS\tDP=1\tGT\t0/1\n",
        Some(vec![]),
    )
    .await;
    let body = html(&app, "/files/t/calls.vcf").await;
    assert!(!body.contains("link-out"), "no link-outs with links: {{}}");
}

#[actix_web::test]
async fn the_start_page_offers_a_gene_name_only_when_a_genome_has_an_annotation() {
    // Built-in genomes carry no gene annotation: no KRAS in the example.
    let plain = spawn_app_with(|_| {}).await;
    let body = html(&plain, "/").await;
    let placeholder = between(&body, "placeholder=\"", "\"").unwrap();
    assert!(!placeholder.contains("KRAS"), "{placeholder}");
    assert!(
        body.contains("no genome has a gene annotation"),
        "the label says so"
    );

    // A genome with a (tiny, real-format) GTF: KRAS is offered, naming it.
    let dir = tempfile::tempdir().unwrap();
    let gtf = dir.path().join("genes.gtf");
    std::fs::write(
        &gtf,
        "chr1\ttest\tgene\t1000\t2000\t.\t+\t.\tgene_id \"G1\"; gene_name \"KRAS\";\n",
    )
    .unwrap();
    let cache = dir.path().join("cache").display().to_string();
    let annotated = spawn_app_with(move |s| {
        s.genes.cache_dir = cache;
        s.genomes.insert(
            "tiny".into(),
            igv_relay::configuration::GenomeSettings {
                chromosomes: [("chr1".to_owned(), 50_000)].into(),
                genes: Some(gtf.display().to_string()),
                ..Default::default()
            },
        );
    })
    .await;
    let body = html(&annotated, "/").await;
    let placeholder = between(&body, "placeholder=\"", "\"").unwrap();
    assert!(placeholder.contains("KRAS"), "{placeholder}");
    assert!(body.contains("with a genome that has a gene annotation: tiny"));
}

#[actix_web::test]
async fn a_vcf_without_contigs_whose_records_pass_hg38s_chromosome_end_is_not_hg38() {
    // No ##contig lines; the records name chr22 and an unplaced contig only
    // hg38 has, so the names alone say hg38. But a record on chr22 lies at
    // 50,999,964, past hg38's chr22 end (50,818,468), like the last records
    // of 1000 Genomes' chr22 VCF: the positions rule hg38 out.
    let vcf = |last: u64| {
        let mut text =
            String::from("##fileformat=VCFv4.1\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n");
        text.push_str("chr22_KI270731v1_random\t100\t.\tA\tG\t100\tPASS\t.\n");
        for pos in [16_050_075u64, 35_000_000, last] {
            text.push_str(&format!("chr22\t{pos}\t.\tA\tG\t100\tPASS\t.\n"));
        }
        text
    };
    let genome_of = |body: &str| {
        between(body, "<span class=\"genome\">", "</span>")
            .unwrap_or("")
            .to_owned()
    };
    let (app, _dir) = app_with_links(vcf(50_800_000), None).await;
    let body = html(&app, "/files/t/calls.vcf").await;
    assert_eq!(genome_of(&body), "hg38", "the names alone say hg38");
    let (app, _dir) = app_with_links(vcf(50_999_964), None).await;
    let body = html(&app, "/files/t/calls.vcf").await;
    assert_ne!(genome_of(&body), "hg38", "the positions rule hg38 out");
}

#[actix_web::test]
async fn the_real_1000_genomes_chr22_vcf_is_not_hg38_because_its_index_reaches_past_chr22s_end() {
    // VariantAnnotation's chr22.vcf.gz (1000 Genomes phase 1, no ##contig
    // lines, records on `22`): its first 1,000 records stop at 50,352,889,
    // inside hg38's chr22 (50,818,468); its last record, at 50,999,964, is
    // past it. Only the tabix index next to it tells, without reading the
    // 10,376 records.
    let Some(corpus) = crate::support::corpus::corpus() else {
        return;
    };
    let extdata =
        corpus.join("r-bioc-variantannotation/usr/lib/R/site-library/VariantAnnotation/extdata");
    let last = std::process::Command::new("bcftools")
        .args(["query", "-f", "%POS\\n"])
        .arg(extdata.join("chr22.vcf.gz"))
        .output()
        .unwrap();
    let positions: Vec<u64> = String::from_utf8(last.stdout)
        .unwrap()
        .lines()
        .map(|p| p.parse().unwrap())
        .collect();
    assert!(
        positions[..1000].iter().all(|p| *p < 50_818_468),
        "bcftools: the first records fit hg38"
    );
    assert_eq!(
        positions.iter().max(),
        Some(&50_999_964),
        "bcftools: the last record does not"
    );

    let genome_of = |body: &str| {
        between(body, "<span class=\"genome\">", "</span>")
            .unwrap_or("")
            .to_owned()
    };
    let page = |files: &'static [&'static str]| {
        let extdata = extdata.clone();
        async move {
            let (app, _dir) = app_with_copies(&extdata, files).await;
            html(&app, "/files/kg/chr22.vcf.gz").await
        }
    };
    let without = page(&["chr22.vcf.gz"]).await;
    let with = page(&["chr22.vcf.gz", "chr22.vcf.gz.tbi"]).await;
    // `22` alone is GRCh37's (b37) and T2T's (hs1) name, and hg38's through
    // its alias: the page names the genomes that fit and lets the user pick.
    assert_eq!(genome_of(&without), "", "several genomes fit the names");
    assert!(
        without.contains("Its sequence names fit b37, hg38 and hs1"),
        "the first records alone leave hg38 in"
    );
    assert!(
        with.contains("Its sequence names fit b37 and hs1:"),
        "the index rules hg38 out"
    );
    assert!(
        with.contains("Not hg38: its 22 ends at 50,818,468, and the records reach 50,987,009."),
        "the page says why: 3112 tabix bins of 16,384 bases end before the last record"
    );
    assert!(
        with.contains("(the sequences its index lists fit several genomes)"),
        "the page says where the evidence came from"
    );
    // The genome the user picks is then checked against every record.
    let (app, _dir) = app_with_copies(&extdata, &["chr22.vcf.gz", "chr22.vcf.gz.tbi"]).await;
    let r = app
        .get("/files/kg/chr22.vcf.gz?genome=b37&format=tsv&links_only=1")
        .await;
    assert_eq!(r.status().as_u16(), 200);
    let export = r.text().await.unwrap();
    let rows: Vec<&str> = export
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .skip(1)
        .collect();
    assert_eq!(rows.len(), positions.len(), "one row per record");
    assert!(
        rows.iter()
            .all(|row| row.split('\t').nth(1).is_some_and(|l| l.starts_with("22:"))),
        "b37 fits every record: {:?}",
        rows.iter()
            .find(|row| !row.split('\t').nth(1).is_some_and(|l| l.starts_with("22:")))
    );
}

/// `scripts/fetch-gnomad-identifiers.sh`'s package directory, or `None` locally
/// when Node.js or the npm registry is missing (a failure under CI).
fn gnomad_identifiers() -> Option<std::path::PathBuf> {
    let root = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    let out = std::process::Command::new("bash")
        .arg(root.join("scripts/fetch-gnomad-identifiers.sh"))
        .output();
    let node = std::process::Command::new("node").arg("--version").output();
    match (out, node) {
        (Ok(out), Ok(_)) if out.status.success() => Some(
            String::from_utf8(out.stdout)
                .unwrap()
                .lines()
                .last()
                .unwrap()
                .into(),
        ),
        (out, node) => {
            assert!(
                !crate::support::in_ci(),
                "@gnomad/identifiers under Node.js is required when CI=true: {out:?} {node:?}"
            );
            eprintln!("skipping: Node.js or @gnomad/identifiers is missing");
            None
        }
    }
}

#[actix_web::test]
async fn real_records_default_link_outs_are_ids_gnomads_own_parser_reads_back_as_the_record() {
    // The gnomAD browser's routes (`/variant/:variantId?dataset=`) take the ids
    // its package @gnomad/identifiers parses; a canonical id is one that
    // `normalizeVariantId` leaves as it is. dbSNP ids are what its `isRsId`
    // accepts. The records are 1000 Genomes' (VariantAnnotation's chr22.vcf.gz),
    // read independently by bcftools.
    let (Some(corpus), Some(identifiers)) =
        (crate::support::corpus::corpus(), gnomad_identifiers())
    else {
        return;
    };
    let vcf = corpus.join(
        "r-bioc-variantannotation/usr/lib/R/site-library/VariantAnnotation/extdata/chr22.vcf.gz",
    );
    let records = std::process::Command::new("bcftools")
        .args(["query", "-f", "%CHROM\\t%POS\\t%ID\\t%REF\\t%ALT\\n"])
        .arg(&vcf)
        .output()
        .unwrap();
    let records: Vec<Vec<String>> = String::from_utf8(records.stdout)
        .unwrap()
        .lines()
        .take(300)
        .map(|l| l.split('\t').map(str::to_owned).collect())
        .collect();
    let (app, _dir) = app_with_copies(vcf.parent().unwrap(), &["chr22.vcf.gz"]).await;
    let body = html(&app, "/files/kg/chr22.vcf.gz?genome=b37&per_page=300").await;
    let outs = link_outs(&body);
    assert_eq!(outs.len(), records.len());

    let mut gnomad_ids = Vec::new();
    let mut rs_ids = Vec::new();
    for (record, row) in records.iter().zip(&outs) {
        let href = |name: &str| row.iter().find(|(n, _)| n == name).map(|(_, h)| h.clone());
        let rs = record[2].split(';').find(|id| id.starts_with("rs"));
        assert_eq!(
            href("dbSNP"),
            rs.map(|rs| format!("https://www.ncbi.nlm.nih.gov/snp/{rs}")),
            "{record:?}"
        );
        assert_eq!(
            href("ClinVar"),
            rs.map(|rs| format!("https://www.ncbi.nlm.nih.gov/clinvar/?term={rs}")),
            "{record:?}"
        );
        rs_ids.extend(rs.map(str::to_owned));
        let simple = !record[4].contains(',') && record[4].bytes().all(|b| b"ACGTN".contains(&b));
        let gnomad = href("gnomAD");
        assert_eq!(gnomad.is_some(), simple, "{record:?}: {gnomad:?}");
        if let Some(gnomad) = gnomad {
            let id = gnomad
                .strip_prefix("https://gnomad.broadinstitute.org/variant/")
                .and_then(|rest| rest.strip_suffix("?dataset=gnomad_r2_1"))
                .unwrap_or_else(|| panic!("b37 is gnomAD v2.1 (GRCh37): {gnomad}"));
            gnomad_ids.push((id.to_owned(), record.clone()));
        }
    }
    assert!(
        gnomad_ids.len() > 250 && rs_ids.len() > 250,
        "{} {}",
        gnomad_ids.len(),
        rs_ids.len()
    );

    let script = format!(
        "const g = require({:?}); \
         const input = JSON.parse(require('fs').readFileSync(0, 'utf8')); \
         console.log(JSON.stringify({{ \
           variants: input.variants.map(id => g.isVariantId(id) \
             ? [g.normalizeVariantId(id), g.parseVariantId(id)] : null), \
           rsids: input.rsids.map(id => g.isRsId(id)) }}));",
        identifiers.join("lib/cjs/identifiers.js")
    );
    let input = serde_json::json!({
        "variants": gnomad_ids.iter().map(|(id, _)| id).collect::<Vec<_>>(),
        "rsids": rs_ids,
    });
    let mut node = std::process::Command::new("node")
        .args(["-e", &script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    node.stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let out = node.wait_with_output().unwrap();
    assert!(out.status.success());
    let read: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for ((id, record), parsed) in gnomad_ids.iter().zip(read["variants"].as_array().unwrap()) {
        let [normal, parts] = parsed
            .as_array()
            .map(|a| [&a[0], &a[1]])
            .unwrap_or_else(|| panic!("gnomAD does not read {id} as a variant id ({record:?})"));
        assert_eq!(normal, id, "{id} is in gnomAD's canonical form");
        assert_eq!(parts["chrom"], record[0]);
        assert_eq!(parts["pos"], record[1].parse::<u64>().unwrap());
        assert_eq!(parts["ref"], record[3]);
        assert_eq!(parts["alt"], record[4]);
    }
    assert!(
        read["rsids"]
            .as_array()
            .unwrap()
            .iter()
            .all(|ok| ok == true),
        "every dbSNP link-out is an rs id gnomAD's isRsId accepts"
    );
}
