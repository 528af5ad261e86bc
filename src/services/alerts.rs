//! Pushes to merchants: the alert ladder of each need (rules in
//! [`crate::domain::alerts`]), the daily digests, the flag to the office when a need is
//! unclaimed and aging, and the reminder the day before a claim is due.
//!
//! Exactly once, whoever runs it: a merchant is alerted of a need at most once (unique
//! `need_alerts (need_id, merchant_id)`, and the outbox's dedupe key
//! `need:{need}:alert:merchant:{merchant}`); a rung is climbed only by the transaction whose
//! conditional update moved the ladder on; a digest gathers its alerts with a conditional
//! update under the merchant's lock and is queued under a key derived from them.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::audit::{self, Actor, Entry};
use super::outbox::{ClaimNotice, NeedAlert, NeedDigest, Notification, enqueue, enqueue_at};
use super::{ServiceError, alert_settings, matching, recipients};
use crate::db;
use crate::domain::alerts::{self as rules, AlertMode, Candidate, FlagReason, LadderPolicy, LadderStep, ladder_step};
use crate::domain::credit::CreditBand;
use crate::domain::matching::{relevant, score};
use crate::domain::time::{local_date, local_midnight};
use crate::domain::{ClaimStatus, NeedStatus};
use crate::entities::{claim, merchant, need, need_alert, need_ladder};

/// Ranked candidates whose daily counts are read at once (several rungs' worth, so that
/// one read almost always fills a rung even when some merchants are at their cap).
const CAP_CHUNK: usize = 20;
/// Ladders, flags or digests one job run takes on.
const BATCH: u64 = 200;

/// What one run of the ladder jobs did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LadderReport {
    /// Rungs climbed.
    pub rungs: u64,
    /// Alerts chosen (instant and digest).
    pub alerts: u64,
    /// Needs flagged to the office.
    pub flagged: u64,
    /// Digests queued.
    pub digests: u64,
}

/// What one rung did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rung {
    /// The merchants alerted.
    pub picked: Vec<i64>,
    /// Merchants that may still hear of the need, at their cap or not; none means the
    /// ladder has run out.
    pub eligible: usize,
}

/// Starts the ladder of a need just posted and climbs its first rung, in the posting
/// transaction.
pub async fn start_ladder<C: ConnectionTrait>(
    txn: &C,
    need: &need::Model,
    policy: &LadderPolicy,
    now: DateTime<Utc>,
) -> Result<Rung, ServiceError> {
    need_ladder::ActiveModel {
        need_id: Set(need.id),
        rung: Set(1),
        next_rung_at: Set(Some(rules::next_rung_at(policy, now))),
        flagged_at: Set(None),
        flag_reason: Set(None),
        updated_at: Set(now),
    }
    .insert(txn)
    .await?;
    climb(txn, need, 1, policy, now).await
}

/// Holds the ladder of `need` (if it has one) where it is: a period offered first to its
/// sponsor alerts nobody else until it comes back to the pool.
pub async fn pause_ladder<C: ConnectionTrait>(txn: &C, need_id: i64, now: DateTime<Utc>) -> Result<(), ServiceError> {
    need_ladder::Entity::update_many()
        .col_expr(
            need_ladder::Column::NextRungAt,
            Expr::val(Option::<DateTime<Utc>>::None),
        )
        .col_expr(need_ladder::Column::UpdatedAt, Expr::val(now))
        .filter(need_ladder::Column::NeedId.eq(need_id))
        .exec(txn)
        .await?;
    Ok(())
}

/// Sends `need` (back) to the pool's alerts: starts its ladder, or, when it had one before it
/// was held for its sponsor, climbs the next rung now (a need has one ladder row).
pub async fn resume_ladder<C: ConnectionTrait>(
    txn: &C,
    need: &need::Model,
    policy: &LadderPolicy,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let Some(ladder) = need_ladder::Entity::find_by_id(need.id)
        .lock_exclusive()
        .one(txn)
        .await?
    else {
        start_ladder(txn, need, policy, now).await?;
        return Ok(());
    };
    let rung = ladder.rung + 1;
    need_ladder::Entity::update_many()
        .col_expr(need_ladder::Column::Rung, Expr::val(rung))
        .col_expr(
            need_ladder::Column::NextRungAt,
            Expr::val(Some(rules::next_rung_at(policy, now))),
        )
        .col_expr(need_ladder::Column::UpdatedAt, Expr::val(now))
        .filter(need_ladder::Column::NeedId.eq(need.id))
        .exec(txn)
        .await?;
    climb(txn, need, rung, policy, now).await?;
    Ok(())
}

/// Chooses the merchants of rung `rung` of `need` and queues their alerts: loads the
/// merchants, their offers, settings and claims once, scores them in memory, and reads
/// daily counts only for the best few.
pub async fn climb<C: ConnectionTrait>(
    txn: &C,
    need: &need::Model,
    rung: i32,
    policy: &LadderPolicy,
    now: DateTime<Utc>,
) -> Result<Rung, ServiceError> {
    let ranked = rank_recipients(txn, need, now).await?;
    let mut chosen: Vec<Candidate> = Vec::new();
    for chunk in ranked.chunks(CAP_CHUNK) {
        let room = policy.rung_size.saturating_sub(chosen.len());
        if room == 0 {
            break;
        }
        let counts = counted_alerts(txn, chunk, now).await?;
        let counted = |m: i64, day: NaiveDate| counts.get(&(m, day)).copied().unwrap_or(0);
        chosen.extend(rules::fill_rung(chunk, room, counted));
    }
    // The chosen merchants in one query, not one each.
    let merchants: HashMap<i64, merchant::Model> = merchant::Entity::find()
        .filter(merchant::Column::Id.is_in(chosen.iter().map(|c| c.merchant_id)))
        .all(txn)
        .await?
        .into_iter()
        .map(|m| (m.id, m))
        .collect();
    let mut picked = Vec::with_capacity(chosen.len());
    for c in &chosen {
        let Some(m) = merchants.get(&c.merchant_id) else {
            continue;
        };
        if queue_alert(txn, need, c, m, rung, now).await? {
            picked.push(c.merchant_id);
        }
    }
    Ok(Rung {
        picked,
        eligible: ranked.len(),
    })
}

/// Every merchant that may hear of `need` now, best fit first (before daily caps).
pub async fn rank_recipients<C: ConnectionTrait>(
    conn: &C,
    need: &need::Model,
    now: DateTime<Utc>,
) -> Result<Vec<Candidate>, ServiceError> {
    let communities = matching::communities(conn).await?;
    let merchants = matching::alertable(conn, &communities).await?;
    let settings = alert_settings::all(conn).await?;
    let alerted: HashSet<i64> = need_alert::Entity::find()
        .select_only()
        .column(need_alert::Column::MerchantId)
        .filter(need_alert::Column::NeedId.eq(need.id))
        .into_tuple::<i64>()
        .all(conn)
        .await?
        .into_iter()
        .collect();
    let row = matching::NeedRow::from(need);
    let facts = matching::need_facts(&row, &communities, now);
    let defaults = rules::AlertSettings::default();
    let need_subdistrict = communities.get(&row.community_id).map(|c| c.subdistrict_id);
    // Relevance does not depend on claims: filter first, count claims for the rest only.
    let eligible: Vec<&matching::MerchantBase> = merchants
        .iter()
        .filter(|m| {
            let s = settings.get(&m.id).unwrap_or(&defaults);
            if !need_subdistrict.is_some_and(|need| rules::within_reach(s, m.subdistrict_id, need)) {
                return false;
            }
            let fits = relevant(&facts, &m.facts(&matching::Usage::default()));
            rules::eligible(fits, s, row.category, row.community_id, alerted.contains(&m.id))
        })
        .collect();
    let ids: Vec<i64> = eligible.iter().map(|m| m.id).collect();
    let usage = matching::usage_for(conn, &ids, row.category, now).await?;
    let mut ranked: Vec<Candidate> = eligible
        .into_iter()
        .map(|m| {
            let s = settings.get(&m.id).unwrap_or(&defaults);
            let used = usage.get(&m.id).cloned().unwrap_or_default();
            Candidate {
                merchant_id: m.id,
                score: score(&facts, &m.facts(&used)),
                first: rules::offered_first(row.urgent, CreditBand::of_score(m.credit)),
                plan: rules::plan(s, row.urgent, now),
                daily_cap: s.daily_cap,
            }
        })
        .collect();
    rules::rank(&mut ranked);
    Ok(ranked)
}

/// Alerts counted against the caps of `chunk`'s merchants, by merchant and local day, for
/// the days their alerts may land on.
async fn counted_alerts<C: ConnectionTrait>(
    conn: &C,
    chunk: &[Candidate],
    now: DateTime<Utc>,
) -> Result<HashMap<(i64, NaiveDate), u32>, ServiceError> {
    let ids: Vec<i64> = chunk.iter().map(|c| c.merchant_id).collect();
    let first = local_midnight(local_date(now));
    let last = chunk.iter().map(|c| c.plan.deliver_at).max().unwrap_or(now);
    let until = local_midnight(local_date(last) + Duration::days(1));
    let rows: Vec<(i64, DateTime<Utc>)> = need_alert::Entity::find()
        .select_only()
        .column(need_alert::Column::MerchantId)
        .column(need_alert::Column::DeliverAt)
        .filter(need_alert::Column::MerchantId.is_in(ids))
        .filter(need_alert::Column::CountsToCap.eq(true))
        .filter(need_alert::Column::DeliverAt.gte(first))
        .filter(need_alert::Column::DeliverAt.lt(until))
        .into_tuple()
        .all(conn)
        .await?;
    let mut counts = HashMap::new();
    for (m, at) in rows {
        *counts.entry((m, local_date(at))).or_insert(0) += 1;
    }
    Ok(counts)
}

/// Records the alert of `need` to `c` and, unless it waits for a digest, queues its
/// message for `deliver_at`. False when the merchant was alerted of it already.
async fn queue_alert<C: ConnectionTrait>(
    txn: &C,
    need: &need::Model,
    c: &Candidate,
    m: &merchant::Model,
    rung: i32,
    now: DateTime<Utc>,
) -> Result<bool, ServiceError> {
    let row = need_alert::ActiveModel {
        need_id: Set(need.id),
        merchant_id: Set(c.merchant_id),
        rung: Set(rung),
        mode: Set(c.plan.mode.as_str().to_owned()),
        deliver_at: Set(c.plan.deliver_at),
        counts_to_cap: Set(c.plan.counts_to_cap),
        digest_key: Set(None),
        created_at: Set(now),
        ..Default::default()
    };
    let inserted = need_alert::Entity::insert(row)
        .on_conflict(
            sea_orm::sea_query::OnConflict::columns([need_alert::Column::NeedId, need_alert::Column::MerchantId])
                .do_nothing()
                .to_owned(),
        )
        .try_insert()
        .exec(txn)
        .await?;
    if !matches!(inserted, sea_orm::TryInsertResult::Inserted(_)) {
        return Ok(false);
    }
    if c.plan.mode == AlertMode::Instant {
        // Only the need's id and public title: the card is rendered when sent, from the
        // need as it is then (and not sent if it closed meanwhile).
        let alert = Notification::MerchantNeedAlert(NeedAlert {
            need_id: need.id,
            title: Some(need.title.clone()),
            digest_number: None,
            asked_by: None,
        });
        let message = recipients::merchant(m, &alert, format!("need:{}:alert:merchant:{}", need.id, m.id));
        enqueue_at(txn, message, now, c.plan.deliver_at).await?;
    }
    Ok(true)
}

/// Runs the ladder jobs as of `now`: due rungs, near-deadline flags, then due digests.
pub async fn run_ladder(
    db: &DatabaseConnection,
    policy: &LadderPolicy,
    now: DateTime<Utc>,
) -> Result<LadderReport, ServiceError> {
    let mut report = LadderReport::default();
    climb_due(db, policy, now, &mut report).await?;
    report.flagged += flag_near_deadline(db, policy, now).await?;
    report.digests += queue_digests(db, now).await?;
    Ok(report)
}

/// Climbs every ladder whose next rung is due, each in its own transaction.
async fn climb_due(
    db: &DatabaseConnection,
    policy: &LadderPolicy,
    now: DateTime<Utc>,
    report: &mut LadderReport,
) -> Result<(), ServiceError> {
    let due: Vec<i64> = need_ladder::Entity::find()
        .select_only()
        .column(need_ladder::Column::NeedId)
        .filter(need_ladder::Column::NextRungAt.lte(now))
        .order_by_asc(need_ladder::Column::NextRungAt)
        .limit(BATCH)
        .into_tuple()
        .all(db)
        .await?;
    for need_id in due {
        let txn = db::begin_write(db).await?;
        let ladder = need_ladder::Entity::find_by_id(need_id)
            .lock_exclusive()
            .one(&txn)
            .await?;
        let Some(ladder) = ladder.filter(|l| l.next_rung_at.is_some_and(|at| at <= now)) else {
            continue; // another process climbed it meanwhile
        };
        let Some(n) = need::Entity::find_by_id(need_id).one(&txn).await? else {
            continue;
        };
        let status = n.status;
        let next = match ladder_step(status) {
            LadderStep::End => None,
            LadderStep::Wait | LadderStep::Climb => Some(rules::next_rung_at(policy, now)),
        };
        let climbing = ladder_step(status) == LadderStep::Climb;
        let rung = if climbing { ladder.rung + 1 } else { ladder.rung };
        let moved = need_ladder::Entity::update_many()
            .col_expr(need_ladder::Column::Rung, Expr::val(rung))
            .col_expr(need_ladder::Column::NextRungAt, Expr::val(next))
            .col_expr(need_ladder::Column::UpdatedAt, Expr::val(now))
            .filter(need_ladder::Column::NeedId.eq(need_id))
            .filter(need_ladder::Column::Rung.eq(ladder.rung))
            .filter(need_ladder::Column::NextRungAt.lte(now))
            .exec(&txn)
            .await?;
        if moved.rows_affected != 1 || !climbing {
            txn.commit().await?;
            continue;
        }
        let done = climb(&txn, &n, rung, policy, now).await?;
        report.rungs += 1;
        report.alerts += done.picked.len() as u64;
        if let Some(reason) = rules::flag_after_rung(done.eligible) {
            need_ladder::Entity::update_many()
                .col_expr(
                    need_ladder::Column::NextRungAt,
                    Expr::val(Option::<DateTime<Utc>>::None),
                )
                .filter(need_ladder::Column::NeedId.eq(need_id))
                .exec(&txn)
                .await?;
            if flag(&txn, &n, reason, now).await? {
                report.flagged += 1;
            }
        }
        txn.commit().await?;
    }
    Ok(())
}

/// Flags `need` to the office as unclaimed and aging, once; audited. False when it was
/// flagged before.
async fn flag<C: ConnectionTrait>(
    txn: &C,
    need: &need::Model,
    reason: FlagReason,
    now: DateTime<Utc>,
) -> Result<bool, ServiceError> {
    let flagged = need_ladder::Entity::update_many()
        .col_expr(need_ladder::Column::FlaggedAt, Expr::val(now))
        .col_expr(need_ladder::Column::FlagReason, Expr::val(reason.as_str()))
        .col_expr(need_ladder::Column::UpdatedAt, Expr::val(now))
        .filter(need_ladder::Column::NeedId.eq(need.id))
        .filter(need_ladder::Column::FlaggedAt.is_null())
        .exec(txn)
        .await?;
    if flagged.rows_affected != 1 {
        return Ok(false);
    }
    audit::record(
        txn,
        now,
        Entry::ok(Actor::System, "need.flag_aging")
            .subject("need", need.id)
            .organization(Some(need.organization_id))
            .detail(
                serde_json::json!({ "reason": reason.as_str(), "claimed": need.claimed, "quantity": need.quantity }),
            ),
    )
    .await?;
    Ok(true)
}

/// Flags open needs whose deadline is near and that were not flagged yet.
async fn flag_near_deadline(
    db: &DatabaseConnection,
    policy: &LadderPolicy,
    now: DateTime<Utc>,
) -> Result<u64, ServiceError> {
    let cutoff = rules::near_deadline_cutoff(policy, now);
    let sql = "SELECT l.need_id FROM need_ladders l JOIN needs n ON n.id = l.need_id \
        WHERE l.flagged_at IS NULL AND n.status = ? AND n.deadline <= ? ORDER BY n.deadline, l.need_id LIMIT ?";
    let stmt = db::statement(
        db,
        sql,
        vec![NeedStatus::Open.as_str().into(), cutoff.into(), (BATCH as i64).into()],
    );
    let mut ids = Vec::new();
    for row in db.query_all_raw(stmt).await? {
        ids.push(
            row.try_get_by_index::<i64>(0)
                .map_err(|e| ServiceError::Internal(e.to_string()))?,
        );
    }
    let mut flagged = 0;
    for id in ids {
        let txn = db::begin_write(db).await?;
        let Some(n) = need::Entity::find_by_id(id).one(&txn).await? else {
            continue;
        };
        if n.status == NeedStatus::Open
            && rules::deadline_near(policy, n.deadline, now)
            && flag(&txn, &n, FlagReason::NearDeadline, now).await?
        {
            flagged += 1;
        }
        txn.commit().await?;
    }
    Ok(flagged)
}

/// Gathers each merchant's due digest alerts into one message.
async fn queue_digests(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<u64, ServiceError> {
    let merchants: Vec<i64> = need_alert::Entity::find()
        .select_only()
        .column(need_alert::Column::MerchantId)
        .distinct()
        .filter(need_alert::Column::Mode.eq(AlertMode::Digest.as_str()))
        .filter(need_alert::Column::DigestKey.is_null())
        .filter(need_alert::Column::DeliverAt.lte(now))
        .limit(BATCH)
        .into_tuple()
        .all(db)
        .await?;
    let mut queued = 0;
    for merchant_id in merchants {
        if queue_digest(db, merchant_id, now).await? {
            queued += 1;
        }
    }
    Ok(queued)
}

/// One merchant's digest: marks its due digest alerts with a key made from the first of
/// them and queues, under that key, a heading and then one card a need, each with its own
/// buttons (rows of one chat are sent in the order queued). Under the merchant's lock, so two
/// processes never gather the same alerts; a key already queued means another process
/// won, and nothing is written.
async fn queue_digest(db: &DatabaseConnection, merchant_id: i64, now: DateTime<Utc>) -> Result<bool, ServiceError> {
    let txn = db::begin_write(db).await?;
    db::lock_merchant(&txn, merchant_id).await?;
    let due = || {
        need_alert::Entity::find()
            .filter(need_alert::Column::MerchantId.eq(merchant_id))
            .filter(need_alert::Column::Mode.eq(AlertMode::Digest.as_str()))
            .filter(need_alert::Column::DigestKey.is_null())
            .filter(need_alert::Column::DeliverAt.lte(now))
    };
    let Some(first) = due().order_by_asc(need_alert::Column::Id).one(&txn).await? else {
        return Ok(false);
    };
    let key = format!("merchant:{merchant_id}:digest:{}", first.id);
    need_alert::Entity::update_many()
        .col_expr(need_alert::Column::DigestKey, Expr::val(key.clone()))
        .filter(need_alert::Column::MerchantId.eq(merchant_id))
        .filter(need_alert::Column::Mode.eq(AlertMode::Digest.as_str()))
        .filter(need_alert::Column::DigestKey.is_null())
        .filter(need_alert::Column::DeliverAt.lte(now))
        .exec(&txn)
        .await?;
    let need_ids: Vec<i64> = need_alert::Entity::find()
        .select_only()
        .column(need_alert::Column::NeedId)
        .filter(need_alert::Column::DigestKey.eq(key.clone()))
        .order_by_asc(need_alert::Column::Id)
        .into_tuple()
        .all(&txn)
        .await?;
    let Some(m) = merchant::Entity::find_by_id(merchant_id).one(&txn).await? else {
        return Ok(false);
    };
    // `cards_follow`: rows queued before the cards were messages of their own list the needs in the heading.
    let digest = Notification::MerchantNeedDigest(NeedDigest {
        need_ids: need_ids.clone(),
        date: Some(local_date(first.deliver_at).to_string()),
        cards_follow: true,
    });
    if !enqueue(&txn, recipients::merchant(&m, &digest, key.clone()), now).await? {
        return Ok(false); // dropped: the transaction rolls back
    }
    for (i, need_id) in need_ids.iter().enumerate() {
        let card = Notification::MerchantNeedAlert(NeedAlert {
            need_id: *need_id,
            title: None,
            digest_number: u64::try_from(i + 1).ok(),
            asked_by: None,
        });
        let message = recipients::merchant(&m, &card, format!("{key}:need:{need_id}"));
        if !enqueue(&txn, message, now).await? {
            return Ok(false);
        }
    }
    txn.commit().await?;
    Ok(true)
}

/// Queues the reminder of active claims due within a day, once per claim. Claims whose
/// whole lease is two days or less get only the half-time reminder.
pub async fn queue_due_tomorrow(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<u64, ServiceError> {
    let due = claim::Entity::find()
        .filter(claim::Column::Status.eq(ClaimStatus::Active))
        .filter(claim::Column::DueAt.gt(now))
        .filter(claim::Column::DueAt.lte(now + Duration::days(1)))
        .order_by_asc(claim::Column::Id)
        .limit(500)
        .all(db)
        .await?;
    let mut queued = 0;
    for c in due.into_iter().filter(|c| c.due_at - c.created_at > Duration::days(2)) {
        let (Some(m), Some(n)) = (
            merchant::Entity::find_by_id(c.merchant_id).one(db).await?,
            need::Entity::find_by_id(c.need_id).one(db).await?,
        ) else {
            continue;
        };
        let reminder = Notification::MerchantClaimReminder(ClaimNotice {
            claim_id: c.id,
            need_id: n.id,
            title: n.title,
            quantity: Some(i64::from(c.quantity)),
            unit: Some(n.unit),
            due_date: Some(local_date(c.due_at).to_string()),
            stage: Some("day_before".to_owned()),
            category: Some(n.category),
            ..ClaimNotice::default()
        });
        let message = recipients::merchant(&m, &reminder, format!("claim:{}:reminder-day-before", c.id));
        if enqueue(db, message, now).await? {
            queued += 1;
        }
    }
    Ok(queued)
}

/// Needs flagged as unclaimed and aging that are still open, oldest flag first, for the
/// dashboard, within `scope`.
pub async fn aging_needs<C: ConnectionTrait>(
    conn: &C,
    scope: super::access::OrgScope,
    limit: u64,
) -> Result<Vec<(need::Model, FlagReason)>, ServiceError> {
    let mut query = need::Entity::find()
        .inner_join(need_ladder::Entity)
        .select_also(need_ladder::Entity)
        .filter(need::Column::Status.eq(NeedStatus::Open))
        .filter(need_ladder::Column::FlaggedAt.is_not_null());
    query = query.filter(scope.condition(need::Column::OrganizationId));
    let rows = query
        .order_by_asc(need_ladder::Column::FlaggedAt)
        .order_by_asc(need::Column::Id)
        .limit(limit)
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(n, l)| {
            let reason = l
                .and_then(|l| l.flag_reason)
                .and_then(|r| r.parse().ok())
                .unwrap_or(FlagReason::LadderExhausted);
            (n, reason)
        })
        .collect())
}
