//! The office keeps what each organization offers: a page of checkboxes, one per service
//! area. The referral form offers only organizations whose areas cover the service sought.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum_extra::extract::Form;
use serde::Deserialize;

use super::super::{Chrome, OrPage, PageResult, render};
use crate::AppState;
use crate::domain::ServiceArea;
use crate::services::organization_services;
use crate::web::session::Staff;

#[derive(Template)]
#[template(path = "admin_org_services.html")]
struct ServicesPage {
    c: Chrome,
    id: i64,
    /// (code, label, offered).
    areas: Vec<(&'static str, &'static str, bool)>,
    error: String,
}

/// The services form: every ticked area (none is allowed: the organization takes no referrals).
#[derive(Debug, Default, Deserialize)]
pub struct ServicesForm {
    #[serde(default)]
    areas: Vec<String>,
}

/// `GET /admin/organizations/{id}/services`.
pub async fn services_form(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> PageResult {
    let t = staff.t;
    let org = organization_services::of_organization(&state.db, &staff.caller, id, chrono::Utc::now())
        .await
        .or_page(t)?;
    Ok(page(
        &staff,
        org.id,
        org.name,
        &org.areas,
        String::new(),
        StatusCode::OK,
    ))
}

/// `POST /admin/organizations/{id}/services`: replaces the organization's areas.
pub async fn set_services(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(form): Form<ServicesForm>,
) -> PageResult {
    let t = staff.t;
    let now = chrono::Utc::now();
    let parsed: Result<Vec<ServiceArea>, _> = form.areas.iter().map(|a| a.parse::<ServiceArea>()).collect();
    let Ok(areas) = parsed else {
        // Only a hand-made request sends an area the form does not offer: show the form
        // again with what is stored, and say so.
        let org = organization_services::of_organization(&state.db, &staff.caller, id, now)
            .await
            .or_page(t)?;
        let error = t.get("admin.services_unknown").to_owned();
        return Ok(page(
            &staff,
            org.id,
            org.name,
            &org.areas,
            error,
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    };
    organization_services::set_areas(&state.db, &staff.caller, id, &areas, now)
        .await
        .or_page(t)?;
    Ok(Redirect::to("/admin/organizations?saved=services").into_response())
}

fn page(
    staff: &Staff,
    id: i64,
    name: String,
    offered: &[ServiceArea],
    error: String,
    status: StatusCode,
) -> axum::response::Response {
    let t = staff.t;
    let mut c = Chrome::new(t, &staff.session, "admin.services_title");
    c.title = t.fill("admin.services_heading", &[("name", &name)]);
    let areas = ServiceArea::ALL
        .iter()
        .map(|a| (a.as_str(), a.label(t.0), offered.contains(a)))
        .collect();
    render(status, ServicesPage { c, id, areas, error })
}
