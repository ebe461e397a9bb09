//! Gene-level tables (issue 25 item 6) through the real service, with a
//! real annotation configured (GENCODE v29 chr1 genes on hg38, from
//! scripts/fetch-gene-annotations.sh): each row's gene linked at the locus
//! the annotation gives it (read here by the test's own GTF parser),
//! unknown and ambiguous names refused per row, `log2FoldChange`/`padj`
//! usable in conditions and sort, and a 422 naming the file when the genome
//! has no annotation.
//!
//! Without the annotation (no PyPI) the tests print `skipping: …` and pass,
//! except with `CI=true`, where they fail.

use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;

use crate::genes::{annotations, dm3_sizes, gtf_genes, read_text};
use crate::support::app::{TestApp, spawn_app_with};
use crate::support::run_tool;
use igv_relay::configuration::{DataRootSettings, GenomeSettings};

/// (gene_name, gene_id, chrom, start, end) of the annotation's genes.
type Gene = (String, String, String, u64, u64);

/// A service whose hg38 has the GENCODE annotation, over a data root of
/// `files` whose genome is `root_genome`.
async fn app(
    gtf: &Path,
    files: &[(&str, String)],
    root_genome: Option<&str>,
) -> (TestApp, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let path = dir.path().to_path_buf();
    let cache = dir.path().join("genes-cache").display().to_string();
    let gtf = gtf.display().to_string();
    // FlyBase r5.49 on dm3, whose Alias lists give some names to two genes.
    let gff = annotations().expect("fetched before")["FLYBASE_GFF3"].clone();
    let sizes = dm3_sizes(&read_text(&gff), dir.path());
    let root_genome = root_genome.map(str::to_owned);
    let app = spawn_app_with(move |s| {
        s.genes.cache_dir = cache;
        s.genes.flank = 0;
        s.genomes.insert(
            "hg38".into(),
            GenomeSettings {
                genes: Some(gtf),
                ..GenomeSettings::default()
            },
        );
        s.genomes.insert(
            "dm3".into(),
            GenomeSettings {
                chrom_sizes: Some(sizes),
                genes: Some(gff.display().to_string()),
                ..GenomeSettings::default()
            },
        );
        s.data.roots = vec![DataRootSettings {
            name: "t".into(),
            path,
            genome: root_genome,
        }];
    })
    .await;
    (app, dir)
}

/// Six genes whose name names exactly one gene.
fn unique(genes: &[Gene]) -> Vec<&Gene> {
    let mut by_name: HashMap<&str, usize> = HashMap::new();
    for gene in genes {
        *by_name.entry(gene.0.as_str()).or_default() += 1;
    }
    genes
        .iter()
        .filter(|g| by_name[g.0.as_str()] == 1 && !g.0.contains('.'))
        .take(6)
        .collect()
}

fn loci_and_errors(body: &Value) -> Vec<(String, String)> {
    body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["locus"].as_str().unwrap_or("-").to_owned(),
                r["error"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

/// A DESeq2 `write.csv(results(dds))` table: the genes by versioned id,
/// by id without its version and by symbol, then an unknown id.
fn deseq2_csv(unique: &[&Gene]) -> String {
    let mut text = String::from(
        "\"\",\"baseMean\",\"log2FoldChange\",\"lfcSE\",\"stat\",\"pvalue\",\"padj\"\n",
    );
    for (i, (name, id, ..)) in unique.iter().enumerate() {
        let gene = match i % 3 {
            0 => id.clone(),
            1 => id.split('.').next().unwrap().to_owned(),
            _ => name.clone(),
        };
        let lfc = [2.5, -1.0, 0.3, 4.0, -3.0, 0.1][i];
        let padj = [0.001, 0.2, 0.04, 1e-9, 0.03, 0.9][i];
        text.push_str(&format!("\"{gene}\",100,{lfc},0.2,5,0.001,{padj}\n"));
    }
    text.push_str("\"ENSG00000999999.1\",5,0.5,1,0.5,0.6,0.8\n");
    text
}

#[actix_web::test]
async fn a_deseq2_table_links_each_gene_at_its_annotated_locus_and_refuses_an_unknown_id() {
    let Some(files) = annotations() else { return };
    let gtf = &files["GENCODE_GTF"];
    let genes = gtf_genes(&read_text(gtf));
    let unique = unique(&genes);
    let csv = deseq2_csv(&unique);
    let (app, _dir) = app(gtf, &[("dds_results.csv", csv)], Some("hg38")).await;

    let r = app.get("/files/t/dds_results.csv?format=json").await;
    assert_eq!(r.status().as_u16(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["genome"], "hg38", "{body:#}");
    let rows = loci_and_errors(&body);
    assert_eq!(rows.len(), unique.len() + 1, "{body:#}");
    for (row, (_, _, chrom, start, end)) in rows.iter().zip(&unique) {
        assert_eq!(row.0, format!("{chrom}:{start}-{end}"), "{body:#}");
        assert_eq!(row.1, "");
    }
    let unknown = &rows[unique.len()];
    assert_eq!(unknown.0, "-");
    assert!(
        unknown.1.contains(
            "no gene, transcript or id \"ENSG00000999999.1\" in the gene annotation of hg38"
        ),
        "{unknown:?}"
    );

    // The page says which annotation, and shows each refusal on its row.
    let html = app
        .get("/files/t/dds_results.csv")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("gene annotation of hg38: gencode_v29_chr1"),
        "{html}"
    );
    assert!(html.contains("gene table"), "the format is named");
    assert_eq!(html.matches("class=\"row-error\"").count(), 1);
    assert_eq!(html.matches("class=\"igv-link\"").count(), unique.len());
}

#[actix_web::test]
async fn log2foldchange_and_padj_work_in_conditions_and_sort() {
    let Some(files) = annotations() else { return };
    let gtf = &files["GENCODE_GTF"];
    let genes = gtf_genes(&read_text(gtf));
    let unique = unique(&genes);
    let csv = deseq2_csv(&unique);
    let (app, _dir) = app(gtf, &[("dds.csv", csv)], None).await;
    let locus = |i: usize| format!("{}:{}-{}", unique[i].2, unique[i].3, unique[i].4);
    // The table names no sequences, and this root has no genome: say so.
    let r = app
        .client
        .get(app.url("/files/t/dds.csv"))
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    let message = r.json::<Value>().await.unwrap()["message"].to_string();
    assert!(
        message.contains("dds.csv") && message.contains("no genome was chosen"),
        "{message}"
    );
    // padj < 0.05 and log2FoldChange > 0: rows 0 (2.5) and 3 (4.0) and 2 (0.3).
    let r = app
        .get("/files/t/dds.csv?format=json&genome=hg38&where=padj%3C0.05%3B%20log2FoldChange%3E0&sort=-log2FoldChange")
        .await;
    assert_eq!(r.status().as_u16(), 200);
    let body: Value = r.json().await.unwrap();
    let loci: Vec<String> = loci_and_errors(&body).into_iter().map(|r| r.0).collect();
    assert_eq!(loci, [locus(3), locus(0), locus(2)], "{body:#}");
    let r = app
        .get("/files/t/dds.csv?format=json&genome=hg38&sort=padj")
        .await;
    let body: Value = r.json().await.unwrap();
    let first: Vec<String> = loci_and_errors(&body)
        .into_iter()
        .take(3)
        .map(|r| r.0)
        .collect();
    assert_eq!(first, [locus(3), locus(0), locus(4)], "{body:#}");
}

#[actix_web::test]
async fn a_gene_table_whose_genome_has_no_annotation_is_a_422_naming_the_file() {
    let Some(files) = annotations() else { return };
    let gtf = &files["GENCODE_GTF"];
    let table = "Geneid\tChr\tStart\tEnd\tStrand\tLength\ta.bam\nKRAS\tchr12\t1\t2\t+\t2\t5\n";
    let (app, _dir) = app(gtf, &[("counts.txt", table.to_owned())], Some("hg19")).await;
    for (path, says) in [
        ("/files/t/counts.txt", "genome hg19 has no gene annotation"),
        (
            "/files/t/counts.txt?genome=mm10",
            "genome mm10 has no gene annotation",
        ),
    ] {
        let r = app
            .client
            .get(app.url(path))
            .header("Accept", "application/json")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 422, "{path}");
        let body: Value = r.json().await.unwrap();
        let message = body["message"].as_str().unwrap_or_default();
        assert!(message.contains("counts.txt"), "{body:#}");
        assert!(message.contains(says), "{body:#}");
        assert!(
            message.contains("genomes.") && message.contains(".genes"),
            "{body:#}"
        );
    }
    // A browser gets the same as a page.
    let r = app.get("/files/t/counts.txt").await;
    assert_eq!(r.status().as_u16(), 422);
    assert!(r.text().await.unwrap().contains("no gene annotation"));
    // With the annotated genome the page is there (KRAS is not on chr1,
    // so its row is refused, not the file).
    let r = app.get("/files/t/counts.txt?genome=hg38&format=json").await;
    assert_eq!(r.status().as_u16(), 200);
}

/// FlyBase `gene` lines: ID (FBgn…) → chrom:start-end, as written.
fn flybase_genes(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .filter(|f| f.len() == 9 && f[2] == "gene")
        .filter_map(|f| {
            let id = f[8]
                .split(';')
                .find_map(|kv| kv.strip_prefix("ID="))?
                .to_owned();
            Some((id, format!("{}:{}-{}", f[0], f[3], f[4])))
        })
        .collect()
}

#[actix_web::test]
async fn an_edger_table_of_flybase_genes_refuses_a_name_of_two_genes_on_its_row() {
    let Some(files) = annotations() else { return };
    let genes = flybase_genes(&read_text(&files["FLYBASE_GFF3"]));
    let chosen: Vec<&(String, String)> = genes.iter().step_by(50).take(4).collect();
    // edgeR `write.table(topTags(lrt), sep="\t", quote=FALSE)`: row names
    // without a header name.
    let mut text = String::from("logFC\tlogCPM\tLR\tPValue\tFDR\n");
    for (i, (id, _)) in chosen.iter().enumerate() {
        text.push_str(&format!("{id}\t{}\t5\t30\t1e-8\t1e-5\n", i as f64 - 1.5));
    }
    text.push_str("slp\t1\t5\t30\t1e-8\t1e-5\n");
    let (app, _dir) = app(&files["GENCODE_GTF"], &[("toptags.txt", text)], Some("dm3")).await;
    let r = app.get("/files/t/toptags.txt?format=json").await;
    assert_eq!(r.status().as_u16(), 200);
    let body: Value = r.json().await.unwrap();
    let rows = loci_and_errors(&body);
    for (row, (_, locus)) in rows.iter().zip(&chosen) {
        assert_eq!(&row.0, locus, "{body:#}");
    }
    let slp = rows.last().unwrap();
    assert_eq!(slp.0, "-");
    assert!(
        slp.1
            .contains("\"slp\" names 2 features in the gene annotation of dm3"),
        "{slp:?}"
    );
    let body: Value = app
        .get("/files/t/toptags.txt?format=json&where=logFC%3E0&sort=-logFC")
        .await
        .json()
        .await
        .unwrap();
    let loci: Vec<String> = loci_and_errors(&body).into_iter().map(|r| r.0).collect();
    assert_eq!(
        loci,
        [chosen[3].1.as_str(), "-", chosen[2].1.as_str()],
        "{body:#}"
    );
}

/// featureCounts (Debian's subread, the real tool) counts one read over the
/// GENCODE annotation; the relay links every Geneid of its table at the
/// gene's extent in the annotation, which holds every exon the table lists.
#[actix_web::test]
async fn a_real_featurecounts_table_links_every_geneid_at_its_gene_extent() {
    let Some(files) = annotations() else { return };
    let gtf = &files["GENCODE_GTF"];
    let work = tempfile::tempdir().unwrap();
    let sam = work.path().join("reads.sam");
    let read = format!(
        "@HD\tVN:1.6\tSO:coordinate\n@SQ\tSN:chr1\tLN:248956422\n\
         r1\t0\tchr1\t14500\t60\t50M\t*\t0\t0\t{}\t{}\n",
        "A".repeat(50),
        "I".repeat(50)
    );
    std::fs::write(&sam, read).unwrap();
    let counts = work.path().join("counts.txt");
    // Run where the SAM is: featureCounts names the count column as given.
    let mut featurecounts = std::process::Command::new("featureCounts");
    featurecounts
        .current_dir(work.path())
        .arg("-a")
        .arg(gtf)
        .arg("-o")
        .arg(&counts)
        .arg("reads.sam");
    if !run_tool("featureCounts (Debian subread)", &mut featurecounts, None) {
        return;
    }
    let table = std::fs::read_to_string(&counts).unwrap();
    // The independent reading: each Geneid's `gene` line in the GTF (this
    // test's own parser), which must hold the exons featureCounts lists.
    let genes: HashMap<String, (String, u64, u64)> = gtf_genes(&read_text(gtf))
        .into_iter()
        .map(|(_, id, chrom, start, end)| (id, (chrom, start, end)))
        .collect();
    let expected: Vec<(u64, String)> = table
        .lines()
        .enumerate()
        .skip_while(|(_, l)| l.starts_with('#') || l.starts_with("Geneid"))
        .map(|(i, l)| {
            let f: Vec<&str> = l.split('\t').collect();
            let numbers = |s: &str| {
                s.split(';')
                    .map(|n| n.parse::<u64>().unwrap())
                    .collect::<Vec<_>>()
            };
            let (chrom, start, end) = &genes[f[0]];
            assert_eq!(f[1].split(';').next(), Some(chrom.as_str()), "{l}");
            assert!(numbers(f[2]).into_iter().min().unwrap() >= *start, "{l}");
            assert!(numbers(f[3]).into_iter().max().unwrap() <= *end, "{l}");
            (i as u64 + 1, format!("{chrom}:{start}-{end}"))
        })
        .collect();
    assert!(expected.len() > 100, "{} genes", expected.len());
    let (app, _dir) = app(gtf, &[("counts.txt", table.clone())], Some("hg38")).await;
    let r = app
        .get("/files/t/counts.txt?format=json&per_page=1000")
        .await;
    assert_eq!(r.status().as_u16(), 200);
    let body: Value = r.json().await.unwrap();
    let got: Vec<(u64, String)> = body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["line"].as_u64().unwrap(),
                r["locus"].as_str().unwrap_or("-").to_owned(),
            )
        })
        .collect();
    assert_eq!(got, expected, "{body:#}");
    // The counted gene comes first when sorted by its count column.
    let body: Value = app
        .get("/files/t/counts.txt?format=json&sort=-reads.sam&per_page=1")
        .await
        .json()
        .await
        .unwrap();
    let counted = table.lines().position(|l| l.ends_with("\t1")).unwrap() as u64 + 1;
    assert_eq!(body["rows"][0]["line"].as_u64(), Some(counted), "{body:#}");
}

/// The DESeq2 results of the real-file corpus (R's `write.csv` of
/// `results(dds)`, the reference table of pydeseq2's tests): detected, its
/// synthetic genes (`gene1`…) refused row by row as unknown to GENCODE,
/// and `padj` sorted as numbers, as read here from the CSV.
#[actix_web::test]
async fn a_real_deseq2_results_file_sorts_by_padj_and_refuses_its_unknown_genes_per_row() {
    let Some(files) = annotations() else { return };
    let Some(corpus) = crate::support::corpus::corpus() else {
        return;
    };
    let path = corpus
        .join("pypi-pydeseq2-0.5.4")
        .join("pydeseq2-0.5.4/tests/data/single_factor/r_test_res.csv");
    let text = std::fs::read_to_string(&path).expect("the corpus file");
    // Independently: (line, gene, padj) of every row (R writes NA for none).
    let rows: Vec<(u64, String, Option<f64>)> = text
        .lines()
        .enumerate()
        .skip(1)
        .map(|(i, l)| {
            let f: Vec<&str> = l.split(',').collect();
            (
                i as u64 + 1,
                f[0].trim_matches('"').to_owned(),
                f[6].parse().ok(),
            )
        })
        .collect();
    assert!(rows.len() >= 10, "{} rows", rows.len());
    let (app, _dir) = app(
        &files["GENCODE_GTF"],
        &[("r_test_res.csv", text.clone())],
        Some("hg38"),
    )
    .await;
    let body: Value = app
        .get("/files/t/r_test_res.csv?format=json&per_page=1000&sort=padj")
        .await
        .json()
        .await
        .unwrap();
    let got = body["rows"].as_array().unwrap();
    assert_eq!(got.len(), rows.len(), "{body:#}");
    for row in got {
        let gene = row["label"].as_str().unwrap();
        let error = row["error"].as_str().unwrap_or_default();
        assert!(
            error.contains(&format!("no gene, transcript or id \"{gene}\"")),
            "{row:#}"
        );
    }
    let mut by_padj: Vec<&(u64, String, Option<f64>)> =
        rows.iter().filter(|r| r.2.is_some()).collect();
    by_padj.sort_by(|a, b| a.2.partial_cmp(&b.2).unwrap().then(a.0.cmp(&b.0)));
    let lines: Vec<u64> = got.iter().map(|r| r["line"].as_u64().unwrap()).collect();
    let expected: Vec<u64> = by_padj.iter().map(|r| r.0).collect();
    assert_eq!(lines[..expected.len()], expected[..], "{body:#}");
}

/// R with Bioconductor's edgeR and limma (Debian r-bioc-edger, which pulls
/// in limma): `exactTest` + `topTags`, and `voom` + `lmFit` + `topTable`, on
/// counts drawn for 30 GENCODE genes (the first five raised in one group),
/// each written as R writes them (`write.table`: row names, header one name
/// short).
const EDGER_LIMMA_R: &str = r#"
suppressMessages({library(edgeR); library(limma)})
ids <- readLines("ids.txt")
set.seed(1)
counts <- matrix(rnbinom(length(ids) * 6, mu = 100, size = 10), ncol = 6,
                 dimnames = list(ids, paste0("s", 1:6)))
counts[1:5, 4:6] <- counts[1:5, 4:6] * 8
group <- factor(c(1, 1, 1, 2, 2, 2))
design <- model.matrix(~group)
y <- DGEList(counts, group = group)
y <- estimateDisp(y, design)
write.table(topTags(exactTest(y), n = Inf), "edger_toptags.tsv", sep = "\t", quote = FALSE)
fit <- eBayes(lmFit(voom(y, design), design))
write.table(topTable(fit, coef = 2, number = Inf), "limma_toptable.tsv", sep = "\t", quote = FALSE)
"#;

/// Real edgeR and limma tables: every gene linked at its extent in the
/// GENCODE GTF (this test's own parser), and the adjusted P column sorted
/// and filtered as the table reads here.
#[actix_web::test]
async fn real_edger_and_limma_tables_link_every_gene_and_sort_and_filter_by_their_columns() {
    let Some(files) = annotations() else { return };
    let gtf = &files["GENCODE_GTF"];
    let genes = gtf_genes(&read_text(gtf));
    let work = tempfile::tempdir().unwrap();
    let ids: Vec<&str> = genes.iter().take(30).map(|g| g.1.as_str()).collect();
    std::fs::write(work.path().join("ids.txt"), ids.join("\n") + "\n").unwrap();
    std::fs::write(work.path().join("de.R"), EDGER_LIMMA_R).unwrap();
    let mut rscript = std::process::Command::new("Rscript");
    rscript.current_dir(work.path()).arg("de.R");
    if !run_tool(
        "R with edgeR and limma (Debian r-bioc-edger)",
        &mut rscript,
        None,
    ) {
        return;
    }
    let extent: HashMap<&str, String> = genes
        .iter()
        .map(|(_, id, chrom, start, end)| (id.as_str(), format!("{chrom}:{start}-{end}")))
        .collect();
    for (name, adjusted, effect) in [
        ("edger_toptags.tsv", "FDR", "logFC"),
        ("limma_toptable.tsv", "adj.P.Val", "logFC"),
    ] {
        let text = std::fs::read_to_string(work.path().join(name)).unwrap();
        let header: Vec<&str> = text.lines().next().unwrap().split('\t').collect();
        let column = |n: &str| header.iter().position(|h| *h == n).unwrap() + 1;
        // (line, gene, adjusted P, effect), rows one cell longer than the header.
        let rows: Vec<(u64, String, f64, f64)> = text
            .lines()
            .enumerate()
            .skip(1)
            .map(|(i, l)| {
                let f: Vec<&str> = l.split('\t').collect();
                assert_eq!(f.len(), header.len() + 1, "{l}");
                (
                    i as u64 + 1,
                    f[0].to_owned(),
                    f[column(adjusted)].parse().unwrap(),
                    f[column(effect)].parse().unwrap(),
                )
            })
            .collect();
        assert_eq!(rows.len(), 30, "{name}");
        let (app, _dir) = app(gtf, &[(name, text.clone())], Some("hg38")).await;
        let body: Value = app
            .get(&format!("/files/t/{name}?format=json&per_page=1000"))
            .await
            .json()
            .await
            .unwrap();
        let got: Vec<(u64, String)> = body["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["line"].as_u64().unwrap(),
                    r["locus"].as_str().unwrap_or("-").to_owned(),
                )
            })
            .collect();
        let expected: Vec<(u64, String)> = rows
            .iter()
            .map(|(line, gene, ..)| (*line, extent[gene.as_str()].clone()))
            .collect();
        assert_eq!(got, expected, "{name}: {body:#}");
        // Largest adjusted P first among the genes that went up by more than 2x.
        let query = format!("where={effect}%3E1&sort=-{adjusted}");
        let body: Value = app
            .get(&format!(
                "/files/t/{name}?format=json&per_page=1000&{query}"
            ))
            .await
            .json()
            .await
            .unwrap();
        let lines: Vec<u64> = body["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["line"].as_u64().unwrap())
            .collect();
        let mut up: Vec<&(u64, String, f64, f64)> = rows.iter().filter(|r| r.3 > 1.0).collect();
        up.sort_by(|a, b| b.2.partial_cmp(&a.2).unwrap().then(a.0.cmp(&b.0)));
        let want: Vec<u64> = up.iter().map(|r| r.0).collect();
        assert!(!want.is_empty(), "{name}: some genes went up");
        assert_eq!(lines, want, "{name} {query}: {body:#}");
    }
}
