//! The resource library (爱心资源库): merchants' standing offers a social worker or the office
//! may draw on, with filters and paging.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use serde::Deserialize;

use super::{Chrome, Options, OrPage, PageResult, enum_options, render};
use crate::AppState;
use crate::domain::Category;
use crate::domain::library::PAGE_SIZE;
use crate::i18n::Tr;
use crate::services::library::{self, LibraryFilter, LibraryOffer};
use crate::services::organizations::{self, Community};
use crate::web::session::Staff;

/// An offer as a card of the library shows it, labelled.
pub struct OfferItem {
    merchant: String,
    category: String,
    description: String,
    capacity: String,
    left: String,
    has_left: bool,
    communities: String,
    credit: String,
    /// "Haishan subdistrict" for an opted-in merchant of another subdistrict; empty at home.
    elsewhere: String,
}

impl OfferItem {
    /// Labels `o` in `t`'s language.
    pub fn new(t: Tr, o: &LibraryOffer) -> Self {
        let names: Vec<&str> = o.communities.iter().map(|c| c.name_in(t.0)).collect();
        let subdistrict = if t.0 == crate::domain::Locale::En {
            &o.subdistrict.1
        } else {
            &o.subdistrict.0
        };
        OfferItem {
            merchant: o.merchant_name.clone(),
            category: o.category.label(t.0).to_owned(),
            description: o.description.clone(),
            capacity: t.fill("library.capacity", &[("n", &o.monthly_capacity.to_string())]),
            left: t.fill("library.left", &[("n", &o.left.to_string())]),
            has_left: o.left > 0,
            communities: names.join(t.get("list.separator")),
            credit: t.fill("library.credit", &[("score", &o.credit_score.to_string())]),
            elsewhere: if o.home {
                String::new()
            } else {
                t.fill("library.elsewhere", &[("subdistrict", subdistrict)])
            },
        }
    }
}

#[derive(Template)]
#[template(path = "resources.html")]
struct ResourcesPage {
    c: Chrome,
    offers: Vec<OfferItem>,
    categories: Options,
    communities: Options,
    with_capacity: bool,
    summary: String,
    prev: String,
    next: String,
}

/// Filters and page of the library, as in the query string.
#[derive(Debug, Default, Deserialize)]
pub struct ResourcesQuery {
    #[serde(default)]
    category: String,
    #[serde(default)]
    community: String,
    #[serde(default)]
    left: String,
    #[serde(default)]
    page: String,
}

/// `GET /resources`: the library with filters and paging.
pub async fn list(State(state): State<AppState>, staff: Staff, Query(q): Query<ResourcesQuery>) -> PageResult {
    let t = staff.t;
    let filter = LibraryFilter {
        category: q.category.parse().ok(),
        community_id: q.community.parse().ok(),
        with_capacity: q.left == "1",
    };
    let page_no = q.page.parse::<u64>().ok().filter(|p| *p >= 1).unwrap_or(1);
    let page = library::browse(&state.db, &staff.caller, filter, page_no, PAGE_SIZE, chrono::Utc::now())
        .await
        .or_page(t)?;
    let communities = organizations::communities(&state.db).await.or_page(t)?;
    let link = |n: u64| {
        let query = [
            ("category", q.category.as_str()),
            ("community", q.community.as_str()),
            ("left", q.left.as_str()),
            ("page", &n.to_string()),
        ]
        .iter()
        .map(|(k, v)| format!("{k}={}", form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>()))
        .collect::<Vec<_>>()
        .join("&");
        format!("/resources?{query}")
    };
    Ok(render(
        StatusCode::OK,
        ResourcesPage {
            c: Chrome::new(t, &staff.session, "library.title"),
            offers: page.items.iter().map(|o| OfferItem::new(t, o)).collect(),
            categories: with_any(
                t,
                enum_options(Category::ALL, Category::as_str, Category::label, t, &q.category),
            ),
            communities: with_any(t, community_options(t, &communities, &q.community)),
            with_capacity: filter.with_capacity,
            summary: t.fill(
                "library.summary",
                &[("total", &page.total.to_string()), ("page", &page.page.to_string())],
            ),
            prev: if page.page > 1 { link(page.page - 1) } else { String::new() },
            next: if page.has_next { link(page.page + 1) } else { String::new() },
        },
    ))
}

fn with_any(t: Tr, mut options: Options) -> Options {
    let any_selected = !options.iter().any(|o| o.2);
    options.insert(0, (String::new(), t.get("filter.any").to_owned(), any_selected));
    options
}

fn community_options(t: Tr, communities: &[Community], selected: &str) -> Options {
    communities
        .iter()
        .map(|c| (c.id.to_string(), c.name_in(t.0).to_owned(), c.id.to_string() == selected))
        .collect()
}
