//! Who hears of a change to a need, and in which language. Only public facts go into
//! notifications; a resident is mailed only while their contact can receive mail.

use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, FromQueryResult, IdenStatic, Iterable};

use super::outbox::{Channel, Message, Notification};
use crate::domain::{CaseStatus, Locale};
use crate::entities::{beneficiary, contact, merchant, need, organization, staff};

/// The people to tell about a need: the beneficiary's contact and the posting worker.
#[derive(Debug, Clone, Default)]
pub struct NeedParties {
    /// The resident's contact, when there is one that may be mailed.
    pub contact: Option<contact::Model>,
    /// The social worker who posted the need.
    pub worker: Option<staff::Model>,
}

/// Loads the parties of `need`, in one query.
pub async fn of_need<C: ConnectionTrait>(conn: &C, need: &need::Model) -> Result<NeedParties, sea_orm::DbErr> {
    // A claim tells both parties inside its transaction, so the three lookups are one join.
    let mut query = Query::select();
    query
        .from(beneficiary::Entity)
        .left_join(
            contact::Entity,
            Expr::col((contact::Entity, contact::Column::Id))
                .equals((beneficiary::Entity, beneficiary::Column::ContactId)),
        )
        .left_join(
            staff::Entity,
            Expr::col((staff::Entity, staff::Column::Id)).eq(need.posted_by),
        )
        .and_where(Expr::col((beneficiary::Entity, beneficiary::Column::Id)).eq(need.beneficiary_id));
    query.expr_as(
        Expr::col((beneficiary::Entity, beneficiary::Column::CaseStatus)),
        "b_case_status",
    );
    for column in contact::Column::iter() {
        query.expr_as(Expr::col((contact::Entity, column)), format!("c_{}", column.as_str()));
    }
    for column in staff::Column::iter() {
        query.expr_as(Expr::col((staff::Entity, column)), format!("s_{}", column.as_str()));
    }
    let Some(row) = conn.query_one(&query).await? else {
        return Ok(NeedParties::default());
    };
    // A closed case's person hears nothing more until the case is reopened.
    let case_open = row.try_get::<CaseStatus>("", "b_case_status")? == CaseStatus::Active;
    let contact = contact::Model::from_query_result_optional(&row, "c_")?
        .filter(|c| case_open && c.consent_status != "unsubscribed" && c.undeliverable_at.is_none());
    let worker = staff::Model::from_query_result_optional(&row, "s_")?.filter(|s| s.active);
    Ok(NeedParties { contact, worker })
}

impl NeedParties {
    /// An email of `notification` to the resident, if they have a contact.
    pub fn resident(&self, notification: &Notification, dedupe_key: String) -> Option<Message> {
        self.contact.as_ref().map(|c| Message {
            contact_id: Some(c.id),
            ..Message::new(Channel::Email, c.email.clone(), c.locale.0, notification, dedupe_key)
        })
    }

    /// An email of `notification` to the social worker who posted the need.
    pub fn worker(&self, notification: &Notification, dedupe_key: String) -> Option<Message> {
        self.worker.as_ref().map(|w| {
            let locale = w.locale.map(Locale::from).unwrap_or_default();
            Message::new(Channel::Email, w.email.clone(), locale, notification, dedupe_key)
        })
    }
}

/// A Telegram message of `notification` to a merchant (its chat is resolved when sent).
pub fn merchant(m: &merchant::Model, notification: &Notification, dedupe_key: String) -> Message {
    Message {
        merchant_id: Some(m.id),
        ..Message::new(
            Channel::Telegram,
            m.id.to_string(),
            m.locale.0,
            notification,
            dedupe_key,
        )
    }
}

/// The organization each social worker among `emails` works for, by address: their emails
/// name it in the header and say in the footer that they get it as its worker. Addresses of
/// the office's staff (no organization) and of no one are left out.
pub async fn worker_organizations<C: ConnectionTrait>(
    conn: &C,
    emails: &[String],
) -> Result<std::collections::HashMap<String, String>, sea_orm::DbErr> {
    if emails.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    let mut query = Query::select();
    query
        .column((staff::Entity, staff::Column::Email))
        .column((organization::Entity, organization::Column::Name))
        .from(staff::Entity)
        .inner_join(
            organization::Entity,
            Expr::col((organization::Entity, organization::Column::Id))
                .equals((staff::Entity, staff::Column::OrganizationId)),
        )
        .and_where(Expr::col((staff::Entity, staff::Column::Email)).is_in(emails.iter().cloned()));
    let rows = conn.query_all(&query).await?;
    let mut names = std::collections::HashMap::with_capacity(rows.len());
    for row in rows {
        let email: String = row.try_get("", staff::Column::Email.as_str())?;
        let name: String = row.try_get("", organization::Column::Name.as_str())?;
        names.insert(email, name);
    }
    Ok(names)
}
