//! Who comes to an event: the organization invites its volunteers who agreed to email; a
//! volunteer signs up for a role from the signed link in the invitation (a slot, or the
//! waitlist when the role is full) and cancels from the link in the confirmation, which
//! moves the first on the waitlist up, by email; a shop signs its staff up from the bot.
//! Every placement runs under the role's row lock, so two people never take one last slot.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use super::links;
use crate::config::Secret;
use crate::db;
use crate::domain::Channel;
use crate::domain::event::{self, EventStatus, SignupRefusal, SignupStatus, SignupVia};
use crate::domain::input;
use crate::entities::{contact, event as event_row, event_role, event_signup, merchant, organization, volunteer};
use crate::services::ServiceError;
use crate::services::access::Caller;
use crate::services::audit::{self, Actor, Entry};
use crate::services::outbox::{EventInvite, EventRoleLine, EventSignupNotice};
use crate::services::outbox::{Message, Notification, enqueue};

/// Where a sign-up landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignupOutcome {
    /// A slot of the role.
    Confirmed,
    /// The waitlist, at this place (1 is next).
    Waitlisted {
        /// Place on the list.
        position: i64,
    },
}

/// Why a link-driven step did not happen, in words a volunteer can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkRefusal {
    /// The signature does not match: a forged or mistyped link.
    #[error("this link is not valid")]
    Forged,
    /// Sign-ups are closed.
    #[error(transparent)]
    Closed(#[from] SignupRefusal),
    /// There is no sign-up to cancel.
    #[error("there is no sign-up to cancel")]
    NothingToCancel,
}

impl LinkRefusal {
    /// What the volunteer reads, in their language.
    pub fn message(self, locale: crate::domain::Locale) -> &'static str {
        let zh = locale == crate::domain::Locale::ZhCn;
        match self {
            LinkRefusal::Forged => {
                if zh {
                    "这个链接无效。请使用邮件里的原始链接，或联系组织活动的机构。"
                } else {
                    "This link is not valid. Use the link exactly as it came in your email, or ask the organization running the event."
                }
            }
            LinkRefusal::Closed(SignupRefusal::EventCancelled) => {
                if zh {
                    "这个活动已取消，无需报名或取消。"
                } else {
                    "This event was cancelled; there is nothing to sign up for or cancel."
                }
            }
            LinkRefusal::Closed(SignupRefusal::Started) => {
                if zh {
                    "活动已开始或已结束，报名和取消都已截止。如有变动，请直接联系组织机构。"
                } else {
                    "The event has begun or is over: sign-ups and cancellations are closed. For a change, contact the organization directly."
                }
            }
            LinkRefusal::NothingToCancel => {
                if zh {
                    "您目前没有这个活动的报名，无需取消。"
                } else {
                    "You are not signed up for this event; there is nothing to cancel."
                }
            }
        }
    }
}

/// What a sign-up or cancel link's page shows before the volunteer confirms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkPreview {
    /// The event's title.
    pub title: String,
    /// When, local time.
    pub when: String,
    /// The public place.
    pub place: String,
    /// The organization that runs it.
    pub organizer: String,
    /// The role of the link (sign-up) or of the sign-up (cancel).
    pub role: String,
    /// Slots still free in that role.
    pub free: i64,
    /// Where the volunteer's sign-up stands now, if they have one.
    pub current: Option<SignupStatus>,
    /// Why the step cannot happen, if it cannot.
    pub refusal: Option<LinkRefusal>,
    /// The language of the volunteer's emails, when they have an address.
    pub locale: Option<crate::domain::Locale>,
}

async fn organizer_name<C: ConnectionTrait>(conn: &C, organization_id: i64) -> Result<String, ServiceError> {
    Ok(organization::Entity::find_by_id(organization_id)
        .one(conn)
        .await?
        .map(|o| o.name)
        .unwrap_or_default())
}

/// The contact a volunteer's mail goes to, if they have one that can still receive it.
async fn mail_contact<C: ConnectionTrait>(
    conn: &C,
    v: &volunteer::Model,
) -> Result<Option<contact::Model>, ServiceError> {
    let Some(id) = v.contact_id else { return Ok(None) };
    Ok(contact::Entity::find_by_id(id)
        .one(conn)
        .await?
        .filter(|c| c.consent_status != "unsubscribed" && c.undeliverable_at.is_none()))
}

fn to_volunteer(c: &contact::Model, notification: &Notification, dedupe_key: String) -> Message {
    Message {
        contact_id: Some(c.id),
        ..Message::new(Channel::Email, c.email.clone(), c.locale.0, notification, dedupe_key)
    }
}

/// Invites every volunteer of the organizer who has an email they agreed to, once each (a
/// second invitation after new volunteers joined reaches only them). Only the organizer's
/// own staff invite. Returns how many were invited now.
pub async fn invite(
    db: &DatabaseConnection,
    caller: &Caller,
    event_id: i64,
    now: DateTime<Utc>,
) -> Result<u64, ServiceError> {
    // Checked before the transaction, so that a refusal's audit row is kept.
    let row = super::readable(db, caller, event_id, "event.invite", now).await?;
    if caller.organization_id() != Some(row.organization_id) {
        audit::record(
            db,
            now,
            Entry::denied(caller.actor(), "event.invite").subject("event", event_id),
        )
        .await?;
        return Err(ServiceError::Forbidden);
    }
    let txn = db::begin_write(db).await?;
    event::signups_open(row.status, row.starts_at, now).map_err(|e| ServiceError::Conflict(e.to_string()))?;
    let organizer = organizer_name(&txn, row.organization_id).await?;
    let roles = super::roles_of(&txn, event_id).await?;
    let lines: Vec<EventRoleLine> = roles
        .iter()
        .map(|r| EventRoleLine {
            role_id: r.id,
            name: r.name.clone(),
            slots: r.slots,
            free: r.free(),
        })
        .collect();
    let volunteers = volunteer::Entity::find()
        .filter(volunteer::Column::OrganizationId.eq(row.organization_id))
        .filter(volunteer::Column::ContactId.is_not_null())
        .order_by_asc(volunteer::Column::Id)
        .all(&txn)
        .await?;
    let mut invited = 0;
    for v in &volunteers {
        let Some(c) = mail_contact(&txn, v).await? else {
            continue;
        };
        let notification = Notification::ResidentEventInvite(EventInvite {
            event: super::facts(&txn, &row, &organizer, v.id).await?,
            roles: lines.clone(),
        });
        if enqueue(
            &txn,
            to_volunteer(&c, &notification, format!("event:{event_id}:invite:{}", v.id)),
            now,
        )
        .await?
        {
            invited += 1;
        }
    }
    event_row::Entity::update_many()
        .col_expr(event_row::Column::InvitedAt, Expr::val(now))
        .col_expr(event_row::Column::UpdatedAt, Expr::val(now))
        .filter(event_row::Column::Id.eq(event_id))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        now,
        Entry::ok(caller.actor(), "event.invite")
            .subject("event", event_id)
            .organization(Some(row.organization_id))
            .detail(serde_json::json!({ "invited": invited })),
    )
    .await?;
    txn.commit().await?;
    Ok(invited)
}

/// The event, role and volunteer a link names, when they belong together.
async fn link_parts<C: ConnectionTrait>(
    conn: &C,
    event_id: i64,
    volunteer_id: i64,
    role_id: Option<i64>,
) -> Result<Option<(event_row::Model, Option<event_role::Model>, volunteer::Model)>, ServiceError> {
    let Some(row) = event_row::Entity::find_by_id(event_id).one(conn).await? else {
        return Ok(None);
    };
    let Some(v) = volunteer::Entity::find_by_id(volunteer_id)
        .one(conn)
        .await?
        .filter(|v| v.organization_id == row.organization_id)
    else {
        return Ok(None);
    };
    let role = match role_id {
        Some(id) => match event_role::Entity::find_by_id(id)
            .one(conn)
            .await?
            .filter(|r| r.event_id == event_id)
        {
            Some(r) => Some(r),
            None => return Ok(None),
        },
        None => None,
    };
    Ok(Some((row, role, v)))
}

/// What the sign-up link of `volunteer_id` for `role_id` of `event_id` leads to. A link whose
/// signature does not match is `Forged` before anything is read.
pub async fn signup_preview(
    db: &DatabaseConnection,
    secret: &Secret,
    event_id: i64,
    volunteer_id: i64,
    role_id: i64,
    signature: &str,
    now: DateTime<Utc>,
) -> Result<LinkPreview, LinkRefusal> {
    if !links::matches(
        &links::signup_signature(secret, event_id, volunteer_id, role_id),
        signature,
    ) {
        return Err(LinkRefusal::Forged);
    }
    let parts = link_parts(db, event_id, volunteer_id, Some(role_id))
        .await
        .map_err(|_| LinkRefusal::Forged)?;
    let Some((row, Some(role), _)) = parts else {
        return Err(LinkRefusal::Forged);
    };
    preview(db, &row, &role, volunteer_id, now)
        .await
        .map_err(|_| LinkRefusal::Forged)
}

async fn preview(
    db: &DatabaseConnection,
    row: &event_row::Model,
    role: &event_role::Model,
    volunteer_id: i64,
    now: DateTime<Utc>,
) -> Result<LinkPreview, ServiceError> {
    let roles = super::roles_of(db, row.id).await?;
    let current = event_signup::Entity::find()
        .filter(event_signup::Column::EventId.eq(row.id))
        .filter(event_signup::Column::VolunteerId.eq(volunteer_id))
        .one(db)
        .await?;
    let locale = match volunteer::Entity::find_by_id(volunteer_id).one(db).await? {
        Some(v) => mail_contact(db, &v).await?.map(|c| c.locale.0),
        None => None,
    };
    Ok(LinkPreview {
        locale,
        title: row.title.clone(),
        when: super::when(row.starts_at, row.ends_at),
        place: row.place.clone(),
        organizer: organizer_name(db, row.organization_id).await?,
        role: role.name.clone(),
        free: roles.iter().find(|r| r.id == role.id).map_or(0, super::RoleView::free),
        current: current.map(|s| s.status).filter(|s| *s != SignupStatus::Cancelled),
        refusal: event::signups_open(row.status, row.starts_at, now)
            .err()
            .map(LinkRefusal::Closed),
    })
}

/// Signs `volunteer_id` up for `role_id` of `event_id` from their email link: a slot while one
/// is free, the waitlist after. Tapping again changes nothing; a link to another role moves
/// the sign-up there (to the end of that role's list when it is full). The volunteer hears
/// where they landed by email, with a cancel link.
pub async fn sign_up_by_link(
    db: &DatabaseConnection,
    secret: &Secret,
    event_id: i64,
    volunteer_id: i64,
    role_id: i64,
    signature: &str,
    now: DateTime<Utc>,
) -> Result<SignupOutcome, ServiceError> {
    if !links::matches(
        &links::signup_signature(secret, event_id, volunteer_id, role_id),
        signature,
    ) {
        // No audit row: anyone can post a bad link, and the log is not theirs to fill.
        return Err(ServiceError::Signup(LinkRefusal::Forged));
    }
    let txn = db::begin_write(db).await?;
    let Some((row, Some(role), v)) = link_parts(&txn, event_id, volunteer_id, Some(role_id)).await? else {
        return Err(ServiceError::Signup(LinkRefusal::Forged));
    };
    let outcome = place(&txn, &row, &role, &v, SignupVia::Email, Actor::System, now).await?;
    txn.commit().await?;
    Ok(outcome)
}

/// Signs a shop's staff member up for `role_id` of `event_id` from the bot: the organizer's
/// volunteer record of that name for the shop is found or made (the shop's staff serve with
/// the organization that runs the event, which records their hours).
pub async fn sign_up_staff(
    db: &DatabaseConnection,
    merchant_id: i64,
    event_id: i64,
    role_id: i64,
    name: &str,
    now: DateTime<Utc>,
) -> Result<SignupOutcome, ServiceError> {
    let name = input::text(name, 1, 50).map_err(|e| {
        ServiceError::Validation({
            let mut errors = input::FieldErrors::default();
            errors.push("name", e);
            errors
        })
    })?;
    let txn = db::begin_write(db).await?;
    let shop = merchant::Entity::find_by_id(merchant_id).one(&txn).await?;
    let row = event_row::Entity::find_by_id(event_id).one(&txn).await?;
    let (Some(shop), Some(row)) = (shop, row) else {
        return Err(ServiceError::NotFound("event"));
    };
    if shop.subdistrict_id != row.subdistrict_id {
        audit::record(
            &txn,
            now,
            Entry::denied(Actor::Merchant(merchant_id), "event.staff_signup").subject("event", event_id),
        )
        .await?;
        txn.commit().await?;
        return Err(ServiceError::NotFound("event"));
    }
    if shop.status != crate::domain::PartyStatus::Approved {
        return Err(ServiceError::MerchantNotApproved);
    }
    let Some(role) = event_role::Entity::find_by_id(role_id)
        .one(&txn)
        .await?
        .filter(|r| r.event_id == event_id)
    else {
        return Err(ServiceError::NotFound("event"));
    };
    let existing = volunteer::Entity::find()
        .filter(volunteer::Column::OrganizationId.eq(row.organization_id))
        .filter(volunteer::Column::MerchantId.eq(merchant_id))
        .filter(volunteer::Column::DisplayName.eq(name.as_str()))
        .one(&txn)
        .await?;
    let v = match existing {
        Some(v) => v,
        None => {
            volunteer::ActiveModel {
                organization_id: Set(row.organization_id),
                display_name: Set(name.clone()),
                contact_id: Set(None),
                former_beneficiary_id: Set(None),
                created_at: Set(now),
                merchant_id: Set(Some(merchant_id)),
                ..Default::default()
            }
            .insert(&txn)
            .await?
        }
    };
    let outcome = place(
        &txn,
        &row,
        &role,
        &v,
        SignupVia::Merchant,
        Actor::Merchant(merchant_id),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(outcome)
}

/// Signs volunteer `volunteer_id` of the organizer up for `role_id`, as their link would:
/// someone who phoned, or has no email. Only the organizer's own staff do this.
pub async fn sign_up_by_organizer(
    db: &DatabaseConnection,
    caller: &Caller,
    event_id: i64,
    volunteer_id: i64,
    role_id: i64,
    now: DateTime<Utc>,
) -> Result<SignupOutcome, ServiceError> {
    let row = super::readable(db, caller, event_id, "event.signup", now).await?;
    if caller.organization_id() != Some(row.organization_id) {
        audit::record(
            db,
            now,
            Entry::denied(caller.actor(), "event.signup").subject("event", event_id),
        )
        .await?;
        return Err(ServiceError::Forbidden);
    }
    let txn = db::begin_write(db).await?;
    let role = event_role::Entity::find_by_id(role_id)
        .one(&txn)
        .await?
        .filter(|r| r.event_id == event_id);
    let v = volunteer::Entity::find_by_id(volunteer_id)
        .one(&txn)
        .await?
        .filter(|v| v.organization_id == row.organization_id);
    let (Some(role), Some(v)) = (role, v) else {
        let mut errors = input::FieldErrors::default();
        errors.push("volunteer", input::FieldError::UnknownChoice);
        return Err(ServiceError::Validation(errors));
    };
    let outcome = place(&txn, &row, &role, &v, SignupVia::Staff, caller.actor(), now).await?;
    txn.commit().await?;
    Ok(outcome)
}

/// Puts `v` in `role` (under the role's lock) and tells them by email when they have one.
async fn place<C: ConnectionTrait>(
    txn: &C,
    row: &event_row::Model,
    role: &event_role::Model,
    v: &volunteer::Model,
    via: SignupVia,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<SignupOutcome, ServiceError> {
    event::signups_open(row.status, row.starts_at, now).map_err(|e| ServiceError::Signup(LinkRefusal::Closed(e)))?;
    lock_event(txn, row.id).await?;
    let existing = event_signup::Entity::find()
        .filter(event_signup::Column::EventId.eq(row.id))
        .filter(event_signup::Column::VolunteerId.eq(v.id))
        .one(txn)
        .await?;
    if let Some(s) = existing
        .as_ref()
        .filter(|s| s.role_id == role.id && s.status != SignupStatus::Cancelled)
    {
        return Ok(match s.status {
            SignupStatus::Waitlisted => SignupOutcome::Waitlisted {
                position: position_of(txn, s).await?,
            },
            _ => SignupOutcome::Confirmed,
        });
    }
    let taken = event_signup::Entity::find()
        .filter(event_signup::Column::RoleId.eq(role.id))
        .filter(event_signup::Column::Status.eq(SignupStatus::Confirmed))
        .count(txn)
        .await?;
    let status = event::place_signup(role.slots, taken);
    // The waitlist's order is the order of placement under the lock, not of the callers'
    // clocks (read before they waited for it): a later placement never queues ahead.
    let last = event_signup::Entity::find()
        .filter(event_signup::Column::RoleId.eq(role.id))
        .order_by_desc(event_signup::Column::QueuedAt)
        .one(txn)
        .await?
        .map(|s| s.queued_at);
    let queued = match last {
        Some(last) if last >= now => last + chrono::Duration::milliseconds(1),
        _ => now,
    };
    let saved = match existing {
        Some(old) => {
            let left_role = (old.status == SignupStatus::Confirmed).then_some(old.role_id);
            let mut active: event_signup::ActiveModel = old.into();
            active.role_id = Set(role.id);
            active.status = Set(status);
            active.via = Set(via);
            active.queued_at = Set(queued);
            active.updated_at = Set(now);
            let saved = active.update(txn).await?;
            // Moving out of a confirmed slot of another role frees it for that role's list.
            if let Some(freed) = left_role {
                promote(txn, row, freed, now).await?;
            }
            saved
        }
        None => event_signup::ActiveModel {
            event_id: Set(row.id),
            role_id: Set(role.id),
            volunteer_id: Set(v.id),
            status: Set(status),
            via: Set(via),
            queued_at: Set(queued),
            created_at: Set(now),
            updated_at: Set(now),
            checked_in_at: Set(None),
            checked_in_by: Set(None),
            volunteer_hour_id: Set(None),
            ..Default::default()
        }
        .insert(txn)
        .await
        .map_err(|e| ServiceError::on_unique(e, "already signed up"))?,
    };
    let outcome = match status {
        SignupStatus::Waitlisted => SignupOutcome::Waitlisted {
            position: position_of(txn, &saved).await?,
        },
        _ => SignupOutcome::Confirmed,
    };
    if let Some(c) = mail_contact(txn, v).await? {
        let organizer = organizer_name(txn, row.organization_id).await?;
        let (waitlisted, position) = match outcome {
            SignupOutcome::Waitlisted { position } => (true, position),
            SignupOutcome::Confirmed => (false, 0),
        };
        let notification = Notification::ResidentEventSignedUp(EventSignupNotice {
            event: super::facts(txn, row, &organizer, v.id).await?,
            role: role.name.clone(),
            waitlisted,
            position,
        });
        let key = format!("event-signup:{}:{}:{}", saved.id, role.id, now.timestamp_millis());
        enqueue(txn, to_volunteer(&c, &notification, key), now).await?;
    }
    audit::record(
        txn,
        now,
        Entry::ok(actor, "event.signup")
            .subject("event_signup", saved.id)
            .organization(Some(row.organization_id))
            .detail(serde_json::json!({ "event": row.id, "role": role.id, "status": status.as_str() })),
    )
    .await?;
    Ok(outcome)
}

/// Takes event `event_id`'s row lock (SQLite's write transaction already is one): every
/// change to its sign-ups — a placement, a move between roles, a cancel and the promotion it
/// brings — takes it first and reads the sign-ups after, so they take turns whichever roles
/// they touch, and no two ever lock roles in opposite orders.
async fn lock_event<C: ConnectionTrait>(txn: &C, event_id: i64) -> Result<(), ServiceError> {
    event_row::Entity::find_by_id(event_id)
        .lock_exclusive()
        .one(txn)
        .await?;
    Ok(())
}

/// 1 for the first on its role's waitlist.
async fn position_of<C: ConnectionTrait>(conn: &C, s: &event_signup::Model) -> Result<i64, ServiceError> {
    let ahead = event_signup::Entity::find()
        .filter(event_signup::Column::RoleId.eq(s.role_id))
        .filter(event_signup::Column::Status.eq(SignupStatus::Waitlisted))
        .filter(
            sea_orm::Condition::any()
                .add(event_signup::Column::QueuedAt.lt(s.queued_at))
                .add(
                    sea_orm::Condition::all()
                        .add(event_signup::Column::QueuedAt.eq(s.queued_at))
                        .add(event_signup::Column::Id.lt(s.id)),
                ),
        )
        .count(conn)
        .await?;
    Ok(i64::try_from(ahead).unwrap_or(i64::MAX) + 1)
}

/// Fills a freed slot of `role_id` with the first on its waitlist, and tells them.
async fn promote<C: ConnectionTrait>(
    txn: &C,
    row: &event_row::Model,
    role_id: i64,
    now: DateTime<Utc>,
) -> Result<Option<i64>, ServiceError> {
    let Some(role) = event_role::Entity::find_by_id(role_id)
        .lock_exclusive()
        .one(txn)
        .await?
    else {
        return Ok(None);
    };
    let taken = event_signup::Entity::find()
        .filter(event_signup::Column::RoleId.eq(role_id))
        .filter(event_signup::Column::Status.eq(SignupStatus::Confirmed))
        .count(txn)
        .await?;
    if event::place_signup(role.slots, taken) != SignupStatus::Confirmed {
        return Ok(None);
    }
    let Some(next) = event_signup::Entity::find()
        .filter(event_signup::Column::RoleId.eq(role_id))
        .filter(event_signup::Column::Status.eq(SignupStatus::Waitlisted))
        .order_by_asc(event_signup::Column::QueuedAt)
        .order_by_asc(event_signup::Column::Id)
        .one(txn)
        .await?
    else {
        return Ok(None);
    };
    let next_id = next.id;
    let volunteer_id = next.volunteer_id;
    let mut active: event_signup::ActiveModel = next.into();
    active.status = Set(SignupStatus::Confirmed);
    active.updated_at = Set(now);
    active.update(txn).await?;
    if let Some(v) = volunteer::Entity::find_by_id(volunteer_id).one(txn).await?
        && let Some(c) = mail_contact(txn, &v).await?
    {
        let organizer = organizer_name(txn, row.organization_id).await?;
        let notification = Notification::ResidentEventPromoted(EventSignupNotice {
            event: super::facts(txn, row, &organizer, v.id).await?,
            role: role.name.clone(),
            waitlisted: false,
            position: 0,
        });
        let key = format!("event-signup:{next_id}:promoted:{}", now.timestamp_millis());
        enqueue(txn, to_volunteer(&c, &notification, key), now).await?;
    }
    audit::record(
        txn,
        now,
        Entry::ok(Actor::System, "event.promote")
            .subject("event_signup", next_id)
            .organization(Some(row.organization_id)),
    )
    .await?;
    Ok(Some(next_id))
}

/// What the cancel link of `volunteer_id`'s sign-up to `event_id` leads to.
pub async fn cancel_preview(
    db: &DatabaseConnection,
    secret: &Secret,
    event_id: i64,
    volunteer_id: i64,
    signature: &str,
    now: DateTime<Utc>,
) -> Result<LinkPreview, LinkRefusal> {
    if !links::matches(&links::cancel_signature(secret, event_id, volunteer_id), signature) {
        return Err(LinkRefusal::Forged);
    }
    let Ok(Some((row, _, _))) = link_parts(db, event_id, volunteer_id, None).await else {
        return Err(LinkRefusal::Forged);
    };
    let signup = event_signup::Entity::find()
        .filter(event_signup::Column::EventId.eq(event_id))
        .filter(event_signup::Column::VolunteerId.eq(volunteer_id))
        .one(db)
        .await
        .map_err(|_| LinkRefusal::Forged)?;
    let role = match &signup {
        Some(s) => event_role::Entity::find_by_id(s.role_id)
            .one(db)
            .await
            .map_err(|_| LinkRefusal::Forged)?,
        None => None,
    };
    let Some(role) = role else {
        return Err(LinkRefusal::NothingToCancel);
    };
    let mut preview = preview(db, &row, &role, volunteer_id, now)
        .await
        .map_err(|_| LinkRefusal::Forged)?;
    if preview.refusal.is_none() && preview.current.is_none() {
        preview.refusal = Some(LinkRefusal::NothingToCancel);
    }
    Ok(preview)
}

/// Cancels `volunteer_id`'s sign-up to `event_id` from their email link; a freed slot goes to
/// the first on the role's waitlist, who is told by email. Cancelling twice changes nothing.
pub async fn cancel_by_link(
    db: &DatabaseConnection,
    secret: &Secret,
    event_id: i64,
    volunteer_id: i64,
    signature: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    if !links::matches(&links::cancel_signature(secret, event_id, volunteer_id), signature) {
        // No audit row: anyone can post a bad link, and the log is not theirs to fill.
        return Err(ServiceError::Signup(LinkRefusal::Forged));
    }
    let txn = db::begin_write(db).await?;
    let Some((row, _, _)) = link_parts(&txn, event_id, volunteer_id, None).await? else {
        return Err(ServiceError::Signup(LinkRefusal::Forged));
    };
    event::signups_open(row.status, row.starts_at, now).map_err(|e| ServiceError::Signup(LinkRefusal::Closed(e)))?;
    lock_event(&txn, event_id).await?;
    let Some(signup) = event_signup::Entity::find()
        .filter(event_signup::Column::EventId.eq(event_id))
        .filter(event_signup::Column::VolunteerId.eq(volunteer_id))
        .one(&txn)
        .await?
    else {
        return Err(ServiceError::Signup(LinkRefusal::NothingToCancel));
    };
    let changed = event_signup::Entity::update_many()
        .col_expr(
            event_signup::Column::Status,
            Expr::val(SignupStatus::Cancelled.as_str()),
        )
        .col_expr(event_signup::Column::UpdatedAt, Expr::val(now))
        .filter(event_signup::Column::Id.eq(signup.id))
        .filter(event_signup::Column::Status.ne(SignupStatus::Cancelled.as_str()))
        .exec(&txn)
        .await?;
    if changed.rows_affected == 1 {
        if signup.status == SignupStatus::Confirmed {
            promote(&txn, &row, signup.role_id, now).await?;
        }
        audit::record(
            &txn,
            now,
            Entry::ok(Actor::System, "event.signup_cancel")
                .subject("event_signup", signup.id)
                .organization(Some(row.organization_id)),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Queues the day-before reminder of every scheduled event starting within a day, once, to
/// each volunteer holding a slot who has email. Returns how many reminders were queued.
pub async fn remind_tomorrow(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<u64, ServiceError> {
    let due = event_row::Entity::find()
        .filter(event_row::Column::Status.eq(EventStatus::Scheduled))
        .filter(event_row::Column::RemindedAt.is_null())
        .filter(event_row::Column::StartsAt.gt(now))
        .filter(event_row::Column::StartsAt.lte(now + chrono::Duration::hours(24)))
        .all(db)
        .await?;
    let mut queued = 0;
    for row in due {
        let txn = db::begin_write(db).await?;
        // Whoever marks the event reminded sends its reminders; a second process skips it.
        let marked = event_row::Entity::update_many()
            .col_expr(event_row::Column::RemindedAt, Expr::val(now))
            .filter(event_row::Column::Id.eq(row.id))
            .filter(event_row::Column::RemindedAt.is_null())
            .exec(&txn)
            .await?;
        if marked.rows_affected == 1 {
            queued += notify_signed_up(&txn, &row, now, Notification::ResidentEventReminder, "reminder").await?;
        }
        txn.commit().await?;
    }
    Ok(queued)
}

/// Tells every volunteer holding a slot (or waiting, for a cancellation) of `row` by email.
pub(super) async fn notify_signed_up<C: ConnectionTrait>(
    txn: &C,
    row: &event_row::Model,
    now: DateTime<Utc>,
    make: impl Fn(EventSignupNotice) -> Notification,
    tag: &str,
) -> Result<u64, ServiceError> {
    let statuses: &[SignupStatus] = if tag == "cancelled" {
        &[SignupStatus::Confirmed, SignupStatus::Waitlisted]
    } else {
        &[SignupStatus::Confirmed]
    };
    let signups = event_signup::Entity::find()
        .filter(event_signup::Column::EventId.eq(row.id))
        .filter(event_signup::Column::Status.is_in(statuses.iter().map(|s| s.as_str())))
        .all(txn)
        .await?;
    let organizer = organizer_name(txn, row.organization_id).await?;
    let mut queued = 0;
    for s in signups {
        let Some(v) = volunteer::Entity::find_by_id(s.volunteer_id).one(txn).await? else {
            continue;
        };
        let Some(c) = mail_contact(txn, &v).await? else {
            continue;
        };
        let role = event_role::Entity::find_by_id(s.role_id)
            .one(txn)
            .await?
            .map(|r| r.name)
            .unwrap_or_default();
        let notification = make(EventSignupNotice {
            event: super::facts(txn, row, &organizer, v.id).await?,
            role,
            waitlisted: s.status == SignupStatus::Waitlisted,
            position: 0,
        });
        if enqueue(
            txn,
            to_volunteer(&c, &notification, format!("event:{}:{tag}:{}", row.id, v.id)),
            now,
        )
        .await?
        {
            queued += 1;
        }
    }
    Ok(queued)
}

/// Cancels a scheduled event of the caller's organization (asked first on the page) and tells
/// everyone signed up.
pub async fn cancel_event(
    db: &DatabaseConnection,
    caller: &Caller,
    event_id: i64,
    now: DateTime<Utc>,
) -> Result<u64, ServiceError> {
    let row = super::readable(db, caller, event_id, "event.cancel", now).await?;
    if caller.organization_id() != Some(row.organization_id) && !caller.is_office() {
        audit::record(
            db,
            now,
            Entry::denied(caller.actor(), "event.cancel").subject("event", event_id),
        )
        .await?;
        return Err(ServiceError::Forbidden);
    }
    let txn = db::begin_write(db).await?;
    let changed = event_row::Entity::update_many()
        .col_expr(event_row::Column::Status, Expr::val(EventStatus::Cancelled.as_str()))
        .col_expr(event_row::Column::UpdatedAt, Expr::val(now))
        .filter(event_row::Column::Id.eq(event_id))
        .filter(event_row::Column::Status.eq(EventStatus::Scheduled.as_str()))
        .filter(event_row::Column::StartsAt.gt(now))
        .exec(&txn)
        .await?;
    if changed.rows_affected != 1 {
        return Err(ServiceError::Conflict(
            "only an event that has not begun can be cancelled".into(),
        ));
    }
    let told = notify_signed_up(&txn, &row, now, Notification::ResidentEventCancelled, "cancelled").await?;
    crate::entities::event_need::Entity::delete_many()
        .filter(crate::entities::event_need::Column::EventId.eq(event_id))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        now,
        Entry::ok(caller.actor(), "event.cancel")
            .subject("event", event_id)
            .organization(Some(row.organization_id))
            .detail(serde_json::json!({ "told": told })),
    )
    .await?;
    txn.commit().await?;
    Ok(told)
}
