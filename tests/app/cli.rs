//! An office worker runs the command line: bad input gets one clear line and changes nothing.

use std::collections::HashMap;

use charity_relay::crypto::sha256_hex;

use crate::support::{TestApp, run_cli, scalar_i64};

fn with(env: &HashMap<String, String>, key: &str, value: &str) -> HashMap<String, String> {
    let mut env = env.clone();
    env.insert(key.to_owned(), value.to_owned());
    env
}

#[tokio::test]
async fn a_bad_database_url_is_one_line_and_exit_2() {
    let app = TestApp::spawn().await;
    let run = run_cli(
        &with(&app.env, "DATABASE_URL", "mysql://root:hunter22@db/x"),
        &["migrate"],
        "",
    );
    assert_eq!(run.code, Some(2), "{run:?}");
    let lines = run.error_lines();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].contains("DATABASE_URL") && lines[0].contains("postgres://"),
        "{lines:?}"
    );
    assert!(!run.stderr.contains("hunter22"), "the password is masked");
}

#[tokio::test]
async fn an_unreachable_postgres_is_one_line_and_a_failure() {
    let app = TestApp::spawn().await;
    let env = with(&app.env, "DATABASE_URL", "postgres://relay:secretpw@127.0.0.1:1/relay");
    let run = run_cli(&env, &["migrate"], "");
    assert_eq!(run.code, Some(1), "{run:?}");
    let lines = run.error_lines();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].contains("cannot connect to the database at postgres://relay:***@127.0.0.1:1"),
        "{lines:?}"
    );
    assert!(!run.stderr.contains("secretpw"));
}

#[tokio::test]
async fn an_unusable_data_dir_is_one_line_and_exit_2() {
    let app = TestApp::spawn().await;
    let file = app.dir().join("plain-file");
    std::fs::write(&file, b"").expect("write");
    let run = run_cli(
        &with(&app.env, "RELAY_DATA_DIR", &file.join("data").display().to_string()),
        &["migrate"],
        "",
    );
    assert_eq!(run.code, Some(2), "{run:?}");
    let lines = run.error_lines();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains("RELAY_DATA_DIR"), "{lines:?}");
}

#[tokio::test]
async fn every_command_has_help() {
    let app = TestApp::spawn().await;
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["migrate", "--help"],
        vec!["demo", "--help"],
        vec!["admin", "--help"],
        vec!["admin", "create-user", "--help"],
        vec!["admin", "create-merchant", "--help"],
        vec!["admin", "create-community", "--help"],
        vec!["admin", "merchant-link-code", "--help"],
        vec!["admin", "api-token", "--help"],
    ] {
        let run = app.cli(&args, "");
        assert_eq!(run.code, Some(0), "{args:?}: {run:?}");
        assert!(run.stdout.contains("Usage:"), "{args:?}");
    }
}

#[tokio::test]
async fn create_user_refuses_bad_input_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let cases: [(&[&str], &str, &str); 5] = [
        (
            &["--email", "a@example.org", "--role", "root"],
            "long enough secret",
            "--role",
        ),
        (
            &["--email", "a@example.org", "--role", "admin"],
            "",
            "password is empty",
        ),
        (
            &["--email", "a@example.org", "--role", "admin"],
            "short\n",
            "at least 8 characters",
        ),
        (
            &["--email", "not-an-email", "--role", "admin"],
            "long enough secret",
            "email",
        ),
        (
            &["--email", "a@example.org", "--role", "social_worker"],
            "long enough secret",
            "--org",
        ),
    ];
    for (args, password, expected) in cases {
        let mut full = vec!["admin", "create-user"];
        full.extend_from_slice(args);
        let run = app.cli(&full, password);
        assert_eq!(run.code, Some(2), "{args:?}: {run:?}");
        assert!(run.stderr.contains(expected), "{args:?}: {}", run.stderr);
    }
    assert_eq!(app.count("staff").await, 0);
    assert_eq!(app.count("organizations").await, 0);
    assert_eq!(app.count("audit_log").await, 0);
}

#[tokio::test]
async fn create_user_makes_the_organization_approved_and_refuses_a_duplicate() {
    let app = TestApp::spawn().await;
    let args = [
        "admin",
        "create-user",
        "--email",
        "Worker@Example.org",
        "--role",
        "social_worker",
        "--org",
        "妇女互助会",
    ];
    let run = app.cli(&args, "a long enough secret\n");
    assert_eq!(run.code, Some(0), "{run:?}");

    let status = scalar_i64(
        &app.db,
        "SELECT COUNT(*) FROM organizations WHERE name = '妇女互助会' AND status = 'approved'",
    )
    .await;
    assert_eq!(status, 1);
    let hashed = scalar_i64(
        &app.db,
        "SELECT COUNT(*) FROM staff WHERE email = 'worker@example.org' AND password_hash LIKE '$argon2id$%'",
    )
    .await;
    assert_eq!(hashed, 1, "email lower-cased, password hashed with argon2id");

    let again = app.cli(&args, "another long secret\n");
    assert_eq!(again.code, Some(1), "{again:?}");
    assert!(again.stderr.contains("exists already"), "{}", again.stderr);
    assert_eq!(app.count("staff").await, 1);
    assert_eq!(app.count("organizations").await, 1);
}

#[tokio::test]
async fn merchants_get_link_codes_and_api_tokens_printed_last_and_stored_hashed() {
    let app = TestApp::spawn().await;
    let community = app.cli(
        &[
            "admin",
            "create-community",
            "--name",
            "东和社区",
            "--name-en",
            "Donghe",
            "--subdistrict",
            "沙头角街道",
            "--subdistrict-en",
            "Shatoujiao",
        ],
        "",
    );
    assert_eq!(community.code, Some(0), "{community:?}");

    let created = app.cli(
        &[
            "admin",
            "create-merchant",
            "--name",
            "健民大药房",
            "--community",
            "Donghe",
        ],
        "",
    );
    assert_eq!(created.code, Some(0), "{created:?}");
    let merchant_id: i64 = created.last_line().parse().expect("the id is the last line");
    let approved = scalar_i64(
        &app.db,
        &format!("SELECT COUNT(*) FROM merchants WHERE id = {merchant_id} AND status = 'approved'"),
    )
    .await;
    assert_eq!(approved, 1);

    let code_run = app.cli(
        &["admin", "merchant-link-code", "--merchant", &merchant_id.to_string()],
        "",
    );
    assert_eq!(code_run.code, Some(0), "{code_run:?}");
    let code = code_run.last_line();
    assert_eq!(code.len(), 8);
    let stored = scalar_i64(
        &app.db,
        &format!(
            "SELECT COUNT(*) FROM merchant_link_codes WHERE code_digest = '{}'",
            charity_relay::services::merchants::link_code_digest(&app.config.secret_key, code)
        ),
    )
    .await;
    assert_eq!(stored, 1, "only the keyed digest of the code is stored");

    let token_run = app.cli(&["admin", "api-token", "--merchant", &merchant_id.to_string()], "");
    assert_eq!(token_run.code, Some(0), "{token_run:?}");
    let token = token_run.last_line();
    assert!(token.starts_with("crt_") && token.len() == 4 + 64, "{token}");
    let stored = scalar_i64(
        &app.db,
        &format!(
            "SELECT COUNT(*) FROM api_tokens WHERE token_digest = '{}'",
            sha256_hex(token)
        ),
    )
    .await;
    assert_eq!(stored, 1);
    assert_eq!(
        scalar_i64(
            &app.db,
            &format!("SELECT COUNT(*) FROM api_tokens WHERE token_digest = '{token}'")
        )
        .await,
        0
    );
}

#[tokio::test]
async fn admin_commands_refuse_unknown_records_and_change_nothing() {
    let app = TestApp::spawn().await;
    let cases: [(&[&str], i32, &str); 5] = [
        (
            &["admin", "merchant-link-code", "--merchant", "424242"],
            1,
            "merchant not found",
        ),
        (&["admin", "api-token", "--merchant", "424242"], 1, "merchant not found"),
        (
            &["admin", "api-token", "--org", "无此组织"],
            1,
            "organization not found",
        ),
        (
            &[
                "admin",
                "create-merchant",
                "--name",
                "好邻居便利店",
                "--community",
                "Atlantis",
            ],
            2,
            "unknown community",
        ),
        (
            &["admin", "create-merchant", "--name", "  "],
            2,
            "name: must not be empty",
        ),
    ];
    for (args, code, expected) in cases {
        let run = app.cli(args, "");
        assert_eq!(run.code, Some(code), "{args:?}: {run:?}");
        assert!(run.stderr.contains(expected), "{args:?}: {}", run.stderr);
    }
    let neither = app.cli(&["admin", "api-token"], "");
    assert_eq!(neither.code, Some(2), "{neither:?}");
    for table in ["merchants", "merchant_link_codes", "api_tokens", "audit_log"] {
        assert_eq!(app.count(table).await, 0, "{table}");
    }
}
