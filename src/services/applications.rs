//! Admission by application (准入): an organization applies on the public page, verifies its
//! contact email by a link, and the office of its communities' subdistrict approves, asks
//! for more or rejects. Approval makes the organization and its first staff account in one
//! transaction; the holder sets a password from a one-time link.
//!
//! Tokens (verification, edit, set-password) are made by the dispatcher when their email is
//! sent ([`issue_link`]), as the residents' consent links are, so that no usable token rests
//! in the outbox; only their SHA-256 is stored, each link serves one purpose, works once and
//! expires. Anonymous callers are bounded before any lookup or mail: per client address and
//! per contact email (`login_throttles`), and by a cap on unverified applications, which
//! retention deletes once their link has expired.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, Set,
};

use super::ServiceError;
use super::access::{Caller, SubdistrictScope, require_admin, require_office_reader};
use super::audit::{self, Actor, Entry};
use super::outbox::{self, ApplicationNotice, Channel, Message, Notification, enqueue_to_applicant};
use super::throttle;
use crate::domain::application::{
    ApplicationDraft, ApplicationForm, ApplicationStatus, EDIT_VALIDITY, MESSAGE_MAX, VERIFY_VALIDITY,
    WELCOME_VALIDITY, areas_of, areas_text, ids_of, org_kind,
};
use crate::domain::input::{FieldError, FieldErrors};
use crate::domain::password::check_new_password;
use crate::domain::{Locale, PartyStatus, RegistrationKind, Role, ServiceArea};
use crate::entities::organization_application as application;
use crate::entities::{community, organization, organization_service, password_link, staff};
use crate::{crypto, db};

/// Applications one client address may send in [`APPLY_WINDOW`] (typing errors count too,
/// so there is room for a few).
pub const APPLY_PER_ADDRESS: i32 = 10;
/// Applications one contact email may receive a verification for in [`APPLY_WINDOW`].
pub const APPLY_PER_EMAIL: i32 = 3;
/// The window the application limits count in.
pub const APPLY_WINDOW: Duration = Duration::hours(1);
/// Well-formed applications one client address (an IPv6 /64) may store in [`STORED_WINDOW`]:
/// an organization applies once, so a few cover a mistake, and a flood needs hundreds of
/// networks to reach [`MAX_UNVERIFIED`].
pub const STORED_PER_ADDRESS: i32 = 3;
/// Well-formed applications one wider network (an IPv4 /24, an IPv6 /48: one site, or one
/// server range) may store in [`STORED_WINDOW`], so that owning many /64s does not
/// multiply [`STORED_PER_ADDRESS`] past [`MAX_UNVERIFIED`].
pub const STORED_PER_NETWORK: i32 = 20;
/// The window [`STORED_PER_ADDRESS`] counts in: the life of a verification link, so that
/// what one address stored is gone from the cap by the time it may store again.
pub const STORED_WINDOW: Duration = VERIFY_VALIDITY;
/// Most unverified applications held at once: past it the form asks to come back later,
/// so that a flood from many addresses still writes a bounded number of rows.
pub const MAX_UNVERIFIED: u64 = 500;
/// A staff account's password hash that no password matches (set by the one-time link).
const NO_PASSWORD: &str = "!";

/// Why an application was not taken.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// Too many applications from this address or to this email: come back in this many
    /// minutes.
    #[error("too many applications; try again in {0} minutes")]
    Throttled(i64),
    /// Refused or failed (field errors come as [`ServiceError::Validation`]).
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<DbErr> for ApplyError {
    fn from(e: DbErr) -> Self {
        ApplyError::Service(e.into())
    }
}

/// True for a string shaped like one of our tokens (64 lowercase hex characters).
fn well_formed(token: &str) -> bool {
    token.len() == 64 && token.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Takes an application from the public form: checks it, refuses a code already admitted
/// or under review, stores it unverified and queues the verification email, in the
/// applicant's language. The limits are reserved first, before anything is looked up:
/// attempts per address (an IPv6 /64) and per email, then well-formed applications per
/// address and per wider network, then the cap on live unverified ones.
pub async fn apply(
    db: &DatabaseConnection,
    form: &ApplicationForm,
    locale: Locale,
    client: std::net::IpAddr,
    now: DateTime<Utc>,
) -> Result<i64, ApplyError> {
    let address = throttle::client_key(client);
    let network = throttle::client_network(client);
    let txn = db::begin_write(db).await?;
    let refused = throttle::reserve(&txn, &format!("apply:{address}"), APPLY_PER_ADDRESS, APPLY_WINDOW, now).await?;
    txn.commit().await?;
    if let Some(minutes) = refused {
        return Err(ApplyError::Throttled(minutes));
    }
    let draft = form.parse().map_err(ServiceError::Validation)?;
    let email_key = format!("apply-email:{}", crypto::sha256_hex(&draft.contact_email));
    let txn = db::begin_write(db).await?;
    let refused = throttle::reserve(&txn, &email_key, APPLY_PER_EMAIL, APPLY_WINDOW, now).await?;
    txn.commit().await?;
    if let Some(minutes) = refused {
        return Err(ApplyError::Throttled(minutes));
    }
    let stored_keys = [
        (format!("apply-stored:{address}"), STORED_PER_ADDRESS),
        (format!("apply-stored-net:{network}"), STORED_PER_NETWORK),
    ];
    for (i, (key, limit)) in stored_keys.iter().enumerate() {
        let txn = db::begin_write(db).await?;
        let refused = throttle::reserve(&txn, key, *limit, STORED_WINDOW, now).await?;
        txn.commit().await?;
        if let Some(minutes) = refused {
            give_back(db, &stored_keys[..i]).await?;
            return Err(ApplyError::Throttled(minutes));
        }
    }
    // Only live links hold a place: an expired one waits for retention but blocks nobody.
    let waiting = application::Entity::find()
        .filter(application::Column::Status.eq(ApplicationStatus::Unverified))
        .filter(application::Column::VerifyExpiresAt.gt(now))
        .count(db)
        .await?;
    if waiting >= MAX_UNVERIFIED {
        // Nothing was stored: the applicant keeps its places for when the flood is over.
        give_back(db, &stored_keys).await?;
        return Err(ServiceError::Busy.into());
    }
    let txn = db::begin_write(db).await?;
    let subdistrict_id = match check_against_records(&txn, &draft).await {
        Ok(id) => id,
        Err(refused) => {
            // Nothing was stored: the applicant may correct it without losing a place.
            txn.rollback().await?;
            give_back(db, &stored_keys).await?;
            return Err(refused.into());
        }
    };
    let created = application::ActiveModel {
        name: Set(draft.name.clone()),
        credit_code: Set(draft.code.as_str().to_owned()),
        registration_kind: Set(draft.code.kind().as_str().to_owned()),
        declared_kind: Set(draft.declared_kind.as_str().to_owned()),
        contact_name: Set(draft.contact_name.clone()),
        contact_email: Set(draft.contact_email.clone()),
        locale: Set(locale.into()),
        service_areas: Set(areas_text(&draft.areas)),
        community_ids: Set(ids_text(&draft.communities)),
        description: Set(draft.description.clone()),
        subdistrict_id: Set(subdistrict_id),
        status: Set(ApplicationStatus::Unverified),
        open_code: Set(None),
        office_message: Set(None),
        verify_digest: Set(None),
        verify_expires_at: Set(Some(now + VERIFY_VALIDITY)),
        edit_digest: Set(None),
        edit_expires_at: Set(None),
        organization_id: Set(None),
        staff_id: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        verified_at: Set(None),
        decided_at: Set(None),
        decided_by: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let notice = ApplicationNotice {
        application_id: created.id,
        name: created.name.clone(),
        message: None,
        staff_id: None,
        office: None,
    };
    mail(
        &txn,
        (&created.contact_email, created.subdistrict_id),
        locale,
        &Notification::ApplicationVerify(notice),
        format!("application:{}:verify", created.id),
        now,
    )
    .await?;
    audit::record(
        &txn,
        now,
        Entry::ok(Actor::Anonymous, "application.create")
            .subject("organization_application", created.id)
            .detail(serde_json::json!({ "flagged": draft.flagged() })),
    )
    .await?;
    txn.commit().await?;
    Ok(created.id)
}

/// Gives back the places reserved under `keys` for an application that was not stored.
async fn give_back(db: &DatabaseConnection, keys: &[(String, i32)]) -> Result<(), DbErr> {
    let txn = db::begin_write(db).await?;
    for (key, _) in keys {
        throttle::give_back(&txn, key).await?;
    }
    txn.commit().await
}

fn ids_text(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

/// Queues `notification` to the applicant at `to`, shown in the outbox of the office of
/// `subdistrict_id` (the one that reviews the application).
async fn mail<C: ConnectionTrait>(
    conn: &C,
    (to, subdistrict_id): (&str, i64),
    locale: Locale,
    notification: &Notification,
    dedupe_key: String,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let message = Message::new(Channel::Email, to.to_owned(), locale, notification, dedupe_key);
    enqueue_to_applicant(conn, message, subdistrict_id, now).await
}

/// Checks `draft` against what is stored: its communities exist and are of one subdistrict
/// (returned); no organization holds its code or name. Each refusal names its field.
async fn check_against_records<C: ConnectionTrait>(conn: &C, draft: &ApplicationDraft) -> Result<i64, ServiceError> {
    let mut errors = FieldErrors::default();
    let found = community::Entity::find()
        .filter(community::Column::Id.is_in(draft.communities.iter().copied()))
        .all(conn)
        .await?;
    let mut subdistricts: Vec<i64> = found.iter().map(|c| c.subdistrict_id).collect();
    subdistricts.sort_unstable();
    subdistricts.dedup();
    if found.len() != draft.communities.len() {
        errors.push("communities", FieldError::UnknownChoice);
    } else if subdistricts.len() != 1 {
        errors.push("communities", FieldError::SeveralSubdistricts);
    }
    let admitted = code_admitted(conn, draft.code.as_str()).await?;
    // Another application under review with the code is no refusal: whoever typed it first
    // (rightly or not) must not block the organization itself, and the form must not tell
    // a stranger that a code is being applied for. The office sees them side by side.
    if admitted {
        errors.push("credit_code", FieldError::CodeAdmitted);
    }
    if super::organizations::find_by_name(conn, &draft.name).await?.is_some() {
        errors.push("name", FieldError::NameTaken);
    }
    match subdistricts.as_slice() {
        [only] if errors.is_empty() => Ok(*only),
        _ => Err(ServiceError::Validation(errors)),
    }
}

/// True when an organization holds credit code `code`.
async fn code_admitted<C: ConnectionTrait>(conn: &C, code: &str) -> Result<bool, DbErr> {
    Ok(organization::Entity::find()
        .filter(organization::Column::CreditCode.eq(code))
        .count(conn)
        .await?
        > 0)
}

/// Refuses (field `credit_code`) a code an organization holds already.
async fn refuse_admitted_code<C: ConnectionTrait>(conn: &C, code: &str) -> Result<(), ServiceError> {
    if code_admitted(conn, code).await? {
        return Err(ServiceError::Validation(FieldErrors(vec![(
            "credit_code",
            FieldError::CodeAdmitted,
        )])));
    }
    Ok(())
}

/// Makes the one-time token of an application email that carries a link, right before it
/// is sent, and stores its digest (a retry makes a new one, and the old link stops
/// working). `None` for any other message, or when the link no longer has a purpose (the
/// application moved on).
pub async fn issue_link<C: ConnectionTrait>(
    conn: &C,
    notification: &Notification,
    now: DateTime<Utc>,
) -> Result<Option<String>, DbErr> {
    let token = crypto::random_token(32);
    let digest = crypto::sha256_hex(&token);
    let changed = match notification {
        Notification::ApplicationVerify(n) => {
            application::Entity::update_many()
                .col_expr(application::Column::VerifyDigest, Expr::val(digest))
                .col_expr(application::Column::VerifyExpiresAt, Expr::val(now + VERIFY_VALIDITY))
                .filter(application::Column::Id.eq(n.application_id))
                .filter(application::Column::Status.eq(ApplicationStatus::Unverified))
                .exec(conn)
                .await?
                .rows_affected
        }
        Notification::ApplicationMoreInfo(n) => {
            application::Entity::update_many()
                .col_expr(application::Column::EditDigest, Expr::val(digest))
                .col_expr(application::Column::EditExpiresAt, Expr::val(now + EDIT_VALIDITY))
                .filter(application::Column::Id.eq(n.application_id))
                .filter(application::Column::Status.eq(ApplicationStatus::MoreInfo))
                .exec(conn)
                .await?
                .rows_affected
        }
        Notification::ApplicationApproved(ApplicationNotice {
            staff_id: Some(staff_id),
            ..
        }) => {
            password_link::Entity::update_many()
                .col_expr(password_link::Column::TokenDigest, Expr::val(digest))
                .col_expr(password_link::Column::ExpiresAt, Expr::val(now + WELCOME_VALIDITY))
                .filter(password_link::Column::StaffId.eq(*staff_id))
                .exec(conn)
                .await?
                .rows_affected
        }
        _ => return Ok(None),
    };
    Ok((changed == 1).then_some(token))
}

/// What the public pages of a link show: the organization's name and the applicant's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkTarget {
    /// The application.
    pub id: i64,
    /// The organization's name.
    pub name: String,
    /// The language the applicant applied in.
    pub locale: Locale,
}

/// What an applicant's link is for: each purpose has its own digest, expiry and status.
#[derive(Debug, Clone, Copy)]
enum Purpose {
    /// Verifying the contact email (an unverified application).
    Verify,
    /// Editing after the office asked for more.
    Edit,
}

/// The application whose link for `purpose` is `token`, while the link works: well formed,
/// known, the application still in the purpose's status, and not expired.
async fn by_token<C: ConnectionTrait>(
    conn: &C,
    purpose: Purpose,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<application::Model>, DbErr> {
    if !well_formed(token) {
        return Ok(None);
    }
    let (digest, status) = match purpose {
        Purpose::Verify => (application::Column::VerifyDigest, ApplicationStatus::Unverified),
        Purpose::Edit => (application::Column::EditDigest, ApplicationStatus::MoreInfo),
    };
    Ok(application::Entity::find()
        .filter(digest.eq(crypto::sha256_hex(token)))
        .filter(application::Column::Status.eq(status))
        .one(conn)
        .await?
        .filter(|a| {
            let expires = match purpose {
                Purpose::Verify => a.verify_expires_at,
                Purpose::Edit => a.edit_expires_at,
            };
            expires.is_some_and(|at| at > now)
        }))
}

/// The application a verification link is for, while it works.
pub async fn verify_target(
    db: &DatabaseConnection,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<LinkTarget>, ServiceError> {
    Ok(by_token(db, Purpose::Verify, token, now).await?.map(|a| LinkTarget {
        id: a.id,
        name: a.name,
        locale: a.locale.0,
    }))
}

/// Verifies the contact email: the application reaches its office. Refused (field
/// `credit_code`) when meanwhile an organization was admitted with the code. The link
/// works once.
pub async fn verify(db: &DatabaseConnection, token: &str, now: DateTime<Utc>) -> Result<LinkTarget, ServiceError> {
    let txn = db::begin_write(db).await?;
    let found = by_token(&txn, Purpose::Verify, token, now)
        .await?
        .ok_or(ServiceError::NotFound("application"))?;
    refuse_admitted_code(&txn, &found.credit_code).await?;
    let moved = application::Entity::update_many()
        .col_expr(application::Column::Status, Expr::val(ApplicationStatus::Submitted))
        .col_expr(application::Column::OpenCode, Expr::val(found.credit_code.clone()))
        .col_expr(application::Column::VerifyDigest, Expr::val(Option::<String>::None))
        .col_expr(application::Column::VerifiedAt, Expr::val(now))
        .col_expr(application::Column::UpdatedAt, Expr::val(now))
        .filter(application::Column::Id.eq(found.id))
        .filter(application::Column::Status.eq(ApplicationStatus::Unverified))
        .exec(&txn)
        .await;
    if moved?.rows_affected != 1 {
        return Err(ServiceError::NotFound("application"));
    }
    audit::record(
        &txn,
        now,
        Entry::ok(Actor::Anonymous, "application.verify").subject("organization_application", found.id),
    )
    .await?;
    txn.commit().await?;
    Ok(LinkTarget {
        id: found.id,
        name: found.name,
        locale: found.locale.0,
    })
}

/// An application as its edit page shows it again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Editable {
    /// The application.
    pub id: i64,
    /// The language the applicant applied in.
    pub locale: Locale,
    /// What the office asked for.
    pub office_message: String,
    /// The fields as stored (the contact email cannot change: it was verified).
    pub form: ApplicationForm,
}

/// The application an edit link is for, while it works.
pub async fn edit_target(
    db: &DatabaseConnection,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<Editable>, ServiceError> {
    Ok(by_token(db, Purpose::Edit, token, now).await?.map(|a| Editable {
        id: a.id,
        locale: a.locale.0,
        office_message: a.office_message.clone().unwrap_or_default(),
        form: ApplicationForm {
            name: a.name,
            credit_code: a.credit_code,
            declared_kind: a.declared_kind,
            contact_name: a.contact_name,
            contact_email: a.contact_email,
            areas: areas_of(&a.service_areas)
                .iter()
                .map(|s| s.as_str().to_owned())
                .collect(),
            communities: ids_of(&a.community_ids).iter().map(i64::to_string).collect(),
            description: a.description,
        },
    }))
}

/// Resubmits an application the office asked more of, with the applicant's changes (the
/// contact email stays the verified one): back to the office's queue. The link works once.
pub async fn resubmit(
    db: &DatabaseConnection,
    token: &str,
    form: &ApplicationForm,
    now: DateTime<Utc>,
) -> Result<LinkTarget, ServiceError> {
    let current = by_token(db, Purpose::Edit, token, now)
        .await?
        .ok_or(ServiceError::NotFound("application"))?;
    let form = ApplicationForm {
        contact_email: current.contact_email.clone(),
        ..form.clone()
    };
    let draft = form.parse().map_err(ServiceError::Validation)?;
    let txn = db::begin_write(db).await?;
    let subdistrict_id = check_against_records(&txn, &draft).await?;
    let moved = application::Entity::update_many()
        .col_expr(application::Column::Name, Expr::val(draft.name.clone()))
        .col_expr(application::Column::CreditCode, Expr::val(draft.code.as_str()))
        .col_expr(application::Column::OpenCode, Expr::val(draft.code.as_str()))
        .col_expr(
            application::Column::RegistrationKind,
            Expr::val(draft.code.kind().as_str()),
        )
        .col_expr(
            application::Column::DeclaredKind,
            Expr::val(draft.declared_kind.as_str()),
        )
        .col_expr(application::Column::ContactName, Expr::val(draft.contact_name.clone()))
        .col_expr(application::Column::ServiceAreas, Expr::val(areas_text(&draft.areas)))
        .col_expr(
            application::Column::CommunityIds,
            Expr::val(ids_text(&draft.communities)),
        )
        .col_expr(application::Column::Description, Expr::val(draft.description.clone()))
        .col_expr(application::Column::SubdistrictId, Expr::val(subdistrict_id))
        .col_expr(application::Column::Status, Expr::val(ApplicationStatus::Submitted))
        .col_expr(application::Column::EditDigest, Expr::val(Option::<String>::None))
        .col_expr(application::Column::UpdatedAt, Expr::val(now))
        .filter(application::Column::Id.eq(current.id))
        .filter(application::Column::Status.eq(ApplicationStatus::MoreInfo))
        .exec(&txn)
        .await?;
    if moved.rows_affected != 1 {
        return Err(ServiceError::NotFound("application"));
    }
    // Its messages so far follow it to the office that now reviews it.
    outbox::move_applicant_messages(&txn, &format!("application:{}:", current.id), subdistrict_id).await?;
    audit::record(
        &txn,
        now,
        Entry::ok(Actor::Anonymous, "application.resubmit")
            .subject("organization_application", current.id)
            .detail(serde_json::json!({ "moved_subdistrict": subdistrict_id != current.subdistrict_id })),
    )
    .await?;
    txn.commit().await?;
    Ok(LinkTarget {
        id: current.id,
        name: draft.name,
        locale: current.locale.0,
    })
}

/// One application in the office's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationRow {
    /// The application.
    pub id: i64,
    /// The organization's name.
    pub name: String,
    /// Its credit code.
    pub credit_code: String,
    /// The kind of body the code names.
    pub kind: RegistrationKind,
    /// Not registered by civil affairs: the office should look closer.
    pub flagged: bool,
    /// Where it stands.
    pub status: ApplicationStatus,
    /// The subdistrict whose office reviews it.
    pub subdistrict_id: i64,
    /// When the email was verified (it reached the office).
    pub verified_at: Option<DateTime<Utc>>,
}

/// The full application, for the office's detail page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationDetail {
    /// The list's facts.
    pub row: ApplicationRow,
    /// The registration type the applicant chose.
    pub declared_kind: RegistrationKind,
    /// Contact person.
    pub contact_name: String,
    /// Contact email (verified).
    pub contact_email: String,
    /// The language the applicant applied in.
    pub locale: Locale,
    /// The service areas.
    pub areas: Vec<ServiceArea>,
    /// The communities served, by id.
    pub communities: Vec<i64>,
    /// The description.
    pub description: String,
    /// The office's last message (more asked, or the rejection's reason).
    pub office_message: Option<String>,
    /// The organization approval made.
    pub organization_id: Option<i64>,
    /// An organization holds the code already: it cannot be approved.
    pub code_admitted: bool,
    /// Other applications under review with the same code that the reader may open: id,
    /// name as applied, sent.
    pub same_code_here: Vec<(i64, String, DateTime<Utc>)>,
    /// How many more are under review with it at other offices.
    pub same_code_elsewhere: usize,
    /// Approved, and its first account has not set a password yet.
    pub welcome_pending: bool,
}

fn row_of(a: &application::Model) -> Result<ApplicationRow, ServiceError> {
    let kind: RegistrationKind = super::error::stored(&a.registration_kind)?;
    Ok(ApplicationRow {
        id: a.id,
        name: a.name.clone(),
        credit_code: a.credit_code.clone(),
        kind,
        flagged: !a.credit_code.starts_with('5'),
        status: a.status,
        subdistrict_id: a.subdistrict_id,
        verified_at: a.verified_at,
    })
}

/// The applications that reached the office (verified), those waiting for it first, then
/// newest first: an office its own
/// subdistrict's, the district bureau every subdistrict's (to read only).
pub async fn list(
    db: &DatabaseConnection,
    caller: &Caller,
    now: DateTime<Utc>,
) -> Result<Vec<ApplicationRow>, ServiceError> {
    let scope = require_office_reader(db, caller, "application.list", now).await?;
    let rows = application::Entity::find()
        .filter(scope.condition(application::Column::SubdistrictId))
        .filter(application::Column::Status.ne(ApplicationStatus::Unverified))
        .order_by_desc(application::Column::UpdatedAt)
        .order_by_desc(application::Column::Id)
        .all(db)
        .await?;
    let mut rows: Vec<ApplicationRow> = rows.iter().map(row_of).collect::<Result<_, _>>()?;
    // What waits for the office comes first.
    rows.sort_by_key(|r| !r.status.awaits_office());
    Ok(rows)
}

/// How many organization applications wait for the caller's office (verified, not yet
/// decided): its own subdistrict's, the district bureau's every one.
pub async fn waiting_count(db: &DatabaseConnection, caller: &Caller, now: DateTime<Utc>) -> Result<u64, ServiceError> {
    let scope = require_office_reader(db, caller, "application.list", now).await?;
    Ok(application::Entity::find()
        .filter(scope.condition(application::Column::SubdistrictId))
        .filter(application::Column::Status.eq(ApplicationStatus::Submitted))
        .count(db)
        .await?)
}

/// Application `id`, if `scope` may read it (verified and of its subdistrict); otherwise
/// the refusal is audited and answered as "not found", as for a missing one. Called before
/// any write transaction, so that the audit row of a refusal stays.
async fn in_scope(
    db: &DatabaseConnection,
    caller: &Caller,
    scope: SubdistrictScope,
    id: i64,
    action: &str,
    now: DateTime<Utc>,
) -> Result<application::Model, ServiceError> {
    let found = application::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|a| a.status != ApplicationStatus::Unverified);
    match found {
        Some(a) if scope.allows(a.subdistrict_id) => Ok(a),
        Some(_) => {
            audit::record(
                db,
                now,
                Entry::denied(caller.actor(), action).subject("organization_application", id),
            )
            .await?;
            Err(ServiceError::NotFound("application"))
        }
        None => Err(ServiceError::NotFound("application")),
    }
}

/// Application `id` in full, for the office (its own subdistrict's) or the district bureau.
pub async fn detail(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i64,
    now: DateTime<Utc>,
) -> Result<ApplicationDetail, ServiceError> {
    let scope = require_office_reader(db, caller, "application.read", now).await?;
    let a = in_scope(db, caller, scope, id, "application.read", now).await?;
    let code_admitted = a.organization_id.is_none() && code_admitted(db, &a.credit_code).await?;
    let others = application::Entity::find()
        .filter(application::Column::OpenCode.eq(a.credit_code.as_str()))
        .filter(application::Column::Id.ne(a.id))
        .order_by_asc(application::Column::Id)
        .all(db)
        .await?;
    let (here, elsewhere): (Vec<_>, Vec<_>) = others.iter().partition(|o| scope.allows(o.subdistrict_id));
    let welcome_pending = welcome_pending(db, &a).await?;
    Ok(ApplicationDetail {
        welcome_pending,
        code_admitted,
        same_code_here: here.iter().map(|o| (o.id, o.name.clone(), o.created_at)).collect(),
        same_code_elsewhere: elsewhere.len(),
        row: row_of(&a)?,
        declared_kind: super::error::stored(&a.declared_kind)?,
        contact_name: a.contact_name,
        contact_email: a.contact_email,
        locale: a.locale.0,
        areas: areas_of(&a.service_areas),
        communities: ids_of(&a.community_ids),
        description: a.description,
        office_message: a.office_message,
        organization_id: a.organization_id,
    })
}

/// The office's own scope for an act (the district bureau reads, never acts).
async fn office_scope(
    db: &DatabaseConnection,
    caller: &Caller,
    action: &str,
    now: DateTime<Utc>,
) -> Result<SubdistrictScope, ServiceError> {
    require_admin(db, caller, action, now).await?;
    Ok(match caller.subdistrict_id() {
        Some(id) => SubdistrictScope::One(id),
        None => SubdistrictScope::District,
    })
}

/// Checks the office's message (what more it needs, or why it rejects): 1 to
/// [`MESSAGE_MAX`] characters.
fn office_text(raw: &str) -> Result<String, ServiceError> {
    crate::domain::input::text(raw, 1, MESSAGE_MAX)
        .map_err(|e| ServiceError::Validation(FieldErrors(vec![("reason", e)])))
}

/// The application's state does not allow the office's act.
fn not_now(status: ApplicationStatus) -> ServiceError {
    ServiceError::Conflict(format!("the application is {}", status.as_str()))
}

/// Asks the applicant for more (the office of its subdistrict): the application waits for
/// them; they get an email, in their language, with `message` and a link to edit and resubmit.
pub async fn ask_for_more(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i64,
    message: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let scope = office_scope(db, caller, "application.ask_more", now).await?;
    let message = office_text(message)?;
    // Read (and a refusal audited) before the write transaction; the status moves by a
    // conditional update, so a concurrent act makes this one a conflict.
    let a = in_scope(db, caller, scope, id, "application.ask_more", now).await?;
    let txn = db::begin_write(db).await?;
    if !a.status.awaits_office() {
        return Err(not_now(a.status));
    }
    move_status(&txn, &a, ApplicationStatus::MoreInfo, Some(&message), None, now).await?;
    let notice = ApplicationNotice {
        application_id: a.id,
        name: a.name.clone(),
        message: Some(message),
        staff_id: None,
        office: None,
    };
    mail(
        &txn,
        (&a.contact_email, a.subdistrict_id),
        a.locale.0,
        &Notification::ApplicationMoreInfo(notice),
        format!("application:{}:more-info:{}", a.id, now.timestamp_millis()),
        now,
    )
    .await?;
    audit::record(
        &txn,
        now,
        Entry::ok(caller.actor(), "application.ask_more").subject("organization_application", a.id),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Moves `a` from its current status to `to` in one conditional update (a concurrent
/// move makes this one fail as a conflict).
async fn move_status<C: ConnectionTrait>(
    txn: &C,
    a: &application::Model,
    to: ApplicationStatus,
    message: Option<&str>,
    decided_by: Option<i64>,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let mut update = application::Entity::update_many()
        .col_expr(application::Column::Status, Expr::val(to))
        .col_expr(application::Column::UpdatedAt, Expr::val(now));
    if let Some(message) = message {
        update = update.col_expr(application::Column::OfficeMessage, Expr::val(message));
    }
    if !to.is_open() {
        update = update.col_expr(application::Column::OpenCode, Expr::val(Option::<String>::None));
        update = update.col_expr(application::Column::EditDigest, Expr::val(Option::<String>::None));
    }
    if matches!(to, ApplicationStatus::Approved | ApplicationStatus::Rejected) {
        update = update
            .col_expr(application::Column::DecidedAt, Expr::val(now))
            .col_expr(application::Column::DecidedBy, Expr::val(decided_by));
    }
    let moved = update
        .filter(application::Column::Id.eq(a.id))
        .filter(application::Column::Status.eq(a.status))
        .exec(txn)
        .await?;
    if moved.rows_affected == 1 {
        Ok(())
    } else {
        Err(ServiceError::Conflict("the application changed meanwhile".into()))
    }
}

/// Rejects an application with a reason (the office of its subdistrict), whether it waits
/// for the office or for the applicant; the applicant gets the reason by email.
pub async fn reject(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i64,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let scope = office_scope(db, caller, "application.reject", now).await?;
    let reason = office_text(reason)?;
    // Read (and a refusal audited) before the write transaction; the status moves by a
    // conditional update, so a concurrent act makes this one a conflict.
    let a = in_scope(db, caller, scope, id, "application.reject", now).await?;
    let office = super::subdistricts::district(db)
        .await?
        .subdistrict(a.subdistrict_id)
        .map(|s| (s.name.clone(), s.name_en.clone()));
    let txn = db::begin_write(db).await?;
    if !a.status.is_open() {
        return Err(not_now(a.status));
    }
    move_status(
        &txn,
        &a,
        ApplicationStatus::Rejected,
        Some(&reason),
        caller.staff_id(),
        now,
    )
    .await?;
    let notice = ApplicationNotice {
        application_id: a.id,
        name: a.name.clone(),
        message: Some(reason),
        staff_id: None,
        office,
    };
    mail(
        &txn,
        (&a.contact_email, a.subdistrict_id),
        a.locale.0,
        &Notification::ApplicationRejected(notice),
        format!("application:{}:rejected", a.id),
        now,
    )
    .await?;
    audit::record(
        &txn,
        now,
        Entry::ok(caller.actor(), "application.reject").subject("organization_application", a.id),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// What approval made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Approved {
    /// The new organization.
    pub organization_id: i64,
    /// Its first staff account (a social worker, with no usable password yet).
    pub staff_id: i64,
}

/// Approves an application (the office of its subdistrict), in one transaction: the
/// organization, approved, in the application's subdistrict, with its code and service
/// areas; its first staff account, a social worker without a usable password; and the email
/// with the one-time link that sets it.
pub async fn approve(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i64,
    now: DateTime<Utc>,
) -> Result<Approved, ServiceError> {
    let scope = office_scope(db, caller, "application.approve", now).await?;
    // Read (and a refusal audited) before the write transaction; the status moves by a
    // conditional update, so a concurrent act makes this one a conflict.
    let a = in_scope(db, caller, scope, id, "application.approve", now).await?;
    let txn = db::begin_write(db).await?;
    if !a.status.awaits_office() {
        return Err(not_now(a.status));
    }
    let kind: RegistrationKind = super::error::stored(&a.registration_kind)?;
    let communities = ids_of(&a.community_ids);
    refuse_admitted_code(&txn, &a.credit_code).await?;
    let org = organization::ActiveModel {
        name: Set(a.name.clone()),
        kind: Set(org_kind(kind).as_str().to_owned()),
        status: Set(PartyStatus::Approved),
        community_id: Set(match communities.as_slice() {
            [only] => Some(*only),
            _ => None,
        }),
        subdistrict_id: Set(a.subdistrict_id),
        credit_code: Set(Some(a.credit_code.clone())),
        admitted_until: Set(Some(crate::domain::admission::first_term(
            crate::domain::time::local_date(now),
        ))),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| {
        ServiceError::on_unique(
            e,
            format!("an organization called `{}` or with this code exists already", a.name),
        )
    })?;
    let areas = areas_of(&a.service_areas);
    if !areas.is_empty() {
        organization_service::Entity::insert_many(areas.iter().map(|area| organization_service::ActiveModel {
            organization_id: Set(org.id),
            service_area: Set(*area),
        }))
        .exec_without_returning(&txn)
        .await?;
    }
    let account = staff::ActiveModel {
        email: Set(a.contact_email.clone()),
        password_hash: Set(NO_PASSWORD.to_owned()),
        role: Set(Role::SocialWorker.as_str().to_owned()),
        organization_id: Set(Some(org.id)),
        subdistrict_id: Set(None),
        display_name: Set(a.contact_name.clone()),
        locale: Set(Some(a.locale)),
        active: Set(true),
        password_changed_at: Set(now),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| ServiceError::on_unique(e, "an account for the contact email exists already"))?;
    password_link::ActiveModel {
        staff_id: Set(account.id),
        token_digest: Set(None),
        expires_at: Set(None),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    move_status(&txn, &a, ApplicationStatus::Approved, None, caller.staff_id(), now).await?;
    application::Entity::update_many()
        .col_expr(application::Column::OrganizationId, Expr::val(org.id))
        .col_expr(application::Column::StaffId, Expr::val(account.id))
        .filter(application::Column::Id.eq(a.id))
        .exec(&txn)
        .await?;
    let notice = ApplicationNotice {
        application_id: a.id,
        name: a.name.clone(),
        message: None,
        staff_id: Some(account.id),
        office: None,
    };
    mail(
        &txn,
        (&a.contact_email, a.subdistrict_id),
        a.locale.0,
        &Notification::ApplicationApproved(notice),
        format!("application:{}:approved", a.id),
        now,
    )
    .await?;
    audit::record(
        &txn,
        now,
        Entry::ok(caller.actor(), "application.approve")
            .subject("organization_application", a.id)
            .organization(Some(org.id))
            .detail(serde_json::json!({ "organization": org.id, "staff": account.id })),
    )
    .await?;
    txn.commit().await?;
    Ok(Approved {
        organization_id: org.id,
        staff_id: account.id,
    })
}

/// Sends the approved application's contact a new set-password link (the office of its
/// subdistrict), while the first account's password is not set: a link that expired, or a
/// mail that was lost, is no dead end. The earlier link stops working when the new mail is
/// sent. Refused as a conflict once the password is set or the application is not approved.
pub async fn resend_welcome(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i64,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let scope = office_scope(db, caller, "application.resend_welcome", now).await?;
    let a = in_scope(db, caller, scope, id, "application.resend_welcome", now).await?;
    let pending = welcome_pending(db, &a).await?;
    let (true, Some(staff_id)) = (pending, a.staff_id) else {
        return Err(ServiceError::Conflict("the password is set already".into()));
    };
    let txn = db::begin_write(db).await?;
    let notice = ApplicationNotice {
        application_id: a.id,
        name: a.name.clone(),
        message: None,
        staff_id: Some(staff_id),
        office: None,
    };
    mail(
        &txn,
        (&a.contact_email, a.subdistrict_id),
        a.locale.0,
        &Notification::ApplicationApproved(notice),
        format!("application:{}:approved:{}", a.id, now.timestamp_millis()),
        now,
    )
    .await?;
    audit::record(
        &txn,
        now,
        Entry::ok(caller.actor(), "application.resend_welcome").subject("organization_application", a.id),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// True while approved application `a`'s first account has not set its password (its
/// one-time link is still on record).
async fn welcome_pending<C: ConnectionTrait>(conn: &C, a: &application::Model) -> Result<bool, DbErr> {
    let Some(staff_id) = a.staff_id.filter(|_| a.status == ApplicationStatus::Approved) else {
        return Ok(false);
    };
    Ok(password_link::Entity::find()
        .filter(password_link::Column::StaffId.eq(staff_id))
        .count(conn)
        .await?
        > 0)
}

async fn by_welcome_token<C: ConnectionTrait>(
    conn: &C,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<password_link::Model>, DbErr> {
    if !well_formed(token) {
        return Ok(None);
    }
    Ok(password_link::Entity::find()
        .filter(password_link::Column::TokenDigest.eq(crypto::sha256_hex(token)))
        .one(conn)
        .await?
        .filter(|l| l.expires_at.is_some_and(|at| at > now)))
}

/// The account a set-password link is for (its email), while the link works.
pub async fn welcome_target(
    db: &DatabaseConnection,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<(String, Option<Locale>)>, ServiceError> {
    let Some(link) = by_welcome_token(db, token, now).await? else {
        return Ok(None);
    };
    Ok(staff::Entity::find_by_id(link.staff_id)
        .one(db)
        .await?
        .filter(|s| s.active)
        .map(|s| (s.email, s.locale.map(Locale::from))))
}

/// Sets the first password of the account of a one-time link, under the password rules
/// (field `new_password`). The link is looked up before any hashing and used up in the
/// same transaction that stores the password, so it works once.
pub async fn set_first_password(
    db: &DatabaseConnection,
    hasher: &crypto::PasswordHasher,
    token: &str,
    password: &str,
    now: DateTime<Utc>,
) -> Result<String, ServiceError> {
    let link = by_welcome_token(db, token, now)
        .await?
        .ok_or(ServiceError::NotFound("link"))?;
    if let Err(e) = check_new_password(password) {
        return Err(ServiceError::Validation(FieldErrors(vec![(
            "new_password",
            FieldError::WeakPassword(e),
        )])));
    }
    let hash = hasher.hash(password).await?;
    let txn = db::begin_write(db).await?;
    // Used up for good: the row goes, so no later sending of the approval mail can arm a
    // new link that would reset the password the holder chose.
    let used = password_link::Entity::delete_many()
        .filter(password_link::Column::StaffId.eq(link.staff_id))
        .filter(password_link::Column::TokenDigest.eq(link.token_digest.clone()))
        .exec(&txn)
        .await?;
    if used.rows_affected != 1 {
        return Err(ServiceError::NotFound("link"));
    }
    let account = staff::Entity::find_by_id(link.staff_id)
        .one(&txn)
        .await?
        .filter(|s| s.active)
        .ok_or(ServiceError::NotFound("link"))?;
    staff::Entity::update_many()
        .col_expr(staff::Column::PasswordHash, Expr::val(hash))
        .col_expr(staff::Column::PasswordChangedAt, Expr::val(now))
        .filter(staff::Column::Id.eq(account.id))
        .exec(&txn)
        .await?;
    super::lockout::end_sessions_of_staff(&txn, account.id, now).await?;
    audit::record(
        &txn,
        now,
        Entry::ok(Actor::Staff(account.id), "staff.password_set")
            .subject("staff", account.id)
            .organization(account.organization_id),
    )
    .await?;
    txn.commit().await?;
    Ok(account.email)
}
