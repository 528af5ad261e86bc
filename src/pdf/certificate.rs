//! The certificate page: an A4 sheet with a title, the statement, the fields 民政部令第67号
//! asks for, the number, and the verification URL with its QR code drawn as vector squares.

use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};

use super::PdfError;
use crate::domain::Locale;
use crate::domain::certificate::{CertificateKind, hours_text};
use crate::i18n::Tr;
use crate::services::certificates::CertificateView;

const WIDTH: f32 = 595.28;
const HEIGHT: f32 = 841.89;
const MARGIN: f32 = 64.0;
const QR_SIZE: f32 = 112.0;

/// Everything printed on one certificate, already in its language.
#[derive(Debug, Clone)]
pub struct Sheet {
    /// The document's language tag (`zh-CN`, `en`).
    pub lang: String,
    /// The big title.
    pub title: String,
    /// "No. YT-2026-…".
    pub number_line: String,
    /// A red line across the top when the certificate was revoked.
    pub revoked_line: Option<String>,
    /// The statement, one paragraph.
    pub statement: String,
    /// Label and value pairs.
    pub fields: Vec<(String, String)>,
    /// Small print at the bottom (free of charge, no ID numbers kept, how to verify).
    pub notes: Vec<String>,
    /// The public verification URL, printed and encoded in the QR code.
    pub verify_url: String,
    /// The caption under the QR code.
    pub verify_caption: String,
}

/// A date as a certificate writes it: 2026年12月7日, 7 December 2026.
pub fn long_date(locale: Locale, date: chrono::NaiveDate) -> String {
    match locale {
        Locale::ZhCn => date.format("%Y年%-m月%-d日").to_string(),
        Locale::En => date.format("%-d %B %Y").to_string(),
    }
}

/// What `v` prints, in its own language, with `verify_url` as its check.
pub fn sheet(v: &CertificateView, verify_url: String) -> Sheet {
    let t = Tr(v.locale);
    let date = |d| long_date(v.locale, d);
    let (from, to) = (date(v.period_start), date(v.period_end));
    let or_dash = |s: &str| {
        if s.trim().is_empty() {
            "—".to_owned()
        } else {
            s.to_owned()
        }
    };
    let mut fields = Vec::new();
    let (title, statement, notes) = match v.kind {
        CertificateKind::VolunteerHours => {
            let hours = hours_text(v.tenths);
            fields.push((t.get("cert.pdf.f_name").to_owned(), v.holder_name.clone()));
            fields.push((t.get("cert.pdf.f_vnumber").to_owned(), or_dash(&v.holder_number)));
            fields.push((t.get("cert.pdf.f_id").to_owned(), t.get("cert.pdf.no_id").to_owned()));
            fields.push((
                t.get("cert.pdf.f_period").to_owned(),
                t.fill("cert.period", &[("from", &from), ("to", &to)]),
            ));
            fields.push((
                t.get("cert.pdf.f_hours").to_owned(),
                t.fill("cert.pdf.hours_value", &[("hours", &hours)]),
            ));
            fields.push((t.get("cert.pdf.f_content").to_owned(), or_dash(&v.activities)));
            let statement = t.fill(
                "cert.pdf.statement_volunteer",
                &[
                    ("name", &v.holder_name),
                    ("vnumber", &v.holder_number),
                    ("from", &from),
                    ("to", &to),
                    ("org", &v.issuer_name),
                    ("hours", &hours),
                ],
            );
            (
                t.get("cert.pdf.title_volunteer"),
                statement,
                vec![t.get("cert.pdf.note_free").to_owned()],
            )
        }
        CertificateKind::CaringMerchant => {
            let deliveries = v.deliveries.to_string();
            fields.push((t.get("cert.pdf.f_shop").to_owned(), v.holder_name.clone()));
            if !v.holder_number.is_empty() {
                fields.push((t.get("cert.pdf.f_code").to_owned(), v.holder_number.clone()));
            }
            fields.push((
                t.get("cert.pdf.f_period").to_owned(),
                t.fill("cert.period", &[("from", &from), ("to", &to)]),
            ));
            // A shop whose only part this year was its staff's service shows no "0 deliveries".
            if v.deliveries > 0 || v.tenths == 0 {
                fields.push((
                    t.get("cert.pdf.f_deliveries").to_owned(),
                    t.count(
                        "cert.pdf.deliveries_value",
                        u64::try_from(v.deliveries).unwrap_or(0),
                        &[("n", &deliveries)],
                    ),
                ));
            }
            let hours = hours_text(v.tenths);
            if v.tenths > 0 {
                fields.push((
                    t.get("cert.pdf.f_staff_hours").to_owned(),
                    t.fill("cert.pdf.hours_value", &[("hours", &hours)]),
                ));
            }
            // The shop's staff serving at events counts too, when they did.
            let key = match (v.deliveries > 0, v.tenths > 0) {
                (true, true) => "cert.pdf.statement_merchant_hours",
                (false, true) => "cert.pdf.statement_merchant_staff",
                _ => "cert.pdf.statement_merchant",
            };
            let statement = t.fill(
                key,
                &[
                    ("name", &v.holder_name),
                    ("from", &from),
                    ("to", &to),
                    ("deliveries", &deliveries),
                    ("hours", &hours),
                ],
            );
            (
                t.get("cert.pdf.title_merchant"),
                statement,
                vec![
                    t.get(if v.tenths > 0 {
                        "cert.pdf.note_merchant_hours"
                    } else {
                        "cert.pdf.note_merchant"
                    })
                    .to_owned(),
                ],
            )
        }
    };
    fields.push((t.get("cert.pdf.f_issuer").to_owned(), v.issuer_name.clone()));
    fields.push((t.get("cert.pdf.f_handler").to_owned(), or_dash(&v.handler_name)));
    fields.push((t.get("cert.pdf.f_contact").to_owned(), or_dash(&v.contact)));
    fields.push((t.get("cert.pdf.f_issued").to_owned(), date(v.issued_on)));
    let mut notes = notes;
    notes.push(t.get("cert.pdf.note_verify").to_owned());
    Sheet {
        lang: v.locale.as_str().to_owned(),
        title: title.to_owned(),
        number_line: t.fill("cert.pdf.number", &[("number", &v.number)]),
        revoked_line: v.revoked_on.map(|d| t.fill("cert.pdf.revoked", &[("date", &date(d))])),
        statement,
        fields,
        notes,
        verify_url,
        verify_caption: t.get("cert.pdf.verify_caption").to_owned(),
    }
}

/// Draws the sheet as a one-page PDF.
pub fn draw(font: &Font, sheet: &Sheet) -> Result<Vec<u8>, PdfError> {
    let mut document = Document::new();
    document.set_metadata(
        Metadata::new()
            .title(sheet.title.clone())
            .language(sheet.lang.clone())
            .creator("charity-relay".to_owned()),
    );
    let settings = PageSettings::from_wh(WIDTH, HEIGHT).ok_or_else(|| PdfError::Render("page size".into()))?;
    let mut page = document.start_page_with(settings);
    let mut surface = page.surface();
    let mut pen = Pen {
        surface: &mut surface,
        font,
    };

    pen.frame();
    let mut y = 118.0;
    pen.centred(&sheet.title, 28.0, y, ink());
    y += 34.0;
    pen.centred(&sheet.number_line, 11.0, y, grey());
    if let Some(revoked) = &sheet.revoked_line {
        y += 24.0;
        pen.centred(revoked, 14.0, y, red());
    }
    y += 48.0;
    for line in wrap(&sheet.statement, 13.0, WIDTH - 2.0 * MARGIN) {
        pen.text(&line, MARGIN, y, 13.0, ink());
        y += 22.0;
    }
    y += 18.0;
    let label_width = sheet
        .fields
        .iter()
        .map(|(label, _)| text_width(label, 11.0))
        .fold(0.0, f32::max)
        + 14.0;
    let value_x = MARGIN + label_width;
    for (label, value) in &sheet.fields {
        pen.text(label, MARGIN, y, 11.0, grey());
        for line in wrap(value, 11.0, WIDTH - MARGIN - value_x) {
            pen.text(&line, value_x, y, 11.0, ink());
            y += 18.0;
        }
        y += 4.0;
    }

    let qr_top = HEIGHT - MARGIN - QR_SIZE - 30.0;
    let qr_left = WIDTH - MARGIN - QR_SIZE;
    pen.qr(&sheet.verify_url, qr_left, qr_top)?;
    pen.text(&sheet.verify_caption, qr_left, qr_top + QR_SIZE + 14.0, 8.0, grey());
    let mut note_y = qr_top + 8.0;
    for note in &sheet.notes {
        for line in wrap(note, 8.5, qr_left - MARGIN - 16.0) {
            pen.text(&line, MARGIN, note_y, 8.5, grey());
            note_y += 13.0;
        }
        note_y += 3.0;
    }
    pen.text(&sheet.verify_url, MARGIN, note_y + 6.0, 8.5, ink());

    surface.finish();
    page.finish();
    document.finish().map_err(|e| PdfError::Render(format!("{e:?}")))
}

struct Pen<'a, 'b> {
    surface: &'a mut Surface<'b>,
    font: &'a Font,
}

impl Pen<'_, '_> {
    fn text(&mut self, text: &str, x: f32, baseline: f32, size: f32, colour: rgb::Color) {
        self.surface.set_fill(Some(Fill {
            paint: colour.into(),
            ..Fill::default()
        }));
        self.surface.set_stroke(None);
        self.surface.draw_text(
            Point::from_xy(x, baseline),
            self.font.clone(),
            size,
            text,
            false,
            TextDirection::Auto,
        );
    }

    fn centred(&mut self, text: &str, size: f32, baseline: f32, colour: rgb::Color) {
        let x = ((WIDTH - text_width(text, size)) / 2.0).max(MARGIN);
        self.text(text, x, baseline, size, colour);
    }

    fn frame(&mut self) {
        self.surface.set_fill(None);
        for (inset, width) in [(28.0, 2.0), (34.0, 0.6)] {
            let mut path = PathBuilder::new();
            if let Some(rect) = Rect::from_xywh(inset, inset, WIDTH - 2.0 * inset, HEIGHT - 2.0 * inset) {
                path.push_rect(rect);
            }
            if let Some(path) = path.finish() {
                self.surface.set_stroke(Some(Stroke {
                    paint: gold().into(),
                    width,
                    ..Stroke::default()
                }));
                self.surface.draw_path(&path);
            }
        }
        self.surface.set_stroke(None);
    }

    /// The QR code of `url` as one path of dark squares: sharp at any zoom, no image needed.
    fn qr(&mut self, url: &str, left: f32, top: f32) -> Result<(), PdfError> {
        let code = qrcode::QrCode::new(url.as_bytes()).map_err(|e| PdfError::Render(e.to_string()))?;
        let modules = code.width();
        let colours = code.to_colors();
        let cell = QR_SIZE / modules as f32;
        let mut path = PathBuilder::new();
        for (i, colour) in colours.iter().enumerate() {
            if *colour == qrcode::Color::Dark {
                let (row, col) = (i / modules, i % modules);
                // A hair wider than the cell, so that viewers draw no seams between squares.
                let rect = Rect::from_xywh(
                    left + col as f32 * cell,
                    top + row as f32 * cell,
                    cell + 0.05,
                    cell + 0.05,
                );
                if let Some(rect) = rect {
                    path.push_rect(rect);
                }
            }
        }
        if let Some(path) = path.finish() {
            self.surface.set_stroke(None);
            self.surface.set_fill(Some(Fill {
                paint: rgb::Color::black().into(),
                ..Fill::default()
            }));
            self.surface.draw_path(&path);
        }
        Ok(())
    }
}

fn ink() -> rgb::Color {
    rgb::Color::new(30, 30, 30)
}

fn grey() -> rgb::Color {
    rgb::Color::new(96, 96, 96)
}

fn red() -> rgb::Color {
    rgb::Color::new(190, 30, 30)
}

fn gold() -> rgb::Color {
    rgb::Color::new(176, 136, 48)
}

/// True for the characters the font draws a full em wide (CJK ideographs and punctuation).
fn is_wide(c: char) -> bool {
    matches!(c as u32, 0x2E80..=0x9FFF | 0xF900..=0xFAFF | 0xFF00..=0xFF60)
}

/// An estimate of the width of `text` at `size`: WenQuanYi's ideographs are one em, its Latin
/// letters and digits a little over half. Enough to centre a title and break lines.
fn text_width(text: &str, size: f32) -> f32 {
    text.chars().map(|c| if is_wide(c) { 1.0 } else { 0.56 }).sum::<f32>() * size
}

/// Breaks `text` into lines no wider than `width`: between ideographs anywhere, between
/// Latin words at spaces.
/// Punctuation a line must not start with (GB/T 15834 and common practice).
const NO_LINE_START: &str = "。，、；：？！）」』》】〉”’%…";

fn wrap(text: &str, size: f32, width: f32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut last_space: Option<usize> = None;
    for c in text.chars() {
        if c == '\n' {
            lines.push(std::mem::take(&mut line));
            last_space = None;
            continue;
        }
        line.push(c);
        if c == ' ' {
            last_space = Some(line.len() - 1);
        }
        if text_width(&line, size) > width {
            match last_space.filter(|_| !is_wide(c)) {
                Some(at) if at > 0 => {
                    let rest = line.split_off(at + 1);
                    lines.push(line.trim_end().to_owned());
                    line = rest;
                }
                _ => {
                    let mut carried: Vec<char> = line.pop().into_iter().collect();
                    // Chinese typesetting starts no line with closing punctuation: the character
                    // before it goes down with it.
                    if carried.first().is_some_and(|c| NO_LINE_START.contains(*c)) {
                        carried.extend(line.pop());
                        carried.reverse();
                    }
                    lines.push(std::mem::take(&mut line));
                    line.extend(carried);
                }
            }
            last_space = None;
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_font_is_embedded_as_a_subset_not_whole() {
        // Needs Debian's fonts-wqy-microhei (scripts/test.sh installs it).
        let font = super::super::font(std::path::Path::new(super::super::DEFAULT_FONT)).expect("the CJK font");
        let sheet = Sheet {
            lang: "zh-CN".into(),
            title: "志愿服务证明".into(),
            number_line: "证书编号：YT-2026-0ABCDEFG".into(),
            revoked_line: Some("本证明已于 2026年12月7日 撤销，不再有效".into()),
            statement: "兹证明 陈小明（志愿者编号 V000001）于 2026年1月1日 至 2026年12月7日 期间在沙头角街道社工站参加志愿服务，经本机构记录并确认的服务时长共计 12.5 小时。".into(),
            fields: vec![("服务时长".into(), "12.5 小时".into()), ("服务内容".into(), "陪伴长者就医、社区义诊活动".into())],
            notes: vec!["本证明由记录服务的组织免费出具。".into()],
            verify_url: "http://127.0.0.1:8080/verify/YT-2026-0ABCDEFG".into(),
            verify_caption: "扫码核验".into(),
        };
        let pdf = draw(&font, &sheet).expect("pdf");
        assert!(pdf.starts_with(b"%PDF-"));
        // The whole face is about 5 MB; the glyphs used are a few kilobytes.
        assert!(pdf.len() < 150_000, "{} bytes", pdf.len());
        if let Ok(dir) = std::env::var("CERT_SAMPLE_DIR") {
            std::fs::write(std::path::Path::new(&dir).join("certificate-sample.pdf"), &pdf).expect("sample");
        }
    }

    #[test]
    fn lines_break_between_words_and_between_ideographs_within_the_width() {
        let lines = wrap("one two three four five six", 10.0, 60.0);
        assert_eq!(lines, ["one two", "three four", "five six"]);
        let zh = wrap("兹证明志愿者于本机构参加志愿服务", 10.0, 50.0);
        assert!(zh.iter().all(|l| text_width(l, 10.0) <= 50.0), "{zh:?}");
        assert_eq!(zh.concat(), "兹证明志愿者于本机构参加志愿服务");
        assert_eq!(wrap("a\nb", 10.0, 100.0), ["a", "b"]);
        // A full stop that would start a line takes the character before it along.
        let width = text_width("一二三四", 10.0);
        assert_eq!(wrap("一二三四。", 10.0, width), ["一二三", "四。"]);
    }
}
