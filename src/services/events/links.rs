//! The links in a volunteer's event emails: sign up for a role, cancel a sign-up. Each is
//! signed for one purpose, one event and one volunteer (and, to sign up, one role) with a
//! key derived from the server secret, and made when the email is sent, so no usable link
//! rests in the outbox. A link stops working when the event begins; nothing else about it
//! is secret, so a forwarded link signs up the person it was sent to, never the forwarder.

use subtle::ConstantTimeEq;

use crate::config::Secret;
use crate::crypto;
use crate::services::outbox::Notification;

/// How many hex characters of the signature a link carries (128 bits).
const SIGNATURE_HEX: usize = 32;

fn sign(secret: &Secret, purpose: &str, message: &str) -> String {
    let mut hex = crypto::keyed_hex(secret, purpose, message.as_bytes());
    hex.truncate(SIGNATURE_HEX);
    hex
}

/// The signature of a sign-up link for `volunteer_id` to `role_id` of `event_id`.
pub fn signup_signature(secret: &Secret, event_id: i64, volunteer_id: i64, role_id: i64) -> String {
    sign(
        secret,
        "event-signup-v1",
        &format!("{event_id}:{volunteer_id}:{role_id}"),
    )
}

/// The signature of the cancel link of `volunteer_id`'s sign-up to `event_id`.
pub fn cancel_signature(secret: &Secret, event_id: i64, volunteer_id: i64) -> String {
    sign(secret, "event-cancel-v1", &format!("{event_id}:{volunteer_id}"))
}

/// True when `sent` is `expected`, compared in constant time.
pub fn matches(expected: &str, sent: &str) -> bool {
    expected.len() == sent.len() && bool::from(expected.as_bytes().ct_eq(sent.as_bytes()))
}

/// The sign-up page of a role, for the invitation email.
pub fn signup_url(secret: &Secret, public_url: &str, event_id: i64, volunteer_id: i64, role_id: i64) -> String {
    let s = signup_signature(secret, event_id, volunteer_id, role_id);
    format!("{public_url}/e/{event_id}/join?v={volunteer_id}&r={role_id}&s={s}")
}

/// The cancel page of a sign-up.
pub fn cancel_url(secret: &Secret, public_url: &str, event_id: i64, volunteer_id: i64) -> String {
    let s = cancel_signature(secret, event_id, volunteer_id);
    format!("{public_url}/e/{event_id}/cancel?v={volunteer_id}&s={s}")
}

/// The links `notification` carries: a sign-up URL per role of an invitation, and the
/// cancel URL of a sign-up's notices (none once the event is cancelled).
pub fn for_notification(
    secret: &Secret,
    public_url: &str,
    notification: &Notification,
) -> (Vec<(i64, String)>, Option<String>) {
    match notification {
        Notification::ResidentEventInvite(invite) => {
            let e = &invite.event;
            let urls = invite
                .roles
                .iter()
                .map(|r| {
                    (
                        r.role_id,
                        signup_url(secret, public_url, e.event_id, e.volunteer_id, r.role_id),
                    )
                })
                .collect();
            (urls, None)
        }
        Notification::ResidentEventSignedUp(n)
        | Notification::ResidentEventPromoted(n)
        | Notification::ResidentEventReminder(n) => {
            let e = &n.event;
            (
                Vec::new(),
                Some(cancel_url(secret, public_url, e.event_id, e.volunteer_id)),
            )
        }
        _ => (Vec::new(), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_is_for_one_event_volunteer_role_and_purpose() {
        let s = Secret::new("k".repeat(40));
        let a = signup_signature(&s, 1, 2, 3);
        assert_eq!(a.len(), SIGNATURE_HEX);
        assert!(matches(&a, &signup_signature(&s, 1, 2, 3)));
        for other in [
            signup_signature(&s, 1, 2, 4),
            signup_signature(&s, 1, 3, 3),
            signup_signature(&s, 2, 2, 3),
            signup_signature(&Secret::new("j".repeat(40)), 1, 2, 3),
        ] {
            assert!(!matches(&a, &other));
        }
        // "12:3" and "1:23" must not collide through the separators, nor purposes share a key.
        assert_ne!(
            cancel_signature(&s, 1, 2),
            signup_signature(&s, 1, 2, 0)[..SIGNATURE_HEX]
        );
        assert!(!matches(&a, ""));
        assert!(!matches(&a, &a[..31]));
    }
}
