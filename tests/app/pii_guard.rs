//! A need's public text is read by every merchant: a phone split by any separator, and the beneficiary's own name,
//! form of address or address, are refused through the web form, the API and the edit path, and nothing is stored.

use chrono::Utc;
use serde_json::json;

use charity_relay::domain::need_input::NeedInput;
use charity_relay::entities::need;
use charity_relay::services::{ServiceError, needs};
use sea_orm::EntityTrait;

use crate::support::TestApp;
use crate::support::world::{PLANTED_NAME, PLANTED_PHONE};

// Each refused text with the field it goes into and the message that must stand beside it (zh-CN).
const REFUSED: &[(&str, &str, &str)] = &[
    ("description", "有事请打 138，0013，8000", "电话号码"),
    ("description", "一三八 零零一三 八零零零", "电话号码"),
    ("title", "王阿姨的降压药", "姓名或称呼"),
    ("description", "送到海山路1附近的服务点", "住址的一部分"),
];

#[tokio::test]
async fn a_split_phone_and_the_beneficiarys_own_details_are_refused_on_the_web_form() {
    let app = TestApp::spawn().await;
    let world = app.world(0).await;
    let mut browser = app.login("worker0@example.org").await;
    browser.get("/needs/new").await;
    let beneficiary = world.a().beneficiary_id.to_string();
    let own_name = format!("给{PLANTED_NAME}送药");
    let own_phone = format!("家属电话见 {}", &PLANTED_PHONE[4..]);
    let mut cases: Vec<(&str, &str, &str)> = REFUSED.to_vec();
    cases.push(("title", own_name.as_str(), "姓名或称呼"));
    cases.push(("description", own_phone.as_str(), "电话号码"));
    for (field, text, message) in cases {
        let mut fields = vec![
            ("beneficiary_id", beneficiary.as_str()),
            ("category", "medicine"),
            ("title", "降压药一个月用量"),
            ("description", "老人需要一个月的降压药。"),
            ("quantity", "1"),
            ("unit", "份"),
            ("deadline", "2099-01-01"),
            ("urgency", "urgent"),
        ];
        for f in fields.iter_mut().filter(|f| f.0 == field) {
            f.1 = text;
        }
        let response = browser.post("/needs", &fields).await;
        assert_eq!(response.status(), 422, "{text}");
        let page = response.text().await.expect("body");
        assert!(page.contains(&format!(r#"id="{field}-error""#)), "{text}: {page}");
        assert!(page.contains(message), "{text}: {page}");
        assert!(!page.contains(PLANTED_PHONE), "the registered phone is never echoed");
        assert_eq!(app.count("needs").await, 0, "{text}");
    }
}

#[tokio::test]
async fn the_api_refuses_the_same_and_names_the_field() {
    let app = TestApp::spawn().await;
    let world = app.world(0).await;
    for (field, text, _) in REFUSED {
        let mut body = json!({
            "beneficiary_id": world.a().beneficiary_id, "category": "food", "title": "大米", "description": "",
            "quantity": 2, "unit": "袋", "deadline": "2099-01-01",
        });
        body[*field] = json!(text);
        let (status, problem) = app.api("POST", "/api/v1/needs", &world.a().token, Some(body)).await;
        assert_eq!(status, 422, "{text}: {problem}");
        let errors = problem["errors"].as_array().expect("field errors");
        assert!(errors.iter().any(|e| e["field"] == *field), "{text}: {problem}");
        assert!(!problem.to_string().contains(PLANTED_NAME), "{problem}");
        assert_eq!(app.count("needs").await, 0, "{text}");
    }
}

#[tokio::test]
async fn an_edit_cannot_bring_the_beneficiarys_name_in() {
    let app = TestApp::spawn().await;
    let world = app.world(0).await;
    let need = app.post_need(world.a(), 3).await;
    let now = Utc::now();
    let input = NeedInput {
        beneficiary_id: world.a().beneficiary_id.to_string(),
        category: "food".into(),
        title: "王奶奶的米和油".into(),
        description: String::new(),
        quantity: "3".into(),
        unit: "袋".into(),
        deadline: (now + chrono::Duration::days(30)).date_naive().to_string(),
        ..Default::default()
    };
    let draft = input.parse(now.date_naive()).expect("no personal data of its own");
    let refused = needs::edit_need(&app.db, &app.config.secret_key, &world.a().worker, need, draft, now).await;
    let Err(ServiceError::Validation(errors)) = refused else {
        panic!("the edit went through: {refused:?}");
    };
    assert!(errors.get("title").is_some(), "{errors:?}");
    let stored = need::Entity::find_by_id(need)
        .one(&app.db)
        .await
        .expect("read")
        .expect("the need");
    assert_eq!(stored.title, "米和食用油", "the need is unchanged");
}
