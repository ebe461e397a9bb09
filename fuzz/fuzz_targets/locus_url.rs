//! Locus and loci parsing, genome resolution, and the `/goto` URL they render.
//! Invariants: parsing never panics; a parsed locus prints to text that parses
//! back to it (both the canonical and the thousands-grouped form); the URL is
//! loopback IGV with strict percent-encoding and decodes, as IGV decodes it,
//! to the same loci.
#![no_main]

use igv_relay_fuzz::domain::igv::IgvCommand;
use igv_relay_fuzz::domain::loci::{Loci, LociRules};
use igv_relay_fuzz::domain::locus::Locus;
use igv_relay_fuzz::oracle;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    if let Ok(locus) = Locus::parse(text) {
        assert_eq!(
            Locus::parse(&locus.to_string()).as_ref(),
            Ok(&locus),
            "{text:?}"
        );
        assert_eq!(
            Locus::parse(&locus.to_display_string()).as_ref(),
            Ok(&locus),
            "{text:?}"
        );
        let flank = u64::from(flags) << (flags % 40);
        let wide = locus.with_flank(flank, Some(50_000));
        assert!(Locus::parse(&wide.to_string()).is_ok());
    }
    let rules = LociRules {
        max_loci: 1 + usize::from(flags % 8),
        allow_feature_names: flags & 0x10 != 0,
    };
    let genome = oracle::tiny_genome();
    let genome = (flags & 0x20 != 0).then_some(&genome);
    if let Ok(loci) = Loci::parse(text, rules, genome) {
        assert!(loci.as_slice().len() <= rules.max_loci);
        let command = IgvCommand::Goto { loci };
        oracle::check_rendered(&command, &oracle::target(None), rules, genome);
    }
});
