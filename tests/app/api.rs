//! Other systems use the JSON API: documented, authenticated, private, and clear in refusal.

use std::collections::BTreeSet;

use crate::support::TestApp;
use crate::support::world::{PLANTED_ADDRESS, PLANTED_NAME, PLANTED_PHONE};

/// Every operation the API offers; the OpenAPI document must list exactly these.
const OPERATIONS: &[(&str, &str)] = &[
    ("get", "/api/v1/needs"),
    ("post", "/api/v1/needs"),
    ("get", "/api/v1/needs/{id}"),
    ("post", "/api/v1/needs/{id}/cancel"),
    ("post", "/api/v1/needs/{id}/claims"),
    ("get", "/api/v1/claims"),
    ("get", "/api/v1/claims/{id}"),
    ("post", "/api/v1/claims/{id}/release"),
    ("post", "/api/v1/claims/{id}/delivered"),
    ("post", "/api/v1/claims/{id}/resume"),
    ("post", "/api/v1/claims/{id}/confirm"),
    ("post", "/api/v1/claims/{id}/dispute"),
    ("post", "/api/v1/claims/{id}/resolve"),
    ("get", "/api/v1/cases"),
    ("get", "/api/v1/cases/{code}/ledger"),
    ("post", "/api/v1/cases/{code}/ledger"),
    ("get", "/api/v1/offers"),
];

#[tokio::test]
async fn the_openapi_document_lists_every_route_and_every_route_answers() {
    let app = TestApp::spawn().await;
    let doc: serde_json::Value = app.get("/api/v1/openapi.json").await.json().await.expect("json");
    assert!(
        doc["openapi"].as_str().expect("version").starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("item").keys() {
            documented.insert((method.clone(), path.clone()));
        }
    }
    let expected: BTreeSet<_> = OPERATIONS
        .iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    assert_eq!(documented, expected);
    assert!(doc["components"]["schemas"]["Problem"].is_object());

    // Each documented operation exists: without a token it answers 401 problem+json, not 404/405.
    for (method, path) in OPERATIONS {
        let url = app.url(&path.replace("{id}", "1"));
        let request = match *method {
            "get" => app.client.get(url),
            _ => app.client.post(url).json(&serde_json::json!({})),
        };
        let response = request.send().await.expect("request");
        assert_eq!(response.status(), 401, "{method} {path}");
        assert_eq!(response.headers()["content-type"], "application/problem+json");
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
    }
}

#[tokio::test]
async fn unknown_or_revoked_tokens_are_refused() {
    let app = TestApp::spawn().await;
    let world = app.world(1).await;
    let (status, body) = app.api("GET", "/api/v1/needs", "crt_0000", None).await;
    assert_eq!((status, body["type"].as_str()), (401, Some("unauthorized")));

    let token_id = crate::support::scalar_i64(
        &app.db,
        &format!(
            "SELECT id FROM api_tokens WHERE merchant_id = {}",
            world.merchants[0].id
        ),
    )
    .await;
    charity_relay::services::api_tokens::revoke(
        &app.db,
        &charity_relay::services::access::Caller::System,
        token_id,
        "the ERP was retired",
        chrono::Utc::now(),
    )
    .await
    .expect("revoke");
    let (status, _) = app.api("GET", "/api/v1/needs", &world.merchants[0].token, None).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn cross_access_is_refused_without_leaking_existence_and_audited() {
    let app = TestApp::spawn().await;
    let world = app.world(2).await;
    let need_b = app.post_need(world.b(), 2).await;
    let (m1, m2) = (&world.merchants[0], &world.merchants[1]);
    let (_, claim_b) = app.claim(&m2.token, need_b, 1).await;
    let claim_b = claim_b["id"].as_i64().expect("id");
    let denied_before =
        crate::support::scalar_i64(&app.db, "SELECT COUNT(*) FROM audit_log WHERE outcome = 'denied'").await;

    let org_a = &world.a().token;
    let attempts = [
        (m1.token.as_str(), "POST", format!("/api/v1/claims/{claim_b}/release")),
        (m1.token.as_str(), "POST", format!("/api/v1/claims/{claim_b}/delivered")),
        (m1.token.as_str(), "GET", format!("/api/v1/claims/{claim_b}")),
        (org_a.as_str(), "GET", format!("/api/v1/needs/{need_b}")),
        (org_a.as_str(), "POST", format!("/api/v1/needs/{need_b}/cancel")),
        (org_a.as_str(), "POST", format!("/api/v1/claims/{claim_b}/confirm")),
        (org_a.as_str(), "POST", format!("/api/v1/claims/{claim_b}/dispute")),
    ];
    for (token, method, path) in &attempts {
        let body = (*method == "POST").then(|| serde_json::json!({}));
        let (status, json) = app.api(method, path, token, body).await;
        assert_eq!(
            (status, json["type"].as_str()),
            (404, Some("not-found")),
            "{method} {path}: {json}"
        );
    }
    // The same answer as for records that do not exist at all.
    let (status, _) = app.api("GET", "/api/v1/needs/999999", org_a, None).await;
    assert_eq!(status, 404);

    let denied_after =
        crate::support::scalar_i64(&app.db, "SELECT COUNT(*) FROM audit_log WHERE outcome = 'denied'").await;
    assert_eq!(
        denied_after - denied_before,
        attempts.len() as i64,
        "every refusal is audited"
    );
    let (_, claim) = app
        .api("GET", &format!("/api/v1/claims/{claim_b}"), &m2.token, None)
        .await;
    assert_eq!(claim["status"], "active", "nothing changed");

    let (status, body) = app.claim(&world.suspended.token, need_b, 1).await;
    assert_eq!((status, body["type"].as_str()), (403, Some("merchant-not-approved")));
    // Refused at the door (the token of a suspended merchant does nothing), and audited there.
    let audited = crate::support::scalar_i64(
        &app.db,
        "SELECT COUNT(*) FROM audit_log WHERE action = 'api.locked_out' AND outcome = 'denied'",
    )
    .await;
    assert_eq!(audited, 1);

    let (status, _) = app
        .api(
            "POST",
            "/api/v1/needs",
            &m1.token,
            Some(serde_json::json!({ "beneficiary_id": 1 })),
        )
        .await;
    assert!(
        status == 403 || status == 422,
        "a merchant cannot post needs ({status})"
    );
    let (status, body) = app.claim(org_a, need_b, 1).await;
    assert_eq!(
        (status, body["type"].as_str()),
        (403, Some("forbidden")),
        "an organization cannot claim"
    );
}

#[tokio::test]
async fn no_answer_to_a_merchant_carries_a_beneficiarys_private_details() {
    let app = TestApp::spawn().await;
    let world = app.world(1).await;
    let need = app.post_need(world.a(), 3).await;
    let m = &world.merchants[0];
    let mut bodies = Vec::new();
    for (method, path, body) in [
        ("GET", "/api/v1/needs".to_owned(), None),
        ("GET", format!("/api/v1/needs/{need}"), None),
        (
            "POST",
            format!("/api/v1/needs/{need}/claims"),
            Some(serde_json::json!({ "quantity": 1 })),
        ),
        ("GET", "/api/v1/claims".to_owned(), None),
    ] {
        let (status, json) = app.api(method, &path, &m.token, body).await;
        assert!(status < 300, "{method} {path}: {json}");
        bodies.push(json.to_string());
    }
    let claim_id = crate::support::scalar_i64(&app.db, "SELECT MAX(id) FROM claims").await;
    for path in [
        format!("/api/v1/claims/{claim_id}"),
        format!("/api/v1/claims/{claim_id}/delivered"),
    ] {
        let method = if path.ends_with("delivered") { "POST" } else { "GET" };
        bodies.push(app.api(method, &path, &m.token, None).await.1.to_string());
    }
    let code = crate::support::scalar_i64(
        &app.db,
        &format!(
            "SELECT COUNT(*) FROM beneficiaries WHERE id = {}",
            world.a().beneficiary_id
        ),
    )
    .await;
    assert_eq!(code, 1);
    let beneficiary_code: String = {
        use sea_orm::{ConnectionTrait, Statement};
        let row = app
            .db
            .query_one_raw(Statement::from_string(
                app.db.get_database_backend(),
                format!("SELECT code FROM beneficiaries WHERE id = {}", world.a().beneficiary_id),
            ))
            .await
            .expect("query")
            .expect("row");
        row.try_get_by_index(0).expect("code")
    };
    for body in &bodies {
        for secret in [
            PLANTED_NAME,
            PLANTED_PHONE,
            PLANTED_ADDRESS,
            beneficiary_code.as_str(),
            "resident0@example.org",
        ] {
            assert!(!body.contains(secret), "{secret} leaked in {body}");
        }
    }
    assert!(
        bodies[0].contains("米和食用油"),
        "the public card is there: {}",
        bodies[0]
    );
}

#[tokio::test]
async fn invalid_needs_get_per_field_errors_in_the_callers_language() {
    let app = TestApp::spawn().await;
    let world = app.world(0).await;
    let body = serde_json::json!({
        "beneficiary_id": world.a().beneficiary_id, "category": "toys", "title": "米",
        "description": "联系电话 0755-2345 6789", "quantity": 0, "unit": "袋", "deadline": "2020-01-01",
    });
    let en = app
        .api_request("POST", "/api/v1/needs", &world.a().token, Some(body.clone()))
        .header("Accept-Language", "en")
        .send()
        .await
        .expect("request");
    assert_eq!(en.status(), 422);
    assert_eq!(en.headers()["content-type"], "application/problem+json");
    let en: serde_json::Value = en.json().await.expect("json");
    assert_eq!(en["type"], "validation");
    let fields: BTreeSet<&str> = en["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["field"].as_str().expect("field"))
        .collect();
    assert_eq!(
        fields,
        BTreeSet::from(["category", "title", "description", "quantity", "deadline"])
    );
    let description = en["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .find(|e| e["field"] == "description")
        .expect("description");
    assert_eq!(description["code"], "contains-personal-data");
    assert!(
        description["message"]
            .as_str()
            .expect("message")
            .contains("private fields"),
        "{description}"
    );

    let zh = app
        .api_request("POST", "/api/v1/needs", &world.a().token, Some(body))
        .header("Accept-Language", "zh-CN")
        .send()
        .await
        .expect("request");
    let zh: serde_json::Value = zh.json().await.expect("json");
    assert_eq!(zh["title"], "输入有误");
    assert_eq!(app.count("needs").await, 0, "nothing was stored");

    let (status, json) = app
        .api(
            "POST",
            "/api/v1/needs",
            &world.a().token,
            Some(serde_json::json!({ "title": 5 })),
        )
        .await;
    assert_eq!(
        (status, json["type"].as_str()),
        (422, Some("validation")),
        "a malformed body is a problem too: {json}"
    );
    let (status, json) = app
        .api("GET", "/api/v1/needs?urgency=soon", &world.a().token, None)
        .await;
    assert_eq!((status, json["errors"][0]["field"].as_str()), (422, Some("urgency")));
    let (status, json) = app
        .api("GET", "/api/v1/needs/not-a-number", &world.a().token, None)
        .await;
    assert_eq!((status, json["type"].as_str()), (404, Some("not-found")));
}

#[tokio::test]
async fn another_organizations_beneficiary_cannot_be_used_for_a_need() {
    let app = TestApp::spawn().await;
    let world = app.world(0).await;
    let body = serde_json::json!({
        "beneficiary_id": world.b().beneficiary_id, "category": "food", "title": "米和食用油",
        "quantity": 1, "unit": "袋", "deadline": "2099-01-01",
    });
    let (status, json) = app.api("POST", "/api/v1/needs", &world.a().token, Some(body)).await;
    assert_eq!(
        (status, json["errors"][0]["field"].as_str()),
        (422, Some("beneficiary_id")),
        "{json}"
    );
    assert_eq!(app.count("needs").await, 0);
    let denied = crate::support::scalar_i64(
        &app.db,
        "SELECT COUNT(*) FROM audit_log WHERE action = 'need.post' AND outcome = 'denied'",
    )
    .await;
    assert_eq!(denied, 1);
}

#[tokio::test]
async fn needs_are_listed_urgent_first_then_oldest_with_filters_and_cursor_paging() {
    let app = TestApp::spawn().await;
    let world = app.world(1).await;
    let mut ids = Vec::new();
    for i in 0..5 {
        let urgency = if i == 3 { "urgent" } else { "normal" };
        let body = serde_json::json!({
            "beneficiary_id": world.a().beneficiary_id, "category": if i % 2 == 0 { "food" } else { "medicine" },
            "title": format!("需求{i}"), "quantity": 1, "unit": "份", "deadline": "2099-01-01", "urgency": urgency,
        });
        let (status, json) = app.api("POST", "/api/v1/needs", &world.a().token, Some(body)).await;
        assert_eq!(status, 201, "{json}");
        ids.push(json["id"].as_i64().expect("id"));
    }
    let m = &world.merchants[0];
    let (_, first) = app.api("GET", "/api/v1/needs?limit=2", &m.token, None).await;
    let page1: Vec<i64> = first["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|n| n["id"].as_i64().expect("id"))
        .collect();
    assert_eq!(page1, vec![ids[3], ids[0]], "the urgent one first, then the oldest");
    let cursor = first["next_cursor"].as_str().expect("more pages");
    let (_, second) = app
        .api("GET", &format!("/api/v1/needs?limit=2&cursor={cursor}"), &m.token, None)
        .await;
    let page2: Vec<i64> = second["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|n| n["id"].as_i64().expect("id"))
        .collect();
    assert_eq!(page2, vec![ids[1], ids[2]]);
    let (_, third) = app
        .api(
            "GET",
            &format!(
                "/api/v1/needs?limit=2&cursor={}",
                second["next_cursor"].as_str().expect("cursor")
            ),
            &m.token,
            None,
        )
        .await;
    assert_eq!(third["items"].as_array().expect("items").len(), 1);
    assert!(third["next_cursor"].is_null());

    let (_, medicine) = app.api("GET", "/api/v1/needs?category=medicine", &m.token, None).await;
    assert_eq!(medicine["items"].as_array().expect("items").len(), 2);
    let (status, _) = app.api("GET", "/api/v1/needs?cursor=zzzz", &m.token, None).await;
    assert_eq!(status, 422);
}

#[tokio::test]
async fn a_token_that_floods_the_api_is_told_to_wait_and_others_are_not() {
    let app = TestApp::spawn().await;
    let world = app.world(2).await;
    let (flooder, other) = (&world.merchants[0], &world.merchants[1]);
    let responses = futures::future::join_all(
        (0..160).map(|_| app.api_request("GET", "/api/v1/claims", &flooder.token, None).send()),
    )
    .await;
    let responses: Vec<reqwest::Response> = responses.into_iter().map(|r| r.expect("request")).collect();
    let served = responses.iter().filter(|r| r.status() == 200).count();
    let limited: Vec<&reqwest::Response> = responses.iter().filter(|r| r.status() == 429).collect();
    assert!(!limited.is_empty(), "a burst beyond the quota is limited");
    assert!(served >= 100, "the burst allowance is served ({served})");
    let wait: u64 = limited[0].headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!(wait >= 1);
    assert_eq!(limited[0].headers()["content-type"], "application/problem+json");
    let (status, _) = app.api("GET", "/api/v1/claims", &other.token, None).await;
    assert_eq!(status, 200, "the limit is per token");
}

#[tokio::test]
async fn an_oversized_body_is_refused() {
    let app = TestApp::spawn().await;
    let world = app.world(0).await;
    let big = "字".repeat(400_000);
    let response = app
        .api_request(
            "POST",
            "/api/v1/needs",
            &world.a().token,
            Some(serde_json::json!({ "title": big })),
        )
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 413);
    assert_eq!(app.count("needs").await, 0);
}

#[tokio::test]
async fn a_claim_outside_one_to_ten_thousand_units_is_refused_by_field_and_takes_nothing() {
    let app = TestApp::spawn().await;
    let world = app.world(1).await;
    let need = app.post_need(world.a(), 3).await;
    let shop = &world.merchants[0].token;

    for quantity in [0, -2, 10_001, 5_000_000_000] {
        let (status, body) = app.claim(shop, need, quantity).await;
        assert_eq!(
            (status, body["errors"][0]["field"].as_str()),
            (422, Some("quantity")),
            "{quantity}: {body}"
        );
        let message = body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains("10000"), "the message names the bounds: {message}");
    }
    let (_, card) = app
        .api("GET", &format!("/api/v1/needs/{need}"), &world.a().token, None)
        .await;
    assert_eq!(card["claimed"], 0, "nothing was taken: {card}");

    let (status, body) = app.claim(shop, need, 3).await;
    assert_eq!(status, 201, "the whole need is within the bounds: {body}");
}
