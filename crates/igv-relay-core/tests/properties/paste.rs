//! Properties of the paste reader over generated lines: whatever the shape
//! and separators, the locus read is the one the numbers mean in the
//! convention used, and the reader never panics.

use igv_relay_core::domain::locus::{Locus, MAX_POSITION};
use igv_relay_core::domain::paste::{self, Convention, PasteOptions, Reading};
use proptest::prelude::*;

fn chrom() -> impl Strategy<Value = String> {
    prop_oneof![
        "chr[0-9XYM]{1,2}",
        "[0-9]{1,2}",
        "NC_0000[0-9]{2}\\.[0-9]{1,2}"
    ]
}

fn grouped(n: u64) -> String {
    let raw = n.to_string();
    let mut out = String::new();
    for (i, c) in raw.chars().enumerate() {
        if i > 0 && (raw.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn shown(reading: &Reading) -> Option<String> {
    reading
        .loci()
        .map(|l| l.iter().map(Locus::to_string).collect::<Vec<_>>().join(" "))
}

proptest! {
    #[test]
    fn columns_mean_what_the_convention_says(
        chrom in chrom(),
        start in 1..MAX_POSITION / 2,
        len in 1..1_000_000u64,
        sep in prop_oneof![Just("\t"), Just(" "), Just("  ")],
        label in proptest::option::of("[A-Za-z][A-Za-z0-9_]{0,10}"),
        one_based in any::<bool>(),
    ) {
        let end = start + len;
        let mut line = format!("{chrom}{sep}{start}{sep}{end}");
        if let Some(l) = &label {
            line.push_str(sep);
            line.push_str(l);
        }
        let convention = if one_based { Convention::OneBased } else { Convention::ZeroBased };
        let reading = paste::read_line(&line, convention);
        let first = if one_based { start } else { start + 1 };
        prop_assert_eq!(shown(&reading), Some(format!("{chrom}:{first}-{end}")), "{}", line);
        prop_assert!(reading.is_ambiguous());
        prop_assert_eq!(reading.label(), label.as_deref());
    }

    #[test]
    fn quoted_csv_cells_with_thousands_commas_read_like_plain_numbers(
        chrom in chrom(),
        start in 1..MAX_POSITION / 2,
        len in 1..1_000_000u64,
    ) {
        let end = start + len;
        let plain = paste::read_line(&format!("{chrom},{start},{end}"), Convention::ZeroBased);
        let quoted = paste::read_line(
            &format!("\"{chrom}\",\"{}\",\"{}\"", grouped(start), grouped(end)),
            Convention::ZeroBased,
        );
        prop_assert_eq!(shown(&plain), shown(&quoted));
        prop_assert!(shown(&plain).is_some());
    }

    #[test]
    fn an_igv_locus_reads_back_as_itself_with_any_label(
        chrom in chrom(),
        start in 1..MAX_POSITION / 2,
        len in 0..1_000_000u64,
        label in "[ A-Za-z0-9_]{0,20}",
    ) {
        let locus = format!("{chrom}:{start}-{}", start + len);
        let reading = paste::read_line(&format!("{locus} {label}"), Convention::ZeroBased);
        let expected = Locus::parse(&locus).unwrap().to_string();
        prop_assert_eq!(shown(&reading), Some(expected));
    }

    #[test]
    fn any_text_is_read_without_panicking_and_within_the_limit(
        text in "[\\PC\t\r\n,\"]{0,400}",
        max in 1..20usize,
    ) {
        let paste = paste::read(&text, PasteOptions { max_lines: max, ..PasteOptions::default() });
        prop_assert!(paste.lines.len() <= max);
        let non_blank = text
            .split(if text.contains('\n') { '\n' } else { '\r' })
            .filter(|l| !l.trim_start_matches('\u{feff}').trim().is_empty())
            .count();
        prop_assert_eq!(paste.lines.len() + paste.left_out, non_blank);
    }
}

/// A tiny genome with a gene annotation, for the property below.
fn genome_with_genes() -> igv_relay_core::domain::genome::Genome {
    use igv_relay_core::domain::gene_index::GeneIndex;
    use igv_relay_core::domain::genome::{Genome, GenomeId};
    let gtf = "chr1\tt\tgene\t100\t200\t.\t+\t.\tgene_id \"G1.1\"; gene_name \"KRAS\";\n\
chr1\tt\tgene\t300\t400\t.\t+\t.\tgene_id \"G2.1\"; gene_name \"SAME\";\n\
chr2\tt\tgene\t300\t400\t.\t+\t.\tgene_id \"G3.1\"; gene_name \"SAME\";\n";
    let index = GeneIndex::build(gtf.as_bytes(), "props", 100).unwrap();
    let sizes = Genome::parse_sizes("chr1\t5000\nchr2\t5000\n").unwrap();
    Genome::new(
        GenomeId::parse("props").unwrap(),
        "props".into(),
        sizes,
        &Default::default(),
    )
    .unwrap()
    .with_genes(std::sync::Arc::new(index), 10)
}

proptest! {
    /// Whatever word a link or a paste carries, what the relay would send
    /// IGV is a locus on one of the genome's chromosomes, never a name.
    #[test]
    fn only_loci_of_the_genome_come_out_of_a_name_lookup(
        word in prop_oneof![
            "[A-Za-z0-9_.()\\[\\]:+*/|'@%<>\" -]{1,30}",
            Just("KRAS".to_owned()),
            Just("kras".to_owned()),
            Just("SAME".to_owned()),
            Just("G1".to_owned()),
            Just("l(2)gl".to_owned()),
        ],
    ) {
        use igv_relay_core::domain::loci::{Loci, LociRules};
        let genome = genome_with_genes();
        let rules = LociRules::default();
        let via_relay = Loci::parse(&word, rules, Some(&genome));
        let via_paste = paste::read_line(&word, Convention::ZeroBased).check(rules, Some(&genome), 0);
        for loci in via_relay.ok().into_iter().chain(via_paste.ok().map(|c| c.loci)) {
            for locus in loci.as_slice() {
                prop_assert!(
                    genome.chromosome(locus.chrom().as_str()).is_some(),
                    "{word:?} gave {locus}"
                );
                prop_assert_eq!(Locus::parse(&locus.to_string()).unwrap(), locus.clone());
            }
        }
    }
}

#[test]
fn a_gene_name_resolves_with_the_flank_and_a_name_found_twice_does_not() {
    use igv_relay_core::domain::loci::{Loci, LociRules};
    let genome = genome_with_genes();
    let loci = Loci::parse("kras", LociRules::default(), Some(&genome)).unwrap();
    assert_eq!(loci.to_string(), "chr1:90-210");
    let err = Loci::parse("SAME", LociRules::default(), Some(&genome)).unwrap_err();
    assert!(err.to_string().contains("names 2 features"), "{err}");
}
