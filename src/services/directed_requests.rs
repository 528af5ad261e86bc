//! Reaching one merchant from a need's page (the resource library, 爱心资源库): the offers
//! that fit the need, a **directed request** to one merchant ("ask this merchant" — its bot
//! gets the need's card with the claim buttons, counted against its daily alert cap), and the
//! answers. A claim the office records for a merchant who phoned in is in
//! `claims::create::claim_on_behalf`; this module lists them on the need's page.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use super::access::Caller;
use super::audit::{self, Entry};
use super::library::{self, LibraryFilter, LibraryOffer};
use super::outbox::{NeedAlert, Notification, enqueue};
use super::{ServiceError, alert_settings, recipients};
use crate::db;
use crate::domain::library::AskRefusal;
use crate::domain::time::{local_date, local_midnight};
use crate::domain::{Category, ClaimStatus, NeedStatus, PartyStatus};
use crate::entities::{claim, directed_request, merchant, need, need_alert};

/// Why a directed request was not sent.
#[derive(Debug, thiserror::Error)]
pub enum AskError {
    /// A rule refused it; say it in words.
    #[error(transparent)]
    Refused(#[from] AskRefusal),
    /// The service failed or the caller may not ask.
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<sea_orm::DbErr> for AskError {
    fn from(e: sea_orm::DbErr) -> Self {
        AskError::Service(e.into())
    }
}

/// What became of a directed request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// No answer yet.
    Waiting,
    /// The merchant claimed this many units since it was asked.
    Claimed(i32),
    /// The merchant said no.
    Declined,
}

/// One merchant asked about a need, or one claim the office recorded for a merchant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asked {
    /// The merchant.
    pub merchant_id: i64,
    /// Its shop name.
    pub merchant_name: String,
    /// When it was asked.
    pub at: DateTime<Utc>,
    /// Its answer.
    pub answer: Answer,
}

/// A claim the office recorded for a merchant who phoned in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// The claim.
    pub claim_id: i64,
    /// The merchant's shop name.
    pub merchant_name: String,
    /// Units claimed.
    pub quantity: i32,
}

/// The need `need_id` if `caller` may act on it: its organization's social workers and its
/// subdistrict's office; anyone else gets "not found", merchants "not allowed".
async fn need_for<C: ConnectionTrait>(conn: &C, caller: &Caller, need_id: i64) -> Result<need::Model, ServiceError> {
    if !matches!(caller, Caller::SocialWorker { .. } | Caller::Admin { .. }) {
        return Err(ServiceError::Forbidden);
    }
    let need = need::Entity::find_by_id(need_id)
        .one(conn)
        .await?
        .ok_or(ServiceError::NotFound("need"))?;
    if !caller.org_scope().permits(conn, need.organization_id).await? {
        return Err(ServiceError::NotFound("need"));
    }
    Ok(need)
}

fn category_of(need: &need::Model) -> Result<Category, ServiceError> {
    need.category
        .parse()
        .map_err(|e: crate::domain::UnknownVariant| ServiceError::Internal(e.to_string()))
}

/// The library's offers that fit need `need_id`: same category, serving its community, with
/// capacity left this month. `None` once the need is not open or is wholly claimed: nobody
/// is to be asked then.
pub async fn fitting(
    db: &DatabaseConnection,
    caller: &Caller,
    need_id: i64,
    now: DateTime<Utc>,
) -> Result<Option<Vec<LibraryOffer>>, ServiceError> {
    let need = need_for(db, caller, need_id).await?;
    if need.status != NeedStatus::Open || need.claimed >= need.quantity {
        return Ok(None);
    }
    let reader = library::reader_subdistrict(db, caller).await?;
    let filter = LibraryFilter {
        category: Some(category_of(&need)?),
        community_id: Some(need.community_id),
        with_capacity: true,
    };
    library::offers_for(db, reader, filter, now).await.map(Some)
}

/// Asks merchant `merchant_id` about need `need_id` for `caller` (the need's social worker or
/// its office): records the request, queues the need's card to the merchant's bot (an alert
/// counted against its daily cap) and audits it, in one transaction.
pub async fn ask(
    db: &DatabaseConnection,
    caller: &Caller,
    need_id: i64,
    merchant_id: i64,
    now: DateTime<Utc>,
) -> Result<(), AskError> {
    let txn = db::begin_write(db).await?;
    // The merchant's lock: two requests at once cannot both take its last alert of the day.
    db::lock_merchant(&txn, merchant_id).await?;
    let need = need_for(&txn, caller, need_id).await?;
    let refusal = check(&txn, caller, &need, merchant_id, now).await?;
    if let Some(refusal) = refusal {
        txn.rollback().await?;
        audit::record(
            db,
            now,
            Entry::denied(caller.actor(), "need.ask_merchant")
                .subject("need", need_id)
                .organization(Some(need.organization_id))
                .detail(serde_json::json!({ "merchant_id": merchant_id, "reason": refusal.to_string() })),
        )
        .await?;
        return Err(refusal.into());
    }
    let m = merchant::Entity::find_by_id(merchant_id)
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound("merchant"))?;
    let inserted = directed_request::ActiveModel {
        need_id: Set(need.id),
        merchant_id: Set(merchant_id),
        offer_id: Set(None),
        asked_by: Set(caller.staff_id()),
        created_at: Set(now),
        declined_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    if let Err(e) = inserted {
        return Err(match ServiceError::on_unique(e, "asked already") {
            ServiceError::Conflict(_) => AskRefusal::AlreadyAsked.into(),
            other => other.into(),
        });
    }
    // Counted as an alert of today, so the ladder and the cap see it; a merchant the ladder
    // alerted of this need already keeps its one row (and its one place under the cap).
    let alert = need_alert::ActiveModel {
        need_id: Set(need.id),
        merchant_id: Set(merchant_id),
        rung: Set(1),
        mode: Set("instant".to_owned()),
        deliver_at: Set(now),
        counts_to_cap: Set(true),
        digest_key: Set(None),
        created_at: Set(now),
        ..Default::default()
    };
    need_alert::Entity::insert(alert)
        .on_conflict(
            sea_orm::sea_query::OnConflict::columns([need_alert::Column::NeedId, need_alert::Column::MerchantId])
                .do_nothing()
                .to_owned(),
        )
        .try_insert()
        .exec(&txn)
        .await?;
    // The same card as an alert (rendered when sent, from the need as it is then).
    let asker = crate::entities::organization::Entity::find_by_id(need.organization_id)
        .one(&txn)
        .await?
        .map(|o| o.name);
    let card = Notification::MerchantNeedAlert(NeedAlert {
        need_id: need.id,
        title: Some(need.title.clone()),
        digest_number: None,
        asked_by: asker,
    });
    let message = recipients::merchant(&m, &card, format!("need:{}:ask:merchant:{}", need.id, m.id));
    enqueue(&txn, message, now).await?;
    audit::record(
        &txn,
        now,
        Entry::ok(caller.actor(), "need.ask_merchant")
            .subject("need", need.id)
            .organization(Some(need.organization_id))
            .detail(serde_json::json!({ "merchant_id": merchant_id, "merchant": m.name })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// What became of a shop's "can't help this time".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Declined {
    /// Recorded (or recorded already, by an earlier tap).
    Recorded,
    /// Refused: the shop holds a live claim on the need, which a "no" would not give back.
    HoldsClaim,
}

/// Merchant `merchant_id` says it cannot help with need `need_id` it was asked about: the
/// need's page shows "declined". A second tap changes nothing; a shop holding a live claim
/// on the need is told to release it instead; a need it was not asked about is "not
/// found", and the try audited.
pub async fn decline(
    db: &DatabaseConnection,
    merchant_id: i64,
    need_id: i64,
    now: DateTime<Utc>,
) -> Result<Declined, ServiceError> {
    let txn = db::begin_write(db).await?;
    // Under the merchant's lock, so that a claim and a "no" tapped at once are ordered.
    db::lock_merchant(&txn, merchant_id).await?;
    let holds = claim::Entity::find()
        .filter(claim::Column::NeedId.eq(need_id))
        .filter(claim::Column::MerchantId.eq(merchant_id))
        .filter(claim::Column::Status.is_in(ClaimStatus::LIVE))
        .count(&txn)
        .await?;
    if holds > 0 {
        txn.rollback().await?;
        return Ok(Declined::HoldsClaim);
    }
    // One conditional update: of two taps at once, one declines and is audited.
    let moved = directed_request::Entity::update_many()
        .col_expr(directed_request::Column::DeclinedAt, sea_orm::sea_query::Expr::val(now))
        .filter(directed_request::Column::NeedId.eq(need_id))
        .filter(directed_request::Column::MerchantId.eq(merchant_id))
        .filter(directed_request::Column::DeclinedAt.is_null())
        .exec(&txn)
        .await?;
    if moved.rows_affected == 0 {
        let asked = directed_request::Entity::find()
            .filter(directed_request::Column::NeedId.eq(need_id))
            .filter(directed_request::Column::MerchantId.eq(merchant_id))
            .count(&txn)
            .await?;
        if asked > 0 {
            return Ok(Declined::Recorded);
        }
        txn.rollback().await?;
        audit::record(
            db,
            now,
            Entry::denied(audit::Actor::Merchant(merchant_id), "need.ask_declined").subject("need", need_id),
        )
        .await?;
        return Err(ServiceError::NotFound("request"));
    }
    audit::record(
        &txn,
        now,
        Entry::ok(audit::Actor::Merchant(merchant_id), "need.ask_declined").subject("need", need_id),
    )
    .await?;
    txn.commit().await?;
    Ok(Declined::Recorded)
}

/// The first rule a request of `merchant_id` about `need` breaks, if any.
async fn check<C: ConnectionTrait>(
    txn: &C,
    caller: &Caller,
    need: &need::Model,
    merchant_id: i64,
    now: DateTime<Utc>,
) -> Result<Option<AskRefusal>, ServiceError> {
    if need.status != NeedStatus::Open || need.claimed >= need.quantity {
        return Ok(Some(AskRefusal::NeedNotOpen));
    }
    // The library answers first, and it holds approved merchants only: a shop out of the
    // asker's reach, pending, suspended or missing is refused in the same words, so the
    // refusal tells nothing of a merchant the asker cannot see.
    let reader = library::reader_subdistrict(txn, caller).await?;
    let filter = LibraryFilter {
        category: Some(category_of(need)?),
        community_id: Some(need.community_id),
        with_capacity: false,
    };
    let serves = library::offers_for(txn, reader, filter, now)
        .await?
        .iter()
        .any(|o| o.merchant_id == merchant_id);
    if !serves {
        return Ok(Some(AskRefusal::NotServing));
    }
    let Some(m) = merchant::Entity::find_by_id(merchant_id).one(txn).await? else {
        return Ok(Some(AskRefusal::NotServing));
    };
    let asked = directed_request::Entity::find()
        .filter(directed_request::Column::NeedId.eq(need.id))
        .filter(directed_request::Column::MerchantId.eq(merchant_id))
        .one(txn)
        .await?;
    if asked.is_some() {
        return Ok(Some(AskRefusal::AlreadyAsked));
    }
    // Band D hears of no new needs, asked or not (信用结果运用).
    if crate::domain::credit::CreditBand::of_score(m.credit_score) == crate::domain::credit::CreditBand::D {
        return Ok(Some(AskRefusal::BandD));
    }
    if m.telegram_chat_id.is_none() {
        return Ok(Some(AskRefusal::NoTelegram));
    }
    let cap = alert_settings::get(txn, merchant_id).await?.daily_cap;
    let today = local_midnight(local_date(now));
    let counted = need_alert::Entity::find()
        .filter(need_alert::Column::MerchantId.eq(merchant_id))
        .filter(need_alert::Column::CountsToCap.eq(true))
        .filter(need_alert::Column::DeliverAt.gte(today))
        .filter(need_alert::Column::DeliverAt.lt(today + chrono::Duration::days(1)))
        .count(txn)
        .await?;
    if counted >= u64::from(cap) {
        return Ok(Some(AskRefusal::CapFull));
    }
    Ok(None)
}

/// The merchants asked about need `need_id`, oldest first, with their answers: claimed (the
/// units it claimed of the need since, still live), declined, or waiting.
pub async fn asked(db: &DatabaseConnection, caller: &Caller, need_id: i64) -> Result<Vec<Asked>, ServiceError> {
    need_for(db, caller, need_id).await?;
    let rows = directed_request::Entity::find()
        .filter(directed_request::Column::NeedId.eq(need_id))
        .order_by_asc(directed_request::Column::Id)
        .all(db)
        .await?;
    let claims: Vec<(i64, i32, DateTime<Utc>, ClaimStatus)> = claim::Entity::find()
        .select_only()
        .column(claim::Column::MerchantId)
        .column(claim::Column::Quantity)
        .column(claim::Column::CreatedAt)
        .column(claim::Column::Status)
        .filter(claim::Column::NeedId.eq(need_id))
        .into_tuple()
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let name = merchant::Entity::find_by_id(r.merchant_id)
            .one(db)
            .await?
            .map(|m| m.name)
            .unwrap_or_default();
        let claimed: i32 = claims
            .iter()
            .filter(|c| c.0 == r.merchant_id && c.2 >= r.created_at && c.3.is_live())
            .map(|c| c.1)
            .sum();
        let answer = if claimed > 0 {
            Answer::Claimed(claimed)
        } else if r.declined_at.is_some() {
            Answer::Declined
        } else {
            Answer::Waiting
        };
        out.push(Asked {
            merchant_id: r.merchant_id,
            merchant_name: name,
            at: r.created_at,
            answer,
        });
    }
    Ok(out)
}

/// The claims of need `need_id` the office recorded for merchants who phoned in.
pub async fn recorded(db: &DatabaseConnection, caller: &Caller, need_id: i64) -> Result<Vec<Recorded>, ServiceError> {
    need_for(db, caller, need_id).await?;
    let rows = claim::Entity::find()
        .filter(claim::Column::NeedId.eq(need_id))
        .filter(claim::Column::RecordedBy.is_not_null())
        .order_by_asc(claim::Column::Id)
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for c in rows {
        let name = merchant::Entity::find_by_id(c.merchant_id)
            .one(db)
            .await?
            .map(|m| m.name)
            .unwrap_or_default();
        out.push(Recorded {
            claim_id: c.id,
            merchant_name: name,
            quantity: c.quantity,
        });
    }
    Ok(out)
}

/// The approved merchants of the office's subdistrict, by name, for the phoned-in claim form.
pub async fn office_merchants(db: &DatabaseConnection, caller: &Caller) -> Result<Vec<(i64, String)>, ServiceError> {
    let Caller::Admin { subdistrict_id, .. } = *caller else {
        return Ok(Vec::new());
    };
    Ok(merchant::Entity::find()
        .select_only()
        .column(merchant::Column::Id)
        .column(merchant::Column::Name)
        .filter(merchant::Column::SubdistrictId.eq(subdistrict_id))
        .filter(merchant::Column::Status.eq(PartyStatus::Approved))
        .order_by_asc(merchant::Column::Name)
        .into_tuple()
        .all(db)
        .await?)
}
