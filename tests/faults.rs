//! The service's neighbours fail and come back: PostgreSQL is restarted under load, the SMTP
//! server and the Telegram Bot API turn slow or reset every connection. Requests fail
//! cleanly or not at all, nothing is half written, the web stays responsive, and everything
//! recovers by itself once the neighbour is back.
//!
//! Ignored by default (they take a few seconds to half a minute each, and the PostgreSQL
//! ones run a server of their own): `scripts/hardening.sh` runs them.

mod support;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bots::Locale;
use support::pg_cluster::PgCluster;
use support::proxy::FaultyProxy;
use support::world::{World, confirm_contact};
use support::{SmtpSink, TestApp, scalar_i64, set};

/// Claims that still hold their units.
const LIVE: &str = "('active','delivered','confirmed','disputed')";

/// The answers a load of claims got, by status and problem type.
type Answers = Arc<Mutex<BTreeMap<String, usize>>>;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "runs a PostgreSQL server of its own and restarts it; run by scripts/hardening.sh"]
async fn a_postgresql_restart_under_load_fails_requests_cleanly_and_the_service_recovers_by_itself() {
    let cluster = PgCluster::start();
    let app = TestApp::spawn_on_server(&cluster.url("postgres"), |_| {}).await;
    // The operator restarts the database server: every session ends, new ones are refused.
    outage_under_claim_load(&app, || cluster.pg_ctl_stop(), || cluster.pg_ctl_start()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "runs a PostgreSQL server of its own; run by scripts/hardening.sh"]
async fn a_cut_network_to_postgresql_fails_requests_cleanly_and_the_service_recovers_by_itself() {
    let cluster = PgCluster::start();
    let server: std::net::SocketAddr = format!("127.0.0.1:{}", cluster.port).parse().expect("address");
    let network = FaultyProxy::start(server);
    let app = TestApp::spawn_on_server(&cluster.url("postgres"), |env| {
        let through_proxy =
            env["DATABASE_URL"].replace(&format!("127.0.0.1:{}/", cluster.port), &format!("{}/", network.addr));
        set(env, "DATABASE_URL", &through_proxy);
    })
    .await;
    // A switch between the service and the database fails: open connections are reset the
    // next time the service speaks on them, new ones are refused, until it is fixed.
    outage_under_claim_load(&app, || network.cut(), || network.pass()).await;
}

/// Merchants claim (and give back) in a loop while `outage` takes the database away for a
/// few seconds and `recovery` brings it back. While it is away, `/readyz` answers 503,
/// `/healthz` 200, a claim 503 with a problem document and a social worker's page 503
/// with a page saying why; afterwards the service recovers without help. No request ever fails another way, every claim answered 201 is
/// stored, and every need's counter equals its live claims.
async fn outage_under_claim_load(app: &TestApp, outage: impl FnOnce(), recovery: impl FnOnce()) {
    let world = app.world(6).await;
    for m in &world.merchants {
        app.give_good_record(&world, m.id, 40).await;
    }
    let mut needs = Vec::new();
    for i in 0..6 {
        needs.push(
            app.post_need(if i % 2 == 0 { world.a() } else { world.b() }, 5000)
                .await,
        );
    }
    let mut worker = app.login("worker0@example.org").await;
    let answers: Answers = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let load = claim_load(app, &world, &needs, answers.clone(), stop.clone());
    tokio::time::sleep(Duration::from_secs(1)).await;

    tokio::task::block_in_place(outage);
    let asked = Instant::now();
    let ready = app.get("/readyz").await;
    let readyz_took = asked.elapsed();
    assert_eq!(ready.status(), 503, "not ready while the database is away");
    // It says so within its 2 s bound, not after the pool's 5 s acquire timeout.
    assert!(readyz_took < Duration::from_secs(4), "/readyz took {readyz_took:?}");
    assert_eq!(app.get("/healthz").await.status(), 200, "the process itself is up");
    let (status, problem, content_type) = claim_once(app, &world, needs[0]).await;
    assert_eq!(status, 503, "a claim while the database is away: {problem}");
    assert_eq!(content_type, "application/problem+json");
    assert_eq!(problem["type"], "service-unavailable", "{problem}");
    let (status, page) = worker.get("/needs").await;
    assert_eq!(status, 503, "the social worker's page says so too");
    assert!(page.contains("数据库暂时无法访问"), "{page}");
    tokio::time::sleep(Duration::from_secs(2)).await;

    let back = Instant::now();
    tokio::task::block_in_place(recovery);
    // No restart of the service, no operator: it finds the database again by itself.
    let recovered = loop {
        let ready = app.get("/readyz").await.status() == 200;
        let (status, _, _) = claim_once(app, &world, needs[1]).await;
        if ready && status == 201 && worker.get("/needs").await.0 == 200 {
            break back.elapsed();
        }
        assert!(
            back.elapsed() < Duration::from_secs(30),
            "still not recovered after 30 s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.store(true, Ordering::SeqCst);
    let claimed_201 = load.await.expect("load");

    let answers = answers.lock().expect("answers").clone();
    let unclean: Vec<(&String, &usize)> = answers
        .iter()
        .filter(|(k, _)| {
            ![
                "201",
                "409 not-enough-left",
                "409 claim-limit-reached",
                "429 rate-limited",
                "503 service-unavailable",
            ]
            .contains(&k.as_str())
        })
        .collect();
    assert!(
        unclean.is_empty(),
        "every request succeeded or failed cleanly: {answers:?}"
    );
    assert!(
        answers.contains_key("503 service-unavailable"),
        "the load met the outage: {answers:?}"
    );

    let stored = scalar_i64(
        &app.db,
        &format!(
            "SELECT COUNT(*) FROM claims WHERE id IN ({})",
            claimed_201.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
        ),
    )
    .await;
    assert_eq!(stored, claimed_201.len() as i64, "every claim answered 201 is stored");
    assert_counters_match_live_claims(app, &needs).await;
    eprintln!("readyz answered 503 in {readyz_took:?} while down; recovered {recovered:?} after; answers {answers:?}");
}

/// One claim of one unit by the first merchant: status, body and content type.
async fn claim_once(app: &TestApp, world: &World, need: i64) -> (u16, serde_json::Value, String) {
    let url = app.url(&format!("/api/v1/needs/{need}/claims"));
    claim_one(&app.client, &url, &world.merchants[0].token).await
}

/// Claims one unit at `url` with `token`: status, body and content type.
async fn claim_one(client: &reqwest::Client, url: &str, token: &str) -> (u16, serde_json::Value, String) {
    let response = client
        .post(url)
        .bearer_auth(token)
        .json(&serde_json::json!({ "quantity": 1 }))
        .send()
        .await
        .expect("the service answers");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = response.json().await.unwrap_or(serde_json::Value::Null);
    (status, body, content_type)
}

/// Every merchant but the first claims and releases in a loop until `stop`; returns the
/// ids of the claims answered 201.
fn claim_load(
    app: &TestApp,
    world: &World,
    needs: &[i64],
    answers: Answers,
    stop: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<Vec<i64>> {
    let workers: Vec<_> = world.merchants[1..]
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let client = app.client.clone();
            let claim_url = app.url(&format!("/api/v1/needs/{}/claims", needs[i % needs.len()]));
            let release_url = app.url("/api/v1/claims");
            let token = m.token.clone();
            let answers = answers.clone();
            let stop = stop.clone();
            tokio::spawn(async move {
                let mut made = Vec::new();
                while !stop.load(Ordering::SeqCst) {
                    let (status, body, content_type) = claim_one(&client, &claim_url, &token).await;
                    let is_problem = content_type == "application/problem+json";
                    let key = match (status, body["type"].as_str()) {
                        (201, _) => "201".to_owned(),
                        (s, Some(kind)) if is_problem => format!("{s} {kind}"),
                        (s, _) => format!("{s} not a problem document: {body}"),
                    };
                    *answers.lock().expect("answers").entry(key).or_default() += 1;
                    if status == 201 {
                        let id = body["id"].as_i64().expect("id");
                        made.push(id);
                        // Give it back, so the merchant stays under its claim limit.
                        let _ = client
                            .post(format!("{release_url}/{id}/release"))
                            .bearer_auth(&token)
                            .send()
                            .await;
                    }
                }
                made
            })
        })
        .collect();
    tokio::spawn(async move {
        let mut all = Vec::new();
        for w in workers {
            all.extend(w.await.expect("worker"));
        }
        all
    })
}

/// For every need, `claimed` equals the units of its live claims.
async fn assert_counters_match_live_claims(app: &TestApp, needs: &[i64]) {
    let list = needs.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    let off = scalar_i64(
        &app.db,
        &format!(
            "SELECT COUNT(*) FROM (SELECT n.id FROM needs n LEFT JOIN claims c ON c.need_id = n.id AND c.status IN {LIVE} \
             WHERE n.id IN ({list}) GROUP BY n.id, n.claimed HAVING n.claimed <> COALESCE(SUM(c.quantity), 0)) AS off"
        ),
    )
    .await;
    assert_eq!(off, 0, "no need's counter differs from its live claims");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "holds the queues for seconds; run by scripts/hardening.sh"]
async fn a_slow_smtp_server_and_bot_api_leave_the_web_responsive_and_every_message_goes_once() {
    let n = Neighbours::start().await;
    // Both answer only after five seconds.
    n.smtp.slow(Duration::from_secs(5));
    n.app.tg().slow_down(Duration::from_secs(5));

    let (codes, claim_latency) = n.claim_round().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(n.claim_notices_sent().await, 0, "the queues are stuck");
    let probed = n.probe(Duration::from_secs(3)).await;
    assert_eq!(n.claim_notices_sent().await, 0, "the queues were stuck while probed");
    assert!(
        n.app
            .tg()
            .calls_of("sendMessage")
            .iter()
            .any(|c| c.body["text"].as_str().unwrap_or_default().contains(&codes[0])),
        "the Bot API got a message it has not answered yet"
    );

    n.smtp.pass();
    n.app.tg().slow_down(Duration::ZERO);
    let drained = n.wait_for_the_queues_to_drain().await;
    n.assert_each_message_went_once(&codes).await;
    eprintln!(
        "slow neighbours: claims answered within {claim_latency:?}, probes within {probed:?}; drained {drained:?} after"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "waits out the first retry of the emails (10-20 s); run by scripts/hardening.sh"]
async fn an_smtp_server_and_bot_api_resetting_connections_leave_the_web_responsive_and_every_message_goes_once() {
    let n = Neighbours::start().await;
    // Every connection to either is reset, the open ones the next time they are used.
    n.smtp.cut();
    n.bot_api.cut();

    let (codes, claim_latency) = n.claim_round().await;
    let probed = n.probe(Duration::from_secs(3)).await;
    assert_eq!(n.claim_notices_sent().await, 0, "nothing got through");
    let failed = scalar_i64(
        &n.app.db,
        "SELECT COUNT(DISTINCT channel) FROM outbox WHERE status = 'failed' AND attempts > 0",
    )
    .await;
    assert_eq!(failed, 2, "sends on both channels failed and wait for a retry");

    n.smtp.pass();
    n.bot_api.pass();
    let drained = n.wait_for_the_queues_to_drain().await;
    n.assert_each_message_went_once(&codes).await;
    eprintln!(
        "resetting neighbours: claims answered within {claim_latency:?}, probes within {probed:?}; drained {drained:?} after"
    );
}

/// The app with its SMTP server and its Bot API each behind a proxy the test controls; a
/// world of three merchants with linked chats and residents who confirmed their email;
/// three needs to claim, whose first notifications are out already.
struct Neighbours {
    app: TestApp,
    sink: SmtpSink,
    smtp: FaultyProxy,
    bot_api: FaultyProxy,
    world: World,
    needs: Vec<i64>,
}

/// The claim notifications: one in the merchant's chat, one email to the resident, one to
/// the social worker.
const CLAIM_NOTICES: &str = "('merchant-claim-confirmed','resident-need-claimed','worker-need-claimed')";
/// Web answers while the queues are stuck must stay well under a second.
const RESPONSIVE: Duration = Duration::from_millis(500);

impl Neighbours {
    async fn start() -> Self {
        let sink = SmtpSink::start();
        let smtp = FaultyProxy::start(sink.addr());
        let smtp_url = format!("smtp://{}", smtp.addr);
        let mut bot_api = None;
        let app = TestApp::spawn_with_bot_and(|env| {
            set(env, "RELAY_SMTP_URL", &smtp_url);
            set(env, "RELAY_EMAIL_HOURLY_LIMIT", "0");
            let fake: SocketAddr = env["RELAY_TELEGRAM_API_URL"]
                .trim_start_matches("http://")
                .parse()
                .expect("the fake's address");
            let proxy = FaultyProxy::start(fake);
            set(env, "RELAY_TELEGRAM_API_URL", &format!("http://{}", proxy.addr));
            bot_api = Some(proxy);
        })
        .await;
        let world = app.world(3).await;
        for resident in ["resident0@example.org", "resident1@example.org"] {
            confirm_contact(&app, resident).await;
        }
        for (i, m) in world.merchants.iter().enumerate() {
            app.linked_chat(m.id, 7000 + i as i64, Locale::ZhCn).await;
        }
        let mut needs = Vec::new();
        for org in [world.a(), world.b(), world.a()] {
            needs.push(app.post_need(org, 100).await);
        }
        let n = Self {
            app,
            sink,
            smtp,
            bot_api: bot_api.expect("the Bot API's proxy"),
            world,
            needs,
        };
        n.wait_for_the_queues_to_drain().await;
        n
    }

    /// Each merchant claims two units of a need: the handoff codes, and the slowest answer.
    async fn claim_round(&self) -> (Vec<String>, Duration) {
        let mut codes = Vec::new();
        let mut slowest = Duration::ZERO;
        for (m, need) in self.world.merchants.iter().zip(&self.needs) {
            let asked = Instant::now();
            let (status, claim) = self.app.claim(&m.token, *need, 2).await;
            slowest = slowest.max(asked.elapsed());
            assert_eq!(status, 201, "{claim}");
            codes.push(claim["handoff_code"].as_str().expect("handoff code").to_owned());
        }
        assert!(slowest < RESPONSIVE, "a claim took {slowest:?}");
        (codes, slowest)
    }

    /// Asks for the health check, a social worker's page and the API's need list, again
    /// and again for `during`; each answers 200 well under a second. The slowest answer.
    async fn probe(&self, during: Duration) -> Duration {
        let mut worker = self.app.login("worker0@example.org").await;
        let token = &self.world.merchants[0].token;
        let until = Instant::now() + during;
        let mut slowest = Duration::ZERO;
        while Instant::now() < until {
            let asked = Instant::now();
            assert_eq!(self.app.get("/healthz").await.status(), 200);
            slowest = slowest.max(asked.elapsed());
            let asked = Instant::now();
            assert_eq!(worker.get("/needs").await.0, 200);
            slowest = slowest.max(asked.elapsed());
            let asked = Instant::now();
            assert_eq!(self.app.api("GET", "/api/v1/needs", token, None).await.0, 200);
            slowest = slowest.max(asked.elapsed());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(slowest < RESPONSIVE, "the web took {slowest:?} to answer");
        slowest
    }

    /// Claim notifications recorded as sent.
    async fn claim_notices_sent(&self) -> i64 {
        scalar_i64(
            &self.app.db,
            &format!("SELECT COUNT(*) FROM outbox WHERE status = 'sent' AND kind IN {CLAIM_NOTICES}"),
        )
        .await
    }

    /// Waits until no email and no claim notification waits to be sent; how long it took.
    async fn wait_for_the_queues_to_drain(&self) -> Duration {
        let started = Instant::now();
        loop {
            let waiting = scalar_i64(
                &self.app.db,
                &format!(
                    "SELECT COUNT(*) FROM outbox WHERE status IN ('pending','failed') \
                     AND (channel = 'email' OR kind IN {CLAIM_NOTICES})"
                ),
            )
            .await;
            if waiting == 0 {
                return started.elapsed();
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "{waiting} messages still waiting after 60 s"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Every email recorded as sent arrived exactly once, and every claim's confirmation
    /// (known by its handoff code) reached the merchant's chat exactly once.
    async fn assert_each_message_went_once(&self, codes: &[String]) {
        let unsent = scalar_i64(
            &self.app.db,
            &format!("SELECT COUNT(*) FROM outbox WHERE status <> 'sent' AND kind IN {CLAIM_NOTICES}"),
        )
        .await;
        assert_eq!(unsent, 0, "every claim notification went out");
        let mut arrived: BTreeMap<String, usize> = BTreeMap::new();
        for m in self.sink.received() {
            *arrived.entry(m.message_id()).or_default() += 1;
        }
        let sent = scalar_i64(
            &self.app.db,
            "SELECT COUNT(*) FROM outbox WHERE channel = 'email' AND status = 'sent'",
        )
        .await;
        assert_eq!(arrived.len() as i64, sent, "each email recorded as sent arrived");
        let twice: Vec<_> = arrived.iter().filter(|(_, n)| **n > 1).collect();
        assert!(twice.is_empty(), "emails that arrived twice: {twice:?}");
        let delivered: Vec<String> = self
            .app
            .tg()
            .calls_of("sendMessage")
            .into_iter()
            .filter(|c| c.ok)
            .map(|c| c.body["text"].as_str().unwrap_or_default().to_owned())
            .collect();
        for code in codes {
            let times = delivered.iter().filter(|t| t.contains(code.as_str())).count();
            assert_eq!(
                times, 1,
                "the confirmation with handoff code {code} reached the chat {times} times"
            );
        }
    }
}
