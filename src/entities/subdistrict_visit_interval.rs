//! The `subdistrict_visit_intervals` table: an office's days between visits for one
//! beneficiary group in its subdistrict, over the district's default (`visit_intervals`).

use sea_orm::entity::prelude::*;

/// One row of `subdistrict_visit_intervals`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "subdistrict_visit_intervals")]
pub struct Model {
    /// The subdistrict.
    #[sea_orm(primary_key, auto_increment = false)]
    pub subdistrict_id: i64,
    /// The group (`elderly_alone`, …).
    #[sea_orm(primary_key, auto_increment = false)]
    pub beneficiary_group: String,
    /// Days between visits, 1 to 365.
    pub days: i32,
    /// The office account that set it.
    pub updated_by: Option<i64>,
    /// When last set.
    pub updated_at: DateTimeUtc,
}

/// `subdistrict_visit_intervals` is only read by its keys.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
