//! igv-relay's pure parsers, as the core library has them, and the oracle
//! the fuzz targets hold them to.
//!
//! `domain` (loci, genomes, IGV commands, relay queries) and `formats`
//! (record streams) are the core's own modules: what is fuzzed is exactly
//! what the service runs.

pub use igv_relay_core::{domain, formats};

pub mod oracle;
