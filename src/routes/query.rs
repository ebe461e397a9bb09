//! Query strings parsed the strict way: a parameter given twice is an error,
//! because IGV would silently take the last one while a reader of the link
//! might trust the first.

use std::collections::HashMap;

use crate::error::AppError;

/// Longest query string accepted; anything longer is not a real IGV link.
pub const MAX_QUERY_BYTES: usize = 16 * 1024;

#[derive(Debug, Default)]
pub struct QueryParams {
    values: HashMap<String, String>,
}

impl QueryParams {
    pub fn parse(query: &str) -> Result<Self, AppError> {
        if query.len() > MAX_QUERY_BYTES {
            return Err(AppError::invalid(
                "query",
                &query[..64.min(query.len())],
                format!("the query string is longer than {MAX_QUERY_BYTES} bytes"),
            ));
        }
        let mut values = HashMap::new();
        // form_urlencoded leaves malformed escapes such as `%zz` as literal text;
        // the domain parsers then refuse the `%`, so IGV never sees one.
        for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
            if values.insert(key.to_string(), value.into_owned()).is_some() {
                return Err(AppError::DuplicateParameter(key.into_owned()));
            }
        }
        Ok(Self { values })
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(String::as_str)
    }

    /// A parameter that is present and not blank.
    pub fn non_empty(&self, key: &str) -> Option<&str> {
        self.get(key).filter(|v| !v.trim().is_empty())
    }

    pub fn required(&self, key: &'static str) -> Result<&str, AppError> {
        self.get(key).ok_or(AppError::MissingParameter(key))
    }

    /// `1`, `true`, `yes`, `on` → true; `0`, `false`, `no`, `off`, empty → false.
    pub fn flag(&self, key: &'static str) -> Result<Option<bool>, AppError> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        match v.trim().to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => Ok(Some(true)),
            "" | "0" | "false" | "no" | "off" => Ok(Some(false)),
            _ => Err(AppError::invalid(key, v, "expected true or false")),
        }
    }

    pub fn number(&self, key: &'static str) -> Result<Option<u64>, AppError> {
        match self.non_empty(key) {
            None => Ok(None),
            Some(v) => v
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| AppError::invalid(key, v, "expected a whole number")),
        }
    }
}
