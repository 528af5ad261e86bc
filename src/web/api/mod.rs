//! The JSON API under `/api/v1`, for other systems: organizations post and confirm,
//! merchants claim and deliver. Bearer tokens from `admin api-token`; errors are
//! problem+json; the OpenAPI 3.1 document is generated from these handlers.

mod auth;
mod cases;
mod claims;
pub mod dto;
mod needs;
mod offers;
pub mod problem;

use std::convert::Infallible;

use axum::extract::{FromRequest, FromRequestParts, Path, Query};
use axum::http::header;
use axum::http::request::Parts;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use self::problem::ApiError;
use crate::AppState;
use crate::domain::Locale;

#[derive(OpenApi)]
#[openapi(
    info(title = "charity-relay API", description = "Needs of people in difficulty, claimed by caring merchants."),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    tags((name = "needs", description = "Needs posted by organizations"), (name = "claims", description = "Claims made by merchants"), (name = "cases", description = "An organization's cases and their relief ledgers"), (name = "offers", description = "The resource library: merchants' standing offers"))
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Requests a token may make: a sustained rate and a burst.
pub const TOKEN_RATE_PER_SECOND: u32 = 50;
/// See [`TOKEN_RATE_PER_SECOND`].
pub const TOKEN_BURST: u32 = 100;

/// The per-token limiter type.
pub type RateLimiter = governor::DefaultKeyedRateLimiter<i64>;

/// A limiter allowing each token [`TOKEN_RATE_PER_SECOND`] with bursts of [`TOKEN_BURST`].
pub fn rate_limiter() -> RateLimiter {
    let rate = std::num::NonZeroU32::new(TOKEN_RATE_PER_SECOND).unwrap_or(std::num::NonZeroU32::MIN);
    let burst = std::num::NonZeroU32::new(TOKEN_BURST).unwrap_or(std::num::NonZeroU32::MIN);
    governor::RateLimiter::keyed(governor::Quota::per_second(rate).allow_burst(burst))
}

/// The API routes and their OpenAPI document.
pub fn router(state: AppState) -> Router {
    let (routes, openapi) = api_routes_documented();
    let openapi_json = serde_json::to_string(&openapi).unwrap_or_else(|_| "{}".to_owned());
    routes
        .route(
            "/api/v1/openapi.json",
            get(move || async move { ([(header::CONTENT_TYPE, "application/json")], openapi_json.clone()) }),
        )
        .layer(middleware::from_fn(problem::localize))
        .with_state(state)
}

fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(needs::list_needs, needs::post_need))
        .routes(routes!(needs::get_need))
        .routes(routes!(needs::cancel_need))
        .routes(routes!(claims::claim_need))
        .routes(routes!(claims::list_claims))
        .routes(routes!(claims::get_claim))
        .routes(routes!(claims::release))
        .routes(routes!(claims::mark_delivered))
        .routes(routes!(claims::resume))
        .routes(routes!(claims::confirm))
        .routes(routes!(claims::dispute))
        .routes(routes!(claims::resolve))
        .routes(routes!(cases::list_cases))
        .routes(routes!(cases::get_ledger, cases::post_ledger_entry))
        .routes(routes!(offers::list_offers))
}

/// The OpenAPI document (for tests and tooling).
pub fn openapi() -> utoipa::openapi::OpenApi {
    api_routes_documented().1
}

fn api_routes_documented() -> (axum::Router<AppState>, utoipa::openapi::OpenApi) {
    let (routes, mut openapi) = api_routes().split_for_parts();
    document_lockout(&mut openapi);
    (routes, openapi)
}

/// What every operation answers when the token's organization is suspended or its merchant
/// is not approved (see `auth::ApiCaller`).
const LOCKED_OUT: &str = "The token's organization is suspended (`organization-suspended`) or its merchant is not approved (`merchant-not-approved`).";

/// Every operation takes a token, and every token is refused while its owner is locked out:
/// each operation documents that 403.
fn document_lockout(openapi: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{Content, Ref, RefOr, Response as ApiResponse};
    for item in openapi.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            let forbidden = operation
                .responses
                .responses
                .entry("403".to_owned())
                .or_insert_with(|| {
                    let mut response = ApiResponse::new("");
                    response.content.insert(
                        "application/problem+json".to_owned(),
                        RefOr::T(Content::new(Some(Ref::from_schema_name("Problem")))),
                    );
                    RefOr::T(response)
                });
            if let RefOr::T(response) = forbidden {
                response.description = if response.description.is_empty() {
                    LOCKED_OUT.to_owned()
                } else {
                    format!("{} {LOCKED_OUT}", response.description)
                };
            }
        }
    }
}

/// A JSON body whose rejection is a problem document.
#[derive(FromRequest)]
#[from_request(via(Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

/// A query string whose rejection is a problem document.
#[derive(FromRequestParts)]
#[from_request(via(Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

/// A path parameter whose rejection is a 404 problem.
#[derive(FromRequestParts)]
#[from_request(via(Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

/// The language of labels in answers, from Accept-Language.
pub struct ApiLocale(pub Locale);

impl<S: Send + Sync> FromRequestParts<S> for ApiLocale {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let locale = parts
            .headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .map(Locale::negotiate)
            .unwrap_or_default();
        Ok(ApiLocale(locale))
    }
}

/// Answers 201 Created with a JSON body.
pub fn created<T: serde::Serialize>(body: T) -> Response {
    (axum::http::StatusCode::CREATED, Json(body)).into_response()
}
