//! Linking a chat, greeting, help, the language switch, `/cancel`, `/public`, `/credit`,
//! and buttons whose data is unknown, garbled or out of date.

use bots::{Action, Command, CreditBand, CreditView, DeskError, Input, Locale, State, Turn, respond, text};

use crate::fake_desk::{FakeDesk, GOOD_CODE, PENDING_SHOP, RICE, SHOP, SUSPENDED_SHOP};
use crate::{Chat, actions, only, texts};

#[tokio::test]
async fn a_stranger_learns_how_to_link_and_a_code_links_the_chat() {
    let desk = FakeDesk::new();
    for lang in Locale::ALL {
        let mut chat = Chat::stranger(&desk, lang);
        assert_eq!(only(&chat.send("/start").await), text::how_to_link(lang));
        assert_eq!(only(&chat.send("hello").await), text::how_to_link(lang));
        assert_eq!(only(&chat.send("/needs").await), text::how_to_link(lang));

        let wrong = chat.send("/start WRONG123").await;
        assert_eq!(only(&wrong), text::refusal(lang, &DeskError::WrongCode));
        let expired = chat.send("/start EXPIRED1").await;
        assert_eq!(only(&expired), text::refusal(lang, &DeskError::CodeExpired));
        assert!(chat.session.merchant.is_none());

        let linked = chat.send(&format!("/start {GOOD_CODE}")).await;
        assert_eq!(only(&linked), text::linked(lang, "爱心面包"));
        let merchant = chat.session.merchant.clone().expect("linked");
        assert_eq!(merchant.id, SHOP);
        // The person who linked reads this chat's language, and the desk remembers it.
        assert_eq!(merchant.lang, lang);
        assert_eq!(desk.info(SHOP).lang, lang);
    }
}

#[tokio::test]
async fn the_console_needs_no_code() {
    let desk = FakeDesk::new();
    let session = bots::Session {
        chat_id: None,
        merchant: Some(desk.info(SHOP)),
        lang: Locale::En,
        state: State::Idle,
    };
    let input = Input::Command(Command::Start(Some(GOOD_CODE.into())));
    let turn = respond(&desk, session, input, "console:1").await.expect("answered");
    assert_eq!(only(&turn.replies), text::console_bound(Locale::En));
}

#[tokio::test]
async fn a_linked_shop_is_greeted_and_a_waiting_one_told_why_it_cannot_claim() {
    let desk = FakeDesk::new();
    for lang in Locale::ALL {
        let mut chat = Chat::of(&desk, SHOP, lang);
        assert_eq!(only(&chat.send("/start").await), text::welcome(lang, "爱心面包"));
        let mut waiting = Chat::of(&desk, PENDING_SHOP, lang);
        assert_eq!(
            texts(&waiting.send("/start").await),
            [text::greeting(lang, "中英街药房"), text::pending(lang)]
        );
    }
}

#[tokio::test]
async fn help_cancel_and_unknown_commands_and_text() {
    let desk = FakeDesk::new();
    for lang in Locale::ALL {
        let mut chat = Chat::of(&desk, SHOP, lang);
        assert_eq!(only(&chat.send("/help").await), text::help(lang));
        assert_eq!(only(&chat.send("/frobnicate").await), text::unknown_command(lang));
        assert_eq!(only(&chat.send("what now?").await), text::not_understood(lang));

        // `/cancel` leaves a question.
        chat.tap(Action::ClaimPart(RICE)).await;
        assert_eq!(chat.session.state, State::Quantity { need_id: RICE });
        assert_eq!(only(&chat.send("/cancel").await), text::cancelled(lang));
        assert_eq!(chat.session.state, State::Idle);
    }
}

#[tokio::test]
async fn the_language_switches_by_command_by_button_and_is_remembered() {
    let desk = FakeDesk::new();
    let mut chat = Chat::of(&desk, SHOP, Locale::ZhCn);
    let prompt = chat.send("/lang").await;
    assert_eq!(only(&prompt), text::lang_prompt(Locale::ZhCn));
    assert_eq!(actions(&prompt), [Action::Lang(Locale::ZhCn), Action::Lang(Locale::En)]);

    let switched = chat.tap(Action::Lang(Locale::En)).await;
    assert_eq!(only(&switched), text::lang_set(Locale::En));
    assert_eq!(chat.session.lang, Locale::En);
    assert_eq!(desk.info(SHOP).lang, Locale::En);
    // From now on the bot answers in English.
    assert_eq!(only(&chat.send("/help").await), text::help(Locale::En));

    assert_eq!(only(&chat.send("/lang 中文").await), text::lang_set(Locale::ZhCn));
    assert_eq!(desk.info(SHOP).lang, Locale::ZhCn);
    // A choice it cannot read asks again.
    assert_eq!(only(&chat.send("/lang klingon").await), text::lang_prompt(Locale::ZhCn));

    // A chat with no merchant switches too, with nothing to remember it by but the session.
    let mut stranger = Chat::stranger(&desk, Locale::ZhCn);
    assert_eq!(only(&stranger.send("/lang en").await), text::lang_set(Locale::En));
    assert_eq!(stranger.session.lang, Locale::En);
}

#[tokio::test]
async fn unknown_garbled_or_tampered_button_data_is_an_expired_button_and_keeps_the_question() {
    let desk = FakeDesk::new();
    for lang in Locale::ALL {
        let mut chat = Chat::of(&desk, SHOP, lang);
        chat.tap(Action::ClaimPart(RICE)).await;
        let waiting = State::Quantity { need_id: RICE };
        for data in [
            "",
            "garbage",
            "v0:claim:all:10",
            "v1:claim:all:abc",
            "v1:claim:all:10:extra",
            "v1:claim:all:-1x",
            "v1:nonsense",
            "v1:claim:all:99999999999999999999999",
        ] {
            let replies = chat.tap_data(data).await;
            assert_eq!(only(&replies), text::button_expired(lang), "data {data:?}");
            assert_eq!(chat.session.state, waiting, "the question stays open after {data:?}");
        }
        // A well-formed button of a need that does not exist is explained the same way.
        let missing = chat.tap(Action::ClaimAll(crate::fake_desk::MISSING)).await;
        assert_eq!(only(&missing), text::refusal(lang, &DeskError::NotFound));
        assert_eq!(text::refusal(lang, &DeskError::NotFound), text::button_expired(lang));
        // A button of an offer draft that is no longer being made.
        chat.send("/cancel").await;
        assert_eq!(only(&chat.tap(Action::OfferDone).await), text::button_expired(lang));
    }
}

#[tokio::test]
async fn public_shows_the_listing_and_only_an_approved_shop_may_switch_it_on() {
    let desk = FakeDesk::new();
    let mut chat = Chat::of(&desk, SHOP, Locale::En);
    let listing = chat.send("/public").await;
    assert_eq!(actions(&listing), [Action::Public(true)]);
    let shown = chat.tap(Action::Public(true)).await;
    assert!(only(&shown).starts_with(&text::public::switched(Locale::En, true)));
    assert!(desk.world().shown);
    assert_eq!(actions(&shown), [Action::Public(false)]);

    desk.world().shown = false;
    for lang in Locale::ALL {
        let mut waiting = Chat::of(&desk, PENDING_SHOP, lang);
        let listing = waiting.send("/public").await;
        assert!(
            actions(&listing).is_empty(),
            "no button a pending shop would be refused by"
        );
        // An old button is refused in terms of the listing.
        let refused = waiting.tap(Action::Public(true)).await;
        assert_eq!(only(&refused), text::public::cannot_show(lang, true));
        assert!(!desk.world().shown);
    }
}

#[tokio::test]
async fn credit_explains_the_shops_own_band_in_its_language_and_help_lists_it() {
    let desk = FakeDesk::new();
    for lang in Locale::ALL {
        let mut chat = Chat::of(&desk, SHOP, lang);
        let new_shop = desk.world().credit.clone();
        assert_eq!(
            only(&chat.send("/credit").await),
            text::credit::summary(lang, &new_shop)
        );
        assert!(only(&chat.send("/help").await).contains("/credit"));
        assert_eq!(chat.session.state, State::Idle);
    }
    // A shop in band D reads what the band changes and the score that lifts it out.
    let low = CreditView {
        band: CreditBand::D,
        score: 31,
        next_band_at: Some(40),
        lapsed: 6,
        claim_limit: 1,
        ..desk.world().credit.clone()
    };
    desk.world().credit = low.clone();
    let mut chat = Chat::of(&desk, SHOP, Locale::En);
    let said = chat.send("/credit").await;
    assert_eq!(only(&said), text::credit::summary(Locale::En, &low));
    assert!(only(&said).contains(&text::credit::band_effect(Locale::En, CreditBand::D)));
    assert!(only(&said).contains("40 points"), "{}", only(&said));
    // A suspended shop may still read its own record; a stranger is told to link first.
    let mut suspended = Chat::of(&desk, SUSPENDED_SHOP, Locale::ZhCn);
    assert_eq!(
        only(&suspended.send("/credit").await),
        text::credit::summary(Locale::ZhCn, &low)
    );
    let mut stranger = Chat::stranger(&desk, Locale::ZhCn);
    assert_eq!(only(&stranger.send("/credit").await), text::how_to_link(Locale::ZhCn));
}

#[tokio::test]
async fn an_unavailable_desk_comes_back_as_an_error_for_the_adapter_to_retry() {
    let desk = FakeDesk::new();
    desk.world().down = true;
    let mut chat = Chat::of(&desk, SHOP, Locale::ZhCn);
    let before = chat.session.clone();
    let outcome: Result<Turn, DeskError> = chat.input(Input::Command(Command::Mine)).await;
    assert_eq!(outcome, Err(DeskError::Unavailable));
    assert_eq!(chat.session, before, "nothing changes when the desk is down");
    let claim = chat.input(Input::Button(Action::ClaimAll(RICE).encode())).await;
    assert_eq!(claim, Err(DeskError::Unavailable));
}
