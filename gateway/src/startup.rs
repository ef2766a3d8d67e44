//! Start-up in one function, used by `gateway serve` and by the tests alike.
//!
//! [`Application::build`] opens the database, applies migrations, seeds the registry, builds the
//! TLS configuration and binds both listeners; [`Application::run_until_stopped`] serves them.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use serde_json::json;

use crate::config::Settings;
use crate::db::{Database, DbError, audit, platforms};
use crate::http::{self, AppState};
use crate::metrics::Metrics;
use crate::problem::ApiError;
use crate::registry::CertFingerprint;
use crate::{demo, routes, tls};

/// Why the gateway could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// The configuration is inconsistent with the files it names.
    #[error("{0}")]
    Config(String),
    /// The demo data directory could not be prepared.
    #[error("demo data: {0}")]
    Demo(#[from] std::io::Error),
    /// The database could not be opened or migrated.
    #[error(transparent)]
    Database(#[from] DbError),
    /// The TLS configuration is unusable.
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    /// A listener could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// The built-in announcement code tables do not parse (a build defect).
    #[error("announcement code tables: {0}")]
    Tables(#[from] interchange::TableError),
    /// The bridge configuration is unusable.
    #[error(transparent)]
    Bridge(#[from] crate::bridge::BridgeError),
    /// Metrics could not be registered (a programming error).
    #[error("metrics: {0}")]
    Metrics(#[from] prometheus::Error),
}

/// A gateway with its listeners bound, ready to serve.
pub struct Application {
    shutdown: crate::shutdown::Trigger,
    api_addr: SocketAddr,
    metrics_addr: SocketAddr,
    api: Server,
    metrics: Server,
    state: web::Data<AppState>,
}

impl Application {
    /// Builds everything the gateway needs and binds its listeners (port 0 picks a free port).
    ///
    /// In demo mode the data directory, demo PKI and registry are created first (or reused).
    pub fn build(mut settings: Settings) -> Result<Self, StartupError> {
        if settings.demo {
            demo::prepare(&mut settings)?;
        }
        let metrics = Arc::new(Metrics::new()?);
        // Refuse the public demo keys before touching anything else.
        let client_cas = settings
            .tls
            .client_ca
            .iter()
            .map(|p| tls::read_certificates(&settings.resolve(p)))
            .collect::<Result<Vec<_>, _>>()?;
        if !settings.demo {
            refuse_demo_material(&settings, &client_cas)?;
        }
        let db = Database::connect(&settings.database_url(), &settings.database)?;
        if settings.database.migrate_on_start {
            let applied = db.migrate()?;
            if !applied.is_empty() {
                tracing::info!(?applied, "migrations applied");
            }
        }
        // `database.migrate_on_start = false` on a database not migrated yet: serve anyway so that
        // `/readyz` reports it; seeding waits for the first start after migrating.
        let migrated = match db.check_migrations() {
            Ok(()) => {
                seed_registry(&settings, &db)?;
                true
            }
            Err(DbError::Migration(reason)) => {
                tracing::warn!(%reason, "nothing seeded: the database is not migrated");
                false
            }
            Err(e) => return Err(e.into()),
        };
        let known_peers = tls::KnownPeers::default();
        if migrated {
            let callers = db.run_blocking(crate::db::platforms::list)?;
            crate::http::observe_registry(&metrics, &known_peers, &callers);
        }
        let tls_config = tls::server_config(
            &settings.resolve(&settings.tls.certificate),
            &settings.resolve(&settings.tls.private_key),
            &client_cas,
            metrics.tls_handshake_failures.clone(),
            known_peers.clone(),
        )?;

        let bridge = crate::bridge::Bridge::new(
            settings
                .bridge
                .trust_list_signer
                .as_ref()
                .map(|p| settings.resolve(p))
                .as_deref(),
            &settings.bridge,
        )?;
        if migrated {
            install_configured_bridge_data(&settings, &bridge, &db)?;
        }
        let receipts =
            crate::receipts::Receipts::from_settings(&settings).map_err(StartupError::Config)?;
        let (trigger, shutdown) = crate::shutdown::channel();
        let tables = Arc::new(interchange::Tables::builtin()?);
        let settings = Arc::new(settings);
        let state = web::Data::new(AppState {
            db,
            metrics,
            tables,
            policy: settings.validation.policy(),
            limiter: http::rate_limit::RateLimiter::new(&settings.rate_limit),
            settings: settings.clone(),
            bridge,
            known_peers,
            receipts,
            shutdown,
        });

        if settings.demo && migrated {
            let stored = demo::seed_announcements(&state)?;
            if stored > 0 {
                tracing::info!(stored, "demo announcements published");
            }
        }

        let api_listener = bind(settings.server.listen)?;
        let metrics_listener = bind(settings.server.metrics_listen)?;
        let api_addr = local_addr(&api_listener, settings.server.listen)?;
        let metrics_addr = local_addr(&metrics_listener, settings.server.metrics_listen)?;

        let api_state = state.clone();
        let limit = settings.limits.max_body_bytes;
        let mut api = HttpServer::new(move || {
            App::new()
                .app_data(api_state.clone())
                .app_data(web::PayloadConfig::new(limit))
                .app_data(
                    web::JsonConfig::default()
                        .limit(limit)
                        .error_handler(json_error),
                )
                .app_data(web::QueryConfig::default().error_handler(query_error))
                .app_data(web::PathConfig::default().error_handler(path_error))
                .configure(routes::api)
                .default_service(web::to(routes::no_route))
                .wrap(from_fn(http::rate_limit::middleware))
                .wrap(from_fn(http::authn::middleware))
                .wrap(from_fn(http::problems::middleware))
                .wrap(from_fn(http::observe::middleware))
                .wrap(from_fn(http::request_id::middleware))
        })
        .on_connect(tls::on_connect)
        .disable_signals()
        .shutdown_timeout(settings.server.shutdown_timeout_secs)
        .client_request_timeout(Duration::from_secs(10));
        if settings.server.workers > 0 {
            api = api.workers(settings.server.workers);
        }
        let api = api
            .listen_rustls_0_23(api_listener, tls_config)
            .map_err(|source| StartupError::Bind {
                addr: api_addr,
                source,
            })?
            .run();

        let metrics_state = state.clone();
        let metrics = HttpServer::new(move || {
            App::new()
                .app_data(metrics_state.clone())
                .configure(routes::metrics_listener)
                .default_service(web::to(routes::no_route))
                .wrap(from_fn(http::problems::middleware))
                .wrap(from_fn(http::request_id::middleware))
        })
        .workers(1)
        .disable_signals()
        .shutdown_timeout(settings.server.shutdown_timeout_secs)
        .listen(metrics_listener)
        .map_err(|source| StartupError::Bind {
            addr: metrics_addr,
            source,
        })?
        .run();

        Ok(Application {
            shutdown: trigger,
            api_addr,
            metrics_addr,
            api,
            metrics,
            state,
        })
    }

    /// The bound API address (HTTPS).
    pub fn api_addr(&self) -> SocketAddr {
        self.api_addr
    }

    /// The bound metrics address (plain HTTP).
    pub fn metrics_addr(&self) -> SocketAddr {
        self.metrics_addr
    }

    /// The database pool, for tests and CLI commands that share the application's.
    pub fn database(&self) -> &Database {
        &self.state.db
    }

    /// The shared state its handlers use, for tools that run the same steps without HTTP (the
    /// publishing benchmark's baseline calls `exchange::prepare` with it).
    pub fn state(&self) -> &web::Data<AppState> {
        &self.state
    }

    /// Handles that stop both listeners gracefully.
    pub fn handles(&self) -> (ServerHandle, ServerHandle) {
        (self.api.handle(), self.metrics.handle())
    }

    /// Serves until both listeners stop, with the push delivery workers and the CRL fetcher
    /// alongside.
    ///
    /// SIGTERM or SIGINT starts a graceful shutdown: readiness turns false at once, the API keeps
    /// serving for `server.drain_secs`, then stops accepting while in-flight requests finish
    /// (`server.shutdown_timeout_secs`); then the workers stop after their current unit of work.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let Application {
            shutdown,
            api,
            metrics,
            state,
            ..
        } = self;
        let mut workers = crate::delivery::spawn_workers(state.clone(), state.shutdown.clone());
        workers.extend(crate::bridge::fetch::spawn(
            state.clone(),
            state.shutdown.clone(),
        ));
        workers.push(http::watch_registry(state.clone(), state.shutdown.clone()));
        let api_handle = api.handle();
        let metrics_handle = metrics.handle();
        let drain = std::time::Duration::from_secs(state.settings.server.drain_secs);
        let observed = state.shutdown.clone();
        let shutdown = Arc::new(shutdown);
        let signals = {
            let (api_handle, metrics_handle) = (api_handle.clone(), metrics_handle.clone());
            let shutdown = shutdown.clone();
            tokio::spawn(async move {
                let Some(signal) = termination_signal(&observed).await else {
                    return;
                };
                tracing::info!(
                    signal,
                    drain_secs = drain.as_secs(),
                    "shutting down: readiness is false, draining"
                );
                shutdown.request();
                tokio::time::sleep(drain).await;
                tracing::info!("no longer accepting connections; in-flight requests finish");
                api_handle.stop(true).await;
                metrics_handle.stop(true).await;
            })
        };
        let api = async {
            let result = api.await;
            metrics_handle.stop(true).await;
            result
        };
        let metrics = async {
            let result = metrics.await;
            api_handle.stop(true).await;
            result
        };
        let (api, metrics) = tokio::join!(api, metrics);
        // Stopped by a signal or through the handles: either way, the workers stop now.
        shutdown.request();
        signals.abort();
        let grace = std::time::Duration::from_secs(state.settings.server.shutdown_timeout_secs);
        for worker in workers {
            let abort = worker.abort_handle();
            if tokio::time::timeout(grace, worker).await.is_err() {
                tracing::warn!("a background worker did not stop in time; aborted");
                abort.abort();
            }
        }
        tracing::info!("stopped");
        api.and(metrics)
    }
}

/// Waits for SIGTERM or SIGINT; `None` when the shutdown was requested otherwise first.
async fn termination_signal(shutdown: &crate::shutdown::Shutdown) -> Option<&'static str> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut term), Ok(mut int)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) else {
            tracing::error!("cannot install signal handlers");
            shutdown.requested().await;
            return None;
        };
        tokio::select! {
            _ = term.recv() => Some("SIGTERM"),
            _ = int.recv() => Some("SIGINT"),
            () = shutdown.requested() => None,
        }
    }
    #[cfg(not(unix))]
    {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => Some("ctrl-c"),
            () = shutdown.requested() => None,
        }
    }
}

fn bind(addr: SocketAddr) -> Result<TcpListener, StartupError> {
    TcpListener::bind(addr).map_err(|source| StartupError::Bind { addr, source })
}

fn local_addr(listener: &TcpListener, addr: SocketAddr) -> Result<SocketAddr, StartupError> {
    listener
        .local_addr()
        .map_err(|source| StartupError::Bind { addr, source })
}

/// Registers the configured platforms that the registry does not know yet.
fn seed_registry(settings: &Settings, db: &Database) -> Result<(), StartupError> {
    let mut seeds = Vec::new();
    for seed in &settings.platforms {
        let path = settings.resolve(&seed.certificate);
        let certs = tls::read_certificates(&path)?;
        let fingerprint = CertFingerprint::of_der(certs[0].as_ref());
        seeds.push((seed.clone(), fingerprint));
    }
    db.run_blocking(|conn| {
        crate::db::write_transaction(conn, |conn| {
            for (seed, fingerprint) in &seeds {
                let name = seed.name.clone().unwrap_or_else(|| seed.id.to_string());
                let added = platforms::insert_if_missing(
                    conn,
                    &seed.id,
                    seed.role,
                    seed.province,
                    &name,
                    fingerprint,
                )?;
                if added {
                    audit::append(
                        conn,
                        &audit::AuditEntry {
                            actor: "config",
                            action: "platform.register",
                            subject: &format!("platform:{}", seed.id),
                            request_id: "startup",
                            content_sha256: Some(fingerprint.as_str()),
                            detail: json!({"role": seed.role, "province": seed.province}),
                        },
                    )?;
                    tracing::info!(platform = %seed.id, "registered from configuration");
                }
            }
            Ok(())
        })
    })?;
    Ok(())
}

/// Installs the configured trust list (`bridge.trust_list`) and, in demo mode, the demo list and
/// the demo CAs' CRLs, unless newer data is installed already.
fn install_configured_bridge_data(
    settings: &Settings,
    bridge: &crate::bridge::Bridge,
    db: &Database,
) -> Result<(), StartupError> {
    let Ok(signer) = bridge.signer() else {
        return Ok(());
    };
    let now = crate::bridge::unix_now();
    let mut lists: Vec<(String, Vec<u8>)> = Vec::new();
    if settings.demo {
        lists.push(("demo".to_owned(), demo::TRUST_LIST.to_vec()));
    }
    if let Some(path) = &settings.bridge.trust_list {
        let path = settings.resolve(path);
        let bytes = std::fs::read(&path).map_err(|e| {
            StartupError::Config(format!("bridge.trust_list {}: {e}", path.display()))
        })?;
        lists.push(("config".to_owned(), bytes));
    }
    for (actor, bytes) in lists {
        let outcome = db.run_blocking(|conn| {
            Ok(crate::bridge::install::install_trust_list(
                conn,
                signer,
                &bytes,
                now,
                crate::db::bridge::Actor {
                    id: &actor,
                    request_id: "startup",
                },
            ))
        })?;
        match outcome {
            Ok(installed) => tracing::info!(
                sequence = installed.sequence,
                stored = ?installed.stored,
                "trust list from {actor}"
            ),
            Err(crate::bridge::install::InstallError::Refused(
                crate::db::bridge::Refused::Outdated(why),
            )) => tracing::info!(%why, "trust list from {actor} not installed: a newer one is"),
            Err(e) => {
                return Err(StartupError::Config(format!(
                    "trust list from {actor} refused: {e}"
                )));
            }
        }
    }
    if settings.demo {
        let list = db.run_blocking(crate::db::bridge::current_trust_list)?;
        let Some(list) = list else { return Ok(()) };
        let list = ca_bridge::TrustList::load(&list.signed_document, signer, now)
            .map_err(|e| StartupError::Config(format!("installed trust list: {e}")))?;
        for (name, crl) in demo::CRLS {
            let outcome = db.run_blocking(|conn| {
                Ok(crate::bridge::install::install_crl(
                    conn,
                    &list,
                    crl,
                    now,
                    "demo",
                    crate::db::bridge::Actor {
                        id: "demo",
                        request_id: "startup",
                    },
                ))
            })?;
            match outcome {
                Ok(_)
                | Err(crate::bridge::install::InstallError::Refused(
                    crate::db::bridge::Refused::Outdated(_),
                )) => {}
                Err(e) => tracing::warn!(crl = name, error = %e, "demo CRL not installed"),
            }
        }
    }
    Ok(())
}

/// Outside demo mode, refuses every certificate of the committed demo PKI.
fn refuse_demo_material(
    settings: &Settings,
    client_cas: &[Vec<rustls::pki_types::CertificateDer<'static>>],
) -> Result<(), StartupError> {
    let server = tls::read_certificates(&settings.resolve(&settings.tls.certificate))?;
    let mut named = vec![("tls.certificate".to_owned(), server)];
    for (i, certs) in client_cas.iter().enumerate() {
        named.push((format!("tls.client_ca[{i}]"), certs.clone()));
    }
    if let Some(signer) = &settings.bridge.trust_list_signer {
        named.push((
            "bridge.trust_list_signer".to_owned(),
            tls::read_certificates(&settings.resolve(signer))?,
        ));
    }
    for (i, seed) in settings.platforms.iter().enumerate() {
        named.push((
            format!("platforms[{i}].certificate"),
            tls::read_certificates(&settings.resolve(&seed.certificate))?,
        ));
    }
    if let Some(cert) = &settings.receipts.certificate {
        let configured = tls::read_certificates(&settings.resolve(cert))?;
        let demo = demo::RECEIPT_CERTIFICATE;
        let demo_der = ca_bridge::decode_pem_or_der(demo)
            .ok()
            .and_then(|b| b.into_iter().next())
            .map(|(_, der)| der);
        if configured
            .first()
            .is_some_and(|c| Some(c.as_ref()) == demo_der.as_deref())
        {
            return Err(StartupError::Config(
                "`receipts.certificate` is the committed demo receipt certificate: its private key is public. \
                 Use your own key, or run with --demo"
                    .to_owned(),
            ));
        }
    }
    for (key, certs) in named {
        for cert in certs {
            let fp = CertFingerprint::of_der(cert.as_ref());
            if demo::is_demo_certificate(&fp) {
                return Err(StartupError::Config(format!(
                    "`{key}` is a certificate of the committed demo PKI (sha256 {}): its private key is public. \
                     Use your own PKI, or run with --demo",
                    fp.as_str()
                )));
            }
        }
    }
    Ok(())
}

fn json_error(
    err: actix_web::error::JsonPayloadError,
    _req: &actix_web::HttpRequest,
) -> actix_web::Error {
    use actix_web::error::JsonPayloadError as E;
    let api = match &err {
        E::OverflowKnownLength { limit, .. } | E::Overflow { limit } => {
            ApiError::PayloadTooLarge { limit: *limit }
        }
        E::ContentType => {
            ApiError::UnsupportedMediaType("the body must be application/json".to_owned())
        }
        E::Deserialize(e) => ApiError::invalid(
            "/",
            "invalid-json",
            format!("{e} (line {}, column {})", e.line(), e.column()),
        ),
        other => ApiError::invalid("/", "invalid-body", other.to_string()),
    };
    api.into()
}

fn query_error(
    err: actix_web::error::QueryPayloadError,
    _req: &actix_web::HttpRequest,
) -> actix_web::Error {
    ApiError::invalid("?", "invalid-query", err.to_string()).into()
}

fn path_error(err: actix_web::error::PathError, _req: &actix_web::HttpRequest) -> actix_web::Error {
    ApiError::invalid("{path}", "invalid-path", err.to_string()).into()
}
