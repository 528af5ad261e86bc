//! The office outbox shows applicants' messages (issue 17): mail to an organization that
//! applied and bot messages to a shop that applied are about no organization, contact or
//! merchant of a subdistrict yet, so no office saw them. Each such row now names the
//! subdistrict whose office reviews the application (`NULL` for every other row, placed as
//! before by its merchant, contact or staff recipient). Rows queued before this are placed
//! by their application, found through the dedupe key (`application:{id}:…`,
//! `merchant-application:{id}:…`).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        db.execute_unprepared("ALTER TABLE outbox ADD COLUMN subdistrict_id BIGINT REFERENCES subdistricts (id)")
            .await?;
        db.execute_unprepared(
            "UPDATE outbox SET subdistrict_id = (
               SELECT a.subdistrict_id FROM organization_applications a
               WHERE outbox.dedupe_key LIKE 'application:' || CAST(a.id AS VARCHAR(20)) || ':%')
             WHERE outbox.dedupe_key LIKE 'application:%'",
        )
        .await?;
        db.execute_unprepared(
            "UPDATE outbox SET subdistrict_id = (
               SELECT a.subdistrict_id FROM merchant_applications a
               WHERE outbox.dedupe_key LIKE 'merchant-application:' || CAST(a.id AS VARCHAR(20)) || ':%')
             WHERE outbox.dedupe_key LIKE 'merchant-application:%'",
        )
        .await?;
        db.execute_unprepared("CREATE INDEX ix_outbox_subdistrict ON outbox (subdistrict_id)")
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection()
            .execute_unprepared("DROP INDEX ix_outbox_subdistrict")
            .await?;
        m.alter_table(Table::alter().table("outbox").drop_column("subdistrict_id").to_owned())
            .await?;
        Ok(())
    }
}
