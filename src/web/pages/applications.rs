//! Admission by application: the public form an organization applies with, the pages its
//! email links open (verify, edit and resubmit, set the first password), and the office's
//! review (list, detail, approve / ask for more / reject, each asked first).

use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::Form;
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;

use super::confirm::{self, Confirm};
use super::{Chrome, Field, OrPage, PageError, PageResult, field, render, with_retry_after};
use crate::AppState;
use crate::domain::application::{ApplicationForm, ApplicationStatus, DECLARABLE};
use crate::domain::input::FieldErrors;
use crate::domain::{Locale, RegistrationKind, ServiceArea};
use crate::i18n::Tr;
use crate::services::ServiceError;
use crate::services::applications::{self, ApplyError};
use crate::services::{merchant_applications, organizations, subdistricts};
use crate::web::session::{PageLang, Staff, public_csrf};

/// `?lang=…` on a public page: the language chosen there, else the browser's.
#[derive(Debug, Default, Deserialize)]
pub struct Lang {
    #[serde(default)]
    lang: String,
}

impl Lang {
    fn pick(&self, browser: Tr) -> (Tr, String) {
        match self.lang.parse::<Locale>() {
            Ok(locale) => (Tr(locale), format!("?lang={}", locale.as_str())),
            Err(_) => (browser, String::new()),
        }
    }
}

fn public_chrome(t: Tr, csrf: String, title_key: &str) -> Chrome {
    Chrome {
        t,
        user: None,
        is_admin: false,
        is_district: false,
        csrf,
        title: t.get(title_key).to_owned(),
    }
}

/// One checkbox: (value, label, ticked).
type Check = (String, String, bool);

/// The communities of one subdistrict, as a group of checkboxes.
struct CommunityGroup {
    subdistrict: String,
    boxes: Vec<Check>,
}

#[derive(Template)]
#[template(path = "apply_form.html")]
struct ApplyPage {
    c: Chrome,
    /// Where the form posts (with its `?lang=` or `?token=`).
    action: String,
    /// The language links of the page (empty on the edit page, which keeps the applicant's).
    langs: bool,
    /// What the office asked for, on the edit page.
    office_message: String,
    /// The email is fixed on the edit page (it was verified).
    email_fixed: bool,
    /// A message above the form (too many tries, busy).
    notice: String,
    /// The edit link's token, posted back on the edit page.
    token: String,
    name: Field,
    credit_code: Field,
    declared_kind: Vec<Check>,
    declared_kind_error: String,
    contact_name: Field,
    contact_email: Field,
    areas: Vec<Check>,
    areas_error: String,
    communities: Vec<CommunityGroup>,
    communities_error: String,
    description: Field,
}

/// The application form's fields; `website` is the honeypot, which people never see.
#[derive(Debug, Default, Deserialize)]
pub struct ApplyForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    credit_code: String,
    #[serde(default)]
    declared_kind: String,
    #[serde(default)]
    contact_name: String,
    #[serde(default)]
    contact_email: String,
    #[serde(default)]
    areas: Vec<String>,
    #[serde(default)]
    communities: Vec<String>,
    #[serde(default)]
    description: String,
    #[serde(default)]
    website: String,
    #[serde(default)]
    token: String,
}

impl ApplyForm {
    fn domain(&self) -> ApplicationForm {
        ApplicationForm {
            name: self.name.clone(),
            credit_code: self.credit_code.clone(),
            declared_kind: self.declared_kind.clone(),
            contact_name: self.contact_name.clone(),
            contact_email: self.contact_email.clone(),
            areas: self.areas.clone(),
            communities: self.communities.clone(),
            description: self.description.clone(),
        }
    }
}

async fn apply_page(
    state: &AppState,
    c: Chrome,
    action: String,
    form: &ApplicationForm,
    errors: &FieldErrors,
) -> Result<ApplyPage, PageError> {
    let t = c.t;
    let district = subdistricts::district(&state.db).await.or_page(t)?;
    let communities = organizations::communities(&state.db).await.or_page(t)?;
    let groups = district
        .subdistricts
        .iter()
        .map(|s| CommunityGroup {
            subdistrict: s.name_in(t.0).to_owned(),
            boxes: communities
                .iter()
                .filter(|c| c.subdistrict_id == s.id)
                .map(|c| {
                    let id = c.id.to_string();
                    let ticked = form.communities.contains(&id);
                    (id, c.name_in(t.0).to_owned(), ticked)
                })
                .collect(),
        })
        .filter(|g: &CommunityGroup| !g.boxes.is_empty())
        .collect();
    let message = |f: &str| errors.get(f).map(|e| e.message(t.0)).unwrap_or_default();
    Ok(ApplyPage {
        action,
        langs: true,
        office_message: String::new(),
        email_fixed: false,
        notice: String::new(),
        token: String::new(),
        name: field(t, "name", &form.name, errors),
        credit_code: field(t, "credit_code", &form.credit_code, errors),
        declared_kind: DECLARABLE
            .iter()
            .map(|k| {
                (
                    k.as_str().to_owned(),
                    k.label(t.0).to_owned(),
                    form.declared_kind == k.as_str(),
                )
            })
            .collect(),
        declared_kind_error: message("declared_kind"),
        contact_name: field(t, "contact_name", &form.contact_name, errors),
        contact_email: field(t, "contact_email", &form.contact_email, errors),
        areas: ServiceArea::ALL
            .iter()
            .map(|a| {
                (
                    a.as_str().to_owned(),
                    a.label(t.0).to_owned(),
                    form.areas.iter().any(|x| x == a.as_str()),
                )
            })
            .collect(),
        areas_error: message("areas"),
        communities: groups,
        communities_error: message("communities"),
        description: field(t, "description", &form.description, errors),
        c,
    })
}

/// `GET /apply/organization`: the empty form, in the chosen or the browser's language.
pub async fn form(
    State(state): State<AppState>,
    PageLang(browser): PageLang,
    Query(lang): Query<Lang>,
    jar: CookieJar,
) -> PageResult {
    let (t, q) = lang.pick(browser);
    let (jar, csrf) = public_csrf(&state, jar);
    let c = public_chrome(t, csrf, "apply.title");
    let page = apply_page(
        &state,
        c,
        format!("/apply/organization{q}"),
        &ApplicationForm::default(),
        &FieldErrors::default(),
    )
    .await?;
    Ok((jar, render(StatusCode::OK, page)).into_response())
}

#[derive(Template)]
#[template(path = "apply_done.html")]
struct DonePage {
    c: Chrome,
    message: String,
    link: Option<(String, String)>,
}

fn done(t: Tr, title_key: &str, message: String, link: Option<(&str, &str)>) -> Response {
    let link = link.map(|(href, key)| (href.to_owned(), key));
    notice(t, StatusCode::OK, title_key, message, link)
}

/// A public page of one message under `title_key`, with a link (its href and the key of its
/// words) to where the reader goes next.
fn notice(t: Tr, status: StatusCode, title_key: &str, message: String, link: Option<(String, &str)>) -> Response {
    let c = public_chrome(t, String::new(), title_key);
    let link = link.map(|(href, key)| (href, t.get(key).to_owned()));
    render(status, DonePage { c, message, link })
}

/// The way to the public application form, in the reader's language.
fn to_the_form(t: Tr) -> Option<(String, &'static str)> {
    Some((
        format!("/apply/organization?lang={}", t.lang()),
        "apply.link_gone_apply",
    ))
}

/// `POST /apply/organization`: takes the application and says to check the email; a filled
/// honeypot gets the same answer and nothing is stored.
pub async fn apply(
    State(state): State<AppState>,
    PageLang(browser): PageLang,
    Query(lang): Query<Lang>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    jar: CookieJar,
    Form(form): Form<ApplyForm>,
) -> PageResult {
    let (t, q) = lang.pick(browser);
    // The address as typed, so that a mistyped one shows (a honeypot's too: the same answer).
    let email = form.contact_email.trim().to_owned();
    let sent = || done(t, "apply.sent_title", t.fill("apply.sent", &[("email", &email)]), None);
    if !form.website.trim().is_empty() {
        state.metrics.anonymous_refusals.refuse("apply.honeypot");
        return Ok(sent());
    }
    let typed = form.domain();
    let now = chrono::Utc::now();
    let (status, errors, notice, retry) = match applications::apply(&state.db, &typed, t.0, addr.ip(), now).await {
        Ok(_) => return Ok(sent()),
        Err(ApplyError::Throttled(minutes)) => {
            state.metrics.anonymous_refusals.refuse("apply.throttled");
            (
                StatusCode::TOO_MANY_REQUESTS,
                FieldErrors::default(),
                t.fill("apply.throttled", &[("minutes", &minutes.to_string())]),
                Some(u64::try_from(minutes * 60).unwrap_or(0)),
            )
        }
        Err(ApplyError::Service(ServiceError::Validation(errors))) => {
            (StatusCode::UNPROCESSABLE_ENTITY, errors, String::new(), None)
        }
        Err(ApplyError::Service(ServiceError::Busy)) => (
            StatusCode::SERVICE_UNAVAILABLE,
            FieldErrors::default(),
            t.get("apply.busy").to_owned(),
            Some(3600),
        ),
        Err(ApplyError::Service(e)) => return Err(PageError::new(t, e)),
    };
    let (jar, csrf) = public_csrf(&state, jar);
    let c = public_chrome(t, csrf, "apply.title");
    let mut page = apply_page(&state, c, format!("/apply/organization{q}"), &typed, &errors).await?;
    page.notice = notice;
    let response = render(status, page);
    let response = match retry {
        Some(seconds) => with_retry_after(response, seconds),
        None => response,
    };
    Ok((jar, response).into_response())
}

/// `?token=…` of an email link.
#[derive(Debug, Default, Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

#[derive(Template)]
#[template(path = "apply_link.html")]
struct LinkPage {
    c: Chrome,
    message: String,
    action: String,
    token: String,
    button: String,
    /// The new password field, on the set-password page.
    password: Option<Field>,
}

/// A link from an email that no longer works, said in the reader's language (`?lang=`, else
/// the browser's: whoever holds it may not be the applicant), pointing to the public form
/// rather than to the staff's pages.
fn link_gone(t: Tr) -> Response {
    let message = t.get("apply.link_gone").to_owned();
    notice(
        t,
        StatusCode::NOT_FOUND,
        "apply.link_gone_title",
        message,
        to_the_form(t),
    )
}

/// A set-password link used or expired: its holder was approved already, so the page
/// leads to signing in (or to the office for a new link), never to applying again.
fn welcome_link_gone(t: Tr) -> Response {
    let message = t.get("welcome.link_gone").to_owned();
    let link = Some(("/login".to_owned(), "welcome.sign_in"));
    notice(t, StatusCode::NOT_FOUND, "apply.link_gone_title", message, link)
}

/// `GET /apply/verify?token=…`: asks to confirm (a mail scanner opening the link changes nothing).
pub async fn verify_form(
    State(state): State<AppState>,
    PageLang(browser): PageLang,
    Query(lang): Query<Lang>,
    Query(q): Query<TokenQuery>,
    jar: CookieJar,
) -> PageResult {
    let (reader, _) = lang.pick(browser);
    let now = chrono::Utc::now();
    let Some(target) = applications::verify_target(&state.db, &q.token, now)
        .await
        .or_page(reader)?
    else {
        return Ok(link_gone(reader));
    };
    let t = Tr(target.locale);
    let (jar, csrf) = public_csrf(&state, jar);
    let page = LinkPage {
        c: public_chrome(t, csrf, "apply.verify_title"),
        message: t.fill("apply.verify_ask", &[("name", &target.name)]),
        action: "/apply/verify".into(),
        token: q.token,
        button: t.get("apply.verify_button").to_owned(),
        password: None,
    };
    Ok((jar, render(StatusCode::OK, page)).into_response())
}

/// The token posted back by a link page.
#[derive(Debug, Default, Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    new_password: String,
}

/// `POST /apply/verify`: the application reaches the office.
pub async fn verify(
    State(state): State<AppState>,
    PageLang(browser): PageLang,
    Form(form): Form<TokenForm>,
) -> PageResult {
    match applications::verify(&state.db, &form.token, chrono::Utc::now()).await {
        Ok(target) => {
            let t = Tr(target.locale);
            Ok(done(
                t,
                "apply.verified_title",
                t.fill("apply.verified", &[("name", &target.name)]),
                None,
            ))
        }
        Err(ServiceError::NotFound(_)) => Ok(link_gone(browser)),
        Err(ServiceError::Validation(errors)) => {
            let message = errors
                .get("credit_code")
                .map(|e| e.message(browser.0))
                .unwrap_or_default();
            // A code admitted meanwhile: the way back is the form.
            Ok(notice(
                browser,
                StatusCode::CONFLICT,
                "error.title",
                message,
                to_the_form(browser),
            ))
        }
        Err(e) => Err(PageError::new(browser, e)),
    }
}

/// `GET /apply/edit?token=…`: the application as sent, with what the office asked for.
pub async fn edit_form(
    State(state): State<AppState>,
    PageLang(browser): PageLang,
    Query(lang): Query<Lang>,
    Query(q): Query<TokenQuery>,
    jar: CookieJar,
) -> PageResult {
    let (reader, _) = lang.pick(browser);
    let now = chrono::Utc::now();
    let Some(editable) = applications::edit_target(&state.db, &q.token, now)
        .await
        .or_page(reader)?
    else {
        return Ok(link_gone(reader));
    };
    let t = Tr(editable.locale);
    let (jar, csrf) = public_csrf(&state, jar);
    let c = public_chrome(t, csrf, "apply.edit_title");
    let mut page = apply_page(&state, c, "/apply/edit".into(), &editable.form, &FieldErrors::default()).await?;
    page.langs = false;
    page.email_fixed = true;
    page.office_message = editable.office_message;
    page.token = q.token;
    Ok((jar, render(StatusCode::OK, page)).into_response())
}

/// `POST /apply/edit`: resubmits; field errors show the form again with what was typed.
pub async fn resubmit(
    State(state): State<AppState>,
    PageLang(reader): PageLang,
    jar: CookieJar,
    Form(form): Form<ApplyForm>,
) -> PageResult {
    let now = chrono::Utc::now();
    let Some(editable) = applications::edit_target(&state.db, &form.token, now)
        .await
        .or_page(reader)?
    else {
        return Ok(link_gone(reader));
    };
    let t = Tr(editable.locale);
    let typed = ApplicationForm {
        contact_email: editable.form.contact_email.clone(),
        ..form.domain()
    };
    match applications::resubmit(&state.db, &form.token, &typed, now).await {
        Ok(target) => Ok(done(
            t,
            "apply.resubmitted_title",
            t.fill("apply.resubmitted", &[("name", &target.name)]),
            None,
        )),
        Err(ServiceError::Validation(errors)) => {
            let (jar, csrf) = public_csrf(&state, jar);
            let c = public_chrome(t, csrf, "apply.edit_title");
            let mut page = apply_page(&state, c, "/apply/edit".into(), &typed, &errors).await?;
            page.langs = false;
            page.email_fixed = true;
            page.office_message = editable.office_message;
            page.token = form.token;
            Ok((jar, render(StatusCode::UNPROCESSABLE_ENTITY, page)).into_response())
        }
        Err(ServiceError::NotFound(_)) => Ok(link_gone(t)),
        Err(e) => Err(PageError::new(t, e)),
    }
}

/// `GET /welcome?token=…`: the form that sets a new account's first password.
pub async fn welcome_form(
    State(state): State<AppState>,
    PageLang(browser): PageLang,
    Query(lang): Query<Lang>,
    Query(q): Query<TokenQuery>,
    jar: CookieJar,
) -> PageResult {
    let (reader, _) = lang.pick(browser);
    let now = chrono::Utc::now();
    let Some((email, locale)) = applications::welcome_target(&state.db, &q.token, now)
        .await
        .or_page(reader)?
    else {
        return Ok(welcome_link_gone(reader));
    };
    let t = Tr(locale.unwrap_or_default());
    let (jar, csrf) = public_csrf(&state, jar);
    let page = LinkPage {
        c: public_chrome(t, csrf, "welcome.title"),
        message: t.fill("welcome.ask", &[("email", &email)]),
        action: "/welcome".into(),
        token: q.token,
        button: t.get("welcome.button").to_owned(),
        password: Some(Field::default()),
    };
    Ok((jar, render(StatusCode::OK, page)).into_response())
}

/// `POST /welcome`: sets the password; the link is used up.
pub async fn welcome(
    State(state): State<AppState>,
    PageLang(browser): PageLang,
    jar: CookieJar,
    Form(form): Form<TokenForm>,
) -> PageResult {
    let now = chrono::Utc::now();
    let t = match applications::welcome_target(&state.db, &form.token, now)
        .await
        .or_page(browser)?
    {
        Some((_, locale)) => Tr(locale.unwrap_or(browser.0)),
        None => return Ok(welcome_link_gone(browser)),
    };
    match applications::set_first_password(&state.db, &state.passwords, &form.token, &form.new_password, now).await {
        Ok(_) => Ok(done(
            t,
            "welcome.done_title",
            t.get("welcome.done").to_owned(),
            Some(("/login", "welcome.sign_in")),
        )),
        Err(ServiceError::Validation(errors)) => {
            let (jar, csrf) = public_csrf(&state, jar);
            let page = LinkPage {
                c: public_chrome(t, csrf, "welcome.title"),
                message: t.get("welcome.again").to_owned(),
                action: "/welcome".into(),
                token: form.token,
                button: t.get("welcome.button").to_owned(),
                password: Some(field(t, "new_password", "", &errors)),
            };
            Ok((jar, render(StatusCode::UNPROCESSABLE_ENTITY, page)).into_response())
        }
        Err(ServiceError::NotFound(_)) => Ok(welcome_link_gone(t)),
        Err(e) => Err(PageError::new(t, e)),
    }
}

/// The tabs over both lists of applications, organizations' and shops', each with how many
/// wait for the office: one nav entry leads to both.
pub struct ApplicationTabs {
    /// The list shown: `organizations` or `merchants`.
    pub current: &'static str,
    /// "Organizations (2 waiting)".
    pub organizations: String,
    /// "Shops (1 waiting)".
    pub merchants: String,
}

impl ApplicationTabs {
    /// The tabs with `current` chosen; `organizations_waiting` when the caller counted them
    /// already (else they are counted here).
    pub async fn load(
        state: &AppState,
        staff: &Staff,
        current: &'static str,
        organizations_waiting: Option<usize>,
    ) -> Result<Self, PageError> {
        let t = staff.t;
        let now = chrono::Utc::now();
        let organizations_waiting = match organizations_waiting {
            Some(n) => n,
            None => waiting(&applications::list(&state.db, &staff.caller, now).await.or_page(t)?),
        };
        let merchants_waiting = merchant_applications::waiting_count(&state.db, &staff.caller, now)
            .await
            .or_page(t)?;
        Ok(ApplicationTabs {
            current,
            organizations: t.fill(
                "applications.tab_organizations",
                &[("count", &organizations_waiting.to_string())],
            ),
            merchants: t.fill(
                "applications.tab_merchants",
                &[("count", &merchants_waiting.to_string())],
            ),
        })
    }
}

/// How many of `rows` wait for the office's decision.
fn waiting(rows: &[applications::ApplicationRow]) -> usize {
    rows.iter().filter(|r| r.status == ApplicationStatus::Submitted).count()
}

#[derive(Template)]
#[template(path = "admin_applications.html")]
struct ListPage {
    c: Chrome,
    tabs: ApplicationTabs,
    /// Show the subdistrict column (the district bureau reads every subdistrict).
    by_subdistrict: bool,
    rows: Vec<ListRow>,
    saved: String,
}

struct ListRow {
    id: i64,
    name: String,
    code: String,
    kind: String,
    flagged: bool,
    status: String,
    subdistrict: String,
    verified: String,
}

/// `?saved=…` after an act.
#[derive(Debug, Default, Deserialize)]
pub struct Saved {
    #[serde(default)]
    saved: String,
}

fn date(at: Option<chrono::DateTime<chrono::Utc>>) -> String {
    at.map(|d| crate::domain::time::local_date(d).to_string())
        .unwrap_or_default()
}

/// `GET /admin/applications`: the office's queue (its subdistrict), or every subdistrict's
/// for the district bureau, read only.
pub async fn list(State(state): State<AppState>, staff: Staff, Query(q): Query<Saved>) -> PageResult {
    let t = staff.t;
    let now = chrono::Utc::now();
    let rows = applications::list(&state.db, &staff.caller, now).await.or_page(t)?;
    let district = subdistricts::district(&state.db).await.or_page(t)?;
    let tabs = ApplicationTabs::load(&state, &staff, "organizations", Some(waiting(&rows))).await?;
    let rows = rows
        .into_iter()
        .map(|r| ListRow {
            id: r.id,
            name: r.name,
            code: r.credit_code,
            kind: r.kind.label(t.0).to_owned(),
            flagged: r.flagged,
            status: r.status.label(t.0).to_owned(),
            subdistrict: district
                .subdistrict(r.subdistrict_id)
                .map(|s| s.name_in(t.0).to_owned())
                .unwrap_or_default(),
            verified: date(r.verified_at),
        })
        .collect();
    let saved = match q.saved.as_str() {
        "approved" | "asked" | "rejected" | "resent" => t.get(&format!("applications.saved_{}", q.saved)).to_owned(),
        _ => String::new(),
    };
    let page = ListPage {
        c: Chrome::new(t, &staff.session, "applications.title"),
        tabs,
        by_subdistrict: !staff.caller.is_office(),
        rows,
        saved,
    };
    Ok(render(StatusCode::OK, page))
}

#[derive(Template)]
#[template(path = "admin_application.html")]
struct DetailPage {
    c: Chrome,
    id: i64,
    name: String,
    code: String,
    kind: String,
    declared: String,
    mismatch: bool,
    flagged: bool,
    status: String,
    subdistrict: String,
    contact_name: String,
    contact_email: String,
    language: String,
    areas: Vec<String>,
    communities: Vec<String>,
    description: String,
    office_message: String,
    verified: String,
    /// The office may act now (its own, waiting for it).
    can_decide: bool,
    /// The office may still reject (waiting for the applicant).
    can_reject: bool,
    /// An organization holds the code: approval is not offered.
    code_admitted: bool,
    /// Approved, the password not set yet: the office may send a new link.
    can_resend: bool,
    /// Other applications under review with the code, at this office.
    /// The other applications with the same code: id, "name (sent date)".
    same_code_here: Vec<(i64, String)>,
    /// How many more at other offices, in words (empty for none).
    same_code_elsewhere: String,
}

/// `GET /admin/applications/{id}`.
pub async fn show(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> PageResult {
    let t = staff.t;
    let now = chrono::Utc::now();
    let d = applications::detail(&state.db, &staff.caller, id, now)
        .await
        .or_page(t)?;
    let district = subdistricts::district(&state.db).await.or_page(t)?;
    let communities = organizations::communities(&state.db).await.or_page(t)?;
    let office = staff.caller.is_office();
    let page = DetailPage {
        c: Chrome::new(t, &staff.session, "applications.detail_title"),
        id: d.row.id,
        name: d.row.name.clone(),
        code: d.row.credit_code.clone(),
        kind: d.row.kind.label(t.0).to_owned(),
        declared: d.declared_kind.label(t.0).to_owned(),
        mismatch: d.declared_kind != d.row.kind && d.declared_kind != RegistrationKind::Other,
        flagged: d.row.flagged,
        status: d.row.status.label(t.0).to_owned(),
        subdistrict: district
            .subdistrict(d.row.subdistrict_id)
            .map(|s| s.name_in(t.0).to_owned())
            .unwrap_or_default(),
        contact_name: d.contact_name,
        contact_email: d.contact_email,
        language: t
            .get(if d.locale == Locale::ZhCn { "lang.zh" } else { "lang.en" })
            .to_owned(),
        areas: d.areas.iter().map(|a| a.label(t.0).to_owned()).collect(),
        communities: d
            .communities
            .iter()
            .filter_map(|id| communities.iter().find(|c| c.id == *id))
            .map(|c| c.name_in(t.0).to_owned())
            .collect(),
        description: d.description,
        office_message: d.office_message.unwrap_or_default(),
        verified: date(d.row.verified_at),
        can_decide: office && d.row.status == ApplicationStatus::Submitted && !d.code_admitted,
        can_reject: office && d.row.status.is_open(),
        code_admitted: d.code_admitted && d.row.status.is_open(),
        can_resend: office && d.welcome_pending,
        same_code_here: d
            .same_code_here
            .into_iter()
            .map(|(id, name, sent)| {
                let label = t.fill(
                    "applications.name_sent_on",
                    &[("name", &name), ("date", &date(Some(sent)))],
                );
                (id, label)
            })
            .collect(),
        same_code_elsewhere: match d.same_code_elsewhere {
            0 => String::new(),
            n => t.fill("applications.same_code_elsewhere", &[("count", &n.to_string())]),
        },
    };
    Ok(render(StatusCode::OK, page))
}

/// Which of the office's acts a confirmation page is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Act {
    Approve,
    Ask,
    Reject,
    Resend,
}

impl Act {
    fn key(self) -> &'static str {
        match self {
            Act::Approve => "approve",
            Act::Ask => "ask",
            Act::Reject => "reject",
            Act::Resend => "resend",
        }
    }
}

async fn ask(state: &AppState, staff: &Staff, id: i64, act: Act, reason: Field) -> PageResult {
    let t = staff.t;
    let d = applications::detail(&state.db, &staff.caller, id, chrono::Utc::now())
        .await
        .or_page(t)?;
    let k = act.key();
    let p = Confirm {
        subject: format!("{} · {}", d.row.name, d.row.credit_code),
        effects: vec![t.get(&format!("applications.{k}_effect")).to_owned()],
        told: vec![t.fill(&format!("applications.{k}_told"), &[("email", &d.contact_email)])],
        action: format!("/admin/applications/{id}/{k}"),
        hidden: vec![],
        reason_label: match act {
            Act::Approve | Act::Resend => String::new(),
            Act::Ask | Act::Reject => t.get(&format!("applications.{k}_reason")).to_owned(),
        },
        reason,
        button: t.get(&format!("applications.{k}_button")).to_owned(),

        danger: act == Act::Reject,
        back: format!("/admin/applications/{id}"),
    };
    Ok(confirm::page(
        Chrome::new(t, &staff.session, "applications.detail_title"),
        t.get(&format!("applications.{k}_title")).to_owned(),
        p,
    ))
}

/// `GET /admin/applications/{id}/approve`: asks first.
pub async fn ask_approve(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> PageResult {
    ask(&state, &staff, id, Act::Approve, Field::default()).await
}

/// `GET /admin/applications/{id}/resend`: asks before mailing a new set-password link.
pub async fn ask_resend(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> PageResult {
    ask(&state, &staff, id, Act::Resend, Field::default()).await
}

/// `POST /admin/applications/{id}/resend`.
pub async fn resend(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> PageResult {
    applications::resend_welcome(&state.db, &staff.caller, id, chrono::Utc::now())
        .await
        .or_page(staff.t)?;
    Ok(Redirect::to("/admin/applications?saved=resent").into_response())
}

/// `GET /admin/applications/{id}/ask`: asks what to ask for.
pub async fn ask_more_form(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> PageResult {
    ask(&state, &staff, id, Act::Ask, Field::default()).await
}

/// `GET /admin/applications/{id}/reject`: asks why.
pub async fn ask_reject(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> PageResult {
    ask(&state, &staff, id, Act::Reject, Field::default()).await
}

/// The reason of a confirmation page.
#[derive(Debug, Default, Deserialize)]
pub struct ReasonForm {
    #[serde(default)]
    reason: String,
}

/// `POST /admin/applications/{id}/approve`.
pub async fn approve(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> PageResult {
    match applications::approve(&state.db, &staff.caller, id, chrono::Utc::now()).await {
        Ok(_) => Ok(Redirect::to("/admin/applications?saved=approved").into_response()),
        // Another application with the code was approved meanwhile: its page says so.
        Err(ServiceError::Validation(errors)) if errors.get("credit_code").is_some() => {
            Ok(Redirect::to(&format!("/admin/applications/{id}")).into_response())
        }
        Err(e) => Err(PageError::new(staff.t, e)),
    }
}

/// `POST /admin/applications/{id}/ask`.
pub async fn ask_more(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(form): Form<ReasonForm>,
) -> PageResult {
    match applications::ask_for_more(&state.db, &staff.caller, id, &form.reason, chrono::Utc::now()).await {
        Ok(()) => Ok(Redirect::to("/admin/applications?saved=asked").into_response()),
        Err(e) => {
            let reason = confirm::ask_again(staff.t, e, form.reason)?;
            ask(&state, &staff, id, Act::Ask, reason).await
        }
    }
}

/// `POST /admin/applications/{id}/reject`.
pub async fn reject(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(form): Form<ReasonForm>,
) -> PageResult {
    match applications::reject(&state.db, &staff.caller, id, &form.reason, chrono::Utc::now()).await {
        Ok(()) => Ok(Redirect::to("/admin/applications?saved=rejected").into_response()),
        Err(e) => {
            let reason = confirm::ask_again(staff.t, e, form.reason)?;
            ask(&state, &staff, id, Act::Reject, reason).await
        }
    }
}
