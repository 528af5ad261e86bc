//! Referral (转介): one organization asks another to take a case over. `referrals` holds the
//! requests and their answers; `referral_needs` the open needs sent along; `case_custody`
//! the owners of each case over time (exactly one open segment a case), from which an
//! earlier owner's read-only window follows. Every existing case gets one open segment:
//! its organization since it was registered.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk(table: &'static str, from_col: &'static str, to_table: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, from_col)
        .to(to_table, "id")
        .on_delete(ForeignKeyAction::Restrict)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("referrals")
                .col(big_pk_auto("id"))
                .col(big_integer("beneficiary_id"))
                .col(big_integer("from_organization_id"))
                .col(big_integer("to_organization_id"))
                .col(string("service_area"))
                // Public words: the receiving organization reads them before it accepts.
                .col(text("reason"))
                // The person's consent to the transfer, as the sender recorded it.
                .col(timestamp_with_time_zone("consent_at"))
                .col(big_integer_null("created_by"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("due_at"))
                .col(string("status"))
                .col(string_null("decline_reason"))
                .col(text_null("decline_note"))
                .col(big_integer_null("answered_by"))
                .col(timestamp_with_time_zone_null("answered_at"))
                .col(timestamp_with_time_zone_null("reminded_at"))
                .col(timestamp_with_time_zone_null("flagged_at"))
                .check(Expr::cust("status IN ('pending','accepted','declined','withdrawn')"))
                .check(Expr::cust("(status = 'pending') = (answered_at IS NULL)"))
                .check(Expr::cust("(status = 'declined') = (decline_reason IS NOT NULL)"))
                .check(Expr::cust("from_organization_id <> to_organization_id"))
                .foreign_key(&mut fk("referrals", "beneficiary_id", "beneficiaries"))
                .foreign_key(&mut fk("referrals", "from_organization_id", "organizations"))
                .foreign_key(&mut fk("referrals", "to_organization_id", "organizations"))
                .foreign_key(&mut fk("referrals", "created_by", "staff"))
                .foreign_key(&mut fk("referrals", "answered_by", "staff"))
                .to_owned(),
        )
        .await?;
        let db = m.get_connection();
        // One referral of a case waits at a time: a second one while the first is unanswered
        // is refused by the database too, whatever two workers do at once.
        db.execute_unprepared(
            "CREATE UNIQUE INDEX ux_referrals_one_pending ON referrals (beneficiary_id) WHERE status = 'pending'",
        )
        .await?;
        for (name, cols) in [
            ("ix_referrals_to", "to_organization_id, status, id"),
            ("ix_referrals_from", "from_organization_id, status, id"),
            ("ix_referrals_beneficiary", "beneficiary_id, created_at"),
            ("ix_referrals_due", "status, due_at"),
        ] {
            db.execute_unprepared(&format!("CREATE INDEX {name} ON referrals ({cols})"))
                .await?;
        }

        m.create_table(
            Table::create()
                .table("referral_needs")
                .col(big_integer("referral_id"))
                .col(big_integer("need_id"))
                .primary_key(Index::create().col("referral_id").col("need_id"))
                .foreign_key(&mut fk("referral_needs", "referral_id", "referrals"))
                .foreign_key(&mut fk("referral_needs", "need_id", "needs"))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("case_custody")
                .col(big_pk_auto("id"))
                .col(big_integer("beneficiary_id"))
                .col(big_integer("organization_id"))
                .col(timestamp_with_time_zone("from_at"))
                .col(timestamp_with_time_zone_null("until_at"))
                // The accepted referral that began this segment, if one did.
                .col(big_integer_null("referral_id"))
                .check(Expr::cust("until_at IS NULL OR until_at >= from_at"))
                .foreign_key(&mut fk("case_custody", "beneficiary_id", "beneficiaries"))
                .foreign_key(&mut fk("case_custody", "organization_id", "organizations"))
                .foreign_key(&mut fk("case_custody", "referral_id", "referrals"))
                .to_owned(),
        )
        .await?;
        db.execute_unprepared(
            "CREATE UNIQUE INDEX ux_case_custody_open ON case_custody (beneficiary_id) WHERE until_at IS NULL",
        )
        .await?;
        db.execute_unprepared("CREATE INDEX ix_case_custody_case ON case_custody (beneficiary_id, from_at)")
            .await?;
        db.execute_unprepared(
            "INSERT INTO case_custody (beneficiary_id, organization_id, from_at) \
             SELECT id, organization_id, created_at FROM beneficiaries",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in ["case_custody", "referral_needs", "referrals"] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
