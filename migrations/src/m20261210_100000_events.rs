//! Events (issue 18): the on-site claiming event, charity markets, open days and camps an
//! organization runs (the office may set one up for an organization of its subdistrict),
//! their volunteer roles with slots, the needs they gather, and who signed up for which
//! role — confirmed, waitlisted or cancelled, checked in at the event, and the volunteer-hour
//! row their attendance became. A volunteer may be a shop's staff member signed up from the
//! bot (`volunteers.merchant_id`).

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
                .table("events")
                .col(big_pk_auto("id"))
                // The organization that runs it, records the attendance and certifies the hours.
                .col(big_integer("organization_id"))
                .col(big_integer("subdistrict_id"))
                .col(string_len("kind", 20))
                .col(string_len("title", 120))
                .col(text("description"))
                .col(timestamp_with_time_zone("starts_at"))
                .col(timestamp_with_time_zone("ends_at"))
                // A public place: one of the organization's drop-off points, or a community centre
                // named in `place`.
                .col(big_integer_null("drop_off_point_id"))
                .col(string_len("place", 200))
                .col(string_len("status", 20))
                .col(big_integer("created_by"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .col(timestamp_with_time_zone_null("invited_at"))
                .col(timestamp_with_time_zone_null("reminded_at"))
                .col(timestamp_with_time_zone_null("hours_recorded_at"))
                .col(big_integer_null("hours_recorded_by"))
                .foreign_key(&mut fk("events", "organization_id", "organizations"))
                .foreign_key(&mut fk("events", "subdistrict_id", "subdistricts"))
                .foreign_key(&mut fk("events", "drop_off_point_id", "drop_off_points"))
                .foreign_key(&mut fk("events", "created_by", "staff"))
                .foreign_key(&mut fk("events", "hours_recorded_by", "staff"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("event_roles")
                .col(big_pk_auto("id"))
                .col(big_integer("event_id"))
                .col(string_len("name", 60))
                .col(integer("slots"))
                .col(integer("position"))
                .foreign_key(&mut fk("event_roles", "event_id", "events"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("event_needs")
                .col(big_pk_auto("id"))
                .col(big_integer("event_id"))
                .col(big_integer("need_id"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("event_needs", "event_id", "events"))
                .foreign_key(&mut fk("event_needs", "need_id", "needs"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("event_signups")
                .col(big_pk_auto("id"))
                .col(big_integer("event_id"))
                .col(big_integer("role_id"))
                .col(big_integer("volunteer_id"))
                .col(string_len("status", 20))
                // How they came: an email link, a shop in the bot, or the organizer.
                .col(string_len("via", 20))
                // The waitlist's order: when the row last became waitlisted.
                .col(timestamp_with_time_zone("queued_at"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .col(timestamp_with_time_zone_null("checked_in_at"))
                .col(big_integer_null("checked_in_by"))
                .col(big_integer_null("volunteer_hour_id"))
                .foreign_key(&mut fk("event_signups", "event_id", "events"))
                .foreign_key(&mut fk("event_signups", "role_id", "event_roles"))
                .foreign_key(&mut fk("event_signups", "volunteer_id", "volunteers"))
                .foreign_key(&mut fk("event_signups", "checked_in_by", "staff"))
                .foreign_key(&mut fk("event_signups", "volunteer_hour_id", "volunteer_hours"))
                .to_owned(),
        )
        .await?;
        let db = m.get_connection();
        for sql in [
            "CREATE INDEX ix_events_subdistrict ON events (subdistrict_id, starts_at)",
            "CREATE INDEX ix_events_organization ON events (organization_id, starts_at)",
            "CREATE INDEX ix_event_roles_event ON event_roles (event_id, position)",
            // A need gathers at one event at a time.
            "CREATE UNIQUE INDEX ux_event_needs_need ON event_needs (need_id)",
            "CREATE INDEX ix_event_needs_event ON event_needs (event_id)",
            // One sign-up a volunteer and event, whatever the role: a second tap changes it.
            "CREATE UNIQUE INDEX ux_event_signups ON event_signups (event_id, volunteer_id)",
            "CREATE INDEX ix_event_signups_role ON event_signups (role_id, status, queued_at)",
            "ALTER TABLE volunteers ADD COLUMN merchant_id BIGINT REFERENCES merchants (id)",
            "CREATE INDEX ix_volunteers_merchant ON volunteers (merchant_id)",
        ] {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        db.execute_unprepared("DROP INDEX ix_volunteers_merchant").await?;
        m.alter_table(Table::alter().table("volunteers").drop_column("merchant_id").to_owned())
            .await?;
        for table in ["event_signups", "event_needs", "event_roles", "events"] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
