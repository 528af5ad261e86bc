//! The yearly renewal of admissions: who is due (with their credit), and renewing one after
//! asking first. The district bureau reads the list; only an office renews.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};

use super::super::confirm::{self, Confirm};
use super::super::{Chrome, Field, OrPage, PageError, PageResult, render};
use crate::AppState;
use crate::domain::admission::Standing;
use crate::i18n::Tr;
use crate::services::admissions::{self, Due, PartyKind};
use crate::services::{ServiceError, access, subdistricts};
use crate::web::session::Staff;

/// One row of the list.
struct Row {
    kind: &'static str,
    kind_label: String,
    id: i64,
    name: String,
    subdistrict: String,
    until: String,
    standing: String,
    overdue: bool,
    credit: String,
    /// Why the office should look closer before renewing (empty for none).
    flag: String,
}

#[derive(Template)]
#[template(path = "admin_renewals.html")]
struct RenewalsPage {
    c: Chrome,
    rows: Vec<Row>,
}

/// The word for an organization or a merchant.
fn kind_key(kind: PartyKind) -> &'static str {
    match kind {
        PartyKind::Organization => "renewal.organization",
        PartyKind::Merchant => "renewal.merchant",
    }
}

fn row(t: Tr, district: &subdistricts::DistrictView, d: Due) -> Row {
    let flagged = d.flagged();

    let (standing, overdue) = match d.standing {
        Standing::Overdue(days) => (
            t.count("renewal.overdue", days.unsigned_abs(), &[("days", &days.to_string())]),
            true,
        ),
        Standing::DueIn(0) => (t.get("renewal.due_today").to_owned(), false),
        Standing::DueIn(days) => (
            t.count("renewal.due_in", days.unsigned_abs(), &[("days", &days.to_string())]),
            false,
        ),
        Standing::Current => (String::new(), false),
    };
    Row {
        kind: d.kind.as_str(),
        kind_label: t.get(kind_key(d.kind)).to_owned(),
        id: d.id,
        name: d.name,
        subdistrict: district
            .subdistrict(d.subdistrict_id)
            .map(|s| s.name_in(t.0).to_owned())
            .unwrap_or_default(),
        until: d.valid_until.to_string(),
        standing,
        overdue,
        credit: format!(
            "{} · {}",
            d.band.label(t.0),
            t.fill("admin.credit_value", &[("score", &d.credit_score.to_string())])
        ),
        flag: if flagged {
            t.get("renewal.flag_band_d").to_owned()
        } else {
            String::new()
        },
    }
}

/// `GET /admin/renewals`: admissions ending within 30 days or ended, the most pressing first.
pub async fn list(State(state): State<AppState>, staff: Staff) -> PageResult {
    let t = staff.t;
    let due = admissions::due(&state.db, &staff.caller, chrono::Utc::now())
        .await
        .or_page(t)?;
    let district = subdistricts::district(&state.db).await.or_page(t)?;
    let rows = due.into_iter().map(|d| row(t, &district, d)).collect();
    Ok(render(
        StatusCode::OK,
        RenewalsPage {
            c: Chrome::new(t, &staff.session, "renewal.title"),
            rows,
        },
    ))
}

/// `GET /admin/renewals/{kind}/{id}`: what renewing does, asked first.
pub async fn ask(State(state): State<AppState>, staff: Staff, Path((kind, id)): Path<(String, i64)>) -> PageResult {
    let t = staff.t;
    let kind = PartyKind::parse(&kind).ok_or_else(|| PageError::new(t, ServiceError::NotFound("party")))?;
    let now = chrono::Utc::now();
    let due = admissions::due(&state.db, &staff.caller, now)
        .await
        .or_page(t)?
        .into_iter()
        .find(|d| d.kind == kind && d.id == id);
    let Some(due) = due else {
        // Another subdistrict's party is "not found" as a missing one is, and the try recorded.
        let refused =
            access::refuse_unlisted_party(&state.db, &staff.caller, "admission.renew", (kind.as_str(), id), now).await;
        return Err(PageError::new(t, refused));
    };
    let title = t.fill("renewal.ask_title", &[("name", &due.name)]);
    let dates = [
        ("until", due.renews_until.to_string()),
        ("ends", due.valid_until.to_string()),
    ];
    let dates: Vec<(&str, &str)> = dates.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let effect = match due.standing {
        Standing::Overdue(_) => t.fill("renewal.effect_late", &dates),
        Standing::DueIn(_) | Standing::Current => t.fill("renewal.effect_early", &dates),
    };
    Ok(confirm::page(
        Chrome::new(t, &staff.session, "renewal.title"),
        title,
        Confirm {
            subject: format!("{} · {}", t.get(kind_key(kind)), due.name),
            effects: vec![effect],
            told: vec![t.get("renewal.told_nobody").to_owned()],
            action: format!("/admin/renewals/{}/{id}", kind.as_str()),
            hidden: Vec::new(),
            reason_label: String::new(),
            reason: Field::default(),
            button: t.get("renewal.confirm").to_owned(),

            danger: false,
            back: "/admin/renewals".to_owned(),
        },
    ))
}

/// `POST /admin/renewals/{kind}/{id}`: renews for a year.
pub async fn renew(State(state): State<AppState>, staff: Staff, Path((kind, id)): Path<(String, i64)>) -> PageResult {
    let t = staff.t;
    let kind = PartyKind::parse(&kind).ok_or_else(|| PageError::new(t, ServiceError::NotFound("party")))?;
    admissions::renew(&state.db, &staff.caller, kind, id, chrono::Utc::now())
        .await
        .or_page(t)?;
    Ok(Redirect::to("/admin/renewals").into_response())
}
