//! The `merchants` table: caring merchants who publish offers and claim needs, usually through Telegram.

use sea_orm::entity::prelude::*;

/// One row of `merchants`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "merchants")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Shop name.
    pub name: String,
    /// Line of trade as free text.
    pub trade: String,
    /// The community the shop lies in, if known.
    pub community_id: Option<i64>,
    /// The subdistrict whose office admits it.
    pub subdistrict_id: i64,
    /// The last day its admission holds; `None`: a year from `created_at`.
    pub admitted_until: Option<Date>,
    /// The credit code it was admitted under (unique index `ux_merchants_credit_code`), if
    /// it applied; `None` for a merchant made on the command line.
    pub credit_code: Option<String>,
    /// Street address.
    pub address: String,
    /// Opening hours as free text, if given.
    pub opening_hours: Option<String>,
    /// One of `pending`, `approved`, `suspended`.
    pub status: crate::domain::PartyStatus,
    /// The linked Telegram chat (unique index `ux_merchants_telegram_chat`), if linked.
    pub telegram_chat_id: Option<i64>,
    /// Locale of bot messages, `zh-CN` or `en`.
    pub locale: super::values::StoredLocale,
    /// Whether the merchant appears on public pages.
    pub show_publicly: bool,
    /// The shop chose to appear on the roll of honour (公益榜) with its badge; off by default.
    pub honour_roll: bool,
    /// Credit score from 0 to 100.
    pub credit_score: i32,
    /// When the row was created.
    pub created_at: DateTimeUtc,
    /// When the row was last changed.
    pub updated_at: DateTimeUtc,
}

/// Foreign keys of `merchants`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// `community_id` → `communities.id`.
    #[sea_orm(
        belongs_to = "super::community::Entity",
        from = "Column::CommunityId",
        to = "super::community::Column::Id",
        on_delete = "Restrict"
    )]
    Community,
}

impl Related<super::community::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Community.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
