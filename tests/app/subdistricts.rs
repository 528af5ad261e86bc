//! One district, several subdistricts: each office admits and reads its own subdistrict
//! only, as if the others did not exist; the district bureau reads every one, changes
//! nothing and never sees a person; data of a one-office relay moves into one district.

use charity_relay::domain::{OrgKind, Role};
use charity_relay::services::access::Caller;
use charity_relay::services::beneficiaries::{self, BeneficiaryInput};
use charity_relay::services::{merchants, office, organizations, staff};
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, Database};

use crate::support::browser::STAFF_PASSWORD;
use crate::support::world::World;
use crate::support::{TestApp, TestDb, scalar_i64};

/// Haishan, next to the world's Shatoujiao: a community, an organization with a social
/// worker and a beneficiary, and a shop.
pub(crate) struct Haishan {
    pub(crate) subdistrict: i64,
    pub(crate) org: i64,
    pub(crate) beneficiary: i64,
    pub(crate) need: i64,
    pub(crate) merchant: i64,
}

pub(crate) async fn haishan(app: &TestApp) -> Haishan {
    let now = chrono::Utc::now();
    let community = organizations::create_community(&app.db, "田东社区", "Tiandong", "海山街道", "Haishan", now)
        .await
        .expect("community");
    let subdistrict = scalar_i64(
        &app.db,
        &format!("SELECT subdistrict_id FROM communities WHERE id = {community}"),
    )
    .await;
    let org = organizations::find_or_create_approved_in(
        &app.db,
        "海山长者关爱协会",
        OrgKind::SocialOrganization,
        Some(subdistrict),
        now,
    )
    .await
    .expect("org");
    let new = staff::NewUser {
        email: "haishan-worker@example.org".into(),
        role: Role::SocialWorker,
        organization: Some("海山长者关爱协会".into()),
        subdistrict: None,
        password: STAFF_PASSWORD.into(),
    };
    let staff_id = staff::create_user(&app.db, new, now).await.expect("worker");
    let worker = Caller::SocialWorker {
        staff_id,
        organization_id: org,
    };
    let form = BeneficiaryInput {
        community_id: community.to_string(),
        group: "elderly_alone".into(),
        full_name: "张伯".into(),
        phone: "13800000005".into(),
        address: "田东社区某栋".into(),
        notes: String::new(),
        id_number: String::new(),
        notify_email: "zhang@example.org".into(),
        notify_consent: true,
        locale: "zh-CN".into(),
    };
    let beneficiary = beneficiaries::register(&app.db, &app.config.secret_key, &worker, &form, now)
        .await
        .expect("beneficiary")
        .id;
    let org_view = crate::support::world::Org {
        id: org,
        token: String::new(),
        worker,
        beneficiary_id: beneficiary,
    };
    let need = app.post_need(&org_view, 2).await;
    let merchant = merchants::create_merchant(
        &app.db,
        merchants::NewMerchant {
            name: "海山便利店".into(),
            community: Some("Tiandong".into()),
            ..Default::default()
        },
        now,
    )
    .await
    .expect("merchant");
    Haishan {
        subdistrict,
        org,
        beneficiary,
        need,
        merchant,
    }
}

/// Creates an account of `role` (an office names its subdistrict) and signs it in.
pub(crate) async fn account(
    app: &TestApp,
    email: &str,
    role: Role,
    subdistrict: Option<&str>,
) -> crate::support::browser::Browser {
    let new = staff::NewUser {
        email: email.into(),
        role,
        organization: None,
        subdistrict: subdistrict.map(str::to_owned),
        password: STAFF_PASSWORD.into(),
    };
    staff::create_user(&app.db, new, chrono::Utc::now())
        .await
        .expect("account");
    app.login(email).await
}

pub(crate) async fn denied(app: &TestApp, action: &str) -> i64 {
    scalar_i64(
        &app.db,
        &format!("SELECT COUNT(*) FROM audit_log WHERE action = '{action}' AND outcome = 'denied'"),
    )
    .await
}

#[tokio::test]
async fn each_office_sees_and_admits_only_its_own_subdistrict() {
    let app = TestApp::spawn().await;
    let world: World = app.world(1).await;
    let hai = haishan(&app).await;
    let mut sha_office = account(&app, "sha@example.org", Role::Admin, Some("沙头角街道")).await;
    let mut hai_office = account(&app, "hai@example.org", Role::Admin, Some("Haishan")).await;

    // Each list holds its own subdistrict's parties only.
    let (_, orgs) = sha_office.get("/admin/organizations").await;
    assert!(
        orgs.contains("沙头角街道社工站") && !orgs.contains("海山长者关爱协会"),
        "{orgs}"
    );
    let (_, orgs) = hai_office.get("/admin/organizations").await;
    assert!(
        orgs.contains("海山长者关爱协会") && !orgs.contains("沙头角街道社工站"),
        "{orgs}"
    );
    let (_, shops) = sha_office.get("/admin/merchants").await;
    assert!(shops.contains("爱心商户0") && !shops.contains("海山便利店"), "{shops}");
    let (_, shops) = hai_office.get("/admin/merchants").await;
    assert!(shops.contains("海山便利店") && !shops.contains("爱心商户0"), "{shops}");
    let (_, people) = sha_office.get("/admin/staff").await;
    assert!(
        people.contains("worker0@example.org") && !people.contains("haishan-worker"),
        "{people}"
    );

    // Another subdistrict's case, need and party answer exactly as missing ones do, audited.
    let missing = i64::from(i32::MAX);
    for (theirs, none) in [
        (
            format!("/beneficiaries/{}", hai.beneficiary),
            format!("/beneficiaries/{missing}"),
        ),
        (format!("/needs/{}", hai.need), format!("/needs/{missing}")),
    ] {
        let (status, page) = sha_office.get(&theirs).await;
        let (missing_status, missing_page) = sha_office.get(&none).await;
        assert_eq!((status, missing_status), (404, 404), "{theirs}");
        assert_eq!(
            page.split("<main").nth(1),
            missing_page.split("<main").nth(1),
            "{theirs} reads like a missing one"
        );
    }
    assert_eq!(
        hai_office.get(&format!("/beneficiaries/{}", hai.beneficiary)).await.0,
        200
    );

    let before = denied(&app, "organization.status").await;
    sha_office.get("/admin/organizations").await;
    let refused = sha_office
        .post(
            &format!("/admin/organizations/{}/status", hai.org),
            &[("status", "suspended"), ("reason", "测试")],
        )
        .await;
    assert_eq!(refused.status(), 404);
    assert_eq!(denied(&app, "organization.status").await, before + 1);
    let status = scalar_i64(
        &app.db,
        &format!(
            "SELECT COUNT(*) FROM organizations WHERE id = {} AND status = 'approved'",
            hai.org
        ),
    )
    .await;
    assert_eq!(status, 1, "Haishan's organization is untouched");
    sha_office.get("/admin/merchants").await;
    let refused = sha_office
        .post(
            &format!("/admin/merchants/{}/status", hai.merchant),
            &[("status", "suspended"), ("reason", "测试")],
        )
        .await;
    assert_eq!(refused.status(), 404);
    let refused = sha_office
        .post(&format!("/admin/merchants/{}/link-code", hai.merchant), &[])
        .await;
    assert_ne!(refused.status(), 200, "no link code for another subdistrict's shop");
    assert_eq!(
        scalar_i64(
            &app.db,
            &format!(
                "SELECT COUNT(*) FROM merchant_link_codes WHERE merchant_id = {}",
                hai.merchant
            )
        )
        .await,
        0
    );

    // Audit rows and the outbox: Haishan's never reach Shatoujiao's office.
    let sha: Caller = Caller::Admin {
        staff_id: 0,
        subdistrict_id: scalar_i64(&app.db, "SELECT id FROM subdistricts WHERE name = '沙头角街道'").await,
    };
    let now = chrono::Utc::now();
    let (rows, _) = office::audit_log(&app.db, &sha, &office::AuditFilter::default(), now)
        .await
        .expect("audit");
    assert!(!rows.is_empty());
    // What was done to these records (Shatoujiao's office sees its own refused tries too).
    let about = |rows: &[charity_relay::services::audit::AuditRecord], kind: &str, id: i64| {
        rows.iter()
            .any(|r| r.outcome == "ok" && r.subject_of_kind(kind) == Some(id))
    };
    assert!(!about(&rows, "beneficiary", hai.beneficiary) && !about(&rows, "need", hai.need));
    assert!(about(&rows, "beneficiary", world.a().beneficiary_id));
    let hai_caller = Caller::Admin {
        staff_id: 0,
        subdistrict_id: hai.subdistrict,
    };
    let (rows, _) = office::audit_log(&app.db, &hai_caller, &office::AuditFilter::default(), now)
        .await
        .expect("audit");
    assert!(about(&rows, "beneficiary", hai.beneficiary) && about(&rows, "need", hai.need));
    assert!(!about(&rows, "beneficiary", world.a().beneficiary_id));
    let queued_for = |caller: Caller| {
        let db = app.db.clone();
        async move {
            let mut total = 0;
            for status in charity_relay::domain::OutboxStatus::ALL {
                let (rows, _, _) = office::outbox(&db, &caller, *status, 0, now).await.expect("outbox");
                total += rows.iter().filter(|r| r.recipient == "zhang@example.org").count();
            }
            total
        }
    };
    assert!(
        scalar_i64(
            &app.db,
            "SELECT COUNT(*) FROM outbox WHERE recipient = 'zhang@example.org'"
        )
        .await
            > 0,
        "Haishan's resident was written to"
    );
    assert_eq!(
        queued_for(sha).await,
        0,
        "Shatoujiao's office never sees Haishan's mail"
    );
    assert!(queued_for(hai_caller).await > 0, "Haishan's office does");

    // Reports: an office reads its own; asking for another's is "not found".
    let (status, report) = sha_office.get("/admin/reports").await;
    assert_eq!(status, 200);
    assert!(report.contains("沙头角街道"), "the report names its subdistrict");
    let (status, _) = sha_office
        .get(&format!("/admin/reports?subdistrict={}", hai.subdistrict))
        .await;
    assert_eq!(status, 404);
    assert_eq!(
        sha_office
            .get(&format!("/admin/reports/merchants.csv?subdistrict={}", hai.subdistrict))
            .await
            .0,
        404
    );
}

#[tokio::test]
async fn the_district_bureau_reads_every_subdistrict_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let world = app.world(1).await;
    let hai = haishan(&app).await;
    let mut district = account(&app, "bureau@example.org", Role::District, None).await;

    // Its home is the reports, of the whole district or of one subdistrict.
    let (status, _) = district.get("/").await;
    assert_eq!(status, 303);
    let (status, report) = district.get("/admin/reports").await;
    assert_eq!(status, 200);
    assert!(
        report.contains("全区") && report.contains(r#"<select name="subdistrict">"#),
        "{report}"
    );
    let (status, report) = district
        .get(&format!("/admin/reports?subdistrict={}", hai.subdistrict))
        .await;
    assert_eq!(status, 200);
    assert!(report.contains("海山街道"));
    assert!(!report.contains("B-"), "figures only, never a person's code");
    assert_eq!(district.get("/admin/reports?subdistrict=abc").await.0, 404);

    // Admissions of every subdistrict, read only.
    let (_, orgs) = district.get("/admin/organizations").await;
    assert!(
        orgs.contains("沙头角街道社工站") && orgs.contains("海山长者关爱协会"),
        "{orgs}"
    );
    assert!(
        orgs.contains(r#"<td data-label="街道">海山街道</td>"#),
        "each row names its subdistrict"
    );
    assert!(!orgs.contains("/status\""), "no admission buttons: {orgs}");
    let refused = district
        .post(
            &format!("/admin/organizations/{}/status", hai.org),
            &[("status", "suspended"), ("reason", "x")],
        )
        .await;
    assert_eq!(refused.status(), 403);
    assert!(denied(&app, "organization.status").await >= 1);

    // Never a person, a need's private side or the office's day-to-day lists: the bureau's
    // role reads none, so the answer is "forbidden" whatever the id.
    for path in [
        format!("/beneficiaries/{}", world.a().beneficiary_id),
        format!("/beneficiaries/{}", hai.beneficiary),
    ] {
        assert_eq!(district.get(&path).await.0, 403, "{path}");
    }
    for path in [
        "/admin/audit",
        "/admin/outbox",
        "/admin/staff",
        "/admin/tokens",
        "/beneficiaries",
    ] {
        let (status, _) = district.get(path).await;
        assert!(status == 403 || status == 404, "{path}: {status}");
    }
}

#[tokio::test]
async fn the_public_page_shows_a_subdistrict_or_the_whole_district() {
    let app = TestApp::spawn().await;
    app.world(0).await;
    let hai = haishan(&app).await;
    let all = app.get("/transparency").await;
    assert_eq!(all.status(), 200);
    let all = all.text().await.expect("body");
    assert!(
        all.contains("全区") && all.contains("海山街道"),
        "a choice of subdistricts"
    );
    let one = app.get(&format!("/transparency?subdistrict={}", hai.subdistrict)).await;
    assert_eq!(one.status(), 200);
    assert!(one.text().await.expect("body").contains("海山街道"));
    for bad in ["999999", "abc", "-1"] {
        let response = app.get(&format!("/transparency?subdistrict={bad}")).await;
        assert_eq!(response.status(), 404, "{bad}");
    }
    let chart = app
        .get(&format!("/transparency/met.svg?subdistrict={}", hai.subdistrict))
        .await;
    assert_eq!(chart.status(), 200);
}

#[tokio::test]
async fn a_one_office_relay_moves_into_one_district_without_loss() {
    let dir = tempfile::tempdir().expect("tempdir");
    let test_db = TestDb::fresh(dir.path()).await;
    let db = Database::connect(test_db.url.as_str()).await.expect("connect");
    let before = Migrator::migrations()
        .iter()
        .position(|m| m.name() == "m20261208_100000_subdistricts")
        .expect("the subdistricts migration");
    Migrator::up(&db, Some(u32::try_from(before).expect("a count")))
        .await
        .expect("the old schema");
    let at = "'2026-11-01 00:00:00+00:00'";
    for sql in [
        "INSERT INTO communities (name, name_en, subdistrict, subdistrict_en) VALUES ('东和社区', 'Donghe', '沙头角街道', 'Shatoujiao')".to_owned(),
        format!("INSERT INTO organizations (name, kind, status, community_id, created_at) VALUES ('社工站', 'social_work_station', 'approved', 1, {at})"),
        format!("INSERT INTO organizations (name, kind, status, community_id, created_at) VALUES ('义工队', 'volunteer_team', 'pending', NULL, {at})"),
        format!("INSERT INTO merchants (name, trade, community_id, address, status, locale, show_publicly, credit_score, created_at, updated_at) VALUES ('药房', '药店', NULL, '', 'approved', 'zh-CN', FALSE, 60, {at}, {at})"),
        format!("INSERT INTO staff (email, password_hash, role, organization_id, display_name, active, password_changed_at, created_at) VALUES ('office@example.org', 'x', 'admin', NULL, '王主任', TRUE, {at}, {at})"),
        format!("INSERT INTO staff (email, password_hash, role, organization_id, display_name, active, password_changed_at, created_at) VALUES ('worker@example.org', 'x', 'social_worker', 1, '社工', TRUE, {at}, {at})"),
    ] {
        db.execute_unprepared(&sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    Migrator::up(&db, None).await.expect("the subdistricts migration");

    assert_eq!(scalar_i64(&db, "SELECT COUNT(*) FROM districts").await, 1);
    assert_eq!(
        scalar_i64(
            &db,
            "SELECT COUNT(*) FROM subdistricts WHERE name = '沙头角街道' AND name_en = 'Shatoujiao'"
        )
        .await,
        1
    );
    let sid = scalar_i64(&db, "SELECT id FROM subdistricts").await;
    for (table, rows) in [("communities", 1), ("organizations", 2), ("merchants", 1)] {
        assert_eq!(
            scalar_i64(
                &db,
                &format!("SELECT COUNT(*) FROM {table} WHERE subdistrict_id = {sid}")
            )
            .await,
            rows,
            "{table}"
        );
    }
    assert_eq!(
        scalar_i64(
            &db,
            &format!("SELECT COUNT(*) FROM staff WHERE role = 'admin' AND subdistrict_id = {sid}")
        )
        .await,
        1
    );
    assert_eq!(
        scalar_i64(
            &db,
            "SELECT COUNT(*) FROM staff WHERE role = 'social_worker' AND subdistrict_id IS NULL AND organization_id = 1"
        )
        .await,
        1
    );
    // The rebuilt table still refuses what it refused, and the new shape rules hold.
    for refused in [
        "UPDATE staff SET role = 'root'",
        "UPDATE staff SET subdistrict_id = NULL WHERE role = 'admin'",
        "UPDATE staff SET organization_id = NULL WHERE role = 'social_worker'",
    ] {
        assert!(db.execute_unprepared(refused).await.is_err(), "{refused}");
    }
    // The office account works as Shatoujiao's office.
    let office = Caller::Admin {
        staff_id: 1,
        subdistrict_id: sid,
    };
    let orgs = office::organizations(&db, &office, chrono::Utc::now())
        .await
        .expect("list");
    assert_eq!(orgs.len(), 2);
}

#[tokio::test]
async fn parties_made_before_any_community_wait_in_a_subdistrict_the_first_community_names() {
    let app = TestApp::spawn().await;
    let now = chrono::Utc::now();
    let shop = merchants::create_merchant(
        &app.db,
        merchants::NewMerchant {
            name: "早到的店".into(),
            ..Default::default()
        },
        now,
    )
    .await
    .expect("a shop before any community");
    let provisional = scalar_i64(
        &app.db,
        &format!("SELECT subdistrict_id FROM merchants WHERE id = {shop}"),
    )
    .await;
    organizations::create_community(&app.db, "东和社区", "Donghe", "沙头角街道", "Shatoujiao", now)
        .await
        .expect("community");
    assert_eq!(scalar_i64(&app.db, "SELECT COUNT(*) FROM subdistricts").await, 1);
    assert_eq!(
        scalar_i64(
            &app.db,
            &format!("SELECT COUNT(*) FROM subdistricts WHERE id = {provisional} AND name = '沙头角街道' AND provisional = FALSE")
        )
        .await,
        1,
        "the first community named the subdistrict the shop waited in"
    );
    organizations::create_community(&app.db, "田东社区", "Tiandong", "海山街道", "Haishan", now)
        .await
        .expect("second subdistrict");
    // With two subdistricts, a shop without a community must say where it is.
    let refused = merchants::create_merchant(
        &app.db,
        merchants::NewMerchant {
            name: "无处可去".into(),
            ..Default::default()
        },
        now,
    )
    .await;
    assert!(refused.is_err());
    assert_eq!(app.count("merchants").await, 1);
    let run = app.cli(
        &[
            "admin",
            "create-user",
            "--email",
            "boss@example.org",
            "--role",
            "admin",
            "--subdistrict",
            "Nowhere",
        ],
        "a long enough secret\n",
    );
    assert_eq!(run.code, Some(2), "{run:?}");
    assert!(run.stderr.contains("no subdistrict is called"), "{}", run.stderr);
    let run = app.cli(
        &[
            "admin",
            "create-user",
            "--email",
            "boss@example.org",
            "--role",
            "admin",
            "--subdistrict",
            "Haishan",
        ],
        "a long enough secret\n",
    );
    assert_eq!(run.code, Some(0), "{run:?}");
    let run = app.cli(
        &[
            "admin",
            "create-user",
            "--email",
            "bureau@example.org",
            "--role",
            "district",
            "--subdistrict",
            "Haishan",
        ],
        "a long enough secret\n",
    );
    assert_eq!(
        run.code,
        Some(2),
        "a district account belongs to no subdistrict: {run:?}"
    );
}

/// The merchants alerted of `need`.
async fn alerted(app: &TestApp, need: i64) -> Vec<i64> {
    let rows = app
        .db
        .query_all_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            format!("SELECT merchant_id FROM need_alerts WHERE need_id = {need} ORDER BY merchant_id"),
        ))
        .await
        .expect("alerts");
    rows.iter().map(|r| r.try_get_by_index::<i64>(0).expect("id")).collect()
}

#[tokio::test]
async fn a_shop_hears_of_its_own_subdistrict_and_of_the_others_once_it_asks_in_the_bot() {
    use bots::text::alerts as words;
    use charity_relay::domain::{Category, Locale};
    use charity_relay::services::offers;
    let app = TestApp::spawn_with_bot().await;
    let world = app.world(1).await;
    let hai = haishan(&app).await;
    let now = chrono::Utc::now();
    // Both shops offer meals in Donghe (Shatoujiao): one is of Shatoujiao, one of Haishan.
    let near = world.merchants[0].id;
    let chat = app.linked_chat(hai.merchant, 7702, Locale::ZhCn).await;
    app.linked_chat(near, 7701, Locale::ZhCn).await;
    for shop in [near, hai.merchant] {
        let offer = offers::NewOffer {
            category: Category::Food,
            description: "每周盒饭".into(),
            monthly_capacity: 20,
            community_ids: vec![world.community_id],
        };
        offers::add(&app.db, shop, offer, now).await.expect("offer");
    }
    let first = app.post_need(world.a(), 2).await;
    assert_eq!(
        alerted(&app, first).await,
        vec![near],
        "own subdistrict only by default"
    );

    // The Haishan shop widens its alerts in the bot; the next need reaches it too.
    let shown = chat.send("/alerts").await;
    assert!(shown.text.contains("需求范围：仅本街道"), "{}", shown.text);
    let widened = chat
        .tap(&shown.button(&words::other_subdistricts_button(Locale::ZhCn, false)))
        .await;
    assert!(widened.text.contains("需求范围：全区各街道"), "{}", widened.text);
    assert_eq!(
        scalar_i64(
            &app.db,
            &format!(
                "SELECT COUNT(*) FROM merchant_alert_settings WHERE merchant_id = {} AND other_subdistricts = TRUE",
                hai.merchant
            )
        )
        .await,
        1
    );
    let second = app.post_need(world.a(), 2).await;
    let mut expected = vec![near, hai.merchant];
    expected.sort_unstable();
    assert_eq!(alerted(&app, second).await, expected);
}
