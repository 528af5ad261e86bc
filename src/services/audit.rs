//! The audit log: who did what to which record, and whether it was allowed.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, Set};

use crate::entities::audit_log;

/// Who acted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A staff account, by id.
    Staff(i64),
    /// A merchant, by id.
    Merchant(i64),
    /// An API token, by its row id.
    ApiToken(i64),
    /// The process itself (CLI, jobs, demo data).
    System,
    /// Nobody signed in.
    Anonymous,
}

impl Actor {
    fn parts(&self) -> (&'static str, Option<String>) {
        match self {
            Actor::Staff(id) => ("staff", Some(id.to_string())),
            Actor::Merchant(id) => ("merchant", Some(id.to_string())),
            Actor::ApiToken(id) => ("api_token", Some(id.to_string())),
            Actor::System => ("system", None),
            Actor::Anonymous => ("anonymous", None),
        }
    }
}

/// One audit row to write.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    /// Who acted.
    pub actor: Actor,
    /// The organization the act concerns, if any (for filtering).
    pub organization_id: Option<i64>,
    /// A dotted verb such as `merchant.create`.
    pub action: &'a str,
    /// The record acted on: kind and id.
    pub subject: Option<(&'a str, String)>,
    /// `ok`, `denied` or `failed`.
    pub outcome: &'a str,
    /// Extra facts as JSON; never personal data.
    pub detail: serde_json::Value,
}

impl<'a> Entry<'a> {
    /// An allowed act by `actor`.
    pub fn ok(actor: Actor, action: &'a str) -> Self {
        Self {
            actor,
            organization_id: None,
            action,
            subject: None,
            outcome: "ok",
            detail: serde_json::json!({}),
        }
    }

    /// A refused act by `actor`.
    pub fn denied(actor: Actor, action: &'a str) -> Self {
        Self {
            outcome: "denied",
            ..Self::ok(actor, action)
        }
    }

    /// Names the record acted on.
    pub fn subject(mut self, kind: &'a str, id: impl ToString) -> Self {
        self.subject = Some((kind, id.to_string()));
        self
    }

    /// Names the organization concerned.
    pub fn organization(mut self, id: Option<i64>) -> Self {
        self.organization_id = id;
        self
    }

    /// Adds facts.
    pub fn detail(mut self, detail: serde_json::Value) -> Self {
        self.detail = detail;
        self
    }
}

/// One written audit row, as the office's log and a record's timeline show it.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRecord {
    /// When the act happened.
    pub at: DateTime<Utc>,
    /// Who acted: `staff`, `merchant`, `api_token`, `system` or `anonymous`.
    pub actor_kind: String,
    /// The actor's id within its kind, if it has one.
    pub actor_id: Option<String>,
    /// A dotted verb such as `merchant.create`.
    pub action: String,
    /// The kind of record acted on, if any.
    pub subject_kind: Option<String>,
    /// The id of the record acted on, if any.
    pub subject_id: Option<String>,
    /// `ok`, `denied` or `failed`.
    pub outcome: String,
    /// Extra facts (an empty object when the stored text is not JSON).
    pub detail: serde_json::Value,
}

impl AuditRecord {
    /// The id of the record acted on, when it is a `kind` with a numeric id.
    pub fn subject_of_kind(&self, kind: &str) -> Option<i64> {
        (self.subject_kind.as_deref() == Some(kind))
            .then(|| self.subject_id.as_deref().and_then(|id| id.parse().ok()))
            .flatten()
    }
}

impl From<audit_log::Model> for AuditRecord {
    fn from(r: audit_log::Model) -> Self {
        Self {
            at: r.at,
            actor_kind: r.actor_kind,
            actor_id: r.actor_id,
            action: r.action,
            subject_kind: r.subject_kind,
            subject_id: r.subject_id,
            outcome: r.outcome,
            detail: serde_json::from_str(&r.detail).unwrap_or_default(),
        }
    }
}

/// Writes `entry` through `conn`, which is the caller's transaction when there is one.
pub async fn record<C: ConnectionTrait>(conn: &C, now: DateTime<Utc>, entry: Entry<'_>) -> Result<(), DbErr> {
    let (actor_kind, actor_id) = entry.actor.parts();
    let (subject_kind, subject_id) = match entry.subject {
        Some((kind, id)) => (Some(kind.to_owned()), Some(id)),
        None => (None, None),
    };
    audit_log::ActiveModel {
        at: Set(now),
        actor_kind: Set(actor_kind.to_owned()),
        actor_id: Set(actor_id),
        organization_id: Set(entry.organization_id),
        action: Set(entry.action.to_owned()),
        subject_kind: Set(subject_kind),
        subject_id: Set(subject_id),
        outcome: Set(entry.outcome.to_owned()),
        detail: Set(entry.detail.to_string()),
        request_id: Set(None),
        ..Default::default()
    }
    .insert(conn)
    .await
    .map(|_| ())
}

/// The audit rows about any of `subjects` (kind, id), oldest first: a record's timeline.
pub async fn history<C: ConnectionTrait>(conn: &C, subjects: &[(&str, i64)]) -> Result<Vec<AuditRecord>, DbErr> {
    use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
    if subjects.is_empty() {
        return Ok(Vec::new());
    }
    let mut any = Condition::any();
    for (kind, id) in subjects {
        any = any.add(
            Condition::all()
                .add(audit_log::Column::SubjectKind.eq(*kind))
                .add(audit_log::Column::SubjectId.eq(id.to_string())),
        );
    }
    audit_log::Entity::find()
        .filter(any)
        .filter(audit_log::Column::Outcome.eq("ok"))
        .order_by_asc(audit_log::Column::Id)
        .limit(200)
        .all(conn)
        .await
        .map(|rows| rows.into_iter().map(AuditRecord::from).collect())
}
