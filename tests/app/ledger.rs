//! The relief ledger of a case: the relay's confirmed deliveries appear by themselves, a social worker
//! records government and social relief by hand, a government system posts relief over the API with an
//! Idempotency-Key, and nobody outside the owning organization and the office reaches any of it.

use charity_relay::domain::need_input::NeedInput;
use charity_relay::services::needs;
use chrono::{Duration, Utc};
use serde_json::json;

use crate::support::world::{Org, World};
use crate::support::{TestApp, scalar_i64};

async fn denied(app: &TestApp, action: &str) -> i64 {
    scalar_i64(
        &app.db,
        &format!("SELECT COUNT(*) FROM audit_log WHERE action = '{action}' AND outcome = 'denied'"),
    )
    .await
}

/// Posts a need worth 300 yuan for 3 units, has the merchant claim and deliver 2, and confirms them.
async fn confirmed_delivery(app: &TestApp, world: &World, org: &Org) {
    let now = Utc::now();
    let input = NeedInput {
        beneficiary_id: org.beneficiary_id.to_string(),
        category: "food".into(),
        title: "冬季棉被".into(),
        description: "独居老人需要冬季棉被。".into(),
        quantity: "3".into(),
        unit: "床".into(),
        deadline: (now + Duration::days(30)).date_naive().to_string(),
        estimated_value: "300".into(),
        ..Default::default()
    };
    let draft = input.parse(now.date_naive()).expect("valid need");
    let need = needs::post_need(&app.db, &app.config.secret_key, &org.worker, draft, now)
        .await
        .expect("post need")
        .id;
    let shop = &world.merchants[0];
    let (status, claim) = app.claim(&shop.token, need, 2).await;
    assert_eq!(status, 201, "{claim}");
    let claim_id = claim["id"].as_i64().expect("claim id");
    let path = format!("/api/v1/claims/{claim_id}/delivered");
    let (status, body) = app.api("POST", &path, &shop.token, Some(json!({}))).await;
    assert_eq!(status, 200, "{body}");
    let path = format!("/api/v1/claims/{claim_id}/confirm");
    let (status, body) = app.api("POST", &path, &org.token, Some(json!({}))).await;
    assert_eq!(status, 200, "{body}");
}

fn code_of(body: &serde_json::Value) -> String {
    body["items"][0]["code"].as_str().expect("a case").to_owned()
}

#[tokio::test]
async fn a_confirmed_delivery_appears_in_the_ledger_with_its_value_and_merchant() {
    let app = TestApp::spawn().await;
    let world = app.world(1).await;
    confirmed_delivery(&app, &world, world.a()).await;

    let mut worker = app.login("worker0@example.org").await;
    let id = world.a().beneficiary_id;
    let (status, page) = worker.get(&format!("/beneficiaries/{id}/ledger")).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("冬季棉被") && page.contains("爱心商户0"), "{page}");
    // Two of three units of a 300-yuan need.
    assert!(page.contains("¥200.00"), "{page}");
    assert!(
        page.contains("aria-current=\"page\""),
        "the ledger tab is shown as current"
    );

    // The office reads it too, but records nothing.
    let office = app.office_account().await;
    let mut office = app.login(&office).await;
    let (status, page) = office.get(&format!("/beneficiaries/{id}/ledger")).await;
    assert_eq!(status, 200);
    assert!(page.contains("冬季棉被") && !page.contains("name=\"amount\""), "{page}");
}

#[tokio::test]
async fn a_worker_records_relief_by_hand_and_sees_the_totals() {
    let app = TestApp::spawn().await;
    let world = app.world(1).await;
    confirmed_delivery(&app, &world, world.a()).await;
    let id = world.a().beneficiary_id;
    let mut worker = app.login("worker0@example.org").await;
    let (_, page) = worker.get(&format!("/beneficiaries/{id}/ledger")).await;
    assert!(
        page.contains("低保") && page.contains("残疾人补贴"),
        "the built-in programmes are offered"
    );
    let dibao = scalar_i64(&app.db, "SELECT id FROM relief_programmes WHERE code = 'dibao'").await;
    let today = Utc::now().date_naive();
    let last_year = today - Duration::days(400);
    for (amount, from) in [("1,200.50", today), ("800", last_year)] {
        let response = worker
            .post(
                &format!("/beneficiaries/{id}/ledger"),
                &[
                    ("kind", "government"),
                    ("regularity", "regular"),
                    ("form", "money"),
                    ("programme_id", &dibao.to_string()),
                    ("amount", amount),
                    ("period_from", &from.to_string()),
                    ("period_to", ""),
                    ("description", "月度低保金"),
                ],
            )
            .await;
        assert_eq!(response.status(), 303);
    }
    assert_eq!(app.count("ledger_entries").await, 2);
    assert_eq!(
        scalar_i64(&app.db, "SELECT amount_fen FROM ledger_entries ORDER BY id LIMIT 1").await,
        120_050
    );
    let (_, page) = worker.get(&format!("/beneficiaries/{id}/ledger")).await;
    assert!(page.contains("月度低保金") && page.contains("¥1,200.50"), "{page}");
    // Totals per year: this year's entry plus the delivery; last year's entry alone.
    let this_year = today.format("%Y").to_string();
    let that_year = last_year.format("%Y").to_string();
    if this_year != that_year {
        assert!(page.contains(&format!("{that_year}: ¥800.00")), "{page}");
    }
    // The last 12 months: government money 1,200.50; social material 200 (the delivery); the old entry not.
    let api = app
        .api(
            "GET",
            &format!("/api/v1/cases/{}/ledger", case_code(&app, world.a()).await),
            &world.a().token,
            None,
        )
        .await;
    assert_eq!(api.0, 200, "{}", api.1);
    assert_eq!(api.1["last_twelve_months"], json!([[0, 0, 120_050], [20_000, 0, 0]]));
    assert_eq!(api.1["items"].as_array().map(Vec::len), Some(3));
    let audited = scalar_i64(&app.db, "SELECT COUNT(*) FROM audit_log WHERE action = 'ledger.add'").await;
    assert_eq!(audited, 2);
}

async fn case_code(app: &TestApp, org: &Org) -> String {
    let (status, body) = app.api("GET", "/api/v1/cases", &org.token, None).await;
    assert_eq!(status, 200, "{body}");
    code_of(&body)
}

#[tokio::test]
async fn a_wrong_entry_comes_back_with_each_error_beside_its_field() {
    let app = TestApp::spawn().await;
    let world = app.world(0).await;
    let id = world.a().beneficiary_id;
    let mut worker = app.login("worker0@example.org").await;
    worker.get(&format!("/beneficiaries/{id}/ledger")).await;
    let response = worker
        .post(
            &format!("/beneficiaries/{id}/ledger"),
            &[
                ("kind", ""),
                ("regularity", "temporary"),
                ("form", "material"),
                ("programme_id", "99999"),
                ("amount", "12.345"),
                ("period_from", "2026-03-01"),
                ("period_to", "2026-02-01"),
                ("description", "棉衣两件"),
            ],
        )
        .await;
    assert_eq!(response.status(), 422);
    let page = response.text().await.expect("page");
    assert!(page.contains("还没有选择"), "missing kind: {page}");
    assert!(page.contains("最多两位小数"), "bad amount: {page}");
    assert!(page.contains("结束日期不能早于开始日期"), "to < from: {page}");
    assert!(page.contains("所选的一项不在列表中"), "unknown programme: {page}");
    assert!(
        page.contains("value=\"12.345\"") && page.contains("棉衣两件"),
        "typed values kept"
    );
    assert_eq!(app.count("ledger_entries").await, 0);
}

#[tokio::test]
async fn another_organization_gets_the_same_404_as_a_missing_case_and_it_is_audited() {
    let app = TestApp::spawn().await;
    let world = app.world(1).await;
    let theirs = world.b().beneficiary_id;
    let mut worker = app.login("worker0@example.org").await;
    let (status, page) = worker.get(&format!("/beneficiaries/{theirs}/ledger")).await;
    let (missing, missing_page) = worker.get("/beneficiaries/999999/ledger").await;
    assert_eq!((status, missing), (404, 404));
    assert_eq!(page, missing_page);
    let response = worker
        .post(
            &format!("/beneficiaries/{theirs}/ledger"),
            &[("kind", "government"), ("amount", "1")],
        )
        .await;
    assert_eq!(response.status(), 404);
    assert_eq!(denied(&app, "ledger.read").await, 2);
    assert_eq!(denied(&app, "ledger.add").await, 1);

    // Over the API: B's code with A's token answers like a code nobody has.
    let b_code = case_code(&app, world.b()).await;
    let a = &world.a().token;
    let (status, body) = app.api("GET", &format!("/api/v1/cases/{b_code}/ledger"), a, None).await;
    let (missing, missing_body) = app.api("GET", "/api/v1/cases/B-ZZZZ/ledger", a, None).await;
    assert_eq!((status, missing), (404, 404));
    assert_eq!(body["type"], missing_body["type"]);
    let request = app
        .api_request(
            "POST",
            &format!("/api/v1/cases/{b_code}/ledger"),
            a,
            Some(json!({"kind": "government"})),
        )
        .header("Idempotency-Key", "k-other-org");
    assert_eq!(request.send().await.expect("post").status(), 404);
    assert_eq!(app.count("ledger_entries").await, 0);
    assert!(denied(&app, "ledger.read").await >= 4);
}

fn entry(amount: &str) -> serde_json::Value {
    json!({
        "kind": "government", "regularity": "temporary", "form": "money", "programme": "linshi",
        "amount": amount, "period_from": "2026-11-01", "period_to": "2026-11-30", "description": "临时救助金"
    })
}

#[tokio::test]
async fn a_government_system_posts_relief_once_per_idempotency_key() {
    let app = TestApp::spawn().await;
    let world = app.world(0).await;
    let org = world.a();
    let code = case_code(&app, org).await;
    let path = format!("/api/v1/cases/{code}/ledger");
    let post = |key: Option<&str>, body: serde_json::Value| {
        let mut request = app.api_request("POST", &path, &org.token, Some(body));
        if let Some(k) = key {
            request = request.header("Idempotency-Key", k);
        }
        async move {
            let response = request.send().await.expect("post");
            let status = response.status().as_u16();
            (status, response.json::<serde_json::Value>().await.expect("json"))
        }
    };

    let (status, missing) = post(None, entry("500")).await;
    assert_eq!(status, 422, "{missing}");
    assert!(missing.to_string().contains("Idempotency-Key"), "{missing}");

    let (status, first) = post(Some("import-2026-11-0001"), entry("500")).await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["amount_fen"], 50_000);
    assert_eq!(first["what"], "临时救助");
    let (status, again) = post(Some("import-2026-11-0001"), entry("500")).await;
    assert_eq!(status, 200);
    assert_eq!(again, first, "a retry answers the first entry");
    let (status, other) = post(Some("import-2026-11-0001"), entry("600")).await;
    assert_eq!(status, 422);
    assert_eq!(
        other["type"].as_str().map(|t| t.ends_with("idempotency-key-reused")),
        Some(true),
        "{other}"
    );
    assert_eq!(app.count("ledger_entries").await, 1);

    let (status, bad) = post(Some("import-2026-11-0002"), json!({"kind": "government", "programme": "nope", "amount": "-1", "period_from": "2026-11-02", "period_to": "2026-11-01"})).await;
    assert_eq!(status, 422, "{bad}");
    for field in ["programme", "amount", "period_to", "regularity", "form"] {
        assert!(bad.to_string().contains(&format!("\"{field}\"")), "{field}: {bad}");
    }
    assert_eq!(app.count("ledger_entries").await, 1);

    let (status, book) = app.api("GET", &path, &org.token, None).await;
    assert_eq!(status, 200);
    assert_eq!(book["items"][0]["entry_id"], first["entry_id"]);
}

#[tokio::test]
async fn the_office_adds_a_programme_and_workers_are_offered_it() {
    let app = TestApp::spawn().await;
    let world = app.world(0).await;
    let office = app.office_account().await;
    let mut office = app.login(&office).await;
    let (status, _) = office.get("/admin/programmes").await;
    assert_eq!(status, 200);
    let response = office
        .post("/admin/programmes", &[("name", "教育救助"), ("name_en", "")])
        .await;
    assert_eq!(response.status(), 422, "both names are required");
    assert!(response.text().await.expect("page").contains("value=\"教育救助\""));
    let response = office
        .post(
            "/admin/programmes",
            &[("name", "教育救助"), ("name_en", "Education assistance")],
        )
        .await;
    assert_eq!(response.status(), 303);
    // On a phone each programme is a card: its name on top, the other columns labelled.
    let (_, list) = office.get("/admin/programmes").await;
    assert!(list.contains(r#"<table class="cards">"#), "{list}");
    assert!(
        list.contains(r#"<td class="lead">教育救助</td><td data-label="英文名称">Education assistance</td>"#),
        "{list}"
    );

    let mut worker = app.login("worker0@example.org").await;
    let (_, page) = worker
        .get(&format!("/beneficiaries/{}/ledger", world.a().beneficiary_id))
        .await;
    assert!(page.contains("教育救助"), "{page}");
    // A worker cannot change the list.
    let (status, _) = worker.get("/admin/programmes").await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn a_merchant_reaches_none_of_it() {
    let app = TestApp::spawn().await;
    let world = app.world(1).await;
    let shop = &world.merchants[0].token;
    let code = case_code(&app, world.a()).await;
    let (status, _) = app.api("GET", "/api/v1/cases", shop, None).await;
    assert_eq!(status, 403);
    let (status, _) = app
        .api("GET", &format!("/api/v1/cases/{code}/ledger"), shop, None)
        .await;
    assert_eq!(status, 404);
    let request = app
        .api_request("POST", &format!("/api/v1/cases/{code}/ledger"), shop, Some(entry("5")))
        .header("Idempotency-Key", "shop-1");
    assert_eq!(request.send().await.expect("post").status(), 403);
    assert_eq!(app.count("ledger_entries").await, 0);
}
