//! The API listener's TLS: server certificate, platform client-certificate verification.
//!
//! Client certificates are verified by rustls' WebPKI verifier against the configured platform CAs
//! (chain, validity, key usage); this module only adds a failure counter by reason and by the
//! registered caller the refused certificate belongs to (an expired or revoked platform
//! certificate is still recognised by its fingerprint). A certificate is
//! optional in the handshake so that a request without one gets a readable 401 problem document
//! instead of a bare TLS alert; every `/v1` route requires it (see `http::authn`).

use std::any::Any;
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, RwLock};

use actix_web::dev::Extensions;
use prometheus::IntCounterVec;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
use rustls::server::WebPkiClientVerifier;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{
    CertificateError, DigitallySignedStruct, DistinguishedName, RootCertStore, ServerConfig,
    SignatureScheme,
};

use crate::registry::CertFingerprint;

/// Why the TLS configuration could not be built.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A PEM file could not be read or holds nothing usable.
    #[error("{path}: {message}")]
    Pem {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// rustls refused the configuration (e.g. key does not match certificate).
    #[error("TLS configuration: {0}")]
    Rustls(#[from] rustls::Error),
    /// The client verifier could not be built (e.g. no usable CA).
    #[error("client certificate verifier: {0}")]
    Verifier(String),
}

/// The crypto provider used for every rustls configuration of the gateway.
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Reads every certificate of a PEM file.
pub fn read_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let pem_error = |message: String| TlsError::Pem {
        path: path.display().to_string(),
        message,
    };
    let bytes = std::fs::read(path).map_err(|e| pem_error(e.to_string()))?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem_error(format!("not a PEM certificate file ({e})")))?;
    if certs.is_empty() {
        return Err(pem_error("holds no certificate".to_owned()));
    }
    Ok(certs)
}

fn read_private_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_file(path).map_err(|e| TlsError::Pem {
        path: path.display().to_string(),
        message: format!("no usable private key ({e})"),
    })
}

/// The registered callers by certificate fingerprint, as last read from the registry: lets the
/// handshake (which cannot query the database) say whose certificate it refused.
///
/// Refreshed at start-up, after a certificate rotation on this instance and every 30 s
/// (`http::watch_registry`, which is how other instances learn of a rotation); a certificate
/// registered in between is counted as `unregistered` until the next refresh. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct KnownPeers(Arc<RwLock<HashMap<CertFingerprint, String>>>);

impl KnownPeers {
    /// Replaces the map with these (fingerprint, caller id) pairs.
    pub fn replace(&self, peers: impl IntoIterator<Item = (CertFingerprint, String)>) {
        let map = peers.into_iter().collect();
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = map;
    }

    /// The caller id of a certificate, or `unregistered`: a bounded metric label.
    fn label(&self, end_entity: &CertificateDer<'_>) -> String {
        let fingerprint = CertFingerprint::of_der(end_entity.as_ref());
        self.0
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&fingerprint)
            .cloned()
            .unwrap_or_else(|| "unregistered".to_owned())
    }
}

/// Builds the API listener's rustls configuration.
pub fn server_config(
    certificate: &Path,
    private_key: &Path,
    client_cas: &[Vec<CertificateDer<'static>>],
    failures: IntCounterVec,
    peers: KnownPeers,
) -> Result<ServerConfig, TlsError> {
    let provider = provider();
    let chain = read_certificates(certificate)?;
    let key = read_private_key(private_key)?;
    let mut roots = RootCertStore::empty();
    for cert in client_cas.iter().flatten() {
        roots
            .add(cert.clone())
            .map_err(|e| TlsError::Verifier(format!("platform CA certificate refused: {e}")))?;
    }
    let inner = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .allow_unauthenticated()
        .build()
        .map_err(|e| TlsError::Verifier(e.to_string()))?;
    let verifier = Arc::new(CountingVerifier {
        inner,
        failures,
        peers,
    });
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)?;
    Ok(config)
}

/// Delegates to WebPKI and counts refusals by reason and caller.
#[derive(Debug)]
struct CountingVerifier {
    inner: Arc<dyn ClientCertVerifier>,
    failures: IntCounterVec,
    peers: KnownPeers,
}

fn failure_reason(error: &rustls::Error) -> &'static str {
    match error {
        rustls::Error::InvalidCertificate(e) => match e {
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => "expired",
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                "not-yet-valid"
            }
            CertificateError::UnknownIssuer => "unknown-issuer",
            CertificateError::BadSignature => "bad-signature",
            CertificateError::Revoked => "revoked",
            CertificateError::BadEncoding => "bad-encoding",
            CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
                "invalid-purpose"
            }
            _ => "other-certificate-error",
        },
        _ => "other",
    }
}

impl ClientCertVerifier for CountingVerifier {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        false
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        self.inner.root_hint_subjects()
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        self.inner
            .verify_client_cert(end_entity, intermediates, now)
            .inspect_err(|e| {
                let reason = failure_reason(e);
                let platform = self.peers.label(end_entity);
                tracing::info!(reason, %platform, error = %e, "client certificate refused in the TLS handshake");
                self.failures
                    .with_label_values(&[reason, platform.as_str()])
                    .inc();
            })
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// The verified client certificate of a connection, stored as connection data.
#[derive(Debug, Clone)]
pub struct PeerCertificate {
    /// The end-entity certificate's fingerprint, which the registry maps to a caller.
    pub fingerprint: CertFingerprint,
}

/// `HttpServer::on_connect` hook: records the client certificate of a TLS connection.
pub fn on_connect(connection: &dyn Any, data: &mut Extensions) {
    type Stream = actix_tls::accept::rustls_0_23::TlsStream<actix_web::rt::net::TcpStream>;
    if let Some(stream) = connection.downcast_ref::<Stream>() {
        let (_, session) = stream.get_ref();
        if let Some(leaf) = session.peer_certificates().and_then(|certs| certs.first()) {
            data.insert(PeerCertificate {
                fingerprint: CertFingerprint::of_der(leaf.as_ref()),
            });
        }
    }
}
