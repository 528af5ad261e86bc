//! The Telegram bot's records: updates stored before they are acknowledged and handled
//! exactly once, the conversation state of each chat, and the redemption of link codes
//! (with a lock-out after too many wrong ones).
//!
//! Exactly once: an update is inserted once (its `update_id` is the key); an instance
//! handles it only after taking a short lease with a conditional UPDATE; the update is
//! marked handled in the same transaction that saves the chat's new state and queues the
//! replies in the outbox, so a crash anywhere before that commit leaves it pending, and a
//! crash after it loses nothing.

use crate::domain::{Channel, OutboxStatus};
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::ServiceError;
use super::audit::{self, Actor, Entry};
use super::merchants::MerchantSummary;
use super::outbox::{Message, enqueue};
use crate::config::Secret;
use crate::db;
use crate::domain::Locale;
use crate::domain::codes::normalize_code;
use crate::entities::values::StoredLocale;
use crate::entities::{bot_chat, merchant, merchant_link_code, outbox, telegram_update};

/// How long an instance holds an update it handles.
pub const LEASE_SECONDS: i64 = 30;
/// Attempts before an update is given up as failed.
pub const MAX_ATTEMPTS: i32 = 5;
/// Wrong link codes in a row that lock a chat out.
pub const LOCKOUT_AFTER: i32 = 5;
/// How long a locked-out chat waits.
pub const LOCKOUT_MINUTES: i64 = 60;

/// Stores an update as received, unless it is stored already (Telegram delivers again
/// what it believes unacknowledged). Returns true when it was new.
pub async fn store_update(
    db: &DatabaseConnection,
    update_id: i64,
    payload: &str,
    now: DateTime<Utc>,
) -> Result<bool, sea_orm::DbErr> {
    let row = telegram_update::ActiveModel {
        update_id: Set(update_id),
        payload: Set(payload.to_owned()),
        status: Set("pending".to_owned()),
        attempts: Set(0),
        received_at: Set(now),
        handled_at: Set(None),
        last_error: Set(None),
        locked_until: Set(None),
    };
    let result = telegram_update::Entity::insert(row)
        .on_conflict(
            OnConflict::column(telegram_update::Column::UpdateId)
                .do_nothing()
                .to_owned(),
        )
        .try_insert()
        .exec(db)
        .await?;
    Ok(matches!(result, sea_orm::TryInsertResult::Inserted(_)))
}

/// Stores the updates of one `getUpdates` answer, (id, JSON) each, in one transaction;
/// ones stored already are left as they are.
pub async fn store_updates(
    db: &DatabaseConnection,
    updates: &[(i64, String)],
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    if updates.is_empty() {
        return Ok(());
    }
    let rows = updates.iter().map(|(id, payload)| telegram_update::ActiveModel {
        update_id: Set(*id),
        payload: Set(payload.clone()),
        status: Set("pending".to_owned()),
        attempts: Set(0),
        received_at: Set(now),
        handled_at: Set(None),
        last_error: Set(None),
        locked_until: Set(None),
    });
    telegram_update::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::column(telegram_update::Column::UpdateId)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Stored updates waiting to be handled and held by nobody, oldest first: (id, payload).
pub async fn pending_updates(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<(i64, String)>, sea_orm::DbErr> {
    telegram_update::Entity::find()
        .select_only()
        .column(telegram_update::Column::UpdateId)
        .column(telegram_update::Column::Payload)
        .filter(telegram_update::Column::Status.eq("pending"))
        .filter(
            telegram_update::Column::LockedUntil
                .is_null()
                .or(telegram_update::Column::LockedUntil.lt(now)),
        )
        .order_by_asc(telegram_update::Column::UpdateId)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await
}

/// An update this instance holds the lease on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeasedUpdate {
    /// Telegram's id of the update.
    pub update_id: i64,
    /// The update as received (JSON).
    pub payload: String,
    /// Attempts so far, this one included.
    pub attempts: i32,
}

/// Takes the lease on a pending update. Returns the update when this caller holds it now;
/// `None` when it is handled or another instance holds it.
pub async fn lease_update(
    db: &DatabaseConnection,
    update_id: i64,
    now: DateTime<Utc>,
) -> Result<Option<LeasedUpdate>, sea_orm::DbErr> {
    let leased = telegram_update::Entity::update_many()
        .col_expr(
            telegram_update::Column::LockedUntil,
            Expr::val(now + Duration::seconds(LEASE_SECONDS)),
        )
        .col_expr(
            telegram_update::Column::Attempts,
            Expr::col(telegram_update::Column::Attempts).add(1),
        )
        .filter(telegram_update::Column::UpdateId.eq(update_id))
        .filter(telegram_update::Column::Status.eq("pending"))
        .filter(
            telegram_update::Column::LockedUntil
                .is_null()
                .or(telegram_update::Column::LockedUntil.lt(now)),
        )
        .exec(db)
        .await?;
    if leased.rows_affected != 1 {
        return Ok(None);
    }
    Ok(telegram_update::Entity::find_by_id(update_id)
        .one(db)
        .await?
        .map(|u| LeasedUpdate {
            update_id: u.update_id,
            payload: u.payload,
            attempts: u.attempts,
        }))
}

/// What handling an update changes in its chat.
#[derive(Debug, Clone, Default)]
pub struct ChatChange {
    /// The chat, if the update came from one.
    pub chat_id: Option<i64>,
    /// The dialogue state to keep (JSON), `None` for idle.
    pub state: Option<String>,
    /// The language the chat chose, kept for chats with no merchant yet.
    pub locale: Option<Locale>,
    /// Replies to queue, in order.
    pub replies: Vec<Message>,
}

/// Marks a leased update handled, saves its chat's state and queues its replies, all in one
/// transaction. Returns false (and changes nothing) if the update was handled meanwhile —
/// by an instance that took it over after this one's lease ran out.
pub async fn finish_update(
    db: &DatabaseConnection,
    update_id: i64,
    change: ChatChange,
    now: DateTime<Utc>,
) -> Result<bool, ServiceError> {
    let txn = db::begin_write(db).await?;
    let marked = telegram_update::Entity::update_many()
        .col_expr(telegram_update::Column::Status, Expr::val("handled"))
        .col_expr(telegram_update::Column::HandledAt, Expr::val(now))
        .col_expr(
            telegram_update::Column::LockedUntil,
            Expr::val(Option::<DateTime<Utc>>::None),
        )
        .col_expr(telegram_update::Column::LastError, Expr::val(Option::<String>::None))
        .filter(telegram_update::Column::UpdateId.eq(update_id))
        .filter(telegram_update::Column::Status.eq("pending"))
        .exec(&txn)
        .await?;
    if marked.rows_affected != 1 {
        txn.rollback().await?;
        return Ok(false);
    }
    if let Some(chat_id) = change.chat_id {
        ensure_chat(&txn, chat_id, now).await?;
        let mut update = bot_chat::Entity::update_many()
            .col_expr(bot_chat::Column::State, Expr::val(change.state))
            .col_expr(bot_chat::Column::UpdatedAt, Expr::val(now))
            .filter(bot_chat::Column::ChatId.eq(chat_id));
        if let Some(locale) = change.locale {
            update = update.col_expr(bot_chat::Column::Locale, Expr::val(StoredLocale(locale)));
        }
        update.exec(&txn).await?;
    }
    for reply in change.replies {
        enqueue(&txn, reply, now).await?;
    }
    txn.commit().await?;
    Ok(true)
}

/// Records a failed attempt at an update. It is retried after a growing pause, and given
/// up as `failed` after [`MAX_ATTEMPTS`]; returns true when it was given up.
pub async fn fail_update(
    db: &DatabaseConnection,
    update: &LeasedUpdate,
    error: &str,
    now: DateTime<Utc>,
) -> Result<bool, sea_orm::DbErr> {
    let give_up = update.attempts >= MAX_ATTEMPTS;
    // The lease column doubles as "not before": the next attempt waits 2, 4, 8… seconds.
    let pause = Duration::seconds(1 << update.attempts.clamp(1, 8));
    telegram_update::Entity::update_many()
        .col_expr(
            telegram_update::Column::Status,
            Expr::val(if give_up { "failed" } else { "pending" }),
        )
        .col_expr(telegram_update::Column::LockedUntil, Expr::val(now + pause))
        .col_expr(
            telegram_update::Column::LastError,
            Expr::val(error.chars().take(500).collect::<String>()),
        )
        .filter(telegram_update::Column::UpdateId.eq(update.update_id))
        .filter(telegram_update::Column::Status.eq("pending"))
        .exec(db)
        .await?;
    Ok(give_up)
}

/// What a chat remembers between updates.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChatMemory {
    /// The language it chose before a merchant was linked, if it did.
    pub locale: Option<Locale>,
    /// The dialogue state it waits in (JSON), `None` for idle.
    pub state: Option<String>,
}

/// What chat `chat_id` remembers; nothing for a chat never seen.
pub async fn chat(db: &DatabaseConnection, chat_id: i64) -> Result<ChatMemory, sea_orm::DbErr> {
    Ok(bot_chat::Entity::find_by_id(chat_id)
        .one(db)
        .await?
        .map(|c| ChatMemory {
            locale: c.locale.map(Locale::from),
            state: c.state,
        })
        .unwrap_or_default())
}

/// The id of the merchant linked to a chat, if any.
pub async fn merchant_of_chat(db: &DatabaseConnection, chat_id: i64) -> Result<Option<i64>, sea_orm::DbErr> {
    Ok(merchant::Entity::find()
        .filter(merchant::Column::TelegramChatId.eq(chat_id))
        .one(db)
        .await?
        .map(|m| m.id))
}

async fn ensure_chat<C: ConnectionTrait>(conn: &C, chat_id: i64, now: DateTime<Utc>) -> Result<(), sea_orm::DbErr> {
    let row = bot_chat::ActiveModel {
        chat_id: Set(chat_id),
        locale: Set(None),
        state: Set(None),
        failed_codes: Set(0),
        locked_until: Set(None),
        updated_at: Set(now),
    };
    bot_chat::Entity::insert(row)
        .on_conflict(OnConflict::column(bot_chat::Column::ChatId).do_nothing().to_owned())
        .try_insert()
        .exec(conn)
        .await?;
    Ok(())
}

/// What a link code did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkOutcome {
    /// The chat now belongs to this merchant.
    Linked(Box<MerchantSummary>),
    /// No such code, or it was used.
    Wrong,
    /// The code is past its 24 hours.
    Expired,
    /// Too many wrong codes: the chat waits this many minutes.
    LockedOut {
        /// Minutes left, rounded up.
        minutes: i64,
    },
}

/// Redeems a one-time link code for `chat_id`: the chat becomes the merchant's (and no
/// other merchant's), notifications held for want of a chat are released, and the code
/// cannot be used again. Five wrong codes in a row lock the chat out for an hour.
pub async fn redeem_link_code(
    db: &DatabaseConnection,
    secret: &Secret,
    chat_id: i64,
    typed: &str,
    now: DateTime<Utc>,
) -> Result<LinkOutcome, ServiceError> {
    let txn = db::begin_write(db).await?;
    ensure_chat(&txn, chat_id, now).await?;
    let chat = bot_chat::Entity::find_by_id(chat_id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(ServiceError::Internal("the chat row vanished".into()))?;
    if let Some(until) = chat.locked_until.filter(|u| *u > now) {
        txn.commit().await?;
        return Ok(LinkOutcome::LockedOut {
            minutes: minutes_until(now, until),
        });
    }
    let code = match normalize_code(typed) {
        Some(c) => {
            merchant_link_code::Entity::find()
                .filter(merchant_link_code::Column::CodeDigest.eq(super::merchants::link_code_digest(secret, &c)))
                .one(&txn)
                .await?
        }
        None => None,
    };
    let refusal = match code {
        None => LinkOutcome::Wrong,
        Some(c) if c.used_at.is_some() => LinkOutcome::Wrong,
        Some(c) if c.expires_at <= now => LinkOutcome::Expired,
        Some(c) => {
            let used = merchant_link_code::Entity::update_many()
                .col_expr(merchant_link_code::Column::UsedAt, Expr::val(now))
                .filter(merchant_link_code::Column::Id.eq(c.id))
                .filter(merchant_link_code::Column::UsedAt.is_null())
                .exec(&txn)
                .await?;
            if used.rows_affected == 1 {
                let linked = link(&txn, chat_id, c.merchant_id, now).await?;
                txn.commit().await?;
                return Ok(LinkOutcome::Linked(Box::new(linked.try_into()?)));
            }
            LinkOutcome::Wrong
        }
    };
    let failures = chat.failed_codes + 1;
    let locked = failures >= LOCKOUT_AFTER;
    bot_chat::Entity::update_many()
        .col_expr(
            bot_chat::Column::FailedCodes,
            Expr::val(if locked { 0 } else { failures }),
        )
        .col_expr(
            bot_chat::Column::LockedUntil,
            Expr::val(locked.then(|| now + Duration::minutes(LOCKOUT_MINUTES))),
        )
        .col_expr(bot_chat::Column::UpdatedAt, Expr::val(now))
        .filter(bot_chat::Column::ChatId.eq(chat_id))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        now,
        Entry::denied(Actor::Anonymous, "merchant.telegram_link").detail(serde_json::json!({ "locked_out": locked })),
    )
    .await?;
    txn.commit().await?;
    if locked {
        tracing::warn!(target: "security", "a Telegram chat sent {LOCKOUT_AFTER} wrong link codes in a row and is locked out");
        return Ok(LinkOutcome::LockedOut {
            minutes: LOCKOUT_MINUTES,
        });
    }
    Ok(refusal)
}

async fn link<C: ConnectionTrait>(
    txn: &C,
    chat_id: i64,
    merchant_id: i64,
    now: DateTime<Utc>,
) -> Result<merchant::Model, ServiceError> {
    // A chat belongs to one merchant at most: a chat that moves to another shop leaves the first.
    merchant::Entity::update_many()
        .col_expr(merchant::Column::TelegramChatId, Expr::val(Option::<i64>::None))
        .col_expr(merchant::Column::UpdatedAt, Expr::val(now))
        .filter(merchant::Column::TelegramChatId.eq(chat_id))
        .filter(merchant::Column::Id.ne(merchant_id))
        .exec(txn)
        .await?;
    merchant::Entity::update_many()
        .col_expr(merchant::Column::TelegramChatId, Expr::val(chat_id))
        .col_expr(merchant::Column::UpdatedAt, Expr::val(now))
        .filter(merchant::Column::Id.eq(merchant_id))
        .exec(txn)
        .await?;
    bot_chat::Entity::update_many()
        .col_expr(bot_chat::Column::FailedCodes, Expr::val(0))
        .col_expr(bot_chat::Column::LockedUntil, Expr::val(Option::<DateTime<Utc>>::None))
        .col_expr(bot_chat::Column::UpdatedAt, Expr::val(now))
        .filter(bot_chat::Column::ChatId.eq(chat_id))
        .exec(txn)
        .await?;
    // Notifications that waited for a chat go out now; their time is kept, so an alert
    // meant for the end of quiet hours still waits for it.
    outbox::Entity::update_many()
        .col_expr(outbox::Column::Status, Expr::val(OutboxStatus::Pending))
        .filter(outbox::Column::Channel.eq(Channel::Telegram))
        .filter(outbox::Column::MerchantId.eq(merchant_id))
        .filter(outbox::Column::Status.eq(OutboxStatus::Held))
        .exec(txn)
        .await?;
    audit::record(
        txn,
        now,
        Entry::ok(Actor::Merchant(merchant_id), "merchant.telegram_link").subject("merchant", merchant_id),
    )
    .await?;
    merchant::Entity::find_by_id(merchant_id)
        .one(txn)
        .await?
        .ok_or(ServiceError::NotFound("merchant"))
}

fn minutes_until(now: DateTime<Utc>, until: DateTime<Utc>) -> i64 {
    let seconds = std::cmp::max((until - now).num_seconds(), 0);
    (seconds + 59) / 60
}

/// Where a merchant's Telegram messages go: its linked chat (none yet: they wait) and its
/// language now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MerchantChat {
    /// The linked chat, if the merchant linked one.
    pub chat_id: Option<i64>,
    /// The merchant's language.
    pub locale: Locale,
}

/// The chat and language of merchant `merchant_id`; `None` if there is no such merchant.
pub async fn merchant_chat(db: &DatabaseConnection, merchant_id: i64) -> Result<Option<MerchantChat>, sea_orm::DbErr> {
    Ok(merchant::Entity::find_by_id(merchant_id)
        .one(db)
        .await?
        .map(|m| MerchantChat {
            chat_id: m.telegram_chat_id,
            locale: m.locale.0,
        }))
}

/// Parks outbox row `outbox_id` until its merchant links a chat (linking releases it).
/// Linking releases the held rows, so a row held just after a link would wait for the
/// next one: the merchant's row is locked and read again in the writing transaction, and a
/// merchant linked meanwhile gets the row back (unleased) at the next round instead.
pub async fn hold_until_linked(
    db: &DatabaseConnection,
    outbox_id: i64,
    merchant_id: Option<i64>,
) -> Result<(), sea_orm::DbErr> {
    let txn = db::begin_write(db).await?;
    let linked = match merchant_id {
        Some(id) => merchant::Entity::find_by_id(id)
            .lock_exclusive()
            .one(&txn)
            .await?
            .is_some_and(|m| m.telegram_chat_id.is_some()),
        None => false,
    };
    let update = outbox::Entity::update_many()
        .col_expr(outbox::Column::LockedUntil, Expr::val(Option::<DateTime<Utc>>::None))
        .filter(outbox::Column::Id.eq(outbox_id));
    let update = if linked {
        update
    } else {
        update
            .col_expr(outbox::Column::Status, Expr::val(OutboxStatus::Held))
            .col_expr(outbox::Column::LastError, Expr::val("no linked chat yet"))
    };
    update.exec(&txn).await?;
    txn.commit().await
}
