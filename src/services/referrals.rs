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
/// works there or is the office.
fn may_refer(caller: &Caller, b: &beneficiary::Model) -> bool {
    match caller {
        Caller::Admin { .. } => true,
        Caller::SocialWorker { organization_id, .. } => *organization_id == b.organization_id,
        _ => false,
    }
}

async fn denied<C: ConnectionTrait>(
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
async fn referable<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    id: i64,
    action: &str,
    now: DateTime<Utc>,
) -> Result<beneficiary::Model, ServiceError> {
    match beneficiary::Entity::find_by_id(id).one(conn).await? {
        Some(b) if may_refer(caller, &b) => Ok(b),
        _ => {
            denied(conn, caller, action, "beneficiary", id, now).await?;
            Err(ServiceError::NotFound("beneficiary"))
        }
    }
}

/// The referral form of case `beneficiary_id`: who may receive it, its open needs and its
/// referrals so far.
pub async fn choices(
    db: &DatabaseConnection,
    caller: &Caller,
    beneficiary_id: i64,
    now: DateTime<Utc>,
) -> Result<ReferralChoices, ServiceError> {
    let b = referable(db, caller, beneficiary_id, "referral.form", now).await?;
    let areas = organization_services::areas_by_organization(db).await?;
    let organizations = organization::Entity::find()
        .filter(organization::Column::Status.eq(crate::domain::PartyStatus::Approved))
        .filter(organization::Column::Id.ne(b.organization_id))
        .filter(organization::Column::Id.is_in(areas.keys().copied().collect::<Vec<_>>()))
        .order_by_asc(organization::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|o| {
            let offered = areas.get(&o.id).cloned().unwrap_or_default();
            (o.id, o.name, offered)
        })
        .collect();
    let open_needs = open_needs(db, b.id).await?;
    let referrals = of_case(db, caller, &b).await?;
    let pending = referrals.iter().any(|r| r.status == ReferralStatus::Pending);
    Ok(ReferralChoices {
        code: b.code,
        organizations,
        open_needs,
        referrals,
        pending,
    })
}

async fn open_needs<C: ConnectionTrait>(conn: &C, beneficiary_id: i64) -> Result<Vec<(i64, String)>, ServiceError> {
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

/// Refers case `beneficiary_id` as `input` says. Returns the new referral's id.
pub async fn refer(
    db: &DatabaseConnection,
    secret: &Secret,
    caller: &Caller,
    beneficiary_id: i64,
    input: &ReferralInput,
    answer_days: u32,
    now: DateTime<Utc>,
) -> Result<i64, ReferralError> {
    let txn = db::begin_write(db).await?;
    let b = match referable(&txn, caller, beneficiary_id, "referral.create", now).await {
        Ok(b) => b,
        Err(e) => {
            txn.commit().await?;
            return Err(e.into());
        }
    };
    let mut errors = FieldErrors::default();
    let area = errors.check("service_area", input::choice::<ServiceArea>(&input.service_area));
    let reason = errors.check("reason", input::public_text(&input.reason, 5, REASON_MAX));
    if !input.consent {
        errors.push("consent", FieldError::TransferConsentNeeded);
    }
    if let Some(reason) = &reason
        && let Some(details) = super::private_details::private_details(&txn, secret, b.id).await?
        && let Some(found) = PersonMarks::new(&details.full_name, &details.phone, &details.address).find_in(reason)
    {
        errors.push("reason", FieldError::MentionsBeneficiary(found));
    }
    let to = match input.to_organization.trim().parse::<i64>() {
        Ok(id) => Some(id),
        Err(_) => {
            errors.push("to_organization", FieldError::NotChosen);
            None
        }
    };
    // The receiver must offer the service sought: the list of those that do is the
    // form's, and a hand-made request naming another is refused beside the field.
    if let (Some(area), Some(to)) = (area, to)
        && !organization_services::offering(&txn, area, b.organization_id)
            .await?
            .iter()
            .any(|(id, _)| *id == to)
    {
        errors.push("to_organization", FieldError::UnknownChoice);
    }
    let open = open_needs(&txn, b.id).await?;
    let mut need_ids = input.need_ids.clone();
    need_ids.sort_unstable();
    need_ids.dedup();
    if need_ids.iter().any(|id| !open.iter().any(|(open_id, _)| open_id == id)) {
        errors.push("needs", FieldError::UnknownChoice);
    }
    let (Some(area), Some(reason), Some(to), true) = (area, reason, to, errors.is_empty()) else {
        return Err(ServiceError::Validation(errors).into());
    };
    if let Err(refusal) = check_referral(b.organization_id, b.organization_id, to) {
        return Err(ReferralError::Refused(refusal));
    }
    if b.case_status != CaseStatus::Active {
        return Err(ReferralError::Refused(ReferralRefusal::CaseClosed));
    }
    let row = referral::ActiveModel {
        beneficiary_id: Set(b.id),
        from_organization_id: Set(b.organization_id),
        to_organization_id: Set(to),
        service_area: Set(area),
        reason: Set(reason.clone()),
        consent_at: Set(now),
        created_by: Set(caller.staff_id()),
        created_at: Set(now),
        due_at: Set(answer_due(now, answer_days)),
        status: Set(ReferralStatus::Pending),
        ..Default::default()
    };
    let inserted = match referral::Entity::insert(row).exec(&txn).await {
        Ok(r) => r.last_insert_id,
        Err(e) if is_unique_violation(&e) => return Err(ReferralError::AlreadyPending),
        Err(e) => return Err(e.into()),
    };
    if !need_ids.is_empty() {
        referral_need::Entity::insert_many(need_ids.iter().map(|need_id| referral_need::ActiveModel {
            referral_id: Set(inserted),
            need_id: Set(*need_id),
        }))
        .exec_without_returning(&txn)
        .await?;
    }
    let sent: Vec<DateTime<Utc>> = referral::Entity::find()
        .select_only()
        .column(referral::Column::CreatedAt)
        .filter(referral::Column::BeneficiaryId.eq(b.id))
        .filter(referral::Column::CreatedAt.gt(now - Duration::days(REPEAT_WINDOW_DAYS)))
        .into_tuple()
        .all(&txn)
        .await?;
    let repeated = repeatedly_referred(&sent, now);
    audit::record(
        &txn,
        now,
        Entry::ok(caller.actor(), "referral.create")
            .subject("referral", inserted)
            .organization(Some(b.organization_id))
            .detail(serde_json::json!({
                "beneficiary": b.id, "to": to, "area": area.as_str(), "needs": need_ids.len(),
                "repeatedly_referred": repeated,
            })),
    )
    .await?;
    let stored = referral::Entity::find_by_id(inserted)
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound("referral"))?;
    let sender = organization_name(&txn, b.organization_id).await?;
    tell_workers(
        &txn,
        &stored,
        &b,
        to,
        &sender,
        Notification::WorkerReferralReceived,
        "received",
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(inserted)
}

async fn organization_name<C: ConnectionTrait>(conn: &C, id: i64) -> Result<String, ServiceError> {
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
async fn tell_workers<C: ConnectionTrait>(
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
async fn visible<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    id: i64,
    action: &str,
    now: DateTime<Utc>,
) -> Result<(referral::Model, Side), ServiceError> {
    let found = referral::Entity::find_by_id(id).one(conn).await?;
    let side = found.as_ref().and_then(|r| side_of(caller, r));
    match (found, side) {
        (Some(r), Some(side)) => Ok((r, side)),
        _ => {
            denied(conn, caller, action, "referral", id, now).await?;
            Err(ServiceError::NotFound("referral"))
        }
    }
}

fn side_of(caller: &Caller, r: &referral::Model) -> Option<Side> {
    match caller {
        Caller::Admin { .. } => Some(Side::Office),
        Caller::SocialWorker { organization_id, .. } if *organization_id == r.to_organization_id => {
            Some(Side::Received)
        }
        Caller::SocialWorker { organization_id, .. } if *organization_id == r.from_organization_id => Some(Side::Sent),
        _ => None,
    }
}

/// One referral as its page shows it.
pub async fn show(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i64,
    now: DateTime<Utc>,
) -> Result<ReferralView, ServiceError> {
    let (r, side) = visible(db, caller, id, "referral.read", now).await?;
    let mut views = views(db, vec![(r, side)]).await?;
    views.pop().ok_or(ServiceError::NotFound("referral"))
}

async fn views<C: ConnectionTrait>(
    conn: &C,
    rows: Vec<(referral::Model, Side)>,
) -> Result<Vec<ReferralView>, ServiceError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let case_ids: Vec<i64> = rows.iter().map(|(r, _)| r.beneficiary_id).collect();
    let cases: std::collections::HashMap<i64, beneficiary::Model> = beneficiary::Entity::find()
        .filter(beneficiary::Column::Id.is_in(case_ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|b| (b.id, b))
        .collect();
    let communities: std::collections::HashMap<i64, (String, String)> = community::Entity::find()
        .all(conn)
        .await?
        .into_iter()
        .map(|c| (c.id, (c.name, c.name_en)))
        .collect();
    let org_ids: Vec<i64> = rows
        .iter()
        .flat_map(|(r, _)| [r.from_organization_id, r.to_organization_id])
        .collect();
    let names: std::collections::HashMap<i64, String> = organization::Entity::find()
        .filter(organization::Column::Id.is_in(org_ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    let ids: Vec<i64> = rows.iter().map(|(r, _)| r.id).collect();
    let mut sent_along: std::collections::HashMap<i64, Vec<(i64, String)>> = std::collections::HashMap::new();
    let links = referral_need::Entity::find()
        .filter(referral_need::Column::ReferralId.is_in(ids))
        .all(conn)
        .await?;
    if !links.is_empty() {
        let titles: std::collections::HashMap<i64, String> = need::Entity::find()
            .filter(need::Column::Id.is_in(links.iter().map(|l| l.need_id).collect::<Vec<_>>()))
            .all(conn)
            .await?
            .into_iter()
            .map(|n| (n.id, n.title))
            .collect();
        for l in links {
            let title = titles.get(&l.need_id).cloned().unwrap_or_default();
            sent_along.entry(l.referral_id).or_default().push((l.need_id, title));
        }
    }
    let name = |id: i64| names.get(&id).cloned().unwrap_or_default();
    Ok(rows
        .into_iter()
        .filter_map(|(r, side)| {
            let b = cases.get(&r.beneficiary_id)?;
            Some(ReferralView {
                id: r.id,
                beneficiary_id: b.id,
                code: b.code.clone(),
                group: b.beneficiary_group.parse().unwrap_or(BeneficiaryGroup::Other),
                community: communities.get(&b.community_id).cloned().unwrap_or_default(),
                from: (r.from_organization_id, name(r.from_organization_id)),
                to: (r.to_organization_id, name(r.to_organization_id)),
                area: r.service_area,
                reason: r.reason,
                status: r.status,
                decline_reason: r.decline_reason,
                decline_note: r.decline_note,
                created_at: r.created_at,
                due_at: r.due_at,
                answered_at: r.answered_at,
                needs: sent_along.remove(&r.id).unwrap_or_default(),
                flagged: r.flagged_at.is_some() && r.status == ReferralStatus::Pending,
                side,
            })
        })
        .collect())
}

/// The referrals of case `b` the caller may see: every one for the office and the case's
/// owner; an earlier owner sees those up to its hand-over.
async fn of_case<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    b: &beneficiary::Model,
) -> Result<Vec<ReferralView>, ServiceError> {
    let rows = referral::Entity::find()
        .filter(referral::Column::BeneficiaryId.eq(b.id))
        .order_by_desc(referral::Column::Id)
        .all(conn)
        .await?;
    let rows = rows
        .into_iter()
        .map(|r| {
            let side = side_of(caller, &r).unwrap_or(Side::Sent);
            (r, side)
        })
        .collect();
    views(conn, rows).await
}

/// Most referrals a list shows.
pub const LIST_LIMIT: u64 = 200;

/// The referrals the caller's organization sent or received (every one for the office),
/// newest first, with `filter` applied.
pub async fn list(
    db: &DatabaseConnection,
    caller: &Caller,
    filter: ReferralFilter,
    now: DateTime<Utc>,
) -> Result<Vec<ReferralView>, ServiceError> {
    let mut query = referral::Entity::find().order_by_desc(referral::Column::Id);
    match (caller, filter.side) {
        (Caller::Admin { .. }, _) => {}
        (Caller::SocialWorker { organization_id, .. }, Some(Side::Received)) => {
            query = query.filter(referral::Column::ToOrganizationId.eq(*organization_id));
        }
        (Caller::SocialWorker { organization_id, .. }, Some(Side::Sent)) => {
            query = query.filter(referral::Column::FromOrganizationId.eq(*organization_id));
        }
        (Caller::SocialWorker { organization_id, .. }, _) => {
            query = query.filter(
                Condition::any()
                    .add(referral::Column::ToOrganizationId.eq(*organization_id))
                    .add(referral::Column::FromOrganizationId.eq(*organization_id)),
            );
        }
        _ => {
            denied(db, caller, "referral.list", "referral", 0, now).await?;
            return Err(ServiceError::Forbidden);
        }
    }
    if let Some(status) = filter.status {
        query = query.filter(referral::Column::Status.eq(status));
    }
    let rows = query.limit(LIST_LIMIT).all(db).await?;
    let rows = rows
        .into_iter()
        .filter_map(|r| side_of(caller, &r).map(|side| (r, side)))
        .collect();
    views(db, rows).await
}

/// For the office: people referred more than twice in 180 days, with the chain.
pub async fn repeatedly_referred_cases(
    db: &DatabaseConnection,
    caller: &Caller,
    now: DateTime<Utc>,
) -> Result<Vec<RepeatedlyReferred>, ServiceError> {
    super::access::require_admin(db, caller, "referral.repeated", now).await?;
    let since = now - Duration::days(REPEAT_WINDOW_DAYS);
    let rows = referral::Entity::find()
        .filter(referral::Column::CreatedAt.gt(since))
        .order_by_asc(referral::Column::BeneficiaryId)
        .order_by_asc(referral::Column::CreatedAt)
        .all(db)
        .await?;
    let mut by_case: std::collections::BTreeMap<i64, Vec<referral::Model>> = std::collections::BTreeMap::new();
    for r in rows {
        by_case.entry(r.beneficiary_id).or_default().push(r);
    }
    let names: std::collections::HashMap<i64, String> = organization::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    let name = |id: i64| names.get(&id).cloned().unwrap_or_default();
    let mut out = Vec::new();
    for (case, chain) in by_case {
        let sent: Vec<DateTime<Utc>> = chain.iter().map(|r| r.created_at).collect();
        if !repeatedly_referred(&sent, now) {
            continue;
        }
        let code = beneficiary::Entity::find_by_id(case)
            .one(db)
            .await?
            .map(|b| b.code)
            .unwrap_or_default();
        out.push(RepeatedlyReferred {
            beneficiary_id: case,
            code,
            chain: chain
                .iter()
                .map(|r| (name(r.from_organization_id), name(r.to_organization_id), r.status))
                .collect(),
        });
    }
    Ok(out)
}

/// How a receiver answers.
#[derive(Debug, Clone)]
pub enum Answer {
    /// Take the case over.
    Accept,
    /// Refuse, with a reason and optional words.
    Decline {
        /// Why (a `DeclineReason` code, as typed).
        reason: String,
        /// More words, public text.
        note: String,
    },
}

/// Answers referral `id` as the receiving organization.
pub async fn answer(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i64,
    answer: Answer,
    now: DateTime<Utc>,
) -> Result<(), ReferralError> {
    let txn = db::begin_write(db).await?;
    let (r, side) = match visible(&txn, caller, id, "referral.answer", now).await {
        Ok(found) => found,
        Err(e) => {
            txn.commit().await?;
            return Err(e.into());
        }
    };
    if side != Side::Received {
        denied(&txn, caller, "referral.answer", "referral", id, now).await?;
        txn.commit().await?;
        return Err(ServiceError::Forbidden.into());
    }
    let b = lock_case(&txn, r.beneficiary_id).await?;
    check_answer(r.status, r.from_organization_id, b.organization_id).map_err(ReferralError::Refused)?;
    if matches!(answer, Answer::Accept) && b.case_status != CaseStatus::Active {
        return Err(ReferralError::Refused(ReferralRefusal::CaseClosed));
    }
    let receiver = organization_name(&txn, r.to_organization_id).await?;
    match answer {
        Answer::Accept => {
            transfer(&txn, caller, &r, &b, now).await?;
            let updated = settle(&txn, caller, &r, ReferralStatus::Accepted, None, None, now).await?;
            audit::record(
                &txn,
                now,
                Entry::ok(caller.actor(), "referral.accept")
                    .subject("referral", r.id)
                    .organization(Some(r.to_organization_id))
                    .detail(serde_json::json!({ "beneficiary": b.id, "from": r.from_organization_id })),
            )
            .await?;
            let moved = beneficiary::Entity::find_by_id(b.id).one(&txn).await?.unwrap_or(b);
            tell_workers(
                &txn,
                &updated,
                &moved,
                r.from_organization_id,
                &receiver,
                Notification::WorkerReferralAccepted,
                "accepted",
                now,
            )
            .await?;
        }
        Answer::Decline { reason, note } => {
            let mut errors = FieldErrors::default();
            let why = errors.check("decline_reason", input::choice::<DeclineReason>(&reason));
            let note = if note.trim().is_empty() {
                Some(None)
            } else {
                errors
                    .check("decline_note", input::public_text(&note, 1, NOTE_MAX))
                    .map(Some)
            };
            let (Some(why), Some(note), true) = (why, note, errors.is_empty()) else {
                return Err(ServiceError::Validation(errors).into());
            };
            let updated = settle(&txn, caller, &r, ReferralStatus::Declined, Some(why), note, now).await?;
            audit::record(
                &txn,
                now,
                Entry::ok(caller.actor(), "referral.decline")
                    .subject("referral", r.id)
                    .organization(Some(r.to_organization_id))
                    .detail(serde_json::json!({ "beneficiary": b.id, "reason": why.as_str() })),
            )
            .await?;
            tell_workers(
                &txn,
                &updated,
                &b,
                r.from_organization_id,
                &receiver,
                Notification::WorkerReferralDeclined,
                "declined",
                now,
            )
            .await?;
        }
    }
    txn.commit().await?;
    Ok(())
}

/// Takes referral `id` back, as its sender or the office.
pub async fn withdraw(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i64,
    now: DateTime<Utc>,
) -> Result<(), ReferralError> {
    let txn = db::begin_write(db).await?;
    let (r, side) = match visible(&txn, caller, id, "referral.withdraw", now).await {
        Ok(found) => found,
        Err(e) => {
            txn.commit().await?;
            return Err(e.into());
        }
    };
    if side == Side::Received {
        denied(&txn, caller, "referral.withdraw", "referral", id, now).await?;
        txn.commit().await?;
        return Err(ServiceError::Forbidden.into());
    }
    if r.status != ReferralStatus::Pending {
        return Err(ReferralError::Refused(ReferralRefusal::NotPending));
    }
    settle(&txn, caller, &r, ReferralStatus::Withdrawn, None, None, now).await?;
    audit::record(
        &txn,
        now,
        Entry::ok(caller.actor(), "referral.withdraw")
            .subject("referral", r.id)
            .organization(Some(r.from_organization_id)),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The case row, locked for the rest of the transaction (on SQLite the write transaction
/// holds the database already).
async fn lock_case<C: ConnectionTrait>(txn: &C, id: i64) -> Result<beneficiary::Model, ServiceError> {
    let mut query = beneficiary::Entity::find_by_id(id);
    if txn.get_database_backend() == DbBackend::Postgres {
        query = query.lock_exclusive();
    }
    query.one(txn).await?.ok_or(ServiceError::NotFound("beneficiary"))
}

/// Moves the answer of `r` to `status`, only if it is still pending (a second answer at the
/// same moment finds it answered and changes nothing).
async fn settle<C: ConnectionTrait>(
    txn: &C,
    caller: &Caller,
    r: &referral::Model,
    status: ReferralStatus,
    decline_reason: Option<DeclineReason>,
    decline_note: Option<String>,
    now: DateTime<Utc>,
) -> Result<referral::Model, ReferralError> {
    let changed = referral::Entity::update_many()
        .col_expr(referral::Column::Status, Expr::val(status))
        .col_expr(referral::Column::DeclineReason, Expr::val(decline_reason))
        .col_expr(referral::Column::DeclineNote, Expr::val(decline_note))
        .col_expr(referral::Column::AnsweredBy, Expr::val(caller.staff_id()))
        .col_expr(referral::Column::AnsweredAt, Expr::val(Some(now)))
        .filter(referral::Column::Id.eq(r.id))
        .filter(referral::Column::Status.eq(ReferralStatus::Pending))
        .exec(txn)
        .await?;
    if changed.rows_affected == 0 {
        return Err(ReferralError::Refused(ReferralRefusal::NotPending));
    }
    Ok(referral::Entity::find_by_id(r.id)
        .one(txn)
        .await?
        .ok_or(ServiceError::NotFound("referral"))?)
}

/// The stored custody of case `b`; a case registered before custody was kept (or by a path
/// that writes none) has had one owner since it was registered.
pub async fn custody<C: ConnectionTrait>(conn: &C, b: &beneficiary::Model) -> Result<Custody, ServiceError> {
    let rows = case_custody::Entity::find()
        .filter(case_custody::Column::BeneficiaryId.eq(b.id))
        .order_by_asc(case_custody::Column::FromAt)
        .order_by_asc(case_custody::Column::Id)
        .all(conn)
        .await?;
    if rows.is_empty() {
        return Ok(Custody::new(b.organization_id, b.created_at));
    }
    let segments = rows
        .into_iter()
        .map(|r| Segment {
            organization_id: r.organization_id,
            from: r.from_at,
            until: r.until_at,
        })
        .collect();
    Custody::from_segments(segments)
        .ok_or_else(|| ServiceError::Internal(format!("case {} has a broken custody", b.id)))
}

/// What `caller` may read of case `b`'s history: all for the office and the owner, up to
/// the hand-over for an earlier owner, nothing otherwise.
pub async fn history_access<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    b: &beneficiary::Model,
) -> Result<HistoryAccess, ServiceError> {
    match caller {
        Caller::Admin { .. } | Caller::System => Ok(HistoryAccess::All),
        Caller::SocialWorker { organization_id, .. } | Caller::Organization { organization_id, .. } => {
            if *organization_id == b.organization_id {
                return Ok(HistoryAccess::All);
            }
            Ok(custody(conn, b).await?.access(*organization_id))
        }
        Caller::Merchant { .. } => Ok(HistoryAccess::None),
    }
}

/// Moves case `b` to `r`'s receiver: the custody, the case row, its open needs (now posted
/// in the receiver's name, so that news of them reaches its workers) and its contact.
async fn transfer<C: ConnectionTrait>(
    txn: &C,
    caller: &Caller,
    r: &referral::Model,
    b: &beneficiary::Model,
    now: DateTime<Utc>,
) -> Result<(), ReferralError> {
    let mut custody = custody(txn, b).await?;
    let stored = case_custody::Entity::find()
        .filter(case_custody::Column::BeneficiaryId.eq(b.id))
        .count(txn)
        .await?;
    custody
        .transfer(r.to_organization_id, now)
        .map_err(ReferralError::Refused)?;
    if stored == 0 {
        case_custody::Entity::insert(case_custody::ActiveModel {
            beneficiary_id: Set(b.id),
            organization_id: Set(b.organization_id),
            from_at: Set(b.created_at),
            until_at: Set(Some(now)),
            ..Default::default()
        })
        .exec(txn)
        .await?;
    } else {
        case_custody::Entity::update_many()
            .col_expr(case_custody::Column::UntilAt, Expr::val(Some(now)))
            .filter(case_custody::Column::BeneficiaryId.eq(b.id))
            .filter(case_custody::Column::UntilAt.is_null())
            .exec(txn)
            .await?;
    }
    case_custody::Entity::insert(case_custody::ActiveModel {
        beneficiary_id: Set(b.id),
        organization_id: Set(r.to_organization_id),
        from_at: Set(now),
        until_at: Set(None),
        referral_id: Set(Some(r.id)),
        ..Default::default()
    })
    .exec(txn)
    .await?;
    beneficiary::Entity::update_many()
        .col_expr(beneficiary::Column::OrganizationId, Expr::val(r.to_organization_id))
        .col_expr(beneficiary::Column::UpdatedAt, Expr::val(now))
        .filter(beneficiary::Column::Id.eq(b.id))
        .exec(txn)
        .await?;
    need::Entity::update_many()
        .col_expr(need::Column::OrganizationId, Expr::val(r.to_organization_id))
        .col_expr(need::Column::PostedBy, Expr::val(caller.staff_id()))
        .col_expr(need::Column::UpdatedAt, Expr::val(now))
        .filter(need::Column::BeneficiaryId.eq(b.id))
        .filter(need::Column::Status.is_in([NeedStatus::Open, NeedStatus::FullyClaimed]))
        .exec(txn)
        .await?;
    if let Some(contact_id) = b.contact_id {
        contact::Entity::update_many()
            .col_expr(contact::Column::OrganizationId, Expr::val(Some(r.to_organization_id)))
            .filter(contact::Column::Id.eq(contact_id))
            .exec(txn)
            .await?;
    }
    Ok(())
}

/// Job step: reminds receivers of referrals whose answer is late, once, and flags to the
/// office those still unanswered `flag_after` later. Returns (reminded, flagged).
pub async fn remind_late(
    db: &DatabaseConnection,
    flag_after: Duration,
    now: DateTime<Utc>,
) -> Result<(u64, u64), ServiceError> {
    let late = referral::Entity::find()
        .filter(referral::Column::Status.eq(ReferralStatus::Pending))
        .filter(referral::Column::DueAt.lte(now))
        .filter(referral::Column::RemindedAt.is_null())
        .limit(100)
        .all(db)
        .await?;
    let mut reminded = 0;
    for r in late {
        let txn = db::begin_write(db).await?;
        // One process reminds: the conditional update decides which.
        let won = referral::Entity::update_many()
            .col_expr(referral::Column::RemindedAt, Expr::val(Some(now)))
            .filter(referral::Column::Id.eq(r.id))
            .filter(referral::Column::Status.eq(ReferralStatus::Pending))
            .filter(referral::Column::RemindedAt.is_null())
            .exec(&txn)
            .await?
            .rows_affected
            == 1;
        if won && let Some(b) = beneficiary::Entity::find_by_id(r.beneficiary_id).one(&txn).await? {
            let sender = organization_name(&txn, r.from_organization_id).await?;
            tell_workers(
                &txn,
                &r,
                &b,
                r.to_organization_id,
                &sender,
                Notification::WorkerReferralReminder,
                "reminder",
                now,
            )
            .await?;
            reminded += 1;
        }
        txn.commit().await?;
    }
    let flagged = referral::Entity::update_many()
        .col_expr(referral::Column::FlaggedAt, Expr::val(Some(now)))
        .filter(referral::Column::Status.eq(ReferralStatus::Pending))
        .filter(referral::Column::RemindedAt.lte(now - flag_after))
        .filter(referral::Column::FlaggedAt.is_null())
        .exec(db)
        .await?
        .rows_affected;
    if flagged > 0 {
        tracing::info!(flagged, "late referrals flagged to the office");
    }
    Ok((reminded, flagged))
}

/// The office's referral report: by pair of organizations (names), the decline reasons, and
/// the people referred again and again.
#[derive(Debug, Clone)]
pub struct ReferralReport {
    /// (sender, receiver, figures), by sender then receiver name.
    pub pairs: Vec<(String, String, crate::domain::referral::PairFigures)>,
    /// How often each reason was given.
    pub declines: Vec<(DeclineReason, u64)>,
    /// People referred more than twice in 180 days.
    pub repeated: Vec<RepeatedlyReferred>,
}

/// The referral report over referrals sent since `since` (the office only).
pub async fn report(
    db: &DatabaseConnection,
    caller: &Caller,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<ReferralReport, ServiceError> {
    use crate::domain::referral::{ReferralFact, ReferralFigures};
    super::access::require_admin(db, caller, "referral.report", now).await?;
    let facts: Vec<ReferralFact> = referral::Entity::find()
        .filter(referral::Column::CreatedAt.gte(since))
        .all(db)
        .await?
        .into_iter()
        .map(|r| ReferralFact {
            from: r.from_organization_id,
            to: r.to_organization_id,
            status: r.status,
            sent: r.created_at,
            answered: r.answered_at,
            declined: r.decline_reason,
        })
        .collect();
    let figures = ReferralFigures::compute(&facts);
    let names: std::collections::HashMap<i64, String> = organization::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    let name = |id: i64| names.get(&id).cloned().unwrap_or_default();
    let mut pairs: Vec<_> = figures
        .by_pair
        .into_iter()
        .map(|((from, to), f)| (name(from), name(to), f))
        .collect();
    pairs.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    Ok(ReferralReport {
        pairs,
        declines: figures.declines.into_iter().collect(),
        repeated: repeatedly_referred_cases(db, caller, now).await?,
    })
}
