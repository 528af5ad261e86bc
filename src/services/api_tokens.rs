//! API tokens for other systems: 256 random bits, shown once, stored as a SHA-256 digest.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, Set};

use super::access::{Caller, office_reaches, require_admin};
use super::audit::{self, Entry};
use super::{ServiceError, organizations};
use crate::entities::{api_token, merchant, organization};
use crate::{crypto, db};

/// Whom a token acts for.
#[derive(Debug, Clone)]
pub enum TokenOwner {
    /// An organization, by name.
    Organization(String),
    /// An organization, by id (the office's pick from its list).
    OrganizationId(i64),
    /// A merchant, by id.
    Merchant(i64),
}

/// Prefix that makes a leaked token easy to recognise and search for.
pub const TOKEN_PREFIX: &str = "crt_";

/// Creates a token for `owner` and returns it; this is the only time it is seen. The office
/// issues tokens for its own subdistrict's parties only: another's answers "not found", as a
/// missing one does, audited; the district bureau and everyone else are refused.
pub async fn issue(
    db: &DatabaseConnection,
    caller: &Caller,
    owner: TokenOwner,
    label: &str,
    now: DateTime<Utc>,
) -> Result<String, ServiceError> {
    const ACTION: &str = "api_token.issue";
    require_admin(db, caller, ACTION, now).await?;
    let (organization_id, merchant_id) = match &owner {
        TokenOwner::Organization(_) | TokenOwner::OrganizationId(_) => {
            let found = match &owner {
                TokenOwner::Organization(name) => organizations::find_by_name(db, name.trim()).await?,
                TokenOwner::OrganizationId(id) => organization::Entity::find_by_id(*id).one(db).await?,
                TokenOwner::Merchant(_) => None,
            };
            let id = found.as_ref().map_or(0, |o| o.id);
            let place = found.map(|o| o.subdistrict_id);
            office_reaches(db, caller, ACTION, ("organization", id), place, "organization", now).await?;
            (Some(id), None)
        }
        TokenOwner::Merchant(id) => {
            let place = merchant::Entity::find_by_id(*id)
                .one(db)
                .await?
                .map(|m| m.subdistrict_id);
            office_reaches(db, caller, ACTION, ("merchant", *id), place, "merchant", now).await?;
            (None, Some(*id))
        }
    };
    let txn = db::begin_write(db).await?;
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
        Entry::ok(caller.actor(), ACTION)
            .subject("api_token", row.id)
            .organization(organization_id),
    )
    .await?;
    txn.commit().await?;
    Ok(token)
}

/// The subdistrict of the party token `token` acts for (an organization's or a merchant's).
async fn subdistrict_of(db: &DatabaseConnection, token: &api_token::Model) -> Result<Option<i64>, ServiceError> {
    Ok(match (token.organization_id, token.merchant_id) {
        (Some(o), _) => organization::Entity::find_by_id(o)
            .one(db)
            .await?
            .map(|o| o.subdistrict_id),
        (None, Some(m)) => merchant::Entity::find_by_id(m).one(db).await?.map(|m| m.subdistrict_id),
        (None, None) => None,
    })
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

/// Revokes token `token_id` for `reason` (required; audited); it stops working at once. The
/// office revokes its own subdistrict's parties' tokens only: another's answers "not found",
/// as a missing one does, audited (before the reason is looked at, so nothing tells them apart).
pub async fn revoke(
    db: &DatabaseConnection,
    caller: &Caller,
    token_id: i64,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    use sea_orm::sea_query::Expr;
    use sea_orm::{ColumnTrait, QueryFilter};
    const ACTION: &str = "api_token.revoke";
    require_admin(db, caller, ACTION, now).await?;
    let place = match api_token::Entity::find_by_id(token_id).one(db).await? {
        Some(token) => subdistrict_of(db, &token).await?,
        None => None,
    };
    office_reaches(db, caller, ACTION, ("api_token", token_id), place, "api token", now).await?;
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
        Entry::ok(caller.actor(), ACTION)
            .subject("api_token", token_id)
            .detail(serde_json::json!({ "reason": reason })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
