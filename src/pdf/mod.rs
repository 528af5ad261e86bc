//! PDF output (certificates) with krilla: real, extractable text in one CJK font that is
//! subset and embedded, and vector shapes. An adapter like `web/charts.rs`: it draws what a
//! service returned and knows no database.
//!
//! Drawing is CPU work of tens of milliseconds, so it runs on the blocking pool and at most
//! [`MAX_RENDERS`] at once; callers wait for a slot rather than pile up.

pub mod certificate;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use krilla::text::Font;
use tokio::sync::Semaphore;

/// The Debian package `fonts-wqy-microhei` (WenQuanYi Micro Hei: Apache-2.0 or GPLv3 with the
/// font-embedding exception), used when `RELAY_CERT_FONT` is unset.
pub const DEFAULT_FONT: &str = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc";

/// PDFs drawn at the same time in one process.
pub const MAX_RENDERS: usize = 2;

/// Why no PDF could be made.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// The font file is missing or is not a font.
    #[error("the certificate font {path} cannot be used: {reason}")]
    Font {
        /// `RELAY_CERT_FONT`.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// krilla refused the document.
    #[error("the PDF could not be written: {0}")]
    Render(String),
}

/// The font, read once per path and shared (the file is about 5 MB).
fn font(path: &Path) -> Result<Font, PdfError> {
    static CACHE: OnceLock<Mutex<Option<(PathBuf, Font)>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(None));
    let mut slot = cache.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some((cached, font)) = slot.as_ref()
        && cached == path
    {
        return Ok(font.clone());
    }
    let bytes = std::fs::read(path).map_err(|e| PdfError::Font {
        path: path.to_owned(),
        reason: e.to_string(),
    })?;
    let font = Font::new(Arc::new(bytes).into(), 0).ok_or_else(|| PdfError::Font {
        path: path.to_owned(),
        reason: "not a TrueType or OpenType font (collection)".to_owned(),
    })?;
    *slot = Some((path.to_owned(), font.clone()));
    Ok(font)
}

/// Checks at start-up that the font can be read, so that a missing package is a warning in
/// the log rather than a surprise at the first certificate.
pub fn check_font(path: &Path) -> Result<(), PdfError> {
    font(path).map(|_| ())
}

/// Draws `sheet` with the font at `font_path`, off the async threads and a few at a time.
pub async fn render_certificate(font_path: &Path, sheet: certificate::Sheet) -> Result<Vec<u8>, PdfError> {
    static SLOTS: OnceLock<Semaphore> = OnceLock::new();
    let slots = SLOTS.get_or_init(|| Semaphore::new(MAX_RENDERS));
    let _slot = slots.acquire().await.map_err(|e| PdfError::Render(e.to_string()))?;
    let path = font_path.to_owned();
    tokio::task::spawn_blocking(move || {
        let font = font(&path)?;
        certificate::draw(&font, &sheet)
    })
    .await
    .map_err(|e| PdfError::Render(e.to_string()))?
}
