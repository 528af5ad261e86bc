//! The office reads the figures; the public sees aggregates only, small cells suppressed.

use charity_relay::services::beneficiaries::{self, BeneficiaryInput};

use crate::support::world::{PLANTED_NAME, World};
use crate::support::{TestApp, scalar_i64};

/// Fulfils one need of `quantity` for each of `people` new beneficiaries of organization A.
async fn fulfil_for_new_people(app: &TestApp, world: &World, people: usize) -> Vec<i64> {
    let m = &world.merchants[0];
    let mut ids = Vec::new();
    for i in 0..people {
        let form = BeneficiaryInput {
            community_id: world.community_id.to_string(),
            group: "disabled".into(),
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
        let (_, claim) = app
            .api(
                "POST",
                &format!("/api/v1/needs/{need}/claims"),
                &m.token,
                Some(serde_json::json!({ "quantity": 2 })),
            )
            .await;
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
    assert_eq!(&rows[0][1], "东和社区");
    assert_eq!(
        (&rows[0][2], &rows[0][3], &rows[0][4], &rows[0][5]),
        ("3", "2", "2", "0")
    );

    let merchants = office
        .raw_get("/admin/reports/merchants.csv")
        .send()
        .await
        .expect("csv")
        .bytes()
        .await
        .expect("bytes");
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
    fulfil_for_new_people(&app, &world, 4).await;
    let page = app.get("/transparency").await;
    assert_eq!(page.status(), 200);
    assert!(
        page.headers()["cache-control"]
            .to_str()
            .expect("ascii")
            .starts_with("public")
    );
    let html = page.text().await.expect("html");
    assert!(html.contains("少于 5 人"), "four people: suppressed");
    assert!(!html.contains("<strong>4</strong>"));

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
    let codes: Vec<String> = {
        use sea_orm::{ConnectionTrait, Statement};
        let rows = app
            .db
            .query_all_raw(Statement::from_string(
                app.db.get_database_backend(),
                "SELECT code FROM beneficiaries",
            ))
            .await
            .expect("codes");
        rows.iter()
            .map(|r| r.try_get_by_index::<String>(0).expect("code"))
            .collect()
    };
    for secret in codes.iter().map(String::as_str).chain([PLANTED_NAME, "米和食用油"]) {
        assert!(!html.contains(secret), "{secret} must not be public");
    }
    let fulfilled = scalar_i64(&app.db, "SELECT COUNT(*) FROM needs WHERE status = 'fulfilled'").await;
    assert_eq!(fulfilled, 5);
}
