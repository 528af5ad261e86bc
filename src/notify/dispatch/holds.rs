//! A resident's limits: the notifications counted against their rolling hour, the ones
//! held back for a digest, and the send-time check that their contact can still receive
//! mail.

use crate::domain::{HoldReason, OutboxStatus};
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};

use super::super::Outgoing;
use super::Dispatcher;
use crate::db;
use crate::entities::outbox;
use crate::services::contacts::lock_contact;
use crate::services::outbox::Notification;

pub(super) async fn sent_in_window<C: ConnectionTrait>(
    conn: &C,
    contact_id: i64,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    outbox::Entity::find()
        .filter(outbox::Column::ContactId.eq(contact_id))
        .filter(outbox::Column::CountedAt.gt(now - Duration::hours(1)))
        .count(conn)
        .await
}

pub(super) async fn rate_held<C: ConnectionTrait>(conn: &C, contact_id: i64) -> Result<Vec<outbox::Model>, DbErr> {
    outbox::Entity::find()
        .filter(outbox::Column::ContactId.eq(contact_id))
        .filter(outbox::Column::Status.eq(OutboxStatus::Held))
        .filter(outbox::Column::HoldReason.eq(HoldReason::Rate))
        .order_by_asc(outbox::Column::Id)
        .all(conn)
        .await
}

impl Dispatcher {
    /// The send-time check of a resident's message, right before it is handed to its
    /// sender: one conditional update that marks the row started only if it is still
    /// queued and its contact can still receive it (not unsubscribed, not undeliverable,
    /// consent given — or pending, for the confirmation email itself), under the contact's
    /// lock that an unsubscribe takes too. A row that fails the check is dead, never
    /// retried (an unsubscribe has normally killed it already). False: do not send.
    pub(super) async fn start_send(&self, item: &Outgoing, now: DateTime<Utc>) -> Result<bool, DbErr> {
        let Some(contact_id) = item.contact_id else {
            return Ok(true);
        };
        let txn = db::begin_write(&self.db).await?;
        lock_contact(&txn, contact_id).await?;
        let started = txn
            .execute_raw(db::statement(
                &txn,
                &format!(
                    "UPDATE outbox SET send_started_at = ? WHERE id = ? AND status IN ({}) \
                     AND send_started_at IS NULL AND EXISTS (SELECT 1 FROM contacts c WHERE c.id = outbox.contact_id \
                     AND c.undeliverable_at IS NULL AND (c.consent_status = 'confirmed' \
                     OR (c.consent_status = 'pending' AND outbox.kind = ?)))",
                    db::sql_list(OutboxStatus::DUE.map(OutboxStatus::as_str))
                ),
                vec![now.into(), item.id.into(), Notification::CONSENT.into()],
            ))
            .await?
            .rows_affected()
            == 1;
        if !started {
            outbox::Entity::update_many()
                .col_expr(outbox::Column::Status, Expr::val(OutboxStatus::Dead))
                .col_expr(
                    outbox::Column::LastError,
                    Expr::val("contact can no longer receive mail"),
                )
                .col_expr(outbox::Column::LockedUntil, Expr::val(Option::<DateTime<Utc>>::None))
                .filter(outbox::Column::Id.eq(item.id))
                .filter(outbox::Column::Status.is_in(OutboxStatus::DUE))
                .filter(outbox::Column::SendStartedAt.is_null())
                .exec(&txn)
                .await?;
            // The rows a digest carried die with it.
            outbox::Entity::update_many()
                .col_expr(outbox::Column::Status, Expr::val(OutboxStatus::Dead))
                .col_expr(
                    outbox::Column::LastError,
                    Expr::val("contact can no longer receive mail"),
                )
                .filter(outbox::Column::DigestId.eq(item.id))
                .filter(outbox::Column::Status.eq(OutboxStatus::Held))
                .exec(&txn)
                .await?;
        }
        txn.commit().await?;
        Ok(started)
    }
}
