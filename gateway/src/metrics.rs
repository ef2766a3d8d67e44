//! Every metric the gateway exports, declared in one place with its help text.
//!
//! Each [`Metrics`] value owns its own registry, so tests and several applications in one process
//! never share counters. Label values are bounded: routes are patterns, platforms are registry ids.

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry,
    TextEncoder,
};

/// The gateway's metrics.
pub struct Metrics {
    registry: Registry,
    /// `gateway_http_requests_total{route,method,status,platform}`
    pub http_requests: IntCounterVec,
    /// `gateway_http_request_duration_seconds{route,method}`
    pub http_duration: HistogramVec,
    /// `gateway_tls_handshake_failures_total{reason,platform}`
    pub tls_handshake_failures: IntCounterVec,
    /// `gateway_db_pool_connections{state}`
    pub db_pool_connections: IntGaugeVec,
    /// `gateway_db_pool_max_connections`
    pub db_pool_max: IntGauge,
    /// `gateway_database_up`
    pub database_up: IntGauge,
    /// `gateway_rate_limited_total{platform}`
    pub rate_limited: IntCounterVec,
    /// `gateway_translations_total{from,to,outcome}`
    pub translations: IntCounterVec,
    /// `gateway_translation_duration_seconds{from,to}`
    pub translation_duration: HistogramVec,
    /// `gateway_validation_findings_total{dialect,rule,severity}`
    pub validation_findings: IntCounterVec,
    /// `gateway_announcements_published_total{platform,kind}`
    pub announcements_published: IntCounterVec,
    /// `gateway_delivery_attempts_total{platform,outcome}`
    pub delivery_attempts: IntCounterVec,
    /// `gateway_delivery_latency_seconds{platform}`
    pub delivery_latency: HistogramVec,
    /// `gateway_dead_letters_total{platform}`
    pub dead_letters: IntCounterVec,
    /// `gateway_outbox_depth{status}`
    pub outbox_depth: IntGaugeVec,
    /// The mutual-recognition bridge's metrics.
    pub bridge: BridgeMetrics,
}

/// Metrics of the CA mutual-recognition bridge. Label values come from the trust list (service
/// ids, issuer names) or from closed sets (algorithms, outcomes, reason codes).
pub struct BridgeMetrics {
    /// `gateway_certificate_verifications_total{province,ca,algorithm,outcome,reason}`
    pub verifications: IntCounterVec,
    /// `gateway_signature_verifications_total{province,ca,format,outcome,reason}`
    pub signature_verifications: IntCounterVec,
    /// `gateway_receipts_issued_total{kind}`
    pub receipts_issued: IntCounterVec,
    /// `gateway_certificate_verification_duration_seconds{cache}`
    pub verification_duration: HistogramVec,
    /// `gateway_crl_age_seconds{ca,issuer}` (set at scrape time)
    pub crl_age: IntGaugeVec,
    /// `gateway_crl_next_update_seconds{ca,issuer}` (set at scrape time)
    pub crl_next_update: IntGaugeVec,
    /// `gateway_crl_fetches_total{ca,outcome}`
    pub crl_fetches: IntCounterVec,
    /// `gateway_crl_fetch_failures_total{ca,reason}`
    pub crl_fetch_failures: IntCounterVec,
    /// `gateway_ocsp_requests_total{ca,outcome}`
    pub ocsp_requests: IntCounterVec,
    /// `gateway_trust_list_sequence`
    pub trust_list_sequence: IntGauge,
    /// `gateway_trust_list_next_update_seconds` (set at scrape time)
    pub trust_list_next_update: IntGauge,
}

/// Outcomes of a CRL fetch round (label `outcome` of `gateway_crl_fetches_total{ca,outcome}`).
pub const CRL_FETCH_OUTCOMES: [&str; 4] = ["stored", "unchanged", "outdated", "failed"];
/// Reasons a CRL download failed (label `reason` of `gateway_crl_fetch_failures_total{ca,reason}`).
pub const CRL_FETCH_FAILURE_REASONS: [&str; 5] =
    ["network", "timeout", "http-status", "too-large", "invalid"];
/// Outcomes of an OCSP request (label `outcome` of `gateway_ocsp_requests_total{ca,outcome}`).
pub const OCSP_OUTCOMES: [&str; 3] = ["ok", "failed", "cached"];

impl BridgeMetrics {
    /// Creates the per-service revocation series at zero for the trust list's services, so that
    /// the first failure of a CA is an increase that alerts can see.
    pub fn declare_services<'a>(&self, services: impl IntoIterator<Item = &'a str>) {
        for ca in services {
            for outcome in CRL_FETCH_OUTCOMES {
                self.crl_fetches.with_label_values(&[ca, outcome]);
            }
            for reason in CRL_FETCH_FAILURE_REASONS {
                self.crl_fetch_failures.with_label_values(&[ca, reason]);
            }
            for outcome in OCSP_OUTCOMES {
                self.ocsp_requests.with_label_values(&[ca, outcome]);
            }
        }
    }

    fn new(registry: &Registry) -> Result<Self, MetricsError> {
        let counter =
            |name: &str, help: &str, labels: &[&str]| -> Result<IntCounterVec, MetricsError> {
                let c = IntCounterVec::new(Opts::new(name, help), labels)?;
                registry.register(Box::new(c.clone()))?;
                Ok(c)
            };
        let gauge =
            |name: &str, help: &str, labels: &[&str]| -> Result<IntGaugeVec, MetricsError> {
                let g = IntGaugeVec::new(Opts::new(name, help), labels)?;
                registry.register(Box::new(g.clone()))?;
                Ok(g)
            };
        let verification_duration = HistogramVec::new(
            HistogramOpts::new(
                "gateway_certificate_verification_duration_seconds",
                "Time to answer a certificate verification inside the gateway, by whether the verdict came from the cache (hit, miss).",
            )
            .buckets(vec![
                0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.1, 0.5, 2.5,
            ]),
            &["cache"],
        )?;
        registry.register(Box::new(verification_duration.clone()))?;
        let trust_list_sequence = IntGauge::new(
            "gateway_trust_list_sequence",
            "Sequence number of the trust list in use (0: none installed).",
        )?;
        registry.register(Box::new(trust_list_sequence.clone()))?;
        let trust_list_next_update = IntGauge::new(
            "gateway_trust_list_next_update_seconds",
            "Seconds until the trust list in use reaches its next-update time (negative: past, the list is no longer used).",
        )?;
        registry.register(Box::new(trust_list_next_update.clone()))?;
        Ok(BridgeMetrics {
            verifications: counter(
                "gateway_certificate_verifications_total",
                "Certificate verifications answered, by the CA's province and trust-list service, the certificate's signature algorithm, outcome (valid, invalid) and reason code.",
                &["province", "ca", "algorithm", "outcome", "reason"],
            )?,
            signature_verifications: counter(
                "gateway_signature_verifications_total",
                "Bid signature verifications answered, by the signer's province and CA service, signature format (cms, raw), outcome and reason code.",
                &["province", "ca", "format", "outcome", "reason"],
            )?,
            receipts_issued: counter(
                "gateway_receipts_issued_total",
                "Signed verification receipts issued, by kind (certificate, signature).",
                &["kind"],
            )?,
            verification_duration,
            crl_age: gauge(
                "gateway_crl_age_seconds",
                "Seconds since the thisUpdate of the CRL in use, per trust-list service and CRL issuer.",
                &["ca", "issuer"],
            )?,
            crl_next_update: gauge(
                "gateway_crl_next_update_seconds",
                "Seconds until the nextUpdate of the CRL in use (negative: stale, certificates it covers are refused), per service and issuer.",
                &["ca", "issuer"],
            )?,
            crl_fetches: counter(
                "gateway_crl_fetches_total",
                "CRL fetch rounds from the trust list's supply points, by service and outcome (stored, unchanged, outdated, failed).",
                &["ca", "outcome"],
            )?,
            crl_fetch_failures: counter(
                "gateway_crl_fetch_failures_total",
                "Failed CRL download attempts, by service and reason (network, timeout, http-status, too-large, invalid).",
                &["ca", "reason"],
            )?,
            ocsp_requests: counter(
                "gateway_ocsp_requests_total",
                "OCSP requests to CA responders, by service and outcome (ok, failed, cached).",
                &["ca", "outcome"],
            )?,
            trust_list_sequence,
            trust_list_next_update,
        })
    }
}

/// Why a metric could not be registered: only possible through a programming error (a duplicate).
pub type MetricsError = prometheus::Error;

impl Metrics {
    /// Declares and registers every metric.
    pub fn new() -> Result<Self, MetricsError> {
        let registry = Registry::new();
        let http_requests = IntCounterVec::new(
            Opts::new(
                "gateway_http_requests_total",
                "HTTP requests answered, by route pattern, method, status code and calling platform.",
            ),
            &["route", "method", "status", "platform"],
        )?;
        let http_duration = HistogramVec::new(
            HistogramOpts::new(
                "gateway_http_request_duration_seconds",
                "Time from receiving a request to sending its response head, by route pattern and method.",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ]),
            &["route", "method"],
        )?;
        let tls_handshake_failures = IntCounterVec::new(
            Opts::new(
                "gateway_tls_handshake_failures_total",
                "Client certificates refused during the TLS handshake on the API listener, by reason and by the registered caller whose certificate it was (unregistered: not a registered certificate).",
            ),
            &["reason", "platform"],
        )?;
        let db_pool_connections = IntGaugeVec::new(
            Opts::new(
                "gateway_db_pool_connections",
                "Database connections held by this instance's pool, by state (idle or in_use).",
            ),
            &["state"],
        )?;
        let db_pool_max = IntGauge::new(
            "gateway_db_pool_max_connections",
            "The largest number of database connections this instance's pool may open.",
        )?;
        let database_up = IntGauge::new(
            "gateway_database_up",
            "1 when this instance reached its database at the last scrape (the outbox query answered), 0 when it did not.",
        )?;
        let rate_limited = IntCounterVec::new(
            Opts::new(
                "gateway_rate_limited_total",
                "Requests refused with 429 because the caller exceeded its rate limit, by platform.",
            ),
            &["platform"],
        )?;
        let translations = IntCounterVec::new(
            Opts::new(
                "gateway_translations_total",
                "Announcement translations and validations, by source and target dialect and outcome (ok, invalid).",
            ),
            &["from", "to", "outcome"],
        )?;
        let translation_duration = HistogramVec::new(
            HistogramOpts::new(
                "gateway_translation_duration_seconds",
                "Time to parse, validate and render one announcement, by source and target dialect.",
            )
            .buckets(vec![
                0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
            ]),
            &["from", "to"],
        )?;
        let validation_findings = IntCounterVec::new(
            Opts::new(
                "gateway_validation_findings_total",
                "Findings reported about submitted announcements, by dialect, rule id and severity.",
            ),
            &["dialect", "rule", "severity"],
        )?;
        let announcements_published = IntCounterVec::new(
            Opts::new(
                "gateway_announcements_published_total",
                "Announcement versions stored (new notices and new versions), by publishing platform and notice kind.",
            ),
            &["platform", "kind"],
        )?;
        let delivery_attempts = IntCounterVec::new(
            Opts::new(
                "gateway_delivery_attempts_total",
                "Webhook delivery attempts, by subscriber and outcome (delivered, http_error, network_error, refused_address).",
            ),
            &["platform", "outcome"],
        )?;
        let delivery_latency = HistogramVec::new(
            HistogramOpts::new(
                "gateway_delivery_latency_seconds",
                "Time from an event's commit to its acknowledgement by the subscriber.",
            )
            .buckets(vec![
                0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 1800.0,
            ]),
            &["platform"],
        )?;
        let dead_letters = IntCounterVec::new(
            Opts::new(
                "gateway_dead_letters_total",
                "Deliveries given up after the configured attempts, by subscriber.",
            ),
            &["platform"],
        )?;
        let outbox_depth = IntGaugeVec::new(
            Opts::new(
                "gateway_outbox_depth",
                "Deliveries in the outbox by status (pending, dead), read from the database at scrape time.",
            ),
            &["status"],
        )?;
        let build_info = IntGaugeVec::new(
            Opts::new(
                "gateway_build_info",
                "Always 1; the labels say which version of the gateway is running.",
            ),
            &["version"],
        )?;
        build_info
            .with_label_values(&[env!("CARGO_PKG_VERSION")])
            .set(1);

        registry.register(Box::new(http_requests.clone()))?;
        registry.register(Box::new(http_duration.clone()))?;
        registry.register(Box::new(tls_handshake_failures.clone()))?;
        registry.register(Box::new(db_pool_connections.clone()))?;
        registry.register(Box::new(db_pool_max.clone()))?;
        registry.register(Box::new(database_up.clone()))?;
        registry.register(Box::new(rate_limited.clone()))?;
        registry.register(Box::new(translations.clone()))?;
        registry.register(Box::new(translation_duration.clone()))?;
        registry.register(Box::new(validation_findings.clone()))?;
        registry.register(Box::new(announcements_published.clone()))?;
        registry.register(Box::new(delivery_attempts.clone()))?;
        registry.register(Box::new(delivery_latency.clone()))?;
        registry.register(Box::new(dead_letters.clone()))?;
        registry.register(Box::new(outbox_depth.clone()))?;
        registry.register(Box::new(build_info))?;
        let bridge = BridgeMetrics::new(&registry)?;
        Ok(Metrics {
            bridge,
            registry,
            http_requests,
            http_duration,
            tls_handshake_failures,
            db_pool_connections,
            db_pool_max,
            database_up,
            rate_limited,
            translations,
            translation_duration,
            validation_findings,
            announcements_published,
            delivery_attempts,
            delivery_latency,
            dead_letters,
            outbox_depth,
        })
    }

    /// Creates the per-caller series at zero, so that `rate()` and `increase()` see a caller's
    /// first event (a counter that appears at 1 has no increase): rate limiting for every
    /// registered caller, dead letters for platforms (operators subscribe to nothing).
    pub fn declare_callers(&self, callers: &[crate::registry::Caller]) {
        for caller in callers {
            let id = caller.id.as_str();
            self.rate_limited.with_label_values(&[id]);
            if caller.role == crate::registry::Role::Platform {
                self.dead_letters.with_label_values(&[id]);
            }
        }
    }

    /// The registry, for modules that declare metrics of their own at start-up.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Renders every metric in the Prometheus text format.
    pub fn render(&self) -> String {
        let mut buffer = Vec::new();
        // Encoding into a Vec cannot fail for I/O reasons; a failure would be a metric bug.
        if let Err(e) = TextEncoder::new().encode(&self.registry.gather(), &mut buffer) {
            tracing::error!(error = %e, "cannot encode metrics");
        }
        String::from_utf8(buffer).unwrap_or_default()
    }
}
