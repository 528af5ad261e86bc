//! The `organization_applications` table: an organization's request to be admitted (准入),
//! from the public form to the office's decision.

use sea_orm::entity::prelude::*;

use crate::domain::application::ApplicationStatus;
use crate::entities::values::StoredLocale;

/// One row of `organization_applications`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "organization_applications")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The organization's name, as it will be shown.
    pub name: String,
    /// Its unified social credit code, upper case, checked.
    pub credit_code: String,
    /// The kind of body the code names (`RegistrationKind`).
    pub registration_kind: String,
    /// The registration type the applicant chose (`RegistrationKind`).
    pub declared_kind: String,
    /// The contact person's name.
    pub contact_name: String,
    /// The contact email, lower case; verified by a link before the office sees the application.
    pub contact_email: String,
    /// The language the applicant applied in; every email to them speaks it.
    pub locale: StoredLocale,
    /// The service areas, comma-separated `ServiceArea` codes.
    pub service_areas: String,
    /// The communities served, comma-separated ids (all of one subdistrict).
    pub community_ids: String,
    /// A short description of the organization's work.
    pub description: String,
    /// The subdistrict whose office reviews it (its communities').
    pub subdistrict_id: i64,
    /// Where it stands.
    pub status: ApplicationStatus,
    /// The credit code while the application is under review, else NULL (unique).
    pub open_code: Option<String>,
    /// The office's latest message: what more it needs, or why it rejected.
    pub office_message: Option<String>,
    /// SHA-256 of the email-verification token, until it is used.
    pub verify_digest: Option<String>,
    /// When the verification link stops working.
    pub verify_expires_at: Option<DateTimeUtc>,
    /// SHA-256 of the token of the link to edit and resubmit, while more is asked.
    pub edit_digest: Option<String>,
    /// When the edit link stops working.
    pub edit_expires_at: Option<DateTimeUtc>,
    /// The organization approval made.
    pub organization_id: Option<i64>,
    /// Its first staff account.
    pub staff_id: Option<i64>,
    /// When the application was made.
    pub created_at: DateTimeUtc,
    /// When it last changed.
    pub updated_at: DateTimeUtc,
    /// When the contact email was verified.
    pub verified_at: Option<DateTimeUtc>,
    /// When the office approved or rejected it.
    pub decided_at: Option<DateTimeUtc>,
    /// The office account that decided.
    pub decided_by: Option<i64>,
}

/// Foreign keys of `organization_applications` (not navigated).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
