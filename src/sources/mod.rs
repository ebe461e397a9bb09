//! Where result files come from.

pub mod galaxy;
pub mod local;
pub mod remote;
