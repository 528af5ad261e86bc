//! The alert ladder: each merchant's notification settings, the ladder state of each need
//! (which rung it reached, when the next is due, whether the office was told it is
//! unclaimed and aging), and one row per alert chosen for a merchant (so that a merchant
//! hears of a need once, the daily cap can be counted and digests gathered).
//!
//! Also the indexes that let the bot pre-select a merchant's best-fitting open needs and
//! the ladder load recent claims per merchant without scanning whole tables.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk(from_table: &'static str, from_col: &'static str, to_table: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from_table, from_col)
        .to(to_table, "id")
        .on_delete(ForeignKeyAction::Restrict)
        .to_owned()
}

fn index(table: &'static str, name: &'static str, cols: &[&'static str]) -> IndexCreateStatement {
    let mut stmt = Index::create();
    stmt.name(name).table(table);
    for col in cols {
        stmt.col(*col);
    }
    stmt.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // A merchant without a row has the defaults (all categories and communities, five
        // alerts a day, quiet 22:00–08:00, instant, urgent needs not special).
        m.create_table(
            Table::create()
                .table("merchant_alert_settings")
                .col(big_integer("merchant_id").primary_key())
                // Category codes separated by commas; empty means every category.
                .col(text("categories"))
                // Community ids separated by commas; empty means every community.
                .col(text("communities"))
                .col(integer("daily_cap"))
                // Minutes after local midnight (UTC+8); both NULL means no quiet hours.
                .col(integer_null("quiet_start"))
                .col(integer_null("quiet_end"))
                .col(string("mode"))
                .col(boolean("urgent_always"))
                .col(timestamp_with_time_zone("updated_at"))
                .check(Expr::cust("daily_cap BETWEEN 1 AND 50"))
                .check(Expr::cust("mode IN ('instant','digest')"))
                .check(Expr::cust(
                    "(quiet_start IS NULL AND quiet_end IS NULL) OR \
                     (quiet_start BETWEEN 0 AND 1439 AND quiet_end BETWEEN 0 AND 1439 AND quiet_start <> quiet_end)",
                ))
                .foreign_key(&mut fk("merchant_alert_settings", "merchant_id", "merchants"))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("need_ladders")
                .col(big_integer("need_id").primary_key())
                // Rungs sent so far.
                .col(integer("rung"))
                // When the next rung is due; NULL once the ladder has ended.
                .col(timestamp_with_time_zone_null("next_rung_at"))
                // When the office was told the need is unclaimed and aging, and why.
                .col(timestamp_with_time_zone_null("flagged_at"))
                .col(string_null("flag_reason"))
                .col(timestamp_with_time_zone("updated_at"))
                .check(Expr::cust("rung >= 0"))
                .check(Expr::cust(
                    "flag_reason IS NULL OR flag_reason IN ('ladder_exhausted','near_deadline')",
                ))
                .check(Expr::cust("(flagged_at IS NULL) = (flag_reason IS NULL)"))
                .foreign_key(&mut fk("need_ladders", "need_id", "needs"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("need_ladders", "ix_need_ladders_due", &["next_rung_at"]))
            .await?;
        m.create_index(index("need_ladders", "ix_need_ladders_flagged", &["flagged_at"]))
            .await?;

        m.create_table(
            Table::create()
                .table("need_alerts")
                .col(big_pk_auto("id"))
                .col(big_integer("need_id"))
                .col(big_integer("merchant_id"))
                .col(integer("rung"))
                .col(string("mode"))
                // When the merchant hears of it: now, the end of its quiet hours, or the
                // time of its digest.
                .col(timestamp_with_time_zone("deliver_at"))
                // False for urgent needs sent past the cap ("urgent needs always").
                .col(boolean("counts_to_cap"))
                // The digest that carried it, once gathered.
                .col(string_null("digest_key"))
                .col(timestamp_with_time_zone("created_at"))
                .check(Expr::cust("mode IN ('instant','digest')"))
                .check(Expr::cust("rung >= 1"))
                .foreign_key(&mut fk("need_alerts", "need_id", "needs"))
                .foreign_key(&mut fk("need_alerts", "merchant_id", "merchants"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            index(
                "need_alerts",
                "ux_need_alerts_need_merchant",
                &["need_id", "merchant_id"],
            )
            .unique()
            .to_owned(),
        )
        .await?;
        m.create_index(index(
            "need_alerts",
            "ix_need_alerts_merchant_deliver",
            &["merchant_id", "deliver_at"],
        ))
        .await?;
        m.create_index(index(
            "need_alerts",
            "ix_need_alerts_digest",
            &["mode", "digest_key", "deliver_at"],
        ))
        .await?;

        // Pre-selecting a merchant's needs: the oldest open needs of one urgency in a
        // category and community, in a community, in a category. The board's
        // (status, urgency, created_at) index serves the oldest of all.
        m.create_index(index(
            "needs",
            "ix_needs_open_fit",
            &["status", "category", "community_id", "urgency", "created_at"],
        ))
        .await?;
        m.create_index(index(
            "needs",
            "ix_needs_open_place",
            &["status", "community_id", "urgency", "created_at"],
        ))
        .await?;
        m.create_index(index(
            "needs",
            "ix_needs_open_category",
            &["status", "category", "urgency", "created_at"],
        ))
        .await?;
        // A merchant's load (claims in the last 30 days) and use of capacity this month.
        m.create_index(index(
            "claims",
            "ix_claims_merchant_created",
            &["merchant_id", "created_at"],
        ))
        .await?;

        // Needs still open when this ships start their ladder at the next run of the jobs.
        // Merchants alerted before are not alerted again: the outbox's dedupe key is the same.
        m.get_connection()
            .execute_unprepared(
                "INSERT INTO need_ladders (need_id, rung, next_rung_at, flagged_at, flag_reason, updated_at) \
                 SELECT id, 0, created_at, NULL, NULL, updated_at FROM needs \
                 WHERE status IN ('open','fully_claimed')",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_claims_merchant_created")
                .table("claims")
                .to_owned(),
        )
        .await?;
        for name in ["ix_needs_open_category", "ix_needs_open_place", "ix_needs_open_fit"] {
            m.drop_index(Index::drop().name(name).table("needs").to_owned()).await?;
        }
        for table in ["need_alerts", "need_ladders", "merchant_alert_settings"] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
