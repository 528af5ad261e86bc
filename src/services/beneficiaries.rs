//! Beneficiaries: the public part (code, group, community) and the sealed private part.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};

use super::ServiceError;
use super::access::Caller;
use super::audit::{self, Entry};
pub use super::private_details::{
    PrivateDetails, SEAL_VERSION, UNBOUND_SEAL_VERSION, id_number_digest, load_private, open_private, phone_digest,
    private_details, private_key, reseal_unbound, store_private,
};
use crate::config::Secret;
use crate::db;
use crate::domain::input::{self, FieldError, FieldErrors};
use crate::domain::{BeneficiaryCode, BeneficiaryGroup, CaseStatus, ClosedReason, Locale};
use crate::entities::{beneficiary, beneficiary_private, community};

/// The fields of the beneficiary form, as typed.
#[derive(Debug, Clone, Default)]
pub struct BeneficiaryInput {
    /// `community_id`.
    pub community_id: String,
    /// `group`.
    pub group: String,
    /// `full_name` (private).
    pub full_name: String,
    /// `phone` (private).
    pub phone: String,
    /// `address` (private).
    pub address: String,
    /// `notes` (private).
    pub notes: String,
    /// `id_number` (private, optional): a resident ID number.
    pub id_number: String,
    /// `notify_email`: where the resident wants news of their needs, if anywhere.
    pub notify_email: String,
    /// `notify_consent`: the resident agreed to be emailed.
    pub notify_consent: bool,
    /// `locale` of the emails.
    pub locale: String,
}

/// A registered beneficiary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registered {
    /// The new record's id.
    pub id: i64,
    /// Its pseudonymous code.
    pub code: String,
}

/// Registers a beneficiary of the caller's organization; the private part is sealed.
pub async fn register(
    db: &DatabaseConnection,
    secret: &Secret,
    caller: &Caller,
    form: &BeneficiaryInput,
    now: DateTime<Utc>,
) -> Result<Registered, ServiceError> {
    let Some(organization_id) = caller.organization_id() else {
        return Err(ServiceError::Forbidden);
    };
    let (community_id, checked) = check_input(form);
    let txn = db::begin_write(db).await?;
    let community_missing = match community_id {
        Some(id) => community::Entity::find_by_id(id).one(&txn).await?.is_none(),
        None => false,
    };
    let draft = match checked {
        Ok(draft) if !community_missing => draft,
        checked => {
            let mut errors = checked.err().unwrap_or_default();
            if community_missing {
                errors.push("community_id", FieldError::UnknownChoice);
            }
            return Err(ServiceError::Validation(errors));
        }
    };
    let BeneficiaryDraft {
        community_id,
        group,
        details,
        locale,
        email,
    } = draft;
    let contact_id = match email {
        Some(email) => Some(super::contacts::find_or_create(&txn, secret, organization_id, &email, locale, now).await?),
        None => None,
    };
    let code = unique_code(&txn).await?;
    let row = beneficiary::ActiveModel {
        code: Set(code.clone()),
        organization_id: Set(organization_id),
        community_id: Set(community_id),
        beneficiary_group: Set(group.as_str().to_owned()),
        contact_id: Set(contact_id),
        created_by: Set(caller.staff_id()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    store_private(&txn, secret, row.id, &details, now).await?;
    // Matches in other organizations go to the office's queue; the worker is told nothing of
    // them, so registering cannot be used to learn who another organization serves.
    let flagged = super::duplicates::flag_matches(&txn, secret, &row, &details, now).await?;
    audit::record(
        &txn,
        now,
        Entry::ok(caller.actor(), "beneficiary.register")
            .subject("beneficiary", row.id)
            .organization(Some(organization_id))
            .detail(serde_json::json!({ "possible_duplicates": flagged })),
    )
    .await?;
    txn.commit().await?;
    Ok(Registered { id: row.id, code })
}

/// A beneficiary form that passed every check needing no database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BeneficiaryDraft {
    /// A community id; whether it exists is checked in the transaction.
    pub community_id: i64,
    /// The group.
    pub group: BeneficiaryGroup,
    /// The private part, trimmed.
    pub details: PrivateDetails,
    /// The language of the emails.
    pub locale: Locale,
    /// The normalized address to notify, given with consent.
    pub email: Option<String>,
}

/// Checks what needs no database; a numeric community id comes back even then, to report a missing one too.
pub fn check_input(form: &BeneficiaryInput) -> (Option<i64>, Result<BeneficiaryDraft, FieldErrors>) {
    let mut errors = FieldErrors::default();
    let community_id = errors.check("community_id", input::chosen_id(&form.community_id));
    let group = errors.check("group", input::choice::<BeneficiaryGroup>(&form.group));
    let full_name = errors.check("full_name", input::text(&form.full_name, 1, 50));
    let phone = errors.check("phone", input::text(&form.phone, 0, 30).and_then(|p| input::phone(&p)));
    let address = errors.check("address", input::text(&form.address, 0, 200));
    let notes = errors.check("notes", input::text(&form.notes, 0, 1000));
    let id_number = match form.id_number.trim() {
        "" => Some(String::new()),
        raw => {
            let id = crate::domain::beneficiary::resident_id(raw);
            if id.is_none() {
                errors.push("id_number", FieldError::NotAnIdNumber);
            }
            id
        }
    };
    let locale = if form.locale.trim().is_empty() {
        Some(Locale::ZhCn)
    } else {
        errors.check("locale", input::choice::<Locale>(&form.locale))
    };
    let email = match form.notify_email.trim() {
        "" => None,
        raw => match super::staff::normalize_email(raw) {
            Ok(e) if form.notify_consent => Some(e),
            Ok(_) => {
                errors.push("notify_consent", FieldError::ConsentNeeded);
                None
            }
            Err(_) => {
                errors.push("notify_email", FieldError::NotAnEmail);
                None
            }
        },
    };
    let checked = match (community_id, group, full_name, phone, address, notes, id_number, locale) {
        (
            Some(community_id),
            Some(group),
            Some(full_name),
            Some(phone),
            Some(address),
            Some(notes),
            Some(id_number),
            Some(locale),
        ) if errors.is_empty() => Ok(BeneficiaryDraft {
            community_id,
            group,
            details: PrivateDetails {
                full_name,
                phone,
                address,
                notes,
                id_number,
                household_notes: String::new(),
            },
            locale,
            email,
        }),
        _ => Err(errors),
    };
    (community_id, checked)
}

async fn unique_code<C: ConnectionTrait>(txn: &C) -> Result<String, ServiceError> {
    for _ in 0..20 {
        let code = BeneficiaryCode::generate(4).as_str().to_owned();
        if beneficiary::Entity::find()
            .filter(beneficiary::Column::Code.eq(&code))
            .one(txn)
            .await?
            .is_none()
        {
            return Ok(code);
        }
    }
    // 25^4 codes; twenty collisions in a row means the space is nearly full: use longer ones.
    Ok(BeneficiaryCode::generate(8).as_str().to_owned())
}

/// A beneficiary as lists show it: no private details.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BeneficiarySummary {
    /// Id.
    pub id: i64,
    /// Pseudonymous code.
    pub code: String,
    /// Group.
    pub group: BeneficiaryGroup,
    /// Community id.
    pub community_id: i64,
    /// Community (Chinese, English).
    pub community: (String, String),
    /// True when a resident contact gets email.
    pub has_contact: bool,
    /// When registered.
    pub created_at: DateTime<Utc>,
    /// The case's status, why and when it closed, and whether its data was erased.
    pub case: CaseRecord,
}

/// The case file's state of a beneficiary: no personal data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseRecord {
    /// Active or closed.
    pub status: CaseStatus,
    /// Why it closed.
    pub closed_reason: Option<ClosedReason>,
    /// When it closed.
    pub closed_at: Option<DateTime<Utc>>,
    /// When its personal data was erased.
    pub erased_at: Option<DateTime<Utc>>,
    /// When consent to data processing was recorded, and the wording's version.
    pub consent: Option<(DateTime<Utc>, String)>,
    /// The staff member who recorded the consent.
    pub consent_recorded_by: Option<i64>,
}

impl CaseRecord {
    /// The case part of row `b`.
    pub fn of(b: &beneficiary::Model) -> Self {
        Self {
            status: b.case_status,
            closed_reason: b.closed_reason,
            closed_at: b.closed_at,
            erased_at: b.erased_at,
            consent: b.consent_at.zip(b.consent_version.clone()),
            consent_recorded_by: b.consent_recorded_by,
        }
    }
}

/// The summary of row `b` in `community` (Chinese, English).
fn summary(b: beneficiary::Model, community: (String, String)) -> BeneficiarySummary {
    BeneficiarySummary {
        id: b.id,
        group: b.beneficiary_group.parse().unwrap_or(BeneficiaryGroup::Other),
        community_id: b.community_id,
        community,
        has_contact: b.contact_id.is_some(),
        created_at: b.created_at,
        case: CaseRecord::of(&b),
        code: b.code,
    }
}

/// The caller's organization's beneficiaries (all for the office) whose case is in `status`
/// (any when `None`), optionally those whose code contains `code`.
pub async fn list(
    db: &DatabaseConnection,
    caller: &Caller,
    code: &str,
    status: Option<CaseStatus>,
) -> Result<Vec<BeneficiarySummary>, ServiceError> {
    use sea_orm::QueryOrder;
    super::access::refuse_district(db, caller, "beneficiary.list", chrono::Utc::now()).await?;
    let mut query = beneficiary::Entity::find().order_by_desc(beneficiary::Column::Id);
    match caller.org_scope() {
        super::access::OrgScope::NoneOf => return Err(ServiceError::Forbidden),
        scope => query = query.filter(scope.condition(beneficiary::Column::OrganizationId)),
    }
    let code = code.trim().to_uppercase();
    if !code.is_empty() {
        query = query.filter(beneficiary::Column::Code.contains(code));
    }
    if let Some(status) = status {
        query = query.filter(beneficiary::Column::CaseStatus.eq(status));
    }
    let rows = sea_orm::QuerySelect::limit(query, 200).all(db).await?;
    let communities: std::collections::HashMap<i64, community::Model> = community::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    Ok(rows
        .into_iter()
        .map(|b| {
            let community = communities
                .get(&b.community_id)
                .map(|c| (c.name.clone(), c.name_en.clone()))
                .unwrap_or_default();
            summary(b, community)
        })
        .collect())
}

/// A beneficiary as the need form offers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BeneficiaryChoice {
    /// Id.
    pub id: i64,
    /// Pseudonymous code.
    pub code: String,
    /// Group.
    pub group: BeneficiaryGroup,
    /// The registered name: only for a social worker of the owning organization, never for the office.
    pub name: Option<String>,
}

/// Most records a search opens; an organization with more narrows by code first.
const CHOICES_OPENED: u64 = 2_000;
/// Most choices a form lists.
const CHOICES_SHOWN: usize = 200;

/// The beneficiaries the caller may post a need for, newest first, matching `q` in the code or (for a social
/// worker, whose own organization's people they are) in the name. The names are opened here for the worker's
/// choice only, and one audit row records how many were shown. The office sees codes only.
pub async fn choices(
    db: &DatabaseConnection,
    secret: &Secret,
    caller: &Caller,
    q: &str,
    now: DateTime<Utc>,
) -> Result<Vec<BeneficiaryChoice>, ServiceError> {
    use sea_orm::{QueryOrder, QuerySelect};
    let q = q.trim();
    let (query, own_org) = match (caller.org_scope(), caller) {
        (super::access::OrgScope::Only(org), Caller::SocialWorker { .. }) => (
            beneficiary::Entity::find()
                .filter(beneficiary::Column::OrganizationId.eq(org))
                .filter(beneficiary::Column::CaseStatus.eq(CaseStatus::Active)),
            Some(org),
        ),
        (scope @ (super::access::OrgScope::All | super::access::OrgScope::Subdistrict(_)), _) => {
            // A closed case takes no new need, so the form does not offer it.
            let mut query = beneficiary::Entity::find()
                .filter(beneficiary::Column::CaseStatus.eq(CaseStatus::Active))
                .filter(scope.condition(beneficiary::Column::OrganizationId));
            if !q.is_empty() {
                query = query.filter(beneficiary::Column::Code.contains(q.to_uppercase()));
            }
            (query, None)
        }
        _ => return Err(ServiceError::Forbidden),
    };
    let limit = if own_org.is_some() {
        CHOICES_OPENED
    } else {
        CHOICES_SHOWN as u64
    };
    let rows = query
        .order_by_desc(beneficiary::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let group = |b: &beneficiary::Model| b.beneficiary_group.parse().unwrap_or(BeneficiaryGroup::Other);
    let Some(org) = own_org else {
        return Ok(rows
            .iter()
            .map(|b| BeneficiaryChoice {
                id: b.id,
                code: b.code.clone(),
                group: group(b),
                name: None,
            })
            .collect());
    };
    let sealed: std::collections::HashMap<i64, beneficiary_private::Model> = beneficiary_private::Entity::find()
        .filter(beneficiary_private::Column::BeneficiaryId.is_in(rows.iter().map(|b| b.id)))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.beneficiary_id, p))
        .collect();
    let needle = q.to_lowercase();
    let mut out = Vec::new();
    for b in &rows {
        // A row that does not open is listed by its code; the failure is the re-seal job's to report.
        let name = sealed
            .get(&b.id)
            .and_then(|p| open_private(secret, p).ok())
            .map(|d| d.full_name);
        let matches = needle.is_empty()
            || b.code.to_lowercase().contains(&needle)
            || name.as_ref().is_some_and(|n| n.to_lowercase().contains(&needle));
        if matches {
            out.push(BeneficiaryChoice {
                id: b.id,
                code: b.code.clone(),
                group: group(b),
                name,
            });
            if out.len() == CHOICES_SHOWN {
                break;
            }
        }
    }
    audit::record(
        db,
        now,
        Entry::ok(caller.actor(), "beneficiary.names.read")
            .organization(Some(org))
            .detail(serde_json::json!({ "shown": out.len() })),
    )
    .await?;
    Ok(out)
}

/// One beneficiary with the private part opened: only for the owning organization and the
/// office, and every such read is written to the audit log. An erased case has no private
/// part left: its details come back empty.
pub async fn view(
    db: &DatabaseConnection,
    secret: &Secret,
    caller: &Caller,
    id: i64,
    now: DateTime<Utc>,
) -> Result<(BeneficiarySummary, PrivateDetails), ServiceError> {
    super::access::refuse_district(db, caller, "beneficiary.private.read", now).await?;
    let found = beneficiary::Entity::find_by_id(id).one(db).await?;
    let reaches = match &found {
        Some(b) => caller.org_scope().permits(db, b.organization_id).await?,
        None => false,
    };
    let Some(b) = found.filter(|_| reaches) else {
        audit::record(
            db,
            now,
            Entry::denied(caller.actor(), "beneficiary.private.read").subject("beneficiary", id),
        )
        .await?;
        return Err(ServiceError::NotFound("beneficiary"));
    };
    let details = match load_private(db, secret, b.id).await? {
        Some(details) => details,
        None if b.erased_at.is_some() => PrivateDetails::default(),
        None => return Err(ServiceError::NotFound("beneficiary")),
    };
    audit::record(
        db,
        now,
        Entry::ok(caller.actor(), "beneficiary.private.read")
            .subject("beneficiary", b.id)
            .organization(Some(b.organization_id)),
    )
    .await?;
    let community = community::Entity::find_by_id(b.community_id).one(db).await?;
    Ok((
        summary(b, community.map(|c| (c.name, c.name_en)).unwrap_or_default()),
        details,
    ))
}
