//! Yearly renewal of admissions (准入): which organizations and merchants are due, and the
//! office renewing one for another year. The rules are in `domain::admission`.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::ServiceError;
use super::access::{Caller, require_admin, require_office_reader};
use super::audit::{self, Entry};
use super::organization_credit;
use crate::db;
use crate::domain::PartyStatus;
use crate::domain::admission::{self, Standing};
use crate::domain::credit::CreditBand;
use crate::domain::time::local_date;
use crate::entities::{merchant, organization};

/// Which kind of party an admission is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartyKind {
    /// A social organization.
    Organization,
    /// A caring merchant.
    Merchant,
}

impl PartyKind {
    /// Its word in paths and the audit log.
    pub fn as_str(self) -> &'static str {
        match self {
            PartyKind::Organization => "organization",
            PartyKind::Merchant => "merchant",
        }
    }

    /// The kind named `s` in a path.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "organization" => Some(PartyKind::Organization),
            "merchant" => Some(PartyKind::Merchant),
            _ => None,
        }
    }
}

/// An admitted party whose renewal is due or overdue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    /// Organization or merchant.
    pub kind: PartyKind,
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its subdistrict.
    pub subdistrict_id: i64,
    /// The last day its admission holds.
    pub valid_until: NaiveDate,
    /// The last day it would hold if renewed today (a year after its end, or after today
    /// when the renewal comes late).
    pub renews_until: NaiveDate,
    /// Due in so many days, or overdue.
    pub standing: Standing,
    /// Its credit score, 0 to 100.
    pub credit_score: i32,
    /// Its credit band; an organization in band D is flagged for review before renewing.
    pub band: CreditBand,
}

impl Due {
    /// True when the office should look closer before renewing: an organization in band D.
    pub fn flagged(&self) -> bool {
        self.kind == PartyKind::Organization && self.band == CreditBand::D
    }
}

/// The approved parties of the caller's subdistrict (every one for the district bureau) whose
/// admission ends within 30 days or has ended, the most pressing first.
pub async fn due(db: &DatabaseConnection, caller: &Caller, now: DateTime<Utc>) -> Result<Vec<Due>, ServiceError> {
    let scope = require_office_reader(db, caller, "admission.due", now).await?;
    let today = local_date(now);
    let records = organization_credit::records(db, now).await?;
    let mut out = Vec::new();
    for o in organization::Entity::find()
        .filter(organization::Column::Status.eq(PartyStatus::Approved))
        .filter(scope.condition(organization::Column::SubdistrictId))
        .order_by_asc(organization::Column::Id)
        .all(db)
        .await?
    {
        let until = admission::valid_until(o.admitted_until, local_date(o.created_at));
        let record = records.get(&o.id).copied().unwrap_or_default();
        out.push(Due {
            kind: PartyKind::Organization,
            id: o.id,
            name: o.name,
            subdistrict_id: o.subdistrict_id,
            valid_until: until,
            renews_until: admission::renewed(until, today),
            standing: admission::standing(until, today),
            credit_score: record.score(),
            band: record.band(),
        });
    }
    for m in merchant::Entity::find()
        .filter(merchant::Column::Status.eq(PartyStatus::Approved))
        .filter(scope.condition(merchant::Column::SubdistrictId))
        .order_by_asc(merchant::Column::Id)
        .all(db)
        .await?
    {
        let until = admission::valid_until(m.admitted_until, local_date(m.created_at));
        out.push(Due {
            kind: PartyKind::Merchant,
            id: m.id,
            name: m.name,
            subdistrict_id: m.subdistrict_id,
            valid_until: until,
            renews_until: admission::renewed(until, today),
            standing: admission::standing(until, today),
            credit_score: m.credit_score,
            band: CreditBand::of_score(m.credit_score),
        });
    }
    out.retain(|d| d.standing != Standing::Current);
    // Flagged organizations first: they need a closer look, whatever their date.
    out.sort_by_key(|d| (!d.flagged(), d.valid_until, d.id));
    Ok(out)
}

/// How many approved parties of the caller's subdistrict (every one for the district
/// bureau) are (due within 30 days, overdue): the dates alone, without the credit records
/// [`due`] reads, for the office's dashboard on every visit.
pub async fn due_counts(
    db: &DatabaseConnection,
    caller: &Caller,
    now: DateTime<Utc>,
) -> Result<(usize, usize), ServiceError> {
    let scope = require_office_reader(db, caller, "admission.due", now).await?;
    let today = local_date(now);
    let organizations: Vec<(Option<NaiveDate>, DateTime<Utc>)> = organization::Entity::find()
        .select_only()
        .column(organization::Column::AdmittedUntil)
        .column(organization::Column::CreatedAt)
        .filter(organization::Column::Status.eq(PartyStatus::Approved))
        .filter(scope.condition(organization::Column::SubdistrictId))
        .into_tuple()
        .all(db)
        .await?;
    let merchants: Vec<(Option<NaiveDate>, DateTime<Utc>)> = merchant::Entity::find()
        .select_only()
        .column(merchant::Column::AdmittedUntil)
        .column(merchant::Column::CreatedAt)
        .filter(merchant::Column::Status.eq(PartyStatus::Approved))
        .filter(scope.condition(merchant::Column::SubdistrictId))
        .into_tuple()
        .all(db)
        .await?;
    let (mut due, mut overdue) = (0, 0);
    for (until, created) in organizations.into_iter().chain(merchants) {
        match admission::standing(admission::valid_until(until, local_date(created)), today) {
            Standing::Current => {}
            Standing::DueIn(_) => due += 1,
            Standing::Overdue(_) => overdue += 1,
        }
    }
    Ok((due, overdue))
}

/// The office renews party `id`'s admission for a year (its own subdistrict's, approved
/// only; another's is "not found", audited) and returns the new last day.
pub async fn renew(
    db: &DatabaseConnection,
    caller: &Caller,
    kind: PartyKind,
    id: i64,
    now: DateTime<Utc>,
) -> Result<NaiveDate, ServiceError> {
    let action = "admission.renew";
    require_admin(db, caller, action, now).await?;
    let today = local_date(now);
    let txn = db::begin_write(db).await?;
    let found = match kind {
        PartyKind::Organization => organization::Entity::find_by_id(id)
            .one(&txn)
            .await?
            .map(|o| (o.subdistrict_id, o.status, o.admitted_until, o.created_at)),
        PartyKind::Merchant => merchant::Entity::find_by_id(id)
            .one(&txn)
            .await?
            .map(|m| (m.subdistrict_id, m.status, m.admitted_until, m.created_at)),
    };
    let own = caller.subdistrict_id();
    let Some((_, status, admitted_until, created_at)) = found.filter(|(s, ..)| own.is_none_or(|own| own == *s)) else {
        drop(txn);
        audit::record(
            db,
            now,
            Entry::denied(caller.actor(), action).subject(kind.as_str(), id),
        )
        .await?;
        return Err(ServiceError::NotFound("party"));
    };
    if status != PartyStatus::Approved {
        return Err(ServiceError::Conflict(
            "only an admitted party's admission is renewed; admit it first".into(),
        ));
    }
    let until = admission::renewed(admission::valid_until(admitted_until, local_date(created_at)), today);
    match kind {
        PartyKind::Organization => {
            organization::Entity::update_many()
                .col_expr(organization::Column::AdmittedUntil, Expr::val(until))
                .filter(organization::Column::Id.eq(id))
                .exec(&txn)
                .await?;
        }
        PartyKind::Merchant => {
            merchant::Entity::update_many()
                .col_expr(merchant::Column::AdmittedUntil, Expr::val(until))
                .col_expr(merchant::Column::UpdatedAt, Expr::val(now))
                .filter(merchant::Column::Id.eq(id))
                .exec(&txn)
                .await?;
        }
    }
    let entry = Entry::ok(caller.actor(), action)
        .subject(kind.as_str(), id)
        .detail(serde_json::json!({ "until": until.to_string() }));
    let entry = match kind {
        PartyKind::Organization => entry.organization(Some(id)),
        PartyKind::Merchant => entry,
    };
    audit::record(&txn, now, entry).await?;
    txn.commit().await?;
    Ok(until)
}
