//! `POST /v1/certificates/verify`: from the request body to the verdict.
//!
//! Why this module exists: it keeps the request's shape (PEM or base64 DER, optional chain,
//! purpose, time and OCSP response, each refused with its JSON path when wrong) apart from the
//! route, and keeps verification pure: the snapshot, the time and any OCSP response fetched are
//! passed in.

use base64::Engine as _;
use ca_bridge::{
    Certificate, CreditCodePolicy, OcspResponse, Options, Purpose, RevocationData,
    TrustListVerifier, TrustOptions, Verdict,
};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::problem::{ApiError, FieldError};

/// Most certificates a caller may send along in `chain`.
pub const MAX_CHAIN: usize = 10;

/// The request body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyBody {
    /// The certificate: PEM, or base64 of its DER.
    pub certificate: String,
    /// Further candidates for path building (the trust list's intermediates are used anyway).
    #[serde(default)]
    pub chain: Vec<String>,
    /// `bid-signing` (default) or `any`.
    #[serde(default)]
    pub purpose: Option<String>,
    /// The time to validate at (RFC 3339); default now.
    #[serde(default)]
    pub at: Option<String>,
    /// An OCSP response (base64 DER) the caller already has.
    #[serde(default)]
    pub ocsp: Option<String>,
    /// Return (and store) a signed receipt of this verification.
    #[serde(default)]
    pub receipt: bool,
}

/// A checked request.
pub struct VerifyRequest {
    /// The certificate to judge.
    pub certificate: Certificate,
    /// Extra path-building candidates.
    pub chain: Vec<Certificate>,
    /// What it is used for.
    pub purpose: Purpose,
    /// The time asked for, when given.
    pub at: Option<i64>,
    /// The caller's OCSP response.
    pub ocsp: Option<OcspResponse>,
    /// SHA-256 (hex) of the certificate's DER.
    pub certificate_sha256: String,
    /// The cache key: SHA-256 over everything above.
    pub key: [u8; 32],
}

impl VerifyBody {
    /// Decodes and checks every field, reporting each bad one with its JSON path.
    pub fn parse(&self) -> Result<VerifyRequest, ApiError> {
        let mut errors = Vec::new();
        let mut hasher = Sha256::new();
        let leaf = match certificate(&self.certificate, "/certificate") {
            Ok((der, cert)) => {
                hasher.update(Sha256::digest(&der));
                Some((der, cert))
            }
            Err(e) => {
                errors.push(e);
                None
            }
        };
        if self.chain.len() > MAX_CHAIN {
            errors.push(FieldError::new(
                "/chain",
                "too-many-certificates",
                format!("at most {MAX_CHAIN} certificates"),
            ));
        }
        let mut chain = Vec::new();
        for (i, text) in self.chain.iter().take(MAX_CHAIN).enumerate() {
            match certificate(text, &format!("/chain/{i}")) {
                Ok((der, cert)) => {
                    hasher.update(Sha256::digest(&der));
                    chain.push(cert);
                }
                Err(e) => errors.push(e),
            }
        }
        let purpose = match self.purpose.as_deref() {
            None | Some("bid-signing") => Purpose::BidSigning,
            Some("any") => Purpose::Any,
            Some(other) => {
                errors.push(FieldError::new(
                    "/purpose",
                    "unknown-purpose",
                    format!("`{other}` is not a purpose: use bid-signing or any"),
                ));
                Purpose::BidSigning
            }
        };
        hasher.update(purpose.as_str());
        let at = match self.at.as_deref().map(parse_time) {
            None => None,
            Some(Ok(t)) => Some(t),
            Some(Err(e)) => {
                errors.push(FieldError::new("/at", "invalid-time", e));
                None
            }
        };
        hasher.update(at.map_or_else(|| "now".to_owned(), |t| t.to_string()));
        let ocsp = match self.ocsp.as_deref() {
            None => None,
            Some(text) => match base64_der(text)
                .map_err(|e| FieldError::new("/ocsp", "invalid-base64", e))
                .and_then(|der| {
                    hasher.update(Sha256::digest(&der));
                    OcspResponse::from_der(&der)
                        .map_err(|e| FieldError::new("/ocsp", e.code(), e.to_string()))
                }) {
                Ok(r) => Some(r),
                Err(e) => {
                    errors.push(e);
                    None
                }
            },
        };
        match leaf {
            Some((der, certificate)) if errors.is_empty() => Ok(VerifyRequest {
                certificate,
                chain,
                purpose,
                at,
                ocsp,
                certificate_sha256: hex::encode(Sha256::digest(&der)),
                key: hasher.finalize().into(),
            }),
            _ => Err(ApiError::InvalidRequest {
                detail: format!(
                    "{} FieldError::new(s) of the request are invalid",
                    errors.len()
                ),
                errors,
            }),
        }
    }
}

/// A certificate given as PEM or base64 DER, with its DER.
pub(super) fn certificate(text: &str, path: &str) -> Result<(Vec<u8>, Certificate), FieldError> {
    let der = if text.trim_start().starts_with("-----BEGIN") {
        let blocks = ca_bridge::decode_pem_or_der(text.as_bytes())
            .map_err(|e| FieldError::new(path, e.code(), e.to_string()))?;
        match blocks.into_iter().next() {
            Some((label, der)) if label == "CERTIFICATE" => der,
            _ => {
                return Err(FieldError::new(
                    path,
                    "malformed",
                    "the PEM block is not a CERTIFICATE",
                ));
            }
        }
    } else {
        base64_der(text).map_err(|e| FieldError::new(path, "invalid-base64", e))?
    };
    let cert =
        Certificate::from_der(&der).map_err(|e| FieldError::new(path, e.code(), e.to_string()))?;
    Ok((der, cert))
}

fn base64_der(text: &str) -> Result<Vec<u8>, String> {
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact)
        .map_err(|e| format!("not PEM and not base64 DER: {e}"))
}

fn parse_time(s: &str) -> Result<i64, String> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .map(|t| t.unix_timestamp())
        .map_err(|e| format!("`{s}` is not an RFC 3339 time: {e}"))
}

/// Judges `req` under `verifier` with the stored CRLs and any OCSP responses, at `at`.
pub fn evaluate(
    verifier: &TrustListVerifier,
    revocation: &RevocationData,
    req: &VerifyRequest,
    fetched_ocsp: Option<&OcspResponse>,
    at: i64,
    strict_credit_code: bool,
) -> Verdict {
    let mut opts = Options::at(at);
    opts.purpose = req.purpose;
    let extra: Vec<OcspResponse> = req.ocsp.iter().chain(fetched_ocsp).cloned().collect();
    let with_ocsp;
    let revocation = if extra.is_empty() {
        revocation
    } else {
        with_ocsp = RevocationData {
            crls: revocation.crls.clone(),
            ocsp: extra,
        };
        &with_ocsp
    };
    verifier.verify(
        &req.certificate,
        &req.chain,
        revocation,
        &opts,
        &TrustOptions {
            signing_time: None,
            credit_code: if strict_credit_code {
                CreditCodePolicy::Strict
            } else {
                CreditCodePolicy::Report
            },
        },
    )
}

/// True when the verdict failed only for want of current revocation data (OCSP may decide).
pub fn wants_ocsp(verdict: &Verdict) -> bool {
    matches!(verdict.reason, Some("revocation-unknown" | "crl-expired"))
}

/// The earliest time the verdict could change by itself: a chain certificate's notAfter.
pub fn changes_at(verdict: &Verdict) -> Option<i64> {
    verdict
        .chain
        .iter()
        .filter_map(|c| parse_time(&c.not_after).ok())
        .min()
}

/// The signature-algorithm label of the certificate: a closed set, `other` for anything else.
pub fn algorithm_label(cert: &Certificate) -> &'static str {
    let name = cert.signature_algorithm();
    const KNOWN: &[&str] = &[
        "sm2-sm3",
        "rsa-pkcs1-sha256",
        "rsa-pkcs1-sha384",
        "rsa-pkcs1-sha512",
        "rsa-pss-sha256",
        "rsa-pss-sha384",
        "rsa-pss-sha512",
        "ecdsa-sha256",
        "ecdsa-sha384",
        "ecdsa-sha512",
    ];
    KNOWN
        .iter()
        .find(|k| **k == name)
        .copied()
        .unwrap_or("other")
}
