//! The `events` table: claiming events, charity markets, open days and camps an organization runs.

use sea_orm::entity::prelude::*;

use crate::domain::event::{EventKind, EventStatus};

/// One row of `events`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "events")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The organization that runs it, records attendance and certifies the hours.
    pub organization_id: i64,
    /// The organization's subdistrict, whose office and merchants see the event.
    pub subdistrict_id: i64,
    /// What kind of event.
    pub kind: EventKind,
    /// Title (public).
    pub title: String,
    /// What happens there (public).
    pub description: String,
    /// Start.
    pub starts_at: DateTimeUtc,
    /// End.
    pub ends_at: DateTimeUtc,
    /// The drop-off point it is held at, if it is held at one.
    pub drop_off_point_id: Option<i64>,
    /// The public place in Chinese as it was when the event was set up (rows written before
    /// `community_id` and `place_detail` existed are shown from it).
    pub place: String,
    /// The community whose centre (党群服务中心) it is held at, if it is held at one.
    pub community_id: Option<i64>,
    /// The room or floor within the place, as typed (public text).
    pub place_detail: String,
    /// Scheduled, cancelled, or hours recorded.
    pub status: EventStatus,
    /// The staff account that created it (the organization's, or the office's).
    pub created_by: i64,
    /// When the row was created.
    pub created_at: DateTimeUtc,
    /// When the row last changed.
    pub updated_at: DateTimeUtc,
    /// When the organization's volunteers were last invited.
    pub invited_at: Option<DateTimeUtc>,
    /// When the day-before reminders were queued.
    pub reminded_at: Option<DateTimeUtc>,
    /// When attendance became confirmed hours.
    pub hours_recorded_at: Option<DateTimeUtc>,
    /// Who recorded them.
    pub hours_recorded_by: Option<i64>,
}

/// Foreign keys are declared in the migration; queries join by hand.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
