//! The one error type of the service layer, mapped once to HTTP answers, bot replies and
//! CLI messages by the adapters.

use sea_orm::{DbErr, SqlErr};

/// Why a use case did not happen. Nothing was written when one of these comes back.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The input is not acceptable; `field` names the form field or argument at fault.
    #[error("{field}: {message}")]
    Invalid {
        /// The field or argument.
        field: &'static str,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// The record does not exist, or the caller may not know that it does.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The record exists but the change conflicts with its state or a unique value.
    #[error("{0}")]
    Conflict(String),
    /// The caller may not do this.
    #[error("not allowed")]
    Forbidden,
    /// The database failed; the details go to the log, not to the user.
    #[error("database error: {0}")]
    Db(#[from] DbErr),
    /// Anything else unexpected (hashing, randomness); logged, shown as a generic failure.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ServiceError {
    /// A shorthand for [`ServiceError::Invalid`].
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        ServiceError::Invalid {
            field,
            message: message.into(),
        }
    }

    /// Turns a unique-constraint violation into a conflict with `message`; other errors pass.
    pub fn on_unique(e: DbErr, message: impl Into<String>) -> Self {
        match e.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => ServiceError::Conflict(message.into()),
            _ => ServiceError::Db(e),
        }
    }
}
