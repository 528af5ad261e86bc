//! Writing notifications: one row per message, in the caller's transaction, with a unique
//! dedupe key so that a retried request never queues the same message twice.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, Set};

use crate::crypto;
use crate::domain::Locale;
use crate::entities::outbox;

/// How a message travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// Email to a resident's contact or a staff member.
    Email,
    /// Telegram to a merchant's linked chat.
    Telegram,
}

impl Channel {
    fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Telegram => "telegram",
        }
    }
}

/// One message to queue.
#[derive(Debug, Clone)]
pub struct Message {
    /// Email or Telegram.
    pub channel: Channel,
    /// An email address, or the merchant id for Telegram (its chat is looked up when sent,
    /// so a chat linked later still gets it).
    pub recipient: String,
    /// The resident contact, for consent and rate limits.
    pub contact_id: Option<i64>,
    /// The merchant, for Telegram.
    pub merchant_id: Option<i64>,
    /// The template, e.g. `resident-need-claimed`.
    pub kind: &'static str,
    /// The recipient's language.
    pub locale: Locale,
    /// The template's values; only public facts, never a beneficiary's personal data.
    pub payload: serde_json::Value,
    /// Unique per message, e.g. `claim:42:resident-claimed`.
    pub dedupe_key: String,
}

/// Queues `message` unless one with the same dedupe key exists. Returns true if queued.
pub async fn enqueue<C: ConnectionTrait>(conn: &C, message: Message, now: DateTime<Utc>) -> Result<bool, DbErr> {
    enqueue_at(conn, message, now, now).await
}

/// Queues `message` to be sent no earlier than `not_before` (senders take only rows whose
/// `next_attempt_at` has come), unless one with the same dedupe key exists. Returns true
/// if queued.
pub async fn enqueue_at<C: ConnectionTrait>(
    conn: &C,
    message: Message,
    now: DateTime<Utc>,
    not_before: DateTime<Utc>,
) -> Result<bool, DbErr> {
    // Fixed here and reused on every retry, so a resend is recognisable as the same message.
    let message_id = format!(
        "<{}.{}@charity-relay>",
        now.timestamp_millis(),
        crypto::random_token(12)
    );
    let row = outbox::ActiveModel {
        channel: Set(message.channel.as_str().to_owned()),
        recipient: Set(message.recipient),
        contact_id: Set(message.contact_id),
        merchant_id: Set(message.merchant_id),
        kind: Set(message.kind.to_owned()),
        locale: Set(message.locale.as_str().to_owned()),
        payload: Set(message.payload.to_string()),
        dedupe_key: Set(message.dedupe_key),
        message_id: Set(message_id),
        status: Set("pending".to_owned()),
        attempts: Set(0),
        next_attempt_at: Set(not_before.max(now)),
        locked_until: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        sent_at: Set(None),
        ..Default::default()
    };
    let result = outbox::Entity::insert(row)
        .on_conflict(OnConflict::column(outbox::Column::DedupeKey).do_nothing().to_owned())
        .try_insert()
        .exec(conn)
        .await?;
    Ok(matches!(result, sea_orm::TryInsertResult::Inserted(_)))
}
