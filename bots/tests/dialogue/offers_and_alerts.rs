//! `/offers` (adding one step by step, pausing, resuming) and `/alerts` (buttons and typed
//! answers).

use bots::desk::MAX_DAILY_CAP;
use bots::{Action, Locale, State, text};

use crate::fake_desk::{FakeDesk, SHOP};
use crate::{Chat, actions, only};

#[tokio::test]
async fn an_offer_is_added_step_by_step_and_each_step_asks_again_when_the_answer_is_wrong() {
    let desk = FakeDesk::new();
    let mut chat = Chat::of(&desk, SHOP, Locale::ZhCn);
    let empty = chat.send("/offers").await;
    assert_eq!(only(&empty), text::offers_empty(Locale::ZhCn));
    assert_eq!(actions(&empty), [Action::OfferAdd]);

    let pick = chat.tap(Action::OfferAdd).await;
    assert_eq!(only(&pick), text::offer_pick_category(Locale::ZhCn));
    assert_eq!(
        actions(&pick),
        [
            Action::OfferCategory("food".into()),
            Action::OfferCategory("volunteer_hours".into())
        ]
    );
    // A category code the desk does not know is an old button.
    assert_eq!(
        only(&chat.tap(Action::OfferCategory("cars".into())).await),
        text::button_expired(Locale::ZhCn)
    );

    let ask = chat.tap(Action::OfferCategory("food".into())).await;
    assert_eq!(only(&ask), text::offer_ask_description(Locale::ZhCn, "食品"));
    assert_eq!(
        chat.session.state,
        State::OfferDescription {
            category: "food".into()
        }
    );
    let too_long = "饭".repeat(201);
    assert_eq!(
        only(&chat.send(&too_long).await),
        text::offer_description_invalid(Locale::ZhCn)
    );

    assert_eq!(
        only(&chat.send("每周两份盒饭").await),
        text::offer_ask_capacity(Locale::ZhCn)
    );
    for wrong in ["0", "十", "10001"] {
        assert_eq!(
            only(&chat.send(wrong).await),
            text::offer_capacity_invalid(Locale::ZhCn)
        );
    }
    let picker = chat.send("8").await;
    assert_eq!(only(&picker), text::offer_pick_communities(Locale::ZhCn, &[]));
    assert_eq!(
        actions(&picker),
        [Action::OfferCommunity(1), Action::OfferCommunity(2), Action::OfferDone]
    );

    assert_eq!(
        only(&chat.tap(Action::OfferDone).await),
        text::offer_need_community(Locale::ZhCn)
    );
    // Typing while the picker waits shows it again.
    assert_eq!(
        only(&chat.send("东和").await),
        text::offer_pick_communities(Locale::ZhCn, &[])
    );
    let picked = chat.tap(Action::OfferCommunity(1)).await;
    assert_eq!(
        only(&picked),
        text::offer_pick_communities(Locale::ZhCn, &["东和社区".into()])
    );
    assert!(picked[0].buttons[0][0].label.starts_with('✓'));
    // An unknown community is an old button; the pick so far stays.
    assert_eq!(
        only(&chat.tap(Action::OfferCommunity(77)).await),
        text::button_expired(Locale::ZhCn)
    );

    let added = chat.tap(Action::OfferDone).await;
    let offer = desk.world().offers[0].1.clone();
    assert_eq!(offer.description, "每周两份盒饭");
    assert_eq!(offer.monthly_capacity, 8);
    assert_eq!(offer.communities, ["东和社区"]);
    assert_eq!(only(&added), text::offer_added(Locale::ZhCn, &offer));
    assert_eq!(chat.session.state, State::Idle);
}

#[tokio::test]
async fn offers_are_listed_paused_and_resumed() {
    let desk = FakeDesk::new();
    let mut chat = Chat::of(&desk, SHOP, Locale::En);
    chat.tap(Action::OfferAdd).await;
    chat.tap(Action::OfferCategory("volunteer_hours".into())).await;
    chat.send("Two hours of visits a week").await;
    chat.send("8").await;
    chat.tap(Action::OfferCommunity(2)).await;
    chat.tap(Action::OfferDone).await;
    let id = desk.world().offers[0].1.id;

    let list = chat.send("/offers").await;
    let offer = desk.world().offers[0].1.clone();
    assert_eq!(
        only(&list),
        format!(
            "{}\n{}",
            text::offers_header(Locale::En),
            text::offer_line(Locale::En, 1, &offer)
        )
    );
    assert_eq!(actions(&list), [Action::OfferPause(id), Action::OfferAdd]);

    let paused = chat.tap(Action::OfferPause(id)).await;
    let offer = desk.world().offers[0].1.clone();
    assert!(!offer.active);
    assert_eq!(only(&paused), text::offer_paused(Locale::En, &offer));
    assert_eq!(
        actions(&chat.send("/offers").await),
        [Action::OfferResume(id), Action::OfferAdd]
    );
    let resumed = chat.tap(Action::OfferResume(id)).await;
    assert!(desk.world().offers[0].1.active);
    assert_eq!(
        only(&resumed),
        text::offer_resumed(Locale::En, &desk.world().offers[0].1)
    );
}

#[tokio::test]
async fn alerts_change_by_buttons_and_typed_answers() {
    let desk = FakeDesk::new();
    for lang in Locale::ALL {
        let mut chat = Chat::of(&desk, SHOP, lang);
        let shown = chat.send("/alerts").await;
        let view = desk.world().alerts.clone();
        assert_eq!(only(&shown), text::alerts::summary(lang, &view));
        assert_eq!(
            actions(&shown),
            [
                Action::AlertsCategories,
                Action::AlertsCommunities,
                Action::AlertCap,
                Action::AlertQuiet,
                Action::AlertDigest(!view.digest),
                Action::AlertUrgent(!view.urgent_always),
                Action::AlertOtherSubdistricts(!view.other_subdistricts),
            ]
        );

        // Needs of the district's other subdistricts: on, then off again.
        let wide = chat.tap(Action::AlertOtherSubdistricts(true)).await;
        assert!(desk.world().alerts.other_subdistricts);
        assert_eq!(
            only(&wide),
            format!(
                "{}\n\n{}",
                text::alerts::saved(lang),
                text::alerts::summary(lang, &desk.world().alerts.clone())
            )
        );
        chat.tap(Action::AlertOtherSubdistricts(false)).await;
        assert!(!desk.world().alerts.other_subdistricts);

        let digest = chat.tap(Action::AlertDigest(!view.digest)).await;
        let changed = desk.world().alerts.clone();
        assert_eq!(changed.digest, !view.digest);
        assert_eq!(
            only(&digest),
            format!(
                "{}\n\n{}",
                text::alerts::saved(lang),
                text::alerts::summary(lang, &changed)
            )
        );

        let cats = chat.tap(Action::AlertCategory("food".into())).await;
        assert_eq!(desk.world().alerts.categories.len(), 1);
        assert!(cats[0].buttons[0][0].label.starts_with('✓'));
        chat.tap(Action::AlertCategoriesAll).await;
        assert!(desk.world().alerts.categories.is_empty());

        assert_eq!(
            only(&chat.tap(Action::AlertCap).await),
            text::alerts::ask_cap(lang, MAX_DAILY_CAP)
        );
        assert_eq!(chat.session.state, State::AlertCap);
        assert_eq!(
            only(&chat.send("500").await),
            text::alerts::cap_invalid(lang, MAX_DAILY_CAP)
        );
        assert_eq!(chat.session.state, State::AlertCap);
        chat.send("7").await;
        assert_eq!(desk.world().alerts.daily_cap, 7);
        assert_eq!(chat.session.state, State::Idle);

        chat.tap(Action::AlertQuiet).await;
        assert_eq!(only(&chat.send("whenever").await), text::alerts::quiet_invalid(lang));
        chat.send("22:00-07:30").await;
        assert_eq!(desk.world().alerts.quiet_hours, Some((22 * 60, 7 * 60 + 30)));
        chat.tap(Action::AlertQuiet).await;
        chat.send("无").await;
        assert_eq!(desk.world().alerts.quiet_hours, None);
    }
}
