//! Posters for on-site claiming: an A4 print page of anonymized need cards, each with a QR
//! code of the bot's deep link (`https://t.me/<bot>?start=need-<id>`), and the QR image.
//! [`render`] is shared: `GET /needs/poster` (any set of open needs) and an event's poster.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use qrcode::{Color, EcLevel, QrCode};
use serde::Deserialize;

use super::admin::deep_link;
use super::views::NeedItem;
use super::{Chrome, OrPage, PageResult};
use crate::AppState;
use crate::services::need_cards::NeedCard;
use crate::services::posters;
use crate::web::session::Staff;

/// Pixels a QR module takes in the PNG: ~330 px for a link's code, sharp at 35 mm.
const PIXELS_PER_MODULE: u32 = 8;
/// The light border around the code, in modules, as the QR standard asks.
const QUIET_ZONE: u32 = 4;
/// Browsers and proxies may keep a QR image a day: it depends only on the id and the bot.
const QR_CACHE: &str = "public, max-age=86400";

/// One card of a poster, labelled in the page's language.
pub struct PosterCard {
    /// The need's public fields, as the board shows them.
    pub need: NeedItem,
    /// The QR image's path, empty when the bot's username is unknown.
    pub qr_src: String,
    /// The deep link, printed small under the code for whoever cannot scan.
    pub link: String,
}

#[derive(Template)]
#[template(path = "poster.html")]
struct PosterPage {
    c: Chrome,
    subheading: String,
    cards: Vec<PosterCard>,
    /// "2 needs left out", on screen only; empty when none were.
    left_out: String,
    /// True when no bot username is known: the poster says so instead of dead codes.
    no_bot: bool,
}

/// Renders a poster page: `heading` (the page title) and `subheading` (an event's time
/// and place, say) over `cards`, public cards only. `left_out` needs asked for but not
/// shown are counted on screen, never in print. Without `bot_username` the cards carry
/// no QR code and the page says the bot is not set up.
pub fn render(
    mut c: Chrome,
    bot_username: Option<&str>,
    heading: &str,
    subheading: &str,
    cards: &[NeedCard],
    left_out: usize,
) -> Response {
    let t = c.t;
    c.title = heading.to_owned();
    let cards = cards
        .iter()
        .map(|card| {
            let link = bot_username
                .map(|bot| deep_link(bot, &bots::command::need_payload_of(card.id)))
                .unwrap_or_default();
            PosterCard {
                need: NeedItem::new(t, card),
                qr_src: if link.is_empty() {
                    String::new()
                } else {
                    format!("/needs/{}/qr.png", card.id)
                },
                link,
            }
        })
        .collect();
    let left_out = if left_out == 0 {
        String::new()
    } else {
        let n = left_out.to_string();
        t.count("poster.left_out", left_out as u64, &[("n", &n)])
    };
    super::render(
        StatusCode::OK,
        PosterPage {
            c,
            subheading: subheading.to_owned(),
            cards,
            left_out,
            no_bot: bot_username.is_none(),
        },
    )
}

/// The query of `GET /needs/poster`.
#[derive(Debug, Default, Deserialize)]
pub struct PosterQuery {
    /// Comma-separated need ids; empty for all of the caller's open needs.
    #[serde(default)]
    ids: String,
}

/// Reads `1, 2,3`: the ids, and how many parts were no id at all (counted as left out).
fn parse_ids(raw: &str) -> (Vec<i64>, usize) {
    let mut ids = Vec::new();
    let mut malformed = 0;
    for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match part.parse::<i64>() {
            Ok(id) if id >= 1 => ids.push(id),
            _ => malformed += 1,
        }
    }
    (ids, malformed)
}

/// `GET /needs/poster[?ids=1,2,3]`: a poster of the staff member's organization's open needs
/// (the office: its subdistrict's), or of the listed ones they may read.
pub async fn needs_poster(State(state): State<AppState>, staff: Staff, Query(q): Query<PosterQuery>) -> PageResult {
    let t = staff.t;
    let (ids, malformed) = parse_ids(&q.ids);
    if ids.len() > posters::MAX_POSTER_NEEDS {
        // Said on a page the worker can act on; the service refuses it too, before any read.
        return Ok(super::notice_page(
            t,
            &staff.session,
            StatusCode::UNPROCESSABLE_ENTITY,
            "poster.title",
            "poster.too_many",
            "/needs",
            "poster.back",
        ));
    }
    let asked = (!q.ids.trim().is_empty()).then_some(ids.as_slice());
    let found = posters::open_needs(&state.db, &staff.caller, asked, chrono::Utc::now())
        .await
        .or_page(t)?;
    let today = crate::domain::time::local_date(chrono::Utc::now()).to_string();
    Ok(render(
        Chrome::new(t, &staff.session, "poster.title"),
        state.bot_username().as_deref(),
        t.get("poster.title"),
        &t.fill("poster.subheading", &[("date", &today)]),
        &found.cards,
        found.left_out + malformed,
    ))
}

/// `GET /needs/{id}/qr.png`: the QR code of the need's deep link. It reads no database, so
/// it tells nothing of whether the need exists; it carries no personal data and no secret.
/// 404 when the id is malformed or no bot username is known.
pub async fn qr_image(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let id = id.parse::<i64>().ok().filter(|id| *id >= 1);
    let (Some(id), Some(bot)) = (id, state.bot_username()) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match qr_png(&deep_link(&bot, &bots::command::need_payload_of(id))) {
        Some(png) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static("image/png")),
                (header::CACHE_CONTROL, HeaderValue::from_static(QR_CACHE)),
            ],
            png,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// `link` as a black-on-white greyscale PNG QR code; `None` if it cannot be encoded (a
/// link far too long, which ours never are).
pub fn qr_png(link: &str) -> Option<Vec<u8>> {
    // Medium error correction: a poster survives a crease or a smudge.
    let code = QrCode::with_error_correction_level(link.as_bytes(), EcLevel::M).ok()?;
    let modules = u32::try_from(code.width()).ok()?;
    let colors = code.to_colors();
    let side = (modules + 2 * QUIET_ZONE) * PIXELS_PER_MODULE;
    let mut pixels = vec![255u8; (side * side) as usize];
    for (i, color) in colors.iter().enumerate() {
        if *color != Color::Dark {
            continue;
        }
        let i = u32::try_from(i).ok()?;
        let (mx, my) = (i % modules + QUIET_ZONE, i / modules + QUIET_ZONE);
        for y in my * PIXELS_PER_MODULE..(my + 1) * PIXELS_PER_MODULE {
            let row = (y * side) as usize;
            let from = row + (mx * PIXELS_PER_MODULE) as usize;
            pixels[from..from + PIXELS_PER_MODULE as usize].fill(0);
        }
    }
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, side, side);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().ok()?;
        writer.write_image_data(&pixels).ok()?;
        writer.finish().ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_read_leniently_and_garbage_is_counted() {
        assert_eq!(parse_ids("1, 2,3"), (vec![1, 2, 3], 0));
        assert_eq!(parse_ids("4,abc,,0,-2,99999999999999999999"), (vec![4], 4));
        assert_eq!(parse_ids(""), (vec![], 0));
    }

    #[test]
    fn the_qr_png_is_a_bounded_png() {
        let png = qr_png("https://t.me/relay_demo_bot?start=need-123456").expect("png");
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
        assert!(png.len() < 20_000, "{} bytes", png.len());
    }
}
