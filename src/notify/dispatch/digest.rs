//! Digests: a contact whose notifications were held by the hourly limit gets them in one
//! email once its rolling hour has room again.

use crate::domain::{HoldReason, OutboxStatus};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter, QuerySelect};

use super::Dispatcher;
use super::holds::{rate_held, sent_in_window};
use crate::db;
use crate::entities::{contact, outbox};
use crate::services::contacts::lock_contact;
use crate::services::outbox::{Channel, Digest, DigestItem, Message, Notification, enqueue};

impl Dispatcher {
    /// Makes the digest rows of contacts whose rolling hour has room again.
    pub(super) async fn gather_digests(&self, now: DateTime<Utc>) -> Result<u64, DbErr> {
        let waiting: Vec<i64> = outbox::Entity::find()
            .select_only()
            .column(outbox::Column::ContactId)
            .distinct()
            .filter(outbox::Column::Status.eq(OutboxStatus::Held))
            .filter(outbox::Column::HoldReason.eq(HoldReason::Rate))
            .filter(outbox::Column::ContactId.is_not_null())
            .limit(100)
            .into_tuple::<Option<i64>>()
            .all(&self.db)
            .await?
            .into_iter()
            .flatten()
            .collect();
        let mut made = 0;
        for contact_id in waiting {
            let txn = db::begin_write(&self.db).await?;
            lock_contact(&txn, contact_id).await?;
            let limit = u64::from(self.settings.hourly_limit);
            if limit > 0 && sent_in_window(&txn, contact_id, now).await? >= limit {
                // Rolled back here, not on drop: on SQLite the next writer waits for it.
                txn.rollback().await?;
                continue; // the hour is not up yet
            }
            let rows = rate_held(&txn, contact_id).await?;
            let (Some(first), Some(c)) = (rows.first(), contact::Entity::find_by_id(contact_id).one(&txn).await?)
            else {
                txn.rollback().await?;
                continue;
            };
            let items: Vec<DigestItem> = rows
                .iter()
                .map(|r| DigestItem {
                    kind: r.kind.clone(),
                    payload: serde_json::from_str(&r.payload).unwrap_or(serde_json::Value::Null),
                })
                .collect();
            let dedupe_key = format!("contact:{contact_id}:digest:{}", first.id);
            let message = Message {
                contact_id: Some(contact_id),
                ..Message::new(
                    Channel::Email,
                    c.email.clone(),
                    c.locale.0,
                    &Notification::Digest(Digest { items }),
                    dedupe_key.clone(),
                )
            };
            if !enqueue(&txn, message, now).await? {
                txn.rollback().await?;
                continue; // another dispatcher made it
            }
            let Some(digest) = outbox::Entity::find()
                .filter(outbox::Column::DedupeKey.eq(dedupe_key))
                .one(&txn)
                .await?
            else {
                txn.rollback().await?;
                continue;
            };
            // The digest takes its slot in the hour now, so nothing overtakes it.
            outbox::Entity::update_many()
                .col_expr(outbox::Column::CountedAt, Expr::val(now))
                .filter(outbox::Column::Id.eq(digest.id))
                .exec(&txn)
                .await?;
            outbox::Entity::update_many()
                .col_expr(outbox::Column::HoldReason, Expr::val(HoldReason::Digest))
                .col_expr(outbox::Column::DigestId, Expr::val(digest.id))
                .filter(outbox::Column::Id.is_in(rows.iter().map(|r| r.id)))
                .exec(&txn)
                .await?;
            txn.commit().await?;
            made += 1;
        }
        Ok(made)
    }
}
