//! `/join`: a shop in an unlinked chat applies step by step; every wrong answer is said in
//! words and asked again; cancel leaves at any step; one open application per chat.

use bots::{
    Action, ApplicationState, ApplicationView, CodeProblem, JoinDraft, JoinStep, Locale, PhoneProblem, State, text,
};

use crate::fake_desk::{FakeDesk, GOOD_CREDIT_CODE, SHOP};
use crate::{Chat, actions, only, texts};

const CHAT: i64 = 7001;

fn filled() -> JoinDraft {
    JoinDraft {
        name: "海山粮油店".into(),
        category: "food".into(),
        community_id: 2,
        credit_code: GOOD_CREDIT_CODE.into(),
        phone: "13800138000".into(),
        offer: "每周 10 袋大米".into(),
    }
}

/// Answers every question right, up to the "Submit?" question.
async fn fill(chat: &mut Chat<'_>) {
    chat.send("/join").await;
    chat.send("海山粮油店").await;
    chat.tap(Action::JoinCategory("food".into())).await;
    chat.tap(Action::JoinCommunity(2)).await;
    chat.send(&GOOD_CREDIT_CODE.to_lowercase()).await;
    chat.send("138 0013 8000").await;
    chat.send("每周 10 袋大米").await;
}

#[tokio::test]
async fn a_shop_answers_each_question_sees_a_summary_and_submits() {
    let desk = FakeDesk::new();
    for lang in Locale::ALL {
        desk.world().applications.clear();
        let mut chat = Chat::stranger(&desk, lang);
        assert_eq!(only(&chat.send("/join").await), text::join::ask_name(lang));
        let category = chat.send("海山粮油店").await;
        assert_eq!(only(&category), text::join::ask_category(lang));
        assert_eq!(
            actions(&category),
            [
                Action::JoinCategory("food".into()),
                Action::JoinCategory("volunteer_hours".into()),
                Action::JoinCancel
            ]
        );
        let community = chat.tap(Action::JoinCategory("food".into())).await;
        assert_eq!(only(&community), text::join::ask_community(lang));
        assert_eq!(
            actions(&community),
            [Action::JoinCommunity(1), Action::JoinCommunity(2), Action::JoinCancel]
        );
        assert_eq!(
            only(&chat.tap(Action::JoinCommunity(2)).await),
            text::join::ask_code(lang)
        );
        assert!(chat.session.state.expects_text());
        assert_eq!(
            only(&chat.send(&GOOD_CREDIT_CODE.to_lowercase()).await),
            text::join::ask_phone(lang)
        );
        assert_eq!(
            only(&chat.send("138 0013 8000").await),
            text::join::ask_offer(lang, 300)
        );
        let confirm = chat.send("每周 10 袋大米").await;
        let community_label = if lang == Locale::ZhCn {
            "沙头角社区"
        } else {
            "Shatoujiao"
        };
        let category_label = if lang == Locale::ZhCn { "食品" } else { "Food" };
        let summary = text::join::summary(lang, &filled(), category_label, community_label);
        assert_eq!(only(&confirm), text::join::confirm(lang, &summary));
        assert_eq!(
            actions(&confirm),
            [Action::JoinSubmit, Action::JoinCancel]
                .into_iter()
                .chain(JoinStep::QUESTIONS.map(Action::JoinEdit))
                .collect::<Vec<_>>()
        );
        assert_eq!(
            chat.session.state,
            State::Join {
                at: JoinStep::Confirm,
                draft: filled()
            }
        );
        assert_eq!(only(&chat.tap(Action::JoinSubmit).await), text::join::submitted(lang));
        assert_eq!(chat.session.state, State::Idle);
        let stored = desk.world().applications.clone();
        assert_eq!(stored.len(), 1);
        assert_eq!(stored[0].0, CHAT);
        assert_eq!(stored[0].1.draft, filled());
    }
}

#[tokio::test]
async fn a_wrong_credit_code_is_answered_with_what_is_wrong_and_asked_again() {
    let desk = FakeDesk::new();
    let mut chat = Chat::stranger(&desk, Locale::ZhCn);
    chat.send("/join").await;
    chat.send("海山粮油店").await;
    chat.tap(Action::JoinCategory("food".into())).await;
    chat.tap(Action::JoinCommunity(2)).await;
    let at_code = chat.session.state.clone();
    for (typed, problem) in [
        ("91440300MA5FXT4K3", CodeProblem::Length(17)),
        (
            "91440300MA5FXT4KIR",
            CodeProblem::Character {
                position: 17,
                found: 'I',
            },
        ),
        ("91440300MA5FXT4K3X", CodeProblem::Check),
    ] {
        let said = only(&chat.send(typed).await).to_owned();
        assert_eq!(said, text::join::code_invalid(Locale::ZhCn, problem), "{typed}");
        assert_eq!(chat.session.state, at_code, "still asking for the code after {typed}");
    }
    assert!(text::join::code_invalid(Locale::ZhCn, CodeProblem::Length(17)).contains("17 位"));
    assert!(text::join::code_invalid(Locale::En, CodeProblem::Check).contains("mistyped"));
    assert_eq!(
        only(&chat.send(GOOD_CREDIT_CODE).await),
        text::join::ask_phone(Locale::ZhCn)
    );
}

#[tokio::test]
async fn a_wrong_phone_is_answered_with_what_is_wrong_and_asked_again() {
    let desk = FakeDesk::new();
    let mut chat = Chat::stranger(&desk, Locale::En);
    chat.send("/join").await;
    chat.send("Haishan Grains").await;
    chat.tap(Action::JoinCategory("food".into())).await;
    chat.tap(Action::JoinCommunity(2)).await;
    chat.send(GOOD_CREDIT_CODE).await;
    let at_phone = chat.session.state.clone();
    for (typed, problem) in [("call me", PhoneProblem::Characters), ("12345", PhoneProblem::Shape)] {
        assert_eq!(
            only(&chat.send(typed).await),
            text::join::phone_invalid(Locale::En, problem),
            "{typed}"
        );
        assert_eq!(chat.session.state, at_phone);
    }
    assert_eq!(
        only(&chat.send("13800138000").await),
        text::join::ask_offer(Locale::En, 300)
    );
    // The offer is length-limited too.
    assert_eq!(
        only(&chat.send(&"米".repeat(301)).await),
        text::join::offer_invalid(Locale::En, 300)
    );
}

#[tokio::test]
async fn a_name_too_long_typing_at_a_button_step_and_stale_buttons_keep_the_question() {
    let desk = FakeDesk::new();
    let mut chat = Chat::stranger(&desk, Locale::ZhCn);
    chat.send("/join").await;
    assert_eq!(
        only(&chat.send(&"店".repeat(61)).await),
        text::join::name_invalid(Locale::ZhCn, 60)
    );
    chat.send("海山粮油店").await;
    let typed = chat.send("食品").await;
    assert_eq!(
        texts(&typed),
        [
            text::join::use_buttons(Locale::ZhCn),
            text::join::ask_category(Locale::ZhCn)
        ]
    );
    // A community button before the category is picked: the category question stands.
    let early = chat.tap(Action::JoinCommunity(2)).await;
    assert_eq!(texts(&early)[0], text::button_expired(Locale::ZhCn));
    assert!(matches!(
        chat.session.state,
        State::Join {
            at: JoinStep::Category,
            ..
        }
    ));
    // A category the desk does not know.
    let unknown = chat.tap(Action::JoinCategory("jewels".into())).await;
    assert_eq!(texts(&unknown)[0], text::button_expired(Locale::ZhCn));
    // Submit with no application being written.
    let mut other = Chat::stranger(&desk, Locale::ZhCn);
    assert_eq!(
        only(&other.tap(Action::JoinSubmit).await),
        text::button_expired(Locale::ZhCn)
    );
    assert!(desk.world().applications.is_empty());
}

#[tokio::test]
async fn cancel_leaves_at_any_step_and_nothing_is_submitted() {
    let desk = FakeDesk::new();
    let mut chat = Chat::stranger(&desk, Locale::ZhCn);
    chat.send("/join").await;
    assert_eq!(only(&chat.send("/cancel").await), text::cancelled(Locale::ZhCn));
    assert_eq!(chat.session.state, State::Idle);
    chat.send("/join").await;
    chat.send("海山粮油店").await;
    assert_eq!(only(&chat.tap(Action::JoinCancel).await), text::cancelled(Locale::ZhCn));
    assert_eq!(chat.session.state, State::Idle);
    fill(&mut chat).await;
    assert_eq!(only(&chat.tap(Action::JoinCancel).await), text::cancelled(Locale::ZhCn));
    // After cancelling, a line is no answer any more: the unlinked chat hears how to link or join.
    let said = only(&chat.send("每周 10 袋大米").await).to_owned();
    assert_eq!(said, text::how_to_link(Locale::ZhCn));
    assert!(said.contains("/join"));
    assert!(desk.world().applications.is_empty());
}

#[tokio::test]
async fn join_again_says_where_the_application_stands() {
    let desk = FakeDesk::new();
    let mut chat = Chat::stranger(&desk, Locale::ZhCn);
    fill(&mut chat).await;
    chat.tap(Action::JoinSubmit).await;
    let view = desk.world().applications[0].1.clone();
    assert_eq!(
        only(&chat.send("/join").await),
        text::join::waiting(Locale::ZhCn, &view)
    );
    assert_eq!(chat.session.state, State::Idle);
    // A second submission from an old "Submit?" is refused by the desk and said so.
    chat.session.state = State::Join {
        at: JoinStep::Confirm,
        draft: filled(),
    };
    assert_eq!(
        only(&chat.tap(Action::JoinSubmit).await),
        text::join::already_waiting(Locale::ZhCn)
    );
    assert_eq!(desk.world().applications.len(), 1);
}

#[tokio::test]
async fn after_the_office_asks_for_more_join_edits_and_resubmits_the_same_application() {
    let desk = FakeDesk::new();
    let asked = ApplicationView {
        state: ApplicationState::MoreInfo,
        draft: filled(),
        reason: Some("请补充营业执照上的地址".into()),
    };
    desk.world().applications.push((CHAT, asked.clone()));
    let mut chat = Chat::stranger(&desk, Locale::ZhCn);
    let said = chat.send("/join").await;
    assert_eq!(said.len(), 2);
    assert_eq!(said[0].text, text::join::editing(Locale::ZhCn, &asked));
    assert!(said[0].text.contains("请补充营业执照上的地址"));
    // Straight to "Submit?" with every earlier answer, and a button to change each.
    assert!(said[1].text.contains(&filled().name), "{}", said[1].text);
    assert!(said[1].text.contains(&filled().offer), "{}", said[1].text);
    let edits: Vec<_> = actions(&said[1..])
        .into_iter()
        .filter(|a| matches!(a, Action::JoinEdit(_)))
        .collect();
    assert_eq!(edits.len(), 6, "one button for each answer");
    assert_eq!(
        chat.session.state,
        State::Join {
            at: JoinStep::Confirm,
            draft: filled()
        }
    );
    // Only the name changes; the shop lands back on "Submit?".
    assert_eq!(
        texts(&chat.tap(Action::JoinEdit(JoinStep::Name)).await),
        [text::join::ask_name(Locale::ZhCn)]
    );
    let back = chat.send("海山粮油店（沙头角店）").await;
    assert!(back[0].text.contains("海山粮油店（沙头角店）"), "{}", back[0].text);
    assert!(matches!(
        chat.session.state,
        State::Join {
            at: JoinStep::Confirm,
            ..
        }
    ));
    // A wrong answer while editing is asked again, and the earlier one stays.
    chat.tap(Action::JoinEdit(JoinStep::Code)).await;
    chat.send("12345").await;
    let State::Join { at, draft } = &chat.session.state else {
        panic!("still applying: {:?}", chat.session.state)
    };
    assert_eq!(
        (*at, draft.credit_code.as_str()),
        (JoinStep::Code, filled().credit_code.as_str())
    );
    chat.send(GOOD_CREDIT_CODE).await;
    chat.tap(Action::JoinSubmit).await;
    let world = desk.world();
    assert_eq!(world.applications.len(), 1, "the same application, submitted again");
    assert_eq!(world.applications[0].1.state, ApplicationState::Submitted);
    assert_eq!(world.applications[0].1.draft.name, "海山粮油店（沙头角店）");
    assert_eq!(
        world.applications[0].1.draft.offer,
        filled().offer,
        "kept without retyping"
    );
}

#[tokio::test]
async fn an_edit_button_from_an_older_message_asks_nothing_but_the_question_now_open() {
    let desk = FakeDesk::new();
    let mut chat = Chat::stranger(&desk, Locale::En);
    chat.send("/join").await;
    let said = chat.tap(Action::JoinEdit(JoinStep::Phone)).await;
    assert_eq!(
        texts(&said),
        [text::button_expired(Locale::En), text::join::ask_name(Locale::En)]
    );
    assert_eq!(
        chat.session.state,
        State::Join {
            at: JoinStep::Name,
            draft: JoinDraft::default()
        }
    );
}

#[tokio::test]
async fn after_a_rejection_join_says_why_and_starts_a_new_application() {
    let desk = FakeDesk::new();
    let rejected = ApplicationView {
        state: ApplicationState::Rejected,
        draft: filled(),
        reason: Some("不在本街道辖区".into()),
    };
    desk.world().applications.push((CHAT, rejected.clone()));
    let mut chat = Chat::stranger(&desk, Locale::En);
    let said = chat.send("/join").await;
    assert_eq!(said[0].text, text::join::after_rejection(Locale::En, &rejected));
    assert_eq!(
        chat.session.state,
        State::Join {
            at: JoinStep::Name,
            draft: JoinDraft::default()
        }
    );
}

#[tokio::test]
async fn a_linked_chat_or_the_console_has_nothing_to_apply_for() {
    let desk = FakeDesk::new();
    let mut linked = Chat::of(&desk, SHOP, Locale::ZhCn);
    assert_eq!(
        only(&linked.send("/join").await),
        text::join::already_merchant(Locale::ZhCn, "爱心面包")
    );
    let mut console = Chat::stranger(&desk, Locale::En);
    console.session.chat_id = None;
    assert_eq!(only(&console.send("/join").await), text::join::console(Locale::En));
    // The help lists /join.
    assert!(text::help(Locale::En).contains("/join"));
}
