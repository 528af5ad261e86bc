//! The `certificates` table: volunteer-hour and caring-merchant certificates, as issued.

use sea_orm::entity::prelude::*;

use crate::domain::certificate::CertificateKind;

/// One row of `certificates`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "certificates")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The public number (`YT-2026-…`), unique and not guessable in sequence.
    pub number: String,
    /// Volunteer hours or caring merchant.
    pub kind: CertificateKind,
    /// The issuing organization (volunteer hours: the one that confirmed them).
    pub organization_id: Option<i64>,
    /// The issuing subdistrict office (caring-merchant certificates).
    pub subdistrict_id: Option<i64>,
    /// The volunteer certified.
    pub volunteer_id: Option<i64>,
    /// The merchant certified.
    pub merchant_id: Option<i64>,
    /// The holder's name as registered; printed on the PDF only, never on a page.
    pub holder_name: String,
    /// The volunteer's number with the organization, or the shop's credit code; empty if none.
    pub holder_number: String,
    /// The issuer's name on the day of issue.
    pub issuer_name: String,
    /// The handler: the issuing staff member's name (or the office, for a self-service copy).
    pub handler_name: String,
    /// How to reach the issuer (the handler's email).
    pub contact: String,
    /// Confirmed hours in the period, in tenths.
    pub tenths: i64,
    /// Confirmed deliveries in the period (caring merchants).
    pub deliveries: i64,
    /// First day covered.
    pub period_start: Date,
    /// Last day covered.
    pub period_end: Date,
    /// The confirmed hours' activities, summarized (or the shop's kinds of help).
    pub activities: String,
    /// The language the PDF is drawn in (`zh-CN` or `en`).
    pub locale: super::values::StoredLocale,
    /// When it was issued.
    pub issued_at: DateTimeUtc,
    /// The staff member who issued it; none when the holder asked by a signed link or the bot.
    pub issued_by: Option<i64>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTimeUtc>,
    /// Who revoked it.
    pub revoked_by: Option<i64>,
    /// Why it was revoked.
    pub revoke_reason: Option<String>,
}

/// Foreign keys of `certificates` (declared in the migration; no joins are made through them).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
