//! Beneficiaries: the public part (code, group, community) and the sealed private part.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};
use serde::{Deserialize, Serialize};

use super::ServiceError;
use crate::config::Secret;
use crate::crypto;
use crate::entities::beneficiary_private;

/// The part of a beneficiary only the owning organization and admins may read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrivateDetails {
    /// Full name.
    pub full_name: String,
    /// Phone number.
    pub phone: String,
    /// Home address.
    pub address: String,
    /// Free notes of the social worker.
    pub notes: String,
}

/// The key that seals private details, derived from the secret key.
pub fn private_key(secret: &Secret) -> [u8; 32] {
    crypto::derive_key(secret, "beneficiary-private-v1")
}

/// A keyed digest of a phone number (digits only), to find the same person registered
/// twice without comparing plain values.
pub fn phone_digest(secret: &Secret, phone: &str) -> Option<String> {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    let digits = digits
        .strip_prefix("86")
        .filter(|d| d.len() == 11)
        .unwrap_or(&digits)
        .to_owned();
    (!digits.is_empty()).then(|| {
        hex::encode(crypto::keyed_digest(
            &crypto::derive_key(secret, "pii-digest-v1"),
            digits.as_bytes(),
        ))
    })
}

/// Seals and stores the private part of beneficiary `beneficiary_id` in the caller's transaction.
pub async fn store_private<C: ConnectionTrait>(
    txn: &C,
    secret: &Secret,
    beneficiary_id: i64,
    details: &PrivateDetails,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let json = serde_json::to_vec(details).map_err(|e| ServiceError::Internal(e.to_string()))?;
    let sealed = crypto::seal(&private_key(secret), &json).map_err(|e| ServiceError::Internal(e.to_string()))?;
    beneficiary_private::ActiveModel {
        beneficiary_id: Set(beneficiary_id),
        sealed: Set(sealed),
        phone_digest: Set(phone_digest(secret, &details.phone)),
        id_number_digest: Set(None),
        updated_at: Set(now),
    }
    .insert(txn)
    .await?;
    Ok(())
}

/// Opens a sealed private part.
pub fn open_private(secret: &Secret, sealed: &[u8]) -> Result<PrivateDetails, ServiceError> {
    let json = crypto::open(&private_key(secret), sealed).map_err(|e| ServiceError::Internal(e.to_string()))?;
    serde_json::from_slice(&json).map_err(|e| ServiceError::Internal(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_digests_ignore_formatting_and_country_code() {
        let s = Secret::new("s".repeat(40));
        let a = phone_digest(&s, "138 0013 8000");
        assert_eq!(a, phone_digest(&s, "+86 138-0013-8000"));
        assert_ne!(a, phone_digest(&s, "13800138001"));
        assert_ne!(a, phone_digest(&Secret::new("t".repeat(40)), "13800138000"));
        assert_eq!(phone_digest(&s, ""), None);
    }
}
