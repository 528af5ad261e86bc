//! The one gate of a case file's tabs (ledger, visits): the case if the caller's organization
//! owns it or the caller is the office; otherwise the audited "not found" a missing id gets.

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;

use super::ServiceError;
use super::access::Caller;
use super::audit::{self, Entry};
use crate::entities::beneficiary;

/// `found` if `caller` may read it; otherwise writes a denied `action` naming what was `asked`
/// (an id or a code, never more) and answers "not found", as for a case that does not exist.
pub async fn readable<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    found: Option<beneficiary::Model>,
    asked: &str,
    action: &str,
    now: DateTime<Utc>,
) -> Result<beneficiary::Model, ServiceError> {
    match found.filter(|b| caller.org_scope().allows(b.organization_id)) {
        Some(b) => Ok(b),
        None => {
            let asked: String = asked.chars().take(20).collect();
            audit::record(
                conn,
                now,
                Entry::denied(caller.actor(), action).detail(serde_json::json!({ "case": asked })),
            )
            .await?;
            Err(ServiceError::NotFound("beneficiary"))
        }
    }
}
