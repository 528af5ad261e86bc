//! The first day of a new user (issue 14): form errors that say what is wrong and how to fix it, a login page
//! in the reader's language, titles that name the service once, a favicon, and demo data in one language.

use sea_orm::{ConnectionTrait, Statement};

use crate::support::{TestApp, scalar_i64};

fn error_of(page: &str, field: &str) -> String {
    let marker = format!(r#"id="{field}-error">"#);
    let start = page.find(&marker).map(|i| i + marker.len()).unwrap_or(page.len());
    let end = page[start..].find("</span>").map_or(start, |e| start + e);
    page[start..end].to_owned()
}

#[tokio::test]
async fn each_form_error_says_what_is_wrong_and_how_to_fix_it() {
    let app = TestApp::spawn().await;
    let world = app.world(0).await;
    let mut worker = app.login("worker0@example.org").await;
    worker.get("/beneficiaries/new").await;
    let community = world.community_id.to_string();
    let mut fields = vec![
        ("community_id", community.as_str()),
        ("group", "elderly_alone"),
        ("full_name", "周玉珍"),
        ("phone", "abc"),
        ("notify_email", "zhou at example"),
    ];
    let response = worker.post("/beneficiaries", &fields).await;
    assert_eq!(response.status(), 422);
    let page = response.text().await.expect("body");
    let email = error_of(&page, "notify_email");
    assert!(email.contains("name@example.com") && !email.contains("列表"), "{email}");
    let phone = error_of(&page, "phone");
    assert!(phone.contains("电话号码") && phone.contains("7 位数字"), "{phone}");

    fields[3] = ("phone", "0755-2345 6789");
    fields[4] = ("notify_email", "zhou@example.org");
    let response = worker.post("/beneficiaries", &fields).await;
    assert_eq!(response.status(), 422);
    let page = response.text().await.expect("body");
    let consent = error_of(&page, "notify_consent");
    assert!(consent.contains("勾选") && consent.contains("清空邮箱"), "{consent}");
    assert!(
        page.contains(r#"<span class="check"><input type="checkbox" name="notify_consent""#),
        "the box sits in a row with its words"
    );

    // Nothing chosen in a list says so, rather than "required".
    worker.get("/needs/new").await;
    let response = worker.post("/needs", &[("title", "冬衣")]).await;
    assert_eq!(response.status(), 422);
    let page = response.text().await.expect("body");
    assert!(error_of(&page, "beneficiary_id").contains("请从列表中选一项"), "{page}");

    // A volunteer's former beneficiary code that matches nobody names the code, not "the options".
    worker.get("/volunteers").await;
    let response = worker
        .post("/volunteers", &[("display_name", "小陈"), ("former_code", "B-ZZZZ")])
        .await;
    assert_eq!(response.status(), 422);
    let page = response.text().await.expect("body");
    assert!(page.contains("没有这个编号的受助人"), "{page}");
    let response = worker.post("/volunteers", &[("display_name", "小陈")]).await;
    assert_eq!(response.status(), 303);
    let volunteer = scalar_i64(&app.db, "SELECT MAX(id) FROM volunteers").await;
    let response = worker
        .post(
            &format!("/volunteers/{volunteer}/hours"),
            &[("activity", "陪老人就医"), ("hours", "0")],
        )
        .await;
    assert_eq!(response.status(), 422);
    let page = response.text().await.expect("body");
    assert!(
        page.contains("0.1 到 24 之间的小时数") && !page.contains("整数"),
        "hours take a decimal: {page}"
    );

    // Signing in with an empty field says what to fill in.
    let mut visitor = app.browser();
    visitor.get("/login").await;
    let response = visitor
        .post("/login", &[("email", "worker0@example.org"), ("password", "")])
        .await;
    assert_eq!(response.status(), 422);
    assert!(response.text().await.expect("body").contains("请填写电子邮箱和密码"));
}

#[tokio::test]
async fn typed_text_is_not_bold_and_a_checkbox_is_not_stretched() {
    let app = TestApp::spawn().await;
    let css = app.get("/static/app.css").await.text().await.expect("css");
    let inputs = css
        .lines()
        .find(|l| l.starts_with("input, select, textarea {"))
        .expect("the input rule");
    assert!(
        inputs.contains("font-weight: 400"),
        "labels are bold, what is typed is not"
    );
    assert!(css.contains(r#"input[type="checkbox"], input[type="radio"] { width: auto;"#));
}

#[tokio::test]
async fn the_login_page_switches_language_and_titles_name_the_service_once() {
    let app = TestApp::spawn().await;
    app.world(0).await;
    let mut visitor = app.browser();
    let (_, page) = visitor.get("/login").await;
    assert!(page.contains(r#"href="/login?lang=en""#) && page.contains(r#"href="/login?lang=zh-CN""#));
    assert!(page.contains("<title>登录 · 爱心接力</title>"), "{page}");
    assert!(page.contains(r#"<link rel="icon" href="/static/favicon.svg""#));
    let (_, english) = visitor.get("/login?lang=en").await;
    assert!(
        english.contains(r#"<html lang="en">"#) && english.contains("<title>Sign in · Charity Relay</title>"),
        "{english}"
    );
    assert!(
        english.contains(r#"action="/login?lang=en""#),
        "a retry stays in English"
    );
    let response = visitor
        .post(
            "/login?lang=en",
            &[("email", "worker0@example.org"), ("password", "not it")],
        )
        .await;
    assert_eq!(response.status(), 401);
    assert!(response.text().await.expect("body").contains("Wrong email or password"));

    let icon = app.get("/static/favicon.svg").await;
    assert_eq!(icon.status(), 200);
    assert_eq!(icon.headers()["content-type"], "image/svg+xml");
    assert!(icon.text().await.expect("svg").starts_with("<svg"));

    // A page whose own title carries the service's name does not get it twice.
    let (_, public) = visitor.get("/transparency").await;
    let title = &public[public.find("<title>").expect("title")..public.find("</title>").expect("end")];
    assert_eq!(title.matches("爱心接力").count(), 1, "{title}");
}

/// How many staff accounts with `email` have `locale` stored.
async fn stored_locale_is(app: &TestApp, email: &str, locale: &str) -> bool {
    scalar_i64(
        &app.db,
        &format!("SELECT COUNT(*) FROM staff WHERE email = '{email}' AND locale = '{locale}'"),
    )
    .await
        == 1
}

/// Opens `/login?lang=…` (or `/login`), signs in from it as worker0 and returns the page after.
async fn sign_in_from(app: &TestApp, login: &str, password: &str) -> (u16, String) {
    let mut visitor = app.browser();
    visitor.get(login).await;
    let response = visitor
        .post(login, &[("email", "worker0@example.org"), ("password", password)])
        .await;
    if response.status() != 303 {
        return (response.status().as_u16(), response.text().await.expect("body"));
    }
    visitor.get("/").await
}

#[tokio::test]
async fn the_language_chosen_at_sign_in_carries_into_the_session_and_stays_with_the_account() {
    let app = TestApp::spawn().await;
    app.world(0).await;
    let email = "worker0@example.org";
    let password = crate::support::browser::STAFF_PASSWORD;
    // A social worker whose account reads Chinese.
    let worker = app.login(email).await;
    worker.post("/settings/language", &[("lang", "zh-CN")]).await;
    assert!(stored_locale_is(&app, email, "zh-CN").await);

    // A wrong password from the English page is answered in English and changes nothing.
    let (status, refused) = sign_in_from(&app, "/login?lang=en", "not it").await;
    assert_eq!(status, 401);
    assert!(refused.contains("Wrong email or password"), "{refused}");
    assert!(stored_locale_is(&app, email, "zh-CN").await);

    // Signing in from the English page: the dashboard is in English, and so is the account.
    let (status, dashboard) = sign_in_from(&app, "/login?lang=en", password).await;
    assert_eq!(status, 200);
    assert!(
        dashboard.contains(r#"<html lang="en">"#) && dashboard.contains("Sign out"),
        "{dashboard}"
    );
    assert!(stored_locale_is(&app, email, "en").await);
    // The next sign-in, from the plain page, stays in English.
    let (_, next) = sign_in_from(&app, "/login", password).await;
    assert!(next.contains(r#"<html lang="en">"#), "{next}");

    // A language the page does not offer is ignored.
    let (_, unknown) = sign_in_from(&app, "/login?lang=fr", password).await;
    assert!(unknown.contains(r#"<html lang="en">"#), "{unknown}");
    assert!(stored_locale_is(&app, email, "en").await);

    // And back: from the Chinese page, Chinese pages and a Chinese account.
    let (status, chinese) = sign_in_from(&app, "/login?lang=zh-CN", password).await;
    assert_eq!(status, 200);
    assert!(
        chinese.contains(r#"<html lang="zh-CN">"#) && chinese.contains("退出"),
        "{chinese}"
    );
    assert!(stored_locale_is(&app, email, "zh-CN").await);
}

#[tokio::test]
async fn the_demo_speaks_one_language_per_field() {
    let app = TestApp::spawn().await;
    let run = app.cli(&["demo"], "");
    assert_eq!(run.code, Some(0), "{run:?}");
    // The demo is a Chinese subdistrict: its free text is Chinese only, not "周一至周六 / Mon–Sat".
    for (table, column) in [
        ("drop_off_points", "name"),
        ("drop_off_points", "address"),
        ("drop_off_points", "opening_hours"),
        ("volunteer_hours", "activity"),
        ("needs", "title"),
        ("needs", "description"),
        ("needs", "unit"),
        ("merchants", "trade"),
        ("volunteers", "display_name"),
    ] {
        let rows = app
            .db
            .query_all_raw(Statement::from_string(
                app.db.get_database_backend(),
                format!("SELECT {column} FROM {table}"),
            ))
            .await
            .expect("query");
        assert!(!rows.is_empty(), "{table}");
        for row in rows {
            let text: String = row.try_get_by_index(0).expect("text");
            assert!(
                !text.contains(" / ") && !text.chars().any(|c| c.is_ascii_alphabetic()),
                "{table}.{column}: {text}"
            );
        }
    }
}

#[tokio::test]
async fn an_overdue_pledge_of_hours_on_the_dashboard_speaks_of_service_time_not_delivery() {
    let app = TestApp::spawn().await;
    let world = app.world(1).await;
    let need = app
        .post_need_of(world.a(), "volunteer_hours", "陪伴老人散步", 4, "小时")
        .await;
    let (status, body) = app.claim(&world.merchants[0].token, need, 2).await;
    assert_eq!(status, 201, "{body}");
    let claim_id = body["id"].as_i64().expect("id");
    two_hours_past_due(&app, claim_id).await;

    let mut worker = app.login("worker0@example.org").await;
    let (status, page) = worker.get("/").await;
    assert_eq!(status, 200);
    let overdue = page
        .split("已逾期的认领")
        .nth(1)
        .and_then(|rest| rest.split("<h2>").next())
        .expect("the overdue section");
    assert!(overdue.contains("陪伴老人散步"), "the pledge is overdue: {overdue}");
    assert!(
        overdue.contains("服务时间") && !overdue.contains("送达"),
        "hours are served by a time, not delivered: {overdue}"
    );
}

#[tokio::test]
async fn the_need_page_marks_a_claim_past_its_due_time_as_overdue_and_no_other() {
    let app = TestApp::spawn().await;
    let world = app.world(2).await;
    let need = app.post_need_of(world.a(), "food", "冬季大米", 4, "袋").await;
    let (_, late) = app.claim(&world.merchants[0].token, need, 2).await;
    let (_, on_time) = app.claim(&world.merchants[1].token, need, 2).await;
    let late = late["id"].as_i64().expect("id");
    two_hours_past_due(&app, late).await;

    let mut worker = app.login("worker0@example.org").await;
    for (lang, word) in [("zh-CN", "已逾期"), ("en", "Overdue")] {
        worker.post("/settings/language", &[("lang", lang)]).await;
        let (status, page) = worker.get(&format!("/needs/{need}")).await;
        assert_eq!(status, 200);
        let card = |id: &serde_json::Value| {
            page.split(&format!("id=\"claim-{id}\""))
                .nth(1)
                .and_then(|rest| rest.split("</article>").next())
                .unwrap_or_default()
                .to_owned()
        };
        assert!(card(&late.into()).contains(word), "{lang}: {}", card(&late.into()));
        assert!(!card(&on_time["id"]).contains(word), "{lang}: {}", card(&on_time["id"]));
    }
}

/// Moves a claim's due time two hours into the past.
async fn two_hours_past_due(app: &TestApp, claim_id: i64) {
    use charity_relay::entities::claim;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
    claim::Entity::update_many()
        .col_expr(
            claim::Column::DueAt,
            Expr::value(chrono::Utc::now() - chrono::Duration::hours(2)),
        )
        .filter(claim::Column::Id.eq(claim_id))
        .exec(&app.db)
        .await
        .expect("past due");
}
