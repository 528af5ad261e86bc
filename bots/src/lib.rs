//! The merchant dialogue, free of any transport: what a merchant can do ([`MerchantDesk`]),
//! the small views it shows, the commands and button data it understands, every text it
//! says in zh-CN and en, and the conversation itself ([`dialogue::respond`]). The main
//! crate implements the desk over its services and drives the dialogue from Telegram; the
//! [`console`] adapter drives it from a terminal.

pub mod callback;
pub mod command;
pub mod console;
pub mod desk;
pub mod dialogue;
pub mod locale;
pub mod text;

pub use callback::Action;
pub use command::Command;
pub use desk::{
    AlertChange, AlertSettingsView, Amount, ApplicationState, ApplicationView, CertificateView, Choice, ClaimState,
    ClaimView, Claimed, CodeProblem, CreditBand, CreditView, DeskError, DropOffView, EventRoleView, EventView,
    IssuedCertificate, JoinDraft, MerchantDesk, MerchantInfo, MerchantStatus, NeedCardView, NeedQuery, NeedsPage,
    OfferDraft, OfferView, PhoneProblem, PublicListingView, RenewalView, SponsorshipCard, StaffLimit, StaffSignup,
};
pub use dialogue::{Button, Input, JoinStep, Reply, Session, State, Turn, respond};
pub use locale::{Locale, UnknownVariant};
