//! A hostile login page: 200 parallel sign-ins for one account against the real release
//! binary. At most the throttle's limit of passwords is hashed, and the process's peak
//! memory (VmHWM in `/proc/<pid>/status`) stays under 200 MB, where hashing them all at
//! 19 MiB each once took it past a gigabyte.
//!
//! Ignored by default (it needs `cargo build --release --bin charity-relay`):
//! `scripts/hardening.sh` builds the binary and runs it. `RELAY_RELEASE_BIN` points at
//! another build.

mod support;

use std::path::PathBuf;

use futures::future::join_all;
use support::TestApp;
use support::serve::ServeProcess;

const FLOOD: usize = 200;
const WORKER: &str = "worker0@example.org";
const PEAK_LIMIT_KB: u64 = 200 * 1024;

/// The release build next to the debug one this test was built with.
fn release_binary() -> PathBuf {
    if let Ok(path) = std::env::var("RELAY_RELEASE_BIN") {
        return PathBuf::from(path);
    }
    let debug = PathBuf::from(env!("CARGO_BIN_EXE_charity-relay"));
    let target = debug
        .parent()
        .and_then(|d| d.parent())
        .expect("the binary sits in target/debug");
    target.join("release").join("charity-relay")
}

/// The process's peak resident memory, in kB.
fn peak_rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM")
}

fn csrf_of(html: &str) -> String {
    let marker = r#"name="csrf" value=""#;
    let start = html.find(marker).expect("a login form") + marker.len();
    let end = html[start..].find('"').expect("closing quote");
    html[start..start + end].to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the release binary; run by scripts/hardening.sh"]
async fn two_hundred_parallel_logins_hash_at_most_five_passwords_and_stay_under_200_mb() {
    let binary = release_binary();
    assert!(
        binary.exists(),
        "{} is missing: run `cargo build --release --bin charity-relay` first",
        binary.display()
    );
    let app = TestApp::spawn().await;
    app.world(0).await;
    let log = app.dir().join("serve.log");
    let server = ServeProcess::start_binary(&binary, &app.env, &log, None).await;

    // Each attacker has a browser of its own with the login form's CSRF cookie.
    let mut attackers = Vec::new();
    for _ in 0..FLOOD {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let page = client
            .get(server.url("/login"))
            .send()
            .await
            .expect("GET /login")
            .text()
            .await
            .expect("page");
        attackers.push((client, csrf_of(&page)));
    }
    let before_kb = peak_rss_kb(server.pid());
    let attempts = attackers.iter().map(|(client, csrf)| {
        client
            .post(server.url("/login"))
            .form(&[("email", WORKER), ("password", "wrong password!"), ("csrf", csrf)])
            .send()
    });
    let statuses: Vec<u16> = join_all(attempts)
        .await
        .into_iter()
        .map(|r| r.expect("answered").status().as_u16())
        .collect();
    let count = |status: u16| statuses.iter().filter(|s| **s == status).count();
    assert_eq!(count(401) + count(429), FLOOD, "{statuses:?}");
    assert!(count(401) <= 5, "{} wrong passwords were checked", count(401));

    let metrics = reqwest::get(server.url("/metrics"))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("body");
    let hashed: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("relay_password_hashes_total "))
        .and_then(|v| v.parse().ok())
        .expect("relay_password_hashes_total");
    assert!(hashed <= 5, "{hashed} passwords hashed for {FLOOD} attempts");

    let peak_kb = peak_rss_kb(server.pid());
    eprintln!("peak RSS {before_kb} kB before the flood, {peak_kb} kB after; {hashed} hashes");
    assert!(
        peak_kb < PEAK_LIMIT_KB,
        "peak RSS {peak_kb} kB (limit {PEAK_LIMIT_KB} kB; {before_kb} kB before the flood)"
    );
    server.stop().await;
}
