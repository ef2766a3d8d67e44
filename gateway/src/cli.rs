//! The `gateway` command line: a thin shell over the library.
//!
//! Exit codes: 0 success, 1 failure at run time (database, TLS, bind), 2 usage or configuration error.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::config::{self, DatabaseUrl, Overrides, Settings};
use crate::db::Database;
use crate::startup::{Application, StartupError};
use crate::telemetry;

/// The YRD demonstration-zone public-resource trading gateway.
#[derive(Debug, Parser)]
#[command(name = "gateway", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the HTTPS API (mutual TLS) and the metrics listener.
    Serve {
        #[command(flatten)]
        common: CommonArgs,
        /// Create (or reuse) a demo data directory: SQLite database, demo PKI, demo platforms.
        #[arg(long)]
        demo: bool,
        /// API listen address (default 127.0.0.1:8443; port 0 picks a free port).
        #[arg(long, value_name = "ADDR")]
        listen: Option<SocketAddr>,
        /// Metrics listen address (default 127.0.0.1:9464; port 0 picks a free port).
        #[arg(long, value_name = "ADDR")]
        metrics_listen: Option<SocketAddr>,
    },
    /// Apply pending database migrations and exit.
    Migrate {
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Load and check the configuration, print it (secrets masked) and exit.
    CheckConfig {
        #[command(flatten)]
        common: CommonArgs,
        /// Check the configuration as `serve --demo` would use it.
        #[arg(long)]
        demo: bool,
    },
}

#[derive(Debug, Args)]
struct CommonArgs {
    /// TOML configuration file (see ops/gateway.example.toml).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Data directory (default ./data); relative paths in the configuration are resolved against it.
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Database URL: sqlite://PATH or postgres://... (default sqlite://DATA_DIR/gateway.db).
    #[arg(long, value_name = "URL")]
    database_url: Option<String>,
}

/// Runs the command line; the binary's `main` is only this.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(message)) => {
            eprintln!("gateway: {message}");
            ExitCode::from(2)
        }
        Err(Failure::Runtime(message)) => {
            eprintln!("gateway: {message}");
            ExitCode::from(1)
        }
    }
}

enum Failure {
    Usage(String),
    Runtime(String),
}

impl From<StartupError> for Failure {
    fn from(e: StartupError) -> Self {
        match e {
            StartupError::Config(m) => Failure::Usage(m),
            other => Failure::Runtime(other.to_string()),
        }
    }
}

fn load(common: &CommonArgs, mut overrides: Overrides) -> Result<Settings, Failure> {
    overrides.data_dir = common.data_dir.clone();
    overrides.database_url = common
        .database_url
        .as_deref()
        .map(str::parse::<DatabaseUrl>)
        .transpose()
        .map_err(|e| Failure::Usage(e.to_string()))?;
    config::load(common.config.as_deref(), std::env::vars(), &overrides)
        .map_err(|e| Failure::Usage(e.to_string()))
}

fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::Serve {
            common,
            demo,
            listen,
            metrics_listen,
        } => {
            let settings = load(
                &common,
                Overrides {
                    listen,
                    metrics_listen,
                    demo,
                    ..Overrides::default()
                },
            )?;
            telemetry::init(&settings.log);
            serve(settings)
        }
        Command::Migrate { common } => {
            let settings = load(&common, Overrides::default())?;
            telemetry::init(&settings.log);
            let db = Database::connect(&settings.database_url(), &settings.database)
                .map_err(|e| Failure::Runtime(e.to_string()))?;
            let applied = db.migrate().map_err(|e| Failure::Runtime(e.to_string()))?;
            if applied.is_empty() {
                println!("migrations: up to date ({})", db.url());
            }
            for name in applied {
                println!("migrations: applied {name}");
            }
            Ok(())
        }
        Command::CheckConfig { common, demo } => {
            let settings = load(
                &common,
                Overrides {
                    demo,
                    ..Overrides::default()
                },
            )?;
            let text = toml::to_string_pretty(&settings)
                .map_err(|e| Failure::Runtime(format!("cannot print configuration: {e}")))?;
            println!(
                "# configuration OK; database: {}\n{text}",
                settings.database_url()
            );
            Ok(())
        }
    }
}

fn serve(settings: Settings) -> Result<(), Failure> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Runtime(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async move {
        let app = Application::build(settings)?;
        println!("listening api=https://{}", app.api_addr());
        println!("listening metrics=http://{}", app.metrics_addr());
        app.run_until_stopped()
            .await
            .map_err(|e| Failure::Runtime(format!("server stopped with an error: {e}")))
    })
}
