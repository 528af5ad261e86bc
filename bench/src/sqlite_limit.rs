//! The limit on SQLite: the service's claim transaction, statement for statement, through
//! the SQLite library itself (rusqlite, prepared statements, no pool and no async), on the
//! same WAL file and with the service's settings (`synchronous = NORMAL`, 10 s busy
//! timeout, `BEGIN IMMEDIATE`).

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rusqlite::{Connection, OptionalExtension, params};

use crate::stats::Histogram;

/// What one run measured.
pub struct Outcome {
    /// Clients (threads, one connection each).
    pub clients: usize,
    /// Committed claims.
    pub done: u64,
    /// Transactions that failed.
    pub errors: u64,
    /// Length of the run.
    pub took: Duration,
    /// Latency of each transaction.
    pub latency: Histogram,
}

impl Outcome {
    /// `clients tps p50 p99 errors`, tab-separated, for bench/run.sh.
    pub fn tsv(&self) -> String {
        format!(
            "{}\t{:.0}\t{:.2}\t{:.2}\t{}",
            self.clients,
            self.done as f64 / self.took.as_secs_f64(),
            self.latency.ms(0.5),
            self.latency.ms(0.99),
            self.errors
        )
    }
}

/// Runs claims from `clients` threads for `length` over `needs` by random `merchants`.
pub fn run(file: &Path, needs: &[i64], merchants: &[i64], clients: usize, length: Duration) -> anyhow::Result<Outcome> {
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let handles: Vec<_> = (0..clients)
        .map(|i| {
            let (file, needs, merchants, stop) = (file.to_owned(), needs.to_vec(), merchants.to_vec(), stop.clone());
            std::thread::spawn(move || client(&file, &needs, &merchants, i as u64, &stop))
        })
        .collect();
    std::thread::sleep(length);
    stop.store(true, Ordering::Relaxed);
    let mut out = Outcome {
        clients,
        done: 0,
        errors: 0,
        took: Duration::ZERO,
        latency: Histogram::new(),
    };
    for h in handles {
        let (done, errors, latency) = h.join().map_err(|_| anyhow::anyhow!("a client panicked"))??;
        out.done += done;
        out.errors += errors;
        out.latency.merge(&latency);
    }
    out.took = started.elapsed();
    Ok(out)
}

fn open(file: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(file)?;
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(conn)
}

fn client(
    file: &Path,
    needs: &[i64],
    merchants: &[i64],
    seed: u64,
    stop: &AtomicBool,
) -> anyhow::Result<(u64, u64, Histogram)> {
    let mut conn = open(file)?;
    let mut rng = StdRng::seed_from_u64(seed);
    let mut latency = Histogram::new();
    let (mut done, mut errors) = (0, 0);
    while !stop.load(Ordering::Relaxed) {
        let m = merchants[rng.random_range(0..merchants.len())];
        let n = needs[rng.random_range(0..needs.len())];
        let started = Instant::now();
        match claim(&mut conn, m, n) {
            Ok(()) => done += 1,
            Err(_) => errors += 1,
        }
        latency.record(started.elapsed());
    }
    Ok((done, errors, latency))
}

/// The statements of `claims::claim_need` for one unit, in its order.
fn claim(conn: &mut Connection, m: i64, n: i64) -> anyhow::Result<()> {
    let now = Utc::now();
    let ts = |t: chrono::DateTime<Utc>| t.format("%Y-%m-%d %H:%M:%S%.6f%:z").to_string();
    let (now_s, due, remind, since) = (
        ts(now),
        ts(now + chrono::Duration::days(7)),
        ts(now + chrono::Duration::days(3)),
        ts(now - chrono::Duration::days(90)),
    );
    let rows = |conn: &Connection, sql: &str, p: &[&dyn rusqlite::ToSql]| -> rusqlite::Result<usize> {
        let mut st = conn.prepare_cached(sql)?;
        let mut r = st.query(p)?;
        let mut count = 0;
        while r.next()?.is_some() {
            count += 1;
        }
        Ok(count)
    };
    rows(
        conn,
        "SELECT * FROM api_tokens WHERE merchant_id = ? AND revoked_at IS NULL LIMIT 1",
        &[&m],
    )?;
    let txn = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    rows(&txn, "SELECT * FROM merchants WHERE id = ? LIMIT 1", &[&m])?;
    rows(
        &txn,
        "SELECT COALESCE(SUM(CASE WHEN delivered_at IS NOT NULL AND status IN ('delivered','confirmed') AND delivered_at <= due_at THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN delivered_at IS NOT NULL AND status IN ('delivered','confirmed') AND delivered_at > due_at THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN status = 'lapsed' THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN status = 'lapsed' AND ended_at >= ? THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN rating IS NOT NULL THEN rating ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN rating IS NOT NULL THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN status IN ('active','disputed') THEN 1 ELSE 0 END), 0) FROM claims WHERE merchant_id = ?",
        &[&since, &m],
    )?;
    rows(
        &txn,
        "SELECT status FROM claims WHERE merchant_id = ? AND status IN ('lapsed','delivered','confirmed') \
         ORDER BY updated_at DESC, id DESC LIMIT 2",
        &[&m],
    )?;
    let changed = txn.prepare_cached(
        "UPDATE needs SET claimed = claimed + 1, status = (CASE WHEN (claimed + 1 = quantity) THEN 'fully_claimed' ELSE status END), \
         version = version + 1, updated_at = ? WHERE id = ? AND status = 'open' AND quantity - claimed >= 1",
    )?
    .execute(params![now_s, n])?;
    if changed != 1 {
        anyhow::bail!("need {n} has nothing left");
    }
    let (beneficiary, poster): (i64, Option<i64>) = txn
        .prepare_cached("SELECT *, beneficiary_id, posted_by FROM needs WHERE id = ? LIMIT 1")?
        .query_row([n], |r| Ok((r.get("beneficiary_id")?, r.get("posted_by")?)))?;
    let code: String = (0..6).map(|i| char::from(b'A' + ((n + m + i) % 26) as u8)).collect();
    let claim_id: i64 = txn
        .prepare_cached(
            "INSERT INTO claims (need_id, merchant_id, quantity, status, handoff_code, idempotency_key, due_at, remind_at, \
             reminded_at, delivered_at, confirmed_at, ended_at, rating, version, created_at, updated_at) \
             VALUES (?, ?, 1, 'active', ?, NULL, ?, ?, NULL, NULL, NULL, NULL, NULL, 0, ?, ?) RETURNING *",
        )?
        .query_row(params![n, m, code, due, remind, now_s, now_s], |r| r.get(0))?;
    rows(
        &txn,
        "INSERT INTO audit_log (at, actor_kind, actor_id, organization_id, action, subject_kind, subject_id, outcome, detail, request_id) \
         VALUES (?, 'api_token', ?, 1, 'claim.create', 'claim', ?, 'ok', ?, NULL) RETURNING *",
        &[&now_s, &m, &claim_id, &format!("{{\"need_id\":{n},\"quantity\":1}}")],
    )?;
    let outbox = |txn: &Connection,
                  channel: &str,
                  recipient: String,
                  contact: Option<i64>,
                  merchant: Option<i64>,
                  kind: &str| {
        let payload = format!(
            "{{\"claim_id\":{claim_id},\"need_id\":{n},\"quantity\":1,\"title\":\"food for a family\",\"unit\":\"unit\"}}"
        );
        rows(
            txn,
            "INSERT INTO outbox (channel, recipient, contact_id, merchant_id, kind, locale, payload, dedupe_key, message_id, status, \
             attempts, next_attempt_at, locked_until, last_error, created_at, sent_at) \
             VALUES (?, ?, ?, ?, ?, 'zh-CN', ?, ?, ?, 'pending', 0, ?, NULL, NULL, ?, NULL) ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
            &[
                &channel,
                &recipient,
                &contact,
                &merchant,
                &kind,
                &payload,
                &format!("claim:{claim_id}:{kind}"),
                &format!("<{claim_id}.{kind}@charity-relay>"),
                &now_s,
                &now_s,
            ],
        )
    };
    outbox(
        &txn,
        "telegram",
        m.to_string(),
        None,
        Some(m),
        "merchant-claim-confirmed",
    )?;
    let contact: Option<i64> = txn
        .prepare_cached("SELECT * FROM beneficiaries WHERE id = ? LIMIT 1")?
        .query_row([beneficiary], |r| r.get("contact_id"))
        .optional()?
        .flatten();
    if let Some(c) = contact {
        rows(&txn, "SELECT * FROM contacts WHERE id = ? LIMIT 1", &[&c])?;
    }
    if let Some(p) = poster {
        rows(&txn, "SELECT * FROM staff WHERE id = ? LIMIT 1", &[&p])?;
    }
    if let Some(c) = contact {
        outbox(
            &txn,
            "email",
            format!("resident-{c}@bench.invalid"),
            Some(c),
            None,
            "resident-need-claimed",
        )?;
    }
    if poster.is_some() {
        outbox(
            &txn,
            "email",
            "worker@bench.invalid".into(),
            None,
            None,
            "worker-need-claimed",
        )?;
    }
    txn.commit()?;
    Ok(())
}
