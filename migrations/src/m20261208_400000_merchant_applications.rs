//! Merchants apply in the bot (issue 17): `merchant_applications` holds what a shop typed in
//! `/join` — its name, category, community, credit code, business phone and what it can
//! offer — with the chat it came from, and the office's review (submitted → more info asked
//! → submitted again → approved or rejected, with a reason and the reviewer). The
//! subdistrict is the community's, so only that office reviews it.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("merchant_applications")
                .col(big_pk_auto("id"))
                .col(big_integer("chat_id"))
                .col(string("locale"))
                .col(string("shop_name"))
                .col(string("category"))
                .col(big_integer("community_id"))
                .col(big_integer("subdistrict_id"))
                // Business data of the shop, never a beneficiary's; still never logged.
                .col(string("credit_code"))
                .col(string("phone"))
                .col(text("offer"))
                .col(string("status"))
                // The office's message (more info) or reason (rejection).
                .col(text_null("reason"))
                .col(big_integer_null("reviewed_by"))
                .col(big_integer_null("merchant_id"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .col(timestamp_with_time_zone_null("reviewed_at"))
                .check(Expr::cust("status IN ('submitted','more_info','approved','rejected')"))
                .foreign_key(
                    ForeignKey::create()
                        .from("merchant_applications", "community_id")
                        .to("communities", "id")
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from("merchant_applications", "subdistrict_id")
                        .to("subdistricts", "id")
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from("merchant_applications", "reviewed_by")
                        .to("staff", "id")
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from("merchant_applications", "merchant_id")
                        .to("merchants", "id")
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .to_owned(),
        )
        .await?;
        let db = m.get_connection();
        db.execute_unprepared(
            "CREATE INDEX ix_merchant_applications_subdistrict ON merchant_applications (subdistrict_id, status)",
        )
        .await?;
        // One open application (submitted or more info asked) per chat.
        db.execute_unprepared(
            "CREATE UNIQUE INDEX ux_merchant_applications_open_chat ON merchant_applications (chat_id) \
             WHERE status IN ('submitted','more_info')",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("merchant_applications").to_owned())
            .await
    }
}
