//! The resource library (爱心资源库): merchants' standing offers a social worker or the office
//! may draw on, with filters and paging.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use super::needs::{community_options, with_any};
use super::views::local_time;
use super::{Chrome, Field, Options, OrPage, PageError, PageResult, enum_options, field, render};
use crate::AppState;
use crate::domain::Category;
use crate::domain::credit::CreditBand;
use crate::domain::input::{self, FieldError, FieldErrors};
use crate::domain::library::PAGE_SIZE;
use crate::i18n::Tr;
use crate::services::access::Caller;
use crate::services::directed_requests::{self, Answer, AskError};
use crate::services::library::{self, LibraryFilter, LibraryOffer};
use crate::services::organizations;
use crate::services::{ServiceError, claims, merchants, needs, offers};
use crate::web::session::Staff;

/// An offer as a card of the library shows it, labelled.
pub struct OfferItem {
    /// The shop.
    pub merchant: String,
    /// The category's label.
    pub category: String,
    /// What is offered.
    pub description: String,
    /// "10 a month".
    pub capacity: String,
    /// "6 left this month".
    pub left: String,
    /// True while some is left this month.
    pub has_left: bool,
    /// The communities served, in a line.
    pub communities: String,
    /// "credit score 60".
    pub credit: String,
    /// "Haishan subdistrict" for an opted-in merchant of another subdistrict; empty at home.
    pub elsewhere: String,
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
            credit: t.fill(
                "library.credit",
                &[
                    ("band", CreditBand::of_score(o.credit_score).letter()),
                    ("score", &o.credit_score.to_string()),
                ],
            ),
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
    /// What an empty page means and what to do: no offers at all, or none for the filters.
    empty: String,
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
        .map(|(k, v)| {
            format!(
                "{k}={}",
                form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>()
            )
        })
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
            summary: t.count(
                "library.summary",
                page.total,
                &[("total", &page.total.to_string()), ("page", &page.page.to_string())],
            ),
            empty: t
                .get(
                    if filter.category.is_some() || filter.community_id.is_some() || filter.with_capacity {
                        "library.empty_filtered"
                    } else {
                        "library.empty"
                    },
                )
                .to_owned(),
            prev: if page.page > 1 {
                link(page.page - 1)
            } else {
                String::new()
            },
            next: if page.has_next {
                link(page.page + 1)
            } else {
                String::new()
            },
        },
    ))
}

/// The need page's part of the library: fitting offers to ask, who was asked and their
/// answers, claims the office recorded, and (for the office) the phoned-in claim form.
pub struct NeedLibrary {
    /// (merchant id, the offer, asked already).
    pub fitting: Vec<(i64, OfferItem, bool)>,
    /// (shop, asked at, answer).
    pub asked: Vec<(String, String, String)>,
    /// "Recorded by the office for 〈shop〉: n units".
    pub recorded: Vec<String>,
    /// The office's own approved merchants, for the phoned-in claim form (empty for others).
    pub merchants: Options,
    /// True while the need is open and not wholly claimed: someone may still be asked.
    pub seeking: bool,
}

/// The need page's library part for need `id`, as `staff` may see it.
pub async fn need_library(state: &AppState, staff: &Staff, id: i64) -> Result<NeedLibrary, ServiceError> {
    let t = staff.t;
    let caller = &staff.caller;
    if !matches!(caller, Caller::SocialWorker { .. } | Caller::Admin { .. }) {
        return Ok(NeedLibrary {
            fitting: Vec::new(),
            asked: Vec::new(),
            recorded: Vec::new(),
            merchants: Vec::new(),
            seeking: false,
        });
    }
    let asked = directed_requests::asked(&state.db, caller, id).await?;
    let fitting = directed_requests::fitting(&state.db, caller, id, chrono::Utc::now()).await?;
    let seeking = fitting.is_some();
    let fitting = fitting
        .unwrap_or_default()
        .iter()
        .map(|o| {
            let was_asked = asked.iter().any(|a| a.merchant_id == o.merchant_id);
            (o.merchant_id, OfferItem::new(t, o), was_asked)
        })
        .collect();
    let asked = asked
        .into_iter()
        .map(|a| {
            let answer = match a.answer {
                Answer::Waiting => t.get("ask.waiting").to_owned(),
                Answer::Declined => t.get("ask.declined").to_owned(),
                Answer::Claimed(n) => t.fill("ask.claimed", &[("n", &n.to_string())]),
            };
            (a.merchant_name, local_time(a.at), answer)
        })
        .collect();
    let recorded = directed_requests::recorded(&state.db, caller, id)
        .await?
        .into_iter()
        .map(|r| {
            t.fill(
                "ask.recorded_for",
                &[("shop", &r.merchant_name), ("n", &r.quantity.to_string())],
            )
        })
        .collect();
    let merchants = directed_requests::office_merchants(&state.db, caller)
        .await?
        .into_iter()
        .map(|(id, name)| (id.to_string(), name, false))
        .collect();
    Ok(NeedLibrary {
        fitting,
        asked,
        recorded,
        merchants,
        seeking,
    })
}

#[derive(Template)]
#[template(path = "need_reach.html")]
struct ReachPage {
    c: Chrome,
    need_id: i64,
    need_title: String,
    question: String,
    action: String,
    button: String,
    error: String,
    /// (name, value) kept as hidden fields.
    hidden: Vec<(&'static str, String)>,
}

/// `GET /needs/{id}/ask/{merchant_id}`: asks first — the shop is told.
pub async fn ask_form(
    State(state): State<AppState>,
    staff: Staff,
    Path((id, merchant_id)): Path<(i64, i64)>,
) -> PageResult {
    reach_page(
        &state,
        &staff,
        id,
        Reach::Ask(merchant_id),
        String::new(),
        StatusCode::OK,
    )
    .await
}

/// `POST /needs/{id}/ask/{merchant_id}`: sends the directed request.
pub async fn ask(State(state): State<AppState>, staff: Staff, Path((id, merchant_id)): Path<(i64, i64)>) -> PageResult {
    match directed_requests::ask(&state.db, &staff.caller, id, merchant_id, chrono::Utc::now()).await {
        Ok(()) => Ok(Redirect::to(&format!("/needs/{id}#asked")).into_response()),
        Err(AskError::Refused(why)) => {
            let message = why.message(staff.t.0).to_owned();
            reach_page(
                &state,
                &staff,
                id,
                Reach::Ask(merchant_id),
                message,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(AskError::Service(e)) => Err(PageError::new(staff.t, e)),
    }
}

/// The phoned-in claim, as typed.
#[derive(Debug, Default, Deserialize)]
pub struct RecordForm {
    #[serde(default)]
    merchant: String,
    /// One per page shown, so that posting it twice records one claim.
    #[serde(default)]
    key: String,
    #[serde(default)]
    quantity: String,
}

/// `GET /needs/{id}/record-claim`: asks first — the claim binds the shop.
pub async fn record_form(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(form): Query<RecordForm>,
) -> PageResult {
    reach_page(&state, &staff, id, Reach::Record(form), String::new(), StatusCode::OK).await
}

/// `POST /needs/{id}/record-claim`: the office records the claim of a shop that phoned in.
pub async fn record(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(form): Form<RecordForm>,
) -> PageResult {
    let t = staff.t;
    if !staff.caller.is_office() {
        return Err(PageError::new(t, ServiceError::Forbidden));
    }
    let merchant_id = form.merchant.trim().parse::<i64>().ok();
    let quantity = input::number(&form.quantity, 1, 10_000);
    let (Some(merchant_id), Ok(quantity)) = (merchant_id, quantity) else {
        let message = t.get("ask.record_invalid").to_owned();
        return reach_page(
            &state,
            &staff,
            id,
            Reach::Record(form),
            message,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let quantity = i32::try_from(quantity).unwrap_or(i32::MAX);
    let key = Some(form.key.as_str());
    match claims::claim_on_behalf(
        &state.db,
        &staff.caller,
        merchant_id,
        id,
        quantity,
        key,
        chrono::Utc::now(),
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/needs/{id}#asked")).into_response()),
        Err(e) => match claim_refusal(t, &e) {
            Some(message) => {
                reach_page(
                    &state,
                    &staff,
                    id,
                    Reach::Record(form),
                    message,
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await
            }
            None => Err(PageError::new(t, e)),
        },
    }
}

/// A claim refusal in words for the office, or `None` for an error page.
fn claim_refusal(t: Tr, e: &ServiceError) -> Option<String> {
    Some(match e {
        ServiceError::ClaimLimitReached { limit } => t.fill("ask.refused.limit", &[("limit", &limit.to_string())]),
        ServiceError::DeliverFirst => t.get("ask.refused.deliver_first").to_owned(),
        ServiceError::MerchantNotApproved => t.get("ask.refused.not_approved").to_owned(),
        ServiceError::NotEnoughLeft { left } => t.fill("ask.refused.not_enough", &[("left", &left.to_string())]),
        ServiceError::NeedNotOpen(_) => t.get("ask.refused.need_closed").to_owned(),
        ServiceError::Validation(_) => t.get("ask.record_invalid").to_owned(),
        _ => return None,
    })
}

enum Reach {
    Ask(i64),
    Record(RecordForm),
}

async fn reach_page(
    state: &AppState,
    staff: &Staff,
    id: i64,
    reach: Reach,
    error: String,
    status: StatusCode,
) -> PageResult {
    let t = staff.t;
    let card = needs::get_need(&state.db, &staff.caller, id, chrono::Utc::now())
        .await
        .or_page(t)?;
    let page = match reach {
        Reach::Ask(merchant_id) => {
            // Only a shop the reader's library offers for this need: any other id is unknown
            // here, whoever it is.
            let name = directed_requests::fitting(&state.db, &staff.caller, id, chrono::Utc::now())
                .await
                .or_page(t)?
                .unwrap_or_default()
                .into_iter()
                .find(|o| o.merchant_id == merchant_id)
                .map(|o| o.merchant_name);
            // A refusal said again names the shop only by the id that was asked.
            let name = match (name, error.is_empty()) {
                (Some(name), _) => name,
                (None, false) => format!("#{merchant_id}"),
                (None, true) => return Err(PageError::new(t, ServiceError::NotFound("merchant"))),
            };
            ReachPage {
                c: Chrome::new(t, &staff.session, "ask.title"),
                need_id: id,
                need_title: card.title.clone(),
                question: t.fill("ask.question", &[("shop", &name)]),
                action: format!("/needs/{id}/ask/{merchant_id}"),
                button: t.get("ask.send").to_owned(),
                error,
                hidden: Vec::new(),
            }
        }
        Reach::Record(form) => {
            if !staff.caller.is_office() {
                return Err(PageError::new(t, ServiceError::Forbidden));
            }
            // Only the office's own shops: any other id is unknown here.
            let own = directed_requests::office_merchants(&state.db, &staff.caller)
                .await
                .or_page(t)?;
            let name = match form.merchant.trim().parse::<i64>() {
                Ok(merchant_id) => own
                    .into_iter()
                    .find(|(m, _)| *m == merchant_id)
                    .map(|(_, name)| name)
                    .ok_or_else(|| PageError::new(t, ServiceError::NotFound("merchant")))?,
                Err(_) => String::new(),
            };
            ReachPage {
                c: Chrome::new(t, &staff.session, "ask.record_title"),
                need_id: id,
                need_title: card.title.clone(),
                question: t.fill("ask.record_question", &[("shop", &name), ("n", form.quantity.trim())]),
                action: format!("/needs/{id}/record-claim"),
                button: t.get("ask.record_send").to_owned(),
                error,
                hidden: vec![
                    ("merchant", form.merchant),
                    ("quantity", form.quantity),
                    // A refused post keeps its key: nothing was recorded under it.
                    (
                        "key",
                        if form.key.is_empty() {
                            crate::crypto::random_token(16)
                        } else {
                            form.key
                        },
                    ),
                ],
            }
        }
    };
    Ok(render(status, page))
}

#[derive(Template)]
#[template(path = "admin_merchant_offers.html")]
struct MerchantOffersPage {
    c: Chrome,
    merchant_id: i64,
    merchant: String,
    /// The shop has Telegram and manages its offers in the bot: no pause or resume here.
    linked: bool,
    /// (id, category, what, "10 a month", communities, paused).
    offers: Vec<(i64, String, String, String, String, bool)>,
    categories: Options,
    /// (id, name, ticked).
    communities: Vec<(i64, String, bool)>,
    description: Field,
    capacity: Field,
    communities_error: String,
    /// The notice after a change: the offer recorded, paused or resumed; empty otherwise.
    notice: String,
}

/// The offer the office types for a merchant.
#[derive(Debug, Default, Deserialize)]
pub struct OfferForm {
    #[serde(default)]
    category: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    monthly_capacity: String,
    #[serde(default)]
    community: Vec<String>,
}

/// `GET /admin/merchants/{id}/offers`: a merchant's offers and the form to record one.
pub async fn merchant_offers(
    State(state): State<AppState>,
    staff: Staff,
    Path(merchant_id): Path<i64>,
    Query(q): Query<SavedQuery>,
) -> PageResult {
    let form = OfferForm::default();
    let notice = match q.saved.as_str() {
        "1" => "offers.office_saved",
        "paused" => "offers.office_paused",
        "resumed" => "offers.office_resumed",
        _ => "",
    };
    let notice = if notice.is_empty() {
        String::new()
    } else {
        staff.t.get(notice).to_owned()
    };
    merchant_offers_page(
        &state,
        &staff,
        merchant_id,
        &form,
        &FieldErrors::default(),
        notice,
        StatusCode::OK,
    )
    .await
}

/// `?saved=1` after an offer was recorded, `?saved=paused` or `?saved=resumed` after one was
/// paused or resumed.
#[derive(Debug, Default, Deserialize)]
pub struct SavedQuery {
    #[serde(default)]
    saved: String,
}

/// `POST /admin/merchants/{id}/offers/{offer_id}/pause`: the office pauses an offer of a shop
/// of its subdistrict (it leaves the library until resumed).
pub async fn pause_offer(
    State(state): State<AppState>,
    staff: Staff,
    Path((merchant_id, offer_id)): Path<(i64, i64)>,
) -> PageResult {
    change_offer(&state, &staff, merchant_id, offer_id, false).await
}

/// `POST /admin/merchants/{id}/offers/{offer_id}/resume`: the office puts a paused offer back
/// in the library.
pub async fn resume_offer(
    State(state): State<AppState>,
    staff: Staff,
    Path((merchant_id, offer_id)): Path<(i64, i64)>,
) -> PageResult {
    change_offer(&state, &staff, merchant_id, offer_id, true).await
}

async fn change_offer(state: &AppState, staff: &Staff, merchant_id: i64, offer_id: i64, active: bool) -> PageResult {
    let changed = offers::set_active_for_merchant(
        &state.db,
        &staff.caller,
        merchant_id,
        offer_id,
        active,
        chrono::Utc::now(),
    )
    .await;
    match changed {
        Ok(_) => {}
        // A shop with Telegram manages its offers in the bot: said in words, with the way back.
        Err(ServiceError::Conflict(_)) => {
            return Ok(super::notice_page(
                staff.t,
                &staff.session,
                StatusCode::CONFLICT,
                "offers.office_title",
                "offers.office_linked_refused",
                &format!("/admin/merchants/{merchant_id}/offers"),
                "offers.office_back",
            ));
        }
        Err(e) => return Err(PageError::new(staff.t, e)),
    }
    let done = if active { "resumed" } else { "paused" };
    Ok(Redirect::to(&format!(
        "/admin/merchants/{merchant_id}/offers?saved={done}#offer-{offer_id}"
    ))
    .into_response())
}

/// `POST /admin/merchants/{id}/offers`: records an offer for a merchant without Telegram.
pub async fn record_offer(
    State(state): State<AppState>,
    staff: Staff,
    Path(merchant_id): Path<i64>,
    axum_extra::extract::Form(form): axum_extra::extract::Form<OfferForm>,
) -> PageResult {
    let t = staff.t;
    let mut errors = FieldErrors::default();
    let category = match form.category.parse::<Category>() {
        Ok(c) => Some(c),
        Err(_) => {
            errors.push("category", FieldError::UnknownChoice);
            None
        }
    };
    let capacity = match input::number(&form.monthly_capacity, 1, 10_000) {
        Ok(n) => i32::try_from(n).ok(),
        Err(e) => {
            errors.push("monthly_capacity", e);
            None
        }
    };
    let community_ids: Vec<i64> = form.community.iter().filter_map(|c| c.parse().ok()).collect();
    if let (Some(category), Some(monthly_capacity), true) = (category, capacity, errors.is_empty()) {
        let new = offers::NewOffer {
            category,
            description: form.description.clone(),
            monthly_capacity,
            community_ids,
        };
        match offers::add_for_merchant(&state.db, &staff.caller, merchant_id, new, chrono::Utc::now()).await {
            Ok(_) => return Ok(Redirect::to(&format!("/admin/merchants/{merchant_id}/offers?saved=1")).into_response()),
            Err(ServiceError::Validation(e)) => errors = e,
            Err(e) => return Err(PageError::new(t, e)),
        }
    }
    merchant_offers_page(
        &state,
        &staff,
        merchant_id,
        &form,
        &errors,
        String::new(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

async fn merchant_offers_page(
    state: &AppState,
    staff: &Staff,
    merchant_id: i64,
    form: &OfferForm,
    errors: &FieldErrors,
    notice: String,
    status: StatusCode,
) -> PageResult {
    let t = staff.t;
    let office = offers::list_for_office(&state.db, &staff.caller, merchant_id, chrono::Utc::now())
        .await
        .or_page(t)?;
    let list = office.offers;
    let merchant = merchants::get(&state.db, merchant_id).await.or_page(t)?.name;
    let communities = organizations::communities(&state.db).await.or_page(t)?;
    let offers = list
        .iter()
        .map(|o| {
            let names: Vec<&str> = o.communities.iter().map(|c| c.name_in(t.0)).collect();
            (
                o.id,
                o.category.label(t.0).to_owned(),
                o.description.clone(),
                t.fill("library.capacity", &[("n", &o.monthly_capacity.to_string())]),
                names.join(t.get("list.separator")),
                !o.active,
            )
        })
        .collect();
    Ok(render(
        status,
        MerchantOffersPage {
            c: Chrome::new(t, &staff.session, "offers.office_title"),
            merchant_id,
            merchant,
            linked: office.linked,
            offers,
            categories: enum_options(Category::ALL, Category::as_str, Category::label, t, &form.category),
            communities: communities
                .iter()
                .map(|c| {
                    (
                        c.id,
                        c.name_in(t.0).to_owned(),
                        form.community.contains(&c.id.to_string()),
                    )
                })
                .collect(),
            description: field(t, "description", &form.description, errors),
            capacity: field(t, "monthly_capacity", &form.monthly_capacity, errors),
            communities_error: errors.get("community_ids").map(|e| e.message(t.0)).unwrap_or_default(),
            notice,
        },
    ))
}
