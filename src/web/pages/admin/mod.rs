//! The office: admission of organizations and merchants, link codes, API tokens, staff
//! accounts, the audit log and the outbox. Every handler's service refuses (and audits)
//! non-office callers. Each concern lives in its own module; staff accounts stay here.

mod link_code;
mod logs;
mod merchant_applications;
mod parties;
mod renewals;
mod services;
pub(super) mod sorting;
mod suspend;
mod tokens;

pub use link_code::{deep_link, link_code};
pub use logs::{audit, outbox, retry_outbox};
pub use merchant_applications::{
    approve as approve_merchant_application, approve_form as approve_merchant_application_form,
    detail as merchant_application, list as merchant_applications, more as ask_merchant_application,
    more_form as ask_merchant_application_form, reject as reject_merchant_application,
    reject_form as reject_merchant_application_form,
};
pub use parties::{merchants, organizations};
pub use renewals::{ask as ask_renewal, list as renewals, renew};
pub use services::{services_form, set_services};
pub use suspend::{
    merchant_status, organization_status, revoke_token, revoke_token_form, suspend_merchant_form,
    suspend_organization_form,
};
pub use tokens::{issue_token, tokens};

use askama::Template;
use axum::Form;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use super::{Chrome, Options, OrPage, PageError, PageResult, enum_options, render};
use crate::AppState;
use crate::domain::Role;
use crate::i18n::Tr;
use crate::services::{ServiceError, staff as staff_accounts};
use crate::web::session::Staff;

/// One row of the staff list.
struct StaffRow {
    id: i64,
    name: String,
    email: String,
    role: String,
    /// Role code (decides the filter; never shown).
    role_code: String,
    organization: String,
    active: bool,
    is_self: bool,
}

#[derive(Template)]
#[template(path = "admin_staff.html")]
struct StaffPage {
    c: Chrome,
    rows: Vec<StaffRow>,
    states: Options,
    roles: Options,
    sorts: Options,
    total: String,
    prev: String,
    next: String,
}

/// Filter, order and page of the staff list. Anything unknown reads as "all", the first page
/// and name order, so an edited or outdated link still shows a list.
#[derive(Debug, Default, Deserialize)]
pub struct StaffQuery {
    /// `active`, `inactive`, or empty for all.
    #[serde(default)]
    state: String,
    /// A role code (`admin`, `social_worker`), or empty for all.
    #[serde(default)]
    role: String,
    /// `id`, or empty: by name (pinyin order).
    #[serde(default)]
    sort: String,
    /// Page number from 0.
    #[serde(default)]
    page: String,
}

/// The staff list's states, as `state=` values.
const STATES: [(&str, &str); 2] = [("active", "admin.staff_active"), ("inactive", "admin.staff_inactive")];

impl StaffQuery {
    /// The query with unknown values dropped.
    fn known(&self) -> StaffQuery {
        let keep = |value: &str, known: bool| if known { value.to_owned() } else { String::new() };
        StaffQuery {
            state: keep(&self.state, STATES.iter().any(|(v, _)| *v == self.state)),
            role: keep(&self.role, self.role.parse::<Role>().is_ok()),
            sort: keep(&self.sort, self.sort == "id"),
            page: self.page.trim().parse::<usize>().unwrap_or(0).to_string(),
        }
    }

    fn page(&self) -> usize {
        self.page.parse().unwrap_or(0)
    }

    fn link(&self, page: usize) -> String {
        format!(
            "/admin/staff?state={}&role={}&sort={}&page={page}",
            self.state, self.role, self.sort
        )
    }
}

/// Filters, orders and pages `rows` as `q` (already [`StaffQuery::known`]) asks: names in
/// pinyin order, then by id.
fn arrange_staff(mut rows: Vec<StaffRow>, q: &StaffQuery) -> (Vec<StaffRow>, usize) {
    match q.state.as_str() {
        "active" => rows.retain(|r| r.active),
        "inactive" => rows.retain(|r| !r.active),
        _ => {}
    }
    if !q.role.is_empty() {
        rows.retain(|r| r.role_code == q.role);
    }
    match q.sort.as_str() {
        "id" => rows.sort_by_key(|r| r.id),
        _ => rows.sort_by(|a, b| sorting::by_name(&a.name, &b.name).then(a.id.cmp(&b.id))),
    }
    let total = rows.len();
    let page = rows
        .into_iter()
        .skip(q.page().saturating_mul(parties::PAGE_SIZE))
        .take(parties::PAGE_SIZE)
        .collect();
    (page, total)
}

fn role_label(t: Tr, role: &str) -> String {
    role.parse::<Role>()
        .map(|r| r.label(t.0).to_owned())
        .unwrap_or_else(|_| t.get("admin.role_unknown").to_owned())
}

/// `GET /admin/staff`: every staff account, filtered by state and role, by name in pinyin
/// order, a page at a time, with deactivate and reactivate.
pub async fn staff_list(
    State(state): State<AppState>,
    staff: Staff,
    q: Result<Query<StaffQuery>, QueryRejection>,
) -> PageResult {
    let t = staff.t;
    // A query serde cannot read (a filter given twice, say) reads as no filter at all.
    let q = q.map(|Query(q)| q).unwrap_or_default().known();
    let list = staff_accounts::accounts(&state.db, &staff.caller, chrono::Utc::now())
        .await
        .or_page(t)?;
    let rows = list
        .into_iter()
        .map(|a| StaffRow {
            id: a.id,
            is_self: a.id == staff.session.staff_id,
            name: a.display_name,
            role: role_label(t, &a.role),
            role_code: a.role,
            organization: a
                .organization
                .unwrap_or_else(|| t.get("admin.staff_no_organization").to_owned()),
            email: a.email,
            active: a.active,
        })
        .collect();
    let (rows, total) = arrange_staff(rows, &q);
    let any = |selected: &str| (String::new(), t.get("filter.any").to_owned(), selected.is_empty());
    let mut states = vec![any(&q.state)];
    states.extend(
        STATES
            .iter()
            .map(|(v, k)| ((*v).to_owned(), t.get(k).to_owned(), *v == q.state)),
    );
    let mut roles = vec![any(&q.role)];
    roles.extend(enum_options(Role::ALL, Role::as_str, Role::label, t, &q.role));
    let sorts = [("", "admin.sort_name"), ("id", "admin.sort_id")]
        .iter()
        .map(|(v, k)| ((*v).to_owned(), t.get(k).to_owned(), *v == q.sort))
        .collect();
    let page = q.page();
    let prev = if page > 0 { q.link(page - 1) } else { String::new() };
    let next = if parties::has_next(page, total) {
        q.link(page + 1)
    } else {
        String::new()
    };
    Ok(render(
        StatusCode::OK,
        StaffPage {
            c: Chrome::new(t, &staff.session, "admin.staff"),
            rows,
            states,
            roles,
            sorts,
            total: t.fill("admin.total", &[("count", &total.to_string())]),
            prev,
            next,
        },
    ))
}

#[derive(Template)]
#[template(path = "admin_staff_deactivate.html")]
struct DeactivatePage {
    c: Chrome,
    id: i64,
    email: String,
    organization: String,
    reason: String,
    error: String,
}

async fn deactivate_page(state: &AppState, staff: &Staff, id: i64, reason: String, error: String) -> PageResult {
    let t = staff.t;
    let account = staff_accounts::accounts(&state.db, &staff.caller, chrono::Utc::now())
        .await
        .or_page(t)?
        .into_iter()
        .find(|a| a.id == id && a.active);
    let Some(account) = account else {
        return Err(PageError::new(t, ServiceError::NotFound("staff account")));
    };
    let status = if error.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut c = Chrome::new(t, &staff.session, "admin.staff_deactivate_title");
    c.title = t.fill("admin.staff_deactivate_title", &[("email", &account.email)]);
    Ok(render(
        status,
        DeactivatePage {
            c,
            id,
            email: account.email,
            organization: account
                .organization
                .unwrap_or_else(|| t.get("admin.staff_no_organization").to_owned()),
            reason,
            error,
        },
    ))
}

/// `GET /admin/staff/{id}/deactivate`: asks first, and for a reason.
pub async fn deactivate_form(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> PageResult {
    deactivate_page(&state, &staff, id, String::new(), String::new()).await
}

/// The deactivation form.
#[derive(Debug, Deserialize)]
pub struct ReasonForm {
    #[serde(default)]
    reason: String,
}

/// `POST /admin/staff/{id}/deactivate`: the account cannot sign in and its sessions end now.
pub async fn deactivate(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(form): Form<ReasonForm>,
) -> PageResult {
    if form.reason.trim().is_empty() {
        let error = staff.t.get("admin.staff_reason_missing").to_owned();
        return deactivate_page(&state, &staff, id, form.reason, error).await;
    }
    let account = staff_accounts::AccountRef::Id(id);
    match staff_accounts::set_active(
        &state.db,
        &staff.caller,
        account,
        false,
        &form.reason,
        chrono::Utc::now(),
    )
    .await
    {
        Ok(_) => Ok(Redirect::to("/admin/staff").into_response()),
        Err(ServiceError::Invalid { message, .. }) => deactivate_page(&state, &staff, id, form.reason, message).await,
        Err(e) => Err(PageError::new(staff.t, e)),
    }
}

/// `POST /admin/staff/{id}/reactivate`: the account may sign in again.
pub async fn reactivate(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> PageResult {
    let account = staff_accounts::AccountRef::Id(id);
    staff_accounts::set_active(&state.db, &staff.caller, account, true, "", chrono::Utc::now())
        .await
        .or_page(staff.t)?;
    Ok(Redirect::to("/admin/staff").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64, name: &str, role: Role, active: bool) -> StaffRow {
        StaffRow {
            id,
            name: name.into(),
            email: format!("{id}@example.org"),
            role: String::new(),
            role_code: role.as_str().into(),
            organization: String::new(),
            active,
            is_self: false,
        }
    }

    fn query(state: &str, role: &str, sort: &str, page: &str) -> StaffQuery {
        StaffQuery {
            state: state.into(),
            role: role.into(),
            sort: sort.into(),
            page: page.into(),
        }
        .known()
    }

    fn ids(rows: &[StaffRow]) -> Vec<i64> {
        rows.iter().map(|r| r.id).collect()
    }

    #[test]
    fn staff_sort_by_name_in_pinyin_order() {
        let rows = vec![
            row(1, "沙头角街道社工站 社工", Role::SocialWorker, true),
            row(2, "街道办 王主任", Role::Admin, true),
            row(3, "海山长者关爱协会 社工", Role::SocialWorker, false),
            row(4, "anna", Role::SocialWorker, true),
        ];
        let (rows, total) = arrange_staff(rows, &query("", "", "", ""));
        assert_eq!(total, 4);
        // anna, hai, jie, sha.
        assert_eq!(ids(&rows), [4, 3, 2, 1]);
    }

    #[test]
    fn staff_filter_by_state_and_role_and_come_a_page_at_a_time() {
        let rows = || {
            (1..=45)
                .map(|i| {
                    let role = if i % 3 == 0 { Role::Admin } else { Role::SocialWorker };
                    row(i, &format!("社工{i:02}"), role, i % 5 != 0)
                })
                .collect::<Vec<_>>()
        };
        let (page, total) = arrange_staff(rows(), &query("inactive", "", "id", ""));
        assert_eq!((total, ids(&page)), (9, vec![5, 10, 15, 20, 25, 30, 35, 40, 45]));
        let (page, total) = arrange_staff(rows(), &query("active", "admin", "id", ""));
        assert_eq!(total, 12);
        assert!(page.iter().all(|r| r.active && r.role_code == "admin"));
        let (page, total) = arrange_staff(rows(), &query("", "", "id", "2"));
        assert_eq!((total, ids(&page)), (45, (41..=45).collect::<Vec<_>>()));
    }

    #[test]
    fn unknown_filters_read_as_all_and_a_bad_page_as_the_first() {
        let q = query("gone", "root", "'; drop", "-1");
        assert_eq!((q.state.as_str(), q.role.as_str(), q.sort.as_str()), ("", "", ""));
        assert_eq!(q.page(), 0);
        assert_eq!(q.link(1), "/admin/staff?state=&role=&sort=&page=1");
    }
}
