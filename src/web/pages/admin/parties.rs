//! The lists of organizations and merchants the office admits: headers, ids, labelled
//! kinds, credit bands with their scores (and, for an organization, what its band comes
//! from), a status filter (pending first by default), sorting by name in pinyin
//! order, and pages.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::super::{Chrome, Options, OrPage, PageResult, render};
use super::sorting::by_name;
use crate::AppState;
use crate::domain::PartyStatus;
use crate::domain::credit::OrganizationRecord;
use crate::i18n::Tr;
use crate::services::{merchant_applications, office, subdistricts};
use crate::web::session::Staff;

/// Rows on one page of a party list.
pub const PAGE_SIZE: usize = 20;

/// True when a page follows page `page` (from 0) of a list of `total` rows. The page number
/// comes from the URL and may be anything up to `usize::MAX`.
pub fn has_next(page: usize, total: usize) -> bool {
    page.saturating_add(1).saturating_mul(PAGE_SIZE) < total
}

/// One organization or merchant in a list.
pub struct PartyRow {
    /// Id (asked for by the CLI and the bot console).
    pub id: i64,
    /// Name.
    pub name: String,
    /// Organization kind, or the merchant's trade (labelled).
    pub detail: String,
    /// The credit band's label.
    pub band: String,
    /// The credit score, labelled.
    pub credit: String,
    /// For an organization, what its band comes from (empty for merchants).
    pub credit_note: String,
    /// Status label.
    pub status: String,
    /// Status code (decides the buttons; never shown).
    pub status_code: String,
    /// Its subdistrict's name (shown to the district bureau, which reads them all).
    pub subdistrict: String,
}

/// Filter, order and page of a party list.
#[derive(Debug, Default, Deserialize)]
pub struct PartyQuery {
    /// `pending`, `approved`, `suspended`, or empty for all.
    #[serde(default)]
    pub status: String,
    /// `name` (pinyin order), `id`, or empty: pending first, then by name.
    #[serde(default)]
    pub sort: String,
    /// Page number from 0.
    #[serde(default)]
    pub page: usize,
    /// What was just saved, for a notice (`services`).
    #[serde(default)]
    pub saved: String,
}

#[derive(Template)]
#[template(path = "admin_parties.html")]
pub struct PartiesPage {
    c: Chrome,
    kind: &'static str,
    rows: Vec<PartyRow>,
    statuses: Options,
    sorts: Options,
    total: String,
    prev: String,
    next: String,
    /// A notice above the list (empty for none).
    code: String,
    /// "Applications waiting: N", linking to them (merchants only; empty for none).
    applications: String,
}

/// Orders, filters and pages `rows` as `q` asks.
fn arrange(mut rows: Vec<PartyRow>, q: &PartyQuery) -> (Vec<PartyRow>, usize) {
    if !q.status.is_empty() {
        rows.retain(|r| r.status_code == q.status);
    }
    match q.sort.as_str() {
        "id" => rows.sort_by_key(|r| r.id),
        "name" => rows.sort_by(|a, b| by_name(&a.name, &b.name)),
        // Whoever waits for admission comes first: the one pending shop was row 22 of 30.
        _ => rows.sort_by(|a, b| {
            let waiting = |r: &PartyRow| r.status_code != PartyStatus::Pending.as_str();
            waiting(a).cmp(&waiting(b)).then_with(|| by_name(&a.name, &b.name))
        }),
    }
    let total = rows.len();
    let page = rows
        .into_iter()
        .skip(q.page.saturating_mul(PAGE_SIZE))
        .take(PAGE_SIZE)
        .collect();
    (page, total)
}

fn link(kind: &str, q: &PartyQuery, page: usize) -> String {
    let enc = |v: &str| form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
    format!(
        "/admin/{kind}?status={}&sort={}&page={page}",
        enc(&q.status),
        enc(&q.sort)
    )
}

/// The page of `kind` (`organizations` or `merchants`) for `rows`.
pub fn page(
    t: Tr,
    c: Chrome,
    kind: &'static str,
    rows: Vec<PartyRow>,
    q: &PartyQuery,
    code: String,
    applications: String,
) -> Response {
    let (rows, total) = arrange(rows, q);
    let mut statuses = vec![(String::new(), t.get("filter.any").to_owned(), q.status.is_empty())];
    statuses.extend(
        PartyStatus::ALL
            .iter()
            .map(|s| (s.as_str().to_owned(), s.label(t.0).to_owned(), s.as_str() == q.status)),
    );
    let sorts = [
        ("", "admin.sort_pending_first"),
        ("name", "admin.sort_name"),
        ("id", "admin.sort_id"),
    ]
    .iter()
    .map(|(v, k)| ((*v).to_owned(), t.get(k).to_owned(), *v == q.sort))
    .collect();
    let prev = if q.page > 0 {
        link(kind, q, q.page - 1)
    } else {
        String::new()
    };
    let next = if has_next(q.page, total) {
        link(kind, q, q.page + 1)
    } else {
        String::new()
    };
    render(
        StatusCode::OK,
        PartiesPage {
            c,
            kind,
            rows,
            statuses,
            sorts,
            total: t.fill("admin.total", &[("count", &total.to_string())]),
            prev,
            next,
            code,
            applications,
        },
    )
}

/// `GET /admin/organizations`.
pub async fn organizations(State(state): State<AppState>, staff: Staff, Query(q): Query<PartyQuery>) -> PageResult {
    let t = staff.t;
    let list = office::organizations(&state.db, &staff.caller, chrono::Utc::now())
        .await
        .or_page(t)?;
    let district = subdistricts::district(&state.db).await.or_page(t)?;
    let rows = list
        .into_iter()
        .map(|o| PartyRow {
            id: o.id,
            detail: organization_detail(t, &o),
            band: o.credit.band.label(t.0).to_owned(),
            credit: t.fill("admin.credit_value", &[("score", &o.credit.score.to_string())]),
            credit_note: credit_note(t, &o.credit.record),
            name: o.name,
            status: o.status.label(t.0).to_owned(),
            status_code: o.status.as_str().to_owned(),
            subdistrict: subdistrict_name(t, &district, o.subdistrict_id),
        })
        .collect();
    let c = Chrome::new(t, &staff.session, "admin.organizations");
    let notice = if q.saved == "services" {
        t.get("admin.services_saved").to_owned()
    } else {
        String::new()
    };
    Ok(page(t, c, "organizations", rows, &q, notice, String::new()))
}

/// "Social work station · Care for older people、Legal aid": its kind and what it offers.
fn organization_detail(t: Tr, o: &office::OrganizationSummary) -> String {
    let kind = o.kind.label(t.0);
    if o.areas.is_empty() {
        return format!("{kind} · {}", t.get("admin.services_none"));
    }
    let areas: Vec<&str> = o.areas.iter().map(|a| a.label(t.0)).collect();
    format!("{kind} · {}", areas.join(t.get("list.separator")))
}

/// The name of subdistrict `id` in `t`'s language.
fn subdistrict_name(t: Tr, district: &subdistricts::DistrictView, id: i64) -> String {
    district
        .subdistrict(id)
        .map(|s| s.name_in(t.0).to_owned())
        .unwrap_or_default()
}

/// What an organization's band comes from, short: its counts that are not zero, or that it
/// has no record yet.
fn credit_note(t: Tr, r: &OrganizationRecord) -> String {
    let items: Vec<String> = [
        ("credit.item.needs_fulfilled", r.needs_fulfilled),
        ("credit.item.needs_unfulfilled", r.needs_unfulfilled),
        ("credit.item.confirmed_on_time", r.confirmed_on_time),
        ("credit.item.confirmed_late", r.confirmed_late),
        ("credit.item.referrals_on_time", r.referrals_on_time),
        ("credit.item.referrals_late", r.referrals_late),
        ("credit.item.data_quality", r.data_quality_refusals),
        ("credit.item.disputes_lost", r.disputes_lost),
    ]
    .into_iter()
    .filter(|(_, n)| *n > 0)
    .map(|(key, n)| t.count(key, u64::from(n), &[("n", &n.to_string())]))
    .collect();
    if items.is_empty() {
        t.get("credit.item.none").to_owned()
    } else {
        items.join(t.get("list.separator"))
    }
}

/// `GET /admin/merchants`.
pub async fn merchants(State(state): State<AppState>, staff: Staff, Query(q): Query<PartyQuery>) -> PageResult {
    merchants_page(&state, &staff, &q, String::new()).await
}

/// The merchants list with `code` (a notice) above it.
pub async fn merchants_page(state: &AppState, staff: &Staff, q: &PartyQuery, code: String) -> PageResult {
    let t = staff.t;
    let list = office::merchants(&state.db, &staff.caller, chrono::Utc::now())
        .await
        .or_page(t)?;
    let district = subdistricts::district(&state.db).await.or_page(t)?;
    let rows = list
        .into_iter()
        .map(|m| PartyRow {
            id: m.id,
            band: m.band().label(t.0).to_owned(),
            name: m.name,
            detail: m.trade,
            credit: t.fill("admin.credit_value", &[("score", &m.credit_score.to_string())]),
            credit_note: String::new(),
            status: m.status.label(t.0).to_owned(),
            status_code: m.status.as_str().to_owned(),
            subdistrict: subdistrict_name(t, &district, m.subdistrict_id),
        })
        .collect();
    let waiting = merchant_applications::waiting_count(&state.db, &staff.caller, chrono::Utc::now())
        .await
        .or_page(t)?;
    let applications = t.fill("join.waiting_link", &[("count", &waiting.to_string())]);
    let c = Chrome::new(t, &staff.session, "admin.merchants");
    Ok(page(t, c, "merchants", rows, q, code, applications))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64, name: &str, status: &str) -> PartyRow {
        PartyRow {
            id,
            name: name.into(),
            detail: String::new(),
            band: String::new(),
            credit: String::new(),
            credit_note: String::new(),
            status: String::new(),
            status_code: status.into(),
            subdistrict: String::new(),
        }
    }

    #[test]
    fn pending_parties_come_first_then_names_in_pinyin_order() {
        let rows = vec![
            row(1, "沙头角便利店", "approved"),
            row(2, "爱心面包", "approved"),
            row(3, "中英街药房", "pending"),
        ];
        let (rows, total) = arrange(rows, &PartyQuery::default());
        assert_eq!(total, 3);
        assert_eq!(rows.iter().map(|r| r.id).collect::<Vec<_>>(), [3, 2, 1]);
    }

    #[test]
    fn the_status_filter_and_pages_cut_the_list() {
        let rows = (1..=45)
            .map(|i| {
                row(
                    i,
                    &format!("店{i:02}"),
                    if i % 2 == 0 { "approved" } else { "suspended" },
                )
            })
            .collect();
        let q = PartyQuery {
            status: "approved".into(),
            sort: "id".into(),
            page: 1,
            ..PartyQuery::default()
        };
        let (rows, total) = arrange(rows, &q);
        assert_eq!(total, 22);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].id, 42);
    }
}
