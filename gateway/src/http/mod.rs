//! The HTTP layer: shared state, extractors and the middleware every API request passes through.
//!
//! Order, outermost first: request id, metrics, problem normalisation, authentication, rate limit,
//! then the route with its timeout. Middleware never returns `Err`: refusals are responses, so the outer
//! layers (request id, metrics) see and label them.

pub mod authn;
pub mod extract;
pub mod observe;
pub mod problems;
pub mod rate_limit;
pub mod request_id;
pub mod timeout;

use std::sync::Arc;

use crate::config::Settings;
use crate::db::Database;
use crate::metrics::Metrics;

/// What every handler can reach, built once at start-up.
pub struct AppState {
    /// The database pool.
    pub db: Database,
    /// The metrics registry.
    pub metrics: Arc<Metrics>,
    /// The settings in effect.
    pub settings: Arc<Settings>,
    /// Per-caller request budget.
    pub limiter: rate_limit::RateLimiter,
    /// The announcement code tables, parsed once.
    pub tables: Arc<interchange::Tables>,
    /// How strictly announcements are validated.
    pub policy: interchange::ValidationPolicy,
    /// The CA mutual-recognition bridge of this instance.
    pub bridge: crate::bridge::Bridge,
    /// Registered certificates by fingerprint, for naming refused TLS peers in metrics.
    pub known_peers: crate::tls::KnownPeers,
    /// The receipt key, when configured.
    pub receipts: crate::receipts::Receipts,
    /// Set when the gateway is shutting down: readiness turns false, workers stop.
    pub shutdown: crate::shutdown::Shutdown,
}

/// Makes the registry's callers known to the metrics: their zero series, and their certificate
/// fingerprints for naming refused TLS peers. Called at start-up, after a certificate rotation
/// and every 30 s ([`watch_registry`]).
pub fn observe_registry(
    metrics: &Metrics,
    known_peers: &crate::tls::KnownPeers,
    callers: &[crate::registry::Caller],
) {
    metrics.declare_callers(callers);
    known_peers.replace(
        callers
            .iter()
            .map(|c| (c.cert_sha256.clone(), c.id.to_string())),
    );
}

/// How often [`watch_registry`] re-reads the registry.
const REGISTRY_REFRESH: std::time::Duration = std::time::Duration::from_secs(30);

/// Re-reads the registry every 30 s until shutdown, so that a certificate rotated through another
/// instance names its refused handshakes here too even without a metrics scrape.
pub fn watch_registry(
    state: actix_web::web::Data<AppState>,
    stop: crate::shutdown::Shutdown,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::select! {
                () = stop.requested() => return,
                () = tokio::time::sleep(REGISTRY_REFRESH) => {}
            }
            match state.db.run(crate::db::platforms::list).await {
                Ok(callers) => observe_registry(&state.metrics, &state.known_peers, &callers),
                Err(e) => tracing::debug!(error = %e, "registry not re-read"),
            }
        }
    })
}
