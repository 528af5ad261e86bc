//! Merchants claim, deliver and release over the API while the real server is killed with
//! SIGKILL at random moments, twenty times, and started again each time. Nothing a client
//! was told survives only in memory: every claim answered 201 is in the database, every
//! need's counter equals its live claims, a claim retried with its Idempotency-Key after the
//! crash is made at most once, and every email goes out — twice only when the kill fell
//! between the SMTP server's acceptance and the outbox recording it, which no sender can
//! avoid, and then with the same Message-ID.
//!
//! Ignored by default (it takes a minute or two): `scripts/hardening.sh` runs it, on SQLite
//! and, with `TEST_DATABASE_URL`, on PostgreSQL.

mod support;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use charity_relay::notify::Settings;
use rand::Rng;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use support::serve::ServeProcess;
use support::world::confirm_contact;
use support::{SmtpSink, TestApp, scalar_i64, set};

const KILLS: usize = 20;
const MERCHANTS: usize = 8;
const WORKERS_PER_MERCHANT: usize = 2;
/// Claims that still hold their units.
const LIVE: &str = "('active','delivered','confirmed','disputed')";

/// A claim request, with its Idempotency-Key.
struct ClaimRequest {
    merchant: usize,
    key: String,
    need: i64,
    quantity: i64,
}

impl ClaimRequest {
    /// Sends it to the server at `base`; `None` when no whole answer came back.
    async fn send(&self, client: &reqwest::Client, base: &str, token: &str) -> Option<(u16, serde_json::Value)> {
        let answer = client
            .post(format!("{base}/api/v1/needs/{}/claims", self.need))
            .bearer_auth(token)
            .header("Idempotency-Key", &self.key)
            .json(&serde_json::json!({ "quantity": self.quantity }))
            .send()
            .await
            .ok()?;
        let status = answer.status().as_u16();
        Some((status, answer.json().await.ok()?))
    }
}

/// What the clients were told, across all runs.
#[derive(Default)]
struct Ledger {
    /// Claims answered 201 (or 200 to a retry), by id.
    claimed: HashSet<i64>,
    /// Claims whose release was answered 200.
    released: HashSet<i64>,
    /// Claims whose delivery was answered 200.
    delivered: HashSet<i64>,
    /// Claim requests cut short by a kill, to retry with their key.
    cut: Vec<ClaimRequest>,
    /// Cut claim requests retried so far.
    retried: usize,
    /// Each merchant's claims that are active as far as it knows.
    active: Vec<Vec<i64>>,
    /// Answers no client should get.
    unexpected: Vec<String>,
}

type Shared = Arc<Mutex<Ledger>>;

fn lock(ledger: &Shared) -> std::sync::MutexGuard<'_, Ledger> {
    ledger.lock().unwrap_or_else(|p| p.into_inner())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "kills a real server 20 times (about a minute); run by scripts/hardening.sh"]
async fn twenty_kill_9s_under_claim_load_lose_no_claim_and_send_each_email_once() {
    let started = Instant::now();
    let sink = SmtpSink::start();
    let smtp = sink.url();
    // Seeded in-process, then served by the binary: same database, same secret key.
    let app = TestApp::spawn_without_dispatcher(|env| {
        set(env, "RELAY_SMTP_URL", &smtp);
        set(env, "RELAY_EMAIL_HOURLY_LIMIT", "0");
    })
    .await;
    let world = app.world(MERCHANTS).await;
    for m in &world.merchants {
        app.give_good_record(&world, m.id, 40).await; // a limit of 20 active claims each
    }
    for resident in ["resident0@example.org", "resident1@example.org"] {
        confirm_contact(&app, resident).await;
    }
    let mut needs = Vec::new();
    for i in 0..30 {
        let org = if i % 2 == 0 { world.a() } else { world.b() };
        // Small needs fill up and reopen on releases; large ones keep the load going.
        needs.push(app.post_need(org, if i % 3 == 0 { 6 } else { 400 }).await);
    }
    let tokens: Vec<String> = world.merchants.iter().map(|m| m.token.clone()).collect();
    let merchant_ids: Vec<i64> = world.merchants.iter().map(|m| m.id).collect();
    let mut env = app.env.clone();
    env.insert("RUST_LOG".into(), "warn".into());
    let log = app.dir().join("serve.log");
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .expect("client");
    let ledger: Shared = Arc::new(Mutex::new(Ledger {
        active: vec![Vec::new(); MERCHANTS],
        ..Default::default()
    }));
    let in_flight_bound = Settings::default().concurrency;
    let mut in_doubt: HashSet<String> = HashSet::new();

    for kill in 1..=KILLS {
        let server = ServeProcess::start(&env, &log).await;
        retry_cut_claims(&client, &server, &tokens, &merchant_ids, &app.db, &ledger).await;

        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut workers = tokio::task::JoinSet::new();
        for (merchant, token) in tokens.iter().enumerate() {
            for _ in 0..WORKERS_PER_MERCHANT {
                workers.spawn(merchant_at_work(
                    client.clone(),
                    server.url.clone(),
                    token.clone(),
                    merchant,
                    needs.clone(),
                    ledger.clone(),
                    stop.clone(),
                ));
            }
        }
        let moment = Duration::from_millis(rand::rng().random_range(300..2500));
        tokio::time::sleep(moment).await;
        server.kill_9().await;
        stop.store(true, std::sync::atomic::Ordering::SeqCst);
        workers.join_all().await;
        // A message whose last line left just before the kill may still be taken in.
        tokio::time::sleep(Duration::from_millis(300)).await;

        assert_claims_hold(&app.db, &ledger, &needs, kill).await;
        let unrecorded = received_but_not_recorded(&app.db, &sink).await;
        let new: Vec<&String> = unrecorded.difference(&in_doubt).collect();
        assert!(
            new.len() <= in_flight_bound,
            "kill {kill}: {} messages reached the SMTP server without being recorded as sent, \
             more than the {in_flight_bound} sends a dispatcher has in flight",
            new.len()
        );
        in_doubt.extend(unrecorded);
    }

    // The killed dispatchers' leases would run out after five minutes; the test does not
    // wait for that, it ends them as the clock would.
    app.db
        .execute_raw(charity_relay::db::statement(
            &app.db,
            "UPDATE outbox SET locked_until = ? WHERE locked_until IS NOT NULL AND status IN ('pending','failed')",
            vec![(chrono::Utc::now() - chrono::Duration::seconds(1)).into()],
        ))
        .await
        .expect("end the dead leases");
    let server = ServeProcess::start(&env, &log).await;
    retry_cut_claims(&client, &server, &tokens, &merchant_ids, &app.db, &ledger).await;
    assert_claims_hold(&app.db, &ledger, &needs, KILLS + 1).await;
    wait_for_the_email_outbox_to_drain(&app.db).await;
    server.stop().await;

    let ledger = std::mem::take(&mut *lock(&ledger));
    assert!(
        ledger.unexpected.is_empty(),
        "unexpected answers: {:?}",
        ledger.unexpected
    );
    assert!(ledger.retried > 0, "some claims were cut short by a kill");
    assert!(
        ledger.claimed.len() > 200,
        "the load made enough claims to mean something: {}",
        ledger.claimed.len()
    );
    let unsent = query_strings(
        &app.db,
        "SELECT kind || ' ' || status || ': ' || COALESCE(last_error, '') FROM outbox \
         WHERE channel = 'email' AND status <> 'sent' AND kind <> 'contact-consent'",
    )
    .await;
    // The residents were confirmed by hand before their confirmation requests went out.
    assert!(unsent.is_empty(), "every notification was sent: {unsent:?}");

    let mut copies: HashMap<String, usize> = HashMap::new();
    for m in sink.received() {
        assert_eq!(m.to.len(), 1, "one recipient a message");
        *copies.entry(m.unique_id()).or_default() += 1;
    }
    let sent = query_strings(
        &app.db,
        "SELECT message_id FROM outbox WHERE channel = 'email' AND status = 'sent'",
    )
    .await;
    let sent: HashSet<String> = sent.iter().map(|id| support::smtp::unique_part(id)).collect();
    assert!(
        copies.keys().all(|id| sent.contains(id)),
        "only messages recorded as sent arrived"
    );
    for id in sent {
        let got = copies.get(&id).copied().unwrap_or(0);
        let expected = if in_doubt.contains(&id) { 2 } else { 1 };
        assert_eq!(
            got,
            expected,
            "message {id} arrived {got} times; expected {expected} (in doubt at a kill: {})",
            in_doubt.contains(&id)
        );
    }
    let total: usize = copies.values().sum();
    eprintln!(
        "{KILLS} kills in {:?}: {} claims answered 201, {} released, {} delivered, {} cut and retried; \
         {total} emails received, {} sent again after a kill",
        started.elapsed(),
        ledger.claimed.len(),
        ledger.released.len(),
        ledger.delivered.len(),
        ledger.retried,
        in_doubt.len()
    );
}

/// One merchant's client: claims a random need, and when it holds enough, delivers or
/// releases one; until the server is gone.
async fn merchant_at_work(
    client: reqwest::Client,
    base: String,
    token: String,
    merchant: usize,
    needs: Vec<i64>,
    ledger: Shared,
    stop: Arc<std::sync::atomic::AtomicBool>,
) {
    while !stop.load(std::sync::atomic::Ordering::SeqCst) {
        let (finish_one, need, quantity, key) = {
            let mut rng = rand::rng();
            let holding = lock(&ledger).active[merchant].len();
            (
                holding > 0 && rng.random_bool(if holding >= 8 { 0.6 } else { 0.2 }),
                needs[rng.random_range(0..needs.len())],
                rng.random_range(1..=3i64),
                charity_relay::crypto::random_token(12),
            )
        };
        if finish_one {
            let taken = {
                let mut l = lock(&ledger);
                let mine = &mut l.active[merchant];
                let i = rand::rng().random_range(0..mine.len());
                mine.swap_remove(i)
            };
            let deliver = rand::rng().random_bool(0.6);
            let action = if deliver { "delivered" } else { "release" };
            let answer = client
                .post(format!("{base}/api/v1/claims/{taken}/{action}"))
                .bearer_auth(&token)
                .send()
                .await;
            let Ok(answer) = answer else { return };
            let status = answer.status().as_u16();
            let mut l = lock(&ledger);
            match status {
                200 if deliver => {
                    l.delivered.insert(taken);
                }
                200 => {
                    l.released.insert(taken);
                }
                429 => l.active[merchant].push(taken),
                other => l.unexpected.push(format!("{action} {taken}: {other}")),
            }
            continue;
        }
        let request = ClaimRequest {
            merchant,
            key,
            need,
            quantity,
        };
        let Some((status, body)) = request.send(&client, &base, &token).await else {
            lock(&ledger).cut.push(request); // the kill fell before the whole answer came
            return;
        };
        match (status, body["type"].as_str()) {
            (201, _) => {
                let id = body["id"].as_i64().expect("claim id");
                let mut l = lock(&ledger);
                l.claimed.insert(id);
                l.active[merchant].push(id);
            }
            (409, Some("not-enough-left" | "need-not-open" | "claim-limit-reached")) => {}
            (429, _) => tokio::time::sleep(Duration::from_millis(200)).await,
            (other, kind) => lock(&ledger)
                .unexpected
                .push(format!("claim need {need}: {other} {kind:?}")),
        }
    }
}

/// Sends again, with the same Idempotency-Key, every claim whose answer was lost: it is
/// made now if the kill came first, or answered with the claim made then — never twice.
async fn retry_cut_claims(
    client: &reqwest::Client,
    server: &ServeProcess,
    tokens: &[String],
    merchant_ids: &[i64],
    db: &DatabaseConnection,
    ledger: &Shared,
) {
    let cut = std::mem::take(&mut lock(ledger).cut);
    lock(ledger).retried += cut.len();
    for c in cut {
        let (status, body) = c
            .send(client, &server.url, &tokens[c.merchant])
            .await
            .expect("the restarted server answers");
        let rows = scalar_i64(
            db,
            &format!(
                "SELECT COUNT(*) FROM claims WHERE merchant_id = {} AND idempotency_key = '{}'",
                merchant_ids[c.merchant], c.key
            ),
        )
        .await;
        match status {
            200 | 201 => {
                assert_eq!(rows, 1, "a retried claim is made once: {body}");
                let id = body["id"].as_i64().expect("claim id");
                let mut l = lock(ledger);
                l.claimed.insert(id);
                l.active[c.merchant].push(id);
            }
            409 => assert_eq!(rows, 0, "a refused claim left no row: {body}"),
            429 => lock(ledger).cut.push(c),
            other => panic!("retrying claim key {}: {other} {body}", c.key),
        }
    }
}

/// What the clients were told is what the database holds.
async fn assert_claims_hold(db: &DatabaseConnection, ledger: &Shared, needs: &[i64], kill: usize) {
    let (claimed, released, delivered) = {
        let l = lock(ledger);
        (l.claimed.clone(), l.released.clone(), l.delivered.clone())
    };
    let statuses: HashMap<i64, String> = query_pairs(db, "SELECT id, status FROM claims").await;
    let missing: Vec<&i64> = claimed.iter().filter(|id| !statuses.contains_key(id)).collect();
    assert!(
        missing.is_empty(),
        "kill {kill}: claims answered 201 are gone: {missing:?}"
    );
    for id in &released {
        assert_eq!(statuses[id], "released", "kill {kill}: claim {id} was released");
    }
    for id in &delivered {
        assert!(
            ["delivered", "confirmed"].contains(&statuses[id].as_str()),
            "kill {kill}: claim {id} was delivered, is {}",
            statuses[id]
        );
    }
    let need_list = needs.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    let off = query_strings(
        db,
        &format!(
            "SELECT n.id || ': claimed ' || n.claimed || ', live ' || COALESCE(SUM(c.quantity), 0) || ', ' || n.status \
             FROM needs n LEFT JOIN claims c ON c.need_id = n.id AND c.status IN {LIVE} \
             WHERE n.id IN ({need_list}) GROUP BY n.id, n.claimed, n.quantity, n.status \
             HAVING n.claimed <> COALESCE(SUM(c.quantity), 0) \
             OR (n.status = 'fully_claimed') <> (n.claimed = n.quantity)"
        ),
    )
    .await;
    assert!(
        off.is_empty(),
        "kill {kill}: needs whose counter is not their live claims: {off:?}"
    );
    let without_mail = scalar_i64(
        db,
        &format!(
            "SELECT COUNT(*) FROM claims c WHERE c.need_id IN ({need_list}) AND NOT EXISTS \
             (SELECT 1 FROM outbox o WHERE o.dedupe_key = 'claim:' || c.id || ':worker-claimed')"
        ),
    )
    .await;
    assert_eq!(
        without_mail, 0,
        "kill {kill}: a claim was written without its notification"
    );
}

/// Message-IDs the SMTP server took in whose outbox row is not marked sent.
async fn received_but_not_recorded(db: &DatabaseConnection, sink: &SmtpSink) -> HashSet<String> {
    let sent: HashSet<String> = query_strings(
        db,
        "SELECT message_id FROM outbox WHERE channel = 'email' AND status = 'sent'",
    )
    .await
    .into_iter()
    .map(|id| support::smtp::unique_part(&id))
    .collect();
    sink.received()
        .iter()
        .map(|m| m.unique_id())
        .filter(|id| !sent.contains(id))
        .collect()
}

async fn wait_for_the_email_outbox_to_drain(db: &DatabaseConnection) {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let waiting = scalar_i64(
            db,
            "SELECT COUNT(*) FROM outbox WHERE channel = 'email' AND status IN ('pending','failed','held')",
        )
        .await;
        if waiting == 0 {
            return;
        }
        assert!(Instant::now() < deadline, "{waiting} emails still waiting after 90 s");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn query_strings(db: &DatabaseConnection, sql: &str) -> Vec<String> {
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql.to_owned()))
        .await
        .expect("query")
        .iter()
        .map(|r| r.try_get_by_index::<String>(0).expect("text"))
        .collect()
}

async fn query_pairs(db: &DatabaseConnection, sql: &str) -> HashMap<i64, String> {
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql.to_owned()))
        .await
        .expect("query")
        .iter()
        .map(|r| {
            let id = r
                .try_get_by_index::<i64>(0)
                .or_else(|_| r.try_get_by_index::<i32>(0).map(i64::from))
                .expect("id");
            (id, r.try_get_by_index::<String>(1).expect("text"))
        })
        .collect()
}
