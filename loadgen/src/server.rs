//! Fresh gateway instances for the benchmark: a temporary demo data directory and a fresh
//! database (a SQLite file in that directory, or a new PostgreSQL database), built with
//! [`Application::build`] exactly as `gateway serve --demo` builds it.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, Result};
use gateway::config::{DatabaseUrl, Settings};
use gateway::startup::Application;
use tests::PostgresDatabase;

/// The database backend under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Backend {
    /// A SQLite file in the instance's temporary data directory.
    Sqlite,
    /// A new database on the server named by `--postgres-url`.
    Postgres,
}

impl Backend {
    /// The backend's name as reported.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// Demo-mode settings for one instance, tuned for measuring capacity rather than policy: the
/// per-platform rate limit is off (the default, 100 req/s, would be what we measured).
fn settings(data_dir: PathBuf, workers: usize, pool_size: u32) -> Settings {
    let mut settings = Settings {
        data_dir,
        demo: true,
        ..Settings::default()
    };
    settings.server.listen = SocketAddr::from(([127, 0, 0, 1], 0));
    settings.server.metrics_listen = SocketAddr::from(([127, 0, 0, 1], 0));
    settings.server.workers = workers;
    settings.server.shutdown_timeout_secs = 1;
    settings.database.pool_size = pool_size;
    settings.rate_limit.requests_per_second = 0;
    settings
}

/// A gateway built on a fresh data directory and database, not serving yet.
pub(crate) struct Instance {
    /// The built application (listeners bound, nothing served until it runs).
    pub(crate) app: Application,
    /// What it lives in.
    pub(crate) home: Home,
}

/// The data directory and database of an [`Instance`]; dropping it drops the PostgreSQL database
/// and deletes the directory, so keep it until the application has stopped.
pub(crate) struct Home {
    /// The data directory (`serve --demo --data-dir`).
    data_dir: PathBuf,
    // Dropped in this order: the database, then the directory.
    _postgres: Option<PostgresDatabase>,
    _dir: tempfile::TempDir,
}

/// How to build an [`Instance`].
#[derive(Debug, Clone)]
pub(crate) struct Options {
    /// The database backend.
    pub(crate) backend: Backend,
    /// PostgreSQL server to create the fresh database on (required for PostgreSQL).
    pub(crate) postgres_url: Option<String>,
    /// `server.workers` (0: one per core).
    pub(crate) workers: usize,
    /// `database.pool_size`.
    pub(crate) pool_size: u32,
    /// Take the disk flush out of commits: SQLite on tmpfs, PostgreSQL with
    /// `synchronous_commit = off` (see `--no-sync`).
    pub(crate) no_sync: bool,
    /// `database.sqlite_synchronous = "normal"` (see `--sqlite-normal-sync`).
    pub(crate) sqlite_normal_sync: bool,
}

impl Instance {
    /// Builds a gateway on a fresh database.
    pub(crate) fn build(options: &Options) -> Result<Self> {
        let dir = if options.no_sync && options.backend == Backend::Sqlite {
            tempfile::tempdir_in("/dev/shm").context("temporary directory in /dev/shm")?
        } else {
            tempfile::tempdir().context("temporary directory")?
        };
        let data_dir = dir.path().join("data");
        let mut settings = settings(data_dir.clone(), options.workers, options.pool_size);
        if options.sqlite_normal_sync {
            settings.database.sqlite_synchronous = gateway::config::SqliteSynchronous::Normal;
        }
        let postgres = match options.backend {
            Backend::Sqlite => None,
            Backend::Postgres => {
                let admin = options
                    .postgres_url
                    .as_deref()
                    .context("--postgres-url is required for postgres")?;
                let db = PostgresDatabase::create_on(admin, "loadgen", options.no_sync)
                    .map_err(anyhow::Error::msg)?;
                settings.database.url = Some(DatabaseUrl::Postgres(db.url().to_owned()));
                Some(db)
            }
        };
        settings.validate().context("benchmark settings")?;
        let app = Application::build(settings).context("the gateway did not start")?;
        Ok(Instance {
            app,
            home: Home {
                data_dir,
                _postgres: postgres,
                _dir: dir,
            },
        })
    }
}

impl Home {
    /// The demo PKI the instance wrote (`DATA_DIR/pki`).
    pub(crate) fn pki(&self) -> PathBuf {
        self.data_dir.join("pki")
    }
}
