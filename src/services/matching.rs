//! The matching score over the database: the facts [`crate::domain::matching::score`]
//! needs, loaded in a few queries, and a merchant's open needs ordered by it.
//!
//! Ordering stays fast on 100,000 open needs by pre-selecting candidates in SQL: for each
//! (category, community) the merchant's active offers serve, each community it serves,
//! each category it offers, and over all open needs, the oldest urgent and the oldest
//! normal needs (every list walks an index and stops after a few rows). Those few hundred
//! are scored in memory and paged. A need outside every list ranks below all of them on
//! fit or on age and urgency, so the first pages are exact; deep pages are approximate.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, LazyLock, Mutex};

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter, QueryResult, QuerySelect,
    TransactionTrait,
};

use super::ServiceError;
use super::need_cards::{self, NeedCard};
use crate::db;
use crate::domain::credit::BAND_C_FROM;
use crate::domain::matching::{MerchantFacts, NeedFacts, OfferFacts, score};
use crate::domain::time::local_month_start;
use crate::domain::{Category, ClaimStatus, NeedStatus, PartyStatus, Urgency};
use crate::entities::{community, need};

/// Days of claims that count as a merchant's current load.
pub const LOAD_DAYS: i64 = 30;
/// About how many needs are pre-selected for one ordering.
const CANDIDATE_BUDGET: usize = 360;
/// The fewest needs one pre-selection list holds.
const MIN_PER_LIST: usize = 8;
/// Most (category, community) pairs looked at; a merchant serving more still sees its best.
const MAX_PAIRS: usize = 16;

/// A merchant as the score sees it, before its claims are counted.
#[derive(Debug, Clone)]
pub struct MerchantBase {
    /// Its id.
    pub id: i64,
    /// Where the shop is.
    pub community_id: Option<i64>,
    /// The subdistrict of that community.
    pub subdistrict: Option<String>,
    /// Credit, 0–100.
    pub credit: i32,
    /// Active offers.
    pub offers: Vec<OfferBase>,
}

/// An active offer, before its use this month is counted.
#[derive(Debug, Clone)]
pub struct OfferBase {
    /// Category offered.
    pub category: Category,
    /// Units a month.
    pub monthly_capacity: i32,
    /// Communities served.
    pub communities: Vec<i64>,
}

/// What a merchant's claims say: its load and its use of each category this month.
#[derive(Debug, Clone, Default)]
pub struct Usage {
    /// Claims made in the last [`LOAD_DAYS`] days.
    pub recent_claims: u32,
    /// Units claimed this (local) month by category, released and lapsed claims aside.
    pub used_this_month: HashMap<Category, i32>,
}

impl MerchantBase {
    /// The score's view of this merchant given its `usage`.
    pub fn facts(&self, usage: &Usage) -> MerchantFacts {
        MerchantFacts {
            offers: self
                .offers
                .iter()
                .map(|o| OfferFacts {
                    category: o.category,
                    communities: o.communities.clone(),
                    capacity_left: o.monthly_capacity - usage.used_this_month.get(&o.category).copied().unwrap_or(0),
                })
                .collect(),
            community_id: self.community_id,
            subdistrict: self.subdistrict.clone(),
            credit: self.credit,
            recent_claims: usage.recent_claims,
        }
    }
}

/// Every community by id (a small table).
pub async fn communities<C: ConnectionTrait>(conn: &C) -> Result<HashMap<i64, community::Model>, ServiceError> {
    Ok(community::Entity::find()
        .all(conn)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect())
}

/// The fields of a need the score reads.
#[derive(Debug, Clone, PartialEq)]
pub struct NeedRow {
    /// Its id.
    pub id: i64,
    /// Category.
    pub category: Category,
    /// Community id.
    pub community_id: i64,
    /// True when urgent.
    pub urgent: bool,
    /// Units asked for.
    pub quantity: i32,
    /// Units claimed.
    pub claimed: i32,
    /// When it was posted.
    pub created_at: DateTime<Utc>,
}

impl From<&need::Model> for NeedRow {
    fn from(n: &need::Model) -> Self {
        Self {
            id: n.id,
            category: n.category.parse().unwrap_or(Category::Other),
            community_id: n.community_id,
            urgent: n.urgency == Urgency::Urgent.as_str(),
            quantity: n.quantity,
            claimed: n.claimed,
            created_at: n.created_at,
        }
    }
}

/// The score's view of a need at `now`. Its age runs from posting: a need reopened by a
/// lapsed claim has waited all that time.
pub fn need_facts(n: &NeedRow, communities: &HashMap<i64, community::Model>, now: DateTime<Utc>) -> NeedFacts {
    NeedFacts {
        category: n.category,
        community_id: n.community_id,
        subdistrict: communities
            .get(&n.community_id)
            .map(|c| c.subdistrict.clone())
            .unwrap_or_default(),
        urgent: n.urgent,
        age_hours: hours_between(n.created_at, now),
        left: n.quantity - n.claimed,
    }
}

fn hours_between(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    (to - from).num_seconds() as f64 / 3600.0
}

/// An integer column: BIGINT and COUNT read as i64, INTEGER as i32 on PostgreSQL.
fn int(row: &QueryResult, i: usize) -> Result<i64, ServiceError> {
    row.try_get_by_index::<i64>(i)
        .or_else(|_| row.try_get_by_index::<i32>(i).map(i64::from))
        .map_err(|e| ServiceError::Internal(e.to_string()))
}

fn int_opt(row: &QueryResult, i: usize) -> Result<Option<i64>, ServiceError> {
    row.try_get_by_index::<Option<i64>>(i)
        .or_else(|_| row.try_get_by_index::<Option<i32>>(i).map(|v| v.map(i64::from)))
        .map_err(|e| ServiceError::Internal(e.to_string()))
}

fn text(row: &QueryResult, i: usize) -> Result<String, ServiceError> {
    row.try_get_by_index::<String>(i)
        .map_err(|e| ServiceError::Internal(e.to_string()))
}

/// A comma-separated list of ids for an `IN (…)`; ids are integers, so nothing is quoted.
fn id_list(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

/// `column` is one of `ids`, as SQL to put last among a statement's placeholders. On
/// PostgreSQL the ids travel as one value, so the statement's text is the same for any
/// list: it is prepared and planned once per connection, not on every call.
fn merchant_in<C: ConnectionTrait>(conn: &C, column: &str, ids: &[i64], values: &mut Vec<sea_orm::Value>) -> String {
    if conn.get_database_backend() == DbBackend::Postgres {
        values.push(id_list(ids).into());
        format!("{column} = ANY(string_to_array(?, ',')::bigint[])")
    } else {
        format!("{column} IN ({})", id_list(ids))
    }
}

/// Approved merchants with a linked chat and a credit above band D (the ones an alert can
/// reach: a band D merchant hears of no new needs, see [`crate::domain::credit`]), or just
/// `only`, with their active offers: two queries whatever their number.
pub async fn merchants<C: ConnectionTrait>(
    conn: &C,
    communities: &HashMap<i64, community::Model>,
    only: Option<i64>,
) -> Result<Vec<MerchantBase>, ServiceError> {
    let (who, values): (&str, Vec<sea_orm::Value>) = match only {
        Some(id) => ("m.id = ?", vec![id.into()]),
        None => (
            "m.status = ? AND m.telegram_chat_id IS NOT NULL AND m.credit_score >= ?",
            vec![PartyStatus::Approved.as_str().into(), BAND_C_FROM.into()],
        ),
    };
    let sql = format!("SELECT m.id, m.community_id, m.credit_score FROM merchants m WHERE {who} ORDER BY m.id");
    let rows = conn.query_all_raw(db::statement(conn, &sql, values.clone())).await?;
    let mut out: Vec<MerchantBase> = Vec::with_capacity(rows.len());
    let mut at: HashMap<i64, usize> = HashMap::with_capacity(rows.len());
    for row in &rows {
        let id = int(row, 0)?;
        let community_id = int_opt(row, 1)?;
        at.insert(id, out.len());
        out.push(MerchantBase {
            id,
            community_id,
            subdistrict: community_id
                .and_then(|c| communities.get(&c))
                .map(|c| c.subdistrict.clone()),
            credit: i32::try_from(int(row, 2)?).unwrap_or(0),
            offers: Vec::new(),
        });
    }
    let sql = format!(
        "SELECT o.merchant_id, o.id, o.category, o.monthly_capacity, oc.community_id FROM offers o \
         JOIN merchants m ON m.id = o.merchant_id \
         LEFT JOIN offer_communities oc ON oc.offer_id = o.id \
         WHERE o.status = 'active' AND {who} ORDER BY o.id"
    );
    let rows = conn.query_all_raw(db::statement(conn, &sql, values)).await?;
    let mut last_offer = None;
    for row in &rows {
        let Some(&i) = at.get(&int(row, 0)?) else { continue };
        let offer_id = int(row, 1)?;
        let Ok(category) = text(row, 2)?.parse::<Category>() else {
            continue;
        };
        if last_offer != Some(offer_id) {
            last_offer = Some(offer_id);
            out[i].offers.push(OfferBase {
                category,
                monthly_capacity: i32::try_from(int(row, 3)?).unwrap_or(0),
                communities: Vec::new(),
            });
        }
        if let (Some(c), Some(offer)) = (int_opt(row, 4)?, out[i].offers.last_mut()) {
            offer.communities.push(c);
        }
    }
    Ok(out)
}

/// Every alertable merchant (see [`merchants`]), reused while the tables it is read from
/// are unchanged: a one-row fingerprint (counts and checksums of merchants, offers, the
/// communities they serve) is read each time instead of some thousands of rows, so every
/// instance sees a change made by any other at its next call.
pub async fn alertable<C: ConnectionTrait>(
    conn: &C,
    communities: &HashMap<i64, community::Model>,
) -> Result<Arc<Vec<MerchantBase>>, ServiceError> {
    let identity = if conn.get_database_backend() == sea_orm::DbBackend::Postgres {
        "current_database()"
    } else {
        "COALESCE((SELECT file FROM pragma_database_list WHERE name = 'main'), '')"
    };
    let fingerprint = &*FINGERPRINT;
    let sql = format!("SELECT {identity}, {fingerprint}");
    let row = conn
        .query_one_raw(db::statement(conn, &sql, Vec::new()))
        .await?
        .ok_or(ServiceError::Internal("the fingerprint query returned no row".into()))?;
    let (database, fingerprint) = (text(&row, 0)?, text(&row, 1)?);
    if database.is_empty() {
        // An in-memory SQLite database has no name to keep its list under.
        return Ok(Arc::new(merchants(conn, communities, None).await?));
    }
    if let Some((seen, list)) = lock_directory().get(&database)
        && *seen == fingerprint
    {
        return Ok(list.clone());
    }
    let list = Arc::new(merchants(conn, communities, None).await?);
    let mut cache = lock_directory();
    // A process talks to one database (tests: a few); keep the map from growing anyway.
    if cache.len() >= 64 {
        cache.clear();
    }
    cache.insert(database, (fingerprint, list.clone()));
    Ok(list)
}

/// What [`alertable`] reads depends on, as one text: any admission, link, credit, community,
/// offer or served-community change alters it (`updated_at` alone would miss a change
/// stamped with an earlier clock, so checksums of the columns read come with it).
static FINGERPRINT: LazyLock<String> =
    LazyLock::new(|| FINGERPRINT_SQL.replace("{approved}", &format!("'{}'", PartyStatus::Approved.as_str())));

/// [`FINGERPRINT`] before the admission state is filled in from the enum.
const FINGERPRINT_SQL: &str = "\
    CAST((SELECT COUNT(*) FROM merchants) AS TEXT) || '|' || \
    CAST((SELECT COALESCE(SUM(credit_score), 0) FROM merchants) AS TEXT) || '|' || \
    CAST((SELECT COALESCE(SUM(CASE WHEN status = {approved} AND telegram_chat_id IS NOT NULL THEN id * id + id ELSE 0 END), 0) FROM merchants) AS TEXT) || '|' || \
    CAST((SELECT COALESCE(SUM(COALESCE(community_id, 0) * (id + 7)), 0) FROM merchants) AS TEXT) || '|' || \
    COALESCE(CAST((SELECT MAX(updated_at) FROM merchants) AS TEXT), '') || '|' || \
    CAST((SELECT COUNT(*) FROM offers) AS TEXT) || '|' || \
    CAST((SELECT COALESCE(SUM(CASE WHEN status = 'active' THEN id * id + id ELSE 0 END), 0) FROM offers) AS TEXT) || '|' || \
    CAST((SELECT COALESCE(SUM(monthly_capacity * (id + 7)), 0) FROM offers) AS TEXT) || '|' || \
    COALESCE(CAST((SELECT MAX(updated_at) FROM offers) AS TEXT), '') || '|' || \
    CAST((SELECT COUNT(*) FROM offer_communities) AS TEXT) || '|' || \
    CAST((SELECT COALESCE(SUM(offer_id * 1000003 + community_id), 0) FROM offer_communities) AS TEXT) || '|' || \
    CAST((SELECT COUNT(*) FROM communities) AS TEXT)";

type Directory = HashMap<String, (String, Arc<Vec<MerchantBase>>)>;

fn lock_directory() -> std::sync::MutexGuard<'static, Directory> {
    static DIRECTORY: LazyLock<Mutex<Directory>> = LazyLock::new(Mutex::default);
    // A panic while holding it cannot leave a half-written entry: recover the map.
    DIRECTORY.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The load and monthly use of `merchant_ids` at `now` (two grouped queries on the claims
/// index by merchant and time).
pub async fn usage<C: ConnectionTrait>(
    conn: &C,
    merchant_ids: &[i64],
    now: DateTime<Utc>,
) -> Result<HashMap<i64, Usage>, ServiceError> {
    let mut out: HashMap<i64, Usage> = HashMap::new();
    if merchant_ids.is_empty() {
        return Ok(out);
    }
    let since = now - Duration::days(LOAD_DAYS);
    let mut values = vec![since.into()];
    let merchants = merchant_in(conn, "merchant_id", merchant_ids, &mut values);
    let sql =
        format!("SELECT merchant_id, COUNT(*) FROM claims WHERE created_at >= ? AND {merchants} GROUP BY merchant_id");
    for row in conn.query_all_raw(db::statement(conn, &sql, values)).await? {
        out.entry(int(&row, 0)?).or_default().recent_claims = u32::try_from(int(&row, 1)?).unwrap_or(u32::MAX);
    }
    let month = local_month_start(now);
    let mut values = vec![month.into()];
    let merchants = merchant_in(conn, "c.merchant_id", merchant_ids, &mut values);
    let given_back = db::sql_list(ClaimStatus::GIVEN_BACK.map(ClaimStatus::as_str));
    let sql = format!(
        "SELECT c.merchant_id, n.category, SUM(c.quantity) FROM claims c JOIN needs n ON n.id = c.need_id \
         WHERE c.created_at >= ? AND {merchants} AND c.status NOT IN ({given_back}) \
         GROUP BY c.merchant_id, n.category"
    );
    for row in conn.query_all_raw(db::statement(conn, &sql, values)).await? {
        if let Ok(category) = text(&row, 1)?.parse::<Category>() {
            let used = i32::try_from(int(&row, 2)?).unwrap_or(i32::MAX);
            out.entry(int(&row, 0)?)
                .or_default()
                .used_this_month
                .insert(category, used);
        }
    }
    Ok(out)
}

/// The load of `merchant_ids` and their use of `category` this month, at `now`: what the
/// score of a need of that category reads, in one grouped query (the alert ladder scores
/// one need against every shop).
pub async fn usage_for<C: ConnectionTrait>(
    conn: &C,
    merchant_ids: &[i64],
    category: Category,
    now: DateTime<Utc>,
) -> Result<HashMap<i64, Usage>, ServiceError> {
    let mut out: HashMap<i64, Usage> = HashMap::new();
    if merchant_ids.is_empty() {
        return Ok(out);
    }
    let since = now - Duration::days(LOAD_DAYS);
    let month = local_month_start(now);
    let mut values: Vec<sea_orm::Value> = vec![
        since.into(),
        month.into(),
        category.as_str().into(),
        since.min(month).into(),
    ];
    let merchants = merchant_in(conn, "c.merchant_id", merchant_ids, &mut values);
    let given_back = db::sql_list(ClaimStatus::GIVEN_BACK.map(ClaimStatus::as_str));
    let sql = format!(
        "SELECT c.merchant_id, \
         SUM(CASE WHEN c.created_at >= ? THEN 1 ELSE 0 END), \
         SUM(CASE WHEN c.created_at >= ? AND n.category = ? AND c.status NOT IN ({given_back}) \
             THEN c.quantity ELSE 0 END) \
         FROM claims c JOIN needs n ON n.id = c.need_id \
         WHERE c.created_at >= ? AND {merchants} GROUP BY c.merchant_id"
    );
    for row in conn.query_all_raw(db::statement(conn, &sql, values)).await? {
        let entry = out.entry(int(&row, 0)?).or_default();
        entry.recent_claims = u32::try_from(int(&row, 1)?).unwrap_or(u32::MAX);
        let used = i32::try_from(int(&row, 2)?).unwrap_or(i32::MAX);
        if used > 0 {
            entry.used_this_month.insert(category, used);
        }
    }
    Ok(out)
}

/// Filters of a merchant's list of open needs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only this category.
    pub category: Option<Category>,
    /// Only this community.
    pub community_id: Option<i64>,
}

/// One page of a merchant's open needs, best fit first, and whether more follow.
pub async fn ordered_needs(
    db: &DatabaseConnection,
    merchant_id: i64,
    filter: Filter,
    page: u32,
    per_page: u32,
    now: DateTime<Utc>,
) -> Result<(Vec<NeedCard>, bool), ServiceError> {
    let communities = communities(db).await?;
    let merchant = merchants(db, &communities, Some(merchant_id))
        .await?
        .pop()
        .ok_or(ServiceError::NotFound("merchant"))?;
    let usage = usage(db, &[merchant_id], now)
        .await?
        .remove(&merchant_id)
        .unwrap_or_default();
    let facts = merchant.facts(&usage);

    let candidates = preselect(db, &merchant, filter).await?;
    let held = offered_to_others(db, merchant_id, now).await?;
    let mut scored: Vec<(f64, NeedRow)> = candidates
        .into_iter()
        .filter(|n| !held.contains(&n.id))
        .map(|n| (score(&need_facts(&n, &communities, now), &facts), n))
        .collect();
    // Best score first; then the older need, then the lower id, so pages never shuffle.
    scored.sort_by(|(sa, a), (sb, b)| {
        sb.total_cmp(sa)
            .then(a.created_at.cmp(&b.created_at))
            .then(a.id.cmp(&b.id))
    });
    let per_page = per_page.max(1) as usize;
    let start = page as usize * per_page;
    let more = scored.len() > start + per_page;
    let ids: Vec<i64> = scored.iter().skip(start).take(per_page).map(|(_, n)| n.id).collect();
    let mut rows = need::Entity::find()
        .filter(need::Column::Id.is_in(ids.clone()))
        .all(db)
        .await?;
    rows.sort_by_key(|n| ids.iter().position(|id| *id == n.id));
    Ok((need_cards::cards(db, rows).await?, more))
}

/// The periods offered first to another merchant (its sponsor) whose window is still open:
/// few at any time, and read by the partial index on `offer_until`.
async fn offered_to_others(
    db: &DatabaseConnection,
    merchant_id: i64,
    now: DateTime<Utc>,
) -> Result<HashSet<i64>, ServiceError> {
    let ids: Vec<i64> = need::Entity::find()
        .select_only()
        .column(need::Column::Id)
        .filter(need::Column::OfferedTo.is_not_null())
        .filter(need::Column::OfferedTo.ne(merchant_id))
        .filter(need::Column::OfferUntil.gt(now))
        .into_tuple()
        .all(db)
        .await?;
    Ok(ids.into_iter().collect())
}

/// The candidate needs of one merchant's list: the oldest urgent and normal open needs of
/// each list described in the module documentation, in one statement.
async fn preselect(
    db: &DatabaseConnection,
    merchant: &MerchantBase,
    filter: Filter,
) -> Result<Vec<NeedRow>, ServiceError> {
    let mut categories: Vec<Category> = Vec::new();
    let mut served: Vec<i64> = merchant.community_id.into_iter().collect();
    let mut pairs: Vec<(Category, i64)> = Vec::new();
    for o in &merchant.offers {
        if !categories.contains(&o.category) {
            categories.push(o.category);
        }
        for c in &o.communities {
            if !served.contains(c) {
                served.push(*c);
            }
            if !pairs.contains(&(o.category, *c)) {
                pairs.push((o.category, *c));
            }
        }
    }
    pairs.truncate(MAX_PAIRS);
    if let Some(only) = filter.category {
        categories.retain(|c| *c == only);
        pairs.retain(|(c, _)| *c == only);
    }
    if let Some(only) = filter.community_id {
        served.retain(|c| *c == only);
        pairs.retain(|(_, c)| *c == only);
    }
    // Each list comes in two: urgent and normal, so that each walks an index in order.
    let mut lists: Vec<(Option<Category>, Option<i64>)> = Vec::new();
    lists.extend(pairs.iter().map(|(cat, comm)| (Some(*cat), Some(*comm))));
    lists.extend(served.iter().map(|c| (filter.category, Some(*c))));
    lists.extend(categories.iter().map(|c| (Some(*c), filter.community_id)));
    lists.push((filter.category, filter.community_id));
    let per_list = (CANDIDATE_BUDGET / (lists.len() * 2)).max(MIN_PER_LIST);
    let rows = if db.get_database_backend() == DbBackend::Postgres {
        preselect_postgres(db, &lists, per_list).await?
    } else {
        let (union, values) = union_of_lists(&lists, per_list);
        db.query_all_raw(db::statement(db, &union, values)).await?
    };
    let mut out: Vec<NeedRow> = Vec::with_capacity(rows.len());
    let mut seen = HashSet::with_capacity(rows.len());
    for row in &rows {
        let n = need_row(row)?;
        if seen.insert(n.id) {
            out.push(n);
        }
    }
    Ok(out)
}

/// The lists as one UNION ALL with an arm for each list and urgency (SQLite: each arm is a
/// short walk of an index, and a statement SQLite has not seen costs it little).
fn union_of_lists(lists: &[(Option<Category>, Option<i64>)], per_list: usize) -> (String, Vec<sea_orm::Value>) {
    let mut arms = Vec::with_capacity(lists.len() * 2);
    let mut values: Vec<sea_orm::Value> = Vec::new();
    for (i, (category, community)) in lists.iter().enumerate() {
        for urgency in [Urgency::Urgent, Urgency::Normal] {
            let mut sql = format!("SELECT {NEED_ROW} FROM needs WHERE status = ? AND urgency = ?");
            values.push(NeedStatus::Open.as_str().into());
            values.push(urgency.as_str().into());
            if let Some(c) = category {
                sql.push_str(" AND category = ?");
                values.push(c.as_str().into());
            }
            if let Some(c) = community {
                sql.push_str(" AND community_id = ?");
                values.push((*c).into());
            }
            sql.push_str(&format!(" ORDER BY created_at, id LIMIT {per_list}"));
            arms.push(format!("SELECT * FROM ({sql}) AS l{i}{}", urgency.as_str()));
        }
    }
    (arms.join(" UNION ALL "), values)
}

/// One lateral walk of the needs for each row of `lists`, by urgency; `filter` names the
/// list's columns `l.category` and `l.community_id`.
fn lateral_walk(lists: &str, filter: &str) -> String {
    format!(
        "SELECT n.* FROM {lists} CROSS JOIN (VALUES ('{urgent}'), ('{normal}')) AS u(urgency) \
         CROSS JOIN LATERAL (SELECT {NEED_ROW} FROM needs WHERE status = ? AND urgency = u.urgency{filter} \
         ORDER BY created_at, id LIMIT ?) AS n",
        urgent = Urgency::Urgent.as_str(),
        normal = Urgency::Normal.as_str(),
    )
}

/// The statement [`preselect_postgres`] runs: its text is the same for every merchant and
/// filter, so each pooled connection prepares and plans it once.
static LATERAL_LISTS: LazyLock<String> = LazyLock::new(|| {
    [
        lateral_walk(
            "unnest(string_to_array(?, ','), string_to_array(?, ',')::bigint[]) AS l(category, community_id)",
            " AND category = l.category AND community_id = l.community_id",
        ),
        lateral_walk(
            "unnest(string_to_array(?, ',')::bigint[]) AS l(community_id)",
            " AND community_id = l.community_id",
        ),
        lateral_walk(
            "unnest(string_to_array(?, ',')) AS l(category)",
            " AND category = l.category",
        ),
        // The board is one list or none: a flag, not a list, so the planner does not
        // count on many.
        lateral_walk("(SELECT ?::boolean AS wanted) AS l", " AND l.wanted"),
    ]
    .join(" UNION ALL ")
});

/// PostgreSQL: the lists travel as four array values, one for each kind of list (category
/// and community, community, category, neither), so the statement never changes shape. A
/// union with an arm per list had dozens of shapes, and a pooled connection meeting one for
/// the first time paid for preparing and planning it: that was the first page's p99.
async fn preselect_postgres(
    db: &DatabaseConnection,
    lists: &[(Option<Category>, Option<i64>)],
    per_list: usize,
) -> Result<Vec<QueryResult>, ServiceError> {
    let mut pairs = (Vec::new(), Vec::new());
    let mut places = Vec::new();
    let mut kinds = Vec::new();
    let mut everything = false;
    for (category, community) in lists {
        match (category, community) {
            (Some(cat), Some(comm)) => {
                pairs.0.push(cat.as_str().to_owned());
                pairs.1.push(*comm);
            }
            (None, Some(comm)) => places.push(*comm),
            (Some(cat), None) => kinds.push(cat.as_str().to_owned()),
            (None, None) => everything = true,
        }
    }
    let open: sea_orm::Value = NeedStatus::Open.as_str().into();
    let limit: sea_orm::Value = i64::try_from(per_list).unwrap_or(i64::MAX).into();
    let values: Vec<sea_orm::Value> = vec![
        pairs.0.join(",").into(),
        id_list(&pairs.1).into(),
        open.clone(),
        limit.clone(),
        id_list(&places).into(),
        open.clone(),
        limit.clone(),
        kinds.join(",").into(),
        open.clone(),
        limit.clone(),
        everything.into(),
        open,
        limit,
    ];
    // A generic plan from the first run: every walk is an index scan whatever the values,
    // and the first five runs of a prepared statement would otherwise be planned anew. No
    // JIT: a generic plan's guess at the rows can pass its threshold, and compiling costs
    // tens of milliseconds for a statement that reads a few hundred rows by index.
    let txn = db.begin().await?;
    txn.execute_unprepared(
        "SELECT set_config('plan_cache_mode', 'force_generic_plan', true), set_config('jit', 'off', true)",
    )
    .await?;
    let rows = txn.query_all_raw(db::statement(&txn, &LATERAL_LISTS, values)).await?;
    txn.commit().await?;
    Ok(rows)
}

/// The columns [`need_row`] reads, in order.
const NEED_ROW: &str = "id, category, community_id, urgency, quantity, claimed, created_at";

fn need_row(row: &QueryResult) -> Result<NeedRow, ServiceError> {
    Ok(NeedRow {
        id: int(row, 0)?,
        category: text(row, 1)?.parse().unwrap_or(Category::Other),
        community_id: int(row, 2)?,
        urgent: text(row, 3)? == Urgency::Urgent.as_str(),
        quantity: i32::try_from(int(row, 4)?).unwrap_or(0),
        claimed: i32::try_from(int(row, 5)?).unwrap_or(0),
        created_at: row
            .try_get_by_index::<DateTime<Utc>>(6)
            .map_err(|e| ServiceError::Internal(e.to_string()))?,
    })
}
