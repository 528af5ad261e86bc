//! A real browser: headless Chromium driven through chromedriver (Debian's `chromium` and
//! `chromium-driver`, installed by `scripts/test.sh`). Ignored by a plain `cargo test`;
//! `scripts/test.sh` runs it with `--ignored`. Screenshots go to `target/screenshots/`.

#[path = "browser/poster.rs"]
mod poster;
mod support;
#[path = "browser/tour.rs"]
mod tour;

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use support::TestApp;
use support::browser::STAFF_PASSWORD;

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn chromedriver() -> (Driver, String) {
    let port = TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port();
    let mut child = Command::new(std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into()))
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver is installed (Debian chromium-driver; scripts/test.sh installs it)");
    let url = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        if reqwest::get(format!("{url}/status")).await.is_ok() {
            return (Driver(child), url);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("chromedriver did not start");
}

async fn browser(driver: &str, mobile: bool) -> Client {
    let mut options = serde_json::json!({
        "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=1200,900", "--lang=zh-CN", "--accept-lang=zh-CN"],
    });
    if let Ok(binary) = std::env::var("CHROMIUM") {
        options["binary"] = binary.into();
    }
    if mobile {
        options["mobileEmulation"] =
            serde_json::json!({ "deviceMetrics": { "width": 360, "height": 740, "pixelRatio": 2 } });
    }
    let mut caps = serde_json::Map::new();
    caps.insert("goog:chromeOptions".into(), options);
    // chromedriver listens on loopback over plain HTTP: no TLS stack (and no second
    // rustls crypto provider) is needed to drive it.
    ClientBuilder::new(HttpConnector::new())
        .capabilities(caps)
        .connect(driver)
        .await
        .expect("a browser session")
}

fn screenshots() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

async fn shot(client: &Client, name: &str) {
    let png = client.screenshot().await.expect("screenshot");
    std::fs::write(screenshots().join(format!("{name}.png")), png).expect("write screenshot");
}

async fn fill(client: &Client, name: &str, value: &str) {
    let field = client
        .find(Locator::Css(&format!("[name='{name}']")))
        .await
        .expect(name);
    field.clear().await.expect("clear");
    field.send_keys(value).await.expect("type");
}

async fn choose(client: &Client, name: &str, value: &str) {
    let select = client
        .find(Locator::Css(&format!("select[name='{name}']")))
        .await
        .expect(name);
    select.select_by_value(value).await.expect("select");
}

/// A date input takes typed keys in the browser's own date format; set its value instead.
async fn set_date(client: &Client, name: &str, value: &str) {
    client
        .execute(
            "document.querySelector(`[name='${arguments[0]}']`).value = arguments[1]",
            vec![serde_json::json!(name), serde_json::json!(value)],
        )
        .await
        .expect("set the date");
}

/// Fills the need form but the beneficiary: one portion, due far ahead.
async fn fill_need(client: &Client, category: &str, title: &str, description: &str) {
    choose(client, "category", category).await;
    fill(client, "title", title).await;
    fill(client, "description", description).await;
    fill(client, "quantity", "1").await;
    fill(client, "unit", "份").await;
    set_date(client, "deadline", "2099-01-01").await;
}

async fn submit(client: &Client, form_action: &str) {
    let button = client
        .find(Locator::Css(&format!("form[action='{form_action}'] button")))
        .await
        .expect("button");
    button.click().await.expect("click");
}

/// The path once the browser has navigated to one starting with `prefix` (a click returns
/// before the next page has loaded).
async fn path_after_navigation(client: &Client, prefix: &str) -> String {
    let mut path = String::new();
    for _ in 0..100 {
        path = client.current_url().await.expect("url").path().to_owned();
        // The forms themselves (`/needs/new`, `/beneficiaries/new`) are where we come from.
        if path.starts_with(prefix)
            && !["/needs", "/beneficiaries", "/needs/new", "/beneficiaries/new"].contains(&path.as_str())
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    path
}

async fn sign_in(client: &Client, app: &TestApp) {
    sign_in_as(client, app, "worker0@example.org").await;
}

async fn sign_in_as(client: &Client, app: &TestApp, email: &str) {
    client.delete_all_cookies().await.expect("cookies");
    client.goto(&app.url("/login")).await.expect("login page");
    fill(client, "email", email).await;
    fill(client, "password", STAFF_PASSWORD).await;
    submit(client, "/login").await;
    for _ in 0..100 {
        if client.current_url().await.expect("url").path() == "/" {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
#[ignore = "needs chromium and chromium-driver; run by scripts/test.sh"]
async fn a_social_worker_registers_someone_and_posts_a_need_in_a_real_browser() {
    let app = TestApp::spawn().await;
    let world = app.world(0).await;
    let (_driver, url) = chromedriver().await;
    let client = browser(&url, false).await;

    sign_in(&client, &app).await;
    assert_eq!(client.current_url().await.expect("url").path(), "/");
    shot(&client, "dashboard").await;

    client.goto(&app.url("/beneficiaries/new")).await.expect("form");
    choose(&client, "community_id", &world.community_id.to_string()).await;
    choose(&client, "group", "elderly_alone").await;
    fill(&client, "full_name", "陈阿婆").await;
    fill(&client, "phone", "13800000001").await;
    fill(&client, "address", "东和社区某栋").await;
    shot(&client, "beneficiary-form").await;
    submit(&client, "/beneficiaries").await;
    let path = path_after_navigation(&client, "/beneficiaries/").await;
    assert!(path.starts_with("/beneficiaries/"), "registered: {path}");
    let beneficiary_id = path.trim_start_matches("/beneficiaries/").to_owned();

    client.goto(&app.url("/needs/new")).await.expect("need form");
    choose(&client, "beneficiary_id", &beneficiary_id).await;
    fill_need(&client, "medicine", "降压药一个月用量", "请联系 138 0013 8000").await;
    submit(&client, "/needs").await;

    let error = client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Id("description-error"))
        .await
        .expect("the error is beside the description");
    assert!(!error.text().await.expect("text").is_empty());
    let title = client
        .find(Locator::Css("[name='title']"))
        .await
        .expect("title")
        .prop("value")
        .await
        .expect("value");
    assert_eq!(title.as_deref(), Some("降压药一个月用量"), "the other values are kept");
    shot(&client, "need-form-error").await;

    fill(&client, "description", "老人需要一个月的降压药，社工陪同取药。").await;
    submit(&client, "/needs").await;
    let path = path_after_navigation(&client, "/needs/").await;
    shot(&client, "need-page").await;
    assert!(path.starts_with("/needs/"), "posted: {path}");
    client.goto(&app.url("/needs")).await.expect("board");
    let board = client.source().await.expect("source");
    assert!(board.contains("降压药一个月用量"), "the need is on the board");
    shot(&client, "needs-board").await;
    client.close().await.expect("close");
}

#[tokio::test]
#[ignore = "needs chromium and chromium-driver; run by scripts/test.sh"]
async fn every_page_fits_a_360_px_wide_phone() {
    let app = TestApp::spawn().await;
    let world = app.world(1).await;
    let need = app.post_need(world.a(), 3).await;
    let (_driver, url) = chromedriver().await;
    let client = browser(&url, true).await;
    sign_in(&client, &app).await;
    for (path, name) in [
        ("/".to_owned(), "phone-dashboard"),
        ("/needs".to_owned(), "phone-needs"),
        ("/needs/new".to_owned(), "phone-need-form"),
        (format!("/needs/{need}"), "phone-need-page"),
        ("/beneficiaries".to_owned(), "phone-beneficiaries"),
        ("/beneficiaries/new".to_owned(), "phone-beneficiary-form"),
        (
            format!("/beneficiaries/{}", world.a().beneficiary_id),
            "phone-beneficiary",
        ),
        ("/volunteers".to_owned(), "phone-volunteers"),
    ] {
        client.goto(&app.url(&path)).await.expect("page");
        let width = client.execute("return window.innerWidth", vec![]).await.expect("width");
        assert_eq!(width.as_i64(), Some(360), "the window is a phone's");
        let fits = client
            .execute(
                "return document.documentElement.scrollWidth <= window.innerWidth",
                vec![],
            )
            .await
            .expect("script");
        shot(&client, name).await;
        assert_eq!(
            fits,
            serde_json::Value::Bool(true),
            "{path} overflows horizontally at 360 px"
        );
    }
    client.close().await.expect("close");
}

/// Every email's HTML part, in both languages, opened in the real browser at 360 px: it
/// fits the phone, shows buttons instead of raw URLs, and its picture is saved under
/// `docs/screenshots/email/`. Then the pages an email links to, in the same look.
#[tokio::test]
#[ignore = "needs chromium and chromium-driver; run by scripts/test.sh"]
async fn every_email_and_the_resident_pages_fit_a_360_px_wide_phone() {
    use charity_relay::domain::Locale;
    use charity_relay::notify::templates::{KINDS, Links, render};
    use charity_relay::services::contacts;

    let app = TestApp::spawn().await;
    let _world = app.world(0).await;
    let out = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots/email");
    std::fs::create_dir_all(&out).expect("screenshot dir");
    let pages = tempfile::tempdir().expect("tempdir");
    let (_driver, url) = chromedriver().await;
    let client = browser(&url, true).await;

    // A long public URL and token, as in production: they must not widen anything.
    let public_url = "https://relay.shatoujiao.example.org";
    let token = "0123456789abcdef".repeat(4);
    let mut hours = support::mail_samples::sample("resident-need-claimed");
    hours["title"] = "陪同长者到社康中心复诊，并协助取药和预约下次检查".into();
    hours["unit"] = "小时".into();
    hours["category"] = "volunteer_hours".into();
    let mut cases: Vec<(String, &str, serde_json::Value)> = KINDS
        .iter()
        .map(|k| (k.to_string(), *k, support::mail_samples::sample(k)))
        .collect();
    cases.push(("resident-need-claimed-hours".into(), "resident-need-claimed", hours));
    for locale in &Locale::ALL {
        for (name, kind, payload) in &cases {
            let resident = !kind.starts_with("worker-");
            let links = Links {
                public_url: public_url.into(),
                unsubscribe_url: resident.then(|| format!("{public_url}/unsubscribe/{token}")),
                confirm_url: Some(format!("{public_url}/consent/{token}")),
                organization: resident.then(|| "沙头角街道社工站".to_owned()),
                signup_urls: vec![
                    (4, format!("{public_url}/e/3/join?v=9&r=4&s={token}")),
                    (5, format!("{public_url}/e/3/join?v=9&r=5&s={token}")),
                ],
                cancel_url: Some(format!("{public_url}/e/3/cancel?v=9&s={token}")),
            };
            let rendered = render(kind, *locale, payload, &links).expect("render");
            let file = pages.path().join(format!("{name}.{locale}.html"));
            std::fs::write(&file, &rendered.html).expect("write the email");
            client
                .goto(&format!("file://{}", file.display()))
                .await
                .expect("open the email");
            let width = client.execute("return window.innerWidth", vec![]).await.expect("width");
            assert_eq!(width.as_i64(), Some(360), "the window is a phone's");
            let fits = client
                .execute(
                    "return document.documentElement.scrollWidth <= window.innerWidth",
                    vec![],
                )
                .await
                .expect("script");
            let visible = client
                .execute("return document.body.innerText", vec![])
                .await
                .expect("text");
            let png = client.screenshot().await.expect("screenshot");
            std::fs::write(out.join(format!("{name}.{locale}.png")), png).expect("write screenshot");
            assert_eq!(
                fits,
                serde_json::Value::Bool(true),
                "{name} {locale} overflows at 360 px"
            );
            let visible = visible.as_str().unwrap_or_default();
            assert!(!visible.contains("http"), "{name} {locale} shows a raw URL: {visible}");
            // An applicant's mail is about its own application and names no organization.
            if resident && !kind.starts_with("application-") {
                assert!(
                    visible.contains("沙头角街道社工站"),
                    "{name} {locale} names the organization"
                );
            }
        }
    }

    // The pages behind the links, for a real contact of the test world.
    let contact: i64 = support::world::contact_id(&app, "resident0@example.org").await;
    let confirm = contacts::issue_confirm_token(&app.db, contact, chrono::Utc::now())
        .await
        .expect("a confirmation token");
    let unsubscribe = contacts::unsubscribe_token(&app.config.secret_key, contact);
    for locale in &Locale::ALL {
        // The pages speak the contact's language.
        use sea_orm::ConnectionTrait;
        app.db
            .execute_raw(charity_relay::db::statement(
                &app.db,
                "UPDATE contacts SET locale = ? WHERE id = ?",
                vec![locale.as_str().into(), contact.into()],
            ))
            .await
            .expect("set the language");
        for (path, name) in [
            (format!("/consent/{confirm}"), "page-consent"),
            (format!("/unsubscribe/{unsubscribe}"), "page-unsubscribe"),
        ] {
            client.goto(&app.url(&path)).await.expect("page");
            let styled = client
                .execute(
                    "return getComputedStyle(document.querySelector('.head')).backgroundColor",
                    vec![],
                )
                .await
                .expect("style");
            let fits = client
                .execute(
                    "return document.documentElement.scrollWidth <= window.innerWidth",
                    vec![],
                )
                .await
                .expect("script");
            let png = client.screenshot().await.expect("screenshot");
            std::fs::write(out.join(format!("{name}.{locale}.png")), png).expect("write screenshot");
            assert_eq!(
                styled.as_str(),
                Some("rgb(11, 110, 79)"),
                "{path}: the stylesheet loads under the page's policy"
            );
            assert_eq!(fits, serde_json::Value::Bool(true), "{path} overflows at 360 px");
            let text = client.source().await.expect("source");
            assert!(text.contains("沙头角街道社工站"), "{path} names the organization");
        }
    }
    client.close().await.expect("close");
}

/// The visible text of the page, once it has loaded (a click returns while the next page may
/// still be loading).
async fn visible_text(client: &Client) -> String {
    for _ in 0..100 {
        let ready = client
            .execute("return document.readyState === 'complete'", vec![])
            .await
            .unwrap_or_default();
        if ready == serde_json::Value::Bool(true) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    client
        .execute("return document.body.innerText", vec![])
        .await
        .expect("text")
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// The path once the browser has left `from` (a click returns before the next page loads).
async fn path_after_leaving(client: &Client, from: &str) -> String {
    let mut path = String::new();
    for _ in 0..100 {
        path = client.current_url().await.expect("url").path().to_owned();
        if path != from {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    path
}

/// Issue 16 end to end: a visit, a need posted from it, the case referred with that need,
/// and the other organization's worker accepting it and opening the case file.
#[tokio::test]
#[ignore = "needs chromium and chromium-driver; run by scripts/test.sh"]
async fn a_visit_becomes_a_need_and_a_referral_the_other_organization_accepts_in_a_real_browser() {
    use support::world::PLANTED_NAME;

    let app = TestApp::spawn().await;
    let world = app.world(0).await;
    let office = app.office_account().await;
    let case = world.a().beneficiary_id;
    let receiver = world.b().id;
    let (_driver, url) = chromedriver().await;
    let client = browser(&url, false).await;

    // The office records what the receiving organization offers: without it, nobody may
    // refer a case to it.
    sign_in_as(&client, &app, &office).await;
    let services = format!("/admin/organizations/{receiver}/services");
    client.goto(&app.url(&services)).await.expect("services form");
    client
        .find(Locator::Css("input[name='areas'][value='elder_care']"))
        .await
        .expect("an elder care box")
        .click()
        .await
        .expect("tick");
    submit(&client, &services).await;
    path_after_leaving(&client, &services).await;
    client.goto(&app.url(&services)).await.expect("services form again");
    let ticked = client
        .find(Locator::Css("input[name='areas'][value='elder_care']"))
        .await
        .expect("box")
        .prop("checked")
        .await
        .expect("checked");
    assert_eq!(ticked.as_deref(), Some("true"), "the office's choice is kept");

    // The social worker logs a home visit.
    sign_in_as(&client, &app, "worker0@example.org").await;
    let visits = format!("/beneficiaries/{case}/visits");
    client.goto(&app.url(&visits)).await.expect("visits tab");
    set_date(&client, "visited_on", &chrono::Utc::now().date_naive().to_string()).await;
    choose(&client, "mode", "home").await;
    fill(&client, "visitors", "李社工").await;
    fill(&client, "notes", "老人腿脚不便，冰箱里没有蔬菜。").await;
    fill(&client, "needs_found", "需要一个月的米和油").await;
    submit(&client, &format!("{visits}#log")).await;
    let saved = client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Id("saved"))
        .await
        .expect("the visit is saved and the page offers the next step");
    let logged = visible_text(&client).await;
    assert!(logged.contains("李社工"), "the visit is listed: {logged}");
    assert!(
        logged.contains("冰箱里没有蔬菜"),
        "its notes are shown to the owner: {logged}"
    );

    // "Post a need from this visit" opens the need form with the person chosen.
    saved
        .find(Locator::Css("a.button"))
        .await
        .expect("post a need from this visit")
        .click()
        .await
        .expect("click");
    let chosen = client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("select[name='beneficiary_id']"))
        .await
        .expect("the need form")
        .prop("value")
        .await
        .expect("value");
    assert_eq!(chosen, Some(case.to_string()), "the visit's person is carried over");
    fill_need(
        &client,
        "food",
        "一个月的米和油",
        "探访时发现家里缺米和食用油，请送到社工站。",
    )
    .await;
    submit(&client, "/needs").await;
    let need_path = path_after_navigation(&client, "/needs/").await;
    let need: i64 = need_path
        .trim_start_matches("/needs/")
        .parse()
        .unwrap_or_else(|_| panic!("the need is posted: {need_path}"));

    // The case is referred to the other organization, with the need.
    let referrals_tab = format!("/beneficiaries/{case}/referrals");
    client.goto(&app.url(&referrals_tab)).await.expect("referrals tab");
    choose(&client, "service_area", "elder_care").await;
    choose(&client, "to_organization", &receiver.to_string()).await;
    fill(&client, "reason", "老人需要长期上门照护，对方机构有固定的上门队伍。").await;
    for css in [
        format!("input[name='needs'][value='{need}']"),
        "input[name='consent']".to_owned(),
    ] {
        client
            .find(Locator::Css(&css))
            .await
            .expect(&css)
            .click()
            .await
            .expect("tick");
    }
    submit(&client, &referrals_tab).await;
    let referral_path = path_after_navigation(&client, "/referrals/").await;
    assert!(referral_path.starts_with("/referrals/"), "referred: {referral_path}");
    let sent = visible_text(&client).await;
    assert!(sent.contains("一个月的米和油"), "the need goes with it: {sent}");

    // The other organization's worker finds it waiting, without the person's name.
    sign_in_as(&client, &app, "worker1@example.org").await;
    client.goto(&app.url("/referrals")).await.expect("referrals");
    client
        .find(Locator::Css(&format!("a[href='{referral_path}']")))
        .await
        .expect("the referral is listed for the receiver")
        .click()
        .await
        .expect("open it");
    path_after_navigation(&client, &referral_path).await;
    let before = visible_text(&client).await;
    assert!(
        !before.contains(PLANTED_NAME),
        "private details stay sealed before acceptance: {before}"
    );
    assert!(before.contains("老人需要长期上门照护"), "the reason is shown: {before}");
    // Taking the case over cannot be undone: the button asks first, on a page of its own.
    let accept = format!("{referral_path}/accept");
    client
        .find(Locator::Css(&format!("a[href='{accept}']")))
        .await
        .expect("the accept button")
        .click()
        .await
        .expect("click");
    path_after_navigation(&client, &accept).await;
    let asked = visible_text(&client).await;
    assert!(
        asked.contains("接收后不能撤销") && asked.contains("转出机构的社工会收到邮件"),
        "{asked}"
    );
    submit(&client, &accept).await;
    let case_link = client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(&format!("a[href='/beneficiaries/{case}']")))
        .await
        .expect("after accepting, the case file is offered");
    case_link.click().await.expect("open the case");
    path_after_navigation(&client, &format!("/beneficiaries/{case}")).await;
    let file = visible_text(&client).await;
    assert!(
        file.contains(PLANTED_NAME),
        "the case file opens for the receiver: {file}"
    );
    shot(&client, "referral-accepted-case").await;
    client.goto(&app.url(&need_path)).await.expect("the need");
    let moved = client.source().await.expect("source");
    assert!(moved.contains("一个月的米和油"), "the need moved with the case");
    client.close().await.expect("close");
}

/// An organization applies on a phone (360 px) in both languages: the empty form, then a
/// mistyped credit code refused beside its field with everything typed kept, then the form
/// sent. Pictures go to `docs/screenshots/apply/`.
#[tokio::test]
#[ignore = "needs chromium and chromium-driver; run by scripts/test.sh"]
async fn an_organization_applies_on_a_phone_in_both_languages() {
    let app = TestApp::spawn().await;
    let now = chrono::Utc::now();
    let db = &app.db;
    use charity_relay::services::organizations::create_community;
    let haishan = create_community(db, "海山社区", "Haishan", "海山街道", "Haishan", now)
        .await
        .expect("community");
    create_community(db, "田东社区", "Tiandong", "海山街道", "Haishan", now)
        .await
        .expect("community");
    create_community(db, "东和社区", "Donghe", "沙头角街道", "Shatoujiao", now)
        .await
        .expect("community");
    let out = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots/apply");
    std::fs::create_dir_all(&out).expect("screenshot dir");
    let (_driver, url) = chromedriver().await;
    let client = browser(&url, true).await;
    let save = |name: String| {
        let client = client.clone();
        let out = out.clone();
        async move {
            let png = client.screenshot().await.expect("screenshot");
            std::fs::write(out.join(format!("{name}.png")), png).expect("write screenshot");
        }
    };
    for (lang, code, email) in [
        ("zh-CN", "51440300MJL1234567", "chen@example.org"),
        ("en", "52440300MJL1234567", "wong@example.org"),
    ] {
        client.delete_all_cookies().await.expect("cookies");
        client
            .goto(&app.url(&format!("/apply/organization?lang={lang}")))
            .await
            .expect("the form");
        let fits = "return document.documentElement.scrollWidth <= window.innerWidth";
        assert_eq!(
            client.execute(fits, vec![]).await.expect("script"),
            serde_json::Value::Bool(true),
            "the form overflows at 360 px in {lang}"
        );
        save(format!("apply-form-{lang}")).await;
        fill(&client, "name", "海山长者关爱协会").await;
        fill(&client, "credit_code", code).await;
        choose(&client, "declared_kind", "social_group").await;
        fill(&client, "contact_name", "陈主任").await;
        fill(&client, "contact_email", email).await;
        for css in [
            "input[name='areas'][value='elder_care']".to_owned(),
            format!("input[name='communities'][value='{haishan}']"),
        ] {
            client
                .find(Locator::Css(&css))
                .await
                .expect("checkbox")
                .click()
                .await
                .expect("tick");
        }
        fill(&client, "description", "为辖区独居长者提供探访、陪诊和助餐服务。").await;
        submit(&client, &format!("/apply/organization?lang={lang}")).await;
        let error = client
            .wait()
            .for_element(Locator::Css("#credit_code-error"))
            .await
            .expect("the code is refused beside its field");
        let said = error.text().await.expect("text");
        assert!(!said.is_empty());
        client
            .execute(
                "document.getElementById('credit_code-error').scrollIntoView({block: 'center'})",
                vec![],
            )
            .await
            .expect("scroll");
        assert_eq!(
            client.execute(fits, vec![]).await.expect("script"),
            serde_json::Value::Bool(true),
            "the refused form overflows at 360 px in {lang}"
        );
        save(format!("apply-code-refused-{lang}")).await;
        let kept = client
            .find(Locator::Css("[name='contact_email']"))
            .await
            .expect("email")
            .prop("value")
            .await
            .expect("value");
        assert_eq!(kept.as_deref(), Some(email), "what was typed is kept");
        // The right code: its check character from the first 17.
        let good = {
            const A: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
            const W: [usize; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
            let first = &code[..17];
            let sum: usize = first
                .bytes()
                .zip(W)
                .map(|(c, w)| A.iter().position(|&a| a == c).expect("code character") * w)
                .sum();
            format!("{first}{}", A[(31 - sum % 31) % 31] as char)
        };
        fill(&client, "credit_code", &good).await;
        submit(&client, &format!("/apply/organization?lang={lang}")).await;
        client
            .wait()
            .for_element(Locator::Css("main > p"))
            .await
            .expect("the answer");
        for _ in 0..50 {
            if client
                .find(Locator::Css("form[action^='/apply/organization']"))
                .await
                .is_err()
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        save(format!("apply-sent-{lang}")).await;
    }
    assert_eq!(app.count("organization_applications").await, 2);
    client.close().await.expect("close");
}

/// The resource library and a need's "ask a merchant" part at 360 px, in both languages:
/// they fit the phone, and their pictures are saved for a person to look at.
#[tokio::test]
#[ignore = "needs chromium and chromium-driver; run by scripts/test.sh"]
async fn the_resource_library_fits_a_360_px_wide_phone_in_both_languages() {
    use charity_relay::domain::Category;
    use charity_relay::services::offers;
    let app = TestApp::spawn().await;
    let world = app.world(2).await;
    for (i, (category, what, capacity)) in [
        (Category::Food, "每周两次热盒饭，可送到服务点", 20),
        (Category::Medicine, "常用感冒药和血压计借用", 5),
    ]
    .into_iter()
    .enumerate()
    {
        let new = offers::NewOffer {
            category,
            description: what.into(),
            monthly_capacity: capacity,
            community_ids: vec![world.community_id],
        };
        offers::add(&app.db, world.merchants[i].id, new, chrono::Utc::now())
            .await
            .expect("offer");
    }
    let need = app.post_need(world.a(), 3).await;
    let (_driver, url) = chromedriver().await;
    let client = browser(&url, true).await;
    sign_in(&client, &app).await;
    for lang in ["zh-CN", "en"] {
        client.goto(&app.url("/")).await.expect("home");
        let button = client
            .find(Locator::Css(&format!("button[name='lang'][value='{lang}']")))
            .await
            .expect("language button");
        button.click().await.expect("switch language");
        tokio::time::sleep(Duration::from_millis(300)).await;
        for (path, name) in [
            ("/resources".to_owned(), "resources"),
            (format!("/needs/{need}"), "need-ask"),
            (
                format!("/needs/{need}/ask/{}", world.merchants[0].id),
                "need-ask-confirm",
            ),
        ] {
            client.goto(&app.url(&path)).await.expect("page");
            let fits = client
                .execute(
                    "return document.documentElement.scrollWidth <= window.innerWidth",
                    vec![],
                )
                .await
                .expect("script");
            shot(&client, &format!("phone-{name}-{lang}")).await;
            assert_eq!(
                fits,
                serde_json::Value::Bool(true),
                "{path} overflows at 360 px in {lang}"
            );
        }
    }
    client.close().await.expect("close");
}

/// A phone's screen of `height` px (a DevTools command through chromedriver, which WebDriver
/// itself cannot send): stretched to a page's length, a screenshot holds all of it.
async fn phone_height(client: &Client, driver: &str, height: i64) {
    let session = client.session_id().await.expect("session id").expect("a session");
    reqwest::Client::new()
        .post(format!("{driver}/session/{session}/goog/cdp/execute"))
        .json(&serde_json::json!({
            "cmd": "Emulation.setDeviceMetricsOverride",
            "params": { "width": 360, "height": height, "deviceScaleFactor": 1, "mobile": true },
        }))
        .send()
        .await
        .expect("DevTools command");
}

/// Opens `path`, checks that it fits a 360 px phone with no table cut off or hidden behind a
/// sideways scroll, saves its full-length picture as `<dir>/<name>.png` and returns its text.
async fn phone_page(
    client: &Client,
    driver: &str,
    app: &TestApp,
    dir: &std::path::Path,
    path: &str,
    name: &str,
) -> String {
    client.goto(&app.url(path)).await.expect("page");
    let text = visible_text(client).await;
    let width = client.execute("return window.innerWidth", vec![]).await.expect("width");
    assert_eq!(width.as_i64(), Some(360), "the window is a phone's");
    let fits = client
        .execute(
            "return document.documentElement.scrollWidth <= window.innerWidth",
            vec![],
        )
        .await
        .expect("script");
    let hidden = client
        .execute(
            "return Array.from(document.querySelectorAll('.table-wrap')).filter(w => w.scrollWidth > w.clientWidth + 1).length",
            vec![],
        )
        .await
        .expect("script");
    let height = client
        .execute("return document.documentElement.scrollHeight", vec![])
        .await
        .expect("height")
        .as_i64()
        .unwrap_or(740)
        .clamp(740, 6000);
    phone_height(client, driver, height).await;
    let png = client.screenshot().await.expect("screenshot");
    std::fs::write(dir.join(format!("{name}.png")), png).expect("write screenshot");
    phone_height(client, driver, 740).await;
    assert_eq!(
        fits,
        serde_json::Value::Bool(true),
        "{path} overflows at 360 px ({name})"
    );
    assert_eq!(
        hidden.as_i64(),
        Some(0),
        "{path} hides a table's columns behind a scroll ({name})"
    );
    text
}

async fn switch_language(client: &Client, app: &TestApp, lang: &str) {
    client.goto(&app.url("/")).await.expect("home");
    client
        .find(Locator::Css(&format!("button[name='lang'][value='{lang}']")))
        .await
        .expect("language button")
        .click()
        .await
        .expect("switch language");
    tokio::time::sleep(Duration::from_millis(300)).await;
}

/// The district platform's pages (issue 17) on a 360 px phone in both languages: the
/// office's applications (organizations' and shops'), renewals, merchants and reports, the
/// approve button asked as a normal action, a worker's credit and resource library, the
/// public figures; then the same lists empty, each saying what it means and what to do next.
/// Pictures go to `docs/screenshots/district/`.
#[tokio::test]
#[ignore = "needs chromium and chromium-driver; run by scripts/test.sh"]
async fn the_district_platforms_pages_read_well_on_a_360_px_phone_in_both_languages() {
    use sea_orm::{ConnectionTrait, Statement};

    let out = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots/district");
    std::fs::create_dir_all(&out).expect("screenshot dir");
    let (_driver, url) = chromedriver().await;
    let client = browser(&url, true).await;

    // The lists with something in them: the demo, with two admissions ending soon.
    let app = TestApp::spawn().await;
    let now = chrono::Utc::now();
    let demo = charity_relay::demo::load(&app.db, &app.config.secret_key, now)
        .await
        .expect("demo data");
    let login = |prefix: &str| {
        demo.logins
            .iter()
            .find(|(_, role)| role.starts_with(prefix))
            .map(|(email, _)| email.clone())
            .expect("a demo login")
    };
    let (office, worker) = (login("admin"), login("social_worker"));
    let sql = |s: String| Statement::from_string(app.db.get_database_backend(), s);
    let soon = (now + chrono::Duration::days(9)).date_naive();
    let late = (now - chrono::Duration::days(1)).date_naive();
    for (table, until) in [("organizations", soon), ("merchants", late)] {
        app.db
            .execute_raw(sql(format!(
                "UPDATE {table} SET admitted_until = '{until}' WHERE id = (SELECT MIN(id) FROM {table} WHERE status = 'approved')"
            )))
            .await
            .expect("an admission ending");
    }
    let first = |q: &str| {
        let db = app.db.clone();
        let q = sql(q.to_owned());
        async move {
            db.query_one_raw(q)
                .await
                .expect("query")
                .and_then(|row| row.try_get_by_index::<i64>(0).ok())
                .expect("a row")
        }
    };
    let application = first("SELECT MIN(id) FROM organization_applications WHERE status = 'submitted'").await;
    let shop = first("SELECT MIN(id) FROM merchant_applications WHERE status = 'submitted'").await;

    let demo_password = charity_relay::demo::DEMO_PASSWORD;
    for lang in ["zh-CN", "en"] {
        let sign_in_demo = |email: String| {
            let client = client.clone();
            let app = &app;
            async move {
                client.delete_all_cookies().await.expect("cookies");
                client.goto(&app.url("/login")).await.expect("login page");
                fill(&client, "email", &email).await;
                fill(&client, "password", demo_password).await;
                submit(&client, "/login").await;
                path_after_leaving(&client, "/login").await;
            }
        };
        sign_in_demo(office.clone()).await;
        switch_language(&client, &app, lang).await;
        for (path, name) in [
            ("/admin/applications".to_owned(), "applications"),
            (format!("/admin/applications/{application}"), "application"),
            (
                format!("/admin/applications/{application}/approve"),
                "application-approve",
            ),
            ("/admin/merchant-applications".to_owned(), "merchant-applications"),
            (
                format!("/admin/merchant-applications/{shop}/approve"),
                "merchant-application-approve",
            ),
            ("/admin/renewals".to_owned(), "renewals"),
            ("/admin/merchants".to_owned(), "merchants"),
            ("/admin/organizations".to_owned(), "organizations"),
            ("/admin/reports".to_owned(), "reports"),
            // Two weeks are short enough to show the report's last sections.
            ("/admin/reports?weeks=2".to_owned(), "reports-two-weeks"),
        ] {
            let text = phone_page(&client, &url, &app, &out, &path, &format!("office-{name}-{lang}")).await;
            assert!(!text.contains("P90"), "{path} says P90: {text}");
        }
        // Approving adds, so its button is the normal one; rejecting stays red.
        for path in [
            format!("/admin/applications/{application}/approve"),
            format!("/admin/merchant-applications/{shop}/approve"),
        ] {
            client.goto(&app.url(&path)).await.expect("page");
            let class = client
                .execute("return document.querySelector('form.stack button').className", vec![])
                .await
                .expect("script");
            assert_eq!(class.as_str(), Some(""), "{path}: the approve button is not red");
        }
        sign_in_demo(worker.clone()).await;
        switch_language(&client, &app, lang).await;
        for (path, name) in [("/credit", "credit"), ("/resources", "resources")] {
            phone_page(&client, &url, &app, &out, path, &format!("worker-{name}-{lang}")).await;
        }
    }
    // The public page speaks the browser's language (Chinese here; the tour shows English).
    client.delete_all_cookies().await.expect("cookies");
    let public = phone_page(&client, &url, &app, &out, "/transparency", "public-transparency-zh-CN").await;
    assert!(!public.contains("数据积累中"), "a hidden figure says why: {public}");
    app.stop().await;

    // The same lists empty: each says what that means and what to do next.
    let app = TestApp::spawn().await;
    let _world = app.world(0).await;
    let office = app.office_account().await;
    for lang in ["zh-CN", "en"] {
        sign_in_as(&client, &app, &office).await;
        switch_language(&client, &app, lang).await;
        for (path, name) in [
            ("/admin/applications", "applications"),
            ("/admin/merchant-applications", "merchant-applications"),
            ("/admin/renewals", "renewals"),
        ] {
            phone_page(&client, &url, &app, &out, path, &format!("office-{name}-empty-{lang}")).await;
            let empty = client.find(Locator::Css("p.empty")).await;
            assert!(empty.is_ok(), "{path} says what its empty list means ({lang})");
        }
        sign_in(&client, &app).await;
        switch_language(&client, &app, lang).await;
        for (path, name) in [("/resources", "resources"), ("/credit", "credit")] {
            phone_page(&client, &url, &app, &out, path, &format!("worker-{name}-empty-{lang}")).await;
            let empty = client.find(Locator::Css("p.empty")).await;
            assert!(empty.is_ok(), "{path} says what its empty list means ({lang})");
        }
    }
    app.stop().await;
    client.close().await.expect("close");
}
