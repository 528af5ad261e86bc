//! charity-relay: caring merchants claim the real needs of people in difficulty; the
//! office, merchants and social organizations work as one.
//!
//! Dependencies point one way: `web`, `bot` and `cli` → `services` → `domain` + `entities`.

pub mod bot;
pub mod config;
pub mod crypto;
pub mod db;
pub mod demo;
pub mod domain;
pub mod entities;
pub mod i18n;
pub mod jobs;
pub mod metrics;
pub mod notify;
pub mod pdf;
pub mod services;
pub mod telemetry;
pub mod web;
pub mod wechat;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::db::DbSetupError;
use crate::metrics::Metrics;

/// What every handler and worker shares; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The connection pool.
    pub db: DatabaseConnection,
    /// The configuration read at start-up.
    pub config: Arc<Config>,
    /// Prometheus metrics.
    pub metrics: Metrics,
    /// Rendered public pages, reused for a minute.
    pub cache: Arc<web::cache::PageCache>,
    /// Requests per API token (a keyed GCRA limiter).
    pub api_limiter: Arc<web::api::RateLimiter>,
    /// The Telegram bot, when `RELAY_TELEGRAM_TOKEN` is set.
    pub bot: Option<bot::BotHandle>,
    /// The process's password-hashing slots, one per core (sign-in, password change).
    pub passwords: crypto::PasswordHasher,
}

impl AppState {
    /// The bot's username for `t.me` links: `RELAY_TELEGRAM_BOT_USERNAME` when set (it
    /// overrides), else what `getMe` answered; `None` while neither is known.
    pub fn bot_username(&self) -> Option<String> {
        self.config
            .telegram_bot_username
            .clone()
            .or_else(|| self.bot.as_ref()?.username().map(str::to_owned))
    }
}

/// The service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// Configuration is missing or malformed.
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    /// The database cannot be reached or migrated.
    #[error(transparent)]
    Database(#[from] DbSetupError),
    /// The listen address cannot be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address from `RELAY_BIND`.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The email settings cannot be used.
    #[error(transparent)]
    Notify(#[from] notify::NotifyError),
    /// The demo data could not be loaded.
    #[error("cannot load the demo data: {0}")]
    Demo(#[from] services::ServiceError),
    /// Private details sealed in an older format could not be re-sealed.
    #[error("cannot re-seal private details: {0}")]
    Reseal(services::ServiceError),
}

impl StartupError {
    /// The process exit code: 2 for configuration, 1 for everything else.
    pub fn exit_code(&self) -> u8 {
        match self {
            StartupError::Config(_) | StartupError::Notify(_) => 2,
            _ => 1,
        }
    }
}

/// Applies pending migrations, then the data upgrades that need the secret key (private
/// details sealed before they were bound to their rows are re-sealed; contacts split off by
/// the per-organization consent migration get their unsubscribe digest), which the migration
/// crate cannot do because it never sees the key. Every step is idempotent.
pub async fn migrate(db: &sea_orm::DatabaseConnection, config: &Config) -> Result<(), StartupError> {
    db::migrate(db).await?;
    services::contacts::complete_split_contacts(db, &config.secret_key)
        .await
        .map_err(db::DbSetupError::Migrate)?;
    services::beneficiaries::reseal_unbound(db, &config.secret_key)
        .await
        .map_err(StartupError::Reseal)?;
    Ok(())
}

/// A built application: database migrated, port bound, ready to run.
pub struct App {
    state: AppState,
    listener: TcpListener,
    router: Router,
    dispatcher: Option<notify::Dispatcher>,
}

impl App {
    /// Connects, migrates and binds `config.bind` (port 0 picks a free port).
    pub async fn build(config: Config) -> Result<Self, StartupError> {
        let db = db::connect(&config).await?;
        migrate(&db, &config).await?;
        if let Err(e) = pdf::check_font(&config.cert_font) {
            tracing::warn!(error = %e, "certificates cannot be issued until the font is there: install fonts-wqy-microhei or set RELAY_CERT_FONT");
        }
        let listener = TcpListener::bind(config.bind)
            .await
            .map_err(|source| StartupError::Bind {
                addr: config.bind,
                source,
            })?;
        let metrics = Metrics::new();
        let state = AppState {
            db,
            bot: config.telegram.clone().map(bot::BotHandle::new),
            config: Arc::new(config),
            passwords: crypto::PasswordHasher::new(Some(metrics.password_hashes.clone())),
            metrics,
            cache: Arc::default(),
            api_limiter: Arc::new(web::api::rate_limiter()),
        };
        let router = web::router(state.clone());
        let mut dispatcher =
            notify::Dispatcher::from_config(state.db.clone(), &state.config)?.with_metrics(&state.metrics);
        if let Some(handle) = &state.bot
            && let Some(telegram) = bot::sender(state.db.clone(), handle, &state.config)
        {
            dispatcher = dispatcher.with_sender(telegram).with_wake(handle.sender_wake());
        }
        Ok(Self {
            state,
            listener,
            router,
            dispatcher: Some(dispatcher),
        })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        // A bound listener always has an address; fall back to the configured one.
        self.listener.local_addr().unwrap_or(self.state.config.bind)
    }

    /// The shared state, for tests and embedding.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Adds routes next to the service's own (for embedding and tests).
    pub fn merge_routes(mut self, extra: Router) -> Self {
        self.router = self.router.merge(extra);
        self
    }

    /// Runs without the outbox dispatcher (tests that drive it with their own clock, or an
    /// instance that only serves requests while others send).
    pub fn without_dispatcher(mut self) -> Self {
        self.dispatcher = None;
        self
    }

    /// Serves until `shutdown` completes, then stops accepting, lets in-flight requests and
    /// background work finish, and returns.
    pub async fn run_until(mut self, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let cancel = CancellationToken::new();
        let mut workers: JoinSet<()> = JoinSet::new();
        workers.spawn(jobs::run_periodically(
            self.state.db.clone(),
            self.state.config.case_retention_days,
            self.state.config.sponsor_renewal_hours,
            cancel.clone(),
        ));
        workers.spawn(services::audit_chain::run_sealer(self.state.db.clone(), cancel.clone()));
        if let Some(handle) = self.state.bot.clone() {
            let desk = bot::desk::ServiceDesk::new(self.state.db.clone(), self.state.config.secret_key.clone())
                .with_renewal_hours(self.state.config.sponsor_renewal_hours);
            bot::spawn(&mut workers, self.state.db.clone(), desk, handle, cancel.clone());
        }
        if let Some(dispatcher) = self.dispatcher.take() {
            // On cancel it finishes the sends in flight and hands back the rest.
            workers.spawn(dispatcher.run(cancel.clone()));
        }
        let server_cancel = cancel.clone();
        tracing::info!(addr = %self.local_addr(), "listening");
        let service = self.router.into_make_service_with_connect_info::<SocketAddr>();
        let served = axum::serve(self.listener, service)
            .with_graceful_shutdown(async move {
                shutdown.await;
                tracing::info!("shutting down: finishing in-flight requests and background work");
                server_cancel.cancel();
            })
            .await;
        cancel.cancel();
        workers.join_all().await;
        served
    }
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut sig) => {
                sig.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM; only Ctrl-C stops the server");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
