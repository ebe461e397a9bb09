//! Properties of the paste reader over generated lines: whatever the shape
//! and separators, the locus read is the one the numbers mean in the
//! convention used, and the reader never panics.

use igv_relay::domain::locus::{Locus, MAX_POSITION};
use igv_relay::domain::paste::{self, Convention, PasteOptions, Reading};
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
