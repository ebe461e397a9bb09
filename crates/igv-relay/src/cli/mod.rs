//! The command line besides `serve`: what the binary does with a file.

pub mod render;
