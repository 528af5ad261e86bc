//! A beneficiary's private details (name, phone, address, id number), sealed with a key
//! derived from the server secret and bound to the beneficiary's id, and the keyed digests
//! that find duplicates without opening them. Only the owning organization and the office
//! read them; nothing here is ever shown to a merchant.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};

use super::ServiceError;
use crate::config::Secret;
use crate::entities::beneficiary_private;
use crate::{crypto, db};

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
    /// Resident ID number, checked and normalized; empty when not given (and in rows sealed
    /// before the field existed).
    #[serde(default)]
    pub id_number: String,
    /// Household notes: who lives with the person, who cares for them; empty in rows sealed
    /// before the field existed.
    #[serde(default)]
    pub household_notes: String,
}

impl PrivateDetails {
    /// The names of the fields that differ between `self` and `new`, never their values.
    pub fn changed_fields(&self, new: &PrivateDetails) -> Vec<&'static str> {
        [
            ("full_name", self.full_name != new.full_name),
            ("phone", self.phone != new.phone),
            ("address", self.address != new.address),
            ("notes", self.notes != new.notes),
            ("id_number", self.id_number != new.id_number),
            ("household_notes", self.household_notes != new.household_notes),
        ]
        .into_iter()
        .filter_map(|(name, changed)| changed.then_some(name))
        .collect()
    }
}

/// The key that seals private details, derived from the secret key.
pub fn private_key(secret: &Secret) -> [u8; 32] {
    crypto::derive_key(secret, "beneficiary-private-v1")
}

/// The `seal_version` of rows written now: sealed with [`binding`] as associated data, so a
/// sealed blob opens only on the row of the beneficiary it was sealed for.
pub const SEAL_VERSION: i32 = 2;

/// The `seal_version` of rows written before rows were bound: no associated data. Such rows
/// are re-sealed at start-up ([`reseal_unbound`]) and never opened for a reader.
pub const UNBOUND_SEAL_VERSION: i32 = 1;

/// The associated data of beneficiary `beneficiary_id`'s private part: the table, the field
/// set's version and the row's id.
fn binding(beneficiary_id: i64) -> Vec<u8> {
    format!("beneficiary_private/v{SEAL_VERSION}/{beneficiary_id}").into_bytes()
}

const DIGEST_PURPOSE: &str = "pii-digest-v1";

/// A keyed digest of a phone number (digits only), to find the same person registered
/// twice without comparing plain values.
pub fn phone_digest(secret: &Secret, phone: &str) -> Option<String> {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    let digits = digits
        .strip_prefix("86")
        .filter(|d| d.len() == 11)
        .unwrap_or(&digits)
        .to_owned();
    (!digits.is_empty()).then(|| crypto::keyed_hex(secret, DIGEST_PURPOSE, digits.as_bytes()))
}

/// A keyed digest of a checked resident ID number; an old 15-digit number and its 18-digit
/// form give the same digest.
pub fn id_number_digest(secret: &Secret, id_number: &str) -> Option<String> {
    (!id_number.is_empty()).then(|| {
        let id = crate::domain::beneficiary::resident_id_18(id_number);
        crypto::keyed_hex(secret, DIGEST_PURPOSE, format!("id:{id}").as_bytes())
    })
}

/// Seals `details` for beneficiary `beneficiary_id` (which must exist: its id is the binding).
fn seal_private(secret: &Secret, beneficiary_id: i64, details: &PrivateDetails) -> Result<Vec<u8>, ServiceError> {
    let json = serde_json::to_vec(details).map_err(|e| ServiceError::Internal(e.to_string()))?;
    crypto::seal(&private_key(secret), &json, &binding(beneficiary_id))
        .map_err(|e| ServiceError::Internal(e.to_string()))
}

/// The row of beneficiary `beneficiary_id`'s private part holding `details`, sealed, and their digests.
fn sealed_row(
    secret: &Secret,
    beneficiary_id: i64,
    details: &PrivateDetails,
    now: DateTime<Utc>,
) -> Result<beneficiary_private::ActiveModel, ServiceError> {
    Ok(beneficiary_private::ActiveModel {
        beneficiary_id: Set(beneficiary_id),
        sealed: Set(seal_private(secret, beneficiary_id, details)?),
        phone_digest: Set(phone_digest(secret, &details.phone)),
        id_number_digest: Set(id_number_digest(secret, &details.id_number)),
        seal_version: Set(SEAL_VERSION),
        updated_at: Set(now),
    })
}

/// Seals and stores the private part of beneficiary `beneficiary_id` in the caller's
/// transaction; the beneficiary row is inserted first, in the same transaction.
pub async fn store_private<C: ConnectionTrait>(
    txn: &C,
    secret: &Secret,
    beneficiary_id: i64,
    details: &PrivateDetails,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    sealed_row(secret, beneficiary_id, details, now)?.insert(txn).await?;
    Ok(())
}

/// Re-seals the private part of beneficiary `beneficiary_id` with `details` and refreshes
/// its digests, in the caller's transaction; the old sealed blob is overwritten (a case
/// with none stored gets one).
pub async fn replace_private<C: ConnectionTrait>(
    txn: &C,
    secret: &Secret,
    beneficiary_id: i64,
    details: &PrivateDetails,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let exists = beneficiary_private::Entity::find_by_id(beneficiary_id)
        .one(txn)
        .await?
        .is_some();
    let row = sealed_row(secret, beneficiary_id, details, now)?;
    if exists {
        row.update(txn).await?;
    } else {
        row.insert(txn).await?;
    }
    Ok(())
}

/// Deletes the sealed private part and digests of beneficiary `beneficiary_id` (erasure).
pub async fn erase_private<C: ConnectionTrait>(txn: &C, beneficiary_id: i64) -> Result<u64, ServiceError> {
    Ok(beneficiary_private::Entity::delete_many()
        .filter(beneficiary_private::Column::BeneficiaryId.eq(beneficiary_id))
        .exec(txn)
        .await?
        .rows_affected)
}

/// The opened private part of beneficiary `beneficiary_id`, for a check inside a service (the PII guard's
/// comparison with a need's public text); not shown to anyone, so not an audited read. `None` when none is stored.
pub async fn private_details<C: ConnectionTrait>(
    conn: &C,
    secret: &Secret,
    beneficiary_id: i64,
) -> Result<Option<PrivateDetails>, ServiceError> {
    match beneficiary_private::Entity::find_by_id(beneficiary_id)
        .one(conn)
        .await?
    {
        Some(row) => open_private(secret, &row).map(Some),
        None => Ok(None),
    }
}

/// Opens the sealed private part `row`. It opens only on the row it was sealed for: a blob
/// copied from another beneficiary's row, altered, or sealed under another key is an error
/// naming this row, never another person's details.
pub fn open_private(secret: &Secret, row: &beneficiary_private::Model) -> Result<PrivateDetails, ServiceError> {
    if row.seal_version != SEAL_VERSION {
        return Err(ServiceError::Internal(format!(
            "the private details of beneficiary {} are in seal version {} and wait to be re-sealed \
             (run `charity-relay migrate` with the secret key)",
            row.beneficiary_id, row.seal_version
        )));
    }
    let json = crypto::open(&private_key(secret), &row.sealed, &binding(row.beneficiary_id)).map_err(|_| {
        ServiceError::Internal(format!(
            "the private details of beneficiary {} do not open: they were sealed for another row, \
             altered, or sealed under another secret key",
            row.beneficiary_id
        ))
    })?;
    serde_json::from_slice(&json).map_err(|e| ServiceError::Internal(e.to_string()))
}

/// The private part of beneficiary `beneficiary_id`, opened, if it has one.
pub async fn load_private<C: ConnectionTrait>(
    conn: &C,
    secret: &Secret,
    beneficiary_id: i64,
) -> Result<Option<PrivateDetails>, ServiceError> {
    match beneficiary_private::Entity::find_by_id(beneficiary_id)
        .one(conn)
        .await?
    {
        Some(row) => open_private(secret, &row).map(Some),
        None => Ok(None),
    }
}

/// How many rows [`reseal_unbound`] looks at per query.
const RESEAL_BATCH: u64 = 100;

/// Re-seals every private part written before rows were bound (seal version 1) with its
/// binding, and returns how many it changed. Idempotent: a row is rewritten only while it is
/// still version 1, in its own short transaction, so several instances starting together
/// (or an interrupted run) do no harm and writers are never held up for long.
///
/// It runs in the application right after the migrations (`serve` and `charity-relay
/// migrate`), not in the migration that added `seal_version`: the key is derived from
/// `RELAY_SECRET_KEY`, which the migration crate does not have and should not need.
/// A row that does not open under the key is left as it is and logged by id (no content).
pub async fn reseal_unbound(db: &DatabaseConnection, secret: &Secret) -> Result<u64, ServiceError> {
    use sea_orm::{QueryOrder, QuerySelect};
    let key = private_key(secret);
    let mut after = i64::MIN;
    let mut resealed = 0;
    loop {
        let batch: Vec<i64> = beneficiary_private::Entity::find()
            .select_only()
            .column(beneficiary_private::Column::BeneficiaryId)
            .filter(beneficiary_private::Column::SealVersion.eq(UNBOUND_SEAL_VERSION))
            .filter(beneficiary_private::Column::BeneficiaryId.gt(after))
            .order_by_asc(beneficiary_private::Column::BeneficiaryId)
            .limit(RESEAL_BATCH)
            .into_tuple()
            .all(db)
            .await?;
        let Some(last) = batch.last() else { break };
        after = *last;
        for id in batch {
            let txn = db::begin_write(db).await?;
            let row = beneficiary_private::Entity::find_by_id(id)
                .filter(beneficiary_private::Column::SealVersion.eq(UNBOUND_SEAL_VERSION))
                .one(&txn)
                .await?;
            let Some(row) = row else { continue };
            let Ok(plain) = crypto::open(&key, &row.sealed, &[]) else {
                tracing::error!(
                    beneficiary_id = id,
                    "private details in seal version 1 do not open under this secret key; left as they are"
                );
                continue;
            };
            let sealed = crypto::seal(&key, &plain, &binding(id)).map_err(|e| ServiceError::Internal(e.to_string()))?;
            let changed = beneficiary_private::Entity::update_many()
                .col_expr(beneficiary_private::Column::Sealed, Expr::val(sealed))
                .col_expr(beneficiary_private::Column::SealVersion, Expr::val(SEAL_VERSION))
                .filter(beneficiary_private::Column::BeneficiaryId.eq(id))
                .filter(beneficiary_private::Column::SealVersion.eq(UNBOUND_SEAL_VERSION))
                .exec(&txn)
                .await?;
            txn.commit().await?;
            resealed += changed.rows_affected;
        }
    }
    if resealed > 0 {
        tracing::info!(rows = resealed, "private details re-sealed, bound to their rows");
    }
    Ok(resealed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blob_sealed_before_household_notes_opens_with_them_empty() {
        let old = br#"{"full_name":"A","phone":"","address":"","notes":"","id_number":""}"#;
        let details: PrivateDetails = serde_json::from_slice(old).expect("old blob");
        assert_eq!(details.household_notes, "");
        let mut new = details.clone();
        new.household_notes = "lives with a grandson".into();
        new.phone = "13800138000".into();
        assert_eq!(details.changed_fields(&new), vec!["phone", "household_notes"]);
    }

    #[test]
    fn phone_digests_ignore_formatting_and_country_code() {
        let s = Secret::new("s".repeat(40));
        let a = phone_digest(&s, "138 0013 8000");
        assert_eq!(a, phone_digest(&s, "+86 138-0013-8000"));
        assert_ne!(a, phone_digest(&s, "13800138001"));
        assert_ne!(a, phone_digest(&Secret::new("t".repeat(40)), "13800138000"));
        assert_eq!(phone_digest(&s, ""), None);
    }

    #[test]
    fn id_digests_match_across_the_old_and_new_forms_and_differ_from_phones() {
        let s = Secret::new("s".repeat(40));
        assert_eq!(
            id_number_digest(&s, "440308900101123"),
            id_number_digest(&s, "440308199001011239")
        );
        assert_eq!(id_number_digest(&s, ""), None);
        assert_ne!(
            id_number_digest(&s, "440308900101123"),
            phone_digest(&s, "440308900101123")
        );
    }
}
