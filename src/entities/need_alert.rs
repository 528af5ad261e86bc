//! The `need_alerts` table: one row per merchant the ladder chose for a need — so that a
//! merchant hears of a need once, its daily cap can be counted and its digest gathered.

use sea_orm::entity::prelude::*;

/// One row of `need_alerts`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "need_alerts")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The need.
    pub need_id: i64,
    /// The merchant told of it; unique with `need_id`.
    pub merchant_id: i64,
    /// The rung that chose the merchant, from 1.
    pub rung: i32,
    /// One of `instant`, `digest`.
    pub mode: String,
    /// When the merchant hears of it.
    pub deliver_at: DateTimeUtc,
    /// False when an urgent need passed the cap.
    pub counts_to_cap: bool,
    /// The digest that carried it, once gathered.
    pub digest_key: Option<String>,
    /// When the row was created.
    pub created_at: DateTimeUtc,
}

/// Foreign keys of `need_alerts`.
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
