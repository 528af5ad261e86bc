//! The event form and the hours form as people fill them in (issue 18, review items 4, 5, 7
//! and 8): each wrong time or role line is named in words beside its field, roles typed with
//! the separators people use are read, hours typed "2,5" or in full-width digits are read
//! and capped by the event's length beside each person, the check-in and hours pages show
//! no button that cannot work, the place and kind are shown in the reader's language, and the
//! office's form has one organization select.

use charity_relay::domain::Locale;
use charity_relay::domain::event::EventForm;
use charity_relay::entities::{contact, volunteer_hour};
use charity_relay::services::events::{self, attendance, signups};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::events::{local_input, wait_for_mail};
use crate::support::browser::Browser;
use crate::support::world::World;
use crate::support::{TestApp, scalar_i64};

/// A market at the community centre, starting `starts` after `now`, lasting two and a half
/// hours, with `roles`.
async fn market(app: &TestApp, roles: &str, now: DateTime<Utc>, starts: Duration) -> EventForm {
    crate::events::market(&crate::events::community_place(app).await, roles, now, starts)
}

/// Posts the event form `f` (and `extra` fields) as `worker` would.
async fn post_event(worker: &Browser, f: &EventForm, extra: &[(&str, &str)]) -> reqwest::Response {
    let mut fields = vec![
        ("kind", f.kind.as_str()),
        ("title", f.title.as_str()),
        ("description", f.description.as_str()),
        ("starts_at", f.starts_at.as_str()),
        ("ends_at", f.ends_at.as_str()),
        ("place", f.place.as_str()),
        ("place_detail", f.place_detail.as_str()),
        ("roles", f.roles.as_str()),
    ];
    fields.extend_from_slice(extra);
    worker.post("/events", &fields).await
}

/// The error shown beside `field` on a form page, or "".
fn error_of(page: &str, field: &str) -> String {
    let marker = format!("id=\"{field}-error\">");
    page.split_once(&marker)
        .and_then(|(_, rest)| rest.split_once('<'))
        .map(|(text, _)| text.to_owned())
        .unwrap_or_default()
}

/// A volunteer of `organization_id` whose confirmed email address is in `locale`.
async fn volunteer_with_email(app: &TestApp, organization_id: i64, name: &str, email: &str, locale: Locale) -> i64 {
    let id = crate::events::volunteer_with_email(app, organization_id, name, email).await;
    contact::Entity::update_many()
        .col_expr(
            contact::Column::Locale,
            sea_orm::sea_query::Expr::value(Locale::as_str(locale)),
        )
        .filter(contact::Column::Email.eq(email))
        .exec(&app.db)
        .await
        .expect("locale");
    id
}

/// A market of organization A set up at `now`, starting `starts` later, with `roles`.
async fn market_of(app: &TestApp, world: &World, roles: &str, now: DateTime<Utc>, starts: Duration) -> i64 {
    let form = market(app, roles, now, starts).await;
    events::create(
        &app.db,
        &app.config.secret_key,
        &world.a().worker,
        None,
        &form,
        &[],
        now,
    )
    .await
    .expect("event")
}

#[tokio::test]
async fn the_event_form_names_each_wrong_time_and_role_line_in_words() {
    let app = TestApp::spawn().await;
    let _world = app.world(0).await;
    let worker = app.login("worker0@example.org").await;
    let now = Utc::now();
    let f = market(&app, "帮手 8", now, Duration::days(3)).await;

    // A start an hour ago (today, most likely): the time has passed, not "the date".
    let passed = EventForm {
        starts_at: local_input(now - Duration::hours(1)),
        ends_at: local_input(now + Duration::hours(1)),
        ..f.clone()
    };
    let response = post_event(&worker, &passed, &[]).await;
    assert_eq!(response.status(), 422);
    let page = response.text().await.expect("body");
    assert_eq!(
        error_of(&page, "starts_at"),
        "开始时间已经过去了，请填写以后的时间。",
        "{page}"
    );

    // An end before the start, and an event of three weeks.
    let backwards = EventForm {
        ends_at: local_input(now + Duration::days(3) - Duration::hours(1)),
        ..f.clone()
    };
    let page = post_event(&worker, &backwards, &[]).await.text().await.expect("body");
    assert_eq!(error_of(&page, "ends_at"), "结束时间要晚于开始时间。", "{page}");
    let long = EventForm {
        ends_at: local_input(now + Duration::days(24)),
        ..f.clone()
    };
    let page = post_event(&worker, &long, &[]).await.text().await.expect("body");
    assert!(error_of(&page, "ends_at").contains("一场活动最长 14 天"), "{page}");

    // A role line without a number is named by its line (a blank line counts, as in the box).
    let roles = EventForm {
        roles: "帮手 8\n\n急救".into(),
        ..f.clone()
    };
    let response = post_event(&worker, &roles, &[]).await;
    assert_eq!(response.status(), 422);
    let page = response.text().await.expect("body");
    assert!(error_of(&page, "roles").starts_with("第 3 行："), "{page}");
    assert!(page.contains("急救</textarea>"), "typed roles kept: {page}");
    // A name given twice is refused, naming it, not merged.
    let twice = EventForm {
        roles: "帮手 8\n急救 2\n帮手 3".into(),
        ..f.clone()
    };
    let page = post_event(&worker, &twice, &[]).await.text().await.expect("body");
    assert!(
        error_of(&page, "roles").contains("第 3 行：岗位“帮手”在前面已经写过"),
        "{page}"
    );

    // Nine lines are one too many, said as such; eight are the most and are taken.
    let nine: String = (1..=9).map(|i| format!("岗位{i} 1\n")).collect();
    let page = post_event(
        &worker,
        &EventForm {
            roles: nine,
            ..f.clone()
        },
        &[],
    )
    .await
    .text()
    .await
    .expect("body");
    assert!(error_of(&page, "roles").contains("最多 8 个岗位"), "{page}");
    assert_eq!(app.count("events").await, 0);
    let eight: String = (1..=8).map(|i| format!("岗位{i} 1\n")).collect();
    let response = post_event(
        &worker,
        &EventForm {
            roles: eight,
            ..f.clone()
        },
        &[],
    )
    .await;
    assert_eq!(response.status(), 303);
    assert_eq!(app.count("event_roles").await, 8);

    // In English the same mistakes read in English.
    worker.post("/settings/language", &[("lang", "en")]).await;
    let page = post_event(&worker, &passed, &[]).await.text().await.expect("body");
    assert_eq!(
        error_of(&page, "starts_at"),
        "This start time has passed; enter a time still to come.",
        "{page}"
    );
    let page = post_event(&worker, &twice, &[]).await.text().await.expect("body");
    assert!(error_of(&page, "roles").starts_with("Line 3: the role"), "{page}");
}

#[tokio::test]
async fn roles_typed_with_the_separators_people_use_are_read() {
    let app = TestApp::spawn().await;
    let _world = app.world(0).await;
    let worker = app.login("worker0@example.org").await;
    let now = Utc::now();
    let f = market(
        &app,
        "帮手：8人\n急救 ２\n引导\t3\n搬运×4\n收银，2名",
        now,
        Duration::days(3),
    )
    .await;
    let response = post_event(&worker, &f, &[]).await;
    assert_eq!(response.status(), 303);
    let roles = charity_relay::entities::event_role::Entity::find()
        .order_by_asc(charity_relay::entities::event_role::Column::Position)
        .all(&app.db)
        .await
        .expect("roles");
    let read: Vec<(String, i32)> = roles.into_iter().map(|r| (r.name, r.slots)).collect();
    let expected: Vec<(String, i32)> = [("帮手", 8), ("急救", 2), ("引导", 3), ("搬运", 4), ("收银", 2)]
        .iter()
        .map(|(n, s)| ((*n).to_owned(), *s))
        .collect();
    assert_eq!(read, expected);
}

#[tokio::test]
async fn hours_are_read_as_typed_capped_by_the_event_and_wrong_ones_stand_beside_each_person() {
    let (app, sink) = TestApp::spawn_with_smtp().await;
    let world = app.world(0).await;
    let chen = volunteer_with_email(&app, world.a().id, "陈阿姨", "chen@example.org", Locale::ZhCn).await;
    let li = volunteer_with_email(&app, world.a().id, "小李", "li@example.org", Locale::En).await;
    // Set up three days ago for the day before yesterday: the event (2.5 hours) is over now.
    let then = Utc::now() - Duration::days(3);
    let id = market_of(&app, &world, "帮手 5", then, Duration::days(1)).await;
    let role = scalar_i64(&app.db, &format!("SELECT id FROM event_roles WHERE event_id = {id}")).await;
    let worker_caller = &world.a().worker;
    for v in [chen, li] {
        signups::sign_up_by_organizer(&app.db, worker_caller, id, v, role, then)
            .await
            .expect("sign-up");
    }
    let signup_of = |v: i64| format!("SELECT id FROM event_signups WHERE volunteer_id = {v}");
    let (s_chen, s_li) = (
        scalar_i64(&app.db, &signup_of(chen)).await,
        scalar_i64(&app.db, &signup_of(li)).await,
    );
    let at_event = then + Duration::days(1) + Duration::minutes(10);
    for s in [s_chen, s_li] {
        attendance::check_in(&app.db, worker_caller, id, s, false, at_event)
            .await
            .expect("check-in");
    }
    let mut worker = app.login("worker0@example.org").await;
    let (status, _) = worker.get(&format!("/events/{id}/hours")).await;
    assert_eq!(status, 200);
    let (h_chen, h_li) = (format!("h{s_chen}"), format!("h{s_li}"));

    // More than the event lasted, and words: each said beside its person, both kept, nothing recorded.
    let bad = worker
        .post(&format!("/events/{id}/hours"), &[(&h_chen, "3"), (&h_li, "两小时")])
        .await;
    assert_eq!(bad.status(), 422);
    let page = bad.text().await.expect("body");
    assert_eq!(
        error_of(&page, &h_chen),
        "这场活动共 2.5 小时，每人最多记 2.5 小时。",
        "{page}"
    );
    assert!(error_of(&page, &h_li).contains("0.1 到 24"), "{page}");
    assert!(
        page.contains("value=\"3\"") && page.contains("value=\"两小时\""),
        "typed values kept: {page}"
    );
    assert_eq!(app.count("volunteer_hours").await, 0);

    // "2,5" and full-width digits are read.
    let recorded = worker
        .post(&format!("/events/{id}/hours"), &[(&h_chen, "2,5"), (&h_li, "１．５")])
        .await;
    assert_eq!(recorded.status(), 303);
    let db = &app.db;
    let tenths = |v: i64| async move {
        volunteer_hour::Entity::find()
            .filter(volunteer_hour::Column::VolunteerId.eq(v))
            .one(db)
            .await
            .expect("query")
            .map(|h| h.tenths)
    };
    assert_eq!(tenths(chen).await, Some(25));
    assert_eq!(tenths(li).await, Some(15));
    // Each hears in their language, the event's kind named in it.
    let english = wait_for_mail(&sink, "li@example.org", "Volunteer hours confirmed").await;
    let text = english.parsed().body_text(0).unwrap_or_default().into_owned();
    assert!(
        text.contains("“Charity market: 冬日爱心集市”") && text.contains("1.5 hours"),
        "{text}"
    );
    let chinese = wait_for_mail(&sink, "chen@example.org", "志愿时数已确认").await;
    let text = chinese.parsed().body_text(0).unwrap_or_default().into_owned();
    assert!(text.contains("「爱心集市：冬日爱心集市」"), "{text}");

    // Once recorded, the hours page and the check-in page say so and offer no button.
    let (status, page) = worker.get(&format!("/events/{id}/hours")).await;
    assert_eq!(status, 200);
    assert!(page.contains("这场活动的志愿时长已经记录并确认"), "{page}");
    assert!(!page.contains(&format!("action=\"/events/{id}/hours\"")), "{page}");
    let (_, page) = worker.get(&format!("/events/{id}/check-in")).await;
    assert!(page.contains("时长已经记录，签到已结束"), "{page}");
    assert!(
        !page.contains(&format!("action=\"/events/{id}/check-in/")) && page.contains("陈阿姨"),
        "{page}"
    );
}

#[tokio::test]
async fn before_check_in_opens_the_page_says_when_and_has_no_buttons() {
    let app = TestApp::spawn().await;
    let world = app.world(0).await;
    let chen = volunteer_with_email(&app, world.a().id, "陈阿姨", "chen@example.org", Locale::ZhCn).await;
    let now = Utc::now();
    let id = market_of(&app, &world, "帮手 5", now, Duration::days(2)).await;
    let role = scalar_i64(&app.db, &format!("SELECT id FROM event_roles WHERE event_id = {id}")).await;
    signups::sign_up_by_organizer(&app.db, &world.a().worker, id, chen, role, now)
        .await
        .expect("sign-up");
    let mut worker = app.login("worker0@example.org").await;
    let (status, page) = worker.get(&format!("/events/{id}/check-in")).await;
    assert_eq!(status, 200);
    assert!(page.contains("签到在活动开始前两小时开放"), "{page}");
    assert!(
        page.contains("陈阿姨") && !page.contains(&format!("action=\"/events/{id}/check-in/")),
        "{page}"
    );
    // The hours page says they are recorded after the end, with no form.
    let (status, page) = worker.get(&format!("/events/{id}/hours")).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("时长要在活动结束后记录") && !page.contains(&format!("action=\"/events/{id}/hours\"")),
        "{page}"
    );
}

#[tokio::test]
async fn the_place_and_the_kind_are_shown_in_the_readers_language() {
    let (app, sink) = TestApp::spawn_with_smtp().await;
    let world = app.world(0).await;
    volunteer_with_email(&app, world.a().id, "Mary", "mary@example.org", Locale::En).await;
    volunteer_with_email(&app, world.a().id, "陈阿姨", "chen@example.org", Locale::ZhCn).await;
    let now = Utc::now();
    let id = market_of(&app, &world, "帮手 5", now, Duration::days(3)).await;
    let mut worker = app.login("worker0@example.org").await;
    let (_, page) = worker.get(&format!("/events/{id}")).await;
    assert!(page.contains("东和社区党群服务中心 二楼活动室"), "{page}");
    worker.post("/settings/language", &[("lang", "en")]).await;
    for path in [
        format!("/events/{id}"),
        "/events".to_owned(),
        format!("/events/{id}/poster"),
    ] {
        let (status, page) = worker.get(&path).await;
        assert_eq!(status, 200, "{path}");
        assert!(
            page.contains("Donghe community centre 二楼活动室") && !page.contains("党群服务中心"),
            "{path}: {page}"
        );
        assert!(page.contains("Charity market"), "{path}: {page}");
    }

    // Each volunteer's invitation names the place in their own language.
    worker.get(&format!("/events/{id}/invite")).await;
    assert_eq!(worker.post(&format!("/events/{id}/invite"), &[]).await.status(), 303);
    let english = wait_for_mail(&sink, "mary@example.org", "Volunteer with us").await;
    let text = english.parsed().body_text(0).unwrap_or_default().into_owned();
    assert!(
        text.contains("Where: Donghe community centre 二楼活动室") && !text.contains("党群服务中心"),
        "{text}"
    );
    let chinese = wait_for_mail(&sink, "chen@example.org", "邀请您做志愿者").await;
    let text = chinese.parsed().body_text(0).unwrap_or_default().into_owned();
    assert!(text.contains("地点：东和社区党群服务中心 二楼活动室"), "{text}");

    // A drop-off point keeps its own name, with the room, in both.
    let point = scalar_i64(
        &app.db,
        &format!(
            "SELECT id FROM drop_off_points WHERE organization_id = {}",
            world.a().id
        ),
    )
    .await;
    let f = EventForm {
        place: format!("point:{point}"),
        place_detail: "门口".into(),
        ..market(&app, "帮手 5", now, Duration::days(4)).await
    };
    let response = post_event(&worker, &f, &[]).await;
    assert_eq!(response.status(), 303);
    let location = response.headers()["location"].to_str().expect("location").to_owned();
    let (_, page) = worker.get(&location).await;
    assert!(
        page.contains("沙头角街道社工站服务点 (东和社区党群服务中心) 门口"),
        "{page}"
    );
}

#[tokio::test]
async fn an_event_written_before_places_were_kept_as_ids_shows_its_text() {
    let app = TestApp::spawn().await;
    let world = app.world(0).await;
    let now = Utc::now();
    let id = market_of(&app, &world, "帮手 5", now, Duration::days(3)).await;
    // As a row from before the migration that matched nothing (its centre since renamed).
    app.db
        .execute_unprepared(&format!(
            "UPDATE events SET community_id = NULL, place_detail = '', place = '旧社区党群服务中心 礼堂' WHERE id = {id}"
        ))
        .await
        .expect("update");
    let mut worker = app.login("worker0@example.org").await;
    let (_, page) = worker.get(&format!("/events/{id}")).await;
    assert!(page.contains("旧社区党群服务中心 礼堂"), "{page}");
}

#[tokio::test]
async fn the_offices_form_has_one_organization_select_that_shows_its_places() {
    let app = TestApp::spawn().await;
    let world = app.world(0).await;
    let office = app.office_account().await;
    let mut office = app.login(&office).await;
    let (status, page) = office.get("/events/new").await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page.matches("name=\"organization\"").count(), 1, "{page}");
    // Choosing B and asking for its places keeps what was typed and creates nothing.
    let b = world.b().id.to_string();
    let f = EventForm {
        place: String::new(),
        ..market(&app, "帮手 5", Utc::now(), Duration::days(3)).await
    };
    let response = post_event(&office, &f, &[("organization", &b), ("step", "places")]).await;
    assert_eq!(response.status(), 200);
    let page = response.text().await.expect("body");
    assert!(page.contains("盐田区妇女互助会服务点"), "B's drop-off point: {page}");
    assert!(!page.contains("沙头角街道社工站服务点"), "not A's: {page}");
    assert!(
        page.contains("value=\"冬日爱心集市\"") && page.contains("帮手 5"),
        "{page}"
    );
    assert!(!page.contains("class=\"error\""), "{page}");
    assert_eq!(app.count("events").await, 0);
    // Then the event is set up for B.
    let f = EventForm {
        place: format!("community:{}", world.community_id),
        ..f
    };
    let response = post_event(&office, &f, &[("organization", &b)]).await;
    assert_eq!(response.status(), 303);
    assert_eq!(
        scalar_i64(&app.db, "SELECT organization_id FROM events").await,
        world.b().id
    );
}
