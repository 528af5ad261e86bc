//! The case file's changes: edit the sealed details, record consent to data processing,
//! close (cancelling the person's open needs and stopping their mail), reopen, and the
//! erasure of cases closed longer than the retention period. Each use case is one
//! transaction with its audit row; changes of status are conditional updates.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::ServiceError;
use super::access::Caller;
use super::audit::{self, Actor, Entry};
use super::beneficiaries::{BeneficiaryInput, check_input};
use super::private_details::{self, PrivateDetails};
use crate::config::Secret;
use crate::db;
use crate::domain::case::{CONSENT_VERSION, CaseState, erase_closed_before};
use crate::domain::input::{self, FieldError, FieldErrors};
use crate::domain::referral::ReferralStatus;
use crate::domain::{CaseRefusal, CaseStatus, ClosedReason, NeedStatus};
use crate::entities::{beneficiary, claim, community, contact, ledger_entry, need, referral, visit};

/// The reason merchants read when a need ends with its case: public, so it says nothing of why.
pub const CLOSED_CASE_NEED_REASON: &str = "受助人的个案已结案 / The person's case was closed";

/// The case's state as its rules read it.
fn state(b: &beneficiary::Model) -> CaseState {
    CaseState {
        status: b.case_status,
        erased_at: b.erased_at,
    }
}

/// A refusal of the case's rules, as the form shows it.
fn refused(field: &'static str, refusal: CaseRefusal) -> ServiceError {
    let mut errors = FieldErrors::default();
    errors.push(field, FieldError::Case(refusal));
    ServiceError::Validation(errors)
}

/// The beneficiary `id` for a change by `caller`: only the owning organization's staff.
/// Another organization's case and a missing one answer the same "not found", audited as
/// denied `action`; the office, which may read but not change it, is forbidden.
async fn owned_for_change<C: ConnectionTrait>(
    txn: &C,
    caller: &Caller,
    id: i64,
    action: &str,
    now: DateTime<Utc>,
) -> Result<beneficiary::Model, ServiceError> {
    // Locked (PostgreSQL; SQLite's write transaction holds the database already), so that a
    // referral accepted at the same moment is seen: the case is then another organization's.
    let mut query = beneficiary::Entity::find_by_id(id);
    if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        query = query.lock_exclusive();
    }
    let found = query.one(txn).await?;
    match found {
        Some(b) if caller.organization_id() == Some(b.organization_id) => Ok(b),
        Some(b) if caller.org_scope().permits(txn, b.organization_id).await? => Err(ServiceError::Forbidden),
        _ => {
            audit::record(
                txn,
                now,
                Entry::denied(caller.actor(), action)
                    .subject("beneficiary", id)
                    .organization(caller.organization_id()),
            )
            .await?;
            Err(ServiceError::NotFound("beneficiary"))
        }
    }
}

/// The case `id` the owning organization may change, the denial of anyone else committed.
async fn load_for_change(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i64,
    action: &str,
    now: DateTime<Utc>,
) -> Result<(db::WriteTxn, beneficiary::Model), ServiceError> {
    let txn = db::begin_write(db).await?;
    match owned_for_change(&txn, caller, id, action, now).await {
        Ok(b) => Ok((txn, b)),
        Err(e) => {
            txn.commit().await?;
            Err(e)
        }
    }
}

/// Edits case `id`'s community, group and sealed details: re-sealed, digests refreshed, and
/// the duplicate check run again as registration does. The audit row names the fields that
/// changed, never their values. The contact is not changed here (`notify_email` is ignored).
pub async fn edit(
    db: &DatabaseConnection,
    secret: &Secret,
    caller: &Caller,
    id: i64,
    form: &BeneficiaryInput,
    household_notes: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let (txn, b) = load_for_change(db, caller, id, "beneficiary.edit", now).await?;
    state(&b).edit().map_err(|r| refused("case", r))?;
    let form = BeneficiaryInput {
        notify_email: String::new(),
        ..form.clone()
    };
    let (community_id, checked) = check_input(&form);
    let household_notes = input::text(household_notes, 0, 1000);
    let community_missing = match community_id {
        Some(id) => community::Entity::find_by_id(id).one(&txn).await?.is_none(),
        None => false,
    };
    let (mut draft, household_notes) = match (checked, household_notes) {
        (Ok(draft), Ok(notes)) if !community_missing => (draft, notes),
        (checked, notes) => {
            let mut errors = checked.err().unwrap_or_default();
            if let Err(e) = notes {
                errors.push("household_notes", e);
            }
            if community_missing {
                errors.push("community_id", FieldError::UnknownChoice);
            }
            return Err(ServiceError::Validation(errors));
        }
    };
    draft.details.household_notes = household_notes;
    let old = private_details::private_details(&txn, secret, b.id)
        .await?
        .unwrap_or_default();
    let mut changed = old.changed_fields(&draft.details);
    if draft.community_id != b.community_id {
        changed.push("community_id");
    }
    if draft.group.as_str() != b.beneficiary_group {
        changed.push("group");
    }
    beneficiary::Entity::update_many()
        .col_expr(beneficiary::Column::CommunityId, Expr::val(draft.community_id))
        .col_expr(beneficiary::Column::BeneficiaryGroup, Expr::val(draft.group.as_str()))
        .col_expr(beneficiary::Column::UpdatedAt, Expr::val(now))
        .filter(beneficiary::Column::Id.eq(b.id))
        .exec(&txn)
        .await?;
    private_details::replace_private(&txn, secret, b.id, &draft.details, now).await?;
    let flagged = if old.phone != draft.details.phone || old.id_number != draft.details.id_number {
        flag_new_matches(&txn, secret, &b, &draft.details, now).await?
    } else {
        0
    };
    audit::record(
        &txn,
        now,
        Entry::ok(caller.actor(), "beneficiary.edit")
            .subject("beneficiary", b.id)
            .organization(Some(b.organization_id))
            .detail(serde_json::json!({ "changed": changed, "possible_duplicates": flagged })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Runs registration's duplicate check for edited details. A pair the office already has,
/// in either direction, keeps its row and review; only new pairs are flagged. Returns how
/// many were.
async fn flag_new_matches<C: ConnectionTrait>(
    txn: &C,
    secret: &Secret,
    b: &beneficiary::Model,
    details: &PrivateDetails,
    now: DateTime<Utc>,
) -> Result<usize, ServiceError> {
    use crate::entities::possible_duplicate::{self, Column};
    let known: Vec<possible_duplicate::Model> = possible_duplicate::Entity::find()
        .filter(
            sea_orm::Condition::any()
                .add(Column::BeneficiaryId.eq(b.id))
                .add(Column::OtherBeneficiaryId.eq(b.id)),
        )
        .all(txn)
        .await?;
    let known_others: Vec<i64> = known
        .iter()
        .map(|k| {
            if k.beneficiary_id == b.id {
                k.other_beneficiary_id
            } else {
                k.beneficiary_id
            }
        })
        .collect();
    let mine: Vec<possible_duplicate::Model> = known.into_iter().filter(|k| k.beneficiary_id == b.id).collect();
    // The check inserts a row per match; this row's own pairs make way and come back after.
    possible_duplicate::Entity::delete_many()
        .filter(Column::BeneficiaryId.eq(b.id))
        .exec(txn)
        .await?;
    let found = super::duplicates::flag_matches(txn, secret, b, details, now).await?;
    let repeated = possible_duplicate::Entity::delete_many()
        .filter(Column::BeneficiaryId.eq(b.id))
        .filter(Column::OtherBeneficiaryId.is_in(known_others))
        .exec(txn)
        .await?
        .rows_affected;
    for row in mine {
        // Every field set, so the insert writes the row back as it was, id included.
        let row = sea_orm::ActiveModelTrait::reset_all(sea_orm::IntoActiveModel::into_active_model(row));
        sea_orm::ActiveModelTrait::insert(row, txn).await?;
    }
    Ok(found.saturating_sub(usize::try_from(repeated).unwrap_or(found)))
}

/// Records that the person of case `id` agreed to the current consent wording
/// ([`CONSENT_VERSION`]), by whom and when; `agreed` is the form's checkbox.
pub async fn record_consent(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i64,
    agreed: bool,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let (txn, b) = load_for_change(db, caller, id, "beneficiary.consent", now).await?;
    state(&b).edit().map_err(|r| refused("consent", r))?;
    if !agreed {
        let mut errors = FieldErrors::default();
        errors.push("consent", FieldError::ConsentNeeded);
        return Err(ServiceError::Validation(errors));
    }
    beneficiary::Entity::update_many()
        .col_expr(beneficiary::Column::ConsentAt, Expr::val(now))
        .col_expr(beneficiary::Column::ConsentVersion, Expr::val(CONSENT_VERSION))
        .col_expr(beneficiary::Column::ConsentRecordedBy, Expr::val(caller.staff_id()))
        .col_expr(beneficiary::Column::UpdatedAt, Expr::val(now))
        .filter(beneficiary::Column::Id.eq(b.id))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        now,
        Entry::ok(caller.actor(), "beneficiary.consent")
            .subject("beneficiary", b.id)
            .organization(Some(b.organization_id))
            .detail(serde_json::json!({ "version": CONSENT_VERSION })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// What closing case `id` will do, for the page that asks first: the titles of the open
/// needs that will be cancelled, and how many of them merchants hold claims on.
pub async fn closing_preview(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i64,
    now: DateTime<Utc>,
) -> Result<(Vec<String>, u64), ServiceError> {
    let txn = db::begin_write(db).await?;
    let b = owned_for_change(&txn, caller, id, "beneficiary.close", now).await;
    txn.commit().await?;
    let b = b?;
    state(&b).close().map_err(|r| refused("case", r))?;
    let open = open_needs(db, b.id).await?;
    let claimed = claim::Entity::find()
        .filter(claim::Column::NeedId.is_in(open.iter().map(|n| n.id)))
        .filter(claim::Column::Status.eq(crate::domain::ClaimStatus::Active))
        .count(db)
        .await?;
    Ok((open.into_iter().map(|n| n.title).collect(), claimed))
}

async fn open_needs<C: ConnectionTrait>(conn: &C, beneficiary_id: i64) -> Result<Vec<need::Model>, ServiceError> {
    Ok(need::Entity::find()
        .filter(need::Column::BeneficiaryId.eq(beneficiary_id))
        .filter(need::Column::Status.is_in([NeedStatus::Open, NeedStatus::FullyClaimed]))
        .all(conn)
        .await?)
}

/// Closes case `id` with `reason`: its open needs are cancelled as a social worker's cancel
/// does (merchants holding claims are told), mail queued for its contact dies and no new
/// mail is queued while it is closed. Returns how many needs were cancelled.
pub async fn close(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i64,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<usize, ServiceError> {
    let (txn, b) = load_for_change(db, caller, id, "beneficiary.close", now).await?;
    let Ok(reason) = reason.trim().parse::<ClosedReason>() else {
        let mut errors = FieldErrors::default();
        errors.push("reason", FieldError::NotChosen);
        return Err(ServiceError::Validation(errors));
    };
    state(&b).close().map_err(|r| refused("case", r))?;
    let closed = beneficiary::Entity::update_many()
        .col_expr(beneficiary::Column::CaseStatus, Expr::val(CaseStatus::Closed))
        .col_expr(beneficiary::Column::ClosedReason, Expr::val(reason))
        .col_expr(beneficiary::Column::ClosedAt, Expr::val(now))
        .col_expr(beneficiary::Column::UpdatedAt, Expr::val(now))
        .filter(beneficiary::Column::Id.eq(b.id))
        .filter(beneficiary::Column::CaseStatus.eq(CaseStatus::Active))
        .exec(&txn)
        .await?;
    if closed.rows_affected == 0 {
        return Err(refused("case", CaseRefusal::AlreadyClosed));
    }
    // A referral waiting for an answer goes with the case: nobody may take a closed case over.
    referral::Entity::update_many()
        .col_expr(referral::Column::Status, Expr::val(ReferralStatus::Withdrawn))
        .col_expr(referral::Column::AnsweredBy, Expr::val(caller.staff_id()))
        .col_expr(referral::Column::AnsweredAt, Expr::val(Some(now)))
        .filter(referral::Column::BeneficiaryId.eq(b.id))
        .filter(referral::Column::Status.eq(ReferralStatus::Pending))
        .exec(&txn)
        .await?;
    let open = open_needs(&txn, b.id).await?;
    for n in &open {
        super::needs::end_need(&txn, n, NeedStatus::Cancelled, CLOSED_CASE_NEED_REASON, now).await?;
    }
    // After the needs: a period waiting for its sponsor is cancelled, not sent to the pool.
    super::sponsorships::end_for_case(&txn, b.id, caller.actor(), now).await?;
    let dropped = match b.contact_id {
        Some(contact_id) if !shared_with_active_case(&txn, contact_id, b.id).await? => {
            super::contacts::drop_queued(&txn, contact_id, "case closed").await?
        }
        _ => 0,
    };
    audit::record(
        &txn,
        now,
        Entry::ok(caller.actor(), "beneficiary.close")
            .subject("beneficiary", b.id)
            .organization(Some(b.organization_id))
            .detail(serde_json::json!({
                "reason": reason.as_str(),
                "needs_cancelled": open.len(),
                "mail_dropped": dropped,
            })),
    )
    .await?;
    txn.commit().await?;
    Ok(open.len())
}

/// True when another active case of the organization uses contact `contact_id` (a guardian
/// of two children): its mail goes on.
async fn shared_with_active_case<C: ConnectionTrait>(
    txn: &C,
    contact_id: i64,
    except: i64,
) -> Result<bool, ServiceError> {
    Ok(beneficiary::Entity::find()
        .filter(beneficiary::Column::ContactId.eq(contact_id))
        .filter(beneficiary::Column::Id.ne(except))
        .filter(beneficiary::Column::CaseStatus.eq(CaseStatus::Active))
        .count(txn)
        .await?
        > 0)
}

/// Reopens closed case `id`. Mail to its contact resumes only as the contact's own consent
/// allows (the recipients' rule); an erased case cannot be reopened.
pub async fn reopen(db: &DatabaseConnection, caller: &Caller, id: i64, now: DateTime<Utc>) -> Result<(), ServiceError> {
    let (txn, b) = load_for_change(db, caller, id, "beneficiary.reopen", now).await?;
    state(&b).reopen().map_err(|r| refused("case", r))?;
    let reopened = beneficiary::Entity::update_many()
        .col_expr(beneficiary::Column::CaseStatus, Expr::val(CaseStatus::Active))
        .col_expr(
            beneficiary::Column::ClosedReason,
            Expr::val(Option::<ClosedReason>::None),
        )
        .col_expr(beneficiary::Column::ClosedAt, Expr::val(Option::<DateTime<Utc>>::None))
        .col_expr(beneficiary::Column::UpdatedAt, Expr::val(now))
        .filter(beneficiary::Column::Id.eq(b.id))
        .filter(beneficiary::Column::CaseStatus.eq(CaseStatus::Closed))
        .filter(beneficiary::Column::ErasedAt.is_null())
        .exec(&txn)
        .await?;
    if reopened.rows_affected == 0 {
        return Err(refused("case", CaseRefusal::NotClosed));
    }
    audit::record(
        &txn,
        now,
        Entry::ok(caller.actor(), "beneficiary.reopen")
            .subject("beneficiary", b.id)
            .organization(Some(b.organization_id)),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Cases looked at per query by [`erase_closed`].
const ERASE_BATCH: u64 = 100;

/// Erases the personal data of cases closed before `now - retention_days`: the sealed part
/// and its digests, the contact (detached; its address blanked, on the contact and on the
/// messages sent to it, when no other case uses it), the free text of the person's needs and
/// claims, and the words of its visits, ledger and referrals. The beneficiary row (code, group,
/// community, status, reason, dates) and its needs and claims stay, so reports' anonymous
/// figures hold. Each case is one short transaction around a conditional update, so several
/// processes may run this at once and a second run does nothing. Returns how many were erased.
pub async fn erase_closed(
    db: &DatabaseConnection,
    retention_days: u32,
    now: DateTime<Utc>,
) -> Result<u64, ServiceError> {
    let before = erase_closed_before(now, retention_days);
    let mut erased = 0;
    let mut after = i64::MIN;
    loop {
        let batch: Vec<beneficiary::Model> = beneficiary::Entity::find()
            .filter(beneficiary::Column::CaseStatus.eq(CaseStatus::Closed))
            .filter(beneficiary::Column::ClosedAt.lt(before))
            .filter(beneficiary::Column::ErasedAt.is_null())
            .filter(beneficiary::Column::Id.gt(after))
            .order_by_asc(beneficiary::Column::Id)
            .limit(ERASE_BATCH)
            .all(db)
            .await?;
        let Some(last) = batch.last() else { break };
        after = last.id;
        for b in batch {
            erased += erase_one(db, &b, before, now).await?;
        }
    }
    Ok(erased)
}

async fn erase_one(
    db: &DatabaseConnection,
    b: &beneficiary::Model,
    before: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<u64, ServiceError> {
    let txn = db::begin_write(db).await?;
    let marked = beneficiary::Entity::update_many()
        .col_expr(beneficiary::Column::ErasedAt, Expr::val(now))
        .col_expr(beneficiary::Column::ContactId, Expr::val(Option::<i64>::None))
        .col_expr(beneficiary::Column::UpdatedAt, Expr::val(now))
        .filter(beneficiary::Column::Id.eq(b.id))
        .filter(beneficiary::Column::CaseStatus.eq(CaseStatus::Closed))
        .filter(beneficiary::Column::ClosedAt.lt(before))
        .filter(beneficiary::Column::ErasedAt.is_null())
        .exec(&txn)
        .await?;
    if marked.rows_affected == 0 {
        // Another process erased it, or it was reopened meanwhile.
        txn.commit().await?;
        return Ok(0);
    }
    private_details::erase_private(&txn, b.id).await?;
    if let Some(contact_id) = b.contact_id {
        let still_used = beneficiary::Entity::find()
            .filter(beneficiary::Column::ContactId.eq(contact_id))
            .count(&txn)
            .await?
            > 0;
        if !still_used {
            super::contacts::drop_queued(&txn, contact_id, "case erased").await?;
            // The address also stands on every message that was sent to it.
            crate::entities::outbox::Entity::update_many()
                .col_expr(crate::entities::outbox::Column::Recipient, Expr::val(""))
                .filter(crate::entities::outbox::Column::ContactId.eq(contact_id))
                .exec(&txn)
                .await?;
            contact::Entity::update_many()
                .col_expr(
                    contact::Column::Email,
                    Expr::val(format!("erased-{contact_id}@invalid")),
                )
                .col_expr(contact::Column::ConsentStatus, Expr::val("unsubscribed"))
                .col_expr(contact::Column::ConfirmTokenDigest, Expr::val(Option::<String>::None))
                .col_expr(contact::Column::UpdatedAt, Expr::val(now))
                .filter(contact::Column::Id.eq(contact_id))
                .exec(&txn)
                .await?;
        }
    }
    let needs: Vec<i64> = need::Entity::find()
        .select_only()
        .column(need::Column::Id)
        .filter(need::Column::BeneficiaryId.eq(b.id))
        .into_tuple()
        .all(&txn)
        .await?;
    need::Entity::update_many()
        .col_expr(need::Column::Description, Expr::val(""))
        .filter(need::Column::BeneficiaryId.eq(b.id))
        .exec(&txn)
        .await?;
    claim::Entity::update_many()
        .col_expr(claim::Column::DisputeReason, Expr::val(Option::<String>::None))
        .col_expr(claim::Column::DisputeAnswer, Expr::val(Option::<String>::None))
        .filter(claim::Column::NeedId.is_in(needs))
        .exec(&txn)
        .await?;
    // The words written about the person beside the case: a visit's notes and findings, the
    // ledger's notes, a referral's reason and its decline note. Dates, amounts and the
    // referral's facts stay for the figures.
    visit::Entity::update_many()
        .col_expr(visit::Column::NotesSealed, Expr::val(Vec::<u8>::new()))
        .col_expr(visit::Column::NeedsFound, Expr::val(""))
        .filter(visit::Column::BeneficiaryId.eq(b.id))
        .exec(&txn)
        .await?;
    ledger_entry::Entity::update_many()
        .col_expr(ledger_entry::Column::Description, Expr::val(""))
        .filter(ledger_entry::Column::BeneficiaryId.eq(b.id))
        .exec(&txn)
        .await?;
    referral::Entity::update_many()
        .col_expr(referral::Column::Reason, Expr::val(""))
        .col_expr(referral::Column::DeclineNote, Expr::val(Option::<String>::None))
        .filter(referral::Column::BeneficiaryId.eq(b.id))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        now,
        Entry::ok(Actor::System, "beneficiary.erase")
            .subject("beneficiary", b.id)
            .organization(Some(b.organization_id)),
    )
    .await?;
    txn.commit().await?;
    Ok(1)
}
