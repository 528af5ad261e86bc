//! The audit log's hash chain: each sealed row carries SHA-256 of the previous sealed row's
//! hash and a canonical encoding of its own fields, so altering, removing or reordering a
//! row breaks every seal from there on.

use sha2::{Digest, Sha256};

/// The hash "before" the first row.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The fields of an audit row that its seal covers, in their stored form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowFields<'a> {
    /// The row's id.
    pub id: i64,
    /// `at`, as microseconds since the epoch (what both databases keep).
    pub at_micros: i64,
    /// `actor_kind`.
    pub actor_kind: &'a str,
    /// `actor_id`.
    pub actor_id: Option<&'a str>,
    /// `organization_id`.
    pub organization_id: Option<i64>,
    /// `action`.
    pub action: &'a str,
    /// `subject_kind`.
    pub subject_kind: Option<&'a str>,
    /// `subject_id`.
    pub subject_id: Option<&'a str>,
    /// `outcome`.
    pub outcome: &'a str,
    /// `detail`.
    pub detail: &'a str,
    /// `request_id`.
    pub request_id: Option<&'a str>,
}

/// The canonical encoding: each field in a fixed order as a tag byte (0 absent, 1 present),
/// then, when present, its length as 8 big-endian bytes and its UTF-8 bytes. Integers are
/// written in decimal. No two different rows encode alike.
pub fn encode(row: &RowFields<'_>) -> Vec<u8> {
    let id = row.id.to_string();
    let at = row.at_micros.to_string();
    let org = row.organization_id.map(|o| o.to_string());
    let fields: [Option<&str>; 11] = [
        Some(&id),
        Some(&at),
        Some(row.actor_kind),
        row.actor_id,
        org.as_deref(),
        Some(row.action),
        row.subject_kind,
        row.subject_id,
        Some(row.outcome),
        Some(row.detail),
        row.request_id,
    ];
    let mut out = Vec::with_capacity(64 + row.detail.len());
    for field in fields {
        match field {
            None => out.push(0),
            Some(text) => {
                out.push(1);
                out.extend_from_slice(&(text.len() as u64).to_be_bytes());
                out.extend_from_slice(text.as_bytes());
            }
        }
    }
    out
}

/// The seal of `row` after the row sealed `prev` (hex): SHA-256(prev || encode(row)), hex.
pub fn link(prev: &str, row: &RowFields<'_>) -> String {
    let mut hash = Sha256::new();
    hash.update(prev.as_bytes());
    hash.update(encode(row));
    hex::encode(hash.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(detail: &str) -> RowFields<'_> {
        RowFields {
            id: 7,
            at_micros: 1_764_000_000_000_000,
            actor_kind: "staff",
            actor_id: Some("3"),
            organization_id: None,
            action: "need.post",
            subject_kind: Some("need"),
            subject_id: Some("42"),
            outcome: "ok",
            detail,
            request_id: None,
        }
    }

    #[test]
    fn every_field_and_the_previous_seal_change_the_seal() {
        let base = link(GENESIS, &row("{}"));
        assert_eq!(base, link(GENESIS, &row("{}")), "deterministic");
        assert_ne!(base, link(GENESIS, &row("{\"a\":1}")));
        assert_ne!(base, link(&base, &row("{}")));
        assert_ne!(base, link(GENESIS, &RowFields { id: 8, ..row("{}") }));
        assert_ne!(
            base,
            link(
                GENESIS,
                &RowFields {
                    organization_id: Some(1),
                    ..row("{}")
                }
            )
        );
        assert_ne!(
            base,
            link(
                GENESIS,
                &RowFields {
                    request_id: Some(""),
                    ..row("{}")
                }
            )
        );
    }

    #[test]
    fn moving_text_between_fields_changes_the_encoding() {
        let a = RowFields {
            actor_id: Some("3n"),
            action: "eed.post",
            ..row("{}")
        };
        let b = RowFields {
            actor_id: Some("3"),
            action: "need.post",
            ..row("{}")
        };
        assert_ne!(encode(&a), encode(&b));
    }
}
