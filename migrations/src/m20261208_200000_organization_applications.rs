//! Admission by application (准入, issue 17): an organization applies on a public page, proves
//! its contact email by a link, and the office of the subdistrict its communities belong to
//! approves, asks for more or rejects. Approval makes the organization (which now keeps its
//! unified social credit code, unique) and its first staff account, whose holder sets a
//! password from a one-time link (`password_links`).
//!
//! Tokens are stored as SHA-256 digests only. `open_code` holds the credit code while an
//! application is under review (submitted or waiting for more information) and is NULL
//! otherwise, so that a unique index refuses a second open application for one code on
//! both databases (NULLs never collide).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        db.execute_unprepared("ALTER TABLE organizations ADD COLUMN credit_code VARCHAR(18)")
            .await?;
        db.execute_unprepared("CREATE UNIQUE INDEX ux_organizations_credit_code ON organizations (credit_code)")
            .await?;
        m.create_table(
            Table::create()
                .table("organization_applications")
                .col(big_pk_auto("id"))
                .col(string("name"))
                .col(string("credit_code"))
                .col(string("registration_kind"))
                .col(string("declared_kind"))
                .col(string("contact_name"))
                .col(string("contact_email"))
                .col(string("locale"))
                .col(string("service_areas"))
                .col(string("community_ids"))
                .col(text("description"))
                .col(big_integer("subdistrict_id"))
                .col(string("status"))
                .col(string_null("open_code"))
                .col(text_null("office_message"))
                .col(string_null("verify_digest"))
                .col(timestamp_with_time_zone_null("verify_expires_at"))
                .col(string_null("edit_digest"))
                .col(timestamp_with_time_zone_null("edit_expires_at"))
                .col(big_integer_null("organization_id"))
                .col(big_integer_null("staff_id"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .col(timestamp_with_time_zone_null("verified_at"))
                .col(timestamp_with_time_zone_null("decided_at"))
                .col(big_integer_null("decided_by"))
                .check(Expr::cust(
                    "status IN ('unverified','submitted','more_info','approved','rejected')",
                ))
                .check(Expr::cust("locale IN ('zh-CN','en')"))
                .foreign_key(
                    ForeignKey::create()
                        .from("organization_applications", "subdistrict_id")
                        .to("subdistricts", "id")
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from("organization_applications", "organization_id")
                        .to("organizations", "id")
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .to_owned(),
        )
        .await?;
        for sql in [
            "CREATE UNIQUE INDEX ux_org_applications_open_code ON organization_applications (open_code)",
            "CREATE UNIQUE INDEX ux_org_applications_verify ON organization_applications (verify_digest)",
            "CREATE UNIQUE INDEX ux_org_applications_edit ON organization_applications (edit_digest)",
            "CREATE INDEX ix_org_applications_queue ON organization_applications (subdistrict_id, status)",
            "CREATE INDEX ix_org_applications_code ON organization_applications (credit_code)",
        ] {
            db.execute_unprepared(sql).await?;
        }
        m.create_table(
            Table::create()
                .table("password_links")
                .col(big_integer("staff_id").primary_key())
                .col(string_null("token_digest"))
                .col(timestamp_with_time_zone_null("expires_at"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(
                    ForeignKey::create()
                        .from("password_links", "staff_id")
                        .to("staff", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        db.execute_unprepared("CREATE UNIQUE INDEX ux_password_links_token ON password_links (token_digest)")
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("password_links").to_owned()).await?;
        m.drop_table(Table::drop().table("organization_applications").to_owned())
            .await?;
        let db = m.get_connection();
        db.execute_unprepared("DROP INDEX ux_organizations_credit_code").await?;
        db.execute_unprepared("ALTER TABLE organizations DROP COLUMN credit_code")
            .await?;
        Ok(())
    }
}
