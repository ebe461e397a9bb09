//! igv-relay: "View in IGV" link pages for genomics result files, and a relay
//! that turns validated IGV commands into browser redirects to the user's own
//! IGV desktop.

// The core library's modules under their old paths, while the server's
// modules move over to it (issue 23).
pub use igv_relay_core::{domain, formats, genomes, links};

pub mod cli;
pub mod configuration;
pub mod error;
pub mod metrics;
pub mod middleware;
pub mod routes;
pub mod sources;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod web;
