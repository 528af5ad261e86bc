//! The page that asks before an action that notifies people or cannot be undone: what
//! will happen, who will be told, and a required reason for the audit log.

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;

use super::{Chrome, Field, PageError, render};
use crate::domain::input::FieldError;
use crate::i18n::Tr;
use crate::services::ServiceError;

/// What a confirmation page says and where it posts.
pub struct Confirm {
    /// The record the action is about ("爱心商户0 · #3").
    pub subject: String,
    /// What will happen, one line each.
    pub effects: Vec<String>,
    /// Who will be told, one line each.
    pub told: Vec<String>,
    /// Where the form posts.
    pub action: String,
    /// Hidden fields besides the CSRF token (e.g. the new status).
    pub hidden: Vec<(String, String)>,
    /// The reason field's label; empty for an action that asks no reason.
    pub reason_label: String,
    /// The reason typed so far and its error.
    pub reason: Field,
    /// The confirm button.
    pub button: String,
    /// The button in red: the action takes something away (reject, suspend, cancel, end).
    /// Approving, renewing or accepting adds and is shown as the normal button.
    pub danger: bool,
    /// Where "go back" leads.
    pub back: String,
}

#[derive(Template)]
#[template(path = "confirm.html")]
struct ConfirmPage {
    c: Chrome,
    p: Confirm,
}

/// Renders `p` under `title`: 200 when asking, 422 when the reason needs fixing.
pub fn page(mut c: Chrome, title: String, p: Confirm) -> Response {
    c.title = title;
    let status = if p.reason.error.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render(status, ConfirmPage { c, p })
}

/// The reason field to show again, the typed value kept and the error beside it, when `e`
/// is about the reason; the error page for anything else.
pub fn ask_again(t: Tr, e: ServiceError, typed: String) -> Result<Field, PageError> {
    match reason_error(t, &e) {
        Some(error) => Ok(Field { value: typed, error }),
        None => Err(PageError::new(t, e)),
    }
}

/// The message to show beside the reason field for `e`, if `e` is about the reason.
pub fn reason_error(t: Tr, e: &ServiceError) -> Option<String> {
    match e {
        ServiceError::Validation(errors) => errors.get("reason").map(|e| reason_message(t, e)),
        ServiceError::Invalid {
            field: "reason",
            message,
        } => Some(message.clone()),
        _ => None,
    }
}

fn reason_message(t: Tr, e: &FieldError) -> String {
    match e {
        // "Required" alone does not say what to write.
        FieldError::Required => t.get("confirm.reason_missing").to_owned(),
        other => other.message(t.0),
    }
}

/// A need named on a confirm page: its title, community and deadline (never a bare #id).
pub fn need_subject(t: crate::i18n::Tr, card: &crate::services::need_cards::NeedCard) -> String {
    let community = match t.0 {
        crate::domain::Locale::ZhCn => &card.community.0,
        crate::domain::Locale::En => &card.community.1,
    };
    t.fill(
        "confirm.need_subject",
        &[
            ("title", &card.title),
            ("community", community),
            ("deadline", &t.short_date(card.deadline)),
        ],
    )
}
