//! Pure rules of the relay: enums stored as text, their labels, and the checks on input.
//! No IO and no database types here; everything is unit-tested in place.

#[macro_use]
mod text_enum;

pub mod alerts;
pub mod audit_chain;
pub mod beneficiary;
pub mod category;
pub mod claim;
pub mod codes;
pub mod consent;
pub mod input;
pub mod locale;
pub mod matching;
pub mod need;
pub mod need_input;
pub mod party;
pub mod password;
pub mod pii;
#[cfg(test)]
mod props;
pub mod quantity;
pub mod record;
pub mod reports;
pub mod time;

pub use beneficiary::{BeneficiaryCode, BeneficiaryGroup, DuplicateMatch, DuplicateStatus};
pub use category::Category;
pub use claim::{ClaimEvent, ClaimStatus, Lease};
pub use locale::Locale;
pub use need::{ClaimRefusal, IllegalTransition, NeedCounters, NeedStatus, Recurrence, Urgency};
pub use party::{OrgKind, PartyStatus, Role};
pub use quantity::Quantity;

/// A text value that names none of an enum's variants.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} `{value}`; expected one of: {expected}")]
pub struct UnknownVariant {
    /// What was being parsed, e.g. "category".
    pub kind: &'static str,
    /// The text that did not match.
    pub value: String,
    /// The accepted values, comma-separated.
    pub expected: String,
}
