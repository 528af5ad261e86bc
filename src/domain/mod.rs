//! Pure rules of the relay: enums stored as text, their labels, and the checks on input.
//! No IO and no database types here; everything is unit-tested in place.

#[macro_use]
mod text_enum;

pub mod admission;
pub mod alerts;
pub mod application;
pub mod audit_chain;
pub mod beneficiary;
pub mod case;
pub mod category;
pub mod claim;
pub mod codes;
pub mod consent;
pub mod credit;
pub mod credit_code;
pub mod event;
pub mod input;
pub mod ledger;
pub mod library;
pub mod locale;
pub mod matching;
pub mod merchant_application;
pub mod need;
pub mod need_input;
pub mod outbox;
pub mod party;
pub mod password;
pub mod pii;
#[cfg(test)]
mod props;
pub mod quantity;
pub mod record;
pub mod referral;
pub mod reports;
pub mod sponsorship;
pub mod time;
pub mod visits;

pub use beneficiary::{BeneficiaryCode, BeneficiaryGroup, DuplicateMatch, DuplicateStatus};
pub use case::{CaseRefusal, CaseStatus, ClosedReason};
pub use category::Category;
pub use claim::{ClaimEvent, ClaimStatus, Lease};
pub use credit_code::{CreditCode, CreditCodeError, RegistrationKind};
pub use locale::Locale;
pub use need::{ClaimRefusal, IllegalTransition, NeedCounters, NeedStatus, Recurrence, Urgency};
pub use outbox::{Channel, HoldReason, OutboxStatus};
pub use party::{OrgKind, PartyStatus, Role, ServiceArea};
pub use quantity::Quantity;

/// A text value that names none of an enum's variants (defined beside `Locale` in the bots
/// crate, whose `FromStr` returns it).
pub use bots::UnknownVariant;
