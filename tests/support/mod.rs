//! The test harness: the whole app in-process on a random port, against a fresh database —
//! a temp-dir SQLite file by default, or a freshly created, uniquely named PostgreSQL
//! database (dropped afterwards) when `TEST_DATABASE_URL` is set.

#![allow(dead_code, reason = "each test binary uses a different part of the harness")]

pub mod bot;
pub mod browser;
pub mod fake_telegram;
pub mod mail_samples;
pub mod pg_cluster;
pub mod proxy;
pub mod serve;
pub mod smtp;
pub mod wechat;
pub mod world;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use charity_relay::config::Config;
use charity_relay::notify::Dispatcher;
use charity_relay::{App, AppState};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use tempfile::TempDir;
use tokio::sync::oneshot;

pub use smtp::SmtpSink;

/// A database of its own for one test.
pub struct TestDb {
    /// The URL the app and the CLI connect to.
    pub url: String,
    pg: Option<PgDatabase>,
}

struct PgDatabase {
    admin_url: String,
    name: String,
}

impl TestDb {
    /// A fresh, empty database in `dir` (SQLite) or on the server of `TEST_DATABASE_URL`.
    pub async fn fresh(dir: &Path) -> Self {
        match std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.is_empty()) {
            None => Self {
                url: format!("sqlite://{}?mode=rwc", dir.join("test.db").display()),
                pg: None,
            },
            Some(admin_url) => Self::on_server(&admin_url).await,
        }
    }

    /// A fresh, empty database on the PostgreSQL server of `admin_url` (dropped afterwards).
    pub async fn on_server(admin_url: &str) -> Self {
        let name = format!("relay_test_{}", charity_relay::crypto::random_token(8));
        let admin = Database::connect(admin_url)
            .await
            .expect("connect to the PostgreSQL server");
        admin
            .execute_raw(Statement::from_string(
                admin.get_database_backend(),
                format!("CREATE DATABASE {name}"),
            ))
            .await
            .expect("create test database");
        let _ = admin.close().await;
        Self {
            url: replace_db_name(admin_url, &name),
            pg: Some(PgDatabase {
                admin_url: admin_url.to_owned(),
                name,
            }),
        }
    }

    /// True when the tests run on PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        self.pg.is_some()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(pg) = self.pg.take() else { return };
        // Drop runs outside any runtime guarantee; use a thread with its own runtime.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                if let Ok(admin) = Database::connect(pg.admin_url.as_str()).await {
                    let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", pg.name);
                    let _ = admin
                        .execute_raw(Statement::from_string(admin.get_database_backend(), sql))
                        .await;
                    let _ = admin.close().await;
                }
            });
        })
        .join();
    }
}

fn replace_db_name(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// The environment the app and the CLI run with in a test.
pub fn test_env(dir: &Path, db_url: &str) -> HashMap<String, String> {
    HashMap::from([
        ("RELAY_DATA_DIR".to_owned(), dir.join("data").display().to_string()),
        ("DATABASE_URL".to_owned(), db_url.to_owned()),
        ("RELAY_BIND".to_owned(), "127.0.0.1:0".to_owned()),
        (
            "RELAY_SECRET_KEY".to_owned(),
            "test-secret-key-0123456789abcdef-0123456789".to_owned(),
        ),
    ])
}

/// A running app and what a test needs to drive it.
pub struct TestApp {
    /// Where it listens.
    pub addr: SocketAddr,
    /// A client with a cookie jar, like a browser.
    pub client: reqwest::Client,
    /// A connection of the test's own, to arrange and check rows.
    pub db: DatabaseConnection,
    /// The configuration the app runs with.
    pub config: Config,
    /// The environment for CLI runs against the same database.
    pub env: HashMap<String, String>,
    /// The app's own shared state (its pool, config and metrics).
    pub state: AppState,
    /// The fake Telegram Bot API the app talks to, in bot tests.
    pub telegram: Option<fake_telegram::FakeTelegram>,
    stop: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    test_db: TestDb,
    dir: TempDir,
}

impl TestApp {
    /// Starts the app on a random port against a fresh database.
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// Starts the app after `adjust` has changed its environment.
    pub async fn spawn_with(adjust: impl FnOnce(&mut HashMap<String, String>)) -> Self {
        Self::spawn_inner(None, adjust, true).await
    }

    /// Starts the app with its Telegram bot on, against a fresh fake Bot API (long polling).
    pub async fn spawn_with_bot() -> Self {
        Self::spawn_with_bot_and(|_| {}).await
    }

    /// Starts the app with its bot on, after `adjust` has changed its environment (for
    /// webhook mode, say).
    pub async fn spawn_with_bot_and(adjust: impl FnOnce(&mut HashMap<String, String>)) -> Self {
        let fake = fake_telegram::FakeTelegram::start().await;
        Self::spawn_inner(Some(fake), adjust, true).await
    }

    /// Starts the app mailing an SMTP server of its own on loopback, with the outbox
    /// dispatcher running inside the app as in `serve`.
    pub async fn spawn_with_smtp() -> (Self, SmtpSink) {
        let sink = SmtpSink::start();
        let url = sink.url();
        let app = Self::spawn_inner(None, |env| set(env, "RELAY_SMTP_URL", &url), true).await;
        (app, sink)
    }

    /// Starts the app without its background dispatcher, after `adjust`: the test drives
    /// [`TestApp::dispatcher`] with a clock of its own.
    pub async fn spawn_without_dispatcher(adjust: impl FnOnce(&mut HashMap<String, String>)) -> Self {
        Self::spawn_inner(None, adjust, false).await
    }

    /// A dispatcher as `serve` builds it from this app's configuration.
    pub fn dispatcher(&self) -> Dispatcher {
        Dispatcher::from_config(self.db.clone(), &self.config).expect("dispatcher")
    }

    /// Starts the app after `adjust`, against a fresh database on the PostgreSQL server of
    /// `admin_url` (a private one that the test stops and starts, say).
    pub async fn spawn_on_server(admin_url: &str, adjust: impl FnOnce(&mut HashMap<String, String>)) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let test_db = TestDb::on_server(admin_url).await;
        Self::spawn_in(dir, test_db, None, adjust, true).await
    }

    async fn spawn_inner(
        telegram: Option<fake_telegram::FakeTelegram>,
        adjust: impl FnOnce(&mut HashMap<String, String>),
        background_dispatch: bool,
    ) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let test_db = TestDb::fresh(dir.path()).await;
        Self::spawn_in(dir, test_db, telegram, adjust, background_dispatch).await
    }

    async fn spawn_in(
        dir: TempDir,
        test_db: TestDb,
        telegram: Option<fake_telegram::FakeTelegram>,
        adjust: impl FnOnce(&mut HashMap<String, String>),
        background_dispatch: bool,
    ) -> Self {
        let mut env = test_env(dir.path(), &test_db.url);
        if let Some(fake) = &telegram {
            env.insert("RELAY_TELEGRAM_TOKEN".into(), fake_telegram::TOKEN.into());
            env.insert("RELAY_TELEGRAM_API_URL".into(), fake.url.clone());
            // A hundred messages a second into a chat: bot tests do not wait on real time.
            env.insert("RELAY_TELEGRAM_THROTTLE".into(), "100".into());
        }
        adjust(&mut env);
        let config = Config::from_lookup(|k| env.get(k).cloned()).expect("test config");
        let (addr, state, stop, server) = start_server(config.clone(), background_dispatch).await;
        let db = Database::connect(test_db.url.as_str()).await.expect("test connection");
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        Self {
            addr,
            client,
            db,
            config,
            env,
            state,
            telegram,
            stop: Some(stop),
            server: Some(server),
            test_db,
            dir,
        }
    }

    /// Stops the server and its workers (as a killed process would stop), keeping the
    /// database, so that a test can change rows before [`TestApp::resume`].
    pub async fn halt(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.expect("server task").expect("server result");
        }
    }

    /// Starts the app again on the same database (a new process, as after a restart).
    pub async fn resume(&mut self) {
        let mut config = self.config.clone();
        config.bind = "127.0.0.1:0".parse().expect("addr");
        let (addr, state, stop, server) = start_server(config, true).await;
        self.addr = addr;
        self.state = state;
        self.stop = Some(stop);
        self.server = Some(server);
    }

    /// The full URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// GET `path`.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    /// POST a form to `path`.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .form(fields)
            .send()
            .await
            .expect("POST")
    }

    /// True when this test runs on PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        self.test_db.is_postgres()
    }

    /// The test's scratch folder.
    pub fn dir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    /// Runs the `charity-relay` binary against this app's database with `stdin` as input.
    pub fn cli(&self, args: &[&str], stdin: &str) -> CliRun {
        run_cli(&self.env, args, stdin)
    }

    /// Counts the rows of `table`.
    pub async fn count(&self, table: &str) -> i64 {
        scalar_i64(&self.db, &format!("SELECT COUNT(*) AS n FROM {table}")).await
    }

    /// Stops the server gracefully and waits for it.
    pub async fn stop(mut self) {
        self.shut_down().await;
    }

    /// Stops the server gracefully and waits for it, keeping the database to look at.
    pub async fn shut_down(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.expect("server task").expect("server result");
        }
    }
}

type Running = (
    SocketAddr,
    AppState,
    oneshot::Sender<()>,
    tokio::task::JoinHandle<std::io::Result<()>>,
);

/// A second instance of the service on the same database, with nothing else shared.
pub struct Instance {
    /// Where it listens.
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Instance {
    /// The full URL of `path` on this instance.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Stops it gracefully.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.expect("server task").expect("server result");
        }
    }
}

impl TestApp {
    /// Starts another instance of the service against this app's database and secret key.
    pub async fn another_instance(&self) -> Instance {
        let (addr, _, stop, server) = start_server(self.config.clone(), true).await;
        Instance {
            addr,
            stop: Some(stop),
            server: Some(server),
        }
    }
}

async fn start_server(config: Config, background_dispatch: bool) -> Running {
    let mut app = App::build(config).await.expect("build app");
    if !background_dispatch {
        app = app.without_dispatcher();
    }
    let addr = app.local_addr();
    let state = app.state().clone();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));
    (addr, state, stop, server)
}

/// Sets an environment variable of a test app.
pub fn set(env: &mut HashMap<String, String>, name: &str, value: &str) {
    env.insert(name.to_owned(), value.to_owned());
}

/// One integer from the first column of the first row of `sql`.
pub async fn scalar_i64(db: &DatabaseConnection, sql: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql.to_owned()))
        .await
        .expect("query")
        .expect("one row");
    // COUNT is 64-bit on both databases, plain integer columns are 32-bit on PostgreSQL.
    row.try_get_by_index::<i64>(0)
        .or_else(|_| row.try_get_by_index::<i32>(0).map(i64::from))
        .expect("integer")
}

/// What a CLI run printed and how it ended.
#[derive(Debug)]
pub struct CliRun {
    /// Exit code (`None` when killed by a signal).
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl CliRun {
    /// The last non-empty line of standard output.
    pub fn last_line(&self) -> &str {
        self.stdout
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or_default()
    }

    /// The non-empty lines of standard error.
    pub fn error_lines(&self) -> Vec<&str> {
        self.stderr.lines().filter(|l| !l.trim().is_empty()).collect()
    }
}

/// Runs the binary with exactly `env` (plus PATH) and `stdin`.
pub fn run_cli(env: &HashMap<String, String>, args: &[&str], stdin: &str) -> CliRun {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_charity-relay"))
        .args(args)
        .env_clear()
        .envs(env)
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn charity-relay");
    if let Some(mut input) = child.stdin.take() {
        let _ = input.write_all(stdin.as_bytes());
    }
    let Output { status, stdout, stderr } = child.wait_with_output().expect("wait");
    CliRun {
        code: status.code(),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}
