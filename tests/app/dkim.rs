//! Mail that arrives: every message DKIM-signed when a key is configured, checked by an
//! independent verifier (the `mail-auth` crate) against the very DNS record that
//! `charity-relay admin mail-dns` prints; Message-IDs under the sender's domain; and a key
//! that cannot be used stops the server with one clear line.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use charity_relay::domain::Locale;
use charity_relay::services::outbox::{Channel, Message, enqueue};
use chrono::Utc;
use mail_auth::common::parse::TxtRecordParser;
use mail_auth::common::verify::DomainKey;
use mail_auth::{AuthenticatedMessage, DkimResult, MessageAuthenticator, Parameters, ResolverCache, Txt};

use super::mail::confirm_contact;
use crate::support::smtp::Received;
use crate::support::{SmtpSink, TestApp, run_cli, set};

const DOMAIN: &str = "relay.example.org";
const SELECTOR: &str = "relay2026";

fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/dkim")
        .join(name)
        .display()
        .to_string()
}

fn with_key(env: &mut HashMap<String, String>, key: &str) {
    set(env, "RELAY_EMAIL_FROM", &format!("爱心接力 <noreply@{DOMAIN}>"));
    set(env, "RELAY_DKIM_SELECTOR", SELECTOR);
    set(env, "RELAY_DKIM_KEY_FILE", &fixture(key));
}

/// A DNS answer given in advance: the verifier asks for nothing else.
struct Zone(HashMap<Box<str>, Txt>);

impl ResolverCache<Box<str>, Txt> for Zone {
    fn get<Q>(&self, name: &Q) -> Option<Txt>
    where
        Box<str>: std::borrow::Borrow<Q>,
        Q: std::hash::Hash + Eq + ?Sized,
    {
        self.0.get(name).cloned()
    }

    fn remove<Q>(&self, name: &Q) -> Option<Txt>
    where
        Box<str>: std::borrow::Borrow<Q>,
        Q: std::hash::Hash + Eq + ?Sized,
    {
        self.0.get(name).cloned()
    }

    fn insert(&self, _: Box<str>, _: Txt, _: std::time::Instant) {}
}

/// The DKIM TXT record as `admin mail-dns` prints it: name and the joined value.
fn published_record(stdout: &str) -> (String, String) {
    let line = stdout
        .lines()
        .find(|l| l.contains("._domainkey."))
        .unwrap_or_else(|| panic!("a DKIM record in:\n{stdout}"));
    let name = line.split_whitespace().next().expect("a name").to_owned();
    let value: String = line
        .split('"')
        .enumerate()
        .filter(|(i, _)| i % 2 == 1)
        .map(|(_, chunk)| chunk)
        .collect();
    (name, value)
}

async fn dkim_results(raw: &[u8], zone: &Zone) -> Vec<DkimResult> {
    let message = AuthenticatedMessage::parse(raw).expect("a parseable message");
    let authenticator = MessageAuthenticator::new_cloudflare().expect("an authenticator (no lookup is made)");
    authenticator
        .verify_dkim(Parameters::new(&message).with_txt_cache(zone))
        .await
        .iter()
        .map(|o| o.result().clone())
        .collect()
}

/// Sends one resident notice through the running app's SMTP sink and returns it.
async fn one_signed_message(key: &str) -> (TestApp, Received) {
    let sink = SmtpSink::start();
    let url = sink.url();
    let app = TestApp::spawn_without_dispatcher(|env| {
        set(env, "RELAY_SMTP_URL", &url);
        set(env, "RELAY_EMAIL_HOURLY_LIMIT", "0");
        with_key(env, key);
    })
    .await;
    let _world = app.world(0).await;
    let resident = confirm_contact(&app, "resident0@example.org").await;
    let now = Utc::now();
    let message = Message {
        channel: Channel::Email,
        recipient: "resident0@example.org".into(),
        contact_id: Some(resident),
        merchant_id: None,
        kind: "resident-need-claimed",
        locale: Locale::ZhCn,
        payload: serde_json::json!({
            "claim_id": 7, "need_id": 42, "title": "米和食用油", "merchant_name": "海景粮油店",
            "quantity": 2, "unit": "袋", "expected_date": "2026-12-08"
        }),
        dedupe_key: "test:dkim".into(),
    };
    assert!(enqueue(&app.db, message, now).await.expect("enqueue"));
    app.dispatcher().drain(now).await.expect("drain");
    let got = sink
        .received()
        .into_iter()
        .find(|m| m.to == ["resident0@example.org"] && String::from_utf8_lossy(&m.data).contains("List-Unsubscribe"))
        .expect("the notice arrived");
    (app, got)
}

async fn signature_verifies_and_breaks_when_the_body_is_altered(key: &str, algorithm: &str) {
    let (app, got) = one_signed_message(key).await;
    let raw = String::from_utf8_lossy(&got.data).into_owned();
    assert!(raw.contains("DKIM-Signature:"), "signed:\n{raw}");
    assert!(raw.contains(&format!("a={algorithm}-sha256")), "{raw}");
    assert!(raw.contains(&format!("d={DOMAIN}")) && raw.contains(&format!("s={SELECTOR}")));
    assert!(
        got.message_id().ends_with(&format!("@{DOMAIN}")),
        "the Message-ID is under the sender's domain: {}",
        got.message_id()
    );
    // The one-click unsubscribe must be covered by the signature (RFC 8058).
    let dkim_header = raw
        .split("DKIM-Signature:")
        .nth(1)
        .and_then(|rest| rest.split(" b=").next())
        .expect("a DKIM header")
        .to_ascii_lowercase();
    assert!(dkim_header.contains("list-unsubscribe"), "{dkim_header}");

    // The record to publish, exactly as the operator's command prints it.
    let dns = run_cli(&app.env, &["admin", "mail-dns"], "");
    assert_eq!(dns.code, Some(0), "{dns:?}");
    let (name, value) = published_record(&dns.stdout);
    assert_eq!(name, format!("{SELECTOR}._domainkey.{DOMAIN}."));
    assert!(
        dns.stdout.contains(&format!("{DOMAIN}. IN TXT \"v=spf1")),
        "{}",
        dns.stdout
    );
    assert!(
        dns.stdout.contains(&format!("_dmarc.{DOMAIN}. IN TXT \"v=DMARC1;")),
        "{}",
        dns.stdout
    );
    assert!(!dns.stdout.contains("PRIVATE") && !dns.stderr.contains("PRIVATE"));
    let key = DomainKey::parse(value.as_bytes()).expect("the published record parses");
    let zone = Zone(HashMap::from([(name.into_boxed_str(), Txt::DomainKey(Arc::new(key)))]));

    assert_eq!(
        dkim_results(&got.data, &zone).await,
        vec![DkimResult::Pass],
        "the signature verifies"
    );

    let altered = raw.replacen("海景粮油店", "别的商店", 1);
    let altered = if altered == raw {
        // The body is encoded: flip one character of the last body line instead.
        let cut = raw.trim_end().rfind('\n').expect("a body line") + 1;
        let mut bytes = raw.clone().into_bytes();
        bytes[cut] = if bytes[cut] == b'A' { b'B' } else { b'A' };
        String::from_utf8(bytes).expect("utf-8")
    } else {
        altered
    };
    let results = dkim_results(altered.as_bytes(), &zone).await;
    // mail-auth reports a body that no longer matches `bh=` as neutral with this error
    // rather than as a failure; either way the message does not pass.
    assert!(
        results.len() == 1 && format!("{results:?}").contains("FailedBodyHashMatch"),
        "an altered body does not pass: {results:?}"
    );

    let forged = raw.replacen("Subject: ", "Subject: =?utf-8?b?5Lit5aWW?= ", 1);
    assert_ne!(forged, raw);
    let results = dkim_results(forged.as_bytes(), &zone).await;
    assert!(
        matches!(results.as_slice(), [DkimResult::Fail(_)]),
        "an altered subject fails: {results:?}"
    );
    app.stop().await;
}

#[tokio::test]
async fn an_rsa_signature_verifies_and_fails_once_the_body_is_altered() {
    signature_verifies_and_breaks_when_the_body_is_altered("rsa2048.pem", "rsa").await;
}

#[tokio::test]
async fn an_ed25519_signature_verifies_and_fails_once_the_body_is_altered() {
    signature_verifies_and_breaks_when_the_body_is_altered("ed25519.pem", "ed25519").await;
}

#[tokio::test]
async fn a_key_that_cannot_sign_stops_serve_with_one_clear_line() {
    let app = TestApp::spawn().await;
    for (file, expected) in [
        ("rsa1024.pem", "1024 bits"),
        ("no-such-key.pem", "cannot be read"),
        ("README.md", "no PEM private key"),
    ] {
        let mut env = app.env.clone();
        with_key(&mut env, file);
        for args in [&["serve"][..], &["admin", "mail-dns"][..]] {
            let run = run_cli(&env, args, "");
            assert_eq!(run.code, Some(2), "{file} {args:?}: {run:?}");
            let lines = run.error_lines();
            assert_eq!(lines.len(), 1, "{lines:?}");
            assert!(
                lines[0].contains("RELAY_DKIM_KEY_FILE") && lines[0].contains(expected),
                "{file}: {lines:?}"
            );
            assert!(!run.stderr.contains("BEGIN"), "no key material in the error");
        }
    }
    let mut env = app.env.clone();
    set(&mut env, "RELAY_DKIM_SELECTOR", SELECTOR);
    let run = run_cli(&env, &["serve"], "");
    assert_eq!(run.code, Some(2), "a selector without a key: {run:?}");
    assert!(run.stderr.contains("RELAY_DKIM_KEY_FILE"), "{}", run.stderr);
    app.stop().await;
}

#[tokio::test]
async fn without_a_key_mail_dns_says_so_and_still_suggests_spf_and_dmarc() {
    let app = TestApp::spawn().await;
    let mut env = app.env.clone();
    set(&mut env, "RELAY_PUBLIC_URL", "https://relay.example.org");
    env.remove("RELAY_EMAIL_FROM");
    let run = run_cli(&env, &["admin", "mail-dns"], "");
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stdout.contains("no key configured"), "{}", run.stdout);
    assert!(
        run.stdout.contains("noreply@relay.example.org"),
        "the default sender is under the public host: {}",
        run.stdout
    );
    assert!(run.stdout.contains("_dmarc.relay.example.org."), "{}", run.stdout);
    app.stop().await;
}
