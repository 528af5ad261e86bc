//! The relief ledger (微爱1+1) of a case: the relay's confirmed deliveries (derived from claims, never
//! copied) joined with support recorded by hand, the programmes those name, and the totals. Read by the
//! owning organization and the office; another organization, a merchant or a missing id all get the same
//! "not found", and the refusal is audited.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use super::ServiceError;
use super::access::{Caller, OrgScope, require_admin};
use super::audit::{self, Entry};
use super::case_access::{readable, readable_history};
use super::error::is_unique_violation;
use crate::domain::input::{self, FieldError, FieldErrors};
use crate::domain::ledger::{self, EntryDraft, EntryInput, Figure, Regularity, ReliefForm, ReliefKind};
use crate::domain::referral::HistoryAccess;
use crate::domain::time::local_date;
use crate::domain::{BeneficiaryGroup, Category, ClaimStatus};
use crate::entities::{
    beneficiary, claim, community, idempotency_record, ledger_entry, merchant, need, organization, relief_programme,
};
use crate::{crypto, db};

/// Most timeline items a ledger shows (the totals count every one).
pub const SHOWN: usize = 200;

/// A relief programme as forms offer it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Programme {
    /// Id.
    pub id: i64,
    /// Stable short name.
    pub code: String,
    /// (Chinese, English) names.
    pub name: (String, String),
    /// The subdistrict whose office added it; none for a built-in one every subdistrict names.
    pub subdistrict_id: Option<i64>,
}

impl From<relief_programme::Model> for Programme {
    fn from(p: relief_programme::Model) -> Self {
        Programme {
            id: p.id,
            code: p.code,
            name: (p.name, p.name_en),
            subdistrict_id: p.subdistrict_id,
        }
    }
}

/// What a ledger item came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A confirmed delivery of the relay.
    Delivery {
        /// The need's title.
        title: String,
        /// Units delivered and their unit.
        quantity: i32,
        /// The unit ("袋").
        unit: String,
        /// The merchant's shop name.
        merchant: String,
    },
    /// Support recorded by hand.
    Entry {
        /// Its id.
        id: i64,
        /// Regular or temporary.
        regularity: Regularity,
        /// The programme's (Chinese, English) names.
        programme: (String, String),
        /// Last day covered (the first is the item's `on`).
        until: NaiveDate,
        /// The internal note.
        description: String,
    },
}

/// One line of the timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerItem {
    /// The day it counts on (a delivery's confirmation, an entry's first day).
    pub on: NaiveDate,
    /// Who gave it.
    pub kind: ReliefKind,
    /// Its form.
    pub form: ReliefForm,
    /// Value in fen; `None` for a delivery whose need had no estimated value.
    pub fen: Option<i64>,
    /// Where it came from.
    pub source: Source,
    /// When it was recorded (or confirmed).
    pub recorded_at: DateTime<Utc>,
}

/// A case's ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ledger {
    /// The beneficiary's id.
    pub beneficiary_id: i64,
    /// Its pseudonymous code.
    pub code: String,
    /// Newest first, at most [`SHOWN`].
    pub items: Vec<LedgerItem>,
    /// Every item, in all.
    pub total_items: usize,
    /// Fen per year, newest first.
    pub per_year: Vec<(i32, i64)>,
    /// The last twelve months: `[kind][form]` in the order of `ReliefKind::ALL` × `ReliefForm::ALL`.
    pub last_twelve_months: [[i64; 3]; 2],
    /// For an organization that referred the case on: its hand-over, up to which it reads
    /// (and records nothing).
    pub read_only_until: Option<DateTime<Utc>>,
    /// The programmes a hand entry of this case may name: the built-in ones and those of the
    /// case's subdistrict's office.
    pub programmes: Vec<Programme>,
}

/// A case as the organization's list shows it (no personal data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseSummary {
    /// Pseudonymous code.
    pub code: String,
    /// Group.
    pub group: BeneficiaryGroup,
    /// Community (Chinese, English).
    pub community: (String, String),
    /// When registered.
    pub registered_at: DateTime<Utc>,
}

/// Every programme of every subdistrict, built-in first, then the offices' in the order added
/// (for the names of entries already recorded, and the API's codes).
pub async fn programmes<C: ConnectionTrait>(conn: &C) -> Result<Vec<Programme>, ServiceError> {
    Ok(relief_programme::Entity::find()
        .order_by_asc(relief_programme::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(Programme::from)
        .collect())
}

/// The programmes of `subdistrict`: the built-in ones, then its office's in the order added.
async fn programmes_of<C: ConnectionTrait>(conn: &C, subdistrict: i64) -> Result<Vec<Programme>, ServiceError> {
    Ok(relief_programme::Entity::find()
        .filter(
            Condition::any()
                .add(relief_programme::Column::SubdistrictId.is_null())
                .add(relief_programme::Column::SubdistrictId.eq(subdistrict)),
        )
        .order_by_asc(relief_programme::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(Programme::from)
        .collect())
}

/// The subdistrict of a case: its organization's, whose office's programmes it names.
async fn subdistrict_of_case<C: ConnectionTrait>(conn: &C, case: &beneficiary::Model) -> Result<i64, ServiceError> {
    organization::Entity::find_by_id(case.organization_id)
        .select_only()
        .column(organization::Column::SubdistrictId)
        .into_tuple::<i64>()
        .one(conn)
        .await?
        .ok_or(ServiceError::NotFound("organization"))
}

/// The programmes the office's page lists: its subdistrict's (with the built-in ones); every
/// one for the process itself. Anyone else is refused, audited.
pub async fn office_programmes(
    db: &DatabaseConnection,
    caller: &Caller,
    now: DateTime<Utc>,
) -> Result<Vec<Programme>, ServiceError> {
    require_admin(db, caller, "relief_programme.list", now).await?;
    match caller.subdistrict_id() {
        Some(s) => programmes_of(db, s).await,
        None => programmes(db).await,
    }
}

/// Adds a programme to the list of the office's subdistrict (its cases' entries may name it;
/// another subdistrict's do not see it); both names are required. The process itself adds a
/// programme every subdistrict names. The district bureau and everyone else are refused,
/// audited.
pub async fn add_programme(
    db: &DatabaseConnection,
    caller: &Caller,
    name: &str,
    name_en: &str,
    now: DateTime<Utc>,
) -> Result<Programme, ServiceError> {
    require_admin(db, caller, "relief_programme.add", now).await?;
    let mut errors = FieldErrors::default();
    let name = errors.check("name", input::text(name, 1, 50));
    let name_en = errors.check("name_en", input::text(name_en, 1, 80));
    let (Some(name), Some(name_en)) = (name, name_en) else {
        return Err(ServiceError::Validation(errors));
    };
    let txn = db::begin_write(db).await?;
    let row = relief_programme::ActiveModel {
        code: Set(format!("p-{}", now.timestamp_micros())),
        name: Set(name),
        name_en: Set(name_en),
        created_by: Set(caller.staff_id()),
        created_at: Set(now),
        subdistrict_id: Set(caller.subdistrict_id()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        now,
        Entry::ok(caller.actor(), "relief_programme.add")
            .subject("relief_programme", row.id)
            .detail(serde_json::json!({ "subdistrict": row.subdistrict_id })),
    )
    .await?;
    txn.commit().await?;
    Ok(Programme::from(row))
}

/// The ledger of beneficiary `id`.
pub async fn ledger(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i64,
    now: DateTime<Utc>,
) -> Result<Ledger, ServiceError> {
    let found = beneficiary::Entity::find_by_id(id).one(db).await?;
    let (case, access) = readable_history(db, caller, found, &id.to_string(), "ledger.read", now).await?;
    build(db, case, access, now).await
}

/// The ledger of the case with code `code` (the API's address of a case).
pub async fn ledger_by_code(
    db: &DatabaseConnection,
    caller: &Caller,
    code: &str,
    now: DateTime<Utc>,
) -> Result<Ledger, ServiceError> {
    let case = case_by_code(db, caller, code, "ledger.read", now).await?;
    build(db, case, HistoryAccess::All, now).await
}

async fn case_by_code<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    code: &str,
    action: &str,
    now: DateTime<Utc>,
) -> Result<beneficiary::Model, ServiceError> {
    let code = code.trim().to_uppercase();
    let found = beneficiary::Entity::find()
        .filter(beneficiary::Column::Code.eq(&code))
        .one(conn)
        .await?;
    readable(conn, caller, found, &code, action, now).await
}

async fn build(
    db: &DatabaseConnection,
    case: beneficiary::Model,
    access: HistoryAccess,
    now: DateTime<Utc>,
) -> Result<Ledger, ServiceError> {
    let mut items = deliveries(db, case.id).await?;
    let names: std::collections::HashMap<i64, (String, String)> =
        programmes(db).await?.into_iter().map(|p| (p.id, p.name)).collect();
    let entries = ledger_entry::Entity::find()
        .filter(ledger_entry::Column::BeneficiaryId.eq(case.id))
        .all(db)
        .await?;
    items.extend(entries.into_iter().map(|e| item_of_entry(e, &names)));
    items.retain(|i| access.allows(i.recorded_at));
    items.sort_by(|a, b| b.on.cmp(&a.on).then(b.recorded_at.cmp(&a.recorded_at)));
    let figures: Vec<Figure> = items
        .iter()
        .map(|i| Figure {
            on: i.on,
            kind: i.kind,
            form: i.form,
            fen: i.fen.unwrap_or(0),
        })
        .collect();
    let total_items = items.len();
    items.truncate(SHOWN);
    let programmes = programmes_of(db, subdistrict_of_case(db, &case).await?).await?;
    Ok(Ledger {
        beneficiary_id: case.id,
        code: case.code,
        items,
        total_items,
        per_year: ledger::totals_per_year(&figures),
        last_twelve_months: ledger::last_twelve_months(&figures, local_date(now)),
        read_only_until: match access {
            HistoryAccess::Until(t) => Some(t),
            _ => None,
        },
        programmes,
    })
}

fn item_of_entry(e: ledger_entry::Model, names: &std::collections::HashMap<i64, (String, String)>) -> LedgerItem {
    LedgerItem {
        on: e.period_from,
        kind: e.kind,
        form: e.form,
        fen: Some(e.amount_fen),
        source: Source::Entry {
            id: e.id,
            regularity: e.regularity,
            programme: names.get(&e.programme_id).cloned().unwrap_or_default(),
            until: e.period_to,
            description: e.description,
        },
        recorded_at: e.created_at,
    }
}

/// The relay's confirmed deliveries to beneficiary `id`, valued at the need's estimate for the share delivered.
async fn deliveries(db: &DatabaseConnection, id: i64) -> Result<Vec<LedgerItem>, ServiceError> {
    let needs = need::Entity::find()
        .filter(need::Column::BeneficiaryId.eq(id))
        .all(db)
        .await?;
    let claims = claim::Entity::find()
        .filter(claim::Column::NeedId.is_in(needs.iter().map(|n| n.id)))
        .filter(claim::Column::Status.eq(ClaimStatus::Confirmed))
        .all(db)
        .await?;
    let shops: std::collections::HashMap<i64, String> = merchant::Entity::find()
        .filter(merchant::Column::Id.is_in(claims.iter().map(|c| c.merchant_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.id, m.name))
        .collect();
    let needs: std::collections::HashMap<i64, need::Model> = needs.into_iter().map(|n| (n.id, n)).collect();
    Ok(claims
        .into_iter()
        .filter_map(|c| {
            let n = needs.get(&c.need_id)?;
            let confirmed = c.confirmed_at.unwrap_or(c.created_at);
            let category: Category = n.category.parse().unwrap_or(Category::Other);
            let fen = n
                .estimated_value_cents
                .filter(|_| n.quantity > 0)
                .map(|v| v * i64::from(c.quantity) / i64::from(n.quantity));
            Some(LedgerItem {
                on: local_date(confirmed),
                kind: ReliefKind::Social,
                form: ledger::form_of_category(category),
                fen,
                source: Source::Delivery {
                    title: n.title.clone(),
                    quantity: c.quantity,
                    unit: n.unit.clone(),
                    merchant: shops.get(&c.merchant_id).cloned().unwrap_or_default(),
                },
                recorded_at: confirmed,
            })
        })
        .collect())
}

/// Who may record for a case: its own organization's worker or token (the office reads only).
fn recorder(caller: &Caller, case: &beneficiary::Model) -> Result<(Option<i64>, Option<i64>), ServiceError> {
    match *caller {
        Caller::SocialWorker {
            staff_id,
            organization_id,
        } if organization_id == case.organization_id => Ok((Some(staff_id), None)),
        Caller::Organization {
            token_id,
            organization_id,
        } if organization_id == case.organization_id => Ok((None, Some(token_id))),
        _ => Err(ServiceError::Forbidden),
    }
}

/// Records a hand entry for beneficiary `id` (the web form).
pub async fn add_entry(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i64,
    form: &EntryInput,
    now: DateTime<Utc>,
) -> Result<LedgerItem, ServiceError> {
    let txn = db::begin_write(db).await?;
    let found = beneficiary::Entity::find_by_id(id).one(&txn).await?;
    let case = match readable(&txn, caller, found, &id.to_string(), "ledger.add", now).await {
        Ok(case) => case,
        Err(e) => {
            txn.commit().await?;
            return Err(e);
        }
    };
    let item = insert_entry(&txn, caller, &case, form, now).await?;
    txn.commit().await?;
    Ok(item)
}

/// A hand entry posted over the API: answered once, and the same answer again for the same
/// `Idempotency-Key` and body; the key with another body is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posted {
    /// The entry.
    pub item: LedgerItem,
    /// True when this is a retry answered from the first time.
    pub replayed: bool,
}

/// Records a hand entry for the case with code `code` under idempotency key `key` (the API).
pub async fn post_entry(
    db: &DatabaseConnection,
    caller: &Caller,
    code: &str,
    form: &EntryInput,
    key: &str,
    now: DateTime<Utc>,
) -> Result<Posted, ServiceError> {
    let Caller::Organization { token_id, .. } = *caller else {
        return Err(ServiceError::Forbidden);
    };
    let scope = format!("ledger:token:{token_id}");
    let digest = crypto::sha256_hex(
        &serde_json::json!([
            code.trim().to_uppercase(),
            form.kind,
            form.regularity,
            form.form,
            form.programme_id,
            form.amount,
            form.period_from,
            form.period_to,
            form.description
        ])
        .to_string(),
    );
    let txn = db::begin_write(db).await?;
    if let Some(done) = replay(&txn, &scope, key, &digest).await? {
        return Ok(Posted {
            item: done?,
            replayed: true,
        });
    }
    let case = match case_by_code(&txn, caller, code, "ledger.add", now).await {
        Ok(case) => case,
        Err(e) => {
            txn.commit().await?;
            return Err(e);
        }
    };
    let item = insert_entry(&txn, caller, &case, form, now).await?;
    let Source::Entry { id, .. } = item.source else {
        return Err(ServiceError::Internal("a new entry is an entry".into()));
    };
    let stored = idempotency_record::ActiveModel {
        scope: Set(scope.clone()),
        idem_key: Set(key.to_owned()),
        request_digest: Set(digest.clone()),
        status_code: Set(201),
        response_body: Set(serde_json::json!({ "ledger_entry": id }).to_string()),
        created_at: Set(now),
    }
    .insert(&txn)
    .await;
    match stored {
        Ok(_) => {
            txn.commit().await?;
            Ok(Posted { item, replayed: false })
        }
        // The same key committed by a concurrent request first: this one is dropped, and answered as a retry.
        Err(e) if is_unique_violation(&e) => {
            drop(txn);
            let item = replay(db, &scope, key, &digest)
                .await?
                .ok_or(ServiceError::Internal("an idempotency record vanished".into()))??;
            Ok(Posted { item, replayed: true })
        }
        Err(e) => Err(e.into()),
    }
}

/// The first answer to `key`, if it was used: the same entry, or a refusal when the body differs.
async fn replay<C: ConnectionTrait>(
    conn: &C,
    scope: &str,
    key: &str,
    digest: &str,
) -> Result<Option<Result<LedgerItem, ServiceError>>, ServiceError> {
    let Some(earlier) = idempotency_record::Entity::find_by_id((scope.to_owned(), key.to_owned()))
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    if earlier.request_digest != digest {
        return Ok(Some(Err(ServiceError::IdempotencyKeyReused)));
    }
    let body: serde_json::Value = serde_json::from_str(&earlier.response_body).unwrap_or_default();
    let id = body
        .get("ledger_entry")
        .and_then(serde_json::Value::as_i64)
        .unwrap_or(0);
    let Some(entry) = ledger_entry::Entity::find_by_id(id).one(conn).await? else {
        return Ok(Some(Err(ServiceError::Internal(
            "a stored ledger answer has no entry".into(),
        ))));
    };
    let names = programmes(conn).await?.into_iter().map(|p| (p.id, p.name)).collect();
    Ok(Some(Ok(item_of_entry(entry, &names))))
}

async fn insert_entry<C: ConnectionTrait>(
    txn: &C,
    caller: &Caller,
    case: &beneficiary::Model,
    form: &EntryInput,
    now: DateTime<Utc>,
) -> Result<LedgerItem, ServiceError> {
    let (staff_id, token_id) = recorder(caller, case)?;
    // The erasure job passes an erased case by: words written now would never be erased.
    if case.erased_at.is_some() {
        return Err(ServiceError::Conflict("the case's personal data was erased".into()));
    }
    let subdistrict = Some(subdistrict_of_case(txn, case).await?);
    // A programme of another subdistrict's office is as unknown here as a missing one.
    let programme_known = match input::chosen_id(&form.programme_id) {
        Ok(pid) => match relief_programme::Entity::find_by_id(pid).one(txn).await? {
            Some(p) => p.subdistrict_id.is_none_or(|s| Some(s) == subdistrict),
            None => false,
        },
        Err(_) => true,
    };
    let draft: EntryDraft = match form.parse() {
        Ok(draft) if programme_known => draft,
        parsed => {
            let mut errors = parsed.err().unwrap_or_default();
            if !programme_known {
                errors.push("programme_id", FieldError::UnknownChoice);
            }
            return Err(ServiceError::Validation(errors));
        }
    };
    let row = ledger_entry::ActiveModel {
        beneficiary_id: Set(case.id),
        organization_id: Set(case.organization_id),
        kind: Set(draft.kind),
        regularity: Set(draft.regularity),
        form: Set(draft.form),
        programme_id: Set(draft.programme_id),
        amount_fen: Set(draft.amount_fen),
        period_from: Set(draft.period.from),
        period_to: Set(draft.period.to),
        description: Set(draft.description),
        recorded_by: Set(staff_id),
        recorded_by_token: Set(token_id),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    audit::record(
        txn,
        now,
        Entry::ok(caller.actor(), "ledger.add")
            .subject("beneficiary", case.id)
            .organization(Some(case.organization_id))
            .detail(serde_json::json!({ "ledger_entry": row.id })),
    )
    .await?;
    let names = programmes(txn).await?.into_iter().map(|p| (p.id, p.name)).collect();
    Ok(item_of_entry(row, &names))
}

/// The caller organization's cases, newest first: `limit` of them after skipping `offset`.
pub async fn cases(
    db: &DatabaseConnection,
    caller: &Caller,
    offset: u64,
    limit: u64,
) -> Result<Vec<CaseSummary>, ServiceError> {
    let OrgScope::Only(org) = caller.org_scope() else {
        return Err(ServiceError::Forbidden);
    };
    let rows = beneficiary::Entity::find()
        .filter(beneficiary::Column::OrganizationId.eq(org))
        .order_by_desc(beneficiary::Column::Id)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await?;
    let communities: std::collections::HashMap<i64, (String, String)> = community::Entity::find()
        .filter(community::Column::Id.is_in(rows.iter().map(|b| b.community_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, (c.name, c.name_en)))
        .collect();
    Ok(rows
        .into_iter()
        .map(|b| CaseSummary {
            group: b.beneficiary_group.parse().unwrap_or(BeneficiaryGroup::Other),
            community: communities.get(&b.community_id).cloned().unwrap_or_default(),
            code: b.code,
            registered_at: b.created_at,
        })
        .collect())
}
