//! Referral (转介): the organization that has a case (or the office) asks another, whose
//! services cover what the person needs and with the person's consent, to take it over. The
//! receiver sees the case's code, group, community and the reason only; it accepts (the
//! case, its open needs and its future ledger move, and the sender keeps read-only access
//! to the record up to the transfer) or declines with a reason (the case stays). The rules
//! are in `domain::referral`; every step is audited and tells the other side by email.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use super::ServiceError;
use super::access::Caller;
use super::audit::{self, Entry};
use super::error::is_unique_violation;
use super::organization_services;
use super::outbox::{Channel, Message, Notification, ReferralNotice, enqueue};
use crate::config::Secret;
use crate::db;
use crate::domain::input::{self, FieldError, FieldErrors};
use crate::domain::pii::PersonMarks;
use crate::domain::referral::{
    Custody, DeclineReason, HistoryAccess, REPEAT_WINDOW_DAYS, ReferralRefusal, ReferralStatus, Segment, answer_due,
    check_answer, check_referral, repeatedly_referred,
};
use crate::domain::time::local_date;
use crate::domain::{BeneficiaryGroup, CaseStatus, Locale, NeedStatus, Role, ServiceArea};
use crate::entities::{
    beneficiary, case_custody, community, contact, need, organization, referral, referral_need, staff,
};

mod answer;
mod create;
mod custody;
mod queries;
mod sweeps;

pub use answer::{Answer, answer, withdraw};
pub use create::{choices, refer};
pub use custody::{custody, history_access};
pub use queries::{LIST_LIMIT, ReferralReport, list, repeatedly_referred_cases, report, show};
pub use sweeps::remind_late;

/// Most characters of a referral's reason.
pub const REASON_MAX: usize = 500;
/// Most characters of a decline's note.
pub const NOTE_MAX: usize = 500;
/// Working days the receiver has to answer, unless configured.
pub const DEFAULT_ANSWER_DAYS: u32 = 3;

/// What a referral may go wrong with, beside field errors.
#[derive(Debug, thiserror::Error)]
pub enum ReferralError {
    /// A service refusal (not found, forbidden, a field, the database).
    #[error(transparent)]
    Service(#[from] ServiceError),
    /// A rule of referral refuses it; nothing was written.
    #[error("{0}")]
    Refused(ReferralRefusal),
    /// The case has a referral waiting for an answer already.
    #[error("a referral of this case is already waiting for an answer")]
    AlreadyPending,
}

impl From<sea_orm::DbErr> for ReferralError {
    fn from(e: sea_orm::DbErr) -> Self {
        ReferralError::Service(e.into())
    }
}

/// The referral form, as typed.
#[derive(Debug, Clone, Default)]
pub struct ReferralInput {
    /// The service sought (a `ServiceArea` code).
    pub service_area: String,
    /// The receiving organization's id, as typed.
    pub to_organization: String,
    /// Why, in public words.
    pub reason: String,
    /// Whether the person's consent to the transfer was obtained.
    pub consent: bool,
    /// Open needs of the case to send along (every open need moves on acceptance anyway;
    /// these are the ones the referral is about).
    pub need_ids: Vec<i64>,
}

/// Which side of a referral the caller is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The caller's organization sent it.
    Sent,
    /// The caller's organization was asked.
    Received,
    /// The office: sees every referral.
    Office,
}

/// A referral as its pages show it: public facts of the case only.
#[derive(Debug, Clone)]
pub struct ReferralView {
    /// Id.
    pub id: i64,
    /// The case's id (links for the sender and, after acceptance, the receiver).
    pub beneficiary_id: i64,
    /// The case's code.
    pub code: String,
    /// The person's group.
    pub group: BeneficiaryGroup,
    /// The community (Chinese, English).
    pub community: (String, String),
    /// Sender (id, name).
    pub from: (i64, String),
    /// Receiver (id, name).
    pub to: (i64, String),
    /// The service sought.
    pub area: ServiceArea,
    /// The sender's reason.
    pub reason: String,
    /// Where it stands.
    pub status: ReferralStatus,
    /// Why it was declined.
    pub decline_reason: Option<DeclineReason>,
    /// The decliner's note.
    pub decline_note: Option<String>,
    /// Sent at.
    pub created_at: DateTime<Utc>,
    /// Answer due at.
    pub due_at: DateTime<Utc>,
    /// Answered (or withdrawn) at.
    pub answered_at: Option<DateTime<Utc>>,
    /// The needs sent along: (id, title).
    pub needs: Vec<(i64, String)>,
    /// Still unanswered well after its due time: the office was told.
    pub flagged: bool,
    /// The caller's side.
    pub side: Side,
}

impl ReferralView {
    /// Still waiting after its due time.
    pub fn late(&self, now: DateTime<Utc>) -> bool {
        self.status == ReferralStatus::Pending && now >= self.due_at
    }

    /// The caller may accept or decline it now.
    pub fn can_answer(&self) -> bool {
        self.status == ReferralStatus::Pending && self.side == Side::Received
    }

    /// The caller may take it back now.
    pub fn can_withdraw(&self) -> bool {
        self.status == ReferralStatus::Pending && matches!(self.side, Side::Sent | Side::Office)
    }
}

/// What the referral form of a case offers.
#[derive(Debug, Clone)]
pub struct ReferralChoices {
    /// The case's code.
    pub code: String,
    /// Organizations that may receive it: (id, name, the areas they offer).
    pub organizations: Vec<(i64, String, Vec<ServiceArea>)>,
    /// The case's open needs: (id, title).
    pub open_needs: Vec<(i64, String)>,
    /// The case's referrals, newest first.
    pub referrals: Vec<ReferralView>,
    /// A referral of the case waits for an answer.
    pub pending: bool,
}

/// Which referrals a list shows.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReferralFilter {
    /// Only those the caller's organization received (`Some(Side::Received)`) or sent.
    pub side: Option<Side>,
    /// Only those in this state.
    pub status: Option<ReferralStatus>,
}

/// A person referred more than twice in 180 days, for the office: the case and the chain of
/// organizations, oldest first.
#[derive(Debug, Clone)]
pub struct RepeatedlyReferred {
    /// The case.
    pub beneficiary_id: i64,
    /// Its code.
    pub code: String,
    /// Each referral in the window: (from, to, status).
    pub chain: Vec<(String, String, ReferralStatus)>,
}

/// The organization that may refer beneficiary `b` for `caller`: its owner, if the caller
/// works there or is the office of its subdistrict.
pub(super) async fn may_refer<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    b: &beneficiary::Model,
) -> Result<bool, ServiceError> {
    Ok(match caller {
        Caller::Admin { .. } => caller.org_scope().permits(conn, b.organization_id).await?,
        Caller::SocialWorker { organization_id, .. } => *organization_id == b.organization_id,
        _ => false,
    })
}

pub(super) async fn denied<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    action: &str,
    kind: &str,
    id: i64,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    audit::record(
        conn,
        now,
        Entry::denied(caller.actor(), action)
            .subject(kind, id)
            .organization(caller.organization_id()),
    )
    .await?;
    Ok(())
}

/// The beneficiary `id` if `caller` may refer it; otherwise the same 404 as a missing one,
/// audited.
pub(super) async fn referable<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    id: i64,
    action: &str,
    now: DateTime<Utc>,
) -> Result<beneficiary::Model, ServiceError> {
    let found = beneficiary::Entity::find_by_id(id).one(conn).await?;
    let allowed = match &found {
        Some(b) => may_refer(conn, caller, b).await?,
        None => false,
    };
    match found {
        Some(b) if allowed => Ok(b),
        _ => {
            denied(conn, caller, action, "beneficiary", id, now).await?;
            Err(ServiceError::NotFound("beneficiary"))
        }
    }
}

pub(super) async fn open_needs<C: ConnectionTrait>(
    conn: &C,
    beneficiary_id: i64,
) -> Result<Vec<(i64, String)>, ServiceError> {
    Ok(need::Entity::find()
        .filter(need::Column::BeneficiaryId.eq(beneficiary_id))
        .filter(need::Column::Status.is_in([NeedStatus::Open, NeedStatus::FullyClaimed]))
        .order_by_asc(need::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(|n| (n.id, n.title))
        .collect())
}

pub(super) async fn organization_name<C: ConnectionTrait>(conn: &C, id: i64) -> Result<String, ServiceError> {
    Ok(organization::Entity::find_by_id(id)
        .one(conn)
        .await?
        .map(|o| o.name)
        .unwrap_or_default())
}

/// Emails every active social worker of `org` the notice `make` of referral `r`, naming
/// `other` (the organization on the other side).
#[expect(
    clippy::too_many_arguments,
    reason = "one notice, its referral, case, audience and key"
)]
pub(super) async fn tell_workers<C: ConnectionTrait>(
    conn: &C,
    r: &referral::Model,
    b: &beneficiary::Model,
    org: i64,
    other: &str,
    make: fn(ReferralNotice) -> Notification,
    step: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let community = community::Entity::find_by_id(b.community_id)
        .one(conn)
        .await?
        .map(|c| (c.name, c.name_en))
        .unwrap_or_default();
    let notification = make(ReferralNotice {
        referral_id: r.id,
        code: b.code.clone(),
        group: b.beneficiary_group.parse().unwrap_or(BeneficiaryGroup::Other),
        community,
        area: r.service_area,
        other_organization: other.to_owned(),
        reason: r.reason.clone(),
        due: local_date(r.due_at - Duration::seconds(1)).to_string(),
        declined: r.decline_reason,
    });
    let workers = staff::Entity::find()
        .filter(staff::Column::OrganizationId.eq(org))
        .filter(staff::Column::Role.eq(Role::SocialWorker.as_str()))
        .filter(staff::Column::Active.eq(true))
        .all(conn)
        .await?;
    for w in workers {
        let locale = w.locale.map(Locale::from).unwrap_or_default();
        let message = Message::new(
            Channel::Email,
            w.email.clone(),
            locale,
            &notification,
            format!("referral:{}:{step}:staff:{}", r.id, w.id),
        );
        enqueue(conn, message, now).await?;
    }
    Ok(())
}

/// Referral `id` with its case, if `caller` is on one of its sides (the office always is);
/// otherwise the same 404 as a missing one, audited as `action`.
pub(super) async fn visible<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    id: i64,
    action: &str,
    now: DateTime<Utc>,
) -> Result<(referral::Model, Side), ServiceError> {
    let found = referral::Entity::find_by_id(id).one(conn).await?;
    let mut side = found.as_ref().and_then(|r| side_of(caller, r));
    // The office is a side of the referrals that touch its subdistrict only.
    if let (Some(r), Some(Side::Office)) = (&found, side) {
        let scope = caller.org_scope();
        if !scope.permits(conn, r.from_organization_id).await? && !scope.permits(conn, r.to_organization_id).await? {
            side = None;
        }
    }
    match (found, side) {
        (Some(r), Some(side)) => Ok((r, side)),
        _ => {
            denied(conn, caller, action, "referral", id, now).await?;
            Err(ServiceError::NotFound("referral"))
        }
    }
}

/// The caller's side of referral `r`, by role alone: the office's subdistrict is checked by
/// the callers (the list filters by it, [`visible`] checks it).
pub(super) fn side_of(caller: &Caller, r: &referral::Model) -> Option<Side> {
    match caller {
        Caller::Admin { .. } => Some(Side::Office),
        Caller::SocialWorker { organization_id, .. } if *organization_id == r.to_organization_id => {
            Some(Side::Received)
        }
        Caller::SocialWorker { organization_id, .. } if *organization_id == r.from_organization_id => Some(Side::Sent),
        _ => None,
    }
}
