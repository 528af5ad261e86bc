//! A small time-limited cache of rendered public pages; each instance keeps its own, which
//! is fine for figures that may be a minute old.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Rendered pages by key, each valid for [`PageCache::TTL`].
#[derive(Default)]
pub struct PageCache {
    pages: Mutex<HashMap<String, (Instant, String)>>,
}

impl PageCache {
    /// How long a rendered page is reused.
    pub const TTL: Duration = Duration::from_secs(60);

    /// The page under `key`, if fresh.
    pub fn get(&self, key: &str) -> Option<String> {
        let pages = self.pages.lock().ok()?;
        pages
            .get(key)
            .filter(|(at, _)| at.elapsed() < Self::TTL)
            .map(|(_, html)| html.clone())
    }

    /// Stores a page under `key`.
    pub fn put(&self, key: &str, html: String) {
        if let Ok(mut pages) = self.pages.lock() {
            pages.insert(key.to_owned(), (Instant::now(), html));
        }
    }
}
