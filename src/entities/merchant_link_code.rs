//! The `merchant_link_codes` table: one-time codes that link a merchant to a Telegram chat.

use sea_orm::entity::prelude::*;

/// One row of `merchant_link_codes`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "merchant_link_codes")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The merchant the code links.
    pub merchant_id: i64,
    /// Digest of the code, unique.
    #[sea_orm(unique)]
    pub code_digest: String,
    /// When the code was issued.
    pub created_at: DateTimeUtc,
    /// When the code stops working.
    pub expires_at: DateTimeUtc,
    /// When the code was used, if it was.
    pub used_at: Option<DateTimeUtc>,
}

/// Foreign keys of `merchant_link_codes`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// `merchant_id` → `merchants.id`.
    #[sea_orm(
        belongs_to = "super::merchant::Entity",
        from = "Column::MerchantId",
        to = "super::merchant::Column::Id",
        on_delete = "Restrict"
    )]
    Merchant,
}

impl Related<super::merchant::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Merchant.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
