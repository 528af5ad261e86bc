//! Server-rendered pages for social workers and the office (askama; no JavaScript).
//! A handler parses the form, calls one service, and renders a template.

mod admin;
mod applications;
mod auth;
mod beneficiaries;
mod certificates;
mod confirm;
mod credit;
mod dashboard;
mod duplicates;
mod events;
mod ledger;
mod need_cancel;
mod need_series;
mod needs;
mod poster;
mod referrals;
mod reports;
mod resources;
mod sponsorships;
mod views;
mod visits;
mod volunteers;

// Public so that the fuzz targets (fuzz/) decode bodies into the very types the handlers use.
pub use beneficiaries::BeneficiaryForm;
pub use needs::NeedForm;

use askama::Template;
use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};

use crate::AppState;
use crate::domain::input::FieldErrors;
use crate::i18n::Tr;
use crate::services::ServiceError;
use crate::services::sessions::StaffSession;

/// Every page route.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(dashboard::show))
        .route("/login", get(auth::login_form).post(auth::login))
        .route("/logout", post(auth::logout))
        .route("/settings/language", post(auth::set_language))
        .route(
            "/settings/password",
            get(auth::password_form).post(auth::change_password),
        )
        .route("/credit", get(credit::show))
        .route("/needs", get(needs::board).post(needs::create))
        .route("/needs/new", get(needs::new_form))
        .route("/needs/poster", get(poster::needs_poster))
        .route("/needs/{id}/qr.png", get(poster::qr_image))
        .route("/needs/{id}", get(needs::show))
        .route("/needs/{id}/edit", get(needs::edit_form).post(needs::edit))
        .route("/needs/{id}/cancel", get(need_cancel::ask).post(need_cancel::cancel))
        .route("/needs/{id}/end-series", get(need_series::ask).post(need_series::end))
        .route("/sponsorships/{id}/end", get(sponsorships::ask).post(sponsorships::end))
        .route("/needs/{id}/claims/{claim_id}/confirm", post(needs::confirm))
        .route("/needs/{id}/claims/{claim_id}/dispute", post(needs::dispute))
        .route("/needs/{id}/claims/{claim_id}/resolve", post(needs::resolve))
        .route("/needs/{id}/claims/{claim_id}/reset-code", post(needs::reset_code))
        .route("/beneficiaries", get(beneficiaries::list).post(beneficiaries::create))
        .route("/beneficiaries/new", get(beneficiaries::new_form))
        .route("/beneficiaries/{id}", get(beneficiaries::show))
        .route(
            "/beneficiaries/{id}/edit",
            get(beneficiaries::edit_form).post(beneficiaries::edit),
        )
        .route("/beneficiaries/{id}/consent", post(beneficiaries::record_consent))
        .route(
            "/beneficiaries/{id}/close",
            get(beneficiaries::close_form).post(beneficiaries::close),
        )
        .route("/beneficiaries/{id}/reopen", post(beneficiaries::reopen))
        .route(
            "/beneficiaries/{id}/referrals",
            get(referrals::case_tab).post(referrals::refer),
        )
        .route("/resources", get(resources::list))
        .route(
            "/needs/{id}/ask/{merchant_id}",
            get(resources::ask_form).post(resources::ask),
        )
        .route(
            "/needs/{id}/record-claim",
            get(resources::record_form).post(resources::record),
        )
        .route("/referrals", get(referrals::list))
        .route("/referrals/{id}", get(referrals::show))
        .route(
            "/referrals/{id}/accept",
            get(referrals::ask_accept).post(referrals::accept),
        )
        .route("/referrals/{id}/decline", post(referrals::decline))
        .route("/referrals/{id}/withdraw", post(referrals::withdraw))
        .route("/beneficiaries/{id}/ledger", get(ledger::show).post(ledger::add))
        .route("/beneficiaries/{id}/visits", get(visits::show).post(visits::log))
        .route("/events", get(events::list).post(events::create))
        .route("/events/new", get(events::new_form))
        .route("/events/{id}", get(events::show))
        .route("/events/{id}/invite", get(events::ask_invite).post(events::invite))
        .route("/events/{id}/cancel", get(events::ask_cancel).post(events::cancel))
        .route("/events/{id}/check-in", get(events::check_in_page))
        .route("/events/{id}/check-in/{signup_id}", post(events::check_in))
        .route("/events/{id}/hours", get(events::hours_form).post(events::record_hours))
        .route("/events/{id}/signups", post(events::sign_up))
        .route(
            "/events/{id}/signups/{signup_id}/cancel",
            get(events::ask_cancel_signup).post(events::cancel_signup),
        )
        .route("/events/{id}/poster", get(events::poster))
        .route("/events/{id}/needs", post(events::add_need))
        .route("/volunteers", get(volunteers::list).post(volunteers::create))
        .route("/volunteers/{id}/hours", post(volunteers::log_hours))
        .route("/hours/{id}/confirm", post(volunteers::confirm_hours))
        .route("/volunteers/{id}", get(certificates::volunteer))
        .route("/volunteers/{id}/certificates", post(certificates::issue))
        .route("/certificates/{file}", get(certificates::download))
        .route(
            "/certificates/{number}/revoke",
            get(certificates::ask_revoke).post(certificates::revoke),
        )
        .route(
            "/admin/merchants/{id}/certificates",
            get(certificates::merchant).post(certificates::issue_merchant),
        )
        .route("/verify/{number}", get(certificates::verify))
        .route(
            "/certificates/ask/{volunteer}/{from}/{to}/{expires}/{signature}",
            get(certificates::ask).post(certificates::ask_pdf),
        )
        .route("/admin/organizations", get(admin::organizations))
        .route("/admin/organizations/{id}/status", post(admin::organization_status))
        .route(
            "/admin/organizations/{id}/suspend",
            get(admin::suspend_organization_form),
        )
        .route(
            "/admin/organizations/{id}/services",
            get(admin::services_form).post(admin::set_services),
        )
        .route("/admin/merchants", get(admin::merchants))
        .route("/admin/merchants/{id}/status", post(admin::merchant_status))
        .route("/admin/merchants/{id}/suspend", get(admin::suspend_merchant_form))
        .route("/admin/merchants/{id}/link-code", post(admin::link_code))
        .route(
            "/admin/merchants/{id}/offers",
            get(resources::merchant_offers).post(resources::record_offer),
        )
        .route(
            "/admin/merchants/{id}/offers/{offer_id}/pause",
            post(resources::pause_offer),
        )
        .route(
            "/admin/merchants/{id}/offers/{offer_id}/resume",
            post(resources::resume_offer),
        )
        .route("/admin/renewals", get(admin::renewals))
        .route(
            "/admin/renewals/{kind}/{id}",
            get(admin::ask_renewal).post(admin::renew),
        )
        .route("/admin/merchant-applications", get(admin::merchant_applications))
        .route("/admin/merchant-applications/{id}", get(admin::merchant_application))
        .route(
            "/admin/merchant-applications/{id}/approve",
            get(admin::approve_merchant_application_form).post(admin::approve_merchant_application),
        )
        .route(
            "/admin/merchant-applications/{id}/more",
            get(admin::ask_merchant_application_form).post(admin::ask_merchant_application),
        )
        .route(
            "/admin/merchant-applications/{id}/reject",
            get(admin::reject_merchant_application_form).post(admin::reject_merchant_application),
        )
        .route("/admin/staff", get(admin::staff_list))
        .route(
            "/admin/staff/{id}/deactivate",
            get(admin::deactivate_form).post(admin::deactivate),
        )
        .route("/admin/staff/{id}/reactivate", post(admin::reactivate))
        .route("/admin/tokens", get(admin::tokens).post(admin::issue_token))
        .route(
            "/admin/tokens/{id}/revoke",
            get(admin::revoke_token_form).post(admin::revoke_token),
        )
        .route("/admin/audit", get(admin::audit))
        .route("/admin/outbox", get(admin::outbox))
        .route("/admin/outbox/{id}/retry", post(admin::retry_outbox))
        .route("/admin/duplicates", get(duplicates::queue))
        .route("/admin/programmes", get(ledger::programmes).post(ledger::add_programme))
        .route(
            "/admin/visit-intervals",
            get(visits::intervals).post(visits::set_interval),
        )
        .route("/admin/duplicates/{id}", get(duplicates::ask))
        .route("/admin/duplicates/{id}/resolve", post(duplicates::resolve))
        .route("/admin/reports", get(reports::page))
        .route("/admin/reports/chart/{file}", get(reports::chart))
        .route("/admin/reports/{file}", get(reports::csv))
        .route("/apply/organization", get(applications::form).post(applications::apply))
        .route(
            "/apply/verify",
            get(applications::verify_form).post(applications::verify),
        )
        .route("/apply/edit", get(applications::edit_form).post(applications::resubmit))
        .route("/welcome", get(applications::welcome_form).post(applications::welcome))
        .route("/admin/applications", get(applications::list))
        .route("/admin/applications/{id}", get(applications::show))
        .route(
            "/admin/applications/{id}/resend",
            get(applications::ask_resend).post(applications::resend),
        )
        .route(
            "/admin/applications/{id}/approve",
            get(applications::ask_approve).post(applications::approve),
        )
        .route(
            "/admin/applications/{id}/ask",
            get(applications::ask_more_form).post(applications::ask_more),
        )
        .route(
            "/admin/applications/{id}/reject",
            get(applications::ask_reject).post(applications::reject),
        )
        .route("/transparency", get(reports::transparency))
        .route("/transparency/met.svg", get(reports::transparency_chart))
        .route("/static/app.css", get(stylesheet))
        .route("/static/favicon.svg", get(favicon))
        .with_state(state)
}

async fn stylesheet() -> Response {
    let mut response = include_str!("../../../static/app.css").into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
    response
}

async fn favicon() -> Response {
    let mut response = include_str!("../../../static/favicon.svg").into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/svg+xml"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=86400"));
    response
}

/// What the layout needs on every page.
pub struct Chrome {
    /// Translations.
    pub t: Tr,
    /// The signed-in user's display name, if any.
    pub user: Option<String>,
    /// True for office staff (shows the office menu).
    pub is_admin: bool,
    /// True for the district bureau (shows its read-only menu).
    pub is_district: bool,
    /// The session's CSRF token for forms.
    pub csrf: String,
    /// The page title key.
    pub title: String,
}

impl Chrome {
    /// The chrome of a signed-in page.
    pub fn new(t: Tr, session: &StaffSession, title_key: &str) -> Self {
        Chrome {
            t,
            user: Some(session.display_name.clone()),
            is_admin: session.role == crate::domain::Role::Admin,
            is_district: session.role == crate::domain::Role::District,
            csrf: session.csrf_token.clone(),
            title: t.get(title_key).to_owned(),
        }
    }
}

/// Renders a template with a status code.
pub fn render(status: StatusCode, page: impl Template) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed to render");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    c: Chrome,
    message: String,
}

/// A plain error page with the message of `key`.
pub fn error_page(t: Tr, status: StatusCode, key: &str) -> Response {
    let c = Chrome {
        t,
        user: None,
        is_admin: false,
        is_district: false,
        csrf: String::new(),
        title: t.get("error.title").to_owned(),
    };
    render(
        status,
        ErrorPage {
            c,
            message: t.get(key).to_owned(),
        },
    )
}

#[derive(Template)]
#[template(path = "notice.html")]
struct NoticePage {
    c: Chrome,
    message: String,
    back: String,
    back_label: String,
}

/// A page for a signed-in user that explains why an action cannot go on, with the menu and a link back to where it
/// makes sense to continue (unlike [`error_page`], which knows no session).
pub fn notice_page(
    t: Tr,
    session: &StaffSession,
    status: StatusCode,
    title_key: &str,
    message_key: &str,
    back: &str,
    back_key: &str,
) -> Response {
    render(
        status,
        NoticePage {
            c: Chrome::new(t, session, title_key),
            message: t.get(message_key).to_owned(),
            back: back.to_owned(),
            back_label: t.get(back_key).to_owned(),
        },
    )
}

/// Maps a service error to a page: 404 for not found, 403, 409 conflicts, 503 while the
/// database cannot be reached, or a generic 500.
pub fn service_error_page(t: Tr, e: &ServiceError) -> Response {
    match e {
        e if e.is_unavailable() => {
            tracing::warn!(error = %e, "page request failed: the database cannot be reached");
            error_page(t, StatusCode::SERVICE_UNAVAILABLE, "error.unavailable")
        }
        ServiceError::NotFound(_) => error_page(t, StatusCode::NOT_FOUND, "error.not_found"),
        ServiceError::Forbidden => error_page(t, StatusCode::FORBIDDEN, "error.forbidden"),
        ServiceError::Busy => with_retry_after(
            error_page(t, StatusCode::SERVICE_UNAVAILABLE, "error.busy"),
            BUSY_RETRY_AFTER_SECS,
        ),
        ServiceError::OrganizationSuspended => error_page(t, StatusCode::FORBIDDEN, "error.organization_suspended"),
        ServiceError::Db(_) | ServiceError::Internal(_) => {
            tracing::error!(error = %e, "page request failed");
            error_page(t, StatusCode::INTERNAL_SERVER_ERROR, "error.internal")
        }
        _ => error_page(t, StatusCode::CONFLICT, "error.conflict"),
    }
}

/// A page request a service refused or failed: renders [`service_error_page`] in the page's language, so that a
/// handler returning `Result<Response, PageError>` writes `service(..).await.or_page(t)?` (as `ApiError` does for
/// the API).
#[derive(Debug)]
pub struct PageError {
    t: Tr,
    error: ServiceError,
}

impl PageError {
    /// The error page of `error`, in `t`'s language.
    pub fn new(t: Tr, error: impl Into<ServiceError>) -> Self {
        PageError { t, error: error.into() }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        service_error_page(self.t, &self.error)
    }
}

/// Turns a service's error into a [`PageError`] in the page's language.
pub trait OrPage<T> {
    /// `self`, or the error page of its error in `t`'s language.
    fn or_page(self, t: Tr) -> Result<T, PageError>;
}

impl<T, E: Into<ServiceError>> OrPage<T> for Result<T, E> {
    fn or_page(self, t: Tr) -> Result<T, PageError> {
        self.map_err(|e| PageError::new(t, e))
    }
}

/// What a page handler returns: the page, or the error page.
pub type PageResult = Result<Response, PageError>;

/// When a page refused for busy password hashing tells the browser to come back.
pub const BUSY_RETRY_AFTER_SECS: u64 = 5;

/// `response` with a `Retry-After` of `seconds`.
pub fn with_retry_after(mut response: Response, seconds: u64) -> Response {
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, axum::http::HeaderValue::from(seconds));
    response
}

/// A form field's value and its error message, for re-showing a form.
#[derive(Debug, Clone, Default)]
pub struct Field {
    /// What the user typed.
    pub value: String,
    /// The error next to it, in the user's language; empty when fine.
    pub error: String,
}

/// Builds the [`Field`] of `name` from what was typed and the form's errors.
pub fn field(t: Tr, name: &str, value: &str, errors: &FieldErrors) -> Field {
    Field {
        value: value.to_owned(),
        error: errors.get(name).map(|e| e.message(t.0)).unwrap_or_default(),
    }
}

/// Options of a `<select>`: (value, label, selected).
pub type Options = Vec<(String, String, bool)>;

/// The options of an enum stored as text, labelled in `t`'s language.
pub fn enum_options<E: Copy>(
    all: &[E],
    as_str: fn(E) -> &'static str,
    label: fn(E, crate::domain::Locale) -> &'static str,
    t: Tr,
    selected: &str,
) -> Options {
    all.iter()
        .map(|e| (as_str(*e).to_owned(), label(*e, t.0).to_owned(), as_str(*e) == selected))
        .collect()
}

/// Adds the security headers every page carries (and `no-store` for signed-in pages).
pub async fn security_headers(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let is_static = req.uri().path().starts_with("/static/");
    let https = crate::web::session::is_https(&state);
    let mut response = next.run(req).await;
    let headers = response.headers_mut();
    // A handler that set a stricter policy (the resident pages) keeps it.
    headers.entry(header::CONTENT_SECURITY_POLICY).or_insert(
        HeaderValue::from_static(
            "default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
        ),
    );
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers
        .entry(header::REFERRER_POLICY)
        .or_insert(HeaderValue::from_static("same-origin"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !is_static {
        // Pages are private unless a handler says otherwise (the public transparency page).
        headers
            .entry(header::CACHE_CONTROL)
            .or_insert(HeaderValue::from_static("no-store"));
    }
    if https {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    response
}
