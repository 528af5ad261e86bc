//! Every action the bot can put on a button, with arbitrary ids, pages and codes: the ones the bot can make
//! (positive ids below 10^18, pages below 10000, lower-case codes) fit Telegram's limit and parse back to the same
//! action; anything else is refused or read as the action its text spells, never as a different one.

#![no_main]

use arbitrary::Arbitrary;
use bots::{JoinStep, Locale};
use bots::callback::{Action, MAX_LEN};
use libfuzzer_sys::fuzz_target;

// `Action` itself has no `Arbitrary`; this mirror does, variant for variant.
#[derive(Debug, Arbitrary)]
enum Shape {
    ClaimAll(i64),
    ClaimAllYes(i64, i32),
    ClaimAllNo(i64),
    ClaimPart(i64),
    Needs {
        page: u32,
        category: Option<String>,
        community: Option<i64>,
    },
    FilterCategories,
    FilterCommunities,
    Deliver(i64),
    ReleaseAsk(i64),
    ReleaseYes(i64),
    ReleaseNo(i64),
    Resume(i64),
    Redeliver(i64),
    OfferAdd,
    OfferCategory(String),
    OfferCommunity(i64),
    OfferDone,
    OfferPause(i64),
    OfferResume(i64),
    Lang(bool),
    AlertsShow,
    AlertsCategories,
    AlertCategory(String),
    AlertCategoriesAll,
    AlertsCommunities,
    AlertCommunity(i64),
    AlertCommunitiesAll,
    AlertCap,
    AlertQuiet,
    AlertDigest(bool),
    AlertUrgent(bool),
    AlertOtherSubdistricts(bool),
    Public(bool),
    HonourRoll(bool),
    SponsorAsk(i64),
    SponsorYes(i64),
    SponsorNo,
    Renew(i64),
    SponsorStopAsk(i64),
    SponsorStopYes(i64),
    SponsorStopNo,
    JoinCategory(String),
    JoinCommunity(i64),
    JoinSubmit,
    JoinCancel,
    JoinEdit(u8),
    AskDecline(i64),
    AskDeclineYes(i64),
    EventPledge(i64),
    EventStaff(i64),
    EventRole(i64, i64),
    EventStaffYes(i64, i64),
    EventStaffNo,
}

impl Shape {
    // The action, and whether the bot could have made it: ids are database ids, pages are small, codes are
    // category codes.
    fn action(self) -> (Action, bool) {
        let id = |id: i64| (1..1_000_000_000_000_000_000).contains(&id);
        let code = |c: &str| (1..=24).contains(&c.len()) && c.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
        match self {
            Shape::ClaimAll(i) => (Action::ClaimAll(i), id(i)),
            Shape::ClaimAllYes(i, q) => (Action::ClaimAllYes(i, q), id(i) && id(i64::from(q))),
            Shape::ClaimAllNo(i) => (Action::ClaimAllNo(i), id(i)),
            Shape::ClaimPart(i) => (Action::ClaimPart(i), id(i)),
            Shape::Needs {
                page,
                category,
                community,
            } => {
                let valid = page < 10_000 && category.as_deref().is_none_or(code) && community.is_none_or(id);
                (
                    Action::Needs {
                        page,
                        category,
                        community,
                    },
                    valid,
                )
            }
            Shape::FilterCategories => (Action::FilterCategories, true),
            Shape::FilterCommunities => (Action::FilterCommunities, true),
            Shape::Deliver(i) => (Action::Deliver(i), id(i)),
            Shape::ReleaseAsk(i) => (Action::ReleaseAsk(i), id(i)),
            Shape::ReleaseYes(i) => (Action::ReleaseYes(i), id(i)),
            Shape::ReleaseNo(i) => (Action::ReleaseNo(i), id(i)),
            Shape::Resume(i) => (Action::Resume(i), id(i)),
            Shape::Redeliver(i) => (Action::Redeliver(i), id(i)),
            Shape::OfferAdd => (Action::OfferAdd, true),
            Shape::OfferCategory(c) => {
                let valid = code(&c);
                (Action::OfferCategory(c), valid)
            }
            Shape::OfferCommunity(i) => (Action::OfferCommunity(i), id(i)),
            Shape::OfferDone => (Action::OfferDone, true),
            Shape::OfferPause(i) => (Action::OfferPause(i), id(i)),
            Shape::OfferResume(i) => (Action::OfferResume(i), id(i)),
            Shape::Lang(en) => (Action::Lang(if en { Locale::En } else { Locale::ZhCn }), true),
            Shape::AlertsShow => (Action::AlertsShow, true),
            Shape::AlertsCategories => (Action::AlertsCategories, true),
            Shape::AlertCategory(c) => {
                let valid = code(&c);
                (Action::AlertCategory(c), valid)
            }
            Shape::AlertCategoriesAll => (Action::AlertCategoriesAll, true),
            Shape::AlertsCommunities => (Action::AlertsCommunities, true),
            Shape::AlertCommunity(i) => (Action::AlertCommunity(i), id(i)),
            Shape::AlertCommunitiesAll => (Action::AlertCommunitiesAll, true),
            Shape::AlertCap => (Action::AlertCap, true),
            Shape::AlertQuiet => (Action::AlertQuiet, true),
            Shape::AlertDigest(on) => (Action::AlertDigest(on), true),
            Shape::AlertUrgent(on) => (Action::AlertUrgent(on), true),
            Shape::AlertOtherSubdistricts(on) => (Action::AlertOtherSubdistricts(on), true),
            Shape::Public(on) => (Action::Public(on), true),
            Shape::HonourRoll(on) => (Action::HonourRoll(on), true),
            Shape::SponsorAsk(i) => (Action::SponsorAsk(i), id(i)),
            Shape::SponsorYes(i) => (Action::SponsorYes(i), id(i)),
            Shape::SponsorNo => (Action::SponsorNo, true),
            Shape::Renew(i) => (Action::Renew(i), id(i)),
            Shape::SponsorStopAsk(i) => (Action::SponsorStopAsk(i), id(i)),
            Shape::SponsorStopYes(i) => (Action::SponsorStopYes(i), id(i)),
            Shape::SponsorStopNo => (Action::SponsorStopNo, true),
            Shape::JoinCategory(c) => {
                let valid = code(&c);
                (Action::JoinCategory(c), valid)
            }
            Shape::JoinCommunity(i) => (Action::JoinCommunity(i), id(i)),
            Shape::JoinSubmit => (Action::JoinSubmit, true),
            Shape::JoinCancel => (Action::JoinCancel, true),
            Shape::JoinEdit(n) => {
                // Every step but the last, "Submit?", can be asked again.
                let step = JoinStep::QUESTIONS
                    .get(usize::from(n) % (JoinStep::QUESTIONS.len() + 1))
                    .copied()
                    .unwrap_or(JoinStep::Confirm);
                (Action::JoinEdit(step), step != JoinStep::Confirm)
            }
            Shape::AskDecline(i) => (Action::AskDecline(i), id(i)),
            Shape::AskDeclineYes(i) => (Action::AskDeclineYes(i), id(i)),
            Shape::EventPledge(i) => (Action::EventPledge(i), id(i)),
            Shape::EventStaff(i) => (Action::EventStaff(i), id(i)),
            Shape::EventRole(e, r) => (Action::EventRole(e, r), id(e) && id(r)),
            Shape::EventStaffYes(e, r) => (Action::EventStaffYes(e, r), id(e) && id(r)),
            Shape::EventStaffNo => (Action::EventStaffNo, true),
        }
    }
}

fuzz_target!(|shape: Shape| {
    let (action, valid) = shape.action();
    let data = action.encode();
    let parsed = Action::parse(&data);
    if valid {
        assert!(data.len() <= MAX_LEN, "{action:?} needs {} bytes: {data:?}", data.len());
        assert_eq!(parsed.as_ref(), Some(&action), "{data:?}");
    } else if let Some(other) = parsed {
        // "v1:needs:0:-:-" is both a page filtered by category "-" (which the bot never makes) and an unfiltered
        // page; the parser may only ever read the text the bot itself writes.
        assert_eq!(other.encode(), data, "{action:?} was read as {other:?}");
    }
});
