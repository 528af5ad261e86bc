//! The `ledger_entries` table: support a person received from outside the platform, recorded by hand.

use sea_orm::entity::prelude::*;

/// One row of `ledger_entries`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ledger_entries")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The person.
    pub beneficiary_id: i64,
    /// The organization that recorded it.
    pub organization_id: i64,
    /// Government or social.
    pub kind: crate::domain::ledger::ReliefKind,
    /// Regular or temporary.
    pub regularity: crate::domain::ledger::Regularity,
    /// Material, service or money.
    pub form: crate::domain::ledger::ReliefForm,
    /// The programme.
    pub programme_id: i64,
    /// Amount or value in fen.
    pub amount_fen: i64,
    /// First day covered.
    pub period_from: Date,
    /// Last day covered.
    pub period_to: Date,
    /// A short internal note, free of identity.
    #[sea_orm(column_type = "Text")]
    pub description: String,
    /// The social worker who recorded it.
    pub recorded_by: Option<i64>,
    /// The API token that recorded it.
    pub recorded_by_token: Option<i64>,
    /// When recorded.
    pub created_at: DateTimeUtc,
}

/// Foreign keys of `ledger_entries`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// `programme_id` → `relief_programmes.id`.
    #[sea_orm(
        belongs_to = "super::relief_programme::Entity",
        from = "Column::ProgrammeId",
        to = "super::relief_programme::Column::Id",
        on_delete = "Restrict"
    )]
    Programme,
}

impl Related<super::relief_programme::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Programme.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
