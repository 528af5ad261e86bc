//! SIGTERM while a slow request is in flight: the request finishes, then the server exits.
//! Its own test binary, because the signal goes to the whole process.

mod support;

use std::time::Duration;

use axum::Router;
use axum::routing::get;
use charity_relay::App;
use charity_relay::config::Config;

#[tokio::test]
async fn sigterm_lets_an_in_flight_request_finish() {
    let dir = tempfile::tempdir().expect("tempdir");
    let test_db = support::TestDb::fresh(dir.path()).await;
    let env = support::test_env(dir.path(), &test_db.url);
    let config = Config::from_lookup(|k| env.get(k).cloned()).expect("config");
    let slow = Router::new().route(
        "/slow",
        get(|| async {
            tokio::time::sleep(Duration::from_millis(1500)).await;
            "finished"
        }),
    );
    let app = App::build(config).await.expect("build").merge_routes(slow);
    let addr = app.local_addr();
    let server = tokio::spawn(app.run_until(charity_relay::shutdown_signal()));

    let request = tokio::spawn(async move { reqwest::get(format!("http://{addr}/slow")).await });
    tokio::time::sleep(Duration::from_millis(400)).await;
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &std::process::id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());

    let response = request.await.expect("task").expect("the in-flight request is answered");
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.expect("body"), "finished");

    let exited = tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("server exits after the request");
    exited.expect("task").expect("clean exit");
    assert!(
        reqwest::get(format!("http://{addr}/healthz")).await.is_err(),
        "no new connections after shutdown"
    );
}

#[tokio::test]
async fn the_binary_logs_json_lines_and_exits_0_on_sigterm() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let dir = tempfile::tempdir().expect("tempdir");
    let test_db = support::TestDb::fresh(dir.path()).await;
    let mut env = support::test_env(dir.path(), &test_db.url);
    env.insert("RELAY_LOG_FORMAT".into(), "json".into());
    let mut child = Command::new(env!("CARGO_BIN_EXE_charity-relay"))
        .arg("serve")
        .env_clear()
        .envs(&env)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn serve");
    let stdout = child.stdout.take().expect("stdout");
    let line = tokio::task::spawn_blocking(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .find(|l| l.contains("listening on"))
    })
    .await
    .expect("reader")
    .expect("the server says where it listens");
    let url = line.rsplit(' ').next().expect("url").to_owned();

    let health = reqwest::get(format!("{url}/healthz")).await.expect("healthz");
    assert_eq!(health.status(), 200);

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let output = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .expect("join")
        .expect("wait");
    assert_eq!(output.status.code(), Some(0), "SIGTERM is a clean stop");

    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(!lines.is_empty());
    for line in &lines {
        let parsed: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(parsed.get("level").is_some(), "{line}");
    }
    assert!(
        lines.iter().any(|l| l.contains("/healthz") && l.contains("request.id")),
        "the request is logged with its id: {lines:?}"
    );
}
