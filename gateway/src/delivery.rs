//! Push delivery: workers that send outbox deliveries to subscribers' webhooks.
//!
//! Each delivery is sent at least once: a worker takes a lease on the oldest due delivery of a
//! subscriber, POSTs the event, and records the outcome; a failure is retried with exponential
//! backoff and jitter until `max_attempts`, then becomes a dead letter. Receivers drop duplicates
//! by `X-Gateway-Event-Id` and check `X-Gateway-Signature` (see [`signature_header`]).
//! Receiver addresses are checked when a subscription is registered and again when each
//! delivery is sent, through [`GuardedResolver`], since DNS may change in between.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use actix_web::web;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use time::OffsetDateTime;

use crate::config::DeliverySettings;
use crate::db::{deliveries, timestamp_text};
use crate::http::AppState;

/// Header with the event id, stable across retries.
pub const EVENT_ID_HEADER: &str = "x-gateway-event-id";
/// Header with the Unix time (seconds) the signature covers.
pub const TIMESTAMP_HEADER: &str = "x-gateway-timestamp";
/// Header with `sha256=HEX` (and, during a secret rotation, a second `sha256=HEX`).
pub const SIGNATURE_HEADER: &str = "x-gateway-signature";

/// The HMAC-SHA256 of `TIMESTAMP.BODY` with `secret`, as lowercase hex.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    // HMAC takes keys of any length.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// `sha256=HEX` for the current secret, then for the previous one while its overlap lasts.
pub fn signature_header(
    secret: &str,
    previous: Option<&str>,
    timestamp: i64,
    body: &[u8],
) -> String {
    let mut value = format!("sha256={}", sign(secret, timestamp, body));
    if let Some(old) = previous {
        value.push_str(&format!(", sha256={}", sign(old, timestamp, body)));
    }
    value
}

/// Why a receiver address is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    /// Not an absolute http(s) URL.
    #[error("not an http(s) URL: {0}")]
    NotHttp(String),
    /// `http://` while only https is allowed.
    #[error("the receiver must use https")]
    HttpsRequired,
    /// The host resolves to an address that configuration does not allow.
    #[error("{host} resolves to {addr}, a {kind} address")]
    Forbidden {
        /// Host name in the URL.
        host: String,
        /// The refused address.
        addr: IpAddr,
        /// loopback, private, link-local, ...
        kind: &'static str,
    },
    /// The host does not resolve.
    #[error("{0} does not resolve")]
    Unresolvable(String),
}

/// What kind of non-public address this is, if any.
fn classify(addr: IpAddr) -> Option<&'static str> {
    let addr = match addr {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    };
    match addr {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            if v4.is_loopback() {
                Some("loopback")
            } else if v4.is_private() || (o[0] == 100 && (64..128).contains(&o[1])) {
                Some("private")
            } else if v4.is_link_local() {
                Some("link-local")
            } else if v4.is_unspecified() || v4.is_broadcast() || v4.is_multicast() || o[0] == 0 {
                Some("reserved")
            } else {
                None
            }
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            if v6.is_loopback() {
                Some("loopback")
            } else if (first & 0xfe00) == 0xfc00 {
                Some("private")
            } else if (first & 0xffc0) == 0xfe80 {
                Some("link-local")
            } else if v6.is_unspecified() || v6.is_multicast() {
                Some("reserved")
            } else {
                None
            }
        }
    }
}

/// Whether settings allow delivering to `addr`; the refusal names the kind of address.
pub fn check_address(settings: &DeliverySettings, addr: IpAddr) -> Result<(), &'static str> {
    match classify(addr) {
        None => Ok(()),
        Some("loopback") if settings.allow_loopback => Ok(()),
        Some("private" | "link-local") if settings.allow_private => Ok(()),
        Some(kind) => Err(kind),
    }
}

/// Checks a receiver URL: scheme, and every address its host resolves to.
pub async fn check_url(settings: &DeliverySettings, url: &str) -> Result<(), AddressError> {
    let parsed = reqwest::Url::parse(url).map_err(|e| AddressError::NotHttp(e.to_string()))?;
    match parsed.scheme() {
        "https" => {}
        "http" if settings.allow_http => {}
        "http" => return Err(AddressError::HttpsRequired),
        other => return Err(AddressError::NotHttp(format!("scheme `{other}`"))),
    }
    let host = parsed
        .host_str()
        .ok_or_else(|| AddressError::NotHttp("no host".to_owned()))?
        .to_owned();
    let port = parsed.port_or_known_default().unwrap_or(443);
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let addrs: Vec<SocketAddr> = match bare.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => tokio::net::lookup_host((bare, port))
            .await
            .map_err(|_| AddressError::Unresolvable(host.clone()))?
            .collect(),
    };
    if addrs.is_empty() {
        return Err(AddressError::Unresolvable(host));
    }
    for a in addrs {
        check_address(settings, a.ip()).map_err(|kind| AddressError::Forbidden {
            host: host.clone(),
            addr: a.ip(),
            kind,
        })?;
    }
    Ok(())
}

/// A DNS resolver for the delivery client that refuses addresses configuration does not allow,
/// so the address checked is the address connected to.
#[derive(Debug, Clone)]
pub struct GuardedResolver {
    settings: Arc<DeliverySettings>,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let settings = self.settings.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            for a in &addrs {
                if let Err(kind) = check_address(&settings, a.ip()) {
                    return Err(format!("{host} resolves to {}, a {kind} address", a.ip()).into());
                }
            }
            let iter: reqwest::dns::Addrs = Box::new(addrs.into_iter());
            Ok(iter)
        })
    }
}

/// The HTTP client of the delivery workers.
pub fn client(settings: &DeliverySettings) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(settings.timeout_secs.max(1)))
        .connect_timeout(Duration::from_secs(settings.timeout_secs.clamp(1, 5)))
        .redirect(reqwest::redirect::Policy::none())
        .dns_resolver(Arc::new(GuardedResolver {
            settings: Arc::new(settings.clone()),
        }))
        .user_agent(concat!("yrd-gateway/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// Delay before attempt `attempts + 1`: doubling from the initial delay, capped, with jitter
/// (between half and all of it) so retries of many deliveries spread out.
pub fn backoff(settings: &DeliverySettings, attempts: u32, jitter: f64) -> Duration {
    let exp = settings
        .backoff_initial_ms
        .saturating_mul(1u64 << attempts.min(30));
    let capped = exp.min(settings.backoff_max_secs.saturating_mul(1000));
    let factor = 0.5 + 0.5 * jitter.clamp(0.0, 1.0);
    Duration::from_millis((capped as f64 * factor) as u64)
}

fn jitter() -> f64 {
    (uuid::Uuid::new_v4().as_u128() % 10_000) as f64 / 10_000.0
}

/// Starts the configured number of workers; each stops after its current delivery once the
/// shutdown is requested.
pub fn spawn_workers(
    state: web::Data<AppState>,
    stop: crate::shutdown::Shutdown,
) -> Vec<tokio::task::JoinHandle<()>> {
    let settings = state.settings.delivery.clone();
    let client = match client(&settings) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "push delivery disabled: cannot build its HTTP client");
            return Vec::new();
        }
    };
    (0..settings.workers)
        .map(|n| {
            let worker = format!("{}-{n}", uuid::Uuid::new_v4());
            tokio::spawn(run_worker(
                state.clone(),
                client.clone(),
                worker,
                stop.clone(),
            ))
        })
        .collect()
}

async fn run_worker(
    state: web::Data<AppState>,
    client: reqwest::Client,
    worker: String,
    stop: crate::shutdown::Shutdown,
) {
    let poll = Duration::from_millis(state.settings.delivery.poll_interval_ms.max(10));
    while !stop.is_requested() {
        let worked = match deliver_one(&state, &client, &worker).await {
            Ok(worked) => worked,
            Err(e) => {
                tracing::warn!(error = %e, "delivery worker: database error");
                false
            }
        };
        if worked {
            continue;
        }
        tokio::select! {
            () = stop.requested() => return,
            () = tokio::time::sleep(poll) => {}
        }
    }
}

/// Sends one due delivery, if there is one. Returns whether there was.
async fn deliver_one(
    state: &web::Data<AppState>,
    client: &reqwest::Client,
    worker: &str,
) -> Result<bool, crate::db::DbError> {
    let settings = &state.settings.delivery;
    let now = OffsetDateTime::now_utc();
    let lease = now + Duration::from_secs(settings.timeout_secs.saturating_mul(3).max(30));
    let (now_text, lease_text, who) = (
        timestamp_text(now),
        timestamp_text(lease),
        worker.to_owned(),
    );
    let claimed = state
        .db
        .run(move |conn| {
            let Some(delivery) = deliveries::claim(conn, &who, &now_text, &lease_text)? else {
                return Ok(None);
            };
            let sub = deliveries::find_subscription(conn, &delivery.platform_id)?;
            let item = crate::db::announcements::feed_item(conn, delivery.event_seq)?;
            Ok(Some((delivery, sub, item)))
        })
        .await?;
    let Some((delivery, Some(sub), Some(item))) = claimed else {
        return Ok(false);
    };
    let format: interchange::Dialect = sub
        .format
        .parse()
        .unwrap_or(interchange::Dialect::Canonical);
    let outcome = match crate::exchange::event_json(state, &item, format) {
        Ok(event) => send(state, client, &sub, &item.event_id, &event).await,
        Err(e) => Err(("internal", e.to_string())),
    };
    let platform = delivery.platform_id.clone();
    let metrics = &state.metrics;
    match outcome {
        Ok(()) => {
            metrics
                .delivery_attempts
                .with_label_values(&[platform.as_str(), "delivered"])
                .inc();
            if let Ok(committed) = time::OffsetDateTime::parse(
                &delivery.committed_at,
                &time::format_description::well_known::Rfc3339,
            ) {
                metrics
                    .delivery_latency
                    .with_label_values(&[platform.as_str()])
                    .observe(
                        (OffsetDateTime::now_utc() - committed)
                            .as_seconds_f64()
                            .max(0.0),
                    );
            }
            let (id, who) = (delivery.id.clone(), worker.to_owned());
            state
                .db
                .run(move |conn| deliveries::mark_delivered(conn, &id, &who))
                .await?;
        }
        Err((kind, error)) => {
            metrics
                .delivery_attempts
                .with_label_values(&[platform.as_str(), kind])
                .inc();
            let attempts = u32::try_from(delivery.attempts).unwrap_or(0) + 1;
            let dead = attempts >= settings.max_attempts;
            if dead {
                metrics
                    .dead_letters
                    .with_label_values(&[platform.as_str()])
                    .inc();
                tracing::warn!(delivery = %delivery.id, %platform, %error, "delivery dead-lettered");
            } else {
                tracing::info!(delivery = %delivery.id, %platform, attempts, %error, "delivery failed; will retry");
            }
            let next = timestamp_text(
                OffsetDateTime::now_utc() + backoff(settings, attempts - 1, jitter()),
            );
            let (id, who) = (delivery.id.clone(), worker.to_owned());
            state
                .db
                .run(move |conn| deliveries::mark_failed(conn, &id, &who, &error, &next, dead))
                .await?;
        }
    }
    Ok(true)
}

async fn send(
    state: &AppState,
    client: &reqwest::Client,
    sub: &deliveries::Subscription,
    event_id: &str,
    event: &serde_json::Value,
) -> Result<(), (&'static str, String)> {
    let settings = &state.settings.delivery;
    check_url(settings, &sub.url)
        .await
        .map_err(|e| ("refused_address", e.to_string()))?;
    let body = serde_json::to_vec(event).map_err(|e| ("internal", e.to_string()))?;
    let timestamp = OffsetDateTime::now_utc().unix_timestamp();
    let now = timestamp_text(OffsetDateTime::now_utc());
    let previous = sub.previous_secret.as_deref().filter(|_| {
        sub.previous_secret_until
            .as_deref()
            .is_some_and(|until| until > now.as_str())
    });
    let response = client
        .post(&sub.url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(EVENT_ID_HEADER, event_id)
        .header(TIMESTAMP_HEADER, timestamp.to_string())
        .header(
            SIGNATURE_HEADER,
            signature_header(&sub.secret, previous, timestamp, &body),
        )
        .body(body)
        .send()
        .await
        .map_err(|e| ("network_error", e.to_string()))?;
    if response.status().is_success() {
        Ok(())
    } else {
        Err((
            "http_error",
            format!("receiver answered {}", response.status()),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_hmac_of_timestamp_dot_body() {
        // Computed independently: python3 -c 'import hmac,hashlib;
        // print(hmac.new(b"secret", b"1700000000.{}", hashlib.sha256).hexdigest())'
        let sig = sign("secret", 1_700_000_000, b"{}");
        assert_eq!(
            sig,
            "b8569b78799ff9e3cbff0fc2d63a33a2b57f3282abd07c37ae5e8e7d79a5f163"
        );
        assert_ne!(sig, sign("secret", 1_700_000_001, b"{}"));
        assert_ne!(sig, sign("other", 1_700_000_000, b"{}"));
        let both = signature_header("new", Some("old"), 1, b"x");
        assert_eq!(
            both,
            format!(
                "sha256={}, sha256={}",
                sign("new", 1, b"x"),
                sign("old", 1, b"x")
            )
        );
    }

    #[test]
    fn addresses_are_classified() {
        let strict = DeliverySettings::default();
        for (ip, kind) in [
            ("127.0.0.1", "loopback"),
            ("::1", "loopback"),
            ("10.1.2.3", "private"),
            ("172.16.0.1", "private"),
            ("192.168.1.1", "private"),
            ("100.64.0.1", "private"),
            ("169.254.169.254", "link-local"),
            ("fe80::1", "link-local"),
            ("fd00::1", "private"),
            ("::ffff:127.0.0.1", "loopback"),
            ("0.0.0.0", "reserved"),
        ] {
            let addr: IpAddr = ip.parse().expect("ip");
            assert_eq!(check_address(&strict, addr), Err(kind), "{ip}");
        }
        assert_eq!(
            check_address(&strict, "203.0.113.9".parse().expect("ip")),
            Ok(())
        );
        let loopback_ok = DeliverySettings {
            allow_loopback: true,
            ..DeliverySettings::default()
        };
        assert_eq!(
            check_address(&loopback_ok, "127.0.0.1".parse().expect("ip")),
            Ok(())
        );
        assert_eq!(
            check_address(&loopback_ok, "10.0.0.1".parse().expect("ip")),
            Err("private")
        );
    }

    #[test]
    fn backoff_doubles_with_jitter_and_a_cap() {
        let s = DeliverySettings {
            backoff_initial_ms: 1000,
            backoff_max_secs: 10,
            ..DeliverySettings::default()
        };
        assert_eq!(backoff(&s, 0, 1.0), Duration::from_secs(1));
        assert_eq!(backoff(&s, 1, 1.0), Duration::from_secs(2));
        assert_eq!(backoff(&s, 2, 0.0), Duration::from_secs(2));
        assert_eq!(backoff(&s, 20, 1.0), Duration::from_secs(10));
    }

    #[tokio::test]
    async fn urls_are_checked() {
        let strict = DeliverySettings::default();
        assert_eq!(
            check_url(&strict, "ftp://example.org/x").await,
            Err(AddressError::NotHttp("scheme `ftp`".to_owned()))
        );
        assert_eq!(
            check_url(&strict, "http://203.0.113.9/x").await,
            Err(AddressError::HttpsRequired)
        );
        assert!(matches!(
            check_url(&strict, "https://127.0.0.1:9/hook").await,
            Err(AddressError::Forbidden {
                kind: "loopback",
                ..
            })
        ));
        assert_eq!(check_url(&strict, "https://203.0.113.9/hook").await, Ok(()));
    }
}
