//! Building the application from settings, and running it until a shutdown signal.
//! Tests and `main` build the same [`Application`]; `BIND_ADDR` with port 0 picks a free port.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use migration::{Migrator, MigratorTrait};
use poem::{
    Server,
    listener::{Acceptor, Listener, TcpAcceptor, TcpListener},
};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use sea_orm::{DatabaseConnection, DbErr};
use secrecy::{ExposeSecret, SecretString};
use x509_cert::Certificate;

use crate::{
    auth::{
        LoginThrottle, Passwords, SessionStore, TokenKeys, password::PasswordError,
        tokens::KeyError,
    },
    clock::{Clock, SystemClock},
    config::Settings,
    files::{FileError, FileStore, LocalFileStore, ObjectFileStore},
    http,
    push::{
        Push,
        fcm::{Fcm, FcmSetupError},
        reminders::Reminders,
        worker::{PushChannel, Worker},
    },
    services::{
        exchange::{
            axis::{
                self,
                poller::Poller,
                sender::{ExchangeChannel, Sender},
            },
            directory,
        },
        signing::Verdicts,
    },
    signing::{
        Hsm, HsmError, NoHsm, SigningSetup,
        ca::{CaError, DevCa},
        fonts::Font,
        pkcs11::Pkcs11Hsm,
        tsa::Tsa,
    },
    state::AppState,
    store, telemetry,
};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot reach the database: {0}")]
    Database(#[source] DbErr),
    #[error("cannot migrate the database: {0}")]
    Migrate(#[source] DbErr),
    #[error("cannot reach Redis at {addr}: {source}")]
    Redis {
        addr: String,
        #[source]
        source: redis::RedisError,
    },
    #[error(transparent)]
    Keys(#[from] KeyError),
    #[error(transparent)]
    Passwords(#[from] PasswordError),
    #[error("cannot use the signing HSM: {0}")]
    Hsm(#[from] HsmError),
    #[error("cannot set up the development CA: {0}")]
    DevCa(#[from] CaError),
    #[error(transparent)]
    Font(#[from] crate::signing::fonts::FontError),
    #[error("cannot set up the time-stamping client: {0}")]
    Tsa(String),
    #[error("cannot read the trust anchors in {path}: {reason}")]
    TrustAnchors { path: String, reason: String },
    #[error("cannot read the PKCS#11 PIN from {path}: {source}")]
    Pkcs11Pin {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot use the storage directory: {0}")]
    Storage(#[source] crate::files::FileError),
    #[error(transparent)]
    Fcm(#[from] FcmSetupError),
    #[error(transparent)]
    Axis(#[from] axis::LinkError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

/// Connects to the database, migrating it first when the settings say so.
pub async fn database(
    settings: &Settings,
    migrate: bool,
) -> Result<DatabaseConnection, StartupError> {
    let db = store::connect(settings)
        .await
        .map_err(StartupError::Database)?;
    if migrate {
        Migrator::up(&db, None)
            .await
            .map_err(StartupError::Migrate)?;
    }
    Ok(db)
}

async fn redis(settings: &Settings) -> Result<ConnectionManager, StartupError> {
    let client = redis::Client::open(settings.redis_url.expose_secret()).map_err(|source| {
        StartupError::Redis {
            addr: "REDIS_URL".to_owned(),
            source,
        }
    })?;
    // Only host and port: the URL may carry a password.
    let addr = client.get_connection_info().addr().to_string();
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(Duration::from_secs(3)))
        .set_response_timeout(Some(Duration::from_secs(3)))
        .set_number_of_retries(2);
    ConnectionManager::new_with_config(client, config)
        .await
        .map_err(|source| StartupError::Redis { addr, source })
}

pub async fn build_state(settings: &Settings) -> Result<AppState, StartupError> {
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    let db = database(settings, settings.migrate_on_start).await?;
    let reads = store::connect_reads(settings, &db, cores)
        .await
        .map_err(StartupError::Database)?;
    let redis = redis(settings).await?;
    let tokens = TokenKeys::load_or_generate(
        settings.jwt_private_key_file.as_deref(),
        &settings.data_dir,
        settings.access_token_ttl,
    )?;
    let signing = signing(settings).await?;
    let verdicts = Verdicts::new(&signing.trust_anchors(), cores, settings.verify_queue_max);
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let axis = match &settings.exchange {
        Some(exchange) => Some(axis::Link::vdxp(exchange, clock.clone())?),
        None => {
            tracing::info!(
                "EXCHANGE_URL is not set: documents go only to organisations on this server"
            );
            None
        }
    };
    Ok(AppState {
        sessions: SessionStore::new(
            redis.clone(),
            &settings.redis_key_prefix,
            settings.session_idle_ttl,
        ),
        throttle: LoginThrottle::new(
            redis.clone(),
            &settings.redis_key_prefix,
            settings.login_max_failures,
            settings.login_ip_max_failures,
            settings.login_lock,
        ),
        passwords: Passwords::new(cores, settings.password_queue_max).await?,
        tokens: Arc::new(tokens),
        clock,
        files: files(settings).await.map_err(StartupError::Storage)?,
        signing: Arc::new(signing),
        verdicts: Arc::new(verdicts),
        profiles: Arc::default(),
        names: Arc::default(),
        max_upload_bytes: settings.max_upload_bytes,
        metrics: telemetry::init_metrics(),
        redis_key_prefix: settings.redis_key_prefix.clone(),
        push: Push::new(settings.push.urge_interval),
        axis,
        allow_test_codes: settings.exchange_allow_test_codes,
        trusted_proxies: settings.trusted_proxies.clone().into(),
        db,
        reads,
        redis,
    })
}

/// The local directory, or the shared bucket when one is configured (staging in the directory).
pub async fn files(settings: &Settings) -> Result<Arc<dyn FileStore>, FileError> {
    let local = LocalFileStore::new(&settings.storage_dir).await?;
    Ok(match &settings.object_store {
        None => Arc::new(local),
        Some(bucket) => Arc::new(ObjectFileStore::new(local, bucket)?),
    })
}

async fn signing(settings: &Settings) -> Result<SigningSetup, StartupError> {
    let hsm: Arc<dyn Hsm> = match &settings.pkcs11_module {
        Some(module) => {
            let pin = match &settings.pkcs11_pin {
                Some(pin) => pin.clone(),
                None => {
                    // Development: scripts/lib.sh generates the token's PIN into the data dir.
                    let path = settings.data_dir.join("pkcs11-pin");
                    let pin = tokio::fs::read_to_string(&path).await.map_err(|source| {
                        StartupError::Pkcs11Pin {
                            path: path.display().to_string(),
                            source,
                        }
                    })?;
                    SecretString::from(pin.trim().to_owned())
                }
            };
            Arc::new(Pkcs11Hsm::connect(module, &settings.pkcs11_token_label, pin).await?)
        }
        None => {
            tracing::warn!("PKCS11_MODULE is not set: signing is off");
            Arc::new(NoHsm)
        }
    };
    let dev_ca = if settings.dev_ca {
        let dir = settings.data_dir.join("dev-ca");
        let now = SystemClock.now();
        Some(
            tokio::task::spawn_blocking(move || DevCa::load_or_create(&dir, now))
                .await
                .map_err(|e| CaError::Build(e.to_string()))??,
        )
    } else {
        None
    };
    let mut anchors = match &settings.signing_trust_anchors_file {
        Some(path) => trust_anchors(path).await?,
        None => Vec::new(),
    };
    if let Some(path) = &settings.tsa_trust_anchors_file {
        anchors.extend(trust_anchors(path).await?);
    }
    // Signing on without its font would fail at the first signature: refuse to start instead.
    let font = match settings.pkcs11_module {
        Some(_) => {
            let path = settings.signature_font_file.clone();
            let read = tokio::fs::read(&path).await;
            Some(Font::load(&path, read)?)
        }
        None => None,
    };
    let tsa = match &settings.tsa_url {
        Some(url) => Some(
            Tsa::new(url.clone(), settings.tsa_required)
                .map_err(|e| StartupError::Tsa(e.to_string()))?,
        ),
        None => None,
    };
    Ok(SigningSetup {
        hsm,
        configured: settings.pkcs11_module.is_some(),
        dev_ca,
        anchors,
        font,
        tsa,
        request_ttl: chrono::Duration::from_std(settings.signing_request_ttl)
            .unwrap_or(chrono::Duration::minutes(5)),
    })
}

/// The CA certificates in a PEM file: at least one, or the setting is a mistake.
async fn trust_anchors(path: &std::path::Path) -> Result<Vec<Certificate>, StartupError> {
    let refused = |reason: String| StartupError::TrustAnchors {
        path: path.display().to_string(),
        reason,
    };
    let pem = tokio::fs::read(path)
        .await
        .map_err(|e| refused(e.to_string()))?;
    let anchors = Certificate::load_pem_chain(&pem).map_err(|e| refused(e.to_string()))?;
    if anchors.is_empty() {
        return Err(refused("it holds no certificate".to_owned()));
    }
    Ok(anchors)
}

pub struct Application {
    acceptor: TcpAcceptor,
    state: AppState,
    settings: Settings,
    worker: Option<Worker>,
    sender: Option<Sender>,
}

/// The exchange sender, when an axis is configured; without one, queued messages wait.
fn exchange_sender(settings: &Settings, state: &AppState) -> Option<Sender> {
    let (exchange, link) = settings.exchange.as_ref().zip(state.axis.as_ref())?;
    Some(Sender::new(
        state.db.clone(),
        state.clock.clone(),
        exchange.outbox.clone(),
        link.waker(),
        ExchangeChannel::new(link.clone(), state.files.clone(), state.clock.clone()),
    ))
}

/// The push worker, when FCM is configured; without it queued pushes wait in the outbox.
fn push_worker(settings: &Settings, state: &AppState) -> Result<Option<Worker>, StartupError> {
    let Some(file) = &settings.push.service_account_file else {
        tracing::info!("FCM_SERVICE_ACCOUNT_FILE is not set: pushes are recorded but not sent");
        return Ok(None);
    };
    let fcm = Fcm::from_file(file, &settings.push.fcm_base_url)?;
    Ok(Some(Worker::new(
        state.db.clone(),
        state.clock.clone(),
        settings.push.pacing.clone(),
        state.push.waker(),
        PushChannel::new(state.sessions.clone(), state.clock.clone(), fcm),
    )))
}

impl Application {
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        let state = build_state(&settings).await?;
        let worker = push_worker(&settings, &state)?;
        let sender = exchange_sender(&settings, &state);
        let acceptor = TcpListener::bind(settings.bind_addr)
            .into_acceptor()
            .await
            .map_err(|source| StartupError::Bind {
                addr: settings.bind_addr,
                source,
            })?;
        Ok(Self {
            acceptor,
            state,
            settings,
            worker,
            sender,
        })
    }

    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.acceptor
            .local_addr()
            .first()
            .and_then(|a| a.as_socket_addr().copied())
    }

    /// Serves until SIGINT or SIGTERM, then lets requests in flight finish (up to 10 s), the
    /// push worker finish the batch it is sending and the reminder scan its task.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let url = match (&self.settings.public_url, self.local_addr()) {
            (Some(public), _) => public.clone(),
            (None, Some(addr)) => format!("http://{addr}"),
            (None, None) => self.settings.public_url(),
        };
        tracing::info!(address = %url, docs = %format!("{url}/docs"), "listening");
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let mut background = Vec::new();
        if let Some(worker) = self.worker {
            background.push(tokio::spawn(worker.run_until_stopped(stopped.clone())));
        }
        if let Some(sender) = self.sender {
            background.push(tokio::spawn(sender.run_until_stopped(stopped.clone())));
        }
        let reminders = Reminders::new(
            self.state.db.clone(),
            self.state.sessions.clone(),
            self.state.clock.clone(),
            self.state.push.clone(),
            self.settings.push.reminder_lead,
            self.settings.push.reminder_scan,
        );
        background.push(tokio::spawn(reminders.run_until_stopped(stopped.clone())));
        if let Some(exchange) = &self.settings.exchange
            && let Some(poller) = Poller::new(self.state.clone(), exchange.poll_interval)
        {
            background.push(tokio::spawn(poller.run_until_stopped(stopped.clone())));
            background.push(tokio::spawn(directory::run_until_stopped(
                self.state.clone(),
                stopped,
            )));
        }
        let app = http::app(
            self.state,
            self.settings.max_json_body_bytes,
            self.settings.console_dir.clone(),
        );
        let served = Server::new_with_acceptor(self.acceptor)
            .run_with_graceful_shutdown(app, shutdown_signal(), Some(Duration::from_secs(10)))
            .await;
        // Ignored error: the worker has already stopped on its own.
        let _ = stop.send(true);
        for task in background {
            if let Err(e) = task.await {
                tracing::error!(error = %e, "a background task panicked");
            }
        }
        served
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
