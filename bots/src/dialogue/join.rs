//! `/join`: a shop in an unlinked chat applies to become a caring merchant, one question a
//! message — name, category (buttons), community (buttons), credit code, business phone,
//! what it can offer — then a summary and "Submit?". Each typed answer is checked at once
//! (the code and phone through the desk, which knows the rules) and a wrong one is asked
//! again with what is wrong. `/cancel` or the cancel button leaves at any step.
//!
//! "Submit?" shows the whole application with a button to change each answer; once every
//! question has an answer, changing one goes straight back there.
//!
//! One open application per chat: `/join` again says where it stands; after the office
//! asked for more it opens at "Submit?" with the earlier answers, so the shop changes only
//! what the office asked about and submits over the same application.

use super::{Button, JoinStep, Reply, State, Talk};
use crate::callback::Action;
use crate::desk::{ApplicationState, DeskError, JoinDraft};
use crate::text;

/// The longest shop name, in characters (the service checks it again).
pub const MAX_SHOP_NAME: usize = 60;
/// The longest "what we can offer", in characters (the service checks it again).
pub const MAX_OFFER: usize = 300;

impl Talk<'_> {
    /// `/join`.
    pub(super) async fn join_command(&mut self) -> Result<(), DeskError> {
        let lang = self.lang;
        if let Some(m) = &self.merchant {
            let text = text::join::already_merchant(lang, &m.name);
            self.say(text);
            return Ok(());
        }
        let Some(chat) = self.chat_id else {
            self.say(text::join::console(lang));
            return Ok(());
        };
        let draft = match self.desk.application(chat).await? {
            Some(view) if view.state == ApplicationState::Submitted => {
                self.say(text::join::waiting(lang, &view));
                return Ok(());
            }
            Some(view) if view.state == ApplicationState::MoreInfo => {
                self.say(text::join::editing(lang, &view));
                view.draft
            }
            Some(view) if view.state == ApplicationState::Rejected => {
                self.say(text::join::after_rejection(lang, &view));
                JoinDraft::default()
            }
            _ => JoinDraft::default(),
        };
        let at = next_step(JoinStep::Name, &draft);
        self.join_ask(at, draft).await
    }

    /// Asks question `at` (with its buttons) and waits there.
    async fn join_ask(&mut self, at: JoinStep, draft: JoinDraft) -> Result<(), DeskError> {
        let lang = self.lang;
        match at {
            JoinStep::Name => self.say(text::join::ask_name(lang)),
            JoinStep::Category => {
                let rows = self
                    .desk
                    .categories(lang)
                    .into_iter()
                    .map(|c| vec![Button::new(c.label, Action::JoinCategory(c.code))])
                    .collect();
                self.join_buttons(text::join::ask_category(lang), rows);
            }
            JoinStep::Community => {
                let rows = self
                    .desk
                    .communities(lang)
                    .await?
                    .into_iter()
                    .filter_map(|c| Some(vec![Button::new(c.label, Action::JoinCommunity(c.code.parse().ok()?))]))
                    .collect();
                self.join_buttons(text::join::ask_community(lang), rows);
            }
            JoinStep::Code => self.say(text::join::ask_code(lang)),
            JoinStep::Phone => self.say(text::join::ask_phone(lang)),
            JoinStep::Offer => self.say(text::join::ask_offer(lang, MAX_OFFER)),
            JoinStep::Confirm => {
                let category = self
                    .desk
                    .categories(lang)
                    .into_iter()
                    .find(|c| c.code == draft.category)
                    .map(|c| c.label)
                    .unwrap_or_default();
                let community = self
                    .desk
                    .communities(lang)
                    .await?
                    .into_iter()
                    .find(|c| c.code == draft.community_id.to_string())
                    .map(|c| c.label)
                    .unwrap_or_default();
                let summary = text::join::summary(lang, &draft, &category, &community);
                let mut buttons = vec![vec![
                    Button::new(text::join::submit_button(lang), Action::JoinSubmit),
                    Button::new(text::join::cancel_button(lang), Action::JoinCancel),
                ]];
                buttons.extend(JoinStep::QUESTIONS.chunks(2).map(|row| {
                    row.iter()
                        .map(|step| Button::new(text::join::edit_button(lang, *step), Action::JoinEdit(*step)))
                        .collect()
                }));
                self.replies.push(Reply {
                    text: text::join::confirm(lang, &summary),
                    buttons,
                });
            }
        }
        self.state = State::Join { at, draft };
        Ok(())
    }

    /// A question answered by buttons, with a cancel button under them.
    fn join_buttons(&mut self, prompt: String, mut rows: Vec<Vec<Button>>) {
        rows.push(vec![Button::new(
            text::join::cancel_button(self.lang),
            Action::JoinCancel,
        )]);
        self.replies.push(Reply {
            text: prompt,
            buttons: rows,
        });
    }

    /// A typed answer to question `at`.
    pub(super) async fn join_typed(&mut self, at: JoinStep, mut draft: JoinDraft, line: &str) -> Result<(), DeskError> {
        let lang = self.lang;
        match at {
            JoinStep::Name => {
                let length = line.chars().count();
                if length == 0 || length > MAX_SHOP_NAME {
                    self.say(text::join::name_invalid(lang, MAX_SHOP_NAME));
                    self.state = State::Join { at, draft };
                    return Ok(());
                }
                draft.name = line.to_owned();
                self.join_ask(next_step(JoinStep::Category, &draft), draft).await
            }
            JoinStep::Code => match self.desk.check_credit_code(line) {
                Ok(code) => {
                    draft.credit_code = code;
                    self.join_ask(next_step(JoinStep::Phone, &draft), draft).await
                }
                Err(problem) => {
                    self.say(text::join::code_invalid(lang, problem));
                    self.state = State::Join { at, draft };
                    Ok(())
                }
            },
            JoinStep::Phone => match self.desk.check_phone(line) {
                Ok(phone) => {
                    draft.phone = phone;
                    self.join_ask(next_step(JoinStep::Offer, &draft), draft).await
                }
                Err(problem) => {
                    self.say(text::join::phone_invalid(lang, problem));
                    self.state = State::Join { at, draft };
                    Ok(())
                }
            },
            JoinStep::Offer => {
                let length = line.chars().count();
                if length == 0 || length > MAX_OFFER {
                    self.say(text::join::offer_invalid(lang, MAX_OFFER));
                    self.state = State::Join { at, draft };
                    return Ok(());
                }
                draft.offer = line.to_owned();
                self.join_ask(JoinStep::Confirm, draft).await
            }
            // Buttons are expected: say so and show them again.
            JoinStep::Category | JoinStep::Community | JoinStep::Confirm => {
                self.say(text::join::use_buttons(lang));
                self.join_ask(at, draft).await
            }
        }
    }

    /// A button of `/join`.
    pub(super) async fn join_action(&mut self, state: State, action: Action) -> Result<(), DeskError> {
        let lang = self.lang;
        let State::Join { at, mut draft } = state else {
            // A button of an application no longer being written.
            self.state = state;
            self.say(text::button_expired(lang));
            return Ok(());
        };
        match (action, at) {
            (Action::JoinCancel, _) => self.say(text::cancelled(lang)),
            (Action::JoinCategory(code), JoinStep::Category) => {
                if self.desk.categories(lang).iter().any(|c| c.code == code) {
                    draft.category = code;
                    self.join_ask(next_step(JoinStep::Community, &draft), draft).await?;
                } else {
                    self.say(text::button_expired(lang));
                    self.join_ask(at, draft).await?;
                }
            }
            (Action::JoinCommunity(id), JoinStep::Community) => {
                let known = self
                    .desk
                    .communities(lang)
                    .await?
                    .iter()
                    .any(|c| c.code == id.to_string());
                if known {
                    draft.community_id = id;
                    self.join_ask(next_step(JoinStep::Code, &draft), draft).await?;
                } else {
                    self.say(text::button_expired(lang));
                    self.join_ask(at, draft).await?;
                }
            }
            (Action::JoinEdit(step), JoinStep::Confirm) if step != JoinStep::Confirm => {
                self.join_ask(step, draft).await?;
            }
            (Action::JoinSubmit, JoinStep::Confirm) => {
                let Some(chat) = self.chat_id else {
                    self.say(text::join::console(lang));
                    return Ok(());
                };
                match self.desk.submit_application(chat, &draft, lang).await {
                    Ok(_) => self.say(text::join::submitted(lang)),
                    Err(DeskError::WrongState) => self.say(text::join::already_waiting(lang)),
                    Err(DeskError::CodeRegistered) => self.say(text::join::code_registered(lang)),
                    Err(other) => return Err(other),
                }
            }
            // A button of an earlier step: the question now asked stands.
            (_, at) => {
                self.say(text::button_expired(lang));
                self.join_ask(at, draft).await?;
            }
        }
        Ok(())
    }
}

/// The question after one was answered: `then` while it has no answer yet, else the first
/// question still unanswered, and "Submit?" once every question has its answer.
fn next_step(then: JoinStep, draft: &JoinDraft) -> JoinStep {
    let missing = |step: JoinStep| match step {
        JoinStep::Name => draft.name.is_empty(),
        JoinStep::Category => draft.category.is_empty(),
        JoinStep::Community => draft.community_id <= 0,
        JoinStep::Code => draft.credit_code.is_empty(),
        JoinStep::Phone => draft.phone.is_empty(),
        JoinStep::Offer => draft.offer.is_empty(),
        JoinStep::Confirm => false,
    };
    if missing(then) {
        return then;
    }
    JoinStep::QUESTIONS
        .iter()
        .copied()
        .find(|step| missing(*step))
        .unwrap_or(JoinStep::Confirm)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filled() -> JoinDraft {
        JoinDraft {
            name: "海山粮油店".into(),
            category: "food".into(),
            community_id: 2,
            credit_code: "92440300MA5FXXXXXX".into(),
            phone: "075525550000".into(),
            offer: "大米".into(),
        }
    }

    #[test]
    fn a_fresh_application_goes_question_by_question_and_a_complete_one_back_to_submit() {
        let mut draft = JoinDraft::default();
        assert_eq!(next_step(JoinStep::Name, &draft), JoinStep::Name);
        draft.name = "店".into();
        assert_eq!(next_step(JoinStep::Category, &draft), JoinStep::Category);
        assert_eq!(next_step(JoinStep::Name, &filled()), JoinStep::Confirm);
        assert_eq!(next_step(JoinStep::Phone, &filled()), JoinStep::Confirm);
        let mut gap = filled();
        gap.category.clear();
        assert_eq!(next_step(JoinStep::Phone, &gap), JoinStep::Category);
    }
}
