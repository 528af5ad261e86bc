//! One-on-one sponsorship (一对一): a merchant that claimed a period of a recurring need
//! sponsors every period. Each new period is offered to the sponsor first: renewing claims
//! it, stopping (or letting the window close) sends it to the pool and the alert ladder.
//! The resident hears once a period. The social worker, the end of the series and the
//! closing of the case end a sponsorship; the merchant is told.
//!
//! Lock order, as everywhere: the merchant, then the need, then the sponsorship.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, Set,
};

use super::ServiceError;
use super::access::Caller;
use super::audit::{self, Actor, Entry};
use super::claims::{self, ClaimOutcome};
use super::error::is_unique_violation;
use super::outbox::{Delivery, Message, NeedSponsored, Notification, SponsorOffer, SponsorshipEnded, enqueue_all};
use crate::db;
use crate::domain::alerts::LadderPolicy;
use crate::domain::input::{self, FieldErrors};
use crate::domain::sponsorship::{
    self as rules, PeriodFact, SponsorRefusal, SponsorshipEnd, SponsorshipFact, SponsorshipFigures, SponsorshipStatus,
    offer_open, period_label, period_quantity,
};
use crate::domain::time::{LOCAL_OFFSET, local_date};
use crate::domain::{ClaimStatus, Locale, NeedStatus, PartyStatus, Recurrence};
use crate::entities::{beneficiary, claim, merchant, need, sponsorship};

/// A sponsorship as the case file, the office and the sponsor see it: public facts only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SponsorshipView {
    /// Its id.
    pub id: i64,
    /// The series' first need.
    pub series_id: i64,
    /// The person helped (shown to their organization and the office only).
    pub beneficiary_id: i64,
    /// The sponsor.
    pub merchant_id: i64,
    /// The sponsor's public name.
    pub merchant_name: String,
    /// The need's public title.
    pub title: String,
    /// How much each period's claim takes.
    pub quantity: i32,
    /// In what unit.
    pub unit: String,
    /// Weekly or monthly.
    pub recurrence: Recurrence,
    /// Active or ended.
    pub status: SponsorshipStatus,
    /// Since when.
    pub started_at: DateTime<Utc>,
    /// Why it ended, if it did.
    pub end_reason: Option<SponsorshipEnd>,
    /// When it ended.
    pub ended_at: Option<DateTime<Utc>>,
    /// Periods the sponsor has claimed so far (claims that stand).
    pub periods: u64,
    /// The period offered to the sponsor now, if one waits for its answer.
    pub offer: Option<PendingOffer>,
}

/// A period waiting for the sponsor's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingOffer {
    /// The period's need.
    pub need_id: i64,
    /// The period's deadline.
    pub deadline: chrono::NaiveDate,
    /// When the window closes.
    pub until: DateTime<Utc>,
}

/// The claim statuses that count as a period given.
const STANDING: [ClaimStatus; 3] = [ClaimStatus::Active, ClaimStatus::Delivered, ClaimStatus::Confirmed];

/// The calling merchant sponsors every period of the recurring need it holds claim
/// `claim_id` on: the next periods are offered to it first. A period posted already and
/// still unclaimed is offered at once. The resident hears of it once for this period.
pub async fn sponsor(
    db: &DatabaseConnection,
    caller: &Caller,
    claim_id: i64,
    renewal_hours: u32,
    now: DateTime<Utc>,
) -> Result<SponsorshipView, ServiceError> {
    let Some(merchant_id) = caller.merchant_id() else {
        return Err(ServiceError::Forbidden);
    };
    let txn = db::begin_write(db).await?;
    db::lock_merchant(&txn, merchant_id).await?;
    let held = claim::Entity::find_by_id(claim_id)
        .filter(claim::Column::MerchantId.eq(merchant_id))
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound("claim"))?;
    let shop = merchant::Entity::find_by_id(merchant_id)
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound("merchant"))?;
    if shop.status != PartyStatus::Approved {
        return Err(ServiceError::MerchantNotApproved);
    }
    let period = db::lock_need(&txn, held.need_id)
        .await?
        .ok_or(ServiceError::NotFound("need"))?;
    let recurrence: Recurrence = period.recurrence.parse().unwrap_or(Recurrence::Once);
    let (Some(series_id), Some(index)) = (period.series_id, period.period_index) else {
        return Err(SponsorRefusal::NotRecurring.into());
    };
    let first = need::Entity::find_by_id(series_id)
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound("need"))?;
    let current = active_of_series(&txn, series_id).await?;
    if let Some(mine) = current.as_ref().filter(|s| s.merchant_id == merchant_id) {
        // A second tap of the same button: the sponsorship as it stands.
        let mine = mine.clone();
        txn.commit().await?;
        return view_one(db, mine, now).await;
    }
    rules::may_sponsor(recurrence, held.status, index, first.periods_total, current.is_some())?;
    let inserted = sponsorship::ActiveModel {
        series_id: Set(series_id),
        beneficiary_id: Set(period.beneficiary_id),
        merchant_id: Set(merchant_id),
        claim_id: Set(held.id),
        quantity: Set(held.quantity),
        status: Set(SponsorshipStatus::Active),
        started_at: Set(now),
        ended_at: Set(None),
        end_reason: Set(None),
        ended_by: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    let row = match inserted {
        Ok(row) => row,
        Err(e) if is_unique_violation(&e) => return Err(SponsorRefusal::AlreadySponsored.into()),
        Err(e) => return Err(e.into()),
    };
    audit::record(
        &txn,
        now,
        Entry::ok(caller.actor(), "sponsorship.start")
            .subject("sponsorship", row.id)
            .organization(Some(period.organization_id))
            .detail(serde_json::json!({ "series": series_id, "period": index })),
    )
    .await?;
    let mut messages = Vec::new();
    if matches!(held.status, ClaimStatus::Active | ClaimStatus::Delivered) {
        messages.extend(resident_news(&txn, &period, &shop, held.quantity).await?);
    }
    // A later period posted before the merchant chose, still untouched: offered now.
    let later = need::Entity::find()
        .filter(need::Column::SeriesId.eq(series_id))
        .filter(need::Column::PeriodIndex.gt(index))
        .filter(need::Column::Status.eq(NeedStatus::Open))
        .filter(need::Column::Claimed.eq(0))
        .filter(need::Column::OfferedTo.is_null())
        .order_by_asc(need::Column::PeriodIndex)
        .one(&txn)
        .await?;
    if let Some(later) = later {
        messages.extend(offer(&txn, &later, &row, &shop, renewal_hours, now).await?);
    }
    enqueue_all(&txn, messages, now).await?;
    txn.commit().await?;
    view_one(db, row, now).await
}

/// Whether a claim of need `need_id` may become a sponsorship now: the need recurs with
/// periods to come and nobody sponsors it (the bot offers the button only then).
pub async fn sponsorable(db: &DatabaseConnection, need_id: i64) -> Result<bool, ServiceError> {
    let Some(period) = need::Entity::find_by_id(need_id).one(db).await? else {
        return Ok(false);
    };
    let (Some(series_id), Some(index)) = (period.series_id, period.period_index) else {
        return Ok(false);
    };
    let Some(first) = need::Entity::find_by_id(series_id).one(db).await? else {
        return Ok(false);
    };
    let recurrence: Recurrence = period.recurrence.parse().unwrap_or(Recurrence::Once);
    let sponsored = active_of_series(db, series_id).await?.is_some();
    Ok(rules::may_sponsor(recurrence, ClaimStatus::Active, index, first.periods_total, sponsored).is_ok())
}

/// Whether period `need_id` is offered to merchant `merchant_id` and its window still open
/// at `now` (a renewal question is sent only then).
pub async fn offer_stands(
    db: &DatabaseConnection,
    need_id: i64,
    merchant_id: i64,
    now: DateTime<Utc>,
) -> Result<bool, sea_orm::DbErr> {
    let period = need::Entity::find_by_id(need_id).one(db).await?;
    Ok(period.is_some_and(|n| {
        n.offered_to == Some(merchant_id) && n.offer_until.is_some_and(|until| offer_open(until, now))
    }))
}

/// Offers period `period` (just posted) to the series' sponsor, if there is one that may
/// claim; true when offered, so the caller holds the alert ladder back until the answer.
pub(crate) async fn offer_to_sponsor<C: ConnectionTrait>(
    txn: &C,
    period: &need::Model,
    renewal_hours: u32,
    now: DateTime<Utc>,
) -> Result<bool, ServiceError> {
    let Some(series_id) = period.series_id else {
        return Ok(false);
    };
    let Some(seen) = active_of_series(txn, series_id).await? else {
        return Ok(false);
    };
    // Read again under the sponsor's lock and the row's: a stop, a worker's end or a
    // suspension committed meanwhile must not leave the period offered to a sponsor gone.
    db::lock_merchant(txn, seen.merchant_id).await?;
    let active = sponsorship::Entity::find_by_id(seen.id)
        .filter(sponsorship::Column::Status.eq(SponsorshipStatus::Active))
        .lock_exclusive()
        .one(txn)
        .await?;
    let Some(active) = active else {
        return Ok(false);
    };
    let shop = merchant::Entity::find_by_id(active.merchant_id).one(txn).await?;
    let Some(shop) = shop.filter(|m| m.status == PartyStatus::Approved) else {
        // A suspended sponsor is offered nothing; the period goes to the pool.
        return Ok(false);
    };
    let messages = offer(txn, period, &active, &shop, renewal_hours, now).await?;
    let offered = !messages.is_empty();
    enqueue_all(txn, messages, now).await?;
    Ok(offered)
}

/// Marks `period` as offered to `active`'s merchant and returns the renewal message.
async fn offer<C: ConnectionTrait>(
    txn: &C,
    period: &need::Model,
    active: &sponsorship::Model,
    shop: &merchant::Model,
    renewal_hours: u32,
    now: DateTime<Utc>,
) -> Result<Vec<(Message, Delivery)>, ServiceError> {
    let until = rules::offer_until(now, renewal_hours);
    let marked = need::Entity::update_many()
        .col_expr(need::Column::OfferedTo, Expr::value(shop.id))
        .col_expr(need::Column::OfferUntil, Expr::value(until))
        .filter(need::Column::Id.eq(period.id))
        .filter(need::Column::OfferedTo.is_null())
        .exec(txn)
        .await?;
    if marked.rows_affected == 0 {
        return Ok(Vec::new());
    }
    // Posted before the sponsor chose, it may have been alerted: no more rungs while it waits.
    super::alerts::pause_ladder(txn, period.id, now).await?;
    audit::record(
        txn,
        now,
        Entry::ok(Actor::System, "sponsorship.offer")
            .subject("need", period.id)
            .organization(Some(period.organization_id))
            .detail(serde_json::json!({ "sponsorship": active.id })),
    )
    .await?;
    let recurrence: Recurrence = period.recurrence.parse().unwrap_or(Recurrence::Monthly);
    let notice = Notification::MerchantSponsorRenewal(SponsorOffer {
        sponsorship_id: active.id,
        need_id: period.id,
        title: period.title.clone(),
        quantity: i64::from(period_quantity(active.quantity, period.quantity)),
        unit: period.unit.clone(),
        period_zh: period_label(recurrence, period.deadline, Locale::ZhCn),
        period_en: period_label(recurrence, period.deadline, Locale::En),
        until: until.with_timezone(&LOCAL_OFFSET).format("%Y-%m-%d %H:%M").to_string(),
    });
    Ok(vec![(
        super::recipients::merchant(shop, &notice, format!("need:{}:sponsor-offer", period.id)),
        Delivery::Send,
    )])
}

/// The sponsor renews: claims the period offered to it. A second tap answers with the claim
/// the first made; after the window closed (or once the period left the sponsor) the
/// refusal says the period went to other merchants.
pub async fn renew(
    db: &DatabaseConnection,
    caller: &Caller,
    need_id: i64,
    now: DateTime<Utc>,
) -> Result<ClaimOutcome, ServiceError> {
    let Some(merchant_id) = caller.merchant_id() else {
        return Err(ServiceError::Forbidden);
    };
    let txn = db::begin_write(db).await?;
    db::lock_merchant(&txn, merchant_id).await?;
    let period = db::lock_need(&txn, need_id)
        .await?
        .ok_or(ServiceError::NotFound("need"))?;
    let Some(series_id) = period.series_id else {
        return Err(ServiceError::NotFound("need"));
    };
    let mine = sponsorship::Entity::find()
        .filter(sponsorship::Column::SeriesId.eq(series_id))
        .filter(sponsorship::Column::MerchantId.eq(merchant_id))
        .order_by_desc(sponsorship::Column::Id)
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound("need"))?;
    let offered = period.offered_to == Some(merchant_id);
    let open = offered && period.offer_until.is_some_and(|until| offer_open(until, now));
    if !open {
        // Renewed already (a retried tap): the same claim again.
        let earlier = claim::Entity::find()
            .filter(claim::Column::NeedId.eq(need_id))
            .filter(claim::Column::MerchantId.eq(merchant_id))
            .filter(claim::Column::CreatedAt.gte(mine.started_at))
            .one(&txn)
            .await?;
        txn.commit().await?;
        return match earlier {
            Some(c) => Ok(ClaimOutcome {
                claim: claims::record(db, c).await?,
                replayed: true,
            }),
            None => Err(SponsorRefusal::OfferClosed.into()),
        };
    }
    if mine.status != SponsorshipStatus::Active {
        return Err(SponsorRefusal::OfferClosed.into());
    }
    let quantity = period_quantity(mine.quantity, period.quantity - period.claimed);
    let record = claims::claim_for_sponsor(&txn, caller, merchant_id, need_id, quantity, now).await?;
    let after = clear_offer(&txn, need_id).await?;
    if let Some(after) = after.filter(|n| n.status == NeedStatus::Open && n.quantity > n.claimed) {
        // The sponsor gives less than the period asks: the rest goes to the pool.
        super::alerts::resume_ladder(&txn, &after, &LadderPolicy::default(), now).await?;
    }
    audit::record(
        &txn,
        now,
        Entry::ok(caller.actor(), "sponsorship.renew")
            .subject("sponsorship", mine.id)
            .organization(Some(period.organization_id))
            .detail(serde_json::json!({ "need": need_id, "claim": record.id })),
    )
    .await?;
    let shop = merchant::Entity::find_by_id(merchant_id)
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound("merchant"))?;
    let news = resident_news(&txn, &period, &shop, quantity).await?;
    enqueue_all(&txn, news, now).await?;
    txn.commit().await?;
    Ok(ClaimOutcome {
        claim: record,
        replayed: false,
    })
}

/// The sponsor stops sponsoring: no more periods are offered to it, and a period waiting
/// for its answer goes to the pool now. Stopping an ended sponsorship changes nothing.
pub async fn stop(
    db: &DatabaseConnection,
    caller: &Caller,
    sponsorship_id: i64,
    now: DateTime<Utc>,
) -> Result<SponsorshipView, ServiceError> {
    let Some(merchant_id) = caller.merchant_id() else {
        return Err(ServiceError::Forbidden);
    };
    let txn = db::begin_write(db).await?;
    db::lock_merchant(&txn, merchant_id).await?;
    let row = sponsorship::Entity::find_by_id(sponsorship_id)
        .filter(sponsorship::Column::MerchantId.eq(merchant_id))
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound("sponsorship"))?;
    let row = end_in(
        &txn,
        row,
        SponsorshipEnd::MerchantStopped,
        Ender::by(caller.actor()),
        now,
    )
    .await?;
    txn.commit().await?;
    view_one(db, row, now).await
}

/// The longest reason for ending a sponsorship.
pub const END_REASON_MAX: usize = 500;

/// Sponsorship `sponsorship_id` for a social worker of the case's organization or the office;
/// anyone else gets the audited "not found" a missing id gets.
pub async fn for_staff(
    db: &DatabaseConnection,
    caller: &Caller,
    sponsorship_id: i64,
    now: DateTime<Utc>,
) -> Result<SponsorshipView, ServiceError> {
    let row = staff_may_see(db, caller, sponsorship_id, "sponsorship.read", now).await?;
    view_one(db, row, now).await
}

/// The row if `caller` may see its case; the audited "not found" otherwise.
async fn staff_may_see<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    sponsorship_id: i64,
    action: &str,
    now: DateTime<Utc>,
) -> Result<sponsorship::Model, ServiceError> {
    let row = sponsorship::Entity::find_by_id(sponsorship_id).one(conn).await?;
    let case = match &row {
        Some(r) => {
            crate::entities::beneficiary::Entity::find_by_id(r.beneficiary_id)
                .one(conn)
                .await?
        }
        None => None,
    };
    let asked = sponsorship_id.to_string();
    super::case_access::readable(conn, caller, case, &asked, action, now).await?;
    row.ok_or(ServiceError::NotFound("sponsorship"))
}

/// A social worker of the case's organization (or the office) ends sponsorship
/// `sponsorship_id` for `reason` (kept in the audit log); the sponsor is told, and a period
/// waiting for its answer goes to the pool. Another organization's sponsorship answers "not
/// found", audited; ending an ended one changes nothing.
pub async fn end_by_worker(
    db: &DatabaseConnection,
    caller: &Caller,
    sponsorship_id: i64,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<SponsorshipView, ServiceError> {
    if caller.staff_id().is_none() {
        return Err(ServiceError::Forbidden);
    }
    let reason = input::public_text(reason, 1, END_REASON_MAX).map_err(|e| {
        let mut errors = FieldErrors::default();
        errors.push("reason", e);
        ServiceError::Validation(errors)
    })?;
    let txn = db::begin_write(db).await?;
    let row = match staff_may_see(&txn, caller, sponsorship_id, "sponsorship.end", now).await {
        Ok(row) => row,
        Err(refused) => {
            // The denied attempt's audit row stays.
            txn.commit().await?;
            return Err(refused);
        }
    };
    let ender = Ender {
        actor: caller.actor(),
        staff_id: caller.staff_id(),
        note: Some(reason),
    };
    let row = end_in(&txn, row, SponsorshipEnd::WorkerEnded, ender, now).await?;
    txn.commit().await?;
    view_one(db, row, now).await
}

/// Ends the active sponsorship of series `series_id`, if any, for `reason` (the series
/// was stopped), inside the caller's transaction.
pub(crate) async fn end_for_series<C: ConnectionTrait>(
    txn: &C,
    series_id: i64,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    if let Some(row) = active_of_series(txn, series_id).await? {
        end_in(txn, row, SponsorshipEnd::SeriesEnded, Ender::by(actor), now).await?;
    }
    Ok(())
}

/// Ends every active sponsorship of case `beneficiary_id` (the case was closed), inside the
/// caller's transaction.
pub(crate) async fn end_for_case<C: ConnectionTrait>(
    txn: &C,
    beneficiary_id: i64,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let rows = sponsorship::Entity::find()
        .filter(sponsorship::Column::BeneficiaryId.eq(beneficiary_id))
        .filter(sponsorship::Column::Status.eq(SponsorshipStatus::Active))
        .all(txn)
        .await?;
    for row in rows {
        end_in(txn, row, SponsorshipEnd::CaseClosed, Ender::by(actor.clone()), now).await?;
    }
    Ok(())
}

/// Who ends a sponsorship, and the words they gave (for the audit log only).
struct Ender {
    actor: Actor,
    staff_id: Option<i64>,
    note: Option<String>,
}

impl Ender {
    fn by(actor: Actor) -> Self {
        Self {
            actor,
            staff_id: None,
            note: None,
        }
    }
}

/// Ends `row` for `reason` (nothing if it ended already), sends a period waiting for the
/// sponsor's answer to the pool, and tells the sponsor unless it stopped itself.
async fn end_in<C: ConnectionTrait>(
    txn: &C,
    row: sponsorship::Model,
    reason: SponsorshipEnd,
    ender: Ender,
    now: DateTime<Utc>,
) -> Result<sponsorship::Model, ServiceError> {
    let ended_by = ender.staff_id;
    let ended = sponsorship::Entity::update_many()
        .col_expr(sponsorship::Column::Status, Expr::value(SponsorshipStatus::Ended))
        .col_expr(sponsorship::Column::EndedAt, Expr::value(now))
        .col_expr(sponsorship::Column::EndReason, Expr::value(reason))
        .col_expr(sponsorship::Column::EndedBy, Expr::value(ended_by))
        .filter(sponsorship::Column::Id.eq(row.id))
        .filter(sponsorship::Column::Status.eq(SponsorshipStatus::Active))
        .exec(txn)
        .await?;
    let fresh = sponsorship::Entity::find_by_id(row.id)
        .one(txn)
        .await?
        .ok_or(ServiceError::NotFound("sponsorship"))?;
    if ended.rows_affected == 0 {
        return Ok(fresh);
    }
    let first = need::Entity::find_by_id(row.series_id).one(txn).await?;
    audit::record(
        txn,
        now,
        Entry::ok(ender.actor, "sponsorship.end")
            .subject("sponsorship", row.id)
            .organization(first.as_ref().map(|n| n.organization_id))
            .detail(serde_json::json!({ "reason": reason.as_str(), "note": ender.note })),
    )
    .await?;
    let waiting = need::Entity::find()
        .filter(need::Column::SeriesId.eq(row.series_id))
        .filter(need::Column::OfferedTo.eq(row.merchant_id))
        .all(txn)
        .await?;
    for period in waiting {
        release(txn, period.id, now).await?;
    }
    if reason != SponsorshipEnd::MerchantStopped
        && let (Some(shop), Some(first)) = (merchant::Entity::find_by_id(row.merchant_id).one(txn).await?, first)
    {
        let notice = Notification::MerchantSponsorshipEnded(SponsorshipEnded {
            sponsorship_id: row.id,
            title: first.title,
            reason: reason.as_str().to_owned(),
        });
        let message = super::recipients::merchant(&shop, &notice, format!("sponsorship:{}:ended", row.id));
        enqueue_all(txn, vec![(message, Delivery::Send)], now).await?;
    }
    Ok(fresh)
}

/// Sends every period offered to merchant `merchant_id` to the pool now, inside the caller's
/// transaction: the office suspended it, so it could not renew them.
pub(crate) async fn release_offers_of<C: ConnectionTrait>(
    txn: &C,
    merchant_id: i64,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let waiting: Vec<i64> = need::Entity::find()
        .select_only()
        .column(need::Column::Id)
        .filter(need::Column::OfferedTo.eq(merchant_id))
        .into_tuple()
        .all(txn)
        .await?;
    for id in waiting {
        release(txn, id, now).await?;
    }
    Ok(())
}

/// Sends, as of `now`, every period whose renewal window closed unanswered to the pool and
/// the alert ladder. Each period is one conditional update, so two processes never start
/// its ladder twice. Returns how many went.
pub async fn release_lapsed_offers(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<u64, ServiceError> {
    let due: Vec<i64> = need::Entity::find()
        .select_only()
        .column(need::Column::Id)
        .filter(need::Column::OfferedTo.is_not_null())
        .filter(need::Column::OfferUntil.lte(now))
        .order_by_asc(need::Column::Id)
        .limit(500)
        .into_tuple()
        .all(db)
        .await?;
    let mut released = 0;
    for id in due {
        let txn = db::begin_write(db).await?;
        if release(&txn, id, now).await? {
            released += 1;
        }
        txn.commit().await?;
    }
    Ok(released)
}

/// Takes period `id` from its sponsor and resumes its alert ladder if something is left to
/// claim; false when it was not offered (another process released it first).
async fn release<C: ConnectionTrait>(txn: &C, id: i64, now: DateTime<Utc>) -> Result<bool, ServiceError> {
    let Some(period) = clear_offer(txn, id).await? else {
        return Ok(false);
    };
    if period.status == NeedStatus::Open && period.quantity > period.claimed {
        super::alerts::resume_ladder(txn, &period, &LadderPolicy::default(), now).await?;
    }
    Ok(true)
}

/// Clears the offer on need `id`; the need as it is now when an offer was cleared.
async fn clear_offer<C: ConnectionTrait>(txn: &C, id: i64) -> Result<Option<need::Model>, ServiceError> {
    let cleared = need::Entity::update_many()
        .col_expr(need::Column::OfferedTo, Expr::value(Option::<i64>::None))
        .col_expr(need::Column::OfferUntil, Expr::value(Option::<DateTime<Utc>>::None))
        .filter(need::Column::Id.eq(id))
        .filter(need::Column::OfferedTo.is_not_null())
        .exec(txn)
        .await?;
    if cleared.rows_affected == 0 {
        return Ok(None);
    }
    Ok(need::Entity::find_by_id(id).one(txn).await?)
}

/// Ends, as of `now`, the sponsorships of series whose last period has passed its deadline.
pub async fn complete_finished(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<u64, ServiceError> {
    let today = local_date(now);
    let active = sponsorship::Entity::find()
        .filter(sponsorship::Column::Status.eq(SponsorshipStatus::Active))
        .order_by_asc(sponsorship::Column::Id)
        .limit(500)
        .all(db)
        .await?;
    let mut done = 0;
    for row in active {
        let last = need::Entity::find()
            .filter(need::Column::SeriesId.eq(row.series_id))
            .order_by_desc(need::Column::PeriodIndex)
            .one(db)
            .await?;
        let finished =
            last.is_some_and(|n| n.periods_total.is_some_and(|t| n.period_index >= Some(t)) && n.deadline < today);
        if finished {
            let txn = db::begin_write(db).await?;
            end_in(&txn, row, SponsorshipEnd::Completed, Ender::by(Actor::System), now).await?;
            txn.commit().await?;
            done += 1;
        }
    }
    Ok(done)
}

/// The sponsorships of case `beneficiary_id`, newest first, for its organization and the
/// office; anyone else gets the audited "not found".
pub async fn of_case(
    db: &DatabaseConnection,
    caller: &Caller,
    beneficiary_id: i64,
    now: DateTime<Utc>,
) -> Result<Vec<SponsorshipView>, ServiceError> {
    let case = crate::entities::beneficiary::Entity::find_by_id(beneficiary_id)
        .one(db)
        .await?;
    let asked = beneficiary_id.to_string();
    super::case_access::readable(db, caller, case, &asked, "sponsorship.read", now).await?;
    let rows = sponsorship::Entity::find()
        .filter(sponsorship::Column::BeneficiaryId.eq(beneficiary_id))
        .order_by_desc(sponsorship::Column::Id)
        .limit(50)
        .all(db)
        .await?;
    views(db, rows, now).await
}

/// The calling merchant's active sponsorships, for `/mine`.
pub async fn of_merchant(
    db: &DatabaseConnection,
    caller: &Caller,
    now: DateTime<Utc>,
) -> Result<Vec<SponsorshipView>, ServiceError> {
    let Some(merchant_id) = caller.merchant_id() else {
        return Err(ServiceError::Forbidden);
    };
    let rows = sponsorship::Entity::find()
        .filter(sponsorship::Column::MerchantId.eq(merchant_id))
        .filter(sponsorship::Column::Status.eq(SponsorshipStatus::Active))
        .order_by_asc(sponsorship::Column::Id)
        .limit(50)
        .all(db)
        .await?;
    views(db, rows, now).await
}

/// The series' sponsorship a need belongs to, if it is active: for the need's page.
pub async fn active_of_need(
    db: &DatabaseConnection,
    series_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Option<SponsorshipView>, ServiceError> {
    let Some(series_id) = series_id else {
        return Ok(None);
    };
    match active_of_series(db, series_id).await? {
        Some(row) => Ok(Some(view_one(db, row, now).await?)),
        None => Ok(None),
    }
}

/// The sponsorship figures of the period since `since` in `subdistrict` (as
/// [`super::access::report_scope`] allows), for the reports.
pub async fn report(
    db: &DatabaseConnection,
    caller: &Caller,
    subdistrict: Option<i64>,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<SponsorshipFigures, ServiceError> {
    use super::access::{OrgScope, SubdistrictScope};
    let scope = match super::access::report_scope(db, caller, subdistrict, "sponsorship.report", now).await? {
        SubdistrictScope::District => OrgScope::All,
        SubdistrictScope::One(s) => OrgScope::Subdistrict(s),
    };
    let in_scope = beneficiary::Entity::find()
        .select_only()
        .column(beneficiary::Column::Id)
        .filter(scope.condition(beneficiary::Column::OrganizationId))
        .into_query();
    let rows = sponsorship::Entity::find()
        .filter(sponsorship::Column::BeneficiaryId.in_subquery(in_scope))
        .filter(sponsorship::Column::StartedAt.lte(now))
        .filter(
            sea_orm::Condition::any()
                .add(sponsorship::Column::EndedAt.is_null())
                .add(sponsorship::Column::EndedAt.gte(since)),
        )
        .all(db)
        .await?;
    let facts: Vec<SponsorshipFact> = rows
        .iter()
        .map(|s| SponsorshipFact {
            beneficiary_id: s.beneficiary_id,
            started_at: s.started_at,
            ended: s.ended_at.zip(s.end_reason),
        })
        .collect();
    let mut periods = Vec::new();
    for s in &rows {
        let series: Vec<(i64, chrono::NaiveDate)> = need::Entity::find()
            .select_only()
            .column(need::Column::Id)
            .column(need::Column::Deadline)
            .filter(need::Column::SeriesId.eq(s.series_id))
            .into_tuple()
            .all(db)
            .await?;
        // The sponsor's claims from the one it began with on: each a period it gave.
        let given = claim::Entity::find()
            .filter(claim::Column::NeedId.is_in(series.iter().map(|(id, _)| *id)))
            .filter(claim::Column::MerchantId.eq(s.merchant_id))
            .filter(claim::Column::Id.gte(s.claim_id))
            .filter(claim::Column::Status.is_in(STANDING))
            .all(db)
            .await?;
        for c in given {
            let Some((_, deadline)) = series.iter().find(|(id, _)| *id == c.need_id) else {
                continue;
            };
            periods.push(PeriodFact {
                deadline: *deadline,
                delivered_on: c.delivered_at.map(local_date),
            });
        }
    }
    Ok(rules::figures(since, now, &facts, &periods))
}

async fn active_of_series<C: ConnectionTrait>(
    conn: &C,
    series_id: i64,
) -> Result<Option<sponsorship::Model>, ServiceError> {
    Ok(sponsorship::Entity::find()
        .filter(sponsorship::Column::SeriesId.eq(series_id))
        .filter(sponsorship::Column::Status.eq(SponsorshipStatus::Active))
        .one(conn)
        .await?)
}

/// The resident's news of this period's sponsorship (deduplicated per period, so never twice).
async fn resident_news<C: ConnectionTrait>(
    txn: &C,
    period: &need::Model,
    shop: &merchant::Model,
    quantity: i32,
) -> Result<Vec<(Message, Delivery)>, ServiceError> {
    let recurrence: Recurrence = period.recurrence.parse().unwrap_or(Recurrence::Monthly);
    let parties = super::recipients::of_need(txn, period).await?;
    let news = Notification::ResidentNeedSponsored(NeedSponsored {
        need_id: period.id,
        title: period.title.clone(),
        merchant_name: shop.name.clone(),
        quantity: i64::from(quantity),
        unit: period.unit.clone(),
        period_zh: period_label(recurrence, period.deadline, Locale::ZhCn),
        period_en: period_label(recurrence, period.deadline, Locale::En),
        expected_date: period.deadline.to_string(),
    });
    let key = format!("need:{}:resident-sponsored", period.id);
    Ok(parties
        .resident(&news, key)
        .map(|m| (m, Delivery::Send))
        .into_iter()
        .collect())
}

async fn view_one(
    db: &DatabaseConnection,
    row: sponsorship::Model,
    now: DateTime<Utc>,
) -> Result<SponsorshipView, ServiceError> {
    views(db, vec![row], now)
        .await?
        .pop()
        .ok_or(ServiceError::NotFound("sponsorship"))
}

async fn views(
    db: &DatabaseConnection,
    rows: Vec<sponsorship::Model>,
    now: DateTime<Utc>,
) -> Result<Vec<SponsorshipView>, ServiceError> {
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let Some(first) = need::Entity::find_by_id(row.series_id).one(db).await? else {
            continue;
        };
        let shop = merchant::Entity::find_by_id(row.merchant_id).one(db).await?;
        let series: Vec<i64> = need::Entity::find()
            .select_only()
            .column(need::Column::Id)
            .filter(need::Column::SeriesId.eq(row.series_id))
            .into_tuple()
            .all(db)
            .await?;
        let periods = claim::Entity::find()
            .filter(claim::Column::NeedId.is_in(series.iter().copied()))
            .filter(claim::Column::MerchantId.eq(row.merchant_id))
            .filter(claim::Column::Status.is_in(STANDING))
            .count(db)
            .await?;
        let offer = if row.status == SponsorshipStatus::Active {
            need::Entity::find()
                .filter(need::Column::SeriesId.eq(row.series_id))
                .filter(need::Column::OfferedTo.eq(row.merchant_id))
                .filter(need::Column::OfferUntil.gt(now))
                .one(db)
                .await?
                .and_then(|n| {
                    n.offer_until.map(|until| PendingOffer {
                        need_id: n.id,
                        deadline: n.deadline,
                        until,
                    })
                })
        } else {
            None
        };
        out.push(SponsorshipView {
            id: row.id,
            series_id: row.series_id,
            beneficiary_id: row.beneficiary_id,
            merchant_id: row.merchant_id,
            merchant_name: shop.map(|m| m.name).unwrap_or_default(),
            title: first.title,
            quantity: row.quantity,
            unit: first.unit,
            recurrence: first.recurrence.parse().unwrap_or(Recurrence::Monthly),
            status: row.status,
            started_at: row.started_at,
            end_reason: row.end_reason,
            ended_at: row.ended_at,
            periods,
            offer,
        });
    }
    Ok(out)
}
