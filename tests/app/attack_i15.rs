//! An attacker's look at issue 15's refactor (claims split, typed status columns, the desk
//! over services, the demo seeded through the services, one Locale): what it must not have
//! changed. What holds stays here as a guard.

use charity_relay::jobs;
use chrono::{Duration, Utc};
use sea_orm::ConnectionTrait;

use crate::support::{TestApp, scalar_i64};

/// The office loads the demo into its own database to train new staff. The demo is made
/// of its own rows: the office's needs and claims stay as they were, and the messages
/// about them are not swallowed by the demo's clean-up of its back-dated history.
#[tokio::test]
async fn loading_the_demo_leaves_the_offices_own_needs_and_their_messages_alone() {
    let mut app = TestApp::spawn().await;
    let world = app.world(1).await;
    // The office's own organizations, named apart from the demo's.
    app.db
        .execute_unprepared("UPDATE organizations SET name = name || '（本区）'")
        .await
        .expect("renamed");
    let need = app.post_need(world.a(), 3).await;
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

    let demo = app.cli(&["demo"], "");
    assert_eq!(demo.code, Some(0), "{demo:?}");
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
