//! Admission by application (准入): an organization applies on the public page, verifies its
//! email, and the office of its subdistrict approves, asks for more or rejects; the first
//! account's holder sets a password from a one-time link and signs in.

use charity_relay::domain::Role;
use charity_relay::services::{organizations, staff};
use chrono::Utc;

use super::mail::{assert_well_formed, link_path, snapshot_text};
use crate::support::browser::{Browser, STAFF_PASSWORD};
use crate::support::smtp::Received;
use crate::support::{SmtpSink, TestApp, scalar_i64, set};

/// Two subdistricts' communities and offices, and a district account.
struct Places {
    shatoujiao: i64,
    haishan: i64,
    haishan_other: i64,
}

async fn places(app: &TestApp) -> Places {
    let now = Utc::now();
    let db = &app.db;
    let shatoujiao = organizations::create_community(db, "东和社区", "Donghe", "沙头角街道", "Shatoujiao", now)
        .await
        .expect("community");
    let haishan = organizations::create_community(db, "海山社区", "Haishan", "海山街道", "Haishan", now)
        .await
        .expect("community");
    let haishan_other = organizations::create_community(db, "田东社区", "Tiandong", "海山街道", "Haishan", now)
        .await
        .expect("community");
    for (email, role, subdistrict) in [
        ("office-stj@example.org", Role::Admin, Some("沙头角街道")),
        ("office-hs@example.org", Role::Admin, Some("海山街道")),
        ("bureau@example.org", Role::District, None),
    ] {
        staff::create_user(
            db,
            staff::NewUser {
                email: email.into(),
                role,
                organization: None,
                subdistrict: subdistrict.map(str::to_owned),
                password: STAFF_PASSWORD.into(),
            },
            now,
        )
        .await
        .expect("account");
    }
    Places {
        shatoujiao,
        haishan,
        haishan_other,
    }
}

/// A credit code with the right check character (GB 32100-2015), from its first 17.
fn code(first17: &str) -> String {
    const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
    const WEIGHTS: [usize; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
    let sum: usize = first17
        .bytes()
        .zip(WEIGHTS)
        .map(|(c, w)| ALPHABET.iter().position(|&a| a == c).expect("a code character") * w)
        .sum();
    format!("{first17}{}", ALPHABET[(31 - sum % 31) % 31] as char)
}

const CARE: &str = "51440300MJL123456";

/// The application's fields: a social group of Haishan caring for older people.
fn fields(code: &str, community: i64, email: &str) -> Vec<(&'static str, String)> {
    vec![
        ("name", "海山长者关爱协会".into()),
        ("credit_code", code.into()),
        ("declared_kind", "social_group".into()),
        ("contact_name", "陈主任".into()),
        ("contact_email", email.into()),
        ("areas", "elder_care".into()),
        ("areas", "medical".into()),
        ("communities", community.to_string()),
        (
            "description",
            "为辖区独居长者提供探访、陪诊和助餐服务，有社工三名、志愿者四十名。".into(),
        ),
        ("website", String::new()),
    ]
}

/// Opens the form (for its CSRF cookie) in `lang` and sends `fields`.
async fn apply(app: &TestApp, lang: &str, fields: &[(&str, String)]) -> (Browser, u16, String) {
    let mut browser = app.browser();
    let (status, _) = browser.get(&format!("/apply/organization?lang={lang}")).await;
    assert_eq!(status, 200);
    let sent: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let response = browser.post(&format!("/apply/organization?lang={lang}"), &sent).await;
    let status = response.status().as_u16();
    (browser, status, response.text().await.expect("page"))
}

async fn smtp_app() -> (TestApp, SmtpSink) {
    let sink = SmtpSink::start();
    let url = sink.url();
    let app = TestApp::spawn_without_dispatcher(|env| set(env, "RELAY_SMTP_URL", &url)).await;
    (app, sink)
}

/// Sends what is queued and returns the messages to `address`, oldest first.
async fn mail_to(app: &TestApp, sink: &SmtpSink, address: &str) -> Vec<Received> {
    app.dispatcher().drain(Utc::now()).await.expect("drain");
    sink.received().into_iter().filter(|m| m.to == [address]).collect()
}

fn text_of(m: &Received) -> String {
    m.parsed().body_text(0).unwrap_or_default().into_owned()
}

fn subject_of(m: &Received) -> String {
    m.parsed().subject().unwrap_or_default().to_owned()
}

/// Opens the verification link of `m` and confirms.
async fn verify(app: &TestApp, m: &Received) -> (u16, String) {
    let path = link_path(m, "/apply/verify?token=");
    let mut browser = app.browser();
    let (status, page) = browser.get(&path).await;
    assert_eq!(status, 200, "{page}");
    let token = path.split("token=").nth(1).expect("token").to_owned();
    let response = browser.post("/apply/verify", &[("token", &token)]).await;
    let status = response.status().as_u16();
    (status, response.text().await.expect("page"))
}

async fn application_id(app: &TestApp) -> i64 {
    scalar_i64(&app.db, "SELECT MAX(id) FROM organization_applications").await
}

#[tokio::test]
async fn a_wrong_credit_code_is_refused_beside_its_field_with_what_is_wrong_and_nothing_is_stored() {
    let app = TestApp::spawn().await;
    let p = places(&app).await;
    let good = code(CARE);
    let wrong_check = format!("{}{}", &good[..17], if good.ends_with('0') { '1' } else { '0' });
    for (typed, lang, says) in [
        (wrong_check.as_str(), "zh-CN", "校验码"),
        ("51440300MJL1234", "zh-CN", "这里是 15 位"),
        ("440301000000003", "zh-CN", "旧的 15 位注册号"),
        ("5144O300MJL123456X", "en", "Character 5 (“O”) is never used"),
        (wrong_check.as_str(), "en", "check) character does not match"),
    ] {
        let (_, status, page) = apply(&app, lang, &fields(typed, p.haishan, "chen@example.org")).await;
        assert_eq!(status, 422, "{typed}");
        assert!(page.contains("id=\"credit_code-error\""), "beside its field: {page}");
        assert!(page.contains(says), "{typed} in {lang}: {page}");
        assert!(page.contains(&format!("value=\"{typed}\"")), "the code typed is kept");
        assert!(page.contains("为辖区独居长者提供探访"), "the description typed is kept");
        assert!(
            page.contains("value=\"elder_care\" checked"),
            "the areas ticked are kept"
        );
    }
    // Communities of two subdistricts: one office reviews each application.
    let mut both = fields(&good, p.haishan, "chen@example.org");
    both.push(("communities", p.shatoujiao.to_string()));
    let (_, status, page) = apply(&app, "en", &both).await;
    assert_eq!(status, 422);
    assert!(page.contains("belong to different subdistricts"), "{page}");
    assert_eq!(app.count("organization_applications").await, 0);
    assert_eq!(app.count("outbox").await, 0, "nobody is mailed");
}

#[tokio::test]
async fn a_filled_honeypot_is_told_it_worked_but_nothing_is_stored_or_sent() {
    let app = TestApp::spawn().await;
    let p = places(&app).await;
    let mut bot = fields(&code(CARE), p.haishan, "chen@example.org");
    bot.retain(|(k, _)| *k != "website");
    bot.push(("website", "http://spam.example".into()));
    let (_, status, page) = apply(&app, "zh-CN", &bot).await;
    assert_eq!(status, 200);
    assert!(page.contains("请查收邮件"), "{page}");
    assert!(
        page.contains("我们已向 chen@example.org 发送了"),
        "the same answer: {page}"
    );
    assert_eq!(app.count("organization_applications").await, 0);
    assert_eq!(app.count("outbox").await, 0);
}

#[tokio::test]
async fn one_address_is_limited_before_anything_is_looked_up_and_a_squatted_code_blocks_nobody() {
    let (app, sink) = smtp_app().await;
    let p = places(&app).await;
    let good = code(CARE);
    // Someone types the organization's code first and verifies: the code is with the office.
    let (_, status, _) = apply(&app, "zh-CN", &fields(&good, p.haishan, "chen@example.org")).await;
    assert_eq!(status, 200);
    let mail = mail_to(&app, &sink, "chen@example.org").await;
    assert_eq!(verify(&app, &mail[0]).await.0, 200);
    // The organization itself applies with its code: taken like any other, and the form
    // does not tell that the code is being applied for.
    let (_, status, page) = apply(&app, "zh-CN", &fields(&good, p.haishan, "li@example.org")).await;
    assert_eq!(status, 200, "{page}");
    let mail = mail_to(&app, &sink, "li@example.org").await;
    assert_eq!(verify(&app, &mail[0]).await.0, 200);
    let squatter = scalar_i64(&app.db, "SELECT MIN(id) FROM organization_applications").await;
    let real = application_id(&app).await;
    // The office sees them side by side, approves the real one, and the other can no
    // longer be approved: its page says why.
    let mut office = app.login("office-hs@example.org").await;
    let (_, first) = office.get(&format!("/admin/applications/{squatter}")).await;
    assert!(first.contains("另有使用同一代码的申请正在审核"), "{first}");
    let today = charity_relay::domain::time::local_date(Utc::now());
    assert!(
        first.contains(&format!(
            r#"<a href="/admin/applications/{real}">海山长者关爱协会（{today} 提交）</a>"#
        )),
        "the other one by its name and date, never a bare #id: {first}"
    );
    assert!(!first.contains(&format!("#{real}")), "{first}");
    office.get(&format!("/admin/applications/{real}/approve")).await;
    let approved = office.post(&format!("/admin/applications/{real}/approve"), &[]).await;
    assert_eq!(approved.status(), 303);
    let (_, first) = office.get(&format!("/admin/applications/{squatter}")).await;
    assert!(first.contains("已有机构以这个统一社会信用代码准入"), "{first}");
    assert!(
        !first.contains(&format!("/admin/applications/{squatter}/approve")),
        "{first}"
    );
    let again = office
        .post(&format!("/admin/applications/{squatter}/approve"), &[])
        .await;
    assert_eq!(again.status(), 303, "back to its page, which says why");
    assert_eq!(
        scalar_i64(
            &app.db,
            &format!("SELECT COUNT(*) FROM organizations WHERE credit_code = '{good}'")
        )
        .await,
        1
    );
    // Ten tries an hour from one address; the eleventh is refused before any work.
    for _ in 0..8 {
        let (_, status, _) = apply(&app, "zh-CN", &fields("bad", p.haishan, "li@example.org")).await;
        assert_eq!(status, 422);
    }
    let mut browser = app.browser();
    browser.get("/apply/organization?lang=en").await;
    let sent: Vec<(&str, String)> = fields(&code("51440300MJL999999"), p.haishan, "wu@example.org");
    let sent: Vec<(&str, &str)> = sent.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let refused = browser.post("/apply/organization?lang=en", &sent).await;
    assert_eq!(refused.status().as_u16(), 429);
    assert!(refused.headers().get("retry-after").is_some());
    let page = refused.text().await.expect("page");
    assert!(page.contains("Too many applications were sent from here"), "{page}");
    assert!(page.contains("value=\"海山长者关爱协会\""), "what was typed is kept");
    assert_eq!(app.count("organization_applications").await, 2);
}

#[tokio::test]
async fn one_address_stores_three_applications_and_only_live_links_count_against_the_cap() {
    use charity_relay::entities::organization_application as application;
    use sea_orm::{ActiveValue::NotSet, EntityTrait, Set};

    let (app, _sink) = smtp_app().await;
    let p = places(&app).await;
    // A refusal stores nothing and costs no place: the applicant corrects and sends again.
    let mut across = fields(&code("51440300MJL000009"), p.haishan, "a@example.org");
    across.push(("communities", p.shatoujiao.to_string()));
    assert_eq!(apply(&app, "zh-CN", &across).await.1, 422);
    // Three well-formed applications from one address in two days; the fourth waits.
    for i in 1..=3 {
        let sent = fields(
            &code(&format!("51440300MJL00000{i}")),
            p.haishan,
            &format!("{i}@example.org"),
        );
        assert_eq!(apply(&app, "zh-CN", &sent).await.1, 200);
    }
    let fourth = fields(&code("51440300MJL000004"), p.haishan, "4@example.org");
    let (_, status, page) = apply(&app, "en", &fourth).await;
    assert_eq!(status, 429);
    assert!(page.contains("Too many applications were sent from here"), "{page}");
    assert_eq!(app.count("organization_applications").await, 3);

    // A flood from many networks: five hundred unverified applications whose links have
    // expired hold no place, so an applicant from elsewhere is still taken ...
    let now = Utc::now();
    let first = application::Entity::find()
        .one(&app.db)
        .await
        .expect("read")
        .expect("one");
    let flood = |expires: chrono::DateTime<Utc>| {
        let first = first.clone();
        (0..500).map(move |_| {
            let mut row: application::ActiveModel = first.clone().into();
            row.id = NotSet;
            row.verify_digest = Set(None);
            row.verify_expires_at = Set(Some(expires));
            row
        })
    };
    application::Entity::insert_many(flood(now - chrono::Duration::hours(1)))
        .exec(&app.db)
        .await
        .expect("expired flood");
    sqlx_free_throttles(&app).await;
    assert_eq!(apply(&app, "zh-CN", &fourth).await.1, 200);
    // ... while five hundred live ones fill the cap: the form asks to come back later,
    // keeps what was typed, and nothing is stored or mailed.
    application::Entity::insert_many(flood(now + chrono::Duration::hours(1)))
        .exec(&app.db)
        .await
        .expect("live flood");
    let stored = app.count("organization_applications").await;
    let queued = app.count("outbox").await;
    let fifth = fields(&code("51440300MJL000005"), p.haishan, "5@example.org");
    let (_, status, page) = apply(&app, "en", &fifth).await;
    assert_eq!(status, 503);
    assert!(
        page.contains("Too many applications are waiting to be verified"),
        "{page}"
    );
    assert!(
        page.contains("value=\"5@example.org\""),
        "what was typed is kept: {page}"
    );
    assert_eq!(app.count("organization_applications").await, stored);
    assert_eq!(app.count("outbox").await, queued);
}

/// Forgets every attempt counted so far (as the window's end would).
async fn sqlx_free_throttles(app: &TestApp) {
    use sea_orm::ConnectionTrait;
    app.db
        .execute_unprepared("DELETE FROM login_throttles")
        .await
        .expect("throttles cleared");
}

#[tokio::test]
async fn only_a_verified_application_reaches_only_its_own_office_and_the_bureau_reads_it() {
    let (app, sink) = smtp_app().await;
    let p = places(&app).await;
    let (_, status, page) = apply(&app, "zh-CN", &fields(&code(CARE), p.haishan_other, "chen@example.org")).await;
    assert_eq!(status, 200, "{page}");
    let id = application_id(&app).await;
    let mut haishan = app.login("office-hs@example.org").await;
    let (_, list) = haishan.get("/admin/applications").await;
    assert!(
        !list.contains("海山长者关爱协会"),
        "unverified: the office does not see it"
    );
    assert_eq!(haishan.get(&format!("/admin/applications/{id}")).await.0, 404);

    let mail = mail_to(&app, &sink, "chen@example.org").await;
    assert_eq!(mail.len(), 1);
    assert!(subject_of(&mail[0]).contains("请验证邮箱"), "{}", subject_of(&mail[0]));
    assert_well_formed(&mail[0], "zh-CN", false);
    snapshot_text("application-verify.zh-CN", &mail[0]);
    let (status, page) = verify(&app, &mail[0]).await;
    assert_eq!(status, 200);
    assert!(page.contains("已送到街道办审核"), "{page}");
    // The link works once.
    let (status, _) = app.browser().get(&link_path(&mail[0], "/apply/verify?token=")).await;
    assert_eq!(status, 404);

    let (_, list) = haishan.get("/admin/applications").await;
    assert!(list.contains("海山长者关爱协会") && list.contains("待审核"), "{list}");
    let (status, detail) = haishan.get(&format!("/admin/applications/{id}")).await;
    assert_eq!(status, 200);
    assert!(
        detail.contains("社会团体") && detail.contains(&code(CARE)),
        "code and kind: {detail}"
    );
    assert!(detail.contains("长者照顾") && detail.contains("田东社区"), "{detail}");

    // Shatoujiao's office: as if it did not exist, and the attempt is audited.
    let mut shatoujiao = app.login("office-stj@example.org").await;
    let (_, list) = shatoujiao.get("/admin/applications").await;
    assert!(!list.contains("海山长者关爱协会"));
    assert_eq!(shatoujiao.get(&format!("/admin/applications/{id}")).await.0, 404);
    assert_eq!(
        shatoujiao.get(&format!("/admin/applications/{id}/approve")).await.0,
        404
    );
    let approve = shatoujiao.post(&format!("/admin/applications/{id}/approve"), &[]).await;
    assert_eq!(approve.status().as_u16(), 404);
    let missing = shatoujiao.get("/admin/applications/999999").await;
    assert_eq!(missing.0, 404);
    let denied = scalar_i64(
        &app.db,
        &format!(
            "SELECT COUNT(*) FROM audit_log WHERE outcome = 'denied' AND action LIKE 'application.%' AND subject_id = '{id}'"
        ),
    )
    .await;
    assert!(denied >= 3, "{denied}");
    assert_eq!(app.count("organizations").await, 0);

    // The district bureau reads every subdistrict's, with the subdistrict, and acts on none.
    let mut bureau = app.login("bureau@example.org").await;
    let (_, list) = bureau.get("/admin/applications").await;
    assert!(list.contains("海山长者关爱协会") && list.contains("海山街道"), "{list}");
    let (_, detail) = bureau.get(&format!("/admin/applications/{id}")).await;
    assert!(!detail.contains("/approve"), "no actions for the bureau");
    let refused = bureau.post(&format!("/admin/applications/{id}/approve"), &[]).await;
    assert_eq!(refused.status().as_u16(), 403);
}

#[tokio::test]
async fn the_office_asks_for_more_the_applicant_edits_and_resubmits_and_is_rejected_with_the_reason() {
    let (app, sink) = smtp_app().await;
    let p = places(&app).await;
    let (_, status, page) = apply(&app, "en", &fields(&code(CARE), p.haishan, "chen@example.org")).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("We sent an email to chen@example.org."),
        "the address the link went to, so a typo shows: {page}"
    );
    let mail = mail_to(&app, &sink, "chen@example.org").await;
    assert!(
        subject_of(&mail[0]).starts_with("Please verify your email"),
        "in the language applied in"
    );
    snapshot_text("application-verify.en", &mail[0]);
    verify(&app, &mail[0]).await;
    let id = application_id(&app).await;

    let mut office = app.login("office-hs@example.org").await;
    let (status, ask) = office.get(&format!("/admin/applications/{id}/ask")).await;
    assert_eq!(status, 200);
    assert!(ask.contains("chen@example.org"), "says who is told: {ask}");
    let empty = office
        .post(&format!("/admin/applications/{id}/ask"), &[("reason", "  ")])
        .await;
    assert_eq!(empty.status().as_u16(), 422, "a message is needed");
    let asked = office
        .post(
            &format!("/admin/applications/{id}/ask"),
            &[("reason", "请补充登记证书照片和近一年的服务记录。")],
        )
        .await;
    assert_eq!(asked.status().as_u16(), 303);

    let mail = mail_to(&app, &sink, "chen@example.org").await;
    let more = mail.last().expect("the office's question");
    assert!(
        subject_of(more).starts_with("The office asks for more"),
        "{}",
        subject_of(more)
    );
    assert!(text_of(more).contains("请补充登记证书照片"), "{}", text_of(more));
    assert_well_formed(more, "en", false);
    snapshot_text("application-more-info.en", more);
    let path = link_path(more, "/apply/edit?token=");
    let token = path.split("token=").nth(1).expect("token").to_owned();
    let mut applicant = app.browser();
    let (status, page) = applicant.get(&path).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("请补充登记证书照片") && page.contains("海山长者关爱协会"),
        "{page}"
    );
    // A field error keeps what was typed; then the fixed form goes back to the office.
    let mut edited = fields(&code(CARE), p.haishan, "ignored@example.org");
    edited.retain(|(k, _)| *k != "description");
    edited.push(("description", "短".into()));
    edited.push(("token", token.clone()));
    let sent: Vec<(&str, &str)> = edited.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let refused = applicant.post("/apply/edit", &sent).await;
    assert_eq!(refused.status().as_u16(), 422);
    edited.retain(|(k, _)| *k != "description");
    edited.push((
        "description",
        "为独居长者提供探访、陪诊和助餐服务；附登记证书编号与年度服务记录。".into(),
    ));
    let sent: Vec<(&str, &str)> = edited.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let resubmitted = applicant.post("/apply/edit", &sent).await;
    assert_eq!(resubmitted.status().as_u16(), 200);
    assert_eq!(applicant.get(&path).await.0, 404, "the edit link works once");
    let email = scalar_i64(
        &app.db,
        "SELECT COUNT(*) FROM organization_applications WHERE contact_email = 'chen@example.org' AND status = 'submitted'",
    )
    .await;
    assert_eq!(email, 1, "the verified email stays");

    let (_, detail) = office.get(&format!("/admin/applications/{id}")).await;
    assert!(detail.contains("年度服务记录"), "{detail}");
    let rejected = office
        .post(
            &format!("/admin/applications/{id}/reject"),
            &[("reason", "服务范围不在本街道。")],
        )
        .await;
    assert_eq!(rejected.status().as_u16(), 303);
    let mail = mail_to(&app, &sink, "chen@example.org").await;
    let outcome = mail.last().expect("the outcome");
    assert!(
        subject_of(outcome).contains("was not approved"),
        "{}",
        subject_of(outcome)
    );
    assert!(text_of(outcome).contains("服务范围不在本街道。"));
    assert!(
        text_of(outcome).contains("contact the office that reviewed it, the Haishan subdistrict office"),
        "names whom to ask: {}",
        text_of(outcome)
    );
    assert_eq!(app.count("organizations").await, 0);
    // Rejected: the code is free for a new application.
    let (_, status, _) = apply(&app, "en", &fields(&code(CARE), p.haishan, "chen@example.org")).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn approval_makes_the_organization_and_its_first_login_is_set_by_a_one_time_link() {
    let (app, sink) = smtp_app().await;
    let p = places(&app).await;
    apply(&app, "zh-CN", &fields(&code(CARE), p.haishan, "chen@example.org")).await;
    let mail = mail_to(&app, &sink, "chen@example.org").await;
    verify(&app, &mail[0]).await;
    let id = application_id(&app).await;

    let mut office = app.login("office-hs@example.org").await;
    let (status, ask) = office.get(&format!("/admin/applications/{id}/approve")).await;
    assert_eq!(status, 200);
    assert!(ask.contains("chen@example.org"));
    let approved = office.post(&format!("/admin/applications/{id}/approve"), &[]).await;
    assert_eq!(approved.status().as_u16(), 303);
    let again = office.post(&format!("/admin/applications/{id}/approve"), &[]).await;
    assert_eq!(again.status().as_u16(), 409, "once");

    let made = scalar_i64(
        &app.db,
        &format!(
            "SELECT COUNT(*) FROM organizations o JOIN subdistricts s ON s.id = o.subdistrict_id \
             WHERE o.name = '海山长者关爱协会' AND o.status = 'approved' AND o.credit_code = '{}' AND s.name = '海山街道'",
            code(CARE)
        ),
    )
    .await;
    assert_eq!(made, 1);
    assert_eq!(app.count("organization_services").await, 2);
    // No password works before the link is used.
    let mut early = app.browser();
    assert_eq!(early.sign_in("chen@example.org", "!").await.status().as_u16(), 401);

    let mail = mail_to(&app, &sink, "chen@example.org").await;
    let welcome = mail.last().expect("the approval");
    assert!(subject_of(welcome).contains("已获准入"), "{}", subject_of(welcome));
    assert_well_formed(welcome, "zh-CN", false);
    snapshot_text("application-approved.zh-CN", welcome);
    let path = link_path(welcome, "/welcome?token=");
    let token = path.split("token=").nth(1).expect("token").to_owned();
    let mut holder = app.browser();
    let (status, page) = holder.get(&path).await;
    assert_eq!(status, 200);
    assert!(page.contains("chen@example.org"), "{page}");
    let weak = holder
        .post("/welcome", &[("token", &token), ("new_password", "12345678")])
        .await;
    assert_eq!(weak.status().as_u16(), 422);
    assert!(weak.text().await.expect("page").contains("new_password-error"));
    let set = holder
        .post("/welcome", &[("token", &token), ("new_password", "海山的长者们都很好")])
        .await;
    assert_eq!(set.status().as_u16(), 200);
    assert_eq!(holder.get(&path).await.0, 404, "the link works once");
    let reused = holder
        .post(
            "/welcome",
            &[("token", &token), ("new_password", "another good secret")],
        )
        .await;
    assert_eq!(reused.status().as_u16(), 404);
    // Sending the approval mail again (a retry) arms no new link: the password stays the holder's.
    let staff_id = crate::support::scalar_i64(&app.db, "SELECT id FROM staff WHERE email = 'chen@example.org'").await;
    let again = charity_relay::services::outbox::Notification::ApplicationApproved(
        charity_relay::services::outbox::ApplicationNotice {
            application_id: 0,
            name: String::new(),
            message: None,
            staff_id: Some(staff_id),
            office: None,
        },
    );
    let rearmed = charity_relay::services::applications::issue_link(&app.db, &again, chrono::Utc::now())
        .await
        .expect("issue");
    assert_eq!(rearmed, None, "no second welcome link");

    let mut worker = app.browser();
    let signed_in = worker.sign_in("chen@example.org", "海山的长者们都很好").await;
    assert_eq!(signed_in.status().as_u16(), 303, "the first login");
    let (_, home) = worker.get("/").await;
    assert!(home.contains("陈主任"), "{home}");

    // The code is held now: a new application for it is refused in words.
    let (_, status, page) = apply(&app, "zh-CN", &fields(&code(CARE), p.haishan, "wang@example.org")).await;
    assert_eq!(status, 422);
    assert!(page.contains("已经准入"), "{page}");
}

#[tokio::test]
async fn a_password_link_that_expired_is_sent_again_by_the_office_and_only_the_new_one_works() {
    let (app, sink) = smtp_app().await;
    let p = places(&app).await;
    apply(&app, "en", &fields(&code(CARE), p.haishan, "chen@example.org")).await;
    let mail = mail_to(&app, &sink, "chen@example.org").await;
    verify(&app, &mail[0]).await;
    let id = application_id(&app).await;
    let mut office = app.login("office-hs@example.org").await;
    office.get(&format!("/admin/applications/{id}/approve")).await;
    assert_eq!(
        office
            .post(&format!("/admin/applications/{id}/approve"), &[])
            .await
            .status(),
        303
    );
    let first = link_path(
        mail_to(&app, &sink, "chen@example.org").await.last().expect("approval"),
        "/welcome?token=",
    );
    // A week and more later the link has expired: the office's page says the password is not
    // set and offers a new link, asking first.
    sea_orm::ConnectionTrait::execute_unprepared(&app.db, "UPDATE password_links SET expires_at = created_at")
        .await
        .expect("expired");
    assert_eq!(app.browser().get(&first).await.0, 404);
    let (_, page) = office.get(&format!("/admin/applications/{id}")).await;
    assert!(page.contains("联系人尚未设置密码"), "{page}");
    let (status, ask) = office.get(&format!("/admin/applications/{id}/resend")).await;
    assert_eq!(status, 200);
    assert!(
        ask.contains("chen@example.org") && ask.contains("之前的链接随即失效"),
        "{ask}"
    );
    // Another subdistrict's office finds no such application.
    let other = app.login("office-stj@example.org").await;
    assert_eq!(
        other
            .post(&format!("/admin/applications/{id}/resend"), &[])
            .await
            .status(),
        404
    );
    assert_eq!(
        office
            .post(&format!("/admin/applications/{id}/resend"), &[])
            .await
            .status(),
        303
    );
    let resent = mail_to(&app, &sink, "chen@example.org").await;
    let second = link_path(resent.last().expect("the new link"), "/welcome?token=");
    assert_ne!(first, second);
    let token = second.split("token=").nth(1).expect("token").to_owned();
    let mut holder = app.browser();
    assert_eq!(holder.get(&second).await.0, 200);
    let set = holder
        .post("/welcome", &[("token", &token), ("new_password", "海山的长者们都很好")])
        .await;
    assert_eq!(set.status(), 200);
    // Once the password is set there is nothing to send again.
    let (_, page) = office.get(&format!("/admin/applications/{id}")).await;
    assert!(!page.contains(&format!("/admin/applications/{id}/resend")), "{page}");
    assert_eq!(
        office
            .post(&format!("/admin/applications/{id}/resend"), &[])
            .await
            .status(),
        409
    );
}

#[tokio::test]
async fn the_demo_has_an_application_in_every_state_in_shatoujiao_and_haishan() {
    let app = TestApp::spawn().await;
    assert_eq!(app.cli(&["demo"], "").code, Some(0));
    for subdistrict in ["沙头角街道", "海山街道"] {
        for status in ["unverified", "submitted", "more_info", "approved", "rejected"] {
            let n = scalar_i64(
                &app.db,
                &format!(
                    "SELECT COUNT(*) FROM organization_applications a JOIN subdistricts s ON s.id = a.subdistrict_id \
                     WHERE s.name = '{subdistrict}' AND a.status = '{status}'"
                ),
            )
            .await;
            assert_eq!(n, 1, "{subdistrict} {status}");
        }
    }
    // Haishan's office sees its four verified ones, not Shatoujiao's.
    let mut office = app.browser();
    assert_eq!(
        office
            .sign_in(
                "haishan-office@demo.charity-relay.org",
                charity_relay::demo::DEMO_PASSWORD
            )
            .await
            .status()
            .as_u16(),
        303
    );
    let (_, list) = office.get("/admin/applications").await;
    assert!(
        list.contains("田东社区残障康复互助会") && !list.contains("东和社区青少年成长中心"),
        "{list}"
    );
    assert!(!list.contains("海山心理关爱服务社"), "unverified: not shown");
}

/// The page a dead link shows: its status and body.
async fn gone(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    (status, response.text().await.expect("page"))
}

#[tokio::test]
async fn a_stranger_with_a_dead_link_reads_it_in_their_language_and_is_pointed_to_the_form() {
    let app = TestApp::spawn().await;
    let mut stranger = app.browser();
    // The form's CSRF cookie, for the one dead link that is posted.
    assert_eq!(stranger.get("/apply/organization").await.0, 200);
    let csrf = stranger.csrf.clone();
    let english = |path: &str| stranger.raw_get(path).header("Accept-Language", "en-GB,en;q=0.9");
    for path in [
        "/apply/verify?token=used-or-made-up",
        "/apply/edit?token=used-or-made-up",
    ] {
        let (status, page) = gone(english(path).send().await.expect("GET")).await;
        assert_eq!(status, 404, "{path}");
        assert!(page.contains("This link no longer works"), "{path}: {page}");
        assert!(page.contains("contact the subdistrict office"), "{path}: {page}");
        assert!(!page.contains("链接"), "no Chinese on an English reader's page: {page}");
        assert!(
            page.contains(r#"href="/apply/organization?lang=en""#),
            "the way to apply: {page}"
        );
        assert!(
            !page.contains("Back to the dashboard"),
            "a stranger is not sent to the staff's pages: {page}"
        );
    }
    // A dead set-password link was sent to someone approved already: it leads to signing in
    // or to the office, never to applying again.
    let (status, page) = gone(english("/welcome?token=used-or-made-up").send().await.expect("GET")).await;
    assert_eq!(status, 404);
    assert!(
        page.contains("This set-password link was used already or has expired"),
        "{page}"
    );
    assert!(page.contains(r#"href="/login""#), "the way to sign in: {page}");
    assert!(
        !page.contains("/apply/organization"),
        "not the way to apply again: {page}"
    );
    // `?lang=` chosen on the page wins over the browser's.
    let (status, page) = gone(
        english("/apply/verify?token=used-or-made-up&lang=zh-CN")
            .send()
            .await
            .expect("GET"),
    )
    .await;
    assert_eq!(status, 404);
    assert!(page.contains("链接已失效"), "{page}");
    assert!(page.contains(r#"href="/apply/organization?lang=zh-CN""#), "{page}");
    // A dead edit link posted back: the same page, in English.
    let (status, page) = gone(
        stranger
            .raw_post("/apply/edit")
            .header("Accept-Language", "en")
            .form(&[("token", "used-or-made-up"), ("csrf", csrf.as_str())])
            .send()
            .await
            .expect("POST"),
    )
    .await;
    assert_eq!(status, 404, "{page}");
    assert!(page.contains("This link no longer works"), "{page}");
    assert!(page.contains(r#"href="/apply/organization?lang=en""#), "{page}");
}
