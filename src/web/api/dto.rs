//! The JSON shapes of the API, documented in the OpenAPI document.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::domain::Locale;
use crate::domain::need_input::NeedInput;
use crate::services::claims::ClaimRecord;
use crate::services::needs::{NeedCard, NeedPage};

/// A community, in both languages.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommunityOut {
    /// Chinese name.
    pub name: String,
    /// English name.
    pub name_en: String,
}

/// A public drop-off point.
#[derive(Debug, Serialize, ToSchema)]
pub struct DropOffOut {
    /// Id, to choose the point when posting a need.
    pub id: Option<i64>,
    /// Name of the point.
    pub name: String,
    /// Its public address.
    pub address: String,
    /// When it is open.
    pub opening_hours: String,
}

/// A need card: public fields only, never personal data of the person helped.
#[derive(Debug, Serialize, ToSchema)]
pub struct NeedOut {
    /// Id.
    pub id: i64,
    /// `food`, `daily_goods`, `clothing`, `medicine`, `service`, `tutoring`, `funds`, `volunteer_hours` or `other`.
    pub category: String,
    /// The category's label in the caller's language.
    pub category_label: String,
    /// Public title.
    pub title: String,
    /// Public description.
    pub description: String,
    /// Units asked for.
    pub quantity: i32,
    /// Units claimed by live claims.
    pub claimed: i32,
    /// Units confirmed delivered.
    pub delivered: i32,
    /// Units still unclaimed.
    pub left: i32,
    /// Unit of the quantity.
    pub unit: String,
    /// `open`, `fully_claimed`, `fulfilled`, `cancelled` or `expired`.
    pub status: String,
    /// `normal` or `urgent`.
    pub urgency: String,
    /// Last useful day.
    pub deadline: NaiveDate,
    /// The community.
    pub community: CommunityOut,
    /// The beneficiary's group, e.g. `elderly_alone`.
    pub beneficiary_group: String,
    /// Estimated value in whole yuan, when the organization gave one.
    pub estimated_value: Option<i64>,
    /// Where to hand goods over.
    pub drop_off: Option<DropOffOut>,
    /// When it was posted.
    pub created_at: DateTime<Utc>,
}

impl NeedOut {
    /// The card as JSON in `locale`.
    pub fn from_card(card: NeedCard, locale: Locale) -> Self {
        let left = card.left();
        Self {
            id: card.id,
            category: card.category.as_str().to_owned(),
            category_label: card.category.label(locale).to_owned(),
            title: card.title,
            description: card.description,
            quantity: card.quantity,
            claimed: card.claimed,
            delivered: card.delivered,
            left,
            unit: card.unit,
            status: card.status.as_str().to_owned(),
            urgency: card.urgency.as_str().to_owned(),
            deadline: card.deadline,
            community: CommunityOut {
                name: card.community.0,
                name_en: card.community.1,
            },
            beneficiary_group: card.group.as_str().to_owned(),
            estimated_value: card.estimated_value_cents.map(|c| c / 100),
            drop_off: card.drop_off.map(|d| DropOffOut {
                id: card.drop_off_point_id,
                name: d.name,
                address: d.address,
                opening_hours: d.opening_hours,
            }),
            created_at: card.created_at,
        }
    }
}

/// A page of needs.
#[derive(Debug, Serialize, ToSchema)]
pub struct NeedPageOut {
    /// Most urgent first, then oldest first.
    pub items: Vec<NeedOut>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

impl NeedPageOut {
    /// The page as JSON in `locale`.
    pub fn from_page(page: NeedPage, locale: Locale) -> Self {
        Self {
            items: page.items.into_iter().map(|c| NeedOut::from_card(c, locale)).collect(),
            next_cursor: page.next_cursor,
        }
    }
}

/// Filters and paging of `GET /api/v1/needs`.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct NeedQuery {
    /// Status filter (merchants always see open needs).
    pub status: Option<String>,
    /// Category filter.
    pub category: Option<String>,
    /// Community id filter.
    pub community: Option<String>,
    /// `normal` or `urgent`.
    pub urgency: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1–100 (default 20).
    pub limit: Option<String>,
}

/// A need to post.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewNeedIn {
    /// A beneficiary of the caller's organization.
    pub beneficiary_id: i64,
    /// Category (see `NeedOut.category`).
    pub category: String,
    /// Public title, 2–80 characters, no personal data.
    pub title: String,
    /// Public description, at most 1000 characters, no personal data.
    #[serde(default)]
    pub description: String,
    /// 1–10000.
    pub quantity: i64,
    /// Unit, 1–20 characters.
    pub unit: String,
    /// Last useful day, YYYY-MM-DD, not before today.
    pub deadline: String,
    /// `normal` (default) or `urgent`.
    #[serde(default)]
    pub urgency: Option<String>,
    /// `none` (default), `weekly` or `monthly`.
    #[serde(default)]
    pub recurrence: Option<String>,
    /// For a recurring need, how many periods it runs (1–24); until stopped when absent.
    #[serde(default)]
    pub periods: Option<i64>,
    /// Days a claimant has to deliver, 1–365 (default 7).
    #[serde(default)]
    pub claim_days: Option<i64>,
    /// Estimated value in yuan, for reports.
    #[serde(default)]
    pub estimated_value: Option<i64>,
    /// One of the organization's drop-off points (`drop_off.id` of its needs); its first point when absent.
    #[serde(default)]
    pub drop_off_point_id: Option<i64>,
}

impl From<NewNeedIn> for NeedInput {
    fn from(n: NewNeedIn) -> Self {
        NeedInput {
            beneficiary_id: n.beneficiary_id.to_string(),
            category: n.category,
            title: n.title,
            description: n.description,
            quantity: n.quantity.to_string(),
            unit: n.unit,
            deadline: n.deadline,
            urgency: n.urgency.unwrap_or_default(),
            recurrence: n.recurrence.unwrap_or_default(),
            periods: n.periods.map(|p| p.to_string()).unwrap_or_default(),
            claim_days: n.claim_days.map(|d| d.to_string()).unwrap_or_default(),
            estimated_value: n.estimated_value.map(|v| v.to_string()).unwrap_or_default(),
            drop_off_point_id: n.drop_off_point_id.map(|v| v.to_string()).unwrap_or_default(),
        }
    }
}

/// A claim request.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ClaimIn {
    /// Units to claim, at least 1 and at most what is left.
    pub quantity: i64,
}

/// A claim.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClaimOut {
    /// Id.
    pub id: i64,
    /// The need claimed.
    pub need_id: i64,
    /// The need's public title.
    pub need_title: String,
    /// The merchant.
    pub merchant_id: i64,
    /// The merchant's public name.
    pub merchant_name: String,
    /// Units claimed.
    pub quantity: i32,
    /// Unit.
    pub unit: String,
    /// `active`, `delivered`, `confirmed`, `disputed`, `released` or `lapsed`.
    pub status: String,
    /// Code to show at the drop-off point (only in the merchant's own view).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handoff_code: Option<String>,
    /// Deliver by then.
    pub due_at: DateTime<Utc>,
    /// When the merchant said it delivered.
    pub delivered_at: Option<DateTime<Utc>>,
    /// When the social worker confirmed.
    pub confirmed_at: Option<DateTime<Utc>>,
    /// Rating 1–5 given at confirmation.
    pub rating: Option<i16>,
    /// Why the organization disputed the delivery, if it did.
    pub dispute_reason: Option<String>,
    /// The merchant's note when it delivered again after the dispute.
    pub dispute_answer: Option<String>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
}

impl From<ClaimRecord> for ClaimOut {
    fn from(c: ClaimRecord) -> Self {
        Self {
            id: c.id,
            need_id: c.need_id,
            need_title: c.need_title,
            merchant_id: c.merchant_id,
            merchant_name: c.merchant_name,
            quantity: c.quantity,
            unit: c.unit,
            status: c.status.as_str().to_owned(),
            handoff_code: c.handoff_code,
            due_at: c.due_at,
            delivered_at: c.delivered_at,
            confirmed_at: c.confirmed_at,
            rating: c.rating,
            dispute_reason: c.dispute_reason,
            dispute_answer: c.dispute_answer,
            created_at: c.created_at,
        }
    }
}

/// Filters of `GET /api/v1/claims`.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct ClaimQuery {
    /// Status filter.
    pub status: Option<String>,
    /// How many, 1–500 (default 100).
    pub limit: Option<String>,
}

/// A confirmation of delivery.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ConfirmIn {
    /// Rating of the merchant, 1–5.
    #[serde(default)]
    pub rating: Option<i64>,
    /// The handoff code the merchant showed; with it an active claim is confirmed directly.
    #[serde(default)]
    pub handoff_code: Option<String>,
}

/// Why a need is cancelled.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct CancelIn {
    /// Told to the merchants whose claims end and written to the audit log (required; no
    /// personal data).
    #[serde(default)]
    pub reason: String,
}

/// A dispute of a delivery.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct DisputeIn {
    /// What was wrong (shown to the merchant; no personal data).
    #[serde(default)]
    pub reason: String,
}

/// How a disputed delivery is settled.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ResolveIn {
    /// `confirm` (it arrived after all), `redeliver` (the merchant delivers again, with a
    /// fresh due date) or `release` (the claim ends; its quantity is claimable again).
    #[serde(default)]
    #[schema(example = "redeliver")]
    pub resolution: String,
}

/// What a merchant may add when it says it delivered (the body is optional).
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct DeliveredIn {
    /// A note for the social worker, e.g. where the goods were left (no personal data). After
    /// a dispute it is the merchant's answer to it.
    #[serde(default)]
    pub note: String,
}
