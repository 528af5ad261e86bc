//! WeChat's request signatures: the SHA-1 hex of the given strings sorted and joined — token,
//! timestamp and nonce for `signature`, plus the encrypted text for safe mode's
//! `msg_signature`.

use sha1::{Digest, Sha1};
use subtle::ConstantTimeEq;

/// The signature of `parts`: SHA-1 of the parts sorted bytewise and concatenated, in lower-case hex.
pub fn sign(parts: &[&str]) -> String {
    let mut sorted = parts.to_vec();
    sorted.sort_unstable();
    let mut hasher = Sha1::new();
    for part in sorted {
        hasher.update(part.as_bytes());
    }
    hex::encode(hasher.finalize())
}

/// True when `given` is the signature of `parts`. Compared in constant time (a timing
/// difference would let a forger learn the signature byte by byte); WeChat writes lower-case
/// hex, an upper-case copy is accepted too.
pub fn verify(given: &str, parts: &[&str]) -> bool {
    let expected = sign(parts);
    let given = given.trim().to_ascii_lowercase();
    bool::from(given.as_bytes().ct_eq(expected.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected values computed independently: python3 hashlib.sha1("".join(sorted(parts))).
    #[test]
    fn the_signature_is_the_sha1_of_the_sorted_parts() {
        assert_eq!(
            sign(&["relay-token", "1733616000", "nonce42"]),
            "f4b91e1125bc19f33549b9f7163814a113681021"
        );
        // The order the caller gives does not matter.
        assert_eq!(
            sign(&["nonce42", "relay-token", "1733616000"]),
            sign(&["relay-token", "1733616000", "nonce42"])
        );
        assert_eq!(
            sign(&["relay-token", "1733616000", "nonce42", "ENCRYPTED"]),
            "421ca3eb1a7fa05dc9584468dd7d0cd06dad6d8e"
        );
    }

    #[test]
    fn verify_accepts_the_signature_and_refuses_anything_else() {
        let parts = ["relay-token", "1733616000", "nonce42"];
        assert!(verify("f4b91e1125bc19f33549b9f7163814a113681021", &parts));
        assert!(verify("F4B91E1125BC19F33549B9F7163814A113681021", &parts));
        assert!(!verify("f4b91e1125bc19f33549b9f7163814a113681020", &parts));
        assert!(!verify("", &parts));
        assert!(!verify("f4b91e", &parts));
        assert!(!verify(
            "f4b91e1125bc19f33549b9f7163814a113681021",
            &["other-token", "1733616000", "nonce42"]
        ));
    }
}
