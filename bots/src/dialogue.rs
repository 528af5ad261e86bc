//! The merchant dialogue, free of any transport: one input (a command, a typed line or a
//! button) and the conversation's small state in, replies and the next state out.
//! Adapters (Telegram, console) turn their events into [`Input`]s and show [`Reply`]s.

mod alerts;
mod certificate;
mod credit;
mod events;
mod join;
mod public;
mod sponsor;

pub use alerts::parse_quiet_hours;
pub use events::MAX_STAFF_NAME;

use crate::Locale;
use crate::callback::Action;
use crate::command::Command;
use crate::desk::{
    Amount, Choice, ClaimState, DeskError, JoinDraft, MerchantDesk, MerchantInfo, MerchantStatus, NeedCardView,
    NeedQuery, OfferDraft,
};
use crate::text;

/// Needs shown a page (one message each): few enough to read on a phone at a glance.
pub const PER_PAGE: u32 = 3;
/// The category code of volunteer-hours needs, used by `/hours`.
pub const HOURS_CATEGORY: &str = "volunteer_hours";
const MAX_OFFER_DESCRIPTION: usize = 200;
const MAX_CAPACITY: i32 = 10_000;

/// What a conversation is waiting for; stored between updates (as JSON for Telegram).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum State {
    /// Nothing in particular.
    #[default]
    Idle,
    /// A typed quantity for a part claim of `need_id`.
    Quantity {
        /// The need being claimed.
        need_id: i64,
    },
    /// The description of a new offer.
    OfferDescription {
        /// Category code picked.
        category: String,
    },
    /// The monthly capacity of a new offer.
    OfferCapacity {
        /// Category code picked.
        category: String,
        /// Description typed.
        description: String,
    },
    /// The communities of a new offer.
    OfferCommunities {
        /// Category code picked.
        category: String,
        /// Description typed.
        description: String,
        /// Capacity typed.
        capacity: i32,
        /// Community ids picked so far.
        picked: Vec<i64>,
    },
    /// The note of a merchant who delivered again after a dispute.
    RedeliverNote {
        /// The disputed claim.
        claim_id: i64,
    },
    /// A typed daily cap of alerts.
    AlertCap,
    /// Typed quiet hours.
    AlertQuiet,
    /// The name of a staff member to sign up for role `role_id` of event `event_id`.
    StaffName {
        /// The event.
        event_id: i64,
        /// The role.
        role_id: i64,
    },
    /// "Sign up?" for the staff member `name`, role `role_id` of event `event_id`.
    StaffConfirm {
        /// The event.
        event_id: i64,
        /// The role.
        role_id: i64,
        /// The name typed.
        name: String,
    },
    /// A shop applying to join (`/join`), at step `at` with what it gave so far.
    Join {
        /// The question asked.
        at: JoinStep,
        /// The answers so far.
        draft: JoinDraft,
    },
}

/// The questions of `/join`, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JoinStep {
    /// The shop's name (typed).
    Name,
    /// Its category (buttons).
    Category,
    /// Its community (buttons).
    Community,
    /// Its credit code (typed).
    Code,
    /// Its business phone (typed).
    Phone,
    /// What it can offer (typed).
    Offer,
    /// "Submit?" (buttons).
    Confirm,
}

impl JoinStep {
    /// The questions a shop answers, in the order they are asked (every step but "Submit?").
    pub const QUESTIONS: [JoinStep; 6] = [
        JoinStep::Name,
        JoinStep::Category,
        JoinStep::Community,
        JoinStep::Code,
        JoinStep::Phone,
        JoinStep::Offer,
    ];
}

impl State {
    /// True when the next typed line answers a question (so a number is not a button pick).
    pub fn expects_text(&self) -> bool {
        matches!(
            self,
            State::Quantity { .. }
                | State::RedeliverNote { .. }
                | State::OfferDescription { .. }
                | State::OfferCapacity { .. }
                | State::AlertCap
                | State::AlertQuiet
                | State::StaffName { .. }
                | State::Join {
                    at: JoinStep::Name | JoinStep::Code | JoinStep::Phone | JoinStep::Offer,
                    ..
                }
        )
    }
}

/// One thing the merchant did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A command.
    Command(Command),
    /// A typed line that is not a command.
    Text(String),
    /// A button's callback data, unparsed (it may be tampered).
    Button(String),
}

/// An inline button.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Button {
    /// What the merchant reads.
    pub label: String,
    /// Callback data ([`Action::encode`]).
    pub data: String,
}

impl Button {
    fn new(label: String, action: Action) -> Self {
        Self {
            label,
            data: action.encode(),
        }
    }
}

/// One message the bot sends.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Reply {
    /// The text.
    pub text: String,
    /// Rows of inline buttons.
    pub buttons: Vec<Vec<Button>>,
}

impl Reply {
    /// A message without buttons.
    pub fn text(text: String) -> Self {
        Self {
            text,
            buttons: Vec::new(),
        }
    }
}

/// The conversation as an adapter knows it before an input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The Telegram chat, `None` in the console.
    pub chat_id: Option<i64>,
    /// The merchant linked to it, if any.
    pub merchant: Option<MerchantInfo>,
    /// The language to answer in.
    pub lang: Locale,
    /// What the conversation waits for.
    pub state: State,
}

/// What one input produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Turn {
    /// Messages to send, in order.
    pub replies: Vec<Reply>,
    /// The conversation's next state.
    pub state: State,
    /// The language from now on.
    pub lang: Locale,
    /// The merchant from now on (changes when `/start CODE` links the chat).
    pub merchant: Option<MerchantInfo>,
    /// A certificate number whose PDF the adapter sends with the first reply (`/certificate`).
    pub document: Option<String>,
}

/// Answers one input. `key` identifies the input (a Telegram update id, say): a claim made
/// from it uses it as idempotency key, so handling the same input again never claims twice.
/// Refusals become replies; only [`DeskError::Unavailable`] comes back as an error, for the
/// adapter to retry.
pub async fn respond(desk: &dyn MerchantDesk, session: Session, input: Input, key: &str) -> Result<Turn, DeskError> {
    let mut talk = Talk {
        desk,
        lang: session.lang,
        merchant: session.merchant,
        chat_id: session.chat_id,
        state: State::Idle,
        replies: Vec::new(),
        document: None,
    };
    let outcome = talk.handle(session.state, input, key).await;
    match outcome {
        Ok(()) => {}
        Err(DeskError::Unavailable) => return Err(DeskError::Unavailable),
        Err(refusal) => {
            talk.state = State::Idle;
            talk.say(text::refusal(talk.lang, &refusal));
        }
    }
    Ok(Turn {
        replies: talk.replies,
        state: talk.state,
        lang: talk.lang,
        merchant: talk.merchant,
        document: talk.document,
    })
}

struct Talk<'a> {
    desk: &'a dyn MerchantDesk,
    lang: Locale,
    merchant: Option<MerchantInfo>,
    chat_id: Option<i64>,
    /// The state after this input; `Idle` unless a step sets it.
    state: State,
    replies: Vec<Reply>,
    document: Option<String>,
}

impl Talk<'_> {
    fn say(&mut self, text: String) {
        self.replies.push(Reply::text(text));
    }

    /// The merchant linked to this chat, whatever its standing with the office.
    fn linked(&self) -> Result<i64, DeskError> {
        self.merchant.as_ref().map(|m| m.id).ok_or(DeskError::NotLinked)
    }

    /// The merchant, if it may see needs; a refusal that explains why not otherwise.
    fn approved(&self) -> Result<i64, DeskError> {
        match &self.merchant {
            None => Err(DeskError::NotLinked),
            Some(m) => match m.status {
                MerchantStatus::Approved => Ok(m.id),
                MerchantStatus::Pending => Err(DeskError::Pending),
                MerchantStatus::Suspended => Err(DeskError::Suspended),
            },
        }
    }

    async fn handle(&mut self, state: State, input: Input, key: &str) -> Result<(), DeskError> {
        match input {
            Input::Command(command) => self.command(command).await,
            Input::Button(data) => match Action::parse(&data) {
                Some(action) => self.action(state, action, key).await,
                None => {
                    self.state = state;
                    self.say(text::button_expired(self.lang));
                    Ok(())
                }
            },
            Input::Text(line) => self.typed(state, line.trim(), key).await,
        }
    }

    async fn command(&mut self, command: Command) -> Result<(), DeskError> {
        let lang = self.lang;
        match command {
            Command::Start(None) => match self.merchant.clone() {
                Some(m) => {
                    if m.status == MerchantStatus::Approved {
                        self.say(text::welcome(lang, &m.name));
                    } else {
                        // Not "send /needs": a shop that may not claim yet is told why instead.
                        self.say(text::greeting(lang, &m.name));
                    }
                    self.status_note(&m);
                }
                None => self.say(text::how_to_link(lang)),
            },
            Command::Start(Some(code)) => match self.chat_id {
                None => self.say(text::console_bound(lang)),
                Some(chat) => {
                    let mut m = self.desk.link_chat(chat, &code).await?;
                    // The person who links reads this chat's language; keep it.
                    if m.lang != lang {
                        self.desk.set_lang(m.id, lang).await?;
                        m.lang = lang;
                    }
                    if m.status == MerchantStatus::Approved {
                        self.say(text::linked(m.lang, &m.name));
                    } else {
                        self.say(text::linked_waiting(m.lang, &m.name));
                    }
                    self.status_note(&m);
                    self.merchant = Some(m);
                }
            },
            Command::StartNeed(need) => self.open_need(need).await?,
            Command::Help => self.say(text::help(lang)),
            Command::Cancel => self.say(text::cancelled(lang)),
            Command::Unknown => self.say(text::unknown_command(lang)),
            Command::Lang(Some(choice)) => match Locale::from_choice(&choice) {
                Some(new) => self.set_lang(new).await?,
                None => self.lang_prompt(),
            },
            Command::Lang(None) => self.lang_prompt(),
            Command::Needs(args) => {
                let merchant = self.approved()?;
                let query = self.filter_from_words(&args).await?;
                self.show_needs(merchant, query).await?;
            }
            Command::Events => {
                let merchant = self.approved()?;
                self.show_events(merchant).await?;
            }
            Command::Hours => {
                let merchant = self.approved()?;
                let query = NeedQuery {
                    category: Some(HOURS_CATEGORY.to_owned()),
                    ..NeedQuery::default()
                };
                self.show_needs(merchant, query).await?;
            }
            Command::Mine => {
                let merchant = self.approved()?;
                self.show_mine(merchant).await?;
            }
            Command::Offers => {
                let merchant = self.approved()?;
                self.show_offers(merchant).await?;
            }
            Command::Alerts => {
                let merchant = self.approved()?;
                self.show_alerts(merchant).await?;
            }
            Command::Public => {
                let merchant = self.linked()?;
                self.show_public(merchant).await?;
            }
            Command::Credit => {
                let merchant = self.linked()?;
                self.show_credit(merchant).await?;
            }
            Command::Certificate => {
                let merchant = self.approved()?;
                self.show_certificate(merchant).await?;
            }
            Command::Join => self.join_command().await?,
        }
        Ok(())
    }

    fn status_note(&mut self, m: &MerchantInfo) {
        match m.status {
            MerchantStatus::Approved => {}
            MerchantStatus::Pending => self.say(text::pending(m.lang)),
            MerchantStatus::Suspended => self.say(text::suspended(m.lang)),
        }
    }

    fn lang_prompt(&mut self) {
        self.replies.push(Reply {
            text: text::lang_prompt(self.lang),
            buttons: vec![vec![
                Button::new("中文".into(), Action::Lang(Locale::ZhCn)),
                Button::new("English".into(), Action::Lang(Locale::En)),
            ]],
        });
    }

    async fn set_lang(&mut self, new: Locale) -> Result<(), DeskError> {
        if let Some(m) = &mut self.merchant {
            self.desk.set_lang(m.id, new).await?;
            m.lang = new;
        }
        self.lang = new;
        self.say(text::lang_set(new));
        Ok(())
    }

    async fn action(&mut self, state: State, action: Action, key: &str) -> Result<(), DeskError> {
        let lang = self.lang;
        match action {
            Action::Lang(new) => return self.set_lang(new).await,
            Action::OfferCategory(_) | Action::OfferCommunity(_) | Action::OfferDone => {
                let merchant = self.approved()?;
                return self.offer_step(merchant, state, action).await;
            }
            Action::AlertsShow
            | Action::AlertsCategories
            | Action::AlertCategory(_)
            | Action::AlertCategoriesAll
            | Action::AlertsCommunities
            | Action::AlertCommunity(_)
            | Action::AlertCommunitiesAll
            | Action::AlertCap
            | Action::AlertQuiet
            | Action::AlertDigest(_)
            | Action::AlertUrgent(_)
            | Action::AlertOtherSubdistricts(_) => {
                let merchant = self.approved()?;
                return self.alerts_action(merchant, action).await;
            }
            Action::Public(shown) => {
                let merchant = self.linked()?;
                return self.public_action(merchant, shown).await;
            }
            Action::HonourRoll(on) => {
                let merchant = self.linked()?;
                return self.honour_action(merchant, on).await;
            }
            Action::JoinCategory(_)
            | Action::JoinCommunity(_)
            | Action::JoinSubmit
            | Action::JoinCancel
            | Action::JoinEdit(_) => {
                return self.join_action(state, action).await;
            }
            Action::SponsorAsk(_)
            | Action::SponsorYes(_)
            | Action::SponsorNo
            | Action::Renew(_)
            | Action::SponsorStopAsk(_)
            | Action::SponsorStopYes(_)
            | Action::SponsorStopNo => return self.sponsor_action(action).await,
            Action::EventPledge(_)
            | Action::EventStaff(_)
            | Action::EventRole(..)
            | Action::EventStaffYes(..)
            | Action::EventStaffNo => {
                let merchant = self.approved()?;
                return self.event_action(merchant, state, action, key).await;
            }
            Action::AskDecline(need_id) => {
                // The worker will read the answer: ask first, as a mis-tap cannot be taken back.
                self.approved()?;
                self.replies.push(Reply {
                    text: text::ask_decline_confirm(lang),
                    buttons: vec![vec![Button::new(
                        text::ask_decline_yes_button(lang),
                        Action::AskDeclineYes(need_id),
                    )]],
                });
                return Ok(());
            }
            Action::AskDeclineYes(need_id) => {
                let merchant = self.approved()?;
                match self.desk.decline_request(merchant, need_id).await {
                    Ok(()) => self.say(text::ask_declined(lang)),
                    Err(DeskError::AlreadyYours) => self.say(text::ask_decline_claimed(lang)),
                    Err(other) => return Err(other),
                }
                return Ok(());
            }
            _ => {}
        }
        let merchant = self.approved()?;
        match action {
            Action::ClaimAll(need_id) => {
                // Ask first, an old button too: "all" may be more than the merchant thinks.
                self.desk.may_claim(merchant).await?;
                let card = self.desk.need(merchant, need_id, lang).await?;
                if card.quantity_left < 1 {
                    return Err(DeskError::Gone);
                }
                self.replies.push(Reply {
                    text: text::claim_all_question(lang, &card),
                    buttons: vec![vec![
                        Button::new(
                            text::claim_all_yes_button(lang),
                            Action::ClaimAllYes(need_id, card.quantity_left),
                        ),
                        Button::new(text::claim_all_no_button(lang), Action::ClaimAllNo(need_id)),
                    ]],
                });
            }
            Action::ClaimAllYes(need_id, quantity) => {
                // Exactly what the question named; if some went meanwhile, the merchant hears how much is left.
                match self
                    .desk
                    .claim(merchant, need_id, Amount::Exactly(quantity), key, lang)
                    .await
                {
                    Ok(claimed) => self.confirm(&claimed),
                    Err(DeskError::NotEnoughLeft { left }) if left > 0 => {
                        let card = self.desk.need(merchant, need_id, lang).await?;
                        self.say(text::only_left(lang, left, &card.unit));
                        self.state = State::Quantity { need_id };
                    }
                    Err(DeskError::NotEnoughLeft { .. }) => return Err(DeskError::Gone),
                    Err(other) => return Err(other),
                }
            }
            Action::ClaimAllNo(_) => self.say(text::claim_all_kept(lang)),
            Action::ClaimPart(need_id) => {
                self.desk.may_claim(merchant).await?;
                let card = self.desk.need(merchant, need_id, lang).await?;
                if card.quantity_left < 1 {
                    return Err(DeskError::Gone);
                }
                self.say(text::ask_quantity(lang, &card));
                self.state = State::Quantity { need_id };
            }
            Action::Needs {
                page,
                category,
                community,
            } => {
                let query = NeedQuery {
                    category,
                    community_id: community,
                    page,
                    per_page: PER_PAGE,
                };
                self.show_needs(merchant, query).await?;
            }
            Action::FilterCategories => {
                let rows = self
                    .desk
                    .categories(lang)
                    .into_iter()
                    .map(|c| {
                        Button::new(
                            c.label,
                            Action::Needs {
                                page: 0,
                                category: Some(c.code),
                                community: None,
                            },
                        )
                    })
                    .collect();
                self.choices(text::choose_category(lang), rows);
            }
            Action::FilterCommunities => {
                let rows = self
                    .desk
                    .communities(lang)
                    .await?
                    .into_iter()
                    .filter_map(|c| {
                        let id = c.code.parse().ok()?;
                        Some(Button::new(
                            c.label,
                            Action::Needs {
                                page: 0,
                                category: None,
                                community: Some(id),
                            },
                        ))
                    })
                    .collect();
                self.choices(text::choose_community(lang), rows);
            }
            Action::Deliver(claim_id) => {
                let claim = self.desk.mark_delivered(merchant, claim_id, lang).await?;
                self.say(text::delivered_done(lang, &claim));
            }
            Action::ReleaseAsk(claim_id) => {
                let claim = self.desk.my_claim(merchant, claim_id, lang).await?;
                if !matches!(claim.state, ClaimState::Active | ClaimState::Disputed) {
                    return Err(DeskError::WrongState);
                }
                self.replies.push(Reply {
                    text: text::release_question(lang, &claim),
                    buttons: vec![vec![
                        Button::new(text::release_yes_button(lang), Action::ReleaseYes(claim_id)),
                        Button::new(text::release_no_button(lang), Action::ReleaseNo(claim_id)),
                    ]],
                });
            }
            Action::ReleaseYes(claim_id) => {
                let claim = self.desk.release(merchant, claim_id, lang).await?;
                self.say(text::released(lang, &claim));
            }
            Action::ReleaseNo(_) => self.say(text::kept(lang)),
            Action::Resume(claim_id) => {
                let claim = self.desk.resume(merchant, claim_id, lang).await?;
                self.say(text::resumed(lang, &claim));
            }
            Action::Redeliver(claim_id) => {
                let claim = self.desk.my_claim(merchant, claim_id, lang).await?;
                if claim.state != ClaimState::Disputed {
                    return Err(DeskError::WrongState);
                }
                self.say(text::ask_redeliver_note(lang, &claim));
                self.state = State::RedeliverNote { claim_id };
            }
            Action::OfferAdd => {
                let rows = self
                    .desk
                    .categories(lang)
                    .into_iter()
                    .map(|c| Button::new(c.label, Action::OfferCategory(c.code)))
                    .collect();
                self.choices(text::offer_pick_category(lang), rows);
            }
            Action::OfferPause(offer_id) => {
                let offer = self.desk.set_offer_active(merchant, offer_id, false, lang).await?;
                self.say(text::offer_paused(lang, &offer));
            }
            Action::OfferResume(offer_id) => {
                let offer = self.desk.set_offer_active(merchant, offer_id, true, lang).await?;
                self.say(text::offer_resumed(lang, &offer));
            }
            Action::Lang(_)
            | Action::OfferCategory(_)
            | Action::OfferCommunity(_)
            | Action::OfferDone
            | Action::AlertsShow
            | Action::AlertsCategories
            | Action::AlertCategory(_)
            | Action::AlertCategoriesAll
            | Action::AlertsCommunities
            | Action::AlertCommunity(_)
            | Action::AlertCommunitiesAll
            | Action::AlertCap
            | Action::AlertQuiet
            | Action::AlertDigest(_)
            | Action::AlertUrgent(_)
            | Action::AlertOtherSubdistricts(_)
            | Action::Public(_)
            | Action::HonourRoll(_)
            | Action::SponsorAsk(_)
            | Action::SponsorYes(_)
            | Action::SponsorNo
            | Action::Renew(_)
            | Action::SponsorStopAsk(_)
            | Action::SponsorStopYes(_)
            | Action::SponsorStopNo
            | Action::JoinCategory(_)
            | Action::JoinCommunity(_)
            | Action::JoinSubmit
            | Action::JoinCancel
            | Action::JoinEdit(_)
            | Action::AskDecline(_)
            | Action::AskDeclineYes(_)
            | Action::EventPledge(_)
            | Action::EventStaff(_)
            | Action::EventRole(..)
            | Action::EventStaffYes(..)
            | Action::EventStaffNo => {}
        }
        Ok(())
    }

    /// A reply with one button a row.
    fn choices(&mut self, prompt: String, buttons: Vec<Button>) {
        self.replies.push(Reply {
            text: prompt,
            buttons: buttons.into_iter().map(|b| vec![b]).collect(),
        });
    }

    async fn typed(&mut self, state: State, line: &str, key: &str) -> Result<(), DeskError> {
        let lang = self.lang;
        match state {
            State::Idle => {
                if self.merchant.is_none() {
                    self.say(text::how_to_link(lang));
                } else {
                    self.say(text::not_understood(lang));
                }
                Ok(())
            }
            State::Quantity { need_id } => {
                let merchant = self.approved()?;
                let card = self.desk.need(merchant, need_id, lang).await?;
                let left = card.quantity_left;
                if left < 1 {
                    return Err(DeskError::Gone);
                }
                let Some(quantity) = whole_number(line).filter(|n| *n >= 1) else {
                    self.say(text::not_a_number(lang, left));
                    self.state = State::Quantity { need_id };
                    return Ok(());
                };
                if quantity > i64::from(left) {
                    self.say(text::only_left(lang, left, &card.unit));
                    self.state = State::Quantity { need_id };
                    return Ok(());
                }
                let amount = Amount::Exactly(i32::try_from(quantity).unwrap_or(i32::MAX));
                match self.desk.claim(merchant, need_id, amount, key, lang).await {
                    Ok(claimed) => self.confirm(&claimed),
                    Err(DeskError::NotEnoughLeft { left }) if left > 0 => {
                        // Someone took some meanwhile; the merchant may still take the rest.
                        self.say(text::only_left(lang, left, &card.unit));
                        self.state = State::Quantity { need_id };
                    }
                    Err(DeskError::NotEnoughLeft { .. }) => return Err(DeskError::Gone),
                    Err(other) => return Err(other),
                }
                Ok(())
            }
            State::RedeliverNote { claim_id } => {
                let merchant = self.approved()?;
                match self.desk.redeliver(merchant, claim_id, line, lang).await {
                    Ok(claim) => self.say(text::redelivered(lang, &claim)),
                    Err(DeskError::Invalid) => {
                        // Empty, too long or with a phone number: ask again, keep waiting.
                        self.say(text::redeliver_note_invalid(lang));
                        self.state = State::RedeliverNote { claim_id };
                    }
                    Err(other) => return Err(other),
                }
                Ok(())
            }
            State::OfferDescription { category } => {
                let description = line.to_owned();
                let length = description.chars().count();
                if length == 0 || length > MAX_OFFER_DESCRIPTION {
                    self.say(text::offer_description_invalid(lang));
                    self.state = State::OfferDescription { category };
                } else {
                    self.say(text::offer_ask_capacity(lang));
                    self.state = State::OfferCapacity { category, description };
                }
                Ok(())
            }
            State::OfferCapacity { category, description } => {
                match whole_number(line).filter(|n| (1..=i64::from(MAX_CAPACITY)).contains(n)) {
                    Some(capacity) => {
                        let next = State::OfferCommunities {
                            category,
                            description,
                            capacity: i32::try_from(capacity).unwrap_or(MAX_CAPACITY),
                            picked: Vec::new(),
                        };
                        self.community_picker(&next).await?;
                        self.state = next;
                    }
                    None => {
                        self.say(text::offer_capacity_invalid(lang));
                        self.state = State::OfferCapacity { category, description };
                    }
                }
                Ok(())
            }
            State::AlertCap | State::AlertQuiet => {
                let merchant = self.approved()?;
                self.alerts_typed(merchant, state, line).await
            }
            State::Join { at, draft } => self.join_typed(at, draft, line).await,
            State::StaffName { event_id, role_id } => {
                let merchant = self.approved()?;
                self.staff_name_typed(merchant, event_id, role_id, line).await
            }
            State::StaffConfirm { .. } => {
                // Buttons are expected: point at them, keep the question open.
                self.say(text::events::tap_to_confirm(lang));
                self.state = state;
                Ok(())
            }
            State::OfferCommunities { .. } => {
                // Buttons are expected; show them again.
                self.community_picker(&state).await?;
                self.state = state;
                Ok(())
            }
        }
    }

    async fn community_picker(&mut self, state: &State) -> Result<(), DeskError> {
        let State::OfferCommunities { picked, .. } = state else {
            return Ok(());
        };
        let lang = self.lang;
        let all = self.desk.communities(lang).await?;
        let picked_labels: Vec<String> = all
            .iter()
            .filter(|c| picked.iter().any(|p| p.to_string() == c.code))
            .map(|c| c.label.clone())
            .collect();
        let mut rows: Vec<Vec<Button>> = all
            .into_iter()
            .filter_map(|c| {
                let id: i64 = c.code.parse().ok()?;
                let mark = if picked.contains(&id) { "✓ " } else { "" };
                Some(vec![Button::new(
                    format!("{mark}{}", c.label),
                    Action::OfferCommunity(id),
                )])
            })
            .collect();
        rows.push(vec![Button::new(text::offer_done_button(lang), Action::OfferDone)]);
        self.replies.push(Reply {
            text: text::offer_pick_communities(lang, &picked_labels),
            buttons: rows,
        });
        Ok(())
    }

    async fn offer_step(&mut self, merchant: i64, state: State, action: Action) -> Result<(), DeskError> {
        let lang = self.lang;
        match (action, state) {
            (Action::OfferCategory(code), _) => {
                let Some(category) = self.desk.categories(lang).into_iter().find(|c| c.code == code) else {
                    self.say(text::button_expired(lang));
                    return Ok(());
                };
                self.say(text::offer_ask_description(lang, &category.label));
                self.state = State::OfferDescription { category: code };
            }
            (
                Action::OfferCommunity(id),
                State::OfferCommunities {
                    category,
                    description,
                    capacity,
                    mut picked,
                },
            ) => {
                let known = self
                    .desk
                    .communities(lang)
                    .await?
                    .iter()
                    .any(|c| c.code == id.to_string());
                if known {
                    match picked.iter().position(|p| *p == id) {
                        Some(at) => {
                            picked.remove(at);
                        }
                        None => picked.push(id),
                    }
                }
                let next = State::OfferCommunities {
                    category,
                    description,
                    capacity,
                    picked,
                };
                if known {
                    self.community_picker(&next).await?;
                } else {
                    self.say(text::button_expired(lang));
                }
                self.state = next;
            }
            (
                Action::OfferDone,
                State::OfferCommunities {
                    category,
                    description,
                    capacity,
                    picked,
                },
            ) => {
                if picked.is_empty() {
                    self.say(text::offer_need_community(lang));
                    self.state = State::OfferCommunities {
                        category,
                        description,
                        capacity,
                        picked,
                    };
                    return Ok(());
                }
                let offer = OfferDraft {
                    category,
                    description,
                    monthly_capacity: capacity,
                    community_ids: picked,
                };
                let added = self.desk.add_offer(merchant, &offer, lang).await?;
                self.say(text::offer_added(lang, &added));
            }
            (_, other) => {
                // A button of an offer draft that is no longer being made.
                self.state = other;
                self.say(text::button_expired(lang));
            }
        }
        Ok(())
    }

    /// `/needs food 东和`: words that name a category or a community become filters.
    async fn filter_from_words(&self, words: &str) -> Result<NeedQuery, DeskError> {
        let mut query = NeedQuery::default();
        if words.trim().is_empty() {
            return Ok(query);
        }
        let categories: Vec<Choice> = Locale::ALL.iter().flat_map(|l| self.desk.categories(*l)).collect();
        let communities: Vec<Choice> = {
            let mut all = Vec::new();
            for l in Locale::ALL {
                all.extend(self.desk.communities(l).await?);
            }
            all
        };
        for word in words.split_whitespace() {
            let matches = |c: &&Choice| c.code.eq_ignore_ascii_case(word) || c.label.eq_ignore_ascii_case(word);
            if let Some(c) = categories.iter().find(matches) {
                query.category = Some(c.code.clone());
            } else if let Some(c) = communities
                .iter()
                .find(|c| c.label.eq_ignore_ascii_case(word) || c.label.starts_with(word))
            {
                query.community_id = c.code.parse().ok();
            }
        }
        Ok(query)
    }

    async fn show_needs(&mut self, merchant: i64, mut query: NeedQuery) -> Result<(), DeskError> {
        let lang = self.lang;
        query.per_page = PER_PAGE;
        let hours = query.category.as_deref() == Some(HOURS_CATEGORY);
        let page = self.desk.open_needs(merchant, &query, lang).await?;
        let mut filter_parts = Vec::new();
        if let Some(code) = query.category.as_deref().filter(|_| !hours)
            && let Some(c) = self.desk.categories(lang).into_iter().find(|c| c.code == code)
        {
            filter_parts.push(c.label);
        }
        if let Some(id) = query.community_id {
            let name = self
                .desk
                .communities(lang)
                .await?
                .into_iter()
                .find(|c| c.code == id.to_string());
            if let Some(c) = name {
                filter_parts.push(c.label);
            }
        }
        let filter = (!filter_parts.is_empty()).then(|| filter_parts.join(" · "));
        let filtered = filter.is_some();

        // One message a card, its buttons under it; the page's head opens the first card
        // and paging and filters follow in a footer of their own.
        let mut footer_buttons = Vec::new();
        if page.more {
            footer_buttons.push(vec![Button::new(
                text::more_button(lang),
                Action::Needs {
                    page: query.page + 1,
                    category: query.category.clone(),
                    community: query.community_id,
                },
            )]);
        }
        if !hours {
            let mut row = vec![
                Button::new(text::filter_category_button(lang), Action::FilterCategories),
                Button::new(text::filter_community_button(lang), Action::FilterCommunities),
            ];
            if filtered {
                row.push(Button::new(
                    text::clear_filter_button(lang),
                    Action::Needs {
                        page: 0,
                        category: None,
                        community: None,
                    },
                ));
            }
            footer_buttons.push(row);
        }
        if page.cards.is_empty() {
            self.replies.push(Reply {
                text: text::needs_empty(lang, hours),
                buttons: footer_buttons,
            });
            return Ok(());
        }
        let first = (query.page * PER_PAGE) as usize + 1;
        for (i, card) in page.cards.iter().enumerate() {
            let number = first + i;
            let mut body = String::new();
            if i == 0 {
                body.push_str(&text::needs_header(lang, query.page, hours, filter.as_deref()));
                body.push_str("\n\n");
            }
            body.push_str(&text::need_card(lang, number, card));
            self.replies.push(Reply {
                text: body,
                buttons: claim_buttons(lang, number, card),
            });
        }
        if !footer_buttons.is_empty() {
            self.replies.push(Reply {
                text: text::needs_footer(lang, hours, page.more),
                buttons: footer_buttons,
            });
        }
        Ok(())
    }

    /// `/start need-ID` from a poster's QR code: that one need with the usual claim
    /// buttons for a merchant who may claim; the same one line for a need that is closed,
    /// missing or out of reach, so a scan never tells whether an id exists.
    async fn open_need(&mut self, need: Option<i64>) -> Result<(), DeskError> {
        let lang = self.lang;
        if self.merchant.is_none() {
            self.say(text::need_link_unlinked(lang));
            return Ok(());
        }
        let merchant = self.approved()?;
        let Some(need_id) = need else {
            self.say(text::need_link_closed(lang));
            return Ok(());
        };
        match self.desk.need(merchant, need_id, lang).await {
            Ok(card) => self.replies.push(Reply {
                text: text::need_card(lang, 1, &card),
                buttons: claim_buttons(lang, 1, &card),
            }),
            Err(DeskError::NotFound | DeskError::Gone) => self.say(text::need_link_closed(lang)),
            Err(other) => return Err(other),
        }
        Ok(())
    }

    async fn show_mine(&mut self, merchant: i64) -> Result<(), DeskError> {
        let lang = self.lang;
        let claims = self.desk.my_claims(merchant, lang).await?;
        if claims.is_empty() {
            if !self.show_sponsorships(merchant).await? {
                self.say(text::mine_empty(lang));
            }
            return Ok(());
        }
        // One message a claim, its buttons under it; the head opens the first.
        for (i, claim) in claims.iter().enumerate() {
            let number = i + 1;
            let mut body = String::new();
            if i == 0 {
                body.push_str(&text::mine_header(lang));
                body.push('\n');
            }
            body.push_str(&text::claim_line(lang, number, claim));
            let buttons = match claim.state {
                ClaimState::Active => vec![vec![
                    Button::new(
                        text::deliver_button(lang, number, claim.hours),
                        Action::Deliver(claim.id),
                    ),
                    Button::new(text::release_button(lang, number), Action::ReleaseAsk(claim.id)),
                ]],
                // Three long choices: one a row, so that a phone shows each label whole.
                ClaimState::Disputed => vec![
                    vec![Button::new(
                        text::redeliver_button(lang, number, claim.hours),
                        Action::Redeliver(claim.id),
                    )],
                    vec![Button::new(
                        text::resume_button(lang, number, claim.hours),
                        Action::Resume(claim.id),
                    )],
                    vec![Button::new(
                        text::release_button(lang, number),
                        Action::ReleaseAsk(claim.id),
                    )],
                ],
                _ => Vec::new(),
            };
            self.replies.push(Reply { text: body, buttons });
        }
        self.show_sponsorships(merchant).await?;
        Ok(())
    }

    async fn show_offers(&mut self, merchant: i64) -> Result<(), DeskError> {
        let lang = self.lang;
        let offers = self.desk.offers(merchant, lang).await?;
        let mut reply = Reply::default();
        if offers.is_empty() {
            reply.text = text::offers_empty(lang);
        } else {
            reply.text = text::offers_header(lang);
            for (i, offer) in offers.iter().enumerate() {
                let number = i + 1;
                reply.text.push('\n');
                reply.text.push_str(&text::offer_line(lang, number, offer));
                let button = if offer.active {
                    Button::new(text::pause_button(lang, number), Action::OfferPause(offer.id))
                } else {
                    Button::new(text::resume_offer_button(lang, number), Action::OfferResume(offer.id))
                };
                reply.buttons.push(vec![button]);
            }
        }
        reply
            .buttons
            .push(vec![Button::new(text::add_offer_button(lang), Action::OfferAdd)]);
        self.replies.push(reply);
        Ok(())
    }
}

/// The claim buttons under card `number`: all of it (asked first) or a part (typed).
fn claim_buttons(lang: Locale, number: usize, card: &NeedCardView) -> Vec<Vec<Button>> {
    vec![vec![
        Button::new(
            text::claim_all_button(lang, number, card.hours),
            Action::ClaimAll(card.id),
        ),
        Button::new(
            text::claim_part_button(lang, number, card.hours),
            Action::ClaimPart(card.id),
        ),
    ]]
}

/// A typed whole number; full-width digits (from a Chinese keyboard) count too.
pub fn whole_number(line: &str) -> Option<i64> {
    let ascii: String = line
        .trim()
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
            other => other,
        })
        .collect();
    if ascii.is_empty() || ascii.len() > 9 || !ascii.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    ascii.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_read_strictly_with_full_width_digits() {
        assert_eq!(whole_number(" 3 "), Some(3));
        assert_eq!(whole_number("１２"), Some(12));
        assert_eq!(whole_number("3袋"), None);
        assert_eq!(whole_number("-1"), None);
        assert_eq!(whole_number("2.5"), None);
        assert_eq!(whole_number("9999999999"), None);
        assert_eq!(whole_number(""), None);
    }

    #[test]
    fn states_survive_a_round_trip_as_json() {
        let state = State::OfferCommunities {
            category: "food".into(),
            description: "每周两份盒饭".into(),
            capacity: 8,
            picked: vec![1, 3],
        };
        let json = serde_json::to_string(&state).expect("json");
        assert_eq!(serde_json::from_str::<State>(&json).expect("back"), state);
        assert!(State::Quantity { need_id: 1 }.expects_text());
        assert!(!State::Idle.expects_text());
    }
}
