//! Admissions are renewed yearly (issue 17): `admitted_until` on organizations and merchants,
//! the last day the admission holds. NULL for a party admitted before this migration: its
//! admission then runs a year from when it was created (see `domain::admission`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: [&str; 2] = ["organizations", "merchants"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in TABLES {
            m.alter_table(
                Table::alter()
                    .table(table)
                    .add_column(date_null("admitted_until"))
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in TABLES {
            m.alter_table(Table::alter().table(table).drop_column("admitted_until").to_owned())
                .await?;
        }
        Ok(())
    }
}
