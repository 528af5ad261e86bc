//! A need as merchants and everyone else allowed to see it see it: public fields and
//! counters only. Needs, claims, matching and alerts all show needs this way, so it sits
//! below them all.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};

use super::ServiceError;
use super::access::Caller;
use super::audit::{self, Entry};
use crate::domain::{BeneficiaryGroup, Category, NeedStatus, Urgency};
use crate::entities::{beneficiary, claim, community, drop_off_point, need};

/// A drop-off point as shown on a card: a public place, never a home.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DropOff {
    /// Name of the point.
    pub name: String,
    /// Its public address.
    pub address: String,
    /// When it is open.
    pub opening_hours: String,
}

impl From<&drop_off_point::Model> for DropOff {
    fn from(p: &drop_off_point::Model) -> Self {
        DropOff {
            name: p.name.clone(),
            address: p.address.clone(),
            opening_hours: p.opening_hours.clone(),
        }
    }
}

/// A need as anyone allowed to see it sees it: public fields and counters only — no name,
/// phone, address or beneficiary code of the person helped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeedCard {
    /// The need's id.
    pub id: i64,
    /// The organization that posted it.
    pub organization_id: i64,
    /// What kind of help.
    pub category: Category,
    /// Public title.
    pub title: String,
    /// Public description.
    pub description: String,
    /// Units asked for.
    pub quantity: i32,
    /// Units held by live claims.
    pub claimed: i32,
    /// Units confirmed delivered.
    pub delivered: i32,
    /// The unit.
    pub unit: String,
    /// Where it stands.
    pub status: NeedStatus,
    /// How soon.
    pub urgency: Urgency,
    /// Last useful day.
    pub deadline: NaiveDate,
    /// The community's id.
    pub community_id: i64,
    /// The community, in Chinese and English.
    pub community: (String, String),
    /// The beneficiary's group.
    pub group: BeneficiaryGroup,
    /// Where to hand goods over.
    pub drop_off: Option<DropOff>,
    /// The drop-off point's id.
    pub drop_off_point_id: Option<i64>,
    /// Estimated value in cents, for reports; `None` when unknown.
    pub estimated_value_cents: Option<i64>,
    /// Days a claimant has to deliver.
    pub claim_days: i32,
    /// When it was posted.
    pub created_at: DateTime<Utc>,
}

impl NeedCard {
    /// Units not yet claimed.
    pub fn left(&self) -> i32 {
        self.quantity - self.claimed
    }
}

/// The needs merchant `merchant_id` may find and claim as of `now`: any need but a period
/// offered first to another merchant (its sponsor) whose renewal window is still open.
pub fn in_pool_for(merchant_id: i64, now: DateTime<Utc>) -> Condition {
    Condition::any()
        .add(need::Column::OfferedTo.is_null())
        .add(need::Column::OfferedTo.eq(merchant_id))
        .add(need::Column::OfferUntil.lte(now))
}

/// [`in_pool_for`] for a need already read.
pub fn pool_holds(n: &need::Model, merchant_id: i64, now: DateTime<Utc>) -> bool {
    match (n.offered_to, n.offer_until) {
        (Some(sponsor), Some(until)) => sponsor == merchant_id || until <= now,
        _ => true,
    }
}

/// Reads one need the caller may see, as a card. Merchants see open needs and needs they
/// hold a claim on; organizations their own; the office all.
pub async fn get_need(
    db: &DatabaseConnection,
    caller: &Caller,
    need_id: i64,
    now: DateTime<Utc>,
) -> Result<NeedCard, ServiceError> {
    super::access::refuse_district(db, caller, "need.read", now).await?;
    let found = need::Entity::find_by_id(need_id).one(db).await?;
    let visible = match (&found, caller.merchant_id()) {
        (Some(n), Some(merchant_id)) => {
            (n.status == NeedStatus::Open && pool_holds(n, merchant_id, now))
                || claim::Entity::find()
                    .filter(claim::Column::NeedId.eq(n.id))
                    .filter(claim::Column::MerchantId.eq(merchant_id))
                    .one(db)
                    .await?
                    .is_some()
        }
        (Some(n), None) => caller.org_scope().permits(db, n.organization_id).await?,
        (None, _) => false,
    };
    match found {
        Some(n) if visible => cards(db, vec![n]).await?.pop().ok_or(ServiceError::NotFound("need")),
        _ => {
            if found.is_some() {
                audit::record(
                    db,
                    now,
                    Entry::denied(caller.actor(), "need.read").subject("need", need_id),
                )
                .await?;
            }
            Err(ServiceError::NotFound("need"))
        }
    }
}

/// The card of need `id`.
pub(super) async fn card_by_id<C: ConnectionTrait>(conn: &C, id: i64) -> Result<NeedCard, ServiceError> {
    let row = need::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(ServiceError::NotFound("need"))?;
    cards(conn, vec![row])
        .await?
        .pop()
        .ok_or(ServiceError::NotFound("need"))
}

/// Turns rows into cards, looking communities, groups and drop-off points up in batches.
pub async fn cards<C: ConnectionTrait>(conn: &C, rows: Vec<need::Model>) -> Result<Vec<NeedCard>, ServiceError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let community_ids: Vec<i64> = rows.iter().map(|n| n.community_id).collect();
    let communities: HashMap<i64, community::Model> = community::Entity::find()
        .filter(community::Column::Id.is_in(community_ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let beneficiary_ids: Vec<i64> = rows.iter().map(|n| n.beneficiary_id).collect();
    let groups: HashMap<i64, String> = beneficiary::Entity::find()
        .select_only()
        .column(beneficiary::Column::Id)
        .column(beneficiary::Column::BeneficiaryGroup)
        .filter(beneficiary::Column::Id.is_in(beneficiary_ids))
        .into_tuple::<(i64, String)>()
        .all(conn)
        .await?
        .into_iter()
        .collect();
    let point_ids: Vec<i64> = rows.iter().filter_map(|n| n.drop_off_point_id).collect();
    let points: HashMap<i64, drop_off_point::Model> = if point_ids.is_empty() {
        HashMap::new()
    } else {
        drop_off_point::Entity::find()
            .filter(drop_off_point::Column::Id.is_in(point_ids))
            .all(conn)
            .await?
            .into_iter()
            .map(|p| (p.id, p))
            .collect()
    };
    rows.into_iter()
        .map(|n| {
            let community = communities
                .get(&n.community_id)
                .map(|c| (c.name.clone(), c.name_en.clone()))
                .unwrap_or_default();
            let group = groups
                .get(&n.beneficiary_id)
                .and_then(|g| g.parse().ok())
                .unwrap_or(BeneficiaryGroup::Other);
            let drop_off = n.drop_off_point_id.and_then(|id| points.get(&id)).map(DropOff::from);
            Ok(NeedCard {
                id: n.id,
                organization_id: n.organization_id,
                category: n
                    .category
                    .parse()
                    .map_err(|e: crate::domain::UnknownVariant| ServiceError::Internal(e.to_string()))?,
                title: n.title,
                description: n.description,
                quantity: n.quantity,
                claimed: n.claimed,
                delivered: n.delivered,
                unit: n.unit,
                status: n.status,
                urgency: n
                    .urgency
                    .parse()
                    .map_err(|e: crate::domain::UnknownVariant| ServiceError::Internal(e.to_string()))?,
                deadline: n.deadline,
                community_id: n.community_id,
                community,
                group,
                drop_off,
                drop_off_point_id: n.drop_off_point_id,
                estimated_value_cents: n.estimated_value_cents,
                claim_days: n.claim_days,
                created_at: n.created_at,
            })
        })
        .collect()
}
