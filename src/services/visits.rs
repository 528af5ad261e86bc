//! Visits (探访) of a case: logged by the owning organization's workers, the notes sealed with the
//! private details' key and bound to their row; each office sets its subdistrict's interval per group over the
//! district's default; the dashboard lists the visits due and overdue. Another organization, a merchant or a
//! missing id all get the same audited "not found".

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::ServiceError;
use super::access::{Caller, OrgScope, require_admin};
use super::audit::{self, Entry};
use super::private_details::private_key;
use crate::config::Secret;
use crate::domain::BeneficiaryGroup;
use crate::domain::input::{self, FieldError, FieldErrors};
use crate::domain::referral::HistoryAccess;
use crate::domain::time::local_date;
use crate::domain::visits::{self, Due, VisitMode};
use crate::entities::{beneficiary, organization, subdistrict, subdistrict_visit_interval, visit, visit_interval};
use crate::{crypto, db};

/// Most visits a case's page lists.
pub const SHOWN: u64 = 100;
/// Most cases the dashboard's due list shows.
pub const DUE_SHOWN: usize = 50;
/// Most cases of one organization the due list looks at.
const DUE_SCANNED: u64 = 5_000;

/// The fields of the visit form, as typed.
#[derive(Debug, Clone, Default)]
pub struct VisitInput {
    /// `visited_on` (YYYY-MM-DD).
    pub visited_on: String,
    /// `mode`: home, phone or station.
    pub mode: String,
    /// `visitors`: who went.
    pub visitors: String,
    /// `notes`: sealed.
    pub notes: String,
    /// `needs_found`: short text.
    pub needs_found: String,
}

/// A visit with its notes opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitView {
    /// Id.
    pub id: i64,
    /// The day.
    pub visited_on: NaiveDate,
    /// How.
    pub mode: VisitMode,
    /// Who went.
    pub visitors: String,
    /// The notes, opened for this reader.
    pub notes: String,
    /// Needs found.
    pub needs_found: String,
}

/// A case's visits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visits {
    /// The beneficiary's id.
    pub beneficiary_id: i64,
    /// Its code.
    pub code: String,
    /// Newest first.
    pub items: Vec<VisitView>,
    /// Days between visits for its group.
    pub interval_days: i64,
    /// The next visit's standing, if due within a week or overdue.
    pub due: Option<Due>,
    /// The day the next visit falls due (none for an earlier owner, who visits no more).
    pub next_on: Option<chrono::NaiveDate>,
    /// For an organization that referred the case on: its hand-over, up to which it reads
    /// (and logs nothing).
    pub read_only_until: Option<DateTime<Utc>>,
}

/// A case on the dashboard's list of visits due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueVisit {
    /// The beneficiary's id.
    pub beneficiary_id: i64,
    /// Its code.
    pub code: String,
    /// Its group.
    pub group: BeneficiaryGroup,
    /// The last visit, if any.
    pub last_visit: Option<NaiveDate>,
    /// Due soon or overdue.
    pub due: Due,
}

fn binding(id: i64) -> Vec<u8> {
    format!("visits/v1/{id}").into_bytes()
}

async fn readable_case<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    id: i64,
    action: &str,
    now: DateTime<Utc>,
) -> Result<beneficiary::Model, ServiceError> {
    let found = beneficiary::Entity::find_by_id(id).one(conn).await?;
    super::case_access::readable(conn, caller, found, &id.to_string(), action, now).await
}

/// Days between visits: the district's default per group (the process sets it), and each
/// subdistrict's own where its office set one.
struct Intervals {
    district: HashMap<String, i64>,
    own: HashMap<(i64, String), i64>,
}

impl Intervals {
    /// Both tables are a few rows a subdistrict: read whole.
    async fn load<C: ConnectionTrait>(conn: &C) -> Result<Self, ServiceError> {
        let district = visit_interval::Entity::find()
            .all(conn)
            .await?
            .into_iter()
            .map(|r| (r.beneficiary_group, i64::from(r.days)))
            .collect();
        let own = subdistrict_visit_interval::Entity::find()
            .all(conn)
            .await?
            .into_iter()
            .map(|r| ((r.subdistrict_id, r.beneficiary_group), i64::from(r.days)))
            .collect();
        Ok(Intervals { district, own })
    }

    /// The days for `group` in `subdistrict` (none: the district's), and whose setting it is.
    fn of(&self, subdistrict: Option<i64>, group: BeneficiaryGroup) -> (i64, IntervalSource) {
        let key = group.as_str().to_owned();
        if let Some(days) = subdistrict.and_then(|s| self.own.get(&(s, key.clone()))) {
            return (*days, IntervalSource::Subdistrict);
        }
        match self.district.get(&key) {
            Some(days) => (*days, IntervalSource::District),
            None => (visits::default_interval(group), IntervalSource::District),
        }
    }
}

/// Whose setting an interval is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntervalSource {
    /// The district's default.
    District,
    /// The subdistrict office's own.
    Subdistrict,
}

/// The subdistrict of each of `organizations` (their cases' intervals are that office's).
async fn subdistricts_of<C: ConnectionTrait>(
    conn: &C,
    organizations: impl IntoIterator<Item = i64>,
) -> Result<HashMap<i64, i64>, ServiceError> {
    Ok(organization::Entity::find()
        .select_only()
        .column(organization::Column::Id)
        .column(organization::Column::SubdistrictId)
        .filter(organization::Column::Id.is_in(organizations))
        .into_tuple::<(i64, i64)>()
        .all(conn)
        .await?
        .into_iter()
        .collect())
}

fn group_of(b: &beneficiary::Model) -> BeneficiaryGroup {
    b.beneficiary_group.parse().unwrap_or(BeneficiaryGroup::Other)
}

/// The visits of beneficiary `id`, their notes opened (the opening is audited).
pub async fn visits(
    db: &DatabaseConnection,
    secret: &Secret,
    caller: &Caller,
    id: i64,
    now: DateTime<Utc>,
) -> Result<Visits, ServiceError> {
    let found = beneficiary::Entity::find_by_id(id).one(db).await?;
    let (case, access) =
        super::case_access::readable_history(db, caller, found, &id.to_string(), "visit.notes.read", now).await?;
    let until = match access {
        HistoryAccess::Until(t) => Some(t),
        _ => None,
    };
    let mut query = visit::Entity::find().filter(visit::Column::BeneficiaryId.eq(id));
    if let Some(t) = until {
        query = query.filter(visit::Column::CreatedAt.lt(t));
    }
    let rows = query
        .order_by_desc(visit::Column::VisitedOn)
        .order_by_desc(visit::Column::Id)
        .limit(SHOWN)
        .all(db)
        .await?;
    let key = private_key(secret);
    let mut items = Vec::with_capacity(rows.len());
    for r in rows {
        // An erased case's notes were wiped to an empty blob, not sealed again.
        let notes = Some(r.notes_sealed.as_slice())
            .filter(|blob| !blob.is_empty())
            .map_or(Some(Vec::new()), |blob| crypto::open(&key, blob, &binding(r.id)).ok())
            .and_then(|n| String::from_utf8(n).ok())
            .ok_or_else(|| {
                ServiceError::Internal(format!(
                    "the notes of visit {} do not open: sealed for another row, altered, or under another key",
                    r.id
                ))
            })?;
        items.push(VisitView {
            id: r.id,
            visited_on: r.visited_on,
            mode: r.mode,
            visitors: r.visitors,
            notes,
            needs_found: r.needs_found,
        });
    }
    audit::record(
        db,
        now,
        Entry::ok(caller.actor(), "visit.notes.read")
            .subject("beneficiary", id)
            .organization(Some(case.organization_id))
            .detail(serde_json::json!({ "visits": items.len() })),
    )
    .await?;
    let place = subdistricts_of(db, [case.organization_id])
        .await?
        .get(&case.organization_id)
        .copied();
    let (interval_days, _) = Intervals::load(db).await?.of(place, group_of(&case));
    let since = items
        .first()
        .map(|v| v.visited_on)
        .unwrap_or_else(|| local_date(case.created_at));
    Ok(Visits {
        beneficiary_id: case.id,
        code: case.code,
        items,
        interval_days,
        due: until.map_or_else(|| visits::due(since, interval_days, local_date(now)), |_| None),
        next_on: until.map_or_else(|| Some(since + chrono::Duration::days(interval_days)), |_| None),
        read_only_until: until,
    })
}

/// Logs a visit to beneficiary `id` by a worker of its organization; returns the visit's id.
pub async fn log_visit(
    db: &DatabaseConnection,
    secret: &Secret,
    caller: &Caller,
    id: i64,
    form: &VisitInput,
    now: DateTime<Utc>,
) -> Result<i64, ServiceError> {
    let txn = db::begin_write(db).await?;
    let case = match readable_case(&txn, caller, id, "visit.log", now).await {
        Ok(case) => case,
        Err(e) => {
            txn.commit().await?;
            return Err(e);
        }
    };
    let Caller::SocialWorker { staff_id, .. } = *caller else {
        return Err(ServiceError::Forbidden);
    };
    // The erasure job passes an erased case by: notes written now would never be erased.
    if case.erased_at.is_some() {
        return Err(ServiceError::Conflict("the case's personal data was erased".into()));
    }
    let mut errors = FieldErrors::default();
    let visited_on = errors.check("visited_on", visits::visit_date(&form.visited_on, local_date(now)));
    let mode = errors.check(
        "mode",
        match form.mode.trim() {
            "" => Err(FieldError::NotChosen),
            m => input::choice::<VisitMode>(m),
        },
    );
    let visitors = errors.check("visitors", input::text(&form.visitors, 1, 100));
    let notes = errors.check("notes", input::text(&form.notes, 0, 2000));
    // Kept in clear (the notes are sealed): what was found must not identify the person.
    let needs_found = errors.check("needs_found", input::public_text(&form.needs_found, 0, 200));
    let (Some(visited_on), Some(mode), Some(visitors), Some(notes), Some(needs_found)) =
        (visited_on, mode, visitors, notes, needs_found)
    else {
        return Err(ServiceError::Validation(errors));
    };
    let row = visit::ActiveModel {
        beneficiary_id: Set(case.id),
        organization_id: Set(case.organization_id),
        visited_on: Set(visited_on),
        mode: Set(mode),
        visitors: Set(visitors),
        notes_sealed: Set(Vec::new()),
        needs_found: Set(needs_found),
        recorded_by: Set(staff_id),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    // Sealed once the row has its id, so the blob opens on this row only.
    let sealed = crypto::seal(&private_key(secret), notes.as_bytes(), &binding(row.id))
        .map_err(|e| ServiceError::Internal(format!("sealing visit notes failed: {e:?}")))?;
    visit::Entity::update_many()
        .col_expr(visit::Column::NotesSealed, Expr::value(sealed))
        .filter(visit::Column::Id.eq(row.id))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        now,
        Entry::ok(caller.actor(), "visit.log")
            .subject("beneficiary", case.id)
            .organization(Some(case.organization_id))
            .detail(serde_json::json!({ "visit": row.id })),
    )
    .await?;
    txn.commit().await?;
    Ok(row.id)
}

/// Sets the days between visits of group `group`: an office for its own subdistrict (asking
/// for another one is "not found", audited); the process itself (the CLI) for `subdistrict`, or
/// the district's default when none is named. The district bureau changes nothing, and no one
/// else may: refused, audited.
pub async fn set_interval(
    db: &DatabaseConnection,
    caller: &Caller,
    subdistrict: Option<i64>,
    group: &str,
    days: &str,
    now: DateTime<Utc>,
) -> Result<(BeneficiaryGroup, i64), ServiceError> {
    const ACTION: &str = "visit_interval.set";
    require_admin(db, caller, ACTION, now).await?;
    let place = match (caller.subdistrict_id(), subdistrict) {
        (Some(own), Some(asked)) if own != asked => {
            audit::record(
                db,
                now,
                Entry::denied(caller.actor(), ACTION).subject("subdistrict", asked),
            )
            .await?;
            return Err(ServiceError::NotFound("subdistrict"));
        }
        (Some(own), _) => Some(own),
        (None, asked) => asked,
    };
    let mut errors = FieldErrors::default();
    let group = errors.check("group", input::choice::<BeneficiaryGroup>(group.trim()));
    let days = errors.check("days", visits::interval_days(days));
    let (Some(group), Some(days)) = (group, days) else {
        return Err(ServiceError::Validation(errors));
    };
    let stored = i32::try_from(days).unwrap_or(i32::MAX);
    let txn = db::begin_write(db).await?;
    match place {
        Some(subdistrict_id) => {
            if subdistrict::Entity::find_by_id(subdistrict_id)
                .one(&txn)
                .await?
                .is_none()
            {
                return Err(ServiceError::NotFound("subdistrict"));
            }
            subdistrict_visit_interval::Entity::delete_by_id((subdistrict_id, group.as_str().to_owned()))
                .exec(&txn)
                .await?;
            subdistrict_visit_interval::ActiveModel {
                subdistrict_id: Set(subdistrict_id),
                beneficiary_group: Set(group.as_str().to_owned()),
                days: Set(stored),
                updated_by: Set(caller.staff_id()),
                updated_at: Set(now),
            }
            .insert(&txn)
            .await?;
        }
        None => {
            visit_interval::Entity::delete_by_id(group.as_str().to_owned())
                .exec(&txn)
                .await?;
            visit_interval::ActiveModel {
                beneficiary_group: Set(group.as_str().to_owned()),
                days: Set(stored),
                updated_at: Set(now),
            }
            .insert(&txn)
            .await?;
        }
    }
    // The subdistrict is named in the detail (and as the subject), so each office's log
    // shows its own changes and the district's are told apart.
    let mut entry = Entry::ok(caller.actor(), ACTION)
        .detail(serde_json::json!({ "group": group.as_str(), "days": days, "subdistrict": place }));
    if let Some(s) = place {
        entry = entry.subject("subdistrict", s);
    }
    audit::record(&txn, now, entry).await?;
    txn.commit().await?;
    Ok((group, days))
}

/// One group's interval as an office reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntervalSetting {
    /// The group.
    pub group: BeneficiaryGroup,
    /// Days between visits.
    pub days: i64,
    /// The office's own, or the district's default.
    pub source: IntervalSource,
}

/// The days between visits of every group in the caller's subdistrict (the district's
/// defaults for the district bureau and the process itself). Social workers read their cases'
/// intervals on the cases; anyone else is refused, audited.
pub async fn interval_settings(
    db: &DatabaseConnection,
    caller: &Caller,
    now: DateTime<Utc>,
) -> Result<Vec<IntervalSetting>, ServiceError> {
    super::access::require_office_reader(db, caller, "visit_interval.read", now).await?;
    let all = Intervals::load(db).await?;
    Ok(BeneficiaryGroup::ALL
        .iter()
        .map(|g| {
            let (days, source) = all.of(caller.subdistrict_id(), *g);
            IntervalSetting {
                group: *g,
                days,
                source,
            }
        })
        .collect())
}

/// The caller's organization's cases whose next visit is due within a week or overdue (never visited:
/// counted from registration), the most overdue first.
pub async fn due_visits(
    db: &DatabaseConnection,
    caller: &Caller,
    now: DateTime<Utc>,
) -> Result<Vec<DueVisit>, ServiceError> {
    let mut query = beneficiary::Entity::find();
    match caller.org_scope() {
        OrgScope::NoneOf => return Err(ServiceError::Forbidden),
        scope => query = query.filter(scope.condition(beneficiary::Column::OrganizationId)),
    }
    let cases = query
        .order_by_asc(beneficiary::Column::Id)
        .limit(DUE_SCANNED)
        .all(db)
        .await?;
    let last: std::collections::HashMap<i64, NaiveDate> = visit::Entity::find()
        .select_only()
        .column(visit::Column::BeneficiaryId)
        .column_as(visit::Column::VisitedOn.max(), "last")
        .filter(visit::Column::BeneficiaryId.is_in(cases.iter().map(|b| b.id)))
        .group_by(visit::Column::BeneficiaryId)
        .into_tuple::<(i64, NaiveDate)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let all = Intervals::load(db).await?;
    let places = subdistricts_of(db, cases.iter().map(|b| b.organization_id)).await?;
    let today = local_date(now);
    let mut due: Vec<DueVisit> = cases
        .into_iter()
        .filter_map(|b| {
            let group = group_of(&b);
            let last_visit = last.get(&b.id).copied();
            let since = last_visit.unwrap_or_else(|| local_date(b.created_at));
            let (days, _) = all.of(places.get(&b.organization_id).copied(), group);
            let due = visits::due(since, days, today)?;
            Some(DueVisit {
                beneficiary_id: b.id,
                code: b.code,
                group,
                last_visit,
                due,
            })
        })
        .collect();
    let day = |d: &DueVisit| match d.due {
        Due::Soon { on } | Due::Overdue { on, .. } => on,
    };
    due.sort_by_key(day);
    due.truncate(DUE_SHOWN);
    Ok(due)
}
