//! Answering a referral (accept, decline) or taking it back, and moving the case on acceptance.

// The parts of one aggregate share its imports and private helpers.
use super::*;

/// How a receiver answers.
#[derive(Debug, Clone)]
pub enum Answer {
    /// Take the case over.
    Accept,
    /// Refuse, with a reason and optional words.
    Decline {
        /// Why (a `DeclineReason` code, as typed).
        reason: String,
        /// More words, public text.
        note: String,
    },
}

/// Answers referral `id` as the receiving organization.
pub async fn answer(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i64,
    answer: Answer,
    now: DateTime<Utc>,
) -> Result<(), ReferralError> {
    let txn = db::begin_write(db).await?;
    let (r, side) = match visible(&txn, caller, id, "referral.answer", now).await {
        Ok(found) => found,
        Err(e) => {
            txn.commit().await?;
            return Err(e.into());
        }
    };
    if side != Side::Received {
        denied(&txn, caller, "referral.answer", "referral", id, now).await?;
        txn.commit().await?;
        return Err(ServiceError::Forbidden.into());
    }
    let b = lock_case(&txn, r.beneficiary_id).await?;
    check_answer(r.status, r.from_organization_id, b.organization_id).map_err(ReferralError::Refused)?;
    if matches!(answer, Answer::Accept) && b.case_status != CaseStatus::Active {
        return Err(ReferralError::Refused(ReferralRefusal::CaseClosed));
    }
    let receiver = organization_name(&txn, r.to_organization_id).await?;
    match answer {
        Answer::Accept => {
            transfer(&txn, caller, &r, &b, now).await?;
            let updated = settle(&txn, caller, &r, ReferralStatus::Accepted, None, None, now).await?;
            audit::record(
                &txn,
                now,
                Entry::ok(caller.actor(), "referral.accept")
                    .subject("referral", r.id)
                    .organization(Some(r.to_organization_id))
                    .detail(serde_json::json!({ "beneficiary": b.id, "from": r.from_organization_id })),
            )
            .await?;
            let moved = beneficiary::Entity::find_by_id(b.id).one(&txn).await?.unwrap_or(b);
            tell_workers(
                &txn,
                &updated,
                &moved,
                r.from_organization_id,
                &receiver,
                Notification::WorkerReferralAccepted,
                "accepted",
                now,
            )
            .await?;
        }
        Answer::Decline { reason, note } => {
            let mut errors = FieldErrors::default();
            let why = errors.check("decline_reason", input::choice::<DeclineReason>(&reason));
            let note = if note.trim().is_empty() {
                Some(None)
            } else {
                errors
                    .check("decline_note", input::public_text(&note, 1, NOTE_MAX))
                    .map(Some)
            };
            let (Some(why), Some(note), true) = (why, note, errors.is_empty()) else {
                return Err(ServiceError::Validation(errors).into());
            };
            let updated = settle(&txn, caller, &r, ReferralStatus::Declined, Some(why), note, now).await?;
            audit::record(
                &txn,
                now,
                Entry::ok(caller.actor(), "referral.decline")
                    .subject("referral", r.id)
                    .organization(Some(r.to_organization_id))
                    .detail(serde_json::json!({ "beneficiary": b.id, "reason": why.as_str() })),
            )
            .await?;
            tell_workers(
                &txn,
                &updated,
                &b,
                r.from_organization_id,
                &receiver,
                Notification::WorkerReferralDeclined,
                "declined",
                now,
            )
            .await?;
        }
    }
    txn.commit().await?;
    Ok(())
}

/// Takes referral `id` back, as its sender or the office.
pub async fn withdraw(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i64,
    now: DateTime<Utc>,
) -> Result<(), ReferralError> {
    let txn = db::begin_write(db).await?;
    let (r, side) = match visible(&txn, caller, id, "referral.withdraw", now).await {
        Ok(found) => found,
        Err(e) => {
            txn.commit().await?;
            return Err(e.into());
        }
    };
    if side == Side::Received {
        denied(&txn, caller, "referral.withdraw", "referral", id, now).await?;
        txn.commit().await?;
        return Err(ServiceError::Forbidden.into());
    }
    if r.status != ReferralStatus::Pending {
        return Err(ReferralError::Refused(ReferralRefusal::NotPending));
    }
    settle(&txn, caller, &r, ReferralStatus::Withdrawn, None, None, now).await?;
    audit::record(
        &txn,
        now,
        Entry::ok(caller.actor(), "referral.withdraw")
            .subject("referral", r.id)
            .organization(Some(r.from_organization_id)),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The case row, locked for the rest of the transaction (on SQLite the write transaction
/// holds the database already).
async fn lock_case<C: ConnectionTrait>(txn: &C, id: i64) -> Result<beneficiary::Model, ServiceError> {
    let mut query = beneficiary::Entity::find_by_id(id);
    if txn.get_database_backend() == DbBackend::Postgres {
        query = query.lock_exclusive();
    }
    query.one(txn).await?.ok_or(ServiceError::NotFound("beneficiary"))
}

/// Moves the answer of `r` to `status`, only if it is still pending (a second answer at the
/// same moment finds it answered and changes nothing).
async fn settle<C: ConnectionTrait>(
    txn: &C,
    caller: &Caller,
    r: &referral::Model,
    status: ReferralStatus,
    decline_reason: Option<DeclineReason>,
    decline_note: Option<String>,
    now: DateTime<Utc>,
) -> Result<referral::Model, ReferralError> {
    let changed = referral::Entity::update_many()
        .col_expr(referral::Column::Status, Expr::val(status))
        .col_expr(referral::Column::DeclineReason, Expr::val(decline_reason))
        .col_expr(referral::Column::DeclineNote, Expr::val(decline_note))
        .col_expr(referral::Column::AnsweredBy, Expr::val(caller.staff_id()))
        .col_expr(referral::Column::AnsweredAt, Expr::val(Some(now)))
        .filter(referral::Column::Id.eq(r.id))
        .filter(referral::Column::Status.eq(ReferralStatus::Pending))
        .exec(txn)
        .await?;
    if changed.rows_affected == 0 {
        return Err(ReferralError::Refused(ReferralRefusal::NotPending));
    }
    Ok(referral::Entity::find_by_id(r.id)
        .one(txn)
        .await?
        .ok_or(ServiceError::NotFound("referral"))?)
}

/// Moves case `b` to `r`'s receiver: the custody, the case row, its open needs (now posted
/// in the receiver's name, so that news of them reaches its workers) and its contact.
async fn transfer<C: ConnectionTrait>(
    txn: &C,
    caller: &Caller,
    r: &referral::Model,
    b: &beneficiary::Model,
    now: DateTime<Utc>,
) -> Result<(), ReferralError> {
    let mut custody = custody(txn, b).await?;
    let stored = case_custody::Entity::find()
        .filter(case_custody::Column::BeneficiaryId.eq(b.id))
        .count(txn)
        .await?;
    custody
        .transfer(r.to_organization_id, now)
        .map_err(ReferralError::Refused)?;
    if stored == 0 {
        case_custody::Entity::insert(case_custody::ActiveModel {
            beneficiary_id: Set(b.id),
            organization_id: Set(b.organization_id),
            from_at: Set(b.created_at),
            until_at: Set(Some(now)),
            ..Default::default()
        })
        .exec(txn)
        .await?;
    } else {
        case_custody::Entity::update_many()
            .col_expr(case_custody::Column::UntilAt, Expr::val(Some(now)))
            .filter(case_custody::Column::BeneficiaryId.eq(b.id))
            .filter(case_custody::Column::UntilAt.is_null())
            .exec(txn)
            .await?;
    }
    case_custody::Entity::insert(case_custody::ActiveModel {
        beneficiary_id: Set(b.id),
        organization_id: Set(r.to_organization_id),
        from_at: Set(now),
        until_at: Set(None),
        referral_id: Set(Some(r.id)),
        ..Default::default()
    })
    .exec(txn)
    .await?;
    beneficiary::Entity::update_many()
        .col_expr(beneficiary::Column::OrganizationId, Expr::val(r.to_organization_id))
        .col_expr(beneficiary::Column::UpdatedAt, Expr::val(now))
        .filter(beneficiary::Column::Id.eq(b.id))
        .exec(txn)
        .await?;
    need::Entity::update_many()
        .col_expr(need::Column::OrganizationId, Expr::val(r.to_organization_id))
        .col_expr(need::Column::PostedBy, Expr::val(caller.staff_id()))
        .col_expr(need::Column::UpdatedAt, Expr::val(now))
        .filter(need::Column::BeneficiaryId.eq(b.id))
        .filter(need::Column::Status.is_in([NeedStatus::Open, NeedStatus::FullyClaimed]))
        .exec(txn)
        .await?;
    if let Some(contact_id) = b.contact_id {
        contact::Entity::update_many()
            .col_expr(contact::Column::OrganizationId, Expr::val(Some(r.to_organization_id)))
            .filter(contact::Column::Id.eq(contact_id))
            .exec(txn)
            .await?;
    }
    Ok(())
}
