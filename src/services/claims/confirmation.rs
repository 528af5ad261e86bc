//! The social worker's and the office's moves on a claim: confirm a delivery (with the
//! handoff code, counted against guessing), dispute it, settle a dispute, and unlock a
//! claim locked by wrong codes.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{CaseStatement, Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};

use super::ClaimRecord;
use super::transition::{Transition, renew};
use crate::db;
use crate::domain::claim::DisputeResolution;
use crate::domain::codes::normalize_code;
use crate::domain::input::{self, FieldError, FieldErrors};
use crate::domain::time::local_date;
use crate::domain::{ClaimEvent, ClaimStatus, Lease, NeedStatus};
use crate::entities::{claim, need};
use crate::services::access::Caller;
use crate::services::audit::{self, Entry};
use crate::services::merchants::refresh_credit;
use crate::services::outbox::{ClaimNotice, NeedDelivered, Notification};
use crate::services::{ServiceError, recipients};

/// The longest dispute reason a social worker may give.
pub const DISPUTE_REASON_MAX: usize = 500;

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
    let t = Transition::org_locking_merchant(db, caller, claim_id, "claim.confirm", now).await?;
    let (c, need, txn) = (&t.claim, &t.need, t.txn());
    let status = t.status()?;
    let office = confirmation.by_office && matches!(caller, Caller::Admin { .. });
    if confirmation.by_office && !office {
        return Err(ServiceError::Forbidden);
    }
    let locked = c.handoff_failures >= HANDOFF_TRIES;
    if locked && !office {
        audit::record(
            txn,
            now,
            Entry::denied(caller.actor(), "claim.confirm")
                .subject("claim", c.id)
                .organization(Some(need.organization_id))
                .detail(serde_json::json!({ "handoff_locked": true })),
        )
        .await?;
        t.commit().await?;
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
            let locked_now = count_wrong_code(txn, caller, c, need.organization_id, now).await?;
            t.commit().await?;
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
    t.move_to(
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
                .case(fulfils, Expr::val(NeedStatus::Fulfilled))
                .finally(Expr::col(need::Column::Status))
                .into(),
        )
        .col_expr(need::Column::Version, Expr::col(need::Column::Version).add(1))
        .col_expr(need::Column::UpdatedAt, Expr::val(now))
        .filter(need::Column::Id.eq(need.id))
        .exec(txn)
        .await?;
    refresh_credit(txn, c.merchant_id, now).await?;
    let entry = Entry::ok(caller.actor(), "claim.confirm")
        .subject("claim", c.id)
        .organization(Some(need.organization_id))
        .detail(serde_json::json!({ "rating": rating, "with_handoff_code": code.is_some() && !office, "by_office": office, "after_dispute": from == ClaimStatus::Disputed }));
    let merchant = t.merchant().await?;
    let thanks = Notification::MerchantClaimThanks(ClaimNotice {
        rating: rating.map(i64::from),
        ..super::notice(c, need)
    });
    let thanks = recipients::merchant(&merchant, &thanks, format!("claim:{}:merchant-confirmed", c.id));
    let delivered = Notification::ResidentNeedDelivered(NeedDelivered {
        claim_id: Some(c.id),
        need_id: need.id,
        title: need.title.clone(),
        merchant_name: merchant.name.clone(),
        quantity: i64::from(c.quantity),
        unit: need.unit.clone(),
        category: Some(need.category.clone()),
    });
    let delivered = t
        .parties()
        .await?
        .resident(&delivered, format!("claim:{}:resident-confirmed", c.id));
    t.finish(entry, std::iter::once(thanks).chain(delivered), false, now)
        .await
}

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
    // Someone else's claim is "not found" (and audited) whatever the reason says.
    let t = Transition::org(db, caller, claim_id, "claim.dispute", now).await?;
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
    t.check(ClaimEvent::Dispute)?;
    let kept = reason.clone();
    t.move_to(
        ClaimStatus::Delivered,
        ClaimStatus::Disputed,
        |u| {
            u.col_expr(claim::Column::DisputeReason, Expr::val(Some(kept)))
                .col_expr(claim::Column::DisputeAnswer, Expr::val(Option::<String>::None))
        },
        now,
    )
    .await?;
    let (c, need) = (&t.claim, &t.need);
    let entry = Entry::ok(caller.actor(), "claim.dispute")
        .subject("claim", c.id)
        .organization(Some(need.organization_id));
    let disputed = Notification::MerchantClaimDisputed(ClaimNotice {
        claim_id: c.id,
        need_id: need.id,
        title: need.title.clone(),
        reason: Some(reason),
        category: Some(need.category.clone()),
        ..ClaimNotice::default()
    });
    let notice = recipients::merchant(
        &t.merchant().await?,
        &disputed,
        format!("claim:{}:merchant-disputed:{}", c.id, c.version + 1),
    );
    t.finish(entry, Some(notice), false, now).await
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
    let t = Transition::org_locking_merchant(db, caller, claim_id, "claim.resolve", now).await?;
    let status = t.status()?;
    if status != ClaimStatus::Disputed {
        return Err(ServiceError::Conflict("the claim is no longer disputed".into()));
    }
    status.apply(resolution.event())?;
    let (redeliver, due_date) = match resolution {
        DisputeResolution::Redeliver => {
            let lease = Lease::new(now, i64::from(t.need.claim_days), t.need.deadline);
            t.move_to(ClaimStatus::Disputed, ClaimStatus::Active, |u| renew(u, &lease), now)
                .await?;
            (true, Some(local_date(lease.due_at).to_string()))
        }
        _ => {
            t.release(now).await?;
            (false, None)
        }
    };
    let (c, need) = (&t.claim, &t.need);
    let entry = Entry::ok(caller.actor(), "claim.resolve")
        .subject("claim", c.id)
        .organization(Some(need.organization_id))
        .detail(serde_json::json!({ "resolution": resolution.as_str() }));
    let resolved = ClaimNotice {
        reason: c.dispute_reason.clone(),
        due_date,
        ..super::notice(c, need)
    };
    let resolved = if redeliver {
        Notification::MerchantClaimRedeliver(resolved)
    } else {
        Notification::MerchantClaimReleasedByWorker(resolved)
    };
    let notice = recipients::merchant(
        &t.merchant().await?,
        &resolved,
        format!("claim:{}:{}:{}", c.id, resolved.kind(), c.version + 1),
    );
    t.finish(entry, Some(notice), false, now).await
}

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
    // Only a claim on a need of the office's own subdistrict; another's is "not found".
    let need_org = claim::Entity::find_by_id(claim_id)
        .inner_join(need::Entity)
        .select_only()
        .column(need::Column::OrganizationId)
        .into_tuple::<i64>()
        .one(&txn)
        .await?;
    let reaches = match need_org {
        Some(org) => caller.org_scope().permits(&txn, org).await?,
        None => false,
    };
    if !reaches {
        audit::record(
            &txn,
            now,
            Entry::denied(caller.actor(), "claim.handoff_reset").subject("claim", claim_id),
        )
        .await?;
        txn.commit().await?;
        return Err(ServiceError::NotFound("claim"));
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
