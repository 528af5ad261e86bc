//! A shop the office suspended cannot slip back in unnoticed under another number: when an
//! application has the business phone, or the shop name and community, of a suspended shop
//! (or of what that shop applied with), the office reads a warning naming it — and still
//! decides.

use charity_relay::domain::{Locale, Role};
use charity_relay::services::merchant_applications::{self, ApplicationDraft};
use charity_relay::services::{organizations, staff};
use chrono::Utc;

use crate::support::TestApp;
use crate::support::browser::{Browser, STAFF_PASSWORD};

/// Haishan's community (Shatoujiao's is the test world's), and Haishan's office signed in.
async fn haishan_office(app: &TestApp) -> (i64, Browser) {
    let now = Utc::now();
    app.world(0).await;
    let haishan = organizations::create_community(&app.db, "海山社区", "Haishan", "海山街道", "Haishan", now)
        .await
        .expect("community");
    let new = staff::NewUser {
        email: "haishan@example.org".into(),
        role: Role::Admin,
        organization: None,
        subdistrict: Some("海山街道".into()),
        password: STAFF_PASSWORD.into(),
    };
    staff::create_user(&app.db, new, now).await.expect("office");
    (haishan, app.login("haishan@example.org").await)
}

/// Chat `chat` applies for shop `name` of `community`, with `code` and `phone`.
async fn applies(app: &TestApp, chat: i64, name: &str, community: i64, code: &str, phone: &str) -> i64 {
    let draft = ApplicationDraft {
        shop_name: name.into(),
        category: "food".into(),
        community_id: community,
        credit_code: code.into(),
        phone: phone.into(),
        offer: "每周 10 袋大米".into(),
    };
    merchant_applications::submit(&app.db, chat, Locale::ZhCn, &draft, Utc::now())
        .await
        .expect("applied")
        .id
}

async fn page(office: &mut Browser, id: i64) -> String {
    let (status, html) = office.get(&format!("/admin/merchant-applications/{id}")).await;
    assert_eq!(status, 200, "{html}");
    html
}

#[tokio::test]
async fn a_suspended_shop_applying_again_under_another_number_is_named_to_the_office_which_still_decides() {
    let app = TestApp::spawn().await;
    let (haishan, mut office) = haishan_office(&app).await;
    // The shop applied with its 18-character code, was admitted, and later suspended.
    let first = applies(
        &app,
        1_001,
        "海山粮油店（海山路店）",
        haishan,
        "92440300MA5FXT4K34",
        "0755 2555 1234",
    )
    .await;
    let approved = office
        .post(&format!("/admin/merchant-applications/{first}/approve"), &[])
        .await;
    assert_eq!(approved.status(), 303);
    let shop = crate::support::scalar_i64(
        &app.db,
        &format!("SELECT merchant_id FROM merchant_applications WHERE id = {first}"),
    )
    .await;
    let suspended = office
        .post(
            &format!("/admin/merchants/{shop}/status"),
            &[("status", "suspended"), ("reason", "多次认领未送达")],
        )
        .await;
    assert_eq!(suspended.status(), 303);

    // From another chat, with its old 15-digit licence number and the same phone typed
    // another way, under a slightly different name.
    let by_phone = applies(&app, 1_002, "海山粮油", haishan, "440301000000003", "0755-25551234").await;
    let html = page(&mut office, by_phone).await;
    assert!(html.contains("可能是已暂停的商户再次申请"), "{html}");
    assert!(
        html.contains("这份申请与已暂停的商户「海山粮油店（海山路店）」（海山街道）业务电话相同。"),
        "{html}"
    );
    assert!(
        html.contains(&format!("href=\"/admin/merchants/{shop}/offers\"")),
        "{html}"
    );
    assert!(
        html.contains(&format!("/admin/merchant-applications/{by_phone}/approve")),
        "a warning, not a block: {html}"
    );
    // Where it decides, the office reads it again.
    let (_, ask) = office
        .get(&format!("/admin/merchant-applications/{by_phone}/approve"))
        .await;
    assert!(
        ask.contains("这家店与已暂停的商户「海山粮油店（海山路店）」相似"),
        "{ask}"
    );
    // In English too.
    office.post("/settings/language", &[("lang", "en")]).await;
    let html = page(&mut office, by_phone).await;
    assert!(
        html.contains(
            "This application has the same business phone as the suspended shop “海山粮油店（海山路店）” (Haishan)."
        ),
        "{html}"
    );
    office.post("/settings/language", &[("lang", "zh-CN")]).await;
    // The office rejects it; the shop tries once more with a new phone, the same name in
    // half-width brackets and the same community.
    let rejected = office
        .post(
            &format!("/admin/merchant-applications/{by_phone}/reject"),
            &[("reason", "与已暂停商户信息一致")],
        )
        .await;
    assert_eq!(rejected.status(), 303);
    let by_name = applies(
        &app,
        1_003,
        "海山粮油店 (海山路店)",
        haishan,
        "440301000000003",
        "138 0013 8000",
    )
    .await;
    let html = page(&mut office, by_name).await;
    assert!(
        html.contains("这份申请与已暂停的商户「海山粮油店（海山路店）」（海山街道）店名和所在社区相同。"),
        "{html}"
    );

    // A shop in credit band D, not suspended, is named as such.
    sea_orm::ConnectionTrait::execute_unprepared(
        &app.db,
        &format!("UPDATE merchants SET status = 'approved', credit_score = 30 WHERE id = {shop}"),
    )
    .await
    .expect("band D");
    let html = page(&mut office, by_name).await;
    assert!(html.contains("信用等级为 D 的商户「海山粮油店（海山路店）」"), "{html}");

    // Another shop, like it in nothing, reads no warning.
    let other = applies(
        &app,
        1_004,
        "海山面包坊",
        haishan,
        "92440300MA5FXT4K5A",
        "0755-25559999",
    )
    .await;
    let html = page(&mut office, other).await;
    assert!(!html.contains("可能是已暂停的商户"), "{html}");
}

#[tokio::test]
async fn a_suspended_shop_of_another_subdistrict_is_not_named_and_the_office_is_told_to_ask_there() {
    let app = TestApp::spawn().await;
    let (haishan, mut office) = haishan_office(&app).await;
    let shatoujiao = crate::support::scalar_i64(&app.db, "SELECT id FROM communities WHERE name = '东和社区'").await;
    let new = staff::NewUser {
        email: "shatoujiao@example.org".into(),
        role: Role::Admin,
        organization: None,
        subdistrict: Some("沙头角街道".into()),
        password: STAFF_PASSWORD.into(),
    };
    staff::create_user(&app.db, new, Utc::now()).await.expect("office");
    // Shatoujiao's office admitted a shop and later suspended it.
    let there = app.login("shatoujiao@example.org").await;
    let first = applies(
        &app,
        2_001,
        "东和粮油店",
        shatoujiao,
        "92440300MA5FXT4K34",
        "0755 2555 1234",
    )
    .await;
    let approved = there
        .post(&format!("/admin/merchant-applications/{first}/approve"), &[])
        .await;
    assert_eq!(approved.status(), 303);
    let shop = crate::support::scalar_i64(
        &app.db,
        &format!("SELECT merchant_id FROM merchant_applications WHERE id = {first}"),
    )
    .await;
    let suspended = there
        .post(
            &format!("/admin/merchants/{shop}/status"),
            &[("status", "suspended"), ("reason", "多次认领未送达")],
        )
        .await;
    assert_eq!(suspended.status(), 303);

    // It applies in Haishan with the same phone: Haishan's office is warned, but reads neither
    // the shop's name nor whether it is suspended or in band D, and gets no link to it.
    let again = applies(&app, 2_002, "海山粮油", haishan, "440301000000003", "0755-25551234").await;
    let html = page(&mut office, again).await;
    assert!(
        html.contains("沙头角街道有一家已暂停或受限的商户与这份申请业务电话相同；请向该街道办事处了解。"),
        "{html}"
    );
    assert!(!html.contains("东和粮油店"), "never its name: {html}");
    assert!(!html.contains("已暂停的商户「"), "never its status: {html}");
    assert!(!html.contains(&format!("/admin/merchants/{shop}/")), "no link: {html}");
    let (_, ask) = office
        .get(&format!("/admin/merchant-applications/{again}/approve"))
        .await;
    assert!(ask.contains("这家店与沙头角街道一家已暂停或受限的商户相似"), "{ask}");
    assert!(!ask.contains("东和粮油店"), "{ask}");
    office.post("/settings/language", &[("lang", "en")]).await;
    let html = page(&mut office, again).await;
    assert!(
        html.contains(
            "A shop suspended or restricted in Shatoujiao has the same business phone as this application; ask that subdistrict&#x27;s office."
        ) || html.contains(
            "A shop suspended or restricted in Shatoujiao has the same business phone as this application; ask that subdistrict&#39;s office."
        ),
        "{html}"
    );

    // Each look is recorded, with the shops it matched.
    let looks = crate::support::scalar_i64(
        &app.db,
        &format!(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'merchant_application.lookalike' \
             AND subject_id = '{again}' AND detail LIKE '%\"merchants\":[{shop}]%'"
        ),
    )
    .await;
    assert_eq!(looks, 3, "the page twice and the approval page once");
}
