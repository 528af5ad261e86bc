//! Residents' contacts: double opt-in consent, one-click unsubscribe and addresses found
//! undeliverable. Each public use case is one transaction with its audit row.
//!
//! Tokens: the confirmation token is random, single use, valid [`CONFIRM_VALIDITY`], and
//! only its SHA-256 is stored. The unsubscribe token must be rebuilt for every message, so
//! it is an HMAC of the contact id under a key derived from the secret key; its SHA-256 is
//! stored for lookup and the token is verified by recomputing it.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, Set,
};

use super::ServiceError;
use super::audit::{self, Actor, Entry};
use super::outbox::{Channel, Message, enqueue};
use crate::config::Secret;
use crate::domain::Locale;
use crate::entities::{contact, outbox};
use crate::{crypto, db};

/// The kind of the double opt-in email.
pub const CONSENT_KIND: &str = "contact-consent";
/// The version of the consent wording shown in the confirmation email and page; stored
/// with the consent so that we know what a resident agreed to.
pub const CONSENT_WORDING_VERSION: &str = "2026-11-v1";
/// How long a confirmation link is valid.
pub const CONFIRM_VALIDITY: Duration = Duration::days(7);

/// The unsubscribe token of contact `contact_id`: 64 hex characters, the same for every
/// message, unguessable without the secret key.
pub fn unsubscribe_token(secret: &Secret, contact_id: i64) -> String {
    let key = crypto::derive_key(secret, "contact-unsubscribe-v1");
    hex::encode(crypto::keyed_digest(&key, &contact_id.to_be_bytes()))
}

/// True for a string shaped like one of our tokens (64 lowercase hex characters); anything
/// else is refused before the database is asked.
fn well_formed(token: &str) -> bool {
    token.len() == 64 && token.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn locale_of(c: &contact::Model) -> Locale {
    c.locale.parse().unwrap_or_default()
}

/// The contact for `email`, created with consent pending; a new contact gets its one
/// confirmation email queued in the same transaction.
pub async fn find_or_create<C: ConnectionTrait>(
    txn: &C,
    secret: &Secret,
    email: &str,
    locale: Locale,
    now: DateTime<Utc>,
) -> Result<i64, ServiceError> {
    if let Some(found) = contact::Entity::find()
        .filter(contact::Column::Email.eq(email))
        .one(txn)
        .await?
    {
        return Ok(found.id);
    }
    // The unsubscribe digest is unique and depends on the id: insert a random placeholder,
    // then store the derived digest once the id is known.
    let row = contact::ActiveModel {
        email: Set(email.to_owned()),
        locale: Set(locale.as_str().to_owned()),
        consent_status: Set("pending".to_owned()),
        consent_requested_at: Set(Some(now)),
        consent_at: Set(None),
        consent_wording_version: Set(None),
        confirm_token_digest: Set(None),
        confirm_expires_at: Set(None),
        unsubscribe_token_digest: Set(crypto::sha256_hex(&crypto::random_token(32))),
        undeliverable_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    contact::Entity::update_many()
        .col_expr(
            contact::Column::UnsubscribeTokenDigest,
            Expr::val(crypto::sha256_hex(&unsubscribe_token(secret, row.id))),
        )
        .filter(contact::Column::Id.eq(row.id))
        .exec(txn)
        .await?;
    request_consent(txn, &row, now).await?;
    Ok(row.id)
}

/// Queues confirmation email number n+1 of `c` (the link itself is made when it is sent,
/// so that no usable token rests in the outbox).
async fn request_consent<C: ConnectionTrait>(txn: &C, c: &contact::Model, now: DateTime<Utc>) -> Result<bool, DbErr> {
    let sent_before = outbox::Entity::find()
        .filter(outbox::Column::ContactId.eq(c.id))
        .filter(outbox::Column::Kind.eq(CONSENT_KIND))
        .count(txn)
        .await?;
    let message = Message {
        channel: Channel::Email,
        recipient: c.email.clone(),
        contact_id: Some(c.id),
        merchant_id: None,
        kind: CONSENT_KIND,
        locale: locale_of(c),
        payload: serde_json::json!({}),
        dedupe_key: format!("contact:{}:consent:{}", c.id, sent_before + 1),
    };
    enqueue(txn, message, now).await
}

/// Makes a fresh confirmation token for contact `contact_id`, valid [`CONFIRM_VALIDITY`]
/// from `now`, and stores its digest (replacing an earlier one). Called by the dispatcher
/// right before the confirmation email goes out.
pub async fn issue_confirm_token<C: ConnectionTrait>(
    conn: &C,
    contact_id: i64,
    now: DateTime<Utc>,
) -> Result<String, DbErr> {
    let token = crypto::random_token(32);
    contact::Entity::update_many()
        .col_expr(
            contact::Column::ConfirmTokenDigest,
            Expr::val(crypto::sha256_hex(&token)),
        )
        .col_expr(contact::Column::ConfirmExpiresAt, Expr::val(now + CONFIRM_VALIDITY))
        .col_expr(contact::Column::UpdatedAt, Expr::val(now))
        .filter(contact::Column::Id.eq(contact_id))
        .exec(conn)
        .await?;
    Ok(token)
}

async fn by_confirm_token<C: ConnectionTrait>(conn: &C, token: &str) -> Result<Option<contact::Model>, DbErr> {
    if !well_formed(token) {
        return Ok(None);
    }
    contact::Entity::find()
        .filter(contact::Column::ConfirmTokenDigest.eq(crypto::sha256_hex(token)))
        .filter(contact::Column::ConsentStatus.eq("pending"))
        .one(conn)
        .await
}

/// What a confirmation link leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsentLink {
    /// A pending contact may confirm.
    Open(Locale),
    /// The link is older than [`CONFIRM_VALIDITY`]; a new one may be asked for.
    Expired(Locale),
    /// Forged, used already, or replaced by a newer link.
    Unknown,
}

/// Looks at a confirmation link without changing anything (for the GET page).
pub async fn consent_link(
    db: &DatabaseConnection,
    token: &str,
    now: DateTime<Utc>,
) -> Result<ConsentLink, ServiceError> {
    Ok(match by_confirm_token(db, token).await? {
        None => ConsentLink::Unknown,
        Some(c) if c.confirm_expires_at.is_some_and(|at| at > now) => ConsentLink::Open(locale_of(&c)),
        Some(c) => ConsentLink::Expired(locale_of(&c)),
    })
}

/// What pressing the confirm button did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsentOutcome {
    /// Consent is recorded; waiting notifications go out.
    Confirmed(Locale),
    /// The link had expired: a new confirmation email is on its way.
    NewLinkSent(Locale),
    /// Nothing changed: the token is not one of ours (or no longer).
    Unknown,
}

/// Confirms the consent of the contact that holds `token`: records the time and wording
/// version, invalidates the token and releases the notifications held for the contact.
/// An expired token queues a new confirmation email instead.
pub async fn confirm_consent(
    db: &DatabaseConnection,
    token: &str,
    now: DateTime<Utc>,
) -> Result<ConsentOutcome, ServiceError> {
    if !well_formed(token) {
        return Ok(ConsentOutcome::Unknown);
    }
    let txn = db::begin_write(db).await?;
    let Some(c) = by_confirm_token(&txn, token).await? else {
        return Ok(ConsentOutcome::Unknown);
    };
    let locale = locale_of(&c);
    if c.confirm_expires_at.is_none_or(|at| at <= now) {
        // The old token stays the key to this page until the new email replaces it.
        request_consent(&txn, &c, now).await?;
        audit::record(
            &txn,
            now,
            Entry::ok(Actor::Anonymous, "contact.consent_renew").subject("contact", c.id),
        )
        .await?;
        txn.commit().await?;
        return Ok(ConsentOutcome::NewLinkSent(locale));
    }
    let changed = contact::Entity::update_many()
        .col_expr(contact::Column::ConsentStatus, Expr::val("confirmed"))
        .col_expr(contact::Column::ConsentAt, Expr::val(now))
        .col_expr(
            contact::Column::ConsentWordingVersion,
            Expr::val(CONSENT_WORDING_VERSION),
        )
        .col_expr(contact::Column::ConfirmTokenDigest, Expr::val(Option::<String>::None))
        .col_expr(
            contact::Column::ConfirmExpiresAt,
            Expr::val(Option::<DateTime<Utc>>::None),
        )
        .col_expr(contact::Column::UpdatedAt, Expr::val(now))
        .filter(contact::Column::Id.eq(c.id))
        .filter(contact::Column::ConsentStatus.eq("pending"))
        .exec(&txn)
        .await?;
    if changed.rows_affected != 1 {
        return Ok(ConsentOutcome::Unknown); // confirmed or unsubscribed meanwhile
    }
    outbox::Entity::update_many()
        .col_expr(outbox::Column::Status, Expr::val("pending"))
        .col_expr(outbox::Column::HoldReason, Expr::val(Option::<String>::None))
        .col_expr(outbox::Column::NextAttemptAt, Expr::val(now))
        .filter(outbox::Column::ContactId.eq(c.id))
        .filter(outbox::Column::Status.eq("held"))
        .filter(outbox::Column::HoldReason.eq("consent"))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        now,
        Entry::ok(Actor::Anonymous, "contact.consent")
            .subject("contact", c.id)
            .detail(serde_json::json!({ "wording_version": CONSENT_WORDING_VERSION })),
    )
    .await?;
    txn.commit().await?;
    Ok(ConsentOutcome::Confirmed(locale))
}

async fn by_unsubscribe_token<C: ConnectionTrait>(
    conn: &C,
    secret: &Secret,
    token: &str,
) -> Result<Option<contact::Model>, DbErr> {
    if !well_formed(token) {
        return Ok(None);
    }
    let found = contact::Entity::find()
        .filter(contact::Column::UnsubscribeTokenDigest.eq(crypto::sha256_hex(token)))
        .one(conn)
        .await?;
    // The digest only finds the row; the token proves itself by being the one we derive.
    Ok(found.filter(|c| unsubscribe_token(secret, c.id) == token))
}

/// Whom an unsubscribe link belongs to: their language and whether they left already.
/// `None` for a token that is not ours. Changes nothing (for the GET page).
pub async fn unsubscribe_link(
    db: &DatabaseConnection,
    secret: &Secret,
    token: &str,
) -> Result<Option<(Locale, bool)>, ServiceError> {
    Ok(by_unsubscribe_token(db, secret, token)
        .await?
        .map(|c| (locale_of(&c), c.consent_status == "unsubscribed")))
}

/// Unsubscribes the contact that holds `token` and drops what is queued for it. Doing it
/// twice is harmless. Returns the contact's language, or `None` for a token not ours.
pub async fn unsubscribe(
    db: &DatabaseConnection,
    secret: &Secret,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<Locale>, ServiceError> {
    if !well_formed(token) {
        return Ok(None);
    }
    let txn = db::begin_write(db).await?;
    let Some(c) = by_unsubscribe_token(&txn, secret, token).await? else {
        return Ok(None);
    };
    if c.consent_status != "unsubscribed" {
        contact::Entity::update_many()
            .col_expr(contact::Column::ConsentStatus, Expr::val("unsubscribed"))
            .col_expr(contact::Column::ConfirmTokenDigest, Expr::val(Option::<String>::None))
            .col_expr(
                contact::Column::ConfirmExpiresAt,
                Expr::val(Option::<DateTime<Utc>>::None),
            )
            .col_expr(contact::Column::UpdatedAt, Expr::val(now))
            .filter(contact::Column::Id.eq(c.id))
            .exec(&txn)
            .await?;
        drop_queued(&txn, c.id, "contact unsubscribed").await?;
        audit::record(
            &txn,
            now,
            Entry::ok(Actor::Anonymous, "contact.unsubscribe").subject("contact", c.id),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(Some(locale_of(&c)))
}

/// Marks what is still queued for contact `contact_id` dead with `reason`. A row being sent
/// right now is left to its dispatcher, which records what really happened.
async fn drop_queued<C: ConnectionTrait>(txn: &C, contact_id: i64, reason: &str) -> Result<u64, DbErr> {
    let result = outbox::Entity::update_many()
        .col_expr(outbox::Column::Status, Expr::val("dead"))
        .col_expr(outbox::Column::LastError, Expr::val(reason))
        .filter(outbox::Column::ContactId.eq(contact_id))
        .filter(outbox::Column::Status.is_in(["pending", "failed", "held"]))
        .filter(outbox::Column::LockedUntil.is_null())
        .exec(txn)
        .await?;
    Ok(result.rows_affected)
}

/// The mail server refused contact `contact_id`'s address for good (a 5xx for that
/// recipient): message `outbox_id` is dead, the address is marked undeliverable, and
/// nothing more is sent to it. A new address is a new contact, so it starts afresh.
pub async fn mark_undeliverable(
    db: &DatabaseConnection,
    contact_id: i64,
    outbox_id: i64,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let txn = db::begin_write(db).await?;
    outbox::Entity::update_many()
        .col_expr(outbox::Column::Status, Expr::val("dead"))
        .col_expr(outbox::Column::LastError, Expr::val(reason))
        .col_expr(outbox::Column::LockedUntil, Expr::val(Option::<DateTime<Utc>>::None))
        .filter(outbox::Column::Id.eq(outbox_id))
        .exec(&txn)
        .await?;
    contact::Entity::update_many()
        .col_expr(contact::Column::UndeliverableAt, Expr::val(now))
        .col_expr(contact::Column::UpdatedAt, Expr::val(now))
        .filter(contact::Column::Id.eq(contact_id))
        .filter(contact::Column::UndeliverableAt.is_null())
        .exec(&txn)
        .await?;
    drop_queued(&txn, contact_id, "address undeliverable").await?;
    audit::record(
        &txn,
        now,
        Entry::ok(Actor::System, "contact.undeliverable")
            .subject("contact", contact_id)
            .detail(serde_json::json!({ "outbox_id": outbox_id, "reason": reason })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsubscribe_tokens_are_stable_per_contact_and_secret() {
        let s = Secret::new("s".repeat(40));
        let t = unsubscribe_token(&s, 7);
        assert_eq!(t, unsubscribe_token(&s, 7));
        assert!(well_formed(&t));
        assert_ne!(t, unsubscribe_token(&s, 8));
        assert_ne!(t, unsubscribe_token(&Secret::new("t".repeat(40)), 7));
    }

    #[test]
    fn only_64_lowercase_hex_characters_look_like_a_token() {
        assert!(well_formed(&"a".repeat(64)));
        assert!(!well_formed(&"a".repeat(63)));
        assert!(!well_formed(&"A".repeat(64)));
        assert!(!well_formed(&format!("{}'", "a".repeat(63))));
    }
}
