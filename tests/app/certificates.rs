//! Certificates (issue 18): a volunteer's hours certified by the organization that confirmed
//! them, as a PDF whose text can be read; the public check that never names the holder;
//! revoking; the office's caring-merchant certificate; and every refusal.

use std::path::Path;

use charity_relay::domain::Role;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::subdistricts::{account, haishan};
use crate::support::browser::Browser;
use crate::support::{TestApp, scalar_i64};

const NAME: &str = "陈小明";

/// The text pdftotext reads from `pdf`, whitespace collapsed to single spaces.
fn pdf_text(dir: &Path, pdf: &[u8]) -> String {
    assert!(pdf.starts_with(b"%PDF-"), "not a PDF");
    let file = dir.join(format!("cert-{}.pdf", rand_suffix()));
    std::fs::write(&file, pdf).expect("write pdf");
    let out = std::process::Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&file)
        .arg("-")
        .output()
        .expect("pdftotext (Debian's poppler-utils) must be installed");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

/// The page at `path` as a reader whose browser asks for English sees it.
async fn english_page(app: &TestApp, path: &str) -> String {
    app.client
        .get(app.url(path))
        .header("accept-language", "en")
        .send()
        .await
        .expect("GET")
        .text()
        .await
        .expect("body")
}

fn today() -> String {
    charity_relay::domain::time::local_date(chrono::Utc::now()).to_string()
}

/// A volunteer of the worker's organization with hours logged and, if `confirm`, confirmed:
/// 2.5 hours accompanying an elder and 10 at a health fair (12.5 in all).
async fn volunteer_with_hours(app: &TestApp, worker: &mut Browser, name: &str, confirm: bool) -> i64 {
    worker.get("/volunteers").await;
    let added = worker.post("/volunteers", &[("display_name", name)]).await;
    assert_eq!(added.status(), 303);
    let volunteer = scalar_i64(&app.db, "SELECT MAX(id) FROM volunteers").await;
    for (activity, hours) in [("陪伴长者就医", "2.5"), ("社区义诊活动", "10")] {
        let logged = worker
            .post(
                &format!("/volunteers/{volunteer}/hours"),
                &[("activity", activity), ("hours", hours), ("served_on", &today())],
            )
            .await;
        assert_eq!(logged.status(), 303);
        if confirm {
            let hours_id = scalar_i64(&app.db, "SELECT MAX(id) FROM volunteer_hours").await;
            let confirmed = worker.post(&format!("/hours/{hours_id}/confirm"), &[]).await;
            assert_eq!(confirmed.status(), 303);
        }
    }
    volunteer
}

/// Issues a certificate from the volunteer's page; returns its number.
async fn issue(worker: &mut Browser, volunteer: i64, locale: &str) -> String {
    worker.get(&format!("/volunteers/{volunteer}")).await;
    let issued = worker
        .post(
            &format!("/volunteers/{volunteer}/certificates"),
            &[
                ("period_start", "2026-01-01"),
                ("period_end", &today()),
                ("locale", locale),
            ],
        )
        .await;
    assert_eq!(issued.status(), 303);
    let location = issued.headers()["location"].to_str().expect("location").to_owned();
    let number = location
        .split("issued=")
        .nth(1)
        .and_then(|rest| rest.split('#').next())
        .expect("the number in the redirect")
        .to_owned();
    let (status, page) = worker.get(&location).await;
    assert_eq!(status, 200);
    assert!(
        page.contains(&number) && page.contains(&format!("/certificates/{number}.pdf")),
        "{page}"
    );
    number
}

#[tokio::test]
async fn a_volunteer_gets_a_certificate_in_either_language_and_its_check_never_names_them() {
    let app = TestApp::spawn().await;
    app.world(0).await;
    let mut worker = app.login("worker0@example.org").await;
    let volunteer = volunteer_with_hours(&app, &mut worker, NAME, true).await;
    let (status, page) = worker.get(&format!("/volunteers/{volunteer}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("12.5") && page.contains("还没有开具过证书"), "{page}");

    // In Chinese: the name, the hours, the number, the organization, the activities.
    let number = issue(&mut worker, volunteer, "zh-CN").await;
    assert!(
        number.starts_with("YT-2026-") || number.starts_with("YT-20"),
        "{number}"
    );
    let (status, kind, pdf) = worker.get_bytes(&format!("/certificates/{number}.pdf")).await;
    assert_eq!((status, kind.as_str()), (200, "application/pdf"));
    let text = pdf_text(&app.dir(), &pdf);
    for expected in [
        NAME,
        "12.5 小时",
        number.as_str(),
        "沙头角街道社工站",
        "陪伴长者就医",
        "志愿服务证明",
        "免费",
    ] {
        assert!(text.contains(expected), "{expected} in: {text}");
    }

    // In English, the same facts.
    let english = issue(&mut worker, volunteer, "en").await;
    assert_ne!(english, number, "every certificate has its own number");
    let (_, _, pdf) = worker.get_bytes(&format!("/certificates/{english}.pdf")).await;
    let text = pdf_text(&app.dir(), &pdf);
    for expected in [
        NAME,
        "12.5 hours",
        english.as_str(),
        "Certificate of Volunteer Service",
        "free of charge",
    ] {
        assert!(text.contains(expected), "{expected} in: {text}");
    }

    // The public check: number, organization, hours, period — never the name.
    let page = app.get(&format!("/verify/{number}")).await;
    assert_eq!(page.status(), 200);
    let page = page.text().await.expect("body");
    for expected in [number.as_str(), "沙头角街道社工站", "12.5", "2026-01-01", "有效"] {
        assert!(page.contains(expected), "{expected} in: {page}");
    }
    assert!(!page.contains(NAME), "the name never shows on the public page: {page}");
    // A number typed in lower case is the same certificate.
    let lower = app.get(&format!("/verify/{}", number.to_lowercase())).await;
    assert_eq!(lower.status(), 200);
}

#[tokio::test]
async fn a_revoked_certificate_is_checked_as_revoked_and_its_pdf_says_so() {
    let app = TestApp::spawn().await;
    app.world(0).await;
    let mut worker = app.login("worker0@example.org").await;
    let volunteer = volunteer_with_hours(&app, &mut worker, NAME, true).await;
    let number = issue(&mut worker, volunteer, "zh-CN").await;

    // Revoking asks first, and for a reason.
    let (status, page) = worker.get(&format!("/certificates/{number}/revoke")).await;
    assert_eq!(status, 200);
    assert!(page.contains("核验页将显示该证书已撤销"), "{page}");
    let without = worker
        .post(&format!("/certificates/{number}/revoke"), &[("reason", "")])
        .await;
    assert_eq!(without.status(), 422);
    let revoked = worker
        .post(
            &format!("/certificates/{number}/revoke"),
            &[("reason", "服务时长录入有误")],
        )
        .await;
    assert_eq!(revoked.status(), 303);
    assert_eq!(
        scalar_i64(
            &app.db,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'certificate.revoke'"
        )
        .await,
        1
    );

    let page = app.get(&format!("/verify/{number}")).await.text().await.expect("body");
    assert!(page.contains("已撤销") && page.contains(&today()), "{page}");
    assert!(!page.contains(NAME));
    let (_, page) = worker.get(&format!("/volunteers/{volunteer}")).await;
    assert!(page.contains("已于"), "the list shows the state: {page}");

    // The issuer can still download it: it says across its top that it was revoked.
    let (status, _, pdf) = worker.get_bytes(&format!("/certificates/{number}.pdf")).await;
    assert_eq!(status, 200);
    assert!(pdf_text(&app.dir(), &pdf).contains("撤销"));
}

#[tokio::test]
async fn only_the_organization_that_confirmed_the_hours_certifies_them() {
    let app = TestApp::spawn().await;
    app.world(0).await;
    let mut worker = app.login("worker0@example.org").await;
    let volunteer = volunteer_with_hours(&app, &mut worker, NAME, true).await;
    let number = issue(&mut worker, volunteer, "zh-CN").await;

    // Another organization: everything about the volunteer reads as missing.
    let mut other = app.login("worker1@example.org").await;
    let (status, page) = other.get(&format!("/volunteers/{volunteer}")).await;
    assert_eq!(status, 404);
    assert!(!page.contains(NAME));
    let (missing, _) = other.get("/volunteers/999999").await;
    assert_eq!(missing, 404);
    let refused = other
        .post(
            &format!("/volunteers/{volunteer}/certificates"),
            &[
                ("period_start", "2026-01-01"),
                ("period_end", &today()),
                ("locale", "zh-CN"),
            ],
        )
        .await;
    assert_eq!(refused.status(), 404);
    let (status, _, _) = other.get_bytes(&format!("/certificates/{number}.pdf")).await;
    assert_eq!(status, 404);
    let (status, _) = other.get(&format!("/certificates/{number}/revoke")).await;
    assert_eq!(status, 404);
    let refused = other
        .post(&format!("/certificates/{number}/revoke"), &[("reason", "不是我们的")])
        .await;
    assert_eq!(refused.status(), 404);
    // The office does not certify an organization's volunteers either.
    let office = app.office_account().await;
    let office = app.login(&office).await;
    let (status, _, _) = office.get_bytes(&format!("/certificates/{number}.pdf")).await;
    assert_eq!(status, 404);
    assert_eq!(scalar_i64(&app.db, "SELECT COUNT(*) FROM certificates").await, 1);
    assert!(
        scalar_i64(
            &app.db,
            "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'certificate.%' AND outcome = 'denied'"
        )
        .await
            >= 2
    );

    // Hours logged but not confirmed count for nothing: a clear refusal beside the period.
    let unconfirmed = volunteer_with_hours(&app, &mut worker, "林晓华", false).await;
    worker.get(&format!("/volunteers/{unconfirmed}")).await;
    let refused = worker
        .post(
            &format!("/volunteers/{unconfirmed}/certificates"),
            &[
                ("period_start", "2026-01-01"),
                ("period_end", &today()),
                ("locale", "zh-CN"),
            ],
        )
        .await;
    assert_eq!(refused.status(), 422);
    let page = refused.text().await.expect("body");
    assert!(page.contains("没有本机构确认过的服务时长"), "{page}");
    assert!(
        page.contains(r#"value="2026-01-01""#),
        "the typed period is kept: {page}"
    );
    // A period that ends before it starts says so.
    let reversed = worker
        .post(
            &format!("/volunteers/{volunteer}/certificates"),
            &[
                ("period_start", &today()),
                ("period_end", "2026-01-01"),
                ("locale", "zh-CN"),
            ],
        )
        .await;
    assert_eq!(reversed.status(), 422);
    assert_eq!(scalar_i64(&app.db, "SELECT COUNT(*) FROM certificates").await, 1);

    // Unknown numbers, and text that cannot be a number, are a 404 page in the reader's language.
    for path in ["/verify/YT-2026-00000000", "/verify/not-a-number"] {
        let page = app.get(path).await;
        assert_eq!(page.status(), 404, "{path}");
        assert!(page.text().await.expect("body").contains("没有这个编号的证书"));
    }
    let english = app
        .client
        .get(app.url("/verify/YT-2026-00000000"))
        .header("accept-language", "en")
        .send()
        .await
        .expect("GET");
    assert_eq!(english.status(), 404);
    assert!(
        english
            .text()
            .await
            .expect("body")
            .contains("No certificate has this number")
    );
}

#[tokio::test]
async fn the_office_certifies_a_caring_merchant_of_its_own_subdistrict_only() {
    let app = TestApp::spawn().await;
    let world = app.world(1).await;
    let shop = world.merchants[0].id;
    app.give_good_record(&world, shop, 3).await;
    confirmed_this_year(&app, shop).await;
    let hai = haishan(&app).await;
    let mut office = account(&app, "sha@example.org", Role::Admin, Some("沙头角街道")).await;

    let (status, page) = office.get("/admin/merchants").await;
    assert_eq!(status, 200);
    assert!(
        page.contains(&format!("/admin/merchants/{shop}/certificates")),
        "{page}"
    );
    let (status, page) = office.get(&format!("/admin/merchants/{shop}/certificates")).await;
    assert_eq!(status, 200, "{page}");
    let year = chrono::Datelike::year(&chrono::Utc::now()).to_string();
    let issued = office
        .post(&format!("/admin/merchants/{shop}/certificates"), &[("year", &year)])
        .await;
    assert_eq!(issued.status(), 303);
    let number = last_number(&app).await;
    let (status, _, pdf) = office.get_bytes(&format!("/certificates/{number}.pdf")).await;
    assert_eq!(status, 200);
    let text = pdf_text(&app.dir(), &pdf);
    for expected in ["爱心商户0", "3 次", "爱心商户证书", number.as_str()] {
        assert!(text.contains(expected), "{expected} in: {text}");
    }
    let page = app.get(&format!("/verify/{number}")).await.text().await.expect("body");
    assert!(page.contains("3 次") && !page.contains("爱心商户0"), "{page}");

    // A year without a confirmed delivery is refused beside the year.
    let refused = office
        .post(&format!("/admin/merchants/{shop}/certificates"), &[("year", "2020")])
        .await;
    assert_eq!(refused.status(), 422);
    assert!(refused.text().await.expect("body").contains("还没有已确认送达的认领"));

    // Haishan's shop reads as a missing one.
    let (status, _) = office
        .get(&format!("/admin/merchants/{}/certificates", hai.merchant))
        .await;
    assert_eq!(status, 404);
    let refused = office
        .post(
            &format!("/admin/merchants/{}/certificates", hai.merchant),
            &[("year", &year)],
        )
        .await;
    assert_eq!(refused.status(), 404);
    // A social worker issues no caring-merchant certificate.
    let mut worker = app.login("worker0@example.org").await;
    worker.get("/volunteers").await;
    let refused = worker
        .post(&format!("/admin/merchants/{shop}/certificates"), &[("year", &year)])
        .await;
    assert!(matches!(refused.status().as_u16(), 403 | 404), "{}", refused.status());
    assert_eq!(scalar_i64(&app.db, "SELECT COUNT(*) FROM certificates").await, 1);
}

/// The number of the certificate last issued.
async fn last_number(app: &TestApp) -> String {
    use charity_relay::entities::certificate;
    let id = scalar_i64(&app.db, "SELECT MAX(id) FROM certificates").await;
    certificate::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .expect("query")
        .expect("row")
        .number
}

#[tokio::test]
async fn a_shops_certificate_counts_the_hours_its_staff_served_as_well_as_its_deliveries() {
    let app = TestApp::spawn().await;
    let world = app.world(2).await;
    let (busy, helping) = (world.merchants[0].id, world.merchants[1].id);
    app.give_good_record(&world, busy, 2).await;
    confirmed_this_year(&app, busy).await;
    // Staff of each shop served 12.5 confirmed hours (as a shop's staff signed up from the bot's
    // /events are: a volunteer row of the organization that ran the event, tied to the shop).
    let mut worker = app.login("worker0@example.org").await;
    for (shop, name) in [(busy, "店员甲"), (helping, "店员乙")] {
        let staff = volunteer_with_hours(&app, &mut worker, name, true).await;
        staff_of(&app, staff, shop).await;
    }
    // Hours logged but never confirmed count for nobody.
    let unconfirmed = volunteer_with_hours(&app, &mut worker, "店员丙", false).await;
    staff_of(&app, unconfirmed, helping).await;

    let mut office = account(&app, "sha@example.org", Role::Admin, Some("沙头角街道")).await;
    let year = chrono::Datelike::year(&chrono::Utc::now()).to_string();
    for shop in [busy, helping] {
        office.get(&format!("/admin/merchants/{shop}/certificates")).await;
        let issued = office
            .post(&format!("/admin/merchants/{shop}/certificates"), &[("year", &year)])
            .await;
        assert_eq!(issued.status(), 303, "shop {shop}");
        let number = last_number(&app).await;
        let (status, _, pdf) = office.get_bytes(&format!("/certificates/{number}.pdf")).await;
        assert_eq!(status, 200);
        let text = pdf_text(&app.dir(), &pdf);
        assert!(
            text.contains("店员志愿服务时长") && text.contains("12.5 小时"),
            "{text}"
        );
        let check = app.get(&format!("/verify/{number}")).await.text().await.expect("body");
        assert!(check.contains("12.5 小时") && !check.contains("店员甲"), "{check}");
        if shop == busy {
            assert!(text.contains("2 次") && text.contains("共 2 次，店员参与"), "{text}");
        } else {
            // A shop whose part was only its staff's service is not told "0 deliveries".
            assert!(
                !text.contains("0 次")
                    && text.contains("12.5 小时，经组织确认")
                    && text.contains("依据平台上经社工确认的送达记录和经组织确认的志愿服务记录"),
                "{text}"
            );
        }
    }
}

/// Ties volunteer `id` to `shop`, as the bot's sign-up of shop staff does.
async fn staff_of(app: &TestApp, id: i64, shop: i64) {
    use charity_relay::entities::volunteer;
    volunteer::Entity::update_many()
        .col_expr(volunteer::Column::MerchantId, Expr::val(shop))
        .filter(volunteer::Column::Id.eq(id))
        .exec(&app.db)
        .await
        .expect("tie the volunteer to the shop");
}

/// Moves every confirmed delivery of `shop` to now, so that it counts for this year whatever
/// the day the test runs.
async fn confirmed_this_year(app: &TestApp, shop: i64) {
    use charity_relay::entities::claim;
    claim::Entity::update_many()
        .col_expr(claim::Column::ConfirmedAt, Expr::val(chrono::Utc::now()))
        .filter(claim::Column::MerchantId.eq(shop))
        .exec(&app.db)
        .await
        .expect("confirmed now");
}

#[tokio::test]
async fn the_roll_of_honour_names_only_shops_that_opted_in_with_a_badge_and_no_rank() {
    use charity_relay::services::certificates;
    let app = TestApp::spawn().await;
    let world = app.world(3).await;
    let (busy, small, shy) = (world.merchants[0].id, world.merchants[1].id, world.merchants[2].id);
    for (shop, deliveries) in [(busy, 6), (small, 2), (shy, 25)] {
        app.give_good_record(&world, shop, deliveries).await;
        confirmed_this_year(&app, shop).await;
    }
    let now = chrono::Utc::now();
    certificates::set_honour_roll(&app.db, busy, true, now)
        .await
        .expect("opt in");
    certificates::set_honour_roll(&app.db, small, true, now)
        .await
        .expect("opt in");

    let page = app.get("/transparency").await.text().await.expect("body");
    let roll = page
        .split(r#"id="honour""#)
        .nth(1)
        .expect("the roll of honour")
        .to_owned();
    assert!(
        roll.contains("爱心商户0 · <span class=\"badge\">爱心商户 ★★</span>"),
        "{roll}"
    );
    assert!(
        roll.contains("爱心商户1 · <span class=\"badge\">爱心商户 ★</span>"),
        "{roll}"
    );
    // By name, not by deliveries: the smaller shop is not put below as a ranking would.
    assert!(roll.find("爱心商户0") < roll.find("爱心商户1"));
    // The shop that did not opt in is named nowhere, however much it gave.
    assert!(!page.contains("爱心商户2"), "{page}");

    // Leaving the roll takes the shop off (the English page, not yet cached, shows it).
    certificates::set_honour_roll(&app.db, busy, false, now)
        .await
        .expect("opt out");
    let english = english_page(&app, "/transparency").await;
    let roll = english
        .split(r#"id="honour""#)
        .nth(1)
        .expect("the roll of honour")
        .to_owned();
    assert!(
        roll.contains("爱心商户1 · <span class=\"badge\">Caring merchant ★</span>"),
        "{roll}"
    );
    assert!(
        !english.contains("爱心商户0") && !english.contains("爱心商户2"),
        "{english}"
    );
}

#[tokio::test]
async fn a_shop_gets_its_certificate_in_the_bot_and_chooses_the_roll_of_honour() {
    use bots::{Action, Locale};
    let app = TestApp::spawn_with_bot().await;
    let world = app.world(1).await;
    let shop = world.merchants[0].id;
    app.give_good_record(&world, shop, 3).await;
    confirmed_this_year(&app, shop).await;
    let chat = app.linked_chat(shop, 1800, Locale::ZhCn).await;

    // The PDF comes as a document, with the shop's name and its deliveries in its text.
    let document = chat.send_for_document("/certificate").await;
    assert!(
        document.file_name.starts_with("YT-") && document.file_name.ends_with(".pdf"),
        "{}",
        document.file_name
    );
    let text = pdf_text(&app.dir(), &document.bytes);
    for expected in ["爱心商户0", "3 次", "爱心商户证书"] {
        assert!(text.contains(expected), "{expected} in: {text}");
    }
    assert!(document.caption.contains("公益榜：本店未上榜"), "{}", document.caption);
    // Asking again while nothing changed hands out the same certificate.
    let again = chat.send_for_document("/certificate").await;
    assert_eq!(again.file_name, document.file_name);
    assert_eq!(scalar_i64(&app.db, "SELECT COUNT(*) FROM certificates").await, 1);
    let page = app.get("/transparency").await.text().await.expect("body");
    assert!(!page.contains("爱心商户0"), "not on the roll before it opts in");

    // The button puts the shop on the roll of honour, with its badge.
    let on = chat.tap(&Action::HonourRoll(true).encode()).await;
    assert!(on.text.contains("已加入公益榜"), "{}", on.text);
    let english = english_page(&app, "/transparency").await;
    assert!(
        english.contains("爱心商户0 · <span class=\"badge\">Caring merchant ★</span>"),
        "{english}"
    );

    // An unlinked chat is told how to link or join.
    let stranger = app.chat(1801, Locale::ZhCn);
    let reply = stranger.send("/certificate").await;
    assert_eq!(reply.text, bots::text::how_to_link(Locale::ZhCn));
    assert_eq!(scalar_i64(&app.db, "SELECT COUNT(*) FROM certificates").await, 1);
}

#[tokio::test]
async fn the_signed_link_of_an_hours_email_gives_the_volunteer_the_pdf_and_a_forged_one_nothing() {
    use charity_relay::domain::certificate::email_period;
    use charity_relay::services::certificates::volunteer_link;
    let app = TestApp::spawn().await;
    app.world(0).await;
    let mut worker = app.login("worker0@example.org").await;
    let volunteer = volunteer_with_hours(&app, &mut worker, NAME, true).await;
    let today = charity_relay::domain::time::local_date(chrono::Utc::now());
    let period = email_period(today);
    let link = volunteer_link(
        &app.config.secret_key,
        volunteer,
        period,
        today + chrono::Duration::days(60),
    );

    // The page asks with one button; nothing is issued by opening it.
    let page = app.get(&link).await;
    assert_eq!(page.status(), 200);
    let page = page.text().await.expect("body");
    assert!(
        page.contains("领取证明（PDF）") && page.contains(&today.to_string()),
        "{page}"
    );
    assert_eq!(scalar_i64(&app.db, "SELECT COUNT(*) FROM certificates").await, 0);

    // The button gives the PDF, issued by the organization that confirmed the hours.
    let pdf = app.client.post(app.url(&link)).send().await.expect("POST");
    assert_eq!(pdf.status(), 200);
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    let text = pdf_text(&app.dir(), &pdf.bytes().await.expect("pdf"));
    for expected in [NAME, "12.5 小时", "沙头角街道社工站"] {
        assert!(text.contains(expected), "{expected} in: {text}");
    }
    // Asking again sends the same certificate, not a second one.
    let again = app.client.post(app.url(&link)).send().await.expect("POST");
    assert_eq!(again.status(), 200);
    assert_eq!(scalar_i64(&app.db, "SELECT COUNT(*) FROM certificates").await, 1);

    // A changed signature, another volunteer's id or a later period: a clear page, no PDF.
    let mut forged = link.clone();
    let last = forged.pop().expect("a character");
    forged.push(if last == '0' { '1' } else { '0' });
    let other = link.replacen(&format!("/ask/{volunteer}/"), &format!("/ask/{}/", volunteer + 1), 1);
    for bad in [
        forged.as_str(),
        other.as_str(),
        "/certificates/ask/1/2026-01-01/2026-12-31/2099-01-01/00",
    ] {
        let page = app.get(bad).await;
        assert_eq!(page.status(), 404, "{bad}");
        assert!(page.text().await.expect("body").contains("这个链接无效"));
        let refused = app.client.post(app.url(bad)).send().await.expect("POST");
        assert_eq!(refused.status(), 404);
        assert_ne!(refused.headers()["content-type"], "application/pdf");
    }
    // An expired link says so.
    let expired = volunteer_link(
        &app.config.secret_key,
        volunteer,
        period,
        today - chrono::Duration::days(1),
    );
    let page = app.get(&expired).await;
    assert_eq!(page.status(), 410);
    assert!(page.text().await.expect("body").contains("已过期"));
    assert_eq!(scalar_i64(&app.db, "SELECT COUNT(*) FROM certificates").await, 1);
}
