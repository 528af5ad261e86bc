//! Email delivery: what the outbox dispatcher needs beyond the core schema.
//!
//! - `hold_reason`: why a `held` row waits — `consent` (its contact has not confirmed yet),
//!   `rate` (over the contact's hourly limit, waiting to be gathered into a digest) or
//!   `digest` (carried by the digest row `digest_id`, and settled with it).
//! - `counted_at`: when a row was admitted against its contact's hourly limit; the rolling
//!   window counts these, so a retried message is counted once.
//!
//! SQLite adds one column per `ALTER TABLE` and cannot add a foreign key to an existing
//! table, so `digest_id` is a plain column; the dispatcher writes it in one transaction
//! with the digest row it names.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            string_null("hold_reason"),
            big_integer_null("digest_id"),
            timestamp_with_time_zone_null("counted_at"),
        ] {
            m.alter_table(Table::alter().table("outbox").add_column(column).to_owned())
                .await?;
        }
        m.create_index(
            Index::create()
                .name("ix_outbox_contact_counted")
                .table("outbox")
                .col("contact_id")
                .col("counted_at")
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_outbox_digest")
                .table("outbox")
                .col("digest_id")
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for index in ["ix_outbox_digest", "ix_outbox_contact_counted"] {
            m.drop_index(Index::drop().name(index).table("outbox").to_owned())
                .await?;
        }
        for column in ["counted_at", "digest_id", "hold_reason"] {
            m.alter_table(Table::alter().table("outbox").drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}
