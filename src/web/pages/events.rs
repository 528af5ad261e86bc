//! Events for the organization that runs them and its office: the list, the form, the
//! event's page (roles, sign-ups, needs), inviting volunteers, checking people in on a phone,
//! turning attendance into confirmed hours, and cancelling. Each step that tells people or
//! cannot be undone asks first.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::Form;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::confirm::{self, Confirm};
use super::{Chrome, Field, Options, OrPage, PageError, PageResult, field, render};
use crate::AppState;
use crate::domain::event::{EventForm, EventKind, EventStatus, SignupStatus, check_in_opens};
use crate::domain::input::{FieldError, FieldErrors};
use crate::domain::time::LOCAL_OFFSET;
use crate::i18n::Tr;
use crate::services::ServiceError;
use crate::services::events::attendance::HoursOutcome;
use crate::services::events::{self, EventSummary, EventView, attendance, signups};
use crate::web::session::Staff;

/// A time as the pages show it, local.
fn local(t: DateTime<Utc>) -> String {
    t.with_timezone(&LOCAL_OFFSET).format("%Y-%m-%d %H:%M").to_string()
}

fn tenths(t: i64) -> String {
    format!("{}.{}", t / 10, t % 10)
}

/// An event in a list, ready to show.
struct Row {
    id: i64,
    kind: String,
    title: String,
    when: String,
    place: String,
    organizer: String,
    status: String,
    filled: String,
    past: bool,
}

fn row(t: Tr, e: &EventSummary, now: DateTime<Utc>) -> Row {
    Row {
        id: e.id,
        kind: e.kind.label(t.0).to_owned(),
        title: e.title.clone(),
        when: events::when(e.starts_at, e.ends_at),
        place: e.place.get(t.0).to_owned(),
        organizer: e.organizer.clone(),
        status: e.status.label(t.0).to_owned(),
        filled: t.fill(
            "event.filled",
            &[("taken", &e.taken.to_string()), ("slots", &e.slots.to_string())],
        ),
        past: e.ends_at <= now,
    }
}

#[derive(Template)]
#[template(path = "events.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<Row>,
    may_create: bool,
}

/// `GET /events`.
pub async fn list(State(state): State<AppState>, staff: Staff) -> PageResult {
    let t = staff.t;
    let now = Utc::now();
    let rows = events::list(&state.db, &staff.caller, now).await.or_page(t)?;
    Ok(render(
        StatusCode::OK,
        ListPage {
            c: Chrome::new(t, &staff.session, "event.list_title"),
            rows: rows.iter().map(|e| row(t, e, now)).collect(),
            may_create: staff.caller.organization_id().is_some() || staff.caller.is_office(),
        },
    ))
}

/// The event form as posted.
#[derive(Debug, Default, Deserialize)]
pub struct EventFormBody {
    #[serde(default)]
    organization: Option<i64>,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    starts_at: String,
    #[serde(default)]
    ends_at: String,
    #[serde(default)]
    place: String,
    #[serde(default)]
    place_detail: String,
    #[serde(default)]
    roles: String,
    /// Ticked needs (`needs=3&needs=5`).
    #[serde(default)]
    needs: Vec<i64>,
    /// `places`: the office changed the organization and asks for its places and needs, the
    /// typed values kept; nothing is created.
    #[serde(default)]
    step: String,
}

impl EventFormBody {
    fn form(&self) -> EventForm {
        EventForm {
            kind: self.kind.clone(),
            title: self.title.clone(),
            description: self.description.clone(),
            starts_at: self.starts_at.clone(),
            ends_at: self.ends_at.clone(),
            place: self.place.clone(),
            place_detail: self.place_detail.clone(),
            roles: self.roles.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "event_form.html")]
struct FormPage {
    c: Chrome,
    organizations: Options,
    organization_error: String,
    kinds: Options,
    kind_error: String,
    title: Field,
    description: Field,
    starts_at: Field,
    ends_at: Field,
    places: Options,
    place_error: String,
    place_detail: Field,
    roles: Field,
    needs: Vec<(i64, String, bool)>,
    needs_error: String,
}

/// Which organization's places and needs the office's form shows.
#[derive(Debug, Default, Deserialize)]
pub struct ForOrganization {
    #[serde(default)]
    organization: Option<i64>,
}

async fn form_page(
    state: &AppState,
    staff: &Staff,
    body: &EventFormBody,
    errors: &FieldErrors,
    status: StatusCode,
) -> PageResult {
    let t = staff.t;
    let options = events::form_options(&state.db, &staff.caller, body.organization, t.0)
        .await
        .or_page(t)?;
    let chosen = body.organization.or_else(|| options.organizations.first().map(|o| o.0));
    let message = |name: &str| errors.get(name).map(|e| e.message(t.0)).unwrap_or_default();
    let kind = if body.kind.is_empty() {
        EventKind::Claiming.as_str()
    } else {
        body.kind.as_str()
    };
    Ok(render(
        status,
        FormPage {
            c: Chrome::new(t, &staff.session, "event.new_title"),
            organizations: options
                .organizations
                .iter()
                .map(|(id, name)| (id.to_string(), name.clone(), Some(*id) == chosen))
                .collect(),
            organization_error: message("organization"),
            kinds: super::enum_options(EventKind::ALL, EventKind::as_str, EventKind::label, t, kind),
            kind_error: message("kind"),
            title: field(t, "title", &body.title, errors),
            description: field(t, "description", &body.description, errors),
            starts_at: field(t, "starts_at", &body.starts_at, errors),
            ends_at: field(t, "ends_at", &body.ends_at, errors),
            places: options
                .places
                .iter()
                .map(|p| (p.value.clone(), p.label.clone(), p.value == body.place))
                .collect(),
            place_error: message("place"),
            place_detail: field(t, "place_detail", &body.place_detail, errors),
            roles: field(t, "roles", &body.roles, errors),
            needs: options
                .needs
                .iter()
                .map(|n| (n.id, n.title.clone(), body.needs.contains(&n.id)))
                .collect(),
            needs_error: message("needs"),
        },
    ))
}

/// `GET /events/new` (the office: `?organization=ID` picks whose places and needs are shown).
pub async fn new_form(State(state): State<AppState>, staff: Staff, Query(q): Query<ForOrganization>) -> PageResult {
    let body = EventFormBody {
        organization: q.organization,
        ..Default::default()
    };
    form_page(&state, &staff, &body, &FieldErrors::default(), StatusCode::OK).await
}

/// `POST /events`.
pub async fn create(State(state): State<AppState>, staff: Staff, Form(body): Form<EventFormBody>) -> PageResult {
    if body.step == "places" {
        return form_page(&state, &staff, &body, &FieldErrors::default(), StatusCode::OK).await;
    }
    let result = events::create(
        &state.db,
        &state.config.secret_key,
        &staff.caller,
        body.organization,
        &body.form(),
        &body.needs,
        Utc::now(),
    )
    .await;
    match result {
        Ok(id) => Ok(Redirect::to(&format!("/events/{id}")).into_response()),
        Err(ServiceError::Validation(errors)) => {
            form_page(&state, &staff, &body, &errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(PageError::new(staff.t, e)),
    }
}

/// A sign-up as the event page shows it.
struct SignupLine {
    id: i64,
    name: String,
    role: String,
    status: String,
    checked_in: bool,
    hours: String,
    /// Still held (signed up or waiting): the organizer may cancel it before the start.
    held: bool,
}

#[derive(Template)]
#[template(path = "event_show.html")]
struct ShowPage {
    c: Chrome,
    id: i64,
    r: Row,
    description: String,
    roles: Vec<(String, String)>,
    needs: Vec<(i64, String, String)>,
    signups: Vec<SignupLine>,
    runs_it: bool,
    scheduled: bool,
    started: bool,
    ended: bool,
    invited: String,
    check_in_open: bool,
    volunteers_to_add: Vec<(i64, String)>,
    role_options: Vec<(i64, String)>,
    needs_to_add: Vec<(i64, String)>,
}

fn signup_lines(t: Tr, view: &EventView) -> Vec<SignupLine> {
    view.signups
        .iter()
        .map(|s| SignupLine {
            id: s.id,
            name: match &s.shop {
                Some(shop) => t.fill("event.staff_of", &[("name", &s.volunteer), ("shop", shop)]),
                None => s.volunteer.clone(),
            },
            role: s.role.clone(),
            status: match s.status {
                // The sign-ups of a cancelled event are not "signed up" any more.
                _ if view.summary.status == EventStatus::Cancelled => t.get("event.cancelled_with_event").to_owned(),
                SignupStatus::Waitlisted => t.fill("event.waitlist_position", &[("n", &s.position.to_string())]),
                other => other.label(t.0).to_owned(),
            },
            checked_in: s.checked_in,
            held: s.status != SignupStatus::Cancelled,
            hours: s
                .tenths
                .map(|h| t.fill("event.hours_recorded", &[("hours", &tenths(i64::from(h)))]))
                .unwrap_or_default(),
        })
        .collect()
}

/// `GET /events/{id}`.
pub async fn show(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> PageResult {
    let t = staff.t;
    let now = Utc::now();
    let view = events::show(&state.db, &staff.caller, id, now).await.or_page(t)?;
    let mut c = Chrome::new(t, &staff.session, "event.list_title");
    c.title = view.summary.title.clone();
    Ok(render(
        StatusCode::OK,
        ShowPage {
            c,
            id,
            r: row(t, &view.summary, now),
            description: view.description.clone(),
            roles: view
                .roles
                .iter()
                .map(|r| {
                    let line = t.fill(
                        "event.role_line",
                        &[
                            ("taken", &r.taken.min(r.slots).to_string()),
                            ("slots", &r.slots.to_string()),
                            ("waitlisted", &r.waitlisted.to_string()),
                        ],
                    );
                    (r.name.clone(), line)
                })
                .collect(),
            needs: view
                .needs
                .iter()
                .map(|n| {
                    (
                        n.id,
                        n.title.clone(),
                        format!("{} · {} {}", n.status.label(t.0), n.left, n.unit),
                    )
                })
                .collect(),
            signups: signup_lines(t, &view),
            runs_it: view.runs_it,
            scheduled: view.summary.status == EventStatus::Scheduled,
            started: view.summary.starts_at <= now,
            ended: view.summary.ends_at <= now,
            invited: view
                .invited_at
                .map(|at| t.fill("event.invited_at", &[("when", &local(at))]))
                .unwrap_or_default(),
            check_in_open: check_in_opens(view.summary.starts_at) <= now,
            volunteers_to_add: view.volunteers_to_add.clone(),
            role_options: view.roles.iter().map(|r| (r.id, r.name.clone())).collect(),
            needs_to_add: view.needs_to_add.iter().map(|n| (n.id, n.title.clone())).collect(),
        },
    ))
}

/// The page that asks before `step` ("invite", "cancel") of event `id`: what happens and who
/// is told, and, when `reason` is given, the reason field (typed value and error kept).
fn ask(staff: &Staff, id: i64, view: &EventView, step: &str, told: Vec<String>, reason: Option<Field>) -> Response {
    let t = staff.t;
    let title = t.get(&format!("event.{step}_title")).to_owned();
    confirm::page(
        Chrome::new(t, &staff.session, &format!("event.{step}_title")),
        title,
        Confirm {
            subject: view.summary.title.clone(),
            effects: vec![t.get(&format!("event.{step}_effect")).to_owned()],
            told,
            action: format!("/events/{id}/{step}"),
            hidden: Vec::new(),
            reason_label: if reason.is_some() {
                t.get(&format!("event.{step}_reason")).to_owned()
            } else {
                String::new()
            },
            // Only a step that asks why takes something away: the red button.
            danger: reason.is_some(),
            reason: reason.unwrap_or_default(),
            button: t.get(&format!("event.{step}_button")).to_owned(),
            back: format!("/events/{id}"),
        },
    )
}

/// `GET /events/{id}/invite`: asks before emailing every volunteer, counting who gets mail
/// now and who cannot be invited.
pub async fn ask_invite(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> PageResult {
    let t = staff.t;
    let now = Utc::now();
    let view = events::show(&state.db, &staff.caller, id, now).await.or_page(t)?;
    let reach = signups::invite_reach(&state.db, &staff.caller, id, now)
        .await
        .or_page(t)?;
    let mut told = vec![
        t.get("event.invite_told").to_owned(),
        t.count("event.invite_new", reach.new, &[("n", &reach.new.to_string())]),
    ];
    for (n, key) in [
        (reach.already, "event.invite_already"),
        (reach.waiting_consent, "event.invite_waiting_consent"),
        (reach.unreachable, "event.invite_unreachable"),
    ] {
        if n > 0 {
            told.push(t.count(key, n, &[("n", &n.to_string())]));
        }
    }
    Ok(ask(&staff, id, &view, "invite", told, None))
}

/// `POST /events/{id}/invite`.
pub async fn invite(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> PageResult {
    signups::invite(&state.db, &staff.caller, id, Utc::now())
        .await
        .or_page(staff.t)?;
    Ok(Redirect::to(&format!("/events/{id}")).into_response())
}

/// `GET /events/{id}/cancel`: asks why before cancelling and telling everyone signed up.
pub async fn ask_cancel(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> PageResult {
    cancel_page(&state, &staff, id, Field::default()).await
}

async fn cancel_page(state: &AppState, staff: &Staff, id: i64, reason: Field) -> PageResult {
    let view = events::show(&state.db, &staff.caller, id, Utc::now())
        .await
        .or_page(staff.t)?;
    let n = view.signups.len();
    let told = vec![
        staff.t.count("event.cancel_told", n as u64, &[("n", &n.to_string())]),
        staff.t.get("event.cancel_reason_told").to_owned(),
    ];
    Ok(ask(staff, id, &view, "cancel", told, Some(reason)))
}

/// The cancel form: why.
#[derive(Debug, Default, Deserialize)]
pub struct CancelBody {
    #[serde(default)]
    reason: String,
}

/// `POST /events/{id}/cancel`: cancels with the reason, or asks again (422) beside the field.
pub async fn cancel(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(body): Form<CancelBody>,
) -> PageResult {
    let result = signups::cancel_event(
        &state.db,
        &state.config.secret_key,
        &staff.caller,
        id,
        &body.reason,
        Utc::now(),
    )
    .await;
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/events/{id}")).into_response()),
        Err(e) => {
            let reason = confirm::ask_again(staff.t, e, body.reason)?;
            cancel_page(&state, &staff, id, reason).await
        }
    }
}

#[derive(Template)]
#[template(path = "event_checkin.html")]
struct CheckInPage {
    c: Chrome,
    id: i64,
    title: String,
    when: String,
    signups: Vec<SignupLine>,
    here: String,
    /// Why people cannot be checked in now (not yet open, recorded, cancelled); empty when
    /// they can, and the buttons show.
    closed: String,
}

/// `GET /events/{id}/check-in`: a phone-sized list with one button a person.
pub async fn check_in_page(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> PageResult {
    let t = staff.t;
    let now = Utc::now();
    let view = events::show(&state.db, &staff.caller, id, now).await.or_page(t)?;
    if !view.runs_it {
        return Err(PageError::new(t, ServiceError::Forbidden));
    }
    let signups = signup_lines(t, &view);
    let opens = check_in_opens(view.summary.starts_at);
    let closed = match view.summary.status {
        EventStatus::HoursRecorded => t.get("event.check_in_recorded").to_owned(),
        EventStatus::Cancelled => t.get("event.check_in_cancelled").to_owned(),
        EventStatus::Scheduled if now < opens => t.fill("event.check_in_opens", &[("when", &local(opens))]),
        EventStatus::Scheduled => String::new(),
    };
    Ok(render(
        StatusCode::OK,
        CheckInPage {
            c: Chrome::new(t, &staff.session, "event.check_in_title"),
            id,
            title: view.summary.title.clone(),
            when: events::when(view.summary.starts_at, view.summary.ends_at),
            here: t.fill(
                "event.here_count",
                &[
                    ("here", &signups.iter().filter(|s| s.checked_in).count().to_string()),
                    ("all", &signups.len().to_string()),
                ],
            ),
            signups,
            closed,
        },
    ))
}

/// The check-in button's form.
#[derive(Debug, Default, Deserialize)]
pub struct CheckInBody {
    #[serde(default)]
    undo: Option<String>,
}

/// `POST /events/{id}/check-in/{signup_id}`.
pub async fn check_in(
    State(state): State<AppState>,
    staff: Staff,
    Path((id, signup_id)): Path<(i64, i64)>,
    Form(body): Form<CheckInBody>,
) -> PageResult {
    let t = staff.t;
    match attendance::check_in(&state.db, &staff.caller, id, signup_id, body.undo.is_some(), Utc::now()).await {
        Ok(()) => Ok(Redirect::to(&format!("/events/{id}/check-in#s{signup_id}")).into_response()),
        Err(ServiceError::Conflict(_)) => Ok(super::notice_page(
            t,
            &staff.session,
            StatusCode::CONFLICT,
            "event.check_in_title",
            "event.check_in_closed",
            &format!("/events/{id}"),
            "event.back",
        )),
        Err(e) => Err(PageError::new(t, e)),
    }
}

/// One person's line on the hours form: their sign-up, name, role, the hours as typed or
/// by default, and what is wrong with them.
struct HoursLine {
    id: i64,
    name: String,
    role: String,
    value: String,
    error: String,
}

#[derive(Template)]
#[template(path = "event_hours.html")]
struct HoursPage {
    c: Chrome,
    id: i64,
    title: String,
    people: Vec<HoursLine>,
    default_hours: String,
    /// Why the hours cannot be recorded now (before the end, once recorded, cancelled);
    /// empty when they can.
    closed: String,
    has_errors: bool,
}

async fn hours_page(
    state: &AppState,
    staff: &Staff,
    id: i64,
    typed: &[(String, String)],
    errors: &[(i64, FieldError)],
) -> PageResult {
    let t = staff.t;
    let now = Utc::now();
    let view = events::show(&state.db, &staff.caller, id, now).await.or_page(t)?;
    if !view.runs_it {
        return Err(PageError::new(t, ServiceError::Forbidden));
    }
    let default_hours = tenths(i64::from(view.default_tenths));
    let default_line = t.fill("event.hours_default", &[("hours", &default_hours)]);
    let people = signup_lines(t, &view)
        .into_iter()
        .filter(|s| s.checked_in)
        .map(|s| {
            let key = format!("h{}", s.id);
            let value = typed
                .iter()
                .find(|(k, _)| *k == key)
                .map_or_else(|| default_hours.clone(), |(_, v)| v.clone());
            let error = errors
                .iter()
                .find(|(signup, _)| *signup == s.id)
                .map(|(_, e)| e.message(t.0))
                .unwrap_or_default();
            HoursLine {
                id: s.id,
                name: s.name,
                role: s.role,
                value,
                error,
            }
        })
        .collect();
    let closed = match view.summary.status {
        EventStatus::HoursRecorded => t.get("event.hours_done").to_owned(),
        EventStatus::Cancelled => t.get("event.hours_cancelled").to_owned(),
        EventStatus::Scheduled if now < view.summary.ends_at => {
            t.fill("event.hours_after_end", &[("when", &local(view.summary.ends_at))])
        }
        EventStatus::Scheduled => String::new(),
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(render(
        status,
        HoursPage {
            c: Chrome::new(t, &staff.session, "event.hours_title"),
            id,
            title: view.summary.title.clone(),
            people,
            default_hours: default_line,
            closed,
            has_errors: !errors.is_empty(),
        },
    ))
}

/// `GET /events/{id}/hours`: the attendance to record, each person's hours editable, and
/// what recording does (it confirms them and emails the volunteers: it is final).
pub async fn hours_form(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> PageResult {
    hours_page(&state, &staff, id, &[], &[]).await
}

/// `POST /events/{id}/hours`: `h<signup id>=<hours>` for each person, as typed; the service
/// reads them.
pub async fn record_hours(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(body): Form<Vec<(String, String)>>,
) -> PageResult {
    let t = staff.t;
    let typed: Vec<(i64, String)> = body
        .iter()
        .filter_map(|(key, value)| {
            let signup = key.strip_prefix('h')?.parse::<i64>().ok()?;
            Some((signup, value.clone()))
        })
        .collect();
    match attendance::record_hours(&state.db, &staff.caller, id, &typed, Utc::now()).await {
        Ok(HoursOutcome::Recorded(_)) => Ok(Redirect::to(&format!("/events/{id}")).into_response()),
        Ok(HoursOutcome::Invalid(errors)) => hours_page(&state, &staff, id, &body, &errors).await,
        Err(ServiceError::Conflict(_)) => Ok(super::notice_page(
            t,
            &staff.session,
            StatusCode::CONFLICT,
            "event.hours_title",
            "event.hours_not_now",
            &format!("/events/{id}"),
            "event.back",
        )),
        Err(e) => Err(PageError::new(t, e)),
    }
}

/// The organizer's sign-up form: a registered volunteer and a role.
#[derive(Debug, Default, Deserialize)]
pub struct OrganizerSignup {
    #[serde(default)]
    volunteer: i64,
    #[serde(default)]
    role: i64,
}

/// `POST /events/{id}/signups`: the organizer signs up someone who phoned, or has no email.
pub async fn sign_up(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(body): Form<OrganizerSignup>,
) -> PageResult {
    signups::sign_up_by_organizer(&state.db, &staff.caller, id, body.volunteer, body.role, Utc::now())
        .await
        .or_page(staff.t)?;
    Ok(Redirect::to(&format!("/events/{id}")).into_response())
}

/// `GET /events/{id}/signups/{signup_id}/cancel`: asks before the organizer cancels a
/// sign-up for someone who told it (by phone, say): whom, which role, whether they are
/// emailed, and who moves up from the waitlist.
pub async fn ask_cancel_signup(
    State(state): State<AppState>,
    staff: Staff,
    Path((id, signup_id)): Path<(i64, i64)>,
) -> PageResult {
    let t = staff.t;
    let s = match signups::signup_to_cancel(&state.db, &staff.caller, id, signup_id, Utc::now()).await {
        Ok(s) => s,
        Err(ServiceError::Conflict(_)) => return Ok(signup_cancel_closed(&staff, id)),
        Err(e) => return Err(PageError::new(t, e)),
    };
    if s.status == SignupStatus::Cancelled {
        return Ok(Redirect::to(&format!("/events/{id}")).into_response());
    }
    let name = match &s.shop {
        Some(shop) => t.fill("event.staff_of", &[("name", &s.volunteer), ("shop", shop)]),
        None => s.volunteer.clone(),
    };
    let who = [("name", name.as_str()), ("role", s.role.as_str())];
    let mut effects = Vec::new();
    if s.status == SignupStatus::Waitlisted {
        effects.push(t.fill("event.signup_cancel_waitlist", &who));
    } else {
        effects.push(t.fill("event.signup_cancel_effect", &who));
        effects.push(match &s.next_up {
            Some(next) => t.fill("event.signup_cancel_next_up", &[("next", next)]),
            None => t.get("event.signup_cancel_no_waitlist").to_owned(),
        });
    }
    let mut told = vec![t.fill(
        if s.emailed {
            "event.signup_cancel_emailed"
        } else {
            "event.signup_cancel_not_emailed"
        },
        &who,
    )];
    if s.next_up.is_some() {
        told.push(t.get("event.signup_cancel_next_told").to_owned());
    }
    let title = t.get("event.signup_cancel_title").to_owned();
    Ok(confirm::page(
        Chrome::new(t, &staff.session, "event.signup_cancel_title"),
        title,
        Confirm {
            subject: format!("{name} · {} · {}", s.role, s.event),
            effects,
            told,
            action: format!("/events/{id}/signups/{signup_id}/cancel"),
            hidden: Vec::new(),
            reason_label: String::new(),
            reason: Field::default(),
            button: t.get("event.signup_cancel_button").to_owned(),
            danger: true,
            back: format!("/events/{id}"),
        },
    ))
}

/// `POST /events/{id}/signups/{signup_id}/cancel`.
pub async fn cancel_signup(
    State(state): State<AppState>,
    staff: Staff,
    Path((id, signup_id)): Path<(i64, i64)>,
) -> PageResult {
    match signups::cancel_by_organizer(&state.db, &staff.caller, id, signup_id, Utc::now()).await {
        Ok(()) => Ok(Redirect::to(&format!("/events/{id}")).into_response()),
        Err(ServiceError::Conflict(_)) => Ok(signup_cancel_closed(&staff, id)),
        Err(e) => Err(PageError::new(staff.t, e)),
    }
}

/// Says in words that sign-ups of a cancelled or recorded event stay as they are.
fn signup_cancel_closed(staff: &Staff, id: i64) -> Response {
    super::notice_page(
        staff.t,
        &staff.session,
        StatusCode::CONFLICT,
        "event.signup_cancel_title",
        "event.signup_cancel_closed",
        &format!("/events/{id}"),
        "event.back",
    )
}

/// The add-a-need form.
#[derive(Debug, Default, Deserialize)]
pub struct AddNeed {
    #[serde(default)]
    need: i64,
}

/// `POST /events/{id}/needs`: gathers one more open need of the organization at the event.
pub async fn add_need(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(body): Form<AddNeed>,
) -> PageResult {
    events::attach_need(&state.db, &staff.caller, id, body.need, Utc::now())
        .await
        .or_page(staff.t)?;
    Ok(Redirect::to(&format!("/events/{id}")).into_response())
}

/// `GET /events/{id}/poster`: the event's open needs as an A4 poster of public cards, each
/// with the QR code that opens the bot on it, under the event's title, time and place.
pub async fn poster(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> PageResult {
    let t = staff.t;
    let now = Utc::now();
    let view = events::show(&state.db, &staff.caller, id, now).await.or_page(t)?;
    let ids = events::open_need_ids(&state.db, id).await.or_page(t)?;
    let found = crate::services::posters::open_needs(&state.db, &staff.caller, Some(&ids), now)
        .await
        .or_page(t)?;
    let e = &view.summary;
    let subheading = format!(
        "{} · {} · {}",
        e.kind.label(t.0),
        events::when(e.starts_at, e.ends_at),
        e.place.get(t.0)
    );
    Ok(super::poster::render(
        Chrome::new(t, &staff.session, "poster.title"),
        state.bot_username().as_deref(),
        &e.title,
        &subheading,
        &found.cards,
        found.left_out,
    ))
}
