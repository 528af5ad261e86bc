//! Residents' contacts: double opt-in consent, one-click unsubscribe and addresses found
//! undeliverable. Each public use case is one transaction with its audit row.
//!
//! A contact is an address *for one organization*: consent is given to the organization
//! whose beneficiary registered it, and another organization registering the same address
//! gets a contact of its own with its own confirmation email. An unsubscribe ends one
//! organization's mail, never another's.
//!
//! Tokens: the confirmation token is random, single use, valid [`CONFIRM_VALIDITY`], and
//! only its SHA-256 is stored. The unsubscribe token must be rebuilt for every message, so
//! it is an HMAC of the contact id under a key derived from the secret key; its SHA-256 is
//! stored for lookup and the token is verified by recomputing it.

use crate::domain::{HoldReason, OutboxStatus};
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, Set,
};

use super::ServiceError;
use super::audit::{self, Actor, Entry};
use super::outbox::{Channel, Message, Notification, enqueue};
use crate::config::Secret;
use crate::domain::Locale;
use crate::domain::consent::Resends;
use crate::entities::{contact, organization, outbox};
use crate::{crypto, db};

/// The kind of the double opt-in email.
pub const CONSENT_KIND: &str = Notification::CONSENT;
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
    c.locale.0
}

/// The contact for `email` at organization `organization_id`, created with consent
/// pending; a new contact gets its one confirmation email queued in the same transaction.
/// The same address at another organization is another contact: its consent counts for
/// that organization only.
pub async fn find_or_create<C: ConnectionTrait>(
    txn: &C,
    secret: &Secret,
    organization_id: i64,
    email: &str,
    locale: Locale,
    now: DateTime<Utc>,
) -> Result<i64, ServiceError> {
    if let Some(found) = contact::Entity::find()
        .filter(contact::Column::OrganizationId.eq(organization_id))
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
        locale: Set(locale.into()),
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
        organization_id: Set(Some(organization_id)),
        consent_resent_at: Set(None),
        consent_resends_since: Set(None),
        consent_resends: Set(0),
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
        contact_id: Some(c.id),
        ..Message::new(
            Channel::Email,
            c.email.clone(),
            locale_of(c),
            &Notification::ContactConsent,
            format!("contact:{}:consent:{}", c.id, sent_before + 1),
        )
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

/// Whom a resident page speaks to: the contact's language and the organization its
/// consent is for (`None` only for an old contact no beneficiary used).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Addressee {
    /// The language of the page.
    pub locale: Locale,
    /// The organization's name.
    pub organization: Option<String>,
}

async fn addressee<C: ConnectionTrait>(conn: &C, c: &contact::Model) -> Result<Addressee, DbErr> {
    let organization = match c.organization_id {
        Some(id) => organization::Entity::find_by_id(id).one(conn).await?.map(|o| o.name),
        None => None,
    };
    Ok(Addressee {
        locale: locale_of(c),
        organization,
    })
}

/// The names of the organizations of `contact_ids`, for the emails (which say whose
/// mail it is).
pub async fn organization_names<C: ConnectionTrait>(
    conn: &C,
    contact_ids: &[i64],
) -> Result<std::collections::HashMap<i64, String>, DbErr> {
    if contact_ids.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    let contacts = contact::Entity::find()
        .filter(contact::Column::Id.is_in(contact_ids.iter().copied()))
        .all(conn)
        .await?;
    let org_ids: Vec<i64> = contacts.iter().filter_map(|c| c.organization_id).collect();
    let names: std::collections::HashMap<i64, String> = organization::Entity::find()
        .filter(organization::Column::Id.is_in(org_ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    Ok(contacts
        .into_iter()
        .filter_map(|c| Some((c.id, names.get(&c.organization_id?)?.clone())))
        .collect())
}

/// What a confirmation link leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsentLink {
    /// A pending contact may confirm.
    Open(Addressee),
    /// The link is older than [`CONFIRM_VALIDITY`]; a new one may be asked for.
    Expired(Addressee),
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
        Some(c) if c.confirm_expires_at.is_some_and(|at| at > now) => ConsentLink::Open(addressee(db, &c).await?),
        Some(c) => ConsentLink::Expired(addressee(db, &c).await?),
    })
}

/// What pressing the confirm button did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsentOutcome {
    /// Consent is recorded; waiting notifications go out.
    Confirmed(Addressee),
    /// The link had expired: a new confirmation email is on its way.
    NewLinkSent(Addressee),
    /// The link had expired, but a new confirmation was sent too recently (one every 10
    /// minutes, five a day): nothing is queued; the next may be asked for at `retry_at`.
    TooSoon {
        /// Whom the page speaks to.
        to: Addressee,
        /// When a new one may be asked for.
        retry_at: DateTime<Utc>,
    },
    /// Nothing changed: the token is not one of ours (or no longer).
    Unknown,
}

/// Takes one of the contact's new-confirmation slots, in one conditional update: true if
/// one was free (at least [`RESEND_SPACING`] since the last, fewer than
/// [`RESENDS_A_DAY`] in the counted day, which starts afresh once a day has passed).
///
/// [`RESEND_SPACING`]: crate::domain::consent::RESEND_SPACING
/// [`RESENDS_A_DAY`]: crate::domain::consent::RESENDS_A_DAY
async fn reserve_resend<C: ConnectionTrait>(conn: &C, contact_id: i64, now: DateTime<Utc>) -> Result<bool, DbErr> {
    use crate::domain::consent::{RESEND_DAY, RESEND_SPACING, RESENDS_A_DAY};
    let day_ago = now - RESEND_DAY;
    let result = conn
        .execute_raw(db::statement(
            conn,
            "UPDATE contacts SET \
             consent_resends = CASE WHEN consent_resends_since IS NULL OR consent_resends_since <= ? \
               THEN 1 ELSE consent_resends + 1 END, \
             consent_resends_since = CASE WHEN consent_resends_since IS NULL OR consent_resends_since <= ? \
               THEN ? ELSE consent_resends_since END, \
             consent_resent_at = ?, updated_at = ? \
             WHERE id = ? AND consent_status = 'pending' \
             AND (consent_resent_at IS NULL OR consent_resent_at <= ?) \
             AND (consent_resends_since IS NULL OR consent_resends_since <= ? OR consent_resends < ?)",
            vec![
                day_ago.into(),
                day_ago.into(),
                now.into(),
                now.into(),
                now.into(),
                contact_id.into(),
                (now - RESEND_SPACING).into(),
                day_ago.into(),
                RESENDS_A_DAY.into(),
            ],
        ))
        .await?;
    Ok(result.rows_affected() == 1)
}

/// Confirms the consent of the contact that holds `token`: records the time and wording
/// version, invalidates the token and releases the notifications held for the contact.
/// An expired token queues a new confirmation email instead, if the contact's resend
/// limit allows one now.
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
    let to = addressee(&txn, &c).await?;
    if c.confirm_expires_at.is_none_or(|at| at <= now) {
        // The limit is taken before anything is queued, atomically: of many presses at
        // once, only the one that takes the slot queues an email.
        if !reserve_resend(&txn, c.id, now).await? {
            let fresh = contact::Entity::find_by_id(c.id).one(&txn).await?.unwrap_or(c);
            txn.rollback().await?;
            let resends = Resends {
                last: fresh.consent_resent_at,
                since: fresh.consent_resends_since,
                count: fresh.consent_resends,
            };
            let retry_at = resends
                .next_allowed(now)
                .unwrap_or(now + crate::domain::consent::RESEND_SPACING);
            return Ok(ConsentOutcome::TooSoon { to, retry_at });
        }
        // The old token stays the key to this page until the new email replaces it.
        request_consent(&txn, &c, now).await?;
        audit::record(
            &txn,
            now,
            Entry::ok(Actor::Anonymous, "contact.consent_renew").subject("contact", c.id),
        )
        .await?;
        txn.commit().await?;
        return Ok(ConsentOutcome::NewLinkSent(to));
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
        .col_expr(outbox::Column::Status, Expr::val(OutboxStatus::Pending))
        .col_expr(outbox::Column::HoldReason, Expr::val(Option::<HoldReason>::None))
        .col_expr(outbox::Column::NextAttemptAt, Expr::val(now))
        .filter(outbox::Column::ContactId.eq(c.id))
        .filter(outbox::Column::Status.eq(OutboxStatus::Held))
        .filter(outbox::Column::HoldReason.eq(HoldReason::Consent))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        now,
        Entry::ok(Actor::Anonymous, "contact.consent")
            .subject("contact", c.id)
            .organization(c.organization_id)
            .detail(serde_json::json!({ "wording_version": CONSENT_WORDING_VERSION })),
    )
    .await?;
    txn.commit().await?;
    Ok(ConsentOutcome::Confirmed(to))
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

/// Whom an unsubscribe link belongs to and whether they left already. `None` for a token
/// that is not ours. Changes nothing (for the GET page).
pub async fn unsubscribe_link(
    db: &DatabaseConnection,
    secret: &Secret,
    token: &str,
) -> Result<Option<(Addressee, bool)>, ServiceError> {
    let Some(c) = by_unsubscribe_token(db, secret, token).await? else {
        return Ok(None);
    };
    Ok(Some((addressee(db, &c).await?, c.consent_status == "unsubscribed")))
}

/// Serializes the writers of one contact's sending state on PostgreSQL (the dispatcher's
/// leases and send-time checks, an unsubscribe): a transaction-scoped advisory lock, with
/// a negative key so that it never meets a merchant's (positive) key of
/// [`db::lock_merchant`]. SQLite's single writer does this already.
pub async fn lock_contact<C: ConnectionTrait>(txn: &C, contact_id: i64) -> Result<(), DbErr> {
    if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        txn.execute_raw(db::statement(
            txn,
            "SELECT pg_advisory_xact_lock(?)",
            vec![(-contact_id.abs() - 1).into()],
        ))
        .await?;
    }
    Ok(())
}

/// The longest an unsubscribe waits for messages already handed to the mail server: a
/// dispatcher gives up on one send after 60 seconds.
const IN_FLIGHT_WAIT: std::time::Duration = std::time::Duration::from_secs(70);

/// Messages of contact `contact_id` that a dispatcher handed to the mail server and whose
/// outcome is not recorded yet.
async fn in_flight<C: ConnectionTrait>(conn: &C, contact_id: i64, now: DateTime<Utc>) -> Result<u64, DbErr> {
    let stale = now - Duration::seconds(IN_FLIGHT_WAIT.as_secs().try_into().unwrap_or(70));
    outbox::Entity::find()
        .filter(outbox::Column::ContactId.eq(contact_id))
        .filter(outbox::Column::Status.is_in(OutboxStatus::DUE))
        .filter(outbox::Column::SendStartedAt.gt(stale))
        .count(conn)
        .await
}

/// Unsubscribes the contact that holds `token` from its organization's mail and drops what
/// is queued for it. Doing it twice is harmless. Returns whom the page speaks to, or
/// `None` for a token not ours.
///
/// Nothing is accepted by the mail server after this commits: every message not yet
/// handed to a sender is dropped first (the dispatcher's send-time check re-checks the
/// row and the contact, under the same lock), and the unsubscribe commits once the few
/// already on the wire have been answered (bounded by [`IN_FLIGHT_WAIT`]).
pub async fn unsubscribe(
    db: &DatabaseConnection,
    secret: &Secret,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<Addressee>, ServiceError> {
    if !well_formed(token) {
        return Ok(None);
    }
    let give_up_waiting = tokio::time::Instant::now() + IN_FLIGHT_WAIT;
    loop {
        let txn = db::begin_write(db).await?;
        let Some(c) = by_unsubscribe_token(&txn, secret, token).await? else {
            return Ok(None);
        };
        let to = addressee(&txn, &c).await?;
        if c.consent_status == "unsubscribed" {
            txn.commit().await?;
            return Ok(Some(to));
        }
        lock_contact(&txn, c.id).await?;
        drop_queued(&txn, c.id, "contact unsubscribed").await?;
        if in_flight(&txn, c.id, now).await? > 0 && tokio::time::Instant::now() < give_up_waiting {
            // Commit the drops (so nothing more starts) and let the sends on the wire end.
            txn.commit().await?;
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            continue;
        }
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
            Entry::ok(Actor::Anonymous, "contact.unsubscribe")
                .subject("contact", c.id)
                .organization(c.organization_id),
        )
        .await?;
        txn.commit().await?;
        return Ok(Some(to));
    }
}

/// Marks what is still queued for contact `contact_id` dead with `reason`, leased or not:
/// a dispatcher that leased a row claims it again just before sending, and finds it dead.
/// A row already handed to the mail server is left to its dispatcher, which records what
/// really happened.
pub(crate) async fn drop_queued<C: ConnectionTrait>(txn: &C, contact_id: i64, reason: &str) -> Result<u64, DbErr> {
    let result = outbox::Entity::update_many()
        .col_expr(outbox::Column::Status, Expr::val(OutboxStatus::Dead))
        .col_expr(outbox::Column::LastError, Expr::val(reason))
        .col_expr(outbox::Column::LockedUntil, Expr::val(Option::<DateTime<Utc>>::None))
        .filter(outbox::Column::ContactId.eq(contact_id))
        .filter(outbox::Column::Status.is_in([OutboxStatus::Pending, OutboxStatus::Failed, OutboxStatus::Held]))
        .filter(outbox::Column::SendStartedAt.is_null())
        .exec(txn)
        .await?;
    Ok(result.rows_affected)
}

/// Completes the contacts that the migration to per-organization consent split off: their
/// unsubscribe digest depends on the secret key, which the migration does not have.
/// Run at start-up, before the dispatcher.
pub async fn complete_split_contacts(db: &DatabaseConnection, secret: &Secret) -> Result<u64, DbErr> {
    let split = contact::Entity::find()
        .filter(contact::Column::UnsubscribeTokenDigest.starts_with("split-"))
        .all(db)
        .await?;
    for c in &split {
        contact::Entity::update_many()
            .col_expr(
                contact::Column::UnsubscribeTokenDigest,
                Expr::val(crypto::sha256_hex(&unsubscribe_token(secret, c.id))),
            )
            .filter(contact::Column::Id.eq(c.id))
            .filter(contact::Column::UnsubscribeTokenDigest.eq(c.unsubscribe_token_digest.clone()))
            .exec(db)
            .await?;
    }
    Ok(split.len() as u64)
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
        .col_expr(outbox::Column::Status, Expr::val(OutboxStatus::Dead))
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
