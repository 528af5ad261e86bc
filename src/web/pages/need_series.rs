//! Ending a recurring need's series: the page asks first (no period after the latest one
//! posted will be) and for a reason, which goes to the audit log.

use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use super::confirm::{self, Confirm};
use super::{Chrome, Field, OrPage, PageResult};
use crate::AppState;
use crate::services::{need_series, needs};
use crate::web::session::Staff;

/// The end-series form.
#[derive(Debug, Default, Deserialize)]
pub struct EndSeriesForm {
    #[serde(default)]
    reason: String,
}

/// `GET /needs/{id}/end-series`: what ending the series does, and a reason.
pub async fn ask(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> PageResult {
    end_page(&state, &staff, id, Field::default()).await
}

/// `POST /needs/{id}/end-series`: ends the series with the reason, or asks again (422) beside the field.
pub async fn end(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(form): Form<EndSeriesForm>,
) -> PageResult {
    match need_series::end_series(&state.db, &staff.caller, id, &form.reason, chrono::Utc::now()).await {
        Ok(()) => Ok(Redirect::to(&format!("/needs/{id}")).into_response()),
        Err(e) => {
            let reason = confirm::ask_again(staff.t, e, form.reason)?;
            end_page(&state, &staff, id, reason).await
        }
    }
}

async fn end_page(state: &AppState, staff: &Staff, id: i64, reason: Field) -> PageResult {
    let t = staff.t;
    let card = needs::get_need(&state.db, &staff.caller, id, chrono::Utc::now())
        .await
        .or_page(t)?;
    let series = need_series::of_need(&state.db, id).await.or_page(t)?;
    let Some(series) = series.filter(need_series::SeriesView::running) else {
        return Ok(Redirect::to(&format!("/needs/{id}")).into_response());
    };
    let title = t.fill("series.end_title", &[("title", &card.title)]);
    Ok(confirm::page(
        Chrome::new(t, &staff.session, "need.title"),
        title,
        Confirm {
            subject: confirm::need_subject(t, &card),
            effects: vec![
                t.fill("series.end_effect", &[("period", &series.last_posted.to_string())]),
                t.get("series.end_effect_kept").to_owned(),
            ],
            told: vec![t.get("series.end_told").to_owned()],
            action: format!("/needs/{id}/end-series"),
            hidden: Vec::new(),
            reason_label: t.get("series.end_reason").to_owned(),
            reason,
            button: t.get("series.end_confirm").to_owned(),

            danger: true,
            back: format!("/needs/{id}"),
        },
    ))
}
