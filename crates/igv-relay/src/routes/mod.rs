//! HTTP only: each handler translates a request into domain calls and the
//! result into a response.

pub mod api;
pub mod assets;
pub mod embed;
pub mod files;
pub mod galaxy;
pub mod health;
pub mod pages;
pub mod relay;
