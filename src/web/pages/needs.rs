//! The needs board, posting a need, and a need's page with its claims.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::views::{ClaimItem, NeedItem, local_time};
use super::{Chrome, Field, Options, OrPage, PageError, PageResult, enum_options, field, render};
use crate::AppState;
use crate::domain::claim::DisputeResolution;
use crate::domain::input::{FieldError, FieldErrors};
use crate::domain::need_input::NeedInput;
use crate::domain::time::local_date;
use crate::domain::{Category, NeedStatus, Recurrence, Urgency};
use crate::i18n::Tr;
use crate::services::audit::{self, AuditRecord};
use crate::services::claims::{self, Confirmation};
use crate::services::needs::{self, NeedCard, NeedFilter};
use crate::services::organizations::Community;
use crate::services::{ServiceError, beneficiaries, need_series, organizations, sponsorships};
use crate::web::session::Staff;

#[derive(Template)]
#[template(path = "needs_board.html")]
struct BoardPage {
    c: Chrome,
    needs: Vec<NeedItem>,
    statuses: Options,
    categories: Options,
    communities: Options,
    urgencies: Options,
    next: String,
}

/// Filters of the board, as in the query string.
#[derive(Debug, Default, Deserialize)]
pub struct BoardQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    community: String,
    #[serde(default)]
    urgency: String,
    #[serde(default)]
    cursor: String,
}

/// `GET /needs`: the board with filters and paging.
pub async fn board(State(state): State<AppState>, staff: Staff, Query(q): Query<BoardQuery>) -> PageResult {
    let t = staff.t;
    let filter = NeedFilter {
        status: q.status.parse().ok(),
        category: q.category.parse().ok(),
        community_id: q.community.parse().ok(),
        urgency: q.urgency.parse().ok(),
    };
    let cursor = Some(q.cursor.as_str()).filter(|c| !c.is_empty());
    let page = match needs::list_needs(&state.db, &staff.caller, &filter, cursor, 20).await {
        Ok(page) => page,
        Err(ServiceError::Invalid { .. }) => return Ok(Redirect::to("/needs").into_response()),
        Err(e) => return Err(PageError::new(t, e)),
    };
    let communities = organizations::communities(&state.db).await.or_page(t)?;
    let next = page
        .next_cursor
        .map(|cursor| {
            let query = [
                ("status", &q.status),
                ("category", &q.category),
                ("community", &q.community),
                ("urgency", &q.urgency),
                ("cursor", &cursor),
            ];
            let encoded: Vec<String> = query.iter().map(|(k, v)| format!("{k}={}", urlencode(v))).collect();
            format!("/needs?{}", encoded.join("&"))
        })
        .unwrap_or_default();
    Ok(render(
        StatusCode::OK,
        BoardPage {
            c: Chrome::new(t, &staff.session, "needs.title"),
            needs: page.items.iter().map(|n| NeedItem::new(t, n)).collect(),
            statuses: with_any(
                t,
                enum_options(NeedStatus::ALL, NeedStatus::as_str, NeedStatus::label, t, &q.status),
            ),
            categories: with_any(
                t,
                enum_options(Category::ALL, Category::as_str, Category::label, t, &q.category),
            ),
            communities: with_any(t, community_options(t, &communities, &q.community)),
            urgencies: with_any(
                t,
                enum_options(Urgency::ALL, Urgency::as_str, Urgency::label, t, &q.urgency),
            ),
            next,
        },
    ))
}

fn urlencode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// `options` with "any" first, chosen when nothing else is.
pub(super) fn with_any(t: Tr, mut options: Options) -> Options {
    let any_selected = !options.iter().any(|o| o.2);
    options.insert(0, (String::new(), t.get("filter.any").to_owned(), any_selected));
    options
}

/// The communities as options, `selected` (an id) chosen.
pub(super) fn community_options(t: Tr, communities: &[Community], selected: &str) -> Options {
    communities
        .iter()
        .map(|c| {
            (
                c.id.to_string(),
                c.name_in(t.0).to_owned(),
                c.id.to_string() == selected,
            )
        })
        .collect()
}

#[derive(Template)]
#[template(path = "need_form.html")]
struct NeedFormPage {
    c: Chrome,
    /// `None` for a new need; the need's id when editing (the beneficiary is then fixed).
    editing: Option<i64>,
    /// The beneficiary search as typed.
    q: String,
    /// True when a search found nobody.
    no_match: bool,
    beneficiaries: Options,
    categories: Options,
    urgencies: Options,
    drop_offs: Options,
    beneficiary_error: String,
    category_error: String,
    drop_off_error: String,
    title: Field,
    description: Field,
    quantity: Field,
    unit: Field,
    deadline: Field,
    estimated_value: Field,
    urgency_error: String,
    recurrences: Options,
    recurrence_error: String,
    periods: Field,
}

/// The need form's fields (DESIGN.md names).
#[derive(Debug, Default, Deserialize)]
pub struct NeedForm {
    #[serde(default)]
    beneficiary_id: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    quantity: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    deadline: String,
    #[serde(default)]
    urgency: String,
    #[serde(default)]
    estimated_value: String,
    #[serde(default)]
    drop_off_point_id: String,
    #[serde(default)]
    recurrence: String,
    #[serde(default)]
    periods: String,
}

impl NeedForm {
    /// The fields as the domain reads them; the lease, not on the form, takes its default.
    pub fn input(&self) -> NeedInput {
        NeedInput {
            beneficiary_id: self.beneficiary_id.clone(),
            category: self.category.clone(),
            title: self.title.clone(),
            description: self.description.clone(),
            quantity: self.quantity.clone(),
            unit: self.unit.clone(),
            deadline: self.deadline.clone(),
            urgency: self.urgency.clone(),
            estimated_value: self.estimated_value.clone(),
            drop_off_point_id: self.drop_off_point_id.clone(),
            recurrence: self.recurrence.clone(),
            periods: self.periods.clone(),
            ..Default::default()
        }
    }

    /// The form filled from a need, for its edit page.
    fn from_card(card: &NeedCard) -> Self {
        NeedForm {
            beneficiary_id: String::new(),
            category: card.category.as_str().to_owned(),
            title: card.title.clone(),
            description: card.description.clone(),
            quantity: card.quantity.to_string(),
            unit: card.unit.clone(),
            deadline: card.deadline.to_string(),
            urgency: card.urgency.as_str().to_owned(),
            // The form takes whole yuan; cents from the API are rounded down for display.
            estimated_value: card
                .estimated_value_cents
                .map(|c| (c / 100).to_string())
                .unwrap_or_default(),
            drop_off_point_id: card.drop_off_point_id.map(|id| id.to_string()).unwrap_or_default(),
            // An edit keeps the need's place in its series.
            ..Default::default()
        }
    }
}

/// The new-need page's query: a beneficiary search and a beneficiary to pre-select by code.
#[derive(Debug, Default, Deserialize)]
pub struct NewNeedQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    beneficiary: String,
}

/// Renders the need form: a new one (`editing` is `None`) or the edit of a need.
async fn need_form(
    state: &AppState,
    staff: &Staff,
    form: &NeedForm,
    errors: &FieldErrors,
    status: StatusCode,
    editing: Option<i64>,
    search: &NewNeedQuery,
) -> PageResult {
    let t = staff.t;
    let now = chrono::Utc::now();
    let mut beneficiary_options: Options = Vec::new();
    let mut no_match = false;
    let mut form_beneficiary = form.beneficiary_id.clone();
    if editing.is_none() {
        let list = beneficiaries::choices(&state.db, &state.config.secret_key, &staff.caller, &search.q, now)
            .await
            .or_page(t)?;
        no_match = list.is_empty() && !search.q.trim().is_empty();
        let wanted = search.beneficiary.trim();
        if form_beneficiary.is_empty() {
            // A single match of a search, or the person the worker came from, is chosen for them.
            let chosen = list
                .iter()
                .find(|b| !wanted.is_empty() && b.code.eq_ignore_ascii_case(wanted))
                .or(if list.len() == 1 && !search.q.trim().is_empty() {
                    list.first()
                } else {
                    None
                });
            if let Some(b) = chosen {
                form_beneficiary = b.id.to_string();
            }
        }
        beneficiary_options = list
            .iter()
            .map(|b| {
                let label = match &b.name {
                    Some(name) => format!("{} · {} · {}", b.code, name, b.group.label(t.0)),
                    None => format!("{} · {}", b.code, b.group.label(t.0)),
                };
                (b.id.to_string(), label, b.id.to_string() == form_beneficiary)
            })
            .collect();
        beneficiary_options.insert(
            0,
            (
                String::new(),
                t.get("form.choose").to_owned(),
                form_beneficiary.is_empty(),
            ),
        );
    }
    let points = needs::drop_off_points(&state.db, &staff.caller).await.or_page(t)?;
    let drop_offs: Options = points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let selected = if form.drop_off_point_id.is_empty() {
                i == 0
            } else {
                p.id.to_string() == form.drop_off_point_id
            };
            (
                p.id.to_string(),
                drop_off_label(t, &p.name, &p.address, &p.opening_hours),
                selected,
            )
        })
        .collect();
    let mut categories = enum_options(Category::ALL, Category::as_str, Category::label, t, &form.category);
    categories.insert(
        0,
        (String::new(), t.get("form.choose").to_owned(), form.category.is_empty()),
    );
    let urgency = if form.urgency.is_empty() {
        "normal"
    } else {
        form.urgency.as_str()
    };
    let recurrence = if form.recurrence.is_empty() {
        Recurrence::Once.as_str()
    } else {
        form.recurrence.as_str()
    };
    let message = |name: &str| errors.get(name).map(|e| e.message(t.0)).unwrap_or_default();
    Ok(render(
        status,
        NeedFormPage {
            c: Chrome::new(
                t,
                &staff.session,
                if editing.is_some() { "need.edit" } else { "need.new" },
            ),
            editing,
            q: search.q.clone(),
            no_match,
            beneficiaries: beneficiary_options,
            categories,
            urgencies: enum_options(Urgency::ALL, Urgency::as_str, Urgency::label, t, urgency),
            drop_offs,
            beneficiary_error: message("beneficiary_id"),
            category_error: message("category"),
            drop_off_error: message("drop_off_point_id"),
            title: field(t, "title", &form.title, errors),
            description: field(t, "description", &form.description, errors),
            quantity: field(t, "quantity", &form.quantity, errors),
            unit: field(t, "unit", &form.unit, errors),
            deadline: field(t, "deadline", &form.deadline, errors),
            estimated_value: field(t, "estimated_value", &form.estimated_value, errors),
            urgency_error: message("urgency"),
            recurrences: enum_options(Recurrence::ALL, Recurrence::as_str, Recurrence::label, t, recurrence),
            recurrence_error: message("recurrence"),
            periods: field(t, "periods", &form.periods, errors),
        },
    ))
}

/// A drop-off point in one line: name, address and, when known, the hours (never an empty pair of brackets).
pub fn drop_off_label(t: Tr, name: &str, address: &str, hours: &str) -> String {
    let mut parts: Vec<&str> = [name, address]
        .into_iter()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    let hours = hours.trim();
    let with_hours;
    if !hours.is_empty() {
        with_hours = t.fill("need.drop_off_hours", &[("hours", hours)]);
        parts.push(&with_hours);
    }
    parts.join(" · ")
}

/// `GET /needs/new`: the form; `?q=` narrows the people listed, `?beneficiary=<code>` chooses one.
pub async fn new_form(State(state): State<AppState>, staff: Staff, Query(search): Query<NewNeedQuery>) -> PageResult {
    need_form(
        &state,
        &staff,
        &NeedForm::default(),
        &FieldErrors::default(),
        StatusCode::OK,
        None,
        &search,
    )
    .await
}

/// `POST /needs`: 303 to the new need, or the form again with every value kept (422).
pub async fn create(State(state): State<AppState>, staff: Staff, Form(form): Form<NeedForm>) -> PageResult {
    let now = chrono::Utc::now();
    let search = NewNeedQuery::default();
    let draft = match form.input().parse(local_date(now)) {
        Ok(draft) => draft,
        Err(errors) => {
            return need_form(
                &state,
                &staff,
                &form,
                &errors,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                &search,
            )
            .await;
        }
    };
    match needs::post_need(&state.db, &state.config.secret_key, &staff.caller, draft, now).await {
        Ok(card) => Ok(Redirect::to(&format!("/needs/{}", card.id)).into_response()),
        Err(ServiceError::Validation(errors)) => {
            need_form(
                &state,
                &staff,
                &form,
                &errors,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                &search,
            )
            .await
        }
        Err(e) => Err(PageError::new(staff.t, e)),
    }
}

/// True while a need may still be edited: open, and nothing of it claimed.
fn editable(card: &NeedCard) -> bool {
    card.status == NeedStatus::Open && card.claimed == 0
}

/// The 409 page of a need that can no longer be edited, with the way back to it.
fn edit_locked(staff: &Staff, id: i64) -> Response {
    super::notice_page(
        staff.t,
        &staff.session,
        StatusCode::CONFLICT,
        "need.edit",
        "need.edit_locked",
        &format!("/needs/{id}"),
        "need.back_to_need",
    )
}

/// `GET /needs/{id}/edit`: the form filled from the need, while nothing of it is claimed.
pub async fn edit_form(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> PageResult {
    let card = needs::get_need(&state.db, &staff.caller, id, chrono::Utc::now())
        .await
        .or_page(staff.t)?;
    if staff.caller.merchant_id().is_some() {
        return Err(PageError::new(staff.t, ServiceError::NotFound("need")));
    }
    if !editable(&card) {
        return Ok(edit_locked(&staff, id));
    }
    let form = NeedForm::from_card(&card);
    let search = NewNeedQuery::default();
    need_form(
        &state,
        &staff,
        &form,
        &FieldErrors::default(),
        StatusCode::OK,
        Some(id),
        &search,
    )
    .await
}

/// `POST /needs/{id}/edit`: 303 to the need, the form again with the values kept (422), or 409 once claimed.
pub async fn edit(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(form): Form<NeedForm>,
) -> PageResult {
    let now = chrono::Utc::now();
    let search = NewNeedQuery::default();
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    let draft = match form.input().parse_edit(local_date(now)) {
        Ok(draft) => draft,
        Err(errors) => return need_form(&state, &staff, &form, &errors, unprocessable, Some(id), &search).await,
    };
    match needs::edit_need(&state.db, &state.config.secret_key, &staff.caller, id, draft, now).await {
        Ok(card) => Ok(Redirect::to(&format!("/needs/{}", card.id)).into_response()),
        Err(ServiceError::Validation(errors)) => {
            need_form(&state, &staff, &form, &errors, unprocessable, Some(id), &search).await
        }
        Err(ServiceError::Conflict(_)) => Ok(edit_locked(&staff, id)),
        Err(e) => Err(PageError::new(staff.t, e)),
    }
}

#[derive(Template)]
#[template(path = "need_show.html")]
struct NeedPage {
    c: Chrome,
    n: NeedItem,
    /// The resource library's part: merchants to ask, asked, claims recorded by the office.
    library: super::resources::NeedLibrary,
    claims: Vec<(ClaimItem, ClaimFormState)>,
    timeline: Vec<(String, String)>,
    can_cancel: bool,
    can_edit: bool,
    /// The series a recurring need belongs to, in a line; empty for a one-off need.
    series: String,
    /// Whether the series still has periods to come.
    can_end_series: bool,
    /// Its one-on-one sponsor, in a line (and this period waiting for the sponsor); empty if none.
    sponsor: String,
    /// Dispute resolutions: (form value, button label, the main action).
    resolutions: Vec<(&'static str, String, bool)>,
}

/// What was typed into one claim's forms, and what was wrong with it, for re-showing the
/// need page after a refused form (422) instead of a bare error page.
#[derive(Debug, Clone, Default)]
pub struct ClaimFormState {
    /// The claim the forms belong to; 0 for none.
    claim_id: i64,
    /// The rating chosen.
    rating: Field,
    /// The handoff code typed.
    handoff_code: Field,
    /// The dispute reason typed.
    reason: Field,
    /// A message about the claim as a whole (it moved on meanwhile, say).
    notice: String,
}

/// `GET /needs/{id}`: the need, its claims and its timeline, with the forms that apply.
pub async fn show(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> PageResult {
    need_page(&state, &staff, id, ClaimFormState::default(), StatusCode::OK).await
}

/// The need page, with `form` (what was typed into one claim's form and its errors).
async fn need_page(state: &AppState, staff: &Staff, id: i64, form: ClaimFormState, status: StatusCode) -> PageResult {
    let t = staff.t;
    let caller = &staff.caller;
    let now = chrono::Utc::now();
    let card = needs::get_need(&state.db, caller, id, now).await.or_page(t)?;
    let claim_list = claims::of_need(&state.db, caller, id, now).await.or_page(t)?;
    let series = need_series::of_need(&state.db, id).await.or_page(t)?;
    let sponsor = match &series {
        Some(s) => sponsorships::active_of_need(&state.db, Some(s.series_id), now)
            .await
            .or_page(t)?,
        None => None,
    };
    let mut subjects: Vec<(&str, i64)> = vec![("need", id)];
    subjects.extend(claim_list.iter().map(|c| ("claim", c.id)));
    let timeline = audit::history(&state.db, &subjects)
        .await
        .or_page(t)?
        .into_iter()
        .map(|r| (local_time(r.at), timeline_entry(t, &r, &claim_list)))
        .collect();
    let library = super::resources::need_library(state, staff, id).await.or_page(t)?;
    let claims = claim_list
        .iter()
        .map(|c| {
            let typed = if c.id == form.claim_id {
                form.clone()
            } else {
                ClaimFormState::default()
            };
            (ClaimItem::new(t, c, now), typed)
        })
        .collect();
    Ok(render(
        status,
        NeedPage {
            c: Chrome::new(t, &staff.session, "need.title"),
            can_cancel: matches!(card.status, NeedStatus::Open | NeedStatus::FullyClaimed),
            can_edit: editable(&card),
            can_end_series: series.as_ref().is_some_and(need_series::SeriesView::running),
            series: series.as_ref().map(|s| series_line(t, s)).unwrap_or_default(),
            sponsor: sponsor
                .map(|v| {
                    let waiting = v.offer.as_ref().filter(|o| o.need_id == id);
                    let mut line = t.fill("sponsorship.on_need", &[("merchant", &v.merchant_name)]);
                    if let Some(o) = waiting {
                        line.push_str(" · ");
                        line.push_str(&t.fill("sponsorship.waiting", &[("until", &super::views::local_time(o.until))]));
                    }
                    line
                })
                .unwrap_or_default(),
            n: NeedItem::new(t, &card),
            library,
            claims,
            timeline,
            resolutions: DisputeResolution::ALL
                .iter()
                .map(|r| {
                    (
                        r.as_str(),
                        t.get(&format!("dispute.resolve.{}", r.as_str())).to_owned(),
                        *r == DisputeResolution::Confirm,
                    )
                })
                .collect(),
        },
    ))
}

/// Where the need stands in its series: "Monthly · period 2 of 12" or "… · until stopped".
fn series_line(t: Tr, s: &need_series::SeriesView) -> String {
    let period = s.period_index.to_string();
    match s.periods_total {
        Some(total) => t.fill(
            "series.period_of",
            &[
                ("recurrence", s.recurrence.label(t.0)),
                ("period", &period),
                ("total", &total.to_string()),
            ],
        ),
        None => t.fill(
            "series.period_open",
            &[("recurrence", s.recurrence.label(t.0)), ("period", &period)],
        ),
    }
}

/// One line of the timeline: what happened, and for a claim which shop and how much (and
/// why, for a dispute, or how it was settled).
fn timeline_entry(t: Tr, row: &AuditRecord, claims: &[claims::ClaimRecord]) -> String {
    let label = action_label(t, &row.action);
    let claim = row
        .subject_of_kind("claim")
        .and_then(|id| claims.iter().find(|c| c.id == id));
    let Some(c) = claim else {
        return label;
    };
    let mut line = format!("{label} · {} · {} {}", c.merchant_name, c.quantity, c.unit);
    match row.action.as_str() {
        "claim.dispute" => {
            if let Some(reason) = c.dispute_reason.as_deref().filter(|r| !r.is_empty()) {
                line.push_str(&t.fill("timeline.reason", &[("reason", reason)]));
            }
        }
        "claim.redeliver" => {
            if let Some(note) = c.dispute_answer.as_deref().filter(|r| !r.is_empty()) {
                line.push_str(&t.fill("timeline.answer", &[("note", note)]));
            }
        }
        "claim.resolve" => {
            if let Some(r) = row.detail["resolution"].as_str().and_then(DisputeResolution::parse) {
                line.push_str(" · ");
                line.push_str(t.get(&format!("dispute.resolved.{}", r.as_str())));
            }
        }
        _ => {}
    }
    line
}

fn action_label(t: Tr, action: &str) -> String {
    let key = format!("action.{action}");
    let label = t.get(&key);
    if label == key {
        action.to_owned()
    } else {
        label.to_owned()
    }
}

/// The confirmation form: an optional rating and the merchant's handoff code.
#[derive(Debug, Default, Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    rating: String,
    #[serde(default)]
    handoff_code: String,
    /// `yes` when the office confirms a claim locked by wrong codes, after checking.
    #[serde(default)]
    office_checked: String,
}

/// `POST /needs/{id}/claims/{claim_id}/confirm`: confirms (and rates) a delivery; a wrong
/// code or rating shows the page again with the message beside the field (422).
pub async fn confirm(
    State(state): State<AppState>,
    staff: Staff,
    Path((id, claim_id)): Path<(i64, i64)>,
    Form(form): Form<ConfirmForm>,
) -> PageResult {
    let confirmation = Confirmation {
        rating: Some(form.rating.clone()),
        handoff_code: Some(form.handoff_code.clone()),
        by_office: form.office_checked == "yes",
    };
    let result = claims::confirm(&state.db, &staff.caller, claim_id, confirmation, chrono::Utc::now()).await;
    let t = staff.t;
    let mut typed = ClaimFormState {
        claim_id,
        rating: Field {
            value: form.rating,
            error: String::new(),
        },
        handoff_code: Field {
            value: form.handoff_code,
            error: String::new(),
        },
        ..ClaimFormState::default()
    };
    match result {
        Ok(_) => return Ok(Redirect::to(&format!("/needs/{id}")).into_response()),
        Err(ServiceError::WrongHandoffCode) => typed.handoff_code.error = t.get("claim.wrong_code").to_owned(),
        Err(ServiceError::HandoffLocked) => {
            typed.handoff_code.value.clear();
            typed.notice = t.get("claim.handoff_locked").to_owned();
            return need_page(&state, &staff, id, typed, StatusCode::CONFLICT).await;
        }
        Err(ServiceError::Validation(errors)) => {
            typed.rating.error = errors.get("rating").map(|e| e.message(t.0)).unwrap_or_default();
        }
        Err(e) => return claim_form_refused(&state, &staff, id, typed, e).await,
    }
    need_page(&state, &staff, id, typed, StatusCode::UNPROCESSABLE_ENTITY).await
}

/// A claim form refused for a reason other than what was typed: a missing or foreign
/// record is the plain 404; a claim that moved on meanwhile shows the page again with a
/// notice on that claim (409).
async fn claim_form_refused(
    state: &AppState,
    staff: &Staff,
    id: i64,
    mut typed: ClaimFormState,
    e: ServiceError,
) -> PageResult {
    match e {
        ServiceError::Conflict(_) | ServiceError::IllegalTransition(_) => {
            typed.notice = staff.t.get("claim.moved_on").to_owned();
            need_page(state, staff, id, typed, StatusCode::CONFLICT).await
        }
        e => Err(PageError::new(staff.t, e)),
    }
}

/// `POST /needs/{id}/claims/{claim_id}/reset-code`: the office allows new handoff-code tries.
pub async fn reset_code(
    State(state): State<AppState>,
    staff: Staff,
    Path((id, claim_id)): Path<(i64, i64)>,
) -> PageResult {
    claims::reset_handoff_tries(&state.db, &staff.caller, claim_id, chrono::Utc::now())
        .await
        .or_page(staff.t)?;
    Ok(Redirect::to(&format!("/needs/{id}")).into_response())
}

/// The dispute form.
#[derive(Debug, Default, Deserialize)]
pub struct DisputeForm {
    #[serde(default)]
    reason: String,
}

/// `POST /needs/{id}/claims/{claim_id}/dispute`: a blank reason, or one the merchant may not
/// read (a phone number, say), shows the page again with the message beside it and the text
/// kept (422).
pub async fn dispute(
    State(state): State<AppState>,
    staff: Staff,
    Path((id, claim_id)): Path<(i64, i64)>,
    Form(form): Form<DisputeForm>,
) -> PageResult {
    let result = claims::dispute(&state.db, &staff.caller, claim_id, &form.reason, chrono::Utc::now()).await;
    let t = staff.t;
    let mut typed = ClaimFormState {
        claim_id,
        reason: Field {
            value: form.reason,
            error: String::new(),
        },
        ..ClaimFormState::default()
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/needs/{id}")).into_response()),
        Err(ServiceError::Validation(errors)) => {
            typed.reason.error = match errors.get("reason") {
                Some(FieldError::ContainsPii(_)) => t.get("claim.reason_private").to_owned(),
                Some(e) => e.message(t.0),
                None => String::new(),
            };
            need_page(&state, &staff, id, typed, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(ServiceError::ReasonRequired) => {
            typed.reason.error = t.get("claim.reason_required").to_owned();
            need_page(&state, &staff, id, typed, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => claim_form_refused(&state, &staff, id, typed, e).await,
    }
}

/// The resolve form: which way the dispute is settled.
#[derive(Debug, Default, Deserialize)]
pub struct ResolveForm {
    #[serde(default)]
    resolution: String,
}

/// `POST /needs/{id}/claims/{claim_id}/resolve`: the worker settles a disputed delivery
/// (confirm after all, ask to deliver again, or release the claim).
pub async fn resolve(
    State(state): State<AppState>,
    staff: Staff,
    Path((id, claim_id)): Path<(i64, i64)>,
    Form(form): Form<ResolveForm>,
) -> PageResult {
    let typed = ClaimFormState {
        claim_id,
        ..ClaimFormState::default()
    };
    let Some(resolution) = DisputeResolution::parse(&form.resolution) else {
        let typed = ClaimFormState {
            notice: staff.t.get("dispute.choose").to_owned(),
            ..typed
        };
        return need_page(&state, &staff, id, typed, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    match claims::resolve_dispute(&state.db, &staff.caller, claim_id, resolution, chrono::Utc::now()).await {
        Ok(_) => Ok(Redirect::to(&format!("/needs/{id}")).into_response()),
        Err(ServiceError::HandoffLocked) => {
            let typed = ClaimFormState {
                notice: staff.t.get("claim.handoff_locked").to_owned(),
                ..typed
            };
            need_page(&state, &staff, id, typed, StatusCode::CONFLICT).await
        }
        Err(e) => claim_form_refused(&state, &staff, id, typed, e).await,
    }
}
