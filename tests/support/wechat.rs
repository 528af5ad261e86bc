//! WeChat's side of the server URL, as the tests play it: the account's settings, and pushes
//! signed (and in safe mode encrypted) the way WeChat's servers sign them.

use std::collections::HashMap;

use charity_relay::wechat::{crypt, signature};

use super::TestApp;

/// The test account's AppID.
pub const APP_ID: &str = "wx0123456789abcdef";
/// The server token the tests sign with.
pub const TOKEN: &str = "relayTestToken1";
/// The test account's EncodingAESKey (safe mode).
pub const AES_KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
/// Where the server URL listens in the tests.
pub const PATH: &str = "/wechat";

/// How the account sends its messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Plain XML (明文模式).
    Plain,
    /// Encrypted (安全模式).
    Safe,
}

/// Puts the WeChat settings of `mode` in a test's environment.
pub fn configure(env: &mut HashMap<String, String>, mode: Mode) {
    env.insert("RELAY_WECHAT_APP_ID".into(), APP_ID.into());
    env.insert("RELAY_WECHAT_TOKEN".into(), TOKEN.into());
    if mode == Mode::Safe {
        env.insert("RELAY_WECHAT_AES_KEY".into(), AES_KEY.into());
    }
}

impl TestApp {
    /// Starts the app with the WeChat channel on, in `mode`.
    pub async fn spawn_with_wechat(mode: Mode) -> Self {
        Self::spawn_with(|env| configure(env, mode)).await
    }
}

/// Seconds since the epoch, now.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// The query WeChat signs a request with, at `timestamp`; in safe mode `encrypted` is the
/// `Encrypt` text `msg_signature` covers.
pub fn signed_query(timestamp: i64, nonce: &str, encrypted: Option<&str>) -> String {
    let ts = timestamp.to_string();
    let mut query = format!(
        "signature={}&timestamp={ts}&nonce={nonce}",
        signature::sign(&[TOKEN, &ts, nonce])
    );
    if let Some(encrypted) = encrypted {
        query.push_str(&format!(
            "&openid=oShop&encrypt_type=aes&msg_signature={}",
            signature::sign(&[TOKEN, &ts, nonce, encrypted])
        ));
    }
    query
}

/// A text message from `from`, as WeChat pushes it.
pub fn text_message(from: &str, msg_id: u64, content: &str) -> String {
    format!(
        "<xml><ToUserName><![CDATA[gh_relay]]></ToUserName><FromUserName><![CDATA[{from}]]></FromUserName>\
         <CreateTime>{}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{content}]]></Content>\
         <MsgId>{msg_id}</MsgId></xml>",
        now()
    )
}

/// An event from `from` created at `create_time`.
pub fn event(from: &str, create_time: i64, event: &str, key: &str) -> String {
    format!(
        "<xml><ToUserName><![CDATA[gh_relay]]></ToUserName><FromUserName><![CDATA[{from}]]></FromUserName>\
         <CreateTime>{create_time}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[{event}]]></Event>\
         <EventKey><![CDATA[{key}]]></EventKey></xml>"
    )
}

/// The body and query of `xml` pushed in `mode`, signed at `timestamp`.
pub fn sealed(mode: Mode, xml: &str, timestamp: i64) -> (String, String) {
    match mode {
        Mode::Plain => (signed_query(timestamp, "n0nce", None), xml.to_owned()),
        Mode::Safe => {
            let key = crypt::AesKey::from_encoding_aes_key(AES_KEY).expect("test key");
            let encrypted = crypt::encrypt(&key, APP_ID, xml);
            let body = format!(
                "<xml><ToUserName><![CDATA[gh_relay]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
            );
            (signed_query(timestamp, "n0nce", Some(&encrypted)), body)
        }
    }
}

/// POSTs `body` to the server URL with `query`; the status and the answer.
pub async fn post(app: &TestApp, query: &str, body: impl Into<reqwest::Body>) -> (u16, String) {
    let response = app
        .client
        .post(app.url(&format!("{PATH}?{query}")))
        .header("content-type", "text/xml")
        .body(body)
        .send()
        .await
        .expect("post");
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

/// Pushes `xml` as WeChat would in `mode`, now.
pub async fn push(app: &TestApp, mode: Mode, xml: &str) -> (u16, String) {
    let (query, body) = sealed(mode, xml, now());
    post(app, &query, body).await
}
