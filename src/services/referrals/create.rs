//! Referring a case: the form's choices and the referral itself.

// The parts of one aggregate share its imports and private helpers.
use super::*;

/// The referral form of case `beneficiary_id`: who may receive it, its open needs and its
/// referrals so far.
pub async fn choices(
    db: &DatabaseConnection,
    caller: &Caller,
    beneficiary_id: i64,
    now: DateTime<Utc>,
) -> Result<ReferralChoices, ServiceError> {
    let b = referable(db, caller, beneficiary_id, "referral.form", now).await?;
    let areas = organization_services::areas_by_organization(db).await?;
    let organizations = organization::Entity::find()
        .filter(organization::Column::Status.eq(crate::domain::PartyStatus::Approved))
        .filter(organization::Column::Id.ne(b.organization_id))
        .filter(organization::Column::Id.is_in(areas.keys().copied().collect::<Vec<_>>()))
        .order_by_asc(organization::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|o| {
            let offered = areas.get(&o.id).cloned().unwrap_or_default();
            (o.id, o.name, offered)
        })
        .collect();
    let open_needs = open_needs(db, b.id).await?;
    let referrals = super::queries::of_case(db, caller, &b).await?;
    let pending = referrals.iter().any(|r| r.status == ReferralStatus::Pending);
    Ok(ReferralChoices {
        code: b.code,
        organizations,
        open_needs,
        referrals,
        pending,
    })
}

/// Refers case `beneficiary_id` as `input` says. Returns the new referral's id.
pub async fn refer(
    db: &DatabaseConnection,
    secret: &Secret,
    caller: &Caller,
    beneficiary_id: i64,
    input: &ReferralInput,
    answer_days: u32,
    now: DateTime<Utc>,
) -> Result<i64, ReferralError> {
    let txn = db::begin_write(db).await?;
    let b = match referable(&txn, caller, beneficiary_id, "referral.create", now).await {
        Ok(b) => b,
        Err(e) => {
            txn.commit().await?;
            return Err(e.into());
        }
    };
    let mut errors = FieldErrors::default();
    let area = errors.check("service_area", input::choice::<ServiceArea>(&input.service_area));
    let reason = errors.check("reason", input::public_text(&input.reason, 5, REASON_MAX));
    if !input.consent {
        errors.push("consent", FieldError::TransferConsentNeeded);
    }
    if let Some(reason) = &reason
        && let Some(details) = crate::services::private_details::private_details(&txn, secret, b.id).await?
        && let Some(found) = PersonMarks::new(&details.full_name, &details.phone, &details.address).find_in(reason)
    {
        errors.push("reason", FieldError::MentionsBeneficiary(found));
    }
    let to = match input.to_organization.trim().parse::<i64>() {
        Ok(id) => Some(id),
        Err(_) => {
            errors.push("to_organization", FieldError::NotChosen);
            None
        }
    };
    // The receiver must offer the service sought: the list of those that do is the
    // form's, and a hand-made request naming another is refused beside the field.
    if let (Some(area), Some(to)) = (area, to)
        && !organization_services::offering(&txn, area, b.organization_id)
            .await?
            .iter()
            .any(|(id, _)| *id == to)
    {
        errors.push("to_organization", FieldError::UnknownChoice);
    }
    let open = open_needs(&txn, b.id).await?;
    let mut need_ids = input.need_ids.clone();
    need_ids.sort_unstable();
    need_ids.dedup();
    if need_ids.iter().any(|id| !open.iter().any(|(open_id, _)| open_id == id)) {
        errors.push("needs", FieldError::UnknownChoice);
    }
    let (Some(area), Some(reason), Some(to), true) = (area, reason, to, errors.is_empty()) else {
        return Err(ServiceError::Validation(errors).into());
    };
    if let Err(refusal) = check_referral(b.organization_id, b.organization_id, to) {
        return Err(ReferralError::Refused(refusal));
    }
    if b.case_status != CaseStatus::Active {
        return Err(ReferralError::Refused(ReferralRefusal::CaseClosed));
    }
    let row = referral::ActiveModel {
        beneficiary_id: Set(b.id),
        from_organization_id: Set(b.organization_id),
        to_organization_id: Set(to),
        service_area: Set(area),
        reason: Set(reason.clone()),
        consent_at: Set(now),
        created_by: Set(caller.staff_id()),
        created_at: Set(now),
        due_at: Set(answer_due(now, answer_days)),
        status: Set(ReferralStatus::Pending),
        ..Default::default()
    };
    let inserted = match referral::Entity::insert(row).exec(&txn).await {
        Ok(r) => r.last_insert_id,
        Err(e) if is_unique_violation(&e) => return Err(ReferralError::AlreadyPending),
        Err(e) => return Err(e.into()),
    };
    if !need_ids.is_empty() {
        referral_need::Entity::insert_many(need_ids.iter().map(|need_id| referral_need::ActiveModel {
            referral_id: Set(inserted),
            need_id: Set(*need_id),
        }))
        .exec_without_returning(&txn)
        .await?;
    }
    let sent: Vec<DateTime<Utc>> = referral::Entity::find()
        .select_only()
        .column(referral::Column::CreatedAt)
        .filter(referral::Column::BeneficiaryId.eq(b.id))
        .filter(referral::Column::CreatedAt.gt(now - Duration::days(REPEAT_WINDOW_DAYS)))
        .into_tuple()
        .all(&txn)
        .await?;
    let repeated = repeatedly_referred(&sent, now);
    audit::record(
        &txn,
        now,
        Entry::ok(caller.actor(), "referral.create")
            .subject("referral", inserted)
            .organization(Some(b.organization_id))
            .detail(serde_json::json!({
                "beneficiary": b.id, "to": to, "area": area.as_str(), "needs": need_ids.len(),
                "repeatedly_referred": repeated,
            })),
    )
    .await?;
    let stored = referral::Entity::find_by_id(inserted)
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound("referral"))?;
    let sender = organization_name(&txn, b.organization_id).await?;
    tell_workers(
        &txn,
        &stored,
        &b,
        to,
        &sender,
        Notification::WorkerReferralReceived,
        "received",
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(inserted)
}
