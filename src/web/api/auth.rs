//! Bearer-token authentication of API callers.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

use super::problem::{ApiError, too_many_requests, unauthorized};
use crate::AppState;
use crate::services::access::Caller;
use crate::services::api_tokens;

/// The organization or merchant a valid bearer token stands for.
pub struct ApiCaller(pub Caller);

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim);
        let Some(token) = token else { return Err(unauthorized()) };
        match api_tokens::authenticate(&state.db, token).await {
            Ok(Some(caller)) => {
                let token_id = match caller {
                    Caller::Organization { token_id, .. }
                    | Caller::Merchant {
                        token_id: Some(token_id),
                        ..
                    } => token_id,
                    _ => 0,
                };
                match state.api_limiter.check_key(&token_id) {
                    Ok(()) => Ok(ApiCaller(caller)),
                    Err(not_until) => {
                        use governor::clock::Clock;
                        let wait = not_until.wait_time_from(governor::clock::DefaultClock::default().now());
                        Err(too_many_requests(wait.as_secs().max(1)))
                    }
                }
            }
            Ok(None) => Err(unauthorized()),
            Err(e) => Err(ApiError(e).into_response()),
        }
    }
}
