//! The `volunteers` table: volunteers registered by an organization, possibly former beneficiaries.

use sea_orm::entity::prelude::*;

/// One row of `volunteers`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "volunteers")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The organization the volunteer serves with.
    pub organization_id: i64,
    /// Name shown in reports.
    pub display_name: String,
    /// The contact that receives notices for the volunteer, if any.
    pub contact_id: Option<i64>,
    /// The beneficiary record this volunteer once was (受助者助人), if any.
    pub former_beneficiary_id: Option<i64>,
    /// When the row was created.
    pub created_at: DateTimeUtc,
    /// The shop whose staff member this is, when a shop signed them up from the bot.
    pub merchant_id: Option<i64>,
}

/// Foreign keys of `volunteers`.
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
    /// `contact_id` → `contacts.id`.
    #[sea_orm(
        belongs_to = "super::contact::Entity",
        from = "Column::ContactId",
        to = "super::contact::Column::Id",
        on_delete = "Restrict"
    )]
    Contact,
    /// `former_beneficiary_id` → `beneficiaries.id`.
    #[sea_orm(
        belongs_to = "super::beneficiary::Entity",
        from = "Column::FormerBeneficiaryId",
        to = "super::beneficiary::Column::Id",
        on_delete = "Restrict"
    )]
    FormerBeneficiary,
}

impl Related<super::organization::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Organization.def()
    }
}

impl Related<super::contact::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Contact.def()
    }
}

impl Related<super::beneficiary::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::FormerBeneficiary.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
