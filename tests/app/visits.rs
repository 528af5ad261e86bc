//! Visits (探访): a social worker logs a visit with sealed notes and posts a need from it in one
//! click; the office sets each group's interval from the CLI; the dashboard lists the visits due
//! and overdue for the worker's own organization.

use chrono::{Duration, Utc};
use sea_orm::ConnectionTrait;

use crate::support::{TestApp, scalar_i64};

const NOTES: &str = "老人腿脚不便，冰箱已空，家属每月来一次";

fn today() -> String {
    (Utc::now() + Duration::hours(8)).date_naive().to_string()
}

#[tokio::test]
async fn a_worker_logs_a_visit_with_sealed_notes_and_posts_a_need_from_it() {
    let app = TestApp::spawn().await;
    let world = app.world(0).await;
    let id = world.a().beneficiary_id;
    let mut worker = app.login("worker0@example.org").await;
    let (status, page) = worker.get(&format!("/beneficiaries/{id}/visits")).await;
    assert_eq!(status, 200, "{page}");
    let response = worker
        .post(
            &format!("/beneficiaries/{id}/visits"),
            &[
                ("visited_on", &today()),
                ("mode", "home"),
                ("visitors", "王社工、志愿者小陈"),
                ("notes", NOTES),
                ("needs_found", "需要米面油"),
            ],
        )
        .await;
    assert_eq!(response.status(), 303);
    let back = response
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .expect("location")
        .to_owned();
    let (status, page) = worker.get(&back).await;
    assert_eq!(status, 200);
    assert!(page.contains(NOTES) && page.contains("需要米面油"), "{page}");
    // Visited today, the next visit is weeks away: the page still says when.
    let next = chrono::NaiveDate::parse_from_str(&today(), "%Y-%m-%d").expect("today") + chrono::Duration::days(30);
    assert!(page.contains(&format!("下次探访：{next} 前")), "{page}");
    // One click to the need form with the person chosen.
    let link = page
        .split("href=\"")
        .find(|s| s.starts_with("/needs/new?beneficiary="))
        .and_then(|s| s.split('"').next())
        .expect("a link to post a need from this visit")
        .to_owned();
    let (status, form) = worker.get(&link).await;
    assert_eq!(status, 200);
    let chosen = format!("value=\"{id}\" selected");
    assert!(form.contains(&chosen), "the need form has the person chosen: {form}");

    // The database holds no clear text of the notes.
    let stored: Vec<u8> = {
        use sea_orm::EntityTrait;
        charity_relay::entities::visit::Entity::find()
            .one(&app.db)
            .await
            .expect("query")
            .expect("a visit")
            .notes_sealed
    };
    assert!(!String::from_utf8_lossy(&stored).contains("冰箱"));
    assert!(!stored.windows(NOTES.len()).any(|w| w == NOTES.as_bytes()));
    let reads = scalar_i64(
        &app.db,
        "SELECT COUNT(*) FROM audit_log WHERE action = 'visit.notes.read' AND outcome = 'ok'",
    )
    .await;
    assert!(reads >= 2, "every opening of the notes is audited");

    // The office opens them too; another organization gets the 404 of a missing id, audited.
    let office = app.office_account().await;
    let mut office = app.login(&office).await;
    let (status, page) = office.get(&format!("/beneficiaries/{id}/visits")).await;
    assert_eq!(status, 200);
    assert!(page.contains(NOTES) && !page.contains("name=\"visitors\""));
    let mut other = app.login("worker1@example.org").await;
    let (status, page) = other.get(&format!("/beneficiaries/{id}/visits")).await;
    let (_, missing) = other.get("/beneficiaries/999999/visits").await;
    assert_eq!(status, 404);
    assert_eq!(page, missing);
    assert!(!page.contains(NOTES));
    let response = other
        .post(
            &format!("/beneficiaries/{id}/visits"),
            &[("visited_on", &today()), ("mode", "phone"), ("visitors", "x")],
        )
        .await;
    assert_eq!(response.status(), 404);
    let denied = scalar_i64(
        &app.db,
        "SELECT COUNT(*) FROM audit_log WHERE action IN ('visit.notes.read', 'visit.log') AND outcome = 'denied'",
    )
    .await;
    assert_eq!(denied, 3);
    assert_eq!(app.count("visits").await, 1);
}

#[tokio::test]
async fn a_visit_in_the_future_or_without_a_mode_is_refused_beside_the_field() {
    let app = TestApp::spawn().await;
    let world = app.world(0).await;
    let id = world.a().beneficiary_id;
    let mut worker = app.login("worker0@example.org").await;
    worker.get(&format!("/beneficiaries/{id}/visits")).await;
    let tomorrow = (Utc::now() + Duration::days(2)).date_naive().to_string();
    let response = worker
        .post(
            &format!("/beneficiaries/{id}/visits"),
            &[
                ("visited_on", &tomorrow),
                ("mode", ""),
                ("visitors", "王社工"),
                ("notes", NOTES),
                ("needs_found", "电话 13912345678"),
            ],
        )
        .await;
    assert_eq!(response.status(), 422);
    let page = response.text().await.expect("page");
    assert!(page.contains("日期不能晚于今天"), "{page}");
    assert!(page.contains("还没有选择"), "{page}");
    assert!(
        page.contains("电话号码"),
        "needs found are kept in clear, so no identity: {page}"
    );
    assert!(
        page.contains(&tomorrow) && page.contains("王社工") && page.contains(NOTES),
        "typed values kept"
    );
    assert_eq!(app.count("visits").await, 0);
}

#[tokio::test]
async fn the_office_sets_a_groups_interval_from_the_cli() {
    let app = TestApp::spawn().await;
    let ok = app.cli(
        &["admin", "set-visit-interval", "--group", "disabled", "--days", "45"],
        "",
    );
    assert_eq!(ok.code, Some(0), "{}", ok.stderr);
    assert!(ok.last_line().contains("45"), "{}", ok.stdout);
    let days = scalar_i64(
        &app.db,
        "SELECT days FROM visit_intervals WHERE beneficiary_group = 'disabled'",
    )
    .await;
    assert_eq!(days, 45);
    let audited = scalar_i64(
        &app.db,
        "SELECT COUNT(*) FROM audit_log WHERE action = 'visit_interval.set'",
    )
    .await;
    assert_eq!(audited, 1);

    let bad_group = app.cli(&["admin", "set-visit-interval", "--group", "pets", "--days", "30"], "");
    assert_eq!(bad_group.code, Some(2));
    assert!(
        bad_group.stderr.contains("--group") && bad_group.stderr.contains("elderly_alone"),
        "{}",
        bad_group.stderr
    );
    for days in ["0", "366", "monthly"] {
        let bad = app.cli(
            &["admin", "set-visit-interval", "--group", "disabled", "--days", days],
            "",
        );
        assert_eq!(bad.code, Some(2), "{days}");
        assert!(bad.stderr.contains("--days"), "{}", bad.stderr);
    }
    let days = scalar_i64(
        &app.db,
        "SELECT days FROM visit_intervals WHERE beneficiary_group = 'disabled'",
    )
    .await;
    assert_eq!(days, 45, "refusals change nothing");
}

#[tokio::test]
async fn the_dashboard_lists_visits_due_and_overdue_for_the_workers_organization() {
    let app = TestApp::spawn().await;
    let world = app.world(0).await;
    let a = world.a().beneficiary_id;
    let b = world.b().beneficiary_id;
    // Registered 40 days ago and never visited: an elderly person living alone is overdue (30 days).
    let forty_days_ago = Utc::now() - Duration::days(40);
    for id in [a, b] {
        app.db
            .execute_raw(charity_relay::db::statement(
                &app.db,
                "UPDATE beneficiaries SET created_at = ? WHERE id = ?",
                vec![forty_days_ago.into(), id.into()],
            ))
            .await
            .expect("back-date");
    }
    let a_code = code_of(&app, a).await;
    let b_code = code_of(&app, b).await;
    let mut worker = app.login("worker0@example.org").await;
    let (_, page) = worker.get("/").await;
    assert!(
        page.contains(&format!("/beneficiaries/{a}/visits")) && page.contains(&a_code),
        "{page}"
    );
    assert!(page.contains("探访已逾期") && page.contains("从未探访"), "{page}");
    assert!(!page.contains(&b_code), "another organization's people are not listed");

    // A visit today clears it; with a 7-day interval it shows as due within the week.
    worker.get(&format!("/beneficiaries/{a}/visits")).await;
    let response = worker
        .post(
            &format!("/beneficiaries/{a}/visits"),
            &[("visited_on", &today()), ("mode", "phone"), ("visitors", "王社工")],
        )
        .await;
    assert_eq!(response.status(), 303);
    let (_, page) = worker.get("/").await;
    assert!(!page.contains(&format!("/beneficiaries/{a}/visits")), "{page}");
    let set = app.cli(
        &["admin", "set-visit-interval", "--group", "elderly_alone", "--days", "7"],
        "",
    );
    assert_eq!(set.code, Some(0), "{}", set.stderr);
    let (_, page) = worker.get("/").await;
    assert!(
        page.contains(&format!("/beneficiaries/{a}/visits")) && page.contains("下次探访日期"),
        "{page}"
    );
}

async fn code_of(app: &TestApp, id: i64) -> String {
    use sea_orm::EntityTrait;
    charity_relay::entities::beneficiary::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .expect("query")
        .expect("beneficiary")
        .code
}
