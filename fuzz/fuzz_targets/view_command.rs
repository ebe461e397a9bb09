//! The view-command builder (`/igv/view`, `/igv/check`): any query string is
//! either refused with an error naming a parameter, or becomes one IGV URL of
//! an allowed shape, byte for byte (`oracle::assert_view_shape`): a fixed
//! command word, enum words, a strict SAM tag and `chr:pos`, joined by `%20`,
//! with nothing IGV's two decodings could turn into another command.
#![no_main]

use igv_relay_fuzz::domain::igv::IgvCommand;
use igv_relay_fuzz::domain::loci::LociRules;
use igv_relay_fuzz::domain::request::{self, Query, RelayRules};
use igv_relay_fuzz::oracle;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(query) = Query::parse(text) else {
        return;
    };
    let genomes = oracle::OneGenome(oracle::tiny_genome());
    let hosts = oracle::allowed_hosts();
    let rules = RelayRules {
        loci: LociRules {
            max_loci: 4,
            allow_feature_names: false,
        },
        allowed_hosts: &hosts,
        genomes: &genomes,
    };
    let Ok(port) = request::port(&query) else {
        return;
    };
    let target = oracle::target(port);
    let genome = query.non_empty("genome").map(|_| &genomes.0);
    for parse in [request::parse_view, request::parse_check] {
        if let Ok(command) = parse(&query, &rules) {
            assert!(
                matches!(command, IgvCommand::View(_) | IgvCommand::Check),
                "{command:?}"
            );
            oracle::check_rendered(&command, &target, rules.loci, genome);
        }
    }
});
