//! The `beneficiary_private` table: a beneficiary's sealed personal data and keyed digests for duplicate warnings.

use sea_orm::entity::prelude::*;

/// One row of `beneficiary_private`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "beneficiary_private")]
pub struct Model {
    /// The beneficiary this row belongs to; also the primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub beneficiary_id: i64,
    /// Nonce followed by the AEAD ciphertext of the personal data.
    #[sea_orm(column_type = "Blob")]
    pub sealed: Vec<u8>,
    /// Keyed hash of the phone number, if given.
    pub phone_digest: Option<String>,
    /// Keyed hash of the ID number, if given.
    pub id_number_digest: Option<String>,
    /// 1: sealed without associated data (re-sealed at start-up); 2: bound to this row's
    /// beneficiary id and the field set's version.
    pub seal_version: i32,
    /// When the row was last changed.
    pub updated_at: DateTimeUtc,
}

/// Foreign keys of `beneficiary_private`.
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
}

impl Related<super::beneficiary::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Beneficiary.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
