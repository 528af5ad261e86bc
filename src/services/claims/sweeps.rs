//! The jobs' work on claims: lapse the overdue, remind at half time. Each claim is its own
//! transaction and every step a conditional update, so several processes may run them.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::transition::give_back;
use crate::db;
use crate::domain::ClaimStatus;
use crate::domain::claim::GRACE_DAYS;
use crate::domain::time::local_date;
use crate::entities::{claim, merchant, need};
use crate::services::audit::{self, Actor, Entry};
use crate::services::merchants::refresh_credit;
use crate::services::outbox::{ClaimFacts, ClaimLapsed, ClaimNotice, Notification, enqueue};
use crate::services::{ServiceError, recipients};

/// Lapses active claims past their due date plus grace; their units return to the need.
/// Each claim is its own transaction; safe in several processes. Returns how many lapsed.
pub async fn lapse_overdue(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<u64, ServiceError> {
    let cutoff = now - Duration::days(GRACE_DAYS);
    let due: Vec<(i64, i64)> = claim::Entity::find()
        .select_only()
        .column(claim::Column::Id)
        .column(claim::Column::MerchantId)
        .filter(claim::Column::Status.eq(ClaimStatus::Active))
        .filter(claim::Column::DueAt.lte(cutoff))
        .order_by_asc(claim::Column::Id)
        .limit(500)
        .into_tuple()
        .all(db)
        .await?;
    let mut lapsed = 0;
    for (claim_id, merchant_id) in due {
        if lapse_claim(db, claim_id, merchant_id, now).await? {
            lapsed += 1;
        }
    }
    Ok(lapsed)
}

/// Lapses claim `claim_id` of merchant `merchant_id` if it is still active and past its
/// due date plus grace at `now`, in its own transaction; false if it had moved on. The
/// demo lapses its own claim with it, leaving everyone else's to the job.
pub(crate) async fn lapse_claim(
    db: &DatabaseConnection,
    claim_id: i64,
    merchant_id: i64,
    now: DateTime<Utc>,
) -> Result<bool, ServiceError> {
    let cutoff = now - Duration::days(GRACE_DAYS);
    let txn = db::begin_write(db).await?;
    db::lock_merchant(&txn, merchant_id).await?;
    let Some(c) = claim::Entity::find_by_id(claim_id).one(&txn).await? else {
        return Ok(false);
    };
    let Some(need) = db::lock_need(&txn, c.need_id).await? else {
        return Ok(false);
    };
    if c.merchant_id != merchant_id
        || c.status != ClaimStatus::Active
        || c.due_at > cutoff
        || !give_back(&txn, &c, ClaimStatus::Lapsed, now).await?
    {
        return Ok(false); // delivered, released or lapsed meanwhile
    }
    refresh_credit(&txn, merchant_id, now).await?;
    audit::record(
        &txn,
        now,
        Entry::ok(Actor::System, "claim.lapse")
            .subject("claim", c.id)
            .organization(Some(need.organization_id)),
    )
    .await?;
    if let Some(m) = merchant::Entity::find_by_id(merchant_id).one(&txn).await? {
        let lapsed_notice = Notification::MerchantClaimLapsed(super::notice(&c, &need));
        enqueue(
            &txn,
            recipients::merchant(&m, &lapsed_notice, format!("claim:{}:merchant-lapsed", c.id)),
            now,
        )
        .await?;
        let parties = recipients::of_need(&txn, &need).await?;
        let to_worker = Notification::WorkerClaimLapsed(ClaimLapsed {
            merchant_name: m.name.clone(),
            claim: ClaimFacts {
                claim_id: Some(c.id),
                need_id: need.id,
                title: need.title.clone(),
                quantity: i64::from(c.quantity),
                unit: need.unit.clone(),
                category: Some(need.category.clone()),
            },
        });
        if let Some(msg) = parties.worker(&to_worker, format!("claim:{}:worker-lapsed", c.id)) {
            enqueue(&txn, msg, now).await?;
        }
    }
    txn.commit().await?;
    Ok(true)
}

/// Queues the half-time reminder of active claims once. Returns how many were queued.
pub async fn remind_due(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<u64, ServiceError> {
    let due = claim::Entity::find()
        .filter(claim::Column::Status.eq(ClaimStatus::Active))
        .filter(claim::Column::RemindAt.lte(now))
        .filter(claim::Column::RemindedAt.is_null())
        .order_by_asc(claim::Column::Id)
        .limit(500)
        .all(db)
        .await?;
    let mut reminded = 0;
    for c in due {
        let txn = db::begin_write(db).await?;
        // Only the process whose update lands sends the reminder.
        let marked = claim::Entity::update_many()
            .col_expr(claim::Column::RemindedAt, Expr::val(now))
            .filter(claim::Column::Id.eq(c.id))
            .filter(claim::Column::Status.eq(ClaimStatus::Active))
            .filter(claim::Column::RemindedAt.is_null())
            .exec(&txn)
            .await?;
        if marked.rows_affected == 1
            && let (Some(m), Some(need)) = (
                merchant::Entity::find_by_id(c.merchant_id).one(&txn).await?,
                need::Entity::find_by_id(c.need_id).one(&txn).await?,
            )
        {
            let reminder = Notification::MerchantClaimReminder(ClaimNotice {
                due_date: Some(local_date(c.due_at).to_string()),
                ..super::notice(&c, &need)
            });
            enqueue(
                &txn,
                recipients::merchant(&m, &reminder, format!("claim:{}:reminder-half", c.id)),
                now,
            )
            .await?;
            reminded += 1;
        }
        txn.commit().await?;
    }
    Ok(reminded)
}
