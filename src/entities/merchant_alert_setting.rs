//! The `merchant_alert_settings` table: how a merchant wants to hear of needs. A merchant
//! without a row has the defaults of [`crate::domain::alerts::AlertSettings`].

use sea_orm::entity::prelude::*;

/// One row of `merchant_alert_settings`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "merchant_alert_settings")]
pub struct Model {
    /// The merchant; the primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub merchant_id: i64,
    /// Category codes of interest separated by commas; empty means all.
    #[sea_orm(column_type = "Text")]
    pub categories: String,
    /// Community ids of interest separated by commas; empty means all.
    #[sea_orm(column_type = "Text")]
    pub communities: String,
    /// Most alerts a local day, 1 to 50 (urgent needs may pass it).
    pub daily_cap: i32,
    /// Start of the quiet hours, minutes after local midnight; `None` for no quiet hours.
    pub quiet_start: Option<i32>,
    /// End of the quiet hours, minutes after local midnight.
    pub quiet_end: Option<i32>,
    /// One of `instant`, `digest`.
    pub mode: String,
    /// True when urgent needs pass the cap, the quiet hours and the digest.
    pub urgent_always: bool,
    /// Also alert needs of the district's other subdistricts.
    pub other_subdistricts: bool,
    /// When the row was last changed.
    pub updated_at: DateTimeUtc,
}

/// Foreign keys of `merchant_alert_settings`.
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
