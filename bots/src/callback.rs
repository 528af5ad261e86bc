//! Callback data of inline buttons: versioned (`v1:`), at most 64 bytes (Telegram's
//! limit), and parsed strictly. Anything that does not parse back to exactly the same
//! action — an old version, a typo, a tampered id — is refused, and the dialogue answers
//! that the button has expired.

use crate::dialogue::JoinStep;
use std::fmt::Write as _;

const VERSION: &str = "v1";
/// Telegram refuses callback data longer than this.
pub const MAX_LEN: usize = 64;

/// What a button asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Claim everything left of a need: asks first (an old button too).
    ClaimAll(i64),
    /// "Yes" to claiming all: this many units of the need, as the question said.
    ClaimAllYes(i64, i32),
    /// "No" to claiming all.
    ClaimAllNo(i64),
    /// Claim part of a need (the bot asks how much).
    ClaimPart(i64),
    /// Another page of needs, with the same filter.
    Needs {
        /// Page, from 0.
        page: u32,
        /// Category code filter.
        category: Option<String>,
        /// Community filter.
        community: Option<i64>,
    },
    /// Show the category filter.
    FilterCategories,
    /// Show the community filter.
    FilterCommunities,
    /// The merchant delivered a claim.
    Deliver(i64),
    /// Asks to confirm a release.
    ReleaseAsk(i64),
    /// Confirms a release.
    ReleaseYes(i64),
    /// Keeps the claim after all.
    ReleaseNo(i64),
    /// Takes a disputed claim up again.
    Resume(i64),
    /// Answers a dispute: delivered again (the bot asks for a note).
    Redeliver(i64),
    /// Starts adding an offer.
    OfferAdd,
    /// Picks the category of the offer being added.
    OfferCategory(String),
    /// Toggles a community of the offer being added.
    OfferCommunity(i64),
    /// Finishes the offer being added.
    OfferDone,
    /// Pauses an offer.
    OfferPause(i64),
    /// Resumes an offer.
    OfferResume(i64),
    /// Switches language.
    Lang(crate::Locale),
    /// Shows the alert settings.
    AlertsShow,
    /// Shows the categories of interest.
    AlertsCategories,
    /// Toggles a category of interest.
    AlertCategory(String),
    /// Every category again.
    AlertCategoriesAll,
    /// Shows the communities of interest.
    AlertsCommunities,
    /// Toggles a community of interest.
    AlertCommunity(i64),
    /// Every community again.
    AlertCommunitiesAll,
    /// Asks for a new daily cap.
    AlertCap,
    /// Asks for new quiet hours.
    AlertQuiet,
    /// Digest (true) or instant (false).
    AlertDigest(bool),
    /// "Urgent needs always" on (true) or off.
    AlertUrgent(bool),
    /// Needs of the district's other subdistricts too (true) or not.
    AlertOtherSubdistricts(bool),
    /// Asks before sponsoring every period of the recurring need of a claim (一对一).
    SponsorAsk(i64),
    /// "Yes" to sponsoring every period of the claim's need.
    SponsorYes(i64),
    /// "Not now" to sponsoring.
    SponsorNo,
    /// Renews a sponsorship for the period offered: claims the need of this id.
    Renew(i64),
    /// Asks before stopping a sponsorship.
    SponsorStopAsk(i64),
    /// Confirms stopping a sponsorship.
    SponsorStopYes(i64),
    /// Keeps the sponsorship after all.
    SponsorStopNo,
    /// Shows the shop on the public transparency page (true) or stops showing it. The
    /// wanted state, not a toggle, so a second tap on an old button changes nothing.
    Public(bool),
    /// Puts the shop on the roll of honour (true) or takes it off; the wanted state.
    HonourRoll(bool),
    /// `/join`: picks the shop's category (a category code).
    JoinCategory(String),
    /// `/join`: picks the shop's community.
    JoinCommunity(i64),
    /// `/join`: submits the application shown.
    JoinSubmit,
    /// `/join`: drops the application being written.
    JoinCancel,
    /// `/join`: from "Submit?", asks one question again (never `Confirm` itself).
    JoinEdit(JoinStep),
    /// Asks before saying no to a request about a need ("can't help this time").
    AskDecline(i64),
    /// Says no to the request about this need, once asked first.
    AskDeclineYes(i64),
    /// `/events`: the open needs of this event, to pledge support (claim them).
    EventPledge(i64),
    /// `/events`: sign a staff member up at this event (the bot shows its roles).
    EventStaff(i64),
    /// `/events`: this role (event, role) for the staff member; the bot asks the name.
    EventRole(i64, i64),
    /// "Sign up" to the staff sign-up shown (event, role; the name is in the conversation).
    EventStaffYes(i64, i64),
    /// Drops the staff sign-up being written.
    EventStaffNo,
}

impl Action {
    /// The callback data.
    pub fn encode(&self) -> String {
        let mut s = String::from(VERSION);
        // Writing to a String cannot fail.
        let _ = match self {
            Action::ClaimAll(id) => write!(s, ":claim:all:{id}"),
            Action::ClaimAllYes(id, quantity) => write!(s, ":claim:yes:{id}:{quantity}"),
            Action::ClaimAllNo(id) => write!(s, ":claim:no:{id}"),
            Action::ClaimPart(id) => write!(s, ":claim:part:{id}"),
            Action::Needs {
                page,
                category,
                community,
            } => write!(
                s,
                ":needs:{page}:{}:{}",
                category.as_deref().unwrap_or("-"),
                community.map(|c| c.to_string()).unwrap_or_else(|| "-".into())
            ),
            Action::FilterCategories => write!(s, ":filter:cat"),
            Action::FilterCommunities => write!(s, ":filter:comm"),
            Action::Deliver(id) => write!(s, ":deliver:{id}"),
            Action::ReleaseAsk(id) => write!(s, ":release:ask:{id}"),
            Action::ReleaseYes(id) => write!(s, ":release:yes:{id}"),
            Action::ReleaseNo(id) => write!(s, ":release:no:{id}"),
            Action::Resume(id) => write!(s, ":resume:{id}"),
            Action::Redeliver(id) => write!(s, ":redeliver:{id}"),
            Action::OfferAdd => write!(s, ":offer:add"),
            Action::OfferCategory(code) => write!(s, ":offer:cat:{code}"),
            Action::OfferCommunity(id) => write!(s, ":offer:comm:{id}"),
            Action::OfferDone => write!(s, ":offer:done"),
            Action::OfferPause(id) => write!(s, ":offer:pause:{id}"),
            Action::OfferResume(id) => write!(s, ":offer:resume:{id}"),
            Action::Lang(lang) => write!(s, ":lang:{}", lang.as_str()),
            Action::AlertsShow => write!(s, ":alerts"),
            Action::AlertsCategories => write!(s, ":alerts:cats"),
            Action::AlertCategory(code) => write!(s, ":alerts:cat:{code}"),
            Action::AlertCategoriesAll => write!(s, ":alerts:cats:all"),
            Action::AlertsCommunities => write!(s, ":alerts:comms"),
            Action::AlertCommunity(id) => write!(s, ":alerts:comm:{id}"),
            Action::AlertCommunitiesAll => write!(s, ":alerts:comms:all"),
            Action::AlertCap => write!(s, ":alerts:cap"),
            Action::AlertQuiet => write!(s, ":alerts:quiet"),
            Action::AlertDigest(on) => write!(s, ":alerts:digest:{}", on_off(*on)),
            Action::AlertUrgent(on) => write!(s, ":alerts:urgent:{}", on_off(*on)),
            Action::AlertOtherSubdistricts(on) => write!(s, ":alerts:wide:{}", on_off(*on)),
            Action::Public(on) => write!(s, ":public:{}", on_off(*on)),
            Action::HonourRoll(on) => write!(s, ":honour:{}", on_off(*on)),
            Action::SponsorAsk(id) => write!(s, ":sponsor:ask:{id}"),
            Action::SponsorYes(id) => write!(s, ":sponsor:yes:{id}"),
            Action::SponsorNo => write!(s, ":sponsor:no"),
            Action::Renew(id) => write!(s, ":renew:{id}"),
            Action::SponsorStopAsk(id) => write!(s, ":sponsor:stop:{id}"),
            Action::SponsorStopYes(id) => write!(s, ":sponsor:stopyes:{id}"),
            Action::SponsorStopNo => write!(s, ":sponsor:keep"),
            Action::JoinCategory(code) => write!(s, ":join:cat:{code}"),
            Action::JoinCommunity(id) => write!(s, ":join:comm:{id}"),
            Action::JoinSubmit => write!(s, ":join:submit"),
            Action::JoinCancel => write!(s, ":join:cancel"),
            Action::JoinEdit(step) => write!(s, ":join:edit:{}", step_name(*step)),
            Action::AskDecline(id) => write!(s, ":ask:decline:{id}"),
            Action::AskDeclineYes(id) => write!(s, ":ask:declineyes:{id}"),
            Action::EventPledge(id) => write!(s, ":event:pledge:{id}"),
            Action::EventStaff(id) => write!(s, ":event:staff:{id}"),
            Action::EventRole(event, role) => write!(s, ":event:role:{event}:{role}"),
            Action::EventStaffYes(event, role) => write!(s, ":event:yes:{event}:{role}"),
            Action::EventStaffNo => write!(s, ":event:no"),
        };
        s
    }

    /// Parses callback data; `None` for anything this version did not write.
    pub fn parse(data: &str) -> Option<Action> {
        if data.len() > MAX_LEN || !data.is_ascii() {
            return None;
        }
        let parts: Vec<&str> = data.split(':').collect();
        let (&version, rest) = parts.split_first()?;
        if version != VERSION {
            return None;
        }
        let action = match rest {
            ["claim", "all", id] => Action::ClaimAll(id_of(id)?),
            ["claim", "yes", id, quantity] => Action::ClaimAllYes(id_of(id)?, i32::try_from(id_of(quantity)?).ok()?),
            ["claim", "no", id] => Action::ClaimAllNo(id_of(id)?),
            ["claim", "part", id] => Action::ClaimPart(id_of(id)?),
            ["needs", page, category, community] => Action::Needs {
                page: page_of(page)?,
                category: match *category {
                    "-" => None,
                    c => Some(code_of(c)?),
                },
                community: match *community {
                    "-" => None,
                    c => Some(id_of(c)?),
                },
            },
            ["filter", "cat"] => Action::FilterCategories,
            ["filter", "comm"] => Action::FilterCommunities,
            ["deliver", id] => Action::Deliver(id_of(id)?),
            ["release", "ask", id] => Action::ReleaseAsk(id_of(id)?),
            ["release", "yes", id] => Action::ReleaseYes(id_of(id)?),
            ["release", "no", id] => Action::ReleaseNo(id_of(id)?),
            ["resume", id] => Action::Resume(id_of(id)?),
            ["redeliver", id] => Action::Redeliver(id_of(id)?),
            ["offer", "add"] => Action::OfferAdd,
            ["offer", "cat", code] => Action::OfferCategory(code_of(code)?),
            ["offer", "comm", id] => Action::OfferCommunity(id_of(id)?),
            ["offer", "done"] => Action::OfferDone,
            ["offer", "pause", id] => Action::OfferPause(id_of(id)?),
            ["offer", "resume", id] => Action::OfferResume(id_of(id)?),
            ["lang", tag] => Action::Lang(match *tag {
                "zh-CN" => crate::Locale::ZhCn,
                "en" => crate::Locale::En,
                _ => return None,
            }),
            ["alerts"] => Action::AlertsShow,
            ["alerts", "cats"] => Action::AlertsCategories,
            ["alerts", "cat", code] => Action::AlertCategory(code_of(code)?),
            ["alerts", "cats", "all"] => Action::AlertCategoriesAll,
            ["alerts", "comms"] => Action::AlertsCommunities,
            ["alerts", "comm", id] => Action::AlertCommunity(id_of(id)?),
            ["alerts", "comms", "all"] => Action::AlertCommunitiesAll,
            ["alerts", "cap"] => Action::AlertCap,
            ["alerts", "quiet"] => Action::AlertQuiet,
            ["alerts", "digest", on] => Action::AlertDigest(switch_of(on)?),
            ["alerts", "urgent", on] => Action::AlertUrgent(switch_of(on)?),
            ["alerts", "wide", on] => Action::AlertOtherSubdistricts(switch_of(on)?),
            ["public", on] => Action::Public(switch_of(on)?),
            ["honour", on] => Action::HonourRoll(switch_of(on)?),
            ["sponsor", "ask", id] => Action::SponsorAsk(id_of(id)?),
            ["sponsor", "yes", id] => Action::SponsorYes(id_of(id)?),
            ["sponsor", "no"] => Action::SponsorNo,
            ["renew", id] => Action::Renew(id_of(id)?),
            ["sponsor", "stop", id] => Action::SponsorStopAsk(id_of(id)?),
            ["sponsor", "stopyes", id] => Action::SponsorStopYes(id_of(id)?),
            ["sponsor", "keep"] => Action::SponsorStopNo,
            ["join", "cat", code] => Action::JoinCategory(code_of(code)?),
            ["join", "comm", id] => Action::JoinCommunity(id_of(id)?),
            ["join", "submit"] => Action::JoinSubmit,
            ["join", "cancel"] => Action::JoinCancel,
            ["join", "edit", step] => Action::JoinEdit(step_of(step)?),
            ["ask", "decline", id] => Action::AskDecline(id_of(id)?),
            ["ask", "declineyes", id] => Action::AskDeclineYes(id_of(id)?),
            ["event", "pledge", id] => Action::EventPledge(id_of(id)?),
            ["event", "staff", id] => Action::EventStaff(id_of(id)?),
            ["event", "role", event, role] => Action::EventRole(id_of(event)?, id_of(role)?),
            ["event", "yes", event, role] => Action::EventStaffYes(id_of(event)?, id_of(role)?),
            ["event", "no"] => Action::EventStaffNo,
            _ => return None,
        };
        // Only the canonical spelling is accepted, so "007" or "+7" never parse.
        (action.encode() == data).then_some(action)
    }
}

fn on_off(on: bool) -> &'static str {
    if on { "on" } else { "off" }
}

fn switch_of(text: &str) -> Option<bool> {
    match text {
        "on" => Some(true),
        "off" => Some(false),
        _ => None,
    }
}

fn id_of(text: &str) -> Option<i64> {
    if text.is_empty() || text.len() > 18 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok().filter(|id| *id > 0)
}

fn page_of(text: &str) -> Option<u32> {
    if text.is_empty() || text.len() > 4 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// The name a button carries for a question of `/join`.
fn step_name(step: JoinStep) -> &'static str {
    match step {
        JoinStep::Name => "name",
        JoinStep::Category => "category",
        JoinStep::Community => "community",
        JoinStep::Code => "code",
        JoinStep::Phone => "phone",
        JoinStep::Offer => "offer",
        JoinStep::Confirm => "confirm",
    }
}

/// A question of `/join` by its name; "Submit?" is not one a button asks again.
fn step_of(text: &str) -> Option<JoinStep> {
    JoinStep::QUESTIONS.into_iter().find(|step| step_name(*step) == text)
}

fn code_of(text: &str) -> Option<String> {
    let ok = (1..=24).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
    ok.then(|| text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Locale;

    fn every_action() -> Vec<Action> {
        vec![
            Action::ClaimAll(7),
            Action::ClaimAllYes(123_456_789_012, 2_000_000_000),
            Action::ClaimAllNo(7),
            Action::Redeliver(9),
            Action::ClaimPart(123_456_789_012),
            Action::Needs {
                page: 3,
                category: Some("volunteer_hours".into()),
                community: Some(99),
            },
            Action::Needs {
                page: 0,
                category: None,
                community: None,
            },
            Action::FilterCategories,
            Action::FilterCommunities,
            Action::Deliver(1),
            Action::ReleaseAsk(2),
            Action::ReleaseYes(2),
            Action::ReleaseNo(2),
            Action::Resume(5),
            Action::OfferAdd,
            Action::OfferCategory("daily_goods".into()),
            Action::OfferCommunity(4),
            Action::OfferDone,
            Action::OfferPause(8),
            Action::OfferResume(8),
            Action::Lang(Locale::En),
            Action::Lang(Locale::ZhCn),
            Action::AlertsShow,
            Action::AlertsCategories,
            Action::AlertCategory("volunteer_hours".into()),
            Action::AlertCategoriesAll,
            Action::AlertsCommunities,
            Action::AlertCommunity(12),
            Action::AlertCommunitiesAll,
            Action::AlertCap,
            Action::AlertQuiet,
            Action::AlertDigest(true),
            Action::AlertDigest(false),
            Action::AlertUrgent(true),
            Action::AlertUrgent(false),
            Action::AlertOtherSubdistricts(true),
            Action::AlertOtherSubdistricts(false),
            Action::Public(true),
            Action::Public(false),
            Action::HonourRoll(true),
            Action::HonourRoll(false),
            Action::SponsorAsk(123_456_789_012),
            Action::SponsorYes(7),
            Action::SponsorNo,
            Action::Renew(123_456_789_012),
            Action::SponsorStopAsk(5),
            Action::SponsorStopYes(5),
            Action::SponsorStopNo,
            Action::JoinCategory("daily_goods".into()),
            Action::JoinCommunity(123_456_789_012),
            Action::JoinSubmit,
            Action::JoinCancel,
            Action::AskDecline(123_456_789_012),
            Action::AskDeclineYes(123_456_789_012),
            Action::EventPledge(999_999_999_999_999_999),
            Action::EventStaff(7),
            Action::EventRole(999_999_999_999_999_999, 999_999_999_999_999_999),
            Action::EventStaffYes(999_999_999_999_999_999, 999_999_999_999_999_999),
            Action::EventStaffNo,
        ]
        .into_iter()
        .chain(JoinStep::QUESTIONS.map(Action::JoinEdit))
        .collect()
    }

    #[test]
    fn every_action_round_trips_within_telegrams_limit() {
        for action in every_action() {
            let data = action.encode();
            assert!(data.len() <= MAX_LEN, "{data}");
            assert_eq!(Action::parse(&data), Some(action), "{data}");
        }
    }

    #[test]
    fn tampered_or_unknown_data_is_refused() {
        for data in [
            "",
            "v1",
            "v2:claim:all:7",
            "claim:all:7",
            "v1:claim:all:",
            "v1:claim:all:abc",
            "v1:claim:all:-7",
            "v1:claim:all:+7",
            "v1:claim:all:007",
            "v1:claim:all:0",
            "v1:claim:all:7:extra",
            "v1:claim:everything:7",
            "v1:claim:all:99999999999999999999",
            "v1:needs:1:FOOD:-",
            "v1:needs:x:-:-",
            "v1:lang:fr",
            "v1:offer:cat:food;drop",
            "V1:claim:all:7",
            "v1:claim:all:７",
            "v1:alerts:digest:yes",
            "v1:alerts:cat:Food",
            "v1:alerts:comm:0",
            "v1:alerts:cats:none",
            "v1:alerts:",
            "v1:public",
            "v1:public:",
            "v1:public:yes",
            "v1:public:ON",
            "v1:public:on:extra",
            "v1:public:toggle",
            "v1:claim:yes:7",
            "v1:claim:yes:7:0",
            "v1:claim:yes:7:3000000000",
            "v1:redeliver:",
            "v1:renew:",
            "v1:renew:0",
            "v1:sponsor:yes",
            "v1:sponsor:stop:-1",
            "v1:sponsor:ask:7:8",
            "v1:join:cat:Food",
            "v1:join:comm:0",
            "v1:join:comm:",
            "v1:join:submit:1",
            "v1:join",
        ] {
            assert_eq!(Action::parse(data), None, "{data}");
        }
        let long = format!("v1:offer:cat:{}", "a".repeat(60));
        assert_eq!(Action::parse(&long), None);
    }

    #[test]
    fn the_public_listing_buttons_carry_the_wanted_state() {
        assert_eq!(Action::Public(true).encode(), "v1:public:on");
        assert_eq!(Action::Public(false).encode(), "v1:public:off");
        assert_eq!(Action::parse("v1:public:on"), Some(Action::Public(true)));
        assert_eq!(Action::parse("v1:public:off"), Some(Action::Public(false)));
    }
}
