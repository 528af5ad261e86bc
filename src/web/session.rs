//! The signed-in staff member of a page request, the page language, and the CSRF guard.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};

use crate::AppState;
use crate::domain::Locale;
use crate::i18n::Tr;
use crate::services::access::Caller;
use crate::services::audit::{self, Actor, Entry};
use crate::services::sessions::{self, StaffSession};

/// Name of the session cookie; `__Host-` when served over https.
pub fn session_cookie_name(state: &AppState) -> &'static str {
    if is_https(state) {
        "__Host-relay_session"
    } else {
        "relay_session"
    }
}

/// Name of the pre-login CSRF cookie (double submit on the login form).
pub const LOGIN_CSRF_COOKIE: &str = "relay_login_csrf";

/// True when links and cookies are for https.
pub fn is_https(state: &AppState) -> bool {
    state.config.public_url.starts_with("https://")
}

/// A session cookie carrying `value`: HttpOnly, SameSite=Lax, Secure over https.
pub fn session_cookie(state: &AppState, value: String) -> Cookie<'static> {
    let mut cookie = Cookie::new(session_cookie_name(state), value);
    cookie.set_http_only(true);
    cookie.set_same_site(SameSite::Lax);
    cookie.set_path("/");
    cookie.set_secure(is_https(state));
    cookie
}

/// The language of a page: the user's own choice, else the browser's Accept-Language.
pub fn page_locale(headers: &HeaderMap, staff: Option<&StaffSession>) -> Locale {
    if let Some(locale) = staff.and_then(|s| s.locale) {
        return locale;
    }
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(Locale::negotiate)
        .unwrap_or_default()
}

/// A signed-in staff member; pages that need one redirect to `/login` without it, and an
/// account that makes no known caller gets a 403 page.
pub struct Staff {
    /// The session.
    pub session: StaffSession,
    /// The service caller the session stands for.
    pub caller: Caller,
    /// The page language.
    pub t: Tr,
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        match current_session(&parts.headers, state).await {
            Ok(Some(session)) => {
                let t = Tr(page_locale(&parts.headers, Some(&session)));
                match session.caller() {
                    Ok(caller) => Ok(Staff { session, caller, t }),
                    Err(unexpected) => {
                        tracing::warn!(error = %unexpected, "refused a session whose account makes no known caller");
                        Err(super::pages::error_page(
                            t,
                            StatusCode::FORBIDDEN,
                            "error.unexpected_account",
                        ))
                    }
                }
            }
            Ok(None) => Err(Redirect::to("/login").into_response()),
            Err(response) => Err(response),
        }
    }
}

/// The page language for pages without a session.
pub struct PageLang(pub Tr);

impl<S: Send + Sync> FromRequestParts<S> for PageLang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(PageLang(Tr(page_locale(&parts.headers, None))))
    }
}

async fn current_session(headers: &HeaderMap, state: &AppState) -> Result<Option<StaffSession>, Response> {
    let jar = CookieJar::from_headers(headers);
    let Some(cookie) = jar.get(session_cookie_name(state)) else {
        return Ok(None);
    };
    sessions::authenticate(&state.db, cookie.value(), chrono::Utc::now())
        .await
        .map_err(|e| super::pages::service_error_page(Tr(page_locale(headers, None)), &e))
}

/// Name of the CSRF cookie of the public forms (double submit, as on the login form): the
/// application form and the pages its emails link to.
pub const PUBLIC_CSRF_COOKIE: &str = "relay_public_csrf";

/// The public forms, which nobody signed in fills: they check [`PUBLIC_CSRF_COOKIE`].
const PUBLIC_FORMS: &[&str] = &["/apply/organization", "/apply/verify", "/apply/edit", "/welcome"];

/// The public forms' CSRF token: the cookie's when the browser has one (so that two tabs
/// both work), else a new one set on `jar`.
pub fn public_csrf(state: &AppState, jar: CookieJar) -> (CookieJar, String) {
    if let Some(token) = jar
        .get(PUBLIC_CSRF_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|t| t.len() == 32)
    {
        return (jar, token);
    }
    let token = crate::crypto::random_token(16);
    let mut cookie = Cookie::new(PUBLIC_CSRF_COOKIE, token.clone());
    cookie.set_http_only(true);
    cookie.set_same_site(SameSite::Strict);
    cookie.set_path("/");
    cookie.set_secure(is_https(state));
    (jar.add(cookie), token)
}

/// Paths whose POSTs come from email links without a session (RFC 8058 one-click). The
/// Telegram webhook, which proves itself with its secret header, and WeChat's server URL,
/// whose every request is signed, are exempt at exactly their configured paths. The signed
/// link in the path or query is the authority of these pages (`resident`, `event_links`, a
/// volunteer's certificate link).
const CSRF_EXEMPT: &[&str] = &["/unsubscribe/", "/consent/", "/e/", "/certificates/ask/"];
/// Largest form body the guard reads.
const MAX_FORM: usize = 256 * 1024;

/// Refuses a state-changing page request from a foreign origin or without the session's
/// (or, on the login form, the cookie's) CSRF token. The API uses bearer tokens instead.
pub async fn csrf_guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    if req.method() != Method::POST
        || path.starts_with("/api/")
        || CSRF_EXEMPT.iter().any(|p| path.starts_with(p))
        || crate::bot::webhook_path(&state.config).is_some_and(|hook| hook == path)
        || crate::wechat::path(&state.config).is_some_and(|wechat| wechat == path)
    {
        return next.run(req).await;
    }
    let headers = req.headers().clone();
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok())
        && !same_origin(origin, &headers, &state)
    {
        return refuse(&state, &headers, "csrf.foreign_origin").await;
    }
    let expected = if path == "/login" {
        CookieJar::from_headers(&headers)
            .get(LOGIN_CSRF_COOKIE)
            .map(|c| c.value().to_owned())
    } else if PUBLIC_FORMS.contains(&path.as_str()) {
        CookieJar::from_headers(&headers)
            .get(PUBLIC_CSRF_COOKIE)
            .map(|c| c.value().to_owned())
    } else {
        match current_session(&headers, &state).await {
            Ok(Some(session)) => Some(session.csrf_token),
            Ok(None) => return Redirect::to("/login").into_response(),
            Err(response) => return response,
        }
    };
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_FORM).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let sent = form_urlencoded::parse(&bytes)
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.into_owned());
    let valid = matches!((&expected, &sent), (Some(e), Some(s)) if !e.is_empty() && constant_time_eq(e.as_bytes(), s.as_bytes()));
    if !valid {
        return refuse(&state, &headers, "csrf.missing_or_wrong_token").await;
    }
    next.run(Request::from_parts(parts, axum::body::Body::from(bytes)))
        .await
}

fn same_origin(origin: &str, headers: &HeaderMap, state: &AppState) -> bool {
    let public = origin_of(&state.config.public_url);
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    origin == public || origin == format!("http://{host}") || origin == format!("https://{host}")
}

fn origin_of(url: &str) -> String {
    let scheme_end = url.find("://").map(|i| i + 3).unwrap_or(0);
    match url[scheme_end..].find('/') {
        Some(slash) => url[..scheme_end + slash].to_owned(),
        None => url.to_owned(),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Refuses a forged or stale form. A signed-in staff member's refusal is audited (someone
/// may be attacking their session); an anonymous one is only counted and logged sampled,
/// so that a flood of them writes nothing (see [`crate::metrics::AnonymousRefusals`]).
async fn refuse(state: &AppState, headers: &HeaderMap, action: &'static str) -> Response {
    match current_session(headers, state).await {
        Ok(Some(s)) => {
            tracing::warn!(action, "refused a state-changing request");
            let entry = Entry::denied(Actor::Staff(s.staff_id), action).organization(s.organization_id);
            if let Err(e) = audit::record(&state.db, chrono::Utc::now(), entry).await {
                tracing::error!(error = %e, "cannot audit a CSRF refusal");
            }
        }
        _ => state.metrics.anonymous_refusals.refuse(action),
    }
    let t = Tr(page_locale(headers, None));
    super::pages::error_page(t, StatusCode::FORBIDDEN, "error.csrf")
}
