//! `/events`: the upcoming events of the shop's subdistrict. Per event, "pledge support"
//! shows its open needs with the usual claim buttons (a claim is a claim, with every rule),
//! and "sign staff up" picks a role, asks the staff member's name, asks to confirm (others
//! will read the name at check-in) and tells whether they are signed up or waitlisted.

use super::{Button, Reply, State, Talk, claim_buttons};
use crate::callback::Action;
use crate::desk::{DeskError, EventRoleView, EventView, StaffSignup};
use crate::text;

/// Longest staff member's name the bot takes: a name, not a message.
pub const MAX_STAFF_NAME: usize = 40;

impl Talk<'_> {
    /// `/events`: one message an event, its buttons under it.
    pub(super) async fn show_events(&mut self, merchant: i64) -> Result<(), DeskError> {
        let lang = self.lang;
        let events = self.desk.events(merchant, lang).await?;
        if events.is_empty() {
            self.say(text::events::none(lang));
            return Ok(());
        }
        for (i, event) in events.iter().enumerate() {
            let number = i + 1;
            let mut body = String::new();
            if i == 0 {
                body.push_str(&text::events::header(lang));
                body.push_str("\n\n");
            }
            body.push_str(&text::events::event(lang, number, event));
            let mut row = Vec::new();
            if event.open_needs > 0 {
                row.push(Button::new(
                    text::events::pledge_button(lang, number),
                    Action::EventPledge(event.id),
                ));
            }
            if !event.roles.is_empty() {
                row.push(Button::new(
                    text::events::staff_button(lang, number),
                    Action::EventStaff(event.id),
                ));
            }
            self.replies.push(Reply {
                text: body,
                buttons: if row.is_empty() { Vec::new() } else { vec![row] },
            });
        }
        Ok(())
    }

    /// The event `event_id` and its role `role_id` (if asked), as `/events` shows them now;
    /// `None` (after saying so) when the event is over, closed or out of reach.
    async fn event_now(
        &mut self,
        merchant: i64,
        event_id: i64,
        role_id: Option<i64>,
    ) -> Result<Option<(EventView, Option<EventRoleView>)>, DeskError> {
        let lang = self.lang;
        let event = self
            .desk
            .events(merchant, lang)
            .await?
            .into_iter()
            .find(|e| e.id == event_id);
        let found = match (event, role_id) {
            (Some(e), None) => Some((e, None)),
            (Some(e), Some(r)) => {
                let role = e.roles.iter().find(|role| role.id == r).cloned();
                role.map(|role| (e, Some(role)))
            }
            (None, _) => None,
        };
        if found.is_none() {
            self.say(text::events::gone(lang));
        }
        Ok(found)
    }

    /// A button of `/events`; `key` identifies the tap, so a retried one signs nobody up twice.
    pub(super) async fn event_action(
        &mut self,
        merchant: i64,
        state: State,
        action: Action,
        key: &str,
    ) -> Result<(), DeskError> {
        let lang = self.lang;
        match action {
            Action::EventPledge(event_id) => {
                let Some((event, _)) = self.event_now(merchant, event_id, None).await? else {
                    return Ok(());
                };
                let cards = match self.desk.event_needs(merchant, event_id, lang).await {
                    Ok(cards) => cards,
                    Err(DeskError::NotFound) => {
                        self.say(text::events::gone(lang));
                        return Ok(());
                    }
                    Err(other) => return Err(other),
                };
                if cards.is_empty() {
                    self.say(text::events::no_open_needs(lang));
                    return Ok(());
                }
                for (i, card) in cards.iter().enumerate() {
                    let number = i + 1;
                    let mut body = String::new();
                    if i == 0 {
                        body.push_str(&text::events::pledge_header(lang, &event.title));
                        body.push_str("\n\n");
                    }
                    body.push_str(&text::need_card(lang, number, card));
                    self.replies.push(Reply {
                        text: body,
                        buttons: claim_buttons(lang, number, card),
                    });
                }
            }
            Action::EventStaff(event_id) => {
                let Some((event, _)) = self.event_now(merchant, event_id, None).await? else {
                    return Ok(());
                };
                let rows = event
                    .roles
                    .iter()
                    .map(|role| {
                        Button::new(
                            text::events::role_button(lang, role),
                            Action::EventRole(event.id, role.id),
                        )
                    })
                    .collect();
                self.choices(text::events::pick_role(lang, &event.title), rows);
            }
            Action::EventRole(event_id, role_id) => {
                let Some((_, Some(role))) = self.event_now(merchant, event_id, Some(role_id)).await? else {
                    return Ok(());
                };
                self.say(text::events::ask_name(lang, &role.name, MAX_STAFF_NAME));
                self.state = State::StaffName { event_id, role_id };
            }
            Action::EventStaffYes(event_id, role_id) => match state {
                State::StaffConfirm {
                    event_id: e,
                    role_id: r,
                    name,
                } if e == event_id && r == role_id => {
                    let Some((event, _)) = self.event_now(merchant, event_id, None).await? else {
                        return Ok(());
                    };
                    match self.desk.sign_up_staff(merchant, event_id, role_id, &name, key).await {
                        Ok(StaffSignup::Confirmed) => self.say(text::events::signed_up(lang, &name, &event.title)),
                        Ok(StaffSignup::Waitlisted { position }) => {
                            self.say(text::events::waitlisted(lang, &name, &event.title, position));
                        }
                        Ok(StaffSignup::TooMany(limit)) => {
                            self.say(text::events::too_many(lang, &name, &event.title, limit));
                        }
                        Err(DeskError::NotFound) => self.say(text::events::gone(lang)),
                        Err(other) => return Err(other),
                    }
                }
                // An old question's button: what it named is no longer being asked.
                other => {
                    self.state = other;
                    self.say(text::button_expired(lang));
                }
            },
            Action::EventStaffNo => self.say(text::events::dropped(lang)),
            _ => {}
        }
        Ok(())
    }

    /// The staff member's name, typed: asks to confirm, naming the event and the role.
    pub(super) async fn staff_name_typed(
        &mut self,
        merchant: i64,
        event_id: i64,
        role_id: i64,
        line: &str,
    ) -> Result<(), DeskError> {
        let lang = self.lang;
        let name = line.trim();
        let length = name.chars().count();
        if length == 0 || length > MAX_STAFF_NAME || name.chars().any(char::is_control) {
            self.say(text::events::name_invalid(lang, MAX_STAFF_NAME));
            self.state = State::StaffName { event_id, role_id };
            return Ok(());
        }
        let Some((event, Some(role))) = self.event_now(merchant, event_id, Some(role_id)).await? else {
            return Ok(());
        };
        self.replies.push(Reply {
            text: text::events::confirm(lang, name, &event.title, &role),
            buttons: vec![vec![
                Button::new(text::events::yes_button(lang), Action::EventStaffYes(event_id, role_id)),
                Button::new(text::events::no_button(lang), Action::EventStaffNo),
            ]],
        });
        self.state = State::StaffConfirm {
            event_id,
            role_id,
            name: name.to_owned(),
        };
        Ok(())
    }
}
