//! A shop applies in the bot with `/join`; the office of its community's subdistrict reviews
//! the application on the web; the bot tells the shop the outcome, and on approval the chat
//! is linked at once. Another subdistrict's office finds no such application.

use bots::text;
use bots::{Action, JoinStep, Locale};
use charity_relay::domain::Role;
use charity_relay::services::{organizations, staff};
use chrono::Utc;

use crate::support::bot::{Chat, REPLY_WITHIN};
use crate::support::browser::{Browser, STAFF_PASSWORD};
use crate::support::{TestApp, scalar_i64};

/// A valid unified social credit code of an individual business (92…).
const CODE: &str = "92440300MA5FXT4K34";

/// Two subdistricts, each with a community and an office account: Shatoujiao (the world's
/// 东和社区) and Haishan (海山社区). Returns Haishan's community id.
async fn two_offices(app: &TestApp) -> i64 {
    let now = Utc::now();
    app.world(0).await;
    let haishan = organizations::create_community(&app.db, "海山社区", "Haishan", "海山街道", "Haishan", now)
        .await
        .expect("community");
    for (email, subdistrict, role) in [
        ("shatoujiao@example.org", Some("沙头角街道"), Role::Admin),
        ("haishan@example.org", Some("海山街道"), Role::Admin),
        ("district@example.org", None, Role::District),
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

/// The message to `chat` after the first `before` ones.
async fn after(app: &TestApp, chat: &Chat<'_>, before: usize) -> String {
    app.wait_for_telegram(chat.id, before + 1, REPLY_WITHIN).await[before]
        .text
        .clone()
}

/// Goes through `/join` in `chat` up to "Submit?" and submits, for a shop of `community`
/// under credit code `code`; the bot's answer to the submission.
async fn submit(chat: &Chat<'_>, name: &str, community: i64, code: &str) -> String {
    let lang = chat.lang;
    assert_eq!(chat.send("/join").await.text, text::join::ask_name(lang));
    assert_eq!(chat.send(name).await.text, text::join::ask_category(lang));
    let community_question = chat.tap(&Action::JoinCategory("food".into()).encode()).await;
    assert_eq!(community_question.text, text::join::ask_community(lang));
    assert!(
        community_question
            .buttons
            .iter()
            .flatten()
            .any(|(_, data)| *data == Action::JoinCommunity(community).encode()),
        "{community_question:?}"
    );
    let code_question = chat.tap(&Action::JoinCommunity(community).encode()).await;
    assert_eq!(code_question.text, text::join::ask_code(lang));
    // A mistyped code is answered with what is wrong, and asked again.
    let wrong = chat.send("92440300MA5FXT4K3X").await;
    assert_eq!(wrong.text, text::join::code_invalid(lang, bots::CodeProblem::Check));
    assert_eq!(chat.send(code).await.text, text::join::ask_phone(lang));
    let bad_phone = chat.send("12345").await;
    assert_eq!(
        bad_phone.text,
        text::join::phone_invalid(lang, bots::PhoneProblem::Shape)
    );
    assert_eq!(chat.send("0755 2555 1234").await.text, text::join::ask_offer(lang, 300));
    let confirm = chat.send("每周 10 袋大米").await;
    assert!(
        confirm.text.contains(code) && confirm.text.contains("0755-25551234"),
        "{}",
        confirm.text
    );
    chat.tap(&Action::JoinSubmit.encode()).await.text
}

/// [`submit`] under [`CODE`], taken.
async fn apply(chat: &Chat<'_>, name: &str, community: i64) {
    assert_eq!(
        submit(chat, name, community, CODE).await,
        text::join::submitted(chat.lang)
    );
}

async fn office(app: &TestApp, email: &str) -> Browser {
    app.login(email).await
}

fn application_id(chat: i64) -> String {
    format!("SELECT id FROM merchant_applications WHERE chat_id = {chat} ORDER BY id DESC")
}

#[tokio::test]
async fn a_shop_applies_the_office_approves_on_the_web_and_the_chat_is_told_and_linked() {
    let app = TestApp::spawn_with_bot().await;
    let haishan = two_offices(&app).await;
    for (i, lang) in Locale::ALL.into_iter().enumerate() {
        let chat = app.chat(9100 + i as i64, lang);
        // Unlinked, the chat hears of link codes and of /join.
        let unlinked = chat.send("/needs").await;
        assert_eq!(unlinked.text, text::how_to_link(lang));
        assert!(unlinked.text.contains("/join"));
        let name = format!("海山粮油店{i}");
        let code = [CODE, "92440300MA5FXT4K5A"][i];
        assert_eq!(submit(&chat, &name, haishan, code).await, text::join::submitted(lang));
        // `/join` again says it waits.
        assert!(chat.send("/join").await.text.contains(&name));
        let id = scalar_i64(&app.db, &application_id(chat.id)).await;

        let mut haishan_office = office(&app, "haishan@example.org").await;
        let (status, merchants) = haishan_office.get("/admin/merchants").await;
        assert_eq!(status, 200);
        assert!(
            merchants.contains(r#"<a href="/admin/merchant-applications">"#),
            "{merchants}"
        );
        assert!(
            merchants.contains("待审核的商户申请：1 份") || merchants.contains("Applications waiting: 1"),
            "{merchants}"
        );
        let (_, list) = haishan_office.get("/admin/merchant-applications").await;
        assert!(list.contains(&name), "{list}");
        let (status, detail) = haishan_office.get(&format!("/admin/merchant-applications/{id}")).await;
        assert_eq!(status, 200);
        assert!(
            detail.contains(code) && detail.contains("个体工商户"),
            "the code and its kind: {detail}"
        );
        assert!(detail.contains("0755-25551234") && detail.contains("每周 10 袋大米"));

        // Approving asks first, then tells the shop and links its chat.
        let (status, ask) = haishan_office
            .get(&format!("/admin/merchant-applications/{id}/approve"))
            .await;
        assert_eq!(status, 200);
        assert!(ask.contains("无需绑定代码") || ask.contains("no link code"), "{ask}");
        let before = app.tg().sent_to(chat.id).len();
        let done = haishan_office
            .post(&format!("/admin/merchant-applications/{id}/approve"), &[])
            .await;
        assert_eq!(done.status(), 303);
        assert_eq!(after(&app, &chat, before).await, text::join::approved(lang, &name));

        let merchant = scalar_i64(
            &app.db,
            &format!("SELECT id FROM merchants WHERE telegram_chat_id = {}", chat.id),
        )
        .await;
        let placed = scalar_i64(
            &app.db,
            &format!(
                "SELECT COUNT(*) FROM merchants m JOIN communities c ON c.id = m.community_id \
                 WHERE m.id = {merchant} AND m.status = 'approved' AND c.id = {haishan} \
                 AND m.subdistrict_id = c.subdistrict_id"
            ),
        )
        .await;
        assert_eq!(placed, 1, "approved, in the application's community and subdistrict");
        // The next message works as a linked merchant.
        let needs = chat.send("/needs").await;
        assert_ne!(needs.text, text::how_to_link(lang));
        assert_eq!(chat.send("/join").await.text, text::join::already_merchant(lang, &name));
        let audited = scalar_i64(
            &app.db,
            &format!(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'merchant_application.approve' \
                 AND subject_id = '{id}' AND outcome = 'ok'"
            ),
        )
        .await;
        assert_eq!(audited, 1);
    }
    // The credit code is in no audit row.
    let leaked = scalar_i64(
        &app.db,
        &format!("SELECT COUNT(*) FROM audit_log WHERE COALESCE(detail, '') LIKE '%{CODE}%'"),
    )
    .await;
    assert_eq!(leaked, 0);
}

#[tokio::test]
async fn a_code_is_admitted_once_and_a_suspended_shop_cannot_start_afresh_under_it() {
    let app = TestApp::spawn_with_bot().await;
    let haishan = two_offices(&app).await;
    // Two chats apply under one code before either is admitted.
    let first = app.chat(9400, Locale::ZhCn);
    let second = app.chat(9401, Locale::En);
    apply(&first, "海山粮油店", haishan).await;
    apply(&second, "Haishan Grains", haishan).await;
    let first_id = scalar_i64(&app.db, &application_id(first.id)).await;
    let second_id = scalar_i64(&app.db, &application_id(second.id)).await;
    let mut haishan_office = office(&app, "haishan@example.org").await;
    let approved = haishan_office
        .post(&format!("/admin/merchant-applications/{first_id}/approve"), &[])
        .await;
    assert_eq!(approved.status(), 303);

    // The second one says why it cannot be admitted, and offers no approval.
    let (_, detail) = haishan_office
        .get(&format!("/admin/merchant-applications/{second_id}"))
        .await;
    assert!(detail.contains("这个执照号码已登记给一家商户"), "{detail}");
    assert!(
        !detail.contains(&format!("/admin/merchant-applications/{second_id}/approve")),
        "{detail}"
    );
    // An approval posted anyway (a page open from before) makes no merchant and leads back.
    let before = app.tg().sent_to(second.id).len();
    let refused = haishan_office
        .post(&format!("/admin/merchant-applications/{second_id}/approve"), &[])
        .await;
    assert_eq!(refused.status(), 303);
    let code_holders = format!("SELECT COUNT(*) FROM merchants WHERE credit_code = '{CODE}'");
    assert_eq!(scalar_i64(&app.db, &code_holders).await, 1);
    let waiting = format!("SELECT COUNT(*) FROM merchant_applications WHERE id = {second_id} AND status = 'submitted'");
    assert_eq!(scalar_i64(&app.db, &waiting).await, 1, "still the office's to reject");
    assert_eq!(app.tg().sent_to(second.id).len(), before, "the shop was told nothing");

    // Suspended, the shop applies again from a new chat: refused, and told how to relink.
    let merchant = scalar_i64(
        &app.db,
        &format!("SELECT id FROM merchants WHERE credit_code = '{CODE}'"),
    )
    .await;
    sea_orm::ConnectionTrait::execute_unprepared(
        &app.db,
        &format!("UPDATE merchants SET status = 'suspended' WHERE id = {merchant}"),
    )
    .await
    .expect("suspended");
    let fresh = app.chat(9402, Locale::ZhCn);
    assert_eq!(
        submit(&fresh, "海山新粮油店", haishan, CODE).await,
        text::join::code_registered(Locale::ZhCn)
    );
    let applied = format!(
        "SELECT COUNT(*) FROM merchant_applications WHERE chat_id = {}",
        fresh.id
    );
    assert_eq!(scalar_i64(&app.db, &applied).await, 0, "nothing is stored");
}

#[tokio::test]
async fn the_office_asks_for_more_then_rejects_with_a_reason_and_the_shop_is_told() {
    let app = TestApp::spawn_with_bot().await;
    let haishan = two_offices(&app).await;
    let chat = app.chat(9200, Locale::ZhCn);
    apply(&chat, "海山粮油店", haishan).await;
    let id = scalar_i64(&app.db, &application_id(chat.id)).await;
    let mut haishan_office = office(&app, "haishan@example.org").await;

    // Asking for more needs a message, kept beside its field when missing.
    haishan_office
        .get(&format!("/admin/merchant-applications/{id}/more"))
        .await;
    let empty = haishan_office
        .post(&format!("/admin/merchant-applications/{id}/more"), &[("reason", " ")])
        .await;
    assert_eq!(empty.status(), 422);
    let before = app.tg().sent_to(chat.id).len();
    let asked = haishan_office
        .post(
            &format!("/admin/merchant-applications/{id}/more"),
            &[("reason", "请补充门店地址")],
        )
        .await;
    assert_eq!(asked.status(), 303);
    assert_eq!(
        after(&app, &chat, before).await,
        text::join::more_info(Locale::ZhCn, "海山粮油店", "请补充门店地址")
    );
    // The shop sees what it sent, changes only what the office asked about, and submits again:
    // the same application, waiting again, with every other answer kept.
    let edit = chat.send_all("/join").await;
    assert!(edit.text().contains("请补充门店地址"), "{}", edit.text());
    assert!(
        edit.text().contains("店名：海山粮油店"),
        "the earlier answers are shown: {}",
        edit.text()
    );
    chat.tap(&Action::JoinEdit(JoinStep::Name).encode()).await;
    let back = chat.send_all("海山粮油店（海山路店）").await;
    assert!(
        back.text().contains("店名：海山粮油店（海山路店）") && back.text().contains("提交吗"),
        "straight back to the summary: {}",
        back.text()
    );
    chat.tap(&Action::JoinSubmit.encode()).await;
    assert_eq!(
        scalar_i64(
            &app.db,
            &format!("SELECT COUNT(*) FROM merchant_applications WHERE chat_id = {}", chat.id)
        )
        .await,
        1
    );

    // Rejected, with why.
    let (_, ask) = haishan_office
        .get(&format!("/admin/merchant-applications/{id}/reject"))
        .await;
    assert!(ask.contains("原因"), "{ask}");
    let before = app.tg().sent_to(chat.id).len();
    let rejected = haishan_office
        .post(
            &format!("/admin/merchant-applications/{id}/reject"),
            &[("reason", "门店不在海山街道辖区")],
        )
        .await;
    assert_eq!(rejected.status(), 303);
    assert_eq!(
        after(&app, &chat, before).await,
        text::join::rejected(Locale::ZhCn, "海山粮油店（海山路店）", "门店不在海山街道辖区")
    );
    assert_eq!(
        scalar_i64(
            &app.db,
            &format!("SELECT COUNT(*) FROM merchants WHERE telegram_chat_id = {}", chat.id)
        )
        .await,
        0,
        "no merchant, no link"
    );
    // A decided application is not decided twice.
    let again = haishan_office
        .post(&format!("/admin/merchant-applications/{id}/approve"), &[])
        .await;
    assert_eq!(again.status(), 409);
}

#[tokio::test]
async fn another_subdistricts_office_finds_no_such_application_and_the_district_reads_only() {
    let app = TestApp::spawn_with_bot().await;
    let haishan = two_offices(&app).await;
    let chat = app.chat(9300, Locale::En);
    apply(&chat, "Haishan Grains", haishan).await;
    let id = scalar_i64(&app.db, &application_id(chat.id)).await;

    let mut shatoujiao = office(&app, "shatoujiao@example.org").await;
    let (_, list) = shatoujiao.get("/admin/merchant-applications").await;
    assert!(!list.contains("Haishan Grains"), "{list}");
    let (_, merchants) = shatoujiao.get("/admin/merchants").await;
    assert!(merchants.contains("待审核的商户申请：0 份") || merchants.contains("Applications waiting: 0"));
    for path in [
        format!("/admin/merchant-applications/{id}"),
        format!("/admin/merchant-applications/{id}/approve"),
        format!("/admin/merchant-applications/{}", id + 1000),
    ] {
        assert_eq!(shatoujiao.get(&path).await.0, 404, "{path}");
    }
    let posted = shatoujiao
        .post(&format!("/admin/merchant-applications/{id}/approve"), &[])
        .await;
    assert_eq!(posted.status(), 404);
    let denied = scalar_i64(
        &app.db,
        &format!(
            "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'merchant_application.%' \
             AND subject_id = '{id}' AND outcome = 'denied'"
        ),
    )
    .await;
    assert!(denied >= 3, "each refusal is audited: {denied}");
    assert_eq!(
        scalar_i64(
            &app.db,
            &format!("SELECT COUNT(*) FROM merchant_applications WHERE id = {id} AND status = 'submitted'")
        )
        .await,
        1
    );

    // Haishan's audit log holds the application's rows; Shatoujiao's does not.
    let submitted = r#"<span title="merchant_application.submit">"#;
    let (_, own) = office(&app, "haishan@example.org").await.get("/admin/audit").await;
    assert!(own.contains(submitted), "{own}");
    let (_, other) = shatoujiao.get("/admin/audit").await;
    assert!(!other.contains(submitted), "{other}");

    // The district bureau reads every subdistrict's applications, and decides none.
    let mut district = office(&app, "district@example.org").await;
    let (_, list) = district.get("/admin/merchant-applications").await;
    assert!(list.contains("Haishan Grains"), "{list}");
    let (status, detail) = district.get(&format!("/admin/merchant-applications/{id}")).await;
    assert_eq!(status, 200);
    assert!(!detail.contains("/approve"), "no decisions for the bureau");
    let refused = district
        .post(&format!("/admin/merchant-applications/{id}/approve"), &[])
        .await;
    assert_eq!(refused.status(), 403);
}
