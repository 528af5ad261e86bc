//! The screenshot tour: every page of each role (public visitor, social worker, office
//! admin) in both languages at 360 and 1280 px, in a real browser, over the demo data plus
//! what the demo leaves empty (emails to residents, tokens, a possible duplicate).
//!
//! Each page is saved as `docs/screenshots/tour/<role>-<page>-<lang>-<width>.png` and
//! checked for a 4xx/5xx answer (the document or anything it loads), horizontal overflow
//! (naming the element that sticks out) and raw codes in the visible text. Every problem of
//! the run is collected and the test fails once at the end with all of them, so that one
//! run lists everything to fix.
//!
//! The list of pages starts from the routes of `src/web/pages/mod.rs`; links found on the
//! pages that lead to a kind of page not in the list are followed too, so a page added
//! later is toured (and screenshotted) without touching this file.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use charity_relay::demo;
use charity_relay::domain::{
    BeneficiaryGroup, Category, ClaimStatus, DuplicateMatch, DuplicateStatus, NeedStatus, OrgKind, PartyStatus,
    Recurrence, Role, Urgency,
};
use charity_relay::services::access::Caller;
use charity_relay::services::api_tokens::{self, TokenOwner};
use charity_relay::services::beneficiaries::{self, BeneficiaryInput};
use charity_relay::services::needs;
use charity_relay::services::organization_services;
use charity_relay::services::referrals::{self, DEFAULT_ANSWER_DAYS, ReferralInput};
use chrono::Utc;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::{Value, json};

use crate::support::smtp::Received;
use crate::support::{SmtpSink, TestApp};

/// The two page widths: a small phone and a laptop.
const WIDTHS: [u32; 2] = [360, 1280];
/// The two languages: the name in the file and what the browser asks for.
const LANGS: [(&str, &str); 2] = [("zh", "zh-CN"), ("en", "en")];
/// The height of the window before a page is stretched to its full length for the shot.
const WINDOW_HEIGHT: u32 = 800;
/// Pages longer than this are cut in the screenshot (the checks still see all of them).
const MAX_SHOT_HEIGHT: i64 = 4000;
/// Kinds of page the crawl may add per role, against a runaway of generated links.
const MAX_DISCOVERED: usize = 30;

/// What the tour does on a page.
#[derive(Clone, Debug)]
enum Step {
    /// Opens the path.
    Visit,
    /// Opens the path, then sends its form (the one holding a field of this name) empty,
    /// past the browser's own checks, to show the server's error state.
    SubmitEmpty(&'static str),
}

#[derive(Clone, Debug)]
struct Page {
    name: String,
    path: String,
    step: Step,
    /// The status the document must answer with (422 for a form sent back with errors).
    expect: u16,
}

impl Page {
    fn visit(name: &str, path: impl Into<String>) -> Self {
        Page {
            name: name.to_owned(),
            path: path.into(),
            step: Step::Visit,
            expect: 200,
        }
    }

    fn form_error(name: &str, path: &str, field: &'static str) -> Self {
        Page {
            name: name.to_owned(),
            path: path.to_owned(),
            step: Step::SubmitEmpty(field),
            expect: 422,
        }
    }
}

/// One role of the tour: who signs in (nobody for the public) and the pages.
struct Tour {
    role: &'static str,
    login: Option<String>,
    pages: Vec<Page>,
    /// Patterns (ids replaced by `{id}`) of the pages listed or found so far.
    known: BTreeSet<String>,
}

impl Tour {
    fn new(role: &'static str, login: Option<String>, pages: Vec<Page>) -> Self {
        let known = pages.iter().map(|p| pattern(&p.path)).collect();
        Tour {
            role,
            login,
            pages,
            known,
        }
    }

    /// Adds the page of `href` when it is a kind of page the tour has not seen. The public
    /// tour follows nothing: its links lead to sign-in.
    fn discover(&mut self, href: &str) {
        if self.login.is_none() {
            return;
        }
        let Some(path) = same_site_path(href) else { return };
        let kind = pattern(&path);
        if skipped(&path) || self.known.contains(&kind) || self.known.len() >= self.pages.len() + MAX_DISCOVERED {
            return;
        }
        self.known.insert(kind.clone());
        let name = kind
            .trim_matches('/')
            .replace("{id}", "one")
            .replace("{token}", "link")
            .replace('/', "-");
        let name = if name.is_empty() { "home".to_owned() } else { name };
        self.pages.push(Page::visit(&format!("found-{name}"), path));
    }
}

/// The path of a link to this site, without query or fragment.
fn same_site_path(href: &str) -> Option<String> {
    let path = if let Some(rest) = href.strip_prefix("http://127.0.0.1") {
        // An absolute link to the app itself: drop the port.
        rest.split_once('/').map(|(_, p)| format!("/{p}"))?
    } else if href.starts_with('/') && !href.starts_with("//") {
        href.to_owned()
    } else {
        return None;
    };
    let path = path.split(['?', '#']).next().unwrap_or_default().to_owned();
    Some(path)
}

/// Paths that are not pages: downloads, pictures, machine endpoints.
fn skipped(path: &str) -> bool {
    [
        "/static/",
        "/api/",
        "/logout",
        "/metrics",
        "/healthz",
        "/readyz",
        "/settings/language",
    ]
    .iter()
    .any(|p| path.starts_with(p))
        || [".csv", ".svg", ".png", ".pdf", ".json", ".txt", ".ico"]
            .iter()
            .any(|e| path.ends_with(e))
}

/// `path` with its ids and tokens replaced, so that `/needs/3` and `/needs/7` are one kind.
fn pattern(path: &str) -> String {
    path.split('/')
        .map(|s| {
            if !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()) {
                "{id}"
            } else if s.len() >= 24 && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
                "{token}"
            } else {
                s
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The codes a person must never read: every text enum's stored value, the statuses kept
/// as plain text (outbox, audit, hours, offers, consent), the channels, and the email
/// template names.
fn raw_codes() -> (BTreeSet<String>, BTreeSet<String>) {
    let mut words = BTreeSet::new();
    macro_rules! all {
        ($($e:ty),+) => { $( for v in <$e>::ALL { words.insert(v.as_str().to_owned()); } )+ };
    }
    all!(
        PartyStatus,
        Role,
        OrgKind,
        ClaimStatus,
        Category,
        BeneficiaryGroup,
        DuplicateMatch,
        DuplicateStatus,
        NeedStatus,
        Urgency,
        Recurrence,
        charity_relay::domain::alerts::AlertMode,
        charity_relay::domain::alerts::FlagReason
    );
    // Statuses and kinds stored as plain strings rather than enums.
    for w in [
        "pending",
        "held",
        "sent",
        "sending",
        "failed",
        "dead",
        "ok",
        "denied",
        "logged",
        "paused",
        "revoked",
        "email",
        "telegram",
        "consent",
        "unsubscribed",
        "bounced",
    ] {
        words.insert(w.to_owned());
    }
    let templates = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("templates")
        .join("email");
    let mut names = BTreeSet::new();
    for entry in std::fs::read_dir(templates).expect("templates/email") {
        let path = entry.expect("entry").path();
        if let Some(stem) = path.file_stem().and_then(|s| s.to_str())
            && stem.contains('-')
        {
            names.insert(stem.to_owned());
        }
    }
    (words, names)
}

/// The raw codes in one visible text, as `"code" in "context"`.
fn codes_in(
    text: &str,
    whole_node: bool,
    lang: &str,
    words: &BTreeSet<String>,
    names: &BTreeSet<String>,
) -> Vec<String> {
    let dotted = regex::Regex::new(r"^[a-z]+(?:[._][a-z0-9]+)+$").expect("regex");
    let mut found = Vec::new();
    let trimmed = text.trim();
    for token in text.split(|c: char| !(c.is_ascii_alphanumeric() || "._@/:-%?=&#~+".contains(c))) {
        let token = token.trim_end_matches(['.', ':', '-', '?']);
        if token.is_empty()
            || token.contains('@')
            || token.contains("://")
            || token.starts_with('/')
            || token.starts_with("www.")
            || ["e.g", "i.e"].contains(&token)
        {
            continue;
        }
        let file = [".csv", ".svg", ".png", ".pdf", ".json", ".txt"]
            .iter()
            .any(|e| token.ends_with(e));
        let raw = (dotted.is_match(token) && !file)
            || names.contains(token)
            // In Chinese an English code word standing on its own is raw; in English a word
            // like "open" is prose unless it is the whole text of an element.
            || (words.contains(token)
                && if lang == "zh" {
                    ascii_phrases(text).contains(&token)
                } else {
                    whole_node && trimmed == token
                });
        if raw {
            let context: String = trimmed.chars().take(60).collect();
            found.push(format!("raw code `{token}` in \"{context}\""));
        }
    }
    if lang == "zh" {
        // Untranslated English: three or more lowercase words in a row ("consent already
        // given"), longer than any English name in the demo data.
        for phrase in ascii_phrases(text) {
            let words: Vec<&str> = phrase.split(' ').filter(|w| !w.is_empty()).collect();
            if words.len() >= 3
                && words
                    .iter()
                    .all(|w| w.chars().all(|c| c.is_ascii_lowercase() || c == '\''))
            {
                found.push(format!("English text in the Chinese page: \"{phrase}\""));
            }
        }
    }
    found
}

/// The runs of English words in a text: in a Chinese page an English word that is a whole
/// run ("状态 pending · 2") is a raw code, one inside English data ("children's clothing",
/// a shop's trade) is not.
fn ascii_phrases(text: &str) -> Vec<&str> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || " '_.-".contains(c)))
        .map(|p| p.trim_matches(|c: char| c == ' ' || c == '.' || c == '-'))
        .filter(|p| !p.is_empty())
        .collect()
}

/// Visible text nodes and option labels of the page, one string each.
const VISIBLE_TEXT: &str = r#"
const out = [];
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
while (walker.nextNode()) {
  const node = walker.currentNode;
  const text = node.textContent.trim();
  const el = node.parentElement;
  if (!text || !el || el.closest('script,style,template')) continue;
  if (el.closest('option')) { out.push(text); continue; }
  const style = getComputedStyle(el);
  if (style.visibility === 'hidden' || el.getClientRects().length === 0) continue;
  out.push(text);
}
return out;
"#;

/// Horizontal overflow: the widths and the outermost elements that stick out.
const OVERFLOW: &str = r#"
const width = window.innerWidth;
const scroll = document.documentElement.scrollWidth;
if (scroll <= width) return null;
const describe = el => {
  let d = el.tagName.toLowerCase();
  if (el.id) d += '#' + el.id;
  if (typeof el.className === 'string' && el.className.trim()) d += '.' + el.className.trim().split(/\s+/).join('.');
  const text = (el.innerText || el.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 40);
  return d + ' (right edge ' + Math.round(el.getBoundingClientRect().right) + ' px' + (text ? ', "' + text + '"' : '') + ')';
};
const clipped = el => {
  for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
    if (getComputedStyle(a).overflowX !== 'visible') return true;
  }
  return false;
};
const culprits = [];
for (const el of document.body.querySelectorAll('*')) {
  const r = el.getBoundingClientRect();
  if (r.width === 0 || r.right <= width + 1 || clipped(el)) continue;
  const parent = el.parentElement;
  if (parent && parent !== document.body && parent.getBoundingClientRect().right > width + 1) continue;
  culprits.push(describe(el));
  if (culprits.length >= 5) break;
}
return { width, scroll, culprits };
"#;

/// The status of the document and of everything it loaded that failed.
const STATUSES: &str = r#"
const nav = performance.getEntriesByType('navigation')[0];
const bad = performance.getEntriesByType('resource')
  .filter(r => r.responseStatus >= 400)
  .map(r => r.name.replace(location.origin, '') + ' ' + r.responseStatus);
return { status: nav ? nav.responseStatus : 0, bad };
"#;

/// A browser session at one width and language, with chromedriver's DevTools bridge.
struct Session {
    client: Client,
    driver: String,
    session_id: String,
    width: u32,
    http: reqwest::Client,
}

impl Session {
    async fn start(driver: &str, width: u32, lang: &str) -> Self {
        let mut options = json!({
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                     "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--hide-scrollbars", format!("--window-size={width},{WINDOW_HEIGHT}"), format!("--lang={lang}"),
                     format!("--accept-lang={lang}")],
            "prefs": { "intl.accept_languages": lang },
        });
        if let Ok(binary) = std::env::var("CHROMIUM") {
            options["binary"] = binary.into();
        }
        let mut caps = serde_json::Map::new();
        caps.insert("goog:chromeOptions".into(), options);
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(driver)
            .await
            .expect("a browser session");
        let session_id = client.session_id().await.expect("session id").expect("a session");
        let session = Session {
            client,
            driver: driver.to_owned(),
            session_id,
            width,
            http: reqwest::Client::new(),
        };
        session.resize(WINDOW_HEIGHT as i64).await;
        session
    }

    /// A DevTools command through chromedriver (what WebDriver itself cannot do).
    async fn cdp(&self, cmd: &str, params: Value) -> Value {
        let url = format!("{}/session/{}/goog/cdp/execute", self.driver, self.session_id);
        self.http
            .post(url)
            .json(&json!({ "cmd": cmd, "params": params }))
            .send()
            .await
            .expect("DevTools command")
            .json()
            .await
            .expect("DevTools answer")
    }

    /// Sets the viewport to the tour's width and `height`; a phone at 360 px.
    async fn resize(&self, height: i64) {
        self.cdp(
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": self.width, "height": height, "deviceScaleFactor": 1, "mobile": self.width < 600 }),
        )
        .await;
    }

    async fn run(&self, script: &str) -> Value {
        self.client.execute(script, vec![]).await.expect("script")
    }

    /// Waits until the page that replaced the marked one has loaded.
    async fn mark(&self) {
        self.run("window.__tourMark = true; return null").await;
    }

    async fn wait_for_new_page(&self) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            let done = self
                .client
                .execute(
                    "return window.__tourMark === undefined && document.readyState === 'complete'",
                    vec![],
                )
                .await
                .unwrap_or(Value::Bool(false));
            if done == Value::Bool(true) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn click(&self, css: &str) -> bool {
        let Ok(button) = self.client.find(Locator::Css(css)).await else {
            return false;
        };
        self.mark().await;
        if button.click().await.is_err() {
            return false;
        }
        self.wait_for_new_page().await;
        true
    }

    async fn sign_in(&self, app: &TestApp, email: &str, lang: &str) -> Result<(), String> {
        self.client.delete_all_cookies().await.expect("cookies");
        self.client.goto(&app.url("/login")).await.expect("login page");
        for (name, value) in [("email", email), ("password", demo::DEMO_PASSWORD)] {
            let field = self
                .client
                .find(Locator::Css(&format!("[name='{name}']")))
                .await
                .map_err(|e| format!("login form has no {name}: {e}"))?;
            field.send_keys(value).await.expect("type");
        }
        self.click("form[action='/login'] button").await;
        let path = self.client.current_url().await.expect("url").path().to_owned();
        if path == "/login" {
            return Err(format!("{email} could not sign in"));
        }
        // The app's own language switch: the choice is kept on the account.
        if !self.click(&format!("button[name='lang'][value='{lang}']")).await {
            return Err(format!("no language switch for {lang} after signing in"));
        }
        Ok(())
    }

    /// Full-page screenshot: the viewport stretched to the page's length (capped).
    async fn shot(&self, file: &PathBuf) {
        let height = self
            .run("return Math.max(document.documentElement.scrollHeight, document.body.scrollHeight)")
            .await
            .as_i64()
            .unwrap_or(WINDOW_HEIGHT as i64)
            .clamp(WINDOW_HEIGHT as i64, MAX_SHOT_HEIGHT);
        self.resize(height).await;
        let png = self.client.screenshot().await.expect("screenshot");
        std::fs::write(file, png).expect("write screenshot");
        self.resize(WINDOW_HEIGHT as i64).await;
    }
}

/// Opens one page, takes its picture, and returns what is wrong with it.
async fn tour_page(
    s: &Session,
    app: &TestApp,
    page: &Page,
    lang: &str,
    codes: &(BTreeSet<String>, BTreeSet<String>),
    file: &PathBuf,
) -> (Vec<String>, Vec<String>) {
    let mut problems = Vec::new();
    if let Err(e) = s.client.goto(&app.url(&page.path)).await {
        return (vec![format!("could not open {}: {e}", page.path)], Vec::new());
    }
    if let Step::SubmitEmpty(field) = page.step {
        let found = s
            .client
            .execute(
                "const f = document.querySelector(`[name='${arguments[0]}']`); const form = f && f.form;
                 if (!form) return false;
                 form.noValidate = true;
                 for (const el of form.elements) {
                   if (el.type === 'hidden' || el.tagName === 'BUTTON') continue;
                   if (el.type === 'checkbox' || el.type === 'radio') el.checked = false;
                   else if (el.tagName === 'SELECT') el.selectedIndex = -1;
                   else el.value = '';
                 }
                 window.__tourMark = true; form.requestSubmit(); return true;",
                vec![json!(field)],
            )
            .await
            .expect("script");
        if found != Value::Bool(true) {
            problems.push(format!("no form with a `{field}` field to send"));
        }
        s.wait_for_new_page().await;
    }
    let statuses = s.run(STATUSES).await;
    let status = statuses["status"].as_u64().unwrap_or(0);
    if status != u64::from(page.expect) {
        problems.push(format!("answered {status} (expected {})", page.expect));
    }
    for bad in statuses["bad"].as_array().into_iter().flatten() {
        problems.push(format!("a resource failed: {}", bad.as_str().unwrap_or_default()));
    }
    let url = s.client.current_url().await.expect("url");
    // A redirect shows as another path; the query a page was asked with is not compared.
    let asked = page.path.split('?').next().unwrap_or_default();
    if page.step.is_visit() && url.path() != asked {
        problems.push(format!("ended on {} instead", url.path()));
    }
    let inner = s.run("return window.innerWidth").await;
    if inner.as_u64() != Some(u64::from(s.width)) {
        problems.push(format!("the window is {inner} px wide, not {}", s.width));
    }
    let overflow = s.run(OVERFLOW).await;
    if !overflow.is_null() {
        let culprits: Vec<&str> = overflow["culprits"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        problems.push(format!(
            "overflows horizontally: {} px wide in a {} px window; sticking out: {}",
            overflow["scroll"],
            overflow["width"],
            if culprits.is_empty() {
                "?".to_owned()
            } else {
                culprits.join("; ")
            }
        ));
    }
    // A table marked `fit` is a summary read at a glance: it must not hide columns behind a
    // scroll (which the overflow check above cannot see).
    let hidden = s
        .run("return Array.from(document.querySelectorAll('table.fit')).filter(t => t.parentElement.scrollWidth > t.parentElement.clientWidth + 1).length")
        .await;
    if hidden.as_u64().unwrap_or(0) > 0 {
        problems.push("a summary table (table.fit) needs scrolling to be read".to_owned());
    }
    let texts = s.run(VISIBLE_TEXT).await;
    let mut seen = BTreeSet::new();
    for text in texts.as_array().into_iter().flatten().filter_map(Value::as_str) {
        for found in codes_in(text, true, lang, &codes.0, &codes.1) {
            if seen.insert(found.clone()) {
                problems.push(found);
            }
        }
    }
    s.shot(file).await;
    let links = s
        .run("return Array.from(document.querySelectorAll('a[href]:not([download])')).map(a => a.getAttribute('href'))")
        .await;
    let links = links
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect();
    (problems, links)
}

impl Step {
    fn is_visit(&self) -> bool {
        matches!(self, Step::Visit)
    }
}

async fn strings(db: &DatabaseConnection, sql: &str) -> Vec<Vec<String>> {
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), sql.to_owned()))
        .await
        .expect("query");
    rows.iter()
        .map(|row| {
            (0..)
                .map_while(|i| {
                    row.try_get_by_index::<String>(i)
                        .ok()
                        .or_else(|| row.try_get_by_index::<i64>(i).ok().map(|n| n.to_string()))
                        .or_else(|| row.try_get_by_index::<i32>(i).ok().map(|n| n.to_string()))
                })
                .collect()
        })
        .collect()
}

async fn first(db: &DatabaseConnection, sql: &str) -> Option<String> {
    strings(db, sql)
        .await
        .into_iter()
        .next()
        .and_then(|r| r.into_iter().next())
}

/// The path of the first link starting with `prefix` in the text of a message.
fn link_in(m: &Received, prefix: &str) -> Option<String> {
    let parsed = m.parsed();
    let text = format!(
        "{} {}",
        parsed.body_text(0).unwrap_or_default(),
        parsed
            .header_raw("List-Unsubscribe")
            .unwrap_or_default()
            .replace(['<', '>', ','], " ")
    );
    let start = text.find(prefix)?;
    let link: String = text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || "/-_".contains(*c))
        .collect();
    Some(link)
}

/// A need page for each need status and each claim state worth seeing, among the needs
/// matching `scope` (an SQL condition on `n`).
async fn need_pages(db: &DatabaseConnection, scope: &str) -> Vec<Page> {
    let mut picked = BTreeSet::new();
    let mut pages = Vec::new();
    let wanted = NeedStatus::ALL
        .iter()
        .map(|s| (format!("need-{}", s.as_str()), format!("n.status = '{}'", s.as_str())))
        .chain(
            [ClaimStatus::Delivered, ClaimStatus::Disputed, ClaimStatus::Lapsed]
                .iter()
                .map(|s| {
                    (
                        format!("need-claim-{}", s.as_str()),
                        format!(
                            "EXISTS (SELECT 1 FROM claims c WHERE c.need_id = n.id AND c.status = '{}')",
                            s.as_str()
                        ),
                    )
                }),
        );
    for (name, condition) in wanted {
        let sql = format!("SELECT n.id FROM needs n WHERE {scope} AND {condition} ORDER BY n.id");
        // A need shown once, under the first state it stands for.
        if let Some(id) = strings(db, &sql)
            .await
            .into_iter()
            .filter_map(|r| r.into_iter().next())
            .find(|id| !picked.contains(id))
        {
            picked.insert(id.clone());
            pages.push(Page::visit(&name, format!("/needs/{id}")));
        }
    }
    pages
}

/// What the seeded relay offers the tour.
struct Seeded {
    worker_email: String,
    office_email: String,
    worker_pages: Vec<Page>,
    admin_pages: Vec<Page>,
    /// (lang, consent path, unsubscribe path) per language.
    resident_links: BTreeMap<String, (Option<String>, Option<String>)>,
}

/// The demo data, then what it leaves empty: residents with email (consent and unsubscribe
/// links, outbox rows), a possible duplicate, tokens issued and revoked.
async fn seed(app: &TestApp, sink: &SmtpSink) -> Seeded {
    let db = &app.db;
    let now = Utc::now();
    let summary = demo::load(db, &app.config.secret_key, now).await.expect("demo data");
    let office_email = summary
        .logins
        .iter()
        .find(|(_, role)| role.starts_with(Role::Admin.as_str()))
        .map(|(email, _)| email.clone())
        .expect("a demo office login");

    // The worker whose organization has needs in the most states, then the most needs.
    let org_id: i64 = first(
        db,
        "SELECT organization_id FROM needs GROUP BY organization_id ORDER BY COUNT(DISTINCT status) DESC, COUNT(*) DESC, organization_id LIMIT 1",
    )
    .await
    .and_then(|s| s.parse().ok())
    .expect("the demo has needs");
    let worker = strings(
        db,
        &format!("SELECT id, email FROM staff WHERE organization_id = {org_id} AND role = 'social_worker' ORDER BY id"),
    )
    .await;
    let worker_id: i64 = worker[0][0].parse().expect("id");
    let worker_email = worker[0][1].clone();
    let caller = Caller::SocialWorker {
        staff_id: worker_id,
        organization_id: org_id,
    };
    let other = strings(
        db,
        &format!(
            "SELECT id, organization_id FROM staff WHERE role = 'social_worker' AND organization_id <> {org_id} ORDER BY id"
        ),
    )
    .await;
    let other_caller = Caller::SocialWorker {
        staff_id: other[0][0].parse().expect("id"),
        organization_id: other[0][1].parse().expect("id"),
    };
    let community_id = first(db, "SELECT id FROM communities ORDER BY id LIMIT 1")
        .await
        .expect("a community");

    // Residents with email in each language: one left to confirm (the consent page), one
    // confirmed whose news carries an unsubscribe link.
    let mut beneficiary_of = BTreeMap::new();
    for (short, locale) in LANGS {
        for (kind, phone) in [("consent", "1370000010"), ("unsub", "1370000020")] {
            let email = format!("{kind}-{short}@example.org");
            let form = BeneficiaryInput {
                community_id: community_id.clone(),
                group: BeneficiaryGroup::ElderlyAlone.as_str().into(),
                full_name: "林婆婆".into(),
                phone: format!("{phone}{}", beneficiary_of.len()),
                address: "东和社区某栋".into(),
                notify_email: email.clone(),
                notify_consent: true,
                locale: locale.into(),
                ..Default::default()
            };
            let registered = beneficiaries::register(db, &app.config.secret_key, &caller, &form, now)
                .await
                .expect("resident");
            beneficiary_of.insert(email, registered.id);
        }
    }
    for (short, _) in LANGS {
        db.execute_raw(Statement::from_string(
            db.get_database_backend(),
            format!(
                "UPDATE contacts SET consent_status = 'confirmed', consent_at = created_at, consent_wording_version = 'tour' WHERE email = 'unsub-{short}@example.org'"
            ),
        ))
        .await
        .expect("confirm a contact");
    }
    let wanted = [
        (Category::Food, "米和食用油", "本月需要大米和食用油。", "3", "袋"),
        (
            Category::DailyGoods,
            "冬季棉被",
            "老人家中被褥单薄，需要一床冬被。",
            "1",
            "床",
        ),
        (
            Category::Medicine,
            "助听器电池",
            "助听器电池用完了，需要一盒。",
            "2",
            "盒",
        ),
        (
            Category::Clothing,
            "冬季外套",
            "需要一件保暖外套，身高一米六。",
            "1",
            "件",
        ),
    ];
    for ((email, id), (category, title, description, quantity, unit)) in beneficiary_of.iter().zip(wanted) {
        let input = charity_relay::domain::need_input::NeedInput {
            beneficiary_id: id.to_string(),
            category: category.as_str().into(),
            title: title.into(),
            description: description.into(),
            quantity: quantity.into(),
            unit: unit.into(),
            deadline: (now + chrono::Duration::days(20)).date_naive().to_string(),
            ..Default::default()
        };
        let draft = input.parse(now.date_naive()).expect("valid need");
        needs::post_need(db, &app.config.secret_key, &caller, draft, now)
            .await
            .unwrap_or_else(|e| panic!("need for {email}: {e}"));
    }

    // The same phone registered by another organization: a possible duplicate for the office.
    let twin = BeneficiaryInput {
        community_id: community_id.clone(),
        group: BeneficiaryGroup::LowIncomeFamily.as_str().into(),
        full_name: "陈桂兰".into(),
        phone: "13544446666".into(),
        ..Default::default()
    };
    for who in [&caller, &other_caller] {
        beneficiaries::register(db, &app.config.secret_key, who, &twin, now)
            .await
            .expect("twin");
    }

    // Tokens: one of an organization, one of a merchant, revoked.
    let org_name = first(db, &format!("SELECT name FROM organizations WHERE id = {org_id}"))
        .await
        .expect("org name");
    api_tokens::issue(
        db,
        &Caller::System,
        TokenOwner::Organization(org_name),
        "case system",
        now,
    )
    .await
    .expect("token");
    let merchant_id: i64 = first(db, "SELECT id FROM merchants ORDER BY id LIMIT 1")
        .await
        .and_then(|s| s.parse().ok())
        .expect("merchant");
    api_tokens::issue(db, &Caller::System, TokenOwner::Merchant(merchant_id), "shop till", now)
        .await
        .expect("token");
    let token_id: i64 = first(db, "SELECT id FROM api_tokens ORDER BY id DESC LIMIT 1")
        .await
        .and_then(|s| s.parse().ok())
        .expect("token id");
    api_tokens::revoke(db, &Caller::System, token_id, "演示：店铺换了收银系统", now)
        .await
        .expect("revoke");

    // A case another organization refers to the worker's, waiting for an answer: the
    // receiver's view of a referral (the demo's waiting one may go elsewhere).
    let offered = organization_services::areas_by_organization(db)
        .await
        .expect("areas")
        .get(&org_id)
        .and_then(|a| a.first().copied())
        .expect("the worker's organization offers a service");
    let referred = beneficiaries::register(
        db,
        &app.config.secret_key,
        &other_caller,
        &BeneficiaryInput {
            community_id: community_id.clone(),
            group: BeneficiaryGroup::ElderlyAlone.as_str().into(),
            full_name: "黄伯伯".into(),
            phone: "13544447777".into(),
            ..Default::default()
        },
        now,
    )
    .await
    .expect("a case to refer");
    let waiting_referral = referrals::refer(
        db,
        &app.config.secret_key,
        &other_caller,
        referred.id,
        &ReferralInput {
            service_area: offered.as_str().into(),
            to_organization: org_id.to_string(),
            reason: "长者独居，需要定期上门探访和生活照料，本机构人手不足。".into(),
            consent: true,
            need_ids: Vec::new(),
        },
        DEFAULT_ANSWER_DAYS,
        now,
    )
    .await
    .expect("a waiting referral");

    // The emails: a confirmation to each resident, news to the confirmed ones.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut resident_links = BTreeMap::new();
    loop {
        let received = sink.received();
        for (short, _) in LANGS {
            let to = |who: &str| {
                let address = format!("{who}-{short}@example.org");
                received
                    .iter()
                    .filter(move |m| m.to.iter().any(|t| t.contains(&address)))
                    .collect::<Vec<_>>()
            };
            let consent = to("consent").into_iter().find_map(|m| link_in(m, "/consent/"));
            let unsubscribe = to("unsub").into_iter().find_map(|m| link_in(m, "/unsubscribe/"));
            resident_links.insert(short.to_owned(), (consent, unsubscribe));
        }
        let complete = resident_links.values().all(|(c, u)| c.is_some() && u.is_some());
        if complete || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // The worker's needs: one of each status, and ones with a claim in each notable state.
    let mut worker_pages = vec![
        Page::visit("dashboard", "/"),
        Page::visit("needs", "/needs"),
        Page::visit("need-form", "/needs/new"),
        Page::form_error("need-form-error", "/needs/new", "title"),
    ];
    worker_pages.extend(need_pages(db, &format!("n.organization_id = {org_id}")).await);
    let beneficiary = first(
        db,
        &format!("SELECT beneficiary_id FROM needs WHERE organization_id = {org_id} GROUP BY beneficiary_id ORDER BY COUNT(*) DESC, beneficiary_id LIMIT 1"),
    )
    .await
    .expect("a beneficiary with needs");
    worker_pages.extend([
        Page::visit("beneficiaries", "/beneficiaries"),
        Page::visit("beneficiary-form", "/beneficiaries/new"),
        Page::form_error("beneficiary-form-error", "/beneficiaries/new", "full_name"),
        Page::visit("beneficiary", format!("/beneficiaries/{beneficiary}")),
        Page::visit("beneficiary-edit", format!("/beneficiaries/{beneficiary}/edit")),
        Page::visit("beneficiary-close", format!("/beneficiaries/{beneficiary}/close")),
        Page::visit("beneficiary-ledger", format!("/beneficiaries/{beneficiary}/ledger")),
        Page::visit("beneficiary-visits", format!("/beneficiaries/{beneficiary}/visits")),
        Page::visit(
            "beneficiary-referrals",
            format!("/beneficiaries/{beneficiary}/referrals"),
        ),
        Page::form_error(
            "beneficiary-referrals-error",
            &format!("/beneficiaries/{beneficiary}/referrals"),
            "reason",
        ),
        Page::visit("referrals", "/referrals"),
        Page::visit("resources", "/resources"),
        Page::visit("referral-waiting", format!("/referrals/{waiting_referral}")),
        Page::visit("volunteers", "/volunteers"),
        Page::visit("credit", "/credit"),
        Page::visit("password", "/settings/password"),
    ]);
    // The demo's one-on-one sponsorship: its case file, the page that ends it and the
    // latest period of its need (the series and sponsor lines). README links two of them,
    // so the demo must keep it in the organization toured.
    let sponsored = strings(
        db,
        &format!(
            "SELECT s.id, s.beneficiary_id, (SELECT MAX(n.id) FROM needs n WHERE n.series_id = s.series_id) \
             FROM sponsorships s JOIN beneficiaries b ON b.id = s.beneficiary_id \
             WHERE b.organization_id = {org_id} AND s.status = 'active' ORDER BY s.id LIMIT 1"
        ),
    )
    .await;
    let row = sponsored
        .first()
        .expect("the demo's sponsorship is in the organization toured (src/demo/sponsorships.rs)");
    worker_pages.extend([
        Page::visit("beneficiary-sponsored", format!("/beneficiaries/{}", row[1])),
        Page::visit("sponsorship-end", format!("/sponsorships/{}/end", row[0])),
        Page::visit("need-sponsored", format!("/needs/{}", row[2])),
    ]);

    // The office reads its own subdistrict only.
    let subdistrict = first(
        db,
        &format!("SELECT subdistrict_id FROM staff WHERE email = '{office_email}'"),
    )
    .await
    .expect("the office's subdistrict");
    let own_orgs = format!("SELECT id FROM organizations WHERE subdistrict_id = {subdistrict}");
    let staff_id = first(
        db,
        &format!(
            "SELECT id FROM staff WHERE id <> {worker_id} AND role = 'social_worker' \
             AND organization_id IN ({own_orgs}) ORDER BY id DESC LIMIT 1"
        ),
    )
    .await
    .expect("a staff member");
    let duplicate = first(db, "SELECT id FROM possible_duplicates ORDER BY id LIMIT 1").await;
    let mut admin_pages = vec![
        Page::visit("dashboard", "/"),
        Page::visit("needs", "/needs"),
        Page::visit("beneficiaries", "/beneficiaries"),
        Page::visit("volunteers", "/volunteers"),
        Page::visit("organizations", "/admin/organizations"),
        Page::visit(
            "organization-services",
            format!("/admin/organizations/{org_id}/services"),
        ),
        Page::visit("programmes", "/admin/programmes"),
        Page::visit("visit-intervals", "/admin/visit-intervals"),
        Page::visit("merchants", "/admin/merchants"),
        Page::visit("staff", "/admin/staff"),
        Page::visit("staff-deactivate", format!("/admin/staff/{staff_id}/deactivate")),
        Page::visit("tokens", "/admin/tokens"),
        Page::visit("audit", "/admin/audit"),
        Page::visit("outbox", "/admin/outbox"),
        Page::visit("duplicates", "/admin/duplicates"),
    ];
    if let Some(id) = duplicate {
        admin_pages.push(Page::visit("duplicate", format!("/admin/duplicates/{id}")));
    }
    // The office sees the needs of its subdistrict's organizations: each state.
    admin_pages.extend(need_pages(db, &format!("n.organization_id IN ({own_orgs})")).await);
    admin_pages.extend([
        Page::visit("reports", "/admin/reports"),
        // The full report is cut at the shot's height; one week's is short enough to show
        // its last sections (referrals, sponsorship).
        Page::visit("reports-week", "/admin/reports?weeks=1"),
        Page::visit("password", "/settings/password"),
    ]);
    Seeded {
        worker_email,
        office_email,
        worker_pages,
        admin_pages,
        resident_links,
    }
}

// Here rather than at the end of tests/browser.rs, where other browser tests are added.
#[tokio::test]
#[ignore = "needs chromium and chromium-driver; run by scripts/test.sh"]
async fn the_screenshot_tour_finds_no_error_no_overflow_and_no_raw_code_on_any_page() {
    let started = Instant::now();
    let (_driver, url) = super::chromedriver().await;
    let (problems, shots) = run(&url).await;
    eprintln!(
        "screenshot tour: {shots} pages in {:.0?}, saved under docs/screenshots/tour/",
        started.elapsed()
    );
    // All of them at once, so that one run lists everything to fix.
    assert!(
        problems.is_empty(),
        "{} problems on the tour:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// Runs the tour and returns every problem, as "file: problem" lines.
async fn run(driver: &str) -> (Vec<String>, usize) {
    let (app, sink) = TestApp::spawn_with_smtp().await;
    let seeded = seed(&app, &sink).await;
    let codes = raw_codes();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("docs")
        .join("screenshots")
        .join("tour");
    // Start clean, so a page that left the tour leaves no stale picture behind.
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("screenshot dir");

    let mut problems = Vec::new();
    let public = vec![
        Page::visit("transparency", "/transparency"),
        Page::visit("login", "/login"),
    ];
    let mut tours = [
        Tour::new("public", None, public),
        Tour::new("worker", Some(seeded.worker_email.clone()), seeded.worker_pages.clone()),
        Tour::new("admin", Some(seeded.office_email.clone()), seeded.admin_pages.clone()),
    ];
    let mut shots = 0;
    for (short, locale) in LANGS {
        for width in WIDTHS {
            let s = Session::start(driver, width, locale).await;
            // The overflow check must see a page that is too wide, or its silence means nothing.
            s.client
                .goto("data:text/html,<body><p>fits</p><div id=wide style='width:2000px'>wide</div></body>")
                .await
                .expect("a test page");
            let wide = s.run(OVERFLOW).await;
            assert!(
                wide["culprits"][0].as_str().is_some_and(|c| c.starts_with("div#wide")),
                "the overflow check finds a 2000 px element at {width} px: {wide}"
            );
            for tour in tours.iter_mut() {
                let mut pages = tour.pages.clone();
                if tour.role == "public" {
                    // The resident pages are in the contact's language: this language's links.
                    let (consent, unsubscribe) = seeded.resident_links.get(short).cloned().unwrap_or_default();
                    match consent {
                        Some(path) => pages.push(Page::visit("consent", path)),
                        None => problems.push(format!("public-consent-{short}: no confirmation email arrived")),
                    }
                    match unsubscribe {
                        Some(path) => pages.push(Page::visit("unsubscribe", path)),
                        None => problems.push(format!(
                            "public-unsubscribe-{short}: no email with an unsubscribe link arrived"
                        )),
                    }
                }
                if let Some(email) = &tour.login
                    && let Err(e) = s.sign_in(&app, email, locale).await
                {
                    problems.push(format!("{}-{short}-{width}: {e}", tour.role));
                    continue;
                }
                if tour.login.is_none() {
                    s.client.delete_all_cookies().await.expect("cookies");
                }
                let mut i = 0;
                while i < pages.len() {
                    let page = pages[i].clone();
                    i += 1;
                    let stem = format!("{}-{}-{short}-{width}", tour.role, page.name);
                    let file = dir.join(format!("{stem}.png"));
                    let (found, links) = tour_page(&s, &app, &page, short, &codes, &file).await;
                    shots += 1;
                    problems.extend(found.into_iter().map(|p| format!("{stem} ({}): {p}", page.path)));
                    let before = tour.pages.len();
                    for link in links {
                        tour.discover(&link);
                    }
                    pages.extend(tour.pages[before..].iter().cloned());
                }
            }
            s.client.close().await.expect("close");
        }
    }
    app.stop().await;
    (problems, shots)
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn raw_codes_are_found_and_legitimate_text_is_not() {
        let codes = raw_codes();
        let check = |text: &str, lang: &str| codes_in(text, true, lang, &codes.0, &codes.1);
        assert_eq!(check("操作：staff.login", "zh").len(), 1);
        assert_eq!(check("类型 volunteer_team", "en").len(), 1);
        assert_eq!(check("状态 pending", "zh").len(), 1);
        assert_eq!(check("pending", "en").len(), 1);
        assert_eq!(check("resident-need-registered", "en").len(), 1);
        assert!(check("3 needs still open", "en").is_empty());
        assert!(check("Write to office@demo.charity-relay.org or https://t.me/relay_bot", "zh").is_empty());
        assert!(check("下载 needs.csv，共 12.5 元", "zh").is_empty());
        assert!(check("children's clothing · 94", "zh").is_empty());
        assert_eq!(check("pending · 0", "zh").len(), 1);
        assert_eq!(check("原因：consent already given", "zh").len(), 1);
        assert!(check("consent already given", "en").is_empty());
        assert_eq!(pattern("/needs/12/claims"), "/needs/{id}/claims");
        assert_eq!(
            same_site_path("/admin/merchants?status=pending#top").as_deref(),
            Some("/admin/merchants")
        );
    }
}
