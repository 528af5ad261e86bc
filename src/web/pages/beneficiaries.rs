//! Beneficiaries: the list with search by code, registration, and the record page.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use super::views::{CaseTabs, local_time};
use super::{Chrome, Field, Options, OrPage, PageError, PageResult, enum_options, field, render};
use crate::AppState;
use crate::domain::case::{CONSENT_VERSION, consent_wording};
use crate::domain::input::FieldErrors;
use crate::domain::{BeneficiaryGroup, CaseStatus, ClosedReason, Locale};
use crate::services::beneficiaries::{self, BeneficiaryInput};
use crate::services::{ServiceError, cases, duplicates, needs, organizations, sponsorships};
use crate::web::session::Staff;

#[derive(Template)]
#[template(path = "beneficiaries.html")]
struct ListPage {
    c: Chrome,
    q: String,
    statuses: Options,
    rows: Vec<(i64, String, String, String, String, String)>,
}

/// The search box and the status filter (`active` by default, `closed`, or `all`).
#[derive(Debug, Default, Deserialize)]
pub struct Search {
    #[serde(default)]
    q: String,
    #[serde(default)]
    status: String,
}

/// `GET /beneficiaries`: the organization's beneficiaries by code.
pub async fn list(State(state): State<AppState>, staff: Staff, Query(search): Query<Search>) -> PageResult {
    let t = staff.t;
    let status = match search.status.as_str() {
        "all" => None,
        chosen => Some(chosen.parse().unwrap_or(CaseStatus::Active)),
    };
    let chosen = status.map_or("all", CaseStatus::as_str);
    let mut statuses = enum_options(CaseStatus::ALL, CaseStatus::as_str, CaseStatus::label, t, chosen);
    statuses.push(("all".to_owned(), t.get("case.all").to_owned(), status.is_none()));
    let list = beneficiaries::list(&state.db, &staff.caller, &search.q, status)
        .await
        .or_page(t)?;
    let rows = list
        .iter()
        .map(|b| {
            let community = if t.0 == Locale::En {
                b.community.1.clone()
            } else {
                b.community.0.clone()
            };
            (
                b.id,
                b.code.clone(),
                b.group.label(t.0).to_owned(),
                community,
                local_time(b.created_at),
                b.case.status.label(t.0).to_owned(),
            )
        })
        .collect();
    Ok(render(
        StatusCode::OK,
        ListPage {
            c: Chrome::new(t, &staff.session, "beneficiaries.title"),
            q: search.q,
            statuses,
            rows,
        },
    ))
}

#[derive(Template)]
#[template(path = "beneficiary_form.html")]
struct FormPage {
    c: Chrome,
    /// Where the form posts: registration or the edit of beneficiary `id`.
    action: String,
    editing: bool,
    household_notes: Field,
    communities: Options,
    groups: Options,
    locales: Options,
    community_error: String,
    group_error: String,
    full_name: Field,
    phone: Field,
    address: Field,
    notes: Field,
    id_number: Field,
    notify_email: Field,
    consent_checked: bool,
    consent_error: String,
}

/// The registration form's fields (DESIGN.md names).
#[derive(Debug, Default, Deserialize)]
pub struct BeneficiaryForm {
    #[serde(default)]
    community_id: String,
    #[serde(default)]
    group: String,
    #[serde(default)]
    full_name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    id_number: String,
    #[serde(default)]
    notify_email: String,
    #[serde(default)]
    notify_consent: String,
    #[serde(default)]
    locale: String,
    #[serde(default)]
    household_notes: String,
}

impl BeneficiaryForm {
    fn consent(&self) -> bool {
        matches!(self.notify_consent.as_str(), "on" | "yes" | "true" | "1")
    }

    /// The fields as the service reads them.
    pub fn input(&self) -> BeneficiaryInput {
        BeneficiaryInput {
            community_id: self.community_id.clone(),
            group: self.group.clone(),
            full_name: self.full_name.clone(),
            phone: self.phone.clone(),
            address: self.address.clone(),
            notes: self.notes.clone(),
            id_number: self.id_number.clone(),
            notify_email: self.notify_email.clone(),
            notify_consent: self.consent(),
            locale: self.locale.clone(),
        }
    }
}

async fn form_page(
    state: &AppState,
    staff: &Staff,
    form: &BeneficiaryForm,
    errors: &FieldErrors,
    status: StatusCode,
) -> PageResult {
    form_page_for(state, staff, None, form, errors, status).await
}

/// The registration form, or with `editing` the edit form of that beneficiary.
async fn form_page_for(
    state: &AppState,
    staff: &Staff,
    editing: Option<i64>,
    form: &BeneficiaryForm,
    errors: &FieldErrors,
    status: StatusCode,
) -> PageResult {
    let t = staff.t;
    let communities = organizations::communities(&state.db).await.or_page(t)?;
    let mut community_options: Options = communities
        .iter()
        .map(|c| {
            let label = if t.0 == Locale::En {
                format!("{} ({})", c.name_en, c.subdistrict_en)
            } else {
                format!("{}（{}）", c.name, c.subdistrict)
            };
            (c.id.to_string(), label, c.id.to_string() == form.community_id)
        })
        .collect();
    community_options.insert(
        0,
        (
            String::new(),
            t.get("form.choose").to_owned(),
            form.community_id.is_empty(),
        ),
    );
    let mut groups = enum_options(
        BeneficiaryGroup::ALL,
        BeneficiaryGroup::as_str,
        BeneficiaryGroup::label,
        t,
        &form.group,
    );
    groups.insert(
        0,
        (String::new(), t.get("form.choose").to_owned(), form.group.is_empty()),
    );
    let locale = if form.locale.is_empty() {
        "zh-CN"
    } else {
        form.locale.as_str()
    };
    let locales = vec![
        ("zh-CN".to_owned(), t.get("lang.zh").to_owned(), locale == "zh-CN"),
        ("en".to_owned(), t.get("lang.en").to_owned(), locale == "en"),
    ];
    let message = |name: &str| errors.get(name).map(|e| e.message(t.0)).unwrap_or_default();
    Ok(render(
        status,
        FormPage {
            c: Chrome::new(
                t,
                &staff.session,
                if editing.is_some() {
                    "case.edit"
                } else {
                    "beneficiary.new"
                },
            ),
            action: editing.map_or_else(|| "/beneficiaries".to_owned(), |id| format!("/beneficiaries/{id}/edit")),
            editing: editing.is_some(),
            household_notes: field(t, "household_notes", &form.household_notes, errors),
            communities: community_options,
            groups,
            locales,
            community_error: message("community_id"),
            group_error: message("group"),
            full_name: field(t, "full_name", &form.full_name, errors),
            phone: field(t, "phone", &form.phone, errors),
            address: field(t, "address", &form.address, errors),
            notes: field(t, "notes", &form.notes, errors),
            id_number: field(t, "id_number", &form.id_number, errors),
            notify_email: field(t, "notify_email", &form.notify_email, errors),
            consent_checked: form.consent(),
            consent_error: message("notify_consent"),
        },
    ))
}

/// `GET /beneficiaries/new`.
pub async fn new_form(State(state): State<AppState>, staff: Staff) -> PageResult {
    if staff.session.organization_id.is_none() {
        return Ok(super::error_page(
            staff.t,
            StatusCode::FORBIDDEN,
            "beneficiary.workers_only",
        ));
    }
    form_page(
        &state,
        &staff,
        &BeneficiaryForm::default(),
        &FieldErrors::default(),
        StatusCode::OK,
    )
    .await
}

/// `POST /beneficiaries`: 303 to the new record, or the form again with values kept (422).
pub async fn create(State(state): State<AppState>, staff: Staff, Form(form): Form<BeneficiaryForm>) -> PageResult {
    let input = form.input();
    match beneficiaries::register(
        &state.db,
        &state.config.secret_key,
        &staff.caller,
        &input,
        chrono::Utc::now(),
    )
    .await
    {
        Ok(registered) => Ok(Redirect::to(&format!("/beneficiaries/{}", registered.id)).into_response()),
        Err(ServiceError::Validation(errors)) => {
            form_page(&state, &staff, &form, &errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(ServiceError::Forbidden) => Ok(super::error_page(
            staff.t,
            StatusCode::FORBIDDEN,
            "beneficiary.workers_only",
        )),
        Err(e) => Err(PageError::new(staff.t, e)),
    }
}

#[derive(Template)]
#[template(path = "beneficiary_show.html")]
struct ShowPage {
    c: Chrome,
    tabs: CaseTabs,
    id: i64,
    code: String,
    group: String,
    community: String,
    has_contact: bool,
    /// Records of the same organization with the same phone or ID number: (code, what matched).
    same_org: Vec<(String, String)>,
    full_name: String,
    phone: String,
    address: String,
    id_number: String,
    notes: String,
    household_notes: String,
    /// The person's needs: (id, title, status label, deadline, "3 of 10 bags left").
    needs: Vec<(i64, String, String, String, String)>,
    /// True while the case is active.
    active: bool,
    /// "Closed: moved away, 2026-12-07 10:00", empty while active.
    closed_text: String,
    erased: bool,
    /// Consent as recorded: (when, wording version); empty when none is.
    consent: Option<(String, String)>,
    consent_wording: String,
    consent_version: String,
    /// A refusal of the case's rules (close twice, reopen an erased case), shown on top.
    case_error: String,
    consent_error: String,
    /// One-on-one sponsorships: (id, line, status label, active).
    sponsorships: Vec<(i64, String, String, bool)>,
}

/// `GET /beneficiaries/{id}`: the case file's details tab: the record with its private part
/// (audited on every view), its status and consent, and the records of the same
/// organization that may be the same person. Matches in other organizations are never shown
/// here: they go to the office's queue.
pub async fn show(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> PageResult {
    show_page(&state, &staff, id, &FieldErrors::default(), StatusCode::OK).await
}

async fn show_page(state: &AppState, staff: &Staff, id: i64, errors: &FieldErrors, status: StatusCode) -> PageResult {
    let t = staff.t;
    let caller = &staff.caller;
    let secret = &state.config.secret_key;
    let (summary, private) = beneficiaries::view(&state.db, secret, caller, id, chrono::Utc::now())
        .await
        .or_page(t)?;
    let same_org = duplicates::same_organization(&state.db, secret, caller, id)
        .await
        .or_page(t)?;
    let need_list = needs::of_beneficiary(&state.db, caller, id).await.or_page(t)?;
    let sponsored = sponsorships::of_case(&state.db, caller, id, chrono::Utc::now())
        .await
        .or_page(t)?;
    let case = &summary.case;
    let closed_text = match (case.status, case.closed_reason, case.closed_at) {
        (CaseStatus::Closed, reason, at) => format!(
            "{}{}{}",
            CaseStatus::Closed.label(t.0),
            reason.map(|r| format!(" · {}", r.label(t.0))).unwrap_or_default(),
            at.map(|at| format!(" · {}", local_time(at))).unwrap_or_default(),
        ),
        _ => String::new(),
    };
    let message = |name: &str| errors.get(name).map(|e| e.message(t.0)).unwrap_or_default();
    Ok(render(
        status,
        ShowPage {
            c: Chrome::new(t, &staff.session, "beneficiary.title"),
            tabs: CaseTabs::new(id, "details"),
            id,
            code: summary.code.clone(),
            group: summary.group.label(t.0).to_owned(),
            community: if t.0 == Locale::En {
                summary.community.1.clone()
            } else {
                summary.community.0.clone()
            },
            has_contact: summary.has_contact,
            same_org: same_org
                .into_iter()
                .map(|(code, found)| (code, found.label(t.0).to_owned()))
                .collect(),
            full_name: private.full_name,
            phone: private.phone,
            address: private.address,
            id_number: private.id_number,
            notes: private.notes,
            household_notes: private.household_notes,
            needs: need_list
                .iter()
                .map(|n| {
                    let item = super::views::NeedItem::new(t, n);
                    (item.id, item.title, item.status, item.deadline, item.left_text)
                })
                .collect(),
            active: case.status == CaseStatus::Active,
            closed_text,
            erased: case.erased_at.is_some(),
            consent: case
                .consent
                .as_ref()
                .map(|(at, version)| (local_time(*at), version.clone())),
            consent_wording: consent_wording(t.0).to_owned(),
            consent_version: CONSENT_VERSION.to_owned(),
            case_error: message("case"),
            consent_error: message("consent"),
            sponsorships: sponsored
                .iter()
                .map(|v| {
                    let status = match v.end_reason {
                        Some(why) => format!("{} · {}", v.status.label(t.0), why.label(t.0)),
                        None => v.status.label(t.0).to_owned(),
                    };
                    let active = v.status == crate::domain::sponsorship::SponsorshipStatus::Active;
                    (v.id, super::views::sponsorship_line(t, v), status, active)
                })
                .collect(),
        },
    ))
}

/// `GET /beneficiaries/{id}/edit`: the form prefilled from the opened private part (the read
/// is audited as any view); only the owning organization's social workers.
pub async fn edit_form(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> PageResult {
    let t = staff.t;
    let (summary, private) = beneficiaries::view(
        &state.db,
        &state.config.secret_key,
        &staff.caller,
        id,
        chrono::Utc::now(),
    )
    .await
    .or_page(t)?;
    if staff.session.organization_id.is_none() {
        return Err(PageError::new(t, ServiceError::Forbidden));
    }
    if summary.case.erased_at.is_some() {
        let mut errors = FieldErrors::default();
        errors.push(
            "case",
            crate::domain::input::FieldError::Case(crate::domain::CaseRefusal::Erased),
        );
        return show_page(&state, &staff, id, &errors, StatusCode::CONFLICT).await;
    }
    let form = BeneficiaryForm {
        community_id: summary.community_id.to_string(),
        group: summary.group.as_str().to_owned(),
        full_name: private.full_name,
        phone: private.phone,
        address: private.address,
        notes: private.notes,
        id_number: private.id_number,
        household_notes: private.household_notes,
        ..BeneficiaryForm::default()
    };
    form_page_for(&state, &staff, Some(id), &form, &FieldErrors::default(), StatusCode::OK).await
}

/// `POST /beneficiaries/{id}/edit`: 303 to the case file, or the form again with the typed
/// values (422).
pub async fn edit(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(form): Form<BeneficiaryForm>,
) -> PageResult {
    match cases::edit(
        &state.db,
        &state.config.secret_key,
        &staff.caller,
        id,
        &form.input(),
        &form.household_notes,
        chrono::Utc::now(),
    )
    .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/beneficiaries/{id}")).into_response()),
        Err(ServiceError::Validation(errors)) if errors.get("case").is_some() => {
            show_page(&state, &staff, id, &errors, StatusCode::CONFLICT).await
        }
        Err(ServiceError::Validation(errors)) => {
            form_page_for(
                &state,
                &staff,
                Some(id),
                &form,
                &errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(PageError::new(staff.t, e)),
    }
}

/// The consent form: the box the worker ticks once the person agreed.
#[derive(Debug, Default, Deserialize)]
pub struct ConsentForm {
    #[serde(default)]
    agreed: String,
}

/// `POST /beneficiaries/{id}/consent`: records the person's consent to the wording shown.
pub async fn record_consent(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(form): Form<ConsentForm>,
) -> PageResult {
    let agreed = matches!(form.agreed.as_str(), "on" | "yes" | "true" | "1");
    match cases::record_consent(&state.db, &staff.caller, id, agreed, chrono::Utc::now()).await {
        Ok(()) => Ok(Redirect::to(&format!("/beneficiaries/{id}")).into_response()),
        Err(ServiceError::Validation(errors)) => {
            show_page(&state, &staff, id, &errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(PageError::new(staff.t, e)),
    }
}

#[derive(Template)]
#[template(path = "beneficiary_close.html")]
struct ClosePage {
    c: Chrome,
    tabs: CaseTabs,
    id: i64,
    /// Titles of the open needs that will be cancelled.
    needs: Vec<String>,
    /// How many of those claims merchants hold.
    claimed: u64,
    reasons: Options,
    reason_error: String,
}

/// The close form: why the case closes.
#[derive(Debug, Default, Deserialize)]
pub struct CloseForm {
    #[serde(default)]
    reason: String,
}

async fn close_page(state: &AppState, staff: &Staff, id: i64, form: &CloseForm, errors: &FieldErrors) -> PageResult {
    let t = staff.t;
    let preview = cases::closing_preview(&state.db, &staff.caller, id, chrono::Utc::now()).await;
    let (needs, claimed) = match preview {
        Ok(preview) => preview,
        Err(ServiceError::Validation(errors)) => {
            return show_page(state, staff, id, &errors, StatusCode::CONFLICT).await;
        }
        Err(e) => return Err(PageError::new(t, e)),
    };
    let mut reasons = enum_options(
        ClosedReason::ALL,
        ClosedReason::as_str,
        ClosedReason::label,
        t,
        &form.reason,
    );
    reasons.insert(
        0,
        (String::new(), t.get("form.choose").to_owned(), form.reason.is_empty()),
    );
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(render(
        status,
        ClosePage {
            c: Chrome::new(t, &staff.session, "case.close"),
            tabs: CaseTabs::new(id, "details"),
            id,
            needs,
            claimed,
            reasons,
            reason_error: errors.get("reason").map(|e| e.message(t.0)).unwrap_or_default(),
        },
    ))
}

/// `GET /beneficiaries/{id}/close`: asks first, listing the needs that will be cancelled.
pub async fn close_form(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> PageResult {
    close_page(&state, &staff, id, &CloseForm::default(), &FieldErrors::default()).await
}

/// `POST /beneficiaries/{id}/close`: closes the case; 303 to the case file.
pub async fn close(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(form): Form<CloseForm>,
) -> PageResult {
    match cases::close(&state.db, &staff.caller, id, &form.reason, chrono::Utc::now()).await {
        Ok(_) => Ok(Redirect::to(&format!("/beneficiaries/{id}")).into_response()),
        Err(ServiceError::Validation(errors)) if errors.get("case").is_some() => {
            show_page(&state, &staff, id, &errors, StatusCode::CONFLICT).await
        }
        Err(ServiceError::Validation(errors)) => close_page(&state, &staff, id, &form, &errors).await,
        Err(e) => Err(PageError::new(staff.t, e)),
    }
}

/// `POST /beneficiaries/{id}/reopen`: reopens a closed case; 303 to the case file.
pub async fn reopen(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> PageResult {
    match cases::reopen(&state.db, &staff.caller, id, chrono::Utc::now()).await {
        Ok(()) => Ok(Redirect::to(&format!("/beneficiaries/{id}")).into_response()),
        Err(ServiceError::Validation(errors)) => show_page(&state, &staff, id, &errors, StatusCode::CONFLICT).await,
        Err(e) => Err(PageError::new(staff.t, e)),
    }
}
