//! Locked out at once: the office suspends an organization or a merchant, or deactivates one
//! staff account, and every way in stops working — open sessions, new sign-ins and API
//! tokens — until the office reinstates it. An account that is neither the office nor an
//! organization's social worker is refused, never taken for the office.

use crate::support::TestApp;
use crate::support::browser::{Browser, STAFF_PASSWORD};
use crate::support::scalar_i64;
use crate::support::world::Org;

const WORKER: &str = "worker0@example.org";

/// Where a page request of `browser` is sent: its status and `Location`.
async fn answer(browser: &Browser, path: &str) -> (u16, String) {
    let response = browser.raw_get(path).send().await.expect("GET");
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (response.status().as_u16(), location)
}

fn need_body(org: &Org) -> serde_json::Value {
    serde_json::json!({
        "beneficiary_id": org.beneficiary_id, "category": "food", "title": "米和食用油",
        "description": "低收入家庭本月需要大米和食用油。", "quantity": 2, "unit": "袋", "deadline": "2099-01-01",
    })
}

async fn live_sessions(app: &TestApp, email: &str) -> i64 {
    scalar_i64(
        &app.db,
        &format!(
            "SELECT COUNT(*) FROM web_sessions WHERE revoked_at IS NULL AND staff_id = (SELECT id FROM staff WHERE email = '{email}')"
        ),
    )
    .await
}

fn csrf_in(html: &str) -> String {
    let marker = r#"name="csrf" value=""#;
    let start = html.find(marker).expect("a form with a CSRF token") + marker.len();
    let end = html[start..].find('"').expect("end of the token");
    html[start..start + end].to_owned()
}

#[tokio::test]
async fn a_suspended_organization_is_locked_out_at_once_and_reinstating_lets_it_back_in() {
    let app = TestApp::spawn().await;
    let world = app.world(0).await;
    let org = world.a();
    let office_email = app.office_account().await;
    let office = app.login(&office_email).await;
    let mut worker = app.login(WORKER).await;
    let private_page = format!("/beneficiaries/{}", org.beneficiary_id);
    assert_eq!(worker.get(&private_page).await.0, 200);
    worker.get("/needs/new").await;
    let (status, _) = app.api("GET", "/api/v1/needs", &org.token, None).await;
    assert_eq!(status, 200);

    let response = office
        .post(
            &format!("/admin/organizations/{}/status", org.id),
            &[("status", "suspended"), ("reason", "资质到期")],
        )
        .await;
    assert_eq!(response.status(), 303);

    // The open session ended with the suspension, in the same transaction.
    assert_eq!(live_sessions(&app, WORKER).await, 0);
    assert_eq!(answer(&worker, &private_page).await, (303, "/login".to_owned()));
    let posted = worker
        .post(
            "/needs",
            &[
                ("beneficiary_id", &org.beneficiary_id.to_string()),
                ("category", "food"),
                ("title", "米和食用油"),
                ("quantity", "2"),
                ("unit", "袋"),
                ("deadline", "2099-01-01"),
            ],
        )
        .await;
    assert_eq!(posted.status(), 303);
    assert_eq!(posted.headers()["location"], "/login");
    assert_eq!(app.count("needs").await, 0, "nothing was posted");

    // A fresh sign-in with the right password is refused, and says why, in both languages.
    let mut again = app.browser();
    let refused = again.sign_in(WORKER, STAFF_PASSWORD).await;
    assert_eq!(refused.status(), 403);
    assert!(
        refused
            .text()
            .await
            .expect("body")
            .contains("您所在的机构已被暂停，请联系街道办")
    );
    again.get("/login").await;
    let refused_en = again
        .raw_post("/login")
        .header("Accept-Language", "en")
        .form(&[("email", WORKER), ("password", STAFF_PASSWORD), ("csrf", &again.csrf)])
        .send()
        .await
        .expect("POST");
    assert_eq!(refused_en.status(), 403);
    assert!(
        refused_en
            .text()
            .await
            .expect("body")
            .contains("Your organization is suspended; contact the subdistrict office.")
    );
    assert_eq!(answer(&again, &private_page).await, (303, "/login".to_owned()));
    assert_eq!(live_sessions(&app, WORKER).await, 0, "no session was opened");
    let audited = scalar_i64(
        &app.db,
        "SELECT COUNT(*) FROM audit_log WHERE action = 'staff.login' AND outcome = 'denied' AND actor_kind = 'staff'",
    )
    .await;
    assert_eq!(audited, 2, "each refused sign-in is audited as the account's");

    // Its API token is refused too, reading as well as writing.
    for (method, body) in [("POST", Some(need_body(org))), ("GET", None)] {
        let (status, json) = app.api(method, "/api/v1/needs", &org.token, body).await;
        assert_eq!(
            (status, json["type"].as_str()),
            (403, Some("organization-suspended")),
            "{method}: {json}"
        );
    }
    assert_eq!(app.count("needs").await, 0);

    // The other organization is not touched.
    let mut other = app.login("worker1@example.org").await;
    assert_eq!(other.get("/").await.0, 200);
    let (status, _) = app.api("GET", "/api/v1/needs", &world.b().token, None).await;
    assert_eq!(status, 200);

    // Reinstated: sign-in and the token work again.
    let response = office
        .post(
            &format!("/admin/organizations/{}/status", org.id),
            &[("status", "approved")],
        )
        .await;
    assert_eq!(response.status(), 303);
    let mut back = app.login(WORKER).await;
    assert_eq!(back.get(&private_page).await.0, 200);
    let (status, json) = app.api("POST", "/api/v1/needs", &org.token, Some(need_body(org))).await;
    assert_eq!(status, 201, "{json}");
    let (status, _) = app.api("GET", "/api/v1/needs", &org.token, None).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_suspended_merchants_token_cannot_read_needs_either() {
    let app = TestApp::spawn().await;
    let world = app.world(1).await;
    let need = app.post_need(world.a(), 2).await;
    let single = format!("/api/v1/needs/{need}");
    for path in ["/api/v1/needs", single.as_str()] {
        let (status, json) = app.api("GET", path, &world.suspended.token, None).await;
        assert_eq!(
            (status, json["type"].as_str()),
            (403, Some("merchant-not-approved")),
            "{path}"
        );
        let (status, _) = app.api("GET", path, &world.merchants[0].token, None).await;
        assert_eq!(status, 200, "an approved merchant reads {path}");
    }

    // Suspended on the office's page: refused at once; reinstated: reads again.
    let office_email = app.office_account().await;
    let office = app.login(&office_email).await;
    let merchant = &world.merchants[0];
    office
        .post(
            &format!("/admin/merchants/{}/status", merchant.id),
            &[("status", "suspended"), ("reason", "资质到期")],
        )
        .await;
    let (status, json) = app.api("GET", "/api/v1/needs", &merchant.token, None).await;
    assert_eq!((status, json["type"].as_str()), (403, Some("merchant-not-approved")));
    office
        .post(
            &format!("/admin/merchants/{}/status", merchant.id),
            &[("status", "approved")],
        )
        .await;
    let (status, _) = app.api("GET", "/api/v1/needs", &merchant.token, None).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn the_office_deactivates_an_account_after_asking_why_and_its_sessions_end() {
    let app = TestApp::spawn().await;
    let world = app.world(0).await;
    let staff_id = world.a().worker.staff_id().expect("a staff caller");
    let office_email = app.office_account().await;
    let mut office = app.login(&office_email).await;
    let mut worker = app.login(WORKER).await;

    let (status, list) = office.get("/admin/staff").await;
    assert_eq!(status, 200);
    assert!(list.contains(WORKER));
    let form = format!("/admin/staff/{staff_id}/deactivate");
    assert!(
        list.contains(&form),
        "the list links to the confirmation, not straight to the action"
    );

    // The confirmation asks for a reason; without one nothing happens.
    let (status, page) = office.get(&form).await;
    assert_eq!(status, 200);
    assert!(page.contains(r#"name="reason""#) && page.contains(WORKER));
    let blank = office.post(&form, &[("reason", "  ")]).await;
    assert_eq!(blank.status(), 422);
    assert!(blank.text().await.expect("body").contains("请填写停用原因"));
    assert_eq!(worker.get("/").await.0, 200, "still signed in");

    let done = office.post(&form, &[("reason", "离职")]).await;
    assert_eq!(done.status(), 303);
    assert_eq!(live_sessions(&app, WORKER).await, 0);
    assert_eq!(answer(&worker, "/").await, (303, "/login".to_owned()));
    let refused = app.browser().sign_in(WORKER, STAFF_PASSWORD).await;
    assert_eq!(
        refused.status(),
        401,
        "a deactivated account signs in like an unknown one"
    );
    let reason = scalar_i64(
        &app.db,
        &format!(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'staff.deactivate' AND subject_id = '{staff_id}' AND detail LIKE '%离职%'"
        ),
    )
    .await;
    assert_eq!(reason, 1, "the reason is in the audit log");

    // A social worker cannot reach the page.
    let mut other = app.login("worker1@example.org").await;
    assert_eq!(other.get("/admin/staff").await.0, 403);

    // Reactivated: signs in again.
    let back = office.post(&format!("/admin/staff/{staff_id}/reactivate"), &[]).await;
    assert_eq!(back.status(), 303);
    assert_eq!(app.browser().sign_in(WORKER, STAFF_PASSWORD).await.status(), 303);
}

#[tokio::test]
async fn deactivate_user_on_the_command_line_ends_the_sessions_and_names_an_unknown_email() {
    let app = TestApp::spawn().await;
    app.world(0).await;
    let worker = app.login(WORKER).await;

    let run = app.cli(&["admin", "deactivate-user", "--email", WORKER, "--reason", "left"], "");
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(
        run.last_line().starts_with("deactivated staff account") && run.last_line().contains("1 session(s) ended"),
        "{run:?}"
    );
    assert_eq!(answer(&worker, "/").await, (303, "/login".to_owned()));
    assert_eq!(app.browser().sign_in(WORKER, STAFF_PASSWORD).await.status(), 401);

    let unknown = app.cli(&["admin", "deactivate-user", "--email", "nobody@example.org"], "");
    assert_ne!(unknown.code, Some(0));
    assert_eq!(
        unknown.error_lines(),
        vec!["error: email: there is no staff account with the email nobody@example.org"]
    );

    let run = app.cli(&["admin", "reactivate-user", "--email", WORKER], "");
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(app.browser().sign_in(WORKER, STAFF_PASSWORD).await.status(), 303);
}

#[tokio::test]
async fn an_office_account_tied_to_an_organization_is_refused_not_taken_for_the_office() {
    let app = TestApp::spawn().await;
    let world = app.world(0).await;
    let office_email = app.office_account().await;
    let mut office = app.login(&office_email).await;
    // No command makes this shape (create-user refuses it); a hand-edited row must not pass.
    sea_orm::ConnectionTrait::execute_unprepared(
        &app.db,
        &format!(
            "UPDATE staff SET organization_id = {} WHERE email = '{office_email}'",
            world.a().id
        ),
    )
    .await
    .expect("update");
    assert_eq!(
        answer(&office, "/admin/organizations").await,
        (303, "/login".to_owned())
    );
    let refused = office.sign_in(&office_email, STAFF_PASSWORD).await;
    assert_eq!(refused.status(), 403);
    assert_eq!(
        answer(&office, "/admin/organizations").await,
        (303, "/login".to_owned())
    );

    let run = app.cli(
        &[
            "admin",
            "create-user",
            "--email",
            "boss@example.org",
            "--role",
            "admin",
            "--org",
            "某机构",
        ],
        STAFF_PASSWORD,
    );
    assert_eq!(run.code, Some(2), "{run:?}");
}

#[tokio::test]
async fn the_page_after_a_password_change_signs_out_with_its_own_form() {
    let app = TestApp::spawn().await;
    app.world(0).await;
    let mut worker = app.login(WORKER).await;
    worker.get("/settings/password").await;
    let changed = worker
        .post(
            "/settings/password",
            &[
                ("current_password", STAFF_PASSWORD),
                ("new_password", "another long secret 42"),
            ],
        )
        .await;
    assert_eq!(changed.status(), 200);
    let page = changed.text().await.expect("body");
    worker.csrf = csrf_in(&page);
    assert!(!worker.csrf.is_empty(), "the forms carry the new session's token");

    let out = worker.post("/logout", &[]).await;
    assert_eq!(out.status(), 303);
    assert_eq!(out.headers()["location"], "/login");
    assert_eq!(live_sessions(&app, WORKER).await, 0, "the session is ended");
    assert_eq!(answer(&worker, "/").await, (303, "/login".to_owned()));
}

#[tokio::test]
async fn every_operation_of_the_openapi_document_says_a_locked_out_token_gets_403() {
    let app = TestApp::spawn().await;
    let doc: serde_json::Value = app.get("/api/v1/openapi.json").await.json().await.expect("json");
    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("item") {
            let forbidden = &operation["responses"]["403"];
            let description = forbidden["description"].as_str().unwrap_or_default();
            assert!(
                description.contains("organization-suspended") && description.contains("merchant-not-approved"),
                "{method} {path}: {forbidden}"
            );
            assert!(
                forbidden["content"]["application/problem+json"].is_object(),
                "{method} {path}"
            );
            operations += 1;
        }
    }
    assert!(operations >= 10, "{operations}");
}

#[tokio::test]
async fn a_session_is_refused_even_when_the_suspension_did_not_end_it() {
    let app = TestApp::spawn().await;
    let world = app.world(0).await;
    let worker = app.login(WORKER).await;
    // Written behind the service's back: no session is revoked, yet the next request is refused.
    sea_orm::ConnectionTrait::execute_unprepared(
        &app.db,
        &format!(
            "UPDATE organizations SET status = 'suspended' WHERE id = {}",
            world.a().id
        ),
    )
    .await
    .expect("update");
    assert_eq!(live_sessions(&app, WORKER).await, 1);
    assert_eq!(answer(&worker, "/").await, (303, "/login".to_owned()));
}
