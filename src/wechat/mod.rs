//! The WeChat Official Account adapter (issue 19). This increment is the intake: the server
//! URL WeChat calls (`GET` to verify it, `POST` to push messages and events), which checks
//! every request before any database work and stores each message once before answering
//! `success`. Handling the stored messages through the dialogue and sending replies come next.
//!
//! The protocol itself is pure and tested in place: [`signature`], [`crypt`] (safe mode),
//! [`xml`]; [`read_push`] and [`read_echo`] put them together in the order a request is
//! checked (and are what the fuzz target `wechat_intake` drives).

pub mod crypt;
pub mod signature;
pub mod xml;

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::Utc;
use sea_orm::DatabaseConnection;

use crate::AppState;
use crate::config::WechatConfig;
use crate::metrics::AnonymousRefusals;
use crate::services::wechat::{self as store, Push};
use xml::{Inbound, XmlError};

/// Largest request body read: a push is at most a few KiB (safe mode's Base64 adds a third).
pub const MAX_BODY: usize = xml::MAX_XML_BYTES;
/// How far a request's timestamp may be from now, either way, in seconds: an older one is a
/// replay (WeChat's retries all come within a minute).
pub const MAX_SKEW_SECONDS: i64 = 5 * 60;

/// Why a request is refused. Each has a reason counted in `relay_anonymous_refusals_total`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The signature is missing or wrong.
    #[error("bad signature")]
    BadSignature,
    /// The timestamp is missing, not a number, or more than 5 minutes from now.
    #[error("stale or missing timestamp")]
    Stale,
    /// The body is longer than [`MAX_BODY`].
    #[error("body too large")]
    TooLarge,
    /// The XML has a DOCTYPE, an entity, or nests too deep.
    #[error("hostile XML: {0}")]
    Hostile(XmlError),
    /// The XML is not a WeChat push, or the query lacks what it needs.
    #[error("malformed: {0}")]
    Malformed(String),
    /// Safe mode: the message cannot be decrypted, or names another AppID.
    #[error("cannot decrypt: {0}")]
    Undecryptable(crypt::CryptError),
}

impl Refusal {
    /// The metric label (a bounded set, from the code).
    pub fn reason(&self) -> &'static str {
        match self {
            Self::BadSignature => "wechat.bad_signature",
            Self::Stale => "wechat.stale_timestamp",
            Self::TooLarge => "wechat.too_large",
            Self::Hostile(_) => "wechat.hostile_xml",
            Self::Malformed(_) => "wechat.malformed",
            Self::Undecryptable(_) => "wechat.undecryptable",
        }
    }

    /// The HTTP status answered.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadSignature => StatusCode::FORBIDDEN,
            Self::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Stale | Self::Hostile(_) | Self::Malformed(_) | Self::Undecryptable(_) => StatusCode::BAD_REQUEST,
        }
    }
}

impl From<XmlError> for Refusal {
    fn from(e: XmlError) -> Self {
        match e {
            XmlError::TooLarge => Self::TooLarge,
            e if e.is_hostile() => Self::Hostile(e),
            e => Self::Malformed(e.to_string()),
        }
    }
}

/// What the server URL checks requests with. `Debug` shows no secret.
#[derive(Clone)]
pub struct Keys {
    /// The server token.
    pub token: String,
    /// The account's AppID (checked inside safe-mode messages).
    pub app_id: String,
    /// Safe mode's key, when on.
    pub aes_key: Option<crypt::AesKey>,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys")
            .field("token", &"***")
            .field("app_id", &self.app_id)
            .field("aes_key", &self.aes_key)
            .finish()
    }
}

impl Keys {
    /// The keys of a configured account.
    pub fn of(config: &WechatConfig) -> Self {
        Self {
            token: config.token.expose().to_owned(),
            app_id: config.app_id.clone(),
            aes_key: config.aes_key.clone(),
        }
    }
}

/// The query parameters WeChat signs a request with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Signed {
    /// `signature`: over token, timestamp and nonce.
    pub signature: Option<String>,
    /// `msg_signature`: safe mode's, over those and the encrypted text.
    pub msg_signature: Option<String>,
    /// `timestamp`: seconds since the epoch.
    pub timestamp: Option<String>,
    /// `nonce`.
    pub nonce: Option<String>,
    /// `echostr`: what a verification `GET` wants echoed.
    pub echostr: Option<String>,
}

impl Signed {
    /// The parameters of a raw query string (others are ignored; the first of a repeated one
    /// counts).
    pub fn from_query(query: &str) -> Self {
        let mut signed = Self::default();
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            let slot = match name.as_ref() {
                "signature" => &mut signed.signature,
                "msg_signature" => &mut signed.msg_signature,
                "timestamp" => &mut signed.timestamp,
                "nonce" => &mut signed.nonce,
                "echostr" => &mut signed.echostr,
                _ => continue,
            };
            if slot.is_none() {
                *slot = Some(value.into_owned());
            }
        }
        signed
    }
}

fn signed_by(keys: &Keys, given: Option<&str>, q: &Signed, extra: Option<&str>) -> Result<(), Refusal> {
    let (Some(given), Some(timestamp), Some(nonce)) = (given, q.timestamp.as_deref(), q.nonce.as_deref()) else {
        return Err(Refusal::BadSignature);
    };
    let mut parts = vec![keys.token.as_str(), timestamp, nonce];
    parts.extend(extra);
    if signature::verify(given, &parts) {
        Ok(())
    } else {
        Err(Refusal::BadSignature)
    }
}

fn fresh(q: &Signed, now: i64) -> Result<(), Refusal> {
    let at = q
        .timestamp
        .as_deref()
        .and_then(|t| t.trim().parse::<i64>().ok())
        .ok_or(Refusal::Stale)?;
    if now.abs_diff(at) > MAX_SKEW_SECONDS.unsigned_abs() {
        return Err(Refusal::Stale);
    }
    Ok(())
}

/// Checks a verification `GET` (signature, then time) and gives the `echostr` to answer.
pub fn read_echo<'q>(keys: &Keys, q: &'q Signed, now: i64) -> Result<&'q str, Refusal> {
    signed_by(keys, q.signature.as_deref(), q, None)?;
    fresh(q, now)?;
    q.echostr
        .as_deref()
        .ok_or_else(|| Refusal::Malformed("no echostr".to_owned()))
}

/// Checks a pushed body in order — size; signature (safe mode: the envelope's `msg_signature`
/// over the encrypted text); time; decryption with the AppID checked; the XML — and reads the
/// message. Pure: no IO, no panic, whatever the input.
pub fn read_push(keys: &Keys, q: &Signed, body: &[u8], now: i64) -> Result<Inbound, Refusal> {
    if body.len() > MAX_BODY {
        return Err(Refusal::TooLarge);
    }
    let plain = match &keys.aes_key {
        None => {
            signed_by(keys, q.signature.as_deref(), q, None)?;
            fresh(q, now)?;
            let text = std::str::from_utf8(body).map_err(|_| Refusal::Malformed("not UTF-8".to_owned()))?;
            return Ok(xml::parse_inbound(text)?);
        }
        Some(key) => {
            // What the signature needs is there before the body is parsed for it: an unsigned
            // request is refused as such without a byte of XML read.
            if q.msg_signature.is_none() || q.timestamp.is_none() || q.nonce.is_none() {
                return Err(Refusal::BadSignature);
            }
            // A stale or future timestamp is refused before any XML is read; the signature,
            // checked next, is what makes the timestamp trustworthy.
            fresh(q, now)?;
            let text = std::str::from_utf8(body).map_err(|_| Refusal::Malformed("not UTF-8".to_owned()))?;
            let envelope = xml::parse_envelope(text)?;
            signed_by(keys, q.msg_signature.as_deref(), q, Some(&envelope.encrypt))?;
            fresh(q, now)?;
            crypt::decrypt(key, &keys.app_id, &envelope.encrypt).map_err(Refusal::Undecryptable)?
        }
    };
    Ok(xml::parse_inbound(&plain)?)
}

/// What the server URL's handlers share.
#[derive(Clone)]
pub struct IntakeState {
    db: DatabaseConnection,
    keys: Arc<Keys>,
    refusals: AnonymousRefusals,
    pushes: prometheus::IntCounterVec,
}

/// The server URL at `RELAY_WECHAT_PATH`, when the channel is on; an empty router otherwise.
pub fn router(state: &AppState) -> Router {
    let Some(config) = &state.config.wechat else {
        return Router::new();
    };
    Router::new()
        .route(&config.path, get(verify).post(push))
        .with_state(IntakeState {
            db: state.db.clone(),
            keys: Arc::new(Keys::of(config)),
            refusals: state.metrics.anonymous_refusals.clone(),
            pushes: state.metrics.wechat_pushes.clone(),
        })
}

/// The server URL's path, when the channel is on (its POSTs are signed, not CSRF-guarded).
pub fn path(config: &crate::config::Config) -> Option<&str> {
    config.wechat.as_ref().map(|w| w.path.as_str())
}

fn now() -> i64 {
    Utc::now().timestamp()
}

fn refuse(state: &IntakeState, refusal: &Refusal) -> Response {
    state.refusals.refuse(refusal.reason());
    refusal.status().into_response()
}

fn plain_text(text: String) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response()
}

/// `GET`: WeChat checks the server URL when it is saved in the admin console; the signed
/// `echostr` is answered unchanged.
async fn verify(State(state): State<IntakeState>, RawQuery(query): RawQuery) -> Response {
    let signed = Signed::from_query(query.as_deref().unwrap_or(""));
    match read_echo(&state.keys, &signed, now()) {
        Ok(echo) => plain_text(echo.to_owned()),
        Err(refusal) => refuse(&state, &refusal),
    }
}

/// `POST`: a message or event. The body is read up to [`MAX_BODY`] (a longer one is refused
/// unread), checked by [`read_push`], then stored once before `success` acknowledges it. A
/// redelivery is acknowledged too, without a second row; a database failure answers 503, and
/// WeChat delivers again.
async fn push(State(state): State<IntakeState>, RawQuery(query): RawQuery, headers: HeaderMap, body: Body) -> Response {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BODY) {
        return refuse(&state, &Refusal::TooLarge);
    }
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY).await else {
        return refuse(&state, &Refusal::TooLarge);
    };
    let signed = Signed::from_query(query.as_deref().unwrap_or(""));
    let message = match read_push(&state.keys, &signed, &bytes, now()) {
        Ok(message) => message,
        Err(refusal) => return refuse(&state, &refusal),
    };
    let Ok(payload) = serde_json::to_string(&message) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let key = message.dedupe_key();
    let row = Push {
        dedupe_key: &key,
        open_id: message.from(),
        kind: message.kind(),
        payload: &payload,
    };
    match store::store_push(&state.db, &row, Utc::now()).await {
        Ok(new) => {
            state
                .pushes
                .with_label_values(&[if new { "stored" } else { "redelivered" }])
                .inc();
            plain_text("success".to_owned())
        }
        Err(e) => {
            tracing::warn!(error = %e, "cannot store a wechat push; WeChat will deliver it again");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "relayToken1";
    const APP: &str = "wx0123456789abcdef";
    const NOW: i64 = 1_733_616_000;

    fn keys(safe: bool) -> Keys {
        Keys {
            token: TOKEN.to_owned(),
            app_id: APP.to_owned(),
            aes_key: safe.then(|| crypt::AesKey::from_bytes([3; 32])),
        }
    }

    fn signed(ts: i64, extra: Option<&str>) -> Signed {
        let ts = ts.to_string();
        let mut parts = vec![TOKEN, ts.as_str(), "n0nce"];
        parts.extend(extra);
        let sig = signature::sign(&parts);
        Signed {
            signature: Some(signature::sign(&[TOKEN, ts.as_str(), "n0nce"])),
            msg_signature: extra.map(|_| sig),
            timestamp: Some(ts.clone()),
            nonce: Some("n0nce".to_owned()),
            echostr: Some("echo-123".to_owned()),
        }
    }

    const TEXT: &str = "<xml><FromUserName>oShop</FromUserName><CreateTime>1733616000</CreateTime>\
        <MsgType>text</MsgType><Content>需求</Content><MsgId>77</MsgId></xml>";

    #[test]
    fn the_keys_never_show_their_secrets() {
        let shown = format!("{:?}", keys(true));
        assert!(
            !shown.contains(TOKEN) && shown.contains("***") && shown.contains("AesKey(***)"),
            "{shown}"
        );
    }

    #[test]
    fn the_query_is_read_by_name_and_the_first_of_a_repeat_counts() {
        let q = Signed::from_query("signature=ab&timestamp=1&nonce=x%20y&echostr=e&signature=zz&other=1");
        assert_eq!(q.signature.as_deref(), Some("ab"));
        assert_eq!(q.nonce.as_deref(), Some("x y"));
        assert_eq!(q.msg_signature, None);
    }

    #[test]
    fn a_verification_echoes_when_signed_and_fresh() {
        let q = signed(NOW, None);
        assert_eq!(read_echo(&keys(false), &q, NOW + 10), Ok("echo-123"));
        let mut forged = q.clone();
        forged.signature = Some("0".repeat(40));
        assert_eq!(read_echo(&keys(false), &forged, NOW), Err(Refusal::BadSignature));
        assert_eq!(read_echo(&keys(false), &q, NOW + 301), Err(Refusal::Stale));
        assert_eq!(
            read_echo(&keys(false), &Signed::default(), NOW),
            Err(Refusal::BadSignature)
        );
    }

    #[test]
    fn a_plain_push_is_read_when_signed_and_fresh() {
        let q = signed(NOW, None);
        let msg = read_push(&keys(false), &q, TEXT.as_bytes(), NOW).expect("read");
        assert_eq!(msg.dedupe_key(), "msg:77");
        assert_eq!(
            read_push(&keys(false), &q, TEXT.as_bytes(), NOW - 301),
            Err(Refusal::Stale)
        );
        assert_eq!(
            read_push(&keys(false), &q, TEXT.as_bytes(), NOW + 301),
            Err(Refusal::Stale)
        );
        let mut other_token = keys(false);
        other_token.token = "another".into();
        assert_eq!(
            read_push(&other_token, &q, TEXT.as_bytes(), NOW),
            Err(Refusal::BadSignature)
        );
        let big = vec![b' '; MAX_BODY + 1];
        assert_eq!(read_push(&keys(false), &q, &big, NOW), Err(Refusal::TooLarge));
        let hostile = "<!DOCTYPE xml [<!ENTITY a \"b\">]><xml/>";
        assert_eq!(
            read_push(&keys(false), &q, hostile.as_bytes(), NOW).map_err(|r| r.reason()),
            Err("wechat.hostile_xml")
        );
        assert_eq!(
            read_push(&keys(false), &q, b"\xff\xfe", NOW).map_err(|r| r.reason()),
            Err("wechat.malformed")
        );
    }

    #[test]
    fn a_safe_mode_push_is_checked_over_the_ciphertext_then_decrypted() {
        let k = keys(true);
        let aes = k.aes_key.clone().expect("key");
        let sealed = crypt::encrypt(&aes, APP, TEXT);
        let body = format!("<xml><ToUserName>gh</ToUserName><Encrypt><![CDATA[{sealed}]]></Encrypt></xml>");
        let q = signed(NOW, Some(&sealed));
        assert_eq!(
            read_push(&k, &q, body.as_bytes(), NOW).expect("read").dedupe_key(),
            "msg:77"
        );
        // The plain signature alone is not enough in safe mode.
        let mut only_plain = q.clone();
        only_plain.msg_signature = None;
        assert_eq!(
            read_push(&k, &only_plain, body.as_bytes(), NOW),
            Err(Refusal::BadSignature)
        );
        // Another account's message, signed right, is refused by its AppID.
        let foreign = crypt::encrypt(&aes, "wxother", TEXT);
        let foreign_body = format!("<xml><Encrypt>{foreign}</Encrypt></xml>");
        assert_eq!(
            read_push(&k, &signed(NOW, Some(&foreign)), foreign_body.as_bytes(), NOW),
            Err(Refusal::Undecryptable(crypt::CryptError::WrongAppId))
        );
        // A plain body where safe mode expects an envelope.
        assert_eq!(
            read_push(&k, &q, TEXT.as_bytes(), NOW).map_err(|r| r.reason()),
            Err("wechat.malformed")
        );
    }
}
