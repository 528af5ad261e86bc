//! The `event_needs` table: the needs an event gathers (a need at one event at a time).

use sea_orm::entity::prelude::*;

/// One row of `event_needs`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "event_needs")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The event.
    pub event_id: i64,
    /// The need; unique.
    pub need_id: i64,
    /// When it was attached.
    pub created_at: DateTimeUtc,
}

/// Foreign keys are declared in the migration.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
