//! igv-relay: "View in IGV" link pages for genomics result files, and a relay
//! that turns validated IGV commands into browser redirects to the user's own
//! IGV desktop.

pub mod configuration;
pub mod domain;
pub mod error;
pub mod formats;
pub mod genomes;
pub mod linkpage;
pub mod links;
pub mod metrics;
pub mod middleware;
pub mod page;
pub mod render;
pub mod routes;
pub mod sources;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod web;
