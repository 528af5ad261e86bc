//! Certificates: a volunteer's page with their certificates and the issue form, the PDF for
//! the issuer's staff, revoking (asked first), the office's caring-merchant certificates, and
//! the public `/verify/{number}`, which never shows the holder's name.

use std::net::SocketAddr;

use askama::Template;
use axum::Form;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::confirm::{self, Confirm};
use super::{Chrome, Field, Options, OrPage, PageError, PageResult, error_page, field, render};
use crate::AppState;
use crate::domain::Locale;
use crate::domain::certificate::{CertificateKind, hours_text};
use crate::domain::input::FieldErrors;
use crate::i18n::Tr;
use crate::pdf;
use crate::services::ServiceError;
use crate::services::certificates::{self, CertificateView, LinkError, SignedLink, VerifyError};
use crate::web::session::{PageLang, Staff};

/// One certificate in a list.
struct Row {
    number: String,
    period: String,
    amount: String,
    issued: String,
    state: String,
    valid: bool,
}

fn row(t: Tr, v: &CertificateView) -> Row {
    Row {
        number: v.number.clone(),
        period: t.fill(
            "cert.period",
            &[("from", &v.period_start.to_string()), ("to", &v.period_end.to_string())],
        ),
        amount: match v.kind {
            CertificateKind::VolunteerHours => hours_text(v.tenths),
            CertificateKind::CaringMerchant => v.deliveries.to_string(),
        },
        issued: v.issued_on.to_string(),
        state: match v.revoked_on {
            Some(d) => t.fill("cert.revoked_on", &[("date", &d.to_string())]),
            None => t.get("cert.valid").to_owned(),
        },
        valid: v.revoked_on.is_none(),
    }
}

#[derive(Template)]
#[template(path = "volunteer_show.html")]
struct VolunteerPage {
    c: Chrome,
    volunteer_id: i64,
    volunteer_number: String,
    confirmed: String,
    issued: String,
    issued_number: String,
    rows: Vec<Row>,
    period_start: Field,
    period_end: Field,
    locales: Options,
}

/// `?issued=NUMBER` after issuing: the page says so and offers the download.
#[derive(Debug, Default, Deserialize)]
pub struct Issued {
    #[serde(default)]
    issued: String,
}

/// The issue form.
#[derive(Debug, Default, Deserialize)]
pub struct IssueForm {
    #[serde(default)]
    period_start: String,
    #[serde(default)]
    period_end: String,
    #[serde(default)]
    locale: String,
}

async fn volunteer_page(
    state: &AppState,
    staff: &Staff,
    id: i64,
    typed: Option<&IssueForm>,
    errors: &FieldErrors,
    issued: &str,
) -> PageResult {
    let t = staff.t;
    let v = certificates::for_volunteer(&state.db, &staff.caller, id)
        .await
        .or_page(t)?;
    let today = crate::domain::time::local_date(chrono::Utc::now());
    let (start, end, locale) = match typed {
        Some(f) => (f.period_start.clone(), f.period_end.clone(), f.locale.clone()),
        None => (
            v.first_served.unwrap_or(today).to_string(),
            today.to_string(),
            t.0.as_str().to_owned(),
        ),
    };
    let issued_number = v
        .certificates
        .iter()
        .find(|c| c.number == issued)
        .map(|c| c.number.clone())
        .unwrap_or_default();
    let mut c = Chrome::new(t, &staff.session, "volunteers.title");
    c.title = v.name.clone();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(render(
        status,
        VolunteerPage {
            c,
            volunteer_id: v.volunteer_id,
            volunteer_number: v.volunteer_number.clone(),
            confirmed: t.fill("cert.pdf.hours_value", &[("hours", &hours_text(v.confirmed_tenths))]),
            issued: if issued_number.is_empty() {
                String::new()
            } else {
                t.fill("cert.issued_notice", &[("number", &issued_number)])
            },
            issued_number,
            rows: v.certificates.iter().map(|c| row(t, c)).collect(),
            period_start: field(t, "period_start", &start, errors),
            period_end: field(t, "period_end", &end, errors),
            locales: [(Locale::ZhCn, "lang.zh"), (Locale::En, "lang.en")]
                .iter()
                .map(|(l, key)| (l.as_str().to_owned(), t.get(key).to_owned(), l.as_str() == locale))
                .collect(),
        },
    ))
}

/// `GET /volunteers/{id}`: the volunteer, their certificates and the issue form.
pub async fn volunteer(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<Issued>,
) -> PageResult {
    volunteer_page(&state, &staff, id, None, &FieldErrors::default(), &q.issued).await
}

/// `POST /volunteers/{id}/certificates`: issues one, or shows the form again (422) with the
/// reason beside the period.
pub async fn issue(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(form): Form<IssueForm>,
) -> PageResult {
    let locale = form.locale.parse::<Locale>().unwrap_or(staff.t.0);
    let result = certificates::issue_for_volunteer(
        &state.db,
        &staff.caller,
        id,
        &form.period_start,
        &form.period_end,
        locale,
        chrono::Utc::now(),
    )
    .await;
    match result {
        Ok(v) => Ok(Redirect::to(&format!("/volunteers/{id}?issued={}#certificates", v.number)).into_response()),
        Err(ServiceError::Validation(errors)) => volunteer_page(&state, &staff, id, Some(&form), &errors, "").await,
        Err(e) => Err(PageError::new(staff.t, e)),
    }
}

/// The PDF of `v` as a response, or the page that says why not (a missing font).
pub async fn pdf_response(state: &AppState, t: Tr, v: &CertificateView) -> Response {
    let url = format!("{}/verify/{}", state.config.public_url, v.number);
    match pdf::render_certificate(&state.config.cert_font, pdf::certificate::sheet(v, url)).await {
        Ok(bytes) => {
            let mut response = bytes.into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/pdf"));
            if let Ok(value) = HeaderValue::from_str(&format!("inline; filename=\"{}.pdf\"", v.number)) {
                headers.insert(header::CONTENT_DISPOSITION, value);
            }
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
            response
        }
        Err(e) => {
            tracing::error!(error = %e, "certificate PDF failed");
            error_page(t, StatusCode::SERVICE_UNAVAILABLE, "cert.font_missing")
        }
    }
}

/// `GET /certificates/{number}.pdf`: the PDF for the issuer's staff (a revoked one says so
/// across its top); anyone else gets "not found".
pub async fn download(State(state): State<AppState>, staff: Staff, Path(file): Path<String>) -> PageResult {
    let t = staff.t;
    let Some(number) = file.strip_suffix(".pdf") else {
        return Err(PageError::new(t, ServiceError::NotFound("certificate")));
    };
    let v = certificates::for_issuer(&state.db, &staff.caller, number)
        .await
        .or_page(t)?;
    Ok(pdf_response(&state, t, &v).await)
}

/// The revoke form.
#[derive(Debug, Default, Deserialize)]
pub struct RevokeForm {
    #[serde(default)]
    reason: String,
}

fn back_to(v: &CertificateView) -> String {
    match (v.volunteer_id, v.merchant_id) {
        (Some(id), _) => format!("/volunteers/{id}#certificates"),
        (None, Some(id)) => format!("/admin/merchants/{id}/certificates"),
        (None, None) => "/".to_owned(),
    }
}

async fn revoke_page(state: &AppState, staff: &Staff, number: &str, reason: Field) -> PageResult {
    let t = staff.t;
    let v = certificates::for_issuer(&state.db, &staff.caller, number)
        .await
        .or_page(t)?;
    let back = back_to(&v);
    if v.revoked_on.is_some() {
        return Ok(Redirect::to(&back).into_response());
    }
    Ok(confirm::page(
        Chrome::new(t, &staff.session, "cert.list_title"),
        t.fill("cert.revoke_title", &[("number", &v.number)]),
        Confirm {
            subject: format!("{} · {}", v.number, v.kind.label(t.0)),
            effects: vec![t.get("cert.revoke_effect").to_owned()],
            told: vec![t.get("cert.revoke_told").to_owned()],
            action: format!("/certificates/{}/revoke", v.number),
            hidden: Vec::new(),
            reason_label: t.get("cert.revoke_reason").to_owned(),
            reason,
            button: t.get("cert.revoke_confirm").to_owned(),
            danger: true,
            back,
        },
    ))
}

/// `GET /certificates/{number}/revoke`: what revoking does, and a reason.
pub async fn ask_revoke(State(state): State<AppState>, staff: Staff, Path(number): Path<String>) -> PageResult {
    revoke_page(&state, &staff, &number, Field::default()).await
}

/// `POST /certificates/{number}/revoke`: revokes, or asks again (422) beside the reason.
pub async fn revoke(
    State(state): State<AppState>,
    staff: Staff,
    Path(number): Path<String>,
    Form(form): Form<RevokeForm>,
) -> PageResult {
    match certificates::revoke(&state.db, &staff.caller, &number, &form.reason, chrono::Utc::now()).await {
        Ok(v) => Ok(Redirect::to(&back_to(&v)).into_response()),
        Err(e) => {
            let reason = confirm::ask_again(staff.t, e, form.reason)?;
            revoke_page(&state, &staff, &number, reason).await
        }
    }
}

#[derive(Template)]
#[template(path = "certificate_verify.html")]
struct VerifyPage {
    c: Chrome,
    revoked: String,
    lines: Vec<(String, String)>,
}

fn public_chrome(t: Tr, title_key: &str) -> Chrome {
    Chrome {
        t,
        user: None,
        is_admin: false,
        is_district: false,
        csrf: String::new(),
        title: t.get(title_key).to_owned(),
    }
}

/// `GET /verify/{number}`: the public check — number, issuer, hours or deliveries, period,
/// issue date and whether it stands; never the holder. Counted per address before the lookup.
pub async fn verify(
    State(state): State<AppState>,
    PageLang(t): PageLang,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Path(number): Path<String>,
) -> Response {
    let found = certificates::verify(&state.db, &number, addr.ip(), chrono::Utc::now()).await;
    let v = match found {
        Ok(v) => v,
        Err(VerifyError::Unknown) => {
            state.metrics.anonymous_refusals.refuse("verify.unknown");
            return error_page(t, StatusCode::NOT_FOUND, "verify.unknown");
        }
        Err(VerifyError::Throttled(minutes)) => {
            state.metrics.anonymous_refusals.refuse("verify.throttled");
            let mut page = VerifyPage {
                c: public_chrome(t, "verify.title"),
                revoked: t.fill("verify.throttled", &[("minutes", &minutes.to_string())]),
                lines: Vec::new(),
            };
            page.c.title = t.get("verify.title").to_owned();
            return super::with_retry_after(
                render(StatusCode::TOO_MANY_REQUESTS, page),
                u64::try_from(minutes * 60).unwrap_or(60),
            );
        }
        Err(VerifyError::Service(e)) => return PageError::new(t, e).into_response(),
    };
    let mut lines = vec![
        (t.get("verify.number").to_owned(), v.number.clone()),
        (t.get("verify.kind").to_owned(), v.kind.label(t.0).to_owned()),
        (t.get("verify.issuer").to_owned(), v.issuer_name.clone()),
    ];
    match v.kind {
        CertificateKind::VolunteerHours => lines.push((
            t.get("verify.hours").to_owned(),
            t.fill("cert.pdf.hours_value", &[("hours", &hours_text(v.tenths))]),
        )),
        CertificateKind::CaringMerchant => {
            lines.push((
                t.get("verify.deliveries").to_owned(),
                t.count(
                    "cert.pdf.deliveries_value",
                    u64::try_from(v.deliveries).unwrap_or(0),
                    &[("n", &v.deliveries.to_string())],
                ),
            ));
            if v.tenths > 0 {
                lines.push((
                    t.get("cert.pdf.f_staff_hours").to_owned(),
                    t.fill("cert.pdf.hours_value", &[("hours", &hours_text(v.tenths))]),
                ));
            }
        }
    }
    lines.push((
        t.get("verify.period").to_owned(),
        t.fill(
            "cert.period",
            &[("from", &v.period_start.to_string()), ("to", &v.period_end.to_string())],
        ),
    ));
    lines.push((t.get("verify.issued").to_owned(), v.issued_on.to_string()));
    let revoked = v
        .revoked_on
        .map(|d| t.fill("verify.revoked", &[("date", &d.to_string())]))
        .unwrap_or_default();
    render(
        StatusCode::OK,
        VerifyPage {
            c: public_chrome(t, "verify.title"),
            revoked,
            lines,
        },
    )
}

#[derive(Template)]
#[template(path = "admin_merchant_certificates.html")]
struct MerchantPage {
    c: Chrome,
    merchant_id: i64,
    issued: String,
    issued_number: String,
    year: Field,
    rows: Vec<Row>,
}

/// The office's form: the year.
#[derive(Debug, Default, Deserialize)]
pub struct YearForm {
    #[serde(default)]
    year: String,
}

async fn merchant_page(
    state: &AppState,
    staff: &Staff,
    id: i64,
    year: &str,
    errors: &FieldErrors,
    issued: &str,
) -> PageResult {
    let t = staff.t;
    let (name, rows) = certificates::for_merchant(&state.db, &staff.caller, id)
        .await
        .or_page(t)?;
    let mut c = Chrome::new(t, &staff.session, "cert.list_title");
    c.title = t.fill("cert.merchant_title", &[("name", &name)]);
    let issued_number = rows
        .iter()
        .find(|c| c.number == issued)
        .map(|c| c.number.clone())
        .unwrap_or_default();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(render(
        status,
        MerchantPage {
            c,
            merchant_id: id,
            issued: if issued_number.is_empty() {
                String::new()
            } else {
                t.fill("cert.issued_notice", &[("number", &issued_number)])
            },
            issued_number,
            year: field(t, "year", year, errors),
            rows: rows.iter().map(|v| row(t, v)).collect(),
        },
    ))
}

/// `GET /admin/merchants/{id}/certificates`: the shop's caring-merchant certificates and the
/// form for a year's.
pub async fn merchant(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<Issued>,
) -> PageResult {
    let year = chrono::Datelike::year(&crate::domain::time::local_date(chrono::Utc::now())).to_string();
    merchant_page(&state, &staff, id, &year, &FieldErrors::default(), &q.issued).await
}

/// `POST /admin/merchants/{id}/certificates`: issues the year's certificate, or shows the
/// form again (422) with the reason beside the year.
pub async fn issue_merchant(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(form): Form<YearForm>,
) -> PageResult {
    match certificates::issue_for_merchant(&state.db, &staff.caller, id, &form.year, chrono::Utc::now()).await {
        Ok(v) => Ok(Redirect::to(&format!("/admin/merchants/{id}/certificates?issued={}", v.number)).into_response()),
        Err(ServiceError::Validation(errors)) => merchant_page(&state, &staff, id, &form.year, &errors, "").await,
        Err(e) => Err(PageError::new(staff.t, e)),
    }
}

#[derive(Template)]
#[template(path = "certificate_ask.html")]
struct AskPage {
    c: Chrome,
    message: String,
    /// The button's form target; empty when there is nothing to ask for.
    action: String,
}

/// The path of a volunteer's link: volunteer, from, to, last day, signature.
type LinkPath = (i64, String, String, String, String);

fn signed(path: &LinkPath) -> SignedLink<'_> {
    SignedLink {
        volunteer_id: path.0,
        from: &path.1,
        to: &path.2,
        expires: &path.3,
        signature: &path.4,
    }
}

fn link_refused(t: Tr, e: LinkError) -> Response {
    let (status, key) = match e {
        LinkError::Forged => (StatusCode::NOT_FOUND, "cert.link_forged"),
        LinkError::Expired => (StatusCode::GONE, "cert.link_expired"),
        LinkError::Service(ServiceError::Validation(_)) => (StatusCode::UNPROCESSABLE_ENTITY, "cert.link_nothing"),
        LinkError::Service(e) => return PageError::new(t, e).into_response(),
    };
    render(
        status,
        AskPage {
            c: public_chrome(t, "cert.ask_title"),
            message: t.get(key).to_owned(),
            action: String::new(),
        },
    )
}

/// `GET /certificates/ask/{volunteer}/{from}/{to}/{expires}/{signature}`: from the
/// hours-confirmed email, a page with one button; a forged or expired link gets a page that
/// says so, and no button.
pub async fn ask(State(state): State<AppState>, PageLang(t): PageLang, Path(path): Path<LinkPath>) -> Response {
    match certificates::check_link(&state.config.secret_key, signed(&path), chrono::Utc::now()) {
        Ok((from, to)) => render(
            StatusCode::OK,
            AskPage {
                c: public_chrome(t, "cert.ask_title"),
                message: t.fill(
                    "cert.ask_intro",
                    &[("from", &from.to_string()), ("to", &to.to_string())],
                ),
                action: format!(
                    "/certificates/ask/{}/{}/{}/{}/{}",
                    path.0, path.1, path.2, path.3, path.4
                ),
            },
        ),
        Err(e) => link_refused(t, e),
    }
}

/// `POST` of the same path: the certificate's PDF (the one already issued for the period,
/// or a new one). The signed path is the authority, as on the residents' pages: no session.
pub async fn ask_pdf(State(state): State<AppState>, PageLang(t): PageLang, Path(path): Path<LinkPath>) -> Response {
    match certificates::issue_by_link(&state.db, &state.config.secret_key, signed(&path), chrono::Utc::now()).await {
        Ok(v) => pdf_response(&state, Tr(v.locale), &v).await,
        Err(e) => link_refused(t, e),
    }
}
