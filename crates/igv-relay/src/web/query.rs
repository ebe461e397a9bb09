//! Query strings parsed the strict way: a parameter given twice is an error,
//! because IGV would silently take the last one while a reader of the link
//! might trust the first. The parsing itself is pure and lives in
//! [`igv_relay_core::domain::request`]; this wrapper speaks [`AppError`].

use crate::error::AppError;
use igv_relay_core::domain::request::Query;

pub use igv_relay_core::domain::request::MAX_QUERY_BYTES;

#[derive(Debug, Default)]
pub struct QueryParams {
    query: Query,
}

impl QueryParams {
    pub fn parse(query: &str) -> Result<Self, AppError> {
        Ok(Self {
            query: Query::parse(query)?,
        })
    }

    /// The pure form, for the domain's request parsers.
    pub fn query(&self) -> &Query {
        &self.query
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.query.get(key)
    }

    /// A parameter that is present and not blank.
    pub fn non_empty(&self, key: &str) -> Option<&str> {
        self.query.non_empty(key)
    }

    pub fn required(&self, key: &'static str) -> Result<&str, AppError> {
        Ok(self.query.required(key)?)
    }

    /// `1`, `true`, `yes`, `on` → true; `0`, `false`, `no`, `off`, empty → false.
    pub fn flag(&self, key: &'static str) -> Result<Option<bool>, AppError> {
        Ok(self.query.flag(key)?)
    }

    pub fn number(&self, key: &'static str) -> Result<Option<u64>, AppError> {
        Ok(self.query.number(key)?)
    }
}
