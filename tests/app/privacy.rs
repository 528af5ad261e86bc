//! Secrets at rest: the raw database holds no beneficiary's name, phone or address in clear.

use sea_orm::{ConnectionTrait, Statement};

use crate::support::TestApp;
use crate::support::world::{PLANTED_ADDRESS, PLANTED_NAME, PLANTED_PHONE};

#[tokio::test]
async fn the_raw_database_holds_no_private_detail_in_clear() {
    let app = TestApp::spawn().await;
    let world = app.world(1).await;
    app.post_need(world.a(), 2).await;
    let backend = app.db.get_database_backend();
    let mut raw = Vec::new();
    if app.is_postgres() {
        let tables = app
            .db
            .query_all_raw(Statement::from_string(
                backend,
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'",
            ))
            .await
            .expect("tables");
        assert!(tables.len() > 20);
        for t in tables {
            let name: String = t.try_get_by_index(0).expect("name");
            // A whole row as text, bytea columns included (hex), so nothing escapes the scan.
            let rows = app
                .db
                .query_all_raw(Statement::from_string(
                    backend,
                    format!("SELECT t::text FROM \"{name}\" t"),
                ))
                .await
                .expect("rows");
            for r in rows {
                raw.extend(r.try_get_by_index::<String>(0).expect("row text").into_bytes());
            }
        }
    } else {
        app.db
            .execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
            .await
            .expect("checkpoint");
        raw.extend(std::fs::read(app.dir().join("test.db")).expect("db file"));
        raw.extend(std::fs::read(app.dir().join("test.db-wal")).unwrap_or_default());
    }
    let title = "米和食用油".as_bytes();
    assert!(
        raw.windows(title.len()).any(|w| w == title),
        "the scan sees the public data, so it would see private data in clear"
    );
    for planted in [PLANTED_NAME, PLANTED_PHONE, PLANTED_ADDRESS] {
        let needle = planted.as_bytes();
        assert!(
            !raw.windows(needle.len()).any(|w| w == needle),
            "{planted} is stored in clear"
        );
        let hex_needle = hex::encode(needle);
        let text = String::from_utf8_lossy(&raw);
        assert!(!text.contains(&hex_needle), "{planted} is stored in clear (hex)");
    }
}
