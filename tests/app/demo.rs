//! Someone tries the service: the demo data tells the article's story, once.

use sea_orm::{ConnectionTrait, Statement};

use crate::support::{TestApp, scalar_i64};

const TABLES: &[&str] = &[
    "communities",
    "organizations",
    "staff",
    "merchants",
    "offers",
    "beneficiaries",
    "beneficiary_private",
    "needs",
    "claims",
    "volunteers",
    "volunteer_hours",
    "merchant_link_codes",
    "ledger_entries",
    "visits",
    "referrals",
    "sponsorships",
    "audit_log",
];

async fn counts(app: &TestApp) -> Vec<i64> {
    let mut out = Vec::new();
    for table in TABLES {
        out.push(app.count(table).await);
    }
    out
}

#[tokio::test]
async fn demo_loads_once_and_a_second_run_adds_nothing() {
    let app = TestApp::spawn().await;
    let first = app.cli(&["demo"], "");
    assert_eq!(first.code, Some(0), "{first:?}");
    assert!(first.stdout.contains("office@demo.charity-relay.org") && first.stdout.contains("relay-demo-2026"));
    let after_first = counts(&app).await;
    assert!(app.count("merchants").await >= 30);

    let second = app.cli(&["demo"], "");
    assert_eq!(second.code, Some(0), "{second:?}");
    assert!(second.stdout.contains("nothing added"), "{}", second.stdout);
    assert_eq!(counts(&app).await, after_first);
    assert_eq!(
        first.last_line(),
        second.last_line(),
        "the same link code is printed each run"
    );
}

#[tokio::test]
async fn demo_has_needs_and_claims_in_every_status_with_consistent_counters() {
    let app = TestApp::spawn().await;
    assert_eq!(app.cli(&["demo"], "").code, Some(0));
    for status in ["open", "fully_claimed", "fulfilled", "cancelled", "expired"] {
        let n = scalar_i64(
            &app.db,
            &format!("SELECT COUNT(*) FROM needs WHERE status = '{status}'"),
        )
        .await;
        assert!(n >= 1, "no demo need is {status}");
    }
    for status in ["active", "delivered", "confirmed", "disputed", "released", "lapsed"] {
        let n = scalar_i64(
            &app.db,
            &format!("SELECT COUNT(*) FROM claims WHERE status = '{status}'"),
        )
        .await;
        assert!(n >= 1, "no demo claim is {status}");
    }
    for group in [
        "elderly_alone",
        "child_in_hardship",
        "disabled",
        "low_income_family",
        "migrant_child",
    ] {
        let n = scalar_i64(
            &app.db,
            &format!("SELECT COUNT(*) FROM beneficiaries WHERE beneficiary_group = '{group}'"),
        )
        .await;
        assert!(n >= 1, "no demo beneficiary is {group}");
    }
    let inconsistent = scalar_i64(
        &app.db,
        "SELECT COUNT(*) FROM needs n WHERE n.claimed <> (SELECT COALESCE(SUM(c.quantity), 0) FROM claims c \
         WHERE c.need_id = n.id AND c.status IN ('active','delivered','confirmed','disputed')) \
         OR n.delivered <> (SELECT COALESCE(SUM(c.quantity), 0) FROM claims c WHERE c.need_id = n.id AND c.status = 'confirmed')",
    )
    .await;
    assert_eq!(inconsistent, 0, "claimed and delivered equal the sums of the claims");
    let pending = scalar_i64(&app.db, "SELECT COUNT(*) FROM merchants WHERE status <> 'approved'").await;
    assert!(pending >= 2, "pending and suspended merchants are shown too");
}

#[tokio::test]
async fn demo_private_details_are_sealed_not_stored_plain() {
    let app = TestApp::spawn().await;
    assert_eq!(app.cli(&["demo"], "").code, Some(0));
    let rows = app.count("beneficiary_private").await;
    assert!(rows >= 6);
    let sealed = app
        .db
        .query_all_raw(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT sealed FROM beneficiary_private",
        ))
        .await
        .expect("sealed rows");
    for row in sealed {
        let bytes: Vec<u8> = row.try_get_by_index(0).expect("bytes");
        assert!(
            !String::from_utf8_lossy(&bytes).contains("13800000"),
            "a phone number is stored in clear"
        );
    }
    let db_file = app.dir().join("test.db");
    if db_file.exists() {
        let raw = std::fs::read(&db_file).expect("db file");
        let wal = std::fs::read(app.dir().join("test.db-wal")).unwrap_or_default();
        for needle in ["陈阿婆", "13800000001"] {
            let bytes = needle.as_bytes();
            let found = raw.windows(bytes.len()).any(|w| w == bytes) || wal.windows(bytes.len()).any(|w| w == bytes);
            assert!(!found, "{needle} appears in the raw database file");
        }
    }
}

/// The bars of an SVG chart (rectangles in the bars' colour).
fn bars_in(svg: &str) -> usize {
    svg.to_uppercase().matches(r##"FILL="#0B6E4F""##).count()
}

#[tokio::test]
async fn after_the_demo_the_public_page_shows_figures_and_the_charts_have_bars() {
    let app = TestApp::spawn().await;
    assert_eq!(app.cli(&["demo"], "").code, Some(0));
    let page = app.get("/transparency").await.text().await.expect("page");
    // Figures with their units, not only "数据积累中".
    for unit in ["项", "元", "小时"] {
        let shown = regex::Regex::new(&format!(r"<strong>\d[\d,]* {unit}</strong>")).expect("re");
        assert!(shown.is_match(&page), "no figure in {unit}: {page}");
    }
    let by_group = regex::Regex::new(r"<tr><td>[^<]+</td><td>\d+ 项</td></tr>").expect("re");
    assert!(
        by_group.find_iter(&page).count() >= 2,
        "needs met by group and community: {page}"
    );
    let shops = regex::Regex::new(r"<tr><td>[^<]+</td><td>(5–19 次|20 次以上)</td></tr>").expect("re");
    assert!(shops.is_match(&page), "a shop's deliveries, as a range: {page}");
    let exact = regex::Regex::new(r"<tr><td>[^<]+</td><td>\d+ 次</td></tr>").expect("re");
    assert!(!exact.is_match(&page), "never a shop's exact count: {page}");
    assert!(page.contains(r#"<img src="/transparency/met.svg""#), "{page}");
    let chart = app.get("/transparency/met.svg").await.text().await.expect("svg");
    assert!(chart.starts_with("<svg") && bars_in(&chart) >= 2, "{chart}");

    // The office's weekly chart has bars over the weeks too.
    let mut office = app.browser();
    let signed_in = office
        .sign_in("office@demo.charity-relay.org", charity_relay::demo::DEMO_PASSWORD)
        .await;
    assert_eq!(signed_in.status(), 303);
    let (_, report) = office.get("/admin/reports").await;
    assert!(report.contains("/admin/reports/chart/weekly.svg"), "{report}");
    let (status, weekly) = office.get("/admin/reports/chart/weekly.svg?weeks=12").await;
    assert_eq!(status, 200);
    assert!(bars_in(&weekly) >= 8, "needs posted over the weeks: {weekly}");
}

#[tokio::test]
async fn the_demos_disputed_delivery_says_why_and_every_need_page_has_a_timeline_or_says_it_is_empty() {
    let app = TestApp::spawn().await;
    assert_eq!(app.cli(&["demo"], "").code, Some(0));
    // The disputed delivery is in Haishan, whose office reads it.
    let mut office = app.browser();
    let signed_in = office
        .sign_in(
            "haishan-office@demo.charity-relay.org",
            charity_relay::demo::DEMO_PASSWORD,
        )
        .await;
    assert_eq!(signed_in.status(), 303);
    let disputed =
        crate::support::scalar_i64(&app.db, "SELECT MIN(need_id) FROM claims WHERE status = 'disputed'").await;
    let (status, page) = office.get(&format!("/needs/{disputed}")).await;
    assert_eq!(status, 200);
    assert!(
        page.contains(charity_relay::demo::DEMO_DISPUTE_REASON),
        "the dispute's reason is on the need page: {page}"
    );
    // The demo writes no history for its needs: the timeline says so rather than end in a
    // bare heading.
    let timeline = page.split("时间线").nth(1).expect("the timeline");
    assert!(
        timeline.contains(r#"<ol class="timeline"><li>"#) || timeline.contains("暂无记录"),
        "{timeline}"
    );
    // The drop-off point follows its label without a gap after the full-width colon.
    assert!(page.contains("送达点：") && !page.contains("送达点： "), "{page}");
}

#[tokio::test]
async fn a_demo_cut_short_is_refused_in_words_on_the_next_run() {
    let app = TestApp::spawn().await;
    assert_eq!(app.cli(&["demo"], "").code, Some(0));
    // A run cut short before its last step: everything but the office account, written last.
    app.db
        .execute_raw(Statement::from_string(
            app.db.get_database_backend(),
            "DELETE FROM staff WHERE email = 'office@demo.charity-relay.org'",
        ))
        .await
        .expect("remove the office account");
    let organizations = app.count("organizations").await;

    let again = app.cli(&["demo"], "");
    assert_eq!(again.code, Some(1), "{again:?}");
    assert!(
        again.stderr.contains("exists already") && again.stderr.contains("empty database"),
        "{}",
        again.stderr
    );
    assert!(!again.stderr.to_lowercase().contains("unique"), "{}", again.stderr);
    assert_eq!(app.count("organizations").await, organizations, "nothing is added");
}

#[tokio::test]
async fn the_demos_case_files_have_relief_visits_a_referral_in_each_state_and_a_sponsorship_in_its_third_month() {
    let app = TestApp::spawn().await;
    assert_eq!(app.cli(&["demo"], "").code, Some(0));
    let count = |sql: &'static str| scalar_i64(&app.db, sql);
    assert!(count("SELECT COUNT(DISTINCT beneficiary_id) FROM ledger_entries").await >= 4);
    assert!(count("SELECT COUNT(*) FROM ledger_entries WHERE regularity = 'temporary'").await >= 1);
    assert!(count("SELECT COUNT(DISTINCT beneficiary_id) FROM visits").await >= 4);
    // Every organization's dashboard lists a visit overdue.
    let orgs = count("SELECT COUNT(DISTINCT organization_id) FROM beneficiaries").await;
    for org in 1..=orgs {
        let caller = charity_relay::services::access::Caller::SocialWorker {
            staff_id: scalar_i64(
                &app.db,
                &format!("SELECT MIN(id) FROM staff WHERE organization_id = {org}"),
            )
            .await,
            organization_id: org,
        };
        let due = charity_relay::services::visits::due_visits(&app.db, &caller, chrono::Utc::now())
            .await
            .expect("due visits");
        assert!(
            due.iter()
                .any(|d| matches!(d.due, charity_relay::domain::visits::Due::Overdue { .. })),
            "organization {org}: {due:?}"
        );
    }
    for status in ["accepted", "declined", "withdrawn", "pending"] {
        let n = scalar_i64(
            &app.db,
            &format!("SELECT COUNT(*) FROM referrals WHERE status = '{status}'"),
        )
        .await;
        assert!(n >= 1, "a referral {status}");
    }
    // One sponsorship, active, with three periods posted and claimed by its sponsor.
    assert_eq!(
        count("SELECT COUNT(*) FROM sponsorships WHERE status = 'active'").await,
        1
    );
    assert_eq!(
        count(
            "SELECT COUNT(*) FROM needs n JOIN sponsorships s ON n.series_id = s.series_id \
             JOIN claims c ON c.need_id = n.id AND c.merchant_id = s.merchant_id"
        )
        .await,
        3
    );
}
