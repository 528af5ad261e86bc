//! The pages a volunteer reaches from an event email, without an account: sign up for a
//! role, and cancel a sign-up. GET shows what will happen with one button (mail scanners
//! open links; only a person presses the button); POST acts. The signed link is the
//! authority, so the POSTs need no cookie or CSRF token; a link that is not ours shows one
//! page that says so and changes nothing. Like the consent pages, they are in the
//! volunteer's language, carry no script, and use the emails' stylesheet.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use chrono::Utc;
use serde::Deserialize;

use crate::AppState;
use crate::domain::Locale;
use crate::i18n::Tr;
use crate::services::ServiceError;
use crate::services::events::signups::{self, LinkPreview, LinkRefusal, SignupOutcome};
use crate::web::resident::{header_locale, page};

/// The routes of the volunteer's event pages.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/e/{id}/join", get(join_page).post(join))
        .route("/e/{id}/cancel", get(cancel_page).post(cancel))
        .with_state(state)
}

/// The link's query: volunteer, role (sign-up only) and signature.
#[derive(Debug, Default, Deserialize)]
pub struct LinkQuery {
    #[serde(default)]
    v: i64,
    #[serde(default)]
    r: i64,
    #[serde(default)]
    s: String,
}

/// What the page shows.
enum Shown {
    /// The event and the button.
    Ask,
    /// Signed up, or on the waitlist at this place.
    Joined(SignupOutcome),
    /// Cancelled.
    Cancelled,
    /// Why it cannot happen.
    Refused(String),
}

#[derive(Template, WebTemplate)]
#[template(path = "resident/event_link.html")]
struct LinkPage {
    t: Tr,
    lang: &'static str,
    org: Option<String>,
    cancel: bool,
    p: Option<LinkPreview>,
    shown: Shown,
    action: String,
    waitlist_line: String,
    free_line: String,
}

fn render(locale: Locale, cancel: bool, p: Option<LinkPreview>, shown: Shown, action: String) -> Response {
    let t = Tr(locale);
    let status = match &shown {
        Shown::Refused(_) if p.is_none() => StatusCode::NOT_FOUND,
        Shown::Refused(_) => StatusCode::CONFLICT,
        _ => StatusCode::OK,
    };
    let waitlist_line = match &shown {
        Shown::Joined(SignupOutcome::Waitlisted { position }) => {
            t.fill("event_link.waitlisted", &[("n", &position.to_string())])
        }
        _ => String::new(),
    };
    let free_line = match &p {
        Some(p) if p.free > 0 => t.fill("event_link.free", &[("n", &p.free.to_string())]),
        Some(_) => t.get("event_link.full").to_owned(),
        None => String::new(),
    };
    page(
        status,
        LinkPage {
            free_line,
            t,
            lang: locale.as_str(),
            org: p.as_ref().map(|p| p.organizer.clone()),
            cancel,
            p,
            shown,
            action,
            waitlist_line,
        },
    )
}

fn join_action(id: i64, q: &LinkQuery) -> String {
    format!("/e/{id}/join?v={}&r={}&s={}", q.v, q.r, q.s)
}

fn cancel_action(id: i64, q: &LinkQuery) -> String {
    format!("/e/{id}/cancel?v={}&s={}", q.v, q.s)
}

fn refused(locale: Locale, cancel: bool, p: Option<LinkPreview>, why: LinkRefusal) -> Response {
    let shown = Shown::Refused(why.message(locale).to_owned());
    render(locale, cancel, p, shown, String::new())
}

fn failure(e: &ServiceError) -> Response {
    tracing::error!(error = %e, "event link page failed");
    page(
        StatusCode::INTERNAL_SERVER_ERROR,
        "出错了，请稍后再试。 Something went wrong; please try again later.",
    )
}

async fn join_page(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<LinkQuery>,
    headers: HeaderMap,
) -> Response {
    let fallback = header_locale(&headers);
    match signups::signup_preview(&state.db, &state.config.secret_key, id, q.v, q.r, &q.s, Utc::now()).await {
        Ok(p) => {
            let locale = p.locale.unwrap_or(fallback);
            match p.refusal {
                Some(why) => refused(locale, false, Some(p), why),
                None => render(locale, false, Some(p), Shown::Ask, join_action(id, &q)),
            }
        }
        Err(why) => refused(fallback, false, None, why),
    }
}

async fn join(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<LinkQuery>,
    headers: HeaderMap,
) -> Response {
    let fallback = header_locale(&headers);
    let now = Utc::now();
    let outcome = signups::sign_up_by_link(&state.db, &state.config.secret_key, id, q.v, q.r, &q.s, now).await;
    let preview = signups::signup_preview(&state.db, &state.config.secret_key, id, q.v, q.r, &q.s, now)
        .await
        .ok();
    let locale = preview.as_ref().and_then(|p| p.locale).unwrap_or(fallback);
    match outcome {
        Ok(outcome) => render(locale, false, preview, Shown::Joined(outcome), String::new()),
        Err(ServiceError::Signup(why)) => refused(locale, false, preview.filter(|_| why != LinkRefusal::Forged), why),
        Err(e) => failure(&e),
    }
}

async fn cancel_page(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<LinkQuery>,
    headers: HeaderMap,
) -> Response {
    let fallback = header_locale(&headers);
    match signups::cancel_preview(&state.db, &state.config.secret_key, id, q.v, &q.s, Utc::now()).await {
        Ok(p) => {
            let locale = p.locale.unwrap_or(fallback);
            match p.refusal {
                Some(why) => refused(locale, true, Some(p), why),
                None => render(locale, true, Some(p), Shown::Ask, cancel_action(id, &q)),
            }
        }
        Err(why) => refused(fallback, true, None, why),
    }
}

async fn cancel(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<LinkQuery>,
    headers: HeaderMap,
) -> Response {
    let fallback = header_locale(&headers);
    let now = Utc::now();
    let preview = signups::cancel_preview(&state.db, &state.config.secret_key, id, q.v, &q.s, now)
        .await
        .ok();
    let locale = preview.as_ref().and_then(|p| p.locale).unwrap_or(fallback);
    match signups::cancel_by_link(&state.db, &state.config.secret_key, id, q.v, &q.s, now).await {
        Ok(()) => render(locale, true, preview, Shown::Cancelled, String::new()),
        Err(ServiceError::Signup(why)) => refused(locale, true, preview.filter(|_| why != LinkRefusal::Forged), why),
        Err(e) => failure(&e),
    }
}
