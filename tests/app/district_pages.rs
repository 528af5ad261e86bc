//! The district platform's pages as the office and a social worker read them: an empty list
//! says what that means and what to do next; both kinds of application are a tab apart, each
//! with how many wait; approving is asked with the normal button (only rejecting is red);
//! numbers come with their units and in the right number ("1 offer", "half within 2 days");
//! and a rejected applicant is told how to reach the office and how to apply again.

use crate::support::browser::Browser;
use crate::support::{TestApp, scalar_i64};
use charity_relay::domain::{Category, Locale};
use charity_relay::notify::templates::{Links, render};
use charity_relay::services::offers;
use chrono::Utc;

/// The office of the test world, signed in, speaking `lang`.
async fn office_in(app: &TestApp, lang: &str) -> Browser {
    let office = app.office_account().await;
    let browser = app.login(&office).await;
    browser.post("/settings/language", &[("lang", lang)]).await;
    browser
}

#[tokio::test]
async fn an_empty_list_says_what_it_means_and_what_to_do_next() {
    let app = TestApp::spawn().await;
    let _world = app.world(0).await;
    let mut office = office_in(&app, "zh-CN").await;

    let (status, page) = office.get("/admin/applications").await;
    assert_eq!(status, 200);
    assert!(
        page.contains(r#"<p class="empty">目前没有准入申请。"#) && page.contains(r#"href="/apply/organization""#),
        "no applications: where they come from, and the form to point organizations to: {page}"
    );
    assert!(!page.contains("<table"), "no empty table: {page}");
    let (_, page) = office.get("/admin/merchant-applications").await;
    assert!(
        page.contains(r#"<p class="empty">目前没有商户入驻申请。"#) && page.contains("/join"),
        "{page}"
    );
    let (_, page) = office.get("/admin/renewals").await;
    assert!(page.contains("不需要做什么"), "nothing due: nothing to do: {page}");
    assert!(!page.contains("<table"), "{page}");

    let mut worker = app.login("worker0@example.org").await;
    let (_, page) = worker.get("/resources").await;
    assert!(
        page.contains("资源库里还没有供给") && page.contains("/offers"),
        "an empty library says how shops fill it: {page}"
    );
    let (_, page) = worker.get("/resources?category=food").await;
    assert!(
        page.contains("没有符合所选条件的供给"),
        "a filter that finds nothing says to change it: {page}"
    );
    let (_, page) = worker.get("/credit").await;
    assert!(
        page.contains(r#"<p class="empty">近 12 个月还没有计入信用的记录"#),
        "a new organization is told why it is in band B: {page}"
    );
}

#[tokio::test]
async fn both_kinds_of_application_are_a_tab_apart_and_approving_is_not_asked_in_red() {
    let app = TestApp::spawn().await;
    let now = Utc::now();
    let demo = charity_relay::demo::load(&app.db, &app.config.secret_key, now)
        .await
        .expect("demo data");
    let (office, _) = demo
        .logins
        .iter()
        .find(|(_, role)| role.starts_with("admin"))
        .expect("a demo office");
    let mut browser = app.browser();
    let signed_in = browser.sign_in(office, charity_relay::demo::DEMO_PASSWORD).await;
    assert_eq!(signed_in.status().as_u16(), 303);

    // Two tabs over the two lists, each saying how many wait.
    let (_, organizations) = browser.get("/admin/applications").await;
    let (_, shops) = browser.get("/admin/merchant-applications").await;
    let tab = |count: i64, kind: &str| format!("{kind}（{count} 份待审核）");
    let mine = format!("(SELECT subdistrict_id FROM staff WHERE email = '{office}')");
    let orgs_waiting = scalar_i64(
        &app.db,
        &format!(
            "SELECT COUNT(*) FROM organization_applications WHERE status = 'submitted' AND subdistrict_id = {mine}"
        ),
    )
    .await;
    let shops_waiting = scalar_i64(
        &app.db,
        &format!("SELECT COUNT(*) FROM merchant_applications WHERE status = 'submitted' AND subdistrict_id = {mine}"),
    )
    .await;
    assert!(shops_waiting > 0, "the demo has a shop waiting");
    for page in [&organizations, &shops] {
        assert!(
            page.contains(&tab(orgs_waiting, "社会组织")) && page.contains(&tab(shops_waiting, "爱心商户")),
            "both tabs with their counts: {page}"
        );
        assert!(page.contains(r#"href="/admin/merchant-applications""#));
    }
    assert!(shops.contains(r#"<a href="/admin/merchant-applications" aria-current="page">"#));

    // Approving asks first with the normal button; rejecting keeps the red one.
    let shop = scalar_i64(
        &app.db,
        &format!("SELECT MIN(id) FROM merchant_applications WHERE status = 'submitted' AND subdistrict_id = {mine}"),
    )
    .await;
    let (status, approve) = browser
        .get(&format!("/admin/merchant-applications/{shop}/approve"))
        .await;
    assert_eq!(status, 200);
    assert!(approve.contains("<button>通过</button>"), "{approve}");
    assert!(!approve.contains(r#"class="danger""#), "{approve}");
    let (_, reject) = browser
        .get(&format!("/admin/merchant-applications/{shop}/reject"))
        .await;
    assert!(reject.contains(r#"<button class="danger">不通过</button>"#), "{reject}");
    let organization = scalar_i64(
        &app.db,
        &format!(
            "SELECT MIN(id) FROM organization_applications WHERE status = 'submitted' AND subdistrict_id = {mine}"
        ),
    )
    .await;
    let (status, approve) = browser
        .get(&format!("/admin/applications/{organization}/approve"))
        .await;
    assert_eq!(status, 200, "{approve}");
    assert!(approve.contains("<button>准入</button>"), "{approve}");
    assert!(!approve.contains(r#"class="danger""#), "{approve}");
    let (_, reject) = browser.get(&format!("/admin/applications/{organization}/reject")).await;
    assert!(
        reject.contains(r#"<button class="danger">不予准入</button>"#),
        "{reject}"
    );
}

#[tokio::test]
async fn the_library_and_the_report_speak_plainly_with_units_and_in_the_right_number() {
    let app = TestApp::spawn().await;
    let world = app.world(1).await;
    let new = offers::NewOffer {
        category: Category::Food,
        description: "每周两次热盒饭".into(),
        monthly_capacity: 20,
        community_ids: vec![world.community_id],
    };
    offers::add(&app.db, world.merchants[0].id, new, Utc::now())
        .await
        .expect("offer");

    let mut worker = app.login("worker0@example.org").await;
    let (_, page) = worker.get("/resources").await;
    assert!(page.contains("每月 20 份") && page.contains("本月还剩 20 份"), "{page}");
    worker.post("/settings/language", &[("lang", "en")]).await;
    let (_, page) = worker.get("/resources").await;
    assert!(page.contains("1 offer · page 1"), "one offer, not “1 offers”: {page}");
    assert!(
        page.contains("20 a month") && page.contains("20 left this month"),
        "{page}"
    );

    let mut office = office_in(&app, "zh-CN").await;
    let (_, page) = office.get("/admin/reports").await;
    assert!(
        page.contains("统计最近 12 周："),
        "the period says how many weeks: {page}"
    );
    assert!(!page.contains("P90") && !page.contains("最近几周"), "{page}");
    let (_, page) = office.get("/admin/reports?weeks=1").await;
    assert!(page.contains("统计最近 1 周："), "{page}");
    office.post("/settings/language", &[("lang", "en")]).await;
    let (_, page) = office.get("/admin/reports?weeks=1").await;
    assert!(page.contains("The last week: "), "{page}");
}

#[tokio::test]
async fn a_rejected_applicant_is_told_how_to_reach_the_office_and_how_to_apply_again() {
    let links = Links {
        public_url: "https://relay.example.org".into(),
        ..Links::default()
    };
    // A notice written before the office was kept says "the office of your subdistrict";
    // a new one names it.
    let old = serde_json::json!({
        "application_id": 4, "name": "海山长者关爱协会", "message": "服务范围不在本街道，请向所在街道申请。"
    });
    let mut named = old.clone();
    named["office"] = serde_json::json!(["海山街道", "Haishan"]);
    for (payload, office) in [
        (&old, None),
        (&named, Some(("海山街道办事处", "the Haishan subdistrict office"))),
    ] {
        for (locale, reach, again) in [
            (
                Locale::ZhCn,
                "可以致电或前往办事处咨询",
                "https://relay.example.org/apply/organization?lang=zh-CN",
            ),
            (
                Locale::En,
                "call it or visit it",
                "https://relay.example.org/apply/organization?lang=en",
            ),
        ] {
            let mail = render("application-rejected", locale, payload, &links).expect("render");
            for part in [&mail.text, &mail.html] {
                assert!(part.contains(reach) && part.contains(again), "{locale:?}: {part}");
                match office {
                    Some((zh, en)) => {
                        let name = if locale == Locale::ZhCn { zh } else { en };
                        assert!(part.contains(name), "{locale:?}: {part}");
                    }
                    None => assert!(
                        part.contains("所服务社区所属的街道办事处")
                            || part.contains("the subdistrict your communities belong to"),
                        "{locale:?}: {part}"
                    ),
                }
            }
        }
    }
}
