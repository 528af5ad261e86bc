//! The office: admission of organizations and merchants, link codes, API tokens, the audit
//! log and the outbox. Every handler's service refuses (and audits) non-office callers.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::views::local_time;
use super::{Chrome, render, service_error_page};
use crate::AppState;
use crate::domain::{PartyStatus, Role};
use crate::i18n::Tr;
use crate::services::api_tokens::{self, TokenOwner};
use crate::services::office::{self, AuditFilter};
use crate::services::{ServiceError, merchants, staff as staff_accounts};
use crate::web::session::Staff;

/// One row of a party list: id, name, detail, status label, status code.
type PartyRow = (i64, String, String, String, String);

#[derive(Template)]
#[template(path = "admin_parties.html")]
struct PartiesPage {
    c: Chrome,
    kind: &'static str,
    rows: Vec<PartyRow>,
    code: String,
}

fn status_label(t: Tr, status: &str) -> String {
    status
        .parse::<PartyStatus>()
        .map(|s| s.label(t.0).to_owned())
        .unwrap_or_else(|_| status.to_owned())
}

/// `GET /admin/organizations`.
pub async fn organizations(State(state): State<AppState>, staff: Staff) -> Response {
    let t = staff.t;
    match office::organizations(&state.db, &staff.caller, chrono::Utc::now()).await {
        Ok(list) => {
            let rows = list
                .into_iter()
                .map(|o| (o.id, o.name, o.kind.clone(), status_label(t, &o.status), o.status))
                .collect();
            render(
                StatusCode::OK,
                PartiesPage {
                    c: Chrome::new(t, &staff.session, "admin.organizations"),
                    kind: "organizations",
                    rows,
                    code: String::new(),
                },
            )
        }
        Err(e) => service_error_page(t, &e),
    }
}

/// `GET /admin/merchants`.
pub async fn merchants(State(state): State<AppState>, staff: Staff) -> Response {
    merchants_page(&state, &staff, String::new()).await
}

async fn merchants_page(state: &AppState, staff: &Staff, code: String) -> Response {
    let t = staff.t;
    match office::merchants(&state.db, &staff.caller, chrono::Utc::now()).await {
        Ok(list) => {
            let rows = list
                .into_iter()
                .map(|m| {
                    (
                        m.id,
                        m.name,
                        format!("{} · {}", m.trade, m.credit_score),
                        status_label(t, &m.status),
                        m.status,
                    )
                })
                .collect();
            render(
                StatusCode::OK,
                PartiesPage {
                    c: Chrome::new(t, &staff.session, "admin.merchants"),
                    kind: "merchants",
                    rows,
                    code,
                },
            )
        }
        Err(e) => service_error_page(t, &e),
    }
}

/// The status form.
#[derive(Debug, Deserialize)]
pub struct StatusForm {
    status: String,
}

/// `POST /admin/organizations/{id}/status`: admit, suspend or reinstate.
pub async fn organization_status(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(form): Form<StatusForm>,
) -> Response {
    let Ok(status) = form.status.parse::<PartyStatus>() else {
        return Redirect::to("/admin/organizations").into_response();
    };
    match office::set_organization_status(&state.db, &staff.caller, id, status, chrono::Utc::now()).await {
        Ok(()) => Redirect::to("/admin/organizations").into_response(),
        Err(e) => service_error_page(staff.t, &e),
    }
}

/// `POST /admin/merchants/{id}/status`: admit, suspend or reinstate.
pub async fn merchant_status(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(form): Form<StatusForm>,
) -> Response {
    let Ok(status) = form.status.parse::<PartyStatus>() else {
        return Redirect::to("/admin/merchants").into_response();
    };
    match office::set_merchant_status(&state.db, &staff.caller, id, status, chrono::Utc::now()).await {
        Ok(()) => Redirect::to("/admin/merchants").into_response(),
        Err(e) => service_error_page(staff.t, &e),
    }
}

/// `POST /admin/merchants/{id}/link-code`: shows a new one-time code once.
pub async fn link_code(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> Response {
    if staff.session.role != crate::domain::Role::Admin {
        return service_error_page(staff.t, &ServiceError::Forbidden);
    }
    match merchants::issue_link_code(
        &state.db,
        &state.config.secret_key,
        id,
        staff.caller.actor(),
        chrono::Utc::now(),
    )
    .await
    {
        Ok(code) => {
            merchants_page(
                &state,
                &staff,
                staff
                    .t
                    .fill("admin.link_code_shown", &[("id", &id.to_string()), ("code", &code)]),
            )
            .await
        }
        Err(e) => service_error_page(staff.t, &e),
    }
}

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

#[derive(Template)]
#[template(path = "admin_tokens.html")]
struct TokensPage {
    c: Chrome,
    rows: Vec<(i64, String, String, String, bool)>,
    shown: String,
}

async fn tokens_page(state: &AppState, staff: &Staff, shown: String) -> Response {
    let t = staff.t;
    match office::tokens(&state.db, &staff.caller, chrono::Utc::now()).await {
        Ok(list) => {
            let rows = list
                .into_iter()
                .map(|k| {
                    let owner = match (k.organization_id, k.merchant_id) {
                        (Some(o), _) => t.fill("admin.token_org", &[("id", &o.to_string())]),
                        (_, Some(m)) => t.fill("admin.token_merchant", &[("id", &m.to_string())]),
                        _ => String::new(),
                    };
                    (k.id, owner, k.label, local_time(k.created_at), k.revoked_at.is_none())
                })
                .collect();
            render(
                StatusCode::OK,
                TokensPage {
                    c: Chrome::new(t, &staff.session, "admin.tokens"),
                    rows,
                    shown,
                },
            )
        }
        Err(e) => service_error_page(t, &e),
    }
}

/// `GET /admin/tokens`.
pub async fn tokens(State(state): State<AppState>, staff: Staff) -> Response {
    tokens_page(&state, &staff, String::new()).await
}

/// The token form: an organization name or a merchant id.
#[derive(Debug, Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    organization: String,
    #[serde(default)]
    merchant: String,
    #[serde(default)]
    label: String,
}

/// `POST /admin/tokens`: issues a token and shows it once.
pub async fn issue_token(State(state): State<AppState>, staff: Staff, Form(form): Form<TokenForm>) -> Response {
    if staff.session.role != crate::domain::Role::Admin {
        return service_error_page(staff.t, &ServiceError::Forbidden);
    }
    let owner = match (form.organization.trim(), form.merchant.trim().parse::<i64>()) {
        (org, _) if !org.is_empty() => TokenOwner::Organization(org.to_owned()),
        (_, Ok(id)) => TokenOwner::Merchant(id),
        _ => return tokens_page(&state, &staff, staff.t.get("admin.token_owner_missing").to_owned()).await,
    };
    match api_tokens::issue(&state.db, owner, &form.label, staff.caller.actor(), chrono::Utc::now()).await {
        Ok(token) => tokens_page(&state, &staff, staff.t.fill("admin.token_shown", &[("token", &token)])).await,
        Err(ServiceError::NotFound(_)) => {
            tokens_page(&state, &staff, staff.t.get("admin.token_owner_unknown").to_owned()).await
        }
        Err(e) => service_error_page(staff.t, &e),
    }
}

/// `POST /admin/tokens/{id}/revoke`.
pub async fn revoke_token(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> Response {
    if staff.session.role != crate::domain::Role::Admin {
        return service_error_page(staff.t, &ServiceError::Forbidden);
    }
    match api_tokens::revoke(&state.db, id, staff.caller.actor(), chrono::Utc::now()).await {
        Ok(()) => Redirect::to("/admin/tokens").into_response(),
        Err(e) => service_error_page(staff.t, &e),
    }
}

#[derive(Template)]
#[template(path = "admin_audit.html")]
struct AuditPage {
    c: Chrome,
    action: String,
    outcome: String,
    subject_kind: String,
    rows: Vec<(String, String, String, String, String)>,
    next: String,
}

/// Filters of the audit log page.
#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    action: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    subject_kind: String,
    #[serde(default)]
    page: u64,
}

/// `GET /admin/audit`.
pub async fn audit(State(state): State<AppState>, staff: Staff, Query(q): Query<AuditQuery>) -> Response {
    let t = staff.t;
    let filter = AuditFilter {
        action: Some(q.action.clone()),
        outcome: Some(q.outcome.clone()),
        subject_kind: Some(q.subject_kind.clone()),
        page: q.page,
    };
    match office::audit_log(&state.db, &staff.caller, &filter, chrono::Utc::now()).await {
        Ok((rows, more)) => {
            let rows = rows
                .into_iter()
                .map(|r| {
                    let actor = format!("{} {}", r.actor_kind, r.actor_id.unwrap_or_default());
                    let subject = format!(
                        "{} {}",
                        r.subject_kind.unwrap_or_default(),
                        r.subject_id.unwrap_or_default()
                    );
                    (local_time(r.at), actor, r.action, subject, r.outcome)
                })
                .collect();
            let next = if more {
                let enc = |v: &str| form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
                format!(
                    "/admin/audit?action={}&outcome={}&subject_kind={}&page={}",
                    enc(&q.action),
                    enc(&q.outcome),
                    enc(&q.subject_kind),
                    q.page + 1
                )
            } else {
                String::new()
            };
            render(
                StatusCode::OK,
                AuditPage {
                    c: Chrome::new(t, &staff.session, "admin.audit"),
                    action: q.action,
                    outcome: q.outcome,
                    subject_kind: q.subject_kind,
                    rows,
                    next,
                },
            )
        }
        Err(e) => service_error_page(t, &e),
    }
}

#[derive(Template)]
#[template(path = "admin_outbox.html")]
struct OutboxPage {
    c: Chrome,
    status: String,
    counts: Vec<(String, u64)>,
    rows: Vec<(i64, String, String, String, i32, String, String)>,
}

/// The outbox filter.
#[derive(Debug, Default, Deserialize)]
pub struct OutboxQuery {
    #[serde(default)]
    status: String,
}

/// `GET /admin/outbox`: pending, failed and dead messages.
pub async fn outbox(State(state): State<AppState>, staff: Staff, Query(q): Query<OutboxQuery>) -> Response {
    let t = staff.t;
    let status = if q.status.is_empty() {
        "dead".to_owned()
    } else {
        q.status
    };
    match office::outbox(&state.db, &staff.caller, &status, chrono::Utc::now()).await {
        Ok((rows, counts)) => {
            // Only a masked recipient is shown: the office needs to see that mail is stuck,
            // not whom it is for.
            let rows = rows
                .into_iter()
                .map(|r| {
                    (
                        r.id,
                        r.channel,
                        r.kind,
                        mask(&r.recipient),
                        r.attempts,
                        r.last_error.unwrap_or_default(),
                        local_time(r.next_attempt_at),
                    )
                })
                .collect();
            render(
                StatusCode::OK,
                OutboxPage {
                    c: Chrome::new(t, &staff.session, "admin.outbox"),
                    status,
                    counts,
                    rows,
                },
            )
        }
        Err(e) => service_error_page(t, &e),
    }
}

fn mask(recipient: &str) -> String {
    match recipient.split_once('@') {
        Some((local, domain)) => format!("{}***@{domain}", local.chars().next().unwrap_or('*')),
        None => recipient.to_owned(),
    }
}

/// `POST /admin/outbox/{id}/retry`: a dead message gets another round.
pub async fn retry_outbox(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> Response {
    match office::retry_outbox(&state.db, &staff.caller, id, chrono::Utc::now()).await {
        Ok(()) => Redirect::to("/admin/outbox?status=pending").into_response(),
        Err(e) => service_error_page(staff.t, &e),
    }
}
