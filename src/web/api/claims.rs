//! `/api/v1/needs/{id}/claims` and `/api/v1/claims`: claim, deliver, confirm, dispute, resolve.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

use super::auth::ApiCaller;
use super::dto::{ClaimIn, ClaimOut, ClaimQuery, ConfirmIn, DeliveredIn, DisputeIn, ResolveIn};
use super::problem::{ApiError, Problem, field_error};
use super::{ApiJson, ApiPath, ApiQuery, created};
use crate::AppState;
use crate::domain::Quantity;
use crate::domain::claim::DisputeResolution;
use crate::domain::input::{self, FieldError};
use crate::services::ServiceError;
use crate::services::claims::{self, Confirmation};

/// Claims part or all of a need (merchants). Send an `Idempotency-Key` header to make
/// retries safe: the same key always returns the first result and never claims twice.
#[utoipa::path(post, path = "/api/v1/needs/{id}/claims", tag = "claims", request_body = ClaimIn,
    params(("id" = i64, Path, description = "Need id"), ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses((status = 201, body = ClaimOut, description = "Claimed"), (status = 200, body = ClaimOut, description = "A retry: the first claim"),
        (status = 401, body = Problem, content_type = "application/problem+json"), (status = 429, body = Problem, content_type = "application/problem+json", description = "Too many requests for this token"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "not-enough-left, need-not-open, claim-limit-reached, deliver-first, credit-band-limit"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn claim_need(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiPath(need_id): ApiPath<i64>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<ClaimIn>,
) -> Result<Response, ApiError> {
    let quantity = Quantity::new(body.quantity)
        .map_err(|error| field_error("quantity", error))?
        .get();
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok());
    let outcome = claims::claim_need(&state.db, &caller, need_id, quantity, key, chrono::Utc::now()).await?;
    let body = ClaimOut::from(outcome.claim);
    Ok(if outcome.replayed {
        Json(body).into_response()
    } else {
        created(body)
    })
}

/// Lists the caller's claims (merchants: own; organizations: those on their needs).
#[utoipa::path(get, path = "/api/v1/claims", tag = "claims", params(ClaimQuery),
    responses((status = 200, body = Vec<ClaimOut>), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 429, body = Problem, content_type = "application/problem+json", description = "Too many requests for this token"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn list_claims(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiQuery(query): ApiQuery<ClaimQuery>,
) -> Result<Json<Vec<ClaimOut>>, ApiError> {
    let status = match query.status.as_deref().filter(|s| !s.is_empty()) {
        Some(raw) => Some(input::choice(raw).map_err(|e| field_error("status", e))?),
        None => None,
    };
    let limit = match query.limit.as_deref().filter(|l| !l.is_empty()) {
        Some(raw) => input::number(raw, 1, 500).map_err(|e| field_error("limit", e))? as u64,
        None => 100,
    };
    let list = claims::list_claims(&state.db, &caller, status.as_slice(), limit).await?;
    Ok(Json(list.into_iter().map(ClaimOut::from).collect()))
}

/// Reads one claim.
#[utoipa::path(get, path = "/api/v1/claims/{id}", tag = "claims", params(("id" = i64, Path, description = "Claim id")),
    responses((status = 200, body = ClaimOut), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 429, body = Problem, content_type = "application/problem+json", description = "Too many requests for this token"), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_claim(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ClaimOut>, ApiError> {
    Ok(Json(
        claims::get_claim(&state.db, &caller, id, chrono::Utc::now())
            .await?
            .into(),
    ))
}

/// Gives a claim up (its merchant only); the units return to the need.
#[utoipa::path(post, path = "/api/v1/claims/{id}/release", tag = "claims", params(("id" = i64, Path, description = "Claim id")),
    responses((status = 200, body = ClaimOut), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 429, body = Problem, content_type = "application/problem+json", description = "Too many requests for this token"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn release(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ClaimOut>, ApiError> {
    Ok(Json(
        claims::release(&state.db, &caller, id, chrono::Utc::now())
            .await?
            .into(),
    ))
}

/// Says the goods or service were delivered (its merchant only), optionally with a note the
/// social worker reads in the email asking to confirm.
#[utoipa::path(post, path = "/api/v1/claims/{id}/delivered", tag = "claims", request_body(content = Option<DeliveredIn>, description = "Optional: a note for the social worker"), params(("id" = i64, Path, description = "Claim id")),
    responses((status = 200, body = ClaimOut), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 429, body = Problem, content_type = "application/problem+json", description = "Too many requests for this token"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn mark_delivered(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiPath(id): ApiPath<i64>,
    body: Bytes,
) -> Result<Json<ClaimOut>, ApiError> {
    // No body at all is the plain "delivered" older clients send.
    let body: DeliveredIn = if body.iter().all(u8::is_ascii_whitespace) {
        DeliveredIn::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ServiceError::invalid("body", format!("the JSON body is not acceptable: {e}")))?
    };
    Ok(Json(
        claims::mark_delivered_with_note(&state.db, &caller, id, &body.note, chrono::Utc::now())
            .await?
            .into(),
    ))
}

/// Takes a disputed claim up again with a fresh due date (its merchant only).
#[utoipa::path(post, path = "/api/v1/claims/{id}/resume", tag = "claims", params(("id" = i64, Path, description = "Claim id")),
    responses((status = 200, body = ClaimOut), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 429, body = Problem, content_type = "application/problem+json", description = "Too many requests for this token"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn resume(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ClaimOut>, ApiError> {
    Ok(Json(
        claims::resume(&state.db, &caller, id, chrono::Utc::now()).await?.into(),
    ))
}

/// Confirms a delivery, optionally rating the merchant 1–5 (the need's organization only).
#[utoipa::path(post, path = "/api/v1/claims/{id}/confirm", tag = "claims", request_body = ConfirmIn, params(("id" = i64, Path, description = "Claim id")),
    responses((status = 200, body = ClaimOut), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 429, body = Problem, content_type = "application/problem+json", description = "Too many requests for this token"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn confirm(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ConfirmIn>,
) -> Result<Json<ClaimOut>, ApiError> {
    let confirmation = Confirmation {
        rating: body.rating.map(|r| r.to_string()),
        handoff_code: body.handoff_code,
        by_office: false,
    };
    Ok(Json(
        claims::confirm(&state.db, &caller, id, confirmation, chrono::Utc::now())
            .await?
            .into(),
    ))
}

/// Disputes a delivery (the need's organization only); the merchant is told why. A blank
/// reason is refused (`reason-required`, 422).
#[utoipa::path(post, path = "/api/v1/claims/{id}/dispute", tag = "claims", request_body = DisputeIn, params(("id" = i64, Path, description = "Claim id")),
    responses((status = 200, body = ClaimOut), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 429, body = Problem, content_type = "application/problem+json", description = "Too many requests for this token"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json", description = "reason-required, validation")))]
pub async fn dispute(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<DisputeIn>,
) -> Result<Json<ClaimOut>, ApiError> {
    Ok(Json(
        claims::dispute(&state.db, &caller, id, &body.reason, chrono::Utc::now())
            .await?
            .into(),
    ))
}

/// Settles a disputed delivery (the need's organization only, as on the need page):
/// `confirm` it after all, ask the merchant to `redeliver`, or `release` the claim. The
/// merchant is told in each case.
#[utoipa::path(post, path = "/api/v1/claims/{id}/resolve", tag = "claims", request_body = ResolveIn, params(("id" = i64, Path, description = "Claim id")),
    responses((status = 200, body = ClaimOut), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 429, body = Problem, content_type = "application/problem+json", description = "Too many requests for this token"), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "conflict: the claim is not disputed; handoff-code-locked"), (status = 422, body = Problem, content_type = "application/problem+json", description = "validation: `resolution` is not one of the choices")))]
pub async fn resolve(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ResolveIn>,
) -> Result<Json<ClaimOut>, ApiError> {
    let resolution = match body.resolution.trim() {
        "" => return Err(field_error("resolution", FieldError::NotChosen)),
        raw => DisputeResolution::parse(raw).ok_or_else(|| field_error("resolution", FieldError::UnknownChoice))?,
    };
    Ok(Json(
        claims::resolve_dispute(&state.db, &caller, id, resolution, chrono::Utc::now())
            .await?
            .into(),
    ))
}
