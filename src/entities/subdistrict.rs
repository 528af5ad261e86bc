//! The `subdistricts` table: the subdistricts (街道) of the district, each with its office,
//! communities, organizations and merchants.

use sea_orm::entity::prelude::*;

/// One row of `subdistricts`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "subdistricts")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The district it belongs to.
    pub district_id: i64,
    /// Chinese name, unique, e.g. 沙头角街道.
    #[sea_orm(unique)]
    pub name: String,
    /// English name.
    pub name_en: String,
    /// Made to hold parties created before any community; the first community names it.
    pub provisional: bool,
}

/// Foreign keys of `subdistricts`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// `district_id` → `districts.id`.
    #[sea_orm(
        belongs_to = "super::district::Entity",
        from = "Column::DistrictId",
        to = "super::district::Column::Id",
        on_delete = "Restrict"
    )]
    District,
}

impl Related<super::district::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::District.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
