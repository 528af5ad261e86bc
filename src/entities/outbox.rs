//! The `outbox` table: email and Telegram messages waiting to be sent, with retry state.

use sea_orm::entity::prelude::*;

use super::values::StoredLocale;
use crate::domain::{Channel, HoldReason, OutboxStatus};

/// One row of `outbox`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// How the message travels.
    pub channel: Channel,
    /// Email address or Telegram chat id the message goes to.
    pub recipient: String,
    /// The contact the message is for, if an email to a contact.
    pub contact_id: Option<i64>,
    /// The merchant the message is for, if a Telegram message to a merchant.
    pub merchant_id: Option<i64>,
    /// Kind of message (template name).
    pub kind: String,
    /// Locale the message is rendered in.
    pub locale: StoredLocale,
    /// Template data as JSON text.
    #[sea_orm(column_type = "Text")]
    pub payload: String,
    /// Key that keeps the same message from being queued twice, unique.
    #[sea_orm(unique)]
    pub dedupe_key: String,
    /// Message id used for the sent message.
    pub message_id: String,
    /// Where the message stands.
    pub status: OutboxStatus,
    /// Send attempts so far.
    pub attempts: i32,
    /// When the next attempt is due.
    pub next_attempt_at: DateTimeUtc,
    /// Until when a worker holds the row, if one does.
    pub locked_until: Option<DateTimeUtc>,
    /// Error of the last failed attempt.
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    /// When the row was created.
    pub created_at: DateTimeUtc,
    /// When the message was sent.
    pub sent_at: Option<DateTimeUtc>,
    /// Why a `held` row waits.
    pub hold_reason: Option<HoldReason>,
    /// The digest row that carries this one, once gathered.
    pub digest_id: Option<i64>,
    /// When the row was admitted against its contact's hourly limit.
    pub counted_at: Option<DateTimeUtc>,
    /// When a dispatcher's send-time check handed the message to its sender; cleared when
    /// the outcome is recorded. A resident's message is sent only after this claim, which
    /// re-checks the contact in the same statement.
    pub send_started_at: Option<DateTimeUtc>,
    /// The subdistrict whose office reviews the application a message is about (an
    /// applicant is no party of a subdistrict yet); `None` for every other message.
    pub subdistrict_id: Option<i64>,
}

/// Foreign keys of `outbox`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// `contact_id` → `contacts.id`.
    #[sea_orm(
        belongs_to = "super::contact::Entity",
        from = "Column::ContactId",
        to = "super::contact::Column::Id",
        on_delete = "Restrict"
    )]
    Contact,
    /// `merchant_id` → `merchants.id`.
    #[sea_orm(
        belongs_to = "super::merchant::Entity",
        from = "Column::MerchantId",
        to = "super::merchant::Column::Id",
        on_delete = "Restrict"
    )]
    Merchant,
}

impl Related<super::contact::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Contact.def()
    }
}

impl Related<super::merchant::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Merchant.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
