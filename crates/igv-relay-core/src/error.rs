//! What can go wrong in the core, as types: the service maps each kind to
//! an HTTP answer in one place (`impl From<CoreError> for AppError`), the
//! CLI to a message. Nothing here knows HTTP.

use crate::formats::FormatError;

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// A choice of the view that this file cannot honour: a column it
    /// lacks, a condition naming no field, a sort of a source that can only
    /// be read once. Names the choice (`param`, as the query spells it).
    #[error("{param}: {reason}")]
    Choice {
        param: &'static str,
        value: String,
        reason: String,
    },
    /// The file's format is not one the core reads as rows.
    #[error("{0}")]
    UnsupportedFormat(String),
    /// The file cannot be read as its format says, or not to its end; or a
    /// view is more than the core holds (a sort of too many records).
    #[error("{0}")]
    Unreadable(String),
    /// The file is not there (any more).
    #[error("{0}")]
    NotFound(String),
}

impl CoreError {
    pub fn choice(param: &'static str, value: &str, reason: impl ToString) -> Self {
        Self::Choice {
            param,
            value: value.to_owned(),
            reason: reason.to_string(),
        }
    }
}

impl From<FormatError> for CoreError {
    /// A file that cannot be opened as its format, as a page says it.
    fn from(error: FormatError) -> Self {
        match error {
            FormatError::Unsupported(message) => Self::UnsupportedFormat(message),
            other => Self::Unreadable(other.to_string()),
        }
    }
}
