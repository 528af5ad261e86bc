//! The relief ledger and visits (issue 16):
//! - `relief_programmes`: the programmes a hand entry names (低保, 特困供养, …), seeded with the
//!   built-in ones; the office adds more.
//! - `ledger_entries`: support from outside the platform recorded by hand, in fen. Deliveries of the
//!   relay are not copied here: the ledger derives them from confirmed claims.
//! - `visits`: a social worker's visit; `notes_sealed` is nonce || AEAD ciphertext bound to the row.
//! - `visit_intervals`: days between visits per beneficiary group, set by the office.

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

/// The built-in programmes: (code, Chinese, English).
const PROGRAMMES: [(&str, &str, &str); 6] = [
    ("dibao", "低保", "Subsistence allowance (dibao)"),
    ("tekun", "特困供养", "Support for the extremely poor"),
    ("linshi", "临时救助", "Temporary assistance"),
    ("yiliao", "医疗救助", "Medical assistance"),
    ("canji", "残疾人补贴", "Disability allowance"),
    ("other", "其他", "Other"),
];

/// The groups and their default days between visits (the elderly living alone monthly).
const INTERVALS: [(&str, i32); 6] = [
    ("elderly_alone", 30),
    ("child_in_hardship", 90),
    ("disabled", 90),
    ("low_income_family", 90),
    ("migrant_child", 90),
    ("other", 90),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("relief_programmes")
                .col(big_pk_auto("id"))
                .col(string_uniq("code"))
                .col(string("name"))
                .col(string("name_en"))
                .col(big_integer_null("created_by"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("relief_programmes", "created_by", "staff"))
                .to_owned(),
        )
        .await?;
        for (code, name, name_en) in PROGRAMMES {
            m.exec_stmt(
                Query::insert()
                    .into_table("relief_programmes")
                    .columns(["code", "name", "name_en", "created_at"])
                    .values_panic([code.into(), name.into(), name_en.into(), Expr::current_timestamp()])
                    .to_owned(),
            )
            .await?;
        }
        m.create_table(
            Table::create()
                .table("ledger_entries")
                .col(big_pk_auto("id"))
                .col(big_integer("beneficiary_id"))
                // The organization that recorded it (the case's owner then).
                .col(big_integer("organization_id"))
                .col(string("kind"))
                .col(string("regularity"))
                .col(string("form"))
                .col(big_integer("programme_id"))
                .col(big_integer("amount_fen"))
                .col(date("period_from"))
                .col(date("period_to"))
                .col(text("description"))
                // A social worker, or an API token (government systems import this way).
                .col(big_integer_null("recorded_by"))
                .col(big_integer_null("recorded_by_token"))
                .col(timestamp_with_time_zone("created_at"))
                .check(Expr::cust("kind IN ('government','social')"))
                .check(Expr::cust("regularity IN ('regular','temporary')"))
                .check(Expr::cust("form IN ('material','service','money')"))
                .check(Expr::cust("amount_fen > 0"))
                .check(Expr::cust("period_to >= period_from"))
                .foreign_key(&mut fk("ledger_entries", "beneficiary_id", "beneficiaries"))
                .foreign_key(&mut fk("ledger_entries", "organization_id", "organizations"))
                .foreign_key(&mut fk("ledger_entries", "programme_id", "relief_programmes"))
                .foreign_key(&mut fk("ledger_entries", "recorded_by", "staff"))
                .foreign_key(&mut fk("ledger_entries", "recorded_by_token", "api_tokens"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_ledger_entries_beneficiary")
                .table("ledger_entries")
                .col("beneficiary_id")
                .col("period_from")
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("visits")
                .col(big_pk_auto("id"))
                .col(big_integer("beneficiary_id"))
                .col(big_integer("organization_id"))
                .col(date("visited_on"))
                .col(string("mode"))
                .col(string("visitors"))
                .col(blob("notes_sealed"))
                .col(string("needs_found"))
                .col(big_integer("recorded_by"))
                .col(timestamp_with_time_zone("created_at"))
                .check(Expr::cust("mode IN ('home','phone','station')"))
                .foreign_key(&mut fk("visits", "beneficiary_id", "beneficiaries"))
                .foreign_key(&mut fk("visits", "organization_id", "organizations"))
                .foreign_key(&mut fk("visits", "recorded_by", "staff"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_visits_beneficiary")
                .table("visits")
                .col("beneficiary_id")
                .col("visited_on")
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("visit_intervals")
                .col(string("beneficiary_group").primary_key())
                .col(integer("days"))
                .col(timestamp_with_time_zone("updated_at"))
                .check(Expr::cust("days BETWEEN 1 AND 365"))
                .to_owned(),
        )
        .await?;
        for (group, days) in INTERVALS {
            m.exec_stmt(
                Query::insert()
                    .into_table("visit_intervals")
                    .columns(["beneficiary_group", "days", "updated_at"])
                    .values_panic([group.into(), days.into(), Expr::current_timestamp()])
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in ["visit_intervals", "visits", "ledger_entries", "relief_programmes"] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
