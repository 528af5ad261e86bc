//! Who is calling a use case, and what they may see.

use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QuerySelect};

use super::audit::Actor;
use crate::entities::organization;

/// The caller of a use case, as the adapters authenticated it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    /// Subdistrict office staff: admits, suspends and reads everything of its subdistrict.
    Admin {
        /// The staff account.
        staff_id: i64,
        /// The subdistrict the office works for.
        subdistrict_id: i64,
    },
    /// District bureau staff: reads every subdistrict's reports, admissions and credit;
    /// changes nothing and never sees a beneficiary.
    District {
        /// The staff account.
        staff_id: i64,
    },
    /// A social worker of one organization.
    SocialWorker {
        /// The staff account.
        staff_id: i64,
        /// Their organization.
        organization_id: i64,
    },
    /// Another system acting for an organization (API token).
    Organization {
        /// The token row.
        token_id: i64,
        /// The organization.
        organization_id: i64,
    },
    /// A caring merchant, through the bot or an API token.
    Merchant {
        /// The merchant.
        merchant_id: i64,
        /// The token row, when it came through the API.
        token_id: Option<i64>,
    },
    /// The process itself: CLI, jobs, demo data.
    System,
}

/// Which organizations' records a caller may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrgScope {
    /// Every organization's.
    All,
    /// The organizations of this subdistrict.
    Subdistrict(i64),
    /// Only this organization's.
    Only(i64),
    /// No organization's (merchants see public cards only).
    NoneOf,
}

impl Caller {
    /// The audit actor of this caller.
    pub fn actor(&self) -> Actor {
        match *self {
            Caller::Admin { staff_id, .. } | Caller::District { staff_id } | Caller::SocialWorker { staff_id, .. } => {
                Actor::Staff(staff_id)
            }
            Caller::Organization { token_id, .. } => Actor::ApiToken(token_id),
            Caller::Merchant {
                token_id: Some(token_id),
                ..
            } => Actor::ApiToken(token_id),
            Caller::Merchant {
                merchant_id,
                token_id: None,
            } => Actor::Merchant(merchant_id),
            Caller::System => Actor::System,
        }
    }

    /// Whose organization records this caller may read and change.
    pub fn org_scope(&self) -> OrgScope {
        match *self {
            Caller::System => OrgScope::All,
            Caller::Admin { subdistrict_id, .. } => OrgScope::Subdistrict(subdistrict_id),
            Caller::SocialWorker { organization_id, .. } | Caller::Organization { organization_id, .. } => {
                OrgScope::Only(organization_id)
            }
            Caller::Merchant { .. } | Caller::District { .. } => OrgScope::NoneOf,
        }
    }

    /// The organization this caller belongs to, if any.
    pub fn organization_id(&self) -> Option<i64> {
        match *self {
            Caller::SocialWorker { organization_id, .. } | Caller::Organization { organization_id, .. } => {
                Some(organization_id)
            }
            _ => None,
        }
    }

    /// The merchant this caller is, if any.
    pub fn merchant_id(&self) -> Option<i64> {
        match *self {
            Caller::Merchant { merchant_id, .. } => Some(merchant_id),
            _ => None,
        }
    }

    /// The staff account behind this caller, if any.
    pub fn staff_id(&self) -> Option<i64> {
        match *self {
            Caller::Admin { staff_id, .. } | Caller::District { staff_id } | Caller::SocialWorker { staff_id, .. } => {
                Some(staff_id)
            }
            _ => None,
        }
    }

    /// The subdistrict an office caller works for, if it is one.
    pub fn subdistrict_id(&self) -> Option<i64> {
        match *self {
            Caller::Admin { subdistrict_id, .. } => Some(subdistrict_id),
            _ => None,
        }
    }

    /// True for the subdistrict office (an admin account).
    pub fn is_office(&self) -> bool {
        matches!(self, Caller::Admin { .. })
    }
}

impl OrgScope {
    /// True when a record of `organization_id` is within this scope (one lookup for a
    /// subdistrict's scope).
    pub async fn permits<C: ConnectionTrait>(self, conn: &C, organization_id: i64) -> Result<bool, DbErr> {
        Ok(match self {
            OrgScope::All => true,
            OrgScope::Only(id) => id == organization_id,
            OrgScope::NoneOf => false,
            OrgScope::Subdistrict(subdistrict) => {
                organization::Entity::find_by_id(organization_id)
                    .select_only()
                    .column(organization::Column::SubdistrictId)
                    .into_tuple::<Option<i64>>()
                    .one(conn)
                    .await?
                    .flatten()
                    == Some(subdistrict)
            }
        })
    }

    /// The condition that keeps a query's rows within this scope, `column` holding their
    /// organization's id.
    pub fn condition(self, column: impl ColumnTrait) -> Condition {
        match self {
            OrgScope::All => Condition::all(),
            OrgScope::Only(id) => Condition::all().add(column.eq(id)),
            OrgScope::NoneOf => Condition::any(),
            OrgScope::Subdistrict(subdistrict) => Condition::all().add(
                column.in_subquery(
                    Query::select()
                        .column(organization::Column::Id)
                        .from(organization::Entity)
                        .and_where(organization::Column::SubdistrictId.eq(subdistrict))
                        .to_owned(),
                ),
            ),
        }
    }
}

/// Which subdistricts a caller reads in the office's lists and reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubdistrictScope {
    /// Every subdistrict of the district (the district bureau, the process itself).
    District,
    /// One subdistrict (its office).
    One(i64),
}

impl SubdistrictScope {
    /// Narrows to `chosen` when it is given and within this scope; `None` when the caller may
    /// not read it (the caller's own answer is "not found").
    pub fn narrow(self, chosen: Option<i64>) -> Option<SubdistrictScope> {
        match (self, chosen) {
            (scope, None) => Some(scope),
            (SubdistrictScope::District, Some(id)) => Some(SubdistrictScope::One(id)),
            (SubdistrictScope::One(own), Some(id)) if own == id => Some(SubdistrictScope::One(id)),
            (SubdistrictScope::One(_), Some(_)) => None,
        }
    }

    /// The condition that keeps a query's rows within this scope, `column` holding their
    /// subdistrict's id.
    pub fn condition(self, column: impl ColumnTrait) -> Condition {
        match self {
            SubdistrictScope::District => Condition::all(),
            SubdistrictScope::One(id) => Condition::all().add(column.eq(id)),
        }
    }

    /// True when a party of `subdistrict_id` is within this scope.
    pub fn allows(self, subdistrict_id: i64) -> bool {
        match self {
            SubdistrictScope::District => true,
            SubdistrictScope::One(id) => id == subdistrict_id,
        }
    }
}

/// Refuses (and audits) anyone but the office and the district bureau, who may read the
/// office's lists and reports; says which subdistricts they read.
pub(crate) async fn require_office_reader(
    db: &sea_orm::DatabaseConnection,
    caller: &Caller,
    action: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<SubdistrictScope, super::ServiceError> {
    match *caller {
        Caller::Admin { subdistrict_id, .. } => Ok(SubdistrictScope::One(subdistrict_id)),
        Caller::District { .. } | Caller::System => Ok(SubdistrictScope::District),
        _ => {
            super::audit::record(
                db,
                now,
                super::audit::Entry::denied(caller.actor(), action).organization(caller.organization_id()),
            )
            .await?;
            Err(super::ServiceError::Forbidden)
        }
    }
}

/// Which subdistricts a report of `caller` covers: an office its own (another one is "not
/// found", audited), the district bureau the one it chose or all; anyone else is refused.
pub async fn report_scope(
    db: &sea_orm::DatabaseConnection,
    caller: &Caller,
    subdistrict: Option<i64>,
    action: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<SubdistrictScope, super::ServiceError> {
    let scope = require_office_reader(db, caller, action, now).await?;
    match scope.narrow(subdistrict) {
        Some(narrowed) => Ok(narrowed),
        None => {
            super::audit::record(
                db,
                now,
                super::audit::Entry::denied(caller.actor(), action)
                    .subject("subdistrict", subdistrict.unwrap_or_default()),
            )
            .await?;
            Err(super::ServiceError::NotFound("subdistrict"))
        }
    }
}

/// Refuses (and audits) the district bureau, which reads figures only: never the needs
/// board (sponsors' reserved periods included), a need, a case or a person. The answer is
/// "forbidden" whatever the id, so it tells nothing about what exists.
pub(crate) async fn refuse_district<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    action: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), super::ServiceError> {
    if !matches!(caller, Caller::District { .. }) {
        return Ok(());
    }
    super::audit::record(conn, now, super::audit::Entry::denied(caller.actor(), action)).await?;
    Err(super::ServiceError::Forbidden)
}

/// For a change the office makes to one party (a token, a link code): passes when the caller
/// reaches the party of `subdistrict_id` (the process itself reaches every one). A party of
/// another subdistrict answers "not found" (`missing`), exactly as a missing one (`None`)
/// does, and the try is audited against `subject`/`id`. Call [`require_admin`] first.
pub(crate) async fn office_reaches(
    db: &sea_orm::DatabaseConnection,
    caller: &Caller,
    action: &str,
    (subject, id): (&str, i64),
    subdistrict_id: Option<i64>,
    missing: &'static str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), super::ServiceError> {
    let Some(theirs) = subdistrict_id else {
        return Err(super::ServiceError::NotFound(missing));
    };
    match caller.subdistrict_id() {
        Some(own) if own != theirs => {
            super::audit::record(
                db,
                now,
                super::audit::Entry::denied(caller.actor(), action).subject(subject, id),
            )
            .await?;
            Err(super::ServiceError::NotFound(missing))
        }
        _ => Ok(()),
    }
}

/// For a page that did not find party `subject`/`id` (`"organization"` or `"merchant"`) among
/// the caller's own: when the party is another subdistrict's, the try is audited (`action`,
/// denied) as [`office_reaches`] does. Returns the "not found" the page answers either way.
pub async fn refuse_unlisted_party(
    db: &sea_orm::DatabaseConnection,
    caller: &Caller,
    action: &str,
    (subject, id): (&str, i64),
    now: chrono::DateTime<chrono::Utc>,
) -> super::ServiceError {
    let place = match subject {
        "organization" => organization::Entity::find_by_id(id)
            .one(db)
            .await
            .map(|o| o.map(|o| o.subdistrict_id)),
        "merchant" => crate::entities::merchant::Entity::find_by_id(id)
            .one(db)
            .await
            .map(|m| m.map(|m| m.subdistrict_id)),
        _ => Ok(None),
    };
    let place = match place {
        Ok(place) => place,
        Err(e) => return e.into(),
    };
    match office_reaches(db, caller, action, (subject, id), place, "party", now).await {
        Err(e) => e,
        Ok(()) => super::ServiceError::NotFound("party"),
    }
}

/// Refuses (and audits) anyone but office staff (the district bureau reads, never changes).
pub(crate) async fn require_admin(
    db: &sea_orm::DatabaseConnection,
    caller: &Caller,
    action: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), super::ServiceError> {
    if matches!(caller, Caller::Admin { .. } | Caller::System) {
        return Ok(());
    }
    super::audit::record(
        db,
        now,
        super::audit::Entry::denied(caller.actor(), action).organization(caller.organization_id()),
    )
    .await?;
    Err(super::ServiceError::Forbidden)
}
