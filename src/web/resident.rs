//! The pages a resident reaches from an email, without an account or a session: confirm
//! consent (double opt-in) and unsubscribe (RFC 8058 one-click).
//!
//! GET only shows a page with a button; POST acts. The POSTs need no cookie and no CSRF
//! token: the unguessable token in the path is the authority, and a mail provider's
//! one-click POST carries nothing else. A token that is not ours changes nothing and gets
//! a friendly 404. The pages are in the contact's language (Accept-Language when the
//! token tells us nothing). They carry no script; their one stylesheet, `/static/mail.css`,
//! is the emails' own, so a page opened from an email looks like the email, and the strict
//! policy allows it and nothing else. Each page names the organization that registered
//! the person.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::Utc;

use crate::AppState;
use crate::domain::Locale;
use crate::domain::consent::{Wait, wait};
use crate::services::ServiceError;
use crate::services::contacts::{self, Addressee, ConsentLink, ConsentOutcome};

/// The routes of the resident pages.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/consent/{token}", get(consent_page).post(consent_confirm))
        .route("/unsubscribe/{token}", get(unsubscribe_page).post(unsubscribe_now))
        .route("/static/mail.css", get(stylesheet))
        .with_state(state)
}

/// The residents' stylesheet (also inlined into every email).
async fn stylesheet() -> Response {
    let mut response = crate::notify::templates::MAIL_CSS.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
    response
}

/// What the consent page says.
#[derive(Debug, Clone, PartialEq, Eq)]
enum ConsentState {
    Ask,
    Expired,
    Confirmed,
    Resent,
    /// A new link was sent too recently; the text says when to try again.
    TooSoon(String),
}

#[derive(Template, WebTemplate)]
#[template(path = "resident/consent.html")]
struct ConsentPage {
    t: crate::i18n::Tr,
    lang: &'static str,
    state: ConsentState,
    action: String,
    /// "This consent is for … only", or empty.
    for_org: String,
    /// "A social worker of … registered this address" (of "a social worker" when no
    /// organization is known).
    registered_by: String,
    /// The organization, for the header.
    org: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "resident/unsubscribe.html")]
struct UnsubscribePage {
    t: crate::i18n::Tr,
    lang: &'static str,
    done: bool,
    action: String,
    /// "This stops the emails of … only", or empty.
    for_org: String,
    /// The organization, for the header.
    org: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "resident/not_found.html")]
struct NotFoundPage {
    t: crate::i18n::Tr,
    lang: &'static str,
    /// Always none: an unknown token tells us no organization.
    org: Option<String>,
}

pub(crate) fn header_locale(headers: &HeaderMap) -> Locale {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(Locale::negotiate)
        .unwrap_or_default()
}

/// Adds what every resident page needs: no caching (the URL holds a token), no referrer
/// (so the token never leaks to another site), and a policy that allows no script or frame
/// and no style but our own stylesheet.
pub(crate) fn page(status: StatusCode, body: impl IntoResponse) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'"),
    );
    response
}

fn not_found(locale: Locale) -> Response {
    page(
        StatusCode::NOT_FOUND,
        NotFoundPage {
            t: crate::i18n::Tr(locale),
            lang: locale.as_str(),
            org: None,
        },
    )
}

fn failure(e: ServiceError) -> Response {
    // Logged without the token: the path is not part of the message.
    tracing::error!(error = %e, "resident page failed");
    page(
        StatusCode::INTERNAL_SERVER_ERROR,
        "出错了，请稍后再试。 Something went wrong; please try again later.",
    )
}

fn for_org(to: &Addressee, key: &str) -> String {
    to.organization
        .as_deref()
        .map(|org| crate::i18n::Tr(to.locale).fill(key, &[("org", org)]))
        .unwrap_or_default()
}

fn consent(to: &Addressee, state: ConsentState, token: &str) -> Response {
    let status = if matches!(state, ConsentState::TooSoon(_)) {
        StatusCode::TOO_MANY_REQUESTS
    } else {
        StatusCode::OK
    };
    page(
        status,
        ConsentPage {
            t: crate::i18n::Tr(to.locale),
            lang: to.locale.as_str(),
            state,
            action: format!("/consent/{token}"),
            for_org: for_org(to, "resident.consent.for_org"),
            registered_by: match to.organization {
                Some(_) => for_org(to, "resident.consent.registered_by"),
                None => crate::i18n::Tr(to.locale)
                    .get("resident.consent.registered_by_unknown")
                    .to_owned(),
            },
            org: to.organization.clone(),
        },
    )
}

/// "Try again in 8 minutes", in the resident's language, and the seconds for `Retry-After`.
fn too_soon(to: &Addressee, token: &str, retry_at: chrono::DateTime<Utc>) -> Response {
    let now = Utc::now();
    let t = crate::i18n::Tr(to.locale);
    let when = match wait(now, retry_at) {
        Wait::Minutes(n) => t.fill("resident.consent.wait_minutes", &[("n", &n.to_string())]),
        Wait::Hours(n) => t.fill("resident.consent.wait_hours", &[("n", &n.to_string())]),
        Wait::Tomorrow => t.get("resident.consent.wait_tomorrow").to_owned(),
    };
    let text = t.fill("resident.consent.too_soon", &[("when", &when)]);
    let mut response = consent(to, ConsentState::TooSoon(text), token);
    let seconds = (retry_at - now).num_seconds().max(1);
    if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

async fn consent_page(State(state): State<AppState>, Path(token): Path<String>, headers: HeaderMap) -> Response {
    match contacts::consent_link(&state.db, &token, Utc::now()).await {
        Ok(ConsentLink::Open(to)) => consent(&to, ConsentState::Ask, &token),
        Ok(ConsentLink::Expired(to)) => consent(&to, ConsentState::Expired, &token),
        Ok(ConsentLink::Unknown) => not_found(header_locale(&headers)),
        Err(e) => failure(e),
    }
}

async fn consent_confirm(State(state): State<AppState>, Path(token): Path<String>, headers: HeaderMap) -> Response {
    match contacts::confirm_consent(&state.db, &token, Utc::now()).await {
        Ok(ConsentOutcome::Confirmed(to)) => consent(&to, ConsentState::Confirmed, &token),
        Ok(ConsentOutcome::NewLinkSent(to)) => consent(&to, ConsentState::Resent, &token),
        Ok(ConsentOutcome::TooSoon { to, retry_at }) => too_soon(&to, &token, retry_at),
        Ok(ConsentOutcome::Unknown) => not_found(header_locale(&headers)),
        Err(e) => failure(e),
    }
}

fn unsubscribe(to: &Addressee, done: bool, token: &str) -> Response {
    page(
        StatusCode::OK,
        UnsubscribePage {
            t: crate::i18n::Tr(to.locale),
            lang: to.locale.as_str(),
            done,
            action: format!("/unsubscribe/{token}"),
            for_org: for_org(to, "resident.unsubscribe.for_org"),
            org: to.organization.clone(),
        },
    )
}

async fn unsubscribe_page(State(state): State<AppState>, Path(token): Path<String>, headers: HeaderMap) -> Response {
    match contacts::unsubscribe_link(&state.db, &state.config.secret_key, &token).await {
        Ok(Some((to, already))) => unsubscribe(&to, already, &token),
        Ok(None) => not_found(header_locale(&headers)),
        Err(e) => failure(e),
    }
}

/// The RFC 8058 one-click endpoint as well as the page's button: the body
/// (`List-Unsubscribe=One-Click`) is not needed, and no cookie is looked at.
async fn unsubscribe_now(State(state): State<AppState>, Path(token): Path<String>, headers: HeaderMap) -> Response {
    match contacts::unsubscribe(&state.db, &state.config.secret_key, &token, Utc::now()).await {
        Ok(Some(to)) => unsubscribe(&to, true, &token),
        Ok(None) => not_found(header_locale(&headers)),
        Err(e) => failure(e),
    }
}
