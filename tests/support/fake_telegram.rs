//! A fake Telegram Bot API on loopback: enough of getMe, getUpdates (long poll over a queue
//! of updates the test pushes), sendMessage, editMessageText, answerCallbackQuery,
//! setMyCommands, setWebhook and deleteWebhook for the real teloxide adapter to run
//! against. It records every call, can answer one sendMessage with 429 retry_after, and can
//! be slow: it then takes every call at once but answers it only after a delay, as an
//! overloaded Bot API would.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};
use tokio::sync::Notify;

/// The token the app is configured with in bot tests.
pub const TOKEN: &str = "123456:TEST-token-for-the-fake";
/// The fake bot's username.
pub const BOT_USERNAME: &str = "relay_test_bot";

/// One recorded call.
#[derive(Debug, Clone)]
pub struct Call {
    /// The Bot API method, e.g. `sendMessage`.
    pub method: String,
    /// Its JSON parameters.
    pub body: Value,
    /// When it arrived.
    pub at: Instant,
    /// False when the fake refused it (429).
    pub ok: bool,
}

/// A message the bot sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// The text.
    pub text: String,
    /// Buttons, row by row: (label, callback data).
    pub buttons: Vec<Vec<(String, String)>>,
}

impl Sent {
    /// The callback data of the button whose label is `label`.
    pub fn button(&self, label: &str) -> String {
        self.buttons
            .iter()
            .flatten()
            .find(|(l, _)| l == label)
            .map(|(_, d)| d.clone())
            .unwrap_or_else(|| panic!("no button {label:?} in {:?}", self.buttons))
    }
}

/// A file the bot sent with sendDocument.
#[derive(Debug, Clone)]
pub struct Document {
    /// The chat it went to.
    pub chat_id: i64,
    /// Its file name.
    pub file_name: String,
    /// The caption (the reply's text).
    pub caption: String,
    /// The file itself.
    pub bytes: Vec<u8>,
}

#[derive(Default)]
struct Inner {
    calls: Mutex<Vec<Call>>,
    documents: Mutex<Vec<Document>>,
    updates: Mutex<VecDeque<Value>>,
    queued: Notify,
    retry_after_once: Mutex<Option<u32>>,
    answer_delay: Mutex<Duration>,
    next_message_id: AtomicI64,
    next_update_id: AtomicI64,
}

/// The running fake.
#[derive(Clone)]
pub struct FakeTelegram {
    /// Its base URL, for `RELAY_TELEGRAM_API_URL`.
    pub url: String,
    inner: Arc<Inner>,
}

impl FakeTelegram {
    /// Starts the fake on a random loopback port.
    pub async fn start() -> Self {
        Self::start_on(0).await
    }

    /// Starts the fake on loopback `port` (0: any free one).
    pub async fn start_on(port: u16) -> Self {
        let inner = Arc::new(Inner {
            next_message_id: AtomicI64::new(1000),
            next_update_id: AtomicI64::new(1),
            ..Default::default()
        });
        let app = Router::new()
            .route("/{token}/{method}", post(call))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("bind fake");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            url: format!("http://{addr}"),
            inner,
        }
    }

    /// Every document sent so far.
    pub fn documents(&self) -> Vec<Document> {
        self.inner.documents.lock().expect("lock").clone()
    }

    /// A fresh update id.
    pub fn next_update_id(&self) -> i64 {
        self.inner.next_update_id.fetch_add(1, Ordering::SeqCst)
    }

    /// Queues an update for getUpdates (served one per call, in order).
    pub fn push(&self, update: Value) {
        self.inner.updates.lock().expect("lock").push_back(update);
        self.inner.queued.notify_waiters();
    }

    /// The next sendMessage gets 429 with `retry_after` seconds.
    pub fn answer_429_once(&self, retry_after: u32) {
        *self.inner.retry_after_once.lock().expect("lock") = Some(retry_after);
    }

    /// Answers every call (but `getUpdates`, which waits anyway) only after `delay`; the
    /// call counts as made when it arrives, so a client that gives up and asks again is seen
    /// asking twice.
    pub fn slow_down(&self, delay: Duration) {
        *self.inner.answer_delay.lock().expect("lock") = delay;
    }

    /// Every call so far.
    pub fn calls(&self) -> Vec<Call> {
        self.inner.calls.lock().expect("lock").clone()
    }

    /// Calls of `method`.
    pub fn calls_of(&self, method: &str) -> Vec<Call> {
        self.calls().into_iter().filter(|c| c.method == method).collect()
    }

    /// Messages accepted for `chat_id`, in order.
    pub fn sent_to(&self, chat_id: i64) -> Vec<Sent> {
        self.calls_of("sendMessage")
            .into_iter()
            .filter(|c| c.ok && c.body["chat_id"].as_i64() == Some(chat_id))
            .map(|c| sent_of(&c.body))
            .collect()
    }

    /// Every accepted message text, to any chat.
    pub fn all_texts(&self) -> Vec<String> {
        self.calls()
            .into_iter()
            .filter(|c| c.ok && (c.method == "sendMessage" || c.method == "editMessageText"))
            .map(|c| {
                let mut text = c.body["text"].as_str().unwrap_or_default().to_owned();
                for (label, _) in sent_of(&c.body).buttons.into_iter().flatten() {
                    text.push('\n');
                    text.push_str(&label);
                }
                text
            })
            .collect()
    }

    /// Waits until `chat_id` has at least `count` messages; panics after `within`.
    pub async fn wait_for(&self, chat_id: i64, count: usize, within: Duration) -> Vec<Sent> {
        let deadline = Instant::now() + within;
        loop {
            let sent = self.sent_to(chat_id);
            if sent.len() >= count {
                return sent;
            }
            if Instant::now() > deadline {
                let methods: Vec<String> = self.calls().into_iter().map(|c| c.method).collect();
                panic!(
                    "chat {chat_id} got {} messages, expected {count}: {sent:#?}\ncalls: {methods:?}",
                    sent.len()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until a call of `method` was made; panics after `within`.
    pub async fn wait_for_call(&self, method: &str, within: Duration) -> Call {
        let deadline = Instant::now() + within;
        loop {
            if let Some(c) = self.calls_of(method).into_iter().next() {
                return c;
            }
            assert!(Instant::now() < deadline, "no {method} call within {within:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn sent_of(body: &Value) -> Sent {
    let buttons = body["reply_markup"]["inline_keyboard"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|row| {
                    row.as_array()
                        .map(|r| {
                            r.iter()
                                .map(|b| {
                                    (
                                        b["text"].as_str().unwrap_or_default().to_owned(),
                                        b["callback_data"].as_str().unwrap_or_default().to_owned(),
                                    )
                                })
                                .collect()
                        })
                        .unwrap_or_default()
                })
                .collect()
        })
        .unwrap_or_default();
    Sent {
        text: body["text"].as_str().unwrap_or_default().to_owned(),
        buttons,
    }
}

fn ok(result: Value) -> Response {
    axum::Json(json!({ "ok": true, "result": result })).into_response()
}

fn bot_user() -> Value {
    json!({ "id": 42, "is_bot": true, "first_name": "Relay", "username": BOT_USERNAME })
}

async fn call(
    State(inner): State<Arc<Inner>>,
    Path((_token, method)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let file = multipart_file(&body, "document");
    let body: Value = serde_json::from_slice(&body).unwrap_or_else(|_| multipart_fields(&body));
    // Bot API method names are case-insensitive (teloxide writes `SendMessage`).
    let method = [
        "getMe",
        "getUpdates",
        "sendMessage",
        "sendDocument",
        "editMessageText",
        "answerCallbackQuery",
        "setMyCommands",
        "setWebhook",
        "deleteWebhook",
    ]
    .into_iter()
    .find(|m| m.eq_ignore_ascii_case(&method))
    .map(str::to_owned)
    .unwrap_or(method);
    let mut accepted = true;
    let response = match method.as_str() {
        "getMe" => {
            let mut me = bot_user();
            for flag in [
                "can_join_groups",
                "can_read_all_group_messages",
                "supports_inline_queries",
                "can_connect_to_business",
                "has_main_web_app",
            ] {
                me[flag] = json!(false);
            }
            ok(me)
        }
        "getUpdates" => {
            let wait = body["timeout"].as_u64().unwrap_or(0).min(10);
            let deadline = tokio::time::Instant::now() + Duration::from_secs(wait);
            // Like Telegram, up to `limit` (default 100) queued updates at a time.
            let limit = body["limit"].as_u64().unwrap_or(100).clamp(1, 100) as usize;
            loop {
                let batch: Vec<Value> = {
                    let mut queue = inner.updates.lock().expect("lock");
                    let n = queue.len().min(limit);
                    queue.drain(..n).collect()
                };
                if !batch.is_empty() {
                    break ok(json!(batch));
                }
                let notified = inner.queued.notified();
                if tokio::time::timeout_at(deadline, notified).await.is_err() {
                    break ok(json!([]));
                }
            }
        }
        "sendMessage" | "editMessageText" => {
            let limited = if method == "sendMessage" {
                inner.retry_after_once.lock().expect("lock").take()
            } else {
                None
            };
            match limited {
                Some(seconds) => {
                    accepted = false;
                    (
                        StatusCode::TOO_MANY_REQUESTS,
                        axum::Json(json!({
                            "ok": false,
                            "error_code": 429,
                            "description": format!("Too Many Requests: retry after {seconds}"),
                            "parameters": { "retry_after": seconds }
                        })),
                    )
                        .into_response()
                }
                None => {
                    let id = inner.next_message_id.fetch_add(1, Ordering::SeqCst);
                    let chat_id = body["chat_id"].as_i64().unwrap_or_default();
                    ok(json!({
                        "message_id": id,
                        "date": 1_700_000_000,
                        "chat": { "id": chat_id, "type": "private", "first_name": "店主" },
                        "from": bot_user(),
                        "text": body["text"].clone(),
                    }))
                }
            }
        }
        "sendDocument" => {
            let id = inner.next_message_id.fetch_add(1, Ordering::SeqCst);
            let chat_id = body["chat_id"]
                .as_i64()
                .or_else(|| body["chat_id"].as_str().and_then(|s| s.parse().ok()))
                .unwrap_or_default();
            let (file_name, bytes) = file.unwrap_or_default();
            let caption = body["caption"].as_str().unwrap_or_default().to_owned();
            inner.documents.lock().expect("lock").push(Document {
                chat_id,
                file_name: file_name.clone(),
                caption: caption.clone(),
                bytes: bytes.clone(),
            });
            ok(json!({
                "message_id": id,
                "date": 1_700_000_000,
                "chat": { "id": chat_id, "type": "private", "first_name": "店主" },
                "from": bot_user(),
                "caption": caption,
                "document": {
                    "file_id": format!("doc-{id}"),
                    "file_unique_id": format!("u-{id}"),
                    "file_name": file_name,
                    "mime_type": "application/pdf",
                    "file_size": bytes.len(),
                },
            }))
        }
        _ => ok(json!(true)),
    };
    let delay = if method == "getUpdates" {
        Duration::ZERO
    } else {
        *inner.answer_delay.lock().expect("lock")
    };
    inner.calls.lock().expect("lock").push(Call {
        method,
        body,
        at: Instant::now(),
        ok: accepted,
    });
    tokio::time::sleep(delay).await;
    response
}

/// The file name and raw bytes of the multipart part `name` (a document), if the body has one.
fn multipart_file(body: &[u8], name: &str) -> Option<(String, Vec<u8>)> {
    let find = |hay: &[u8], needle: &[u8], from: usize| {
        hay.get(from..)?
            .windows(needle.len())
            .position(|w| w == needle)
            .map(|i| i + from)
    };
    let boundary_end = find(body, b"\r\n", 0)?;
    let boundary = [b"\r\n", &body[..boundary_end]].concat();
    let marker = format!("name=\"{name}\"");
    let at = find(body, marker.as_bytes(), 0)?;
    let headers_end = find(body, b"\r\n\r\n", at)?;
    let headers = String::from_utf8_lossy(&body[at..headers_end]);
    let file_name = headers
        .split("filename=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .to_owned();
    let start = headers_end + 4;
    let end = find(body, &boundary, start)?;
    let value = &body[start..end];
    // teloxide names the file part by an id the field points at: `attach://<id>`.
    match value.strip_prefix(b"attach://") {
        Some(id) if file_name.is_empty() => multipart_file(body, &String::from_utf8_lossy(id)),
        _ => Some((file_name, value.to_vec())),
    }
}

/// The text fields of a multipart body (teloxide sends setWebhook that way), as JSON.
fn multipart_fields(body: &[u8]) -> Value {
    let text = String::from_utf8_lossy(body);
    let mut fields = serde_json::Map::new();
    for part in text.split("Content-Disposition: form-data; name=\"").skip(1) {
        let Some((name, rest)) = part.split_once('"') else {
            continue;
        };
        let Some((_, value)) = rest.split_once("\r\n\r\n") else {
            continue;
        };
        let value = value.split("\r\n--").next().unwrap_or_default();
        fields.insert(name.to_owned(), json!(value));
    }
    Value::Object(fields)
}

/// A private message from `chat_id` (the user has the same id) with `text`.
pub fn message(update_id: i64, chat_id: i64, text: &str, language_code: &str) -> Value {
    json!({
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_700_000_000,
            "chat": { "id": chat_id, "type": "private", "first_name": "店主" },
            "from": { "id": chat_id, "is_bot": false, "first_name": "店主", "language_code": language_code },
            "text": text,
        }
    })
}

/// A tap on an inline button with callback `data` under a bot message in `chat_id`.
pub fn tap(update_id: i64, chat_id: i64, data: &str, language_code: &str) -> Value {
    json!({
        "update_id": update_id,
        "callback_query": {
            "id": format!("cb-{update_id}"),
            "from": { "id": chat_id, "is_bot": false, "first_name": "店主", "language_code": language_code },
            "message": {
                "message_id": 1,
                "date": 1_700_000_000,
                "chat": { "id": chat_id, "type": "private", "first_name": "店主" },
                "from": bot_user(),
                "text": "…",
            },
            "chat_instance": "instance",
            "data": data,
        }
    })
}
