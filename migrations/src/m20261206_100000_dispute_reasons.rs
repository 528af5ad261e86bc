//! Disputes keep their words: `claims.dispute_reason` (why the social worker disputed the
//! delivery) and `claims.dispute_answer` (the merchant's note when it says it delivered
//! again). Both are public text that passed the identity guard; the merchant, the worker and
//! the office read them, and they are cleared by nothing but the next dispute.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column an ALTER.
        for column in ["dispute_reason", "dispute_answer"] {
            m.alter_table(Table::alter().table("claims").add_column(text_null(column)).to_owned())
                .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for column in ["dispute_answer", "dispute_reason"] {
            m.alter_table(Table::alter().table("claims").drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}
