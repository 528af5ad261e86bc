//! Staff sign-in: password check, login throttling and server-side sessions.
//!
//! The cookie holds a random 256-bit session id; the database holds only its digest, so
//! any instance can check it and logout or a password change ends it everywhere.

use chrono::{DateTime, Duration, Utc};
use std::sync::LazyLock;

use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};

use super::ServiceError;
use super::access::Caller;
use super::audit::{self, Actor, Entry};
use super::{lockout, throttle};
use crate::domain::input::{FieldError, FieldErrors};
use crate::domain::password::check_new_password;
use crate::domain::{Locale, Role};
use crate::entities::values::StoredLocale;
use crate::entities::{login_throttle, staff, web_session};
use crate::{crypto, db};

/// A session ends after this long without a request.
pub const IDLE_TIMEOUT: Duration = Duration::hours(2);
/// A session ends this long after sign-in, whatever happens.
pub const ABSOLUTE_TIMEOUT: Duration = Duration::hours(12);
/// Sign-in attempts for one account within [`THROTTLE_WINDOW`] before it must wait (a
/// success clears them).
pub const ACCOUNT_FAILURES: i32 = 5;
/// Sign-in attempts from one address within [`THROTTLE_WINDOW`] before it must wait (a
/// success does not count).
pub const ADDRESS_FAILURES: i32 = 20;
/// The window attempts are counted in; a throttled sign-in waits until it ends.
pub const THROTTLE_WINDOW: Duration = Duration::minutes(15);

/// A signed-in staff member, as every page sees them.
#[derive(Debug, Clone)]
pub struct StaffSession {
    /// The staff account.
    pub staff_id: i64,
    /// Login email.
    pub email: String,
    /// Shown in the header.
    pub display_name: String,
    /// Admin or social worker.
    pub role: Role,
    /// The social worker's organization.
    pub organization_id: Option<i64>,
    /// The office account's subdistrict.
    pub subdistrict_id: Option<i64>,
    /// The chosen language, if any.
    pub locale: Option<Locale>,
    /// The token every form of this session carries.
    pub csrf_token: String,
}

impl StaffSession {
    /// The service caller this session stands for. Fails closed: only an office administrator
    /// with a subdistrict and no organization, a district account with neither, and a social
    /// worker with an organization are callers; any other shape is refused, never taken for
    /// the office.
    pub fn caller(&self) -> Result<Caller, UnexpectedAccount> {
        caller_of(self.staff_id, self.role, self.organization_id, self.subdistrict_id)
    }
}

/// A staff account whose role and organization do not make a caller this service knows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "staff account {staff_id} is a {role} with organization {organization_id:?} and subdistrict {subdistrict_id:?}, which no caller is"
)]
pub struct UnexpectedAccount {
    /// The account.
    pub staff_id: i64,
    /// Its role.
    pub role: Role,
    /// Its organization, if any.
    pub organization_id: Option<i64>,
    /// Its subdistrict, if any.
    pub subdistrict_id: Option<i64>,
}

fn caller_of(
    staff_id: i64,
    role: Role,
    organization_id: Option<i64>,
    subdistrict_id: Option<i64>,
) -> Result<Caller, UnexpectedAccount> {
    match (role, organization_id, subdistrict_id) {
        (Role::Admin, None, Some(subdistrict_id)) => Ok(Caller::Admin {
            staff_id,
            subdistrict_id,
        }),
        (Role::District, None, None) => Ok(Caller::District { staff_id }),
        (Role::SocialWorker, Some(organization_id), None) => Ok(Caller::SocialWorker {
            staff_id,
            organization_id,
        }),
        (role, organization_id, subdistrict_id) => Err(UnexpectedAccount {
            staff_id,
            role,
            organization_id,
            subdistrict_id,
        }),
    }
}

/// Why an account may not use the console although its password is right.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lockout {
    /// Its organization is suspended or not admitted.
    OrganizationSuspended,
    /// Its role is unknown or does not fit its organization.
    UnexpectedAccount,
}

/// Whether `account` is locked out now: an unknown role, a role and organization that make no
/// caller, or an organization the office has not approved.
async fn lockout_of<C: sea_orm::ConnectionTrait>(
    conn: &C,
    account: &staff::Model,
) -> Result<Option<Lockout>, sea_orm::DbErr> {
    let Ok(role) = account.role.parse::<Role>() else {
        return Ok(Some(Lockout::UnexpectedAccount));
    };
    let Ok(caller) = caller_of(account.id, role, account.organization_id, account.subdistrict_id) else {
        return Ok(Some(Lockout::UnexpectedAccount));
    };
    match caller.organization_id() {
        Some(organization_id) if !lockout::organization_approved(conn, organization_id).await? => {
            Ok(Some(Lockout::OrganizationSuspended))
        }
        _ => Ok(None),
    }
}

/// Refuses (and audits) the sign-in of an account whose password matched but which is locked
/// out. Called only after the password check, so it tells nothing about unknown accounts.
async fn refuse_if_locked_out(
    db: &DatabaseConnection,
    account: &staff::Model,
    now: DateTime<Utc>,
) -> Result<(), LoginError> {
    let Some(lockout) = lockout_of(db, account).await? else {
        return Ok(());
    };
    let (reason, error) = match lockout {
        Lockout::OrganizationSuspended => ("organization_suspended", LoginError::OrganizationSuspended),
        Lockout::UnexpectedAccount => ("unexpected_account", LoginError::UnexpectedAccount),
    };
    audit::record(
        db,
        now,
        Entry::denied(Actor::Staff(account.id), "staff.login")
            .organization(account.organization_id)
            .detail(serde_json::json!({ "reason": reason })),
    )
    .await?;
    Err(error)
}

/// Why a sign-in failed.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Unknown email or wrong password: the same answer for both.
    #[error("wrong email or password")]
    WrongCredentials,
    /// Too many attempts; try again after this many minutes.
    #[error("too many attempts; try again in {0} minutes")]
    Throttled(i64),
    /// Every password-hashing slot stayed busy; try again in a few seconds.
    #[error("the server is busy; try again shortly")]
    Busy,
    /// The password matched, but the account's organization is suspended.
    #[error("the organization is suspended")]
    OrganizationSuspended,
    /// The password matched, but the account's role and organization make no known caller.
    #[error("the account is not set up as the office or a social worker")]
    UnexpectedAccount,
    /// The database or hashing failed.
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<sea_orm::DbErr> for LoginError {
    fn from(e: sea_orm::DbErr) -> Self {
        LoginError::Service(e.into())
    }
}

/// Checks email and password; on success returns a new session id for the cookie.
///
/// The attempt is reserved before the password is hashed: one conditional increment per
/// throttle key (the address, then the account), refused past the limit, so a flood of
/// parallel attempts at one account hashes at most [`ACCOUNT_FAILURES`] passwords a window.
/// A success clears the account's count and gives the address its attempt back. A wrong
/// password for an existing account is audited, as an act about that account (bounded by
/// the throttle); one for an unknown email, like a throttled attempt, writes no audit row
/// (the web counts every refused sign-in in `relay_anonymous_refusals_total`).
///
/// A `locale` chosen on the sign-in page becomes the account's language, with the session,
/// so the pages after it, the next sign-in and the account's emails speak it.
pub async fn login(
    db: &DatabaseConnection,
    hasher: &crypto::PasswordHasher,
    email: &str,
    password: &str,
    address: &str,
    locale: Option<Locale>,
    now: DateTime<Utc>,
) -> Result<String, LoginError> {
    let email = email.trim().to_lowercase();
    let account_key = format!("account:{}", crypto::sha256_hex(&email));
    let address_key = format!("address:{address}");
    let txn = db::begin_write(db).await?;
    let mut refused = throttle::reserve(&txn, &address_key, ADDRESS_FAILURES, THROTTLE_WINDOW, now).await?;
    if refused.is_none() {
        refused = throttle::reserve(&txn, &account_key, ACCOUNT_FAILURES, THROTTLE_WINDOW, now).await?;
    }
    txn.commit().await?;
    if let Some(minutes) = refused {
        return Err(LoginError::Throttled(minutes));
    }
    let account = staff::Entity::find()
        .filter(staff::Column::Email.eq(&email))
        .one(db)
        .await?
        .filter(|s| s.active);
    // Verify against a real hash even for an unknown email, so timing does not tell.
    let hash = account.as_ref().map(|a| a.password_hash.clone());
    let matches = match hasher
        .verify(password, move || hash.unwrap_or_else(|| DUMMY_HASH.clone()))
        .await
    {
        Ok(matches) => matches,
        Err(crypto::PasswordHashError::Busy) => {
            // Nothing was checked: the attempt is given back to both keys.
            let txn = db::begin_write(db).await?;
            for key in [&address_key, &account_key] {
                throttle::give_back(&txn, key).await?;
            }
            txn.commit().await?;
            return Err(LoginError::Busy);
        }
        Err(e) => return Err(ServiceError::Internal(e.to_string()).into()),
    };
    let account = match account {
        Some(account) if matches => account,
        unmatched => {
            if let Some(account) = unmatched {
                let txn = db::begin_write(db).await?;
                audit::record(
                    &txn,
                    now,
                    Entry::denied(Actor::Anonymous, "staff.login")
                        .subject("staff", account.id)
                        .organization(account.organization_id),
                )
                .await?;
                txn.commit().await?;
            }
            return Err(LoginError::WrongCredentials);
        }
    };
    refuse_if_locked_out(db, &account, now).await?;
    let session_id = crypto::random_token(32);
    let txn = db::begin_write(db).await?;
    login_throttle::Entity::delete_by_id(account_key).exec(&txn).await?;
    throttle::give_back(&txn, &address_key).await?;
    web_session::ActiveModel {
        id_digest: Set(crypto::sha256_hex(&session_id)),
        staff_id: Set(account.id),
        csrf_token: Set(crypto::random_token(32)),
        created_at: Set(now),
        last_seen_at: Set(now),
        expires_at: Set(now + ABSOLUTE_TIMEOUT),
        revoked_at: Set(None),
    }
    .insert(&txn)
    .await?;
    if let Some(locale) = locale.filter(|l| account.locale.map(Locale::from) != Some(*l)) {
        staff::Entity::update_many()
            .col_expr(staff::Column::Locale, Expr::val(StoredLocale(locale)))
            .filter(staff::Column::Id.eq(account.id))
            .exec(&txn)
            .await?;
    }
    audit::record(
        &txn,
        now,
        Entry::ok(Actor::Staff(account.id), "staff.login").organization(account.organization_id),
    )
    .await?;
    txn.commit().await?;
    Ok(session_id)
}

/// An argon2id hash of a random password nobody knows, made once per process (in a
/// hashing slot, on first use).
static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| crypto::hash_password(&crypto::random_token(16)).unwrap_or_default());

/// The session for a cookie's id, if it is live; refreshes its idle timer now and then.
pub async fn authenticate(
    db: &DatabaseConnection,
    session_id: &str,
    now: DateTime<Utc>,
) -> Result<Option<StaffSession>, ServiceError> {
    if session_id.len() != 64 {
        return Ok(None);
    }
    let digest = crypto::sha256_hex(session_id);
    let Some(session) = web_session::Entity::find_by_id(digest.clone()).one(db).await? else {
        return Ok(None);
    };
    if session.revoked_at.is_some() || session.expires_at <= now || session.last_seen_at + IDLE_TIMEOUT <= now {
        return Ok(None);
    }
    let Some(account) = staff::Entity::find_by_id(session.staff_id)
        .one(db)
        .await?
        .filter(|s| s.active)
    else {
        return Ok(None);
    };
    // Checked on every request, whether or not the suspension ended the session.
    if lockout_of(db, &account).await?.is_some() {
        return Ok(None);
    }
    // One write a minute at most, so that reading pages stays cheap.
    if now - session.last_seen_at > Duration::minutes(1) {
        web_session::Entity::update_many()
            .col_expr(web_session::Column::LastSeenAt, Expr::val(now))
            .filter(web_session::Column::IdDigest.eq(digest))
            .exec(db)
            .await?;
    }
    Ok(Some(StaffSession {
        staff_id: account.id,
        email: account.email,
        display_name: account.display_name,
        role: account
            .role
            .parse()
            .map_err(|e: crate::domain::UnknownVariant| ServiceError::Internal(e.to_string()))?,
        organization_id: account.organization_id,
        subdistrict_id: account.subdistrict_id,
        locale: account.locale.map(Locale::from),
        csrf_token: session.csrf_token,
    }))
}

/// Ends the session with this cookie id.
pub async fn logout(db: &DatabaseConnection, session_id: &str, now: DateTime<Utc>) -> Result<(), ServiceError> {
    web_session::Entity::update_many()
        .col_expr(web_session::Column::RevokedAt, Expr::val(now))
        .filter(web_session::Column::IdDigest.eq(crypto::sha256_hex(session_id)))
        .filter(web_session::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// The session a password change opens in place of the ones it ended.
#[derive(Debug, Clone)]
pub struct FreshSession {
    /// The new session id, for the cookie.
    pub session_id: String,
    /// The new session's CSRF token, for the forms of the page that answers the change.
    pub csrf_token: String,
}

/// Changes a staff member's password and ends all their sessions; returns a fresh one.
pub async fn change_password(
    db: &DatabaseConnection,
    hasher: &crypto::PasswordHasher,
    staff_id: i64,
    current: &str,
    new: &str,
    now: DateTime<Utc>,
) -> Result<FreshSession, ServiceError> {
    let account = staff::Entity::find_by_id(staff_id)
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("staff"))?;
    let hash = account.password_hash.clone();
    let matches = hasher.verify(current, move || hash).await?;
    let mut errors = FieldErrors::default();
    if !matches {
        errors.push("current_password", FieldError::WrongPassword);
    }
    if let Err(e) = check_new_password(new) {
        errors.push("new_password", FieldError::WeakPassword(e));
    }
    if !errors.is_empty() {
        return Err(ServiceError::Validation(errors));
    }
    let new_hash = hasher.hash(new).await?;
    let fresh = FreshSession {
        session_id: crypto::random_token(32),
        csrf_token: crypto::random_token(32),
    };
    let txn = db::begin_write(db).await?;
    staff::Entity::update_many()
        .col_expr(staff::Column::PasswordHash, Expr::val(new_hash))
        .col_expr(staff::Column::PasswordChangedAt, Expr::val(now))
        .filter(staff::Column::Id.eq(staff_id))
        .exec(&txn)
        .await?;
    lockout::end_sessions_of_staff(&txn, staff_id, now).await?;
    web_session::ActiveModel {
        id_digest: Set(crypto::sha256_hex(&fresh.session_id)),
        staff_id: Set(staff_id),
        csrf_token: Set(fresh.csrf_token.clone()),
        created_at: Set(now),
        last_seen_at: Set(now),
        expires_at: Set(now + ABSOLUTE_TIMEOUT),
        revoked_at: Set(None),
    }
    .insert(&txn)
    .await?;
    audit::record(&txn, now, Entry::ok(Actor::Staff(staff_id), "staff.password_change")).await?;
    txn.commit().await?;
    Ok(fresh)
}

/// Remembers a staff member's language.
pub async fn set_locale(db: &DatabaseConnection, staff_id: i64, locale: Locale) -> Result<(), ServiceError> {
    staff::Entity::update_many()
        .col_expr(staff::Column::Locale, Expr::val(StoredLocale(locale)))
        .filter(staff::Column::Id.eq(staff_id))
        .exec(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(role: Role, organization_id: Option<i64>, subdistrict_id: Option<i64>) -> StaffSession {
        StaffSession {
            staff_id: 7,
            email: "someone@example.org".into(),
            display_name: "someone".into(),
            role,
            organization_id,
            subdistrict_id,
            locale: None,
            csrf_token: String::new(),
        }
    }

    #[test]
    fn only_the_expected_shapes_of_account_are_callers_and_nothing_else_becomes_the_office() {
        assert_eq!(
            session(Role::Admin, None, Some(2)).caller(),
            Ok(Caller::Admin {
                staff_id: 7,
                subdistrict_id: 2
            })
        );
        assert_eq!(
            session(Role::District, None, None).caller(),
            Ok(Caller::District { staff_id: 7 })
        );
        assert_eq!(
            session(Role::SocialWorker, Some(3), None).caller(),
            Ok(Caller::SocialWorker {
                staff_id: 7,
                organization_id: 3
            })
        );
        // A social worker who lost their organization used to be taken for the office.
        assert!(session(Role::SocialWorker, None, None).caller().is_err());
        // An administrator tied to an organization is not a shape the service knows either.
        assert!(session(Role::Admin, Some(3), Some(2)).caller().is_err());
        // Nor an office without its subdistrict, nor a district account tied to one.
        assert!(session(Role::Admin, None, None).caller().is_err());
        assert!(session(Role::District, None, Some(2)).caller().is_err());
        assert!(session(Role::District, Some(3), None).caller().is_err());
        assert!(session(Role::SocialWorker, Some(3), Some(2)).caller().is_err());
    }
}
