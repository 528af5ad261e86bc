//! Shops that applied in the bot (`/join`): the office of their subdistrict reviews them —
//! approve, ask for more, or reject with a reason, each asked first on the confirmation
//! page since the shop is told. The district bureau reads every subdistrict's, read-only.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use super::super::applications::ApplicationTabs;
use super::super::confirm::{self, Confirm};
use super::super::views::local_time;
use super::super::{Chrome, Field, OrPage, PageResult, render};
use crate::AppState;
use crate::domain::merchant_application::ApplicationStatus;
use crate::services::merchant_applications::{self, Application, Decision};
use crate::services::{ServiceError, subdistricts};
use crate::web::session::Staff;

/// One application in the list.
struct Row {
    id: i64,
    shop_name: String,
    category: String,
    community: String,
    subdistrict: String,
    status: String,
    submitted: String,
}

#[derive(Template)]
#[template(path = "admin_merchant_applications.html")]
struct ListPage {
    c: Chrome,
    tabs: ApplicationTabs,
    rows: Vec<Row>,
}

#[derive(Template)]
#[template(path = "admin_merchant_application.html")]
struct DetailPage {
    c: Chrome,
    a: Application,
    category: String,
    community: String,
    kind: String,
    status: String,
    /// True while the office may decide (submitted).
    open: bool,
    submitted: String,
    /// Why the page is shown again instead of the decision (another decided it first).
    notice: String,
    /// Suspended shops (or in credit band D) it looks like: (what matches, in a sentence;
    /// the shop's page, for the office of its subdistrict).
    lookalikes: Vec<(String, String)>,
}

/// `GET /admin/merchant-applications`.
pub async fn list(State(state): State<AppState>, staff: Staff) -> PageResult {
    let t = staff.t;
    let all = merchant_applications::list(&state.db, &staff.caller, chrono::Utc::now())
        .await
        .or_page(t)?;
    let district = subdistricts::district(&state.db).await.or_page(t)?;
    let rows = all
        .into_iter()
        .map(|a| Row {
            id: a.id,
            category: a.category.label(t.0).to_owned(),
            community: a.community_in(t.0).to_owned(),
            subdistrict: district
                .subdistrict(a.subdistrict_id)
                .map(|s| s.name_in(t.0).to_owned())
                .unwrap_or_default(),
            status: a.status.label(t.0).to_owned(),
            submitted: local_time(a.updated_at),
            shop_name: a.shop_name,
        })
        .collect();
    let tabs = ApplicationTabs::load(&state, &staff, "merchants", None).await?;
    let c = Chrome::new(t, &staff.session, "join.title");
    Ok(render(StatusCode::OK, ListPage { c, tabs, rows }))
}

/// `GET /admin/merchant-applications/{id}`: everything the shop gave, the code and its kind.
pub async fn detail(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> PageResult {
    detail_page(&state, &staff, id, StatusCode::OK, String::new()).await
}

async fn detail_page(state: &AppState, staff: &Staff, id: i64, status: StatusCode, notice: String) -> PageResult {
    let t = staff.t;
    let (a, lookalikes) = merchant_applications::review(&state.db, &staff.caller, id, chrono::Utc::now())
        .await
        .or_page(t)?;
    let district = subdistricts::district(&state.db).await.or_page(t)?;
    let lookalikes = lookalikes
        .iter()
        .map(|l| {
            let why = match (l.same_phone, l.same_name) {
                (true, true) => "join.lookalike.both",
                (true, false) => "join.lookalike.phone",
                _ => "join.lookalike.name",
            };
            let subdistrict = district
                .subdistrict(l.subdistrict_id)
                .map(|s| s.name_in(t.0).to_owned())
                .unwrap_or_default();
            // Another subdistrict's shop is not named, nor its band told: that office is asked.
            let Some(shop) = &l.shop else {
                let sentence = t.fill(
                    "join.lookalike_elsewhere",
                    &[("why", t.get(why)), ("subdistrict", &subdistrict)],
                );
                return (sentence, String::new());
            };
            let who = if shop.suspended {
                "join.lookalike.suspended"
            } else {
                "join.lookalike.band_d"
            };
            let sentence = t.fill(
                "join.lookalike",
                // The shop's own name last, so that nothing it holds is read as a placeholder.
                &[
                    ("subdistrict", &subdistrict),
                    ("why", t.get(why)),
                    ("who", t.get(who)),
                    ("shop", &shop.name),
                ],
            );
            let link = format!("/admin/merchants/{}/offers", shop.merchant_id);
            (sentence, link)
        })
        .collect();
    let mut c = Chrome::new(t, &staff.session, "join.title");
    c.title = t.fill("join.detail_title", &[("name", &a.shop_name)]);
    Ok(render(
        status,
        DetailPage {
            c,
            category: a.category.label(t.0).to_owned(),
            community: a.community_in(t.0).to_owned(),
            kind: a.kind.label(t.0).to_owned(),
            status: a.status.label(t.0).to_owned(),
            open: a.status == ApplicationStatus::Submitted,
            submitted: local_time(a.updated_at),
            notice,
            lookalikes,
            a,
        },
    ))
}

/// Which decision a confirmation page asks for.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Approve,
    More,
    Reject,
}

impl Kind {
    fn path(self) -> &'static str {
        match self {
            Kind::Approve => "approve",
            Kind::More => "more",
            Kind::Reject => "reject",
        }
    }
}

/// The message or reason typed on the confirmation page.
#[derive(Debug, Default, Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    reason: String,
}

async fn confirm_page(state: &AppState, staff: &Staff, id: i64, kind: Kind, reason: Field) -> PageResult {
    let t = staff.t;
    let (a, lookalikes) = merchant_applications::review(&state.db, &staff.caller, id, chrono::Utc::now())
        .await
        .or_page(t)?;
    let community = a.community_in(t.0).to_owned();
    let district = subdistricts::district(&state.db).await.or_page(t)?;
    let (title, effects, reason_label, button) = match kind {
        Kind::Approve => (
            "join.approve_title",
            // A shop that looks like a suspended one is said again where the office decides.
            lookalikes
                .iter()
                .map(|l| match &l.shop {
                    Some(shop) => {
                        let who = if shop.suspended {
                            "join.lookalike.suspended"
                        } else {
                            "join.lookalike.band_d"
                        };
                        t.fill("join.lookalike_approve", &[("who", t.get(who)), ("shop", &shop.name)])
                    }
                    None => {
                        let subdistrict = district
                            .subdistrict(l.subdistrict_id)
                            .map(|s| s.name_in(t.0).to_owned())
                            .unwrap_or_default();
                        t.fill("join.lookalike_approve_elsewhere", &[("subdistrict", &subdistrict)])
                    }
                })
                .chain([
                    t.fill("join.approve_effect_merchant", &[("community", &community)]),
                    t.get("join.approve_effect_linked").to_owned(),
                ])
                .collect(),
            String::new(),
            "join.approve",
        ),
        Kind::More => (
            "join.more_title",
            vec![t.get("join.more_effect").to_owned()],
            t.get("join.more_label").to_owned(),
            "join.more",
        ),
        Kind::Reject => (
            "join.reject_title",
            vec![t.get("join.reject_effect").to_owned()],
            t.get("join.reject_label").to_owned(),
            "join.reject",
        ),
    };
    Ok(confirm::page(
        Chrome::new(t, &staff.session, "join.title"),
        t.fill(title, &[("name", &a.shop_name)]),
        Confirm {
            subject: t.fill(
                "applications.name_sent_on",
                &[("name", &a.shop_name), ("date", &local_time(a.updated_at))],
            ),
            effects,
            told: vec![t.get("join.told_shop").to_owned()],
            action: format!("/admin/merchant-applications/{id}/{}", kind.path()),
            hidden: Vec::new(),
            reason_label,
            reason,
            button: t.get(button).to_owned(),

            danger: matches!(kind, Kind::Reject),
            back: format!("/admin/merchant-applications/{id}"),
        },
    ))
}

async fn decide(state: &AppState, staff: &Staff, id: i64, kind: Kind, form: DecisionForm) -> PageResult {
    let decision = match kind {
        Kind::Approve => Decision::Approve,
        Kind::More => Decision::AskMore(form.reason.clone()),
        Kind::Reject => Decision::Reject(form.reason.clone()),
    };
    match merchant_applications::decide(&state.db, &staff.caller, id, decision, chrono::Utc::now()).await {
        Ok(_) => Ok(Redirect::to(&format!("/admin/merchant-applications/{id}")).into_response()),
        // Another shop holds the code (approved meanwhile): its page says so, and why.
        Err(ServiceError::Validation(errors)) if errors.get("credit_code").is_some() => {
            Ok(Redirect::to(&format!("/admin/merchant-applications/{id}")).into_response())
        }
        // Another office account (or another tab) decided first: the application as it
        // stands now, and a line saying so, instead of a bare error.
        Err(ServiceError::IllegalTransition(_)) => {
            let notice = staff.t.get("join.already_decided").to_owned();
            detail_page(state, staff, id, StatusCode::CONFLICT, notice).await
        }
        Err(e) => {
            let reason = confirm::ask_again(staff.t, e, form.reason)?;
            confirm_page(state, staff, id, kind, reason).await
        }
    }
}

/// `GET /admin/merchant-applications/{id}/approve`: what approving does, and who is told.
pub async fn approve_form(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> PageResult {
    confirm_page(&state, &staff, id, Kind::Approve, Field::default()).await
}

/// `POST /admin/merchant-applications/{id}/approve`.
pub async fn approve(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(form): Form<DecisionForm>,
) -> PageResult {
    decide(&state, &staff, id, Kind::Approve, form).await
}

/// `GET /admin/merchant-applications/{id}/more`: the message to the shop.
pub async fn more_form(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> PageResult {
    confirm_page(&state, &staff, id, Kind::More, Field::default()).await
}

/// `POST /admin/merchant-applications/{id}/more`.
pub async fn more(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(form): Form<DecisionForm>,
) -> PageResult {
    decide(&state, &staff, id, Kind::More, form).await
}

/// `GET /admin/merchant-applications/{id}/reject`: the reason the shop reads.
pub async fn reject_form(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> PageResult {
    confirm_page(&state, &staff, id, Kind::Reject, Field::default()).await
}

/// `POST /admin/merchant-applications/{id}/reject`.
pub async fn reject(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(form): Form<DecisionForm>,
) -> PageResult {
    decide(&state, &staff, id, Kind::Reject, form).await
}
