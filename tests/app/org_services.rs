//! The office records what each organization offers, so that a case is referred only to an
//! organization that can help (Haishan's rules: people were referred again and again to
//! organizations that could not). A social worker cannot change it; a made-up area is refused.

use crate::support::{TestApp, scalar_i64};

async fn areas_of(app: &TestApp, org: i64) -> i64 {
    scalar_i64(
        &app.db,
        &format!("SELECT COUNT(*) FROM organization_services WHERE organization_id = {org}"),
    )
    .await
}

#[tokio::test]
async fn the_office_records_what_an_organization_offers_and_the_list_says_it_in_words() {
    let app = TestApp::spawn().await;
    let world = app.world(0).await;
    let org = world.b().id;
    let email = app.office_account().await;
    let mut office = app.login(&email).await;

    let (_, list) = office.get("/admin/organizations").await;
    assert!(list.contains(&format!("href=\"/admin/organizations/{org}/services\"")));
    assert!(
        list.contains("尚未登记服务范围"),
        "an organization without services says so"
    );
    let (status, form) = office.get(&format!("/admin/organizations/{org}/services")).await;
    assert_eq!(status, 200);
    assert!(form.contains("盐田区妇女互助会 的服务范围") && form.contains("长者照顾") && form.contains("法律援助"));

    let saved = office
        .post(
            &format!("/admin/organizations/{org}/services"),
            &[("areas", "elder_care"), ("areas", "legal_aid")],
        )
        .await;
    assert_eq!(saved.status(), 303);
    assert_eq!(areas_of(&app, org).await, 2);
    let (_, list) = office.get("/admin/organizations?saved=services").await;
    assert!(list.contains("服务范围已保存"));
    assert!(list.contains("长者照顾、法律援助"), "the list names what it offers");
    let (_, form) = office.get(&format!("/admin/organizations/{org}/services")).await;
    assert!(form.contains("value=\"elder_care\" checked") && !form.contains("value=\"housing\" checked"));

    // Changing it replaces the areas; the audit row keeps both lists.
    let saved = office
        .post(&format!("/admin/organizations/{org}/services"), &[("areas", "housing")])
        .await;
    assert_eq!(saved.status(), 303);
    assert_eq!(areas_of(&app, org).await, 1);
    let detail = scalar_i64(
        &app.db,
        "SELECT COUNT(*) FROM audit_log WHERE action = 'organization.services' AND outcome = 'ok' \
         AND detail LIKE '%\"before\":[\"elder_care\",\"legal_aid\"]%' AND detail LIKE '%\"after\":[\"housing\"]%'",
    )
    .await;
    assert_eq!(detail, 1, "the audit log says what changed");

    // In English too, and ticking none clears them.
    office.post("/settings/language", &[("lang", "en")]).await;
    let (_, form) = office.get(&format!("/admin/organizations/{org}/services")).await;
    assert!(form.contains("Housing and safety at home") && form.contains("receives no referrals"));
    let cleared = office.post(&format!("/admin/organizations/{org}/services"), &[]).await;
    assert_eq!(cleared.status(), 303);
    assert_eq!(areas_of(&app, org).await, 0);
}

#[tokio::test]
async fn a_social_worker_cannot_change_what_an_organization_offers() {
    let app = TestApp::spawn().await;
    let world = app.world(0).await;
    let org = world.a().id;
    let mut worker = app.login("worker0@example.org").await;

    assert_eq!(worker.get(&format!("/admin/organizations/{org}/services")).await.0, 403);
    let refused = worker
        .post(
            &format!("/admin/organizations/{org}/services"),
            &[("areas", "elder_care")],
        )
        .await;
    assert_eq!(refused.status(), 403);
    assert_eq!(areas_of(&app, org).await, 0, "nothing stored");
    let denied = scalar_i64(
        &app.db,
        "SELECT COUNT(*) FROM audit_log WHERE action = 'organization.services' AND outcome = 'denied'",
    )
    .await;
    assert_eq!(denied, 2, "both attempts are in the audit log");
}

#[tokio::test]
async fn an_area_not_on_the_list_is_refused_and_nothing_changes() {
    let app = TestApp::spawn().await;
    let world = app.world(0).await;
    let org = world.a().id;
    let email = app.office_account().await;
    let mut office = app.login(&email).await;
    office.get("/admin/organizations").await;
    let saved = office
        .post(&format!("/admin/organizations/{org}/services"), &[("areas", "medical")])
        .await;
    assert_eq!(saved.status(), 303);

    let refused = office
        .post(
            &format!("/admin/organizations/{org}/services"),
            &[("areas", "elder_care"), ("areas", "astrology")],
        )
        .await;
    assert_eq!(refused.status(), 422);
    let body = refused.text().await.expect("body");
    assert!(body.contains("不在列表里"), "{body}");
    assert!(
        body.contains("value=\"medical\" checked"),
        "the stored areas are shown again"
    );
    assert_eq!(areas_of(&app, org).await, 1, "nothing changed");

    let missing = office
        .post("/admin/organizations/999999/services", &[("areas", "medical")])
        .await;
    assert_eq!(missing.status(), 404);
    assert_eq!(office.get("/admin/organizations/999999/services").await.0, 404);
}
