//! A hostile visitor floods the login page, invents methods and paths, posts forms from a
//! foreign site and forges Telegram's webhook: the service hashes no more passwords than the
//! throttle allows, keeps its metrics bounded, writes no audit row for nobody, and still
//! takes Telegram's real calls.

use futures::future::join_all;
use rand::Rng;

use crate::support::browser::STAFF_PASSWORD;
use crate::support::{TestApp, fake_telegram, scalar_i64};

const WORKER: &str = "worker0@example.org";

/// The value of the sample `series` (name and labels, as printed) in `/metrics`; 0 when absent.
async fn metric(app: &TestApp, series: &str) -> u64 {
    let body = app.get("/metrics").await.text().await.expect("metrics");
    body.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(0)
}

async fn audit_rows(app: &TestApp, filter: &str) -> i64 {
    scalar_i64(&app.db, &format!("SELECT COUNT(*) FROM audit_log WHERE {filter}")).await
}

#[tokio::test]
async fn fifty_parallel_wrong_passwords_for_one_account_hash_five_and_the_rest_wait_with_429() {
    let app = TestApp::spawn().await;
    app.world(0).await;
    let mut browsers = Vec::new();
    for _ in 0..50 {
        let mut browser = app.browser();
        browser.get("/login").await;
        browsers.push(browser);
    }
    let attempts = browsers
        .iter()
        .map(|b| b.post("/login", &[("email", WORKER), ("password", "wrong password!")]));
    let statuses: Vec<u16> = join_all(attempts)
        .await
        .into_iter()
        .map(|r| r.status().as_u16())
        .collect();
    let count = |status: u16| statuses.iter().filter(|s| **s == status).count();
    assert_eq!((count(401), count(429)), (5, 45), "{statuses:?}");
    assert_eq!(
        metric(&app, "relay_password_hashes_total").await,
        5,
        "only the reserved attempts were hashed"
    );
    assert_eq!(
        metric(&app, r#"relay_anonymous_refusals_total{reason="login.throttled"}"#).await,
        45
    );
    // The five wrong passwords are about an existing account: audited, with the account.
    let worker = scalar_i64(&app.db, &format!("SELECT id FROM staff WHERE email = '{WORKER}'")).await;
    assert_eq!(
        audit_rows(
            &app,
            &format!("action = 'staff.login' AND outcome = 'denied' AND subject_id = '{worker}'")
        )
        .await,
        5
    );
    // The account waits, even with the right password, and hashes nothing more.
    let mut late = app.browser();
    assert_eq!(late.sign_in(WORKER, STAFF_PASSWORD).await.status(), 429);
    assert_eq!(metric(&app, "relay_password_hashes_total").await, 5);
}

#[tokio::test]
async fn a_sign_in_that_finds_every_hashing_slot_busy_gets_503_and_the_form_back_in_both_languages() {
    let app = TestApp::spawn().await;
    app.world(0).await;
    let slots = app.state.passwords.slots();
    let held = slots
        .acquire_many(u32::try_from(slots.available_permits()).expect("few cores"))
        .await
        .expect("open");
    for (language, message) in [
        ("zh-CN", "服务器正忙于核对登录，请稍等几秒后再登录。"),
        (
            "en",
            "The server is busy checking sign-ins. Wait a few seconds and sign in again.",
        ),
    ] {
        let mut browser = app.browser();
        browser.get("/login").await;
        let response = browser
            .raw_post("/login")
            .header("Accept-Language", language)
            .form(&[("email", WORKER), ("password", STAFF_PASSWORD), ("csrf", &browser.csrf)])
            .send()
            .await
            .expect("POST");
        assert_eq!(response.status(), 503);
        assert_eq!(response.headers()["retry-after"], "5");
        let page = response.text().await.expect("page");
        assert!(page.contains(message), "{page}");
        assert!(page.contains(WORKER), "the email is kept: {page}");
    }
    assert_eq!(metric(&app, "relay_password_hashes_total").await, 0);
    drop(held);
    // The attempts that could not be checked were given back: five wrong ones still get 401.
    let mut browser = app.browser();
    for _ in 0..5 {
        assert_eq!(browser.sign_in(WORKER, "wrong password!").await.status(), 401);
    }
    assert_eq!(browser.sign_in(WORKER, STAFF_PASSWORD).await.status(), 429);
}

#[tokio::test]
async fn three_hundred_requests_with_invented_methods_and_paths_leave_a_bounded_set_of_series() {
    let app = TestApp::spawn().await;
    let client = reqwest::Client::new();
    let mut rng = rand::rng();
    for _ in 0..300 {
        let method: String = (0..rng.random_range(3..9))
            .map(|_| char::from(rng.random_range(b'A'..=b'Z')))
            .collect();
        let path: String = (0..rng.random_range(1..4))
            .map(|_| format!("/{:x}", rng.random::<u32>()))
            .collect();
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a token");
        client.request(method, app.url(&path)).send().await.expect("answered");
    }
    let body = app.get("/metrics").await.text().await.expect("metrics");
    let series = |name: &str| body.lines().filter(|l| l.starts_with(name)).count();
    assert!(
        series("relay_http_requests_total{") <= 10,
        "{} request series: {body}",
        series("relay_http_requests_total{")
    );
    assert!(series("relay_http_request_duration_seconds_count{") <= 5, "{body}");
    assert!(body.contains(r#"method="other",route="unmatched""#), "{body}");
}

#[tokio::test]
async fn two_thousand_foreign_origin_posts_write_no_audit_row_and_are_counted() {
    let app = TestApp::spawn().await;
    app.world(0).await;
    let before = app.count("audit_log").await;
    let client = reqwest::Client::new();
    for _ in 0..20 {
        let posts = (0..100).map(|_| {
            client
                .post(app.url("/needs"))
                .header("Origin", "https://evil.example")
                .form(&[("title", "x")])
                .send()
        });
        for response in join_all(posts).await {
            assert_eq!(response.expect("answered").status(), 403);
        }
    }
    assert_eq!(
        app.count("audit_log").await,
        before,
        "nobody's refusals are not audited"
    );
    assert_eq!(
        metric(&app, r#"relay_anonymous_refusals_total{reason="csrf.foreign_origin"}"#).await,
        2000
    );

    // A wrong password for an email nobody has: counted, not audited.
    let mut stranger = app.browser();
    assert_eq!(
        stranger.sign_in("nobody@example.org", "wrong password!").await.status(),
        401
    );
    assert_eq!(app.count("audit_log").await, before);
    assert_eq!(
        metric(
            &app,
            r#"relay_anonymous_refusals_total{reason="login.wrong_credentials"}"#
        )
        .await,
        1
    );

    // A signed-in staff member's forged form is about them: it stays audited.
    let browser = app.login(WORKER).await;
    let worker = scalar_i64(&app.db, &format!("SELECT id FROM staff WHERE email = '{WORKER}'")).await;
    let response = browser
        .raw_post("/needs")
        .header("Origin", "https://evil.example")
        .form(&[("title", "x")])
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), 403);
    assert_eq!(
        audit_rows(
            &app,
            &format!(
                "action = 'csrf.foreign_origin' AND outcome = 'denied' AND actor_kind = 'staff' AND actor_id = '{worker}'"
            )
        )
        .await,
        1
    );
}

const SECRET: &str = "s3cret-token_for-tests";

async fn webhook_app(url: &str) -> TestApp {
    let url = url.to_owned();
    TestApp::spawn_with_bot_and(move |env| {
        env.insert("RELAY_TELEGRAM_WEBHOOK_URL".into(), url);
        env.insert("RELAY_TELEGRAM_WEBHOOK_SECRET".into(), SECRET.into());
    })
    .await
}

async fn post_update(app: &TestApp, path: &str, secret: &str, update: &serde_json::Value) -> u16 {
    app.client
        .post(app.url(path))
        .header("X-Telegram-Bot-Api-Secret-Token", secret)
        .json(update)
        .send()
        .await
        .expect("post")
        .status()
        .as_u16()
}

#[tokio::test]
async fn the_webhook_on_a_custom_path_takes_telegrams_updates_and_only_that_path_skips_csrf() {
    let app = webhook_app("https://relay.example.org/tg/hook").await;
    let stored = app.count("telegram_updates").await;
    let update = fake_telegram::message(app.tg().next_update_id(), 2400, "/help", "en");
    assert_eq!(post_update(&app, "/tg/hook", SECRET, &update).await, 200);
    assert_eq!(app.count("telegram_updates").await, stored + 1);
    assert_eq!(post_update(&app, "/tg/hook", "forged", &update).await, 401);
    // No other path is exempt from the CSRF guard: the default one is an ordinary page POST.
    assert_eq!(post_update(&app, "/telegram/webhook", SECRET, &update).await, 303);
    assert_eq!(post_update(&app, "/tg/hook/x", SECRET, &update).await, 303);
    assert_eq!(app.count("telegram_updates").await, stored + 1);
}

#[tokio::test]
async fn a_flood_of_forged_webhook_calls_does_not_crowd_out_telegrams_own() {
    let app = webhook_app("https://relay.example.org/telegram/webhook").await;
    app.tg()
        .wait_for_call("setWebhook", crate::support::bot::REPLY_WITHIN)
        .await;
    let stored = app.count("telegram_updates").await;
    let forged = fake_telegram::message(9997, 2500, "/needs", "en");
    let mut real = 0;
    for _ in 0..15 {
        let update = fake_telegram::message(app.tg().next_update_id(), 2500, "/help", "en");
        let posts = (0..200).map(|_| post_update(&app, "/telegram/webhook", "forged", &forged));
        let (forged_statuses, real_status) =
            tokio::join!(join_all(posts), post_update(&app, "/telegram/webhook", SECRET, &update));
        assert!(forged_statuses.iter().all(|s| *s == 401), "{forged_statuses:?}");
        assert_eq!(real_status, 200, "Telegram's call got through the flood");
        real += 1;
    }
    assert_eq!(app.count("telegram_updates").await, stored + real);
    assert_eq!(
        metric(
            &app,
            r#"relay_anonymous_refusals_total{reason="telegram.wrong_secret"}"#
        )
        .await,
        3000
    );
}
