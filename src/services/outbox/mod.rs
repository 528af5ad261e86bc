//! Writing notifications: one row per message, in the caller's transaction, with a unique
//! dedupe key so that a retried request never queues the same message twice.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, Set};

use crate::crypto;
pub use crate::domain::Channel;
use crate::domain::{Locale, OutboxStatus};
use crate::entities::outbox;
use crate::entities::values::StoredLocale;

mod notification;

pub use notification::{
    ApplicationNotice, ApplicationOutcome, BotReply, ClaimFacts, ClaimLapsed, ClaimNotice, Coordinate, DecodeError,
    DeliveryToConfirm, Digest, DigestItem, DropOff, EventFacts, EventInvite, EventRoleLine, EventSignupNotice,
    HoursConfirmed, NearDeadline, NeedAlert, NeedClaimed, NeedDelivered, NeedDigest, NeedEnded, NeedRegistered,
    NeedSponsored, Notification, ReferralNotice, SponsorOffer, SponsorshipEnded,
};

/// One message to queue, in the form it is stored (services build it from a
/// [`Notification`] through [`Message::new`]).
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

impl Message {
    /// `notification` to `recipient` over `channel`.
    pub fn new(
        channel: Channel,
        recipient: String,
        locale: Locale,
        notification: &Notification,
        dedupe_key: String,
    ) -> Self {
        Self {
            channel,
            recipient,
            contact_id: None,
            merchant_id: None,
            kind: notification.kind(),
            locale,
            payload: notification.payload(),
            dedupe_key,
        }
    }
}

/// Queues `message` unless one with the same dedupe key exists. Returns true if queued.
pub async fn enqueue<C: ConnectionTrait>(conn: &C, message: Message, now: DateTime<Utc>) -> Result<bool, DbErr> {
    enqueue_at(conn, message, now, now).await
}

/// Queues `message` to an applicant (an organization or a shop that applied, no party of a
/// subdistrict yet), shown in the outbox of the office of `subdistrict_id`, which reviews the
/// application, unless one with the same dedupe key exists. Returns true if queued.
pub async fn enqueue_to_applicant<C: ConnectionTrait>(
    conn: &C,
    message: Message,
    subdistrict_id: i64,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let mut row = row(message, now, now, None);
    row.subdistrict_id = Set(Some(subdistrict_id));
    insert(conn, row).await
}

/// Moves the messages of one application (dedupe keys starting `key_prefix`, e.g.
/// `application:7:`) to the outbox of subdistrict `subdistrict_id`, when the applicant
/// resubmits it to another subdistrict's community: the office that now reviews it sees them.
pub async fn move_applicant_messages<C: ConnectionTrait>(
    conn: &C,
    key_prefix: &str,
    subdistrict_id: i64,
) -> Result<(), DbErr> {
    use sea_orm::sea_query::Expr;
    use sea_orm::{ColumnTrait, QueryFilter};
    outbox::Entity::update_many()
        .col_expr(outbox::Column::SubdistrictId, Expr::val(subdistrict_id))
        .filter(outbox::Column::DedupeKey.like(format!("{key_prefix}%")))
        .filter(outbox::Column::SubdistrictId.is_not_null())
        .exec(conn)
        .await?;
    Ok(())
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
    insert(conn, row(message, now, not_before, None)).await
}

async fn insert<C: ConnectionTrait>(conn: &C, row: outbox::ActiveModel) -> Result<bool, DbErr> {
    let result = outbox::Entity::insert(row)
        .on_conflict(skip_duplicates())
        .try_insert()
        .exec(conn)
        .await?;
    Ok(matches!(result, sea_orm::TryInsertResult::Inserted(_)))
}

/// How a message written by [`enqueue_all`] reaches its recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// The senders deliver it.
    Send,
    /// The caller shows it itself (the bot's reply to the tap that caused it); it is kept
    /// as sent so the record is complete and no sender delivers it a second time.
    ShownInReply,
}

/// Writes several messages in one statement, each unless one with its dedupe key exists.
pub async fn enqueue_all<C: ConnectionTrait>(
    conn: &C,
    messages: Vec<(Message, Delivery)>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    if messages.is_empty() {
        return Ok(());
    }
    let rows = messages.into_iter().map(|(message, delivery)| {
        let shown = (delivery == Delivery::ShownInReply).then_some(now);
        row(message, now, now, shown)
    });
    outbox::Entity::insert_many(rows)
        .on_conflict(skip_duplicates())
        .try_insert()
        .exec(conn)
        .await?;
    Ok(())
}

/// A queued row; `shown_at` records a message the caller delivered itself.
fn row(
    message: Message,
    now: DateTime<Utc>,
    not_before: DateTime<Utc>,
    shown_at: Option<DateTime<Utc>>,
) -> outbox::ActiveModel {
    // Fixed here and reused on every retry, so a resend is recognisable as the same message.
    // `@charity-relay` is a placeholder: the email sender sends the unique part under the
    // sender's own domain (see `EmailSender::wire_message_id`).
    let message_id = format!(
        "<{}.{}@charity-relay>",
        now.timestamp_millis(),
        crypto::random_token(12)
    );
    outbox::ActiveModel {
        channel: Set(message.channel),
        recipient: Set(message.recipient),
        contact_id: Set(message.contact_id),
        merchant_id: Set(message.merchant_id),
        subdistrict_id: Set(None),
        kind: Set(message.kind.to_owned()),
        locale: Set(StoredLocale(message.locale)),
        payload: Set(message.payload.to_string()),
        dedupe_key: Set(message.dedupe_key),
        message_id: Set(message_id),
        status: Set(if shown_at.is_some() {
            OutboxStatus::Sent
        } else {
            OutboxStatus::Pending
        }),
        attempts: Set(0),
        next_attempt_at: Set(not_before.max(now)),
        locked_until: Set(None),
        last_error: Set(shown_at.map(|_| SHOWN_IN_REPLY.to_owned())),
        created_at: Set(now),
        sent_at: Set(shown_at),
        ..Default::default()
    }
}

/// The note kept on a message the bot showed in its reply instead of sending it.
pub const SHOWN_IN_REPLY: &str = "shown in the bot's reply";

fn skip_duplicates() -> OnConflict {
    OnConflict::column(outbox::Column::DedupeKey).do_nothing().to_owned()
}
