//! Events (issue 18): a social worker sets up a charity market with volunteer roles and the
//! needs it gathers, invites the organization's volunteers by email, they sign up from the
//! links (a full role puts them on the waitlist, which moves up on a cancel), the organizer
//! checks people in on a phone and turns attendance into confirmed hours — and every refusal:
//! another organization's event, a forged link, a place that is someone's home.

use std::time::Duration as StdDuration;

use charity_relay::domain::event::EventForm;
use charity_relay::entities::{contact, volunteer, volunteer_hour};
use charity_relay::services::events::signups::SignupOutcome;
use charity_relay::services::events::{self, links, signups};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

use crate::mail::link_path;
use crate::support::smtp::{Received, SmtpSink};
use crate::support::world::{PLANTED_ADDRESS, World};
use crate::support::{TestApp, scalar_i64};

/// A volunteer of `organization_id` with an email address they agreed to.
pub(crate) async fn volunteer_with_email(app: &TestApp, organization_id: i64, name: &str, email: &str) -> i64 {
    let now = Utc::now();
    let c = contact::ActiveModel {
        email: Set(email.to_owned()),
        locale: Set(charity_relay::domain::Locale::ZhCn.into()),
        consent_status: Set("confirmed".into()),
        consent_requested_at: Set(Some(now)),
        consent_at: Set(Some(now)),
        consent_wording_version: Set(Some("test".into())),
        confirm_token_digest: Set(None),
        confirm_expires_at: Set(None),
        unsubscribe_token_digest: Set(format!("test-{email}")),
        undeliverable_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        organization_id: Set(Some(organization_id)),
        consent_resent_at: Set(None),
        consent_resends_since: Set(None),
        consent_resends: Set(0),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .expect("contact");
    volunteer::ActiveModel {
        organization_id: Set(organization_id),
        display_name: Set(name.to_owned()),
        contact_id: Set(Some(c.id)),
        former_beneficiary_id: Set(None),
        created_at: Set(now),
        merchant_id: Set(None),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .expect("volunteer")
    .id
}

pub(crate) fn local_input(t: DateTime<Utc>) -> String {
    (t + Duration::hours(8)).format("%Y-%m-%dT%H:%M").to_string()
}

pub(crate) async fn community_place(app: &TestApp) -> String {
    format!(
        "community:{}",
        scalar_i64(&app.db, "SELECT MIN(id) FROM communities").await
    )
}

/// The event form of a market starting `starts` from `now`, lasting two and a half hours.
pub(crate) fn market(place: &str, roles: &str, now: DateTime<Utc>, starts: Duration) -> EventForm {
    EventForm {
        kind: "market".into(),
        title: "冬日爱心集市".into(),
        description: "商户摆摊，志愿者帮忙搬运和引导".into(),
        starts_at: local_input(now + starts),
        ends_at: local_input(now + starts + Duration::minutes(150)),
        place: place.into(),
        place_detail: "二楼活动室".into(),
        roles: roles.into(),
    }
}

/// A market of organization A set up at `now`, starting `starts` later, with `roles`.
pub(crate) async fn market_of(app: &TestApp, world: &World, roles: &str, now: DateTime<Utc>, starts: Duration) -> i64 {
    let place = community_place(app).await;
    events::create(
        &app.db,
        &app.config.secret_key,
        &world.a().worker,
        None,
        &market(&place, roles, now, starts),
        &[],
        now,
    )
    .await
    .expect("event")
}

pub(crate) fn mails_to<'a>(all: &'a [Received], to: &str, subject_has: &str) -> Vec<&'a Received> {
    all.iter()
        .filter(|m| m.to.iter().any(|a| a == to) && m.parsed().subject().unwrap_or_default().contains(subject_has))
        .collect()
}

pub(crate) async fn wait_for_mail(sink: &SmtpSink, to: &str, subject_has: &str) -> Received {
    // Up to 30 s: the dispatcher's tick under a loaded CI machine.
    for _ in 0..300 {
        if let Some(m) = mails_to(&sink.received(), to, subject_has).into_iter().next_back() {
            return m.clone();
        }
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
    panic!("no mail to {to} about “{subject_has}”")
}

pub(crate) async fn setup(app: &TestApp) -> World {
    app.world(0).await
}

#[tokio::test]
async fn volunteers_sign_up_from_their_invitations_and_the_waitlist_moves_up_when_one_cancels() {
    let (app, sink) = TestApp::spawn_with_smtp().await;
    let world = setup(&app).await;
    let need = app.post_need(world.a(), 3).await;
    for (name, email) in [
        ("陈阿姨", "chen@example.org"),
        ("小李", "li@example.org"),
        ("老周", "zhou@example.org"),
    ] {
        volunteer_with_email(&app, world.a().id, name, email).await;
    }
    let mut worker = app.login("worker0@example.org").await;
    let (status, form) = worker.get("/events/new").await;
    assert_eq!(status, 200, "{form}");
    assert!(
        form.contains("东和社区党群服务中心") && form.contains("沙头角街道社工站服务点"),
        "public places offered: {form}"
    );
    let place = community_place(&app).await;
    let now = Utc::now();
    let f = market(&place, "急救 1\n帮手 2", now, Duration::days(3));
    let need_text = need.to_string();
    let response = worker
        .post(
            "/events",
            &[
                ("kind", &f.kind),
                ("title", &f.title),
                ("description", &f.description),
                ("starts_at", &f.starts_at),
                ("ends_at", &f.ends_at),
                ("place", &place),
                ("place_detail", &f.place_detail),
                ("roles", &f.roles),
                ("needs", &need_text),
            ],
        )
        .await;
    assert_eq!(response.status(), 303);
    let location = response.headers()["location"].to_str().expect("location").to_owned();
    let id: i64 = location.trim_start_matches("/events/").parse().expect("event id");
    let (status, page) = worker.get(&location).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("冬日爱心集市") && page.contains("东和社区党群服务中心 二楼活动室"),
        "{page}"
    );
    assert!(
        page.contains("已报 0/1，候补 0") && page.contains(&format!("/needs/{need}")),
        "{page}"
    );

    // Inviting tells people, so it asks first; then each volunteer gets one invitation.
    let (status, ask) = worker.get(&format!("/events/{id}/invite")).await;
    assert_eq!(status, 200);
    assert!(ask.contains("每个岗位一个报名链接"), "{ask}");
    assert_eq!(worker.post(&format!("/events/{id}/invite"), &[]).await.status(), 303);
    let invite_chen = wait_for_mail(&sink, "chen@example.org", "邀请您做志愿者").await;
    let text = invite_chen.parsed().body_text(0).unwrap_or_default().into_owned();
    assert!(
        text.contains("急救（共 1 人，还剩 1 个名额）") && text.contains("帮手（共 2 人"),
        "{text}"
    );
    assert!(
        !text.contains(crate::support::world::PLANTED_NAME),
        "no beneficiary in a volunteer's mail"
    );
    // A second press invites nobody twice.
    assert_eq!(worker.post(&format!("/events/{id}/invite"), &[]).await.status(), 303);

    // The first link of each invitation is the first role's: 急救, one slot.
    let mut visitor = app.browser();
    let join_chen = link_path(&invite_chen, "/e/");
    let (status, shown) = visitor.get(&join_chen).await;
    assert_eq!(status, 200, "{shown}");
    assert!(
        shown.contains("岗位：急救") && shown.contains("还剩 1 个名额"),
        "{shown}"
    );
    let done = app.client.post(app.url(&join_chen)).send().await.expect("join");
    assert_eq!(done.status(), 200);
    assert!(done.text().await.expect("body").contains("报名成功"));
    let invite_li = wait_for_mail(&sink, "li@example.org", "邀请您做志愿者").await;
    let join_li = link_path(&invite_li, "/e/");
    let (_, shown) = visitor.get(&join_li).await;
    assert!(shown.contains("这个岗位已经满了"), "{shown}");
    let waiting = app.client.post(app.url(&join_li)).send().await.expect("join");
    assert!(waiting.text().await.expect("body").contains("候补名单第 1 位"));
    let invite_zhou = wait_for_mail(&sink, "zhou@example.org", "邀请您做志愿者").await;
    let join_zhou = link_path(&invite_zhou, "/e/");
    let second = app.client.post(app.url(&join_zhou)).send().await.expect("join");
    assert!(second.text().await.expect("body").contains("候补名单第 2 位"));
    // Tapping the same link again changes nothing.
    let again = app.client.post(app.url(&join_chen)).send().await.expect("join");
    assert!(again.text().await.expect("body").contains("报名成功"));
    let waitlisted = wait_for_mail(&sink, "li@example.org", "已进入候补").await;
    assert!(
        waitlisted
            .parsed()
            .body_text(0)
            .unwrap_or_default()
            .contains("候补名单第 1 位")
    );

    // 陈 cancels from the confirmation's link; 李 moves up and is told, 周 is next.
    let confirmed = wait_for_mail(&sink, "chen@example.org", "报名成功").await;
    let cancel = link_path(&confirmed, "/e/");
    assert!(cancel.contains("/cancel?"), "{cancel}");
    let (status, ask) = visitor.get(&cancel).await;
    assert_eq!(status, 200);
    assert!(ask.contains("取消我的报名"), "{ask}");
    let cancelled = app.client.post(app.url(&cancel)).send().await.expect("cancel");
    assert!(cancelled.text().await.expect("body").contains("已取消您的报名"));
    let promoted = wait_for_mail(&sink, "li@example.org", "候补转正").await;
    assert!(
        promoted
            .parsed()
            .body_text(0)
            .unwrap_or_default()
            .contains("岗位：急救")
    );
    let (_, page) = worker.get(&location).await;
    assert!(page.contains("已报 1/1，候补 1"), "{page}");
    assert!(page.contains("小李 · 急救") && page.contains("候补第 1 位"), "{page}");
    assert!(
        !page.contains("陈阿姨 · 急救"),
        "a cancelled sign-up leaves the list: {page}"
    );
    // Cancelling twice, or from a link with nothing to cancel, changes nothing.
    let twice = app.client.post(app.url(&cancel)).send().await.expect("cancel");
    assert_eq!(twice.status(), 200);
    assert_eq!(
        scalar_i64(&app.db, "SELECT COUNT(*) FROM event_signups WHERE status = 'confirmed'").await,
        1
    );
}

#[tokio::test]
async fn a_forged_or_altered_link_signs_nobody_up() {
    let app = TestApp::spawn().await;
    let world = setup(&app).await;
    let v = volunteer_with_email(&app, world.a().id, "陈阿姨", "chen@example.org").await;
    let other = volunteer_with_email(&app, world.b().id, "外机构志愿者", "other@example.org").await;
    let now = Utc::now();
    let id = market_of(&app, &world, "帮手 2", now, Duration::days(2)).await;
    let role = scalar_i64(&app.db, &format!("SELECT id FROM event_roles WHERE event_id = {id}")).await;
    let good = links::signup_signature(&app.config.secret_key, id, v, role);
    let mut forged = good.clone();
    forged.replace_range(0..1, if good.starts_with('0') { "1" } else { "0" });
    let mut visitor = app.browser();
    for path in [
        format!("/e/{id}/join?v={v}&r={role}&s={forged}"),
        // A good signature moved to another volunteer, another organization's volunteer, or no query at all.
        format!("/e/{id}/join?v={other}&r={role}&s={good}"),
        format!("/e/{id}/join"),
        format!("/e/{}/join?v={v}&r={role}&s={good}", id + 1),
        format!("/e/{id}/cancel?v={v}&s={good}"),
    ] {
        let (status, page) = visitor.get(&path).await;
        assert_eq!(status, 404, "{path}: {page}");
        assert!(
            page.contains("这个链接无效") || page.contains("This link is not valid"),
            "{path}: {page}"
        );
        let posted = app.client.post(app.url(&path)).send().await.expect("post");
        assert_eq!(posted.status(), 404, "{path}");
    }
    // The other organization's volunteer with a link signed for them still may not join A's event.
    let theirs = links::signup_signature(&app.config.secret_key, id, other, role);
    let posted = app
        .client
        .post(app.url(&format!("/e/{id}/join?v={other}&r={role}&s={theirs}")))
        .send()
        .await
        .expect("post");
    assert_eq!(posted.status(), 404);
    assert_eq!(app.count("event_signups").await, 0);
    // Anyone can post a bad link: it writes nothing, not even to the audit log.
    assert_eq!(
        scalar_i64(&app.db, "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'event.%'").await,
        1,
        "only the event's creation"
    );
}

#[tokio::test]
async fn two_people_never_take_one_last_slot() {
    let app = TestApp::spawn().await;
    let world = setup(&app).await;
    let now = Utc::now();
    let id = market_of(&app, &world, "急救 2", now, Duration::days(2)).await;
    let role = scalar_i64(&app.db, &format!("SELECT id FROM event_roles WHERE event_id = {id}")).await;
    let mut ids = Vec::new();
    for i in 0..6 {
        ids.push(volunteer_with_email(&app, world.a().id, &format!("志愿者{i}"), &format!("v{i}@example.org")).await);
    }
    let secret = app.config.secret_key.clone();
    let tries = ids.iter().map(|v| {
        let db = app.db.clone();
        let secret = secret.clone();
        let v = *v;
        tokio::spawn(async move {
            let s = links::signup_signature(&secret, id, v, role);
            signups::sign_up_by_link(&db, &secret, id, v, role, &s, Utc::now()).await
        })
    });
    let outcomes: Vec<SignupOutcome> = futures::future::join_all(tries)
        .await
        .into_iter()
        .map(|r| r.expect("task").expect("sign-up"))
        .collect();
    let confirmed = outcomes.iter().filter(|o| **o == SignupOutcome::Confirmed).count();
    let mut positions: Vec<i64> = outcomes
        .iter()
        .filter_map(|o| match o {
            SignupOutcome::Waitlisted { position } => Some(*position),
            SignupOutcome::Confirmed => None,
        })
        .collect();
    positions.sort_unstable();
    assert_eq!(confirmed, 2, "{outcomes:?}");
    assert_eq!(positions, vec![1, 2, 3, 4], "{outcomes:?}");
    assert_eq!(
        scalar_i64(&app.db, "SELECT COUNT(*) FROM event_signups WHERE status = 'confirmed'").await,
        2
    );
}

#[tokio::test]
async fn checked_in_attendance_becomes_confirmed_hours_once_and_the_volunteer_hears() {
    let (app, sink) = TestApp::spawn_with_smtp().await;
    let world = setup(&app).await;
    let came = volunteer_with_email(&app, world.a().id, "陈阿姨", "chen@example.org").await;
    let stayed_home = volunteer_with_email(&app, world.a().id, "小李", "li@example.org").await;
    // Set up three days ago for the day before yesterday: the event is over now.
    let then = Utc::now() - Duration::days(3);
    let id = market_of(&app, &world, "帮手 5", then, Duration::days(1)).await;
    let role = scalar_i64(&app.db, &format!("SELECT id FROM event_roles WHERE event_id = {id}")).await;
    // One signed up from her email; the other phoned, and the organizer signed him up.
    let s = links::signup_signature(&app.config.secret_key, id, came, role);
    signups::sign_up_by_link(&app.db, &app.config.secret_key, id, came, role, &s, then)
        .await
        .expect("sign-up");
    signups::sign_up_by_organizer(&app.db, &world.a().worker, id, stayed_home, role, then)
        .await
        .expect("organizer's sign-up");
    let signup = scalar_i64(
        &app.db,
        &format!("SELECT id FROM event_signups WHERE volunteer_id = {came}"),
    )
    .await;
    let mut worker = app.login("worker0@example.org").await;
    let (status, page) = worker.get(&format!("/events/{id}/check-in")).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("已签到 0 人，共 2 人报名"), "{page}");
    let checked = worker.post(&format!("/events/{id}/check-in/{signup}"), &[]).await;
    assert_eq!(checked.status(), 303);
    let (_, page) = worker.get(&format!("/events/{id}/check-in")).await;
    assert!(
        page.contains("已签到 1 人，共 2 人报名") && page.contains("撤销签到"),
        "{page}"
    );

    // The hours page says what recording does and who is told, with the event's length.
    let (status, form) = worker.get(&format!("/events/{id}/hours")).await;
    assert_eq!(status, 200);
    assert!(
        form.contains("默认每人 2.5 小时") && form.contains("陈阿姨") && !form.contains("小李"),
        "{form}"
    );
    // Bad hours are refused beside the form, the typed value kept, nothing recorded.
    let field = format!("h{signup}");
    let bad = worker.post(&format!("/events/{id}/hours"), &[(&field, "30")]).await;
    assert_eq!(bad.status(), 422);
    let body = bad.text().await.expect("body");
    assert!(
        body.contains("0.1 到 24 之间") && body.contains("value=\"30\""),
        "{body}"
    );
    assert_eq!(app.count("volunteer_hours").await, 0);

    let recorded = worker.post(&format!("/events/{id}/hours"), &[(&field, "2")]).await;
    assert_eq!(recorded.status(), 303);
    let hours = volunteer_hour::Entity::find()
        .filter(volunteer_hour::Column::VolunteerId.eq(came))
        .all(&app.db)
        .await
        .expect("hours");
    assert_eq!(hours.len(), 1);
    assert_eq!((hours[0].tenths, hours[0].status.as_str()), (20, "confirmed"));
    assert!(hours[0].confirmed_by.is_some() && hours[0].activity.contains("冬日爱心集市"));
    let told = wait_for_mail(&sink, "chen@example.org", "志愿时数已确认").await;
    assert!(told.parsed().body_text(0).unwrap_or_default().contains("2.0 小时"));
    let (_, page) = worker.get(&format!("/events/{id}")).await;
    assert!(
        page.contains("已记录 2.0 小时") && page.contains("已记录时长"),
        "{page}"
    );

    // Once per event, however many taps; and check-in is closed now.
    let twice = worker.post(&format!("/events/{id}/hours"), &[(&field, "2")]).await;
    assert_eq!(twice.status(), 409);
    assert!(twice.text().await.expect("body").contains("每场活动只记录一次"));
    let late = worker
        .post(&format!("/events/{id}/check-in/{signup}"), &[("undo", "1")])
        .await;
    assert_eq!(late.status(), 409);
    assert_eq!(app.count("volunteer_hours").await, 1);
}

#[tokio::test]
async fn another_organization_cannot_read_or_run_an_event_and_the_office_reads_its_own() {
    let app = TestApp::spawn().await;
    let world = setup(&app).await;
    let now = Utc::now();
    let id = market_of(&app, &world, "帮手 5", now, Duration::days(2)).await;
    let mut other = app.login("worker1@example.org").await;
    for path in [
        format!("/events/{id}"),
        format!("/events/{id}/check-in"),
        format!("/events/{id}/invite"),
    ] {
        let (status, _) = other.get(&path).await;
        assert_eq!(status, 404, "{path}");
    }
    for path in [
        format!("/events/{id}/invite"),
        format!("/events/{id}/cancel"),
        format!("/events/{id}/hours"),
        format!("/events/{id}/signups"),
        format!("/events/{id}/needs"),
    ] {
        assert_eq!(other.post(&path, &[]).await.status(), 404, "{path}");
    }
    let (_, list) = other.get("/events").await;
    assert!(!list.contains("冬日爱心集市"), "{list}");
    assert!(
        scalar_i64(
            &app.db,
            "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'event.%' AND outcome = 'denied'"
        )
        .await
            >= 6
    );
    // The office of the subdistrict reads it, and does not check people in for the organization.
    let office = app.office_account().await;
    let mut office = app.login(&office).await;
    let (status, page) = office.get(&format!("/events/{id}")).await;
    assert_eq!(status, 200, "{page}");
    assert!(!page.contains("现场签到"), "{page}");
    let (status, _) = office.get(&format!("/events/{id}/check-in")).await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn an_event_is_held_in_a_public_place_never_at_someones_home() {
    let app = TestApp::spawn().await;
    let world = setup(&app).await;
    let mut worker = app.login("worker0@example.org").await;
    let now = Utc::now();
    let place = community_place(&app).await;
    let theirs = format!(
        "point:{}",
        scalar_i64(
            &app.db,
            &format!(
                "SELECT id FROM drop_off_points WHERE organization_id = {}",
                world.b().id
            )
        )
        .await
    );
    let f = market(&place, "帮手 3", now, Duration::days(2));
    let post = |place: String, detail: &'static str| {
        let f = f.clone();
        let worker = &worker;
        async move {
            worker
                .post(
                    "/events",
                    &[
                        ("kind", &f.kind),
                        ("title", &f.title),
                        ("description", &f.description),
                        ("starts_at", &f.starts_at),
                        ("ends_at", &f.ends_at),
                        ("place", &place),
                        ("place_detail", detail),
                        ("roles", &f.roles),
                    ],
                )
                .await
        }
    };
    // The beneficiary's registered address as the room: refused beside the field, the rest kept.
    let home = post(place.clone(), PLANTED_ADDRESS).await;
    assert_eq!(home.status(), 422);
    let page = home.text().await.expect("body");
    assert!(page.contains("id=\"place_detail-error\""), "{page}");
    assert!(
        page.contains("value=\"冬日爱心集市\"") && page.contains("帮手 3"),
        "typed values kept: {page}"
    );
    // A role named after the person helped is refused too: roles go out in every invitation.
    let named = worker
        .post(
            "/events",
            &[
                ("kind", &f.kind),
                ("title", &f.title),
                ("starts_at", &f.starts_at),
                ("ends_at", &f.ends_at),
                ("place", &place),
                ("roles", &format!("陪{} 2", crate::support::world::PLANTED_NAME)),
            ],
        )
        .await;
    assert_eq!(named.status(), 422);
    assert!(named.text().await.expect("body").contains("id=\"roles-error\""));
    // Another organization's drop-off point is not a choice.
    let foreign = post(theirs, "").await;
    assert_eq!(foreign.status(), 422);
    assert!(foreign.text().await.expect("body").contains("id=\"place-error\""));
    // No place at all, and roles without a number.
    let f2 = EventForm {
        roles: "帮手".into(),
        ..f.clone()
    };
    let none = worker
        .post(
            "/events",
            &[
                ("kind", &f2.kind),
                ("title", &f2.title),
                ("starts_at", &f2.starts_at),
                ("ends_at", &f2.ends_at),
                ("roles", &f2.roles),
            ],
        )
        .await;
    assert_eq!(none.status(), 422);
    let page = none.text().await.expect("body");
    assert!(
        page.contains("id=\"place-error\"") && page.contains("id=\"roles-error\""),
        "{page}"
    );
    assert_eq!(app.count("events").await, 0);
    // A public place is fine.
    assert_eq!(post(place, "二楼活动室").await.status(), 303);
    worker.get("/").await;
}

#[tokio::test]
async fn the_day_before_each_volunteer_holding_a_slot_is_reminded_once() {
    // The test's own dispatcher, on tomorrow's clock, and no other racing it for the rows.
    let sink = SmtpSink::start();
    let url = sink.url();
    let app = TestApp::spawn_without_dispatcher(move |env| crate::support::set(env, "RELAY_SMTP_URL", &url)).await;
    let world = setup(&app).await;
    let now = Utc::now();
    let id = market_of(&app, &world, "帮手 1", now, Duration::days(2)).await;
    let role = scalar_i64(&app.db, &format!("SELECT id FROM event_roles WHERE event_id = {id}")).await;
    for (name, email) in [("陈阿姨", "chen@example.org"), ("小李", "li@example.org")] {
        let v = volunteer_with_email(&app, world.a().id, name, email).await;
        let s = links::signup_signature(&app.config.secret_key, id, v, role);
        signups::sign_up_by_link(&app.db, &app.config.secret_key, id, v, role, &s, now)
            .await
            .expect("sign-up");
    }
    let later = now + Duration::days(1) + Duration::hours(2);
    let first = charity_relay::jobs::run_once(&app.db, later).await.expect("jobs");
    assert_eq!(first.event_reminders, 1, "only the one holding a slot: {first:?}");
    let again = charity_relay::jobs::run_once(&app.db, later + Duration::minutes(5))
        .await
        .expect("jobs");
    assert_eq!(again.event_reminders, 0);
    // Queued as of tomorrow's clock: the dispatcher sends it then.
    app.dispatcher()
        .drain(later + Duration::minutes(5))
        .await
        .expect("drain");
    let reminder = wait_for_mail(&sink, "chen@example.org", "明天见").await;
    assert!(reminder.parsed().body_text(0).unwrap_or_default().contains("/cancel?"));
    assert!(mails_to(&sink.received(), "li@example.org", "明天见").is_empty());
}
