//! Social workers and office staff use the web pages, often on a phone between visits.

use crate::support::browser::STAFF_PASSWORD;
use crate::support::world::{PLANTED_NAME, PLANTED_PHONE};
use crate::support::{TestApp, scalar_i64};

async fn denied(app: &TestApp) -> i64 {
    scalar_i64(&app.db, "SELECT COUNT(*) FROM audit_log WHERE outcome = 'denied'").await
}

#[tokio::test]
async fn signing_in_and_out_uses_a_server_side_session() {
    let app = TestApp::spawn().await;
    app.world(0).await;
    let mut anonymous = app.browser();
    let (status, _) = anonymous.get("/needs").await;
    assert_eq!(status, 303, "a page that needs a login redirects to /login");

    let mut browser = app.browser();
    let response = browser.sign_in("worker0@example.org", STAFF_PASSWORD).await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/");
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("relay_session="))
        .expect("a session cookie")
        .to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(!cookie.contains("Secure"), "no Secure flag over plain http");
    let (status, body) = browser.get("/needs").await;
    assert_eq!(status, 200);
    assert!(body.contains("worker0"), "the user's name is in the header");

    let copied = cookie.split(';').next().expect("cookie pair").to_owned();
    let response = browser.post("/logout", &[]).await;
    assert_eq!(response.status(), 303);
    // The old cookie no longer works, even when sent again by someone who kept it.
    let replay = app
        .client
        .get(app.url("/needs"))
        .header("cookie", copied)
        .send()
        .await
        .expect("GET");
    assert_eq!(replay.status(), 303);
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_answer() {
    let app = TestApp::spawn().await;
    app.world(0).await;
    let mut a = app.browser();
    let wrong = a.sign_in("worker0@example.org", "not the password").await;
    let wrong = (wrong.status(), wrong.text().await.expect("body"));
    let mut b = app.browser();
    let unknown = b.sign_in("nobody@example.org", "not the password").await;
    let unknown = (unknown.status(), unknown.text().await.expect("body"));
    assert_eq!(wrong.0, 401);
    assert_eq!(unknown.0, 401);
    let strip = |s: &str| {
        s.lines()
            .filter(|l| !l.contains("csrf") && !l.contains("email"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(strip(&wrong.1), strip(&unknown.1));
}

#[tokio::test]
async fn repeated_failures_throttle_the_account_for_a_while_then_it_works_again() {
    let app = TestApp::spawn().await;
    app.world(0).await;
    let mut browser = app.browser();
    for _ in 0..5 {
        assert_eq!(
            browser.sign_in("worker0@example.org", "wrong password!").await.status(),
            401
        );
    }
    let throttled = browser.sign_in("worker0@example.org", STAFF_PASSWORD).await;
    assert_eq!(throttled.status(), 429, "even the right password waits");
    assert!(throttled.headers().contains_key("retry-after"));
    let body = throttled.text().await.expect("body");
    assert!(body.contains("15"), "the page says how many minutes: {body}");

    // Self-expiring: once the lock's time has passed, the right password works.
    use sea_orm::ConnectionTrait;
    app.db
        .execute_unprepared("UPDATE login_throttles SET locked_until = '2000-01-01 00:00:00+00:00', window_started_at = '2000-01-01 00:00:00+00:00'")
        .await
        .expect("expire");
    assert_eq!(
        browser.sign_in("worker0@example.org", STAFF_PASSWORD).await.status(),
        303
    );
}

#[tokio::test]
async fn forms_without_the_csrf_token_or_from_a_foreign_origin_are_refused() {
    let app = TestApp::spawn().await;
    let world = app.world(0).await;
    let browser = app.login("worker0@example.org").await;
    let fields = [
        ("beneficiary_id", world.a().beneficiary_id.to_string()),
        ("category", "food".into()),
        ("title", "米和食用油".into()),
        ("quantity", "2".into()),
        ("unit", "袋".into()),
        ("deadline", "2099-01-01".into()),
    ];
    let before = denied(&app).await;
    let no_token = browser.raw_post("/needs").form(&fields).send().await.expect("POST");
    assert_eq!(no_token.status(), 403);
    let mut with_token: Vec<(String, String)> = fields.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect();
    with_token.push(("csrf".into(), browser.csrf.clone()));
    let foreign = browser
        .raw_post("/needs")
        .header("Origin", "https://evil.example")
        .form(&with_token)
        .send()
        .await
        .expect("POST");
    assert_eq!(foreign.status(), 403);
    assert_eq!(app.count("needs").await, 0, "nothing was posted");
    assert_eq!(denied(&app).await - before, 2, "both refusals are audited");

    let same_origin = browser
        .raw_post("/needs")
        .header("Origin", app.url(""))
        .form(&with_token)
        .send()
        .await
        .expect("POST");
    assert_eq!(same_origin.status(), 303);
    assert_eq!(app.count("needs").await, 1);
}

#[tokio::test]
async fn a_need_with_a_phone_number_is_shown_again_with_the_error_beside_the_field() {
    let app = TestApp::spawn().await;
    let world = app.world(0).await;
    let mut browser = app.login("worker0@example.org").await;
    browser.get("/needs/new").await;
    let beneficiary = world.a().beneficiary_id.to_string();
    let mut fields = vec![
        ("beneficiary_id", beneficiary.as_str()),
        ("category", "medicine"),
        ("title", "降压药一个月用量"),
        ("description", "请联系家属 138 0013 8000"),
        ("quantity", "1"),
        ("unit", "份"),
        ("deadline", "2099-01-01"),
        ("urgency", "urgent"),
    ];
    let response = browser.post("/needs", &fields).await;
    assert_eq!(response.status(), 422);
    let page = response.text().await.expect("body");
    assert!(
        page.contains(r#"id="description-error""#),
        "the error is beside the description"
    );
    assert!(page.contains("保密信息") || page.contains("private"), "{page}");
    assert!(
        page.contains("降压药一个月用量") && page.contains(r#"value="1""#),
        "the other values are kept"
    );
    assert!(
        page.contains(r#"<option value="urgent" selected>"#) && page.contains(r#"<option value="medicine" selected>"#)
    );
    assert_eq!(app.count("needs").await, 0);

    fields[3] = ("description", "老人需要一个月的降压药。");
    let response = browser.post("/needs", &fields).await;
    assert_eq!(response.status(), 303);
    let location = response.headers()["location"].to_str().expect("ascii").to_owned();
    assert!(location.starts_with("/needs/"), "{location}");
    let (_, board) = browser.get("/needs").await;
    assert!(board.contains("降压药一个月用量"), "the need is on the board");
    let (_, need) = browser.get(&location).await;
    assert!(need.contains("发布需求"), "the timeline shows the posting: {need}");
}

#[tokio::test]
async fn confirming_a_delivery_from_the_need_page_is_audited_and_on_the_timeline() {
    let app = TestApp::spawn().await;
    let world = app.world(1).await;
    let need = app.post_need(world.a(), 2).await;
    let m = &world.merchants[0];
    let (_, claim) = app.claim(&m.token, need, 2).await;
    let claim_id = claim["id"].as_i64().expect("id");
    app.api("POST", &format!("/api/v1/claims/{claim_id}/delivered"), &m.token, None)
        .await;

    let mut browser = app.login("worker0@example.org").await;
    let (_, page) = browser.get(&format!("/needs/{need}")).await;
    let action = format!("/needs/{need}/claims/{claim_id}/confirm");
    assert!(page.contains(&action), "the confirm form is on the page");
    let response = browser.post(&action, &[("rating", "4"), ("handoff_code", "")]).await;
    assert_eq!(response.status(), 303);
    let audited = scalar_i64(
        &app.db,
        &format!("SELECT COUNT(*) FROM audit_log WHERE action = 'claim.confirm' AND subject_id = '{claim_id}'"),
    )
    .await;
    assert_eq!(audited, 1);
    let (_, page) = browser.get(&format!("/needs/{need}")).await;
    assert!(
        page.contains("社工确认送达") && page.contains("★★★★"),
        "the timeline shows the confirmation and rating"
    );
    let (_, dashboard) = browser.get("/").await;
    assert!(dashboard.contains("工作台"));
}

#[tokio::test]
async fn a_beneficiary_is_registered_with_private_details_sealed_and_each_view_audited() {
    let app = TestApp::spawn().await;
    let world = app.world(0).await;
    let mut browser = app.login("worker1@example.org").await;
    browser.get("/beneficiaries/new").await;
    let community = world.community_id.to_string();
    let mut fields = vec![
        ("community_id", community.as_str()),
        ("group", "child_in_hardship"),
        ("full_name", "李小明"),
        ("phone", PLANTED_PHONE),
        ("address", "桥东社区某栋"),
        ("notes", ""),
        ("notify_email", "guardian@example.org"),
        ("locale", "en"),
    ];
    let response = browser.post("/beneficiaries", &fields).await;
    assert_eq!(response.status(), 422, "email without consent is refused");
    let page = response.text().await.expect("body");
    assert!(
        page.contains("李小明") && page.contains("guardian@example.org"),
        "values are kept"
    );

    fields.push(("notify_consent", "on"));
    let response = browser.post("/beneficiaries", &fields).await;
    assert_eq!(response.status(), 303);
    let location = response.headers()["location"].to_str().expect("ascii").to_owned();
    // The same phone is registered at organization A, but the worker is told nothing of it
    // (the pair goes to the office's queue: tests/app/duplicates.rs).
    assert!(
        location.starts_with("/beneficiaries/") && !location.contains('?'),
        "{location}"
    );
    let (status, page) = browser.get(&location).await;
    assert_eq!(status, 200);
    assert!(page.contains("李小明") && page.contains(PLANTED_PHONE));
    let id = location.trim_start_matches("/beneficiaries/");
    let reads = scalar_i64(&app.db, &format!("SELECT COUNT(*) FROM audit_log WHERE action = 'beneficiary.private.read' AND subject_id = '{id}' AND outcome = 'ok'")).await;
    assert_eq!(reads, 1);

    // Another organization's worker sees nothing of it, and the attempt is audited.
    let mut other = app.login("worker0@example.org").await;
    let before = denied(&app).await;
    let (status, page) = other.get(&format!("/beneficiaries/{id}")).await;
    assert_eq!(status, 404);
    assert!(!page.contains("李小明"));
    assert_eq!(denied(&app).await - before, 1);
    let (_, list) = other.get("/beneficiaries").await;
    assert!(
        !list.contains(&format!("/beneficiaries/{id}\"")),
        "the list shows only the worker's own organization"
    );
}

#[tokio::test]
async fn social_workers_cannot_reach_the_office_or_another_organizations_needs() {
    let app = TestApp::spawn().await;
    let world = app.world(0).await;
    let need_b = app.post_need(world.b(), 1).await;
    let mut browser = app.login("worker0@example.org").await;
    let before = denied(&app).await;
    for path in [
        "/admin/organizations",
        "/admin/merchants",
        "/admin/tokens",
        "/admin/audit",
        "/admin/outbox",
    ] {
        let (status, _) = browser.get(path).await;
        assert_eq!(status, 403, "{path}");
    }
    let (status, page) = browser.get(&format!("/needs/{need_b}")).await;
    assert_eq!(status, 404);
    assert!(!page.contains("米和食用油"));
    let response = browser.post(&format!("/needs/{need_b}/cancel"), &[]).await;
    assert_eq!(response.status(), 404);
    assert_eq!(denied(&app).await - before, 7, "every refusal is audited");
    assert_eq!(
        scalar_i64(
            &app.db,
            &format!("SELECT COUNT(*) FROM needs WHERE id = {need_b} AND status = 'open'")
        )
        .await,
        1
    );
}

#[tokio::test]
async fn the_office_admits_and_suspends_merchants_and_issues_codes_and_tokens() {
    let app = TestApp::spawn().await;
    let world = app.world(1).await;
    let email = app.office_account().await;
    let mut office = app.login(&email).await;
    let m = &world.merchants[0];
    let (status, page) = office.get("/admin/merchants").await;
    assert_eq!(status, 200);
    assert!(page.contains("爱心商户0"));

    let response = office
        .post(
            &format!("/admin/merchants/{}/status", m.id),
            &[("status", "suspended"), ("reason", "食品许可证过期")],
        )
        .await;
    assert_eq!(response.status(), 303);
    let need = app.post_need(world.a(), 1).await;
    let (status, body) = app.claim(&m.token, need, 1).await;
    assert_eq!((status, body["type"].as_str()), (403, Some("merchant-not-approved")));
    office
        .post(&format!("/admin/merchants/{}/status", m.id), &[("status", "approved")])
        .await;
    let (status, _) = app.claim(&m.token, need, 1).await;
    assert_eq!(status, 201, "reinstated, it can claim again");

    let code_page = office
        .post(&format!("/admin/merchants/{}/link-code", m.id), &[])
        .await
        .text()
        .await
        .expect("body");
    assert_eq!(app.count("merchant_link_codes").await, 1);
    assert!(
        code_page.contains("有效期至"),
        "the code is shown once with its validity"
    );

    let issued = office
        .post(
            "/admin/tokens",
            &[("organization", "沙头角街道社工站"), ("label", "ERP")],
        )
        .await
        .text()
        .await
        .expect("body");
    let token = issued
        .split("crt_")
        .nth(1)
        .map(|rest| format!("crt_{}", &rest[..64]))
        .expect("the token is shown once");
    let (status, _) = app.api("GET", "/api/v1/needs", &token, None).await;
    assert_eq!(status, 200);
    let token_id = scalar_i64(&app.db, "SELECT MAX(id) FROM api_tokens").await;
    office.get("/admin/tokens").await;
    assert_eq!(
        office
            .post(&format!("/admin/tokens/{token_id}/revoke"), &[("reason", "ERP 已停用")])
            .await
            .status(),
        303
    );
    let (status, _) = app.api("GET", "/api/v1/needs", &token, None).await;
    assert_eq!(status, 401, "a revoked token stops working at once");

    let (status, audit) = office.get("/admin/audit?action=merchant.status").await;
    assert_eq!(status, 200);
    assert!(audit.contains("修改商户准入状态"), "the action is named in words");
    let (status, _) = office.get("/admin/outbox?status=pending").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn volunteer_hours_are_logged_confirmed_and_counted_with_helped_people_who_help() {
    let app = TestApp::spawn().await;
    let world = app.world(0).await;
    let code: String = {
        use sea_orm::{ConnectionTrait, Statement};
        let sql = format!("SELECT code FROM beneficiaries WHERE id = {}", world.a().beneficiary_id);
        let row = app
            .db
            .query_one_raw(Statement::from_string(app.db.get_database_backend(), sql))
            .await
            .expect("q")
            .expect("row");
        row.try_get_by_index(0).expect("code")
    };
    let mut browser = app.login("worker0@example.org").await;
    browser.get("/volunteers").await;
    assert_eq!(
        browser
            .post("/volunteers", &[("display_name", "赵先生"), ("former_code", &code)])
            .await
            .status(),
        303
    );
    let volunteer = scalar_i64(&app.db, "SELECT MAX(id) FROM volunteers").await;
    let bad = browser
        .post(
            &format!("/volunteers/{volunteer}/hours"),
            &[("activity", "探访长者"), ("hours", "30"), ("served_on", "")],
        )
        .await;
    assert_eq!(bad.status(), 422);
    let ok = browser
        .post(
            &format!("/volunteers/{volunteer}/hours"),
            &[("activity", "探访长者"), ("hours", "2.5"), ("served_on", "")],
        )
        .await;
    assert_eq!(ok.status(), 303);
    let hours = scalar_i64(&app.db, "SELECT MAX(id) FROM volunteer_hours").await;
    browser.get("/volunteers").await;
    assert_eq!(
        browser.post(&format!("/hours/{hours}/confirm"), &[]).await.status(),
        303
    );
    let (_, page) = browser.get("/volunteers").await;
    assert!(
        page.contains("2.5") && page.contains(&code),
        "the balance and the former beneficiary code are shown"
    );
}

#[tokio::test]
async fn pages_speak_the_browsers_language_until_the_user_chooses_one() {
    let app = TestApp::spawn().await;
    app.world(0).await;
    let mut browser = app.login("worker0@example.org").await;
    let english = browser
        .raw_get("/needs")
        .header("Accept-Language", "en-US,en;q=0.9")
        .send()
        .await
        .expect("GET");
    let english = english.text().await.expect("body");
    assert!(english.contains("<html lang=\"en\">") && english.contains("Post a need"));
    browser.get("/").await;
    assert_eq!(
        browser.post("/settings/language", &[("lang", "zh-CN")]).await.status(),
        303
    );
    let chinese = browser
        .raw_get("/needs")
        .header("Accept-Language", "en")
        .send()
        .await
        .expect("GET")
        .text()
        .await
        .expect("body");
    assert!(
        chinese.contains("<html lang=\"zh-CN\">") && chinese.contains("发布需求"),
        "the user's choice wins"
    );
}

#[tokio::test]
async fn pages_carry_the_security_headers() {
    let app = TestApp::spawn().await;
    app.world(0).await;
    let browser = app.login("worker0@example.org").await;
    let response = browser.raw_get("/needs").send().await.expect("GET");
    let headers = response.headers();
    let csp = headers["content-security-policy"].to_str().expect("ascii");
    for part in [
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "script-src 'none'",
        "style-src 'self'",
    ] {
        assert!(csp.contains(part), "{csp}");
    }
    assert!(!csp.contains("unsafe-inline"));
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["cache-control"], "no-store");
    assert!(headers.contains_key("referrer-policy"));
    assert!(
        !headers.contains_key("strict-transport-security"),
        "no HSTS over plain http"
    );
    let body = response.text().await.expect("body");
    assert!(
        !body.contains("<script") && !body.contains("style="),
        "no inline script or style"
    );
    let _ = PLANTED_NAME;
}

#[tokio::test]
async fn changing_the_password_ends_the_other_sessions() {
    let app = TestApp::spawn().await;
    app.world(0).await;
    let mut phone = app.login("worker0@example.org").await;
    let mut laptop = app.login("worker0@example.org").await;
    laptop.get("/settings/password").await;
    let weak = laptop
        .post(
            "/settings/password",
            &[("current_password", STAFF_PASSWORD), ("new_password", "password")],
        )
        .await;
    assert_eq!(weak.status(), 422);
    let done = laptop
        .post(
            "/settings/password",
            &[
                ("current_password", STAFF_PASSWORD),
                ("new_password", "a new long secret"),
            ],
        )
        .await;
    assert_eq!(done.status(), 200);
    assert_eq!(phone.get("/needs").await.0, 303, "the phone's session ended");
    assert_eq!(laptop.get("/needs").await.0, 200, "the laptop got a fresh session");
    let mut fresh = app.browser();
    assert_eq!(
        fresh.sign_in("worker0@example.org", "a new long secret").await.status(),
        303
    );
}

#[tokio::test]
async fn over_https_the_cookie_is_host_prefixed_and_secure_and_hsts_is_sent() {
    let app = TestApp::spawn_with(|env| {
        env.insert("RELAY_PUBLIC_URL".into(), "https://relay.example.org".into());
    })
    .await;
    app.world(0).await;
    let mut browser = app.browser();
    let response = browser.sign_in("worker0@example.org", STAFF_PASSWORD).await;
    assert_eq!(response.status(), 303);
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("__Host-relay_session="))
        .expect("a __Host- session cookie")
        .to_owned();
    assert!(
        cookie.contains("Secure") && cookie.contains("Path=/") && !cookie.contains("Domain"),
        "{cookie}"
    );
    let page = app.get("/login").await;
    assert!(
        page.headers()["strict-transport-security"]
            .to_str()
            .expect("ascii")
            .contains("max-age=")
    );
}

#[tokio::test]
async fn an_idle_session_ends_and_so_does_an_old_one() {
    use sea_orm::ConnectionTrait;
    let app = TestApp::spawn().await;
    app.world(0).await;
    let mut browser = app.login("worker0@example.org").await;
    assert_eq!(browser.get("/needs").await.0, 200);
    app.db
        .execute_unprepared("UPDATE web_sessions SET last_seen_at = '2000-01-01 00:00:00+00:00'")
        .await
        .expect("age the session");
    assert_eq!(browser.get("/needs").await.0, 303, "idle for too long");

    let mut again = app.login("worker0@example.org").await;
    app.db
        .execute_unprepared("UPDATE web_sessions SET expires_at = '2000-01-01 00:00:00+00:00'")
        .await
        .expect("expire the session");
    assert_eq!(again.get("/needs").await.0, 303, "past the absolute timeout");
}

#[tokio::test]
async fn the_office_puts_a_dead_message_back_in_the_queue() {
    use sea_orm::ConnectionTrait;
    let app = TestApp::spawn().await;
    let world = app.world(0).await;
    app.post_need(world.a(), 1).await;
    let id = scalar_i64(&app.db, "SELECT MIN(id) FROM outbox").await;
    app.db
        .execute_unprepared(&format!(
            "UPDATE outbox SET status = 'dead', attempts = 8, last_error = '550 mailbox unavailable' WHERE id = {id}"
        ))
        .await
        .expect("kill the message");
    let email = app.office_account().await;
    let mut office = app.login(&email).await;
    let (_, page) = office.get("/admin/outbox?status=dead").await;
    assert!(page.contains("550 mailbox unavailable") && page.contains(&format!("/admin/outbox/{id}/retry")));
    assert!(!page.contains("resident0@example.org"), "recipients are masked");
    assert_eq!(
        office.post(&format!("/admin/outbox/{id}/retry"), &[]).await.status(),
        303
    );
    let pending = scalar_i64(
        &app.db,
        &format!("SELECT COUNT(*) FROM outbox WHERE id = {id} AND status = 'pending' AND attempts = 0"),
    )
    .await;
    assert_eq!(pending, 1);
    assert_eq!(
        office.post(&format!("/admin/outbox/{id}/retry"), &[]).await.status(),
        409,
        "only a dead message can be retried"
    );
}
