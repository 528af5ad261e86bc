//! Volunteer hours: volunteers and their balances, logging and confirming hours.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use super::{Chrome, OrPage, PageError, PageResult, render};
use crate::AppState;
use crate::domain::input::FieldErrors;
use crate::services::ServiceError;
use crate::services::volunteers::{self, PendingHours, VolunteerRow};
use crate::web::session::Staff;

#[derive(Template)]
#[template(path = "volunteers.html")]
struct VolunteersPage {
    c: Chrome,
    rows: Vec<(i64, String, String, String, String)>,
    pending: Vec<(i64, String, String, String, String)>,
    errors: Vec<String>,
}

fn hours(tenths: i64) -> String {
    format!("{}.{}", tenths / 10, tenths % 10)
}

async fn page(state: &AppState, staff: &Staff, errors: &FieldErrors, status: StatusCode) -> PageResult {
    let t = staff.t;
    let (rows, pending) = volunteers::overview(&state.db, &staff.caller).await.or_page(t)?;
    Ok(render(
        status,
        VolunteersPage {
            c: Chrome::new(t, &staff.session, "volunteers.title"),
            rows: rows
                .iter()
                .map(|v: &VolunteerRow| {
                    (
                        v.id,
                        v.display_name.clone(),
                        v.former_beneficiary_code.clone().unwrap_or_default(),
                        hours(v.confirmed_tenths),
                        hours(v.pending_tenths),
                    )
                })
                .collect(),
            pending: pending
                .iter()
                .map(|p: &PendingHours| {
                    (
                        p.id,
                        p.volunteer_name.clone(),
                        p.activity.clone(),
                        p.served_on.to_string(),
                        hours(i64::from(p.tenths)),
                    )
                })
                .collect(),
            errors: errors
                .0
                .iter()
                .map(|(field, e)| format!("{}: {}", t.get(&format!("volunteers.field.{field}")), e.message(t.0)))
                .collect(),
        },
    ))
}

/// `GET /volunteers`.
pub async fn list(State(state): State<AppState>, staff: Staff) -> PageResult {
    page(&state, &staff, &FieldErrors::default(), StatusCode::OK).await
}

/// The new-volunteer form.
#[derive(Debug, Default, Deserialize)]
pub struct NewVolunteer {
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    former_code: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    consent: Option<String>,
    #[serde(default)]
    locale: String,
}

/// `POST /volunteers`.
pub async fn create(State(state): State<AppState>, staff: Staff, Form(form): Form<NewVolunteer>) -> PageResult {
    let new = volunteers::NewVolunteer {
        display_name: &form.display_name,
        former_code: &form.former_code,
        email: &form.email,
        consent: form.consent.is_some(),
        locale: if form.locale == "en" {
            crate::domain::Locale::En
        } else {
            crate::domain::Locale::ZhCn
        },
    };
    match volunteers::add_volunteer(
        &state.db,
        &state.config.secret_key,
        &staff.caller,
        &new,
        chrono::Utc::now(),
    )
    .await
    {
        Ok(_) => Ok(Redirect::to("/volunteers").into_response()),
        Err(ServiceError::Validation(errors)) => page(&state, &staff, &errors, StatusCode::UNPROCESSABLE_ENTITY).await,
        Err(e) => Err(PageError::new(staff.t, e)),
    }
}

/// The hours form.
#[derive(Debug, Default, Deserialize)]
pub struct HoursForm {
    #[serde(default)]
    activity: String,
    #[serde(default)]
    hours: String,
    #[serde(default)]
    served_on: String,
}

/// `POST /volunteers/{id}/hours`.
pub async fn log_hours(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(form): Form<HoursForm>,
) -> PageResult {
    let result = volunteers::log_hours(
        &state.db,
        &staff.caller,
        id,
        &form.activity,
        &form.hours,
        &form.served_on,
        chrono::Utc::now(),
    )
    .await;
    match result {
        Ok(_) => Ok(Redirect::to("/volunteers").into_response()),
        Err(ServiceError::Validation(errors)) => page(&state, &staff, &errors, StatusCode::UNPROCESSABLE_ENTITY).await,
        Err(e) => Err(PageError::new(staff.t, e)),
    }
}

/// `POST /hours/{id}/confirm`.
pub async fn confirm_hours(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> PageResult {
    volunteers::confirm_hours(&state.db, &staff.caller, id, chrono::Utc::now())
        .await
        .or_page(staff.t)?;
    Ok(Redirect::to("/volunteers").into_response())
}
