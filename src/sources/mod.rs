//! Where result files come from.

pub mod local;
