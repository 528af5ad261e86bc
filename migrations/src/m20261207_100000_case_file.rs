//! The case file on `beneficiaries`: its status (`active` or `closed` with a reason, and
//! when), when its personal data was erased, and the person's consent to data processing
//! (when, the wording's version, the staff member who recorded it). Rows that exist are
//! active cases with no consent recorded yet.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLE: &str = "beneficiaries";

fn columns() -> Vec<ColumnDef> {
    vec![
        string("case_status").default("active").to_owned(),
        text_null("closed_reason"),
        timestamp_with_time_zone_null("closed_at"),
        timestamp_with_time_zone_null("erased_at"),
        timestamp_with_time_zone_null("consent_at"),
        text_null("consent_version"),
        big_integer_null("consent_recorded_by"),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column an ALTER.
        for mut column in columns() {
            m.alter_table(Table::alter().table(TABLE).add_column(&mut column).to_owned())
                .await?;
        }
        // The erasure job looks for closed cases by when they closed.
        m.create_index(
            Index::create()
                .name("idx_beneficiaries_case_closed")
                .table(TABLE)
                .col("case_status")
                .col("closed_at")
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("idx_beneficiaries_case_closed")
                .table(TABLE)
                .to_owned(),
        )
        .await?;
        for column in [
            "consent_recorded_by",
            "consent_version",
            "consent_at",
            "erased_at",
            "closed_at",
            "closed_reason",
            "case_status",
        ] {
            m.alter_table(Table::alter().table(TABLE).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}
