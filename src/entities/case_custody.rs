//! The `case_custody` table: which organization had a case when (one open segment a case).

use sea_orm::entity::prelude::*;

/// One row of `case_custody`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "case_custody")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The case.
    pub beneficiary_id: i64,
    /// The organization that had it.
    pub organization_id: i64,
    /// Since when.
    pub from_at: DateTimeUtc,
    /// Until when; none while it has it.
    pub until_at: Option<DateTimeUtc>,
    /// The accepted referral that began the segment, if one did.
    pub referral_id: Option<i64>,
}

/// Foreign keys of `case_custody`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
