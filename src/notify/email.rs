//! Email through lettre: a pooled async SMTP transport when `RELAY_SMTP_URL` is set
//! (`smtp://` plain, `?tls=required` STARTTLS, `smtps://` TLS, credentials in the URL),
//! otherwise one `.eml` file per message under `<data dir>/outbox/`.
//!
//! Every message is multipart/alternative (plain text + HTML) in the recipient's language,
//! with the outbox row's fixed `Message-ID` (its unique part, under the sender's domain),
//! `Date` and `Auto-Submitted: auto-generated`, and a DKIM signature when a key is
//! configured (see [`super::dkim`]).
//! Residents' messages also carry `List-Unsubscribe` and `List-Unsubscribe-Post`
//! (RFC 8058). Staff messages do not: they are operational mail about needs the worker
//! posted, with no subscription to leave, and a header promising one would not work.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use lettre::message::dkim::DkimConfig;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::templates::{self, Links};
use super::{NotifyError, Outgoing, SendError, Sender, mask_email};
use crate::config::{Config, Secret, mask_url};
use crate::domain::Channel;
use crate::services::contacts;

/// How long one SMTP exchange may take before it counts as a temporary failure.
const SMTP_TIMEOUT: Duration = Duration::from_secs(20);

/// Where messages go.
#[derive(Clone)]
pub enum Transport {
    /// An SMTP server, through a connection pool.
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// `.eml` files in this folder (the default without `RELAY_SMTP_URL`).
    Files(PathBuf),
}

/// Sends the email channel of the outbox.
#[derive(Clone)]
pub struct EmailSender {
    transport: Transport,
    from: Mailbox,
    /// The sender's domain: Message-IDs and the DKIM signature are under it.
    domain: String,
    public_url: String,
    secret: Secret,
    /// Signs each message when a key is configured.
    dkim: Option<Arc<DkimConfig>>,
}

impl EmailSender {
    /// The sender the configuration asks for; `pool_size` bounds SMTP connections.
    pub fn from_config(config: &Config, pool_size: u32) -> Result<Self, NotifyError> {
        let transport = match &config.email.smtp_url {
            Some(url) => Transport::Smtp(smtp_transport(url, pool_size)?),
            None => Transport::Files(config.data_dir.join("outbox")),
        };
        let sender = Self::new(
            transport,
            &config.email.from,
            &config.public_url,
            config.secret_key.clone(),
        )?;
        match &config.email.dkim {
            Some(dkim) => {
                let key = super::dkim::DkimKey::load(&dkim.key_file)?;
                let signer = key.signer(&dkim.selector, &sender.domain)?;
                tracing::info!(selector = %dkim.selector, domain = %sender.domain, algorithm = %key.algorithm(), "email is signed with DKIM");
                Ok(sender.with_dkim(signer))
            }
            None => Ok(sender),
        }
    }

    /// A sender over `transport`, mailing as `from`, linking to `public_url`.
    pub fn new(transport: Transport, from: &str, public_url: &str, secret: Secret) -> Result<Self, NotifyError> {
        let from = from.parse::<Mailbox>().map_err(|e| NotifyError::From(e.to_string()))?;
        let domain = from.email.domain().to_ascii_lowercase();
        Ok(Self {
            transport,
            from,
            domain,
            public_url: public_url.trim_end_matches('/').to_owned(),
            secret,
            dkim: None,
        })
    }

    /// Signs every message with `signer` (a DKIM configuration for this sender's domain).
    pub fn with_dkim(mut self, signer: DkimConfig) -> Self {
        self.dkim = Some(Arc::new(signer));
        self
    }

    /// The `Message-ID` sent for an outbox row's stored id: its unique part, under the
    /// sender's domain. Receivers and spam filters expect the id's domain to be the
    /// sender's; the stored id stays as written, so a retry still sends the same one.
    pub fn wire_message_id(&self, stored: &str) -> String {
        let unique = stored.trim_matches(['<', '>']);
        let unique = unique.rsplit_once('@').map_or(unique, |(local, _)| local);
        format!("<{unique}@{}>", self.domain)
    }

    /// Builds the MIME message of `item`, dated `now`.
    pub fn build(&self, item: &Outgoing, now: DateTime<Utc>) -> Result<Message, SendError> {
        let unsubscribe_url = item.contact_id.map(|id| {
            format!(
                "{}/unsubscribe/{}",
                self.public_url,
                contacts::unsubscribe_token(&self.secret, id)
            )
        });
        let (signup_urls, cancel_url) =
            crate::services::events::links::for_notification(&self.secret, &self.public_url, &item.notification);
        let links = Links {
            signup_urls,
            cancel_url,
            public_url: self.public_url.clone(),
            unsubscribe_url: unsubscribe_url.clone(),
            confirm_url: item
                .confirm_token
                .as_ref()
                .map(|t| format!("{}{}{t}", self.public_url, templates::link_prefix(&item.notification))),
            organization: item.organization.clone(),
        };
        let rendered = templates::render_notification(&item.notification, item.locale, &links)
            .map_err(|e| SendError::Failed(e.to_string()))?;
        let to = item
            .recipient
            .parse::<Mailbox>()
            // An address that does not even parse will never be delivered.
            .map_err(|_| SendError::Rejected("the address is malformed".into()))?;
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(rendered.subject)
            .date(SystemTime::from(now))
            .message_id(Some(self.wire_message_id(&item.message_id)))
            .raw_header(raw("Auto-Submitted", "auto-generated"))
            .raw_header(raw("Content-Language", item.locale.as_str()));
        if let Some(url) = unsubscribe_url {
            builder = builder
                .raw_header(raw("List-Unsubscribe", &format!("<{url}>")))
                .raw_header(raw("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"));
        }
        let mut message = builder
            .multipart(
                MultiPart::alternative()
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_PLAIN)
                            .body(rendered.text),
                    )
                    .singlepart(SinglePart::builder().header(ContentType::TEXT_HTML).body(rendered.html)),
            )
            .map_err(|e| SendError::Failed(format!("cannot build the message: {e}")))?;
        if let Some(dkim) = &self.dkim {
            message.sign(dkim);
        }
        Ok(message)
    }
}

fn raw(name: &'static str, value: &str) -> HeaderValue {
    HeaderValue::new(HeaderName::new_from_ascii_str(name), value.to_owned())
}

fn smtp_transport(url: &Secret, pool_size: u32) -> Result<AsyncSmtpTransport<Tokio1Executor>, NotifyError> {
    let builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose())
        .map_err(|e| NotifyError::SmtpUrl(format!("{} ({e})", mask_url(url.expose()))))?;
    Ok(builder
        .timeout(Some(SMTP_TIMEOUT))
        .pool_config(
            PoolConfig::new()
                .max_size(pool_size.max(1))
                .idle_timeout(Duration::from_secs(60)),
        )
        .build())
}

#[async_trait]
impl Sender for EmailSender {
    fn channel(&self) -> Channel {
        Channel::Email
    }

    async fn send(&self, item: &Outgoing, now: DateTime<Utc>) -> Result<(), SendError> {
        let message = self.build(item, now)?;
        match &self.transport {
            Transport::Smtp(smtp) => smtp.send(message).await.map(|_| ()).map_err(classify),
            Transport::Files(dir) => write_eml(dir, item.id, &message.formatted())
                .await
                .map_err(|e| SendError::Temporary(format!("cannot write the .eml file: {e}"))),
        }?;
        tracing::debug!(outbox.id = item.id, kind = item.notification.kind(), to = %mask_email(&item.recipient), "email sent");
        Ok(())
    }
}

/// Sorts an SMTP failure: 4xx and anything without a reply (refused, timed out, TLS) may
/// pass on a later try; 550/551/553 refuse the recipient for good; other 5xx refuse this
/// message. Authentication failures are retried: they are the operator's to fix, and
/// killing every queued message over a wrong password would lose them all.
fn classify(e: lettre::transport::smtp::Error) -> SendError {
    let code = e.status().map(u16::from);
    let text = super::mask_emails_in(&e.to_string());
    match code {
        Some(530 | 534 | 535 | 538) => SendError::Temporary(text),
        Some(550 | 551 | 553) => SendError::Rejected(text),
        Some(c) if (500..600).contains(&c) => SendError::Failed(text),
        _ => SendError::Temporary(text),
    }
}

/// Writes `bytes` to `<dir>/<id>.eml` through a temporary file, so that a reader never sees
/// half a message and a retry of the same row replaces its file instead of adding one.
/// The folder is 0700 and the file 0600 whatever the umask: a message holds an address.
async fn write_eml(dir: &Path, id: i64, bytes: &[u8]) -> std::io::Result<()> {
    let dir = dir.to_owned();
    let bytes = bytes.to_owned();
    tokio::task::spawn_blocking(move || {
        use std::io::Write;
        crate::config::create_private_dir(&dir)?;
        let path = dir.join(format!("{id:010}.eml"));
        let tmp = dir.join(format!(".{id:010}.eml.tmp"));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&tmp)?;
        file.write_all(&bytes)?;
        drop(file);
        // A tmp file left by an older version keeps its mode through open(); narrow it.
        crate::config::narrow_to_owner(&tmp);
        std::fs::rename(&tmp, &path)
    })
    .await
    .map_err(std::io::Error::other)?
}
