//! igv-relay's core: result files read once as rows with checked loci, and
//! written many ways. Knows no HTTP: the service (`igv-relay`), the CLI and
//! the fuzz targets run the same code.

pub mod domain;
pub mod formats;
pub mod genomes;
pub mod links;
