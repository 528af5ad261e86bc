//! The Telegram bot's own state: per chat, the conversation step, the chosen language
//! before a merchant is linked, and the lock-out after wrong link codes; and a lease on
//! stored updates, so that several instances never handle the same update at once.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("bot_chats")
                .col(big_integer("chat_id").primary_key())
                .col(string_null("locale"))
                // The dialogue state as JSON, e.g. waiting for a typed quantity.
                .col(text_null("state"))
                // Wrong link codes in a row; five lock the chat out for an hour.
                .col(integer("failed_codes"))
                .col(timestamp_with_time_zone_null("locked_until"))
                .col(timestamp_with_time_zone("updated_at"))
                .check(Expr::cust("locale IS NULL OR locale IN ('zh-CN','en')"))
                .check(Expr::cust("failed_codes >= 0"))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("telegram_updates")
                .add_column(timestamp_with_time_zone_null("locked_until"))
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("telegram_updates")
                .drop_column("locked_until")
                .to_owned(),
        )
        .await?;
        m.drop_table(Table::drop().table("bot_chats").to_owned()).await
    }
}
