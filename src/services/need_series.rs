//! Recurring needs: a series of occurrences, one need row a period. The job posts the next
//! occurrence [`Recurrence::POST_AHEAD_DAYS`] before its period begins; the social worker can
//! end the series, after which nothing more is posted.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Set, TryInsertResult,
};

use super::ServiceError;
use super::access::Caller;
use super::audit::{self, Actor, Entry};
use crate::db;
use crate::domain::alerts::LadderPolicy;
use crate::domain::case::CaseState;
use crate::domain::input::{self, FieldErrors};
use crate::domain::time::local_date;
use crate::domain::{NeedStatus, Recurrence};
use crate::entities::{beneficiary, need};

/// Where a need stands in its series, for its page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesView {
    /// The first need of the series.
    pub series_id: i64,
    /// Weekly or monthly.
    pub recurrence: Recurrence,
    /// This need's period, from 1.
    pub period_index: i32,
    /// How many periods the series runs; `None` until stopped.
    pub periods_total: Option<i32>,
    /// The latest period posted so far.
    pub last_posted: i32,
}

impl SeriesView {
    /// Whether more periods are still to come, so the series can be ended.
    pub fn running(&self) -> bool {
        self.periods_total.is_none_or(|total| total > self.last_posted)
    }
}

/// The series of need `need_id`, if it recurs; the caller's right to see the need is checked
/// by the page that asks.
pub async fn of_need(db: &DatabaseConnection, need_id: i64) -> Result<Option<SeriesView>, ServiceError> {
    let Some(row) = need::Entity::find_by_id(need_id).one(db).await? else {
        return Ok(None);
    };
    let (Some(series_id), Some(period_index)) = (row.series_id, row.period_index) else {
        return Ok(None);
    };
    let Ok(recurrence) = row.recurrence.parse::<Recurrence>() else {
        return Ok(None);
    };
    let last_posted = last_period(db, series_id).await?;
    Ok(Some(SeriesView {
        series_id,
        recurrence,
        period_index,
        periods_total: row.periods_total,
        last_posted: last_posted.unwrap_or(period_index),
    }))
}

/// The need of period `index` of series `series_id`, if it was posted.
pub async fn period(db: &DatabaseConnection, series_id: i64, index: i32) -> Result<Option<i64>, ServiceError> {
    Ok(need::Entity::find()
        .select_only()
        .column(need::Column::Id)
        .filter(need::Column::SeriesId.eq(series_id))
        .filter(need::Column::PeriodIndex.eq(index))
        .into_tuple()
        .one(db)
        .await?)
}

/// The latest period of series `series_id` posted so far.
async fn last_period<C: ConnectionTrait>(conn: &C, series_id: i64) -> Result<Option<i32>, ServiceError> {
    let last: Option<Option<i32>> = need::Entity::find()
        .select_only()
        .column_as(need::Column::PeriodIndex.max(), "last")
        .filter(need::Column::SeriesId.eq(series_id))
        .into_tuple()
        .one(conn)
        .await?;
    Ok(last.flatten())
}

/// Posts, as of `now`, the next occurrence of every series whose period is about to begin.
/// Each in its own transaction; an occurrence posted already (by another process running the
/// same step) is left alone. Returns how many were posted.
/// A sponsored series' new period is offered to its sponsor for `renewal_hours` first.
pub async fn post_next_occurrences(
    db: &DatabaseConnection,
    renewal_hours: u32,
    now: DateTime<Utc>,
) -> Result<u64, ServiceError> {
    let horizon = local_date(now) + Duration::days(Recurrence::POST_AHEAD_DAYS);
    // The latest occurrence of each running series whose next period is near.
    let due: Vec<i64> = need::Entity::find()
        .select_only()
        .column(need::Column::Id)
        .filter(need::Column::SeriesId.is_not_null())
        .filter(need::Column::Recurrence.ne(Recurrence::Once.as_str()))
        .filter(
            Condition::any()
                .add(need::Column::PeriodsTotal.is_null())
                .add(Expr::col(need::Column::PeriodIndex).lt(Expr::col(need::Column::PeriodsTotal))),
        )
        .filter(need::Column::Deadline.lte(horizon))
        .filter(Expr::cust(
            "NOT EXISTS (SELECT 1 FROM needs AS later WHERE later.series_id = needs.series_id \
             AND later.period_index > needs.period_index)",
        ))
        .order_by_asc(need::Column::Id)
        .limit(500)
        .into_tuple()
        .all(db)
        .await?;
    let mut posted = 0;
    for id in due {
        if post_after(db, id, renewal_hours, now).await? {
            posted += 1;
        }
    }
    Ok(posted)
}

/// Posts the occurrence after need `id` if it is still due; false if it is not (or another
/// process posted it first).
async fn post_after(
    db: &DatabaseConnection,
    id: i64,
    renewal_hours: u32,
    now: DateTime<Utc>,
) -> Result<bool, ServiceError> {
    let txn = db::begin_write(db).await?;
    let Some(prev) = need::Entity::find_by_id(id).one(&txn).await? else {
        return Ok(false);
    };
    let (Some(series_id), Some(index)) = (prev.series_id, prev.period_index) else {
        return Ok(false);
    };
    let Ok(recurrence) = prev.recurrence.parse::<Recurrence>() else {
        return Ok(false);
    };
    let next = index + 1;
    // Touching the series' first row waits for a worker ending the series at this moment, and
    // sees the series' length as that worker left it.
    let running = need::Entity::update_many()
        .col_expr(need::Column::PeriodsTotal, Expr::col(need::Column::PeriodsTotal))
        .filter(need::Column::Id.eq(series_id))
        .filter(
            Condition::any()
                .add(need::Column::PeriodsTotal.is_null())
                .add(need::Column::PeriodsTotal.gte(next)),
        )
        .exec(&txn)
        .await?;
    let first = need::Entity::find_by_id(series_id).one(&txn).await?;
    let Some(first) = first.filter(|_| running.rows_affected == 1) else {
        return Ok(false);
    };
    if !recurrence.next_due(index, first.periods_total, prev.deadline, local_date(now)) {
        return Ok(false);
    }
    let case = beneficiary::Entity::find_by_id(prev.beneficiary_id).one(&txn).await?;
    let case_open = case.is_some_and(|b| {
        CaseState {
            status: b.case_status,
            erased_at: b.erased_at,
        }
        .post_need()
        .is_ok()
    });
    let Some(deadline) = recurrence.deadline_of(first.deadline, next).filter(|_| case_open) else {
        return Ok(false);
    };
    let row = need::ActiveModel {
        organization_id: Set(prev.organization_id),
        beneficiary_id: Set(prev.beneficiary_id),
        community_id: Set(prev.community_id),
        drop_off_point_id: Set(prev.drop_off_point_id),
        posted_by: Set(prev.posted_by),
        category: Set(prev.category.clone()),
        title: Set(prev.title.clone()),
        description: Set(prev.description.clone()),
        quantity: Set(prev.quantity),
        unit: Set(prev.unit.clone()),
        claimed: Set(0),
        delivered: Set(0),
        urgency: Set(prev.urgency.clone()),
        deadline: Set(deadline),
        recurrence: Set(prev.recurrence.clone()),
        estimated_value_cents: Set(prev.estimated_value_cents),
        claim_days: Set(prev.claim_days),
        status: Set(NeedStatus::Open),
        version: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        reopened_at: Set(None),
        series_id: Set(Some(series_id)),
        period_index: Set(Some(next)),
        periods_total: Set(first.periods_total),
        ..Default::default()
    };
    let inserted = need::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([need::Column::SeriesId, need::Column::PeriodIndex])
                .do_nothing()
                .to_owned(),
        )
        .try_insert()
        .exec(&txn)
        .await?;
    let TryInsertResult::Inserted(inserted) = inserted else {
        return Ok(false);
    };
    let Some(row) = need::Entity::find_by_id(inserted.last_insert_id).one(&txn).await? else {
        return Ok(false);
    };
    audit::record(
        &txn,
        now,
        Entry::ok(Actor::System, "need.recur")
            .subject("need", row.id)
            .organization(Some(row.organization_id))
            .detail(serde_json::json!({ "series": series_id, "period": next })),
    )
    .await?;
    // A sponsored period waits for its sponsor's answer before merchants hear of it.
    if !super::sponsorships::offer_to_sponsor(&txn, &row, renewal_hours, now).await? {
        super::alerts::start_ladder(&txn, &row, &LadderPolicy::default(), now).await?;
    }
    txn.commit().await?;
    Ok(true)
}

/// The longest reason for ending a series.
pub const END_REASON_MAX: usize = 500;

/// Ends the series of need `need_id` for `reason` (kept in the audit log, so public text):
/// nothing after the latest period posted. Asked of a need the caller may not change, the same
/// `NotFound` as a missing one (audited). Ending an ended series changes nothing.
pub async fn end_series(
    db: &DatabaseConnection,
    caller: &Caller,
    need_id: i64,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let reason = input::public_text(reason, 1, END_REASON_MAX).map_err(|e| {
        let mut errors = FieldErrors::default();
        errors.push("reason", e);
        ServiceError::Validation(errors)
    })?;
    let txn = db::begin_write(db).await?;
    let found = super::needs::visible_need_for_change(&txn, caller, need_id, "need.series.end", now).await?;
    let Some((need, series_id)) = found.and_then(|n| n.series_id.map(|s| (n, s))) else {
        txn.commit().await?;
        return Err(ServiceError::NotFound("need"));
    };
    let last = last_period(&txn, series_id).await?.unwrap_or(1);
    let ended = need::Entity::update_many()
        .col_expr(need::Column::PeriodsTotal, Expr::value(last))
        .filter(need::Column::SeriesId.eq(series_id))
        .filter(
            Condition::any()
                .add(need::Column::PeriodsTotal.is_null())
                .add(need::Column::PeriodsTotal.gt(last)),
        )
        .exec(&txn)
        .await?;
    if ended.rows_affected > 0 {
        super::sponsorships::end_for_series(&txn, series_id, caller.actor(), now).await?;
        audit::record(
            &txn,
            now,
            Entry::ok(caller.actor(), "need.series.end")
                .subject("need", need.id)
                .organization(Some(need.organization_id))
                .detail(serde_json::json!({ "series": series_id, "last_period": last, "reason": reason })),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_series_runs_while_periods_remain_to_be_posted() {
        let view = |total, last| SeriesView {
            series_id: 1,
            recurrence: Recurrence::Monthly,
            period_index: 1,
            periods_total: total,
            last_posted: last,
        };
        assert!(view(None, 5).running());
        assert!(view(Some(3), 2).running());
        assert!(!view(Some(3), 3).running());
    }
}
