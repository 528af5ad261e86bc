//! Claims: a merchant claims part or all of a need, delivers, and the social worker
//! confirms. Claiming is one conditional UPDATE of the need's counters and one INSERT, in
//! one transaction: it can never oversell, on SQLite or PostgreSQL.
//!
//! - `create`: a claim, with its idempotency key and remembered refusals;
//! - `delivery`: the merchant's moves on its own claim (release, delivered, resume, redeliver);
//! - `confirmation`: the social worker's and the office's (confirm, handoff codes, dispute, resolve);
//! - `transition`: the one way a claim moves (lock the need, check the event, update
//!   conditionally, audit, notify, reload), shared by both sides;
//! - `sweeps`: the jobs' lapses and reminders; `queries`: what callers may read.
//!
//! The merchant's record (on time, late, lapsed, ratings) lives beside merchants.

mod confirmation;
mod create;
mod delivery;
mod queries;
mod sweeps;
mod transition;

use chrono::{DateTime, Utc};

use crate::domain::ClaimStatus;
use crate::entities::{claim, need};
use crate::services::need_cards::DropOff;
use crate::services::outbox::ClaimNotice;

pub use confirmation::{
    Confirmation, DISPUTE_REASON_MAX, HANDOFF_TRIES, confirm, dispute, reset_handoff_tries, resolve_dispute,
};
pub(crate) use create::claim_for_sponsor;
pub use create::{all_left, allowance_refusal, claim_need, claim_need_in_chat, claim_on_behalf};
pub use delivery::{DELIVERY_NOTE_MAX, mark_delivered, mark_delivered_with_note, redeliver, release, resume};
pub use queries::{Unclaimable, get_claim, list_claims, of_need, unclaimable};
pub(crate) use sweeps::lapse_claim;
pub use sweeps::{lapse_overdue, remind_due};
pub(crate) use transition::give_back;

/// The facts of claim `c` of `need` that a merchant's notice about it carries; each kind
/// adds what it tells.
fn notice(c: &claim::Model, need: &need::Model) -> ClaimNotice {
    ClaimNotice {
        claim_id: c.id,
        need_id: need.id,
        title: need.title.clone(),
        quantity: Some(i64::from(c.quantity)),
        unit: Some(need.unit.clone()),
        category: Some(need.category.clone()),
        ..ClaimNotice::default()
    }
}

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
    /// Where the goods go: the need's drop-off point (public), if it has one.
    pub drop_off: Option<DropOff>,
}

/// The result of a claim request.
#[derive(Debug, Clone)]
pub struct ClaimOutcome {
    /// The claim.
    pub claim: ClaimRecord,
    /// True when this answers a retry of an earlier request with the same key.
    pub replayed: bool,
}

/// The record of claim `c`, with its handoff code (for its own merchant).
pub(crate) async fn record<C: sea_orm::ConnectionTrait>(
    conn: &C,
    c: crate::entities::claim::Model,
) -> Result<ClaimRecord, crate::services::ServiceError> {
    queries::load_record(conn, c, true).await
}
