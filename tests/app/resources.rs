//! The resource library (爱心资源库): a social worker and the office browse the merchants'
//! standing offers of their subdistrict (and of merchants elsewhere who opted in), with what
//! is left this month; organizations' systems read the same over the API.

use charity_relay::domain::alerts::SettingsChange;
use charity_relay::domain::{Category, PartyStatus, Role};
use charity_relay::entities::merchant_alert_setting;
use charity_relay::services::{alert_settings, merchants, offers, organizations, staff};
use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use bots::text;
use bots::{Action, Locale};

use crate::support::browser::STAFF_PASSWORD;
use crate::support::world::World;
use crate::support::{TestApp, scalar_i64};

/// Gives `merchant_id` an active offer of `category`, `capacity` a month, serving `communities`.
async fn offer(
    app: &TestApp,
    merchant_id: i64,
    category: Category,
    what: &str,
    capacity: i32,
    communities: Vec<i64>,
) -> i64 {
    let new = offers::NewOffer {
        category,
        description: what.into(),
        monthly_capacity: capacity,
        community_ids: communities,
    };
    offers::add(&app.db, merchant_id, new, Utc::now())
        .await
        .expect("offer")
        .id
}

/// A shop of Haishan subdistrict (another subdistrict than the test world's).
async fn haishan_shop(app: &TestApp) -> (i64, i64) {
    let now = Utc::now();
    let haishan = organizations::create_community(&app.db, "海山社区", "Haishan", "海山街道", "Haishan", now)
        .await
        .expect("community");
    let new = merchants::NewMerchant {
        name: "海山面包坊".into(),
        community: Some("海山社区".into()),
        status: Some(PartyStatus::Approved),
        ..Default::default()
    };
    let shop = merchants::create_merchant(&app.db, new, now).await.expect("merchant");
    (haishan, shop)
}

/// The shop says in `/alerts` that it helps the district's other subdistricts too.
async fn opt_in_elsewhere(app: &TestApp, merchant_id: i64) {
    alert_settings::change(&app.db, merchant_id, SettingsChange::DailyCap(5), Utc::now())
        .await
        .expect("settings");
    merchant_alert_setting::Entity::update_many()
        .col_expr(merchant_alert_setting::Column::OtherSubdistricts, Expr::value(true))
        .filter(merchant_alert_setting::Column::MerchantId.eq(merchant_id))
        .exec(&app.db)
        .await
        .expect("opt in");
}

/// The library of the test world: two shops of Shatoujiao with offers, one paused offer, a
/// suspended shop's offer and a Haishan bakery.
async fn stocked(app: &TestApp) -> (World, i64) {
    let world = app.world(3).await;
    let here = world.community_id;
    offer(app, world.merchants[0].id, Category::Food, "每周盒饭", 10, vec![here]).await;
    offer(
        app,
        world.merchants[1].id,
        Category::Medicine,
        "常用药品",
        4,
        vec![here],
    )
    .await;
    let paused = offer(app, world.merchants[2].id, Category::Clothing, "冬衣", 8, vec![here]).await;
    offers::set_active(&app.db, world.merchants[2].id, paused, false, Utc::now())
        .await
        .expect("pause");
    offer(app, world.suspended.id, Category::Food, "停业前的存货", 9, vec![here]).await;
    let (haishan, bakery) = haishan_shop(app).await;
    offer(app, bakery, Category::Food, "隔夜面包", 30, vec![haishan, here]).await;
    (world, bakery)
}

/// An office account of subdistrict `name`; returns its email.
async fn office_of(app: &TestApp, name: &str) -> String {
    let email = format!("office-{}@example.org", app.count("staff").await);
    let new = staff::NewUser {
        email: email.clone(),
        role: Role::Admin,
        organization: None,
        subdistrict: Some(name.into()),
        password: STAFF_PASSWORD.into(),
    };
    staff::create_user(&app.db, new, Utc::now()).await.expect("office");
    email
}

async fn page_of(app: &TestApp, email: &str, path: &str) -> String {
    let mut browser = app.login(email).await;
    let (status, html) = browser.get(path).await;
    assert_eq!(status, 200, "{path}: {html}");
    html
}

#[tokio::test]
async fn a_social_worker_browses_the_library_of_their_subdistrict_with_what_is_left() {
    let app = TestApp::spawn().await;
    let (world, bakery) = stocked(&app).await;
    // The first shop claims 4 of a food need this month: 6 of its 10 are left.
    let need = app.post_need(world.a(), 4).await;
    assert_eq!(app.claim(&world.merchants[0].token, need, 4).await.0, 201);

    let html = page_of(&app, "worker0@example.org", "/resources").await;
    assert!(html.contains("href=\"/resources\""), "the library is in the menu");
    assert!(html.contains("爱心商户0") && html.contains("每周盒饭"));
    assert!(html.contains("本月还剩 6 份") && html.contains("每月 10 份"), "{html}");
    assert!(html.contains("常用药品") && html.contains("本月还剩 4 份"));
    assert!(html.contains("东和社区"), "the communities served are named");
    assert!(
        html.contains("信用 B 级 · 60 分"),
        "the credit band and score are shown: {html}"
    );
    assert!(!html.contains("冬衣"), "a paused offer is not in the library");
    assert!(!html.contains("停业前的存货"), "a suspended shop is not in the library");
    assert!(
        !html.contains("隔夜面包"),
        "a shop of another subdistrict that did not opt in is not shown"
    );

    // Once the bakery helps across the district, it is shown, with where it is.
    opt_in_elsewhere(&app, bakery).await;
    let html = page_of(&app, "worker0@example.org", "/resources").await;
    assert!(html.contains("隔夜面包") && html.contains("海山街道"), "{html}");

    // Filters: a category; offers with capacity left.
    let html = page_of(&app, "worker0@example.org", "/resources?category=medicine").await;
    assert!(html.contains("常用药品") && !html.contains("每周盒饭"));
    // The medicine shop claims 4 units of a food need: that does not use its medicine offer.
    let more_food = app.post_need(world.a(), 4).await;
    assert_eq!(app.claim(&world.merchants[1].token, more_food, 4).await.0, 201);
    let html = page_of(&app, "worker0@example.org", "/resources?left=1").await;
    assert!(html.contains("常用药品"), "food claims do not use the medicine offer");
    assert!(html.contains("每周盒饭"));
}

#[tokio::test]
async fn capacity_left_counts_only_the_offers_category_and_the_filter_hides_spent_offers() {
    let app = TestApp::spawn().await;
    let (world, _) = stocked(&app).await;
    // The first shop also offers medicine, 3 a month, and claims 3 units of food: its food
    // offer has 7 left and its medicine offer all 3.
    offer(
        &app,
        world.merchants[0].id,
        Category::Medicine,
        "感冒药",
        3,
        vec![world.community_id],
    )
    .await;
    let need = app.post_need(world.a(), 3).await;
    assert_eq!(app.claim(&world.merchants[0].token, need, 3).await.0, 201);
    let (status, body) = app
        .api("GET", "/api/v1/offers?category=food", &world.a().token, None)
        .await;
    assert_eq!(status, 200, "{body}");
    let food = &body["items"][0];
    assert_eq!(food["merchant"]["name"], "爱心商户0");
    assert_eq!(food["capacity_left"], 7);
    let (_, body) = app
        .api("GET", "/api/v1/offers?category=medicine", &world.a().token, None)
        .await;
    let left: Vec<i64> = body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|o| o["capacity_left"].as_i64().expect("left"))
        .collect();
    assert_eq!(left, vec![3, 4]);

    // Claiming the rest of the food offer (7 more) leaves nothing: "has capacity left" hides it.
    let another = app.post_need(world.a(), 7).await;
    assert_eq!(app.claim(&world.merchants[0].token, another, 7).await.0, 201);
    let (_, body) = app
        .api(
            "GET",
            "/api/v1/offers?category=food&has_capacity=true",
            &world.a().token,
            None,
        )
        .await;
    assert_eq!(body["total"], 0, "{body}");
    let (_, body) = app
        .api("GET", "/api/v1/offers?category=food", &world.a().token, None)
        .await;
    assert_eq!(body["items"][0]["capacity_left"], 0);
}

#[tokio::test]
async fn the_api_pages_filters_and_refuses_merchants() {
    let app = TestApp::spawn().await;
    let (world, bakery) = stocked(&app).await;
    let token = &world.a().token;
    let (status, body) = app.api("GET", "/api/v1/offers", token, None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["total"], 2, "own subdistrict only: {body}");
    assert_eq!(body["items"][0]["communities"][0]["name_en"], "Donghe");
    assert!(body["items"][0]["merchant"]["credit_score"].is_number());
    assert_eq!(body["items"][0]["merchant"]["credit_band"], "B");

    opt_in_elsewhere(&app, bakery).await;
    let (_, body) = app.api("GET", "/api/v1/offers?limit=2", token, None).await;
    assert_eq!(body["total"], 3);
    assert_eq!(body["items"].as_array().map(Vec::len), Some(2));
    assert_eq!(body["next_page"], 2);
    let (_, body) = app.api("GET", "/api/v1/offers?limit=2&page=2", token, None).await;
    assert_eq!(body["items"][0]["merchant"]["name"], "海山面包坊");
    assert_eq!(body["items"][0]["merchant"]["same_subdistrict"], false);
    assert!(body["next_page"].is_null());
    let (_, body) = app
        .api(
            "GET",
            &format!("/api/v1/offers?community={}", world.community_id + 1000),
            token,
            None,
        )
        .await;
    assert_eq!(body["total"], 0);

    let (status, body) = app.api("GET", "/api/v1/offers?category=bread", token, None).await;
    assert_eq!(status, 422, "{body}");
    let (status, _) = app.api("GET", "/api/v1/offers", &world.merchants[0].token, None).await;
    assert_eq!(status, 403, "a merchant does not read the givers' directory");
    let openapi = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .expect("openapi");
    assert!(openapi.text().await.expect("body").contains("/api/v1/offers"));
}

#[tokio::test]
async fn the_office_reads_its_own_subdistricts_library_in_english_too() {
    let app = TestApp::spawn().await;
    let (_world, _bakery) = stocked(&app).await;
    let office = office_of(&app, "沙头角街道").await;
    let mut browser = app.login(&office).await;
    browser.post("/settings/language", &[("lang", "en")]).await;
    let (status, html) = browser.get("/resources").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Resource library") && html.contains("10 left this month"),
        "{html}"
    );
    assert!(!html.contains("隔夜面包"));
}

/// True when the page links to `href`.
fn has_link(html: &str, href: &str) -> bool {
    html.contains(&format!("href=\"{href}\""))
}

#[tokio::test]
async fn a_worker_asks_a_merchant_whose_bot_gets_the_card_and_the_need_page_shows_the_claim() {
    let app = TestApp::spawn_with_bot().await;
    let (world, _) = stocked(&app).await;
    let shop = world.merchants[0].id;
    let need = app.post_need(world.a(), 5).await;
    // Linked after the need was posted, so the ladder did not alert it: only the ask will.
    let chat = app.linked_chat(shop, 4100, Locale::ZhCn).await;
    app.alerts_at_any_hour(shop).await;

    let mut browser = app.login("worker0@example.org").await;
    let (_, html) = browser.get(&format!("/needs/{need}")).await;
    let ask = format!("/needs/{need}/ask/{shop}");
    assert!(html.contains("询问商户") && has_link(&html, &ask), "{html}");
    assert!(!html.contains("常用药品"), "a medicine offer does not fit a food need");
    // Asks first: the page names the shop and what it will get.
    let (status, html) = browser.get(&ask).await;
    assert_eq!(status, 200);
    assert!(html.contains("爱心商户0") && html.contains("Telegram"), "{html}");
    assert_eq!(browser.post(&ask, &[]).await.status(), 303);

    // The shop's bot gets the need's card with the claim buttons; the ask is an alert of today.
    let card = app
        .wait_for_telegram(chat.id, 1, std::time::Duration::from_secs(10))
        .await[0]
        .clone();
    assert!(card.text.contains("米和食用油"), "{}", card.text);
    assert_eq!(
        scalar_i64(
            &app.db,
            &format!("SELECT COUNT(*) FROM need_alerts WHERE merchant_id = {shop} AND counts_to_cap")
        )
        .await,
        1
    );
    let (_, html) = browser.get(&format!("/needs/{need}")).await;
    assert!(html.contains("尚未回复"), "the page says no answer yet: {html}");
    assert!(!has_link(&html, &ask), "asked once: no second ask link");

    // The shopkeeper claims it all from the card.
    let question = chat
        .tap(&card.button(&text::claim_all_button(Locale::ZhCn, 1, false)))
        .await;
    chat.tap(&question.button(&text::claim_all_yes_button(Locale::ZhCn)))
        .await;
    let (_, html) = browser.get(&format!("/needs/{need}")).await;
    assert!(html.contains("已认领 5"), "the answer is shown: {html}");

    // Asking again is refused in words, on the same page, with 422.
    let response = browser.post(&ask, &[]).await;
    assert_eq!(response.status(), 422);
    let html = response.text().await.expect("body");
    assert!(
        html.contains("已经就这项需求询问过这家商户") || html.contains("不再开放认领"),
        "{html}"
    );
}

#[tokio::test]
async fn a_shop_asked_about_a_need_can_say_it_cannot_help_and_the_need_page_shows_it() {
    let app = TestApp::spawn_with_bot().await;
    let (world, _) = stocked(&app).await;
    let shop = world.merchants[0].id;
    let need = app.post_need(world.a(), 5).await;
    let chat = app.linked_chat(shop, 4150, Locale::En).await;
    app.alerts_at_any_hour(shop).await;
    let mut browser = app.login("worker0@example.org").await;
    let ask = format!("/needs/{need}/ask/{shop}");
    browser.get(&ask).await;
    assert_eq!(browser.post(&ask, &[]).await.status(), 303);

    // The card names who asked and offers a way to say no.
    let card = app
        .wait_for_telegram(chat.id, 1, std::time::Duration::from_secs(10))
        .await[0]
        .clone();
    let posted = charity_relay::entities::need::Entity::find_by_id(need)
        .one(&app.db)
        .await
        .expect("read")
        .expect("the need");
    let name = charity_relay::entities::organization::Entity::find_by_id(posted.organization_id)
        .one(&app.db)
        .await
        .expect("read")
        .expect("its organization")
        .name;
    assert!(
        card.text.starts_with(&text::asked_intro(Locale::En, &name)),
        "{}",
        card.text
    );
    let no = card.button(&text::ask_decline_button(Locale::En));
    let audited = "SELECT COUNT(*) FROM audit_log WHERE action = 'need.ask_declined' AND outcome = 'ok'";
    // The worker will read the answer: the bot asks first, and nothing is recorded yet.
    let asked_first = chat.tap(&no).await;
    assert_eq!(asked_first.text, text::ask_decline_confirm(Locale::En));
    assert_eq!(scalar_i64(&app.db, audited).await, 0);
    let yes = asked_first.button(&text::ask_decline_yes_button(Locale::En));
    // Two taps at once (and a third later, from an old message) say the same and decline once.
    let (a, b) = tokio::join!(chat.tap(&yes), chat.tap(&yes));
    assert_eq!(
        (a.text.as_str(), b.text.as_str()),
        (
            text::ask_declined(Locale::En).as_str(),
            text::ask_declined(Locale::En).as_str()
        )
    );
    assert_eq!(chat.tap(&yes).await.text, text::ask_declined(Locale::En));
    let (_, html) = browser.get(&format!("/needs/{need}")).await;
    assert!(html.contains("已婉拒"), "the answer is shown: {html}");
    assert_eq!(scalar_i64(&app.db, audited).await, 1);

    // A shop that was not asked has nothing to decline, and its try is audited.
    let other = app.linked_chat(world.merchants[1].id, 4151, Locale::En).await;
    let reply = other.tap(&Action::AskDeclineYes(need).encode()).await;
    assert_ne!(reply.text, text::ask_declined(Locale::En));
    assert_eq!(scalar_i64(&app.db, audited).await, 1);
    let denied = "SELECT COUNT(*) FROM audit_log WHERE action = 'need.ask_declined' AND outcome = 'denied'";
    assert_eq!(scalar_i64(&app.db, denied).await, 1);
}

#[tokio::test]
async fn a_shop_that_claimed_an_asked_need_is_told_to_release_it_rather_than_decline() {
    let app = TestApp::spawn_with_bot().await;
    let (world, _) = stocked(&app).await;
    let shop = &world.merchants[0];
    let need = app.post_need(world.a(), 5).await;
    let chat = app.linked_chat(shop.id, 4160, Locale::ZhCn).await;
    app.alerts_at_any_hour(shop.id).await;
    let mut browser = app.login("worker0@example.org").await;
    let ask = format!("/needs/{need}/ask/{}", shop.id);
    browser.get(&ask).await;
    assert_eq!(browser.post(&ask, &[]).await.status(), 303);
    app.wait_for_telegram(chat.id, 1, std::time::Duration::from_secs(10))
        .await;
    let (status, _) = app.claim(&shop.token, need, 2).await;
    assert_eq!(status, 201);

    let reply = chat.tap(&Action::AskDeclineYes(need).encode()).await;
    assert_eq!(reply.text, text::ask_decline_claimed(Locale::ZhCn));
    let (_, html) = browser.get(&format!("/needs/{need}")).await;
    assert!(
        !html.contains("已婉拒"),
        "the claim stands and is what the worker reads: {html}"
    );
    let declined = format!("SELECT COUNT(*) FROM directed_requests WHERE need_id = {need} AND declined_at IS NOT NULL");
    assert_eq!(scalar_i64(&app.db, &declined).await, 0);
}

#[tokio::test]
async fn asking_is_refused_in_words_for_a_full_cap_a_suspended_shop_and_a_shop_not_serving_there() {
    let app = TestApp::spawn_with_bot().await;
    let (world, _) = stocked(&app).await;
    let need = app.post_need(world.a(), 5).await;
    let shop = world.merchants[0].id;
    app.linked_chat(shop, 4200, Locale::En).await;
    let mut browser = app.login("worker0@example.org").await;
    let refusal = |html: String, words: &str| assert!(html.contains(words), "expected «{words}» in {html}");
    // The ask page names only a shop the library offers for this need: no other id tells a name.
    let (status, page) = browser.get(&format!("/needs/{need}/ask/{}", world.suspended.id)).await;
    assert_eq!(status, 404);
    assert!(!page.contains("已暂停商户"), "{page}");

    // A shop that offers only medicine does not serve a food need.
    let response = browser
        .post(&format!("/needs/{need}/ask/{}", world.merchants[1].id), &[])
        .await;
    assert_eq!(response.status(), 422);
    refusal(response.text().await.expect("body"), "没有服务该社区的同类供给");
    // A suspended shop, and an id no shop has, are refused in the same words as a shop out of
    // reach: the refusal tells nothing of a merchant the library does not show.
    for hidden in [world.suspended.id, 999_999] {
        let response = browser.post(&format!("/needs/{need}/ask/{hidden}"), &[]).await;
        assert_eq!(response.status(), 422);
        let html = response.text().await.expect("body");
        refusal(html.clone(), "没有服务该社区的同类供给");
        assert!(!html.contains("未准入") && !html.contains("已暂停"), "{html}");
    }
    // A shop without Telegram: the office records its claim when it phones in.
    let bare = world.merchants[2].id;
    offer(&app, bare, Category::Food, "馒头", 5, vec![world.community_id]).await;
    let response = browser.post(&format!("/needs/{need}/ask/{bare}"), &[]).await;
    assert_eq!(response.status(), 422);
    refusal(response.text().await.expect("body"), "没有绑定 Telegram");
    // A shop at its daily cap (one alert a day, had today).
    app.alerts_at_any_hour(shop).await;
    let other = app.post_need(world.a(), 2).await;
    assert_eq!(
        browser.post(&format!("/needs/{other}/ask/{shop}"), &[]).await.status(),
        303
    );
    alert_settings::change(&app.db, shop, SettingsChange::DailyCap(1), Utc::now())
        .await
        .expect("cap");
    let response = browser.post(&format!("/needs/{need}/ask/{shop}"), &[]).await;
    assert_eq!(response.status(), 422);
    refusal(response.text().await.expect("body"), "提醒已达上限");
    // A shop in credit band D hears of no new needs, asked or not.
    let low = charity_relay::services::merchants::create_merchant(
        &app.db,
        charity_relay::services::merchants::NewMerchant {
            name: "低信用商户".into(),
            community: Some("东和社区".into()),
            ..Default::default()
        },
        Utc::now(),
    )
    .await
    .expect("shop");
    offer(&app, low, Category::Food, "盒饭", 5, vec![world.community_id]).await;
    app.linked_chat(low, 4201, Locale::ZhCn).await;
    sea_orm::ConnectionTrait::execute_unprepared(
        &app.db,
        &format!("UPDATE merchants SET credit_score = 30 WHERE id = {low}"),
    )
    .await
    .expect("band D");
    let response = browser.post(&format!("/needs/{need}/ask/{low}"), &[]).await;
    assert_eq!(response.status(), 422);
    refusal(response.text().await.expect("body"), "信用为 D 级");
    // Each refusal left an audit row and no request.
    assert_eq!(scalar_i64(&app.db, "SELECT COUNT(*) FROM directed_requests").await, 1);
    assert_eq!(
        scalar_i64(
            &app.db,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'need.ask_merchant' AND outcome = 'denied'"
        )
        .await,
        6
    );
    // A merchant's token cannot reach the page; another organization's worker gets "not found".
    let other_worker = app.login("worker1@example.org").await;
    assert_eq!(
        other_worker
            .post(&format!("/needs/{need}/ask/{shop}"), &[])
            .await
            .status(),
        404
    );
}

/// The one-time key of a phoned-in claim's confirmation page.
fn form_key(html: &str) -> String {
    html.split("name=\"key\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the page's key")
        .to_owned()
}

#[tokio::test]
async fn the_office_records_a_phoned_in_claim_with_the_shops_limits_applied() {
    let app = TestApp::spawn().await;
    let (world, _) = stocked(&app).await;
    let office = office_of(&app, "沙头角街道").await;
    let shop = world.merchants[2].id;
    let need = app.post_need(world.a(), 10).await;
    let mut browser = app.login(&office).await;
    let (_, html) = browser.get(&format!("/needs/{need}")).await;
    assert!(
        html.contains(&format!("action=\"/needs/{need}/record-claim\"")),
        "{html}"
    );
    // Asks first, naming the shop and the quantity.
    let (status, html) = browser
        .get(&format!("/needs/{need}/record-claim?merchant={shop}&quantity=2"))
        .await;
    assert_eq!(status, 200);
    assert!(html.contains("爱心商户2") && html.contains("2 份"), "{html}");
    let key = form_key(&html);
    let quantity = [("merchant", shop.to_string()), ("quantity", "2".to_owned())];
    let fields: Vec<(&str, &str)> = quantity.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut keyed = fields.clone();
    keyed.push(("key", &key));
    // Sent twice (a double click, a reload): one claim.
    for _ in 0..2 {
        assert_eq!(
            browser
                .post(&format!("/needs/{need}/record-claim"), &keyed)
                .await
                .status(),
            303
        );
    }
    let (_, html) = browser.get(&format!("/needs/{need}")).await;
    assert!(html.contains("街道办代「爱心商户2」登记认领 2"), "{html}");
    assert_eq!(
        scalar_i64(
            &app.db,
            &format!("SELECT COUNT(*) FROM claims WHERE merchant_id = {shop} AND recorded_by IS NOT NULL")
        )
        .await,
        1
    );
    assert_eq!(
        scalar_i64(
            &app.db,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'claim.recorded_for_merchant' AND outcome = 'ok'"
        )
        .await,
        1
    );

    // Sent twice at once from two tabs: one claim still.
    let other = app.post_need(world.a(), 10).await;
    let second = app.login(&office).await;
    let (_, html) = browser
        .get(&format!("/needs/{other}/record-claim?merchant={shop}&quantity=1"))
        .await;
    let key = form_key(&html);
    let once = [
        ("merchant", shop.to_string()),
        ("quantity", "1".to_owned()),
        ("key", key),
    ];
    let once: Vec<(&str, &str)> = once.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let path = format!("/needs/{other}/record-claim");
    let (a, b) = tokio::join!(browser.post(&path, &once), second.post(&path, &once));
    assert_eq!((a.status().as_u16(), b.status().as_u16()), (303, 303));
    assert_eq!(
        scalar_i64(
            &app.db,
            &format!("SELECT COUNT(*) FROM claims WHERE need_id = {other} AND merchant_id = {shop}")
        )
        .await,
        1
    );

    // The shop's limit (3 active claims for a new shop) applies as if it claimed itself.
    for _ in 0..1 {
        let more = app.post_need(world.a(), 1).await;
        assert_eq!(app.claim(&world.merchants[2].token, more, 1).await.0, 201);
    }
    let response = browser.post(&format!("/needs/{need}/record-claim"), &fields).await;
    assert_eq!(response.status(), 422);
    let html = response.text().await.expect("body");
    assert!(html.contains("达到上限"), "{html}");
    assert!(html.contains(&format!("value=\"{shop}\"")), "the typed values are kept");

    // A social worker may not record claims; a shop of another subdistrict is not found.
    let worker = app.login("worker0@example.org").await;
    assert_eq!(
        worker
            .post(&format!("/needs/{need}/record-claim"), &fields)
            .await
            .status(),
        403
    );
    let bakery = scalar_i64(&app.db, "SELECT id FROM merchants WHERE name = '海山面包坊'").await;
    let elsewhere = [("merchant", bakery.to_string()), ("quantity", "1".to_owned())];
    let fields: Vec<(&str, &str)> = elsewhere.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(
        browser
            .post(&format!("/needs/{need}/record-claim"), &fields)
            .await
            .status(),
        404
    );
    let audited = format!(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'claim.recorded_for_merchant' AND outcome = 'denied' \
         AND detail LIKE '%\"merchant_id\":{bakery}%'"
    );
    assert_eq!(scalar_i64(&app.db, &audited).await, 1, "the try is audited");
}

#[tokio::test]
async fn the_office_records_a_standing_offer_for_a_shop_without_telegram() {
    let app = TestApp::spawn().await;
    let (world, bakery) = stocked(&app).await;
    let shop = world.merchants[2].id;
    let mut office = app.login(&office_of(&app, "沙头角街道").await).await;
    let (_, list) = office.get("/admin/merchants").await;
    assert!(has_link(&list, &format!("/admin/merchants/{shop}/offers")), "{list}");
    let path = format!("/admin/merchants/{shop}/offers");
    let community = world.community_id.to_string();
    // A wrong capacity is said beside its field, with what was typed kept.
    let typed = [
        ("category", "food"),
        ("description", "老人午餐"),
        ("monthly_capacity", "lots"),
        ("community", community.as_str()),
    ];
    let response = office.post(&path, &typed).await;
    assert_eq!(response.status(), 422);
    let html = response.text().await.expect("body");
    assert!(html.contains("老人午餐") && html.contains("aria-invalid"), "{html}");
    let good = [
        ("category", "food"),
        ("description", "老人午餐"),
        ("monthly_capacity", "12"),
        ("community", community.as_str()),
    ];
    assert_eq!(office.post(&path, &good).await.status(), 303);
    assert_eq!(
        scalar_i64(
            &app.db,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'offer.add' AND actor_kind = 'staff'"
        )
        .await,
        1
    );
    let html = page_of(&app, "worker0@example.org", "/resources?category=food").await;
    assert!(html.contains("老人午餐") && html.contains("每月 12 份"), "{html}");

    // Haishan's office cannot see or add Shatoujiao's shops' offers, nor a worker.
    let haishan = app.login(&office_of(&app, "海山街道").await).await;
    assert_eq!(haishan.post(&path, &good).await.status(), 404);
    assert_eq!(
        haishan
            .post(&format!("/admin/merchants/{bakery}/offers"), &good)
            .await
            .status(),
        303,
        "its own shop"
    );
    let worker = app.login("worker0@example.org").await;
    assert_eq!(worker.post(&path, &good).await.status(), 403);
}

#[tokio::test]
async fn a_need_no_offer_fits_says_so_and_points_to_the_library_until_it_is_claimed() {
    let app = TestApp::spawn().await;
    let world = app.world(1).await;
    let need = app.post_need(world.a(), 2).await;
    let html = page_of(&app, "worker0@example.org", &format!("/needs/{need}")).await;
    assert!(
        html.contains("资源库里暂时没有适合这项需求的常设供给") && has_link(&html, "/resources"),
        "{html}"
    );
    // Wholly claimed, nobody is to be asked: the hint goes.
    let (status, _) = app.claim(&world.merchants[0].token, need, 2).await;
    assert_eq!(status, 201);
    let html = page_of(&app, "worker0@example.org", &format!("/needs/{need}")).await;
    assert!(!html.contains("资源库里暂时没有适合"), "{html}");
}

/// The status of offer `id` as stored.
async fn offer_status(app: &TestApp, id: i64) -> String {
    charity_relay::entities::offer::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .expect("query")
        .expect("offer")
        .status
}

#[tokio::test]
async fn the_office_pauses_and_resumes_an_offer_it_keeps_for_a_shop_and_no_one_else_can() {
    let app = TestApp::spawn().await;
    let (world, bakery) = stocked(&app).await;
    let shop = world.merchants[0].id;
    let lunch = offers::list(&app.db, shop).await.expect("offers")[0].id;
    let page = format!("/admin/merchants/{shop}/offers");
    let pause = format!("{page}/{lunch}/pause");
    let resume = format!("{page}/{lunch}/resume");
    let token = &world.a().token;
    let in_api = |body: &serde_json::Value| body.to_string().contains("每周盒饭");

    // The shop phones: it has no lunches this month. The office pauses the offer it keeps.
    let mut office = app.login(&office_of(&app, "沙头角街道").await).await;
    let (_, html) = office.get(&page).await;
    assert!(html.contains(&format!(r#"action="{pause}""#)), "{html}");
    let paused = office.post(&pause, &[]).await;
    assert_eq!(paused.status(), 303);
    let back = paused.headers()["location"].to_str().expect("location").to_owned();
    let (_, html) = office.get(&back).await;
    assert!(html.contains("已暂停这项供给") && html.contains("已暂停"), "{html}");
    assert!(html.contains(&format!(r#"action="{resume}""#)), "{html}");
    assert_eq!(offer_status(&app, lunch).await, "paused");
    let audited = "SELECT COUNT(*) FROM audit_log WHERE action = 'offer.pause' AND actor_kind = 'staff' \
                   AND outcome = 'ok'";
    assert_eq!(scalar_i64(&app.db, audited).await, 1);
    // A second click changes nothing and records nothing more.
    assert_eq!(office.post(&pause, &[]).await.status(), 303);
    assert_eq!(scalar_i64(&app.db, audited).await, 1);

    // It left the library, on the page and over the API.
    let html = page_of(&app, "worker0@example.org", "/resources").await;
    assert!(!html.contains("每周盒饭") && html.contains("常用药品"), "{html}");
    let (_, body) = app.api("GET", "/api/v1/offers", token, None).await;
    assert!(!in_api(&body), "{body}");

    // Haishan's office finds no such offer, whether it names Shatoujiao's shop or its own
    // bakery; the tries are audited and the offer stays paused.
    let haishan = app.login(&office_of(&app, "海山街道").await).await;
    assert_eq!(haishan.post(&resume, &[]).await.status(), 404);
    let through_own = format!("/admin/merchants/{bakery}/offers/{lunch}/resume");
    assert_eq!(haishan.post(&through_own, &[]).await.status(), 404);
    let missing = format!("{page}/{}/resume", lunch + 1000);
    assert_eq!(haishan.post(&missing, &[]).await.status(), 404, "as a missing one");
    assert_eq!(
        scalar_i64(
            &app.db,
            &format!(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'offer.resume' AND outcome = 'denied' \
                 AND subject_id = '{lunch}'"
            ),
        )
        .await,
        2,
        "both tries at Shatoujiao's offer"
    );
    assert_eq!(offer_status(&app, lunch).await, "paused");

    // The district bureau reads figures and changes nothing; a social worker neither.
    let mut bureau = app.login(&bureau(&app).await).await;
    bureau.get("/admin/reports").await;
    assert_eq!(bureau.post(&resume, &[]).await.status(), 403);
    let worker = app.login("worker0@example.org").await;
    assert_eq!(worker.post(&resume, &[]).await.status(), 403);
    assert_eq!(
        scalar_i64(
            &app.db,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'offer.resume' AND outcome = 'denied'"
        )
        .await,
        4,
        "Haishan's office twice, the bureau and the worker"
    );
    assert_eq!(offer_status(&app, lunch).await, "paused");

    // Next month the shop has lunches again: resumed, it is back in the library.
    let resumed = office.post(&resume, &[]).await;
    assert_eq!(resumed.status(), 303);
    let back = resumed.headers()["location"].to_str().expect("location").to_owned();
    let (_, html) = office.get(&back).await;
    assert!(html.contains("已恢复这项供给"), "{html}");
    let html = page_of(&app, "worker0@example.org", "/resources").await;
    assert!(html.contains("每周盒饭"), "{html}");
    let (_, body) = app.api("GET", "/api/v1/offers", token, None).await;
    assert!(in_api(&body), "{body}");
    assert_eq!(
        scalar_i64(
            &app.db,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'offer.resume' AND actor_kind = 'staff' \
             AND outcome = 'ok'"
        )
        .await,
        1
    );
}

/// A district bureau account; returns its email.
async fn bureau(app: &TestApp) -> String {
    let new = staff::NewUser {
        email: "bureau@example.org".into(),
        role: Role::District,
        organization: None,
        subdistrict: None,
        password: STAFF_PASSWORD.into(),
    };
    staff::create_user(&app.db, new, Utc::now()).await.expect("bureau");
    "bureau@example.org".into()
}

#[tokio::test]
async fn a_shop_with_telegram_keeps_its_offers_in_the_bot_and_the_office_is_told_so_in_words() {
    let app = TestApp::spawn().await;
    let (world, _) = stocked(&app).await;
    let shop = world.merchants[0].id;
    app.linked_chat(shop, 7_001, Locale::ZhCn).await;
    let lunch = offers::list(&app.db, shop).await.expect("offers")[0].id;
    let page = format!("/admin/merchants/{shop}/offers");
    let pause = format!("{page}/{lunch}/pause");

    // The office reads the shop's offers, with no button to pause them, and why.
    let mut office = app.login(&office_of(&app, "沙头角街道").await).await;
    let (status, html) = office.get(&page).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("每周盒饭"), "{html}");
    assert!(html.contains("常设供给由商户在机器人里自己暂停或恢复"), "{html}");
    assert!(!html.contains("/pause\"") && !html.contains("/resume\""), "{html}");

    // A pause posted anyway is refused in words, and the offer stays in the library.
    let refused = office.post(&pause, &[]).await;
    assert_eq!(refused.status(), 409);
    let html = refused.text().await.expect("page");
    assert!(
        html.contains("这家商户已绑定 Telegram，由商户在机器人里自己管理常设供给"),
        "{html}"
    );
    assert!(html.contains(&format!("href=\"{page}\"")), "the way back: {html}");
    assert_eq!(offer_status(&app, lunch).await, "active");
    assert_eq!(
        scalar_i64(
            &app.db,
            &format!(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'offer.pause' AND outcome = 'denied' \
                 AND subject_id = '{lunch}'"
            ),
        )
        .await,
        1
    );
}

#[tokio::test]
async fn another_subdistricts_office_finds_no_shop_to_read_or_record_an_offer_for_and_the_tries_are_audited() {
    let app = TestApp::spawn().await;
    let (world, _) = stocked(&app).await;
    let shop = world.merchants[0].id;
    let page = format!("/admin/merchants/{shop}/offers");
    let mut haishan = app.login(&office_of(&app, "海山街道").await).await;
    assert_eq!(haishan.get(&page).await.0, 404);
    let good = [
        ("category", "food"),
        ("description", "每周盒饭"),
        ("monthly_capacity", "5"),
        ("community", &world.community_id.to_string()),
    ];
    assert_eq!(haishan.post(&page, &good).await.status(), 404);
    // As a shop that does not exist, except that the tries are on record.
    assert_eq!(
        haishan.get(&format!("/admin/merchants/{}/offers", shop + 1000)).await.0,
        404
    );
    for action in ["offer.list", "offer.add"] {
        assert_eq!(
            scalar_i64(
                &app.db,
                &format!(
                    "SELECT COUNT(*) FROM audit_log WHERE action = '{action}' AND outcome = 'denied' \
                     AND subject_kind = 'merchant' AND subject_id = '{shop}'"
                ),
            )
            .await,
            1,
            "{action}"
        );
    }
}
