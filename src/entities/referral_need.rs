//! The `referral_needs` table: the open needs a referral sends along with the case.

use sea_orm::entity::prelude::*;

/// One row of `referral_needs`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "referral_needs")]
pub struct Model {
    /// The referral.
    #[sea_orm(primary_key, auto_increment = false)]
    pub referral_id: i64,
    /// A need sent along.
    #[sea_orm(primary_key, auto_increment = false)]
    pub need_id: i64,
}

/// Foreign keys of `referral_needs`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
