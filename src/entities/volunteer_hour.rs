//! The `volunteer_hours` table: hours a volunteer served, logged and confirmed by staff.

use sea_orm::entity::prelude::*;

/// One row of `volunteer_hours`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "volunteer_hours")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The volunteer who served.
    pub volunteer_id: i64,
    /// The need the service was for, if any.
    pub need_id: Option<i64>,
    /// What was done, as free text.
    pub activity: String,
    /// Time served in tenths of an hour, 1 to 240.
    pub tenths: i32,
    /// The day the service took place.
    pub served_on: Date,
    /// One of `logged`, `confirmed`, `rejected`.
    pub status: String,
    /// The staff member who logged the hours.
    pub logged_by: i64,
    /// The staff member who confirmed or rejected them.
    pub confirmed_by: Option<i64>,
    /// When they were confirmed or rejected.
    pub confirmed_at: Option<DateTimeUtc>,
    /// When the row was created.
    pub created_at: DateTimeUtc,
}

/// Foreign keys of `volunteer_hours`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// `volunteer_id` → `volunteers.id`.
    #[sea_orm(
        belongs_to = "super::volunteer::Entity",
        from = "Column::VolunteerId",
        to = "super::volunteer::Column::Id",
        on_delete = "Restrict"
    )]
    Volunteer,
    /// `need_id` → `needs.id`.
    #[sea_orm(
        belongs_to = "super::need::Entity",
        from = "Column::NeedId",
        to = "super::need::Column::Id",
        on_delete = "Restrict"
    )]
    Need,
    /// `logged_by` → `staff.id`.
    #[sea_orm(
        belongs_to = "super::staff::Entity",
        from = "Column::LoggedBy",
        to = "super::staff::Column::Id",
        on_delete = "Restrict"
    )]
    LoggedBy,
    /// `confirmed_by` → `staff.id`.
    #[sea_orm(
        belongs_to = "super::staff::Entity",
        from = "Column::ConfirmedBy",
        to = "super::staff::Column::Id",
        on_delete = "Restrict"
    )]
    ConfirmedBy,
}

impl Related<super::volunteer::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Volunteer.def()
    }
}

impl Related<super::need::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Need.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
