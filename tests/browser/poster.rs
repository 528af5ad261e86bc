//! The needs poster in a real browser: printed to PDF through WebDriver's Print Page
//! command on A4 (a card's title and its QR image must be in the PDF, read back with
//! poppler's `pdftotext` and `pdfimages`), and shown on a 360 px phone and a 1280 px
//! screen, in both languages. Pictures go to `docs/screenshots/poster/`.

use std::path::PathBuf;
use std::process::Command;

use fantoccini::wd::{PrintConfiguration, PrintSize};

use super::support::TestApp;
use super::{browser, chromedriver, sign_in, switch_language};

const TITLES: [&str; 5] = [
    "米和食用油",
    "冬季棉被两床",
    "轮椅维修一次",
    "小学生数学辅导",
    "老人理发上门服务（每月一次，持续三个月）",
];

fn poppler(tool: &str, args: &[&str]) -> String {
    let out = Command::new(tool)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{tool} is installed (Debian poppler-utils): {e}"));
    assert!(out.status.success(), "{tool}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
#[ignore = "needs chromium, chromium-driver and poppler-utils; run by scripts/test.sh"]
async fn the_needs_poster_prints_on_a4_with_its_qr_codes_and_reads_on_a_phone() {
    let app = TestApp::spawn_with(|env| {
        super::support::set(env, "RELAY_TELEGRAM_BOT_USERNAME", "relay_demo_bot");
    })
    .await;
    let world = app.world(0).await;
    for (i, title) in TITLES.iter().enumerate() {
        app.post_need_of(
            world.a(),
            if i == 3 { "tutoring" } else { "daily_goods" },
            title,
            2 + i as i64,
            "份",
        )
        .await;
    }
    let out = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots/poster");
    std::fs::create_dir_all(&out).expect("screenshot dir");
    let work = tempfile::tempdir().expect("tempdir");
    let (_driver, url) = chromedriver().await;

    let desk = browser(&url, false).await;
    desk.set_window_size(1280, 900).await.expect("window");
    sign_in(&desk, &app).await;
    for lang in ["zh-CN", "en"] {
        switch_language(&desk, &app, lang).await;
        desk.goto(&app.url("/needs/poster")).await.expect("poster");
        let source = desk.source().await.expect("source");
        assert!(source.contains(TITLES[0]), "{source}");
        let png = desk.screenshot().await.expect("screenshot");
        std::fs::write(out.join(format!("poster-{lang}-1280.png")), png).expect("write");

        let config = PrintConfiguration::builder()
            .size(PrintSize::A4)
            .background(true)
            .build()
            .expect("print configuration");
        let pdf = desk.print(config).await.expect("Print Page");
        let file = work.path().join(format!("poster-{lang}.pdf"));
        std::fs::write(&file, &pdf).expect("write the PDF");
        let path = file.to_str().expect("utf-8 path");
        // Words as read, whatever lines the narrow QR captions break them into.
        let text = poppler("pdftotext", &["-layout", path, "-"])
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert!(text.contains(TITLES[0]), "a card's title is printed: {text}");
        let scan = if lang == "en" {
            "Scan with Telegram to claim"
        } else {
            "用 Telegram 扫码认领"
        };
        assert!(text.contains(scan), "{text}");
        let back = if lang == "en" {
            "Back to the needs"
        } else {
            "返回需求列表"
        };
        assert!(!text.contains(back), "the buttons stay on screen: {text}");
        let images = poppler("pdfimages", &["-list", path]);
        // The list's two header lines, then one line an image.
        let count = images.lines().skip(2).filter(|l| !l.trim().is_empty()).count();
        assert!(count >= TITLES.len(), "every card's QR code is printed: {images}");
        // The first A4 page as a picture, to look at.
        let prefix = work.path().join(format!("a4-{lang}"));
        poppler(
            "pdftoppm",
            &[
                "-png",
                "-r",
                "60",
                "-f",
                "1",
                "-l",
                "1",
                "-singlefile",
                path,
                prefix.to_str().expect("path"),
            ],
        );
        std::fs::copy(
            work.path().join(format!("a4-{lang}.png")),
            out.join(format!("poster-{lang}-a4.png")),
        )
        .expect("copy the A4 picture");
    }
    desk.close().await.expect("close");

    let phone = browser(&url, true).await;
    sign_in(&phone, &app).await;
    for lang in ["zh-CN", "en"] {
        switch_language(&phone, &app, lang).await;
        phone.goto(&app.url("/needs/poster")).await.expect("poster");
        let fits = phone
            .execute(
                "return document.documentElement.scrollWidth <= window.innerWidth",
                vec![],
            )
            .await
            .expect("script");
        let png = phone.screenshot().await.expect("screenshot");
        std::fs::write(out.join(format!("poster-{lang}-360.png")), png).expect("write");
        assert_eq!(fits, serde_json::Value::Bool(true), "the poster overflows at 360 px");
    }
    phone.close().await.expect("close");
}
