//! Visit intervals and relief programmes belong to a subdistrict (issue 17's scope): each
//! office sets its own, the district's stay the default.
//! - `relief_programmes.subdistrict_id`: the subdistrict whose office added the programme;
//!   NULL for the built-in ones every subdistrict names. A programme an office added before
//!   this migration goes to its author's subdistrict.
//! - `subdistrict_visit_intervals`: an office's days between visits for one group, over the
//!   district's default in `visit_intervals` (which only the process itself, the CLI, sets).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        // Nullable, with no default: SQLite cannot add a referencing column otherwise.
        db.execute_unprepared(
            "ALTER TABLE relief_programmes ADD COLUMN subdistrict_id BIGINT REFERENCES subdistricts (id)",
        )
        .await?;
        db.execute_unprepared("CREATE INDEX ix_relief_programmes_subdistrict ON relief_programmes (subdistrict_id)")
            .await?;
        db.execute_unprepared(
            "UPDATE relief_programmes SET subdistrict_id = \
             (SELECT s.subdistrict_id FROM staff s WHERE s.id = relief_programmes.created_by) \
             WHERE created_by IS NOT NULL",
        )
        .await?;
        m.create_table(
            Table::create()
                .table("subdistrict_visit_intervals")
                .col(big_integer("subdistrict_id"))
                .col(string("beneficiary_group"))
                .col(integer("days"))
                .col(big_integer_null("updated_by"))
                .col(timestamp_with_time_zone("updated_at"))
                .primary_key(Index::create().col("subdistrict_id").col("beneficiary_group"))
                .check(Expr::cust("days BETWEEN 1 AND 365"))
                .foreign_key(
                    ForeignKey::create()
                        .from("subdistrict_visit_intervals", "subdistrict_id")
                        .to("subdistricts", "id")
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from("subdistrict_visit_intervals", "updated_by")
                        .to("staff", "id")
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("subdistrict_visit_intervals").to_owned())
            .await?;
        let db = m.get_connection();
        db.execute_unprepared("DROP INDEX ix_relief_programmes_subdistrict")
            .await?;
        // SQLite cannot drop a column that references another table: there it stays, unread.
        if m.get_database_backend() == sea_orm_migration::sea_orm::DbBackend::Postgres {
            db.execute_unprepared("ALTER TABLE relief_programmes DROP COLUMN subdistrict_id")
                .await?;
        }
        Ok(())
    }
}
