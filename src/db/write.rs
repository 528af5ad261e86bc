//! Write transactions. On SQLite one writer runs at a time per database file in this
//! process: the others wait their turn in a queue here, in order and without holding a
//! pooled connection, instead of in SQLite's busy handler, which polls with sleeps of up
//! to 100 ms and lets a late writer overtake one that has waited for seconds.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};
use std::time::Duration;

use sea_orm::{
    ConnAcquireErr, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, ExecResult,
    QueryResult, SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
};
use tokio::sync::OwnedMutexGuard;

/// As long as SQLite's own busy timeout: a writer that waits longer is told the database
/// is unavailable (503) rather than left waiting.
const TURN_TIMEOUT: Duration = Duration::from_secs(10);

/// A transaction that will write; on SQLite it also holds the process's turn to write.
pub struct WriteTxn {
    txn: DatabaseTransaction,
    _turn: Option<OwnedMutexGuard<()>>,
}

/// Starts a transaction that will write. On SQLite it waits for this process's turn, then
/// takes the write lock at BEGIN (`BEGIN IMMEDIATE`), so two transactions never deadlock
/// upgrading a read lock.
pub async fn begin_write(db: &DatabaseConnection) -> Result<WriteTxn, DbErr> {
    begin_within(db, TURN_TIMEOUT).await
}

async fn begin_within(db: &DatabaseConnection, patience: Duration) -> Result<WriteTxn, DbErr> {
    let turn = match db.get_database_backend() {
        DbBackend::Sqlite => {
            let file = db
                .get_sqlite_connection_pool()
                .connect_options()
                .get_filename()
                .to_path_buf();
            let queue = turn_of(file);
            let turn = tokio::time::timeout(patience, queue.lock_owned())
                .await
                .map_err(|_| DbErr::ConnectionAcquire(ConnAcquireErr::Timeout))?;
            Some(turn)
        }
        _ => None,
    };
    let txn = db
        .begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        })
        .await?;
    Ok(WriteTxn { txn, _turn: turn })
}

/// The queue of writers to one SQLite file.
fn turn_of(file: PathBuf) -> Arc<tokio::sync::Mutex<()>> {
    static TURNS: LazyLock<Mutex<HashMap<PathBuf, Arc<tokio::sync::Mutex<()>>>>> = LazyLock::new(Default::default);
    let mut turns = TURNS.lock().unwrap_or_else(PoisonError::into_inner);
    // A process writes to one database (tests: many, one after another); forget the
    // queues nobody waits in, so the map stays small.
    if turns.len() >= 64 {
        turns.retain(|_, queue| Arc::strong_count(queue) > 1);
    }
    turns.entry(file).or_default().clone()
}

impl WriteTxn {
    /// Commits, then lets the next writer go.
    pub async fn commit(self) -> Result<(), DbErr> {
        self.txn.commit().await
    }

    /// Rolls back, then lets the next writer go.
    pub async fn rollback(self) -> Result<(), DbErr> {
        self.txn.rollback().await
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for WriteTxn {
    fn get_database_backend(&self) -> DbBackend {
        self.txn.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.txn.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.txn.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.txn.query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.txn.query_all_raw(stmt).await
    }

    fn support_returning(&self) -> bool {
        self.txn.support_returning()
    }
}

#[cfg(test)]
mod tests {
    use futures::future::join_all;
    use sea_orm::{ConnectOptions, Database};

    use super::*;

    async fn impatient_sqlite(dir: &tempfile::TempDir) -> DatabaseConnection {
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("turns.db").display());
        let mut options = ConnectOptions::new(url);
        // SQLite itself would give up at once: only the queue keeps the writers apart.
        options.max_connections(8).map_sqlx_sqlite_opts(|o| {
            o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .busy_timeout(Duration::from_millis(1))
        });
        let db = Database::connect(options).await.expect("connect");
        db.execute_unprepared("CREATE TABLE t (x INTEGER)")
            .await
            .expect("table");
        db
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn fifty_concurrent_sqlite_writers_all_commit_in_turn() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = impatient_sqlite(&dir).await;
        let writers = (0..50).map(|i| {
            let db = db.clone();
            tokio::spawn(async move {
                let txn = begin_write(&db).await?;
                txn.execute_unprepared(&format!("INSERT INTO t VALUES ({i})")).await?;
                tokio::time::sleep(Duration::from_millis(2)).await;
                txn.commit().await
            })
        });
        for outcome in join_all(writers).await {
            outcome.expect("task").expect("every writer commits");
        }
        let row = db
            .query_one_raw(Statement::from_string(DbBackend::Sqlite, "SELECT COUNT(*) FROM t"))
            .await
            .expect("count")
            .expect("row");
        assert_eq!(row.try_get_by_index::<i64>(0).expect("count"), 50);
    }

    #[tokio::test]
    async fn a_writer_that_waits_too_long_for_its_turn_is_told_unavailable() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = impatient_sqlite(&dir).await;
        let holder = begin_write(&db).await.expect("first writer");
        let waited = begin_within(&db, Duration::from_millis(50))
            .await
            .err()
            .expect("the second writer gives up");
        assert!(crate::db::is_unavailable(&waited), "{waited}");
        holder.rollback().await.expect("rollback");
        // Its turn released, the next writer goes at once.
        let next = begin_within(&db, Duration::from_millis(50)).await.expect("next writer");
        next.commit().await.expect("commit");
    }
}
