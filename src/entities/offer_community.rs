//! The `offer_communities` table: which communities an offer serves (join table of offers and communities).

use sea_orm::entity::prelude::*;

/// One row of `offer_communities`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "offer_communities")]
pub struct Model {
    /// The offer; first part of the primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub offer_id: i64,
    /// A community the offer serves; second part of the primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub community_id: i64,
}

/// Foreign keys of `offer_communities`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// `offer_id` → `offers.id`.
    #[sea_orm(
        belongs_to = "super::offer::Entity",
        from = "Column::OfferId",
        to = "super::offer::Column::Id",
        on_delete = "Restrict"
    )]
    Offer,
    /// `community_id` → `communities.id`.
    #[sea_orm(
        belongs_to = "super::community::Entity",
        from = "Column::CommunityId",
        to = "super::community::Column::Id",
        on_delete = "Restrict"
    )]
    Community,
}

impl Related<super::offer::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Offer.def()
    }
}

impl Related<super::community::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Community.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
