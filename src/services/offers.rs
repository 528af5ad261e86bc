//! Merchants' standing offers (the resource library): what a merchant can give each month,
//! in which communities. New needs that fit an active offer are pushed to its merchant.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set};

use super::ServiceError;
use super::access::{Caller, office_reaches, require_admin};
use super::audit::{self, Actor, Entry};
use super::organizations::Community;
use crate::db;
use crate::domain::input::{self, FieldError, FieldErrors};
use crate::domain::{Category, Quantity};
use crate::entities::{community, merchant, offer, offer_community};

/// An offer with the communities it serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    /// Its id.
    pub id: i64,
    /// What kind of help.
    pub category: Category,
    /// What is offered.
    pub description: String,
    /// Units a month.
    pub monthly_capacity: i32,
    /// True unless paused.
    pub active: bool,
    /// Communities served.
    pub communities: Vec<Community>,
}

/// What a merchant enters for a new offer.
#[derive(Debug, Clone)]
pub struct NewOffer {
    /// What kind of help.
    pub category: Category,
    /// What is offered (public text).
    pub description: String,
    /// Units a month, 1–10000.
    pub monthly_capacity: i32,
    /// Communities served, at least one.
    pub community_ids: Vec<i64>,
}

/// The merchant's offers, oldest first.
pub async fn list(db: &DatabaseConnection, merchant_id: i64) -> Result<Vec<Offer>, ServiceError> {
    let rows = offer::Entity::find()
        .filter(offer::Column::MerchantId.eq(merchant_id))
        .order_by_asc(offer::Column::Id)
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        out.push(load(db, row).await?);
    }
    Ok(out)
}

async fn load<C: sea_orm::ConnectionTrait>(conn: &C, row: offer::Model) -> Result<Offer, ServiceError> {
    let ids: Vec<i64> = offer_community::Entity::find()
        .filter(offer_community::Column::OfferId.eq(row.id))
        .all(conn)
        .await?
        .into_iter()
        .map(|oc| oc.community_id)
        .collect();
    let communities = community::Entity::find()
        .filter(community::Column::Id.is_in(ids))
        .order_by_asc(community::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(Community::from)
        .collect();
    Ok(Offer {
        id: row.id,
        category: row
            .category
            .parse()
            .map_err(|e: crate::domain::UnknownVariant| ServiceError::Internal(e.to_string()))?,
        description: row.description,
        monthly_capacity: row.monthly_capacity,
        active: row.status == "active",
        communities,
    })
}

/// Adds an active offer for the merchant.
pub async fn add(
    db: &DatabaseConnection,
    merchant_id: i64,
    new: NewOffer,
    now: DateTime<Utc>,
) -> Result<Offer, ServiceError> {
    add_as(db, Actor::Merchant(merchant_id), merchant_id, new, now).await
}

/// A merchant's offers as its subdistrict's office reads them.
#[derive(Debug, Clone)]
pub struct OfficeOffers {
    /// The shop has a linked Telegram chat: it manages its offers in the bot, and the office
    /// may not pause or resume them (the shop would not be told).
    pub linked: bool,
    /// Its offers.
    pub offers: Vec<Offer>,
}

/// The merchant's offers as its subdistrict's office reads them ("not found" for another
/// subdistrict's merchant, the try audited, or any other caller but the process itself).
pub async fn list_for_office(
    db: &DatabaseConnection,
    caller: &Caller,
    merchant_id: i64,
    now: DateTime<Utc>,
) -> Result<OfficeOffers, ServiceError> {
    let m = office_merchant(db, caller, merchant_id, "offer.list", now).await?;
    Ok(OfficeOffers {
        linked: m.telegram_chat_id.is_some(),
        offers: list(db, merchant_id).await?,
    })
}

/// Records an active offer for a merchant without Telegram, as its subdistrict's office took
/// it down (by phone or at the shop); audited as the office's.
pub async fn add_for_merchant(
    db: &DatabaseConnection,
    caller: &Caller,
    merchant_id: i64,
    new: NewOffer,
    now: DateTime<Utc>,
) -> Result<Offer, ServiceError> {
    office_merchant(db, caller, merchant_id, "offer.add", now).await?;
    add_as(db, caller.actor(), merchant_id, new, now).await
}

/// The merchant `merchant_id` if `caller` is the office of its subdistrict. Another
/// subdistrict's merchant answers "not found" as a missing one does, and the try is audited
/// (`action`, denied, against the merchant).
async fn office_merchant(
    db: &DatabaseConnection,
    caller: &Caller,
    merchant_id: i64,
    action: &str,
    now: DateTime<Utc>,
) -> Result<merchant::Model, ServiceError> {
    if !caller.is_office() {
        return Err(ServiceError::Forbidden);
    }
    let found = merchant::Entity::find_by_id(merchant_id).one(db).await?;
    let place = found.as_ref().map(|m| m.subdistrict_id);
    office_reaches(db, caller, action, ("merchant", merchant_id), place, "merchant", now).await?;
    found.ok_or(ServiceError::NotFound("merchant"))
}

async fn add_as(
    db: &DatabaseConnection,
    actor: Actor,
    merchant_id: i64,
    new: NewOffer,
    now: DateTime<Utc>,
) -> Result<Offer, ServiceError> {
    let mut errors = FieldErrors::default();
    let description = errors.check("description", input::public_text(&new.description, 1, 200));
    if let Err(error) = Quantity::new(new.monthly_capacity.into()) {
        errors.push("monthly_capacity", error);
    }
    if new.community_ids.is_empty() {
        errors.push("community_ids", FieldError::Required);
    }
    let Some(description) = description.filter(|_| errors.is_empty()) else {
        return Err(ServiceError::Validation(errors));
    };
    let txn = db::begin_write(db).await?;
    let known = community::Entity::find()
        .filter(community::Column::Id.is_in(new.community_ids.clone()))
        .all(&txn)
        .await?;
    if known.len() != new.community_ids.len() {
        let mut errors = FieldErrors::default();
        errors.push("community_ids", FieldError::UnknownChoice);
        return Err(ServiceError::Validation(errors));
    }
    let row = offer::ActiveModel {
        merchant_id: Set(merchant_id),
        category: Set(new.category.as_str().to_owned()),
        description: Set(description),
        monthly_capacity: Set(new.monthly_capacity),
        status: Set("active".to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    for community_id in &new.community_ids {
        offer_community::ActiveModel {
            offer_id: Set(row.id),
            community_id: Set(*community_id),
        }
        .insert(&txn)
        .await?;
    }
    audit::record(
        &txn,
        now,
        Entry::ok(actor, "offer.add")
            .subject("offer", row.id)
            .detail(serde_json::json!({ "merchant_id": merchant_id })),
    )
    .await?;
    let offer = load(&txn, row).await?;
    txn.commit().await?;
    Ok(offer)
}

/// Pauses (`active = false`) or resumes one of the merchant's offers.
pub async fn set_active(
    db: &DatabaseConnection,
    merchant_id: i64,
    offer_id: i64,
    active: bool,
    now: DateTime<Utc>,
) -> Result<Offer, ServiceError> {
    set_active_as(db, Actor::Merchant(merchant_id), merchant_id, offer_id, active, now).await
}

/// Why the office may not pause or resume an offer: the shop has a linked Telegram chat and
/// manages its offers in the bot ([`ServiceError::Conflict`] of [`set_active_for_merchant`]).
pub const SHOP_MANAGES_OFFERS: &str = "the shop manages its offers in the bot";

/// The audit action of pausing (`false`) or resuming (`true`) an offer.
fn pause_action(active: bool) -> &'static str {
    if active { "offer.resume" } else { "offer.pause" }
}

/// Pauses (`active = false`) or resumes an offer of merchant `merchant_id` as its
/// subdistrict's office (for a shop without Telegram that phoned in); audited as the
/// office's. Another subdistrict's merchant or offer, or an offer of another merchant,
/// answers "not found" as a missing one does, and the try is audited; the district bureau
/// and everyone else but the office are refused. Pausing a paused offer changes nothing.
pub async fn set_active_for_merchant(
    db: &DatabaseConnection,
    caller: &Caller,
    merchant_id: i64,
    offer_id: i64,
    active: bool,
    now: DateTime<Utc>,
) -> Result<Offer, ServiceError> {
    let action = pause_action(active);
    require_admin(db, caller, action, now).await?;
    // The offer's own merchant places it, whatever merchant the caller named: another
    // subdistrict's offer is refused (and audited) even when named under one's own shop.
    let found = offer::Entity::find_by_id(offer_id).one(db).await?;
    let shop = match &found {
        Some(row) => merchant::Entity::find_by_id(row.merchant_id).one(db).await?,
        None => None,
    };
    let place = shop.as_ref().map(|m| m.subdistrict_id);
    office_reaches(db, caller, action, ("offer", offer_id), place, "offer", now).await?;
    if found.is_none_or(|row| row.merchant_id != merchant_id) {
        return Err(ServiceError::NotFound("offer"));
    }
    // A shop with a linked chat manages its offers in the bot and would not be told of the
    // office's change: the office is refused, in words, and the try recorded.
    if shop.is_some_and(|m| m.telegram_chat_id.is_some()) {
        audit::record(
            db,
            now,
            Entry::denied(caller.actor(), action)
                .subject("offer", offer_id)
                .detail(serde_json::json!({ "merchant_id": merchant_id, "reason": "linked" })),
        )
        .await?;
        return Err(ServiceError::Conflict(SHOP_MANAGES_OFFERS.to_owned()));
    }
    set_active_as(db, caller.actor(), merchant_id, offer_id, active, now).await
}

async fn set_active_as(
    db: &DatabaseConnection,
    actor: Actor,
    merchant_id: i64,
    offer_id: i64,
    active: bool,
    now: DateTime<Utc>,
) -> Result<Offer, ServiceError> {
    let txn = db::begin_write(db).await?;
    let status = if active { "active" } else { "paused" };
    // One conditional update: a second click (or two at once) finds it done and writes no
    // second audit row.
    let changed = offer::Entity::update_many()
        .col_expr(offer::Column::Status, Expr::val(status))
        .col_expr(offer::Column::UpdatedAt, Expr::val(now))
        .filter(offer::Column::Id.eq(offer_id))
        .filter(offer::Column::MerchantId.eq(merchant_id))
        .filter(offer::Column::Status.ne(status))
        .exec(&txn)
        .await?;
    let row = offer::Entity::find_by_id(offer_id)
        .filter(offer::Column::MerchantId.eq(merchant_id))
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound("offer"))?;
    if changed.rows_affected == 1 {
        audit::record(
            &txn,
            now,
            Entry::ok(actor, pause_action(active))
                .subject("offer", offer_id)
                .detail(serde_json::json!({ "merchant_id": merchant_id })),
        )
        .await?;
    }
    let offer = load(&txn, row).await?;
    txn.commit().await?;
    Ok(offer)
}
