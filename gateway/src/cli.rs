//! The `gateway` command line: a thin shell over the library.
//!
//! Exit codes: 0 success, 1 failure at run time (database, TLS, bind), 2 usage or configuration error.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::config::{self, DatabaseUrl, Overrides, Settings};
use crate::db::Database;
use crate::problem::ApiError;
use crate::startup::{Application, StartupError};
use crate::telemetry;
use interchange::Dialect;

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
    /// Translate an announcement: the result on stdout (warnings on stderr), exit 0; or the
    /// problem document on stdout, exit 1, when the input has errors.
    Translate {
        /// Source format: canonical, shanghai, jiangsu, zhejiang.
        #[arg(long, value_name = "DIALECT")]
        from: String,
        /// Target format: canonical, shanghai, jiangsu, zhejiang, ocds.
        #[arg(long, value_name = "DIALECT")]
        to: String,
        /// TOML configuration file (for the `[validation]` settings).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// The document; `-` or nothing reads standard input.
        file: Option<PathBuf>,
    },
    /// Validate an announcement: `{"valid":true,...}` on stdout (warnings on stderr), exit 0; or
    /// the problem document on stdout, exit 1.
    Validate {
        /// The document's format: canonical, shanghai, jiangsu, zhejiang.
        #[arg(long, value_name = "DIALECT")]
        dialect: String,
        /// TOML configuration file (for the `[validation]` settings).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// The document; `-` reads standard input.
        file: PathBuf,
    },
    /// Write a consistent copy of the SQLite database to FILE while the gateway runs (`VACUUM
    /// INTO`), checked with `PRAGMA integrity_check`; never overwrites. For PostgreSQL use
    /// `pg_dump` (ops/RUNBOOK.md, "Backup and restore").
    Backup {
        #[command(flatten)]
        common: CommonArgs,
        /// Where to write the copy (must not exist).
        #[arg(long, value_name = "FILE")]
        to: PathBuf,
    },
    /// Report, per kind of record (announcements, audit, receipts), the configured retention
    /// period, how many records there are, how many have passed their period, and the oldest;
    /// one JSON object per line. Nothing is deleted.
    Retention {
        #[command(flatten)]
        common: CommonArgs,
        /// The time to report at (RFC 3339; default now).
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
    },
    /// Manage the trust list of the CA bridge in the database.
    TrustList {
        #[command(subcommand)]
        action: TrustListCommand,
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

#[derive(Debug, Subcommand)]
enum TrustListCommand {
    /// Install a signed trust list (checked against `bridge.trust_list_signer`) unless a list
    /// with a higher sequence is installed: exit 0 installed or already installed, 1 refused,
    /// 2 usage error or an unreadable file.
    Install {
        #[command(flatten)]
        common: CommonArgs,
        /// Use the demo data directory's settings (demo operator certificate).
        #[arg(long)]
        demo: bool,
        /// The signed trust list (JSON envelope, see `ca-bridge trust-list sign`).
        file: PathBuf,
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
        Err(Failure::Invalid) => ExitCode::from(1),
    }
}

enum Failure {
    Usage(String),
    Runtime(String),
    /// The input document has errors; the problem document was printed.
    Invalid,
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
        Command::Backup { common, to } => {
            let settings = load(&common, Overrides::default())?;
            telemetry::init(&settings.log);
            let url = settings.database_url();
            match &url {
                DatabaseUrl::Postgres(_) => {
                    return Err(Failure::Usage(format!(
                        "{url} is PostgreSQL: back it up with pg_dump -Fc (see ops/RUNBOOK.md)"
                    )));
                }
                // Connecting would create a missing file: a mistyped path must not "succeed".
                DatabaseUrl::Sqlite(path) if !path.is_file() => {
                    return Err(Failure::Usage(format!("no database at {}", path.display())));
                }
                DatabaseUrl::Sqlite(_) => {}
            }
            let db = Database::connect(&url, &settings.database)
                .map_err(|e| Failure::Runtime(e.to_string()))?;
            let bytes =
                crate::db::backup::sqlite(&db, &to).map_err(|e| Failure::Runtime(e.to_string()))?;
            println!(
                "backup: wrote {} ({bytes} bytes, mode 0600, integrity ok) from {url}",
                to.display()
            );
            Ok(())
        }
        Command::Retention { common, at } => {
            let settings = load(&common, Overrides::default())?;
            telemetry::init(&settings.log);
            let now = match at {
                Some(text) => time::OffsetDateTime::parse(
                    &text,
                    &time::format_description::well_known::Rfc3339,
                )
                .map_err(|e| Failure::Usage(format!("--at {text}: not an RFC 3339 time ({e})")))?,
                None => time::OffsetDateTime::now_utc(),
            };
            let db = Database::connect(&settings.database_url(), &settings.database)
                .map_err(|e| Failure::Runtime(e.to_string()))?;
            let report = db
                .run_blocking(|conn| crate::retention::report(conn, &settings.retention, now))
                .map_err(|e| Failure::Runtime(e.to_string()))?;
            for kind in report {
                println!("{}", serde_json::json!(kind));
            }
            Ok(())
        }
        Command::TrustList {
            action: TrustListCommand::Install { common, demo, file },
        } => {
            let mut settings = load(
                &common,
                Overrides {
                    demo,
                    ..Overrides::default()
                },
            )?;
            telemetry::init(&settings.log);
            install_trust_list(&mut settings, &file)
        }
        Command::Translate {
            from,
            to,
            config,
            file,
        } => {
            let from = parse_dialect(&from, true)?;
            let to = parse_dialect(&to, false)?;
            let input = read_input(file.as_deref())?;
            let translated = translate_document(config.as_deref(), from, to, &input)?;
            use std::io::Write;
            std::io::stdout()
                .write_all(&translated)
                .map_err(|e| Failure::Runtime(format!("cannot write the result: {e}")))
        }
        Command::Validate {
            dialect,
            config,
            file,
        } => {
            let dialect = parse_dialect(&dialect, true)?;
            let input = read_input(Some(&file))?;
            translate_document(config.as_deref(), dialect, Dialect::Canonical, &input)?;
            println!(
                "{}",
                serde_json::json!({"valid": true, "dialect": dialect.name()})
            );
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

fn parse_dialect(name: &str, input: bool) -> Result<Dialect, Failure> {
    let d: Dialect = name
        .parse()
        .map_err(|e: interchange::UnknownDialect| Failure::Usage(e.to_string()))?;
    if input && !d.is_input() {
        return Err(Failure::Usage(format!("`{d}` is an output format only")));
    }
    Ok(d)
}

fn read_input(file: Option<&std::path::Path>) -> Result<Vec<u8>, Failure> {
    use std::io::Read;
    match file {
        None => {
            let mut buffer = Vec::new();
            std::io::stdin()
                .read_to_end(&mut buffer)
                .map_err(|e| Failure::Usage(format!("cannot read standard input: {e}")))?;
            Ok(buffer)
        }
        Some(path) if path.as_os_str() == "-" => read_input(None),
        Some(path) => std::fs::read(path)
            .map_err(|e| Failure::Usage(format!("cannot read {}: {e}", path.display()))),
    }
}

/// `gateway trust-list install FILE`.
fn install_trust_list(settings: &mut Settings, file: &std::path::Path) -> Result<(), Failure> {
    if settings.demo {
        crate::demo::prepare(settings).map_err(|e| Failure::Runtime(e.to_string()))?;
    }
    let signed = std::fs::read(file)
        .map_err(|e| Failure::Usage(format!("cannot read {}: {e}", file.display())))?;
    let signer_path = settings
        .bridge
        .trust_list_signer
        .as_ref()
        .map(|p| settings.resolve(p))
        .ok_or_else(|| {
            Failure::Usage(
                "bridge.trust_list_signer is not set: the operator certificate that signs trust lists"
                    .to_owned(),
            )
        })?;
    let bridge = crate::bridge::Bridge::new(Some(&signer_path), &settings.bridge)
        .map_err(|e| Failure::Usage(e.to_string()))?;
    let signer = bridge.signer().map_err(|e| Failure::Usage(e.to_string()))?;
    let db = Database::connect(&settings.database_url(), &settings.database)
        .map_err(|e| Failure::Runtime(e.to_string()))?;
    db.check_migrations()
        .map_err(|e| Failure::Runtime(format!("{e} (run `gateway migrate` first)")))?;
    let request_id = format!("cli-{}", uuid::Uuid::new_v4());
    let outcome = db
        .run_blocking(|conn| {
            Ok(crate::bridge::install::install_trust_list(
                conn,
                signer,
                &signed,
                crate::bridge::unix_now(),
                crate::db::bridge::Actor {
                    id: "cli",
                    request_id: &request_id,
                },
            ))
        })
        .map_err(|e| Failure::Runtime(e.to_string()))?;
    match outcome {
        Ok(installed) => {
            println!(
                "{}",
                serde_json::json!({
                    "sequence": installed.sequence,
                    "installed": installed.stored == crate::db::bridge::Stored::Installed,
                })
            );
            Ok(())
        }
        Err(e) => {
            let problem = ApiError::from(e).problem();
            println!(
                "{}",
                serde_json::to_string_pretty(&problem).unwrap_or_default()
            );
            Err(Failure::Invalid)
        }
    }
}

/// Translates with the configured validation policy; warnings go to stderr, a problem document
/// with every finding to stdout.
fn translate_document(
    config: Option<&std::path::Path>,
    from: Dialect,
    to: Dialect,
    input: &[u8],
) -> Result<Vec<u8>, Failure> {
    let settings = config::load(config, std::env::vars(), &Overrides::default())
        .map_err(|e| Failure::Usage(e.to_string()))?;
    let tables = interchange::Tables::builtin()
        .map_err(|e| Failure::Runtime(format!("announcement code tables: {e}")))?;
    match interchange::translate(from, to, input, &tables, &settings.validation.policy()) {
        Ok(translated) => {
            for w in &translated.warnings {
                eprintln!(
                    "warning: {} at {}: {} / {}",
                    w.code, w.path, w.message_en, w.message_zh
                );
            }
            Ok(translated.bytes)
        }
        Err(findings) => {
            let problem = ApiError::from(findings).problem();
            let text = serde_json::to_string_pretty(&problem)
                .map_err(|e| Failure::Runtime(format!("cannot print the findings: {e}")))?;
            println!("{text}");
            Err(Failure::Invalid)
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
