//! The dashboard.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;

use super::views::{ClaimItem, NeedItem};
use super::{Chrome, OrPage, PageResult, render};
use crate::AppState;
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
}

/// `GET /`: what needs attention.
pub async fn show(State(state): State<AppState>, staff: Staff) -> PageResult {
    let t = staff.t;
    let now = chrono::Utc::now();
    let d = dashboard::dashboard(&state.db, &staff.caller, now).await.or_page(t)?;
    Ok(render(
        StatusCode::OK,
        DashboardPage {
            c: Chrome::new(t, &staff.session, "dashboard.title"),
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
        },
    ))
}
