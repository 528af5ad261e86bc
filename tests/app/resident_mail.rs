//! A resident's word is kept at once and per organization: nothing is accepted by the mail
//! server after an unsubscribe commits, a new confirmation link can be asked for only so
//! often, and consent given to one organization is never another's.

use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use charity_relay::domain::Locale;
use charity_relay::notify::email::EmailSender;
use charity_relay::notify::{Dispatcher, Sender, Settings};
use charity_relay::services::beneficiaries::{self, BeneficiaryInput};
use charity_relay::services::contacts::{self, ConsentOutcome};
use charity_relay::services::outbox::{Channel, Message, enqueue};
use chrono::{Duration, Utc};

use super::mail::{confirm_contact, link_path, unsubscribe_url};
use crate::support::smtp::Received;
use crate::support::world::Org;
use crate::support::{SmtpSink, TestApp, scalar_i64, set};

async fn smtp_app(hourly_limit: &str) -> (TestApp, SmtpSink) {
    let sink = SmtpSink::start();
    let url = sink.url();
    let limit = hourly_limit.to_owned();
    let app = TestApp::spawn_without_dispatcher(|env| {
        set(env, "RELAY_SMTP_URL", &url);
        set(env, "RELAY_EMAIL_HOURLY_LIMIT", &limit);
    })
    .await;
    (app, sink)
}

fn to(received: &[Received], address: &str) -> Vec<Received> {
    received.iter().filter(|m| m.to == [address]).cloned().collect()
}

fn subject(m: &Received) -> String {
    m.parsed().subject().unwrap_or_default().to_owned()
}

fn text(m: &Received) -> String {
    m.parsed().body_text(0).unwrap_or_default().into_owned()
}

fn path_of(url: &str) -> String {
    url[url.find("/unsubscribe/").expect("an unsubscribe path")..].to_owned()
}

async fn status_of(app: &TestApp, contact_id: i64) -> String {
    let row = sea_orm::ConnectionTrait::query_one_raw(
        &app.db,
        charity_relay::db::statement(
            &app.db,
            "SELECT consent_status FROM contacts WHERE id = ?",
            vec![contact_id.into()],
        ),
    )
    .await
    .expect("query")
    .expect("contact");
    row.try_get_by_index::<String>(0).expect("status")
}

#[tokio::test]
async fn nothing_is_accepted_by_the_mail_server_after_an_unsubscribe_commits_mid_batch() {
    let (app, sink) = smtp_app("0").await;
    let _world = app.world(0).await;
    let resident = confirm_contact(&app, "resident0@example.org").await;
    let now = Utc::now();
    for i in 0..50 {
        let message = Message {
            channel: Channel::Email,
            recipient: "resident0@example.org".into(),
            contact_id: Some(resident),
            merchant_id: None,
            kind: "resident-need-cancelled",
            locale: Locale::ZhCn,
            payload: serde_json::json!({ "need_id": i, "title": format!("需求{i}") }),
            dedupe_key: format!("test:burst:{i}"),
        };
        assert!(enqueue(&app.db, message, now).await.expect("enqueue"));
    }
    // A slow server and a few connections: the whole batch is leased at once, and most of
    // it is still waiting to be sent when the resident leaves.
    sink.slow_down(StdDuration::from_millis(150));
    let email: Arc<dyn Sender> = Arc::new(EmailSender::from_config(&app.config, 4).expect("sender"));
    let settings = Settings {
        concurrency: 4,
        hourly_limit: 0,
        ..Settings::default()
    };
    let dispatcher = Dispatcher::new(app.db.clone(), vec![email], settings);
    let round = tokio::spawn(async move { dispatcher.drain(now).await });
    sink.wait_for(6, StdDuration::from_secs(20)).await;
    let first = to(&sink.received(), "resident0@example.org");
    let path = path_of(&unsubscribe_url(&first[0]));

    // Watches for the commit: the first moment another connection sees the contact gone.
    let watcher_db = app.db.clone();
    let watcher = tokio::spawn(async move {
        loop {
            let gone = scalar_i64(
                &watcher_db,
                &format!("SELECT COUNT(*) FROM contacts WHERE id = {resident} AND consent_status = 'unsubscribed'"),
            )
            .await;
            if gone == 1 {
                return Instant::now();
            }
            tokio::time::sleep(StdDuration::from_millis(2)).await;
        }
    });
    let provider = reqwest::Client::new();
    let response = provider
        .post(app.url(&path))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .expect("POST");
    let answered = Instant::now();
    assert!(response.status().is_success(), "{}", response.status());
    let committed = watcher.await.expect("watcher");
    round.await.expect("round").expect("drain");

    let received: Vec<(Received, Instant)> = sink
        .received_at()
        .into_iter()
        .filter(|(m, _)| m.to == ["resident0@example.org"])
        .collect();
    let late = received.iter().filter(|(_, at)| *at > committed).count();
    assert_eq!(late, 0, "accepted after the unsubscribe committed");
    assert!(received.iter().all(|(_, at)| *at <= answered));
    assert!(
        received.len() < 50,
        "the rest of the batch was stopped ({})",
        received.len()
    );
    let sent = scalar_i64(
        &app.db,
        &format!("SELECT COUNT(*) FROM outbox WHERE contact_id = {resident} AND status = 'sent'"),
    )
    .await;
    assert_eq!(sent, received.len() as i64, "what arrived is what is recorded sent");
    let dropped = scalar_i64(
        &app.db,
        &format!(
            "SELECT COUNT(*) FROM outbox WHERE contact_id = {resident} AND status = 'dead' \
             AND last_error IS NOT NULL AND send_started_at IS NULL AND dedupe_key LIKE 'test:burst:%'"
        ),
    )
    .await;
    assert_eq!(
        dropped,
        50 - sent,
        "the rest is dead with its reason, not to be retried"
    );

    // A later round, hours on, sends nothing more.
    app.dispatcher().drain(now + Duration::hours(3)).await.expect("drain");
    assert_eq!(to(&sink.received(), "resident0@example.org").len(), received.len());
}

/// Sets the confirmation link of `email`'s contacts to have expired a day ago.
async fn age_links(app: &TestApp, email: &str) {
    sea_orm::ConnectionTrait::execute_raw(
        &app.db,
        charity_relay::db::statement(
            &app.db,
            "UPDATE contacts SET confirm_expires_at = ? WHERE email = ?",
            vec![(Utc::now() - Duration::days(1)).into(), email.into()],
        ),
    )
    .await
    .expect("age the link");
}

#[tokio::test]
async fn the_expired_link_page_sends_one_new_link_per_10_minutes_and_5_a_day() {
    let (app, sink) = smtp_app("4").await;
    let _world = app.world(0).await;
    app.dispatcher().drain(Utc::now()).await.expect("drain");
    let first = to(&sink.received(), "resident0@example.org");
    assert_eq!(first.len(), 1);
    let path = link_path(&first[0], "/consent/");
    age_links(&app, "resident0@example.org").await;

    // Fifty presses at once: one new email.
    let presses = (0..50).map(|_| {
        let client = reqwest::Client::new();
        let url = app.url(&path);
        async move { client.post(url).send().await.expect("POST") }
    });
    let responses = futures::future::join_all(presses).await;
    let ok = responses.iter().filter(|r| r.status() == 200).count();
    let refused: Vec<_> = responses.into_iter().filter(|r| r.status() == 429).collect();
    assert_eq!((ok, refused.len()), (1, 49), "one new link, 49 refusals");
    let refusal = refused.into_iter().next().expect("a refusal");
    let retry_after: i64 = refusal
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!((1..=600).contains(&retry_after), "{retry_after}");
    let page = refusal.text().await.expect("page");
    assert!(
        page.contains("10 分钟后再试") || page.contains("9 分钟后再试"),
        "{page}"
    );
    app.dispatcher().drain(Utc::now()).await.expect("drain");
    let mine = to(&sink.received(), "resident0@example.org");
    assert_eq!(mine.len(), 2, "exactly one new confirmation email");

    // The new link expires too; the clock moves on in steps of the service's `now`.
    let token = link_path(&mine[1], "/consent/")
        .trim_start_matches("/consent/")
        .to_owned();
    age_links(&app, "resident0@example.org").await;
    let start = Utc::now();
    let outcome = contacts::confirm_consent(&app.db, &token, start + Duration::minutes(5))
        .await
        .expect("confirm");
    assert!(matches!(outcome, ConsentOutcome::TooSoon { .. }), "{outcome:?}");
    for step in 1..=4 {
        let outcome = contacts::confirm_consent(&app.db, &token, start + Duration::minutes(11 * step))
            .await
            .expect("confirm");
        assert!(
            matches!(outcome, ConsentOutcome::NewLinkSent(_)),
            "resend {} of the day: {outcome:?}",
            step + 1
        );
    }
    // Five today: the sixth waits for the day to end, however long one waits between.
    let late = start + Duration::minutes(11 * 4 + 30);
    match contacts::confirm_consent(&app.db, &token, late).await.expect("confirm") {
        ConsentOutcome::TooSoon { retry_at, .. } => {
            assert!(retry_at > start + Duration::hours(23), "{retry_at}");
        }
        other => panic!("a sixth new link in a day: {other:?}"),
    }
    let next_day = start + Duration::days(1) + Duration::minutes(1);
    assert!(matches!(
        contacts::confirm_consent(&app.db, &token, next_day)
            .await
            .expect("confirm"),
        ConsentOutcome::NewLinkSent(_)
    ));
    let queued = scalar_i64(
        &app.db,
        "SELECT COUNT(*) FROM outbox WHERE recipient = 'resident0@example.org' AND kind = 'contact-consent'",
    )
    .await;
    assert_eq!(
        queued,
        1 + 1 + 4 + 1,
        "the first, the page's one, four more that day, one the next"
    );
}

#[tokio::test]
async fn consent_is_given_to_the_organization_that_asked_and_to_no_other() {
    let (app, sink) = smtp_app("0").await;
    let world = app.world(0).await;
    let now = Utc::now();
    app.dispatcher().drain(now).await.expect("drain");
    // A's confirmation names A; the resident confirms it.
    let a_mail = to(&sink.received(), "resident0@example.org");
    assert_eq!(a_mail.len(), 1);
    assert!(text(&a_mail[0]).contains("沙头角街道社工站"), "{}", text(&a_mail[0]));
    let a_link = link_path(&a_mail[0], "/consent/");
    let page = app.get(&a_link).await.text().await.expect("page");
    assert!(page.contains("「沙头角街道社工站」"), "{page}");
    let confirmed = app.client.post(app.url(&a_link)).send().await.expect("POST");
    assert_eq!(confirmed.status(), 200);

    // Organization B registers the same address for a beneficiary of its own.
    let form = BeneficiaryInput {
        community_id: world.community_id.to_string(),
        group: "elderly_alone".into(),
        full_name: "李阿姨".into(),
        phone: "13800000001".into(),
        address: "海景路3号".into(),
        notes: String::new(),
        notify_email: "resident0@example.org".into(),
        notify_consent: true,
        locale: "en".into(),
        id_number: String::new(),
    };
    let registered = beneficiaries::register(&app.db, &app.config.secret_key, &world.b().worker, &form, now)
        .await
        .expect("B registers the address");
    let b_org = Org {
        id: world.b().id,
        token: world.b().token.clone(),
        worker: world.b().worker,
        beneficiary_id: registered.id,
    };
    let contacts_of_x = scalar_i64(
        &app.db,
        "SELECT COUNT(*) FROM contacts WHERE email = 'resident0@example.org'",
    )
    .await;
    assert_eq!(contacts_of_x, 2, "one contact per organization");
    let a_contact = scalar_i64(
        &app.db,
        &format!(
            "SELECT id FROM contacts WHERE email = 'resident0@example.org' AND organization_id = {}",
            world.a().id
        ),
    )
    .await;
    let b_contact = scalar_i64(
        &app.db,
        &format!(
            "SELECT id FROM contacts WHERE email = 'resident0@example.org' AND organization_id = {}",
            world.b().id
        ),
    )
    .await;
    assert_eq!(status_of(&app, a_contact).await, "confirmed");
    assert_eq!(status_of(&app, b_contact).await, "pending", "A's consent is not B's");

    // Both post a need: A's news arrives, B's waits for B's own consent, which B asks for.
    app.post_need(world.a(), 2).await;
    app.post_need(&b_org, 3).await;
    app.dispatcher().drain(Utc::now()).await.expect("drain");
    let mine = to(&sink.received(), "resident0@example.org");
    assert_eq!(mine.len(), 3, "A's confirmation, B's confirmation, A's news");
    let b_consent = mine
        .iter()
        .find(|m| subject(m).starts_with("Please confirm"))
        .expect("B's own confirmation email, in the language B registered");
    assert!(text(b_consent).contains("“盐田区妇女互助会”"), "{}", text(b_consent));
    let a_news = mine
        .iter()
        .find(|m| subject(m).starts_with("您的需求已登记"))
        .expect("A's news");
    let held = scalar_i64(
        &app.db,
        &format!(
            "SELECT COUNT(*) FROM outbox WHERE contact_id = {b_contact} AND status = 'held' AND hold_reason = 'consent'"
        ),
    )
    .await;
    assert_eq!(held, 1, "B's news waits for B's consent");

    // Leaving A's mail leaves B's state as it was; the page says whose mail stops.
    let a_unsubscribe = path_of(&unsubscribe_url(a_news));
    let page = app.get(&a_unsubscribe).await.text().await.expect("page");
    assert!(page.contains("「沙头角街道社工站」"), "{page}");
    let left = app.client.post(app.url(&a_unsubscribe)).send().await.expect("POST");
    assert_eq!(left.status(), 200);
    assert_eq!(status_of(&app, a_contact).await, "unsubscribed");
    assert_eq!(
        status_of(&app, b_contact).await,
        "pending",
        "not consented by A's unsubscribe"
    );

    // B's consent, given on B's link, releases B's news only.
    let b_link = link_path(b_consent, "/consent/");
    let page = app.get(&b_link).await.text().await.expect("page");
    assert!(page.contains("“盐田区妇女互助会”"), "{page}");
    assert_eq!(
        app.client.post(app.url(&b_link)).send().await.expect("POST").status(),
        200
    );
    assert_eq!(status_of(&app, b_contact).await, "confirmed");
    assert_eq!(
        status_of(&app, a_contact).await,
        "unsubscribed",
        "B's consent is not A's"
    );
    app.post_need(world.a(), 1).await;
    app.dispatcher().drain(Utc::now()).await.expect("drain");
    let mine = to(&sink.received(), "resident0@example.org");
    assert_eq!(mine.len(), 4, "B's news and nothing more from A");
    assert!(
        subject(&mine[3]).starts_with("Your need is registered"),
        "{}",
        subject(&mine[3])
    );
}
