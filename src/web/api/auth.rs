//! Bearer-token authentication of API callers.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

use super::problem::{ApiError, too_many_requests, unauthorized};
use crate::AppState;
use crate::services::access::Caller;
use crate::services::audit::{self, Entry};
use crate::services::{ServiceError, api_tokens, lockout};

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
                    Ok(()) => match lockout::standing(&state.db, &caller).await {
                        Ok(()) => Ok(ApiCaller(caller)),
                        Err(refusal) => Err(refuse(state, &caller, refusal).await),
                    },
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

/// The answer to a token whose organization or merchant is suspended: 403 problem+json
/// (`organization-suspended` or `merchant-not-approved`), audited. Runs after the rate limit,
/// so a suspended caller cannot write audit rows faster than it may call.
async fn refuse(state: &AppState, caller: &Caller, refusal: ServiceError) -> Response {
    let mut entry = Entry::denied(caller.actor(), "api.locked_out")
        .organization(caller.organization_id())
        .detail(serde_json::json!({ "reason": refusal.to_string() }));
    if let Some(merchant_id) = caller.merchant_id() {
        entry = entry.subject("merchant", merchant_id);
    }
    if let Err(e) = audit::record(&state.db, chrono::Utc::now(), entry).await {
        tracing::error!(error = %e, "cannot audit a locked-out token");
    }
    ApiError(refusal).into_response()
}
