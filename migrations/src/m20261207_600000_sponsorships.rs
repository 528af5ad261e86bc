//! One-on-one sponsorship (一对一): a merchant sponsors every period of a recurring need.
//! `sponsorships` holds who sponsors which series (one active sponsorship a series, by a
//! partial unique index) and how it ended. A need just posted for a sponsored series is
//! first offered to its sponsor: `needs.offered_to` and `needs.offer_until` keep it out of
//! the pool until the sponsor answers or the window closes.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk(from_col: &'static str, to_table: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from("sponsorships", from_col)
        .to(to_table, "id")
        .on_delete(ForeignKeyAction::Restrict)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("sponsorships")
                .col(big_pk_auto("id"))
                // The series' first need.
                .col(big_integer("series_id"))
                .col(big_integer("beneficiary_id"))
                .col(big_integer("merchant_id"))
                // The claim it began with, and how much each period's claim takes.
                .col(big_integer("claim_id"))
                .col(integer("quantity"))
                .col(string("status"))
                .col(timestamp_with_time_zone("started_at"))
                .col(timestamp_with_time_zone_null("ended_at"))
                .col(string_null("end_reason"))
                .col(big_integer_null("ended_by"))
                .check(Expr::cust("status IN ('active','ended')"))
                .check(Expr::cust("(status = 'ended') = (ended_at IS NOT NULL)"))
                .check(Expr::cust("(status = 'ended') = (end_reason IS NOT NULL)"))
                .check(Expr::cust("quantity > 0"))
                .foreign_key(&mut fk("series_id", "needs"))
                .foreign_key(&mut fk("beneficiary_id", "beneficiaries"))
                .foreign_key(&mut fk("merchant_id", "merchants"))
                .foreign_key(&mut fk("claim_id", "claims"))
                .foreign_key(&mut fk("ended_by", "staff"))
                .to_owned(),
        )
        .await?;
        let db = m.get_connection();
        // One sponsor a series at a time, whatever two merchants tap at once.
        db.execute_unprepared(
            "CREATE UNIQUE INDEX ux_sponsorships_one_active ON sponsorships (series_id) WHERE status = 'active'",
        )
        .await?;
        for (name, cols) in [
            ("ix_sponsorships_merchant", "merchant_id, status"),
            ("ix_sponsorships_beneficiary", "beneficiary_id, status"),
        ] {
            db.execute_unprepared(&format!("CREATE INDEX {name} ON sponsorships ({cols})"))
                .await?;
        }
        // SQLite adds one column an ALTER.
        for mut column in [
            big_integer_null("offered_to"),
            timestamp_with_time_zone_null("offer_until"),
        ] {
            m.alter_table(Table::alter().table("needs").add_column(&mut column).to_owned())
                .await?;
        }
        db.execute_unprepared("CREATE INDEX ix_needs_offer_until ON needs (offer_until) WHERE offered_to IS NOT NULL")
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection()
            .execute_unprepared("DROP INDEX ix_needs_offer_until")
            .await?;
        for column in ["offer_until", "offered_to"] {
            m.alter_table(Table::alter().table("needs").drop_column(column).to_owned())
                .await?;
        }
        m.drop_table(Table::drop().table("sponsorships").to_owned()).await
    }
}
