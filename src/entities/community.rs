//! The `communities` table: the residential communities (社区) that needs, merchants and organizations belong to.

use sea_orm::entity::prelude::*;

/// One row of `communities`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "communities")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Chinese name, unique.
    #[sea_orm(unique)]
    pub name: String,
    /// English name.
    pub name_en: String,
    /// Chinese name of the subdistrict (街道).
    pub subdistrict: String,
    /// English name of the subdistrict.
    pub subdistrict_en: String,
    /// The subdistrict it belongs to (its names are copied above for display).
    pub subdistrict_id: i64,
}

/// `communities` has no foreign keys of its own.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
