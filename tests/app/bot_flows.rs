//! A shopkeeper uses the Telegram bot, in Chinese and in English: links the chat, browses
//! needs, claims all or part, delivers or releases, keeps standing offers, pledges hours,
//! switches language — through the real teloxide adapter and a fake Bot API.

use std::time::Duration;

use bots::text;
use bots::{Action, DeskError, Locale};
use charity_relay::domain::PartyStatus;
use charity_relay::entities::merchant_link_code;
use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::support::{TestApp, scalar_i64};

fn client_chat(base: i64, lang: Locale) -> i64 {
    base + if lang == Locale::En { 1 } else { 0 }
}

#[tokio::test]
async fn a_shopkeeper_links_the_chat_with_a_one_time_code() {
    let app = TestApp::spawn_with_bot().await;
    let world = app.world(2).await;
    app.post_need(world.a(), 3).await;
    for (i, lang) in Locale::ALL.into_iter().enumerate() {
        let merchant = &world.merchants[i];
        let chat = app.chat(client_chat(100, lang), lang);

        let unlinked = chat.send("/needs").await;
        assert_eq!(unlinked.text, text::how_to_link(lang), "no need data before linking");
        let wrong = chat.send("/start AAAAAAAA").await;
        assert_eq!(wrong.text, text::refusal(lang, &DeskError::WrongCode));

        let code = app.link_code(merchant.id).await;
        let linked = chat.send(&format!("/start {}", code.to_lowercase())).await;
        assert_eq!(linked.text, text::linked(lang, &format!("爱心商户{i}")));
        let chat_of = scalar_i64(
            &app.db,
            &format!("SELECT telegram_chat_id FROM merchants WHERE id = {}", merchant.id),
        )
        .await;
        assert_eq!(chat_of, chat.id);
        let needs = chat.send_all("/needs").await;
        assert!(needs.text().contains("米和食用油"), "{}", needs.text());

        // The code is one-time: another chat cannot use it again.
        let other = app.chat(client_chat(200, lang), lang);
        let reused = other.send(&format!("/start {code}")).await;
        assert_eq!(reused.text, text::refusal(lang, &DeskError::WrongCode));
    }

    // A code expires after 24 hours.
    let late = app.chat(300, Locale::En);
    let code = app.link_code(world.merchants[0].id).await;
    merchant_link_code::Entity::update_many()
        .col_expr(
            merchant_link_code::Column::ExpiresAt,
            Expr::value(Utc::now() - chrono::Duration::minutes(1)),
        )
        .filter(merchant_link_code::Column::UsedAt.is_null())
        .exec(&app.db)
        .await
        .expect("expire");
    let expired = late.send(&format!("/start {code}")).await;
    assert_eq!(expired.text, text::refusal(Locale::En, &DeskError::CodeExpired));
}

#[tokio::test]
async fn five_wrong_codes_in_a_row_lock_a_chat_out_for_an_hour() {
    let app = TestApp::spawn_with_bot().await;
    let world = app.world(1).await;
    for lang in Locale::ALL {
        let chat = app.chat(client_chat(400, lang), lang);
        for attempt in 1..=5 {
            let reply = chat.send("/start WRONG777").await;
            let expected = if attempt < 5 {
                text::refusal(lang, &DeskError::WrongCode)
            } else {
                text::refusal(lang, &DeskError::LockedOut { minutes: 60 })
            };
            assert_eq!(reply.text, expected, "attempt {attempt}");
        }
        let code = app.link_code(world.merchants[0].id).await;
        let refused = chat.send(&format!("/start {code}")).await;
        assert_eq!(
            refused.text,
            text::refusal(lang, &DeskError::LockedOut { minutes: 60 }),
            "even a right code waits"
        );
        let linked = scalar_i64(
            &app.db,
            &format!("SELECT COUNT(*) FROM merchants WHERE telegram_chat_id = {}", chat.id),
        )
        .await;
        assert_eq!(linked, 0);
    }
}

#[tokio::test]
async fn pending_and_suspended_merchants_are_told_why_and_see_no_need() {
    let app = TestApp::spawn_with_bot().await;
    let world = app.world(0).await;
    app.post_need(world.a(), 3).await;
    let pending = app.merchant("待审核商户", PartyStatus::Pending).await;
    for lang in Locale::ALL {
        for (who, explanation) in [
            (pending.id, text::pending(lang)),
            (world.suspended.id, text::suspended(lang)),
        ] {
            let chat = app.chat(500 + who * 10 + lang as i64, lang);
            let code = app.link_code(who).await;
            let replies = chat.send_n(&format!("/start {code}"), 2).await;
            assert_eq!(replies[1].text, explanation);
            for command in ["/needs", "/mine", "/hours", "/offers"] {
                let reply = chat.send(command).await;
                assert_eq!(reply.text, explanation, "{command}");
            }
        }
    }
}

#[tokio::test]
async fn needs_come_as_cards_a_few_at_a_time_with_paging_and_filters() {
    let app = TestApp::spawn_with_bot().await;
    let world = app.world(2).await;
    for n in 0..3 {
        app.post_need_of(world.a(), "food", &format!("大米{n}"), 5, "袋").await;
    }
    app.post_need_of(world.b(), "medicine", "降压药", 2, "盒").await;
    for (i, lang) in Locale::ALL.into_iter().enumerate() {
        let chat = app.linked_chat(world.merchants[i].id, 600 + i as i64, lang).await;
        // One message a card, each with its own buttons, the page's head on the first;
        // then a footer with paging and filters.
        let page = chat.send_all("/needs").await;
        assert_eq!(page.len(), 4, "three cards and a footer: {page:#?}");
        assert!(
            page[0].text.starts_with(&text::needs_header(lang, 0, false, None)),
            "{}",
            page[0].text
        );
        let deadline = (Utc::now() + chrono::Duration::days(30)).date_naive().to_string();
        let (community, group) = match lang {
            Locale::ZhCn => ("东和社区", "独居老人"),
            Locale::En => ("Donghe", "Elderly living alone"),
        };
        let mut titles = Vec::new();
        for number in 1..=3 {
            let card = page.card(number);
            for part in ["5 袋", "9:00–18:00", "服务点", deadline.as_str(), community, group] {
                assert!(card.text.contains(part), "{part} missing: {}", card.text);
            }
            let title = ["大米0", "大米1", "大米2"]
                .into_iter()
                .filter(|t| card.text.contains(t))
                .collect::<Vec<_>>();
            assert_eq!(title.len(), 1, "one need a card: {}", card.text);
            titles.push(title[0]);
            assert_eq!(
                card.buttons,
                vec![vec![
                    (
                        text::claim_all_button(lang, number, false),
                        card.buttons[0][0].1.clone()
                    ),
                    (
                        text::claim_part_button(lang, number, false),
                        card.buttons[0][1].1.clone()
                    ),
                ]],
                "card {number} has its own buttons"
            );
        }
        titles.sort_unstable();
        assert_eq!(titles, ["大米0", "大米1", "大米2"]);
        assert!(!page.text().contains("降压药"), "three a page");
        let footer = page.footer();
        assert_eq!(footer.text, text::needs_footer(lang, false, true));
        assert!(footer.buttons.iter().flatten().all(|(label, _)| !label.contains('#')));

        // A button under the second card claims the second card's need.
        let second = ["大米0", "大米1", "大米2"]
            .into_iter()
            .find(|t| page.card(2).text.contains(t))
            .expect("a title");
        let asked = chat.press(page.card(2), &text::claim_all_button(lang, 2, false)).await;
        assert_eq!(asked.len(), 1);
        assert!(asked[0].text.contains(second), "{}", asked[0].text);
        chat.tap(&asked.button(&text::claim_all_no_button(lang))).await;

        let next = chat.tap_all(&page.button(&text::more_button(lang))).await;
        assert!(
            next[0].text.starts_with(&text::needs_header(lang, 1, false, None)),
            "{}",
            next[0].text
        );
        assert!(next.card(4).text.contains("降压药"), "{next:#?}");
        assert_eq!(next.footer().text, text::needs_footer(lang, false, false));

        let categories = chat.tap(&page.button(&text::filter_category_button(lang))).await;
        let medicine = match lang {
            Locale::ZhCn => "药品",
            Locale::En => "Medicine",
        };
        let filtered = chat.tap_all(&categories.button(medicine)).await;
        assert!(
            filtered.text().contains("降压药") && !filtered.text().contains("大米"),
            "{}",
            filtered.text()
        );
        assert!(filtered[0].text.contains(medicine));
        filtered.footer().button(&text::clear_filter_button(lang));

        let communities = chat.tap(&page.button(&text::filter_community_button(lang))).await;
        let by_community = chat.tap_all(&communities.button(community)).await;
        assert!(by_community.text().contains("大米0"), "{}", by_community.text());

        let typed = chat.send_all("/needs medicine").await;
        assert!(
            typed.text().contains("降压药") && !typed.text().contains("大米"),
            "{}",
            typed.text()
        );
    }
}

#[tokio::test]
async fn claim_all_and_claim_part_confirm_with_due_date_drop_off_and_handoff_code() {
    let app = TestApp::spawn_with_bot().await;
    let world = app.world(2).await;
    for (i, lang) in Locale::ALL.into_iter().enumerate() {
        let merchant = world.merchants[i].id;
        let whole = app
            .post_need_of(world.a(), "food", &format!("整袋大米{i}"), 4, "袋")
            .await;
        let part = app
            .post_need_of(world.a(), "daily_goods", &format!("洗衣液{i}"), 6, "瓶")
            .await;
        let chat = app.linked_chat(merchant, 700 + i as i64, lang).await;

        let confirmed = chat.tap(&Action::ClaimAllYes(whole, 4).encode()).await;
        let code: String = {
            let row = app
                .db
                .query_one_raw(sea_orm::Statement::from_string(
                    app.db.get_database_backend(),
                    format!("SELECT handoff_code FROM claims WHERE need_id = {whole}"),
                ))
                .await
                .expect("query")
                .expect("claim");
            row.try_get_by_index(0).expect("code")
        };
        for part in [
            code.as_str(),
            "4 袋",
            "9:00–18:00",
            "东和社区党群服务中心",
            &format!("整袋大米{i}"),
        ] {
            assert!(confirmed.text.contains(part), "{part} missing: {}", confirmed.text);
        }
        let thanks = match lang {
            Locale::ZhCn => "感谢认领",
            Locale::En => "Thank you!",
        };
        assert!(confirmed.text.starts_with(thanks), "{}", confirmed.text);

        let ask = chat.tap(&Action::ClaimPart(part).encode()).await;
        assert!(ask.text.contains("1") && ask.text.contains("6"), "{}", ask.text);
        let not_number = chat.send("two").await;
        assert_eq!(not_number.text, text::not_a_number(lang, 6));
        let too_many = chat.send("9").await;
        assert_eq!(too_many.text, text::only_left(lang, 6, "瓶"));
        let done = chat.send("２").await;
        assert!(
            done.text.starts_with(thanks) && done.text.contains("2 瓶"),
            "{}",
            done.text
        );
        let quantity = scalar_i64(
            &app.db,
            &format!("SELECT quantity FROM claims WHERE need_id = {part} AND merchant_id = {merchant}"),
        )
        .await;
        assert_eq!(quantity, 2);
        let after = chat.send("3").await;
        assert_eq!(after.text, text::not_understood(lang), "the question was answered");

        // A new merchant may hold three active claims.
        let third = app.post_need_of(world.a(), "food", &format!("面条{i}"), 2, "包").await;
        chat.tap(&Action::ClaimAllYes(third, 2).encode()).await;
        let fourth = app.post_need_of(world.a(), "food", &format!("牛奶{i}"), 2, "箱").await;
        let limited = chat.tap(&Action::ClaimPart(fourth).encode()).await;
        assert_eq!(
            limited.text,
            text::refusal(lang, &DeskError::ClaimLimitReached { limit: 3 })
        );
        let limited = chat.tap(&Action::ClaimAll(fourth).encode()).await;
        assert_eq!(
            limited.text,
            text::refusal(lang, &DeskError::ClaimLimitReached { limit: 3 })
        );
    }
    // The bot's reply was the confirmation: the queued notification is not sent again.
    let confirmations = scalar_i64(
        &app.db,
        "SELECT COUNT(*) FROM outbox WHERE kind = 'merchant-claim-confirmed' AND last_error = 'shown in the bot''s reply' AND status = 'sent'",
    )
    .await;
    assert_eq!(confirmations, 6);
}

#[tokio::test]
async fn mine_lists_active_claims_to_deliver_or_release_after_confirming() {
    let app = TestApp::spawn_with_bot().await;
    let world = app.world(2).await;
    for (i, lang) in Locale::ALL.into_iter().enumerate() {
        let merchant = world.merchants[i].id;
        let chat = app.linked_chat(merchant, 800 + i as i64, lang).await;
        assert_eq!(chat.send("/mine").await.text, text::mine_empty(lang));
        let first = app.post_need_of(world.a(), "food", &format!("鸡蛋{i}"), 2, "盒").await;
        let second = app
            .post_need_of(world.a(), "clothing", &format!("棉衣{i}"), 1, "件")
            .await;
        chat.tap(&Action::ClaimAllYes(first, 2).encode()).await;
        chat.tap(&Action::ClaimAllYes(second, 1).encode()).await;

        // One message a claim, each with its own buttons.
        let mine = chat.send_all("/mine").await;
        assert_eq!(mine.len(), 2, "{mine:#?}");
        assert!(mine[0].text.starts_with(&text::mine_header(lang)), "{}", mine[0].text);
        assert!(mine.card(1).text.contains(&format!("鸡蛋{i}")), "{mine:#?}");
        assert!(mine.card(2).text.contains(&format!("棉衣{i}")), "{mine:#?}");
        for number in [1, 2] {
            let labels: Vec<&str> = mine
                .card(number)
                .buttons
                .iter()
                .flatten()
                .map(|b| b.0.as_str())
                .collect();
            assert_eq!(
                labels,
                [
                    text::deliver_button(lang, number, false),
                    text::release_button(lang, number)
                ]
            );
        }
        let delivered = chat
            .tap(&mine.card(1).button(&text::deliver_button(lang, 1, false)))
            .await;
        assert!(delivered.text.contains(&format!("鸡蛋{i}")), "{}", delivered.text);
        let status = scalar_i64(
            &app.db,
            &format!("SELECT COUNT(*) FROM claims WHERE need_id = {first} AND status = 'delivered'"),
        )
        .await;
        assert_eq!(status, 1);

        let ask = chat.tap(&mine.card(2).button(&text::release_button(lang, 2))).await;
        assert!(ask.text.contains(&format!("棉衣{i}")), "{}", ask.text);
        let kept = chat.tap(&ask.button(&text::release_no_button(lang))).await;
        assert_eq!(kept.text, text::kept(lang));
        let released = chat.tap(&ask.button(&text::release_yes_button(lang))).await;
        assert!(released.text.contains(&format!("棉衣{i}")), "{}", released.text);
        let reopened = scalar_i64(
            &app.db,
            &format!("SELECT COUNT(*) FROM needs WHERE id = {second} AND status = 'open' AND claimed = 0"),
        )
        .await;
        assert_eq!(reopened, 1);
        let again = chat.tap(&ask.button(&text::release_yes_button(lang))).await;
        assert_eq!(again.text, text::refusal(lang, &DeskError::WrongState));
    }
}

#[tokio::test]
async fn standing_offers_are_added_paused_resumed_and_fitting_needs_are_pushed() {
    let app = TestApp::spawn_with_bot().await;
    let world = app.world(2).await;
    for (i, lang) in Locale::ALL.into_iter().enumerate() {
        let merchant = world.merchants[i].id;
        let chat = app.linked_chat(merchant, 900 + i as i64, lang).await;
        app.alerts_at_any_hour(merchant).await;
        let empty = chat.send("/offers").await;
        assert_eq!(empty.text, text::offers_empty(lang));
        let categories = chat.tap(&empty.button(&text::add_offer_button(lang))).await;
        let food = match lang {
            Locale::ZhCn => "食品",
            Locale::En => "Food",
        };
        let ask = chat.tap(&categories.button(food)).await;
        assert_eq!(ask.text, text::offer_ask_description(lang, food));
        assert_eq!(chat.send("每周两份盒饭").await.text, text::offer_ask_capacity(lang));
        assert_eq!(chat.send("many").await.text, text::offer_capacity_invalid(lang));
        let picker = chat.send("8").await;
        assert_eq!(picker.text, text::offer_pick_communities(lang, &[]));
        let done_label = text::offer_done_button(lang);
        let early = chat.tap(&picker.button(&done_label)).await;
        assert_eq!(early.text, text::offer_need_community(lang));
        let community = match lang {
            Locale::ZhCn => "东和社区",
            Locale::En => "Donghe",
        };
        let picked = chat.tap(&picker.button(community)).await;
        assert_eq!(picked.text, text::offer_pick_communities(lang, &[community.to_owned()]));
        let added = chat.tap(&picked.button(&done_label)).await;
        assert!(added.text.contains("每周两份盒饭"), "{}", added.text);

        let listed = chat.send("/offers").await;
        assert!(
            listed.text.contains("每周两份盒饭") && listed.text.contains('8'),
            "{}",
            listed.text
        );
        let paused = chat.tap(&listed.button(&text::pause_button(lang, 1))).await;
        assert!(paused.text.contains("每周两份盒饭"));
        let status = scalar_i64(
            &app.db,
            &format!("SELECT COUNT(*) FROM offers WHERE merchant_id = {merchant} AND status = 'paused'"),
        )
        .await;
        assert_eq!(status, 1);
        let listed = chat.send("/offers").await;
        chat.tap(&listed.button(&text::resume_offer_button(lang, 1))).await;

        // A new food need in the community is pushed to the merchant, with claim buttons.
        let before = chat.received().len();
        let need = app.post_need_of(world.a(), "food", &format!("热饭{i}"), 3, "份").await;
        let alert = app
            .tg()
            .wait_for(chat.id, before + 1, crate::support::bot::REPLY_WITHIN)
            .await[before]
            .clone();
        assert!(alert.text.starts_with(&text::alert_intro(lang)), "{}", alert.text);
        assert!(alert.text.contains(&format!("热饭{i}")));
        let asked = chat.tap(&alert.button(&text::claim_all_button(lang, 1, false))).await;
        assert!(asked.text.contains("3 份"), "{}", asked.text);
        let claimed = chat.tap(&asked.button(&text::claim_all_yes_button(lang))).await;
        assert!(claimed.text.contains("3 份"), "{}", claimed.text);
        let claims = scalar_i64(
            &app.db,
            &format!("SELECT COUNT(*) FROM claims WHERE need_id = {need} AND merchant_id = {merchant}"),
        )
        .await;
        assert_eq!(claims, 1);
    }
    // A clothing need fits nobody's offer, but both shops serve its community, so it is
    // pushed to them — unless a shop wants to hear of food only.
    let en_chat = app.chat(901, Locale::En);
    en_chat.send("/alerts").await;
    let picker = en_chat.tap(&Action::AlertsCategories.encode()).await;
    let food_only = en_chat.tap(&picker.button("Food")).await;
    assert!(food_only.text.contains("Food"), "{}", food_only.text);
    app.post_need_of(world.a(), "clothing", "冬衣", 1, "件").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let alerts = scalar_i64(
        &app.db,
        "SELECT COUNT(*) FROM outbox WHERE kind = 'merchant-need-alert'",
    )
    .await;
    // 热饭0 went to the first merchant; 热饭1 to both, each with a food offer by then;
    // 冬衣 to the first only.
    assert_eq!(alerts, 4);
    let clothing_to_second = scalar_i64(
        &app.db,
        &format!(
            "SELECT COUNT(*) FROM need_alerts a JOIN needs n ON n.id = a.need_id WHERE n.title = '冬衣' AND a.merchant_id = {}",
            world.merchants[1].id
        ),
    )
    .await;
    assert_eq!(clothing_to_second, 0);
}

#[tokio::test]
async fn volunteer_hours_are_pledged_like_any_claim() {
    let app = TestApp::spawn_with_bot().await;
    let world = app.world(2).await;
    app.post_need_of(world.a(), "food", "大米", 2, "袋").await;
    for (i, lang) in Locale::ALL.into_iter().enumerate() {
        let need = app
            .post_need_of(world.a(), "volunteer_hours", &format!("陪伴老人{i}"), 6, "小时")
            .await;
        let chat = app.linked_chat(world.merchants[i].id, 1000 + i as i64, lang).await;
        let list = chat.send_all("/hours").await;
        assert!(
            list[0].text.starts_with(&text::needs_header(lang, 0, true, None)),
            "{}",
            list[0].text
        );
        assert!(
            list.text().contains(&format!("陪伴老人{i}")) && !list.text().contains("大米"),
            "{}",
            list.text()
        );
        assert_eq!(list.len(), i + 1, "a card a need, no footer without more: {list:#?}");
        assert_eq!(list.card(1).buttons[0][1].0, text::claim_part_button(lang, 1, true));
        // Hours are served where the social worker arranges: no drop-off point on the card.
        for goods in ["送达点", "Drop-off", "服务点"] {
            assert!(!list.text().contains(goods), "{goods}: {}", list.text());
        }
        let ask = chat.tap(&Action::ClaimPart(need).encode()).await;
        assert!(ask.text.contains("小时"), "{}", ask.text);
        let pledged = chat.send("3").await;
        assert!(pledged.text.contains("3 小时"), "{}", pledged.text);
        let hours = scalar_i64(&app.db, &format!("SELECT claimed FROM needs WHERE id = {need}")).await;
        assert_eq!(hours, 3);
    }
}

#[tokio::test]
async fn the_language_is_switched_and_remembered_and_commands_are_registered_in_both() {
    let app = TestApp::spawn_with_bot().await;
    let world = app.world(1).await;
    let chat = app.linked_chat(world.merchants[0].id, 1100, Locale::ZhCn).await;
    assert_eq!(chat.send("/help").await.text, text::help(Locale::ZhCn));
    let prompt = chat.send("/lang").await;
    let switched = chat.tap(&prompt.button("English")).await;
    assert_eq!(switched.text, text::lang_set(Locale::En));
    assert_eq!(chat.send("/help").await.text, text::help(Locale::En));
    let locale = scalar_i64(
        &app.db,
        &format!(
            "SELECT COUNT(*) FROM merchants WHERE id = {} AND locale = 'en'",
            world.merchants[0].id
        ),
    )
    .await;
    assert_eq!(locale, 1, "remembered");
    assert_eq!(chat.send("/lang zh").await.text, text::lang_set(Locale::ZhCn));

    let registered = app.tg().calls_of("setMyCommands");
    assert_eq!(registered.len(), 2, "{registered:?}");
    let zh = registered
        .iter()
        .find(|c| c.body["language_code"] == "zh")
        .expect("zh menu");
    let en = registered
        .iter()
        .find(|c| c.body.get("language_code").is_none_or(|v| v.is_null()))
        .expect("default menu");
    assert_eq!(
        zh.body["commands"][0]["description"],
        text::command_list(Locale::ZhCn)[0].1
    );
    assert_eq!(
        en.body["commands"][0]["description"],
        text::command_list(Locale::En)[0].1
    );
    assert_eq!(
        zh.body["commands"].as_array().map(Vec::len),
        Some(bots::command::NAMES.len())
    );
    for name in ["alerts", "public", "credit"] {
        let everywhere = registered.iter().all(|call| {
            call.body["commands"]
                .as_array()
                .is_some_and(|menu| menu.iter().any(|c| c["command"] == name))
        });
        assert!(everywhere, "{name}: {registered:?}");
    }
}

#[tokio::test]
async fn tampered_or_unknown_buttons_and_commands_get_a_polite_answer() {
    let app = TestApp::spawn_with_bot().await;
    let world = app.world(2).await;
    let need = app.post_need(world.a(), 2).await;
    for (i, lang) in Locale::ALL.into_iter().enumerate() {
        let chat = app.linked_chat(world.merchants[i].id, 1200 + i as i64, lang).await;
        for data in [
            format!("v1:claim:all:{need}x"),
            format!("v0:claim:all:{need}"),
            "v1:release:yes:999999".to_owned(),
            "garbage".to_owned(),
        ] {
            assert_eq!(chat.tap(&data).await.text, text::button_expired(lang), "{data}");
        }
        assert_eq!(chat.send("/fly").await.text, text::unknown_command(lang));
        assert_eq!(chat.send("hello").await.text, text::not_understood(lang));
    }
    assert_eq!(app.count("claims").await, 0);
}
