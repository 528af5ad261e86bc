//! `GET /credit`: a social worker reads their own organization's credit band explained —
//! what counts, its figures over the last year, what the band changes and what would raise
//! it. Only its own organization's; the office reads every band on its organizations list.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};

use super::{Chrome, OrPage, PageResult, render};
use crate::AppState;
use crate::domain::credit::{CreditBand, OrganizationRecord};
use crate::i18n::Tr;
use crate::services::access::Caller;
use crate::services::organization_credit;
use crate::web::session::Staff;

/// One line of what counts: label, the organization's figure, and how it weighs.
pub struct CountRow {
    /// What is counted.
    pub label: String,
    /// How many.
    pub figure: u32,
    /// How it weighs ("+1", "−1"…), in words.
    pub weight: String,
}

#[derive(Template)]
#[template(path = "credit.html")]
struct CreditPage {
    c: Chrome,
    /// "沙头角街道社工站：B 级 · 良好（70 分）".
    heading: String,
    /// The band's letter, for the badge.
    band: &'static str,
    /// What the band changes for the organization.
    effect: String,
    rows: Vec<CountRow>,
    /// Nothing has counted yet: the page says what that means before the zeros.
    empty: bool,
    /// How the score is made, in words.
    formula: String,
    /// What would raise the band.
    raise: String,
}

/// The counts of `r` as the page lists them, each with its weight.
pub fn count_rows(t: Tr, r: &OrganizationRecord) -> Vec<CountRow> {
    [
        (
            "credit.count.needs_fulfilled",
            r.needs_fulfilled,
            "credit.weight.plus_one",
        ),
        (
            "credit.count.confirmed_on_time",
            r.confirmed_on_time,
            "credit.weight.plus_one",
        ),
        (
            "credit.count.referrals_on_time",
            r.referrals_on_time,
            "credit.weight.plus_one",
        ),
        (
            "credit.count.needs_unfulfilled",
            r.needs_unfulfilled,
            "credit.weight.minus_half",
        ),
        (
            "credit.count.confirmed_late",
            r.confirmed_late,
            "credit.weight.minus_one",
        ),
        (
            "credit.count.referrals_late",
            r.referrals_late,
            "credit.weight.minus_one",
        ),
        (
            "credit.count.data_quality",
            r.data_quality_refusals,
            "credit.weight.minus_one",
        ),
        ("credit.count.disputes_lost", r.disputes_lost, "credit.weight.minus_two"),
    ]
    .into_iter()
    .map(|(label, figure, weight)| CountRow {
        label: t.get(label).to_owned(),
        figure,
        weight: t.get(weight).to_owned(),
    })
    .collect()
}

/// What a band changes for an organization.
pub fn organization_effect(t: Tr, band: CreditBand) -> &'static str {
    t.get(match band {
        CreditBand::A => "credit.org_effect.a",
        CreditBand::B => "credit.org_effect.b",
        CreditBand::C => "credit.org_effect.c",
        CreditBand::D => "credit.org_effect.d",
    })
}

/// `GET /credit`.
pub async fn show(State(state): State<AppState>, staff: Staff) -> PageResult {
    let t = staff.t;
    if matches!(staff.caller, Caller::Admin { .. }) {
        // The office belongs to no organization: every band is on its list.
        return Ok(Redirect::to("/admin/organizations").into_response());
    }
    let (org, credit) = organization_credit::own(&state.db, &staff.caller, chrono::Utc::now())
        .await
        .or_page(t)?;
    let band_label = credit.band.label(t.0);
    let raise = match (credit.band.next_up(), credit.record.good_events_to_next_band()) {
        (Some(next), Some(steps)) => t.count(
            "credit.raise_to",
            u64::from(steps),
            &[
                ("score", &next.floor().to_string()),
                ("band", next.label(t.0)),
                ("count", &steps.to_string()),
            ],
        ),
        _ => t.get("credit.raise_top").to_owned(),
    };
    let rows = count_rows(t, &credit.record);
    Ok(render(
        StatusCode::OK,
        CreditPage {
            c: Chrome::new(t, &staff.session, "credit.title"),
            heading: t.fill(
                "credit.heading",
                &[
                    ("organization", &org.name),
                    ("band", band_label),
                    ("score", &credit.score.to_string()),
                ],
            ),
            band: credit.band.letter(),
            effect: organization_effect(t, credit.band).to_owned(),
            empty: rows.iter().all(|r| r.figure == 0),
            rows,
            formula: t.get("credit.formula").to_owned(),
            raise,
        },
    ))
}
