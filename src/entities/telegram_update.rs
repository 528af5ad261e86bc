//! The `telegram_updates` table: Telegram updates received, kept so each is handled exactly once.

use sea_orm::entity::prelude::*;

/// One row of `telegram_updates`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "telegram_updates")]
pub struct Model {
    /// Telegram's `update_id`; the primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub update_id: i64,
    /// The update as received, JSON text.
    #[sea_orm(column_type = "Text")]
    pub payload: String,
    /// One of `pending`, `handled`, `failed`.
    pub status: String,
    /// Handling attempts so far.
    pub attempts: i32,
    /// When the update was received.
    pub received_at: DateTimeUtc,
    /// When the update was handled, if it was.
    pub handled_at: Option<DateTimeUtc>,
    /// Error of the last failed attempt.
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    /// Until when an instance holds the update to handle it, if one does.
    pub locked_until: Option<DateTimeUtc>,
}

/// `telegram_updates` has no foreign keys.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
