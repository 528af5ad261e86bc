//! The `wechat_inbox` table: WeChat messages and events received, kept so each is handled once.

use sea_orm::entity::prelude::*;

/// One row of `wechat_inbox`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "wechat_inbox")]
pub struct Model {
    /// The row's id.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// `msg:<MsgId>` or `at:<openid>:<CreateTime>`; unique.
    pub dedupe_key: String,
    /// The sender's openid.
    pub open_id: String,
    /// `text`, `event`, or WeChat's other `MsgType`.
    pub kind: String,
    /// The message as read, JSON.
    #[sea_orm(column_type = "Text")]
    pub payload: String,
    /// One of `pending`, `handled`, `failed`.
    pub status: String,
    /// Handling attempts so far.
    pub attempts: i32,
    /// When the message was received.
    pub received_at: DateTimeUtc,
    /// When it was handled, if it was.
    pub handled_at: Option<DateTimeUtc>,
    /// Error of the last failed attempt.
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    /// Until when an instance holds it to handle it, if one does.
    pub locked_until: Option<DateTimeUtc>,
}

/// `wechat_inbox` has no foreign keys.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
