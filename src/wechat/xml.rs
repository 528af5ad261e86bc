//! WeChat's XML pushes read into a typed [`Inbound`] (or safe mode's [`Envelope`]).
//!
//! The input is hostile until proven otherwise: its size is bounded before a byte is parsed,
//! a DOCTYPE (and with it any entity definition) is refused, as is a reference to any entity
//! but XML's five and character references; nesting is bounded, and so is the number of
//! fields. A wrong shape is an [`XmlError`], never a panic.

use quick_xml::Reader;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::Event;
use serde::{Deserialize, Serialize};

/// Largest XML document read (a text message is at most 2,048 characters; events are smaller).
pub const MAX_XML_BYTES: usize = 16 * 1024;
/// Deepest nesting accepted: `<xml>` is 1, its fields 2; WeChat's deepest events (a picture
/// list) reach 4.
pub const MAX_DEPTH: usize = 6;
/// Most elements read in one document.
pub const MAX_ELEMENTS: usize = 64;

/// Why a push cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XmlError {
    /// Longer than [`MAX_XML_BYTES`].
    #[error("the XML is longer than {MAX_XML_BYTES} bytes")]
    TooLarge,
    /// It has a DOCTYPE (the way to define entities).
    #[error("the XML has a DOCTYPE")]
    Doctype,
    /// It refers to an entity that is not one of XML's five.
    #[error("the XML refers to an entity")]
    Entity,
    /// It nests deeper than [`MAX_DEPTH`].
    #[error("the XML nests deeper than {MAX_DEPTH}")]
    TooDeep,
    /// It has more than [`MAX_ELEMENTS`] elements.
    #[error("the XML has more than {MAX_ELEMENTS} elements")]
    TooManyElements,
    /// It is not well-formed XML.
    #[error("the XML is not well-formed")]
    Syntax,
    /// Its root is not `<xml>`, or it has more than one root.
    #[error("the XML is not a WeChat message")]
    NotWechat,
    /// A field WeChat always sends is missing.
    #[error("the field {0} is missing")]
    Missing(&'static str),
    /// A field holds what it cannot (a time that is not a number, say).
    #[error("the field {0} is malformed")]
    Malformed(&'static str),
    /// A field is given twice.
    #[error("a field is given twice")]
    Duplicate,
}

impl XmlError {
    /// True for what only an attacker sends (a DOCTYPE, an entity, deep nesting); false for a
    /// message that is merely wrong.
    pub fn is_hostile(&self) -> bool {
        matches!(
            self,
            Self::Doctype | Self::Entity | Self::TooDeep | Self::TooManyElements
        )
    }
}

/// A message or event a WeChat user sent the account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Inbound {
    /// A text message (`MsgType` text).
    Text {
        /// `FromUserName`: the sender's openid.
        from: String,
        /// `CreateTime`: seconds since the epoch.
        create_time: i64,
        /// `MsgId`: WeChat's 64-bit id of the message.
        msg_id: u64,
        /// `Content`: what the user typed.
        content: String,
    },
    /// An event (`MsgType` event): follow, unfollow, scan, menu click…
    Event {
        /// `FromUserName`.
        from: String,
        /// `CreateTime`.
        create_time: i64,
        /// `Event`: `subscribe`, `unsubscribe`, `SCAN`, `CLICK`…
        event: String,
        /// `EventKey`, when the event has one (a QR code's scene, a menu key).
        event_key: Option<String>,
    },
    /// Any other kind (image, voice, location…), kept so that it is acknowledged once.
    Other {
        /// `FromUserName`.
        from: String,
        /// `CreateTime`.
        create_time: i64,
        /// `MsgType` as sent.
        msg_type: String,
        /// `MsgId`, when the kind has one.
        msg_id: Option<u64>,
    },
}

impl Inbound {
    /// The sender's openid.
    pub fn from(&self) -> &str {
        match self {
            Self::Text { from, .. } | Self::Event { from, .. } | Self::Other { from, .. } => from,
        }
    }

    /// The key a redelivery shares with the first delivery: the `MsgId`, or for what has
    /// none (events) the sender and the creation time, as WeChat advises — with a digest of
    /// what happened, since one second can carry two events of one person (a scan and a
    /// location report) and the second must not be taken for a redelivery of the first.
    pub fn dedupe_key(&self) -> String {
        use sha2::{Digest, Sha256};
        let what = match self {
            Self::Text { msg_id, .. }
            | Self::Other {
                msg_id: Some(msg_id), ..
            } => return format!("msg:{msg_id}"),
            Self::Event { event, event_key, .. } => format!("{event}\n{}", event_key.as_deref().unwrap_or("")),
            Self::Other { msg_type, .. } => msg_type.clone(),
        };
        let digest = hex::encode(&Sha256::digest(what.as_bytes())[..8]);
        format!("at:{}:{}:{digest}", self.from(), self.create_time())
    }

    /// `CreateTime`.
    pub fn create_time(&self) -> i64 {
        match self {
            Self::Text { create_time, .. } | Self::Event { create_time, .. } | Self::Other { create_time, .. } => {
                *create_time
            }
        }
    }

    /// The kind, for the stored row: `text`, `event` or WeChat's `MsgType`.
    pub fn kind(&self) -> &str {
        match self {
            Self::Text { .. } => "text",
            Self::Event { .. } => "event",
            Self::Other { msg_type, .. } => msg_type,
        }
    }
}

/// Safe mode's outer document: the encrypted message and the account it was sent to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// `ToUserName`: the account's original id, when given.
    pub to: Option<String>,
    /// `Encrypt`: the Base64 ciphertext.
    pub encrypt: String,
}

/// Reads a plain (or decrypted) push.
pub fn parse_inbound(xml: &str) -> Result<Inbound, XmlError> {
    let fields = fields(xml)?;
    let from = required(&fields, "FromUserName")?;
    if from.is_empty() || from.len() > 128 {
        return Err(XmlError::Malformed("FromUserName"));
    }
    let create_time = required(&fields, "CreateTime")?
        .trim()
        .parse::<i64>()
        .map_err(|_| XmlError::Malformed("CreateTime"))?;
    let msg_type = required(&fields, "MsgType")?.trim().to_owned();
    let msg_id = |needed: bool| -> Result<Option<u64>, XmlError> {
        match field(&fields, "MsgId") {
            Some(text) => text
                .trim()
                .parse::<u64>()
                .map(Some)
                .map_err(|_| XmlError::Malformed("MsgId")),
            None if needed => Err(XmlError::Missing("MsgId")),
            None => Ok(None),
        }
    };
    let from = from.to_owned();
    Ok(match msg_type.as_str() {
        "text" => Inbound::Text {
            from,
            create_time,
            msg_id: msg_id(true)?.ok_or(XmlError::Missing("MsgId"))?,
            content: required(&fields, "Content")?.to_owned(),
        },
        "event" => Inbound::Event {
            from,
            create_time,
            event: required(&fields, "Event")?.trim().to_owned(),
            event_key: field(&fields, "EventKey").map(str::to_owned).filter(|k| !k.is_empty()),
        },
        "" => return Err(XmlError::Malformed("MsgType")),
        _ if msg_type.len() > 32 || !msg_type.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') => {
            return Err(XmlError::Malformed("MsgType"));
        }
        _ => Inbound::Other {
            from,
            create_time,
            msg_id: msg_id(false)?,
            msg_type,
        },
    })
}

/// Reads safe mode's outer document.
pub fn parse_envelope(xml: &str) -> Result<Envelope, XmlError> {
    let fields = fields(xml)?;
    let encrypt = required(&fields, "Encrypt")?.trim().to_owned();
    if encrypt.is_empty() {
        return Err(XmlError::Malformed("Encrypt"));
    }
    Ok(Envelope {
        to: field(&fields, "ToUserName").map(str::to_owned),
        encrypt,
    })
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

fn required<'a>(fields: &'a [(String, String)], name: &'static str) -> Result<&'a str, XmlError> {
    field(fields, name).ok_or(XmlError::Missing(name))
}

/// The text of each child of `<xml>` (children of children are walked over, bounded, and
/// not kept). Each name is given once.
fn fields(xml: &str) -> Result<Vec<(String, String)>, XmlError> {
    if xml.len() > MAX_XML_BYTES {
        return Err(XmlError::TooLarge);
    }
    let mut reader = Reader::from_str(xml);
    reader.config_mut().trim_text(false);
    let mut fields: Vec<(String, String)> = Vec::new();
    // The open elements' names, the root first.
    let mut open: Vec<String> = Vec::new();
    let mut elements = 0usize;
    let mut seen_root = false;
    let mut text = String::new();
    loop {
        let event = reader.read_event().map_err(|_| XmlError::Syntax)?;
        match event {
            Event::DocType(_) => return Err(XmlError::Doctype),
            Event::Start(ref start) | Event::Empty(ref start) => {
                elements += 1;
                if elements > MAX_ELEMENTS {
                    return Err(XmlError::TooManyElements);
                }
                if open.len() + 1 > MAX_DEPTH {
                    return Err(XmlError::TooDeep);
                }
                let name = start.name().as_ref().to_owned();
                if open.is_empty() {
                    if seen_root || name != "xml" {
                        return Err(XmlError::NotWechat);
                    }
                    seen_root = true;
                }
                text.clear();
                let empty = matches!(event, Event::Empty(_));
                if empty {
                    if open.len() == 1 {
                        push_field(&mut fields, name, String::new())?;
                    }
                } else {
                    open.push(name);
                }
            }
            Event::End(_) => {
                let name = open.pop().ok_or(XmlError::Syntax)?;
                if open.len() == 1 {
                    push_field(&mut fields, name, std::mem::take(&mut text))?;
                }
                text.clear();
            }
            Event::Text(t) => {
                if open.is_empty() {
                    // Only white space may stand outside the root.
                    if !t.as_ref().trim().is_empty() {
                        return Err(XmlError::Syntax);
                    }
                } else if open.len() == 2 {
                    text.push_str(&t.xml10_content());
                }
            }
            Event::CData(c) => {
                if open.len() != 2 {
                    return Err(XmlError::Syntax);
                }
                text.push_str(&c.xml10_content());
            }
            Event::GeneralRef(r) => {
                let resolved = if r.is_char_ref() {
                    r.resolve_char_ref().ok().flatten()
                } else {
                    None
                };
                let piece: String = match resolved {
                    Some(c) => c.to_string(),
                    None => resolve_predefined_entity(r.as_ref())
                        .ok_or(XmlError::Entity)?
                        .to_owned(),
                };
                if open.is_empty() {
                    return Err(XmlError::Syntax);
                }
                if open.len() == 2 {
                    text.push_str(&piece);
                }
            }
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) => {}
            Event::Eof => break,
        }
    }
    if !seen_root || !open.is_empty() {
        return Err(XmlError::Syntax);
    }
    Ok(fields)
}

fn push_field(fields: &mut Vec<(String, String)>, name: String, value: String) -> Result<(), XmlError> {
    if fields.iter().any(|(n, _)| *n == name) {
        return Err(XmlError::Duplicate);
    }
    fields.push((name, value));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "<xml><ToUserName><![CDATA[gh_relay]]></ToUserName>\
        <FromUserName><![CDATA[oShop123]]></FromUserName><CreateTime>1733616000</CreateTime>\
        <MsgType><![CDATA[text]]></MsgType><Content><![CDATA[需求 <list> & more]]></Content>\
        <MsgId>24567890123456789</MsgId></xml>";

    #[test]
    fn a_text_message_is_read_with_its_cdata_kept_as_typed() {
        let msg = parse_inbound(TEXT).expect("text");
        assert_eq!(
            msg,
            Inbound::Text {
                from: "oShop123".into(),
                create_time: 1_733_616_000,
                msg_id: 24_567_890_123_456_789,
                content: "需求 <list> & more".into(),
            }
        );
        assert_eq!(msg.dedupe_key(), "msg:24567890123456789");
        assert_eq!(msg.kind(), "text");
        assert_eq!(msg.from(), "oShop123");
    }

    #[test]
    fn escaped_text_and_character_references_are_read_too() {
        let xml = "<?xml version=\"1.0\"?>\n<xml>\n <FromUserName>o1</FromUserName>\n <CreateTime>5</CreateTime>\n \
                   <MsgType>text</MsgType>\n <Content>a &lt;b&gt; &amp; &#20320;&#x597D;</Content>\n <MsgId>7</MsgId>\n</xml>\n";
        match parse_inbound(xml).expect("text") {
            Inbound::Text { content, .. } => assert_eq!(content, "a <b> & 你好"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_event_is_keyed_by_sender_and_time_and_keeps_its_key() {
        let xml = "<xml><ToUserName>gh</ToUserName><FromUserName>oShop123</FromUserName>\
                   <CreateTime>1733616001</CreateTime><MsgType>event</MsgType><Event>subscribe</Event>\
                   <EventKey><![CDATA[qrscene_link-ABC123]]></EventKey></xml>";
        let msg = parse_inbound(xml).expect("event");
        assert_eq!(
            msg,
            Inbound::Event {
                from: "oShop123".into(),
                create_time: 1_733_616_001,
                event: "subscribe".into(),
                event_key: Some("qrscene_link-ABC123".into()),
            }
        );
        assert!(
            msg.dedupe_key().starts_with("at:oShop123:1733616001:"),
            "{}",
            msg.dedupe_key()
        );
        // The same event delivered again shares its key; another event of the same second not.
        assert_eq!(parse_inbound(xml).expect("again").dedupe_key(), msg.dedupe_key());
        let location = xml.replace("<Event>subscribe</Event>", "<Event>LOCATION</Event>");
        assert_ne!(
            parse_inbound(&location).expect("location").dedupe_key(),
            msg.dedupe_key()
        );
        let other_scene = xml.replace("link-ABC123", "need-42");
        assert_ne!(
            parse_inbound(&other_scene).expect("scene").dedupe_key(),
            msg.dedupe_key()
        );
        let bare = "<xml><FromUserName>o</FromUserName><CreateTime>1</CreateTime><MsgType>event</MsgType>\
                    <Event>unsubscribe</Event><EventKey/></xml>";
        assert!(matches!(
            parse_inbound(bare),
            Ok(Inbound::Event { event_key: None, .. })
        ));
    }

    #[test]
    fn other_kinds_are_kept_as_other_with_or_without_a_msg_id() {
        let image = "<xml><FromUserName>o</FromUserName><CreateTime>9</CreateTime><MsgType>image</MsgType>\
                     <PicUrl>http://x</PicUrl><MediaId>m</MediaId><MsgId>42</MsgId></xml>";
        let msg = parse_inbound(image).expect("image");
        assert_eq!(msg.kind(), "image");
        assert_eq!(msg.dedupe_key(), "msg:42");
        // A picture list nests four deep: accepted, its inner elements not kept.
        let pics = "<xml><FromUserName>o</FromUserName><CreateTime>9</CreateTime><MsgType>pics</MsgType>\
                    <SendPicsInfo><Count>1</Count><PicList><item><PicMd5Sum>x</PicMd5Sum></item></PicList>\
                    </SendPicsInfo></xml>";
        assert!(parse_inbound(pics).expect("pics").dedupe_key().starts_with("at:o:9:"));
    }

    #[test]
    fn a_stored_message_reads_back_from_its_json() {
        let msg = parse_inbound(TEXT).expect("text");
        let json = serde_json::to_string(&msg).expect("json");
        assert!(json.contains("\"type\":\"text\""), "{json}");
        assert_eq!(serde_json::from_str::<Inbound>(&json).expect("back"), msg);
    }

    #[test]
    fn safe_modes_envelope_gives_the_encrypted_text() {
        let xml = "<xml><ToUserName><![CDATA[gh_relay]]></ToUserName><Encrypt><![CDATA[AAAA/+==]]></Encrypt></xml>";
        assert_eq!(
            parse_envelope(xml),
            Ok(Envelope {
                to: Some("gh_relay".into()),
                encrypt: "AAAA/+==".into(),
            })
        );
        assert_eq!(
            parse_envelope("<xml><ToUserName>x</ToUserName></xml>"),
            Err(XmlError::Missing("Encrypt"))
        );
        assert_eq!(
            parse_envelope("<xml><Encrypt></Encrypt></xml>"),
            Err(XmlError::Malformed("Encrypt"))
        );
    }

    #[test]
    fn doctype_entities_and_deep_nesting_are_refused_as_hostile() {
        let doctype =
            "<?xml version=\"1.0\"?><!DOCTYPE xml [<!ENTITY lol \"lol\">]><xml><Content>&lol;</Content></xml>";
        assert_eq!(parse_inbound(doctype), Err(XmlError::Doctype));
        let external = "<!DOCTYPE xml SYSTEM \"file:///etc/passwd\"><xml/>";
        assert_eq!(parse_inbound(external), Err(XmlError::Doctype));
        let entity = "<xml><FromUserName>&xxe;</FromUserName></xml>";
        assert_eq!(parse_inbound(entity), Err(XmlError::Entity));
        let deep = format!("<xml>{}{}</xml>", "<a>".repeat(50), "</a>".repeat(50));
        assert_eq!(parse_inbound(&deep), Err(XmlError::TooDeep));
        let wide = format!("<xml><List>{}</List></xml>", "<item/>".repeat(100));
        assert_eq!(parse_inbound(&wide), Err(XmlError::TooManyElements));
        for e in [
            XmlError::Doctype,
            XmlError::Entity,
            XmlError::TooDeep,
            XmlError::TooManyElements,
        ] {
            assert!(e.is_hostile());
        }
        assert!(!XmlError::Syntax.is_hostile());
    }

    #[test]
    fn an_oversized_document_is_refused_before_it_is_read() {
        let big = format!("<xml><Content>{}</Content></xml>", "x".repeat(MAX_XML_BYTES));
        assert_eq!(parse_inbound(&big), Err(XmlError::TooLarge));
    }

    #[test]
    fn wrong_shapes_are_typed_errors() {
        let cases: &[(&str, XmlError)] = &[
            ("", XmlError::Syntax),
            ("not xml", XmlError::Syntax),
            ("<xml>", XmlError::Syntax),
            ("<xml></wrong>", XmlError::Syntax),
            ("<other/>", XmlError::NotWechat),
            ("<xml/><xml/>", XmlError::NotWechat),
            (
                "<xml><FromUserName>o</FromUserName></xml>",
                XmlError::Missing("CreateTime"),
            ),
            (
                "<xml><FromUserName>o</FromUserName><CreateTime>soon</CreateTime><MsgType>text</MsgType></xml>",
                XmlError::Malformed("CreateTime"),
            ),
            (
                "<xml><FromUserName>o</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>x</Content></xml>",
                XmlError::Missing("MsgId"),
            ),
            (
                "<xml><FromUserName>o</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>x</Content><MsgId>-1</MsgId></xml>",
                XmlError::Malformed("MsgId"),
            ),
            (
                "<xml><FromUserName>o</FromUserName><FromUserName>p</FromUserName></xml>",
                XmlError::Duplicate,
            ),
            (
                "<xml><FromUserName></FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType></xml>",
                XmlError::Malformed("FromUserName"),
            ),
            (
                "<xml><FromUserName>o</FromUserName><CreateTime>1</CreateTime><MsgType>a b</MsgType></xml>",
                XmlError::Malformed("MsgType"),
            ),
            ("<xml><![CDATA[x]]></xml>", XmlError::Syntax),
            ("junk<xml/>", XmlError::Syntax),
        ];
        for (xml, expected) in cases {
            assert_eq!(parse_inbound(xml).as_ref(), Err(expected), "{xml}");
        }
    }
}
