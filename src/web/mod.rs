//! The HTTP adapter: router, middleware and the health, readiness and metrics endpoints.

pub mod api;
pub mod cache;
pub mod charts;
pub mod event_links;
pub mod pages;
pub mod resident;
pub mod session;

use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};

use crate::AppState;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
/// Largest request body accepted (forms and JSON are far smaller).
pub const MAX_BODY: usize = 1024 * 1024;
/// Longest a request may take before it is answered 408.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The whole HTTP surface of the service.
pub fn router(state: AppState) -> Router {
    let routes = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .with_state(state.clone())
        .merge(api::router(state.clone()))
        .merge(pages::router(state.clone()))
        .merge(crate::bot::webhook_router(&state))
        .merge(crate::wechat::router(&state))
        .merge(resident::router(state.clone()))
        .merge(event_links::router(state.clone()));
    with_common_layers(routes, state)
}

/// Adds the layers every route shares, once all routes are merged, so that request ids,
/// spans, timeouts and metrics cover them all. `Router::layer` wraps each route, which is
/// why the metrics middleware sees the matched route template.
fn with_common_layers(router: Router, state: AppState) -> Router {
    router
        .layer(middleware::from_fn_with_state(state.clone(), session::csrf_guard))
        .layer(middleware::from_fn_with_state(state.clone(), pages::security_headers))
        .layer(middleware::from_fn_with_state(state, track_metrics))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(RequestBodyLimitLayer::new(MAX_BODY))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request| {
                    let request_id = req
                        .headers()
                        .get(&REQUEST_ID)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-");
                    // The path only, never the query string; token paths lose their token.
                    let path = loggable_path(req.uri().path());
                    tracing::info_span!("request", method = %req.method(), path = %path, request.id = %request_id)
                })
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

/// `path` as it may appear in a log line: the resident pages carry a token in the path,
/// which is cut off.
fn loggable_path(path: &str) -> &str {
    for prefix in ["/consent/", "/unsubscribe/"] {
        if path.starts_with(prefix) {
            return &prefix[..prefix.len() - 1];
        }
    }
    path
}

async fn healthz() -> &'static str {
    "ok"
}

/// A load balancer asks often and waits briefly: a database that has not answered within
/// this (the pool would wait 5 s for a connection) counts as down.
const READY_WITHIN: std::time::Duration = std::time::Duration::from_secs(2);

async fn readyz(State(state): State<AppState>) -> Response {
    let error = match tokio::time::timeout(READY_WITHIN, crate::db::ping(&state.db)).await {
        Ok(Ok(())) => return (StatusCode::OK, "ready").into_response(),
        Ok(Err(e)) => e.to_string(),
        Err(_) => format!("no answer within {} s", READY_WITHIN.as_secs()),
    };
    tracing::warn!(%error, "readiness check failed: database does not answer");
    (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
}

async fn metrics(State(state): State<AppState>) -> Response {
    let mut response = state.metrics.render().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

/// The route label of every request no route matched, whatever its path.
const UNMATCHED_ROUTE: &str = "unmatched";

/// The method label: the methods the service knows, and `other` for the rest, so that a
/// client inventing methods cannot grow the number of series.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

async fn track_metrics(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| UNMATCHED_ROUTE.to_owned());
    let method = method_label(req.method());
    let started = Instant::now();
    // A guard, so that a request dropped mid-way (client gone, timeout) is not counted on.
    let _in_flight = state.metrics.web.enter();
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    state
        .metrics
        .http_requests
        .with_label_values(&[route.as_str(), method, status.as_str()])
        .inc();
    state
        .metrics
        .http_latency
        .with_label_values(&[route.as_str(), method])
        .observe(started.elapsed().as_secs_f64());
    response
}

#[cfg(test)]
mod tests {
    use super::{Method, loggable_path, method_label};

    #[test]
    fn invented_methods_share_one_label() {
        assert_eq!(method_label(&Method::POST), "POST");
        assert_eq!(method_label(&Method::OPTIONS), "OPTIONS");
        for invented in ["BREW", "get", "PROPFIND", "CONNECT", "TRACE"] {
            let method = Method::from_bytes(invented.as_bytes()).expect("a token");
            assert_eq!(method_label(&method), "other", "{invented}");
        }
    }

    #[test]
    fn token_paths_lose_their_token_in_logs() {
        assert_eq!(
            loggable_path(&format!("/unsubscribe/{}", "a".repeat(64))),
            "/unsubscribe"
        );
        assert_eq!(loggable_path("/consent/abc"), "/consent");
        assert_eq!(loggable_path("/api/v1/needs/7"), "/api/v1/needs/7");
    }
}
