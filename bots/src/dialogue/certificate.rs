//! `/certificate`: this year's caring-merchant certificate as a PDF (the adapter attaches it),
//! and the roll of honour (公益榜): one button puts the shop on it or takes it off. Joining is
//! reversible, so it is not asked twice; the reply says what it means.

use super::{Button, Reply, Talk};
use crate::callback::Action;
use crate::desk::{CertificateView, DeskError};
use crate::text;

impl Talk<'_> {
    fn honour_reply(&mut self, view: &CertificateView, note: Option<String>) {
        let lang = self.lang;
        let body = text::certificate::summary(lang, view);
        let text = match note {
            Some(n) => format!("{n}\n\n{body}"),
            None => body,
        };
        let button = if view.honour_roll {
            Button::new(text::certificate::leave_button(lang), Action::HonourRoll(false))
        } else {
            Button::new(text::certificate::join_button(lang), Action::HonourRoll(true))
        };
        self.replies.push(Reply {
            text,
            buttons: vec![vec![button]],
        });
    }

    /// `/certificate`.
    pub(super) async fn show_certificate(&mut self, merchant: i64) -> Result<(), DeskError> {
        let view = self.desk.certificate(merchant).await?;
        self.document = view.issued.as_ref().map(|c| c.number.clone());
        self.honour_reply(&view, None);
        Ok(())
    }

    /// The roll-of-honour button: `on` is the state asked for.
    pub(super) async fn honour_action(&mut self, merchant: i64, on: bool) -> Result<(), DeskError> {
        let lang = self.lang;
        let now = self.desk.set_honour_roll(merchant, on).await?;
        self.say(text::certificate::switched(lang, now));
        Ok(())
    }
}
