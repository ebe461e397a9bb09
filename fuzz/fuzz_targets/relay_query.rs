//! The relay's query parsing (`/igv/goto` and `/igv/load`): any query string
//! is either refused with an error naming a parameter, or becomes a command
//! whose URL is loopback IGV on a user port and decodes, as IGV decodes it, to
//! exactly that command.
#![no_main]

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
    if let Some(port) = port {
        assert!(port.get() >= 1024);
    }
    let target = oracle::target(port);
    let genome = query.non_empty("genome").map(|_| &genomes.0);
    for parse in [request::parse_goto, request::parse_load] {
        if let Ok(command) = parse(&query, &rules) {
            oracle::check_rendered(&command, &target, rules.loci, genome);
        }
    }
});
