//! Wrong handoff codes counted per claim: `claims.handoff_failures`. After five wrong codes
//! the claim is confirmed only by the office (which may also reset the count); the count is
//! raised by one conditional `UPDATE`, never read-then-written.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("claims")
                .add_column(integer("handoff_failures").default(0))
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("claims")
                .drop_column("handoff_failures")
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
