//! Residents hear only what they said yes to: double opt-in first, one click to leave.

use charity_relay::services::contacts::CONSENT_WORDING_VERSION;
use chrono::{Duration, Utc};

use super::mail::{self, confirm_contact, contact_id, link_path, unsubscribe_url};
use crate::support::{SmtpSink, TestApp, scalar_i64, set};

async fn smtp_app() -> (TestApp, SmtpSink) {
    let sink = SmtpSink::start();
    let url = sink.url();
    let app = TestApp::spawn_without_dispatcher(|env| set(env, "RELAY_SMTP_URL", &url)).await;
    (app, sink)
}

fn to<'a>(sink: &'a [crate::support::smtp::Received], address: &str) -> Vec<&'a crate::support::smtp::Received> {
    sink.iter().filter(|m| m.to == [address]).collect()
}

async fn consent_of(app: &TestApp, email: &str) -> String {
    let row = sea_orm::ConnectionTrait::query_one_raw(
        &app.db,
        charity_relay::db::statement(
            &app.db,
            "SELECT consent_status FROM contacts WHERE email = ?",
            vec![email.into()],
        ),
    )
    .await
    .expect("query")
    .expect("contact");
    row.try_get_by_index::<String>(0).expect("status")
}

async fn page_policy(app: &TestApp, path: &str) -> String {
    app.get(path)
        .await
        .headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn an_unconfirmed_contact_gets_only_the_confirmation_until_it_confirms() {
    let (app, sink) = smtp_app().await;
    let world = app.world(0).await;
    app.post_need(world.a(), 5).await;
    let dispatcher = app.dispatcher();
    let now = Utc::now();

    dispatcher.drain(now).await.expect("drain");
    let received = sink.received();
    let mine = to(&received, "resident0@example.org");
    assert_eq!(mine.len(), 1, "the confirmation and nothing else");
    mail::assert_well_formed(mine[0], "zh-CN", true);
    assert!(
        mine[0].parsed().subject().unwrap_or_default().starts_with("请确认"),
        "it is the confirmation"
    );
    let held = scalar_i64(
        &app.db,
        "SELECT COUNT(*) FROM outbox WHERE recipient = 'resident0@example.org' AND status = 'held' AND hold_reason = 'consent'",
    )
    .await;
    assert_eq!(held, 1, "the need's news waits for consent");
    dispatcher.drain(now + Duration::hours(2)).await.expect("drain");
    assert_eq!(
        to(&sink.received(), "resident0@example.org").len(),
        1,
        "exactly one confirmation"
    );

    // GET shows a page with a button and changes nothing.
    let path = link_path(mine[0], "/consent/");
    let page = app.get(&path).await;
    assert_eq!(page.status(), 200);
    assert_eq!(
        page.headers().get("referrer-policy").and_then(|v| v.to_str().ok()),
        Some("no-referrer")
    );
    let html = page.text().await.expect("page");
    assert!(
        html.contains("<form method=\"post\"") && html.contains("确认"),
        "{html}"
    );
    assert!(
        !html.contains("<script") && !html.contains("<style") && !html.contains("style="),
        "no script, no inline style"
    );
    assert!(
        html.contains("<link rel=\"stylesheet\" href=\"/static/mail.css\">"),
        "the emails' look, from our own stylesheet: {html}"
    );
    let org = "沙头角街道社工站";
    assert!(
        html.contains(&format!("「{org}」的社工为您登记了这个邮箱")),
        "the page names the organization that registered the person: {html}"
    );
    let policy = page_policy(&app, &path).await;
    assert!(
        policy.contains("default-src 'none'") && policy.contains("style-src 'self'") && !policy.contains("unsafe"),
        "{policy}"
    );
    let sheet = app.get("/static/mail.css").await;
    assert_eq!(sheet.status(), 200);
    assert!(
        sheet
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/css")),
        "served as CSS"
    );
    assert_eq!(consent_of(&app, "resident0@example.org").await, "pending");

    // POST confirms: time and wording version are stored, and the held news goes out.
    let confirmed = app.client.post(app.url(&path)).send().await.expect("POST");
    assert_eq!(confirmed.status(), 200);
    assert!(confirmed.text().await.expect("page").contains("谢谢"));
    assert_eq!(consent_of(&app, "resident0@example.org").await, "confirmed");
    let stored = scalar_i64(
        &app.db,
        &format!(
            "SELECT COUNT(*) FROM contacts WHERE email = 'resident0@example.org' AND consent_at IS NOT NULL \
             AND consent_wording_version = '{CONSENT_WORDING_VERSION}' AND confirm_token_digest IS NULL"
        ),
    )
    .await;
    assert_eq!(stored, 1);
    let audited = scalar_i64(
        &app.db,
        "SELECT COUNT(*) FROM audit_log WHERE action = 'contact.consent'",
    )
    .await;
    assert_eq!(audited, 1);

    // Released as of the confirmation, which the handler dated with the real clock.
    dispatcher.drain(Utc::now()).await.expect("drain");
    let mine = to(&sink.received(), "resident0@example.org").len();
    assert_eq!(mine, 2, "the need's news arrives after consent");

    let again = app.client.post(app.url(&path)).send().await.expect("POST");
    assert_eq!(again.status(), 404, "a confirmation link works once");
    assert_eq!(
        to(&sink.received(), "resident1@example.org").len(),
        1,
        "the other resident got its confirmation only"
    );
}

#[tokio::test]
async fn an_expired_confirmation_link_offers_a_new_one_and_a_forged_one_changes_nothing() {
    let (app, sink) = smtp_app().await;
    let _world = app.world(0).await;
    let now = Utc::now();
    app.dispatcher().drain(now).await.expect("drain");
    let first = to(&sink.received(), "resident0@example.org")[0].clone();
    let path = link_path(&first, "/consent/");

    let forged = format!("/consent/{}", "0".repeat(64));
    assert_eq!(app.get(&forged).await.status(), 404);
    let response = app.client.post(app.url(&forged)).send().await.expect("POST");
    assert_eq!(response.status(), 404);
    assert!(
        response.text().await.expect("page").contains("链接无效"),
        "a friendly page"
    );
    let english = app
        .client
        .post(app.url("/consent/not-a-token"))
        .header("Accept-Language", "en-US,en;q=0.9")
        .send()
        .await
        .expect("POST");
    assert_eq!(english.status(), 404);
    assert!(english.text().await.expect("page").contains("Link not valid"));
    assert_eq!(consent_of(&app, "resident0@example.org").await, "pending");

    // Eight days later the link has expired: the page offers a new one.
    sea_orm::ConnectionTrait::execute_raw(
        &app.db,
        charity_relay::db::statement(
            &app.db,
            "UPDATE contacts SET confirm_expires_at = ? WHERE email = 'resident0@example.org'",
            vec![(now - Duration::days(1)).into()],
        ),
    )
    .await
    .expect("age the link");
    let page = app.get(&path).await.text().await.expect("page");
    assert!(page.contains("失效"), "{page}");
    let resent = app.client.post(app.url(&path)).send().await.expect("POST");
    assert_eq!(resent.status(), 200);
    assert_eq!(consent_of(&app, "resident0@example.org").await, "pending");
    app.dispatcher().drain(Utc::now()).await.expect("drain");
    let mine = to(&sink.received(), "resident0@example.org")
        .into_iter()
        .cloned()
        .collect::<Vec<_>>();
    assert_eq!(mine.len(), 2, "a second confirmation email");
    let new_path = link_path(&mine[1], "/consent/");
    assert_ne!(new_path, path);
    assert_eq!(
        app.client.post(app.url(&path)).send().await.expect("POST").status(),
        404
    );
    assert_eq!(
        app.client.post(app.url(&new_path)).send().await.expect("POST").status(),
        200
    );
    assert_eq!(consent_of(&app, "resident0@example.org").await, "confirmed");
}

#[tokio::test]
async fn an_unsubscribed_contact_gets_nothing_more_and_one_click_needs_no_cookie() {
    let (app, sink) = smtp_app().await;
    let world = app.world(0).await;
    confirm_contact(&app, "resident0@example.org").await;
    app.post_need(world.a(), 5).await;
    let now = Utc::now();
    app.dispatcher().drain(now).await.expect("drain");
    let news = to(&sink.received(), "resident0@example.org")[0].clone();
    let url = unsubscribe_url(&news);
    let path = &url[url.find("/unsubscribe/").expect("path")..];

    // The page has a button and changes nothing.
    let page = app.get(path).await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.expect("page").contains("<button"));
    assert_eq!(consent_of(&app, "resident0@example.org").await, "confirmed");

    // Something is queued for the contact when it leaves.
    app.post_need(world.a(), 1).await;

    // A mail provider's one-click POST: no cookie, no session, no CSRF token.
    let provider = reqwest::Client::builder().build().expect("client");
    let response = provider
        .post(app.url(path))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .expect("POST");
    assert!(response.status().is_success(), "{}", response.status());
    assert_eq!(consent_of(&app, "resident0@example.org").await, "unsubscribed");
    let again = provider.post(app.url(path)).send().await.expect("POST");
    assert!(again.status().is_success(), "unsubscribing twice is harmless");

    app.post_need(world.a(), 2).await;
    app.dispatcher().drain(now + Duration::hours(3)).await.expect("drain");
    assert_eq!(
        to(&sink.received(), "resident0@example.org").len(),
        1,
        "nothing more after unsubscribing"
    );
    let dropped = scalar_i64(
        &app.db,
        "SELECT COUNT(*) FROM outbox WHERE recipient = 'resident0@example.org' AND status = 'dead'",
    )
    .await;
    assert!(dropped >= 1, "what was queued is dropped, not sent");
    let audited = scalar_i64(
        &app.db,
        "SELECT COUNT(*) FROM audit_log WHERE action = 'contact.unsubscribe'",
    )
    .await;
    assert_eq!(audited, 1);

    // A forged token changes nothing.
    let other = contact_id(&app, "resident1@example.org").await;
    let forged = format!("/unsubscribe/{}", "ab".repeat(32));
    assert_eq!(
        provider.post(app.url(&forged)).send().await.expect("POST").status(),
        404
    );
    assert_eq!(
        provider
            .post(app.url(&format!("/unsubscribe/{other}")))
            .send()
            .await
            .expect("POST")
            .status(),
        404
    );
    assert_eq!(consent_of(&app, "resident1@example.org").await, "pending");
}
