//! Needs, claims and what follows them: listing, claiming all or part, a retried or
//! repeated tap, `/mine`, delivering, releasing, and answering a dispute.

use bots::{Action, ClaimState, DeskError, Input, Locale, NeedQuery, State, dialogue::PER_PAGE, text};

use crate::fake_desk::{FakeDesk, OTHER_SHOP, RICE, SHOP, VISITS};
use crate::{Chat, actions, only, texts};

#[tokio::test]
async fn needs_come_one_card_a_message_with_their_claim_buttons_and_a_footer() {
    let desk = FakeDesk::new();
    let mut chat = Chat::of(&desk, SHOP, Locale::ZhCn);
    let replies = chat.send("/needs").await;
    let rice = desk.world().needs[0].clone();
    assert_eq!(replies.len(), 3, "two cards and a footer: {:?}", texts(&replies));
    assert_eq!(
        replies[0].text,
        format!(
            "{}\n\n{}",
            text::needs_header(Locale::ZhCn, 0, false, None),
            text::need_card(Locale::ZhCn, 1, &rice)
        )
    );
    assert_eq!(
        actions(&replies[..1]),
        [Action::ClaimAll(RICE), Action::ClaimPart(RICE)]
    );
    assert_eq!(replies[2].text, text::needs_footer(Locale::ZhCn, false, false));
    assert_eq!(
        actions(&replies[2..]),
        [Action::FilterCategories, Action::FilterCommunities]
    );
    assert_eq!(chat.session.state, State::Idle);
}

#[tokio::test]
async fn needs_page_on_and_words_become_filters() {
    let desk = FakeDesk::new();
    desk.add_needs(4);
    let mut chat = Chat::of(&desk, SHOP, Locale::En);
    let first = chat.send("/needs").await;
    let more = Action::Needs {
        page: 1,
        category: None,
        community: None,
    };
    assert!(actions(&first).contains(&more), "a first page of six needs offers more");
    let second = chat.tap(more).await;
    assert!(
        second[0]
            .text
            .starts_with(&text::needs_header(Locale::En, 1, false, None))
    );
    // Cards are numbered on from the first page.
    assert!(second[0].text.contains(&text::need_card(
        Locale::En,
        PER_PAGE as usize + 1,
        &desk.world().needs[3]
    )));

    chat.send("/needs food Donghe").await;
    let asked = desk.world().queries.last().cloned().expect("a query");
    assert_eq!(
        asked,
        NeedQuery {
            category: Some("food".into()),
            community_id: Some(1),
            page: 0,
            per_page: PER_PAGE,
        }
    );
}

#[tokio::test]
async fn hours_lists_volunteer_needs_without_the_filter_buttons() {
    let desk = FakeDesk::new();
    let mut chat = Chat::of(&desk, SHOP, Locale::ZhCn);
    let replies = chat.send("/hours").await;
    let visits = desk.world().needs[1].clone();
    assert_eq!(
        only(&replies),
        format!(
            "{}\n\n{}",
            text::needs_header(Locale::ZhCn, 0, true, None),
            text::need_card(Locale::ZhCn, 1, &visits)
        )
    );
    assert_eq!(actions(&replies), [Action::ClaimAll(VISITS), Action::ClaimPart(VISITS)]);
    assert_eq!(
        desk.world().queries[0].category.as_deref(),
        Some(bots::dialogue::HOURS_CATEGORY)
    );
}

#[tokio::test]
async fn claiming_all_asks_first_and_a_retried_update_claims_once() {
    let desk = FakeDesk::new();
    let mut chat = Chat::of(&desk, SHOP, Locale::ZhCn);
    let rice = desk.world().needs[0].clone();
    let question = chat.tap(Action::ClaimAll(RICE)).await;
    assert_eq!(only(&question), text::claim_all_question(Locale::ZhCn, &rice));
    assert_eq!(
        actions(&question),
        [Action::ClaimAllYes(RICE, 5), Action::ClaimAllNo(RICE)]
    );

    let key = chat.next_key();
    let yes = Input::Button(Action::ClaimAllYes(RICE, 5).encode());
    let first = chat.input_with_key(yes.clone(), &key).await.expect("claimed");
    let claim = desk.world().claims[0].1.clone();
    assert_eq!(claim.quantity, 5);
    assert_eq!(only(&first.replies), text::confirmation(Locale::ZhCn, &claim));

    // Telegram delivers the same update again: the same answer, and still one claim.
    let again = chat.input_with_key(yes, &key).await.expect("answered again");
    assert_eq!(again.replies, first.replies);
    assert_eq!(desk.world().claims.len(), 1);

    // A second tap on the old button is a new update: the merchant holds it already.
    let retap = chat.tap(Action::ClaimAllYes(RICE, 5)).await;
    assert_eq!(only(&retap), text::refusal(Locale::ZhCn, &DeskError::AlreadyYours));
    assert_eq!(desk.world().claims.len(), 1);

    // Another shop is told the need went.
    let mut other = Chat::of(&desk, OTHER_SHOP, Locale::En);
    let late = other.tap(Action::ClaimAll(RICE)).await;
    assert_eq!(only(&late), text::refusal(Locale::En, &DeskError::Gone));
}

#[tokio::test]
async fn claiming_all_can_be_declined_and_a_smaller_rest_is_offered_instead() {
    let desk = FakeDesk::new();
    let mut chat = Chat::of(&desk, SHOP, Locale::En);
    assert_eq!(
        only(&chat.tap(Action::ClaimAllNo(RICE)).await),
        text::claim_all_kept(Locale::En)
    );

    // Two bags went while the question was open: the merchant hears what is left.
    desk.world().needs[0].quantity_left = 3;
    let replies = chat.tap(Action::ClaimAllYes(RICE, 5)).await;
    assert_eq!(only(&replies), text::only_left(Locale::En, 3, "袋"));
    assert_eq!(chat.session.state, State::Quantity { need_id: RICE });
    assert!(desk.world().claims.is_empty());
}

#[tokio::test]
async fn claiming_part_asks_for_a_number_until_it_gets_one_that_fits() {
    let desk = FakeDesk::new();
    let mut chat = Chat::of(&desk, SHOP, Locale::ZhCn);
    let rice = desk.world().needs[0].clone();
    let ask = chat.tap(Action::ClaimPart(RICE)).await;
    assert_eq!(only(&ask), text::ask_quantity(Locale::ZhCn, &rice));
    assert_eq!(chat.session.state, State::Quantity { need_id: RICE });

    assert_eq!(only(&chat.send("两袋").await), text::not_a_number(Locale::ZhCn, 5));
    assert_eq!(only(&chat.send("0").await), text::not_a_number(Locale::ZhCn, 5));
    assert_eq!(only(&chat.send("9").await), text::only_left(Locale::ZhCn, 5, "袋"));
    assert_eq!(chat.session.state, State::Quantity { need_id: RICE });

    // Full-width digits from a Chinese keyboard count.
    let done = chat.send("２").await;
    let claim = desk.world().claims[0].1.clone();
    assert_eq!(claim.quantity, 2);
    assert_eq!(only(&done), text::confirmation(Locale::ZhCn, &claim));
    assert_eq!(chat.session.state, State::Idle);
    assert_eq!(desk.world().needs[0].quantity_left, 3);
}

#[tokio::test]
async fn a_typed_quantity_for_a_need_that_went_meanwhile_is_refused_and_the_question_ends() {
    let desk = FakeDesk::new();
    let mut chat = Chat::of(&desk, SHOP, Locale::En);
    chat.tap(Action::ClaimPart(RICE)).await;
    desk.world().needs[0].quantity_left = 0;
    assert_eq!(only(&chat.send("2").await), text::refusal(Locale::En, &DeskError::Gone));
    assert_eq!(chat.session.state, State::Idle);
}

#[tokio::test]
async fn mine_lists_live_claims_with_the_buttons_their_state_allows() {
    let desk = FakeDesk::new();
    let mut chat = Chat::of(&desk, SHOP, Locale::ZhCn);
    assert_eq!(only(&chat.send("/mine").await), text::mine_empty(Locale::ZhCn));

    let active = desk.give_claim(SHOP, ClaimState::Active);
    let disputed = desk.give_claim(SHOP, ClaimState::Disputed);
    desk.give_claim(SHOP, ClaimState::Confirmed);
    desk.give_claim(OTHER_SHOP, ClaimState::Active);
    let replies = chat.send("/mine").await;
    let claims: Vec<_> = desk.world().claims.iter().map(|(_, c)| c.clone()).collect();
    assert_eq!(replies.len(), 2, "only this shop's live claims: {:?}", texts(&replies));
    assert_eq!(
        replies[0].text,
        format!(
            "{}\n{}",
            text::mine_header(Locale::ZhCn),
            text::claim_line(Locale::ZhCn, 1, &claims[0])
        )
    );
    assert_eq!(
        actions(&replies[..1]),
        [Action::Deliver(active), Action::ReleaseAsk(active)]
    );
    assert_eq!(
        actions(&replies[1..]),
        [
            Action::Redeliver(disputed),
            Action::Resume(disputed),
            Action::ReleaseAsk(disputed)
        ]
    );
}

#[tokio::test]
async fn releasing_asks_to_confirm_and_a_released_claim_cannot_be_released_again() {
    let desk = FakeDesk::new();
    let id = desk.give_claim(SHOP, ClaimState::Active);
    let mut chat = Chat::of(&desk, SHOP, Locale::En);
    let question = chat.tap(Action::ReleaseAsk(id)).await;
    let claim = desk.world().claims[0].1.clone();
    assert_eq!(only(&question), text::release_question(Locale::En, &claim));
    assert_eq!(actions(&question), [Action::ReleaseYes(id), Action::ReleaseNo(id)]);

    assert_eq!(only(&chat.tap(Action::ReleaseNo(id)).await), text::kept(Locale::En));
    assert_eq!(desk.world().claims[0].1.state, ClaimState::Active);

    let released = chat.tap(Action::ReleaseYes(id)).await;
    let claim = desk.world().claims[0].1.clone();
    assert_eq!(claim.state, ClaimState::Released);
    assert_eq!(only(&released), text::released(Locale::En, &claim));

    for again in [Action::ReleaseAsk(id), Action::ReleaseYes(id)] {
        let refused = chat.tap(again).await;
        assert_eq!(only(&refused), text::refusal(Locale::En, &DeskError::WrongState));
    }
}

#[tokio::test]
async fn delivering_and_answering_a_dispute_with_a_note() {
    let desk = FakeDesk::new();
    let active = desk.give_claim(SHOP, ClaimState::Active);
    let disputed = desk.give_claim(SHOP, ClaimState::Disputed);
    let mut chat = Chat::of(&desk, SHOP, Locale::ZhCn);

    let delivered = chat.tap(Action::Deliver(active)).await;
    let claim = desk.world().claims[0].1.clone();
    assert_eq!(claim.state, ClaimState::Delivered);
    assert_eq!(only(&delivered), text::delivered_done(Locale::ZhCn, &claim));

    // Only a disputed claim is answered with a note.
    let refused = chat.tap(Action::Redeliver(active)).await;
    assert_eq!(only(&refused), text::refusal(Locale::ZhCn, &DeskError::WrongState));

    let ask = chat.tap(Action::Redeliver(disputed)).await;
    let claim = desk.world().claims[1].1.clone();
    assert_eq!(only(&ask), text::ask_redeliver_note(Locale::ZhCn, &claim));
    assert_eq!(chat.session.state, State::RedeliverNote { claim_id: disputed });

    let too_long = "很".repeat(201);
    assert_eq!(
        only(&chat.send(&too_long).await),
        text::redeliver_note_invalid(Locale::ZhCn)
    );
    assert_eq!(chat.session.state, State::RedeliverNote { claim_id: disputed });

    let done = chat.send("周二下午补送了一袋，放在前台").await;
    let claim = desk.world().claims[1].1.clone();
    assert_eq!(claim.state, ClaimState::Delivered);
    assert_eq!(only(&done), text::redelivered(Locale::ZhCn, &claim));
    assert_eq!(chat.session.state, State::Idle);
}

#[tokio::test]
async fn a_disputed_claim_can_be_taken_up_again() {
    let desk = FakeDesk::new();
    let disputed = desk.give_claim(SHOP, ClaimState::Disputed);
    let mut chat = Chat::of(&desk, SHOP, Locale::En);
    let replies = chat.tap(Action::Resume(disputed)).await;
    let claim = desk.world().claims[0].1.clone();
    assert_eq!(claim.state, ClaimState::Active);
    assert_eq!(only(&replies), text::resumed(Locale::En, &claim));
}

#[tokio::test]
async fn another_shops_claim_is_not_found() {
    let desk = FakeDesk::new();
    let theirs = desk.give_claim(OTHER_SHOP, ClaimState::Active);
    let mut chat = Chat::of(&desk, SHOP, Locale::ZhCn);
    for action in [
        Action::Deliver(theirs),
        Action::ReleaseAsk(theirs),
        Action::ReleaseYes(theirs),
    ] {
        assert_eq!(
            only(&chat.tap(action).await),
            text::refusal(Locale::ZhCn, &DeskError::NotFound)
        );
    }
    assert_eq!(desk.world().claims[0].1.state, ClaimState::Active);
}

#[tokio::test]
async fn saying_no_to_a_request_asks_first_and_only_the_confirmation_records_it() {
    let desk = FakeDesk::new();
    desk.world().asked.push((SHOP, RICE, false));
    let mut chat = Chat::of(&desk, SHOP, Locale::ZhCn);
    let asked = chat.tap(Action::AskDecline(RICE)).await;
    assert_eq!(only(&asked), text::ask_decline_confirm(Locale::ZhCn));
    assert_eq!(actions(&asked), [Action::AskDeclineYes(RICE)]);
    assert!(!desk.world().asked[0].2, "nothing recorded before the confirmation");
    assert_eq!(
        only(&chat.tap(Action::AskDeclineYes(RICE)).await),
        text::ask_declined(Locale::ZhCn)
    );
    assert!(desk.world().asked[0].2);
    // A need it was never asked about is not found, in words.
    let other = chat.tap(Action::AskDeclineYes(VISITS)).await;
    assert_ne!(only(&other), text::ask_declined(Locale::ZhCn));
}
