//! Certificates (民政部令第67号): a volunteer's hours, certified by the organization that
//! confirmed them ("谁记录谁证明", free of charge); a caring merchant's year, certified by its
//! subdistrict office; revocation with a reason; the public check of a number, which never
//! names the holder; and a shop's choice to stand on the roll of honour (公益榜).
//!
//! Each certificate keeps what it printed (names, hours, issuer) as it was on the day of
//! issue, so that a copy downloaded later reads the same.

use std::collections::BTreeSet;
use std::net::IpAddr;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rand::RngCore;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};
use subtle::ConstantTimeEq;

use super::ServiceError;
use super::access::Caller;
use super::audit::{self, Actor, Entry};
use super::throttle;
use crate::config::Secret;
use crate::domain::certificate::{self, Badge, CertificateKind};
use crate::domain::input::{self, FieldError, FieldErrors};
use crate::domain::{ClaimStatus, Locale, PartyStatus};
use crate::entities::values::StoredLocale;
use crate::entities::{
    certificate as cert, claim, contact, merchant, organization, staff, subdistrict, volunteer, volunteer_hour,
};
use crate::{crypto, db};

/// Lookups of `/verify/{number}` one address may make in [`VERIFY_WINDOW_MINUTES`].
pub const VERIFY_PER_ADDRESS: i32 = 30;
/// The window of [`VERIFY_PER_ADDRESS`].
pub const VERIFY_WINDOW_MINUTES: i64 = 10;
/// The longest reason for revoking.
pub const REVOKE_REASON_MAX: usize = 300;
/// Distinct activities named on a certificate before "and N more".
const ACTIVITIES_SHOWN: usize = 8;

/// A certificate as its issuer and its holder see it (the PDF's content).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateView {
    /// The public number.
    pub number: String,
    /// Volunteer hours or caring merchant.
    pub kind: CertificateKind,
    /// The holder's name as registered.
    pub holder_name: String,
    /// The volunteer's number, or the shop's credit code; may be empty.
    pub holder_number: String,
    /// The issuing organization or office.
    pub issuer_name: String,
    /// The handler (the issuing staff member).
    pub handler_name: String,
    /// The issuer's contact.
    pub contact: String,
    /// Confirmed hours, in tenths.
    pub tenths: i64,
    /// Confirmed deliveries.
    pub deliveries: i64,
    /// First day covered.
    pub period_start: NaiveDate,
    /// Last day covered.
    pub period_end: NaiveDate,
    /// What the service was.
    pub activities: String,
    /// The language it is drawn in.
    pub locale: Locale,
    /// The day it was issued.
    pub issued_on: NaiveDate,
    /// The day it was revoked, if it was.
    pub revoked_on: Option<NaiveDate>,
    /// Why.
    pub revoke_reason: Option<String>,
    /// The volunteer, for a volunteer certificate.
    pub volunteer_id: Option<i64>,
    /// The merchant, for a caring-merchant certificate.
    pub merchant_id: Option<i64>,
}

/// What the public may read of a certificate: never the holder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicCertificate {
    /// The number.
    pub number: String,
    /// Volunteer hours or caring merchant.
    pub kind: CertificateKind,
    /// The issuing organization or office.
    pub issuer_name: String,
    /// Confirmed hours, in tenths.
    pub tenths: i64,
    /// Confirmed deliveries.
    pub deliveries: i64,
    /// First day covered.
    pub period_start: NaiveDate,
    /// Last day covered.
    pub period_end: NaiveDate,
    /// The day it was issued.
    pub issued_on: NaiveDate,
    /// The day it was revoked, if it was.
    pub revoked_on: Option<NaiveDate>,
}

/// Why a public lookup gave nothing.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// No certificate has this number (or it cannot be one).
    #[error("no certificate has this number")]
    Unknown,
    /// Too many lookups from this address; minutes to wait.
    #[error("too many lookups; try again in {0} minutes")]
    Throttled(i64),
    /// The database failed.
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<sea_orm::DbErr> for VerifyError {
    fn from(e: sea_orm::DbErr) -> Self {
        VerifyError::Service(e.into())
    }
}

/// A volunteer's page: who, their balance, their certificates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolunteerCertificates {
    /// The volunteer.
    pub volunteer_id: i64,
    /// Their name.
    pub name: String,
    /// Their number with the organization.
    pub volunteer_number: String,
    /// Confirmed hours, in tenths.
    pub confirmed_tenths: i64,
    /// The first day they served with confirmed hours, if any (the form's default start).
    pub first_served: Option<NaiveDate>,
    /// Their certificates, newest first.
    pub certificates: Vec<CertificateView>,
}

fn view(row: cert::Model) -> CertificateView {
    CertificateView {
        number: row.number,
        kind: row.kind,
        holder_name: row.holder_name,
        holder_number: row.holder_number,
        issuer_name: row.issuer_name,
        handler_name: row.handler_name,
        contact: row.contact,
        tenths: row.tenths,
        deliveries: row.deliveries,
        period_start: row.period_start,
        period_end: row.period_end,
        activities: row.activities,
        locale: row.locale.into(),
        issued_on: crate::domain::time::local_date(row.issued_at),
        revoked_on: row.revoked_at.map(crate::domain::time::local_date),
        revoke_reason: row.revoke_reason,
        volunteer_id: row.volunteer_id,
        merchant_id: row.merchant_id,
    }
}

/// The volunteer of the caller's own organization, or `None` (the office, another
/// organization and a missing volunteer alike: only who recorded the hours certifies them).
async fn own_volunteer<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    volunteer_id: i64,
) -> Result<Option<volunteer::Model>, ServiceError> {
    let Some(organization_id) = caller.organization_id() else {
        return Ok(None);
    };
    Ok(volunteer::Entity::find_by_id(volunteer_id)
        .one(conn)
        .await?
        .filter(|v| v.organization_id == organization_id))
}

/// Hours of `volunteer` that its own organization's staff confirmed, served in the period.
async fn confirmed_hours<C: ConnectionTrait>(
    conn: &C,
    volunteer: &volunteer::Model,
    period: Option<(NaiveDate, NaiveDate)>,
) -> Result<Vec<volunteer_hour::Model>, ServiceError> {
    let own_staff: Vec<i64> = staff::Entity::find()
        .filter(staff::Column::OrganizationId.eq(volunteer.organization_id))
        .all(conn)
        .await?
        .into_iter()
        .map(|s| s.id)
        .collect();
    let mut query = volunteer_hour::Entity::find()
        .filter(volunteer_hour::Column::VolunteerId.eq(volunteer.id))
        .filter(volunteer_hour::Column::Status.eq("confirmed"))
        .filter(volunteer_hour::Column::ConfirmedBy.is_in(own_staff))
        .order_by_asc(volunteer_hour::Column::ServedOn)
        .order_by_asc(volunteer_hour::Column::Id);
    if let Some((from, to)) = period {
        query = query
            .filter(volunteer_hour::Column::ServedOn.gte(from))
            .filter(volunteer_hour::Column::ServedOn.lte(to));
    }
    Ok(query.all(conn).await?)
}

/// The distinct activities in the order first served, the first few named.
fn summarize_activities(hours: &[volunteer_hour::Model], locale: Locale) -> String {
    let mut seen = BTreeSet::new();
    let mut names = Vec::new();
    for h in hours {
        if seen.insert(h.activity.clone()) {
            names.push(h.activity.clone());
        }
    }
    let more = names.len().saturating_sub(ACTIVITIES_SHOWN);
    names.truncate(ACTIVITIES_SHOWN);
    let (sep, tail) = match locale {
        Locale::ZhCn => ("、", format!("等 {} 项", names.len() + more)),
        Locale::En => ("; ", format!(" and {more} more")),
    };
    let mut text = names.join(sep);
    if more > 0 {
        text.push_str(&tail);
    }
    text
}

/// A fresh number no certificate has (40 random bits: a clash is a one-in-a-trillion event,
/// checked anyway; the unique index is the last word).
async fn fresh_number<C: ConnectionTrait>(conn: &C, today: NaiveDate) -> Result<String, ServiceError> {
    for _ in 0..4 {
        let mut random = [0u8; 5];
        rand::rng().fill_bytes(&mut random);
        let number = certificate::number(chrono::Datelike::year(&today), random);
        let taken = cert::Entity::find()
            .filter(cert::Column::Number.eq(&number))
            .count(conn)
            .await?;
        if taken == 0 {
            return Ok(number);
        }
    }
    Err(ServiceError::Internal("no free certificate number".into()))
}

fn parse_period(from: &str, to: &str, today: NaiveDate) -> Result<(NaiveDate, NaiveDate), FieldErrors> {
    let mut errors = FieldErrors::default();
    let start = errors.check("period_start", input::date(from));
    let end = errors.check("period_end", input::date(to));
    let (Some(start), Some(end)) = (start, end) else {
        return Err(errors);
    };
    certificate::check_period(start, end, today).map_err(|e| {
        let mut errors = FieldErrors::default();
        errors.push("period_end", e);
        errors
    })
}

/// The signed link (path and query-free) a volunteer follows from an hours-confirmed email
/// to get the certificate of the period, good until `expires`.
pub fn volunteer_link(
    secret: &Secret,
    volunteer_id: i64,
    (from, to): (NaiveDate, NaiveDate),
    expires: NaiveDate,
) -> String {
    let signature = crypto::keyed_hex(
        secret,
        "certificate-link",
        certificate::link_message(volunteer_id, from, to, expires).as_bytes(),
    );
    format!("/certificates/ask/{volunteer_id}/{from}/{to}/{expires}/{signature}")
}

/// Why a volunteer's link gives no certificate.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// Not a link we made (or altered).
    #[error("this link is not valid")]
    Forged,
    /// Past its last day.
    #[error("this link has expired")]
    Expired,
    /// The service refused (no confirmed hours left in the period, say) or failed.
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<sea_orm::DbErr> for LinkError {
    fn from(e: sea_orm::DbErr) -> Self {
        LinkError::Service(e.into())
    }
}

/// A volunteer's signed link as it came in: who, the period, the last day, the signature.
#[derive(Debug, Clone, Copy)]
pub struct SignedLink<'a> {
    /// The volunteer.
    pub volunteer_id: i64,
    /// First day, `YYYY-MM-DD`.
    pub from: &'a str,
    /// Last day.
    pub to: &'a str,
    /// The link's last good day.
    pub expires: &'a str,
    /// The signature.
    pub signature: &'a str,
}

/// The period a volunteer's link covers, if the link is ours and not past its last day.
pub fn check_link(
    secret: &Secret,
    link: SignedLink<'_>,
    now: DateTime<Utc>,
) -> Result<(NaiveDate, NaiveDate), LinkError> {
    let parse = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| LinkError::Forged);
    let (from, to, until) = (parse(link.from)?, parse(link.to)?, parse(link.expires)?);
    let expected = crypto::keyed_hex(
        secret,
        "certificate-link",
        certificate::link_message(link.volunteer_id, from, to, until).as_bytes(),
    );
    if !bool::from(expected.as_bytes().ct_eq(link.signature.as_bytes())) {
        return Err(LinkError::Forged);
    }
    if crate::domain::time::local_date(now) > until {
        return Err(LinkError::Expired);
    }
    Ok((from, to))
}

/// The certificate a volunteer's signed link asks for: the one already issued for the same
/// period if it stands, else a new one (the organization that confirmed the hours issues
/// it; the handler is whoever confirmed the last of them). The signature is checked before
/// any lookup.
pub async fn issue_by_link(
    db: &DatabaseConnection,
    secret: &Secret,
    link: SignedLink<'_>,
    now: DateTime<Utc>,
) -> Result<CertificateView, LinkError> {
    let (from, to) = check_link(secret, link, now)?;
    let txn = db::begin_write(db).await?;
    let v = volunteer::Entity::find_by_id(link.volunteer_id)
        .one(&txn)
        .await?
        .ok_or(LinkError::Forged)?;
    let existing = cert::Entity::find()
        .filter(cert::Column::VolunteerId.eq(v.id))
        .filter(cert::Column::PeriodStart.eq(from))
        .filter(cert::Column::PeriodEnd.eq(to))
        .filter(cert::Column::RevokedAt.is_null())
        .order_by_desc(cert::Column::Id)
        .one(&txn)
        .await?;
    if let Some(row) = existing {
        return Ok(view(row));
    }
    let locale = match v.contact_id {
        Some(id) => contact::Entity::find_by_id(id)
            .one(&txn)
            .await?
            .map_or(Locale::ZhCn, |c| c.locale.into()),
        None => Locale::ZhCn,
    };
    let row = insert_volunteer_certificate(&txn, &v, (from, to), locale, None, now).await?;
    audit::record(
        &txn,
        now,
        Entry::ok(Actor::Anonymous, "certificate.issue")
            .subject("certificate", row.id)
            .organization(Some(v.organization_id)),
    )
    .await?;
    txn.commit().await?;
    Ok(view(row))
}

/// The volunteer's page: their certificates and what a new one would start from. Only the
/// volunteer's own organization sees it; anyone else gets "not found".
pub async fn for_volunteer(
    db: &DatabaseConnection,
    caller: &Caller,
    volunteer_id: i64,
) -> Result<VolunteerCertificates, ServiceError> {
    let Some(v) = own_volunteer(db, caller, volunteer_id).await? else {
        return Err(ServiceError::NotFound("volunteer"));
    };
    let hours = confirmed_hours(db, &v, None).await?;
    let certificates = cert::Entity::find()
        .filter(cert::Column::VolunteerId.eq(v.id))
        .order_by_desc(cert::Column::IssuedAt)
        .order_by_desc(cert::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(view)
        .collect();
    Ok(VolunteerCertificates {
        volunteer_id: v.id,
        name: v.display_name.clone(),
        volunteer_number: certificate::volunteer_number(v.id),
        confirmed_tenths: hours.iter().map(|h| i64::from(h.tenths)).sum(),
        first_served: hours.first().map(|h| h.served_on),
        certificates,
    })
}

/// Issues a certificate of the hours the caller's organization confirmed for its volunteer
/// between `from` and `to` (YYYY-MM-DD), drawn in `locale`. Refused beside the period when
/// no confirmed hours fall in it; another organization's volunteer is "not found".
pub async fn issue_for_volunteer(
    db: &DatabaseConnection,
    caller: &Caller,
    volunteer_id: i64,
    from: &str,
    to: &str,
    locale: Locale,
    now: DateTime<Utc>,
) -> Result<CertificateView, ServiceError> {
    let Some(staff_id) = caller.staff_id() else {
        return Err(ServiceError::Forbidden);
    };
    let today = crate::domain::time::local_date(now);
    let period = parse_period(from, to, today).map_err(ServiceError::Validation)?;
    let txn = db::begin_write(db).await?;
    let Some(v) = own_volunteer(&txn, caller, volunteer_id).await? else {
        audit::record(
            &txn,
            now,
            Entry::denied(caller.actor(), "certificate.issue").subject("volunteer", volunteer_id),
        )
        .await?;
        txn.commit().await?;
        return Err(ServiceError::NotFound("volunteer"));
    };
    let issuer = staff::Entity::find_by_id(staff_id)
        .one(&txn)
        .await?
        .ok_or(ServiceError::Forbidden)?;
    let row = insert_volunteer_certificate(&txn, &v, period, locale, Some(&issuer), now).await?;
    audit::record(
        &txn,
        now,
        Entry::ok(caller.actor(), "certificate.issue")
            .subject("certificate", row.id)
            .organization(Some(v.organization_id)),
    )
    .await?;
    txn.commit().await?;
    Ok(view(row))
}

async fn insert_volunteer_certificate<C: ConnectionTrait>(
    txn: &C,
    v: &volunteer::Model,
    period: (NaiveDate, NaiveDate),
    locale: Locale,
    issuer: Option<&staff::Model>,
    now: DateTime<Utc>,
) -> Result<cert::Model, ServiceError> {
    let hours = confirmed_hours(txn, v, Some(period)).await?;
    if hours.is_empty() {
        let mut errors = FieldErrors::default();
        errors.push("period_start", FieldError::NoConfirmedHours);
        return Err(ServiceError::Validation(errors));
    }
    let organization = organization::Entity::find_by_id(v.organization_id)
        .one(txn)
        .await?
        .ok_or(ServiceError::NotFound("organization"))?;
    if organization.status != PartyStatus::Approved {
        return Err(ServiceError::OrganizationSuspended);
    }
    // Without a signed-in issuer (the volunteer's own link), the handler is whoever confirmed
    // the last of these hours: the person who can answer for them.
    let handler = match issuer {
        Some(s) => Some(s.clone()),
        None => match hours.iter().rev().find_map(|h| h.confirmed_by) {
            Some(id) => staff::Entity::find_by_id(id).one(txn).await?,
            None => None,
        },
    };
    let today = crate::domain::time::local_date(now);
    Ok(cert::ActiveModel {
        number: Set(fresh_number(txn, today).await?),
        kind: Set(CertificateKind::VolunteerHours),
        organization_id: Set(Some(organization.id)),
        subdistrict_id: Set(Some(organization.subdistrict_id)),
        volunteer_id: Set(Some(v.id)),
        merchant_id: Set(None),
        holder_name: Set(v.display_name.clone()),
        holder_number: Set(certificate::volunteer_number(v.id)),
        issuer_name: Set(organization.name.clone()),
        handler_name: Set(handler.as_ref().map(|s| s.display_name.clone()).unwrap_or_default()),
        contact: Set(handler.map(|s| s.email).unwrap_or_default()),
        tenths: Set(hours.iter().map(|h| i64::from(h.tenths)).sum()),
        deliveries: Set(0),
        period_start: Set(period.0),
        period_end: Set(period.1),
        activities: Set(summarize_activities(&hours, locale)),
        locale: Set(StoredLocale(locale)),
        issued_at: Set(now),
        issued_by: Set(issuer.map(|s| s.id)),
        revoked_at: Set(None),
        revoked_by: Set(None),
        revoke_reason: Set(None),
        ..Default::default()
    }
    .insert(txn)
    .await?)
}

/// May the caller act for the issuer of `row`: staff of the issuing organization for a
/// volunteer certificate, the issuing office for a merchant's.
fn issued_by_callers_side(caller: &Caller, row: &cert::Model) -> bool {
    match row.kind {
        CertificateKind::VolunteerHours => {
            caller.organization_id().is_some() && caller.organization_id() == row.organization_id
        }
        CertificateKind::CaringMerchant => caller.is_office() && caller.subdistrict_id() == row.subdistrict_id,
    }
}

/// A certificate for its issuer's staff (to download or revoke); "not found" for anyone else.
pub async fn for_issuer(
    db: &DatabaseConnection,
    caller: &Caller,
    number: &str,
) -> Result<CertificateView, ServiceError> {
    let Some(number) = certificate::parse_number(number) else {
        return Err(ServiceError::NotFound("certificate"));
    };
    let row = cert::Entity::find()
        .filter(cert::Column::Number.eq(number))
        .one(db)
        .await?
        .filter(|row| issued_by_callers_side(caller, row))
        .ok_or(ServiceError::NotFound("certificate"))?;
    Ok(view(row))
}

/// A certificate by the number the bot's own reply carries (the outbox, not a person, asks).
pub async fn for_delivery(db: &DatabaseConnection, number: &str) -> Result<CertificateView, ServiceError> {
    let row = cert::Entity::find()
        .filter(cert::Column::Number.eq(number))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("certificate"))?;
    Ok(view(row))
}

/// Revokes a certificate of the caller's side for `reason` (kept on the certificate and in
/// the audit log). The public check says "revoked" from now on.
pub async fn revoke(
    db: &DatabaseConnection,
    caller: &Caller,
    number: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<CertificateView, ServiceError> {
    let Some(staff_id) = caller.staff_id() else {
        return Err(ServiceError::Forbidden);
    };
    let reason = input::text(reason, 2, REVOKE_REASON_MAX).map_err(|e| {
        let mut errors = FieldErrors::default();
        errors.push("reason", e);
        ServiceError::Validation(errors)
    })?;
    let Some(number) = certificate::parse_number(number) else {
        return Err(ServiceError::NotFound("certificate"));
    };
    let txn = db::begin_write(db).await?;
    let found = cert::Entity::find()
        .filter(cert::Column::Number.eq(&number))
        .one(&txn)
        .await?
        .filter(|row| issued_by_callers_side(caller, row));
    let Some(row) = found else {
        audit::record(
            &txn,
            now,
            Entry::denied(caller.actor(), "certificate.revoke").subject("certificate_number", &number),
        )
        .await?;
        txn.commit().await?;
        return Err(ServiceError::NotFound("certificate"));
    };
    let changed = cert::Entity::update_many()
        .col_expr(cert::Column::RevokedAt, Expr::val(now))
        .col_expr(cert::Column::RevokedBy, Expr::val(staff_id))
        .col_expr(cert::Column::RevokeReason, Expr::val(reason.clone()))
        .filter(cert::Column::Id.eq(row.id))
        .filter(cert::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    if changed.rows_affected != 1 {
        return Err(ServiceError::Conflict("this certificate is revoked already".into()));
    }
    audit::record(
        &txn,
        now,
        Entry::ok(caller.actor(), "certificate.revoke")
            .subject("certificate", row.id)
            .organization(row.organization_id)
            .detail(serde_json::json!({ "reason": reason })),
    )
    .await?;
    txn.commit().await?;
    let row = cert::Entity::find_by_id(row.id)
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("certificate"))?;
    Ok(view(row))
}

/// The public check of a number typed or scanned by anyone: counted per client address
/// before the lookup (numbers must not be walked), and never the holder's name.
pub async fn verify(
    db: &DatabaseConnection,
    number: &str,
    client: IpAddr,
    now: DateTime<Utc>,
) -> Result<PublicCertificate, VerifyError> {
    let Some(number) = certificate::parse_number(number) else {
        return Err(VerifyError::Unknown);
    };
    let key = format!("verify:{}", throttle::client_key(client));
    let txn = db::begin_write(db).await.map_err(ServiceError::from)?;
    let refused = throttle::reserve(
        &txn,
        &key,
        VERIFY_PER_ADDRESS,
        Duration::minutes(VERIFY_WINDOW_MINUTES),
        now,
    )
    .await?;
    txn.commit().await?;
    if let Some(minutes) = refused {
        return Err(VerifyError::Throttled(minutes));
    }
    let row = cert::Entity::find()
        .filter(cert::Column::Number.eq(number))
        .one(db)
        .await?
        .ok_or(VerifyError::Unknown)?;
    Ok(PublicCertificate {
        number: row.number,
        kind: row.kind,
        issuer_name: row.issuer_name,
        tenths: row.tenths,
        deliveries: row.deliveries,
        period_start: row.period_start,
        period_end: row.period_end,
        issued_on: crate::domain::time::local_date(row.issued_at),
        revoked_on: row.revoked_at.map(crate::domain::time::local_date),
    })
}

/// Confirmed deliveries of a merchant with `confirmed_at` in the period.
async fn confirmed_deliveries<C: ConnectionTrait>(
    conn: &C,
    merchant_id: i64,
    (from, to): (NaiveDate, NaiveDate),
) -> Result<i64, ServiceError> {
    let start = crate::domain::time::local_midnight(from);
    let end = crate::domain::time::local_midnight(to + Duration::days(1));
    let n = claim::Entity::find()
        .filter(claim::Column::MerchantId.eq(merchant_id))
        .filter(claim::Column::Status.eq(ClaimStatus::Confirmed))
        .filter(claim::Column::ConfirmedAt.gte(start))
        .filter(claim::Column::ConfirmedAt.lt(end))
        .count(conn)
        .await?;
    Ok(i64::try_from(n).unwrap_or(i64::MAX))
}

/// Volunteer hours (tenths) the shop's own staff served in the period, as the organizations
/// that ran the service confirmed them (staff a shop signed up from the bot's `/events`).
async fn staff_hours<C: ConnectionTrait>(
    conn: &C,
    merchant_id: i64,
    (from, to): (NaiveDate, NaiveDate),
) -> Result<i64, ServiceError> {
    let staff: Vec<i64> = volunteer::Entity::find()
        .filter(volunteer::Column::MerchantId.eq(merchant_id))
        .all(conn)
        .await?
        .into_iter()
        .map(|v| v.id)
        .collect();
    if staff.is_empty() {
        return Ok(0);
    }
    let hours = volunteer_hour::Entity::find()
        .filter(volunteer_hour::Column::VolunteerId.is_in(staff))
        .filter(volunteer_hour::Column::Status.eq("confirmed"))
        .filter(volunteer_hour::Column::ServedOn.gte(from))
        .filter(volunteer_hour::Column::ServedOn.lte(to))
        .all(conn)
        .await?;
    Ok(hours.iter().map(|h| i64::from(h.tenths)).sum())
}

/// Issues the caring-merchant certificate of `year` (to today in the running year) for a
/// shop, in the shop's language. `by` is the office's staff member, or `None` when the shop
/// asks in the bot (then an unchanged certificate of the same year is handed out again
/// rather than a new number each time).
async fn merchant_certificate<C: ConnectionTrait>(
    txn: &C,
    m: &merchant::Model,
    year: i32,
    by: Option<&staff::Model>,
    now: DateTime<Utc>,
) -> Result<(cert::Model, bool), ServiceError> {
    let today = crate::domain::time::local_date(now);
    let Some(period) = certificate::year_period(year, today) else {
        let mut errors = FieldErrors::default();
        errors.push("year", FieldError::DateInFuture);
        return Err(ServiceError::Validation(errors));
    };
    let deliveries = confirmed_deliveries(txn, m.id, period).await?;
    let tenths = staff_hours(txn, m.id, period).await?;
    if deliveries == 0 && tenths == 0 {
        let mut errors = FieldErrors::default();
        errors.push("year", FieldError::NoConfirmedDeliveries);
        return Err(ServiceError::Validation(errors));
    }
    if by.is_none() {
        let same = cert::Entity::find()
            .filter(cert::Column::MerchantId.eq(m.id))
            .filter(cert::Column::PeriodStart.eq(period.0))
            .filter(cert::Column::Deliveries.eq(deliveries))
            .filter(cert::Column::Tenths.eq(tenths))
            .filter(cert::Column::RevokedAt.is_null())
            .order_by_desc(cert::Column::Id)
            .one(txn)
            .await?;
        if let Some(same) = same {
            return Ok((same, false));
        }
    }
    let office = subdistrict::Entity::find_by_id(m.subdistrict_id)
        .one(txn)
        .await?
        .ok_or(ServiceError::NotFound("subdistrict"))?;
    let locale: Locale = m.locale.into();
    let issuer_name = match locale {
        Locale::ZhCn => format!("{}办事处", office.name),
        Locale::En => format!("{} Subdistrict Office", office.name_en),
    };
    let row = cert::ActiveModel {
        number: Set(fresh_number(txn, today).await?),
        kind: Set(CertificateKind::CaringMerchant),
        organization_id: Set(None),
        subdistrict_id: Set(Some(m.subdistrict_id)),
        volunteer_id: Set(None),
        merchant_id: Set(Some(m.id)),
        holder_name: Set(m.name.clone()),
        holder_number: Set(m.credit_code.clone().unwrap_or_default()),
        issuer_name: Set(issuer_name),
        handler_name: Set(by.map(|s| s.display_name.clone()).unwrap_or_default()),
        contact: Set(by.map(|s| s.email.clone()).unwrap_or_default()),
        tenths: Set(tenths),
        deliveries: Set(deliveries),
        period_start: Set(period.0),
        period_end: Set(period.1),
        activities: Set(m.trade.clone()),
        locale: Set(m.locale),
        issued_at: Set(now),
        issued_by: Set(by.map(|s| s.id)),
        revoked_at: Set(None),
        revoked_by: Set(None),
        revoke_reason: Set(None),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok((row, true))
}

/// The office issues a caring-merchant certificate of `year` for a shop of its subdistrict;
/// another subdistrict's shop is "not found".
pub async fn issue_for_merchant(
    db: &DatabaseConnection,
    caller: &Caller,
    merchant_id: i64,
    year: &str,
    now: DateTime<Utc>,
) -> Result<CertificateView, ServiceError> {
    let (Some(staff_id), true) = (caller.staff_id(), caller.is_office()) else {
        return Err(ServiceError::Forbidden);
    };
    let year: i32 = year.trim().parse().map_err(|_| {
        let mut errors = FieldErrors::default();
        errors.push("year", FieldError::NotANumber);
        ServiceError::Validation(errors)
    })?;
    let txn = db::begin_write(db).await?;
    let found = merchant::Entity::find_by_id(merchant_id)
        .one(&txn)
        .await?
        .filter(|m| Some(m.subdistrict_id) == caller.subdistrict_id());
    let Some(m) = found else {
        audit::record(
            &txn,
            now,
            Entry::denied(caller.actor(), "certificate.issue").subject("merchant", merchant_id),
        )
        .await?;
        txn.commit().await?;
        return Err(ServiceError::NotFound("merchant"));
    };
    let issuer = staff::Entity::find_by_id(staff_id)
        .one(&txn)
        .await?
        .ok_or(ServiceError::Forbidden)?;
    let (row, _) = merchant_certificate(&txn, &m, year, Some(&issuer), now).await?;
    audit::record(
        &txn,
        now,
        Entry::ok(caller.actor(), "certificate.issue").subject("certificate", row.id),
    )
    .await?;
    txn.commit().await?;
    Ok(view(row))
}

/// A shop of the office's subdistrict (its name) and the caring-merchant certificates issued
/// for it; another subdistrict's shop is "not found".
pub async fn for_merchant(
    db: &DatabaseConnection,
    caller: &Caller,
    merchant_id: i64,
) -> Result<(String, Vec<CertificateView>), ServiceError> {
    let found = merchant::Entity::find_by_id(merchant_id)
        .one(db)
        .await?
        .filter(|m| caller.is_office() && Some(m.subdistrict_id) == caller.subdistrict_id());
    let Some(m) = found else {
        return Err(ServiceError::NotFound("merchant"));
    };
    let rows = cert::Entity::find()
        .filter(cert::Column::MerchantId.eq(m.id))
        .filter(cert::Column::Kind.eq(CertificateKind::CaringMerchant))
        .order_by_desc(cert::Column::Id)
        .all(db)
        .await?;
    Ok((m.name, rows.into_iter().map(view).collect()))
}

/// A linked, approved merchant's certificate of this year, asked in the bot: the same one
/// again while nothing changed, a new one after more deliveries were confirmed.
pub async fn merchant_asks(
    db: &DatabaseConnection,
    merchant_id: i64,
    now: DateTime<Utc>,
) -> Result<CertificateView, ServiceError> {
    let txn = db::begin_write(db).await?;
    let m = merchant::Entity::find_by_id(merchant_id)
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound("merchant"))?;
    if m.status != PartyStatus::Approved {
        return Err(ServiceError::MerchantNotApproved);
    }
    let year = chrono::Datelike::year(&crate::domain::time::local_date(now));
    let (row, new) = merchant_certificate(&txn, &m, year, None, now).await?;
    if new {
        audit::record(
            &txn,
            now,
            Entry::ok(Actor::Merchant(m.id), "certificate.issue").subject("certificate", row.id),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(view(row))
}

/// A shop's choice to stand on the roll of honour (or leave it); it can change it any time.
pub async fn set_honour_roll(
    db: &DatabaseConnection,
    merchant_id: i64,
    on: bool,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let txn = db::begin_write(db).await?;
    let changed = merchant::Entity::update_many()
        .col_expr(merchant::Column::HonourRoll, Expr::val(on))
        .filter(merchant::Column::Id.eq(merchant_id))
        .exec(&txn)
        .await?;
    if changed.rows_affected != 1 {
        return Err(ServiceError::NotFound("merchant"));
    }
    audit::record(
        &txn,
        now,
        Entry::ok(
            Actor::Merchant(merchant_id),
            if on { "honour_roll.join" } else { "honour_roll.leave" },
        )
        .subject("merchant", merchant_id),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Whether the shop stands on the roll of honour.
pub async fn honour_roll_choice(db: &DatabaseConnection, merchant_id: i64) -> Result<bool, ServiceError> {
    Ok(merchant::Entity::find_by_id(merchant_id)
        .one(db)
        .await?
        .is_some_and(|m| m.honour_roll))
}

/// One shop on the roll of honour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HonourEntry {
    /// The shop's public name.
    pub name: String,
    /// Its badge by this year's confirmed deliveries.
    pub badge: Badge,
}

/// The roll of honour of the year of `now` in `scope`: approved shops that opted in and have
/// a badge (a band, never a count), by name (never ranked). Nobody who did not opt in is named.
pub async fn honour_roll(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    scope: super::access::SubdistrictScope,
) -> Result<Vec<HonourEntry>, ServiceError> {
    let today = crate::domain::time::local_date(now);
    let year = chrono::Datelike::year(&today);
    let Some(period) = certificate::year_period(year, today) else {
        return Ok(Vec::new());
    };
    let shops = merchant::Entity::find()
        .filter(merchant::Column::HonourRoll.eq(true))
        .filter(merchant::Column::Status.eq(PartyStatus::Approved))
        .filter(scope.condition(merchant::Column::SubdistrictId))
        .all(db)
        .await?;
    let mut entries = Vec::new();
    for m in shops {
        let deliveries = confirmed_deliveries(db, m.id, period).await?;
        if let Some(badge) = Badge::for_deliveries(u64::try_from(deliveries).unwrap_or(0)) {
            entries.push(HonourEntry { name: m.name, badge });
        }
    }
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(entries)
}
