//! WeChat's pushes, stored before they are acknowledged (the intake of issue 19).
//!
//! As with Telegram updates (`services::telegram`): a message is inserted once, keyed by
//! its dedupe key, so WeChat's redeliveries (it retries an answer slower than 5 seconds,
//! three times in all) are acknowledged without a second row. Rows wait as `pending`, with the
//! same lease columns, for the handler of the next increment, which takes them through the
//! dialogue exactly once.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{DatabaseConnection, EntityTrait, Set};

use crate::entities::wechat_inbox;

/// One push as the adapter read it, ready to be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Push<'a> {
    /// `msg:<MsgId>`, or `at:<openid>:<CreateTime>` for what has no `MsgId`.
    pub dedupe_key: &'a str,
    /// The sender's openid.
    pub open_id: &'a str,
    /// `text`, `event`, or WeChat's other `MsgType`.
    pub kind: &'a str,
    /// The message as read, JSON.
    pub payload: &'a str,
}

/// Stores a push as received, unless one with its key is stored already. Returns true when
/// it was new, false for a redelivery.
pub async fn store_push(db: &DatabaseConnection, push: &Push<'_>, now: DateTime<Utc>) -> Result<bool, sea_orm::DbErr> {
    let row = wechat_inbox::ActiveModel {
        dedupe_key: Set(push.dedupe_key.to_owned()),
        open_id: Set(push.open_id.to_owned()),
        kind: Set(push.kind.to_owned()),
        payload: Set(push.payload.to_owned()),
        status: Set("pending".to_owned()),
        attempts: Set(0),
        received_at: Set(now),
        handled_at: Set(None),
        last_error: Set(None),
        locked_until: Set(None),
        ..Default::default()
    };
    let result = wechat_inbox::Entity::insert(row)
        .on_conflict(
            OnConflict::column(wechat_inbox::Column::DedupeKey)
                .do_nothing()
                .to_owned(),
        )
        .try_insert()
        .exec(db)
        .await?;
    Ok(matches!(result, sea_orm::TryInsertResult::Inserted(_)))
}
