//! HTTP only: each handler translates a request into domain calls and the
//! result into a response.

pub mod assets;
pub mod files;
pub mod health;
pub mod pages;
pub mod query;
pub mod relay;
