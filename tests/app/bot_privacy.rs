//! The bot never shows a merchant who the person helped is: every message it sends about a
//! need whose beneficiary has a name, phone and address, in both languages, holds none of
//! them, nor the beneficiary's code.

use bots::{Action, Locale};
use charity_relay::bot::outbox::render;
use charity_relay::services::access::Caller;
use charity_relay::services::{claims, needs};
use chrono::Utc;
use sea_orm::{ConnectionTrait, Statement};

use crate::support::TestApp;
use crate::support::bot::REPLY_WITHIN;
use crate::support::world::{PLANTED_ADDRESS, PLANTED_NAME, PLANTED_PHONE};

fn assert_private(text: &str, code: &str) {
    for secret in [PLANTED_NAME, PLANTED_PHONE, PLANTED_ADDRESS, code] {
        assert!(!text.contains(secret), "{secret:?} leaked into: {text}");
    }
}

#[tokio::test]
async fn no_message_of_the_bot_shows_a_name_phone_address_or_beneficiary_code() {
    let app = TestApp::spawn_with_bot().await;
    let world = app.world(2).await;
    let code: String = {
        let row = app
            .db
            .query_one_raw(Statement::from_string(
                app.db.get_database_backend(),
                format!("SELECT code FROM beneficiaries WHERE id = {}", world.a().beneficiary_id),
            ))
            .await
            .expect("query")
            .expect("row");
        row.try_get_by_index(0).expect("code")
    };
    for (i, lang) in Locale::ALL.into_iter().enumerate() {
        let merchant = &world.merchants[i];
        let chat = app.chat(4000 + i as i64, lang);
        let link = app.link_code(merchant.id).await;
        chat.send(&format!("/start {link}")).await;
        // An offer, so that new needs are pushed as alerts.
        let offers = chat.send("/offers").await;
        let categories = chat.tap(&offers.buttons.last().expect("add")[0].1).await;
        chat.tap(&categories.buttons[0][0].1).await;
        chat.send("每周两份盒饭").await;
        let picker = chat.send("5").await;
        let picked = chat.tap(&picker.buttons[0][0].1).await;
        chat.tap(&picked.buttons.last().expect("done")[0].1).await;

        // Alerts at any hour (set in the bot), so that the test does not depend on the time of day.
        chat.send("/alerts").await;
        chat.tap(&Action::AlertQuiet.encode()).await;
        chat.send("无").await;

        let before = chat.received().len();
        let need = app.post_need(world.a(), 4).await;
        app.tg().wait_for(chat.id, before + 1, REPLY_WITHIN).await;
        let hours = app
            .post_need_of(world.a(), "volunteer_hours", "陪老人聊天", 4, "小时")
            .await;
        // In the shop's community, so it is pushed too.
        app.tg().wait_for(chat.id, before + 2, REPLY_WITHIN).await;

        let page = chat.send_all("/needs").await;
        let filters = chat.tap(&Action::FilterCategories.encode()).await;
        chat.tap_all(&filters.buttons[0][0].1).await;
        chat.tap(&page.card(1).buttons[0][1].1).await;
        chat.send("1").await;
        chat.send_all("/hours").await;
        chat.tap(&Action::ClaimAllYes(hours, 4).encode()).await;
        let mine = chat.send_all("/mine").await;
        chat.tap(&mine.card(1).buttons[0][1].1).await;
        chat.tap(&mine.card(1).buttons[0][0].1).await;
        chat.send("/help").await;

        // Every notification kind, rendered for this need as the sender would.
        let me = Caller::Merchant {
            merchant_id: merchant.id,
            token_id: None,
        };
        let claimed = claims::claim_need(&app.db, &me, need, 1, None, Utc::now())
            .await
            .expect("claim");
        let card = needs::get_need(&app.db, &me, need, Utc::now()).await.expect("need");
        let base = serde_json::json!({
            "claim_id": claimed.claim.id, "need_id": need, "title": card.title, "quantity": 1, "unit": card.unit,
            "due_date": "2026-12-31", "handoff_code": "ACDEFG", "rating": 4, "reason": "expired",
            "drop_off": { "name": "服务点", "address": "东和社区党群服务中心", "opening_hours": "9:00–18:00" },
        });
        for kind in [
            "merchant-claim-confirmed",
            "merchant-claim-thanks",
            "merchant-claim-disputed",
            "merchant-claim-lapsed",
            "merchant-claim-reminder",
            "merchant-need-cancelled",
            "merchant-need-expired",
            "merchant-need-alert",
        ] {
            let rendered = render(&app.db, kind, &base.to_string(), merchant.id, lang)
                .await
                .expect("render")
                .unwrap_or_else(|| panic!("{kind} renders"));
            assert_private(&rendered.0, &code);
        }
        // A digest of both needs.
        let digest = serde_json::json!({ "need_ids": [need, hours], "date": "2026-12-01" });
        let rendered = render(&app.db, "merchant-need-digest", &digest.to_string(), merchant.id, lang)
            .await
            .expect("render")
            .expect("the digest renders");
        assert_private(&rendered.0, &code);
    }
    let texts = app.tg().all_texts();
    assert!(texts.len() > 30, "{}", texts.len());
    for text in &texts {
        assert_private(text, &code);
    }
    // What waits in the outbox for Telegram is public too.
    let rows = app
        .db
        .query_all_raw(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT payload FROM outbox WHERE channel = 'telegram'".to_owned(),
        ))
        .await
        .expect("outbox");
    for row in rows {
        let payload: String = row.try_get_by_index(0).expect("payload");
        assert_private(&payload, &code);
    }
}
