//! The `visits` table: a social worker's visit to a person, the notes sealed.

use sea_orm::entity::prelude::*;

/// One row of `visits`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "visits")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The person visited.
    pub beneficiary_id: i64,
    /// The organization whose worker visited.
    pub organization_id: i64,
    /// The day of the visit.
    pub visited_on: Date,
    /// Home, phone or at the station.
    pub mode: crate::domain::visits::VisitMode,
    /// Who went (free text).
    pub visitors: String,
    /// The notes: nonce || AEAD ciphertext bound to `visits` and this row's id.
    pub notes_sealed: Vec<u8>,
    /// Needs found (short text).
    pub needs_found: String,
    /// The social worker who logged it.
    pub recorded_by: i64,
    /// When logged.
    pub created_at: DateTimeUtc,
}

/// `visits` is reached from its beneficiary only.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
