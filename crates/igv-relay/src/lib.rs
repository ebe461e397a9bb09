//! igv-relay: "View in IGV" link pages for genomics result files, and a relay
//! that turns validated IGV commands into browser redirects to the user's own
//! IGV desktop. The service and CLI over the core library
//! (`igv_relay_core`): start-up, state, configuration, routes, web helpers,
//! sources of result files, telemetry and metrics.

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
