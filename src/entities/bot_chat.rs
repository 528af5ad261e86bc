//! The `bot_chats` table: the Telegram bot's state of one chat.

use sea_orm::entity::prelude::*;

/// One row of `bot_chats`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "bot_chats")]
pub struct Model {
    /// Telegram's chat id; the primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub chat_id: i64,
    /// The language chosen in this chat before a merchant was linked, `zh-CN` or `en`.
    pub locale: Option<super::values::StoredLocale>,
    /// The dialogue state as JSON, if the conversation waits for something.
    #[sea_orm(column_type = "Text", nullable)]
    pub state: Option<String>,
    /// Wrong link codes sent in a row.
    pub failed_codes: i32,
    /// Until when link codes from this chat are refused, if locked out.
    pub locked_until: Option<DateTimeUtc>,
    /// When the row was last changed.
    pub updated_at: DateTimeUtc,
}

/// `bot_chats` has no foreign keys.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
