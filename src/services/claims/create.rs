//! Making a claim: one conditional update of the need's counters and one insert, under
//! the merchant's lock; an idempotency key makes a retry (even a concurrent one) answer
//! with the first result, refusals included.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{CaseStatement, Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};

use super::queries::{load_record, record_of};
use super::{ClaimOutcome, ClaimRecord};
use crate::domain::claim::new_handoff_code;
use crate::domain::input::FieldErrors;
use crate::domain::record::ClaimAllowance;
use crate::domain::time::local_date;
use crate::domain::{ClaimStatus, Lease, NeedStatus, PartyStatus, Quantity};
use crate::entities::{claim, drop_off_point, idempotency_record, need};
use crate::services::access::Caller;
use crate::services::audit::{self, Entry};
use crate::services::error::{is_unique_violation, refusal_from_json, refusal_to_json};
use crate::services::merchants::{merchant_with_record, store_credit};
use crate::services::need_cards;
use crate::services::outbox::{ClaimNotice, Delivery, DropOff, NeedClaimed, Notification, enqueue_all};
use crate::services::{ServiceError, recipients};
use crate::{crypto, db};

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

/// An idempotency key as given, trimmed (`None` when empty); refused when it is longer than
/// 200 characters or holds anything but visible ASCII.
fn checked_key(key: Option<&str>) -> Result<Option<&str>, ServiceError> {
    let key = key.map(str::trim).filter(|k| !k.is_empty());
    if let Some(k) = key
        && (k.len() > 200 || !k.chars().all(|c| c.is_ascii_graphic()))
    {
        return Err(ServiceError::invalid(
            "idempotency_key",
            "use at most 200 visible ASCII characters",
        ));
    }
    Ok(key)
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
    let key = checked_key(key)?;
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
    match claim_in(
        &txn,
        caller,
        merchant_id,
        need_id,
        quantity,
        key,
        now,
        confirmation,
        true,
    )
    .await
    {
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

/// How much "all of it" means for the calling merchant's claim button: what is left of
/// the need now, or, when the same key already made a claim on it (a retry of the same
/// tap), that claim's quantity, so a retry never claims the rest too. Zero when nothing
/// is left or the need is not the merchant's to see.
pub async fn all_left(
    db: &DatabaseConnection,
    caller: &Caller,
    need_id: i64,
    key: &str,
    now: DateTime<Utc>,
) -> Result<i32, ServiceError> {
    let Some(merchant_id) = caller.merchant_id() else {
        return Err(ServiceError::Forbidden);
    };
    let earlier = claim::Entity::find()
        .filter(claim::Column::MerchantId.eq(merchant_id))
        .filter(claim::Column::IdempotencyKey.eq(key))
        .one(db)
        .await?;
    if let Some(c) = earlier.filter(|c| c.need_id == need_id) {
        return Ok(c.quantity);
    }
    match need_cards::get_need(db, caller, need_id, now).await {
        Ok(card) if card.status == NeedStatus::Open => Ok(card.left()),
        Ok(_) | Err(ServiceError::NotFound(_)) => Ok(0),
        Err(e) => Err(e),
    }
}

/// A sponsor's claim of the period offered to it, inside the caller's transaction (which
/// holds the merchant's lock, then the need's): the confirmation is shown in the merchant's
/// chat, and the resident hears of the sponsorship (once a period) instead of the claim.
pub(crate) async fn claim_for_sponsor<C: ConnectionTrait>(
    txn: &C,
    caller: &Caller,
    merchant_id: i64,
    need_id: i64,
    quantity: i32,
    now: DateTime<Utc>,
) -> Result<ClaimRecord, ServiceError> {
    claim_in(
        txn,
        caller,
        merchant_id,
        need_id,
        quantity,
        None,
        now,
        Delivery::ShownInReply,
        false,
    )
    .await
}

/// Why a merchant holding `holding` active claims may not make another under `allowance`,
/// if it may not (the bot asks before it offers the claim buttons, too).
pub fn allowance_refusal(allowance: ClaimAllowance, holding: u64) -> Option<ServiceError> {
    match allowance {
        ClaimAllowance::DeliverFirst => Some(ServiceError::DeliverFirst),
        ClaimAllowance::OneAtATime if holding >= u64::from(allowance.limit()) => Some(ServiceError::CreditBandLimit),
        ClaimAllowance::UpTo(limit) if holding >= u64::from(limit) => Some(ServiceError::ClaimLimitReached { limit }),
        ClaimAllowance::OneAtATime | ClaimAllowance::UpTo(_) => None,
    }
}

/// The claim itself, inside the caller's transaction.
#[expect(clippy::too_many_arguments, reason = "inputs named at their few callers")]
async fn claim_in<C: ConnectionTrait>(
    txn: &C,
    caller: &Caller,
    merchant_id: i64,
    need_id: i64,
    quantity: i32,
    key: Option<&str>,
    now: DateTime<Utc>,
    confirmation: Delivery,
    tell_resident: bool,
) -> Result<ClaimRecord, ServiceError> {
    if let Err(error) = Quantity::new(quantity.into()) {
        let mut errors = FieldErrors::default();
        errors.push("quantity", error);
        return Err(ServiceError::Validation(errors));
    }
    let (merchant, record, holding) = merchant_with_record(txn, merchant_id, now).await?;
    if merchant.status != PartyStatus::Approved {
        // Audited by remember_refusal, after this transaction is rolled back.
        return Err(ServiceError::MerchantNotApproved);
    }
    if let Some(refusal) = allowance_refusal(record.claim_allowance(), holding) {
        return Err(refusal);
    }
    if merchant.credit_score != record.credit_score() {
        // Lapses older than 90 days stop weighing without any claim ending: the stored score
        // (which alerts read) catches up here, under the merchant's lock.
        store_credit(txn, merchant_id, record.credit_score(), now).await?;
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
                .case(became_full, Expr::val(NeedStatus::FullyClaimed))
                .finally(Expr::col(need::Column::Status))
                .into(),
        )
        .col_expr(need::Column::Version, Expr::col(need::Column::Version).add(1))
        .col_expr(need::Column::UpdatedAt, Expr::val(now))
        .filter(need::Column::Id.eq(need_id))
        .filter(need::Column::Status.eq(NeedStatus::Open))
        .filter(
            Expr::col(need::Column::Quantity)
                .sub(Expr::col(need::Column::Claimed))
                .gte(quantity),
        )
        .filter(need_cards::in_pool_for(merchant_id, now))
        .exec_with_returning(txn)
        .await?;
    let Some(need) = updated.into_iter().next() else {
        // Why not: a fully claimed need has nothing left; closed needs are "not open"; a
        // period offered to its sponsor is not in the pool yet, so others cannot see it.
        let need = need::Entity::find_by_id(need_id)
            .one(txn)
            .await?
            .filter(|n| need_cards::pool_holds(n, merchant_id, now))
            .ok_or(ServiceError::NotFound("need"))?;
        return Err(match need.status {
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
        status: Set(ClaimStatus::Active),
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
        Some(id) => drop_off_point::Entity::find_by_id(id)
            .one(txn)
            .await?
            .as_ref()
            .map(DropOff::from),
        None => None,
    };
    let due_date = local_date(lease.due_at).to_string();
    let confirmed = Notification::MerchantClaimConfirmed(ClaimNotice {
        due_date: Some(due_date.clone()),
        handoff_code: Some(row.handoff_code.clone()),
        drop_off: drop_off.clone(),
        ..super::notice(&row, &need)
    });
    let mut messages = vec![(
        recipients::merchant(&merchant, &confirmed, format!("claim:{}:merchant-claimed", row.id)),
        confirmation,
    )];
    let parties = recipients::of_need(txn, &need).await?;
    let claimed = NeedClaimed {
        claim_id: Some(row.id),
        need_id: need.id,
        title: need.title.clone(),
        merchant_name: merchant.name.clone(),
        quantity: i64::from(quantity),
        unit: need.unit.clone(),
        expected_date: due_date,
        category: Some(need.category.clone()),
    };
    let resident = parties
        .resident(
            &Notification::ResidentNeedClaimed(claimed.clone()),
            format!("claim:{}:resident-claimed", row.id),
        )
        .filter(|_| tell_resident);
    messages.extend(
        [
            resident,
            parties.worker(
                &Notification::WorkerNeedClaimed(claimed),
                format!("claim:{}:worker-claimed", row.id),
            ),
        ]
        .into_iter()
        .flatten()
        .map(|m| (m, Delivery::Send)),
    );
    enqueue_all(txn, messages, now).await?;
    record_of(row, &need, &merchant, drop_off, true)
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
        Err(refusal_from_json(&body).unwrap_or(ServiceError::Internal("unreadable stored refusal".into())))
    }))
}

/// Stores a refusal under its key so a retry gets the same answer.
#[expect(clippy::too_many_arguments, reason = "inputs named at their few callers")]
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
    if let (Some(k), Some(body)) = (key, refusal_to_json(refusal)) {
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

/// Claims `quantity` units of need `need_id` for merchant `merchant_id`, recorded by the
/// office (`caller`) for a shop that phoned in (no Telegram, or no wish to use it): the
/// merchant's own limits apply as if it claimed itself, the claim keeps the office account in
/// `recorded_by`, and an audit row says the office recorded it for the shop. Only the office
/// of the merchant's subdistrict may, for a need of its subdistrict ("not found" otherwise).
/// `key` (the form's, one per page shown) makes a double post record one claim: the same
/// key answers with the claim it made.
pub async fn claim_on_behalf(
    db: &DatabaseConnection,
    caller: &Caller,
    merchant_id: i64,
    need_id: i64,
    quantity: i32,
    key: Option<&str>,
    now: DateTime<Utc>,
) -> Result<ClaimRecord, ServiceError> {
    // The office's keys live apart from the shop's own (the bot's and the API's).
    let key = checked_key(key)?.map(|k| format!("office:{k}"));
    let key = key.as_deref();
    let request_digest = crypto::sha256_hex(&format!("{need_id}|{quantity}"));
    let scope = format!("claim:office:{merchant_id}");
    let Caller::Admin {
        staff_id,
        subdistrict_id,
    } = *caller
    else {
        return Err(ServiceError::Forbidden);
    };
    let txn = db::begin_write(db).await?;
    db::lock_merchant(&txn, merchant_id).await?;
    let shop = crate::entities::merchant::Entity::find_by_id(merchant_id)
        .one(&txn)
        .await?
        .filter(|m| m.subdistrict_id == subdistrict_id);
    let need = need::Entity::find_by_id(need_id).one(&txn).await?;
    let permitted = match &need {
        Some(n) => caller.org_scope().permits(&txn, n.organization_id).await?,
        None => false,
    };
    let (Some(shop), Some(need), true) = (shop, need, permitted) else {
        // Another subdistrict's shop or need answers as a missing one; the try is audited.
        txn.rollback().await?;
        audit::record(
            db,
            now,
            Entry::denied(caller.actor(), "claim.recorded_for_merchant")
                .subject("need", need_id)
                .detail(serde_json::json!({ "merchant_id": merchant_id })),
        )
        .await?;
        return Err(ServiceError::NotFound("need or merchant"));
    };
    if let Some(k) = key
        && let Some(done) = replay(&txn, merchant_id, &scope, k, need_id, quantity, &request_digest).await?
    {
        txn.commit().await?;
        return done;
    }
    let claimed = claim_in(
        &txn,
        caller,
        merchant_id,
        need_id,
        quantity,
        key,
        now,
        Delivery::Send,
        true,
    )
    .await;
    let record = match claimed {
        Ok(record) => record,
        Err(ServiceError::Db(e)) if key.is_some() && is_unique_violation(&e) => {
            // The same form posted twice at once: the other post made the claim.
            txn.rollback().await?;
            let k = key.unwrap_or_default();
            return match replay(db, merchant_id, &scope, k, need_id, quantity, &request_digest).await? {
                Some(done) => done,
                None => Err(ServiceError::Db(e)),
            };
        }
        Err(refusal) => {
            txn.rollback().await?;
            if refusal.is_business_refusal() {
                audit::record(
                    db,
                    now,
                    Entry::denied(caller.actor(), "claim.recorded_for_merchant")
                        .subject("need", need_id)
                        .organization(Some(need.organization_id))
                        .detail(serde_json::json!({ "merchant_id": merchant_id, "reason": refusal.to_string() })),
                )
                .await?;
            }
            return Err(refusal);
        }
    };
    claim::Entity::update_many()
        .col_expr(claim::Column::RecordedBy, Expr::val(staff_id))
        .filter(claim::Column::Id.eq(record.id))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        now,
        Entry::ok(caller.actor(), "claim.recorded_for_merchant")
            .subject("claim", record.id)
            .organization(Some(need.organization_id))
            .detail(serde_json::json!({ "need_id": need_id, "merchant_id": merchant_id, "merchant": shop.name })),
    )
    .await?;
    txn.commit().await?;
    Ok(record)
}
