//! On-site claiming with QR codes: a social worker prints a poster of open needs, a shop
//! scans a card's code with Telegram, and the bot opens that need with its claim buttons.
//! The code is read back from the PNG the way a phone reads it (rqrr), and its payload is
//! fed to the fake Bot API.

use std::time::{Duration, Instant};

use bots::{Locale, text};
use charity_relay::domain::PartyStatus;
use sea_orm::ConnectionTrait;

use crate::support::fake_telegram::BOT_USERNAME;
use crate::support::world::{PLANTED_ADDRESS, PLANTED_NAME, PLANTED_PHONE};
use crate::support::{TestApp, scalar_i64};

/// Waits until the bot has asked Telegram who it is (the web learns its username then).
async fn bot_known(app: &TestApp) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(name) = app.state.bot_username() {
            return name;
        }
        assert!(Instant::now() < deadline, "getMe never answered");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Reads the QR code in a PNG as a phone's camera would: the text it holds.
fn decode_qr(png_bytes: &[u8]) -> String {
    let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut buf).expect("frame");
    assert_eq!(info.color_type, png::ColorType::Grayscale);
    let (w, h) = (info.width as usize, info.height as usize);
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| buf[y * w + x]);
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the image");
    grids[0].decode().expect("a readable code").1
}

/// The `src` of every QR image on a poster page.
fn qr_sources(html: &str) -> Vec<String> {
    html.split("src=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|src| src.ends_with("/qr.png"))
        .map(str::to_owned)
        .collect()
}

/// Need `id` cancelled (how it closed does not matter to a poster or a scan).
async fn closed_by_hand(app: &TestApp, id: i64) {
    app.db
        .execute_unprepared(&format!("UPDATE needs SET status = 'cancelled' WHERE id = {id}"))
        .await
        .expect("close");
}

fn assert_no_private_data(what: &str, text: &str) {
    for planted in [PLANTED_NAME, PLANTED_PHONE, PLANTED_ADDRESS] {
        assert!(!text.contains(planted), "{what} shows {planted}");
    }
}

#[tokio::test]
async fn a_shop_scans_a_poster_code_and_claims_the_need_in_the_bot() {
    let app = TestApp::spawn_with_bot().await;
    let world = app.world(2).await;
    let need = app.post_need(world.a(), 3).await;
    let foreign = app.post_need(world.b(), 2).await;
    let closed = app.post_need(world.a(), 1).await;
    closed_by_hand(&app, closed).await;
    assert_eq!(bot_known(&app).await, BOT_USERNAME);

    // The social worker prints a poster of three needs: another organization's and a
    // closed one are left out (counted on screen, not in print), as is a typo.
    let mut worker = app.login("worker0@example.org").await;
    let (status, board) = worker.get("/needs").await;
    assert_eq!(status, 200);
    assert!(
        board.contains("href=\"/needs/poster\""),
        "the board links to the poster"
    );
    let (status, poster) = worker
        .get(&format!("/needs/poster?ids={need},{foreign},{closed},x"))
        .await;
    assert_eq!(status, 200);
    assert!(poster.contains("米和食用油"), "{poster}");
    assert!(poster.contains("用 Telegram 扫码认领"), "{poster}");
    assert!(
        poster.contains("<p class=\"notice no-print\">3 项需求未列入海报"),
        "{poster}"
    );
    assert_no_private_data("the poster", &poster);
    let sources = qr_sources(&poster);
    assert_eq!(
        sources,
        vec![format!("/needs/{need}/qr.png")],
        "only the open need of the worker's organization"
    );

    // Without ids: the organization's open needs, this one only.
    let (_, own) = worker.get("/needs/poster").await;
    assert_eq!(qr_sources(&own), sources);
    assert!(!own.contains("未列入"), "nothing asked for was left out");

    // The image: a PNG anyone may fetch and cache, the deep link in it and nothing else.
    let response = app.get(&sources[0]).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "image/png");
    assert!(
        response.headers()["cache-control"]
            .to_str()
            .expect("ascii")
            .contains("max-age")
    );
    let link = decode_qr(&response.bytes().await.expect("png"));
    assert_eq!(link, format!("https://t.me/{BOT_USERNAME}?start=need-{need}"));
    assert_no_private_data("the QR code", &link);
    let payload = link.split_once("?start=").expect("a start payload").1;

    // The shop's phone opens the bot, which gets `/start need-<id>`.
    let merchant = world.merchants[0].id;
    for lang in Locale::ALL {
        let chat = app.linked_chat(merchant, 900, lang).await;
        let opened = chat.send_all(&format!("/start {payload}")).await;
        assert_eq!(opened.len(), 1, "{opened:#?}");
        let card = opened.card(1);
        assert!(card.text.contains("米和食用油"), "{}", card.text);
        assert_no_private_data("the card", &card.text);
        assert!(!card.button(&text::claim_part_button(lang, 1, false)).is_empty());
        if lang == Locale::En {
            let asked = chat.tap(&card.button(&text::claim_all_button(lang, 1, false))).await;
            chat.tap(&asked.button(&text::claim_all_yes_button(lang))).await;
        }
    }
    let claims = scalar_i64(
        &app.db,
        &format!(
            "SELECT COUNT(*) FROM claims WHERE need_id = {need} AND merchant_id = {merchant} AND status = 'active'"
        ),
    )
    .await;
    assert_eq!(claims, 1, "the scan led to a claim");

    // Claimed in full, the need is no longer open: a second shop scanning hears one line.
    let late = app.linked_chat(world.merchants[1].id, 901, Locale::ZhCn).await;
    let gone = late.send(&format!("/start {payload}")).await;
    assert_eq!(gone.text, text::need_link_closed(Locale::ZhCn));
}

#[tokio::test]
async fn a_scan_never_tells_whether_a_need_exists_and_a_link_code_still_links() {
    let app = TestApp::spawn_with_bot().await;
    let world = app.world(1).await;
    let open = app.post_need(world.a(), 2).await;
    let closed = app.post_need(world.a(), 1).await;
    closed_by_hand(&app, closed).await;
    let merchant = world.merchants[0].id;
    for lang in Locale::ALL {
        let chat = app.linked_chat(merchant, 910, lang).await;
        // Closed, missing, and every malformed payload: the same one line, no panic.
        for payload in [
            format!("need-{closed}"),
            "need-987654".to_owned(),
            "need-".to_owned(),
            "need-abc".to_owned(),
            "need-99999999999999999999".to_owned(),
        ] {
            let reply = chat.send(&format!("/start {payload}")).await;
            assert_eq!(reply.text, text::need_link_closed(lang), "{payload}");
        }
    }

    // A chat linked to no shop hears how to join, and nothing of the need.
    for lang in Locale::ALL {
        let stranger = app.chat(920 + i64::from(lang == Locale::En), lang);
        let hint = stranger.send(&format!("/start need-{open}")).await;
        assert_eq!(hint.text, text::need_link_unlinked(lang));
        assert!(hint.text.contains("/join"));
        assert!(!hint.text.contains("米和食用油"));
        assert!(hint.buttons.is_empty());
    }

    // A shop still waiting for the office may not claim: it is told why, as for /needs.
    let pending = app.merchant("待审商户", PartyStatus::Pending).await;
    let waiting = app.linked_chat(pending.id, 930, Locale::ZhCn).await;
    let refused = waiting.send(&format!("/start need-{open}")).await;
    assert_eq!(refused.text, text::pending(Locale::ZhCn));

    // Scans are not link codes: after all those, a real code links at once.
    let fresh = app.chat(940, Locale::ZhCn);
    for _ in 0..6 {
        fresh.send("/start need-abc").await;
    }
    let newcomer = app.merchant("新加入的商户", PartyStatus::Approved).await;
    let code = app.link_code(newcomer.id).await;
    let linked = fresh.send(&format!("/start {code}")).await;
    assert_eq!(linked.text, text::linked(Locale::ZhCn, "新加入的商户"));
}

#[tokio::test]
async fn the_qr_image_reads_nothing_and_refuses_what_is_no_id() {
    let app = TestApp::spawn_with_bot().await;
    bot_known(&app).await;
    // Any id gets its code, whether a need has it or not: the image is no oracle.
    let response = app.get("/needs/424242/qr.png").await;
    assert_eq!(response.status(), 200);
    let link = decode_qr(&response.bytes().await.expect("png"));
    assert_eq!(link, format!("https://t.me/{BOT_USERNAME}?start=need-424242"));
    for bad in ["abc", "0", "-3", "99999999999999999999"] {
        let response = app.get(&format!("/needs/{bad}/qr.png")).await;
        assert_eq!(response.status(), 404, "{bad}");
    }
}

#[tokio::test]
async fn without_a_bot_the_poster_says_so_instead_of_printing_dead_codes() {
    let app = TestApp::spawn().await;
    let world = app.world(0).await;
    app.post_need(world.a(), 2).await;
    let mut worker = app.login("worker0@example.org").await;
    worker.post("/settings/language", &[("lang", "en")]).await;
    let (status, poster) = worker.get("/needs/poster").await;
    assert_eq!(status, 200);
    assert!(poster.contains("米和食用油"), "{poster}");
    assert!(poster.contains("The Telegram bot is not set up"), "{poster}");
    assert!(qr_sources(&poster).is_empty(), "no dead QR codes");
    assert_eq!(app.get("/needs/1/qr.png").await.status(), 404);
    // Signed out, there is no poster.
    let anonymous = app.get("/needs/poster").await;
    assert_eq!(anonymous.status(), 303, "to the sign-in page");
}

/// `2026-12-20T09:30` in Shenzhen time, as the event form takes it.
fn local_input(t: chrono::DateTime<chrono::Utc>) -> String {
    (t + chrono::Duration::hours(8)).format("%Y-%m-%dT%H:%M").to_string()
}

#[tokio::test]
async fn a_shop_pledges_to_an_event_and_signs_staff_up_through_events() {
    use charity_relay::domain::event::EventForm;
    use charity_relay::services::events;

    let app = TestApp::spawn_with_bot().await;
    let world = app.world(1).await;
    let need = app.post_need(world.a(), 2).await;
    let now = chrono::Utc::now();
    let starts = now + chrono::Duration::days(2);
    let form = EventForm {
        kind: "market".into(),
        title: "冬日爱心集市".into(),
        description: "商户摆摊，志愿者帮忙搬运和引导".into(),
        starts_at: local_input(starts),
        ends_at: local_input(starts + chrono::Duration::minutes(150)),
        place: format!("community:{}", world.community_id),
        place_detail: "二楼活动室".into(),
        roles: "帮手 1".into(),
    };
    let event = events::create(
        &app.db,
        &app.config.secret_key,
        &world.a().worker,
        None,
        &form,
        &[need],
        now,
    )
    .await
    .expect("event");
    let lang = Locale::ZhCn;
    let merchant = world.merchants[0].id;
    let chat = app.linked_chat(merchant, 960, lang).await;

    let listed = chat.send_all("/events").await;
    assert_eq!(listed.len(), 1, "{listed:#?}");
    assert!(listed.text().contains("冬日爱心集市"), "{}", listed.text());
    assert!(listed.text().contains("还有 1 个名额"), "{}", listed.text());
    assert_no_private_data("/events", &listed.text());

    // Pledging support: the event's open needs, claimed as any need is.
    let cards = chat.press(&listed[0], &text::events::pledge_button(lang, 1)).await;
    let card = cards.card(1);
    assert!(card.text.contains("米和食用油"), "{}", card.text);
    let asked = chat.press(card, &text::claim_all_button(lang, 1, false)).await;
    chat.press(&asked[0], &text::claim_all_yes_button(lang)).await;
    let claims = scalar_i64(
        &app.db,
        &format!(
            "SELECT COUNT(*) FROM claims WHERE need_id = {need} AND merchant_id = {merchant} AND status = 'active'"
        ),
    )
    .await;
    assert_eq!(claims, 1, "the pledge is a claim");

    // Signing staff up: the one place goes to the first; a shop signs up no more staff for a
    // role than its places, so the second is refused in words.
    for (name, refused) in [("李明", false), ("王芳", true)] {
        let roles = chat.press(&listed[0], &text::events::staff_button(lang, 1)).await;
        let role_button = roles[0].buttons[0][0].0.clone();
        let asked = chat.press(&roles[0], &role_button).await;
        assert!(asked.text().contains("帮手"), "{}", asked.text());
        let confirm = chat.send_all(name).await;
        assert!(confirm.text().contains(name), "{}", confirm.text());
        let done = chat.press(&confirm[0], &text::events::yes_button(lang)).await;
        let expected = if refused {
            text::events::too_many(
                lang,
                name,
                "冬日爱心集市",
                bots::StaffLimit::Role { places: 1, most: 5 },
            )
        } else {
            text::events::signed_up(lang, name, "冬日爱心集市")
        };
        assert_eq!(done.text(), expected);
    }
    let signups = scalar_i64(
        &app.db,
        &format!("SELECT COUNT(*) FROM event_signups WHERE event_id = {event}"),
    )
    .await;
    assert_eq!(signups, 1);
    let full = chat.send_all("/events").await;
    assert!(full.text().contains("已满"), "{}", full.text());
}

#[tokio::test]
async fn the_office_prints_its_subdistricts_needs_and_a_long_list_is_refused_with_a_reason() {
    let app = TestApp::spawn_with(|env| crate::support::set(env, "RELAY_TELEGRAM_BOT_USERNAME", BOT_USERNAME)).await;
    let world = app.world(0).await;
    let a = app.post_need(world.a(), 2).await;
    let b = app.post_need(world.b(), 3).await;
    let office = app.office_account().await;
    let mut browser = app.login(&office).await;
    let (status, poster) = browser.get("/needs/poster").await;
    assert_eq!(status, 200);
    let mut sources = qr_sources(&poster);
    sources.sort();
    assert_eq!(
        sources,
        vec![format!("/needs/{a}/qr.png"), format!("/needs/{b}/qr.png")]
    );
    assert_no_private_data("the office's poster", &poster);

    // More ids than a poster holds: refused as a whole, not read.
    let many: Vec<String> = (1..=41).map(|i| i.to_string()).collect();
    let (status, page) = browser.get(&format!("/needs/poster?ids={}", many.join(","))).await;
    assert_eq!(status, 422);
    assert!(page.contains("一张海报最多列出 40 项需求"), "{page}");
}
