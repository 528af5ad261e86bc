//! Staff accounts: office administrators and social workers.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};

use super::audit::{self, Actor, Entry};
use super::{ServiceError, organizations};
use crate::domain::password::check_new_password;
use crate::domain::{OrgKind, Role};
use crate::entities::staff;
use crate::{crypto, db};

/// What `create_user` needs.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Login email.
    pub email: String,
    /// Admin or social worker.
    pub role: Role,
    /// The organization of a social worker (created, approved, if missing).
    pub organization: Option<String>,
    /// The password in clear, hashed here.
    pub password: String,
}

/// Creates a staff account and returns its id. Nothing is written if any input is refused.
pub async fn create_user(db: &DatabaseConnection, new: NewUser, now: DateTime<Utc>) -> Result<i64, ServiceError> {
    let email = normalize_email(&new.email)?;
    check_new_password(&new.password).map_err(|e| ServiceError::invalid("password", e.to_string()))?;
    if new.role == Role::SocialWorker && new.organization.as_deref().is_none_or(|o| o.trim().is_empty()) {
        return Err(ServiceError::invalid(
            "org",
            "a social worker belongs to an organization: give --org NAME",
        ));
    }
    if staff::Entity::find()
        .filter(staff::Column::Email.eq(&email))
        .one(db)
        .await?
        .is_some()
    {
        return Err(ServiceError::Conflict(format!("an account for {email} exists already")));
    }
    // Accounts are made by the CLI: a process of its own, without /metrics.
    let hash = crypto::PasswordHasher::default().hash(&new.password).await?;

    let display_name = email.split('@').next().unwrap_or_default().to_owned();
    let txn = db::begin_write(db).await?;
    let organization_id = match new.organization.as_deref().map(str::trim).filter(|o| !o.is_empty()) {
        Some(name) => Some(organizations::find_or_create_approved(&txn, name, OrgKind::SocialOrganization, now).await?),
        None => None,
    };
    let created = staff::ActiveModel {
        email: Set(email.clone()),
        password_hash: Set(hash),
        role: Set(new.role.as_str().to_owned()),
        organization_id: Set(organization_id),
        display_name: Set(display_name),
        locale: Set(None),
        active: Set(true),
        password_changed_at: Set(now),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| ServiceError::on_unique(e, format!("an account for {email} exists already")))?;
    audit::record(
        &txn,
        now,
        Entry::ok(Actor::System, "staff.create")
            .subject("staff", created.id)
            .organization(organization_id)
            .detail(serde_json::json!({ "role": new.role.as_str() })),
    )
    .await?;
    txn.commit().await?;
    Ok(created.id)
}

/// Lower-cases and checks an email address: one `@`, something on each side, no spaces.
pub fn normalize_email(raw: &str) -> Result<String, ServiceError> {
    let email = raw.trim().to_lowercase();
    let valid = email.len() <= 254
        && !email.contains(char::is_whitespace)
        && matches!(email.split_once('@'), Some((local, domain)) if !local.is_empty() && domain.contains('.') && !domain.contains('@') && !domain.starts_with('.') && !domain.ends_with('.'));
    if valid {
        Ok(email)
    } else {
        Err(ServiceError::invalid(
            "email",
            "expected an email address such as worker@example.org",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalized_or_refused() {
        assert_eq!(
            normalize_email(" Worker@Example.ORG ").ok().as_deref(),
            Some("worker@example.org")
        );
        for bad in ["", "worker", "a@b", "a@@b.org", "a b@c.org", "@c.org", "a@.org"] {
            assert!(normalize_email(bad).is_err(), "{bad}");
        }
    }
}
