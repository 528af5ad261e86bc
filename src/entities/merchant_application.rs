//! The `merchant_applications` table: shops that applied in the bot (`/join`) and the
//! office's review of them.

use sea_orm::entity::prelude::*;

/// One row of `merchant_applications`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "merchant_applications")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The Telegram chat that applied (linked to the merchant on approval).
    pub chat_id: i64,
    /// The language the shop applied in.
    pub locale: super::values::StoredLocale,
    /// The public shop name.
    pub shop_name: String,
    /// A category code (`Category`).
    pub category: String,
    /// The community the shop lies in.
    pub community_id: i64,
    /// The community's subdistrict: its office reviews.
    pub subdistrict_id: i64,
    /// The unified social credit code or old registration number, as stored by `CreditCode`.
    pub credit_code: String,
    /// The shop's business phone.
    pub phone: String,
    /// What the shop can offer.
    pub offer: String,
    /// `submitted`, `more_info`, `approved` or `rejected` (`ApplicationStatus`).
    pub status: String,
    /// The office's message (more info asked) or reason (rejected).
    pub reason: Option<String>,
    /// The office account that last reviewed it.
    pub reviewed_by: Option<i64>,
    /// The merchant made on approval.
    pub merchant_id: Option<i64>,
    /// When it was first submitted.
    pub created_at: DateTimeUtc,
    /// When the shop last changed it.
    pub updated_at: DateTimeUtc,
    /// When the office last reviewed it.
    pub reviewed_at: Option<DateTimeUtc>,
}

/// No relations are navigated; the foreign keys live in the migration.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
