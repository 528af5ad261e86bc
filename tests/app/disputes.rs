//! Disputes that do not vanish: the worker's reason stays on the need page, the timeline and
//! the dashboard; the worker settles the dispute (confirm after all, ask to deliver again,
//! release the claim) and the merchant answers in the bot. A refused claim form shows the
//! same page again with the message beside the field and what was typed (422).

use bots::Locale;
use bots::callback::Action;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::support::{TestApp, scalar_i64};

/// A claim of `quantity` units by merchant 0 of a new need of organization A, marked delivered.
async fn delivered_claim(app: &TestApp, world: &crate::support::world::World, quantity: i64) -> (i64, i64) {
    let need = app.post_need(world.a(), 3).await;
    let (status, made) = app.claim(&world.merchants[0].token, need, quantity).await;
    assert_eq!(status, 201, "{made}");
    let claim = made["id"].as_i64().expect("id");
    let (status, body) = app
        .api(
            "POST",
            &format!("/api/v1/claims/{claim}/delivered"),
            &world.merchants[0].token,
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    (need, claim)
}

async fn status_of(app: &TestApp, claim: i64) -> i64 {
    scalar_i64(
        &app.db,
        &format!(
            "SELECT CASE status WHEN 'active' THEN 1 WHEN 'delivered' THEN 2 WHEN 'confirmed' THEN 3 \
             WHEN 'disputed' THEN 4 WHEN 'released' THEN 5 ELSE 0 END FROM claims WHERE id = {claim}"
        ),
    )
    .await
}

#[tokio::test]
async fn a_dispute_keeps_its_reason_and_the_worker_asks_for_a_new_delivery_or_releases() {
    let app = TestApp::spawn().await;
    let world = app.world(1).await;
    let (need, claim) = delivered_claim(&app, &world, 2).await;
    let page = format!("/needs/{need}");
    let dispute = format!("/needs/{need}/claims/{claim}/dispute");
    let resolve = format!("/needs/{need}/claims/{claim}/resolve");

    let mut worker = app.login("worker0@example.org").await;
    worker.get(&page).await;
    // A phone number in the reason: the same page, the message beside the field, the text kept.
    let refused = worker.post(&dispute, &[("reason", "请致电 13800138000")]).await;
    assert_eq!(refused.status(), 422);
    let body = refused.text().await.expect("body");
    assert!(body.contains("说明会告知商户，请勿包含电话"), "{body}");
    assert!(
        body.contains("value=\"请致电 13800138000\""),
        "the typed reason is kept"
    );
    assert!(body.contains("action=\"/logout\""), "the page keeps its menu");
    assert!(body.contains("米和食用油"), "it is the need page again");
    assert_eq!(status_of(&app, claim).await, 2, "nothing was disputed");

    let done = worker.post(&dispute, &[("reason", "米的数量不对")]).await;
    assert_eq!(done.status(), 303);
    let (_, shown) = worker.get(&page).await;
    assert!(shown.contains("异议原因：米的数量不对"), "{shown}");
    assert!(shown.contains(&resolve), "the worker is offered the next steps");
    assert!(
        shown.contains("社工提出异议 · 爱心商户0 · 2 袋（原因：米的数量不对）"),
        "the timeline names the shop, the quantity and why: {shown}"
    );
    let (_, dashboard) = worker.get("/").await;
    assert!(
        dashboard.contains("有异议、待处理的认领") && dashboard.contains("异议原因：米的数量不对"),
        "{dashboard}"
    );
    assert!(dashboard.contains(&format!("/needs/{need}#claim-{claim}")));

    // Another organization's worker gets the 404 of a missing record, and it is audited.
    let mut other = app.login("worker1@example.org").await;
    other.get("/").await;
    let foreign = other.post(&resolve, &[("resolution", "release")]).await;
    assert_eq!(foreign.status(), 404);
    let missing = other
        .post(
            &format!("/needs/{need}/claims/999999/resolve"),
            &[("resolution", "release")],
        )
        .await;
    assert_eq!(missing.status(), 404);
    let denied = scalar_i64(
        &app.db,
        &format!("SELECT COUNT(*) FROM audit_log WHERE action = 'claim.resolve' AND outcome = 'denied' AND subject_id = '{claim}'"),
    )
    .await;
    assert_eq!(denied, 1);
    // Without the session's CSRF token nothing happens.
    let forged = worker
        .raw_post(&resolve)
        .form(&[("resolution", "release")])
        .send()
        .await
        .expect("POST");
    assert_eq!(forged.status(), 403);
    // An unknown resolution: the page again, asking to choose.
    let unknown = worker.post(&resolve, &[("resolution", "delete")]).await;
    assert_eq!(unknown.status(), 422);
    assert!(unknown.text().await.expect("body").contains("请选择如何处理这条异议"));
    assert_eq!(status_of(&app, claim).await, 4);

    // Ask to deliver again: active with a fresh due date, and the merchant hears it.
    let again = worker.post(&resolve, &[("resolution", "redeliver")]).await;
    assert_eq!(again.status(), 303);
    assert_eq!(status_of(&app, claim).await, 1);
    let told = scalar_i64(
        &app.db,
        "SELECT COUNT(*) FROM outbox WHERE kind = 'merchant-claim-redeliver'",
    )
    .await;
    assert_eq!(told, 1);
    // A stale page pressing "ask again" on a claim that is no longer disputed: 409, same page.
    let stale = worker.post(&resolve, &[("resolution", "redeliver")]).await;
    assert_eq!(stale.status(), 409);
    assert!(stale.text().await.expect("body").contains("这条认领刚刚有了变化"));

    // Delivered and disputed again; this time the worker ends the claim: 2 bags are open again.
    app.api(
        "POST",
        &format!("/api/v1/claims/{claim}/delivered"),
        &world.merchants[0].token,
        None,
    )
    .await;
    worker.get(&page).await;
    assert_eq!(worker.post(&dispute, &[("reason", "还是没收到")]).await.status(), 303);
    let released = worker.post(&resolve, &[("resolution", "release")]).await;
    assert_eq!(released.status(), 303);
    assert_eq!(status_of(&app, claim).await, 5);
    let claimed = scalar_i64(&app.db, &format!("SELECT claimed FROM needs WHERE id = {need}")).await;
    assert_eq!(claimed, 0, "the quantity went back to the need");
    let settled = scalar_i64(
        &app.db,
        &format!("SELECT COUNT(*) FROM audit_log WHERE action = 'claim.resolve' AND outcome = 'ok' AND subject_id = '{claim}'"),
    )
    .await;
    assert_eq!(settled, 2);
    let (_, dashboard) = worker.get("/").await;
    assert!(
        !dashboard.contains("还是没收到"),
        "a settled dispute leaves the dashboard"
    );
    let (_, shown) = worker.get(&page).await;
    assert!(shown.contains("认领已取消，数量退回"), "{shown}");

    // In English, the next steps are English too.
    worker.post("/settings/language", &[("lang", "en")]).await;
    let (_, shown) = worker.get(&page).await;
    assert!(shown.contains("claim ended, quantity returned"), "{shown}");
}

#[tokio::test]
async fn a_disputed_delivery_may_be_confirmed_after_all() {
    let app = TestApp::spawn().await;
    let world = app.world(1).await;
    let (need, claim) = delivered_claim(&app, &world, 3).await;
    let mut worker = app.login("worker0@example.org").await;
    worker.get(&format!("/needs/{need}")).await;
    worker
        .post(
            &format!("/needs/{need}/claims/{claim}/dispute"),
            &[("reason", "只收到两袋")],
        )
        .await;
    let confirmed = worker
        .post(
            &format!("/needs/{need}/claims/{claim}/resolve"),
            &[("resolution", "confirm")],
        )
        .await;
    assert_eq!(confirmed.status(), 303);
    assert_eq!(status_of(&app, claim).await, 3);
    let fulfilled = scalar_i64(
        &app.db,
        &format!("SELECT COUNT(*) FROM needs WHERE id = {need} AND status = 'fulfilled' AND delivered = 3"),
    )
    .await;
    assert_eq!(fulfilled, 1);
}

#[tokio::test]
async fn a_wrong_handoff_code_shows_the_page_again_with_the_code_kept() {
    let app = TestApp::spawn().await;
    let world = app.world(1).await;
    let need = app.post_need(world.a(), 3).await;
    let (_, made) = app.claim(&world.merchants[0].token, need, 1).await;
    let claim = made["id"].as_i64().expect("id");
    let mut worker = app.login("worker0@example.org").await;
    worker.get(&format!("/needs/{need}")).await;
    let refused = worker
        .post(
            &format!("/needs/{need}/claims/{claim}/confirm"),
            &[("rating", "4"), ("handoff_code", "ZZZZZZ")],
        )
        .await;
    assert_eq!(refused.status(), 422);
    let body = refused.text().await.expect("body");
    assert!(body.contains("交接码与商户的不一致"), "{body}");
    assert!(body.contains("value=\"ZZZZZZ\""), "the typed code is kept");
    assert!(body.contains("<option value=\"4\" selected>"), "the rating is kept");
    assert!(body.contains("action=\"/logout\""), "the page keeps its menu");
    let bad_rating = worker
        .post(
            &format!("/needs/{need}/claims/{claim}/confirm"),
            &[("rating", "9"), ("handoff_code", "")],
        )
        .await;
    assert_eq!(bad_rating.status(), 422);
    assert!(
        bad_rating
            .text()
            .await
            .expect("body")
            .contains("请填写 1 到 5 之间的数")
    );
}

#[tokio::test]
async fn the_merchant_reads_why_in_the_bot_and_answers_that_it_delivered_again() {
    let app = TestApp::spawn_with_bot().await;
    let world = app.world(1).await;
    let (need, claim) = delivered_claim(&app, &world, 2).await;
    let chat = app.linked_chat(world.merchants[0].id, 4100, Locale::ZhCn).await;
    charity_relay::services::claims::dispute(&app.db, &world.a().worker, claim, "少了一袋", chrono::Utc::now())
        .await
        .expect("dispute");
    // The claim's confirmation, then the dispute's notice, which says why.
    let notices = app.tg().wait_for(chat.id, 2, crate::support::bot::REPLY_WITHIN).await;
    assert!(notices[1].text.contains("少了一袋"), "{notices:?}");

    let mine = chat.send("/mine").await;
    assert!(mine.text.contains("少了一袋"), "/mine says why: {}", mine.text);
    let answer = Action::Redeliver(claim).encode();
    assert!(
        mine.buttons.iter().flatten().any(|b| b.1 == answer),
        "the merchant may answer: {mine:?}"
    );
    // Three long choices, one a row so a phone shows each label whole; "later" tells the
    // promise to deliver again from the answer that it was delivered again.
    assert_eq!(mine.buttons.len(), 3, "{mine:?}");
    assert!(mine.buttons.iter().all(|row| row.len() == 1), "{mine:?}");
    assert!(mine.buttons[1][0].0.contains("稍后重新送达"), "{mine:?}");
    let asked = chat.tap(&answer).await;
    assert!(asked.text.contains("说明"), "{}", asked.text);
    // A phone number is refused; the question stays.
    let refused = chat.send("请打 13800138000").await;
    assert!(refused.text.contains("电话"), "{}", refused.text);
    // So is a link, which the worker's mail would make clickable.
    let refused = chat.send("核对请看 evil.example.com").await;
    assert!(refused.text.contains("网址"), "{}", refused.text);
    let done = chat.send("已补送一袋，放在服务站").await;
    assert!(done.text.contains("社工"), "{}", done.text);
    assert_eq!(status_of(&app, claim).await, 2, "delivered again, to confirm");

    let mut worker = app.login("worker0@example.org").await;
    let (_, page) = worker.get(&format!("/needs/{need}")).await;
    assert!(page.contains("商户回复：已补送一袋，放在服务站"), "{page}");
    assert!(page.contains("异议原因：少了一袋"));
    assert!(page.contains("商户回复已重新送达 · 爱心商户0 · 2 袋"), "{page}");
}

#[tokio::test]
async fn the_office_reports_list_open_disputes() {
    let app = TestApp::spawn().await;
    let world = app.world(1).await;
    let (need, claim) = delivered_claim(&app, &world, 1).await;
    charity_relay::services::claims::dispute(&app.db, &world.a().worker, claim, "包装破损", chrono::Utc::now())
        .await
        .expect("dispute");
    let office = app.office_account().await;
    let mut office = app.login(&office).await;
    let (status, page) = office.get("/admin/reports").await;
    assert_eq!(status, 200);
    assert!(page.contains("未处理的异议 · 1"), "{page}");
    assert!(page.contains("异议原因：包装破损") && page.contains(&format!("/needs/{need}#claim-{claim}")));
}

#[tokio::test]
async fn claim_all_asks_first_and_hours_speak_of_serving() {
    let app = TestApp::spawn_with_bot().await;
    let world = app.world(1).await;
    let rice = app.post_need_of(world.a(), "food", "大米", 7, "袋").await;
    let visit = app
        .post_need_of(world.a(), "volunteer_hours", "陪伴老人", 2, "小时")
        .await;
    let chat = app.linked_chat(world.merchants[0].id, 4200, Locale::ZhCn).await;

    // An old "Claim all" button asks too; "No" claims nothing.
    let asked = chat.tap(&Action::ClaimAll(rice).encode()).await;
    assert_eq!(asked.text, "全部认领「大米」的 7 袋？");
    assert_eq!(
        asked.buttons,
        vec![vec![
            ("是，全部认领".to_owned(), Action::ClaimAllYes(rice, 7).encode()),
            ("否".to_owned(), Action::ClaimAllNo(rice).encode()),
        ]]
    );
    chat.tap(&Action::ClaimAllNo(rice).encode()).await;
    assert_eq!(app.count("claims").await, 0, "nothing is claimed before Yes");
    // Someone takes 2 meanwhile: Yes to 7 claims nothing and says how many bags are left.
    let other = app
        .merchant("另一家店", charity_relay::domain::PartyStatus::Approved)
        .await;
    let (status, _) = app.claim(&other.token, rice, 2).await;
    assert_eq!(status, 201);
    let short = chat.tap(&Action::ClaimAllYes(rice, 7).encode()).await;
    assert!(short.text.starts_with("只剩 5 袋可认领了"), "{}", short.text);
    chat.send("/cancel").await;

    // Hours: served, not delivered — no drop-off point, no handoff code, no "Delivered".
    let asked = chat.tap(&Action::ClaimAll(visit).encode()).await;
    let pledged = chat.tap(&asked.buttons[0][0].1).await;
    assert!(pledged.text.contains("服务时间"), "{}", pledged.text);
    for goods in ["送达", "交接码"] {
        assert!(!pledged.text.contains(goods), "{goods}: {}", pledged.text);
    }
    let mine = chat.send("/mine").await;
    assert!(
        mine.text.contains("服务时间") && !mine.text.contains("交接码"),
        "{}",
        mine.text
    );
    let labels: Vec<&str> = mine.buttons.iter().flatten().map(|b| b.0.as_str()).collect();
    assert!(labels.contains(&"已完成服务 #1"), "{labels:?}");
    assert!(!labels.iter().any(|l| l.starts_with("已送达")), "{labels:?}");
    let served = chat.tap(&mine.button("已完成服务 #1")).await;
    assert!(served.text.starts_with("已记录完成服务"), "{}", served.text);

    // The web page speaks of serving too.
    let mut worker = app.login("worker0@example.org").await;
    let (_, page) = worker.get(&format!("/needs/{visit}")).await;
    assert!(page.contains("确认已完成服务") && page.contains("已完成服务"), "{page}");
    assert!(!page.contains("name=\"handoff_code\""), "no handoff code for hours");
}

#[tokio::test]
async fn overdue_claims_are_marked_in_mine_and_a_pending_shop_is_not_sent_to_needs() {
    let app = TestApp::spawn_with_bot().await;
    let world = app.world(1).await;
    let need = app.post_need(world.a(), 3).await;
    let (_, made) = app.claim(&world.merchants[0].token, need, 1).await;
    let claim = made["id"].as_i64().expect("id");
    charity_relay::entities::claim::Entity::update_many()
        .col_expr(
            charity_relay::entities::claim::Column::DueAt,
            sea_orm::sea_query::Expr::value(chrono::Utc::now() - chrono::Duration::hours(3)),
        )
        .filter(charity_relay::entities::claim::Column::Id.eq(claim))
        .exec(&app.db)
        .await
        .expect("past due");
    let chat = app.linked_chat(world.merchants[0].id, 4300, Locale::En).await;
    app.tg().wait_for(chat.id, 1, crate::support::bot::REPLY_WITHIN).await;
    let mine = chat.send("/mine").await;
    assert!(mine.text.contains("[OVERDUE]"), "{}", mine.text);

    let pending = app.merchant("新店", charity_relay::domain::PartyStatus::Pending).await;
    let fresh = app.chat(4301, Locale::ZhCn);
    let code = app.link_code(pending.id).await;
    let replies = fresh.send_n(&format!("/start {code}"), 2).await;
    assert!(replies.iter().all(|r| !r.text.contains("/needs")), "{replies:?}");
    assert!(replies[1].text.contains("等待街道办审核"), "{replies:?}");
    let again = fresh.send_n("/start", 2).await;
    assert!(again.iter().all(|r| !r.text.contains("/needs")), "{again:?}");
}

#[tokio::test]
async fn a_need_appears_in_one_dashboard_section_at_a_time() {
    let app = TestApp::spawn().await;
    let world = app.world(1).await;
    // Nothing claimed and due within three days: near the deadline, not also "open".
    let now = chrono::Utc::now();
    let input = charity_relay::domain::need_input::NeedInput {
        beneficiary_id: world.a().beneficiary_id.to_string(),
        category: "food".into(),
        title: "快到期的面粉".into(),
        description: "本周需要。".into(),
        quantity: "2".into(),
        unit: "袋".into(),
        deadline: (now + chrono::Duration::days(1)).date_naive().to_string(),
        ..Default::default()
    };
    let draft = input.parse(now.date_naive()).expect("valid");
    charity_relay::services::needs::post_need(&app.db, &app.config.secret_key, &world.a().worker, draft, now)
        .await
        .expect("post");
    let mut worker = app.login("worker0@example.org").await;
    let (_, dashboard) = worker.get("/").await;
    assert_eq!(dashboard.matches("快到期的面粉").count(), 1, "{dashboard}");
}

#[tokio::test]
async fn a_dispute_without_a_reason_is_refused_beside_the_field_on_the_page_and_in_the_api() {
    let app = TestApp::spawn().await;
    let world = app.world(1).await;
    let (need, claim) = delivered_claim(&app, &world, 2).await;
    let mut worker = app.login("worker0@example.org").await;
    worker.get(&format!("/needs/{need}")).await;

    // Blank: the same page, the message beside the field, nothing disputed.
    let refused = worker
        .post(&format!("/needs/{need}/claims/{claim}/dispute"), &[("reason", "   ")])
        .await;
    assert_eq!(refused.status(), 422);
    let body = refused.text().await.expect("body");
    assert!(
        body.contains("请写明送达有什么问题") && body.contains("aria-invalid=\"true\""),
        "{body}"
    );
    assert!(
        body.contains("action=\"/logout\"") && body.contains("米和食用油"),
        "the need page again"
    );
    assert_eq!(status_of(&app, claim).await, 2, "nothing was disputed");

    // The API says the same with its own problem type, in the caller's language.
    let path = format!("/api/v1/claims/{claim}/dispute");
    for body in [
        serde_json::json!({ "reason": "" }),
        serde_json::json!({ "reason": " \n " }),
        serde_json::json!({}),
    ] {
        let response = app
            .api_request("POST", &path, &world.a().token, Some(body))
            .header("Accept-Language", "en")
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 422);
        let problem: serde_json::Value = response.json().await.expect("problem");
        assert_eq!(problem["type"], "reason-required", "{problem}");
        assert_eq!(problem["errors"][0]["field"], "reason");
        assert!(
            problem["detail"].as_str().expect("detail").contains("what was wrong"),
            "{problem}"
        );
    }
    assert_eq!(status_of(&app, claim).await, 2);
    let (status, disputed) = app
        .api(
            "POST",
            &path,
            &world.a().token,
            Some(serde_json::json!({ "reason": "少了一袋" })),
        )
        .await;
    assert_eq!(
        (status, disputed["status"].as_str()),
        (200, Some("disputed")),
        "{disputed}"
    );
    assert_eq!(disputed["dispute_reason"], "少了一袋");
}

#[tokio::test]
async fn the_api_settles_a_dispute_with_the_choices_of_the_need_page() {
    let app = TestApp::spawn().await;
    let world = app.world(1).await;
    let org = &world.a().token;
    let shop = &world.merchants[0].token;
    let (need, claim) = delivered_claim(&app, &world, 2).await;
    let resolve = format!("/api/v1/claims/{claim}/resolve");
    let dispute = |reason: &'static str| {
        let path = format!("/api/v1/claims/{claim}/dispute");
        let app = &app;
        async move {
            let (status, body) = app
                .api("POST", &path, org, Some(serde_json::json!({ "reason": reason })))
                .await;
            assert_eq!(status, 200, "{body}");
        }
    };

    // Not disputed yet: a conflict, nothing changes.
    let (status, body) = app
        .api(
            "POST",
            &resolve,
            org,
            Some(serde_json::json!({ "resolution": "redeliver" })),
        )
        .await;
    assert_eq!((status, body["type"].as_str()), (409, Some("conflict")), "{body}");
    assert_eq!(status_of(&app, claim).await, 2);
    dispute("米的数量不对").await;

    // A choice the page does not offer, or none: 422 on the field.
    for (sent, code) in [
        (serde_json::json!({ "resolution": "delete" }), "unknown-choice"),
        (serde_json::json!({ "resolution": "" }), "not-chosen"),
        (serde_json::json!({}), "not-chosen"),
    ] {
        let (status, body) = app.api("POST", &resolve, org, Some(sent)).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["type"], "validation");
        assert_eq!(
            (body["errors"][0]["field"].as_str(), body["errors"][0]["code"].as_str()),
            (Some("resolution"), Some(code))
        );
    }
    // Another organization, the merchant itself and a missing claim: the same 404.
    let release = serde_json::json!({ "resolution": "release" });
    for token in [&world.b().token, shop] {
        let (status, body) = app.api("POST", &resolve, token, Some(release.clone())).await;
        assert_eq!((status, body["type"].as_str()), (404, Some("not-found")), "{body}");
    }
    let (status, _) = app
        .api("POST", "/api/v1/claims/999999/resolve", org, Some(release.clone()))
        .await;
    assert_eq!(status, 404);
    let denied = scalar_i64(
        &app.db,
        &format!("SELECT COUNT(*) FROM audit_log WHERE action = 'claim.resolve' AND outcome = 'denied' AND subject_id = '{claim}'"),
    )
    .await;
    assert_eq!(denied, 2, "both refusals are audited");
    assert_eq!(status_of(&app, claim).await, 4, "still disputed");

    // Ask to deliver again: active, and the merchant hears it.
    let (status, body) = app
        .api(
            "POST",
            &resolve,
            org,
            Some(serde_json::json!({ "resolution": "redeliver" })),
        )
        .await;
    assert_eq!((status, body["status"].as_str()), (200, Some("active")), "{body}");
    let told = scalar_i64(
        &app.db,
        "SELECT COUNT(*) FROM outbox WHERE kind = 'merchant-claim-redeliver'",
    )
    .await;
    assert_eq!(told, 1);

    // Delivered and disputed again; this time the claim ends and its bags are open again.
    app.api("POST", &format!("/api/v1/claims/{claim}/delivered"), shop, None)
        .await;
    dispute("还是没收到").await;
    let (status, body) = app.api("POST", &resolve, org, Some(release)).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("released")), "{body}");
    let claimed = scalar_i64(&app.db, &format!("SELECT claimed FROM needs WHERE id = {need}")).await;
    assert_eq!(claimed, 0);

    // Confirmed after all: the need is fulfilled.
    let (need, claim) = delivered_claim(&app, &world, 3).await;
    let (status, _) = app
        .api(
            "POST",
            &format!("/api/v1/claims/{claim}/dispute"),
            org,
            Some(serde_json::json!({ "reason": "只收到两袋" })),
        )
        .await;
    assert_eq!(status, 200);
    let (status, body) = app
        .api(
            "POST",
            &format!("/api/v1/claims/{claim}/resolve"),
            org,
            Some(serde_json::json!({ "resolution": "confirm" })),
        )
        .await;
    assert_eq!((status, body["status"].as_str()), (200, Some("confirmed")), "{body}");
    let fulfilled = scalar_i64(
        &app.db,
        &format!("SELECT COUNT(*) FROM needs WHERE id = {need} AND status = 'fulfilled'"),
    )
    .await;
    assert_eq!(fulfilled, 1);
}

#[tokio::test]
async fn the_worker_reads_the_merchants_note_and_the_dispute_it_answers_by_email() {
    let (app, sink) = TestApp::spawn_with_smtp().await;
    let world = app.world(1).await;
    let org = &world.a().token;
    let shop = &world.merchants[0].token;
    let need = app.post_need(world.a(), 3).await;
    let (_, made) = app.claim(shop, need, 2).await;
    let claim = made["id"].as_i64().expect("id");
    let delivered = format!("/api/v1/claims/{claim}/delivered");
    let mails_to_worker = || {
        sink.received()
            .into_iter()
            .filter(|m| m.to == ["worker0@example.org"])
            .collect::<Vec<_>>()
    };

    // A note the worker may not read (a phone number), or a body that is not JSON: refused.
    let (status, body) = app
        .api(
            "POST",
            &delivered,
            shop,
            Some(serde_json::json!({ "note": "到了打 13800138000" })),
        )
        .await;
    assert_eq!(
        (status, body["errors"][0]["field"].as_str()),
        (422, Some("note")),
        "{body}"
    );
    let response = app
        .api_request("POST", &delivered, shop, None)
        .header("Content-Type", "application/json")
        .body("{note")
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 422);
    assert_eq!(status_of(&app, claim).await, 1, "still to deliver");

    // Delivered with a note: the worker's email shows it, and names the organization.
    let (status, _) = app
        .api(
            "POST",
            &delivered,
            shop,
            Some(serde_json::json!({ "note": "放在服务站前台" })),
        )
        .await;
    assert_eq!(status, 200);
    crate::mail::wait_until_sent(&app).await;
    let first = mails_to_worker();
    let to_confirm = first
        .iter()
        .find(|m| m.parsed().subject() == Some("请确认送达：米和食用油"))
        .unwrap_or_else(|| panic!("the email to confirm: {first:?}"));
    let parsed = to_confirm.parsed();
    let text = parsed.body_text(0).unwrap_or_default().into_owned();
    assert!(text.contains("商户的说明：放在服务站前台"), "{text}");
    assert!(!text.contains("异议"), "no dispute yet: {text}");
    assert!(text.contains("您是「沙头角街道社工站」的社工"), "{text}");
    let html = parsed.body_html(0).unwrap_or_default().into_owned();
    assert!(
        html.contains("商户的说明：放在服务站前台") && html.contains("沙头角街道社工站"),
        "{html}"
    );

    // Disputed, asked to deliver again, delivered again with a note: a redelivery email that
    // names the reason it answers; the note is the merchant's answer on the need page.
    app.api(
        "POST",
        &format!("/api/v1/claims/{claim}/dispute"),
        org,
        Some(serde_json::json!({ "reason": "少了一袋米" })),
    )
    .await;
    let (status, _) = app
        .api(
            "POST",
            &format!("/api/v1/claims/{claim}/resolve"),
            org,
            Some(serde_json::json!({ "resolution": "redeliver" })),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = app
        .api(
            "POST",
            &delivered,
            shop,
            Some(serde_json::json!({ "note": "已补送一袋" })),
        )
        .await;
    assert_eq!(status, 200);
    crate::mail::wait_until_sent(&app).await;
    let again: Vec<_> = mails_to_worker()
        .into_iter()
        .filter(|m| m.parsed().subject() == Some("异议后重新送达，请确认：米和食用油"))
        .collect();
    assert_eq!(again.len(), 1, "one redelivery email");
    let text = again[0].parsed().body_text(0).unwrap_or_default().into_owned();
    assert!(text.contains("已重新送达需求「米和食用油」的 2 袋"), "{text}");
    assert!(
        text.contains("您提出的异议：少了一袋米") && text.contains("商户的说明：已补送一袋"),
        "{text}"
    );
    let mut worker = app.login("worker0@example.org").await;
    let (_, page) = worker.get(&format!("/needs/{need}")).await;
    assert!(page.contains("商户回复：已补送一袋"), "{page}");

    // Disputed again and answered in the bot ("delivered again" with a note): the same email.
    app.api(
        "POST",
        &format!("/api/v1/claims/{claim}/dispute"),
        org,
        Some(serde_json::json!({ "reason": "有一袋破了" })),
    )
    .await;
    let merchant = charity_relay::services::access::Caller::Merchant {
        merchant_id: world.merchants[0].id,
        token_id: None,
    };
    charity_relay::services::claims::redeliver(&app.db, &merchant, claim, "已换成新的一袋", chrono::Utc::now())
        .await
        .expect("redeliver");
    crate::mail::wait_until_sent(&app).await;
    let answered: Vec<String> = mails_to_worker()
        .iter()
        .filter(|m| m.parsed().subject() == Some("异议后重新送达，请确认：米和食用油"))
        .map(|m| m.parsed().body_text(0).unwrap_or_default().into_owned())
        .collect();
    assert_eq!(answered.len(), 2, "{answered:?}");
    assert!(
        answered
            .iter()
            .any(|t| t.contains("您提出的异议：有一袋破了") && t.contains("商户的说明：已换成新的一袋")),
        "{answered:?}"
    );
    app.stop().await;
}
