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
use crate::domain::event::SignupStatus;
use crate::i18n::Tr;
use crate::services::ServiceError;
use crate::services::events::links;
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

/// Which of the two links a page serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Link {
    /// Sign up for the link's role.
    Join,
    /// Cancel the volunteer's sign-up.
    Cancel,
}

/// What the page shows.
enum Shown {
    /// The event and, when there is one to take, the step's button.
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
    /// The event's place in the page's language.
    place: String,
    /// What the page says, a paragraph each.
    lines: Vec<String>,
    /// Where the button posts, and its label; no button when empty.
    action: String,
    button: String,
    /// The volunteer's cancel page and its link's words, when they hold a sign-up.
    cancel_path: String,
    cancel_label: String,
}

/// The lines and the button of a page that asks: for a cancel, what cancelling does (a
/// waitlisted person leaves the list; a confirmed one's place goes on); for a sign-up, where
/// the volunteer stands now — signed up for this role already, waiting for it, or holding
/// another role they may switch from.
fn asking(t: Tr, link: Link, p: &LinkPreview) -> (Vec<String>, String) {
    let waiting = p.current == Some(SignupStatus::Waitlisted);
    if link == Link::Cancel {
        return if waiting {
            (
                vec![t.get("event_link.cancel_ask_waitlisted").to_owned()],
                t.get("event_link.leave_button").to_owned(),
            )
        } else {
            (
                vec![t.get("event_link.cancel_ask").to_owned()],
                t.get("event_link.cancel_button").to_owned(),
            )
        };
    }
    let free_line = if p.free > 0 {
        t.fill("event_link.free", &[("n", &p.free.to_string())])
    } else {
        t.get("event_link.full").to_owned()
    };
    let Some(current) = &p.current_role else {
        return (
            vec![free_line, t.get("event_link.join_ask").to_owned()],
            t.get("event_link.join_button").to_owned(),
        );
    };
    let position = current.position.unwrap_or(0).to_string();
    let held = [("role", current.name.as_str()), ("n", position.as_str())];
    if current.id == p.role_id {
        let key = if waiting {
            "event_link.already_waiting"
        } else {
            "event_link.already_in"
        };
        return (vec![t.fill(key, &held)], String::new());
    }
    let key = if waiting {
        "event_link.waiting_for_other"
    } else {
        "event_link.signed_for_other"
    };
    (
        vec![
            t.fill(key, &held),
            free_line,
            t.fill(
                "event_link.switch_ask",
                &[("role", &p.role), ("current", &current.name)],
            ),
        ],
        t.get("event_link.switch_button").to_owned(),
    )
}

fn render(
    locale: Locale,
    link: Link,
    p: Option<LinkPreview>,
    shown: Shown,
    action: String,
    cancel_path: String,
) -> Response {
    let t = Tr(locale);
    let status = match &shown {
        Shown::Refused(_) if p.is_none() => StatusCode::NOT_FOUND,
        Shown::Refused(_) => StatusCode::CONFLICT,
        _ => StatusCode::OK,
    };
    let waiting = p.as_ref().is_some_and(|p| p.current == Some(SignupStatus::Waitlisted));
    let (lines, button) = match (&shown, &p) {
        (Shown::Ask, Some(p)) => asking(t, link, p),
        (Shown::Ask, None) => (Vec::new(), String::new()),
        (Shown::Joined(SignupOutcome::Confirmed), _) => (vec![t.get("event_link.joined").to_owned()], String::new()),
        (Shown::Joined(SignupOutcome::Waitlisted { position }), _) => (
            vec![t.fill("event_link.waitlisted", &[("n", &position.to_string())])],
            String::new(),
        ),
        // The page read before the cancel says whether they were waiting.
        (Shown::Cancelled, _) if waiting => (vec![t.get("event_link.left_waitlist").to_owned()], String::new()),
        (Shown::Cancelled, _) => (vec![t.get("event_link.cancelled").to_owned()], String::new()),
        (Shown::Refused(why), _) => (vec![why.clone()], String::new()),
    };
    let cancel_label = if waiting {
        t.get("event_link.leave_link")
    } else {
        t.get("event_link.cancel_link")
    };
    page(
        status,
        LinkPage {
            t,
            lang: locale.as_str(),
            org: p.as_ref().map(|p| p.organizer.clone()),
            cancel: link == Link::Cancel,
            place: p.as_ref().map(|p| p.place.get(locale).to_owned()).unwrap_or_default(),
            p,
            lines,
            action: if button.is_empty() { String::new() } else { action },
            button,
            cancel_path,
            cancel_label: cancel_label.to_owned(),
        },
    )
}

/// Where the page's button posts: the link itself.
fn action(link: Link, id: i64, q: &LinkQuery) -> String {
    match link {
        Link::Join => format!("/e/{id}/join?v={}&r={}&s={}", q.v, q.r, q.s),
        Link::Cancel => format!("/e/{id}/cancel?v={}&s={}", q.v, q.s),
    }
}

fn refused(locale: Locale, link: Link, p: Option<LinkPreview>, why: LinkRefusal) -> Response {
    let shown = Shown::Refused(why.message(locale).to_owned());
    render(locale, link, p, shown, String::new(), String::new())
}

fn failure(e: &ServiceError) -> Response {
    tracing::error!(error = %e, "event link page failed");
    page(
        StatusCode::INTERNAL_SERVER_ERROR,
        "出错了，请稍后再试。 Something went wrong; please try again later.",
    )
}

/// What `link` leads to now, or why it leads nowhere.
async fn preview_of(
    state: &AppState,
    link: Link,
    id: i64,
    q: &LinkQuery,
    now: chrono::DateTime<Utc>,
) -> Result<LinkPreview, LinkRefusal> {
    let secret = &state.config.secret_key;
    match link {
        Link::Join => signups::signup_preview(&state.db, secret, id, q.v, q.r, &q.s, now).await,
        Link::Cancel => signups::cancel_preview(&state.db, secret, id, q.v, &q.s, now).await,
    }
}

/// GET: the page that asks, with one button (mail scanners open links; only a person presses).
async fn show(state: AppState, link: Link, id: i64, q: LinkQuery, headers: &HeaderMap) -> Response {
    let fallback = header_locale(headers);
    match preview_of(&state, link, id, &q, Utc::now()).await {
        Ok(p) => {
            let locale = p.locale.unwrap_or(fallback);
            match p.refusal {
                Some(why) => refused(locale, link, Some(p), why),
                None => {
                    // A sign-up page of someone signed up already leads to their cancel page;
                    // the signature checked above makes theirs the only one it can be.
                    let cancel_path = if link == Link::Join && p.current.is_some() {
                        links::cancel_url(&state.config.secret_key, "", id, q.v)
                    } else {
                        String::new()
                    };
                    render(locale, link, Some(p), Shown::Ask, action(link, id, &q), cancel_path)
                }
            }
        }
        Err(why) => refused(fallback, link, None, why),
    }
}

/// POST: takes the step. The page is read first, in the volunteer's language, and says
/// what happened.
async fn act(state: AppState, link: Link, id: i64, q: LinkQuery, headers: &HeaderMap) -> Response {
    let fallback = header_locale(headers);
    let now = Utc::now();
    let preview = preview_of(&state, link, id, &q, now).await.ok();
    let locale = preview.as_ref().and_then(|p| p.locale).unwrap_or(fallback);
    let secret = &state.config.secret_key;
    let done = match link {
        Link::Join => signups::sign_up_by_link(&state.db, secret, id, q.v, q.r, &q.s, now)
            .await
            .map(Shown::Joined),
        Link::Cancel => signups::cancel_by_link(&state.db, secret, id, q.v, &q.s, now)
            .await
            .map(|()| Shown::Cancelled),
    };
    match done {
        Ok(shown) => render(locale, link, preview, shown, String::new(), String::new()),
        Err(ServiceError::Signup(why)) => refused(locale, link, preview.filter(|_| why != LinkRefusal::Forged), why),
        Err(e) => failure(&e),
    }
}

async fn join_page(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<LinkQuery>,
    headers: HeaderMap,
) -> Response {
    show(state, Link::Join, id, q, &headers).await
}

async fn join(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<LinkQuery>,
    headers: HeaderMap,
) -> Response {
    act(state, Link::Join, id, q, &headers).await
}

async fn cancel_page(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<LinkQuery>,
    headers: HeaderMap,
) -> Response {
    show(state, Link::Cancel, id, q, &headers).await
}

async fn cancel(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<LinkQuery>,
    headers: HeaderMap,
) -> Response {
    act(state, Link::Cancel, id, q, &headers).await
}
