//! Sealing the audit log into a hash chain, and checking the chain.
//!
//! A background sealer links rows in id order shortly after they commit, never inside the
//! transaction that writes them: a claim does not wait on the chain, and the chain does not
//! serialize claims. Each seal is SHA-256 of the previous seal and the row's canonical
//! encoding ([`crate::domain::audit_chain`]).
//!
//! Ids on PostgreSQL come from a sequence when a row is inserted, so a lower id may commit
//! after a higher one. The sealer therefore seals only rows older than [`SETTLE`], and only
//! contiguously: at a gap in the ids it stops until the row after the gap is older than
//! [`GAP_TIMEOUT`] — by then the gap is a rolled-back transaction's, not a slow one's. A
//! row that still commits into such a gap stays unsealed below sealed rows, and
//! `admin verify-audit` names it. One sealer works at a time: a transaction-scoped advisory
//! lock on PostgreSQL; SQLite's write transactions are serial already.

use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Statement,
};
use tokio_util::sync::CancellationToken;

use crate::db::{begin_write, statement};
use crate::domain::audit_chain::{GENESIS, RowFields, link};
use crate::entities::audit_log;

/// A row is sealed once it is this old: long enough for a lower id to have committed.
pub const SETTLE: Duration = Duration::seconds(5);
/// A gap in the ids older than this is taken as a rolled-back transaction's and passed.
pub const GAP_TIMEOUT: Duration = Duration::minutes(2);
/// Rows sealed per transaction, so the write lock is held briefly.
pub const BATCH: u64 = 500;
/// How often the sealer looks for rows.
pub const INTERVAL: StdDuration = StdDuration::from_secs(2);

/// The advisory lock (two-key form; it does not overlap the one-key merchant locks).
const LOCK_CLASS: i32 = 0x5245_4c41; // "RELA"
const LOCK_SEALER: i32 = 1;

fn fields(row: &audit_log::Model) -> RowFields<'_> {
    RowFields {
        id: row.id,
        at_micros: row.at.timestamp_micros(),
        actor_kind: &row.actor_kind,
        actor_id: row.actor_id.as_deref(),
        organization_id: row.organization_id,
        action: &row.action,
        subject_kind: row.subject_kind.as_deref(),
        subject_id: row.subject_id.as_deref(),
        outcome: &row.outcome,
        detail: &row.detail,
        request_id: row.request_id.as_deref(),
    }
}

/// Seals what can be sealed as of `now`; returns how many rows it sealed.
pub async fn seal(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<u64, DbErr> {
    let mut total = 0;
    loop {
        let sealed = seal_batch(db, now).await?;
        total += sealed;
        if sealed < BATCH {
            return Ok(total);
        }
    }
}

async fn seal_batch(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<u64, DbErr> {
    // Most ticks find nothing settled to seal: ask without taking the write lock. Both
    // queries walk the primary key from the newest row down to the last sealed one.
    let sealed_up_to = last_sealed(db).await?.map_or(0, |row| row.id);
    let due = audit_log::Entity::find()
        .filter(audit_log::Column::Id.gt(sealed_up_to))
        .filter(audit_log::Column::At.lte(now - SETTLE))
        .one(db)
        .await?;
    if due.is_none() {
        return Ok(0);
    }
    let txn = begin_write(db).await?;
    if txn.get_database_backend() == DbBackend::Postgres {
        let got = txn
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_try_advisory_xact_lock($1, $2) AS got",
                [LOCK_CLASS.into(), LOCK_SEALER.into()],
            ))
            .await?
            .map(|r| r.try_get::<bool>("", "got"))
            .transpose()?
            .unwrap_or(false);
        if !got {
            // Another instance is sealing.
            txn.rollback().await?;
            return Ok(0);
        }
    }
    let last = last_sealed(&txn).await?;
    let (mut prev, mut expected) = match &last {
        Some(row) => (row.chain_hash.clone().unwrap_or_default(), Some(row.id + 1)),
        None => (GENESIS.to_owned(), None),
    };
    let candidates = audit_log::Entity::find()
        .filter(audit_log::Column::Id.gt(last.as_ref().map_or(0, |r| r.id)))
        .order_by_asc(audit_log::Column::Id)
        .limit(BATCH)
        .all(&txn)
        .await?;
    let mut sealed = 0;
    for row in &candidates {
        if row.at > now - SETTLE {
            break;
        }
        if expected.is_some_and(|id| id != row.id) && row.at > now - GAP_TIMEOUT {
            // A lower id may still commit.
            break;
        }
        let hash = link(&prev, &fields(row));
        txn.execute_raw(statement(
            &txn,
            "UPDATE audit_log SET chain_hash = ?, sealed_at = ? WHERE id = ? AND chain_hash IS NULL",
            vec![hash.clone().into(), now.into(), row.id.into()],
        ))
        .await?;
        prev = hash;
        expected = Some(row.id + 1);
        sealed += 1;
    }
    txn.commit().await?;
    Ok(sealed)
}

async fn last_sealed<C: ConnectionTrait>(conn: &C) -> Result<Option<audit_log::Model>, DbErr> {
    audit_log::Entity::find()
        .filter(audit_log::Column::ChainHash.is_not_null())
        .order_by_desc(audit_log::Column::Id)
        .one(conn)
        .await
}

/// What [`verify`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    /// Every sealed row links to the one before; `pending` recent rows await the sealer.
    Intact {
        /// Rows whose seal was checked.
        verified: u64,
        /// Recent rows not sealed yet.
        pending: u64,
    },
    /// The first row where the chain fails.
    Broken {
        /// Its id.
        id: i64,
        /// Rows verified before it.
        verified: u64,
        /// Why.
        reason: Broken,
    },
}

/// Why a row breaks the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Broken {
    /// Its seal does not match its fields and the seal before it: the row was altered, or a
    /// row before it was removed or altered.
    Mismatch,
    /// It has no seal though rows after it have one, or it is older than the sealer's grace.
    Unsealed,
}

/// Walks the chain in id order as of `now`.
pub async fn verify<C: ConnectionTrait>(db: &C, now: DateTime<Utc>) -> Result<Verification, DbErr> {
    let mut prev = GENESIS.to_owned();
    let mut verified = 0u64;
    let mut first_unsealed: Option<audit_log::Model> = None;
    let mut pending = 0u64;
    let mut after = 0i64;
    loop {
        let page = audit_log::Entity::find()
            .filter(audit_log::Column::Id.gt(after))
            .order_by_asc(audit_log::Column::Id)
            .limit(1000)
            .all(db)
            .await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        for row in page {
            match &row.chain_hash {
                None => {
                    pending += 1;
                    first_unsealed.get_or_insert(row);
                }
                Some(stored) => {
                    if let Some(gap) = first_unsealed.take() {
                        return Ok(Verification::Broken {
                            id: gap.id,
                            verified,
                            reason: Broken::Unsealed,
                        });
                    }
                    let expected = link(&prev, &fields(&row));
                    if &expected != stored {
                        return Ok(Verification::Broken {
                            id: row.id,
                            verified,
                            reason: Broken::Mismatch,
                        });
                    }
                    prev = expected;
                    verified += 1;
                }
            }
        }
    }
    match first_unsealed {
        Some(row) if row.at <= now - GAP_TIMEOUT - SETTLE - Duration::minutes(1) => Ok(Verification::Broken {
            id: row.id,
            verified,
            reason: Broken::Unsealed,
        }),
        _ => Ok(Verification::Intact { verified, pending }),
    }
}

/// Seals every [`INTERVAL`] until `cancel`.
pub async fn run_sealer(db: DatabaseConnection, cancel: CancellationToken) {
    let mut ticker = tokio::time::interval(INTERVAL);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = cancel.cancelled() => break,
            _ = ticker.tick() => {}
        }
        match seal(&db, Utc::now()).await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(sealed = n, "audit rows sealed"),
            Err(e) => tracing::warn!(error = %e, "sealing the audit log failed; retrying"),
        }
    }
}
