//! The `contacts` table: email addresses that receive an organization's notices, with
//! their double opt-in consent to that organization. The same address registered by two
//! organizations is two rows: consent is given to one organization, never shared.

use sea_orm::entity::prelude::*;

/// One row of `contacts`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "contacts")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Email address, unique with `organization_id` (index `ux_contacts_org_email`).
    pub email: String,
    /// Locale of the mails, `zh-CN` or `en`.
    pub locale: super::values::StoredLocale,
    /// One of `pending`, `confirmed`, `unsubscribed`.
    pub consent_status: String,
    /// When the confirmation mail was requested.
    pub consent_requested_at: Option<DateTimeUtc>,
    /// When consent was confirmed.
    pub consent_at: Option<DateTimeUtc>,
    /// Version of the consent wording the contact agreed to.
    pub consent_wording_version: Option<String>,
    /// Digest of the pending confirmation token (unique index `ux_contacts_confirm_token`).
    pub confirm_token_digest: Option<String>,
    /// When the confirmation token expires.
    pub confirm_expires_at: Option<DateTimeUtc>,
    /// Digest of the unsubscribe token, unique.
    #[sea_orm(unique)]
    pub unsubscribe_token_digest: String,
    /// When mail to the address was found undeliverable.
    pub undeliverable_at: Option<DateTimeUtc>,
    /// When the row was created.
    pub created_at: DateTimeUtc,
    /// When the row was last changed.
    pub updated_at: DateTimeUtc,
    /// The organization whose beneficiary registered the address, and which the consent is
    /// for. `NULL` only for a contact from before consent was per organization that no
    /// beneficiary used.
    pub organization_id: Option<i64>,
    /// When the expired-link page last queued a new confirmation.
    pub consent_resent_at: Option<DateTimeUtc>,
    /// Start of the day in which `consent_resends` are counted.
    pub consent_resends_since: Option<DateTimeUtc>,
    /// New confirmations queued from the page since `consent_resends_since`.
    pub consent_resends: i32,
}

/// `contacts` has no foreign keys of its own.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
