//! Short codes that people read aloud, type on a phone or copy by hand.

use rand::Rng;

/// No 0/O, 1/I/L, 5/S, 2/Z, 8/B: nothing that looks like something else.
pub const UNAMBIGUOUS_ALPHABET: &[u8] = b"34679ACDEFGHJKMNPQRTUVWXY";

/// A random code of `len` characters from [`UNAMBIGUOUS_ALPHABET`].
pub fn random_code(len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| char::from(UNAMBIGUOUS_ALPHABET[rng.random_range(0..UNAMBIGUOUS_ALPHABET.len())]))
        .collect()
}

/// Upper-cases a typed code and drops spaces and dashes; `None` if a character cannot be
/// part of a code.
pub fn normalize_code(typed: &str) -> Option<String> {
    let code: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (!code.is_empty() && code.bytes().all(|b| UNAMBIGUOUS_ALPHABET.contains(&b))).then_some(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_use_only_unambiguous_characters() {
        for _ in 0..200 {
            let code = random_code(6);
            assert_eq!(code.len(), 6);
            assert!(code.bytes().all(|b| UNAMBIGUOUS_ALPHABET.contains(&b)), "{code}");
        }
    }

    #[test]
    fn typed_codes_are_normalized_or_refused() {
        assert_eq!(normalize_code(" k7m-4xq ").as_deref(), Some("K7M4XQ"));
        assert_eq!(normalize_code("K0M4XQ"), None);
        assert_eq!(normalize_code(""), None);
    }
}
