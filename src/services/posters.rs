//! The needs a staff member may print on a poster for on-site claiming: public cards of
//! open needs only, each later shown with a QR code of the bot's deep link.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::ServiceError;
use super::access::{Caller, OrgScope};
use super::need_cards::{NeedCard, cards};
use crate::domain::NeedStatus;
use crate::entities::need;

/// Most needs one poster shows (and ids one request may ask for): a few A4 pages.
pub const MAX_POSTER_NEEDS: usize = 40;

/// The cards of a poster and how many of the needs asked for were left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PosterNeeds {
    /// Open needs the caller may read, urgent first, then by deadline.
    pub cards: Vec<NeedCard>,
    /// Needs asked for by id that are closed, unknown or not the caller's to print.
    pub left_out: usize,
}

/// The open needs for a poster: those of `ids` the caller may read (the rest counted, never
/// named: another organization's answers as a missing one), or without ids the open needs
/// of the caller's organization (the office: its subdistrict's). At most
/// [`MAX_POSTER_NEEDS`], checked before any read.
pub async fn open_needs(
    db: &DatabaseConnection,
    caller: &Caller,
    ids: Option<&[i64]>,
    now: DateTime<Utc>,
) -> Result<PosterNeeds, ServiceError> {
    super::access::refuse_district(db, caller, "need.poster", now).await?;
    let wanted: Option<Vec<i64>> = ids.map(|ids| {
        let mut seen = HashSet::new();
        ids.iter().copied().filter(|id| seen.insert(*id)).collect()
    });
    if wanted.as_ref().is_some_and(|w| w.len() > MAX_POSTER_NEEDS) {
        return Err(ServiceError::invalid(
            "ids",
            format!("a poster shows at most {MAX_POSTER_NEEDS} needs"),
        ));
    }
    let scope = caller.org_scope();
    if scope == OrgScope::NoneOf {
        // Merchants and the bureau print no posters; fail closed whatever the route.
        return Err(ServiceError::Forbidden);
    }
    // A period offered first to its sponsor is not claimable by the merchants who scan.
    let in_pool = Condition::any()
        .add(need::Column::OfferedTo.is_null())
        .add(need::Column::OfferUntil.lte(now));
    let mut query = need::Entity::find()
        .filter(scope.condition(need::Column::OrganizationId))
        .filter(need::Column::Status.eq(NeedStatus::Open))
        .filter(need::Column::Deadline.gte(crate::domain::time::local_date(now)))
        .filter(in_pool);
    if let Some(wanted) = &wanted {
        query = query.filter(need::Column::Id.is_in(wanted.clone()));
    }
    let rows = query
        .order_by_desc(need::Column::Urgency)
        .order_by_asc(need::Column::Deadline)
        .order_by_asc(need::Column::Id)
        .limit(MAX_POSTER_NEEDS as u64)
        .all(db)
        .await?;
    let cards: Vec<NeedCard> = cards(db, rows).await?.into_iter().filter(|c| c.left() >= 1).collect();
    let left_out = wanted.map_or(0, |w| w.len().saturating_sub(cards.len()));
    Ok(PosterNeeds { cards, left_out })
}
