//! The `login_throttles` table: sign-in attempts per key (an account or an address) in a
//! fixed window, reserved before any password is hashed.

use sea_orm::entity::prelude::*;

/// One row of `login_throttles`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "login_throttles")]
pub struct Model {
    /// What is throttled (for example an account or an address); the primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub throttle_key: String,
    /// Attempts reserved in the current window (a success gives its own back).
    pub failures: i32,
    /// When the current window began.
    pub window_started_at: DateTimeUtc,
    /// When the current window ends: past the limit, sign-in is refused until then, and the
    /// row is void afterwards (the next attempt starts a new window).
    pub locked_until: Option<DateTimeUtc>,
}

/// `login_throttles` has no foreign keys.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
