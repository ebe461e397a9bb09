//! End-to-end test support: a real IGV desktop under Xvfb ([`igv::TestIgv`]) and a real headless
//! Chromium driven through chromedriver ([`browser::Browser`]).
//!
//! Each test binary compiles this module and uses a different part of it, hence the
//! `dead_code` allowance.
#![allow(dead_code)]

pub mod app;
pub mod browser;
pub mod igv;
pub mod procs;
