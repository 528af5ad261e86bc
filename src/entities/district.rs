//! The `districts` table: the district (区) whose civil-affairs bureau reads every subdistrict.

use sea_orm::entity::prelude::*;

/// One row of `districts`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "districts")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Chinese name, unique, e.g. 盐田区.
    #[sea_orm(unique)]
    pub name: String,
    /// English name.
    pub name_en: String,
}

/// `districts` has no foreign keys of its own.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
