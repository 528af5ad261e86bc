//! The office's scope holds in the services, not only in its pages: two offices deciding one
//! shop's application at once leave one decision; another subdistrict's office issues no
//! token or link code for a party it does not admit and revokes none of its tokens; each
//! office keeps its own visit intervals and relief programmes; the district bureau reads
//! figures, never a need, a case or a person. Every refusal answers as a missing record
//! does and is audited.

use charity_relay::domain::Locale;
use charity_relay::domain::Role;
use charity_relay::domain::credit_code::CreditCode;
use charity_relay::domain::merchant_application::ApplicationStatus;
use charity_relay::services::access::Caller;
use charity_relay::services::api_tokens::{self, TokenOwner};
use charity_relay::services::merchant_applications::{self, ApplicationDraft, Decision};
use charity_relay::services::visits::{self, IntervalSource};
use charity_relay::services::{ServiceError, ledger, merchants, needs};

use crate::subdistricts::{account, denied, haishan};
use crate::support::{TestApp, scalar_i64};

/// A valid unified social credit code of an individual business, one for each `n`.
fn credit_code(n: u32) -> String {
    let base = format!("9244030000{n:07}");
    "0123456789ABCDEFGHJKLMNPQRTUWXY"
        .chars()
        .map(|check| format!("{base}{check}"))
        .find(|code| CreditCode::parse(code).is_ok())
        .expect("one check character fits")
}

/// A shop of Haishan's 田东社区 applies from chat `chat`; returns the application's id.
async fn application(app: &TestApp, chat: i64) -> i64 {
    let community = scalar_i64(&app.db, "SELECT id FROM communities WHERE name = '田东社区'").await;
    let draft = ApplicationDraft {
        shop_name: format!("海山粮油店{chat}"),
        category: "food".into(),
        community_id: community,
        credit_code: credit_code(u32::try_from(chat).expect("small chat id")),
        phone: "0755 2555 1234".into(),
        offer: "每周 10 袋大米".into(),
    };
    merchant_applications::submit(&app.db, chat, Locale::ZhCn, &draft, chrono::Utc::now())
        .await
        .expect("submitted")
        .id
}

async fn office_of(app: &TestApp, email: &str) -> Caller {
    let row = scalar_i64(&app.db, &format!("SELECT id FROM staff WHERE email = '{email}'")).await;
    let subdistrict_id = scalar_i64(
        &app.db,
        &format!("SELECT subdistrict_id FROM staff WHERE email = '{email}'"),
    )
    .await;
    Caller::Admin {
        staff_id: row,
        subdistrict_id,
    }
}

async fn decided_ok(app: &TestApp, id: i64) -> i64 {
    scalar_i64(
        &app.db,
        &format!(
            "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'merchant_application.%' \
             AND action <> 'merchant_application.submit' AND subject_id = '{id}' AND outcome = 'ok'"
        ),
    )
    .await
}

#[tokio::test]
async fn two_office_staff_deciding_one_application_at_once_leave_exactly_one_decision() {
    let app = TestApp::spawn().await;
    app.world(0).await;
    haishan(&app).await;
    let mut first = account(&app, "hai-1@example.org", Role::Admin, Some("海山街道")).await;
    let mut second = account(&app, "hai-2@example.org", Role::Admin, Some("海山街道")).await;

    // Both open the approval page, then both press "approve" at the same moment.
    let id = application(&app, 9401).await;
    let ask = format!("/admin/merchant-applications/{id}/approve");
    assert_eq!(first.get(&ask).await.0, 200);
    assert_eq!(second.get(&ask).await.0, 200);
    let (a, b) = tokio::join!(first.post(&ask, &[]), second.post(&ask, &[]));
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    let late = if a.status() == 409 { a } else { b };
    let page = late.text().await.expect("body");
    statuses.sort_unstable();
    assert_eq!(statuses, [303, 409], "one wins, the other is told");
    assert!(
        page.contains("这份申请刚刚已由街道办处理") && page.contains("已通过"),
        "the late one reads that it was decided and how it stands now: {page}"
    );
    assert_eq!(decided_ok(&app, id).await, 1, "one decision in the audit log");
    assert_eq!(
        scalar_i64(&app.db, "SELECT COUNT(*) FROM merchants WHERE telegram_chat_id = 9401").await,
        1,
        "one merchant made"
    );
    assert_eq!(
        scalar_i64(
            &app.db,
            &format!("SELECT COUNT(*) FROM outbox WHERE dedupe_key LIKE 'merchant-application:{id}:%'")
        )
        .await,
        1,
        "the shop is told once"
    );

    // Opposite decisions at once, again and again: each application gets exactly one, and the
    // other office account's answer is the state it is in now.
    let one = office_of(&app, "hai-1@example.org").await;
    let two = office_of(&app, "hai-2@example.org").await;
    for chat in 9402..9408 {
        let id = application(&app, chat).await;
        let now = chrono::Utc::now();
        let (approve, reject) = tokio::join!(
            merchant_applications::decide(&app.db, &one, id, Decision::Approve, now),
            merchant_applications::decide(&app.db, &two, id, Decision::Reject("重复申请".into()), now),
        );
        let (won, lost, status) = match (&approve, &reject) {
            (Ok(_), Err(e)) => ("approve", e, ApplicationStatus::Approved),
            (Err(e), Ok(_)) => ("reject", e, ApplicationStatus::Rejected),
            _ => panic!("exactly one decision wins: {approve:?} {reject:?}"),
        };
        match lost {
            ServiceError::IllegalTransition(t) => assert_eq!(t.from, status.as_str(), "{won} won"),
            other => panic!("the loser hears the state now, not {other:?}"),
        }
        assert_eq!(decided_ok(&app, id).await, 1);
        let merchants = scalar_i64(
            &app.db,
            &format!("SELECT COUNT(*) FROM merchants WHERE telegram_chat_id = {chat}"),
        )
        .await;
        assert_eq!(merchants, i64::from(status == ApplicationStatus::Approved));
    }

    // Deciding one already decided says so too, and writes nothing.
    let again =
        merchant_applications::decide(&app.db, &one, id, Decision::Reject("晚了".into()), chrono::Utc::now()).await;
    assert!(matches!(again, Err(ServiceError::IllegalTransition(_))), "{again:?}");
    assert_eq!(decided_ok(&app, id).await, 1);
}

#[tokio::test]
async fn another_subdistricts_office_issues_no_token_or_link_code_and_revokes_none() {
    let app = TestApp::spawn().await;
    let world = app.world(1).await;
    let hai = haishan(&app).await;
    let mut sha_office = account(&app, "sha@example.org", Role::Admin, Some("沙头角街道")).await;
    let missing = i64::from(i32::MAX);

    // A token for Haishan's shop or organization reads exactly as one for a missing party.
    let issued = || scalar_i64(&app.db, "SELECT COUNT(*) FROM api_tokens");
    let tokens_before = issued().await;
    let before = denied(&app, "api_token.issue").await;
    let mut pages = Vec::new();
    for owner in [
        format!("merchant:{}", hai.merchant),
        format!("organization:{}", hai.org),
        format!("merchant:{missing}"),
        format!("organization:{missing}"),
    ] {
        sha_office.get("/admin/tokens").await;
        let refused = sha_office
            .post("/admin/tokens", &[("owner", &owner), ("label", "ERP")])
            .await;
        assert_eq!(refused.status(), 422, "{owner}");
        let page = refused.text().await.expect("body");
        pages.push(page.split("<main").nth(1).map(str::to_owned));
    }
    assert!(pages.windows(2).all(|w| w[0] == w[1]), "every refusal reads the same");
    assert_eq!(issued().await, tokens_before, "no token made");
    assert_eq!(
        denied(&app, "api_token.issue").await,
        before + 2,
        "the tries at Haishan's parties are audited"
    );
    // The service itself refuses, whoever calls it.
    let sha = office_of(&app, "sha@example.org").await;
    let now = chrono::Utc::now();
    let direct = api_tokens::issue(&app.db, &sha, TokenOwner::Merchant(hai.merchant), "x", now).await;
    assert!(matches!(direct, Err(ServiceError::NotFound(_))), "{direct:?}");
    let bureau = Caller::District { staff_id: 1 };
    let direct = api_tokens::issue(&app.db, &bureau, TokenOwner::Merchant(hai.merchant), "x", now).await;
    assert!(matches!(direct, Err(ServiceError::Forbidden)), "{direct:?}");
    // Its own subdistrict's shop gets one.
    sha_office.get("/admin/tokens").await;
    let own = sha_office
        .post(
            "/admin/tokens",
            &[
                ("owner", &format!("merchant:{}", world.merchants[0].id)),
                ("label", "till"),
            ],
        )
        .await;
    assert_eq!(own.status(), 200);
    assert!(own.text().await.expect("body").contains("crt_"));

    // Haishan's shop's token cannot be revoked from Shatoujiao.
    api_tokens::issue(
        &app.db,
        &Caller::System,
        TokenOwner::Merchant(hai.merchant),
        "till",
        now,
    )
    .await
    .expect("token");
    let theirs = scalar_i64(
        &app.db,
        &format!("SELECT MAX(id) FROM api_tokens WHERE merchant_id = {}", hai.merchant),
    )
    .await;
    let before = denied(&app, "api_token.revoke").await;
    sha_office.get("/admin/tokens").await;
    for id in [theirs, missing] {
        let refused = sha_office
            .post(&format!("/admin/tokens/{id}/revoke"), &[("reason", "泄露")])
            .await;
        assert_eq!(refused.status(), 404, "{id}");
    }
    // With no reason typed, the answer is still "not found", never "give a reason".
    let refused = sha_office
        .post(&format!("/admin/tokens/{theirs}/revoke"), &[("reason", "")])
        .await;
    assert_eq!(refused.status(), 404);
    assert_eq!(denied(&app, "api_token.revoke").await, before + 2);
    let active = scalar_i64(
        &app.db,
        &format!("SELECT COUNT(*) FROM api_tokens WHERE id = {theirs} AND revoked_at IS NULL"),
    )
    .await;
    assert_eq!(active, 1, "Haishan's token still works");
    let direct = api_tokens::revoke(&app.db, &sha, theirs, "泄露", now).await;
    assert!(matches!(direct, Err(ServiceError::NotFound(_))), "{direct:?}");

    // No link code for Haishan's shop either, from the page or the service.
    let before = denied(&app, "merchant.link_code.issue").await;
    sha_office.get("/admin/merchants").await;
    for id in [hai.merchant, missing] {
        let refused = sha_office.post(&format!("/admin/merchants/{id}/link-code"), &[]).await;
        assert_eq!(refused.status(), 404, "{id}");
    }
    let direct = merchants::issue_link_code(&app.db, &app.config.secret_key, &sha, hai.merchant, now).await;
    assert!(matches!(direct, Err(ServiceError::NotFound(_))), "{direct:?}");
    let direct = merchants::issue_link_code(&app.db, &app.config.secret_key, &bureau, hai.merchant, now).await;
    assert!(matches!(direct, Err(ServiceError::Forbidden)), "{direct:?}");
    assert_eq!(denied(&app, "merchant.link_code.issue").await, before + 3);
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
    // Haishan's own office makes one.
    let mut hai_office = account(&app, "hai@example.org", Role::Admin, Some("Haishan")).await;
    hai_office.get("/admin/merchants").await;
    let made = hai_office
        .post(&format!("/admin/merchants/{}/link-code", hai.merchant), &[])
        .await;
    assert_eq!(made.status(), 200);
    assert!(made.text().await.expect("body").contains("海山便利店"));
}

#[tokio::test]
async fn each_office_keeps_its_own_visit_intervals_and_relief_programmes() {
    let app = TestApp::spawn().await;
    let world = app.world(0).await;
    let hai = haishan(&app).await;
    let mut hai_office = account(&app, "hai@example.org", Role::Admin, Some("海山街道")).await;
    let mut sha_office = account(&app, "sha@example.org", Role::Admin, Some("沙头角街道")).await;
    let hai_caller = office_of(&app, "hai@example.org").await;
    let sha_caller = office_of(&app, "sha@example.org").await;
    let now = chrono::Utc::now();

    // Haishan visits its elderly living alone weekly; Shatoujiao keeps the district's month.
    visits::set_interval(&app.db, &hai_caller, None, "elderly_alone", "7", now)
        .await
        .expect("set");
    let read = |caller: Caller| {
        let db = app.db.clone();
        async move {
            visits::interval_settings(&db, &caller, chrono::Utc::now())
                .await
                .expect("settings")
                .into_iter()
                .find(|s| s.group.as_str() == "elderly_alone")
                .map(|s| (s.days, s.source))
        }
    };
    assert_eq!(read(hai_caller).await, Some((7, IntervalSource::Subdistrict)));
    assert_eq!(read(sha_caller).await, Some((30, IntervalSource::District)));
    let days_of_case = |caller: Caller, id: i64| {
        let db = app.db.clone();
        let secret = app.config.secret_key.clone();
        async move {
            visits::visits(&db, &secret, &caller, id, chrono::Utc::now())
                .await
                .expect("visits")
                .interval_days
        }
    };
    assert_eq!(days_of_case(hai_caller, hai.beneficiary).await, 7);
    assert_eq!(days_of_case(world.a().worker, world.a().beneficiary_id).await, 30);
    let district_default = scalar_i64(
        &app.db,
        "SELECT days FROM visit_intervals WHERE beneficiary_group = 'elderly_alone'",
    )
    .await;
    assert_eq!(district_default, 30, "the district's default is untouched");
    let logged = scalar_i64(
        &app.db,
        &format!(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'visit_interval.set' AND outcome = 'ok' \
             AND subject_kind = 'subdistrict' AND subject_id = '{}'",
            hai.subdistrict
        ),
    )
    .await;
    assert_eq!(logged, 1, "the audit names the subdistrict that changed it");

    // Another subdistrict's setting is "not found"; the bureau and a social worker change none.
    let before = denied(&app, "visit_interval.set").await;
    let other = visits::set_interval(&app.db, &sha_caller, Some(hai.subdistrict), "elderly_alone", "1", now).await;
    assert!(matches!(other, Err(ServiceError::NotFound(_))), "{other:?}");
    for caller in [Caller::District { staff_id: 1 }, world.a().worker] {
        let refused = visits::set_interval(&app.db, &caller, None, "elderly_alone", "1", now).await;
        assert!(matches!(refused, Err(ServiceError::Forbidden)), "{refused:?}");
    }
    assert_eq!(denied(&app, "visit_interval.set").await, before + 3);
    assert_eq!(read(hai_caller).await, Some((7, IntervalSource::Subdistrict)));

    // On the office's page: its own setting, the district's default for the rest, and a
    // mistyped number answered beside the field with what was typed kept.
    hai_office.get("/admin/visit-intervals").await;
    let set = hai_office
        .post("/admin/visit-intervals", &[("group", "disabled"), ("days", "45")])
        .await;
    assert_eq!(set.status(), 303);
    let (status, page) = hai_office.get("/admin/visit-intervals").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("每 45 天") && page.contains("每 7 天") && page.contains("本街道设置"),
        "{page}"
    );
    let (_, page) = sha_office.get("/admin/visit-intervals").await;
    assert!(!page.contains("每 45 天") && !page.contains("本街道设置"), "{page}");
    let wrong = sha_office
        .post("/admin/visit-intervals", &[("group", "disabled"), ("days", "999")])
        .await;
    assert_eq!(wrong.status(), 422);
    let page = wrong.text().await.expect("body");
    assert!(
        page.contains(r#"class="error""#) && page.contains(r#"value="999""#),
        "{page}"
    );
    let mut worker = app.login("worker0@example.org").await;
    assert_eq!(worker.get("/admin/visit-intervals").await.0, 403);

    // The CLI sets a subdistrict's own interval by its name, or the district's default; a
    // name no subdistrict has is a usage error that changes nothing.
    let cli = app.cli(
        &[
            "admin",
            "set-visit-interval",
            "--group",
            "migrant_child",
            "--days",
            "60",
            "--subdistrict",
            "Haishan",
        ],
        "",
    );
    assert_eq!(cli.code, Some(0), "{}", cli.stderr);
    assert!(cli.last_line().contains("Haishan"), "{}", cli.stdout);
    let own = |group: &'static str| {
        let db = app.db.clone();
        async move {
            visits::interval_settings(&db, &hai_caller, chrono::Utc::now())
                .await
                .expect("settings")
                .into_iter()
                .find(|s| s.group.as_str() == group)
                .map(|s| (s.days, s.source))
        }
    };
    assert_eq!(own("migrant_child").await, Some((60, IntervalSource::Subdistrict)));
    let unknown = app.cli(
        &[
            "admin",
            "set-visit-interval",
            "--group",
            "migrant_child",
            "--days",
            "20",
            "--subdistrict",
            "Atlantis",
        ],
        "",
    );
    assert_eq!(unknown.code, Some(2), "{}", unknown.stderr);
    assert!(unknown.stderr.contains("--subdistrict"), "{}", unknown.stderr);
    assert_eq!(own("migrant_child").await, Some((60, IntervalSource::Subdistrict)));

    // A programme Haishan's office adds is Haishan's: Shatoujiao's page and cases never offer it.
    hai_office.get("/admin/programmes").await;
    let added = hai_office
        .post(
            "/admin/programmes",
            &[("name", "海山助老金"), ("name_en", "Haishan elder fund")],
        )
        .await;
    assert_eq!(added.status(), 303);
    let (_, page) = hai_office.get("/admin/programmes").await;
    assert!(page.contains("海山助老金") && page.contains("低保"), "{page}");
    let (_, page) = sha_office.get("/admin/programmes").await;
    assert!(!page.contains("海山助老金") && page.contains("低保"), "{page}");
    let programme = scalar_i64(&app.db, "SELECT id FROM relief_programmes WHERE name = '海山助老金'").await;
    let offered = |caller: Caller, id: i64| {
        let db = app.db.clone();
        async move {
            ledger::ledger(&db, &caller, id, chrono::Utc::now())
                .await
                .expect("ledger")
                .programmes
                .iter()
                .any(|p| p.id == programme)
        }
    };
    assert!(offered(hai_caller, hai.beneficiary).await);
    assert!(!offered(world.a().worker, world.a().beneficiary_id).await);
    let mut sha_worker = app.login("worker0@example.org").await;
    let path = format!("/beneficiaries/{}/ledger", world.a().beneficiary_id);
    let (_, page) = sha_worker.get(&path).await;
    assert!(!page.contains("海山助老金"), "{page}");
    let typed = programme.to_string();
    let refused = sha_worker
        .post(
            &path,
            &[
                ("kind", "government"),
                ("regularity", "regular"),
                ("form", "money"),
                ("programme_id", &typed),
                ("amount", "100"),
                ("period_from", &chrono::Utc::now().date_naive().to_string()),
            ],
        )
        .await;
    assert_eq!(
        refused.status(),
        422,
        "another subdistrict's programme is an unknown choice"
    );
    assert_eq!(app.count("ledger_entries").await, 0);

    // The bureau adds none and lists none.
    let mut bureau = account(&app, "bureau@example.org", Role::District, None).await;
    assert_eq!(bureau.get("/admin/programmes").await.0, 403);
    let before = denied(&app, "relief_programme.add").await;
    // Its own pages carry the form token; the refusal is the service's, not the token's.
    bureau.get("/admin/reports").await;
    assert!(!bureau.csrf.is_empty());
    let refused = bureau
        .post(
            "/admin/programmes",
            &[("name", "区级项目"), ("name_en", "District fund")],
        )
        .await;
    assert_eq!(refused.status(), 403);
    assert_eq!(denied(&app, "relief_programme.add").await, before + 1);
}

#[tokio::test]
async fn the_district_bureau_reads_no_need_case_or_person() {
    let app = TestApp::spawn().await;
    let world = app.world(1).await;
    let hai = haishan(&app).await;
    let mut bureau = account(&app, "bureau@example.org", Role::District, None).await;
    let a = world.a().beneficiary_id;

    // The open-needs board (sponsors' reserved periods among them), a need, a case and its
    // tabs, a person: "forbidden" whatever the id, and every try audited.
    let before = scalar_i64(
        &app.db,
        "SELECT COUNT(*) FROM audit_log WHERE actor_kind = 'staff' AND outcome = 'denied'",
    )
    .await;
    let paths = [
        "/needs".to_owned(),
        format!("/needs/{}", hai.need),
        format!("/needs/{}", i32::MAX),
        "/beneficiaries".to_owned(),
        format!("/beneficiaries/{a}"),
        format!("/beneficiaries/{a}/ledger"),
        format!("/beneficiaries/{a}/visits"),
        format!("/beneficiaries/{}", hai.beneficiary),
    ];
    for path in &paths {
        let (status, page) = bureau.get(path).await;
        assert_eq!(status, 403, "{path}");
        assert!(!page.contains("B-"), "no person's code on {path}");
    }
    let after = scalar_i64(
        &app.db,
        "SELECT COUNT(*) FROM audit_log WHERE actor_kind = 'staff' AND outcome = 'denied'",
    )
    .await;
    assert!(after >= before + 7, "audited: {before} → {after}");

    // The services refuse the bureau whoever calls them.
    let caller = Caller::District {
        staff_id: scalar_i64(&app.db, "SELECT id FROM staff WHERE email = 'bureau@example.org'").await,
    };
    let listed = needs::list_needs(&app.db, &caller, &Default::default(), None, 20).await;
    assert!(matches!(listed, Err(ServiceError::Forbidden)), "{listed:?}");
    let read = needs::get_need(&app.db, &caller, hai.need, chrono::Utc::now()).await;
    assert!(matches!(read, Err(ServiceError::Forbidden)), "{read:?}");

    // Its reports still hold the figures.
    assert_eq!(bureau.get("/admin/reports").await.0, 200);
}
