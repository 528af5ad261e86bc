//! Codes a database copy cannot reveal, and guesses that run out: a merchant's link code is
//! stored as a keyed digest (HMAC under a key derived from the secret key), and a claim takes
//! five wrong handoff codes before only the office can confirm it.

use bots::Locale;
use bots::text;
use charity_relay::entities::{claim, merchant_link_code};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use sha2::{Digest, Sha256};

use crate::support::{TestApp, scalar_i64};

#[tokio::test]
async fn a_link_code_is_stored_as_a_keyed_digest_and_still_links_the_chat() {
    let app = TestApp::spawn_with_bot().await;
    let world = app.world(1).await;
    let merchant = &world.merchants[0];
    let code = app.link_code(merchant.id).await;

    let stored = merchant_link_code::Entity::find()
        .filter(merchant_link_code::Column::MerchantId.eq(merchant.id))
        .one(&app.db)
        .await
        .expect("query")
        .expect("the code's row");
    let plain = hex::encode(Sha256::digest(code.as_bytes()));
    assert_ne!(
        stored.code_digest, plain,
        "a plain SHA-256 of 8 characters falls to brute force"
    );
    assert_ne!(
        stored.code_digest,
        hex::encode(Sha256::digest(code.to_lowercase().as_bytes()))
    );
    assert_eq!(stored.code_digest.len(), 64);

    let chat = app.chat(700, Locale::ZhCn);
    let linked = chat.send(&format!("/start {code}")).await;
    assert_eq!(linked.text, text::linked(Locale::ZhCn, "爱心商户0"));
    let chat_of = scalar_i64(
        &app.db,
        &format!("SELECT telegram_chat_id FROM merchants WHERE id = {}", merchant.id),
    )
    .await;
    assert_eq!(chat_of, chat.id);
}

async fn failures(app: &TestApp, claim_id: i64) -> i32 {
    claim::Entity::find_by_id(claim_id)
        .one(&app.db)
        .await
        .expect("query")
        .expect("claim")
        .handoff_failures
}

#[tokio::test]
async fn five_wrong_handoff_codes_leave_the_claim_to_the_office() {
    let app = TestApp::spawn().await;
    let world = app.world(1).await;
    let need = app.post_need(world.a(), 3).await;
    let (status, made) = app.claim(&world.merchants[0].token, need, 2).await;
    assert_eq!(status, 201, "{made}");
    let claim_id = made["id"].as_i64().expect("id");
    let right = made["handoff_code"].as_str().expect("code").to_owned();
    let confirm = format!("/needs/{need}/claims/{claim_id}/confirm");

    let mut worker = app.login("worker0@example.org").await;
    worker.get(&format!("/needs/{need}")).await;
    for n in 1..=4 {
        let r = worker
            .post(&confirm, &[("rating", ""), ("handoff_code", "AAAAAA")])
            .await;
        assert_eq!(r.status(), 422, "wrong code {n}");
        assert!(r.text().await.expect("body").contains("交接码与商户的不一致"));
    }
    let fifth = worker
        .post(&confirm, &[("rating", ""), ("handoff_code", "AAAAAA")])
        .await;
    assert_eq!(fifth.status(), 409);
    assert_eq!(failures(&app, claim_id).await, 5);

    // Now even the right code is refused, with the message that sends the worker to the office.
    let refused = worker.post(&confirm, &[("rating", ""), ("handoff_code", &right)]).await;
    assert_eq!(refused.status(), 409);
    let body = refused.text().await.expect("body");
    assert!(body.contains("不能再凭交接码确认") && body.contains("街道办"), "{body}");
    let (_, page) = worker.get(&format!("/needs/{need}")).await;
    assert!(page.contains("不能再凭交接码确认"), "the need page says who must act");
    assert!(
        !page.contains(&format!("/claims/{claim_id}/reset-code")),
        "only the office resets"
    );
    let forbidden = worker
        .post(&format!("/needs/{need}/claims/{claim_id}/reset-code"), &[])
        .await;
    assert_eq!(forbidden.status(), 403);
    let (status, problem) = app
        .api(
            "POST",
            &format!("/api/v1/claims/{claim_id}/confirm"),
            &world.a().token,
            Some(serde_json::json!({ "handoff_code": right })),
        )
        .await;
    assert_eq!(
        (status, problem["type"].as_str()),
        (409, Some("handoff-code-locked")),
        "{problem}"
    );
    let status_now = scalar_i64(
        &app.db,
        &format!("SELECT COUNT(*) FROM claims WHERE id = {claim_id} AND status = 'active'"),
    )
    .await;
    assert_eq!(status_now, 1, "nothing was confirmed");

    // In English too.
    worker.post("/settings/language", &[("lang", "en")]).await;
    let (_, page) = worker.get(&format!("/needs/{need}")).await;
    assert!(page.contains("can no longer be confirmed with a code"), "{page}");

    // The office allows new tries (audited); then the right code confirms.
    let office_email = app.office_account().await;
    let mut office = app.login(&office_email).await;
    let (_, page) = office.get(&format!("/needs/{need}")).await;
    assert!(page.contains(&format!("/claims/{claim_id}/reset-code")));
    let reset = office
        .post(&format!("/needs/{need}/claims/{claim_id}/reset-code"), &[])
        .await;
    assert_eq!(reset.status(), 303);
    assert_eq!(failures(&app, claim_id).await, 0);
    let audited = scalar_i64(
        &app.db,
        &format!(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'claim.handoff_reset' AND subject_id = '{claim_id}' AND outcome = 'ok'"
        ),
    )
    .await;
    assert_eq!(audited, 1);
    let wrong_audited = scalar_i64(
        &app.db,
        "SELECT COUNT(*) FROM audit_log WHERE action = 'claim.handoff_code' AND outcome = 'denied'",
    )
    .await;
    assert_eq!(wrong_audited, 5);
    worker.get(&format!("/needs/{need}")).await;
    let ok = worker
        .post(&confirm, &[("rating", "5"), ("handoff_code", &right)])
        .await;
    assert_eq!(ok.status(), 303);
    let confirmed = scalar_i64(
        &app.db,
        &format!("SELECT COUNT(*) FROM claims WHERE id = {claim_id} AND status = 'confirmed'"),
    )
    .await;
    assert_eq!(confirmed, 1);
}

#[tokio::test]
async fn parallel_wrong_codes_are_each_counted_and_the_office_confirms_a_locked_claim() {
    let app = TestApp::spawn().await;
    let world = app.world(1).await;
    let need = app.post_need(world.a(), 3).await;
    let (_, made) = app.claim(&world.merchants[0].token, need, 1).await;
    let claim_id = made["id"].as_i64().expect("id");
    let path = format!("/api/v1/claims/{claim_id}/confirm");
    let guesses = (0..12).map(|i| {
        app.api(
            "POST",
            &path,
            &world.a().token,
            Some(serde_json::json!({ "handoff_code": format!("ZZZZZ{}", i % 10) })),
        )
    });
    let answers = futures::future::join_all(guesses).await;
    for (status, body) in &answers {
        assert!(
            matches!(
                body["type"].as_str(),
                Some("wrong-handoff-code" | "handoff-code-locked")
            ),
            "{status} {body}"
        );
    }
    let wrong = answers
        .iter()
        .filter(|(_, b)| b["type"] == "wrong-handoff-code")
        .count();
    assert_eq!(wrong, 4, "four wrong answers, then the lock");
    assert_eq!(failures(&app, claim_id).await, 5, "no guess past the limit, none lost");

    // A social worker cannot claim to be the office; the office confirms after checking.
    let mut worker = app.login("worker0@example.org").await;
    worker.get(&format!("/needs/{need}")).await;
    let r = worker
        .post(
            &format!("/needs/{need}/claims/{claim_id}/confirm"),
            &[("office_checked", "yes")],
        )
        .await;
    assert_eq!(r.status(), 403);
    let office_email = app.office_account().await;
    let mut office = app.login(&office_email).await;
    office.get(&format!("/needs/{need}")).await;
    let r = office
        .post(
            &format!("/needs/{need}/claims/{claim_id}/confirm"),
            &[("office_checked", "yes")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let by_office = scalar_i64(
        &app.db,
        &format!(
            "SELECT COUNT(*) FROM claims c JOIN audit_log a ON a.subject_id = '{claim_id}' \
             WHERE c.id = {claim_id} AND c.status = 'confirmed' AND a.action = 'claim.confirm' AND a.outcome = 'ok'"
        ),
    )
    .await;
    assert_eq!(by_office, 1);
}
