//! API tokens for other systems: 256 random bits, shown once, stored as a SHA-256 digest.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, Set};

use super::audit::{self, Actor, Entry};
use super::{ServiceError, organizations};
use crate::entities::{api_token, merchant};
use crate::{crypto, db};

/// Whom a token acts for.
#[derive(Debug, Clone)]
pub enum TokenOwner {
    /// An organization, by name.
    Organization(String),
    /// A merchant, by id.
    Merchant(i64),
}

/// Prefix that makes a leaked token easy to recognise and search for.
pub const TOKEN_PREFIX: &str = "crt_";

/// Creates a token for `owner` and returns it; this is the only time it is seen.
pub async fn issue(
    db: &DatabaseConnection,
    owner: TokenOwner,
    label: &str,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<String, ServiceError> {
    let txn = db::begin_write(db).await?;
    let (organization_id, merchant_id) = match &owner {
        TokenOwner::Organization(name) => match organizations::find_by_name(&txn, name.trim()).await? {
            Some(org) => (Some(org.id), None),
            None => return Err(ServiceError::NotFound("organization")),
        },
        TokenOwner::Merchant(id) => match merchant::Entity::find_by_id(*id).one(&txn).await? {
            Some(m) => (None, Some(m.id)),
            None => return Err(ServiceError::NotFound("merchant")),
        },
    };
    let token = format!("{TOKEN_PREFIX}{}", crypto::random_token(32));
    let row = api_token::ActiveModel {
        token_digest: Set(crypto::sha256_hex(&token)),
        label: Set(label.trim().chars().take(100).collect()),
        organization_id: Set(organization_id),
        merchant_id: Set(merchant_id),
        created_at: Set(now),
        revoked_at: Set(None),
        last_used_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        now,
        Entry::ok(actor, "api_token.issue")
            .subject("api_token", row.id)
            .organization(organization_id),
    )
    .await?;
    txn.commit().await?;
    Ok(token)
}

/// The caller a bearer token stands for, if the token is known and not revoked.
pub async fn authenticate(db: &DatabaseConnection, token: &str) -> Result<Option<super::access::Caller>, ServiceError> {
    use sea_orm::{ColumnTrait, QueryFilter};
    if !token.starts_with(TOKEN_PREFIX) || token.len() > 100 {
        return Ok(None);
    }
    let found = api_token::Entity::find()
        .filter(api_token::Column::TokenDigest.eq(crypto::sha256_hex(token)))
        .filter(api_token::Column::RevokedAt.is_null())
        .one(db)
        .await?;
    Ok(found.and_then(|t| match (t.organization_id, t.merchant_id) {
        (Some(organization_id), None) => Some(super::access::Caller::Organization {
            token_id: t.id,
            organization_id,
        }),
        (None, Some(merchant_id)) => Some(super::access::Caller::Merchant {
            merchant_id,
            token_id: Some(t.id),
        }),
        _ => None,
    }))
}

/// Revokes token `token_id` for `reason` (required; audited); it stops working at once.
pub async fn revoke(
    db: &DatabaseConnection,
    token_id: i64,
    reason: &str,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    use sea_orm::sea_query::Expr;
    use sea_orm::{ColumnTrait, QueryFilter};
    let reason = super::office::required_reason(reason, 1)?;
    let txn = db::begin_write(db).await?;
    let changed = api_token::Entity::update_many()
        .col_expr(api_token::Column::RevokedAt, Expr::val(now))
        .filter(api_token::Column::Id.eq(token_id))
        .filter(api_token::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    if changed.rows_affected == 0 {
        return Err(ServiceError::NotFound("api token"));
    }
    audit::record(
        &txn,
        now,
        Entry::ok(actor, "api_token.revoke")
            .subject("api_token", token_id)
            .detail(serde_json::json!({ "reason": reason })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
