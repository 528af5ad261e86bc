//! The outbox dispatcher's rounds: gather digests, lease due rows, send, settle (see the
//! module documentation of [`crate::notify`]). One thing a file: leasing ([`lease`]), a
//! resident's hourly limit and send-time check ([`holds`]), digests ([`digest`]), recording
//! outcomes ([`settle`]) and the metrics ([`metrics`]).

mod digest;
mod holds;
mod lease;
mod metrics;
mod settle;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use futures::StreamExt;
use sea_orm::{DatabaseConnection, DbErr};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use self::metrics::NotifyMetrics;
use super::admission::MAX_ATTEMPTS;
use super::{NotifyError, Outgoing, SendError, Sender, email};
use crate::config::Config;
use crate::domain::Channel;
use crate::metrics::Metrics;

/// A leased message with its channel and the sender of that channel, if one is configured.
type Work = (Outgoing, Channel, Option<Arc<dyn Sender>>);

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

/// The outbox dispatcher.
pub struct Dispatcher {
    db: DatabaseConnection,
    senders: HashMap<Channel, Arc<dyn Sender>>,
    settings: Settings,
    metrics: Option<NotifyMetrics>,
    /// The web's activity: while it is busy, rounds are small and paced.
    web: Option<crate::metrics::WebActivity>,
    /// Prods an idle dispatcher to look for due rows now (the bot after queueing a reply).
    wake: Option<Arc<Notify>>,
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

impl Dispatcher {
    /// A dispatcher over `senders` (one per channel).
    pub fn new(db: DatabaseConnection, senders: Vec<Arc<dyn Sender>>, settings: Settings) -> Self {
        Self {
            db,
            senders: senders.into_iter().map(|s| (s.channel(), s)).collect(),
            settings,
            metrics: None,
            web: None,
            wake: None,
        }
    }

    /// Adds the sender of another channel (Telegram, when the bot is configured).
    pub fn with_sender(mut self, sender: Arc<dyn Sender>) -> Self {
        self.senders.insert(sender.channel(), sender);
        self
    }

    /// Makes `wake` end an idle pause at once.
    pub fn with_wake(mut self, wake: Arc<Notify>) -> Self {
        self.wake = Some(wake);
        self
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
                let woken = async {
                    match &self.wake {
                        Some(wake) => wake.notified().await,
                        None => std::future::pending().await,
                    }
                };
                tokio::select! {
                    () = cancel.cancelled() => break,
                    () = tokio::time::sleep(pause) => {}
                    () = woken => {}
                }
            }
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
        let work: Vec<Work> = items
            .into_iter()
            .map(|(item, channel)| {
                let sender = self.senders.get(&channel).cloned();
                (item, channel, sender)
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
                let (item, _, sender) = &work[i];
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
            let (item, channel, _) = &work[i];
            let channel = *channel;
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
}
