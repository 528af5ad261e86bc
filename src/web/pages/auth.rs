//! Sign in, sign out, language and password.

use std::net::SocketAddr;

use askama::Template;
use axum::Form;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use serde::Deserialize;

use super::{BUSY_RETRY_AFTER_SECS, Chrome, OrPage, PageError, PageResult, render, with_retry_after};
use crate::AppState;
use crate::crypto;
use crate::domain::Locale;
use crate::i18n::Tr;
use crate::services::ServiceError;
use crate::services::sessions::{self, LoginError};
use crate::web::session::{LOGIN_CSRF_COOKIE, PageLang, Staff, session_cookie, session_cookie_name};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    c: Chrome,
    email: String,
    error: String,
    /// `?lang=…` of the form's action when a language was chosen on the page, so a retry keeps it.
    lang_query: String,
}

fn login_page(t: Tr, csrf: String, email: String, error: String) -> LoginPage {
    let c = Chrome {
        t,
        user: None,
        is_admin: false,
        is_district: false,
        csrf,
        title: t.get("login.title").to_owned(),
    };
    LoginPage {
        c,
        email,
        error,
        lang_query: String::new(),
    }
}

/// The language chosen on the login page (`?lang=zh-CN` or `?lang=en`); anything else is ignored.
#[derive(Debug, Default, Deserialize)]
pub struct LangQuery {
    #[serde(default)]
    lang: String,
}

impl LangQuery {
    /// The language chosen on the page, if one was.
    fn chosen(&self) -> Option<Locale> {
        self.lang.parse::<Locale>().ok()
    }

    /// The chosen language, or the browser's.
    fn pick(&self, browser: Tr) -> (Tr, String) {
        match self.chosen() {
            Some(locale) => (Tr(locale), format!("?lang={}", Tr(locale).lang())),
            None => (browser, String::new()),
        }
    }
}

/// `GET /login`: the form, with a fresh double-submit CSRF cookie.
pub async fn login_form(PageLang(browser): PageLang, Query(lang): Query<LangQuery>, jar: CookieJar) -> Response {
    let (t, lang_query) = lang.pick(browser);
    let token = crypto::random_token(16);
    let mut cookie = Cookie::new(LOGIN_CSRF_COOKIE, token.clone());
    cookie.set_http_only(true);
    cookie.set_same_site(SameSite::Strict);
    cookie.set_path("/login");
    let page = LoginPage {
        lang_query,
        ..login_page(t, token, String::new(), String::new())
    };
    (jar.add(cookie), render(StatusCode::OK, page)).into_response()
}

/// The login form's fields.
#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
}

/// `POST /login`: 303 to the dashboard with a new session, or the form again.
pub async fn login(
    State(state): State<AppState>,
    PageLang(browser): PageLang,
    Query(lang): Query<LangQuery>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    jar: CookieJar,
    Form(form): Form<LoginForm>,
) -> Response {
    let (t, lang_query) = lang.pick(browser);
    let login_page = |t: Tr, csrf: String, email: String, error: String| LoginPage {
        lang_query: lang_query.clone(),
        ..login_page(t, csrf, email, error)
    };
    let refusals = &state.metrics.anonymous_refusals;
    if form.email.trim().is_empty() || form.password.is_empty() {
        // Say which is missing rather than "wrong email or password"; nothing is checked, so nothing is counted.
        let page = login_page(t, form.csrf, form.email, t.get("login.missing").to_owned());
        return render(StatusCode::UNPROCESSABLE_ENTITY, page);
    }
    match sessions::login(
        &state.db,
        &state.passwords,
        &form.email,
        &form.password,
        &crate::services::throttle::client_key(addr.ip()),
        lang.chosen(),
        chrono::Utc::now(),
    )
    .await
    {
        Ok(session_id) => {
            let jar = jar
                .remove(Cookie::build(LOGIN_CSRF_COOKIE).path("/login"))
                .add(session_cookie(&state, session_id));
            (jar, Redirect::to("/")).into_response()
        }
        Err(LoginError::WrongCredentials) => {
            refusals.refuse("login.wrong_credentials");
            let page = login_page(t, form.csrf, form.email, t.get("login.wrong").to_owned());
            render(StatusCode::UNAUTHORIZED, page)
        }
        Err(LoginError::Throttled(minutes)) => {
            refusals.refuse("login.throttled");
            let message = t.fill("login.throttled", &[("minutes", &minutes.to_string())]);
            with_retry_after(
                render(
                    StatusCode::TOO_MANY_REQUESTS,
                    login_page(t, form.csrf, form.email, message),
                ),
                u64::try_from(minutes * 60).unwrap_or(0),
            )
        }
        Err(LoginError::Busy) => {
            refusals.refuse("login.busy");
            let message = t.get("login.busy").to_owned();
            with_retry_after(
                render(
                    StatusCode::SERVICE_UNAVAILABLE,
                    login_page(t, form.csrf, form.email, message),
                ),
                BUSY_RETRY_AFTER_SECS,
            )
        }
        Err(LoginError::OrganizationSuspended) => {
            let message = t.get("login.organization_suspended").to_owned();
            render(StatusCode::FORBIDDEN, login_page(t, form.csrf, form.email, message))
        }
        Err(LoginError::UnexpectedAccount) => {
            let message = t.get("error.unexpected_account").to_owned();
            render(StatusCode::FORBIDDEN, login_page(t, form.csrf, form.email, message))
        }
        Err(LoginError::Service(e)) => PageError::new(t, e).into_response(),
    }
}

/// `POST /logout`: ends the session on the server and clears the cookie.
pub async fn logout(State(state): State<AppState>, jar: CookieJar) -> Response {
    if let Some(cookie) = jar.get(session_cookie_name(&state))
        && let Err(e) = sessions::logout(&state.db, cookie.value(), chrono::Utc::now()).await
    {
        tracing::error!(error = %e, "logout failed");
    }
    let jar = jar.remove(Cookie::build(session_cookie_name(&state)).path("/"));
    (jar, Redirect::to("/login")).into_response()
}

/// The language form.
#[derive(Deserialize)]
pub struct LanguageForm {
    lang: String,
}

/// `POST /settings/language`: remembers the user's language.
pub async fn set_language(State(state): State<AppState>, staff: Staff, Form(form): Form<LanguageForm>) -> PageResult {
    let Ok(locale) = form.lang.parse::<Locale>() else {
        return Ok(Redirect::to("/").into_response());
    };
    sessions::set_locale(&state.db, staff.session.staff_id, locale)
        .await
        .or_page(staff.t)?;
    Ok(Redirect::to("/").into_response())
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    c: Chrome,
    error_current: String,
    error_new: String,
    done: bool,
}

/// `GET /settings/password`.
pub async fn password_form(staff: Staff) -> Response {
    let c = Chrome::new(staff.t, &staff.session, "password.title");
    render(
        StatusCode::OK,
        PasswordPage {
            c,
            error_current: String::new(),
            error_new: String::new(),
            done: false,
        },
    )
}

/// The password form.
#[derive(Deserialize)]
pub struct PasswordForm {
    current_password: String,
    new_password: String,
}

/// `POST /settings/password`: changes it and ends every other session.
pub async fn change_password(
    State(state): State<AppState>,
    staff: Staff,
    jar: CookieJar,
    Form(form): Form<PasswordForm>,
) -> Response {
    let t = staff.t;
    match sessions::change_password(
        &state.db,
        &state.passwords,
        staff.session.staff_id,
        &form.current_password,
        &form.new_password,
        chrono::Utc::now(),
    )
    .await
    {
        Ok(fresh) => {
            // The old session has ended: the page's forms (language, sign out) carry the new
            // session's token.
            let mut session = staff.session.clone();
            session.csrf_token = fresh.csrf_token;
            let c = Chrome::new(t, &session, "password.title");
            let page = PasswordPage {
                c,
                error_current: String::new(),
                error_new: String::new(),
                done: true,
            };
            (
                jar.add(session_cookie(&state, fresh.session_id)),
                render(StatusCode::OK, page),
            )
                .into_response()
        }
        Err(ServiceError::Validation(errors)) => {
            let c = Chrome::new(t, &staff.session, "password.title");
            let message = |f: &str| errors.get(f).map(|e| e.message(t.0)).unwrap_or_default();
            let page = PasswordPage {
                c,
                error_current: message("current_password"),
                error_new: message("new_password"),
                done: false,
            };
            render(StatusCode::UNPROCESSABLE_ENTITY, page)
        }
        Err(e) => PageError::new(t, e).into_response(),
    }
}
