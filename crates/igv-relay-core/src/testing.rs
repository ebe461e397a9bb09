//! What the core's unit tests build views from: the built-in genomes, the
//! service served at `https://lab.example/igv/`, and a large test VCF.

use url::Url;

use crate::domain::igv::{IgvPort, IgvTarget};
use crate::domain::loci::LociRules;
use crate::formats::DEFAULT_DECOMPRESSION_LIMITS;
use crate::genomes::GenomeRegistry;
use crate::links::ServiceUrls;
use crate::rows::stretches::MIN_STRETCHED_BYTES;
use crate::view::ViewContext;

pub(crate) struct TestContext {
    genomes: GenomeRegistry,
    urls: ServiceUrls,
    igv: IgvTarget,
    igv_web: Url,
    link_outs: crate::links::outs::LinkOuts,
}

impl TestContext {
    pub(crate) fn new() -> Self {
        Self {
            genomes: GenomeRegistry::builtin().unwrap(),
            urls: ServiceUrls::new(Url::parse("https://lab.example/igv/").unwrap()),
            igv: IgvTarget::new("127.0.0.1", IgvPort::DEFAULT).unwrap(),
            igv_web: Url::parse("https://igv.org/app/").unwrap(),
            link_outs: crate::links::outs::LinkOuts::default(),
        }
    }

    pub(crate) fn ctx(&self) -> ViewContext<'_> {
        ViewContext {
            genomes: &self.genomes,
            urls: &self.urls,
            igv: &self.igv,
            loci_rules: LociRules::default(),
            decompression: DEFAULT_DECOMPRESSION_LIMITS,
            igv_web: &self.igv_web,
            link_outs: &self.link_outs,
        }
    }
}

/// A VCF of about 10 MB (more than [`MIN_STRETCHED_BYTES`]) with what a
/// pass in stretches could get wrong: malformed lines, a line over the
/// length limit, rows the genome refuses, blank and stray header lines,
/// annotations to filter on, no final newline. Returns the file and how many
/// records, malformed lines and long lines it has.
pub(crate) fn large_test_vcf() -> (tempfile::NamedTempFile, [usize; 3]) {
    use std::io::Write as _;
    let mut f = tempfile::NamedTempFile::new().unwrap();
    let mut text = String::from(
        "##fileformat=VCFv4.2\n\
         ##INFO=<ID=DP,Number=1,Type=Integer,Description=\"Depth\">\n\
         ##INFO=<ID=CSQ,Number=.,Type=String,Description=\"VEP. Format: Allele|Consequence|IMPACT|SYMBOL\">\n\
         #CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n",
    );
    let (mut malformed, mut long) = (0, 0);
    for i in 0..100_000u64 {
        let chrom = ["chr1", "chr2", "chrUn_x", "chr7"][(i % 4) as usize];
        let impact = if i % 50 == 0 {
            "stop_gained|HIGH"
        } else {
            "intron_variant|MODIFIER"
        };
        let filter = if i % 3 == 0 { "PASS" } else { "q10" };
        match i % 997 {
            5 => {
                text.push_str("chr1\tnot-a-position\t.\tA\tT\t.\tPASS\t.\n");
                malformed += 1;
            }
            6 => text.push('\n'),
            7 => text.push_str("##stray header line\n"),
            8 if i < 2_000 => {
                text.push_str("chr1\t5\tlong\tA\t");
                text.push_str(&"T".repeat(1_100_000));
                text.push_str("\t.\tPASS\t.\n");
                long += 1;
            }
            _ => {}
        }
        text.push_str(&format!(
            "{chrom}\t{}\tid{i}\tA\tT\t{}\t{filter}\tDP={};CSQ=T|{impact}|GENE{}\n",
            1000 + i * 7,
            i % 90,
            i % 40,
            i % 13
        ));
    }
    text.push_str("chr2\t77\tlast\tA\tG\t.\tPASS\t.");
    f.write_all(text.as_bytes()).unwrap();
    assert!(text.len() as u64 > MIN_STRETCHED_BYTES);
    (f, [100_001, malformed, long])
}
