//! Each message arrives once: through SMTP outages, 4xx and 5xx answers, shutdowns,
//! several dispatchers at once, and a resident who gets too much news in an hour.

use std::collections::HashSet;
use std::time::Duration as StdDuration;

use charity_relay::domain::Locale;
use charity_relay::entities::outbox;
use charity_relay::notify::email::EmailSender;
use charity_relay::notify::{Dispatcher, Settings};
use charity_relay::services::outbox::{Channel, Message, enqueue};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, EntityTrait};

use super::mail::confirm_contact;
use crate::support::{SmtpSink, TestApp, scalar_i64, set};

async fn app_mailing(url: &str) -> TestApp {
    let url = url.to_owned();
    TestApp::spawn_without_dispatcher(move |env| set(env, "RELAY_SMTP_URL", &url)).await
}

/// Queues one email to a social worker (no consent involved) and returns its row id.
async fn queue_staff_mail(app: &TestApp, key: &str, now: DateTime<Utc>) -> i64 {
    let message = Message {
        channel: Channel::Email,
        recipient: "worker0@example.org".into(),
        contact_id: None,
        merchant_id: None,
        kind: "worker-need-near-deadline",
        locale: Locale::En,
        payload: serde_json::json!({ "need_id": 1, "title": "rice", "left": 1, "unit": "bag", "deadline": "2026-12-01" }),
        dedupe_key: key.into(),
    };
    enqueue(&app.db, message, now).await.expect("enqueue");
    scalar_i64(&app.db, &format!("SELECT id FROM outbox WHERE dedupe_key = '{key}'")).await
}

/// Queues news for resident `contact_id`.
async fn queue_resident_news(app: &TestApp, contact_id: i64, key: &str, now: DateTime<Utc>) {
    let message = Message {
        channel: Channel::Email,
        recipient: "resident0@example.org".into(),
        contact_id: Some(contact_id),
        merchant_id: None,
        kind: "resident-need-cancelled",
        locale: Locale::ZhCn,
        payload: serde_json::json!({ "need_id": 1, "title": key }),
        dedupe_key: key.into(),
    };
    enqueue(&app.db, message, now).await.expect("enqueue");
}

async fn row(app: &TestApp, id: i64) -> outbox::Model {
    outbox::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .expect("query")
        .expect("row")
}

#[tokio::test]
async fn smtp_down_for_a_while_then_back_the_message_arrives_once() {
    let port = SmtpSink::reserve_port();
    let app = app_mailing(&format!("smtp://127.0.0.1:{port}")).await;
    let t0 = Utc::now();
    let id = queue_staff_mail(&app, "test:outage", t0).await;
    let dispatcher = app.dispatcher();

    let report = dispatcher.run_once(t0).await.expect("round");
    assert_eq!((report.sent, report.retried), (0, 1), "connection refused is temporary");
    let first = row(&app, id).await;
    assert_eq!((first.status.as_str(), first.attempts), ("failed", 1));
    let wait = first.next_attempt_at - t0;
    assert!(
        wait > Duration::zero() && wait <= Duration::seconds(30),
        "first retry within 30 s: {wait}"
    );
    assert_eq!(
        dispatcher.run_once(t0).await.expect("round").leased,
        0,
        "not before it is due"
    );
    let report = dispatcher.run_once(t0 + Duration::seconds(40)).await.expect("round");
    assert_eq!(report.retried, 1, "still down");

    let sink = SmtpSink::start_on(port);
    let later = t0 + Duration::minutes(20);
    let report = dispatcher.drain(later).await.expect("drain");
    assert_eq!(report.sent, 1);
    dispatcher.drain(later + Duration::hours(2)).await.expect("drain");
    let received = sink.received();
    assert_eq!(received.len(), 1, "arrives once");
    let sent = row(&app, id).await;
    assert_eq!(sent.status.as_str(), "sent");
    assert_eq!(
        received[0].unique_id(),
        crate::support::smtp::unique_part(&sent.message_id)
    );
}

#[tokio::test]
async fn smtp_answering_4xx_twice_then_250_delivers_once_with_the_same_message_id() {
    let sink = SmtpSink::start();
    let app = app_mailing(&sink.url()).await;
    sink.script(&[451, 451]);
    let t0 = Utc::now();
    let id = queue_staff_mail(&app, "test:4xx", t0).await;
    let dispatcher = app.dispatcher();

    assert_eq!(dispatcher.run_once(t0).await.expect("round").retried, 1);
    assert_eq!(
        dispatcher
            .run_once(t0 + Duration::minutes(1))
            .await
            .expect("round")
            .retried,
        1
    );
    assert_eq!(
        dispatcher
            .run_once(t0 + Duration::minutes(5))
            .await
            .expect("round")
            .sent,
        1
    );
    dispatcher.drain(t0 + Duration::hours(2)).await.expect("drain");

    assert_eq!(sink.attempts(), 3, "three tries");
    let received = sink.received();
    assert_eq!(received.len(), 1, "delivered once");
    let sent = row(&app, id).await;
    assert_eq!((sent.status.as_str(), sent.attempts), ("sent", 3));
    assert_eq!(
        received[0].unique_id(),
        crate::support::smtp::unique_part(&sent.message_id)
    );
}

#[tokio::test]
async fn a_temporary_failure_that_never_ends_is_given_up_after_bounded_tries() {
    let sink = SmtpSink::start();
    let app = app_mailing(&sink.url()).await;
    sink.script(&[451; 20]);
    let t0 = Utc::now();
    let id = queue_staff_mail(&app, "test:forever", t0).await;
    let dispatcher = app.dispatcher();
    let mut now = t0;
    for _ in 0..30 {
        dispatcher.run_once(now).await.expect("round");
        now += Duration::minutes(16);
    }
    let dead = row(&app, id).await;
    assert_eq!(dead.status.as_str(), "dead");
    assert_eq!(dead.attempts, charity_relay::notify::MAX_ATTEMPTS);
    assert_eq!(sink.count(), 0);
}

#[tokio::test]
async fn a_5xx_for_the_recipient_is_not_retried_and_the_address_is_marked() {
    let sink = SmtpSink::start();
    let app = app_mailing(&sink.url()).await;
    let world = app.world(0).await;
    let contact = confirm_contact(&app, "resident0@example.org").await;
    sink.refuse("resident0@example.org");
    let t0 = Utc::now();
    queue_resident_news(&app, contact, "test:5xx", t0).await;
    let other = queue_staff_mail(&app, "test:bystander", t0).await;
    let dispatcher = app.dispatcher();

    dispatcher.drain(t0).await.expect("drain");
    let attempts_after_refusal = sink.attempts();
    let refused = scalar_i64(
        &app.db,
        "SELECT attempts FROM outbox WHERE dedupe_key = 'test:5xx' AND status = 'dead'",
    )
    .await;
    assert_eq!(refused, 1, "tried once, then dead");
    let marked = scalar_i64(
        &app.db,
        &format!("SELECT COUNT(*) FROM contacts WHERE id = {contact} AND undeliverable_at IS NOT NULL"),
    )
    .await;
    assert_eq!(marked, 1, "the address is marked undeliverable");
    assert_eq!(
        row(&app, other).await.status.as_str(),
        "sent",
        "one bad message blocks nothing"
    );
    let audited = scalar_i64(
        &app.db,
        "SELECT COUNT(*) FROM audit_log WHERE action = 'contact.undeliverable'",
    )
    .await;
    assert_eq!(audited, 1);

    // Nothing more is tried: a queued row dies unsent, a new need queues nothing for it.
    queue_resident_news(&app, contact, "test:after", t0).await;
    app.post_need(world.a(), 1).await;
    dispatcher.drain(t0 + Duration::hours(3)).await.expect("drain");
    assert_eq!(sink.attempts(), attempts_after_refusal, "nothing more is tried");
    assert_eq!(
        scalar_i64(
            &app.db,
            "SELECT COUNT(*) FROM outbox WHERE recipient = 'resident0@example.org' AND status <> 'dead'"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn a_resident_gets_at_most_the_hourly_limit_and_the_rest_in_one_digest() {
    let sink = SmtpSink::start();
    let app = app_mailing(&sink.url()).await;
    let _world = app.world(0).await;
    let t0 = Utc::now();
    let dispatcher = app.dispatcher();
    let mine = || {
        sink.received()
            .into_iter()
            .filter(|m| m.to == ["resident0@example.org"])
            .skip(1) // the confirmation email, which never counts
            .collect::<Vec<_>>()
    };
    dispatcher.drain(t0).await.expect("the confirmation goes first");
    let contact = confirm_contact(&app, "resident0@example.org").await;
    for i in 0..7 {
        queue_resident_news(&app, contact, &format!("test:flood:{i}"), t0).await;
    }

    dispatcher.drain(t0).await.expect("drain");
    assert_eq!(
        mine().len(),
        4,
        "the default limit is 4 an hour, the confirmation aside"
    );
    queue_resident_news(&app, contact, "test:flood:late", t0 + Duration::minutes(30)).await;
    dispatcher.drain(t0 + Duration::minutes(30)).await.expect("drain");
    assert_eq!(mine().len(), 4, "nothing more within the hour");

    let report = dispatcher.drain(t0 + Duration::minutes(61)).await.expect("drain");
    assert_eq!(report.digests, 1);
    let received = mine();
    assert_eq!(received.len(), 5, "the rest comes as one digest");
    let digest = received[4].parsed();
    let text = digest.body_text(0).unwrap_or_default().into_owned();
    assert_eq!(text.matches("\n- ").count(), 4, "three held and one late: {text}");
    assert!(digest.subject().unwrap_or_default().contains('4'));
    let settled = scalar_i64(
        &app.db,
        "SELECT COUNT(*) FROM outbox WHERE dedupe_key LIKE 'test:flood:%' AND status = 'sent'",
    )
    .await;
    assert_eq!(settled, 8, "the digested rows count as sent with it");
    assert_eq!(dispatcher.drain(t0 + Duration::hours(5)).await.expect("drain").sent, 0);
}

#[tokio::test]
async fn a_send_cut_short_by_a_crash_is_retried_after_its_lease_with_the_same_message_id() {
    let sink = SmtpSink::start();
    let app = app_mailing(&sink.url()).await;
    let t0 = Utc::now();
    let id = queue_staff_mail(&app, "test:crash", t0).await;
    // A dispatcher claimed the row and died before recording anything.
    app.db
        .execute_raw(charity_relay::db::statement(
            &app.db,
            "UPDATE outbox SET locked_until = ?, attempts = 1 WHERE id = ?",
            vec![(t0 + Duration::minutes(5)).into(), id.into()],
        ))
        .await
        .expect("lease");
    let dispatcher = app.dispatcher();
    assert_eq!(
        dispatcher.drain(t0 + Duration::minutes(4)).await.expect("drain").leased,
        0,
        "leased"
    );
    assert_eq!(
        dispatcher.drain(t0 + Duration::minutes(6)).await.expect("drain").sent,
        1
    );
    let received = sink.received();
    assert_eq!(received.len(), 1);
    let sent = row(&app, id).await;
    assert_eq!((sent.status.as_str(), sent.attempts), ("sent", 2));
    assert_eq!(
        received[0].unique_id(),
        crate::support::smtp::unique_part(&sent.message_id)
    );
}

#[tokio::test]
async fn graceful_shutdown_lets_a_send_in_progress_finish() {
    let (mut app, sink) = TestApp::spawn_with_smtp().await;
    sink.slow_down(StdDuration::from_millis(1500));
    let id = queue_staff_mail(&app, "test:shutdown", Utc::now()).await;
    let deadline = tokio::time::Instant::now() + StdDuration::from_secs(10);
    while sink.in_flight() == 0 {
        assert!(tokio::time::Instant::now() < deadline, "the send starts");
        tokio::time::sleep(StdDuration::from_millis(20)).await;
    }
    app.shut_down().await;
    assert_eq!(sink.count(), 1, "the message in flight was delivered");
    let status = scalar_i64(
        &app.db,
        &format!("SELECT COUNT(*) FROM outbox WHERE id = {id} AND status = 'sent' AND locked_until IS NULL"),
    )
    .await;
    assert_eq!(status, 1, "and recorded as sent before the app stopped");
}

/// Inserts `n` staff emails in one statement.
async fn queue_many(app: &TestApp, n: i64, now: DateTime<Utc>) {
    let series = if app.is_postgres() {
        format!("SELECT generate_series(1, {n}) AS i")
    } else {
        format!("WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n}) SELECT i FROM s")
    };
    let sql = format!(
        "INSERT INTO outbox (channel, recipient, kind, locale, payload, dedupe_key, message_id, status, attempts, next_attempt_at, created_at) \
         SELECT 'email', 'worker' || i || '@example.org', 'worker-need-near-deadline', 'en', \
         '{{\"need_id\":1,\"title\":\"rice\",\"left\":1,\"unit\":\"bag\",\"deadline\":\"2026-12-01\"}}', \
         'test:bulk:' || i, '<bulk.' || i || '@charity-relay>', 'pending', 0, ?, ? FROM ({series}) AS series"
    );
    app.db
        .execute_raw(charity_relay::db::statement(
            &app.db,
            &sql,
            vec![now.into(), now.into()],
        ))
        .await
        .expect("bulk insert");
}

/// Runs `dispatchers` against a sink until `n` rows are drained and checks each went once.
async fn drain_with(dispatchers: usize, n: i64) {
    let sink = SmtpSink::start_with(
        std::net::TcpListener::bind("127.0.0.1:0").expect("bind"),
        u32::try_from(dispatchers * 24).expect("threads"),
    );
    let app = app_mailing(&sink.url()).await;
    let now = Utc::now();
    queue_many(&app, n, now).await;
    let settings = Settings {
        batch_size: 100,
        ..Settings::default()
    };
    let workers: Vec<Dispatcher> = (0..dispatchers)
        .map(|_| {
            let sender = EmailSender::from_config(&app.config, 8).expect("sender");
            Dispatcher::new(app.db.clone(), vec![std::sync::Arc::new(sender)], settings.clone())
        })
        .collect();
    let reports = futures::future::join_all(workers.iter().map(|d| d.drain(now))).await;
    let sent: u64 = reports.into_iter().map(|r| r.expect("drain").sent).sum();
    assert_eq!(sent, n as u64);
    assert_eq!(
        scalar_i64(
            &app.db,
            "SELECT COUNT(*) FROM outbox WHERE dedupe_key LIKE 'test:bulk:%' AND status = 'sent' AND attempts = 1"
        )
        .await,
        n
    );
    let received = sink.received();
    assert_eq!(received.len() as i64, n, "each message exactly once");
    let ids: HashSet<String> = received.iter().map(|m| m.message_id()).collect();
    assert_eq!(ids.len() as i64, n, "no Message-ID twice");
}

/// 10,000 rows, 4 dispatchers sharing them with `FOR UPDATE SKIP LOCKED`. PostgreSQL only:
/// without `TEST_DATABASE_URL` this test returns at once (SQLite has one dispatcher; see
/// the next test).
#[tokio::test]
async fn postgres_only_ten_thousand_rows_drained_by_four_dispatchers_are_each_sent_once() {
    if std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .is_none()
    {
        eprintln!("skipped: needs TEST_DATABASE_URL (PostgreSQL)");
        return;
    }
    drain_with(4, 10_000).await;
}

/// The SQLite counterpart (and on PostgreSQL too): one dispatcher drains 1,000 rows,
/// each sent once.
#[tokio::test]
async fn one_dispatcher_drains_a_thousand_rows_each_sent_once() {
    drain_with(1, 1_000).await;
}

/// While the web answers requests the dispatcher takes small, paced rounds; once it is
/// quiet the backlog drains at full speed, each message once.
#[tokio::test]
async fn mail_gives_way_while_requests_are_being_answered_then_catches_up() {
    let sink = SmtpSink::start();
    let app = app_mailing(&sink.url()).await;
    let now = Utc::now();
    queue_many(&app, 300, now).await;
    let metrics = charity_relay::metrics::Metrics::new();
    let sender = EmailSender::from_config(&app.config, 8).expect("sender");
    let dispatcher =
        Dispatcher::new(app.db.clone(), vec![std::sync::Arc::new(sender)], Settings::default()).with_metrics(&metrics);
    // A request is being answered, and stays so for the first second.
    let request = metrics.web.enter();
    let cancel = tokio_util::sync::CancellationToken::new();
    let running = tokio::spawn(dispatcher.run(cancel.clone()));
    tokio::time::sleep(StdDuration::from_millis(1000)).await;
    let while_busy = sink.count();
    // Rounds of at most 40, at least 200 ms apart: five rounds and the one under way.
    assert!(while_busy <= 6 * 40, "{while_busy} sent while the web was busy");

    drop(request);
    let deadline = tokio::time::Instant::now() + StdDuration::from_secs(20);
    while sink.count() < 300 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the backlog drains once the web is quiet"
        );
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
    cancel.cancel();
    running.await.expect("dispatcher");
    let ids: HashSet<String> = sink.received().iter().map(|m| m.message_id()).collect();
    assert_eq!(ids.len(), 300, "each message once");
}
