//! Loading the rows behind the office's reports and the public transparency page.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use super::ServiceError;
use super::access::Caller;
use crate::domain::reports::{self, ClaimRow, HoursRow, NeedRow, Report};
use crate::domain::{BeneficiaryGroup, Locale};
use crate::entities::{beneficiary, claim, community, merchant, need, volunteer, volunteer_hour};

/// The rows of a period, ready for the pure report functions.
#[derive(Debug, Clone, Default)]
pub struct Rows {
    /// Needs posted in the period.
    pub needs: Vec<NeedRow>,
    /// Claims on those needs.
    pub claims: Vec<ClaimRow>,
    /// Confirmed volunteer hours.
    pub hours: Vec<HoursRow>,
}

fn parse<T: std::str::FromStr>(text: &str) -> Result<T, ServiceError> {
    text.parse()
        .map_err(|_| ServiceError::Internal(format!("unexpected stored value `{text}`")))
}

/// The rows of needs posted since `since` (community names in `locale`).
pub async fn rows(db: &DatabaseConnection, since: DateTime<Utc>, locale: Locale) -> Result<Rows, ServiceError> {
    let communities: std::collections::HashMap<i64, String> = community::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, if locale == Locale::En { c.name_en } else { c.name }))
        .collect();
    let groups: std::collections::HashMap<i64, String> = beneficiary::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|b| (b.id, b.beneficiary_group))
        .collect();
    let need_models = need::Entity::find()
        .filter(need::Column::CreatedAt.gte(since))
        .order_by_asc(need::Column::Id)
        .all(db)
        .await?;
    let mut needs = Vec::with_capacity(need_models.len());
    for n in &need_models {
        needs.push(NeedRow {
            id: n.id,
            beneficiary_id: n.beneficiary_id,
            community: communities.get(&n.community_id).cloned().unwrap_or_default(),
            category: parse(&n.category)?,
            group: groups
                .get(&n.beneficiary_id)
                .and_then(|g| g.parse().ok())
                .unwrap_or(BeneficiaryGroup::Other),
            created_at: n.created_at,
            status: parse(&n.status)?,
            quantity: n.quantity,
            delivered: n.delivered,
            claimed: n.claimed,
            estimated_value_cents: n.estimated_value_cents,
        });
    }
    let ids: Vec<i64> = need_models.iter().map(|n| n.id).collect();
    let mut claims = Vec::new();
    for chunk in ids.chunks(500) {
        for c in claim::Entity::find()
            .filter(claim::Column::NeedId.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            claims.push(ClaimRow {
                need_id: c.need_id,
                merchant_id: c.merchant_id,
                created_at: c.created_at,
                due_at: c.due_at,
                delivered_at: c.delivered_at,
                confirmed_at: c.confirmed_at,
                status: parse(&c.status)?,
            });
        }
    }
    let former: std::collections::HashMap<i64, bool> = volunteer::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|v| (v.id, v.former_beneficiary_id.is_some()))
        .collect();
    let hours = volunteer_hour::Entity::find()
        .filter(volunteer_hour::Column::Status.eq("confirmed"))
        .filter(volunteer_hour::Column::ServedOn.gte(since.date_naive()))
        .all(db)
        .await?
        .into_iter()
        .map(|h| HoursRow {
            tenths: h.tenths,
            by_former_beneficiary: former.get(&h.volunteer_id).copied().unwrap_or(false),
        })
        .collect();
    Ok(Rows { needs, claims, hours })
}

/// The office's report over the last `weeks` weeks, with merchant names, and the codes of
/// beneficiaries with no fulfilled need in 90 days.
pub async fn office_report(
    db: &DatabaseConnection,
    caller: &Caller,
    weeks: i64,
    locale: Locale,
    now: DateTime<Utc>,
) -> Result<(Report, Vec<(String, i32)>, Vec<String>), ServiceError> {
    if !matches!(caller, Caller::Admin { .. }) {
        super::audit::record(db, now, super::audit::Entry::denied(caller.actor(), "office.reports")).await?;
        return Err(ServiceError::Forbidden);
    }
    let since = now - Duration::weeks(weeks.clamp(1, 104));
    let rows = rows(db, since, locale).await?;
    let report = reports::compute(&rows.needs, &rows.claims, &rows.hours, now);
    let merchants: std::collections::HashMap<i64, (String, i32)> = merchant::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.id, (m.name, m.credit_score)))
        .collect();
    let names = report
        .merchants
        .iter()
        .map(|l| merchants.get(&l.merchant_id).cloned().unwrap_or_default())
        .collect();
    // The 90-day gap looks at every need of the last 90 days, whatever the report's period.
    let recent = self::rows(db, now - Duration::days(90), locale).await?;
    let all: Vec<beneficiary::Model> = beneficiary::Entity::find()
        .order_by_asc(beneficiary::Column::Code)
        .all(db)
        .await?;
    let ids: Vec<i64> = all.iter().map(|b| b.id).collect();
    let unserved: std::collections::HashSet<i64> = reports::unserved(&ids, &recent.needs, &recent.claims, now)
        .into_iter()
        .collect();
    let codes = all
        .into_iter()
        .filter(|b| unserved.contains(&b.id))
        .map(|b| b.code)
        .collect();
    Ok((report, names, codes))
}

/// The public figures: aggregates only, small cells suppressed, no free text.
#[derive(Debug, Clone)]
pub struct Transparency {
    /// Needs fulfilled.
    pub needs_met: reports::PublicCell,
    /// Estimated value of delivered goods and services, in yuan.
    pub value_yuan: reports::PublicCell,
    /// Confirmed volunteer hours.
    pub hours: u64,
    /// Of which by people who were once helped.
    pub hours_by_former_beneficiaries: u64,
    /// Approved caring merchants.
    pub merchants: u64,
    /// Merchants who chose to be shown, with their confirmed deliveries.
    pub shown_merchants: Vec<(String, u64)>,
    /// Needs met by beneficiary group.
    pub met_by_group: Vec<(BeneficiaryGroup, reports::PublicCell)>,
    /// Needs met by community.
    pub met_by_community: Vec<(String, reports::PublicCell)>,
}

/// The figures of the public page, over all time.
pub async fn transparency(db: &DatabaseConnection, locale: Locale) -> Result<Transparency, ServiceError> {
    use std::collections::BTreeSet;
    // All time, from an instant every database can store.
    let all = rows(db, DateTime::<Utc>::UNIX_EPOCH, locale).await?;
    let met: Vec<&NeedRow> = all
        .needs
        .iter()
        .filter(|n| n.status == crate::domain::NeedStatus::Fulfilled)
        .collect();
    let people: BTreeSet<i64> = met.iter().map(|n| n.beneficiary_id).collect();
    let helped: BTreeSet<i64> = all
        .needs
        .iter()
        .filter(|n| n.delivered > 0)
        .map(|n| n.beneficiary_id)
        .collect();
    let value: i64 = all
        .needs
        .iter()
        .filter(|n| n.quantity > 0)
        .filter_map(|n| {
            n.estimated_value_cents
                .map(|v| v * i64::from(n.delivered) / i64::from(n.quantity))
        })
        .sum();
    let hours_tenths: i64 = all.hours.iter().map(|h| i64::from(h.tenths)).sum();
    let former_tenths: i64 = all
        .hours
        .iter()
        .filter(|h| h.by_former_beneficiary)
        .map(|h| i64::from(h.tenths))
        .sum();
    let merchants = merchant::Entity::find()
        .filter(merchant::Column::Status.eq("approved"))
        .all(db)
        .await?;
    let mut shown = Vec::new();
    for m in merchants.iter().filter(|m| m.show_publicly) {
        let deliveries = all
            .claims
            .iter()
            .filter(|c| c.merchant_id == m.id && c.status == crate::domain::ClaimStatus::Confirmed)
            .count();
        shown.push((m.name.clone(), deliveries as u64));
    }
    shown.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    Ok(Transparency {
        needs_met: reports::public_cell(met.len() as u64, people.len()),
        value_yuan: reports::public_cell((value / 100).max(0) as u64, helped.len()),
        hours: (hours_tenths / 10).max(0) as u64,
        hours_by_former_beneficiaries: (former_tenths / 10).max(0) as u64,
        merchants: merchants.len() as u64,
        shown_merchants: shown,
        met_by_group: reports::met_by_group(&all.needs),
        met_by_community: reports::met_by_community(&all.needs),
    })
}
