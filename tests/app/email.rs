//! Residents and social workers get their email: every kind, multipart, in their language,
//! with the right headers, through a real SMTP server on loopback or as `.eml` files.

use charity_relay::domain::Locale;
use charity_relay::notify::templates::KINDS;
use charity_relay::services::contacts;
use charity_relay::services::outbox::{Channel, Message, enqueue};
use chrono::Utc;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::mail::{self, confirm_contact, snapshot_text};
use crate::support::world::{PLANTED_ADDRESS, PLANTED_NAME, PLANTED_PHONE};
use crate::support::{SmtpSink, TestApp, set};
use charity_relay::entities::outbox;

use crate::support::mail_samples::sample;

/// Kinds whose one-time link is made from a live record when they are sent (an
/// application waiting for it): `tests/app/applications.rs` reads and snapshots them.
const LIVE_LINKS: [&str; 3] = ["application-verify", "application-more-info", "application-approved"];

#[tokio::test]
async fn every_kind_arrives_multipart_with_its_headers_in_the_recipients_language() {
    let sink = SmtpSink::start();
    let url = sink.url();
    let app = TestApp::spawn_without_dispatcher(|env| {
        set(env, "RELAY_SMTP_URL", &url);
        set(env, "RELAY_EMAIL_HOURLY_LIMIT", "0");
    })
    .await;
    let world = app.world(0).await;
    let resident = confirm_contact(&app, "resident0@example.org").await;
    let now = Utc::now();
    for locale in &Locale::ALL {
        for kind in KINDS
            .iter()
            .copied()
            .filter(|k| *k != contacts::CONSENT_KIND && !LIVE_LINKS.contains(k))
        {
            let staff = kind.starts_with("worker-") || kind.starts_with("application-");
            let message = Message {
                channel: Channel::Email,
                recipient: if staff {
                    "worker0@example.org"
                } else {
                    "resident0@example.org"
                }
                .into(),
                contact_id: (!staff).then_some(resident),
                merchant_id: None,
                kind,
                locale: *locale,
                payload: sample(kind),
                dedupe_key: format!("test:{kind}:{locale}"),
            };
            assert!(enqueue(&app.db, message, now).await.expect("enqueue"));
        }
        // A newcomer in this language gets its confirmation email.
        contacts::find_or_create(
            &app.db,
            &app.config.secret_key,
            world.a().id,
            &format!("newcomer-{locale}@example.org"),
            *locale,
            now,
        )
        .await
        .expect("contact");
    }
    // A Telegram row is the bot's: the email dispatcher leaves it alone.
    let telegram = Message {
        channel: Channel::Telegram,
        recipient: "1".into(),
        contact_id: None,
        merchant_id: None,
        kind: "merchant-claim-reminder",
        locale: Locale::ZhCn,
        payload: serde_json::json!({}),
        dedupe_key: "test:telegram".into(),
    };
    assert!(enqueue(&app.db, telegram, now).await.expect("enqueue"));

    app.dispatcher().drain(now).await.expect("drain");

    let rows = outbox::Entity::find()
        .filter(outbox::Column::DedupeKey.like("test:%"))
        .all(&app.db)
        .await
        .expect("rows");
    let consent_rows = outbox::Entity::find()
        .filter(outbox::Column::Recipient.like("newcomer-%"))
        .all(&app.db)
        .await
        .expect("rows");
    let received = sink.received();
    let mut seen = 0;
    for row in rows
        .iter()
        .chain(&consent_rows)
        .filter(|r| r.channel.as_str() == "email")
    {
        let wanted = crate::support::smtp::unique_part(&row.message_id);
        let found: Vec<_> = received.iter().filter(|m| m.unique_id() == wanted).collect();
        assert_eq!(found.len(), 1, "{} {} arrives once", row.kind, row.locale.as_str());
        let got = found[0];
        assert_eq!(got.to, vec![row.recipient.clone()]);
        let resident = row.contact_id.is_some();
        mail::assert_well_formed(got, row.locale.as_str(), resident);
        snapshot_text(&format!("{}.{}", row.kind, row.locale.as_str()), got);
        seen += 1;
    }
    assert_eq!(
        seen,
        2 * (KINDS.len() - LIVE_LINKS.len()),
        "every kind in both languages"
    );
    let telegram = outbox::Entity::find()
        .filter(outbox::Column::DedupeKey.eq("test:telegram"))
        .one(&app.db)
        .await
        .expect("row")
        .expect("the Telegram row");
    assert_eq!((telegram.status.as_str(), telegram.attempts), ("pending", 0));
}

#[tokio::test]
async fn a_need_told_end_to_end_by_the_running_app_never_mentions_private_details() {
    let (app, sink) = TestApp::spawn_with_smtp().await;
    let world = app.world(1).await;
    confirm_contact(&app, "resident0@example.org").await;
    let need = app.post_need(world.a(), 2).await;
    let m = &world.merchants[0];
    let (status, claim) = app.claim(&m.token, need, 2).await;
    assert_eq!(status, 201, "{claim}");
    let id = claim["id"].as_i64().expect("claim id");
    let (status, _) = app
        .api("POST", &format!("/api/v1/claims/{id}/delivered"), &m.token, None)
        .await;
    assert_eq!(status, 200);
    let (status, _) = app
        .api(
            "POST",
            &format!("/api/v1/claims/{id}/confirm"),
            &world.a().token,
            Some(serde_json::json!({ "rating": 5 })),
        )
        .await;
    assert_eq!(status, 200);

    // resident0: registered, claimed, delivered; worker0: claimed, to confirm;
    // resident1 (still unconfirmed): its confirmation only. resident0's own confirmation
    // may have gone before the test confirmed it by hand; it is not counted.
    mail::wait_until_sent(&app).await;
    let received = sink.received();
    let subjects = |to: &str| -> Vec<String> {
        received
            .iter()
            .filter(|m| m.to == [to])
            .map(|m| m.parsed().subject().unwrap_or_default().to_owned())
            .filter(|s| !s.starts_with("请确认：接收"))
            .collect()
    };
    assert_eq!(subjects("resident0@example.org").len(), 3, "{received:?}");
    assert_eq!(subjects("worker0@example.org").len(), 2);
    assert_eq!(
        received.iter().filter(|m| m.to == ["resident1@example.org"]).count(),
        1,
        "an unconfirmed contact gets its confirmation only"
    );
    for m in &received {
        let text = String::from_utf8_lossy(&m.data).into_owned();
        let parsed = m.parsed();
        let bodies = format!(
            "{text}{}{}",
            parsed.body_text(0).unwrap_or_default(),
            parsed.body_html(0).unwrap_or_default()
        );
        for planted in [PLANTED_NAME, PLANTED_PHONE, PLANTED_ADDRESS] {
            assert!(!bodies.contains(planted), "an email must not contain {planted}");
        }
    }
    let metrics = app.get("/metrics").await.text().await.expect("metrics");
    assert!(
        metrics.contains("relay_outbox_messages_total{channel=\"email\",outcome=\"sent\"}"),
        "{metrics}"
    );
    app.stop().await;
}

#[tokio::test]
async fn without_smtp_the_messages_are_written_as_parseable_eml_files() {
    let app = TestApp::spawn_without_dispatcher(|_| {}).await;
    let _world = app.world(0).await;
    let resident = confirm_contact(&app, "resident0@example.org").await;
    let now = Utc::now();
    let message = Message {
        channel: Channel::Email,
        recipient: "resident0@example.org".into(),
        contact_id: Some(resident),
        merchant_id: None,
        kind: "resident-need-claimed",
        locale: Locale::En,
        payload: sample("resident-need-claimed"),
        dedupe_key: "test:eml".into(),
    };
    enqueue(&app.db, message, now).await.expect("enqueue");

    let report = app.dispatcher().drain(now).await.expect("drain");
    assert!(
        report.sent >= 2,
        "the claim news and resident1's confirmation: {report:?}"
    );

    let dir = app.config.data_dir.join("outbox");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("the outbox folder")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    assert_eq!(files.len() as u64, report.sent, "{files:?}");
    assert!(files.iter().all(|f| f.extension().is_some_and(|e| e == "eml")));
    let row = outbox::Entity::find()
        .filter(outbox::Column::DedupeKey.eq("test:eml"))
        .one(&app.db)
        .await
        .expect("query")
        .expect("row");
    let file = dir.join(format!("{:010}.eml", row.id));
    let received = crate::support::smtp::Received {
        from: String::new(),
        to: vec![],
        data: std::fs::read(&file).expect("the message's file"),
    };
    assert_eq!(received.unique_id(), crate::support::smtp::unique_part(&row.message_id));
    mail::assert_well_formed(&received, "en", true);
    assert!(
        received
            .parsed()
            .body_text(0)
            .unwrap_or_default()
            .contains("Good news!")
    );
}

#[tokio::test]
async fn a_social_worker_hears_once_of_a_need_near_its_deadline_still_unclaimed() {
    let sink = SmtpSink::start();
    let url = sink.url();
    let app = TestApp::spawn_without_dispatcher(|env| set(env, "RELAY_SMTP_URL", &url)).await;
    let world = app.world(0).await;
    let need = app.post_need(world.a(), 4).await;
    let soon = Utc::now() + chrono::Duration::days(29);

    let first = charity_relay::jobs::run_once(&app.db, soon).await.expect("jobs");
    let again = charity_relay::jobs::run_once(&app.db, soon).await.expect("jobs");
    assert_eq!((first.warned, again.warned), (1, 0), "once per need");
    app.dispatcher().drain(soon).await.expect("drain");

    let to_worker: Vec<_> = sink
        .received()
        .into_iter()
        .filter(|m| m.to == ["worker0@example.org"])
        .collect();
    assert_eq!(to_worker.len(), 1);
    let text = to_worker[0].parsed().body_text(0).unwrap_or_default().into_owned();
    assert!(text.contains("仍有 4 袋无人认领"), "{text}");
    assert!(text.contains(&format!("/needs/{need}")), "{text}");
}

#[tokio::test]
async fn an_unusable_smtp_url_stops_serve_with_one_line_and_exit_2() {
    let app = TestApp::spawn().await;
    let mut env = app.env.clone();
    set(
        &mut env,
        "RELAY_SMTP_URL",
        "smtp://relay:hunter22@mail.example.org:587?tls=sometimes",
    );
    let run = crate::support::run_cli(&env, &["serve"], "");
    assert_eq!(run.code, Some(2), "{run:?}");
    let lines = run.error_lines();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains("RELAY_SMTP_URL"), "{lines:?}");
    assert!(!run.stderr.contains("hunter22"), "the password is masked");
}

#[tokio::test]
async fn a_claim_of_volunteer_hours_is_told_as_service_not_as_a_delivery() {
    let (app, sink) = TestApp::spawn_with_smtp().await;
    let world = app.world(1).await;
    confirm_contact(&app, "resident0@example.org").await;
    let need = app
        .post_need_of(world.a(), "volunteer_hours", "陪同长者复诊", 2, "小时")
        .await;
    let m = &world.merchants[0];
    let (status, claim) = app.claim(&m.token, need, 2).await;
    assert_eq!(status, 201, "{claim}");
    let id = claim["id"].as_i64().expect("claim id");
    let (status, _) = app
        .api("POST", &format!("/api/v1/claims/{id}/delivered"), &m.token, None)
        .await;
    assert_eq!(status, 200);
    let (status, _) = app
        .api(
            "POST",
            &format!("/api/v1/claims/{id}/confirm"),
            &world.a().token,
            Some(serde_json::json!({ "rating": 5 })),
        )
        .await;
    assert_eq!(status, 200);
    mail::wait_until_sent(&app).await;

    let received = sink.received();
    let told: Vec<(String, String)> = received
        .iter()
        .filter(|m| m.to == ["resident0@example.org"] || m.to == ["worker0@example.org"])
        .map(|m| {
            let parsed = m.parsed();
            (
                parsed.subject().unwrap_or_default().to_owned(),
                format!(
                    "{}\n{}",
                    parsed.body_text(0).unwrap_or_default(),
                    parsed.body_html(0).unwrap_or_default()
                ),
            )
        })
        .filter(|(subject, _)| !subject.starts_with("请确认：接收") && !subject.contains("已登记"))
        .collect();
    // resident: claimed, done; worker: claimed, to confirm.
    assert_eq!(told.len(), 4, "{told:?}");
    for (subject, body) in &told {
        assert!(
            !subject.contains("送达") && !body.contains("送达") && !body.contains("交接"),
            "hours are not delivered: {subject}\n{body}"
        );
        assert!(body.contains("服务"), "{subject}\n{body}");
    }
    assert!(
        told.iter()
            .any(|(s, b)| s.starts_with("已完成服务并确认") && b.contains("服务已完成")),
        "{told:?}"
    );
    assert!(told.iter().any(|(s, _)| s.starts_with("请确认已完成服务")), "{told:?}");
    assert!(told.iter().any(|(_, b)| b.contains("服务时间")), "{told:?}");
    app.stop().await;
}
