//! The outbox's vocabulary: how a message travels, where it stands, and why it waits.
//! People see these through the office's outbox page, whose labels live in `locales/`.

code_enum! {
    /// How a message travels.
    Channel, "channel" {
        /// Email to a resident's contact or a staff member.
        Email => "email",
        /// Telegram to a merchant's linked chat.
        Telegram => "telegram",
    }
}

code_enum! {
    /// Where an outbox message stands.
    OutboxStatus, "outbox status" {
        /// Waiting for its first attempt.
        Pending => "pending",
        /// An attempt failed; another is due at `next_attempt_at`.
        Failed => "failed",
        /// Given up: out of attempts, undeliverable, or no longer allowed.
        Dead => "dead",
        /// Waiting for a reason of its own (see [`HoldReason`]).
        Held => "held",
        /// Delivered to the mail server or the Bot API.
        Sent => "sent",
    }
}

impl OutboxStatus {
    /// States the dispatcher leases a row from.
    pub const DUE: [OutboxStatus; 2] = [OutboxStatus::Pending, OutboxStatus::Failed];
}

code_enum! {
    /// Why a `held` message waits (a Telegram message held for a merchant's chat has none).
    HoldReason, "hold reason" {
        /// The resident has not yet agreed to email.
        Consent => "consent",
        /// The contact had its hourly share of mail; the message waits for a digest.
        Rate => "rate",
        /// Gathered into a digest row, which carries it.
        Digest => "digest",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_texts_read_back_and_unknown_ones_are_refused() {
        for s in OutboxStatus::ALL {
            assert_eq!(s.as_str().parse::<OutboxStatus>(), Ok(*s));
        }
        for c in Channel::ALL {
            assert_eq!(c.as_str().parse::<Channel>(), Ok(*c));
        }
        for r in HoldReason::ALL {
            assert_eq!(r.as_str().parse::<HoldReason>(), Ok(*r));
        }
        let err = "lost".parse::<OutboxStatus>().expect_err("no such status");
        assert!(err.to_string().contains("pending, failed, dead, held, sent"), "{err}");
    }
}
