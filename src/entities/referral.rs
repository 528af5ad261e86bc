//! The `referrals` table: one organization asks another to take a case over (转介).

use sea_orm::entity::prelude::*;

use crate::domain::ServiceArea;
use crate::domain::referral::{DeclineReason, ReferralStatus};

/// One row of `referrals`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "referrals")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The case.
    pub beneficiary_id: i64,
    /// The organization that had the case when it referred it.
    pub from_organization_id: i64,
    /// The organization asked to take it.
    pub to_organization_id: i64,
    /// The service sought.
    pub service_area: ServiceArea,
    /// Why, in public words (no personal data): the receiver reads it before accepting.
    #[sea_orm(column_type = "Text")]
    pub reason: String,
    /// When the person's consent to the transfer was recorded.
    pub consent_at: DateTimeUtc,
    /// The staff member who referred (a worker of the sender, or the office).
    pub created_by: Option<i64>,
    /// When it was sent.
    pub created_at: DateTimeUtc,
    /// When an answer is due (working days after it was sent).
    pub due_at: DateTimeUtc,
    /// Where it stands.
    pub status: ReferralStatus,
    /// Why it was declined, if it was.
    pub decline_reason: Option<DeclineReason>,
    /// The decliner's words, if any.
    #[sea_orm(column_type = "Text", nullable)]
    pub decline_note: Option<String>,
    /// Who answered (or withdrew).
    pub answered_by: Option<i64>,
    /// When it was answered (or withdrawn).
    pub answered_at: Option<DateTimeUtc>,
    /// When the receiver was reminded that the answer is late.
    pub reminded_at: Option<DateTimeUtc>,
    /// When the office was told that the answer is late.
    pub flagged_at: Option<DateTimeUtc>,
}

/// Foreign keys of `referrals`.
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
