//! The two languages every user-facing text exists in.

/// Defined in the bots crate, which cannot depend on this one, so that the web, the emails
/// and the bot's dialogue share one language type.
pub use bots::Locale;
