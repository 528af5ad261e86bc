//! Certificates (issue 18): volunteer-hour certificates issued by the organization that confirmed
//! the hours, caring-merchant certificates issued by the subdistrict office, and a shop's choice
//! to appear on the roll of honour (`merchants.honour_roll`, off until the shop opts in).

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
                .table("certificates")
                .col(big_pk_auto("id"))
                .col(string("number"))
                .col(string("kind").check(Expr::cust("kind IN ('volunteer_hours', 'caring_merchant')")))
                // The issuer: an organization for volunteer hours, the office for a merchant.
                .col(big_integer_null("organization_id"))
                .col(big_integer_null("subdistrict_id"))
                .col(big_integer_null("volunteer_id"))
                .col(big_integer_null("merchant_id"))
                // What is printed, kept as it was on the day of issue so that a copy reads the same.
                .col(string("holder_name"))
                .col(string("holder_number"))
                .col(string("issuer_name"))
                .col(string("handler_name"))
                .col(string("contact"))
                .col(big_integer("tenths"))
                .col(big_integer("deliveries"))
                .col(date("period_start"))
                .col(date("period_end"))
                .col(text("activities"))
                .col(string("locale"))
                .col(timestamp_with_time_zone("issued_at"))
                .col(big_integer_null("issued_by"))
                .col(timestamp_with_time_zone_null("revoked_at"))
                .col(big_integer_null("revoked_by"))
                .col(text_null("revoke_reason"))
                .foreign_key(&mut fk("certificates", "organization_id", "organizations"))
                .foreign_key(&mut fk("certificates", "subdistrict_id", "subdistricts"))
                .foreign_key(&mut fk("certificates", "volunteer_id", "volunteers"))
                .foreign_key(&mut fk("certificates", "merchant_id", "merchants"))
                .foreign_key(&mut fk("certificates", "issued_by", "staff"))
                .foreign_key(&mut fk("certificates", "revoked_by", "staff"))
                .to_owned(),
        )
        .await?;
        let db = m.get_connection();
        db.execute_unprepared("CREATE UNIQUE INDEX ux_certificates_number ON certificates (number)")
            .await?;
        db.execute_unprepared("CREATE INDEX ix_certificates_volunteer ON certificates (volunteer_id, period_start)")
            .await?;
        db.execute_unprepared("CREATE INDEX ix_certificates_merchant ON certificates (merchant_id, period_start)")
            .await?;
        m.alter_table(
            Table::alter()
                .table("merchants")
                .add_column(boolean("honour_roll").default(false))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("merchants").drop_column("honour_roll").to_owned())
            .await?;
        m.drop_table(Table::drop().table("certificates").to_owned()).await
    }
}
