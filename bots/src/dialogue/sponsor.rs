//! One-on-one sponsorship (一对一) in the chat: the offer under a claim of a recurring need
//! (asked first: the person helped is told), renewing a period offered, stopping (asked
//! first: later periods go to other merchants), and the sponsorships in `/mine`.

use super::{Button, Reply, Talk};
use crate::callback::Action;
use crate::desk::{Claimed, DeskError, SponsorshipCard};
use crate::text;

impl Talk<'_> {
    /// A claim's confirmation, with the offer to sponsor every period when the need recurs.
    pub(super) fn confirm(&mut self, claimed: &Claimed) {
        let lang = self.lang;
        let body = text::confirmation(lang, &claimed.claim);
        let buttons = if claimed.sponsorable {
            vec![vec![Button::new(
                text::sponsor::offer_button(lang),
                Action::SponsorAsk(claimed.claim.id),
            )]]
        } else {
            Vec::new()
        };
        self.replies.push(Reply { text: body, buttons });
    }

    /// The sponsorship buttons: every one of them but stopping needs an approved merchant.
    pub(super) async fn sponsor_action(&mut self, action: Action) -> Result<(), DeskError> {
        let lang = self.lang;
        match action {
            Action::SponsorAsk(claim_id) => {
                self.approved()?;
                self.replies.push(Reply {
                    text: text::sponsor::ask(lang),
                    buttons: vec![vec![
                        Button::new(text::sponsor::yes_button(lang), Action::SponsorYes(claim_id)),
                        Button::new(text::sponsor::no_button(lang), Action::SponsorNo),
                    ]],
                });
            }
            Action::SponsorYes(claim_id) => {
                let merchant = self.approved()?;
                let card = self.desk.sponsor(merchant, claim_id, lang).await?;
                self.say(text::sponsor::started(lang, &card));
            }
            Action::SponsorNo => self.say(text::sponsor::not_now(lang)),
            Action::Renew(need_id) => {
                let merchant = self.approved()?;
                let claimed = self.desk.renew(merchant, need_id, lang).await?;
                let body = format!(
                    "{}\n{}",
                    text::sponsor::renewed(lang),
                    text::confirmation(lang, &claimed.claim)
                );
                self.say(body);
            }
            Action::SponsorStopAsk(id) => {
                // A suspended shop may still stop: withdrawing is always possible.
                let merchant = self.linked()?;
                let card = self.sponsorship(merchant, id).await?;
                self.replies.push(Reply {
                    text: text::sponsor::stop_ask(lang, &card),
                    buttons: vec![vec![
                        Button::new(text::sponsor::stop_yes_button(lang), Action::SponsorStopYes(id)),
                        Button::new(text::sponsor::keep_button(lang), Action::SponsorStopNo),
                    ]],
                });
            }
            Action::SponsorStopYes(id) => {
                let merchant = self.linked()?;
                let card = self.desk.stop_sponsoring(merchant, id, lang).await?;
                self.say(text::sponsor::stopped(lang, &card));
            }
            Action::SponsorStopNo => self.say(text::sponsor::kept(lang)),
            _ => {}
        }
        Ok(())
    }

    /// One of the merchant's active sponsorships, or "not found" (an old button).
    async fn sponsorship(&mut self, merchant: i64, id: i64) -> Result<SponsorshipCard, DeskError> {
        self.desk
            .my_sponsorships(merchant, self.lang)
            .await?
            .into_iter()
            .find(|c| c.id == id)
            .ok_or(DeskError::NotFound)
    }

    /// `/mine`'s sponsorships: one message each, with its buttons.
    pub(super) async fn show_sponsorships(&mut self, merchant: i64) -> Result<bool, DeskError> {
        let lang = self.lang;
        let cards = self.desk.my_sponsorships(merchant, lang).await?;
        for (i, card) in cards.iter().enumerate() {
            let mut body = String::new();
            if i == 0 {
                body.push_str(&text::sponsor::mine_header(lang));
                body.push('\n');
            }
            body.push_str(&text::sponsor::line(lang, i + 1, card));
            let mut buttons = Vec::new();
            if let Some(offer) = &card.offer {
                buttons.push(vec![Button::new(
                    text::sponsor::renew_button(lang, &offer.period),
                    Action::Renew(offer.need_id),
                )]);
            }
            buttons.push(vec![Button::new(
                text::sponsor::stop_button(lang),
                Action::SponsorStopAsk(card.id),
            )]);
            self.replies.push(Reply { text: body, buttons });
        }
        Ok(!cards.is_empty())
    }
}
