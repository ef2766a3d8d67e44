//! The one typed configuration of the gateway.
//!
//! Settings are layered: built-in defaults, then a TOML file (`--config`), then `GATEWAY_*`
//! environment variables, then command-line flags. Unknown keys in the file are an error, so a
//! misspelt security option never passes silently. Relative paths are resolved against `data_dir`.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize};

use crate::registry::{PlatformId, Province, Role};

/// Everything the gateway can be configured with. See `ops/gateway.example.toml`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Directory for the SQLite database, the demo PKI and other local state.
    pub data_dir: PathBuf,
    /// Listeners and worker threads.
    pub server: ServerSettings,
    /// The API listener's certificate and the CAs of the platforms' client certificates.
    pub tls: TlsSettings,
    /// Where the data lives.
    pub database: DatabaseSettings,
    /// Request size and time bounds.
    pub limits: Limits,
    /// Per-platform request rate limits.
    pub rate_limit: RateLimitSettings,
    /// How strictly announcements are validated.
    pub validation: ValidationSettings,
    /// Webhook push delivery.
    pub delivery: DeliverySettings,
    /// The CA mutual-recognition bridge: trust list, revocation data, verdict cache.
    pub bridge: BridgeSettings,
    /// Signed verification receipts.
    pub receipts: ReceiptSettings,
    /// How long records are kept (never shorter than the legal archive period).
    pub retention: RetentionSettings,
    /// Log output.
    pub log: LogSettings,
    /// Platforms and operators to register on start-up (existing entries are left as they are).
    pub platforms: Vec<PlatformSeed>,
    /// Demo mode (`serve --demo`): demo PKI and registry are created under `data_dir`.
    #[serde(skip)]
    pub demo: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("./data"),
            server: ServerSettings::default(),
            tls: TlsSettings::default(),
            database: DatabaseSettings::default(),
            limits: Limits::default(),
            rate_limit: RateLimitSettings::default(),
            validation: ValidationSettings::default(),
            delivery: DeliverySettings::default(),
            bridge: BridgeSettings::default(),
            receipts: ReceiptSettings::default(),
            retention: RetentionSettings::default(),
            log: LogSettings::default(),
            platforms: Vec::new(),
            demo: false,
        }
    }
}

/// Listeners and worker threads.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSettings {
    /// The HTTPS API listener (mutual TLS).
    pub listen: SocketAddr,
    /// The plain-HTTP listener for `/metrics`, `/healthz` and `/readyz`.
    pub metrics_listen: SocketAddr,
    /// HTTP worker threads of the API listener; 0 means one per core.
    pub workers: usize,
    /// Seconds that in-flight requests get to finish on shutdown.
    pub shutdown_timeout_secs: u64,
    /// On SIGTERM or SIGINT, seconds the gateway keeps serving with readiness false (so load
    /// balancers stop sending) before it stops accepting connections.
    pub drain_secs: u64,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8443)),
            metrics_listen: SocketAddr::from(([127, 0, 0, 1], 9464)),
            workers: 0,
            shutdown_timeout_secs: 30,
            drain_secs: 5,
        }
    }
}

/// The API listener's certificate and the CAs that issue the platforms' client certificates.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct TlsSettings {
    /// PEM certificate chain of the API server (leaf first).
    pub certificate: PathBuf,
    /// PEM (PKCS#8, SEC1 or PKCS#1) private key of the API server.
    pub private_key: PathBuf,
    /// PEM files with the CA certificates that platform client certificates must chain to.
    pub client_ca: Vec<PathBuf>,
}

impl Default for TlsSettings {
    fn default() -> Self {
        Self {
            certificate: PathBuf::from("pki/server.pem"),
            private_key: PathBuf::from("pki/server.key"),
            client_ca: vec![PathBuf::from("pki/platform-ca.pem")],
        }
    }
}

/// Database connection settings.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseSettings {
    /// `sqlite://PATH` or `postgres://...`; unset means `sqlite://DATA_DIR/gateway.db`.
    pub url: Option<DatabaseUrl>,
    /// Connections in the pool of this instance.
    pub pool_size: u32,
    /// Run pending migrations when `serve` starts.
    pub migrate_on_start: bool,
    /// How long a SQLite writer waits for a lock, in milliseconds.
    pub sqlite_busy_timeout_ms: u32,
    /// When a SQLite commit reaches the disk (`PRAGMA synchronous`).
    pub sqlite_synchronous: SqliteSynchronous,
    /// How long to wait for a free pooled connection, in seconds.
    pub acquire_timeout_secs: u64,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            url: None,
            pool_size: 8,
            migrate_on_start: true,
            sqlite_busy_timeout_ms: 5_000,
            sqlite_synchronous: SqliteSynchronous::Full,
            acquire_timeout_secs: 5,
        }
    }
}

/// Bounds on what one request may cost.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// Longest time a request may take in the gateway, in seconds.
    pub request_timeout_secs: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: 2 * 1024 * 1024,
            request_timeout_secs: 30,
        }
    }
}

/// Token-bucket rate limit applied per platform (or operator) on the API listener.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimitSettings {
    /// Sustained requests per second per caller; 0 disables the limit.
    pub requests_per_second: u32,
    /// Requests a caller may make at once above the sustained rate.
    pub burst: u32,
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        Self {
            requests_per_second: 100,
            burst: 200,
        }
    }
}

/// How strictly announcements are validated (see `interchange::ValidationPolicy`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ValidationSettings {
    /// `warning` or `error`: a credit code whose GB 32100 check character is wrong.
    pub credit_code_check_digit: RuleSeverity,
    /// `warning`, `error` or `off`: a construction or procurement tender whose bidding period is
    /// shorter than `min_bidding_days`.
    pub min_bidding_period: RuleSeverity,
    /// Statutory minimum days from the document window's start to the bid deadline.
    pub min_bidding_days: u32,
    /// Largest announcement document, in bytes.
    pub max_document_bytes: usize,
    /// Deepest nesting of XML elements or JSON values in a document.
    pub max_depth: usize,
}

impl Default for ValidationSettings {
    fn default() -> Self {
        let policy = interchange::ValidationPolicy::default();
        Self {
            credit_code_check_digit: RuleSeverity::Warning,
            min_bidding_period: RuleSeverity::Warning,
            min_bidding_days: policy.min_bidding_days,
            max_document_bytes: policy.max_bytes,
            max_depth: policy.max_depth,
        }
    }
}

impl ValidationSettings {
    /// The validation policy these settings describe.
    pub fn policy(&self) -> interchange::ValidationPolicy {
        use interchange::Severity;
        let severity = |r: RuleSeverity| match r {
            RuleSeverity::Error => Some(Severity::Error),
            RuleSeverity::Warning => Some(Severity::Warning),
            RuleSeverity::Off => None,
        };
        interchange::ValidationPolicy {
            credit_check_digit: severity(self.credit_code_check_digit).unwrap_or(Severity::Warning),
            min_bidding_days: self.min_bidding_days,
            min_bidding_period: severity(self.min_bidding_period),
            max_bytes: self.max_document_bytes,
            max_depth: self.max_depth,
        }
    }
}

/// Webhook push delivery: workers, retries, and which receiver addresses are allowed.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeliverySettings {
    /// Delivery workers of this instance; 0 turns push delivery off here.
    pub workers: usize,
    /// Attempts before a delivery becomes a dead letter.
    pub max_attempts: u32,
    /// First retry delay in milliseconds; it doubles per attempt (with jitter) up to the maximum.
    pub backoff_initial_ms: u64,
    /// Longest retry delay, in seconds.
    pub backoff_max_secs: u64,
    /// Time a receiver gets to answer, in seconds.
    pub timeout_secs: u64,
    /// How often idle workers look for due deliveries, in milliseconds.
    pub poll_interval_ms: u64,
    /// Accept `http://` receiver URLs (otherwise https only).
    pub allow_http: bool,
    /// Accept receivers on loopback addresses.
    pub allow_loopback: bool,
    /// Accept receivers on private, link-local and other non-public addresses.
    pub allow_private: bool,
    /// After a secret rotation, how long deliveries are signed with the old secret too, in seconds.
    pub secret_overlap_secs: u64,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        Self {
            workers: 2,
            max_attempts: 10,
            backoff_initial_ms: 1_000,
            backoff_max_secs: 600,
            timeout_secs: 10,
            poll_interval_ms: 500,
            allow_http: false,
            allow_loopback: false,
            allow_private: false,
            secret_overlap_secs: 86_400,
        }
    }
}

/// The CA mutual-recognition bridge: which operator signs trust lists, how revocation data is kept
/// current, and how verdicts are cached.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct BridgeSettings {
    /// PEM certificate of the bridge operator: a trust list must be signed by its key. Unset
    /// turns the bridge off (its routes answer 503 `bridge-not-configured`).
    pub trust_list_signer: Option<PathBuf>,
    /// A signed trust list installed at start-up when its sequence is higher than the installed one.
    pub trust_list: Option<PathBuf>,
    /// Refuse certificates whose holder credit code has a wrong GB 32100 check character
    /// (otherwise the verdict reports it and stays valid).
    pub strict_credit_code: bool,
    /// Verdicts kept in memory per instance; 0 turns the cache off.
    pub verdict_cache_entries: usize,
    /// Longest time a cached verdict is served, in seconds.
    pub verdict_cache_ttl_secs: u64,
    /// Fetch CRLs from the supply points of the trust list.
    pub fetch_crls: bool,
    /// Fetch each supply point at least this often, in seconds.
    pub crl_refresh_secs: u64,
    /// Fetch a CRL this many seconds before its nextUpdate.
    pub crl_refresh_margin_secs: u64,
    /// Attempts per fetch round (with doubling delays between them).
    pub fetch_attempts: u32,
    /// First delay between attempts, in milliseconds.
    pub fetch_retry_delay_ms: u64,
    /// Time a CRL download or OCSP exchange may take, in seconds.
    pub fetch_timeout_secs: u64,
    /// Largest CRL accepted from a supply point, in bytes.
    pub fetch_max_bytes: usize,
    /// Ask a CA's OCSP responder when no current CRL decides a certificate's status.
    pub ocsp: bool,
    /// Largest OCSP response accepted, in bytes.
    pub ocsp_max_bytes: usize,
}

impl Default for BridgeSettings {
    fn default() -> Self {
        Self {
            trust_list_signer: None,
            trust_list: None,
            strict_credit_code: false,
            verdict_cache_entries: 10_000,
            verdict_cache_ttl_secs: 300,
            fetch_crls: true,
            crl_refresh_secs: 3_600,
            crl_refresh_margin_secs: 900,
            fetch_attempts: 3,
            fetch_retry_delay_ms: 1_000,
            fetch_timeout_secs: 10,
            fetch_max_bytes: 16 * 1024 * 1024,
            ocsp: true,
            ocsp_max_bytes: 64 * 1024,
        }
    }
}

/// The key that signs verification receipts (JWS: ES256 for a P-256 key, `SM2SM3` for an SM2
/// key) and its certificate, published at `GET /v1/receipts/certificate`. Unset: receipts are
/// not offered (`"receipt": true` is answered 503 `receipts-not-configured`).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReceiptSettings {
    /// PEM (PKCS#8) private key.
    pub key: Option<PathBuf>,
    /// PEM certificate of that key.
    pub certificate: Option<PathBuf>,
}

/// How a validation rule reports what it finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleSeverity {
    /// The document is refused.
    Error,
    /// The document is accepted and the finding reported.
    Warning,
    /// The rule is not applied.
    Off,
}

/// Log output.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogSettings {
    /// `text` for people, `json` for log pipelines.
    pub format: LogFormat,
    /// A `tracing` filter such as `info` or `gateway=debug,info`.
    pub level: String,
}

impl Default for LogSettings {
    fn default() -> Self {
        Self {
            format: LogFormat::Text,
            level: "info".to_owned(),
        }
    }
}

/// SQLite's `synchronous` setting in WAL mode: whether a commit is on disk before it returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SqliteSynchronous {
    /// Every commit syncs the WAL: a `201` survives a power failure.
    Full,
    /// The WAL is synced at checkpoints only: faster, but a power failure or OS crash may lose
    /// the last commits (a crash of the gateway alone loses nothing).
    Normal,
}

impl SqliteSynchronous {
    /// The PRAGMA value.
    pub fn pragma(self) -> &'static str {
        match self {
            SqliteSynchronous::Full => "FULL",
            SqliteSynchronous::Normal => "NORMAL",
        }
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// A platform or operator to register at start-up.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformSeed {
    /// Stable identifier, e.g. `shanghai`.
    pub id: PlatformId,
    /// `platform` or `operator`.
    pub role: Role,
    /// The province a platform serves (not for operators).
    #[serde(default)]
    pub province: Option<Province>,
    /// Human-readable name.
    #[serde(default)]
    pub name: Option<String>,
    /// The client certificate (PEM) whose SHA-256 fingerprint identifies the caller.
    pub certificate: PathBuf,
}

impl Settings {
    /// Resolves a configured path against `data_dir` (absolute paths stay as they are).
    pub fn resolve(&self, path: &Path) -> PathBuf {
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.data_dir.join(path)
        }
    }

    /// The database URL in effect: the configured one or SQLite in `data_dir`.
    pub fn database_url(&self) -> DatabaseUrl {
        self.database
            .url
            .clone()
            .unwrap_or_else(|| DatabaseUrl::Sqlite(self.data_dir.join("gateway.db")))
    }

    /// Checks the relations between settings that types alone cannot express.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.database.pool_size == 0 {
            return Err(ConfigError::invalid(
                "database.pool_size",
                "must be at least 1",
            ));
        }
        if self.limits.max_body_bytes == 0 {
            return Err(ConfigError::invalid(
                "limits.max_body_bytes",
                "must be at least 1",
            ));
        }
        if self.limits.request_timeout_secs == 0 {
            return Err(ConfigError::invalid(
                "limits.request_timeout_secs",
                "must be at least 1",
            ));
        }
        if self.rate_limit.requests_per_second > 0 && self.rate_limit.burst == 0 {
            return Err(ConfigError::invalid(
                "rate_limit.burst",
                "must be at least 1 when a rate is set",
            ));
        }
        if self.validation.credit_code_check_digit == RuleSeverity::Off {
            return Err(ConfigError::invalid(
                "validation.credit_code_check_digit",
                "is `warning` or `error` (a bad check digit is always reported)",
            ));
        }
        if self.validation.max_document_bytes == 0 || self.validation.max_depth == 0 {
            return Err(ConfigError::invalid(
                "validation.max_document_bytes",
                "and validation.max_depth must be at least 1",
            ));
        }
        if self.bridge.fetch_attempts == 0 || self.bridge.fetch_timeout_secs == 0 {
            return Err(ConfigError::invalid(
                "bridge.fetch_attempts",
                "and bridge.fetch_timeout_secs must be at least 1",
            ));
        }
        if self.bridge.crl_refresh_secs == 0 {
            return Err(ConfigError::invalid(
                "bridge.crl_refresh_secs",
                "must be at least 1",
            ));
        }
        if self.receipts.key.is_some() != self.receipts.certificate.is_some() {
            return Err(ConfigError::invalid(
                "receipts.key",
                "and receipts.certificate are set together",
            ));
        }
        self.retention.validate()?;
        if self.tls.client_ca.is_empty() {
            return Err(ConfigError::invalid(
                "tls.client_ca",
                "at least one platform CA is required",
            ));
        }
        let mut seen = std::collections::BTreeSet::new();
        for (i, p) in self.platforms.iter().enumerate() {
            if !seen.insert(p.id.as_str()) {
                return Err(ConfigError::invalid(
                    format!("platforms[{i}].id"),
                    format!("`{}` is listed twice", p.id),
                ));
            }
            match (p.role, p.province) {
                (Role::Platform, None) => {
                    return Err(ConfigError::invalid(
                        format!("platforms[{i}].province"),
                        "a platform needs its province",
                    ));
                }
                (Role::Operator, Some(_)) => {
                    return Err(ConfigError::invalid(
                        format!("platforms[{i}].province"),
                        "an operator has no province",
                    ));
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// The shortest archive period for tendering and procurement records, in years: Government
/// Procurement Law art. 42 (procurement files at least 15 years from the end of the procurement).
/// See ops/RUNBOOK.md, "Retention", for the sources and what is not confirmed.
pub const LEGAL_ARCHIVE_YEARS: u32 = 15;

/// How long records are kept, in years from their creation. The gateway deletes none of them
/// (versions, audit records and receipts are immutable in the database); `gateway retention`
/// reports which records have passed their period, for the archive procedure. A period shorter
/// than [`LEGAL_ARCHIVE_YEARS`] is refused.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetentionSettings {
    /// Announcements: every version with the original bytes as sent.
    pub announcements_years: u32,
    /// Audit records of state-changing requests.
    pub audit_years: u32,
    /// Signed verification receipts.
    pub receipts_years: u32,
}

impl Default for RetentionSettings {
    fn default() -> Self {
        Self {
            announcements_years: LEGAL_ARCHIVE_YEARS,
            audit_years: LEGAL_ARCHIVE_YEARS,
            receipts_years: LEGAL_ARCHIVE_YEARS,
        }
    }
}

impl RetentionSettings {
    /// Each record kind with its setting's name and period.
    pub fn periods(&self) -> [(&'static str, u32); 3] {
        [
            ("retention.announcements_years", self.announcements_years),
            ("retention.audit_years", self.audit_years),
            ("retention.receipts_years", self.receipts_years),
        ]
    }

    fn validate(&self) -> Result<(), ConfigError> {
        for (name, years) in self.periods() {
            if years < LEGAL_ARCHIVE_YEARS {
                return Err(ConfigError::invalid(
                    name,
                    format!(
                        "{years} years is shorter than the legal archive period of {LEGAL_ARCHIVE_YEARS} years"
                    ),
                ));
            }
            if years > 200 {
                return Err(ConfigError::invalid(name, "at most 200 years"));
            }
        }
        Ok(())
    }
}

/// Which database backend, chosen explicitly by the URL scheme.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// `sqlite://PATH`: an embedded database file.
    Sqlite(PathBuf),
    /// `postgres://...` or `postgresql://...`: passed to libpq as written.
    Postgres(String),
}

impl DatabaseUrl {
    /// The backend's name, for logs and metrics.
    pub fn backend(&self) -> &'static str {
        match self {
            DatabaseUrl::Sqlite(_) => "sqlite",
            DatabaseUrl::Postgres(_) => "postgres",
        }
    }
}

impl FromStr for DatabaseUrl {
    type Err = ConfigError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(path) = s.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(ConfigError::invalid(
                    "database.url",
                    "`sqlite://` needs a file path, e.g. sqlite://./data/gateway.db",
                ));
            }
            if path.contains('?') {
                return Err(ConfigError::invalid(
                    "database.url",
                    "SQLite URLs take no query parameters: the gateway sets WAL, foreign keys and the busy timeout itself",
                ));
            }
            return Ok(DatabaseUrl::Sqlite(PathBuf::from(path)));
        }
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(s.to_owned()));
        }
        let scheme = s.split_once("://").map(|(scheme, _)| scheme);
        Err(ConfigError::invalid(
            "database.url",
            match scheme {
                Some(scheme) => {
                    format!("unknown scheme `{scheme}://`: use sqlite://PATH or postgres://...")
                }
                None => "not a URL: use sqlite://PATH or postgres://...".to_owned(),
            },
        ))
    }
}

impl fmt::Display for DatabaseUrl {
    /// Shows the URL with any password masked.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseUrl::Sqlite(path) => write!(f, "sqlite://{}", path.display()),
            DatabaseUrl::Postgres(url) => f.write_str(&mask_password(url)),
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

fn mask_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _password)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

impl<'de> Deserialize<'de> for DatabaseUrl {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl Serialize for DatabaseUrl {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_string())
    }
}

/// Why the configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The configuration file could not be read.
    #[error("cannot read configuration file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid TOML or does not match the settings (unknown key, wrong type).
    #[error("invalid configuration in {origin}: {message}")]
    Parse {
        /// The file or environment variable.
        origin: String,
        /// The parser's explanation, naming the key.
        message: String,
    },
    /// A value is out of its allowed range or inconsistent with another.
    #[error("invalid configuration: `{key}` {message}")]
    Invalid {
        /// The key, e.g. `database.url`.
        key: String,
        /// What is wrong with it.
        message: String,
    },
}

impl ConfigError {
    fn invalid(key: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigError::Invalid {
            key: key.into(),
            message: message.into(),
        }
    }
}

/// Environment variables read by [`load`], with the key each one sets.
pub const ENVIRONMENT: &[(&str, &str)] = &[
    ("GATEWAY_DATA_DIR", "data_dir"),
    ("GATEWAY_LISTEN", "server.listen"),
    ("GATEWAY_METRICS_LISTEN", "server.metrics_listen"),
    ("GATEWAY_WORKERS", "server.workers"),
    (
        "GATEWAY_SHUTDOWN_TIMEOUT_SECS",
        "server.shutdown_timeout_secs",
    ),
    ("GATEWAY_DRAIN_SECS", "server.drain_secs"),
    ("GATEWAY_TLS_CERTIFICATE", "tls.certificate"),
    ("GATEWAY_TLS_PRIVATE_KEY", "tls.private_key"),
    ("GATEWAY_DATABASE_URL", "database.url"),
    ("GATEWAY_DATABASE_POOL_SIZE", "database.pool_size"),
    (
        "GATEWAY_DATABASE_MIGRATE_ON_START",
        "database.migrate_on_start",
    ),
    ("GATEWAY_MAX_BODY_BYTES", "limits.max_body_bytes"),
    (
        "GATEWAY_REQUEST_TIMEOUT_SECS",
        "limits.request_timeout_secs",
    ),
    ("GATEWAY_RATE_LIMIT_RPS", "rate_limit.requests_per_second"),
    ("GATEWAY_RATE_LIMIT_BURST", "rate_limit.burst"),
    (
        "GATEWAY_VALIDATION_CREDIT_CODE_CHECK_DIGIT",
        "validation.credit_code_check_digit",
    ),
    (
        "GATEWAY_VALIDATION_MIN_BIDDING_PERIOD",
        "validation.min_bidding_period",
    ),
    ("GATEWAY_DELIVERY_WORKERS", "delivery.workers"),
    ("GATEWAY_DELIVERY_MAX_ATTEMPTS", "delivery.max_attempts"),
    (
        "GATEWAY_BRIDGE_TRUST_LIST_SIGNER",
        "bridge.trust_list_signer",
    ),
    ("GATEWAY_BRIDGE_TRUST_LIST", "bridge.trust_list"),
    ("GATEWAY_BRIDGE_FETCH_CRLS", "bridge.fetch_crls"),
    (
        "GATEWAY_BRIDGE_VERDICT_CACHE_ENTRIES",
        "bridge.verdict_cache_entries",
    ),
    ("GATEWAY_RECEIPTS_KEY", "receipts.key"),
    ("GATEWAY_RECEIPTS_CERTIFICATE", "receipts.certificate"),
    ("GATEWAY_LOG_FORMAT", "log.format"),
    ("GATEWAY_LOG_LEVEL", "log.level"),
];

/// Command-line values that override the file and the environment.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    /// `--data-dir`
    pub data_dir: Option<PathBuf>,
    /// `--listen`
    pub listen: Option<SocketAddr>,
    /// `--metrics-listen`
    pub metrics_listen: Option<SocketAddr>,
    /// `--database-url`
    pub database_url: Option<DatabaseUrl>,
    /// `--demo`
    pub demo: bool,
}

/// Loads the settings: defaults, then `file`, then the environment `env`, then `overrides`.
///
/// The environment is passed in (not read here) so tests control it.
pub fn load(
    file: Option<&Path>,
    env: impl IntoIterator<Item = (String, String)>,
    overrides: &Overrides,
) -> Result<Settings, ConfigError> {
    let mut table = match file {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                path: path.to_path_buf(),
                source,
            })?;
            toml::from_str::<toml::Table>(&text).map_err(|e| ConfigError::Parse {
                origin: path.display().to_string(),
                message: e.to_string(),
            })?
        }
        None => toml::Table::new(),
    };
    for (name, value) in env {
        if let Some((_, key)) = ENVIRONMENT.iter().find(|(var, _)| *var == name) {
            set_key(&mut table, key, env_value(&value));
        }
    }
    let origin = file.map_or_else(|| "the environment".to_owned(), |p| p.display().to_string());
    let mut settings: Settings =
        toml::Value::Table(table)
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError::Parse {
                origin,
                message: e.to_string(),
            })?;
    if let Some(dir) = &overrides.data_dir {
        settings.data_dir = dir.clone();
    }
    if let Some(addr) = overrides.listen {
        settings.server.listen = addr;
    }
    if let Some(addr) = overrides.metrics_listen {
        settings.server.metrics_listen = addr;
    }
    if let Some(url) = &overrides.database_url {
        settings.database.url = Some(url.clone());
    }
    settings.demo = overrides.demo;
    settings.validate()?;
    Ok(settings)
}

/// Reads an environment value as a TOML literal (numbers, booleans) or else as a string.
fn env_value(raw: &str) -> toml::Value {
    toml::from_str::<toml::Table>(&format!("v = {raw}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .filter(|v| !v.is_table())
        .unwrap_or_else(|| toml::Value::String(raw.to_owned()))
}

fn set_key(table: &mut toml::Table, dotted: &str, value: toml::Value) {
    let mut current = table;
    let mut parts = dotted.split('.').peekable();
    while let Some(part) = parts.next() {
        if parts.peek().is_none() {
            current.insert(part.to_owned(), value);
            return;
        }
        let entry = current
            .entry(part.to_owned())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        if !entry.is_table() {
            *entry = toml::Value::Table(toml::Table::new());
        }
        match entry {
            toml::Value::Table(t) => current = t,
            _ => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("g.toml");
        std::fs::write(&path, "[database]\nurll = \"sqlite://x.db\"\n").expect("write");
        let err = load(Some(&path), [], &Overrides::default()).expect_err("must fail");
        assert!(err.to_string().contains("unknown field `urll`"), "{err}");
    }

    #[test]
    fn retention_never_shorter_than_the_legal_archive_period() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("g.toml");
        std::fs::write(&path, "[retention]\naudit_years = 10\n").expect("write");
        let err = load(Some(&path), [], &Overrides::default()).expect_err("must fail");
        assert!(
            err.to_string().contains("retention.audit_years")
                && err.to_string().contains("legal archive period of 15 years"),
            "{err}"
        );
        std::fs::write(&path, "[retention]\nreceipts_years = 30\n").expect("write");
        let s = load(Some(&path), [], &Overrides::default()).expect("loads");
        assert_eq!(s.retention.receipts_years, 30);
        assert_eq!(s.retention.announcements_years, LEGAL_ARCHIVE_YEARS);
    }

    #[test]
    fn layers_apply_in_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("g.toml");
        std::fs::write(
            &path,
            "[server]\nlisten = \"127.0.0.1:1000\"\nworkers = 3\n[rate_limit]\nburst = 7\n",
        )
        .expect("write");
        let env = [
            ("GATEWAY_LISTEN".to_owned(), "127.0.0.1:2000".to_owned()),
            ("GATEWAY_WORKERS".to_owned(), "4".to_owned()),
            ("GATEWAY_TEST_POSTGRES_URL".to_owned(), "ignored".to_owned()),
        ];
        let overrides = Overrides {
            listen: Some("127.0.0.1:3000".parse().expect("addr")),
            ..Overrides::default()
        };
        let s = load(Some(&path), env, &overrides).expect("loads");
        assert_eq!(s.server.listen.port(), 3000);
        assert_eq!(s.server.workers, 4);
        assert_eq!(s.rate_limit.burst, 7);
    }

    #[test]
    fn database_urls_are_explicit() {
        assert_eq!(
            "sqlite://./d/g.db".parse::<DatabaseUrl>().expect("sqlite"),
            DatabaseUrl::Sqlite(PathBuf::from("./d/g.db"))
        );
        assert!(matches!(
            "postgres:///db?host=/var/run/postgresql".parse::<DatabaseUrl>(),
            Ok(DatabaseUrl::Postgres(_))
        ));
        let err = "sqlte://g.db".parse::<DatabaseUrl>().expect_err("typo");
        assert!(
            err.to_string().contains("unknown scheme `sqlte://`"),
            "{err}"
        );
        let err = "gateway.db".parse::<DatabaseUrl>().expect_err("no scheme");
        assert!(err.to_string().contains("not a URL"), "{err}");
    }

    #[test]
    fn passwords_are_masked() {
        let url: DatabaseUrl = "postgres://app:s3cret@db:5432/gw".parse().expect("url");
        assert_eq!(url.to_string(), "postgres://app:***@db:5432/gw");
    }
}
