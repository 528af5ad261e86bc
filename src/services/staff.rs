//! Staff accounts: office administrators and social workers.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set};

use super::access::Caller;
use super::audit::{self, Actor, Entry};
use super::{ServiceError, lockout, office, organizations, subdistricts};
use crate::domain::password::check_new_password;
use crate::domain::{OrgKind, Role};
use crate::entities::{organization, staff};
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
    /// The subdistrict (Chinese or English name) of an office administrator, or of a social
    /// worker's new organization; may be left out while there is only one.
    pub subdistrict: Option<String>,
    /// The password in clear, hashed here.
    pub password: String,
}

/// Creates a staff account and returns its id. Nothing is written if any input is refused.
pub async fn create_user(db: &DatabaseConnection, new: NewUser, now: DateTime<Utc>) -> Result<i64, ServiceError> {
    let email = normalize_email(&new.email)?;
    check_new_password(&new.password).map_err(|e| ServiceError::invalid("password", e.to_string()))?;
    let has_org = new.organization.as_deref().is_some_and(|o| !o.trim().is_empty());
    if new.role == Role::SocialWorker && !has_org {
        return Err(ServiceError::invalid(
            "org",
            "a social worker belongs to an organization: give --org NAME",
        ));
    }
    // An administrator with an organization is a shape no caller has (see StaffSession::caller).
    if new.role == Role::Admin && has_org {
        return Err(ServiceError::invalid(
            "org",
            "an office administrator belongs to no organization: leave out --org",
        ));
    }
    let named_subdistrict = new.subdistrict.as_deref().map(str::trim).filter(|s| !s.is_empty());
    if new.role == Role::District && (has_org || named_subdistrict.is_some()) {
        return Err(ServiceError::invalid(
            "role",
            "a district account reads every subdistrict and belongs to none: leave out --org and --subdistrict",
        ));
    }
    let named_subdistrict = match named_subdistrict {
        Some(name) => Some(subdistricts::by_name(db, name).await?.ok_or_else(|| {
            ServiceError::invalid(
                "subdistrict",
                format!(
                    "no subdistrict is called `{name}`: communities name their subdistrict (admin create-community)"
                ),
            )
        })?),
        None => None,
    };
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
        Some(name) => Some(
            organizations::find_or_create_approved_in(&txn, name, OrgKind::SocialOrganization, named_subdistrict, now)
                .await?,
        ),
        None => None,
    };
    let subdistrict_id = match new.role {
        Role::Admin => Some(match named_subdistrict {
            Some(id) => id,
            None => subdistricts::for_new_party(&txn, None, "subdistrict").await?,
        }),
        Role::District | Role::SocialWorker => None,
    };
    let created = staff::ActiveModel {
        email: Set(email.clone()),
        password_hash: Set(hash),
        role: Set(new.role.as_str().to_owned()),
        organization_id: Set(organization_id),
        subdistrict_id: Set(subdistrict_id),
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

/// One staff account as the office's list shows it.
#[derive(Debug, Clone)]
pub struct Account {
    /// The account.
    pub id: i64,
    /// The name it goes by (in the console and the audit log).
    pub display_name: String,
    /// Its login email.
    pub email: String,
    /// Its role.
    pub role: String,
    /// Its organization's name, if it has one.
    pub organization: Option<String>,
    /// Whether it may sign in.
    pub active: bool,
}

/// Every staff account, by email (pages order them as they list them); for the office only.
pub async fn accounts(
    db: &DatabaseConnection,
    caller: &Caller,
    now: DateTime<Utc>,
) -> Result<Vec<Account>, ServiceError> {
    office::require_admin(db, caller, "office.staff", now).await?;
    let mut query = staff::Entity::find().find_also_related(organization::Entity);
    if let Some(s) = caller.subdistrict_id() {
        query = query.filter(of_subdistrict(s));
    }
    let rows = query.order_by_asc(staff::Column::Email).all(db).await?;
    Ok(rows
        .into_iter()
        .map(|(s, org)| Account {
            id: s.id,
            display_name: s.display_name,
            email: s.email,
            role: s.role,
            organization: org.map(|o| o.name),
            active: s.active,
        })
        .collect())
}

/// Staff of subdistrict `s`: its office accounts and its organizations' social workers.
fn of_subdistrict(s: i64) -> sea_orm::Condition {
    sea_orm::Condition::any().add(staff::Column::SubdistrictId.eq(s)).add(
        staff::Column::OrganizationId.in_subquery(
            sea_orm::sea_query::Query::select()
                .column(organization::Column::Id)
                .from(organization::Entity)
                .and_where(organization::Column::SubdistrictId.eq(s))
                .to_owned(),
        ),
    )
}

/// True when account `t` is of subdistrict `s`.
async fn in_subdistrict<C: sea_orm::ConnectionTrait>(conn: &C, t: &staff::Model, s: i64) -> Result<bool, ServiceError> {
    if t.subdistrict_id == Some(s) {
        return Ok(true);
    }
    Ok(match t.organization_id {
        Some(org) => super::access::OrgScope::Subdistrict(s).permits(conn, org).await?,
        None => false,
    })
}

/// Which staff account an office action is about.
#[derive(Debug, Clone)]
pub enum AccountRef {
    /// By id (the office's page).
    Id(i64),
    /// By login email (the command line).
    Email(String),
}

/// What [`set_active`] did.
#[derive(Debug, Clone)]
pub struct ActiveChange {
    /// The account.
    pub id: i64,
    /// Its login email.
    pub email: String,
    /// How many live sessions were ended.
    pub sessions_ended: u64,
}

/// Longest reason kept in the audit log.
pub const REASON_MAX: usize = 500;

/// Deactivates (`active = false`) or reactivates one staff account; for the office only. Deactivation
/// ends every session of the account in the same transaction; the reason goes to the audit log.
/// Office staff cannot deactivate their own account.
pub async fn set_active(
    db: &DatabaseConnection,
    caller: &Caller,
    account: AccountRef,
    active: bool,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<ActiveChange, ServiceError> {
    let action = if active { "staff.reactivate" } else { "staff.deactivate" };
    office::require_admin(db, caller, action, now).await?;
    let reason = reason.trim();
    if reason.chars().count() > REASON_MAX {
        return Err(ServiceError::invalid(
            "reason",
            format!("must have at most {REASON_MAX} characters"),
        ));
    }
    let txn = db::begin_write(db).await?;
    let found = match &account {
        AccountRef::Id(id) => staff::Entity::find_by_id(*id).one(&txn).await?,
        AccountRef::Email(email) => {
            staff::Entity::find()
                .filter(staff::Column::Email.eq(email.trim().to_lowercase()))
                .one(&txn)
                .await?
        }
    };
    // Another subdistrict's account is as unknown to this office as a missing one.
    let found = match (found, caller.subdistrict_id()) {
        (Some(t), Some(s)) if !in_subdistrict(&txn, &t, s).await? => None,
        (found, _) => found,
    };
    let Some(target) = found else {
        return Err(match account {
            AccountRef::Id(_) => ServiceError::NotFound("staff account"),
            AccountRef::Email(email) => ServiceError::invalid(
                "email",
                format!("there is no staff account with the email {}", email.trim()),
            ),
        });
    };
    if !active && caller.staff_id() == Some(target.id) {
        return Err(ServiceError::Conflict("you cannot deactivate your own account".into()));
    }
    staff::Entity::update_many()
        .col_expr(staff::Column::Active, Expr::val(active))
        .filter(staff::Column::Id.eq(target.id))
        .exec(&txn)
        .await?;
    let sessions_ended = if active {
        0
    } else {
        lockout::end_sessions_of_staff(&txn, target.id, now).await?
    };
    audit::record(
        &txn,
        now,
        Entry::ok(caller.actor(), action)
            .subject("staff", target.id)
            .organization(target.organization_id)
            .detail(serde_json::json!({ "reason": reason, "sessions_ended": sessions_ended })),
    )
    .await?;
    txn.commit().await?;
    Ok(ActiveChange {
        id: target.id,
        email: target.email,
        sessions_ended,
    })
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
