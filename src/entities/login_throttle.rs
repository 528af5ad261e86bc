//! The `login_throttles` table: failed sign-in counts per key, and lock-outs.

use sea_orm::entity::prelude::*;

/// One row of `login_throttles`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "login_throttles")]
pub struct Model {
    /// What is throttled (for example an account or an address); the primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub throttle_key: String,
    /// Failures in the current window.
    pub failures: i32,
    /// When the current window began.
    pub window_started_at: DateTimeUtc,
    /// Until when sign-in is refused, if locked.
    pub locked_until: Option<DateTimeUtc>,
}

/// `login_throttles` has no foreign keys.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
