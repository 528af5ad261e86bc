//! The `claims` table: a merchant's promise to deliver part or all of a need, through to confirmation.

use sea_orm::entity::prelude::*;

/// One row of `claims`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "claims")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The need claimed.
    pub need_id: i64,
    /// The merchant who claimed it.
    pub merchant_id: i64,
    /// Units claimed, at least 1.
    pub quantity: i32,
    /// One of `active`, `delivered`, `confirmed`, `disputed`, `released`, `lapsed`.
    pub status: crate::domain::ClaimStatus,
    /// Code the recipient quotes at hand-over.
    pub handoff_code: String,
    /// Client idempotency key, unique per merchant, if the request carried one.
    pub idempotency_key: Option<String>,
    /// When delivery is due; the claim lapses after this.
    pub due_at: DateTimeUtc,
    /// When to remind the merchant.
    pub remind_at: DateTimeUtc,
    /// When the reminder was sent, if it was.
    pub reminded_at: Option<DateTimeUtc>,
    /// When the merchant reported delivery.
    pub delivered_at: Option<DateTimeUtc>,
    /// When the organization confirmed delivery.
    pub confirmed_at: Option<DateTimeUtc>,
    /// When the claim reached a final state.
    pub ended_at: Option<DateTimeUtc>,
    /// Rating of the delivery, 1 to 5, if rated.
    pub rating: Option<i16>,
    /// Optimistic-lock version.
    pub version: i32,
    /// Wrong handoff codes entered on the confirm form; at five only the office confirms.
    pub handoff_failures: i32,
    /// Why the social worker disputed the delivery (public text), kept after it is resolved.
    pub dispute_reason: Option<String>,
    /// The merchant's note when it says it delivered again after a dispute (public text).
    pub dispute_answer: Option<String>,
    /// When the row was created.
    pub created_at: DateTimeUtc,
    /// When the row was last changed.
    pub updated_at: DateTimeUtc,
    /// The office account that recorded the claim for a merchant who phoned in; `None` when
    /// the merchant claimed itself.
    pub recorded_by: Option<i64>,
}

/// Foreign keys of `claims`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// `need_id` → `needs.id`.
    #[sea_orm(
        belongs_to = "super::need::Entity",
        from = "Column::NeedId",
        to = "super::need::Column::Id",
        on_delete = "Restrict"
    )]
    Need,
    /// `merchant_id` → `merchants.id`.
    #[sea_orm(
        belongs_to = "super::merchant::Entity",
        from = "Column::MerchantId",
        to = "super::merchant::Column::Id",
        on_delete = "Restrict"
    )]
    Merchant,
}

impl Related<super::need::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Need.def()
    }
}

impl Related<super::merchant::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Merchant.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
