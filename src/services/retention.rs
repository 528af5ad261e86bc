//! Retention: what is kept how long. Run by the periodic jobs; every step works in bounded
//! batches, each its own short write transaction, so the write lock is never held long.
//!
//! | data | kept | then |
//! |---|---|---|
//! | Telegram update payloads (they hold Telegram users' names) | 7 days after receipt, once handled or failed | reduced to `{"update_id": N}` |
//! | login-throttle rows | until their window and any lock-out have passed | deleted |
//! | idempotency records (the first answer to an API request) | 7 days | deleted |
//! | web sessions | until their absolute expiry (12 h), revoked or not | deleted |
//! | unverified organization applications (a stranger's name and email) | until their verification link expires (48 h) | deleted |
//! | dead outbox messages | 90 days after they were queued | row kept; recipient, payload and error blanked |
//! | the audit log | for good | sealed into a hash chain (`services::audit_chain`) |

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, Value};

use crate::db::{begin_write, statement};
use crate::domain::OutboxStatus;
use crate::services::sessions::THROTTLE_WINDOW;

/// Telegram update payloads are reduced to their ids after this.
pub const TELEGRAM_PAYLOADS: Duration = Duration::days(7);
/// Idempotency records are deleted after this.
pub const IDEMPOTENCY_RECORDS: Duration = Duration::days(7);
/// Dead outbox messages lose their recipient and body after this.
pub const DEAD_OUTBOX_BODIES: Duration = Duration::days(90);
/// Rows changed per transaction.
pub const BATCH: u64 = 500;

/// What one run pruned.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PruneReport {
    /// Telegram updates reduced to their ids.
    pub telegram_updates: u64,
    /// Login-throttle rows deleted.
    pub login_throttles: u64,
    /// Idempotency records deleted.
    pub idempotency_records: u64,
    /// Web sessions deleted.
    pub sessions: u64,
    /// Dead outbox messages blanked.
    pub outbox_bodies: u64,
    /// Unverified organization applications deleted once their link expired.
    pub unverified_applications: u64,
}

impl PruneReport {
    /// True when nothing was pruned.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// Applies every retention period as of `now`.
pub async fn prune(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<PruneReport, DbErr> {
    let telegram_updates = in_batches(
        db,
        // The payload becomes the bare id; `update_id` is an integer, so this is valid JSON.
        "UPDATE telegram_updates SET payload = '{\"update_id\":' || CAST(update_id AS TEXT) || '}', last_error = NULL \
         WHERE update_id IN (SELECT update_id FROM telegram_updates \
           WHERE status <> 'pending' AND received_at < ? AND payload <> ('{\"update_id\":' || CAST(update_id AS TEXT) || '}') LIMIT ?)",
        vec![(now - TELEGRAM_PAYLOADS).into()],
    )
    .await?;
    let login_throttles = in_batches(
        db,
        "DELETE FROM login_throttles WHERE throttle_key IN (SELECT throttle_key FROM login_throttles \
           WHERE window_started_at < ? AND (locked_until IS NULL OR locked_until < ?) LIMIT ?)",
        vec![(now - THROTTLE_WINDOW).into(), now.into()],
    )
    .await?;
    let idempotency_records = in_batches(
        db,
        "DELETE FROM idempotency_records WHERE (scope, idem_key) IN (SELECT scope, idem_key FROM idempotency_records \
           WHERE created_at < ? LIMIT ?)",
        vec![(now - IDEMPOTENCY_RECORDS).into()],
    )
    .await?;
    let sessions = in_batches(
        db,
        "DELETE FROM web_sessions WHERE id_digest IN (SELECT id_digest FROM web_sessions WHERE expires_at < ? LIMIT ?)",
        vec![now.into()],
    )
    .await?;
    let outbox_bodies = in_batches(
        db,
        &format!(
            "UPDATE outbox SET recipient = '', payload = '{{}}', last_error = NULL \
             WHERE id IN (SELECT id FROM outbox WHERE status = '{}' AND created_at < ? AND payload <> '{{}}' LIMIT ?)",
            OutboxStatus::Dead.as_str()
        ),
        vec![(now - DEAD_OUTBOX_BODIES).into()],
    )
    .await?;
    let unverified_applications = in_batches(
        db,
        "DELETE FROM organization_applications WHERE id IN (SELECT id FROM organization_applications \
           WHERE status = 'unverified' AND verify_expires_at < ? LIMIT ?)",
        vec![now.into()],
    )
    .await?;
    Ok(PruneReport {
        unverified_applications,
        telegram_updates,
        login_throttles,
        idempotency_records,
        sessions,
        outbox_bodies,
    })
}

/// Runs `sql` (with `values`, then the batch size, as its parameters) until a batch changes
/// fewer than [`BATCH`] rows; returns how many rows changed in all.
async fn in_batches(db: &DatabaseConnection, sql: &str, values: Vec<Value>) -> Result<u64, DbErr> {
    let mut total = 0;
    loop {
        let txn = begin_write(db).await?;
        let changed = txn
            .execute_raw(statement(
                &txn,
                sql,
                values.iter().cloned().chain([Value::from(BATCH as i64)]).collect(),
            ))
            .await?
            .rows_affected();
        txn.commit().await?;
        total += changed;
        if changed < BATCH {
            return Ok(total);
        }
    }
}
