//! igv-relay's pure parsers, compiled from the service's own sources, and the
//! oracle the fuzz targets hold them to.
//!
//! `domain` (loci, genomes, IGV commands, relay queries) and `formats` (record
//! streams) know nothing of HTTP (STYLE.md), so they build here without the
//! web stack: the fuzz build stays small, and what is fuzzed is exactly what
//! the service runs.
#![allow(dead_code)]

#[path = "../../src/domain/mod.rs"]
pub mod domain;
#[path = "../../src/formats/mod.rs"]
pub mod formats;

pub mod oracle;
