//! The subdistrict office's tasks: admission of organizations and merchants, API tokens,
//! the audit log and the outbox. Only office staff may call these.

use crate::domain::OutboxStatus;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::ServiceError;
use super::access::{Caller, require_office_reader};
use super::audit::{self, AuditRecord, Entry};
use super::error::stored;
use super::lockout;
use super::merchants::MerchantSummary;
use super::organization_credit::{self, OrganizationCredit};
use super::organization_services;
use crate::db;
use crate::domain::{OrgKind, PartyStatus, ServiceArea};
use crate::entities::{api_token, audit_log, merchant, organization, outbox};

pub(crate) use super::access::require_admin;

/// An organization as the office's list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationSummary {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// What kind of organization it is.
    pub kind: OrgKind,
    /// Its admission.
    pub status: PartyStatus,
    /// The subdistrict whose office admits it.
    pub subdistrict_id: i64,
    /// The services it offers, for referrals.
    pub areas: Vec<ServiceArea>,
    /// Its credit over the last year (record, score, band).
    pub credit: OrganizationCredit,
}

/// An API token as the office's list shows it (never the token, which is not stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenSummary {
    /// Its row id.
    pub id: i64,
    /// The office's label for it.
    pub label: String,
    /// Whom it acts for.
    pub holder: TokenHolder,
    /// When it was issued.
    pub created_at: DateTime<Utc>,
    /// False once revoked.
    pub active: bool,
}

/// Whom an API token acts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenHolder {
    /// An organization, by id.
    Organization(i64),
    /// A merchant, by id.
    Merchant(i64),
}

/// Every organization of the caller's subdistrict (of every one for the district bureau), by name.
pub async fn organizations(
    db: &DatabaseConnection,
    caller: &Caller,
    now: DateTime<Utc>,
) -> Result<Vec<OrganizationSummary>, ServiceError> {
    let scope = require_office_reader(db, caller, "office.organizations", now).await?;
    let mut areas = organization_services::areas_by_organization(db).await?;
    let mut credit = organization_credit::records(db, now).await?;
    organization::Entity::find()
        .filter(scope.condition(organization::Column::SubdistrictId))
        .order_by_asc(organization::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|o| {
            Ok(OrganizationSummary {
                id: o.id,
                name: o.name,
                kind: stored(&o.kind)?,
                status: o.status,
                subdistrict_id: o.subdistrict_id,
                areas: areas.remove(&o.id).unwrap_or_default(),
                credit: credit.remove(&o.id).unwrap_or_default().into(),
            })
        })
        .collect()
}

/// Every merchant of the caller's subdistrict (of every one for the district bureau), by name.
pub async fn merchants(
    db: &DatabaseConnection,
    caller: &Caller,
    now: DateTime<Utc>,
) -> Result<Vec<MerchantSummary>, ServiceError> {
    let scope = require_office_reader(db, caller, "office.merchants", now).await?;
    merchant::Entity::find()
        .filter(scope.condition(merchant::Column::SubdistrictId))
        .order_by_asc(merchant::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(MerchantSummary::try_from)
        .collect()
}

/// Admits, suspends or reinstates an organization. Any status but approved ends every
/// session of its staff in the same transaction (and sign-in and its tokens are refused
/// while it lasts: see [`super::lockout`]).
pub async fn set_organization_status(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i64,
    status: PartyStatus,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    require_admin(db, caller, "organization.status", now).await?;
    let reason = status_reason(status, reason)?;
    let txn = db::begin_write(db).await?;
    let mut update =
        organization::Entity::update_many().col_expr(organization::Column::Status, Expr::val(status.as_str()));
    if status == PartyStatus::Approved {
        // Admitting (or reinstating) is a decision for a year.
        let until = crate::domain::admission::first_term(crate::domain::time::local_date(now));
        update = update.col_expr(organization::Column::AdmittedUntil, Expr::val(until));
    }
    let changed = update
        .filter(organization::Column::Id.eq(id))
        .filter(own_subdistrict(caller, organization::Column::SubdistrictId))
        .exec(&txn)
        .await?;
    if changed.rows_affected == 0 {
        drop(txn);
        return not_found_audited(db, caller, "organization.status", "organization", id, now).await;
    }
    let sessions_ended = if status == PartyStatus::Approved {
        0
    } else {
        lockout::end_sessions_of_organization(&txn, id, now).await?
    };
    audit::record(
        &txn,
        now,
        Entry::ok(caller.actor(), "organization.status")
            .subject("organization", id)
            .organization(Some(id))
            .detail(
                serde_json::json!({ "status": status.as_str(), "reason": reason, "sessions_ended": sessions_ended }),
            ),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Admits, suspends or reinstates a merchant. A suspended merchant cannot claim, and the
/// periods offered to it as a sponsor go to the pool.
pub async fn set_merchant_status(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i64,
    status: PartyStatus,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    require_admin(db, caller, "merchant.status", now).await?;
    let reason = status_reason(status, reason)?;
    let txn = db::begin_write(db).await?;
    // After a sponsor's renewal or an offer made to it, never in between.
    db::lock_merchant(&txn, id).await?;
    let mut update = merchant::Entity::update_many()
        .col_expr(merchant::Column::Status, Expr::val(status.as_str()))
        .col_expr(merchant::Column::UpdatedAt, Expr::val(now));
    if status == PartyStatus::Approved {
        let until = crate::domain::admission::first_term(crate::domain::time::local_date(now));
        update = update.col_expr(merchant::Column::AdmittedUntil, Expr::val(until));
    }
    let changed = update
        .filter(merchant::Column::Id.eq(id))
        .filter(own_subdistrict(caller, merchant::Column::SubdistrictId))
        .exec(&txn)
        .await?;
    if changed.rows_affected == 0 {
        drop(txn);
        return not_found_audited(db, caller, "merchant.status", "merchant", id, now).await;
    }
    if status != PartyStatus::Approved {
        // It can no longer renew: what waits for its answer goes to other merchants now.
        super::sponsorships::release_offers_of(&txn, id, now).await?;
    }
    audit::record(
        &txn,
        now,
        Entry::ok(caller.actor(), "merchant.status")
            .subject("merchant", id)
            .detail(serde_json::json!({ "status": status.as_str(), "reason": reason })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Keeps an office's change to the parties of its own subdistrict (the process itself may
/// change any).
fn own_subdistrict(caller: &Caller, column: impl ColumnTrait) -> Condition {
    match caller.subdistrict_id() {
        Some(id) => Condition::all().add(column.eq(id)),
        None if matches!(caller, Caller::System) => Condition::all(),
        None => Condition::any(),
    }
}

/// The answer for a party or row outside the office's subdistrict: the same "not found" as a
/// missing one, with a denied row in the audit log (written after the change's transaction
/// was dropped, which changed nothing).
async fn not_found_audited<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    action: &str,
    kind: &'static str,
    id: i64,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    audit::record(conn, now, Entry::denied(caller.actor(), action).subject(kind, id)).await?;
    Err(ServiceError::NotFound(kind))
}

/// The longest reason the office may give for a suspension or a revocation.
pub const REASON_MAX: usize = 500;

/// The reason for a status change: required to take admission away (suspending locks a
/// party out and is written to the audit log with why), optional to admit or reinstate.
fn status_reason(status: PartyStatus, raw: &str) -> Result<String, ServiceError> {
    let min = usize::from(status != PartyStatus::Approved);
    required_reason(raw, min)
}

/// `raw` as a reason of at least `min` characters, or a field error on `reason`.
pub(crate) fn required_reason(raw: &str, min: usize) -> Result<String, ServiceError> {
    crate::domain::input::text(raw, min, REASON_MAX).map_err(|e| {
        let mut errors = crate::domain::input::FieldErrors::default();
        errors.push("reason", e);
        ServiceError::Validation(errors)
    })
}

/// Every API token of the office's subdistrict's parties, newest first.
pub async fn tokens(
    db: &DatabaseConnection,
    caller: &Caller,
    now: DateTime<Utc>,
) -> Result<Vec<TokenSummary>, ServiceError> {
    require_admin(db, caller, "office.tokens", now).await?;
    let mut query = api_token::Entity::find();
    if let Some(s) = caller.subdistrict_id() {
        query = query.filter(
            Condition::any()
                .add(Expr::cust(format!("organization_id IN ({})", organizations_of(s))))
                .add(Expr::cust(format!("merchant_id IN ({})", merchants_of(s)))),
        );
    }
    query
        .order_by_desc(api_token::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|k| {
            let holder = match (k.organization_id, k.merchant_id) {
                (Some(o), _) => TokenHolder::Organization(o),
                (None, Some(m)) => TokenHolder::Merchant(m),
                (None, None) => return Err(ServiceError::Internal(format!("api token {} has no holder", k.id))),
            };
            Ok(TokenSummary {
                id: k.id,
                label: k.label,
                holder,
                created_at: k.created_at,
                active: k.revoked_at.is_none(),
            })
        })
        .collect()
}

/// Filters of the audit log.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Actions starting with this, e.g. `claim.`.
    pub action: Option<String>,
    /// `ok`, `denied` or `failed`.
    pub outcome: Option<String>,
    /// `need`, `claim`, `beneficiary`…
    pub subject_kind: Option<String>,
    /// Page number from 0.
    pub page: u64,
}

/// A page of the audit log, newest first, and whether there are more.
pub async fn audit_log(
    db: &DatabaseConnection,
    caller: &Caller,
    filter: &AuditFilter,
    now: DateTime<Utc>,
) -> Result<(Vec<AuditRecord>, bool), ServiceError> {
    require_admin(db, caller, "office.audit", now).await?;
    let mut query = audit_log::Entity::find();
    if let Some(s) = caller.subdistrict_id() {
        query = query.filter(audit_rows_of(s));
    }
    if let Some(action) = filter.action.as_deref().filter(|a| !a.is_empty()) {
        query = query.filter(audit_log::Column::Action.starts_with(action));
    }
    if let Some(outcome) = filter.outcome.as_deref().filter(|a| !a.is_empty()) {
        query = query.filter(audit_log::Column::Outcome.eq(outcome));
    }
    if let Some(kind) = filter.subject_kind.as_deref().filter(|a| !a.is_empty()) {
        query = query.filter(audit_log::Column::SubjectKind.eq(kind));
    }
    let Some(offset) = page_offset(filter.page) else {
        return Ok((Vec::new(), false));
    };
    let mut rows = query
        .order_by_desc(audit_log::Column::Id)
        .offset(offset)
        .limit(AUDIT_PAGE + 1)
        .all(db)
        .await?;
    let more = rows.len() as u64 > AUDIT_PAGE;
    rows.truncate(AUDIT_PAGE as usize);
    Ok((rows.into_iter().map(AuditRecord::from).collect(), more))
}

const AUDIT_PAGE: u64 = 50;

// The page number comes from the URL and may be anything up to u64::MAX; a page further than the database can
// skip (an i64 offset) is past the end, not an overflow.
fn page_offset(page: u64) -> Option<u64> {
    page.checked_mul(AUDIT_PAGE)
        .filter(|offset| i64::try_from(*offset).is_ok())
}

/// Page `page` (from 0) of the outbox rows in `status` (pending, failed, dead, sent, held),
/// newest first, whether there are more, and counts by status.
pub async fn outbox(
    db: &DatabaseConnection,
    caller: &Caller,
    status: OutboxStatus,
    page: u64,
    now: DateTime<Utc>,
) -> Result<(Vec<outbox::Model>, bool, Vec<(OutboxStatus, u64)>), ServiceError> {
    require_admin(db, caller, "office.outbox", now).await?;
    let scope = match caller.subdistrict_id() {
        Some(s) => outbox_rows_of(s),
        None => Condition::all(),
    };
    let mut rows = match page.checked_mul(OUTBOX_PAGE).filter(|o| i64::try_from(*o).is_ok()) {
        Some(offset) => {
            outbox::Entity::find()
                .filter(scope.clone())
                .filter(outbox::Column::Status.eq(status))
                .order_by_desc(outbox::Column::Id)
                .offset(offset)
                .limit(OUTBOX_PAGE + 1)
                .all(db)
                .await?
        }
        None => Vec::new(),
    };
    let more = rows.len() as u64 > OUTBOX_PAGE;
    rows.truncate(OUTBOX_PAGE as usize);
    let mut counts = Vec::new();
    for &s in OutboxStatus::ALL {
        counts.push((
            s,
            outbox::Entity::find()
                .filter(scope.clone())
                .filter(outbox::Column::Status.eq(s))
                .count(db)
                .await?,
        ));
    }
    Ok((rows, more, counts))
}

/// Outbox rows on one page of the office's list.
pub const OUTBOX_PAGE: u64 = 50;

/// Puts a dead message back in the queue for one more round of attempts.
pub async fn retry_outbox(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i64,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    require_admin(db, caller, "outbox.retry", now).await?;
    let txn = db::begin_write(db).await?;
    let changed = outbox::Entity::update_many()
        .col_expr(outbox::Column::Status, Expr::val(OutboxStatus::Pending))
        .col_expr(outbox::Column::Attempts, Expr::val(0))
        .col_expr(outbox::Column::NextAttemptAt, Expr::val(now))
        .col_expr(outbox::Column::LockedUntil, Expr::val(Option::<DateTime<Utc>>::None))
        .filter(outbox::Column::Id.eq(id))
        .filter(outbox::Column::Status.eq(OutboxStatus::Dead))
        .filter(match caller.subdistrict_id() {
            Some(s) => outbox_rows_of(s),
            None => Condition::all(),
        })
        .exec(&txn)
        .await?;
    if changed.rows_affected == 0 {
        let visible = match caller.subdistrict_id() {
            Some(s) => {
                outbox::Entity::find_by_id(id)
                    .filter(outbox_rows_of(s))
                    .count(&txn)
                    .await?
                    > 0
            }
            None => true,
        };
        if !visible {
            drop(txn);
            return not_found_audited(db, caller, "outbox.retry", "outbox", id, now).await;
        }
        return Err(ServiceError::Conflict("only a dead message can be retried".into()));
    }
    audit::record(
        &txn,
        now,
        Entry::ok(caller.actor(), "outbox.retry").subject("outbox", id),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

// The sub-selects below name a subdistrict by its id, an integer of the caller's own account,
// so formatting it into the SQL carries no outside text.

/// `SELECT id FROM organizations` of subdistrict `s`.
fn organizations_of(s: i64) -> String {
    format!("SELECT id FROM organizations WHERE subdistrict_id = {s}")
}

/// `SELECT id FROM merchants` of subdistrict `s`.
fn merchants_of(s: i64) -> String {
    format!("SELECT id FROM merchants WHERE subdistrict_id = {s}")
}

/// Staff accounts of subdistrict `s`: its office and its organizations' social workers.
fn staff_of(s: i64) -> String {
    format!(
        "SELECT id FROM staff WHERE subdistrict_id = {s} OR organization_id IN ({})",
        organizations_of(s)
    )
}

/// The audit rows an office of subdistrict `s` reads: about its organizations (by the row's
/// organization or subject), its merchants (as actor or subject), and what its staff and its
/// parties' API tokens did. Rows tied to no party (the process's own, an unknown sign-in)
/// belong to no office.
fn audit_rows_of(s: i64) -> Condition {
    let as_text = |select: String| format!("SELECT CAST(id AS VARCHAR(20)) FROM ({select}) AS ids");
    let tokens = format!(
        "SELECT id FROM api_tokens WHERE organization_id IN ({}) OR merchant_id IN ({})",
        organizations_of(s),
        merchants_of(s)
    );
    Condition::any()
        .add(Expr::cust(format!(
            "audit_log.organization_id IN ({})",
            organizations_of(s)
        )))
        .add(Expr::cust(format!(
            "(audit_log.subject_kind = 'organization' AND audit_log.subject_id IN ({}))",
            as_text(organizations_of(s))
        )))
        .add(Expr::cust(format!(
            "(audit_log.subject_kind = 'merchant' AND audit_log.subject_id IN ({}))",
            as_text(merchants_of(s))
        )))
        .add(Expr::cust(format!(
            "(audit_log.subject_kind = 'merchant_application' AND audit_log.subject_id IN ({}))",
            as_text(format!(
                "SELECT id FROM merchant_applications WHERE subdistrict_id = {s}"
            ))
        )))
        .add(Expr::cust(format!(
            "(audit_log.actor_kind = 'merchant' AND audit_log.actor_id IN ({}))",
            as_text(merchants_of(s))
        )))
        .add(Expr::cust(format!(
            "(audit_log.actor_kind = 'staff' AND audit_log.actor_id IN ({}))",
            as_text(staff_of(s))
        )))
        .add(Expr::cust(format!(
            "(audit_log.actor_kind = 'api_token' AND audit_log.actor_id IN ({}))",
            as_text(tokens)
        )))
}

/// The outbox rows an office of subdistrict `s` reads: to its merchants, to residents whose
/// consent its organizations hold, to its staff, and to organizations and shops that applied
/// to it (their rows name the subdistrict).
fn outbox_rows_of(s: i64) -> Condition {
    Condition::any()
        .add(outbox::Column::SubdistrictId.eq(s))
        .add(Expr::cust(format!("outbox.merchant_id IN ({})", merchants_of(s))))
        .add(Expr::cust(format!(
            "outbox.contact_id IN (SELECT id FROM contacts WHERE organization_id IN ({}))",
            organizations_of(s)
        )))
        .add(Expr::cust(format!(
            "outbox.recipient IN (SELECT email FROM staff WHERE id IN ({}))",
            staff_of(s)
        )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_audit_page_past_what_the_database_can_skip_is_empty_rather_than_an_overflow() {
        // `/admin/audit?page=18446744073709551615` multiplied the page by its size and overflowed.
        assert_eq!(page_offset(0), Some(0));
        assert_eq!(page_offset(3), Some(150));
        assert_eq!(page_offset(u64::MAX), None);
        assert_eq!(page_offset(u64::MAX / AUDIT_PAGE), None);
        assert_eq!(
            page_offset(i64::MAX as u64 / AUDIT_PAGE),
            Some(i64::MAX as u64 / AUDIT_PAGE * AUDIT_PAGE)
        );
    }
}
