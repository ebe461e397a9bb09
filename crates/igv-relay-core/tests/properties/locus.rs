//! Properties of locus parsing and IGV URL rendering over generated input.

use igv_relay_core::domain::igv::{IgvCommand, IgvPort, IgvTarget};
use igv_relay_core::domain::loci::{Loci, LociRules};
use igv_relay_core::domain::locus::{Locus, MAX_POSITION};
use proptest::prelude::*;

fn chrom() -> impl Strategy<Value = String> {
    prop_oneof![
        "chr[0-9XYM]{1,2}",
        "[A-Za-z0-9_][A-Za-z0-9_.|*+-]{0,20}",
        "NC_0000[0-9]{2}\\.[0-9]{1,2}",
    ]
}

fn locus_text() -> impl Strategy<Value = String> {
    (chrom(), 1..=MAX_POSITION, 0..=1_000_000u64, 0..3u8).prop_map(|(c, start, len, shape)| {
        let end = (start + len).min(MAX_POSITION);
        match shape {
            0 => format!("chr{c}"),
            1 => format!("{c}:{start}"),
            _ => format!("{c}:{start}-{end}"),
        }
    })
}

/// Every `%` must start a two-hex-digit escape: IGV's decoder dies otherwise.
fn percent_escapes_are_well_formed(s: &str) -> bool {
    let b = s.as_bytes();
    (0..b.len()).all(|i| {
        b[i] != b'%'
            || (i + 2 < b.len() && b[i + 1].is_ascii_hexdigit() && b[i + 2].is_ascii_hexdigit())
    })
}

fn target() -> IgvTarget {
    IgvTarget::new("127.0.0.1", IgvPort::DEFAULT).unwrap()
}

proptest! {
    #[test]
    fn parse_render_parse_is_the_identity(text in locus_text()) {
        let locus = Locus::parse(&text).unwrap();
        prop_assert_eq!(Locus::parse(&locus.to_string()).unwrap(), locus.clone());
        prop_assert_eq!(Locus::parse(&locus.to_display_string()).unwrap(), locus);
    }

    #[test]
    fn the_igv_url_decodes_back_to_the_same_loci(texts in prop::collection::vec(locus_text(), 1..5)) {
        let loci = Loci::parse(&texts.join(" "), LociRules { allow_feature_names: true, ..LociRules::default() }, None).unwrap();
        let url = IgvCommand::Goto { loci: loci.clone() }.to_url(&target());
        prop_assert!(percent_escapes_are_well_formed(url.as_str()), "{}", url);
        let sent: String = url::Url::parse(&url).unwrap().query_pairs().find(|(k, _)| k == "locus").map(|(_, v)| v.into_owned()).unwrap();
        let reparsed = Loci::parse(&sent, LociRules { allow_feature_names: true, ..LociRules::default() }, None).unwrap();
        prop_assert_eq!(reparsed, loci);
    }

    #[test]
    fn any_input_is_either_refused_or_rendered_with_well_formed_escapes(text in "\\PC{0,60}") {
        if let Ok(loci) = Loci::parse(&text, LociRules::default(), None) {
            let url = IgvCommand::Goto { loci }.to_url(&target());
            prop_assert!(percent_escapes_are_well_formed(url.as_str()), "{}", url);
            prop_assert!(!url.as_str().contains(' '));
        }
    }
}
