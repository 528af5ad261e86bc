//! The WeChat intake (issue 19, first increment): the server URL as WeChat's servers use it —
//! the verification echo, signed pushes stored once before `success`, redeliveries
//! acknowledged without a second row, safe mode — and as a forger or a hostile client uses
//! it: each refusal writes no row and is counted under its reason.

use crate::support::wechat::{self, AES_KEY, APP_ID, Mode, PATH, TOKEN};
use crate::support::{TestApp, scalar_i64};
use charity_relay::wechat::{crypt, signature};

async fn metric(app: &TestApp, series: &str) -> u64 {
    let body = app.get("/metrics").await.text().await.expect("metrics");
    body.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(0)
}

async fn refusals(app: &TestApp, reason: &str) -> u64 {
    metric(app, &format!("relay_anonymous_refusals_total{{reason=\"{reason}\"}}")).await
}

async fn rows(app: &TestApp) -> i64 {
    app.count("wechat_inbox").await
}

#[tokio::test]
async fn the_admin_consoles_verification_is_echoed_when_signed() {
    let app = TestApp::spawn_with_wechat(Mode::Plain).await;
    let ts = wechat::now().to_string();
    let sig = signature::sign(&[TOKEN, &ts, "8372"]);
    let response = app
        .get(&format!(
            "{PATH}?signature={sig}&timestamp={ts}&nonce=8372&echostr=5730125738281930"
        ))
        .await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.text().await.expect("body"), "5730125738281930");

    let forged = app
        .get(&format!(
            "{PATH}?signature={}&timestamp={ts}&nonce=8372&echostr=1",
            "0".repeat(40)
        ))
        .await;
    assert_eq!(forged.status().as_u16(), 403);
    assert_eq!(forged.text().await.expect("body"), "", "nothing echoed to a forger");
    assert_eq!(refusals(&app, "wechat.bad_signature").await, 1);
}

#[tokio::test]
async fn a_signed_push_is_stored_once_and_its_redelivery_is_acknowledged_without_a_second_row() {
    let app = TestApp::spawn_with_wechat(Mode::Plain).await;
    let xml = wechat::text_message("oShopA1", 24_567_890_123_456_789, "需求");
    let (query, body) = wechat::sealed(Mode::Plain, &xml, wechat::now());
    assert_eq!(
        wechat::post(&app, &query, body.clone()).await,
        (200, "success".to_owned())
    );
    assert_eq!(rows(&app).await, 1);
    let stored = scalar_i64(
        &app.db,
        "SELECT COUNT(*) FROM wechat_inbox WHERE dedupe_key = 'msg:24567890123456789' \
         AND open_id = 'oShopA1' AND kind = 'text' AND status = 'pending' AND attempts = 0",
    )
    .await;
    assert_eq!(stored, 1, "stored as pending, keyed by its MsgId");

    // WeChat retries an answer it did not get in time, three times in all, some at once.
    let again = (0..3).map(|_| wechat::post(&app, &query, body.clone()));
    for answer in futures::future::join_all(again).await {
        assert_eq!(answer, (200, "success".to_owned()));
    }
    assert_eq!(rows(&app).await, 1, "a redelivery adds no row");
    assert_eq!(metric(&app, r#"relay_wechat_pushes_total{outcome="stored"}"#).await, 1);
    assert_eq!(
        metric(&app, r#"relay_wechat_pushes_total{outcome="redelivered"}"#).await,
        3
    );

    // Events have no MsgId: the sender and the creation time are the key.
    let scan = wechat::event("oShopA1", wechat::now(), "SCAN", "link-ABC");
    assert_eq!(wechat::push(&app, Mode::Plain, &scan).await.0, 200);
    assert_eq!(wechat::push(&app, Mode::Plain, &scan).await.0, 200);
    let other_shop = scan.replace("oShopA1", "oShopB2");
    assert_eq!(wechat::push(&app, Mode::Plain, &other_shop).await.0, 200);
    assert_eq!(rows(&app).await, 3);
    let payload: String = {
        use sea_orm::{ConnectionTrait, Statement};
        let row = app
            .db
            .query_one_raw(Statement::from_string(
                app.db.get_database_backend(),
                "SELECT payload FROM wechat_inbox WHERE dedupe_key LIKE 'at:oShopB2:%'".to_owned(),
            ))
            .await
            .expect("query")
            .expect("row");
        row.try_get("", "payload").expect("payload")
    };
    assert!(
        payload.contains(r#""event":"SCAN""#) && payload.contains("link-ABC"),
        "{payload}"
    );
}

#[tokio::test]
async fn a_safe_mode_push_is_decrypted_checked_and_stored() {
    let app = TestApp::spawn_with_wechat(Mode::Safe).await;
    let xml = wechat::text_message("oShopS1", 42, "hello");
    assert_eq!(wechat::push(&app, Mode::Safe, &xml).await, (200, "success".to_owned()));
    assert_eq!(rows(&app).await, 1);
    let content = scalar_i64(
        &app.db,
        "SELECT COUNT(*) FROM wechat_inbox WHERE dedupe_key = 'msg:42' AND open_id = 'oShopS1'",
    )
    .await;
    assert_eq!(content, 1);

    // Signed with the plain signature only, or over another ciphertext: refused.
    let (query, body) = wechat::sealed(Mode::Safe, &wechat::text_message("oShopS1", 43, "x"), wechat::now());
    let plain_only = query.split("&openid").next().expect("query").to_owned();
    assert_eq!(wechat::post(&app, &plain_only, body.clone()).await.0, 403);
    let (other_query, _) = wechat::sealed(Mode::Safe, &wechat::text_message("oShopS1", 44, "y"), wechat::now());
    assert_eq!(wechat::post(&app, &other_query, body).await.0, 403);
    // Another account's message, signed right, names another AppID.
    let key = crypt::AesKey::from_encoding_aes_key(AES_KEY).expect("key");
    let foreign = crypt::encrypt(&key, "wxffffffffffffffff", &wechat::text_message("oShopS1", 45, "z"));
    assert_ne!(APP_ID, "wxffffffffffffffff");
    let foreign_body = format!("<xml><Encrypt><![CDATA[{foreign}]]></Encrypt></xml>");
    let foreign_query = wechat::signed_query(wechat::now(), "n1", Some(&foreign));
    assert_eq!(wechat::post(&app, &foreign_query, foreign_body).await.0, 400);
    assert_eq!(rows(&app).await, 1, "no refused push was stored");
    assert_eq!(refusals(&app, "wechat.bad_signature").await, 2);
    assert_eq!(refusals(&app, "wechat.undecryptable").await, 1);
}

#[tokio::test]
async fn forged_stale_oversized_and_hostile_pushes_are_refused_without_a_row_and_counted() {
    for mode in [Mode::Plain, Mode::Safe] {
        let app = TestApp::spawn_with_wechat(mode).await;
        let xml = wechat::text_message("oShopX", 7, "hi");

        // A wrong signature.
        let (query, body) = wechat::sealed(mode, &xml, wechat::now());
        let forged = query.replace("signature=", "signature=0");
        assert_eq!(wechat::post(&app, &forged, body).await.0, 403, "{mode:?}");
        assert_eq!(
            wechat::post(&app, "", "<xml/>").await.0,
            403,
            "{mode:?}: no signature at all"
        );

        // A replay older, or a clock newer, than five minutes: signed right, refused.
        for skew in [-301, 301] {
            let (query, body) = wechat::sealed(mode, &xml, wechat::now() + skew);
            assert_eq!(wechat::post(&app, &query, body).await.0, 400, "{mode:?} {skew}");
        }

        // A body over the bound, refused before it is read whole.
        let (query, _) = wechat::sealed(mode, &xml, wechat::now());
        let huge = format!("<xml><Content>{}</Content></xml>", "x".repeat(64 * 1024));
        assert_eq!(wechat::post(&app, &query, huge).await.0, 413, "{mode:?}");

        // Hostile XML, signed right: a DOCTYPE with entities, an undeclared entity, deep nesting.
        let hostile = [
            "<?xml version=\"1.0\"?><!DOCTYPE xml [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;\">]>\
             <xml><FromUserName>&b;</FromUserName></xml>"
                .to_owned(),
            "<xml><FromUserName>&xxe;</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType></xml>".to_owned(),
            format!("<xml>{}{}</xml>", "<a>".repeat(200), "</a>".repeat(200)),
        ];
        for xml in &hostile {
            let (status, _) = wechat::push(&app, mode, xml).await;
            assert_eq!(status, 400, "{mode:?}: {xml:.60}");
        }
        // Merely malformed.
        assert_eq!(
            wechat::push(&app, mode, "<xml><MsgType>text</MsgType></xml>").await.0,
            400
        );

        assert_eq!(rows(&app).await, 0, "{mode:?}: nothing refused was stored");
        assert_eq!(refusals(&app, "wechat.bad_signature").await, 2, "{mode:?}");
        assert_eq!(refusals(&app, "wechat.stale_timestamp").await, 2, "{mode:?}");
        assert_eq!(refusals(&app, "wechat.too_large").await, 1, "{mode:?}");
        assert_eq!(refusals(&app, "wechat.hostile_xml").await, 3, "{mode:?}");
        assert_eq!(refusals(&app, "wechat.malformed").await, 1, "{mode:?}");

        // The same service still takes WeChat's real push.
        assert_eq!(wechat::push(&app, mode, &xml).await, (200, "success".to_owned()));
        assert_eq!(rows(&app).await, 1);
        app.stop().await;
    }
}

#[tokio::test]
async fn a_custom_path_is_the_only_one_served_and_without_the_channel_there_is_no_route() {
    let off = TestApp::spawn().await;
    let xml = wechat::text_message("oShopOff", 9, "hi");
    let (query, body) = wechat::sealed(Mode::Plain, &xml, wechat::now());
    let ts = wechat::now().to_string();
    let echo = off
        .get(&format!(
            "{PATH}?signature={}&timestamp={ts}&nonce=1&echostr=e",
            signature::sign(&[TOKEN, &ts, "1"])
        ))
        .await;
    assert_eq!(echo.status().as_u16(), 404, "no route while the channel is off");
    let posted = off
        .client
        .post(off.url(&format!("{PATH}?{query}")))
        .body(body.clone())
        .send()
        .await
        .expect("post");
    assert_ne!(posted.status().as_u16(), 200);
    assert_eq!(rows(&off).await, 0);
    off.stop().await;

    let custom = TestApp::spawn_with(|env| {
        wechat::configure(env, Mode::Plain);
        env.insert("RELAY_WECHAT_PATH".into(), "/hooks/wx".into());
    })
    .await;
    let answer = custom
        .client
        .post(custom.url(&format!("/hooks/wx?{query}")))
        .body(body.clone())
        .send()
        .await
        .expect("post");
    assert_eq!(answer.status().as_u16(), 200);
    assert_eq!(answer.text().await.expect("body"), "success");
    // The default path is an ordinary page POST there (the CSRF guard sends it to sign in).
    assert_eq!(wechat::post(&custom, &query, body).await.0, 303);
    assert_eq!(rows(&custom).await, 1);
}
