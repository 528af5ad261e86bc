//! Needs: post, edit while unclaimed, cancel, expire, read and list.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use super::access::{Caller, OrgScope};
use super::audit::{self, Entry};
pub use super::need_cards::{DropOff, NeedCard, get_need};
use super::need_cards::{card_by_id, cards};
use super::outbox::{ClaimNotice, NearDeadline, NeedEnded, NeedRegistered, Notification, enqueue};
use super::{ServiceError, recipients};
use crate::config::Secret;
use crate::db;
use crate::domain::alerts::LadderPolicy;
use crate::domain::input::{self, FieldError, FieldErrors};
use crate::domain::need_input::NeedDraft;
use crate::domain::pii::PersonMarks;
use crate::domain::time::local_date;
use crate::domain::{Category, ClaimEvent, ClaimStatus, NeedStatus, Recurrence, Urgency};
use crate::entities::{beneficiary, claim, drop_off_point, merchant, need};

/// Filters of a need list; `None` means any.
#[derive(Debug, Clone, Default)]
pub struct NeedFilter {
    /// Status (merchants always see open needs only).
    pub status: Option<NeedStatus>,
    /// Category.
    pub category: Option<Category>,
    /// Community id.
    pub community_id: Option<i64>,
    /// Urgency.
    pub urgency: Option<Urgency>,
}

/// A page of needs and the cursor of the next one.
#[derive(Debug, Clone)]
pub struct NeedPage {
    /// The needs, most urgent first, then oldest first.
    pub items: Vec<NeedCard>,
    /// Opaque cursor for the next page, if there is one.
    pub next_cursor: Option<String>,
}

/// Most needs a page may hold.
pub const MAX_PAGE: u64 = 100;

/// Posts a need for a beneficiary of the caller's organization.
pub async fn post_need(
    db: &DatabaseConnection,
    secret: &Secret,
    caller: &Caller,
    draft: NeedDraft,
    now: DateTime<Utc>,
) -> Result<NeedCard, ServiceError> {
    if caller.merchant_id().is_some() {
        return Err(ServiceError::Forbidden);
    }
    let txn = db::begin_write(db).await?;
    let beneficiary = beneficiary::Entity::find_by_id(draft.beneficiary_id).one(&txn).await?;
    let reaches = match &beneficiary {
        Some(b) => caller.org_scope().permits(&txn, b.organization_id).await?,
        None => false,
    };
    let Some(beneficiary) = beneficiary.filter(|_| reaches) else {
        // Same answer for a missing beneficiary and another organization's.
        audit::record(
            &txn,
            now,
            Entry::denied(caller.actor(), "need.post")
                .subject("beneficiary", draft.beneficiary_id)
                .organization(caller.organization_id()),
        )
        .await?;
        txn.commit().await?;
        let mut errors = FieldErrors::default();
        errors.push("beneficiary_id", FieldError::UnknownChoice);
        return Err(ServiceError::Validation(errors));
    };
    if let Err(refusal) = (crate::domain::case::CaseState {
        status: beneficiary.case_status,
        erased_at: beneficiary.erased_at,
    })
    .post_need()
    {
        let mut errors = FieldErrors::default();
        errors.push("beneficiary_id", FieldError::Case(refusal));
        return Err(ServiceError::Validation(errors));
    }
    if let Some(errors) = beneficiary_mentioned(&txn, secret, beneficiary.id, &draft).await? {
        let subject = ("beneficiary", beneficiary.id);
        record_mention(
            &txn,
            caller,
            "need.post",
            subject,
            beneficiary.organization_id,
            &errors,
            now,
        )
        .await?;
        txn.commit().await?;
        return Err(ServiceError::Validation(errors));
    }
    let drop_off = match draft.drop_off_point_id {
        Some(chosen) => Some(own_drop_off(&txn, beneficiary.organization_id, chosen).await?),
        None => drop_off_point::Entity::find()
            .filter(drop_off_point::Column::OrganizationId.eq(beneficiary.organization_id))
            .order_by_asc(drop_off_point::Column::Id)
            .one(&txn)
            .await?
            .map(|d| d.id),
    };
    let row = need::ActiveModel {
        organization_id: Set(beneficiary.organization_id),
        beneficiary_id: Set(beneficiary.id),
        community_id: Set(beneficiary.community_id),
        drop_off_point_id: Set(drop_off),
        posted_by: Set(caller.staff_id()),
        category: Set(draft.category.as_str().to_owned()),
        title: Set(draft.title),
        description: Set(draft.description),
        quantity: Set(draft.quantity),
        unit: Set(draft.unit),
        claimed: Set(0),
        delivered: Set(0),
        urgency: Set(draft.urgency.as_str().to_owned()),
        deadline: Set(draft.deadline),
        recurrence: Set(draft.recurrence.as_str().to_owned()),
        estimated_value_cents: Set(draft.estimated_value_cents),
        claim_days: Set(draft.claim_days),
        status: Set(NeedStatus::Open),
        version: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        reopened_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    if draft.recurrence != Recurrence::Once {
        // The first period of its own series (`services::need_series` posts the next ones).
        need::Entity::update_many()
            .col_expr(need::Column::SeriesId, Expr::value(row.id))
            .col_expr(need::Column::PeriodIndex, Expr::value(1))
            .col_expr(need::Column::PeriodsTotal, Expr::value(draft.periods))
            .filter(need::Column::Id.eq(row.id))
            .exec(&txn)
            .await?;
    }
    audit::record(
        &txn,
        now,
        Entry::ok(caller.actor(), "need.post")
            .subject("need", row.id)
            .organization(Some(row.organization_id)),
    )
    .await?;
    let parties = recipients::of_need(&txn, &row).await?;
    let registered = Notification::ResidentNeedRegistered(NeedRegistered {
        need_id: row.id,
        title: row.title.clone(),
        quantity: i64::from(row.quantity),
        unit: row.unit.clone(),
    });
    if let Some(m) = parties.resident(&registered, format!("need:{}:resident-registered", row.id)) {
        enqueue(&txn, m, now).await?;
    }
    // The first rung of the alert ladder goes out with the need (or not at all).
    super::alerts::start_ladder(&txn, &row, &LadderPolicy::default(), now).await?;
    let card = cards(&txn, vec![row])
        .await?
        .pop()
        .ok_or(ServiceError::NotFound("need"))?;
    txn.commit().await?;
    Ok(card)
}

/// Replaces the public fields of a need while nothing of it is claimed.
pub async fn edit_need(
    db: &DatabaseConnection,
    secret: &Secret,
    caller: &Caller,
    need_id: i64,
    draft: NeedDraft,
    now: DateTime<Utc>,
) -> Result<NeedCard, ServiceError> {
    let txn = db::begin_write(db).await?;
    let need = visible_need_for_change(&txn, caller, need_id, "need.edit", now).await?;
    let Some(need) = need else {
        txn.commit().await?;
        return Err(ServiceError::NotFound("need"));
    };
    if let Some(errors) = beneficiary_mentioned(&txn, secret, need.beneficiary_id, &draft).await? {
        record_mention(
            &txn,
            caller,
            "need.edit",
            ("need", need.id),
            need.organization_id,
            &errors,
            now,
        )
        .await?;
        txn.commit().await?;
        return Err(ServiceError::Validation(errors));
    }
    // No point chosen keeps the one the need has.
    let drop_off = match draft.drop_off_point_id {
        Some(chosen) => Some(own_drop_off(&txn, need.organization_id, chosen).await?),
        None => need.drop_off_point_id,
    };
    let changed = need::Entity::update_many()
        .col_expr(need::Column::Category, Expr::value(draft.category.as_str()))
        .col_expr(need::Column::Title, Expr::value(draft.title))
        .col_expr(need::Column::Description, Expr::value(draft.description))
        .col_expr(need::Column::Quantity, Expr::value(draft.quantity))
        .col_expr(need::Column::Unit, Expr::value(draft.unit))
        .col_expr(need::Column::Urgency, Expr::value(draft.urgency.as_str()))
        .col_expr(need::Column::Deadline, Expr::value(draft.deadline))
        .col_expr(need::Column::ClaimDays, Expr::value(draft.claim_days))
        .col_expr(
            need::Column::EstimatedValueCents,
            Expr::value(draft.estimated_value_cents),
        )
        .col_expr(need::Column::DropOffPointId, Expr::value(drop_off))
        .col_expr(need::Column::Version, Expr::col(need::Column::Version).add(1))
        .col_expr(need::Column::UpdatedAt, Expr::value(now))
        .filter(need::Column::Id.eq(need.id))
        .filter(need::Column::Claimed.eq(0))
        .filter(need::Column::Status.eq(NeedStatus::Open))
        .exec(&txn)
        .await?;
    if changed.rows_affected == 0 {
        return Err(ServiceError::Conflict(
            "a need can be edited only while it is open and nothing of it is claimed".into(),
        ));
    }
    audit::record(
        &txn,
        now,
        Entry::ok(caller.actor(), "need.edit")
            .subject("need", need.id)
            .organization(Some(need.organization_id)),
    )
    .await?;
    let card = card_by_id(&txn, need.id).await?;
    txn.commit().await?;
    Ok(card)
}

/// The id of drop-off point `chosen` if organization `organization_id` runs it; another organization's point or a
/// missing one is the same field error, so the form cannot be used to probe other organizations' points.
async fn own_drop_off<C: ConnectionTrait>(conn: &C, organization_id: i64, chosen: i64) -> Result<i64, ServiceError> {
    let found = drop_off_point::Entity::find_by_id(chosen)
        .filter(drop_off_point::Column::OrganizationId.eq(organization_id))
        .one(conn)
        .await?;
    match found {
        Some(point) => Ok(point.id),
        None => {
            let mut errors = FieldErrors::default();
            errors.push("drop_off_point_id", FieldError::UnknownChoice);
            Err(ServiceError::Validation(errors))
        }
    }
}

/// The drop-off points a caller may choose for a need: its organization's (every point for the office, whose
/// choice is checked against the beneficiary's organization when the need is saved). Merchants choose none.
pub async fn drop_off_points(
    db: &DatabaseConnection,
    caller: &Caller,
) -> Result<Vec<drop_off_point::Model>, ServiceError> {
    let query = drop_off_point::Entity::find().order_by_asc(drop_off_point::Column::Id);
    let scope = caller.org_scope();
    if scope == OrgScope::NoneOf {
        return Err(ServiceError::Forbidden);
    }
    let query = query.filter(scope.condition(drop_off_point::Column::OrganizationId));
    Ok(query.limit(500).all(db).await?)
}

/// The needs posted for beneficiary `beneficiary_id`, newest first, if the caller may see that beneficiary; the
/// same `NotFound` otherwise.
pub async fn of_beneficiary(
    db: &DatabaseConnection,
    caller: &Caller,
    beneficiary_id: i64,
) -> Result<Vec<NeedCard>, ServiceError> {
    super::access::refuse_district(db, caller, "need.list", chrono::Utc::now()).await?;
    let owner = beneficiary::Entity::find_by_id(beneficiary_id).one(db).await?;
    let visible = match owner {
        Some(b) if caller.merchant_id().is_none() => caller.org_scope().permits(db, b.organization_id).await?,
        _ => false,
    };
    if !visible {
        return Err(ServiceError::NotFound("beneficiary"));
    }
    let rows = need::Entity::find()
        .filter(need::Column::BeneficiaryId.eq(beneficiary_id))
        .order_by_desc(need::Column::Id)
        .limit(200)
        .all(db)
        .await?;
    cards(db, rows).await
}

/// The field errors of a need whose public text repeats its own beneficiary's registered name (or surname with a
/// form of address), phone or address; `None` when it does not. The sealed details are opened here for this
/// comparison only: they are never logged, returned or echoed, and the error names the field to fix, not the value.
async fn beneficiary_mentioned<C: ConnectionTrait>(
    conn: &C,
    secret: &Secret,
    beneficiary_id: i64,
    draft: &NeedDraft,
) -> Result<Option<FieldErrors>, ServiceError> {
    let Some(details) = super::private_details::private_details(conn, secret, beneficiary_id).await? else {
        return Ok(None);
    };
    let marks = PersonMarks::new(&details.full_name, &details.phone, &details.address);
    let mut errors = FieldErrors::default();
    for (field, text) in [
        ("title", &draft.title),
        ("description", &draft.description),
        ("unit", &draft.unit),
    ] {
        if let Some(found) = marks.find_in(text) {
            errors.push(field, FieldError::MentionsBeneficiary(found));
        }
    }
    Ok((!errors.is_empty()).then_some(errors))
}

/// Audits a need form refused for naming its person (a data-quality refusal that counts
/// in the organization's credit record, see [`crate::domain::credit::OrganizationRecord`]):
/// which fields, never what they said.
async fn record_mention<C: ConnectionTrait>(
    txn: &C,
    caller: &Caller,
    action: &str,
    subject: (&str, i64),
    organization_id: i64,
    errors: &FieldErrors,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let fields: Vec<&str> = errors.0.iter().map(|(field, _)| *field).collect();
    audit::record(
        txn,
        now,
        Entry::denied(caller.actor(), action)
            .subject(subject.0, subject.1)
            .organization(Some(organization_id))
            .detail(serde_json::json!({ "data_quality": "mentions_beneficiary", "fields": fields })),
    )
    .await?;
    Ok(())
}

/// The longest cancel reason a social worker may give.
pub const CANCEL_REASON_MAX: usize = 500;

/// Cancels a need with a reason (told to the merchants whose claims end with it, and
/// written to the audit log).
pub async fn cancel_need(
    db: &DatabaseConnection,
    secret: &Secret,
    caller: &Caller,
    need_id: i64,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<NeedCard, ServiceError> {
    let txn = db::begin_write(db).await?;
    let Some(need) = visible_need_for_change(&txn, caller, need_id, "need.cancel", now).await? else {
        txn.commit().await?;
        return Err(ServiceError::NotFound("need"));
    };
    // Checked after the access check, so that a stranger learns nothing from a 422; the
    // reason reaches the merchants, so it is public text.
    let reason = match input::public_text(reason, 1, CANCEL_REASON_MAX) {
        Ok(r) => r,
        Err(e) => {
            let mut errors = FieldErrors::default();
            errors.push("reason", e);
            return Err(ServiceError::Validation(errors));
        }
    };
    if let Some(details) = super::private_details::private_details(&txn, secret, need.beneficiary_id).await?
        && let Some(found) = PersonMarks::new(&details.full_name, &details.phone, &details.address).find_in(&reason)
    {
        let mut errors = FieldErrors::default();
        errors.push("reason", FieldError::MentionsBeneficiary(found));
        return Err(ServiceError::Validation(errors));
    }
    end_need(&txn, &need, NeedStatus::Cancelled, &reason, now).await?;
    audit::record(
        &txn,
        now,
        Entry::ok(caller.actor(), "need.cancel")
            .subject("need", need.id)
            .organization(Some(need.organization_id))
            .detail(serde_json::json!({ "reason": reason })),
    )
    .await?;
    let card = card_by_id(&txn, need.id).await?;
    txn.commit().await?;
    Ok(card)
}

/// How many days before its deadline the posting social worker hears that a need is still
/// not fully claimed.
pub const NEAR_DEADLINE_DAYS: u64 = 2;

/// Tells the posting social worker, once per need, that an open need's deadline is within
/// [`NEAR_DEADLINE_DAYS`] and part of it is still unclaimed. The dedupe key makes it once;
/// needs already told are skipped with a read, so the job writes nothing on a quiet run.
/// Returns how many messages were queued.
pub async fn warn_near_deadline(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<u64, ServiceError> {
    use crate::entities::outbox;
    let today = local_date(now);
    let soon = today
        .checked_add_days(chrono::Days::new(NEAR_DEADLINE_DAYS))
        .unwrap_or(today);
    let near = need::Entity::find()
        .filter(need::Column::Status.eq(NeedStatus::Open))
        .filter(need::Column::Deadline.gte(today))
        .filter(need::Column::Deadline.lte(soon))
        .filter(need::Column::PostedBy.is_not_null())
        .order_by_asc(need::Column::Id)
        .limit(500)
        .all(db)
        .await?;
    let key = |id: i64| format!("need:{id}:worker-near-deadline");
    let told: std::collections::HashSet<String> = outbox::Entity::find()
        .select_only()
        .column(outbox::Column::DedupeKey)
        .filter(outbox::Column::DedupeKey.is_in(near.iter().map(|n| key(n.id))))
        .into_tuple::<String>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let mut queued = 0;
    for n in near.into_iter().filter(|n| !told.contains(&key(n.id))) {
        let txn = db::begin_write(db).await?;
        let parties = recipients::of_need(&txn, &n).await?;
        let near = Notification::WorkerNeedNearDeadline(NearDeadline {
            need_id: n.id,
            title: n.title.clone(),
            left: i64::from(n.quantity - n.claimed),
            unit: n.unit.clone(),
            deadline: n.deadline.to_string(),
        });
        if let Some(m) = parties.worker(&near, key(n.id))
            && enqueue(&txn, m, now).await?
        {
            queued += 1;
        }
        txn.commit().await?;
    }
    Ok(queued)
}

/// Expires open needs whose deadline has passed (local date), releasing their active
/// claims. Each need is its own transaction; safe to run in several processes at once.
/// Returns how many needs expired.
pub async fn expire_overdue(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<u64, ServiceError> {
    let today = local_date(now);
    let due: Vec<i64> = need::Entity::find()
        .select_only()
        .column(need::Column::Id)
        .filter(need::Column::Status.eq(NeedStatus::Open))
        .filter(need::Column::Deadline.lt(today))
        .order_by_asc(need::Column::Id)
        .limit(500)
        .into_tuple()
        .all(db)
        .await?;
    let mut expired = 0;
    for id in due {
        if expire_need(db, id, now).await? {
            expired += 1;
        }
    }
    Ok(expired)
}

/// Expires need `id` if it is still open and its deadline has passed at `now`, in its own
/// transaction; false otherwise. The demo expires its own need with it, leaving everyone
/// else's to the job.
pub(crate) async fn expire_need(db: &DatabaseConnection, id: i64, now: DateTime<Utc>) -> Result<bool, ServiceError> {
    let today = local_date(now);
    let txn = db::begin_write(db).await?;
    let Some(need) = db::lock_need(&txn, id).await? else {
        return Ok(false);
    };
    if need.status != NeedStatus::Open || need.deadline >= today {
        return Ok(false); // another process got there first, or it was edited
    }
    end_need(&txn, &need, NeedStatus::Expired, "", now).await?;
    audit::record(
        &txn,
        now,
        Entry::ok(super::audit::Actor::System, "need.expire").subject("need", id),
    )
    .await?;
    txn.commit().await?;
    Ok(true)
}

/// Moves `need` (locked) to `to` and gives back its active claims, telling everyone.
pub(crate) async fn end_need<C: ConnectionTrait>(
    txn: &C,
    need: &need::Model,
    to: NeedStatus,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let status = need.status;
    let counters = crate::domain::NeedCounters {
        quantity: need.quantity,
        claimed: need.claimed,
        delivered: need.delivered,
        status,
    };
    match to {
        NeedStatus::Expired => counters.expire()?,
        _ => counters.cancel()?,
    };
    let ended = need::Entity::update_many()
        .col_expr(need::Column::Status, Expr::value(to.as_str()))
        .col_expr(need::Column::Version, Expr::col(need::Column::Version).add(1))
        .col_expr(need::Column::UpdatedAt, Expr::value(now))
        .filter(need::Column::Id.eq(need.id))
        .filter(need::Column::Status.eq(need.status))
        .exec(txn)
        .await?;
    if ended.rows_affected == 0 {
        return Err(ServiceError::Conflict("the need changed meanwhile; try again".into()));
    }
    let active = claim::Entity::find()
        .filter(claim::Column::NeedId.eq(need.id))
        .filter(claim::Column::Status.eq(ClaimStatus::Active))
        .all(txn)
        .await?;
    for c in &active {
        ClaimStatus::Active.apply(ClaimEvent::EndWithNeed)?;
        super::claims::give_back(txn, c, ClaimStatus::Released, now).await?;
        if let Some(m) = merchant::Entity::find_by_id(c.merchant_id).one(txn).await? {
            let notice = ClaimNotice {
                claim_id: c.id,
                need_id: need.id,
                title: need.title.clone(),
                ended: Some(to.as_str().to_owned()),
                reason: Some(reason.to_owned()),
                category: Some(need.category.clone()),
                ..ClaimNotice::default()
            };
            let ended = if to == NeedStatus::Expired {
                Notification::MerchantNeedExpired(notice)
            } else {
                Notification::MerchantNeedCancelled(notice)
            };
            enqueue(
                txn,
                recipients::merchant(&m, &ended, format!("claim:{}:merchant-need-ended", c.id)),
                now,
            )
            .await?;
        }
    }
    let parties = recipients::of_need(txn, need).await?;
    let ended = NeedEnded {
        need_id: need.id,
        title: need.title.clone(),
    };
    let (notification, key) = match to {
        NeedStatus::Expired => (
            Notification::ResidentNeedExpired(ended),
            format!("need:{}:resident-expired", need.id),
        ),
        _ => (
            Notification::ResidentNeedCancelled(ended),
            format!("need:{}:resident-cancelled", need.id),
        ),
    };
    if let Some(m) = parties.resident(&notification, key) {
        enqueue(txn, m, now).await?;
    }
    Ok(())
}

/// Lists needs the caller may see, most urgent first, then oldest first.
pub async fn list_needs(
    db: &DatabaseConnection,
    caller: &Caller,
    filter: &NeedFilter,
    cursor: Option<&str>,
    limit: u64,
) -> Result<NeedPage, ServiceError> {
    super::access::refuse_district(db, caller, "need.list", chrono::Utc::now()).await?;
    let limit = limit.clamp(1, MAX_PAGE);
    let mut query = need::Entity::find();
    match caller.org_scope() {
        OrgScope::All => {}
        scope @ (OrgScope::Only(_) | OrgScope::Subdistrict(_)) => {
            query = query.filter(scope.condition(need::Column::OrganizationId));
        }
        OrgScope::NoneOf => {
            query = query.filter(need::Column::Status.eq(NeedStatus::Open));
            if let Some(merchant_id) = caller.merchant_id() {
                // The board as of this request: a page is read now, not at an injected time.
                query = query.filter(super::need_cards::in_pool_for(merchant_id, chrono::Utc::now()));
            }
        }
    }
    if let Some(status) = filter.status {
        query = query.filter(need::Column::Status.eq(status));
    }
    if let Some(category) = filter.category {
        query = query.filter(need::Column::Category.eq(category.as_str()));
    }
    if let Some(community) = filter.community_id {
        query = query.filter(need::Column::CommunityId.eq(community));
    }
    let cursor = match cursor {
        Some(raw) => Some(
            Cursor::decode(raw)
                .ok_or_else(|| ServiceError::invalid("cursor", "this cursor is not valid; start again without it"))?,
        ),
        None => None,
    };
    // Urgent needs first, then normal ones, each oldest first: one query per urgency, so
    // that each walks the board index in order instead of sorting every open need.
    let mut groups: Vec<&str> = [Urgency::Urgent, Urgency::Normal]
        .into_iter()
        .filter(|u| filter.urgency.is_none_or(|only| only == *u))
        .map(Urgency::as_str)
        .collect();
    if let Some(c) = &cursor {
        // Groups before the cursor's are done; an unknown urgency leaves nothing to show.
        let at = groups.iter().position(|u| *u == c.urgency).unwrap_or(groups.len());
        groups.drain(..at);
    }
    let mut rows: Vec<need::Model> = Vec::new();
    for urgency in groups {
        let want = (limit + 1).saturating_sub(rows.len() as u64);
        if want == 0 {
            break;
        }
        let mut group = query.clone().filter(need::Column::Urgency.eq(urgency));
        if let Some(c) = cursor.as_ref().filter(|c| c.urgency == urgency) {
            group = group.filter(
                Condition::any().add(need::Column::CreatedAt.gt(c.created_at)).add(
                    Condition::all()
                        .add(need::Column::CreatedAt.eq(c.created_at))
                        .add(need::Column::Id.gt(c.id)),
                ),
            );
        }
        rows.extend(
            group
                .order_by_asc(need::Column::CreatedAt)
                .order_by_asc(need::Column::Id)
                .limit(want)
                .all(db)
                .await?,
        );
    }
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = if more {
        rows.last().map(|n| {
            Cursor {
                urgency: n.urgency.clone(),
                created_at: n.created_at,
                id: n.id,
            }
            .encode()
        })
    } else {
        None
    };
    Ok(NeedPage {
        items: cards(db, rows).await?,
        next_cursor,
    })
}

/// The position after the last need of a page.
struct Cursor {
    urgency: String,
    created_at: DateTime<Utc>,
    id: i64,
}

impl Cursor {
    fn encode(&self) -> String {
        // Nanoseconds: SQLite keeps every digit it was given, and the cursor must equal the row.
        let nanos = self.created_at.timestamp_nanos_opt().unwrap_or(i64::MAX);
        hex::encode(format!("{}|{}|{}", self.urgency, nanos, self.id))
    }

    fn decode(raw: &str) -> Option<Self> {
        let text = String::from_utf8(hex::decode(raw).ok()?).ok()?;
        let mut parts = text.split('|');
        let urgency: Urgency = parts.next()?.parse().ok()?;
        let created_at = DateTime::from_timestamp_nanos(parts.next()?.parse().ok()?);
        let id = parts.next()?.parse().ok()?;
        parts.next().is_none().then(|| Cursor {
            urgency: urgency.as_str().to_owned(),
            created_at,
            id,
        })
    }
}

/// Locks the need if the caller may change it; audits and hides it otherwise.
pub(super) async fn visible_need_for_change<C: ConnectionTrait>(
    txn: &C,
    caller: &Caller,
    need_id: i64,
    action: &str,
    now: DateTime<Utc>,
) -> Result<Option<need::Model>, ServiceError> {
    let found = db::lock_need(txn, need_id).await?;
    let reaches = match &found {
        Some(n) if caller.merchant_id().is_none() => caller.org_scope().permits(txn, n.organization_id).await?,
        _ => false,
    };
    match found {
        Some(n) if reaches => Ok(Some(n)),
        Some(n) => {
            audit::record(
                txn,
                now,
                Entry::denied(caller.actor(), action)
                    .subject("need", n.id)
                    .organization(caller.organization_id()),
            )
            .await?;
            Ok(None)
        }
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_tampering() {
        let c = Cursor {
            urgency: "urgent".into(),
            created_at: DateTime::from_timestamp_nanos(1_700_000_000_123_456_789),
            id: 42,
        };
        let decoded = Cursor::decode(&c.encode()).expect("decode");
        assert_eq!(
            (decoded.urgency.as_str(), decoded.created_at, decoded.id),
            ("urgent", c.created_at, 42)
        );
        assert!(Cursor::decode("zz").is_none());
        assert!(Cursor::decode(&hex::encode("urgent|1|2|3")).is_none());
        assert!(Cursor::decode(&hex::encode("soon|1|2")).is_none());
    }
}
