//! The signature verdict: who signed, when, over what, and why not.
//!
//! Why this module exists: like the certificate [`Verdict`], the signature verdict is a contract
//! with scripts and the gateway (JSON with a top-level `valid` and `reason`, the holder and
//! trust-list fields of the certificate verdict at the top level); keeping it in one small module
//! makes changes to it visible.

use serde::Serialize;

use crate::error::fmt_time;
use crate::trust_list::{CaRef, Holder};
use crate::{Certificate, Error, Verdict};

/// What a signature covers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DigestSummary {
    /// `sha256`, `sha384`, `sha512`, `sha224` or `sm3`.
    pub algorithm: &'static str,
    /// Lowercase hex.
    pub value: String,
    /// `content`: the digest of the signed document. `sm2-z-and-content`: for a raw SM2 signature
    /// verified against a supplied digest, the value SM2 signs, SM3(Z || document). `signature`:
    /// a timestamp's message imprint, the digest of the signature value.
    pub over: &'static str,
}

/// The signer's certificate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SignerSummary {
    /// Subject DN (personal ID numbers masked).
    pub subject: String,
    /// Issuer DN.
    pub issuer: String,
    /// Serial number, hex.
    pub serial: String,
    /// Lowercase hex SHA-256 of the certificate's DER.
    pub certificate_sha256: String,
    /// Key type and size (`rsa-2048`, `ec-P-256`, `sm2`).
    pub key: String,
    /// The SM2 distinguishing ID the signature was checked with (SM2 signers only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sm2_id: Option<String>,
}

impl SignerSummary {
    pub(crate) fn of(cert: &Certificate) -> SignerSummary {
        SignerSummary {
            subject: cert.subject().display().to_owned(),
            issuer: cert.issuer().display().to_owned(),
            serial: cert.serial_hex(),
            certificate_sha256: cert.sha256_hex(),
            key: cert.key_info.desc.clone(),
            sm2_id: None,
        }
    }
}

/// The RFC 3161 timestamp, when one was supplied.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TimestampSummary {
    /// True when the token verifies, covers this signature and comes from a recognised
    /// timestamping authority whose certificate was valid at `time`.
    pub valid: bool,
    /// genTime, RFC 3339 (as far as the token could be read).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    /// The timestamping authority's certificate subject.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tsa: Option<String>,
    /// Lowercase hex SHA-256 of the authority's certificate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tsa_certificate_sha256: Option<String>,
    /// Under a trust list: the `timestamping-authority` service.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<CaRef>,
    /// The token's serial number, hex.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serial: Option<String>,
    /// The TSA policy OID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// The message imprint: the digest of the signature value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub imprint: Option<DigestSummary>,
}

/// The SignedData's content and structure.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ContentSummary {
    /// eContentType, dotted (`1.2.840.113549.1.7.1` data, `1.2.156.10197.6.1.4.2.1` GM/T data).
    pub content_type: String,
    /// True when the content is inside the SignedData.
    pub attached: bool,
    /// True when the signer used signed attributes.
    pub signed_attributes: bool,
    /// `pkcs7` or `gm-t-0010`: which object identifiers the SignedData uses.
    pub oids: &'static str,
}

/// The result of a signature verification.
///
/// Serialises to JSON with a top-level `valid`, and when false `reason` (the [`Error::code`]),
/// `detail` and `error`. `holder`, `province`, `ca` and `trust_list_sequence` are the signer
/// certificate verdict's (under a trust list), repeated at the top level; `certificate` is that
/// whole verdict, judged at `signing_time`.
#[derive(Clone, Debug, Serialize)]
pub struct SignatureVerdict {
    /// True when the signature, its timestamp (if any) and the signer's certificate at the signing
    /// time all pass.
    pub valid: bool,
    /// The reason code on failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
    /// The failure explained.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// `cms` or `raw`.
    pub format: &'static str,
    /// The validation time, RFC 3339.
    pub validation_time: String,
    /// The time the signer's certificate was judged at, RFC 3339: the timestamp's genTime when a
    /// valid timestamp was supplied, else the validation time.
    pub signing_time: String,
    /// `timestamp` or `validation-time`.
    pub signing_time_source: &'static str,
    /// The signer's own signingTime attribute: reported, never used for certificate status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claimed_signing_time: Option<String>,
    /// The timestamp, when one was supplied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<TimestampSummary>,
    /// The signer's certificate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signer: Option<SignerSummary>,
    /// Who holds the signer's certificate (name, credit code and its check).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub holder: Option<Holder>,
    /// Under a trust list: the province of the signer's CA.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub province: Option<&'static str>,
    /// Under a trust list: the signer's CA service and its status at the signing time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca: Option<CaRef>,
    /// Under a trust list: its sequence number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trust_list_sequence: Option<u64>,
    /// What was signed: the document's digest.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<DigestSummary>,
    /// The signature algorithm (`rsa-pkcs1-sha256`, `rsa-pss-sha256`, `ecdsa-p256-sha256`,
    /// `sm2-sm3`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature_algorithm: Option<String>,
    /// CMS only: the content and structure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<ContentSummary>,
    /// The signer certificate's own verdict at the signing time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate: Option<Verdict>,
    /// The error with its context (`code` plus the variant's fields), on failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Error>,
}

impl SignatureVerdict {
    pub(crate) fn new(format: &'static str, at: i64) -> SignatureVerdict {
        SignatureVerdict {
            valid: false,
            reason: None,
            detail: None,
            format,
            validation_time: fmt_time(at),
            signing_time: fmt_time(at),
            signing_time_source: "validation-time",
            claimed_signing_time: None,
            timestamp: None,
            signer: None,
            holder: None,
            province: None,
            ca: None,
            trust_list_sequence: None,
            digest: None,
            signature_algorithm: None,
            content: None,
            certificate: None,
            error: None,
        }
    }

    /// Marks the verdict invalid for `e` and returns it.
    pub(crate) fn fail(mut self, e: Error) -> SignatureVerdict {
        self.valid = false;
        self.reason = Some(e.code());
        self.detail = Some(e.to_string());
        self.error = Some(e);
        self
    }

    /// The verdict as a `Result`: `Ok(())` when valid.
    ///
    /// # Errors
    /// The reason the signature is invalid.
    pub fn result(&self) -> Result<(), Error> {
        match &self.error {
            None if self.valid => Ok(()),
            None => Err(Error::UnsupportedSignature {
                detail: "invalid verdict without an error".into(),
            }),
            Some(e) => Err(e.clone()),
        }
    }

    /// The JSON text printed by the CLI.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|_| String::from("{\"valid\":false}"))
    }
}
