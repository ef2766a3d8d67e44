//! The CA mutual-recognition bridge inside the gateway.
//!
//! Why this module exists: `ca_bridge` judges certificates from data passed in; the gateway keeps
//! that data current and shared. The signed trust list and the CRLs live in the database
//! ([`crate::db::bridge`]); every instance holds a parsed [`Snapshot`] of them and, before it
//! answers, compares the snapshot's revocation-data version with the database's, so a list or CRL
//! installed through any instance is used by all at once. Verdicts are cached per instance, keyed
//! by the request and the snapshot's version ([`cache`]); CRLs are fetched from the supply points
//! of the list ([`fetch`]); OCSP responders are asked when no current CRL decides ([`ocsp`]).
//!
//! - [`install`]: checking and storing trust lists and CRLs (API, CLI, demo, fetcher alike);
//! - [`snapshot`]: the parsed data in use;
//! - [`verify`]: `POST /v1/certificates/verify`, from request body to verdict;
//! - [`signature`]: `POST /v1/signatures/verify`, the same for bid signatures.

pub mod cache;
pub mod fetch;
pub mod install;
pub mod ocsp;
pub mod signature;
pub mod snapshot;
pub mod verify;

use std::path::Path;
use std::sync::{Arc, RwLock};

use ca_bridge::{Certificate, TrustListSigner};

use crate::config::BridgeSettings;
use crate::db::{Database, DbError};
pub use snapshot::Snapshot;

/// Why the bridge cannot answer.
#[derive(Debug, thiserror::Error)]
pub enum BridgeError {
    /// No trust-list signer is configured: the bridge is off.
    #[error(
        "the bridge is not configured: set bridge.trust_list_signer to the operator's certificate"
    )]
    NotConfigured,
    /// The configured signer certificate is unusable.
    #[error("bridge.trust_list_signer {path}: {reason}")]
    Signer {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// The HTTP client for supply points and responders could not be built.
    #[error("bridge HTTP client: {0}")]
    Client(String),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

/// The bridge of one gateway instance: the pinned signer, the snapshot in use and the caches.
pub struct Bridge {
    signer: Option<TrustListSigner>,
    settings: BridgeSettings,
    snapshot: RwLock<Arc<Snapshot>>,
    reload: tokio::sync::Mutex<()>,
    http: reqwest::Client,
    /// Verdicts already computed.
    pub verdicts: cache::VerdictCache,
    /// OCSP responses fetched, until their nextUpdate.
    pub ocsp_responses: ocsp::OcspCache,
}

impl Bridge {
    /// A bridge pinned to the operator certificate at `signer` (`None`: the bridge is off).
    pub fn new(signer: Option<&Path>, settings: &BridgeSettings) -> Result<Bridge, BridgeError> {
        let signer = signer.map(load_signer).transpose()?;
        Ok(Bridge {
            signer,
            settings: settings.clone(),
            snapshot: RwLock::new(Arc::new(Snapshot::empty())),
            reload: tokio::sync::Mutex::new(()),
            http: fetch::client().map_err(|e| BridgeError::Client(e.to_string()))?,
            verdicts: cache::VerdictCache::new(
                settings.verdict_cache_entries,
                settings.verdict_cache_ttl_secs,
            ),
            ocsp_responses: ocsp::OcspCache::default(),
        })
    }

    /// The pinned trust-list signer.
    pub fn signer(&self) -> Result<&TrustListSigner, BridgeError> {
        self.signer.as_ref().ok_or(BridgeError::NotConfigured)
    }

    /// The HTTP client for CRL supply points and OCSP responders (built once, connections reused).
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// The bridge settings.
    pub fn settings(&self) -> &BridgeSettings {
        &self.settings
    }

    /// The snapshot matching the database's current revocation-data version, reloaded first when
    /// another instance (or this one) changed the data.
    pub async fn current(&self, db: &Database) -> Result<Arc<Snapshot>, BridgeError> {
        let signer = self.signer()?.clone();
        let version = db.run(crate::db::bridge::revocation_version).await?;
        let held = self.held();
        if held.version == Some(version) {
            return Ok(held);
        }
        let _reloading = self.reload.lock().await;
        let held = self.held();
        if held.version.is_some_and(|v| v >= version) {
            return Ok(held);
        }
        let now = unix_now();
        let fresh = db
            .run(move |conn| Snapshot::load(conn, &signer, now))
            .await?;
        let fresh = Arc::new(fresh);
        if let Ok(mut slot) = self.snapshot.write() {
            *slot = fresh.clone();
        }
        tracing::info!(
            version = fresh.version,
            trust_list = fresh.sequence(),
            crls = fresh.crls.len(),
            "bridge data reloaded"
        );
        Ok(fresh)
    }

    /// The snapshot held now, without checking the database.
    pub fn held(&self) -> Arc<Snapshot> {
        match self.snapshot.read() {
            Ok(s) => s.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }
}

fn load_signer(path: &Path) -> Result<TrustListSigner, BridgeError> {
    let err = |reason: String| BridgeError::Signer {
        path: path.display().to_string(),
        reason,
    };
    let bytes = std::fs::read(path).map_err(|e| err(e.to_string()))?;
    let blocks = ca_bridge::decode_pem_or_der(&bytes).map_err(|e| err(e.to_string()))?;
    let (_, der) = blocks
        .into_iter()
        .find(|(label, _)| label == "CERTIFICATE" || label.is_empty())
        .ok_or_else(|| err("no certificate in the file".to_owned()))?;
    let cert = Certificate::from_der(&der).map_err(|e| err(e.to_string()))?;
    TrustListSigner::new(cert).map_err(|e| err(e.to_string()))
}

/// The current time in Unix seconds (the one place the bridge reads the clock).
pub fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}
