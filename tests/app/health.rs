//! An operator checks that the process is up, ready and measurable.

use crate::support::TestApp;

#[tokio::test]
async fn healthz_and_readyz_answer_when_the_database_does() {
    let app = TestApp::spawn().await;

    let health = app.get("/healthz").await;
    assert_eq!(health.status(), 200);
    assert!(
        health.headers().contains_key("x-request-id"),
        "every answer carries a request id"
    );

    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn readyz_answers_503_while_healthz_stays_200_when_the_database_is_gone() {
    let app = TestApp::spawn().await;
    // Closing the app's own pool makes every database call fail, as a lost server would.
    app.state.db.close_by_ref().await.expect("close pool");

    assert_eq!(app.get("/readyz").await.status(), 503);
    assert_eq!(
        app.get("/healthz").await.status(),
        200,
        "the process itself is still up"
    );
}

#[tokio::test]
async fn metrics_count_requests_by_route_template() {
    let app = TestApp::spawn().await;
    app.get("/healthz").await;
    app.get("/healthz").await;
    app.get("/no-such-page").await;

    let metrics = app.get("/metrics").await;
    assert_eq!(metrics.status(), 200);
    assert!(
        metrics.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with("text/plain")
    );
    let body = metrics.text().await.expect("body");
    assert!(
        body.contains(r#"relay_http_requests_total{method="GET",route="/healthz",status="200"} 2"#),
        "{body}"
    );
    assert!(body.contains("relay_http_request_duration_seconds_bucket"), "{body}");
    assert!(
        !body.contains("/no-such-page"),
        "unmatched paths must not create label values"
    );
}
