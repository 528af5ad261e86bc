//! The `event_signups` table: a volunteer's place in one of an event's roles.

use sea_orm::entity::prelude::*;

use crate::domain::event::{SignupStatus, SignupVia};

/// One row of `event_signups`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "event_signups")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The event; unique with `volunteer_id`.
    pub event_id: i64,
    /// The role.
    pub role_id: i64,
    /// The volunteer.
    pub volunteer_id: i64,
    /// Confirmed, waitlisted or cancelled.
    pub status: SignupStatus,
    /// An email link, a shop in the bot, or the organizer.
    pub via: SignupVia,
    /// The waitlist's order: when the row last joined the role.
    pub queued_at: DateTimeUtc,
    /// When the row was created.
    pub created_at: DateTimeUtc,
    /// When the row last changed.
    pub updated_at: DateTimeUtc,
    /// When the organizer checked them in.
    pub checked_in_at: Option<DateTimeUtc>,
    /// Who checked them in.
    pub checked_in_by: Option<i64>,
    /// The hours row their attendance became.
    pub volunteer_hour_id: Option<i64>,
}

/// Foreign keys are declared in the migration.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
