//! Events (爱心认领活动, 爱心集市, 资源开放日, 爱心夏令营): their kinds, the form's rules, the
//! volunteer roles with their slots, where a sign-up lands (a slot or the waitlist), and how
//! attendance becomes hours. Pure rules; the service applies them under the role's lock.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};

use super::input::{self, FieldError, FieldErrors};
use super::time::LOCAL_OFFSET;

text_enum! {
    /// What kind of event it is.
    EventKind, "event kind" {
        Claiming => ("claiming", "爱心认领活动", "On-site claiming event"),
        Market => ("market", "爱心集市", "Charity market"),
        OpenDay => ("open_day", "爱心资源开放日", "Resource open day"),
        Camp => ("camp", "爱心夏令营", "Summer camp"),
        Other => ("other", "其他活动", "Other event"),
    }
}

text_enum! {
    /// Where an event stands.
    EventStatus, "event status" {
        Scheduled => ("scheduled", "已安排", "Scheduled"),
        Cancelled => ("cancelled", "已取消", "Cancelled"),
        HoursRecorded => ("hours_recorded", "已记录时长", "Hours recorded"),
    }
}

text_enum! {
    /// Where a volunteer's sign-up stands.
    SignupStatus, "sign-up status" {
        Confirmed => ("confirmed", "已报名", "Signed up"),
        Waitlisted => ("waitlisted", "候补中", "On the waitlist"),
        Cancelled => ("cancelled", "已取消", "Cancelled"),
    }
}

code_enum! {
    /// How a sign-up came in.
    SignupVia, "sign-up channel" {
        Email => "email",
        Merchant => "merchant",
        Staff => "staff",
    }
}

/// Most roles an event has.
pub const MAX_ROLES: usize = 8;
/// Most slots a role has.
pub const MAX_SLOTS: i64 = 200;
/// Longest an event lasts: a summer camp's fortnight.
pub const MAX_DAYS: i64 = 14;
/// Most hours one person's attendance of one day counts for (a volunteer-hours row holds at most 24).
pub const MAX_HOURS_A_ROW: i32 = 240;

/// A volunteer role and its slots, as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleInput {
    /// What the volunteer does ("帮手", "first aid").
    pub name: String,
    /// How many people it takes.
    pub slots: i32,
}

/// The event form's fields, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventForm {
    /// One of [`EventKind`]'s texts.
    pub kind: String,
    /// Title.
    pub title: String,
    /// What happens there (public: the PII guard applies).
    pub description: String,
    /// Start, as a browser's `datetime-local` sends it (`2026-12-20T09:30`), local time.
    pub starts_at: String,
    /// End, likewise.
    pub ends_at: String,
    /// `point:<id>` (a drop-off point) or `community:<id>` (that community's centre).
    pub place: String,
    /// Room or floor within the place (public text).
    pub place_detail: String,
    /// One role a line: a name, then the number of slots (`帮手 8`).
    pub roles: String,
}

/// Where the event takes place, as chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlaceChoice {
    /// One of the organization's drop-off points.
    Point(i64),
    /// A community's centre (党群服务中心).
    Community(i64),
}

/// A checked event form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventInput {
    /// Kind.
    pub kind: EventKind,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Start.
    pub starts_at: DateTime<Utc>,
    /// End.
    pub ends_at: DateTime<Utc>,
    /// The place chosen.
    pub place: PlaceChoice,
    /// Room or floor.
    pub place_detail: String,
    /// Roles.
    pub roles: Vec<RoleInput>,
}

impl EventForm {
    /// Checks every field at once, as of `now`; the place is checked against the caller's
    /// list by the service.
    pub fn parse(&self, now: DateTime<Utc>) -> Result<EventInput, FieldErrors> {
        let mut errors = FieldErrors::default();
        let kind = errors.check(
            "kind",
            self.kind.parse::<EventKind>().map_err(|_| FieldError::NotChosen),
        );
        let title = errors.check("title", input::public_text(&self.title, 2, 120));
        let description = errors.check("description", input::public_text(&self.description, 0, 2000));
        let starts_at = errors.check("starts_at", local_datetime(&self.starts_at));
        let ends_at = errors.check("ends_at", local_datetime(&self.ends_at));
        if let Some(start) = starts_at
            && start < now
        {
            errors.push("starts_at", FieldError::StartPassed);
        }
        if let (Some(start), Some(end)) = (starts_at, ends_at) {
            if end <= start {
                errors.push("ends_at", FieldError::EndsNotAfterStart);
            } else if end - start > Duration::days(MAX_DAYS) {
                errors.push("ends_at", FieldError::EventTooLong { max_days: MAX_DAYS });
            }
        }
        let place = errors.check("place", parse_place(&self.place));
        let place_detail = errors.check("place_detail", input::public_text(&self.place_detail, 0, 60));
        let roles = errors.check("roles", parse_roles(&self.roles));
        match (kind, title, description, starts_at, ends_at, place, place_detail, roles) {
            (
                Some(kind),
                Some(title),
                Some(description),
                Some(starts_at),
                Some(ends_at),
                Some(place),
                Some(place_detail),
                Some(roles),
            ) if errors.is_empty() => Ok(EventInput {
                kind,
                title,
                description,
                starts_at,
                ends_at,
                place,
                place_detail,
                roles,
            }),
            _ => Err(errors),
        }
    }
}

/// `2026-12-20T09:30` (or with seconds, or a space) in Shenzhen time.
pub fn local_datetime(raw: &str) -> Result<DateTime<Utc>, FieldError> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(FieldError::Required);
    }
    let naive = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(value, f).ok())
        .ok_or(FieldError::NotADate)?;
    naive
        .and_local_timezone(LOCAL_OFFSET)
        .single()
        .map(|t| t.with_timezone(&Utc))
        .ok_or(FieldError::NotADate)
}

fn parse_place(raw: &str) -> Result<PlaceChoice, FieldError> {
    let (kind, id) = raw.trim().split_once(':').ok_or(FieldError::NotChosen)?;
    let id: i64 = id.parse().map_err(|_| FieldError::UnknownChoice)?;
    match kind {
        "point" => Ok(PlaceChoice::Point(id)),
        "community" => Ok(PlaceChoice::Community(id)),
        _ => Err(FieldError::UnknownChoice),
    }
}

/// One role a line, `name slots`: the last number is the slots, full-width digits too, with
/// `人`/`名`/`位`/`个` after it allowed, and spaces, tabs, `×`, `x`, `*`, `:`, `：`, commas or `、`
/// between (`帮手：8人`, `帮手\t8`, `急救 ２`, `帮手×8`). At least one role; names are public
/// text; an error names its line (as the textarea numbers it), and a name given twice is an
/// error, not merged.
pub fn parse_roles(raw: &str) -> Result<Vec<RoleInput>, FieldError> {
    let lines: Vec<(usize, &str)> = raw
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty())
        .take(MAX_ROLES + 1)
        .collect();
    // Counted before anything is parsed: a pasted list of thousands costs nothing.
    if lines.len() > MAX_ROLES {
        return Err(FieldError::TooManyRoles { max: MAX_ROLES });
    }
    let mut roles: Vec<RoleInput> = Vec::new();
    for (line, text) in lines {
        let role = parse_role_line(text).map_err(|error| FieldError::RoleLine {
            line,
            error: Box::new(error),
        })?;
        if roles.iter().any(|r| r.name == role.name) {
            return Err(FieldError::DuplicateRole { line, name: role.name });
        }
        roles.push(role);
    }
    if roles.is_empty() {
        return Err(FieldError::Required);
    }
    Ok(roles)
}

/// One line of the roles field: a name, then the number of slots.
fn parse_role_line(text: &str) -> Result<RoleInput, FieldError> {
    let folded = input::ascii_digits(text);
    let line = folded.trim_end_matches(['人', '名', '位', '个']).trim_end();
    let digits_at = line.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    let (name, digits) = line.split_at(digits_at);
    let name = name.trim_end_matches(|c: char| c.is_whitespace() || ":：,，、×*=".contains(c));
    // "帮手x8" and "helpers x 8" drop their "x"; "Box 8" keeps it (a letter before it).
    let name = match name.strip_suffix(['x', 'X']) {
        Some(rest) if !rest.ends_with(|c: char| c.is_ascii_alphabetic()) => rest,
        _ => name,
    };
    let name = name.trim_end_matches(|c: char| c.is_whitespace() || ":：,，、×*=".contains(c));
    let slots = input::number(digits, 1, MAX_SLOTS).map_err(|e| match e {
        FieldError::Required => FieldError::NotANumber,
        other => other,
    })?;
    let name = input::public_text(name, 1, 60)?;
    // `slots` is at most MAX_SLOTS.
    Ok(RoleInput {
        name,
        slots: slots as i32,
    })
}

/// The most hours, in tenths, one person's attendance of an event may be recorded as: the
/// event's length (a volunteer-hours row holds at most a day).
pub fn hours_cap(starts_at: DateTime<Utc>, ends_at: DateTime<Utc>) -> i32 {
    default_tenths(starts_at, ends_at)
}

/// One person's hours as the organizer typed them, in tenths: 0.1 to 24, and no more than
/// the event lasted (`cap`, from [`hours_cap`]).
pub fn attendance_tenths(raw: &str, cap: i32) -> Result<i32, FieldError> {
    let tenths = input::hours_tenths(raw)?;
    if tenths > cap {
        Err(FieldError::HoursOverEvent { max_tenths: cap })
    } else {
        Ok(tenths)
    }
}

/// Where a new sign-up lands, given how many of the role's slots are taken.
pub fn place_signup(slots: i32, taken: u64) -> SignupStatus {
    if taken < u64::try_from(slots.max(0)).unwrap_or(0) {
        SignupStatus::Confirmed
    } else {
        SignupStatus::Waitlisted
    }
}

/// Most staff one shop signs up for one event, whatever its roles' places: a shop lends
/// hands, it does not fill the event.
pub const MAX_STAFF_A_SHOP: u64 = 5;

/// Why a shop may not sign one more staff member up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StaffCap {
    /// The shop holds as many sign-ups of the role as it has places.
    #[error("the shop has signed up as many staff as the role has places ({places})")]
    Role {
        /// The role's places.
        places: i32,
    },
    /// The shop holds [`MAX_STAFF_A_SHOP`] sign-ups of the event.
    #[error("the shop has signed up {most} staff for this event, the most a shop may")]
    Event {
        /// The most a shop signs up for one event.
        most: u64,
    },
}

/// Whether a shop may sign one more staff member up for a role of `slots` places, when it
/// holds `in_role` sign-ups of that role and `in_event` of the whole event (waitlisted
/// ones count; the person being placed does not).
pub fn staff_cap(slots: i32, in_role: u64, in_event: u64) -> Result<(), StaffCap> {
    if in_event >= MAX_STAFF_A_SHOP {
        return Err(StaffCap::Event { most: MAX_STAFF_A_SHOP });
    }
    if in_role >= u64::try_from(slots.max(0)).unwrap_or(0) {
        return Err(StaffCap::Role { places: slots });
    }
    Ok(())
}

/// A staff member's name as a shop types it, tidied to keep: trimmed, inner spaces (of any
/// width) collapsed to one.
pub fn staff_name(typed: &str) -> String {
    typed.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// What two typings of one staff member's name share, to find the shop's record of them:
/// the tidied name, case-folded ("Li  Ming" and "li ming" are one person).
pub fn staff_name_key(typed: &str) -> String {
    staff_name(typed).to_lowercase()
}

/// Why a volunteer cannot sign up or cancel now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignupRefusal {
    /// The event was cancelled.
    #[error("the event was cancelled")]
    EventCancelled,
    /// The event has begun or is over.
    #[error("the event has begun")]
    Started,
}

/// Whether sign-ups and cancellations are still open at `now`.
pub fn signups_open(status: EventStatus, starts_at: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), SignupRefusal> {
    match status {
        EventStatus::Cancelled => Err(SignupRefusal::EventCancelled),
        EventStatus::HoursRecorded => Err(SignupRefusal::Started),
        EventStatus::Scheduled if now >= starts_at => Err(SignupRefusal::Started),
        EventStatus::Scheduled => Ok(()),
    }
}

/// The hours, in tenths, a whole attendance of an event counts for by default: its length,
/// capped at what one row holds (a camp's days are entered one by one).
pub fn default_tenths(starts_at: DateTime<Utc>, ends_at: DateTime<Utc>) -> i32 {
    let minutes = (ends_at - starts_at).num_minutes().max(6);
    let tenths = (minutes + 3) / 6;
    i32::try_from(tenths.min(i64::from(MAX_HOURS_A_ROW))).unwrap_or(MAX_HOURS_A_ROW)
}

/// How early before the start people may be checked in.
pub const CHECK_IN_LEAD: Duration = Duration::hours(2);

/// When check-in opens for an event starting at `starts_at`: two hours before.
pub fn check_in_opens(starts_at: DateTime<Utc>) -> DateTime<Utc> {
    starts_at - CHECK_IN_LEAD
}

/// When the day-before reminder is due: a day before the start.
pub fn reminder_due(starts_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now < starts_at && starts_at - now <= Duration::hours(24)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).expect("time").with_timezone(&Utc)
    }

    fn form() -> EventForm {
        EventForm {
            kind: "market".into(),
            title: "冬日爱心集市".into(),
            description: "商户摆摊，义卖所得用于困难家庭".into(),
            starts_at: "2026-12-20T09:30".into(),
            ends_at: "2026-12-20T12:00".into(),
            place: "community:3".into(),
            place_detail: "二楼活动室".into(),
            roles: "帮手 8\n急救 × 2人".into(),
        }
    }

    #[test]
    fn a_whole_form_reads_in_shenzhen_time_with_its_roles() {
        let input = form().parse(utc("2026-12-07T00:00:00Z")).expect("valid");
        assert_eq!(input.kind, EventKind::Market);
        assert_eq!(input.starts_at, utc("2026-12-20T01:30:00Z"));
        assert_eq!(input.place, PlaceChoice::Community(3));
        assert_eq!(
            input.roles,
            vec![
                RoleInput {
                    name: "帮手".into(),
                    slots: 8
                },
                RoleInput {
                    name: "急救".into(),
                    slots: 2
                }
            ]
        );
    }

    #[test]
    fn every_wrong_field_is_named_at_once() {
        let bad = EventForm {
            kind: "party".into(),
            title: "联系13800138000".into(),
            starts_at: "2026-12-20T09:30".into(),
            ends_at: "2026-12-20T08:00".into(),
            place: "home:1".into(),
            roles: "帮手".into(),
            ..form()
        };
        let errors = bad.parse(utc("2026-12-07T00:00:00Z")).expect_err("invalid");
        for field in ["kind", "title", "ends_at", "place", "roles"] {
            assert!(errors.get(field).is_some(), "{field}: {errors}");
        }
        assert!(errors.get("starts_at").is_none());
    }

    #[test]
    fn an_event_in_the_past_or_longer_than_a_fortnight_is_refused() {
        let errors = form().parse(utc("2026-12-21T00:00:00Z")).expect_err("past");
        assert_eq!(errors.get("starts_at"), Some(&FieldError::StartPassed));
        // Earlier the same day: the start time has passed, though the date is today's.
        let errors = form().parse(utc("2026-12-20T02:00:00Z")).expect_err("earlier today");
        assert_eq!(errors.get("starts_at"), Some(&FieldError::StartPassed));
        assert!(
            FieldError::StartPassed
                .message(crate::domain::Locale::En)
                .contains("start time has passed")
        );
        let long = EventForm {
            ends_at: "2027-01-20T12:00".into(),
            ..form()
        };
        let errors = long.parse(utc("2026-12-07T00:00:00Z")).expect_err("long");
        assert_eq!(errors.get("ends_at"), Some(&FieldError::EventTooLong { max_days: 14 }));
        let backwards = EventForm {
            ends_at: "2026-12-20T09:00".into(),
            ..form()
        };
        let errors = backwards.parse(utc("2026-12-07T00:00:00Z")).expect_err("backwards");
        assert_eq!(errors.get("ends_at"), Some(&FieldError::EndsNotAfterStart));
    }

    #[test]
    fn roles_read_the_separators_people_type() {
        for typed in [
            "帮手：8人",
            "帮手 8",
            "帮手\t8",
            "帮手×8",
            "帮手x8",
            "帮手 x 8",
            "帮手，8名",
            "帮手 ８",
            "帮手:8",
        ] {
            assert_eq!(
                parse_roles(typed),
                Ok(vec![RoleInput {
                    name: "帮手".into(),
                    slots: 8
                }]),
                "{typed}"
            );
        }
        assert_eq!(parse_roles("急救 ２").map(|r| r[0].slots), Ok(2));
        assert_eq!(parse_roles("Box 8").map(|r| r[0].name.clone()), Ok("Box".into()));
    }

    #[test]
    fn a_wrong_role_line_is_named_and_a_name_twice_is_refused() {
        assert_eq!(
            parse_roles("帮手 8\n\n急救"),
            Err(FieldError::RoleLine {
                line: 3,
                error: Box::new(FieldError::NotANumber)
            })
        );
        let duplicate = parse_roles("帮手 8\n急救 2\n帮手 3");
        assert_eq!(
            duplicate,
            Err(FieldError::DuplicateRole {
                line: 3,
                name: "帮手".into()
            })
        );
        let message = duplicate.expect_err("duplicate").message(crate::domain::Locale::ZhCn);
        assert!(message.contains("第 3 行") && message.contains("帮手"), "{message}");
        let eight: String = (0..8).map(|i| format!("role{i} 1\n")).collect();
        assert_eq!(parse_roles(&eight).map(|r| r.len()), Ok(8));
        let nine: String = (0..9).map(|i| format!("role{i} 1\n")).collect();
        assert_eq!(parse_roles(&nine), Err(FieldError::TooManyRoles { max: 8 }));
    }

    #[test]
    fn attendance_hours_are_capped_by_the_event_length() {
        let start = utc("2026-12-20T01:30:00Z");
        let cap = hours_cap(start, utc("2026-12-20T04:00:00Z"));
        assert_eq!(cap, 25);
        assert_eq!(attendance_tenths("2,5", cap), Ok(25));
        assert_eq!(
            attendance_tenths("3", cap),
            Err(FieldError::HoursOverEvent { max_tenths: 25 })
        );
        assert_eq!(attendance_tenths("30", cap), Err(FieldError::NotHours));
    }

    #[test]
    fn roles_need_a_name_and_a_number_of_slots_in_range() {
        assert_eq!(parse_roles(""), Err(FieldError::Required));
        let line_one = |error| FieldError::RoleLine {
            line: 1,
            error: Box::new(error),
        };
        assert_eq!(parse_roles("帮手"), Err(line_one(FieldError::NotANumber)));
        assert_eq!(parse_roles("8"), Err(line_one(FieldError::Required)));
        assert!(matches!(
            parse_roles("帮手 0"),
            Err(FieldError::RoleLine { line: 1, .. })
        ));
        assert!(matches!(
            parse_roles("帮手 201"),
            Err(FieldError::RoleLine { line: 1, .. })
        ));
        assert_eq!(parse_roles("Helpers: 8\nfirst aid, 2").map(|r| r.len()), Ok(2));
    }

    #[test]
    fn the_last_slot_is_taken_then_the_waitlist_begins() {
        assert_eq!(place_signup(2, 0), SignupStatus::Confirmed);
        assert_eq!(place_signup(2, 1), SignupStatus::Confirmed);
        assert_eq!(place_signup(2, 2), SignupStatus::Waitlisted);
        assert_eq!(place_signup(0, 0), SignupStatus::Waitlisted);
    }

    #[test]
    fn a_shop_signs_up_no_more_staff_than_the_role_has_places_nor_five_an_event() {
        assert_eq!(staff_cap(2, 0, 0), Ok(()));
        assert_eq!(staff_cap(2, 1, 1), Ok(()));
        assert_eq!(staff_cap(2, 2, 2), Err(StaffCap::Role { places: 2 }));
        assert_eq!(staff_cap(8, 4, 4), Ok(()));
        assert_eq!(
            staff_cap(8, 4, MAX_STAFF_A_SHOP),
            Err(StaffCap::Event { most: MAX_STAFF_A_SHOP })
        );
        assert_eq!(staff_cap(0, 0, 0), Err(StaffCap::Role { places: 0 }));
    }

    #[test]
    fn a_staff_name_is_one_person_however_it_is_spaced_or_cased() {
        assert_eq!(staff_name("  Li \t Ming "), "Li Ming");
        assert_eq!(staff_name("李\u{3000}明"), "李 明");
        assert_eq!(staff_name_key("Li  MING"), staff_name_key(" li ming"));
        assert_ne!(staff_name_key("李明"), staff_name_key("李敏"));
    }

    #[test]
    fn signups_close_when_the_event_begins_or_is_cancelled() {
        let start = utc("2026-12-20T01:30:00Z");
        assert_eq!(
            signups_open(EventStatus::Scheduled, start, utc("2026-12-19T00:00:00Z")),
            Ok(())
        );
        assert_eq!(
            signups_open(EventStatus::Scheduled, start, start),
            Err(SignupRefusal::Started)
        );
        assert_eq!(
            signups_open(EventStatus::Cancelled, start, utc("2026-12-01T00:00:00Z")),
            Err(SignupRefusal::EventCancelled)
        );
    }

    #[test]
    fn attendance_counts_the_event_length_in_tenths_capped_at_a_day() {
        let start = utc("2026-12-20T01:30:00Z");
        assert_eq!(default_tenths(start, utc("2026-12-20T04:00:00Z")), 25);
        assert_eq!(default_tenths(start, utc("2026-12-25T04:00:00Z")), MAX_HOURS_A_ROW);
        assert!(reminder_due(start, utc("2026-12-19T02:00:00Z")));
        assert!(!reminder_due(start, utc("2026-12-19T01:00:00Z")));
        assert!(!reminder_due(start, start));
    }
}
