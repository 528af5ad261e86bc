//! One-on-one sponsorship in the chat: the offer under a claim of a recurring need, asked
//! first; renewing a period within its window and after it; stopping, asked first; and the
//! sponsorships in `/mine`.

use bots::{Action, Locale, text};

use crate::fake_desk::{FakeDesk, GROCERIES, NEXT_GROCERIES, OTHER_SHOP, RICE, SHOP, SUSPENDED_SHOP};
use crate::{Chat, actions, only};

/// Claims the whole groceries need as `chat`'s merchant; returns the claim's id.
async fn claim_groceries(chat: &mut Chat<'_>) -> i64 {
    chat.tap(Action::ClaimAll(GROCERIES)).await;
    let replies = chat.tap(Action::ClaimAllYes(GROCERIES, 3)).await;
    match actions(&replies).as_slice() {
        [Action::SponsorAsk(claim)] => *claim,
        other => panic!("the confirmation offers to sponsor: {other:?}"),
    }
}

#[tokio::test]
async fn a_claim_of_a_recurring_need_offers_to_sponsor_and_asks_before_the_person_is_told() {
    let desk = FakeDesk::new();
    desk.add_groceries();
    let mut chat = Chat::of(&desk, SHOP, Locale::ZhCn);
    let claim = claim_groceries(&mut chat).await;

    let question = chat.tap(Action::SponsorAsk(claim)).await;
    assert_eq!(only(&question), text::sponsor::ask(Locale::ZhCn));
    assert!(question[0].text.contains("受助人会收到一封邮件"), "says who is told");
    assert_eq!(actions(&question), [Action::SponsorYes(claim), Action::SponsorNo]);
    assert!(desk.world().sponsorships.is_empty(), "nothing happens before yes");

    let no = chat.tap(Action::SponsorNo).await;
    assert_eq!(only(&no), text::sponsor::not_now(Locale::ZhCn));
    assert!(desk.world().sponsorships.is_empty());

    let yes = chat.tap(Action::SponsorYes(claim)).await;
    let card = desk.world().sponsorships[0].1.clone();
    assert_eq!(only(&yes), text::sponsor::started(Locale::ZhCn, &card));
    assert!(yes[0].text.contains("每月 3 份"), "{}", yes[0].text);
    // A second tap of the old button answers with the same sponsorship.
    chat.tap(Action::SponsorYes(claim)).await;
    assert_eq!(desk.world().sponsorships.len(), 1);
}

#[tokio::test]
async fn a_one_off_need_or_one_sponsored_by_another_offers_no_sponsorship_and_refuses_an_old_button() {
    let desk = FakeDesk::new();
    desk.add_groceries();
    let mut chat = Chat::of(&desk, SHOP, Locale::En);
    chat.tap(Action::ClaimAll(RICE)).await;
    let rice = chat.tap(Action::ClaimAllYes(RICE, 5)).await;
    assert!(actions(&rice).is_empty(), "a one-off claim offers nothing");
    let rice_claim = desk.world().claims[0].1.id;
    let refused = chat.tap(Action::SponsorYes(rice_claim)).await;
    assert_eq!(only(&refused), text::sponsor::not_sponsorable(Locale::En));

    let mut other = Chat::of(&desk, OTHER_SHOP, Locale::En);
    let claim = claim_groceries(&mut other).await;
    other.tap(Action::SponsorYes(claim)).await;
    // Now sponsored: another shop claiming a later period is not offered it.
    desk.offer_next_period(OTHER_SHOP, false);
    chat.tap(Action::ClaimAll(NEXT_GROCERIES)).await;
    let next = chat.tap(Action::ClaimAllYes(NEXT_GROCERIES, 3)).await;
    assert!(actions(&next).is_empty(), "{:?}", actions(&next));
}

#[tokio::test]
async fn a_sponsor_renews_within_the_window_and_is_refused_after_it() {
    let desk = FakeDesk::new();
    desk.add_groceries();
    let mut chat = Chat::of(&desk, SHOP, Locale::En);
    let claim = claim_groceries(&mut chat).await;
    chat.tap(Action::SponsorYes(claim)).await;
    desk.offer_next_period(SHOP, true);

    let mine = chat.send("/mine").await;
    let offered = Action::Renew(NEXT_GROCERIES);
    assert!(actions(&mine).contains(&offered), "{:?}", actions(&mine));
    assert!(mine.iter().any(|r| r.text.contains("renew by 2027-01-28 08:00")));

    let renewed = chat.tap(offered.clone()).await;
    assert!(only(&renewed).starts_with(&text::sponsor::renewed(Locale::En)));
    assert!(
        renewed[0].text.contains("Handoff code"),
        "the claim's confirmation follows"
    );
    assert_eq!(desk.world().sponsorships[0].1.periods, 2);

    // The same button again, the window now gone: the refusal says where the period went.
    let again = chat.tap(offered).await;
    assert_eq!(only(&again), text::sponsor::offer_closed(Locale::En));
}

#[tokio::test]
async fn a_renewal_after_the_window_closed_is_refused_in_words() {
    let desk = FakeDesk::new();
    desk.add_groceries();
    let mut chat = Chat::of(&desk, SHOP, Locale::ZhCn);
    let claim = claim_groceries(&mut chat).await;
    chat.tap(Action::SponsorYes(claim)).await;
    desk.offer_next_period(SHOP, false);
    let late = chat.tap(Action::Renew(NEXT_GROCERIES)).await;
    assert_eq!(only(&late), text::sponsor::offer_closed(Locale::ZhCn));
    assert!(late[0].text.contains("其他商户"));
}

#[tokio::test]
async fn stopping_asks_first_and_a_suspended_shop_may_still_stop() {
    let desk = FakeDesk::new();
    desk.add_groceries();
    let mut chat = Chat::of(&desk, SHOP, Locale::ZhCn);
    let claim = claim_groceries(&mut chat).await;
    chat.tap(Action::SponsorYes(claim)).await;
    let id = desk.world().sponsorships[0].1.id;

    let mine = chat.send("/mine").await;
    assert!(actions(&mine).contains(&Action::SponsorStopAsk(id)));
    let ask = chat.tap(Action::SponsorStopAsk(id)).await;
    assert_eq!(actions(&ask), [Action::SponsorStopYes(id), Action::SponsorStopNo]);
    let keep = chat.tap(Action::SponsorStopNo).await;
    assert_eq!(only(&keep), text::sponsor::kept(Locale::ZhCn));
    assert!(desk.world().sponsorships[0].1.active);

    // Suspended meanwhile: stopping is still allowed, sponsoring anew is not.
    desk.world().merchants.iter_mut().for_each(|m| {
        if m.id == SHOP {
            m.status = bots::MerchantStatus::Suspended;
        }
    });
    let mut suspended = Chat::of(&desk, SHOP, Locale::ZhCn);
    let stopped = suspended.tap(Action::SponsorStopYes(id)).await;
    let card = desk.world().sponsorships[0].1.clone();
    assert!(!card.active);
    assert_eq!(only(&stopped), text::sponsor::stopped(Locale::ZhCn, &card));
    let refused = suspended.tap(Action::SponsorYes(claim)).await;
    assert_eq!(only(&refused), text::refusal(Locale::ZhCn, &bots::DeskError::Suspended));

    let mut stranger = Chat::of(&desk, SUSPENDED_SHOP, Locale::En);
    let nothing = stranger.tap(Action::SponsorStopAsk(id)).await;
    assert_eq!(
        only(&nothing),
        text::button_expired(Locale::En),
        "another shop's sponsorship is not found"
    );
}
