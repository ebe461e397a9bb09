//! Genome detection on real files from the corpus (`tests/real_files/corpus.tsv`):
//! the header is read with `formats::read_evidence` and matched with
//! `domain::assembly::choose` against the built-in genomes, as a page does.

use std::io::BufReader;
use std::path::Path;

use igv_relay::sources::local;
use igv_relay_core::domain::assembly::{
    DefaultKind, GenomeChoice, GenomeRequest, GenomeSource, choose, evidence_from_names,
};
use igv_relay_core::domain::genome::Genome;
use igv_relay_core::domain::locus::Locus;
use igv_relay_core::formats::{self, FormatOptions, Item};
use igv_relay_core::genomes::GenomeRegistry;

fn registry() -> GenomeRegistry {
    GenomeRegistry::builtin().expect("built-in genomes")
}

fn open(path: &Path) -> Box<dyn std::io::BufRead + Send> {
    Box::new(BufReader::new(
        std::fs::File::open(path).expect("corpus file"),
    ))
}

/// The genome a page would use for `path` with `request`.
fn detect<'g>(
    registry: &'g GenomeRegistry,
    path: &Path,
    request: GenomeRequest<'g>,
) -> GenomeChoice<'g> {
    let name = path.file_name().unwrap().to_string_lossy();
    let kind = local::sniff(path, &name, local::PAGE_SNIFF_BYTES).expect("a known format");
    let evidence = formats::read_evidence(kind, open(path), FormatOptions::default().decompression)
        .expect("a header");
    let known: Vec<&Genome> = registry.all().collect();
    choose(request, &evidence, &known)
}

fn id(choice: &GenomeChoice<'_>) -> Option<String> {
    choice.genome.map(|g| g.id().to_string())
}

/// Every record of the VCF at `path`, resolved against `genome`: the errors.
fn unlinked(path: &Path, genome: &Genome) -> Vec<String> {
    let mut stream = formats::open(
        formats::FormatKind::Vcf,
        open(path),
        &FormatOptions::default(),
    )
    .expect("opens");
    let mut errors = Vec::new();
    while let Some(item) = stream.next_item().expect("reads") {
        let Item::Record(record) = item else {
            errors.push(format!("{item:?}"));
            continue;
        };
        for i in &record.intervals {
            let locus = Locus::parse(&format!("{}:{}-{}", i.chrom, i.start, i.end));
            if let Err(e) = locus
                .map_err(|e| e.to_string())
                .and_then(|l| genome.resolve(&l).map_err(|e| e.to_string()))
            {
                errors.push(format!("line {}: {e}", record.line));
            }
        }
    }
    errors
}

#[test]
fn real_headers_say_their_genome() {
    let Some(corpus) = crate::support::corpus::corpus() else {
        return;
    };
    let registry = registry();
    let file = |package: &str, path: &str| corpus.join(package).join(path);
    let none = GenomeRequest::default();
    let hg38 = registry.get("hg38").expect("hg38");
    let under_hg38 = GenomeRequest {
        explicit: None,
        default: Some((hg38, DefaultKind::Root)),
    };

    // A 1000 Genomes-style b37 VCF (GATK on human_g1k_v37_decoy): b37 by lengths,
    // even where the data root says hg38, which the page is told.
    let b37_vcf = file(
        "python3-cyvcf2",
        "usr/lib/python3/dist-packages/cyvcf2/tests/test.vcf.gz",
    );
    let choice = detect(&registry, &b37_vcf, none);
    assert_eq!(id(&choice).as_deref(), Some("b37"), "{choice:?}");
    assert_eq!(choice.source, GenomeSource::SequenceLengths("##contig"));
    let choice = detect(&registry, &b37_vcf, under_hg38);
    assert_eq!(id(&choice).as_deref(), Some("b37"));
    assert!(
        choice
            .notices
            .iter()
            .any(|n| n.contains("hg38") && n.contains("b37")),
        "{:?}",
        choice.notices
    );
    assert!(unlinked(&b37_vcf, registry.get("b37").unwrap()).is_empty());

    // An hg19 VCF with chr names (snpEff's, 93 ##contig lines with the haplotypes).
    let hg19_vcf = file(
        "python3-cyvcf2",
        "usr/lib/python3/dist-packages/cyvcf2/tests/test.snpeff.vcf",
    );
    let choice = detect(&registry, &hg19_vcf, none);
    assert_eq!(id(&choice).as_deref(), Some("hg19"), "{choice:?}");

    // GATK's GRCh38 header: 3,366 contigs, alts, decoys and HLA. hg38 by the
    // lengths of all it knows (the decoys and HLA are in no package), and every
    // record links under hg38.
    let grch38 = file(
        "python3-pybedtools",
        "usr/lib/python3/dist-packages/pybedtools/test/data/issue319.vcf.gz",
    );
    let choice = detect(&registry, &grch38, none);
    assert_eq!(id(&choice).as_deref(), Some("hg38"), "{choice:?}");
    assert_eq!(unlinked(&grch38, hg38), Vec::<String>::new());
    // Its 2,841 decoys come from its own ##contig lines (the HLA names, with
    // their `:`, cannot be a locus and are left out).
    assert!(
        choice.extra.len() > 2000
            && choice
                .extra
                .iter()
                .all(|c| c.name.as_str().ends_with("_decoy") || c.name.as_str().starts_with("HLA")),
        "{:?}",
        &choice.extra[..3]
    );

    // Complete Genomics' B37 ##contig lines: b37.
    let cg = file(
        "r-bioc-variantannotation",
        "usr/lib/R/site-library/VariantAnnotation/extdata/h1187-10k.vcf.gz",
    );
    assert_eq!(id(&detect(&registry, &cg, none)).as_deref(), Some("b37"));

    // FlyBase r5.49 GFF (2L, X, 4, 2RHet ... with dm3's extents): never human;
    // no table has dm3, so its own ##sequence-region lines, and a root's hg38 is
    // overruled with a word.
    let fly = file(
        "python3-gffutils",
        "usr/lib/python3/dist-packages/gffutils/test/data/dmel-all-no-analysis-r5.49_50k_lines.gff",
    );
    let choice = detect(&registry, &fly, under_hg38);
    assert_eq!(choice.genome.map(|g| g.id().as_str()), None, "{choice:?}");
    assert_eq!(
        choice.source,
        GenomeSource::FileSequences("##sequence-region")
    );
    assert!(
        choice.notices.iter().any(|n| n.contains("hg38")),
        "{:?}",
        choice.notices
    );

    // A fly BED (chr2L ... chrX, no header): the record names say dm6.
    let fly_bed = file(
        "python3-pybedtools",
        "usr/lib/python3/dist-packages/pybedtools/test/data/BEAF_Kc_Bushey_2009.bed",
    );
    let text = std::fs::read_to_string(&fly_bed).expect("text");
    let names = text
        .lines()
        .filter(|l| !l.starts_with("track"))
        .filter_map(|l| l.split('\t').next());
    let known: Vec<&Genome> = registry.all().collect();
    let choice = choose(under_hg38, &evidence_from_names(names), &known);
    assert_eq!(id(&choice).as_deref(), Some("dm6"), "{choice:?}");
}
