//! `loadgen publish`: the publishing benchmark of the announcement exchange.
//!
//! It exists because no off-the-shelf load tool fits: publishing the same body twice is idempotent
//! (`200`, nothing stored), so an insert benchmark needs a distinct document per request, and tools
//! such as `oha` send one fixed body. In one run it:
//!
//! 1. builds the real gateway in-process (`Application::build`, demo PKI, mutual TLS, port 0, a fresh
//!    SQLite or PostgreSQL database, rate limit off) and serves it;
//! 2. POSTs distinct Jiangsu announcements over mutual TLS with `C` requests in flight, after a
//!    warm-up, expecting `201` for every one;
//! 3. stops it, builds a second instance on a fresh database of the same backend, prepares the same
//!    documents outside the clock and times `gateway::db::announcements::publish` directly, on one
//!    connection and from `C` threads through the pool;
//! 4. prints a table and one JSON line, and exits 1 if any request or insert failed.
//!
//! The gateway runs in this process rather than as the `gateway` binary: it is built from the
//! same `Settings` the end-to-end tests use (no config file, no parsing of `listening` lines), its
//! database is created and dropped here, and both phases see identical settings. The client shares
//! the machine's cores with the server either way, as `oha` would.
//!
//! See `ops/bench/README.md` for how to run it and the measured figures.

mod documents;
mod load;
mod raw;
mod report;
mod server;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

use crate::load::LoadResult;
use crate::report::{Report, Summary};
use crate::server::{Backend, Instance};

/// Load generator for the gateway's publishing path.
#[derive(Debug, Parser)]
#[command(name = "loadgen")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The benchmarks.
#[derive(Debug, Subcommand)]
enum Command {
    /// Publish distinct announcements over mutual TLS, then time the same inserts without HTTP.
    Publish(PublishArgs),
}

/// Options of `loadgen publish`.
#[derive(Debug, clap::Args)]
struct PublishArgs {
    /// Database backend.
    #[arg(long, value_enum, default_value = "sqlite")]
    backend: Backend,
    /// PostgreSQL server to create the (temporary) benchmark databases on, e.g.
    /// `postgres:///postgres?host=/var/run/postgresql`.
    #[arg(long, env = "LOADGEN_POSTGRES_URL")]
    postgres_url: Option<String>,
    /// Measured requests (and inserts per baseline mode).
    #[arg(long, default_value_t = 2000)]
    requests: usize,
    /// Requests in flight (and baseline threads through the pool).
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Requests (and inserts) before measuring, not counted.
    #[arg(long, default_value_t = 200)]
    warmup: usize,
    /// HTTP worker threads of the gateway (`server.workers`; 0 is one per core).
    #[arg(long, default_value_t = 0)]
    workers: usize,
    /// Database pool size of the gateway and of the baseline (`database.pool_size`).
    #[arg(long, default_value_t = 8)]
    pool_size: u32,
    /// Take the disk flush out of every commit, to measure the CPU cost of each path: the SQLite
    /// file on tmpfs (`/dev/shm`), PostgreSQL databases with `synchronous_commit = off`. Not a
    /// configuration to run the gateway with.
    #[arg(long)]
    no_sync: bool,
    /// SQLite only: run with `database.sqlite_synchronous = "normal"` (the WAL synced at
    /// checkpoints) instead of the default "full" (every commit synced).
    #[arg(long)]
    sqlite_normal_sync: bool,
    /// Gateway log filter on standard error (e.g. `warn`, `gateway=debug`); off by default.
    #[arg(long)]
    log: Option<String>,
}

impl PublishArgs {
    /// How to build each gateway instance.
    fn instance(&self) -> server::Options {
        server::Options {
            backend: self.backend,
            postgres_url: self.postgres_url.clone(),
            workers: self.workers,
            pool_size: self.pool_size,
            no_sync: self.no_sync,
            sqlite_normal_sync: self.sqlite_normal_sync,
        }
    }

    /// The backend with the variation that changes what is measured, e.g. `sqlite+nosync`.
    fn label(&self) -> String {
        let mut label = self.backend.as_str().to_owned();
        if self.sqlite_normal_sync && self.backend == Backend::Sqlite {
            label += "+normal";
        }
        if self.no_sync {
            label += "+nosync";
        }
        label
    }
}

/// The document sets of one run: every notice is new wherever it is published.
struct Documents {
    /// Published (HTTP) and inserted (baseline) before measuring.
    warmup: Vec<Vec<u8>>,
    /// Measured over HTTP, and the same documents on one connection in the baseline.
    measured: Arc<Vec<Vec<u8>>>,
    /// Inserted from `concurrency` threads in the baseline (after `measured`, same database).
    pooled: Vec<Vec<u8>>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("loadgen: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let Command::Publish(args) = cli.command;
    if let Some(level) = &args.log {
        gateway::telemetry::init(&gateway::config::LogSettings {
            level: level.clone(),
            ..Default::default()
        });
    }
    match runtime.block_on(publish(args)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("loadgen: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the benchmark and prints the report; `Ok(false)` when something failed.
async fn publish(args: PublishArgs) -> Result<bool> {
    let run = uuid::Uuid::new_v4().simple().to_string()[..8].to_owned();
    let docs = Documents {
        warmup: documents::jiangsu_tenders(&run, "W", args.warmup)?,
        measured: Arc::new(documents::jiangsu_tenders(&run, "M", args.requests)?),
        pooled: documents::jiangsu_tenders(&run, "P", args.requests)?,
    };
    let mut failures = Vec::new();

    eprintln!(
        "loadgen: {} over HTTP: {} warm-up + {} requests, {} in flight",
        args.label(),
        args.warmup,
        args.requests,
        args.concurrency
    );
    let mut http = http_phase(&args, &docs, &mut failures).await?;

    eprintln!("loadgen: {} raw inserts (no HTTP)", args.label());
    let mut raw = raw_phase(&args, &docs).await?;
    collect_failures("raw warm-up", &raw.warmup, &mut failures);
    collect_failures("raw sequential", &raw.sequential, &mut failures);
    collect_failures("raw pooled", &raw.pooled, &mut failures);

    let report = Report {
        backend: args.label(),
        requests: args.requests,
        concurrency: args.concurrency,
        http: Summary::of(&mut http),
        raw_sequential: Summary::of(&mut raw.sequential),
        raw_pooled: Summary::of(&mut raw.pooled),
        prepare_per_sec: args.requests as f64 / raw.prepare.as_secs_f64().max(f64::EPSILON),
    };
    print!("{}", report.table());
    let mut json = report.json();
    json["warmup"] = args.warmup.into();
    json["gateway_workers"] = args.workers.into();
    json["pool_size"] = args.pool_size.into();
    json["no_sync"] = args.no_sync.into();
    json["sqlite_normal_sync"] = args.sqlite_normal_sync.into();
    println!("{json}");

    for f in failures.iter().take(20) {
        eprintln!("loadgen: FAILED {f}");
    }
    if !failures.is_empty() {
        eprintln!("loadgen: {} failures", failures.len());
    }
    Ok(failures.is_empty())
}

/// Serves a fresh gateway, warms it up, measures the publishing load and stops it.
async fn http_phase(
    args: &PublishArgs,
    docs: &Documents,
    failures: &mut Vec<String>,
) -> Result<LoadResult> {
    let Instance { app, home } = Instance::build(&args.instance())?;
    let url = format!("https://{}/v1/announcements", app.api_addr());
    let (api, metrics) = app.handles();
    let server = tokio::spawn(app.run_until_stopped());
    let client = load::mtls_client(&home.pki(), documents::PLATFORM)?;

    let post = |bodies| {
        load::post_all(
            &client,
            &url,
            documents::CONTENT_TYPE,
            bodies,
            args.concurrency,
            201,
        )
    };
    let warm = post(Arc::new(docs.warmup.clone())).await?;
    collect_failures("http warm-up", &warm, failures);
    let measured = post(docs.measured.clone()).await?;
    collect_failures("http", &measured, failures);

    api.stop(true).await;
    metrics.stop(true).await;
    match server.await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => eprintln!("loadgen: the gateway stopped with an error: {e}"),
        Err(e) => eprintln!("loadgen: the gateway task failed: {e}"),
    }
    drop(home);
    Ok(measured)
}

/// What the baseline measured.
struct RawRuns {
    /// Inserts before measuring.
    warmup: LoadResult,
    /// The measured set, one connection, one insert after another.
    sequential: LoadResult,
    /// The pooled set from `concurrency` threads.
    pooled: LoadResult,
    /// Time to prepare the measured set (validate, translate, hash) on one thread.
    prepare: Duration,
}

/// Builds a second gateway on a fresh database (never served), prepares the documents outside the
/// insert timings, then times the inserts: warm-up, measured on one connection, the pooled set from
/// `concurrency` threads.
async fn raw_phase(args: &PublishArgs, docs: &Documents) -> Result<RawRuns> {
    let Instance { app, home } = Instance::build(&args.instance())?;
    let db = app.database().clone();
    let state = app.state().clone();
    let warmup = raw::prepare(&state, documents::PLATFORM, &docs.warmup)?;
    let started = Instant::now();
    let measured = raw::prepare(&state, documents::PLATFORM, &docs.measured)?;
    let prepare = started.elapsed();
    let pooled = raw::prepare(&state, documents::PLATFORM, &docs.pooled)?;
    drop((state, app)); // never served: only its preparation and its database are used
    let threads = args.concurrency;
    let runs = tokio::task::spawn_blocking(move || -> Result<_> {
        Ok(RawRuns {
            warmup: raw::sequential(&db, &warmup)?,
            sequential: raw::sequential(&db, &measured)?,
            pooled: raw::pooled(&db, &pooled, threads)?,
            prepare,
        })
    })
    .await
    .context("the baseline thread panicked")?;
    drop(home);
    runs
}

/// Adds a run's failures, labelled with its phase, to the list reported at the end.
fn collect_failures(phase: &str, result: &LoadResult, into: &mut Vec<String>) {
    into.extend(result.failures.iter().map(|f| format!("{phase}: {f}")));
}
