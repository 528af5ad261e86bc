//! Merchants apply in the bot (issue 17): a shop's `/join` becomes an application that the
//! office of its community's subdistrict reviews on the web — approve (the merchant is made,
//! approved, with the applying chat linked at once), ask for more (the shop edits and
//! submits again) or reject with a reason. Each review tells the shop through the outbox.
//!
//! The credit code is the shop's business data, not a beneficiary's personal data, but it is
//! still never written to the audit log or the logs.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    Set,
};

use super::access::{Caller, SubdistrictScope, require_admin, require_office_reader};
use super::audit::{self, Actor, Entry};
use super::outbox::{self, ApplicationOutcome, Channel, Message, Notification};
use super::{ServiceError, merchants, organizations};
use crate::db;
use crate::domain::credit::CreditBand;
use crate::domain::credit_code::{CreditCode, RegistrationKind};
use crate::domain::input::{FieldError, FieldErrors};
use crate::domain::merchant_application::{self as rules, ApplicationStatus};
use crate::domain::{Category, IllegalTransition, Locale, PartyStatus};
use crate::entities::{community, merchant, merchant_application};

/// What a shop typed in `/join`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplicationDraft {
    /// The public shop name.
    pub shop_name: String,
    /// A category code.
    pub category: String,
    /// The community the shop lies in.
    pub community_id: i64,
    /// The credit code or registration number, as typed.
    pub credit_code: String,
    /// The business phone, as typed.
    pub phone: String,
    /// What the shop can offer.
    pub offer: String,
}

/// An application as the office and the bot read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Application {
    /// Its id.
    pub id: i64,
    /// The chat that applied.
    pub chat_id: i64,
    /// The shop's language.
    pub locale: Locale,
    /// The public shop name.
    pub shop_name: String,
    /// Its category.
    pub category: Category,
    /// Its community.
    pub community_id: i64,
    /// The community's name in zh-CN and en.
    pub community: (String, String),
    /// The subdistrict whose office reviews it.
    pub subdistrict_id: i64,
    /// The credit code as stored.
    pub credit_code: String,
    /// What kind of body the code names.
    pub kind: RegistrationKind,
    /// The business phone.
    pub phone: String,
    /// What the shop can offer.
    pub offer: String,
    /// Where it stands.
    pub status: ApplicationStatus,
    /// The office's message or reason.
    pub reason: Option<String>,
    /// The merchant made on approval.
    pub merchant_id: Option<i64>,
    /// True when another merchant holds its credit code already: it cannot be approved.
    pub code_registered: bool,
    /// When it was first submitted.
    pub created_at: DateTime<Utc>,
    /// When the shop last changed it.
    pub updated_at: DateTime<Utc>,
}

impl Application {
    /// The community's name in `locale`.
    pub fn community_in(&self, locale: Locale) -> &str {
        match locale {
            Locale::ZhCn => &self.community.0,
            Locale::En => &self.community.1,
        }
    }
}

async fn view<C: sea_orm::ConnectionTrait>(
    conn: &C,
    row: merchant_application::Model,
) -> Result<Application, ServiceError> {
    let community = community::Entity::find_by_id(row.community_id).one(conn).await?;
    let mut holders = merchant::Entity::find().filter(merchant::Column::CreditCode.eq(row.credit_code.as_str()));
    if let Some(own) = row.merchant_id {
        holders = holders.filter(merchant::Column::Id.ne(own));
    }
    let code_registered = holders.count(conn).await? > 0;
    let (kind, credit_code) = match CreditCode::parse(&row.credit_code) {
        Ok(code) => (code.kind(), code.as_str().to_owned()),
        Err(_) => (RegistrationKind::Other, row.credit_code),
    };
    Ok(Application {
        id: row.id,
        chat_id: row.chat_id,
        locale: row.locale.0,
        shop_name: row.shop_name,
        category: row.category.parse().unwrap_or(Category::Other),
        community_id: row.community_id,
        community: community.map(|c| (c.name, c.name_en)).unwrap_or_default(),
        subdistrict_id: row.subdistrict_id,
        credit_code,
        kind,
        phone: row.phone,
        offer: row.offer,
        status: row
            .status
            .parse()
            .map_err(|_| ServiceError::Internal("unknown application status".into()))?,
        reason: row.reason,
        merchant_id: row.merchant_id,
        code_registered,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

/// The latest application of chat `chat_id`, if it ever applied.
pub async fn latest_of_chat(db: &DatabaseConnection, chat_id: i64) -> Result<Option<Application>, ServiceError> {
    let row = merchant_application::Entity::find()
        .filter(merchant_application::Column::ChatId.eq(chat_id))
        .order_by_desc(merchant_application::Column::Id)
        .one(db)
        .await?;
    match row {
        Some(row) => Ok(Some(view(db, row).await?)),
        None => Ok(None),
    }
}

/// Checks what a shop typed, the same rules the bot applied: the cleaned values.
fn checked(draft: &ApplicationDraft) -> Result<ApplicationDraft, ServiceError> {
    let shop_name = organizations::clean_name("shop_name", &draft.shop_name)?;
    if shop_name.chars().count() > rules::MAX_SHOP_NAME {
        return Err(ServiceError::invalid("shop_name", "too long"));
    }
    let category: Category = draft
        .category
        .parse()
        .map_err(|_| ServiceError::invalid("category", "unknown category"))?;
    let credit_code =
        CreditCode::parse(&draft.credit_code).map_err(|e| ServiceError::invalid("credit_code", e.to_string()))?;
    let phone = rules::business_phone(&draft.phone).map_err(|e| ServiceError::invalid("phone", e.to_string()))?;
    let offer = draft.offer.trim();
    if offer.is_empty() || offer.chars().count() > rules::MAX_OFFER {
        return Err(ServiceError::invalid("offer", "empty or too long"));
    }
    Ok(ApplicationDraft {
        shop_name,
        category: category.as_str().to_owned(),
        community_id: draft.community_id,
        credit_code: credit_code.as_str().to_owned(),
        phone,
        offer: offer.to_owned(),
    })
}

/// Submits the application of chat `chat_id` — a new one, or, after the office asked for
/// more, the same one again. [`ServiceError::Conflict`] while one waits for the office.
pub async fn submit(
    db: &DatabaseConnection,
    chat_id: i64,
    locale: Locale,
    draft: &ApplicationDraft,
    now: DateTime<Utc>,
) -> Result<Application, ServiceError> {
    let draft = checked(draft)?;
    let txn = db::begin_write(db).await?;
    let community = community::Entity::find_by_id(draft.community_id)
        .one(&txn)
        .await?
        .ok_or_else(|| ServiceError::invalid("community_id", "unknown community"))?;
    refuse_registered_code(&txn, &draft.credit_code).await?;
    let open = merchant_application::Entity::find()
        .filter(merchant_application::Column::ChatId.eq(chat_id))
        .filter(merchant_application::Column::Status.is_in([
            ApplicationStatus::Submitted.as_str(),
            ApplicationStatus::MoreInfo.as_str(),
        ]))
        .one(&txn)
        .await?;
    let mut row = match open {
        Some(row) if row.status == ApplicationStatus::Submitted.as_str() => {
            return Err(ServiceError::Conflict(
                "an application of this chat waits for review".into(),
            ));
        }
        Some(row) => merchant_application::ActiveModel::from(row),
        None => merchant_application::ActiveModel {
            chat_id: Set(chat_id),
            created_at: Set(now),
            ..Default::default()
        },
    };
    row.locale = Set(locale.into());
    row.shop_name = Set(draft.shop_name);
    row.category = Set(draft.category);
    row.community_id = Set(community.id);
    row.subdistrict_id = Set(community.subdistrict_id);
    row.credit_code = Set(draft.credit_code);
    row.phone = Set(draft.phone);
    row.offer = Set(draft.offer);
    row.status = Set(ApplicationStatus::Submitted.as_str().to_owned());
    row.updated_at = Set(now);
    let saved = row
        .save(&txn)
        .await
        .map_err(|e| ServiceError::on_unique(e, "an application of this chat waits for review"))?;
    let saved = merchant_application::Model::try_from(saved)?;
    // A resubmitted application's messages so far follow it to the office that now reviews it.
    outbox::move_applicant_messages(
        &txn,
        &format!("merchant-application:{}:", saved.id),
        saved.subdistrict_id,
    )
    .await?;
    audit::record(
        &txn,
        now,
        Entry::ok(Actor::Anonymous, "merchant_application.submit").subject("merchant_application", saved.id),
    )
    .await?;
    let application = view(&txn, saved).await?;
    txn.commit().await?;
    Ok(application)
}

/// Refuses a credit code a merchant holds already, whatever its standing: a shop suspended
/// or in credit band D does not start afresh by applying again from another chat. The
/// office relinks a shop's new chat instead (a link code).
async fn refuse_registered_code<C: sea_orm::ConnectionTrait>(conn: &C, code: &str) -> Result<(), ServiceError> {
    let held = merchant::Entity::find()
        .filter(merchant::Column::CreditCode.eq(code))
        .count(conn)
        .await?;
    if held > 0 {
        return Err(code_registered());
    }
    Ok(())
}

/// The refusal of a credit code a merchant holds already (field `credit_code`).
fn code_registered() -> ServiceError {
    ServiceError::Validation(FieldErrors(vec![("credit_code", FieldError::CodeAdmitted)]))
}

/// The applications the caller may read: its subdistrict's (every one for the district
/// bureau), open ones first, newest first.
pub async fn list(
    db: &DatabaseConnection,
    caller: &Caller,
    now: DateTime<Utc>,
) -> Result<Vec<Application>, ServiceError> {
    let scope = require_office_reader(db, caller, "merchant_application.list", now).await?;
    let rows = merchant_application::Entity::find()
        .filter(scope.condition(merchant_application::Column::SubdistrictId))
        .order_by_desc(merchant_application::Column::UpdatedAt)
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        out.push(view(db, row).await?);
    }
    out.sort_by_key(|a| !a.status.is_open());
    Ok(out)
}

/// How many applications wait for the caller's office (submitted, not yet reviewed).
pub async fn waiting_count(db: &DatabaseConnection, caller: &Caller, now: DateTime<Utc>) -> Result<u64, ServiceError> {
    let scope = require_office_reader(db, caller, "merchant_application.list", now).await?;
    Ok(merchant_application::Entity::find()
        .filter(scope.condition(merchant_application::Column::SubdistrictId))
        .filter(merchant_application::Column::Status.eq(ApplicationStatus::Submitted.as_str()))
        .count(db)
        .await?)
}

/// The row `id` if the caller's scope holds it; otherwise "not found", the same as a missing
/// one, with a denied row in the audit log.
async fn scoped_row(
    db: &DatabaseConnection,
    scope: SubdistrictScope,
    caller: &Caller,
    id: i64,
    action: &str,
    now: DateTime<Utc>,
) -> Result<merchant_application::Model, ServiceError> {
    match merchant_application::Entity::find_by_id(id).one(db).await? {
        Some(row) if scope.allows(row.subdistrict_id) => Ok(row),
        _ => {
            audit::record(
                db,
                now,
                Entry::denied(caller.actor(), action).subject("merchant_application", id),
            )
            .await?;
            Err(ServiceError::NotFound("merchant application"))
        }
    }
}

/// Application `id`, for the office of its subdistrict or the district bureau.
pub async fn get(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i64,
    now: DateTime<Utc>,
) -> Result<Application, ServiceError> {
    let scope = require_office_reader(db, caller, "merchant_application.read", now).await?;
    let row = scoped_row(db, scope, caller, id, "merchant_application.read", now).await?;
    view(db, row).await
}

/// A suspended shop, or one in credit band D, that an application looks like: it may be the
/// same shop applying again under another number (a 15-digit licence number instead of its
/// 18-character code). The office is warned, not stopped: it decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lookalike {
    /// The matched shop's subdistrict.
    pub subdistrict_id: i64,
    /// The application's business phone is one the merchant applied with.
    pub same_phone: bool,
    /// The application's shop name and community are the merchant's, or those it applied with.
    pub same_name: bool,
    /// The shop itself, for the office of its own subdistrict only; another subdistrict's shop
    /// is not named, nor its band or status told (`None`): the caller asks that office.
    pub shop: Option<LookalikeShop>,
}

/// A matched shop of the caller's own subdistrict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookalikeShop {
    /// The merchant.
    pub merchant_id: i64,
    /// Its shop name.
    pub name: String,
    /// True when suspended; false: in credit band D.
    pub suspended: bool,
}

/// Application `id` for review by the office of its subdistrict (or the district bureau),
/// with the suspended shops (or shops in credit band D) it looks like, by business phone or
/// by shop name and community — the merchant's own or those of its earlier applications.
/// Only a shop of the caller's own subdistrict is named; each matched shop is audited
/// (`merchant_application.lookalike`).
pub async fn review(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i64,
    now: DateTime<Utc>,
) -> Result<(Application, Vec<Lookalike>), ServiceError> {
    let application = get(db, caller, id, now).await?;
    let found = lookalikes(db, &application).await?;
    if !found.is_empty() {
        let merchants: Vec<i64> = found.iter().map(|(m, _)| m.id).collect();
        audit::record(
            db,
            now,
            Entry::ok(caller.actor(), "merchant_application.lookalike")
                .subject("merchant_application", id)
                .detail(serde_json::json!({ "merchants": merchants })),
        )
        .await?;
    }
    let own = caller.subdistrict_id();
    let found = found
        .into_iter()
        .map(|(m, mut l)| {
            if own == Some(m.subdistrict_id) {
                l.shop = Some(LookalikeShop {
                    merchant_id: m.id,
                    suspended: m.status == PartyStatus::Suspended,
                    name: m.name,
                });
            }
            l
        })
        .collect();
    Ok((application, found))
}

async fn lookalikes(
    db: &DatabaseConnection,
    a: &Application,
) -> Result<Vec<(merchant::Model, Lookalike)>, ServiceError> {
    let flagged: Vec<merchant::Model> = merchant::Entity::find()
        .filter(
            Condition::any()
                .add(merchant::Column::Status.eq(PartyStatus::Suspended))
                .add(merchant::Column::CreditScore.lt(CreditBand::C.floor())),
        )
        .order_by_asc(merchant::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .filter(|m| Some(m.id) != a.merchant_id)
        .collect();
    if flagged.is_empty() {
        return Ok(Vec::new());
    }
    let earlier = merchant_application::Entity::find()
        .filter(merchant_application::Column::MerchantId.is_in(flagged.iter().map(|m| m.id)))
        .filter(merchant_application::Column::Id.ne(a.id))
        .all(db)
        .await?;
    let name = rules::shop_name_key(&a.shop_name);
    let phone = rules::phone_key(&a.phone);
    let same_name =
        |shop: &str, community: Option<i64>| community == Some(a.community_id) && rules::shop_name_key(shop) == name;
    Ok(flagged
        .into_iter()
        .filter_map(|m| {
            let theirs: Vec<&merchant_application::Model> =
                earlier.iter().filter(|e| e.merchant_id == Some(m.id)).collect();
            let same_phone = theirs.iter().any(|e| rules::phone_key(&e.phone) == phone);
            let same_name = same_name(&m.name, m.community_id)
                || theirs.iter().any(|e| same_name(&e.shop_name, Some(e.community_id)));
            (same_phone || same_name).then(|| {
                let found = Lookalike {
                    subdistrict_id: m.subdistrict_id,
                    same_phone,
                    same_name,
                    shop: None,
                };
                (m, found)
            })
        })
        .collect())
}

/// The office's decision on an application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Admit the shop: the merchant is made, approved, with the chat linked.
    Approve,
    /// Ask the shop for more, with this message.
    AskMore(String),
    /// Decline, with this reason.
    Reject(String),
}

impl Decision {
    fn action(&self) -> &'static str {
        match self {
            Decision::Approve => "merchant_application.approve",
            Decision::AskMore(_) => "merchant_application.more_info",
            Decision::Reject(_) => "merchant_application.reject",
        }
    }
}

/// Decides application `id` (the office of its subdistrict only; another's is "not found",
/// audited) and tells the shop. Returns the merchant made on approval.
///
/// The decision is one conditional update (this id, the office's subdistrict, still
/// submitted): of two offices or two clicks at once exactly one wins; the other is told the
/// state the application is in now ([`ServiceError::IllegalTransition`]) and writes nothing.
pub async fn decide(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i64,
    decision: Decision,
    now: DateTime<Utc>,
) -> Result<Option<i64>, ServiceError> {
    let action = decision.action();
    require_admin(db, caller, action, now).await?;
    let scope = match caller.subdistrict_id() {
        Some(s) => SubdistrictScope::One(s),
        None => SubdistrictScope::District,
    };
    scoped_row(db, scope, caller, id, action, now).await?;
    let reason = match &decision {
        Decision::Approve => None,
        // The shop reads it: required, and at most `office::REASON_MAX` characters.
        Decision::AskMore(text) | Decision::Reject(text) => Some(super::office::required_reason(text, 1)?),
    };
    let status = match decision {
        Decision::Approve => ApplicationStatus::Approved,
        Decision::AskMore(_) => ApplicationStatus::MoreInfo,
        Decision::Reject(_) => ApplicationStatus::Rejected,
    };
    let txn = db::begin_write(db).await?;
    let row = claim_decision(&txn, scope, id, status, reason.as_deref(), caller, now).await?;
    if status == ApplicationStatus::Approved {
        // Two shops may have applied under one code before either was admitted: the second
        // approval is refused, in words (the decision rolls back), and the office rejects it
        // with a reason. Checked once this decision is ours, so that a second click on the
        // same application is told it was decided.
        refuse_registered_code(&txn, &row.credit_code).await?;
    }
    let locale = row.locale.0;
    let merchant_id = match status {
        ApplicationStatus::Approved => Some(admit(&txn, &row, now).await?),
        _ => None,
    };
    if let Some(m) = merchant_id {
        merchant_application::Entity::update_many()
            .col_expr(merchant_application::Column::MerchantId, Expr::val(m))
            .filter(merchant_application::Column::Id.eq(id))
            .exec(&txn)
            .await?;
    }
    let outcome = ApplicationOutcome {
        chat_id: row.chat_id,
        shop_name: row.shop_name.clone(),
        message: reason.unwrap_or_default(),
    };
    let (notification, tag) = match status {
        ApplicationStatus::Approved => (
            Notification::MerchantApplicationApproved(outcome),
            "approved".to_owned(),
        ),
        ApplicationStatus::MoreInfo => (
            Notification::MerchantApplicationMoreInfo(outcome),
            format!("more-info:{}", now.timestamp_micros()),
        ),
        _ => (
            Notification::MerchantApplicationRejected(outcome),
            "rejected".to_owned(),
        ),
    };
    let message = Message {
        merchant_id,
        ..Message::new(
            Channel::Telegram,
            format!("chat:{}", row.chat_id),
            locale,
            &notification,
            format!("merchant-application:{id}:{tag}"),
        )
    };
    // The applying chat is no merchant yet (unless approved now): its office's outbox finds
    // the message by the application's subdistrict.
    outbox::enqueue_to_applicant(&txn, message, row.subdistrict_id, now).await?;
    let mut entry = Entry::ok(caller.actor(), action).subject("merchant_application", id);
    if let Some(m) = merchant_id {
        entry = entry.detail(serde_json::json!({ "merchant_id": m }));
    }
    audit::record(&txn, now, entry).await?;
    txn.commit().await?;
    Ok(merchant_id)
}

/// Moves application `id` from submitted to `status` in one conditional update, within
/// `scope`, and returns the row as decided (read after the move, inside the transaction, so
/// the merchant is made from what was decided, not from a read before another writer).
/// Nothing moved: the application was decided meanwhile (its state now is the answer), or
/// left the scope (the shop moved it to another subdistrict's community: "not found").
async fn claim_decision<C: sea_orm::ConnectionTrait>(
    txn: &C,
    scope: SubdistrictScope,
    id: i64,
    status: ApplicationStatus,
    reason: Option<&str>,
    caller: &Caller,
    now: DateTime<Utc>,
) -> Result<merchant_application::Model, ServiceError> {
    let moved = merchant_application::Entity::update_many()
        .col_expr(merchant_application::Column::Status, Expr::val(status.as_str()))
        .col_expr(
            merchant_application::Column::Reason,
            Expr::val(reason.map(str::to_owned)),
        )
        .col_expr(merchant_application::Column::ReviewedBy, Expr::val(caller.staff_id()))
        .col_expr(merchant_application::Column::ReviewedAt, Expr::val(now))
        .filter(merchant_application::Column::Id.eq(id))
        .filter(scope.condition(merchant_application::Column::SubdistrictId))
        .filter(merchant_application::Column::Status.eq(ApplicationStatus::Submitted.as_str()))
        .exec(txn)
        .await?;
    let row = merchant_application::Entity::find_by_id(id).one(txn).await?;
    match row {
        Some(row) if moved.rows_affected == 1 => Ok(row),
        Some(row) if scope.allows(row.subdistrict_id) => {
            let now_in: ApplicationStatus = row
                .status
                .parse()
                .map_err(|_| ServiceError::Internal("unknown application status".into()))?;
            Err(IllegalTransition {
                kind: "merchant application",
                from: now_in.as_str(),
                action: "decided",
            }
            .into())
        }
        _ => Err(ServiceError::NotFound("merchant application")),
    }
}

/// Makes the merchant of an approved application, approved, in its subdistrict and community,
/// with the applying chat linked (a chat belongs to one merchant: another one leaves it).
async fn admit<C: sea_orm::ConnectionTrait>(
    txn: &C,
    row: &merchant_application::Model,
    now: DateTime<Utc>,
) -> Result<i64, ServiceError> {
    merchant::Entity::update_many()
        .col_expr(merchant::Column::TelegramChatId, Expr::val(Option::<i64>::None))
        .col_expr(merchant::Column::UpdatedAt, Expr::val(now))
        .filter(merchant::Column::TelegramChatId.eq(row.chat_id))
        .exec(txn)
        .await?;
    let category: Category = row.category.parse().unwrap_or(Category::Other);
    let created = merchant::ActiveModel {
        name: Set(row.shop_name.clone()),
        trade: Set(category.label(Locale::ZhCn).to_owned()),
        community_id: Set(Some(row.community_id)),
        subdistrict_id: Set(row.subdistrict_id),
        address: Set(String::new()),
        opening_hours: Set(None),
        status: Set(PartyStatus::Approved),
        telegram_chat_id: Set(Some(row.chat_id)),
        locale: Set(row.locale),
        show_publicly: Set(false),
        credit_score: Set(merchants::INITIAL_CREDIT),
        credit_code: Set(Some(row.credit_code.clone())),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await
    // The unique index settles two approvals of one code at once.
    .map_err(|e| match ServiceError::on_unique(e, "credit code") {
        ServiceError::Conflict(_) => code_registered(),
        other => other,
    })?;
    audit::record(
        txn,
        now,
        Entry::ok(Actor::System, "merchant.create")
            .subject("merchant", created.id)
            .detail(serde_json::json!({ "status": PartyStatus::Approved.as_str(), "merchant_application": row.id })),
    )
    .await?;
    Ok(created.id)
}
