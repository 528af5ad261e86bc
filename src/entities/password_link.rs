//! The `password_links` table: the one-time link a new staff account's holder sets a
//! password with (one live link an account; only its digest is stored).

use sea_orm::entity::prelude::*;

/// One row of `password_links`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "password_links")]
pub struct Model {
    /// The staff account.
    #[sea_orm(primary_key, auto_increment = false)]
    pub staff_id: i64,
    /// SHA-256 of the live token; NULL once used (or before the email went out).
    pub token_digest: Option<String>,
    /// When the live token stops working.
    pub expires_at: Option<DateTimeUtc>,
    /// When the account was given the link.
    pub created_at: DateTimeUtc,
}

/// Foreign keys of `password_links` (not navigated).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
