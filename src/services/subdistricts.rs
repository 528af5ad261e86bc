//! The district's subdistricts (街道): where a community, a party and an office account belong.
//!
//! A subdistrict is made by the first community that names it. Parties created before any
//! community (a fresh install's first accounts) go to one *provisional* subdistrict, which
//! the first community then names, so that every party always has a subdistrict and no
//! office ever sees parties of no subdistrict.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use super::ServiceError;
use super::audit::{self, Actor, Entry};
use crate::db;
use crate::domain::Locale;
use crate::entities::{community, district, subdistrict};

/// Names of the provisional subdistrict, until the first community names it.
const PROVISIONAL: (&str, &str) = ("本街道", "The subdistrict");

/// A subdistrict as lists and filters show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubdistrictView {
    /// Its id.
    pub id: i64,
    /// Chinese name.
    pub name: String,
    /// English name.
    pub name_en: String,
}

impl SubdistrictView {
    /// Its name in `locale`.
    pub fn name_in(&self, locale: Locale) -> &str {
        match locale {
            Locale::ZhCn => &self.name,
            Locale::En => &self.name_en,
        }
    }
}

/// The district and its subdistricts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistrictView {
    /// Chinese name.
    pub name: String,
    /// English name.
    pub name_en: String,
    /// Its subdistricts, in the order they were made.
    pub subdistricts: Vec<SubdistrictView>,
}

impl DistrictView {
    /// Its name in `locale`.
    pub fn name_in(&self, locale: Locale) -> &str {
        match locale {
            Locale::ZhCn => &self.name,
            Locale::En => &self.name_en,
        }
    }

    /// The subdistrict with this id, if it is one of the district's.
    pub fn subdistrict(&self, id: i64) -> Option<&SubdistrictView> {
        self.subdistricts.iter().find(|s| s.id == id)
    }
}

/// The district and every subdistrict of it, by id (public: names only).
pub async fn district<C: ConnectionTrait>(conn: &C) -> Result<DistrictView, ServiceError> {
    let (name, name_en) = district::Entity::find()
        .order_by_asc(district::Column::Id)
        .one(conn)
        .await?
        .map(|d| (d.name, d.name_en))
        .unwrap_or_default();
    let subdistricts = subdistrict::Entity::find()
        .order_by_asc(subdistrict::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(|s| SubdistrictView {
            id: s.id,
            name: s.name,
            name_en: s.name_en,
        })
        .collect();
    Ok(DistrictView {
        name,
        name_en,
        subdistricts,
    })
}

/// The subdistrict called `name` (its Chinese name, or its English name in any case).
pub async fn by_name<C: ConnectionTrait>(conn: &C, name: &str) -> Result<Option<i64>, ServiceError> {
    let name = name.trim();
    // A district has a handful of subdistricts.
    Ok(subdistrict::Entity::find()
        .order_by_asc(subdistrict::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .find(|s| s.name == name || s.name_en.eq_ignore_ascii_case(name))
        .map(|s| s.id))
}

/// The subdistrict of community `community_id`.
pub async fn of_community<C: ConnectionTrait>(conn: &C, community_id: i64) -> Result<Option<i64>, ServiceError> {
    Ok(community::Entity::find_by_id(community_id)
        .select_only()
        .column(community::Column::SubdistrictId)
        .into_tuple::<i64>()
        .one(conn)
        .await?)
}

/// The subdistrict a new party (organization, merchant) or office account belongs to:
/// `community_id`'s when given; otherwise the only subdistrict there is, or the provisional
/// one when there is none yet. With several subdistricts and no community, the caller must
/// say where (refused, naming `field`).
pub(crate) async fn for_new_party<C: ConnectionTrait>(
    conn: &C,
    community_id: Option<i64>,
    field: &'static str,
) -> Result<i64, ServiceError> {
    if let Some(community_id) = community_id {
        return of_community(conn, community_id)
            .await?
            .ok_or_else(|| ServiceError::invalid(field, format!("no community has id {community_id}")));
    }
    let ids: Vec<i64> = subdistrict::Entity::find()
        .select_only()
        .column(subdistrict::Column::Id)
        .order_by_asc(subdistrict::Column::Id)
        .limit(2)
        .into_tuple()
        .all(conn)
        .await?;
    match ids.as_slice() {
        [only] => Ok(*only),
        [] => provisional(conn).await,
        _ => Err(ServiceError::invalid(
            field,
            "there are several subdistricts: say which one (its community or its subdistrict)",
        )),
    }
}

/// The district's id (the migration made one).
async fn district_id<C: ConnectionTrait>(conn: &C) -> Result<i64, ServiceError> {
    district::Entity::find()
        .select_only()
        .column(district::Column::Id)
        .order_by_asc(district::Column::Id)
        .into_tuple::<i64>()
        .one(conn)
        .await?
        .ok_or_else(|| ServiceError::Internal("the district row is missing: run the migrations".into()))
}

/// Makes (once, whoever races) the provisional subdistrict and returns it.
async fn provisional<C: ConnectionTrait>(conn: &C) -> Result<i64, ServiceError> {
    let district_id = district_id(conn).await?;
    subdistrict::Entity::insert(subdistrict::ActiveModel {
        district_id: Set(district_id),
        name: Set(PROVISIONAL.0.into()),
        name_en: Set(PROVISIONAL.1.into()),
        provisional: Set(true),
        ..Default::default()
    })
    .on_conflict(OnConflict::column(subdistrict::Column::Name).do_nothing().to_owned())
    .try_insert()
    .exec(conn)
    .await?;
    subdistrict::Entity::find()
        .filter(subdistrict::Column::Name.eq(PROVISIONAL.0))
        .select_only()
        .column(subdistrict::Column::Id)
        .into_tuple::<i64>()
        .one(conn)
        .await?
        .ok_or_else(|| ServiceError::Internal("the provisional subdistrict vanished".into()))
}

/// The subdistrict a new community names: the one of that name; else the provisional one,
/// named now, when it is the only subdistrict; else a new one.
pub(crate) async fn for_new_community<C: ConnectionTrait>(
    conn: &C,
    name: &str,
    name_en: &str,
) -> Result<i64, ServiceError> {
    if let Some(id) = subdistrict::Entity::find()
        .filter(subdistrict::Column::Name.eq(name))
        .one(conn)
        .await?
        .map(|s| s.id)
    {
        return Ok(id);
    }
    let existing = subdistrict::Entity::find()
        .order_by_asc(subdistrict::Column::Id)
        .limit(2)
        .all(conn)
        .await?;
    if let [only] = existing.as_slice()
        && only.provisional
    {
        let mut named: subdistrict::ActiveModel = only.clone().into();
        named.name = Set(name.to_owned());
        named.name_en = Set(name_en.to_owned());
        named.provisional = Set(false);
        return Ok(named.update(conn).await?.id);
    }
    let created = subdistrict::ActiveModel {
        district_id: Set(district_id(conn).await?),
        name: Set(name.to_owned()),
        name_en: Set(name_en.to_owned()),
        provisional: Set(false),
        ..Default::default()
    }
    .insert(conn)
    .await
    .map_err(|e| ServiceError::on_unique(e, format!("a subdistrict called `{name}` exists already")))?;
    Ok(created.id)
}

/// Names the district (e.g. 盐田区 / Yantian), for the reports and the transparency page.
pub async fn name_district(
    db: &DatabaseConnection,
    name: &str,
    name_en: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let mut errors = crate::domain::input::FieldErrors::default();
    let name = errors.check("name", crate::domain::input::text(name, 1, 100));
    let name_en = errors.check("name-en", crate::domain::input::text(name_en, 1, 100));
    let (Some(name), Some(name_en)) = (name, name_en) else {
        return Err(ServiceError::Validation(errors));
    };
    let txn = db::begin_write(db).await?;
    let id = district_id(&txn).await?;
    district::Entity::update_many()
        .col_expr(district::Column::Name, Expr::val(name.clone()))
        .col_expr(district::Column::NameEn, Expr::val(name_en))
        .filter(district::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        now,
        Entry::ok(Actor::System, "district.name").subject("district", id),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// How many subdistricts there are (a single one needs no filter on any page).
pub async fn count<C: ConnectionTrait>(conn: &C) -> Result<u64, ServiceError> {
    Ok(subdistrict::Entity::find().count(conn).await?)
}
