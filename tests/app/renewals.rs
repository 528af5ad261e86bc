//! Admissions are renewed every year: the office sees who is due with their credit, an
//! organization in band D is flagged, renewing asks first, and nobody renews across
//! subdistricts.

use charity_relay::domain::Role;
use charity_relay::domain::need_input::NeedInput;
use charity_relay::domain::time::local_date;
use charity_relay::services::{needs, organizations, staff};
use chrono::{Duration, Utc};
use sea_orm::ConnectionTrait;

use crate::support::browser::STAFF_PASSWORD;
use crate::support::world::PLANTED_NAME;
use crate::support::{TestApp, scalar_i64};

async fn office(app: &TestApp, email: &str, role: Role, subdistrict: Option<&str>) -> crate::support::browser::Browser {
    let new = staff::NewUser {
        email: email.into(),
        role,
        organization: None,
        subdistrict: subdistrict.map(str::to_owned),
        password: STAFF_PASSWORD.into(),
    };
    staff::create_user(&app.db, new, Utc::now()).await.expect("account");
    app.login(email).await
}

async fn until(app: &TestApp, table: &str, id: i64) -> String {
    let sql = format!("SELECT CAST(admitted_until AS VARCHAR(10)) AS d FROM {table} WHERE id = {id}");
    let row = app
        .db
        .query_one_raw(sea_orm::Statement::from_string(app.db.get_database_backend(), sql))
        .await
        .expect("query")
        .expect("row");
    row.try_get_by_index::<String>(0).expect("a date")
}

#[tokio::test]
async fn the_office_renews_who_is_due_and_a_band_d_organization_is_flagged_first() {
    let app = TestApp::spawn().await;
    let world = app.world(2).await;
    let today = local_date(Utc::now());
    let ended = today - Duration::days(5);
    let soon = today + Duration::days(10);
    for sql in [
        format!(
            "UPDATE organizations SET admitted_until = '{ended}' WHERE id = {}",
            world.a().id
        ),
        format!(
            "UPDATE merchants SET admitted_until = '{soon}' WHERE id = {}",
            world.merchants[0].id
        ),
    ] {
        app.db.execute_unprepared(&sql).await.expect("dates");
    }
    // Organization B refused eight times for naming its person on the need form: band D.
    let worker = &world.b().worker;
    for _ in 0..8 {
        let named = NeedInput {
            beneficiary_id: world.b().beneficiary_id.to_string(),
            category: "food".into(),
            title: format!("{PLANTED_NAME}的大米"),
            quantity: "1".into(),
            unit: "袋".into(),
            deadline: (today + Duration::days(10)).to_string(),
            ..Default::default()
        }
        .parse(today)
        .expect("a valid form");
        assert!(
            needs::post_need(&app.db, &app.config.secret_key, worker, named, Utc::now())
                .await
                .is_err()
        );
    }
    app.db
        .execute_unprepared(&format!(
            "UPDATE organizations SET admitted_until = '{}' WHERE id = {}",
            today + Duration::days(20),
            world.b().id
        ))
        .await
        .expect("date");

    let mut sha = office(&app, "sha@example.org", Role::Admin, None).await;
    let (status, page) = sha.get("/admin/renewals").await;
    assert_eq!(status, 200);
    let b = page.find("盐田区妇女互助会").expect("B is due");
    let a = page.find("沙头角街道社工站").expect("A is overdue");
    let shop = page.find("爱心商户0").expect("the shop is due");
    assert!(b < a && a < shop, "flagged first, then by date");
    assert!(page.contains("已过期 5 天") && page.contains("10 天后到期"), "{page}");
    assert!(page.contains("续期前请先核实"), "band D flagged: {page}");
    assert!(!page.contains("爱心商户1"), "a shop not due is not listed");

    // Renewing asks first, then runs a year from today for the late one.
    let (status, ask) = sha.get(&format!("/admin/renewals/organization/{}", world.a().id)).await;
    assert_eq!(status, 200);
    let late = today.checked_add_months(chrono::Months::new(12)).expect("a date");
    assert!(ask.contains("续期") && ask.contains(&ended.to_string()), "{ask}");
    assert!(
        ask.contains(&format!("准入将有效至 {late}（已于 {ended} 到期，故从今天起算一年）")),
        "late: the new end, a year from today: {ask}"
    );
    assert!(
        !ask.contains("原因") && !ask.contains("<textarea"),
        "no reason is asked, none is mentioned: {ask}"
    );
    assert!(
        ask.contains("社会组织 · 沙头角街道社工站") && !ask.contains(&format!("#{}", world.a().id)),
        "{ask}"
    );
    let (_, early) = sha
        .get(&format!("/admin/renewals/merchant/{}", world.merchants[0].id))
        .await;
    let year_on = soon.checked_add_months(chrono::Months::new(12)).expect("a date");
    assert!(
        early.contains(&format!("准入将有效至 {year_on}（在现有截止日 {soon} 之后再加一年）")),
        "early: a year added to the end: {early}"
    );
    let renewed = sha
        .post(&format!("/admin/renewals/organization/{}", world.a().id), &[])
        .await;
    assert_eq!(renewed.status(), 303);
    let expected = today.checked_add_months(chrono::Months::new(12)).expect("a date");
    assert_eq!(until(&app, "organizations", world.a().id).await, expected.to_string());
    // … and a year from its end for the early one.
    sha.get("/admin/renewals").await;
    let renewed = sha
        .post(&format!("/admin/renewals/merchant/{}", world.merchants[0].id), &[])
        .await;
    assert_eq!(renewed.status(), 303);
    let expected = soon.checked_add_months(chrono::Months::new(12)).expect("a date");
    assert_eq!(
        until(&app, "merchants", world.merchants[0].id).await,
        expected.to_string()
    );
    let (_, page) = sha.get("/admin/renewals").await;
    assert!(
        !page.contains("爱心商户0") && !page.contains("沙头角街道社工站"),
        "renewed ones leave the list"
    );
    assert_eq!(
        scalar_i64(
            &app.db,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'admission.renew' AND outcome = 'ok'"
        )
        .await,
        2
    );

    // A suspended party is not renewed; it must be admitted again.
    app.db
        .execute_unprepared(&format!(
            "UPDATE merchants SET status = 'suspended' WHERE id = {}",
            world.merchants[1].id
        ))
        .await
        .expect("suspend");
    let refused = sha
        .post(&format!("/admin/renewals/merchant/{}", world.merchants[1].id), &[])
        .await;
    assert_eq!(refused.status(), 409);
}

#[tokio::test]
async fn no_office_renews_across_subdistricts_and_the_bureau_only_reads() {
    let app = TestApp::spawn().await;
    let world = app.world(0).await;
    let now = Utc::now();
    organizations::create_community(&app.db, "田东社区", "Tiandong", "海山街道", "Haishan", now)
        .await
        .expect("Haishan");
    let ended = local_date(now) - Duration::days(1);
    app.db
        .execute_unprepared(&format!(
            "UPDATE organizations SET admitted_until = '{ended}' WHERE id = {}",
            world.a().id
        ))
        .await
        .expect("date");
    let mut hai = office(&app, "hai@example.org", Role::Admin, Some("Haishan")).await;
    let (_, page) = hai.get("/admin/renewals").await;
    assert!(!page.contains("沙头角街道社工站"), "{page}");
    assert_eq!(
        hai.get(&format!("/admin/renewals/organization/{}", world.a().id))
            .await
            .0,
        404
    );
    // Even the confirmation page it may not open is on record, against that organization.
    let denied = format!(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'admission.renew' AND outcome = 'denied' \
         AND subject_kind = 'organization' AND subject_id = '{}'",
        world.a().id
    );
    assert_eq!(scalar_i64(&app.db, &denied).await, 1, "the look at the confirmation");
    // A party that does not exist is not found all the same, and nothing is recorded of it.
    assert_eq!(
        hai.get(&format!("/admin/renewals/merchant/{}", world.a().id + 1000))
            .await
            .0,
        404
    );
    let refused = hai
        .post(&format!("/admin/renewals/organization/{}", world.a().id), &[])
        .await;
    assert_eq!(refused.status(), 404);
    assert_eq!(scalar_i64(&app.db, &denied).await, 2, "and the try to renew");
    assert_eq!(
        scalar_i64(
            &app.db,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'admission.renew' AND outcome = 'denied'"
        )
        .await,
        2
    );
    assert_eq!(until(&app, "organizations", world.a().id).await, ended.to_string());

    let mut bureau = office(&app, "bureau@example.org", Role::District, None).await;
    let (status, page) = bureau.get("/admin/renewals").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("沙头角街道社工站") && page.contains(r#"<td data-label="街道">沙头角街道</td>"#),
        "{page}"
    );
    assert!(
        !page.contains("/admin/renewals/organization/"),
        "no renew button for the bureau"
    );
    let refused = bureau
        .post(&format!("/admin/renewals/organization/{}", world.a().id), &[])
        .await;
    assert_eq!(refused.status(), 403);
    assert_eq!(until(&app, "organizations", world.a().id).await, ended.to_string());
}

#[tokio::test]
async fn admitting_a_party_starts_a_year_of_admission() {
    let app = TestApp::spawn().await;
    let world = app.world(0).await;
    let pending = app
        .merchant("新申请商户", charity_relay::domain::PartyStatus::Pending)
        .await;
    let mut sha = office(&app, "sha@example.org", Role::Admin, None).await;
    sha.get("/admin/merchants").await;
    let admitted = sha
        .post(
            &format!("/admin/merchants/{}/status", pending.id),
            &[("status", "approved")],
        )
        .await;
    assert_eq!(admitted.status(), 303);
    let expected = local_date(Utc::now())
        .checked_add_months(chrono::Months::new(12))
        .expect("a date");
    assert_eq!(until(&app, "merchants", pending.id).await, expected.to_string());
    let _ = world;
}

#[tokio::test]
async fn the_demo_shows_shatoujiaos_office_a_renewal_coming_and_one_overdue() {
    let app = TestApp::spawn().await;
    assert_eq!(app.cli(&["demo"], "").code, Some(0));
    let mut office = app.browser();
    let signed_in = office
        .sign_in("office@demo.charity-relay.org", charity_relay::demo::DEMO_PASSWORD)
        .await;
    assert_eq!(signed_in.status(), 303);
    let (_, page) = office.get("/admin/renewals").await;
    assert!(
        page.contains("沙头角爱心义工队") && page.contains("12 天后到期"),
        "{page}"
    );
    assert!(page.contains("万家福超市") && page.contains("已过期 3 天"), "{page}");
}

#[tokio::test]
async fn the_office_dashboard_opens_with_what_waits_in_admissions_and_a_workers_does_not() {
    let app = TestApp::spawn().await;
    assert_eq!(app.cli(&["demo"], "").code, Some(0));
    let mut office = app.browser();
    office
        .sign_in("office@demo.charity-relay.org", charity_relay::demo::DEMO_PASSWORD)
        .await;
    let (status, page) = office.get("/").await;
    assert_eq!(status, 200);
    let shatoujiao = "(SELECT subdistrict_id FROM staff WHERE email = 'office@demo.charity-relay.org')";
    let organizations = scalar_i64(
        &app.db,
        &format!("SELECT COUNT(*) FROM organization_applications WHERE status = 'submitted' AND subdistrict_id = {shatoujiao}"),
    )
    .await;
    let shops = scalar_i64(
        &app.db,
        &format!(
            "SELECT COUNT(*) FROM merchant_applications WHERE status = 'submitted' AND subdistrict_id = {shatoujiao}"
        ),
    )
    .await;
    assert!(
        organizations > 0 && shops > 0,
        "the demo has applications waiting in Shatoujiao"
    );
    assert!(page.contains("准入申请与年度复核"), "{page}");
    assert!(
        page.contains(&format!(
            r#"<a href="/admin/applications">{organizations} 份社会组织申请待审核</a>"#
        )),
        "{page}"
    );
    assert!(
        page.contains(&format!(
            r#"<a href="/admin/merchant-applications">{shops} 份爱心商户申请待审核</a>"#
        )),
        "{page}"
    );
    // The demo has one admission past its year and one ending in 12 days (see above).
    assert!(
        page.contains(r#"<a href="/admin/renewals">1 家的准入已到期，尚未续期</a>"#),
        "{page}"
    );
    assert!(
        page.contains(r#"<a href="/admin/renewals">1 家的准入 30 天内到期，待年度复核</a>"#),
        "{page}"
    );

    // A social worker's dashboard has no admissions.
    let worker = scalar_i64(&app.db, "SELECT COUNT(*) FROM staff WHERE role = 'social_worker'").await;
    assert!(worker > 0);
    let email: String = {
        let row = app
            .db
            .query_one_raw(sea_orm::Statement::from_string(
                app.db.get_database_backend(),
                "SELECT email FROM staff WHERE role = 'social_worker' ORDER BY id LIMIT 1".to_owned(),
            ))
            .await
            .expect("query")
            .expect("a worker");
        row.try_get_by_index(0).expect("email")
    };
    let mut worker = app.browser();
    worker.sign_in(&email, charity_relay::demo::DEMO_PASSWORD).await;
    let (_, mine) = worker.get("/").await;
    assert!(
        mine.contains("/needs/new") && !mine.contains("准入申请与年度复核"),
        "{mine}"
    );
}
