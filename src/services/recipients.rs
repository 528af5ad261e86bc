//! Who hears of a change to a need, and in which language. Only public facts go into
//! payloads; a resident is mailed only while their contact can receive mail.

use sea_orm::{ConnectionTrait, EntityTrait};

use super::outbox::{Channel, Message};
use crate::domain::Locale;
use crate::entities::{beneficiary, contact, merchant, need, staff};

/// The people to tell about a need: the beneficiary's contact and the posting worker.
#[derive(Debug, Clone, Default)]
pub struct NeedParties {
    /// The resident's contact, when there is one that may be mailed.
    pub contact: Option<contact::Model>,
    /// The social worker who posted the need.
    pub worker: Option<staff::Model>,
}

/// Loads the parties of `need`.
pub async fn of_need<C: ConnectionTrait>(conn: &C, need: &need::Model) -> Result<NeedParties, sea_orm::DbErr> {
    let contact = match beneficiary::Entity::find_by_id(need.beneficiary_id).one(conn).await? {
        Some(b) => match b.contact_id {
            Some(id) => contact::Entity::find_by_id(id).one(conn).await?,
            None => None,
        },
        None => None,
    };
    let contact = contact.filter(|c| c.consent_status != "unsubscribed" && c.undeliverable_at.is_none());
    let worker = match need.posted_by {
        Some(id) => staff::Entity::find_by_id(id).one(conn).await?.filter(|s| s.active),
        None => None,
    };
    Ok(NeedParties { contact, worker })
}

impl NeedParties {
    /// An email to the resident, if they have a contact.
    pub fn resident(&self, kind: &'static str, payload: serde_json::Value, dedupe_key: String) -> Option<Message> {
        self.contact.as_ref().map(|c| Message {
            channel: Channel::Email,
            recipient: c.email.clone(),
            contact_id: Some(c.id),
            merchant_id: None,
            kind,
            locale: c.locale.parse().unwrap_or_default(),
            payload,
            dedupe_key,
        })
    }

    /// An email to the social worker who posted the need.
    pub fn worker(&self, kind: &'static str, payload: serde_json::Value, dedupe_key: String) -> Option<Message> {
        self.worker.as_ref().map(|w| Message {
            channel: Channel::Email,
            recipient: w.email.clone(),
            contact_id: None,
            merchant_id: None,
            kind,
            locale: w.locale.as_deref().and_then(|l| l.parse().ok()).unwrap_or_default(),
            payload,
            dedupe_key,
        })
    }
}

/// A Telegram message to a merchant (its chat is resolved when sent).
pub fn merchant(m: &merchant::Model, kind: &'static str, payload: serde_json::Value, dedupe_key: String) -> Message {
    Message {
        channel: Channel::Telegram,
        recipient: m.id.to_string(),
        contact_id: None,
        merchant_id: Some(m.id),
        kind,
        locale: m.locale.parse::<Locale>().unwrap_or_default(),
        payload,
        dedupe_key,
    }
}
