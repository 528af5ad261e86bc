//! Taking admission away, and revoking API tokens: each asks first on a page that says what
//! happens and who is told, and each needs a reason for the audit log.

use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use super::super::confirm::{self, Confirm};
use super::super::{Chrome, Field, OrPage, PageError, PageResult};
use crate::AppState;
use crate::domain::PartyStatus;
use crate::services::ServiceError;
use crate::services::api_tokens;
use crate::services::office;
use crate::web::session::Staff;

/// Which kind of party a status change is about.
#[derive(Clone, Copy)]
pub(super) enum Party {
    Organization,
    Merchant,
}

impl Party {
    fn path(self) -> &'static str {
        match self {
            Party::Organization => "organizations",
            Party::Merchant => "merchants",
        }
    }
}

/// The status form: the new status, and why (required to suspend).
#[derive(Debug, Deserialize)]
pub struct StatusForm {
    status: String,
    #[serde(default)]
    reason: String,
}

/// `GET /admin/organizations/{id}/suspend`.
pub async fn suspend_organization_form(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> PageResult {
    suspend_page(&state, &staff, Party::Organization, id, Field::default()).await
}

/// `GET /admin/merchants/{id}/suspend`.
pub async fn suspend_merchant_form(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> PageResult {
    suspend_page(&state, &staff, Party::Merchant, id, Field::default()).await
}

/// `POST /admin/organizations/{id}/status`: admit, suspend (with a reason) or reinstate.
pub async fn organization_status(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(form): Form<StatusForm>,
) -> PageResult {
    set_status(&state, &staff, Party::Organization, id, form).await
}

/// `POST /admin/merchants/{id}/status`: admit, suspend (with a reason) or reinstate.
pub async fn merchant_status(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(form): Form<StatusForm>,
) -> PageResult {
    set_status(&state, &staff, Party::Merchant, id, form).await
}

async fn set_status(state: &AppState, staff: &Staff, party: Party, id: i64, form: StatusForm) -> PageResult {
    let back = format!("/admin/{}", party.path());
    let Ok(status) = form.status.parse::<PartyStatus>() else {
        return Ok(Redirect::to(&back).into_response());
    };
    let now = chrono::Utc::now();
    let result = match party {
        Party::Organization => {
            office::set_organization_status(&state.db, &staff.caller, id, status, &form.reason, now).await
        }
        Party::Merchant => office::set_merchant_status(&state.db, &staff.caller, id, status, &form.reason, now).await,
    };
    match result {
        Ok(()) => Ok(Redirect::to(&back).into_response()),
        Err(e) => {
            let reason = confirm::ask_again(staff.t, e, form.reason)?;
            suspend_page(state, staff, party, id, reason).await
        }
    }
}

async fn suspend_page(state: &AppState, staff: &Staff, party: Party, id: i64, reason: Field) -> PageResult {
    let t = staff.t;
    let now = chrono::Utc::now();
    let name = match party {
        Party::Organization => office::organizations(&state.db, &staff.caller, now)
            .await
            .map(|list| list.into_iter().find(|o| o.id == id).map(|o| o.name)),
        Party::Merchant => office::merchants(&state.db, &staff.caller, now)
            .await
            .map(|list| list.into_iter().find(|m| m.id == id).map(|m| m.name)),
    };
    let Some(name) = name.or_page(t)? else {
        return Err(PageError::new(t, ServiceError::NotFound("party")));
    };
    let (effects, title_key) = match party {
        Party::Organization => (
            vec![
                t.get("suspend.org_effect_sessions").to_owned(),
                t.get("suspend.org_effect_tokens").to_owned(),
                t.get("suspend.effect_reinstate").to_owned(),
            ],
            "suspend.org_title",
        ),
        Party::Merchant => (
            vec![
                t.get("suspend.merchant_effect_claims").to_owned(),
                t.get("suspend.merchant_effect_tokens").to_owned(),
                t.get("suspend.effect_reinstate").to_owned(),
            ],
            "suspend.merchant_title",
        ),
    };
    Ok(confirm::page(
        Chrome::new(t, &staff.session, "admin.suspend"),
        t.fill(title_key, &[("name", &name)]),
        Confirm {
            subject: format!(
                "{} · {name}",
                t.get(match party {
                    Party::Organization => "subject.organization",
                    Party::Merchant => "subject.merchant",
                })
            ),
            effects,
            told: vec![t.get("suspend.told_nobody").to_owned()],
            action: format!("/admin/{}/{id}/status", party.path()),
            hidden: vec![("status".to_owned(), PartyStatus::Suspended.as_str().to_owned())],
            reason_label: t.get("confirm.reason_audit").to_owned(),
            reason,
            button: t.get("suspend.confirm").to_owned(),

            danger: true,
            back: format!("/admin/{}", party.path()),
        },
    ))
}

/// The revoke form.
#[derive(Debug, Default, Deserialize)]
pub struct RevokeForm {
    #[serde(default)]
    reason: String,
}

/// `GET /admin/tokens/{id}/revoke`: what revoking does, and a reason.
pub async fn revoke_token_form(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> PageResult {
    revoke_page(&state, &staff, id, Field::default()).await
}

/// `POST /admin/tokens/{id}/revoke`: revokes with the reason, or asks again (422).
pub async fn revoke_token(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(form): Form<RevokeForm>,
) -> PageResult {
    // The service refuses another subdistrict's token (audited) and anyone but the office.
    match api_tokens::revoke(&state.db, &staff.caller, id, &form.reason, chrono::Utc::now()).await {
        Ok(()) => Ok(Redirect::to("/admin/tokens").into_response()),
        Err(e) => {
            let reason = confirm::ask_again(staff.t, e, form.reason)?;
            revoke_page(&state, &staff, id, reason).await
        }
    }
}

async fn revoke_page(state: &AppState, staff: &Staff, id: i64, reason: Field) -> PageResult {
    let t = staff.t;
    let token = office::tokens(&state.db, &staff.caller, chrono::Utc::now())
        .await
        .or_page(t)?
        .into_iter()
        .find(|k| k.id == id && k.active);
    let Some(token) = token else {
        return Err(PageError::new(t, ServiceError::NotFound("api token")));
    };
    let owner = super::tokens::owner_name(state, staff, &token).await;
    let label = if token.label.is_empty() {
        format!("#{}", token.id)
    } else {
        format!("{} · #{}", token.label, token.id)
    };
    Ok(confirm::page(
        Chrome::new(t, &staff.session, "admin.tokens"),
        t.fill("revoke.title", &[("label", &label)]),
        Confirm {
            subject: format!("{label} · {owner}"),
            effects: vec![
                t.get("revoke.effect_stops").to_owned(),
                t.get("revoke.effect_final").to_owned(),
            ],
            told: vec![t.get("suspend.told_nobody").to_owned()],
            action: format!("/admin/tokens/{id}/revoke"),
            hidden: Vec::new(),
            reason_label: t.get("confirm.reason_audit").to_owned(),
            reason,
            button: t.get("revoke.confirm").to_owned(),

            danger: true,
            back: "/admin/tokens".to_owned(),
        },
    ))
}
