//! Properties of the core's parsers, over generated input (proptest): a
//! locus prints to text that parses back to it, a paste is read the same
//! whatever its layout.

mod locus;
mod paste;
