//! The `drop_off_points` table: places run by an organization where merchants hand over goods.

use sea_orm::entity::prelude::*;

/// One row of `drop_off_points`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "drop_off_points")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The organization that runs the point.
    pub organization_id: i64,
    /// The community the point lies in, if known.
    pub community_id: Option<i64>,
    /// Display name.
    pub name: String,
    /// Street address.
    pub address: String,
    /// Opening hours as free text.
    pub opening_hours: String,
}

/// Foreign keys of `drop_off_points`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// `organization_id` → `organizations.id`.
    #[sea_orm(
        belongs_to = "super::organization::Entity",
        from = "Column::OrganizationId",
        to = "super::organization::Column::Id",
        on_delete = "Restrict"
    )]
    Organization,
    /// `community_id` → `communities.id`.
    #[sea_orm(
        belongs_to = "super::community::Entity",
        from = "Column::CommunityId",
        to = "super::community::Column::Id",
        on_delete = "Restrict"
    )]
    Community,
}

impl Related<super::organization::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Organization.def()
    }
}

impl Related<super::community::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Community.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
