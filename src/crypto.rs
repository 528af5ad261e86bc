//! Small, audited building blocks: random tokens, digests and keys derived from the secret.

use std::sync::Arc;

use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::config::Secret;

/// A fresh random token of `bytes` bytes, hex-encoded.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    hex::encode(buf)
}

/// The SHA-256 digest of `value`, hex-encoded. Tokens are stored this way: they are
/// 256 random bits, so a fast hash is enough and a slow one would cost more than a claim.
pub fn sha256_hex(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

/// A key-dependent value for `purpose`, hex-encoded and `len` characters long (≤ 64).
pub fn derive_hex(secret: &Secret, purpose: &str, len: usize) -> String {
    let mut full = hex::encode(derive_key(secret, purpose));
    full.truncate(len.min(64));
    full
}

/// A 32-byte key for `purpose`, so that each use of the secret has its own key.
pub fn derive_key(secret: &Secret, purpose: &str) -> [u8; 32] {
    keyed_digest(secret.expose().as_bytes(), purpose.as_bytes())
}

/// HMAC-SHA256 of `message` under the key derived from `secret` for `purpose`, hex-encoded:
/// a digest that a copy of the database alone cannot recompute (nor brute-force over a
/// small space such as phone numbers or 8-character codes).
pub fn keyed_hex(secret: &Secret, purpose: &str, message: &[u8]) -> String {
    hex::encode(keyed_digest(&derive_key(secret, purpose), message))
}

/// HMAC-SHA256 of `message` under `key`.
pub fn keyed_digest(key: &[u8], message: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(message);
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_of_the_asked_size() {
        let a = random_token(32);
        assert_eq!(a.len(), 64);
        assert_ne!(a, random_token(32));
    }

    #[test]
    fn derived_keys_differ_by_purpose_and_by_secret() {
        let s1 = Secret::new("a".repeat(40));
        let s2 = Secret::new("b".repeat(40));
        assert_ne!(derive_key(&s1, "x"), derive_key(&s1, "y"));
        assert_ne!(derive_key(&s1, "x"), derive_key(&s2, "x"));
        assert_eq!(derive_hex(&s1, "x", 10).len(), 10);
    }

    #[test]
    fn sha256_matches_a_known_vector() {
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}

/// Hashes a password with argon2id (19 MiB, t = 2: the library's recommended defaults).
/// Slow on purpose: call it from a blocking task.
pub fn hash_password(password: &str) -> Result<String, PasswordHashError> {
    use argon2::password_hash::PasswordHasher;
    argon2::Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| PasswordHashError::Failed(e.to_string()))
}

/// True when `password` matches the stored argon2 `hash`.
pub fn verify_password(password: &str, hash: &str) -> bool {
    use argon2::password_hash::PasswordVerifier;
    argon2::Argon2::default()
        .verify_password(password.as_bytes(), hash)
        .is_ok()
}

/// Hashing a password failed or could not start.
#[derive(Debug, thiserror::Error)]
pub enum PasswordHashError {
    /// Every hashing slot stayed taken for [`HASH_WAIT`]: the caller should come back later.
    #[error("the server is busy checking passwords")]
    Busy,
    /// Out of memory or no randomness.
    #[error("cannot hash the password: {0}")]
    Failed(String),
}

/// How long a password check waits for a free hashing slot before it gives up with
/// [`PasswordHashError::Busy`] (the web answers 503 with `Retry-After`).
pub const HASH_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// Runs argon2 off the async threads in one of a fixed number of slots, one per core, and
/// counts every run. Each run holds 19 MiB and a core for a while, so a flood of sign-ins
/// waits for a slot (at most [`HASH_WAIT`]) instead of taking the machine's memory. The app
/// makes one for its whole process; clones share the slots and the count.
#[derive(Clone)]
pub struct PasswordHasher {
    slots: Arc<tokio::sync::Semaphore>,
    runs: Option<prometheus::IntCounter>,
}

impl Default for PasswordHasher {
    fn default() -> Self {
        Self::new(None)
    }
}

impl PasswordHasher {
    /// A hasher with one slot per core, counting its runs in `runs`
    /// (`relay_password_hashes_total`) when given.
    pub fn new(runs: Option<prometheus::IntCounter>) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        Self {
            slots: Arc::new(tokio::sync::Semaphore::new(cores)),
            runs,
        }
    }

    /// The slots: a test fills them to see what a waiting caller is told.
    pub fn slots(&self) -> &tokio::sync::Semaphore {
        &self.slots
    }

    /// [`hash_password`] in a hashing slot.
    pub async fn hash(&self, password: &str) -> Result<String, PasswordHashError> {
        let password = password.to_owned();
        self.run(move || hash_password(&password)).await?
    }

    /// [`verify_password`] in a hashing slot; `hash` is computed in the slot too when it is
    /// made lazily (the unknown-account dummy).
    pub async fn verify(
        &self,
        password: &str,
        hash: impl FnOnce() -> String + Send + 'static,
    ) -> Result<bool, PasswordHashError> {
        let password = password.to_owned();
        self.run(move || verify_password(&password, &hash())).await
    }

    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T, PasswordHashError> {
        let permit = tokio::time::timeout(HASH_WAIT, Arc::clone(&self.slots).acquire_owned())
            .await
            .map_err(|_| PasswordHashError::Busy)?
            .map_err(|_| PasswordHashError::Busy)?;
        if let Some(runs) = &self.runs {
            runs.inc();
        }
        // The permit moves into the blocking task: a request dropped meanwhile (client gone)
        // still holds its slot until argon2 has finished and freed its memory.
        tokio::task::spawn_blocking(move || {
            let _slot = permit;
            work()
        })
        .await
        .map_err(|e| PasswordHashError::Failed(e.to_string()))
    }
}

#[cfg(test)]
mod password_tests {
    use super::*;

    #[tokio::test]
    async fn a_check_that_finds_every_slot_taken_past_the_wait_is_busy_and_not_counted() {
        let runs = prometheus::IntCounter::new("runs", "runs").expect("counter");
        let hasher = PasswordHasher::new(Some(runs.clone()));
        let hash = hash_password("correct horse").expect("hash");
        let all = u32::try_from(hasher.slots().available_permits()).expect("few cores");
        let held = hasher.slots().acquire_many(all).await.expect("open");
        let started = std::time::Instant::now();
        let h = hash.clone();
        let busy = hasher.verify("correct horse", move || h).await;
        assert!(matches!(busy, Err(PasswordHashError::Busy)), "{busy:?}");
        assert!(started.elapsed() >= HASH_WAIT);
        assert!(matches!(hasher.hash("x").await, Err(PasswordHashError::Busy)));
        assert_eq!(runs.get(), 0, "nothing was hashed");
        drop(held);
        assert!(hasher.verify("correct horse", move || hash).await.expect("a slot"));
        assert!(hasher.hash("y").await.expect("a slot").starts_with("$argon2id$"));
        assert_eq!(runs.get(), 2);
        assert_eq!(hasher.slots().available_permits(), all as usize, "slots come back");
    }

    #[test]
    fn argon2id_hashes_verify_and_differ_by_salt() {
        let a = hash_password("correct horse").expect("hash");
        let b = hash_password("correct horse").expect("hash");
        assert!(a.starts_with("$argon2id$") && a.contains("m=19456,t=2"), "{a}");
        assert_ne!(a, b);
        assert!(verify_password("correct horse", &a));
        assert!(!verify_password("wrong horse", &a));
        assert!(!verify_password("correct horse", "not a hash"));
    }
}

/// Encrypts `plaintext` with XChaCha20-Poly1305 under `key`; the output is nonce || ciphertext.
/// The 24-byte random nonce makes nonce reuse negligible without a counter. `bound_to` is
/// associated data: not stored, but [`open`] must be given the same bytes, so a sealed
/// value copied to another row (whose binding differs) does not open there.
pub fn seal(key: &[u8; 32], plaintext: &[u8], bound_to: &[u8]) -> Result<Vec<u8>, SealError> {
    use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
    let cipher = chacha20poly1305::XChaCha20Poly1305::new(key.into());
    let nonce = chacha20poly1305::XChaCha20Poly1305::generate_nonce(&mut OsRng);
    let mut out = nonce.to_vec();
    let payload = Payload {
        msg: plaintext,
        aad: bound_to,
    };
    out.extend(cipher.encrypt(&nonce, payload).map_err(|_| SealError)?);
    Ok(out)
}

/// Decrypts what [`seal`] produced with the same `bound_to`; fails on a wrong key, another
/// binding or any tampering.
pub fn open(key: &[u8; 32], sealed: &[u8], bound_to: &[u8]) -> Result<Vec<u8>, SealError> {
    use chacha20poly1305::aead::{Aead, KeyInit, Payload};
    if sealed.len() < 24 {
        return Err(SealError);
    }
    let (nonce, ciphertext) = sealed.split_at(24);
    let cipher = chacha20poly1305::XChaCha20Poly1305::new(key.into());
    let payload = Payload {
        msg: ciphertext,
        aad: bound_to,
    };
    cipher.decrypt(nonce.into(), payload).map_err(|_| SealError)
}

/// Sealed data could not be made or opened.
#[derive(Debug, thiserror::Error)]
#[error("sealed data cannot be processed (wrong key or tampered)")]
pub struct SealError;

#[cfg(test)]
mod seal_tests {
    use super::*;

    #[test]
    fn sealed_data_opens_only_with_its_key_and_untampered() {
        let key = [7u8; 32];
        let sealed = seal(&key, "张三 13800138000".as_bytes(), b"row-1").expect("seal");
        assert!(!String::from_utf8_lossy(&sealed).contains("13800138000"));
        assert_eq!(
            open(&key, &sealed, b"row-1").expect("open"),
            "张三 13800138000".as_bytes()
        );
        assert!(open(&[8u8; 32], &sealed, b"row-1").is_err());
        let mut tampered = sealed.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        assert!(open(&key, &tampered, b"row-1").is_err());
        assert!(open(&key, &sealed[..10], b"row-1").is_err());
    }

    #[test]
    fn sealed_data_opens_only_under_its_binding() {
        let key = [7u8; 32];
        let sealed = seal(&key, b"secret", b"row-1").expect("seal");
        assert!(open(&key, &sealed, b"row-2").is_err());
        assert!(open(&key, &sealed, b"").is_err());
        // Without a binding (the legacy format) it opens only without one.
        let unbound = seal(&key, b"secret", b"").expect("seal");
        assert_eq!(open(&key, &unbound, b"").expect("open"), b"secret");
        assert!(open(&key, &unbound, b"row-1").is_err());
    }
}
