//! The `organizations` table: social work stations, social organizations, volunteer teams and offices that post needs.

use sea_orm::entity::prelude::*;

/// One row of `organizations`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "organizations")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Display name, unique.
    #[sea_orm(unique)]
    pub name: String,
    /// One of `social_work_station`, `social_organization`, `volunteer_team`, `office`.
    pub kind: String,
    /// One of `pending`, `approved`, `suspended`.
    pub status: crate::domain::PartyStatus,
    /// The community the organization serves, if it is tied to one.
    pub community_id: Option<i64>,
    /// The subdistrict whose office admits it.
    pub subdistrict_id: i64,
    /// The last day its admission holds; `None`: a year from `created_at`.
    pub admitted_until: Option<Date>,
    /// When the row was created.
    pub created_at: DateTimeUtc,
}

/// Foreign keys of `organizations`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// `community_id` → `communities.id`.
    #[sea_orm(
        belongs_to = "super::community::Entity",
        from = "Column::CommunityId",
        to = "super::community::Column::Id",
        on_delete = "Restrict"
    )]
    Community,
}

impl Related<super::community::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Community.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
