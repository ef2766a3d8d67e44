//! `POST /v1/signatures/verify`: from the request body to the signature verdict.
//!
//! Why this module exists: a bid signature arrives as a CMS SignedData (attached, or detached
//! with the document or its digest) or as a raw signature with the signer's certificate, maybe
//! with an RFC 3161 timestamp. This module checks the request's shape (each bad field reported
//! with its JSON path) and runs `ca_bridge::signature` under the trust list in use, purely: the
//! snapshot and the time are passed in.

use base64::Engine as _;
use ca_bridge::signature::{Content, DigestAlgorithm, SignatureOptions, SignatureVerifier};
use ca_bridge::{Certificate, CreditCodePolicy, RevocationData, TrustListVerifier};
use serde::Deserialize;

use crate::problem::{ApiError, FieldError};

/// Largest decoded signature, SignedData or timestamp accepted in a request, in bytes (the body
/// limit bounds the whole request as well).
pub const MAX_OBJECT_BYTES: usize = 8 * 1024 * 1024;

/// The request body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignatureBody {
    /// A CMS SignedData, base64 of DER/BER (or PEM `CMS`/`PKCS7`).
    #[serde(default)]
    pub cms: Option<String>,
    /// A raw signature (base64), with `certificate`.
    #[serde(default)]
    pub signature: Option<String>,
    /// The signer's certificate for a raw signature (PEM or base64 DER); for CMS, only when the
    /// SignedData does not carry it.
    #[serde(default)]
    pub certificate: Option<String>,
    /// The signed document, base64 (for detached CMS and raw signatures).
    #[serde(default)]
    pub content: Option<String>,
    /// Or the document's digest.
    #[serde(default)]
    pub digest: Option<DigestBody>,
    /// An RFC 3161 timestamp token over the signature value (base64); for CMS it replaces an
    /// embedded one.
    #[serde(default)]
    pub timestamp: Option<String>,
    /// Further path-building candidates (PEM or base64 DER).
    #[serde(default)]
    pub chain: Vec<String>,
    /// Validation time when no valid timestamp says when it was signed (RFC 3339); default now.
    #[serde(default)]
    pub at: Option<String>,
    /// A raw RSA signature is RSASSA-PSS.
    #[serde(default)]
    pub rsa_pss: bool,
    /// Return (and store) a signed receipt of this verification.
    #[serde(default)]
    pub receipt: bool,
}

/// A digest given instead of the document.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DigestBody {
    /// `sha256` or `sm3` (also `sha384`, `sha512`).
    pub algorithm: String,
    /// Hex.
    pub value: String,
}

/// What was signed as the request gives it.
pub enum Signed {
    /// A SignedData.
    Cms(Vec<u8>),
    /// A raw signature with its signer's certificate.
    Raw {
        /// The signature value.
        signature: Vec<u8>,
        /// The signer's certificate.
        certificate: Box<Certificate>,
    },
}

/// A checked request.
pub struct SignatureRequest {
    /// The signature.
    pub signed: Signed,
    /// For CMS: the signer's certificate when supplied apart.
    pub extra_certificate: Option<Certificate>,
    /// The document, when given.
    pub content: Option<Vec<u8>>,
    /// Or its digest.
    pub digest: Option<(DigestAlgorithm, Vec<u8>)>,
    /// A separate timestamp token.
    pub timestamp: Option<Vec<u8>>,
    /// Extra candidates.
    pub chain: Vec<Certificate>,
    /// The time asked for.
    pub at: Option<i64>,
    /// Raw RSA is PSS.
    pub rsa_pss: bool,
}

/// The value, or `None` with the error recorded.
fn keep<T>(errors: &mut Vec<FieldError>, r: Result<T, FieldError>) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(e) => {
            errors.push(e);
            None
        }
    }
}

fn bytes(text: &str, path: &str) -> Result<Vec<u8>, FieldError> {
    let decoded = if text.trim_start().starts_with("-----BEGIN") {
        ca_bridge::decode_pem_or_der(text.as_bytes())
            .map_err(|e| FieldError::new(path, e.code(), e.to_string()))?
            .into_iter()
            .next()
            .map(|(_, der)| der)
            .unwrap_or_default()
    } else {
        let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        base64::engine::general_purpose::STANDARD
            .decode(compact)
            .map_err(|e| FieldError::new(path, "invalid-base64", format!("not base64: {e}")))?
    };
    if decoded.len() > MAX_OBJECT_BYTES {
        return Err(FieldError::new(
            path,
            "too-large",
            format!("more than {MAX_OBJECT_BYTES} bytes"),
        ));
    }
    Ok(decoded)
}

fn decode_certificate(text: &str, path: &str) -> Result<Certificate, FieldError> {
    super::verify::certificate(text, path).map(|(_, cert)| cert)
}

impl SignatureBody {
    /// Decodes and checks every field, reporting each bad one with its JSON path.
    pub fn parse(&self) -> Result<SignatureRequest, ApiError> {
        let mut errors = Vec::new();
        let certificate = self
            .certificate
            .as_deref()
            .and_then(|c| keep(&mut errors, decode_certificate(c, "/certificate")));
        let signed = match (&self.cms, &self.signature) {
            (Some(cms), None) => keep(&mut errors, bytes(cms, "/cms")).map(Signed::Cms),
            (None, Some(sig)) => {
                let signature = keep(&mut errors, bytes(sig, "/signature"));
                if self.certificate.is_none() {
                    errors.push(FieldError::new(
                        "/certificate",
                        "required",
                        "a raw signature needs the signer's certificate",
                    ));
                }
                match (signature, certificate.clone()) {
                    (Some(signature), Some(certificate)) => Some(Signed::Raw {
                        signature,
                        certificate: Box::new(certificate),
                    }),
                    _ => None,
                }
            }
            (Some(_), Some(_)) => {
                errors.push(FieldError::new(
                    "/signature",
                    "exclusive",
                    "give either `cms` or `signature`, not both",
                ));
                None
            }
            (None, None) => {
                errors.push(FieldError::new(
                    "/cms",
                    "required",
                    "give `cms` (a SignedData) or `signature` with `certificate`",
                ));
                None
            }
        };
        let content = self
            .content
            .as_deref()
            .and_then(|c| keep(&mut errors, bytes(c, "/content")));
        let digest = match &self.digest {
            None => None,
            Some(d) => {
                let algorithm = DigestAlgorithm::from_name(&d.algorithm);
                if algorithm.is_none() {
                    errors.push(FieldError::new(
                        "/digest/algorithm",
                        "unknown-digest-algorithm",
                        format!("`{}`: use sha256 or sm3", d.algorithm),
                    ));
                }
                let value = keep(
                    &mut errors,
                    hex::decode(d.value.trim()).map_err(|e| {
                        FieldError::new("/digest/value", "invalid-hex", e.to_string())
                    }),
                );
                match (algorithm, value) {
                    (Some(a), Some(v)) if v.len() == a.output_len() => Some((a, v)),
                    (Some(a), Some(v)) => {
                        errors.push(FieldError::new(
                            "/digest/value",
                            "wrong-length",
                            format!("{} bytes; {} has {}", v.len(), a.as_str(), a.output_len()),
                        ));
                        None
                    }
                    _ => None,
                }
            }
        };
        if self.content.is_some() && self.digest.is_some() {
            errors.push(FieldError::new(
                "/digest",
                "exclusive",
                "give either `content` or `digest`, not both",
            ));
        }
        if self.signature.is_some() && self.content.is_none() && self.digest.is_none() {
            errors.push(FieldError::new(
                "/content",
                "required",
                "a raw signature needs the document (`content`) or its `digest`",
            ));
        }
        let timestamp = self
            .timestamp
            .as_deref()
            .and_then(|t| keep(&mut errors, bytes(t, "/timestamp")));
        let mut chain = Vec::new();
        if self.chain.len() > super::verify::MAX_CHAIN {
            errors.push(FieldError::new(
                "/chain",
                "too-many-certificates",
                format!("at most {} certificates", super::verify::MAX_CHAIN),
            ));
        }
        for (i, c) in self.chain.iter().take(super::verify::MAX_CHAIN).enumerate() {
            if let Some(c) = keep(&mut errors, decode_certificate(c, &format!("/chain/{i}"))) {
                chain.push(c);
            }
        }
        let at = self.at.as_deref().and_then(|s| {
            keep(
                &mut errors,
                time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
                    .map(|t| t.unix_timestamp())
                    .map_err(|e| {
                        FieldError::new("/at", "invalid-time", format!("not an RFC 3339 time: {e}"))
                    }),
            )
        });
        match signed {
            Some(signed) if errors.is_empty() => Ok(SignatureRequest {
                extra_certificate: match signed {
                    Signed::Cms(_) => certificate,
                    Signed::Raw { .. } => None,
                },
                signed,
                content,
                digest,
                timestamp,
                chain,
                at,
                rsa_pss: self.rsa_pss,
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

/// Verifies the signature under the trust list with the stored CRLs, at `at` unless a valid
/// timestamp says when it was signed.
pub fn evaluate(
    verifier: &TrustListVerifier,
    revocation: &RevocationData,
    req: &SignatureRequest,
    at: i64,
    strict_credit_code: bool,
) -> ca_bridge::signature::SignatureVerdict {
    let mut chain = req.chain.clone();
    chain.extend(req.extra_certificate.clone());
    let mut opts = SignatureOptions::at(at);
    opts.chain = &chain;
    opts.timestamp = req.timestamp.as_deref();
    opts.rsa_pss = req.rsa_pss;
    opts.credit_code = if strict_credit_code {
        CreditCodePolicy::Strict
    } else {
        CreditCodePolicy::Report
    };
    let content = match (&req.content, &req.digest) {
        (Some(bytes), _) => Some(Content::Bytes(bytes)),
        (None, Some((algorithm, value))) => Some(Content::Digest {
            algorithm: *algorithm,
            value,
        }),
        (None, None) => None,
    };
    let signatures = SignatureVerifier::with_trust_list(verifier);
    match &req.signed {
        Signed::Cms(der) => signatures.verify_cms(der, content, revocation, &opts),
        Signed::Raw {
            signature,
            certificate,
        } => match content {
            Some(content) => {
                signatures.verify_raw(signature, certificate, content, revocation, &opts)
            }
            // `parse` refuses a raw signature without content or digest.
            None => signatures.verify_raw(
                signature,
                certificate,
                Content::Bytes(&[]),
                revocation,
                &opts,
            ),
        },
    }
}
