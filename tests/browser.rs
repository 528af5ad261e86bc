//! A real browser: headless Chromium driven through chromedriver (Debian's `chromium` and
//! `chromium-driver`, installed by `scripts/test.sh`). Ignored by a plain `cargo test`;
//! `scripts/test.sh` runs it with `--ignored`. Screenshots go to `target/screenshots/`.

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
        if path.starts_with(prefix) && path != "/needs" && path != "/beneficiaries" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    path
}

async fn sign_in(client: &Client, app: &TestApp) {
    client.goto(&app.url("/login")).await.expect("login page");
    fill(client, "email", "worker0@example.org").await;
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
    choose(&client, "category", "medicine").await;
    fill(&client, "title", "降压药一个月用量").await;
    fill(&client, "description", "请联系 138 0013 8000").await;
    fill(&client, "quantity", "1").await;
    fill(&client, "unit", "份").await;
    // A date input takes typed keys in the browser's own date format; set its value instead.
    client
        .execute(
            "document.querySelector(\"[name='deadline']\").value = '2099-01-01'",
            vec![],
        )
        .await
        .expect("set the date");
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
            if resident {
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
