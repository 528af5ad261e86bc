//! WeChat's pushes (issue 19, the intake): each message or event stored before it is
//! acknowledged, once (unique on its dedupe key: the `MsgId`, or the sender and creation time
//! of an event), with the lease columns of `telegram_updates` so that the handler to come
//! handles each exactly once.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("wechat_inbox")
                .col(big_pk_auto("id"))
                // `msg:<MsgId>` or `at:<openid>:<CreateTime>`: a redelivery has the same key.
                .col(string("dedupe_key"))
                // The sender's openid (the account's own id of the user, not a person's name).
                .col(string("open_id"))
                // `text`, `event`, or WeChat's other MsgType.
                .col(string("kind"))
                // The message as read (JSON of `wechat::xml::Inbound`), never the raw XML.
                .col(text("payload"))
                .col(string("status"))
                .col(integer("attempts"))
                .col(timestamp_with_time_zone("received_at"))
                .col(timestamp_with_time_zone_null("handled_at"))
                .col(text_null("last_error"))
                .col(timestamp_with_time_zone_null("locked_until"))
                .check(Expr::cust("status IN ('pending','handled','failed')"))
                .check(Expr::cust("attempts >= 0"))
                .to_owned(),
        )
        .await?;
        let db = m.get_connection();
        db.execute_unprepared("CREATE UNIQUE INDEX ux_wechat_inbox_dedupe ON wechat_inbox (dedupe_key)")
            .await?;
        db.execute_unprepared("CREATE INDEX ix_wechat_inbox_status ON wechat_inbox (status, received_at)")
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("wechat_inbox").to_owned()).await
    }
}
