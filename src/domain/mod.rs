//! Pure rules of the relay: enums stored as text, their labels, and the checks on input.
//! No IO and no database types here; everything is unit-tested in place.

#[macro_use]
mod text_enum;

pub mod beneficiary;
pub mod category;
pub mod codes;
pub mod locale;
pub mod need;
pub mod party;
pub mod password;

pub use beneficiary::{BeneficiaryCode, BeneficiaryGroup};
pub use category::Category;
pub use locale::Locale;
pub use need::{ClaimStatus, NeedStatus, Recurrence, Urgency};
pub use party::{OrgKind, PartyStatus, Role};

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
