//! The trait of what a merchant can do, and the views it returns.

use chrono::NaiveDate;

/// The language a merchant reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// Simplified Chinese.
    #[default]
    ZhCn,
    /// English.
    En,
}

/// A need as a merchant may see it: no name, phone, address or beneficiary code, by
/// construction (the type has no field for them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeedCard {
    /// The need's id, for buttons.
    pub id: i64,
    /// Category label in the merchant's language.
    pub category: String,
    /// Public title.
    pub title: String,
    /// Public description.
    pub description: String,
    /// Quantity not yet claimed.
    pub quantity_left: i32,
    /// Unit of the quantity.
    pub unit: String,
    /// Community name in the merchant's language.
    pub community: String,
    /// Beneficiary group label in the merchant's language.
    pub group: String,
    /// Last useful day.
    pub deadline: NaiveDate,
    /// Drop-off point name and public address.
    pub drop_off: String,
    /// True for urgent needs.
    pub urgent: bool,
}

/// One of the merchant's own claims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimView {
    /// The claim's id, for buttons.
    pub id: i64,
    /// The need's public title.
    pub need_title: String,
    /// Quantity claimed, with unit.
    pub quantity: i32,
    /// Unit of the quantity.
    pub unit: String,
    /// Due date.
    pub due: NaiveDate,
    /// Code to show at the drop-off point.
    pub handoff_code: String,
    /// Drop-off point and opening hours.
    pub drop_off: String,
}

/// Why a merchant's request was refused, in terms the dialogue can explain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeskError {
    /// The chat is linked to no merchant.
    #[error("this chat is not linked to a merchant")]
    NotLinked,
    /// The merchant is pending or suspended.
    #[error("the merchant may not claim now")]
    NotApproved,
    /// Less is left than asked for.
    #[error("only {left} left")]
    NotEnoughLeft {
        /// What is left.
        left: i32,
    },
    /// The need is no longer open.
    #[error("the need is no longer open")]
    NeedNotOpen,
    /// The merchant holds as many active claims as it may.
    #[error("claim limit of {limit} reached")]
    ClaimLimitReached {
        /// The merchant's current limit.
        limit: u32,
    },
    /// Something unexpected; the dialogue apologises.
    #[error("temporarily unavailable")]
    Unavailable,
}

/// What a merchant can do, implemented by the main crate over its services.
#[async_trait::async_trait]
pub trait MerchantDesk: Send + Sync {
    /// Open needs for this merchant, best fit first, `page` of `per_page`.
    async fn open_needs(&self, merchant_id: i64, page: u32, per_page: u32) -> Result<Vec<NeedCard>, DeskError>;
    /// Claims `quantity` of need `need_id`; `key` makes a retried request return the first result.
    async fn claim(&self, merchant_id: i64, need_id: i64, quantity: i32, key: &str) -> Result<ClaimView, DeskError>;
    /// The merchant's active claims.
    async fn my_claims(&self, merchant_id: i64) -> Result<Vec<ClaimView>, DeskError>;
}
