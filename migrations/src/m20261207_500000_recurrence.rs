//! Recurring needs: each occurrence of a recurring need is a row of `needs` in one series.
//! `series_id` is the id of the series' first need, `period_index` counts from 1, and
//! `periods_total` is how many periods the series runs (null: until stopped; ending a series
//! sets it to the last index posted). One-off needs keep all three null. The unique index on
//! (series, period) makes creating the next occurrence idempotent whoever runs the job.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLE: &str = "needs";
const INDEX: &str = "ux_needs_series_period";

fn columns() -> Vec<ColumnDef> {
    vec![
        big_integer_null("series_id"),
        integer_null("period_index"),
        integer_null("periods_total"),
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
        m.create_index(
            Index::create()
                .name(INDEX)
                .table(TABLE)
                .col("series_id")
                .col("period_index")
                .unique()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name(INDEX).table(TABLE).to_owned()).await?;
        for column in ["periods_total", "period_index", "series_id"] {
            m.alter_table(Table::alter().table(TABLE).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}
