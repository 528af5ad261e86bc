//! The logs of a real run, at every level, never hold a beneficiary's private details, a
//! token, a password or an email address. Its own binary: it runs `serve` as a process.

mod support;

use std::io::Read;
use std::process::{Command, Stdio};

use support::{TestDb, run_cli, test_env};

const NAME: &str = "欧阳秀珍";
const PHONE: &str = "13911112222";
const ADDRESS: &str = "梧桐路88号7栋";
const PASSWORD: &str = "planted-password-4417";
const WRONG: &str = "planted-wrong-9923";
const RESIDENT: &str = "planted.resident@example.org";
const WORKER: &str = "planted.worker@example.org";

fn csrf_of(html: &str) -> String {
    let start = html.find(r#"name="csrf" value=""#).map(|i| i + 19).unwrap_or(0);
    html[start..].split('"').next().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn no_secret_or_personal_detail_reaches_a_log_line_at_trace_level() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = TestDb::fresh(dir.path()).await;
    let env = test_env(dir.path(), &db.url);
    assert_eq!(
        run_cli(
            &env,
            &[
                "admin",
                "create-user",
                "--email",
                WORKER,
                "--role",
                "social_worker",
                "--org",
                "社工站"
            ],
            PASSWORD
        )
        .code,
        Some(0)
    );
    let community = run_cli(
        &env,
        &[
            "admin",
            "create-community",
            "--name",
            "梧桐社区",
            "--name-en",
            "Wutong",
            "--subdistrict",
            "海山街道",
            "--subdistrict-en",
            "Haishan",
        ],
        "",
    );
    let community_id = community.last_line().to_owned();
    let merchant = run_cli(&env, &["admin", "create-merchant", "--name", "鲜果园"], "")
        .last_line()
        .to_owned();
    let token = run_cli(&env, &["admin", "api-token", "--merchant", &merchant], "")
        .last_line()
        .to_owned();

    let mut child = Command::new(env!("CARGO_BIN_EXE_charity-relay"))
        .arg("serve")
        .env_clear()
        .envs(&env)
        .env("RUST_LOG", "trace")
        .env("RELAY_LOG_FORMAT", "json")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve");
    // Drain the logs while the test runs: at trace level they would fill the pipe and stall
    // the server.
    let mut stderr = child.stderr.take().expect("stderr");
    let logs_reader = std::thread::spawn(move || {
        let mut all = Vec::new();
        let _ = stderr.read_to_end(&mut all);
        String::from_utf8_lossy(&all).into_owned()
    });
    let mut stdout = child.stdout.take().expect("stdout");
    let url = tokio::task::spawn_blocking(move || {
        let mut seen = String::new();
        let mut byte = [0u8; 1];
        while !seen.contains("listening on http://") || !seen.ends_with('\n') {
            if stdout.read(&mut byte).unwrap_or(0) == 0 {
                break;
            }
            seen.push(byte[0] as char);
        }
        seen.lines()
            .find_map(|l| l.strip_prefix("charity-relay listening on "))
            .unwrap_or_default()
            .to_owned()
    })
    .await
    .expect("reader");
    assert!(url.starts_with("http://"), "the server started: {url}");

    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let login = client
        .get(format!("{url}/login"))
        .send()
        .await
        .expect("login")
        .text()
        .await
        .expect("html");
    let wrong = client
        .post(format!("{url}/login"))
        .form(&[("email", WORKER), ("password", WRONG), ("csrf", &csrf_of(&login))])
        .send()
        .await
        .expect("wrong");
    assert_eq!(wrong.status(), 401);
    let login = client
        .get(format!("{url}/login"))
        .send()
        .await
        .expect("login")
        .text()
        .await
        .expect("html");
    let ok = client
        .post(format!("{url}/login"))
        .form(&[("email", WORKER), ("password", PASSWORD), ("csrf", &csrf_of(&login))])
        .send()
        .await
        .expect("login");
    assert_eq!(ok.status(), 303);
    let form = client
        .get(format!("{url}/beneficiaries/new"))
        .send()
        .await
        .expect("form")
        .text()
        .await
        .expect("html");
    let csrf = csrf_of(&form);
    let registered = client
        .post(format!("{url}/beneficiaries"))
        .form(&[
            ("community_id", community_id.as_str()),
            ("group", "elderly_alone"),
            ("full_name", NAME),
            ("phone", PHONE),
            ("address", ADDRESS),
            ("notes", ""),
            ("notify_email", RESIDENT),
            ("notify_consent", "on"),
            ("locale", "zh-CN"),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .expect("register");
    assert_eq!(registered.status(), 303);
    let location = registered.headers()["location"].to_str().expect("ascii").to_owned();
    let page = client
        .get(format!("{url}{location}"))
        .send()
        .await
        .expect("view")
        .text()
        .await
        .expect("html");
    assert!(page.contains(NAME));
    let beneficiary_id = location
        .trim_start_matches("/beneficiaries/")
        .split('?')
        .next()
        .unwrap_or_default()
        .to_owned();
    // The guard refuses an address in public text; the refused text must not reach a log either.
    let refused = client
        .post(format!("{url}/needs"))
        .form(&[
            ("beneficiary_id", beneficiary_id.as_str()),
            ("category", "food"),
            ("title", "大米两袋"),
            ("description", &format!("送到{ADDRESS}")),
            ("quantity", "2"),
            ("unit", "袋"),
            ("deadline", "2099-01-01"),
            ("urgency", "normal"),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .expect("need");
    assert_eq!(refused.status(), 422, "an address in public text is refused");
    let posted = client
        .post(format!("{url}/needs"))
        .form(&[
            ("beneficiary_id", beneficiary_id.as_str()),
            ("category", "food"),
            ("title", "大米两袋"),
            ("description", "每月一次，送到社区服务站"),
            ("quantity", "2"),
            ("unit", "袋"),
            ("deadline", "2099-01-01"),
            ("urgency", "normal"),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .expect("need");
    assert_eq!(posted.status(), 303);
    let need = posted.headers()["location"]
        .to_str()
        .expect("ascii")
        .trim_start_matches("/needs/")
        .to_owned();
    let claim = client
        .post(format!("{url}/api/v1/needs/{need}/claims"))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "quantity": 1 }))
        .send()
        .await
        .expect("claim");
    assert_eq!(claim.status(), 201);
    let bad = client
        .get(format!("{url}/api/v1/needs?cursor={PHONE}"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("bad");
    assert_eq!(bad.status(), 422);

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .expect("join")
        .expect("wait");
    assert!(status.success(), "serve stops cleanly");
    let logs = logs_reader.join().expect("log reader");
    assert!(logs.lines().count() > 20, "trace logging produced lines");
    for secret in [NAME, PHONE, ADDRESS, PASSWORD, WRONG, RESIDENT, WORKER, token.as_str()] {
        let leaked: Vec<&str> = logs.lines().filter(|l| l.contains(secret)).take(2).collect();
        assert!(leaked.is_empty(), "{secret} appears in the logs: {leaked:?}");
    }
}
