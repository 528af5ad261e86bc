//! The merchant's moves on its own claim: give it up, say it delivered, take a disputed
//! claim up again, or answer a dispute with a new delivery.

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use sea_orm::sea_query::Expr;

use super::ClaimRecord;
use super::transition::{Transition, renew};
use crate::domain::input::{self, FieldErrors};
use crate::domain::{ClaimEvent, ClaimStatus, Lease};
use crate::entities::claim;
use crate::services::ServiceError;
use crate::services::access::Caller;
use crate::services::audit::Entry;
use crate::services::outbox::{ClaimFacts, DeliveryToConfirm, Message, Notification};

/// The longest note a merchant may send with a delivery.
pub const DELIVERY_NOTE_MAX: usize = 500;

/// The merchant gives a claim up; its units return to the need, which reopens.
pub async fn release(
    db: &DatabaseConnection,
    caller: &Caller,
    claim_id: i64,
    now: DateTime<Utc>,
) -> Result<ClaimRecord, ServiceError> {
    let t = Transition::own(db, caller, claim_id, "claim.release", now).await?;
    t.check(ClaimEvent::Release)?;
    t.release(now).await?;
    let (c, need) = (&t.claim, &t.need);
    let released = Notification::WorkerClaimReleased(ClaimFacts {
        claim_id: Some(c.id),
        need_id: need.id,
        title: need.title.clone(),
        quantity: i64::from(c.quantity),
        unit: need.unit.clone(),
        category: None,
    });
    let notice = t
        .parties()
        .await?
        .worker(&released, format!("claim:{}:worker-released", c.id));
    let entry = Entry::ok(caller.actor(), "claim.release")
        .subject("claim", c.id)
        .organization(Some(need.organization_id));
    t.finish(entry, notice, true, now).await
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
    let t = Transition::own(db, caller, claim_id, "claim.deliver", now).await?;
    let note = Some(checked_note(note, 0)?).filter(|n| !n.is_empty());
    t.check(ClaimEvent::MarkDelivered)?;
    // A claim that was disputed and taken up again: this delivery answers the dispute, and
    // its note is the merchant's answer on the need page.
    let redelivery = t.claim.dispute_reason.is_some();
    let answer = note.clone().filter(|_| redelivery);
    t.move_to(
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
    // Each delivery after a dispute is news of its own, not a repeat of the first.
    let dedupe_key = if redelivery {
        format!("claim:{}:worker-redelivered:{}", t.claim.id, t.claim.version + 1)
    } else {
        format!("claim:{}:worker-delivered", t.claim.id)
    };
    let notice = delivery_to_confirm(&t, note, redelivery, dedupe_key).await?;
    let entry = Entry::ok(caller.actor(), "claim.deliver")
        .subject("claim", t.claim.id)
        .organization(Some(t.need.organization_id));
    t.finish(entry, notice, true, now).await
}

/// The merchant takes a disputed claim up again, with a fresh lease.
pub async fn resume(
    db: &DatabaseConnection,
    caller: &Caller,
    claim_id: i64,
    now: DateTime<Utc>,
) -> Result<ClaimRecord, ServiceError> {
    let t = Transition::own(db, caller, claim_id, "claim.resume", now).await?;
    t.check(ClaimEvent::Resume)?;
    let lease = Lease::new(now, i64::from(t.need.claim_days), t.need.deadline);
    t.move_to(ClaimStatus::Disputed, ClaimStatus::Active, |u| renew(u, &lease), now)
        .await?;
    let entry = Entry::ok(caller.actor(), "claim.resume").subject("claim", t.claim.id);
    t.finish(entry, None, true, now).await
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
    let note = checked_note(note, 1)?;
    let t = Transition::own(db, caller, claim_id, "claim.redeliver", now).await?;
    t.check(ClaimEvent::Redeliver)?;
    let kept = note.clone();
    t.move_to(
        ClaimStatus::Disputed,
        ClaimStatus::Delivered,
        |u| {
            u.col_expr(claim::Column::DeliveredAt, Expr::val(now))
                .col_expr(claim::Column::DisputeAnswer, Expr::val(Some(kept)))
        },
        now,
    )
    .await?;
    let dedupe_key = format!("claim:{}:worker-redelivered:{}", t.claim.id, t.claim.version + 1);
    let notice = delivery_to_confirm(&t, Some(note), true, dedupe_key).await?;
    let entry = Entry::ok(caller.actor(), "claim.redeliver")
        .subject("claim", t.claim.id)
        .organization(Some(t.need.organization_id));
    t.finish(entry, notice, true, now).await
}

/// A merchant's note to the social worker: public text, no web links, at least `min` long.
fn checked_note(note: &str, min: usize) -> Result<String, ServiceError> {
    input::note_to_worker(note, min, DELIVERY_NOTE_MAX).map_err(|e| {
        let mut errors = FieldErrors::default();
        errors.push("note", e);
        ServiceError::Validation(errors)
    })
}

/// The email asking the worker to confirm a delivery; after a dispute it shows the note
/// beside the reason it answers.
async fn delivery_to_confirm(
    t: &Transition,
    note: Option<String>,
    redelivery: bool,
    dedupe_key: String,
) -> Result<Option<Message>, ServiceError> {
    let (c, need) = (&t.claim, &t.need);
    let merchant = t.merchant().await?;
    let to_confirm = Notification::WorkerDeliveryToConfirm(DeliveryToConfirm {
        claim_id: Some(c.id),
        need_id: need.id,
        title: need.title.clone(),
        merchant_name: merchant.name,
        quantity: i64::from(c.quantity),
        unit: need.unit.clone(),
        category: Some(need.category.clone()),
        note,
        reason: c.dispute_reason.clone(),
        redelivery,
    });
    Ok(t.parties().await?.worker(&to_confirm, dedupe_key))
}
