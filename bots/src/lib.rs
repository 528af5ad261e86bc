//! The merchant dialogue, free of any transport: what a merchant can do ([`MerchantDesk`]),
//! the small view types it shows, and the rendering of need cards. The main crate
//! implements the trait over its services; teloxide and console adapters drive it.

pub mod card;
pub mod desk;

pub use card::render_need_card;
pub use desk::{ClaimView, DeskError, Lang, MerchantDesk, NeedCard};
