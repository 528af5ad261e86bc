//! Leasing: in one short transaction, take a batch of due rows (`FOR UPDATE SKIP LOCKED` on
//! PostgreSQL), decide for each what consent and the hourly limit allow, and lease the ones
//! to send by setting `locked_until`.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter, QuerySelect};

use super::super::Outgoing;
use super::super::admission::{Admission, admit};
use super::holds::{rate_held, sent_in_window};
use super::{Dispatcher, Report};
use crate::db;
use crate::domain::{Channel, HoldReason, OutboxStatus};
use crate::entities::{contact, outbox};
use crate::services::applications;
use crate::services::contacts::{self, lock_contact};
use crate::services::outbox::Notification;
use crate::services::recipients;

fn placeholders(n: usize) -> String {
    vec!["?"; n].join(",")
}

/// Rows leased in one round, ready to send.
pub(super) struct Leased {
    pub(super) items: Vec<(Outgoing, Channel)>,
    pub(super) report: Report,
}

impl Dispatcher {
    /// Takes a batch of due rows in one transaction and decides each.
    pub(super) async fn lease(&self, now: DateTime<Utc>, batch_size: u64) -> Result<Leased, DbErr> {
        let mut report = Report::default();
        let channels: Vec<Channel> = self.senders.keys().copied().collect();
        // A read first: an idle dispatcher must not take SQLite's write lock every second.
        let due = outbox::Entity::find()
            .select_only()
            .column(outbox::Column::Id)
            .filter(outbox::Column::Status.is_in(OutboxStatus::DUE))
            .filter(outbox::Column::Channel.is_in(channels.iter().copied()))
            .filter(outbox::Column::NextAttemptAt.lte(now))
            .filter(
                outbox::Column::LockedUntil
                    .is_null()
                    .or(outbox::Column::LockedUntil.lte(now)),
            )
            .into_tuple::<i64>()
            .one(&self.db)
            .await?;
        if due.is_none() {
            return Ok(Leased { items: vec![], report });
        }
        let txn = db::begin_write(&self.db).await?;
        let skip_locked = if db::is_postgres(&self.db) {
            " FOR UPDATE SKIP LOCKED"
        } else {
            ""
        };
        let sql = format!(
            "SELECT * FROM outbox WHERE status IN ({}) AND channel IN ({}) \
             AND next_attempt_at <= ? AND (locked_until IS NULL OR locked_until <= ?) \
             ORDER BY next_attempt_at, id LIMIT {}{skip_locked}",
            db::sql_list(OutboxStatus::DUE.map(OutboxStatus::as_str)),
            placeholders(channels.len()),
            batch_size
        );
        let mut values: Vec<sea_orm::Value> = channels.iter().map(|c| (*c).into()).collect();
        values.push(now.into());
        values.push(now.into());
        let rows = outbox::Entity::find()
            .from_raw_sql(db::statement(&txn, &sql, values))
            .all(&txn)
            .await?;
        report.leased = rows.len() as u64;

        // Contacts in ascending order, so that two dispatchers never wait on each other.
        let mut contact_ids: Vec<i64> = rows.iter().filter_map(|r| r.contact_id).collect();
        contact_ids.sort_unstable();
        contact_ids.dedup();
        let mut contacts = HashMap::new();
        let mut windows = HashMap::new();
        let mut waiting = HashSet::new();
        for &id in &contact_ids {
            lock_contact(&txn, id).await?;
            if let Some(c) = contact::Entity::find_by_id(id).one(&txn).await? {
                contacts.insert(id, c);
            }
            windows.insert(id, sent_in_window(&txn, id, now).await?);
            if !rate_held(&txn, id).await?.is_empty() {
                waiting.insert(id);
            }
        }

        let mut send = Vec::new();
        let mut counted = Vec::new();
        for row in rows {
            let contact = row.contact_id.and_then(|id| contacts.get(&id));
            let window = row.contact_id.and_then(|id| windows.get(&id).copied()).unwrap_or(0);
            let is_waiting = row.contact_id.is_some_and(|id| waiting.contains(&id));
            let channel = row.channel;
            match admit(&row, contact, window, is_waiting, self.settings.hourly_limit) {
                Admission::Send { count } => {
                    if count && let Some(id) = row.contact_id {
                        counted.push(row.id);
                        *windows.entry(id).or_insert(0) += 1;
                    }
                    send.push((row, channel));
                }
                Admission::Hold(reason) => {
                    if reason == HoldReason::Rate
                        && let Some(id) = row.contact_id
                    {
                        waiting.insert(id); // later rows of the contact join the digest
                    }
                    outbox::Entity::update_many()
                        .col_expr(outbox::Column::Status, Expr::val(OutboxStatus::Held))
                        .col_expr(outbox::Column::HoldReason, Expr::val(reason))
                        .filter(outbox::Column::Id.eq(row.id))
                        .exec(&txn)
                        .await?;
                    report.held += 1;
                }
                Admission::Dead(reason) => {
                    self.bury(&txn, &[row.id], reason).await?;
                    tracing::info!(outbox.id = row.id, kind = %row.kind, reason, "outbox message dropped");
                    report.dead += 1;
                }
            }
        }
        if !send.is_empty() {
            let ids: Vec<i64> = send.iter().map(|(r, _)| r.id).collect();
            outbox::Entity::update_many()
                .col_expr(outbox::Column::LockedUntil, Expr::val(now + self.settings.lease))
                .col_expr(outbox::Column::SendStartedAt, Expr::val(Option::<DateTime<Utc>>::None))
                .col_expr(outbox::Column::Attempts, Expr::col(outbox::Column::Attempts).add(1))
                .filter(outbox::Column::Id.is_in(ids))
                .exec(&txn)
                .await?;
        }
        if !counted.is_empty() {
            outbox::Entity::update_many()
                .col_expr(outbox::Column::CountedAt, Expr::val(now))
                .filter(outbox::Column::Id.is_in(counted))
                .exec(&txn)
                .await?;
        }
        txn.commit().await?;

        let with_contact: Vec<i64> = send.iter().filter_map(|(r, _)| r.contact_id).collect();
        let organizations = contacts::organization_names(&self.db, &with_contact).await?;
        let workers: Vec<String> = send
            .iter()
            .filter(|(r, channel)| r.contact_id.is_none() && *channel == Channel::Email)
            .map(|(r, _)| r.recipient.clone())
            .collect();
        let employers = recipients::worker_organizations(&self.db, &workers).await?;
        let mut items = Vec::with_capacity(send.len());
        for (row, channel) in send {
            // A row no kind of ours reads (garbled, or written by a newer version) is dead
            // with the reason, never sent half-empty.
            let notification = match Notification::from_row(&row.kind, &row.payload) {
                Ok(n) => n,
                Err(e) => {
                    tracing::warn!(outbox.id = row.id, kind = %row.kind, error = %e, "outbox row cannot be read");
                    self.bury(&self.db, &[row.id], &e.to_string()).await?;
                    report.dead += 1;
                    self.count(channel, "dead", 1);
                    continue;
                }
            };
            let organization = match row.contact_id {
                Some(id) => organizations.get(&id).cloned(),
                None => employers.get(&row.recipient).cloned(),
            };
            let item = Outgoing {
                id: row.id,
                recipient: row.recipient,
                contact_id: row.contact_id,
                merchant_id: row.merchant_id,
                notification,
                locale: row.locale.0,
                message_id: row.message_id,
                confirm_token: None,
                organization,
            };
            items.push((item, channel));
        }
        Ok(Leased { items, report })
    }

    /// Work done after the lease commits, outside its locks: a fresh confirmation token
    /// for each consent email (made at send time, so that no usable token rests in the
    /// outbox; a retry makes a new one and the old link stops working).
    pub(super) async fn prepare(
        &self,
        items: Vec<(Outgoing, Channel)>,
        now: DateTime<Utc>,
    ) -> Result<Vec<(Outgoing, Channel)>, DbErr> {
        let mut out = Vec::with_capacity(items.len());
        for (mut item, channel) in items {
            if matches!(item.notification, Notification::ContactConsent)
                && let Some(contact_id) = item.contact_id
            {
                item.confirm_token = Some(contacts::issue_confirm_token(&self.db, contact_id, now).await?);
            }
            if let Some(token) = applications::issue_link(&self.db, &item.notification, now).await? {
                item.confirm_token = Some(token);
            }
            out.push((item, channel));
        }
        Ok(out)
    }
}
