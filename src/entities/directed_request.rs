//! The `directed_requests` table: a social worker or the office asked one merchant about one
//! need (from the resource library); one row a need and merchant.

use sea_orm::entity::prelude::*;

/// One row of `directed_requests`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "directed_requests")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The need.
    pub need_id: i64,
    /// The merchant asked; unique with `need_id`.
    pub merchant_id: i64,
    /// The offer it was picked from, if any.
    pub offer_id: Option<i64>,
    /// The staff account that asked.
    pub asked_by: Option<i64>,
    /// When it was asked.
    pub created_at: DateTimeUtc,
    /// When the merchant said no, if it did.
    pub declined_at: Option<DateTimeUtc>,
}

/// Foreign keys of `directed_requests`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
