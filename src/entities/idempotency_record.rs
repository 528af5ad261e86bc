//! The `idempotency_records` table: the first answer to a request, replayed when it is retried with the same key.

use sea_orm::entity::prelude::*;

/// One row of `idempotency_records`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "idempotency_records")]
pub struct Model {
    /// Who the key belongs to (for example a token or merchant); first part of the primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub scope: String,
    /// The client's idempotency key; second part of the primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub idem_key: String,
    /// Digest of the request, to refuse the same key with a different request.
    pub request_digest: String,
    /// HTTP status of the first answer.
    pub status_code: i32,
    /// Body of the first answer.
    #[sea_orm(column_type = "Text")]
    pub response_body: String,
    /// When the row was created.
    pub created_at: DateTimeUtc,
}

/// `idempotency_records` has no foreign keys.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
