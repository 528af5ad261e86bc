//! Connecting to SQLite or PostgreSQL, migrating, and starting write transactions.

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::error::{DatabaseError, Error as SqlxError};
use sea_orm::sqlx::postgres::PgDatabaseError;
use sea_orm::sqlx::sqlite::SqliteError;
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr, RuntimeErr, Statement};

use crate::config::{Config, mask_url};

mod write;

pub use write::{WriteTxn, begin_write};

/// The database could not be reached or prepared.
#[derive(Debug, thiserror::Error)]
pub enum DbSetupError {
    /// Connecting failed.
    #[error("cannot connect to the database at {url}: {cause}")]
    Connect {
        /// The URL with its password masked.
        url: String,
        /// Why, in the driver's words.
        cause: String,
    },
    /// Applying migrations failed.
    #[error("cannot apply database migrations: {0}")]
    Migrate(DbErr),
}

/// Opens a pool. SQLite runs in WAL mode with foreign keys on and a 10 s busy timeout;
/// PostgreSQL connections time out after 5 s so a dead server is reported, not waited on.
pub async fn connect(config: &Config) -> Result<DatabaseConnection, DbSetupError> {
    let url = config.database_url.expose().to_owned();
    let mut options = ConnectOptions::new(url.clone());
    options
        .sqlx_logging(false)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(5))
        .idle_timeout(Duration::from_secs(300));
    if config.is_sqlite() {
        prepare_sqlite_file(&url);
        // Readers run in parallel under WAL; writers queue on the busy timeout.
        options.max_connections(8).min_connections(1).map_sqlx_sqlite_opts(|o| {
            o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
        });
    } else {
        options.max_connections(16).min_connections(1);
    }
    Database::connect(options).await.map_err(|e| DbSetupError::Connect {
        url: mask_url(&url),
        cause: short_cause(&e),
    })
}

/// Creates the SQLite file readable by this account only (0600) before SQLite does, whatever
/// the umask: SQLite creates its `-wal`, `-shm` and `-journal` files with the main file's
/// permissions, so they are 0600 too. Files of an older install are narrowed to 0600. Best
/// effort: a path that cannot be prepared is left for the connection to report.
fn prepare_sqlite_file(url: &str) {
    use std::str::FromStr;
    let Ok(options) = sea_orm::sqlx::sqlite::SqliteConnectOptions::from_str(url) else {
        return;
    };
    let file = options.get_filename();
    let name = file.to_string_lossy();
    if name.is_empty() || name.starts_with(':') || url.contains("mode=memory") {
        return;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let _ = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(file);
    }
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut path = file.as_os_str().to_owned();
        path.push(suffix);
        crate::config::narrow_to_owner(std::path::Path::new(&path));
    }
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbSetupError> {
    Migrator::up(db, None).await.map_err(DbSetupError::Migrate)
}

/// One round trip to the database, for `/readyz`.
pub async fn ping(db: &DatabaseConnection) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    db.query_one_raw(Statement::from_string(backend, "SELECT 1"))
        .await
        .map(|_| ())
}

/// True when `e` means the database cannot be reached or cannot take work right now rather
/// than that the request was wrong: the connection was lost, reset or refused, none could
/// be had from the pool, the server is shutting down or starting up, or SQLite stayed busy
/// past its timeout. The same request may well succeed a moment later.
pub fn is_unavailable(e: &DbErr) -> bool {
    let runtime = match e {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => return true,
        DbErr::Exec(runtime) | DbErr::Query(runtime) => runtime,
        _ => return false,
    };
    let RuntimeErr::SqlxError(error) = runtime else {
        return false;
    };
    match error.as_ref() {
        // A statement that lost its connection half-way fails with the socket's error.
        SqlxError::Io(_)
        | SqlxError::Tls(_)
        | SqlxError::Protocol(_)
        | SqlxError::PoolTimedOut
        | SqlxError::PoolClosed
        | SqlxError::WorkerCrashed => true,
        SqlxError::Database(db) => server_unavailable(db.as_ref()),
        _ => false,
    }
}

/// PostgreSQL: connection exceptions (class 08), the server shutting down or not yet
/// accepting (57P01–57P03), too many connections (53300). SQLite: busy or locked (primary
/// codes 5 and 6; the extended codes carry them in their low byte).
fn server_unavailable(db: &dyn DatabaseError) -> bool {
    if let Some(pg) = db.try_downcast_ref::<PgDatabaseError>() {
        let code = pg.code();
        return code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03" | "53300");
    }
    if let Some(sqlite) = db.try_downcast_ref::<SqliteError>() {
        let code = sqlite.code().and_then(|c| c.parse::<i32>().ok()).unwrap_or(0);
        return matches!(code & 0xff, 5 | 6);
    }
    false
}

/// True on PostgreSQL, where `FOR UPDATE SKIP LOCKED` and several instances are possible.
pub fn is_postgres(db: &DatabaseConnection) -> bool {
    db.get_database_backend() == DbBackend::Postgres
}

fn short_cause(e: &DbErr) -> String {
    let text = e.to_string();
    text.lines().next().unwrap_or_default().to_owned()
}

/// Serialises the claim-related transactions of one merchant on PostgreSQL (a transaction-
/// scoped advisory lock), so its claim limit holds under concurrency. Lock order everywhere:
/// merchant, then need, then claim. SQLite's write transactions are serial already.
pub async fn lock_merchant<C: ConnectionTrait>(txn: &C, merchant_id: i64) -> Result<(), DbErr> {
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock($1)",
            [merchant_id.into()],
        ))
        .await?;
    }
    Ok(())
}

/// Reads need `id` with a row lock (`FOR UPDATE` on PostgreSQL; SQLite's write
/// transaction is already exclusive). Every change to a need or its claims takes it first.
pub async fn lock_need<C: ConnectionTrait>(txn: &C, id: i64) -> Result<Option<crate::entities::need::Model>, DbErr> {
    use sea_orm::{EntityTrait, QuerySelect};
    crate::entities::need::Entity::find_by_id(id)
        .lock_exclusive()
        .one(txn)
        .await
}

/// `'a','b'` for an SQL `IN (…)` list of stored enum texts (fixed strings from the
/// domain's enums, never input).
pub fn sql_list(texts: impl IntoIterator<Item = &'static str>) -> String {
    texts
        .into_iter()
        .map(|t| format!("'{t}'"))
        .collect::<Vec<_>>()
        .join(",")
}

/// A statement written with `?` placeholders, numbered `$1, $2, …` for PostgreSQL.
pub fn statement<C: ConnectionTrait>(conn: &C, sql: &str, values: Vec<sea_orm::Value>) -> Statement {
    let backend = conn.get_database_backend();
    let sql = if backend == DbBackend::Postgres {
        let mut out = String::with_capacity(sql.len() + 8);
        let mut n = 0;
        for ch in sql.chars() {
            if ch == '?' {
                n += 1;
                out.push('$');
                out.push_str(&n.to_string());
            } else {
                out.push(ch);
            }
        }
        out
    } else {
        sql.to_owned()
    };
    Statement::from_sql_and_values(backend, sql, values)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn query_failed(e: SqlxError) -> DbErr {
        DbErr::Query(RuntimeErr::SqlxError(Arc::new(e)))
    }

    #[test]
    fn a_lost_connection_is_unavailable_however_it_surfaces() {
        let reset = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        let broken = std::io::Error::from(std::io::ErrorKind::BrokenPipe);
        assert!(is_unavailable(&query_failed(SqlxError::Io(reset))));
        assert!(is_unavailable(&DbErr::Exec(RuntimeErr::SqlxError(Arc::new(
            SqlxError::Io(broken)
        )))));
        assert!(is_unavailable(&query_failed(SqlxError::Protocol(
            "unexpected end".into()
        ))));
        assert!(is_unavailable(&DbErr::ConnectionAcquire(
            sea_orm::ConnAcquireErr::Timeout
        )));
    }

    #[test]
    fn a_wrong_request_is_not_unavailable() {
        assert!(!is_unavailable(&query_failed(SqlxError::RowNotFound)));
        assert!(!is_unavailable(&query_failed(SqlxError::ColumnNotFound("x".into()))));
        assert!(!is_unavailable(&DbErr::RecordNotFound("need".into())));
        assert!(!is_unavailable(&DbErr::Custom("connection".into())));
    }

    #[tokio::test]
    async fn sqlite_busy_past_its_timeout_is_unavailable() {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("busy.db").display());
        let first = Database::connect(url.as_str()).await.expect("connect");
        let mut impatient = ConnectOptions::new(url.clone());
        impatient
            .max_connections(1)
            .map_sqlx_sqlite_opts(|o| o.busy_timeout(Duration::from_millis(1)));
        let second = Database::connect(impatient).await.expect("connect");
        let run = |sql: &str| Statement::from_string(DbBackend::Sqlite, sql.to_owned());
        first
            .execute_raw(run("CREATE TABLE t (x INTEGER)"))
            .await
            .expect("table");
        let holder = begin_write(&first).await.expect("first writer");
        holder
            .execute_raw(run("INSERT INTO t VALUES (1)"))
            .await
            .expect("insert");

        let busy = second
            .execute_raw(run("INSERT INTO t VALUES (2)"))
            .await
            .expect_err("the second writer gives up after its timeout");
        assert!(is_unavailable(&busy), "{busy}");
        holder.rollback().await.expect("rollback");
    }
}
