//! The case file's visits tab (`/beneficiaries/{id}/visits`): the visits logged, their sealed notes
//! opened for the owning organization and the office, and the form to log one.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use super::views::CaseTabs;
use super::{Chrome, Field, Options, OrPage, PageError, PageResult, enum_options, field, render};
use crate::AppState;
use crate::domain::input::FieldErrors;
use crate::domain::visits::{Due, VisitMode};
use crate::services::ServiceError;
use crate::services::access::Caller;
use crate::services::visits::{self, VisitInput, Visits};
use crate::web::session::Staff;

/// A visit as the page lists it.
struct Row {
    id: i64,
    on: String,
    mode: String,
    visitors: String,
    notes: String,
    needs_found: String,
}

#[derive(Template)]
#[template(path = "case_visits.html")]
struct VisitsPage {
    c: Chrome,
    tabs: CaseTabs,
    id: i64,
    code: String,
    rows: Vec<Row>,
    interval: String,
    due: String,
    saved: Option<i64>,
    can_log: bool,
    /// For an organization that referred the case on: "read-only, up to …".
    read_only: String,
    modes: Options,
    mode_error: String,
    visited_on: Field,
    visitors: Field,
    notes: Field,
    needs_found: Field,
}

/// The visit form's fields.
#[derive(Debug, Default, Deserialize)]
pub struct VisitForm {
    #[serde(default)]
    visited_on: String,
    #[serde(default)]
    mode: String,
    #[serde(default)]
    visitors: String,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    needs_found: String,
}

/// `?saved=ID` after a visit was logged: the page offers to post a need from it.
#[derive(Debug, Default, Deserialize)]
pub struct Saved {
    #[serde(default)]
    saved: Option<i64>,
}

fn page(
    staff: &Staff,
    list: &Visits,
    saved: Option<i64>,
    form: &VisitForm,
    errors: &FieldErrors,
    status: StatusCode,
) -> PageResult {
    let t = staff.t;
    let mut modes = enum_options(VisitMode::ALL, VisitMode::as_str, VisitMode::label, t, &form.mode);
    modes.insert(
        0,
        (String::new(), t.get("form.choose").to_owned(), form.mode.is_empty()),
    );
    let due = match list.due {
        Some(Due::Overdue { on, days }) => format!(
            "{} {on} ({days} {})",
            t.get("visits.overdue_since"),
            t.get("visits.days")
        ),
        Some(Due::Soon { on }) => format!("{} {on}", t.get("visits.due_on")),
        // Not due soon: the day still helps a worker plan.
        None => list
            .next_on
            .map(|on| t.fill("visits.next_by", &[("on", &on.to_string())]))
            .unwrap_or_default(),
    };
    Ok(render(
        status,
        VisitsPage {
            c: Chrome::new(t, &staff.session, "visits.title"),
            tabs: CaseTabs::of_history(list.beneficiary_id, "visits", list.read_only_until.is_some()),
            id: list.beneficiary_id,
            code: list.code.clone(),
            rows: list
                .items
                .iter()
                .map(|v| Row {
                    id: v.id,
                    on: v.visited_on.to_string(),
                    mode: v.mode.label(t.0).to_owned(),
                    visitors: v.visitors.clone(),
                    notes: v.notes.clone(),
                    needs_found: v.needs_found.clone(),
                })
                .collect(),
            interval: format!(
                "{} {} {}",
                t.get("visits.interval"),
                list.interval_days,
                t.get("visits.days")
            ),
            due,
            saved: saved.filter(|s| list.items.iter().any(|v| v.id == *s)),
            can_log: matches!(staff.caller, Caller::SocialWorker { .. }) && list.read_only_until.is_none(),
            read_only: list
                .read_only_until
                .map(|t0| t.fill("case.read_only_until", &[("date", &super::views::local_time(t0))]))
                .unwrap_or_default(),
            modes,
            mode_error: errors.get("mode").map(|e| e.message(t.0)).unwrap_or_default(),
            visited_on: field(t, "visited_on", &form.visited_on, errors),
            visitors: field(t, "visitors", &form.visitors, errors),
            notes: field(t, "notes", &form.notes, errors),
            needs_found: field(t, "needs_found", &form.needs_found, errors),
        },
    ))
}

/// `GET /beneficiaries/{id}/visits`: the visits (notes opened, audited) and the form.
pub async fn show(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(saved): Query<Saved>,
) -> PageResult {
    let now = chrono::Utc::now();
    let list = visits::visits(&state.db, &state.config.secret_key, &staff.caller, id, now)
        .await
        .or_page(staff.t)?;
    let form = VisitForm {
        visited_on: crate::domain::time::local_date(now).to_string(),
        ..Default::default()
    };
    page(
        &staff,
        &list,
        saved.saved,
        &form,
        &FieldErrors::default(),
        StatusCode::OK,
    )
}

/// `POST /beneficiaries/{id}/visits`: logs a visit; 303 back with the "post a need from this visit"
/// offer, or the page again with errors beside the fields and values kept (422).
pub async fn log(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(form): Form<VisitForm>,
) -> PageResult {
    let t = staff.t;
    let now = chrono::Utc::now();
    let secret = &state.config.secret_key;
    let input = VisitInput {
        visited_on: form.visited_on.clone(),
        mode: form.mode.clone(),
        visitors: form.visitors.clone(),
        notes: form.notes.clone(),
        needs_found: form.needs_found.clone(),
    };
    match visits::log_visit(&state.db, secret, &staff.caller, id, &input, now).await {
        Ok(visit) => Ok(Redirect::to(&format!("/beneficiaries/{id}/visits?saved={visit}#saved")).into_response()),
        Err(ServiceError::Validation(errors)) => {
            let list = visits::visits(&state.db, secret, &staff.caller, id, now)
                .await
                .or_page(t)?;
            page(&staff, &list, None, &form, &errors, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => Err(PageError::new(t, e)),
    }
}

#[derive(Template)]
#[template(path = "admin_visit_intervals.html")]
struct IntervalsPage {
    c: Chrome,
    /// (group, days, whose setting).
    rows: Vec<(String, String, String)>,
    groups: Options,
    group_error: String,
    days: Field,
}

/// The interval form: a group and its days.
#[derive(Debug, Default, Deserialize)]
pub struct IntervalForm {
    #[serde(default)]
    group: String,
    #[serde(default)]
    days: String,
}

async fn intervals_page(state: &AppState, staff: &Staff, form: &IntervalForm, errors: &FieldErrors) -> PageResult {
    let t = staff.t;
    let settings = visits::interval_settings(&state.db, &staff.caller, chrono::Utc::now())
        .await
        .or_page(t)?;
    let rows = settings
        .into_iter()
        .map(|s| {
            let whose = match s.source {
                visits::IntervalSource::District => t.get("intervals.district_default"),
                visits::IntervalSource::Subdistrict => t.get("intervals.own"),
            };
            (
                s.group.label(t.0).to_owned(),
                t.fill("intervals.days", &[("days", &s.days.to_string())]),
                whose.to_owned(),
            )
        })
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(render(
        status,
        IntervalsPage {
            c: Chrome::new(t, &staff.session, "intervals.title"),
            rows,
            groups: enum_options(
                crate::domain::BeneficiaryGroup::ALL,
                crate::domain::BeneficiaryGroup::as_str,
                crate::domain::BeneficiaryGroup::label,
                t,
                &form.group,
            ),
            group_error: errors.get("group").map(|e| e.message(t.0)).unwrap_or_default(),
            days: field(t, "days", &form.days, errors),
        },
    ))
}

/// `GET /admin/visit-intervals`: the days between visits of each group in the office's
/// subdistrict (its own or the district's default), with the form to set one.
pub async fn intervals(State(state): State<AppState>, staff: Staff) -> PageResult {
    intervals_page(&state, &staff, &IntervalForm::default(), &FieldErrors::default()).await
}

/// `POST /admin/visit-intervals`: sets one group's interval for the office's subdistrict; 303
/// back to the list, or the page again with the error beside the field (422).
pub async fn set_interval(State(state): State<AppState>, staff: Staff, Form(form): Form<IntervalForm>) -> PageResult {
    let now = chrono::Utc::now();
    match visits::set_interval(&state.db, &staff.caller, None, &form.group, &form.days, now).await {
        Ok(_) => Ok(Redirect::to("/admin/visit-intervals").into_response()),
        Err(ServiceError::Validation(errors)) => intervals_page(&state, &staff, &form, &errors).await,
        Err(e) => Err(PageError::new(staff.t, e)),
    }
}
