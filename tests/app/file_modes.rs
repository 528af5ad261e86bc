//! An operator starts the service under the common umask 022: the data folder and every file
//! in it (database, its WAL and shared-memory files, the secret key, the `.eml` outbox with
//! people's addresses) are readable by the service's account only.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use charity_relay::domain::Locale;
use charity_relay::services::outbox::{Channel, Message, enqueue};
use chrono::Utc;
use sea_orm::Database;

use crate::support::TestDb;
use crate::support::serve::ServeProcess;

/// Every folder under `dir` (itself included) with its mode, and every file with its mode.
fn modes(dir: &Path, out: &mut Vec<(String, u32, bool)>) {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(dir).expect("metadata");
    out.push((dir.display().to_string(), meta.permissions().mode() & 0o777, true));
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        let meta = std::fs::metadata(&path).expect("metadata");
        if meta.is_dir() {
            modes(&path, out);
        } else {
            out.push((path.display().to_string(), meta.permissions().mode() & 0o777, false));
        }
    }
}

#[tokio::test]
async fn under_umask_022_the_data_dir_is_0700_and_every_file_in_it_0600() {
    let scratch = tempfile::tempdir().expect("tempdir");
    let data = scratch.path().join("data");
    let test_db = TestDb::fresh(scratch.path()).await;
    let mut env = HashMap::from([
        ("RELAY_DATA_DIR".to_owned(), data.display().to_string()),
        ("RELAY_BIND".to_owned(), "127.0.0.1:0".to_owned()),
    ]);
    // On SQLite the default database, in the data dir; no RELAY_SECRET_KEY, so the key is
    // generated there too.
    let db_url = if test_db.is_postgres() {
        env.insert("DATABASE_URL".to_owned(), test_db.url.clone());
        test_db.url.clone()
    } else {
        format!("sqlite://{}?mode=rw", data.join("charity-relay.db").display())
    };
    let server = ServeProcess::start_with_umask(&env, &scratch.path().join("serve.log"), Some("022")).await;

    // A message for a social worker, written by the dispatcher as an .eml file.
    let db = Database::connect(db_url.as_str()).await.expect("connect");
    let message = Message {
        channel: Channel::Email,
        recipient: "worker@example.org".into(),
        contact_id: None,
        merchant_id: None,
        kind: "worker-need-near-deadline",
        locale: Locale::ZhCn,
        payload: serde_json::json!({
            "need_id": 42, "title": "米和食用油", "left": 3, "unit": "袋", "deadline": "2026-12-01"
        }),
        dedupe_key: "test:file-modes".into(),
    };
    enqueue(&db, message, Utc::now()).await.expect("enqueue");
    let outbox = data.join("outbox");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let written = std::fs::read_dir(&outbox)
            .map(|entries| {
                entries
                    .flatten()
                    .any(|e| e.path().extension().is_some_and(|x| x == "eml"))
            })
            .unwrap_or(false);
        if written {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "no .eml file within 30 s");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let mut seen = Vec::new();
    modes(&data, &mut seen);
    let names: Vec<String> = seen
        .iter()
        .filter(|(_, _, dir)| !dir)
        .filter_map(|(p, _, _)| Path::new(p).file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    assert!(names.iter().any(|n| n == "secret.key"), "{names:?}");
    assert!(names.iter().any(|n| n.ends_with(".eml")), "{names:?}");
    if !test_db.is_postgres() {
        for file in ["charity-relay.db", "charity-relay.db-wal", "charity-relay.db-shm"] {
            assert!(names.iter().any(|n| n == file), "{file} in {names:?}");
        }
    }
    for (path, mode, dir) in &seen {
        let want = if *dir { 0o700 } else { 0o600 };
        assert_eq!(*mode, want, "{path} is {mode:o}, should be {want:o}");
    }
    let _ = db.close().await;
    server.stop().await;
}
