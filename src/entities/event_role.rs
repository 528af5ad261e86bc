//! The `event_roles` table: an event's volunteer roles and their slots.

use sea_orm::entity::prelude::*;

/// One row of `event_roles`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "event_roles")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The event.
    pub event_id: i64,
    /// What the volunteer does.
    pub name: String,
    /// How many people it takes; more go on the waitlist.
    pub slots: i32,
    /// Order on the page.
    pub position: i32,
}

/// Foreign keys are declared in the migration.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
