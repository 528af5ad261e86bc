//! WeChat's server URL as a hostile client or a broken proxy feeds it: any query and any body through the whole
//! check — size, signature, time, safe mode's decryption, the XML — must give a message or a typed refusal, never a
//! panic. The input is also signed (and encrypted) correctly, so that the fuzzer reaches past the signature into the
//! decryption and the parser, and whatever is read back must be a message the dedupe key can name.

#![no_main]

use charity_relay::wechat::{Keys, Signed, crypt, read_push, signature, xml};
use libfuzzer_sys::fuzz_target;

const TOKEN: &str = "fuzzToken1";
const APP_ID: &str = "wx0123456789abcdef";
const NOW: i64 = 1_733_616_000;

fn keys(safe: bool) -> Keys {
    Keys {
        token: TOKEN.to_owned(),
        app_id: APP_ID.to_owned(),
        aes_key: safe.then(|| crypt::AesKey::from_bytes([7; 32])),
    }
}

fn signed(encrypted: Option<&str>) -> Signed {
    let ts = NOW.to_string();
    Signed {
        signature: Some(signature::sign(&[TOKEN, &ts, "n"])),
        msg_signature: encrypted.map(|e| signature::sign(&[TOKEN, &ts, "n", e])),
        timestamp: Some(ts),
        nonce: Some("n".to_owned()),
        echostr: None,
    }
}

fn check(read: Result<xml::Inbound, charity_relay::wechat::Refusal>) {
    match read {
        Ok(message) => {
            let key = message.dedupe_key();
            assert!(key.starts_with("msg:") || key.starts_with("at:"), "{key}");
            assert!(!message.from().is_empty());
            let json = serde_json::to_string(&message).expect("a message serializes");
            assert_eq!(
                serde_json::from_str::<xml::Inbound>(&json).expect("and reads back"),
                message
            );
        }
        Err(refusal) => assert!(refusal.reason().starts_with("wechat.")),
    }
}

fuzz_target!(|data: &[u8]| {
    // The first line is the query as sent; the rest the body.
    let split = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
    let (query, body) = (
        String::from_utf8_lossy(&data[..split]),
        data.get(split + 1..).unwrap_or_default(),
    );
    let q = Signed::from_query(&query);
    for safe in [false, true] {
        check(read_push(&keys(safe), &q, body, NOW));
    }

    // Signed right, plain: the body reaches the parser.
    check(read_push(&keys(false), &signed(None), body, NOW));

    // Signed right, safe mode: the body as the Encrypt text reaches the decryption…
    let text = String::from_utf8_lossy(body);
    if !text.contains(['<', '&', ']']) {
        let envelope = format!("<xml><Encrypt><![CDATA[{text}]]></Encrypt></xml>");
        check(read_push(
            &keys(true),
            &signed(Some(text.trim())),
            envelope.as_bytes(),
            NOW,
        ));
    }
    // …and, encrypted for the account, the parser behind it.
    if let Some(key) = keys(true).aes_key {
        let sealed = crypt::encrypt_with(&key, APP_ID, &text, [1; 16]);
        assert_eq!(
            crypt::decrypt(&key, APP_ID, &sealed).as_deref(),
            Ok(&*text),
            "a round trip changes nothing"
        );
        let envelope = format!("<xml><Encrypt>{sealed}</Encrypt></xml>");
        check(read_push(&keys(true), &signed(Some(&sealed)), envelope.as_bytes(), NOW));
    }
});
