//! Organizations and the communities they serve.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use super::ServiceError;
use super::audit::{self, Actor, Entry};
use super::subdistricts;
use crate::db;
use crate::domain::{Locale, OrgKind, PartyStatus};
use crate::entities::{community, organization};

/// A community, named in both languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Community {
    /// Its id.
    pub id: i64,
    /// Its Chinese name.
    pub name: String,
    /// Its English name.
    pub name_en: String,
    /// Its subdistrict's Chinese name.
    pub subdistrict: String,
    /// Its subdistrict's English name.
    pub subdistrict_en: String,
    /// Its subdistrict.
    pub subdistrict_id: i64,
}

impl Community {
    /// Its name in `locale`.
    pub fn name_in(&self, locale: Locale) -> &str {
        match locale {
            Locale::ZhCn => &self.name,
            Locale::En => &self.name_en,
        }
    }
}

impl From<community::Model> for Community {
    fn from(c: community::Model) -> Self {
        Self {
            id: c.id,
            name: c.name,
            name_en: c.name_en,
            subdistrict: c.subdistrict,
            subdistrict_en: c.subdistrict_en,
            subdistrict_id: c.subdistrict_id,
        }
    }
}

/// Finds the organization called `name`, or creates it approved (the office's own CLI
/// vouches for it) in the only subdistrict, inside the caller's transaction. Returns its id.
pub async fn find_or_create_approved<C: ConnectionTrait>(
    txn: &C,
    name: &str,
    kind: OrgKind,
    now: DateTime<Utc>,
) -> Result<i64, ServiceError> {
    find_or_create_approved_in(txn, name, kind, None, now).await
}

/// [`find_or_create_approved`] in subdistrict `subdistrict_id` (or, when `None`, the only one).
pub async fn find_or_create_approved_in<C: ConnectionTrait>(
    txn: &C,
    name: &str,
    kind: OrgKind,
    subdistrict_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<i64, ServiceError> {
    let name = clean_name("org", name)?;
    if let Some(found) = find_by_name(txn, &name).await? {
        return Ok(found.id);
    }
    let subdistrict_id = match subdistrict_id {
        Some(id) => id,
        None => subdistricts::for_new_party(txn, None, "subdistrict").await?,
    };
    let created = organization::ActiveModel {
        name: Set(name.clone()),
        kind: Set(kind.as_str().to_owned()),
        status: Set(PartyStatus::Approved),
        community_id: Set(None),
        subdistrict_id: Set(subdistrict_id),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    audit::record(
        txn,
        now,
        Entry::ok(Actor::System, "organization.create")
            .subject("organization", created.id)
            .organization(Some(created.id)),
    )
    .await?;
    Ok(created.id)
}

/// The organization called exactly `name`.
pub async fn find_by_name<C: ConnectionTrait>(
    conn: &C,
    name: &str,
) -> Result<Option<organization::Model>, ServiceError> {
    Ok(organization::Entity::find()
        .filter(organization::Column::Name.eq(name))
        .one(conn)
        .await?)
}

/// The community called `name` (in Chinese or English), or an error listing the known ones.
pub async fn community_by_name<C: ConnectionTrait>(conn: &C, name: &str) -> Result<Community, ServiceError> {
    let wanted = name.trim();
    let all = community::Entity::find()
        .order_by_asc(community::Column::Id)
        .all(conn)
        .await?;
    if let Some(found) = all
        .iter()
        .find(|c| c.name == wanted || c.name_en.eq_ignore_ascii_case(wanted))
    {
        return Ok(Community::from(found.clone()));
    }
    let known: Vec<String> = all.iter().map(|c| format!("{} ({})", c.name, c.name_en)).collect();
    let message = if known.is_empty() {
        format!(
            "unknown community `{wanted}`: there are no communities yet; add one with `admin create-community` or load the demo data"
        )
    } else {
        format!("unknown community `{wanted}`; known communities: {}", known.join(", "))
    };
    Err(ServiceError::invalid("community", message))
}

/// Adds a community of a subdistrict; names are unique.
pub async fn create_community(
    db: &sea_orm::DatabaseConnection,
    name: &str,
    name_en: &str,
    subdistrict: &str,
    subdistrict_en: &str,
    now: DateTime<Utc>,
) -> Result<i64, ServiceError> {
    let fields = [
        ("name", name),
        ("name-en", name_en),
        ("subdistrict", subdistrict),
        ("subdistrict-en", subdistrict_en),
    ];
    let mut clean = Vec::with_capacity(4);
    for (field, value) in fields {
        clean.push(clean_name(field, value)?);
    }
    let txn = db::begin_write(db).await?;
    let subdistrict_id = subdistricts::for_new_community(&txn, &clean[2], &clean[3]).await?;
    let created = community::ActiveModel {
        name: Set(clean[0].clone()),
        name_en: Set(clean[1].clone()),
        subdistrict: Set(clean[2].clone()),
        subdistrict_en: Set(clean[3].clone()),
        subdistrict_id: Set(subdistrict_id),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| ServiceError::on_unique(e, format!("a community called `{}` exists already", clean[0])))?;
    audit::record(
        &txn,
        now,
        Entry::ok(Actor::System, "community.create").subject("community", created.id),
    )
    .await?;
    txn.commit().await?;
    Ok(created.id)
}

/// Trims a name and checks it is 1..=100 characters.
pub fn clean_name(field: &'static str, raw: &str) -> Result<String, ServiceError> {
    let name = raw.trim();
    match name.chars().count() {
        0 => Err(ServiceError::invalid(field, "must not be empty")),
        1..=100 => Ok(name.to_owned()),
        _ => Err(ServiceError::invalid(field, "must have at most 100 characters")),
    }
}

/// Every community, by id.
pub async fn communities<C: ConnectionTrait>(conn: &C) -> Result<Vec<Community>, ServiceError> {
    Ok(community::Entity::find()
        .order_by_asc(community::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(Community::from)
        .collect())
}
