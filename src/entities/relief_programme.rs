//! The `relief_programmes` table: the programmes a hand entry of the relief ledger names.

use sea_orm::entity::prelude::*;

/// One row of `relief_programmes`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "relief_programmes")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// A stable short name (`dibao`, …; `p-<n>` for the office's own).
    #[sea_orm(unique)]
    pub code: String,
    /// Chinese name.
    pub name: String,
    /// English name.
    pub name_en: String,
    /// The office account that added it; none for the built-in ones.
    pub created_by: Option<i64>,
    /// When added.
    pub created_at: DateTimeUtc,
    /// The subdistrict whose office added it (its cases name it); none for the built-in
    /// ones, which every subdistrict names.
    pub subdistrict_id: Option<i64>,
}

/// `relief_programmes` is only referred to.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
