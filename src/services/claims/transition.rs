//! The one way a claim moves: its need locked first (every claim move takes that lock), the
//! event checked against the state machine, a conditional update, then the audit row, the
//! notices and the reloaded claim, all in one transaction.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{CaseStatement, Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};

use super::ClaimRecord;
use super::queries::reload;
use crate::db;
use crate::domain::{ClaimEvent, ClaimStatus, Lease, NeedStatus};
use crate::entities::{claim, merchant, need};
use crate::services::access::Caller;
use crate::services::audit::{self, Entry};
use crate::services::outbox::{Delivery, Message, enqueue_all};
use crate::services::{ServiceError, recipients};

/// A claim being moved: its need locked inside an open write transaction.
pub(super) struct Transition {
    txn: db::WriteTxn,
    /// The claim, read under the need's lock.
    pub claim: claim::Model,
    /// Its need, locked.
    pub need: need::Model,
}

impl Transition {
    /// The caller's own claim (merchants only); others get "not found", audited.
    pub async fn own(
        db: &DatabaseConnection,
        caller: &Caller,
        claim_id: i64,
        action: &str,
        now: DateTime<Utc>,
    ) -> Result<Self, ServiceError> {
        let txn = db::begin_write(db).await?;
        let (txn, claim, need) = own_claim_locked(txn, caller, claim_id, action, now).await?;
        Ok(Self { txn, claim, need })
    }

    /// A claim on a need of the caller's organization (or any, for the office); others get
    /// "not found", audited.
    pub async fn org(
        db: &DatabaseConnection,
        caller: &Caller,
        claim_id: i64,
        action: &str,
        now: DateTime<Utc>,
    ) -> Result<Self, ServiceError> {
        let txn = db::begin_write(db).await?;
        let (txn, claim, need) = org_claim_locked(txn, caller, claim_id, action, now).await?;
        Ok(Self { txn, claim, need })
    }

    /// [`Transition::org`] holding the merchant's lock first, for a move that changes the
    /// merchant's record (the claim path takes the same lock, in the same order).
    pub async fn org_locking_merchant(
        db: &DatabaseConnection,
        caller: &Caller,
        claim_id: i64,
        action: &str,
        now: DateTime<Utc>,
    ) -> Result<Self, ServiceError> {
        let peek = claim::Entity::find_by_id(claim_id)
            .one(db)
            .await?
            .ok_or(ServiceError::NotFound("claim"))?;
        let txn = db::begin_write(db).await?;
        db::lock_merchant(&txn, peek.merchant_id).await?;
        let (txn, claim, need) = org_claim_locked(txn, caller, claim_id, action, now).await?;
        Ok(Self { txn, claim, need })
    }

    /// Commits what was written so far (a refusal's audit row, a counted wrong code).
    pub async fn commit(self) -> Result<(), ServiceError> {
        Ok(self.txn.commit().await?)
    }

    /// The open transaction.
    pub fn txn(&self) -> &db::WriteTxn {
        &self.txn
    }

    /// Where the claim stands.
    pub fn status(&self) -> Result<ClaimStatus, ServiceError> {
        Ok(self.claim.status)
    }

    /// Refuses `event` unless the state machine allows it from where the claim stands.
    pub fn check(&self, event: ClaimEvent) -> Result<ClaimStatus, ServiceError> {
        Ok(self.status()?.apply(event)?)
    }

    /// Moves the claim from `from` to `to`; `extra` sets more columns.
    pub async fn move_to(
        &self,
        from: ClaimStatus,
        to: ClaimStatus,
        extra: impl FnOnce(sea_orm::UpdateMany<claim::Entity>) -> sea_orm::UpdateMany<claim::Entity>,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        move_claim(&self.txn, &self.claim, from, to, extra, now).await
    }

    /// Ends the claim as released, giving its units back to the need.
    pub async fn release(&self, now: DateTime<Utc>) -> Result<(), ServiceError> {
        if !give_back(&self.txn, &self.claim, ClaimStatus::Released, now).await? {
            return Err(ServiceError::Conflict("the claim changed meanwhile; try again".into()));
        }
        Ok(())
    }

    /// The claim's merchant.
    pub async fn merchant(&self) -> Result<merchant::Model, ServiceError> {
        merchant::Entity::find_by_id(self.claim.merchant_id)
            .one(&self.txn)
            .await?
            .ok_or(ServiceError::NotFound("merchant"))
    }

    /// The people to tell about the claim's need.
    pub async fn parties(&self) -> Result<recipients::NeedParties, ServiceError> {
        Ok(recipients::of_need(&self.txn, &self.need).await?)
    }

    /// Records `entry`, queues `messages`, and commits; returns the claim as it is now
    /// (with its handoff code when `show_code`, for the merchant).
    pub async fn finish(
        self,
        entry: Entry<'_>,
        messages: impl IntoIterator<Item = Message>,
        show_code: bool,
        now: DateTime<Utc>,
    ) -> Result<ClaimRecord, ServiceError> {
        audit::record(&self.txn, now, entry).await?;
        let messages = messages.into_iter().map(|m| (m, Delivery::Send)).collect();
        enqueue_all(&self.txn, messages, now).await?;
        let record = reload(&self.txn, self.claim.id, show_code).await?;
        self.txn.commit().await?;
        Ok(record)
    }
}

/// The columns of a fresh lease: a new due date and reminder, not delivered.
pub(super) fn renew(u: sea_orm::UpdateMany<claim::Entity>, lease: &Lease) -> sea_orm::UpdateMany<claim::Entity> {
    u.col_expr(claim::Column::DueAt, Expr::val(lease.due_at))
        .col_expr(claim::Column::RemindAt, Expr::val(lease.remind_at))
        .col_expr(claim::Column::RemindedAt, Expr::val(Option::<DateTime<Utc>>::None))
        .col_expr(claim::Column::DeliveredAt, Expr::val(Option::<DateTime<Utc>>::None))
}

/// Ends a live, unconfirmed claim as `to` (released or lapsed) and gives its units back to
/// the need, reopening it if it was fully claimed. Returns false if the claim had already
/// moved on. The caller holds the need's lock.
pub(crate) async fn give_back<C: ConnectionTrait>(
    txn: &C,
    c: &claim::Model,
    to: ClaimStatus,
    now: DateTime<Utc>,
) -> Result<bool, ServiceError> {
    let ended = claim::Entity::update_many()
        .col_expr(claim::Column::Status, Expr::val(to))
        .col_expr(claim::Column::EndedAt, Expr::val(now))
        .col_expr(claim::Column::Version, Expr::col(claim::Column::Version).add(1))
        .col_expr(claim::Column::UpdatedAt, Expr::val(now))
        .filter(claim::Column::Id.eq(c.id))
        .filter(claim::Column::Status.is_in(ClaimStatus::HOLDING))
        .exec(txn)
        .await?;
    if ended.rows_affected != 1 {
        return Ok(false);
    }
    let was_full = Expr::col(need::Column::Status).eq(NeedStatus::FullyClaimed);
    need::Entity::update_many()
        .col_expr(need::Column::Claimed, Expr::col(need::Column::Claimed).sub(c.quantity))
        .col_expr(
            need::Column::Status,
            CaseStatement::new()
                .case(was_full.clone(), Expr::val(NeedStatus::Open))
                .finally(Expr::col(need::Column::Status))
                .into(),
        )
        .col_expr(
            need::Column::ReopenedAt,
            CaseStatement::new()
                .case(was_full, Expr::val(now))
                .finally(Expr::col(need::Column::ReopenedAt))
                .into(),
        )
        .col_expr(need::Column::Version, Expr::col(need::Column::Version).add(1))
        .col_expr(need::Column::UpdatedAt, Expr::val(now))
        .filter(need::Column::Id.eq(c.need_id))
        .exec(txn)
        .await?;
    Ok(true)
}

/// Moves a claim from `from` to `to` with a conditional update; `extra` sets more columns.
async fn move_claim<C: ConnectionTrait>(
    txn: &C,
    c: &claim::Model,
    from: ClaimStatus,
    to: ClaimStatus,
    extra: impl FnOnce(sea_orm::UpdateMany<claim::Entity>) -> sea_orm::UpdateMany<claim::Entity>,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let update = claim::Entity::update_many()
        .col_expr(claim::Column::Status, Expr::val(to))
        .col_expr(claim::Column::Version, Expr::col(claim::Column::Version).add(1))
        .col_expr(claim::Column::UpdatedAt, Expr::val(now))
        .filter(claim::Column::Id.eq(c.id))
        .filter(claim::Column::Status.eq(from));
    let moved = extra(update).exec(txn).await?;
    if moved.rows_affected != 1 {
        return Err(ServiceError::Conflict("the claim changed meanwhile; try again".into()));
    }
    Ok(())
}

/// The caller's own claim (merchants only), with its need locked; others get "not found".
async fn own_claim_locked(
    txn: db::WriteTxn,
    caller: &Caller,
    claim_id: i64,
    action: &str,
    now: DateTime<Utc>,
) -> Result<(db::WriteTxn, claim::Model, need::Model), ServiceError> {
    let found = claim::Entity::find_by_id(claim_id).one(&txn).await?;
    let Some(peek) = found else {
        return Err(ServiceError::NotFound("claim"));
    };
    if caller.merchant_id() != Some(peek.merchant_id) {
        // The refusal is audited and committed; the caller sees the same answer as for a
        // claim that does not exist.
        audit::record(
            &txn,
            now,
            Entry::denied(caller.actor(), action).subject("claim", claim_id),
        )
        .await?;
        txn.commit().await?;
        return Err(ServiceError::NotFound("claim"));
    }
    let need = db::lock_need(&txn, peek.need_id)
        .await?
        .ok_or(ServiceError::NotFound("claim"))?;
    // Re-read under the need's lock: every claim move takes that lock first.
    let c = claim::Entity::find_by_id(claim_id)
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound("claim"))?;
    Ok((txn, c, need))
}

/// A claim on a need of the caller's organization (or any, for the office), with its need
/// locked; others get "not found".
async fn org_claim_locked(
    txn: db::WriteTxn,
    caller: &Caller,
    claim_id: i64,
    action: &str,
    now: DateTime<Utc>,
) -> Result<(db::WriteTxn, claim::Model, need::Model), ServiceError> {
    let peek = claim::Entity::find_by_id(claim_id)
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound("claim"))?;
    let need = db::lock_need(&txn, peek.need_id)
        .await?
        .ok_or(ServiceError::NotFound("claim"))?;
    if caller.merchant_id().is_some() || !caller.org_scope().permits(&txn, need.organization_id).await? {
        audit::record(
            &txn,
            now,
            Entry::denied(caller.actor(), action)
                .subject("claim", claim_id)
                .organization(caller.organization_id()),
        )
        .await?;
        txn.commit().await?;
        return Err(ServiceError::NotFound("claim"));
    }
    let c = claim::Entity::find_by_id(claim_id)
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound("claim"))?;
    Ok((txn, c, need))
}
