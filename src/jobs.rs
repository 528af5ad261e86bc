//! Periodic work: half-time and day-before reminders, lapsing overdue claims, expiring needs,
//! posting the next occurrence of recurring needs (`services::need_series`) and offering it
//! to its sponsor first (`services::sponsorships`),
//! telling social workers of needs near their deadline, and the alert ladder (next rungs,
//! flags to the office, daily digests), retention (`services::retention`), and the erasure
//! of cases closed longer than `RELAY_CASE_RETENTION_DAYS` (`services::cases`), and the
//! day-before reminders of events (`services::events`). Every step is
//! a conditional update per row, so several processes may run it at once.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use tokio_util::sync::CancellationToken;

use crate::domain::alerts::LadderPolicy;
use crate::domain::sponsorship::DEFAULT_RENEWAL_HOURS;
use crate::services::{ServiceError, alerts, cases, claims, events, need_series, needs, retention, sponsorships};

/// How often the jobs run.
pub const INTERVAL: Duration = Duration::from_secs(60);

/// What one run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JobReport {
    /// Half-time reminders queued.
    pub reminded: u64,
    /// Day-before reminders queued.
    pub due_tomorrow: u64,
    /// Claims lapsed.
    pub lapsed: u64,
    /// Needs expired.
    pub expired: u64,
    /// Social workers told of a need near its deadline.
    pub warned: u64,
    /// Rungs of alert ladders climbed.
    pub rungs: u64,
    /// Needs flagged to the office as unclaimed and aging.
    pub flagged: u64,
    /// Daily digests queued.
    pub digests: u64,
    /// Next occurrences of recurring needs posted.
    pub recurred: u64,
    /// Periods whose sponsor let the renewal window close, sent to the pool.
    pub unrenewed: u64,
    /// Day-before reminders of events queued to volunteers.
    pub event_reminders: u64,
}

/// Runs every job once as of `now`, with the default renewal window of sponsors.
pub async fn run_once(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<JobReport, ServiceError> {
    run_once_with(db, DEFAULT_RENEWAL_HOURS, now).await
}

/// Runs every job once as of `now`; a sponsor has `renewal_hours` to renew a new period.
pub async fn run_once_with(
    db: &DatabaseConnection,
    renewal_hours: u32,
    now: DateTime<Utc>,
) -> Result<JobReport, ServiceError> {
    let reminded = claims::remind_due(db, now).await?;
    let due_tomorrow = alerts::queue_due_tomorrow(db, now).await?;
    let lapsed = claims::lapse_overdue(db, now).await?;
    let expired = needs::expire_overdue(db, now).await?;
    // Before the ladder: a new occurrence gets its first rung with the others.
    let unrenewed = sponsorships::release_lapsed_offers(db, now).await?;
    let recurred = need_series::post_next_occurrences(db, renewal_hours, now).await?;
    sponsorships::complete_finished(db, now).await?;
    // After lapses and expiries: a reopened need climbs, an expired one does not.
    let ladder = alerts::run_ladder(db, &LadderPolicy::default(), now).await?;
    let warned = needs::warn_near_deadline(db, now).await?;
    let event_reminders = events::signups::remind_tomorrow(db, now).await?;
    Ok(JobReport {
        event_reminders,
        reminded,
        due_tomorrow,
        lapsed,
        expired,
        rungs: ladder.rungs,
        flagged: ladder.flagged,
        digests: ladder.digests,
        warned,
        recurred,
        unrenewed,
    })
}

/// Erases the personal data of cases closed more than `retention_days` before `now`
/// (a step of its own: it needs the configured period, which the other steps do not).
/// Returns how many cases were erased.
pub async fn erase_closed_cases(
    db: &DatabaseConnection,
    retention_days: u32,
    now: DateTime<Utc>,
) -> Result<u64, ServiceError> {
    cases::erase_closed(db, retention_days, now).await
}

/// How long after its reminder an unanswered referral is flagged to the office.
pub const REFERRAL_FLAG_AFTER: chrono::Duration = chrono::Duration::days(2);

/// Runs the jobs every [`INTERVAL`] until `cancel`; a run in progress finishes first.
/// Closed cases are erased after `case_retention_days`.
/// A sponsor has `renewal_hours` to renew each new period.
pub async fn run_periodically(
    db: DatabaseConnection,
    case_retention_days: u32,
    renewal_hours: u32,
    cancel: CancellationToken,
) {
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + INTERVAL, INTERVAL);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = cancel.cancelled() => break,
            _ = ticker.tick() => {}
        }
        match run_once_with(&db, renewal_hours, Utc::now()).await {
            Ok(report) if report != JobReport::default() => {
                tracing::info!(
                    reminded = report.reminded,
                    due_tomorrow = report.due_tomorrow,
                    lapsed = report.lapsed,
                    expired = report.expired,
                    warned = report.warned,
                    rungs = report.rungs,
                    flagged = report.flagged,
                    digests = report.digests,
                    recurred = report.recurred,
                    unrenewed = report.unrenewed,
                    "jobs ran"
                );
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "jobs failed; retrying at the next tick"),
        }
        match erase_closed_cases(&db, case_retention_days, Utc::now()).await {
            Ok(0) => {}
            Ok(erased) => tracing::info!(cases = erased, "closed cases erased"),
            Err(e) => tracing::warn!(error = %e, "erasing closed cases failed; retrying at the next tick"),
        }
        match crate::services::referrals::remind_late(&db, REFERRAL_FLAG_AFTER, Utc::now()).await {
            Ok((0, 0)) => {}
            Ok((reminded, flagged)) => tracing::info!(reminded, flagged, "late referrals reminded or flagged"),
            Err(e) => tracing::warn!(error = %e, "reminding late referrals failed; retrying at the next tick"),
        }
        // Apart from run_once: tests drive that with clocks far ahead of the real one.
        match retention::prune(&db, Utc::now()).await {
            Ok(report) if !report.is_empty() => tracing::info!(
                telegram_updates = report.telegram_updates,
                login_throttles = report.login_throttles,
                idempotency_records = report.idempotency_records,
                sessions = report.sessions,
                outbox_bodies = report.outbox_bodies,
                unverified_applications = report.unverified_applications,
                "retention pruned"
            ),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "retention failed; retrying at the next tick"),
        }
    }
}
