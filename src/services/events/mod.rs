//! Events (爱心认领活动, 集市, 开放日, 夏令营): an organization — or the office, for an
//! organization of its subdistrict — sets one up with its volunteer roles and the needs it
//! gathers; volunteers sign up from their email (`signups`), shops from the bot; the
//! organizer checks people in and turns attendance into confirmed hours (`attendance`).
//! Rules are in `domain/event.rs`; the signed links of the emails in `links`.

pub mod attendance;
pub mod links;
pub mod signups;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use super::ServiceError;
use super::access::{Caller, OrgScope};
use super::audit::{self, Entry};
use crate::config::Secret;
use crate::db;
use crate::domain::event::{self, EventForm, EventInput, EventKind, EventStatus, PlaceChoice, SignupStatus};
use crate::domain::input::{FieldError, FieldErrors};
use crate::domain::pii::PersonMarks;
use crate::domain::{Locale, NeedStatus};
use crate::entities::{
    beneficiary, community, drop_off_point, event as event_row, event_need, event_role, event_signup, need,
    organization, volunteer,
};

/// Beneficiaries read a page at a time when an event's text is checked against them.
const PLACE_CHECK_PAGE: u64 = 500;

/// An event in a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventSummary {
    /// Id.
    pub id: i64,
    /// Kind.
    pub kind: EventKind,
    /// Title.
    pub title: String,
    /// Start.
    pub starts_at: DateTime<Utc>,
    /// End.
    pub ends_at: DateTime<Utc>,
    /// The public place.
    pub place: PlaceText,
    /// Where it stands.
    pub status: EventStatus,
    /// The organization that runs it.
    pub organizer: String,
    /// Slots taken, of all roles.
    pub taken: i64,
    /// Slots, of all roles.
    pub slots: i64,
}

/// A role with its slots and who holds them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleView {
    /// Id.
    pub id: i64,
    /// What the volunteer does.
    pub name: String,
    /// Slots.
    pub slots: i64,
    /// Confirmed sign-ups.
    pub taken: i64,
    /// Sign-ups waiting.
    pub waitlisted: i64,
}

impl RoleView {
    /// Slots still free.
    pub fn free(&self) -> i64 {
        (self.slots - self.taken).max(0)
    }
}

/// One person's sign-up, as the organizer sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignupView {
    /// Id.
    pub id: i64,
    /// The volunteer's name (their own organization's record).
    pub volunteer: String,
    /// The shop that signed them up, if one did.
    pub shop: Option<String>,
    /// The role.
    pub role: String,
    /// Where it stands.
    pub status: SignupStatus,
    /// Place on the waitlist (1 is next), when waitlisted.
    pub position: i64,
    /// Checked in at the event.
    pub checked_in: bool,
    /// The confirmed hours their attendance became, in tenths.
    pub tenths: Option<i32>,
}

/// A need the event gathers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventNeedView {
    /// The need.
    pub id: i64,
    /// Its public title.
    pub title: String,
    /// Where it stands.
    pub status: NeedStatus,
    /// Units not yet claimed.
    pub left: i32,
    /// The unit.
    pub unit: String,
}

/// An event with its roles, sign-ups and needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventView {
    /// The list's facts.
    pub summary: EventSummary,
    /// What happens there.
    pub description: String,
    /// The organization that runs it.
    pub organization_id: i64,
    /// Roles.
    pub roles: Vec<RoleView>,
    /// Sign-ups, by role, then confirmed before waitlisted, in order.
    pub signups: Vec<SignupView>,
    /// The needs it gathers.
    pub needs: Vec<EventNeedView>,
    /// True for the organizer's own staff: they invite, check in and record hours.
    pub runs_it: bool,
    /// When the organization's volunteers were invited.
    pub invited_at: Option<DateTime<Utc>>,
    /// The hours a whole attendance counts for, in tenths.
    pub default_tenths: i32,
    /// For the organizer: its volunteers not signed up, whom it may sign up itself.
    pub volunteers_to_add: Vec<(i64, String)>,
    /// For the organizer: its open needs at no event, which it may add.
    pub needs_to_add: Vec<NeedOption>,
}

/// A choice of place on the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaceOption {
    /// `point:3` or `community:2`.
    pub value: String,
    /// As shown.
    pub label: String,
}

/// A need that may be attached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeedOption {
    /// Id.
    pub id: i64,
    /// Public title.
    pub title: String,
}

/// What the event form offers the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormOptions {
    /// Public places: the organization's drop-off points, its subdistrict's community centres.
    pub places: Vec<PlaceOption>,
    /// Open needs not at another event.
    pub needs: Vec<NeedOption>,
    /// For the office: the organizations of its subdistrict, one of which runs the event.
    pub organizations: Vec<(i64, String)>,
}

/// The organization a caller creates events for: its own, or (the office) the one chosen.
async fn organizer_for<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    chosen: Option<i64>,
) -> Result<Option<organization::Model>, ServiceError> {
    let id = match (caller, chosen) {
        (Caller::SocialWorker { organization_id, .. }, _) => Some(*organization_id),
        (Caller::Admin { .. }, Some(id)) => Some(id),
        _ => None,
    };
    let Some(id) = id else { return Ok(None) };
    // A suspended organization runs no event, whoever sets it up.
    let Some(org) = organization::Entity::find_by_id(id)
        .one(conn)
        .await?
        .filter(|o| o.status == crate::domain::PartyStatus::Approved)
    else {
        return Ok(None);
    };
    Ok(caller.org_scope().permits(conn, org.id).await?.then_some(org))
}

fn community_centre(c: &community::Model, locale: Locale) -> String {
    match locale {
        Locale::ZhCn => format!("{}党群服务中心", c.name),
        Locale::En => format!("{} community centre", c.name_en),
    }
}

/// A drop-off point with its address (the organization's own words, in one language).
fn point_label(p: &drop_off_point::Model, locale: Locale) -> String {
    match locale {
        Locale::ZhCn => format!("{}（{}）", p.name, p.address),
        Locale::En => format!("{} ({})", p.name, p.address),
    }
}

/// The place followed by the room, when one was typed.
fn with_detail(place: String, detail: &str) -> String {
    match detail {
        "" => place,
        detail => format!("{place} {detail}"),
    }
}

/// An event's public place in both languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaceText {
    /// In Chinese.
    pub zh: String,
    /// In English (a drop-off point's own name and address stay as the organization wrote them).
    pub en: String,
}

impl PlaceText {
    /// The place in `locale`.
    pub fn get(&self, locale: Locale) -> &str {
        match locale {
            Locale::ZhCn => &self.zh,
            Locale::En => &self.en,
        }
    }
}

/// The place of event `row` in both languages, from the centre or point chosen and the room;
/// a row written before those were kept, and not matched since, shows its Chinese text.
pub(crate) async fn place_text<C: ConnectionTrait>(
    conn: &C,
    row: &event_row::Model,
) -> Result<PlaceText, ServiceError> {
    let community = match row.community_id {
        Some(id) => community::Entity::find_by_id(id).one(conn).await?,
        None => None,
    };
    let point = match (&community, row.drop_off_point_id) {
        (None, Some(id)) => drop_off_point::Entity::find_by_id(id).one(conn).await?,
        _ => None,
    };
    let label = |locale| match (&community, &point) {
        (Some(c), _) => Some(community_centre(c, locale)),
        (None, Some(p)) => Some(point_label(p, locale)),
        (None, None) => None,
    };
    Ok(match (label(Locale::ZhCn), label(Locale::En)) {
        (Some(zh), Some(en)) => PlaceText {
            zh: with_detail(zh, &row.place_detail),
            en: with_detail(en, &row.place_detail),
        },
        _ => PlaceText {
            zh: row.place.clone(),
            en: row.place.clone(),
        },
    })
}

/// The choices of the event form for `caller` (the office: for `organization_id`, if chosen).
pub async fn form_options(
    db: &DatabaseConnection,
    caller: &Caller,
    organization_id: Option<i64>,
    locale: Locale,
) -> Result<FormOptions, ServiceError> {
    if !matches!(caller, Caller::SocialWorker { .. } | Caller::Admin { .. }) {
        return Err(ServiceError::Forbidden);
    }
    let organizations = match caller {
        Caller::Admin { subdistrict_id, .. } => organization::Entity::find()
            .filter(organization::Column::SubdistrictId.eq(*subdistrict_id))
            .filter(organization::Column::Status.eq(crate::domain::PartyStatus::Approved))
            .order_by_asc(organization::Column::Name)
            .all(db)
            .await?
            .into_iter()
            .map(|o| (o.id, o.name))
            .collect(),
        _ => Vec::new(),
    };
    let chosen = organization_id.or_else(|| organizations.first().map(|(id, _)| *id));
    let Some(org) = organizer_for(db, caller, chosen).await? else {
        return Ok(FormOptions {
            places: Vec::new(),
            needs: Vec::new(),
            organizations,
        });
    };
    let mut places: Vec<PlaceOption> = drop_off_point::Entity::find()
        .filter(drop_off_point::Column::OrganizationId.eq(org.id))
        .order_by_asc(drop_off_point::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|p| PlaceOption {
            value: format!("point:{}", p.id),
            label: p.name,
        })
        .collect();
    places.extend(
        community::Entity::find()
            .filter(community::Column::SubdistrictId.eq(org.subdistrict_id))
            .order_by_asc(community::Column::Id)
            .all(db)
            .await?
            .iter()
            .map(|c| PlaceOption {
                value: format!("community:{}", c.id),
                label: community_centre(c, locale),
            }),
    );
    let needs = open_needs_at_no_event(db, org.id).await?;
    Ok(FormOptions {
        places,
        needs,
        organizations,
    })
}

/// Creates an event run by the caller's organization (the office: by `organization_id` of its
/// subdistrict), with its roles and the open needs `need_ids` of that organization. The place
/// must be one of the organization's drop-off points or a community centre of its
/// subdistrict; no text may name a beneficiary's registered address (nor their name or phone).
pub async fn create(
    db: &DatabaseConnection,
    secret: &Secret,
    caller: &Caller,
    organization_id: Option<i64>,
    form: &EventForm,
    need_ids: &[i64],
    now: DateTime<Utc>,
) -> Result<i64, ServiceError> {
    let Some(staff_id) = caller
        .staff_id()
        .filter(|_| matches!(caller, Caller::SocialWorker { .. } | Caller::Admin { .. }))
    else {
        return Err(ServiceError::Forbidden);
    };
    let parsed = form.parse(now);
    let Some(org) = organizer_for(db, caller, organization_id).await? else {
        let mut errors = parsed.err().unwrap_or_default();
        errors.push("organization", FieldError::NotChosen);
        return Err(ServiceError::Validation(errors));
    };
    let input = parsed.map_err(ServiceError::Validation)?;
    let mut errors = FieldErrors::default();
    // Before the write transaction: opening sealed details is slow, and holds no one up here.
    if let Some(field) = names_a_beneficiary(db, secret, org.subdistrict_id, &input).await? {
        errors.push(field.0, FieldError::MentionsBeneficiary(field.1));
    }
    let txn = db::begin_write(db).await?;
    let place = match input.place {
        PlaceChoice::Point(id) => drop_off_point::Entity::find_by_id(id)
            .one(&txn)
            .await?
            .filter(|p| p.organization_id == org.id)
            .map(|p| (Some(p.id), None, point_label(&p, Locale::ZhCn))),
        PlaceChoice::Community(id) => community::Entity::find_by_id(id)
            .one(&txn)
            .await?
            .filter(|c| c.subdistrict_id == org.subdistrict_id)
            .map(|c| (None, Some(c.id), community_centre(&c, Locale::ZhCn))),
    };
    if place.is_none() {
        errors.push("place", FieldError::UnknownChoice);
    }
    let needs = attachable_needs(&txn, org.id, need_ids).await?;
    if needs.len() != need_ids.len() {
        errors.push("needs", FieldError::UnknownChoice);
    }
    let Some((drop_off_point_id, community_id, place)) = place.filter(|_| errors.is_empty()) else {
        return Err(ServiceError::Validation(errors));
    };
    let row = event_row::ActiveModel {
        organization_id: Set(org.id),
        subdistrict_id: Set(org.subdistrict_id),
        kind: Set(input.kind),
        title: Set(input.title.clone()),
        description: Set(input.description.clone()),
        starts_at: Set(input.starts_at),
        ends_at: Set(input.ends_at),
        drop_off_point_id: Set(drop_off_point_id),
        // Kept in Chinese as before; pages and emails name the place from the ids, per reader.
        place: Set(with_detail(place, &input.place_detail)),
        community_id: Set(community_id),
        place_detail: Set(input.place_detail.clone()),
        status: Set(EventStatus::Scheduled),
        created_by: Set(staff_id),
        created_at: Set(now),
        updated_at: Set(now),
        invited_at: Set(None),
        reminded_at: Set(None),
        hours_recorded_at: Set(None),
        hours_recorded_by: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    for (position, role) in input.roles.iter().enumerate() {
        event_role::ActiveModel {
            event_id: Set(row.id),
            name: Set(role.name.clone()),
            slots: Set(role.slots),
            position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    for need_id in &needs {
        event_need::ActiveModel {
            event_id: Set(row.id),
            need_id: Set(*need_id),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .map_err(|e| ServiceError::on_unique(e, "a need chosen was just attached to another event"))?;
    }
    audit::record(
        &txn,
        now,
        Entry::ok(caller.actor(), "event.create")
            .subject("event", row.id)
            .organization(Some(org.id))
            .detail(serde_json::json!({ "roles": input.roles.len(), "needs": needs.len() })),
    )
    .await?;
    txn.commit().await?;
    Ok(row.id)
}

/// The open needs of `organization_id` at no event (a need is gathered by one event at a
/// time), soonest deadline first: one query, the attached ones left out by a subquery.
fn at_no_event(organization_id: i64) -> sea_orm::Select<need::Entity> {
    use sea_orm::QueryTrait;
    need::Entity::find()
        .filter(need::Column::OrganizationId.eq(organization_id))
        .filter(need::Column::Status.eq(NeedStatus::Open))
        .filter(
            need::Column::Id.not_in_subquery(
                event_need::Entity::find()
                    .select_only()
                    .column(event_need::Column::NeedId)
                    .into_query(),
            ),
        )
        .order_by_asc(need::Column::Deadline)
}

/// The open needs of `organization_id` at no event, which the form and the event's page offer.
async fn open_needs_at_no_event<C: ConnectionTrait>(
    conn: &C,
    organization_id: i64,
) -> Result<Vec<NeedOption>, ServiceError> {
    Ok(at_no_event(organization_id)
        .all(conn)
        .await?
        .into_iter()
        .map(|n| NeedOption {
            id: n.id,
            title: n.title,
        })
        .collect())
}

/// The ids among `need_ids` that `organization_id` may attach: its own, open, at no event.
async fn attachable_needs<C: ConnectionTrait>(
    conn: &C,
    organization_id: i64,
    need_ids: &[i64],
) -> Result<Vec<i64>, ServiceError> {
    if need_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(at_no_event(organization_id)
        .filter(need::Column::Id.is_in(need_ids.iter().copied()))
        .all(conn)
        .await?
        .into_iter()
        .map(|n| n.id)
        .collect())
}

/// The first field of the event whose text repeats a registered name, phone or address of
/// a beneficiary of any organization of the subdistrict (the office may set events up for
/// each of them): an event is held in public, never at someone's home.
async fn names_a_beneficiary<C: ConnectionTrait>(
    conn: &C,
    secret: &Secret,
    subdistrict_id: i64,
    input: &EventInput,
) -> Result<Option<(&'static str, crate::domain::pii::PersonField)>, ServiceError> {
    let roles = input
        .roles
        .iter()
        .map(|r| r.name.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    let fields = [
        ("place_detail", input.place_detail.as_str()),
        ("title", input.title.as_str()),
        ("description", input.description.as_str()),
        ("roles", roles.as_str()),
    ];
    first_naming_a_beneficiary(conn, secret, subdistrict_id, &fields).await
}

/// The first of `fields` (name, text) that repeats a registered name, phone or address of a
/// beneficiary of any organization of the subdistrict. Every beneficiary is checked, a page
/// at a time, none skipped. The sealed details are opened for this comparison only and
/// never echoed.
pub(crate) async fn first_naming_a_beneficiary<C: ConnectionTrait>(
    conn: &C,
    secret: &Secret,
    subdistrict_id: i64,
    fields: &[(&'static str, &str)],
) -> Result<Option<(&'static str, crate::domain::pii::PersonField)>, ServiceError> {
    let mut pages = beneficiary::Entity::find()
        .filter(
            beneficiary::Column::OrganizationId.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(organization::Column::Id)
                    .from(organization::Entity)
                    .and_where(organization::Column::SubdistrictId.eq(subdistrict_id))
                    .to_owned(),
            ),
        )
        .order_by_asc(beneficiary::Column::Id)
        .paginate(conn, PLACE_CHECK_PAGE);
    while let Some(page) = pages.fetch_and_next().await? {
        if let Some(found) = names_one_of(conn, secret, page.iter().map(|b| b.id), fields).await? {
            return Ok(Some(found));
        }
    }
    Ok(None)
}

async fn names_one_of<C: ConnectionTrait>(
    conn: &C,
    secret: &Secret,
    ids: impl Iterator<Item = i64>,
    fields: &[(&'static str, &str)],
) -> Result<Option<(&'static str, crate::domain::pii::PersonField)>, ServiceError> {
    for id in ids {
        let Some(details) = super::private_details::private_details(conn, secret, id).await? else {
            continue;
        };
        let marks = PersonMarks::new(&details.full_name, &details.phone, &details.address);
        for (field, text) in fields {
            if let Some(found) = marks.find_in(text) {
                return Ok(Some((field, found)));
            }
        }
    }
    Ok(None)
}

/// Events the caller may read: its organization's (the office: its subdistrict's), newest
/// first after the upcoming ones.
pub async fn list(
    db: &DatabaseConnection,
    caller: &Caller,
    now: DateTime<Utc>,
) -> Result<Vec<EventSummary>, ServiceError> {
    let scope = caller.org_scope();
    if scope == OrgScope::NoneOf {
        return Err(ServiceError::Forbidden);
    }
    let rows = event_row::Entity::find()
        .filter(scope.condition(event_row::Column::OrganizationId))
        .order_by_desc(event_row::Column::StartsAt)
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        out.push(summary(db, row).await?);
    }
    // Upcoming first, soonest on top; then the past, latest on top.
    out.sort_by_key(|e| {
        (
            e.ends_at < now,
            if e.ends_at < now {
                -e.starts_at.timestamp()
            } else {
                e.starts_at.timestamp()
            },
        )
    });
    Ok(out)
}

async fn summary<C: ConnectionTrait>(conn: &C, row: event_row::Model) -> Result<EventSummary, ServiceError> {
    let organizer = organization::Entity::find_by_id(row.organization_id)
        .one(conn)
        .await?
        .map(|o| o.name)
        .unwrap_or_default();
    let roles = roles_of(conn, row.id).await?;
    let place = place_text(conn, &row).await?;
    Ok(EventSummary {
        id: row.id,
        kind: row.kind,
        title: row.title,
        starts_at: row.starts_at,
        ends_at: row.ends_at,
        place,
        status: row.status,
        organizer,
        taken: roles.iter().map(|r| r.taken.min(r.slots)).sum(),
        slots: roles.iter().map(|r| r.slots).sum(),
    })
}

/// The roles of `event_id` with their counts.
async fn roles_of<C: ConnectionTrait>(conn: &C, event_id: i64) -> Result<Vec<RoleView>, ServiceError> {
    let roles = event_role::Entity::find()
        .filter(event_role::Column::EventId.eq(event_id))
        .order_by_asc(event_role::Column::Position)
        .all(conn)
        .await?;
    let signups = event_signup::Entity::find()
        .filter(event_signup::Column::EventId.eq(event_id))
        .all(conn)
        .await?;
    Ok(roles
        .into_iter()
        .map(|r| {
            let count = |status| {
                signups
                    .iter()
                    .filter(|s| s.role_id == r.id && s.status == status)
                    .count() as i64
            };
            RoleView {
                id: r.id,
                name: r.name,
                slots: i64::from(r.slots),
                taken: count(SignupStatus::Confirmed),
                waitlisted: count(SignupStatus::Waitlisted),
            }
        })
        .collect())
}

/// Reads event `id` for the caller, or `NotFound` (audited) when it is another scope's.
pub(crate) async fn readable<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    id: i64,
    action: &str,
    now: DateTime<Utc>,
) -> Result<event_row::Model, ServiceError> {
    let row = event_row::Entity::find_by_id(id).one(conn).await?;
    let reaches = match &row {
        Some(e) => caller.org_scope().permits(conn, e.organization_id).await?,
        None => false,
    };
    match row.filter(|_| reaches) {
        Some(row) => Ok(row),
        None => {
            audit::record(conn, now, Entry::denied(caller.actor(), action).subject("event", id)).await?;
            Err(ServiceError::NotFound("event"))
        }
    }
}

/// The event `event_id` when the caller's own staff run it: inviting, signing people up or
/// off, checking in and recording hours are the organizer's (attendance is its record); the
/// office and others are refused (audited). Read before the write transaction, so that a
/// refusal's audit row is kept.
pub(crate) async fn run_by_caller<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    event_id: i64,
    action: &str,
    now: DateTime<Utc>,
) -> Result<event_row::Model, ServiceError> {
    let row = readable(conn, caller, event_id, action, now).await?;
    if caller.organization_id() != Some(row.organization_id) || caller.staff_id().is_none() {
        audit::record(
            conn,
            now,
            Entry::denied(caller.actor(), action).subject("event", event_id),
        )
        .await?;
        return Err(ServiceError::Forbidden);
    }
    Ok(row)
}

/// Takes event `event_id`'s row lock (SQLite's write transaction already is one): every
/// change to its sign-ups — a placement, a move between roles, a cancel and the promotion it
/// brings — takes it first and reads the sign-ups after, so they take turns whichever roles
/// they touch, and no two ever lock roles in opposite orders.
/// Returns the event as it stands under the lock: a status read before it may be stale.
pub(crate) async fn lock_event<C: ConnectionTrait>(txn: &C, event_id: i64) -> Result<event_row::Model, ServiceError> {
    event_row::Entity::find_by_id(event_id)
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or(ServiceError::NotFound("event"))
}

/// Event `id` with its roles, sign-ups and needs, for the organizer and its office.
pub async fn show(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i64,
    now: DateTime<Utc>,
) -> Result<EventView, ServiceError> {
    let row = readable(db, caller, id, "event.view", now).await?;
    let roles = roles_of(db, id).await?;
    let signups = event_signup::Entity::find()
        .filter(event_signup::Column::EventId.eq(id))
        .filter(event_signup::Column::Status.ne(SignupStatus::Cancelled))
        .order_by_asc(event_signup::Column::QueuedAt)
        .order_by_asc(event_signup::Column::Id)
        .all(db)
        .await?;
    let volunteers = volunteer::Entity::find()
        .filter(volunteer::Column::Id.is_in(signups.iter().map(|s| s.volunteer_id)))
        .all(db)
        .await?;
    let shops: std::collections::HashMap<i64, String> = crate::entities::merchant::Entity::find()
        .filter(crate::entities::merchant::Column::Id.is_in(volunteers.iter().filter_map(|v| v.merchant_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.id, m.name))
        .collect();
    let hours = crate::entities::volunteer_hour::Entity::find()
        .filter(crate::entities::volunteer_hour::Column::Id.is_in(signups.iter().filter_map(|s| s.volunteer_hour_id)))
        .all(db)
        .await?;
    let mut views = Vec::with_capacity(signups.len());
    for role in &roles {
        let mut position = 0;
        for status in [SignupStatus::Confirmed, SignupStatus::Waitlisted] {
            for s in signups.iter().filter(|s| s.role_id == role.id && s.status == status) {
                let v = volunteers.iter().find(|v| v.id == s.volunteer_id);
                if status == SignupStatus::Waitlisted {
                    position += 1;
                }
                views.push(SignupView {
                    id: s.id,
                    volunteer: v.map(|v| v.display_name.clone()).unwrap_or_default(),
                    shop: v.and_then(|v| v.merchant_id).and_then(|m| shops.get(&m).cloned()),
                    role: role.name.clone(),
                    status,
                    position: if status == SignupStatus::Waitlisted {
                        position
                    } else {
                        0
                    },
                    checked_in: s.checked_in_at.is_some(),
                    tenths: s
                        .volunteer_hour_id
                        .and_then(|h| hours.iter().find(|r| r.id == h))
                        .map(|h| h.tenths),
                });
            }
        }
    }
    let links = event_need::Entity::find()
        .filter(event_need::Column::EventId.eq(id))
        .order_by_asc(event_need::Column::Id)
        .all(db)
        .await?;
    let needs = need::Entity::find()
        .filter(need::Column::Id.is_in(links.iter().map(|l| l.need_id)))
        .order_by_asc(need::Column::Deadline)
        .all(db)
        .await?
        .into_iter()
        .map(|n| EventNeedView {
            id: n.id,
            left: (n.quantity - n.claimed).max(0),
            title: n.title,
            status: n.status,
            unit: n.unit,
        })
        .collect();
    let runs_it = caller.organization_id() == Some(row.organization_id);
    let (volunteers_to_add, needs_to_add) = if runs_it {
        let signed: Vec<i64> = signups.iter().map(|s| s.volunteer_id).collect();
        let volunteers = volunteer::Entity::find()
            .filter(volunteer::Column::OrganizationId.eq(row.organization_id))
            .filter(volunteer::Column::Id.is_not_in(signed))
            .order_by_asc(volunteer::Column::DisplayName)
            .all(db)
            .await?
            .into_iter()
            .map(|v| (v.id, v.display_name))
            .collect();
        let needs = open_needs_at_no_event(db, row.organization_id).await?;
        (volunteers, needs)
    } else {
        (Vec::new(), Vec::new())
    };
    let default_tenths = event::default_tenths(row.starts_at, row.ends_at);
    let description = row.description.clone();
    let organization_id = row.organization_id;
    let invited_at = row.invited_at;
    Ok(EventView {
        summary: summary(db, row).await?,
        description,
        organization_id,
        roles,
        signups: views,
        needs,
        runs_it,
        invited_at,
        default_tenths,
        volunteers_to_add,
        needs_to_add,
    })
}

/// The ids of the open needs event `event_id` gathers (for its poster and the bot's pledge).
pub async fn open_need_ids<C: ConnectionTrait>(conn: &C, event_id: i64) -> Result<Vec<i64>, ServiceError> {
    let links: Vec<i64> = event_need::Entity::find()
        .filter(event_need::Column::EventId.eq(event_id))
        .all(conn)
        .await?
        .into_iter()
        .map(|l| l.need_id)
        .collect();
    Ok(need::Entity::find()
        .filter(need::Column::Id.is_in(links))
        .filter(need::Column::Status.eq(NeedStatus::Open))
        .order_by_asc(need::Column::Deadline)
        .all(conn)
        .await?
        .into_iter()
        .map(|n| n.id)
        .collect())
}

/// An upcoming event as a shop sees it in the bot: public facts, roles with free slots, and
/// its open needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventCard {
    /// Id.
    pub id: i64,
    /// Kind.
    pub kind: EventKind,
    /// Title.
    pub title: String,
    /// What happens there.
    pub description: String,
    /// Start.
    pub starts_at: DateTime<Utc>,
    /// End.
    pub ends_at: DateTime<Utc>,
    /// The public place.
    pub place: PlaceText,
    /// The organization that runs it.
    pub organizer: String,
    /// Roles with their slots.
    pub roles: Vec<RoleView>,
    /// The event's open needs.
    pub open_need_ids: Vec<i64>,
}

/// The scheduled events of the merchant's subdistrict that have not ended, soonest first.
pub async fn upcoming_for_merchant(
    db: &DatabaseConnection,
    merchant_id: i64,
    now: DateTime<Utc>,
) -> Result<Vec<EventCard>, ServiceError> {
    let Some(merchant) = crate::entities::merchant::Entity::find_by_id(merchant_id)
        .one(db)
        .await?
    else {
        return Err(ServiceError::NotFound("merchant"));
    };
    let rows = event_row::Entity::find()
        .filter(event_row::Column::SubdistrictId.eq(merchant.subdistrict_id))
        .filter(event_row::Column::Status.eq(EventStatus::Scheduled))
        .filter(event_row::Column::EndsAt.gt(now))
        .order_by_asc(event_row::Column::StartsAt)
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        out.push(card(db, row).await?);
    }
    Ok(out)
}

/// One event of the merchant's subdistrict, scheduled and not ended, or `NotFound`.
pub async fn card_for_merchant(
    db: &DatabaseConnection,
    merchant_id: i64,
    event_id: i64,
    now: DateTime<Utc>,
) -> Result<EventCard, ServiceError> {
    upcoming_for_merchant(db, merchant_id, now)
        .await?
        .into_iter()
        .find(|e| e.id == event_id)
        .ok_or(ServiceError::NotFound("event"))
}

async fn card<C: ConnectionTrait>(conn: &C, row: event_row::Model) -> Result<EventCard, ServiceError> {
    let roles = roles_of(conn, row.id).await?;
    let open_need_ids = open_need_ids(conn, row.id).await?;
    let place = place_text(conn, &row).await?;
    let organizer = organization::Entity::find_by_id(row.organization_id)
        .one(conn)
        .await?
        .map(|o| o.name)
        .unwrap_or_default();
    Ok(EventCard {
        id: row.id,
        kind: row.kind,
        title: row.title,
        description: row.description,
        starts_at: row.starts_at,
        ends_at: row.ends_at,
        place,
        organizer,
        roles,
        open_need_ids,
    })
}

/// The public facts of an event for a volunteer's email, the place in both languages (the
/// email is written in the recipient's).
pub(crate) async fn facts<C: ConnectionTrait>(
    conn: &C,
    row: &event_row::Model,
    organizer: &str,
    volunteer_id: i64,
) -> Result<crate::services::outbox::EventFacts, ServiceError> {
    let place = place_text(conn, row).await?;
    Ok(crate::services::outbox::EventFacts {
        event_id: row.id,
        volunteer_id,
        title: row.title.clone(),
        event_kind: row.kind.as_str().to_owned(),
        when: when(row.starts_at, row.ends_at),
        place: place.zh,
        place_en: place.en,
        organizer: organizer.to_owned(),
    })
}

/// `2026-12-20 09:30–12:00`, or with both days when it spans several.
pub fn when(starts_at: DateTime<Utc>, ends_at: DateTime<Utc>) -> String {
    let start = starts_at.with_timezone(&crate::domain::time::LOCAL_OFFSET);
    let end = ends_at.with_timezone(&crate::domain::time::LOCAL_OFFSET);
    if start.date_naive() == end.date_naive() {
        format!("{}–{}", start.format("%Y-%m-%d %H:%M"), end.format("%H:%M"))
    } else {
        format!("{} – {}", start.format("%Y-%m-%d %H:%M"), end.format("%Y-%m-%d %H:%M"))
    }
}

/// Attaches open need `need_id` of the event's organization to event `event_id` (a need
/// posted for the event).
pub async fn attach_need(
    db: &DatabaseConnection,
    caller: &Caller,
    event_id: i64,
    need_id: i64,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let row = readable(db, caller, event_id, "event.attach_need", now).await?;
    let txn = db::begin_write(db).await?;
    if row.status != EventStatus::Scheduled || row.ends_at <= now {
        return Err(ServiceError::Conflict("the event is over or cancelled".into()));
    }
    if attachable_needs(&txn, row.organization_id, &[need_id])
        .await?
        .is_empty()
    {
        return Err(ServiceError::invalid(
            "needs",
            "this need is not an open need of the organization, or is at another event",
        ));
    }
    event_need::ActiveModel {
        event_id: Set(event_id),
        need_id: Set(need_id),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| ServiceError::on_unique(e, "this need is at another event"))?;
    audit::record(
        &txn,
        now,
        Entry::ok(caller.actor(), "event.attach_need")
            .subject("event", event_id)
            .organization(Some(row.organization_id))
            .detail(serde_json::json!({ "need": need_id })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
