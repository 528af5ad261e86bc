//! The `api_tokens` table: bearer tokens for the HTTP API, each bound to one organization or one merchant.

use sea_orm::entity::prelude::*;

/// One row of `api_tokens`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_tokens")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Digest of the token, unique.
    #[sea_orm(unique)]
    pub token_digest: String,
    /// Human label.
    pub label: String,
    /// The organization the token acts for; exactly one of this and `merchant_id` is set.
    pub organization_id: Option<i64>,
    /// The merchant the token acts for; exactly one of this and `organization_id` is set.
    pub merchant_id: Option<i64>,
    /// When the token was issued.
    pub created_at: DateTimeUtc,
    /// When the token was revoked, if it was.
    pub revoked_at: Option<DateTimeUtc>,
    /// When the token was last used.
    pub last_used_at: Option<DateTimeUtc>,
}

/// Foreign keys of `api_tokens`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// `organization_id` → `organizations.id`.
    #[sea_orm(
        belongs_to = "super::organization::Entity",
        from = "Column::OrganizationId",
        to = "super::organization::Column::Id",
        on_delete = "Restrict"
    )]
    Organization,
    /// `merchant_id` → `merchants.id`.
    #[sea_orm(
        belongs_to = "super::merchant::Entity",
        from = "Column::MerchantId",
        to = "super::merchant::Column::Id",
        on_delete = "Restrict"
    )]
    Merchant,
}

impl Related<super::organization::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Organization.def()
    }
}

impl Related<super::merchant::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Merchant.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
