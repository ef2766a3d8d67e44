//! End-to-end test support for the gateway.
//!
//! Two ways to run the real gateway:
//!
//! - **In process**, for behavioural tests: [`TestApp::builder`] (or [`spawn_app`]) builds the server
//!   with [`gateway::startup::Application::build`] as `gateway serve --demo` does: demo PKI written
//!   into a fresh temporary data directory, both listeners on port 0, real TLS with mutual
//!   authentication, and a fresh database: a SQLite file in that directory, or a uniquely named
//!   PostgreSQL database created for the test (see [`Backend`]) and dropped with the app. The server
//!   is `tokio::spawn`ed; [`TestApp::client`] gives an HTTPS client presenting one of the demo
//!   certificates ([`Cert`]), [`TestApp::scrape`] reads `/metrics` into a [`Scrape`], and
//!   [`expect_problem`] checks a problem document.
//! - **As a child process**, for command-line tests: [`command`] prepares a [`Command`] for the
//!   binary (the integration tests pass `env!("CARGO_BIN_EXE_gateway-e2e")`, a thin `main` over
//!   [`gateway::cli::main`]), [`run`] runs it to completion under a deadline, and
//!   [`ServeProcess::start`] runs `serve` and waits, under a deadline, for the `listening ...` lines.
//!
//! Behavioural tests run on both backends through [`on_both_backends!`]. The PostgreSQL lane needs
//! `GATEWAY_TEST_POSTGRES_URL`: a database the tests can connect to and `CREATE DATABASE` from, e.g.
//! `postgres:///gateway_test?host=/var/run/postgresql`. Without it the PostgreSQL tests print
//! `SKIPPED (postgres): ...` to standard error and pass, except when `CI=true`: there they fail,
//! because CI must run them.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use actix_web::dev::ServerHandle;
use diesel::{Connection, PgConnection, RunQueryDsl};
use gateway::config::{DatabaseUrl, Settings};
use gateway::registry::CertFingerprint;
use gateway::startup::Application;

/// The environment variable that enables the PostgreSQL lane.
pub const POSTGRES_URL_VAR: &str = "GATEWAY_TEST_POSTGRES_URL";

/// The media type of every error response.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Upper bound for anything a test waits for (start-up, a child process, a request). Generous on
/// purpose: it only turns a hang into a failure, it is not a performance assertion.
pub const DEADLINE: Duration = Duration::from_secs(60);

/// The workspace root (the parent of this crate).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate lives inside the workspace")
        .to_path_buf()
}

/// The committed seeds, `seeds/`.
pub fn seeds() -> PathBuf {
    workspace_root().join("seeds")
}

/// A valid sample announcement, `seeds/announcements/DIALECT/ok/NAME.{xml,json}` (XML for
/// Shanghai).
///
/// # Panics
/// When the file is missing.
pub fn sample_announcement(dialect: &str, name: &str) -> Vec<u8> {
    let ext = if dialect == "shanghai" { "xml" } else { "json" };
    let path = seeds()
        .join("announcements")
        .join(dialect)
        .join("ok")
        .join(format!("{name}.{ext}"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The committed demo PKI, `seeds/pki/`.
pub fn seeds_pki() -> PathBuf {
    workspace_root().join("seeds").join("pki")
}

/// Whether the environment says this is CI (`CI=true`), where nothing may be skipped.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

// ---------------------------------------------------------------------------------------------
// Backends
// ---------------------------------------------------------------------------------------------

/// The database backend a behavioural test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file in the test's data directory.
    Sqlite,
    /// A fresh database on the server named by `GATEWAY_TEST_POSTGRES_URL`.
    Postgres,
}

impl Backend {
    /// The backend's name as the gateway reports it (`/readyz`).
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// The PostgreSQL URL of the test lane, if configured (empty counts as unset).
pub fn postgres_url() -> Option<String> {
    std::env::var(POSTGRES_URL_VAR)
        .ok()
        .filter(|v| !v.trim().is_empty())
}

/// Decides whether the PostgreSQL variant of `test` runs. Returns `true` (skip) after printing a
/// loud notice when `GATEWAY_TEST_POSTGRES_URL` is unset; panics instead when `CI=true`.
pub fn postgres_lane_skipped(test: &str) -> bool {
    if postgres_url().is_some() {
        return false;
    }
    assert!(
        !in_ci(),
        "CI=true but {POSTGRES_URL_VAR} is not set: the PostgreSQL lane must run in CI ({test})"
    );
    eprintln!(
        "SKIPPED (postgres): set {POSTGRES_URL_VAR} (e.g. postgres:///gateway_test?host=/var/run/postgresql) \
         to run postgres::{test}"
    );
    true
}

/// Generates, for each named `async fn NAME(backend: Backend)` of the calling module, the tests
/// `sqlite::NAME` and `postgres::NAME` (see [`postgres_lane_skipped`] for when the latter skips).
///
/// ```
/// use tests::Backend;
///
/// tests::on_both_backends!(starts_on_each_backend);
///
/// async fn starts_on_each_backend(backend: Backend) {
///     let app = tests::spawn_app(backend).await;
///     assert_eq!(app.backend(), backend);
/// }
/// # fn main() {}
/// ```
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),+ $(,)?) => {
        /// The behavioural tests of this file on SQLite.
        mod sqlite {
            $(
                #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::Backend::Sqlite).await;
                }
            )+
        }

        /// The behavioural tests of this file on PostgreSQL (`GATEWAY_TEST_POSTGRES_URL`).
        mod postgres {
            $(
                #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if $crate::postgres_lane_skipped(stringify!($name)) {
                        return;
                    }
                    super::$name($crate::Backend::Postgres).await;
                }
            )+
        }
    };
}

/// A PostgreSQL database created for one test and dropped (with its connections) afterwards.
#[derive(Debug)]
pub struct PostgresDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl PostgresDatabase {
    /// Creates a uniquely named database on the server of `GATEWAY_TEST_POSTGRES_URL`.
    ///
    /// # Panics
    /// When the variable is unset or the server refuses (with libpq's message).
    pub fn create() -> Self {
        let admin_url = postgres_url().unwrap_or_else(|| panic!("{POSTGRES_URL_VAR} is not set"));
        Self::create_on(&admin_url, "gw_test", false).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Creates `PREFIX_<uuid>` on the server of `admin_url` (a database the role may connect to,
    /// e.g. `postgres`), with `synchronous_commit = off` as its default when `no_sync` (for
    /// benchmarks measuring CPU cost). Errors carry libpq's message.
    pub fn create_on(admin_url: &str, prefix: &str, no_sync: bool) -> Result<Self, String> {
        let name = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
        let mut conn = PgConnection::establish(admin_url)
            .map_err(|e| format!("cannot connect to {admin_url}: {e}"))?;
        diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
            .execute(&mut conn)
            .map_err(|e| format!("CREATE DATABASE {name}: {e}"))?;
        if no_sync {
            diesel::sql_query(format!(
                "ALTER DATABASE \"{name}\" SET synchronous_commit = off"
            ))
            .execute(&mut conn)
            .map_err(|e| format!("ALTER DATABASE {name}: {e}"))?;
        }
        Ok(PostgresDatabase {
            url: with_database_name(admin_url, &name),
            admin_url: admin_url.to_owned(),
            name,
        })
    }

    /// The URL of the new database.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for PostgresDatabase {
    fn drop(&mut self) {
        let dropped = PgConnection::establish(&self.admin_url)
            .map_err(|e| e.to_string())
            .and_then(|mut conn| {
                diesel::sql_query(format!(
                    "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                    self.name
                ))
                .execute(&mut conn)
                .map_err(|e| e.to_string())
            });
        if let Err(e) = dropped {
            eprintln!("note: could not drop test database {}: {e}", self.name);
        }
    }
}

/// Replaces the database name (the URL path) of a `postgres://` URL, keeping authority and query.
pub fn with_database_name(url: &str, name: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("postgres", url));
    let (before_query, query) = match rest.split_once('?') {
        Some((before, query)) => (before, Some(query)),
        None => (rest, None),
    };
    let authority = before_query.split('/').next().unwrap_or("");
    match query {
        Some(query) => format!("{scheme}://{authority}/{name}?{query}"),
        None => format!("{scheme}://{authority}/{name}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Demo certificates
// ---------------------------------------------------------------------------------------------

/// The demo trust list's source (`seeds/trust-list.source.json`) with `sequence` and an
/// `issued_at` of 2026-11-29, changed by `edit`, signed by the demo bridge operator
/// (`seeds/pki/bridge-operator.*`): a list `PUT /v1/admin/trust-list` accepts.
///
/// # Panics
/// When the seeds are missing or signing fails.
pub fn signed_demo_trust_list(sequence: u64, edit: impl FnOnce(&mut serde_json::Value)) -> String {
    let seeds = workspace_root().join("seeds");
    let text = std::fs::read_to_string(seeds.join("trust-list.source.json")).expect("source");
    let mut list: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    list["sequence"] = sequence.into();
    list["issued_at"] = "2026-11-29T00:00:00Z".into();
    edit(&mut list);
    let pem = std::fs::read(seeds.join("pki/bridge-operator.pem")).expect("operator certificate");
    let der = ca_bridge::decode_pem_or_der(&pem).expect("pem")[0]
        .1
        .clone();
    let signer =
        ca_bridge::TrustListSigner::new(ca_bridge::Certificate::from_der(&der).expect("cert"))
            .expect("signer");
    let key = std::fs::read(seeds.join("pki/bridge-operator.key")).expect("operator key");
    ca_bridge::sign_trust_list(&serde_json::to_vec(&list).expect("JSON"), &key, &signer)
        .expect("signed")
}

/// A client certificate of the demo PKI (`pki/platforms/NAME.pem` + `.key`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cert {
    /// Shanghai's platform (ECDSA P-256).
    Shanghai,
    /// Jiangsu's platform (RSA-2048).
    Jiangsu,
    /// Zhejiang's platform (ECDSA P-256).
    Zhejiang,
    /// The operator.
    Operator,
    /// Issued by an unrelated CA.
    Intruder,
    /// Issued by the platform CA (CN `shanghai`) but expired in 2021.
    Expired,
}

impl Cert {
    /// The three demo platforms.
    pub const PLATFORMS: [Cert; 3] = [Cert::Shanghai, Cert::Jiangsu, Cert::Zhejiang];

    /// The file stem, which is also the registry id for the registered ones.
    pub fn name(self) -> &'static str {
        match self {
            Cert::Shanghai => "shanghai",
            Cert::Jiangsu => "jiangsu",
            Cert::Zhejiang => "zhejiang",
            Cert::Operator => "operator",
            Cert::Intruder => "intruder",
            Cert::Expired => "expired",
        }
    }

    /// The certificate's PEM file under a PKI directory laid out like `seeds/pki/`.
    pub fn pem(self, pki: &Path) -> PathBuf {
        pki.join("platforms").join(format!("{}.pem", self.name()))
    }

    /// The private key's PEM file under a PKI directory laid out like `seeds/pki/`.
    pub fn key(self, pki: &Path) -> PathBuf {
        pki.join("platforms").join(format!("{}.key", self.name()))
    }

    /// The SHA-256 fingerprint (hex) of the certificate's DER, as the registry stores it.
    pub fn fingerprint(self, pki: &Path) -> String {
        fingerprint_of(&self.pem(pki))
    }
}

/// The SHA-256 fingerprint (hex) of the first certificate in a PEM file.
pub fn fingerprint_of(pem: &Path) -> String {
    let certs = gateway::tls::read_certificates(pem)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", pem.display()));
    CertFingerprint::of_der(certs[0].as_ref())
        .as_str()
        .to_owned()
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// An HTTPS client builder that trusts only `PKI/server-ca.pem` and, when `cert` is given, presents
/// that client certificate. Returned as a builder so a test can add e.g. `.http1_only()`.
pub fn https_client_builder(pki: &Path, cert: Option<Cert>) -> reqwest::ClientBuilder {
    let server_ca = reqwest::Certificate::from_pem(&read(&pki.join("server-ca.pem")))
        .expect("server-ca.pem is a PEM certificate");
    let mut builder = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(server_ca)
        .no_proxy()
        .timeout(DEADLINE);
    if let Some(cert) = cert {
        let mut pem = read(&cert.pem(pki));
        pem.push(b'\n');
        pem.extend(read(&cert.key(pki)));
        let identity = reqwest::Identity::from_pem(&pem)
            .unwrap_or_else(|e| panic!("{} certificate + key: {e}", cert.name()));
        builder = builder.identity(identity);
    }
    builder
}

/// A plain-HTTP client for the metrics listener (no proxy).
pub fn plain_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(DEADLINE)
        .build()
        .expect("plain HTTP client")
}

// ---------------------------------------------------------------------------------------------
// The in-process application
// ---------------------------------------------------------------------------------------------

/// Starts the gateway in demo mode on `backend` with default knobs; see [`TestApp::builder`].
pub async fn spawn_app(backend: Backend) -> TestApp {
    TestApp::builder().backend(backend).build().await
}

/// A settings hook applied last by [`TestAppBuilder::configure`].
type Configure = Box<dyn FnOnce(&mut Settings) + Send>;

/// Knobs for [`TestApp`]; start from [`TestApp::builder`].
#[must_use]
pub struct TestAppBuilder {
    backend: Backend,
    rate_limit: Option<(u32, u32)>,
    max_body_bytes: Option<usize>,
    migrate_on_start: bool,
    configure: Vec<Configure>,
}

impl TestAppBuilder {
    /// The database backend (default SQLite).
    pub fn backend(mut self, backend: Backend) -> Self {
        self.backend = backend;
        self
    }

    /// `rate_limit.requests_per_second` and `rate_limit.burst` (default: the gateway's defaults).
    pub fn rate_limit(mut self, requests_per_second: u32, burst: u32) -> Self {
        self.rate_limit = Some((requests_per_second, burst));
        self
    }

    /// `limits.max_body_bytes`.
    pub fn max_body_bytes(mut self, limit: usize) -> Self {
        self.max_body_bytes = Some(limit);
        self
    }

    /// `database.migrate_on_start` (default `true`); `false` on a fresh database leaves it unmigrated.
    pub fn migrate_on_start(mut self, migrate: bool) -> Self {
        self.migrate_on_start = migrate;
        self
    }

    /// Any other change to the settings, applied after the knobs above.
    pub fn configure(mut self, f: impl FnOnce(&mut Settings) + Send + 'static) -> Self {
        self.configure.push(Box::new(f));
        self
    }

    /// Creates the data directory and database, builds the application and spawns it.
    ///
    /// # Panics
    /// When the gateway does not start (the error is in the message).
    pub async fn build(self) -> TestApp {
        let dir = tempfile::tempdir().expect("temporary directory");
        let data_dir = dir.path().join("data");
        let mut settings = Settings {
            data_dir: data_dir.clone(),
            demo: true,
            ..Settings::default()
        };
        settings.server.listen = SocketAddr::from(([127, 0, 0, 1], 0));
        settings.server.metrics_listen = SocketAddr::from(([127, 0, 0, 1], 0));
        settings.server.workers = 2;
        settings.server.shutdown_timeout_secs = 1;
        settings.database.pool_size = 4;
        settings.database.migrate_on_start = self.migrate_on_start;
        let postgres = match self.backend {
            Backend::Sqlite => None,
            Backend::Postgres => {
                let db = PostgresDatabase::create();
                settings.database.url = Some(DatabaseUrl::Postgres(db.url().to_owned()));
                Some(db)
            }
        };
        if let Some((rps, burst)) = self.rate_limit {
            settings.rate_limit.requests_per_second = rps;
            settings.rate_limit.burst = burst;
        }
        if let Some(limit) = self.max_body_bytes {
            settings.limits.max_body_bytes = limit;
        }
        for f in self.configure {
            f(&mut settings);
        }
        settings
            .validate()
            .unwrap_or_else(|e| panic!("test settings are invalid: {e}"));
        let app = Application::build(settings)
            .unwrap_or_else(|e| panic!("the gateway did not start: {e}"));
        let database_url = app.database().url().clone();
        let api_addr = app.api_addr();
        let metrics_addr = app.metrics_addr();
        let (api_handle, metrics_handle) = app.handles();
        tokio::spawn(async move {
            if let Err(e) = app.run_until_stopped().await {
                eprintln!("the test gateway stopped with an error: {e}");
            }
        });
        TestApp {
            backend: self.backend,
            api_addr,
            metrics_addr,
            data_dir,
            database_url,
            handles: [api_handle, metrics_handle],
            _postgres: postgres,
            _dir: dir,
        }
    }
}

/// A running gateway with its own data directory and database; stopped (and its PostgreSQL
/// database dropped) when dropped.
pub struct TestApp {
    backend: Backend,
    api_addr: SocketAddr,
    metrics_addr: SocketAddr,
    data_dir: PathBuf,
    database_url: DatabaseUrl,
    handles: [ServerHandle; 2],
    // Dropped after the servers are told to stop (field order).
    _postgres: Option<PostgresDatabase>,
    _dir: tempfile::TempDir,
}

impl TestApp {
    /// Knobs with defaults: SQLite, the gateway's default limits, migrations on start.
    pub fn builder() -> TestAppBuilder {
        TestAppBuilder {
            backend: Backend::Sqlite,
            rate_limit: None,
            max_body_bytes: None,
            migrate_on_start: true,
            configure: Vec::new(),
        }
    }

    /// The backend this app runs on.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The bound API address (HTTPS, mutual TLS).
    pub fn api_addr(&self) -> SocketAddr {
        self.api_addr
    }

    /// The bound metrics address (plain HTTP).
    pub fn metrics_addr(&self) -> SocketAddr {
        self.metrics_addr
    }

    /// The data directory (`DIR` of `serve --demo --data-dir DIR`).
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The database the app uses (for tests that reach it directly, e.g. to migrate it).
    pub fn database_url(&self) -> &DatabaseUrl {
        &self.database_url
    }

    /// The demo PKI the app wrote, `DIR/pki`.
    pub fn pki(&self) -> PathBuf {
        self.data_dir.join("pki")
    }

    /// `https://127.0.0.1:PORT{path}` on the API listener.
    pub fn api_url(&self, path: &str) -> String {
        format!("https://{}{path}", self.api_addr)
    }

    /// `http://127.0.0.1:PORT{path}` on the metrics listener.
    pub fn metrics_url(&self, path: &str) -> String {
        format!("http://{}{path}", self.metrics_addr)
    }

    /// A client builder trusting the server CA and presenting `cert` (none when `None`).
    pub fn client_builder(&self, cert: Option<Cert>) -> reqwest::ClientBuilder {
        https_client_builder(&self.pki(), cert)
    }

    /// A client presenting `cert`.
    pub fn client(&self, cert: Cert) -> reqwest::Client {
        self.client_builder(Some(cert))
            .build()
            .expect("HTTPS client")
    }

    /// A client presenting no certificate.
    pub fn anonymous_client(&self) -> reqwest::Client {
        self.client_builder(None).build().expect("HTTPS client")
    }

    /// Scrapes `/metrics` on the metrics listener.
    pub async fn scrape(&self) -> Scrape {
        scrape(&self.metrics_url("/metrics")).await
    }

    /// Publishes `body` as `cert`'s platform (XML for Shanghai, JSON otherwise) and returns the
    /// `201` answer's body.
    ///
    /// # Panics
    /// On any other answer.
    pub async fn publish(&self, cert: Cert, body: Vec<u8>) -> serde_json::Value {
        let content_type = if cert == Cert::Shanghai {
            "application/xml"
        } else {
            "application/json"
        };
        let response = self
            .client(cert)
            .post(self.api_url("/v1/announcements"))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("publish");
        expect_json(response, 201).await
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        for handle in &self.handles {
            // The stop command is sent at once; the returned future only waits for completion.
            drop(handle.stop(false));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------------------------

/// The `x-request-id` of a response.
///
/// # Panics
/// When the header is missing or not text.
pub fn request_id(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("x-request-id")
        .unwrap_or_else(|| {
            panic!(
                "no x-request-id on {} {}",
                response.status(),
                response.url()
            )
        })
        .to_str()
        .expect("x-request-id is text")
        .to_owned()
}

/// Reads a JSON (`application/json`) success body after checking the status.
pub async fn expect_json(response: reqwest::Response, status: u16) -> serde_json::Value {
    let actual = response.status().as_u16();
    let url = response.url().clone();
    request_id(&response);
    let content_type = content_type(&response);
    let body = response.text().await.expect("response body");
    assert_eq!(
        (actual, content_type.as_str()),
        (status, "application/json"),
        "{url}: {body}"
    );
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{url}: not JSON ({e}): {body}"))
}

/// Checks a problem document (RFC 9457): status, `Content-Type: application/problem+json`,
/// `type` = `/problems/{code}`, `code`, `status`, a `title` and a `detail`, and an `x-request-id`.
/// Returns the document for further assertions (e.g. `errors[].path`).
pub async fn expect_problem(
    response: reqwest::Response,
    status: u16,
    code: &str,
) -> serde_json::Value {
    let actual = response.status().as_u16();
    let url = response.url().clone();
    request_id(&response);
    let content_type = content_type(&response);
    let body = response.text().await.expect("response body");
    assert_eq!(
        (actual, content_type.as_str()),
        (status, PROBLEM_JSON),
        "{url}: {body}"
    );
    let doc: serde_json::Value =
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{url}: not JSON ({e}): {body}"));
    assert_eq!(doc["status"], status, "{url}: {body}");
    assert_eq!(doc["code"], code, "{url}: {body}");
    assert_eq!(doc["type"], format!("/problems/{code}"), "{url}: {body}");
    for field in ["title", "detail"] {
        assert!(
            doc[field].as_str().is_some_and(|s| !s.is_empty()),
            "{url}: `{field}` missing: {body}"
        );
    }
    doc
}

/// The `Content-Type` header of a response ("" when absent).
pub fn content_type(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

/// The `(path, code)` pairs of a problem's `errors[]`.
pub fn error_paths(problem: &serde_json::Value) -> Vec<(String, String)> {
    problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| {
                    (
                        e["path"].as_str().unwrap_or("<none>").to_owned(),
                        e["code"].as_str().unwrap_or("<none>").to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// Metrics
// ---------------------------------------------------------------------------------------------

/// One `/metrics` scrape, parsed: every sample by series (`name{label="value",...}`, labels sorted).
#[derive(Debug, Clone)]
pub struct Scrape {
    text: String,
    samples: BTreeMap<String, f64>,
    parsed: Vec<Sample>,
}

/// One sample line of a scrape: metric name (with `_bucket`/`_sum`/`_count` for histograms),
/// labels as exposed, value.
#[derive(Debug, Clone)]
pub struct Sample {
    /// The sample's name.
    pub name: String,
    /// Its labels, in exposition order.
    pub labels: Vec<(String, String)>,
    /// Its value.
    pub value: f64,
}

/// The canonical series key of a metric name and labels (labels sorted by name).
pub fn series(name: &str, labels: &[(&str, &str)]) -> String {
    let mut labels: Vec<(String, String)> = labels
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    series_key(name, &mut labels)
}

fn series_key(name: &str, labels: &mut [(String, String)]) -> String {
    if labels.is_empty() {
        return name.to_owned();
    }
    labels.sort();
    let inner: Vec<String> = labels
        .iter()
        .map(|(k, v)| {
            let escaped = v
                .replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace('\n', "\\n");
            format!("{k}=\"{escaped}\"")
        })
        .collect();
    format!("{name}{{{}}}", inner.join(","))
}

/// Scrapes a Prometheus text endpoint.
///
/// # Panics
/// When the endpoint does not answer 200 with the text format.
pub async fn scrape(url: &str) -> Scrape {
    let response = plain_client()
        .get(url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e}"));
    assert_eq!(response.status().as_u16(), 200, "GET {url}");
    assert_eq!(
        content_type(&response),
        "text/plain; version=0.0.4; charset=utf-8",
        "GET {url}"
    );
    Scrape::parse(&response.text().await.expect("metrics body"))
}

impl Scrape {
    /// Parses the Prometheus text exposition format.
    ///
    /// # Panics
    /// On a line that is not a comment, blank, or `name{labels} value [timestamp]`.
    pub fn parse(text: &str) -> Scrape {
        let mut samples = BTreeMap::new();
        let mut parsed = Vec::new();
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let sample =
                parse_sample(line).unwrap_or_else(|| panic!("not a metrics sample: {line:?}"));
            let mut labels = sample.labels.clone();
            samples.insert(series_key(&sample.name, &mut labels), sample.value);
            parsed.push(sample);
        }
        Scrape {
            text: text.to_owned(),
            samples,
            parsed,
        }
    }

    /// Every sample line, parsed.
    pub fn samples(&self) -> &[Sample] {
        &self.parsed
    }

    /// The metric families the scrape declares (`# TYPE name type`), with their types.
    pub fn families(&self) -> BTreeMap<String, String> {
        self.text
            .lines()
            .filter_map(|l| l.strip_prefix("# TYPE "))
            .filter_map(|l| l.split_once(' '))
            .map(|(name, kind)| (name.to_owned(), kind.trim().to_owned()))
            .collect()
    }

    /// The scrape as received.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The value of one series, if present.
    pub fn get(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        self.samples.get(&series(name, labels)).copied()
    }

    /// The value of one series, 0 when absent (a counter not incremented yet).
    pub fn value(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.get(name, labels).unwrap_or(0.0)
    }

    /// Every series of metric `name` whose value differs from `before` (absent counts as 0), with
    /// the difference: the exact set of counters a piece of work moved.
    pub fn changes_since(&self, before: &Scrape, name: &str) -> BTreeMap<String, f64> {
        let of_name = |key: &String| key == name || key.starts_with(&format!("{name}{{"));
        let mut keys: Vec<&String> = self.samples.keys().filter(|k| of_name(k)).collect();
        keys.extend(before.samples.keys().filter(|k| of_name(k)));
        keys.sort();
        keys.dedup();
        keys.into_iter()
            .filter_map(|key| {
                let delta = self.samples.get(key).copied().unwrap_or(0.0)
                    - before.samples.get(key).copied().unwrap_or(0.0);
                (delta != 0.0).then(|| (key.clone(), delta))
            })
            .collect()
    }
}

fn parse_sample(line: &str) -> Option<Sample> {
    let name_end = line.find(['{', ' '])?;
    let name = &line[..name_end];
    let mut labels = Vec::new();
    let mut rest = &line[name_end..];
    if let Some(after_brace) = rest.strip_prefix('{') {
        let mut chars = after_brace.char_indices().peekable();
        loop {
            // Skip separators, stop at the closing brace.
            while let Some((_, c)) = chars.peek() {
                if *c == ',' || *c == ' ' {
                    chars.next();
                } else {
                    break;
                }
            }
            let (start, c) = chars.next()?;
            if c == '}' {
                rest = &after_brace[start + 1..];
                break;
            }
            let mut key = String::from(c);
            for (_, c) in chars.by_ref() {
                if c == '=' {
                    break;
                }
                key.push(c);
            }
            if chars.next()?.1 != '"' {
                return None;
            }
            let mut value = String::new();
            loop {
                match chars.next()?.1 {
                    '"' => break,
                    '\\' => match chars.next()?.1 {
                        'n' => value.push('\n'),
                        other => value.push(other),
                    },
                    other => value.push(other),
                }
            }
            labels.push((key.trim().to_owned(), value));
        }
    }
    let value = rest.split_whitespace().next()?.parse().ok()?;
    Some(Sample {
        name: name.to_owned(),
        labels,
        value,
    })
}

/// Pipes a scrape through `promtool check metrics` and asserts that it passes. When `promtool` is
/// not installed this prints that the check was skipped, or fails when `CI=true`.
pub fn promtool_check_metrics(text: &str) {
    let found = Command::new("sh")
        .args(["-c", "command -v promtool"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            !in_ci(),
            "CI=true but promtool is not installed (Debian package `prometheus`)"
        );
        eprintln!(
            "SKIPPED (promtool check metrics): promtool is not installed (apt-get install prometheus)"
        );
        return;
    }
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("write to promtool");
    let output = child.wait_with_output().expect("promtool runs");
    assert!(
        output.status.success(),
        "promtool check metrics failed ({}):\n{}{}\n--- scrape ---\n{text}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

// ---------------------------------------------------------------------------------------------
// The binary
// ---------------------------------------------------------------------------------------------

/// A `Command` for the gateway binary at `bin` with every `GATEWAY_*` setting and `RUST_LOG`
/// removed from the environment, so the test alone decides the configuration.
pub fn command(bin: &str) -> Command {
    let mut cmd = Command::new(bin);
    for (var, _) in gateway::config::ENVIRONMENT {
        cmd.env_remove(var);
    }
    cmd.env_remove("RUST_LOG");
    cmd.stdin(Stdio::null());
    cmd
}

/// What a finished command printed.
#[derive(Debug)]
pub struct Output {
    /// The exit status.
    pub status: ExitStatus,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Output {
    /// The exit code (`None` when killed by a signal).
    pub fn code(&self) -> Option<i32> {
        self.status.code()
    }
}

/// Appends what a pipe delivers to a shared string as it arrives.
fn collect(mut pipe: impl Read + Send + 'static) -> Arc<Mutex<String>> {
    let text = Arc::new(Mutex::new(String::new()));
    let sink = text.clone();
    std::thread::spawn(move || {
        let mut buffer = [0u8; 4096];
        while let Ok(n) = pipe.read(&mut buffer) {
            if n == 0 {
                break;
            }
            sink.lock()
                .unwrap_or_else(|p| p.into_inner())
                .push_str(&String::from_utf8_lossy(&buffer[..n]));
        }
    });
    text
}

fn take(text: &Arc<Mutex<String>>) -> String {
    text.lock().unwrap_or_else(|p| p.into_inner()).clone()
}

/// Runs a command to completion within [`DEADLINE`], capturing its output.
///
/// # Panics
/// When it does not start or does not finish in time (it is killed then).
pub fn run(cmd: &mut Command) -> Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
    let stdout = read_all(child.stdout.take().expect("stdout"));
    let stderr = read_all(child.stderr.take().expect("stderr"));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{cmd:?} did not finish within {DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    // The pipes close when the process exits, so the readers finish.
    Output {
        status,
        stdout: stdout.join().expect("stdout reader"),
        stderr: stderr.join().expect("stderr reader"),
    }
}

fn read_all(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// One request a [`WebhookReceiver`] got.
#[derive(Debug, Clone)]
pub struct Received {
    /// `X-Gateway-Event-Id`.
    pub event_id: String,
    /// `X-Gateway-Timestamp`.
    pub timestamp: String,
    /// `X-Gateway-Signature`.
    pub signature: String,
    /// The body as sent.
    pub body: Vec<u8>,
}

/// A webhook receiver on a free loopback port (`http://127.0.0.1:PORT/hook`) that records what
/// it gets and answers `status` (changeable); stopped when dropped.
pub struct WebhookReceiver {
    /// Its URL, for `PUT /v1/subscriptions/self`.
    pub url: String,
    got: Arc<Mutex<Vec<Received>>>,
    status: Arc<Mutex<u16>>,
    /// While set, requests wait (the receiver hangs) until it is cleared.
    pub hold: Arc<std::sync::atomic::AtomicBool>,
    handle: actix_web::dev::ServerHandle,
}

impl WebhookReceiver {
    /// Starts a receiver answering `status`.
    ///
    /// # Panics
    /// When no loopback port can be bound.
    pub async fn start(status: u16) -> WebhookReceiver {
        let got: Arc<Mutex<Vec<Received>>> = Arc::default();
        let status = Arc::new(Mutex::new(status));
        let hold = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (g, s, h) = (got.clone(), status.clone(), hold.clone());
        let server = actix_web::HttpServer::new(move || {
            let (g, s, h) = (g.clone(), s.clone(), h.clone());
            actix_web::App::new().route(
                "/hook",
                actix_web::web::post().to(
                    move |req: actix_web::HttpRequest, body: actix_web::web::Bytes| {
                        let (g, s, h) = (g.clone(), s.clone(), h.clone());
                        async move {
                            let header = |name: &str| {
                                req.headers()
                                    .get(name)
                                    .and_then(|v| v.to_str().ok())
                                    .unwrap_or_default()
                                    .to_owned()
                            };
                            g.lock().expect("lock").push(Received {
                                event_id: header("x-gateway-event-id"),
                                timestamp: header("x-gateway-timestamp"),
                                signature: header("x-gateway-signature"),
                                body: body.to_vec(),
                            });
                            while h.load(std::sync::atomic::Ordering::SeqCst) {
                                tokio::time::sleep(Duration::from_millis(10)).await;
                            }
                            let code = *s.lock().expect("lock");
                            actix_web::HttpResponse::build(
                                actix_web::http::StatusCode::from_u16(code).expect("status"),
                            )
                            .finish()
                        }
                    },
                ),
            )
        })
        .workers(1)
        .bind(("127.0.0.1", 0))
        .expect("bind receiver");
        let addr = server.addrs()[0];
        let server = server.run();
        let handle = server.handle();
        tokio::spawn(server);
        WebhookReceiver {
            url: format!("http://{addr}/hook"),
            got,
            status,
            hold,
            handle,
        }
    }

    /// Everything received so far, in arrival order.
    pub fn received(&self) -> Vec<Received> {
        self.got.lock().expect("lock").clone()
    }

    /// Answers `status` from now on.
    pub fn answer(&self, status: u16) {
        *self.status.lock().expect("lock") = status;
    }

    /// Waits (at most 30 s) until `done` holds for what was received.
    ///
    /// # Panics
    /// When it does not, with what was received.
    pub async fn wait_for(&self, what: &str, done: impl Fn(&[Received]) -> bool) -> Vec<Received> {
        for _ in 0..600 {
            let got = self.received();
            if done(&got) {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "receiver: timed out waiting for {what}; got {:?}",
            self.received()
        );
    }
}

impl Drop for WebhookReceiver {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
    }
}

/// `BIN serve --demo --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 --data-dir DIR`: the
/// demo gateway on free ports, for [`ServeProcess::start`]; add environment as needed.
pub fn serve_demo_command(bin: &str, data_dir: &Path) -> Command {
    let mut cmd = command(bin);
    cmd.args([
        "serve",
        "--demo",
        "--listen",
        "127.0.0.1:0",
        "--metrics-listen",
        "127.0.0.1:0",
        "--data-dir",
    ])
    .arg(data_dir);
    cmd
}

/// A `gateway serve` child process whose listeners are up; killed when dropped.
pub struct ServeProcess {
    child: Child,
    api_addr: SocketAddr,
    metrics_addr: SocketAddr,
    stdout: Vec<String>,
    stderr: Arc<Mutex<String>>,
}

impl ServeProcess {
    /// Starts `cmd` (a `serve` command) and waits, at most `deadline`, for both lines
    /// `listening api=https://ADDR` and `listening metrics=http://ADDR` on standard output.
    ///
    /// # Panics
    /// When the process exits or the deadline passes first (its standard error is shown).
    pub fn start(mut cmd: Command, deadline: Duration) -> ServeProcess {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
        let stderr = collect(child.stderr.take().expect("stderr"));
        let (tx, rx) = mpsc::channel();
        let stdout = child.stdout.take().expect("stdout");
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let started = Instant::now();
        let mut lines = Vec::new();
        let (mut api, mut metrics) = (None, None);
        while api.is_none() || metrics.is_none() {
            let left = deadline.saturating_sub(started.elapsed());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    if let Some(addr) = line.strip_prefix("listening api=https://") {
                        api = Some(addr.parse().expect("api address"));
                    } else if let Some(addr) = line.strip_prefix("listening metrics=http://") {
                        metrics = Some(addr.parse().expect("metrics address"));
                    }
                    lines.push(line);
                }
                Err(e) => {
                    let _ = child.kill();
                    let status = child.wait();
                    std::thread::sleep(Duration::from_millis(50));
                    panic!(
                        "{cmd:?}: no listening lines ({e:?} after {:?}, exit {status:?}); stdout:\n{}\nstderr:\n{}",
                        started.elapsed(),
                        lines.join("\n"),
                        take(&stderr)
                    );
                }
            }
        }
        // Keep draining standard output so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in rx {});
        ServeProcess {
            child,
            api_addr: api.expect("api address"),
            metrics_addr: metrics.expect("metrics address"),
            stdout: lines,
            stderr,
        }
    }

    /// `https://ADDR{path}` on the API listener.
    pub fn api_url(&self, path: &str) -> String {
        format!("https://{}{path}", self.api_addr)
    }

    /// `http://ADDR{path}` on the metrics listener.
    pub fn metrics_url(&self, path: &str) -> String {
        format!("http://{}{path}", self.metrics_addr)
    }

    /// The standard output lines read up to the listening lines.
    pub fn stdout_lines(&self) -> &[String] {
        &self.stdout
    }

    /// Standard error so far.
    pub fn stderr(&self) -> String {
        take(&self.stderr)
    }

    /// Sends SIGTERM (through the `kill` command: this crate has no unsafe code).
    ///
    /// # Panics
    /// When `kill` cannot be run.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill -TERM");
        assert!(status.success(), "kill -TERM failed: {status}");
    }

    /// Waits at most `deadline` for the process to exit; its status, or `None` if still running.
    pub fn wait_exit(&mut self, deadline: Duration) -> Option<ExitStatus> {
        let started = Instant::now();
        while started.elapsed() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// Kills the process and waits for it.
    pub fn kill(mut self) {
        self.kill_now();
    }

    fn kill_now(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        self.kill_now();
    }
}

/// Asserts that two texts are equal, reporting the first differing line instead of both texts.
///
/// # Panics
/// When they differ.
pub fn assert_same_text(actual: &str, expected: &str, what: &str) {
    if actual == expected {
        return;
    }
    let line = actual
        .lines()
        .zip(expected.lines())
        .position(|(a, e)| a != e)
        .unwrap_or_else(|| actual.lines().count().min(expected.lines().count()));
    panic!(
        "{what}: differs at line {} ({} vs {} bytes)\n  actual:   {:?}\n  expected: {:?}",
        line + 1,
        actual.len(),
        expected.len(),
        actual.lines().nth(line),
        expected.lines().nth(line),
    );
}

/// Every file under `dir` (relative path) with its bytes, to compare directory contents.
pub fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        let entries =
            std::fs::read_dir(dir).unwrap_or_else(|e| panic!("read_dir {}: {e}", dir.display()));
        for entry in entries {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let relative = path.strip_prefix(root).expect("under root").to_path_buf();
                out.insert(relative, read(&path));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

// ---------------------------------------------------------------------------------------------
// Announcements
// ---------------------------------------------------------------------------------------------

/// Lowercase hex SHA-256 of `bytes` (what `x-content-sha256` and the stored hashes carry).
pub fn sha256_hex(bytes: &[u8]) -> String {
    CertFingerprint::of_der(bytes).as_str().to_owned()
}

/// The sample announcements of `dialect` in `seeds/announcements/<dialect>/<folder>/` (`ok`,
/// `warn` or `err`), sorted by file name, as (file name, bytes); golden `*.expected.json` files
/// are left out.
pub fn announcement_samples(dialect: &str, folder: &str) -> Vec<(String, Vec<u8>)> {
    let dir = workspace_root()
        .join("seeds")
        .join("announcements")
        .join(dialect)
        .join(folder);
    let mut samples: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("read_dir {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| {
            path.is_file()
                && !path
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().ends_with(".expected.json"))
        })
        .map(|path| {
            let name = path
                .file_name()
                .expect("file name")
                .to_string_lossy()
                .into_owned();
            (name, read(&path))
        })
        .collect();
    samples.sort();
    samples
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn database_name_is_replaced_in_postgres_urls() {
        assert_eq!(
            with_database_name("postgres:///gateway_test?host=/var/run/postgresql", "t1"),
            "postgres:///t1?host=/var/run/postgresql"
        );
        assert_eq!(
            with_database_name("postgres://u:p@db:5432/gw", "t2"),
            "postgres://u:p@db:5432/t2"
        );
        assert_eq!(
            with_database_name("postgresql://db", "t3"),
            "postgresql://db/t3"
        );
    }

    #[test]
    fn scrapes_parse_into_series() {
        let scrape = Scrape::parse(
            "# HELP a_total A.\n# TYPE a_total counter\n\
             a_total{route=\"/v1/{id}\",method=\"GET\"} 3\n\
             b 1.5\n\
             c_bucket{le=\"+Inf\",x=\"q\\\"uote\"} 7\n",
        );
        assert_eq!(
            scrape.get("a_total", &[("method", "GET"), ("route", "/v1/{id}")]),
            Some(3.0)
        );
        assert_eq!(scrape.get("b", &[]), Some(1.5));
        assert_eq!(
            scrape.get("c_bucket", &[("x", "q\"uote"), ("le", "+Inf")]),
            Some(7.0)
        );
        assert_eq!(scrape.value("a_total", &[("method", "POST")]), 0.0);

        let before = Scrape::parse("a_total{k=\"x\"} 1\na_total{k=\"y\"} 2\n");
        let after = Scrape::parse("a_total{k=\"x\"} 1\na_total{k=\"y\"} 5\na_total{k=\"z\"} 1\n");
        assert_eq!(
            after.changes_since(&before, "a_total"),
            [
                (series("a_total", &[("k", "y")]), 3.0),
                (series("a_total", &[("k", "z")]), 1.0),
            ]
            .into()
        );
    }
}
