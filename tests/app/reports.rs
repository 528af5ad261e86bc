//! The office reads the figures; the public sees aggregates only, small cells suppressed.

use charity_relay::domain::need_input::NeedDraft;
use charity_relay::domain::reports::Spread;
use charity_relay::domain::time::local_date;
use charity_relay::domain::{Category, Locale, Recurrence, Urgency};
use charity_relay::services::access::Caller;
use charity_relay::services::beneficiaries::{self, BeneficiaryInput};
use charity_relay::services::{claims, needs, reports};
use chrono::{DateTime, Duration, Utc};
use sea_orm::ConnectionTrait;

use crate::support::browser::Browser;
use crate::support::world::{PLANTED_NAME, World};
use crate::support::{TestApp, scalar_i64};

/// A new beneficiary of organization A in the world's community.
async fn new_person(app: &TestApp, world: &World, name: &str) -> i64 {
    let form = BeneficiaryInput {
        community_id: world.community_id.to_string(),
        group: "elderly_alone".into(),
        full_name: name.into(),
        ..Default::default()
    };
    beneficiaries::register(&app.db, &app.config.secret_key, &world.a().worker, &form, Utc::now())
        .await
        .expect("register")
        .id
}

/// What a social worker asks for, for whom, and when.
struct Ask {
    person: i64,
    category: Category,
    quantity: i32,
    claim_days: i32,
    value_cents: Option<i64>,
    at: DateTime<Utc>,
}

async fn post(app: &TestApp, world: &World, ask: Ask) -> i64 {
    let draft = NeedDraft {
        beneficiary_id: ask.person,
        category: ask.category,
        title: "社工核实的需求".into(),
        description: "说明".into(),
        quantity: ask.quantity,
        unit: "份".into(),
        deadline: local_date(Utc::now()) + Duration::days(40),
        urgency: Urgency::Normal,
        recurrence: Recurrence::Once,
        periods: None,
        claim_days: ask.claim_days,
        estimated_value_cents: ask.value_cents,
        drop_off_point_id: None,
    };
    needs::post_need(&app.db, &app.config.secret_key, &world.a().worker, draft, ask.at)
        .await
        .expect("post need")
        .id
}

fn shop(world: &World, i: usize) -> Caller {
    Caller::Merchant {
        merchant_id: world.merchants[i].id,
        token_id: None,
    }
}

/// `merchant` claims `quantity` of `need` at `at` and returns the claim's id.
async fn claim(app: &TestApp, world: &World, merchant: usize, need: i64, quantity: i32, at: DateTime<Utc>) -> i64 {
    claims::claim_need(&app.db, &shop(world, merchant), need, quantity, None, at)
        .await
        .expect("claim")
        .claim
        .id
}

/// The shop delivers at `at`; the social worker confirms then with `rating` stars.
async fn deliver(app: &TestApp, world: &World, merchant: usize, claim: i64, rating: &str, at: DateTime<Utc>) {
    claims::mark_delivered(&app.db, &shop(world, merchant), claim, at)
        .await
        .expect("delivered");
    let confirmation = claims::Confirmation {
        rating: Some(rating.into()),
        handoff_code: None,
        by_office: false,
    };
    claims::confirm(&app.db, &world.a().worker, claim, confirmation, at)
        .await
        .expect("confirmed");
}

/// Every beneficiary's code, by id.
async fn codes(app: &TestApp) -> std::collections::HashMap<i64, String> {
    let rows = app
        .db
        .query_all_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            "SELECT id, code FROM beneficiaries",
        ))
        .await
        .expect("codes");
    rows.iter()
        .map(|r| {
            (
                r.try_get_by_index::<i64>(0).expect("id"),
                r.try_get_by_index::<String>(1).expect("code"),
            )
        })
        .collect()
}

/// Sets `assignment` on the world's first shop, as if it had changed so.
async fn set_shop(app: &TestApp, world: &World, assignment: &str) {
    let sql = format!("UPDATE merchants SET {assignment} WHERE id = {}", world.merchants[0].id);
    app.db.execute_unprepared(&sql).await.expect("update the shop");
}

/// Report table `name` as the office downloads it.
async fn download(office: &Browser, name: &str) -> Vec<u8> {
    let response = office
        .raw_get(&format!("/admin/reports/{name}.csv"))
        .send()
        .await
        .expect("csv");
    response.bytes().await.expect("bytes").to_vec()
}

/// The first table after `heading` in `html`.
fn table_after<'a>(html: &'a str, heading: &str) -> &'a str {
    html.split(heading)
        .nth(1)
        .and_then(|rest| rest.split("</table>").next())
        .unwrap_or_else(|| panic!("a table after {heading}"))
}

/// The office of the world's subdistrict.
async fn admin(app: &TestApp, world: &World) -> Caller {
    let subdistrict_id = scalar_i64(
        &app.db,
        &format!(
            "SELECT subdistrict_id FROM communities WHERE id = {}",
            world.community_id
        ),
    )
    .await;
    Caller::Admin {
        staff_id: 1,
        subdistrict_id,
    }
}

/// Fulfils one need of `quantity` for each of `people` new beneficiaries of organization A.
async fn fulfil_for_new_people(app: &TestApp, world: &World, people: usize) -> Vec<i64> {
    fulfil_for_new_people_in(app, world, people, "disabled").await
}

/// [`fulfil_for_new_people`] for people of beneficiary group `group`.
async fn fulfil_for_new_people_in(app: &TestApp, world: &World, people: usize, group: &str) -> Vec<i64> {
    let m = &world.merchants[0];
    let mut ids = Vec::new();
    for i in 0..people {
        let form = BeneficiaryInput {
            community_id: world.community_id.to_string(),
            group: group.into(),
            full_name: format!("{PLANTED_NAME}{i}"),
            ..Default::default()
        };
        let b = beneficiaries::register(
            &app.db,
            &app.config.secret_key,
            &world.a().worker,
            &form,
            chrono::Utc::now(),
        )
        .await
        .expect("register");
        let org = crate::support::world::Org {
            id: world.a().id,
            token: world.a().token.clone(),
            worker: world.a().worker,
            beneficiary_id: b.id,
        };
        let need = app.post_need(&org, 2).await;
        let (_, claim) = app.claim(&m.token, need, 2).await;
        let claim = claim["id"].as_i64().expect("claim");
        app.api("POST", &format!("/api/v1/claims/{claim}/delivered"), &m.token, None)
            .await;
        let (status, _) = app
            .api(
                "POST",
                &format!("/api/v1/claims/{claim}/confirm"),
                &org.token,
                Some(serde_json::json!({ "rating": 5 })),
            )
            .await;
        assert_eq!(status, 200);
        ids.push(need);
    }
    ids
}

#[tokio::test]
async fn the_office_reads_the_report_and_downloads_its_tables_as_csv() {
    let app = TestApp::spawn().await;
    let world = app.world(1).await;
    fulfil_for_new_people(&app, &world, 2).await;
    app.post_need(world.b(), 3).await;
    let email = app.office_account().await;
    let mut office = app.login(&email).await;
    let (status, page) = office.get("/admin/reports").await;
    assert_eq!(status, 200);
    assert!(page.contains("爱心商户0"), "merchants are listed");

    let csv = office
        .raw_get("/admin/reports/weekly-community.csv")
        .send()
        .await
        .expect("csv");
    assert_eq!(csv.status(), 200);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with("text/csv")
    );
    let bytes = csv.bytes().await.expect("bytes");
    assert_eq!(&bytes[..3], &[0xEF, 0xBB, 0xBF], "UTF-8 with BOM for spreadsheets");
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    let header = reader.headers().expect("header").clone();
    assert_eq!(header.len(), 6);
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), 1, "one week, one community");
    // Three needs this week in 东和: two posted for new people and fulfilled, one by B open.
    let monday = charity_relay::domain::reports::week_start(&charity_relay::domain::reports::iso_week(Utc::now()))
        .expect("this week");
    assert_eq!(&rows[0][0], monday.to_string(), "a spreadsheet sorts ISO dates");
    assert_eq!(&rows[0][1], "东和社区");
    assert_eq!(
        (&rows[0][2], &rows[0][3], &rows[0][4], &rows[0][5]),
        ("3", "2", "2", "0")
    );

    let merchants = download(&office, "merchants").await;
    let mut reader = csv::Reader::from_reader(&merchants[3..]);
    let first = reader.records().next().expect("a merchant").expect("row");
    assert_eq!((&first[0], &first[1], &first[2]), ("爱心商户0", "2", "100%"));

    let chart = office
        .raw_get("/admin/reports/chart/weekly.svg")
        .send()
        .await
        .expect("svg");
    assert_eq!(chart.headers()["content-type"], "image/svg+xml");
    assert!(chart.text().await.expect("svg").starts_with("<svg"));
    assert_eq!(
        office
            .raw_get("/admin/reports/nothing.csv")
            .send()
            .await
            .expect("csv")
            .status(),
        404
    );

    let mut worker = app.login("worker0@example.org").await;
    assert_eq!(worker.get("/admin/reports").await.0, 403, "reports are the office's");
}

#[tokio::test]
async fn the_transparency_page_suppresses_cells_about_fewer_than_five_people() {
    let app = TestApp::spawn().await;
    let world = app.world(1).await;
    // The shop that delivered everything chose to be shown.
    set_shop(&app, &world, "show_publicly = TRUE").await;
    fulfil_for_new_people(&app, &world, 4).await;
    let page = app.get("/transparency").await;
    assert_eq!(page.status(), 200);
    assert_eq!(
        page.headers()["cache-control"],
        "public, max-age=60",
        "as long as the server keeps it"
    );
    assert_eq!(
        page.headers()["vary"],
        "Accept-Language",
        "a shared cache keeps each language apart"
    );
    let html = page.text().await.expect("html");
    assert!(
        html.contains("人数较少，暂不公布"),
        "four people: suppressed, saying why, in words that fit any unit"
    );
    assert!(
        !html.contains("/transparency/met.svg"),
        "no group is shown yet: no empty chart either"
    );
    let chart = app.get("/transparency/met.svg").await;
    assert_eq!(chart.headers()["cache-control"], "public, max-age=60");
    let chart = chart.text().await.expect("svg");
    assert!(chart.starts_with("<svg"));
    assert!(!html.contains("<strong>4</strong>"));
    assert!(
        html.contains("也在参与、但送达次数较少暂不单列的商户：爱心商户0</p>"),
        "the shop is named, its four deliveries are not counted"
    );
    assert!(!html.contains("<td>4</td>"));
    assert!(
        html.contains("志愿服务时长：<strong>0 小时</strong>"),
        "no volunteer gave hours: a zero points at nobody"
    );

    // A minute-old cache would hide the fifth; ask in the other language for a fresh page.
    fulfil_for_new_people(&app, &world, 1).await;
    let html = app
        .client
        .get(app.url("/transparency"))
        .header("Accept-Language", "en")
        .send()
        .await
        .expect("GET")
        .text()
        .await
        .expect("html");
    assert!(html.contains("Needs met: <strong>5</strong>"), "five people: shown");
    assert!(html.contains("/transparency/met.svg"), "and now charted");
    assert!(
        html.contains("<td>爱心商户0</td><td>5–19</td>"),
        "five deliveries to five people: listed as a range, never the count"
    );
    assert!(!html.contains("<td>爱心商户0</td><td>5</td>"));
    assert_eq!(
        app.get("/transparency/met.svg").await.text().await.expect("svg"),
        chart,
        "the chart is served from the cache for a minute too"
    );
    let codes: Vec<String> = codes(&app).await.into_values().collect();
    for secret in codes.iter().map(String::as_str).chain([PLANTED_NAME, "米和食用油"]) {
        assert!(!html.contains(secret), "{secret} must not be public");
    }
    let fulfilled = scalar_i64(&app.db, "SELECT COUNT(*) FROM needs WHERE status = 'fulfilled'").await;
    assert_eq!(fulfilled, 5);
}

#[tokio::test]
async fn the_office_report_reads_in_dates_days_and_whole_numbers() {
    let app = TestApp::spawn().await;
    let world = app.world(2).await;
    let email = app.office_account().await;
    let mut office = app.login(&email).await;
    let (_, empty) = office.get("/admin/reports").await;
    assert!(
        !empty.contains("chart/weekly.svg") && !empty.contains("chart/value.svg"),
        "nothing posted: no empty grids"
    );

    // Shop 0 delivers and is confirmed; shop 1 has delivered, the worker has not confirmed.
    let now = Utc::now();
    let first = post(
        &app,
        &world,
        Ask {
            person: world.a().beneficiary_id,
            category: Category::Food,
            quantity: 3,
            claim_days: 7,
            value_cents: Some(1_234_500),
            at: now,
        },
    )
    .await;
    let done = claim(&app, &world, 0, first, 3, now).await;
    deliver(&app, &world, 0, done, "5", now + Duration::hours(36)).await;
    let second = post(
        &app,
        &world,
        Ask {
            person: world.a().beneficiary_id,
            category: Category::Medicine,
            quantity: 1,
            claim_days: 7,
            value_cents: None,
            at: now,
        },
    )
    .await;
    let waiting = claim(&app, &world, 1, second, 1, now).await;
    claims::mark_delivered(&app.db, &shop(&world, 1), waiting, now + Duration::hours(2))
        .await
        .expect("delivered");

    let (status, page) = office.get("/admin/reports").await;
    assert_eq!(status, 200);
    let monday =
        charity_relay::domain::reports::week_start(&charity_relay::domain::reports::iso_week(now)).expect("this week");
    let week = format!(
        "{}月{}日起",
        chrono::Datelike::month(&monday),
        chrono::Datelike::day(&monday)
    );
    assert!(page.contains(&week), "weeks read as dates: {week}");
    let code = charity_relay::domain::reports::iso_week(now);
    assert!(!page.contains(&code), "no ISO week codes like {code}");
    assert!(
        page.contains("认领到送达：一半在 0.1 天内，九成在 1.5 天内（共 2 项）"),
        "waits of 2 and 36 hours, in days, after a full-width colon"
    );
    let merchants = table_after(&page, "<h2>爱心商户");
    assert!(
        merchants.contains(r#"<td data-label="完成送达">0</td><td data-label="准时率">—</td>"#),
        "no confirmed delivery: no on-time rate either: {merchants}"
    );
    assert!(page.contains("chart/weekly.svg") && page.contains("chart/value.svg"));

    let chart = office
        .raw_get("/admin/reports/chart/weekly.svg")
        .send()
        .await
        .expect("svg")
        .text()
        .await
        .expect("svg");
    let labels: Vec<&str> = chart
        .split("</text>")
        .filter_map(|t| t.rsplit_once('>').map(|(_, label)| label.trim()))
        .filter(|label| !label.is_empty())
        .collect();
    assert!(labels.contains(&&*format!(
        "{}月{}日",
        chrono::Datelike::month(&monday),
        chrono::Datelike::day(&monday)
    )));
    let ticks: Vec<&&str> = labels.iter().filter(|l| l.parse::<f64>().is_ok()).collect();
    assert!(ticks.len() >= 2, "{labels:?}");
    assert!(
        ticks.iter().all(|l| l.parse::<u64>().is_ok()),
        "two needs: whole ticks {ticks:?}"
    );
}

/// A small week, every figure counted by hand. Everything happens from now on, so the jobs
/// (which run on the real clock) never lapse or expire any of it; the report is read ten
/// days later.
#[tokio::test]
async fn the_reports_figures_on_a_seeded_week_match_a_count_by_hand() {
    let app = TestApp::spawn().await;
    let world = app.world(2).await;
    let t0 = Utc::now();
    let h = Duration::hours;
    let (b1, b2, b3) = (
        new_person(&app, &world, "甲").await,
        new_person(&app, &world, "乙").await,
        new_person(&app, &world, "丙").await,
    );
    let ask = |person, category, quantity, claim_days, value_cents| Ask {
        person,
        category,
        quantity,
        claim_days,
        value_cents,
        at: t0,
    };
    // A: rice for 甲, claimed after 2 h by shop 0, delivered on time after 22 h more, 5 stars.
    let a = post(&app, &world, ask(b1, Category::Food, 2, 7, Some(10_000))).await;
    let ca = claim(&app, &world, 0, a, 2, t0 + h(2)).await;
    deliver(&app, &world, 0, ca, "5", t0 + h(24)).await;
    // B: medicine for 乙, one day to deliver; shop 1 claims after 6 h and delivers at 72 h,
    // late, 2 stars.
    let b = post(&app, &world, ask(b2, Category::Medicine, 1, 1, Some(5_000))).await;
    let cb = claim(&app, &world, 1, b, 1, t0 + h(6)).await;
    deliver(&app, &world, 1, cb, "2", t0 + h(72)).await;
    // C: food for 丙, one of three claimed by shop 0 after 4 h and never delivered.
    let c = post(&app, &world, ask(b3, Category::Food, 3, 7, None)).await;
    claim(&app, &world, 0, c, 1, t0 + h(4)).await;
    // D: clothes for 丙, nobody claims them.
    post(&app, &world, ask(b3, Category::Clothing, 1, 7, None)).await;

    let now = t0 + Duration::days(10);
    let (report, names, unserved) =
        reports::office_report(&app.db, &admin(&app, &world).await, None, 4, Locale::ZhCn, now)
            .await
            .expect("report");
    // Only these four needs were posted (the world posts none).
    let counts: Vec<_> = report.by_week_community.values().cloned().collect();
    assert_eq!(counts.iter().map(|c| c.posted).sum::<u32>(), 4);
    assert_eq!(counts.iter().map(|c| c.claimed).sum::<u32>(), 3, "A, B and C");
    assert_eq!(counts.iter().map(|c| c.fulfilled).sum::<u32>(), 2, "A and B");
    assert_eq!(counts.iter().map(|c| c.expired).sum::<u32>(), 0);
    let food: u32 = report
        .by_week_category
        .iter()
        .filter(|((_, cat), _)| *cat == Category::Food)
        .map(|(_, c)| c.posted)
        .sum();
    assert_eq!(food, 2);
    // First claims after 2, 6 and 4 h; deliveries 22 h and 66 h after their claims.
    // Nearest rank: the median of three is the second, p90 the third; of two, the first
    // and the second.
    assert_eq!(
        report.time_to_first_claim,
        Spread {
            median: Some(4.0),
            p90: Some(6.0),
            n: 3
        }
    );
    assert_eq!(
        report.time_to_delivery,
        Spread {
            median: Some(22.0),
            p90: Some(66.0),
            n: 2
        }
    );
    // Value routed: all of A's 100 yuan (food) and B's 50 (medicine).
    assert_eq!(report.value_by_category.get(&Category::Food), Some(&10_000));
    assert_eq!(report.value_by_category.get(&Category::Medicine), Some(&5_000));
    // C's claim was due at 4 h + 7 days: overdue on day ten.
    assert_eq!(report.overdue_claims, 1);
    // Shop 0: one delivery, on time. Shop 1: one, late.
    let line = |i: usize| {
        let id = world.merchants[i].id;
        let at = report
            .merchants
            .iter()
            .position(|l| l.merchant_id == id)
            .expect("listed");
        (
            report.merchants[at].deliveries,
            report.merchants[at].on_time_rate,
            names[at].1,
        )
    };
    // Credit: raw = 45 × on-time share + 40 × (stars − 1) / 4 + 15, blended with the
    // starting 60 by n / (n + 3) for n = 1 ended claim: shop 0 raw 100 → 70; shop 1 raw
    // 25 → 51.25 → 51.
    assert_eq!(line(0), (1, Some(1.0), 70));
    assert_eq!(line(1), (1, Some(0.0), 51));
    // 甲 and 乙 were served within 90 days; 丙 was not.
    let code = codes(&app).await;
    assert!(unserved.contains(&code[&b3]));
    assert!(!unserved.contains(&code[&b1]));
    assert!(!unserved.contains(&code[&b2]));
}

/// "No fulfilled need in 90 days" is about the delivery, not about when the need was posted.
#[tokio::test]
async fn a_person_served_this_month_on_a_need_posted_long_ago_is_not_a_gap() {
    let app = TestApp::spawn().await;
    let world = app.world(1).await;
    let now = Utc::now();
    let old = now - Duration::days(120);
    let (served, waited) = (
        new_person(&app, &world, "老需求").await,
        new_person(&app, &world, "久未服务").await,
    );
    // Both asked 120 days ago, with a year to deliver. The first was served yesterday, the
    // second 100 days ago.
    let ask = |person| Ask {
        person,
        category: Category::DailyGoods,
        quantity: 1,
        claim_days: 365,
        value_cents: None,
        at: old,
    };
    let recent = post(&app, &world, ask(served)).await;
    let long_ago = post(&app, &world, ask(waited)).await;
    let c = claim(&app, &world, 0, recent, 1, old + Duration::hours(1)).await;
    deliver(&app, &world, 0, c, "5", now - Duration::days(1)).await;
    let c = claim(&app, &world, 0, long_ago, 1, old + Duration::hours(1)).await;
    deliver(&app, &world, 0, c, "5", now - Duration::days(100)).await;

    let (_, _, unserved) = reports::office_report(&app.db, &admin(&app, &world).await, None, 4, Locale::En, now)
        .await
        .expect("report");
    let code = codes(&app).await;
    assert!(!unserved.contains(&code[&served]), "served yesterday: {unserved:?}");
    assert!(
        unserved.contains(&code[&waited]),
        "last served 100 days ago: {unserved:?}"
    );
}

/// Every table downloads as CSV a spreadsheet opens: a BOM, a header, rows that parse, and
/// a shop name that starts like a formula stays text.
#[tokio::test]
async fn every_report_table_downloads_as_csv_that_parses_back_and_runs_no_formula() {
    let app = TestApp::spawn().await;
    let world = app.world(1).await;
    fulfil_for_new_people(&app, &world, 1).await;
    set_shop(&app, &world, "name = '=HYPERLINK(\"http://evil\")'").await;
    let email = app.office_account().await;
    let office = app.login(&email).await;
    for (name, columns) in [
        ("weekly-community", 6),
        ("weekly-category", 6),
        ("value", 2),
        ("merchants", 4),
        ("gaps-groups", 2),
        ("gaps-communities", 2),
    ] {
        let bytes = download(&office, name).await;
        assert_eq!(&bytes[..3], &[0xEF, 0xBB, 0xBF], "{name}: UTF-8 with BOM");
        let mut reader = csv::Reader::from_reader(&bytes[3..]);
        assert_eq!(reader.headers().expect("header").len(), columns, "{name}");
        let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
        assert!(rows.iter().all(|r| r.len() == columns), "{name}: every row whole");
        if name == "merchants" {
            assert_eq!(&rows[0][0], "'=HYPERLINK(\"http://evil\")");
            assert_eq!(&rows[0][1], "1");
        }
        if name == "value" {
            assert_eq!(rows.len(), 0, "no value was estimated");
        }
    }
}

#[tokio::test]
async fn the_transparency_page_withholds_a_second_cell_so_a_small_one_cannot_be_subtracted() {
    let app = TestApp::spawn().await;
    let world = app.world(1).await;
    // Five disabled people and one elderly person living alone: 6 needs met in all. Showing
    // the total and the group of five would give away the one person's group by subtraction.
    fulfil_for_new_people_in(&app, &world, 5, "disabled").await;
    fulfil_for_new_people_in(&app, &world, 1, "elderly_alone").await;
    let html = app.get("/transparency").await.text().await.expect("html");
    assert!(
        html.contains("已完成的需求：<strong>6 项</strong>"),
        "six people: the total is shown"
    );
    let by_group = table_after(&html, "<h2>按人群</h2>");
    assert!(by_group.contains("<td>人数较少，暂不公布</td>"), "{by_group}");
    assert!(
        by_group.contains("<td>暂不公布</td>"),
        "the group of five is withheld too: {by_group}"
    );
    assert!(
        !by_group.contains("<td>5 项</td>") && !by_group.contains("<td>1 项</td>"),
        "{by_group}"
    );
    assert!(html.contains("若其余数字可推算出被隐去的数字"), "the note says why");
}
