//! The `visit_intervals` table: days between visits per beneficiary group, set by the office.

use sea_orm::entity::prelude::*;

/// One row of `visit_intervals`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "visit_intervals")]
pub struct Model {
    /// The group (`elderly_alone`, …).
    #[sea_orm(primary_key, auto_increment = false)]
    pub beneficiary_group: String,
    /// Days between visits, 1 to 365.
    pub days: i32,
    /// When last set.
    pub updated_at: DateTimeUtc,
}

/// `visit_intervals` has no foreign keys.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
