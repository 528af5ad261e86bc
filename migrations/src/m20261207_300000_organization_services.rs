//! The services each organization offers (its declared service areas), kept by the office:
//! a case is referred (转介) only to an organization whose areas cover the service sought.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("organization_services")
                .col(big_integer("organization_id"))
                .col(string("service_area"))
                .primary_key(Index::create().col("organization_id").col("service_area"))
                .check(Expr::cust(
                    "service_area IN ('elder_care','child_welfare','disability','mental_health','legal_aid',\
                     'employment','medical','housing','education','material')",
                ))
                .foreign_key(
                    ForeignKey::create()
                        .from("organization_services", "organization_id")
                        .to("organizations", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        // Finding who offers an area, for the referral form.
        m.create_index(
            Index::create()
                .name("ix_organization_services_area")
                .table("organization_services")
                .col("service_area")
                .col("organization_id")
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("organization_services").to_owned())
            .await?;
        Ok(())
    }
}
