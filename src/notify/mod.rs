//! The outbox dispatcher: picks due rows, sends them through the sender of their channel,
//! and records what happened.
//!
//! One round ([`Dispatcher::run_once`]):
//! 1. **Gather**: a contact whose notifications were held by the hourly limit gets one
//!    digest row, once its rolling hour has room again.
//! 2. **Claim**: in one short transaction, take a batch of due rows (`FOR UPDATE SKIP
//!    LOCKED` on PostgreSQL, so several dispatchers share the work; SQLite's write lock
//!    makes its one dispatcher exclusive), decide for each what consent and the hourly
//!    limit allow, and lease the ones to send by setting `locked_until`.
//! 3. **Send** outside any transaction, a few at a time; one slow or failing message
//!    never holds up the others.
//! 4. **Settle**: sent (recorded the moment the server accepts it), retried later with
//!    backoff and jitter, or dead.
//!
//! A process that dies mid-send leaves a leased row behind; once the lease runs out it
//! is sent again with the same `Message-ID`, the one case where SMTP itself could not
//! tell us whether the first try arrived. Only the sends in flight at the moment of death
//! can be in that state. Rows of channels without a sender here are never touched (a
//! dispatcher built without the bot leaves Telegram rows alone).

mod admission;
mod dispatch;
pub mod dkim;
pub mod email;
pub mod templates;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::domain::{Channel, Locale};
use crate::services::outbox::Notification;

pub use admission::{Admission, MAX_ATTEMPTS, admit, retry_delay};
pub use dispatch::{Dispatcher, Report, Settings};

/// A message leased for sending, with what its sender needs.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// The outbox row.
    pub id: i64,
    /// The address (email) or merchant id (Telegram).
    pub recipient: String,
    /// The resident contact, if any.
    pub contact_id: Option<i64>,
    /// The merchant, for Telegram rows (its chat is looked up when sent).
    pub merchant_id: Option<i64>,
    /// What to say.
    pub notification: Notification,
    /// The recipient's language.
    pub locale: Locale,
    /// Fixed when the row was written; the same on every try.
    pub message_id: String,
    /// The one-time token of a message that carries a link (the consent email, an
    /// applicant's verification, edit and set-password emails), made when it is sent.
    pub confirm_token: Option<String>,
    /// The organization the mail names: the one a resident's mail comes from (and their
    /// consent is for), or the one a social worker works for.
    pub organization: Option<String>,
}

/// Why a send did not happen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// May pass later (4xx, refused connection, timeout): retried with backoff.
    #[error("temporary failure: {0}")]
    Temporary(String),
    /// The recipient's address is refused for good (5xx for that recipient): the contact
    /// is marked undeliverable.
    #[error("recipient refused: {0}")]
    Rejected(String),
    /// The send-time check found the message dropped or its contact unable to receive it
    /// (unsubscribed meanwhile, say): not sent, dead, not retried.
    #[error("suppressed: the contact can no longer receive it")]
    Suppressed,
    /// The recipient cannot take it yet (a merchant without a linked chat): the sender has
    /// parked the row until it can; not counted as a try.
    #[error("held: {0}")]
    Held(String),
    /// This message cannot be sent (a bad payload, another 5xx): dead, not retried.
    #[error("permanent failure: {0}")]
    Failed(String),
}

/// One channel's way of delivering a message: email ([`email::EmailSender`]) and Telegram
/// (`bot::outbox::TelegramSender`).
#[async_trait]
pub trait Sender: Send + Sync {
    /// The channel this sender serves.
    fn channel(&self) -> Channel;
    /// Delivers `item`; `now` dates the message.
    async fn send(&self, item: &Outgoing, now: DateTime<Utc>) -> Result<(), SendError>;
}

/// The dispatcher could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// `RELAY_SMTP_URL` is not usable (password masked).
    #[error("RELAY_SMTP_URL is not usable: {0}")]
    SmtpUrl(String),
    /// `RELAY_EMAIL_FROM` is not a mailbox.
    #[error("RELAY_EMAIL_FROM is not a mailbox: {0}")]
    From(String),
    /// The DKIM key cannot be used (the message never holds the key).
    #[error(transparent)]
    Dkim(#[from] dkim::DkimError),
}

/// `r***@example.org`: enough to tell messages apart in a log, not enough to mail anyone.
pub fn mask_email(address: &str) -> String {
    match address.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".to_owned(),
    }
}

/// `text` with every email address in it masked (server replies may quote the recipient).
pub fn mask_emails_in(text: &str) -> String {
    static EMAIL: std::sync::LazyLock<Option<regex::Regex>> =
        std::sync::LazyLock::new(|| regex::Regex::new(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+").ok());
    match EMAIL.as_ref() {
        Some(re) => re
            .replace_all(text, |c: &regex::Captures| mask_email(&c[0]))
            .into_owned(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masked_addresses_keep_the_first_letter_and_the_domain() {
        assert_eq!(mask_email("resident0@example.org"), "r***@example.org");
        assert_eq!(mask_email("nonsense"), "***");
        assert_eq!(
            mask_emails_in("550 5.1.1 <resident0@example.org>: no such user"),
            "550 5.1.1 <r***@example.org>: no such user"
        );
    }
}
