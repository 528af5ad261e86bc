//! A social worker posts a need for the right person: names beside codes for their own organization, search,
//! "post a need" from a person's page, the estimated value and drop-off point, and editing until it is claimed.

use charity_relay::entities::drop_off_point;
use charity_relay::services::beneficiaries::{self, BeneficiaryInput};
use chrono::{Duration, Utc};
use sea_orm::{ActiveModelTrait, Set};

use crate::support::world::{Org, PLANTED_NAME, World};
use crate::support::{TestApp, scalar_i64};

/// Registers a person of `org` named `name`; returns their id and code.
async fn person(app: &TestApp, world: &World, org: &Org, name: &str) -> (i64, String) {
    let form = BeneficiaryInput {
        community_id: world.community_id.to_string(),
        group: "low_income_family".into(),
        full_name: name.into(),
        phone: String::new(),
        address: String::new(),
        notes: String::new(),
        id_number: String::new(),
        notify_email: String::new(),
        notify_consent: false,
        locale: "zh-CN".into(),
    };
    let registered = beneficiaries::register(&app.db, &app.config.secret_key, &org.worker, &form, Utc::now())
        .await
        .expect("register");
    (registered.id, registered.code)
}

/// A second drop-off point of `org`, with no opening hours; returns its id.
async fn second_point(app: &TestApp, world: &World, org: &Org) -> i64 {
    drop_off_point::ActiveModel {
        organization_id: Set(org.id),
        community_id: Set(Some(world.community_id)),
        name: Set("东和社区爱心驿站".into()),
        address: Set("东和路8号社区服务中心一楼".into()),
        opening_hours: Set(String::new()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .expect("point")
    .id
}

fn deadline() -> String {
    (Utc::now() + Duration::days(20)).date_naive().to_string()
}

#[tokio::test]
async fn the_need_form_names_the_workers_own_people_and_finds_them_by_name_or_code() {
    let app = TestApp::spawn().await;
    let world = app.world(0).await;
    let (li, li_code) = person(&app, &world, world.a(), "李桂兰").await;
    let (_, zhao_code) = person(&app, &world, world.a(), "赵建国").await;
    let (_, other_code) = person(&app, &world, world.b(), "孙明亮").await;

    let mut worker = app.login("worker0@example.org").await;
    let response = worker.raw_get("/needs/new").send().await.expect("GET");
    assert_eq!(response.headers()["cache-control"], "no-store", "the page shows names");
    let (status, page) = worker.get("/needs/new").await;
    assert_eq!(status, 200);
    assert!(
        page.contains(&format!("{li_code} · 李桂兰")) && page.contains(&format!("{zhao_code} · 赵建国")),
        "each of the worker's own people has the name beside the code: {page}"
    );
    assert!(
        !page.contains("孙明亮") && !page.contains(&other_code),
        "nobody of another organization"
    );

    // Searching, on the server and without script: by part of a name, then by code.
    let (_, found) = worker.get(&format!("/needs/new?q={}", urlencode("桂兰"))).await;
    assert!(found.contains("李桂兰") && !found.contains("赵建国"), "{found}");
    assert!(
        found.contains(&format!(r#"<option value="{li}" selected>"#)),
        "the only match is chosen"
    );
    let (_, by_code) = worker.get(&format!("/needs/new?q={}", zhao_code.to_lowercase())).await;
    assert!(by_code.contains("赵建国") && !by_code.contains("李桂兰"));
    let (_, none) = worker.get("/needs/new?q=nobody").await;
    assert!(
        none.contains("没有姓名或编号相符的受助人") && none.contains(r#"href="/needs/new""#),
        "{none}"
    );
    let (_, theirs) = worker.get(&format!("/needs/new?q={}", urlencode("孙明亮"))).await;
    assert!(
        !theirs.contains("· 孙明亮") && !theirs.contains(&other_code) && theirs.contains("没有姓名或编号相符的受助人"),
        "searching another organization's name finds nothing"
    );
    let shown = scalar_i64(
        &app.db,
        "SELECT COUNT(*) FROM audit_log WHERE action = 'beneficiary.names.read'",
    )
    .await;
    assert!(shown >= 5, "each page that shows names is audited: {shown}");

    // The office posts needs too, but sees codes only: names are the organization's.
    let office = app.office_account().await;
    let mut clerk = app.login(&office).await;
    let (status, page) = clerk.get("/needs/new").await;
    assert_eq!(status, 200);
    assert!(page.contains(&li_code) && !page.contains("李桂兰") && !page.contains(PLANTED_NAME));
}

#[tokio::test]
async fn post_a_need_from_a_persons_page_chooses_them_and_the_page_lists_their_needs() {
    let app = TestApp::spawn().await;
    let world = app.world(0).await;
    let (id, code) = person(&app, &world, world.a(), "李桂兰").await;
    let mut worker = app.login("worker0@example.org").await;
    let (_, page) = worker.get(&format!("/beneficiaries/{id}")).await;
    assert!(page.contains("还没有为这位受助人发布过需求"), "{page}");
    let link = format!("/needs/new?beneficiary={code}");
    assert!(page.contains(&link), "{page}");

    let (_, form) = worker.get(&link).await;
    let value = id.to_string();
    assert!(
        form.contains(&format!(r#"<option value="{id}" selected>"#)),
        "the person is chosen: {form}"
    );
    let due = deadline();
    let response = worker
        .post(
            "/needs",
            &[
                ("beneficiary_id", value.as_str()),
                ("category", "food"),
                ("title", "冬季棉被"),
                ("quantity", "2"),
                ("unit", "床"),
                ("deadline", due.as_str()),
            ],
        )
        .await;
    assert_eq!(response.status(), 303);
    let location = response.headers()["location"].to_str().expect("ascii").to_owned();
    let (_, page) = worker.get(&format!("/beneficiaries/{id}")).await;
    assert!(
        page.contains(&format!(r#"<a href="{location}">冬季棉被</a>"#)) && page.contains("待认领"),
        "the person's page lists the need with its status: {page}"
    );
}

#[tokio::test]
async fn the_need_form_takes_the_estimated_value_and_the_drop_off_point() {
    let app = TestApp::spawn().await;
    let world = app.world(0).await;
    let point = second_point(&app, &world, world.a()).await;
    let theirs = second_point(&app, &world, world.b()).await;
    let mut worker = app.login("worker0@example.org").await;
    let (_, form) = worker.get("/needs/new").await;
    assert!(
        form.contains(r#"name="estimated_value""#) && form.contains(&format!(r#"<option value="{point}">"#)),
        "{form}"
    );
    assert!(
        form.contains("东和社区爱心驿站 · 东和路8号社区服务中心一楼</option>"),
        "a point without hours reads cleanly: {form}"
    );
    assert!(form.contains("开放时间 9:00–18:00"), "a point with hours names them");
    assert!(
        !form.contains(&format!(r#"value="{theirs}""#)),
        "only the organization's own points"
    );

    let beneficiary = world.a().beneficiary_id.to_string();
    let due = deadline();
    let point_text = point.to_string();
    let theirs_text = theirs.to_string();
    let mut fields = vec![
        ("beneficiary_id", beneficiary.as_str()),
        ("category", "daily_goods"),
        ("title", "电热水壶"),
        ("quantity", "1"),
        ("unit", "个"),
        ("deadline", due.as_str()),
        ("estimated_value", "一百"),
        ("drop_off_point_id", theirs_text.as_str()),
    ];
    let response = worker.post("/needs", &fields).await;
    assert_eq!(response.status(), 422);
    let page = response.text().await.expect("body");
    assert!(
        page.contains(r#"id="estimated_value-error""#) && page.contains(r#"value="一百""#),
        "{page}"
    );
    fields[6] = ("estimated_value", "120");
    let response = worker.post("/needs", &fields).await;
    assert_eq!(response.status(), 422, "another organization's point is refused");
    let page = response.text().await.expect("body");
    assert!(page.contains(r#"id="drop_off_point_id-error""#), "{page}");
    assert_eq!(app.count("needs").await, 0);

    fields[7] = ("drop_off_point_id", point_text.as_str());
    let response = worker.post("/needs", &fields).await;
    assert_eq!(response.status(), 303);
    let need = scalar_i64(&app.db, "SELECT MAX(id) FROM needs").await;
    let stored = scalar_i64(
        &app.db,
        &format!("SELECT estimated_value_cents FROM needs WHERE id = {need}"),
    )
    .await;
    assert_eq!(stored, 12_000);
    let (_, page) = worker.get(&format!("/needs/{need}")).await;
    assert!(page.contains("东和社区爱心驿站"), "{page}");

    // The API reads and writes the same two fields.
    let (status, card) = app
        .api("GET", &format!("/api/v1/needs/{need}"), &world.a().token, None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(card["estimated_value"], 120);
    assert_eq!(card["drop_off"]["id"], point);
    let body = serde_json::json!({
        "beneficiary_id": world.a().beneficiary_id, "category": "food", "title": "大米两袋", "quantity": 2,
        "unit": "袋", "deadline": due, "estimated_value": 90, "drop_off_point_id": theirs,
    });
    let (status, problem) = app
        .api("POST", "/api/v1/needs", &world.a().token, Some(body.clone()))
        .await;
    assert_eq!(status, 422, "{problem}");
    assert!(problem.to_string().contains("drop_off_point_id"), "{problem}");
    let mut body = body;
    body["drop_off_point_id"] = point.into();
    let (status, card) = app.api("POST", "/api/v1/needs", &world.a().token, Some(body)).await;
    assert_eq!(status, 201, "{card}");
    assert_eq!(
        (card["estimated_value"].clone(), card["drop_off"]["id"].clone()),
        (90.into(), point.into())
    );
}

#[tokio::test]
async fn a_need_is_edited_until_something_of_it_is_claimed() {
    let app = TestApp::spawn().await;
    let world = app.world(1).await;
    let point = second_point(&app, &world, world.a()).await;
    let need = app.post_need(world.a(), 3).await;
    let mut worker = app.login("worker0@example.org").await;
    let (_, page) = worker.get(&format!("/needs/{need}")).await;
    let edit = format!("/needs/{need}/edit");
    assert!(
        page.contains(&format!(r#"href="{edit}""#)),
        "the need page offers the edit"
    );
    let (status, form) = worker.get(&edit).await;
    assert_eq!(status, 200);
    assert!(
        form.contains(r#"value="米和食用油""#) && form.contains(r#"value="3""#) && !form.contains("beneficiary_id"),
        "the form is filled in, and the person is not changed here: {form}"
    );

    let due = deadline();
    let point_text = point.to_string();
    let mut fields = vec![
        ("category", "food"),
        ("title", "米"),
        ("quantity", "4"),
        ("unit", "袋"),
        ("deadline", due.as_str()),
        ("estimated_value", "200"),
        ("drop_off_point_id", point_text.as_str()),
    ];
    let response = worker.post(&edit, &fields).await;
    assert_eq!(response.status(), 422);
    let page = response.text().await.expect("body");
    assert!(page.contains(r#"id="title-error""#) && page.contains(r#"value="4""#));
    fields[1] = ("title", "大米和花生油");
    let response = worker.post(&edit, &fields).await;
    assert_eq!(response.status(), 303);
    let (_, page) = worker.get(&format!("/needs/{need}")).await;
    assert!(page.contains("大米和花生油") && page.contains("东和社区爱心驿站") && page.contains("修改需求"));

    // Another organization's worker cannot see it to edit.
    let mut other = app.login("worker1@example.org").await;
    let (status, _) = other.get(&edit).await;
    assert_eq!(status, 404);
    assert_eq!(other.post(&edit, &fields).await.status(), 404);

    // Once a merchant claims part of it, the edit is refused with a clear page.
    let (status, _) = app.claim(&world.merchants[0].token, need, 1).await;
    assert_eq!(status, 201);
    let (_, page) = worker.get(&format!("/needs/{need}")).await;
    assert!(!page.contains(&format!(r#"href="{edit}""#)));
    let (status, page) = worker.get(&edit).await;
    assert_eq!(status, 409);
    assert!(
        page.contains("不能再改") && page.contains(&format!(r#"href="/needs/{need}""#)),
        "{page}"
    );
    fields[1] = ("title", "改了标题");
    let response = worker.post(&edit, &fields).await;
    assert_eq!(response.status(), 409);
    let (_, page) = worker.get(&format!("/needs/{need}")).await;
    assert!(page.contains("大米和花生油") && !page.contains("改了标题"));
}

fn urlencode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}
