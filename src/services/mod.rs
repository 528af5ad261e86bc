//! Use cases. Each public function is one transaction: it writes its audit row (and, from
//! the relay core on, its outbox rows) in that same transaction and returns domain values.

pub mod access;
pub mod api_tokens;
pub mod audit;
pub mod beneficiaries;
pub mod claims;
pub mod contacts;
pub mod demo;
pub mod error;
pub mod merchants;
pub mod needs;
pub mod organizations;
pub mod outbox;
pub mod recipients;
pub mod staff;

pub use error::ServiceError;
