//! An organization's credit (信用评价): its record over the last year, counted from its
//! needs, the claims on them, the referrals sent to it and the audit log, and the score and
//! band of that record (the formula is [`crate::domain::credit::OrganizationRecord`]). The
//! office reads every organization's; a social worker reads their own organization's; the
//! public never reads one.
//!
//! What counts, and where it is read from:
//!
//! | count | from |
//! |---|---|
//! | needs fulfilled / ended unfulfilled | `needs` that ended (fulfilled; expired or cancelled) in the window |
//! | deliveries confirmed on time / late | `claims` delivered in the window: confirmed within 3 days of the delivery, or later; still unconfirmed after 3 days counts late |
//! | referrals answered on time / late | `referrals` sent to it in the window: answered by `due_at`, after it, or still pending past it |
//! | data-quality refusals | `audit_log`: `need.post` / `need.edit` denied with `data_quality` (the need named its person) |
//! | disputes lost | `audit_log`: `claim.confirm` with `after_dispute` by office staff (a delivery it disputed, confirmed by the office) |

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryResult};

use super::ServiceError;
use super::access::Caller;
use crate::db;
use crate::domain::credit::{CONFIRM_WITHIN_DAYS, CreditBand, ORGANIZATION_RECORD_DAYS, OrganizationRecord};
use crate::domain::referral::ReferralStatus;
use crate::domain::{ClaimStatus, NeedStatus};
use crate::entities::organization;

/// An organization's credit: its record, score and band.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrganizationCredit {
    /// What it has done in the last year.
    pub record: OrganizationRecord,
    /// Its credit score, 0 to 100.
    pub score: i32,
    /// Its band.
    pub band: CreditBand,
}

impl From<OrganizationRecord> for OrganizationCredit {
    fn from(record: OrganizationRecord) -> Self {
        Self {
            record,
            score: record.score(),
            band: record.band(),
        }
    }
}

impl Default for OrganizationCredit {
    /// A new organization's: no record, band B.
    fn default() -> Self {
        OrganizationRecord::default().into()
    }
}

/// Organization `organization_id`'s record as of `now` (no access check: for services that
/// already checked their caller, such as the office's renewals).
pub async fn record<C: ConnectionTrait>(
    conn: &C,
    organization_id: i64,
    now: DateTime<Utc>,
) -> Result<OrganizationRecord, ServiceError> {
    Ok(gather(conn, Some(organization_id), now)
        .await?
        .remove(&organization_id)
        .unwrap_or_default())
}

/// Organization `organization_id`'s band as of `now` (no access check, see [`record`]).
pub async fn band<C: ConnectionTrait>(
    conn: &C,
    organization_id: i64,
    now: DateTime<Utc>,
) -> Result<CreditBand, ServiceError> {
    Ok(record(conn, organization_id, now).await?.band())
}

/// Every organization's record as of `now`, by organization id; one with nothing to count
/// is missing (its record is the default). Four grouped queries whatever their number.
pub async fn records<C: ConnectionTrait>(
    conn: &C,
    now: DateTime<Utc>,
) -> Result<HashMap<i64, OrganizationRecord>, ServiceError> {
    gather(conn, None, now).await
}

/// The caller's own organization and its credit, for the social worker's page: a caller of
/// no organization (the office, a merchant) is refused.
pub async fn own(
    db: &DatabaseConnection,
    caller: &Caller,
    now: DateTime<Utc>,
) -> Result<(organization::Model, OrganizationCredit), ServiceError> {
    let Some(organization_id) = caller.organization_id() else {
        return Err(ServiceError::Forbidden);
    };
    let org = organization::Entity::find_by_id(organization_id)
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("organization"))?;
    let credit = record(db, organization_id, now).await?.into();
    Ok((org, credit))
}

/// The counts of every organization (or just `only`) over the window ending at `now`.
async fn gather<C: ConnectionTrait>(
    conn: &C,
    only: Option<i64>,
    now: DateTime<Utc>,
) -> Result<HashMap<i64, OrganizationRecord>, ServiceError> {
    let since = now - Duration::days(ORGANIZATION_RECORD_DAYS);
    let mut out: HashMap<i64, OrganizationRecord> = HashMap::new();
    let rows = |org: &str, sql: String, mut values: Vec<sea_orm::Value>| {
        let sql = match only {
            Some(id) => {
                values.push(id.into());
                sql.replace("{only}", &format!("AND {org} = ?"))
            }
            None => sql.replace("{only}", ""),
        };
        (sql, values)
    };

    let fulfilled = NeedStatus::Fulfilled.as_str();
    let unfulfilled = db::sql_list([NeedStatus::Expired.as_str(), NeedStatus::Cancelled.as_str()]);
    let (sql, values) = rows(
        "organization_id",
        format!(
            "SELECT organization_id, \
             COALESCE(SUM(CASE WHEN status = '{fulfilled}' THEN 1 ELSE 0 END), 0), \
             COALESCE(SUM(CASE WHEN status IN ({unfulfilled}) THEN 1 ELSE 0 END), 0) \
             FROM needs WHERE (status = '{fulfilled}' OR status IN ({unfulfilled})) AND updated_at >= ? {{only}} \
             GROUP BY organization_id"
        ),
        vec![since.into()],
    );
    for (org, [done, not_done]) in counts::<2>(conn, &sql, values).await? {
        let r = out.entry(org).or_default();
        r.needs_fulfilled = done;
        r.needs_unfulfilled = not_done;
    }

    // A confirmation more than three days after the delivery: date arithmetic is the one
    // thing the two databases spell differently.
    let late = match conn.get_database_backend() {
        DbBackend::Postgres => format!("c.confirmed_at > c.delivered_at + INTERVAL '{CONFIRM_WITHIN_DAYS} days'"),
        _ => format!("julianday(c.confirmed_at) > julianday(c.delivered_at) + {CONFIRM_WITHIN_DAYS}"),
    };
    let waiting = ClaimStatus::Delivered.as_str();
    let (sql, values) = rows(
        "n.organization_id",
        format!(
            "SELECT n.organization_id, \
             COALESCE(SUM(CASE WHEN c.confirmed_at IS NOT NULL AND NOT ({late}) THEN 1 ELSE 0 END), 0), \
             COALESCE(SUM(CASE WHEN c.confirmed_at IS NOT NULL AND ({late}) THEN 1 \
                 WHEN c.confirmed_at IS NULL AND c.status = '{waiting}' AND c.delivered_at < ? THEN 1 ELSE 0 END), 0) \
             FROM claims c JOIN needs n ON n.id = c.need_id \
             WHERE c.delivered_at IS NOT NULL AND c.delivered_at >= ? {{only}} \
             GROUP BY n.organization_id"
        ),
        vec![(now - Duration::days(CONFIRM_WITHIN_DAYS)).into(), since.into()],
    );
    for (org, [on_time, late]) in counts::<2>(conn, &sql, values).await? {
        let r = out.entry(org).or_default();
        r.confirmed_on_time = on_time;
        r.confirmed_late = late;
    }

    let answered = db::sql_list([ReferralStatus::Accepted.as_str(), ReferralStatus::Declined.as_str()]);
    let pending = ReferralStatus::Pending.as_str();
    let (sql, values) = rows(
        "to_organization_id",
        format!(
            "SELECT to_organization_id, \
             COALESCE(SUM(CASE WHEN status IN ({answered}) AND answered_at IS NOT NULL AND answered_at <= due_at THEN 1 ELSE 0 END), 0), \
             COALESCE(SUM(CASE WHEN status IN ({answered}) AND answered_at IS NOT NULL AND answered_at > due_at THEN 1 \
                 WHEN status = '{pending}' AND due_at < ? THEN 1 ELSE 0 END), 0) \
             FROM referrals WHERE created_at >= ? {{only}} GROUP BY to_organization_id"
        ),
        vec![now.into(), since.into()],
    );
    for (org, [on_time, late]) in counts::<2>(conn, &sql, values).await? {
        let r = out.entry(org).or_default();
        r.referrals_on_time = on_time;
        r.referrals_late = late;
    }

    // The audit log's detail is JSON text written by `serde_json` (no spaces), so a key is
    // found by its quoted name.
    let (sql, values) = rows(
        "a.organization_id",
        "SELECT a.organization_id, \
         COALESCE(SUM(CASE WHEN a.action IN ('need.post', 'need.edit') AND a.outcome = 'denied' \
             AND a.detail LIKE '%\"data_quality\"%' THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN a.action = 'claim.confirm' AND a.outcome = 'ok' \
             AND a.detail LIKE '%\"after_dispute\":true%' AND a.actor_kind = 'staff' \
             AND EXISTS (SELECT 1 FROM staff s WHERE CAST(s.id AS TEXT) = a.actor_id AND s.organization_id IS NULL) \
             THEN 1 ELSE 0 END), 0) \
         FROM audit_log a \
         WHERE a.at >= ? AND a.organization_id IS NOT NULL \
         AND a.action IN ('need.post', 'need.edit', 'claim.confirm') {only} \
         GROUP BY a.organization_id"
            .to_owned(),
        vec![since.into()],
    );
    for (org, [refusals, lost]) in counts::<2>(conn, &sql, values).await? {
        let r = out.entry(org).or_default();
        r.data_quality_refusals = refusals;
        r.disputes_lost = lost;
    }
    Ok(out)
}

/// Rows of an organization id and `N` counts.
async fn counts<const N: usize>(
    conn: &impl ConnectionTrait,
    sql: &str,
    values: Vec<sea_orm::Value>,
) -> Result<Vec<(i64, [u32; N])>, ServiceError> {
    let rows = conn.query_all_raw(db::statement(conn, sql, values)).await?;
    rows.iter()
        .map(|row| {
            let mut counts = [0u32; N];
            for (i, count) in counts.iter_mut().enumerate() {
                *count = u32::try_from(int(row, i + 1)?).unwrap_or(0);
            }
            Ok((int(row, 0)?, counts))
        })
        .collect()
}

/// An integer column: BIGINT, SUM and COUNT read as i64, INTEGER as i32.
fn int(row: &QueryResult, i: usize) -> Result<i64, ServiceError> {
    row.try_get_by_index::<i64>(i)
        .or_else(|_| row.try_get_by_index::<i32>(i).map(i64::from))
        .map_err(|e| ServiceError::Internal(e.to_string()))
}
