//! The one error type of the service layer, mapped once to HTTP answers, bot replies and
//! CLI messages by the adapters.

use sea_orm::{DbErr, SqlErr};

use crate::domain::input::FieldErrors;
use crate::domain::{IllegalTransition, NeedStatus};

/// Why a use case did not happen. Nothing was written when one of these comes back
/// (except the audit row of a refusal).
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// One argument is not acceptable; `field` names it.
    #[error("{field}: {message}")]
    Invalid {
        /// The field or argument.
        field: &'static str,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// Several form fields are not acceptable, each with its reason.
    #[error("invalid input: {0}")]
    Validation(FieldErrors),
    /// The record does not exist, or the caller may not know that it does.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The record exists but the change conflicts with a unique value.
    #[error("{0}")]
    Conflict(String),
    /// The caller's role may not do this at all.
    #[error("not allowed")]
    Forbidden,
    /// Less of the need is left than was asked for.
    #[error("only {left} left")]
    NotEnoughLeft {
        /// Quantity still unclaimed.
        left: i32,
    },
    /// The need is not open for claims.
    #[error("the need is {0}")]
    NeedNotOpen(NeedStatus),
    /// The merchant holds as many active claims as its record allows.
    #[error("claim limit of {limit} active claims reached")]
    ClaimLimitReached {
        /// The merchant's current limit.
        limit: u32,
    },
    /// The merchant's last claims lapsed: it must deliver before claiming more.
    #[error("deliver an active claim before claiming more")]
    DeliverFirst,
    /// The merchant's credit is in band D: it holds the one active claim it may hold now
    /// (see [`crate::domain::credit`]).
    #[error("credit band D: one active claim at a time")]
    CreditBandLimit,
    /// The merchant is pending or suspended.
    #[error("the merchant is not approved")]
    MerchantNotApproved,
    /// The caller's organization is suspended (or not admitted) by the office: its staff and
    /// tokens are locked out until it is reinstated.
    #[error("the organization is suspended")]
    OrganizationSuspended,
    /// The record's state does not allow this move.
    #[error(transparent)]
    IllegalTransition(#[from] IllegalTransition),
    /// The handoff code entered does not match the claim's.
    #[error("the handoff code does not match")]
    WrongHandoffCode,
    /// A dispute was sent without saying what was wrong (the merchant needs the reason to
    /// put it right).
    #[error("a dispute needs a reason")]
    ReasonRequired,
    /// Too many wrong handoff codes: the claim is confirmed only by the office now.
    #[error("too many wrong handoff codes; the office must confirm this claim")]
    HandoffLocked,
    /// A sponsorship (一对一) the rules refuse: not a recurring need, sponsored already, a
    /// renewal after its window closed…
    #[error("sponsorship refused: {0}")]
    Sponsorship(#[from] crate::domain::sponsorship::SponsorRefusal),
    /// An event sign-up or cancel link that cannot be followed (forged, closed, nothing to cancel).
    #[error("{0}")]
    Signup(#[from] crate::services::events::signups::LinkRefusal),
    /// A shop signing up more staff than it may (the role's places, five an event).
    #[error(transparent)]
    StaffCap(crate::domain::event::StaffCap),
    /// An idempotency key was reused for a different request.
    #[error("this idempotency key was used for a different request")]
    IdempotencyKeyReused,
    /// Every password-hashing slot stayed busy: nothing was done; try again in a few
    /// seconds (503 with `Retry-After`).
    #[error("the server is busy; try again shortly")]
    Busy,
    /// The database failed; the details go to the log, not to the user.
    #[error("database error: {0}")]
    Db(#[from] DbErr),
    /// Anything else unexpected (hashing, randomness); logged, shown as a generic failure.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ServiceError {
    /// A shorthand for [`ServiceError::Invalid`].
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        ServiceError::Invalid {
            field,
            message: message.into(),
        }
    }

    /// Turns a unique-constraint violation into a conflict with `message`; other errors pass.
    pub fn on_unique(e: DbErr, message: impl Into<String>) -> Self {
        if is_unique_violation(&e) {
            ServiceError::Conflict(message.into())
        } else {
            ServiceError::Db(e)
        }
    }

    /// True when the database could not be reached or could not take the work just now (see
    /// [`crate::db::is_unavailable`]): the caller may try again shortly.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, ServiceError::Db(e) if crate::db::is_unavailable(e))
    }

    /// True for the refusals a retry with the same idempotency key must see again.
    pub fn is_business_refusal(&self) -> bool {
        matches!(
            self,
            ServiceError::NotEnoughLeft { .. }
                | ServiceError::NeedNotOpen(_)
                | ServiceError::ClaimLimitReached { .. }
                | ServiceError::DeliverFirst
                | ServiceError::CreditBandLimit
                | ServiceError::MerchantNotApproved
                | ServiceError::Validation(_)
                | ServiceError::Invalid { .. }
        )
    }
}

/// Reads an enum stored as text; the CHECK constraints make an unknown value a bug, not input.
pub(crate) fn stored<T: std::str::FromStr<Err = crate::domain::UnknownVariant>>(text: &str) -> Result<T, ServiceError> {
    text.parse()
        .map_err(|e: crate::domain::UnknownVariant| ServiceError::Internal(e.to_string()))
}

/// True when `e` is a unique-key violation, on either database.
pub fn is_unique_violation(e: &DbErr) -> bool {
    matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

impl From<crate::crypto::PasswordHashError> for ServiceError {
    fn from(e: crate::crypto::PasswordHashError) -> Self {
        match e {
            crate::crypto::PasswordHashError::Busy => ServiceError::Busy,
            crate::crypto::PasswordHashError::Failed(e) => ServiceError::Internal(e),
        }
    }
}

/// The stable JSON form of a business refusal, stored under an idempotency key.
pub fn refusal_to_json(e: &ServiceError) -> Option<serde_json::Value> {
    use serde_json::json;
    Some(match e {
        ServiceError::NotEnoughLeft { left } => json!({ "type": "not-enough-left", "left": left }),
        ServiceError::NeedNotOpen(status) => json!({ "type": "need-not-open", "status": status.as_str() }),
        ServiceError::ClaimLimitReached { limit } => json!({ "type": "claim-limit-reached", "limit": limit }),
        ServiceError::DeliverFirst => json!({ "type": "deliver-first" }),
        ServiceError::CreditBandLimit => json!({ "type": "credit-band-limit" }),
        ServiceError::MerchantNotApproved => json!({ "type": "merchant-not-approved" }),
        _ => return None,
    })
}

/// Reads back what [`refusal_to_json`] wrote.
pub fn refusal_from_json(v: &serde_json::Value) -> Option<ServiceError> {
    let number = |k: &str| v.get(k).and_then(serde_json::Value::as_i64);
    Some(match v.get("type")?.as_str()? {
        "not-enough-left" => ServiceError::NotEnoughLeft {
            left: i32::try_from(number("left")?).ok()?,
        },
        "need-not-open" => ServiceError::NeedNotOpen(v.get("status")?.as_str()?.parse().ok()?),
        "claim-limit-reached" => ServiceError::ClaimLimitReached {
            limit: u32::try_from(number("limit")?).ok()?,
        },
        "deliver-first" => ServiceError::DeliverFirst,
        "credit-band-limit" => ServiceError::CreditBandLimit,
        "merchant-not-approved" => ServiceError::MerchantNotApproved,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_refusals_read_back_as_the_same_refusal() {
        let all = [
            ServiceError::NotEnoughLeft { left: 3 },
            ServiceError::NeedNotOpen(NeedStatus::Cancelled),
            ServiceError::ClaimLimitReached { limit: 5 },
            ServiceError::DeliverFirst,
            ServiceError::CreditBandLimit,
            ServiceError::MerchantNotApproved,
        ];
        for e in all {
            let json = refusal_to_json(&e).expect("storable");
            let back = refusal_from_json(&json).expect("readable");
            assert_eq!(back.to_string(), e.to_string());
        }
        assert!(refusal_to_json(&ServiceError::Forbidden).is_none());
        assert!(refusal_from_json(&serde_json::json!({ "type": "other" })).is_none());
    }
}
