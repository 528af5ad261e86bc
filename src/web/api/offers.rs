//! `/api/v1/offers`: the resource library (爱心资源库) for an organization's systems.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::ApiCaller;
use super::dto::CommunityOut;
use super::problem::{ApiError, Problem, field_error};
use super::{ApiLocale, ApiQuery};
use crate::AppState;
use crate::domain::input::{self, FieldError};
use crate::domain::library::{MAX_PAGE, PAGE_SIZE};
use crate::domain::{Category, Locale};
use crate::services::library::{self, LibraryFilter, LibraryOffer, LibraryPage};

/// Filters and paging of `GET /api/v1/offers`.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct OfferQuery {
    /// Category filter (see `OfferOut.category`).
    pub category: Option<String>,
    /// Community id filter: offers serving this community.
    pub community: Option<String>,
    /// `true`: only offers with capacity left this month.
    pub has_capacity: Option<String>,
    /// Page, from 1 (default 1).
    pub page: Option<String>,
    /// Page size, 1–100 (default 20).
    pub limit: Option<String>,
}

/// A merchant's standing offer in the library.
#[derive(Debug, Serialize, ToSchema)]
pub struct OfferOut {
    /// Offer id.
    pub id: i64,
    /// `food`, `daily_goods`, `clothing`, `medicine`, `service`, `tutoring`, `funds`, `volunteer_hours` or `other`.
    pub category: String,
    /// The category's label in the caller's language.
    pub category_label: String,
    /// What is offered (public text).
    pub description: String,
    /// Units a month.
    pub monthly_capacity: i32,
    /// Units left this local month: the capacity less the merchant's claims this month in the
    /// offer's category that hold or delivered their units.
    pub capacity_left: i32,
    /// Communities served.
    pub communities: Vec<CommunityOut>,
    /// The merchant.
    pub merchant: OfferMerchantOut,
}

/// The merchant behind an offer.
#[derive(Debug, Serialize, ToSchema)]
pub struct OfferMerchantOut {
    /// Merchant id.
    pub id: i64,
    /// Shop name.
    pub name: String,
    /// Credit score, 0–100.
    pub credit_score: i32,
    /// Credit band, `A` (best) to `D`, from the score.
    pub credit_band: String,
    /// Its subdistrict's name in the caller's language.
    pub subdistrict: String,
    /// False for a merchant of another subdistrict who opted in to help across the district.
    pub same_subdistrict: bool,
}

/// A page of offers.
#[derive(Debug, Serialize, ToSchema)]
pub struct OfferPageOut {
    /// The caller's own subdistrict first, then by shop name.
    pub items: Vec<OfferOut>,
    /// The page shown.
    pub page: u64,
    /// Offers matching the filters on every page.
    pub total: u64,
    /// The next page's number; absent on the last page.
    pub next_page: Option<u64>,
}

impl OfferOut {
    fn new(o: LibraryOffer, locale: Locale) -> Self {
        Self {
            id: o.offer_id,
            category: o.category.as_str().to_owned(),
            category_label: o.category.label(locale).to_owned(),
            description: o.description,
            monthly_capacity: o.monthly_capacity,
            capacity_left: o.left,
            communities: o
                .communities
                .into_iter()
                .map(|c| CommunityOut {
                    name: c.name,
                    name_en: c.name_en,
                })
                .collect(),
            merchant: OfferMerchantOut {
                id: o.merchant_id,
                name: o.merchant_name,
                credit_band: crate::domain::credit::CreditBand::of_score(o.credit_score)
                    .letter()
                    .to_owned(),
                credit_score: o.credit_score,
                subdistrict: if locale == Locale::En {
                    o.subdistrict.1
                } else {
                    o.subdistrict.0
                },
                same_subdistrict: o.home,
            },
        }
    }
}

impl OfferPageOut {
    fn new(page: LibraryPage, locale: Locale) -> Self {
        Self {
            next_page: page.has_next.then_some(page.page + 1),
            page: page.page,
            total: page.total,
            items: page.items.into_iter().map(|o| OfferOut::new(o, locale)).collect(),
        }
    }
}

/// Lists the merchants' active standing offers an organization may draw on: approved merchants
/// of its subdistrict, and of other subdistricts who opted in. Merchant tokens are refused.
#[utoipa::path(get, path = "/api/v1/offers", tag = "offers", params(OfferQuery),
    responses((status = 200, body = OfferPageOut), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json", description = "A merchant's token"), (status = 429, body = Problem, content_type = "application/problem+json", description = "Too many requests for this token"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn list_offers(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiLocale(locale): ApiLocale,
    ApiQuery(query): ApiQuery<OfferQuery>,
) -> Result<Json<OfferPageOut>, ApiError> {
    let category = match query.category.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        Some(raw) => Some(
            raw.parse::<Category>()
                .map_err(|_| field_error("category", FieldError::UnknownChoice))?,
        ),
        None => None,
    };
    let with_capacity = match query.has_capacity.as_deref().map(str::trim).unwrap_or("") {
        "" | "false" => false,
        "true" => true,
        _ => return Err(field_error("has_capacity", FieldError::UnknownChoice)),
    };
    let filter = LibraryFilter {
        category,
        community_id: number(query.community.as_deref(), "community", i64::MAX)?,
        with_capacity,
    };
    let page = number(query.page.as_deref(), "page", i64::from(u32::MAX))?.unwrap_or(1) as u64;
    let limit = number(query.limit.as_deref(), "limit", MAX_PAGE as i64)?.map_or(PAGE_SIZE, |l| l as u64);
    let found = library::browse(&state.db, &caller, filter, page, limit, chrono::Utc::now()).await?;
    Ok(Json(OfferPageOut::new(found, locale)))
}

/// A positive whole number from the query, 1–`max`, when given.
fn number(raw: Option<&str>, field: &'static str, max: i64) -> Result<Option<i64>, ApiError> {
    match raw.map(str::trim).filter(|r| !r.is_empty()) {
        Some(raw) => Ok(Some(input::number(raw, 1, max).map_err(|e| field_error(field, e))?)),
        None => Ok(None),
    }
}
