//! The resource library's two ways to reach one merchant (issue 17): a **directed request**
//! (`directed_requests`: a social worker or the office asks one merchant about one need, once)
//! and a claim the office **recorded on behalf of** a merchant who phoned in
//! (`claims.recorded_by`, the office account that typed it).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk(table: &'static str, from_col: &'static str, to_table: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, from_col)
        .to(to_table, "id")
        .on_delete(ForeignKeyAction::Restrict)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("directed_requests")
                .col(big_pk_auto("id"))
                .col(big_integer("need_id"))
                .col(big_integer("merchant_id"))
                // The offer it was picked from, when it was picked from one.
                .col(big_integer_null("offer_id"))
                .col(big_integer_null("asked_by"))
                .col(timestamp_with_time_zone("created_at"))
                // The merchant said no (a later "not for us" button); a claim answers by itself.
                .col(timestamp_with_time_zone_null("declined_at"))
                .foreign_key(&mut fk("directed_requests", "need_id", "needs"))
                .foreign_key(&mut fk("directed_requests", "merchant_id", "merchants"))
                .foreign_key(&mut fk("directed_requests", "offer_id", "offers"))
                .foreign_key(&mut fk("directed_requests", "asked_by", "staff"))
                .to_owned(),
        )
        .await?;
        let db = m.get_connection();
        // One request a need and merchant, whoever asks twice at once.
        db.execute_unprepared("CREATE UNIQUE INDEX ux_directed_requests ON directed_requests (need_id, merchant_id)")
            .await?;
        db.execute_unprepared(
            "CREATE INDEX ix_directed_requests_merchant ON directed_requests (merchant_id, created_at)",
        )
        .await?;
        db.execute_unprepared("ALTER TABLE claims ADD COLUMN recorded_by BIGINT REFERENCES staff (id)")
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("directed_requests").to_owned())
            .await?;
        m.alter_table(Table::alter().table("claims").drop_column("recorded_by").to_owned())
            .await
    }
}
