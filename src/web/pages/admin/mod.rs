//! The office: admission of organizations and merchants, link codes, API tokens, staff
//! accounts, the audit log and the outbox. Every handler's service refuses (and audits)
//! non-office callers. Each concern lives in its own module; staff accounts stay here.

mod link_code;
mod logs;
mod parties;
mod sorting;
mod suspend;
mod tokens;

pub use link_code::link_code;
pub use logs::{audit, outbox, retry_outbox};
pub use parties::{merchants, organizations};
pub use suspend::{
    merchant_status, organization_status, revoke_token, revoke_token_form, suspend_merchant_form,
    suspend_organization_form,
};
pub use tokens::{issue_token, tokens};

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{Chrome, render, service_error_page};
use crate::AppState;
use crate::domain::Role;
use crate::i18n::Tr;
use crate::services::{ServiceError, staff as staff_accounts};
use crate::web::session::Staff;

/// One row of the staff list.
struct StaffRow {
    id: i64,
    email: String,
    role: String,
    organization: String,
    active: bool,
    is_self: bool,
}

#[derive(Template)]
#[template(path = "admin_staff.html")]
struct StaffPage {
    c: Chrome,
    rows: Vec<StaffRow>,
}

fn role_label(t: Tr, role: &str) -> String {
    role.parse::<Role>()
        .map(|r| r.label(t.0).to_owned())
        .unwrap_or_else(|_| role.to_owned())
}

/// `GET /admin/staff`: every staff account, with deactivate and reactivate.
pub async fn staff_list(State(state): State<AppState>, staff: Staff) -> Response {
    let t = staff.t;
    match staff_accounts::accounts(&state.db, &staff.caller, chrono::Utc::now()).await {
        Ok(list) => {
            let rows = list
                .into_iter()
                .map(|a| StaffRow {
                    id: a.id,
                    is_self: a.id == staff.session.staff_id,
                    role: role_label(t, &a.role),
                    organization: a
                        .organization
                        .unwrap_or_else(|| t.get("admin.staff_no_organization").to_owned()),
                    email: a.email,
                    active: a.active,
                })
                .collect();
            render(
                StatusCode::OK,
                StaffPage {
                    c: Chrome::new(t, &staff.session, "admin.staff"),
                    rows,
                },
            )
        }
        Err(e) => service_error_page(t, &e),
    }
}

#[derive(Template)]
#[template(path = "admin_staff_deactivate.html")]
struct DeactivatePage {
    c: Chrome,
    id: i64,
    email: String,
    organization: String,
    reason: String,
    error: String,
}

async fn deactivate_page(state: &AppState, staff: &Staff, id: i64, reason: String, error: String) -> Response {
    let t = staff.t;
    let account = match staff_accounts::accounts(&state.db, &staff.caller, chrono::Utc::now()).await {
        Ok(list) => list.into_iter().find(|a| a.id == id && a.active),
        Err(e) => return service_error_page(t, &e),
    };
    let Some(account) = account else {
        return service_error_page(t, &ServiceError::NotFound("staff account"));
    };
    let status = if error.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut c = Chrome::new(t, &staff.session, "admin.staff_deactivate_title");
    c.title = t.fill("admin.staff_deactivate_title", &[("email", &account.email)]);
    render(
        status,
        DeactivatePage {
            c,
            id,
            email: account.email,
            organization: account
                .organization
                .unwrap_or_else(|| t.get("admin.staff_no_organization").to_owned()),
            reason,
            error,
        },
    )
}

/// `GET /admin/staff/{id}/deactivate`: asks first, and for a reason.
pub async fn deactivate_form(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> Response {
    deactivate_page(&state, &staff, id, String::new(), String::new()).await
}

/// The deactivation form.
#[derive(Debug, Deserialize)]
pub struct ReasonForm {
    #[serde(default)]
    reason: String,
}

/// `POST /admin/staff/{id}/deactivate`: the account cannot sign in and its sessions end now.
pub async fn deactivate(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(form): Form<ReasonForm>,
) -> Response {
    if form.reason.trim().is_empty() {
        let error = staff.t.get("admin.staff_reason_missing").to_owned();
        return deactivate_page(&state, &staff, id, form.reason, error).await;
    }
    let account = staff_accounts::AccountRef::Id(id);
    match staff_accounts::set_active(
        &state.db,
        &staff.caller,
        account,
        false,
        &form.reason,
        chrono::Utc::now(),
    )
    .await
    {
        Ok(_) => Redirect::to("/admin/staff").into_response(),
        Err(ServiceError::Invalid { message, .. }) => deactivate_page(&state, &staff, id, form.reason, message).await,
        Err(e) => service_error_page(staff.t, &e),
    }
}

/// `POST /admin/staff/{id}/reactivate`: the account may sign in again.
pub async fn reactivate(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> Response {
    let account = staff_accounts::AccountRef::Id(id);
    match staff_accounts::set_active(&state.db, &staff.caller, account, true, "", chrono::Utc::now()).await {
        Ok(_) => Redirect::to("/admin/staff").into_response(),
        Err(e) => service_error_page(staff.t, &e),
    }
}
