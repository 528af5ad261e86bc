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
use crate::domain::input::FieldErrors;
use crate::domain::{BeneficiaryGroup, Locale};
use crate::services::beneficiaries::{self, BeneficiaryInput};
use crate::services::{ServiceError, duplicates, needs, organizations};
use crate::web::session::Staff;

#[derive(Template)]
#[template(path = "beneficiaries.html")]
struct ListPage {
    c: Chrome,
    q: String,
    rows: Vec<(i64, String, String, String, String)>,
}

/// The search box.
#[derive(Debug, Default, Deserialize)]
pub struct Search {
    #[serde(default)]
    q: String,
}

/// `GET /beneficiaries`: the organization's beneficiaries by code.
pub async fn list(State(state): State<AppState>, staff: Staff, Query(search): Query<Search>) -> PageResult {
    let t = staff.t;
    let list = beneficiaries::list(&state.db, &staff.caller, &search.q)
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
            )
        })
        .collect();
    Ok(render(
        StatusCode::OK,
        ListPage {
            c: Chrome::new(t, &staff.session, "beneficiaries.title"),
            q: search.q,
            rows,
        },
    ))
}

#[derive(Template)]
#[template(path = "beneficiary_form.html")]
struct FormPage {
    c: Chrome,
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
            c: Chrome::new(t, &staff.session, "beneficiary.new"),
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
    /// The person's needs: (id, title, status label, deadline, "3 of 10 bags left").
    needs: Vec<(i64, String, String, String, String)>,
}

/// `GET /beneficiaries/{id}`: the record with its private part (audited on every view), and
/// the records of the same organization that may be the same person. Matches in other
/// organizations are never shown here: they go to the office's queue.
pub async fn show(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> PageResult {
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
    Ok(render(
        StatusCode::OK,
        ShowPage {
            c: Chrome::new(t, &staff.session, "beneficiary.title"),
            tabs: CaseTabs::new(id, "details"),
            code: summary.code,
            group: summary.group.label(t.0).to_owned(),
            community: if t.0 == Locale::En {
                summary.community.1
            } else {
                summary.community.0
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
            needs: need_list
                .iter()
                .map(|n| {
                    let item = super::views::NeedItem::new(t, n);
                    (item.id, item.title, item.status, item.deadline, item.left_text)
                })
                .collect(),
        },
    ))
}
