//! Loading the rows behind the office's reports and the public transparency page.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::IntoCondition;
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
};

use super::ServiceError;
use super::access::{Caller, SubdistrictScope};
use crate::domain::reports::{self, ClaimRow, HoursRow, NeedRow, Report};
use crate::domain::{BeneficiaryGroup, Locale, PartyStatus};
use crate::entities::{beneficiary, claim, community, merchant, need, organization, volunteer, volunteer_hour};

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

/// The rows of needs posted since `since` (community names in `locale`), within `scope`.
pub async fn rows(
    db: &DatabaseConnection,
    since: DateTime<Utc>,
    locale: Locale,
    scope: SubdistrictScope,
) -> Result<Rows, ServiceError> {
    rows_of(
        db,
        need::Column::CreatedAt.gte(since).into_condition(),
        since,
        locale,
        scope,
    )
    .await
}

/// The organizations of `scope`, as a sub-select of their ids (`None` for the whole district).
fn organizations_in(scope: SubdistrictScope) -> Option<sea_orm::sea_query::SelectStatement> {
    match scope {
        SubdistrictScope::District => None,
        SubdistrictScope::One(s) => Some(
            sea_orm::sea_query::Query::select()
                .column(organization::Column::Id)
                .from(organization::Entity)
                .and_where(organization::Column::SubdistrictId.eq(s))
                .to_owned(),
        ),
    }
}

/// The rows of the needs `which` selects within `scope`, with all their claims, and the
/// hours served since `hours_since` for the scope's organizations.
async fn rows_of(
    db: &DatabaseConnection,
    which: Condition,
    hours_since: DateTime<Utc>,
    locale: Locale,
    scope: SubdistrictScope,
) -> Result<Rows, ServiceError> {
    let which = match organizations_in(scope) {
        Some(orgs) => which.add(need::Column::OrganizationId.in_subquery(orgs)),
        None => which,
    };
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
        .filter(which)
        .order_by_asc(need::Column::Id)
        .all(db)
        .await?;
    let mut needs = Vec::with_capacity(need_models.len());
    for n in &need_models {
        needs.push(NeedRow {
            id: n.id,
            beneficiary_id: n.beneficiary_id,
            community_id: n.community_id,
            community: communities.get(&n.community_id).cloned().unwrap_or_default(),
            category: parse(&n.category)?,
            group: groups
                .get(&n.beneficiary_id)
                .and_then(|g| g.parse().ok())
                .unwrap_or(BeneficiaryGroup::Other),
            created_at: n.created_at,
            status: n.status,
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
                status: c.status,
            });
        }
    }
    let mut volunteers = volunteer::Entity::find();
    if let Some(orgs) = organizations_in(scope) {
        volunteers = volunteers.filter(volunteer::Column::OrganizationId.in_subquery(orgs));
    }
    let former: std::collections::HashMap<i64, bool> = volunteers
        .all(db)
        .await?
        .into_iter()
        .map(|v| (v.id, v.former_beneficiary_id.is_some()))
        .collect();
    let hours = volunteer_hour::Entity::find()
        .filter(volunteer_hour::Column::Status.eq("confirmed"))
        .filter(volunteer_hour::Column::ServedOn.gte(hours_since.date_naive()))
        .all(db)
        .await?
        .into_iter()
        .filter(|h| former.contains_key(&h.volunteer_id))
        .map(|h| HoursRow {
            volunteer_id: h.volunteer_id,
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
    subdistrict: Option<i64>,
    weeks: i64,
    locale: Locale,
    now: DateTime<Utc>,
) -> Result<(Report, Vec<(String, i32)>, Vec<String>), ServiceError> {
    let scope = super::access::report_scope(db, caller, subdistrict, "office.reports", now).await?;
    let since = now - Duration::weeks(weeks.clamp(1, 104));
    let rows = rows(db, since, locale, scope).await?;
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
    // The 90-day gap looks at every delivery confirmed in the last 90 days, whatever the
    // report's period and however long ago the need was posted.
    let window = now - Duration::days(90);
    let confirmed = claim::Entity::find()
        .select_only()
        .column(claim::Column::NeedId)
        .filter(claim::Column::ConfirmedAt.gte(window))
        .into_query();
    let recent = rows_of(
        db,
        need::Column::Id.in_subquery(confirmed).into_condition(),
        window,
        locale,
        scope,
    )
    .await?;
    let mut people = beneficiary::Entity::find();
    if let Some(orgs) = organizations_in(scope) {
        people = people.filter(beneficiary::Column::OrganizationId.in_subquery(orgs));
    }
    // The district bureau reads figures, never a person's code.
    let people = if matches!(caller, Caller::Admin { .. } | Caller::System) {
        people
    } else {
        people.filter(Condition::any())
    };
    let all: Vec<beneficiary::Model> = people.order_by_asc(beneficiary::Column::Code).all(db).await?;
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
    pub hours: reports::PublicCell,
    /// Of which by people who were once helped.
    pub hours_by_former_beneficiaries: reports::PublicCell,
    /// Approved caring merchants.
    pub merchants: u64,
    /// Merchants who chose to be shown, with the band of their confirmed deliveries (none:
    /// too few to list yet, the shop only named).
    pub shown_merchants: Vec<(String, Option<reports::DeliveryBand>)>,
    /// Needs met by beneficiary group.
    pub met_by_group: Vec<(BeneficiaryGroup, reports::PublicCell)>,
    /// Needs met by community.
    pub met_by_community: Vec<(String, reports::PublicCell)>,
    /// The roll of honour (公益榜): shops that opted in, with this year's badge, by name.
    pub honour_roll: Vec<super::certificates::HonourEntry>,
}

/// The figures of the public page, over all time, for one subdistrict or (`None`) the district.
/// Every subdistrict's figures are computed and protected together with the district's, so
/// that no figure one page hides is the difference of figures the pages show.
pub async fn transparency(
    db: &DatabaseConnection,
    locale: Locale,
    subdistrict: Option<i64>,
) -> Result<Transparency, ServiceError> {
    let scope = subdistrict.map_or(SubdistrictScope::District, SubdistrictScope::One);
    let district = super::subdistricts::district(db).await?;
    // All time, from an instant every database can store.
    let mut each = Vec::with_capacity(district.subdistricts.len());
    for s in &district.subdistricts {
        each.push((
            s.id,
            rows(db, DateTime::<Utc>::UNIX_EPOCH, locale, SubdistrictScope::One(s.id)).await?,
        ));
    }
    let scopes: Vec<reports::ScopeRows<'_>> = each
        .iter()
        .map(|(_, r)| reports::ScopeRows {
            needs: &r.needs,
            hours: &r.hours,
        })
        .collect();
    let (whole, parts) = reports::public_figures(&scopes);
    let figures = match subdistrict {
        None => whole,
        Some(id) => each
            .iter()
            .position(|(s, _)| *s == id)
            .and_then(|i| parts.get(i).cloned())
            .ok_or(ServiceError::NotFound("subdistrict"))?,
    };
    let merchants = merchant::Entity::find()
        .filter(merchant::Column::Status.eq(PartyStatus::Approved))
        .filter(scope.condition(merchant::Column::SubdistrictId))
        .all(db)
        .await?;
    // A merchant's deliveries over the whole district, on every page alike: one figure per
    // shop, never a difference between pages.
    let needs: Vec<reports::NeedRow> = each.iter().flat_map(|(_, r)| r.needs.iter().cloned()).collect();
    let claims: Vec<reports::ClaimRow> = each.iter().flat_map(|(_, r)| r.claims.iter().cloned()).collect();
    let deliveries = reports::deliveries_by_merchant(&needs, &claims);
    // Each shop's deliveries as a band (never the count: shops' counts would add up to
    // bounds on totals the page hides); the banded first, the most first, then by name.
    let mut shown: Vec<(String, Option<reports::DeliveryBand>)> = merchants
        .iter()
        .filter(|m| m.show_publicly)
        .map(|m| {
            let cell = deliveries
                .get(&m.id)
                .copied()
                .unwrap_or(reports::PublicCell::Suppressed);
            (m.name.clone(), reports::DeliveryBand::of_cell(cell))
        })
        .collect();
    shown.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    // The page is cached a minute and takes no clock; the year is the one running now.
    let honour_roll = super::certificates::honour_roll(db, Utc::now(), scope).await?;
    Ok(Transparency {
        honour_roll,
        needs_met: figures.met.total,
        value_yuan: figures.value_yuan,
        hours: figures.hours,
        hours_by_former_beneficiaries: figures.hours_by_former_beneficiaries,
        merchants: merchants.len() as u64,
        shown_merchants: shown,
        met_by_group: figures.met.by_group,
        met_by_community: figures.met.by_community,
    })
}
