//! The service as its users meet it: the real server on a random port (or
//! the binary, or behind nginx, or beside a real Galaxy), one module per
//! area, one harness ([`support`]). Every area runs in this one binary.

mod support;

mod access_log;
mod adversarial;
mod api;
mod cli;
mod e2e;
mod galaxy;
mod galaxy_collections;
mod galaxy_faults;
mod galaxy_plugin;
mod galaxy_range;
mod galaxy_reads;
mod galaxy_tables;
mod gene_tables;
mod genes;
mod genome_detection;
mod golden;
mod igv3_session;
mod metrics;
mod openapi;
mod page_model;
mod pages;
mod paste;
mod prefix_nginx;
mod presets;
mod reads;
mod real_files;
mod real_tools;
mod relay;
mod render;
mod sv_rows;
mod table_formats;
mod triage;
mod triage_page;
mod viewer;
