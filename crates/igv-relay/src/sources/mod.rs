//! Where result files come from.

pub mod demo;
pub mod download;
pub mod galaxy;
pub mod local;
pub mod remote;
