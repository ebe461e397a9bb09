//! igv-relay's core: result files read once as rows with checked loci, and
//! written many ways. Knows no HTTP: the service (`igv-relay`), its CLI and
//! the fuzz targets run the same code.
//!
//! Layers, each importing only those above it in this list's reverse:
//! `domain` (loci, genomes, IGV commands) and `formats` (one record stream
//! per format); `genomes`, `links` and `pairing` (reads beside a VCF); `rows` (the one row reader);
//! `view` (what a view of a file is); `sinks` (one writer per output);
//! `served`, `export` and `caches` (a page, an export, what a service
//! remembers between them).

pub mod caches;
pub mod domain;
pub mod error;
pub mod export;
pub mod formats;
pub mod genomes;
pub mod links;
pub mod pairing;
mod recent;
pub mod rows;
pub mod served;
pub mod sinks;
#[cfg(test)]
mod testing;
pub mod view;
pub mod words;
