//! The `possible_duplicates` table: the office's queue of beneficiaries of two organizations
//! whose phone or ID number digests match.

use sea_orm::entity::prelude::*;

/// One row of `possible_duplicates`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "possible_duplicates")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The beneficiary just registered.
    pub beneficiary_id: i64,
    /// The earlier beneficiary, of another organization, it matches.
    pub other_beneficiary_id: i64,
    /// One of `phone`, `id_number`, `phone_and_id_number`.
    pub matched: String,
    /// One of `open`, `same_person`, `different`.
    pub status: String,
    /// When the match was found.
    pub created_at: DateTimeUtc,
    /// The office account that resolved it.
    pub resolved_by: Option<i64>,
    /// When it was resolved.
    pub resolved_at: Option<DateTimeUtc>,
}

/// Foreign keys of `possible_duplicates`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// `beneficiary_id` → `beneficiaries.id`.
    #[sea_orm(
        belongs_to = "super::beneficiary::Entity",
        from = "Column::BeneficiaryId",
        to = "super::beneficiary::Column::Id",
        on_delete = "Restrict"
    )]
    Beneficiary,
    /// `other_beneficiary_id` → `beneficiaries.id`.
    #[sea_orm(
        belongs_to = "super::beneficiary::Entity",
        from = "Column::OtherBeneficiaryId",
        to = "super::beneficiary::Column::Id",
        on_delete = "Restrict"
    )]
    OtherBeneficiary,
    /// `resolved_by` → `staff.id`.
    #[sea_orm(
        belongs_to = "super::staff::Entity",
        from = "Column::ResolvedBy",
        to = "super::staff::Column::Id",
        on_delete = "Restrict"
    )]
    ResolvedBy,
}

impl ActiveModelBehavior for ActiveModel {}
