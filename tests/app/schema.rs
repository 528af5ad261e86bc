//! The schema holds its own invariants, the same on SQLite and PostgreSQL.

use charity_relay::demo;
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

use crate::support::{TestApp, scalar_i64};

async fn schema_fingerprint(db: &DatabaseConnection) -> Vec<String> {
    let sql = match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => {
            "SELECT table_name || '.' || column_name || ':' || data_type || ':' || is_nullable AS c \
             FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1"
        }
        _ => {
            "SELECT m.name || '.' || p.name || ':' || p.type || ':' || p.\"notnull\" AS c \
              FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table' ORDER BY 1"
        }
    };
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("columns")
        .iter()
        .map(|row| row.try_get_by_index::<String>(0).expect("text"))
        .collect()
}

async fn execute(db: &DatabaseConnection, sql: &str) -> Result<(), sea_orm::DbErr> {
    db.execute_unprepared(sql).await.map(|_| ())
}

#[tokio::test]
async fn migrations_run_twice_without_change() {
    let app = TestApp::spawn().await;
    let before = schema_fingerprint(&app.db).await;
    assert!(before.iter().any(|c| c.starts_with("needs.claimed:")), "{before:?}");

    charity_relay::db::migrate(&app.db).await.expect("second run");
    assert!(
        Migrator::get_pending_migrations(&app.db)
            .await
            .expect("pending")
            .is_empty()
    );
    assert_eq!(schema_fingerprint(&app.db).await, before);
}

#[tokio::test]
async fn every_core_table_exists() {
    let app = TestApp::spawn().await;
    for table in [
        "communities",
        "organizations",
        "drop_off_points",
        "staff",
        "contacts",
        "beneficiaries",
        "beneficiary_private",
        "merchants",
        "merchant_link_codes",
        "offers",
        "offer_communities",
        "needs",
        "claims",
        "volunteers",
        "volunteer_hours",
        "outbox",
        "audit_log",
        "api_tokens",
        "idempotency_records",
        "web_sessions",
        "login_throttles",
        "telegram_updates",
        "wechat_inbox",
    ] {
        assert_eq!(app.count(table).await, 0, "{table} exists and starts empty");
    }
}

#[tokio::test]
async fn check_constraints_refuse_impossible_counters_written_directly() {
    let app = TestApp::spawn().await;
    demo::load(&app.db, &app.config.secret_key, chrono::Utc::now())
        .await
        .expect("demo");
    let need = scalar_i64(&app.db, "SELECT MIN(id) FROM needs WHERE status = 'open'").await;
    let claimed_before = scalar_i64(&app.db, &format!("SELECT claimed FROM needs WHERE id = {need}")).await;

    let refused = [
        format!("UPDATE needs SET claimed = quantity + 1 WHERE id = {need}"),
        format!("UPDATE needs SET claimed = -1 WHERE id = {need}"),
        format!("UPDATE needs SET delivered = claimed + 1 WHERE id = {need}"),
        format!("UPDATE needs SET quantity = 0 WHERE id = {need}"),
        format!("UPDATE needs SET status = 'claimed-twice' WHERE id = {need}"),
        format!("UPDATE needs SET category = 'toys' WHERE id = {need}"),
        "UPDATE claims SET quantity = 0".to_owned(),
        "UPDATE claims SET rating = 6".to_owned(),
        "UPDATE merchants SET credit_score = 101".to_owned(),
        "UPDATE staff SET role = 'root'".to_owned(),
        "INSERT INTO api_tokens (token_digest, label, organization_id, merchant_id, created_at) \
         VALUES ('d', 'ownerless', NULL, NULL, '2026-01-01 00:00:00+00:00')"
            .to_owned(),
        "UPDATE volunteer_hours SET tenths = 0".to_owned(),
    ];
    for sql in refused {
        assert!(execute(&app.db, &sql).await.is_err(), "the database accepted: {sql}");
    }
    let claimed_after = scalar_i64(&app.db, &format!("SELECT claimed FROM needs WHERE id = {need}")).await;
    assert_eq!(claimed_after, claimed_before, "a refused write changes nothing");
}

#[tokio::test]
async fn foreign_keys_are_enforced_on_both_databases() {
    let app = TestApp::spawn().await;
    demo::load(&app.db, &app.config.secret_key, chrono::Utc::now())
        .await
        .expect("demo");
    let claims_before = app.count("claims").await;
    let result = execute(&app.db, "UPDATE claims SET need_id = 999999").await;
    assert!(result.is_err(), "a claim of a missing need must be refused");
    assert_eq!(app.count("claims").await, claims_before);
}
