//! Ending a one-on-one sponsorship from the case file: the page asks first (the sponsor is
//! told, and a period waiting for its answer goes to other merchants) and for a reason,
//! which goes to the audit log.

use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use super::confirm::{self, Confirm};
use super::{Chrome, Field, OrPage, PageResult};
use crate::AppState;
use crate::domain::sponsorship::SponsorshipStatus;
use crate::services::sponsorships;
use crate::web::session::Staff;

/// The end-sponsorship form.
#[derive(Debug, Default, Deserialize)]
pub struct EndForm {
    #[serde(default)]
    reason: String,
}

/// `GET /sponsorships/{id}/end`: what ending does, who is told, and a reason.
pub async fn ask(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> PageResult {
    end_page(&state, &staff, id, Field::default()).await
}

/// `POST /sponsorships/{id}/end`: ends it, or asks again (422) beside the reason.
pub async fn end(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(form): Form<EndForm>,
) -> PageResult {
    match sponsorships::end_by_worker(&state.db, &staff.caller, id, &form.reason, chrono::Utc::now()).await {
        Ok(view) => Ok(Redirect::to(&format!("/beneficiaries/{}#sponsorships", view.beneficiary_id)).into_response()),
        Err(e) => {
            let reason = confirm::ask_again(staff.t, e, form.reason)?;
            end_page(&state, &staff, id, reason).await
        }
    }
}

async fn end_page(state: &AppState, staff: &Staff, id: i64, reason: Field) -> PageResult {
    let t = staff.t;
    let view = sponsorships::for_staff(&state.db, &staff.caller, id, chrono::Utc::now())
        .await
        .or_page(t)?;
    let back = format!("/beneficiaries/{}#sponsorships", view.beneficiary_id);
    if view.status != SponsorshipStatus::Active {
        return Ok(Redirect::to(&back).into_response());
    }
    let mut effects = vec![t.get("sponsorship.end_effect").to_owned()];
    if view.offer.is_some() {
        effects.push(t.get("sponsorship.end_effect_offer").to_owned());
    }
    effects.push(t.get("sponsorship.end_effect_kept").to_owned());
    Ok(confirm::page(
        Chrome::new(t, &staff.session, "beneficiary.title"),
        t.fill("sponsorship.end_title", &[("title", &view.title)]),
        Confirm {
            subject: format!("{} · {}", view.title, view.merchant_name),
            effects,
            told: vec![t.fill("sponsorship.end_told", &[("merchant", &view.merchant_name)])],
            action: format!("/sponsorships/{id}/end"),
            hidden: Vec::new(),
            reason_label: t.get("sponsorship.end_reason").to_owned(),
            reason,
            button: t.get("sponsorship.end_confirm").to_owned(),

            danger: true,
            back,
        },
    ))
}
