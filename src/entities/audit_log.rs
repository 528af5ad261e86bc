//! The `audit_log` table: who did what to which subject, and with what outcome.

use sea_orm::entity::prelude::*;

/// One row of `audit_log`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// When the action happened.
    pub at: DateTimeUtc,
    /// One of `staff`, `merchant`, `api_token`, `system`, `anonymous`.
    pub actor_kind: String,
    /// Id of the actor within its kind, if it has one.
    pub actor_id: Option<String>,
    /// The organization the action was done for, if any.
    pub organization_id: Option<i64>,
    /// Name of the action.
    pub action: String,
    /// Kind of the subject acted on, if any.
    pub subject_kind: Option<String>,
    /// Id of the subject within its kind, if any.
    pub subject_id: Option<String>,
    /// One of `ok`, `denied`, `failed`.
    pub outcome: String,
    /// Details as JSON text.
    #[sea_orm(column_type = "Text")]
    pub detail: String,
    /// Id of the HTTP request or update that caused the action, if any.
    pub request_id: Option<String>,
    /// The row's link in the hash chain, written by the sealer after the row committed
    /// (see `services::audit_chain`); `None` until then.
    pub chain_hash: Option<String>,
    /// When the sealer sealed it.
    pub sealed_at: Option<DateTimeUtc>,
}

/// `audit_log` has no foreign keys, so entries outlive what they describe.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
