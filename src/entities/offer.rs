//! The `offers` table: standing offers of goods or services a merchant can give each month.

use sea_orm::entity::prelude::*;

/// One row of `offers`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "offers")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The merchant making the offer.
    pub merchant_id: i64,
    /// One of the need categories (`food`, `daily_goods`, `clothing`, `medicine`, `service`, `tutoring`, `funds`, `volunteer_hours`, `other`).
    pub category: String,
    /// What is offered, as free text.
    pub description: String,
    /// How many units the merchant can give per month, at least 1.
    pub monthly_capacity: i32,
    /// One of `active`, `paused`.
    pub status: String,
    /// When the row was created.
    pub created_at: DateTimeUtc,
    /// When the row was last changed.
    pub updated_at: DateTimeUtc,
}

/// Foreign keys of `offers`.
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
