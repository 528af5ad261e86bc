//! `/public`: whether the shop is listed on the public transparency page. One button
//! switches it and the listing is shown again. Any linked shop may look and switch it off
//! (withdrawing is always possible); only the service decides who may switch it on.

use super::{Button, Reply, Talk};
use crate::callback::Action;
use crate::desk::{DeskError, MerchantStatus, PublicListingView};
use crate::text;

impl Talk<'_> {
    /// The listing and its one button, with `note` above it.
    fn public_reply(&mut self, view: &PublicListingView, note: Option<String>) {
        let lang = self.lang;
        let approved = self
            .merchant
            .as_ref()
            .is_some_and(|m| m.status == MerchantStatus::Approved);
        let body = text::public::summary(lang, view, approved);
        let text = match note {
            Some(n) => format!("{n}\n\n{body}"),
            None => body,
        };
        // A shop that may not be shown gets no button it would only be refused by.
        let button = match (view.shown, approved) {
            (true, _) => Some(Button::new(text::public::hide_button(lang), Action::Public(false))),
            (false, true) => Some(Button::new(text::public::show_button(lang), Action::Public(true))),
            (false, false) => None,
        };
        self.replies.push(Reply {
            text,
            buttons: button.into_iter().map(|b| vec![b]).collect(),
        });
    }

    /// `/public`.
    pub(super) async fn show_public(&mut self, merchant: i64) -> Result<(), DeskError> {
        let view = self.desk.public_listing(merchant).await?;
        self.public_reply(&view, None);
        Ok(())
    }

    /// The button of `/public`: `shown` is the state asked for.
    pub(super) async fn public_action(&mut self, merchant: i64, shown: bool) -> Result<(), DeskError> {
        let lang = self.lang;
        match self.desk.set_shown_publicly(merchant, shown).await {
            Ok(view) => self.public_reply(&view, Some(text::public::switched(lang, view.shown))),
            // Said in terms of the listing: the generic refusal talks of claiming needs.
            Err(DeskError::Pending) => self.say(text::public::cannot_show(lang, true)),
            Err(DeskError::Suspended) => self.say(text::public::cannot_show(lang, false)),
            Err(other) => return Err(other),
        }
        Ok(())
    }
}
