//! A poster's deep link (`/start need-<id>`) and `/events`: pledging support to an event's
//! needs and signing a staff member up for a role, over the fake desk.

use bots::{Action, Locale, State, text};

use crate::fake_desk::{FakeDesk, HELPERS, MARKET, MISSING, PENDING_SHOP, RICE, SHOP};
use crate::{Chat, actions, only};

#[tokio::test]
async fn a_poster_link_shows_the_one_card_with_its_claim_buttons() {
    let desk = FakeDesk::new();
    for lang in Locale::ALL {
        let mut chat = Chat::of(&desk, SHOP, lang);
        let replies = chat.send(&format!("/start need-{RICE}")).await;
        let rice = desk.world().needs[0].clone();
        assert_eq!(only(&replies), text::need_card(lang, 1, &rice));
        assert_eq!(actions(&replies), [Action::ClaimAll(RICE), Action::ClaimPart(RICE)]);
    }
}

#[tokio::test]
async fn a_poster_link_to_nothing_open_is_one_line_and_a_stranger_hears_how_to_join() {
    let desk = FakeDesk::new();
    let mut chat = Chat::of(&desk, SHOP, Locale::En);
    for payload in [format!("need-{MISSING}"), "need-".into(), "need-x1".into()] {
        let replies = chat.send(&format!("/start {payload}")).await;
        assert_eq!(only(&replies), text::need_link_closed(Locale::En), "{payload}");
        assert!(actions(&replies).is_empty());
    }
    let mut stranger = Chat::stranger(&desk, Locale::ZhCn);
    let replies = stranger.send(&format!("/start need-{RICE}")).await;
    assert_eq!(only(&replies), text::need_link_unlinked(Locale::ZhCn));
    let mut waiting = Chat::of(&desk, PENDING_SHOP, Locale::ZhCn);
    let replies = waiting.send(&format!("/start need-{RICE}")).await;
    assert_eq!(only(&replies), text::pending(Locale::ZhCn));
}

#[tokio::test]
async fn events_list_with_pledge_and_staff_buttons_and_a_pledge_shows_claimable_cards() {
    let desk = FakeDesk::new();
    let mut chat = Chat::of(&desk, SHOP, Locale::ZhCn);
    let replies = chat.send("/events").await;
    let market = desk.world().events[0].clone();
    assert_eq!(
        only(&replies),
        format!(
            "{}\n\n{}",
            text::events::header(Locale::ZhCn),
            text::events::event(Locale::ZhCn, 1, &market)
        )
    );
    assert!(replies[0].text.contains("还有 2 个名额"), "{}", replies[0].text);
    assert_eq!(
        actions(&replies),
        [Action::EventPledge(MARKET), Action::EventStaff(MARKET)]
    );

    let pledge = chat.tap(Action::EventPledge(MARKET)).await;
    assert!(
        pledge[0]
            .text
            .starts_with(&text::events::pledge_header(Locale::ZhCn, "爱心集市"))
    );
    assert_eq!(actions(&pledge), [Action::ClaimAll(RICE), Action::ClaimPart(RICE)]);
    // The claim itself is the usual one.
    chat.tap(Action::ClaimAllYes(RICE, 5)).await;
    assert_eq!(desk.world().claims.len(), 1);
    let after = chat.tap(Action::EventPledge(MARKET)).await;
    assert_eq!(only(&after), text::events::no_open_needs(Locale::ZhCn));

    // An event that is gone.
    let gone = chat.tap(Action::EventPledge(MARKET + 100)).await;
    assert_eq!(only(&gone), text::events::gone(Locale::ZhCn));
}

#[tokio::test]
async fn staff_sign_up_asks_the_name_then_confirms_and_a_full_role_waitlists() {
    let desk = FakeDesk::new();
    let mut chat = Chat::of(&desk, SHOP, Locale::En);
    let roles = chat.tap(Action::EventStaff(MARKET)).await;
    assert_eq!(actions(&roles), [Action::EventRole(MARKET, HELPERS)]);

    for (n, name) in ["Li Ming", "Wang Fang", "Zhao Lei"].into_iter().enumerate() {
        let asked = chat.tap(Action::EventRole(MARKET, HELPERS)).await;
        assert_eq!(
            only(&asked),
            text::events::ask_name(Locale::En, "帮手", bots::dialogue::MAX_STAFF_NAME)
        );
        assert_eq!(
            chat.session.state,
            State::StaffName {
                event_id: MARKET,
                role_id: HELPERS
            }
        );
        // Too long, or empty: asked again, still waiting for a name.
        let long = "x".repeat(bots::dialogue::MAX_STAFF_NAME + 1);
        let again = chat.send(&long).await;
        assert_eq!(
            only(&again),
            text::events::name_invalid(Locale::En, bots::dialogue::MAX_STAFF_NAME)
        );
        let confirm = chat.send(name).await;
        assert_eq!(
            actions(&confirm),
            [Action::EventStaffYes(MARKET, HELPERS), Action::EventStaffNo]
        );
        // Text instead of a tap keeps the question open.
        let nudge = chat.send("yes").await;
        assert_eq!(only(&nudge), text::events::tap_to_confirm(Locale::En));
        let done = chat.tap(Action::EventStaffYes(MARKET, HELPERS)).await;
        let expected = if n < 2 {
            text::events::signed_up(Locale::En, name, "爱心集市")
        } else {
            text::events::waitlisted(Locale::En, name, "爱心集市", 1)
        };
        assert_eq!(only(&done), expected);
        assert_eq!(chat.session.state, State::Idle);
    }
    assert_eq!(desk.world().staff.len(), 3);
    // An old "Sign up" button signs nobody up again.
    let stale = chat.tap(Action::EventStaffYes(MARKET, HELPERS)).await;
    assert_eq!(only(&stale), text::button_expired(Locale::En));
    assert_eq!(desk.world().staff.len(), 3);
    // "Cancel" signs nobody up.
    chat.tap(Action::EventRole(MARKET, HELPERS)).await;
    chat.send("Sun Li").await;
    let dropped = chat.tap(Action::EventStaffNo).await;
    assert_eq!(only(&dropped), text::events::dropped(Locale::En));
    assert_eq!(desk.world().staff.len(), 3);
}
