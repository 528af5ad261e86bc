//! The office's queue of possible duplicates: a beneficiary registered by one organization
//! whose phone or ID number (compared by keyed digest) matches one of another organization.
//! The registering worker is told nothing; the office sees the pair by codes and
//! organization names and resolves it: `same_person` (both organizations are asked to
//! coordinate) or `different` (dismissed).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk(from_col: &'static str, to_table: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from("possible_duplicates", from_col)
        .to(to_table, "id")
        .on_delete(ForeignKeyAction::Restrict)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("possible_duplicates")
                .col(big_pk_auto("id"))
                // The beneficiary just registered.
                .col(big_integer("beneficiary_id"))
                // The earlier one of another organization it matches.
                .col(big_integer("other_beneficiary_id"))
                .col(string("matched"))
                .col(string("status"))
                .col(timestamp_with_time_zone("created_at"))
                .col(big_integer_null("resolved_by"))
                .col(timestamp_with_time_zone_null("resolved_at"))
                .check(Expr::cust("matched IN ('phone','id_number','phone_and_id_number')"))
                .check(Expr::cust("status IN ('open','same_person','different')"))
                .check(Expr::cust("(status = 'open') = (resolved_at IS NULL)"))
                .check(Expr::cust("beneficiary_id <> other_beneficiary_id"))
                .foreign_key(&mut fk("beneficiary_id", "beneficiaries"))
                .foreign_key(&mut fk("other_beneficiary_id", "beneficiaries"))
                .foreign_key(&mut fk("resolved_by", "staff"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_possible_duplicates_pair")
                .table("possible_duplicates")
                .col("beneficiary_id")
                .col("other_beneficiary_id")
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_possible_duplicates_status")
                .table("possible_duplicates")
                .col("status")
                .col("id")
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("possible_duplicates").to_owned())
            .await?;
        Ok(())
    }
}
