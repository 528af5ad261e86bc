//! Sealed private data bound to its row: `beneficiary_private.seal_version`.
//!
//! - `1`: sealed without associated data (every row written before this migration), so a
//!   blob copied onto another beneficiary's row would open there as if it were theirs.
//! - `2`: sealed with the beneficiary's id and the field set's version as associated data
//!   (XChaCha20-Poly1305 AAD); a blob moved to another row fails to open.
//!
//! The re-seal of version-1 rows is not done here: the key is derived from
//! `RELAY_SECRET_KEY`, which this crate never sees (migrations run from any tool and must
//! not need a secret). The application re-seals them right after migrating, at start-up and
//! in `charity-relay migrate` (`services::beneficiaries::reseal_unbound`), one row per short
//! transaction, idempotently.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("beneficiary_private")
                .add_column(integer("seal_version").default(1))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_beneficiary_private_seal_version")
                .table("beneficiary_private")
                .col("seal_version")
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_beneficiary_private_seal_version")
                .table("beneficiary_private")
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("beneficiary_private")
                .drop_column("seal_version")
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
