//! Referral pages: a case's referrals tab with the form to refer it, the list of referrals
//! sent and received (the office sees all, and who was referred again and again), and one
//! referral's page where the receiver accepts or declines and the sender may take it back.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum_extra::extract::Form;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::views::{CaseTabs, local_time};
use super::{Chrome, Field, Options, OrPage, PageResult, enum_options, field, render, service_error_page};
use crate::AppState;
use crate::domain::input::FieldErrors;
use crate::domain::referral::{DeclineReason, ReferralStatus};
use crate::domain::{Locale, ServiceArea};
use crate::i18n::Tr;
use crate::services::ServiceError;
use crate::services::referrals::{
    self, Answer, ReferralError, ReferralFilter, ReferralInput, ReferralView, RepeatedlyReferred, Side,
};
use crate::web::session::Staff;

/// A referral as a list row or page shows it, labelled.
pub struct ReferralItem {
    id: i64,
    beneficiary_id: i64,
    code: String,
    group: String,
    community: String,
    area: String,
    reason: String,
    status: String,
    /// `pending`, `accepted`, … for the badge's colour; never shown.
    status_code: &'static str,
    late: bool,
    flagged: bool,
    decline: String,
    sent: String,
    due: String,
    answered: String,
    needs: Vec<(i64, String)>,
    can_answer: bool,
    can_withdraw: bool,
    /// The sender (or the office) may open the case; the receiver once it accepted.
    case_link: bool,
    /// "Sent to …" or "Received from …".
    direction: String,
}

impl ReferralItem {
    fn new(t: Tr, r: &ReferralView, now: DateTime<Utc>) -> Self {
        let decline = match (r.decline_reason, &r.decline_note) {
            (Some(why), Some(note)) => format!("{} — {note}", why.label(t.0)),
            (Some(why), None) => why.label(t.0).to_owned(),
            _ => String::new(),
        };
        let direction = match r.side {
            Side::Sent => t.fill("referral.sent_to", &[("org", &r.to.1)]),
            Side::Received => t.fill("referral.received_from", &[("org", &r.from.1)]),
            Side::Office => t.fill("referral.from_to", &[("from", &r.from.1), ("to", &r.to.1)]),
        };
        let case_link = match r.side {
            Side::Office | Side::Sent => true,
            Side::Received => r.status == ReferralStatus::Accepted,
        };
        ReferralItem {
            id: r.id,
            beneficiary_id: r.beneficiary_id,
            code: r.code.clone(),
            group: r.group.label(t.0).to_owned(),
            community: if t.0 == Locale::En {
                r.community.1.clone()
            } else {
                r.community.0.clone()
            },
            area: r.area.label(t.0).to_owned(),
            reason: r.reason.clone(),
            // A waiting referral says whose answer it waits for: "the other side" is the
            // reader's own organization when it was asked.
            status: match (r.status, r.side) {
                (ReferralStatus::Pending, Side::Received) => t.get("referral.waiting_for_you").to_owned(),
                (ReferralStatus::Pending, Side::Office) => t.get("referral.waiting_for_receiver").to_owned(),
                (status, _) => status.label(t.0).to_owned(),
            },
            status_code: r.status.as_str(),
            late: r.late(now) || r.flagged,
            flagged: r.flagged,
            decline,
            sent: local_time(r.created_at),
            // The last day to answer, as the emails say it (the deadline is the midnight after).
            due: crate::domain::time::local_date(r.due_at - chrono::Duration::seconds(1)).to_string(),
            answered: r.answered_at.map(local_time).unwrap_or_default(),
            needs: r.needs.clone(),
            can_answer: r.can_answer(),
            can_withdraw: r.can_withdraw(),
            case_link,
            direction,
        }
    }
}

#[derive(Template)]
#[template(path = "case_referrals.html")]
struct CaseReferralsPage {
    c: Chrome,
    tabs: CaseTabs,
    id: i64,
    code: String,
    referrals: Vec<ReferralItem>,
    pending: bool,
    /// (id, name · what it offers, selected).
    organizations: Options,
    areas: Options,
    /// (id, title, ticked).
    needs: Vec<(i64, String, bool)>,
    to_error: String,
    area_error: String,
    reason: Field,
    consent: bool,
    consent_error: String,
    needs_error: String,
    notice: String,
}

/// The referral form, as posted.
#[derive(Debug, Default, Deserialize)]
pub struct ReferForm {
    #[serde(default)]
    to_organization: String,
    #[serde(default)]
    service_area: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    consent: String,
    #[serde(default)]
    needs: Vec<i64>,
}

/// `GET /beneficiaries/{id}/referrals`: the case's referrals and the form to refer it.
pub async fn case_tab(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> PageResult {
    case_page(
        &state,
        &staff,
        id,
        &ReferForm::default(),
        &FieldErrors::default(),
        String::new(),
        StatusCode::OK,
    )
    .await
}

/// `POST /beneficiaries/{id}/referrals`: refers the case.
pub async fn refer(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(form): Form<ReferForm>,
) -> PageResult {
    let t = staff.t;
    let input = ReferralInput {
        service_area: form.service_area.clone(),
        to_organization: form.to_organization.clone(),
        reason: form.reason.clone(),
        consent: !form.consent.is_empty(),
        need_ids: form.needs.clone(),
    };
    let result = referrals::refer(
        &state.db,
        &state.config.secret_key,
        &staff.caller,
        id,
        &input,
        state.config.referral_answer_days,
        Utc::now(),
    )
    .await;
    match result {
        Ok(referral) => Ok(Redirect::to(&format!("/referrals/{referral}?sent=1")).into_response()),
        Err(ReferralError::Service(ServiceError::Validation(errors))) => {
            case_page(
                &state,
                &staff,
                id,
                &form,
                &errors,
                String::new(),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(ReferralError::AlreadyPending) => {
            let notice = t.get("referral.already_pending").to_owned();
            case_page(
                &state,
                &staff,
                id,
                &form,
                &FieldErrors::default(),
                notice,
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(ReferralError::Refused(refusal)) => {
            let notice = refusal.message(t.0).to_owned();
            case_page(
                &state,
                &staff,
                id,
                &form,
                &FieldErrors::default(),
                notice,
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(ReferralError::Service(e)) => Ok(service_error_page(t, &e)),
    }
}

async fn case_page(
    state: &AppState,
    staff: &Staff,
    id: i64,
    form: &ReferForm,
    errors: &FieldErrors,
    notice: String,
    status: StatusCode,
) -> PageResult {
    let t = staff.t;
    let now = Utc::now();
    let choices = referrals::choices(&state.db, &staff.caller, id, now).await.or_page(t)?;
    let mut organizations: Options = vec![(String::new(), t.get("referral.choose_organization").to_owned(), false)];
    organizations.extend(choices.organizations.iter().map(|(org, name, areas)| {
        let offered: Vec<&str> = areas.iter().map(|a| a.label(t.0)).collect();
        (
            org.to_string(),
            format!("{name} · {}", offered.join(t.get("list.separator"))),
            org.to_string() == form.to_organization,
        )
    }));
    let mut areas: Options = vec![(String::new(), t.get("referral.choose_area").to_owned(), false)];
    areas.extend(enum_options(
        ServiceArea::ALL,
        ServiceArea::as_str,
        ServiceArea::label,
        t,
        &form.service_area,
    ));
    let error = |name: &str| errors.get(name).map(|e| e.message(t.0)).unwrap_or_default();
    Ok(render(
        status,
        CaseReferralsPage {
            c: Chrome::new(t, &staff.session, "referral.case_title"),
            tabs: CaseTabs::new(id, "referrals"),
            id,
            code: choices.code,
            referrals: choices.referrals.iter().map(|r| ReferralItem::new(t, r, now)).collect(),
            pending: choices.pending,
            organizations,
            areas,
            needs: choices
                .open_needs
                .into_iter()
                .map(|(need, title)| (need, title, form.needs.contains(&need)))
                .collect(),
            to_error: error("to_organization"),
            area_error: error("service_area"),
            reason: field(t, "reason", &form.reason, errors),
            consent: !form.consent.is_empty(),
            consent_error: error("consent"),
            needs_error: error("needs"),
            notice,
        },
    ))
}

#[derive(Template)]
#[template(path = "referrals.html")]
struct ListPage {
    c: Chrome,
    referrals: Vec<ReferralItem>,
    sides: Options,
    statuses: Options,
    is_office: bool,
    repeated: Vec<(i64, String, String)>,
}

/// The list's filters.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    /// `received`, `sent` or empty for both.
    #[serde(default)]
    side: String,
    /// A `ReferralStatus` code or empty.
    #[serde(default)]
    status: String,
}

/// `GET /referrals`: referrals sent and received, with filters; for the office every one
/// and the people referred again and again.
pub async fn list(State(state): State<AppState>, staff: Staff, Query(q): Query<ListQuery>) -> PageResult {
    let t = staff.t;
    let now = Utc::now();
    let side = match q.side.as_str() {
        "received" => Some(Side::Received),
        "sent" => Some(Side::Sent),
        _ => None,
    };
    let status = q.status.parse::<ReferralStatus>().ok();
    let rows = referrals::list(&state.db, &staff.caller, ReferralFilter { side, status }, now)
        .await
        .or_page(t)?;
    let is_office = staff.session.role == crate::domain::Role::Admin;
    let repeated = if is_office {
        referrals::repeatedly_referred_cases(&state.db, &staff.caller, now)
            .await
            .or_page(t)?
            .into_iter()
            .map(|r: RepeatedlyReferred| {
                let chain: Vec<String> = r
                    .chain
                    .iter()
                    .map(|(from, to, status)| format!("{from} → {to}（{}）", status.label(t.0)))
                    .collect();
                (r.beneficiary_id, r.code, chain.join(t.get("list.separator")))
            })
            .collect()
    } else {
        Vec::new()
    };
    let mut sides: Options = vec![(String::new(), t.get("referral.side_all").to_owned(), side.is_none())];
    if !is_office {
        sides.push((
            "received".into(),
            t.get("referral.side_received").to_owned(),
            side == Some(Side::Received),
        ));
        sides.push((
            "sent".into(),
            t.get("referral.side_sent").to_owned(),
            side == Some(Side::Sent),
        ));
    }
    let mut statuses: Options = vec![(String::new(), t.get("filter.any").to_owned(), status.is_none())];
    statuses.extend(enum_options(
        ReferralStatus::ALL,
        ReferralStatus::as_str,
        ReferralStatus::label,
        t,
        &q.status,
    ));
    Ok(render(
        StatusCode::OK,
        ListPage {
            c: Chrome::new(t, &staff.session, "referral.list_title"),
            referrals: rows.iter().map(|r| ReferralItem::new(t, r, now)).collect(),
            sides,
            statuses,
            is_office,
            repeated,
        },
    ))
}

#[derive(Template)]
#[template(path = "referral_show.html")]
struct ShowPage {
    c: Chrome,
    r: ReferralItem,
    reasons: Options,
    decline_error: String,
    note: Field,
    notice: String,
}

/// What a referral page says after an action.
#[derive(Debug, Default, Deserialize)]
pub struct ShowQuery {
    #[serde(default)]
    sent: String,
}

/// `GET /referrals/{id}`.
pub async fn show(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<ShowQuery>,
) -> PageResult {
    let notice = if q.sent.is_empty() {
        String::new()
    } else {
        staff.t.get("referral.sent_notice").to_owned()
    };
    show_page(
        &state,
        &staff,
        id,
        &DeclineForm::default(),
        &FieldErrors::default(),
        notice,
        StatusCode::OK,
    )
    .await
}

async fn show_page(
    state: &AppState,
    staff: &Staff,
    id: i64,
    form: &DeclineForm,
    errors: &FieldErrors,
    notice: String,
    status: StatusCode,
) -> PageResult {
    let t = staff.t;
    let now = Utc::now();
    let r = referrals::show(&state.db, &staff.caller, id, now).await.or_page(t)?;
    let mut reasons: Options = vec![(String::new(), t.get("referral.choose_decline").to_owned(), false)];
    reasons.extend(enum_options(
        DeclineReason::ALL,
        DeclineReason::as_str,
        DeclineReason::label,
        t,
        &form.decline_reason,
    ));
    Ok(render(
        status,
        ShowPage {
            c: Chrome::new(t, &staff.session, "referral.title"),
            r: ReferralItem::new(t, &r, now),
            reasons,
            decline_error: errors.get("decline_reason").map(|e| e.message(t.0)).unwrap_or_default(),
            note: field(t, "decline_note", &form.decline_note, errors),
            notice,
        },
    ))
}

/// The decline form.
#[derive(Debug, Default, Deserialize)]
pub struct DeclineForm {
    #[serde(default)]
    decline_reason: String,
    #[serde(default)]
    decline_note: String,
}

/// `GET /referrals/{id}/accept`: what taking the case over does and who is told, asked before
/// it is done (it cannot be undone); back to the referral once it can no longer be answered.
pub async fn ask_accept(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> PageResult {
    let t = staff.t;
    let now = Utc::now();
    let r = referrals::show(&state.db, &staff.caller, id, now).await.or_page(t)?;
    let item = ReferralItem::new(t, &r, now);
    if !item.can_answer {
        return Ok(Redirect::to(&format!("/referrals/{id}")).into_response());
    }
    Ok(super::confirm::page(
        Chrome::new(t, &staff.session, "referral.title"),
        t.get("referral.accept_title").to_owned(),
        super::confirm::Confirm {
            subject: format!("{} · {}", item.code, item.area),
            effects: vec![
                t.get("referral.accept_effect_case").to_owned(),
                t.get("referral.accept_effect_history").to_owned(),
                t.get("referral.accept_effect_final").to_owned(),
            ],
            told: vec![t.get("referral.accept_told").to_owned()],
            action: format!("/referrals/{id}/accept"),
            hidden: Vec::new(),
            reason_label: String::new(),
            reason: Field::default(),
            button: t.get("referral.accept").to_owned(),

            danger: false,
            back: format!("/referrals/{id}"),
        },
    ))
}

/// `POST /referrals/{id}/accept`: the receiver takes the case over.
pub async fn accept(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> PageResult {
    let result = referrals::answer(&state.db, &staff.caller, id, Answer::Accept, Utc::now()).await;
    after(&state, &staff, id, &DeclineForm::default(), result).await
}

/// `POST /referrals/{id}/decline`: the receiver refuses, with a reason.
pub async fn decline(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(form): Form<DeclineForm>,
) -> PageResult {
    let answer = Answer::Decline {
        reason: form.decline_reason.clone(),
        note: form.decline_note.clone(),
    };
    let result = referrals::answer(&state.db, &staff.caller, id, answer, Utc::now()).await;
    after(&state, &staff, id, &form, result).await
}

/// `POST /referrals/{id}/withdraw`: the sender takes it back.
pub async fn withdraw(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> PageResult {
    let result = referrals::withdraw(&state.db, &staff.caller, id, Utc::now()).await;
    after(&state, &staff, id, &DeclineForm::default(), result).await
}

async fn after(
    state: &AppState,
    staff: &Staff,
    id: i64,
    form: &DeclineForm,
    result: Result<(), ReferralError>,
) -> PageResult {
    let t = staff.t;
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/referrals/{id}")).into_response()),
        Err(ReferralError::Service(ServiceError::Validation(errors))) => {
            show_page(
                state,
                staff,
                id,
                form,
                &errors,
                String::new(),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(ReferralError::Refused(refusal)) => {
            let notice = refusal.message(t.0).to_owned();
            show_page(
                state,
                staff,
                id,
                form,
                &FieldErrors::default(),
                notice,
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(ReferralError::AlreadyPending) => {
            let notice = t.get("referral.already_pending").to_owned();
            show_page(
                state,
                staff,
                id,
                form,
                &FieldErrors::default(),
                notice,
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(ReferralError::Service(e)) => Ok(service_error_page(t, &e)),
    }
}
