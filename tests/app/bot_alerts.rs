//! A shopkeeper decides how it hears of needs — categories and communities of interest,
//! a daily cap, quiet hours, instant or a daily digest, urgent needs always — with
//! `/alerts`, buttons and typed answers, in Chinese and in English, and in the console;
//! and its `/needs` list shows the need that fits it best first.

use bots::text::{self, alerts};
use bots::{Action, AlertSettingsView, Choice, DeskError, Locale};
use charity_relay::services::offers;

use crate::support::{TestApp, scalar_i64};

fn defaults() -> AlertSettingsView {
    AlertSettingsView {
        categories: vec![],
        communities: vec![],
        daily_cap: 5,
        quiet_hours: Some((22 * 60, 8 * 60)),
        digest: false,
        digest_minute: 18 * 60,
        urgent_always: false,
        other_subdistricts: false,
        paused_by_credit: false,
    }
}

fn choice(code: &str, label: &str) -> Choice {
    Choice {
        code: code.into(),
        label: label.into(),
    }
}

fn saved(lang: Locale, view: &AlertSettingsView) -> String {
    format!("{}\n\n{}", alerts::saved(lang), alerts::summary(lang, view))
}

#[tokio::test]
async fn a_shopkeeper_sets_how_it_hears_of_needs_in_either_language() {
    let app = TestApp::spawn_with_bot().await;
    let world = app.world(2).await;
    let community = world.community_id.to_string();
    for (i, lang) in Locale::ALL.into_iter().enumerate() {
        let merchant = world.merchants[i].id;
        let chat = app.linked_chat(merchant, 1300 + i as i64, lang).await;
        let (food, medicine, donghe) = match lang {
            Locale::ZhCn => ("食品", "药品", "东和社区"),
            Locale::En => ("Food", "Medicine", "Donghe"),
        };

        let shown = chat.send("/alerts").await;
        assert_eq!(shown.text, alerts::summary(lang, &defaults()));

        // Categories: tap two, each marked as chosen, then back to the settings.
        let picker = chat.tap(&shown.button(&alerts::categories_button(lang))).await;
        assert_eq!(picker.text, alerts::pick_categories(lang, &[]));
        let picked = chat.tap(&picker.button(medicine)).await;
        assert_eq!(
            picked.text,
            alerts::pick_categories(lang, &[choice("medicine", medicine)])
        );
        let picked = chat.tap(&picked.button(food)).await;
        picked.button(&format!("✓ {food}"));
        let back = chat.tap(&picked.button(&alerts::done_button(lang))).await;
        let mut expected = AlertSettingsView {
            categories: vec![choice("food", food), choice("medicine", medicine)],
            ..defaults()
        };
        assert_eq!(back.text, alerts::summary(lang, &expected));

        // Communities.
        let picker = chat.tap(&back.button(&alerts::communities_button(lang))).await;
        let picked = chat.tap(&picker.button(donghe)).await;
        expected.communities = vec![choice(&community, donghe)];
        assert_eq!(picked.text, alerts::pick_communities(lang, &expected.communities));

        // The daily cap, typed; a wrong answer is asked again.
        let ask = chat.tap(&back.button(&alerts::cap_button(lang))).await;
        assert_eq!(ask.text, alerts::ask_cap(lang, 50));
        assert_eq!(chat.send("many").await.text, alerts::cap_invalid(lang, 50));
        assert_eq!(chat.send("60").await.text, alerts::cap_invalid(lang, 50));
        expected.daily_cap = 3;
        assert_eq!(chat.send("３").await.text, saved(lang, &expected));

        // Quiet hours, typed the way people write them.
        let ask = chat.tap(&back.button(&alerts::quiet_button(lang))).await;
        assert_eq!(ask.text, alerts::ask_quiet(lang));
        assert_eq!(chat.send("25-8").await.text, alerts::quiet_invalid(lang));
        expected.quiet_hours = Some((21 * 60 + 30, 7 * 60));
        let after_quiet = chat.send("21:30-7").await;
        assert_eq!(after_quiet.text, saved(lang, &expected));

        // A daily digest, and urgent needs always.
        let digest = chat.tap(&after_quiet.button(&alerts::mode_button(lang, false))).await;
        expected.digest = true;
        assert_eq!(digest.text, saved(lang, &expected));
        let urgent = chat.tap(&digest.button(&alerts::urgent_button(lang, false))).await;
        expected.urgent_always = true;
        assert_eq!(urgent.text, saved(lang, &expected));

        // Stored as shown.
        let stored = scalar_i64(
            &app.db,
            &format!(
                "SELECT COUNT(*) FROM merchant_alert_settings WHERE merchant_id = {merchant} \
                 AND categories = 'food,medicine' AND communities = '{community}' AND daily_cap = 3 \
                 AND quiet_start = 1290 AND quiet_end = 420 AND mode = 'digest' AND urgent_always = {}",
                if app.is_postgres() { "true" } else { "1" }
            ),
        )
        .await;
        assert_eq!(stored, 1);

        // Every category again; no quiet hours; a tampered button is refused politely.
        let picker = chat.tap(&Action::AlertsCategories.encode()).await;
        let all = chat.tap(&picker.button(&alerts::all_categories_button(lang))).await;
        expected.categories.clear();
        assert_eq!(all.text, saved(lang, &expected));
        chat.tap(&Action::AlertQuiet.encode()).await;
        expected.quiet_hours = None;
        let none = match lang {
            Locale::ZhCn => "无",
            Locale::En => "none",
        };
        assert_eq!(chat.send(none).await.text, saved(lang, &expected));
        assert_eq!(
            chat.tap("v1:alerts:comm:999999").await.text,
            text::refusal(lang, &DeskError::NotFound)
        );
        assert_eq!(chat.tap("v1:alerts:cat:toys").await.text, text::button_expired(lang));
    }
    let audited = scalar_i64(
        &app.db,
        "SELECT COUNT(*) FROM audit_log WHERE action = 'merchant.alert_settings'",
    )
    .await;
    // Nine changes in each language; the refused one changed nothing.
    assert_eq!(audited, 2 * 9);

    // A suspended shop is told why, as for every other command.
    let chat = app.linked_chat(world.suspended.id, 1310, Locale::En).await;
    assert_eq!(chat.send("/alerts").await.text, text::suspended(Locale::En));
}

#[tokio::test]
async fn a_shop_in_credit_band_d_is_told_its_alerts_are_paused_and_how_to_lift_it() {
    let app = TestApp::spawn_with_bot().await;
    let world = app.world(1).await;
    let merchant = world.merchants[0].id;
    let chat = app.linked_chat(merchant, 1390, Locale::En).await;
    assert!(!chat.send("/alerts").await.text.contains("band D"));
    sea_orm::ConnectionTrait::execute_unprepared(
        &app.db,
        &format!("UPDATE merchants SET credit_score = 30 WHERE id = {merchant}"),
    )
    .await
    .expect("band D");
    let shown = chat.send("/alerts").await;
    let expected = AlertSettingsView {
        paused_by_credit: true,
        ..defaults()
    };
    assert_eq!(shown.text, alerts::summary(Locale::En, &expected));
    assert!(shown.text.contains("alerts of new needs, urgent ones too, are paused") && shown.text.contains("/credit"));
}

#[tokio::test]
async fn the_needs_list_shows_the_need_that_fits_the_shop_first() {
    let app = TestApp::spawn_with_bot().await;
    let world = app.world(1).await;
    let merchant = world.merchants[0].id;
    app.post_need_of(world.a(), "clothing", "旧冬衣", 1, "件").await;
    app.post_need_of(world.a(), "tutoring", "数学辅导", 2, "次").await;
    let offer = offers::NewOffer {
        category: charity_relay::domain::Category::Tutoring,
        description: "周末辅导".into(),
        monthly_capacity: 4,
        community_ids: vec![world.community_id],
    };
    offers::add(&app.db, merchant, offer, chrono::Utc::now())
        .await
        .expect("offer");
    for lang in Locale::ALL {
        let chat = app.linked_chat(merchant, 1400, lang).await;
        let page = chat.send_all("/needs").await;
        assert!(page.card(1).text.contains("数学辅导"), "{page:#?}");
        assert!(page.card(2).text.contains("旧冬衣"), "{page:#?}");
    }
}

#[tokio::test]
async fn the_console_sets_alerts_by_numbered_choices() {
    let app = TestApp::spawn().await;
    let world = app.world(1).await;
    let merchant = world.merchants[0].id;
    // /alerts → [1] categories [2] communities [3] cap [4] quiet [5] digest [6] urgent;
    // "3" asks for the cap, and "4" is then the typed answer.
    let run = app.cli(
        &["bot-console", "--merchant", &merchant.to_string()],
        "/alerts\n3\n4\n/alerts\n5\n",
    );
    assert_eq!(run.code, Some(0), "{run:?}");
    let expected = AlertSettingsView {
        daily_cap: 4,
        ..defaults()
    };
    assert!(run.stdout.contains(&saved(Locale::ZhCn, &expected)), "{}", run.stdout);
    let digest = AlertSettingsView {
        digest: true,
        ..expected
    };
    assert!(run.stdout.contains(&saved(Locale::ZhCn, &digest)), "{}", run.stdout);
    let stored = scalar_i64(
        &app.db,
        &format!("SELECT daily_cap FROM merchant_alert_settings WHERE merchant_id = {merchant}"),
    )
    .await;
    assert_eq!(stored, 4);
}

#[tokio::test]
async fn a_daily_digest_comes_as_a_heading_then_one_card_a_need_each_with_its_own_buttons() {
    use charity_relay::domain::alerts::{AlertMode, SettingsChange};
    use charity_relay::entities::need_alert;
    use sea_orm::EntityTrait;
    use sea_orm::sea_query::Expr;

    let app = TestApp::spawn_with_bot().await;
    let world = app.world(2).await;
    let now = chrono::Utc::now();
    let mut chats = Vec::new();
    for (i, lang) in Locale::ALL.into_iter().enumerate() {
        let merchant = world.merchants[i].id;
        let food = offers::NewOffer {
            category: charity_relay::domain::Category::Food,
            description: "米面粮油".into(),
            monthly_capacity: 10,
            community_ids: vec![world.community_id],
        };
        offers::add(&app.db, merchant, food, now).await.expect("offer");
        app.alerts_at_any_hour(merchant).await;
        charity_relay::services::alert_settings::change(
            &app.db,
            merchant,
            SettingsChange::Mode(AlertMode::Digest),
            now,
        )
        .await
        .expect("digest mode");
        chats.push(app.linked_chat(merchant, 5100 + i as i64, lang).await);
    }
    let rice = app.post_need_of(world.a(), "food", "大米", 4, "袋").await;
    let oil = app.post_need_of(world.a(), "food", "食用油", 3, "桶").await;
    // The evening's digest time has come.
    need_alert::Entity::update_many()
        .col_expr(
            need_alert::Column::DeliverAt,
            Expr::value(now - chrono::Duration::minutes(1)),
        )
        .exec(&app.db)
        .await
        .expect("due");
    let before: Vec<usize> = chats.iter().map(|c| c.received().len()).collect();
    charity_relay::jobs::run_once(&app.db, chrono::Utc::now())
        .await
        .expect("jobs");

    for (chat, before) in chats.iter().zip(before) {
        let lang = chat.lang;
        let got = app
            .tg()
            .wait_for(chat.id, before + 3, crate::support::bot::REPLY_WITHIN)
            .await;
        let [heading, first, second] = [&got[before], &got[before + 1], &got[before + 2]];
        assert_eq!(heading.text, alerts::digest_intro(lang, 2));
        assert!(
            heading.buttons.is_empty(),
            "the heading carries no buttons: {heading:?}"
        );
        for (card, need, title, number) in [(first, rice, "大米", 1), (second, oil, "食用油", 2)] {
            assert!(card.text.contains(title), "{}", card.text);
            let own: Vec<String> = card.buttons.iter().flatten().map(|b| b.1.clone()).collect();
            assert_eq!(
                own,
                vec![Action::ClaimAll(need).encode(), Action::ClaimPart(need).encode()],
                "a card's buttons are its own need's"
            );
            assert_eq!(
                card.button(&text::claim_all_button(lang, number, false)),
                Action::ClaimAll(need).encode()
            );
        }
        assert_eq!(got.len(), before + 3, "nothing else came: {:?}", &got[before..]);
        let asked = chat.tap(&second.button(&text::claim_all_button(lang, 2, false))).await;
        assert!(asked.text.contains("3 桶"), "{}", asked.text);
    }
}
