//! The office's pages read in words and ask before they hurt: a clerk suspends a shop, revokes
//! a token or a social worker cancels a need only after a page says what happens and who is
//! told, with a reason for the audit log; every code on an admin page is a label; a shop's
//! link code comes with the bot's link and a QR code to print.

use std::sync::LazyLock;

use charity_relay::domain::PartyStatus;
use charity_relay::services::merchants::link_code_digest;
use regex::Regex;
use sea_orm::{ConnectionTrait, Statement};

use crate::support::browser::Browser;
use crate::support::{TestApp, scalar_i64};

async fn scalar_text(app: &TestApp, sql: &str) -> String {
    let row = app
        .db
        .query_one_raw(Statement::from_string(app.db.get_database_backend(), sql.to_owned()))
        .await
        .expect("query")
        .expect("one row");
    row.try_get_by_index::<String>(0).expect("text")
}

/// The latest audit detail of `action`.
async fn audit_detail(app: &TestApp, action: &str) -> serde_json::Value {
    let detail = scalar_text(
        app,
        &format!("SELECT detail FROM audit_log WHERE action = '{action}' AND outcome = 'ok' ORDER BY id DESC LIMIT 1"),
    )
    .await;
    serde_json::from_str(&detail).expect("json detail")
}

/// The text a person sees: no tags, no attributes, no `<style>`/`<script>`/`<svg>` bodies,
/// entities decoded for the few the templates produce.
fn visible_text(html: &str) -> String {
    static HIDDEN: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?is)<(style|script|svg|title)\b.*?</(style|script|svg|title)>").expect("re"));
    static TAG: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?s)<[^>]*>").expect("re"));
    let text = HIDDEN.replace_all(html, " ");
    let text = TAG.replace_all(&text, " ");
    text.replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
}

/// Codes a person should never read: `staff.login`, `volunteer_team`, and on a Chinese page
/// bare status words (in English they are words: "Claim lapsed").
fn raw_codes(text: &str) -> Vec<String> {
    codes_in(text, true)
}

fn codes_in(text: &str, chinese: bool) -> Vec<String> {
    static CODE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\b[a-z]+[._][a-z]+\b").expect("re"));
    static STATUS: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"\b(ok|denied|pending|approved|suspended|dead|held|sent|failed|active|released|lapsed|disputed|delivered|confirmed|open|fully_claimed|fulfilled|cancelled|expired)\b")
            .expect("re")
    });
    // Email addresses and links are data the clerk needs, not codes.
    static ADDRESS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\S+@\S+|https?://\S+").expect("re"));
    let text = ADDRESS.replace_all(text, " ");
    let mut found: Vec<String> = CODE.find_iter(&text).map(|m| m.as_str().to_owned()).collect();
    if chinese {
        found.extend(STATUS.find_iter(&text).map(|m| m.as_str().to_owned()));
    }
    found
}

/// Fails when `path` answers other than `expected` or shows a raw code.
async fn read_page(browser: &mut Browser, path: &str, expected: u16, lang: &str) -> String {
    let (status, body) = browser.get(path).await;
    assert_eq!(status, expected, "{lang} {path}");
    let text = visible_text(&body);
    let codes = codes_in(&text, lang == "zh-CN");
    assert!(codes.is_empty(), "{lang} {path} shows raw codes {codes:?}");
    body
}

#[test]
fn the_raw_code_check_catches_what_the_clerk_reported() {
    let seen = "时间 staff.login 认领 claim.lapse ok 类型 volunteer_team 状态 pending · 3";
    assert_eq!(
        raw_codes(seen),
        ["staff.login", "claim.lapse", "volunteer_team", "ok", "pending"]
    );
    assert!(
        raw_codes(&visible_text(
            r#"<a href="/a.b" title="x.y">工作人员登录</a> a***@example.org"#
        ))
        .is_empty()
    );
}

#[tokio::test]
async fn every_admin_page_reads_in_words_in_both_languages() {
    let app =
        TestApp::spawn_with(|env| crate::support::set(env, "RELAY_TELEGRAM_BOT_USERNAME", "relay_test_bot")).await;
    let world = app.world(2).await;
    let pending = app.merchant("待审核小店", PartyStatus::Pending).await;
    let need = app.post_need(world.a(), 3).await;
    app.claim(&world.merchants[0].token, need, 1).await;
    let email = app.office_account().await;
    let mut office = app.login(&email).await;
    // A refusal and some history for the audit log.
    let mut worker = app.login("worker0@example.org").await;
    assert_eq!(worker.get("/admin/audit").await.0, 403);
    let token_id = scalar_i64(&app.db, "SELECT MAX(id) FROM api_tokens").await;
    let org = world.a().id;
    let shop = world.merchants[1].id;
    let mut paths: Vec<String> = [
        "/admin/organizations",
        "/admin/organizations?status=pending",
        "/admin/organizations?sort=name",
        "/admin/merchants",
        "/admin/merchants?status=suspended&sort=id",
        "/admin/staff",
        "/admin/tokens",
        "/admin/audit",
        "/admin/audit?outcome=denied",
        "/admin/audit?action=need.post&subject_kind=need",
        "/admin/outbox",
        "/admin/outbox?status=pending",
        "/admin/outbox?status=sent",
        "/admin/outbox?status=held",
        "/admin/outbox?status=failed",
        "/admin/duplicates",
        "/admin/reports",
    ]
    .iter()
    .map(|p| (*p).to_owned())
    .collect();
    paths.push(format!("/admin/organizations/{org}/suspend"));
    paths.push(format!("/admin/organizations/{org}/services"));
    paths.push(format!("/admin/merchants/{shop}/suspend"));
    paths.push(format!("/admin/tokens/{token_id}/revoke"));
    let worker_id = scalar_i64(&app.db, "SELECT id FROM staff WHERE email = 'worker0@example.org'").await;
    paths.push(format!("/admin/staff/{worker_id}/deactivate"));
    for (lang, switch) in [("zh-CN", "zh-CN"), ("en", "en")] {
        office.get("/admin/staff").await;
        office.post("/settings/language", &[("lang", switch)]).await;
        for path in &paths {
            read_page(&mut office, path, 200, lang).await;
        }
        let shown = office
            .post(&format!("/admin/merchants/{}/link-code", pending.id), &[])
            .await;
        assert_eq!(shown.status(), 200);
        let body = shown.text().await.expect("body");
        let codes = codes_in(&visible_text(&body), lang == "zh-CN");
        assert!(codes.is_empty(), "{lang} link code page shows {codes:?}");
        // A refused reason re-renders the confirm page in words too.
        let refused = office
            .post(&format!("/admin/merchants/{shop}/status"), &[("status", "suspended")])
            .await;
        assert_eq!(refused.status(), 422);
        let codes = codes_in(&visible_text(&refused.text().await.expect("body")), lang == "zh-CN");
        assert!(codes.is_empty(), "{lang} refused suspension shows {codes:?}");
    }
}

#[tokio::test]
async fn the_clerk_reads_in_words_that_a_worker_saw_the_names_on_the_need_form() {
    let app = TestApp::spawn().await;
    app.world(0).await;
    let mut worker = app.login("worker0@example.org").await;
    assert_eq!(worker.get("/needs/new").await.0, 200, "the form lists people by name");
    let email = app.office_account().await;
    let mut office = app.login(&email).await;

    let audit = read_page(&mut office, "/admin/audit", 200, "zh-CN").await;
    let rows = audit.split("<tbody>").nth(1).expect("the log's rows");
    assert!(
        rows.contains("查看受助人姓名"),
        "the names read on the need form are named in the log"
    );
    assert!(!rows.contains("其他"), "no row of the log reads “other”");
    let (_, only) = office.get("/admin/audit?action=beneficiary.names.read").await;
    assert!(
        only.contains("<option value=\"beneficiary.names.read\" selected>"),
        "the filter offers it"
    );
}

#[tokio::test]
async fn the_pending_shop_comes_first_and_lists_filter_sort_and_page() {
    let app = TestApp::spawn().await;
    app.world(0).await;
    for i in 0..24 {
        app.merchant(&format!("爱心商户{i:02}"), PartyStatus::Approved).await;
    }
    let pending = app.merchant("中英街药房", PartyStatus::Pending).await;
    app.merchant("北山面包", PartyStatus::Approved).await;
    let email = app.office_account().await;
    let mut office = app.login(&email).await;

    let first = read_page(&mut office, "/admin/merchants", 200, "zh-CN").await;
    let rows: Vec<&str> = first.split("<tr>").skip(1).collect();
    assert!(rows[1].contains("中英街药房"), "the pending shop heads the list");
    assert!(rows[1].contains("待审核") && rows[1].contains(&format!("#{}", pending.id)));
    assert!(
        first.contains("信用分") && first.contains("分</td>"),
        "credit is labelled"
    );
    assert!(
        first.contains("<select name=\"status\""),
        "the status filter is a select"
    );
    assert!(first.contains("page=1"), "more than a page: a link to the next");

    // By name: pinyin order, so 北山 (bei) follows every 爱心 (ai) and precedes 中英街 (zhong).
    let (_, by_name) = office.get("/admin/merchants?sort=name&page=1").await;
    let bei = by_name.find("北山面包").expect("北山 on page 2");
    let zhong = by_name.find("中英街药房").expect("中英街 on page 2");
    assert!(bei < zhong);
    assert!(!by_name.contains("爱心商户00"));

    let (_, only) = office.get("/admin/merchants?status=pending").await;
    assert!(only.contains("中英街药房"));
    assert_eq!(only.matches("<tr>").count(), 2, "the header and the one pending shop");
    assert!(only.contains("共 1 条"));
}

#[tokio::test]
async fn the_staff_list_has_ids_filters_in_words_pinyin_order_and_pages() {
    use charity_relay::demo;
    use charity_relay::domain::Role;
    use charity_relay::services::staff;
    let app = TestApp::spawn().await;
    // The demo's accounts go by Chinese names.
    assert_eq!(app.cli(&["demo"], "").code, Some(0));
    // Twenty more social workers make a second page; their names (from their emails) sort after the
    // Chinese ones.
    for i in 0..20 {
        let new = staff::NewUser {
            email: format!("zhang{i:02}@example.org"),
            role: Role::SocialWorker,
            organization: Some("沙头角街道社工站".into()),
            subdistrict: None,
            password: crate::support::browser::STAFF_PASSWORD.into(),
        };
        staff::create_user(&app.db, new, chrono::Utc::now())
            .await
            .expect("worker");
    }
    let office_email = "office@demo.charity-relay.org";
    let office_id = scalar_i64(&app.db, &format!("SELECT id FROM staff WHERE email = '{office_email}'")).await;
    let mut office = app.browser();
    assert_eq!(office.sign_in(office_email, demo::DEMO_PASSWORD).await.status(), 303);

    let first = read_page(&mut office, "/admin/staff", 200, "zh-CN").await;
    assert!(first.contains("<th>编号</th><th>姓名</th>"), "{first}");
    assert!(
        first.contains(&format!("<td>#{office_id}</td><td>街道办 王主任</td>")),
        "{first}"
    );
    for (select, label) in [
        ("state", "可登录"),
        ("state", "已停用"),
        ("role", "社工"),
        ("role", "街道办管理员"),
    ] {
        assert!(
            first.contains(&format!(r#"<select name="{select}">"#)),
            "{select} is a select"
        );
        assert!(first.contains(&format!(">{label}</option>")), "{select} offers {label}");
    }
    // Shatoujiao's office lists its own subdistrict's accounts only: not Haishan's.
    assert!(
        !first.contains("海山长者关爱协会 社工") && !first.contains("海山街道办"),
        "{first}"
    );
    // By name in pinyin order: jie, sha(tou jiao ai), sha(tou jiao jie), wu (the first account
    // of the organization the demo admitted by application), yan, then zhang.
    let order = [
        "街道办 王主任",
        "沙头角爱心义工队 社工",
        "沙头角街道社工站 社工",
        "吴主任",
        "盐田区妇女互助会 社工",
        "zhang00",
    ];
    let at: Vec<usize> = order
        .iter()
        .map(|name| first.find(&format!("<td>{name}</td>")).expect(name))
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "pinyin order: {order:?} at {at:?}");
    assert!(first.contains("共 25 条") && first.contains("<td>zhang14</td>") && !first.contains("zhang15"));
    let (_, second) = office.get("/admin/staff?state=&role=&sort=&page=1").await;
    assert!(first.contains(r#"page=1">下一页</a>"#), "{first}");
    assert_eq!(second.matches("@example.org</td>").count(), 5, "{second}");

    // One leaves: the state filter finds just that one, the role filter just the office.
    let leaver = scalar_i64(&app.db, "SELECT id FROM staff WHERE email = 'zhang03@example.org'").await;
    office.get(&format!("/admin/staff/{leaver}/deactivate")).await;
    let left = office
        .post(&format!("/admin/staff/{leaver}/deactivate"), &[("reason", "离职")])
        .await;
    assert_eq!(left.status(), 303);
    let inactive = read_page(&mut office, "/admin/staff?state=inactive", 200, "zh-CN").await;
    assert!(
        inactive.contains("共 1 条") && inactive.contains("<td>zhang03</td>"),
        "{inactive}"
    );
    assert!(inactive.contains(r#"<option value="inactive" selected>已停用</option>"#));
    let admins = read_page(&mut office, "/admin/staff?role=admin", 200, "zh-CN").await;
    assert!(
        admins.contains("共 1 条") && admins.contains("<td>街道办 王主任</td>"),
        "{admins}"
    );
    let workers = read_page(
        &mut office,
        "/admin/staff?state=active&role=social_worker",
        200,
        "zh-CN",
    )
    .await;
    assert!(
        workers.contains("共 23 条") && !workers.contains("zhang03"),
        "{workers}"
    );

    // An edited link shows the whole list rather than an error or an empty page.
    let edited = read_page(
        &mut office,
        "/admin/staff?state=gone&role=root&sort=x&page=abc",
        200,
        "zh-CN",
    )
    .await;
    assert!(
        edited.contains("共 25 条") && edited.contains("<td>街道办 王主任</td>"),
        "{edited}"
    );

    // In English, the same in English words.
    office.post("/settings/language", &[("lang", "en")]).await;
    let english = read_page(&mut office, "/admin/staff?role=social_worker", 200, "en").await;
    for label in ["Social worker", "Office administrator", "May sign in"] {
        assert!(english.contains(&format!(">{label}</option>")), "{label}: {english}");
    }
    assert!(english.contains(r#"<option value="social_worker" selected>Social worker</option>"#));
}

#[tokio::test]
async fn cancelling_a_need_asks_first_names_the_shops_and_tells_them_why() {
    let app = TestApp::spawn().await;
    let world = app.world(2).await;
    let need = app.post_need(world.a(), 3).await;
    app.claim(&world.merchants[0].token, need, 2).await;
    let mut worker = app.login("worker0@example.org").await;

    let (_, page) = worker.get(&format!("/needs/{need}")).await;
    assert!(
        page.contains(&format!("href=\"/needs/{need}/cancel\"")),
        "the button leads to a question"
    );
    let (status, ask) = worker.get(&format!("/needs/{need}/cancel")).await;
    assert_eq!(status, 200);
    assert!(ask.contains("爱心商户0"), "the shop that will be told is named");
    let subject = Regex::new(r"<p><strong>[^<]+ · [^<]+ · 截止 [^<]+</strong></p>").expect("re");
    assert!(
        subject.is_match(&ask) && !ask.contains(&format!("#{need}")),
        "the need by its title, community and deadline, not #id: {ask}"
    );
    assert!(ask.contains("将会发生什么") && ask.contains("谁会收到通知"));
    assert!(ask.contains("name=\"reason\""));

    // No reason, or a phone number in it: the same page, the message beside the field, 422.
    let response = worker.post(&format!("/needs/{need}/cancel"), &[("reason", " ")]).await;
    assert_eq!(response.status(), 422);
    let body = response.text().await.expect("body");
    assert!(body.contains("请写明原因"), "{body}");
    assert!(body.contains("class=\"error\""));
    let response = worker
        .post(&format!("/needs/{need}/cancel"), &[("reason", "请致电 13800138000")])
        .await;
    assert_eq!(response.status(), 422);
    assert!(
        response.text().await.expect("body").contains("13800138000"),
        "what was typed is kept"
    );
    let open = format!("SELECT COUNT(*) FROM needs WHERE id = {need} AND status = 'open'");
    assert_eq!(scalar_i64(&app.db, &open).await, 1, "nothing was cancelled");

    let response = worker
        .post(&format!("/needs/{need}/cancel"), &[("reason", "家人已经送来了")])
        .await;
    assert_eq!(response.status(), 303);
    let cancelled = format!("SELECT COUNT(*) FROM needs WHERE id = {need} AND status = 'cancelled'");
    assert_eq!(scalar_i64(&app.db, &cancelled).await, 1);
    assert_eq!(audit_detail(&app, "need.cancel").await["reason"], "家人已经送来了");
    let payload = scalar_text(
        &app,
        "SELECT payload FROM outbox WHERE kind = 'merchant-need-cancelled' ORDER BY id DESC LIMIT 1",
    )
    .await;
    let payload: serde_json::Value = serde_json::from_str(&payload).expect("payload");
    assert_eq!(payload["reason"], "家人已经送来了", "the shop is told why");

    // The API asks for a reason too.
    let other = app.post_need(world.a(), 1).await;
    let path = format!("/api/v1/needs/{other}/cancel");
    let (status, body) = app
        .api("POST", &path, &world.a().token, Some(serde_json::json!({})))
        .await;
    assert_eq!(status, 422, "{body}");
    let reason = serde_json::json!({ "reason": "重复发布" });
    let (status, body) = app.api("POST", &path, &world.a().token, Some(reason)).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("cancelled")));
}

#[tokio::test]
async fn suspending_and_revoking_ask_first_and_keep_the_reason() {
    let app = TestApp::spawn().await;
    let world = app.world(1).await;
    let email = app.office_account().await;
    let mut office = app.login(&email).await;
    let shop = world.merchants[0].id;
    let org = world.b().id;

    for (kind, id, name, label) in [
        ("merchants", shop, "爱心商户0", "商户"),
        ("organizations", org, "盐田区妇女互助会", "组织"),
    ] {
        let (_, list) = office.get(&format!("/admin/{kind}")).await;
        assert!(
            list.contains(&format!("href=\"/admin/{kind}/{id}/suspend\"")),
            "suspend is a link to a question"
        );
        let (status, ask) = office.get(&format!("/admin/{kind}/{id}/suspend")).await;
        assert_eq!(status, 200);
        assert!(ask.contains(name) && ask.contains("谁会收到通知"));
        assert!(
            ask.contains(&format!("<strong>{label} · {name}</strong>")) && !ask.contains(&format!("#{id}")),
            "named with its kind, not #id: {ask}"
        );
        let path = format!("/admin/{kind}/{id}/status");
        let refused = office.post(&path, &[("status", "suspended"), ("reason", "")]).await;
        assert_eq!(refused.status(), 422);
        assert!(refused.text().await.expect("body").contains("请写明原因"));
        let table = if kind == "merchants" {
            "merchants"
        } else {
            "organizations"
        };
        let approved = format!("SELECT COUNT(*) FROM {table} WHERE id = {id} AND status = 'approved'");
        assert_eq!(scalar_i64(&app.db, &approved).await, 1, "{kind}: still admitted");
        let done = office
            .post(&path, &[("status", "suspended"), ("reason", "年检未通过")])
            .await;
        assert_eq!(done.status(), 303);
        assert_eq!(scalar_i64(&app.db, &approved).await, 0);
        let action = if kind == "merchants" {
            "merchant.status"
        } else {
            "organization.status"
        };
        assert_eq!(audit_detail(&app, action).await["reason"], "年检未通过");
        // Reinstating needs no reason.
        assert_eq!(office.post(&path, &[("status", "approved")]).await.status(), 303);
        assert_eq!(scalar_i64(&app.db, &approved).await, 1);
    }

    let token = world.a().token.clone();
    let token_id = scalar_i64(
        &app.db,
        &format!(
            "SELECT MIN(id) FROM api_tokens WHERE organization_id = {}",
            world.a().id
        ),
    )
    .await;
    let (_, list) = office.get("/admin/tokens").await;
    assert!(list.contains(&format!("href=\"/admin/tokens/{token_id}/revoke\"")));
    let (status, ask) = office.get(&format!("/admin/tokens/{token_id}/revoke")).await;
    assert_eq!(status, 200);
    assert!(ask.contains("沙头角街道社工站"), "the page says whose token it is");
    let path = format!("/admin/tokens/{token_id}/revoke");
    assert_eq!(office.post(&path, &[]).await.status(), 422);
    assert_eq!(
        app.api("GET", "/api/v1/needs", &token, None).await.0,
        200,
        "still works"
    );
    assert_eq!(office.post(&path, &[("reason", "密钥可能泄露")]).await.status(), 303);
    assert_eq!(app.api("GET", "/api/v1/needs", &token, None).await.0, 401);
    assert_eq!(audit_detail(&app, "api_token.revoke").await["reason"], "密钥可能泄露");
}

#[tokio::test]
async fn the_link_code_page_shows_the_code_the_bot_link_a_qr_code_and_the_expiry() {
    let app =
        TestApp::spawn_with(|env| crate::support::set(env, "RELAY_TELEGRAM_BOT_USERNAME", "@relay_test_bot")).await;
    let world = app.world(1).await;
    let email = app.office_account().await;
    let mut office = app.login(&email).await;
    office.get("/admin/merchants").await;
    let shop = world.merchants[0].id;
    let page = office
        .post(&format!("/admin/merchants/{shop}/link-code"), &[])
        .await
        .text()
        .await
        .expect("body");
    let start = page.find("?start=").expect("the bot's deep link") + "?start=".len();
    let code: String = page[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    assert_eq!(code.len(), 8);
    assert!(page.contains(&format!("https://t.me/relay_test_bot?start={code}")));
    assert!(
        page.contains(&format!("<code>{code}</code>")),
        "the code itself is shown"
    );
    assert!(page.contains("<svg"), "a QR code to print");
    assert!(page.contains("有效期至"), "and when it expires");
    let digest = link_code_digest(&app.config.secret_key, &code);
    let stored = format!(
        "SELECT COUNT(*) FROM merchant_link_codes WHERE merchant_id = {shop} AND code_digest = '{digest}' AND used_at IS NULL"
    );
    assert_eq!(
        scalar_i64(&app.db, &stored).await,
        1,
        "the shown code is the one that links"
    );

    // Without the bot's username: the code and what to send.
    let plain = TestApp::spawn().await;
    let world = plain.world(1).await;
    let email = plain.office_account().await;
    let mut office = plain.login(&email).await;
    office.post("/settings/language", &[("lang", "en")]).await;
    office.get("/admin/merchants").await;
    let page = office
        .post(&format!("/admin/merchants/{}/link-code", world.merchants[0].id), &[])
        .await
        .text()
        .await
        .expect("body");
    assert!(page.contains("send: /start "), "{page}");
    assert!(!page.contains("t.me") && !page.contains("<svg"));
}

#[tokio::test]
async fn the_token_form_picks_its_owner_from_a_list() {
    let app = TestApp::spawn().await;
    let world = app.world(1).await;
    let email = app.office_account().await;
    let mut office = app.login(&email).await;
    let shop = world.merchants[0].id;
    let (_, page) = office.get("/admin/tokens").await;
    assert!(page.contains("<select id=\"owner\" name=\"owner\""));
    assert!(page.contains(&format!(
        "<option value=\"merchant:{shop}\">爱心商户0 · #{shop}</option>"
    )));
    assert!(!page.contains("inputmode=\"numeric\""), "no typed ids");

    let refused = office.post("/admin/tokens", &[("owner", ""), ("label", "POS")]).await;
    assert_eq!(refused.status(), 422);
    assert!(refused.text().await.expect("body").contains("请从列表中选择"));

    let issued = office
        .post(
            "/admin/tokens",
            &[("owner", &format!("merchant:{shop}")), ("label", "POS")],
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
    assert_eq!(app.api("GET", "/api/v1/needs", &token, None).await.0, 200);
    let owner = format!("SELECT COUNT(*) FROM api_tokens WHERE merchant_id = {shop} AND label = 'POS'");
    assert_eq!(scalar_i64(&app.db, &owner).await, 1);
}

#[tokio::test]
async fn the_outbox_labels_its_columns_and_pages_through_dead_messages() {
    use charity_relay::entities::outbox;
    use sea_orm::{ActiveModelTrait, Set};
    let app = TestApp::spawn_without_dispatcher(|_| {}).await;
    let world = app.world(0).await;
    // Mail to a resident of the office's own subdistrict (an office reads no other's).
    let contact = scalar_i64(
        &app.db,
        &format!(
            "SELECT contact_id FROM beneficiaries WHERE id = {}",
            world.a().beneficiary_id
        ),
    )
    .await;
    let now = chrono::Utc::now();
    for i in 0..55 {
        outbox::ActiveModel {
            channel: Set("email".parse().expect("a channel")),
            recipient: Set(format!("resident{i}@example.org")),
            contact_id: Set(Some(contact)),
            kind: Set("resident-need-claimed".into()),
            locale: Set("zh-CN".parse().expect("a locale")),
            payload: Set("{}".into()),
            dedupe_key: Set(format!("test:{i}")),
            message_id: Set(format!("<{i}@example.org>")),
            status: Set("dead".parse().expect("a status")),
            attempts: Set(8),
            next_attempt_at: Set(now),
            last_error: Set(Some("550 mailbox unavailable".into())),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .expect("outbox row");
    }
    let email = app.office_account().await;
    let mut office = app.login(&email).await;
    let first = read_page(&mut office, "/admin/outbox", 200, "zh-CN").await;
    assert!(first.contains("<th>消息类型</th>") && first.contains("告知居民：需求已被认领"));
    assert!(first.contains("已放弃（需处理） · 55"));
    assert!(first.contains("r***@example.org"), "the recipient stays masked");
    assert_eq!(first.matches("/retry\"").count(), 50);
    assert!(first.contains("page=1\""), "a link to the next page");
    let second = read_page(&mut office, "/admin/outbox?status=dead&page=1", 200, "zh-CN").await;
    assert_eq!(second.matches("/retry\"").count(), 5);
}
