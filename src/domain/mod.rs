//! Domain types that parse on construction: a value that exists is valid.

pub mod assembly;
pub mod genome;
pub mod igv;
pub mod loci;
pub mod locus;
pub mod request;
