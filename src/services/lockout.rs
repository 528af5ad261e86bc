//! Locking out: the staff and tokens of a suspended organization, the tokens of a suspended
//! merchant and a deactivated staff account stop working at once. Suspending or deactivating
//! ends the sessions in the same transaction, and authentication re-checks the standing on
//! every request, so nothing relies on the revocation alone.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::ServiceError;
use super::access::Caller;
use crate::domain::PartyStatus;
use crate::entities::{merchant, organization, staff, web_session};

/// Refuses a caller whose organization or merchant is not approved by the office:
/// [`ServiceError::OrganizationSuspended`] or [`ServiceError::MerchantNotApproved`]. A party
/// that cannot be found is refused too.
pub async fn standing<C: ConnectionTrait>(conn: &C, caller: &Caller) -> Result<(), ServiceError> {
    match *caller {
        Caller::Admin { .. } | Caller::District { .. } | Caller::System => Ok(()),
        Caller::SocialWorker { organization_id, .. } | Caller::Organization { organization_id, .. } => {
            if organization_approved(conn, organization_id).await? {
                Ok(())
            } else {
                Err(ServiceError::OrganizationSuspended)
            }
        }
        Caller::Merchant { merchant_id, .. } => {
            let approved = merchant::Entity::find_by_id(merchant_id)
                .one(conn)
                .await?
                .is_some_and(|m| m.status == PartyStatus::Approved);
            if approved {
                Ok(())
            } else {
                Err(ServiceError::MerchantNotApproved)
            }
        }
    }
}

/// True when the organization exists and the office has admitted it and not suspended it.
pub async fn organization_approved<C: ConnectionTrait>(conn: &C, organization_id: i64) -> Result<bool, sea_orm::DbErr> {
    Ok(organization::Entity::find_by_id(organization_id)
        .one(conn)
        .await?
        .is_some_and(|o| o.status == PartyStatus::Approved))
}

/// Ends every live session of one staff account; returns how many.
pub async fn end_sessions_of_staff<C: ConnectionTrait>(
    txn: &C,
    staff_id: i64,
    now: DateTime<Utc>,
) -> Result<u64, sea_orm::DbErr> {
    let ended = web_session::Entity::update_many()
        .col_expr(web_session::Column::RevokedAt, Expr::val(now))
        .filter(web_session::Column::StaffId.eq(staff_id))
        .filter(web_session::Column::RevokedAt.is_null())
        .exec(txn)
        .await?;
    Ok(ended.rows_affected)
}

/// Ends every live session of every staff member of an organization; returns how many.
pub async fn end_sessions_of_organization<C: ConnectionTrait>(
    txn: &C,
    organization_id: i64,
    now: DateTime<Utc>,
) -> Result<u64, sea_orm::DbErr> {
    let members = Query::select()
        .column(staff::Column::Id)
        .from(staff::Entity)
        .and_where(staff::Column::OrganizationId.eq(organization_id))
        .to_owned();
    let ended = web_session::Entity::update_many()
        .col_expr(web_session::Column::RevokedAt, Expr::val(now))
        .filter(web_session::Column::StaffId.in_subquery(members))
        .filter(web_session::Column::RevokedAt.is_null())
        .exec(txn)
        .await?;
    Ok(ended.rows_affected)
}
