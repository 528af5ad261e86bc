//! The services each organization offers (its service areas), kept by the office. The
//! referral form offers only organizations whose areas cover the service sought.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set};

use super::ServiceError;
use super::access::Caller;
use super::access::require_admin;
use super::audit::{self, Entry};
use crate::db;
use crate::domain::{PartyStatus, ServiceArea};
use crate::entities::{organization, organization_service};

/// An organization and the areas it offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationServices {
    /// The organization.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// What it offers, in [`ServiceArea::ALL`] order.
    pub areas: Vec<ServiceArea>,
}

/// The areas of every organization, by id (organizations offering none are absent).
pub async fn areas_by_organization<C: ConnectionTrait>(
    conn: &C,
) -> Result<BTreeMap<i64, Vec<ServiceArea>>, ServiceError> {
    let mut by_org: BTreeMap<i64, Vec<ServiceArea>> = BTreeMap::new();
    for row in organization_service::Entity::find().all(conn).await? {
        by_org.entry(row.organization_id).or_default().push(row.service_area);
    }
    for areas in by_org.values_mut() {
        areas.sort();
    }
    Ok(by_org)
}

/// Organization `id` with its areas, for the office's form.
pub async fn of_organization(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i64,
    now: DateTime<Utc>,
) -> Result<OrganizationServices, ServiceError> {
    require_admin(db, caller, "organization.services", now).await?;
    let org = organization::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|o| caller.subdistrict_id().is_none_or(|s| s == o.subdistrict_id))
        .ok_or(ServiceError::NotFound("organization"))?;
    let mut areas: Vec<ServiceArea> = organization_service::Entity::find()
        .filter(organization_service::Column::OrganizationId.eq(id))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.service_area)
        .collect();
    areas.sort();
    Ok(OrganizationServices {
        id,
        name: org.name,
        areas,
    })
}

/// Replaces organization `id`'s areas with `areas` (the office only), audited with the
/// areas before and after.
pub async fn set_areas(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i64,
    areas: &[ServiceArea],
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    require_admin(db, caller, "organization.services", now).await?;
    let mut areas = areas.to_vec();
    areas.sort();
    areas.dedup();
    let txn = db::begin_write(db).await?;
    let own = organization::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .is_some_and(|o| caller.subdistrict_id().is_none_or(|s| s == o.subdistrict_id));
    if !own {
        return Err(ServiceError::NotFound("organization"));
    }
    let before: Vec<ServiceArea> = organization_service::Entity::find()
        .filter(organization_service::Column::OrganizationId.eq(id))
        .order_by_asc(organization_service::Column::ServiceArea)
        .all(&txn)
        .await?
        .into_iter()
        .map(|r| r.service_area)
        .collect();
    organization_service::Entity::delete_many()
        .filter(organization_service::Column::OrganizationId.eq(id))
        .exec(&txn)
        .await?;
    if !areas.is_empty() {
        organization_service::Entity::insert_many(areas.iter().map(|a| organization_service::ActiveModel {
            organization_id: Set(id),
            service_area: Set(*a),
        }))
        .exec_without_returning(&txn)
        .await?;
    }
    let names = |list: &[ServiceArea]| list.iter().map(|a| a.as_str()).collect::<Vec<_>>();
    audit::record(
        &txn,
        now,
        Entry::ok(caller.actor(), "organization.services")
            .subject("organization", id)
            .organization(Some(id))
            .detail(serde_json::json!({ "before": names(&before), "after": names(&areas) })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The approved organizations offering `area`, by name, other than `except`: whom a case
/// may be referred to.
pub async fn offering<C: ConnectionTrait>(
    conn: &C,
    area: ServiceArea,
    except: i64,
) -> Result<Vec<(i64, String)>, ServiceError> {
    let ids: Vec<i64> = organization_service::Entity::find()
        .filter(organization_service::Column::ServiceArea.eq(area))
        .filter(organization_service::Column::OrganizationId.ne(except))
        .all(conn)
        .await?
        .into_iter()
        .map(|r| r.organization_id)
        .collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(organization::Entity::find()
        .filter(organization::Column::Id.is_in(ids))
        .filter(organization::Column::Status.eq(PartyStatus::Approved))
        .order_by_asc(organization::Column::Name)
        .all(conn)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect())
}
