//! Reading referrals: one, a list, a case's, the repeatedly referred and the office's report.

// The parts of one aggregate share its imports and private helpers.
use super::*;

/// One referral as its page shows it.
pub async fn show(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i64,
    now: DateTime<Utc>,
) -> Result<ReferralView, ServiceError> {
    let (r, side) = visible(db, caller, id, "referral.read", now).await?;
    let mut views = views(db, vec![(r, side)]).await?;
    views.pop().ok_or(ServiceError::NotFound("referral"))
}

pub(super) async fn views<C: ConnectionTrait>(
    conn: &C,
    rows: Vec<(referral::Model, Side)>,
) -> Result<Vec<ReferralView>, ServiceError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let case_ids: Vec<i64> = rows.iter().map(|(r, _)| r.beneficiary_id).collect();
    let cases: std::collections::HashMap<i64, beneficiary::Model> = beneficiary::Entity::find()
        .filter(beneficiary::Column::Id.is_in(case_ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|b| (b.id, b))
        .collect();
    let communities: std::collections::HashMap<i64, (String, String)> = community::Entity::find()
        .all(conn)
        .await?
        .into_iter()
        .map(|c| (c.id, (c.name, c.name_en)))
        .collect();
    let org_ids: Vec<i64> = rows
        .iter()
        .flat_map(|(r, _)| [r.from_organization_id, r.to_organization_id])
        .collect();
    let names: std::collections::HashMap<i64, String> = organization::Entity::find()
        .filter(organization::Column::Id.is_in(org_ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    let ids: Vec<i64> = rows.iter().map(|(r, _)| r.id).collect();
    let mut sent_along: std::collections::HashMap<i64, Vec<(i64, String)>> = std::collections::HashMap::new();
    let links = referral_need::Entity::find()
        .filter(referral_need::Column::ReferralId.is_in(ids))
        .all(conn)
        .await?;
    if !links.is_empty() {
        let titles: std::collections::HashMap<i64, String> = need::Entity::find()
            .filter(need::Column::Id.is_in(links.iter().map(|l| l.need_id).collect::<Vec<_>>()))
            .all(conn)
            .await?
            .into_iter()
            .map(|n| (n.id, n.title))
            .collect();
        for l in links {
            let title = titles.get(&l.need_id).cloned().unwrap_or_default();
            sent_along.entry(l.referral_id).or_default().push((l.need_id, title));
        }
    }
    let name = |id: i64| names.get(&id).cloned().unwrap_or_default();
    Ok(rows
        .into_iter()
        .filter_map(|(r, side)| {
            let b = cases.get(&r.beneficiary_id)?;
            Some(ReferralView {
                id: r.id,
                beneficiary_id: b.id,
                code: b.code.clone(),
                group: b.beneficiary_group.parse().unwrap_or(BeneficiaryGroup::Other),
                community: communities.get(&b.community_id).cloned().unwrap_or_default(),
                from: (r.from_organization_id, name(r.from_organization_id)),
                to: (r.to_organization_id, name(r.to_organization_id)),
                area: r.service_area,
                reason: r.reason,
                status: r.status,
                decline_reason: r.decline_reason,
                decline_note: r.decline_note,
                created_at: r.created_at,
                due_at: r.due_at,
                answered_at: r.answered_at,
                needs: sent_along.remove(&r.id).unwrap_or_default(),
                flagged: r.flagged_at.is_some() && r.status == ReferralStatus::Pending,
                side,
            })
        })
        .collect())
}

/// Every referral of case `b`, newest first. Only the case's owner and the office reach this
/// (through `referable`): an earlier owner would need them cut at its hand-over first.
pub(super) async fn of_case<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    b: &beneficiary::Model,
) -> Result<Vec<ReferralView>, ServiceError> {
    let rows = referral::Entity::find()
        .filter(referral::Column::BeneficiaryId.eq(b.id))
        .order_by_desc(referral::Column::Id)
        .all(conn)
        .await?;
    let rows = rows
        .into_iter()
        .map(|r| {
            let side = side_of(caller, &r).unwrap_or(Side::Sent);
            (r, side)
        })
        .collect();
    views(conn, rows).await
}

/// Most referrals a list shows.
pub const LIST_LIMIT: u64 = 200;

/// The referrals the caller's organization sent or received (every one for the office),
/// newest first, with `filter` applied.
pub async fn list(
    db: &DatabaseConnection,
    caller: &Caller,
    filter: ReferralFilter,
    now: DateTime<Utc>,
) -> Result<Vec<ReferralView>, ServiceError> {
    let mut query = referral::Entity::find().order_by_desc(referral::Column::Id);
    match (caller, filter.side) {
        (Caller::Admin { .. }, _) => {
            let scope = caller.org_scope();
            query = query.filter(
                Condition::any()
                    .add(scope.condition(referral::Column::ToOrganizationId))
                    .add(scope.condition(referral::Column::FromOrganizationId)),
            );
        }
        (Caller::SocialWorker { organization_id, .. }, Some(Side::Received)) => {
            query = query.filter(referral::Column::ToOrganizationId.eq(*organization_id));
        }
        (Caller::SocialWorker { organization_id, .. }, Some(Side::Sent)) => {
            query = query.filter(referral::Column::FromOrganizationId.eq(*organization_id));
        }
        (Caller::SocialWorker { organization_id, .. }, _) => {
            query = query.filter(
                Condition::any()
                    .add(referral::Column::ToOrganizationId.eq(*organization_id))
                    .add(referral::Column::FromOrganizationId.eq(*organization_id)),
            );
        }
        _ => {
            denied(db, caller, "referral.list", "referral", 0, now).await?;
            return Err(ServiceError::Forbidden);
        }
    }
    if let Some(status) = filter.status {
        query = query.filter(referral::Column::Status.eq(status));
    }
    let rows = query.limit(LIST_LIMIT).all(db).await?;
    let rows = rows
        .into_iter()
        .filter_map(|r| side_of(caller, &r).map(|side| (r, side)))
        .collect();
    views(db, rows).await
}

/// For the office: people referred more than twice in 180 days, with the chain.
pub async fn repeatedly_referred_cases(
    db: &DatabaseConnection,
    caller: &Caller,
    now: DateTime<Utc>,
) -> Result<Vec<RepeatedlyReferred>, ServiceError> {
    crate::services::access::require_admin(db, caller, "referral.repeated", now).await?;
    let since = now - Duration::days(REPEAT_WINDOW_DAYS);
    let scope = caller.org_scope();
    let rows = referral::Entity::find()
        .filter(
            Condition::any()
                .add(scope.condition(referral::Column::ToOrganizationId))
                .add(scope.condition(referral::Column::FromOrganizationId)),
        )
        .filter(referral::Column::CreatedAt.gt(since))
        .order_by_asc(referral::Column::BeneficiaryId)
        .order_by_asc(referral::Column::CreatedAt)
        .all(db)
        .await?;
    let mut by_case: std::collections::BTreeMap<i64, Vec<referral::Model>> = std::collections::BTreeMap::new();
    for r in rows {
        by_case.entry(r.beneficiary_id).or_default().push(r);
    }
    let names: std::collections::HashMap<i64, String> = organization::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    let name = |id: i64| names.get(&id).cloned().unwrap_or_default();
    let mut out = Vec::new();
    for (case, chain) in by_case {
        let sent: Vec<DateTime<Utc>> = chain.iter().map(|r| r.created_at).collect();
        if !repeatedly_referred(&sent, now) {
            continue;
        }
        let code = beneficiary::Entity::find_by_id(case)
            .one(db)
            .await?
            .map(|b| b.code)
            .unwrap_or_default();
        out.push(RepeatedlyReferred {
            beneficiary_id: case,
            code,
            chain: chain
                .iter()
                .map(|r| (name(r.from_organization_id), name(r.to_organization_id), r.status))
                .collect(),
        });
    }
    Ok(out)
}

/// The office's referral report: by pair of organizations (names), the decline reasons, and
/// the people referred again and again.
#[derive(Debug, Clone)]
pub struct ReferralReport {
    /// (sender, receiver, figures), by sender then receiver name.
    pub pairs: Vec<(String, String, crate::domain::referral::PairFigures)>,
    /// How often each reason was given.
    pub declines: Vec<(DeclineReason, u64)>,
    /// People referred more than twice in 180 days.
    pub repeated: Vec<RepeatedlyReferred>,
}

/// The referral report over referrals sent since `since` that touch `subdistrict` (its own
/// for an office; the chosen one or all for the district bureau, without people's codes).
pub async fn report(
    db: &DatabaseConnection,
    caller: &Caller,
    subdistrict: Option<i64>,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<ReferralReport, ServiceError> {
    use crate::domain::referral::{ReferralFact, ReferralFigures};
    use crate::services::access::{OrgScope, SubdistrictScope};
    let scope = match crate::services::access::report_scope(db, caller, subdistrict, "referral.report", now).await? {
        SubdistrictScope::District => OrgScope::All,
        SubdistrictScope::One(s) => OrgScope::Subdistrict(s),
    };
    let facts: Vec<ReferralFact> = referral::Entity::find()
        .filter(
            Condition::any()
                .add(scope.condition(referral::Column::ToOrganizationId))
                .add(scope.condition(referral::Column::FromOrganizationId)),
        )
        .filter(referral::Column::CreatedAt.gte(since))
        .all(db)
        .await?
        .into_iter()
        .map(|r| ReferralFact {
            from: r.from_organization_id,
            to: r.to_organization_id,
            status: r.status,
            sent: r.created_at,
            answered: r.answered_at,
            declined: r.decline_reason,
        })
        .collect();
    let figures = ReferralFigures::compute(&facts);
    let names: std::collections::HashMap<i64, String> = organization::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    let name = |id: i64| names.get(&id).cloned().unwrap_or_default();
    let mut pairs: Vec<_> = figures
        .by_pair
        .into_iter()
        .map(|((from, to), f)| (name(from), name(to), f))
        .collect();
    pairs.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    Ok(ReferralReport {
        pairs,
        declines: figures.declines.into_iter().collect(),
        repeated: if caller.is_office() {
            repeatedly_referred_cases(db, caller, now).await?
        } else {
            Vec::new()
        },
    })
}
