//! The dashboard.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;

use super::views::{ClaimItem, NeedItem};
use super::{Chrome, OrPage, PageResult, render};
use crate::AppState;
use crate::domain::visits::Due;
use crate::services::dashboard;
use crate::web::session::Staff;

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    c: Chrome,
    open_needs: Vec<NeedItem>,
    to_confirm: Vec<ClaimItem>,
    overdue: Vec<ClaimItem>,
    disputed: Vec<ClaimItem>,
    near_deadline: Vec<NeedItem>,
    aging: Vec<(NeedItem, &'static str)>,
    /// Visits due and overdue: (beneficiary id, code, group, when due, last visit, overdue).
    visits_due: Vec<(i64, String, String, String, String, bool)>,
    /// For the office: what waits in admissions, as (link, text) lines; `None` for a worker.
    admissions: Option<Vec<(&'static str, String)>>,
}

/// The office's admission counts as lines that link to where each is done; nothing counted
/// zero is shown.
fn admission_lines(t: crate::i18n::Tr, a: &dashboard::Admissions) -> Vec<(&'static str, String)> {
    let line = |href, key: &str, n: u64| (n > 0).then(|| (href, t.count(key, n, &[("n", &n.to_string())])));
    [
        line(
            "/admin/applications",
            "dashboard.admissions_orgs",
            a.organizations_waiting,
        ),
        line(
            "/admin/merchant-applications",
            "dashboard.admissions_shops",
            a.merchants_waiting,
        ),
        line(
            "/admin/renewals",
            "dashboard.admissions_overdue",
            a.renewals_overdue as u64,
        ),
        line("/admin/renewals", "dashboard.admissions_due", a.renewals_due as u64),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// `GET /`: what needs attention.
pub async fn show(State(state): State<AppState>, staff: Staff) -> PageResult {
    let t = staff.t;
    // The district bureau reads reports; it has no day-to-day work.
    if staff.session.role == crate::domain::Role::District {
        return Ok(axum::response::Redirect::to("/admin/reports").into_response());
    }
    let now = chrono::Utc::now();
    let d = dashboard::dashboard(&state.db, &staff.caller, now).await.or_page(t)?;
    Ok(render(
        StatusCode::OK,
        DashboardPage {
            c: Chrome::new(t, &staff.session, "dashboard.title"),
            admissions: d.admissions.as_ref().map(|a| admission_lines(t, a)),
            open_needs: d.open_needs.iter().map(|n| NeedItem::new(t, n)).collect(),
            to_confirm: d.to_confirm.iter().map(|c| ClaimItem::new(t, c, now)).collect(),
            overdue: d.overdue.iter().map(|c| ClaimItem::new(t, c, now)).collect(),
            disputed: d.disputed.iter().map(|c| ClaimItem::new(t, c, now)).collect(),
            near_deadline: d.near_deadline.iter().map(|n| NeedItem::new(t, n)).collect(),
            aging: d
                .aging
                .iter()
                .map(|(n, reason)| (NeedItem::new(t, n), reason.label(t.0)))
                .collect(),
            visits_due: d
                .visits_due
                .iter()
                .map(|v| {
                    let (when, overdue) = match v.due {
                        Due::Overdue { on, days } => (
                            format!(
                                "{} {on} ({days} {})",
                                t.get("visits.overdue_since"),
                                t.get("visits.days")
                            ),
                            true,
                        ),
                        Due::Soon { on } => (format!("{} {on}", t.get("visits.due_on")), false),
                    };
                    let last = match v.last_visit {
                        Some(day) => format!("{} {day}", t.get("dashboard.visit_last")),
                        None => t.get("dashboard.visit_never").to_owned(),
                    };
                    (
                        v.beneficiary_id,
                        v.code.clone(),
                        v.group.label(t.0).to_owned(),
                        when,
                        last,
                        overdue,
                    )
                })
                .collect(),
        },
    ))
}
