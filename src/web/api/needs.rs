//! `/api/v1/needs`: list, read, post and cancel needs.

use axum::Json;
use axum::extract::State;
use axum::response::Response;

use super::auth::ApiCaller;
use super::dto::{CancelIn, NeedOut, NeedPageOut, NeedQuery, NewNeedIn};
use super::problem::{ApiError, Problem, field_error};
use super::{ApiJson, ApiLocale, ApiPath, ApiQuery, created};
use crate::AppState;
use crate::domain::input::{self, FieldError};
use crate::domain::need_input::NeedInput;
use crate::domain::time::local_date;
use crate::services::ServiceError;
use crate::services::needs::{self, NeedFilter};

/// Lists needs: merchants see open needs (most urgent, then oldest first); organizations
/// their own.
#[utoipa::path(get, path = "/api/v1/needs", tag = "needs", params(NeedQuery),
    responses((status = 200, body = NeedPageOut), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 429, body = Problem, content_type = "application/problem+json", description = "Too many requests for this token"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn list_needs(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiLocale(locale): ApiLocale,
    ApiQuery(query): ApiQuery<NeedQuery>,
) -> Result<Json<NeedPageOut>, ApiError> {
    let filter = NeedFilter {
        status: optional(query.status.as_deref(), "status")?,
        category: optional(query.category.as_deref(), "category")?,
        community_id: match query.community.as_deref().filter(|c| !c.is_empty()) {
            Some(raw) => Some(input::number(raw, 1, i64::MAX).map_err(|e| field_error("community", e))?),
            None => None,
        },
        urgency: optional(query.urgency.as_deref(), "urgency")?,
    };
    let limit = match query.limit.as_deref().filter(|l| !l.is_empty()) {
        Some(raw) => input::number(raw, 1, needs::MAX_PAGE as i64).map_err(|e| field_error("limit", e))? as u64,
        None => 20,
    };
    let page = needs::list_needs(&state.db, &caller, &filter, query.cursor.as_deref(), limit).await?;
    Ok(Json(NeedPageOut::from_page(page, locale)))
}

/// Posts a need for a beneficiary of the calling organization.
#[utoipa::path(post, path = "/api/v1/needs", tag = "needs", request_body = NewNeedIn,
    responses((status = 201, body = NeedOut), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 429, body = Problem, content_type = "application/problem+json", description = "Too many requests for this token"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn post_need(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiLocale(locale): ApiLocale,
    ApiJson(body): ApiJson<NewNeedIn>,
) -> Result<Response, ApiError> {
    if caller.merchant_id().is_some() {
        return Err(ServiceError::Forbidden.into());
    }
    let now = chrono::Utc::now();
    let draft = NeedInput::from(body)
        .parse(local_date(now))
        .map_err(ServiceError::Validation)?;
    let card = needs::post_need(&state.db, &state.config.secret_key, &caller, draft, now).await?;
    Ok(created(NeedOut::from_card(card, locale)))
}

/// Reads one need.
#[utoipa::path(get, path = "/api/v1/needs/{id}", tag = "needs", params(("id" = i64, Path, description = "Need id")),
    responses((status = 200, body = NeedOut), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 429, body = Problem, content_type = "application/problem+json", description = "Too many requests for this token"), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_need(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiLocale(locale): ApiLocale,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<NeedOut>, ApiError> {
    let card = needs::get_need(&state.db, &caller, id, chrono::Utc::now()).await?;
    Ok(Json(NeedOut::from_card(card, locale)))
}

/// Cancels a need of the calling organization with a reason; its active claims are released
/// and their merchants are told why.
#[utoipa::path(post, path = "/api/v1/needs/{id}/cancel", tag = "needs", request_body = CancelIn, params(("id" = i64, Path, description = "Need id")),
    responses((status = 200, body = NeedOut), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 429, body = Problem, content_type = "application/problem+json", description = "Too many requests for this token"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json", description = "The reason is missing or holds personal data")))]
pub async fn cancel_need(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiLocale(locale): ApiLocale,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<CancelIn>,
) -> Result<Json<NeedOut>, ApiError> {
    let card = needs::cancel_need(
        &state.db,
        &state.config.secret_key,
        &caller,
        id,
        &body.reason,
        chrono::Utc::now(),
    )
    .await?;
    Ok(Json(NeedOut::from_card(card, locale)))
}

fn optional<T: std::str::FromStr>(raw: Option<&str>, field: &'static str) -> Result<Option<T>, ApiError> {
    match raw.map(str::trim).filter(|r| !r.is_empty()) {
        Some(value) => value
            .parse()
            .map(Some)
            .map_err(|_| field_error(field, FieldError::UnknownChoice)),
        None => Ok(None),
    }
}
