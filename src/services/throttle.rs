//! Counting attempts per key (an account, a client address, an email) in a fixed window,
//! reserved in one conditional statement before any expensive work: sign-in (before a
//! password is hashed) and the public application form (before anything is looked up or
//! mailed). The counts live in `login_throttles`, pruned by retention once their window ends.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};

use crate::entities::login_throttle;

/// Counts an attempt under `key` in one statement, before any hashing; `Some(minutes left)`
/// when it is past the `limit`-th of the window. A window starts with the
/// first attempt and lasts `window`; `locked_until` holds its end (a row is
/// void after it). Concurrent attempts each get their own count from the database, so none
/// is lost and no more than `limit` pass.
pub(crate) async fn reserve<C: sea_orm::ConnectionTrait>(
    db: &C,
    key: &str,
    limit: i32,
    window: Duration,
    now: DateTime<Utc>,
) -> Result<Option<i64>, sea_orm::DbErr> {
    use login_throttle::Column;
    let window_end = now + window;
    let expired = Expr::col((login_throttle::Entity, Column::LockedUntil))
        .is_null()
        .or(Expr::col((login_throttle::Entity, Column::LockedUntil)).lte(now));
    let row = login_throttle::ActiveModel {
        throttle_key: Set(key.to_owned()),
        failures: Set(1),
        window_started_at: Set(now),
        locked_until: Set(Some(window_end)),
    };
    let counted = login_throttle::Entity::insert(row)
        .on_conflict(
            OnConflict::column(Column::ThrottleKey)
                .values([
                    (
                        Column::Failures,
                        Expr::case(expired.clone(), 1)
                            .finally(Expr::col((login_throttle::Entity, Column::Failures)).add(1))
                            .into(),
                    ),
                    (
                        Column::WindowStartedAt,
                        Expr::case(expired.clone(), now)
                            .finally(Expr::col((login_throttle::Entity, Column::WindowStartedAt)))
                            .into(),
                    ),
                    (
                        Column::LockedUntil,
                        Expr::case(expired, window_end)
                            .finally(Expr::col((login_throttle::Entity, Column::LockedUntil)))
                            .into(),
                    ),
                ])
                .to_owned(),
        )
        .exec_with_returning(db)
        .await?;
    if counted.failures <= limit {
        return Ok(None);
    }
    let until = counted.locked_until.unwrap_or(window_end);
    Ok(Some(std::cmp::max((until - now).num_seconds() + 59, 60) / 60))
}

/// Gives back an attempt reserved under `key` that ended without a wrong password.
pub(crate) async fn give_back<C: sea_orm::ConnectionTrait>(txn: &C, key: &str) -> Result<(), sea_orm::DbErr> {
    login_throttle::Entity::update_many()
        .col_expr(
            login_throttle::Column::Failures,
            Expr::col(login_throttle::Column::Failures).sub(1),
        )
        .filter(login_throttle::Column::ThrottleKey.eq(key))
        .filter(login_throttle::Column::Failures.gt(0))
        .exec(txn)
        .await?;
    Ok(())
}
