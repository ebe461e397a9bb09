//! The one test harness: the real service on a random port ([`app`]), the
//! HTML a page is read with ([`html`]), the real-file corpus ([`corpus`]),
//! and for the browser tests a real IGV desktop under Xvfb
//! ([`igv::TestIgv`]) and a real headless Chromium driven through
//! chromedriver ([`browser::Browser`]).
//!
//! Every area of the tests uses a different part of it, hence the
//! `dead_code` allowance.
#![allow(dead_code)]

pub mod app;
pub mod browser;
pub mod corpus;
pub mod html;
pub mod igv;
pub mod procs;

/// Whether the tests run under CI (`CI=true`): then what is missing (IGV,
/// a browser, Galaxy, the corpus) fails the test instead of skipping it.
pub use procs::{in_ci, run_tool};
