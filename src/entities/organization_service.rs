//! The `organization_services` table: the service areas an organization offers (kept by the office).

use sea_orm::entity::prelude::*;

use crate::domain::ServiceArea;

/// One row of `organization_services`: organization `organization_id` offers `service_area`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "organization_services")]
pub struct Model {
    /// The organization.
    #[sea_orm(primary_key, auto_increment = false)]
    pub organization_id: i64,
    /// The area it offers.
    #[sea_orm(primary_key, auto_increment = false)]
    pub service_area: ServiceArea,
}

/// Foreign keys of `organization_services`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// `organization_id` → `organizations.id`.
    #[sea_orm(
        belongs_to = "super::organization::Entity",
        from = "Column::OrganizationId",
        to = "super::organization::Column::Id",
        on_delete = "Cascade"
    )]
    Organization,
}

impl Related<super::organization::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Organization.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
