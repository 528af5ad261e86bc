//! Claims: a merchant claims part or all of a need, delivers, and the social worker
//! confirms. Claiming is one conditional UPDATE of the need's counters and one INSERT, in
//! one transaction: it can never oversell, on SQLite or PostgreSQL.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{CaseStatement, Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, FromQueryResult, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use super::access::{Caller, OrgScope};
use super::audit::{self, Actor, Entry};
use super::error::is_unique_violation;
use super::needs::{lock_need, parse_status};
use super::outbox::{Delivery, enqueue, enqueue_all};
use super::{ServiceError, recipients};
use crate::domain::claim::DisputeResolution;
use crate::domain::claim::{GRACE_DAYS, new_handoff_code};
use crate::domain::codes::normalize_code;
use crate::domain::input::{self, FieldError, FieldErrors};
use crate::domain::record::{ClaimAllowance, MerchantRecord};
use crate::domain::time::local_date;
use crate::domain::{ClaimEvent, ClaimStatus, Lease, NeedStatus, PartyStatus, Quantity};
use crate::entities::{claim, drop_off_point, idempotency_record, merchant, need};
use crate::{crypto, db};

/// A claim as its merchant, the owning organization or the office sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimRecord {
    /// The claim's id.
    pub id: i64,
    /// The need claimed.
    pub need_id: i64,
    /// The need's public title.
    pub need_title: String,
    /// The merchant.
    pub merchant_id: i64,
    /// The merchant's public name.
    pub merchant_name: String,
    /// Units claimed.
    pub quantity: i32,
    /// The unit.
    pub unit: String,
    /// Where it stands.
    pub status: ClaimStatus,
    /// Code the merchant shows at the drop-off point; only the merchant sees it.
    pub handoff_code: Option<String>,
    /// Deliver by then.
    pub due_at: DateTime<Utc>,
    /// When the merchant said it delivered.
    pub delivered_at: Option<DateTime<Utc>>,
    /// When the social worker confirmed.
    pub confirmed_at: Option<DateTime<Utc>>,
    /// The social worker's rating, 1–5.
    pub rating: Option<i16>,
    /// Wrong handoff codes were entered [`HANDOFF_TRIES`] times: only the office confirms it.
    pub handoff_locked: bool,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// True for volunteer hours: served, not delivered.
    pub hours: bool,
    /// Why the social worker disputed the delivery, if it ever did (public text).
    pub dispute_reason: Option<String>,
    /// The merchant's note when it said it delivered again after the dispute.
    pub dispute_answer: Option<String>,
}

/// The result of a claim request.
#[derive(Debug, Clone)]
pub struct ClaimOutcome {
    /// The claim.
    pub claim: ClaimRecord,
    /// True when this answers a retry of an earlier request with the same key.
    pub replayed: bool,
}

/// Active claims count against the limit; so do disputed ones, which still await delivery.
const HOLDING: [&str; 2] = ["active", "disputed"];

/// Claims `quantity` units of need `need_id` for the calling merchant. With `key`, a retry
/// (even a concurrent one) returns the first result and never claims twice.
pub async fn claim_need(
    db: &DatabaseConnection,
    caller: &Caller,
    need_id: i64,
    quantity: i32,
    key: Option<&str>,
    now: DateTime<Utc>,
) -> Result<ClaimOutcome, ServiceError> {
    claim_with(db, caller, need_id, quantity, key, now, Delivery::Send).await
}

/// [`claim_need`] for the bot, whose reply carries the merchant's confirmation: it is kept
/// as shown rather than queued, so the merchant never gets it twice.
pub async fn claim_need_in_chat(
    db: &DatabaseConnection,
    caller: &Caller,
    need_id: i64,
    quantity: i32,
    key: &str,
    now: DateTime<Utc>,
) -> Result<ClaimOutcome, ServiceError> {
    claim_with(db, caller, need_id, quantity, Some(key), now, Delivery::ShownInReply).await
}

async fn claim_with(
    db: &DatabaseConnection,
    caller: &Caller,
    need_id: i64,
    quantity: i32,
    key: Option<&str>,
    now: DateTime<Utc>,
    confirmation: Delivery,
) -> Result<ClaimOutcome, ServiceError> {
    let Some(merchant_id) = caller.merchant_id() else {
        return Err(ServiceError::Forbidden);
    };
    let key = key.map(str::trim).filter(|k| !k.is_empty());
    if let Some(k) = key
        && (k.len() > 200 || !k.chars().all(|c| c.is_ascii_graphic()))
    {
        return Err(ServiceError::invalid(
            "idempotency_key",
            "use at most 200 visible ASCII characters",
        ));
    }
    let request_digest = crypto::sha256_hex(&format!("{need_id}|{quantity}"));
    let scope = format!("claim:merchant:{merchant_id}");

    let txn = db::begin_write(db).await?;
    db::lock_merchant(&txn, merchant_id).await?;
    if let Some(k) = key
        && let Some(done) = replay(&txn, merchant_id, &scope, k, need_id, quantity, &request_digest).await?
    {
        txn.commit().await?;
        return done.map(|claim| ClaimOutcome { claim, replayed: true });
    }
    match claim_in(&txn, caller, merchant_id, need_id, quantity, key, now, confirmation).await {
        Ok(claim) => {
            txn.commit().await?;
            Ok(ClaimOutcome { claim, replayed: false })
        }
        Err(ServiceError::Db(e)) if key.is_some() && is_unique_violation(&e) => {
            // A concurrent request with the same key won; answer with its claim.
            txn.rollback().await?;
            let k = key.unwrap_or_default();
            let again = replay(db, merchant_id, &scope, k, need_id, quantity, &request_digest).await?;
            match again {
                Some(done) => done.map(|claim| ClaimOutcome { claim, replayed: true }),
                None => Err(ServiceError::Db(e)),
            }
        }
        Err(refusal) if refusal.is_business_refusal() => {
            txn.rollback().await?;
            remember_refusal(db, caller, &scope, key, need_id, &request_digest, &refusal, now).await?;
            Err(refusal)
        }
        Err(other) => Err(other),
    }
}

/// The claim itself, inside the caller's transaction.
#[expect(
    clippy::too_many_arguments,
    reason = "inputs named at their few callers; a request struct comes with the claims module split"
)]
async fn claim_in<C: ConnectionTrait>(
    txn: &C,
    caller: &Caller,
    merchant_id: i64,
    need_id: i64,
    quantity: i32,
    key: Option<&str>,
    now: DateTime<Utc>,
    confirmation: Delivery,
) -> Result<ClaimRecord, ServiceError> {
    if let Err(error) = Quantity::new(quantity.into()) {
        let mut errors = FieldErrors::default();
        errors.push("quantity", error);
        return Err(ServiceError::Validation(errors));
    }
    let (merchant, record, holding) = merchant_with_record(txn, merchant_id, now).await?;
    if merchant.status != PartyStatus::Approved.as_str() {
        // Audited by remember_refusal, after this transaction is rolled back.
        return Err(ServiceError::MerchantNotApproved);
    }
    match record.claim_allowance() {
        ClaimAllowance::DeliverFirst => return Err(ServiceError::DeliverFirst),
        ClaimAllowance::UpTo(limit) if holding >= u64::from(limit) => {
            return Err(ServiceError::ClaimLimitReached { limit });
        }
        ClaimAllowance::UpTo(_) => {}
    }

    // The one conditional update: it changes the row only if the need is open and enough
    // is left, so concurrent claims can never take more than the quantity.
    let became_full = Expr::col(need::Column::Claimed)
        .add(quantity)
        .eq(Expr::col(need::Column::Quantity));
    let updated = need::Entity::update_many()
        .col_expr(need::Column::Claimed, Expr::col(need::Column::Claimed).add(quantity))
        .col_expr(
            need::Column::Status,
            CaseStatement::new()
                .case(became_full, Expr::val(NeedStatus::FullyClaimed.as_str()))
                .finally(Expr::col(need::Column::Status))
                .into(),
        )
        .col_expr(need::Column::Version, Expr::col(need::Column::Version).add(1))
        .col_expr(need::Column::UpdatedAt, Expr::val(now))
        .filter(need::Column::Id.eq(need_id))
        .filter(need::Column::Status.eq(NeedStatus::Open.as_str()))
        .filter(
            Expr::col(need::Column::Quantity)
                .sub(Expr::col(need::Column::Claimed))
                .gte(quantity),
        )
        .exec_with_returning(txn)
        .await?;
    let Some(need) = updated.into_iter().next() else {
        // Why not: a fully claimed need has nothing left; closed needs are "not open".
        let need = need::Entity::find_by_id(need_id)
            .one(txn)
            .await?
            .ok_or(ServiceError::NotFound("need"))?;
        return Err(match parse_status(&need.status)? {
            NeedStatus::Open | NeedStatus::FullyClaimed => ServiceError::NotEnoughLeft {
                left: need.quantity - need.claimed,
            },
            closed => ServiceError::NeedNotOpen(closed),
        });
    };

    let lease = Lease::new(now, i64::from(need.claim_days), need.deadline);
    let row = claim::ActiveModel {
        need_id: Set(need.id),
        merchant_id: Set(merchant_id),
        quantity: Set(quantity),
        status: Set(ClaimStatus::Active.as_str().to_owned()),
        handoff_code: Set(new_handoff_code()),
        idempotency_key: Set(key.map(str::to_owned)),
        due_at: Set(lease.due_at),
        remind_at: Set(lease.remind_at),
        reminded_at: Set(None),
        delivered_at: Set(None),
        confirmed_at: Set(None),
        ended_at: Set(None),
        rating: Set(None),
        version: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;

    audit::record(
        txn,
        now,
        Entry::ok(caller.actor(), "claim.create")
            .subject("claim", row.id)
            .organization(Some(need.organization_id))
            .detail(serde_json::json!({ "need_id": need.id, "quantity": quantity })),
    )
    .await?;
    let drop_off = match need.drop_off_point_id {
        Some(id) => drop_off_point::Entity::find_by_id(id).one(txn).await?,
        None => None,
    };
    let due_date = local_date(lease.due_at).to_string();
    let merchant_payload = serde_json::json!({
        "claim_id": row.id, "need_id": need.id, "title": need.title, "quantity": quantity, "unit": need.unit,
        "due_date": due_date, "handoff_code": row.handoff_code, "category": need.category,
        "drop_off": drop_off.as_ref().map(|d| serde_json::json!({ "name": d.name, "address": d.address, "opening_hours": d.opening_hours })),
    });
    let mut messages = vec![(
        recipients::merchant(
            &merchant,
            "merchant-claim-confirmed",
            merchant_payload,
            format!("claim:{}:merchant-claimed", row.id),
        ),
        confirmation,
    )];
    let parties = recipients::of_need(txn, &need).await?;
    let public = serde_json::json!({
        "claim_id": row.id, "need_id": need.id, "title": need.title, "merchant_name": merchant.name,
        "quantity": quantity, "unit": need.unit, "expected_date": due_date, "category": need.category,
    });
    messages.extend(
        [
            parties.resident(
                "resident-need-claimed",
                public.clone(),
                format!("claim:{}:resident-claimed", row.id),
            ),
            parties.worker(
                "worker-need-claimed",
                public,
                format!("claim:{}:worker-claimed", row.id),
            ),
        ]
        .into_iter()
        .flatten()
        .map(|m| (m, Delivery::Send)),
    );
    enqueue_all(txn, messages, now).await?;
    record_of(row, &need, &merchant, true)
}

/// The earlier answer to the same key, if there is one.
async fn replay<C: ConnectionTrait>(
    conn: &C,
    merchant_id: i64,
    scope: &str,
    key: &str,
    need_id: i64,
    quantity: i32,
    request_digest: &str,
) -> Result<Option<Result<ClaimRecord, ServiceError>>, ServiceError> {
    let earlier = claim::Entity::find()
        .filter(claim::Column::MerchantId.eq(merchant_id))
        .filter(claim::Column::IdempotencyKey.eq(key))
        .one(conn)
        .await?;
    if let Some(c) = earlier {
        if c.need_id != need_id || c.quantity != quantity {
            return Ok(Some(Err(ServiceError::IdempotencyKeyReused)));
        }
        return Ok(Some(load_record(conn, c, true).await));
    }
    let refused = idempotency_record::Entity::find_by_id((scope.to_owned(), key.to_owned()))
        .one(conn)
        .await?;
    Ok(refused.map(|r| {
        if r.request_digest != request_digest {
            return Err(ServiceError::IdempotencyKeyReused);
        }
        let body: serde_json::Value = serde_json::from_str(&r.response_body).unwrap_or_default();
        Err(super::error::refusal_from_json(&body)
            .unwrap_or(ServiceError::Internal("unreadable stored refusal".into())))
    }))
}

/// Stores a refusal under its key so a retry gets the same answer.
#[expect(
    clippy::too_many_arguments,
    reason = "inputs named at their few callers; a request struct comes with the claims module split"
)]
async fn remember_refusal(
    db: &DatabaseConnection,
    caller: &Caller,
    scope: &str,
    key: Option<&str>,
    need_id: i64,
    request_digest: &str,
    refusal: &ServiceError,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let txn = db::begin_write(db).await?;
    if matches!(refusal, ServiceError::MerchantNotApproved) {
        audit::record(
            &txn,
            now,
            Entry::denied(caller.actor(), "claim.create").subject("need", need_id),
        )
        .await?;
    }
    if let (Some(k), Some(body)) = (key, super::error::refusal_to_json(refusal)) {
        let row = idempotency_record::ActiveModel {
            scope: Set(scope.to_owned()),
            idem_key: Set(k.to_owned()),
            request_digest: Set(request_digest.to_owned()),
            status_code: Set(0),
            response_body: Set(body.to_string()),
            created_at: Set(now),
        };
        if let Err(e) = row.insert(&txn).await
            && !is_unique_violation(&e)
        {
            return Err(e.into());
        }
    }
    txn.commit().await?;
    Ok(())
}

/// The merchant gives a claim up; its units return to the need, which reopens.
pub async fn release(
    db: &DatabaseConnection,
    caller: &Caller,
    claim_id: i64,
    now: DateTime<Utc>,
) -> Result<ClaimRecord, ServiceError> {
    let txn = db::begin_write(db).await?;
    let (txn, c, need) = own_claim_locked(txn, caller, claim_id, "claim.release", now).await?;
    parse_claim_status(&c.status)?.apply(ClaimEvent::Release)?;
    if !give_back(&txn, &c, ClaimStatus::Released, now).await? {
        return Err(ServiceError::Conflict("the claim changed meanwhile; try again".into()));
    }
    audit::record(
        &txn,
        now,
        Entry::ok(caller.actor(), "claim.release")
            .subject("claim", c.id)
            .organization(Some(need.organization_id)),
    )
    .await?;
    let parties = recipients::of_need(&txn, &need).await?;
    let payload = serde_json::json!({ "claim_id": c.id, "need_id": need.id, "title": need.title, "quantity": c.quantity, "unit": need.unit });
    if let Some(m) = parties.worker(
        "worker-claim-released",
        payload,
        format!("claim:{}:worker-released", c.id),
    ) {
        enqueue(&txn, m, now).await?;
    }
    let record = reload(&txn, c.id, true).await?;
    txn.commit().await?;
    Ok(record)
}

/// The merchant says it delivered; the social worker is asked to confirm.
pub async fn mark_delivered(
    db: &DatabaseConnection,
    caller: &Caller,
    claim_id: i64,
    now: DateTime<Utc>,
) -> Result<ClaimRecord, ServiceError> {
    mark_delivered_with_note(db, caller, claim_id, "", now).await
}

/// [`mark_delivered`] with the merchant's note for the social worker (public text; blank for
/// none), shown in the email that asks the worker to confirm.
pub async fn mark_delivered_with_note(
    db: &DatabaseConnection,
    caller: &Caller,
    claim_id: i64,
    note: &str,
    now: DateTime<Utc>,
) -> Result<ClaimRecord, ServiceError> {
    let txn = db::begin_write(db).await?;
    let (txn, c, need) = own_claim_locked(txn, caller, claim_id, "claim.deliver", now).await?;
    let note = match input::note_to_worker(note, 0, DELIVERY_NOTE_MAX) {
        Ok(n) => Some(n).filter(|n| !n.is_empty()),
        Err(e) => {
            let mut errors = FieldErrors::default();
            errors.push("note", e);
            return Err(ServiceError::Validation(errors));
        }
    };
    parse_claim_status(&c.status)?.apply(ClaimEvent::MarkDelivered)?;
    // A claim that was disputed and taken up again: this delivery answers the dispute, and
    // its note is the merchant's answer on the need page.
    let redelivery = c.dispute_reason.is_some();
    let answer = note.clone().filter(|_| redelivery);
    move_claim(
        &txn,
        &c,
        ClaimStatus::Active,
        ClaimStatus::Delivered,
        |u| {
            let u = u.col_expr(claim::Column::DeliveredAt, Expr::val(now));
            match answer {
                Some(a) => u.col_expr(claim::Column::DisputeAnswer, Expr::val(Some(a))),
                None => u,
            }
        },
        now,
    )
    .await?;
    audit::record(
        &txn,
        now,
        Entry::ok(caller.actor(), "claim.deliver")
            .subject("claim", c.id)
            .organization(Some(need.organization_id)),
    )
    .await?;
    let parties = recipients::of_need(&txn, &need).await?;
    let merchant = merchant::Entity::find_by_id(c.merchant_id)
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound("merchant"))?;
    let payload = serde_json::json!({ "claim_id": c.id, "need_id": need.id, "title": need.title, "merchant_name": merchant.name, "quantity": c.quantity, "unit": need.unit, "category": need.category, "note": note, "reason": c.dispute_reason, "redelivery": redelivery });
    // Each delivery after a dispute is news of its own, not a repeat of the first.
    let dedupe_key = if redelivery {
        format!("claim:{}:worker-redelivered:{}", c.id, c.version + 1)
    } else {
        format!("claim:{}:worker-delivered", c.id)
    };
    if let Some(m) = parties.worker("worker-delivery-to-confirm", payload, dedupe_key) {
        enqueue(&txn, m, now).await?;
    }
    let record = reload(&txn, c.id, true).await?;
    txn.commit().await?;
    Ok(record)
}

/// The merchant takes a disputed claim up again, with a fresh lease.
pub async fn resume(
    db: &DatabaseConnection,
    caller: &Caller,
    claim_id: i64,
    now: DateTime<Utc>,
) -> Result<ClaimRecord, ServiceError> {
    let txn = db::begin_write(db).await?;
    let (txn, c, need) = own_claim_locked(txn, caller, claim_id, "claim.resume", now).await?;
    parse_claim_status(&c.status)?.apply(ClaimEvent::Resume)?;
    let lease = Lease::new(now, i64::from(need.claim_days), need.deadline);
    move_claim(
        &txn,
        &c,
        ClaimStatus::Disputed,
        ClaimStatus::Active,
        |u| {
            u.col_expr(claim::Column::DueAt, Expr::val(lease.due_at))
                .col_expr(claim::Column::RemindAt, Expr::val(lease.remind_at))
                .col_expr(claim::Column::RemindedAt, Expr::val(Option::<DateTime<Utc>>::None))
                .col_expr(claim::Column::DeliveredAt, Expr::val(Option::<DateTime<Utc>>::None))
        },
        now,
    )
    .await?;
    audit::record(
        &txn,
        now,
        Entry::ok(caller.actor(), "claim.resume").subject("claim", c.id),
    )
    .await?;
    let record = reload(&txn, c.id, true).await?;
    txn.commit().await?;
    Ok(record)
}

/// What a social worker enters to confirm a delivery.
#[derive(Debug, Clone, Default)]
pub struct Confirmation {
    /// 1–5, optional.
    pub rating: Option<String>,
    /// The merchant's handoff code, optional; with it an active claim is confirmed directly.
    pub handoff_code: Option<String>,
    /// The office confirms a claim locked by wrong handoff codes, after checking the delivery
    /// with the merchant and the organization (office staff only).
    pub by_office: bool,
}

/// Wrong handoff codes a claim takes; after them only the office confirms it.
pub const HANDOFF_TRIES: i32 = 5;

/// The social worker confirms a delivery (and may rate the merchant). With the right
/// handoff code, an active claim is confirmed without the merchant's "delivered" first.
///
/// Wrong codes are counted per claim by one conditional increment; after
/// [`HANDOFF_TRIES`] of them every confirmation is refused, the right code included
/// ([`ServiceError::HandoffLocked`]), until the office confirms (`by_office`) or allows new
/// tries ([`reset_handoff_tries`]). Both the page and the API come through here.
pub async fn confirm(
    db: &DatabaseConnection,
    caller: &Caller,
    claim_id: i64,
    confirmation: Confirmation,
    now: DateTime<Utc>,
) -> Result<ClaimRecord, ServiceError> {
    confirm_claim(db, caller, claim_id, confirmation, false, now).await
}

/// [`confirm`]; with `after_dispute` only a disputed claim is confirmed (a page older than
/// the claim's last move is refused rather than confirming something else).
async fn confirm_claim(
    db: &DatabaseConnection,
    caller: &Caller,
    claim_id: i64,
    confirmation: Confirmation,
    after_dispute: bool,
    now: DateTime<Utc>,
) -> Result<ClaimRecord, ServiceError> {
    let rating = match confirmation.rating.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
        Some(raw) => match input::number(raw, 1, 5) {
            Ok(n) => Some(n as i16),
            Err(e) => {
                let mut errors = FieldErrors::default();
                errors.push("rating", e);
                return Err(ServiceError::Validation(errors));
            }
        },
        None => None,
    };
    let code = confirmation
        .handoff_code
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    let peek = claim::Entity::find_by_id(claim_id)
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("claim"))?;
    let txn = db::begin_write(db).await?;
    db::lock_merchant(&txn, peek.merchant_id).await?;
    let (txn, c, need) = org_claim_locked(txn, caller, claim_id, "claim.confirm", now).await?;
    let status = parse_claim_status(&c.status)?;
    let office = confirmation.by_office && matches!(caller, Caller::Admin { .. });
    if confirmation.by_office && !office {
        return Err(ServiceError::Forbidden);
    }
    let locked = c.handoff_failures >= HANDOFF_TRIES;
    if locked && !office {
        audit::record(
            &txn,
            now,
            Entry::denied(caller.actor(), "claim.confirm")
                .subject("claim", c.id)
                .organization(Some(need.organization_id))
                .detail(serde_json::json!({ "handoff_locked": true })),
        )
        .await?;
        txn.commit().await?;
        return Err(ServiceError::HandoffLocked);
    }
    let wrong = |typed: &str| normalize_code(typed).as_deref() != Some(c.handoff_code.as_str());
    if after_dispute && status != ClaimStatus::Disputed {
        return Err(ServiceError::Conflict("the claim is no longer disputed".into()));
    }
    let from = match (status, code) {
        // The office confirms what it checked itself, active or delivered, without a code.
        (ClaimStatus::Active | ClaimStatus::Delivered, _) if office => status,
        (ClaimStatus::Active | ClaimStatus::Delivered | ClaimStatus::Disputed, Some(typed)) if wrong(typed) => {
            let locked_now = count_wrong_code(&txn, caller, &c, need.organization_id, now).await?;
            txn.commit().await?;
            return Err(if locked_now {
                ServiceError::HandoffLocked
            } else {
                ServiceError::WrongHandoffCode
            });
        }
        (ClaimStatus::Active, Some(_)) => ClaimStatus::Active,
        (s, _) => {
            s.apply(ClaimEvent::Confirm)?;
            s
        }
    };
    move_claim(
        &txn,
        &c,
        from,
        ClaimStatus::Confirmed,
        |u| {
            let u = u
                .col_expr(claim::Column::ConfirmedAt, Expr::val(now))
                .col_expr(claim::Column::Rating, Expr::val(rating))
                .col_expr(
                    claim::Column::DeliveredAt,
                    Expr::col(claim::Column::DeliveredAt).if_null(now),
                );
            // A lock that came in meanwhile holds: the move happens only below the limit.
            if office {
                u
            } else {
                u.filter(claim::Column::HandoffFailures.lt(HANDOFF_TRIES))
            }
        },
        now,
    )
    .await?;
    let fulfils = Expr::col(need::Column::Delivered)
        .add(c.quantity)
        .eq(Expr::col(need::Column::Quantity))
        .and(Expr::col(need::Column::Status).is_in([NeedStatus::Open.as_str(), NeedStatus::FullyClaimed.as_str()]));
    need::Entity::update_many()
        .col_expr(
            need::Column::Delivered,
            Expr::col(need::Column::Delivered).add(c.quantity),
        )
        .col_expr(
            need::Column::Status,
            CaseStatement::new()
                .case(fulfils, Expr::val(NeedStatus::Fulfilled.as_str()))
                .finally(Expr::col(need::Column::Status))
                .into(),
        )
        .col_expr(need::Column::Version, Expr::col(need::Column::Version).add(1))
        .col_expr(need::Column::UpdatedAt, Expr::val(now))
        .filter(need::Column::Id.eq(need.id))
        .exec(&txn)
        .await?;
    refresh_credit(&txn, c.merchant_id, now).await?;
    audit::record(
        &txn,
        now,
        Entry::ok(caller.actor(), "claim.confirm")
            .subject("claim", c.id)
            .organization(Some(need.organization_id))
            .detail(serde_json::json!({ "rating": rating, "with_handoff_code": code.is_some() && !office, "by_office": office, "after_dispute": from == ClaimStatus::Disputed })),
    )
    .await?;
    let merchant = merchant::Entity::find_by_id(c.merchant_id)
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound("merchant"))?;
    let thanks = serde_json::json!({ "claim_id": c.id, "need_id": need.id, "title": need.title, "quantity": c.quantity, "unit": need.unit, "rating": rating, "category": need.category });
    enqueue(
        &txn,
        recipients::merchant(
            &merchant,
            "merchant-claim-thanks",
            thanks,
            format!("claim:{}:merchant-confirmed", c.id),
        ),
        now,
    )
    .await?;
    let parties = recipients::of_need(&txn, &need).await?;
    let payload = serde_json::json!({ "claim_id": c.id, "need_id": need.id, "title": need.title, "merchant_name": merchant.name, "quantity": c.quantity, "unit": need.unit, "category": need.category });
    if let Some(m) = parties.resident(
        "resident-need-delivered",
        payload,
        format!("claim:{}:resident-confirmed", c.id),
    ) {
        enqueue(&txn, m, now).await?;
    }
    let record = reload(&txn, c.id, false).await?;
    txn.commit().await?;
    Ok(record)
}

/// The longest note a merchant may send with a delivery.
pub const DELIVERY_NOTE_MAX: usize = 500;

/// The longest dispute reason a social worker may give.
pub const DISPUTE_REASON_MAX: usize = 500;

/// The social worker says a delivery did not arrive or was not right; the merchant is told
/// why (public text only, required: [`ServiceError::ReasonRequired`] when blank) and may
/// take the claim up again or release it.
pub async fn dispute(
    db: &DatabaseConnection,
    caller: &Caller,
    claim_id: i64,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<ClaimRecord, ServiceError> {
    let txn = db::begin_write(db).await?;
    // Someone else's claim is "not found" (and audited) whatever the reason says.
    let (txn, c, need) = org_claim_locked(txn, caller, claim_id, "claim.dispute", now).await?;
    let reason = match input::public_text(reason, 1, DISPUTE_REASON_MAX) {
        Ok(r) => r,
        // Blank: the merchant could not put anything right, so nothing is disputed.
        Err(FieldError::Required) => return Err(ServiceError::ReasonRequired),
        Err(e) => {
            let mut errors = FieldErrors::default();
            errors.push("reason", e);
            return Err(ServiceError::Validation(errors));
        }
    };
    parse_claim_status(&c.status)?.apply(ClaimEvent::Dispute)?;
    let kept = reason.clone();
    move_claim(
        &txn,
        &c,
        ClaimStatus::Delivered,
        ClaimStatus::Disputed,
        |u| {
            u.col_expr(claim::Column::DisputeReason, Expr::val(Some(kept)))
                .col_expr(claim::Column::DisputeAnswer, Expr::val(Option::<String>::None))
        },
        now,
    )
    .await?;
    audit::record(
        &txn,
        now,
        Entry::ok(caller.actor(), "claim.dispute")
            .subject("claim", c.id)
            .organization(Some(need.organization_id)),
    )
    .await?;
    let merchant = merchant::Entity::find_by_id(c.merchant_id)
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound("merchant"))?;
    let payload = serde_json::json!({ "claim_id": c.id, "need_id": need.id, "title": need.title, "reason": reason, "category": need.category });
    enqueue(
        &txn,
        recipients::merchant(
            &merchant,
            "merchant-claim-disputed",
            payload,
            format!("claim:{}:merchant-disputed:{}", c.id, c.version + 1),
        ),
        now,
    )
    .await?;
    let record = reload(&txn, c.id, false).await?;
    txn.commit().await?;
    Ok(record)
}

/// The social worker settles a disputed delivery (own organization or the office; others
/// get "not found"): confirms it after all, asks the merchant to deliver again (the claim
/// is active with a fresh due date), or releases the claim so its quantity is claimable
/// again. The merchant is told in each case.
pub async fn resolve_dispute(
    db: &DatabaseConnection,
    caller: &Caller,
    claim_id: i64,
    resolution: DisputeResolution,
    now: DateTime<Utc>,
) -> Result<ClaimRecord, ServiceError> {
    if resolution == DisputeResolution::Confirm {
        return confirm_claim(db, caller, claim_id, Confirmation::default(), true, now).await;
    }
    let peek = claim::Entity::find_by_id(claim_id)
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("claim"))?;
    let txn = db::begin_write(db).await?;
    db::lock_merchant(&txn, peek.merchant_id).await?;
    let (txn, c, need) = org_claim_locked(txn, caller, claim_id, "claim.resolve", now).await?;
    let status = parse_claim_status(&c.status)?;
    if status != ClaimStatus::Disputed {
        return Err(ServiceError::Conflict("the claim is no longer disputed".into()));
    }
    status.apply(resolution.event())?;
    let template = match resolution {
        DisputeResolution::Redeliver => {
            let lease = Lease::new(now, i64::from(need.claim_days), need.deadline);
            move_claim(
                &txn,
                &c,
                ClaimStatus::Disputed,
                ClaimStatus::Active,
                |u| {
                    u.col_expr(claim::Column::DueAt, Expr::val(lease.due_at))
                        .col_expr(claim::Column::RemindAt, Expr::val(lease.remind_at))
                        .col_expr(claim::Column::RemindedAt, Expr::val(Option::<DateTime<Utc>>::None))
                        .col_expr(claim::Column::DeliveredAt, Expr::val(Option::<DateTime<Utc>>::None))
                },
                now,
            )
            .await?;
            ("merchant-claim-redeliver", Some(local_date(lease.due_at).to_string()))
        }
        _ => {
            if !give_back(&txn, &c, ClaimStatus::Released, now).await? {
                return Err(ServiceError::Conflict("the claim changed meanwhile; try again".into()));
            }
            ("merchant-claim-released-by-worker", None)
        }
    };
    let (template, due_date) = template;
    audit::record(
        &txn,
        now,
        Entry::ok(caller.actor(), "claim.resolve")
            .subject("claim", c.id)
            .organization(Some(need.organization_id))
            .detail(serde_json::json!({ "resolution": resolution.as_str() })),
    )
    .await?;
    let merchant = merchant::Entity::find_by_id(c.merchant_id)
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound("merchant"))?;
    let payload = serde_json::json!({ "claim_id": c.id, "need_id": need.id, "title": need.title, "quantity": c.quantity, "unit": need.unit, "reason": c.dispute_reason, "due_date": due_date, "category": need.category });
    enqueue(
        &txn,
        recipients::merchant(
            &merchant,
            template,
            payload,
            format!("claim:{}:{template}:{}", c.id, c.version + 1),
        ),
        now,
    )
    .await?;
    let record = reload(&txn, c.id, false).await?;
    txn.commit().await?;
    Ok(record)
}

/// The merchant answers a dispute: it delivered again (or made it good), with a note the
/// social worker reads. The claim waits for confirmation again.
pub async fn redeliver(
    db: &DatabaseConnection,
    caller: &Caller,
    claim_id: i64,
    note: &str,
    now: DateTime<Utc>,
) -> Result<ClaimRecord, ServiceError> {
    let note = match input::note_to_worker(note, 1, DELIVERY_NOTE_MAX) {
        Ok(n) => n,
        Err(e) => {
            let mut errors = FieldErrors::default();
            errors.push("note", e);
            return Err(ServiceError::Validation(errors));
        }
    };
    let txn = db::begin_write(db).await?;
    let (txn, c, need) = own_claim_locked(txn, caller, claim_id, "claim.redeliver", now).await?;
    parse_claim_status(&c.status)?.apply(ClaimEvent::Redeliver)?;
    let kept = note.clone();
    move_claim(
        &txn,
        &c,
        ClaimStatus::Disputed,
        ClaimStatus::Delivered,
        |u| {
            u.col_expr(claim::Column::DeliveredAt, Expr::val(now))
                .col_expr(claim::Column::DisputeAnswer, Expr::val(Some(kept)))
        },
        now,
    )
    .await?;
    audit::record(
        &txn,
        now,
        Entry::ok(caller.actor(), "claim.redeliver")
            .subject("claim", c.id)
            .organization(Some(need.organization_id)),
    )
    .await?;
    let parties = recipients::of_need(&txn, &need).await?;
    let merchant = merchant::Entity::find_by_id(c.merchant_id)
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound("merchant"))?;
    // The worker reads the note beside the reason it answers.
    let payload = serde_json::json!({ "claim_id": c.id, "need_id": need.id, "title": need.title, "merchant_name": merchant.name, "quantity": c.quantity, "unit": need.unit, "category": need.category, "note": note, "reason": c.dispute_reason, "redelivery": true });
    if let Some(m) = parties.worker(
        "worker-delivery-to-confirm",
        payload,
        format!("claim:{}:worker-redelivered:{}", c.id, c.version + 1),
    ) {
        enqueue(&txn, m, now).await?;
    }
    let record = reload(&txn, c.id, true).await?;
    txn.commit().await?;
    Ok(record)
}

/// Claims the caller may see, newest first (merchants: their own; organizations: those on
/// their needs; the office: all).
pub async fn list_claims(
    db: &DatabaseConnection,
    caller: &Caller,
    statuses: &[ClaimStatus],
    limit: u64,
) -> Result<Vec<ClaimRecord>, ServiceError> {
    let mut query = claim::Entity::find();
    if let Some(m) = caller.merchant_id() {
        query = query.filter(claim::Column::MerchantId.eq(m));
    } else if let OrgScope::Only(org) = caller.org_scope() {
        let own_needs = need::Entity::find()
            .select_only()
            .column(need::Column::Id)
            .filter(need::Column::OrganizationId.eq(org));
        query = query.filter(claim::Column::NeedId.in_subquery(sea_orm::QueryTrait::into_query(own_needs)));
    }
    if !statuses.is_empty() {
        query = query.filter(claim::Column::Status.is_in(statuses.iter().map(|s| s.as_str())));
    }
    let rows = query
        .order_by_desc(claim::Column::Id)
        .limit(limit.clamp(1, 500))
        .all(db)
        .await?;
    // Needs and merchants in two queries, however many claims.
    let need_ids: HashSet<i64> = rows.iter().map(|c| c.need_id).collect();
    let merchant_ids: HashSet<i64> = rows.iter().map(|c| c.merchant_id).collect();
    let needs: HashMap<i64, need::Model> = need::Entity::find()
        .filter(need::Column::Id.is_in(need_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|n| (n.id, n))
        .collect();
    let merchants: HashMap<i64, merchant::Model> = merchant::Entity::find()
        .filter(merchant::Column::Id.is_in(merchant_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.id, m))
        .collect();
    let show_code = caller.merchant_id().is_some();
    rows.into_iter()
        .map(|c| {
            let need = needs.get(&c.need_id).ok_or(ServiceError::NotFound("need"))?;
            let merchant = merchants
                .get(&c.merchant_id)
                .ok_or(ServiceError::NotFound("merchant"))?;
            record_of(c, need, merchant, show_code)
        })
        .collect()
}

/// One claim the caller may see.
pub async fn get_claim(
    db: &DatabaseConnection,
    caller: &Caller,
    claim_id: i64,
    now: DateTime<Utc>,
) -> Result<ClaimRecord, ServiceError> {
    let c = claim::Entity::find_by_id(claim_id)
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("claim"))?;
    let need = need::Entity::find_by_id(c.need_id)
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("claim"))?;
    let allowed = match caller.merchant_id() {
        Some(m) => m == c.merchant_id,
        None => caller.org_scope().allows(need.organization_id),
    };
    if !allowed {
        audit::record(
            db,
            now,
            Entry::denied(caller.actor(), "claim.read").subject("claim", claim_id),
        )
        .await?;
        return Err(ServiceError::NotFound("claim"));
    }
    load_record(db, c, caller.merchant_id().is_some()).await
}

/// Lapses active claims past their due date plus grace; their units return to the need.
/// Each claim is its own transaction; safe in several processes. Returns how many lapsed.
pub async fn lapse_overdue(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<u64, ServiceError> {
    let cutoff = now - Duration::days(GRACE_DAYS);
    let due: Vec<(i64, i64)> = claim::Entity::find()
        .select_only()
        .column(claim::Column::Id)
        .column(claim::Column::MerchantId)
        .filter(claim::Column::Status.eq(ClaimStatus::Active.as_str()))
        .filter(claim::Column::DueAt.lte(cutoff))
        .order_by_asc(claim::Column::Id)
        .limit(500)
        .into_tuple()
        .all(db)
        .await?;
    let mut lapsed = 0;
    for (claim_id, merchant_id) in due {
        let txn = db::begin_write(db).await?;
        db::lock_merchant(&txn, merchant_id).await?;
        let Some(c) = claim::Entity::find_by_id(claim_id).one(&txn).await? else {
            continue;
        };
        let Some(need) = lock_need(&txn, c.need_id).await? else {
            continue;
        };
        if c.status != ClaimStatus::Active.as_str()
            || c.due_at > cutoff
            || !give_back(&txn, &c, ClaimStatus::Lapsed, now).await?
        {
            continue; // delivered, released or lapsed meanwhile
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
            let payload = serde_json::json!({ "claim_id": c.id, "need_id": need.id, "title": need.title, "quantity": c.quantity, "unit": need.unit, "category": need.category });
            enqueue(
                &txn,
                recipients::merchant(
                    &m,
                    "merchant-claim-lapsed",
                    payload.clone(),
                    format!("claim:{}:merchant-lapsed", c.id),
                ),
                now,
            )
            .await?;
            let parties = recipients::of_need(&txn, &need).await?;
            let worker_payload = serde_json::json!({ "merchant_name": m.name, "claim": payload });
            if let Some(msg) = parties.worker(
                "worker-claim-lapsed",
                worker_payload,
                format!("claim:{}:worker-lapsed", c.id),
            ) {
                enqueue(&txn, msg, now).await?;
            }
        }
        txn.commit().await?;
        lapsed += 1;
    }
    Ok(lapsed)
}

/// Queues the half-time reminder of active claims once. Returns how many were queued.
pub async fn remind_due(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<u64, ServiceError> {
    let due = claim::Entity::find()
        .filter(claim::Column::Status.eq(ClaimStatus::Active.as_str()))
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
            .filter(claim::Column::Status.eq(ClaimStatus::Active.as_str()))
            .filter(claim::Column::RemindedAt.is_null())
            .exec(&txn)
            .await?;
        if marked.rows_affected == 1
            && let (Some(m), Some(need)) = (
                merchant::Entity::find_by_id(c.merchant_id).one(&txn).await?,
                need::Entity::find_by_id(c.need_id).one(&txn).await?,
            )
        {
            let payload = serde_json::json!({ "claim_id": c.id, "need_id": need.id, "title": need.title, "quantity": c.quantity, "unit": need.unit, "due_date": local_date(c.due_at).to_string(), "category": need.category });
            enqueue(
                &txn,
                recipients::merchant(
                    &m,
                    "merchant-claim-reminder",
                    payload,
                    format!("claim:{}:reminder-half", c.id),
                ),
                now,
            )
            .await?;
            reminded += 1;
        }
        txn.commit().await?;
    }
    Ok(reminded)
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
        .col_expr(claim::Column::Status, Expr::val(to.as_str()))
        .col_expr(claim::Column::EndedAt, Expr::val(now))
        .col_expr(claim::Column::Version, Expr::col(claim::Column::Version).add(1))
        .col_expr(claim::Column::UpdatedAt, Expr::val(now))
        .filter(claim::Column::Id.eq(c.id))
        .filter(claim::Column::Status.is_in(HOLDING))
        .exec(txn)
        .await?;
    if ended.rows_affected != 1 {
        return Ok(false);
    }
    let was_full = Expr::col(need::Column::Status).eq(NeedStatus::FullyClaimed.as_str());
    need::Entity::update_many()
        .col_expr(need::Column::Claimed, Expr::col(need::Column::Claimed).sub(c.quantity))
        .col_expr(
            need::Column::Status,
            CaseStatement::new()
                .case(was_full.clone(), Expr::val(NeedStatus::Open.as_str()))
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
        .col_expr(claim::Column::Status, Expr::val(to.as_str()))
        .col_expr(claim::Column::Version, Expr::col(claim::Column::Version).add(1))
        .col_expr(claim::Column::UpdatedAt, Expr::val(now))
        .filter(claim::Column::Id.eq(c.id))
        .filter(claim::Column::Status.eq(from.as_str()));
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
    let need = lock_need(&txn, peek.need_id)
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
/// Counts one wrong handoff code on claim `c` with a single conditional increment (never
/// read-then-write, so parallel guesses are each counted and none goes past the limit), and
/// audits it. True when the claim is locked now.
async fn count_wrong_code<C: ConnectionTrait>(
    txn: &C,
    caller: &Caller,
    c: &claim::Model,
    organization_id: i64,
    now: DateTime<Utc>,
) -> Result<bool, ServiceError> {
    let counted = claim::Entity::update_many()
        .col_expr(
            claim::Column::HandoffFailures,
            Expr::col(claim::Column::HandoffFailures).add(1),
        )
        .col_expr(claim::Column::UpdatedAt, Expr::val(now))
        .filter(claim::Column::Id.eq(c.id))
        .filter(claim::Column::HandoffFailures.lt(HANDOFF_TRIES))
        .exec(txn)
        .await?;
    // Read back in the same transaction, after the write: this is the count just made.
    let failures = claim::Entity::find_by_id(c.id)
        .one(txn)
        .await?
        .map_or(HANDOFF_TRIES, |row| row.handoff_failures);
    let locked = counted.rows_affected == 0 || failures >= HANDOFF_TRIES;
    audit::record(
        txn,
        now,
        Entry::denied(caller.actor(), "claim.handoff_code")
            .subject("claim", c.id)
            .organization(Some(organization_id))
            .detail(serde_json::json!({ "failures": failures, "locked": locked })),
    )
    .await?;
    Ok(locked)
}

/// The office allows new handoff-code tries on a claim locked by wrong ones (audited).
pub async fn reset_handoff_tries(
    db: &DatabaseConnection,
    caller: &Caller,
    claim_id: i64,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let txn = db::begin_write(db).await?;
    if !matches!(caller, Caller::Admin { .. }) {
        audit::record(
            &txn,
            now,
            Entry::denied(caller.actor(), "claim.handoff_reset")
                .subject("claim", claim_id)
                .organization(caller.organization_id()),
        )
        .await?;
        txn.commit().await?;
        return Err(ServiceError::Forbidden);
    }
    let reset = claim::Entity::update_many()
        .col_expr(claim::Column::HandoffFailures, Expr::val(0))
        .col_expr(claim::Column::UpdatedAt, Expr::val(now))
        .filter(claim::Column::Id.eq(claim_id))
        .filter(claim::Column::HandoffFailures.gt(0))
        .exec(&txn)
        .await?;
    if reset.rows_affected == 0 {
        return match claim::Entity::find_by_id(claim_id).one(&txn).await? {
            Some(_) => Ok(()),
            None => Err(ServiceError::NotFound("claim")),
        };
    }
    audit::record(
        &txn,
        now,
        Entry::ok(caller.actor(), "claim.handoff_reset").subject("claim", claim_id),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

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
    let need = lock_need(&txn, peek.need_id)
        .await?
        .ok_or(ServiceError::NotFound("claim"))?;
    if caller.merchant_id().is_some() || !caller.org_scope().allows(need.organization_id) {
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

/// A merchant's record and how many claims it holds now.
pub async fn merchant_record<C: ConnectionTrait>(
    conn: &C,
    merchant_id: i64,
    now: DateTime<Utc>,
) -> Result<(MerchantRecord, u64), ServiceError> {
    let sql = format!("SELECT {RECORD_COLUMNS} FROM claims WHERE merchant_id = ?");
    let row = conn
        .query_one_raw(db::statement(conn, &sql, record_values(merchant_id, now)))
        .await?
        .ok_or(ServiceError::Internal("aggregate returned no row".into()))?;
    record_from(&row)
}

/// The merchant with its record and holding, in one query (a claim's hot path).
async fn merchant_with_record<C: ConnectionTrait>(
    conn: &C,
    merchant_id: i64,
    now: DateTime<Utc>,
) -> Result<(merchant::Model, MerchantRecord, u64), ServiceError> {
    let sql = format!(
        "SELECT m.*, r.* FROM merchants m \
         CROSS JOIN (SELECT {RECORD_COLUMNS} FROM claims WHERE merchant_id = ?) r WHERE m.id = ?"
    );
    let mut values = record_values(merchant_id, now);
    values.push(merchant_id.into());
    let row = conn
        .query_one_raw(db::statement(conn, &sql, values))
        .await?
        .ok_or(ServiceError::NotFound("merchant"))?;
    let merchant = merchant::Model::from_query_result(&row, "")?;
    let (record, holding) = record_from(&row)?;
    Ok((merchant, record, holding))
}

/// The record's aggregates over one merchant's claims. The streak (how many of the most
/// recently ended claims lapsed in a row, up to the deliver-first threshold) counts the
/// lapsed claims that no delivered or confirmed claim follows.
const RECORD_COLUMNS: &str = "\
    COALESCE(SUM(CASE WHEN delivered_at IS NOT NULL AND status IN ('delivered','confirmed') AND delivered_at <= due_at THEN 1 ELSE 0 END), 0) AS rec_on_time, \
    COALESCE(SUM(CASE WHEN delivered_at IS NOT NULL AND status IN ('delivered','confirmed') AND delivered_at > due_at THEN 1 ELSE 0 END), 0) AS rec_late, \
    COALESCE(SUM(CASE WHEN status = 'lapsed' THEN 1 ELSE 0 END), 0) AS rec_lapsed, \
    COALESCE(SUM(CASE WHEN status = 'lapsed' AND ended_at >= ? THEN 1 ELSE 0 END), 0) AS rec_recent_lapses, \
    COALESCE(SUM(CASE WHEN rating IS NOT NULL THEN rating ELSE 0 END), 0) AS rec_rating_sum, \
    COALESCE(SUM(CASE WHEN rating IS NOT NULL THEN 1 ELSE 0 END), 0) AS rec_ratings, \
    COALESCE(SUM(CASE WHEN status IN ('active','disputed') THEN 1 ELSE 0 END), 0) AS rec_holding, \
    (SELECT COUNT(*) FROM (SELECT 1 FROM claims l WHERE l.merchant_id = ? AND l.status = 'lapsed' \
        AND NOT EXISTS (SELECT 1 FROM claims d WHERE d.merchant_id = l.merchant_id \
            AND d.status IN ('delivered','confirmed') \
            AND (d.updated_at > l.updated_at OR (d.updated_at = l.updated_at AND d.id > l.id))) \
        LIMIT ?) s) AS rec_streak";

fn record_values(merchant_id: i64, now: DateTime<Utc>) -> Vec<sea_orm::Value> {
    vec![
        (now - Duration::days(90)).into(),
        merchant_id.into(),
        i64::from(crate::domain::record::DELIVER_FIRST_STREAK).into(),
        merchant_id.into(),
    ]
}

fn record_from(row: &sea_orm::QueryResult) -> Result<(MerchantRecord, u64), ServiceError> {
    let get = |name: &str| -> Result<u32, ServiceError> {
        row.try_get::<i64>("", name)
            .map(|v| u32::try_from(v).unwrap_or(0))
            .map_err(|e| ServiceError::Internal(e.to_string()))
    };
    let record = MerchantRecord {
        on_time: get("rec_on_time")?,
        late: get("rec_late")?,
        lapsed: get("rec_lapsed")?,
        recent_lapses: get("rec_recent_lapses")?,
        lapse_streak: get("rec_streak")?,
        rating_sum: get("rec_rating_sum")?,
        ratings: get("rec_ratings")?,
    };
    Ok((record, u64::from(get("rec_holding")?)))
}

/// Recomputes and stores a merchant's credit score (the caller holds the merchant's lock).
async fn refresh_credit<C: ConnectionTrait>(txn: &C, merchant_id: i64, now: DateTime<Utc>) -> Result<(), ServiceError> {
    let (record, _) = merchant_record(txn, merchant_id, now).await?;
    merchant::Entity::update_many()
        .col_expr(merchant::Column::CreditScore, Expr::val(record.credit_score()))
        .col_expr(merchant::Column::UpdatedAt, Expr::val(now))
        .filter(merchant::Column::Id.eq(merchant_id))
        .exec(txn)
        .await?;
    Ok(())
}

fn parse_claim_status(text: &str) -> Result<ClaimStatus, ServiceError> {
    text.parse()
        .map_err(|e: crate::domain::UnknownVariant| ServiceError::Internal(e.to_string()))
}

async fn reload<C: ConnectionTrait>(conn: &C, claim_id: i64, show_code: bool) -> Result<ClaimRecord, ServiceError> {
    let c = claim::Entity::find_by_id(claim_id)
        .one(conn)
        .await?
        .ok_or(ServiceError::NotFound("claim"))?;
    load_record(conn, c, show_code).await
}

async fn load_record<C: ConnectionTrait>(
    conn: &C,
    c: claim::Model,
    show_code: bool,
) -> Result<ClaimRecord, ServiceError> {
    let need = need::Entity::find_by_id(c.need_id)
        .one(conn)
        .await?
        .ok_or(ServiceError::NotFound("need"))?;
    let merchant = merchant::Entity::find_by_id(c.merchant_id)
        .one(conn)
        .await?
        .ok_or(ServiceError::NotFound("merchant"))?;
    record_of(c, &need, &merchant, show_code)
}

fn record_of(
    c: claim::Model,
    need: &need::Model,
    merchant: &merchant::Model,
    show_code: bool,
) -> Result<ClaimRecord, ServiceError> {
    Ok(ClaimRecord {
        id: c.id,
        need_id: c.need_id,
        need_title: need.title.clone(),
        merchant_id: c.merchant_id,
        merchant_name: merchant.name.clone(),
        quantity: c.quantity,
        unit: need.unit.clone(),
        status: parse_claim_status(&c.status)?,
        handoff_code: show_code.then_some(c.handoff_code),
        due_at: c.due_at,
        delivered_at: c.delivered_at,
        confirmed_at: c.confirmed_at,
        rating: c.rating,
        handoff_locked: c.handoff_failures >= HANDOFF_TRIES,
        created_at: c.created_at,
        hours: need.category == crate::domain::Category::VolunteerHours.as_str(),
        dispute_reason: c.dispute_reason,
        dispute_answer: c.dispute_answer,
    })
}

/// The claims of one need the caller may see (its organization or the office), oldest first.
pub async fn of_need(
    db: &DatabaseConnection,
    caller: &Caller,
    need_id: i64,
    now: DateTime<Utc>,
) -> Result<Vec<ClaimRecord>, ServiceError> {
    let card = super::needs::get_need(db, caller, need_id, now).await?;
    if caller.merchant_id().is_some() {
        return Err(ServiceError::Forbidden);
    }
    let rows = claim::Entity::find()
        .filter(claim::Column::NeedId.eq(card.id))
        .order_by_asc(claim::Column::Id)
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for c in rows {
        out.push(load_record(db, c, false).await?);
    }
    Ok(out)
}
