//! Merchants claim needs: exactly, once, and never more than there is.

use std::collections::HashSet;

use charity_relay::entities::claim;
use charity_relay::jobs;
use chrono::{Duration, Utc};
use futures::future::join_all;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::support::{TestApp, scalar_i64};

async fn live_sum(app: &TestApp, need_id: i64) -> i64 {
    scalar_i64(
        &app.db,
        &format!("SELECT COALESCE(SUM(quantity), 0) FROM claims WHERE need_id = {need_id} AND status IN ('active','delivered','confirmed','disputed')"),
    )
    .await
}

#[tokio::test]
async fn two_hundred_concurrent_one_unit_claims_never_oversell() {
    let app = TestApp::spawn().await;
    let world = app.world(20).await;
    for m in &world.merchants {
        // A limit of 10 active claims, so every refusal below is about quantity alone.
        app.give_good_record(&world, m.id, 14).await;
    }
    let need = app.post_need(world.a(), 10).await;

    let requests = world
        .merchants
        .iter()
        .flat_map(|m| (0..10).map(move |_| m))
        .map(|m| app.claim(&m.token, need, 1));
    let answers = join_all(requests).await;

    let created = answers.iter().filter(|(s, _)| *s == 201).count();
    let refused: Vec<_> = answers.iter().filter(|(s, _)| *s == 409).collect();
    assert_eq!(created, 10, "exactly the quantity is claimed");
    assert_eq!(refused.len(), 190);
    assert!(
        refused.iter().all(|(_, body)| body["type"] == "not-enough-left"),
        "{refused:?}"
    );
    assert!(
        answers.iter().all(|(s, _)| *s < 500),
        "no server error under contention"
    );

    let claimed = scalar_i64(&app.db, &format!("SELECT claimed FROM needs WHERE id = {need}")).await;
    assert_eq!(claimed, 10);
    assert_eq!(live_sum(&app, need).await, 10);
    let status = scalar_i64(
        &app.db,
        &format!("SELECT COUNT(*) FROM needs WHERE id = {need} AND status = 'fully_claimed'"),
    )
    .await;
    assert_eq!(status, 1);
}

#[tokio::test]
async fn two_hundred_concurrent_claims_of_random_size_fill_at_most_the_quantity() {
    let app = TestApp::spawn().await;
    let world = app.world(20).await;
    for m in &world.merchants {
        app.give_good_record(&world, m.id, 14).await;
    }
    let need = app.post_need(world.a(), 50).await;

    let sizes: Vec<i64> = (0..200).map(|i| 1 + (i * 7 + i / 3) % 5).collect();
    let requests = sizes.iter().enumerate().map(|(i, q)| {
        let m = &world.merchants[i % 20];
        app.claim(&m.token, need, *q)
    });
    let answers = join_all(requests).await;

    let accepted: i64 = answers
        .iter()
        .zip(&sizes)
        .filter(|((s, _), _)| *s == 201)
        .map(|((_, body), q)| {
            assert_eq!(body["quantity"].as_i64(), Some(*q));
            *q
        })
        .sum();
    assert!(
        answers.iter().all(|(s, _)| *s == 201 || *s == 409),
        "{:?}",
        answers.iter().map(|a| a.0).collect::<Vec<_>>()
    );
    assert!(accepted <= 50);
    let claimed = scalar_i64(&app.db, &format!("SELECT claimed FROM needs WHERE id = {need}")).await;
    assert_eq!(claimed, accepted, "the counter equals what was accepted");
    assert_eq!(live_sum(&app, need).await, accepted);
    assert!(
        accepted >= 46,
        "a need is filled up to what the remaining sizes allow ({accepted})"
    );
}

#[tokio::test]
async fn the_same_idempotency_key_five_times_at_once_makes_one_claim_and_one_set_of_messages() {
    let app = TestApp::spawn().await;
    let world = app.world(1).await;
    let need = app.post_need(world.a(), 5).await;
    let merchant = &world.merchants[0];
    let outbox_before = app.count("outbox").await;

    let requests = (0..5).map(|_| {
        app.api_request(
            "POST",
            &format!("/api/v1/needs/{need}/claims"),
            &merchant.token,
            Some(serde_json::json!({ "quantity": 2 })),
        )
        .header("Idempotency-Key", "order-7f3a")
        .send()
    });
    let mut ids = HashSet::new();
    let mut statuses = Vec::new();
    for response in join_all(requests).await {
        let response = response.expect("request");
        statuses.push(response.status().as_u16());
        let body: serde_json::Value = response.json().await.expect("json");
        ids.insert(body["id"].as_i64().expect("claim id"));
    }
    assert_eq!(ids.len(), 1, "every answer is the same claim");
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 201 || *s == 200), "{statuses:?}");
    assert_eq!(app.count("claims").await, 1);
    assert_eq!(
        scalar_i64(&app.db, &format!("SELECT claimed FROM needs WHERE id = {need}")).await,
        2
    );
    // The merchant's confirmation, the resident's and the worker's email: once each.
    assert_eq!(app.count("outbox").await - outbox_before, 3);

    let other = app
        .api_request(
            "POST",
            &format!("/api/v1/needs/{need}/claims"),
            &merchant.token,
            Some(serde_json::json!({ "quantity": 3 })),
        )
        .header("Idempotency-Key", "order-7f3a")
        .send()
        .await
        .expect("request");
    assert_eq!(other.status(), 422, "a key reused for a different request is refused");
}

#[tokio::test]
async fn a_refusal_is_replayed_for_the_same_key_even_after_units_return() {
    let app = TestApp::spawn().await;
    let world = app.world(2).await;
    let need = app.post_need(world.a(), 1).await;
    let (first, second) = (&world.merchants[0], &world.merchants[1]);
    let (status, claim) = app.claim(&first.token, need, 1).await;
    assert_eq!(status, 201);

    let attempt = || {
        app.api_request(
            "POST",
            &format!("/api/v1/needs/{need}/claims"),
            &second.token,
            Some(serde_json::json!({ "quantity": 1 })),
        )
        .header("Idempotency-Key", "retry-me")
        .send()
    };
    assert_eq!(attempt().await.expect("request").status(), 409);
    let (status, _) = app
        .api(
            "POST",
            &format!("/api/v1/claims/{}/release", claim["id"]),
            &first.token,
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        attempt().await.expect("request").status(),
        409,
        "the retry gets the first answer"
    );
    assert_eq!(app.count("claims").await, 1);
}

#[tokio::test]
async fn a_claim_is_delivered_confirmed_and_rated_and_the_need_is_fulfilled() {
    let app = TestApp::spawn().await;
    let world = app.world(1).await;
    let need = app.post_need(world.a(), 3).await;
    let m = &world.merchants[0];

    let (status, claim) = app.claim(&m.token, need, 3).await;
    assert_eq!(status, 201, "{claim}");
    let id = claim["id"].as_i64().expect("id");
    let code = claim["handoff_code"]
        .as_str()
        .expect("the merchant sees its handoff code")
        .to_owned();
    assert_eq!(code.len(), 6);

    let (_, seen_by_org) = app
        .api("GET", &format!("/api/v1/claims/{id}"), &world.a().token, None)
        .await;
    assert!(
        seen_by_org.get("handoff_code").is_none(),
        "the organization must be shown the code, not told it"
    );

    let (status, body) = app
        .api(
            "POST",
            &format!("/api/v1/claims/{id}/confirm"),
            &world.a().token,
            Some(serde_json::json!({ "rating": 5, "handoff_code": "AAAAAA" })),
        )
        .await;
    assert_eq!((status, body["type"].as_str()), (422, Some("wrong-handoff-code")));

    let (status, body) = app
        .api("POST", &format!("/api/v1/claims/{id}/delivered"), &m.token, None)
        .await;
    assert_eq!((status, body["status"].as_str()), (200, Some("delivered")), "{body}");
    let (status, body) = app
        .api(
            "POST",
            &format!("/api/v1/claims/{id}/confirm"),
            &world.a().token,
            Some(serde_json::json!({ "rating": 5 })),
        )
        .await;
    assert_eq!(
        (status, body["status"].as_str(), body["rating"].as_i64()),
        (200, Some("confirmed"), Some(5)),
        "{body}"
    );

    let (_, need_json) = app
        .api("GET", &format!("/api/v1/needs/{need}"), &world.a().token, None)
        .await;
    assert_eq!(need_json["status"], "fulfilled");
    assert_eq!(need_json["delivered"], 3);
    let credit = scalar_i64(
        &app.db,
        &format!("SELECT credit_score FROM merchants WHERE id = {}", m.id),
    )
    .await;
    assert!(credit > 60, "an on-time, well-rated delivery raises credit ({credit})");
    for key in [
        "merchant-claimed",
        "resident-claimed",
        "worker-claimed",
        "worker-delivered",
        "merchant-confirmed",
        "resident-confirmed",
    ] {
        let n = scalar_i64(
            &app.db,
            &format!("SELECT COUNT(*) FROM outbox WHERE dedupe_key = 'claim:{id}:{key}'"),
        )
        .await;
        assert_eq!(n, 1, "{key}");
    }
    let audited = scalar_i64(
        &app.db,
        &format!(
            "SELECT COUNT(*) FROM audit_log WHERE subject_kind = 'claim' AND subject_id = '{id}' AND outcome = 'ok'"
        ),
    )
    .await;
    assert_eq!(audited, 3, "claim, delivery and confirmation are audited");
    let (status, body) = app
        .api("POST", &format!("/api/v1/claims/{id}/release"), &m.token, None)
        .await;
    assert_eq!(
        (status, body["type"].as_str()),
        (409, Some("illegal-transition")),
        "a confirmed claim cannot be released"
    );
}

#[tokio::test]
async fn the_handoff_code_confirms_an_active_claim_directly() {
    let app = TestApp::spawn().await;
    let world = app.world(1).await;
    let need = app.post_need(world.a(), 2).await;
    let m = &world.merchants[0];
    let (_, claim) = app.claim(&m.token, need, 1).await;
    let code = claim["handoff_code"].as_str().expect("code").to_lowercase();
    let (status, body) = app
        .api(
            "POST",
            &format!("/api/v1/claims/{}/confirm", claim["id"]),
            &world.a().token,
            Some(serde_json::json!({ "handoff_code": code })),
        )
        .await;
    assert_eq!((status, body["status"].as_str()), (200, Some("confirmed")), "{body}");
    let (_, need_json) = app
        .api("GET", &format!("/api/v1/needs/{need}"), &world.a().token, None)
        .await;
    assert_eq!(
        (need_json["status"].as_str(), need_json["delivered"].as_i64()),
        (Some("open"), Some(1))
    );
}

#[tokio::test]
async fn a_disputed_delivery_goes_back_to_the_merchant_who_may_deliver_again() {
    let app = TestApp::spawn().await;
    let world = app.world(1).await;
    let need = app.post_need(world.a(), 1).await;
    let m = &world.merchants[0];
    let (_, claim) = app.claim(&m.token, need, 1).await;
    let id = claim["id"].as_i64().expect("id");
    app.api("POST", &format!("/api/v1/claims/{id}/delivered"), &m.token, None)
        .await;

    let (status, body) = app
        .api(
            "POST",
            &format!("/api/v1/claims/{id}/dispute"),
            &world.a().token,
            Some(serde_json::json!({ "reason": "请致电 13800138000" })),
        )
        .await;
    assert_eq!(
        (status, body["errors"][0]["code"].as_str()),
        (422, Some("contains-personal-data")),
        "the reason reaches the merchant, so it is public text"
    );
    let (status, body) = app
        .api(
            "POST",
            &format!("/api/v1/claims/{id}/dispute"),
            &world.a().token,
            Some(serde_json::json!({ "reason": "米的数量不对" })),
        )
        .await;
    assert_eq!((status, body["status"].as_str()), (200, Some("disputed")), "{body}");
    let (status, body) = app
        .api("POST", &format!("/api/v1/claims/{id}/resume"), &m.token, None)
        .await;
    assert_eq!((status, body["status"].as_str()), (200, Some("active")), "{body}");
    app.api("POST", &format!("/api/v1/claims/{id}/delivered"), &m.token, None)
        .await;
    let (status, body) = app
        .api(
            "POST",
            &format!("/api/v1/claims/{id}/confirm"),
            &world.a().token,
            Some(serde_json::json!({})),
        )
        .await;
    assert_eq!((status, body["status"].as_str()), (200, Some("confirmed")), "{body}");
}

#[tokio::test]
async fn releasing_and_lapsing_give_units_back_and_reopen_the_need() {
    let app = TestApp::spawn().await;
    let world = app.world(2).await;
    let need = app.post_need(world.a(), 4).await;
    let (a, b) = (&world.merchants[0], &world.merchants[1]);
    let (_, first) = app.claim(&a.token, need, 3).await;
    let (_, second) = app.claim(&b.token, need, 1).await;
    assert_eq!(
        scalar_i64(
            &app.db,
            &format!("SELECT COUNT(*) FROM needs WHERE id = {need} AND status = 'fully_claimed'")
        )
        .await,
        1
    );

    let (status, _) = app
        .api(
            "POST",
            &format!("/api/v1/claims/{}/release", second["id"]),
            &b.token,
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        scalar_i64(
            &app.db,
            &format!("SELECT claimed FROM needs WHERE id = {need} AND status = 'open'")
        )
        .await,
        3
    );

    // Nothing lapses before due + grace; after it, the claim lapses once, even when the
    // job runs in three processes at the same moment.
    let due = Utc::now() + Duration::days(7);
    assert_eq!(
        jobs::run_once(&app.db, due + Duration::days(1))
            .await
            .expect("jobs")
            .lapsed,
        0
    );
    let later = due + Duration::days(2) + Duration::minutes(1);
    let runs = join_all((0..3).map(|_| jobs::run_once(&app.db, later))).await;
    let lapsed: u64 = runs.into_iter().map(|r| r.expect("jobs").lapsed).sum();
    assert_eq!(lapsed, 1);
    let (_, claim) = app
        .api("GET", &format!("/api/v1/claims/{}", first["id"]), &a.token, None)
        .await;
    assert_eq!(claim["status"], "lapsed");
    assert_eq!(
        scalar_i64(
            &app.db,
            &format!("SELECT claimed FROM needs WHERE id = {need} AND status = 'open'")
        )
        .await,
        0
    );
    assert_eq!(live_sum(&app, need).await, 0);
    let lapse_notices = scalar_i64(
        &app.db,
        &format!(
            "SELECT COUNT(*) FROM outbox WHERE dedupe_key = 'claim:{}:merchant-lapsed'",
            first["id"]
        ),
    )
    .await;
    assert_eq!(lapse_notices, 1);
    let reminders = scalar_i64(
        &app.db,
        &format!(
            "SELECT COUNT(*) FROM outbox WHERE dedupe_key = 'claim:{}:reminder-half'",
            first["id"]
        ),
    )
    .await;
    assert_eq!(reminders, 1, "the half-time reminder went out once before the lapse");
}

#[tokio::test]
async fn cancelling_a_need_releases_its_claims_and_tells_each_merchant() {
    let app = TestApp::spawn().await;
    let world = app.world(2).await;
    let need = app.post_need(world.a(), 5).await;
    let mut claim_ids = Vec::new();
    for m in &world.merchants {
        let (_, c) = app.claim(&m.token, need, 2).await;
        claim_ids.push(c["id"].as_i64().expect("id"));
    }
    let (status, body) = app
        .api(
            "POST",
            &format!("/api/v1/needs/{need}/cancel"),
            &world.a().token,
            Some(serde_json::json!({ "reason": "已由家人解决" })),
        )
        .await;
    assert_eq!(
        (status, body["status"].as_str(), body["claimed"].as_i64()),
        (200, Some("cancelled"), Some(0)),
        "{body}"
    );
    for id in claim_ids {
        let n = scalar_i64(
            &app.db,
            &format!("SELECT COUNT(*) FROM claims WHERE id = {id} AND status = 'released'"),
        )
        .await;
        assert_eq!(n, 1);
        let told = scalar_i64(
            &app.db,
            &format!("SELECT COUNT(*) FROM outbox WHERE dedupe_key = 'claim:{id}:merchant-need-ended'"),
        )
        .await;
        assert_eq!(told, 1);
    }
    let (status, body) = app.claim(&world.merchants[0].token, need, 1).await;
    assert_eq!((status, body["type"].as_str()), (409, Some("need-not-open")));
    let (status, _) = app
        .api(
            "POST",
            &format!("/api/v1/needs/{need}/cancel"),
            &world.a().token,
            Some(serde_json::json!({ "reason": "已由家人解决" })),
        )
        .await;
    assert_eq!(status, 409, "a cancelled need cannot be cancelled again");
}

#[tokio::test]
async fn overdue_open_needs_expire_and_refusals_write_no_messages() {
    let app = TestApp::spawn().await;
    let world = app.world(1).await;
    let need = app.post_need(world.a(), 2).await;
    let m = &world.merchants[0];
    let outbox_before = app.count("outbox").await;
    let (status, _) = app.claim(&m.token, need, 3).await;
    assert_eq!(status, 409);
    assert_eq!(
        app.count("outbox").await,
        outbox_before,
        "a refused claim rolls back and queues nothing"
    );
    assert_eq!(app.count("claims").await, 0);

    let report = jobs::run_once(&app.db, Utc::now() + Duration::days(32))
        .await
        .expect("jobs");
    assert_eq!(report.expired, 1);
    assert_eq!(
        scalar_i64(
            &app.db,
            &format!("SELECT COUNT(*) FROM needs WHERE id = {need} AND status = 'expired'")
        )
        .await,
        1
    );
}

#[tokio::test]
async fn a_new_merchant_may_hold_three_active_claims() {
    let app = TestApp::spawn().await;
    let world = app.world(1).await;
    let m = &world.merchants[0];
    let mut needs = Vec::new();
    for _ in 0..4 {
        needs.push(app.post_need(world.a(), 1).await);
    }
    for need in &needs[..3] {
        let (status, _) = app.claim(&m.token, *need, 1).await;
        assert_eq!(status, 201);
    }
    let (status, body) = app.claim(&m.token, needs[3], 1).await;
    assert_eq!(
        (status, body["type"].as_str(), body["limit"].as_i64()),
        (409, Some("claim-limit-reached"), Some(3)),
        "{body}"
    );
}

#[tokio::test]
async fn two_lapses_in_a_row_mean_deliver_first_until_a_delivery_ends_the_streak() {
    let app = TestApp::spawn().await;
    let world = app.world(1).await;
    let m = &world.merchants[0];
    let mut needs = Vec::new();
    for _ in 0..4 {
        needs.push(app.post_need(world.a(), 1).await);
    }
    let claim = async |need: i64| app.claim(&m.token, need, 1).await;
    let mut claims = Vec::new();
    for need in &needs[..3] {
        let (status, body) = claim(*need).await;
        assert_eq!(status, 201, "{body}");
        claims.push(body["id"].as_i64().expect("id"));
    }
    // The two older claims lapsed, one after the other; the third is still to deliver.
    for (claim_id, hours_ago) in [(claims[0], 2), (claims[1], 1)] {
        let at = Utc::now() - Duration::hours(hours_ago);
        claim::Entity::update_many()
            .col_expr(claim::Column::Status, Expr::val("lapsed"))
            .col_expr(claim::Column::EndedAt, Expr::val(at))
            .col_expr(claim::Column::UpdatedAt, Expr::val(at))
            .filter(claim::Column::Id.eq(claim_id))
            .exec(&app.db)
            .await
            .expect("lapse");
    }
    let (status, body) = claim(needs[3]).await;
    assert_eq!((status, body["type"].as_str()), (409, Some("deliver-first")), "{body}");

    // Delivering the third claim ends the streak; with two recent lapses it may hold one.
    let (status, body) = app
        .api(
            "POST",
            &format!("/api/v1/claims/{}/delivered", claims[2]),
            &m.token,
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = claim(needs[3]).await;
    assert_eq!(status, 201, "{body}");
}

#[tokio::test]
async fn a_need_can_be_edited_only_while_nothing_of_it_is_claimed() {
    use charity_relay::domain::need_input::NeedInput;
    use charity_relay::services::{ServiceError, needs};
    let app = TestApp::spawn().await;
    let world = app.world(1).await;
    let need = app.post_need(world.a(), 4).await;
    let now = Utc::now();
    let edit = |title: &str| {
        NeedInput {
            beneficiary_id: world.a().beneficiary_id.to_string(),
            category: "food".into(),
            title: title.into(),
            quantity: "6".into(),
            unit: "袋".into(),
            deadline: (now + Duration::days(20)).date_naive().to_string(),
            ..Default::default()
        }
        .parse(now.date_naive())
        .expect("valid")
    };

    let edited = needs::edit_need(
        &app.db,
        &app.config.secret_key,
        &world.a().worker,
        need,
        edit("大米六袋"),
        now,
    )
    .await
    .expect("edit");
    assert_eq!((edited.title.as_str(), edited.quantity), ("大米六袋", 6));
    let other = needs::edit_need(
        &app.db,
        &app.config.secret_key,
        &world.b().worker,
        need,
        edit("别人的"),
        now,
    )
    .await;
    assert!(
        matches!(other, Err(ServiceError::NotFound(_))),
        "another organization cannot edit it"
    );

    let m = &world.merchants[0];
    let (status, _) = app.claim(&m.token, need, 1).await;
    assert_eq!(status, 201);
    let late = needs::edit_need(
        &app.db,
        &app.config.secret_key,
        &world.a().worker,
        need,
        edit("改不了"),
        now,
    )
    .await;
    assert!(matches!(late, Err(ServiceError::Conflict(_))), "{late:?}");
    assert_eq!(
        scalar_i64(&app.db, &format!("SELECT quantity FROM needs WHERE id = {need}")).await,
        6
    );
}

#[tokio::test]
async fn outbox_rows_live_and_die_with_the_transaction_that_wrote_them() {
    use charity_relay::domain::Locale;
    use charity_relay::services::outbox::{Channel, Message, enqueue};
    let app = TestApp::spawn().await;
    let message = |key: &str| Message {
        channel: Channel::Email,
        recipient: "someone@example.org".into(),
        contact_id: None,
        merchant_id: None,
        kind: "resident-need-registered",
        locale: Locale::En,
        payload: serde_json::json!({}),
        dedupe_key: key.into(),
    };
    let txn = charity_relay::db::begin_write(&app.db).await.expect("begin");
    assert!(enqueue(&txn, message("k1"), Utc::now()).await.expect("enqueue"));
    txn.rollback().await.expect("rollback");
    assert_eq!(
        app.count("outbox").await,
        0,
        "a rolled-back transaction leaves no outbox row"
    );

    let txn = charity_relay::db::begin_write(&app.db).await.expect("begin");
    assert!(enqueue(&txn, message("k1"), Utc::now()).await.expect("enqueue"));
    assert!(
        !enqueue(&txn, message("k1"), Utc::now()).await.expect("enqueue"),
        "the same dedupe key queues once"
    );
    txn.commit().await.expect("commit");
    assert_eq!(app.count("outbox").await, 1);
}
