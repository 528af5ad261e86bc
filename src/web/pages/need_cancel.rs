//! Cancelling a need: the page asks first (which claims end, which shops and who else are
//! told) and for a reason, which goes to the audit log and to the shops.

use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use super::confirm::{self, Confirm};
use super::{Chrome, Field, OrPage, PageResult};
use crate::AppState;
use crate::domain::{ClaimStatus, NeedStatus};
use crate::services::{claims, needs};
use crate::web::session::Staff;

/// The cancel form.
#[derive(Debug, Default, Deserialize)]
pub struct CancelForm {
    #[serde(default)]
    reason: String,
}

/// `GET /needs/{id}/cancel`: what cancelling does, and a reason.
pub async fn ask(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> PageResult {
    cancel_page(&state, &staff, id, Field::default()).await
}

/// `POST /needs/{id}/cancel`: cancels with the reason, or asks again (422) beside the field.
pub async fn cancel(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(form): Form<CancelForm>,
) -> PageResult {
    let result = needs::cancel_need(
        &state.db,
        &state.config.secret_key,
        &staff.caller,
        id,
        &form.reason,
        chrono::Utc::now(),
    )
    .await;
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/needs/{id}")).into_response()),
        Err(e) => {
            let reason = confirm::ask_again(staff.t, e, form.reason)?;
            cancel_page(&state, &staff, id, reason).await
        }
    }
}

async fn cancel_page(state: &AppState, staff: &Staff, id: i64, reason: Field) -> PageResult {
    let t = staff.t;
    let now = chrono::Utc::now();
    let card = needs::get_need(&state.db, &staff.caller, id, now).await.or_page(t)?;
    if !matches!(card.status, NeedStatus::Open | NeedStatus::FullyClaimed) {
        return Ok(Redirect::to(&format!("/needs/{id}")).into_response());
    }
    let active: Vec<_> = claims::of_need(&state.db, &staff.caller, id, now)
        .await
        .or_page(t)?
        .into_iter()
        .filter(|c| c.status == ClaimStatus::Active)
        .collect();
    let mut effects = vec![t.get("cancel.effect_closed").to_owned()];
    let mut told = Vec::new();
    if active.is_empty() {
        effects.push(t.get("cancel.effect_no_claims").to_owned());
    } else {
        effects.push(t.fill("cancel.effect_claims_end", &[("count", &active.len().to_string())]));
        for c in &active {
            told.push(t.fill(
                "cancel.told_merchant",
                &[
                    ("merchant", &c.merchant_name),
                    ("quantity", &c.quantity.to_string()),
                    ("unit", &c.unit),
                ],
            ));
        }
    }
    told.push(t.get("cancel.told_resident").to_owned());
    let title = t.fill("cancel.title", &[("title", &card.title)]);
    Ok(confirm::page(
        Chrome::new(t, &staff.session, "need.title"),
        title,
        Confirm {
            subject: confirm::need_subject(t, &card),
            effects,
            told,
            action: format!("/needs/{id}/cancel"),
            hidden: Vec::new(),
            reason_label: t.get("cancel.reason").to_owned(),
            reason,
            button: t.get("cancel.confirm").to_owned(),

            danger: true,
            back: format!("/needs/{id}"),
        },
    ))
}
