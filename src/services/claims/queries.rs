//! What callers may read of claims: merchants their own, organizations those on their
//! needs, the office all; anyone else's is "not found", audited.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::{ClaimRecord, HANDOFF_TRIES};
use crate::domain::ClaimStatus;
use crate::entities::{claim, drop_off_point, merchant, need};
use crate::services::ServiceError;
use crate::services::access::{Caller, OrgScope};
use crate::services::audit::{self, Entry};
use crate::services::need_cards::DropOff;

/// Claims the caller may see, newest first (merchants: their own; organizations: those on
/// their needs; the office: all).
pub async fn list_claims(
    db: &DatabaseConnection,
    caller: &Caller,
    statuses: &[ClaimStatus],
    limit: u64,
) -> Result<Vec<ClaimRecord>, ServiceError> {
    let mut query = claim::Entity::find();
    if let Some(m) = caller.merchant_id() {
        query = query.filter(claim::Column::MerchantId.eq(m));
    } else {
        match caller.org_scope() {
            OrgScope::All => {}
            OrgScope::NoneOf => return Err(ServiceError::Forbidden),
            scope @ (OrgScope::Only(_) | OrgScope::Subdistrict(_)) => {
                let own_needs = need::Entity::find()
                    .select_only()
                    .column(need::Column::Id)
                    .filter(scope.condition(need::Column::OrganizationId));
                query = query.filter(claim::Column::NeedId.in_subquery(sea_orm::QueryTrait::into_query(own_needs)));
            }
        }
    }
    if !statuses.is_empty() {
        query = query.filter(claim::Column::Status.is_in(statuses.iter().copied()));
    }
    let rows = query
        .order_by_desc(claim::Column::Id)
        .limit(limit.clamp(1, 500))
        .all(db)
        .await?;
    // Needs and merchants in two queries, however many claims.
    let need_ids: HashSet<i64> = rows.iter().map(|c| c.need_id).collect();
    let merchant_ids: HashSet<i64> = rows.iter().map(|c| c.merchant_id).collect();
    let needs: HashMap<i64, need::Model> = need::Entity::find()
        .filter(need::Column::Id.is_in(need_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|n| (n.id, n))
        .collect();
    let merchants: HashMap<i64, merchant::Model> = merchant::Entity::find()
        .filter(merchant::Column::Id.is_in(merchant_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.id, m))
        .collect();
    let point_ids: HashSet<i64> = needs.values().filter_map(|n| n.drop_off_point_id).collect();
    let points: HashMap<i64, drop_off_point::Model> = drop_off_point::Entity::find()
        .filter(drop_off_point::Column::Id.is_in(point_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let show_code = caller.merchant_id().is_some();
    rows.into_iter()
        .map(|c| {
            let need = needs.get(&c.need_id).ok_or(ServiceError::NotFound("need"))?;
            let merchant = merchants
                .get(&c.merchant_id)
                .ok_or(ServiceError::NotFound("merchant"))?;
            let drop_off = need.drop_off_point_id.and_then(|id| points.get(&id)).map(DropOff::from);
            record_of(c, need, merchant, drop_off, show_code)
        })
        .collect()
}

/// One claim the caller may see.
pub async fn get_claim(
    db: &DatabaseConnection,
    caller: &Caller,
    claim_id: i64,
    now: DateTime<Utc>,
) -> Result<ClaimRecord, ServiceError> {
    let c = claim::Entity::find_by_id(claim_id)
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("claim"))?;
    let need = need::Entity::find_by_id(c.need_id)
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("claim"))?;
    let allowed = match caller.merchant_id() {
        Some(m) => m == c.merchant_id,
        None => caller.org_scope().permits(db, need.organization_id).await?,
    };
    if !allowed {
        audit::record(
            db,
            now,
            Entry::denied(caller.actor(), "claim.read").subject("claim", claim_id),
        )
        .await?;
        return Err(ServiceError::NotFound("claim"));
    }
    load_record(db, c, caller.merchant_id().is_some()).await
}

pub(super) async fn reload<C: ConnectionTrait>(
    conn: &C,
    claim_id: i64,
    show_code: bool,
) -> Result<ClaimRecord, ServiceError> {
    let c = claim::Entity::find_by_id(claim_id)
        .one(conn)
        .await?
        .ok_or(ServiceError::NotFound("claim"))?;
    load_record(conn, c, show_code).await
}

pub(super) async fn load_record<C: ConnectionTrait>(
    conn: &C,
    c: claim::Model,
    show_code: bool,
) -> Result<ClaimRecord, ServiceError> {
    let need = need::Entity::find_by_id(c.need_id)
        .one(conn)
        .await?
        .ok_or(ServiceError::NotFound("need"))?;
    let merchant = merchant::Entity::find_by_id(c.merchant_id)
        .one(conn)
        .await?
        .ok_or(ServiceError::NotFound("merchant"))?;
    let drop_off = match need.drop_off_point_id {
        Some(id) => drop_off_point::Entity::find_by_id(id)
            .one(conn)
            .await?
            .as_ref()
            .map(DropOff::from),
        None => None,
    };
    record_of(c, &need, &merchant, drop_off, show_code)
}

pub(super) fn record_of(
    c: claim::Model,
    need: &need::Model,
    merchant: &merchant::Model,
    drop_off: Option<DropOff>,
    show_code: bool,
) -> Result<ClaimRecord, ServiceError> {
    Ok(ClaimRecord {
        id: c.id,
        need_id: c.need_id,
        need_title: need.title.clone(),
        merchant_id: c.merchant_id,
        merchant_name: merchant.name.clone(),
        quantity: c.quantity,
        unit: need.unit.clone(),
        status: c.status,
        handoff_code: show_code.then_some(c.handoff_code),
        due_at: c.due_at,
        delivered_at: c.delivered_at,
        confirmed_at: c.confirmed_at,
        rating: c.rating,
        handoff_locked: c.handoff_failures >= HANDOFF_TRIES,
        created_at: c.created_at,
        hours: need.category == crate::domain::Category::VolunteerHours.as_str(),
        dispute_reason: c.dispute_reason,
        dispute_answer: c.dispute_answer,
        drop_off,
    })
}

/// The claims of one need the caller may see (its organization or the office), oldest first.
pub async fn of_need(
    db: &DatabaseConnection,
    caller: &Caller,
    need_id: i64,
    now: DateTime<Utc>,
) -> Result<Vec<ClaimRecord>, ServiceError> {
    let card = crate::services::need_cards::get_need(db, caller, need_id, now).await?;
    if caller.merchant_id().is_some() {
        return Err(ServiceError::Forbidden);
    }
    let rows = claim::Entity::find()
        .filter(claim::Column::NeedId.eq(card.id))
        .order_by_asc(claim::Column::Id)
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for c in rows {
        out.push(load_record(db, c, false).await?);
    }
    Ok(out)
}

/// Why a merchant could not claim a need it asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unclaimable {
    /// No such need.
    NoSuchNeed,
    /// The merchant holds an active claim on it already (a double tap).
    AlreadyYours,
    /// Someone else took what was left, or it closed.
    Gone,
}

/// Tells a double tap from a loss when a claim on `need_id` was refused for want of units.
pub async fn unclaimable(db: &DatabaseConnection, merchant_id: i64, need_id: i64) -> Result<Unclaimable, ServiceError> {
    if need::Entity::find_by_id(need_id).one(db).await?.is_none() {
        return Ok(Unclaimable::NoSuchNeed);
    }
    let held = claim::Entity::find()
        .filter(claim::Column::MerchantId.eq(merchant_id))
        .filter(claim::Column::NeedId.eq(need_id))
        .filter(claim::Column::Status.eq(ClaimStatus::Active))
        .one(db)
        .await?;
    Ok(if held.is_some() {
        Unclaimable::AlreadyYours
    } else {
        Unclaimable::Gone
    })
}
