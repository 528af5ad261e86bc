//! The link code a shop sends to the bot: shown once, with the bot's `t.me` link and a
//! printable QR code of it when the bot's username is known (configured, or from `getMe`),
//! and when it expires.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use qrcode::QrCode;
use qrcode::render::svg;

use super::super::views::local_time;
use super::super::{Chrome, OrPage, PageResult, render};
use crate::AppState;
use crate::services::{merchants, office};
use crate::web::session::Staff;

#[derive(Template)]
#[template(path = "admin_link_code.html")]
struct LinkCodePage {
    c: Chrome,
    merchant: String,
    code: String,
    /// `https://t.me/<bot>?start=<code>`, or empty without a configured username.
    link: String,
    /// The QR code of `link` as inline SVG (our own markup, no user text), or empty.
    qr_svg: String,
    instruction: String,
    expires: String,
}

/// The deep link that opens the bot and sends `/start <code>` with one tap.
pub fn deep_link(username: &str, code: &str) -> String {
    format!("https://t.me/{username}?start={code}")
}

/// `link` as an SVG QR code to embed in the page (without the XML prologue, which has no
/// place inside HTML).
pub fn qr_svg(link: &str) -> Option<String> {
    let code = QrCode::new(link.as_bytes()).ok()?;
    let image = code
        .render::<svg::Color<'_>>()
        .min_dimensions(220, 220)
        .quiet_zone(true)
        .build();
    let start = image.find("<svg")?;
    Some(image[start..].to_owned())
}

/// `POST /admin/merchants/{id}/link-code`: issues a new one-time code and shows it once.
pub async fn link_code(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> PageResult {
    let t = staff.t;
    let now = chrono::Utc::now();
    // The service refuses another subdistrict's shop (audited) and anyone but the office.
    let code = merchants::issue_link_code(&state.db, &state.config.secret_key, &staff.caller, id, now)
        .await
        .or_page(t)?;
    let name = office::merchants(&state.db, &staff.caller, now)
        .await
        .or_page(t)?
        .into_iter()
        .find(|m| m.id == id)
        .map(|m| m.name)
        .unwrap_or_default();
    let expires = local_time(now + chrono::Duration::hours(merchants::LINK_CODE_TTL_HOURS));
    let (link, qr, instruction) = match state.bot_username() {
        Some(bot) => {
            let link = deep_link(&bot, &code);
            let qr = qr_svg(&link).unwrap_or_default();
            (link, qr, t.fill("link_code.instruction_link", &[("bot", &bot)]))
        }
        None => (
            String::new(),
            String::new(),
            t.fill("link_code.instruction_start", &[("code", &code)]),
        ),
    };
    let mut c = Chrome::new(t, &staff.session, "link_code.title");
    c.title = t.fill("link_code.title", &[("name", &name)]);
    Ok(render(
        StatusCode::OK,
        LinkCodePage {
            c,
            merchant: name,
            code,
            link,
            qr_svg: qr,
            instruction,
            expires: t.fill("link_code.expires", &[("at", &expires)]),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_qr_code_is_an_svg_element_of_the_deep_link() {
        let link = deep_link("relay_demo_bot", "ABCD2345");
        assert_eq!(link, "https://t.me/relay_demo_bot?start=ABCD2345");
        let svg = qr_svg(&link).expect("svg");
        assert!(svg.starts_with("<svg"), "{}", &svg[..40]);
        assert!(svg.trim_end().ends_with("</svg>"));
    }
}
