//! The `needs` table: real needs of a beneficiary posted by an organization for merchants to claim.

use sea_orm::entity::prelude::*;

/// One row of `needs`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "needs")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The organization that posted the need.
    pub organization_id: i64,
    /// The beneficiary the need is for.
    pub beneficiary_id: i64,
    /// The community the need is in.
    pub community_id: i64,
    /// Where goods are to be handed over, if at a drop-off point.
    pub drop_off_point_id: Option<i64>,
    /// The staff member who posted the need.
    pub posted_by: Option<i64>,
    /// One of `food`, `daily_goods`, `clothing`, `medicine`, `service`, `tutoring`, `funds`, `volunteer_hours`, `other`.
    pub category: String,
    /// Short title.
    pub title: String,
    /// Longer description.
    #[sea_orm(column_type = "Text")]
    pub description: String,
    /// Units needed, 1 to 10000.
    pub quantity: i32,
    /// Unit of the quantity as free text.
    pub unit: String,
    /// Units claimed by active or finished claims, at most `quantity`.
    pub claimed: i32,
    /// Units delivered, at most `claimed`.
    pub delivered: i32,
    /// One of `normal`, `urgent`.
    pub urgency: String,
    /// Last day the need is useful.
    pub deadline: Date,
    /// One of `none`, `weekly`, `monthly`.
    pub recurrence: String,
    /// Estimated value in cents, if known.
    pub estimated_value_cents: Option<i64>,
    /// Days a claimant has to deliver, 1 to 365.
    pub claim_days: i32,
    /// One of `open`, `fully_claimed`, `fulfilled`, `cancelled`, `expired`.
    pub status: crate::domain::NeedStatus,
    /// Optimistic-lock version.
    pub version: i32,
    /// When the row was created.
    pub created_at: DateTimeUtc,
    /// When the row was last changed.
    pub updated_at: DateTimeUtc,
    /// When a lapsed or released claim last reopened the need.
    pub reopened_at: Option<DateTimeUtc>,
    /// The first need of its series, if the need recurs.
    pub series_id: Option<i64>,
    /// Which period of its series, from 1.
    pub period_index: Option<i32>,
    /// How many periods the series runs; `None` until stopped.
    pub periods_total: Option<i32>,
    /// The sponsor this occurrence is offered to first, while `offer_until` has not passed.
    pub offered_to: Option<i64>,
    /// When the sponsor's renewal window closes.
    pub offer_until: Option<DateTimeUtc>,
}

/// Foreign keys of `needs`.
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
    /// `beneficiary_id` → `beneficiaries.id`.
    #[sea_orm(
        belongs_to = "super::beneficiary::Entity",
        from = "Column::BeneficiaryId",
        to = "super::beneficiary::Column::Id",
        on_delete = "Restrict"
    )]
    Beneficiary,
    /// `community_id` → `communities.id`.
    #[sea_orm(
        belongs_to = "super::community::Entity",
        from = "Column::CommunityId",
        to = "super::community::Column::Id",
        on_delete = "Restrict"
    )]
    Community,
    /// `drop_off_point_id` → `drop_off_points.id`.
    #[sea_orm(
        belongs_to = "super::drop_off_point::Entity",
        from = "Column::DropOffPointId",
        to = "super::drop_off_point::Column::Id",
        on_delete = "Restrict"
    )]
    DropOffPoint,
    /// `posted_by` → `staff.id`.
    #[sea_orm(
        belongs_to = "super::staff::Entity",
        from = "Column::PostedBy",
        to = "super::staff::Column::Id",
        on_delete = "Restrict"
    )]
    PostedBy,
}

impl Related<super::organization::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Organization.def()
    }
}

impl Related<super::beneficiary::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Beneficiary.def()
    }
}

impl Related<super::community::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Community.def()
    }
}

impl Related<super::drop_off_point::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::DropOffPoint.def()
    }
}

impl Related<super::staff::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::PostedBy.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
