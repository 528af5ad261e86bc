//! The `beneficiaries` table: the public, pseudonymous part of a person in difficulty registered by an organization.

use sea_orm::entity::prelude::*;

/// One row of `beneficiaries`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "beneficiaries")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Public pseudonymous code, unique.
    #[sea_orm(unique)]
    pub code: String,
    /// The organization that registered the beneficiary.
    pub organization_id: i64,
    /// The community the beneficiary lives in.
    pub community_id: i64,
    /// One of `elderly_alone`, `child_in_hardship`, `disabled`, `low_income_family`, `migrant_child`, `other`.
    pub beneficiary_group: String,
    /// The contact that receives notices for the beneficiary, if any.
    pub contact_id: Option<i64>,
    /// The staff member who registered the beneficiary.
    pub created_by: Option<i64>,
    /// When the row was created.
    pub created_at: DateTimeUtc,
    /// When the row was last changed.
    pub updated_at: DateTimeUtc,
    /// `active`, or `closed` (with `closed_reason` and `closed_at`).
    pub case_status: crate::domain::CaseStatus,
    /// Why a closed case was closed.
    pub closed_reason: Option<crate::domain::ClosedReason>,
    /// When the case was last closed.
    pub closed_at: Option<DateTimeUtc>,
    /// When the erasure job removed the personal data of the closed case.
    pub erased_at: Option<DateTimeUtc>,
    /// When the person's consent to data processing was recorded.
    pub consent_at: Option<DateTimeUtc>,
    /// The version of the consent wording the person agreed to.
    pub consent_version: Option<String>,
    /// The staff member who recorded the consent.
    pub consent_recorded_by: Option<i64>,
}

/// Foreign keys of `beneficiaries`.
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
    /// `community_id` → `communities.id`.
    #[sea_orm(
        belongs_to = "super::community::Entity",
        from = "Column::CommunityId",
        to = "super::community::Column::Id",
        on_delete = "Restrict"
    )]
    Community,
    /// `contact_id` → `contacts.id`.
    #[sea_orm(
        belongs_to = "super::contact::Entity",
        from = "Column::ContactId",
        to = "super::contact::Column::Id",
        on_delete = "Restrict"
    )]
    Contact,
    /// `created_by` → `staff.id`.
    #[sea_orm(
        belongs_to = "super::staff::Entity",
        from = "Column::CreatedBy",
        to = "super::staff::Column::Id",
        on_delete = "Restrict"
    )]
    CreatedBy,
}

impl Related<super::organization::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Organization.def()
    }
}

impl Related<super::community::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Community.def()
    }
}

impl Related<super::contact::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Contact.def()
    }
}

impl Related<super::staff::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::CreatedBy.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
