//! What may happen to a due row (consent, unsubscribe, the hourly limit) and how long a
//! temporarily failing one waits. Pure functions, tested in place.

use chrono::Duration;

use crate::domain::HoldReason;
use crate::entities::{contact, outbox};
use crate::services::contacts::CONSENT_KIND;

/// Tries before a temporarily failing message is dead: with the backoff of
/// [`retry_delay`] the last one comes 35 to 70 minutes after the first.
pub const MAX_ATTEMPTS: i32 = 10;

/// The wait before try `attempts + 1`, after `attempts` failed tries: 20 s doubling up to
/// 15 minutes, and `jitter` (0..1) spreads it over its upper half so that many messages
/// failing together do not come back together.
pub fn retry_delay(attempts: i32, jitter: f64) -> Duration {
    let exponent = u32::try_from(attempts.clamp(1, 16) - 1).unwrap_or(0);
    let full = Ord::min(20i64 << exponent, 15 * 60);
    let millis = (full as f64 * 1000.0 * (0.5 + 0.5 * jitter.clamp(0.0, 1.0))) as i64;
    Duration::milliseconds(millis)
}

/// What the claim step decided for one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Send it; `count` admits it against the contact's hourly limit now.
    Send {
        /// Whether this send counts against the limit.
        count: bool,
    },
    /// Keep it back: until the contact confirms, or for the digest.
    Hold(HoldReason),
    /// Never send it, for this reason.
    Dead(&'static str),
}

/// Decides what may happen to `row` for contact `contact` (`None` for staff mail), given
/// the contact's sends in the last hour and whether some of its rows already wait for a
/// digest.
pub fn admit(
    row: &outbox::Model,
    contact: Option<&contact::Model>,
    sent_in_window: u64,
    waiting_for_digest: bool,
    hourly_limit: u32,
) -> Admission {
    if row.contact_id.is_none() {
        return Admission::Send { count: false };
    }
    let Some(c) = contact else {
        return Admission::Dead("contact no longer exists");
    };
    if c.undeliverable_at.is_some() {
        return Admission::Dead("address undeliverable");
    }
    if c.consent_status == "unsubscribed" {
        return Admission::Dead("contact unsubscribed");
    }
    if row.kind == CONSENT_KIND {
        // The confirmation never counts against the limit and is the one mail a pending
        // contact gets.
        return if c.consent_status == "pending" {
            Admission::Send { count: false }
        } else {
            Admission::Dead("consent already given")
        };
    }
    if c.consent_status != "confirmed" {
        return Admission::Hold(HoldReason::Consent);
    }
    if row.counted_at.is_some() {
        return Admission::Send { count: false }; // a retry, or a digest that reserved its slot
    }
    if hourly_limit > 0 && (sent_in_window >= u64::from(hourly_limit) || waiting_for_digest) {
        return Admission::Hold(HoldReason::Rate);
    }
    Admission::Send { count: true }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    #[test]
    fn the_first_retry_comes_within_30_seconds_and_the_wait_is_capped_at_15_minutes() {
        for jitter in [0.0, 0.5, 0.999] {
            let first = retry_delay(1, jitter);
            assert!(
                first >= Duration::seconds(10) && first <= Duration::seconds(20),
                "{first}"
            );
            assert!(retry_delay(30, jitter) <= Duration::minutes(15));
        }
        assert!(retry_delay(4, 0.0) > retry_delay(2, 0.999), "the wait grows");
        let total: i64 = (1..MAX_ATTEMPTS).map(|a| retry_delay(a, 1.0).num_seconds()).sum();
        assert!(
            total < 2 * 3600,
            "a message is given up within about an hour ({total} s)"
        );
    }

    fn row(kind: &str, contact_id: Option<i64>) -> outbox::Model {
        let now = Utc::now();
        outbox::Model {
            id: 1,
            channel: crate::domain::Channel::Email,
            recipient: "r@example.org".into(),
            contact_id,
            merchant_id: None,
            kind: kind.into(),
            locale: crate::domain::Locale::En.into(),
            payload: "{}".into(),
            dedupe_key: "k".into(),
            message_id: "<m@x>".into(),
            status: crate::domain::OutboxStatus::Pending,
            attempts: 0,
            next_attempt_at: now,
            locked_until: None,
            last_error: None,
            created_at: now,
            sent_at: None,
            hold_reason: None,
            digest_id: None,
            counted_at: None,
            send_started_at: None,
            subdistrict_id: None,
        }
    }

    fn contact(status: &str) -> contact::Model {
        let now = Utc::now();
        contact::Model {
            id: 9,
            email: "r@example.org".into(),
            locale: crate::domain::Locale::En.into(),
            consent_status: status.into(),
            consent_requested_at: Some(now),
            consent_at: None,
            consent_wording_version: None,
            confirm_token_digest: None,
            confirm_expires_at: None,
            unsubscribe_token_digest: "d".into(),
            undeliverable_at: None,
            created_at: now,
            updated_at: now,
            organization_id: Some(1),
            consent_resent_at: None,
            consent_resends_since: None,
            consent_resends: 0,
        }
    }

    #[test]
    fn consent_and_the_hourly_limit_decide_what_goes() {
        let news = row("resident-need-claimed", Some(9));
        let consent = row(CONSENT_KIND, Some(9));
        let pending = contact("pending");
        let confirmed = contact("confirmed");
        let gone = contact("unsubscribed");
        let mut bounced = contact("confirmed");
        bounced.undeliverable_at = Some(Utc::now());

        assert_eq!(
            admit(&row("worker-need-claimed", None), None, 99, true, 4),
            Admission::Send { count: false }
        );
        assert_eq!(
            admit(&consent, Some(&pending), 99, true, 4),
            Admission::Send { count: false }
        );
        assert_eq!(
            admit(&news, Some(&pending), 0, false, 4),
            Admission::Hold(HoldReason::Consent)
        );
        assert_eq!(
            admit(&news, Some(&gone), 0, false, 4),
            Admission::Dead("contact unsubscribed")
        );
        assert_eq!(
            admit(&news, Some(&bounced), 0, false, 4),
            Admission::Dead("address undeliverable")
        );
        assert_eq!(
            admit(&consent, Some(&confirmed), 0, false, 4),
            Admission::Dead("consent already given")
        );
        assert_eq!(
            admit(&news, Some(&confirmed), 3, false, 4),
            Admission::Send { count: true }
        );
        assert_eq!(
            admit(&news, Some(&confirmed), 4, false, 4),
            Admission::Hold(HoldReason::Rate)
        );
        assert_eq!(
            admit(&news, Some(&confirmed), 0, true, 4),
            Admission::Hold(HoldReason::Rate)
        );
        assert_eq!(
            admit(&news, Some(&confirmed), 400, true, 0),
            Admission::Send { count: true }
        );
        let mut retry = news.clone();
        retry.counted_at = Some(Utc::now());
        assert_eq!(
            admit(&retry, Some(&confirmed), 9, true, 4),
            Admission::Send { count: false }
        );
    }
}
