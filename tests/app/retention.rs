//! Nothing personal is kept longer than it is needed, and the audit log, kept for good, shows
//! any tampering: each retention period prunes at its time (with the jobs' injected clock),
//! the sealer chains rows shortly after they commit without slowing claims, and
//! `admin verify-audit` names the first altered, removed-before or unsealed row.

use charity_relay::db::statement;
use charity_relay::services::audit_chain::{self, Broken, Verification};
use charity_relay::services::retention;
use chrono::{DateTime, Duration, Utc};
use futures::future::join_all;
use sea_orm::{ConnectionTrait, DatabaseConnection, Value};

use crate::support::{TestApp, scalar_i64};

async fn exec(db: &DatabaseConnection, sql: &str, values: Vec<Value>) {
    db.execute_raw(statement(db, sql, values)).await.expect(sql);
}

async fn text(db: &DatabaseConnection, sql: &str) -> String {
    let row = db
        .query_one_raw(statement(db, sql, vec![]))
        .await
        .expect("query")
        .expect("row");
    row.try_get_by_index::<String>(0).expect("text")
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    scalar_i64(&app.db, sql).await
}

#[tokio::test]
async fn each_kind_is_pruned_at_its_period_and_not_before() {
    let app = TestApp::spawn().await;
    let _world = app.world(0).await;
    let db = &app.db;
    let t0: DateTime<Utc> = Utc::now();
    let staff_id = scalar_i64(db, "SELECT MIN(id) FROM staff").await;
    let payload = r#"{"update_id":900001,"message":{"from":{"first_name":"张三","username":"zhangsan"}}}"#;
    for (id, status) in [(900001_i64, "handled"), (900002, "pending")] {
        exec(
            db,
            "INSERT INTO telegram_updates (update_id, payload, status, attempts, received_at) VALUES (?, ?, ?, 1, ?)",
            vec![id.into(), payload.into(), status.into(), t0.into()],
        )
        .await;
    }
    exec(
        db,
        "INSERT INTO login_throttles (throttle_key, failures, window_started_at, locked_until) VALUES ('test:k', 5, ?, ?)",
        vec![t0.into(), (t0 + Duration::minutes(15)).into()],
    )
    .await;
    exec(
        db,
        "INSERT INTO idempotency_records (scope, idem_key, request_digest, status_code, response_body, created_at) \
         VALUES ('test', 'k1', 'd', 201, '{}', ?)",
        vec![t0.into()],
    )
    .await;
    exec(
        db,
        "INSERT INTO web_sessions (id_digest, staff_id, csrf_token, created_at, last_seen_at, expires_at) \
         VALUES ('test-session', ?, 'c', ?, ?, ?)",
        vec![staff_id.into(), t0.into(), t0.into(), (t0 + Duration::hours(12)).into()],
    )
    .await;
    exec(
        db,
        "INSERT INTO outbox (channel, recipient, kind, locale, payload, dedupe_key, message_id, status, attempts, \
         next_attempt_at, created_at, last_error) VALUES ('email', 'resident@example.org', 'resident-need-claimed', \
         'zh-CN', '{\"title\":\"米\"}', 'test:dead', '<m@x>', 'dead', 8, ?, ?, 'refused resident@example.org')",
        vec![t0.into(), t0.into()],
    )
    .await;
    let throttles = "SELECT COUNT(*) FROM login_throttles WHERE throttle_key = 'test:k'";
    let sessions = "SELECT COUNT(*) FROM web_sessions WHERE id_digest = 'test-session'";
    let idempotency = "SELECT COUNT(*) FROM idempotency_records WHERE scope = 'test'";
    let handled = "SELECT payload FROM telegram_updates WHERE update_id = 900001";
    let pending = "SELECT payload FROM telegram_updates WHERE update_id = 900002";
    let dead = "SELECT recipient || payload FROM outbox WHERE dedupe_key = 'test:dead'";

    // Still locked out, session still live: nothing goes.
    retention::prune(db, t0 + Duration::minutes(14)).await.expect("prune");
    assert_eq!((count(&app, throttles).await, count(&app, sessions).await), (1, 1));

    // Lock-out over and session past its absolute timeout: both go, the rest stays.
    let report = retention::prune(db, t0 + Duration::hours(13)).await.expect("prune");
    assert!(report.login_throttles >= 1 && report.sessions >= 1, "{report:?}");
    assert_eq!((count(&app, throttles).await, count(&app, sessions).await), (0, 0));
    assert_eq!(count(&app, idempotency).await, 1);
    assert_eq!(text(db, handled).await, payload);

    // Just short of seven days: kept.
    retention::prune(db, t0 + Duration::days(7) - Duration::minutes(1))
        .await
        .expect("prune");
    assert_eq!(count(&app, idempotency).await, 1);
    assert_eq!(text(db, handled).await, payload);

    // Seven days: the handled update keeps only its id; one not yet handled keeps all.
    retention::prune(db, t0 + Duration::days(7) + Duration::minutes(1))
        .await
        .expect("prune");
    assert_eq!(count(&app, idempotency).await, 0);
    assert_eq!(text(db, handled).await, r#"{"update_id":900001}"#);
    assert_eq!(text(db, pending).await, payload);
    assert!(
        text(db, dead).await.contains("resident@example.org"),
        "dead mail kept 90 days"
    );

    // Ninety days: the dead message's row stays, its address and body do not.
    let report = retention::prune(db, t0 + Duration::days(90) + Duration::minutes(1))
        .await
        .expect("prune");
    assert!(report.outbox_bodies >= 1, "{report:?}");
    assert_eq!(text(db, dead).await, "{}");
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM outbox WHERE dedupe_key = 'test:dead' AND last_error IS NULL"
        )
        .await,
        1
    );
    // A second run finds nothing more to do.
    let again = retention::prune(db, t0 + Duration::days(90) + Duration::minutes(2))
        .await
        .expect("prune");
    assert_eq!(again.telegram_updates + again.outbox_bodies, 0, "{again:?}");
}

/// Seals as the background sealer would once every row has settled.
async fn seal_all(app: &TestApp) {
    audit_chain::seal(&app.db, Utc::now() + audit_chain::SETTLE + Duration::seconds(1))
        .await
        .expect("seal");
}

#[tokio::test]
async fn fifty_concurrent_claims_all_commit_and_then_every_audit_row_is_sealed() {
    let app = TestApp::spawn().await;
    let world = app.world(10).await;
    for m in &world.merchants {
        app.give_good_record(&world, m.id, 14).await;
    }
    let need = app.post_need(world.a(), 50).await;
    let requests = world
        .merchants
        .iter()
        .flat_map(|m| (0..5).map(move |_| m))
        .map(|m| app.claim(&m.token, need, 1));
    let answers = join_all(requests).await;
    assert!(
        answers.iter().all(|(s, _)| *s == 201),
        "every claim commits: {answers:?}"
    );

    seal_all(&app).await;
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM audit_log WHERE chain_hash IS NULL").await,
        0
    );
    let rows = count(&app, "SELECT COUNT(*) FROM audit_log").await;
    assert!(rows >= 50, "{rows}");
    let run = app.cli(&["admin", "verify-audit"], "");
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stdout.contains(&format!("{rows} rows verified")), "{run:?}");
}

#[tokio::test]
async fn an_edited_or_deleted_audit_row_is_named_by_verify_audit() {
    let app = TestApp::spawn().await;
    let world = app.world(2).await;
    app.post_need(world.a(), 3).await;
    seal_all(&app).await;
    let rows = count(&app, "SELECT COUNT(*) FROM audit_log").await;
    assert!(rows >= 4, "{rows}");
    assert_eq!(app.cli(&["admin", "verify-audit"], "").code, Some(0));
    let middle = scalar_i64(&app.db, "SELECT id FROM audit_log ORDER BY id LIMIT 1 OFFSET 2").await;
    let next = scalar_i64(&app.db, &format!("SELECT MIN(id) FROM audit_log WHERE id > {middle}")).await;

    // Someone with database access rewrites what happened.
    let original = text(&app.db, &format!("SELECT detail FROM audit_log WHERE id = {middle}")).await;
    exec(
        &app.db,
        "UPDATE audit_log SET detail = '{\"covered\":\"up\"}' WHERE id = ?",
        vec![middle.into()],
    )
    .await;
    let run = app.cli(&["admin", "verify-audit"], "");
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(run.stderr.contains(&format!("broken at row {middle}:")), "{run:?}");

    // Put back, the chain holds again; removed, the row after it is named.
    exec(
        &app.db,
        "UPDATE audit_log SET detail = ? WHERE id = ?",
        vec![original.into(), middle.into()],
    )
    .await;
    assert_eq!(app.cli(&["admin", "verify-audit"], "").code, Some(0));
    exec(&app.db, "DELETE FROM audit_log WHERE id = ?", vec![middle.into()]).await;
    let run = app.cli(&["admin", "verify-audit"], "");
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(run.stderr.contains(&format!("broken at row {next}:")), "{run:?}");
}

#[tokio::test]
async fn the_sealer_waits_at_a_gap_until_it_is_old_and_a_row_committed_into_it_later_is_named() {
    let app = TestApp::spawn().await;
    let _world = app.world(0).await;
    seal_all(&app).await;
    let top = scalar_i64(&app.db, "SELECT MAX(id) FROM audit_log").await;
    let now = Utc::now();
    let insert = |id: i64, at: DateTime<Utc>| {
        let db = app.db.clone();
        async move {
            exec(
                &db,
                "INSERT INTO audit_log (id, at, actor_kind, action, outcome, detail) VALUES (?, ?, 'system', 'test.row', 'ok', '{}')",
                vec![id.into(), at.into()],
            )
            .await;
        }
    };
    let sealed = |id: i64| format!("SELECT COUNT(*) FROM audit_log WHERE id = {id} AND chain_hash IS NOT NULL");

    // Row top+2 committed, top+1 not yet (a slower transaction on PostgreSQL): wait.
    insert(top + 2, now).await;
    let later = now + audit_chain::SETTLE + Duration::seconds(1);
    assert_eq!(audit_chain::seal(&app.db, later).await.expect("seal"), 0);
    // A too-fresh row is not sealed either, gap or not.
    insert(top + 1, now).await;
    assert_eq!(audit_chain::seal(&app.db, now).await.expect("seal"), 0);
    assert_eq!(audit_chain::seal(&app.db, later).await.expect("seal"), 2);
    assert_eq!(count(&app, &sealed(top + 2)).await, 1);

    // A gap that stays open past the timeout is a rolled-back transaction's: passed.
    insert(top + 4, now).await;
    let much_later = now + audit_chain::GAP_TIMEOUT + Duration::seconds(1);
    assert_eq!(audit_chain::seal(&app.db, later).await.expect("seal"), 0);
    assert_eq!(audit_chain::seal(&app.db, much_later).await.expect("seal"), 1);
    assert_eq!(
        audit_chain::verify(&app.db, much_later).await.expect("verify"),
        Verification::Intact {
            verified: u64::try_from(top + 3).expect("count"),
            pending: 0
        }
    );
    // Should a row still arrive in the gap, it stays unsealed below sealed rows: named.
    insert(top + 3, now).await;
    audit_chain::seal(&app.db, much_later).await.expect("seal");
    match audit_chain::verify(&app.db, much_later).await.expect("verify") {
        Verification::Broken { id, reason, .. } => {
            assert_eq!((id, reason), (top + 3, Broken::Unsealed));
        }
        other => panic!("{other:?}"),
    }
}
