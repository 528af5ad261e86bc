//! Referral (转介): the social work station refers an elderly man living alone to the women's
//! mutual-aid association, which offers care for older people. The association sees only
//! his code, group, community and the reason until it accepts; accepting moves the case and
//! its open needs; declining leaves it; a referral to an organization that does not offer
//! the service, without consent, or naming the person is refused; and a person referred
//! again and again is flagged to the office.

use charity_relay::services::referrals;
use chrono::{Duration, Utc};
use sea_orm::{ConnectionTrait, Statement};

use crate::support::browser::Browser;
use crate::support::world::{PLANTED_NAME, PLANTED_PHONE, World};
use crate::support::{TestApp, scalar_i64};

const REASON: &str = "独居长者需要长期上门照护，本站人手不足";

/// The office records that organization B offers care for older people; returns the
/// office's signed-in browser.
pub(crate) async fn b_offers_elder_care(app: &TestApp, world: &World) -> Browser {
    let email = app.office_account().await;
    let mut office = app.login(&email).await;
    office.get("/admin/organizations").await;
    let saved = office
        .post(
            &format!("/admin/organizations/{}/services", world.b().id),
            &[("areas", "elder_care")],
        )
        .await;
    assert_eq!(saved.status(), 303);
    office
}

/// Worker 0 refers A's beneficiary to B; returns the referral's id.
pub(crate) async fn refer(worker: &mut Browser, world: &World, extra: &[(&str, &str)]) -> i64 {
    let case = world.a().beneficiary_id;
    worker.get(&format!("/beneficiaries/{case}/referrals")).await;
    let b = world.b().id.to_string();
    let mut fields = vec![
        ("service_area", "elder_care"),
        ("to_organization", b.as_str()),
        ("reason", REASON),
        ("consent", "yes"),
    ];
    fields.extend_from_slice(extra);
    let sent = worker.post(&format!("/beneficiaries/{case}/referrals"), &fields).await;
    assert_eq!(sent.status(), 303, "{}", sent.text().await.unwrap_or_default());
    let location = sent
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .expect("location")
        .to_owned();
    location
        .trim_start_matches("/referrals/")
        .split('?')
        .next()
        .and_then(|id| id.parse().ok())
        .expect("referral id")
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    scalar_i64(&app.db, sql).await
}

#[tokio::test]
async fn an_accepted_referral_moves_the_case_and_its_open_needs_and_tells_the_sender() {
    let app = TestApp::spawn().await;
    let world = app.world(0).await;
    b_offers_elder_care(&app, &world).await;
    let need = app.post_need(world.a(), 3).await;
    let case = world.a().beneficiary_id;
    let mut station = app.login("worker0@example.org").await;
    let mut association = app.login("worker1@example.org").await;

    let (status, form) = station.get(&format!("/beneficiaries/{case}/referrals")).await;
    assert_eq!(status, 200);
    assert!(
        form.contains("盐田区妇女互助会 · 长者照顾"),
        "the form offers B with what it offers"
    );
    assert!(form.contains("米和食用油"), "the open need can go along");
    let need_id = need.to_string();
    let referral = refer(&mut station, &world, &[("needs", need_id.as_str())]).await;
    let (_, sent) = station.get(&format!("/referrals/{referral}?sent=1")).await;
    assert!(sent.contains("转介已发送") && sent.contains("撤回转介"));

    // B's workers are told by email; before accepting they see the code, group, community
    // and the reason only.
    let told = count(
        &app,
        "SELECT COUNT(*) FROM outbox WHERE kind = 'worker-referral-received' AND recipient = 'worker1@example.org'",
    )
    .await;
    assert_eq!(told, 1);
    let (status, page) = association.get(&format!("/referrals/{referral}")).await;
    assert_eq!(status, 200);
    assert!(page.contains(REASON) && page.contains("独居老人") && page.contains("确认接收个案"));
    assert!(
        !page.contains(PLANTED_NAME) && !page.contains(PLANTED_PHONE),
        "no private detail before acceptance"
    );
    assert!(!page.contains(&format!("href=\"/beneficiaries/{case}\"")));
    assert_eq!(association.get(&format!("/beneficiaries/{case}")).await.0, 404);
    let (_, inbox) = association.get("/referrals?side=received").await;
    assert!(inbox.contains("来自「沙头角街道社工站」的转介"));

    // Accepting asks first, on a page of its own: what moves, who is told, no way back.
    assert!(
        page.contains(&format!("href=\"/referrals/{referral}/accept\"")),
        "{page}"
    );
    let (status, ask) = association.get(&format!("/referrals/{referral}/accept")).await;
    assert_eq!(status, 200);
    assert!(
        ask.contains("接收后不能撤销") && ask.contains("转出机构的社工会收到邮件") && !ask.contains("name=\"reason\""),
        "{ask}"
    );
    // The sender's own worker is not asked (it cannot answer): back to the referral.
    let (status, back) = station.get(&format!("/referrals/{referral}/accept")).await;
    assert!(
        matches!(status, 200 | 303) && !back.contains("接收后不能撤销"),
        "{status} {back}"
    );

    let accepted = association.post(&format!("/referrals/{referral}/accept"), &[]).await;
    assert_eq!(accepted.status(), 303);
    let b = world.b().id;
    assert_eq!(
        count(
            &app,
            &format!("SELECT organization_id FROM beneficiaries WHERE id = {case}")
        )
        .await,
        b
    );
    assert_eq!(
        count(&app, &format!("SELECT organization_id FROM needs WHERE id = {need}")).await,
        b
    );
    let b_worker = count(&app, "SELECT id FROM staff WHERE email = 'worker1@example.org'").await;
    assert_eq!(
        count(&app, &format!("SELECT posted_by FROM needs WHERE id = {need}")).await,
        b_worker,
        "news of the need now reaches the new organization's worker"
    );
    assert_eq!(
        count(
            &app,
            &format!("SELECT COUNT(*) FROM case_custody WHERE beneficiary_id = {case}")
        )
        .await,
        2
    );
    assert_eq!(
        count(
            &app,
            &format!("SELECT COUNT(*) FROM case_custody WHERE beneficiary_id = {case} AND until_at IS NULL AND organization_id = {b}"),
        )
        .await,
        1,
        "exactly one organization has the case"
    );
    let (status, file) = association.get(&format!("/beneficiaries/{case}")).await;
    assert_eq!(status, 200, "the case file opens for its new organization");
    assert!(file.contains(PLANTED_NAME));
    let told_back = count(
        &app,
        "SELECT COUNT(*) FROM outbox WHERE kind = 'worker-referral-accepted' AND recipient = 'worker0@example.org'",
    )
    .await;
    assert_eq!(told_back, 1, "the sender is told");
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'referral.accept' AND outcome = 'ok'"
        )
        .await,
        1
    );

    // Accepting twice changes nothing and says why.
    let again = association.post(&format!("/referrals/{referral}/accept"), &[]).await;
    assert_eq!(again.status(), 409);
    assert!(again.text().await.expect("body").contains("已经答复或撤回"));
    assert_eq!(
        count(
            &app,
            &format!("SELECT COUNT(*) FROM case_custody WHERE beneficiary_id = {case}")
        )
        .await,
        2
    );
}

#[tokio::test]
async fn a_declined_referral_leaves_the_case_and_never_shows_its_private_details() {
    let app = TestApp::spawn().await;
    let world = app.world(0).await;
    b_offers_elder_care(&app, &world).await;
    let case = world.a().beneficiary_id;
    let mut station = app.login("worker0@example.org").await;
    let mut association = app.login("worker1@example.org").await;
    let referral = refer(&mut station, &world, &[]).await;

    association.get(&format!("/referrals/{referral}")).await;
    let refused = association
        .post(
            &format!("/referrals/{referral}/decline"),
            &[("decline_reason", ""), ("decline_note", "人手已满")],
        )
        .await;
    assert_eq!(refused.status(), 422, "a decline needs a reason");
    let body = refused.text().await.expect("body");
    assert!(
        body.contains("还没有选择") && body.contains("人手已满"),
        "the error stands by the field, the note is kept"
    );
    let with_phone = association
        .post(
            &format!("/referrals/{referral}/decline"),
            &[
                ("decline_reason", "no_capacity"),
                ("decline_note", "请联系 13800138000"),
            ],
        )
        .await;
    assert_eq!(with_phone.status(), 422, "the note is public text");

    let declined = association
        .post(
            &format!("/referrals/{referral}/decline"),
            &[("decline_reason", "no_capacity"), ("decline_note", "本月名额已满")],
        )
        .await;
    assert_eq!(declined.status(), 303);
    let a = world.a().id;
    assert_eq!(
        count(
            &app,
            &format!("SELECT organization_id FROM beneficiaries WHERE id = {case}")
        )
        .await,
        a
    );
    let b = world.b().id;
    assert_eq!(
        count(
            &app,
            &format!("SELECT COUNT(*) FROM case_custody WHERE organization_id = {b}")
        )
        .await,
        0,
        "the case never moved"
    );
    let told = count(
        &app,
        "SELECT COUNT(*) FROM outbox WHERE kind = 'worker-referral-declined' AND recipient = 'worker0@example.org'",
    )
    .await;
    assert_eq!(told, 1);
    let (_, page) = station.get(&format!("/referrals/{referral}")).await;
    assert!(page.contains("目前没有服务名额") && page.contains("本月名额已满"));

    // The association never sees who the person is.
    assert_eq!(association.get(&format!("/beneficiaries/{case}")).await.0, 404);
    let (_, page) = association.get(&format!("/referrals/{referral}")).await;
    assert!(!page.contains(PLANTED_NAME) && !page.contains(PLANTED_PHONE));
    let accept = association.post(&format!("/referrals/{referral}/accept"), &[]).await;
    assert_eq!(
        accept.status(),
        409,
        "a declined referral cannot be accepted afterwards"
    );
}

#[tokio::test]
async fn a_referral_needs_an_organization_that_offers_the_service_consent_and_public_words() {
    let app = TestApp::spawn().await;
    let world = app.world(0).await;
    b_offers_elder_care(&app, &world).await;
    let case = world.a().beneficiary_id;
    let b = world.b().id.to_string();
    let mut station = app.login("worker0@example.org").await;
    station.get(&format!("/beneficiaries/{case}/referrals")).await;
    let path = format!("/beneficiaries/{case}/referrals");

    type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str);
    let cases: [Case; 4] = [
        (
            &[
                ("service_area", "legal_aid"),
                ("to_organization", &b),
                ("reason", REASON),
                ("consent", "yes"),
            ],
            "to_organization-error",
            "不在列表中",
        ),
        (
            &[
                ("service_area", "elder_care"),
                ("to_organization", &b),
                ("reason", REASON),
            ],
            "consent-error",
            "征得本人",
        ),
        (
            &[
                ("service_area", "elder_care"),
                ("to_organization", &b),
                ("reason", "请打电话 13800138000 联系"),
                ("consent", "yes"),
            ],
            "reason-error",
            "",
        ),
        (
            &[
                ("service_area", "elder_care"),
                ("to_organization", &b),
                ("reason", &format!("{PLANTED_NAME}需要照护")),
                ("consent", "yes"),
            ],
            "reason-error",
            "",
        ),
    ];
    for (fields, error_id, words) in cases {
        let refused = station.post(&path, fields).await;
        assert_eq!(refused.status(), 422, "{fields:?}");
        let body = refused.text().await.expect("body");
        assert!(body.contains(error_id) && body.contains(words), "{fields:?}: {body}");
        assert!(body.contains("name=\"reason\""), "the form is shown again");
    }
    assert_eq!(count(&app, "SELECT COUNT(*) FROM referrals").await, 0, "nothing stored");
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM outbox WHERE kind LIKE 'worker-referral-%'").await,
        0
    );
}

#[tokio::test]
async fn only_the_owner_refers_one_referral_waits_at_a_time_and_only_the_sender_withdraws() {
    let app = TestApp::spawn().await;
    let world = app.world(0).await;
    b_offers_elder_care(&app, &world).await;
    let case = world.a().beneficiary_id;
    let mut station = app.login("worker0@example.org").await;
    let mut association = app.login("worker1@example.org").await;

    // Another organization cannot refer A's case: the same 404 as a missing one, audited.
    assert_eq!(
        association.get(&format!("/beneficiaries/{case}/referrals")).await.0,
        404
    );
    let b = world.b().id.to_string();
    let stranger = association
        .post(
            &format!("/beneficiaries/{case}/referrals"),
            &[
                ("service_area", "elder_care"),
                ("to_organization", &b),
                ("reason", REASON),
                ("consent", "yes"),
            ],
        )
        .await;
    assert_eq!(stranger.status(), 404);
    assert_eq!(association.get("/beneficiaries/999999/referrals").await.0, 404);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'referral.%' AND outcome = 'denied'"
        )
        .await,
        3
    );

    let referral = refer(&mut station, &world, &[]).await;
    let (_, tab) = station.get(&format!("/beneficiaries/{case}/referrals")).await;
    assert!(
        tab.contains("正在等待对方答复") && !tab.contains("发送转介"),
        "no second form while one waits"
    );
    let second = station
        .post(
            &format!("/beneficiaries/{case}/referrals"),
            &[
                ("service_area", "elder_care"),
                ("to_organization", &b),
                ("reason", REASON),
                ("consent", "yes"),
            ],
        )
        .await;
    assert_eq!(second.status(), 409);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM referrals").await, 1);

    // The receiver cannot withdraw it; the sender can, and then it cannot be accepted.
    assert_eq!(
        association
            .post(&format!("/referrals/{referral}/withdraw"), &[])
            .await
            .status(),
        403
    );
    assert_eq!(
        station
            .post(&format!("/referrals/{referral}/accept"), &[])
            .await
            .status(),
        403
    );
    assert_eq!(
        station
            .post(&format!("/referrals/{referral}/withdraw"), &[])
            .await
            .status(),
        303
    );
    assert_eq!(
        association
            .post(&format!("/referrals/{referral}/accept"), &[])
            .await
            .status(),
        409
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM referrals WHERE status = 'withdrawn'").await,
        1
    );
}

#[tokio::test]
async fn a_person_referred_three_times_in_180_days_is_flagged_to_the_office_with_the_chain() {
    let app = TestApp::spawn().await;
    let world = app.world(0).await;
    let mut office = b_offers_elder_care(&app, &world).await;
    let mut station = app.login("worker0@example.org").await;
    let mut association = app.login("worker1@example.org").await;
    for _ in 0..2 {
        let referral = refer(&mut station, &world, &[]).await;
        association.get(&format!("/referrals/{referral}")).await;
        let declined = association
            .post(
                &format!("/referrals/{referral}/decline"),
                &[("decline_reason", "out_of_scope")],
            )
            .await;
        assert_eq!(declined.status(), 303);
    }
    let (_, page) = office.get("/referrals").await;
    assert!(
        page.contains("没有多次转介的个案"),
        "two referrals are not yet a pattern"
    );

    refer(&mut station, &world, &[]).await;
    let (_, page) = office.get("/referrals").await;
    let case = world.a().beneficiary_id;
    let code = app
        .db
        .query_one_raw(Statement::from_string(
            app.db.get_database_backend(),
            format!("SELECT code FROM beneficiaries WHERE id = {case}"),
        ))
        .await
        .expect("query")
        .and_then(|row| row.try_get_by_index::<String>(0).ok())
        .expect("code");
    assert!(page.contains("多次转介") && page.contains(&code));
    assert!(page.contains("沙头角街道社工站 → 盐田区妇女互助会（已婉拒）"), "{page}");
    assert!(!page.contains(PLANTED_NAME));
    // A social worker has no such list.
    let (_, list) = station.get("/referrals").await;
    assert!(!list.contains("多次转介的个案"));

    // The office's report counts the pair, its answers and why it declined.
    let (status, report) = office.get("/admin/reports").await;
    assert_eq!(status, 200);
    let row = r#"<td class="lead">沙头角街道社工站</td><td data-label="接收机构">盐田区妇女互助会</td><td data-label="转介数">3</td><td data-label="已接收">0</td><td data-label="已婉拒">2</td><td data-label="待答复">1</td><td data-label="接收率">0%</td>"#;
    assert!(report.contains(row), "{report}");
    assert!(report.contains(r#"<td class="lead">不在本机构服务范围</td><td data-label="次数">2</td>"#));
    assert!(report.contains(&code) && !report.contains(PLANTED_NAME));
}

#[tokio::test]
async fn a_late_answer_brings_one_reminder_and_then_the_office_is_flagged() {
    let app = TestApp::spawn().await;
    let world = app.world(0).await;
    let mut office = b_offers_elder_care(&app, &world).await;
    let mut station = app.login("worker0@example.org").await;
    let referral = refer(&mut station, &world, &[]).await;
    let due = count(
        &app,
        &format!("SELECT COUNT(*) FROM referrals WHERE id = {referral} AND due_at > created_at"),
    )
    .await;
    assert_eq!(due, 1);

    let now = Utc::now();
    let (reminded, flagged) = referrals::remind_late(&app.db, Duration::days(2), now)
        .await
        .expect("job");
    assert_eq!((reminded, flagged), (0, 0), "not late yet");
    let late = now + Duration::days(8);
    let (reminded, _) = referrals::remind_late(&app.db, Duration::days(2), late)
        .await
        .expect("job");
    assert_eq!(reminded, 1);
    let (reminded, flagged) = referrals::remind_late(&app.db, Duration::days(2), late)
        .await
        .expect("job");
    assert_eq!((reminded, flagged), (0, 0), "one reminder only");
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM outbox WHERE kind = 'worker-referral-reminder' AND recipient = 'worker1@example.org'"
        )
        .await,
        1
    );
    let (_, flagged) = referrals::remind_late(&app.db, Duration::days(2), late + Duration::days(3))
        .await
        .expect("job");
    assert_eq!(flagged, 1);
    let (_, page) = office.get("/referrals?status=pending").await;
    assert!(page.contains("已逾期") && page.contains("已提交街道办跟进"));
}

#[tokio::test]
async fn closing_a_case_withdraws_its_waiting_referral_and_a_closed_case_is_not_referred() {
    let app = TestApp::spawn().await;
    let world = app.world(0).await;
    b_offers_elder_care(&app, &world).await;
    let case = world.a().beneficiary_id;
    let mut station = app.login("worker0@example.org").await;
    let association = app.login("worker1@example.org").await;
    let referral = refer(&mut station, &world, &[]).await;

    station.get(&format!("/beneficiaries/{case}/close")).await;
    let closed = station
        .post(&format!("/beneficiaries/{case}/close"), &[("reason", "moved_away")])
        .await;
    assert_eq!(closed.status(), 303);
    assert_eq!(
        count(
            &app,
            &format!("SELECT COUNT(*) FROM referrals WHERE id = {referral} AND status = 'withdrawn'")
        )
        .await,
        1,
        "the waiting referral goes with the closed case"
    );
    let accept = association.post(&format!("/referrals/{referral}/accept"), &[]).await;
    assert_eq!(accept.status(), 409);

    let b = world.b().id.to_string();
    let refused = station
        .post(
            &format!("/beneficiaries/{case}/referrals"),
            &[
                ("service_area", "elder_care"),
                ("to_organization", &b),
                ("reason", REASON),
                ("consent", "yes"),
            ],
        )
        .await;
    assert_eq!(refused.status(), 409);
    assert!(refused.text().await.expect("body").contains("个案已结案"));
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM referrals").await,
        1,
        "nothing new stored"
    );
}

/// A hand entry of relief for `case`, described as `note`.
pub(crate) async fn ledger_entry(app: &TestApp, worker: &Browser, case: i64, note: &str) -> u16 {
    let dibao = count(app, "SELECT id FROM relief_programmes WHERE code = 'dibao'").await;
    let today = (Utc::now() + Duration::hours(8)).date_naive().to_string();
    worker
        .post(
            &format!("/beneficiaries/{case}/ledger"),
            &[
                ("kind", "government"),
                ("regularity", "regular"),
                ("form", "money"),
                ("programme_id", &dibao.to_string()),
                ("amount", "500"),
                ("period_from", &today),
                ("period_to", ""),
                ("description", note),
            ],
        )
        .await
        .status()
        .as_u16()
}

#[tokio::test]
async fn the_organization_that_referred_a_case_on_reads_its_history_up_to_the_hand_over_only() {
    let app = TestApp::spawn().await;
    let world = app.world(0).await;
    b_offers_elder_care(&app, &world).await;
    let case = world.a().beneficiary_id;
    let mut station = app.login("worker0@example.org").await;
    let mut association = app.login("worker1@example.org").await;
    station.get(&format!("/beneficiaries/{case}/ledger")).await;
    assert_eq!(ledger_entry(&app, &station, case, "站里登记的低保金").await, 303);
    let referral = refer(&mut station, &world, &[]).await;
    association.get(&format!("/referrals/{referral}")).await;
    assert_eq!(
        association
            .post(&format!("/referrals/{referral}/accept"), &[])
            .await
            .status(),
        303
    );
    association.get(&format!("/beneficiaries/{case}/ledger")).await;
    assert_eq!(ledger_entry(&app, &association, case, "互助会登记的低保金").await, 303);

    // The new owner reads all of it and records.
    let (_, page) = association.get(&format!("/beneficiaries/{case}/ledger")).await;
    assert!(page.contains("站里登记的低保金") && page.contains("互助会登记的低保金"));
    assert!(page.contains("name=\"amount\""));
    // The station reads what it had, read-only, and nothing recorded after the hand-over.
    let (status, page) = station.get(&format!("/beneficiaries/{case}/ledger")).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("站里登记的低保金") && !page.contains("互助会登记的低保金"),
        "{page}"
    );
    assert!(page.contains("这里只读") && !page.contains("name=\"amount\""));
    assert_eq!(
        ledger_entry(&app, &station, case, "转出后又登记").await,
        404,
        "it records nothing now"
    );
    let (status, page) = station.get(&format!("/beneficiaries/{case}/visits")).await;
    assert_eq!(status, 200);
    assert!(page.contains("这里只读") && !page.contains("name=\"visitors\""));
    // Its tab bar offers only what it may open: no dead end on the details or referrals.
    assert!(
        !page.contains(&format!("href=\"/beneficiaries/{case}\""))
            && !page.contains(&format!("/beneficiaries/{case}/referrals")),
        "{page}"
    );
    assert!(page.contains(&format!("/beneficiaries/{case}/ledger")));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM ledger_entries").await, 2);
}

#[tokio::test]
async fn a_waiting_referral_tells_each_reader_whose_answer_it_waits_for() {
    let app = TestApp::spawn().await;
    let world = app.world(0).await;
    let mut office = b_offers_elder_care(&app, &world).await;
    let mut station = app.login("worker0@example.org").await;
    let mut association = app.login("worker1@example.org").await;
    let referral = refer(&mut station, &world, &[]).await;

    // The receiver is the one who must act: not "waiting for the other side".
    let (status, list) = association.get("/referrals").await;
    assert_eq!(status, 200);
    assert!(list.contains("待本机构答复"), "the receiver's list says it must answer");
    let (status, page) = association.get(&format!("/referrals/{referral}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("待本机构答复"), "so does the referral's page");
    assert!(!page.contains("待对方答复"), "not that the other side must");
    // (Only the deadline's own midnight: a time shown elsewhere on the page may well read
    // 00:00 when the story runs at midnight in Beijing.)
    let due = <charity_relay::entities::referral::Entity as sea_orm::EntityTrait>::find_by_id(referral)
        .one(&app.db)
        .await
        .expect("read")
        .expect("the referral")
        .due_at;
    let midnight_after = format!(
        "{} 00:00",
        charity_relay::domain::time::local_date(due).format("%Y-%m-%d")
    );
    assert!(
        !page.contains(&midnight_after),
        "the deadline is the last day to answer, as in the email, not the midnight after"
    );
    association.post("/settings/language", &[("lang", "en")]).await;
    let (_, english) = association.get(&format!("/referrals/{referral}")).await;
    assert!(english.contains("Waiting for your answer"));
    assert!(!english.contains('：'), "no Chinese punctuation on the English page");
    let (_, sent) = station.get(&format!("/referrals/{referral}")).await;
    assert!(sent.contains("待对方答复"), "the sender waits for the other side");
    let (_, office_page) = office.get("/referrals").await;
    assert!(
        office_page.contains("待接收机构答复"),
        "the office reads which side must answer"
    );
}

/// The sender closes the case while the receiver accepts its referral: one of them wins, and
/// the case is never both moved and closed by the organization it left.
#[tokio::test]
async fn closing_and_accepting_at_once_never_closes_the_case_the_other_organization_took() {
    let app = TestApp::spawn().await;
    let world = app.world(0).await;
    b_offers_elder_care(&app, &world).await;
    let case = world.a().beneficiary_id;
    let mut station = app.login("worker0@example.org").await;
    let mut association = app.login("worker1@example.org").await;
    let referral = refer(&mut station, &world, &[]).await;
    association.get(&format!("/referrals/{referral}")).await;
    station.get(&format!("/beneficiaries/{case}/close")).await;
    let close_path = format!("/beneficiaries/{case}/close");
    let accept_path = format!("/referrals/{referral}/accept");
    let (closed, accepted) = tokio::join!(
        station.post(&close_path, &[("reason", "moved_away")]),
        association.post(&accept_path, &[]),
    );
    let (closed, accepted) = (closed.status().as_u16(), accepted.status().as_u16());
    let owner = count(
        &app,
        &format!("SELECT organization_id FROM beneficiaries WHERE id = {case}"),
    )
    .await;
    let is_closed = count(
        &app,
        &format!("SELECT COUNT(*) FROM beneficiaries WHERE id = {case} AND case_status = 'closed'"),
    )
    .await;
    if owner == world.b().id {
        assert_eq!(is_closed, 0, "the case B took was closed by A ({closed}, {accepted})");
        assert_eq!((accepted, closed), (303, 404));
    } else {
        assert_eq!((closed, accepted), (303, 409));
        assert_eq!(is_closed, 1);
    }
}
