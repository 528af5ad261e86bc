//! The dispatcher's rounds: gather digests, lease due rows, send, settle (see the module
//! documentation of [`crate::notify`]).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use futures::StreamExt;
use rand::Rng;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use tokio_util::sync::CancellationToken;

use super::admission::{Admission, MAX_ATTEMPTS, admit, retry_delay};
use super::templates::{DIGEST_KIND, DigestItem};
use super::{NotifyError, Outgoing, SendError, Sender, email, mask_email};
use crate::config::Config;
use crate::db;
use crate::entities::{contact, outbox};
use crate::metrics::Metrics;
use crate::services::contacts::{self, CONSENT_KIND, lock_contact};
use crate::services::outbox::{Channel, Message, enqueue};
use crate::services::recipients;

/// Longest one send may take, whatever its channel; well inside the lease.
const SEND_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// How a dispatcher paces itself.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Rows leased per round.
    pub batch_size: u64,
    /// Sends in flight at once (and SMTP connections in the pool).
    pub concurrency: usize,
    /// How long a leased row stays with this dispatcher; longer than any send can take.
    pub lease: Duration,
    /// Tries before a temporarily failing message is given up.
    pub max_attempts: i32,
    /// Notifications a contact gets per rolling hour; 0: no limit.
    pub hourly_limit: u32,
    /// Pause between rounds when there was nothing to do.
    pub idle_wait: std::time::Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            batch_size: 400,
            // lettre sends a message's end in a second small write, which waits on the
            // server's delayed ACK (~40 ms a message on each connection): 48 connections
            // keep ~500 messages a second going (BENCHMARKS.md), within the 50 that Postfix
            // allows one client by default.
            concurrency: 48,
            lease: Duration::minutes(5),
            max_attempts: MAX_ATTEMPTS,
            hourly_limit: 4,
            idle_wait: std::time::Duration::from_secs(1),
        }
    }
}

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Report {
    /// Rows leased.
    pub leased: u64,
    /// Messages delivered.
    pub sent: u64,
    /// Messages to be tried again.
    pub retried: u64,
    /// Messages given up (including those for unsubscribed or undeliverable contacts).
    pub dead: u64,
    /// Messages held for consent or for the hourly limit.
    pub held: u64,
    /// Digest rows made.
    pub digests: u64,
}

impl Report {
    fn add(&mut self, other: Report) {
        self.leased += other.leased;
        self.sent += other.sent;
        self.retried += other.retried;
        self.dead += other.dead;
        self.held += other.held;
        self.digests += other.digests;
    }
}

/// Prometheus metrics of the dispatcher.
#[derive(Clone)]
struct NotifyMetrics {
    messages: prometheus::IntCounterVec,
    depth: prometheus::IntGaugeVec,
}

impl NotifyMetrics {
    /// Registers the metrics; `None` when they are registered already (a second
    /// dispatcher on the same registry, as in tests), which then goes unmeasured.
    fn register(metrics: &Metrics) -> Option<Self> {
        let messages = prometheus::IntCounterVec::new(
            prometheus::Opts::new(
                "relay_outbox_messages_total",
                "Outbox messages handled, by channel and outcome",
            ),
            &["channel", "outcome"],
        )
        .ok()?;
        let depth = prometheus::IntGaugeVec::new(
            prometheus::Opts::new("relay_outbox_depth", "Outbox rows waiting, by status"),
            &["status"],
        )
        .ok()?;
        metrics.register(Box::new(messages.clone())).ok()?;
        metrics.register(Box::new(depth.clone())).ok()?;
        Some(Self { messages, depth })
    }
}

/// The outbox dispatcher.
pub struct Dispatcher {
    db: DatabaseConnection,
    senders: HashMap<&'static str, Arc<dyn Sender>>,
    settings: Settings,
    metrics: Option<NotifyMetrics>,
    /// The web's activity: while it is busy, rounds are small and paced.
    web: Option<crate::metrics::WebActivity>,
}

async fn sent_in_window<C: ConnectionTrait>(conn: &C, contact_id: i64, now: DateTime<Utc>) -> Result<u64, DbErr> {
    outbox::Entity::find()
        .filter(outbox::Column::ContactId.eq(contact_id))
        .filter(outbox::Column::CountedAt.gt(now - Duration::hours(1)))
        .count(conn)
        .await
}

async fn rate_held<C: ConnectionTrait>(conn: &C, contact_id: i64) -> Result<Vec<outbox::Model>, DbErr> {
    outbox::Entity::find()
        .filter(outbox::Column::ContactId.eq(contact_id))
        .filter(outbox::Column::Status.eq("held"))
        .filter(outbox::Column::HoldReason.eq("rate"))
        .order_by_asc(outbox::Column::Id)
        .all(conn)
        .await
}

fn placeholders(n: usize) -> String {
    vec!["?"; n].join(",")
}

/// How much of the machine a round takes.
#[derive(Debug, Clone, Copy)]
struct Share {
    batch_size: u64,
    concurrency: usize,
}

/// A round's share while the web is answering requests: about 200 messages a second at
/// most, with [`YIELDING_PAUSE`] between rounds.
const YIELDING_SHARE: Share = Share {
    batch_size: 40,
    concurrency: 4,
};
const YIELDING_PAUSE: std::time::Duration = std::time::Duration::from_millis(200);
/// How often `run` looks for residents whose held messages are due as a digest.
const DIGESTS_EVERY: std::time::Duration = std::time::Duration::from_secs(5);
/// The web counts as quiet once no request has come for this long.
const QUIET_AFTER: std::time::Duration = std::time::Duration::from_millis(500);

/// Rows leased in one round, ready to send.
struct Leased {
    items: Vec<(Outgoing, &'static str)>,
    report: Report,
}

impl Dispatcher {
    /// A dispatcher over `senders` (one per channel).
    pub fn new(db: DatabaseConnection, senders: Vec<Arc<dyn Sender>>, settings: Settings) -> Self {
        Self {
            db,
            senders: senders.into_iter().map(|s| (s.channel(), s)).collect(),
            settings,
            metrics: None,
            web: None,
        }
    }

    /// The dispatcher `serve` runs: email by SMTP or `.eml` files as configured.
    pub fn from_config(db: DatabaseConnection, config: &Config) -> Result<Self, NotifyError> {
        let settings = Settings {
            hourly_limit: config.email.hourly_limit,
            ..Settings::default()
        };
        let pool = u32::try_from(settings.concurrency).unwrap_or(4);
        let email: Arc<dyn Sender> = Arc::new(email::EmailSender::from_config(config, pool)?);
        Ok(Self::new(db, vec![email], settings))
    }

    /// Exports the dispatcher's counters and the outbox depth through `metrics`.
    pub fn with_metrics(mut self, metrics: &Metrics) -> Self {
        self.metrics = NotifyMetrics::register(metrics);
        self.web = Some(metrics.web.clone());
        self
    }

    /// One round as of `now`: gather digests, lease a batch, send it, settle it.
    pub async fn run_once(&self, now: DateTime<Utc>) -> Result<Report, DbErr> {
        self.round(now, &CancellationToken::new(), self.full_share(), true)
            .await
    }

    /// Rounds as of `now` until nothing more is due (for tests and tools).
    pub async fn drain(&self, now: DateTime<Utc>) -> Result<Report, DbErr> {
        let mut total = Report::default();
        loop {
            let report = self.run_once(now).await?;
            total.add(report);
            if report.leased == 0 && report.digests == 0 {
                return Ok(total);
            }
        }
    }

    /// Runs rounds until `cancel`; a round in progress finishes its sends in flight and
    /// hands back the rows it had not started, so a shutdown loses nothing.
    pub async fn run(self, cancel: CancellationToken) {
        let mut depth_updated: Option<Instant> = None;
        let mut digests_gathered: Option<Instant> = None;
        while !cancel.is_cancelled() {
            // Messages can wait a little; a merchant's claim or a worker's page should not.
            // While requests are being answered, rounds take a small share and pause
            // between them; the backlog drains at full speed once the web is quiet.
            let yielding = self.web.as_ref().is_some_and(|w| w.busy_within(QUIET_AFTER));
            let share = if yielding { YIELDING_SHARE } else { self.full_share() };
            // Digests wait for an hour to pass: looking for them every few seconds is
            // plenty, and spares a scan of the held rows each round.
            let gather = digests_gathered.is_none_or(|at: Instant| at.elapsed() >= DIGESTS_EVERY);
            if gather {
                digests_gathered = Some(Instant::now());
            }
            let busy = match self.round(Utc::now(), &cancel, share, gather).await {
                Ok(report) => {
                    if report != Report::default() {
                        tracing::info!(
                            leased = report.leased,
                            sent = report.sent,
                            retried = report.retried,
                            dead = report.dead,
                            held = report.held,
                            digests = report.digests,
                            "outbox dispatched"
                        );
                    }
                    report.leased >= share.batch_size
                }
                Err(e) => {
                    tracing::warn!(error = %e, "outbox round failed; trying again shortly");
                    false
                }
            };
            if depth_updated.is_none_or(|at| at.elapsed() > std::time::Duration::from_secs(15)) {
                self.update_depth().await;
                depth_updated = Some(Instant::now());
            }
            let pause = match (busy, yielding) {
                (false, _) => Some(self.settings.idle_wait),
                (true, true) => Some(YIELDING_PAUSE.min(self.settings.idle_wait)),
                (true, false) => None,
            };
            if let Some(pause) = pause {
                tokio::select! {
                    () = cancel.cancelled() => break,
                    () = tokio::time::sleep(pause) => {}
                }
            }
        }
    }

    async fn update_depth(&self) {
        let Some(m) = &self.metrics else { return };
        for status in ["pending", "failed", "held"] {
            match outbox::Entity::find()
                .filter(outbox::Column::Status.eq(status))
                .count(&self.db)
                .await
            {
                Ok(n) => m
                    .depth
                    .with_label_values(&[status])
                    .set(i64::try_from(n).unwrap_or(i64::MAX)),
                Err(e) => tracing::debug!(error = %e, "cannot count the outbox"),
            }
        }
    }

    fn count(&self, channel: &str, outcome: &str, n: u64) {
        if let Some(m) = &self.metrics
            && n > 0
        {
            m.messages.with_label_values(&[channel, outcome]).inc_by(n);
        }
    }

    fn full_share(&self) -> Share {
        Share {
            batch_size: self.settings.batch_size,
            concurrency: self.settings.concurrency,
        }
    }

    async fn round(
        &self,
        now: DateTime<Utc>,
        cancel: &CancellationToken,
        share: Share,
        gather_digests: bool,
    ) -> Result<Report, DbErr> {
        let digests = if gather_digests {
            self.gather_digests(now).await?
        } else {
            0
        };
        let leased = self.lease(now, share.batch_size).await?;
        let mut report = leased.report;
        report.digests = digests;
        let items = self.prepare(leased.items, now).await?;
        let concurrency = share.concurrency.max(1);
        let work: Vec<(Outgoing, Option<Arc<dyn Sender>>)> = items
            .into_iter()
            .map(|(item, channel)| {
                let sender = self.senders.get(channel).cloned();
                (item, sender)
            })
            .collect();
        // The stream runs over indices: a closure taking a borrowed or `dyn` argument makes
        // the spawned future fail the compiler's higher-ranked `Send` check.
        let work = &work;
        type Done = (usize, Option<Result<(), SendError>>, Result<(), DbErr>);
        let mut results: Vec<Done> = futures::stream::iter(0..work.len())
            .map(|i| async move {
                if cancel.is_cancelled() {
                    return (i, None, Ok(())); // shutting down: not started, handed back
                }
                let (item, sender) = &work[i];
                // A resident's message goes only if the send-time check finds it still
                // queued and its contact still able to receive it.
                if item.contact_id.is_some() {
                    match self.start_send(item, now).await {
                        Ok(true) => {}
                        Ok(false) => return (i, Some(Err(SendError::Suppressed)), Ok(())),
                        Err(e) => return (i, None, Err(e)),
                    }
                }
                let result = match sender {
                    // A server that accepts the connection and then says nothing must not
                    // hold the round (and the shutdown) forever.
                    Some(sender) => match tokio::time::timeout(SEND_TIMEOUT, sender.send(item, now)).await {
                        Ok(result) => result,
                        Err(_) => Err(SendError::Temporary("timed out".into())),
                    },
                    None => Err(SendError::Temporary("no sender for this channel".into())),
                };
                // Recorded as soon as the server took it, not with the rest of the round: a
                // crash then leaves only the sends in flight unrecorded, to go again after
                // their lease.
                let recorded = match result {
                    Ok(()) => self.mark_sent(item, now).await,
                    Err(_) => Ok(()),
                };
                (i, Some(result), recorded)
            })
            .buffer_unordered(concurrency)
            .collect()
            .await;
        results.sort_by_key(|(i, _, _)| *i);
        let mut unrecorded = None;
        for (i, result, recorded) in results {
            let (item, sender) = &work[i];
            let channel = sender.as_ref().map_or("unknown", |s| s.channel());
            if let Err(e) = recorded {
                unrecorded.get_or_insert(e);
            }
            if matches!(result, Some(Ok(()))) {
                report.sent += 1;
                self.count(channel, "sent", 1);
            } else {
                self.settle(item, channel, result, now, &mut report).await?;
            }
        }
        match unrecorded {
            Some(e) => Err(e),
            None => Ok(report),
        }
    }

    /// Makes the digest rows of contacts whose rolling hour has room again.
    async fn gather_digests(&self, now: DateTime<Utc>) -> Result<u64, DbErr> {
        let waiting: Vec<i64> = outbox::Entity::find()
            .select_only()
            .column(outbox::Column::ContactId)
            .distinct()
            .filter(outbox::Column::Status.eq("held"))
            .filter(outbox::Column::HoldReason.eq("rate"))
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
                channel: Channel::Email,
                recipient: c.email.clone(),
                contact_id: Some(contact_id),
                merchant_id: None,
                kind: DIGEST_KIND,
                locale: c.locale.0,
                payload: serde_json::json!({ "items": items }),
                dedupe_key: dedupe_key.clone(),
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
                .col_expr(outbox::Column::HoldReason, Expr::val("digest"))
                .col_expr(outbox::Column::DigestId, Expr::val(digest.id))
                .filter(outbox::Column::Id.is_in(rows.iter().map(|r| r.id)))
                .exec(&txn)
                .await?;
            txn.commit().await?;
            made += 1;
        }
        Ok(made)
    }

    /// Takes a batch of due rows in one transaction and decides each.
    async fn lease(&self, now: DateTime<Utc>, batch_size: u64) -> Result<Leased, DbErr> {
        let mut report = Report::default();
        let channels: Vec<&'static str> = self.senders.keys().copied().collect();
        // A read first: an idle dispatcher must not take SQLite's write lock every second.
        let due = outbox::Entity::find()
            .select_only()
            .column(outbox::Column::Id)
            .filter(outbox::Column::Status.is_in(["pending", "failed"]))
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
            "SELECT * FROM outbox WHERE status IN ('pending','failed') AND channel IN ({}) \
             AND next_attempt_at <= ? AND (locked_until IS NULL OR locked_until <= ?) \
             ORDER BY next_attempt_at, id LIMIT {}{skip_locked}",
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
            let Some(channel) = channels.iter().copied().find(|c| *c == row.channel) else {
                continue;
            };
            match admit(&row, contact, window, is_waiting, self.settings.hourly_limit) {
                Admission::Send { count } => {
                    if count && let Some(id) = row.contact_id {
                        counted.push(row.id);
                        *windows.entry(id).or_insert(0) += 1;
                    }
                    send.push((row, channel));
                }
                Admission::Hold(reason) => {
                    if reason == "rate"
                        && let Some(id) = row.contact_id
                    {
                        waiting.insert(id); // later rows of the contact join the digest
                    }
                    outbox::Entity::update_many()
                        .col_expr(outbox::Column::Status, Expr::val("held"))
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
            .filter(|(r, channel)| r.contact_id.is_none() && *channel == "email")
            .map(|(r, _)| r.recipient.clone())
            .collect();
        let employers = recipients::worker_organizations(&self.db, &workers).await?;
        let items = send
            .into_iter()
            .map(|(row, channel)| {
                let payload = serde_json::from_str(&row.payload).unwrap_or(serde_json::Value::Null);
                let organization = match row.contact_id {
                    Some(id) => organizations.get(&id).cloned(),
                    None => employers.get(&row.recipient).cloned(),
                };
                let item = Outgoing {
                    id: row.id,
                    recipient: row.recipient,
                    contact_id: row.contact_id,
                    merchant_id: row.merchant_id,
                    kind: row.kind,
                    locale: row.locale.parse().unwrap_or_default(),
                    payload,
                    message_id: row.message_id,
                    confirm_token: None,
                    organization,
                };
                (item, channel)
            })
            .collect();
        Ok(Leased { items, report })
    }

    /// Work done after the lease commits, outside its locks: a fresh confirmation token
    /// for each consent email (made at send time, so that no usable token rests in the
    /// outbox; a retry makes a new one and the old link stops working).
    async fn prepare(
        &self,
        items: Vec<(Outgoing, &'static str)>,
        now: DateTime<Utc>,
    ) -> Result<Vec<(Outgoing, &'static str)>, DbErr> {
        let mut out = Vec::with_capacity(items.len());
        for (mut item, channel) in items {
            if item.kind == CONSENT_KIND
                && let Some(contact_id) = item.contact_id
            {
                item.confirm_token = Some(contacts::issue_confirm_token(&self.db, contact_id, now).await?);
            }
            out.push((item, channel));
        }
        Ok(out)
    }

    /// The send-time check of a resident's message, right before it is handed to its
    /// sender: one conditional update that marks the row started only if it is still
    /// queued and its contact can still receive it (not unsubscribed, not undeliverable,
    /// consent given — or pending, for the confirmation email itself), under the contact's
    /// lock that an unsubscribe takes too. A row that fails the check is dead, never
    /// retried (an unsubscribe has normally killed it already). False: do not send.
    async fn start_send(&self, item: &Outgoing, now: DateTime<Utc>) -> Result<bool, DbErr> {
        let Some(contact_id) = item.contact_id else {
            return Ok(true);
        };
        let txn = db::begin_write(&self.db).await?;
        lock_contact(&txn, contact_id).await?;
        let started = txn
            .execute_raw(db::statement(
                &txn,
                "UPDATE outbox SET send_started_at = ? WHERE id = ? AND status IN ('pending','failed') \
                 AND send_started_at IS NULL AND EXISTS (SELECT 1 FROM contacts c WHERE c.id = outbox.contact_id \
                 AND c.undeliverable_at IS NULL AND (c.consent_status = 'confirmed' \
                 OR (c.consent_status = 'pending' AND outbox.kind = ?)))",
                vec![now.into(), item.id.into(), CONSENT_KIND.into()],
            ))
            .await?
            .rows_affected()
            == 1;
        if !started {
            outbox::Entity::update_many()
                .col_expr(outbox::Column::Status, Expr::val("dead"))
                .col_expr(
                    outbox::Column::LastError,
                    Expr::val("contact can no longer receive mail"),
                )
                .col_expr(outbox::Column::LockedUntil, Expr::val(Option::<DateTime<Utc>>::None))
                .filter(outbox::Column::Id.eq(item.id))
                .filter(outbox::Column::Status.is_in(["pending", "failed"]))
                .filter(outbox::Column::SendStartedAt.is_null())
                .exec(&txn)
                .await?;
            // The rows a digest carried die with it.
            outbox::Entity::update_many()
                .col_expr(outbox::Column::Status, Expr::val("dead"))
                .col_expr(
                    outbox::Column::LastError,
                    Expr::val("contact can no longer receive mail"),
                )
                .filter(outbox::Column::DigestId.eq(item.id))
                .filter(outbox::Column::Status.eq("held"))
                .exec(&txn)
                .await?;
        }
        txn.commit().await?;
        Ok(started)
    }

    async fn bury<C: ConnectionTrait>(&self, conn: &C, ids: &[i64], reason: &str) -> Result<(), DbErr> {
        outbox::Entity::update_many()
            .col_expr(outbox::Column::Status, Expr::val("dead"))
            .col_expr(outbox::Column::LastError, Expr::val(reason))
            .col_expr(outbox::Column::LockedUntil, Expr::val(Option::<DateTime<Utc>>::None))
            .col_expr(outbox::Column::SendStartedAt, Expr::val(Option::<DateTime<Utc>>::None))
            .filter(outbox::Column::Id.is_in(ids.iter().copied()))
            .exec(conn)
            .await?;
        // The rows a dead digest carried die with it.
        outbox::Entity::update_many()
            .col_expr(outbox::Column::Status, Expr::val("dead"))
            .col_expr(outbox::Column::LastError, Expr::val(reason))
            .filter(outbox::Column::DigestId.is_in(ids.iter().copied()))
            .filter(outbox::Column::Status.eq("held"))
            .exec(conn)
            .await?;
        Ok(())
    }

    /// Records one delivered message, and the rows a digest carried, in one transaction.
    async fn mark_sent(&self, item: &Outgoing, now: DateTime<Utc>) -> Result<(), DbErr> {
        let txn = db::begin_write(&self.db).await?;
        outbox::Entity::update_many()
            .col_expr(outbox::Column::Status, Expr::val("sent"))
            .col_expr(outbox::Column::SentAt, Expr::val(now))
            .col_expr(outbox::Column::LockedUntil, Expr::val(Option::<DateTime<Utc>>::None))
            .col_expr(outbox::Column::SendStartedAt, Expr::val(Option::<DateTime<Utc>>::None))
            .col_expr(outbox::Column::LastError, Expr::val(Option::<String>::None))
            .filter(outbox::Column::Id.eq(item.id))
            .exec(&txn)
            .await?;
        if item.kind == DIGEST_KIND {
            outbox::Entity::update_many()
                .col_expr(outbox::Column::Status, Expr::val("sent"))
                .col_expr(outbox::Column::SentAt, Expr::val(now))
                .filter(outbox::Column::DigestId.eq(item.id))
                .filter(outbox::Column::Status.eq("held"))
                .exec(&txn)
                .await?;
        }
        txn.commit().await
    }

    async fn settle(
        &self,
        item: &Outgoing,
        channel: &'static str,
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
                    tracing::warn!(outbox.id = item.id, kind = %item.kind, to = %to, attempts, error = %why, "message given up after its last try");
                    self.bury(&self.db, &[item.id], &format!("gave up after {attempts} tries: {why}"))
                        .await?;
                    report.dead += 1;
                    self.count(channel, "dead", 1);
                } else {
                    let delay = retry_delay(attempts, rand::rng().random::<f64>());
                    tracing::info!(outbox.id = item.id, kind = %item.kind, to = %to, attempts, retry_in_s = delay.num_seconds(), error = %why, "send failed; will retry");
                    outbox::Entity::update_many()
                        .col_expr(outbox::Column::Status, Expr::val("failed"))
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
                tracing::warn!(outbox.id = item.id, kind = %item.kind, to = %to, error = %why, "recipient refused for good");
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
            Some(Err(SendError::Suppressed)) => {
                tracing::info!(outbox.id = item.id, kind = %item.kind, "message dropped: the contact can no longer receive it");
                report.dead += 1;
                self.count(channel, "suppressed", 1);
            }
            Some(Err(SendError::Failed(why))) => {
                tracing::warn!(outbox.id = item.id, kind = %item.kind, to = %to, error = %why, "message cannot be sent");
                self.bury(&self.db, &[item.id], &why).await?;
                report.dead += 1;
                self.count(channel, "dead", 1);
            }
        }
        Ok(())
    }
}
