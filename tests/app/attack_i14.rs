//! An attacker's look at issue 14's changes: settling disputes over the API, the dispute's
//! reason and the delivery note (personal data, markup, size), who may read them, the
//! language chosen at sign-in, the office's staff list and its page numbers, the bot's
//! buttons under one message a card, and the throttle setting. What holds stays here as a
//! guard.

use bots::Locale;
use bots::callback::Action;
use charity_relay::services::access::Caller;
use charity_relay::services::{claims, needs};
use sea_orm::ConnectionTrait;

use crate::support::world::{PLANTED_ADDRESS, PLANTED_NAME, PLANTED_PHONE, World};
use crate::support::{TestApp, run_cli, scalar_i64, set};

/// A claim of `quantity` units by merchant 0 on a new need of organization A, delivered.
async fn delivered(app: &TestApp, world: &World, quantity: i64) -> (i64, i64) {
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

/// [`delivered`], then disputed by organization A over the API.
async fn disputed(app: &TestApp, world: &World, reason: &str) -> (i64, i64) {
    let (need, claim) = delivered(app, world, 2).await;
    let (status, body) = app
        .api(
            "POST",
            &format!("/api/v1/claims/{claim}/dispute"),
            &world.a().token,
            Some(serde_json::json!({ "reason": reason })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    (need, claim)
}

async fn status_is(app: &TestApp, claim: i64, status: &str) -> bool {
    scalar_i64(
        &app.db,
        &format!("SELECT COUNT(*) FROM claims WHERE id = {claim} AND status = '{status}'"),
    )
    .await
        == 1
}

#[tokio::test]
async fn a_revoked_token_or_a_suspended_organization_cannot_settle_a_dispute() {
    let app = TestApp::spawn().await;
    let world = app.world(1).await;
    let (_, claim) = disputed(&app, &world, "少了一袋").await;
    let resolve = format!("/api/v1/claims/{claim}/resolve");
    let release = serde_json::json!({ "resolution": "release" });

    // The suspended merchant's token and a made-up one: never a settlement.
    let (status, _) = app
        .api("POST", &resolve, &world.suspended.token, Some(release.clone()))
        .await;
    assert!(status == 403 || status == 404, "{status}");
    let (status, _) = app
        .api("POST", &resolve, "relay_not_a_token", Some(release.clone()))
        .await;
    assert_eq!(status, 401);

    // Organization A is suspended: its token is refused with the reason.
    app.db
        .execute_unprepared(&format!(
            "UPDATE organizations SET status = 'suspended' WHERE id = {}",
            world.a().id
        ))
        .await
        .expect("suspend");
    let (status, body) = app.api("POST", &resolve, &world.a().token, Some(release.clone())).await;
    assert_eq!(
        (status, body["type"].as_str()),
        (403, Some("organization-suspended")),
        "{body}"
    );
    app.db
        .execute_unprepared(&format!(
            "UPDATE organizations SET status = 'approved' WHERE id = {}",
            world.a().id
        ))
        .await
        .expect("reinstate");

    // Its token revoked: 401, as if it never existed.
    let token_id = scalar_i64(
        &app.db,
        &format!("SELECT id FROM api_tokens WHERE organization_id = {}", world.a().id),
    )
    .await;
    charity_relay::services::api_tokens::revoke(
        &app.db,
        &charity_relay::services::access::Caller::System,
        token_id,
        "leaked",
        chrono::Utc::now(),
    )
    .await
    .expect("revoke");
    let (status, _) = app.api("POST", &resolve, &world.a().token, Some(release)).await;
    assert_eq!(status, 401);
    assert!(status_is(&app, claim, "disputed").await, "nothing was settled");
    assert_eq!(
        scalar_i64(
            &app.db,
            "SELECT COUNT(*) FROM outbox WHERE kind LIKE 'merchant-claim-re%'"
        )
        .await,
        0,
        "the merchant was told nothing"
    );
}

#[tokio::test]
async fn two_settlements_sent_at_once_settle_the_dispute_once() {
    let app = TestApp::spawn().await;
    let world = app.world(1).await;
    for round in 0..3 {
        let (need, claim) = disputed(&app, &world, "米的数量不对").await;
        let resolve = format!("/api/v1/claims/{claim}/resolve");
        let ask = |resolution: &'static str| {
            app.api(
                "POST",
                &resolve,
                &world.a().token,
                Some(serde_json::json!({ "resolution": resolution })),
            )
        };
        let (again, release, confirm) = tokio::join!(ask("redeliver"), ask("release"), ask("confirm"));
        let statuses = [again.0, release.0, confirm.0];
        assert_eq!(
            statuses.iter().filter(|s| **s == 200).count(),
            1,
            "round {round}: {again:?} {release:?} {confirm:?}"
        );
        assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 2, "{statuses:?}");
        let settled = scalar_i64(
            &app.db,
            &format!("SELECT COUNT(*) FROM audit_log WHERE action IN ('claim.resolve', 'claim.confirm') AND outcome = 'ok' AND subject_id = '{claim}'"),
        )
        .await;
        assert_eq!(settled, 1, "one settlement audited");
        let told = scalar_i64(
            &app.db,
            &format!(
                "SELECT COUNT(*) FROM outbox WHERE kind IN ('merchant-claim-redeliver', 'merchant-claim-released-by-worker', 'merchant-claim-thanks') AND payload LIKE '%\"claim_id\":{claim},%'"
            ),
        )
        .await;
        assert_eq!(told, 1, "the merchant hears one outcome");
        // The need's counters agree with the one outcome.
        let (claimed, delivered) = (
            scalar_i64(&app.db, &format!("SELECT claimed FROM needs WHERE id = {need}")).await,
            scalar_i64(&app.db, &format!("SELECT delivered FROM needs WHERE id = {need}")).await,
        );
        let expected = match statuses.iter().position(|s| *s == 200) {
            Some(0) => (2, 0),
            Some(1) => (0, 0),
            _ => (2, 2),
        };
        assert_eq!((claimed, delivered), expected, "{statuses:?}");
    }
}

#[tokio::test]
async fn personal_data_or_a_huge_text_in_a_reason_or_a_note_is_refused_and_not_echoed() {
    let app = TestApp::spawn().await;
    let world = app.world(1).await;
    let (_, claim) = delivered(&app, &world, 2).await;
    let dispute = format!("/api/v1/claims/{claim}/dispute");
    let secrets = [
        "请致电 １３８００１３８０００",
        "电话 138-0013-8000 找陈阿婆",
        "发邮件到 wangli@163.com",
        "身份证 11010519491231002X",
        "送到海山路1号3栋502",
    ];
    for reason in secrets {
        let (status, body) = app
            .api(
                "POST",
                &dispute,
                &world.a().token,
                Some(serde_json::json!({ "reason": reason })),
            )
            .await;
        assert_eq!(
            (status, body["errors"][0]["field"].as_str()),
            (422, Some("reason")),
            "{reason}: {body}"
        );
        let digits: String = reason.chars().filter(char::is_ascii_digit).collect();
        let shown = body.to_string();
        assert!(
            !shown.contains(reason) && (digits.len() < 4 || !shown.contains(&digits)),
            "the answer repeats it: {shown}"
        );
    }
    // Too long: refused on the field, at once, also when it is a megabyte.
    for reason in ["长".repeat(501), "a".repeat(1_000_000)] {
        let (status, body) = app
            .api(
                "POST",
                &dispute,
                &world.a().token,
                Some(serde_json::json!({ "reason": reason })),
            )
            .await;
        assert!(status == 422 || status == 413, "{status}");
        if status == 422 {
            assert_eq!(body["errors"][0]["code"], "too-long", "{body}");
        }
    }
    assert!(status_is(&app, claim, "delivered").await, "nothing was disputed");
    let kept = scalar_i64(
        &app.db,
        "SELECT COUNT(*) FROM audit_log WHERE detail LIKE '%13800138000%' OR detail LIKE '%wangli%' OR detail LIKE '%1949%'",
    )
    .await;
    assert_eq!(kept, 0, "no audit row keeps the refused text");

    // The merchant's note on a delivery: the same guard, the same limit.
    let need = app.post_need(world.a(), 3).await;
    let (_, made) = app.claim(&world.merchants[0].token, need, 1).await;
    let other = made["id"].as_i64().expect("id");
    let path = format!("/api/v1/claims/{other}/delivered");
    for note in secrets.iter().map(|s| (*s).to_owned()).chain(["长".repeat(501)]) {
        let (status, body) = app
            .api(
                "POST",
                &path,
                &world.merchants[0].token,
                Some(serde_json::json!({ "note": note })),
            )
            .await;
        assert_eq!(
            (status, body["errors"][0]["field"].as_str()),
            (422, Some("note")),
            "{body}"
        );
    }
    // A number where the note goes: refused; the answer does not repeat it.
    let (status, body) = app
        .api(
            "POST",
            &path,
            &world.merchants[0].token,
            Some(serde_json::json!({ "note": 13800138000_i64 })),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(status_is(&app, other, "active").await, "nothing was delivered");
    assert_eq!(
        scalar_i64(
            &app.db,
            "SELECT COUNT(*) FROM outbox WHERE payload LIKE '%13800138000%'"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn markup_in_a_reason_or_a_note_is_shown_as_text_on_the_page_and_in_the_email() {
    let (app, sink) = TestApp::spawn_with_smtp().await;
    let world = app.world(1).await;
    let shop = &world.merchants[0].token;
    let reason = "<script>alert(\"x\")</script>少了";
    let (need, claim) = disputed(&app, &world, reason).await;
    let (status, _) = app
        .api(
            "POST",
            &format!("/api/v1/claims/{claim}/resolve"),
            &world.a().token,
            Some(serde_json::json!({ "resolution": "redeliver" })),
        )
        .await;
    assert_eq!(status, 200);
    // A link would become clickable in the worker's mail, sent from the relay's own signed address: refused.
    for linked in [
        "<a href=\"https://evil.example/login\">点此确认</a>",
        "请登录 evil.example.com 确认",
        "ｗｗｗ．evil．cn",
    ] {
        let (status, body) = app
            .api(
                "POST",
                &format!("/api/v1/claims/{claim}/delivered"),
                shop,
                Some(serde_json::json!({ "note": linked })),
            )
            .await;
        assert_eq!(
            (
                status,
                body["errors"][0]["field"].as_str(),
                body["errors"][0]["code"].as_str()
            ),
            (422, Some("note"), Some("contains-link")),
            "{linked}: {body}"
        );
        assert!(
            !body.to_string().contains("evil"),
            "the answer does not repeat the link: {body}"
        );
    }
    let note = "<b onmouseover=alert(1)>点此确认</b><img src=x onerror=alert(1)>";
    let (status, body) = app
        .api(
            "POST",
            &format!("/api/v1/claims/{claim}/delivered"),
            shop,
            Some(serde_json::json!({ "note": note })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["dispute_answer"], note, "the API gives the text back as data");

    let mut worker = app.login("worker0@example.org").await;
    let (_, page) = worker.get(&format!("/needs/{need}")).await;
    assert!(page.contains("&#60;script&#62;"), "{page}");
    for raw in ["<script>alert", "<b onmouseover", "<img src=x"] {
        assert!(!page.contains(raw), "{raw} reached the page as markup");
    }

    crate::mail::wait_until_sent(&app).await;
    let mails: Vec<_> = sink
        .received()
        .into_iter()
        .filter(|m| m.to == ["worker0@example.org"])
        .collect();
    let again = mails
        .iter()
        .find(|m| m.parsed().subject().is_some_and(|s| s.starts_with("异议后重新送达")))
        .unwrap_or_else(|| panic!("the redelivery email: {mails:?}"));
    let html = again.parsed().body_html(0).unwrap_or_default().into_owned();
    assert!(
        html.contains("点此确认") && html.contains("onmouseover"),
        "shown as text: {html}"
    );
    for raw in ["<script>alert", "<b onmouseover", "<img src=x"] {
        assert!(!html.contains(raw), "{raw} reached the email as markup: {html}");
    }
    app.stop().await;
}

#[tokio::test]
async fn only_the_merchant_and_the_organization_read_a_dispute_and_no_private_detail_comes_with_it() {
    let app = TestApp::spawn().await;
    let world = app.world(2).await;
    let (_, claim) = disputed(&app, &world, "少了一袋").await;
    let path = format!("/api/v1/claims/{claim}");

    let (status, mine) = app.api("GET", &path, &world.merchants[0].token, None).await;
    assert_eq!(
        (status, mine["dispute_reason"].as_str()),
        (200, Some("少了一袋")),
        "{mine}"
    );
    let shown = mine.to_string();
    for private in [PLANTED_NAME, PLANTED_PHONE, PLANTED_ADDRESS] {
        assert!(!shown.contains(private), "{private} in {shown}");
    }
    // Another merchant and another organization: the 404 of a claim that does not exist.
    for token in [&world.merchants[1].token, &world.b().token] {
        let (status, body) = app.api("GET", &path, token, None).await;
        assert_eq!(status, 404, "{body}");
        let (status, list) = app.api("GET", "/api/v1/claims", token, None).await;
        assert_eq!(status, 200, "{list}");
        assert!(!list.to_string().contains("少了一袋"), "{list}");
    }
    // Another merchant cannot answer it, nor take it up again.
    for (verb, body) in [
        ("delivered", serde_json::json!({ "note": "已补送" })),
        ("resume", serde_json::json!({})),
        ("release", serde_json::json!({})),
    ] {
        let (status, answer) = app
            .api(
                "POST",
                &format!("/api/v1/claims/{claim}/{verb}"),
                &world.merchants[1].token,
                Some(body),
            )
            .await;
        assert_eq!(status, 404, "{verb}: {answer}");
    }
    assert!(status_is(&app, claim, "disputed").await);
}

#[tokio::test]
async fn the_staff_list_takes_any_page_and_filter_and_only_the_office_opens_it() {
    let app = TestApp::spawn().await;
    let _world = app.world(1).await;
    let office = app.office_account().await;
    let mut office = app.login(&office).await;

    for query in [
        "page=-1",
        "page=abc",
        "page=%20",
        "role=admin'%20OR%201=1--&state=x",
        "state=active&role=social_worker&sort=id;drop%20table%20staff",
    ] {
        let (status, page) = office.get(&format!("/admin/staff?{query}")).await;
        assert_eq!(status, 200, "{query}");
        assert!(page.contains("worker0@example.org"), "{query}: the first page");
        assert!(!page.contains("drop table") && !page.contains("OR 1=1"), "{query}");
    }
    // A page far past the end (up to the largest number there is): an empty page, not a crash.
    for page in ["1000", "1000000000000000000", "18446744073709551615"] {
        let (status, body) = office.get(&format!("/admin/staff?page={page}")).await;
        assert_eq!(status, 200, "page {page}");
        assert!(!body.contains("worker0@example.org"), "page {page}");
        let (status, _) = office.get(&format!("/admin/merchants?page={page}")).await;
        assert_eq!(status, 200, "merchants page {page}");
    }
    assert_eq!(app.count("staff").await, 3, "nothing was dropped");

    // A social worker, with or without filters, sees no one's address.
    let mut worker = app.login("worker0@example.org").await;
    for path in ["/admin/staff", "/admin/staff?state=active&role=admin&page=0"] {
        let (status, page) = worker.get(path).await;
        assert!(status == 403 || status == 404, "{path}: {status}");
        assert!(!page.contains("office@example.org") && !page.contains("worker1@example.org"));
    }
    // Signed out: to the sign-in page.
    let response = app.browser().raw_get("/admin/staff?page=1").send().await.expect("GET");
    assert_eq!(response.status(), 303);
}

#[tokio::test]
async fn the_language_on_the_sign_in_page_is_kept_only_for_a_real_sign_in_and_only_if_known() {
    let app = TestApp::spawn().await;
    let _world = app.world(1).await;
    let english = "SELECT COUNT(*) FROM staff WHERE email = 'worker0@example.org' AND locale = 'en'";

    // A wrong password with ?lang=en: the account keeps its language.
    let mut stranger = app.browser();
    stranger.get("/login?lang=en").await;
    let refused = stranger
        .post(
            "/login?lang=en",
            &[("email", "worker0@example.org"), ("password", "not the password")],
        )
        .await;
    assert_ne!(refused.status(), 303);
    assert_eq!(scalar_i64(&app.db, english).await, 0);

    // An unknown language or a header smuggled into it: nothing stored, no header set.
    for lang in ["fr", "en%0D%0ASet-Cookie:%20evil=1", "zh-CN%00", "en'--"] {
        let response = app
            .browser()
            .raw_get(&format!("/login?lang={lang}"))
            .send()
            .await
            .expect("GET");
        assert_eq!(response.status(), 200, "{lang}");
        assert!(
            response
                .headers()
                .get_all("set-cookie")
                .iter()
                .all(|c| !c.as_bytes().starts_with(b"evil")),
            "{lang}"
        );
        let mut person = app.browser();
        person.get(&format!("/login?lang={lang}")).await;
        let signed_in = person
            .post(
                &format!("/login?lang={lang}"),
                &[
                    ("email", "worker0@example.org"),
                    ("password", crate::support::browser::STAFF_PASSWORD),
                ],
            )
            .await;
        assert_eq!(signed_in.status(), 303, "{lang}");
        assert_eq!(scalar_i64(&app.db, english).await, 0, "{lang}");
        let odd = scalar_i64(
            &app.db,
            "SELECT COUNT(*) FROM staff WHERE locale IS NOT NULL AND locale NOT IN ('zh-CN', 'en')",
        )
        .await;
        assert_eq!(odd, 0, "{lang}");
    }
}

#[tokio::test]
async fn forged_card_buttons_never_touch_another_merchants_claim_or_a_cancelled_need() {
    let app = TestApp::spawn_with_bot().await;
    let world = app.world(2).await;
    let (_, theirs) = disputed(&app, &world, "少了一袋").await;
    let chat = app.linked_chat(world.merchants[1].id, 5100, Locale::ZhCn).await;

    // Buttons of merchant 0's claim, typed by merchant 1.
    for action in [
        Action::Deliver(theirs),
        Action::ReleaseYes(theirs),
        Action::Resume(theirs),
    ] {
        chat.tap_all(&action.encode()).await;
    }
    let asked = chat.tap_all(&Action::Redeliver(theirs).encode()).await;
    if !asked.is_empty() && asked.text().contains("说明") {
        chat.send_all("已补送一袋").await;
    }
    assert!(
        status_is(&app, theirs, "disputed").await,
        "the other shop's claim is untouched"
    );
    assert_eq!(
        scalar_i64(
            &app.db,
            &format!("SELECT COUNT(*) FROM claims WHERE id = {theirs} AND dispute_answer IS NOT NULL"),
        )
        .await,
        0
    );

    // A card shown before its need was cancelled: tapping "claim all" claims nothing.
    let need = app.post_need(world.a(), 2).await;
    let cards = chat.send_all("/needs").await;
    assert!(!cards.is_empty());
    needs::cancel_need(
        &app.db,
        &app.config.secret_key,
        &world.a().worker,
        need,
        "已由家属购买",
        chrono::Utc::now(),
    )
    .await
    .expect("cancel");
    let asked = chat.tap_all(&Action::ClaimAll(need).encode()).await;
    for sent in asked.iter() {
        for (_, data) in sent.buttons.iter().flatten() {
            if data.starts_with("v1:claim") {
                chat.tap_all(data).await;
            }
        }
    }
    chat.tap_all(&Action::ClaimAllYes(need, 2).encode()).await;
    assert_eq!(
        scalar_i64(&app.db, &format!("SELECT COUNT(*) FROM claims WHERE need_id = {need}")).await,
        0,
        "nothing claimed on a cancelled need"
    );

    // The merchant's own settled claim: its old buttons do nothing more.
    let merchant = Caller::Merchant {
        merchant_id: world.merchants[1].id,
        token_id: None,
    };
    let open = app.post_need(world.a(), 2).await;
    let (_, made) = app.claim(&world.merchants[1].token, open, 1).await;
    let own = made["id"].as_i64().expect("id");
    claims::release(&app.db, &merchant, own, chrono::Utc::now())
        .await
        .expect("release");
    chat.tap_all(&Action::Deliver(own).encode()).await;
    chat.tap_all(&Action::ReleaseYes(own).encode()).await;
    assert!(status_is(&app, own, "released").await);
    let claimed = scalar_i64(&app.db, &format!("SELECT claimed FROM needs WHERE id = {open}")).await;
    assert_eq!(claimed, 0, "a replayed release gives nothing back twice");
}

#[tokio::test]
async fn a_bad_telegram_throttle_stops_the_start_with_a_clear_message() {
    let app = TestApp::spawn().await;
    for bad in ["0", "-5", "1e3", "1001", "99999999999999999999", "１０"] {
        let mut env = app.env.clone();
        set(&mut env, "RELAY_TELEGRAM_THROTTLE", bad);
        let run = run_cli(&env, &["migrate"], "");
        assert_ne!(run.code, Some(0), "{bad}: {run:?}");
        assert!(
            run.stderr.contains("RELAY_TELEGRAM_THROTTLE") && run.stderr.contains("from 1 to 1000"),
            "{bad}: {}",
            run.stderr
        );
    }
}

#[tokio::test]
async fn after_the_demo_the_public_page_shows_figures_but_no_one_behind_them() {
    let app = TestApp::spawn().await;
    assert_eq!(app.cli(&["demo"], "").code, Some(0));
    let page = app.get("/transparency").await.text().await.expect("page");
    let chart = app.get("/transparency/met.svg").await.text().await.expect("svg");
    for shown in [&page, &chart] {
        for private in [
            "陈阿婆",
            "李先生",
            "王女士",
            "黄奶奶",
            "1380000000",
            "某栋",
            "陈姐",
            "刘老师",
            "赵先生",
            "义工）",
            "@demo.charity-relay.org",
            "一个月的大米",
            "一家三口",
        ] {
            assert!(!shown.contains(private), "{private} on the public page: {shown}");
        }
    }
}

#[tokio::test]
async fn a_staff_list_link_with_a_filter_twice_still_shows_the_list() {
    let app = TestApp::spawn().await;
    let _world = app.world(1).await;
    let office = app.office_account().await;
    let mut office = app.login(&office).await;
    for query in [
        "state=active&state=inactive",
        "page=1&page=2",
        "role=admin&role=social_worker&sort=id&sort=",
    ] {
        let (status, page) = office.get(&format!("/admin/staff?{query}")).await;
        assert_eq!(status, 200, "{query}: {page}");
        assert!(page.contains("action=\"/logout\""), "{query}: the office page: {page}");
    }
}
