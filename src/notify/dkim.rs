//! DKIM: the key that signs every outgoing message, and the DNS records an operator
//! publishes so that receivers (QQ Mail, 163, Gmail…) can check the signature.
//!
//! Residents' providers file unsigned mail from an unknown sender as spam, so a signed
//! message is the difference between a notice that arrives and one that does not.
//!
//! The key file (`RELAY_DKIM_KEY_FILE`) holds one private key in PEM:
//! - Ed25519, PKCS#8 (`openssl genpkey -algorithm ed25519`), or
//! - RSA of 2048 bits or more, PKCS#8 (`openssl genpkey -algorithm rsa -pkeyopt rsa_keygen_bits:2048`)
//!   or PKCS#1 (`BEGIN RSA PRIVATE KEY`).
//!
//! RSA-2048 is what every receiver verifies today; Ed25519 (RFC 8463) is smaller but not
//! yet checked by all of them. The private key never reaches a log line or an error: an
//! error names the file and what is wrong with it, not its content.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use lettre::message::dkim::{
    DkimCanonicalization, DkimCanonicalizationType, DkimConfig, DkimSigningAlgorithm, DkimSigningKey,
};
use lettre::message::header::HeaderName;
use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey};
use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey};
use rsa::traits::PublicKeyParts;

/// The smallest RSA modulus accepted: receivers ignore or distrust shorter keys.
pub const MIN_RSA_BITS: usize = 2048;

/// The headers the signature covers. `List-Unsubscribe` and `List-Unsubscribe-Post` are
/// in it because RFC 8058 requires a one-click unsubscribe to be signed; a header a message
/// lacks (staff mail has no unsubscribe) is signed as absent, so nobody can add it later.
/// `Content-Type` is not in it: lettre writes the multipart's type with the body, outside
/// the header list it signs, so naming it would sign it as absent and break every signature.
const SIGNED_HEADERS: &[&str] = &[
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "MIME-Version",
    "Content-Language",
    "Auto-Submitted",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
];

/// The key file cannot be used. The message never contains the key itself.
#[derive(Debug, thiserror::Error)]
pub enum DkimError {
    /// The file cannot be read.
    #[error("RELAY_DKIM_KEY_FILE {path} cannot be read: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file holds no key we can use.
    #[error(
        "RELAY_DKIM_KEY_FILE {path} is not usable: {why} (expected an Ed25519 or RSA-2048 private key in PEM, e.g. from `openssl genpkey -algorithm ed25519`)"
    )]
    Key {
        /// The file.
        path: String,
        /// What is wrong, without any of the key's bytes.
        why: String,
    },
    /// The sender has no domain to sign for.
    #[error("cannot sign for the sender {0}: it has no domain")]
    NoDomain(String),
}

/// Which kind of key signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// Ed25519 (RFC 8463).
    Ed25519,
    /// RSA with SHA-256, this many bits.
    Rsa(usize),
}

impl std::fmt::Display for Algorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Algorithm::Ed25519 => f.write_str("ed25519"),
            Algorithm::Rsa(bits) => write!(f, "rsa-{bits}"),
        }
    }
}

/// A loaded signing key with what DNS must publish for it.
pub struct DkimKey {
    algorithm: Algorithm,
    /// The key in the form lettre takes: PKCS#1 PEM (RSA) or the base64 seed (Ed25519).
    lettre_form: String,
    /// The `p=` value of the DNS record: SubjectPublicKeyInfo (RSA) or the raw key (Ed25519).
    public: String,
}

impl std::fmt::Debug for DkimKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DkimKey")
            .field("algorithm", &self.algorithm)
            .field("private", &"***")
            .finish()
    }
}

impl DkimKey {
    /// Reads and checks the key in `path`.
    pub fn load(path: &Path) -> Result<Self, DkimError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| DkimError::Read {
            path: shown.clone(),
            source,
        })?;
        Self::parse(&text).map_err(|why| DkimError::Key { path: shown, why })
    }

    /// Parses a PEM private key; the error says what is wrong in words, never with the key.
    pub fn parse(pem: &str) -> Result<Self, String> {
        let pem = pem.trim();
        if pem.contains("BEGIN RSA PRIVATE KEY") {
            let key = rsa::RsaPrivateKey::from_pkcs1_pem(pem).map_err(|_| "the RSA key does not parse".to_owned())?;
            return Self::rsa(key);
        }
        if !pem.contains("BEGIN PRIVATE KEY") {
            return Err(if pem.contains("ENCRYPTED") {
                "the key is encrypted with a passphrase".to_owned()
            } else if pem.contains("PUBLIC KEY") {
                "it holds a public key, not the private key".to_owned()
            } else {
                "no PEM private key found".to_owned()
            });
        }
        if let Ok(key) = rsa::RsaPrivateKey::from_pkcs8_pem(pem) {
            return Self::rsa(key);
        }
        let key = <ed25519_dalek::SigningKey as ed25519_dalek::pkcs8::DecodePrivateKey>::from_pkcs8_pem(pem)
            .map_err(|_| "a PKCS#8 key of an unsupported kind (only Ed25519 and RSA sign)".to_owned())?;
        Ok(Self {
            algorithm: Algorithm::Ed25519,
            lettre_form: B64.encode(key.to_bytes()),
            public: B64.encode(key.verifying_key().to_bytes()),
        })
    }

    fn rsa(key: rsa::RsaPrivateKey) -> Result<Self, String> {
        let bits = key.n().bits();
        if bits < MIN_RSA_BITS {
            return Err(format!(
                "the RSA key has {bits} bits; receivers want at least {MIN_RSA_BITS}"
            ));
        }
        let public = key
            .to_public_key()
            .to_public_key_der()
            .map_err(|_| "the RSA public key cannot be encoded".to_owned())?;
        let pkcs1 = key
            .to_pkcs1_pem(rsa::pkcs8::LineEnding::LF)
            .map_err(|_| "the RSA key cannot be re-encoded".to_owned())?;
        Ok(Self {
            algorithm: Algorithm::Rsa(bits),
            lettre_form: pkcs1.to_string(),
            public: B64.encode(public.as_bytes()),
        })
    }

    /// The kind of key.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The TXT record's value: `v=DKIM1; k=…; p=…`.
    pub fn dns_value(&self) -> String {
        let k = match self.algorithm {
            Algorithm::Ed25519 => "ed25519",
            Algorithm::Rsa(_) => "rsa",
        };
        format!("v=DKIM1; k={k}; p={}", self.public)
    }

    /// lettre's signing configuration for `selector` and `domain`.
    pub fn signer(&self, selector: &str, domain: &str) -> Result<DkimConfig, DkimError> {
        let algorithm = match self.algorithm {
            Algorithm::Ed25519 => DkimSigningAlgorithm::Ed25519,
            Algorithm::Rsa(_) => DkimSigningAlgorithm::Rsa,
        };
        // Parsed once at start-up; it already passed our own parse, so this cannot fail on
        // a good key, and a failure is reported like any unusable key.
        let key = DkimSigningKey::new(&self.lettre_form, algorithm).map_err(|e| DkimError::Key {
            path: "(loaded key)".into(),
            why: e.to_string(),
        })?;
        let headers = SIGNED_HEADERS
            .iter()
            .map(|h| HeaderName::new_from_ascii_str(h))
            .collect();
        // Relaxed on both: relays that re-fold headers or trim trailing spaces do not break it.
        let canonicalization = DkimCanonicalization {
            header: DkimCanonicalizationType::Relaxed,
            body: DkimCanonicalizationType::Relaxed,
        };
        Ok(DkimConfig::new(
            selector.to_owned(),
            domain.to_owned(),
            key,
            headers,
            canonicalization,
        ))
    }
}

/// The records to publish for sending as `domain` with `key` under `selector`: one line
/// each, in zone-file form, with a comment saying what it is for.
pub fn dns_records(domain: &str, selector: Option<&str>, key: Option<&DkimKey>) -> String {
    let mut out = String::new();
    match (selector, key) {
        (Some(selector), Some(key)) => {
            out.push_str(&format!(
                "; DKIM public key ({}): receivers check each message's signature against it\n",
                key.algorithm()
            ));
            out.push_str(&format!(
                "{selector}._domainkey.{domain}. IN TXT {}\n",
                zone_txt(&key.dns_value())
            ));
        }
        _ => out.push_str(
            "; DKIM: no key configured (set RELAY_DKIM_SELECTOR and RELAY_DKIM_KEY_FILE); messages go unsigned\n",
        ),
    }
    // `~all` (soft fail) first: a hard `-all` that forgets the operator's SMTP relay would
    // bounce every notice; tighten it once the relay is listed.
    out.push_str("; SPF suggestion: list the servers that send for this domain (here: its MX hosts; add your SMTP relay, e.g. include:…), then tighten ~all to -all\n");
    out.push_str(&format!("{domain}. IN TXT \"v=spf1 mx ~all\"\n"));
    out.push_str("; DMARC suggestion: start with p=none and reports, tighten to quarantine once reports are clean\n");
    out.push_str(&format!(
        "_dmarc.{domain}. IN TXT \"v=DMARC1; p=none; adkim=s; aspf=r; rua=mailto:postmaster@{domain}\"\n"
    ));
    out
}

/// A TXT value in quoted strings of at most 255 bytes (a longer RSA key must be split).
fn zone_txt(value: &str) -> String {
    let chunks: Vec<String> = value
        .as_bytes()
        .chunks(255)
        .map(|c| format!("\"{}\"", String::from_utf8_lossy(c)))
        .collect();
    if chunks.len() == 1 {
        chunks.concat()
    } else {
        format!("( {} )", chunks.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_txt_values_are_split_into_255_byte_strings() {
        let long = "x".repeat(600);
        let zone = zone_txt(&long);
        assert!(zone.starts_with("( \"") && zone.ends_with("\" )"), "{zone}");
        assert_eq!(zone.matches('"').count(), 6);
        assert_eq!(zone_txt("v=DKIM1"), "\"v=DKIM1\"");
    }

    fn fixture(name: &str) -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/dkim")
            .join(name)
    }

    #[test]
    fn rsa_keys_read_from_pkcs8_and_pkcs1_alike_and_short_ones_are_refused() {
        let pkcs8 = DkimKey::load(&fixture("rsa2048.pem")).expect("PKCS#8");
        let pkcs1 = DkimKey::load(&fixture("rsa2048-pkcs1.pem")).expect("PKCS#1");
        assert_eq!(pkcs8.algorithm(), Algorithm::Rsa(2048));
        assert_eq!(pkcs8.dns_value(), pkcs1.dns_value(), "the same key");
        assert!(pkcs8.dns_value().starts_with("v=DKIM1; k=rsa; p=MIIB"));
        let ed = DkimKey::load(&fixture("ed25519.pem")).expect("Ed25519");
        assert_eq!(ed.algorithm(), Algorithm::Ed25519);
        assert!(ed.signer("s", "example.org").is_ok() && pkcs1.signer("s", "example.org").is_ok());
        let err = DkimKey::load(&fixture("rsa1024.pem")).expect_err("too short");
        assert!(err.to_string().contains("1024 bits"), "{err}");
        assert!(!format!("{ed:?}").contains(&ed.lettre_form), "Debug hides the key");
    }

    #[test]
    fn what_is_not_a_private_key_is_refused_in_words() {
        for (text, why) in [
            ("hello", "no PEM private key"),
            (
                "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
                "public key",
            ),
            (
                "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----",
                "passphrase",
            ),
            (
                "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----",
                "unsupported",
            ),
        ] {
            let err = DkimKey::parse(text).expect_err(text);
            assert!(err.contains(why), "{text}: {err}");
        }
    }
}
