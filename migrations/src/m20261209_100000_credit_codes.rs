//! Credit codes (issue 17), after review:
//! - A merchant holds the credit code it was admitted under, unique: a shop that lost credit
//!   or was suspended cannot apply again under the same code and start afresh. Filled from
//!   approved applications; a code approved twice before this stays with the first
//!   merchant, and a merchant made on the command line has none.
//! - Organizations' applications under review may share a code: one typed by someone else
//!   first no longer blocks the real organization's. The office sees both side by side,
//!   and the unique code of `organizations` still admits only one.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("merchants")
                .add_column(string_null("credit_code"))
                .to_owned(),
        )
        .await?;
        m.get_connection()
            .execute_unprepared(
                "UPDATE merchants SET credit_code = (
                   SELECT a.credit_code FROM merchant_applications a
                   WHERE a.merchant_id = merchants.id AND a.status = 'approved'
                     AND a.merchant_id = (SELECT MIN(b.merchant_id) FROM merchant_applications b
                                          WHERE b.credit_code = a.credit_code AND b.status = 'approved')
                   ORDER BY a.id LIMIT 1)",
            )
            .await?;
        m.get_connection()
            .execute_unprepared("CREATE UNIQUE INDEX ux_merchants_credit_code ON merchants (credit_code)")
            .await?;
        let db = m.get_connection();
        db.execute_unprepared("DROP INDEX ux_org_applications_open_code")
            .await?;
        db.execute_unprepared("CREATE INDEX ix_org_applications_open_code ON organization_applications (open_code)")
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        db.execute_unprepared("DROP INDEX ix_org_applications_open_code")
            .await?;
        db.execute_unprepared(
            "CREATE UNIQUE INDEX ux_org_applications_open_code ON organization_applications (open_code)",
        )
        .await?;
        m.get_connection()
            .execute_unprepared("DROP INDEX ux_merchants_credit_code")
            .await?;
        m.alter_table(Table::alter().table("merchants").drop_column("credit_code").to_owned())
            .await?;
        Ok(())
    }
}
