//! The job step: reminders of late answers, then the office's flag.

// The parts of one aggregate share its imports and private helpers.
use super::*;

/// Job step: reminds receivers of referrals whose answer is late, once, and flags to the
/// office those still unanswered `flag_after` later. Returns (reminded, flagged).
pub async fn remind_late(
    db: &DatabaseConnection,
    flag_after: Duration,
    now: DateTime<Utc>,
) -> Result<(u64, u64), ServiceError> {
    let late = referral::Entity::find()
        .filter(referral::Column::Status.eq(ReferralStatus::Pending))
        .filter(referral::Column::DueAt.lte(now))
        .filter(referral::Column::RemindedAt.is_null())
        .limit(100)
        .all(db)
        .await?;
    let mut reminded = 0;
    for r in late {
        let txn = db::begin_write(db).await?;
        // One process reminds: the conditional update decides which.
        let won = referral::Entity::update_many()
            .col_expr(referral::Column::RemindedAt, Expr::val(Some(now)))
            .filter(referral::Column::Id.eq(r.id))
            .filter(referral::Column::Status.eq(ReferralStatus::Pending))
            .filter(referral::Column::RemindedAt.is_null())
            .exec(&txn)
            .await?
            .rows_affected
            == 1;
        if won && let Some(b) = beneficiary::Entity::find_by_id(r.beneficiary_id).one(&txn).await? {
            let sender = organization_name(&txn, r.from_organization_id).await?;
            tell_workers(
                &txn,
                &r,
                &b,
                r.to_organization_id,
                &sender,
                Notification::WorkerReferralReminder,
                "reminder",
                now,
            )
            .await?;
            reminded += 1;
        }
        txn.commit().await?;
    }
    let flagged = referral::Entity::update_many()
        .col_expr(referral::Column::FlaggedAt, Expr::val(Some(now)))
        .filter(referral::Column::Status.eq(ReferralStatus::Pending))
        .filter(referral::Column::RemindedAt.lte(now - flag_after))
        .filter(referral::Column::FlaggedAt.is_null())
        .exec(db)
        .await?
        .rows_affected;
    if flagged > 0 {
        tracing::info!(flagged, "late referrals flagged to the office");
    }
    Ok((reminded, flagged))
}
