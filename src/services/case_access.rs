//! The one gate of a case file's tabs (ledger, visits): the case if the caller's organization
//! owns it or the caller is the office; the history up to its hand-over, read-only, for an
//! organization that had the case before a referral moved it; otherwise the audited "not
//! found" a missing id gets.

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;

use super::ServiceError;
use super::access::Caller;
use super::audit::{self, Entry};
use crate::domain::referral::HistoryAccess;
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
    super::access::refuse_district(conn, caller, action, now).await?;
    let reaches = match &found {
        Some(b) => caller.org_scope().permits(conn, b.organization_id).await?,
        None => false,
    };
    match found.filter(|_| reaches) {
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

/// Like [`readable`], for reading only: a social worker of an organization that had the case
/// before a referral moved it gets it too, with what it may read ([`HistoryAccess::Until`]
/// its hand-over); the owner and the office get [`HistoryAccess::All`].
pub async fn readable_history<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    found: Option<beneficiary::Model>,
    asked: &str,
    action: &str,
    now: DateTime<Utc>,
) -> Result<(beneficiary::Model, HistoryAccess), ServiceError> {
    if let Some(b) = &found
        && matches!(caller, Caller::SocialWorker { .. })
        && !caller.org_scope().permits(conn, b.organization_id).await?
        && let access @ HistoryAccess::Until(_) = super::referrals::history_access(conn, caller, b).await?
    {
        return Ok((b.clone(), access));
    }
    readable(conn, caller, found, asked, action, now)
        .await
        .map(|b| (b, HistoryAccess::All))
}
