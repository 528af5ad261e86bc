//! Recording what happened to a send: sent (the moment the server accepts it), retried
//! later with backoff and jitter, held, or dead.

use chrono::{DateTime, Utc};
use rand::Rng;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use super::super::admission::retry_delay;
use super::super::{Outgoing, SendError, mask_email};
use super::{Dispatcher, Report};
use crate::db;
use crate::domain::{Channel, OutboxStatus};
use crate::entities::outbox;
use crate::services::contacts;
use crate::services::outbox::Notification;

impl Dispatcher {
    pub(super) async fn bury<C: ConnectionTrait>(&self, conn: &C, ids: &[i64], reason: &str) -> Result<(), DbErr> {
        outbox::Entity::update_many()
            .col_expr(outbox::Column::Status, Expr::val(OutboxStatus::Dead))
            .col_expr(outbox::Column::LastError, Expr::val(reason))
            .col_expr(outbox::Column::LockedUntil, Expr::val(Option::<DateTime<Utc>>::None))
            .col_expr(outbox::Column::SendStartedAt, Expr::val(Option::<DateTime<Utc>>::None))
            .filter(outbox::Column::Id.is_in(ids.iter().copied()))
            .exec(conn)
            .await?;
        // The rows a dead digest carried die with it.
        outbox::Entity::update_many()
            .col_expr(outbox::Column::Status, Expr::val(OutboxStatus::Dead))
            .col_expr(outbox::Column::LastError, Expr::val(reason))
            .filter(outbox::Column::DigestId.is_in(ids.iter().copied()))
            .filter(outbox::Column::Status.eq(OutboxStatus::Held))
            .exec(conn)
            .await?;
        Ok(())
    }

    /// Records one delivered message, and the rows a digest carried, in one transaction.
    pub(super) async fn mark_sent(&self, item: &Outgoing, now: DateTime<Utc>) -> Result<(), DbErr> {
        let txn = db::begin_write(&self.db).await?;
        outbox::Entity::update_many()
            .col_expr(outbox::Column::Status, Expr::val(OutboxStatus::Sent))
            .col_expr(outbox::Column::SentAt, Expr::val(now))
            .col_expr(outbox::Column::LockedUntil, Expr::val(Option::<DateTime<Utc>>::None))
            .col_expr(outbox::Column::SendStartedAt, Expr::val(Option::<DateTime<Utc>>::None))
            .col_expr(outbox::Column::LastError, Expr::val(Option::<String>::None))
            .filter(outbox::Column::Id.eq(item.id))
            .exec(&txn)
            .await?;
        if matches!(item.notification, Notification::Digest(_)) {
            outbox::Entity::update_many()
                .col_expr(outbox::Column::Status, Expr::val(OutboxStatus::Sent))
                .col_expr(outbox::Column::SentAt, Expr::val(now))
                .filter(outbox::Column::DigestId.eq(item.id))
                .filter(outbox::Column::Status.eq(OutboxStatus::Held))
                .exec(&txn)
                .await?;
        }
        txn.commit().await
    }

    pub(super) async fn settle(
        &self,
        item: &Outgoing,
        channel: Channel,
        result: Option<Result<(), SendError>>,
        now: DateTime<Utc>,
        report: &mut Report,
    ) -> Result<(), DbErr> {
        let to = mask_email(&item.recipient);
        let no_lock = Option::<DateTime<Utc>>::None;
        match result {
            Some(Ok(())) => {} // recorded by `mark_sent` right after the send
            None => {
                // Not started because of shutdown: give the lease and the try back.
                outbox::Entity::update_many()
                    .col_expr(outbox::Column::LockedUntil, Expr::val(no_lock))
                    .col_expr(outbox::Column::Attempts, Expr::col(outbox::Column::Attempts).sub(1))
                    .filter(outbox::Column::Id.eq(item.id))
                    .exec(&self.db)
                    .await?;
            }
            Some(Err(SendError::Temporary(why))) => {
                let attempts = outbox::Entity::find_by_id(item.id)
                    .one(&self.db)
                    .await?
                    .map_or(self.settings.max_attempts, |r| r.attempts);
                if attempts >= self.settings.max_attempts {
                    tracing::warn!(outbox.id = item.id, kind = item.notification.kind(), to = %to, attempts, error = %why, "message given up after its last try");
                    self.bury(&self.db, &[item.id], &format!("gave up after {attempts} tries: {why}"))
                        .await?;
                    report.dead += 1;
                    self.count(channel, "dead", 1);
                } else {
                    let delay = retry_delay(attempts, rand::rng().random::<f64>());
                    tracing::info!(outbox.id = item.id, kind = item.notification.kind(), to = %to, attempts, retry_in_s = delay.num_seconds(), error = %why, "send failed; will retry");
                    outbox::Entity::update_many()
                        .col_expr(outbox::Column::Status, Expr::val(OutboxStatus::Failed))
                        .col_expr(outbox::Column::NextAttemptAt, Expr::val(now + delay))
                        .col_expr(outbox::Column::LockedUntil, Expr::val(no_lock))
                        .col_expr(outbox::Column::SendStartedAt, Expr::val(no_lock))
                        .col_expr(outbox::Column::LastError, Expr::val(why))
                        .filter(outbox::Column::Id.eq(item.id))
                        .exec(&self.db)
                        .await?;
                    report.retried += 1;
                    self.count(channel, "retry", 1);
                }
            }
            Some(Err(SendError::Rejected(why))) => {
                tracing::warn!(outbox.id = item.id, kind = item.notification.kind(), to = %to, error = %why, "recipient refused for good");
                match item.contact_id {
                    Some(contact_id) => {
                        // The digest's rows are held rows of the contact: they are dropped too.
                        contacts::mark_undeliverable(&self.db, contact_id, item.id, &why, now)
                            .await
                            .map_err(|e| match e {
                                crate::services::ServiceError::Db(e) => e,
                                other => DbErr::Custom(other.to_string()),
                            })?;
                    }
                    None => self.bury(&self.db, &[item.id], &why).await?,
                }
                report.dead += 1;
                self.count(channel, "dead", 1);
            }
            Some(Err(SendError::Held(why))) => {
                // Parked by its sender until the recipient can take it: not a try.
                tracing::info!(outbox.id = item.id, kind = item.notification.kind(), reason = %why, "message held");
                outbox::Entity::update_many()
                    .col_expr(outbox::Column::Attempts, Expr::col(outbox::Column::Attempts).sub(1))
                    .filter(outbox::Column::Id.eq(item.id))
                    .exec(&self.db)
                    .await?;
                report.held += 1;
                self.count(channel, "held", 1);
            }
            Some(Err(SendError::Suppressed)) => {
                tracing::info!(
                    outbox.id = item.id,
                    kind = item.notification.kind(),
                    "message dropped: the contact can no longer receive it"
                );
                report.dead += 1;
                self.count(channel, "suppressed", 1);
            }
            Some(Err(SendError::Failed(why))) => {
                tracing::warn!(outbox.id = item.id, kind = item.notification.kind(), to = %to, error = %why, "message cannot be sent");
                self.bury(&self.db, &[item.id], &why).await?;
                report.dead += 1;
                self.count(channel, "dead", 1);
            }
        }
        Ok(())
    }
}
