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
    /// They are checked in at the event already: cancelling would lose their hours.
    #[error("checked in already")]
    CheckedIn,
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
            LinkRefusal::CheckedIn => {
                if zh {
                    "您已在活动现场签到，不能再取消报名。如需离开，请告诉现场的组织者。"
                } else {
                    "You are checked in at the event, so the sign-up can no longer be cancelled. If you need to leave, tell the organizer on site."
                }
            }
        }
    }
}

/// The role a volunteer's sign-up holds now, as their link's page names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrentRole {
    /// The role's id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Place on its waitlist (1 is next), when waitlisted.
    pub position: Option<i64>,
}

/// What a sign-up or cancel link's page shows before the volunteer confirms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkPreview {
    /// The event's title.
    pub title: String,
    /// When, local time.
    pub when: String,
    /// The public place, in both languages.
    pub place: super::PlaceText,
    /// The organization that runs it.
    pub organizer: String,
    /// The role of the link (sign-up) or of the sign-up (cancel).
    pub role: String,
    /// That role's id.
    pub role_id: i64,
    /// Slots still free in that role.
    pub free: i64,
    /// Where the volunteer's sign-up stands now, if they have one.
    pub current: Option<SignupStatus>,
    /// The role that sign-up holds (it may be another than the link's).
    pub current_role: Option<CurrentRole>,
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
    let row = super::run_by_caller(db, caller, event_id, "event.invite", now).await?;
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
        if enqueue(&txn, to_volunteer(&c, &notification, invite_key(event_id, v.id)), now).await? {
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

/// Who an invitation of an event would reach now, for the page that asks before sending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct InviteReach {
    /// Volunteers with an address that takes mail, not invited to this event yet: they get mail.
    pub new: u64,
    /// Volunteers invited before: no second mail.
    pub already: u64,
    /// Volunteers who have not confirmed their address yet: the mail waits until they do.
    pub waiting_consent: u64,
    /// Volunteers without an address, or who did not agree to mail (or unsubscribed, or whose
    /// address bounced): they cannot be invited.
    pub unreachable: u64,
}

/// How many of the organizer's volunteers an invitation of `event_id` reaches now, and how
/// many it cannot. Only the organizer's own staff ask.
pub async fn invite_reach(
    db: &DatabaseConnection,
    caller: &Caller,
    event_id: i64,
    now: DateTime<Utc>,
) -> Result<InviteReach, ServiceError> {
    let row = super::run_by_caller(db, caller, event_id, "event.invite", now).await?;
    let volunteers = volunteer::Entity::find()
        .filter(volunteer::Column::OrganizationId.eq(row.organization_id))
        .all(db)
        .await?;
    // The invitations already queued, by their dedupe key (as `invite` makes it).
    let prefix = format!("event:{event_id}:invite:");
    let invited: std::collections::HashSet<String> = crate::entities::outbox::Entity::find()
        .filter(crate::entities::outbox::Column::DedupeKey.starts_with(prefix.as_str()))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.dedupe_key)
        .collect();
    let mut reach = InviteReach::default();
    for v in &volunteers {
        if invited.contains(&invite_key(event_id, v.id)) {
            reach.already += 1;
        } else {
            match mail_contact(db, v).await? {
                Some(c) if c.consent_status == "pending" => reach.waiting_consent += 1,
                Some(_) => reach.new += 1,
                None => reach.unreachable += 1,
            }
        }
    }
    Ok(reach)
}

fn invite_key(event_id: i64, volunteer_id: i64) -> String {
    format!("event:{event_id}:invite:{volunteer_id}")
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
    let current = current.filter(|s| s.status != SignupStatus::Cancelled);
    let current_role = match &current {
        Some(s) => Some(CurrentRole {
            id: s.role_id,
            name: roles
                .iter()
                .find(|r| r.id == s.role_id)
                .map(|r| r.name.clone())
                .unwrap_or_default(),
            position: match s.status {
                SignupStatus::Waitlisted => Some(position_of(db, s).await?),
                _ => None,
            },
        }),
        None => None,
    };
    let locale = match volunteer::Entity::find_by_id(volunteer_id).one(db).await? {
        Some(v) => mail_contact(db, &v).await?.map(|c| c.locale.0),
        None => None,
    };
    Ok(LinkPreview {
        locale,
        title: row.title.clone(),
        when: super::when(row.starts_at, row.ends_at),
        place: super::place_text(db, row).await?,
        organizer: organizer_name(db, row.organization_id).await?,
        role: role.name.clone(),
        role_id: role.id,
        free: roles.iter().find(|r| r.id == role.id).map_or(0, super::RoleView::free),
        current: current.map(|s| s.status),
        current_role,
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
/// volunteer record of that name for the shop is found (the name tidied and case-folded, so
/// one person keeps one record and one hours total) or made (the shop's staff serve with the
/// organization that runs the event, which records their hours). A shop signs up no more
/// staff for a role than it has places, and at most [`event::MAX_STAFF_A_SHOP`] for the
/// event. `key` (the bot's update) makes a retry answer with the first placement, never a
/// second one.
pub async fn sign_up_staff(
    db: &DatabaseConnection,
    merchant_id: i64,
    event_id: i64,
    role_id: i64,
    name: &str,
    key: Option<&str>,
    now: DateTime<Utc>,
) -> Result<SignupOutcome, ServiceError> {
    let name = input::text(&event::staff_name(name), 1, 50).map_err(|e| {
        ServiceError::Validation({
            let mut errors = input::FieldErrors::default();
            errors.push("name", e);
            errors
        })
    })?;
    let name_key = event::staff_name_key(&name);
    let scope = format!("event-staff:merchant:{merchant_id}");
    let request_digest = crate::crypto::sha256_hex(&format!("{event_id}|{role_id}|{name_key}"));
    let txn = db::begin_write(db).await?;
    // One shop's sign-ups take turns: finding or making its staff member's record, and its
    // count against the cap, are not raced by its own second tap.
    db::lock_merchant(&txn, merchant_id).await?;
    if let Some(k) = key
        && let Some(done) = replay_staff(&txn, &scope, k, &request_digest).await?
    {
        txn.commit().await?;
        return done;
    }
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
    let staff = volunteer::Entity::find()
        .filter(volunteer::Column::OrganizationId.eq(row.organization_id))
        .filter(volunteer::Column::MerchantId.eq(merchant_id))
        .order_by_asc(volunteer::Column::Id)
        .all(&txn)
        .await?;
    let existing = staff
        .iter()
        .find(|v| event::staff_name_key(&v.display_name) == name_key)
        .cloned();
    // The cap is counted under the event's lock (which `place` takes again), so two shops'
    // staff and a volunteer's cancel see one count.
    let locked = super::lock_event(&txn, event_id).await?;
    event::signups_open(locked.status, locked.starts_at, now)
        .map_err(|e| ServiceError::Signup(LinkRefusal::Closed(e)))?;
    let held: Vec<event_signup::Model> = event_signup::Entity::find()
        .filter(event_signup::Column::EventId.eq(event_id))
        .filter(event_signup::Column::Status.ne(SignupStatus::Cancelled.as_str()))
        .filter(event_signup::Column::VolunteerId.is_in(staff.iter().map(|v| v.id)))
        .all(&txn)
        .await?;
    let own = existing
        .as_ref()
        .and_then(|v| held.iter().find(|s| s.volunteer_id == v.id));
    // Already in this role: placing again changes nothing, so the cap does not apply.
    if own.is_none_or(|s| s.role_id != role_id) {
        let others = held
            .iter()
            .filter(|s| Some(s.volunteer_id) != existing.as_ref().map(|v| v.id));
        let in_role = others.clone().filter(|s| s.role_id == role_id).count() as u64;
        let in_event = others.count() as u64;
        event::staff_cap(role.slots, in_role, in_event).map_err(ServiceError::StaffCap)?;
    }
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
    if let Some(k) = key {
        let body = match outcome {
            SignupOutcome::Confirmed => serde_json::json!({ "confirmed": true }),
            SignupOutcome::Waitlisted { position } => serde_json::json!({ "position": position }),
        };
        crate::entities::idempotency_record::ActiveModel {
            scope: Set(scope),
            idem_key: Set(k.to_owned()),
            request_digest: Set(request_digest),
            status_code: Set(200),
            response_body: Set(body.to_string()),
            created_at: Set(now),
        }
        .insert(&txn)
        .await?;
    }
    txn.commit().await?;
    Ok(outcome)
}

/// The first answer to the shop's sign-up under `key`, if one was given: the same placement,
/// or a refusal when the key came with another request.
async fn replay_staff<C: ConnectionTrait>(
    conn: &C,
    scope: &str,
    key: &str,
    request_digest: &str,
) -> Result<Option<Result<SignupOutcome, ServiceError>>, ServiceError> {
    let Some(first) = crate::entities::idempotency_record::Entity::find_by_id((scope.to_owned(), key.to_owned()))
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    if first.request_digest != request_digest {
        return Ok(Some(Err(ServiceError::IdempotencyKeyReused)));
    }
    let body: serde_json::Value = serde_json::from_str(&first.response_body).unwrap_or_default();
    Ok(Some(Ok(
        match body.get("position").and_then(serde_json::Value::as_i64) {
            Some(position) => SignupOutcome::Waitlisted { position },
            None => SignupOutcome::Confirmed,
        },
    )))
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
    let row = super::run_by_caller(db, caller, event_id, "event.signup", now).await?;
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
    // The status is read under the lock: hours recorded or the event cancelled a moment ago
    // close the list, whatever the caller read before.
    let locked = super::lock_event(txn, row.id).await?;
    event::signups_open(locked.status, locked.starts_at, now)
        .map_err(|e| ServiceError::Signup(LinkRefusal::Closed(e)))?;
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
            reason: None,
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

/// The first on role `role_id`'s waitlist: the one who takes the next free place.
async fn first_waiting<C: ConnectionTrait>(
    conn: &C,
    role_id: i64,
) -> Result<Option<event_signup::Model>, ServiceError> {
    Ok(event_signup::Entity::find()
        .filter(event_signup::Column::RoleId.eq(role_id))
        .filter(event_signup::Column::Status.eq(SignupStatus::Waitlisted))
        .order_by_asc(event_signup::Column::QueuedAt)
        .order_by_asc(event_signup::Column::Id)
        .one(conn)
        .await?)
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
    let Some(next) = first_waiting(txn, role_id).await? else {
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
            reason: None,
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
    let locked = super::lock_event(&txn, event_id).await?;
    event::signups_open(locked.status, locked.starts_at, now)
        .map_err(|e| ServiceError::Signup(LinkRefusal::Closed(e)))?;
    let Some(signup) = event_signup::Entity::find()
        .filter(event_signup::Column::EventId.eq(event_id))
        .filter(event_signup::Column::VolunteerId.eq(volunteer_id))
        .one(&txn)
        .await?
    else {
        return Err(ServiceError::Signup(LinkRefusal::NothingToCancel));
    };
    if signup.checked_in_at.is_some() && signup.status != SignupStatus::Cancelled {
        return Err(ServiceError::Signup(LinkRefusal::CheckedIn));
    }
    // The volunteer cancelled it themselves: no mail tells them what they just did.
    cancel_signup(&txn, &row, &signup, Actor::System, false, now).await?;
    txn.commit().await?;
    Ok(())
}

/// Cancels `signup` (under the event's lock, taken by the caller) unless it is cancelled
/// already: a freed slot goes to the first on the role's waitlist, who is told; with
/// `tell`, the volunteer hears that their sign-up was cancelled for them. One audit row.
async fn cancel_signup<C: ConnectionTrait>(
    txn: &C,
    row: &event_row::Model,
    signup: &event_signup::Model,
    actor: Actor,
    tell: bool,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let changed = event_signup::Entity::update_many()
        .col_expr(
            event_signup::Column::Status,
            Expr::val(SignupStatus::Cancelled.as_str()),
        )
        .col_expr(event_signup::Column::UpdatedAt, Expr::val(now))
        .filter(event_signup::Column::Id.eq(signup.id))
        .filter(event_signup::Column::Status.ne(SignupStatus::Cancelled.as_str()))
        .exec(txn)
        .await?;
    if changed.rows_affected != 1 {
        return Ok(());
    }
    if signup.status == SignupStatus::Confirmed {
        promote(txn, row, signup.role_id, now).await?;
    }
    if tell
        && let Some(v) = volunteer::Entity::find_by_id(signup.volunteer_id).one(txn).await?
        && let Some(c) = mail_contact(txn, &v).await?
    {
        let organizer = organizer_name(txn, row.organization_id).await?;
        let role = event_role::Entity::find_by_id(signup.role_id)
            .one(txn)
            .await?
            .map(|r| r.name)
            .unwrap_or_default();
        let notification = Notification::ResidentEventSignupCancelled(EventSignupNotice {
            event: super::facts(txn, row, &organizer, v.id).await?,
            role,
            waitlisted: signup.status == SignupStatus::Waitlisted,
            position: 0,
            reason: None,
        });
        let key = format!("event-signup:{}:cancelled:{}", signup.id, now.timestamp_millis());
        enqueue(txn, to_volunteer(&c, &notification, key), now).await?;
    }
    audit::record(
        txn,
        now,
        Entry::ok(actor, "event.signup_cancel")
            .subject("event_signup", signup.id)
            .organization(Some(row.organization_id)),
    )
    .await?;
    Ok(())
}

/// A sign-up the organizer is about to cancel, as its confirm page names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignupToCancel {
    /// The event's title.
    pub event: String,
    /// The volunteer's name (with the shop's, for a shop's staff).
    pub volunteer: String,
    /// The shop that signed them up, if one did.
    pub shop: Option<String>,
    /// The role.
    pub role: String,
    /// Confirmed or waitlisted (or cancelled already, when the page was pressed twice).
    pub status: SignupStatus,
    /// True when the volunteer has an address that takes mail: they will be emailed.
    pub emailed: bool,
    /// The first on the role's waitlist, who takes a confirmed sign-up's place.
    pub next_up: Option<String>,
}

/// Sign-up `signup_id` of the event `row` (cancelled ones too: a second press changes
/// nothing), or `NotFound`; a `Conflict` once the event started (someone who did not come is
/// simply not checked in, and no one is promoted to an event under way), was cancelled or
/// its hours recorded.
async fn held_signup<C: ConnectionTrait>(
    conn: &C,
    row: &event_row::Model,
    signup_id: i64,
    now: DateTime<Utc>,
) -> Result<event_signup::Model, ServiceError> {
    if row.status != EventStatus::Scheduled || now >= row.starts_at {
        return Err(ServiceError::Conflict(
            "the event has started, was cancelled or its hours are recorded".into(),
        ));
    }
    let signup = event_signup::Entity::find_by_id(signup_id)
        .one(conn)
        .await?
        .filter(|s| s.event_id == row.id)
        .ok_or(ServiceError::NotFound("sign-up"))?;
    // Check-in opens before the start: someone already on site keeps the place and the hours
    // (the organizer undoes the check-in first, if it was a mistake).
    if signup.checked_in_at.is_some() && signup.status != SignupStatus::Cancelled {
        return Err(ServiceError::Conflict("they are checked in".into()));
    }
    Ok(signup)
}

/// What cancelling sign-up `signup_id` of event `event_id` would do, for the organizer's
/// confirm page: whom it names, whether they are emailed, who moves up.
pub async fn signup_to_cancel(
    db: &DatabaseConnection,
    caller: &Caller,
    event_id: i64,
    signup_id: i64,
    now: DateTime<Utc>,
) -> Result<SignupToCancel, ServiceError> {
    let row = super::run_by_caller(db, caller, event_id, "event.signup_cancel", now).await?;
    let signup = held_signup(db, &row, signup_id, now).await?;
    let v = volunteer::Entity::find_by_id(signup.volunteer_id).one(db).await?;
    let shop = match v.as_ref().and_then(|v| v.merchant_id) {
        Some(id) => merchant::Entity::find_by_id(id).one(db).await?.map(|m| m.name),
        None => None,
    };
    let emailed = match &v {
        Some(v) => mail_contact(db, v).await?.is_some(),
        None => false,
    };
    let role = event_role::Entity::find_by_id(signup.role_id)
        .one(db)
        .await?
        .map(|r| r.name)
        .unwrap_or_default();
    let next_up = if signup.status == SignupStatus::Confirmed {
        match first_waiting(db, signup.role_id).await? {
            Some(s) => volunteer::Entity::find_by_id(s.volunteer_id)
                .one(db)
                .await?
                .map(|v| v.display_name),
            None => None,
        }
    } else {
        None
    };
    Ok(SignupToCancel {
        event: row.title,
        volunteer: v.map(|v| v.display_name).unwrap_or_default(),
        shop,
        role,
        status: signup.status,
        emailed,
        next_up,
    })
}

/// Cancels sign-up `signup_id` of event `event_id` for someone who told the organizer (by
/// phone, say) and has no link at hand: as their own cancel link would, under the event's
/// lock — the first on the waitlist moves up and is told — and the volunteer is emailed
/// that it was done for them. Only the organizer's own staff, before the start of an event
/// neither cancelled nor recorded. Cancelling twice changes nothing.
pub async fn cancel_by_organizer(
    db: &DatabaseConnection,
    caller: &Caller,
    event_id: i64,
    signup_id: i64,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    super::run_by_caller(db, caller, event_id, "event.signup_cancel", now).await?;
    let txn = db::begin_write(db).await?;
    // The status is read under the lock: hours recorded a moment ago close the list.
    let row = super::lock_event(&txn, event_id).await?;
    let signup = held_signup(&txn, &row, signup_id, now).await?;
    cancel_signup(&txn, &row, &signup, caller.actor(), true, now).await?;
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
            reason: None,
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

/// The longest reason an organizer gives for cancelling an event (it goes out in every
/// volunteer's email).
pub const CANCEL_REASON_MAX: usize = 300;

/// Cancels a scheduled event of the caller's organization (asked first on the page) and tells
/// everyone signed up why: `reason` is required, public text (no phone, address, link, nor
/// anything naming a beneficiary of the subdistrict, as the description), and goes in the
/// email and the audit log.
pub async fn cancel_event(
    db: &DatabaseConnection,
    secret: &Secret,
    caller: &Caller,
    event_id: i64,
    reason: &str,
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
    // Checked after the access check, so that a stranger learns nothing from a 422; before
    // the write transaction, as opening sealed details is slow. It reaches volunteers' mail
    // sent from the relay's own address, so no web links either.
    let reason = input::note_to_worker(reason, 1, CANCEL_REASON_MAX).map_err(reason_error)?;
    // A second press, or an event already under way, is refused before the costly scan.
    if row.status != EventStatus::Scheduled || now >= row.starts_at {
        return Err(ServiceError::Conflict(
            "only an event that has not begun can be cancelled".into(),
        ));
    }
    let fields = [("reason", reason.as_str())];
    if let Some((_, found)) = super::first_naming_a_beneficiary(db, secret, row.subdistrict_id, &fields).await? {
        return Err(reason_error(input::FieldError::MentionsBeneficiary(found)));
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
    let told = notify_signed_up(
        &txn,
        &row,
        now,
        |n| {
            Notification::ResidentEventCancelled(EventSignupNotice {
                reason: Some(reason.clone()),
                ..n
            })
        },
        "cancelled",
    )
    .await?;
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
            .detail(serde_json::json!({ "told": told, "reason": reason })),
    )
    .await?;
    txn.commit().await?;
    Ok(told)
}

fn reason_error(e: input::FieldError) -> ServiceError {
    let mut errors = input::FieldErrors::default();
    errors.push("reason", e);
    ServiceError::Validation(errors)
}
