//! The case file: a social worker edits a person's sealed details and household notes,
//! records their consent to data processing, closes the case (asked first; open needs
//! cancelled, shops told, the resident's mail stopped) and reopens it; another organization
//! sees nothing; the erasure job removes the personal data of cases closed for longer than
//! the retention period and leaves the anonymous figures.

use std::time::Duration as StdDuration;

use charity_relay::domain::Locale;
use charity_relay::domain::case::CONSENT_VERSION;
use charity_relay::jobs;
use chrono::{Duration, Utc};

use crate::support::browser::Browser;
use crate::support::world::{PLANTED_ADDRESS, PLANTED_NAME, PLANTED_PHONE};
use crate::support::{TestApp, scalar_i64};

const NEW_PHONE: &str = "13700001111";
const HOUSEHOLD: &str = "与孙子同住，女儿每周探望一次";

/// The edit form's fields with the planted details, `changes` applied.
fn edit_fields<'a>(community: &'a str, changes: &[(&'a str, &'a str)]) -> Vec<(&'a str, String)> {
    let mut fields: Vec<(&str, String)> = vec![
        ("community_id", community.to_owned()),
        ("group", "elderly_alone".into()),
        ("full_name", PLANTED_NAME.into()),
        ("phone", PLANTED_PHONE.into()),
        ("address", PLANTED_ADDRESS.into()),
        ("notes", "行动不便".into()),
        ("id_number", String::new()),
        ("household_notes", String::new()),
    ];
    for (name, value) in changes {
        if let Some(f) = fields.iter_mut().find(|(n, _)| n == name) {
            f.1 = (*value).to_owned();
        }
    }
    fields
}

async fn post(browser: &Browser, path: &str, fields: &[(&str, String)]) -> (u16, String) {
    let fields: Vec<(&str, &str)> = fields.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let response = browser.post(path, &fields).await;
    let status = response.status().as_u16();
    (status, response.text().await.expect("body"))
}

async fn sealed(app: &TestApp, id: i64) -> (Vec<u8>, Option<String>) {
    use charity_relay::entities::beneficiary_private;
    use sea_orm::EntityTrait;
    let row = beneficiary_private::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .expect("query")
        .expect("sealed row");
    (row.sealed, row.phone_digest)
}

async fn audit_details(app: &TestApp, action: &str) -> Vec<String> {
    use sea_orm::{ConnectionTrait, Statement};
    let rows = app
        .db
        .query_all_raw(Statement::from_string(
            app.db.get_database_backend(),
            format!("SELECT detail FROM audit_log WHERE action = '{action}' ORDER BY id"),
        ))
        .await
        .expect("audit");
    rows.iter()
        .map(|r| r.try_get::<String>("", "detail").unwrap_or_default())
        .collect()
}

#[tokio::test]
async fn the_owner_edits_the_details_and_household_notes_and_the_audit_names_fields_only() {
    let app = TestApp::spawn().await;
    let world = app.world(0).await;
    let id = world.a().beneficiary_id;
    let community = world.community_id.to_string();
    let mut worker = app.login("worker0@example.org").await;

    let (status, form) = worker.get(&format!("/beneficiaries/{id}/edit")).await;
    assert_eq!(status, 200);
    assert!(
        form.contains(PLANTED_NAME) && form.contains(PLANTED_PHONE),
        "the form is filled from the opened details: {form}"
    );
    let before = sealed(&app, id).await;

    // Bad input: the form again, each message beside its field, every typed value kept, nothing stored.
    let bad = edit_fields(
        &community,
        &[("full_name", ""), ("phone", "abc"), ("household_notes", HOUSEHOLD)],
    );
    let (status, page) = post(&worker, &format!("/beneficiaries/{id}/edit"), &bad).await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains(r#"id="phone-error""#) && page.contains(HOUSEHOLD) && page.contains("abc"));
    assert_eq!(sealed(&app, id).await, before, "nothing stored");
    assert!(audit_details(&app, "beneficiary.edit").await.is_empty());

    let good = edit_fields(&community, &[("phone", NEW_PHONE), ("household_notes", HOUSEHOLD)]);
    let response = worker
        .post(
            &format!("/beneficiaries/{id}/edit"),
            &good.iter().map(|(n, v)| (*n, v.as_str())).collect::<Vec<_>>(),
        )
        .await;
    assert_eq!(response.status(), 303);
    let after = sealed(&app, id).await;
    assert_ne!(after.0, before.0, "re-sealed");
    assert_ne!(after.1, before.1, "the phone's digest follows the new number");

    let (_, page) = worker.get(&format!("/beneficiaries/{id}")).await;
    assert!(page.contains(NEW_PHONE) && page.contains(HOUSEHOLD), "{page}");

    // The duplicate check runs again; the pair the office already has (the other
    // organization's person with the planted phone) is not flagged a second time.
    let pairs = app.count("possible_duplicates").await;
    assert_eq!(pairs, 1, "registration flagged the shared phone");
    let back = edit_fields(&community, &[("household_notes", HOUSEHOLD)]);
    let (status, _) = post(&worker, &format!("/beneficiaries/{id}/edit"), &back).await;
    assert_eq!(status, 303);
    assert_eq!(app.count("possible_duplicates").await, pairs);
    let audit = audit_details(&app, "beneficiary.edit").await;
    assert_eq!(audit.len(), 2);
    assert!(
        audit[0].contains("phone") && audit[0].contains("household_notes"),
        "{}",
        audit[0]
    );
    for value in [NEW_PHONE, PLANTED_PHONE, HOUSEHOLD, PLANTED_NAME] {
        assert!(!audit[0].contains(value), "no value in the audit row: {}", audit[0]);
    }
}

#[tokio::test]
async fn another_organization_finds_no_case_to_change_and_is_audited() {
    let app = TestApp::spawn().await;
    let world = app.world(0).await;
    let theirs = world.a().beneficiary_id;
    let mut stranger = app.login("worker1@example.org").await;

    let (missing_status, missing) = stranger.get("/beneficiaries/999999/edit").await;
    let (status, page) = stranger.get(&format!("/beneficiaries/{theirs}/edit")).await;
    assert_eq!((status, missing_status), (404, 404));
    assert_eq!(page, missing, "indistinguishable from a missing case");
    let (status, _) = stranger.get(&format!("/beneficiaries/{theirs}/close")).await;
    assert_eq!(status, 404);

    let community = world.community_id.to_string();
    let fields = edit_fields(&community, &[("phone", NEW_PHONE)]);
    let before = sealed(&app, theirs).await;
    for (path, fields) in [
        (format!("/beneficiaries/{theirs}/edit"), fields.clone()),
        (
            format!("/beneficiaries/{theirs}/close"),
            vec![("reason", "moved_away".to_owned())],
        ),
        (format!("/beneficiaries/{theirs}/reopen"), vec![]),
        (
            format!("/beneficiaries/{theirs}/consent"),
            vec![("agreed", "on".to_owned())],
        ),
    ] {
        let (status, _) = post(&stranger, &path, &fields).await;
        assert_eq!(status, 404, "{path}");
    }
    assert_eq!(sealed(&app, theirs).await, before);
    let denied = scalar_i64(
        &app.db,
        &format!(
            "SELECT COUNT(*) FROM audit_log WHERE outcome = 'denied' AND subject_id = '{theirs}' \
             AND action IN ('beneficiary.edit', 'beneficiary.close', 'beneficiary.reopen', 'beneficiary.consent')"
        ),
    )
    .await;
    assert!(denied >= 4, "every attempt is audited: {denied}");
    let status = scalar_i64(
        &app.db,
        &format!(
            "SELECT COUNT(*) FROM beneficiaries WHERE id = {theirs} AND case_status = 'active' AND consent_at IS NULL"
        ),
    )
    .await;
    assert_eq!(status, 1, "nothing changed");

    // The office reads the case file but changes nothing of it.
    let office = app.office_account().await;
    let mut office = app.login(&office).await;
    let (status, _) = office.get(&format!("/beneficiaries/{theirs}")).await;
    assert_eq!(status, 200);
    let (status, _) = post(&office, &format!("/beneficiaries/{theirs}/reopen"), &[]).await;
    assert_eq!(status, 403);
    let (status, _) = post(
        &office,
        &format!("/beneficiaries/{theirs}/close"),
        &[("reason", "moved_away".to_owned())],
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = office.get(&format!("/beneficiaries/{theirs}/edit")).await;
    assert_eq!(status, 403);
    assert_eq!(sealed(&app, theirs).await, before);
}

#[tokio::test]
async fn consent_is_recorded_with_its_wording_version_and_shown() {
    let app = TestApp::spawn().await;
    let world = app.world(0).await;
    let id = world.a().beneficiary_id;
    let mut worker = app.login("worker0@example.org").await;

    let (_, page) = worker.get(&format!("/beneficiaries/{id}")).await;
    assert!(
        page.contains(r#"id="no-consent""#),
        "a case without consent says so: {page}"
    );
    assert!(page.contains(charity_relay::domain::case::consent_wording(Locale::ZhCn)));

    let (status, page) = post(&worker, &format!("/beneficiaries/{id}/consent"), &[]).await;
    assert_eq!(status, 422);
    assert!(page.contains(r#"id="consent-error""#), "{page}");

    let (status, _) = post(
        &worker,
        &format!("/beneficiaries/{id}/consent"),
        &[("agreed", "on".into())],
    )
    .await;
    assert_eq!(status, 303);
    let (_, page) = worker.get(&format!("/beneficiaries/{id}")).await;
    assert!(
        !page.contains(r#"id="no-consent""#) && page.contains(CONSENT_VERSION),
        "{page}"
    );
    let recorded = scalar_i64(
        &app.db,
        &format!("SELECT COUNT(*) FROM beneficiaries WHERE id = {id} AND consent_version = '{CONSENT_VERSION}' AND consent_recorded_by IS NOT NULL"),
    )
    .await;
    assert_eq!(recorded, 1);
    assert_eq!(audit_details(&app, "beneficiary.consent").await.len(), 1);
}

/// The need form's fields for beneficiary `id`.
fn need_fields(id: i64) -> Vec<(&'static str, String)> {
    vec![
        ("beneficiary_id", id.to_string()),
        ("category", "food".into()),
        ("title", "大米".into()),
        ("quantity", "2".into()),
        ("unit", "袋".into()),
        ("deadline", (Utc::now() + Duration::days(10)).date_naive().to_string()),
    ]
}

#[tokio::test]
async fn closing_asks_first_cancels_the_open_needs_tells_the_shop_and_stops_the_residents_mail() {
    let app = TestApp::spawn_with_bot().await;
    let world = app.world(1).await;
    let id = world.a().beneficiary_id;
    let merchant = &world.merchants[0];
    let chat = app.linked_chat(merchant.id, 4100, Locale::ZhCn).await;
    let need = app.post_need(world.a(), 4).await;
    let (status, body) = app.claim(&merchant.token, need, 2).await;
    assert_eq!(status, 201, "{body}");
    let told_before = app
        .wait_for_telegram(chat.id, 1, StdDuration::from_secs(10))
        .await
        .len();
    let contact = scalar_i64(
        &app.db,
        &format!("SELECT contact_id FROM beneficiaries WHERE id = {id}"),
    )
    .await;
    let queued = scalar_i64(
        &app.db,
        &format!(
            "SELECT COUNT(*) FROM outbox WHERE contact_id = {contact} AND status IN ('pending', 'failed', 'held')"
        ),
    )
    .await;
    assert!(queued > 0, "the resident has mail waiting (held for consent)");

    let mut worker = app.login("worker0@example.org").await;
    let (status, ask) = worker.get(&format!("/beneficiaries/{id}/close")).await;
    assert_eq!(status, 200);
    assert!(
        ask.contains("米和食用油") && ask.contains(r#"id="merchants-told""#),
        "asks first, naming the needs and that shops will be told: {ask}"
    );
    assert_eq!(
        scalar_i64(
            &app.db,
            &format!("SELECT COUNT(*) FROM beneficiaries WHERE id = {id} AND case_status = 'active'")
        )
        .await,
        1,
        "asking writes nothing"
    );

    let (status, page) = post(
        &worker,
        &format!("/beneficiaries/{id}/close"),
        &[("reason", String::new())],
    )
    .await;
    assert_eq!(status, 422);
    assert!(page.contains(r#"id="reason-error""#), "{page}");

    let (status, _) = post(
        &worker,
        &format!("/beneficiaries/{id}/close"),
        &[("reason", "moved_away".into())],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(
        scalar_i64(
            &app.db,
            &format!("SELECT COUNT(*) FROM needs WHERE id = {need} AND status = 'cancelled'")
        )
        .await,
        1
    );
    let told = app
        .wait_for_telegram(chat.id, told_before + 1, StdDuration::from_secs(10))
        .await;
    assert!(told.len() > told_before, "the shop holding a claim is told");
    assert_eq!(
        scalar_i64(
            &app.db,
            &format!(
                "SELECT COUNT(*) FROM outbox WHERE contact_id = {contact} AND status IN ('pending', 'failed', 'held')"
            ),
        )
        .await,
        0,
        "the resident's queued mail is dropped"
    );
    // What was still waiting when the case closed is dropped with the reason; the dispatcher
    // may have sent one of the rows counted above in the meantime (the consent email).
    let dropped = scalar_i64(
        &app.db,
        &format!("SELECT COUNT(*) FROM outbox WHERE contact_id = {contact} AND status = 'dead' AND last_error = 'case closed'"),
    )
    .await;
    assert!((1..=queued).contains(&dropped), "{dropped} of {queued} dropped");
    let (_, page) = worker.get(&format!("/beneficiaries/{id}")).await;
    assert!(page.contains("已迁出本辖区"), "the page says closed and why: {page}");

    // A closed case takes no new need, on the web or the API, and leaves the need form.
    let (status, form) = post(&worker, "/needs", &need_fields(id)).await;
    assert_eq!(status, 422);
    assert!(form.contains("此个案已结案"), "{form}");
    let code = scalar_code(&app, id).await;
    let (_, form) = worker.get("/needs/new").await;
    assert!(!form.contains(&code), "not offered: {form}");
    let (status, body) = app
        .api(
            "POST",
            "/api/v1/needs",
            &world.a().token,
            Some(serde_json::json!({
                "beneficiary_id": id, "category": "food", "title": "大米", "quantity": 2, "unit": "袋",
                "deadline": (Utc::now() + Duration::days(10)).date_naive().to_string(),
            })),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(body.to_string().contains("case-closed"), "{body}");

    // The list shows active cases by default; closed ones on request.
    let (_, list) = worker.get("/beneficiaries").await;
    assert!(!list.contains(&code));
    let (_, list) = worker.get("/beneficiaries?status=closed").await;
    assert!(list.contains(&code));

    // Closing twice: a clear refusal, nothing written.
    let audits = audit_details(&app, "beneficiary.close").await.len();
    let (status, page) = post(
        &worker,
        &format!("/beneficiaries/{id}/close"),
        &[("reason", "passed_away".into())],
    )
    .await;
    assert_eq!(status, 409);
    assert!(page.contains("此个案已经结案"), "{page}");
    assert_eq!(audit_details(&app, "beneficiary.close").await.len(), audits);

    // Reopened: active again, mail is queued again (the contact never unsubscribed).
    let (status, _) = post(&worker, &format!("/beneficiaries/{id}/reopen"), &[]).await;
    assert_eq!(status, 303);
    let (status, page) = post(&worker, &format!("/beneficiaries/{id}/reopen"), &[]).await;
    assert_eq!(status, 409);
    assert!(page.contains("此个案仍在案"), "{page}");
    app.post_need(world.a(), 1).await;
    assert!(
        scalar_i64(
            &app.db,
            &format!("SELECT COUNT(*) FROM outbox WHERE contact_id = {contact} AND status <> 'dead'"),
        )
        .await
            > 0,
        "mail resumes"
    );
    assert_eq!(audit_details(&app, "beneficiary.reopen").await.len(), 1);
}

async fn scalar_code(app: &TestApp, id: i64) -> String {
    use charity_relay::entities::beneficiary;
    use sea_orm::EntityTrait;
    beneficiary::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .expect("query")
        .expect("row")
        .code
}

#[tokio::test]
async fn a_closed_case_is_erased_after_the_retention_period_and_keeps_the_anonymous_counts() {
    let app = TestApp::spawn().await;
    let world = app.world(0).await;
    let id = world.a().beneficiary_id;
    app.post_need(world.a(), 3).await;
    let mut worker = app.login("worker0@example.org").await;
    let (status, _) = post(
        &worker,
        &format!("/beneficiaries/{id}/close"),
        &[("reason", "passed_away".into())],
    )
    .await;
    assert_eq!(status, 303);
    let closed_at = Utc::now();
    let counts = || async {
        (
            scalar_i64(&app.db, "SELECT COUNT(*) FROM beneficiaries").await,
            scalar_i64(&app.db, "SELECT COUNT(*) FROM needs").await,
            scalar_i64(
                &app.db,
                "SELECT COUNT(*) FROM beneficiaries WHERE beneficiary_group = 'elderly_alone'",
            )
            .await,
        )
    };
    let before = counts().await;
    let public = || async { app.get("/transparency").await.text().await.expect("page") };
    let report_before = public().await;

    let early = jobs::erase_closed_cases(&app.db, 1095, closed_at + Duration::days(1094))
        .await
        .expect("job");
    assert_eq!(early, 0, "not before the period");
    assert_eq!(app.count("beneficiary_private").await, 2);

    let later = closed_at + Duration::days(1096);
    let runs = futures::future::join_all((0..3).map(|_| jobs::erase_closed_cases(&app.db, 1095, later))).await;
    let erased: u64 = runs.into_iter().map(|r| r.expect("job")).sum();
    assert_eq!(erased, 1, "erased once, however many run at once");
    assert_eq!(
        scalar_i64(
            &app.db,
            &format!("SELECT COUNT(*) FROM beneficiary_private WHERE beneficiary_id = {id}")
        )
        .await,
        0
    );
    assert_eq!(
        scalar_i64(
            &app.db,
            &format!(
                "SELECT COUNT(*) FROM beneficiaries WHERE id = {id} AND contact_id IS NULL AND erased_at IS NOT NULL"
            ),
        )
        .await,
        1
    );
    assert_eq!(
        scalar_i64(
            &app.db,
            "SELECT COUNT(*) FROM contacts WHERE email = 'resident0@example.org'"
        )
        .await,
        0,
        "the contact's address is gone"
    );
    assert_eq!(
        scalar_i64(
            &app.db,
            "SELECT COUNT(*) FROM outbox WHERE recipient = 'resident0@example.org'"
        )
        .await,
        0,
        "from the messages too"
    );
    assert_eq!(
        scalar_i64(
            &app.db,
            &format!("SELECT COUNT(*) FROM needs WHERE beneficiary_id = {id} AND description <> ''")
        )
        .await,
        0
    );
    assert_eq!(counts().await, before, "the anonymous figures hold");
    assert_eq!(public().await, report_before, "the public figures read the same");
    assert_eq!(
        jobs::erase_closed_cases(&app.db, 1095, later).await.expect("job"),
        0,
        "idempotent"
    );

    let (status, page) = worker.get(&format!("/beneficiaries/{id}")).await;
    assert_eq!(status, 200);
    assert!(
        !page.contains(PLANTED_NAME) && page.contains("个人信息已删除"),
        "{page}"
    );
    let (status, page) = post(&worker, &format!("/beneficiaries/{id}/reopen"), &[]).await;
    assert_eq!(status, 409);
    assert!(page.contains("无法重新开案"), "{page}");
    assert_eq!(
        scalar_i64(
            &app.db,
            &format!("SELECT COUNT(*) FROM beneficiaries WHERE id = {id} AND case_status = 'closed'")
        )
        .await,
        1
    );
}

#[tokio::test]
async fn the_edit_form_offers_a_way_back_to_the_case_without_saving() {
    let app = TestApp::spawn().await;
    let world = app.world(0).await;
    let id = world.a().beneficiary_id;
    let mut worker = app.login("worker0@example.org").await;
    let (status, form) = worker.get(&format!("/beneficiaries/{id}/edit")).await;
    assert_eq!(status, 200);
    assert!(
        form.contains(&format!("<a href=\"/beneficiaries/{id}\">不保存，返回个案</a>")),
        "a person who opened the form by mistake leaves it without guessing"
    );
    let (_, new) = worker.get("/beneficiaries/new").await;
    assert!(!new.contains("返回个案"), "registering has no case to go back to");
}
