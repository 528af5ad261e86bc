//! `/api/v1/cases`: an organization's cases and their relief ledgers; government systems post
//! relief here. No personal data: a case is its pseudonymous code, group and community.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::ApiCaller;
use super::problem::{ApiError, Problem, field_error};
use super::{ApiJson, ApiLocale, ApiPath, ApiQuery, created};
use crate::AppState;
use crate::domain::Locale;
use crate::domain::input::{self, FieldError, FieldErrors};
use crate::domain::ledger::EntryInput;
use crate::services::ServiceError;
use crate::services::ledger::{self, CaseSummary, Ledger, LedgerItem, Source};

/// Most cases one page lists.
const MAX_PAGE: i64 = 200;

/// Paging of `GET /api/v1/cases`.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct CaseQuery {
    /// Cases to skip (default 0).
    pub offset: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<String>,
}

/// A case of the caller's organization: no personal data.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseOut {
    /// Pseudonymous code, the case's address in this API.
    pub code: String,
    /// `elderly_alone`, `child_in_hardship`, `disabled`, `low_income_family`, `migrant_child` or `other`.
    pub group: String,
    /// The group's label in the caller's language.
    pub group_label: String,
    /// The community's name in the caller's language.
    pub community: String,
    /// When registered.
    pub registered_at: DateTime<Utc>,
}

/// One page of cases, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct CasePageOut {
    /// The cases.
    pub items: Vec<CaseOut>,
    /// The `offset` of the next page, when there may be one.
    pub next_offset: Option<i64>,
}

/// One item of a ledger.
#[derive(Debug, Serialize, ToSchema)]
pub struct LedgerItemOut {
    /// `relay` (a confirmed delivery of the relay) or `entry` (recorded by hand).
    pub source: String,
    /// The hand entry's id.
    pub entry_id: Option<i64>,
    /// The day it counts on (a delivery's confirmation, an entry's first day).
    pub on: NaiveDate,
    /// An entry's last day.
    pub until: Option<NaiveDate>,
    /// `government` or `social`.
    pub kind: String,
    /// `regular` or `temporary` (entries).
    pub regularity: Option<String>,
    /// `material`, `service` or `money`.
    pub form: String,
    /// The programme's name in the caller's language (entries) or the need's title (deliveries).
    pub what: String,
    /// The merchant's shop name (deliveries).
    pub merchant: Option<String>,
    /// Amount or value in fen (1/100 yuan); absent for a delivery without an estimate.
    pub amount_fen: Option<i64>,
    /// The entry's note.
    pub description: Option<String>,
}

/// A case's ledger with its totals.
#[derive(Debug, Serialize, ToSchema)]
pub struct LedgerOut {
    /// The case's code.
    pub code: String,
    /// Newest first (at most 200).
    pub items: Vec<LedgerItemOut>,
    /// Fen per year, newest year first: `[year, fen]`.
    pub per_year: Vec<(i32, i64)>,
    /// Fen over the last 12 months: rows `government`, `social`; columns `material`, `service`, `money`.
    pub last_twelve_months: [[i64; 3]; 2],
}

/// A hand entry to record: relief from outside the platform.
#[derive(Debug, Deserialize, ToSchema)]
pub struct LedgerEntryIn {
    /// `government` or `social`.
    #[serde(default)]
    pub kind: String,
    /// `regular` or `temporary`.
    #[serde(default)]
    pub regularity: String,
    /// `material`, `service` or `money`.
    #[serde(default)]
    pub form: String,
    /// Programme code: `dibao`, `tekun`, `linshi`, `yiliao`, `canji`, `other`, or one the office added.
    #[serde(default)]
    pub programme: String,
    /// Amount or value in yuan with at most two decimals, as a string (`"1234.50"`).
    #[serde(default)]
    pub amount: String,
    /// First day covered (YYYY-MM-DD).
    #[serde(default)]
    pub period_from: String,
    /// Last day covered (YYYY-MM-DD); absent for one day.
    #[serde(default)]
    pub period_to: Option<String>,
    /// A short note, without names, phones or addresses.
    #[serde(default)]
    pub description: Option<String>,
}

fn pick(locale: Locale, pair: &(String, String)) -> String {
    if locale == Locale::En {
        pair.1.clone()
    } else {
        pair.0.clone()
    }
}

fn case_out(c: CaseSummary, locale: Locale) -> CaseOut {
    CaseOut {
        group: c.group.as_str().to_owned(),
        group_label: c.group.label(locale).to_owned(),
        community: pick(locale, &c.community),
        code: c.code,
        registered_at: c.registered_at,
    }
}

fn item_out(i: LedgerItem, locale: Locale) -> LedgerItemOut {
    let (source, entry_id, until, regularity, what, merchant, description) = match i.source {
        Source::Delivery { title, merchant, .. } => ("relay", None, None, None, title, Some(merchant), None),
        Source::Entry {
            id,
            regularity,
            programme,
            until,
            description,
        } => (
            "entry",
            Some(id),
            Some(until),
            Some(regularity.as_str().to_owned()),
            pick(locale, &programme),
            None,
            Some(description),
        ),
    };
    LedgerItemOut {
        source: source.to_owned(),
        entry_id,
        on: i.on,
        until,
        kind: i.kind.as_str().to_owned(),
        regularity,
        form: i.form.as_str().to_owned(),
        what,
        merchant,
        amount_fen: i.fen,
        description,
    }
}

fn ledger_out(l: Ledger, locale: Locale) -> LedgerOut {
    LedgerOut {
        code: l.code,
        items: l.items.into_iter().map(|i| item_out(i, locale)).collect(),
        per_year: l.per_year,
        last_twelve_months: l.last_twelve_months,
    }
}

/// Lists the calling organization's cases, newest first.
#[utoipa::path(get, path = "/api/v1/cases", tag = "cases", params(CaseQuery),
    responses((status = 200, body = CasePageOut), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 429, body = Problem, content_type = "application/problem+json", description = "Too many requests for this token"), (status = 403, body = Problem, content_type = "application/problem+json", description = "Only organizations have cases."), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn list_cases(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiLocale(locale): ApiLocale,
    ApiQuery(query): ApiQuery<CaseQuery>,
) -> Result<Json<CasePageOut>, ApiError> {
    let offset = match query.offset.as_deref().filter(|o| !o.is_empty()) {
        Some(raw) => input::number(raw, 0, 1_000_000).map_err(|e| field_error("offset", e))?,
        None => 0,
    };
    let limit = match query.limit.as_deref().filter(|l| !l.is_empty()) {
        Some(raw) => input::number(raw, 1, MAX_PAGE).map_err(|e| field_error("limit", e))?,
        None => 50,
    };
    let list = ledger::cases(&state.db, &caller, offset as u64, limit as u64).await?;
    let next_offset = (list.len() as i64 == limit).then_some(offset + limit);
    Ok(Json(CasePageOut {
        items: list.into_iter().map(|c| case_out(c, locale)).collect(),
        next_offset,
    }))
}

/// Reads a case's relief ledger: the relay's confirmed deliveries and the entries recorded by hand.
#[utoipa::path(get, path = "/api/v1/cases/{code}/ledger", tag = "cases", params(("code" = String, Path, description = "Case code, e.g. B-7F3K")),
    responses((status = 200, body = LedgerOut), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 429, body = Problem, content_type = "application/problem+json", description = "Too many requests for this token"), (status = 404, body = Problem, content_type = "application/problem+json", description = "No case of the caller's organization has this code")))]
pub async fn get_ledger(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiLocale(locale): ApiLocale,
    ApiPath(code): ApiPath<String>,
) -> Result<Json<LedgerOut>, ApiError> {
    let book = ledger::ledger_by_code(&state.db, &caller, &code, chrono::Utc::now()).await?;
    Ok(Json(ledger_out(book, locale)))
}

/// Records relief from outside the platform for a case (government systems import relief this way).
/// `Idempotency-Key` is required: a retry with the same key and body answers the first entry (200) and
/// records nothing; the same key with another body is refused (`idempotency-key-reused`).
#[utoipa::path(post, path = "/api/v1/cases/{code}/ledger", tag = "cases", request_body = LedgerEntryIn,
    params(("code" = String, Path, description = "Case code, e.g. B-7F3K"), ("Idempotency-Key" = String, Header, description = "Required: makes retries safe")),
    responses((status = 201, body = LedgerItemOut, description = "Recorded"), (status = 200, body = LedgerItemOut, description = "A retry: the first entry"),
        (status = 401, body = Problem, content_type = "application/problem+json"), (status = 429, body = Problem, content_type = "application/problem+json", description = "Too many requests for this token"), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "No case of the caller's organization has this code"),
        (status = 422, body = Problem, content_type = "application/problem+json", description = "A field is wrong, the Idempotency-Key is missing, or it was used for another body")))]
pub async fn post_ledger_entry(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiLocale(locale): ApiLocale,
    ApiPath(code): ApiPath<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<LedgerEntryIn>,
) -> Result<Response, ApiError> {
    let key = headers
        .get("idempotency-key")
        .map(|v| v.to_str().map_err(|_| FieldError::UnknownChoice))
        .unwrap_or(Err(FieldError::Required))
        .and_then(|k| input::text(k, 1, 100))
        .map_err(|e| field_error("Idempotency-Key", e))?;
    let now = chrono::Utc::now();
    let programme_id = match body.programme.trim() {
        "" => String::new(),
        code => ledger::programmes(&state.db)
            .await?
            .into_iter()
            .find(|p| p.code == code)
            .map(|p| p.id.to_string())
            .unwrap_or_else(|| "0".to_owned()),
    };
    let form = EntryInput {
        kind: body.kind,
        regularity: body.regularity,
        form: body.form,
        programme_id,
        amount: body.amount,
        period_from: body.period_from,
        period_to: body.period_to.unwrap_or_default(),
        description: body.description.unwrap_or_default(),
    };
    let posted = ledger::post_entry(&state.db, &caller, &code, &form, &key, now)
        .await
        .map_err(|e| match e {
            // The API names the programme by its code, in the field `programme`.
            ServiceError::Validation(FieldErrors(errors)) => ServiceError::Validation(FieldErrors(
                errors
                    .into_iter()
                    .map(|(f, e)| (if f == "programme_id" { "programme" } else { f }, e))
                    .collect(),
            )),
            other => other,
        })?;
    let out = item_out(posted.item, locale);
    Ok(if posted.replayed {
        Json(out).into_response()
    } else {
        created(out)
    })
}
