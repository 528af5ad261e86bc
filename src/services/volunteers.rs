//! Volunteers and their hours: logged by a social worker, confirmed, and counted — including
//! the hours given by people who were once helped (受助者助人).

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set};

use super::ServiceError;
use super::access::{Caller, OrgScope};
use super::audit::{self, Entry};
use crate::db;
use crate::domain::input::{self, FieldError, FieldErrors};
use crate::entities::{beneficiary, volunteer, volunteer_hour};

/// A volunteer with their confirmed balance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolunteerRow {
    /// Id.
    pub id: i64,
    /// The name they go by.
    pub display_name: String,
    /// The beneficiary code they once had, if they were helped before.
    pub former_beneficiary_code: Option<String>,
    /// Confirmed hours, in tenths.
    pub confirmed_tenths: i64,
    /// Logged hours awaiting confirmation, in tenths.
    pub pending_tenths: i64,
}

/// Hours waiting for confirmation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingHours {
    /// The hours row.
    pub id: i64,
    /// Who.
    pub volunteer_name: String,
    /// What they did.
    pub activity: String,
    /// When.
    pub served_on: NaiveDate,
    /// How long, in tenths of an hour.
    pub tenths: i32,
}

/// The volunteers of the caller's organization (all for the office) and hours to confirm.
pub async fn overview(
    db: &DatabaseConnection,
    caller: &Caller,
) -> Result<(Vec<VolunteerRow>, Vec<PendingHours>), ServiceError> {
    let mut query = volunteer::Entity::find().order_by_asc(volunteer::Column::DisplayName);
    match caller.org_scope() {
        OrgScope::NoneOf => return Err(ServiceError::Forbidden),
        scope => query = query.filter(scope.condition(volunteer::Column::OrganizationId)),
    }
    let volunteers = query.all(db).await?;
    let ids: Vec<i64> = volunteers.iter().map(|v| v.id).collect();
    let hours = volunteer_hour::Entity::find()
        .filter(volunteer_hour::Column::VolunteerId.is_in(ids))
        .all(db)
        .await?;
    let mut rows = Vec::new();
    let mut pending = Vec::new();
    for v in &volunteers {
        let mine = hours.iter().filter(|h| h.volunteer_id == v.id);
        let sum = |status: &str| {
            mine.clone()
                .filter(|h| h.status == status)
                .map(|h| i64::from(h.tenths))
                .sum()
        };
        let code = match v.former_beneficiary_id {
            Some(id) => beneficiary::Entity::find_by_id(id).one(db).await?.map(|b| b.code),
            None => None,
        };
        rows.push(VolunteerRow {
            id: v.id,
            display_name: v.display_name.clone(),
            former_beneficiary_code: code,
            confirmed_tenths: sum("confirmed"),
            pending_tenths: sum("logged"),
        });
        pending.extend(
            hours
                .iter()
                .filter(|h| h.volunteer_id == v.id && h.status == "logged")
                .map(|h| PendingHours {
                    id: h.id,
                    volunteer_name: v.display_name.clone(),
                    activity: h.activity.clone(),
                    served_on: h.served_on,
                    tenths: h.tenths,
                }),
        );
    }
    Ok((rows, pending))
}

/// A new volunteer as the form gives it.
#[derive(Debug, Clone, Copy, Default)]
pub struct NewVolunteer<'a> {
    /// The name they go by.
    pub display_name: &'a str,
    /// The beneficiary code they once had, if they were helped before.
    pub former_code: &'a str,
    /// An address for event invitations and hours, or empty.
    pub email: &'a str,
    /// They agreed to be emailed (an address needs it; a confirmation mail follows).
    pub consent: bool,
    /// The language of their emails.
    pub locale: crate::domain::Locale,
}

/// Adds a volunteer to the caller's organization, optionally linked to the beneficiary
/// record (by code) they came from, and with an email address they agreed to (double
/// opt-in: the address gets the confirmation mail first).
pub async fn add_volunteer(
    db: &DatabaseConnection,
    secret: &crate::config::Secret,
    caller: &Caller,
    new: &NewVolunteer<'_>,
    now: DateTime<Utc>,
) -> Result<i64, ServiceError> {
    let Some(organization_id) = caller.organization_id() else {
        return Err(ServiceError::Forbidden);
    };
    let (display_name, former_code) = (new.display_name, new.former_code);
    let mut errors = FieldErrors::default();
    let name = errors.check("display_name", input::text(display_name, 1, 50));
    let email = match new.email.trim() {
        "" => None,
        raw => match super::staff::normalize_email(raw) {
            Ok(e) if new.consent => Some(e),
            Ok(_) => {
                errors.push("consent", FieldError::ConsentNeeded);
                None
            }
            Err(_) => {
                errors.push("email", FieldError::NotAnEmail);
                None
            }
        },
    };
    let txn = db::begin_write(db).await?;
    let former = match former_code.trim() {
        "" => None,
        code => {
            let found = beneficiary::Entity::find()
                .filter(beneficiary::Column::Code.eq(code.to_uppercase()))
                .filter(beneficiary::Column::OrganizationId.eq(organization_id))
                .one(&txn)
                .await?;
            if found.is_none() {
                errors.push("former_code", FieldError::UnknownCode);
            }
            found.map(|b| b.id)
        }
    };
    let Some(name) = name.filter(|_| errors.is_empty()) else {
        return Err(ServiceError::Validation(errors));
    };
    let contact_id = match email {
        Some(email) => {
            let taken = crate::entities::contact::Entity::find()
                .filter(crate::entities::contact::Column::OrganizationId.eq(organization_id))
                .filter(crate::entities::contact::Column::Email.eq(email.as_str()))
                .one(&txn)
                .await?
                .is_some();
            if taken {
                let mut errors = FieldErrors::default();
                errors.push("email", FieldError::EmailInUse);
                return Err(ServiceError::Validation(errors));
            }
            Some(super::contacts::find_or_create(&txn, secret, organization_id, &email, new.locale, now).await?)
        }
        None => None,
    };
    let row = volunteer::ActiveModel {
        organization_id: Set(organization_id),
        display_name: Set(name),
        contact_id: Set(contact_id),
        former_beneficiary_id: Set(former),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        now,
        Entry::ok(caller.actor(), "volunteer.add")
            .subject("volunteer", row.id)
            .organization(Some(organization_id)),
    )
    .await?;
    txn.commit().await?;
    Ok(row.id)
}

/// Logs hours for a volunteer of the caller's organization; they await confirmation.
pub async fn log_hours(
    db: &DatabaseConnection,
    caller: &Caller,
    volunteer_id: i64,
    activity: &str,
    hours: &str,
    served_on: &str,
    now: DateTime<Utc>,
) -> Result<i64, ServiceError> {
    let Some(staff_id) = caller.staff_id() else {
        return Err(ServiceError::Forbidden);
    };
    let (activity, tenths, served_on) =
        check_hours(activity, hours, served_on, now).map_err(ServiceError::Validation)?;
    let txn = db::begin_write(db).await?;
    let found = volunteer::Entity::find_by_id(volunteer_id).one(&txn).await?;
    let reaches = match &found {
        Some(v) => caller.org_scope().permits(&txn, v.organization_id).await?,
        None => false,
    };
    let Some(v) = found.filter(|_| reaches) else {
        audit::record(
            &txn,
            now,
            Entry::denied(caller.actor(), "hours.log").subject("volunteer", volunteer_id),
        )
        .await?;
        txn.commit().await?;
        return Err(ServiceError::NotFound("volunteer"));
    };
    let row = volunteer_hour::ActiveModel {
        volunteer_id: Set(v.id),
        need_id: Set(None),
        activity: Set(activity),
        tenths: Set(tenths),
        served_on: Set(served_on),
        status: Set("logged".into()),
        logged_by: Set(staff_id),
        confirmed_by: Set(None),
        confirmed_at: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        now,
        Entry::ok(caller.actor(), "hours.log")
            .subject("volunteer_hours", row.id)
            .organization(Some(v.organization_id)),
    )
    .await?;
    txn.commit().await?;
    Ok(row.id)
}

/// Confirms logged hours of a volunteer of the caller's organization.
pub async fn confirm_hours(
    db: &DatabaseConnection,
    caller: &Caller,
    hours_id: i64,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let Some(staff_id) = caller.staff_id() else {
        return Err(ServiceError::Forbidden);
    };
    let txn = db::begin_write(db).await?;
    let row = volunteer_hour::Entity::find_by_id(hours_id).one(&txn).await?;
    let owner = match &row {
        Some(h) => volunteer::Entity::find_by_id(h.volunteer_id).one(&txn).await?,
        None => None,
    };
    let reaches = match &owner {
        Some(v) => caller.org_scope().permits(&txn, v.organization_id).await?,
        None => false,
    };
    let Some(v) = owner.filter(|_| reaches) else {
        audit::record(
            &txn,
            now,
            Entry::denied(caller.actor(), "hours.confirm").subject("volunteer_hours", hours_id),
        )
        .await?;
        txn.commit().await?;
        return Err(ServiceError::NotFound("hours"));
    };
    let changed = volunteer_hour::Entity::update_many()
        .col_expr(volunteer_hour::Column::Status, Expr::val("confirmed"))
        .col_expr(volunteer_hour::Column::ConfirmedBy, Expr::val(staff_id))
        .col_expr(volunteer_hour::Column::ConfirmedAt, Expr::val(now))
        .filter(volunteer_hour::Column::Id.eq(hours_id))
        .filter(volunteer_hour::Column::Status.eq("logged"))
        .exec(&txn)
        .await?;
    if changed.rows_affected != 1 {
        return Err(ServiceError::Conflict("these hours are confirmed already".into()));
    }
    audit::record(
        &txn,
        now,
        Entry::ok(caller.actor(), "hours.confirm")
            .subject("volunteer_hours", hours_id)
            .organization(Some(v.organization_id)),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The hours form checked: its public activity text, the hours in tenths and the day they were given.
pub fn check_hours(
    activity: &str,
    hours: &str,
    served_on: &str,
    now: DateTime<Utc>,
) -> Result<(String, i32, NaiveDate), FieldErrors> {
    let mut errors = FieldErrors::default();
    let activity = errors.check("activity", input::public_text(activity, 2, 200));
    let tenths = errors.check("hours", input::hours_tenths(hours));
    let served_on = errors.check("served_on", parse_past_date(served_on, now));
    match (activity, tenths, served_on) {
        (Some(activity), Some(tenths), Some(served_on)) => Ok((activity, tenths, served_on)),
        _ => Err(errors),
    }
}

fn parse_past_date(raw: &str, now: DateTime<Utc>) -> Result<NaiveDate, FieldError> {
    if raw.trim().is_empty() {
        return Ok(crate::domain::time::local_date(now));
    }
    let date = input::date(raw)?;
    if date > crate::domain::time::local_date(now) {
        Err(FieldError::DateInFuture)
    } else {
        Ok(date)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_day_served_is_read_only_as_yyyy_mm_dd() {
        // The fuzzer found "9-12-3" logged as hours given on 3 December of the year 9.
        let now = DateTime::parse_from_rfc3339("2026-12-01T02:00:00Z")
            .expect("time")
            .to_utc();
        for typed in ["9-12-3", "2026-11-5", "+2026-11-05", "-0001-01-01"] {
            assert_eq!(parse_past_date(typed, now), Err(FieldError::NotADate), "{typed}");
        }
        assert_eq!(
            parse_past_date("2026-11-05", now).map(|d| d.to_string()).as_deref(),
            Ok("2026-11-05")
        );
        assert_eq!(
            parse_past_date("", now).map(|d| d.to_string()).as_deref(),
            Ok("2026-12-01")
        );
    }
}
