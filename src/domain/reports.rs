//! The office's figures, computed from plain rows so that a test can check them by hand:
//! weekly counts, time to first claim and to delivery, value routed, volunteer hours,
//! merchants' records, and the gaps where help is missing. Also the public figures, with
//! small cells suppressed (k-anonymity).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};

use super::time::LOCAL_OFFSET;
use super::{BeneficiaryGroup, Category, ClaimStatus, NeedStatus};

/// A need, as reports see it.
#[derive(Debug, Clone)]
pub struct NeedRow {
    /// Id.
    pub id: i64,
    /// Its beneficiary (counted as a person, never shown).
    pub beneficiary_id: i64,
    /// Community id (names can repeat in one language, never ids).
    pub community_id: i64,
    /// Community name.
    pub community: String,
    /// Category.
    pub category: Category,
    /// The beneficiary's group.
    pub group: BeneficiaryGroup,
    /// Posted.
    pub created_at: DateTime<Utc>,
    /// Where it stands.
    pub status: NeedStatus,
    /// Units asked for.
    pub quantity: i32,
    /// Units confirmed delivered.
    pub delivered: i32,
    /// Units held by live claims.
    pub claimed: i32,
    /// Estimated value of the whole need.
    pub estimated_value_cents: Option<i64>,
}

/// A claim, as reports see it.
#[derive(Debug, Clone)]
pub struct ClaimRow {
    /// The need.
    pub need_id: i64,
    /// The merchant.
    pub merchant_id: i64,
    /// Made.
    pub created_at: DateTime<Utc>,
    /// Due.
    pub due_at: DateTime<Utc>,
    /// Delivered, if so.
    pub delivered_at: Option<DateTime<Utc>>,
    /// Confirmed, if so.
    pub confirmed_at: Option<DateTime<Utc>>,
    /// Where it stands.
    pub status: ClaimStatus,
}

/// Confirmed volunteer hours.
#[derive(Debug, Clone)]
pub struct HoursRow {
    /// Who gave them.
    pub volunteer_id: i64,
    /// Tenths of an hour.
    pub tenths: i32,
    /// The volunteer was once a beneficiary (受助者助人).
    pub by_former_beneficiary: bool,
}

/// Counts of one week and one community or category.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WeekCounts {
    /// Needs posted.
    pub posted: u32,
    /// Needs with at least one claim.
    pub claimed: u32,
    /// Needs fulfilled.
    pub fulfilled: u32,
    /// Needs expired.
    pub expired: u32,
}

/// Median and 90th percentile, in hours.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Spread {
    /// Median.
    pub median: Option<f64>,
    /// 90th percentile.
    pub p90: Option<f64>,
    /// How many values.
    pub n: usize,
}

/// A merchant's line in the report.
#[derive(Debug, Clone, PartialEq)]
pub struct MerchantLine {
    /// The merchant.
    pub merchant_id: i64,
    /// Confirmed deliveries.
    pub deliveries: u32,
    /// Share of the confirmed deliveries made by the due date; none without a confirmed
    /// delivery, so that "0 deliveries" never reads "100% on time".
    pub on_time_rate: Option<f64>,
}

/// The whole report.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// (ISO week "2026-W48", community) → counts.
    pub by_week_community: BTreeMap<(String, String), WeekCounts>,
    /// (ISO week, category) → counts.
    pub by_week_category: BTreeMap<(String, Category), WeekCounts>,
    /// Posting to first claim.
    pub time_to_first_claim: Spread,
    /// Claim to delivery.
    pub time_to_delivery: Spread,
    /// Estimated value of delivered units, by category.
    pub value_by_category: BTreeMap<Category, i64>,
    /// Confirmed volunteer hours, in tenths.
    pub hours_tenths: i64,
    /// Of which by people who were once helped.
    pub hours_by_former_beneficiaries_tenths: i64,
    /// Merchants by deliveries.
    pub merchants: Vec<MerchantLine>,
    /// Active claims past their due date.
    pub overdue_claims: u32,
    /// Groups by the longest wait of an open, unclaimed need (hours), longest first.
    pub longest_unclaimed_by_group: Vec<(BeneficiaryGroup, f64)>,
    /// Communities likewise.
    pub longest_unclaimed_by_community: Vec<(String, f64)>,
}

/// The ISO week of an instant in local time, like `2026-W48`.
pub fn iso_week(t: DateTime<Utc>) -> String {
    let week = t.with_timezone(&LOCAL_OFFSET).iso_week();
    format!("{}-W{:02}", week.year(), week.week())
}

/// The Monday an ISO week like `2026-W48` starts on: people read weeks as dates.
pub fn week_start(iso_week: &str) -> Option<NaiveDate> {
    let (year, week) = iso_week.split_once("-W")?;
    NaiveDate::from_isoywd_opt(year.parse().ok()?, week.parse().ok()?, Weekday::Mon)
}

fn spread(mut hours: Vec<f64>) -> Spread {
    if hours.is_empty() {
        return Spread::default();
    }
    hours.sort_by(f64::total_cmp);
    // Nearest-rank percentiles: simple to compute by hand and to explain.
    let rank = |p: f64| hours[((p * hours.len() as f64).ceil() as usize).clamp(1, hours.len()) - 1];
    Spread {
        median: Some(rank(0.5)),
        p90: Some(rank(0.9)),
        n: hours.len(),
    }
}

fn hours_between(a: DateTime<Utc>, b: DateTime<Utc>) -> f64 {
    (b - a).num_seconds() as f64 / 3600.0
}

/// Computes the report as of `now`.
pub fn compute(needs: &[NeedRow], claims: &[ClaimRow], hours: &[HoursRow], now: DateTime<Utc>) -> Report {
    let mut report = Report::default();
    let mut first_claim: HashMap<i64, DateTime<Utc>> = HashMap::new();
    for c in claims {
        first_claim
            .entry(c.need_id)
            .and_modify(|t| *t = (*t).min(c.created_at))
            .or_insert(c.created_at);
    }
    let mut waits = Vec::new();
    for n in needs {
        let week = iso_week(n.created_at);
        let claimed = first_claim.contains_key(&n.id);
        for counts in [
            report
                .by_week_community
                .entry((week.clone(), n.community.clone()))
                .or_default(),
            report.by_week_category.entry((week.clone(), n.category)).or_default(),
        ] {
            counts.posted += 1;
            counts.claimed += u32::from(claimed);
            counts.fulfilled += u32::from(n.status == NeedStatus::Fulfilled);
            counts.expired += u32::from(n.status == NeedStatus::Expired);
        }
        if let Some(t) = first_claim.get(&n.id) {
            waits.push(hours_between(n.created_at, *t));
        }
        if let (Some(value), true) = (n.estimated_value_cents, n.quantity > 0) {
            *report.value_by_category.entry(n.category).or_default() +=
                value * i64::from(n.delivered) / i64::from(n.quantity);
        }
    }
    report.time_to_first_claim = spread(waits);
    report.time_to_delivery = spread(
        claims
            .iter()
            .filter_map(|c| c.delivered_at.map(|d| hours_between(c.created_at, d)))
            .collect(),
    );

    report.hours_tenths = hours.iter().map(|h| i64::from(h.tenths)).sum();
    report.hours_by_former_beneficiaries_tenths = hours
        .iter()
        .filter(|h| h.by_former_beneficiary)
        .map(|h| i64::from(h.tenths))
        .sum();

    let mut by_merchant: BTreeMap<i64, (u32, u32)> = BTreeMap::new();
    for c in claims {
        let entry = by_merchant.entry(c.merchant_id).or_default();
        if c.status == ClaimStatus::Confirmed {
            entry.0 += 1;
            entry.1 += u32::from(c.delivered_at.is_some_and(|d| d <= c.due_at));
        }
    }
    report.merchants = by_merchant
        .into_iter()
        .map(|(merchant_id, (deliveries, on_time))| MerchantLine {
            merchant_id,
            deliveries,
            on_time_rate: (deliveries > 0).then(|| f64::from(on_time) / f64::from(deliveries)),
        })
        .collect();
    report
        .merchants
        .sort_by(|a, b| b.deliveries.cmp(&a.deliveries).then(a.merchant_id.cmp(&b.merchant_id)));
    report.overdue_claims = claims
        .iter()
        .filter(|c| c.status == ClaimStatus::Active && c.due_at < now)
        .count() as u32;

    let mut by_group: HashMap<BeneficiaryGroup, f64> = HashMap::new();
    let mut by_community: HashMap<String, f64> = HashMap::new();
    for n in needs.iter().filter(|n| n.status == NeedStatus::Open && n.claimed == 0) {
        let wait = hours_between(n.created_at, now);
        let g = by_group.entry(n.group).or_default();
        *g = g.max(wait);
        let c = by_community.entry(n.community.clone()).or_default();
        *c = c.max(wait);
    }
    report.longest_unclaimed_by_group = by_group.into_iter().collect();
    report.longest_unclaimed_by_group.sort_by(|a, b| b.1.total_cmp(&a.1));
    report.longest_unclaimed_by_community = by_community.into_iter().collect();
    report
        .longest_unclaimed_by_community
        .sort_by(|a, b| b.1.total_cmp(&a.1));
    report
}

/// Beneficiaries with no fulfilled need in the 90 days before `now` (较少服务或没有服务的重点人群).
pub fn unserved(beneficiaries: &[i64], needs: &[NeedRow], claims: &[ClaimRow], now: DateTime<Utc>) -> Vec<i64> {
    let since = now - Duration::days(90);
    let need_of: HashMap<i64, i64> = needs.iter().map(|n| (n.id, n.beneficiary_id)).collect();
    let served: BTreeSet<i64> = claims
        .iter()
        .filter(|c| c.confirmed_at.is_some_and(|t| t >= since))
        .filter_map(|c| need_of.get(&c.need_id).copied())
        .collect();
    beneficiaries.iter().copied().filter(|b| !served.contains(b)).collect()
}

/// Fewer people than this in a public cell and the cell is suppressed.
pub const K_ANONYMITY: usize = 5;

/// A public figure: a count of something, or suppressed because it covers too few people.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublicCell {
    /// Shown.
    Count(u64),
    /// Fewer than [`K_ANONYMITY`] people behind it.
    Suppressed,
    /// Enough people behind it, but withheld so that a suppressed figure cannot be worked
    /// out by subtraction (complementary suppression).
    Withheld,
}

impl PublicCell {
    /// True when the figure is shown.
    pub fn is_shown(&self) -> bool {
        matches!(self, PublicCell::Count(_))
    }
}

/// `count` of something that concerns `people` distinct people: shown only when at least
/// [`K_ANONYMITY`] people are behind it, or none.
pub fn public_cell(count: u64, people: usize) -> PublicCell {
    // Nobody behind it: a zero points at no one, and hiding it would hide its sums too.
    if people == 0 {
        return PublicCell::Count(count);
    }
    if people < K_ANONYMITY {
        PublicCell::Suppressed
    } else {
        PublicCell::Count(count)
    }
}

/// Needs met (fulfilled) by group, counting distinct people for suppression.
pub fn met_by_group(needs: &[NeedRow]) -> Vec<(BeneficiaryGroup, PublicCell)> {
    let mut groups: BTreeMap<&str, (BeneficiaryGroup, u64, BTreeSet<i64>)> = BTreeMap::new();
    for n in needs.iter().filter(|n| n.status == NeedStatus::Fulfilled) {
        let entry = groups.entry(n.group.as_str()).or_insert((n.group, 0, BTreeSet::new()));
        entry.1 += 1;
        entry.2.insert(n.beneficiary_id);
    }
    groups
        .into_values()
        .map(|(g, count, people)| (g, public_cell(count, people.len())))
        .collect()
}

/// Needs met by community, likewise, by name. Counted by community id: two communities
/// whose names read alike in one language stay two cells in both languages, so the pages
/// of the two languages never differ by a sum.
pub fn met_by_community(needs: &[NeedRow]) -> Vec<(String, PublicCell)> {
    let mut communities: BTreeMap<i64, (String, u64, BTreeSet<i64>)> = BTreeMap::new();
    for n in needs.iter().filter(|n| n.status == NeedStatus::Fulfilled) {
        let entry = communities
            .entry(n.community_id)
            .or_insert_with(|| (n.community.clone(), 0, BTreeSet::new()));
        entry.1 += 1;
        entry.2.insert(n.beneficiary_id);
    }
    let mut cells: Vec<(String, PublicCell)> = communities
        .into_values()
        .map(|(name, count, people)| (name, public_cell(count, people.len())))
        .collect();
    cells.sort_by(|a, b| a.0.cmp(&b.0));
    cells
}

/// Confirmed volunteer hours, all and those of former beneficiaries, each suppressed when
/// fewer than [`K_ANONYMITY`] volunteers gave them (a small count would point at people,
/// and "once helped" is itself private).
pub fn public_hours(hours: &[HoursRow]) -> (PublicCell, PublicCell) {
    let cell = |rows: Vec<&HoursRow>| {
        let tenths: i64 = rows.iter().map(|h| i64::from(h.tenths)).sum();
        let people: BTreeSet<i64> = rows.iter().map(|h| h.volunteer_id).collect();
        public_cell(u64::try_from(tenths / 10).unwrap_or(0), people.len())
    };
    (
        cell(hours.iter().collect()),
        cell(hours.iter().filter(|h| h.by_former_beneficiary).collect()),
    )
}

/// Each merchant's confirmed deliveries, suppressed when they reached fewer than
/// [`K_ANONYMITY`] people.
pub fn deliveries_by_merchant(needs: &[NeedRow], claims: &[ClaimRow]) -> BTreeMap<i64, PublicCell> {
    let person: HashMap<i64, i64> = needs.iter().map(|n| (n.id, n.beneficiary_id)).collect();
    let mut merchants: BTreeMap<i64, (u64, BTreeSet<i64>)> = BTreeMap::new();
    for c in claims.iter().filter(|c| c.status == ClaimStatus::Confirmed) {
        let entry = merchants.entry(c.merchant_id).or_default();
        entry.0 += 1;
        if let Some(p) = person.get(&c.need_id) {
            entry.1.insert(*p);
        }
    }
    merchants
        .into_iter()
        .map(|(m, (count, people))| (m, public_cell(count, people.len())))
        .collect()
}

code_enum! {
    /// How many deliveries a shop listed on the public page made, as a band: an exact count
    /// per shop would let a reader add up the shops of a subdistrict and bound a total the
    /// page hides, or tell one week's delivery from the next. Few bands, wide ones.
    DeliveryBand, "delivery band" {
        /// One to four (never listed: fewer than five people are behind it).
        Few => "1-4",
        /// Five to nineteen.
        Several => "5-19",
        /// Twenty or more.
        Many => "20+",
    }
}

impl DeliveryBand {
    /// The band of `deliveries`; none for none.
    pub fn of(deliveries: u64) -> Option<DeliveryBand> {
        match deliveries {
            0 => None,
            1..=4 => Some(DeliveryBand::Few),
            5..=19 => Some(DeliveryBand::Several),
            _ => Some(DeliveryBand::Many),
        }
    }

    /// A shop's public cell as the page lists it: its band when the count may be shown,
    /// none when it is too small to list (or withheld) and the shop is only named.
    pub fn of_cell(cell: PublicCell) -> Option<DeliveryBand> {
        match cell {
            PublicCell::Count(n) => DeliveryBand::of(n),
            PublicCell::Suppressed | PublicCell::Withheld => None,
        }
    }
}

/// The public figures about needs met: the total and its two breakdowns, each protected
/// against recomputation by subtraction (see [`protect_margins`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicMet {
    /// Needs fulfilled, all together.
    pub total: PublicCell,
    /// By beneficiary group; they add up to `total`.
    pub by_group: Vec<(BeneficiaryGroup, PublicCell)>,
    /// By community; they add up to `total` too.
    pub by_community: Vec<(String, PublicCell)>,
}

/// Needs met in all, by group and by community, small cells suppressed and their
/// complements withheld so that no hidden figure is the difference of shown ones.
pub fn public_met(needs: &[NeedRow]) -> PublicMet {
    public_figures(&[ScopeRows { needs, hours: &[] }]).0.met
}

/// Complementary suppression over tables whose cells add up to `total` (see
/// [`protect_sums`], which it applies to one total and its tables).
pub fn protect_margins(total: &mut PublicCell, tables: &mut [&mut Vec<PublicCell>]) {
    let mut cells = vec![*total];
    let mut sums = Vec::with_capacity(tables.len());
    for table in tables.iter() {
        let start = cells.len();
        cells.extend(table.iter().copied());
        sums.push(Sum::of(0, (start..cells.len()).collect()));
    }
    protect_sums(&mut cells, &sums);
    *total = cells[0];
    let mut next = 1;
    for table in tables.iter_mut() {
        for cell in table.iter_mut() {
            *cell = cells[next];
            next += 1;
        }
    }
}

/// Cells `parts` that add up to the cell `whole`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sum {
    /// The total.
    pub whole: usize,
    /// What adds up to it.
    pub parts: Vec<usize>,
    /// A reader may know one part exactly from elsewhere (an office its own subdistrict's
    /// figure, from its reports): then the whole shows only when every part does.
    pub one_part_known: bool,
}

impl Sum {
    /// `parts` adding up to `whole`, none known from elsewhere.
    pub fn of(whole: usize, parts: Vec<usize>) -> Self {
        Sum {
            whole,
            parts,
            one_part_known: false,
        }
    }
}

/// Complementary suppression over cells some of which add up to others (`sums`). With the
/// whole shown, parts with exactly one hidden cell would give it away (the whole minus the
/// shown parts), so the smallest shown part is withheld too, or the whole when none is left;
/// when a reader may know one part exactly, any hidden part withholds the whole. With the
/// whole hidden, parts all shown would give it away, so the smallest is withheld. Repeats
/// over every sum until nothing changes, so that a cell hidden for one sum is not given
/// away by another (a subdistrict's figure by the district's minus the others').
pub fn protect_sums(cells: &mut [PublicCell], sums: &[Sum]) {
    loop {
        let mut changed = false;
        for sum in sums {
            let hidden = sum.parts.iter().filter(|&&i| !cells[i].is_shown()).count();
            let whole_shown = cells[sum.whole].is_shown();
            if whole_shown && sum.one_part_known && hidden > 0 {
                cells[sum.whole] = PublicCell::Withheld;
                changed = true;
                continue;
            }
            let gives_away = if whole_shown {
                hidden == 1
            } else {
                hidden == 0 && !sum.parts.is_empty()
            };
            if !gives_away {
                continue;
            }
            let smallest = sum
                .parts
                .iter()
                .filter_map(|&i| match cells[i] {
                    PublicCell::Count(n) => Some((n, i)),
                    _ => None,
                })
                .min();
            match smallest {
                Some((_, i)) => cells[i] = PublicCell::Withheld,
                None => cells[sum.whole] = PublicCell::Withheld,
            }
            changed = true;
        }
        if !changed {
            break;
        }
    }
}

/// The rows of one subdistrict, for the public page.
#[derive(Debug, Clone, Copy)]
pub struct ScopeRows<'a> {
    /// Its organizations' needs.
    pub needs: &'a [NeedRow],
    /// Its organizations' confirmed volunteer hours.
    pub hours: &'a [HoursRow],
}

/// The public figures of one scope (a subdistrict or the district).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicFigures {
    /// Needs met: the total, by group and by community.
    pub met: PublicMet,
    /// Estimated value of delivered goods and services, in yuan.
    pub value_yuan: PublicCell,
    /// Confirmed volunteer hours.
    pub hours: PublicCell,
    /// Of which by people who were once helped.
    pub hours_by_former_beneficiaries: PublicCell,
}

/// The estimated value delivered (in yuan, each need's value in proportion to what was
/// delivered of it) and the distinct people it reached.
pub fn value_delivered(needs: &[NeedRow]) -> (u64, usize) {
    let helped: BTreeSet<i64> = needs
        .iter()
        .filter(|n| n.delivered > 0)
        .map(|n| n.beneficiary_id)
        .collect();
    let cents: i64 = needs
        .iter()
        .filter(|n| n.quantity > 0)
        .filter_map(|n| {
            n.estimated_value_cents
                .map(|v| v * i64::from(n.delivered) / i64::from(n.quantity))
        })
        .sum();
    (u64::try_from(cents / 100).unwrap_or(0), helped.len())
}

/// Where one scope's cells sit among all cells.
struct Placed {
    total: usize,
    value: usize,
    hours: usize,
    former: usize,
    groups: Vec<(BeneficiaryGroup, usize)>,
    communities: Vec<(String, usize)>,
}

/// Adds the unprotected cells of `needs` and `hours` to `cells`, and the sums within them.
fn place(cells: &mut Vec<PublicCell>, sums: &mut Vec<Sum>, needs: &[NeedRow], hours: &[HoursRow]) -> Placed {
    let mut add = |cell: PublicCell| {
        cells.push(cell);
        cells.len() - 1
    };
    let met: Vec<&NeedRow> = needs.iter().filter(|n| n.status == NeedStatus::Fulfilled).collect();
    let people: BTreeSet<i64> = met.iter().map(|n| n.beneficiary_id).collect();
    let total = add(public_cell(met.len() as u64, people.len()));
    let (yuan, helped) = value_delivered(needs);
    let value = add(public_cell(yuan, helped));
    let (all_hours, former_hours) = public_hours(hours);
    let hours = add(all_hours);
    let former = add(former_hours);
    let groups: Vec<(BeneficiaryGroup, usize)> = met_by_group(needs).into_iter().map(|(g, c)| (g, add(c))).collect();
    let communities: Vec<(String, usize)> = met_by_community(needs).into_iter().map(|(n, c)| (n, add(c))).collect();
    sums.push(Sum::of(total, groups.iter().map(|g| g.1).collect()));
    sums.push(Sum::of(total, communities.iter().map(|c| c.1).collect()));
    Placed {
        total,
        value,
        hours,
        former,
        groups,
        communities,
    }
}

fn figures(cells: &[PublicCell], p: &Placed) -> PublicFigures {
    PublicFigures {
        met: PublicMet {
            total: cells[p.total],
            by_group: p.groups.iter().map(|(g, i)| (*g, cells[*i])).collect(),
            by_community: p.communities.iter().map(|(n, i)| (n.clone(), cells[*i])).collect(),
        },
        value_yuan: cells[p.value],
        hours: cells[p.hours],
        hours_by_former_beneficiaries: cells[p.former],
    }
}

/// The public figures of the district and of each of its `subdistricts`, protected
/// together: every figure is k-anonymous, and none hidden on one page can be worked out
/// from the figures shown on the others (a subdistrict's total is the district's minus the
/// other subdistricts'; a group's district count is the sum of its subdistrict counts).
pub fn public_figures(subdistricts: &[ScopeRows<'_>]) -> (PublicFigures, Vec<PublicFigures>) {
    let mut cells = Vec::new();
    let mut sums = Vec::new();
    let placed: Vec<Placed> = subdistricts
        .iter()
        .map(|s| place(&mut cells, &mut sums, s.needs, s.hours))
        .collect();
    let needs: Vec<NeedRow> = subdistricts.iter().flat_map(|s| s.needs.iter().cloned()).collect();
    let hours: Vec<HoursRow> = subdistricts.iter().flat_map(|s| s.hours.iter().cloned()).collect();
    let mut district = place(&mut cells, &mut sums, &needs, &hours);
    if !placed.is_empty() {
        // A community lies in one subdistrict: the district shows the very same cell.
        let mut shared: Vec<(String, usize)> = placed.iter().flat_map(|p| p.communities.iter().cloned()).collect();
        shared.sort();
        district.communities = shared;
        let last = sums.len() - 1;
        sums[last] = Sum::of(district.total, district.communities.iter().map(|c| c.1).collect());
        // Each office knows its own subdistrict's figures exactly: a district figure shows
        // only when every subdistrict's does.
        let across = |whole: usize, pick: fn(&Placed) -> usize| Sum {
            whole,
            parts: placed.iter().map(pick).collect(),
            one_part_known: true,
        };
        sums.push(across(district.total, |p| p.total));
        sums.push(across(district.value, |p| p.value));
        sums.push(across(district.hours, |p| p.hours));
        sums.push(across(district.former, |p| p.former));
        for (group, whole) in &district.groups {
            let parts = placed
                .iter()
                .filter_map(|p| p.groups.iter().find(|(g, _)| g == group).map(|(_, i)| *i))
                .collect();
            sums.push(Sum {
                whole: *whole,
                parts,
                one_part_known: true,
            });
        }
    }
    protect_sums(&mut cells, &sums);
    (
        figures(&cells, &district),
        placed.iter().map(|p| figures(&cells, p)).collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0).single().expect("time")
    }

    fn need(
        id: i64,
        beneficiary_id: i64,
        community: &str,
        category: Category,
        created: DateTime<Utc>,
        status: NeedStatus,
    ) -> NeedRow {
        NeedRow {
            id,
            beneficiary_id,
            community_id: community
                .chars()
                .fold(0i64, |h, c| h.wrapping_mul(31).wrapping_add(i64::from(u32::from(c)))),
            community: community.into(),
            category,
            group: BeneficiaryGroup::ElderlyAlone,
            created_at: created,
            status,
            quantity: 4,
            delivered: if status == NeedStatus::Fulfilled { 4 } else { 0 },
            claimed: if status == NeedStatus::Open { 0 } else { 4 },
            estimated_value_cents: Some(10_000),
        }
    }

    fn claim(
        need_id: i64,
        merchant_id: i64,
        created: DateTime<Utc>,
        delivered: Option<DateTime<Utc>>,
        status: ClaimStatus,
    ) -> ClaimRow {
        ClaimRow {
            need_id,
            merchant_id,
            created_at: created,
            due_at: created + Duration::days(7),
            delivered_at: delivered,
            confirmed_at: delivered,
            status,
        }
    }

    #[test]
    fn a_week_reads_as_the_monday_it_starts_on() {
        assert_eq!(week_start("2026-W47"), NaiveDate::from_ymd_opt(2026, 11, 16));
        assert_eq!(week_start("2026-W01"), NaiveDate::from_ymd_opt(2025, 12, 29));
        assert_eq!(week_start(&iso_week(at(18, 3))), NaiveDate::from_ymd_opt(2026, 11, 16));
        assert_eq!(week_start("2026-W54"), None);
        assert_eq!(week_start("week"), None);
    }

    #[test]
    fn on_time_counts_confirmed_deliveries_only() {
        let delivered = Some(at(3, 9));
        let claims = [
            claim(1, 7, at(2, 9), delivered, ClaimStatus::Delivered),
            claim(2, 7, at(2, 9), delivered, ClaimStatus::Disputed),
            claim(3, 8, at(2, 9), delivered, ClaimStatus::Confirmed),
            claim(4, 8, at(2, 9), Some(at(20, 9)), ClaimStatus::Confirmed),
        ];
        let report = compute(&[], &claims, &[], at(25, 0));
        let line = |m| report.merchants.iter().find(|l| l.merchant_id == m).cloned();
        let waiting = line(7).expect("merchant 7");
        assert_eq!(
            (waiting.deliveries, waiting.on_time_rate),
            (0, None),
            "nothing confirmed yet"
        );
        let done = line(8).expect("merchant 8");
        assert_eq!((done.deliveries, done.on_time_rate), (2, Some(0.5)));
    }

    #[test]
    fn weekly_counts_spreads_and_value_match_a_hand_computation() {
        // Week 48 of 2026 runs Mon 23 – Sun 29 November (local time).
        let needs = vec![
            need(1, 10, "东和", Category::Food, at(23, 2), NeedStatus::Fulfilled),
            need(2, 11, "东和", Category::Food, at(24, 2), NeedStatus::Expired),
            need(3, 12, "桥东", Category::Medicine, at(25, 2), NeedStatus::Open),
            need(4, 13, "东和", Category::Food, at(30, 2), NeedStatus::Open),
        ];
        let claims = vec![
            claim(1, 100, at(23, 4), Some(at(24, 4)), ClaimStatus::Confirmed), // 2 h to claim, 24 h to deliver
            claim(1, 101, at(23, 12), Some(at(23, 20)), ClaimStatus::Confirmed), // 8 h to deliver
            claim(2, 101, at(24, 12), None, ClaimStatus::Lapsed),              // 10 h to first claim
        ];
        let hours = vec![
            HoursRow {
                volunteer_id: 1,
                tenths: 25,
                by_former_beneficiary: true,
            },
            HoursRow {
                volunteer_id: 2,
                tenths: 10,
                by_former_beneficiary: false,
            },
        ];
        let report = compute(&needs, &claims, &hours, at(30, 12));

        let w48 = &report.by_week_community[&("2026-W48".to_owned(), "东和".to_owned())];
        assert_eq!(
            w48,
            &WeekCounts {
                posted: 2,
                claimed: 2,
                fulfilled: 1,
                expired: 1
            }
        );
        assert_eq!(
            report.by_week_community[&("2026-W49".to_owned(), "东和".to_owned())].posted,
            1
        );
        assert_eq!(
            report.by_week_category[&("2026-W48".to_owned(), Category::Medicine)],
            WeekCounts {
                posted: 1,
                ..Default::default()
            }
        );

        assert_eq!(
            report.time_to_first_claim,
            Spread {
                median: Some(2.0),
                p90: Some(10.0),
                n: 2
            }
        );
        assert_eq!(
            report.time_to_delivery,
            Spread {
                median: Some(8.0),
                p90: Some(24.0),
                n: 2
            }
        );
        assert_eq!(report.value_by_category.get(&Category::Food), Some(&10_000));
        assert_eq!(
            (report.hours_tenths, report.hours_by_former_beneficiaries_tenths),
            (35, 25)
        );
        assert_eq!(
            report.merchants[0],
            MerchantLine {
                merchant_id: 100,
                deliveries: 1,
                on_time_rate: Some(1.0)
            }
        );
        assert_eq!(
            report.merchants[1],
            MerchantLine {
                merchant_id: 101,
                deliveries: 1,
                on_time_rate: Some(1.0)
            }
        );
        assert_eq!(report.merchants.len(), 2);
        // The open unclaimed needs: #3 waited 5 days 10 h, #4 10 h.
        assert_eq!(report.longest_unclaimed_by_community[0], ("桥东".to_owned(), 130.0));
        assert_eq!(report.longest_unclaimed_by_group[0].1, 130.0);
        assert_eq!(unserved(&[10, 11, 12], &needs, &claims, at(30, 12)), vec![11, 12]);
    }

    #[test]
    fn cells_about_fewer_than_five_people_are_suppressed() {
        let mut needs = Vec::new();
        for i in 0..6 {
            // Six needs met in 东和 for five people; two needs met in 桥东 for one person.
            needs.push(need(
                i,
                10 + i.min(4),
                "东和",
                Category::Food,
                at(23, 2),
                NeedStatus::Fulfilled,
            ));
        }
        needs.push(need(20, 30, "桥东", Category::Food, at(23, 2), NeedStatus::Fulfilled));
        needs.push(need(21, 30, "桥东", Category::Food, at(23, 3), NeedStatus::Fulfilled));
        let by_community = met_by_community(&needs);
        assert_eq!(
            by_community,
            vec![
                ("东和".to_owned(), PublicCell::Count(6)),
                ("桥东".to_owned(), PublicCell::Suppressed)
            ]
        );
        assert_eq!(
            met_by_group(&needs),
            vec![(BeneficiaryGroup::ElderlyAlone, PublicCell::Count(8))]
        );
        assert_eq!(public_cell(100, 4), PublicCell::Suppressed);
    }

    #[test]
    fn hours_show_only_when_five_volunteers_gave_them_and_former_beneficiaries_count_apart() {
        let row = |volunteer_id, tenths, by_former_beneficiary| HoursRow {
            volunteer_id,
            tenths,
            by_former_beneficiary,
        };
        // Five volunteers, 12.5 hours; two of them were once helped.
        let mut hours: Vec<HoursRow> = (1..=5).map(|v| row(v, 20, v <= 2)).collect();
        hours.push(row(1, 25, true));
        assert_eq!(public_hours(&hours), (PublicCell::Count(12), PublicCell::Suppressed));
        // Four volunteers, however many hours: suppressed.
        let few: Vec<HoursRow> = (1..=4).map(|v| row(v, 1000, false)).collect();
        assert_eq!(public_hours(&few).0, PublicCell::Suppressed);
    }

    #[test]
    fn a_merchants_deliveries_show_only_when_they_reached_five_people() {
        let needs: Vec<NeedRow> = (0..7)
            .map(|i| {
                need(
                    i,
                    10 + i.min(4),
                    "东和",
                    Category::Food,
                    at(23, 2),
                    NeedStatus::Fulfilled,
                )
            })
            .collect();
        let mut claims: Vec<ClaimRow> = (0..7)
            .map(|i| claim(i, 100, at(23, 4), Some(at(23, 8)), ClaimStatus::Confirmed))
            .collect();
        // Merchant 101 delivered six times to one person, and once more unconfirmed.
        claims.extend((0..6).map(|_| claim(6, 101, at(23, 4), Some(at(23, 8)), ClaimStatus::Confirmed)));
        claims.push(claim(5, 101, at(23, 4), None, ClaimStatus::Active));
        let cells = deliveries_by_merchant(&needs, &claims);
        assert_eq!(cells[&100], PublicCell::Count(7), "seven deliveries to five people");
        assert_eq!(cells[&101], PublicCell::Suppressed);
    }

    #[test]
    fn a_shop_s_deliveries_read_as_a_wide_band_never_the_count() {
        assert_eq!(DeliveryBand::of(0), None);
        assert_eq!(DeliveryBand::of(1), Some(DeliveryBand::Few));
        assert_eq!(DeliveryBand::of(4), Some(DeliveryBand::Few));
        assert_eq!(DeliveryBand::of(5), Some(DeliveryBand::Several));
        assert_eq!(DeliveryBand::of(19), Some(DeliveryBand::Several));
        assert_eq!(DeliveryBand::of(20), Some(DeliveryBand::Many));
        assert_eq!(DeliveryBand::of(u64::MAX), Some(DeliveryBand::Many));
        assert_eq!(DeliveryBand::of_cell(PublicCell::Count(7)), Some(DeliveryBand::Several));
        assert_eq!(DeliveryBand::of_cell(PublicCell::Count(0)), None);
        assert_eq!(DeliveryBand::of_cell(PublicCell::Suppressed), None);
        assert_eq!(DeliveryBand::of_cell(PublicCell::Withheld), None);
        // Bands in order, most first when sorted descending.
        assert!(DeliveryBand::Many > DeliveryBand::Several && DeliveryBand::Several > DeliveryBand::Few);
    }
    #[test]
    fn one_small_group_under_a_shown_total_withholds_the_next_smallest_too() {
        let mut needs = Vec::new();
        // Five people in 东和 and one in 桥东: 6 shown minus 5 shown would be 桥东's 1.
        for i in 0..5 {
            needs.push(need(
                i,
                10 + i,
                "东和",
                Category::Food,
                at(23, 2),
                NeedStatus::Fulfilled,
            ));
        }
        needs.push(need(9, 30, "桥东", Category::Food, at(23, 2), NeedStatus::Fulfilled));
        let met = public_met(&needs);
        assert_eq!(met.total, PublicCell::Count(6));
        assert_eq!(
            met.by_community,
            vec![
                ("东和".to_owned(), PublicCell::Withheld),
                ("桥东".to_owned(), PublicCell::Suppressed)
            ]
        );
        assert_eq!(
            met.by_group,
            vec![(BeneficiaryGroup::ElderlyAlone, PublicCell::Count(6))]
        );
    }

    #[test]
    fn a_lone_hidden_cell_with_nothing_left_to_withhold_hides_the_total() {
        let mut total = PublicCell::Count(3);
        let mut table = vec![PublicCell::Suppressed];
        protect_margins(&mut total, &mut [&mut table]);
        assert_eq!(total, PublicCell::Withheld);
    }

    #[test]
    fn a_small_subdistrict_is_not_the_district_minus_the_others() {
        // 东和 (Shatoujiao) met needs of six people, 海山 (Haishan) of two: the district's 8
        // minus Shatoujiao's 6 would give Haishan's hidden 2.
        let big: Vec<NeedRow> = (0..6)
            .map(|i| need(i, 10 + i, "东和", Category::Food, at(23, 2), NeedStatus::Fulfilled))
            .collect();
        let small: Vec<NeedRow> = (0..2)
            .map(|i| need(20 + i, 30 + i, "海山", Category::Food, at(23, 2), NeedStatus::Fulfilled))
            .collect();
        let scopes = [
            ScopeRows {
                needs: &big,
                hours: &[],
            },
            ScopeRows {
                needs: &small,
                hours: &[],
            },
        ];
        let (district, parts) = public_figures(&scopes);
        assert_eq!(parts[1].met.total, PublicCell::Suppressed);
        let totals = [district.met.total, parts[0].met.total, parts[1].met.total];
        assert!(
            totals.iter().filter(|c| !c.is_shown()).count() >= 2,
            "one hidden total among shown ones gives it away: {totals:?}"
        );
        // The group's district count is the sum of its subdistrict counts: protected alike.
        let groups = [
            district.met.by_group[0].1,
            parts[0].met.by_group[0].1,
            parts[1].met.by_group[0].1,
        ];
        assert!(groups.iter().filter(|c| !c.is_shown()).count() != 1, "{groups:?}");
        // A community shows the same figure on the district's page and its subdistrict's.
        let on_district: Vec<_> = district.met.by_community.clone();
        let on_pages: Vec<_> = parts.iter().flat_map(|p| p.met.by_community.clone()).collect();
        assert_eq!(on_district, on_pages);
        // Shatoujiao's office knows its own 6: the district's figure would give Haishan's away.
        assert!(!district.met.total.is_shown(), "{:?}", district.met.total);
        // Big enough everywhere, nothing is hidden.
        let big2: Vec<NeedRow> = (0..6)
            .map(|i| need(40 + i, 50 + i, "海山", Category::Food, at(23, 2), NeedStatus::Fulfilled))
            .collect();
        let (district, parts) = public_figures(&[
            ScopeRows {
                needs: &big,
                hours: &[],
            },
            ScopeRows {
                needs: &big2,
                hours: &[],
            },
        ]);
        assert_eq!(district.met.total, PublicCell::Count(12));
        assert_eq!(parts[0].met.total, PublicCell::Count(6));
        assert_eq!(parts[1].met.total, PublicCell::Count(6));
    }

    #[test]
    fn two_communities_named_alike_in_one_language_stay_two_cells() {
        // 东和 and 东河 both read "Donghe": the English page must not add them up.
        let mut needs: Vec<NeedRow> = (0..3)
            .map(|i| need(i, 10 + i, "东和", Category::Food, at(23, 2), NeedStatus::Fulfilled))
            .collect();
        needs.extend((0..10).map(|i| need(20 + i, 30 + i, "东河", Category::Food, at(23, 2), NeedStatus::Fulfilled)));
        let english: Vec<NeedRow> = needs
            .iter()
            .cloned()
            .map(|mut n| {
                n.community = "Donghe".into();
                n
            })
            .collect();
        let cells = |rows: &[NeedRow]| -> Vec<PublicCell> { met_by_community(rows).into_iter().map(|c| c.1).collect() };
        assert_eq!(cells(&needs), cells(&english));
        assert_eq!(cells(&english).len(), 2);
    }

    #[test]
    fn a_cell_about_nobody_shows_its_zero() {
        assert_eq!(public_cell(0, 0), PublicCell::Count(0));
        assert_eq!(public_cell(3, 1), PublicCell::Suppressed);
    }

    proptest::proptest! {
        /// Whatever the subdistricts' needs: on every page and across pages, no sum has
        /// exactly one hidden part under a shown whole, nor every part shown under a hidden one.
        #[test]
        fn no_figure_hidden_on_one_page_follows_from_the_pages_shown(
            people in proptest::collection::vec(proptest::collection::vec((0i64..12, 0usize..3, 0usize..2), 0..20), 1..4),
        ) {
            let groups = [BeneficiaryGroup::ElderlyAlone, BeneficiaryGroup::Disabled, BeneficiaryGroup::Other];
            let rows: Vec<Vec<NeedRow>> = people
                .iter()
                .enumerate()
                .map(|(s, list)| {
                    list.iter()
                        .enumerate()
                        .map(|(i, (person, group, community))| {
                            let mut n = need(
                                (s * 100 + i) as i64,
                                s as i64 * 1000 + person,
                                &format!("c{s}-{community}"),
                                Category::Food,
                                at(23, 2),
                                NeedStatus::Fulfilled,
                            );
                            n.group = groups[*group];
                            n
                        })
                        .collect()
                })
                .collect();
            let scopes: Vec<ScopeRows<'_>> = rows.iter().map(|r| ScopeRows { needs: r, hours: &[] }).collect();
            let (district, parts) = public_figures(&scopes);
            let safe = |whole: PublicCell, cells: Vec<PublicCell>| {
                let hidden = cells.iter().filter(|c| !c.is_shown()).count();
                if whole.is_shown() { hidden != 1 } else { cells.is_empty() || hidden >= 1 }
            };
            // An office knows its own subdistrict's figure: a district figure over any hidden one
            // would give that one away by subtraction.
            let whole_of_known = |whole: PublicCell, cells: &[PublicCell]| !whole.is_shown() || cells.iter().all(PublicCell::is_shown);
            let totals: Vec<PublicCell> = parts.iter().map(|p| p.met.total).collect();
            proptest::prop_assert!(safe(district.met.total, totals.clone()), "{:?} over {totals:?}", district.met.total);
            proptest::prop_assert!(whole_of_known(district.met.total, &totals), "{:?} over {totals:?}", district.met.total);
            for page in parts.iter().chain([&district]) {
                proptest::prop_assert!(safe(page.met.total, page.met.by_group.iter().map(|g| g.1).collect()));
                proptest::prop_assert!(safe(page.met.total, page.met.by_community.iter().map(|c| c.1).collect()));
            }
            for (group, whole) in &district.met.by_group {
                let cells: Vec<PublicCell> = parts
                    .iter()
                    .filter_map(|p| p.met.by_group.iter().find(|(g, _)| g == group).map(|(_, c)| *c))
                    .collect();
                proptest::prop_assert!(safe(*whole, cells.clone()), "{group:?}: {whole:?} over {cells:?}");
                proptest::prop_assert!(whole_of_known(*whole, &cells), "{group:?}: {whole:?} over {cells:?}");
            }
        }
    }

    fn arbitrary_cell() -> impl proptest::strategy::Strategy<Value = PublicCell> {
        use proptest::prelude::*;
        prop_oneof![(0u64..50).prop_map(PublicCell::Count), Just(PublicCell::Suppressed)]
    }

    proptest::proptest! {
        /// Whatever the tables: no hidden cell is the shown total minus shown cells, the
        /// hidden total is not the sum of a fully shown table, and shown values never change.
        #[test]
        fn no_hidden_figure_can_be_derived_from_the_shown_ones(
            total_shown in proptest::bool::ANY,
            total_value in 0u64..500,
            tables in proptest::collection::vec(proptest::collection::vec(arbitrary_cell(), 0..8), 1..4),
        ) {
            let before = tables.clone();
            let mut total = if total_shown { PublicCell::Count(total_value) } else { PublicCell::Suppressed };
            let mut tables = tables;
            {
                let mut refs: Vec<&mut Vec<PublicCell>> = tables.iter_mut().collect();
                protect_margins(&mut total, &mut refs);
            }
            for (after, before) in tables.iter().zip(&before) {
                let hidden = after.iter().filter(|c| !c.is_shown()).count();
                if total.is_shown() {
                    proptest::prop_assert!(hidden == 0 || hidden >= 2, "{after:?} under {total:?}");
                } else {
                    proptest::prop_assert!(after.is_empty() || hidden >= 1, "{after:?} under a hidden total");
                }
                for (a, b) in after.iter().zip(before) {
                    // A cell is only ever hidden, never changed or revealed.
                    proptest::prop_assert!(a == b || (!a.is_shown()), "{b:?} became {a:?}");
                }
            }
            if total_shown && total.is_shown() {
                proptest::prop_assert_eq!(total, PublicCell::Count(total_value));
            }
        }
    }
}
