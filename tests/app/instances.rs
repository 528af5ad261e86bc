//! Several identical instances on one database: no shared memory, still exact.

use futures::future::join_all;

use crate::support::browser::STAFF_PASSWORD;
use crate::support::{TestApp, scalar_i64};

#[tokio::test]
async fn claims_split_across_two_instances_never_oversell() {
    let app = TestApp::spawn().await;
    let world = app.world(10).await;
    for m in &world.merchants {
        app.give_good_record(&world, m.id, 14).await;
    }
    let other = app.another_instance().await;
    let need = app.post_need(world.a(), 15).await;
    let path = format!("/api/v1/needs/{need}/claims");
    let requests = world
        .merchants
        .iter()
        .flat_map(|m| (0..10).map(move |i| (m, i)))
        .map(|(m, i)| {
            let url = if i % 2 == 0 { app.url(&path) } else { other.url(&path) };
            app.client
                .post(url)
                .bearer_auth(&m.token)
                .json(&serde_json::json!({ "quantity": 1 }))
                .send()
        });
    let statuses: Vec<u16> = join_all(requests)
        .await
        .into_iter()
        .map(|r| r.expect("request").status().as_u16())
        .collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 15);
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 85);
    assert_eq!(
        scalar_i64(&app.db, &format!("SELECT claimed FROM needs WHERE id = {need}")).await,
        15
    );
    other.stop().await;
}

#[tokio::test]
async fn a_session_from_one_instance_works_on_the_other_and_logout_ends_it_on_both() {
    let app = TestApp::spawn().await;
    app.world(0).await;
    let other = app.another_instance().await;
    let mut browser = app.browser();
    let response = browser.sign_in("worker0@example.org", STAFF_PASSWORD).await;
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("relay_session="))
        .and_then(|c| c.split(';').next())
        .expect("session cookie")
        .to_owned();
    let there = app
        .client
        .get(other.url("/needs"))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("GET");
    assert_eq!(there.status(), 200, "the other instance knows the session");
    browser.get("/").await;
    browser.post("/logout", &[]).await;
    let after = app
        .client
        .get(other.url("/needs"))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("GET");
    assert_eq!(after.status(), 303, "logout on one ends it on the other");
    other.stop().await;
}

#[tokio::test]
async fn jobs_in_two_processes_lapse_each_claim_once() {
    use chrono::{Duration, Utc};
    let app = TestApp::spawn().await;
    let world = app.world(3).await;
    let need = app.post_need(world.a(), 6).await;
    for m in &world.merchants {
        app.claim(&m.token, need, 2).await;
    }
    // A second process with its own pool, as another instance would have.
    let second = sea_orm::Database::connect(app.env["DATABASE_URL"].as_str())
        .await
        .expect("second pool");
    let later = Utc::now() + Duration::days(10);
    let (a, b) = tokio::join!(
        charity_relay::jobs::run_once(&app.db, later),
        charity_relay::jobs::run_once(&second, later)
    );
    assert_eq!(a.expect("jobs").lapsed + b.expect("jobs").lapsed, 3);
    assert_eq!(
        scalar_i64(&app.db, &format!("SELECT claimed FROM needs WHERE id = {need}")).await,
        0
    );
    let notices = scalar_i64(
        &app.db,
        "SELECT COUNT(*) FROM outbox WHERE kind = 'merchant-claim-lapsed'",
    )
    .await;
    assert_eq!(notices, 3, "one lapse notice per claim");
}
