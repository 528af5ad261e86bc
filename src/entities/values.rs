//! Domain enums as column types: each is stored as its text (`as_str`) and read back with
//! `FromStr`, so a model field holds the enum and no service parses a status string.
//! The domain knows no sea-orm; the impls live here, beside the tables that use them.

/// Implements sea-orm's value traits for enums stored as text.
macro_rules! stored_as_text {
    ($($ty:ty),+ $(,)?) => {$(
        impl From<$ty> for sea_orm::Value {
            fn from(value: $ty) -> Self {
                value.as_str().into()
            }
        }

        impl sea_orm::TryGetable for $ty {
            fn try_get_by<I: sea_orm::ColIdx>(res: &sea_orm::QueryResult, idx: I) -> Result<Self, sea_orm::TryGetError> {
                let text = String::try_get_by(res, idx)?;
                text.parse().map_err(|e: crate::domain::UnknownVariant| {
                    sea_orm::TryGetError::DbErr(sea_orm::DbErr::TryIntoErr {
                        from: "String",
                        into: stringify!($ty),
                        source: std::sync::Arc::new(e),
                    })
                })
            }
        }

        impl sea_orm::sea_query::ValueType for $ty {
            fn try_from(value: sea_orm::Value) -> Result<Self, sea_orm::sea_query::ValueTypeErr> {
                let text = <String as sea_orm::sea_query::ValueType>::try_from(value)?;
                text.parse().map_err(|_| sea_orm::sea_query::ValueTypeErr)
            }

            fn type_name() -> String {
                stringify!($ty).to_owned()
            }

            fn array_type() -> sea_orm::sea_query::ArrayType {
                sea_orm::sea_query::ArrayType::String
            }

            fn column_type() -> sea_orm::sea_query::ColumnType {
                sea_orm::sea_query::ColumnType::Text
            }
        }

        impl sea_orm::sea_query::Nullable for $ty {
            fn null() -> sea_orm::Value {
                sea_orm::Value::String(None)
            }
        }

        impl sea_orm::IntoActiveValue<$ty> for $ty {
            fn into_active_value(self) -> sea_orm::ActiveValue<$ty> {
                sea_orm::ActiveValue::Set(self)
            }
        }
    )+};
}

stored_as_text!(
    crate::domain::ClaimStatus,
    crate::domain::event::EventKind,
    crate::domain::event::EventStatus,
    crate::domain::event::SignupStatus,
    crate::domain::event::SignupVia,
    crate::domain::NeedStatus,
    crate::domain::PartyStatus,
    crate::domain::Channel,
    crate::domain::OutboxStatus,
    crate::domain::HoldReason,
    crate::domain::CaseStatus,
    crate::domain::ClosedReason,
    crate::domain::ServiceArea,
    crate::domain::referral::ReferralStatus,
    crate::domain::referral::DeclineReason,
    crate::domain::ledger::ReliefKind,
    crate::domain::ledger::Regularity,
    crate::domain::ledger::ReliefForm,
    crate::domain::visits::VisitMode,
    crate::domain::sponsorship::SponsorshipStatus,
    crate::domain::sponsorship::SponsorshipEnd,
    crate::domain::application::ApplicationStatus,
);

/// A language column. The one `Locale` enum lives in the dialogue crate, which knows no
/// sea-orm, and Rust lets this crate implement sea-orm's traits only for its own types:
/// so the column holds the locale in this thin wrapper.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct StoredLocale(pub crate::domain::Locale);

impl StoredLocale {
    /// The tag stored.
    pub fn as_str(self) -> &'static str {
        self.0.as_str()
    }
}

impl std::str::FromStr for StoredLocale {
    type Err = crate::domain::UnknownVariant;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        text.parse().map(StoredLocale)
    }
}

impl From<crate::domain::Locale> for StoredLocale {
    fn from(locale: crate::domain::Locale) -> Self {
        StoredLocale(locale)
    }
}

impl From<StoredLocale> for crate::domain::Locale {
    fn from(stored: StoredLocale) -> Self {
        stored.0
    }
}

stored_as_text!(StoredLocale);

/// A service area is half of `organization_services`' key; sea-orm asks every key part to
/// convert from an inserted row id, which a text value never is.
impl sea_orm::TryFromU64 for crate::domain::ServiceArea {
    fn try_from_u64(_: u64) -> Result<Self, sea_orm::DbErr> {
        Err(sea_orm::DbErr::ConvertFromU64("ServiceArea"))
    }
}
