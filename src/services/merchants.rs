//! Caring merchants: admission, the one-time codes that link a Telegram chat, their
//! choice to be listed on the public transparency page, and their record (on time, late,
//! lapsed, ratings) that sets how much they may hold and their credit score.

use std::sync::LazyLock;

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, FromQueryResult, QueryFilter, Set,
};

use super::access::{Caller, office_reaches, require_admin};
use super::audit::{self, Actor, Entry};
use super::{ServiceError, organizations};
use crate::config::Secret;
use crate::domain::codes::random_code;
use crate::domain::credit::CreditBand;
use crate::domain::record::{ClaimAllowance, MerchantRecord};
use crate::domain::{ClaimStatus, Locale, PartyStatus};
use crate::entities::values::StoredLocale;
use crate::entities::{merchant, merchant_link_code};
use crate::{crypto, db};

/// How long a link code may be used.
pub const LINK_CODE_TTL_HOURS: i64 = 24;
/// A new merchant's starting credit score (0–100).
pub const INITIAL_CREDIT: i32 = 60;

/// A merchant as the office's list and the bot know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MerchantSummary {
    /// Its id.
    pub id: i64,
    /// Its public shop name.
    pub name: String,
    /// Its trade, as typed.
    pub trade: String,
    /// Its credit score, 0 to 100.
    pub credit_score: i32,
    /// Its admission.
    pub status: PartyStatus,
    /// The language it reads.
    pub locale: Locale,
    /// The subdistrict whose office admits it.
    pub subdistrict_id: i64,
}

impl MerchantSummary {
    /// The band of its stored credit score (the one the alerts go by).
    pub fn band(&self) -> CreditBand {
        CreditBand::of_score(self.credit_score)
    }
}

impl TryFrom<merchant::Model> for MerchantSummary {
    type Error = ServiceError;

    fn try_from(m: merchant::Model) -> Result<Self, ServiceError> {
        Ok(Self {
            status: m.status,
            locale: m.locale.0,
            id: m.id,
            name: m.name,
            trade: m.trade,
            credit_score: m.credit_score,
            subdistrict_id: m.subdistrict_id,
        })
    }
}

/// Merchant `merchant_id`.
pub async fn get(db: &DatabaseConnection, merchant_id: i64) -> Result<MerchantSummary, ServiceError> {
    merchant::Entity::find_by_id(merchant_id)
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("merchant"))?
        .try_into()
}

/// What `create_merchant` needs.
#[derive(Debug, Clone, Default)]
pub struct NewMerchant {
    /// The public shop name.
    pub name: String,
    /// Trade, e.g. "pharmacy".
    pub trade: String,
    /// Community name (zh or en), if any.
    pub community: Option<String>,
    /// Public business address.
    pub address: String,
    /// Opening hours as shown to social workers.
    pub opening_hours: Option<String>,
    /// Admission state to start in.
    pub status: Option<PartyStatus>,
}

/// Creates a merchant (approved unless told otherwise) and returns its id.
pub async fn create_merchant(
    db: &DatabaseConnection,
    new: NewMerchant,
    now: DateTime<Utc>,
) -> Result<i64, ServiceError> {
    let name = organizations::clean_name("name", &new.name)?;
    let txn = db::begin_write(db).await?;
    let community_id = match new.community.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        Some(c) => Some(organizations::community_by_name(&txn, c).await?.id),
        None => None,
    };
    let subdistrict_id = super::subdistricts::for_new_party(&txn, community_id, "community").await?;
    let status = new.status.unwrap_or(PartyStatus::Approved);
    let created = merchant::ActiveModel {
        name: Set(name),
        trade: Set(new.trade.trim().to_owned()),
        community_id: Set(community_id),
        subdistrict_id: Set(subdistrict_id),
        address: Set(new.address.trim().to_owned()),
        opening_hours: Set(new.opening_hours),
        status: Set(status),
        telegram_chat_id: Set(None),
        locale: Set(Locale::ZhCn.into()),
        show_publicly: Set(false),
        credit_score: Set(INITIAL_CREDIT),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        now,
        Entry::ok(Actor::System, "merchant.create")
            .subject("merchant", created.id)
            .detail(serde_json::json!({ "status": status.as_str() })),
    )
    .await?;
    txn.commit().await?;
    Ok(created.id)
}

/// The stored digest of link code `code`: HMAC-SHA256 under a key derived from the secret
/// key for link codes only. A plain hash of an 8-character code could be brute-forced from a
/// copy of the database in seconds; this one cannot without the secret key.
pub fn link_code_digest(secret: &Secret, code: &str) -> String {
    crypto::keyed_hex(secret, "link-code-v1", code.as_bytes())
}

/// Issues a one-time code that links a Telegram chat to merchant `merchant_id` within
/// 24 hours. Only its keyed digest ([`link_code_digest`]) is stored; the code is returned once.
/// The office issues codes for its own subdistrict's shops only: another's answers "not
/// found", as a missing one does, audited; the district bureau and everyone else are refused.
pub async fn issue_link_code(
    db: &DatabaseConnection,
    secret: &Secret,
    caller: &Caller,
    merchant_id: i64,
    now: DateTime<Utc>,
) -> Result<String, ServiceError> {
    const ACTION: &str = "merchant.link_code.issue";
    require_admin(db, caller, ACTION, now).await?;
    let place = merchant::Entity::find_by_id(merchant_id)
        .one(db)
        .await?
        .map(|m| m.subdistrict_id);
    office_reaches(db, caller, ACTION, ("merchant", merchant_id), place, "merchant", now).await?;
    let txn = db::begin_write(db).await?;
    let code = new_link_code();
    merchant_link_code::ActiveModel {
        merchant_id: Set(merchant_id),
        code_digest: Set(link_code_digest(secret, &code)),
        created_at: Set(now),
        expires_at: Set(now + Duration::hours(LINK_CODE_TTL_HOURS)),
        used_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        now,
        Entry::ok(caller.actor(), ACTION).subject("merchant", merchant_id),
    )
    .await?;
    txn.commit().await?;
    Ok(code)
}

/// A code of 8 characters a shopkeeper can type: no look-alike letters or digits.
fn new_link_code() -> String {
    random_code(8)
}

/// Remembers the language a merchant reads (bot messages and notifications).
pub async fn set_locale(
    db: &DatabaseConnection,
    merchant_id: i64,
    locale: Locale,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let changed = merchant::Entity::update_many()
        .col_expr(merchant::Column::Locale, Expr::val(StoredLocale(locale)))
        .col_expr(merchant::Column::UpdatedAt, Expr::val(now))
        .filter(merchant::Column::Id.eq(merchant_id))
        .exec(db)
        .await?;
    if changed.rows_affected != 1 {
        return Err(ServiceError::NotFound("merchant"));
    }
    Ok(())
}

/// A merchant as the public transparency page would list it, and whether it chose to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicListing {
    /// The shop name, the one thing the page says about the shop besides its deliveries.
    pub name: String,
    /// True when the merchant chose to be shown (`merchants.show_publicly`).
    pub shown: bool,
}

/// Merchant `merchant_id`'s listing on the public page.
pub async fn public_listing(db: &DatabaseConnection, merchant_id: i64) -> Result<PublicListing, ServiceError> {
    let m = merchant::Entity::find_by_id(merchant_id)
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("merchant"))?;
    Ok(PublicListing {
        name: m.name,
        shown: m.show_publicly,
    })
}

/// Shows merchant `merchant_id` on the public transparency page (`shown`) or stops showing
/// it, audited as `merchant.public`. Only an approved merchant may be shown; any merchant
/// may withdraw. Returns whether the choice changed: asking for the current one writes
/// nothing.
pub async fn set_shown_publicly(
    db: &DatabaseConnection,
    merchant_id: i64,
    shown: bool,
    now: DateTime<Utc>,
) -> Result<bool, ServiceError> {
    let txn = db::begin_write(db).await?;
    // The approval is a condition of the update itself, so an office suspending the shop
    // at the same moment cannot slip between a check and the write.
    let mut update = merchant::Entity::update_many()
        .col_expr(merchant::Column::ShowPublicly, Expr::val(shown))
        .col_expr(merchant::Column::UpdatedAt, Expr::val(now))
        .filter(merchant::Column::Id.eq(merchant_id))
        .filter(merchant::Column::ShowPublicly.ne(shown));
    if shown {
        update = update.filter(merchant::Column::Status.eq(PartyStatus::Approved));
    }
    if update.exec(&txn).await?.rows_affected != 1 {
        let Some(m) = merchant::Entity::find_by_id(merchant_id).one(&txn).await? else {
            return Err(ServiceError::NotFound("merchant"));
        };
        // Asking again for what holds changes nothing, but a shop that is not approved is
        // never told it is shown, even one listed before its suspension.
        let approved = m.status == PartyStatus::Approved;
        if m.show_publicly == shown && (approved || !shown) {
            return Ok(false);
        }
        return Err(ServiceError::MerchantNotApproved);
    }
    audit::record(
        &txn,
        now,
        Entry::ok(Actor::Merchant(merchant_id), "merchant.public")
            .subject("merchant", merchant_id)
            .detail(serde_json::json!({ "shown": shown })),
    )
    .await?;
    txn.commit().await?;
    Ok(true)
}

// The merchant's record: aggregates over its claims, read in the claim transaction (under
// the merchant's lock) and stored as the credit score when a claim ends.

/// A merchant's record and how many claims it holds now.
pub async fn merchant_record<C: ConnectionTrait>(
    conn: &C,
    merchant_id: i64,
    now: DateTime<Utc>,
) -> Result<(MerchantRecord, u64), ServiceError> {
    let columns = &*RECORD_COLUMNS;
    let sql = format!("SELECT {columns} FROM claims WHERE merchant_id = ?");
    let row = conn
        .query_one_raw(db::statement(conn, &sql, record_values(merchant_id, now)))
        .await?
        .ok_or(ServiceError::Internal("aggregate returned no row".into()))?;
    record_from(&row)
}

/// The merchant with its record and holding, in one query (a claim's hot path).
pub(crate) async fn merchant_with_record<C: ConnectionTrait>(
    conn: &C,
    merchant_id: i64,
    now: DateTime<Utc>,
) -> Result<(merchant::Model, MerchantRecord, u64), ServiceError> {
    let columns = &*RECORD_COLUMNS;
    let sql = format!(
        "SELECT m.*, r.* FROM merchants m \
         CROSS JOIN (SELECT {columns} FROM claims WHERE merchant_id = ?) r WHERE m.id = ?"
    );
    let mut values = record_values(merchant_id, now);
    values.push(merchant_id.into());
    let row = conn
        .query_one_raw(db::statement(conn, &sql, values))
        .await?
        .ok_or(ServiceError::NotFound("merchant"))?;
    let merchant = merchant::Model::from_query_result(&row, "")?;
    let (record, holding) = record_from(&row)?;
    Ok((merchant, record, holding))
}

/// The record's aggregates over one merchant's claims. The streak (how many of the most
/// recently ended claims lapsed in a row, up to the deliver-first threshold) counts the
/// lapsed claims that no delivered or confirmed claim follows.
static RECORD_COLUMNS: LazyLock<String> = LazyLock::new(|| {
    let arrived = db::sql_list(ClaimStatus::ARRIVED.map(ClaimStatus::as_str));
    let holding = db::sql_list(ClaimStatus::HOLDING.map(ClaimStatus::as_str));
    let lapsed = ClaimStatus::Lapsed.as_str();
    format!(
        "COALESCE(SUM(CASE WHEN delivered_at IS NOT NULL AND status IN ({arrived}) AND delivered_at <= due_at THEN 1 ELSE 0 END), 0) AS rec_on_time, \
         COALESCE(SUM(CASE WHEN delivered_at IS NOT NULL AND status IN ({arrived}) AND delivered_at > due_at THEN 1 ELSE 0 END), 0) AS rec_late, \
         COALESCE(SUM(CASE WHEN status = '{lapsed}' THEN 1 ELSE 0 END), 0) AS rec_lapsed, \
         COALESCE(SUM(CASE WHEN status = '{lapsed}' AND ended_at >= ? THEN 1 ELSE 0 END), 0) AS rec_recent_lapses, \
         COALESCE(SUM(CASE WHEN rating IS NOT NULL THEN rating ELSE 0 END), 0) AS rec_rating_sum, \
         COALESCE(SUM(CASE WHEN rating IS NOT NULL THEN 1 ELSE 0 END), 0) AS rec_ratings, \
         COALESCE(SUM(CASE WHEN status IN ({holding}) THEN 1 ELSE 0 END), 0) AS rec_holding, \
         (SELECT COUNT(*) FROM (SELECT 1 FROM claims l WHERE l.merchant_id = ? AND l.status = '{lapsed}' \
             AND NOT EXISTS (SELECT 1 FROM claims d WHERE d.merchant_id = l.merchant_id \
                 AND d.status IN ({arrived}) \
                 AND (d.updated_at > l.updated_at OR (d.updated_at = l.updated_at AND d.id > l.id))) \
             LIMIT ?) s) AS rec_streak"
    )
});

fn record_values(merchant_id: i64, now: DateTime<Utc>) -> Vec<sea_orm::Value> {
    vec![
        (now - Duration::days(90)).into(),
        merchant_id.into(),
        i64::from(crate::domain::record::DELIVER_FIRST_STREAK).into(),
        merchant_id.into(),
    ]
}

fn record_from(row: &sea_orm::QueryResult) -> Result<(MerchantRecord, u64), ServiceError> {
    let get = |name: &str| -> Result<u32, ServiceError> {
        row.try_get::<i64>("", name)
            .map(|v| u32::try_from(v).unwrap_or(0))
            .map_err(|e| ServiceError::Internal(e.to_string()))
    };
    let record = MerchantRecord {
        on_time: get("rec_on_time")?,
        late: get("rec_late")?,
        lapsed: get("rec_lapsed")?,
        recent_lapses: get("rec_recent_lapses")?,
        lapse_streak: get("rec_streak")?,
        rating_sum: get("rec_rating_sum")?,
        ratings: get("rec_ratings")?,
    };
    Ok((record, u64::from(get("rec_holding")?)))
}

/// Recomputes and stores a merchant's credit score (the caller holds the merchant's lock).
pub(crate) async fn refresh_credit<C: ConnectionTrait>(
    txn: &C,
    merchant_id: i64,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let (record, _) = merchant_record(txn, merchant_id, now).await?;
    store_credit(txn, merchant_id, record.credit_score(), now).await
}

/// Stores `score` as merchant `merchant_id`'s credit score (the caller holds its lock). The
/// alerts read the stored score: its band decides who hears of needs first, and who not.
pub(crate) async fn store_credit<C: ConnectionTrait>(
    txn: &C,
    merchant_id: i64,
    score: i32,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    merchant::Entity::update_many()
        .col_expr(merchant::Column::CreditScore, Expr::val(score))
        .col_expr(merchant::Column::UpdatedAt, Expr::val(now))
        .filter(merchant::Column::Id.eq(merchant_id))
        .exec(txn)
        .await?;
    Ok(())
}

/// A merchant's credit as the merchant reads it (`/credit` in the bot): its record, score
/// and band, and the claims it holds now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MerchantCredit {
    /// What it has done.
    pub record: MerchantRecord,
    /// Its credit score, 0 to 100.
    pub score: i32,
    /// Its band.
    pub band: CreditBand,
    /// Active (and disputed) claims it holds now.
    pub holding: u64,
    /// How many it may hold.
    pub allowance: ClaimAllowance,
}

/// Merchant `merchant_id`'s credit as of `now`, for the merchant itself. The stored score
/// catches up in the same transaction (lapses older than 90 days stop weighing without a
/// claim ending), so that what the merchant reads is what its alerts go by.
pub async fn credit(
    db: &DatabaseConnection,
    merchant_id: i64,
    now: DateTime<Utc>,
) -> Result<MerchantCredit, ServiceError> {
    let txn = db::begin_write(db).await?;
    db::lock_merchant(&txn, merchant_id).await?;
    let (merchant, record, holding) = merchant_with_record(&txn, merchant_id, now).await?;
    let score = record.credit_score();
    if merchant.credit_score != score {
        store_credit(&txn, merchant_id, score, now).await?;
    }
    txn.commit().await?;
    Ok(MerchantCredit {
        record,
        score,
        band: record.band(),
        holding,
        allowance: record.claim_allowance(),
    })
}
