//! Asking a CA's OCSP responder when no current CRL decides a certificate's status.
//!
//! Why this module exists: some provincial CAs publish CRLs rarely and answer OCSP instead. The
//! request is built with OpenSSL (SHA-1 CertID, as responders expect), sent to the responder the
//! trust list names with a timeout and a size bound, and the response is cached per certificate
//! until its nextUpdate. The response is only data: `ca_bridge` checks its signature and
//! freshness like any other revocation data.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use ca_bridge::{Certificate, OcspResponse};

use super::fetch::{FetchFailure, read_bounded};

/// OCSP responses by certificate SHA-256, each with the time it stops being served.
#[derive(Default)]
pub struct OcspCache {
    entries: Mutex<HashMap<String, (OcspResponse, i64)>>,
}

/// Most cached responses; the cache is emptied when full (responses are cheap to ask again).
const MAX_CACHED: usize = 10_000;

impl OcspCache {
    /// The response cached for a certificate, if still current at `now`.
    pub fn get(&self, cert_sha256: &str, now: i64) -> Option<OcspResponse> {
        let entries = self.entries.lock().ok()?;
        entries
            .get(cert_sha256)
            .filter(|(_, until)| now < *until)
            .map(|(r, _)| r.clone())
    }

    /// Caches `response` until `until`.
    pub fn insert(&self, cert_sha256: &str, response: OcspResponse, until: i64) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= MAX_CACHED {
                entries.clear();
            }
            entries.insert(cert_sha256.to_owned(), (response, until));
        }
    }
}

/// The DER OCSP request for `cert` issued by `issuer`.
pub fn request_der(cert: &Certificate, issuer: &Certificate) -> Result<Vec<u8>, String> {
    let subject = openssl::x509::X509::from_der(cert.der()).map_err(|e| e.to_string())?;
    let issuer = openssl::x509::X509::from_der(issuer.der()).map_err(|e| e.to_string())?;
    let id = openssl::ocsp::OcspCertId::from_cert(
        openssl::hash::MessageDigest::sha1(),
        &subject,
        &issuer,
    )
    .map_err(|e| e.to_string())?;
    let mut request = openssl::ocsp::OcspRequest::new().map_err(|e| e.to_string())?;
    request.add_id(id).map_err(|e| e.to_string())?;
    request.to_der().map_err(|e| e.to_string())
}

/// Posts `request` to the responder at `url` and decodes the answer.
pub async fn ask(
    client: &reqwest::Client,
    url: &str,
    request: Vec<u8>,
    timeout: Duration,
    max_bytes: usize,
) -> Result<OcspResponse, FetchFailure> {
    let response = client
        .post(url)
        .header("content-type", "application/ocsp-request")
        .body(request)
        .timeout(timeout)
        .send()
        .await
        .map_err(FetchFailure::from_reqwest)?;
    let body = read_bounded(response, max_bytes).await?;
    OcspResponse::from_der(&body).map_err(|e| FetchFailure::Invalid(e.to_string()))
}
