//! Event sign-ups after the reviews of issue 18: the organizer cancels a sign-up for someone
//! who phoned (asked first; the waitlist moves up), a join link says where the volunteer
//! stands, cancelling an event asks why and the email says it, the invite page counts who
//! gets mail, check-in never races past the recording of hours, and a shop's staff
//! sign-ups from the bot are capped, keep one record a person and never count a retry twice.

use charity_relay::domain::event::{MAX_STAFF_A_SHOP, StaffCap};
use charity_relay::entities::volunteer;
use charity_relay::services::ServiceError;
use charity_relay::services::events::attendance::HoursOutcome;
use charity_relay::services::events::signups::SignupOutcome;
use charity_relay::services::events::{attendance, links, signups};
use chrono::{Duration, Utc};
use sea_orm::{ActiveModelTrait, Set};

use crate::events::{market_of, setup, volunteer_with_email, wait_for_mail};
use crate::support::world::{PLANTED_ADDRESS, PLANTED_PHONE, World};
use crate::support::{TestApp, scalar_i64};

/// A volunteer of `organization_id` with no email address (someone who phones).
async fn volunteer_without_email(app: &TestApp, organization_id: i64, name: &str) -> i64 {
    volunteer::ActiveModel {
        organization_id: Set(organization_id),
        display_name: Set(name.to_owned()),
        contact_id: Set(None),
        former_beneficiary_id: Set(None),
        created_at: Set(Utc::now()),
        merchant_id: Set(None),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .expect("volunteer")
    .id
}

async fn role_id(app: &TestApp, event: i64, name: &str) -> i64 {
    scalar_i64(
        &app.db,
        &format!("SELECT id FROM event_roles WHERE event_id = {event} AND name = '{name}'"),
    )
    .await
}

async fn signup_of(app: &TestApp, volunteer: i64) -> i64 {
    scalar_i64(
        &app.db,
        &format!("SELECT id FROM event_signups WHERE volunteer_id = {volunteer}"),
    )
    .await
}

/// Organization A cancels event `id`, with a reason.
async fn cancel_event(app: &TestApp, world: &World, id: i64) {
    signups::cancel_event(
        &app.db,
        &app.config.secret_key,
        &world.a().worker,
        id,
        "场地临时维修",
        Utc::now(),
    )
    .await
    .expect("cancel");
}

/// The join link of `volunteer` for `role`, as the invitation carries it (a path).
fn join_path(app: &TestApp, event: i64, volunteer: i64, role: i64) -> String {
    links::signup_url(&app.config.secret_key, "", event, volunteer, role)
}

/// The cancel link of `volunteer`'s sign-up, as their emails carry it (a path).
fn cancel_path(app: &TestApp, event: i64, volunteer: i64) -> String {
    links::cancel_url(&app.config.secret_key, "", event, volunteer)
}

/// Presses the button of a link's page: POSTs the link itself.
async fn post_link(app: &TestApp, path: &str) -> (u16, String) {
    let r = app.client.post(app.url(path)).send().await.expect("post");
    (r.status().as_u16(), r.text().await.expect("body"))
}

#[tokio::test]
async fn the_organizer_cancels_a_phoned_sign_up_after_asking_and_the_first_on_the_waitlist_moves_up() {
    let (app, sink) = TestApp::spawn_with_smtp().await;
    let world = setup(&app).await;
    let now = Utc::now();
    let id = market_of(&app, &world, "急救 1", now, Duration::days(3)).await;
    let role = role_id(&app, id, "急救").await;
    let chen = volunteer_with_email(&app, world.a().id, "陈阿姨", "chen@example.org").await;
    let li = volunteer_with_email(&app, world.a().id, "小李", "li@example.org").await;
    let zhou = volunteer_without_email(&app, world.a().id, "老周").await;
    for v in [chen, li, zhou] {
        signups::sign_up_by_organizer(&app.db, &world.a().worker, id, v, role, now)
            .await
            .expect("sign-up");
    }
    let (chen_s, li_s, zhou_s) = (
        signup_of(&app, chen).await,
        signup_of(&app, li).await,
        signup_of(&app, zhou).await,
    );
    let mut worker = app.login("worker0@example.org").await;
    let (_, page) = worker.get(&format!("/events/{id}")).await;
    for s in [chen_s, li_s, zhou_s] {
        assert!(
            page.contains(&format!("/events/{id}/signups/{s}/cancel")),
            "a cancel button for each: {page}"
        );
    }

    // The confirm page names the person and the role, says she is emailed and who moves up.
    let (status, ask) = worker.get(&format!("/events/{id}/signups/{chen_s}/cancel")).await;
    assert_eq!(status, 200, "{ask}");
    assert!(ask.contains("陈阿姨") && ask.contains("急救"), "{ask}");
    assert!(
        ask.contains("陈阿姨会收到邮件") && ask.contains("候补第 1 位的小李递补"),
        "{ask}"
    );
    // Someone with no address is not emailed, and a waitlisted one leaves the list.
    let (_, ask) = worker.get(&format!("/events/{id}/signups/{zhou_s}/cancel")).await;
    assert!(
        ask.contains("老周没有可用的邮箱，不会收到邮件") && ask.contains("离开「急救」岗位的候补名单"),
        "{ask}"
    );
    assert!(!ask.contains("递补"), "{ask}");

    let done = worker.post(&format!("/events/{id}/signups/{chen_s}/cancel"), &[]).await;
    assert_eq!(done.status(), 303);
    let told = wait_for_mail(&sink, "chen@example.org", "您的报名已取消").await;
    assert!(told.parsed().body_text(0).unwrap_or_default().contains("岗位：急救"));
    wait_for_mail(&sink, "li@example.org", "候补转正").await;
    // Pressed twice: nothing more happens, and the page says where things stand.
    let twice = worker.post(&format!("/events/{id}/signups/{chen_s}/cancel"), &[]).await;
    assert_eq!(twice.status(), 303);
    assert_eq!(
        scalar_i64(
            &app.db,
            &format!(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'event.signup_cancel' AND subject_id = '{chen_s}' AND outcome = 'ok'"
            ),
        )
        .await,
        1,
        "one audit row"
    );
    let (_, page) = worker.get(&format!("/events/{id}")).await;
    assert!(page.contains("已报 1/1，候补 1"), "{page}");
    assert!(
        page.contains("小李 · 急救") && !page.contains("陈阿姨 · 急救"),
        "{page}"
    );
    let (status, _) = worker.get(&format!("/events/{id}/signups/{chen_s}/cancel")).await;
    assert_eq!(status, 303, "a cancelled sign-up leads back to the event");
}

#[tokio::test]
async fn a_sign_up_cannot_be_cancelled_by_another_organization_the_office_or_once_the_event_is_over() {
    let app = TestApp::spawn().await;
    let world = setup(&app).await;
    let now = Utc::now();
    let id = market_of(&app, &world, "帮手 2", now, Duration::days(2)).await;
    let role = role_id(&app, id, "帮手").await;
    let v = volunteer_without_email(&app, world.a().id, "老周").await;
    signups::sign_up_by_organizer(&app.db, &world.a().worker, id, v, role, now)
        .await
        .expect("sign-up");
    let s = signup_of(&app, v).await;
    let path = format!("/events/{id}/signups/{s}/cancel");
    let mut other = app.login("worker1@example.org").await;
    let (status, _) = other.get(&path).await;
    assert_eq!(status, 404);
    assert_eq!(other.post(&path, &[]).await.status(), 404);
    let office = app.office_account().await;
    let mut office = app.login(&office).await;
    let (status, _) = office.get(&path).await;
    assert_eq!(status, 403);
    assert_eq!(office.post(&path, &[]).await.status(), 403);
    assert_eq!(
        scalar_i64(
            &app.db,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'event.signup_cancel' AND outcome = 'denied'"
        )
        .await,
        4
    );
    // Once the event is cancelled, in words.
    cancel_event(&app, &world, id).await;
    let mut worker = app.login("worker0@example.org").await;
    let (status, page) = worker.get(&path).await;
    assert_eq!(status, 409);
    assert!(page.contains("活动已经开始、已取消、时长已经记录"), "{page}");
    assert_eq!(worker.post(&path, &[]).await.status(), 409);

    // Once it has started: no one is promoted to an event under way, and the page offers no
    // cancel button.
    let then = now - Duration::hours(2);
    let started = market_of(&app, &world, "帮手 2", then, Duration::hours(1)).await;
    let started_role = role_id(&app, started, "帮手").await;
    let u = volunteer_without_email(&app, world.a().id, "小李").await;
    signups::sign_up_by_organizer(&app.db, &world.a().worker, started, u, started_role, then)
        .await
        .expect("sign-up");
    let us = signup_of(&app, u).await;
    let (_, page) = worker.get(&format!("/events/{started}")).await;
    assert!(!page.contains(&format!("/signups/{us}/cancel")), "{page}");
    let late = worker
        .post(&format!("/events/{started}/signups/{us}/cancel"), &[])
        .await;
    assert_eq!(late.status(), 409);

    // And once the hours are recorded.
    let then = now - Duration::days(3);
    let past = market_of(&app, &world, "帮手 2", then, Duration::days(1)).await;
    let past_role = role_id(&app, past, "帮手").await;
    let w = volunteer_without_email(&app, world.a().id, "小王").await;
    signups::sign_up_by_organizer(&app.db, &world.a().worker, past, w, past_role, then)
        .await
        .expect("sign-up");
    attendance::record_hours(&app.db, &world.a().worker, past, &[], now)
        .await
        .expect("hours");
    let ws = signup_of(&app, w).await;
    let late = worker.post(&format!("/events/{past}/signups/{ws}/cancel"), &[]).await;
    assert_eq!(late.status(), 409);
    assert_eq!(
        scalar_i64(&app.db, "SELECT COUNT(*) FROM event_signups WHERE status = 'cancelled'").await,
        0
    );
}

#[tokio::test]
async fn a_join_link_says_where_the_volunteer_stands_and_a_waitlisted_cancel_leaves_the_list() {
    let app = TestApp::spawn().await;
    let world = setup(&app).await;
    let now = Utc::now();
    let id = market_of(&app, &world, "急救 1\n帮手 2", now, Duration::days(3)).await;
    let (aid, helper) = (role_id(&app, id, "急救").await, role_id(&app, id, "帮手").await);
    let chen = volunteer_with_email(&app, world.a().id, "陈阿姨", "chen@example.org").await;
    let li = volunteer_with_email(&app, world.a().id, "小李", "li@example.org").await;
    let mut visitor = app.browser();
    assert_eq!(post_link(&app, &join_path(&app, id, chen, aid)).await.0, 200);

    // Signed up for this role: no button, the cancel link instead.
    let (status, page) = visitor.get(&join_path(&app, id, chen, aid)).await;
    assert_eq!(status, 200);
    assert!(page.contains("您已经报名了「急救」岗位"), "{page}");
    assert!(!page.contains("<form"), "{page}");
    assert!(page.contains(&format!("/e/{id}/cancel?v={chen}")), "{page}");
    // Another role: an explicit switch.
    let (_, page) = visitor.get(&join_path(&app, id, chen, helper)).await;
    assert!(
        page.contains("您目前报名的是「急救」岗位") && page.contains("改报这个岗位"),
        "{page}"
    );

    // Waitlisted: the place on the list; the cancel page says she leaves the list.
    let (_, joined) = post_link(&app, &join_path(&app, id, li, aid)).await;
    assert!(joined.contains("候补名单第 1 位"), "{joined}");
    let (_, page) = visitor.get(&join_path(&app, id, li, aid)).await;
    assert!(page.contains("您已在「急救」岗位的候补名单第 1 位"), "{page}");
    assert!(page.contains("离开候补名单"), "{page}");
    let (_, ask) = visitor.get(&cancel_path(&app, id, li)).await;
    assert!(
        ask.contains("您将离开这个岗位的候补名单") && !ask.contains("名额会让给"),
        "{ask}"
    );
    let (_, left) = post_link(&app, &cancel_path(&app, id, li)).await;
    assert!(left.contains("您已离开候补名单"), "{left}");

    // Switching moves chen; the cancelled event and the started one say so.
    let (_, switched) = post_link(&app, &join_path(&app, id, chen, helper)).await;
    assert!(switched.contains("报名成功"), "{switched}");
    cancel_event(&app, &world, id).await;
    let (status, page) = visitor.get(&join_path(&app, id, chen, helper)).await;
    assert_eq!(status, 409);
    assert!(page.contains("这个活动已取消"), "{page}");
    let then = now - Duration::days(3);
    let past = market_of(&app, &world, "帮手 2", then, Duration::days(1)).await;
    let past_role = role_id(&app, past, "帮手").await;
    let (status, page) = visitor.get(&join_path(&app, past, chen, past_role)).await;
    assert_eq!(status, 409);
    assert!(page.contains("活动已开始或已结束"), "{page}");
}

#[tokio::test]
async fn cancelling_an_event_asks_why_and_the_email_and_the_page_say_it() {
    let (app, sink) = TestApp::spawn_with_smtp().await;
    let world = setup(&app).await;
    let now = Utc::now();
    let id = market_of(&app, &world, "帮手 2", now, Duration::days(3)).await;
    let role = role_id(&app, id, "帮手").await;
    let chen = volunteer_with_email(&app, world.a().id, "陈阿姨", "chen@example.org").await;
    signups::sign_up_by_organizer(&app.db, &world.a().worker, id, chen, role, now)
        .await
        .expect("sign-up");
    let mut worker = app.login("worker0@example.org").await;
    let path = format!("/events/{id}/cancel");
    let (status, ask) = worker.get(&path).await;
    assert_eq!(status, 200);
    assert!(ask.contains("name=\"reason\"") && ask.contains("取消原因"), "{ask}");
    let long = "修".repeat(signups::CANCEL_REASON_MAX + 1);
    for bad in [
        "",
        PLANTED_PHONE,
        PLANTED_ADDRESS,
        "详见 https://evil.example.com",
        long.as_str(),
    ] {
        let refused = worker.post(&path, &[("reason", bad)]).await;
        assert_eq!(refused.status(), 422, "{bad}");
        let page = refused.text().await.expect("body");
        assert!(page.contains("id=\"reason-error\""), "{bad}: {page}");
        if !bad.is_empty() {
            let start: String = bad.chars().take(4).collect();
            assert!(page.contains(&start), "typed text kept: {page}");
        }
    }
    assert_eq!(
        scalar_i64(
            &app.db,
            &format!("SELECT COUNT(*) FROM events WHERE id = {id} AND status = 'cancelled'")
        )
        .await,
        0
    );
    assert_eq!(worker.post(&path, &[("reason", "场地临时维修")]).await.status(), 303);
    let mail = wait_for_mail(&sink, "chen@example.org", "活动已取消").await;
    assert!(
        mail.parsed()
            .body_text(0)
            .unwrap_or_default()
            .contains("取消原因：场地临时维修"),
        "the reason is in the email"
    );
    let (_, page) = worker.get(&format!("/events/{id}")).await;
    assert!(page.contains("陈阿姨 · 帮手") && page.contains("随活动取消"), "{page}");
    assert!(!page.contains(">已报名<"), "{page}");
}

#[tokio::test]
async fn the_invite_page_counts_who_gets_mail_and_who_cannot_be_invited() {
    let (app, sink) = TestApp::spawn_with_smtp().await;
    let world = setup(&app).await;
    let now = Utc::now();
    let id = market_of(&app, &world, "帮手 2", now, Duration::days(3)).await;
    volunteer_with_email(&app, world.a().id, "陈阿姨", "chen@example.org").await;
    volunteer_with_email(&app, world.a().id, "小李", "li@example.org").await;
    volunteer_without_email(&app, world.a().id, "老周").await;
    let mut worker = app.login("worker0@example.org").await;
    let (status, ask) = worker.get(&format!("/events/{id}/invite")).await;
    assert_eq!(status, 200);
    assert!(
        ask.contains("这次会有 2 位志愿者收到邀请邮件") && ask.contains("1 位没有邮箱或不同意接收邮件，无法邀请"),
        "{ask}"
    );
    assert_eq!(worker.post(&format!("/events/{id}/invite"), &[]).await.status(), 303);
    wait_for_mail(&sink, "li@example.org", "邀请您做志愿者").await;
    let (_, again) = worker.get(&format!("/events/{id}/invite")).await;
    assert!(
        again.contains("这次会有 0 位志愿者") && again.contains("2 位已经收到过这次活动的邀请"),
        "{again}"
    );
    // Another organization reads no count.
    let mut other = app.login("worker1@example.org").await;
    let (status, _) = other.get(&format!("/events/{id}/invite")).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_check_in_racing_the_recording_of_hours_either_counts_or_is_refused() {
    let app = TestApp::spawn().await;
    let world = setup(&app).await;
    let now = Utc::now();
    let then = now - Duration::days(3);
    for round in 0..6 {
        let id = market_of(&app, &world, "帮手 5", then, Duration::days(1)).await;
        let role = role_id(&app, id, "帮手").await;
        let v = volunteer_without_email(&app, world.a().id, &format!("志愿者{round}")).await;
        signups::sign_up_by_organizer(&app.db, &world.a().worker, id, v, role, then)
            .await
            .expect("sign-up");
        let s = signup_of(&app, v).await;
        let (db1, db2) = (app.db.clone(), app.db.clone());
        let (w1, w2) = (world.a().worker, world.a().worker);
        let check_in = tokio::spawn(async move { attendance::check_in(&db1, &w1, id, s, false, now).await });
        let record = tokio::spawn(async move { attendance::record_hours(&db2, &w2, id, &[], now).await });
        let (checked, recorded) = (check_in.await.expect("task"), record.await.expect("task"));
        let people = recorded.expect("the recording itself never fails");
        match checked {
            Ok(()) => assert_eq!(
                people,
                HoursOutcome::Recorded(1),
                "round {round}: a check-in before the recording counts"
            ),
            Err(ServiceError::Conflict(_)) => assert_eq!(people, HoursOutcome::Recorded(0), "round {round}"),
            Err(e) => panic!("round {round}: {e}"),
        }
        assert_eq!(
            scalar_i64(
                &app.db,
                &format!(
                    "SELECT COUNT(*) FROM event_signups WHERE event_id = {id} AND checked_in_at IS NOT NULL AND volunteer_hour_id IS NULL"
                ),
            )
            .await,
            0,
            "round {round}: nobody checked in without hours"
        );
    }
}

#[tokio::test]
async fn a_shop_signs_up_no_more_staff_than_places_keeps_one_record_a_person_and_a_retry_counts_once() {
    let app = TestApp::spawn().await;
    let world = app.world(1).await;
    let now = Utc::now();
    let id = market_of(&app, &world, "帮手 2\n搬运 8", now, Duration::days(2)).await;
    let (helper, carry) = (role_id(&app, id, "帮手").await, role_id(&app, id, "搬运").await);
    let shop = world.merchants[0].id;
    let sign = |role: i64, name: &'static str, key: &'static str| {
        let db = app.db.clone();
        async move { signups::sign_up_staff(&db, shop, id, role, name, Some(key), now).await }
    };
    assert_eq!(
        sign(helper, "Li Ming", "u1").await.expect("first"),
        SignupOutcome::Confirmed
    );
    // The same person typed again, spaced and cased otherwise: one record, no second sign-up.
    assert_eq!(
        sign(helper, "  li   MING ", "u2").await.expect("again"),
        SignupOutcome::Confirmed
    );
    let records = format!("SELECT COUNT(*) FROM volunteers WHERE merchant_id = {shop}");
    assert_eq!(scalar_i64(&app.db, &records).await, 1);
    sign(helper, "王芳", "u3").await.expect("second place");
    // The role has two places: a third of the shop's staff is refused, in words.
    match sign(helper, "张伟", "u4").await {
        Err(ServiceError::StaffCap(StaffCap::Role { places: 2 })) => {}
        other => panic!("{other:?}"),
    }
    // A retry of the same tap (same key) answers as the first time and signs nobody up twice,
    // even at once; the key with another request is refused.
    let (a, b) = tokio::join!(sign(carry, "赵六", "u5"), sign(carry, "赵六", "u5"));
    assert_eq!(a.expect("first"), SignupOutcome::Confirmed);
    assert_eq!(b.expect("retry"), SignupOutcome::Confirmed);
    assert!(matches!(
        sign(carry, "钱七", "u5").await,
        Err(ServiceError::IdempotencyKeyReused)
    ));
    assert_eq!(
        scalar_i64(
            &app.db,
            &format!("SELECT COUNT(*) FROM event_signups WHERE event_id = {id}")
        )
        .await,
        3
    );
    // Five a shop an event, whatever the places.
    sign(carry, "孙八", "u6").await.expect("fourth");
    sign(carry, "周九", "u7").await.expect("fifth");
    match sign(carry, "吴十", "u8").await {
        Err(ServiceError::StaffCap(StaffCap::Event { most })) => assert_eq!(most, MAX_STAFF_A_SHOP),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        scalar_i64(
            &app.db,
            &format!("SELECT COUNT(*) FROM event_signups WHERE event_id = {id} AND status <> 'cancelled'")
        )
        .await,
        i64::try_from(MAX_STAFF_A_SHOP).expect("small")
    );
}

#[tokio::test]
async fn someone_checked_in_on_site_keeps_the_place_and_the_hours() {
    let app = TestApp::spawn().await;
    let world = setup(&app).await;
    let now = Utc::now();
    // Check-in opens two hours before the start: this one starts in an hour.
    let id = market_of(&app, &world, "帮手 1", now, Duration::hours(1)).await;
    let role = role_id(&app, id, "帮手").await;
    let here = volunteer_with_email(&app, world.a().id, "小陈", "chen@example.org").await;
    let waiting = volunteer_without_email(&app, world.a().id, "小赵").await;
    for v in [here, waiting] {
        signups::sign_up_by_organizer(&app.db, &world.a().worker, id, v, role, now)
            .await
            .expect("sign-up");
    }
    let s = signup_of(&app, here).await;
    attendance::check_in(&app.db, &world.a().worker, id, s, false, now)
        .await
        .expect("check-in");

    // Neither the organizer nor the volunteer's own link cancels it now.
    let mut worker = app.login("worker0@example.org").await;
    let (status, page) = worker.get(&format!("/events/{id}/signups/{s}/cancel")).await;
    assert_eq!(status, 409);
    assert!(page.contains("或此人已经签到"), "{page}");
    assert_eq!(
        worker
            .post(&format!("/events/{id}/signups/{s}/cancel"), &[])
            .await
            .status(),
        409
    );
    let (status, page) = post_link(&app, &cancel_path(&app, id, here)).await;
    assert_eq!(status, 409);
    assert!(page.contains("您已在活动现场签到"), "{page}");
    assert_eq!(
        scalar_i64(
            &app.db,
            &format!("SELECT COUNT(*) FROM event_signups WHERE id = {s} AND status = 'confirmed'")
        )
        .await,
        1,
        "still signed up, and the one waiting was not moved up"
    );
    assert_eq!(
        scalar_i64(
            &app.db,
            "SELECT COUNT(*) FROM event_signups WHERE status = 'waitlisted'"
        )
        .await,
        1
    );
}
