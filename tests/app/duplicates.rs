//! Registering someone another organization already serves tells the worker nothing; the
//! office sees the pair by codes and organization names and decides, after confirming:
//! the same person (both organizations are emailed to coordinate) or different people.

use charity_relay::services::beneficiaries::{self, BeneficiaryInput};
use chrono::Utc;

use crate::support::browser::Browser;
use crate::support::world::World;
use crate::support::{TestApp, scalar_i64};

const A_PHONE: &str = "13544446666";
const A_ID: &str = "440308199001011239";

/// Organization A's person with a known phone and ID number; returns their code.
async fn a_person(app: &TestApp, world: &World) -> String {
    let form = BeneficiaryInput {
        community_id: world.community_id.to_string(),
        group: "elderly_alone".into(),
        full_name: "陈桂兰".into(),
        phone: A_PHONE.into(),
        id_number: A_ID.into(),
        ..Default::default()
    };
    beneficiaries::register(&app.db, &app.config.secret_key, &world.a().worker, &form, Utc::now())
        .await
        .expect("register")
        .code
}

/// B's worker registers a person through the form; returns the redirect and the page after it.
async fn register(browser: &mut Browser, world: &World, phone: &str, id_number: &str) -> (u16, String, String) {
    browser.get("/beneficiaries/new").await;
    let community = world.community_id.to_string();
    let response = browser
        .post(
            "/beneficiaries",
            &[
                ("community_id", community.as_str()),
                ("group", "elderly_alone"),
                ("full_name", "陈桂兰"),
                ("phone", phone),
                ("address", ""),
                ("notes", ""),
                ("id_number", id_number),
                ("notify_email", ""),
                ("locale", "zh-CN"),
            ],
        )
        .await;
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .map(|l| l.to_str().expect("location").to_owned())
        .unwrap_or_default();
    if status != 303 {
        return (status, location, response.text().await.expect("body"));
    }
    let (_, page) = browser.get(&location).await;
    (status, location, page)
}

/// The case code in the page's heading ("个案 B-7F3K").
fn code_in(page: &str) -> String {
    let heading = page.split("<h1>").nth(1).expect("a heading");
    let start = heading.find("B-").expect("a code in the heading");
    heading[start..].split('<').next().expect("code").to_owned()
}

#[tokio::test]
async fn another_organizations_person_tells_the_worker_nothing_and_reaches_the_office() {
    let app = TestApp::spawn().await;
    let world = app.world(0).await;
    let a_code = a_person(&app, &world).await;
    let mut b = app.login("worker1@example.org").await;

    let (status, known_at, known) = register(&mut b, &world, A_PHONE, "").await;
    assert_eq!(status, 303);
    let (_, fresh_at, fresh) = register(&mut b, &world, "13700009999", "").await;
    assert!(
        !known_at.contains('?') && !fresh_at.contains('?'),
        "{known_at} {fresh_at}"
    );
    let known_code = code_in(&known);
    let fresh_code = code_in(&fresh);
    // The record's own code, phone and address (its case file's tabs link to it) differ.
    let normalize = |page: &str, at: &str, code: &str, phone: &str| {
        page.replace(at, "/beneficiaries/ID")
            .replace(code, "CODE")
            .replace(phone, "PHONE")
    };
    assert_eq!(
        normalize(&known, &known_at, &known_code, A_PHONE),
        normalize(&fresh, &fresh_at, &fresh_code, "13700009999"),
        "the page for a phone another organization has is the page for a fresh one"
    );
    assert!(!known.contains(&a_code) && !known.contains("沙头角街道社工站"));

    // The office's queue: codes and organization names, never the private values.
    let office_email = app.office_account().await;
    let mut office = app.login(&office_email).await;
    let (status, queue) = office.get("/admin/duplicates").await;
    assert_eq!(status, 200);
    for shown in [
        &known_code,
        &a_code,
        &"沙头角街道社工站".to_owned(),
        &"盐田区妇女互助会".to_owned(),
    ] {
        assert!(queue.contains(shown.as_str()), "{shown} in {queue}");
    }
    assert!(queue.contains("电话号码相同"));
    for private in [A_PHONE, "陈桂兰", "王秀英", "13912345678"] {
        assert!(!queue.contains(private), "{private} must not be on the office page");
    }
    assert!(!queue.contains(&fresh_code), "a fresh phone matches nobody");

    let pair = scalar_i64(
        &app.db,
        &format!(
            "SELECT p.id FROM possible_duplicates p JOIN beneficiaries b ON b.id = p.beneficiary_id \
             WHERE b.code = '{known_code}' AND p.matched = 'phone' AND p.status = 'open'"
        ),
    )
    .await;
    // Without the confirmation step nothing changes: the question comes first.
    let asked = office
        .post(
            &format!("/admin/duplicates/{pair}/resolve"),
            &[("decision", "same_person")],
        )
        .await;
    assert_eq!(asked.status(), 303);
    let (_, question) = office
        .get(&format!("/admin/duplicates/{pair}?decision=same_person"))
        .await;
    assert!(question.contains("两家机构的社工都会收到邮件"), "{question}");
    assert_eq!(app.count("outbox WHERE kind = 'worker-duplicate-coordinate'").await, 0);
    let done = office
        .post(
            &format!("/admin/duplicates/{pair}/resolve"),
            &[("decision", "same_person"), ("confirmed", "yes")],
        )
        .await;
    assert_eq!(done.status(), 303);
    for worker in ["worker0@example.org", "worker1@example.org"] {
        let told = app
            .count(&format!(
                "outbox WHERE kind = 'worker-duplicate-coordinate' AND recipient = '{worker}'"
            ))
            .await;
        assert_eq!(told, 1, "{worker} is asked to coordinate");
    }
    let resolved = app
        .count(&format!(
            "possible_duplicates WHERE id = {pair} AND status = 'same_person' AND resolved_by IS NOT NULL AND resolved_at IS NOT NULL"
        ))
        .await;
    assert_eq!(resolved, 1);
    let again = office
        .post(
            &format!("/admin/duplicates/{pair}/resolve"),
            &[("decision", "different"), ("confirmed", "yes")],
        )
        .await;
    assert_eq!(again.status(), 409, "a decision is made once");

    // The world's own pair (both organizations registered the planted phone): different people.
    let other = scalar_i64(
        &app.db,
        &format!(
            "SELECT id FROM possible_duplicates WHERE beneficiary_id = {} AND other_beneficiary_id = {}",
            world.b().beneficiary_id,
            world.a().beneficiary_id
        ),
    )
    .await;
    let dismissed = office
        .post(
            &format!("/admin/duplicates/{other}/resolve"),
            &[("decision", "different"), ("confirmed", "yes")],
        )
        .await;
    assert_eq!(dismissed.status(), 303);
    assert_eq!(
        app.count(&format!(
            "possible_duplicates WHERE id = {other} AND status = 'different'"
        ))
        .await,
        1
    );
    assert_eq!(
        app.count("outbox WHERE kind = 'worker-duplicate-coordinate'").await,
        2,
        "nobody told"
    );
    let audited = app
        .count("audit_log WHERE action = 'duplicate.resolve' AND outcome = 'ok'")
        .await;
    assert_eq!(audited, 2);
    let (_, queue) = office.get("/admin/duplicates").await;
    assert!(queue.contains("不是同一人") && queue.contains("同一人，已通知双方机构协调"));
}

#[tokio::test]
async fn an_id_number_is_checked_and_matched_in_either_form() {
    let app = TestApp::spawn().await;
    let world = app.world(0).await;
    let a_code = a_person(&app, &world).await;
    let mut b = app.login("worker1@example.org").await;

    let (status, _, page) = register(&mut b, &world, "", "440308199001011233").await;
    assert_eq!(status, 422);
    assert!(
        page.contains("校验码") && page.contains("440308199001011233"),
        "kept and explained"
    );
    // The old 15-digit form of A's person's number.
    let (status, _, page) = register(&mut b, &world, "", "440308 900101 123").await;
    assert_eq!(status, 303);
    assert!(
        page.contains("440308900101123"),
        "the worker sees the number they entered"
    );
    let b_code = code_in(&page);
    let flagged = scalar_i64(
        &app.db,
        &format!(
            "SELECT COUNT(*) FROM possible_duplicates p JOIN beneficiaries n ON n.id = p.beneficiary_id \
             JOIN beneficiaries o ON o.id = p.other_beneficiary_id \
             WHERE n.code = '{b_code}' AND o.code = '{a_code}' AND p.matched = 'id_number'"
        ),
    )
    .await;
    assert_eq!(flagged, 1);
    let sealed_in_clear = scalar_i64(
        &app.db,
        "SELECT COUNT(*) FROM beneficiary_private WHERE id_number_digest LIKE '%440308%'",
    )
    .await;
    assert_eq!(sealed_in_clear, 0);

    // Within one organization the worker is told: they can read both records anyway.
    let (_, _, again) = register(&mut b, &world, "", "440308199001011239").await;
    assert!(
        again.contains("本机构已有电话或身份证号码相同的记录") && again.contains(&b_code),
        "{again}"
    );
}

#[tokio::test]
async fn a_social_worker_cannot_open_the_office_queue() {
    let app = TestApp::spawn().await;
    let _world = app.world(0).await;
    let mut worker = app.login("worker0@example.org").await;
    let (status, page) = worker.get("/admin/duplicates").await;
    assert_eq!(status, 403);
    assert!(!page.contains("B-"), "{page}");
    let (status, _) = worker.get("/admin/duplicates/1?decision=same_person").await;
    assert_eq!(status, 403);
    let r = worker
        .post(
            "/admin/duplicates/1/resolve",
            &[("decision", "same_person"), ("confirmed", "yes")],
        )
        .await;
    assert_eq!(r.status(), 403);
    assert_eq!(app.count("possible_duplicates WHERE status <> 'open'").await, 0);
    assert_eq!(
        app.count("audit_log WHERE action LIKE 'duplicate.%' AND outcome = 'denied'")
            .await,
        3
    );
}
