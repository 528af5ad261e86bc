//! A shopkeeper decides with `/public` whether its shop is listed on the public
//! transparency page: it reads exactly what the page would show, switches the listing on
//! with one button, finds its name on the page, and switches it off again — in Chinese and
//! in English. An unlinked chat is told to link first; a shop the office suspended cannot
//! be listed, but may always withdraw.

use bots::text::{self, public};
use bots::{Action, Locale, PublicListingView};
use charity_relay::domain::PartyStatus;
use charity_relay::services::access::Caller;
use charity_relay::services::office;
use chrono::Utc;

use crate::support::{TestApp, scalar_i64};

/// The first approved shop of the test world.
const SHOP: &str = "爱心商户0";

fn listing(name: &str, shown: bool) -> PublicListingView {
    PublicListingView {
        name: name.into(),
        shown,
    }
}

/// The reply to a tap of the listing's button by an approved shop.
fn switched(lang: Locale, shown: bool) -> String {
    format!(
        "{}\n\n{}",
        public::switched(lang, shown),
        public::summary(lang, &listing(SHOP, shown), true)
    )
}

async fn shown_in_db(app: &TestApp, merchant: i64) -> bool {
    scalar_i64(
        &app.db,
        &format!(
            "SELECT COUNT(*) FROM merchants WHERE id = {merchant} AND show_publicly = {}",
            if app.is_postgres() { "true" } else { "1" }
        ),
    )
    .await
        == 1
}

/// Audit rows of the shop switching its listing to `shown`.
async fn audited(app: &TestApp, merchant: i64, shown: bool) -> i64 {
    scalar_i64(
        &app.db,
        &format!(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'merchant.public' AND outcome = 'ok' \
             AND actor_kind = 'merchant' AND actor_id = '{merchant}' AND subject_kind = 'merchant' \
             AND subject_id = '{merchant}' AND detail = '{{\"shown\":{shown}}}'"
        ),
    )
    .await
}

/// Every audit row of a listing switched, by anyone.
async fn switches(app: &TestApp) -> i64 {
    scalar_i64(
        &app.db,
        "SELECT COUNT(*) FROM audit_log WHERE action = 'merchant.public'",
    )
    .await
}

async fn transparency_page(app: &TestApp, accept_language: &str) -> String {
    let response = app
        .client
        .get(app.url("/transparency"))
        .header("Accept-Language", accept_language)
        .send()
        .await
        .expect("GET /transparency");
    assert_eq!(response.status(), 200);
    response.text().await.expect("html")
}

#[tokio::test]
async fn a_shop_chooses_to_be_listed_on_the_public_page_and_withdraws() {
    let app = TestApp::spawn_with_bot().await;
    let world = app.world(1).await;
    let merchant = world.merchants[0].id;
    let chat = app.linked_chat(merchant, 1500, Locale::ZhCn).await;
    let before = transparency_page(&app, "zh-CN").await;
    assert!(!before.contains(SHOP), "nobody chose to be shown yet");

    // The shop reads that it is not listed and exactly what a listing would show.
    let shown = chat.send("/public").await;
    assert_eq!(shown.text, public::summary(Locale::ZhCn, &listing(SHOP, false), true));
    assert!(!shown.text.contains("王秀英"), "nothing about the people helped");

    // One tap lists it: stored, audited, and on the page (asked in a language whose page
    // has not been cached yet).
    let on = chat.tap(&shown.button(&public::show_button(Locale::ZhCn))).await;
    assert_eq!(on.text, switched(Locale::ZhCn, true));
    assert!(shown_in_db(&app, merchant).await);
    assert_eq!(audited(&app, merchant, true).await, 1);
    let page = transparency_page(&app, "en").await;
    assert!(page.contains(SHOP), "the shop is listed: {page}");

    // The same button now takes it off the list.
    let off = chat.tap(&on.button(&public::hide_button(Locale::ZhCn))).await;
    assert_eq!(off.text, switched(Locale::ZhCn, false));
    assert!(!shown_in_db(&app, merchant).await);
    assert_eq!(audited(&app, merchant, false).await, 1);

    // A second tap on that old button changes nothing and audits nothing more.
    let again = chat.tap(&on.button(&public::hide_button(Locale::ZhCn))).await;
    assert_eq!(again.text, switched(Locale::ZhCn, false));
    assert!(!shown_in_db(&app, merchant).await);
    assert_eq!(audited(&app, merchant, false).await, 1);
    assert_eq!(audited(&app, merchant, true).await, 1);
}

#[tokio::test]
async fn an_english_shop_reads_and_switches_its_listing_in_english() {
    let app = TestApp::spawn_with_bot().await;
    let world = app.world(1).await;
    let merchant = world.merchants[0].id;
    let chat = app.linked_chat(merchant, 1510, Locale::En).await;

    let shown = chat.send("/public").await;
    assert_eq!(shown.text, public::summary(Locale::En, &listing(SHOP, false), true));
    assert!(
        shown.text.contains("never anything about the people helped"),
        "{}",
        shown.text
    );

    let on = chat.tap(&shown.button(&public::show_button(Locale::En))).await;
    assert_eq!(on.text, switched(Locale::En, true));
    assert!(shown_in_db(&app, merchant).await);

    let off = chat.tap(&on.button(&public::hide_button(Locale::En))).await;
    assert_eq!(off.text, switched(Locale::En, false));
    assert!(!shown_in_db(&app, merchant).await);

    // /help lists the command.
    let help = chat.send("/help").await;
    assert!(help.text.contains("/public"), "{}", help.text);
}

#[tokio::test]
async fn an_unlinked_chat_is_told_to_link_first() {
    let app = TestApp::spawn_with_bot().await;
    let world = app.world(1).await;
    for (i, lang) in Locale::ALL.into_iter().enumerate() {
        let chat = app.chat(1520 + i as i64, lang);
        assert_eq!(chat.send("/public").await.text, text::how_to_link(lang));
        assert_eq!(
            chat.tap(&Action::Public(true).encode()).await.text,
            text::how_to_link(lang)
        );
    }
    assert!(!shown_in_db(&app, world.merchants[0].id).await);
    assert_eq!(switches(&app).await, 0);
}

#[tokio::test]
async fn a_suspended_shop_cannot_be_listed_but_may_always_withdraw() {
    let app = TestApp::spawn_with_bot().await;
    let world = app.world(1).await;

    // The suspended shop is offered no button, and one kept from before is refused.
    let suspended = app.linked_chat(world.suspended.id, 1530, Locale::En).await;
    let shown = suspended.send("/public").await;
    assert_eq!(
        shown.text,
        public::summary(Locale::En, &listing("已暂停商户", false), false)
    );
    assert!(shown.buttons.is_empty(), "{:?}", shown.buttons);
    let refused = suspended.tap(&Action::Public(true).encode()).await;
    assert_eq!(refused.text, public::cannot_show(Locale::En, false));
    assert!(!shown_in_db(&app, world.suspended.id).await, "nothing stored");
    assert_eq!(switches(&app).await, 0);

    // A shop still waiting for approval is told so, in Chinese.
    let pending = app.merchant("待审核商户", PartyStatus::Pending).await;
    let waiting = app.linked_chat(pending.id, 1531, Locale::ZhCn).await;
    let refused = waiting.tap(&Action::Public(true).encode()).await;
    assert_eq!(refused.text, public::cannot_show(Locale::ZhCn, true));
    assert!(!shown_in_db(&app, pending.id).await, "nothing stored");

    // A shop listed before the office suspended it is no longer on the page, is told so,
    // and can still take its name off.
    let merchant = world.merchants[0].id;
    let chat = app.linked_chat(merchant, 1532, Locale::ZhCn).await;
    let shown = chat.send("/public").await;
    chat.tap(&shown.button(&public::show_button(Locale::ZhCn))).await;
    office::set_merchant_status(
        &app.db,
        &Caller::System,
        merchant,
        PartyStatus::Suspended,
        "许可证过期",
        Utc::now(),
    )
    .await
    .expect("suspend");
    let now = chat.send("/public").await;
    assert_eq!(now.text, public::summary(Locale::ZhCn, &listing(SHOP, true), false));
    let page = app.get("/transparency").await.text().await.expect("page");
    assert!(!page.contains(SHOP), "a suspended shop is not listed");
    let again = chat.tap(&Action::Public(true).encode()).await;
    assert_eq!(
        again.text,
        public::cannot_show(Locale::ZhCn, false),
        "never told it is shown"
    );
    let off = chat.tap(&now.button(&public::hide_button(Locale::ZhCn))).await;
    assert_eq!(
        off.text,
        format!(
            "{}\n\n{}",
            public::switched(Locale::ZhCn, false),
            public::summary(Locale::ZhCn, &listing(SHOP, false), false)
        )
    );
    assert!(!shown_in_db(&app, merchant).await);
    assert_eq!(audited(&app, merchant, false).await, 1);
}
