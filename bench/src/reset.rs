//! Undoes a claim run: the claims, messages and audit entries written after seeding go,
//! and the benchmark's needs are open and unclaimed again. Every run starts alike.

use std::path::Path;

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement, TransactionTrait};

use crate::seed::BENCH_DESCRIPTION;

/// The tables a run adds rows to, in an order that deletes rows pointing at claims first.
const TABLES: [&str; 3] = ["outbox", "audit_log", "claims"];

/// Records the largest id of each table now, for [`run`].
pub async fn remember(db: &DatabaseConnection, out: &Path) -> anyhow::Result<()> {
    let mut lines = String::new();
    for table in TABLES {
        let sql = format!("SELECT COALESCE(MAX(id), 0) FROM {table}");
        let row = db
            .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
            .await?
            .ok_or_else(|| anyhow::anyhow!("no row from MAX(id)"))?;
        let max: i64 = row.try_get_by_index(0)?;
        lines.push_str(&format!("{table} {max}\n"));
    }
    std::fs::write(out.join("baseline.txt"), lines)?;
    Ok(())
}

/// Puts the database back as it was right after seeding.
pub async fn run(db: &DatabaseConnection, out: &Path) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(out.join("baseline.txt"))?;
    let backend = db.get_database_backend();
    let mut sql = Vec::new();
    for line in text.lines() {
        let Some((table, max)) = line.split_once(' ') else {
            continue;
        };
        if !TABLES.contains(&table) {
            anyhow::bail!("unknown table {table} in baseline.txt");
        }
        let max: i64 = max.parse()?;
        sql.push(format!("DELETE FROM {table} WHERE id > {max}"));
    }
    sql.push("DELETE FROM idempotency_records".to_owned());
    sql.push(format!(
        "UPDATE needs SET claimed = 0, status = 'open', version = 0 \
         WHERE description = '{BENCH_DESCRIPTION}' AND (claimed > 0 OR status <> 'open')"
    ));
    let txn = db.begin().await?;
    for s in sql {
        txn.execute_raw(Statement::from_string(backend, s)).await?;
    }
    txn.commit().await?;
    Ok(())
}
