//! Possible duplicates: the same person registered by two organizations, found by keyed
//! digests of the phone and the ID number.
//!
//! The worker who registers is told nothing about other organizations (that would tell any
//! worker whether a phone belongs to another organization's beneficiary). A match with
//! another organization's beneficiary is written to the office's queue in the registration
//! transaction; the office sees the pair by codes and organization names, never the private
//! values, and resolves it: `same_person` (both organizations' social workers are emailed to
//! coordinate) or `different` (dismissed). Within one organization a match is shown to the
//! worker on the record: they can read both records anyway.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::ServiceError;
use super::access::Caller;
use super::audit::{self, Entry};
use super::outbox::{Channel, Coordinate, Message, Notification, enqueue};
use super::private_details::{PrivateDetails, id_number_digest, phone_digest};
use crate::config::Secret;
use crate::db;
use crate::domain::{DuplicateMatch, DuplicateStatus, Role};
use crate::entities::{beneficiary, beneficiary_private, organization, possible_duplicate, staff};

/// At most this many earlier beneficiaries are flagged for one registration.
const MAX_FLAGGED: u64 = 20;

/// Earlier beneficiaries whose phone or ID number digest equals `details`', with what matched.
async fn matches<C: ConnectionTrait>(
    conn: &C,
    secret: &Secret,
    beneficiary_id: i64,
    details: &PrivateDetails,
) -> Result<Vec<(beneficiary::Model, DuplicateMatch)>, ServiceError> {
    let phone = phone_digest(secret, &details.phone);
    let id_number = id_number_digest(secret, &details.id_number);
    let mut any = sea_orm::Condition::any();
    if let Some(p) = &phone {
        any = any.add(beneficiary_private::Column::PhoneDigest.eq(p.as_str()));
    }
    if let Some(i) = &id_number {
        any = any.add(beneficiary_private::Column::IdNumberDigest.eq(i.as_str()));
    }
    if phone.is_none() && id_number.is_none() {
        return Ok(Vec::new());
    }
    let rows = beneficiary_private::Entity::find()
        .filter(any)
        .filter(beneficiary_private::Column::BeneficiaryId.ne(beneficiary_id))
        .order_by_asc(beneficiary_private::Column::BeneficiaryId)
        .limit(MAX_FLAGGED)
        .find_also_related(beneficiary::Entity)
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(p, b)| {
            let found = DuplicateMatch::of(
                phone.is_some() && p.phone_digest == phone,
                id_number.is_some() && p.id_number_digest == id_number,
            )?;
            Some((b?, found))
        })
        .collect())
}

/// Writes every match of the new beneficiary `new` with another organization's beneficiary
/// to the office's queue, in the registration transaction; returns how many.
pub async fn flag_matches<C: ConnectionTrait>(
    txn: &C,
    secret: &Secret,
    new: &beneficiary::Model,
    details: &PrivateDetails,
    now: DateTime<Utc>,
) -> Result<usize, ServiceError> {
    let mut flagged = 0;
    for (other, found) in matches(txn, secret, new.id, details).await? {
        if other.organization_id == new.organization_id {
            continue;
        }
        possible_duplicate::ActiveModel {
            beneficiary_id: Set(new.id),
            other_beneficiary_id: Set(other.id),
            matched: Set(found.as_str().to_owned()),
            status: Set(DuplicateStatus::Open.as_str().to_owned()),
            created_at: Set(now),
            resolved_by: Set(None),
            resolved_at: Set(None),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        flagged += 1;
    }
    Ok(flagged)
}

/// Beneficiaries of the same organization that share beneficiary `id`'s phone or ID number:
/// their codes and what matched. Only for callers who may read `id`.
pub async fn same_organization(
    db: &DatabaseConnection,
    secret: &Secret,
    caller: &Caller,
    id: i64,
) -> Result<Vec<(String, DuplicateMatch)>, ServiceError> {
    let found = beneficiary::Entity::find_by_id(id).one(db).await?;
    let Some(b) = found else {
        return Err(ServiceError::NotFound("beneficiary"));
    };
    if !caller.org_scope().permits(db, b.organization_id).await? {
        return Err(ServiceError::NotFound("beneficiary"));
    }
    let Some(details) = super::private_details::load_private(db, secret, b.id).await? else {
        return Ok(Vec::new());
    };
    Ok(matches(db, secret, b.id, &details)
        .await?
        .into_iter()
        .filter(|(other, _)| other.organization_id == b.organization_id)
        .map(|(other, found)| (other.code, found))
        .collect())
}

/// One side of a possible duplicate, as the office sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Side {
    /// The beneficiary's pseudonymous code.
    pub code: String,
    /// The organization's name.
    pub organization: String,
}

/// A possible duplicate in the office's queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicatePair {
    /// The queue row.
    pub id: i64,
    /// The beneficiary registered later.
    pub new: Side,
    /// The earlier one.
    pub earlier: Side,
    /// What matched.
    pub matched: DuplicateMatch,
    /// Where the review stands.
    pub status: DuplicateStatus,
    /// When it was found.
    pub created_at: DateTime<Utc>,
    /// When it was resolved.
    pub resolved_at: Option<DateTime<Utc>>,
}

/// Refuses (and audits) anyone but office staff.
async fn require_office(
    db: &DatabaseConnection,
    caller: &Caller,
    action: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    if matches!(caller, Caller::Admin { .. }) {
        return Ok(());
    }
    audit::record(
        db,
        now,
        Entry::denied(caller.actor(), action).organization(caller.organization_id()),
    )
    .await?;
    Err(ServiceError::Forbidden)
}

/// The pairs an office handles: those raised by a registration in its own subdistrict (the
/// earlier side may be of another; each pair has one office).
fn raised_in_scope(caller: &Caller) -> sea_orm::Condition {
    let registered_here = beneficiary::Entity::find()
        .select_only()
        .column(beneficiary::Column::Id)
        .filter(caller.org_scope().condition(beneficiary::Column::OrganizationId));
    sea_orm::Condition::all()
        .add(possible_duplicate::Column::BeneficiaryId.in_subquery(sea_orm::QueryTrait::into_query(registered_here)))
}

/// The office's queue: open pairs first, then the 100 last resolved. Office staff only.
pub async fn queue(
    db: &DatabaseConnection,
    caller: &Caller,
    now: DateTime<Utc>,
) -> Result<Vec<DuplicatePair>, ServiceError> {
    require_office(db, caller, "duplicate.queue", now).await?;
    let open = possible_duplicate::Entity::find()
        .filter(raised_in_scope(caller))
        .filter(possible_duplicate::Column::Status.eq(DuplicateStatus::Open.as_str()))
        .order_by_asc(possible_duplicate::Column::Id)
        .limit(500)
        .all(db)
        .await?;
    let resolved = possible_duplicate::Entity::find()
        .filter(raised_in_scope(caller))
        .filter(possible_duplicate::Column::Status.ne(DuplicateStatus::Open.as_str()))
        .order_by_desc(possible_duplicate::Column::ResolvedAt)
        .limit(100)
        .all(db)
        .await?;
    let rows: Vec<_> = open.into_iter().chain(resolved).collect();
    let ids: Vec<i64> = rows
        .iter()
        .flat_map(|r| [r.beneficiary_id, r.other_beneficiary_id])
        .collect();
    let beneficiaries: std::collections::HashMap<i64, beneficiary::Model> = beneficiary::Entity::find()
        .filter(beneficiary::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|b| (b.id, b))
        .collect();
    let organizations: std::collections::HashMap<i64, String> = organization::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    let side = |id: i64| {
        let b = beneficiaries.get(&id);
        Side {
            code: b.map(|b| b.code.clone()).unwrap_or_default(),
            organization: b
                .and_then(|b| organizations.get(&b.organization_id))
                .cloned()
                .unwrap_or_default(),
        }
    };
    Ok(rows
        .iter()
        .map(|r| DuplicatePair {
            id: r.id,
            new: side(r.beneficiary_id),
            earlier: side(r.other_beneficiary_id),
            matched: r.matched.parse().unwrap_or(DuplicateMatch::Phone),
            status: r.status.parse().unwrap_or(DuplicateStatus::Open),
            created_at: r.created_at,
            resolved_at: r.resolved_at,
        })
        .collect())
}

/// The office resolves possible duplicate `id` as the same person (both organizations'
/// social workers are emailed to coordinate, in this transaction) or as different people
/// (dismissed). Only an open pair can be resolved; the decision is audited.
pub async fn resolve(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i64,
    decision: DuplicateStatus,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    require_office(db, caller, "duplicate.resolve", now).await?;
    if decision == DuplicateStatus::Open {
        return Err(ServiceError::invalid(
            "decision",
            "choose same person or different people",
        ));
    }
    let txn = db::begin_write(db).await?;
    let changed = possible_duplicate::Entity::update_many()
        .col_expr(possible_duplicate::Column::Status, Expr::val(decision.as_str()))
        .col_expr(possible_duplicate::Column::ResolvedBy, Expr::val(caller.staff_id()))
        .col_expr(possible_duplicate::Column::ResolvedAt, Expr::val(now))
        .filter(possible_duplicate::Column::Id.eq(id))
        .filter(raised_in_scope(caller))
        .filter(possible_duplicate::Column::Status.eq(DuplicateStatus::Open.as_str()))
        .exec(&txn)
        .await?;
    if changed.rows_affected != 1 {
        let own = possible_duplicate::Entity::find_by_id(id).filter(raised_in_scope(caller));
        return match own.one(&txn).await? {
            Some(_) => Err(ServiceError::Conflict(
                "this possible duplicate was resolved already".into(),
            )),
            None => Err(ServiceError::NotFound("possible duplicate")),
        };
    }
    let row = possible_duplicate::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound("possible duplicate"))?;
    let mut told = 0;
    if decision == DuplicateStatus::SamePerson {
        told = tell_to_coordinate(&txn, &row, now).await?;
    }
    audit::record(
        &txn,
        now,
        Entry::ok(caller.actor(), "duplicate.resolve")
            .subject("possible_duplicate", id)
            .detail(serde_json::json!({ "decision": decision.as_str(), "staff_told": told })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Emails every active social worker of both organizations: which of their records it is,
/// and the other organization and record to coordinate with. Codes and names only.
async fn tell_to_coordinate<C: ConnectionTrait>(
    txn: &C,
    row: &possible_duplicate::Model,
    now: DateTime<Utc>,
) -> Result<usize, ServiceError> {
    let pair = beneficiary::Entity::find()
        .filter(beneficiary::Column::Id.is_in([row.beneficiary_id, row.other_beneficiary_id]))
        .all(txn)
        .await?;
    let (Some(new), Some(earlier)) = (
        pair.iter().find(|b| b.id == row.beneficiary_id),
        pair.iter().find(|b| b.id == row.other_beneficiary_id),
    ) else {
        return Err(ServiceError::NotFound("beneficiary"));
    };
    let name = |org: i64| async move {
        Ok::<_, ServiceError>(
            organization::Entity::find_by_id(org)
                .one(txn)
                .await?
                .map(|o| o.name)
                .unwrap_or_default(),
        )
    };
    let mut told = 0;
    for (own, other) in [(new, earlier), (earlier, new)] {
        let other_name = name(other.organization_id).await?;
        let workers = staff::Entity::find()
            .filter(staff::Column::OrganizationId.eq(own.organization_id))
            .filter(staff::Column::Role.eq(Role::SocialWorker.as_str()))
            .filter(staff::Column::Active.eq(true))
            .all(txn)
            .await?;
        for w in workers {
            let coordinate = Notification::WorkerDuplicateCoordinate(Coordinate {
                beneficiary_id: own.id,
                own_code: own.code.clone(),
                other_code: other.code.clone(),
                other_organization: other_name.clone(),
            });
            let message = Message::new(
                Channel::Email,
                w.email.clone(),
                w.locale.map(crate::domain::Locale::from).unwrap_or_default(),
                &coordinate,
                format!("duplicate:{}:staff:{}", row.id, w.id),
            );
            if enqueue(txn, message, now).await? {
                told += 1;
            }
        }
    }
    Ok(told)
}
