//! The resource library (爱心资源库): every approved merchant's active standing offers that a
//! social worker, an organization's system or the office may draw on — their own
//! subdistrict's merchants, and those of other subdistricts who opted in to the district's
//! other subdistricts. Read only; the rules are in `domain::library`.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::ServiceError;
use super::access::Caller;
use super::organizations::Community;
use crate::domain::library::{capacity_left, visible_to};
use crate::domain::time::local_month_start;
use crate::domain::{Category, ClaimStatus, PartyStatus};
use crate::entities::{claim, community, merchant, merchant_alert_setting, need, offer, offer_community, organization};

/// What the reader narrows the library to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LibraryFilter {
    /// Only offers of this category.
    pub category: Option<Category>,
    /// Only offers serving this community.
    pub community_id: Option<i64>,
    /// Only offers with capacity left this month.
    pub with_capacity: bool,
}

/// One offer as the library shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LibraryOffer {
    /// The offer.
    pub offer_id: i64,
    /// Its merchant.
    pub merchant_id: i64,
    /// The merchant's shop name.
    pub merchant_name: String,
    /// The merchant's current credit score (0–100).
    pub credit_score: i32,
    /// The merchant's subdistrict.
    pub subdistrict_id: i64,
    /// Its name (Chinese, English).
    pub subdistrict: (String, String),
    /// False for a merchant of another subdistrict who opted in.
    pub home: bool,
    /// What kind of help.
    pub category: Category,
    /// What is offered.
    pub description: String,
    /// Units a month.
    pub monthly_capacity: i32,
    /// Units left this month (see `domain::library`).
    pub left: i32,
    /// Communities served.
    pub communities: Vec<Community>,
}

/// One page of the library.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LibraryPage {
    /// The offers, own subdistrict first, then by shop name.
    pub items: Vec<LibraryOffer>,
    /// The page shown, from 1.
    pub page: u64,
    /// Offers matching the filter on every page.
    pub total: u64,
    /// True when a further page exists.
    pub has_next: bool,
}

/// The subdistrict whose library `caller` reads (`None`: the whole district); merchants are
/// refused, as the library is the givers' directory for those who ask.
pub async fn reader_subdistrict<C: ConnectionTrait>(db: &C, caller: &Caller) -> Result<Option<i64>, ServiceError> {
    match *caller {
        Caller::Admin { subdistrict_id, .. } => Ok(Some(subdistrict_id)),
        Caller::SocialWorker { organization_id, .. } | Caller::Organization { organization_id, .. } => {
            let subdistrict = organization::Entity::find_by_id(organization_id)
                .select_only()
                .column(organization::Column::SubdistrictId)
                .into_tuple::<i64>()
                .one(db)
                .await?
                .ok_or(ServiceError::NotFound("organization"))?;
            Ok(Some(subdistrict))
        }
        Caller::District { .. } | Caller::System => Ok(None),
        Caller::Merchant { .. } => Err(ServiceError::Forbidden),
    }
}

/// The library as `caller` may read it, narrowed by `filter`, page `page` (from 1) of
/// `per_page` rows. Offers are few (a merchant has a handful), so the capacity left is
/// computed for every matching offer before the page is cut, which keeps "has capacity
/// left" an honest filter.
pub async fn browse(
    db: &DatabaseConnection,
    caller: &Caller,
    filter: LibraryFilter,
    page: u64,
    per_page: u64,
    now: DateTime<Utc>,
) -> Result<LibraryPage, ServiceError> {
    let reader = reader_subdistrict(db, caller).await?;
    let all = offers_for(db, reader, filter, now).await?;
    let per_page = per_page.max(1);
    let page = page.max(1);
    let total = all.len() as u64;
    let skip = usize::try_from((page - 1).saturating_mul(per_page)).unwrap_or(usize::MAX);
    let take = usize::try_from(per_page).unwrap_or(usize::MAX);
    let items: Vec<LibraryOffer> = all.into_iter().skip(skip).take(take).collect();
    Ok(LibraryPage {
        has_next: (page.saturating_mul(per_page)) < total,
        items,
        page,
        total,
    })
}

/// Every offer of the library of `reader` (see [`browse`]) matching `filter`, sorted.
pub async fn offers_for<C: ConnectionTrait>(
    db: &C,
    reader: Option<i64>,
    filter: LibraryFilter,
    now: DateTime<Utc>,
) -> Result<Vec<LibraryOffer>, ServiceError> {
    let opted_in: HashSet<i64> = merchant_alert_setting::Entity::find()
        .select_only()
        .column(merchant_alert_setting::Column::MerchantId)
        .filter(merchant_alert_setting::Column::OtherSubdistricts.eq(true))
        .into_tuple::<i64>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let merchants: HashMap<i64, merchant::Model> = merchant::Entity::find()
        .filter(merchant::Column::Status.eq(PartyStatus::Approved))
        .all(db)
        .await?
        .into_iter()
        .filter(|m| visible_to(reader, m.subdistrict_id, opted_in.contains(&m.id)))
        .map(|m| (m.id, m))
        .collect();
    if merchants.is_empty() {
        return Ok(Vec::new());
    }
    let merchant_ids: Vec<i64> = merchants.keys().copied().collect();

    let mut offers = offer::Entity::find()
        .filter(offer::Column::MerchantId.is_in(merchant_ids.clone()))
        .filter(offer::Column::Status.eq("active"))
        .order_by_asc(offer::Column::Id);
    if let Some(category) = filter.category {
        offers = offers.filter(offer::Column::Category.eq(category.as_str()));
    }
    if let Some(community_id) = filter.community_id {
        offers = offers.filter(
            offer::Column::Id.in_subquery(
                Query::select()
                    .column(offer_community::Column::OfferId)
                    .from(offer_community::Entity)
                    .and_where(offer_community::Column::CommunityId.eq(community_id))
                    .to_owned(),
            ),
        );
    }
    let offers = offers.all(db).await?;
    if offers.is_empty() {
        return Ok(Vec::new());
    }

    let used = claimed_this_month(db, &merchant_ids, now).await?;
    let served = communities_of(db, offers.iter().map(|o| o.id).collect()).await?;
    let subdistricts: HashMap<i64, (String, String)> = crate::entities::subdistrict::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, (s.name, s.name_en)))
        .collect();

    let mut out = Vec::with_capacity(offers.len());
    for row in offers {
        let Some(m) = merchants.get(&row.merchant_id) else {
            continue;
        };
        let category: Category = row
            .category
            .parse()
            .map_err(|e: crate::domain::UnknownVariant| ServiceError::Internal(e.to_string()))?;
        let left = capacity_left(
            row.monthly_capacity,
            used.get(&(row.merchant_id, category)).copied().unwrap_or(0),
        );
        if filter.with_capacity && left == 0 {
            continue;
        }
        out.push(LibraryOffer {
            offer_id: row.id,
            merchant_id: m.id,
            merchant_name: m.name.clone(),
            credit_score: m.credit_score,
            subdistrict_id: m.subdistrict_id,
            subdistrict: subdistricts.get(&m.subdistrict_id).cloned().unwrap_or_default(),
            home: reader.is_none_or(|own| own == m.subdistrict_id),
            category,
            description: row.description,
            monthly_capacity: row.monthly_capacity,
            left,
            communities: served.get(&row.id).cloned().unwrap_or_default(),
        });
    }
    out.sort_by(|a, b| {
        b.home
            .cmp(&a.home)
            .then_with(|| a.merchant_name.cmp(&b.merchant_name))
            .then_with(|| a.offer_id.cmp(&b.offer_id))
    });
    Ok(out)
}

/// Units each merchant claimed this local month, by the claimed need's category, counting
/// the claims that hold or delivered their units.
async fn claimed_this_month<C: ConnectionTrait>(
    db: &C,
    merchant_ids: &[i64],
    now: DateTime<Utc>,
) -> Result<HashMap<(i64, Category), i64>, ServiceError> {
    let counted: Vec<ClaimStatus> = ClaimStatus::HOLDING.into_iter().chain(ClaimStatus::ARRIVED).collect();
    let claims: Vec<(i64, i64, i32)> = claim::Entity::find()
        .select_only()
        .column(claim::Column::MerchantId)
        .column(claim::Column::NeedId)
        .column(claim::Column::Quantity)
        .filter(claim::Column::MerchantId.is_in(merchant_ids.to_vec()))
        .filter(claim::Column::CreatedAt.gte(local_month_start(now)))
        .filter(claim::Column::Status.is_in(counted))
        .into_tuple()
        .all(db)
        .await?;
    let need_ids: HashSet<i64> = claims.iter().map(|c| c.1).collect();
    let categories: HashMap<i64, String> = need::Entity::find()
        .select_only()
        .column(need::Column::Id)
        .column(need::Column::Category)
        .filter(need::Column::Id.is_in(need_ids))
        .into_tuple::<(i64, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let mut used: HashMap<(i64, Category), i64> = HashMap::new();
    for (merchant_id, need_id, quantity) in claims {
        let Some(category) = categories.get(&need_id).and_then(|c| c.parse::<Category>().ok()) else {
            continue;
        };
        *used.entry((merchant_id, category)).or_default() += i64::from(quantity);
    }
    Ok(used)
}

/// The communities each offer serves, by offer id.
async fn communities_of<C: ConnectionTrait>(
    db: &C,
    offer_ids: Vec<i64>,
) -> Result<HashMap<i64, Vec<Community>>, ServiceError> {
    let links = offer_community::Entity::find()
        .filter(offer_community::Column::OfferId.is_in(offer_ids))
        .all(db)
        .await?;
    let ids: HashSet<i64> = links.iter().map(|l| l.community_id).collect();
    let communities: HashMap<i64, Community> = community::Entity::find()
        .filter(community::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, Community::from(c)))
        .collect();
    let mut out: HashMap<i64, Vec<Community>> = HashMap::new();
    for link in links {
        if let Some(c) = communities.get(&link.community_id) {
            out.entry(link.offer_id).or_default().push(c.clone());
        }
    }
    for list in out.values_mut() {
        list.sort_by_key(|c| c.id);
    }
    Ok(out)
}
