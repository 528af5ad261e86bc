//! The office's queue of possible duplicates: pairs of beneficiary codes and organization
//! names (never the private values), each resolved after a confirmation step.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use super::views::local_time;
use super::{Chrome, OrPage, PageResult, render};
use crate::AppState;
use crate::domain::DuplicateStatus;
use crate::services::duplicates::{self, DuplicatePair};
use crate::web::session::Staff;

/// One pair as shown: id, new code, its organization, earlier code, its organization, what
/// matched, status label, status code, when found.
struct Row {
    id: i64,
    new_code: String,
    new_org: String,
    earlier_code: String,
    earlier_org: String,
    matched: String,
    status: String,
    open: bool,
    found: String,
}

fn row(t: crate::i18n::Tr, p: DuplicatePair) -> Row {
    Row {
        id: p.id,
        new_code: p.new.code,
        new_org: p.new.organization,
        earlier_code: p.earlier.code,
        earlier_org: p.earlier.organization,
        matched: p.matched.label(t.0).to_owned(),
        status: p.status.label(t.0).to_owned(),
        open: p.status == DuplicateStatus::Open,
        found: local_time(p.created_at),
    }
}

#[derive(Template)]
#[template(path = "admin_duplicates.html")]
struct QueuePage {
    c: Chrome,
    rows: Vec<Row>,
    /// Set on the confirmation step: the pair and the decision asked for.
    confirm: Option<(Row, &'static str, String)>,
}

/// `?decision=same_person|different` asks to confirm a decision on one pair.
#[derive(Debug, Default, Deserialize)]
pub struct DecisionQuery {
    #[serde(default)]
    decision: String,
}

/// `GET /admin/duplicates`: the queue, open pairs first.
pub async fn queue(State(state): State<AppState>, staff: Staff) -> PageResult {
    queue_page(&state, &staff, None).await
}

async fn queue_page(state: &AppState, staff: &Staff, confirm: Option<(i64, DuplicateStatus)>) -> PageResult {
    let t = staff.t;
    let pairs = duplicates::queue(&state.db, &staff.caller, chrono::Utc::now())
        .await
        .or_page(t)?;
    let mut rows: Vec<Row> = pairs.into_iter().map(|p| row(t, p)).collect();
    let confirm = match confirm {
        Some((id, decision)) => match rows.iter().position(|r| r.id == id && r.open) {
            Some(at) => {
                let asked = rows.remove(at);
                let question = match decision {
                    DuplicateStatus::SamePerson => "duplicates.confirm_same",
                    _ => "duplicates.confirm_different",
                };
                Some((asked, question, decision.as_str().to_owned()))
            }
            None => return Ok(Redirect::to("/admin/duplicates").into_response()),
        },
        None => None,
    };
    Ok(render(
        StatusCode::OK,
        QueuePage {
            c: Chrome::new(t, &staff.session, "duplicates.title"),
            rows,
            confirm,
        },
    ))
}

fn decision(raw: &str) -> Option<DuplicateStatus> {
    raw.parse().ok().filter(|d| *d != DuplicateStatus::Open)
}

/// `GET /admin/duplicates/{id}?decision=…`: asks the office to confirm.
pub async fn ask(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<DecisionQuery>,
) -> PageResult {
    match decision(&q.decision) {
        Some(d) => queue_page(&state, &staff, Some((id, d))).await,
        None => queue_page(&state, &staff, None).await,
    }
}

/// The resolve form: the decision and the confirmation.
#[derive(Debug, Default, Deserialize)]
pub struct ResolveForm {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    confirmed: String,
}

/// `POST /admin/duplicates/{id}/resolve`: resolves a pair once confirmed; without the
/// confirmation it shows the question first.
pub async fn resolve(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(form): Form<ResolveForm>,
) -> PageResult {
    let Some(d) = decision(&form.decision) else {
        return Ok(Redirect::to("/admin/duplicates").into_response());
    };
    if form.confirmed != "yes" {
        return Ok(Redirect::to(&format!("/admin/duplicates/{id}?decision={}", d.as_str())).into_response());
    }
    duplicates::resolve(&state.db, &staff.caller, id, d, chrono::Utc::now())
        .await
        .or_page(staff.t)?;
    Ok(Redirect::to("/admin/duplicates").into_response())
}
