//! Who is calling a use case, and what they may see.

use super::audit::Actor;

/// The caller of a use case, as the adapters authenticated it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    /// Office staff: sees and changes everything.
    Admin {
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
    /// Only this organization's.
    Only(i64),
    /// No organization's (merchants see public cards only).
    NoneOf,
}

impl Caller {
    /// The audit actor of this caller.
    pub fn actor(&self) -> Actor {
        match *self {
            Caller::Admin { staff_id } | Caller::SocialWorker { staff_id, .. } => Actor::Staff(staff_id),
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
            Caller::Admin { .. } | Caller::System => OrgScope::All,
            Caller::SocialWorker { organization_id, .. } | Caller::Organization { organization_id, .. } => {
                OrgScope::Only(organization_id)
            }
            Caller::Merchant { .. } => OrgScope::NoneOf,
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
            Caller::Admin { staff_id } | Caller::SocialWorker { staff_id, .. } => Some(staff_id),
            _ => None,
        }
    }
}

impl OrgScope {
    /// True when a record of `organization_id` is within this scope.
    pub fn allows(self, organization_id: i64) -> bool {
        match self {
            OrgScope::All => true,
            OrgScope::Only(id) => id == organization_id,
            OrgScope::NoneOf => false,
        }
    }
}

/// Refuses (and audits) anyone but office staff.
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
