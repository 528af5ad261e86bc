//! The office's reports (tables, SVG charts, CSV downloads) and the public transparency page.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{Chrome, OrPage, PageError, PageResult, render};
use crate::AppState;
use crate::domain::reports::{DeliveryBand, PublicCell, Report, Spread, week_start};
use crate::domain::sponsorship::SponsorshipFigures;
use crate::i18n::Tr;
use crate::services::ServiceError;
use crate::services::referrals::{self, ReferralReport};
use crate::services::reports::{self, Transparency};
use crate::services::{sponsorships, subdistricts};
use crate::web::charts::{bar_chart, worth_drawing};
use crate::web::session::{PageLang, Staff};

/// The report's period, and the subdistrict it covers (empty: the caller's own, or for the
/// district bureau the whole district).
#[derive(Debug, Deserialize)]
pub struct Period {
    #[serde(default = "twelve")]
    weeks: i64,
    #[serde(default)]
    subdistrict: String,
}

impl Period {
    /// The chosen subdistrict, if one was: an id that is no number is "not found", as an id of
    /// no subdistrict is.
    fn subdistrict(&self, t: Tr) -> Result<Option<i64>, PageError> {
        match self.subdistrict.trim() {
            "" => Ok(None),
            id => id
                .parse()
                .map(Some)
                .map_err(|_| PageError::new(t, ServiceError::NotFound("subdistrict"))),
        }
    }

    /// The query string of this period, for the page's links.
    fn query(&self) -> String {
        match self.subdistrict.trim() {
            "" => format!("weeks={}", self.weeks),
            id => format!(
                "weeks={}&subdistrict={}",
                self.weeks,
                form_urlencoded::byte_serialize(id.as_bytes()).collect::<String>()
            ),
        }
    }
}

fn twelve() -> i64 {
    12
}

#[derive(Template)]
#[template(path = "reports.html")]
struct ReportsPage {
    c: Chrome,
    weeks: i64,
    /// "The last 12 weeks: 16 Sep to today": how many weeks the figures cover.
    period: String,
    /// The period's query string for links (`weeks=12&subdistrict=2`).
    q: String,
    /// What the report covers: a subdistrict, or the whole district.
    place: String,
    /// The subdistricts the district bureau may choose from (empty for an office).
    subdistricts: super::Options,
    weekly: Vec<Vec<String>>,
    categories: Vec<Vec<String>>,
    value: Vec<Vec<String>>,
    merchants: Vec<Vec<String>>,
    gaps_groups: Vec<Vec<String>>,
    gaps_communities: Vec<Vec<String>>,
    unserved: Vec<String>,
    first_claim: String,
    delivery: String,
    hours: String,
    hours_former: String,
    overdue: u32,
    /// Draw the weekly chart: some need was posted in the period.
    weekly_chart: bool,
    /// Draw the value chart: some delivered need had an estimated value.
    value_chart: bool,
    disputes: super::views::OpenDisputes,
    /// Referrals by pair: sender, receiver, sent, accepted, declined, waiting, acceptance, median answer.
    referral_pairs: Vec<Vec<String>>,
    /// Decline reasons: reason, times.
    referral_declines: Vec<Vec<String>>,
    /// People referred again and again: (case id, code, chain).
    referral_repeated: Vec<(i64, String, String)>,
    /// One-on-one sponsorship, in lines: people, periods on time, endings.
    sponsorship: Vec<String>,
}

/// The sponsorship figures in three lines, in `t`'s language.
fn sponsorship_lines(t: Tr, f: &SponsorshipFigures) -> Vec<String> {
    let ended: Vec<String> = f
        .ended
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(why, n)| format!("{} {n}", why.label(t.0)))
        .collect();
    vec![
        t.fill(
            "reports.sponsored_people",
            &[("people", &f.people.to_string()), ("active", &f.active.to_string())],
        ),
        t.fill(
            "reports.sponsored_periods",
            &[
                ("due", &f.periods_due.to_string()),
                ("on_time", &f.on_time.to_string()),
                (
                    "percent",
                    &f.on_time_percent()
                        .map(|p| format!("{p}%"))
                        .unwrap_or_else(|| "—".to_owned()),
                ),
            ],
        ),
        t.fill(
            "reports.sponsorships_ended",
            &[
                ("ended", &f.ended_total().to_string()),
                ("reasons", &ended.join(t.get("list.separator"))),
            ],
        ),
    ]
}

/// The referral tables of the reports page, headed, in `t`'s language.
/// A table: a header row, then rows.
type Table = Vec<Vec<String>>;

fn referral_tables(t: Tr, r: &ReferralReport) -> (Table, Table, Vec<(i64, String, String)>) {
    let mut pairs = vec![
        [
            "reports.referral_from",
            "reports.referral_to",
            "reports.referral_sent",
            "reports.referral_accepted",
            "reports.referral_declined",
            "reports.referral_pending",
            "reports.referral_rate",
            "reports.referral_answer",
        ]
        .iter()
        .map(|k| t.get(k).to_owned())
        .collect::<Vec<_>>(),
    ];
    pairs.extend(r.pairs.iter().map(|(from, to, f)| {
        vec![
            from.clone(),
            to.clone(),
            f.sent.to_string(),
            f.accepted.to_string(),
            f.declined.to_string(),
            f.pending.to_string(),
            f.acceptance_percent()
                .map(|p| format!("{p}%"))
                .unwrap_or_else(|| "—".to_owned()),
            f.median_answer_hours()
                .map(|h| t.fill("reports.referral_days", &[("days", &days(h as f64))]))
                .unwrap_or_else(|| "—".to_owned()),
        ]
    }));
    let mut declines = vec![vec![
        t.get("reports.referral_reason").to_owned(),
        t.get("reports.referral_times").to_owned(),
    ]];
    declines.extend(
        r.declines
            .iter()
            .map(|(why, n)| vec![why.label(t.0).to_owned(), n.to_string()]),
    );
    let repeated = r
        .repeated
        .iter()
        .map(|x| {
            let chain: Vec<String> = x
                .chain
                .iter()
                .map(|(from, to, status)| format!("{from} → {to}（{}）", status.label(t.0)))
                .collect();
            (x.beneficiary_id, x.code.clone(), chain.join(t.get("list.separator")))
        })
        .collect();
    (pairs, declines, repeated)
}

/// Hours as days with one decimal: waits of a week read better as "2.5 days" than "60".
fn days(hours: f64) -> String {
    format!("{:.1}", hours / 24.0)
}

fn spread_text(t: Tr, s: &Spread) -> String {
    match (s.median, s.p90) {
        (Some(m), Some(p)) => t.fill(
            "reports.spread",
            &[("median", &days(m)), ("p90", &days(p)), ("n", &s.n.to_string())],
        ),
        _ => t.get("reports.no_data").to_owned(),
    }
}

/// How a week is named in a table: a date on the page, an ISO date in a CSV (sortable).
#[derive(Clone, Copy)]
enum WeekAs {
    Words,
    IsoDate,
}

fn week_text(t: Tr, iso_week: &str, as_: WeekAs) -> String {
    match (week_start(iso_week), as_) {
        (Some(monday), WeekAs::Words) => t.fill("reports.week_of", &[("date", &t.short_date(monday))]),
        (Some(monday), WeekAs::IsoDate) => monday.to_string(),
        (None, _) => iso_week.to_owned(),
    }
}

/// Posted needs a week, oldest first, labelled by the week's Monday.
fn weekly_bars(t: Tr, report: &Report) -> Vec<(String, u64)> {
    let mut weeks: std::collections::BTreeMap<&str, u64> = std::collections::BTreeMap::new();
    for ((week, _), counts) in &report.by_week_community {
        *weeks.entry(week).or_default() += u64::from(counts.posted);
    }
    weeks
        .into_iter()
        .map(|(week, n)| {
            let label = week_start(week).map_or_else(|| week.to_owned(), |d| t.short_date(d));
            (label, n)
        })
        .collect()
}

/// Value delivered by category, in whole yuan.
fn value_bars(t: Tr, report: &Report) -> Vec<(String, u64)> {
    report
        .value_by_category
        .iter()
        .map(|(c, cents)| (c.label(t.0).to_owned(), u64::try_from(cents / 100).unwrap_or(0)))
        .collect()
}

fn tenths(t: i64) -> String {
    format!("{}.{}", t / 10, t % 10)
}

/// A rate with nothing to be a rate of (no confirmed delivery yet).
const NOT_APPLICABLE: &str = "—";

/// The report's tables, each a header row and data rows, by name (also the CSV names).
fn tables(
    t: Tr,
    report: &Report,
    merchant_names: &[(String, i32)],
    weeks_as: WeekAs,
) -> Vec<(&'static str, Vec<Vec<String>>)> {
    let counts = |c: &crate::domain::reports::WeekCounts| {
        vec![
            c.posted.to_string(),
            c.claimed.to_string(),
            c.fulfilled.to_string(),
            c.expired.to_string(),
        ]
    };
    let head = |first: &str, second: &str| {
        vec![
            t.get(first).to_owned(),
            t.get(second).to_owned(),
            t.get("reports.posted").to_owned(),
            t.get("reports.claimed").to_owned(),
            t.get("reports.fulfilled").to_owned(),
            t.get("reports.expired").to_owned(),
        ]
    };
    let mut weekly = vec![head("reports.week", "reports.community")];
    weekly.extend(
        report
            .by_week_community
            .iter()
            .map(|((w, c), n)| [vec![week_text(t, w, weeks_as), c.clone()], counts(n)].concat()),
    );
    let mut categories = vec![head("reports.week", "reports.category")];
    categories.extend(
        report
            .by_week_category
            .iter()
            .map(|((w, c), n)| [vec![week_text(t, w, weeks_as), c.label(t.0).to_owned()], counts(n)].concat()),
    );
    let mut value = vec![vec![
        t.get("reports.category").to_owned(),
        t.get("reports.value").to_owned(),
    ]];
    value.extend(
        report
            .value_by_category
            .iter()
            .map(|(c, v)| vec![c.label(t.0).to_owned(), format!("{:.2}", *v as f64 / 100.0)]),
    );
    let mut merchants = vec![vec![
        t.get("reports.merchant").to_owned(),
        t.get("reports.deliveries").to_owned(),
        t.get("reports.on_time").to_owned(),
        t.get("reports.credit").to_owned(),
    ]];
    merchants.extend(report.merchants.iter().zip(merchant_names).map(|(l, (name, credit))| {
        vec![
            name.clone(),
            l.deliveries.to_string(),
            l.on_time_rate
                .map_or_else(|| NOT_APPLICABLE.to_owned(), |r| format!("{:.0}%", r * 100.0)),
            credit.to_string(),
        ]
    }));
    let mut groups = vec![vec![
        t.get("reports.group").to_owned(),
        t.get("reports.longest_wait").to_owned(),
    ]];
    groups.extend(
        report
            .longest_unclaimed_by_group
            .iter()
            .map(|(g, h)| vec![g.label(t.0).to_owned(), days(*h)]),
    );
    let mut communities = vec![vec![
        t.get("reports.community").to_owned(),
        t.get("reports.longest_wait").to_owned(),
    ]];
    communities.extend(
        report
            .longest_unclaimed_by_community
            .iter()
            .map(|(c, h)| vec![c.clone(), days(*h)]),
    );
    vec![
        ("weekly-community", weekly),
        ("weekly-category", categories),
        ("value", value),
        ("merchants", merchants),
        ("gaps-groups", groups),
        ("gaps-communities", communities),
    ]
}

/// `GET /admin/reports?weeks=N`.
pub async fn page(State(state): State<AppState>, staff: Staff, Query(period): Query<Period>) -> PageResult {
    let t = staff.t;
    let chosen = period.subdistrict(t)?;
    let (report, names, unserved) =
        reports::office_report(&state.db, &staff.caller, chosen, period.weeks, t.0, chrono::Utc::now())
            .await
            .or_page(t)?;
    let weeks = period.weeks.clamp(1, 104);
    let since = chrono::Utc::now() - chrono::Duration::weeks(weeks);
    let referral_report = referrals::report(&state.db, &staff.caller, chosen, since, chrono::Utc::now())
        .await
        .or_page(t)?;
    let (referral_pairs, referral_declines, referral_repeated) = referral_tables(t, &referral_report);
    let sponsorship = sponsorships::report(&state.db, &staff.caller, chosen, since, chrono::Utc::now())
        .await
        .or_page(t)?;
    let district = subdistricts::district(&state.db).await.or_page(t)?;
    // An office reads its own subdistrict; the bureau the one it chose, or all.
    let place = place_name(t, &district, chosen.or(staff.caller.subdistrict_id()));
    let subdistricts = if staff.caller.is_office() {
        Vec::new()
    } else {
        subdistrict_options(t, &district, chosen)
    };
    let weekly_chart = worth_drawing(&weekly_bars(t, &report));
    let value_chart = worth_drawing(&value_bars(t, &report));
    let mut all = tables(t, &report, &names, WeekAs::Words)
        .into_iter()
        .map(|(_, rows)| rows);
    let mut next = || all.next().unwrap_or_default();
    Ok(render(
        StatusCode::OK,
        ReportsPage {
            c: Chrome::new(t, &staff.session, "reports.title"),
            weeks: period.weeks,
            period: t.count(
                "reports.period",
                weeks.unsigned_abs(),
                &[
                    ("weeks", &weeks.to_string()),
                    ("from", &t.short_date(crate::domain::time::local_date(since))),
                ],
            ),
            q: period.query(),
            place,
            subdistricts,
            weekly: next(),
            categories: next(),
            value: next(),
            merchants: next(),
            gaps_groups: next(),
            gaps_communities: next(),
            unserved,
            first_claim: spread_text(t, &report.time_to_first_claim),
            delivery: spread_text(t, &report.time_to_delivery),
            hours: tenths(report.hours_tenths),
            hours_former: tenths(report.hours_by_former_beneficiaries_tenths),
            overdue: report.overdue_claims,
            weekly_chart,
            value_chart,
            disputes: if staff.caller.is_office() {
                super::views::OpenDisputes::load(&state.db, &staff.caller, t).await
            } else {
                super::views::OpenDisputes { items: Vec::new() }
            },
            referral_pairs,
            referral_declines,
            referral_repeated,
            sponsorship: sponsorship_lines(t, &sponsorship),
        },
    ))
}

/// `GET /admin/reports/{name}.csv`: one table as CSV (UTF-8 with BOM, for spreadsheets).
pub async fn csv(
    State(state): State<AppState>,
    staff: Staff,
    Path(file): Path<String>,
    Query(period): Query<Period>,
) -> PageResult {
    let t = staff.t;
    let Some(name) = file.strip_suffix(".csv") else {
        return Err(PageError::new(t, ServiceError::NotFound("report")));
    };
    let (report, names, _) = reports::office_report(
        &state.db,
        &staff.caller,
        period.subdistrict(t)?,
        period.weeks,
        t.0,
        chrono::Utc::now(),
    )
    .await
    .or_page(t)?;
    let Some((_, rows)) = tables(t, &report, &names, WeekAs::IsoDate)
        .into_iter()
        .find(|(n, _)| *n == name)
    else {
        return Err(PageError::new(t, ServiceError::NotFound("report")));
    };
    let mut writer = ::csv::Writer::from_writer(vec![0xEF, 0xBB, 0xBF]);
    for row in rows {
        if writer
            .write_record(row.iter().map(|cell| formula_safe(cell).into_owned()))
            .is_err()
        {
            return Err(PageError::new(t, ServiceError::Internal("csv".into())));
        }
    }
    let bytes = writer.into_inner().unwrap_or_default();
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}.csv\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

/// `GET /admin/reports/chart/{name}.svg`: weekly posted needs, or value by category.
pub async fn chart(
    State(state): State<AppState>,
    staff: Staff,
    Path(file): Path<String>,
    Query(period): Query<Period>,
) -> PageResult {
    let t = staff.t;
    let (report, _, _) = reports::office_report(
        &state.db,
        &staff.caller,
        period.subdistrict(t)?,
        period.weeks,
        t.0,
        chrono::Utc::now(),
    )
    .await
    .or_page(t)?;
    let svg = match file.as_str() {
        "weekly.svg" => bar_chart(t.get("reports.chart_weekly"), &weekly_bars(t, &report)),
        "value.svg" => bar_chart(t.get("reports.chart_value"), &value_bars(t, &report)),
        _ => return Err(PageError::new(t, ServiceError::NotFound("chart"))),
    };
    Ok(svg_response(svg))
}

/// A cell a spreadsheet will not run: text that starts like a formula (`=`, `+`, `-`, `@`,
/// a tab, a carriage return, a line feed or NUL) gets a leading apostrophe, as OWASP
/// advises for CSV downloads; numbers, negative ones too, stay numbers.
fn formula_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r', '\n', '\0']);
    if risky && cell.parse::<f64>().is_err() {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

fn svg_response(svg: String) -> Response {
    let mut response = svg.into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("image/svg+xml"));
    response
}

#[derive(Template)]
#[template(path = "transparency.html")]
struct TransparencyPage {
    c: Chrome,
    needs_met: String,
    value: String,
    hours: String,
    hours_former: String,
    merchants: String,
    shown: Vec<(String, String)>,
    /// Shops taking part whose deliveries are too few to show yet: named together, once.
    growing: String,
    by_group: Vec<(String, String)>,
    by_community: Vec<(String, String)>,
    /// Draw the chart: some group's count is shown and above zero.
    chart: bool,
    /// What the figures cover: a subdistrict, or the whole district.
    place: String,
    /// The subdistricts to choose from, the chosen one selected (empty value: all).
    subdistricts: super::Options,
    /// `?subdistrict=N` for the chart, or nothing.
    q: String,
    /// The roll of honour: (shop, badge), by name.
    honour: Vec<(String, String)>,
}

/// What a public figure counts, for its unit ("12 项", "3,450 元").
#[derive(Clone, Copy)]
enum Unit {
    Needs,
    Yuan,
    Hours,
    Shops,
}

impl Unit {
    fn key(self) -> &'static str {
        match self {
            Unit::Needs => "unit.needs",
            Unit::Yuan => "unit.yuan",
            Unit::Hours => "unit.hours",
            Unit::Shops => "unit.shops",
        }
    }
}

/// `n` with its unit, digits grouped by thousands as both languages write money.
fn with_unit(t: Tr, n: u64, unit: Unit) -> String {
    let digits = n.to_string();
    let mut grouped = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(d);
    }
    t.fill(unit.key(), &[("n", &grouped)])
}

fn cell(t: Tr, c: PublicCell, unit: Unit) -> String {
    match c {
        PublicCell::Count(n) => with_unit(t, n, unit),
        PublicCell::Suppressed => t.get("transparency.suppressed").to_owned(),
        PublicCell::Withheld => t.get("transparency.withheld").to_owned(),
    }
}

/// The words of a shop's delivery band on the public page.
fn band_key(band: DeliveryBand) -> &'static str {
    match band {
        DeliveryBand::Few => "transparency.band.few",
        DeliveryBand::Several => "transparency.band.several",
        DeliveryBand::Many => "transparency.band.many",
    }
}

/// The groups whose count is shown, as chart bars.
fn met_bars(t: Tr, met_by_group: &[(crate::domain::BeneficiaryGroup, PublicCell)]) -> Vec<(String, u64)> {
    met_by_group
        .iter()
        .filter_map(|(g, c)| match c {
            PublicCell::Count(n) => Some((g.label(t.0).to_owned(), *n)),
            PublicCell::Suppressed | PublicCell::Withheld => None,
        })
        .collect()
}

/// What a report covers, named: subdistrict `chosen`, or the whole district.
fn place_name(t: Tr, district: &subdistricts::DistrictView, chosen: Option<i64>) -> String {
    match chosen.and_then(|id| district.subdistrict(id)) {
        Some(s) => s.name_in(t.0).to_owned(),
        None => t.fill("reports.whole_district", &[("district", district.name_in(t.0))]),
    }
}

/// The district's subdistricts to choose from, "all" first, `chosen` selected.
fn subdistrict_options(t: Tr, district: &subdistricts::DistrictView, chosen: Option<i64>) -> super::Options {
    let mut options = vec![(
        String::new(),
        t.get("reports.all_subdistricts").to_owned(),
        chosen.is_none(),
    )];
    options.extend(
        district
            .subdistricts
            .iter()
            .map(|s| (s.id.to_string(), s.name_in(t.0).to_owned(), chosen == Some(s.id))),
    );
    options
}

/// Which part of the district the public figures cover: `?subdistrict=N`, or all.
#[derive(Debug, Default, Deserialize)]
pub struct Place {
    #[serde(default)]
    subdistrict: String,
}

impl Place {
    /// The subdistrict asked for, checked against the district's own (so that the cache below
    /// holds one entry per real subdistrict and language, whatever is asked); anything else is
    /// "not found".
    fn chosen(&self, t: Tr, district: &subdistricts::DistrictView) -> Result<Option<i64>, PageError> {
        let id = self.subdistrict.trim();
        if id.is_empty() {
            return Ok(None);
        }
        id.parse::<i64>()
            .ok()
            .filter(|id| district.subdistrict(*id).is_some())
            .map(Some)
            .ok_or_else(|| PageError::new(t, ServiceError::NotFound("subdistrict")))
    }
}

/// What `draw` makes of the public figures of `subdistrict` (or the whole district), kept
/// under `name`, the place and the language while the cache holds it: the figures read every
/// need and claim ever, and anyone may ask.
async fn public_cached(
    state: &AppState,
    t: Tr,
    name: &str,
    subdistrict: Option<i64>,
    draw: impl FnOnce(Transparency) -> Result<String, ServiceError>,
) -> Result<String, PageError> {
    let key = format!("{name}:{}:{}", subdistrict.unwrap_or(0), t.lang());
    if let Some(hit) = state.cache.get(&key) {
        return Ok(hit);
    }
    let drawn = reports::transparency(&state.db, t.0, subdistrict)
        .await
        .and_then(draw)
        .or_page(t)?;
    state.cache.put(&key, drawn.clone());
    Ok(drawn)
}

/// Browsers and proxies may keep the public page and chart as long as the server does, so
/// a change shows within two minutes.
const PUBLIC_CACHE: &str = "public, max-age=60";

/// Marks a public response cacheable, per language: the language comes from
/// `Accept-Language`, so a shared cache must not hand one language to everyone.
fn publicly_cached(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(PUBLIC_CACHE));
    headers.insert(header::VARY, HeaderValue::from_static("Accept-Language"));
    response
}

/// `GET /transparency?subdistrict=N`: the public page, aggregates only, for one subdistrict
/// or the whole district, cached for a minute.
pub async fn transparency(
    State(state): State<AppState>,
    PageLang(t): PageLang,
    Query(place): Query<Place>,
) -> PageResult {
    let district = subdistricts::district(&state.db).await.or_page(t)?;
    let chosen = place.chosen(t, &district)?;
    let page = public_cached(&state, t, "transparency", chosen, |f| {
        let c = Chrome {
            t,
            user: None,
            is_admin: false,
            is_district: false,
            csrf: String::new(),
            title: t.get("transparency.title").to_owned(),
        };
        let mut honour: Vec<(String, String)> = f
            .honour_roll
            .iter()
            .map(|e| (e.name.clone(), t.fill("honour.badge", &[("stars", e.badge.stars())])))
            .collect();
        honour.sort_by(|a, b| super::admin::sorting::by_name(&a.0, &b.0));
        TransparencyPage {
            c,
            honour,
            place: place_name(t, &district, chosen),
            subdistricts: subdistrict_options(t, &district, chosen),
            q: chosen.map(|id| format!("?subdistrict={id}")).unwrap_or_default(),
            needs_met: cell(t, f.needs_met, Unit::Needs),
            value: cell(t, f.value_yuan, Unit::Yuan),
            hours: cell(t, f.hours, Unit::Hours),
            hours_former: cell(t, f.hours_by_former_beneficiaries, Unit::Hours),
            merchants: with_unit(t, f.merchants, Unit::Shops),
            chart: worth_drawing(&met_bars(t, &f.met_by_group)),
            growing: f
                .shown_merchants
                .iter()
                .filter(|(_, band)| band.is_none())
                .map(|(name, _)| name.as_str())
                .collect::<Vec<_>>()
                .join(t.get("punct.list")),
            shown: f
                .shown_merchants
                .into_iter()
                .filter_map(|(name, band)| band.map(|b| (name, t.get(band_key(b)).to_owned())))
                .collect(),
            by_group: f
                .met_by_group
                .iter()
                .map(|(g, c)| (g.label(t.0).to_owned(), cell(t, *c, Unit::Needs)))
                .collect(),
            by_community: f
                .met_by_community
                .iter()
                .map(|(name, c)| (name.clone(), cell(t, *c, Unit::Needs)))
                .collect(),
        }
        .render()
        .map_err(|e| ServiceError::Internal(e.to_string()))
    })
    .await?;
    Ok(publicly_cached(axum::response::Html(page).into_response()))
}

/// `GET /transparency/met.svg?subdistrict=N`: needs met by group, suppressed groups left out.
pub async fn transparency_chart(
    State(state): State<AppState>,
    PageLang(t): PageLang,
    Query(place): Query<Place>,
) -> PageResult {
    let district = subdistricts::district(&state.db).await.or_page(t)?;
    let chosen = place.chosen(t, &district)?;
    let svg = public_cached(&state, t, "transparency-chart", chosen, |f| {
        Ok(bar_chart(t.get("transparency.chart"), &met_bars(t, &f.met_by_group)))
    })
    .await?;
    Ok(publicly_cached(svg_response(svg)))
}

#[cfg(test)]
mod tests {
    use super::{Tr, Unit, formula_safe, with_unit};
    use crate::domain::Locale;

    #[test]
    fn figures_carry_their_unit_and_grouped_digits() {
        let zh = Tr(Locale::ZhCn);
        assert_eq!(with_unit(zh, 3450, Unit::Yuan), "3,450 元");
        assert_eq!(with_unit(zh, 12, Unit::Needs), "12 项");
        assert_eq!(with_unit(zh, 1_234_567, Unit::Hours), "1,234,567 小时");
        assert_eq!(with_unit(Tr(Locale::En), 999, Unit::Yuan), "¥999");
        assert_eq!(with_unit(Tr(Locale::En), 0, Unit::Shops), "0");
    }

    #[test]
    fn names_that_start_like_formulas_are_quoted_and_numbers_are_not() {
        assert_eq!(formula_safe("=HYPERLINK(\"http://x\")"), "'=HYPERLINK(\"http://x\")");
        assert_eq!(formula_safe("+1 商户"), "'+1 商户");
        assert_eq!(formula_safe("-出错"), "'-出错");
        assert_eq!(formula_safe("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(formula_safe("\t=1"), "'\t=1");
        assert_eq!(formula_safe("\n=1"), "'\n=1");
        assert_eq!(formula_safe("\0=1"), "'\0=1");
        assert_eq!(formula_safe("-3.5"), "-3.5");
        assert_eq!(formula_safe("爱心商户"), "爱心商户");
        assert_eq!(formula_safe("100%"), "100%");
    }
}
