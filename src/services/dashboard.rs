//! What a social worker (or the office) should look at first.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
};

use super::ServiceError;
use super::access::{Caller, OrgScope};
use super::claims::{self, ClaimRecord};
use super::need_cards::{self, NeedCard};
use crate::domain::alerts::FlagReason;
use crate::domain::time::local_date;
use crate::domain::{ClaimStatus, NeedStatus};
use crate::entities::{claim, need};

/// The dashboard's five lists.
#[derive(Debug, Clone, Default)]
pub struct Dashboard {
    /// Open needs, most urgent and oldest first.
    pub open_needs: Vec<NeedCard>,
    /// Claims the merchant says are delivered: confirm them.
    pub to_confirm: Vec<ClaimRecord>,
    /// Active claims past their due date.
    pub overdue: Vec<ClaimRecord>,
    /// Disputed deliveries: the worker settles them (or the merchant answers).
    pub disputed: Vec<ClaimRecord>,
    /// Open needs with nothing claimed and a deadline within three days.
    pub near_deadline: Vec<NeedCard>,
    /// Needs the alert ladder flagged as unclaimed and aging (every fitting merchant heard
    /// of them, or the deadline is near), still not fully claimed, and why.
    pub aging: Vec<(NeedCard, FlagReason)>,
    /// Cases whose next visit is due within a week or overdue, the most overdue first.
    pub visits_due: Vec<super::visits::DueVisit>,
    /// For the office: admissions waiting for it (none for a social worker).
    pub admissions: Option<Admissions>,
}

/// What waits for the office's admission work, counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Admissions {
    /// Organization applications waiting for a decision.
    pub organizations_waiting: u64,
    /// Shop applications waiting for a decision.
    pub merchants_waiting: u64,
    /// Admitted parties whose year ends within 30 days.
    pub renewals_due: usize,
    /// Admitted parties whose year has ended.
    pub renewals_overdue: usize,
}

impl Admissions {
    /// True when nothing waits.
    pub fn is_empty(&self) -> bool {
        *self == Admissions::default()
    }
}

/// The office's admission counts; `None` for anyone else.
async fn admissions(
    db: &DatabaseConnection,
    caller: &Caller,
    now: DateTime<Utc>,
) -> Result<Option<Admissions>, ServiceError> {
    if !caller.is_office() {
        return Ok(None);
    }
    let (renewals_due, renewals_overdue) = super::admissions::due_counts(db, caller, now).await?;
    Ok(Some(Admissions {
        organizations_waiting: super::applications::waiting_count(db, caller, now).await?,
        merchants_waiting: super::merchant_applications::waiting_count(db, caller, now).await?,
        renewals_due,
        renewals_overdue,
    }))
}

/// The dashboard of `caller`.
pub async fn dashboard(
    db: &DatabaseConnection,
    caller: &Caller,
    now: DateTime<Utc>,
) -> Result<Dashboard, ServiceError> {
    let scope = match caller.org_scope() {
        OrgScope::NoneOf => return Err(ServiceError::Forbidden),
        scope => scope,
    };
    let in_scope = |q: sea_orm::Select<need::Entity>| q.filter(scope.condition(need::Column::OrganizationId));
    let open = in_scope(need::Entity::find())
        .filter(need::Column::Status.eq(NeedStatus::Open))
        .order_by_desc(need::Column::Urgency)
        .order_by_asc(need::Column::CreatedAt)
        .limit(20)
        .all(db)
        .await?;
    let soon = local_date(now) + Duration::days(3);
    let near = in_scope(need::Entity::find())
        .filter(need::Column::Status.eq(NeedStatus::Open))
        .filter(need::Column::Claimed.eq(0))
        .filter(need::Column::Deadline.lte(soon))
        .order_by_asc(need::Column::Deadline)
        .limit(20)
        .all(db)
        .await?;
    let scoped_needs = in_scope(need::Entity::find())
        .select_only()
        .column(need::Column::Id)
        .into_query();
    let delivered = claims::list_claims(db, caller, &[crate::domain::ClaimStatus::Delivered], 50).await?;
    let disputed = claims::list_claims(db, caller, &[crate::domain::ClaimStatus::Disputed], 50).await?;
    let overdue_rows = claim::Entity::find()
        .filter(
            Condition::all()
                .add(claim::Column::Status.eq(ClaimStatus::Active))
                .add(claim::Column::DueAt.lt(now)),
        )
        .filter(claim::Column::NeedId.in_subquery(scoped_needs))
        .order_by_asc(claim::Column::DueAt)
        .limit(50)
        .all(db)
        .await?;
    let (aging_rows, reasons): (Vec<need::Model>, Vec<FlagReason>) =
        super::alerts::aging_needs(db, scope, 20).await?.into_iter().unzip();
    let aging: Vec<(NeedCard, FlagReason)> = need_cards::cards(db, aging_rows)
        .await?
        .into_iter()
        .zip(reasons)
        .collect();
    let mut overdue = Vec::new();
    for c in overdue_rows {
        overdue.push(claims::get_claim(db, caller, c.id, now).await?);
    }
    // A need shows in one section only: aging first, then near the deadline, then open.
    let (aging_ids, near_ids) = (
        aging.iter().map(|(n, _)| n.id).collect::<Vec<_>>(),
        near.iter().map(|n| n.id).collect::<Vec<_>>(),
    );
    let near: Vec<need::Model> = near.into_iter().filter(|n| !aging_ids.contains(&n.id)).collect();
    let open: Vec<need::Model> = open
        .into_iter()
        .filter(|n| !aging_ids.contains(&n.id) && !near_ids.contains(&n.id))
        .collect();
    Ok(Dashboard {
        open_needs: need_cards::cards(db, open).await?,
        to_confirm: delivered,
        overdue,
        disputed,
        near_deadline: need_cards::cards(db, near).await?,
        aging,
        visits_due: super::visits::due_visits(db, caller, now).await?,
        admissions: admissions(db, caller, now).await?,
    })
}
