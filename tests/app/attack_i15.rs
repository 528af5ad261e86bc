//! An attacker's look at issue 15's refactor (claims split, typed status columns, the desk
//! over services, the demo seeded through the services, one Locale): what it must not have
//! changed. What holds stays here as a guard.

use charity_relay::jobs;
use chrono::{Duration, Utc};
use sea_orm::ConnectionTrait;

use crate::support::world::World;
use crate::support::{TestApp, run_cli, scalar_i64};

/// The office's own world (its organizations named apart from the demo's) and a need of
/// organization A.
async fn office_with_a_need(app: &TestApp) -> (World, i64) {
    let world = app.world(1).await;
    app.db
        .execute_unprepared("UPDATE organizations SET name = name || '（本区）'")
        .await
        .expect("renamed");
    let need = app.post_need(world.a(), 3).await;
    (world, need)
}

/// The office loads the demo into its own database to train new staff. The demo is made
/// of its own rows: the office's needs and claims stay as they were, and the messages
/// about them are not swallowed by the demo's clean-up of its back-dated history.
#[tokio::test]
async fn loading_the_demo_leaves_the_offices_own_needs_and_their_messages_alone() {
    let mut app = TestApp::spawn().await;
    let (world, need) = office_with_a_need(&app).await;
    let (status, made) = app.claim(&world.merchants[0].token, need, 1).await;
    assert_eq!(status, 201, "{made}");
    let claim = made["id"].as_i64().expect("claim id");

    // The service was down while the need's deadline passed: no expiry job ran.
    app.halt().await;
    let deadline = (Utc::now() - Duration::days(5)).date_naive();
    app.db
        .execute_unprepared(&format!("UPDATE needs SET deadline = '{deadline}' WHERE id = {need}"))
        .await
        .expect("deadline passed");

    let queued = app.count("outbox").await;
    let demo = app.cli(&["demo"], "");
    assert_eq!(demo.code, Some(0), "{demo:?}");
    assert_eq!(app.count("outbox").await, queued, "the demo's history tells nobody");
    let need_status = |status: &'static str| {
        let db = app.db.clone();
        async move {
            scalar_i64(
                &db,
                &format!("SELECT COUNT(*) FROM needs WHERE id = {need} AND status = '{status}'"),
            )
            .await
        }
    };
    assert_eq!(need_status("open").await, 1, "the demo ended the office's own need");
    let active = scalar_i64(
        &app.db,
        &format!("SELECT COUNT(*) FROM claims WHERE id = {claim} AND status = 'active'"),
    )
    .await;
    assert_eq!(active, 1, "the demo ended the office's merchant's claim");

    // Back up, the expiry job ends the need and the merchant hears of it.
    jobs::run_once(&app.db, Utc::now()).await.expect("jobs");
    assert_eq!(need_status("expired").await, 1);
    let told = scalar_i64(
        &app.db,
        &format!(
            "SELECT COUNT(*) FROM outbox WHERE kind = 'merchant-need-expired' \
             AND dedupe_key = 'claim:{claim}:merchant-need-ended'"
        ),
    )
    .await;
    assert_eq!(told, 1, "the merchant is told its claimed need expired");
}

/// A shop keeps claiming and giving back while the office loads the demo into the same
/// database (another process): every claim's messages stay queued. The demo deletes the
/// messages of its own back-dated history only, never what others queued meanwhile.
#[tokio::test]
async fn messages_queued_while_the_demo_loads_are_not_deleted_with_the_demos() {
    let app = TestApp::spawn_without_dispatcher(|_| {}).await;
    let (world, need) = office_with_a_need(&app).await;
    let shop = &world.merchants[0].token;

    let env = app.env.clone();
    let loading = tokio::task::spawn_blocking(move || run_cli(&env, &["demo"], ""));
    let mut claims = Vec::new();
    while !loading.is_finished() {
        let (status, made) = app.claim(shop, need, 1).await;
        assert_eq!(status, 201, "{made}");
        let claim = made["id"].as_i64().expect("claim id");
        let (status, body) = app
            .api("POST", &format!("/api/v1/claims/{claim}/release"), shop, None)
            .await;
        assert_eq!(status, 200, "{body}");
        claims.push(claim);
        // A shop's pace, well inside the API's 50 requests a second a token: a fast
        // database must not turn this story into a flood the limiter refuses.
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let demo = loading.await.expect("demo ran");
    assert_eq!(demo.code, Some(0), "{demo:?}");
    assert!(claims.len() > 1, "the shop worked while the demo loaded");
    for claim in claims {
        let queued = scalar_i64(
            &app.db,
            &format!("SELECT COUNT(*) FROM outbox WHERE dedupe_key = 'claim:{claim}:merchant-claimed'"),
        )
        .await;
        assert_eq!(queued, 1, "the confirmation of claim {claim} was deleted");
    }
}
