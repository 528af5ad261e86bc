//! Refusals: every one is said, in the chat's language, in the words of
//! `text::refusal`; the question being asked ends; and the words themselves are pinned
//! here in both languages for the refusals a shop meets most.

use bots::{Action, DeskError, Locale, State, text};

use crate::fake_desk::{FakeDesk, PENDING_SHOP, RICE, SHOP, SUSPENDED_SHOP};
use crate::{Chat, only};

/// Commands and buttons that need an approved shop.
const GATED_LINES: [&str; 5] = ["/needs", "/hours", "/mine", "/offers", "/alerts"];

fn gated_buttons() -> Vec<Action> {
    vec![
        Action::ClaimAll(RICE),
        Action::ClaimPart(RICE),
        Action::Deliver(100),
        Action::ReleaseYes(100),
        Action::OfferAdd,
        Action::AlertsShow,
    ]
}

#[tokio::test]
async fn a_pending_or_suspended_shop_is_told_why_for_every_gated_command_and_button() {
    let desk = FakeDesk::new();
    for (shop, refusal) in [
        (PENDING_SHOP, DeskError::Pending),
        (SUSPENDED_SHOP, DeskError::Suspended),
    ] {
        for lang in Locale::ALL {
            let mut chat = Chat::of(&desk, shop, lang);
            let said = text::refusal(lang, &refusal);
            for line in GATED_LINES {
                assert_eq!(only(&chat.send(line).await), said, "{line} as {refusal:?} in {lang:?}");
            }
            for action in gated_buttons() {
                assert_eq!(only(&chat.tap(action.clone()).await), said, "{action:?}");
            }
        }
    }
    assert!(desk.world().claims.is_empty());
    assert!(desk.world().queries.is_empty());
}

#[tokio::test]
async fn limits_on_claiming_are_explained_before_any_question_is_asked() {
    let desk = FakeDesk::new();
    for refusal in [
        DeskError::ClaimLimitReached { limit: 3 },
        DeskError::DeliverFirst,
        DeskError::CreditBandLimit,
    ] {
        desk.world().claim_refusal = Some(refusal.clone());
        for lang in Locale::ALL {
            let mut chat = Chat::of(&desk, SHOP, lang);
            for action in [Action::ClaimAll(RICE), Action::ClaimPart(RICE)] {
                assert_eq!(only(&chat.tap(action).await), text::refusal(lang, &refusal));
                assert_eq!(chat.session.state, State::Idle);
            }
        }
    }
}

#[tokio::test]
async fn link_codes_are_refused_with_the_reason() {
    let desk = FakeDesk::new();
    for lang in Locale::ALL {
        let mut chat = Chat::stranger(&desk, lang);
        let locked = chat.send("/start LOCKED01").await;
        assert_eq!(
            only(&locked),
            text::refusal(lang, &DeskError::LockedOut { minutes: 42 })
        );
        assert!(only(&locked).contains("42"));
    }
}

#[tokio::test]
async fn a_refusal_ends_the_question_being_asked() {
    let desk = FakeDesk::new();
    let mut chat = Chat::of(&desk, SHOP, Locale::ZhCn);
    chat.tap(Action::ClaimPart(RICE)).await;
    assert_eq!(chat.session.state, State::Quantity { need_id: RICE });
    // The office suspends the shop meanwhile: the session still holds it approved, the desk refuses.
    desk.world().claim_refusal = Some(DeskError::Suspended);
    let refused = chat.tap(Action::ClaimPart(RICE)).await;
    assert_eq!(only(&refused), text::refusal(Locale::ZhCn, &DeskError::Suspended));
    assert_eq!(chat.session.state, State::Idle);
}

#[tokio::test]
async fn the_words_of_the_common_refusals_in_both_languages() {
    let pinned: [(DeskError, &str, &str); 9] = [
        (
            DeskError::Gone,
            "已被其他爱心商户认领完",
            "claimed in full by another merchant",
        ),
        (
            DeskError::AlreadyYours,
            "您已认领了这项需求",
            "already claimed this need",
        ),
        (
            DeskError::ClaimLimitReached { limit: 3 },
            "您已有 3 项进行中的认领",
            "You hold 3 active claims",
        ),
        (
            DeskError::DeliverFirst,
            "请先完成一项进行中的认领",
            "finish an active claim",
        ),
        (
            DeskError::CreditBandLimit,
            "同一时间只能持有 1 项认领",
            "one claim at a time",
        ),
        (
            DeskError::WrongState,
            "这项认领的状态已经变化",
            "This claim has changed",
        ),
        (
            DeskError::WrongCode,
            "代码不正确或已被使用",
            "That code is wrong or was already used",
        ),
        (DeskError::CodeExpired, "代码已过期", "That code has expired"),
        (DeskError::NotFound, "这个按钮已过期", "this button has expired"),
    ];
    for (refusal, zh, en) in pinned {
        let zh_text = text::refusal(Locale::ZhCn, &refusal);
        let en_text = text::refusal(Locale::En, &refusal);
        assert!(zh_text.contains(zh), "{refusal:?} in Chinese: {zh_text}");
        assert!(en_text.contains(en), "{refusal:?} in English: {en_text}");
        assert_ne!(zh_text, en_text);
    }
}
