//! A merchant's notification settings: read (the defaults when none are stored) and
//! changed one step at a time from the bot, each change audited.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, Set};

use super::ServiceError;
use super::audit::{self, Actor, Entry};
use crate::db;
use crate::domain::Category;
use crate::domain::alerts::{AlertMode, AlertSettings, QuietHours, SettingsChange};
use crate::entities::{community, merchant, merchant_alert_setting as row};

/// The settings of `merchant_id`; the defaults when it never changed them.
pub async fn get<C: ConnectionTrait>(conn: &C, merchant_id: i64) -> Result<AlertSettings, ServiceError> {
    Ok(row::Entity::find_by_id(merchant_id)
        .one(conn)
        .await?
        .map(|r| from_row(&r))
        .unwrap_or_default())
}

/// Every stored setting, by merchant (merchants without a row have the defaults).
pub async fn all<C: ConnectionTrait>(conn: &C) -> Result<HashMap<i64, AlertSettings>, ServiceError> {
    Ok(row::Entity::find()
        .all(conn)
        .await?
        .iter()
        .map(|r| (r.merchant_id, from_row(r)))
        .collect())
}

/// Applies `change` to the merchant's settings and stores them.
pub async fn change(
    db: &DatabaseConnection,
    merchant_id: i64,
    change: SettingsChange,
    now: DateTime<Utc>,
) -> Result<AlertSettings, ServiceError> {
    let txn = db::begin_write(db).await?;
    if merchant::Entity::find_by_id(merchant_id).one(&txn).await?.is_none() {
        return Err(ServiceError::NotFound("merchant"));
    }
    if let SettingsChange::ToggleCommunity(id) = change
        && community::Entity::find_by_id(id).one(&txn).await?.is_none()
    {
        return Err(ServiceError::NotFound("community"));
    }
    let current = get(&txn, merchant_id).await?;
    let next = current
        .apply(change)
        .map_err(|e| ServiceError::invalid("alert_settings", e.to_string()))?;
    let model = to_row(merchant_id, &next, now);
    row::Entity::insert(model)
        .on_conflict(
            OnConflict::column(row::Column::MerchantId)
                .update_columns([
                    row::Column::Categories,
                    row::Column::Communities,
                    row::Column::DailyCap,
                    row::Column::QuietStart,
                    row::Column::QuietEnd,
                    row::Column::Mode,
                    row::Column::UrgentAlways,
                    row::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        now,
        Entry::ok(Actor::Merchant(merchant_id), "merchant.alert_settings")
            .subject("merchant", merchant_id)
            .detail(serde_json::json!({ "change": format!("{change:?}") })),
    )
    .await?;
    txn.commit().await?;
    Ok(next)
}

fn from_row(r: &row::Model) -> AlertSettings {
    // The CHECK constraints keep stored values valid; anything unreadable falls back to the
    // default rather than silencing a merchant.
    let defaults = AlertSettings::default();
    let quiet_hours = match (r.quiet_start, r.quiet_end) {
        (Some(start), Some(end)) => match (u16::try_from(start), u16::try_from(end)) {
            (Ok(start), Ok(end)) => QuietHours::new(start, end).ok().or(defaults.quiet_hours),
            _ => defaults.quiet_hours,
        },
        _ => None,
    };
    AlertSettings {
        categories: r
            .categories
            .split(',')
            .filter_map(|c| c.trim().parse::<Category>().ok())
            .collect(),
        communities: r
            .communities
            .split(',')
            .filter_map(|c| c.trim().parse::<i64>().ok())
            .collect(),
        daily_cap: u32::try_from(r.daily_cap).unwrap_or(defaults.daily_cap),
        quiet_hours,
        mode: r.mode.parse().unwrap_or(AlertMode::Instant),
        urgent_always: r.urgent_always,
        other_subdistricts: r.other_subdistricts,
    }
}

fn to_row(merchant_id: i64, s: &AlertSettings, now: DateTime<Utc>) -> row::ActiveModel {
    let join = |parts: Vec<String>| parts.join(",");
    row::ActiveModel {
        merchant_id: Set(merchant_id),
        categories: Set(join(s.categories.iter().map(|c| c.as_str().to_owned()).collect())),
        communities: Set(join(s.communities.iter().map(i64::to_string).collect())),
        daily_cap: Set(i32::try_from(s.daily_cap).unwrap_or(i32::MAX)),
        quiet_start: Set(s.quiet_hours.map(|q| i32::from(q.start()))),
        quiet_end: Set(s.quiet_hours.map(|q| i32::from(q.end()))),
        mode: Set(s.mode.as_str().to_owned()),
        urgent_always: Set(s.urgent_always),
        other_subdistricts: Set(s.other_subdistricts),
        updated_at: Set(now),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_survive_the_row_format() {
        let s = AlertSettings {
            categories: vec![Category::Food, Category::VolunteerHours],
            communities: vec![3, 12],
            daily_cap: 7,
            quiet_hours: Some(QuietHours::new(21 * 60 + 30, 7 * 60).expect("valid")),
            mode: AlertMode::Digest,
            urgent_always: true,
            other_subdistricts: true,
        };
        let now = Utc::now();
        let active = to_row(9, &s, now);
        let model = row::Model {
            merchant_id: 9,
            categories: active.categories.clone().unwrap(),
            communities: active.communities.clone().unwrap(),
            daily_cap: active.daily_cap.clone().unwrap(),
            quiet_start: active.quiet_start.clone().unwrap(),
            quiet_end: active.quiet_end.clone().unwrap(),
            mode: active.mode.clone().unwrap(),
            urgent_always: active.urgent_always.clone().unwrap(),
            other_subdistricts: active.other_subdistricts.clone().unwrap(),
            updated_at: now,
        };
        assert_eq!(model.categories, "food,volunteer_hours");
        assert_eq!(from_row(&model), s);
        let none = AlertSettings {
            quiet_hours: None,
            ..AlertSettings::default()
        };
        let active = to_row(9, &none, now);
        assert_eq!(active.quiet_start.clone().unwrap(), None);
    }
}
