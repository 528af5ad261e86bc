//! `/credit`: the shop reads its own credit band, what counts towards it and what would
//! raise it. Any linked shop may look; nobody else ever sees it in the bot.

use super::Talk;
use crate::desk::DeskError;
use crate::text;

impl Talk<'_> {
    /// `/credit`.
    pub(super) async fn show_credit(&mut self, merchant: i64) -> Result<(), DeskError> {
        let view = self.desk.credit(merchant).await?;
        self.say(text::credit::summary(self.lang, &view));
        Ok(())
    }
}
