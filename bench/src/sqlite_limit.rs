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
    rows(
        &txn,
        "SELECT m.*, r.* FROM merchants m CROSS JOIN (SELECT \
         COALESCE(SUM(CASE WHEN delivered_at IS NOT NULL AND status IN ('delivered','confirmed') AND delivered_at <= due_at THEN 1 ELSE 0 END), 0) AS rec_on_time, \
         COALESCE(SUM(CASE WHEN delivered_at IS NOT NULL AND status IN ('delivered','confirmed') AND delivered_at > due_at THEN 1 ELSE 0 END), 0) AS rec_late, \
         COALESCE(SUM(CASE WHEN status = 'lapsed' THEN 1 ELSE 0 END), 0) AS rec_lapsed, \
         COALESCE(SUM(CASE WHEN status = 'lapsed' AND ended_at >= ? THEN 1 ELSE 0 END), 0) AS rec_recent_lapses, \
         COALESCE(SUM(CASE WHEN rating IS NOT NULL THEN rating ELSE 0 END), 0) AS rec_rating_sum, \
         COALESCE(SUM(CASE WHEN rating IS NOT NULL THEN 1 ELSE 0 END), 0) AS rec_ratings, \
         COALESCE(SUM(CASE WHEN status IN ('active','disputed') THEN 1 ELSE 0 END), 0) AS rec_holding, \
         (SELECT COUNT(*) FROM (SELECT 1 FROM claims l WHERE l.merchant_id = ? AND l.status = 'lapsed' \
         AND NOT EXISTS (SELECT 1 FROM claims d WHERE d.merchant_id = l.merchant_id AND d.status IN ('delivered','confirmed') \
         AND (d.updated_at > l.updated_at OR (d.updated_at = l.updated_at AND d.id > l.id))) LIMIT 2) s) AS rec_streak \
         FROM claims WHERE merchant_id = ?) r WHERE m.id = ?",
        &[&since, &m, &m, &m],
    )?;
    let returned: Option<(i64, Option<i64>)> = txn
        .prepare_cached(
            "UPDATE needs SET claimed = claimed + 1, status = (CASE WHEN (claimed + 1 = quantity) THEN 'fully_claimed' ELSE status END), \
             version = version + 1, updated_at = ? WHERE id = ? AND status = 'open' AND quantity - claimed >= 1 RETURNING *",
        )?
        .query_row(params![now_s, n], |r| Ok((r.get("beneficiary_id")?, r.get("posted_by")?)))
        .optional()?;
    let Some((beneficiary, poster)) = returned else {
        anyhow::bail!("need {n} has nothing left");
    };
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
    let contact: Option<i64> = txn
        .prepare_cached(
            "SELECT contacts.*, staff.* FROM beneficiaries LEFT JOIN contacts ON contacts.id = beneficiaries.contact_id \
             LEFT JOIN staff ON staff.id = ? WHERE beneficiaries.id = ?",
        )?
        .query_row(params![poster, beneficiary], |r| r.get(0))
        .optional()?
        .flatten();
    // The three messages in one INSERT, as the service writes them.
    let payload = format!(
        "{{\"claim_id\":{claim_id},\"need_id\":{n},\"quantity\":1,\"title\":\"food for a family\",\"unit\":\"unit\"}}"
    );
    // (channel, recipient, contact, merchant, kind)
    type Row<'a> = (&'a str, String, Option<i64>, Option<i64>, &'a str);
    let mut messages: Vec<Row> = vec![("telegram", m.to_string(), None, Some(m), "merchant-claim-confirmed")];
    if let Some(c) = contact {
        messages.push((
            "email",
            format!("resident-{c}@bench.invalid"),
            Some(c),
            None,
            "resident-need-claimed",
        ));
    }
    if poster.is_some() {
        messages.push((
            "email",
            "worker@bench.invalid".into(),
            None,
            None,
            "worker-need-claimed",
        ));
    }
    let mut sql = String::from(
        "INSERT INTO outbox (channel, recipient, contact_id, merchant_id, kind, locale, payload, dedupe_key, message_id, status, \
         attempts, next_attempt_at, locked_until, last_error, created_at, sent_at) VALUES ",
    );
    let mut values: Vec<Box<dyn rusqlite::ToSql>> = Vec::new();
    for (i, (channel, recipient, contact, merchant, kind)) in messages.into_iter().enumerate() {
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str("(?, ?, ?, ?, ?, 'zh-CN', ?, ?, ?, 'pending', 0, ?, NULL, NULL, ?, NULL)");
        values.push(Box::new(channel.to_owned()));
        values.push(Box::new(recipient));
        values.push(Box::new(contact));
        values.push(Box::new(merchant));
        values.push(Box::new(kind.to_owned()));
        values.push(Box::new(payload.clone()));
        values.push(Box::new(format!("claim:{claim_id}:{kind}")));
        values.push(Box::new(format!("<{claim_id}.{kind}@charity-relay>")));
        values.push(Box::new(now_s.clone()));
        values.push(Box::new(now_s.clone()));
    }
    sql.push_str(" ON CONFLICT (dedupe_key) DO NOTHING RETURNING id");
    let refs: Vec<&dyn rusqlite::ToSql> = values.iter().map(|v| v.as_ref()).collect();
    rows(&txn, &sql, &refs)?;
    txn.commit()?;
    Ok(())
}
