//! Recurring needs (one-on-one sponsorship, in `sponsorship.rs`, builds on them): a social
//! worker posts a weekly or monthly need for some periods or until stopped, the jobs post each
//! next period once before it begins, and the worker can stop the series.

use charity_relay::jobs;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::EntityTrait;

use crate::support::world::World;
use crate::support::{TestApp, scalar_i64};

/// The need form's fields for a need of organization A due in `days`, repeating `recurrence`
/// for `periods` ("" for until stopped).
fn fields(world: &World, days: i64, recurrence: &str, periods: &str) -> Vec<(&'static str, String)> {
    vec![
        ("beneficiary_id", world.a().beneficiary_id.to_string()),
        ("category", "food".into()),
        ("title", "每月米面油".into()),
        ("description", "独居老人每月需要的米面油。".into()),
        ("quantity", "3".into()),
        ("unit", "份".into()),
        ("deadline", (Utc::now() + Duration::days(days)).date_naive().to_string()),
        ("recurrence", recurrence.into()),
        ("periods", periods.into()),
    ]
}

fn as_refs<'a>(fields: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    fields.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

async fn deadline_of(app: &TestApp, need: i64) -> NaiveDate {
    charity_relay::entities::need::Entity::find_by_id(need)
        .one(&app.db)
        .await
        .expect("read")
        .expect("need")
        .deadline
}

/// The clock `days` after now.
fn at(days: i64) -> DateTime<Utc> {
    Utc::now() + Duration::days(days)
}

#[tokio::test]
async fn a_recurring_need_with_bad_values_is_refused_beside_the_field_and_a_good_one_starts_a_series() {
    let app = TestApp::spawn().await;
    let world = app.world(0).await;
    let worker = app.login("worker0@example.org").await;

    let mut reader = app.login("worker0@example.org").await;
    let (_, form) = reader.get("/needs/new").await;
    assert!(
        form.contains(r#"name="recurrence""#) && form.contains(r#"name="periods""#),
        "the form offers recurrence: {form}"
    );

    let bad = fields(&world, 10, "daily", "30");
    let response = worker.post("/needs", &as_refs(&bad)).await;
    assert_eq!(response.status(), 422);
    let page = response.text().await.expect("body");
    assert!(page.contains(r#"id="recurrence-error""#), "{page}");
    assert!(
        page.contains(r#"id="periods-error""#) && page.contains(r#"value="30""#),
        "the error beside the field, the typed value kept: {page}"
    );
    let zero = fields(&world, 10, "monthly", "0");
    let response = worker.post("/needs", &as_refs(&zero)).await;
    assert_eq!(response.status(), 422);
    assert_eq!(app.count("needs").await, 0);

    let good = fields(&world, 10, "monthly", "3");
    let response = worker.post("/needs", &as_refs(&good)).await;
    assert_eq!(response.status(), 303);
    let need = scalar_i64(&app.db, "SELECT MAX(id) FROM needs").await;
    assert_eq!(
        scalar_i64(
            &app.db,
            &format!("SELECT COUNT(*) FROM needs WHERE id = {need} AND series_id = {need} AND period_index = 1 AND periods_total = 3")
        )
        .await,
        1,
        "the first period of its own series"
    );
    let (_, page) = reader.get(&format!("/needs/{need}")).await;
    assert!(page.contains("第 1 期，共 3 期") && page.contains("停止重复"), "{page}");

    // The API takes the same fields; a one-off need stays out of any series.
    let (status, body) = app
        .api(
            "POST",
            "/api/v1/needs",
            &world.a().token,
            Some(serde_json::json!({
                "beneficiary_id": world.a().beneficiary_id, "category": "food", "title": "每周蔬菜",
                "quantity": 1, "unit": "份", "deadline": at(5).date_naive().to_string(),
                "recurrence": "weekly", "periods": 25
            })),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let posted = app.post_need(world.a(), 2).await;
    assert_eq!(
        scalar_i64(
            &app.db,
            &format!("SELECT COUNT(series_id) FROM needs WHERE id = {posted}")
        )
        .await,
        0
    );
}

#[tokio::test]
async fn the_next_period_is_posted_once_three_days_before_it_begins_even_by_two_jobs_at_once() {
    let app = TestApp::spawn().await;
    let world = app.world(0).await;
    let worker = app.login("worker0@example.org").await;
    let response = worker
        .post("/needs", &as_refs(&fields(&world, 10, "monthly", "2")))
        .await;
    assert_eq!(response.status(), 303);
    let first = scalar_i64(&app.db, "SELECT MAX(id) FROM needs").await;
    let first_deadline = deadline_of(&app, first).await;

    let early = jobs::run_once(&app.db, at(5)).await.expect("jobs");
    assert_eq!((early.recurred, app.count("needs").await), (0, 1), "too early");

    let (one, two) = tokio::join!(jobs::run_once(&app.db, at(8)), jobs::run_once(&app.db, at(8)));
    let posted = one.expect("first run").recurred + two.expect("second run").recurred;
    assert_eq!((posted, app.count("needs").await), (1, 2), "posted once");
    let second = scalar_i64(&app.db, "SELECT MAX(id) FROM needs").await;
    assert_eq!(
        scalar_i64(
            &app.db,
            &format!(
                "SELECT COUNT(*) FROM needs WHERE id = {second} AND series_id = {first} AND period_index = 2 \
                 AND periods_total = 2 AND status = 'open' AND claimed = 0 AND title = '每月米面油' AND quantity = 3"
            )
        )
        .await,
        1,
        "the public fields copied into period 2"
    );
    assert_eq!(
        deadline_of(&app, second).await,
        first_deadline.checked_add_months(chrono::Months::new(1)).expect("date"),
        "a month later"
    );
    assert_eq!(
        scalar_i64(
            &app.db,
            &format!("SELECT COUNT(*) FROM audit_log WHERE action = 'need.recur' AND subject_id = '{second}'")
        )
        .await,
        1
    );

    // Two periods were asked for: nothing after the second.
    let later = jobs::run_once(&app.db, at(45)).await.expect("jobs");
    assert_eq!((later.recurred, app.count("needs").await), (0, 2));
}

#[tokio::test]
async fn the_worker_stops_a_series_after_asking_and_no_further_period_is_posted() {
    let app = TestApp::spawn().await;
    let world = app.world(0).await;
    let worker = app.login("worker0@example.org").await;
    let response = worker.post("/needs", &as_refs(&fields(&world, 4, "weekly", ""))).await;
    assert_eq!(response.status(), 303);
    let first = scalar_i64(&app.db, "SELECT MAX(id) FROM needs").await;
    let mut reader = app.login("worker0@example.org").await;
    let (_, page) = reader.get(&format!("/needs/{first}")).await;
    assert!(page.contains("第 1 期，持续到停止为止"), "{page}");

    // Another organization's worker cannot stop it, and learns nothing.
    let mut other = app.login("worker1@example.org").await;
    let (status, _) = other.get(&format!("/needs/{first}/end-series")).await;
    assert_eq!(status, 404);
    let response = other
        .post(&format!("/needs/{first}/end-series"), &[("reason", "不再需要")])
        .await;
    assert_eq!(response.status(), 404);
    assert_eq!(
        scalar_i64(
            &app.db,
            &format!(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'need.series.end' AND outcome = 'denied' AND subject_id = '{first}'"
            )
        )
        .await,
        1
    );

    // The page asks first; no reason, no stop.
    let (status, ask) = reader.get(&format!("/needs/{first}/end-series")).await;
    assert_eq!(status, 200);
    assert!(ask.contains("第 1 期之后不再发布新的一期"), "{ask}");
    let response = worker
        .post(&format!("/needs/{first}/end-series"), &[("reason", "")])
        .await;
    assert_eq!(response.status(), 422);
    let response = worker
        .post(&format!("/needs/{first}/end-series"), &[("reason", "老人搬去子女家住")])
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(
        scalar_i64(
            &app.db,
            &format!("SELECT COUNT(*) FROM audit_log WHERE action = 'need.series.end' AND outcome = 'ok' AND subject_id = '{first}'")
        )
        .await,
        1
    );

    let report = jobs::run_once(&app.db, at(4)).await.expect("jobs");
    assert_eq!((report.recurred, app.count("needs").await), (0, 1), "stopped");
    let (_, page) = reader.get(&format!("/needs/{first}")).await;
    assert!(!page.contains("/end-series"), "nothing left to stop: {page}");
}
