//! The office's outbox shows the messages to those who applied to it — an organization's
//! mail, a shop's bot message — though neither is a party of its subdistrict yet; another
//! subdistrict's office does not see them, and no one sees what they say.

use charity_relay::domain::{Locale, Role};
use charity_relay::services::merchant_applications::{self, ApplicationDraft};
use charity_relay::services::{organizations, staff};
use chrono::Utc;

use super::mail::link_path;
use crate::support::browser::{Browser, STAFF_PASSWORD};
use crate::support::smtp::Received;
use crate::support::{SmtpSink, TestApp, scalar_i64, set};

/// Haishan's community (Shatoujiao's is the test world's), the two offices and the bureau.
async fn two_offices(app: &TestApp) -> i64 {
    let now = Utc::now();
    app.world(0).await;
    let haishan = organizations::create_community(&app.db, "海山社区", "Haishan", "海山街道", "Haishan", now)
        .await
        .expect("community");
    for (email, subdistrict, role) in [
        ("shatoujiao@example.org", Some("沙头角街道"), Role::Admin),
        ("haishan@example.org", Some("海山街道"), Role::Admin),
    ] {
        let new = staff::NewUser {
            email: email.into(),
            role,
            organization: None,
            subdistrict: subdistrict.map(str::to_owned),
            password: STAFF_PASSWORD.into(),
        };
        staff::create_user(&app.db, new, now).await.expect("office");
    }
    haishan
}

/// A credit code with the right check character (GB 32100-2015), from its first 17.
fn code(first17: &str) -> String {
    const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
    const WEIGHTS: [usize; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
    let sum: usize = first17
        .bytes()
        .zip(WEIGHTS)
        .map(|(c, w)| ALPHABET.iter().position(|&a| a == c).expect("a code character") * w)
        .sum();
    format!("{first17}{}", ALPHABET[(31 - sum % 31) % 31] as char)
}

/// A social group of Haishan applies on the public form.
async fn apply(app: &TestApp, community: i64) {
    let community = community.to_string();
    let code = code("51440300MJL123456");
    let fields = [
        ("name", "海山长者关爱协会"),
        ("credit_code", code.as_str()),
        ("declared_kind", "social_group"),
        ("contact_name", "陈主任"),
        ("contact_email", "chen@example.org"),
        ("areas", "elder_care"),
        ("communities", community.as_str()),
        (
            "description",
            "为辖区独居长者提供探访、陪诊和助餐服务，有社工三名、志愿者四十名。",
        ),
        ("website", ""),
    ];
    let mut browser = app.browser();
    assert_eq!(browser.get("/apply/organization").await.0, 200);
    let response = browser.post("/apply/organization", &fields).await;
    assert_eq!(response.status(), 200, "{}", response.text().await.expect("page"));
}

/// Sends what is queued and returns the mail to `address`, oldest first.
async fn mail_to(app: &TestApp, sink: &SmtpSink, address: &str) -> Vec<Received> {
    app.dispatcher().drain(Utc::now()).await.expect("drain");
    sink.received().into_iter().filter(|m| m.to == [address]).collect()
}

/// Opens the verification link of `m` and confirms.
async fn verify(app: &TestApp, m: &Received) {
    let path = link_path(m, "/apply/verify?token=");
    let token = path.split("token=").nth(1).expect("token").to_owned();
    let mut browser = app.browser();
    assert_eq!(browser.get(&path).await.0, 200);
    let response = browser.post("/apply/verify", &[("token", &token)]).await;
    assert_eq!(response.status(), 200);
}

async fn outbox(office: &mut Browser, status: &str) -> String {
    let (code, html) = office.get(&format!("/admin/outbox?status={status}")).await;
    assert_eq!(code, 200, "{html}");
    html
}

#[tokio::test]
async fn an_office_sees_the_mail_to_the_organization_that_applied_to_it_and_another_office_does_not() {
    let sink = SmtpSink::start();
    let url = sink.url();
    let app = TestApp::spawn_without_dispatcher(|env| set(env, "RELAY_SMTP_URL", &url)).await;
    let haishan = two_offices(&app).await;
    apply(&app, haishan).await;
    let mail = mail_to(&app, &sink, "chen@example.org").await;
    verify(&app, &mail[0]).await;
    let id = scalar_i64(&app.db, "SELECT MAX(id) FROM organization_applications").await;

    let mut office = app.login("haishan@example.org").await;
    let reason = "服务范围不在本街道，请向所在街道申请。";
    let rejected = office
        .post(&format!("/admin/applications/{id}/reject"), &[("reason", reason)])
        .await;
    assert_eq!(rejected.status(), 303);
    // The rejection bounces: the office finds it among the messages given up.
    sink.refuse("chen@example.org");
    app.dispatcher().drain(Utc::now()).await.expect("drain");
    let dead = outbox(&mut office, "dead").await;
    assert!(dead.contains("向申请机构：申请未通过"), "{dead}");
    assert!(dead.contains("c***@example.org"), "the recipient stays masked: {dead}");
    assert!(!dead.contains(reason), "what it says is not shown");
    let sent = outbox(&mut office, "sent").await;
    assert!(sent.contains("向申请机构：请验证邮箱"), "{sent}");
    assert!(!sent.contains("token="), "no link is shown");

    // Shatoujiao's office sees none of it, and cannot retry it.
    let mut other = app.login("shatoujiao@example.org").await;
    for status in ["dead", "sent"] {
        let html = outbox(&mut other, status).await;
        assert!(
            !html.contains("向申请机构") && !html.contains("c***@example.org"),
            "{html}"
        );
    }
    let row = scalar_i64(&app.db, "SELECT id FROM outbox WHERE kind = 'application-rejected'").await;
    assert_eq!(
        other.post(&format!("/admin/outbox/{row}/retry"), &[]).await.status(),
        404
    );
    assert_eq!(
        office.post(&format!("/admin/outbox/{row}/retry"), &[]).await.status(),
        303
    );
}

#[tokio::test]
async fn an_office_sees_the_bot_message_to_the_shop_that_applied_to_it_and_another_office_does_not() {
    let app = TestApp::spawn_without_dispatcher(|_| {}).await;
    let haishan = two_offices(&app).await;
    let draft = ApplicationDraft {
        shop_name: "海山粮油店".into(),
        category: "food".into(),
        community_id: haishan,
        credit_code: "92440300MA5FXT4K34".into(),
        phone: "0755 2555 1234".into(),
        offer: "每周 10 袋大米".into(),
    };
    let applied = merchant_applications::submit(&app.db, 9_001, Locale::ZhCn, &draft, Utc::now())
        .await
        .expect("applied");

    let mut office = app.login("haishan@example.org").await;
    let reason = "门店不在海山街道辖区";
    let rejected = office
        .post(
            &format!("/admin/merchant-applications/{}/reject", applied.id),
            &[("reason", reason)],
        )
        .await;
    assert_eq!(rejected.status(), 303);
    let pending = outbox(&mut office, "pending").await;
    assert!(pending.contains("向申请商户：申请未通过"), "{pending}");
    assert!(!pending.contains(reason), "what it says is not shown");
    assert!(
        pending.contains("Telegram ·· 01"),
        "the chat shows by its last digits: {pending}"
    );
    assert!(!pending.contains("9001"), "never the chat id itself: {pending}");

    let mut other = app.login("shatoujiao@example.org").await;
    let html = outbox(&mut other, "pending").await;
    assert!(!html.contains("向申请商户"), "{html}");
}

#[tokio::test]
async fn a_shop_that_resubmits_to_another_subdistrict_takes_its_messages_to_that_office() {
    let app = TestApp::spawn_without_dispatcher(|_| {}).await;
    let haishan = two_offices(&app).await;
    let donghe = scalar_i64(&app.db, "SELECT id FROM communities WHERE name = '东和社区'").await;
    let mut draft = ApplicationDraft {
        shop_name: "东和粮油店".into(),
        category: "food".into(),
        community_id: haishan,
        credit_code: "92440300MA5FXT4K34".into(),
        phone: "0755 2555 1234".into(),
        offer: "每周 10 袋大米".into(),
    };
    let applied = merchant_applications::submit(&app.db, 9_002, Locale::ZhCn, &draft, Utc::now())
        .await
        .expect("applied");
    // Haishan's office asks for more: the shop is in Donghe, Shatoujiao's community.
    let mut office = app.login("haishan@example.org").await;
    let asked = office
        .post(
            &format!("/admin/merchant-applications/{}/more", applied.id),
            &[("reason", "请确认门店所在社区")],
        )
        .await;
    assert_eq!(asked.status(), 303);
    assert!(outbox(&mut office, "pending").await.contains("向申请商户"));

    // It answers with the right community: the message goes with it to Shatoujiao's office.
    draft.community_id = donghe;
    merchant_applications::submit(&app.db, 9_002, Locale::ZhCn, &draft, Utc::now())
        .await
        .expect("resubmitted");
    let html = outbox(&mut office, "pending").await;
    assert!(!html.contains("向申请商户"), "{html}");
    let mut other = app.login("shatoujiao@example.org").await;
    let html = outbox(&mut other, "pending").await;
    assert!(html.contains("向申请商户"), "{html}");
}
