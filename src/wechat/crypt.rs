//! WeChat's safe mode (安全模式): messages encrypted with AES-256-CBC under the key of the
//! account's EncodingAESKey, the IV being the key's first 16 bytes, padded PKCS#7-style to
//! 32-byte blocks (not AES's 16). The plaintext is 16 random bytes, the message's length as 4
//! bytes big-endian, the XML message, then the AppID it was meant for.

use aes::cipher::generic_array::GenericArray;
use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use base64::Engine;
use base64::engine::{GeneralPurpose, GeneralPurposeConfig};
use subtle::ConstantTimeEq;

type Encryptor = cbc::Encryptor<aes::Aes256>;
type Decryptor = cbc::Decryptor<aes::Aes256>;

/// Characters of an EncodingAESKey.
pub const ENCODING_AES_KEY_LEN: usize = 43;
/// WeChat pads to a multiple of this many bytes.
const PAD_BLOCK: usize = 32;
/// AES's own block.
const AES_BLOCK: usize = 16;
/// The random prefix and the length field before the XML.
const HEADER: usize = 16 + 4;

/// Base64 that tolerates non-zero bits in the last character: 43 characters carry 258 bits for
/// 32 bytes, and WeChat's console draws all 43 at random (its own code decodes leniently).
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true),
);

/// The 32-byte AES key of an account. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct AesKey([u8; 32]);

impl std::fmt::Debug for AesKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AesKey(***)")
    }
}

impl AesKey {
    /// The key of an EncodingAESKey: 43 characters of Base64, decoded with one `=` added.
    /// `None` when it is not that.
    pub fn from_encoding_aes_key(text: &str) -> Option<Self> {
        let well_formed = text.len() == ENCODING_AES_KEY_LEN
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/');
        if !well_formed {
            return None;
        }
        let bytes = LENIENT.decode(format!("{text}=")).ok()?;
        bytes.try_into().ok().map(Self)
    }

    /// The EncodingAESKey that gives this key (for tests and for showing a generated one).
    pub fn to_encoding_aes_key(&self) -> String {
        let mut text = base64::engine::general_purpose::STANDARD.encode(self.0);
        text.truncate(ENCODING_AES_KEY_LEN);
        text
    }

    /// A key made of these bytes (tests).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    fn iv(&self) -> GenericArray<u8, aes::cipher::consts::U16> {
        GenericArray::clone_from_slice(&self.0[..AES_BLOCK])
    }
}

/// Why an encrypted message cannot be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CryptError {
    /// The text is not Base64.
    #[error("the encrypted text is not Base64")]
    NotBase64,
    /// The ciphertext is empty or not whole blocks.
    #[error("the ciphertext is not a whole number of blocks")]
    BadLength,
    /// The padding is not WeChat's PKCS#7 to 32 bytes (a wrong key, most likely).
    #[error("the padding is wrong (a wrong key?)")]
    BadPadding,
    /// The length field points past the end.
    #[error("the message length does not fit the plaintext")]
    BadMessageLength,
    /// The message names another account's AppID.
    #[error("the message is for another AppID")]
    WrongAppId,
    /// The message is not UTF-8.
    #[error("the message is not UTF-8")]
    NotUtf8,
}

/// Decrypts safe mode's `Encrypt` text for account `app_id`: the XML message inside, or why
/// not. Never panics, whatever the text.
pub fn decrypt(key: &AesKey, app_id: &str, encrypted: &str) -> Result<String, CryptError> {
    let mut buf = base64::engine::general_purpose::STANDARD
        .decode(encrypted.trim())
        .map_err(|_| CryptError::NotBase64)?;
    if buf.len() < PAD_BLOCK || !buf.len().is_multiple_of(AES_BLOCK) {
        return Err(CryptError::BadLength);
    }
    let mut cipher = Decryptor::new(GenericArray::from_slice(&key.0), &key.iv());
    for block in buf.chunks_exact_mut(AES_BLOCK) {
        cipher.decrypt_block_mut(GenericArray::from_mut_slice(block));
    }
    let pad = usize::from(*buf.last().ok_or(CryptError::BadLength)?);
    if pad == 0 || pad > PAD_BLOCK || pad > buf.len() {
        return Err(CryptError::BadPadding);
    }
    let (content, padding) = buf.split_at(buf.len() - pad);
    if padding.iter().any(|&b| usize::from(b) != pad) {
        return Err(CryptError::BadPadding);
    }
    let length_field: [u8; 4] = content
        .get(16..HEADER)
        .and_then(|s| s.try_into().ok())
        .ok_or(CryptError::BadMessageLength)?;
    let length = usize::try_from(u32::from_be_bytes(length_field)).map_err(|_| CryptError::BadMessageLength)?;
    let end = HEADER.checked_add(length).ok_or(CryptError::BadMessageLength)?;
    let (message, named_app) = (
        content.get(HEADER..end).ok_or(CryptError::BadMessageLength)?,
        content.get(end..).ok_or(CryptError::BadMessageLength)?,
    );
    if !bool::from(named_app.ct_eq(app_id.as_bytes())) {
        return Err(CryptError::WrongAppId);
    }
    String::from_utf8(message.to_vec()).map_err(|_| CryptError::NotUtf8)
}

/// Encrypts `xml` for account `app_id` as WeChat does, with fresh random bytes in front: the
/// `Encrypt` text of a passive reply (and of the tests' pushes).
pub fn encrypt(key: &AesKey, app_id: &str, xml: &str) -> String {
    let mut random = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut random);
    encrypt_with(key, app_id, xml, random)
}

/// [`encrypt`] with the random prefix given (for reproducible tests).
pub fn encrypt_with(key: &AesKey, app_id: &str, xml: &str, random: [u8; 16]) -> String {
    // A message longer than 4 GiB cannot be framed; nothing this service sends comes near.
    let length = u32::try_from(xml.len()).unwrap_or(u32::MAX);
    let mut buf = Vec::with_capacity(HEADER + xml.len() + app_id.len() + PAD_BLOCK);
    buf.extend_from_slice(&random);
    buf.extend_from_slice(&length.to_be_bytes());
    buf.extend_from_slice(xml.as_bytes());
    buf.extend_from_slice(app_id.as_bytes());
    let pad = PAD_BLOCK - buf.len() % PAD_BLOCK;
    // pad is 1..=32, so it fits a byte.
    buf.resize(buf.len() + pad, u8::try_from(pad).unwrap_or(PAD_BLOCK as u8));
    let mut cipher = Encryptor::new(GenericArray::from_slice(&key.0), &key.iv());
    for block in buf.chunks_exact_mut(AES_BLOCK) {
        cipher.encrypt_block_mut(GenericArray::from_mut_slice(block));
    }
    base64::engine::general_purpose::STANDARD.encode(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
    const APP: &str = "wx1234567890abcdef";

    fn key() -> AesKey {
        AesKey::from_encoding_aes_key(KEY).expect("key")
    }

    #[test]
    fn an_encoding_aes_key_is_43_base64_characters_and_gives_32_bytes() {
        let key = key();
        // Encoded again, the key reads back as the same bytes (its spare bits zeroed).
        assert_eq!(key.to_encoding_aes_key().len(), ENCODING_AES_KEY_LEN);
        assert_eq!(
            AesKey::from_encoding_aes_key(&key.to_encoding_aes_key()),
            Some(key.clone())
        );
        for bad in [
            "",
            "short",
            &KEY[..42],
            &format!("{KEY}H"),
            "abcdefghijklmnopqrstuvwxyz0123456789ABCDEF=",
            "abcdefghijklmnopqrstuvwxyz0123456789ABCDEF-",
        ] {
            assert!(AesKey::from_encoding_aes_key(bad).is_none(), "{bad}");
        }
        assert_eq!(format!("{:?}", key), "AesKey(***)");
    }

    #[test]
    fn the_key_bytes_match_an_independent_decoding() {
        // python3: base64.b64decode(KEY + "=").hex() — the last character's 2 spare bits
        // (G = 0b000110) are dropped, not refused.
        let expected = hex::decode("69b71d79f8218a39259a7a29aabb2dbafc31cb3d35db7e39ebbf3d0010831051").expect("hex");
        assert_eq!(key().0.to_vec(), expected);
    }

    #[test]
    fn a_message_encrypted_is_decrypted_back_and_is_padded_to_32_bytes() {
        let xml = "<xml><Content><![CDATA[你好]]></Content></xml>";
        let sealed = encrypt_with(&key(), APP, xml, [7; 16]);
        let raw = base64::engine::general_purpose::STANDARD.decode(&sealed).expect("b64");
        assert_eq!(raw.len() % 32, 0);
        assert_eq!(decrypt(&key(), APP, &sealed), Ok(xml.to_owned()));
        // Fresh random bytes: two encryptions differ, both decrypt.
        let (a, b) = (encrypt(&key(), APP, xml), encrypt(&key(), APP, xml));
        assert_ne!(a, b);
        assert_eq!(decrypt(&key(), APP, &b), Ok(xml.to_owned()));
        // Every length around a block boundary, the empty message too.
        for n in 0..70 {
            let text = "x".repeat(n);
            assert_eq!(decrypt(&key(), APP, &encrypt(&key(), APP, &text)), Ok(text));
        }
    }

    #[test]
    fn another_accounts_message_a_wrong_key_and_garbage_are_refused() {
        let sealed = encrypt(&key(), APP, "<xml/>");
        assert_eq!(decrypt(&key(), "wxother", &sealed), Err(CryptError::WrongAppId));
        let other = AesKey::from_bytes([9; 32]);
        assert!(decrypt(&other, APP, &sealed).is_err());
        assert_eq!(decrypt(&key(), APP, "not base64 at all!"), Err(CryptError::NotBase64));
        assert_eq!(decrypt(&key(), APP, ""), Err(CryptError::BadLength));
        assert_eq!(decrypt(&key(), APP, "AAAA"), Err(CryptError::BadLength));
        let odd = base64::engine::general_purpose::STANDARD.encode([0u8; 40]);
        assert_eq!(decrypt(&key(), APP, &odd), Err(CryptError::BadLength));
    }

    #[test]
    fn a_length_field_pointing_past_the_end_is_refused_not_a_panic() {
        // Build a plaintext by hand whose length field claims more than there is.
        let mut plain = vec![0u8; 16];
        plain.extend_from_slice(&u32::MAX.to_be_bytes());
        plain.extend_from_slice(b"<xml/>");
        let pad = 32 - plain.len() % 32;
        plain.resize(plain.len() + pad, pad as u8);
        let k = key();
        let mut cipher = Encryptor::new(GenericArray::from_slice(&k.0), &k.iv());
        for block in plain.chunks_exact_mut(16) {
            cipher.encrypt_block_mut(GenericArray::from_mut_slice(block));
        }
        let sealed = base64::engine::general_purpose::STANDARD.encode(plain);
        assert_eq!(decrypt(&k, APP, &sealed), Err(CryptError::BadMessageLength));
    }
}
