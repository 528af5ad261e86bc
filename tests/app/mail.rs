//! Helpers of the email tests: checking a received message, snapshotting its texts, and
//! arranging contacts.

use mail_parser::MimeHeaders;

use crate::support::smtp::Received;
pub use crate::support::world::{confirm_contact, contact_id};
use crate::support::{TestApp, scalar_i64};

/// Waits until the app's own dispatcher has nothing left to send (held rows may stay).
pub async fn wait_until_sent(app: &TestApp) {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let waiting = scalar_i64(
            &app.db,
            "SELECT COUNT(*) FROM outbox WHERE channel = 'email' AND status IN ('pending','failed')",
        )
        .await;
        if waiting == 0 {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{waiting} messages still unsent"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Checks the MIME shape and headers every notification must have.
pub fn assert_well_formed(m: &Received, locale: &str, resident: bool) {
    let parsed = m.parsed();
    let root = parsed.root_part().content_type().expect("a content type");
    assert_eq!(
        (root.ctype(), root.subtype()),
        ("multipart", Some("alternative")),
        "multipart/alternative"
    );
    assert_eq!(parsed.text_body_count(), 1, "one plain-text part");
    assert_eq!(parsed.html_body_count(), 1, "one HTML part");
    assert!(
        parsed
            .html_part(0)
            .and_then(|p| p.content_type())
            .is_some_and(|ct| ct.subtype() == Some("html"))
    );
    assert!(parsed.date().is_some(), "a Date header");
    assert!(parsed.message_id().is_some(), "a Message-ID");
    let header = |name: &str| parsed.header_raw(name).map(|v| v.trim().to_owned());
    assert_eq!(header("Auto-Submitted").as_deref(), Some("auto-generated"));
    assert_eq!(header("Content-Language").as_deref(), Some(locale));
    let text = parsed.body_text(0).unwrap_or_default().into_owned();
    let html = parsed.body_html(0).unwrap_or_default().into_owned();
    let (greeting, html_lang) = if locale == "zh-CN" {
        ("您好", "lang=\"zh-CN\"")
    } else {
        ("Hello", "lang=\"en\"")
    };
    assert!(text.starts_with(greeting), "{text}");
    assert!(html.contains(html_lang), "{html}");
    if resident {
        let list = header("List-Unsubscribe").expect("List-Unsubscribe");
        let url = list.trim_start_matches('<').trim_end_matches('>');
        assert!(url.contains("/unsubscribe/"), "{list}");
        assert_eq!(
            header("List-Unsubscribe-Post").as_deref(),
            Some("List-Unsubscribe=One-Click")
        );
        assert!(text.contains(url), "the unsubscribe link is in the text");
        assert!(html.contains(url), "the unsubscribe link is in the HTML");
    } else {
        assert!(header("List-Unsubscribe").is_none(), "staff mail is operational");
    }
}

/// The one-click unsubscribe URL of a received message.
pub fn unsubscribe_url(m: &Received) -> String {
    let parsed = m.parsed();
    let raw = parsed.header_raw("List-Unsubscribe").expect("List-Unsubscribe").trim();
    raw.trim_start_matches('<').trim_end_matches('>').to_owned()
}

/// The path of a link in the message text that starts with `prefix` (e.g. `/consent/`).
pub fn link_path(m: &Received, prefix: &str) -> String {
    let text = m.parsed().body_text(0).unwrap_or_default().into_owned();
    let start = text.find(prefix).expect("the link is in the text");
    text[start..].split_whitespace().next().expect("a link").to_owned()
}

/// Snapshots subject, text and HTML of a message, with tokens masked.
pub fn snapshot_text(name: &str, m: &Received) {
    let parsed = m.parsed();
    let shown = format!(
        "Subject: {}\n\n----- text/plain -----\n{}\n----- text/html -----\n{}",
        parsed.subject().unwrap_or_default(),
        parsed.body_text(0).unwrap_or_default(),
        parsed.body_html(0).unwrap_or_default(),
    );
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"[0-9a-f]{64}", "[token]");
    settings.add_filter(r"s=[0-9a-f]{32}", "s=[signature]");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_snapshot!(name, shown));
}
