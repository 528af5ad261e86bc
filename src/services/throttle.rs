//! Counting attempts per key (an account, a client address, an email) in a fixed window,
//! reserved in one conditional statement before any expensive work: sign-in (before a
//! password is hashed) and the public application form (before anything is looked up or
//! mailed). The counts live in `login_throttles`, pruned by retention once their window ends.

use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};

use crate::entities::login_throttle;

/// The key a client address is counted under: an IPv4 address itself, an IPv6 address by
/// its /64 network. One IPv6 host commonly holds a whole /64 (2^64 addresses), so counting
/// single IPv6 addresses would give one attacker endless fresh counts.
pub fn client_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// The wider network a client address belongs to: an IPv4 /24, an IPv6 /48 (what one site
/// or one cheap server range is commonly given), for limits that one owner of many
/// addresses must not multiply.
pub fn client_network(ip: IpAddr) -> String {
    let v4 = match ip {
        IpAddr::V4(v4) => Some(v4),
        IpAddr::V6(v6) => v6.to_ipv4_mapped(),
    };
    match (v4, ip) {
        (Some(v4), _) => {
            let o = v4.octets();
            format!("{}.{}.{}.0/24", o[0], o[1], o[2])
        }
        (None, IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2])
        }
        (None, IpAddr::V4(_)) => unreachable!("an IPv4 address has its octets"),
    }
}

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

#[cfg(test)]
mod tests {
    use super::client_key;

    #[test]
    fn an_ipv6_host_is_counted_by_its_slash_64_and_ipv4_by_its_address() {
        let key = |s: &str| client_key(s.parse().expect("address"));
        assert_eq!(key("2001:db8:1:2:aaaa::1"), key("2001:db8:1:2:ffff:ffff:ffff:ffff"));
        assert_eq!(key("2001:db8:1:2::9"), "2001:db8:1:2::/64");
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        assert_eq!(key("203.0.113.7"), "203.0.113.7");
        assert_ne!(key("203.0.113.7"), key("203.0.113.8"));
        // A v4 client reaching a dual-stack socket is still counted as itself.
        assert_eq!(key("::ffff:203.0.113.7"), "203.0.113.7");
    }

    #[test]
    fn a_wider_network_is_an_ipv4_slash_24_or_an_ipv6_slash_48() {
        let net = |s: &str| super::client_network(s.parse().expect("address"));
        assert_eq!(net("203.0.113.7"), "203.0.113.0/24");
        assert_eq!(net("::ffff:203.0.113.7"), "203.0.113.0/24");
        assert_eq!(net("2001:db8:1:2::1"), net("2001:db8:1:ff00::1"), "every /64 of a /48");
        assert_ne!(net("2001:db8:1::1"), net("2001:db8:2::1"));
    }
}
