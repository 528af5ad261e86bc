//! Pushes to merchants: a new need that fits a merchant's active offer (same category, a
//! community the offer serves), and the reminder the day before a claim is due. Both are
//! outbox rows with a dedupe key per (need, merchant) or per claim, so repeating never
//! sends twice. The matching issue refines who is alerted and how often.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::outbox::enqueue;
use super::{ServiceError, recipients};
use crate::db;
use crate::domain::time::local_date;
use crate::domain::{ClaimStatus, PartyStatus};
use crate::entities::{claim, merchant, need};

/// Queues an alert of `need` to every approved merchant with an active offer it fits.
/// Runs in the transaction that posts the need. Returns how many were queued.
pub async fn queue_for_need<C: ConnectionTrait>(
    txn: &C,
    need: &need::Model,
    now: DateTime<Utc>,
) -> Result<u64, ServiceError> {
    let sql = "SELECT DISTINCT o.merchant_id FROM offers o \
        JOIN offer_communities oc ON oc.offer_id = o.id \
        JOIN merchants m ON m.id = o.merchant_id \
        WHERE o.status = 'active' AND o.category = ? AND oc.community_id = ? AND m.status = ? \
        ORDER BY o.merchant_id";
    let stmt = db::statement(
        txn,
        sql,
        vec![
            need.category.clone().into(),
            need.community_id.into(),
            PartyStatus::Approved.as_str().into(),
        ],
    );
    let mut queued = 0;
    for row in txn.query_all_raw(stmt).await? {
        let merchant_id: i64 = row
            .try_get_by_index(0)
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        let Some(m) = merchant::Entity::find_by_id(merchant_id).one(txn).await? else {
            continue;
        };
        // The card is rendered when sent, from the need as it is then (and skipped if closed).
        let payload = serde_json::json!({ "need_id": need.id, "title": need.title });
        let message = recipients::merchant(
            &m,
            "merchant-need-alert",
            payload,
            format!("need:{}:alert:merchant:{}", need.id, m.id),
        );
        if enqueue(txn, message, now).await? {
            queued += 1;
        }
    }
    Ok(queued)
}

/// Queues the reminder of active claims due within a day, once per claim. Claims whose
/// whole lease is two days or less get only the half-time reminder.
pub async fn queue_due_tomorrow(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<u64, ServiceError> {
    let due = claim::Entity::find()
        .filter(claim::Column::Status.eq(ClaimStatus::Active.as_str()))
        .filter(claim::Column::DueAt.gt(now))
        .filter(claim::Column::DueAt.lte(now + Duration::days(1)))
        .order_by_asc(claim::Column::Id)
        .limit(500)
        .all(db)
        .await?;
    let mut queued = 0;
    for c in due.into_iter().filter(|c| c.due_at - c.created_at > Duration::days(2)) {
        let (Some(m), Some(n)) = (
            merchant::Entity::find_by_id(c.merchant_id).one(db).await?,
            need::Entity::find_by_id(c.need_id).one(db).await?,
        ) else {
            continue;
        };
        let payload = serde_json::json!({ "claim_id": c.id, "need_id": n.id, "title": n.title, "quantity": c.quantity, "unit": n.unit, "due_date": local_date(c.due_at).to_string(), "stage": "day_before" });
        let message = recipients::merchant(
            &m,
            "merchant-claim-reminder",
            payload,
            format!("claim:{}:reminder-day-before", c.id),
        );
        if enqueue(db, message, now).await? {
            queued += 1;
        }
    }
    Ok(queued)
}
