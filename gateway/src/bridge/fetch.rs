//! Keeping CRLs current: fetching them from the trust list's supply points.
//!
//! Why this module exists: a bridge whose CRLs go stale must refuse every certificate they cover
//! (fail closed), so each instance fetches every supply point of the list in use at least every
//! `bridge.crl_refresh_secs` and `bridge.crl_refresh_margin_secs` before the stored CRL's
//! nextUpdate. A round makes up to `bridge.fetch_attempts` attempts with doubling delays, each
//! bounded in time and size; a CRL is stored only when the list's CA signed it and it is newer
//! than the one in use ([`super::install`]). A failed round leaves the last good CRL in use and
//! retries sooner, with backoff. Instances fetch independently: storing is idempotent.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::web;

use super::BridgeError;
use super::install::{InstallError, install_crl};
use crate::db::bridge::{Actor, Refused, Stored};
use crate::http::AppState;

/// How often the fetcher looks at its schedule (and at the trust list in use).
const TICK: Duration = Duration::from_secs(1);

/// Why one download failed.
#[derive(Debug, thiserror::Error)]
pub enum FetchFailure {
    /// Connection refused, reset, DNS failure, TLS failure...
    #[error("network error: {0}")]
    Network(String),
    /// The endpoint did not answer in time.
    #[error("timed out")]
    Timeout,
    /// The endpoint answered with a non-success status.
    #[error("HTTP status {0}")]
    HttpStatus(u16),
    /// The body exceeded the size bound.
    #[error("larger than {0} bytes")]
    TooLarge(usize),
    /// The body is not a CRL (or OCSP response) that can be used.
    #[error("unusable content: {0}")]
    Invalid(String),
}

impl FetchFailure {
    /// The metric label.
    pub fn label(&self) -> &'static str {
        match self {
            FetchFailure::Network(_) => "network",
            FetchFailure::Timeout => "timeout",
            FetchFailure::HttpStatus(_) => "http-status",
            FetchFailure::TooLarge(_) => "too-large",
            FetchFailure::Invalid(_) => "invalid",
        }
    }

    /// Classifies a client error.
    pub fn from_reqwest(e: reqwest::Error) -> FetchFailure {
        if e.is_timeout() {
            FetchFailure::Timeout
        } else {
            FetchFailure::Network(e.to_string())
        }
    }
}

/// Reads a successful response's body, refusing more than `max_bytes`.
pub async fn read_bounded(
    mut response: reqwest::Response,
    max_bytes: usize,
) -> Result<Vec<u8>, FetchFailure> {
    if !response.status().is_success() {
        return Err(FetchFailure::HttpStatus(response.status().as_u16()));
    }
    if response
        .content_length()
        .is_some_and(|n| n > max_bytes as u64)
    {
        return Err(FetchFailure::TooLarge(max_bytes));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(FetchFailure::from_reqwest)? {
        if body.len() + chunk.len() > max_bytes {
            return Err(FetchFailure::TooLarge(max_bytes));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The HTTP client for supply points and OCSP responders: http allowed (CRLs and OCSP responses
/// are signed), a few redirects followed.
pub fn client() -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .user_agent(concat!("yrd-gateway/", env!("CARGO_PKG_VERSION")))
        .redirect(reqwest::redirect::Policy::limited(3))
        .build()
}

/// When a supply point is next due, and whether a round is running.
#[derive(Debug, Clone, Copy)]
struct Due {
    at: i64,
    failures: u32,
    running: bool,
}

type Schedule = Arc<Mutex<HashMap<String, Due>>>;

/// Starts the fetcher of this instance (none when fetching is off or the bridge is not configured).
pub fn spawn(
    state: web::Data<AppState>,
    stop: crate::shutdown::Shutdown,
) -> Option<tokio::task::JoinHandle<()>> {
    if !state.settings.bridge.fetch_crls || state.bridge.signer().is_err() {
        return None;
    }
    let client = state.bridge.http().clone();
    Some(tokio::spawn(run(state, client, stop)))
}

async fn run(state: web::Data<AppState>, client: reqwest::Client, stop: crate::shutdown::Shutdown) {
    let schedule: Schedule = Arc::default();
    loop {
        tokio::select! {
            () = stop.requested() => return,
            _ = tokio::time::sleep(TICK) => {}
        }
        let snapshot = match state.bridge.current(&state.db).await {
            Ok(s) => s,
            Err(BridgeError::NotConfigured) => return,
            Err(e) => {
                tracing::warn!(error = %e, "CRL fetcher cannot read the bridge data");
                continue;
            }
        };
        let now = super::unix_now();
        let Ok(verifier) = snapshot.verifier_at(now) else {
            continue;
        };
        let Ok(mut due) = schedule.lock() else {
            return;
        };
        for service in verifier.trust_list().services() {
            for url in &service.crl_urls {
                let entry = due.entry(url.clone()).or_insert(Due {
                    at: now,
                    failures: 0,
                    running: false,
                });
                if entry.running || entry.at > now {
                    continue;
                }
                entry.running = true;
                tokio::spawn(round(
                    state.clone(),
                    client.clone(),
                    schedule.clone(),
                    service.id.clone(),
                    url.clone(),
                ));
            }
        }
    }
}

/// One fetch round for one supply point; reschedules it when done.
async fn round(
    state: web::Data<AppState>,
    client: reqwest::Client,
    schedule: Schedule,
    service: String,
    url: String,
) {
    let settings = &state.settings.bridge;
    let metrics = &state.metrics.bridge;
    let timeout = Duration::from_secs(settings.fetch_timeout_secs);
    let mut delay = Duration::from_millis(settings.fetch_retry_delay_ms);
    let mut outcome = Err(FetchFailure::Network("no attempt made".to_owned()));
    for attempt in 0..settings.fetch_attempts {
        if attempt > 0 {
            tokio::time::sleep(delay).await;
            delay = delay.saturating_mul(2);
        }
        outcome = fetch_and_store(&state, &client, &url, timeout).await;
        match &outcome {
            Ok(_) => break,
            Err(e) => {
                metrics
                    .crl_fetch_failures
                    .with_label_values(&[&service, e.label()])
                    .inc();
                tracing::warn!(%url, ca = %service, attempt = attempt + 1, error = %e, "CRL fetch failed");
            }
        }
    }
    let now = super::unix_now();
    let refresh = i64::try_from(settings.crl_refresh_secs).unwrap_or(i64::MAX);
    let margin = i64::try_from(settings.crl_refresh_margin_secs).unwrap_or(0);
    let (label, next) = match outcome {
        Ok((stored, next_update)) => {
            let label = match stored {
                Fetched::Stored => "stored",
                Fetched::Unchanged => "unchanged",
                Fetched::Outdated => "outdated",
            };
            // Before the nextUpdate (by the margin), at least every refresh period, never in a
            // tight loop when a CA's nextUpdate is already near.
            let before_next = next_update.saturating_sub(margin);
            (
                label,
                before_next.min(now + refresh).max(now + refresh.min(30)),
            )
        }
        Err(_) => ("failed", now),
    };
    metrics
        .crl_fetches
        .with_label_values(&[&service, label])
        .inc();
    if let Ok(mut due) = schedule.lock() {
        let entry = due.entry(url).or_insert(Due {
            at: now,
            failures: 0,
            running: false,
        });
        entry.running = false;
        if label == "failed" {
            entry.failures = entry.failures.saturating_add(1);
            let backoff = 30i64.saturating_mul(1 << entry.failures.min(10));
            entry.at = now + backoff.min(refresh);
        } else {
            entry.failures = 0;
            entry.at = next;
        }
    }
}

/// What a successful download did.
enum Fetched {
    Stored,
    Unchanged,
    Outdated,
}

/// Downloads one CRL and stores it; returns what happened and the nextUpdate of the CRL.
async fn fetch_and_store(
    state: &web::Data<AppState>,
    client: &reqwest::Client,
    url: &str,
    timeout: Duration,
) -> Result<(Fetched, i64), FetchFailure> {
    let response = client
        .get(url)
        .timeout(timeout)
        .send()
        .await
        .map_err(FetchFailure::from_reqwest)?;
    let body = read_bounded(response, state.settings.bridge.fetch_max_bytes).await?;
    let snapshot = state
        .bridge
        .current(&state.db)
        .await
        .map_err(|e| FetchFailure::Invalid(e.to_string()))?;
    let source = url.to_owned();
    let result = state
        .db
        .run_write(move |conn| {
            let now = super::unix_now();
            let verifier = snapshot
                .verifier_at(now)
                .map_err(|_| crate::db::DbError::Task("no usable trust list".to_owned()))?;
            let request_id = format!("crl-fetch-{}", uuid::Uuid::new_v4());
            Ok(install_crl(
                conn,
                verifier.trust_list(),
                &body,
                now,
                &source,
                Actor {
                    id: "fetcher",
                    request_id: &request_id,
                },
            ))
        })
        .await
        .map_err(|e| FetchFailure::Invalid(e.to_string()))?;
    match result {
        Ok((crl, Stored::Installed)) => {
            tracing::info!(%url, issuer = %crl.issuer, "CRL stored");
            Ok((Fetched::Stored, crl.next_update))
        }
        Ok((crl, Stored::Unchanged)) => Ok((Fetched::Unchanged, crl.next_update)),
        Err(InstallError::Refused(Refused::Outdated(why))) => {
            tracing::info!(%url, %why, "fetched CRL is older than the one in use");
            Ok((Fetched::Outdated, i64::MAX))
        }
        Err(e) => Err(FetchFailure::Invalid(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::FetchFailure;
    use crate::metrics::CRL_FETCH_FAILURE_REASONS;

    #[test]
    fn every_failure_label_is_declared_at_zero() {
        let failures = [
            FetchFailure::Network(String::new()),
            FetchFailure::Timeout,
            FetchFailure::HttpStatus(500),
            FetchFailure::TooLarge(1),
            FetchFailure::Invalid(String::new()),
        ];
        let labels: Vec<&str> = failures.iter().map(FetchFailure::label).collect();
        assert_eq!(labels, CRL_FETCH_FAILURE_REASONS);
    }
}
