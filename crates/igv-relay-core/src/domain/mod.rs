//! Domain types that parse on construction: a value that exists is valid.

pub mod assembly;
pub mod gene_index;
pub mod genes;
pub mod genome;
pub mod igv;
pub mod igvjs;
pub mod loci;
pub mod locus;
pub mod paste;
pub mod request;
pub mod view;
