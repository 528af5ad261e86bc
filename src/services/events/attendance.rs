//! At the event and after: the organizer checks people in on a phone, then turns attendance
//! into volunteer hours, recorded and confirmed by the organizing organization in one step
//! (谁记录谁证明 — only the organization that ran the event records and certifies it).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};

use crate::db;
use crate::domain::Channel;
use crate::domain::event::{self, EventStatus, SignupStatus};
use crate::domain::input::FieldError;
use crate::entities::{contact, event as event_row, event_signup, volunteer, volunteer_hour};
use crate::services::ServiceError;
use crate::services::access::Caller;
use crate::services::audit::{self, Entry};
use crate::services::outbox::HoursConfirmed;
use crate::services::outbox::{Message, Notification, enqueue};

/// Checks sign-up `signup_id` of event `event_id` in (or, `undo`, out again) from two hours
/// before the start until the hours are recorded. Someone on the waitlist who came anyway
/// is checked in too.
pub async fn check_in(
    db: &DatabaseConnection,
    caller: &Caller,
    event_id: i64,
    signup_id: i64,
    undo: bool,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    super::run_by_caller(db, caller, event_id, "event.check_in", now).await?;
    let txn = db::begin_write(db).await?;
    // Read under the event's lock, which recording the hours also takes: a check-in either
    // lands before the recording (and counts) or finds it recorded (and is refused).
    let row = super::lock_event(&txn, event_id).await?;
    if row.status != EventStatus::Scheduled {
        return Err(ServiceError::Conflict(
            "check-in is closed: the event was cancelled or its hours are recorded".into(),
        ));
    }
    if now < event::check_in_opens(row.starts_at) {
        return Err(ServiceError::Conflict(
            "check-in opens two hours before the start".into(),
        ));
    }
    let Some(signup) = event_signup::Entity::find_by_id(signup_id)
        .one(&txn)
        .await?
        .filter(|s| s.event_id == event_id && s.status != SignupStatus::Cancelled)
    else {
        return Err(ServiceError::NotFound("sign-up"));
    };
    let mut active: event_signup::ActiveModel = signup.into();
    active.checked_in_at = Set((!undo).then_some(now));
    active.checked_in_by = Set((!undo).then(|| caller.staff_id()).flatten());
    active.updated_at = Set(now);
    active.update(&txn).await?;
    audit::record(
        &txn,
        now,
        Entry::ok(caller.actor(), if undo { "event.check_out" } else { "event.check_in" })
            .subject("event_signup", signup_id)
            .organization(Some(row.organization_id)),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// What recording an event's hours came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HoursOutcome {
    /// Recorded: how many people got hours.
    Recorded(u64),
    /// Nothing recorded: what is wrong with the hours typed for each sign-up named.
    Invalid(Vec<(i64, FieldError)>),
}

/// Records the attendance of event `event_id` as confirmed volunteer hours, once, after it
/// ended: each person checked in gets a confirmed hours row of the hours typed for their
/// sign-up in `typed` (as typed: "2", "2,5", "２.５"; 0.1 to 24 and no more than the event
/// lasted), or the event's length when none was typed; the event is marked, and each
/// volunteer with email hears of their hours. When any typed hours are wrong, nothing is
/// recorded and each wrong one is named by its sign-up.
pub async fn record_hours(
    db: &DatabaseConnection,
    caller: &Caller,
    event_id: i64,
    typed: &[(i64, String)],
    now: DateTime<Utc>,
) -> Result<HoursOutcome, ServiceError> {
    let Some(staff_id) = caller.staff_id() else {
        return Err(ServiceError::Forbidden);
    };
    let row = super::run_by_caller(db, caller, event_id, "event.record_hours", now).await?;
    let cap = event::hours_cap(row.starts_at, row.ends_at);
    let mut overrides = Vec::with_capacity(typed.len());
    let mut wrong = Vec::new();
    for (signup_id, raw) in typed {
        match event::attendance_tenths(raw, cap) {
            Ok(tenths) => overrides.push((*signup_id, tenths)),
            Err(e) => wrong.push((*signup_id, e)),
        }
    }
    if !wrong.is_empty() {
        return Ok(HoursOutcome::Invalid(wrong));
    }
    let txn = db::begin_write(db).await?;
    if now < row.ends_at {
        return Err(ServiceError::Conflict(
            "hours are recorded after the event has ended".into(),
        ));
    }
    // One recording, however many taps: the first marks the event, the others find it marked.
    let marked = event_row::Entity::update_many()
        .col_expr(
            event_row::Column::Status,
            Expr::val(EventStatus::HoursRecorded.as_str()),
        )
        .col_expr(event_row::Column::HoursRecordedAt, Expr::val(now))
        .col_expr(event_row::Column::HoursRecordedBy, Expr::val(staff_id))
        .col_expr(event_row::Column::UpdatedAt, Expr::val(now))
        .filter(event_row::Column::Id.eq(event_id))
        .filter(event_row::Column::Status.eq(EventStatus::Scheduled.as_str()))
        .exec(&txn)
        .await?;
    if marked.rows_affected != 1 {
        return Err(ServiceError::Conflict(
            "the hours of this event are recorded already".into(),
        ));
    }
    let attended = event_signup::Entity::find()
        .filter(event_signup::Column::EventId.eq(event_id))
        .filter(event_signup::Column::CheckedInAt.is_not_null())
        .filter(event_signup::Column::Status.ne(SignupStatus::Cancelled.as_str()))
        .all(&txn)
        .await?;
    let default = event::default_tenths(row.starts_at, row.ends_at);
    let served_on = crate::domain::time::local_date(row.starts_at);
    // The title only: the kind is named in each reader's language where it is shown.
    let activity = row.title.clone();
    let mut recorded = 0;
    for s in &attended {
        let tenths = overrides
            .iter()
            .find(|(id, _)| *id == s.id)
            .map_or(default, |(_, t)| *t);
        let hours = volunteer_hour::ActiveModel {
            volunteer_id: Set(s.volunteer_id),
            need_id: Set(None),
            activity: Set(activity.chars().take(200).collect()),
            tenths: Set(tenths),
            served_on: Set(served_on),
            status: Set("confirmed".to_owned()),
            logged_by: Set(staff_id),
            confirmed_by: Set(Some(staff_id)),
            confirmed_at: Set(Some(now)),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        event_signup::Entity::update_many()
            .col_expr(event_signup::Column::VolunteerHourId, Expr::val(hours.id))
            .filter(event_signup::Column::Id.eq(s.id))
            .exec(&txn)
            .await?;
        recorded += 1;
        let told = Told {
            volunteer_id: s.volunteer_id,
            hours_id: hours.id,
            kind: row.kind,
            activity: &activity,
            tenths,
            served_on,
        };
        tell_volunteer(&txn, &told, now).await?;
    }
    audit::record(
        &txn,
        now,
        Entry::ok(caller.actor(), "event.record_hours")
            .subject("event", event_id)
            .organization(Some(row.organization_id))
            .detail(serde_json::json!({ "people": recorded })),
    )
    .await?;
    txn.commit().await?;
    Ok(HoursOutcome::Recorded(recorded))
}

/// The hours one volunteer is told of.
struct Told<'a> {
    volunteer_id: i64,
    hours_id: i64,
    kind: event::EventKind,
    activity: &'a str,
    tenths: i32,
    served_on: chrono::NaiveDate,
}

async fn tell_volunteer<C: sea_orm::ConnectionTrait>(
    txn: &C,
    told: &Told<'_>,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let Told {
        volunteer_id,
        hours_id,
        kind,
        activity,
        tenths,
        served_on,
    } = *told;
    let Some(v) = volunteer::Entity::find_by_id(volunteer_id).one(txn).await? else {
        return Ok(());
    };
    let Some(c) = (match v.contact_id {
        Some(id) => contact::Entity::find_by_id(id).one(txn).await?,
        None => None,
    })
    .filter(|c| c.consent_status != "unsubscribed" && c.undeliverable_at.is_none()) else {
        return Ok(());
    };
    let balance: i64 = volunteer_hour::Entity::find()
        .filter(volunteer_hour::Column::VolunteerId.eq(volunteer_id))
        .filter(volunteer_hour::Column::Status.eq("confirmed"))
        .all(txn)
        .await?
        .iter()
        .map(|h| i64::from(h.tenths))
        .sum();
    let notification = Notification::ResidentHoursConfirmed(HoursConfirmed {
        activity: activity.to_owned(),
        event_kind: Some(kind.as_str().to_owned()),
        tenths: i64::from(tenths),
        served_on: served_on.to_string(),
        balance_tenths: balance,
        volunteer_id: Some(volunteer_id),
        certificate_url: None,
    });
    let message = Message {
        contact_id: Some(c.id),
        ..Message::new(
            Channel::Email,
            c.email.clone(),
            c.locale.0,
            &notification,
            format!("hours:{hours_id}:confirmed"),
        )
    };
    enqueue(txn, message, now).await?;
    Ok(())
}
