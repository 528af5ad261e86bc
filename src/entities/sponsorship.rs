//! The `sponsorships` table: a merchant sponsoring every period of a recurring need (一对一).

use sea_orm::entity::prelude::*;

/// One row of `sponsorships`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sponsorships")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The first need of the series sponsored.
    pub series_id: i64,
    /// The person helped.
    pub beneficiary_id: i64,
    /// The sponsor.
    pub merchant_id: i64,
    /// The claim the sponsorship began with.
    pub claim_id: i64,
    /// How much each period's claim takes.
    pub quantity: i32,
    /// Active or ended.
    pub status: crate::domain::sponsorship::SponsorshipStatus,
    /// When the merchant chose to sponsor.
    pub started_at: DateTimeUtc,
    /// When it ended.
    pub ended_at: Option<DateTimeUtc>,
    /// Why it ended.
    pub end_reason: Option<crate::domain::sponsorship::SponsorshipEnd>,
    /// The social worker who ended it, if one did.
    pub ended_by: Option<i64>,
}

/// `sponsorships` is reached from its series, case or merchant only.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
