//! The audit log's hash chain: `chain_hash` is written by the background sealer shortly
//! after a row commits (never by the transaction that writes the row), `sealed_at` when.
//! Rows written before this migration are sealed like any other, oldest first. The sealer
//! finds the last sealed row by walking the primary key down from the newest: only the
//! last few seconds' rows are ever unsealed, so no index is needed.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for column in [string_null("chain_hash"), timestamp_with_time_zone_null("sealed_at")] {
            m.alter_table(Table::alter().table("audit_log").add_column(column).to_owned())
                .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for column in ["sealed_at", "chain_hash"] {
            m.alter_table(Table::alter().table("audit_log").drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}
